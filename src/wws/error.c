/* nettcp WWSAPI: error objects, and nettcp's errors as their strings. */
#include "wws_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

HRESULT WINAPI WsCreateError(const WS_ERROR_PROPERTY *properties, ULONG propertyCount, WS_ERROR **error)
{
    if (!error || (propertyCount && !properties)) return E_INVALIDARG;
    WS_ERROR *e = ntcp_calloc(1, sizeof *e);
    if (!e) return E_OUTOFMEMORY;
    e->langid = 0x0409; /* en-US: the strings are English */
    for (ULONG i = 0; i < propertyCount; i++) {
        HRESULT hr = WsSetErrorProperty(e, properties[i].id, properties[i].value, properties[i].valueSize);
        if (FAILED(hr)) {
            WsFreeError(e);
            return hr;
        }
    }
    *error = e;
    return S_OK;
}

HRESULT WINAPI WsResetError(WS_ERROR *error)
{
    if (!error) return E_INVALIDARG;
    for (ULONG i = 0; i < error->count; i++) ntcp_free(error->strings[i].chars);
    error->count = 0;
    error->original = S_OK;
    WsFreeHeap(error->fault_heap);
    error->fault_heap = NULL;
    error->fault = NULL;
    memset(&error->fault_action, 0, sizeof error->fault_action);
    return S_OK;
}

void WINAPI WsFreeError(WS_ERROR *error)
{
    if (!error) return;
    (void)WsResetError(error);
    ntcp_free(error->strings);
    ntcp_free(error);
}

HRESULT WINAPI WsGetErrorProperty(WS_ERROR *error, WS_ERROR_PROPERTY_ID id, void *buffer, ULONG bufferSize)
{
    if (!error || !buffer) return E_INVALIDARG;
    switch (id) {
    case WS_ERROR_PROPERTY_STRING_COUNT:
        if (bufferSize != sizeof(ULONG)) return E_INVALIDARG;
        *(ULONG *)buffer = error->count;
        return S_OK;
    case WS_ERROR_PROPERTY_ORIGINAL_ERROR_CODE:
        if (bufferSize != sizeof(HRESULT)) return E_INVALIDARG;
        *(HRESULT *)buffer = error->original;
        return S_OK;
    case WS_ERROR_PROPERTY_LANGID:
        if (bufferSize != sizeof(LANGID)) return E_INVALIDARG;
        *(LANGID *)buffer = error->langid;
        return S_OK;
    }
    return E_INVALIDARG;
}

HRESULT WINAPI WsSetErrorProperty(WS_ERROR *error, WS_ERROR_PROPERTY_ID id, const void *value, ULONG valueSize)
{
    if (!error || !value) return E_INVALIDARG;
    if (id == WS_ERROR_PROPERTY_LANGID) {
        if (valueSize != sizeof(LANGID)) return E_INVALIDARG;
        error->langid = *(const LANGID *)value;
        return S_OK;
    }
    return E_INVALIDARG; /* the count and the original code are read-only */
}

HRESULT WINAPI WsGetErrorString(WS_ERROR *error, ULONG index, WS_STRING *string)
{
    if (!error || !string || index >= error->count) return E_INVALIDARG;
    *string = error->strings[error->count - 1 - index];
    return S_OK;
}

static HRESULT add_chars(WS_ERROR *error, WCHAR *chars, ULONG len)
{
    if (error->count == error->cap) {
        ULONG cap = error->cap ? error->cap * 2 : 4;
        WS_STRING *n = ntcp_realloc(error->strings, cap * sizeof *n);
        if (!n) {
            ntcp_free(chars);
            return E_OUTOFMEMORY;
        }
        error->strings = n;
        error->cap = cap;
    }
    error->strings[error->count].chars = chars;
    error->strings[error->count].length = len;
    error->count++;
    return S_OK;
}

HRESULT WINAPI WsAddErrorString(WS_ERROR *error, const WS_STRING *string)
{
    if (!error || !string || (string->length && !string->chars)) return E_INVALIDARG;
    WCHAR *c = ntcp_malloc((string->length + 1) * sizeof(WCHAR));
    if (!c) return E_OUTOFMEMORY;
    if (string->length) memcpy(c, string->chars, string->length * sizeof(WCHAR));
    c[string->length] = 0;
    return add_chars(error, c, string->length);
}

static void add_utf8(WS_ERROR *error, const char *s)
{
    ULONG n = 0;
    WCHAR *w = ntcp__wws_from_utf8(s, strlen(s), &n);
    if (w) (void)add_chars(error, w, n);
}

HRESULT ntcp__wws_hresult(const ntcp_error *e)
{
    switch (e->cause) {
    case NTCP_CAUSE_NONE: return S_OK;
    case NTCP_CAUSE_INVALID_ARGUMENT: return E_INVALIDARG;
    case NTCP_CAUSE_OUT_OF_MEMORY: return E_OUTOFMEMORY;
    case NTCP_CAUSE_UNSUPPORTED: return WS_E_NOT_SUPPORTED;
    case NTCP_CAUSE_BAD_ADDRESS: return WS_E_INVALID_ENDPOINT_URL;
    case NTCP_CAUSE_HOST_UNKNOWN: return WS_E_ENDPOINT_NOT_FOUND;
    case NTCP_CAUSE_CONNECTION_REFUSED: return WS_E_ENDPOINT_UNREACHABLE;
    case NTCP_CAUSE_CONNECTION_RESET: return WS_E_ENDPOINT_DISCONNECTED;
    case NTCP_CAUSE_TIMEOUT: return WS_E_OPERATION_TIMED_OUT;
    case NTCP_CAUSE_ENDPOINT_NOT_FOUND: return WS_E_ENDPOINT_NOT_FOUND;
    case NTCP_CAUSE_SERVER_TOO_BUSY: return WS_E_ENDPOINT_TOO_BUSY;
    case NTCP_CAUSE_ENDPOINT_ACCESS_DENIED:
    case NTCP_CAUSE_SECURITY_MODE_MISMATCH: return WS_E_ENDPOINT_ACCESS_DENIED;
    case NTCP_CAUSE_QUOTA_EXCEEDED: return WS_E_QUOTA_EXCEEDED;
    case NTCP_CAUSE_PROTOCOL:
    case NTCP_CAUSE_XML_SYNTAX_ERROR: return WS_E_INVALID_FORMAT;
    case NTCP_CAUSE_OPERATION_FAILED: return WS_E_ENDPOINT_FAULT_RECEIVED;
    default: break;
    }
    if (e->status == NTCP_E_FAULT) return WS_E_ENDPOINT_FAULT_RECEIVED;
    if (e->status == NTCP_E_NOMEM) return E_OUTOFMEMORY;
    if (e->status == NTCP_E_IO || e->status == NTCP_E_CLOSED) return WS_E_ENDPOINT_DISCONNECTED;
    if (e->nns.status != NTCP_OK || ntcp_status_category(e->status) == NTCP_CAT_SECURITY)
        return WS_E_SECURITY_VERIFICATION_FAILURE;
    return WS_E_OTHER;
}

HRESULT ntcp__wws_fail_error(WS_ERROR *error, HRESULT hr, const ntcp_error *e)
{
    if (!error) return hr;
    char line[2400];
    const char *advice = ntcp_error_advice(e);
    if (advice && *advice) {
        snprintf(line, sizeof line, "advice: %s", advice);
        add_utf8(error, line);
    }
    snprintf(line, sizeof line, "cause: %s (%s)", ntcp_error_id(e), ntcp_error_title(e));
    add_utf8(error, line);
    add_utf8(error, *ntcp_error_text(e) ? ntcp_error_text(e) : ntcp_error_title(e));
    return hr;
}

HRESULT ntcp__wws_fail(WS_ERROR *error, HRESULT hr, ntcp_cause cause, const char *fmt, ...)
{
    if (!error) return hr;
    ntcp_error e;
    ntcp_error_clear(&e);
    e.status = NTCP_E_INVALID_ARG;
    e.cause = cause;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e.text, sizeof e.text, fmt, ap);
    va_end(ap);
    return ntcp__wws_fail_error(error, hr, &e);
}

HRESULT ntcp__wws_notimpl(WS_ERROR *error, const char *what)
{
    return ntcp__wws_fail(error, E_NOTIMPL, NTCP_CAUSE_UNSUPPORTED,
                          "%s is not implemented by nettcp's WWSAPI (see docs/wwsapi.md)", what);
}

/* ---- UTF-8 <-> UTF-32 ---------------------------------------------------- */
char *ntcp__wws_to_utf8(const WCHAR *chars, ULONG length)
{
    if (length && !chars) return NULL;
    char *out = ntcp_malloc((size_t)length * 4 + 1), *p = out;
    if (!out) return NULL;
    for (ULONG i = 0; i < length; i++) {
        uint32_t c = (uint32_t)chars[i];
        if (c == 0 || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
            ntcp_free(out);
            return NULL;
        }
        if (c < 0x80) *p++ = (char)c;
        else if (c < 0x800) {
            *p++ = (char)(0xC0 | (c >> 6));
            *p++ = (char)(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            *p++ = (char)(0xE0 | (c >> 12));
            *p++ = (char)(0x80 | ((c >> 6) & 0x3F));
            *p++ = (char)(0x80 | (c & 0x3F));
        } else {
            *p++ = (char)(0xF0 | (c >> 18));
            *p++ = (char)(0x80 | ((c >> 12) & 0x3F));
            *p++ = (char)(0x80 | ((c >> 6) & 0x3F));
            *p++ = (char)(0x80 | (c & 0x3F));
        }
    }
    *p = 0;
    return out;
}

WCHAR *ntcp__wws_from_utf8(const char *s, size_t n, ULONG *len)
{
    WCHAR *out = ntcp_malloc((n + 1) * sizeof(WCHAR));
    if (!out) return NULL;
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    ULONG k = 0;
    while (p < end) {
        uint32_t c = *p++;
        int more = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
        if (more) c &= 0x3Fu >> more;
        for (; more && p < end && (*p & 0xC0) == 0x80; more--) c = (c << 6) | (*p++ & 0x3F);
        out[k++] = (WCHAR)(more ? 0xFFFD : c); /* a truncated sequence: the replacement character */
    }
    out[k] = 0;
    *len = k;
    return out;
}

char *ntcp__wws_xml_str(const WS_XML_STRING *s)
{
    if (!s) return ntcp_strndup("", 0);
    return ntcp_strndup(s->length ? (const char *)s->bytes : "", s->length);
}

/* ---- a received SOAP fault, kept for WsGetFaultErrorProperty / Detail -------- */
static HRESULT heap_xml(WS_HEAP *h, const char *s, WS_XML_STRING *out)
{
    HRESULT hr;
    size_t n = s ? strlen(s) : 0;
    BYTE *p = ntcp__wws_heap_alloc(h, n ? n : 1, &hr);
    if (!p) return hr;
    if (n) memcpy(p, s, n);
    memset(out, 0, sizeof *out);
    out->length = (ULONG)n;
    out->bytes = p;
    return S_OK;
}

static HRESULT heap_wstr(WS_HEAP *h, const char *s, WS_STRING *out)
{
    ULONG n = 0;
    WCHAR *w = ntcp__wws_from_utf8(s ? s : "", s ? strlen(s) : 0, &n);
    if (!w) return E_OUTOFMEMORY;
    HRESULT hr;
    WCHAR *p = ntcp__wws_heap_alloc(h, ((size_t)n + 1) * sizeof(WCHAR), &hr);
    if (p) memcpy(p, w, ((size_t)n + 1) * sizeof(WCHAR));
    ntcp_free(w);
    if (!p) return hr;
    out->chars = p;
    out->length = n;
    return S_OK;
}

#define SOAP12_NS "http://www.w3.org/2003/05/soap-envelope"

HRESULT ntcp__wws_error_set_fault(WS_ERROR *error, const WS_MESSAGE *m)
{
    if (!error) return S_OK;
    WsFreeHeap(error->fault_heap);
    error->fault_heap = NULL;
    error->fault = NULL;
    HRESULT hr = WsCreateHeap((size_t)m->fault_detail.len + 65536, 0, NULL, 0, &error->fault_heap, NULL);
    if (FAILED(hr)) return hr;
    WS_HEAP *h = error->fault_heap;
    WS_FAULT *f = ntcp__wws_heap_alloc(h, sizeof *f, &hr);
    WS_FAULT_CODE *code = f ? ntcp__wws_heap_alloc(h, sizeof *code * 2, &hr) : NULL;
    WS_FAULT_REASON *reason = code ? ntcp__wws_heap_alloc(h, sizeof *reason, &hr) : NULL;
    if (!reason) return hr;
    memset(f, 0, sizeof *f);
    memset(code, 0, sizeof *code * 2);
    memset(reason, 0, sizeof *reason);
    hr = heap_xml(h, m->fault_code_local ? m->fault_code_local : "Receiver", &code[0].value.localName);
    if (SUCCEEDED(hr)) hr = heap_xml(h, SOAP12_NS, &code[0].value.ns);
    if (SUCCEEDED(hr) && m->fault_sub_local) {
        hr = heap_xml(h, m->fault_sub_local, &code[1].value.localName);
        if (SUCCEEDED(hr)) hr = heap_xml(h, m->fault_sub_ns ? m->fault_sub_ns : "", &code[1].value.ns);
        code[0].subCode = &code[1];
    }
    if (SUCCEEDED(hr)) hr = heap_wstr(h, m->fault_reason, &reason->text);
    if (SUCCEEDED(hr)) hr = heap_wstr(h, "en-US", &reason->lang); /* as the reader keeps only the text */
    if (SUCCEEDED(hr) && m->fault_detail.len) {
        WS_XML_BUFFER *b = ntcp__wws_heap_alloc(h, sizeof *b, &hr);
        if (b) {
            memset(b, 0, sizeof *b);
            b->heap = h;
            hr = ntcp__wws_buffer_append(b, m->fault_detail.data, m->fault_detail.len, NULL);
            f->detail = b;
        }
    }
    if (SUCCEEDED(hr)) hr = heap_xml(h, m->action, &error->fault_action);
    if (FAILED(hr)) return hr;
    f->code = code;
    f->reasons = reason;
    f->reasonCount = 1;
    error->fault = f;
    return S_OK;
}
