/* nettcp WWSAPI: the XML reader (text, or binary rendered to text by the
 * library's NBFX reader) as far as the serializer needs it -- a cursor over
 * the parsed input: WsReadToStartElement, WsReadStartElement,
 * WsReadEndElement, WsReadType / WsReadElement, the node calls -- and
 * WsWriteType. */
#include "wws_int.h"

#include <string.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <nettcp/xml.h>

#define INPUT_MAX ((size_t)64 << 20)

struct _WS_XML_READER {
    xmlDocPtr doc;     /* <f>INPUT</f> */
    xmlNodePtr parent; /* the element whose children the reader walks */
    xmlNodePtr cur;    /* the next node; NULL: the parent's end */
    ULONG depth, max_depth;
    bool bof;          /* at the start: nothing read yet (WS_XML_NODE_TYPE_BOF) */
    size_t text_off;   /* bytes of the text node at cur taken by WsReadChars */
    /* the node WsGetReaderNode gave: its storage, valid until the reader moves */
    union { WS_XML_NODE n; WS_XML_ELEMENT_NODE e; WS_XML_TEXT_NODE t; WS_XML_COMMENT_NODE c; } node;
    WS_XML_UTF8_TEXT node_text;
    WS_XML_STRING *strs;       /* the element's names and its attributes' */
    WS_XML_ATTRIBUTE *attrs, **attr_ptrs;
    WS_XML_UTF8_TEXT *attr_texts;
    xmlChar **owned;           /* attribute values libxml2 allocated */
    size_t owned_n;
};

HRESULT WINAPI WsCreateReader(const WS_XML_READER_PROPERTY *properties, ULONG propertyCount, WS_XML_READER **reader,
                              WS_ERROR *error)
{
    if (!reader) return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "WsCreateReader: reader is NULL");
    WS_XML_READER *r = ntcp_calloc(1, sizeof *r);
    if (!r) return ntcp__wws_fail(error, E_OUTOFMEMORY, NTCP_CAUSE_OUT_OF_MEMORY, "WsCreateReader: out of memory");
    r->max_depth = 32; /* WS_XML_READER_PROPERTY_MAX_DEPTH's default */
    for (ULONG i = 0; i < propertyCount; i++) {
        const WS_XML_READER_PROPERTY *p = &properties[i];
        if (p->id == WS_XML_READER_PROPERTY_MAX_DEPTH && p->valueSize == sizeof(ULONG) && p->value) {
            r->max_depth = *(const ULONG *)p->value;
            continue;
        }
        if (p->id == WS_XML_READER_PROPERTY_ALLOW_FRAGMENT || p->id == WS_XML_READER_PROPERTY_READ_DECLARATION)
            continue; /* fragments are always allowed; a declaration is skipped */
        ntcp_free(r);
        return ntcp__wws_fail(error, E_NOTIMPL, NTCP_CAUSE_UNSUPPORTED,
                              "WsCreateReader: reader property %d is not implemented", (int)p->id);
    }
    *reader = r;
    return S_OK;
}

static void drop_node(WS_XML_READER *r)
{
    for (size_t i = 0; i < r->owned_n; i++) xmlFree(r->owned[i]);
    ntcp_free(r->owned);
    ntcp_free(r->strs);
    ntcp_free(r->attrs);
    ntcp_free(r->attr_ptrs);
    ntcp_free(r->attr_texts);
    r->owned = NULL;
    r->owned_n = 0;
    r->strs = NULL;
    r->attrs = NULL;
    r->attr_ptrs = NULL;
    r->attr_texts = NULL;
}

static void drop_input(WS_XML_READER *r)
{
    drop_node(r);
    r->bof = false;
    r->text_off = 0;
    if (r->doc) xmlFreeDoc(r->doc);
    r->doc = NULL;
    r->parent = r->cur = NULL;
    r->depth = 0;
}

void WINAPI WsFreeReader(WS_XML_READER *reader)
{
    if (!reader) return;
    drop_input(reader);
    ntcp_free(reader);
}

/* text XML (a fragment: elements and text) as the reader's input */
static HRESULT set_text(WS_XML_READER *r, const char *xml, size_t len, WS_ERROR *error)
{
    drop_input(r);
    if (len > INPUT_MAX)
        return ntcp__wws_fail(error, WS_E_QUOTA_EXCEEDED, NTCP_CAUSE_QUOTA_EXCEEDED, "the reader's input exceeds %zu bytes",
                              INPUT_MAX);
    /* a leading XML declaration cannot sit inside the wrapper */
    if (len >= 5 && !memcmp(xml, "<?xml", 5)) {
        const char *e = memchr(xml, '>', len);
        if (!e) return ntcp__wws_fail(error, WS_E_INVALID_FORMAT, NTCP_CAUSE_XML_SYNTAX_ERROR, "the input is not well-formed XML");
        len -= (size_t)(e + 1 - xml);
        xml = e + 1;
    }
    char *doc = ntcp_malloc(len + 8);
    if (!doc) return ntcp__wws_fail(error, E_OUTOFMEMORY, NTCP_CAUSE_OUT_OF_MEMORY, "out of memory");
    memcpy(doc, "<f>", 3);
    if (len) memcpy(doc + 3, xml, len);
    memcpy(doc + 3 + len, "</f>", 4);
    r->doc = xmlReadMemory(doc, (int)(len + 7), NULL, "UTF-8", XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    ntcp_free(doc);
    if (r->doc && !(r->doc->properties & XML_DOC_NSVALID)) { /* a namespace error: libxml2 would keep going */
        xmlFreeDoc(r->doc);
        r->doc = NULL;
    }
    if (!r->doc)
        return ntcp__wws_fail(error, WS_E_INVALID_FORMAT, NTCP_CAUSE_XML_SYNTAX_ERROR,
                              "the input is not well-formed XML (with namespaces)");
    r->parent = xmlDocGetRootElement(r->doc);
    r->cur = r->parent ? r->parent->children : NULL;
    r->bof = true;
    return S_OK;
}

HRESULT WINAPI WsSetInput(WS_XML_READER *reader, const WS_XML_READER_ENCODING *encoding, const WS_XML_READER_INPUT *input,
                          const WS_XML_READER_PROPERTY *properties, ULONG propertyCount, WS_ERROR *error)
{
    (void)properties;
    (void)propertyCount;
    if (!reader || !input)
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "WsSetInput: NULL argument");
    if (input->inputType != WS_XML_READER_INPUT_TYPE_BUFFER)
        return ntcp__wws_notimpl(error, "WsSetInput with a stream input (give WS_XML_READER_BUFFER_INPUT)");
    const WS_XML_READER_BUFFER_INPUT *in = (const WS_XML_READER_BUFFER_INPUT *)input;
    if (in->encodedDataSize && !in->encodedData)
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "WsSetInput: no data");
    int type = encoding ? (int)encoding->encodingType : WS_XML_READER_ENCODING_TYPE_TEXT;
    if (type == WS_XML_READER_ENCODING_TYPE_TEXT) {
        const WS_XML_READER_TEXT_ENCODING *te = (const WS_XML_READER_TEXT_ENCODING *)encoding;
        if (te && te->charSet != WS_CHARSET_UTF8 && te->charSet != WS_CHARSET_AUTO)
            return ntcp__wws_notimpl(error, "WsSetInput: text in a charset other than UTF-8");
        return set_text(reader, in->encodedData, in->encodedDataSize, error);
    }
    if (type == WS_XML_READER_ENCODING_TYPE_BINARY) {
        const WS_XML_READER_BINARY_ENCODING *be = (const WS_XML_READER_BINARY_ENCODING *)encoding;
        if (be->dynamicDictionary)
            return ntcp__wws_notimpl(error, "WsSetInput: a binary dynamic dictionary (the session's strings)");
        ntcp_xml_text_options o;
        ntcp_xml_text_options_init(&o);
        o.indent = 0;
        ntcp_buf text;
        ntcp_buf_init(&text, INPUT_MAX);
        ntcp_status st = ntcp_xml_to_text(in->encodedData, in->encodedDataSize, NULL, &o, &text);
        HRESULT hr = st == NTCP_OK ? set_text(reader, (const char *)text.data, text.len, error)
                   : ntcp__wws_fail(error, WS_E_INVALID_FORMAT, NTCP_CAUSE_PROTOCOL,
                                    "the input is not valid binary XML (.NET Binary Format: XML, MC-NBFX): %s",
                                    ntcp_status_str(st));
        ntcp_buf_free(&text);
        return hr;
    }
    return ntcp__wws_notimpl(error, "WsSetInput: MTOM and raw encodings");
}

HRESULT WINAPI WsSetInputToBuffer(WS_XML_READER *reader, WS_XML_BUFFER *buffer, const WS_XML_READER_PROPERTY *properties,
                                  ULONG propertyCount, WS_ERROR *error)
{
    (void)properties;
    (void)propertyCount;
    if (!reader || !buffer)
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "WsSetInputToBuffer: NULL argument");
    return set_text(reader, (const char *)buffer->data, buffer->len, error);
}

static HRESULT no_input(WS_XML_READER *r, WS_ERROR *error)
{
    if (!r) return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "the reader is NULL");
    if (!r->doc)
        return ntcp__wws_fail(error, WS_E_INVALID_OPERATION, NTCP_CAUSE_INVALID_ARGUMENT,
                              "the reader has no input (WsSetInput or WsSetInputToBuffer)");
    return S_OK;
}

/* past white space, comments and processing instructions */
static void skip_misc(WS_XML_READER *r)
{
    r->bof = false;
    if (r->text_off) { /* a text node partly read by WsReadChars: its rest is skipped */
        r->text_off = 0;
        if (r->cur) r->cur = r->cur->next;
    }
    for (; r->cur; r->cur = r->cur->next) {
        if (r->cur->type == XML_COMMENT_NODE || r->cur->type == XML_PI_NODE) continue;
        if (r->cur->type == XML_TEXT_NODE && xmlIsBlankNode(r->cur)) continue;
        break;
    }
}

bool ntcp__wws_name_is(const void *node, const WS_XML_STRING *local, const WS_XML_STRING *ns)
{
    const xmlNode *e = node;
    const char *ens = e->ns && e->ns->href ? (const char *)e->ns->href : "";
    if (local && (strlen((const char *)e->name) != local->length || memcmp(e->name, local->bytes, local->length)))
        return false;
    return !ns || (strlen(ens) == ns->length && !memcmp(ens, ns->bytes, ns->length));
}

int ntcp__wws_param_for(const WS_OPERATION_DESCRIPTION *op, ULONG field, bool in)
{
    for (USHORT p = 0; p < op->parameterCount; p++) {
        const WS_PARAMETER_DESCRIPTION *d = &op->parameterDescription[p];
        if ((in ? d->inputMessageIndex : d->outputMessageIndex) == field) return p;
    }
    return -1;
}

HRESULT ntcp__wws_body_element(const char *xml, size_t len, const WS_ELEMENT_DESCRIPTION *d, const char *what,
                               void **doc, const void **elem, WS_ERROR *error)
{
    *doc = NULL;
    *elem = NULL;
    if (len > 0x7FFFFFF0u) /* past what libxml2 takes */
        return ntcp__wws_fail(error, WS_E_INVALID_FORMAT, NTCP_CAUSE_XML_SYNTAX_ERROR, "%s is not well-formed XML", what);
    char *wrapped = ntcp_malloc(len + 8); /* <f>body</f>: a body may hold several elements */
    if (!wrapped) return ntcp__wws_fail(error, E_OUTOFMEMORY, NTCP_CAUSE_OUT_OF_MEMORY, "out of memory");
    memcpy(wrapped, "<f>", 3);
    if (len) memcpy(wrapped + 3, xml, len);
    memcpy(wrapped + 3 + len, "</f>", 4);
    xmlDocPtr x = xmlReadMemory(wrapped, (int)(len + 7), NULL, "UTF-8", XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    ntcp_free(wrapped);
    if (!x) return ntcp__wws_fail(error, WS_E_INVALID_FORMAT, NTCP_CAUSE_XML_SYNTAX_ERROR, "%s is not well-formed XML", what);
    xmlNodePtr root = xmlDocGetRootElement(x), w = root ? root->children : NULL;
    while (w && w->type != XML_ELEMENT_NODE) w = w->next;
    if (!w || !ntcp__wws_name_is(w, d->elementLocalName, d->elementNs)) {
        xmlFreeDoc(x);
        return ntcp__wws_fail(error, WS_E_INVALID_FORMAT, NTCP_CAUSE_PROTOCOL, "%s is not the element {%.*s}%.*s", what,
                              (int)d->elementNs->length, (const char *)d->elementNs->bytes,
                              (int)d->elementLocalName->length, (const char *)d->elementLocalName->bytes);
    }
    *doc = x;
    *elem = w;
    return S_OK;
}

HRESULT WINAPI WsReadToStartElement(WS_XML_READER *reader, const WS_XML_STRING *localName, const WS_XML_STRING *ns,
                                    BOOL *found, WS_ERROR *error)
{
    HRESULT hr = no_input(reader, error);
    if (FAILED(hr)) return hr;
    skip_misc(reader);
    bool at = reader->cur && reader->cur->type == XML_ELEMENT_NODE && ntcp__wws_name_is(reader->cur, localName, ns);
    if (found) {
        *found = at;
        return S_OK;
    }
    if (at) return S_OK;
    return ntcp__wws_fail(error, WS_E_INVALID_FORMAT, NTCP_CAUSE_PROTOCOL, "the reader is not at the start element %s%.*s",
                          localName ? "" : "(any)", localName ? (int)localName->length : 0,
                          localName ? (const char *)localName->bytes : "");
}

HRESULT WINAPI WsReadStartElement(WS_XML_READER *reader, WS_ERROR *error)
{
    HRESULT hr = no_input(reader, error);
    if (FAILED(hr)) return hr;
    skip_misc(reader);
    if (!reader->cur || reader->cur->type != XML_ELEMENT_NODE)
        return ntcp__wws_fail(error, WS_E_INVALID_FORMAT, NTCP_CAUSE_PROTOCOL, "the reader is not at a start element");
    if (reader->depth >= reader->max_depth)
        return ntcp__wws_fail(error, WS_E_QUOTA_EXCEEDED, NTCP_CAUSE_QUOTA_EXCEEDED,
                              "elements nested deeper than the reader's MAX_DEPTH (%u)", (unsigned)reader->max_depth);
    reader->parent = reader->cur;
    reader->cur = reader->cur->children;
    reader->depth++;
    return S_OK;
}

HRESULT WINAPI WsReadEndElement(WS_XML_READER *reader, WS_ERROR *error)
{
    HRESULT hr = no_input(reader, error);
    if (FAILED(hr)) return hr;
    skip_misc(reader);
    if (reader->cur || !reader->depth)
        return ntcp__wws_fail(error, WS_E_INVALID_FORMAT, NTCP_CAUSE_PROTOCOL, "the reader is not at an end element");
    reader->cur = reader->parent->next;
    reader->parent = reader->parent->parent;
    reader->depth--;
    return S_OK;
}

/* ---- the node API: WsGetReaderNode, WsReadNode, WsReadChars ----------------
 * The reader's node is the one at the cursor: BOF before anything is read,
 * an element (its attributes with it), a text (CDATA included) or a comment,
 * the end of the element the reader is in when its children are done, EOF at
 * the end of the input. Processing instructions are skipped. */

static bool is_text(const xmlNode *n)
{
    return n && (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE);
}

static void skip_pi(WS_XML_READER *r)
{
    while (r->cur && r->cur->type != XML_ELEMENT_NODE && r->cur->type != XML_COMMENT_NODE && !is_text(r->cur))
        r->cur = r->cur->next;
}

static WS_XML_STRING xs(const xmlChar *s)
{
    WS_XML_STRING x = { s ? (ULONG)strlen((const char *)s) : 0, (BYTE *)(s ? s : (const xmlChar *)""), NULL, 0 };
    return x;
}

static HRESULT element_node(WS_XML_READER *r, xmlNodePtr e, WS_ERROR *error)
{
    ULONG nattr = 0;
    for (xmlNsPtr d = e->nsDef; d; d = d->next) nattr++;
    for (xmlAttrPtr a = e->properties; a; a = a->next) nattr++;
    r->strs = ntcp_calloc(3 + 3 * (size_t)nattr, sizeof *r->strs);
    r->attrs = ntcp_calloc(nattr + 1, sizeof *r->attrs);
    r->attr_ptrs = ntcp_calloc(nattr + 1, sizeof *r->attr_ptrs);
    r->attr_texts = ntcp_calloc(nattr + 1, sizeof *r->attr_texts);
    r->owned = ntcp_calloc(nattr + 1, sizeof *r->owned);
    if (!r->strs || !r->attrs || !r->attr_ptrs || !r->attr_texts || !r->owned)
        return ntcp__wws_fail(error, E_OUTOFMEMORY, NTCP_CAUSE_OUT_OF_MEMORY, "out of memory");
    WS_XML_STRING *s = r->strs;
    s[0] = xs(e->ns ? e->ns->prefix : NULL);
    s[1] = xs(e->name);
    s[2] = xs(e->ns ? e->ns->href : NULL);
    r->node.e = (WS_XML_ELEMENT_NODE){ { WS_XML_NODE_TYPE_ELEMENT }, &s[0], &s[1], &s[2], nattr, r->attr_ptrs, !e->children };
    ULONG i = 0;
    for (xmlNsPtr d = e->nsDef; d; d = d->next, i++) { /* xmlns[:p]="ns": prefix and namespace, no value */
        WS_XML_STRING *as = &s[3 + 3 * i];
        as[0] = xs(d->prefix);
        as[1] = as[0];
        as[2] = xs(d->href);
        r->attrs[i] = (WS_XML_ATTRIBUTE){ 0, 1, &as[0], &as[1], &as[2], NULL };
        r->attr_ptrs[i] = &r->attrs[i];
    }
    for (xmlAttrPtr a = e->properties; a; a = a->next, i++) {
        WS_XML_STRING *as = &s[3 + 3 * i];
        as[0] = xs(a->ns ? a->ns->prefix : NULL);
        as[1] = xs(a->name);
        as[2] = xs(a->ns ? a->ns->href : NULL);
        xmlChar *v = xmlNodeListGetString(e->doc, a->children, 1);
        if (!v) v = xmlStrdup((const xmlChar *)"");
        if (!v) return ntcp__wws_fail(error, E_OUTOFMEMORY, NTCP_CAUSE_OUT_OF_MEMORY, "out of memory");
        r->owned[r->owned_n++] = v;
        r->attr_texts[i] = (WS_XML_UTF8_TEXT){ { WS_XML_TEXT_TYPE_UTF8 }, xs(v) };
        r->attrs[i] = (WS_XML_ATTRIBUTE){ 0, 0, &as[0], &as[1], &as[2], &r->attr_texts[i].text };
        r->attr_ptrs[i] = &r->attrs[i];
    }
    return S_OK;
}

HRESULT WINAPI WsGetReaderNode(WS_XML_READER *xmlReader, const WS_XML_NODE **node, WS_ERROR *error)
{
    HRESULT hr = no_input(xmlReader, error);
    if (FAILED(hr)) return hr;
    if (!node) return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "WsGetReaderNode: node is NULL");
    WS_XML_READER *r = xmlReader;
    drop_node(r);
    if (!r->bof) skip_pi(r);
    xmlNodePtr c = r->cur;
    if (r->bof) r->node.n.nodeType = WS_XML_NODE_TYPE_BOF;
    else if (!c) r->node.n.nodeType = r->depth ? WS_XML_NODE_TYPE_END_ELEMENT : WS_XML_NODE_TYPE_EOF;
    else if (c->type == XML_ELEMENT_NODE) hr = element_node(r, c, error);
    else if (c->type == XML_COMMENT_NODE) r->node.c = (WS_XML_COMMENT_NODE){ { WS_XML_NODE_TYPE_COMMENT }, xs(c->content) };
    else { /* text: what WsReadChars has not taken */
        WS_XML_STRING v = xs(c->content);
        v.bytes += r->text_off;
        v.length -= (ULONG)r->text_off;
        r->node_text = (WS_XML_UTF8_TEXT){ { WS_XML_TEXT_TYPE_UTF8 }, v };
        r->node.t = (WS_XML_TEXT_NODE){ { WS_XML_NODE_TYPE_TEXT }, &r->node_text.text };
    }
    if (FAILED(hr)) {
        drop_node(r);
        return hr;
    }
    *node = &r->node.n;
    return S_OK;
}

HRESULT WINAPI WsReadNode(WS_XML_READER *reader, WS_ERROR *error)
{
    HRESULT hr = no_input(reader, error);
    if (FAILED(hr)) return hr;
    WS_XML_READER *r = reader;
    if (r->bof) {
        r->bof = false;
        skip_pi(r);
        return S_OK;
    }
    skip_pi(r);
    r->text_off = 0;
    if (r->cur && r->cur->type == XML_ELEMENT_NODE) { /* into the element */
        if (r->depth >= r->max_depth)
            return ntcp__wws_fail(error, WS_E_QUOTA_EXCEEDED, NTCP_CAUSE_QUOTA_EXCEEDED,
                                  "elements nested deeper than the reader's MAX_DEPTH (%u)", (unsigned)r->max_depth);
        r->parent = r->cur;
        r->cur = r->cur->children;
        r->depth++;
    } else if (r->cur) {
        r->cur = r->cur->next;
    } else if (r->depth) { /* past the end element */
        r->cur = r->parent->next;
        r->parent = r->parent->parent;
        r->depth--;
    } /* at EOF the reader stays there */
    skip_pi(r);
    return S_OK;
}

/* up to max bytes (UTF-8, whole characters) or characters (WCHAR) of the
 * text at the reader; past a text node once it is all taken */
static HRESULT read_chars(WS_XML_READER *r, WCHAR *chars, BYTE *bytes, ULONG max, ULONG *actual, WS_ERROR *error)
{
    HRESULT hr = no_input(r, error);
    if (FAILED(hr)) return hr;
    if (!actual || (max && !chars && !bytes))
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "WsReadChars: NULL argument");
    r->bof = false;
    skip_pi(r);
    ULONG n = 0;
    while (n < max && is_text(r->cur)) {
        const unsigned char *s = (const unsigned char *)r->cur->content;
        size_t len = s ? strlen((const char *)s) : 0;
        while (n < max && r->text_off < len) {
            const unsigned char *p = s + r->text_off;
            size_t k = *p < 0x80 ? 1 : *p < 0xE0 ? 2 : *p < 0xF0 ? 3 : 4; /* libxml2 gives valid UTF-8 */
            if (r->text_off + k > len) k = len - r->text_off;
            if (bytes) {
                if (n + k > max) break;
                memcpy(bytes + n, p, k);
                n += (ULONG)k;
            } else {
                unsigned cp = k == 1 ? p[0] : k == 2 ? (p[0] & 0x1Fu) : k == 3 ? (p[0] & 0x0Fu) : (p[0] & 0x07u);
                for (size_t j = 1; j < k; j++) cp = (cp << 6) | (p[j] & 0x3Fu);
                chars[n++] = (WCHAR)cp;
            }
            r->text_off += k;
        }
        if (r->text_off < len) break; /* the caller's room is full */
        r->text_off = 0;
        r->cur = r->cur->next;
        skip_pi(r);
    }
    *actual = n;
    return S_OK;
}

HRESULT WINAPI WsReadChars(WS_XML_READER *reader, WCHAR *chars, ULONG maxCharCount, ULONG *actualCharCount,
                           WS_ERROR *error)
{
    return read_chars(reader, chars, NULL, maxCharCount, actualCharCount, error);
}

HRESULT WINAPI WsReadCharsUtf8(WS_XML_READER *reader, BYTE *bytes, ULONG maxByteCount, ULONG *actualByteCount,
                               WS_ERROR *error)
{
    return read_chars(reader, NULL, bytes, maxByteCount, actualByteCount, error);
}

/* node n alone (or, as content, n and the nodes after it under <c>) as
 * text XML; copied into a document of its own, so the namespaces in scope
 * are declared in the copy */
static HRESULT isolate(xmlNodePtr n, bool content, ntcp_buf *out, WS_ERROR *error)
{
    HRESULT hr = S_OK;
    xmlDocPtr nd = xmlNewDoc((const xmlChar *)"1.0");
    xmlNodePtr root = !nd ? NULL : content ? xmlNewDocNode(nd, NULL, (const xmlChar *)"c", NULL) : xmlDocCopyNode(n, nd, 1);
    xmlBufferPtr xb = root ? xmlBufferCreate() : NULL;
    if (!xb) {
        if (root) xmlFreeNode(root);
        if (nd) xmlFreeDoc(nd);
        return ntcp__wws_fail(error, E_OUTOFMEMORY, NTCP_CAUSE_OUT_OF_MEMORY, "out of memory");
    }
    xmlDocSetRootElement(nd, root);
    for (; content && n && SUCCEEDED(hr); n = n->next) {
        xmlNodePtr copy = xmlDocCopyNode(n, nd, 1);
        if (!copy || !xmlAddChild(root, copy)) {
            xmlFreeNode(copy);
            hr = ntcp__wws_fail(error, E_OUTOFMEMORY, NTCP_CAUSE_OUT_OF_MEMORY, "out of memory");
        }
    }
    if (SUCCEEDED(hr) && xmlNodeDump(xb, nd, root, 0, 0) < 0)
        hr = ntcp__wws_fail(error, E_OUTOFMEMORY, NTCP_CAUSE_OUT_OF_MEMORY, "out of memory");
    if (SUCCEEDED(hr) && ntcp_buf_append(out, xmlBufferContent(xb), (size_t)xmlBufferLength(xb)) != NTCP_OK)
        hr = ntcp__wws_fail(error, WS_E_QUOTA_EXCEEDED, NTCP_CAUSE_QUOTA_EXCEEDED, "the element is too large");
    xmlBufferFree(xb);
    xmlFreeDoc(nd);
    return hr;
}

/* the element at the cursor, read as (local, ns, type) with the option;
 * the cursor moves past it */
static HRESULT read_here(WS_XML_READER *r, const WS_ELEMENT_DESCRIPTION *d, WS_READ_OPTION opt, WS_HEAP *heap,
                         void *value, ULONG size, WS_ERROR *error)
{
    skip_misc(r);
    bool at = r->cur && r->cur->type == XML_ELEMENT_NODE && ntcp__wws_name_is(r->cur, d->elementLocalName, d->elementNs);
    if (!at && opt == WS_READ_OPTIONAL_POINTER && size == sizeof(void *)) {
        *(void **)value = NULL;
        return S_OK;
    }
    if (!at)
        return ntcp__wws_fail(error, WS_E_INVALID_FORMAT, NTCP_CAUSE_PROTOCOL, "the element {%.*s}%.*s is not next",
                              d->elementNs ? (int)d->elementNs->length : 0, d->elementNs ? (const char *)d->elementNs->bytes : "",
                              d->elementLocalName ? (int)d->elementLocalName->length : 0,
                              d->elementLocalName ? (const char *)d->elementLocalName->bytes : "");
    ntcp_buf b;
    ntcp_buf_init(&b, INPUT_MAX);
    HRESULT hr = isolate(r->cur, false, &b, error);
    if (SUCCEEDED(hr)) hr = ntcp__wws_read_element((const char *)b.data, b.len, d, opt, heap, value, size, error);
    ntcp_buf_free(&b);
    if (SUCCEEDED(hr)) r->cur = r->cur->next;
    return hr;
}

HRESULT WINAPI WsReadElement(WS_XML_READER *reader, const WS_ELEMENT_DESCRIPTION *elementDescription,
                             WS_READ_OPTION readOption, WS_HEAP *heap, void *value, ULONG valueSize, WS_ERROR *error)
{
    HRESULT hr = no_input(reader, error);
    if (FAILED(hr)) return hr;
    if (!elementDescription || !elementDescription->elementLocalName || !elementDescription->elementNs)
        return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "WsReadElement: an element description with a name");
    return read_here(reader, elementDescription, readOption, heap, value, valueSize, error);
}

HRESULT WINAPI WsReadType(WS_XML_READER *reader, WS_TYPE_MAPPING typeMapping, WS_TYPE type, const void *typeDescription,
                          WS_READ_OPTION readOption, WS_HEAP *heap, void *value, ULONG valueSize, WS_ERROR *error)
{
    HRESULT hr = no_input(reader, error);
    if (FAILED(hr)) return hr;
    static WS_XML_STRING c_name = WS_XML_STRING_VALUE("c"), c_ns = WS_XML_STRING_VALUE("");
    if (typeMapping == WS_ELEMENT_TYPE_MAPPING) { /* the element at the cursor, whatever its name */
        skip_misc(reader);
        if (!reader->cur || reader->cur->type != XML_ELEMENT_NODE) {
            if (readOption == WS_READ_OPTIONAL_POINTER && valueSize == sizeof(void *)) {
                *(void **)value = NULL;
                return S_OK;
            }
            return ntcp__wws_fail(error, WS_E_INVALID_FORMAT, NTCP_CAUSE_PROTOCOL, "the reader is not at a start element");
        }
        WS_XML_STRING local = { (ULONG)strlen((const char *)reader->cur->name), (BYTE *)reader->cur->name, NULL, 0 };
        const char *ens = reader->cur->ns && reader->cur->ns->href ? (const char *)reader->cur->ns->href : "";
        WS_XML_STRING ns = { (ULONG)strlen(ens), (BYTE *)ens, NULL, 0 };
        WS_ELEMENT_DESCRIPTION d = { &local, &ns, type, (void *)typeDescription };
        return read_here(reader, &d, readOption, heap, value, valueSize, error);
    }
    if (typeMapping == WS_ELEMENT_CONTENT_TYPE_MAPPING) { /* the rest of the current element's content */
        if (!reader->depth)
            return ntcp__wws_fail(error, WS_E_INVALID_OPERATION, NTCP_CAUSE_INVALID_ARGUMENT,
                                  "WS_ELEMENT_CONTENT_TYPE_MAPPING: the reader is not inside an element (WsReadStartElement)");
        ntcp_buf b;
        ntcp_buf_init(&b, INPUT_MAX);
        hr = isolate(reader->cur, true, &b, error);
        WS_ELEMENT_DESCRIPTION d = { &c_name, &c_ns, type, (void *)typeDescription };
        if (SUCCEEDED(hr)) hr = ntcp__wws_read_element((const char *)b.data, b.len, &d, readOption, heap, value, valueSize, error);
        ntcp_buf_free(&b);
        if (SUCCEEDED(hr)) reader->cur = NULL;
        return hr;
    }
    return ntcp__wws_notimpl(error, "WsReadType with WS_ATTRIBUTE_TYPE_MAPPING or WS_ANY_ELEMENT_TYPE_MAPPING");
}

/* ---- WsWriteType ------------------------------------------------------------ */
HRESULT WINAPI WsWriteType(WS_XML_WRITER *writer, WS_TYPE_MAPPING typeMapping, WS_TYPE type, const void *typeDescription,
                           WS_WRITE_OPTION writeOption, const void *value, ULONG valueSize, WS_ERROR *error)
{
    if (!writer) return ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT, "WsWriteType: writer is NULL");
    if (typeMapping != WS_ELEMENT_TYPE_MAPPING && typeMapping != WS_ELEMENT_CONTENT_TYPE_MAPPING)
        return ntcp__wws_notimpl(error, "WsWriteType with WS_ATTRIBUTE_TYPE_MAPPING or WS_ANY_ELEMENT_TYPE_MAPPING");
    /* written as <_ ATTRS>CONTENT</_> (or <_ ATTRS/>), then taken apart */
    static WS_XML_STRING u_name = WS_XML_STRING_VALUE("_"), u_ns = WS_XML_STRING_VALUE("");
    WS_ELEMENT_DESCRIPTION d = { &u_name, &u_ns, type, (void *)typeDescription };
    ntcp_buf b;
    ntcp_buf_init(&b, INPUT_MAX);
    HRESULT hr = ntcp__wws_write_element(&b, &d, writeOption, value, valueSize, error);
    if (FAILED(hr)) {
        ntcp_buf_free(&b);
        return hr;
    }
    const char *s = (const char *)b.data;
    size_t n = b.len;
    const char *gt = memchr(s, '>', n); /* values escape '>', so the first one ends the start tag */
    bool empty = gt && gt > s && gt[-1] == '/';
    const char *attrs = s + 2, *attrs_end = empty ? gt - 1 : gt;
    const char *content = gt + 1, *content_end = empty ? content : s + n - 4; /* "</_>" */
    if (typeMapping == WS_ELEMENT_TYPE_MAPPING && attrs_end > attrs)
        hr = ntcp__wws_writer_attrs_raw(writer, attrs, (size_t)(attrs_end - attrs), error);
    else if (typeMapping == WS_ELEMENT_CONTENT_TYPE_MAPPING && attrs_end > attrs)
        hr = ntcp__wws_fail(error, E_INVALIDARG, NTCP_CAUSE_INVALID_ARGUMENT,
                            "WS_ELEMENT_CONTENT_TYPE_MAPPING: the value has attributes or is nil; use WS_ELEMENT_TYPE_MAPPING");
    if (SUCCEEDED(hr) && content_end > content) hr = ntcp__wws_writer_raw(writer, content, (size_t)(content_end - content), error);
    ntcp_buf_free(&b);
    return hr;
}
