/* nettcp WWSAPI: the service host. A WS_SERVICE_HOST is nettcp's service
 * (service.h) on a thread of its own: each WS_SERVICE_ENDPOINT is one of its
 * endpoints, each operation of the endpoint's contract one of its
 * operations. A request is read into a parameter frame laid out as the C
 * compiler lays out the struct wsutil generates for the operation (one
 * member per parameter, in order, of its field's type), the wsutil stub is
 * called with it and the function table's entry, and the output parameters
 * are written back as the reply's wrapper element; a failing HRESULT becomes
 * a SOAP fault made from the WS_ERROR. */
#include "wws_channel.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <nettcp/service.h>
#include <nettcp/wws/nettcp_wws.h>

#define NO_INDEX 0xffff
#define DEFAULT_BODY_HEAP (256u * 1024u) /* bytes a call's heap may give out */
#define GENERIC_REASON "The server was unable to process the request."
#define WSSE_NS "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"

struct host_ep;

struct host_op {
    struct host_ep *ep;
    const WS_OPERATION_DESCRIPTION *op;
    const void *fn; /* the function table's entry */
    size_t frame_size;
    size_t *offsets; /* of each parameter in the frame */
};

struct host_ep {
    WS_SERVICE_HOST *host;
    const WS_SERVICE_ENDPOINT *ep;
    struct wws_security sec;
    SIZE_T heap_max, heap_trim;
    struct host_op *ops;
    ULONG nops;
    struct host_op dflt; /* the default message handler: op NULL */
    ntcp_url url;
    int port;
};

struct _WS_SERVICE_HOST {
    WS_SERVICE_HOST_STATE state;
    struct host_ep *eps;
    USHORT neps;
    void *user_state;
    WS_FAULT_DISCLOSURE disclosure;
    ntcp_service *svc;
    pthread_t thread;
    bool running;
};

struct _WS_OPERATION_CONTEXT {
    struct host_ep *ep;
    ntcp_call *call;
    WS_HEAP *heap;
    WS_MESSAGE *in, *out;
    WS_CHANNEL *channel; /* made when asked for */
    bool replied;        /* the default message handler sent its reply (WsSendReplyMessage) */
};

static HRESULT bad(WS_ERROR *error, HRESULT hr, const char *what)
{
    return ntcp__wws_fail(error, hr, hr == E_OUTOFMEMORY ? NTCP_CAUSE_OUT_OF_MEMORY
                                    : hr == E_INVALIDARG ? NTCP_CAUSE_INVALID_ARGUMENT : NTCP_CAUSE_UNSUPPORTED,
                          "%s", what);
}

/* ---- the parameter frame ------------------------------------------------------ */
static const WS_FIELD_DESCRIPTION *wrapper_field(const WS_MESSAGE_DESCRIPTION *m, USHORT index)
{
    if (index == NO_INDEX || !m || !m->bodyElementDescription) return NULL;
    const WS_STRUCT_DESCRIPTION *sd = m->bodyElementDescription->typeDescription;
    return sd && index < sd->fieldCount ? sd->fields[index] : NULL;
}

/* the size and alignment of a field's value, as a struct member of its C type */
static size_t field_size(const WS_FIELD_DESCRIPTION *f, size_t *align)
{
    if (f->options & WS_FIELD_POINTER) {
        *align = _Alignof(void *);
        return sizeof(void *);
    }
    switch (f->type) {
    case WS_WSZ_TYPE: *align = _Alignof(WCHAR *); return sizeof(WCHAR *);
    case WS_STRING_TYPE: *align = _Alignof(WS_STRING); return sizeof(WS_STRING);
    case WS_STRUCT_TYPE: {
        const WS_STRUCT_DESCRIPTION *sd = f->typeDescription;
        if (!sd) return 0;
        *align = sd->alignment ? sd->alignment : 1;
        return sd->size;
    }
    default: {
        size_t n = ntcp__wws_value_size(f->type);
        *align = n ? n : 1;
        return n;
    }
    }
}

static HRESULT check_body(const WS_MESSAGE_DESCRIPTION *m, const char *which, WS_ERROR *error)
{
    if (!m || !m->bodyElementDescription) return S_OK;
    const WS_ELEMENT_DESCRIPTION *d = m->bodyElementDescription;
    if (d->type != WS_STRUCT_TYPE || !d->typeDescription || !d->elementLocalName || !d->elementNs)
        return ntcp__wws_fail(error, E_NOTIMPL, NTCP_CAUSE_UNSUPPORTED,
                              "WsOpenServiceHost: the %s body of an operation is not a wrapper struct element: only "
                              "non-RPC literal operations with wrapper elements are implemented", which);
    const WS_STRUCT_DESCRIPTION *sd = d->typeDescription;
    if (sd->fieldCount && !sd->fields) return bad(error, E_INVALIDARG, "WsOpenServiceHost: a struct without its fields");
    if (sd->subTypeCount || sd->parentType) return ntcp__wws_notimpl(error, "service operations with struct subtypes");
    for (ULONG i = 0; i < sd->fieldCount; i++) {
        HRESULT hr = ntcp__wws_field_supported(sd->fields[i], error);
        if (FAILED(hr)) return hr;
        if (sd->fields[i]->mapping != WS_ELEMENT_FIELD_MAPPING)
            return ntcp__wws_notimpl(error, "service operations with array parameters (a repeating element in the wrapper)");
    }
    return S_OK;
}

static HRESULT op_prepare(struct host_op *ho, WS_ERROR *error)
{
    const WS_OPERATION_DESCRIPTION *op = ho->op;
    if (!op || !op->inputMessageDescription || !op->inputMessageDescription->action ||
        (op->parameterCount && !op->parameterDescription) || !op->stubCallback)
        return bad(error, E_INVALIDARG, "WsOpenServiceHost: an operation needs its input message, action, "
                                        "parameters and stub");
    if (op->style != WS_NON_RPC_LITERAL_OPERATION)
        return ntcp__wws_notimpl(error, "service operations of WS_RPC_LITERAL_OPERATION style");
    if (!op->outputMessageDescription) return ntcp__wws_notimpl(error, "one-way service operations");
    if (!op->outputMessageDescription->action)
        return bad(error, E_INVALIDARG, "WsOpenServiceHost: the output message needs its action");
    HRESULT hr = check_body(op->inputMessageDescription, "input", error);
    if (SUCCEEDED(hr)) hr = check_body(op->outputMessageDescription, "output", error);
    if (FAILED(hr)) return hr;
    ho->offsets = ntcp_calloc(op->parameterCount + 1u, sizeof *ho->offsets);
    if (!ho->offsets) return bad(error, E_OUTOFMEMORY, "WsOpenServiceHost: out of memory");
    size_t off = 0, max_align = 1;
    for (USHORT p = 0; p < op->parameterCount; p++) {
        const WS_PARAMETER_DESCRIPTION *pd = &op->parameterDescription[p];
        if (pd->parameterType != WS_PARAMETER_TYPE_NORMAL)
            return ntcp__wws_notimpl(error, "service operations with array or message parameters");
        const WS_FIELD_DESCRIPTION *f = wrapper_field(op->inputMessageDescription, pd->inputMessageIndex);
        if (!f) f = wrapper_field(op->outputMessageDescription, pd->outputMessageIndex);
        if (!f) return bad(error, E_INVALIDARG, "WsOpenServiceHost: a parameter maps to no field of either message");
        size_t align = 1, size = field_size(f, &align);
        if (!size) return ntcp__wws_notimpl(error, "a service operation parameter of this WS_TYPE");
        off = (off + align - 1) / align * align;
        ho->offsets[p] = off;
        off += size;
        if (align > max_align) max_align = align;
    }
    ho->frame_size = (off + max_align - 1) / max_align * max_align;
    return S_OK;
}

static HRESULT read_input(const struct host_op *ho, const char *xml, size_t len, WS_HEAP *heap, BYTE *frame,
                          WS_ERROR *error)
{
    const WS_ELEMENT_DESCRIPTION *d = ho->op->inputMessageDescription->bodyElementDescription;
    if (!d) return S_OK;
    const WS_STRUCT_DESCRIPTION *sd = d->typeDescription;
    void *doc;
    const void *elem;
    HRESULT hr = ntcp__wws_body_element(xml, len, d, "the request body", &doc, &elem, error);
    if (FAILED(hr)) return hr;
    xmlDocPtr x = doc;
    xmlNodePtr w = (xmlNodePtr)elem;
    for (ULONG i = 0; i < sd->fieldCount && SUCCEEDED(hr); i++) {
        int p = ntcp__wws_param_for(ho->op, i, true);
        if (p < 0) continue;
        hr = ntcp__wws_read_field(w, sd->fields[i], heap, frame + ho->offsets[p], 1, error);
    }
    xmlFreeDoc(x);
    return hr;
}

static HRESULT write_output(const struct host_op *ho, const BYTE *frame, ntcp_buf *body, WS_ERROR *error)
{
    const WS_ELEMENT_DESCRIPTION *d = ho->op->outputMessageDescription->bodyElementDescription;
    if (!d) return S_OK;
    const WS_STRUCT_DESCRIPTION *sd = d->typeDescription;
    if (ntcp_buf_append(body, "<", 1) || ntcp_buf_append(body, d->elementLocalName->bytes, d->elementLocalName->length) ||
        ntcp_buf_append(body, " xmlns=\"", 8) || ntcp_buf_append(body, d->elementNs->bytes, d->elementNs->length) ||
        ntcp_buf_append(body, "\">", 2))
        return bad(error, WS_E_QUOTA_EXCEEDED, "the reply body is too large");
    for (ULONG i = 0; i < sd->fieldCount; i++) {
        const WS_FIELD_DESCRIPTION *f = sd->fields[i];
        int p = ntcp__wws_param_for(ho->op, i, false);
        if (p < 0) continue;
        const void *v = frame + ho->offsets[p];
        if (f->options & WS_FIELD_POINTER) v = *(const void *const *)v;
        if (!v || (f->type == WS_WSZ_TYPE && !*(const WCHAR *const *)v)) {
            if (f->options & WS_FIELD_OPTIONAL) continue;
            return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT,
                                  "the operation left the output '%.*s' NULL", (int)f->localName->length,
                                  (const char *)f->localName->bytes);
        }
        HRESULT hr = ntcp__wws_write_typed(body, f->localName, f->ns, f->type, f->typeDescription, v, 1, error);
        if (FAILED(hr)) return hr;
    }
    if (ntcp_buf_append(body, "</", 2) || ntcp_buf_append(body, d->elementLocalName->bytes, d->elementLocalName->length) ||
        ntcp_buf_append(body, ">", 1))
        return bad(error, WS_E_QUOTA_EXCEEDED, "the reply body is too large");
    return S_OK;
}

HRESULT ntcp__wws_host_frame(const WS_OPERATION_DESCRIPTION *op, const char *xml, size_t len, WS_HEAP *heap,
                             ntcp_buf *out, WS_ERROR *error)
{
    struct host_op ho;
    memset(&ho, 0, sizeof ho);
    ho.op = op;
    HRESULT hr = op_prepare(&ho, error);
    BYTE *frame = SUCCEEDED(hr) ? ntcp_calloc(1, ho.frame_size ? ho.frame_size : 1) : NULL;
    if (SUCCEEDED(hr) && !frame) hr = bad(error, E_OUTOFMEMORY, "out of memory");
    if (SUCCEEDED(hr)) hr = read_input(&ho, xml, len, heap, frame, error);
    if (SUCCEEDED(hr)) hr = write_output(&ho, frame, out, error);
    ntcp_free(frame);
    ntcp_free(ho.offsets);
    return hr;
}

/* ---- faults ------------------------------------------------------------------- */
static char *xml_dup(const WS_XML_STRING *s)
{
    return s && s->length ? ntcp__wws_xml_str(s) : NULL;
}

/* the error's strings, index 0 first, one per line */
static char *error_text(WS_ERROR *error)
{
    ntcp_buf b;
    ntcp_buf_init(&b, 1u << 20);
    for (ULONG i = 0; error && i < error->count; i++) {
        WS_STRING s;
        if (FAILED(WsGetErrorString(error, i, &s))) break;
        char *u = ntcp__wws_to_utf8(s.chars, s.length);
        if (u) {
            if ((b.len && ntcp_buf_append(&b, "\n", 1)) || ntcp_buf_append(&b, u, strlen(u))) {
                ntcp_free(u);
                break;
            }
            ntcp_free(u);
        }
    }
    if (!b.len || ntcp_buf_append(&b, "", 1)) {
        ntcp_buf_free(&b);
        return NULL;
    }
    return (char *)b.data;
}

/* a failed operation: the fault the WS_ERROR holds, or one made from its strings */
static ntcp_status send_fault(WS_SERVICE_HOST *h, ntcp_call *call, HRESULT hr, WS_ERROR *error)
{
    const WS_FAULT *f = error ? error->fault : NULL;
    char *code = NULL, *sub = NULL, *reason = NULL, *detail = NULL, *action = NULL;
    const char *code_s = "Receiver";
    if (f && f->code) {
        code = xml_dup(&f->code->value.localName);
        if (code) code_s = code;
        if (f->code->subCode) {
            char *l = xml_dup(&f->code->subCode->value.localName), *n = xml_dup(&f->code->subCode->value.ns);
            if (l) {
                size_t len = strlen(l) + (n ? strlen(n) : 0) + 3;
                sub = ntcp_malloc(len);
                if (sub) snprintf(sub, len, "{%s}%s", n ? n : "", l);
            }
            ntcp_free(l);
            ntcp_free(n);
        }
    }
    if (f && f->reasonCount && f->reasons) reason = ntcp__wws_to_utf8(f->reasons[0].text.chars, f->reasons[0].text.length);
    if (!reason && h->disclosure == WS_FULL_FAULT_DISCLOSURE) reason = error_text(error);
    char fallback[96];
    if (!reason && h->disclosure == WS_FULL_FAULT_DISCLOSURE)
        snprintf(fallback, sizeof fallback, "The operation failed with HRESULT 0x%08x.", (unsigned)hr);
    else
        snprintf(fallback, sizeof fallback, "%s", GENERIC_REASON);
    if (f && f->detail && f->detail->len) {
        detail = ntcp_malloc((size_t)f->detail->len + 1);
        if (detail) {
            memcpy(detail, f->detail->data, f->detail->len);
            detail[f->detail->len] = 0;
        }
    }
    if (error) action = xml_dup(&error->fault_action);
    const char *subs[2] = { sub, NULL };
    ntcp_status st = ntcp_call_fault(call, code_s, sub ? subs : NULL, reason ? reason : fallback, detail);
    if (st == NTCP_OK && action) st = ntcp_call_reply_action(call, action);
    ntcp_free(code), ntcp_free(sub), ntcp_free(reason), ntcp_free(detail), ntcp_free(action);
    return st;
}

/* ---- a call ------------------------------------------------------------------- */
static ntcp_status on_call(void *ctx, ntcp_call *call)
{
    struct host_op *ho = ctx;
    struct host_ep *ep = ho->ep;
    WS_SERVICE_HOST *h = ep->host;
    struct _WS_OPERATION_CONTEXT oc;
    memset(&oc, 0, sizeof oc);
    oc.ep = ep;
    oc.call = call;
    WS_ERROR *error = NULL;
    BYTE *frame = NULL;
    ntcp_buf body;
    ntcp_buf_init(&body, 64u << 20);
    ntcp_status st = NTCP_E_NOMEM;
    if (FAILED(WsCreateError(NULL, 0, &error)) || FAILED(WsCreateHeap(ep->heap_max, ep->heap_trim, NULL, 0, &oc.heap, NULL)) ||
        FAILED(WsCreateMessage(WS_ENVELOPE_VERSION_SOAP_1_2, WS_ADDRESSING_VERSION_1_0, NULL, 0, &oc.in, NULL)) ||
        FAILED(WsCreateMessage(WS_ENVELOPE_VERSION_SOAP_1_2, WS_ADDRESSING_VERSION_1_0, NULL, 0, &oc.out, NULL)))
        goto out;
    const char *xml = NULL;
    size_t len = 0;
    if (ntcp_call_body_text(call, &xml, &len) != NTCP_OK) goto out;
    const char *action = ntcp_call_action(call);
    oc.in->action = ntcp_strndup(action ? action : "", action ? strlen(action) : 0);
    if (!oc.in->action || (len && ntcp_buf_append(&oc.in->body, xml, len))) goto out;
    const char *mid = ntcp_call_message_id(call);
    if (mid && !(oc.in->message_id = ntcp_strndup(mid, strlen(mid)))) goto out;
    oc.in->state = WS_MESSAGE_STATE_READING; /* its headers read, as the service model hands it over */
    const ntcp_caller *caller = ntcp_call_caller(call);
    if (ep->sec.secure && caller) oc.in->windows_token = caller;
    oc.out->state = WS_MESSAGE_STATE_INITIALIZED;

    if (ep->ep->authorizationCallback) {
        BOOL authorized = FALSE;
        HRESULT hr = ep->ep->authorizationCallback(&oc, &authorized, error);
        if (FAILED(hr) || !authorized) {
            static const char *const denied[] = { "{" WSSE_NS "}FailedAuthentication", NULL };
            st = ntcp_call_fault(call, "Sender", denied, "Access is denied.", NULL);
            goto out;
        }
    }
    if (!ho->op) { /* the default message handler: it replies with WsSendReplyMessage on the context's channel */
        HRESULT hr = ep->ep->contract->defaultMessageHandlerCallback(&oc, NULL, error);
        if (FAILED(hr))
            st = send_fault(h, call, hr, error);
        else if (!oc.replied) { /* no reply sent: an empty one, with the request's action + "Response" */
            size_t n = strlen(oc.in->action) + sizeof "Response";
            char *ra = ntcp_malloc(n);
            st = NTCP_E_NOMEM;
            if (ra) {
                snprintf(ra, n, "%sResponse", oc.in->action);
                st = ntcp_call_reply_action(call, ra);
                ntcp_free(ra);
            }
        } else
            st = NTCP_OK;
        goto out;
    }
    frame = ntcp_calloc(1, ho->frame_size ? ho->frame_size : 1);
    if (!frame) goto out;
    HRESULT hr = read_input(ho, xml, len, oc.heap, frame, error);
    if (FAILED(hr)) { /* the request does not fit the contract: the sender's fault */
        char *why = error_text(error);
        st = ntcp_call_fault(call, "Sender", NULL,
                             h->disclosure == WS_FULL_FAULT_DISCLOSURE && why ? why
                                 : "The request could not be read as the operation's input.",
                             NULL);
        ntcp_free(why);
        goto out;
    }
    hr = ho->op->stubCallback(&oc, frame, ho->fn, NULL, error);
    if (SUCCEEDED(hr)) hr = write_output(ho, frame, &body, error);
    if (FAILED(hr)) {
        st = send_fault(h, call, hr, error);
        goto out;
    }
    st = body.len ? ntcp_call_reply_text(call, (const char *)body.data, body.len) : NTCP_OK;
out:
    ntcp_buf_free(&body);
    ntcp_free(frame);
    if (oc.in) oc.in->windows_token = NULL;
    WsFreeMessage(oc.in);
    WsFreeMessage(oc.out);
    WsFreeChannel(oc.channel);
    WsFreeHeap(oc.heap);
    WsFreeError(error);
    return st;
}

/* ---- the host ----------------------------------------------------------------- */
static void host_clear(WS_SERVICE_HOST *h)
{
    for (USHORT i = 0; h->eps && i < h->neps; i++) {
        struct host_ep *ep = &h->eps[i];
        for (ULONG j = 0; ep->ops && j < ep->nops; j++) ntcp_free(ep->ops[j].offsets);
        ntcp_free(ep->ops);
        ep->ops = NULL;
        ep->nops = 0;
        ep->port = 0;
    }
    ntcp_service_free(h->svc);
    h->svc = NULL;
}

HRESULT WINAPI WsCreateServiceHost(const WS_SERVICE_ENDPOINT **endpoints, const USHORT endpointCount,
                                   const WS_SERVICE_PROPERTY *serviceProperties, ULONG servicePropertyCount,
                                   WS_SERVICE_HOST **serviceHost, WS_ERROR *error)
{
    if (!serviceHost || !endpoints || !endpointCount || (servicePropertyCount && !serviceProperties))
        return bad(error, E_INVALIDARG, "WsCreateServiceHost: NULL argument or no endpoint");
    WS_SERVICE_HOST *h = ntcp_calloc(1, sizeof *h);
    if (!h || !(h->eps = ntcp_calloc(endpointCount, sizeof *h->eps))) {
        ntcp_free(h);
        return bad(error, E_OUTOFMEMORY, "WsCreateServiceHost: out of memory");
    }
    h->neps = endpointCount;
    h->disclosure = WS_MINIMAL_FAULT_DISCLOSURE;
    HRESULT hr = S_OK;
    for (ULONG i = 0; i < servicePropertyCount && SUCCEEDED(hr); i++) {
        const WS_SERVICE_PROPERTY *p = &serviceProperties[i];
        if (p->id == WS_SERVICE_PROPERTY_HOST_USER_STATE && p->valueSize == sizeof(void *) && p->value)
            h->user_state = *(void *const *)p->value;
        else if (p->id == WS_SERVICE_PROPERTY_FAULT_DISCLOSURE && p->valueSize == sizeof(WS_FAULT_DISCLOSURE) && p->value)
            h->disclosure = *(const WS_FAULT_DISCLOSURE *)p->value;
        else if (p->id == WS_SERVICE_PROPERTY_FAULT_LANGID || p->id == WS_SERVICE_PROPERTY_CLOSE_TIMEOUT)
            continue; /* English faults; the close waits for running calls (service.h) */
        else
            hr = ntcp__wws_fail(error, E_NOTIMPL, NTCP_CAUSE_UNSUPPORTED,
                                "WsCreateServiceHost: service property %d (or its size) is not implemented", (int)p->id);
    }
    for (USHORT i = 0; i < endpointCount && SUCCEEDED(hr); i++) {
        const WS_SERVICE_ENDPOINT *e = endpoints[i];
        struct host_ep *ep = &h->eps[i];
        ep->host = h;
        ep->ep = e;
        ep->heap_max = DEFAULT_BODY_HEAP;
        ep->heap_trim = 4096;
        if (!e || !e->contract || !e->address.url.chars) {
            hr = bad(error, E_INVALIDARG, "WsCreateServiceHost: an endpoint needs its address and contract");
            break;
        }
        if (e->channelBinding != WS_TCP_CHANNEL_BINDING) {
            hr = bad(error, E_NOTIMPL, "WsCreateServiceHost: only WS_TCP_CHANNEL_BINDING (net.tcp) endpoints are implemented");
            break;
        }
        if (e->channelType != WS_CHANNEL_TYPE_DUPLEX_SESSION) {
            hr = bad(error, WS_E_NOT_SUPPORTED, "WsCreateServiceHost: a TCP endpoint is WS_CHANNEL_TYPE_DUPLEX_SESSION");
            break;
        }
        if (e->contract->contractDescription ? !e->contract->methodTable : !e->contract->defaultMessageHandlerCallback) {
            hr = bad(error, E_INVALIDARG, "WsCreateServiceHost: a contract needs its description and function table, "
                                          "or a default message handler");
            break;
        }
        for (ULONG j = 0; j < e->propertyCount && SUCCEEDED(hr); j++) {
            const WS_SERVICE_ENDPOINT_PROPERTY *p = &e->properties[j];
            if ((p->id == WS_SERVICE_ENDPOINT_PROPERTY_BODY_HEAP_MAX_SIZE ||
                 p->id == WS_SERVICE_ENDPOINT_PROPERTY_BODY_HEAP_TRIM_SIZE) && p->value && p->valueSize == sizeof(SIZE_T))
                *(p->id == WS_SERVICE_ENDPOINT_PROPERTY_BODY_HEAP_MAX_SIZE ? &ep->heap_max : &ep->heap_trim) =
                    *(const SIZE_T *)p->value;
            else if (p->id == WS_SERVICE_ENDPOINT_PROPERTY_MAX_ACCEPTING_CHANNELS ||
                     p->id == WS_SERVICE_ENDPOINT_PROPERTY_MAX_CONCURRENCY)
                continue; /* nettcp's service accepts and runs as its options say */
            else
                hr = ntcp__wws_fail(error, E_NOTIMPL, NTCP_CAUSE_UNSUPPORTED,
                                    "WsCreateServiceHost: service endpoint property %d (or its size) is not implemented",
                                    (int)p->id);
        }
        if (SUCCEEDED(hr) && e->channelProperties.propertyCount)
            hr = ntcp__wws_notimpl(error, "channel properties on a service endpoint");
        if (SUCCEEDED(hr)) hr = ntcp__wws_security(e->securityDescription, true, &ep->sec, error);
    }
    if (FAILED(hr)) {
        WsFreeServiceHost(h);
        return hr;
    }
    h->state = WS_SERVICE_HOST_STATE_CREATED;
    *serviceHost = h;
    return S_OK;
}

static void *run(void *arg)
{
    WS_SERVICE_HOST *h = arg;
    ntcp_status st = ntcp_service_run(h->svc); /* returns after ntcp_service_stop */
    (void)st;
    return NULL;
}

static HRESULT open_endpoint(WS_SERVICE_HOST *h, struct host_ep *ep, WS_ERROR *error)
{
    static const WS_CONTRACT_DESCRIPTION none = { 0, NULL };
    const WS_CONTRACT_DESCRIPTION *cd = ep->ep->contract->contractDescription ? ep->ep->contract->contractDescription : &none;
    if (cd->operationCount && !cd->operations)
        return bad(error, E_INVALIDARG, "WsOpenServiceHost: a contract description without its operations");
    ep->ops = ntcp_calloc(cd->operationCount + 1u, sizeof *ep->ops);
    if (!ep->ops) return bad(error, E_OUTOFMEMORY, "WsOpenServiceHost: out of memory");
    ep->nops = cd->operationCount;
    const void *const *table = ep->ep->contract->methodTable; /* a struct of function pointers, in operation order */
    for (ULONG i = 0; i < cd->operationCount; i++) {
        ep->ops[i].ep = ep;
        ep->ops[i].op = cd->operations[i];
        ep->ops[i].fn = table[i];
        HRESULT hr = op_prepare(&ep->ops[i], error);
        if (FAILED(hr)) return hr;
    }
    char *url = ntcp__wws_to_utf8(ep->ep->address.url.chars, ep->ep->address.url.length);
    if (!url) return bad(error, E_INVALIDARG, "WsOpenServiceHost: the endpoint's URL is not valid Unicode");
    /* endpoints at port 0 on one host share the port the first of them took */
    const char *why = NULL;
    if (ntcp_url_parse(url, &ep->url, &why) != NTCP_OK) {
        HRESULT hr = ntcp__wws_fail(error, WS_E_INVALID_ENDPOINT_URL, NTCP_CAUSE_BAD_ADDRESS, "WsOpenServiceHost: '%s': %s",
                                    url, why ? why : "not a net.tcp URL");
        ntcp_free(url);
        return hr;
    }
    for (struct host_ep *o = h->eps; o < ep && !strcmp(ep->url.port, "0"); o++)
        if (o->port && !strcmp(o->url.port, "0") && !strcmp(o->url.host, ep->url.host)) {
            size_t n = strlen(url) + 8;
            char *u2 = ntcp_malloc(n);
            if (!u2) {
                ntcp_free(url);
                return bad(error, E_OUTOFMEMORY, "WsOpenServiceHost: out of memory");
            }
            bool v6 = strchr(ep->url.host, ':') != NULL;
            snprintf(u2, n, "net.tcp://%s%s%s:%d%s", v6 ? "[" : "", ep->url.host, v6 ? "]" : "", o->port, ep->url.path);
            ntcp_free(url);
            url = u2;
            break;
        }
    ntcp_endpoint_options eo;
    ntcp_endpoint_options_init(&eo, h->svc);
    eo.security = ep->sec.secure ? NTCP_SECURITY_TRANSPORT : NTCP_SECURITY_NONE;
    eo.credential = NTCP_CREDENTIAL_WINDOWS;
    if (ep->sec.secure) ntcp__wws_security_apply(&ep->sec, &eo.nns);
    ntcp_endpoint *nep = NULL;
    ntcp_status st = ntcp_service_add_endpoint(h->svc, url, &eo, &nep, &ep->port);
    if (st != NTCP_OK) {
        const ntcp_error *e = ntcp_service_error(h->svc);
        HRESULT hr;
        if (e && e->status != NTCP_OK)
            hr = ntcp__wws_fail_error(error, ntcp__wws_hresult(e), e);
        else
            hr = ntcp__wws_fail(error, st == NTCP_E_IO ? WS_E_ADDRESS_IN_USE : WS_E_INVALID_ENDPOINT_URL,
                                ntcp_cause_of_status(st), "WsOpenServiceHost: listening on '%s': %s (%s)", url,
                                ntcp_status_str(st), ntcp_status_name(st));
        ntcp_free(url);
        return hr;
    }
    ntcp_free(url);
    for (ULONG i = 0; i < ep->nops; i++) {
        const WS_OPERATION_DESCRIPTION *op = ep->ops[i].op;
        char *action = ntcp__wws_xml_str(op->inputMessageDescription->action);
        char *reply = ntcp__wws_xml_str(op->outputMessageDescription->action);
        st = action && reply ? ntcp_endpoint_add_operation(nep, action, reply, on_call, &ep->ops[i]) : NTCP_E_NOMEM;
        ntcp_free(action);
        ntcp_free(reply);
        if (st != NTCP_OK)
            return ntcp__wws_fail(error, st == NTCP_E_NOMEM ? E_OUTOFMEMORY : E_INVALIDARG, ntcp_cause_of_status(st),
                                  "WsOpenServiceHost: operation %u: %s (the same action twice?)", (unsigned)i,
                                  ntcp_status_str(st));
    }
    if (ep->ep->contract->defaultMessageHandlerCallback) { /* every other action */
        ep->dflt.ep = ep;
        st = ntcp_endpoint_add_operation(nep, "", "", on_call, &ep->dflt);
        if (st != NTCP_OK) return bad(error, E_OUTOFMEMORY, "WsOpenServiceHost: out of memory");
    }
    return S_OK;
}

HRESULT WINAPI WsOpenServiceHost(WS_SERVICE_HOST *serviceHost, const WS_ASYNC_CONTEXT *asyncContext, WS_ERROR *error)
{
    (void)asyncContext; /* completed before returning */
    WS_SERVICE_HOST *h = serviceHost;
    if (!h) return bad(error, E_INVALIDARG, "WsOpenServiceHost: NULL host");
    if (h->state != WS_SERVICE_HOST_STATE_CREATED)
        return bad(error, WS_E_INVALID_OPERATION, "WsOpenServiceHost: the host is not in the created state");
    h->state = WS_SERVICE_HOST_STATE_OPENING;
    ntcp_service_options o;
    ntcp_service_options_init(&o);
    o.security = NTCP_SECURITY_NONE; /* each endpoint has its own */
    /* WWSAPI has no string quota of its own: a text may be as long as the message (64 KiB by default) */
    o.xml.max_string_len = o.xml.max_size;
    HRESULT hr = S_OK;
    if (ntcp_service_new(&h->svc, &o) != NTCP_OK) hr = bad(error, E_OUTOFMEMORY, "WsOpenServiceHost: out of memory");
    for (USHORT i = 0; i < h->neps && SUCCEEDED(hr); i++) hr = open_endpoint(h, &h->eps[i], error);
    if (SUCCEEDED(hr) && pthread_create(&h->thread, NULL, run, h))
        hr = bad(error, E_OUTOFMEMORY, "WsOpenServiceHost: no thread for the host");
    if (FAILED(hr)) {
        host_clear(h);
        h->state = WS_SERVICE_HOST_STATE_FAULTED;
        return hr;
    }
    h->running = true;
    h->state = WS_SERVICE_HOST_STATE_OPEN;
    return S_OK;
}

static void host_stop(WS_SERVICE_HOST *h)
{
    if (h->running) {
        ntcp_service_stop(h->svc);
        pthread_join(h->thread, NULL);
        h->running = false;
    }
}

HRESULT WINAPI WsCloseServiceHost(WS_SERVICE_HOST *serviceHost, const WS_ASYNC_CONTEXT *asyncContext, WS_ERROR *error)
{
    (void)asyncContext;
    if (!serviceHost) return bad(error, E_INVALIDARG, "WsCloseServiceHost: NULL host");
    serviceHost->state = WS_SERVICE_HOST_STATE_CLOSING;
    host_stop(serviceHost); /* open sessions end once their running calls replied */
    host_clear(serviceHost);
    serviceHost->state = WS_SERVICE_HOST_STATE_CLOSED;
    return S_OK;
}

HRESULT WINAPI WsAbortServiceHost(WS_SERVICE_HOST *serviceHost, WS_ERROR *error)
{
    if (!serviceHost) return bad(error, E_INVALIDARG, "WsAbortServiceHost: NULL host");
    host_stop(serviceHost);
    host_clear(serviceHost);
    serviceHost->state = WS_SERVICE_HOST_STATE_CLOSED;
    return S_OK;
}

HRESULT WINAPI WsResetServiceHost(WS_SERVICE_HOST *serviceHost, WS_ERROR *error)
{
    if (!serviceHost) return bad(error, E_INVALIDARG, "WsResetServiceHost: NULL host");
    if (serviceHost->state == WS_SERVICE_HOST_STATE_OPEN || serviceHost->state == WS_SERVICE_HOST_STATE_OPENING)
        return bad(error, WS_E_INVALID_OPERATION, "WsResetServiceHost: close the host first");
    host_stop(serviceHost);
    host_clear(serviceHost);
    serviceHost->state = WS_SERVICE_HOST_STATE_CREATED;
    return S_OK;
}

void WINAPI WsFreeServiceHost(WS_SERVICE_HOST *serviceHost)
{
    if (!serviceHost) return;
    host_stop(serviceHost);
    host_clear(serviceHost);
    for (USHORT i = 0; serviceHost->eps && i < serviceHost->neps; i++) ntcp__wws_security_clear(&serviceHost->eps[i].sec);
    ntcp_free(serviceHost->eps);
    ntcp_free(serviceHost);
}

HRESULT WINAPI WsGetServiceHostProperty(WS_SERVICE_HOST *serviceHost, const WS_SERVICE_PROPERTY_ID id, void *value,
                                        ULONG valueSize, WS_ERROR *error)
{
    if (!serviceHost || !value) return bad(error, E_INVALIDARG, "WsGetServiceHostProperty: NULL argument");
    switch (id) {
    case WS_SERVICE_PROPERTY_HOST_STATE:
        if (valueSize != sizeof(WS_SERVICE_HOST_STATE)) break;
        *(WS_SERVICE_HOST_STATE *)value = serviceHost->state;
        return S_OK;
    case WS_SERVICE_PROPERTY_HOST_USER_STATE:
        if (valueSize != sizeof(void *)) break;
        *(void **)value = serviceHost->user_state;
        return S_OK;
    case WS_SERVICE_PROPERTY_FAULT_DISCLOSURE:
        if (valueSize != sizeof(WS_FAULT_DISCLOSURE)) break;
        *(WS_FAULT_DISCLOSURE *)value = serviceHost->disclosure;
        return S_OK;
    default:
        return ntcp__wws_fail(error, E_NOTIMPL, NTCP_CAUSE_UNSUPPORTED,
                              "WsGetServiceHostProperty: service property %d is not implemented", (int)id);
    }
    return bad(error, E_INVALIDARG, "WsGetServiceHostProperty: valueSize is not the property's size");
}

USHORT ntcp_wws_service_host_port(WS_SERVICE_HOST *serviceHost, USHORT endpointIndex)
{
    if (!serviceHost || serviceHost->state != WS_SERVICE_HOST_STATE_OPEN || endpointIndex >= serviceHost->neps) return 0;
    return (USHORT)serviceHost->eps[endpointIndex].port;
}

const char *ntcp_wws_token_principal(HANDLE token)
{
    return token ? ((const ntcp_caller *)token)->principal : NULL;
}

const char *ntcp_wws_token_package(HANDLE token)
{
    return token ? ((const ntcp_caller *)token)->package : NULL;
}

HRESULT ntcp__wws_host_reply(WS_CHANNEL *ch, WS_MESSAGE *m, WS_ERROR *error)
{
    WS_OPERATION_CONTEXT *c = ch->host_call;
    if (c->replied) return bad(error, WS_E_INVALID_OPERATION, "WsSendReplyMessage: the request was answered already");
    ntcp_status st = m->action ? ntcp_call_reply_action(c->call, m->action) : NTCP_OK;
    if (st == NTCP_OK && m->body.len) st = ntcp_call_reply_text(c->call, (const char *)m->body.data, m->body.len);
    if (st != NTCP_OK)
        return ntcp__wws_fail(error, st == NTCP_E_NOMEM ? E_OUTOFMEMORY : WS_E_INVALID_FORMAT, ntcp_cause_of_status(st),
                              "WsSendReplyMessage: %s (%s)", ntcp_status_str(st), ntcp_status_name(st));
    c->replied = true;
    m->state = WS_MESSAGE_STATE_DONE;
    return S_OK;
}

/* ---- the operation context ------------------------------------------------------ */
static HRESULT put(void *value, ULONG size, const void *src, ULONG need, WS_ERROR *error)
{
    if (!value || size != need)
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT,
                              "WsGetOperationContextProperty: a value of %u bytes where %u are needed", (unsigned)size,
                              (unsigned)need);
    memcpy(value, src, need);
    return S_OK;
}

HRESULT WINAPI WsGetOperationContextProperty(const WS_OPERATION_CONTEXT *context,
                                             const WS_OPERATION_CONTEXT_PROPERTY_ID id, void *value, ULONG valueSize,
                                             WS_ERROR *error)
{
    if (!context) return bad(error, E_INVALIDARG, "WsGetOperationContextProperty: NULL context");
    WS_OPERATION_CONTEXT *c = (WS_OPERATION_CONTEXT *)context;
    const void *p;
    switch (id) {
    case WS_OPERATION_CONTEXT_PROPERTY_CHANNEL:
        if (!c->channel) { /* the session's channel, for its properties (state, type) */
            HRESULT hr = ntcp__wws_channel_new(WS_CHANNEL_TYPE_DUPLEX_SESSION, NULL, 0, &c->channel, error);
            if (FAILED(hr)) return hr;
            c->channel->state = WS_CHANNEL_STATE_OPEN;
            c->channel->host_call = c;
        }
        return put(value, valueSize, &c->channel, sizeof c->channel, error);
    case WS_OPERATION_CONTEXT_PROPERTY_CONTRACT_DESCRIPTION:
        p = c->ep->ep->contract->contractDescription;
        return put(value, valueSize, &p, sizeof p, error);
    case WS_OPERATION_CONTEXT_PROPERTY_HOST_USER_STATE:
        return put(value, valueSize, &c->ep->host->user_state, sizeof(void *), error);
    case WS_OPERATION_CONTEXT_PROPERTY_INPUT_MESSAGE: return put(value, valueSize, &c->in, sizeof c->in, error);
    case WS_OPERATION_CONTEXT_PROPERTY_OUTPUT_MESSAGE: return put(value, valueSize, &c->out, sizeof c->out, error);
    case WS_OPERATION_CONTEXT_PROPERTY_HEAP: return put(value, valueSize, &c->heap, sizeof c->heap, error);
    case WS_OPERATION_CONTEXT_PROPERTY_ENDPOINT_ADDRESS:
        p = &c->ep->ep->address;
        return put(value, valueSize, &p, sizeof p, error);
    default:
        return ntcp__wws_fail(error, E_NOTIMPL, NTCP_CAUSE_UNSUPPORTED,
                              "WsGetOperationContextProperty: property %d is not implemented", (int)id);
    }
}

/* ---- faults a service sets on its WS_ERROR -------------------------------------- */
static HRESULT fault_slot(WS_ERROR *error)
{
    if (error->fault) return S_OK;
    if (!error->fault_heap) {
        HRESULT hr = WsCreateHeap(1u << 20, 0, NULL, 0, &error->fault_heap, NULL);
        if (FAILED(hr)) return hr;
    }
    HRESULT hr = S_OK;
    WS_FAULT *f = ntcp__wws_heap_alloc(error->fault_heap, sizeof *f, &hr);
    if (!f) return hr;
    memset(f, 0, sizeof *f);
    error->fault = f;
    return S_OK;
}

static HRESULT copy_xml(WS_HEAP *h, const WS_XML_STRING *src, WS_XML_STRING *dst)
{
    memset(dst, 0, sizeof *dst);
    if (!src || !src->length) return S_OK;
    HRESULT hr = S_OK;
    BYTE *b = ntcp__wws_heap_alloc(h, src->length, &hr);
    if (!b) return hr;
    memcpy(b, src->bytes, src->length);
    dst->bytes = b;
    dst->length = src->length;
    return S_OK;
}

static HRESULT copy_wstr(WS_HEAP *h, const WS_STRING *src, WS_STRING *dst)
{
    memset(dst, 0, sizeof *dst);
    if (!src || !src->length) return S_OK;
    HRESULT hr = S_OK;
    WCHAR *w = ntcp__wws_heap_alloc(h, (SIZE_T)src->length * sizeof(WCHAR), &hr);
    if (!w) return hr;
    memcpy(w, src->chars, (size_t)src->length * sizeof(WCHAR));
    dst->chars = w;
    dst->length = src->length;
    return S_OK;
}

static HRESULT set_detail(WS_ERROR *error, const BYTE *p, size_t n)
{
    WS_XML_BUFFER *b = NULL;
    HRESULT hr = WsCreateXmlBuffer(error->fault_heap, NULL, 0, &b, NULL);
    if (SUCCEEDED(hr) && n) hr = ntcp__wws_buffer_append(b, p, n, NULL);
    if (SUCCEEDED(hr)) error->fault->detail = b;
    return hr;
}

HRESULT WINAPI WsSetFaultErrorDetail(WS_ERROR *error, const WS_FAULT_DETAIL_DESCRIPTION *faultDetailDescription,
                                     WS_WRITE_OPTION writeOption, const void *value, ULONG valueSize)
{
    if (!error || !faultDetailDescription || !faultDetailDescription->detailElementDescription) return E_INVALIDARG;
    ntcp_buf out;
    ntcp_buf_init(&out, 1u << 20);
    HRESULT hr = ntcp__wws_write_element(&out, faultDetailDescription->detailElementDescription, writeOption, value,
                                         valueSize, NULL);
    if (SUCCEEDED(hr)) hr = fault_slot(error);
    if (SUCCEEDED(hr)) hr = set_detail(error, out.data, out.len);
    if (SUCCEEDED(hr) && faultDetailDescription->action)
        hr = copy_xml(error->fault_heap, faultDetailDescription->action, &error->fault_action);
    ntcp_buf_free(&out);
    return hr;
}

HRESULT WINAPI WsSetFaultErrorProperty(WS_ERROR *error, WS_FAULT_ERROR_PROPERTY_ID id, const void *value,
                                       ULONG valueSize)
{
    if (!error || !value) return E_INVALIDARG;
    HRESULT hr;
    if (id == WS_FAULT_ERROR_PROPERTY_ACTION) {
        if (valueSize != sizeof(WS_XML_STRING)) return E_INVALIDARG;
        if (!error->fault_heap && FAILED(hr = WsCreateHeap(1u << 20, 0, NULL, 0, &error->fault_heap, NULL))) return hr;
        return copy_xml(error->fault_heap, value, &error->fault_action);
    }
    if (id != WS_FAULT_ERROR_PROPERTY_FAULT) return E_NOTIMPL;
    if (valueSize != sizeof(WS_FAULT)) return E_INVALIDARG;
    const WS_FAULT *src = value;
    error->fault = NULL; /* replaced (its memory stays in the heap until the reset) */
    if (FAILED(hr = fault_slot(error))) return hr;
    WS_FAULT *f = error->fault;
    WS_HEAP *h = error->fault_heap;
    WS_FAULT_CODE **dst = &f->code;
    for (const WS_FAULT_CODE *c = src->code; c && SUCCEEDED(hr); c = c->subCode) {
        WS_FAULT_CODE *n = ntcp__wws_heap_alloc(h, sizeof *n, &hr);
        if (!n) break;
        memset(n, 0, sizeof *n);
        hr = copy_xml(h, &c->value.localName, &n->value.localName);
        if (SUCCEEDED(hr)) hr = copy_xml(h, &c->value.ns, &n->value.ns);
        *dst = n;
        dst = &n->subCode;
    }
    if (SUCCEEDED(hr) && src->reasonCount && src->reasons) {
        f->reasons = ntcp__wws_heap_alloc(h, (SIZE_T)src->reasonCount * sizeof *f->reasons, &hr);
        for (ULONG i = 0; f->reasons && i < src->reasonCount && SUCCEEDED(hr); i++) {
            hr = copy_wstr(h, &src->reasons[i].text, &f->reasons[i].text);
            if (SUCCEEDED(hr)) hr = copy_wstr(h, &src->reasons[i].lang, &f->reasons[i].lang);
        }
        if (f->reasons) f->reasonCount = src->reasonCount;
    }
    if (SUCCEEDED(hr) && src->detail) hr = set_detail(error, src->detail->data, src->detail->len);
    return hr;
}
