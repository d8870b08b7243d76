/* Binary XML -> text XML (UTF-8, escaped, optionally indented), the
 * per-message NBFSE decode used by tools, and text XML -> binary through
 * libxml2's xmlReader (no network, no DTD, no entity expansion). */
#include <stdio.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/xmlreader.h>
#include <pthread.h>
#include "xml/libxml.h"
#include "xml/internal.h"

static pthread_once_t libxml_once = PTHREAD_ONCE_INIT;
static void libxml_init_once(void) { xmlInitParser(); }
void ntcp__libxml_init(void) { pthread_once(&libxml_once, libxml_init_once); }

typedef struct tw {
    ntcp_buf *out;
    const ntcp_xml_text_options *opt;
    const ntcp_xml_session *sess;
    ntcp_buf tmp;
    bool open;     /* a start tag waits for '>' or "/>" */
    bool any;      /* something was written */
    uint8_t *flags; /* per depth: 1 = has text, 2 = has child element/comment */
} tw;

static ntcp_status put(tw *t, const char *s, size_t n) { return ntcp_buf_append(t->out, s, n); }
static ntcp_status puts_(tw *t, const char *s) { return put(t, s, strlen(s)); }

/* Length of the well-formed UTF-8 sequence at p (lead byte >= 0x80), 0 if
 * invalid: no overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    if (c >= 0xC2 && c <= 0xDF)
        return n >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (n < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0))
            return 0;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (n < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90))
            return 0;
        return 4;
    }
    return 0;
}

/* Bytes escape() must look at: 1 in text and attributes, 2 in attributes
 * only; everything else is copied as a run. */
static const uint8_t esc_class[256] = {
    [0x00 ... 0x08] = 1, [0x09] = 2, [0x0A] = 2, [0x0B ... 0x1F] = 1, ['"'] = 2, ['&'] = 1, ['<'] = 1, ['>'] = 1,
    [0x80 ... 0xFF] = 1,
};

static ntcp_status escape(tw *t, const char *s, size_t n, bool attr)
{
    if (n == 0)
        return NTCP_OK;
    size_t run = 0;
    char ref[8];
    const unsigned char *u = (const unsigned char *)s;
    unsigned mask = attr ? 3 : 1;
    for (size_t i = 0; i < n; i++) {
        while (i < n && !(esc_class[u[i]] & mask))
            i++;
        if (i == n)
            break;
        const char *rep = NULL;
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) { /* well-formed UTF-8 only (as .NET's strict decoder) */
            size_t k = utf8_len((const unsigned char *)s + i, n - i);
            if (!k)
                return NTCP_E_MALFORMED;
            i += k - 1;
            continue;
        }
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            /* not an XML 1.0 character: written as a character reference so
             * the text stays readable and lossless */
            snprintf(ref, sizeof ref, "&#x%X;", c);
            rep = ref;
        }
        switch (s[i]) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = attr ? "&quot;" : NULL; break;
        case '\t': rep = attr ? "&#x9;" : NULL; break;
        case '\n': rep = attr ? "&#xA;" : NULL; break;
        case '\r': rep = "&#xD;"; break;
        default: break;
        }
        if (!rep)
            continue;
        ntcp_status st = put(t, s + run, i - run);
        if (!st)
            st = puts_(t, rep);
        if (st)
            return st;
        run = i + 1;
    }
    return put(t, s + run, n - run);
}

static ntcp_status value_text(tw *t, const ntcp_xml_value *v, bool attr)
{
    if (v->type == NTCP_XV_CHARS || v->type == NTCP_XV_DICT)
        return escape(t, v->s.p, v->s.len, attr);
    ntcp_buf_reset(&t->tmp);
    ntcp_status st = ntcp_xml__format(v, &t->opt->format, t->sess, &t->tmp);
    return st ? st : escape(t, (const char *)t->tmp.data, t->tmp.len, attr);
}

/* Names are written as they are, once checked to be UTF-8 without markup
 * characters (a name cannot hold them in text XML). */
static ntcp_status put_name(tw *t, const ntcp_xml_str *s)
{
    const unsigned char *p = (const unsigned char *)s->p;
    for (uint32_t i = 0; i < s->len; i++) {
        if (p[i] >= 0x80) {
            size_t k = utf8_len(p + i, s->len - i);
            if (!k)
                return NTCP_E_MALFORMED;
            i += (uint32_t)k - 1;
        } else if (p[i] <= 0x20 || strchr("<>&\"'=/", p[i]))
            return NTCP_E_MALFORMED;
    }
    return put(t, s->p, s->len);
}

static ntcp_status qname(tw *t, const ntcp_xml_name *n)
{
    ntcp_status st = NTCP_OK;
    if (n->prefix.len) {
        st = put_name(t, &n->prefix);
        if (!st)
            st = put(t, ":", 1);
    }
    return st ? st : put_name(t, &n->local);
}

static ntcp_status newline(tw *t, uint32_t level)
{
    if (!t->opt->indent || !t->any)
        return NTCP_OK;
    ntcp_status st = put(t, "\n", 1);
    for (uint32_t i = 0; !st && i < level * t->opt->indent; i++)
        st = put(t, " ", 1);
    return st;
}

static ntcp_status close_open(tw *t)
{
    if (!t->open)
        return NTCP_OK;
    t->open = false;
    return put(t, ">", 1);
}

static ntcp_status start(tw *t, const ntcp_xml_node *n)
{
    uint32_t d = n->depth;
    ntcp_status st = close_open(t);
    if (!st && !(t->flags[d - 1] & 1))
        st = newline(t, d - 1);
    t->flags[d - 1] |= 2;
    t->flags[d] = 0;
    if (!st)
        st = put(t, "<", 1);
    if (!st)
        st = qname(t, &n->name);
    for (uint32_t i = 0; !st && i < n->nattrs; i++) {
        const ntcp_xml_attr *a = &n->attrs[i];
        st = put(t, " ", 1);
        if (a->is_xmlns) {
            if (!st)
                st = puts_(t, a->name.prefix.len ? "xmlns:" : "xmlns");
            if (!st && a->name.prefix.len)
                st = put_name(t, &a->name.prefix);
            if (!st)
                st = put(t, "=\"", 2);
            if (!st)
                st = escape(t, a->name.local.p, a->name.local.len, true);
        } else {
            if (!st)
                st = qname(t, &a->name);
            if (!st)
                st = put(t, "=\"", 2);
            if (!st)
                st = value_text(t, &a->value, true);
        }
        if (!st)
            st = put(t, "\"", 1);
    }
    t->open = true;
    t->any = true;
    return st;
}

static ntcp_status text(tw *t, const ntcp_xml_value *v, uint32_t d)
{
    ntcp_status st = close_open(t);
    t->flags[d] |= 1;
    return st ? st : value_text(t, v, false);
}

static ntcp_status end(tw *t, const ntcp_xml_node *n)
{
    uint32_t d = n->depth;
    ntcp_status st;
    if (t->open) {
        t->open = false;
        return put(t, "/>", 2);
    }
    st = NTCP_OK;
    if ((t->flags[d] & 3) == 2)
        st = newline(t, d - 1);
    if (!st)
        st = put(t, "</", 2);
    if (!st)
        st = qname(t, &n->name);
    return st ? st : put(t, ">", 1);
}

static ntcp_status write_node(tw *t, const ntcp_xml_node *n)
{
    switch (n->type) {
    case NTCP_XML_NODE_START: return start(t, n);
    case NTCP_XML_NODE_END: return end(t, n);
    case NTCP_XML_NODE_TEXT: return text(t, &n->value, n->depth);
    case NTCP_XML_NODE_COMMENT: {
        ntcp_status st = close_open(t);
        if (!st && !(t->flags[n->depth] & 1))
            st = newline(t, n->depth);
        t->flags[n->depth] |= 2;
        t->any = true;
        /* text XML cannot hold "--" or a final '-' in a comment */
        const ntcp_xml_str *c = &n->value.s;
        if (c->len && (c->p[c->len - 1] == '-' || memmem(c->p, c->len, "--", 2)))
            return NTCP_E_MALFORMED;
        for (uint32_t i = 0; i < c->len; i++) {
            unsigned char ch = (unsigned char)c->p[i];
            if (ch >= 0x80) {
                size_t k = utf8_len((const unsigned char *)c->p + i, c->len - i);
                if (!k)
                    return NTCP_E_MALFORMED;
                i += (uint32_t)k - 1;
            } else if (ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r')
                return NTCP_E_MALFORMED;
        }
        if (!st)
            st = put(t, "<!--", 4);
        if (!st)
            st = put(t, c->p, c->len);
        return st ? st : put(t, "-->", 3);
    }
    case NTCP_XML_NODE_ARRAY: { /* MC-NBFX 2.3.3: count x <name attrs>item</name> */
        ntcp_status st = NTCP_OK;
        for (uint32_t i = 0; !st && i < n->array_count; i++) {
            ntcp_xml_value v;
            ntcp_xml_array_item(n, i, &v);
            st = start(t, n);
            if (!st)
                st = text(t, &v, n->depth);
            if (!st)
                st = end(t, n);
        }
        return st;
    }
    default: return NTCP_OK;
    }
}

static ntcp_status to_text(const uint8_t *doc, size_t len, const ntcp_xml_session *session,
                           const ntcp_xml_text_options *opt, ntcp_buf *out)
{
    ntcp_xml_text_options def;
    ntcp_xml_text_options_init(&def);
    if (!opt)
        opt = &def;
    ntcp_xml_reader *r;
    ntcp_status st = ntcp_xml_reader_new(&r, &opt->limits, session);
    if (st)
        return st;
    tw t;
    memset(&t, 0, sizeof t);
    t.out = out;
    t.opt = opt;
    t.sess = session;
    ntcp_buf_init(&t.tmp, SIZE_MAX);
    t.flags = ntcp_calloc(opt->limits.max_depth + 2, 1);
    st = t.flags ? ntcp_xml_reader_reset(r, doc, len) : NTCP_E_NOMEM;
    while (st == NTCP_OK) {
        ntcp_xml_node n;
        st = ntcp_xml_reader_next(r, &n);
        if (st || n.type == NTCP_XML_NODE_EOF)
            break;
        st = write_node(&t, &n);
    }
    if (st == NTCP_OK && opt->indent)
        st = put(&t, "\n", 1);
    ntcp_free(t.flags);
    ntcp_buf_free(&t.tmp);
    ntcp_xml_reader_free(r);
    return st;
}

ntcp_status ntcp_xml_to_text(const uint8_t *doc, size_t len, const ntcp_xml_session *session,
                             const ntcp_xml_text_options *opt, ntcp_buf *out)
{
    static const uint8_t empty[1];
    if ((!doc && len) || !out)
        return NTCP_E_INVALID_ARG;
    return to_text(doc ? doc : empty, len, session, opt, out);
}

ntcp_status ntcp_xml_session_decode_to_text(const uint8_t *payload, size_t len, ntcp_xml_session *session,
                                            const ntcp_xml_text_options *opt, ntcp_buf *out)
{
    static const uint8_t empty[1];
    if ((!payload && len) || !session || !out)
        return NTCP_E_INVALID_ARG;
    if (!payload)
        payload = empty;
    ntcp_xml_text_options def;
    ntcp_xml_text_options_init(&def);
    if (!opt)
        opt = &def;
    if (len > opt->limits.max_size)
        return NTCP_E_XML_TOO_LARGE;
    size_t off;
    ntcp_status st = ntcp_xml_session_read_table(session, payload, len, &off); /* MC-NBFSE 2.1 */
    if (st)
        return st;
    return to_text(payload + off, len - off, session, opt, out);
}

/* ---- text -> binary ------------------------------------------------------ */

/* libxml2 passes some ill-formed UTF-8 through (overlong two-byte forms):
 * every string taken from it is checked as our reader and .NET's strict
 * decoder check it, so the writer never makes what they refuse. */
static bool utf8_ok(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = s ? strlen(s) : 0;
    for (size_t i = 0; i < n;) {
        size_t k = p[i] < 0x80 ? 1 : utf8_len(p + i, n - i);
        if (!k)
            return false;
        i += k;
    }
    return true;
}

/* Any error (namespace errors included, which libxml2 treats as
 * recoverable) makes the document refused; nothing is printed. */
static void on_error(void *arg, xmlErrorPtr err)
{
    if (err && err->level >= XML_ERR_ERROR)
        *(bool *)arg = true;
}

static ntcp_status element(xmlTextReaderPtr rd, ntcp_xml_writer *w)
{
    const char *prefix = (const char *)xmlTextReaderConstPrefix(rd);
    const char *local = (const char *)xmlTextReaderConstLocalName(rd);
    ntcp_xml_name n = { { prefix ? prefix : "", prefix ? (uint32_t)strlen(prefix) : 0 },
                        { local, (uint32_t)strlen(local) },
                        NTCP_XML_KEY_AUTO, 0 };
    bool empty = xmlTextReaderIsEmptyElement(rd) == 1;
    if (!utf8_ok(prefix) || !utf8_ok(local))
        return NTCP_E_XML_SYNTAX;
    ntcp_status st = ntcp_xml_writer_start_element(w, &n);
    while (!st && xmlTextReaderMoveToNextAttribute(rd) == 1) {
        ntcp_xml_attr a;
        memset(&a, 0, sizeof a);
        const char *ap = (const char *)xmlTextReaderConstPrefix(rd);
        const char *al = (const char *)xmlTextReaderConstLocalName(rd);
        const char *av = (const char *)xmlTextReaderConstValue(rd);
        if (!av)
            av = "";
        if (!utf8_ok(ap) || !utf8_ok(al) || !utf8_ok(av)) {
            st = NTCP_E_XML_SYNTAX;
            break;
        }
        a.name.key = NTCP_XML_KEY_AUTO;
        if (xmlTextReaderIsNamespaceDecl(rd) == 1) {
            a.is_xmlns = true;
            if (ap && !strcmp(ap, "xmlns")) { /* xmlns:p="ns" */
                a.name.prefix.p = al;
                a.name.prefix.len = (uint32_t)strlen(al);
            }
            a.name.local.p = av;
            a.name.local.len = (uint32_t)strlen(av);
        } else {
            a.name.prefix.p = ap ? ap : "";
            a.name.prefix.len = ap ? (uint32_t)strlen(ap) : 0;
            a.name.local.p = al;
            a.name.local.len = (uint32_t)strlen(al);
            st = ntcp_xml__attr_text_value(av, strlen(av), &a.value);
        }
        if (!st)
            st = ntcp_xml_writer_attribute(w, &a);
    }
    xmlTextReaderMoveToElement(rd);
    if (!st && empty)
        st = ntcp_xml_writer_end_element(w);
    return st;
}

/* Copies the nodes of a text XML reader into w. Elements at depth
 * skip_depth (-1: none) are not copied: they wrap a fragment. */
static ntcp_status copy_reader(xmlTextReaderPtr rd, ntcp_xml_writer *w, bool *had_error, int skip_depth)
{
    ntcp_status st = NTCP_OK;
    int rc;
    while (!st && (rc = xmlTextReaderRead(rd)) == 1) {
        if (*had_error) {
            st = NTCP_E_XML_SYNTAX;
            break;
        }
        int type = xmlTextReaderNodeType(rd);
        if ((type == XML_READER_TYPE_ELEMENT || type == XML_READER_TYPE_END_ELEMENT) &&
            xmlTextReaderDepth(rd) == skip_depth)
            continue;
        switch (type) {
        case XML_READER_TYPE_ELEMENT: st = element(rd, w); break;
        case XML_READER_TYPE_END_ELEMENT: st = ntcp_xml_writer_end_element(w); break;
        case XML_READER_TYPE_TEXT:
        case XML_READER_TYPE_CDATA:
        case XML_READER_TYPE_SIGNIFICANT_WHITESPACE: {
            const char *v = (const char *)xmlTextReaderConstValue(rd);
            st = utf8_ok(v) ? ntcp_xml_writer_text(w, v ? v : "", v ? strlen(v) : 0) : NTCP_E_XML_SYNTAX;
            break;
        }
        case XML_READER_TYPE_COMMENT: {
            const char *v = (const char *)xmlTextReaderConstValue(rd);
            st = utf8_ok(v) ? ntcp_xml_writer_comment(w, v ? v : "", v ? strlen(v) : 0) : NTCP_E_XML_SYNTAX;
            break;
        }
        case XML_READER_TYPE_DOCUMENT_TYPE:
        case XML_READER_TYPE_ENTITY_REFERENCE:
        case XML_READER_TYPE_ENTITY:
            st = NTCP_E_XML_SYNTAX;
            break;
        default: /* white space outside content, processing instructions */
            break;
        }
    }
    if (!st && (rc != 0 || *had_error))
        st = NTCP_E_XML_SYNTAX;
    return st;
}

ntcp_status ntcp_xml_from_text(const char *text, size_t len, ntcp_xml_writer *w, ntcp_buf *out)
{
    if (!text || !w || !out || len > INT32_MAX)
        return NTCP_E_INVALID_ARG;
    /* no XML_PARSE_NOENT / DTDLOAD / DTDATTR: entities are not expanded and
     * no external subset is loaded; a DOCTYPE is refused */
    ntcp__libxml_init();
    xmlTextReaderPtr rd = xmlReaderForMemory(text, (int)len, NULL, NULL, XML_PARSE_NONET | XML_PARSE_NOBLANKS);
    if (!rd)
        return NTCP_E_NOMEM;
    bool had_error = false;
    xmlTextReaderSetStructuredErrorHandler(rd, on_error, &had_error);
    ntcp_xml_writer_reset(w);
    ntcp_status st = copy_reader(rd, w, &had_error, -1);
    xmlFreeTextReader(rd);
    if (!st)
        st = ntcp_xml_writer_finish(w, out);
    if (st)
        ntcp_xml_writer_reset(w);
    return st;
}

ntcp_status ntcp_xml_writer_text_xml(ntcp_xml_writer *w, const char *text, size_t len)
{
    static const char open[] = "<ntcp-fragment>", close_[] = "</ntcp-fragment>";
    if (!w || (!text && len) || len > INT32_MAX - 64)
        return NTCP_E_INVALID_ARG;
    /* an XML declaration may only stand at the very start: drop it */
    while (len && (*text == ' ' || *text == '\t' || *text == '\r' || *text == '\n')) {
        text++;
        len--;
    }
    if (len >= 5 && !memcmp(text, "<?xml", 5)) {
        const char *e = memmem(text, len, "?>", 2);
        if (!e)
            return NTCP_E_XML_SYNTAX;
        len -= (size_t)(e + 2 - text);
        text = e + 2;
    }
    ntcp_buf wrapped;
    ntcp_buf_init(&wrapped, SIZE_MAX);
    ntcp_status st = ntcp_buf_reserve(&wrapped, sizeof open - 1 + len + sizeof close_ - 1); /* one allocation */
    if (!st)
        st = ntcp_buf_append(&wrapped, open, sizeof open - 1);
    if (!st && len)
        st = ntcp_buf_append(&wrapped, text, len);
    if (!st)
        st = ntcp_buf_append(&wrapped, close_, sizeof close_ - 1);
    if (st) {
        ntcp_buf_free(&wrapped);
        return st;
    }
    ntcp__libxml_init();
    xmlTextReaderPtr rd = xmlReaderForMemory((const char *)wrapped.data, (int)wrapped.len, NULL, NULL,
                                             XML_PARSE_NONET | XML_PARSE_NOBLANKS);
    if (!rd) {
        ntcp_buf_free(&wrapped);
        return NTCP_E_NOMEM;
    }
    bool had_error = false;
    xmlTextReaderSetStructuredErrorHandler(rd, on_error, &had_error);
    st = copy_reader(rd, w, &had_error, 0);
    xmlFreeTextReader(rd);
    ntcp_buf_free(&wrapped);
    return st;
}

/* ---- node stream -> text, for a part of a document ---------------------- */
struct ntcp_xml_text_writer {
    tw t;
    uint32_t base;
};

ntcp_status ntcp_xml_text_writer_new(ntcp_xml_text_writer **out, const ntcp_xml_text_options *opt,
                                     const ntcp_xml_session *session, uint32_t base_depth, ntcp_buf *dest)
{
    ntcp_xml_text_options def;
    ntcp_xml_text_options_init(&def);
    ntcp_xml_text_writer *w = ntcp_calloc(1, sizeof *w);
    if (!w)
        return NTCP_E_NOMEM;
    if (!opt)
        opt = &def;
    w->t.out = dest;
    w->t.opt = opt;
    w->t.sess = session;
    w->base = base_depth;
    ntcp_buf_init(&w->t.tmp, SIZE_MAX);
    w->t.flags = ntcp_calloc(opt->limits.max_depth + 2, 1);
    if (!w->t.flags) {
        ntcp_free(w);
        return NTCP_E_NOMEM;
    }
    *out = w;
    return NTCP_OK;
}

ntcp_status ntcp_xml_text_writer_node(ntcp_xml_text_writer *w, const ntcp_xml_node *n)
{
    if (n->type == NTCP_XML_NODE_EOF || n->type == NTCP_XML_NODE_NONE)
        return NTCP_OK;
    uint32_t top = n->type == NTCP_XML_NODE_TEXT || n->type == NTCP_XML_NODE_COMMENT ? w->base : w->base + 1;
    if (n->depth < top || n->depth - w->base > w->t.opt->limits.max_depth)
        return NTCP_E_INVALID_ARG;
    ntcp_xml_node m = *n;
    m.depth -= w->base;
    return write_node(&w->t, &m);
}

void ntcp_xml_text_writer_free(ntcp_xml_text_writer *w)
{
    if (!w)
        return;
    ntcp_free(w->t.flags);
    ntcp_buf_free(&w->t.tmp);
    ntcp_free(w);
}
