/* nettcp WWSAPI: service proxies and WsCall (stage 2: E_NOTIMPL until the
 * serializer is in). */
#include "wws_int.h"

HRESULT WINAPI WsGetFaultErrorProperty(WS_ERROR *error, WS_FAULT_ERROR_PROPERTY_ID id, void *buffer,
                                       ULONG bufferSize)
{
    (void)id, (void)buffer, (void)bufferSize;
    return ntcp__wws_notimpl(error, "WsGetFaultErrorProperty");
}

HRESULT WINAPI WsCreateServiceProxy(WS_CHANNEL_TYPE channelType, WS_CHANNEL_BINDING channelBinding,
                                    const WS_SECURITY_DESCRIPTION *securityDescription,
                                    const WS_PROXY_PROPERTY *properties, ULONG propertyCount,
                                    const WS_CHANNEL_PROPERTY *channelProperties, ULONG channelPropertyCount,
                                    WS_SERVICE_PROXY **serviceProxy, WS_ERROR *error)
{
    (void)channelType, (void)channelBinding, (void)securityDescription, (void)properties, (void)propertyCount;
    (void)channelProperties, (void)channelPropertyCount, (void)serviceProxy;
    return ntcp__wws_notimpl(error, "WsCreateServiceProxy");
}

HRESULT WINAPI WsOpenServiceProxy(WS_SERVICE_PROXY *serviceProxy, const WS_ENDPOINT_ADDRESS *address,
                                  const WS_ASYNC_CONTEXT *asyncContext, WS_ERROR *error)
{
    (void)serviceProxy, (void)address, (void)asyncContext;
    return ntcp__wws_notimpl(error, "WsOpenServiceProxy");
}

HRESULT WINAPI WsCall(WS_SERVICE_PROXY *serviceProxy, const WS_OPERATION_DESCRIPTION *operation,
                      const void **arguments, WS_HEAP *heap, const WS_CALL_PROPERTY *callProperties,
                      ULONG callPropertyCount, const WS_ASYNC_CONTEXT *asyncContext, WS_ERROR *error)
{
    (void)serviceProxy, (void)operation, (void)arguments, (void)heap, (void)callProperties, (void)callPropertyCount;
    (void)asyncContext;
    return ntcp__wws_notimpl(error, "WsCall");
}

HRESULT WINAPI WsCloseServiceProxy(WS_SERVICE_PROXY *serviceProxy, const WS_ASYNC_CONTEXT *asyncContext,
                                   WS_ERROR *error)
{
    (void)serviceProxy, (void)asyncContext;
    return ntcp__wws_notimpl(error, "WsCloseServiceProxy");
}

HRESULT WINAPI WsAbortServiceProxy(WS_SERVICE_PROXY *serviceProxy, WS_ERROR *error)
{
    (void)serviceProxy;
    return ntcp__wws_notimpl(error, "WsAbortServiceProxy");
}

void WINAPI WsFreeServiceProxy(WS_SERVICE_PROXY *serviceProxy)
{
    (void)serviceProxy;
}
