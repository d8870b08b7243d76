/* nettcp WWSAPI: message objects and their bodies. A body is text XML;
 * WsWriteBody / WsReadBody map an element description to it for XML
 * buffers and the simple types (the struct serializer is not here yet). */
#include "wws_channel.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#define BODY_MAX ((size_t)64 << 20)

static HRESULT check_versions(WS_ENVELOPE_VERSION env, WS_ADDRESSING_VERSION addr, WS_ERROR *error)
{
    if (env != WS_ENVELOPE_VERSION_SOAP_1_2 || addr != WS_ADDRESSING_VERSION_1_0)
        return ntcp__wws_fail(error, env < 1 || env > 3 || addr < 1 || addr > 3 ? E_INVALIDARG : WS_E_NOT_SUPPORTED,
                              NTCP_CAUSE_UNSUPPORTED,
                              "net.tcp speaks SOAP 1.2 with WS-Addressing 1.0 (WS_ENVELOPE_VERSION_SOAP_1_2, "
                              "WS_ADDRESSING_VERSION_1_0); envelope %d / addressing %d are not supported",
                              (int)env, (int)addr);
    return S_OK;
}

HRESULT WINAPI WsCreateMessage(WS_ENVELOPE_VERSION envelopeVersion, WS_ADDRESSING_VERSION addressingVersion,
                               const WS_MESSAGE_PROPERTY *properties, ULONG propertyCount, WS_MESSAGE **message,
                               WS_ERROR *error)
{
    if (!message || (propertyCount && !properties))
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "WsCreateMessage: NULL argument");
    HRESULT hr = check_versions(envelopeVersion, addressingVersion, error);
    if (FAILED(hr)) return hr;
    if (propertyCount)
        return ntcp__wws_fail(error, E_NOTIMPL, NTCP_CAUSE_UNSUPPORTED,
                              "WsCreateMessage: message property %d is not implemented", (int)properties[0].id);
    WS_MESSAGE *m = ntcp_calloc(1, sizeof *m);
    if (!m) return ntcp__wws_fail(error, E_OUTOFMEMORY, NTCP_CAUSE_OUT_OF_MEMORY, "WsCreateMessage: out of memory");
    hr = WsCreateHeap(BODY_MAX * 2, 0, NULL, 0, &m->heap, error);
    if (FAILED(hr)) {
        ntcp_free(m);
        return hr;
    }
    m->envelope = envelopeVersion;
    m->addressing = addressingVersion;
    m->state = WS_MESSAGE_STATE_EMPTY;
    ntcp_buf_init(&m->body, BODY_MAX);
    ntcp_buf_init(&m->fault_detail, BODY_MAX);
    *message = m;
    return S_OK;
}

HRESULT WINAPI WsCreateMessageForChannel(WS_CHANNEL *channel, const WS_MESSAGE_PROPERTY *properties,
                                         ULONG propertyCount, WS_MESSAGE **message, WS_ERROR *error)
{
    if (!channel)
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "WsCreateMessageForChannel: NULL channel");
    return WsCreateMessage(WS_ENVELOPE_VERSION_SOAP_1_2, WS_ADDRESSING_VERSION_1_0, properties, propertyCount, message,
                           error);
}

HRESULT WINAPI WsResetMessage(WS_MESSAGE *message, WS_ERROR *error)
{
    if (!message) return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "WsResetMessage: NULL message");
    ntcp_free(message->action);
    ntcp_free(message->relates_to);
    ntcp_free(message->message_id);
    ntcp_free(message->fault_code);
    ntcp_free(message->fault_reason);
    ntcp_free(message->fault_code_local);
    ntcp_free(message->fault_sub_ns);
    ntcp_free(message->fault_sub_local);
    message->fault_code_local = message->fault_sub_ns = message->fault_sub_local = NULL;
    message->action = message->relates_to = message->message_id = message->fault_code = message->fault_reason = NULL;
    ntcp_buf_reset(&message->body);
    ntcp_buf_reset(&message->fault_detail);
    message->is_fault = message->body_read = false;
    message->state = WS_MESSAGE_STATE_EMPTY;
    return WsResetHeap(message->heap, error);
}

void WINAPI WsFreeMessage(WS_MESSAGE *message)
{
    if (!message) return;
    (void)WsResetMessage(message, NULL);
    ntcp_buf_free(&message->body);
    ntcp_buf_free(&message->fault_detail);
    WsFreeHeap(message->heap);
    ntcp_free(message);
}

HRESULT WINAPI WsInitializeMessage(WS_MESSAGE *message, WS_MESSAGE_INITIALIZATION initialization,
                                   WS_MESSAGE *sourceMessage, WS_ERROR *error)
{
    if (!message) return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "WsInitializeMessage: NULL message");
    if (message->state != WS_MESSAGE_STATE_EMPTY)
        return ntcp__wws_fail(error, WS_E_INVALID_OPERATION, NTCP_CAUSE_INVALID_ARGUMENT,
                              "WsInitializeMessage: the message is not empty (WsResetMessage first)");
    switch (initialization) {
    case WS_BLANK_MESSAGE:
    case WS_REQUEST_MESSAGE:
        break;
    case WS_REPLY_MESSAGE:
        if (!sourceMessage || !sourceMessage->message_id)
            return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT,
                                  "WsInitializeMessage: a reply needs the request (with a MessageID) as sourceMessage");
        if (!(message->relates_to = ntcp_strndup(sourceMessage->message_id, strlen(sourceMessage->message_id))))
            return ntcp__wws_fail(error, E_OUTOFMEMORY, NTCP_CAUSE_OUT_OF_MEMORY, "out of memory");
        break;
    default:
        return ntcp__wws_notimpl(error, "WsInitializeMessage with WS_DUPLICATE_MESSAGE or WS_FAULT_MESSAGE");
    }
    message->state = WS_MESSAGE_STATE_INITIALIZED;
    return S_OK;
}

static HRESULT put_prop(void *value, ULONG size, const void *src, ULONG need, WS_ERROR *error)
{
    if (!value || size != need)
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT,
                              "property value of %u bytes where %u are needed", (unsigned)size, (unsigned)need);
    memcpy(value, src, need);
    return S_OK;
}

HRESULT WINAPI WsGetMessageProperty(WS_MESSAGE *message, WS_MESSAGE_PROPERTY_ID id, void *value, ULONG valueSize,
                                    WS_ERROR *error)
{
    if (!message) return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "WsGetMessageProperty: NULL message");
    BOOL b;
    switch (id) {
    case WS_MESSAGE_PROPERTY_STATE: return put_prop(value, valueSize, &message->state, sizeof message->state, error);
    case WS_MESSAGE_PROPERTY_HEAP: return put_prop(value, valueSize, &message->heap, sizeof message->heap, error);
    case WS_MESSAGE_PROPERTY_ENVELOPE_VERSION:
        return put_prop(value, valueSize, &message->envelope, sizeof message->envelope, error);
    case WS_MESSAGE_PROPERTY_ADDRESSING_VERSION:
        return put_prop(value, valueSize, &message->addressing, sizeof message->addressing, error);
    case WS_MESSAGE_PROPERTY_IS_FAULT:
        b = message->is_fault;
        return put_prop(value, valueSize, &b, sizeof b, error);
    case WS_MESSAGE_PROPERTY_TRANSPORT_SECURITY_WINDOWS_TOKEN:
        if (!message->windows_token)
            return ntcp__wws_fail(error, WS_E_INVALID_OPERATION, NTCP_CAUSE_INVALID_ARGUMENT,
                                  "WsGetMessageProperty: the message has no Windows token (only a service host's "
                                  "request secured with WS_TCP_SSPI_TRANSPORT_SECURITY_BINDING has one)");
        return put_prop(value, valueSize, &message->windows_token, sizeof message->windows_token, error);
    default:
        return ntcp__wws_fail(error, E_NOTIMPL, NTCP_CAUSE_UNSUPPORTED,
                              "WsGetMessageProperty: message property %d is not implemented", (int)id);
    }
}

HRESULT ntcp__wws_message_set_action(WS_MESSAGE *m, const WS_XML_STRING *action, WS_ERROR *error)
{
    char *a = ntcp__wws_xml_str(action);
    if (!a) return ntcp__wws_fail(error, E_OUTOFMEMORY, NTCP_CAUSE_OUT_OF_MEMORY, "out of memory");
    ntcp_free(m->action);
    m->action = a;
    return S_OK;
}

HRESULT WINAPI WsSetHeader(WS_MESSAGE *message, WS_HEADER_TYPE headerType, WS_TYPE valueType,
                           WS_WRITE_OPTION writeOption, const void *value, ULONG valueSize, WS_ERROR *error)
{
    if (!message || !value)
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "WsSetHeader: NULL argument");
    if (headerType != WS_ACTION_HEADER)
        return ntcp__wws_notimpl(error, "WsSetHeader for headers other than WS_ACTION_HEADER");
    if (valueType == WS_XML_STRING_TYPE && writeOption == WS_WRITE_REQUIRED_VALUE &&
        valueSize == sizeof(WS_XML_STRING))
        return ntcp__wws_message_set_action(message, value, error);
    if (valueType == WS_WSZ_TYPE && writeOption == WS_WRITE_REQUIRED_POINTER && valueSize == sizeof(WCHAR *)) {
        const WCHAR *w = *(const WCHAR *const *)value;
        char *a = w ? ntcp__wws_to_utf8(w, (ULONG)wcslen(w)) : NULL;
        if (!a) return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "WsSetHeader: bad action string");
        ntcp_free(message->action);
        message->action = a;
        return S_OK;
    }
    return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT,
                          "WsSetHeader: the action is a WS_XML_STRING_TYPE value or a WS_WSZ_TYPE pointer");
}

HRESULT WINAPI WsGetHeader(WS_MESSAGE *message, WS_HEADER_TYPE headerType, WS_TYPE valueType,
                           WS_READ_OPTION readOption, WS_HEAP *heap, void *value, ULONG valueSize, WS_ERROR *error)
{
    if (!message || !value || !heap)
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "WsGetHeader: NULL argument");
    const char *src = headerType == WS_ACTION_HEADER ? message->action
                    : headerType == WS_MESSAGE_ID_HEADER ? message->message_id
                    : headerType == WS_RELATES_TO_HEADER ? message->relates_to : NULL;
    if (headerType != WS_ACTION_HEADER && headerType != WS_MESSAGE_ID_HEADER && headerType != WS_RELATES_TO_HEADER)
        return ntcp__wws_notimpl(error, "WsGetHeader for headers other than Action, MessageID and RelatesTo");
    if (!src) return ntcp__wws_fail(error, WS_E_INVALID_FORMAT, NTCP_CAUSE_PROTOCOL, "WsGetHeader: the message has no such header");
    if (valueType != WS_XML_STRING_TYPE || readOption != WS_READ_REQUIRED_VALUE || valueSize != sizeof(WS_XML_STRING))
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT,
                              "WsGetHeader: headers are read as WS_XML_STRING_TYPE with WS_READ_REQUIRED_VALUE");
    size_t n = strlen(src);
    void *p;
    HRESULT hr = WsAlloc(heap, n ? n : 1, &p, error);
    if (FAILED(hr)) return hr;
    memcpy(p, src, n);
    WS_XML_STRING *s = value;
    memset(s, 0, sizeof *s);
    s->length = (ULONG)n;
    s->bytes = p;
    return S_OK;
}

/* ---- bodies ----------------------------------------------------------------- */
static HRESULT buf_add(ntcp_buf *b, const char *s, size_t n, WS_ERROR *error)
{
    if (ntcp_buf_append(b, s, n) != NTCP_OK)
        return ntcp__wws_fail(error, WS_E_QUOTA_EXCEEDED, NTCP_CAUSE_QUOTA_EXCEEDED,
                              "the message body exceeds %zu bytes", b->max);
    return S_OK;
}

static HRESULT buf_escaped(ntcp_buf *b, const char *s, size_t n, WS_ERROR *error)
{
    for (size_t i = 0; i < n; i++) {
        const char *rep = s[i] == '&' ? "&amp;" : s[i] == '<' ? "&lt;" : s[i] == '>' ? "&gt;"
                        : s[i] == '\r' ? "&#xD;" : NULL; /* a raw CR would read back as LF */
        HRESULT hr = rep ? buf_add(b, rep, strlen(rep), error) : buf_add(b, s + i, 1, error);
        if (FAILED(hr)) return hr;
    }
    return S_OK;
}

static size_t value_size(WS_TYPE t)
{
    switch (t) {
    case WS_BOOL_TYPE: return sizeof(BOOL);
    case WS_INT8_TYPE: case WS_UINT8_TYPE: return 1;
    case WS_INT16_TYPE: case WS_UINT16_TYPE: return 2;
    case WS_INT32_TYPE: case WS_UINT32_TYPE: return 4;
    case WS_INT64_TYPE: case WS_UINT64_TYPE: return 8;
    case WS_DOUBLE_TYPE: return sizeof(double);
    case WS_STRING_TYPE: return sizeof(WS_STRING);
    case WS_WSZ_TYPE: return sizeof(WCHAR *);
    case WS_XML_BUFFER_TYPE: return sizeof(WS_XML_BUFFER *);
    case WS_DESCRIPTION_TYPE: return sizeof(void *); /* a type-attribute field: the struct's description */
    case WS_XML_QNAME_TYPE: return sizeof(WS_XML_QNAME);
    case WS_ENDPOINT_ADDRESS_TYPE: return sizeof(WS_ENDPOINT_ADDRESS);
    case WS_FAULT_TYPE: return sizeof(WS_FAULT);
    default: return ntcp__wws_type_size(t);
    }
}

/* the size of a value of type t: structs and unions by their description */
static size_t desc_size(WS_TYPE t, const void *desc)
{
    if (t == WS_STRUCT_TYPE) return desc ? ((const WS_STRUCT_DESCRIPTION *)desc)->size : 0;
    if (t == WS_UNION_TYPE) return desc ? ((const WS_UNION_DESCRIPTION *)desc)->size : 0;
    return value_size(t);
}

/* the text form of a simple value, as DataContractSerializer writes it */
static HRESULT simple_text(WS_TYPE t, const void *desc, const void *v, char **out, WS_ERROR *error)
{
    char tmp[64];
    switch (t) {
    case WS_BOOL_TYPE: snprintf(tmp, sizeof tmp, "%s", *(const BOOL *)v ? "true" : "false"); break;
    case WS_INT8_TYPE: snprintf(tmp, sizeof tmp, "%d", *(const int8_t *)v); break;
    case WS_UINT8_TYPE: snprintf(tmp, sizeof tmp, "%u", *(const uint8_t *)v); break;
    case WS_INT16_TYPE: snprintf(tmp, sizeof tmp, "%d", *(const int16_t *)v); break;
    case WS_UINT16_TYPE: snprintf(tmp, sizeof tmp, "%u", *(const uint16_t *)v); break;
    case WS_INT32_TYPE: snprintf(tmp, sizeof tmp, "%" PRId32, *(const int32_t *)v); break;
    case WS_UINT32_TYPE: snprintf(tmp, sizeof tmp, "%" PRIu32, *(const uint32_t *)v); break;
    case WS_INT64_TYPE: snprintf(tmp, sizeof tmp, "%" PRId64, *(const int64_t *)v); break;
    case WS_UINT64_TYPE: snprintf(tmp, sizeof tmp, "%" PRIu64, *(const uint64_t *)v); break;
    case WS_DOUBLE_TYPE: {
        double d = *(const double *)v;
        if (isnan(d)) snprintf(tmp, sizeof tmp, "NaN");
        else if (isinf(d)) snprintf(tmp, sizeof tmp, "%s", d > 0 ? "INF" : "-INF");
        else { /* the shortest text that reads back to the same double */
            for (int prec = 1; prec <= 17; prec++) {
                snprintf(tmp, sizeof tmp, "%.*g", prec, d);
                if (strtod(tmp, NULL) == d) break;
            }
            char *e = strchr(tmp, 'e'); /* .NET writes the exponent as E */
            if (e) *e = 'E';
        }
        break;
    }
    case WS_STRING_TYPE: {
        const WS_STRING *s = v;
        *out = ntcp__wws_to_utf8(s->chars, s->length);
        goto check;
    }
    case WS_WSZ_TYPE: {
        const WCHAR *w = *(const WCHAR *const *)v;
        *out = w ? ntcp__wws_to_utf8(w, (ULONG)wcslen(w)) : NULL;
        goto check;
    }
    default:
        return ntcp__wws_type_text(t, desc, v, out, error);
    }
    *out = ntcp_strndup(tmp, strlen(tmp));
check:
    if (!*out)
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT,
                              "the string value is NULL or not valid Unicode");
    return S_OK;
}

static HRESULT write_array(ntcp_buf *out, const WS_FIELD_DESCRIPTION *f, const void *v, unsigned depth,
                           WS_ERROR *error);
static HRESULT read_text_desc(const char *text, WS_TYPE t, const void *desc, WS_HEAP *heap, void *dst, WS_ERROR *error);
static HRESULT ntcp__wws_read_field_from(const void *node, const void *cn, const void *text,
                                         const WS_FIELD_DESCRIPTION *f, WS_HEAP *heap, void *fp, unsigned depth,
                                         WS_ERROR *error);

/* the place of field f's value in the struct at v; NULL when a pointer field is NULL */
static const BYTE *field_value(const WS_FIELD_DESCRIPTION *f, const void *v)
{
    const BYTE *fp = (const BYTE *)v + f->offset;
    if (f->options & WS_FIELD_POINTER) fp = *(const BYTE *const *)fp;
    if (fp && f->type == WS_WSZ_TYPE && !*(const WCHAR *const *)fp) return NULL;
    return fp;
}

#define XSI_NS "http://www.w3.org/2001/XMLSchema-instance"

/* the types whose value itself can say nil: WS_STRING, WS_BYTES and
 * WS_XML_STRING with a NULL pointer and length 0 (a WSZ by its NULL pointer) */
static bool nil_value(WS_TYPE t, const void *v)
{
    switch (t) {
    case WS_STRING_TYPE: return !((const WS_STRING *)v)->chars && !((const WS_STRING *)v)->length;
    case WS_BYTES_TYPE: return !((const WS_BYTES *)v)->bytes && !((const WS_BYTES *)v)->length;
    case WS_XML_STRING_TYPE: return !((const WS_XML_STRING *)v)->bytes && !((const WS_XML_STRING *)v)->length;
    default: return false;
    }
}

static bool has_nil_value(WS_TYPE t)
{
    return t == WS_STRING_TYPE || t == WS_BYTES_TYPE || t == WS_XML_STRING_TYPE;
}

/* <local xmlns="ns" i:nil="true" xmlns:i="XSI"/> */
static HRESULT write_nil(ntcp_buf *out, const WS_XML_STRING *local, const WS_XML_STRING *ns, WS_ERROR *error)
{
    HRESULT hr = buf_add(out, "<", 1, error);
    if (SUCCEEDED(hr)) hr = buf_add(out, (const char *)local->bytes, local->length, error);
    if (SUCCEEDED(hr) && ns->length) {
        hr = buf_add(out, " xmlns=\"", 8, error);
        if (SUCCEEDED(hr)) hr = buf_escaped(out, (const char *)ns->bytes, ns->length, error);
        if (SUCCEEDED(hr)) hr = buf_add(out, "\"", 1, error);
    }
    static const char tail[] = " i:nil=\"true\" xmlns:i=\"" XSI_NS "\"/>";
    if (SUCCEEDED(hr)) hr = buf_add(out, tail, sizeof tail - 1, error);
    return hr;
}

/* xsi:nil="true" (or "1") on element n */
static bool is_nil(const xmlNode *n)
{
    xmlChar *a = xmlGetNsProp(n, (const xmlChar *)"nil", (const xmlChar *)XSI_NS);
    bool nil = a && (!strcmp((const char *)a, "true") || !strcmp((const char *)a, "1"));
    xmlFree(a);
    return nil;
}

/* the type-attribute field of sd (WS_DESCRIPTION_TYPE), or NULL */
static const WS_FIELD_DESCRIPTION *type_field(const WS_STRUCT_DESCRIPTION *sd)
{
    for (ULONG i = 0; sd->fields && i < sd->fieldCount; i++)
        if (sd->fields[i] && sd->fields[i]->mapping == WS_TYPE_ATTRIBUTE_FIELD_MAPPING) return sd->fields[i];
    return NULL;
}

/* d is sd or derives from it (through parentType) */
static bool derives_from(const WS_STRUCT_DESCRIPTION *d, const WS_STRUCT_DESCRIPTION *sd)
{
    for (unsigned n = 0; d && n < 64; d = d->parentType, n++)
        if (d == sd) return true;
    return false;
}

/* the description a value of declared type sd says it has (its type-attribute field) */
static HRESULT struct_actual_of_value(const WS_STRUCT_DESCRIPTION *sd, const void *v, const WS_STRUCT_DESCRIPTION **out,
                                      WS_ERROR *error)
{
    *out = sd;
    const WS_FIELD_DESCRIPTION *tf = type_field(sd);
    if (!tf) return S_OK;
    const WS_STRUCT_DESCRIPTION *actual = *(const WS_STRUCT_DESCRIPTION *const *)((const BYTE *)v + tf->offset);
    if (!actual || actual == sd) return S_OK;
    if (!derives_from(actual, sd) || !actual->typeLocalName || !actual->typeNs)
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT,
                              "the struct's type field names a description that does not derive from the declared "
                              "type, or has no type name");
    *out = actual;
    return S_OK;
}

static const WS_STRUCT_DESCRIPTION *find_subtype(const WS_STRUCT_DESCRIPTION *sd, const char *local, const char *ns,
                                                 unsigned depth)
{
    if (!sd || depth > 16) return NULL;
    if (sd->typeLocalName && sd->typeNs && sd->typeLocalName->length == strlen(local) &&
        !memcmp(sd->typeLocalName->bytes, local, sd->typeLocalName->length) && sd->typeNs->length == strlen(ns) &&
        !memcmp(sd->typeNs->bytes, ns, sd->typeNs->length))
        return sd;
    for (ULONG i = 0; sd->subTypes && i < sd->subTypeCount; i++) {
        const WS_STRUCT_DESCRIPTION *f = find_subtype(sd->subTypes[i], local, ns, depth + 1);
        if (f) return f;
    }
    return NULL;
}

/* the description element e has by its xsi:type among sd and its subtypes
 * (sd when it has none) */
static HRESULT struct_actual_of_node(const xmlNode *e, const WS_STRUCT_DESCRIPTION *sd, const WS_STRUCT_DESCRIPTION **out,
                                     WS_ERROR *error)
{
    *out = sd;
    xmlChar *t = xmlGetNsProp(e, (const xmlChar *)"type", (const xmlChar *)XSI_NS);
    if (!t) return S_OK;
    const char *colon = strchr((const char *)t, ':');
    const char *local = colon ? colon + 1 : (const char *)t;
    char prefix[128] = "";
    if (colon && (size_t)(colon - (const char *)t) < sizeof prefix) {
        memcpy(prefix, t, (size_t)(colon - (const char *)t));
        prefix[colon - (const char *)t] = 0;
    }
    xmlNsPtr n = xmlSearchNs(e->doc, (xmlNode *)e, colon ? (const xmlChar *)prefix : NULL);
    const char *ns = n && n->href ? (const char *)n->href : "";
    const WS_STRUCT_DESCRIPTION *found = (colon && !n) ? NULL : find_subtype(sd, local, ns, 0);
    HRESULT hr = S_OK;
    if (!found)
        hr = ntcp__wws_fail(error, WS_E_INVALID_FORMAT, NTCP_CAUSE_PROTOCOL,
                            "xsi:type '%.64s' is not the struct's type or one of its subtypes", (const char *)t);
    else
        *out = found;
    xmlFree(t);
    return hr;
}

/* roughly an NCName: not empty, no ':', no white space or markup, not starting with a digit, '-' or '.' */
static bool ncname(const char *p, size_t n)
{
    if (!n || (p[0] >= '0' && p[0] <= '9') || p[0] == '-' || p[0] == '.') return false;
    for (size_t i = 0; i < n; i++)
        if (strchr(" \t\r\n<>&\"'=:/;,()[]{}!?#$%*+@\\^`|~", p[i]) || !p[i]) return false;
    return true;
}

/* element e's text as a QName: its prefix looked up where e is */
static HRESULT read_qname(const xmlNode *e, WS_HEAP *heap, WS_XML_QNAME *q, WS_ERROR *error)
{
    xmlChar *text = xmlNodeGetContent(e);
    const char *s = text ? (const char *)text : "";
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r')) n--;
    const char *colon = memchr(s, ':', n);
    char prefix[128];
    HRESULT hr = S_OK;
    size_t plen = colon ? (size_t)(colon - s) : 0;
    const char *local = colon ? colon + 1 : s;
    size_t llen = n - (colon ? plen + 1 : 0);
    xmlNsPtr ns = NULL;
    if (!ncname(local, llen) || plen >= sizeof prefix || (colon && !ncname(s, plen)))
        hr = ntcp__wws_fail(error, WS_E_INVALID_FORMAT, NTCP_CAUSE_PROTOCOL, "'%.*s' is not a valid QName", (int)(n > 64 ? 64 : n), s);
    else {
        memcpy(prefix, s, plen);
        prefix[plen] = 0;
        ns = xmlSearchNs(e->doc, (xmlNode *)e, colon ? (const xmlChar *)prefix : NULL);
        if (colon && !ns)
            hr = ntcp__wws_fail(error, WS_E_INVALID_FORMAT, NTCP_CAUSE_PROTOCOL, "the QName prefix '%s' is not declared", prefix);
    }
    const char *href = ns && ns->href ? (const char *)ns->href : "";
    size_t hlen = strlen(href);
    memset(q, 0, sizeof *q);
    if (SUCCEEDED(hr)) hr = WsAlloc(heap, llen + hlen + 1, (void **)&q->localName.bytes, error);
    if (SUCCEEDED(hr)) {
        memcpy(q->localName.bytes, local, llen);
        memcpy(q->localName.bytes + llen, href, hlen);
        q->localName.length = (ULONG)llen;
        q->ns.bytes = hlen ? q->localName.bytes + llen : NULL;
        q->ns.length = (ULONG)hlen;
    }
    xmlFree(text);
    return hr;
}

static bool node_is(const xmlNode *c, const WS_XML_STRING *local, const WS_XML_STRING *ns);

/* the first child element of e that no element or array field of sd names,
 * copied into an XML buffer from heap (its namespaces declared in the copy) */
static HRESULT append_node(WS_XML_BUFFER *b, const xmlNode *n, WS_ERROR *error);

static HRESULT read_any_element(const xmlNode *e, const WS_STRUCT_DESCRIPTION *sd, const WS_FIELD_DESCRIPTION *f,
                                WS_HEAP *heap, void *fp, WS_ERROR *error)
{
    *(WS_XML_BUFFER **)fp = NULL;
    const xmlNode *c = e->children;
    for (; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE) continue;
        bool claimed = false;
        for (ULONG i = 0; i < sd->fieldCount && !claimed; i++) {
            const WS_FIELD_DESCRIPTION *o = sd->fields[i];
            if (o->mapping == WS_ELEMENT_FIELD_MAPPING) claimed = node_is(c, o->localName, o->ns);
            else if (o->mapping == WS_REPEATING_ELEMENT_FIELD_MAPPING)
                claimed = o->localName ? node_is(c, o->localName, o->ns) : node_is(c, o->itemLocalName, o->itemNs);
        }
        if (!claimed) break;
    }
    if (!c) {
        if (f->options & WS_FIELD_OPTIONAL) return S_OK;
        return ntcp__wws_fail(error, WS_E_INVALID_FORMAT, NTCP_CAUSE_PROTOCOL, "the struct has no element for its any-element field");
    }
    WS_XML_BUFFER *b = NULL;
    HRESULT hr = WsCreateXmlBuffer(heap, NULL, 0, &b, error);
    if (SUCCEEDED(hr)) hr = append_node(b, c, error);
    if (SUCCEEDED(hr)) *(WS_XML_BUFFER **)fp = b;
    return hr;
}

#define WSA_NS "http://www.w3.org/2005/08/addressing"

/* an endpoint address's content: <Address>, then <ReferenceParameters> with the headers, then the extensions */
static HRESULT write_epa(ntcp_buf *out, const WS_ENDPOINT_ADDRESS *a, WS_ERROR *error)
{
    if (a->identity) return ntcp__wws_notimpl(error, "writing a WS_ENDPOINT_ADDRESS with an identity");
    char *url = ntcp__wws_to_utf8(a->url.chars, a->url.length);
    if (!url) return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "the endpoint address's URL is not valid");
    static const char open_addr[] = "<Address xmlns=\"" WSA_NS "\">", open_rp[] = "<ReferenceParameters xmlns=\"" WSA_NS "\">";
    HRESULT hr = buf_add(out, open_addr, sizeof open_addr - 1, error);
    if (SUCCEEDED(hr)) hr = buf_escaped(out, url, strlen(url), error);
    if (SUCCEEDED(hr)) hr = buf_add(out, "</Address>", 10, error);
    ntcp_free(url);
    if (SUCCEEDED(hr) && a->headers && a->headers->len) {
        hr = buf_add(out, open_rp, sizeof open_rp - 1, error);
        if (SUCCEEDED(hr)) hr = buf_add(out, (const char *)a->headers->data, a->headers->len, error);
        if (SUCCEEDED(hr)) hr = buf_add(out, "</ReferenceParameters>", 22, error);
    }
    if (SUCCEEDED(hr) && a->extensions && a->extensions->len)
        hr = buf_add(out, (const char *)a->extensions->data, a->extensions->len, error);
    return hr;
}

/* element n copied (its namespaces declared in the copy) to the end of b */
static HRESULT append_node(WS_XML_BUFFER *b, const xmlNode *n, WS_ERROR *error)
{
    xmlDocPtr nd = xmlNewDoc((const xmlChar *)"1.0");
    xmlNodePtr copy = nd ? xmlDocCopyNode((xmlNode *)n, nd, 1) : NULL;
    xmlBufferPtr xb = copy ? xmlBufferCreate() : NULL;
    HRESULT hr = S_OK;
    if (!xb) hr = ntcp__wws_fail(error, E_OUTOFMEMORY, NTCP_CAUSE_OUT_OF_MEMORY, "out of memory");
    else {
        xmlDocSetRootElement(nd, copy);
        /* in no namespace: say so, or a default namespace around where the copy is written would claim it */
        if (!copy->ns) xmlNewNs(copy, (const xmlChar *)"", NULL);
        copy = NULL;
        if (xmlNodeDump(xb, nd, xmlDocGetRootElement(nd), 0, 0) < 0)
            hr = ntcp__wws_fail(error, E_OUTOFMEMORY, NTCP_CAUSE_OUT_OF_MEMORY, "out of memory");
        else
            hr = ntcp__wws_buffer_append(b, xmlBufferContent(xb), (size_t)xmlBufferLength(xb), error);
    }
    if (xb) xmlBufferFree(xb);
    if (copy) xmlFreeNode(copy);
    if (nd) xmlFreeDoc(nd);
    return hr;
}

static bool node_is_wsa(const xmlNode *c, const char *local)
{
    return c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, local) && c->ns && c->ns->href &&
           !strcmp((const char *)c->ns->href, WSA_NS);
}

static HRESULT read_epa(const xmlNode *e, WS_HEAP *heap, WS_ENDPOINT_ADDRESS *a, WS_ERROR *error)
{
    memset(a, 0, sizeof *a);
    const xmlNode *addr = NULL, *rp = NULL;
    for (const xmlNode *c = e->children; c; c = c->next) {
        if (!addr && node_is_wsa(c, "Address")) addr = c;
        else if (!rp && node_is_wsa(c, "ReferenceParameters")) rp = c;
    }
    if (!addr)
        return ntcp__wws_fail(error, WS_E_INVALID_FORMAT, NTCP_CAUSE_PROTOCOL,
                              "the endpoint address has no <Address> (" WSA_NS ")");
    xmlChar *url = xmlNodeGetContent(addr);
    HRESULT hr = read_text_desc(url ? (const char *)url : "", WS_STRING_TYPE, NULL, heap, &a->url, error);
    xmlFree(url);
    if (SUCCEEDED(hr) && rp) {
        hr = WsCreateXmlBuffer(heap, NULL, 0, &a->headers, error);
        for (const xmlNode *c = rp->children; c && SUCCEEDED(hr); c = c->next)
            if (c->type == XML_ELEMENT_NODE) hr = append_node(a->headers, c, error);
    }
    return hr;
}

#define ENV12_NS "http://www.w3.org/2003/05/soap-envelope"
static WS_XML_STRING env12 = WS_XML_STRING_VALUE(ENV12_NS), f_value = WS_XML_STRING_VALUE("Value");

HRESULT ntcp__wws_write_typed(ntcp_buf *out, const WS_XML_STRING *local, const WS_XML_STRING *ns, WS_TYPE t,
                              const void *desc, const void *v, unsigned depth, WS_ERROR *error);

static HRESULT write_env_text(ntcp_buf *out, const char *name, const WS_STRING *s, const WS_STRING *lang, WS_ERROR *error)
{
    char *text = ntcp__wws_to_utf8(s->chars, s->length), *l = lang ? ntcp__wws_to_utf8(lang->chars, lang->length) : NULL;
    HRESULT hr = !text || (lang && !l) ? ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "a fault string is not valid")
                                       : S_OK;
    char head[128];
    snprintf(head, sizeof head, "<%s xmlns=\"" ENV12_NS "\"%s", name, l ? " xml:lang=\"" : ">");
    if (SUCCEEDED(hr)) hr = buf_add(out, head, strlen(head), error);
    if (SUCCEEDED(hr) && l) {
        for (const char *c = l; *c && SUCCEEDED(hr); c++)
            hr = *c == '"' ? buf_add(out, "&quot;", 6, error) : buf_escaped(out, c, 1, error);
        if (SUCCEEDED(hr)) hr = buf_add(out, "\">", 2, error);
    }
    if (SUCCEEDED(hr)) hr = buf_escaped(out, text, strlen(text), error);
    snprintf(head, sizeof head, "</%s>", name);
    if (SUCCEEDED(hr)) hr = buf_add(out, head, strlen(head), error);
    ntcp_free(text);
    ntcp_free(l);
    return hr;
}

/* a SOAP 1.2 fault's content: Code (Value, Subcode...), Reason (Text...), Node, Role, Detail */
static HRESULT write_fault(ntcp_buf *out, const WS_FAULT *f, unsigned depth, WS_ERROR *error)
{
    if (!f->code || (f->reasonCount && !f->reasons))
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "a WS_FAULT without its code or reasons");
    static const char code_open[] = "<Code xmlns=\"" ENV12_NS "\">", sub_open[] = "<Subcode xmlns=\"" ENV12_NS "\">";
    HRESULT hr = buf_add(out, code_open, sizeof code_open - 1, error);
    unsigned subs = 0;
    for (const WS_FAULT_CODE *c = f->code; c && SUCCEEDED(hr); c = c->subCode) {
        if (c != f->code) {
            if (++subs > 8) return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "fault subcodes nested deeper than 8");
            hr = buf_add(out, sub_open, sizeof sub_open - 1, error);
        }
        if (SUCCEEDED(hr)) hr = ntcp__wws_write_typed(out, &f_value, &env12, WS_XML_QNAME_TYPE, NULL, &c->value, depth + 1, error);
    }
    for (unsigned i = 0; i < subs && SUCCEEDED(hr); i++) hr = buf_add(out, "</Subcode>", 10, error);
    if (SUCCEEDED(hr)) hr = buf_add(out, "</Code>", 7, error);
    static const char reason_open[] = "<Reason xmlns=\"" ENV12_NS "\">";
    if (SUCCEEDED(hr)) hr = buf_add(out, reason_open, sizeof reason_open - 1, error);
    for (ULONG i = 0; i < f->reasonCount && SUCCEEDED(hr); i++)
        hr = write_env_text(out, "Text", &f->reasons[i].text, &f->reasons[i].lang, error);
    if (SUCCEEDED(hr)) hr = buf_add(out, "</Reason>", 9, error);
    if (SUCCEEDED(hr) && f->node.length) hr = write_env_text(out, "Node", &f->node, NULL, error);
    if (SUCCEEDED(hr) && f->actor.length) hr = write_env_text(out, "Role", &f->actor, NULL, error);
    if (SUCCEEDED(hr) && f->detail && f->detail->len) {
        static const char detail_open[] = "<Detail xmlns=\"" ENV12_NS "\">";
        hr = buf_add(out, detail_open, sizeof detail_open - 1, error);
        if (SUCCEEDED(hr)) hr = buf_add(out, (const char *)f->detail->data, f->detail->len, error);
        if (SUCCEEDED(hr)) hr = buf_add(out, "</Detail>", 9, error);
    }
    return hr;
}

static const xmlNode *env_child(const xmlNode *e, const char *local, const xmlNode *after)
{
    for (const xmlNode *c = after ? after->next : e->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, local) && c->ns && c->ns->href &&
            !strcmp((const char *)c->ns->href, ENV12_NS))
            return c;
    return NULL;
}

static HRESULT read_qname(const xmlNode *e, WS_HEAP *heap, WS_XML_QNAME *q, WS_ERROR *error);

static HRESULT env_text(const xmlNode *n, WS_HEAP *heap, WS_STRING *out, WS_ERROR *error)
{
    xmlChar *t = xmlNodeGetContent(n);
    HRESULT hr = read_text_desc(t ? (const char *)t : "", WS_STRING_TYPE, NULL, heap, out, error);
    xmlFree(t);
    return hr;
}

static HRESULT read_fault(const xmlNode *e, WS_HEAP *heap, WS_FAULT *f, WS_ERROR *error)
{
    memset(f, 0, sizeof *f);
    const xmlNode *code = env_child(e, "Code", NULL), *reason = env_child(e, "Reason", NULL);
    if (!code || !reason)
        return ntcp__wws_fail(error, WS_E_INVALID_FORMAT, NTCP_CAUSE_PROTOCOL, "the fault has no Code or no Reason (SOAP 1.2)");
    HRESULT hr = S_OK;
    WS_FAULT_CODE **place = &f->code;
    for (unsigned level = 0; code && SUCCEEDED(hr); level++) {
        const xmlNode *value = env_child(code, "Value", NULL);
        if (!value || level > 8) {
            hr = ntcp__wws_fail(error, WS_E_INVALID_FORMAT, NTCP_CAUSE_PROTOCOL,
                                level > 8 ? "fault subcodes nested deeper than 8" : "a fault code without its Value");
            break;
        }
        WS_FAULT_CODE *fc;
        hr = WsAlloc(heap, sizeof *fc, (void **)&fc, error);
        if (FAILED(hr)) break;
        memset(fc, 0, sizeof *fc);
        hr = read_qname(value, heap, &fc->value, error);
        *place = fc;
        place = &fc->subCode;
        code = env_child(code, "Subcode", NULL);
    }
    ULONG n = 0;
    for (const xmlNode *t = env_child(reason, "Text", NULL); t; t = env_child(reason, "Text", t)) n++;
    if (SUCCEEDED(hr) && n) hr = WsAlloc(heap, n * sizeof *f->reasons, (void **)&f->reasons, error);
    ULONG i = 0;
    for (const xmlNode *t = env_child(reason, "Text", NULL); t && SUCCEEDED(hr); t = env_child(reason, "Text", t), i++) {
        memset(&f->reasons[i], 0, sizeof f->reasons[i]);
        hr = env_text(t, heap, &f->reasons[i].text, error);
        xmlChar *lang = xmlGetNsProp(t, (const xmlChar *)"lang", XML_XML_NAMESPACE);
        if (SUCCEEDED(hr)) hr = read_text_desc(lang ? (const char *)lang : "", WS_STRING_TYPE, NULL, heap, &f->reasons[i].lang, error);
        xmlFree(lang);
    }
    if (SUCCEEDED(hr)) f->reasonCount = n;
    const xmlNode *node = env_child(e, "Node", NULL), *role = env_child(e, "Role", NULL), *detail = env_child(e, "Detail", NULL);
    if (SUCCEEDED(hr) && node) hr = env_text(node, heap, &f->node, error);
    if (SUCCEEDED(hr) && role) hr = env_text(role, heap, &f->actor, error);
    if (SUCCEEDED(hr) && detail) {
        hr = WsCreateXmlBuffer(heap, NULL, 0, &f->detail, error);
        for (const xmlNode *c = detail->children; c && SUCCEEDED(hr); c = c->next)
            if (c->type == XML_ELEMENT_NODE) hr = append_node(f->detail, c, error);
    }
    return hr;
}

/* ' name="value"' for the attribute fields, and the text field's value */
static HRESULT write_attr_or_text(ntcp_buf *out, const WS_FIELD_DESCRIPTION *f, const void *v, WS_ERROR *error)
{
    const BYTE *fp = field_value(f, v);
    if (!fp) {
        if (f->options & WS_FIELD_OPTIONAL) return S_OK;
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "a %s field is NULL and not WS_FIELD_OPTIONAL",
                              f->mapping == WS_TEXT_FIELD_MAPPING ? "text" : "attribute");
    }
    char *text = NULL;
    HRESULT hr = simple_text(f->type, f->typeDescription, fp, &text, error);
    if (FAILED(hr)) return hr;
    if (f->mapping == WS_TEXT_FIELD_MAPPING) {
        hr = buf_escaped(out, text, strlen(text), error);
    } else {
        hr = buf_add(out, " ", 1, error);
        if (SUCCEEDED(hr)) hr = buf_add(out, (const char *)f->localName->bytes, f->localName->length, error);
        if (SUCCEEDED(hr)) hr = buf_add(out, "=\"", 2, error);
        for (const char *c = text; *c && SUCCEEDED(hr); c++)
            hr = *c == '"' ? buf_add(out, "&quot;", 6, error) /* white space kept through attribute normalization */
               : *c == '\n' ? buf_add(out, "&#xA;", 5, error) : *c == '\t' ? buf_add(out, "&#x9;", 5, error)
               : buf_escaped(out, c, 1, error);
        if (SUCCEEDED(hr)) hr = buf_add(out, "\"", 1, error);
    }
    ntcp_free(text);
    return hr;
}

/* element field f of the struct at v: its element, nil, or nothing when optional */
static HRESULT write_element_field(ntcp_buf *out, const WS_FIELD_DESCRIPTION *f, const void *v, unsigned depth,
                                   WS_ERROR *error)
{
    const BYTE *fp = field_value(f, v);
    if (!fp || ((f->options & WS_FIELD_NILLABLE) && nil_value(f->type, fp))) {
        if (f->options & WS_FIELD_OPTIONAL) return S_OK;
        if (f->options & WS_FIELD_NILLABLE) return write_nil(out, f->localName, f->ns, error);
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT,
                              "the field '%.*s' is NULL and not WS_FIELD_OPTIONAL", (int)f->localName->length,
                              (const char *)f->localName->bytes);
    }
    return ntcp__wws_write_typed(out, f->localName, f->ns, f->type, f->typeDescription, fp, depth + 1, error);
}

static HRESULT union_valid(const WS_UNION_DESCRIPTION *ud, WS_ERROR *error)
{
    if (!ud || (ud->fieldCount && !ud->fields) || ud->enumOffset > ud->size || ud->size - ud->enumOffset < sizeof(int))
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT,
                              "a union without its description (or its selector outside its size)");
    for (ULONG i = 0; i < ud->fieldCount; i++) {
        const WS_UNION_FIELD_DESCRIPTION *uf = ud->fields[i];
        if (!uf) return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "a union choice without its description");
        if (uf->field.mapping != WS_ELEMENT_FIELD_MAPPING)
            return ntcp__wws_notimpl(error, "a union choice that is not a WS_ELEMENT_FIELD_MAPPING field");
        HRESULT hr = ntcp__wws_field_supported(&uf->field, error);
        if (FAILED(hr)) return hr;
        if (uf->field.offset >= ud->size)
            return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "a union choice's offset beyond the union's size");
    }
    return S_OK;
}

/* a union (WS_UNION_TYPE) at u: the element of the choice its selector names;
 * nothing for noneEnumValue when the field is optional */
static HRESULT write_choice(ntcp_buf *out, const WS_UNION_DESCRIPTION *ud, const BYTE *u, bool optional, unsigned depth,
                            WS_ERROR *error)
{
    HRESULT hr = union_valid(ud, error);
    if (FAILED(hr)) return hr;
    int sel;
    memcpy(&sel, u + ud->enumOffset, sizeof sel);
    if (optional && sel == ud->noneEnumValue) return S_OK;
    for (ULONG i = 0; i < ud->fieldCount; i++)
        if (ud->fields[i]->value == sel) return write_element_field(out, &ud->fields[i]->field, u, depth, error);
    return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT,
                          "the union's selector is %d, the value of none of its choices%s", sel,
                          optional ? "" : " (noneEnumValue only in a WS_FIELD_OPTIONAL field)");
}

/* the choice of the union at u among the children of e: its selector set,
 * noneEnumValue when none is there and the field is optional */
static HRESULT read_choice(const xmlNode *e, const WS_UNION_DESCRIPTION *ud, WS_HEAP *heap, BYTE *u, bool optional,
                           unsigned depth, WS_ERROR *error)
{
    HRESULT hr = union_valid(ud, error);
    if (FAILED(hr)) return hr;
    memset(u, 0, ud->size);
    for (const xmlNode *c = e->children; c; c = c->next)
        for (ULONG i = 0; i < ud->fieldCount && c->type == XML_ELEMENT_NODE; i++) {
            const WS_UNION_FIELD_DESCRIPTION *uf = ud->fields[i];
            if (!node_is(c, uf->field.localName, uf->field.ns)) continue;
            memcpy(u + ud->enumOffset, &uf->value, sizeof uf->value);
            return ntcp__wws_read_field_from(e, c, NULL, &uf->field, heap, u + uf->field.offset, depth, error);
        }
    if (!optional)
        return ntcp__wws_fail(error, WS_E_INVALID_FORMAT, NTCP_CAUSE_PROTOCOL, "none of the union's %u choices is in <%s>",
                              (unsigned)ud->fieldCount, (const char *)e->name);
    memcpy(u + ud->enumOffset, &ud->noneEnumValue, sizeof ud->noneEnumValue);
    return S_OK;
}

/* <local xmlns="ns">VALUE</local>: v points to the value (a WCHAR* for WSZ,
 * the struct for WS_STRUCT_TYPE); structs of element fields recurse */
HRESULT ntcp__wws_write_typed(ntcp_buf *out, const WS_XML_STRING *local, const WS_XML_STRING *ns, WS_TYPE t,
                              const void *desc, const void *v, unsigned depth, WS_ERROR *error)
{
    if (!local || !ns || !local->length)
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "an element description without a name");
    if (depth > 32)
        return ntcp__wws_fail(error, WS_E_QUOTA_EXCEEDED, NTCP_CAUSE_QUOTA_EXCEEDED, "structs nested deeper than 32");
    char *text = NULL;
    HRESULT hr = S_OK;
    const WS_XML_QNAME *qn = t == WS_XML_QNAME_TYPE ? v : NULL;
    if (qn) { /* "q:local" with q declared on the element ("local" when the QName is in the element's namespace) */
        if ((qn->localName.length && !qn->localName.bytes) || (qn->ns.length && !qn->ns.bytes) ||
            !ncname((const char *)qn->localName.bytes, qn->localName.length))
            return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "a WS_XML_QNAME without a valid local name");
        static const char xml_ns[] = "http://www.w3.org/XML/1998/namespace";
        if (qn->ns.length == sizeof xml_ns - 1 && !memcmp(qn->ns.bytes, xml_ns, sizeof xml_ns - 1))
            return ntcp__wws_notimpl(error, "a WS_XML_QNAME in the xml namespace");
        bool same = qn->ns.length == ns->length && (!ns->length || !memcmp(qn->ns.bytes, ns->bytes, ns->length));
        if (!same && !qn->ns.length)
            return ntcp__wws_notimpl(error, "a WS_XML_QNAME in no namespace inside an element in a namespace");
        size_t n = qn->localName.length + (same ? 0 : 2);
        if (!(text = ntcp_malloc(n + 1))) return ntcp__wws_fail(error, E_OUTOFMEMORY, NTCP_CAUSE_OUT_OF_MEMORY, "out of memory");
        snprintf(text, n + 1, "%s%.*s", same ? "" : "q:", (int)qn->localName.length, (const char *)qn->localName.bytes);
    } else if (t != WS_STRUCT_TYPE && t != WS_UNION_TYPE && t != WS_ENDPOINT_ADDRESS_TYPE && t != WS_FAULT_TYPE) {
        hr = simple_text(t, desc, v, &text, error);
        if (FAILED(hr)) return hr;
    }
    hr = buf_add(out, "<", 1, error);
    if (SUCCEEDED(hr)) hr = buf_add(out, (const char *)local->bytes, local->length, error);
    if (SUCCEEDED(hr) && ns->length) {
        hr = buf_add(out, " xmlns=\"", 8, error);
        if (SUCCEEDED(hr)) hr = buf_escaped(out, (const char *)ns->bytes, ns->length, error);
        if (SUCCEEDED(hr)) hr = buf_add(out, "\"", 1, error);
    }
    if (qn && SUCCEEDED(hr) && (qn->ns.length != ns->length || memcmp(qn->ns.bytes, ns->bytes, ns->length))) {
        hr = buf_add(out, " xmlns:q=\"", 10, error);
        if (SUCCEEDED(hr)) hr = buf_escaped(out, (const char *)qn->ns.bytes, qn->ns.length, error);
        if (SUCCEEDED(hr)) hr = buf_add(out, "\"", 1, error);
    }
    const WS_STRUCT_DESCRIPTION *sdesc = t == WS_STRUCT_TYPE ? desc : NULL;
    if (sdesc && SUCCEEDED(hr)) { /* a derived type: its description in the value, xsi:type names it */
        const WS_STRUCT_DESCRIPTION *actual = NULL;
        hr = struct_actual_of_value(sdesc, v, &actual, error);
        if (SUCCEEDED(hr) && actual != sdesc) {
            sdesc = actual;
            desc = actual;
            hr = buf_add(out, " i:type=\"a:", 11, error);
            if (SUCCEEDED(hr)) hr = buf_escaped(out, (const char *)actual->typeLocalName->bytes, actual->typeLocalName->length, error);
            if (SUCCEEDED(hr)) hr = buf_add(out, "\" xmlns:a=\"", 11, error);
            if (SUCCEEDED(hr)) hr = buf_escaped(out, (const char *)actual->typeNs->bytes, actual->typeNs->length, error);
            static const char xsi[] = "\" xmlns:i=\"" XSI_NS "\"";
            if (SUCCEEDED(hr)) hr = buf_add(out, xsi, sizeof xsi - 1, error);
        }
    }
    if (sdesc && sdesc->fieldCount && sdesc->fields)
        for (ULONG i = 0; i < sdesc->fieldCount && SUCCEEDED(hr); i++)
            if (sdesc->fields[i] && sdesc->fields[i]->mapping == WS_ATTRIBUTE_FIELD_MAPPING) {
                hr = ntcp__wws_field_supported(sdesc->fields[i], error);
                if (SUCCEEDED(hr)) hr = write_attr_or_text(out, sdesc->fields[i], v, error);
            }
    if (SUCCEEDED(hr)) hr = buf_add(out, ">", 1, error);
    if (SUCCEEDED(hr) && text) hr = buf_escaped(out, text, strlen(text), error);
    ntcp_free(text);
    if (SUCCEEDED(hr) && t == WS_ENDPOINT_ADDRESS_TYPE) hr = write_epa(out, v, error);
    if (SUCCEEDED(hr) && t == WS_FAULT_TYPE) hr = write_fault(out, v, depth, error);
    if (SUCCEEDED(hr) && t == WS_UNION_TYPE) hr = write_choice(out, desc, v, false, depth, error);
    if (SUCCEEDED(hr) && t == WS_STRUCT_TYPE) {
        const WS_STRUCT_DESCRIPTION *sd = desc;
        if (!sd || (sd->fieldCount && !sd->fields))
            return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "a struct without its description");
        for (ULONG i = 0; i < sd->fieldCount && SUCCEEDED(hr); i++) {
            const WS_FIELD_DESCRIPTION *f = sd->fields[i];
            hr = ntcp__wws_field_supported(f, error);
            if (FAILED(hr)) break;
            if (f->mapping == WS_REPEATING_ELEMENT_FIELD_MAPPING) {
                hr = write_array(out, f, v, depth, error);
                continue;
            }
            if (f->mapping == WS_ATTRIBUTE_FIELD_MAPPING || f->mapping == WS_NO_FIELD_MAPPING ||
                f->mapping == WS_TYPE_ATTRIBUTE_FIELD_MAPPING)
                continue;
            if (f->mapping == WS_TEXT_FIELD_MAPPING) {
                hr = write_attr_or_text(out, f, v, error);
                continue;
            }
            if (f->mapping == WS_ANY_ELEMENT_FIELD_MAPPING) {
                const WS_XML_BUFFER *xb = *(WS_XML_BUFFER *const *)((const BYTE *)v + f->offset);
                if (xb && xb->len) hr = buf_add(out, (const char *)xb->data, xb->len, error);
                else if (!(f->options & WS_FIELD_OPTIONAL))
                    hr = ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT,
                                        "the any-element field is NULL or empty and not WS_FIELD_OPTIONAL");
                continue;
            }
            if (f->mapping == WS_ELEMENT_CHOICE_FIELD_MAPPING) {
                hr = write_choice(out, f->typeDescription, (const BYTE *)v + f->offset, f->options & WS_FIELD_OPTIONAL,
                                  depth, error);
                continue;
            }
            hr = write_element_field(out, f, v, depth, error);
        }
    }
    if (SUCCEEDED(hr)) hr = buf_add(out, "</", 2, error);
    if (SUCCEEDED(hr)) hr = buf_add(out, (const char *)local->bytes, local->length, error);
    if (SUCCEEDED(hr)) hr = buf_add(out, ">", 1, error);
    return hr;
}

static const WS_XML_STRING *field_name(const WS_FIELD_DESCRIPTION *f)
{
    return f->mapping == WS_REPEATING_ELEMENT_FIELD_MAPPING ? f->itemLocalName : f->localName;
}

static size_t item_size(WS_TYPE t, const void *desc)
{
    return desc_size(t, desc);
}

HRESULT ntcp__wws_field_supported(const WS_FIELD_DESCRIPTION *f, WS_ERROR *error)
{
    static const WS_XML_STRING text_name = {6, (BYTE *)"(text)", NULL, 0}, none_name = {10, (BYTE *)"(no field)", NULL, 0};
    bool repeating = f && f->mapping == WS_REPEATING_ELEMENT_FIELD_MAPPING;
    bool unnamed = f && (f->mapping == WS_TEXT_FIELD_MAPPING || f->mapping == WS_NO_FIELD_MAPPING ||
                          f->mapping == WS_TYPE_ATTRIBUTE_FIELD_MAPPING || f->mapping == WS_ANY_ELEMENT_FIELD_MAPPING ||
                          f->mapping == WS_ELEMENT_CHOICE_FIELD_MAPPING);
    if (!f || (!unnamed && (!field_name(f) || !(repeating ? f->itemNs : f->ns) || (repeating && !f->localName != !f->ns))))
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "a field description without a name");
    const WS_XML_STRING *n = f->mapping == WS_TEXT_FIELD_MAPPING ? &text_name
                           : f->mapping == WS_NO_FIELD_MAPPING  ? &none_name : field_name(f);
    if (f->mapping == WS_ANY_ELEMENT_FIELD_MAPPING) { /* a WS_XML_BUFFER* holding one element of any name */
        if (f->type != WS_XML_BUFFER_TYPE || (f->options & ~WS_FIELD_OPTIONAL))
            return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT,
                                  "a WS_ANY_ELEMENT_FIELD_MAPPING field is a WS_XML_BUFFER_TYPE (options: WS_FIELD_OPTIONAL)");
        return S_OK;
    }
    if (f->mapping == WS_ELEMENT_CHOICE_FIELD_MAPPING) { /* the union's elements, no wrapper */
        if (f->type != WS_UNION_TYPE || !f->typeDescription || (f->options & ~WS_FIELD_OPTIONAL))
            return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT,
                                  "a WS_ELEMENT_CHOICE_FIELD_MAPPING field is a WS_UNION_TYPE with its description "
                                  "(options: WS_FIELD_OPTIONAL)");
        return S_OK;
    }
    if (f->mapping == WS_TYPE_ATTRIBUTE_FIELD_MAPPING) {
        if (f->type != WS_DESCRIPTION_TYPE)
            return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT,
                                  "a WS_TYPE_ATTRIBUTE_FIELD_MAPPING field must be of WS_DESCRIPTION_TYPE");
        return S_OK;
    }
    if (f->type == WS_DESCRIPTION_TYPE)
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT,
                              "WS_DESCRIPTION_TYPE only with WS_TYPE_ATTRIBUTE_FIELD_MAPPING");
    if (f->mapping != WS_ELEMENT_FIELD_MAPPING && !repeating && !unnamed && f->mapping != WS_ATTRIBUTE_FIELD_MAPPING)
        return ntcp__wws_fail(error, E_NOTIMPL, NTCP_CAUSE_UNSUPPORTED,
                              "field '%.*s' uses WS_FIELD_MAPPING %d; the serializer handles the ELEMENT, "
                              "REPEATING_ELEMENT, ATTRIBUTE, TEXT and NO_FIELD mappings so far (docs/wwsapi.md)",
                              (int)n->length, (const char *)n->bytes, (int)f->mapping);
    if (f->mapping == WS_ATTRIBUTE_FIELD_MAPPING && f->ns->length)
        return ntcp__wws_fail(error, E_NOTIMPL, NTCP_CAUSE_UNSUPPORTED,
                              "attribute field '%.*s' in a namespace; the serializer handles unqualified attributes so far",
                              (int)n->length, (const char *)n->bytes);
    if ((f->mapping == WS_ATTRIBUTE_FIELD_MAPPING || f->mapping == WS_TEXT_FIELD_MAPPING) &&
        (f->type == WS_STRUCT_TYPE || f->type == WS_XML_BUFFER_TYPE || f->type == WS_XML_QNAME_TYPE ||
         f->type == WS_ENDPOINT_ADDRESS_TYPE || f->type == WS_FAULT_TYPE))
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT,
                              "field '%.*s': an attribute or text field must be of a simple type", (int)n->length,
                              (const char *)n->bytes);
    if (!value_size(f->type) && f->type != WS_STRUCT_TYPE && f->type != WS_UNION_TYPE)
        return ntcp__wws_fail(error, E_NOTIMPL, NTCP_CAUSE_UNSUPPORTED,
                              "field '%.*s' is of WS_TYPE %d; the serializer handles numbers, bool, float, double, "
                              "datetime, timespan, GUID, unique id, WS_STRING, WSZ, bytes, XML string, enum and "
                              "structs of them so far (docs/wwsapi.md)",
                              (int)n->length, (const char *)n->bytes, (int)f->type);
    if (f->type == WS_XML_BUFFER_TYPE)
        return ntcp__wws_fail(error, E_NOTIMPL, NTCP_CAUSE_UNSUPPORTED, "field '%.*s': an XML buffer field",
                              (int)n->length, (const char *)n->bytes);
    ULONG allowed = repeating ? WS_FIELD_OPTIONAL : (WS_FIELD_OPTIONAL | WS_FIELD_POINTER | WS_FIELD_NILLABLE);
    if ((f->options & WS_FIELD_NILLABLE) && (f->mapping != WS_ELEMENT_FIELD_MAPPING ||
        !((f->options & WS_FIELD_POINTER) || f->type == WS_WSZ_TYPE || has_nil_value(f->type))))
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT,
                              "field '%.*s': WS_FIELD_NILLABLE needs an element field that is a pointer or of a type "
                              "with a nil value (WSZ, WS_STRING, WS_BYTES, WS_XML_STRING)", (int)n->length,
                              (const char *)n->bytes);
    if (f->options & ~allowed)
        return ntcp__wws_fail(error, E_NOTIMPL, NTCP_CAUSE_UNSUPPORTED,
                              "field '%.*s' has options 0x%x; the serializer handles WS_FIELD_POINTER and "
                              "WS_FIELD_NILLABLE (not on arrays) and WS_FIELD_OPTIONAL so far", (int)n->length, (const char *)n->bytes,
                              (unsigned)f->options);
    return S_OK;
}

/* an array field: [<wrapper>] <item/>... [</wrapper>]; v is the struct */
static HRESULT write_array(ntcp_buf *out, const WS_FIELD_DESCRIPTION *f, const void *v, unsigned depth,
                           WS_ERROR *error)
{
    const BYTE *items = *(const BYTE *const *)((const BYTE *)v + f->offset);
    ULONG count = *(const ULONG *)((const BYTE *)v + f->countOffset);
    size_t size = item_size(f->type, f->typeDescription);
    if (count && !items)
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "the array '%.*s' has %u items and no "
                              "pointer to them", (int)f->itemLocalName->length, (const char *)f->itemLocalName->bytes,
                              (unsigned)count);
    if (f->itemRange && (count < f->itemRange->minItemCount || count > f->itemRange->maxItemCount))
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "the array '%.*s' has %u items, outside "
                              "its range %u..%u", (int)f->itemLocalName->length, (const char *)f->itemLocalName->bytes,
                              (unsigned)count, (unsigned)f->itemRange->minItemCount, (unsigned)f->itemRange->maxItemCount);
    HRESULT hr = S_OK;
    if (f->localName) {
        hr = buf_add(out, "<", 1, error);
        if (SUCCEEDED(hr)) hr = buf_add(out, (const char *)f->localName->bytes, f->localName->length, error);
        if (SUCCEEDED(hr) && f->ns->length) {
            hr = buf_add(out, " xmlns=\"", 8, error);
            if (SUCCEEDED(hr)) hr = buf_escaped(out, (const char *)f->ns->bytes, f->ns->length, error);
            if (SUCCEEDED(hr)) hr = buf_add(out, "\"", 1, error);
        }
        if (SUCCEEDED(hr)) hr = buf_add(out, ">", 1, error);
    }
    for (ULONG i = 0; i < count && SUCCEEDED(hr); i++)
        hr = ntcp__wws_write_typed(out, f->itemLocalName, f->itemNs, f->type, f->typeDescription, items + i * size,
                                   depth + 1, error);
    if (SUCCEEDED(hr) && f->localName) {
        hr = buf_add(out, "</", 2, error);
        if (SUCCEEDED(hr)) hr = buf_add(out, (const char *)f->localName->bytes, f->localName->length, error);
        if (SUCCEEDED(hr)) hr = buf_add(out, ">", 1, error);
    }
    return hr;
}

static const xmlNode *child_named(const xmlNode *e, const WS_XML_STRING *local, const WS_XML_STRING *ns);

static bool node_is(const xmlNode *c, const WS_XML_STRING *local, const WS_XML_STRING *ns)
{
    const char *cns = c->ns && c->ns->href ? (const char *)c->ns->href : "";
    return c->type == XML_ELEMENT_NODE && strlen((const char *)c->name) == local->length &&
           !memcmp(c->name, local->bytes, local->length) && strlen(cns) == ns->length && !memcmp(cns, ns->bytes, ns->length);
}

/* an array field of the struct element e into the struct at base: the items allocated from heap */
static HRESULT read_array(const xmlNode *e, const WS_FIELD_DESCRIPTION *f, WS_HEAP *heap, void *base, unsigned depth,
                          WS_ERROR *error)
{
    BYTE **items = (BYTE **)((BYTE *)base + f->offset);
    ULONG *count = (ULONG *)((BYTE *)base + f->countOffset);
    *items = NULL;
    *count = 0;
    const xmlNode *parent = e;
    if (f->localName) {
        parent = child_named(e, f->localName, f->ns);
        if (!parent) {
            if (f->options & WS_FIELD_OPTIONAL) return S_OK;
            return ntcp__wws_fail(error, WS_E_INVALID_FORMAT, NTCP_CAUSE_PROTOCOL, "the element {%.*s}%.*s is missing",
                                  (int)f->ns->length, (const char *)f->ns->bytes, (int)f->localName->length,
                                  (const char *)f->localName->bytes);
        }
    }
    ULONG n = 0;
    for (const xmlNode *c = parent->children; c; c = c->next)
        if (node_is(c, f->itemLocalName, f->itemNs)) n++;
    if (f->itemRange && (n < f->itemRange->minItemCount || n > f->itemRange->maxItemCount))
        return ntcp__wws_fail(error, WS_E_INVALID_FORMAT, NTCP_CAUSE_PROTOCOL, "the array '%.*s' has %u items, outside "
                              "its range %u..%u", (int)f->itemLocalName->length, (const char *)f->itemLocalName->bytes,
                              (unsigned)n, (unsigned)f->itemRange->minItemCount, (unsigned)f->itemRange->maxItemCount);
    if (!n) return S_OK;
    size_t size = item_size(f->type, f->typeDescription);
    if (!size || n > ((size_t)-1) / size)
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "an array of items of no size");
    void *mem;
    HRESULT hr = WsAlloc(heap, n * size, &mem, error);
    if (FAILED(hr)) return hr;
    ULONG i = 0;
    for (const xmlNode *c = parent->children; c && SUCCEEDED(hr); c = c->next)
        if (node_is(c, f->itemLocalName, f->itemNs))
            hr = ntcp__wws_read_typed(c, f->type, f->typeDescription, heap, (BYTE *)mem + (i++) * size, depth + 1, error);
    if (FAILED(hr)) return hr;
    *items = mem;
    *count = n;
    return S_OK;
}

/* the value of element e into dst (the field's or value's place) */
HRESULT ntcp__wws_read_typed(const void *node, WS_TYPE t, const void *desc, WS_HEAP *heap, void *dst, unsigned depth,
                             WS_ERROR *error)
{
    const xmlNode *e = node;
    if (depth > 32)
        return ntcp__wws_fail(error, WS_E_QUOTA_EXCEEDED, NTCP_CAUSE_QUOTA_EXCEEDED, "structs nested deeper than 32");
    if (t == WS_XML_QNAME_TYPE) return read_qname(e, heap, dst, error);
    if (t == WS_ENDPOINT_ADDRESS_TYPE) return read_epa(e, heap, dst, error);
    if (t == WS_FAULT_TYPE) return read_fault(e, heap, dst, error);
    if (t == WS_UNION_TYPE) return read_choice(e, desc, heap, dst, false, depth, error);
    if (t != WS_STRUCT_TYPE) {
        xmlChar *text = xmlNodeGetContent(e);
        HRESULT hr = read_text_desc(text ? (const char *)text : "", t, desc, heap, dst, error);
        xmlFree(text);
        return hr;
    }
    const WS_STRUCT_DESCRIPTION *sd = desc;
    if (!sd || (sd->fieldCount && !sd->fields))
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "a struct without its description");
    const WS_STRUCT_DESCRIPTION *actual;
    HRESULT ahr = struct_actual_of_node(e, sd, &actual, error);
    if (FAILED(ahr)) return ahr;
    if (actual != sd) /* the caller sized the place for sd: only a pointer field can hold a derived type */
        return ntcp__wws_fail(error, WS_E_INVALID_FORMAT, NTCP_CAUSE_PROTOCOL,
                              "a derived type (xsi:type) where its place is not a pointer (WS_FIELD_POINTER)");
    memset(dst, 0, sd->size);
    for (ULONG i = 0; i < sd->fieldCount; i++) {
        const WS_FIELD_DESCRIPTION *f = sd->fields[i];
        HRESULT hr = ntcp__wws_field_supported(f, error);
        if (FAILED(hr)) return hr;
        if (f->offset >= sd->size)
            return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "a field offset beyond the struct's size");
        if (f->mapping == WS_ANY_ELEMENT_FIELD_MAPPING) {
            hr = read_any_element(e, sd, f, heap, (BYTE *)dst + f->offset, error);
            if (FAILED(hr)) return hr;
            continue;
        }
        if (f->mapping == WS_TYPE_ATTRIBUTE_FIELD_MAPPING) { /* the description read */
            *(const WS_STRUCT_DESCRIPTION **)((BYTE *)dst + f->offset) = sd;
            continue;
        }
        if (f->mapping == WS_ELEMENT_CHOICE_FIELD_MAPPING) {
            hr = read_choice(e, f->typeDescription, heap, (BYTE *)dst + f->offset, f->options & WS_FIELD_OPTIONAL,
                             depth, error);
            if (FAILED(hr)) return hr;
            continue;
        }
        hr = f->mapping == WS_REPEATING_ELEMENT_FIELD_MAPPING ? read_array(e, f, heap, dst, depth, error)
                                                              : ntcp__wws_read_field(e, f, heap, (BYTE *)dst + f->offset, depth, error);
        if (FAILED(hr)) return hr;
    }
    return S_OK;
}

static const xmlNode *child_named(const xmlNode *e, const WS_XML_STRING *local, const WS_XML_STRING *ns)
{
    for (const xmlNode *c = e->children; c; c = c->next)
        if (node_is(c, local, ns)) return c;
    return NULL;
}

static HRESULT ntcp__wws_read_field_from(const void *node, const void *cn, const void *text,
                                         const WS_FIELD_DESCRIPTION *f, WS_HEAP *heap, void *fp, unsigned depth,
                                         WS_ERROR *error);

/* field f of the struct element e into fp, the field's place */
HRESULT ntcp__wws_read_field(const void *node, const WS_FIELD_DESCRIPTION *f, WS_HEAP *heap, void *fp,
                             unsigned depth, WS_ERROR *error)
{
    const xmlNode *c = NULL;
    xmlChar *text = NULL; /* an attribute's or the text field's value */
    if (f->mapping == WS_ELEMENT_FIELD_MAPPING) c = child_named(node, f->localName, f->ns);
    else if (f->mapping == WS_ATTRIBUTE_FIELD_MAPPING) {
        char *an = ntcp__wws_xml_str(f->localName);
        if (!an) return ntcp__wws_fail(error, E_OUTOFMEMORY, NTCP_CAUSE_OUT_OF_MEMORY, "out of memory");
        text = xmlGetNoNsProp((const xmlNode *)node, (const xmlChar *)an);
        ntcp_free(an);
    } else if (f->mapping == WS_TEXT_FIELD_MAPPING)
        text = xmlNodeGetContent((const xmlNode *)node);
    HRESULT hr = ntcp__wws_read_field_from(node, c, text, f, heap, fp, depth, error);
    xmlFree(text);
    return hr;
}

static HRESULT ntcp__wws_read_field_from(const void *node, const void *cn, const void *text,
                                         const WS_FIELD_DESCRIPTION *f, WS_HEAP *heap, void *fp, unsigned depth,
                                         WS_ERROR *error)
{
    (void)node;
    const xmlNode *c = cn;
    size_t vsize = desc_size(f->type, f->typeDescription);
    if (!vsize) return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "a field of no size");
    if (!c && !text) {
        if (f->mapping == WS_TEXT_FIELD_MAPPING) text = "";
        else if (!(f->options & WS_FIELD_OPTIONAL) && f->mapping != WS_NO_FIELD_MAPPING)
            return ntcp__wws_fail(error, WS_E_INVALID_FORMAT, NTCP_CAUSE_PROTOCOL, "the %s {%.*s}%.*s is missing",
                                  f->mapping == WS_ATTRIBUTE_FIELD_MAPPING ? "attribute" : "element",
                                  (int)f->ns->length, (const char *)f->ns->bytes, (int)f->localName->length,
                                  (const char *)f->localName->bytes);
    }
    if (!c && !text) {
        if (f->options & WS_FIELD_POINTER) *(void **)fp = NULL;
        else if (f->defaultValue && f->defaultValue->value && f->defaultValue->valueSize == vsize)
            memcpy(fp, f->defaultValue->value, vsize);
        else
            memset(fp, 0, vsize);
        return S_OK;
    }
    if (c && is_nil(c)) {
        if (!(f->options & WS_FIELD_NILLABLE))
            return ntcp__wws_fail(error, WS_E_INVALID_FORMAT, NTCP_CAUSE_PROTOCOL,
                                  "the element {%.*s}%.*s is nil and its field is not WS_FIELD_NILLABLE",
                                  (int)f->ns->length, (const char *)f->ns->bytes, (int)f->localName->length,
                                  (const char *)f->localName->bytes);
        if (f->options & WS_FIELD_POINTER) *(void **)fp = NULL;
        else memset(fp, 0, vsize); /* WSZ NULL, or the type's nil value */
        return S_OK;
    }
    void *dst = fp;
    const void *tdesc = f->typeDescription;
    if (c && f->type == WS_STRUCT_TYPE && (f->options & WS_FIELD_POINTER)) { /* maybe a derived type: its size */
        const WS_STRUCT_DESCRIPTION *actual;
        HRESULT hr = struct_actual_of_node(c, tdesc, &actual, error);
        if (FAILED(hr)) return hr;
        tdesc = actual;
        vsize = actual->size;
    }
    if (f->options & WS_FIELD_POINTER) {
        HRESULT hr = WsAlloc(heap, vsize, &dst, error);
        if (FAILED(hr)) return hr;
        *(void **)fp = dst;
    }
    if (!c) return read_text_desc(text, f->type, f->typeDescription, heap, dst, error);
    return ntcp__wws_read_typed(c, f->type, tdesc, heap, dst, depth + 1, error);
}

HRESULT ntcp__wws_write_element(ntcp_buf *out, const WS_ELEMENT_DESCRIPTION *d, WS_WRITE_OPTION opt,
                                const void *value, ULONG size, WS_ERROR *error)
{
    if (!d) return S_OK; /* an empty body */
    if (!value)
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "the body value is NULL");
    if (opt == WS_WRITE_NILLABLE_POINTER) { /* a NULL pointer is a nil element */
        if (size != sizeof(void *))
            return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT,
                                  "WS_WRITE_NILLABLE_POINTER: valueSize must be the size of a pointer");
        if (!*(void *const *)value) return write_nil(out, d->elementLocalName, d->elementNs, error);
        opt = WS_WRITE_REQUIRED_POINTER;
    } else if (opt == WS_WRITE_NILLABLE_VALUE) {
        if (!has_nil_value(d->type))
            return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT,
                                  "WS_WRITE_NILLABLE_VALUE is for WS_STRING, WS_BYTES and WS_XML_STRING values");
        if (size == value_size(d->type) && nil_value(d->type, value))
            return write_nil(out, d->elementLocalName, d->elementNs, error);
        opt = WS_WRITE_REQUIRED_VALUE;
    }
    if (!d->elementLocalName || !d->elementNs)
        if (d->type != WS_XML_BUFFER_TYPE)
            return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "an element description without a name");
    bool pointer_type = d->type == WS_WSZ_TYPE || d->type == WS_XML_BUFFER_TYPE;
    size_t vsize = desc_size(d->type, d->typeDescription);
    const void *v = value;
    if (opt == WS_WRITE_REQUIRED_POINTER && !pointer_type) {
        if (size != sizeof(void *))
            return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT,
                                  "WS_WRITE_REQUIRED_POINTER: valueSize must be the size of a pointer");
        v = *(const void *const *)value;
        if (!v) return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "the body value pointer is NULL");
    } else if (vsize && size != vsize)
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT,
                              "valueSize %u is not the size of the body's type (%zu)", (unsigned)size, vsize);
    if (pointer_type && opt != WS_WRITE_REQUIRED_POINTER)
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT,
                              "WS_WSZ_TYPE and WS_XML_BUFFER_TYPE are written with WS_WRITE_REQUIRED_POINTER");
    if (d->type == WS_XML_BUFFER_TYPE) {
        if (d->elementLocalName)
            return ntcp__wws_notimpl(error, "a WS_XML_BUFFER_TYPE body inside a named element (give NULL names)");
        const WS_XML_BUFFER *b = *(WS_XML_BUFFER *const *)value;
        if (!b) return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "the XML buffer is NULL");
        return buf_add(out, (const char *)b->data, b->len, error);
    }
    if (!vsize)
        return ntcp__wws_fail(error, E_NOTIMPL, NTCP_CAUSE_UNSUPPORTED,
                              "WS_TYPE %d in a message body is not implemented yet (the serializer: docs/wwsapi.md)",
                              (int)d->type);
    return ntcp__wws_write_typed(out, d->elementLocalName, d->elementNs, d->type, d->typeDescription, v, 0, error);
}

HRESULT WINAPI WsWriteElement(WS_XML_WRITER *writer, const WS_ELEMENT_DESCRIPTION *elementDescription,
                              WS_WRITE_OPTION writeOption, const void *value, ULONG valueSize, WS_ERROR *error)
{
    if (!writer || !elementDescription)
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "WsWriteElement: NULL argument");
    ntcp_buf b;
    ntcp_buf_init(&b, BODY_MAX);
    HRESULT hr = ntcp__wws_write_element(&b, elementDescription, writeOption, value, valueSize, error);
    if (SUCCEEDED(hr)) hr = ntcp__wws_writer_raw(writer, b.data, b.len, error);
    ntcp_buf_free(&b);
    return hr;
}

HRESULT WINAPI WsWriteBody(WS_MESSAGE *message, const WS_ELEMENT_DESCRIPTION *bodyDescription,
                           WS_WRITE_OPTION writeOption, const void *value, ULONG valueSize, WS_ERROR *error)
{
    if (!message || !bodyDescription)
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "WsWriteBody: NULL argument");
    if (message->state != WS_MESSAGE_STATE_WRITING)
        return ntcp__wws_fail(error, WS_E_INVALID_OPERATION, NTCP_CAUSE_INVALID_ARGUMENT,
                              "WsWriteBody: the message is not being written (WsWriteMessageStart first)");
    return ntcp__wws_write_element(&message->body, bodyDescription, writeOption, value, valueSize, error);
}

/* ---- reading ------------------------------------------------------------ */
static xmlNodePtr first_element(xmlNodePtr n)
{
    for (; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE) return n;
    return NULL;
}

static HRESULT parse_number(WS_TYPE t, const char *s, void *out, WS_ERROR *error)
{
    errno = 0;
    char *end = NULL;
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
    bool ok = *s != 0;
    if (t == WS_BOOL_TYPE) {
        BOOL b = !strcmp(s, "true") || !strcmp(s, "1");
        ok = b || !strcmp(s, "false") || !strcmp(s, "0");
        if (ok) *(BOOL *)out = b;
        end = (char *)s + strlen(s);
    } else if (t == WS_DOUBLE_TYPE) {
        double d = !strcmp(s, "INF") ? INFINITY : !strcmp(s, "-INF") ? -INFINITY : !strcmp(s, "NaN") ? NAN
                 : strtod(s, &end);
        if (!end) end = (char *)s + strlen(s);
        *(double *)out = d;
    } else if (t == WS_INT8_TYPE || t == WS_INT16_TYPE || t == WS_INT32_TYPE || t == WS_INT64_TYPE) {
        long long v = strtoll(s, &end, 10);
        long long lo = t == WS_INT8_TYPE ? INT8_MIN : t == WS_INT16_TYPE ? INT16_MIN : t == WS_INT32_TYPE ? INT32_MIN : INT64_MIN;
        long long hi = t == WS_INT8_TYPE ? INT8_MAX : t == WS_INT16_TYPE ? INT16_MAX : t == WS_INT32_TYPE ? INT32_MAX : INT64_MAX;
        if (errno == ERANGE || v < lo || v > hi)
            return ntcp__wws_fail(error, WS_E_NUMERIC_OVERFLOW, NTCP_CAUSE_PROTOCOL, "the number '%s' is out of range", s);
        if (t == WS_INT8_TYPE) *(int8_t *)out = (int8_t)v;
        else if (t == WS_INT16_TYPE) *(int16_t *)out = (int16_t)v;
        else if (t == WS_INT32_TYPE) *(int32_t *)out = (int32_t)v;
        else *(int64_t *)out = v;
    } else {
        if (*s == '-') ok = false;
        unsigned long long v = strtoull(s, &end, 10);
        unsigned long long hi = t == WS_UINT8_TYPE ? UINT8_MAX : t == WS_UINT16_TYPE ? UINT16_MAX
                              : t == WS_UINT32_TYPE ? UINT32_MAX : UINT64_MAX;
        if (ok && (errno == ERANGE || v > hi))
            return ntcp__wws_fail(error, WS_E_NUMERIC_OVERFLOW, NTCP_CAUSE_PROTOCOL, "the number '%s' is out of range", s);
        if (t == WS_UINT8_TYPE) *(uint8_t *)out = (uint8_t)v;
        else if (t == WS_UINT16_TYPE) *(uint16_t *)out = (uint16_t)v;
        else if (t == WS_UINT32_TYPE) *(uint32_t *)out = (uint32_t)v;
        else *(uint64_t *)out = v;
    }
    if (ok && end) {
        while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r') end++;
        ok = *end == 0;
    }
    if (!ok) return ntcp__wws_fail(error, WS_E_INVALID_FORMAT, NTCP_CAUSE_PROTOCOL, "'%s' is not a valid value of WS_TYPE %d", s, (int)t);
    return S_OK;
}

static HRESULT heap_wchars(WS_HEAP *heap, const char *s, WCHAR **out, ULONG *len, WS_ERROR *error)
{
    ULONG n;
    WCHAR *w = ntcp__wws_from_utf8(s, strlen(s), &n);
    if (!w) return ntcp__wws_fail(error, E_OUTOFMEMORY, NTCP_CAUSE_OUT_OF_MEMORY, "out of memory");
    void *p;
    HRESULT hr = WsAlloc(heap, ((size_t)n + 1) * sizeof(WCHAR), &p, error);
    if (SUCCEEDED(hr)) {
        memcpy(p, w, ((size_t)n + 1) * sizeof(WCHAR));
        *out = p;
        *len = n;
    }
    ntcp_free(w);
    return hr;
}

HRESULT ntcp__wws_read_text(const char *text, WS_TYPE t, WS_HEAP *heap, void *dst, WS_ERROR *error)
{
    return read_text_desc(text, t, NULL, heap, dst, error);
}

static HRESULT read_text_desc(const char *text, WS_TYPE t, const void *desc, WS_HEAP *heap, void *dst, WS_ERROR *error)
{
    if (t == WS_WSZ_TYPE || t == WS_STRING_TYPE) {
        WCHAR *w = NULL;
        ULONG n = 0;
        HRESULT hr = heap_wchars(heap, text, &w, &n, error);
        if (FAILED(hr)) return hr;
        if (t == WS_WSZ_TYPE) *(WCHAR **)dst = w;
        else ((WS_STRING *)dst)->chars = w, ((WS_STRING *)dst)->length = n;
        return S_OK;
    }
    if (!value_size(t) || t == WS_XML_BUFFER_TYPE)
        return ntcp__wws_fail(error, E_NOTIMPL, NTCP_CAUSE_UNSUPPORTED,
                              "WS_TYPE %d is not implemented yet by the serializer (docs/wwsapi.md)", (int)t);
    if (ntcp__wws_type_size(t)) return ntcp__wws_type_parse(text, t, desc, heap, dst, error);
    return parse_number(t, text, dst, error);
}

size_t ntcp__wws_value_size(WS_TYPE t)
{
    return t == WS_XML_BUFFER_TYPE ? 0 : value_size(t);
}

HRESULT ntcp__wws_read_element(const char *xml, size_t len, const WS_ELEMENT_DESCRIPTION *d, WS_READ_OPTION opt,
                               WS_HEAP *heap, void *value, ULONG size, WS_ERROR *error)
{
    if (!d) return S_OK;
    if (!value || !heap)
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "reading a body needs a heap and a value");
    bool nillable = opt == WS_READ_NILLABLE_POINTER || opt == WS_READ_NILLABLE_VALUE;
    if (opt == WS_READ_NILLABLE_VALUE && !has_nil_value(d->type))
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT,
                              "WS_READ_NILLABLE_VALUE is for WS_STRING, WS_BYTES and WS_XML_STRING values");
    if (opt == WS_READ_NILLABLE_POINTER) opt = WS_READ_REQUIRED_POINTER;
    else if (opt == WS_READ_NILLABLE_VALUE) opt = WS_READ_REQUIRED_VALUE;
    if (d->type == WS_XML_BUFFER_TYPE) {
        if (d->elementLocalName)
            return ntcp__wws_notimpl(error, "a WS_XML_BUFFER_TYPE body inside a named element (give NULL names)");
        if (size != sizeof(WS_XML_BUFFER *) || opt == WS_READ_REQUIRED_VALUE)
            return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT,
                                  "a WS_XML_BUFFER_TYPE body is read with a pointer option into a WS_XML_BUFFER*");
        WS_XML_BUFFER *b;
        HRESULT hr = WsCreateXmlBuffer(heap, NULL, 0, &b, error);
        if (SUCCEEDED(hr)) hr = ntcp__wws_buffer_append(b, xml, len, error);
        if (SUCCEEDED(hr)) *(WS_XML_BUFFER **)value = b;
        return hr;
    }
    size_t vsize = desc_size(d->type, d->typeDescription);
    if (!vsize || d->type == WS_XML_BUFFER_TYPE)
        return ntcp__wws_fail(error, E_NOTIMPL, NTCP_CAUSE_UNSUPPORTED,
                              "WS_TYPE %d in a message body is not implemented yet (the serializer: docs/wwsapi.md)",
                              (int)d->type);
    bool by_pointer = opt != WS_READ_REQUIRED_VALUE || d->type == WS_WSZ_TYPE;
    if (d->type == WS_WSZ_TYPE && opt == WS_READ_REQUIRED_VALUE)
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT,
                              "WS_WSZ_TYPE is read with a pointer option");
    if (size != (by_pointer && d->type != WS_WSZ_TYPE ? sizeof(void *) : vsize))
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT,
                              "valueSize %u does not fit the body's type and read option", (unsigned)size);
    if (!d->elementLocalName || !d->elementNs)
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "the body element description has no name");
    /* the body as a fragment: <f>BODY</f> */
    char *doc = ntcp_malloc(len + 8);
    if (!doc) return ntcp__wws_fail(error, E_OUTOFMEMORY, NTCP_CAUSE_OUT_OF_MEMORY, "out of memory");
    memcpy(doc, "<f>", 3);
    if (len) memcpy(doc + 3, xml, len);
    memcpy(doc + 3 + len, "</f>", 4);
    xmlDocPtr x = len > 0x7FFFFFF0u ? NULL
                : xmlReadMemory(doc, (int)(len + 7), NULL, "UTF-8", XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    ntcp_free(doc);
    if (x && !(x->properties & XML_DOC_NSVALID)) { /* libxml2 keeps going after a namespace error: not here */
        xmlFreeDoc(x);
        x = NULL;
    }
    if (!x) return ntcp__wws_fail(error, WS_E_INVALID_FORMAT, NTCP_CAUSE_XML_SYNTAX_ERROR,
                                  "the body is not well-formed XML (with namespaces)");
    HRESULT hr = S_OK;
    xmlNodePtr root = xmlDocGetRootElement(x);
    xmlNodePtr e = root ? first_element(root->children) : NULL;
    char *local = ntcp__wws_xml_str(d->elementLocalName), *ns = ntcp__wws_xml_str(d->elementNs);
    const char *ens = e && e->ns && e->ns->href ? (const char *)e->ns->href : "";
    if (!local || !ns) hr = ntcp__wws_fail(error, E_OUTOFMEMORY, NTCP_CAUSE_OUT_OF_MEMORY, "out of memory");
    else if (!e) {
        if (opt == WS_READ_OPTIONAL_POINTER) *(void **)value = NULL;
        else hr = ntcp__wws_fail(error, WS_E_INVALID_FORMAT, NTCP_CAUSE_PROTOCOL,
                                 "the body is empty where the element {%s}%s was expected", ns, local);
    } else if ((strcmp((const char *)e->name, local) || strcmp(ens, ns)) && opt == WS_READ_OPTIONAL_POINTER)
        *(void **)value = NULL; /* another element: this one is absent */
    else if (strcmp((const char *)e->name, local) || strcmp(ens, ns))
        hr = ntcp__wws_fail(error, WS_E_INVALID_FORMAT, NTCP_CAUSE_PROTOCOL,
                            "the body holds {%s}%s where {%s}%s was expected", ens, (const char *)e->name, ns, local);
    else if (is_nil(e) && !nillable)
        hr = ntcp__wws_fail(error, WS_E_INVALID_FORMAT, NTCP_CAUSE_PROTOCOL,
                            "the element {%s}%s is nil; read it with a nillable option", ns, local);
    else if (is_nil(e)) {
        if (by_pointer) *(void **)value = NULL;
        else memset(value, 0, vsize);
    } else {
        void *dst = value;
        if (by_pointer && d->type != WS_WSZ_TYPE) {
            hr = WsAlloc(heap, vsize, &dst, error);
            if (SUCCEEDED(hr)) *(void **)value = dst;
        }
        if (SUCCEEDED(hr)) hr = ntcp__wws_read_typed(e, d->type, d->typeDescription, heap, dst, 0, error);
    }
    ntcp_free(local);
    ntcp_free(ns);
    xmlFreeDoc(x);
    return hr;
}

HRESULT WINAPI WsReadBody(WS_MESSAGE *message, const WS_ELEMENT_DESCRIPTION *bodyDescription,
                          WS_READ_OPTION readOption, WS_HEAP *heap, void *value, ULONG valueSize, WS_ERROR *error)
{
    if (!message || !bodyDescription)
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "WsReadBody: NULL argument");
    if (message->state != WS_MESSAGE_STATE_READING)
        return ntcp__wws_fail(error, WS_E_INVALID_OPERATION, NTCP_CAUSE_INVALID_ARGUMENT,
                              "WsReadBody: the message is not being read (WsReadMessageStart first)");
    return ntcp__wws_read_element((const char *)message->body.data, message->body.len, bodyDescription, readOption,
                                  heap, value, valueSize, error);
}

HRESULT ntcp__wws_message_from_soap(WS_MESSAGE *m, const ntcp_soap_msg *s, WS_ERROR *error)
{
    (void)WsResetMessage(m, NULL);
    bool oom = false;
#define DUP(dst, src) do { if (src && !(dst = ntcp_strndup(src, strlen(src)))) oom = true; } while (0)
    DUP(m->action, s->action);
    DUP(m->message_id, s->message_id);
    DUP(m->relates_to, s->relates_to);
    if (s->fault_code) { /* "Sender/ActionNotSupported": the code and its first subcode */
        size_t n = strlen(s->fault_code) + (s->fault_subcode ? strlen(s->fault_subcode) + 1 : 0) + 1;
        if ((m->fault_code = ntcp_malloc(n)))
            snprintf(m->fault_code, n, "%s%s%s", s->fault_code, s->fault_subcode ? "/" : "",
                     s->fault_subcode ? s->fault_subcode : "");
        else
            oom = true;
    }
    DUP(m->fault_reason, s->fault_reason);
    DUP(m->fault_code_local, s->fault_code);
    if (s->fault_nsubcodes) {
        DUP(m->fault_sub_ns, s->fault_subcodes[0].ns);
        DUP(m->fault_sub_local, s->fault_subcodes[0].local);
    }
#undef DUP
    if (oom || ntcp_buf_append(&m->body, s->body.data ? s->body.data : (const uint8_t *)"", s->body.len) != NTCP_OK ||
        (s->has_detail && ntcp_buf_append(&m->fault_detail, s->fault_detail.data, s->fault_detail.len) != NTCP_OK))
        return ntcp__wws_fail(error, E_OUTOFMEMORY, NTCP_CAUSE_OUT_OF_MEMORY, "the received message does not fit");
    m->is_fault = s->is_fault;
    m->state = WS_MESSAGE_STATE_DONE;
    return S_OK;
}

HRESULT ntcp__wws_write_array(ntcp_buf *out, const WS_FIELD_DESCRIPTION *f, const void *base, unsigned depth,
                              WS_ERROR *error)
{
    return write_array(out, f, base, depth, error);
}

HRESULT ntcp__wws_read_array(const void *node, const WS_FIELD_DESCRIPTION *f, WS_HEAP *heap, void *base, unsigned depth,
                             WS_ERROR *error)
{
    return read_array(node, f, heap, base, depth, error);
}
