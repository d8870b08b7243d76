/* A net.tcp service: server engine + NegotiateStream + SOAP dispatch to
 * operations through call objects, on one or several endpoints. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <nettcp/channel.h>
#include <nettcp/service.h>
#include "channel/dialog.h"
#include "channel/keytab.h"
#include "channel/metadata_int.h"
#include "channel/server_int.h"
#include "channel/service_int.h"
#include "channel/workers.h"
#include "xml/libxml.h"
#include "xml/session_view.h"

#define MAX_LISTENERS 8
#define DEFAULT_MAX_REPLY ((size_t)64 << 20)

typedef struct operation {
    char *action, *reply_action;
    ntcp_operation_fn fn;
    void *ctx;
} operation;

typedef struct understood {
    char *action; /* NULL: every operation */
    char *ns, *name;
} understood;

struct ntcp_endpoint {
    ntcp_service *svc;
    bool bound;
    char path[2048];
    char host[256];        /* as listened on (metadata addresses) */
    int port;
    ntcp_endpoint_options o;
    bool inherits;         /* the service's security options (ntcp_service_set_nns reaches it) */
    ntcp_endpoint *shares; /* serves the operations of this endpoint (ntcp_service_listen again) */
    operation *ops;
    size_t nops;
    understood *und;
    size_t nund;
};

typedef struct listener {
    char host[256], port[8];
    int bound;
} listener;

typedef struct sess sess;
typedef struct held_stream held_stream;

/* Threads: a call is made and parsed on its session's event loop, runs its
 * handler there before the loop polls again (inline_us), or on a worker
 * (or on the loop with workers 0), and comes back to
 * the loop through the loop's news list (under the loop's mutex) when the
 * handler returned and when it completed; the loop then sends the reply
 * and frees or recycles it. Fields marked (mu) are written by the handler's
 * or the completing thread under the loop's mutex; the loop copies them
 * into its own (loop) fields. The rest belongs to whoever holds the call:
 * the loop until dispatch, the handler until it returns (or, deferred, the
 * completer until ntcp_call_complete), then the loop again. */
struct ntcp_call {
    ntcp_service *svc;
    sess *se;             /* its session (kept alive while the call is out) */
    unsigned loop;        /* the session's event loop */
    ntcp__job job;        /* on the worker pool */
    ntcp_call *inl_next;  /* (loop) waiting to run on the loop's thread */
    ntcp_call *disp_next; /* (loop) waiting for the session's running handler (single) */
    bool dispatched;      /* (loop) handed to the handler */
    bool m_returned, m_completed, m_queued; /* (mu) */
    ntcp_status m_result; /* (mu) */
    ntcp_call *news_next; /* (mu) the loop's news list */
    ntcp_call *lnext;     /* (loop) */
    bool returned, completed, ret_seen; /* (loop) */
    held_stream *hs;      /* the secured stream the caller fields point into (a reference) */
    char peer[64];
    char *via;
    uint8_t *msg;         /* the request, copied when a worker reads it */
    ntcp_xml_session *view; /* the session dictionary as of this request, for the worker */
    ntcp_xml_reader *rd;  /* the handler's reader on its request */
    const operation *op;
    ntcp_soap_msg req;
    const uint8_t *doc;   /* the request while the handler runs */
    size_t doc_len;
    const ntcp_xml_session *in;
    ntcp_caller caller;
    bool in_handler, deferred, ready;
    ntcp_status result;
    char **hnames;        /* ns, name per header, made on demand */
    ntcp_buf body_text;
    char *ns_found;       /* ntcp_call_namespace's answer */
    ntcp_soap_msg text_msg;
    bool have_text;
    /* the reply */
    ntcp_xml_writer *bw;  /* body inside a wrapper element; no session strings */
    bool bw_open;
    char **rheaders;
    size_t nrheaders;
    char *reply_action;
    bool is_fault;
    char *f_code, *f_reason, *f_detail, *f_sub_ns, *f_sub;
    char **f_more;        /* NULL-terminated */
    ntcp_call *next;      /* the session's calls in arrival order */
    /* a dispatcher fault that waits behind the replies before it (no
     * handler runs): the request's fields, and f_reason / f_sub_ns, f_sub */
    enum { REPLY_OP, REPLY_NOT_SUPPORTED, REPLY_MUST_UNDERSTAND, REPLY_QUOTA } kind;
};

struct sess {
    ntcp__dialog d;
    bool sessionful;      /* binary session encoding (msbinsession1); else msbin1: no string tables */
    ntcp_xml_writer *w1;  /* msbin1 replies: a writer without a session dictionary */
    ntcp_service *svc;
    ntcp_server_session *ss;
    ntcp_endpoint *ep;
    ntcp_call *head, *tail;
    ntcp_call *spare;
    bool woken;
    sess *wake_next;
    /* on the session's loop only */
    unsigned refs;        /* the session's own, plus one per call out at a handler or a completer */
    bool closed;          /* the connection ended: ss is gone; freed at the last reference */
    bool multiple;        /* the endpoint's concurrency */
    unsigned running;     /* handlers running */
    size_t queued;        /* calls in head..tail: read, not answered yet (the server's read-ahead bound) */
    ntcp_call *disp_head, *disp_tail; /* waiting to run (single) */
};

/* What one event loop keeps (its thread only, but for news under mu). */
typedef struct loop_state {
    pthread_mutex_t mu;
    ntcp_call *news_head, *news_tail; /* calls that returned or completed on other threads */
    ntcp_xml_reader *scratch;         /* reads reply bodies into their envelopes */
    ntcp_xml_writer *spare_bw;        /* a reply writer for the next call */
    ntcp_xml_reader *spare_rd;        /* a request reader for the next call */
    ntcp_call *inl_head, *inl_tail;   /* (loop) dispatched, to run on the loop's thread */
} loop_state;

struct ntcp_service {
    ntcp_service_options o;
    ntcp_server *srv;
    ntcp_endpoint **eps;
    size_t neps;
    listener lis[MAX_LISTENERS];
    int nlis;
    pthread_mutex_t nns_mu; /* o.nns and the endpoints' nns: replaced by ntcp_service_set_nns while serving */
    pthread_mutex_t err_mu; /* err, and set_nns against listen (a reload thread may run while endpoints are added) */
    loop_state *ls;            /* one per event loop */
    unsigned nls;
    ntcp__pool *pool;          /* the workers (NULL: handlers on the loops) */
    /* the watch on handlers run on a loop's thread (inline_us) */
    pthread_t mon;
    bool mon_started, mon_stop; /* (mon_mu) */
    pthread_mutex_t mon_mu;
    pthread_cond_t mon_cv;
    _Atomic int mon_idle;      /* asleep until a loop runs a handler */
    unsigned long *mon_seen;   /* (the watch) each loop's inline state at the last tick, then the run it took over */
    bool inl_on;               /* handlers run on the loops' threads (set before run) */
    _Atomic bool running;      /* in ntcp_service_run: endpoints and operations are fixed */
    _Atomic unsigned long requests, dispatched, inlined, mon_ticks; /* for tests (channel/service_int.h) */
    ntcp_error err;            /* why it refused to start (ntcp_service_error) */
    struct ntcp__metadata *meta; /* described contracts, the metadata publisher (metadata.c) */
};

void ntcp_service_options_init(ntcp_service_options *o)
{
    ntcp_server_config sc;
    ntcp_server_config_init(&sc);
    ntcp_nns_options nn;
    ntcp_nns_options_init(&nn);
    ntcp_xml_limits xl;
    ntcp_xml_limits_init(&xl);
    ntcp_tls_options to = NTCP_TLS_OPTIONS_INIT;
    memset(o, 0, sizeof *o);
    o->security = NTCP_SECURITY_TRANSPORT;
    o->nns = nn;
    o->credential = NTCP_CREDENTIAL_WINDOWS;
    o->tls = to;
    o->server = sc;
    o->xml = xl;
    o->max_reply_size = DEFAULT_MAX_REPLY;
    o->workers = ntcp__cpu_count();
    o->inline_us = 1000;
    o->server.loops = ntcp__cpu_count();
    o->concurrency = NTCP_CONCURRENCY_SINGLE;
}

void ntcp_endpoint_options_init(ntcp_endpoint_options *o, const ntcp_service *s)
{
    memset(o, 0, sizeof *o);
    o->security = s->o.security;
    o->nns = s->o.nns;
    o->credential = s->o.credential;
    o->tls = s->o.tls;
    o->concurrency = s->o.concurrency;
}

static void logf_(ntcp_service *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(ntcp_service *s, const char *fmt, ...)
{
    if (!s->o.log)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    s->o.log(s->o.log_ctx, line);
}

static char *dup_s(const char *s) { return s ? ntcp_strndup(s, strlen(s)) : NULL; }

/* ---- endpoints ------------------------------------------------------------ */

static ntcp_endpoint *endpoint_at(ntcp_service *s, const char *via)
{
    ntcp_url u;
    if (!via || ntcp_url_parse(via, &u, NULL) != NTCP_OK)
        return NULL;
    /* the host part is not matched strictly (WCF's StrongWildcard); the path is */
    for (size_t i = 0; i < s->neps; i++)
        if (s->eps[i]->bound && strcasecmp(u.path, s->eps[i]->path) == 0)
            return s->eps[i];
    return NULL;
}

static bool via_served(void *ctx, const char *via) { return endpoint_at(ctx, via) != NULL; }

static void via_security(void *ctx, const char *via, const char **upgrade_name, bool *require)
{
    ntcp_endpoint *ep = endpoint_at(ctx, via);
    bool secured = ep && ep->o.security == NTCP_SECURITY_TRANSPORT;
    *upgrade_name = !secured                                     ? NULL
                    : ep->o.credential != NTCP_CREDENTIAL_WINDOWS ? NTCP_UPGRADE_TLS
                                                                  : NTCP_UPGRADE_NEGOTIATE;
    *require = secured;
}

static ntcp_endpoint *endpoint_new(ntcp_service *s, const ntcp_endpoint_options *o)
{
    ntcp_endpoint *ep = ntcp_calloc(1, sizeof *ep);
    if (!ep)
        return NULL;
    pthread_mutex_lock(&s->err_mu); /* ntcp_service_set_nns walks the list from a reload thread */
    ntcp_endpoint **eps = ntcp_realloc(s->eps, (s->neps + 1) * sizeof *eps);
    if (!eps) {
        pthread_mutex_unlock(&s->err_mu);
        ntcp_free(ep);
        return NULL;
    }
    s->eps = eps;
    ep->svc = s;
    if (o)
        ep->o = *o;
    else
        ntcp_endpoint_options_init(&ep->o, s);
    ep->inherits = o == NULL;
    s->eps[s->neps++] = ep;
    pthread_mutex_unlock(&s->err_mu);
    return ep;
}

static ntcp_endpoint *first_endpoint(ntcp_service *s)
{
    return s->neps ? s->eps[0] : endpoint_new(s, NULL);
}

/* ---- security upgrade per session -------------------------------------------- */

/* A session's secured stream as the server holds it: the real one inside,
 * its handshake messages traced with the peer's address, and a reference
 * count, so the caller fields of a call still running on a worker (they
 * point into the stream) outlive the session. Counted on the session's
 * loop only. */
struct held_stream {
    ntcp_stream s; /* first: the server holds a pointer to it */
    ntcp_stream *inner;
    unsigned refs;
    ntcp_trace *t;
    char peer[64];
};

static void on_leg(void *ctx, bool sent, uint8_t id, size_t len)
{
    held_stream *g = ctx;
    ntcp_trace_leg_conn(g->t, g->peer, sent, id, len);
}

static void held_unref(held_stream *g)
{
    if (!g || --g->refs)
        return;
    ntcp_stream_free(g->inner);
    ntcp_free(g);
}

static void held_destroy(ntcp_stream *st) { held_unref((held_stream *)st); } /* allocated by stream_new below */

/* The server's stream of a session as the service made it (NULL: none). */
static held_stream *held_of(const ntcp_stream *st) { return (held_stream *)st; }

/* The server's reference: its stream is the inner one's methods with our destroy. */
static ntcp_stream *hold(held_stream *g)
{
    g->s = *g->inner;
    g->s.destroy = held_destroy;
    g->refs = 1;
    return &g->s;
}

/* The secured stream of a session at an endpoint with transport security
 * (NULL: none there). */
static ntcp_stream *stream_new(void *ctx, ntcp_server_session *ss)
{
    ntcp_service *s = ctx;
    ntcp_endpoint *ep = endpoint_at(s, ntcp_server_session_via(ss));
    if (!ep || ep->o.security != NTCP_SECURITY_TRANSPORT)
        return NULL;
    held_stream *g = ntcp_calloc(1, sizeof *g);
    if (!g)
        return NULL;
    if (ep->o.credential != NTCP_CREDENTIAL_WINDOWS) { /* TLS (application/ssl-tls) */
        ntcp_tls_options to = ep->o.tls;
        to.credential = ep->o.credential;
        if (ntcp_tls_stream_new(&g->inner, true, &to) != NTCP_OK) {
            ntcp_free(g);
            return NULL;
        }
        return hold(g);
    }
    pthread_mutex_lock(&s->nns_mu);
    ntcp_nns_options no = ep->o.nns; /* the session keeps this copy */
    pthread_mutex_unlock(&s->nns_mu);
    if (s->o.trace) {
        g->t = s->o.trace;
        snprintf(g->peer, sizeof g->peer, "%s", ntcp_server_session_peer(ss));
        no.leg_cb = on_leg;
        no.leg_ctx = g;
    }
    if (ntcp_nns_stream_new(&g->inner, false, &no) != NTCP_OK) {
        ntcp_free(g);
        return NULL;
    }
    return hold(g);
}

/* ---- calls ------------------------------------------------------------------ */

static void free_strs(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        ntcp_free(v[i]);
    ntcp_free(v);
}

/* Back to a fresh call, keeping what can be reused (reader, writer). */
static void call_reset(ntcp_call *c)
{
    if (c->hnames)
        free_strs(c->hnames, 2 * c->req.nheaders);
    c->hnames = NULL;
    ntcp_soap_msg_clear(&c->req);
    ntcp_buf_free(&c->body_text);
    ntcp_free(c->ns_found);
    c->ns_found = NULL;
    if (c->have_text)
        ntcp_soap_msg_clear(&c->text_msg);
    c->have_text = false;
    free_strs(c->rheaders, c->nrheaders);
    c->rheaders = NULL;
    c->nrheaders = 0;
    char **p[] = { &c->reply_action, &c->f_code, &c->f_reason, &c->f_detail, &c->f_sub_ns, &c->f_sub };
    for (size_t i = 0; i < sizeof p / sizeof p[0]; i++) {
        ntcp_free(*p[i]);
        *p[i] = NULL;
    }
    if (c->f_more) {
        for (char **m = c->f_more; *m; m++)
            ntcp_free(*m);
        ntcp_free(c->f_more);
        c->f_more = NULL;
    }
    c->is_fault = c->deferred = c->ready = c->in_handler = c->bw_open = false;
    c->dispatched = c->m_returned = c->m_completed = c->m_queued = c->returned = c->completed = c->ret_seen = false;
    c->result = c->m_result = NTCP_OK;
    c->kind = REPLY_OP;
    c->op = NULL;
    c->doc = NULL;
    c->next = c->disp_next = c->news_next = c->lnext = NULL;
    held_unref(c->hs);
    c->hs = NULL;
    ntcp_free(c->via);
    c->via = NULL;
    ntcp_free(c->msg);
    c->msg = NULL;
    ntcp_xml_session_free(c->view);
    c->view = NULL;
    if (c->bw)
        ntcp_xml_writer_reset(c->bw);
}

static void call_free(ntcp_call *c)
{
    if (!c)
        return;
    call_reset(c);
    ntcp_xml_writer_free(c->bw);
    ntcp_xml_reader_free(c->rd);
    ntcp_free(c);
}

/* A finished call that stays as a session's spare gives its writer and
 * reader back to its loop: an idle session holds no buffers. On the loop. */
static void call_give_back_writer(ntcp_call *c)
{
    loop_state *L = &c->svc->ls[c->loop];
    if (c->bw) {
        if (!L->spare_bw)
            L->spare_bw = c->bw;
        else
            ntcp_xml_writer_free(c->bw);
        c->bw = NULL;
    }
    if (c->rd) {
        if (!L->spare_rd)
            L->spare_rd = c->rd;
        else
            ntcp_xml_reader_free(c->rd);
        c->rd = NULL;
    }
}

static ntcp_call *call_new(ntcp_service *s, sess *se)
{
    ntcp_call *c = se->spare;
    se->spare = NULL;
    if (!c) {
        c = ntcp_calloc(1, sizeof *c);
        if (!c)
            return NULL;
    }
    c->svc = s;
    c->se = se;
    c->loop = ntcp_server_session_loop(se->ss);
    ntcp_soap_msg_init(&c->req);
    ntcp_buf_init(&c->body_text, SIZE_MAX / 2);
    return c;
}

const ntcp_caller *ntcp_call_caller(const ntcp_call *c) { return &c->caller; }
const char *ntcp_call_action(const ntcp_call *c) { return c->req.action; }
const char *ntcp_call_message_id(const ntcp_call *c) { return c->req.message_id; }

static ntcp_xml_reader *reader(ntcp_call *c)
{
    if (!c->in_handler)
        return NULL;
    if (!c->rd && ntcp_xml_reader_new(&c->rd, &c->svc->o.xml, NULL) != NTCP_OK)
        return NULL;
    ntcp_xml_reader_set_session(c->rd, c->in);
    return c->rd;
}

ntcp_xml_reader *ntcp_call_body(ntcp_call *c)
{
    ntcp_xml_reader *r = reader(c);
    if (r && ntcp_xml_reader_reset_fragment(r, c->req.body_doc, c->req.body_doc_len) != NTCP_OK)
        return NULL;
    return r;
}

/* a prefix's declaration among the first n of decl (NULL: none) */
static const ntcp_xml_str *decl_of(const ntcp_xml_str (*decl)[2], size_t n, const char *p, size_t pl)
{
    for (size_t i = n; i-- > 0;)
        if (decl[i][0].len == pl && (pl == 0 || !memcmp(decl[i][0].p, p, pl)))
            return &decl[i][1];
    return NULL;
}

const char *ntcp_call_namespace(ntcp_call *c, const char *prefix)
{
    ntcp_xml_reader *r = reader(c);
    if (!r || !prefix || ntcp_xml_reader_reset(r, c->doc, c->doc_len) != NTCP_OK)
        return NULL;
    /* in scope at the SOAP Body: the Envelope's declarations, then the Body's own */
    ntcp_xml_str decl[32][2];
    size_t n = 0, nenv = 0;
    const ntcp_xml_str *found = NULL;
    for (;;) {
        ntcp_xml_node nd;
        if (ntcp_xml_reader_next(r, &nd) != NTCP_OK || nd.type == NTCP_XML_NODE_EOF)
            return NULL;
        if (nd.type != NTCP_XML_NODE_START || nd.depth > 2)
            continue;
        n = nd.depth == 1 ? 0 : nenv;
        for (uint32_t i = 0; i < nd.nattrs && n < 32; i++)
            if (nd.attrs[i].is_xmlns) {
                decl[n][0] = nd.attrs[i].name.prefix;
                decl[n][1] = nd.attrs[i].name.local;
                n++;
            }
        if (nd.depth == 1) {
            nenv = n;
            continue;
        }
        const ntcp_xml_str *ns = decl_of(decl, n, nd.name.prefix.p, nd.name.prefix.len);
        if (nd.name.local.len == 4 && !memcmp(nd.name.local.p, "Body", 4) && ns &&
            ns->len == sizeof NTCP_SOAP12_NS - 1 && !memcmp(ns->p, NTCP_SOAP12_NS, ns->len)) {
            found = decl_of(decl, n, prefix, strlen(prefix));
            break;
        }
    }
    if (!found)
        return NULL;
    ntcp_free(c->ns_found);
    c->ns_found = ntcp_strndup(found->p, found->len);
    return c->ns_found;
}

ntcp_status ntcp_call_body_text(ntcp_call *c, const char **xml, size_t *len)
{
    if (!c->in_handler)
        return NTCP_E_STATE;
    if (!c->have_text) {
        ntcp_soap_msg_init(&c->text_msg);
        c->have_text = true;
        ntcp_status st = ntcp_soap_read(c->doc, c->doc_len, c->in, &c->svc->o.xml, NULL, 0, &c->text_msg);
        if (st)
            return st;
    }
    *xml = c->text_msg.body.data ? (const char *)c->text_msg.body.data : "";
    *len = c->text_msg.body.len;
    return NTCP_OK;
}

size_t ntcp_call_header_count(const ntcp_call *c) { return c->in_handler ? c->req.nheaders : 0; }

ntcp_status ntcp_call_header(ntcp_call *c, size_t i, const char **ns, const char **name, ntcp_xml_reader **rd)
{
    if (!c->in_handler)
        return NTCP_E_STATE;
    if (i >= c->req.nheaders)
        return NTCP_E_INVALID_ARG;
    if (!c->hnames) {
        c->hnames = ntcp_calloc(2 * c->req.nheaders, sizeof *c->hnames);
        if (!c->hnames)
            return NTCP_E_NOMEM;
    }
    const ntcp_soap_header *h = &c->req.headers[i];
    if (!c->hnames[2 * i]) {
        c->hnames[2 * i] = ntcp_strndup(h->ns.p ? h->ns.p : "", h->ns.len);
        c->hnames[2 * i + 1] = ntcp_strndup(h->local.p, h->local.len);
        if (!c->hnames[2 * i] || !c->hnames[2 * i + 1])
            return NTCP_E_NOMEM;
    }
    if (ns)
        *ns = c->hnames[2 * i];
    if (name)
        *name = c->hnames[2 * i + 1];
    if (rd) {
        *rd = reader(c);
        if (!*rd)
            return NTCP_E_NOMEM;
        return ntcp_xml_reader_reset_fragment(*rd, c->doc + h->offset, h->len);
    }
    return NTCP_OK;
}

static bool str_is(const ntcp_xml_str *s, const char *c)
{
    size_t n = strlen(c);
    return s->len == n && (n == 0 || !memcmp(s->p, c, n));
}

long ntcp_call_header_find(const ntcp_call *c, const char *ns, const char *name)
{
    for (size_t i = 0; c->in_handler && i < c->req.nheaders; i++)
        if (str_is(&c->req.headers[i].ns, ns ? ns : "") && str_is(&c->req.headers[i].local, name))
            return (long)i;
    return -1;
}

ntcp_xml_writer *ntcp_call_reply_writer(ntcp_call *c)
{
    if (!c->bw) { /* (the loop gives each call its spare writer at dispatch) */
        ntcp_xml_writer_options wo;
        ntcp_xml_writer_options_init(&wo);
        wo.limits = (ntcp_xml_limits){ 256, UINT32_MAX, UINT32_MAX, UINT32_MAX, 256, UINT32_MAX, 0 };
        wo.limits.max_size = (uint32_t)(c->svc->o.max_reply_size > UINT32_MAX ? UINT32_MAX : c->svc->o.max_reply_size);
        if (ntcp_xml_writer_new(&c->bw, &wo, NULL) != NTCP_OK)
            return NULL;
    }
    if (!c->bw_open) {
        ntcp_xml_writer_reset(c->bw);
        if (ntcp_xml_writer_start(c->bw, NULL, "b", NULL) != NTCP_OK)
            return NULL;
        c->bw_open = true;
    }
    return c->bw;
}

ntcp_status ntcp_call_reply_text(ntcp_call *c, const char *xml, size_t len)
{
    ntcp_xml_writer *w = ntcp_call_reply_writer(c);
    return w ? ntcp_xml_writer_text_xml(w, xml, len) : NTCP_E_NOMEM;
}

ntcp_status ntcp_call_reply_header(ntcp_call *c, const char *xml)
{
    if (!xml)
        return NTCP_E_INVALID_ARG;
    char **h = ntcp_realloc(c->rheaders, (c->nrheaders + 1) * sizeof *h);
    if (!h)
        return NTCP_E_NOMEM;
    c->rheaders = h;
    if (!(h[c->nrheaders] = dup_s(xml)))
        return NTCP_E_NOMEM;
    c->nrheaders++;
    return NTCP_OK;
}

ntcp_status ntcp_call_reply_action(ntcp_call *c, const char *action)
{
    if (!action)
        return NTCP_E_INVALID_ARG;
    ntcp_free(c->reply_action);
    c->reply_action = dup_s(action);
    return c->reply_action ? NTCP_OK : NTCP_E_NOMEM;
}

ntcp_status ntcp_call_fault(ntcp_call *c, const char *code, const char *const *subcodes, const char *reason,
                            const char *detail_xml)
{
    if (!code || !reason)
        return NTCP_E_INVALID_ARG;
    c->is_fault = true;
    c->f_code = dup_s(code);
    c->f_reason = dup_s(reason);
    c->f_detail = dup_s(detail_xml);
    if (!c->f_code || !c->f_reason || (detail_xml && !c->f_detail))
        return NTCP_E_NOMEM;
    size_t n = 0;
    while (subcodes && subcodes[n])
        n++;
    if (n) {
        const char *e = subcodes[0];
        const char *close = e[0] == '{' ? strchr(e, '}') : NULL;
        c->f_sub_ns = close ? ntcp_strndup(e + 1, (size_t)(close - e - 1)) : dup_s("");
        c->f_sub = dup_s(close ? close + 1 : e);
        c->f_more = ntcp_calloc(n, sizeof *c->f_more);
        if (!c->f_sub_ns || !c->f_sub || !c->f_more)
            return NTCP_E_NOMEM;
        for (size_t i = 1; i < n; i++)
            if (!(c->f_more[i - 1] = dup_s(subcodes[i])))
                return NTCP_E_NOMEM;
    }
    return NTCP_OK;
}

/* ---- sending, in order ------------------------------------------------------ */

static const char *reply_fault(const ntcp_soap_out *m)
{
    return m->fault ? (m->fault->subcode ? m->fault->subcode : m->fault->code) : "";
}

static void trace_reply(ntcp_service *s, const char *peer, const ntcp_soap_out *m)
{
    ntcp_trace_event(s->o.trace, "reply", peer, "action", m->action ? m->action : "", "fault", reply_fault(m), NULL);
}

/* A reply's trace event, told once its last part is queued (after the
 * records it traces, whose activity the event ends). */
typedef struct reply_note {
    ntcp_service *s;
    char peer[64];
    char *action, *fault;
} reply_note;

static reply_note *reply_note_new(ntcp_service *s, const char *peer, const ntcp_soap_out *m)
{
    if (!s->o.trace)
        return NULL;
    reply_note *r = ntcp_calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->s = s;
    snprintf(r->peer, sizeof r->peer, "%s", peer);
    r->action = dup_s(m->action ? m->action : "");
    r->fault = dup_s(reply_fault(m));
    return r;
}

static void reply_note_free(reply_note *r)
{
    if (!r)
        return;
    ntcp_free(r->action);
    ntcp_free(r->fault);
    ntcp_free(r);
}

static void reply_done(void *ctx, const uint8_t *p, ntcp_status st)
{
    reply_note *r = ctx;
    ntcp_free((void *)p);
    if (r && st == NTCP_OK && r->action && r->fault)
        ntcp_trace_event(r->s->o.trace, "reply", r->peer, "action", r->action, "fault", r->fault, NULL);
    reply_note_free(r);
}

static void send_out(ntcp_service *s, sess *se, const ntcp_soap_out *m)
{
    int mode = ntcp_server_session_mode(se->ss);
    if (mode == NTCP_MODE_SIMPLEX || mode == NTCP_MODE_SINGLETON_SIZED) {
        logf_(s, "%s: no reply on a %s session (one-way only): %s not sent", ntcp_server_session_peer(se->ss),
              ntcp_nmf_mode_name(mode), m->action);
        return;
    }
    ntcp_buf out;
    ntcp_buf_init(&out, s->o.max_reply_size ? s->o.max_reply_size : DEFAULT_MAX_REPLY);
    ntcp_status st = ntcp_soap_write(se->sessionful ? se->d.w : se->w1, m, &out);
    if (st == NTCP_OK) { /* the server keeps the bytes until their last part is protected */
        size_t n;
        uint8_t *p = ntcp_buf_detach(&out, &n);
        reply_note *note = reply_note_new(s, ntcp_server_session_peer(se->ss), m);
        if (s->o.trace && !note)
            st = NTCP_E_NOMEM;
        else
            st = ntcp_server_session_send_ref(se->ss, p, n, reply_done, note);
        if (st) {
            ntcp_free(p);
            reply_note_free(note);
        }
        ntcp_buf_free(&out);
        if (!st)
            return; /* traced once queued (reply_done) */
    }
    ntcp_buf_free(&out);
    if (st) {
        logf_(s, "%s: the reply could not be sent: %s", ntcp_server_session_peer(se->ss), ntcp_status_name(st));
        if (!m->fault) { /* the client still gets an answer */
            ntcp_soap_fault f;
            ntcp_soap_fault_internal(&f, NULL);
            ntcp_soap_out fm = { 0 };
            fm.action = NTCP_WCF_DISPATCHER_FAULT_ACTION;
            fm.relates_to = m->relates_to;
            fm.to = m->to;
            fm.fault = &f;
            send_out(s, se, &fm);
            return;
        }
    }
    trace_reply(s, ntcp_server_session_peer(se->ss), m);
}

/* Encodes and queues the reply of a finished call. */
static void send_call(ntcp_service *s, sess *se, ntcp_call *c)
{
    if (!c->req.message_id) /* one-way: nothing goes back */
        return;
    ntcp_soap_out out = { 0 };
    out.relates_to = c->req.message_id;
    if (c->req.reply_to && !strcmp(c->req.reply_to, NTCP_WSA10_ANONYMOUS))
        out.to = NTCP_WSA10_ANONYMOUS;
    out.headers = (const char *const *)c->rheaders;
    out.nheaders = c->nrheaders;
    ntcp_soap_fault f;
    ntcp_buf body;
    ntcp_buf_init(&body, s->o.max_reply_size ? s->o.max_reply_size : DEFAULT_MAX_REPLY);
    ntcp_status st = c->result;
    if (!st && c->bw_open) {
        st = ntcp_xml_writer_end_element(c->bw);
        if (!st)
            st = ntcp_xml_writer_finish(c->bw, &body);
        c->bw_open = false;
    }
    if (st) {
        ntcp_soap_fault_internal(&f, NULL);
        out.action = NTCP_WCF_DISPATCHER_FAULT_ACTION;
        out.fault = &f;
        out.headers = NULL;
        out.nheaders = 0;
        logf_(s, "%s: the operation %s failed: %s", ntcp_server_session_peer(se->ss), c->req.action,
              ntcp_status_name(st));
    } else if (c->is_fault) {
        memset(&f, 0, sizeof f);
        f.code = c->f_code;
        f.subcode_ns = c->f_sub_ns;
        f.subcode = c->f_sub;
        f.reason = c->f_reason;
        f.lang = "en-US";
        f.more_subcodes = (const char *const *)c->f_more;
        f.detail = c->f_detail;
        f.detail_len = c->f_detail ? strlen(c->f_detail) : 0;
        out.action = c->reply_action ? c->reply_action : NTCP_WSA10_SOAP_FAULT_ACTION;
        out.fault = &f;
    } else {
        out.action = c->reply_action ? c->reply_action : c->op->reply_action;
        out.body_nbfx = body.data;
        out.body_nbfx_len = body.len;
        static const ntcp_xml_limits big = { 256, UINT32_MAX, UINT32_MAX, UINT32_MAX, 256, UINT32_MAX, 2048 };
        loop_state *L = &s->ls[c->loop];
        if (body.len && !L->scratch && ntcp_xml_reader_new(&L->scratch, &big, NULL) != NTCP_OK)
            L->scratch = NULL; /* soap_write makes its own */
        out.scratch = L->scratch;
    }
    send_out(s, se, &out);
    ntcp_buf_free(&body);
}

static void must_understand_fault(ntcp_service *s, sess *se, const ntcp_soap_msg *req, const char *hns,
                                  const char *hname, const char *extra_header);
static void reply_fault_now(ntcp_service *s, sess *se, const ntcp_soap_msg *req, const char *action,
                            const ntcp_soap_fault *f, const char *extra_header);

/* A dispatcher fault behind pending replies: queued ready, sent in its turn. */
static void queue_fault(sess *se, ntcp_call *c, int kind)
{
    c->kind = kind;
    c->ready = true;
    se->queued++;
    if (se->tail)
        se->tail->next = c;
    else
        se->head = c;
    se->tail = c;
}

/* The queued dispatcher fault of c, now in order. */
static void send_fault(ntcp_service *s, sess *se, ntcp_call *c)
{
    const char *extra = c->nrheaders ? c->rheaders[0] : NULL; /* the ActivityId header */
    if (c->kind == REPLY_MUST_UNDERSTAND) {
        must_understand_fault(s, se, &c->req, c->f_sub_ns, c->f_sub, extra);
        return;
    }
    ntcp_soap_fault f;
    char reason[600];
    if (c->kind == REPLY_NOT_SUPPORTED) {
        ntcp_soap_fault_action_not_supported(&f, c->req.action, reason, sizeof reason);
    } else { /* REPLY_QUOTA */
        memset(&f, 0, sizeof f);
        f.code = "Sender";
        f.reason = c->f_reason;
        f.lang = "en-US";
        extra = NULL;
    }
    reply_fault_now(s, se, &c->req, NTCP_WSA10_FAULT_ACTION, &f, extra);
}

/* Sends the finished calls of the session: single, those at the head of
 * its queue, in request order; multiple, each as it finished (as WCF's
 * channel does for ConcurrencyMode.Multiple). */
static void drain(ntcp_service *s, sess *se)
{
    ntcp_call **pp = &se->head, *prev = NULL;
    while (*pp) {
        ntcp_call *c = *pp;
        if (!c->ready) {
            if (!se->multiple)
                break;
            prev = c;
            pp = &c->next;
            continue;
        }
        *pp = c->next;
        if (se->tail == c)
            se->tail = prev;
        c->next = NULL;
        se->queued--;
        if (c->kind != REPLY_OP)
            send_fault(s, se, c);
        else
            send_call(s, se, c);
        call_give_back_writer(c);
        if (c->deferred || se->spare) {
            call_free(c);
        } else {
            call_reset(c);
            se->spare = c;
        }
    }
}

static void sess_unref(sess *se)
{
    if (--se->refs)
        return;
    call_free(se->spare);
    ntcp_xml_writer_free(se->w1);
    ntcp__dialog_clear(&se->d);
    ntcp_free(se);
}

/* Hands a call's news (its handler returned, or it completed) to its loop;
 * any thread. */
static void post(ntcp_call *c, bool returned, bool completed, ntcp_status st, bool wake)
{
    ntcp_service *s = c->svc;
    unsigned loop = c->loop;
    loop_state *L = &s->ls[loop];
    pthread_mutex_lock(&L->mu);
    if (returned)
        c->m_returned = true;
    if (completed) {
        c->m_completed = true;
        c->m_result = st;
    }
    if (!c->m_queued) {
        c->m_queued = true;
        c->news_next = NULL;
        if (L->news_tail)
            L->news_tail->news_next = c;
        else
            L->news_head = c;
        L->news_tail = c;
    }
    pthread_mutex_unlock(&L->mu); /* c may be freed from here on */
    if (wake)
        ntcp_server_wake_loop(s->srv, loop);
}

/* Calls the handler; true if it deferred the call. */
static bool call_handler(ntcp_call *c, ntcp_status *st)
{
    c->in_handler = true;
    *st = c->op->fn(c->op->ctx, c);
    c->in_handler = false;
    c->doc = NULL;
    bool deferred = c->deferred && !*st;
    if (!deferred)
        c->deferred = false;
    return deferred;
}

/* Runs the handler (on a worker, or on the loop with workers 0). */
static void run_handler(ntcp_call *c)
{
    ntcp_status st;
    bool deferred = call_handler(c, &st);
    post(c, true, !deferred, st, c->svc->pool != NULL); /* without workers the loop reads the news at once */
}

static void run_job(ntcp__job *j)
{
    run_handler((ntcp_call *)((char *)j - offsetof(ntcp_call, job)));
}

static void process_news(ntcp_service *s, unsigned loop, sess *current);

/* On the loop: the call goes to its handler. */
static void dispatch(ntcp_service *s, ntcp_call *c)
{
    sess *se = c->se;
    c->dispatched = true;
    atomic_fetch_add(&s->dispatched, 1);
    se->running++;
    se->refs++;
    if (s->inl_on && ntcp__server_strays(s->srv) < (int)s->o.workers) {
        loop_state *L = &s->ls[c->loop]; /* runs before the loop polls again (batch_end) */
        c->inl_next = NULL;
        if (L->inl_tail)
            L->inl_tail->inl_next = c;
        else
            L->inl_head = c;
        L->inl_tail = c;
        return;
    }
    if (s->pool) {
        c->job.run = run_job;
        ntcp__pool_submit(s->pool, &c->job);
        return;
    }
    run_handler(c);
    process_news(s, c->loop, se);
}

/* The watch sleeps when no handler ran on a loop for a while: wake it. */
static void mon_poke(ntcp_service *s)
{
    if (atomic_load(&s->mon_idle) && atomic_exchange(&s->mon_idle, 0)) {
        pthread_mutex_lock(&s->mon_mu);
        pthread_cond_signal(&s->mon_cv);
        pthread_mutex_unlock(&s->mon_mu);
    }
}

static long long mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* On the loop, before it polls: the calls its batch dispatched run here,
 * on the loop's thread, with no hand-off; then their replies go out. False
 * if the loop was taken over while a handler ran (the watch below). The
 * loop polls again within about inline_us: calls that would start later
 * (many short ones, or a session's pipelined calls run one after the
 * other) go to the workers, as the watch bounds only one handler's run. */
static bool batch_end(void *ctx, unsigned loop, bool final)
{
    ntcp_service *s = ctx;
    loop_state *L = &s->ls[loop];
    long long until = 0;
    while (L->inl_head) {
        while (L->inl_head) {
            ntcp_call *c = L->inl_head;
            L->inl_head = c->inl_next;
            if (!L->inl_head)
                L->inl_tail = NULL;
            c->inl_next = NULL;
            /* the loop ended, a handler before this one took the last
             * thread allowed (it held the loop), or this batch ran
             * handlers for inline_us already: the workers run it */
            bool elsewhere = final || ntcp__server_strays(s->srv) >= (int)s->o.workers;
            if (!elsewhere) {
                long long now = mono_us();
                if (!until)
                    until = now + s->o.inline_us;
                else if (now >= until)
                    elsewhere = true;
            }
            if (elsewhere) {
                c->job.run = run_job;
                ntcp__pool_submit(s->pool, &c->job);
                continue;
            }
            unsigned long run = ntcp__server_inline_begin(s->srv, loop);
            mon_poke(s);
            atomic_fetch_add_explicit(&s->inlined, 1, memory_order_relaxed);
            ntcp_status st;
            bool deferred = call_handler(c, &st);
            bool own = ntcp__server_inline_end(s->srv, loop, run);
            post(c, true, !deferred, st, !own);
            if (!own)
                return false; /* the loop is another thread's now */
        }
        if (!final)
            process_news(s, loop, NULL); /* may dispatch more */
    }
    return true;
}

/* The watch: a handler still running on a loop's thread after a tick of
 * inline_us (the same run seen twice) gets the loop taken from under it,
 * so the loop's other sessions wait at most about two ticks. Calls go to
 * the workers once `workers` threads are held that way; handlers that
 * started on several loops at once are all taken over (a few threads
 * past that), so no loop is left to a blocked handler. */
static void *monitor(void *arg)
{
    ntcp_service *s = arg;
    unsigned n = s->nls, quiet = 0;
    unsigned long *seen = s->mon_seen, *asked = s->mon_seen + n;
    memset(seen, 0, 2 * n * sizeof *seen);
    pthread_mutex_lock(&s->mon_mu);
    while (!s->mon_stop) {
        bool active = false;
        for (unsigned i = 0; i < n; i++) {
            unsigned long w = ntcp__server_inline_state(s->srv, i);
            if (w != seen[i] || (w & 3) == 1)
                active = true;
            /* once per run: a thread slower to start than a tick would
             * otherwise get a twin (held as a stray until it failed) */
            if ((w & 3) == 1 && w == seen[i] && w != asked[i] && ntcp__server_take_over(s->srv, i, w))
                asked[i] = w;
            seen[i] = w;
        }
        atomic_fetch_add_explicit(&s->mon_ticks, 1, memory_order_relaxed);
        quiet = active ? 0 : quiet + 1;
        if (quiet >= 100) { /* nothing ran inline for 100 ticks: sleep until a loop pokes */
            atomic_store(&s->mon_idle, 1);
            bool changed = false;
            for (unsigned i = 0; i < n; i++)
                changed |= ntcp__server_inline_state(s->srv, i) != seen[i];
            if (!changed)
                pthread_cond_wait(&s->mon_cv, &s->mon_mu);
            atomic_store(&s->mon_idle, 0);
            quiet = 0;
            continue;
        }
        /* a tick is one nanosleep (a timed wait on the condition costs two
         * more futex calls); a stop is seen at the next tick */
        pthread_mutex_unlock(&s->mon_mu);
        struct timespec ts = { (time_t)(s->o.inline_us / 1000000), (long)(s->o.inline_us % 1000000) * 1000L };
        while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
            ;
        pthread_mutex_lock(&s->mon_mu);
    }
    pthread_mutex_unlock(&s->mon_mu);
    return NULL;
}

/* On the loop: the next waiting call of a single-concurrency session. */
static void dispatch_next(ntcp_service *s, sess *se)
{
    while (se->disp_head && !se->closed && (se->multiple || se->running == 0)) {
        ntcp_call *c = se->disp_head;
        se->disp_head = c->disp_next;
        if (!se->disp_head)
            se->disp_tail = NULL;
        c->disp_next = NULL;
        dispatch(s, c);
    }
}

/* On the loop: what returned or completed elsewhere. current: the session
 * whose callback this runs in (the server writes its output itself). */
static void process_news(ntcp_service *s, unsigned loop, sess *current)
{
    loop_state *L = &s->ls[loop];
    pthread_mutex_lock(&L->mu);
    ntcp_call *list = NULL, **tail = &list;
    for (ntcp_call *c = L->news_head; c; c = c->news_next) {
        c->m_queued = false;
        if (c->m_returned)
            c->returned = true;
        if (c->m_completed) {
            c->completed = true;
            c->result = c->m_result;
        }
        c->lnext = NULL;
        *tail = c;
        tail = &c->lnext;
    }
    L->news_head = L->news_tail = NULL;
    pthread_mutex_unlock(&L->mu);
    sess *touched = NULL;
    for (ntcp_call *c = list, *next; c; c = next) {
        next = c->lnext;
        sess *se = c->se;
        if (c->returned && !c->ret_seen) { /* its handler is done: a single session may run the next */
            c->ret_seen = true;
            se->running--;
        }
        if (c->returned && c->completed) { /* back for good */
            if (se->closed) { /* the reply has nowhere to go */
                call_free(c);
                sess_unref(se);
                continue;
            }
            c->ready = true;
            se->refs--; /* the session's own reference remains */
        }
        if (!se->closed && !se->woken) {
            se->woken = true;
            se->wake_next = touched;
            touched = se;
        }
    }
    for (sess *se = touched, *next; se; se = next) {
        next = se->wake_next;
        se->woken = false;
        dispatch_next(s, se);
        drain(s, se);
        if (se != current)
            ntcp_server_session_flush(se->ss); /* may end this session (only): se is not used after */
    }
}

void ntcp_call_defer(ntcp_call *c) { c->deferred = true; }

void ntcp_call_complete(ntcp_call *c, ntcp_status st) { post(c, false, true, st, true); }

static void on_wake(void *ctx, unsigned loop) { process_news(ctx, loop, NULL); }

/* ---- the session callbacks ---------------------------------------------------- */

/* The connection ended: calls not out at a handler or completer go now;
 * the others come back through the news and are dropped then. */
static void sess_free(sess *se)
{
    if (!se)
        return;
    for (ntcp_call *c = se->head, *next; c; c = next) {
        next = c->next;
        c->next = NULL;
        if (!c->dispatched || (c->returned && c->completed))
            call_free(c);
    }
    se->head = se->tail = NULL;
    se->queued = 0;
    se->disp_head = se->disp_tail = NULL;
    se->closed = true;
    se->ss = NULL;
    sess_unref(se);
}

/* Replies still to come on this session (running or deferred calls): a graceful stop waits for them. */
static bool sess_busy(void *ctx, ntcp_server_session *ss)
{
    (void)ctx;
    sess *se = ntcp_server_session_get_user(ss);
    return se && se->head;
}

/* Requests of this session read and not answered yet (the server stops
 * reading it at NTCP__SESSION_READ_AHEAD). */
static size_t sess_backlog(void *ctx, ntcp_server_session *ss)
{
    (void)ctx;
    sess *se = ntcp_server_session_get_user(ss);
    return se ? se->queued : 0;
}

static bool on_open(void *ctx, ntcp_server_session *ss)
{
    ntcp_service *s = ctx;
    sess *se = ntcp_calloc(1, sizeof *se);
    if (!se || ntcp__dialog_init(&se->d)) {
        ntcp_free(se);
        return false;
    }
    se->svc = s;
    se->ss = ss;
    se->refs = 1;
    se->ep = endpoint_at(s, ntcp_server_session_via(ss));
    se->multiple = (se->ep ? se->ep->o.concurrency : s->o.concurrency) == NTCP_CONCURRENCY_MULTIPLE;
    const char *ct = ntcp_server_session_content_type(ss);
    se->sessionful = !ct || !strcmp(ct, "application/soap+msbinsession1");
    if (!se->sessionful) { /* msbin1 (streamed, one-way modes): documents without string tables */
        ntcp_xml_writer_options wo;
        ntcp_xml_writer_options_init(&wo);
        wo.limits = (ntcp_xml_limits){ 256, 64u << 20, 64u << 20, 64u << 20, 256, 64u << 20, 0 };
        if (ntcp_xml_writer_new(&se->w1, &wo, NULL)) {
            ntcp__dialog_clear(&se->d);
            ntcp_free(se);
            return false;
        }
    }
    ntcp_server_session_set_user(ss, se);
    return true;
}

static void on_close(void *ctx, ntcp_server_session *ss, ntcp_status why)
{
    ntcp_service *s = ctx;
    (void)why;
    ntcp_trace_conn_end(s->o.trace, ntcp_server_session_peer(ss)); /* the connection's activity ends */
    sess_free(ntcp_server_session_get_user(ss));
    ntcp_server_session_set_user(ss, NULL);
}

static void on_error(void *ctx, ntcp_server_session *ss, const ntcp_error *e)
{
    ntcp_service *s = ctx;
    const char *peer = ntcp_server_session_peer(ss);
    bool security = e->nns.status != NTCP_OK;
    if (security)
        logf_(s, "%s: security negotiation failed: %s; cause: %s", peer, e->text, ntcp_error_id(e));
    else
        logf_(s, "%s: %s: %s; cause: %s", peer, ntcp_status_name(e->status), e->text, ntcp_error_id(e));
    ntcp_trace_event(s->o.trace, "error", peer, "step", security ? "security" : ntcp_channel_step_name(e->step),
                     "status", ntcp_status_name(e->status), "cause", ntcp_error_id(e), "error", e->text, NULL);
}

static void on_record(void *ctx, ntcp_server_session *ss, bool sent, const ntcp_nmf_record *rec)
{
    ntcp_service *s = ctx;
    ntcp_trace_record_conn(s->o.trace, ntcp_server_session_peer(ss), sent, rec);
}

static bool understands(const ntcp_endpoint *ep, const char *action, const ntcp_soap_header *h)
{
    for (size_t i = 0; i < ep->nund; i++) {
        const understood *u = &ep->und[i];
        if ((!u->action || (action && !strcmp(u->action, action))) && str_is(&h->ns, u->ns) && str_is(&h->local, u->name))
            return true;
    }
    return false;
}

/* WCF's MustUnderstand fault (SOAP 1.2): code s:MustUnderstand, the
 * reason naming the header, and a NotUnderstood header. */
static void must_understand_fault(ntcp_service *s, sess *se, const ntcp_soap_msg *req, const char *hns,
                                  const char *hname, const char *extra_header)
{
    char name[512], ns[1024], reason[2048];
    snprintf(name, sizeof name, "%s", hname);
    snprintf(ns, sizeof ns, "%s", hns);
    snprintf(reason, sizeof reason,
             "The header '%s' from the namespace '%s' was not understood by the recipient of this message, causing "
             "the message to not be processed.  This error typically indicates that the sender of this message has "
             "enabled a communication protocol that the receiver cannot process.  Please ensure that the "
             "configuration of the client's binding is consistent with the service's binding.",
             name, ns);
    ntcp_soap_fault f;
    memset(&f, 0, sizeof f);
    f.code = "MustUnderstand";
    f.reason = reason;
    f.lang = "en-US";
    ntcp_soap_out out = { 0 };
    out.action = NTCP_WSA10_SOAP_FAULT_ACTION;
    out.relates_to = req->message_id;
    if (req->reply_to && !strcmp(req->reply_to, NTCP_WSA10_ANONYMOUS))
        out.to = NTCP_WSA10_ANONYMOUS;
    out.not_understood_ns = ns;
    out.not_understood_name = name;
    out.fault = &f;
    out.headers = extra_header ? &extra_header : NULL;
    out.nheaders = extra_header ? 1 : 0;
    logf_(s, "%s: MustUnderstand: the header {%s}%s is not understood", ntcp_server_session_peer(se->ss), ns, name);
    if (req->message_id)
        send_out(s, se, &out);
}

static void reply_fault_now(ntcp_service *s, sess *se, const ntcp_soap_msg *req, const char *action,
                            const ntcp_soap_fault *f, const char *extra_header)
{
    ntcp_soap_out out = { 0 };
    out.action = action;
    out.headers = extra_header ? &extra_header : NULL;
    out.nheaders = extra_header ? 1 : 0;
    out.relates_to = req->message_id;
    if (req->reply_to && !strcmp(req->reply_to, NTCP_WSA10_ANONYMOUS))
        out.to = NTCP_WSA10_ANONYMOUS;
    out.fault = f;
    if (req->message_id)
        send_out(s, se, &out);
}

static void on_message(void *ctx, ntcp_server_session *ss, const uint8_t *p, size_t n)
{
    ntcp_service *s = ctx;
    sess *se = ntcp_server_session_get_user(ss);
    if (!se)
        return;
    ntcp_call *c = call_new(s, se);
    if (!c) {
        ntcp_server_session_abort(ss);
        return;
    }
    if (s->pool) { /* a worker reads the request after this callback: its own copy */
        c->msg = ntcp_malloc(n ? n : 1);
        if (!c->msg) {
            ntcp_server_session_abort(ss);
            call_free(c);
            return;
        }
        memcpy(c->msg, p, n);
        p = c->msg;
    }
    size_t off = 0;
    ntcp_status st = se->sessionful ? ntcp_xml_session_read_table(se->d.in, p, n, &off) : NTCP_OK;
    if (!st)
        st = ntcp_soap_read_envelope(p + off, n - off, se->d.in, &s->o.xml, &c->req);
    if (st && c->req.message_id && ntcp_status_category(st) == NTCP_CAT_QUOTA) {
        /* the headers were read: tell the client which quota its request exceeded */
        char reason[512];
        snprintf(reason, sizeof reason, "The request exceeds a reader quota of the service: %s (%s). %s",
                 ntcp_status_str(st), ntcp_status_name(st), ntcp_status_advice(st));
        ntcp_soap_fault fault;
        memset(&fault, 0, sizeof fault);
        fault.code = "Sender";
        fault.reason = reason;
        fault.lang = "en-US";
        logf_(s, "%s: %s; cause: %s", ntcp_server_session_peer(ss), reason, ntcp_cause_id(NTCP_CAUSE_QUOTA_EXCEEDED));
        ntcp_trace_event(s->o.trace, "warning", ntcp_server_session_peer(ss), "step", "message", "status",
                         ntcp_status_name(st), "cause", ntcp_cause_id(NTCP_CAUSE_QUOTA_EXCEEDED), "error", reason,
                         NULL);
        if (!se->head || se->multiple) { /* nothing before it (or replies as they come): now */
            reply_fault_now(s, se, &c->req, NTCP_WSA10_FAULT_ACTION, &fault, NULL);
            call_free(c);
        } else if (!(c->f_reason = dup_s(reason))) {
            ntcp_server_session_abort(ss);
            call_free(c);
        } else {
            queue_fault(se, c, REPLY_QUOTA);
        }
        return;
    }
    if (st) {
        logf_(s, "%s: a message could not be read: %s (%s); the session is closed; cause: %s",
              ntcp_server_session_peer(ss), ntcp_status_str(st), ntcp_status_name(st),
              ntcp_cause_id(NTCP_CAUSE_MESSAGE_UNREADABLE));
        ntcp_trace_event(s->o.trace, "error", ntcp_server_session_peer(ss), "step", "message", "status",
                         ntcp_status_name(st), "cause", ntcp_cause_id(NTCP_CAUSE_MESSAGE_UNREADABLE), "error",
                         ntcp_status_str(st), "advice", ntcp_cause_advice(NTCP_CAUSE_MESSAGE_UNREADABLE), NULL);
        ntcp_server_session_abort(ss);
        call_free(c);
        return;
    }
    c->doc = p + off;
    c->doc_len = n - off;
    c->in = se->d.in;
    if (s->pool) { /* the dictionary grows with the next requests while a worker reads this one */
        if (ntcp__xml_session_view(&c->view, se->d.in) != NTCP_OK) {
            ntcp_server_session_abort(ss);
            call_free(c);
            return;
        }
        c->in = c->view;
    }
    /* the caller: copies, or in the secured stream the call holds */
    snprintf(c->peer, sizeof c->peer, "%s", ntcp_server_session_peer(ss));
    c->via = dup_s(ntcp_server_session_via(ss) ? ntcp_server_session_via(ss) : "");
    const ntcp_stream *sec_stream = ntcp_server_session_stream(ss);
    c->hs = held_of(sec_stream);
    if (c->hs)
        c->hs->refs++;
    ntcp_stream_security sec;
    c->caller = (ntcp_caller){ "", "", "None", "Identification", false, NULL, c->peer, c->via ? c->via : "",
                               "", "", "" };
    ntcp_tls *tls = c->hs ? ntcp_tls_stream_tls(c->hs->inner) : NULL;
    if (tls) { /* the client certificate, as WCF shows an X509 identity */
        c->caller.cert_subject = ntcp_tls_peer_subject(tls);
        c->caller.cert_issuer = ntcp_tls_peer_issuer(tls);
        c->caller.cert_thumbprint = ntcp_tls_peer_thumbprint(tls);
    }
    if (ntcp_stream_query(sec_stream, NTCP_STREAM_QUERY_SECURITY, &sec) == NTCP_OK) {
        c->caller.principal = sec.peer_name;
        c->caller.package = sec.package;
        c->caller.protection = sec.protection;
        c->caller.impersonation = sec.impersonation;
        c->caller.anonymous = sec.anonymous;
        if (ntcp_stream_query(sec_stream, NTCP_STREAM_QUERY_DELEGATED_CREDENTIAL, &c->caller.delegated_credential))
            c->caller.delegated_credential = NULL;
    }
    ntcp_trace_event(s->o.trace, "request", c->caller.peer, "action", c->req.action ? c->req.action : "", "caller",
                     c->caller.principal, "package", c->caller.package, "protection", c->caller.protection, "impersonation",
                     c->caller.impersonation, "delegated", c->caller.delegated_credential ? "true" : "false", NULL);
    char ah[256]; /* with propagation the reply carries the call's ActivityId, as WCF's does */
    bool have_ah = ntcp_trace_activity_header(s->o.trace, c->caller.peer, ah, sizeof ah);
    ntcp_endpoint *ep = se->ep ? se->ep : first_endpoint(s);
    const ntcp_endpoint *opsrc = ep->shares ? ep->shares : ep;
    for (size_t i = 0; c->req.action && i < opsrc->nops; i++)
        if (!strcmp(opsrc->ops[i].action, c->req.action)) {
            c->op = &opsrc->ops[i];
            break;
        }
    for (size_t i = 0; !c->op && i < opsrc->nops; i++) /* the action "": every action no operation has */
        if (!opsrc->ops[i].action[0])
            c->op = &opsrc->ops[i];
    /* faults of the dispatcher go out at once when nothing is pending (or
     * the session's replies leave as they come); else they wait their turn */
    if (!c->op) {
        ntcp_soap_fault f;
        char reason[600];
        ntcp_soap_fault_action_not_supported(&f, c->req.action, reason, sizeof reason);
        logf_(s, "%s: ActionNotSupported for '%s'", c->caller.peer, c->req.action ? c->req.action : "");
        if (!se->head || se->multiple) { /* nothing before it (or replies as they come): now */
            reply_fault_now(s, se, &c->req, NTCP_WSA10_FAULT_ACTION, &f, have_ah ? ah : NULL);
            call_free(c);
        } else if (have_ah && ntcp_call_reply_header(c, ah)) {
            ntcp_server_session_abort(ss);
            call_free(c);
        } else {
            queue_fault(se, c, REPLY_NOT_SUPPORTED);
        }
        return;
    }
    for (size_t i = 0; i < c->req.nheaders; i++) {
        const ntcp_soap_header *h = &c->req.headers[i];
        if (h->must_understand && !str_is(&h->ns, NTCP_WSA10_NS) && !understands(opsrc, c->req.action, h)) {
            c->f_sub_ns = ntcp_strndup(h->ns.p ? h->ns.p : "", h->ns.len);
            c->f_sub = ntcp_strndup(h->local.p, h->local.len);
            bool now = !se->head || se->multiple; /* nothing before it (or replies as they come) */
            if (!c->f_sub_ns || !c->f_sub || (!now && have_ah && ntcp_call_reply_header(c, ah))) {
                ntcp_server_session_abort(ss);
                call_free(c);
            } else if (now) {
                must_understand_fault(s, se, &c->req, c->f_sub_ns, c->f_sub, have_ah ? ah : NULL);
                call_free(c);
            } else {
                queue_fault(se, c, REPLY_MUST_UNDERSTAND);
            }
            return;
        }
    }
    /* queue it (replies leave in arrival order), run the handler */
    if (have_ah && ntcp_call_reply_header(c, ah)) {
        ntcp_server_session_abort(ss);
        call_free(c);
        return;
    }
    if (se->tail)
        se->tail->next = c;
    else
        se->head = c;
    se->tail = c;
    se->queued++;
    loop_state *L = &s->ls[c->loop]; /* the loop's spare writer and reader go with the call */
    if (!c->bw) {
        c->bw = L->spare_bw;
        L->spare_bw = NULL;
    }
    if (!c->rd) {
        c->rd = L->spare_rd;
        L->spare_rd = NULL;
    }
    if (se->disp_head || (!se->multiple && se->running)) { /* single: after the running one returned */
        if (se->disp_tail)
            se->disp_tail->disp_next = c;
        else
            se->disp_head = c;
        se->disp_tail = c;
        atomic_fetch_add(&s->requests, 1);
        return;
    }
    dispatch(s, c);
    atomic_fetch_add(&s->requests, 1);
}

/* ---- the service ------------------------------------------------------------- */

ntcp_status ntcp_service_new(ntcp_service **out, const ntcp_service_options *o)
{
    ntcp_service *s = ntcp_calloc(1, sizeof *s);
    if (!s)
        return NTCP_E_NOMEM;
    if (o)
        s->o = *o;
    else
        ntcp_service_options_init(&s->o);
    if (!s->o.max_reply_size)
        s->o.max_reply_size = DEFAULT_MAX_REPLY;
    ntcp_error_clear(&s->err);
    ntcp__libxml_init(); /* before the loops and workers use it */
    pthread_mutex_init(&s->nns_mu, NULL);
    pthread_mutex_init(&s->err_mu, NULL);
    ntcp_server_config cfg = s->o.server;
    cfg.framing.via_served = via_served;
    cfg.framing.via_security = via_security;
    cfg.framing.via_ctx = s;
    bool tls = s->o.security == NTCP_SECURITY_TRANSPORT && s->o.credential != NTCP_CREDENTIAL_WINDOWS;
    if (tls) { /* the credentials load now, so a bad certificate stops the start, not each session */
        ntcp_tls *probe = NULL;
        ntcp_tls_options to = s->o.tls;
        to.credential = s->o.credential;
        if (ntcp_tls_new(&probe, true, &to) != NTCP_OK) {
            const ntcp_tls_error *e = ntcp_tls_error_info(probe);
            ntcp_status pst = ntcp_error_set(&s->err, e->status, ntcp_tls_cause_of(e->cause), NTCP_STEP_OPTIONS,
                                             "TLS: %s", ntcp_tls_last_error(probe));
            logf_(s, "TLS: %s; cause: %s", ntcp_tls_last_error(probe), ntcp_tls_cause_id(e->cause));
            ntcp_tls_free(probe);
            pthread_mutex_destroy(&s->nns_mu);
            pthread_mutex_destroy(&s->err_mu);
            ntcp_free(s);
            return pst;
        }
        ntcp_tls_free(probe);
    }
    /* per endpoint: via_security decides for each session */
    cfg.framing.upgrade_name = s->o.security != NTCP_SECURITY_TRANSPORT ? NULL
                               : tls                                  ? NTCP_UPGRADE_TLS
                                                                      : NTCP_UPGRADE_NEGOTIATE;
    cfg.framing.require_upgrade = s->o.security == NTCP_SECURITY_TRANSPORT;
    cfg.stream_new = stream_new;
    cfg.on_open = on_open;
    cfg.on_message = on_message;
    cfg.on_close = on_close;
    cfg.on_error = on_error;
    if (s->o.trace)
        cfg.on_record = on_record;
    cfg.ctx = s;
    ntcp_status st = ntcp_server_new(&s->srv, &cfg);
    if (!st) {
        s->nls = ntcp_server_loops(s->srv);
        s->ls = ntcp_calloc(s->nls, sizeof *s->ls);
        if (!s->ls) {
            ntcp_server_free(s->srv);
            st = NTCP_E_NOMEM;
        }
    }
    if (st) {
        pthread_mutex_destroy(&s->nns_mu);
        pthread_mutex_destroy(&s->err_mu);
        ntcp_free(s);
        return st;
    }
    for (unsigned i = 0; i < s->nls; i++)
        pthread_mutex_init(&s->ls[i].mu, NULL);
    ntcp_server_set_wake_loop(s->srv, on_wake, s);
    ntcp__server_set_batch_end(s->srv, batch_end, s);
    pthread_mutex_init(&s->mon_mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->mon_cv, &ca);
    pthread_condattr_destroy(&ca);
    ntcp_server_set_busy(s->srv, sess_busy);
    ntcp_server_set_backlog(s->srv, sess_backlog);
    *out = s;
    return NTCP_OK;
}

void ntcp_service_free(ntcp_service *s)
{
    if (!s)
        return;
    ntcp__metadata_free(s->meta); /* stops the HTTP responder first */
    ntcp__pool_free(s->pool); /* waits for running handlers: their news then drop their calls */
    ntcp__server_join_strays(s->srv); /* the same for handlers whose loop was taken over */
    for (unsigned i = 0; i < s->nls; i++)
        process_news(s, i, NULL);
    ntcp_server_free(s->srv);
    for (size_t e = 0; e < s->neps; e++) {
        ntcp_endpoint *ep = s->eps[e];
        for (size_t i = 0; i < ep->nops; i++) {
            ntcp_free(ep->ops[i].action);
            ntcp_free(ep->ops[i].reply_action);
        }
        ntcp_free(ep->ops);
        for (size_t i = 0; i < ep->nund; i++) {
            ntcp_free(ep->und[i].action);
            ntcp_free(ep->und[i].ns);
            ntcp_free(ep->und[i].name);
        }
        ntcp_free(ep->und);
        ntcp_free(ep);
    }
    ntcp_free(s->eps);
    for (unsigned i = 0; i < s->nls; i++) {
        ntcp_xml_reader_free(s->ls[i].scratch);
        ntcp_xml_writer_free(s->ls[i].spare_bw);
        ntcp_xml_reader_free(s->ls[i].spare_rd);
        pthread_mutex_destroy(&s->ls[i].mu);
    }
    ntcp_free(s->ls);
    ntcp_free(s->mon_seen);
    pthread_cond_destroy(&s->mon_cv);
    pthread_mutex_destroy(&s->mon_mu);
    pthread_mutex_destroy(&s->err_mu);
    pthread_mutex_destroy(&s->nns_mu);
    ntcp_free(s);
}

ntcp_status ntcp_service_set_nns(ntcp_service *s, const ntcp_nns_options *nns)
{
    if (!s || !nns)
        return NTCP_E_INVALID_ARG;
    pthread_mutex_lock(&s->err_mu);
    ntcp_error_clear(&s->err);
    ntcp_status st;
    if (s->o.security == NTCP_SECURITY_TRANSPORT && s->o.credential == NTCP_CREDENTIAL_WINDOWS &&
        nns->package != NTCP_PACKAGE_NTLM && (st = ntcp__keytab_check(nns->keytab, nns->acceptor_name, &s->err))) {
        pthread_mutex_unlock(&s->err_mu);
        return st; /* the old options stay; ntcp_service_error says why */
    }
    pthread_mutex_lock(&s->nns_mu);
    s->o.nns = *nns;
    for (size_t i = 0; i < s->neps; i++)
        if (s->eps[i]->inherits)
            s->eps[i]->o.nns = *nns;
    pthread_mutex_unlock(&s->nns_mu);
    pthread_mutex_unlock(&s->err_mu);
    return NTCP_OK;
}

ntcp_status ntcp_endpoint_add_operation(ntcp_endpoint *ep, const char *action, const char *reply_action,
                                        ntcp_operation_fn fn, void *ctx)
{
    if (!ep || !action || !fn)
        return NTCP_E_INVALID_ARG;
    if (atomic_load(&ep->svc->running))
        return NTCP_E_STATE; /* the loops read them without a lock, as WCF's opened host refuses changes */
    for (size_t i = 0; i < ep->nops; i++)
        if (!strcmp(ep->ops[i].action, action))
            return NTCP_E_INVALID_ARG; /* one operation per action */
    operation *ops = ntcp_realloc(ep->ops, (ep->nops + 1) * sizeof *ops);
    if (!ops)
        return NTCP_E_NOMEM;
    ep->ops = ops;
    operation *op = &ops[ep->nops];
    op->action = dup_s(action);
    if (reply_action) {
        op->reply_action = dup_s(reply_action);
    } else {
        size_t n = strlen(action);
        op->reply_action = ntcp_malloc(n + sizeof "Response");
        if (op->reply_action)
            snprintf(op->reply_action, n + sizeof "Response", "%sResponse", action);
    }
    if (!op->action || !op->reply_action) {
        ntcp_free(op->action);
        ntcp_free(op->reply_action);
        return NTCP_E_NOMEM;
    }
    op->fn = fn;
    op->ctx = ctx;
    ep->nops++;
    return NTCP_OK;
}

ntcp_status ntcp_service_add_operation(ntcp_service *s, const char *action, const char *reply_action,
                                       ntcp_operation_fn fn, void *ctx)
{
    ntcp_endpoint *ep = first_endpoint(s);
    return ep ? ntcp_endpoint_add_operation(ep, action, reply_action, fn, ctx) : NTCP_E_NOMEM;
}

ntcp_status ntcp_endpoint_understand_header(ntcp_endpoint *ep, const char *action, const char *ns, const char *name)
{
    if (!ep || !name)
        return NTCP_E_INVALID_ARG;
    if (atomic_load(&ep->svc->running))
        return NTCP_E_STATE;
    understood *u = ntcp_realloc(ep->und, (ep->nund + 1) * sizeof *u);
    if (!u)
        return NTCP_E_NOMEM;
    ep->und = u;
    u = &u[ep->nund];
    u->action = dup_s(action);
    u->ns = dup_s(ns ? ns : "");
    u->name = dup_s(name);
    if ((action && !u->action) || !u->ns || !u->name) {
        ntcp_free(u->action);
        ntcp_free(u->ns);
        ntcp_free(u->name);
        return NTCP_E_NOMEM;
    }
    ep->nund++;
    return NTCP_OK;
}

ntcp_status ntcp_service_understand_header(ntcp_service *s, const char *action, const char *ns, const char *name)
{
    ntcp_endpoint *ep = first_endpoint(s);
    return ep ? ntcp_endpoint_understand_header(ep, action, ns, name) : NTCP_E_NOMEM;
}

/* One listener per host:port; port "0" always opens a new one. */
static ntcp_status listen_on(ntcp_service *s, const ntcp_url *u, int *bound_port)
{
    for (int i = 0; i < s->nlis; i++) {
        char bp[8];
        snprintf(bp, sizeof bp, "%d", s->lis[i].bound);
        if (strcmp(u->port, "0") != 0 && !strcasecmp(s->lis[i].host, u->host) &&
            (!strcmp(s->lis[i].port, u->port) || !strcmp(bp, u->port))) {
            if (bound_port)
                *bound_port = s->lis[i].bound;
            return NTCP_OK;
        }
    }
    if (s->nlis >= MAX_LISTENERS)
        return NTCP_E_LIMIT;
    int port = 0;
    /* listen on the address's host as given ("0.0.0.0" / "::" for all) */
    ntcp_status st = ntcp_server_listen(s->srv, u->host, u->port, &port);
    if (st)
        return st;
    listener *l = &s->lis[s->nlis++];
    snprintf(l->host, sizeof l->host, "%s", u->host);
    snprintf(l->port, sizeof l->port, "%s", u->port);
    l->bound = port;
    if (bound_port)
        *bound_port = port;
    return NTCP_OK;
}

static ntcp_status bind_endpoint_locked(ntcp_service *s, ntcp_endpoint *ep, const char *url, int *bound_port);

static ntcp_status bind_endpoint(ntcp_service *s, ntcp_endpoint *ep, const char *url, int *bound_port)
{
    pthread_mutex_lock(&s->err_mu);
    ntcp_status st = bind_endpoint_locked(s, ep, url, bound_port);
    pthread_mutex_unlock(&s->err_mu);
    return st;
}

static ntcp_status bind_endpoint_locked(ntcp_service *s, ntcp_endpoint *ep, const char *url, int *bound_port)
{
    ntcp_url u;
    const char *why = NULL;
    ntcp_error_clear(&s->err);
    ntcp_status st = ntcp_url_parse(url, &u, &why);
    if (st)
        return ntcp_error_set(&s->err, st, NTCP_CAUSE_BAD_ADDRESS, NTCP_STEP_LISTEN, "the address: %s", why);
    for (size_t i = 0; i < s->neps; i++)
        if (s->eps[i]->bound && !strcasecmp(s->eps[i]->path, u.path))
            return ntcp_error_set(&s->err, NTCP_E_INVALID_ARG, NTCP_CAUSE_INVALID_ARGUMENT, NTCP_STEP_LISTEN,
                                  "another endpoint already has the path %s", u.path);
    /* Kerberos (raw or through Negotiate) needs the service's key: without
     * one every client would be told to check its own credentials */
    if (ep->o.security == NTCP_SECURITY_TRANSPORT && ep->o.credential == NTCP_CREDENTIAL_WINDOWS &&
        ep->o.nns.package != NTCP_PACKAGE_NTLM && (st = ntcp__keytab_check(ep->o.nns.keytab, ep->o.nns.acceptor_name, &s->err)))
        return st; /* the caller reports it: ntcp_service_error */
    int port = 0;
    st = listen_on(s, &u, &port);
    if (st)
        return ntcp_error_set(&s->err, st, ntcp_cause_of_status(st), NTCP_STEP_LISTEN, "listening on %s:%s: %s (%s)",
                              u.host, u.port, ntcp_status_str(st), ntcp_status_name(st));
    snprintf(ep->path, sizeof ep->path, "%s", u.path);
    snprintf(ep->host, sizeof ep->host, "%s", u.host);
    ep->port = port;
    if (bound_port)
        *bound_port = port;
    ep->bound = true;
    return NTCP_OK;
}

ntcp_status ntcp_service_add_endpoint(ntcp_service *s, const char *url, const ntcp_endpoint_options *o,
                                      ntcp_endpoint **out, int *bound_port)
{
    if (atomic_load(&s->running))
        return NTCP_E_STATE;
    ntcp_endpoint *ep = NULL;
    if (s->neps && !s->eps[0]->bound) { /* operations were added before the first address */
        ep = s->eps[0];
        if (o)
            ep->o = *o;
    } else {
        ep = endpoint_new(s, o);
    }
    if (!ep)
        return NTCP_E_NOMEM;
    ntcp_status st = bind_endpoint(s, ep, url, bound_port);
    if (st)
        return st; /* the endpoint stays unbound: it serves nothing */
    if (out)
        *out = ep;
    return NTCP_OK;
}

ntcp_status ntcp_service_listen(ntcp_service *s, const char *url, int *bound_port)
{
    if (atomic_load(&s->running))
        return NTCP_E_STATE;
    ntcp_endpoint *first = first_endpoint(s);
    if (!first)
        return NTCP_E_NOMEM;
    if (!first->bound)
        return bind_endpoint(s, first, url, bound_port);
    /* the same operations at another address */
    ntcp_endpoint *ep = endpoint_new(s, NULL);
    if (!ep)
        return NTCP_E_NOMEM;
    ep->shares = first;
    return bind_endpoint(s, ep, url, bound_port);
}

const ntcp_error *ntcp_service_error(const ntcp_service *s) { return &s->err; }

ntcp_status ntcp_service_run(ntcp_service *s)
{
    if (s->o.workers && !s->pool) {
        ntcp_status st = ntcp__pool_new(&s->pool, s->o.workers);
        if (st)
            return st;
    }
    if (s->pool && s->o.inline_us && !s->mon_seen)
        s->mon_seen = ntcp_calloc(2 * (size_t)s->nls, sizeof *s->mon_seen); /* none: no watch, no handler on the loops */
    if (s->pool && s->o.inline_us && s->mon_seen) {
        pthread_mutex_lock(&s->mon_mu);
        s->mon_stop = false;
        pthread_mutex_unlock(&s->mon_mu);
        s->mon_started = pthread_create(&s->mon, NULL, monitor, s) == 0;
    }
    s->inl_on = s->mon_started; /* never without the watch */
    atomic_store(&s->running, true);
    ntcp_status st = ntcp_server_run(s->srv);
    atomic_store(&s->running, false);
    if (s->mon_started) {
        pthread_mutex_lock(&s->mon_mu);
        s->mon_stop = true;
        pthread_cond_signal(&s->mon_cv);
        pthread_mutex_unlock(&s->mon_mu);
        pthread_join(s->mon, NULL);
        s->mon_started = false;
        s->inl_on = false;
    }
    return st;
}
void ntcp_service_stop(ntcp_service *s) { ntcp_server_stop(s->srv); }

/* ---- for the metadata (metadata.c) ---------------------------------------------- */

struct ntcp__metadata **ntcp__service_meta(ntcp_service *s) { return &s->meta; }
ntcp_endpoint *ntcp__service_first_endpoint(ntcp_service *s) { return first_endpoint(s); }
size_t ntcp__service_endpoint_count(const ntcp_service *s) { return s->neps; }
ntcp_endpoint *ntcp__service_endpoint(const ntcp_service *s, size_t i) { return i < s->neps ? s->eps[i] : NULL; }
ntcp_service *ntcp__endpoint_service(const ntcp_endpoint *ep) { return ep->svc; }

bool ntcp__endpoint_info(ntcp_endpoint *ep, const char **host, int *port, const char **path, ntcp_endpoint_options *o)
{
    if (!ep->bound)
        return false;
    *host = ep->host;
    *port = ep->port;
    *path = ep->path;
    pthread_mutex_lock(&ep->svc->nns_mu);
    *o = ep->o;
    pthread_mutex_unlock(&ep->svc->nns_mu);
    return true;
}

ntcp_endpoint *ntcp__endpoint_shares(const ntcp_endpoint *ep) { return ep->shares; }

ntcp_server *ntcp__service_server(const ntcp_service *s) { return s->srv; }
unsigned long ntcp__service_inlined(const ntcp_service *s) { return atomic_load(&s->inlined); }
unsigned long ntcp__service_watch_ticks(const ntcp_service *s) { return atomic_load(&s->mon_ticks); }
unsigned long ntcp__service_requests(const ntcp_service *s) { return atomic_load(&s->requests); }
unsigned long ntcp__service_dispatched(const ntcp_service *s) { return atomic_load(&s->dispatched); }
