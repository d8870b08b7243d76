/* SOAP 1.2 + WS-Addressing 1.0 over the binary XML layer. */
#include <stdio.h>
#include <string.h>
#include <nettcp/soap.h>

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

static ntcp_status start(ntcp_xml_writer *w, const char *prefix, const char *local)
{
    ntcp_xml_name n = qn(prefix, local);
    return ntcp_xml_writer_start_element(w, &n);
}

static ntcp_status xmlns(ntcp_xml_writer *w, const char *prefix, const char *ns)
{
    ntcp_xml_attr a;
    memset(&a, 0, sizeof a);
    a.is_xmlns = true;
    a.name = qn(prefix, ns);
    return ntcp_xml_writer_attribute(w, &a);
}

static ntcp_status must_understand(ntcp_xml_writer *w)
{
    ntcp_xml_attr a;
    memset(&a, 0, sizeof a);
    a.name = qn("s", "mustUnderstand");
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
    if (!st && f->subcode) {
        st = start(w, "s", "Subcode");
        if (!st)
            st = start(w, "s", "Value");
        bool own_ns = f->subcode_ns && strcmp(f->subcode_ns, NTCP_WSA10_NS) != 0;
        if (!st && own_ns)
            st = xmlns(w, "b", f->subcode_ns);
        char sub[256];
        snprintf(sub, sizeof sub, "%s:%s", own_ns ? "b" : "a", f->subcode);
        if (!st)
            st = ntcp_xml_writer_text(w, sub, strlen(sub));
        if (!st)
            st = ntcp_xml_writer_end_element(w); /* Value */
        if (!st)
            st = ntcp_xml_writer_end_element(w); /* Subcode */
    }
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
    for (int i = 0; i < 3 && !st; i++) /* Text, Reason, Fault */
        st = ntcp_xml_writer_end_element(w);
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
        st = ntcp_xml_writer_text_xml(w, m->headers[i], strlen(m->headers[i]));
    if (!st)
        st = ntcp_xml_writer_end_element(w); /* Header */
    if (!st)
        st = start(w, "s", "Body");
    if (!st && m->fault)
        st = write_fault(w, m->fault);
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
    *f = (ntcp_soap_fault){ "Sender", NTCP_WSA10_NS, "ActionNotSupported", buf, "en-US" };
}

void ntcp_soap_fault_destination_unreachable(ntcp_soap_fault *f, const char *to, char *buf, size_t cap)
{
    snprintf(buf, cap, "No endpoint at this service accepts messages addressed to '%s'.", to ? to : "");
    *f = (ntcp_soap_fault){ "Sender", NTCP_WSA10_NS, "DestinationUnreachable", buf, "en-US" };
}

void ntcp_soap_fault_internal(ntcp_soap_fault *f, const char *reason)
{
    *f = (ntcp_soap_fault){ "Receiver", NTCP_WCF_DISPATCHER_NS, "InternalServiceFault",
                            reason ? reason : "The server was unable to process the request due to an internal error.",
                            "en-US" };
}

void ntcp_soap_message_id(const uint8_t r[16], char out[46])
{
    uint8_t b[16];
    memcpy(b, r, 16);
    b[6] = (uint8_t)((b[6] & 0x0F) | 0x40); /* RFC 4122 version 4 */
    b[8] = (uint8_t)((b[8] & 0x3F) | 0x80);
    snprintf(out, 46, "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

/* ---- reading ------------------------------------------------------------ */

void ntcp_soap_msg_init(ntcp_soap_msg *m)
{
    memset(m, 0, sizeof *m);
    ntcp_buf_init(&m->body, SIZE_MAX / 2);
}

void ntcp_soap_msg_clear(ntcp_soap_msg *m)
{
    char **s[] = { &m->action, &m->message_id, &m->relates_to, &m->to, &m->reply_to,
                   &m->fault_code, &m->fault_subcode, &m->fault_reason, &m->not_understood };
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
        ntcp_free(*s[i]);
        *s[i] = NULL;
    }
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

/* Collects the text of the element just started (until its END). */
static ntcp_status element_text(ntcp_xml_reader *r, const ntcp_xml_session *sess, ntcp_buf *out)
{
    (void)sess;
    ntcp_buf_reset(out);
    int level = 0;
    for (;;) {
        ntcp_xml_node n;
        ntcp_status st = ntcp_xml_reader_next(r, &n);
        if (st)
            return st;
        if (n.type == NTCP_XML_NODE_EOF)
            return NTCP_E_MALFORMED;
        if (n.type == NTCP_XML_NODE_START)
            level++;
        else if (n.type == NTCP_XML_NODE_END && level-- == 0)
            return NTCP_OK;
        else if (n.type == NTCP_XML_NODE_TEXT && level == 0) {
            st = ntcp_xml_value_format(&n.value, NULL, out);
            if (st)
                return st;
        }
    }
}

static bool mu_set(const ntcp_xml_node *n, const nsstack *ns)
{
    for (uint32_t i = 0; i < n->nattrs; i++) {
        const ntcp_xml_attr *a = &n->attrs[i];
        if (a->is_xmlns || !str_is(&a->name.local, "mustUnderstand") || !in_ns(ns, &a->name, NTCP_SOAP12_NS))
            continue;
        ntcp_buf v;
        ntcp_buf_init(&v, 64);
        bool set = ntcp_xml_value_format(&a->value, NULL, &v) == NTCP_OK &&
                   ((v.len == 1 && v.data[0] == '1') || (v.len == 4 && !memcmp(v.data, "true", 4)));
        ntcp_buf_free(&v);
        return set;
    }
    return false;
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

/* s:Fault: Code/Value, Code/Subcode/Value, Reason/Text */
static ntcp_status read_fault(ntcp_xml_reader *r, const ntcp_xml_session *sess, ntcp_soap_msg *m, uint32_t depth)
{
    ntcp_buf t;
    ntcp_buf_init(&t, 1 << 20);
    ntcp_status st = NTCP_OK;
    bool in_code = false, in_subcode = false, in_reason = false;
    for (;;) {
        ntcp_xml_node n;
        st = ntcp_xml_reader_next(r, &n);
        if (st || n.type == NTCP_XML_NODE_EOF)
            break;
        if (n.type == NTCP_XML_NODE_END && n.depth == depth)
            break;
        if (n.type == NTCP_XML_NODE_END) {
            if (str_is(&n.name.local, "Code"))
                in_code = false;
            else if (str_is(&n.name.local, "Subcode"))
                in_subcode = false;
            else if (str_is(&n.name.local, "Reason"))
                in_reason = false;
            continue;
        }
        if (n.type != NTCP_XML_NODE_START)
            continue;
        if (str_is(&n.name.local, "Code"))
            in_code = true;
        else if (str_is(&n.name.local, "Subcode"))
            in_subcode = true;
        else if (str_is(&n.name.local, "Reason"))
            in_reason = true;
        else if (str_is(&n.name.local, "Value") && in_code) {
            st = element_text(r, sess, &t);
            if (!st && in_subcode && !m->fault_subcode)
                st = local_part(&m->fault_subcode, &t);
            else if (!st && !in_subcode && !m->fault_code)
                st = local_part(&m->fault_code, &t);
        } else if (str_is(&n.name.local, "Text") && in_reason && !m->fault_reason) {
            st = element_text(r, sess, &t);
            if (!st)
                st = set_str(&m->fault_reason, &t);
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
                               const ntcp_xml_limits *limits, unsigned indent, const nsstack *outer, ntcp_buf *out)
{
    /* pass 1: which outer prefixes does each top element use? A body
     * usually has one top element: the bit sets start on the stack and grow
     * (up to MAX_TOP elements; later ones get no outer declarations). */
    enum { MAX_TOP = 4096, LOCAL_TOP = 16 };
    uint64_t used_local[LOCAL_TOP] = { 0 };
    uint64_t *used = used_local;
    unsigned used_cap = LOCAL_TOP;
    ntcp_status st = ntcp_xml_reader_reset(r, doc, len);
    unsigned top = 0;
    bool in_body = false;
    ntcp_xml_node n;
    while (!st && next_in_body(r, &in_body, &n, &st)) {
        if (n.type != NTCP_XML_NODE_START && n.type != NTCP_XML_NODE_ARRAY)
            continue;
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
            bool use = str_eq(&n.name.prefix, &outer->d[i].prefix);
            for (uint32_t a = 0; !use && a < n.nattrs; a++)
                use = !n.attrs[a].is_xmlns && outer->d[i].prefix.len &&
                      str_eq(&n.attrs[a].name.prefix, &outer->d[i].prefix);
            if (use)
                used[top - 1] |= 1ull << i;
        }
    }
    /* pass 2: render */
    ntcp_xml_text_options opt = NTCP_XML_TEXT_OPTIONS_INIT;
    opt.indent = indent;
    if (limits)
        opt.limits = *limits;
    ntcp_xml_text_writer *tw = NULL;
    if (!st)
        st = ntcp_xml_text_writer_new(&tw, &opt, sess, 2, out);
    if (!st)
        st = ntcp_xml_reader_reset(r, doc, len);
    top = 0;
    in_body = false;
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

ntcp_status ntcp_soap_read(const uint8_t *doc, size_t len, const ntcp_xml_session *sess, const ntcp_xml_limits *limits,
                           const char *const *understood, unsigned indent, ntcp_soap_msg *m)
{
    ntcp_xml_reader *r;
    ntcp_status st = ntcp_xml_reader_new(&r, limits, sess);
    if (st)
        return st;
    st = ntcp_xml_reader_reset(r, doc, len);
    nsstack ns = { .n = 0 };
    nsstack outer = { .n = 0 };
    ntcp_buf t;
    ntcp_buf_init(&t, 1 << 20);
    bool seen_envelope = false, seen_body = false;
    while (!st) {
        ntcp_xml_node n;
        st = ntcp_xml_reader_next(r, &n);
        if (st || n.type == NTCP_XML_NODE_EOF)
            break;
        if (n.type == NTCP_XML_NODE_END) {
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
        } else if (n.depth == 2 && str_is(&n.name.local, "Body") && in_ns(&ns, &n.name, NTCP_SOAP12_NS)) {
            seen_body = true;
            outer = ns; /* what the body's content may rely on */
            /* a fault is the body's first element */
            ntcp_xml_node c;
            st = ntcp_xml_reader_next(r, &c);
            if (!st && c.type == NTCP_XML_NODE_START) {
                ns_push(&ns, &c);
                if (str_is(&c.name.local, "Fault") && in_ns(&ns, &c.name, NTCP_SOAP12_NS)) {
                    m->is_fault = true;
                    st = read_fault(r, sess, m, c.depth);
                }
            }
            break;
        } else if (n.depth == 3) {
            /* a header block */
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
                st = element_text(r, sess, &t);
                ns_pop(&ns, n.depth);
                if (!st)
                    st = set_str(dst, &t);
                continue;
            }
            if (!wsa && mu_set(&n, &ns) && !m->not_understood &&
                !understood_by(understood, ns_lookup(&ns, &n.name.prefix), &n.name.local)) {
                const ntcp_xml_str *u = ns_lookup(&ns, &n.name.prefix);
                char buf[1024];
                snprintf(buf, sizeof buf, "{%.*s}%.*s", u ? (int)u->len : 0, u ? u->p : "", (int)n.name.local.len,
                         n.name.local.p);
                m->not_understood = ntcp_strndup(buf, strlen(buf));
            }
        } else if (n.depth == 4 && str_is(&n.name.local, "Address") && in_ns(&ns, &n.name, NTCP_WSA10_NS) &&
                   !m->reply_to) {
            st = element_text(r, sess, &t);
            ns_pop(&ns, n.depth);
            if (!st)
                st = set_str(&m->reply_to, &t);
        }
    }
    ntcp_buf_free(&t);
    if (!st && (!seen_envelope || !seen_body))
        st = NTCP_E_MALFORMED;
    if (!st && !m->is_fault)
        st = render_body(r, doc, len, sess, limits, indent, &outer, &m->body);
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

ntcp_status ntcp_soap_read_session(const uint8_t *payload, size_t len, ntcp_xml_session *session,
                                   const ntcp_xml_limits *limits, const char *const *understood, unsigned indent,
                                   ntcp_soap_msg *m)
{
    size_t off = 0;
    ntcp_status st = ntcp_xml_session_read_table(session, payload, len, &off);
    return st ? st : ntcp_soap_read(payload + off, len - off, session, limits, understood, indent, m);
}
