/* nettcp WWSAPI: service proxies and WsCall, as wsutil's generated proxies
 * use them: a proxy is a client channel; WsCall writes the input wrapper
 * element from the parameters, makes one request/reply and reads the output
 * wrapper's fields into the output parameters. Non-RPC literal operations
 * whose wrapper fields are elements the serializer handles (message.c:
 * simple types and structs of them); every other shape returns E_NOTIMPL
 * naming what is missing. */
#include "wws_channel.h"

#include <string.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

struct _WS_SERVICE_PROXY {
    WS_SERVICE_PROXY_STATE state;
    WS_CHANNEL *channel;
    WS_MESSAGE *request, *reply;
};

static HRESULT proxy_bad(WS_ERROR *error, HRESULT hr, const char *what)
{
    return ntcp__wws_fail(error, hr, hr == E_INVALIDARG ? NTCP_CAUSE_INVALID_ARGUMENT
                                    : hr == E_OUTOFMEMORY ? NTCP_CAUSE_OUT_OF_MEMORY : NTCP_CAUSE_UNSUPPORTED,
                          "%s", what);
}

HRESULT WINAPI WsGetFaultErrorProperty(WS_ERROR *error, WS_FAULT_ERROR_PROPERTY_ID id, void *buffer,
                                       ULONG bufferSize)
{
    if (!error || !buffer) return E_INVALIDARG;
    switch (id) {
    case WS_FAULT_ERROR_PROPERTY_FAULT: /* NULL when no fault was received */
        if (bufferSize != sizeof(WS_FAULT *)) return E_INVALIDARG;
        *(WS_FAULT **)buffer = error->fault;
        return S_OK;
    case WS_FAULT_ERROR_PROPERTY_ACTION:
        if (bufferSize != sizeof(WS_XML_STRING)) return E_INVALIDARG;
        *(WS_XML_STRING *)buffer = error->fault_action;
        return S_OK;
    case WS_FAULT_ERROR_PROPERTY_HEADER:
        return ntcp__wws_notimpl(error, "WsGetFaultErrorProperty with WS_FAULT_ERROR_PROPERTY_HEADER");
    }
    return E_INVALIDARG;
}

HRESULT WINAPI WsGetFaultErrorDetail(WS_ERROR *error, const WS_FAULT_DETAIL_DESCRIPTION *faultDetailDescription,
                                     WS_READ_OPTION readOption, WS_HEAP *heap, void *value, ULONG valueSize)
{
    if (!error || !faultDetailDescription || !faultDetailDescription->detailElementDescription || !value)
        return E_INVALIDARG;
    const WS_XML_BUFFER *d = error->fault ? error->fault->detail : NULL;
    bool match = d != NULL;
    if (match && faultDetailDescription->action && error->fault_action.length &&
        WsXmlStringEquals(faultDetailDescription->action, &error->fault_action, NULL) != S_OK)
        match = false; /* the action filters which detail this description reads */
    if (!match) {
        if (readOption == WS_READ_OPTIONAL_POINTER || readOption == WS_READ_NILLABLE_POINTER) {
            if (valueSize != sizeof(void *)) return E_INVALIDARG;
            *(void **)value = NULL;
            return S_OK;
        }
        return WS_E_INVALID_FORMAT;
    }
    /* the error object's own strings stay as they are: a failure here is only the return value */
    return ntcp__wws_read_element((const char *)d->data, d->len, faultDetailDescription->detailElementDescription,
                                  readOption, heap, value, valueSize, NULL);
}

HRESULT WINAPI WsCreateServiceProxy(WS_CHANNEL_TYPE channelType, WS_CHANNEL_BINDING channelBinding,
                                    const WS_SECURITY_DESCRIPTION *securityDescription,
                                    const WS_PROXY_PROPERTY *properties, ULONG propertyCount,
                                    const WS_CHANNEL_PROPERTY *channelProperties, ULONG channelPropertyCount,
                                    WS_SERVICE_PROXY **serviceProxy, WS_ERROR *error)
{
    if (!serviceProxy || (propertyCount && !properties))
        return proxy_bad(error, E_INVALIDARG, "WsCreateServiceProxy: NULL argument");
    if (propertyCount)
        return ntcp__wws_fail(error, E_NOTIMPL, NTCP_CAUSE_UNSUPPORTED,
                              "WsCreateServiceProxy: proxy property %d is not implemented", (int)properties[0].id);
    WS_SERVICE_PROXY *p = ntcp_calloc(1, sizeof *p);
    if (!p) return proxy_bad(error, E_OUTOFMEMORY, "WsCreateServiceProxy: out of memory");
    HRESULT hr = WsCreateChannel(channelType, channelBinding, channelProperties, channelPropertyCount,
                                 securityDescription, &p->channel, error);
    if (SUCCEEDED(hr)) hr = WsCreateMessageForChannel(p->channel, NULL, 0, &p->request, error);
    if (SUCCEEDED(hr)) hr = WsCreateMessageForChannel(p->channel, NULL, 0, &p->reply, error);
    if (FAILED(hr)) {
        WsFreeServiceProxy(p);
        return hr;
    }
    p->state = WS_SERVICE_PROXY_STATE_CREATED;
    *serviceProxy = p;
    return S_OK;
}

/* a + b into one array (ntcp_malloc'ed; NULL when both are empty) */
static void *concat(const void *a, ULONG na, const void *b, ULONG nb, size_t size, ULONG *n, HRESULT *hr)
{
    *n = na + nb;
    *hr = S_OK;
    if (!*n) return NULL;
    char *out = ntcp_malloc(*n * size);
    if (!out) {
        *hr = E_OUTOFMEMORY;
        return NULL;
    }
    if (na) memcpy(out, a, na * size);
    if (nb) memcpy(out + na * size, b, nb * size);
    return out;
}

HRESULT WINAPI WsCreateServiceProxyFromTemplate(WS_CHANNEL_TYPE channelType, const WS_PROXY_PROPERTY *properties,
                                                const ULONG propertyCount, WS_BINDING_TEMPLATE_TYPE templateType,
                                                void *templateValue, ULONG templateSize,
                                                const void *templateDescription, ULONG templateDescriptionSize,
                                                WS_SERVICE_PROXY **serviceProxy, WS_ERROR *error)
{
    if (!serviceProxy || !templateDescription)
        return proxy_bad(error, E_INVALIDARG, "WsCreateServiceProxyFromTemplate: NULL proxy or policy description");
    /* the policy's properties first, the application's template after them (a later one wins) */
    if (templateType == WS_TCP_BINDING_TEMPLATE_TYPE) {
        const WS_TCP_POLICY_DESCRIPTION *pol = templateDescription;
        const WS_TCP_BINDING_TEMPLATE *t = templateValue;
        if (templateDescriptionSize != sizeof *pol || (t && templateSize != sizeof *t))
            return proxy_bad(error, E_INVALIDARG, "WsCreateServiceProxyFromTemplate: a template or policy of the wrong size");
        ULONG n;
        HRESULT hr;
        WS_CHANNEL_PROPERTY *cp = concat(pol->channelProperties.properties, pol->channelProperties.propertyCount,
                                         t ? t->channelProperties.properties : NULL,
                                         t ? t->channelProperties.propertyCount : 0, sizeof *cp, &n, &hr);
        if (FAILED(hr)) return proxy_bad(error, hr, "WsCreateServiceProxyFromTemplate: out of memory");
        hr = WsCreateServiceProxy(channelType, WS_TCP_CHANNEL_BINDING, NULL, properties, propertyCount, cp, n,
                                  serviceProxy, error);
        ntcp_free(cp);
        return hr;
    }
    if (templateType != WS_TCP_SSPI_BINDING_TEMPLATE_TYPE)
        return ntcp__wws_fail(error, E_NOTIMPL, NTCP_CAUSE_UNSUPPORTED,
                              "WsCreateServiceProxyFromTemplate: template type %d is not implemented (TCP and "
                              "TCP_SSPI are)", (int)templateType);
    const WS_TCP_SSPI_POLICY_DESCRIPTION *pol = templateDescription;
    const WS_TCP_SSPI_BINDING_TEMPLATE *t = templateValue;
    if (templateDescriptionSize != sizeof *pol || !t || templateSize != sizeof *t)
        return proxy_bad(error, E_INVALIDARG, "WsCreateServiceProxyFromTemplate: the TCP_SSPI template (with the "
                                              "client credential) and policy are required, of their sizes");
    ULONG ncp, nsp, nbp;
    HRESULT hr1, hr2, hr3;
    WS_CHANNEL_PROPERTY *cp = concat(pol->channelProperties.properties, pol->channelProperties.propertyCount,
                                     t->channelProperties.properties, t->channelProperties.propertyCount, sizeof *cp,
                                     &ncp, &hr1);
    WS_SECURITY_PROPERTY *sp = concat(pol->securityProperties.properties, pol->securityProperties.propertyCount,
                                      t->securityProperties.properties, t->securityProperties.propertyCount,
                                      sizeof *sp, &nsp, &hr2);
    const WS_SECURITY_BINDING_PROPERTIES *pb = &pol->sspiTransportSecurityBinding.securityBindingProperties;
    const WS_SECURITY_BINDING_PROPERTIES *tb = &t->sspiTransportSecurityBinding.securityBindingProperties;
    WS_SECURITY_BINDING_PROPERTY *bp = concat(pb->properties, pb->propertyCount, tb->properties, tb->propertyCount,
                                              sizeof *bp, &nbp, &hr3);
    HRESULT hr = FAILED(hr1) ? hr1 : FAILED(hr2) ? hr2 : hr3;
    if (SUCCEEDED(hr)) {
        WS_TCP_SSPI_TRANSPORT_SECURITY_BINDING sspi;
        memset(&sspi, 0, sizeof sspi);
        sspi.binding.bindingType = WS_TCP_SSPI_TRANSPORT_SECURITY_BINDING_TYPE;
        sspi.binding.properties = bp;
        sspi.binding.propertyCount = nbp;
        sspi.clientCredential = t->sspiTransportSecurityBinding.clientCredential;
        WS_SECURITY_BINDING *bindings[1] = { &sspi.binding };
        WS_SECURITY_DESCRIPTION sd = { bindings, 1, sp, nsp };
        hr = WsCreateServiceProxy(channelType, WS_TCP_CHANNEL_BINDING, &sd, properties, propertyCount, cp, ncp,
                                  serviceProxy, error);
    } else
        hr = proxy_bad(error, hr, "WsCreateServiceProxyFromTemplate: out of memory");
    ntcp_free(cp);
    ntcp_free(sp);
    ntcp_free(bp);
    return hr;
}

HRESULT WINAPI WsOpenServiceProxy(WS_SERVICE_PROXY *serviceProxy, const WS_ENDPOINT_ADDRESS *address,
                                  const WS_ASYNC_CONTEXT *asyncContext, WS_ERROR *error)
{
    if (!serviceProxy) return proxy_bad(error, E_INVALIDARG, "WsOpenServiceProxy: NULL proxy");
    if (serviceProxy->state != WS_SERVICE_PROXY_STATE_CREATED)
        return proxy_bad(error, WS_E_INVALID_OPERATION, "WsOpenServiceProxy: the proxy is not in the created state");
    serviceProxy->state = WS_SERVICE_PROXY_STATE_OPENING;
    HRESULT hr = WsOpenChannel(serviceProxy->channel, address, asyncContext, error);
    serviceProxy->state = SUCCEEDED(hr) ? WS_SERVICE_PROXY_STATE_OPEN : WS_SERVICE_PROXY_STATE_FAULTED;
    return hr;
}

HRESULT WINAPI WsCloseServiceProxy(WS_SERVICE_PROXY *serviceProxy, const WS_ASYNC_CONTEXT *asyncContext,
                                   WS_ERROR *error)
{
    if (!serviceProxy) return proxy_bad(error, E_INVALIDARG, "WsCloseServiceProxy: NULL proxy");
    if (serviceProxy->state == WS_SERVICE_PROXY_STATE_CREATED || serviceProxy->state == WS_SERVICE_PROXY_STATE_CLOSED) {
        serviceProxy->state = WS_SERVICE_PROXY_STATE_CLOSED;
        return S_OK;
    }
    serviceProxy->state = WS_SERVICE_PROXY_STATE_CLOSING;
    HRESULT hr = WsCloseChannel(serviceProxy->channel, asyncContext, error);
    serviceProxy->state = WS_SERVICE_PROXY_STATE_CLOSED;
    return hr;
}

HRESULT WINAPI WsAbortServiceProxy(WS_SERVICE_PROXY *serviceProxy, WS_ERROR *error)
{
    if (!serviceProxy) return proxy_bad(error, E_INVALIDARG, "WsAbortServiceProxy: NULL proxy");
    HRESULT hr = WsAbortChannel(serviceProxy->channel, error);
    if (serviceProxy->state != WS_SERVICE_PROXY_STATE_CREATED) serviceProxy->state = WS_SERVICE_PROXY_STATE_CLOSED;
    return hr;
}

void WINAPI WsFreeServiceProxy(WS_SERVICE_PROXY *serviceProxy)
{
    if (!serviceProxy) return;
    WsFreeMessage(serviceProxy->request);
    WsFreeMessage(serviceProxy->reply);
    WsFreeChannel(serviceProxy->channel);
    ntcp_free(serviceProxy);
}

HRESULT WINAPI WsGetServiceProxyProperty(WS_SERVICE_PROXY *serviceProxy, const WS_PROXY_PROPERTY_ID id, void *value,
                                         ULONG valueSize, WS_ERROR *error)
{
    if (!serviceProxy || !value) return proxy_bad(error, E_INVALIDARG, "WsGetServiceProxyProperty: NULL argument");
    if (id != WS_PROXY_PROPERTY_STATE)
        return ntcp__wws_fail(error, E_NOTIMPL, NTCP_CAUSE_UNSUPPORTED,
                              "WsGetServiceProxyProperty: proxy property %d is not implemented", (int)id);
    if (valueSize != sizeof(WS_SERVICE_PROXY_STATE))
        return proxy_bad(error, E_INVALIDARG, "WsGetServiceProxyProperty: valueSize is not sizeof(WS_SERVICE_PROXY_STATE)");
    *(WS_SERVICE_PROXY_STATE *)value = serviceProxy->state;
    return S_OK;
}

/* ---- WsCall ------------------------------------------------------------------ */
/* the ARRAY and ARRAY_COUNT parameters of array field i (in: of the input
 * message); false when the operation does not have both */
static bool array_params(const WS_OPERATION_DESCRIPTION *op, ULONG field, bool in, int *items, int *count)
{
    *items = *count = -1;
    for (USHORT p = 0; p < op->parameterCount; p++) {
        const WS_PARAMETER_DESCRIPTION *d = &op->parameterDescription[p];
        if ((in ? d->inputMessageIndex : d->outputMessageIndex) != field) continue;
        if (d->parameterType == WS_PARAMETER_TYPE_ARRAY) *items = p;
        else if (d->parameterType == WS_PARAMETER_TYPE_ARRAY_COUNT) *count = p;
    }
    return *items >= 0 && *count >= 0;
}

/* a stand-in for the wrapper struct holding an array field: its items
 * pointer and count at the field's offsets */
static void *array_base(const WS_FIELD_DESCRIPTION *f)
{
    size_t n = f->offset + sizeof(void *);
    if (f->countOffset + sizeof(ULONG) > n) n = f->countOffset + sizeof(ULONG);
    return ntcp_calloc(1, n);
}

static HRESULT check_wrapper(const WS_ELEMENT_DESCRIPTION *d, const char *which, WS_ERROR *error)
{
    if (!d) return S_OK;
    if (d->type != WS_STRUCT_TYPE || !d->typeDescription || !d->elementLocalName || !d->elementNs)
        return ntcp__wws_fail(error, E_NOTIMPL, NTCP_CAUSE_UNSUPPORTED,
                              "WsCall: the %s body is not a wrapper struct element (WS_STRUCT_TYPE with a name): "
                              "only non-RPC literal operations with wrapper elements are implemented", which);
    const WS_STRUCT_DESCRIPTION *sd = d->typeDescription;
    if (sd->fieldCount && !sd->fields) return proxy_bad(error, E_INVALIDARG, "WsCall: a struct without its fields");
    if (sd->subTypeCount || sd->parentType)
        return ntcp__wws_notimpl(error, "WsCall with struct subtypes");
    for (ULONG i = 0; i < sd->fieldCount; i++) {
        HRESULT hr = ntcp__wws_field_supported(sd->fields[i], error);
        if (FAILED(hr)) return hr;
        if (sd->fields[i]->mapping != WS_ELEMENT_FIELD_MAPPING &&
            sd->fields[i]->mapping != WS_REPEATING_ELEMENT_FIELD_MAPPING) /* the latter: ARRAY + ARRAY_COUNT parameters */
            return ntcp__wws_notimpl(error, "WsCall with wrapper fields other than elements and repeating elements");
    }
    return S_OK;
}

static HRESULT write_input(ntcp_buf *body, const WS_OPERATION_DESCRIPTION *op, const void **args, WS_ERROR *error)
{
    const WS_ELEMENT_DESCRIPTION *d = op->inputMessageDescription->bodyElementDescription;
    if (!d) return S_OK;
    const WS_STRUCT_DESCRIPTION *sd = d->typeDescription;
    if (ntcp_buf_append(body, "<", 1) || ntcp_buf_append(body, d->elementLocalName->bytes, d->elementLocalName->length) ||
        ntcp_buf_append(body, " xmlns=\"", 8) || ntcp_buf_append(body, d->elementNs->bytes, d->elementNs->length) ||
        ntcp_buf_append(body, "\">", 2))
        return proxy_bad(error, WS_E_QUOTA_EXCEEDED, "WsCall: the request body is too large");
    for (ULONG i = 0; i < sd->fieldCount; i++) {
        const WS_FIELD_DESCRIPTION *f = sd->fields[i];
        if (f->mapping == WS_REPEATING_ELEMENT_FIELD_MAPPING) { /* args: &items (T**), &count (ULONG*) */
            int pi, pc;
            if (!array_params(op, i, true, &pi, &pc) || !args || !args[pi] || !args[pc])
                return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT,
                                      "WsCall: the array field '%.*s' needs an ARRAY and an ARRAY_COUNT argument",
                                      (int)f->itemLocalName->length, (const char *)f->itemLocalName->bytes);
            BYTE *base = array_base(f);
            if (!base) return proxy_bad(error, E_OUTOFMEMORY, "WsCall: out of memory");
            memcpy(base + f->offset, args[pi], sizeof(void *));
            memcpy(base + f->countOffset, args[pc], sizeof(ULONG));
            HRESULT hr = ntcp__wws_write_array(body, f, base, 1, error);
            ntcp_free(base);
            if (FAILED(hr)) return hr;
            continue;
        }
        int p = ntcp__wws_param_for(op, i, true);
        if (p < 0 || !args || !args[p])
            return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT,
                                  "WsCall: no argument for the request field '%.*s'", (int)f->localName->length,
                                  (const char *)f->localName->bytes);
        if (op->parameterDescription[p].parameterType != WS_PARAMETER_TYPE_NORMAL)
            return ntcp__wws_notimpl(error, "WsCall with array or message parameters");
        /* the argument points at the field's value (WS_FIELD_POINTER: at a pointer to it) */
        const void *v = args[p];
        if (f->options & WS_FIELD_POINTER) v = *(const void *const *)v;
        if (!v || (f->type == WS_WSZ_TYPE && !*(const WCHAR *const *)v)) {
            if (f->options & WS_FIELD_OPTIONAL) continue;
            return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT,
                                  "WsCall: the argument for '%.*s' is NULL", (int)f->localName->length,
                                  (const char *)f->localName->bytes);
        }
        HRESULT hr = ntcp__wws_write_typed(body, f->localName, f->ns, f->type, f->typeDescription, v, 1, error);
        if (FAILED(hr)) return hr;
    }
    if (ntcp_buf_append(body, "</", 2) || ntcp_buf_append(body, d->elementLocalName->bytes, d->elementLocalName->length) ||
        ntcp_buf_append(body, ">", 1))
        return proxy_bad(error, WS_E_QUOTA_EXCEEDED, "WsCall: the request body is too large");
    return S_OK;
}

static HRESULT read_output(const char *xml, size_t len, const WS_OPERATION_DESCRIPTION *op, const void **args,
                           WS_HEAP *heap, WS_ERROR *error)
{
    const WS_ELEMENT_DESCRIPTION *d = op->outputMessageDescription->bodyElementDescription;
    if (!d) return S_OK;
    const WS_STRUCT_DESCRIPTION *sd = d->typeDescription;
    void *doc;
    const void *elem;
    HRESULT hr = ntcp__wws_body_element(xml, len, d, "WsCall: the reply body", &doc, &elem, error);
    if (FAILED(hr)) return hr;
    xmlDocPtr x = doc;
    xmlNodePtr w = (xmlNodePtr)elem;
    for (ULONG i = 0; i < sd->fieldCount && SUCCEEDED(hr); i++) {
        const WS_FIELD_DESCRIPTION *f = sd->fields[i];
        if (f->mapping == WS_REPEATING_ELEMENT_FIELD_MAPPING) { /* args: &itemsOut (T***), &countOut (ULONG**) */
            int pi, pc;
            if (!array_params(op, i, false, &pi, &pc)) continue; /* not wanted */
            void *items_dst = args && args[pi] ? *(void *const *)args[pi] : NULL;
            void *count_dst = args && args[pc] ? *(void *const *)args[pc] : NULL;
            if (!items_dst || !count_dst) {
                hr = ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT,
                                    "WsCall: no place for the reply array '%.*s'", (int)f->itemLocalName->length,
                                    (const char *)f->itemLocalName->bytes);
                break;
            }
            BYTE *base = array_base(f);
            if (!base) {
                hr = proxy_bad(error, E_OUTOFMEMORY, "WsCall: out of memory");
                break;
            }
            hr = ntcp__wws_read_array(w, f, heap, base, 1, error);
            if (SUCCEEDED(hr)) {
                memcpy(items_dst, base + f->offset, sizeof(void *));
                memcpy(count_dst, base + f->countOffset, sizeof(ULONG));
            }
            ntcp_free(base);
            continue;
        }
        int p = ntcp__wws_param_for(op, i, false);
        if (p < 0) continue; /* read and dropped */
        void *dst = args && args[p] ? *(void *const *)args[p] : NULL; /* output parameters: pointers to pointers */
        if (!dst) {
            hr = ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT,
                                "WsCall: no place for the reply field '%.*s'", (int)f->localName->length,
                                (const char *)f->localName->bytes);
            break;
        }
        hr = ntcp__wws_read_field(w, f, heap, dst, 1, error);
    }
    xmlFreeDoc(x);
    return hr;
}

HRESULT WINAPI WsCall(WS_SERVICE_PROXY *serviceProxy, const WS_OPERATION_DESCRIPTION *operation,
                      const void **arguments, WS_HEAP *heap, const WS_CALL_PROPERTY *callProperties,
                      ULONG callPropertyCount, const WS_ASYNC_CONTEXT *asyncContext, WS_ERROR *error)
{
    (void)asyncContext; /* completed before returning */
    if (!serviceProxy || !operation || !operation->inputMessageDescription || !heap ||
        (operation->parameterCount && !operation->parameterDescription))
        return proxy_bad(error, E_INVALIDARG, "WsCall: NULL argument (proxy, operation, input message or heap)");
    if (serviceProxy->state != WS_SERVICE_PROXY_STATE_OPEN)
        return proxy_bad(error, WS_E_INVALID_OPERATION, "WsCall: the proxy is not open");
    if (callPropertyCount || callProperties)
        return ntcp__wws_notimpl(error, "WsCall with call properties");
    if (operation->style != WS_NON_RPC_LITERAL_OPERATION)
        return ntcp__wws_notimpl(error, "WsCall for WS_RPC_LITERAL_OPERATION");
    if (!operation->outputMessageDescription)
        return ntcp__wws_notimpl(error, "WsCall for one-way operations");
    if (!operation->inputMessageDescription->action || !operation->outputMessageDescription->action)
        return proxy_bad(error, E_INVALIDARG, "WsCall: the message descriptions need their actions");
    HRESULT hr = check_wrapper(operation->inputMessageDescription->bodyElementDescription, "request", error);
    if (SUCCEEDED(hr)) hr = check_wrapper(operation->outputMessageDescription->bodyElementDescription, "reply", error);
    if (FAILED(hr)) return hr;
    WS_MESSAGE *req = serviceProxy->request, *rep = serviceProxy->reply;
    (void)WsResetMessage(req, NULL);
    (void)WsResetMessage(rep, NULL);
    hr = ntcp__wws_message_set_action(req, operation->inputMessageDescription->action, error);
    if (SUCCEEDED(hr)) hr = write_input(&req->body, operation, arguments, error);
    if (SUCCEEDED(hr)) hr = ntcp__wws_channel_call(serviceProxy->channel, req, rep, error);
    if (FAILED(hr)) {
        WS_CHANNEL_STATE st;
        if (SUCCEEDED(WsGetChannelProperty(serviceProxy->channel, WS_CHANNEL_PROPERTY_STATE, &st, sizeof st, NULL)) &&
            st == WS_CHANNEL_STATE_FAULTED)
            serviceProxy->state = WS_SERVICE_PROXY_STATE_FAULTED;
        return hr;
    }
    char *want = ntcp__wws_xml_str(operation->outputMessageDescription->action);
    if (!want || !rep->action || strcmp(want, rep->action))
        hr = ntcp__wws_fail(error, WS_E_INVALID_FORMAT, NTCP_CAUSE_PROTOCOL,
                            "WsCall: the reply's action is '%s', the operation expects '%s'",
                            rep->action ? rep->action : "", want ? want : "");
    ntcp_free(want);
    if (SUCCEEDED(hr)) hr = read_output((const char *)rep->body.data, rep->body.len, operation, arguments, heap, error);
    return hr;
}

/* WsCall's bodies without the network (tests): the request body from the
 * arguments, and a reply body into them */
HRESULT ntcp__wws_call_write_input(ntcp_buf *body, const WS_OPERATION_DESCRIPTION *op, const void **args, WS_ERROR *error)
{
    HRESULT hr = check_wrapper(op->inputMessageDescription->bodyElementDescription, "request", error);
    return FAILED(hr) ? hr : write_input(body, op, args, error);
}

HRESULT ntcp__wws_call_read_output(const char *xml, size_t len, const WS_OPERATION_DESCRIPTION *op, const void **args,
                                   WS_HEAP *heap, WS_ERROR *error)
{
    HRESULT hr = check_wrapper(op->outputMessageDescription->bodyElementDescription, "reply", error);
    return FAILED(hr) ? hr : read_output(xml, len, op, args, heap, error);
}
