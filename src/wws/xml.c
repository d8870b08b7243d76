/* nettcp WWSAPI: XML strings, XML buffers (UTF-8 text XML held in a heap)
 * and the writer that fills them. */
#include "wws_int.h"

#include <string.h>
#include <libxml/parser.h>

HRESULT WINAPI WsXmlStringEquals(const WS_XML_STRING *string1, const WS_XML_STRING *string2, WS_ERROR *error)
{
    if (!string1 || !string2)
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "WsXmlStringEquals: NULL string");
    if (string1->length != string2->length) return S_FALSE;
    if (string1->length && memcmp(string1->bytes, string2->bytes, string1->length)) return S_FALSE;
    return S_OK;
}

/* ---- buffers ------------------------------------------------------------- */
HRESULT WINAPI WsCreateXmlBuffer(WS_HEAP *heap, const WS_XML_BUFFER_PROPERTY *properties, ULONG propertyCount,
                                 WS_XML_BUFFER **buffer, WS_ERROR *error)
{
    if (!heap || !buffer)
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "WsCreateXmlBuffer: NULL argument");
    if (propertyCount)
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT,
                              "WsCreateXmlBuffer: XML buffers have no properties");
    HRESULT hr;
    WS_XML_BUFFER *b = ntcp__wws_heap_alloc(heap, sizeof *b, &hr);
    if (!b) return ntcp__wws_fail(error, hr, NTCP_CAUSE_QUOTA_EXCEEDED, "WsCreateXmlBuffer: the heap is full");
    memset(b, 0, sizeof *b);
    b->heap = heap;
    *buffer = b;
    return S_OK;
}

HRESULT ntcp__wws_buffer_append(WS_XML_BUFFER *b, const void *p, size_t n, WS_ERROR *error)
{
    if (n > 0xFFFFFFFFu - b->len)
        return ntcp__wws_fail(error, WS_E_QUOTA_EXCEEDED, NTCP_CAUSE_QUOTA_EXCEEDED, "XML buffer over 4 GiB");
    if (b->len + n > b->cap) {
        /* the buffer lives in its heap: a larger block, the old one stays until the heap is reset */
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n) cap *= 2;
        HRESULT hr;
        BYTE *d = ntcp__wws_heap_alloc(b->heap, cap, &hr);
        if (!d) {
            if (hr == WS_E_QUOTA_EXCEEDED)
                return ntcp__wws_fail(error, hr, NTCP_CAUSE_QUOTA_EXCEEDED,
                                      "the XML buffer needs %zu bytes more than its heap's maximum size allows (%zu); "
                                      "create the heap with a larger maxSize",
                                      cap, (size_t)b->heap->max_size);
            return ntcp__wws_fail(error, hr, NTCP_CAUSE_OUT_OF_MEMORY, "XML buffer: out of memory");
        }
        if (b->len) memcpy(d, b->data, b->len);
        b->data = d;
        b->cap = (ULONG)cap;
    }
    if (n) memcpy(b->data + b->len, p, n);
    b->len += (ULONG)n;
    return S_OK;
}

static HRESULT check_text_encoding(WS_ERROR *error, int type, int charset, const char *fn)
{
    if (type != 1 /* TEXT */)
        return ntcp__wws_fail(error, E_NOTIMPL, NTCP_CAUSE_UNSUPPORTED,
                              "%s: only the text encoding (WS_XML_*_ENCODING_TYPE_TEXT) is implemented", fn);
    if (charset != WS_CHARSET_UTF8 && charset != WS_CHARSET_AUTO)
        return ntcp__wws_fail(error, E_NOTIMPL, NTCP_CAUSE_UNSUPPORTED, "%s: only UTF-8 text is implemented", fn);
    return S_OK;
}

/* well-formed as a fragment: any number of elements and text, no DTD */
static bool well_formed_fragment(const void *bytes, ULONG n)
{
    static const char open[] = "<f>", close[] = "</f>";
    char *doc = ntcp_malloc(n + sizeof open + sizeof close);
    if (!doc) return false;
    memcpy(doc, open, 3);
    if (n) memcpy(doc + 3, bytes, n);
    memcpy(doc + 3 + n, close, 4);
    xmlDocPtr d = xmlReadMemory(doc, (int)(n + 7), NULL, "UTF-8", XML_PARSE_NONET | XML_PARSE_NOERROR |
                                                                     XML_PARSE_NOWARNING);
    ntcp_free(doc);
    if (!d) return false;
    xmlFreeDoc(d);
    return true;
}

HRESULT WINAPI WsReadXmlBufferFromBytes(WS_XML_READER *reader, const WS_XML_READER_ENCODING *encoding,
                                        const WS_XML_READER_PROPERTY *properties, ULONG propertyCount,
                                        const void *bytes, ULONG byteCount, WS_HEAP *heap,
                                        WS_XML_BUFFER **xbuf, WS_ERROR *error)
{
    (void)reader;
    (void)properties;
    (void)propertyCount;
    if (!heap || !xbuf || (byteCount && !bytes))
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT,
                              "WsReadXmlBufferFromBytes: NULL argument");
    if (encoding) {
        HRESULT hr = check_text_encoding(error, encoding->encodingType,
                                         encoding->encodingType == WS_XML_READER_ENCODING_TYPE_TEXT
                                             ? ((const WS_XML_READER_TEXT_ENCODING *)encoding)->charSet
                                             : WS_CHARSET_UTF8,
                                         "WsReadXmlBufferFromBytes");
        if (FAILED(hr)) return hr;
    }
    if (byteCount > 0x7FFFFFF0u || !well_formed_fragment(bytes, byteCount))
        return ntcp__wws_fail(error, WS_E_INVALID_FORMAT, NTCP_CAUSE_XML_SYNTAX_ERROR,
                              "WsReadXmlBufferFromBytes: the %u bytes are not well-formed XML", (unsigned)byteCount);
    WS_XML_BUFFER *b;
    HRESULT hr = WsCreateXmlBuffer(heap, NULL, 0, &b, error);
    if (FAILED(hr)) return hr;
    hr = ntcp__wws_buffer_append(b, bytes, byteCount, error);
    if (FAILED(hr)) return hr;
    *xbuf = b;
    return S_OK;
}

HRESULT WINAPI WsWriteXmlBufferToBytes(WS_XML_WRITER *writer, WS_XML_BUFFER *xbuf,
                                       const WS_XML_WRITER_ENCODING *encoding,
                                       const WS_XML_WRITER_PROPERTY *properties, ULONG propertyCount,
                                       WS_HEAP *heap, void **bytes, ULONG *byteCount, WS_ERROR *error)
{
    (void)writer;
    (void)properties;
    (void)propertyCount;
    if (!xbuf || !heap || !bytes || !byteCount)
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "WsWriteXmlBufferToBytes: NULL argument");
    if (encoding) {
        HRESULT hr = check_text_encoding(error, encoding->encodingType,
                                         encoding->encodingType == WS_XML_WRITER_ENCODING_TYPE_TEXT
                                             ? ((const WS_XML_WRITER_TEXT_ENCODING *)encoding)->charSet
                                             : WS_CHARSET_UTF8,
                                         "WsWriteXmlBufferToBytes");
        if (FAILED(hr)) return hr;
    }
    void *p;
    HRESULT hr = WsAlloc(heap, xbuf->len, &p, error);
    if (FAILED(hr)) return hr;
    if (xbuf->len) memcpy(p, xbuf->data, xbuf->len);
    *bytes = p;
    *byteCount = xbuf->len;
    return S_OK;
}

/* ---- the writer ------------------------------------------------------------
 * Text XML into an XML buffer. Each element remembers the namespace
 * declarations it made, so a prefix already bound to the same namespace is
 * not declared again. */
struct wws_elem {
    char *qname;       /* prefix:local, for the end tag */
    char *prefix, *ns; /* what this element declared (NULL: nothing) */
};

struct _WS_XML_WRITER {
    WS_XML_BUFFER *out;
    struct wws_elem *stack;
    size_t depth, cap, max_depth;
    bool in_start_tag; /* "<name ..." written, ">" not yet */
    bool in_attribute; /* inside name="..." */
};

HRESULT WINAPI WsCreateWriter(const WS_XML_WRITER_PROPERTY *properties, ULONG propertyCount, WS_XML_WRITER **writer,
                              WS_ERROR *error)
{
    if (!writer) return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "WsCreateWriter: writer is NULL");
    WS_XML_WRITER *w = ntcp_calloc(1, sizeof *w);
    if (!w) return ntcp__wws_fail(error, E_OUTOFMEMORY, NTCP_CAUSE_OUT_OF_MEMORY, "WsCreateWriter: out of memory");
    w->max_depth = 32; /* WS_XML_WRITER_PROPERTY_MAX_DEPTH's default */
    for (ULONG i = 0; i < propertyCount; i++) {
        if (properties[i].id == WS_XML_WRITER_PROPERTY_MAX_DEPTH && properties[i].valueSize == sizeof(ULONG)) {
            w->max_depth = *(const ULONG *)properties[i].value;
            continue;
        }
        ntcp_free(w);
        return ntcp__wws_fail(error, E_NOTIMPL, NTCP_CAUSE_UNSUPPORTED,
                              "WsCreateWriter: writer property %d is not implemented", (int)properties[i].id);
    }
    *writer = w;
    return S_OK;
}

static void drop_stack(WS_XML_WRITER *w)
{
    for (size_t i = 0; i < w->depth; i++) {
        ntcp_free(w->stack[i].qname);
        ntcp_free(w->stack[i].prefix);
        ntcp_free(w->stack[i].ns);
    }
    w->depth = 0;
    w->in_start_tag = w->in_attribute = false;
}

void WINAPI WsFreeWriter(WS_XML_WRITER *writer)
{
    if (!writer) return;
    drop_stack(writer);
    ntcp_free(writer->stack);
    ntcp_free(writer);
}

HRESULT WINAPI WsSetOutputToBuffer(WS_XML_WRITER *writer, WS_XML_BUFFER *buffer,
                                   const WS_XML_WRITER_PROPERTY *properties, ULONG propertyCount, WS_ERROR *error)
{
    (void)properties;
    (void)propertyCount;
    if (!writer || !buffer)
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "WsSetOutputToBuffer: NULL argument");
    drop_stack(writer);
    writer->out = buffer;
    return S_OK;
}

static HRESULT put(WS_XML_WRITER *w, const char *s, size_t n, WS_ERROR *error)
{
    return ntcp__wws_buffer_append(w->out, s, n, error);
}
#define PUTS(w, s, e) put(w, s, strlen(s), e)

/* text with &, <, > (and " inside attributes) escaped */
static HRESULT put_escaped(WS_XML_WRITER *w, const char *s, size_t n, bool attr, WS_ERROR *error)
{
    size_t from = 0;
    for (size_t i = 0; i < n; i++) {
        const char *rep = s[i] == '&' ? "&amp;" : s[i] == '<' ? "&lt;" : s[i] == '>' ? "&gt;"
                        : (attr && s[i] == '"') ? "&quot;" : NULL;
        if (!rep) continue;
        HRESULT hr = put(w, s + from, i - from, error);
        if (SUCCEEDED(hr)) hr = PUTS(w, rep, error);
        if (FAILED(hr)) return hr;
        from = i + 1;
    }
    return put(w, s + from, n - from, error);
}

static HRESULT close_start_tag(WS_XML_WRITER *w, WS_ERROR *error)
{
    if (w->in_attribute)
        return ntcp__wws_fail(error, WS_E_INVALID_OPERATION, NTCP_CAUSE_INVALID_ARGUMENT,
                              "the writer is inside an attribute: call WsWriteEndAttribute first");
    if (!w->in_start_tag) return S_OK;
    w->in_start_tag = false;
    return put(w, ">", 1, error);
}

static const char *bound_ns(const WS_XML_WRITER *w, const char *prefix)
{
    for (size_t i = w->depth; i-- > 0;)
        if (w->stack[i].prefix && !strcmp(w->stack[i].prefix, prefix)) return w->stack[i].ns;
    return NULL;
}

static bool valid_name(const WS_XML_STRING *s, bool may_be_empty)
{
    if (!s || !s->length) return may_be_empty;
    for (ULONG i = 0; i < s->length; i++) {
        BYTE c = s->bytes[i];
        if (c == ' ' || c == '<' || c == '>' || c == '&' || c == '"' || c == '\'' || c == '=' || c == ':' ||
            c == '/' || c < 0x20)
            return false;
    }
    return true;
}

HRESULT WINAPI WsWriteStartElement(WS_XML_WRITER *writer, const WS_XML_STRING *prefix,
                                   const WS_XML_STRING *localName, const WS_XML_STRING *ns, WS_ERROR *error)
{
    if (!writer || !localName || !ns)
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "WsWriteStartElement: NULL argument");
    if (!writer->out)
        return ntcp__wws_fail(error, WS_E_INVALID_OPERATION, NTCP_CAUSE_INVALID_ARGUMENT,
                              "WsWriteStartElement: the writer has no output (WsSetOutputToBuffer)");
    if (!valid_name(localName, false) || !valid_name(prefix, true))
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT,
                              "WsWriteStartElement: the name or prefix is not an XML name");
    if (writer->depth >= writer->max_depth)
        return ntcp__wws_fail(error, WS_E_QUOTA_EXCEEDED, NTCP_CAUSE_QUOTA_EXCEEDED,
                              "WsWriteStartElement: deeper than the writer's maximum depth %zu", writer->max_depth);
    HRESULT hr = close_start_tag(writer, error);
    if (FAILED(hr)) return hr;
    if (writer->depth == writer->cap) {
        size_t cap = writer->cap ? writer->cap * 2 : 8;
        struct wws_elem *n = ntcp_realloc(writer->stack, cap * sizeof *n);
        if (!n) return ntcp__wws_fail(error, E_OUTOFMEMORY, NTCP_CAUSE_OUT_OF_MEMORY, "WsWriteStartElement: out of memory");
        writer->stack = n;
        writer->cap = cap;
    }
    char *p = ntcp__wws_xml_str(prefix), *l = ntcp__wws_xml_str(localName), *n = ntcp__wws_xml_str(ns);
    size_t qlen = strlen(p) + strlen(l) + 2;
    char *q = ntcp_malloc(qlen);
    if (!p || !l || !n || !q) {
        ntcp_free(p), ntcp_free(l), ntcp_free(n), ntcp_free(q);
        return ntcp__wws_fail(error, E_OUTOFMEMORY, NTCP_CAUSE_OUT_OF_MEMORY, "WsWriteStartElement: out of memory");
    }
    snprintf(q, qlen, "%s%s%s", p, *p ? ":" : "", l);
    const char *bound = bound_ns(writer, p);
    bool declare = bound ? strcmp(bound, n) != 0 : (*n || *p);
    struct wws_elem *e = &writer->stack[writer->depth++];
    e->qname = q;
    e->prefix = declare ? p : NULL;
    e->ns = declare ? n : NULL;
    if (!declare) ntcp_free(p), ntcp_free(n);
    ntcp_free(l);
    hr = put(writer, "<", 1, error);
    if (SUCCEEDED(hr)) hr = PUTS(writer, q, error);
    if (SUCCEEDED(hr) && declare) {
        hr = PUTS(writer, *e->prefix ? " xmlns:" : " xmlns", error);
        if (SUCCEEDED(hr)) hr = PUTS(writer, e->prefix, error);
        if (SUCCEEDED(hr)) hr = PUTS(writer, "=\"", error);
        if (SUCCEEDED(hr)) hr = put_escaped(writer, e->ns, strlen(e->ns), true, error);
        if (SUCCEEDED(hr)) hr = put(writer, "\"", 1, error);
    }
    writer->in_start_tag = true;
    return hr;
}

HRESULT WINAPI WsWriteEndElement(WS_XML_WRITER *writer, WS_ERROR *error)
{
    if (!writer) return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "WsWriteEndElement: NULL writer");
    if (!writer->depth || writer->in_attribute)
        return ntcp__wws_fail(error, WS_E_INVALID_OPERATION, NTCP_CAUSE_INVALID_ARGUMENT,
                              writer->depth ? "WsWriteEndElement: inside an attribute"
                                            : "WsWriteEndElement: no element is open");
    struct wws_elem *e = &writer->stack[writer->depth - 1];
    HRESULT hr;
    if (writer->in_start_tag) {
        writer->in_start_tag = false;
        hr = PUTS(writer, "/>", error);
    } else {
        hr = PUTS(writer, "</", error);
        if (SUCCEEDED(hr)) hr = PUTS(writer, e->qname, error);
        if (SUCCEEDED(hr)) hr = put(writer, ">", 1, error);
    }
    ntcp_free(e->qname);
    ntcp_free(e->prefix);
    ntcp_free(e->ns);
    writer->depth--;
    return hr;
}

HRESULT WINAPI WsWriteStartAttribute(WS_XML_WRITER *writer, const WS_XML_STRING *prefix,
                                     const WS_XML_STRING *localName, const WS_XML_STRING *ns, BOOL singleQuote,
                                     WS_ERROR *error)
{
    (void)singleQuote; /* always written with double quotes */
    if (!writer || !localName || !ns)
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "WsWriteStartAttribute: NULL argument");
    if (!writer->in_start_tag || writer->in_attribute)
        return ntcp__wws_fail(error, WS_E_INVALID_OPERATION, NTCP_CAUSE_INVALID_ARGUMENT,
                              "WsWriteStartAttribute: only right after WsWriteStartElement");
    if (!valid_name(localName, false) || !valid_name(prefix, true))
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT,
                              "WsWriteStartAttribute: the name or prefix is not an XML name");
    char *p = ntcp__wws_xml_str(prefix), *l = ntcp__wws_xml_str(localName), *n = ntcp__wws_xml_str(ns);
    HRESULT hr = (!p || !l || !n) ? ntcp__wws_fail(error, E_OUTOFMEMORY, NTCP_CAUSE_OUT_OF_MEMORY, "out of memory") : S_OK;
    if (SUCCEEDED(hr) && *n && !*p)
        hr = ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT,
                            "WsWriteStartAttribute: an attribute in a namespace needs a prefix");
    if (SUCCEEDED(hr) && *p) {
        const char *bound = bound_ns(writer, p);
        if (!bound || strcmp(bound, n)) { /* declare the prefix on this element */
            hr = PUTS(writer, " xmlns:", error);
            if (SUCCEEDED(hr)) hr = PUTS(writer, p, error);
            if (SUCCEEDED(hr)) hr = PUTS(writer, "=\"", error);
            if (SUCCEEDED(hr)) hr = put_escaped(writer, n, strlen(n), true, error);
            if (SUCCEEDED(hr)) hr = put(writer, "\"", 1, error);
        }
    }
    if (SUCCEEDED(hr)) hr = put(writer, " ", 1, error);
    if (SUCCEEDED(hr) && *p) hr = PUTS(writer, p, error);
    if (SUCCEEDED(hr) && *p) hr = put(writer, ":", 1, error);
    if (SUCCEEDED(hr)) hr = PUTS(writer, l, error);
    if (SUCCEEDED(hr)) hr = PUTS(writer, "=\"", error);
    if (SUCCEEDED(hr)) writer->in_attribute = true;
    ntcp_free(p), ntcp_free(l), ntcp_free(n);
    return hr;
}

HRESULT WINAPI WsWriteEndAttribute(WS_XML_WRITER *writer, WS_ERROR *error)
{
    if (!writer || !writer->in_attribute)
        return ntcp__wws_fail(error, writer ? WS_E_INVALID_OPERATION : E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT,
                              "WsWriteEndAttribute: no attribute is open");
    writer->in_attribute = false;
    return put(writer, "\"", 1, error);
}

HRESULT WINAPI WsWriteCharsUtf8(WS_XML_WRITER *writer, const BYTE *bytes, ULONG byteCount, WS_ERROR *error)
{
    if (!writer || (byteCount && !bytes))
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "WsWriteCharsUtf8: NULL argument");
    if (!writer->out)
        return ntcp__wws_fail(error, WS_E_INVALID_OPERATION, NTCP_CAUSE_INVALID_ARGUMENT,
                              "WsWriteCharsUtf8: the writer has no output (WsSetOutputToBuffer)");
    if (!writer->in_attribute) {
        HRESULT hr = close_start_tag(writer, error);
        if (FAILED(hr)) return hr;
    }
    return put_escaped(writer, (const char *)bytes, byteCount, writer->in_attribute, error);
}

HRESULT WINAPI WsWriteChars(WS_XML_WRITER *writer, const WCHAR *chars, ULONG charCount, WS_ERROR *error)
{
    if (!writer || (charCount && !chars))
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "WsWriteChars: NULL argument");
    char *u = ntcp__wws_to_utf8(chars, charCount);
    if (!u)
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT,
                              "WsWriteChars: the characters are not valid Unicode (or out of memory)");
    HRESULT hr = WsWriteCharsUtf8(writer, (const BYTE *)u, (ULONG)strlen(u), error);
    ntcp_free(u);
    return hr;
}

HRESULT WINAPI WsWriteXmlBuffer(WS_XML_WRITER *writer, WS_XML_BUFFER *xbuf, WS_ERROR *error)
{
    if (!writer || !xbuf)
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "WsWriteXmlBuffer: NULL argument");
    if (!writer->out)
        return ntcp__wws_fail(error, WS_E_INVALID_OPERATION, NTCP_CAUSE_INVALID_ARGUMENT,
                              "WsWriteXmlBuffer: the writer has no output (WsSetOutputToBuffer)");
    HRESULT hr = close_start_tag(writer, error);
    if (FAILED(hr)) return hr;
    return put(writer, (const char *)xbuf->data, xbuf->len, error);
}

HRESULT ntcp__wws_writer_raw(WS_XML_WRITER *writer, const void *p, size_t n, WS_ERROR *error)
{
    if (!writer->out)
        return ntcp__wws_fail(error, WS_E_INVALID_OPERATION, NTCP_CAUSE_INVALID_ARGUMENT,
                              "the writer has no output (WsSetOutputToBuffer)");
    HRESULT hr = close_start_tag(writer, error);
    if (FAILED(hr)) return hr;
    return put(writer, p, n, error);
}

HRESULT WINAPI WsCreateReader(const WS_XML_READER_PROPERTY *properties, ULONG propertyCount, WS_XML_READER **reader,
                              WS_ERROR *error)
{
    (void)properties;
    (void)propertyCount;
    (void)reader;
    return ntcp__wws_notimpl(error, "WsCreateReader (the XML reader)");
}

void WINAPI WsFreeReader(WS_XML_READER *reader)
{
    (void)reader;
}
