/* nettcp WWSAPI: listeners (not implemented yet: E_NOTIMPL). */
#include "wws_channel.h"

HRESULT WINAPI WsCreateListener(WS_CHANNEL_TYPE channelType, WS_CHANNEL_BINDING channelBinding,
                                const WS_LISTENER_PROPERTY *properties, ULONG propertyCount,
                                const WS_SECURITY_DESCRIPTION *securityDescription, WS_LISTENER **listener,
                                WS_ERROR *error)
{
    (void)channelType, (void)channelBinding, (void)properties, (void)propertyCount, (void)securityDescription;
    (void)listener;
    return ntcp__wws_notimpl(error, "WsCreateListener");
}

HRESULT WINAPI WsOpenListener(WS_LISTENER *listener, const WS_STRING *url, const WS_ASYNC_CONTEXT *asyncContext,
                              WS_ERROR *error)
{
    (void)listener, (void)url, (void)asyncContext;
    return ntcp__wws_notimpl(error, "WsOpenListener");
}

HRESULT WINAPI WsCreateChannelForListener(WS_LISTENER *listener, const WS_CHANNEL_PROPERTY *properties,
                                          ULONG propertyCount, WS_CHANNEL **channel, WS_ERROR *error)
{
    (void)listener, (void)properties, (void)propertyCount, (void)channel;
    return ntcp__wws_notimpl(error, "WsCreateChannelForListener");
}

HRESULT WINAPI WsAcceptChannel(WS_LISTENER *listener, WS_CHANNEL *channel, const WS_ASYNC_CONTEXT *asyncContext,
                               WS_ERROR *error)
{
    (void)listener, (void)channel, (void)asyncContext;
    return ntcp__wws_notimpl(error, "WsAcceptChannel");
}

HRESULT WINAPI WsCloseListener(WS_LISTENER *listener, const WS_ASYNC_CONTEXT *asyncContext, WS_ERROR *error)
{
    (void)listener, (void)asyncContext;
    return ntcp__wws_notimpl(error, "WsCloseListener");
}

HRESULT WINAPI WsAbortListener(WS_LISTENER *listener, WS_ERROR *error)
{
    (void)listener;
    return ntcp__wws_notimpl(error, "WsAbortListener");
}

void WINAPI WsFreeListener(WS_LISTENER *listener)
{
    (void)listener;
}

HRESULT WINAPI WsGetListenerProperty(WS_LISTENER *listener, WS_LISTENER_PROPERTY_ID id, void *value,
                                     ULONG valueSize, WS_ERROR *error)
{
    (void)listener, (void)id, (void)value, (void)valueSize;
    return ntcp__wws_notimpl(error, "WsGetListenerProperty");
}

HRESULT ntcp__wws_listener_receive(WS_CHANNEL *ch, WS_MESSAGE *m, bool optional, WS_ERROR *error)
{
    (void)ch, (void)m, (void)optional;
    return ntcp__wws_notimpl(error, "receiving on a listener's channel");
}

HRESULT ntcp__wws_listener_send(WS_CHANNEL *ch, WS_MESSAGE *m, WS_ERROR *error)
{
    (void)ch, (void)m;
    return ntcp__wws_notimpl(error, "replying on a listener's channel");
}

void ntcp__wws_listener_close_channel(WS_CHANNEL *ch)
{
    (void)ch;
}
