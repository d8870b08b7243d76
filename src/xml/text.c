/* Binary XML -> text XML (UTF-8, escaped, optionally indented), the
 * per-message NBFSE decode used by tools, and text XML -> binary through
 * libxml2's xmlReader (no network, no DTD, no entity expansion). */
#include <stdio.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/xmlreader.h>
#include <libxml/uri.h>
#include <pthread.h>
#include "xml/libxml.h"
#include "xml/internal.h"

static pthread_once_t libxml_once = PTHREAD_ONCE_INIT;
static void libxml_init_once(void) { xmlInitParser(); }
void ntcp__libxml_init(void) { pthread_once(&libxml_once, libxml_init_once); }

/* Tests: send every fragment through libxml2 (to compare the two paths). */
bool ntcp__xml_text_fast_off;

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

/* The first byte at or after i that is below 0x20, from 0x80, '"', '&', '<'
 * or '>' (n if none), looked for eight bytes at a time: the bytes the text
 * paths below stop at are among these, everything else is copied. */
static size_t plain_until(const unsigned char *u, size_t i, size_t n)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    while (n - i >= 8) {
        uint64_t x;
        memcpy(&x, u + i, 8);
        /* >= 0x80, < 0x20, then a zero byte where x has '"', '&', '<', '>' */
        uint64_t q = x ^ (ones * '"'), a = x ^ (ones * '&'), l = x ^ (ones * '<'), g = x ^ (ones * '>');
        uint64_t stop = x | ((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((a - ones) & ~a) | ((l - ones) & ~l) |
                        ((g - ones) & ~g);
        if (stop & highs)
            break;
        i += 8;
    }
    return i;
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
        for (;;) { /* plain words, then the word that stopped it a byte at a time */
            i = plain_until(u, i, n);
            size_t lim = n - i > 8 ? i + 8 : n;
            while (i < lim && !(esc_class[u[i]] & mask))
                i++;
            if (i < lim || i == n)
                break;
        }
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

/* ---- text -> binary without libxml2, for the simple documents calls send -----
 * A fragment of ASCII elements, attributes and text (no references, CDATA,
 * comments, processing instructions, DOCTYPE, carriage returns, blank text
 * nodes, nothing a namespace rule could refuse) is parsed here, checked
 * whole first and then written with exactly the writer calls copy_reader()
 * makes for it; anything else goes to libxml2, so what is refused and why
 * stays libxml2's. tests/fuzz/fuzz_text_fast.c compares the two. */
enum { FX_DEPTH = 128, FX_NS = 64, FX_ATTRS = 32, FX_NAME = 1000, FX_MAX = 4u << 20 };

typedef struct fx_name {
    ntcp_xml_str prefix, local;
} fx_name;

typedef struct fx {
    const char *s;
    size_t n, i;
    ntcp_xml_writer *w; /* NULL: check only */
    ntcp_status st;     /* the writer's refusal */
    fx_name open[FX_DEPTH];
    uint32_t depth;
    struct {
        ntcp_xml_str prefix;
        uint32_t depth;
    } ns[FX_NS];
    uint32_t nns;
} fx;

static bool fx_start_char(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static bool fx_name_char(char c) { return fx_start_char(c) || (c >= '0' && c <= '9') || c == '-' || c == '.'; }
static bool fx_space(char c) { return c == ' ' || c == '\t' || c == '\n'; }

static bool fx_ncname(fx *f, ntcp_xml_str *out)
{
    size_t b = f->i;
    if (f->i >= f->n || !fx_start_char(f->s[f->i]))
        return false;
    while (f->i < f->n && fx_name_char(f->s[f->i]))
        f->i++;
    out->p = f->s + b;
    out->len = (uint32_t)(f->i - b);
    return f->i - b <= FX_NAME;
}

static bool fx_qname(fx *f, fx_name *q)
{
    q->prefix = (ntcp_xml_str){ "", 0 };
    if (!fx_ncname(f, &q->local))
        return false;
    if (f->i < f->n && f->s[f->i] == ':') {
        f->i++;
        q->prefix = q->local;
        if (!fx_ncname(f, &q->local))
            return false;
    }
    return true;
}

static bool fx_is(const ntcp_xml_str *a, const char *c)
{
    size_t n = strlen(c);
    return a->len == n && !memcmp(a->p, c, n);
}

static bool fx_eq(const ntcp_xml_str *a, const ntcp_xml_str *b)
{
    return a->len == b->len && !memcmp(a->p, b->p, a->len);
}

/* A prefix declared in scope (or none); "xml" and "xmlns" go to libxml2. */
static bool fx_declared(const fx *f, const ntcp_xml_str *prefix)
{
    if (!prefix->len)
        return true;
    for (uint32_t i = f->nns; i-- > 0;)
        if (fx_eq(&f->ns[i].prefix, prefix))
            return true;
    return false;
}

/* libxml2 refuses a namespace name xmlParseURI cannot parse: asked once
 * per name and thread (the few a program sends are remembered). */
static bool fx_uri_ok(const ntcp_xml_str *v)
{
    enum { SLOTS = 4, LEN = 160 };
    static __thread struct {
        uint32_t len;
        char s[LEN];
    } seen[SLOTS];
    static __thread unsigned next;
    if (!v->len || v->len >= LEN)
        return false;
    for (unsigned i = 0; i < SLOTS; i++)
        if (seen[i].len == v->len && !memcmp(seen[i].s, v->p, v->len))
            return true;
    char z[LEN];
    memcpy(z, v->p, v->len);
    z[v->len] = 0;
    if (!strcmp(z, "http://www.w3.org/XML/1998/namespace") || !strcmp(z, "http://www.w3.org/2000/xmlns/"))
        return false;
    xmlURIPtr u = xmlParseURI(z);
    if (!u)
        return false;
    xmlFreeURI(u);
    unsigned k = next++ % SLOTS;
    memcpy(seen[k].s, z, v->len);
    seen[k].len = v->len;
    return true;
}

/* One attribute value (quoted), plain ASCII without markup or white space
 * libxml2 would normalise. */
static bool fx_value(fx *f, ntcp_xml_str *v)
{
    if (f->i >= f->n || (f->s[f->i] != '"' && f->s[f->i] != '\''))
        return false;
    char q = f->s[f->i++];
    size_t b = f->i;
    while (f->i < f->n && f->s[f->i] != q) {
        unsigned char c = (unsigned char)f->s[f->i];
        if (c < 0x20 || c >= 0x80 || c == '<' || c == '&')
            return false;
        f->i++;
    }
    if (f->i >= f->n)
        return false;
    v->p = f->s + b;
    v->len = (uint32_t)(f->i - b);
    f->i++;
    return true;
}

static void fx_skip_space(fx *f)
{
    while (f->i < f->n && fx_space(f->s[f->i]))
        f->i++;
}

/* A start tag after its '<': checked, then (when writing) written as
 * element() writes it: the namespace declarations first, then the rest. */
static bool fx_start_tag(fx *f)
{
    fx_name el;
    if (!fx_qname(f, &el) || fx_is(&el.prefix, "xmlns") || fx_is(&el.prefix, "xml") || f->depth >= FX_DEPTH)
        return false;
    struct {
        fx_name name;
        ntcp_xml_str value;
        bool xmlns;
    } a[FX_ATTRS];
    uint32_t na = 0;
    bool empty = false;
    for (;;) {
        size_t before = f->i;
        fx_skip_space(f);
        if (f->i >= f->n)
            return false;
        if (f->s[f->i] == '>') {
            f->i++;
            break;
        }
        if (f->s[f->i] == '/') {
            if (f->i + 1 >= f->n || f->s[f->i + 1] != '>')
                return false;
            f->i += 2;
            empty = true;
            break;
        }
        if (f->i == before || na >= FX_ATTRS || !fx_qname(f, &a[na].name))
            return false;
        fx_skip_space(f);
        if (f->i >= f->n || f->s[f->i] != '=')
            return false;
        f->i++;
        fx_skip_space(f);
        if (!fx_value(f, &a[na].value))
            return false;
        const fx_name *an = &a[na].name;
        a[na].xmlns = fx_is(&an->prefix, "xmlns") || (!an->prefix.len && fx_is(&an->local, "xmlns"));
        if (a[na].xmlns && an->prefix.len && (fx_is(&an->local, "xml") || fx_is(&an->local, "xmlns")))
            return false;
        if (!a[na].xmlns && fx_is(&an->prefix, "xml"))
            return false;
        for (uint32_t k = 0; k < na; k++) /* duplicates, even namespaced ones: libxml2's to judge */
            if (fx_eq(&a[k].name.local, &an->local))
                return false;
        na++;
    }
    uint32_t depth = f->depth + 1;
    if (!f->w) {
        for (uint32_t k = 0; k < na; k++) {
            if (!a[k].xmlns)
                continue;
            if (!fx_uri_ok(&a[k].value) || f->nns >= FX_NS)
                return false;
            f->ns[f->nns].prefix = a[k].name.prefix.len ? a[k].name.local : (ntcp_xml_str){ "", 0 };
            f->ns[f->nns++].depth = depth;
        }
        if (!fx_declared(f, &el.prefix))
            return false;
        for (uint32_t k = 0; k < na; k++)
            if (!a[k].xmlns && !fx_declared(f, &a[k].name.prefix))
                return false;
    } else {
        ntcp_xml_name n = { el.prefix, el.local, NTCP_XML_KEY_AUTO, 0 };
        ntcp_status st = ntcp_xml_writer_start_element(f->w, &n);
        for (int pass = 0; pass < 2; pass++)
            for (uint32_t k = 0; !st && k < na; k++) {
                if (a[k].xmlns != (pass == 0))
                    continue;
                ntcp_xml_attr x;
                memset(&x, 0, sizeof x);
                x.name.key = NTCP_XML_KEY_AUTO;
                if (a[k].xmlns) {
                    x.is_xmlns = true;
                    if (a[k].name.prefix.len) /* xmlns:p="ns" (xmlns="ns": no prefix) */
                        x.name.prefix = a[k].name.local;
                    x.name.local = a[k].value;
                } else {
                    x.name.prefix = a[k].name.prefix;
                    x.name.local = a[k].name.local;
                    st = ntcp_xml__attr_text_value(a[k].value.p, a[k].value.len, &x.value);
                }
                if (!st)
                    st = ntcp_xml_writer_attribute(f->w, &x);
            }
        if (!st && empty)
            st = ntcp_xml_writer_end_element(f->w);
        if (st) {
            f->st = st;
            return false;
        }
    }
    if (!empty)
        f->open[f->depth++] = el;
    else
        while (f->nns && f->ns[f->nns - 1].depth >= depth)
            f->nns--;
    return true;
}

static bool fx_end_tag(fx *f)
{
    fx_name el;
    if (!f->depth || !fx_qname(f, &el))
        return false;
    fx_skip_space(f);
    if (f->i >= f->n || f->s[f->i] != '>')
        return false;
    f->i++;
    const fx_name *o = &f->open[f->depth - 1];
    if (!fx_eq(&o->prefix, &el.prefix) || !fx_eq(&o->local, &el.local))
        return false;
    while (f->nns && f->ns[f->nns - 1].depth >= f->depth)
        f->nns--;
    f->depth--;
    if (f->w && (f->st = ntcp_xml_writer_end_element(f->w)))
        return false;
    return true;
}

/* Text bytes: 1 ends the text ('<'), 2 sends the fragment to libxml2,
 * 4 '>' (after "]]" it is refused), 8 white space. */
static const uint8_t fx_text_class[256] = {
    [0x00 ... 0x08] = 2, [0x09] = 8, [0x0A] = 8, [0x0B ... 0x1F] = 2, [' '] = 8, ['&'] = 2, ['<'] = 1, ['>'] = 4,
    [0x80 ... 0xFF] = 2,
};

/* Text up to the next '<': printable ASCII, tabs and line feeds, not only
 * white space, no "]]>". Written (second pass) without looking again. */
static bool fx_text(fx *f)
{
    size_t b = f->i;
    const unsigned char *u = (const unsigned char *)f->s;
    if (f->w) {
        const char *lt = memchr(f->s + b, '<', f->n - b);
        f->i = lt ? (size_t)(lt - f->s) : f->n;
        return !(f->st = ntcp_xml_writer_text(f->w, f->s + b, f->i - b));
    }
    size_t i = b, n = f->n;
    while (i < n && fx_text_class[u[i]] == 8)
        i++;
    bool blank = true;
    for (;;) {
        size_t run = i;
        for (;;) { /* as in escape(): plain_until stops at every class but 0 and ' ' */
            i = plain_until(u, i, n);
            size_t lim = n - i > 8 ? i + 8 : n;
            while (i < lim && !fx_text_class[u[i]])
                i++;
            if (i < lim || i == n)
                break;
        }
        blank = blank && i == run;
        if (i >= n)
            break;
        uint8_t c = fx_text_class[u[i]];
        if (c & 3) {
            if (c & 2)
                return false;
            break;
        }
        if (c == 4) {
            if (i >= b + 2 && u[i - 1] == ']' && u[i - 2] == ']')
                return false;
            blank = false;
        }
        i++;
    }
    f->i = i;
    return !blank;
}

static bool fx_run(fx *f)
{
    f->i = 0;
    f->depth = 0;
    f->nns = 0;
    while (f->i < f->n) {
        if (f->s[f->i] != '<') {
            if (!fx_text(f))
                return false;
            continue;
        }
        f->i++;
        if (f->i < f->n && f->s[f->i] == '/') {
            f->i++;
            if (!fx_end_tag(f))
                return false;
        } else if (!fx_start_tag(f))
            return false;
    }
    return f->depth == 0;
}

/* NTCP_OK or the writer's refusal when the fast path took the fragment;
 * NTCP_E_UNSUPPORTED (nothing written) when libxml2 must. */
ntcp_status ntcp__xml_text_fast(ntcp_xml_writer *w, const char *text, size_t len)
{
    if (len > FX_MAX)
        return NTCP_E_UNSUPPORTED;
    fx f;
    f.s = text;
    f.n = len;
    f.w = NULL;
    f.st = NTCP_OK;
    if (!fx_run(&f))
        return NTCP_E_UNSUPPORTED;
    f.w = w;
    if (!fx_run(&f) && !f.st)
        f.st = NTCP_E_XML_SYNTAX; /* cannot happen: the same text passed the check */
    return f.st;
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
    ntcp_status fst = ntcp__xml_text_fast_off ? NTCP_E_UNSUPPORTED : ntcp__xml_text_fast(w, text, len);
    if (fst != NTCP_E_UNSUPPORTED)
        return fst;
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
    if (!opt)
        opt = &def;
    /* one allocation: the writer and its per-depth flags after it */
    ntcp_xml_text_writer *w = ntcp_calloc(1, sizeof *w + (size_t)opt->limits.max_depth + 2);
    if (!w)
        return NTCP_E_NOMEM;
    w->t.out = dest;
    w->t.opt = opt;
    w->t.sess = session;
    w->base = base_depth;
    ntcp_buf_init(&w->t.tmp, SIZE_MAX);
    w->t.flags = (uint8_t *)(w + 1);
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
    ntcp_buf_free(&w->t.tmp);
    ntcp_free(w);
}
