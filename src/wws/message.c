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
        const char *rep = s[i] == '&' ? "&amp;" : s[i] == '<' ? "&lt;" : s[i] == '>' ? "&gt;" : NULL;
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
    default: return 0;
    }
}

/* the text form of a simple value, as DataContractSerializer writes it */
static HRESULT simple_text(WS_TYPE t, const void *v, char **out, WS_ERROR *error)
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
        return ntcp__wws_fail(error, E_NOTIMPL, NTCP_CAUSE_UNSUPPORTED,
                              "WS_TYPE %d in a message body is not implemented yet (the serializer: docs/wwsapi.md)",
                              (int)t);
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
    if (t != WS_STRUCT_TYPE) {
        hr = simple_text(t, v, &text, error);
        if (FAILED(hr)) return hr;
    }
    hr = buf_add(out, "<", 1, error);
    if (SUCCEEDED(hr)) hr = buf_add(out, (const char *)local->bytes, local->length, error);
    if (SUCCEEDED(hr) && ns->length) {
        hr = buf_add(out, " xmlns=\"", 8, error);
        if (SUCCEEDED(hr)) hr = buf_escaped(out, (const char *)ns->bytes, ns->length, error);
        if (SUCCEEDED(hr)) hr = buf_add(out, "\"", 1, error);
    }
    if (SUCCEEDED(hr)) hr = buf_add(out, ">", 1, error);
    if (SUCCEEDED(hr) && text) hr = buf_escaped(out, text, strlen(text), error);
    ntcp_free(text);
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
            const BYTE *fp = (const BYTE *)v + f->offset;
            if (f->options & WS_FIELD_POINTER) fp = *(const BYTE *const *)fp;
            bool absent = !fp || (f->type == WS_WSZ_TYPE && !*(const WCHAR *const *)fp);
            if (absent) {
                if (f->options & WS_FIELD_OPTIONAL) continue;
                hr = ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT,
                                    "the field '%.*s' is NULL and not WS_FIELD_OPTIONAL", (int)f->localName->length,
                                    (const char *)f->localName->bytes);
                break;
            }
            hr = ntcp__wws_write_typed(out, f->localName, f->ns, f->type, f->typeDescription, fp, depth + 1, error);
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
    return t == WS_STRUCT_TYPE ? (desc ? ((const WS_STRUCT_DESCRIPTION *)desc)->size : 0) : value_size(t);
}

HRESULT ntcp__wws_field_supported(const WS_FIELD_DESCRIPTION *f, WS_ERROR *error)
{
    bool repeating = f && f->mapping == WS_REPEATING_ELEMENT_FIELD_MAPPING;
    if (!f || !field_name(f) || !(repeating ? f->itemNs : f->ns) || (repeating && !f->localName != !f->ns))
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "a field description without a name");
    const WS_XML_STRING *n = field_name(f);
    if (f->mapping != WS_ELEMENT_FIELD_MAPPING && !repeating)
        return ntcp__wws_fail(error, E_NOTIMPL, NTCP_CAUSE_UNSUPPORTED,
                              "field '%.*s' uses WS_FIELD_MAPPING %d; the serializer handles "
                              "WS_ELEMENT_FIELD_MAPPING and WS_REPEATING_ELEMENT_FIELD_MAPPING so far (docs/wwsapi.md)",
                              (int)n->length, (const char *)n->bytes, (int)f->mapping);
    if (!value_size(f->type) && f->type != WS_STRUCT_TYPE)
        return ntcp__wws_fail(error, E_NOTIMPL, NTCP_CAUSE_UNSUPPORTED,
                              "field '%.*s' is of WS_TYPE %d; the serializer handles numbers, bool, double, "
                              "WS_STRING, WSZ and structs of them so far (docs/wwsapi.md)",
                              (int)n->length, (const char *)n->bytes, (int)f->type);
    if (f->type == WS_XML_BUFFER_TYPE)
        return ntcp__wws_fail(error, E_NOTIMPL, NTCP_CAUSE_UNSUPPORTED, "field '%.*s': an XML buffer field",
                              (int)n->length, (const char *)n->bytes);
    ULONG allowed = repeating ? WS_FIELD_OPTIONAL : (WS_FIELD_OPTIONAL | WS_FIELD_POINTER);
    if (f->options & ~allowed)
        return ntcp__wws_fail(error, E_NOTIMPL, NTCP_CAUSE_UNSUPPORTED,
                              "field '%.*s' has options 0x%x; the serializer handles WS_FIELD_POINTER (not on arrays) "
                              "and WS_FIELD_OPTIONAL so far", (int)n->length, (const char *)n->bytes,
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
    if (t != WS_STRUCT_TYPE) {
        xmlChar *text = xmlNodeGetContent(e);
        HRESULT hr = ntcp__wws_read_text(text ? (const char *)text : "", t, heap, dst, error);
        xmlFree(text);
        return hr;
    }
    const WS_STRUCT_DESCRIPTION *sd = desc;
    if (!sd || (sd->fieldCount && !sd->fields))
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "a struct without its description");
    if (sd->subTypeCount) return ntcp__wws_notimpl(error, "struct subtypes in the serializer");
    memset(dst, 0, sd->size);
    for (ULONG i = 0; i < sd->fieldCount; i++) {
        const WS_FIELD_DESCRIPTION *f = sd->fields[i];
        HRESULT hr = ntcp__wws_field_supported(f, error);
        if (FAILED(hr)) return hr;
        if (f->offset >= sd->size)
            return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "a field offset beyond the struct's size");
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

/* field f of the struct element e into fp, the field's place */
HRESULT ntcp__wws_read_field(const void *node, const WS_FIELD_DESCRIPTION *f, WS_HEAP *heap, void *fp,
                             unsigned depth, WS_ERROR *error)
{
    const xmlNode *c = child_named(node, f->localName, f->ns);
    size_t vsize = f->type == WS_STRUCT_TYPE ? (f->typeDescription ? ((const WS_STRUCT_DESCRIPTION *)f->typeDescription)->size : 0)
                                             : value_size(f->type);
    if (!vsize) return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "a field of no size");
    if (!c) {
        if (!(f->options & WS_FIELD_OPTIONAL))
            return ntcp__wws_fail(error, WS_E_INVALID_FORMAT, NTCP_CAUSE_PROTOCOL, "the element {%.*s}%.*s is missing",
                                  (int)f->ns->length, (const char *)f->ns->bytes, (int)f->localName->length,
                                  (const char *)f->localName->bytes);
        if (f->options & WS_FIELD_POINTER) *(void **)fp = NULL;
        else if (f->defaultValue && f->defaultValue->value && f->defaultValue->valueSize == vsize)
            memcpy(fp, f->defaultValue->value, vsize);
        else
            memset(fp, 0, vsize);
        return S_OK;
    }
    void *dst = fp;
    if (f->options & WS_FIELD_POINTER) {
        HRESULT hr = WsAlloc(heap, vsize, &dst, error);
        if (FAILED(hr)) return hr;
        *(void **)fp = dst;
    }
    return ntcp__wws_read_typed(c, f->type, f->typeDescription, heap, dst, depth + 1, error);
}

HRESULT ntcp__wws_write_element(ntcp_buf *out, const WS_ELEMENT_DESCRIPTION *d, WS_WRITE_OPTION opt,
                                const void *value, ULONG size, WS_ERROR *error)
{
    if (!d) return S_OK; /* an empty body */
    if (!value)
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "the body value is NULL");
    if (opt == WS_WRITE_NILLABLE_VALUE || opt == WS_WRITE_NILLABLE_POINTER)
        return ntcp__wws_notimpl(error, "writing a nillable body element");
    bool pointer_type = d->type == WS_WSZ_TYPE || d->type == WS_XML_BUFFER_TYPE;
    size_t vsize = d->type == WS_STRUCT_TYPE && d->typeDescription ? ((const WS_STRUCT_DESCRIPTION *)d->typeDescription)->size
                                                                   : value_size(d->type);
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
    if (opt == WS_READ_NILLABLE_POINTER || opt == WS_READ_NILLABLE_VALUE)
        return ntcp__wws_notimpl(error, "reading a nillable body element");
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
    size_t vsize = d->type == WS_STRUCT_TYPE && d->typeDescription ? ((const WS_STRUCT_DESCRIPTION *)d->typeDescription)->size
                                                                   : value_size(d->type);
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
    if (!x) return ntcp__wws_fail(error, WS_E_INVALID_FORMAT, NTCP_CAUSE_XML_SYNTAX_ERROR, "the body is not well-formed XML");
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
    else {
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
