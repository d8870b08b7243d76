/* SOAP 1.2 + WS-Addressing 1.0 over the binary XML layer. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <nettcp/soap.h>
#include "xml/reader_mark.h"

/* ---- writing ---------------------------------------------------------- */

static ntcp_xml_name qn(const char *prefix, const char *local)
{
    ntcp_xml_name n;
    memset(&n, 0, sizeof n);
    n.prefix.p = prefix;
    n.prefix.len = (uint32_t)strlen(prefix);
    n.local.p = local;
    n.local.len = (uint32_t)strlen(local);
    n.key = NTCP_XML_KEY_AUTO;
    return n;
}

/* The names every envelope is written with, and their static dictionary
 * keys (MC-NBFS 2.2), looked up once instead of once per message. */
static const char *const known[] = { "Envelope", "Header", "Body", "Action", "To", "RelatesTo", "MessageID",
                                     "ReplyTo", "Address", "mustUnderstand", NTCP_SOAP12_NS, NTCP_WSA10_NS };
#define NKNOWN (sizeof known / sizeof known[0])
static int32_t known_key[NKNOWN];
static pthread_once_t known_once = PTHREAD_ONCE_INIT;

static void known_init(void)
{
    for (size_t i = 0; i < NKNOWN; i++) {
        int32_t k = ntcp_xml_static_key(known[i], strlen(known[i]));
        known_key[i] = k >= 0 ? k : NTCP_XML_KEY_AUTO;
    }
}

/* qn() with the key the writer would find for local (the same bytes),
 * when local is one of known[] (the same literal); else left to the writer. */
static ntcp_xml_name qk(const char *prefix, const char *local)
{
    ntcp_xml_name n = qn(prefix, local);
    pthread_once(&known_once, known_init);
    for (size_t i = 0; i < NKNOWN; i++)
        if (known[i] == local) {
            n.key = known_key[i];
            break;
        }
    return n;
}

static ntcp_status start(ntcp_xml_writer *w, const char *prefix, const char *local)
{
    ntcp_xml_name n = qk(prefix, local);
    return ntcp_xml_writer_start_element(w, &n);
}

static ntcp_status xmlns(ntcp_xml_writer *w, const char *prefix, const char *ns)
{
    ntcp_xml_attr a;
    memset(&a, 0, sizeof a);
    a.is_xmlns = true;
    a.name = qk(prefix, ns);
    return ntcp_xml_writer_attribute(w, &a);
}

static ntcp_status must_understand(ntcp_xml_writer *w)
{
    ntcp_xml_attr a;
    memset(&a, 0, sizeof a);
    a.name = qk("s", "mustUnderstand");
    a.value.type = NTCP_XV_INT;
    a.value.u.i = 1;
    return ntcp_xml_writer_attribute(w, &a);
}

/* <p:local [s:mustUnderstand="1"]>text</p:local> */
static ntcp_status text_element(ntcp_xml_writer *w, const char *prefix, const char *local, bool mu, const char *text)
{
    ntcp_status st = start(w, prefix, local);
    if (!st && mu)
        st = must_understand(w);
    if (!st)
        st = ntcp_xml_writer_text(w, text, strlen(text));
    return st ? st : ntcp_xml_writer_end_element(w);
}

static ntcp_status write_fault(ntcp_xml_writer *w, const ntcp_soap_fault *f)
{
    char code[128];
    snprintf(code, sizeof code, "s:%s", f->code ? f->code : "Receiver");
    ntcp_status st = start(w, "s", "Fault");
    if (!st)
        st = start(w, "s", "Code");
    if (!st)
        st = text_element(w, "s", "Value", false, code);
    /* nested subcodes: the first from subcode_ns/subcode, then more_subcodes */
    unsigned nsub = 0;
    for (unsigned i = 0; !st && (i == 0 ? f->subcode != NULL : (f->more_subcodes && f->more_subcodes[i - 1])); i++) {
        const char *ns = f->subcode_ns, *local = f->subcode;
        size_t nslen = ns ? strlen(ns) : 0;
        if (i > 0) {
            const char *e = f->more_subcodes[i - 1];
            const char *close = e[0] == '{' ? strchr(e, '}') : NULL;
            ns = close ? e + 1 : NULL;
            nslen = close ? (size_t)(close - e - 1) : 0;
            local = close ? close + 1 : e;
        }
        st = start(w, "s", "Subcode");
        if (!st)
            st = start(w, "s", "Value");
        bool wsa = ns && nslen == strlen(NTCP_WSA10_NS) && !memcmp(ns, NTCP_WSA10_NS, nslen);
        bool own_ns = ns && nslen && !wsa;
        if (!st && own_ns) {
            char nsb[1024];
            snprintf(nsb, sizeof nsb, "%.*s", (int)nslen, ns);
            st = xmlns(w, "b", nsb);
        }
        char sub[512];
        snprintf(sub, sizeof sub, "%s%s", own_ns ? "b:" : wsa ? "a:" : "", local);
        if (!st)
            st = ntcp_xml_writer_text(w, sub, strlen(sub));
        if (!st)
            st = ntcp_xml_writer_end_element(w); /* Value */
        nsub++;
    }
    for (; !st && nsub > 0; nsub--)
        st = ntcp_xml_writer_end_element(w); /* Subcode */
    if (!st)
        st = ntcp_xml_writer_end_element(w); /* Code */
    if (!st)
        st = start(w, "s", "Reason");
    if (!st)
        st = start(w, "s", "Text");
    if (!st) {
        ntcp_xml_attr a;
        memset(&a, 0, sizeof a);
        a.name = qn("xml", "lang");
        a.name.key = NTCP_XML_INLINE;
        a.value.type = NTCP_XV_CHARS;
        a.value.s.p = f->lang ? f->lang : "en-US";
        a.value.s.len = (uint32_t)strlen(a.value.s.p);
        st = ntcp_xml_writer_attribute(w, &a);
    }
    const char *reason = f->reason ? f->reason : "";
    if (!st)
        st = ntcp_xml_writer_text(w, reason, strlen(reason));
    for (int i = 0; i < 2 && !st; i++) /* Text, Reason */
        st = ntcp_xml_writer_end_element(w);
    if (!st && f->detail) {
        st = start(w, "s", "Detail");
        if (!st && f->detail_len)
            st = ntcp_xml_writer_text_xml(w, f->detail, f->detail_len);
        if (!st)
            st = ntcp_xml_writer_end_element(w);
    }
    return st ? st : ntcp_xml_writer_end_element(w); /* Fault */
}

/* Copies the nodes of an NBFX document (no session strings) into w:
 * skip_root leaves its root element out (its children are the content);
 * mu adds s:mustUnderstand="1" to the root. Inline names are looked up
 * again, so they go to w's session dictionary as WCF's own would. */
static ntcp_status copy_doc(ntcp_xml_writer *w, const uint8_t *doc, size_t len, bool skip_root, bool mu,
                            ntcp_xml_reader *scratch)
{
    static const ntcp_xml_limits big = { 256, UINT32_MAX, UINT32_MAX, UINT32_MAX, 256, UINT32_MAX, 2048 };
    ntcp_xml_reader *r = scratch;
    ntcp_status st = r ? NTCP_OK : ntcp_xml_reader_new(&r, &big, NULL);
    if (st)
        return st;
    ntcp_xml_attr attrs[257];
    st = ntcp_xml_reader_reset(r, doc, len);
    while (!st) {
        ntcp_xml_node n;
        st = ntcp_xml_reader_next(r, &n);
        if (st || n.type == NTCP_XML_NODE_EOF)
            break;
        if (skip_root && n.depth == 1 && (n.type == NTCP_XML_NODE_START || n.type == NTCP_XML_NODE_END))
            continue;
        if (n.type == NTCP_XML_NODE_START || n.type == NTCP_XML_NODE_ARRAY) {
            if (n.name.key == NTCP_XML_INLINE)
                n.name.key = NTCP_XML_KEY_AUTO;
            uint32_t na = 0;
            for (uint32_t i = 0; i < n.nattrs && na < 256; i++) {
                attrs[na] = n.attrs[i];
                if (attrs[na].name.key == NTCP_XML_INLINE)
                    attrs[na].name.key = NTCP_XML_KEY_AUTO;
                na++;
            }
            if (mu && n.depth == 1 && na < 257) {
                memset(&attrs[na], 0, sizeof attrs[na]);
                attrs[na].name = qn("s", "mustUnderstand");
                attrs[na].value.type = NTCP_XV_INT;
                attrs[na].value.u.i = 1;
                na++;
            }
            n.attrs = attrs;
            n.nattrs = na;
        }
        st = ntcp_xml_writer_node(w, &n);
    }
    if (r != scratch)
        ntcp_xml_reader_free(r);
    return st;
}

/* A text XML header with s:mustUnderstand="1" added to its element. */
static ntcp_status mu_header(ntcp_xml_writer *w, const char *xml)
{
    ntcp_xml_writer *tmp;
    ntcp_status st = ntcp_xml_writer_new(&tmp, NULL, NULL);
    if (st)
        return st;
    ntcp_buf doc;
    ntcp_buf_init(&doc, (size_t)64 << 20);
    st = ntcp_xml_writer_text_xml(tmp, xml, strlen(xml));
    if (!st)
        st = ntcp_xml_writer_finish(tmp, &doc);
    if (!st)
        st = copy_doc(w, doc.data, doc.len, false, true, NULL);
    ntcp_buf_free(&doc);
    ntcp_xml_writer_free(tmp);
    return st;
}

ntcp_status ntcp_soap_write(ntcp_xml_writer *w, const ntcp_soap_out *m, ntcp_buf *out)
{
    if (!w || !m || !m->action || !out)
        return NTCP_E_INVALID_ARG;
    ntcp_xml_writer_reset(w);
    ntcp_status st = start(w, "s", "Envelope");
    if (!st)
        st = xmlns(w, "s", NTCP_SOAP12_NS);
    if (!st)
        st = xmlns(w, "a", NTCP_WSA10_NS);
    if (!st)
        st = start(w, "s", "Header");
    if (!st)
        st = text_element(w, "a", "Action", true, m->action);
    if (!st && m->not_understood_name) {
        /* right after the Action: WCF adds it to the fault message before the reply's
         * RelatesTo and To; xmlns:d<length of the namespace>, qname="d<n>:name" */
        const char *ns = m->not_understood_ns ? m->not_understood_ns : "";
        char prefix[32], qname[600];
        snprintf(prefix, sizeof prefix, "d%zu", strlen(ns));
        snprintf(qname, sizeof qname, "%s%s%s", *ns ? prefix : "", *ns ? ":" : "", m->not_understood_name);
        st = start(w, "s", "NotUnderstood");
        if (!st && *ns)
            st = xmlns(w, prefix, ns);
        if (!st) {
            ntcp_xml_attr a;
            memset(&a, 0, sizeof a);
            a.name = qn("", "qname");
            a.value.type = NTCP_XV_CHARS;
            a.value.s.p = qname;
            a.value.s.len = (uint32_t)strlen(qname);
            st = ntcp_xml_writer_attribute(w, &a);
        }
        if (!st)
            st = ntcp_xml_writer_end_element(w);
    }
    if (!st && m->relates_to)
        st = text_element(w, "a", "RelatesTo", false, m->relates_to);
    if (!st && m->message_id)
        st = text_element(w, "a", "MessageID", false, m->message_id);
    if (!st && m->reply_to_anonymous) {
        st = start(w, "a", "ReplyTo");
        if (!st)
            st = text_element(w, "a", "Address", false, NTCP_WSA10_ANONYMOUS);
        if (!st)
            st = ntcp_xml_writer_end_element(w);
    }
    if (!st && m->to)
        st = text_element(w, "a", "To", true, m->to);
    for (size_t i = 0; !st && i < m->nheaders; i++)
        st = m->headers_mu && m->headers_mu[i] ? mu_header(w, m->headers[i])
                                               : ntcp_xml_writer_text_xml(w, m->headers[i], strlen(m->headers[i]));
    if (!st)
        st = ntcp_xml_writer_end_element(w); /* Header */
    if (!st)
        st = start(w, "s", "Body");
    if (!st && m->fault)
        st = write_fault(w, m->fault);
    else if (!st && m->body_nbfx)
        st = copy_doc(w, m->body_nbfx, m->body_nbfx_len, true, false, m->scratch);
    else if (!st && m->body && m->body_len)
        st = ntcp_xml_writer_text_xml(w, m->body, m->body_len);
    if (!st)
        st = ntcp_xml_writer_end_element(w); /* Body */
    if (!st)
        st = ntcp_xml_writer_end_element(w); /* Envelope */
    if (!st)
        st = ntcp_xml_writer_finish(w, out);
    if (st)
        ntcp_xml_writer_reset(w);
    return st;
}

void ntcp_soap_fault_action_not_supported(ntcp_soap_fault *f, const char *action, char *buf, size_t cap)
{
    snprintf(buf, cap,
             "The service has no operation for the action '%s': the client and the service use different "
             "contracts (or a different binding).",
             action ? action : "");
    *f = (ntcp_soap_fault){ .code = "Sender", .subcode_ns = NTCP_WSA10_NS, .subcode = "ActionNotSupported",
                            .reason = buf, .lang = "en-US" };
}

void ntcp_soap_fault_destination_unreachable(ntcp_soap_fault *f, const char *to, char *buf, size_t cap)
{
    snprintf(buf, cap, "No endpoint at this service accepts messages addressed to '%s'.", to ? to : "");
    *f = (ntcp_soap_fault){ .code = "Sender", .subcode_ns = NTCP_WSA10_NS, .subcode = "DestinationUnreachable",
                            .reason = buf, .lang = "en-US" };
}

void ntcp_soap_fault_internal(ntcp_soap_fault *f, const char *reason)
{
    *f = (ntcp_soap_fault){ .code = "Receiver", .subcode_ns = NTCP_WCF_DISPATCHER_NS,
                            .subcode = "InternalServiceFault",
                            .reason = reason ? reason
                                             : "The server was unable to process the request due to an internal error.",
                            .lang = "en-US" };
}

void ntcp_soap_message_id(const uint8_t r[16], char out[46])
{
    uint8_t b[16];
    memcpy(b, r, 16);
    b[6] = (uint8_t)((b[6] & 0x0F) | 0x40); /* RFC 4122 version 4 */
    b[8] = (uint8_t)((b[8] & 0x3F) | 0x80);
    /* urn:uuid:xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, without printf: one per call */
    static const char hex[] = "0123456789abcdef";
    memcpy(out, "urn:uuid:", 9);
    char *p = out + 9;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        *p++ = hex[b[i] >> 4];
        *p++ = hex[b[i] & 15];
    }
    *p = 0;
}

/* ---- reading ------------------------------------------------------------ */

void ntcp_soap_msg_init(ntcp_soap_msg *m)
{
    memset(m, 0, sizeof *m);
    ntcp_buf_init(&m->body, SIZE_MAX / 2);
    ntcp_buf_init(&m->fault_detail, SIZE_MAX / 2);
}

void ntcp_soap_msg_clear(ntcp_soap_msg *m)
{
    char **s[] = { &m->action, &m->message_id, &m->relates_to, &m->to, &m->reply_to,
                   &m->fault_code, &m->fault_subcode, &m->fault_reason, &m->not_understood };
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
        ntcp_free(*s[i]);
        *s[i] = NULL;
    }
    for (size_t i = 0; i < m->fault_nsubcodes; i++) {
        ntcp_free(m->fault_subcodes[i].ns);
        ntcp_free(m->fault_subcodes[i].local);
    }
    ntcp_free(m->fault_subcodes);
    m->fault_subcodes = NULL;
    m->fault_nsubcodes = 0;
    m->has_detail = false;
    ntcp_buf_free(&m->fault_detail);
    ntcp_free(m->headers);
    m->headers = NULL;
    m->nheaders = 0;
    m->body_doc = NULL;
    m->body_doc_len = 0;
    m->is_fault = false;
    ntcp_buf_free(&m->body);
}

#define MAX_NS 64
#define MAX_DEPTH_NS 64

/* In-scope namespace declarations: a stack of (prefix, ns, depth). */
typedef struct nsdecl {
    ntcp_xml_str prefix, ns;
    uint32_t depth;
} nsdecl;

typedef struct nsstack {
    nsdecl d[MAX_NS];
    unsigned n;
} nsstack;

static bool str_is(const ntcp_xml_str *s, const char *c)
{
    size_t n = strlen(c);
    return s->len == n && (n == 0 || !memcmp(s->p, c, n));
}

static bool str_eq(const ntcp_xml_str *a, const ntcp_xml_str *b)
{
    return a->len == b->len && (a->len == 0 || !memcmp(a->p, b->p, a->len));
}

static void ns_pop(nsstack *s, uint32_t depth)
{
    while (s->n && s->d[s->n - 1].depth >= depth)
        s->n--;
}

static void ns_push(nsstack *s, const ntcp_xml_node *n)
{
    for (uint32_t i = 0; i < n->nattrs; i++)
        if (n->attrs[i].is_xmlns && s->n < MAX_NS)
            s->d[s->n++] = (nsdecl){ n->attrs[i].name.prefix, n->attrs[i].name.local, n->depth };
}

static const ntcp_xml_str *ns_lookup(const nsstack *s, const ntcp_xml_str *prefix)
{
    for (unsigned i = s->n; i-- > 0;)
        if (str_eq(&s->d[i].prefix, prefix))
            return &s->d[i].ns;
    return NULL;
}

static bool in_ns(const nsstack *s, const ntcp_xml_name *name, const char *ns)
{
    const ntcp_xml_str *u = ns_lookup(s, &name->prefix);
    return u && str_is(u, ns);
}

static ntcp_status set_str(char **dst, const ntcp_buf *b)
{
    ntcp_free(*dst);
    *dst = ntcp_strndup(b->data ? (const char *)b->data : "", b->len);
    return *dst ? NTCP_OK : NTCP_E_NOMEM;
}

/* The text of the element just started (until its END), in place of out's. */
static ntcp_status element_text(ntcp_xml_reader *r, ntcp_buf *out)
{
    ntcp_buf_reset(out);
    return ntcp_xml_reader_element_text(r, out);
}

/* Whether s:mustUnderstand is 1/true. An allocation failure is an error,
 * never "not set": a header the service does not process would pass. */
static ntcp_status mu_set(const ntcp_xml_node *n, const nsstack *ns, bool *set)
{
    *set = false;
    for (uint32_t i = 0; i < n->nattrs; i++) {
        const ntcp_xml_attr *a = &n->attrs[i];
        if (a->is_xmlns || !str_is(&a->name.local, "mustUnderstand") || !in_ns(ns, &a->name, NTCP_SOAP12_NS))
            continue;
        const ntcp_xml_value *x = &a->value;
        switch (x->type) { /* the usual records, without formatting them */
        case NTCP_XV_INT: *set = x->u.i == 1; return NTCP_OK;
        case NTCP_XV_UINT64: *set = x->u.u == 1; return NTCP_OK;
        case NTCP_XV_BOOL: *set = x->u.i != 0; return NTCP_OK;
        case NTCP_XV_CHARS:
        case NTCP_XV_DICT:
            *set = (x->s.len == 1 && x->s.p[0] == '1') || (x->s.len == 4 && !memcmp(x->s.p, "true", 4));
            return NTCP_OK;
        default: break;
        }
        ntcp_buf v;
        ntcp_buf_init(&v, 64);
        ntcp_status st = ntcp_xml_value_format(&a->value, NULL, &v);
        *set = st == NTCP_OK && ((v.len == 1 && v.data[0] == '1') || (v.len == 4 && !memcmp(v.data, "true", 4)));
        ntcp_buf_free(&v);
        return st == NTCP_E_NOMEM ? st : NTCP_OK;
    }
    return NTCP_OK;
}

static bool understood_by(const char *const *list, const ntcp_xml_str *ns, const ntcp_xml_str *local)
{
    for (; list && *list; list++) {
        const char *e = *list;
        if (e[0] != '{')
            continue;
        const char *close = strchr(e, '}');
        if (!close)
            continue;
        size_t nl = (size_t)(close - e - 1);
        if (ns && ns->len == nl && (nl == 0 || !memcmp(ns->p, e + 1, nl)) && str_is(local, close + 1))
            return true;
    }
    return false;
}

/* The local part of a QName text ("s:Sender" -> "Sender"). */
static ntcp_status local_part(char **dst, const ntcp_buf *b)
{
    const char *p = b->data ? (const char *)b->data : "";
    const char *c = memchr(p, ':', b->len);
    ntcp_buf t = *b;
    if (c) {
        t.data = (uint8_t *)(c + 1);
        t.len = b->len - (size_t)(c + 1 - p);
    }
    return set_str(dst, &t);
}

/* A subcode's QName text resolved against the declarations in scope. */
static ntcp_status add_subcode(ntcp_soap_msg *m, const nsstack *ns, const ntcp_buf *t)
{
    const char *p = t->data ? (const char *)t->data : "";
    const char *c = memchr(p, ':', t->len);
    ntcp_xml_str prefix = { p, c ? (uint32_t)(c - p) : 0 };
    const ntcp_xml_str *u = ns_lookup(ns, &prefix);
    ntcp_soap_qname *q = ntcp_realloc(m->fault_subcodes, (m->fault_nsubcodes + 1) * sizeof *q);
    if (!q)
        return NTCP_E_NOMEM;
    m->fault_subcodes = q;
    q = &q[m->fault_nsubcodes];
    const char *local = c ? c + 1 : p;
    q->local = ntcp_strndup(local, t->len - (size_t)(local - p));
    q->ns = ntcp_strndup(u ? u->p : "", u ? u->len : 0);
    if (!q->local || !q->ns) {
        ntcp_free(q->local);
        ntcp_free(q->ns);
        return NTCP_E_NOMEM;
    }
    m->fault_nsubcodes++;
    return NTCP_OK;
}

/* The content of the element just started, as text XML (no indentation). */
static ntcp_status element_xml(ntcp_xml_reader *r, const ntcp_xml_session *sess, uint32_t depth, ntcp_buf *out)
{
    ntcp_xml_text_options opt;
    ntcp_xml_text_options_init(&opt);
    opt.indent = 0;
    opt.limits.max_size = UINT32_MAX;
    opt.limits.max_string_len = UINT32_MAX;
    ntcp_xml_text_writer *tw;
    ntcp_status st = ntcp_xml_text_writer_new(&tw, &opt, sess, depth, out);
    for (;;) {
        ntcp_xml_node n;
        if (!st)
            st = ntcp_xml_reader_next(r, &n);
        if (st || n.type == NTCP_XML_NODE_EOF || (n.type == NTCP_XML_NODE_END && n.depth == depth))
            break;
        st = ntcp_xml_text_writer_node(tw, &n);
    }
    if (tw)
        ntcp_xml_text_writer_free(tw);
    return st;
}

/* s:Fault: Code/Value, Code/Subcode/Value (nested), Reason/Text, Detail */
static ntcp_status read_fault(ntcp_xml_reader *r, const ntcp_xml_session *sess, ntcp_soap_msg *m, uint32_t depth,
                              nsstack *ns)
{
    ntcp_buf t;
    ntcp_buf_init(&t, 1 << 20);
    ntcp_status st = NTCP_OK;
    bool in_code = false, in_reason = false;
    unsigned in_subcode = 0;
    for (;;) {
        ntcp_xml_node n;
        st = ntcp_xml_reader_next(r, &n);
        if (st || n.type == NTCP_XML_NODE_EOF)
            break;
        if (n.type == NTCP_XML_NODE_END && n.depth == depth)
            break;
        if (n.type == NTCP_XML_NODE_END) {
            ns_pop(ns, n.depth);
            if (str_is(&n.name.local, "Code"))
                in_code = false;
            else if (str_is(&n.name.local, "Subcode") && in_subcode)
                in_subcode--;
            else if (str_is(&n.name.local, "Reason"))
                in_reason = false;
            continue;
        }
        if (n.type != NTCP_XML_NODE_START)
            continue;
        ns_push(ns, &n);
        if (n.depth == depth + 1 && str_is(&n.name.local, "Detail") && !m->has_detail) {
            m->has_detail = true;
            st = element_xml(r, sess, n.depth, &m->fault_detail);
            ns_pop(ns, n.depth);
        } else if (str_is(&n.name.local, "Code"))
            in_code = true;
        else if (str_is(&n.name.local, "Subcode"))
            in_subcode++;
        else if (str_is(&n.name.local, "Reason"))
            in_reason = true;
        else if (str_is(&n.name.local, "Value") && in_code) {
            ntcp_buf_reset(&t);
            st = ntcp_xml_reader_element_text(r, &t);
            if (!st && in_subcode) {
                if (!m->fault_subcode)
                    st = local_part(&m->fault_subcode, &t);
                if (!st)
                    st = add_subcode(m, ns, &t);
            } else if (!st && !m->fault_code)
                st = local_part(&m->fault_code, &t);
            ns_pop(ns, n.depth);
        } else if (str_is(&n.name.local, "Text") && in_reason && !m->fault_reason) {
            st = element_text(r, &t);
            if (!st)
                st = set_str(&m->fault_reason, &t);
            ns_pop(ns, n.depth);
        }
        if (st)
            break;
    }
    ntcp_buf_free(&t);
    return st;
}

/* The next node inside the Body (its children and their content); false at
 * the Body's end, at the end of the document or on an error (*st). */
static bool next_in_body(ntcp_xml_reader *r, bool *in_body, ntcp_xml_node *n, ntcp_status *st)
{
    for (;;) {
        *st = ntcp_xml_reader_next(r, n);
        if (*st || n->type == NTCP_XML_NODE_EOF)
            return false;
        if (n->type == NTCP_XML_NODE_START && n->depth == 2 && str_is(&n->name.local, "Body")) {
            *in_body = true;
            continue;
        }
        if (*in_body && n->type == NTCP_XML_NODE_END && n->depth == 2)
            return false;
        if (*in_body)
            return true;
    }
}

/* Renders the body's children: each top element gets the declarations of
 * the outer namespaces it (or anything inside it) uses. */
static ntcp_status render_body(ntcp_xml_reader *r, const uint8_t *doc, size_t len, const ntcp_xml_session *sess,
                               const ntcp_xml_limits *limits, unsigned indent, const nsstack *outer,
                               const ntcp__xml_mark *body, ntcp_buf *out)
{
    /* pass 1: which outer prefixes does each top element use? A body
     * usually has one top element: the bit sets start on the stack and grow
     * (up to MAX_TOP elements; later ones get no outer declarations). */
    enum { MAX_TOP = 4096, LOCAL_TOP = 16 };
    uint64_t used_local[LOCAL_TOP] = { 0 };
    uint64_t *used = used_local;
    unsigned used_cap = LOCAL_TOP;
    /* both passes start right after the Body's start (body: the reader's
     * place there, when read_core marked it; else from the document's start) */
    ntcp_status st = NTCP_OK;
    bool in_body = body != NULL;
    if (body)
        ntcp__xml_reader_restore(r, body);
    else
        st = ntcp_xml_reader_reset(r, doc, len);
    unsigned top = 0;
    ntcp_xml_node n;
    nsstack inner = { .n = 0 }; /* declarations made inside the body */
    while (!st && next_in_body(r, &in_body, &n, &st)) {
        if (n.type == NTCP_XML_NODE_END)
            ns_pop(&inner, n.depth);
        if (n.type != NTCP_XML_NODE_START && n.type != NTCP_XML_NODE_ARRAY)
            continue;
        if (n.type == NTCP_XML_NODE_START)
            ns_push(&inner, &n);
        if (n.depth == 3 && n.type == NTCP_XML_NODE_START)
            top++;
        if (top == 0 || top > MAX_TOP)
            continue;
        if (top > used_cap) {
            unsigned cap = used_cap * 4 < MAX_TOP ? used_cap * 4 : MAX_TOP;
            uint64_t *grown = ntcp_calloc(cap, sizeof *grown);
            if (!grown) {
                st = NTCP_E_NOMEM;
                break;
            }
            memcpy(grown, used, used_cap * sizeof *used);
            if (used != used_local)
                ntcp_free(used);
            used = grown;
            used_cap = cap;
        }
        for (unsigned i = 0; i < outer->n && i < 64; i++) {
            if (ns_lookup(&inner, &outer->d[i].prefix))
                continue; /* redeclared inside the body: the outer one is not used */
            bool use = str_eq(&n.name.prefix, &outer->d[i].prefix);
            for (uint32_t a = 0; !use && a < n.nattrs; a++)
                use = !n.attrs[a].is_xmlns && outer->d[i].prefix.len &&
                      str_eq(&n.attrs[a].name.prefix, &outer->d[i].prefix);
            if (use)
                used[top - 1] |= 1ull << i;
        }
    }
    /* pass 2: render */
    ntcp_xml_text_options opt;
    ntcp_xml_text_options_init(&opt);
    opt.indent = indent;
    if (limits)
        opt.limits = *limits;
    ntcp_xml_text_writer *tw = NULL;
    if (!st)
        st = ntcp_xml_text_writer_new(&tw, &opt, sess, 2, out);
    in_body = body != NULL;
    if (!st && body)
        ntcp__xml_reader_restore(r, body);
    else if (!st)
        st = ntcp_xml_reader_reset(r, doc, len);
    top = 0;
    ntcp_xml_attr *attrs = NULL;
    while (!st && next_in_body(r, &in_body, &n, &st)) {
        if (n.depth == 3 && n.type == NTCP_XML_NODE_START && ++top <= used_cap && used[top - 1]) {
            /* add the outer declarations this element needs and does not make itself */
            ntcp_free(attrs);
            attrs = ntcp_calloc(n.nattrs + 64, sizeof *attrs);
            if (!attrs) {
                st = NTCP_E_NOMEM;
                break;
            }
            if (n.nattrs)
                memcpy(attrs, n.attrs, n.nattrs * sizeof *attrs);
            uint32_t na = n.nattrs;
            for (unsigned i = 0; i < outer->n && i < 64; i++) {
                if (!(used[top - 1] & (1ull << i)))
                    continue;
                bool own = false;
                for (uint32_t a = 0; a < n.nattrs && !own; a++)
                    own = n.attrs[a].is_xmlns && str_eq(&n.attrs[a].name.prefix, &outer->d[i].prefix);
                if (own)
                    continue;
                memset(&attrs[na], 0, sizeof attrs[na]);
                attrs[na].is_xmlns = true;
                attrs[na].name.prefix = outer->d[i].prefix;
                attrs[na].name.local = outer->d[i].ns;
                attrs[na].name.key = NTCP_XML_INLINE;
                na++;
            }
            n.attrs = attrs;
            n.nattrs = na;
        }
        st = ntcp_xml_text_writer_node(tw, &n);
    }
    ntcp_free(attrs);
    if (used != used_local)
        ntcp_free(used);
    ntcp_xml_text_writer_free(tw);
    return st;
}

static ntcp_status add_header(ntcp_soap_msg *m, const nsstack *ns, const ntcp_xml_node *n, size_t offset)
{
    /* 8, then doubled when full (at 16, 32, ...): one allocation for most messages */
    if (m->nheaders == 0 || (m->nheaders >= 8 && (m->nheaders & (m->nheaders - 1)) == 0)) {
        size_t cap = m->nheaders ? m->nheaders * 2 : 8;
        ntcp_soap_header *h = ntcp_realloc(m->headers, cap * sizeof *h);
        if (!h)
            return NTCP_E_NOMEM;
        m->headers = h;
    }
    ntcp_soap_header *h = &m->headers[m->nheaders++];
    const ntcp_xml_str *u = ns_lookup(ns, &n->name.prefix);
    h->ns = u ? *u : (ntcp_xml_str){ "", 0 };
    h->local = n->name.local;
    h->offset = offset;
    h->len = 0;
    bool mu;
    ntcp_status st = mu_set(n, ns, &mu);
    h->must_understand = mu;
    return st;
}

/* Reads the envelope: addressing headers, every header block's place, the
 * fault, the Body's content slice. *outer gets the declarations in scope
 * at the Body. */
static ntcp_status read_core(ntcp_xml_reader *r, const uint8_t *doc, size_t len, const ntcp_xml_session *sess,
                             const char *const *understood, ntcp_soap_msg *m, nsstack *outer, ntcp__xml_mark *body,
                             bool *marked)
{
    ntcp_status st = ntcp_xml_reader_reset(r, doc, len);
    nsstack ns = { .n = 0 };
    ntcp_buf t;
    ntcp_buf_init(&t, 1 << 20);
    bool seen_envelope = false, seen_body = false, body_done = false, first_child = true;
    size_t body_start = 0;
    while (!st) {
        size_t before = ntcp_xml_reader_offset(r);
        ntcp_xml_node n;
        st = ntcp_xml_reader_next(r, &n);
        if (st || n.type == NTCP_XML_NODE_EOF)
            break;
        if (n.type == NTCP_XML_NODE_END) {
            if (n.depth == 3 && !seen_body && m->nheaders && m->headers[m->nheaders - 1].len == 0)
                m->headers[m->nheaders - 1].len = ntcp_xml_reader_offset(r) - m->headers[m->nheaders - 1].offset;
            if (n.depth == 2 && seen_body && !body_done) {
                body_done = true;
                m->body_doc = doc + body_start;
                m->body_doc_len = before - body_start;
            }
            ns_pop(&ns, n.depth);
            continue;
        }
        if (n.type != NTCP_XML_NODE_START)
            continue;
        ns_push(&ns, &n);
        if (n.depth == 1) {
            if (!str_is(&n.name.local, "Envelope") || !in_ns(&ns, &n.name, NTCP_SOAP12_NS)) {
                st = NTCP_E_MALFORMED;
                break;
            }
            seen_envelope = true;
        } else if (n.depth == 2 && !seen_body && str_is(&n.name.local, "Body") && in_ns(&ns, &n.name, NTCP_SOAP12_NS)) {
            seen_body = true;
            *outer = ns; /* what the body's content may rely on */
            body_start = ntcp_xml_reader_offset(r);
            /* render_body() starts here: this Body, not the first element
             * of any namespace named Body (whose content is not body_doc's) */
            if (body)
                *marked = ntcp__xml_reader_mark(r, body);
        } else if (n.depth == 3 && seen_body) {
            /* a fault is the body's first element */
            if (first_child && str_is(&n.name.local, "Fault") && in_ns(&ns, &n.name, NTCP_SOAP12_NS)) {
                m->is_fault = true;
                st = read_fault(r, sess, m, n.depth, &ns);
                ns_pop(&ns, n.depth);
            }
            first_child = false;
        } else if (n.depth == 3 && !seen_body) {
            /* a header block */
            st = add_header(m, &ns, &n, before);
            if (st)
                break;
            bool wsa = in_ns(&ns, &n.name, NTCP_WSA10_NS);
            char **dst = NULL;
            if (wsa && str_is(&n.name.local, "Action"))
                dst = &m->action;
            else if (wsa && str_is(&n.name.local, "MessageID"))
                dst = &m->message_id;
            else if (wsa && str_is(&n.name.local, "RelatesTo"))
                dst = &m->relates_to;
            else if (wsa && str_is(&n.name.local, "To"))
                dst = &m->to;
            else if (wsa && str_is(&n.name.local, "ReplyTo"))
                continue; /* its Address follows at depth 4 */
            if (dst && !*dst) {
                st = element_text(r, &t);
                ns_pop(&ns, n.depth);
                m->headers[m->nheaders - 1].len = ntcp_xml_reader_offset(r) - before;
                if (!st)
                    st = set_str(dst, &t);
                continue;
            }
            if (!wsa && m->headers[m->nheaders - 1].must_understand && !m->not_understood &&
                !understood_by(understood, ns_lookup(&ns, &n.name.prefix), &n.name.local)) {
                const ntcp_xml_str *u = ns_lookup(&ns, &n.name.prefix);
                char buf[1024];
                snprintf(buf, sizeof buf, "{%.*s}%.*s", u ? (int)u->len : 0, u ? u->p : "", (int)n.name.local.len,
                         n.name.local.p);
                m->not_understood = ntcp_strndup(buf, strlen(buf));
                if (!m->not_understood)
                    st = NTCP_E_NOMEM; /* never let the header pass unprocessed */
            }
        } else if (n.depth == 4 && !seen_body && str_is(&n.name.local, "Address") &&
                   in_ns(&ns, &n.name, NTCP_WSA10_NS) && !m->reply_to) {
            st = element_text(r, &t);
            ns_pop(&ns, n.depth);
            if (!st)
                st = set_str(&m->reply_to, &t);
        }
    }
    ntcp_buf_free(&t);
    if (!st && (!seen_envelope || !body_done))
        st = NTCP_E_MALFORMED;
    return st;
}

/* The envelope's headers and fault; with `whole`, the body rendered too and
 * the rest of the document read. */
static ntcp_status read_doc(const uint8_t *doc, size_t len, const ntcp_xml_session *sess, const ntcp_xml_limits *limits,
                            const char *const *understood, unsigned indent, bool whole, ntcp_soap_msg *m)
{
    ntcp_xml_reader *r;
    ntcp_status st = ntcp_xml_reader_new(&r, limits, sess);
    if (st)
        return st;
    nsstack outer = { .n = 0 };
    ntcp__xml_mark body;
    bool marked = false;
    st = read_core(r, doc, len, sess, understood, m, &outer, whole ? &body : NULL, &marked);
    if (!whole) {
        ntcp_xml_reader_free(r);
        return st;
    }
    if (!st && !m->is_fault)
        st = render_body(r, doc, len, sess, limits, indent, &outer, marked ? &body : NULL, &m->body);
    /* the rest of the document too: WCF's reader refuses an element, text or
     * an unknown record after the envelope (docs/protocols-notes.md) */
    while (!st) {
        ntcp_xml_node n;
        st = ntcp_xml_reader_next(r, &n);
        if (!st && n.type == NTCP_XML_NODE_EOF)
            break;
    }
    ntcp_xml_reader_free(r);
    return st;
}

ntcp_status ntcp_soap_read(const uint8_t *doc, size_t len, const ntcp_xml_session *sess, const ntcp_xml_limits *limits,
                           const char *const *understood, unsigned indent, ntcp_soap_msg *m)
{
    return read_doc(doc, len, sess, limits, understood, indent, true, m);
}

ntcp_status ntcp_soap_read_envelope(const uint8_t *doc, size_t len, const ntcp_xml_session *sess,
                                    const ntcp_xml_limits *limits, ntcp_soap_msg *m)
{
    return read_doc(doc, len, sess, limits, NULL, 0, false, m);
}

ntcp_status ntcp_soap_read_session(const uint8_t *payload, size_t len, ntcp_xml_session *session,
                                   const ntcp_xml_limits *limits, const char *const *understood, unsigned indent,
                                   ntcp_soap_msg *m)
{
    size_t off = 0;
    ntcp_status st = ntcp_xml_session_read_table(session, payload, len, &off);
    return st ? st : ntcp_soap_read(payload + off, len - off, session, limits, understood, indent, m);
}
