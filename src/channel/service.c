/* A net.tcp service: server engine + NegotiateStream + SOAP dispatch. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <nettcp/channel.h>
#include <nettcp/service.h>
#include "channel/dialog.h"
#include "channel/keytab.h"

typedef struct operation {
    char *action, *reply_action;
    ntcp_operation_fn fn;
    void *ctx;
} operation;

struct ntcp_service {
    ntcp_service_options o;
    ntcp_server *srv;
    operation *ops;
    size_t nops;
    char path[2048];
    ntcp_error err; /* why it refused to start */
    pthread_mutex_t nns_mu; /* o.nns: replaced by ntcp_service_set_nns while serving */
};

/* Per framing session: its XML state (the security context is the upgrade). */
typedef ntcp__dialog dialog;

void ntcp_service_options_init(ntcp_service_options *o)
{
    ntcp_server_config sc;
    ntcp_server_config_init(&sc);
    ntcp_nns_options nn;
    ntcp_nns_options_init(&nn);
    ntcp_xml_limits xl;
    ntcp_xml_limits_init(&xl);
    memset(o, 0, sizeof *o);
    o->security = NTCP_SECURITY_TRANSPORT;
    o->nns = nn;
    o->server = sc;
    o->xml = xl;
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

/* A session's NegotiateStream, its handshake messages traced with the peer's address. */
typedef struct traced_stream {
    ntcp_stream s; /* first: the server holds a pointer to it */
    ntcp_stream *inner;
    ntcp_trace *t;
    char peer[64];
} traced_stream;

static void on_leg(void *ctx, bool sent, uint8_t id, size_t len)
{
    traced_stream *g = ctx;
    ntcp_trace_leg_conn(g->t, g->peer, sent, id, len);
}

static void traced_destroy(ntcp_stream *st)
{
    traced_stream *g = (traced_stream *)st; /* allocated by stream_new below */
    ntcp_stream_free(g->inner);
    ntcp_free(g);
}

static ntcp_stream *stream_new(void *ctx, ntcp_server_session *ss)
{
    ntcp_service *s = ctx;
    ntcp_stream *st = NULL;
    pthread_mutex_lock(&s->nns_mu);
    ntcp_nns_options no = s->o.nns; /* the session keeps this copy */
    pthread_mutex_unlock(&s->nns_mu);
    if (!s->o.trace)
        return ntcp_nns_stream_new(&st, false, &no) == NTCP_OK ? st : NULL;
    traced_stream *g = ntcp_calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->t = s->o.trace;
    snprintf(g->peer, sizeof g->peer, "%s", ntcp_server_session_peer(ss));
    no.leg_cb = on_leg;
    no.leg_ctx = g;
    if (ntcp_nns_stream_new(&g->inner, false, &no) != NTCP_OK) {
        ntcp_free(g);
        return NULL;
    }
    g->s = *g->inner;
    g->s.destroy = traced_destroy;
    return &g->s;
}

static void dialog_free(dialog *d)
{
    if (!d)
        return;
    ntcp__dialog_clear(d);
    ntcp_free(d);
}

static bool on_open(void *ctx, ntcp_server_session *ss)
{
    (void)ctx;
    dialog *d = ntcp_calloc(1, sizeof *d);
    if (!d || ntcp__dialog_init(d)) {
        ntcp_free(d);
        return false;
    }
    ntcp_server_session_set_user(ss, d);
    return true;
}

static void on_close(void *ctx, ntcp_server_session *ss, ntcp_status why)
{
    ntcp_service *s = ctx;
    (void)why;
    ntcp_trace_conn_end(s->o.trace, ntcp_server_session_peer(ss)); /* the connection's activity ends */
    dialog_free(ntcp_server_session_get_user(ss));
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

static bool via_served(void *ctx, const char *via)
{
    ntcp_service *s = ctx;
    ntcp_url u;
    if (ntcp_url_parse(via, &u, NULL) != NTCP_OK)
        return false;
    /* the host part is not matched strictly (WCF's StrongWildcard); the path is */
    return strcasecmp(u.path, s->path) == 0;
}

static void send_reply(ntcp_service *s, ntcp_server_session *ss, dialog *d, const ntcp_soap_out *m)
{
    ntcp_buf out;
    ntcp_buf_init(&out, (size_t)64 << 20);
    ntcp_status st = ntcp_soap_write(d->w, m, &out);
    if (st == NTCP_OK)
        st = ntcp_server_session_send(ss, out.data, out.len);
    if (st) {
        logf_(s, "%s: the reply could not be sent: %s", ntcp_server_session_peer(ss), ntcp_status_name(st));
        if (!m->fault) { /* the client still gets an answer */
            ntcp_soap_fault f;
            ntcp_soap_fault_internal(&f, NULL);
            ntcp_soap_out fm = *m;
            fm.action = NTCP_WCF_DISPATCHER_FAULT_ACTION;
            fm.fault = &f;
            fm.body = NULL;
            fm.body_len = 0;
            send_reply(s, ss, d, &fm);
        }
    }
    ntcp_buf_free(&out);
}

static void on_message(void *ctx, ntcp_server_session *ss, const uint8_t *p, size_t n)
{
    ntcp_service *s = ctx;
    dialog *d = ntcp_server_session_get_user(ss);
    if (!d)
        return;
    ntcp_soap_msg req;
    ntcp_soap_msg_init(&req);
    ntcp_status st = ntcp_soap_read_session(p, n, d->in, &s->o.xml, NULL, 0, &req);
    if (st && req.message_id && ntcp_status_category(st) == NTCP_CAT_QUOTA) {
        /* the headers were read: tell the client which quota its request exceeded */
        char reason[512];
        snprintf(reason, sizeof reason, "The request exceeds a reader quota of the service: %s (%s). %s",
                 ntcp_status_str(st), ntcp_status_name(st), ntcp_status_advice(st));
        ntcp_soap_fault fault = { "Sender", NULL, NULL, reason, "en-US" };
        ntcp_soap_out out = { 0 };
        out.action = NTCP_WSA10_FAULT_ACTION;
        out.relates_to = req.message_id;
        out.fault = &fault;
        logf_(s, "%s: %s; cause: %s", ntcp_server_session_peer(ss), reason, ntcp_cause_id(NTCP_CAUSE_QUOTA_EXCEEDED));
        ntcp_trace_event(s->o.trace, "warning", ntcp_server_session_peer(ss), "step", "message", "status",
                         ntcp_status_name(st), "cause", ntcp_cause_id(NTCP_CAUSE_QUOTA_EXCEEDED), "error", reason,
                         NULL);
        send_reply(s, ss, d, &out);
        ntcp_soap_msg_clear(&req);
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
        ntcp_soap_msg_clear(&req);
        return;
    }
    /* the caller */
    const ntcp_stream *sec_stream = ntcp_server_session_stream(ss);
    ntcp_stream_security sec;
    ntcp_caller caller = { "", "", "None", "Identification", false, NULL, ntcp_server_session_peer(ss),
                           ntcp_server_session_via(ss) };
    if (ntcp_stream_query(sec_stream, NTCP_STREAM_QUERY_SECURITY, &sec) == NTCP_OK) {
        caller.principal = sec.peer_name;
        caller.package = sec.package;
        caller.protection = sec.protection;
        caller.impersonation = sec.impersonation;
        caller.anonymous = sec.anonymous;
        if (ntcp_stream_query(sec_stream, NTCP_STREAM_QUERY_DELEGATED_CREDENTIAL, &caller.delegated_credential))
            caller.delegated_credential = NULL;
    }
    ntcp_trace_event(s->o.trace, "request", caller.peer, "action", req.action ? req.action : "", "caller",
                     caller.principal, "package", caller.package, "protection", caller.protection, NULL);
    ntcp_soap_out out = { 0 };
    out.relates_to = req.message_id;
    if (req.reply_to && !strcmp(req.reply_to, NTCP_WSA10_ANONYMOUS))
        out.to = NTCP_WSA10_ANONYMOUS;
    ntcp_reply rep;
    memset(&rep, 0, sizeof rep);
    ntcp_buf_init(&rep.body, s->o.server.limits.max_message);
    ntcp_soap_fault fault;
    char reason[600];
    const operation *op = NULL;
    for (size_t i = 0; req.action && i < s->nops; i++)
        if (!strcmp(s->ops[i].action, req.action))
            op = &s->ops[i];
    if (req.not_understood) {
        snprintf(reason, sizeof reason, "The header %s is marked mustUnderstand and this service does not process it.",
                 req.not_understood);
        fault = (ntcp_soap_fault){ "MustUnderstand", NULL, NULL, reason, "en-US" };
        out.action = NTCP_WSA10_FAULT_ACTION;
        out.fault = &fault;
    } else if (!op) {
        ntcp_soap_fault_action_not_supported(&fault, req.action, reason, sizeof reason);
        out.action = NTCP_WSA10_FAULT_ACTION;
        out.fault = &fault;
        logf_(s, "%s: ActionNotSupported for '%s'", caller.peer, req.action ? req.action : "");
    } else {
        st = op->fn(op->ctx, &req, &caller, &rep);
        if (st) {
            ntcp_soap_fault_internal(&fault, NULL);
            out.action = NTCP_WCF_DISPATCHER_FAULT_ACTION;
            out.fault = &fault;
            logf_(s, "%s: the operation %s failed: %s", caller.peer, op->action, ntcp_status_name(st));
        } else if (rep.is_fault) {
            out.action = NTCP_WSA10_FAULT_ACTION;
            out.fault = &rep.fault;
        } else {
            out.action = op->reply_action;
            out.body = (const char *)rep.body.data;
            out.body_len = rep.body.len;
        }
    }
    char ah[256]; /* with propagation the reply carries the call's ActivityId, as WCF's does */
    const char *ahs[1] = { ah };
    if (ntcp_trace_activity_header(s->o.trace, caller.peer, ah, sizeof ah)) {
        out.headers = ahs;
        out.nheaders = 1;
    }
    if (req.message_id) { /* one-way messages get no reply */
        send_reply(s, ss, d, &out);
        ntcp_trace_event(s->o.trace, "reply", caller.peer, "action", out.action ? out.action : "", "fault",
                         out.fault ? (out.fault->subcode ? out.fault->subcode : out.fault->code) : "", NULL);
    }
    ntcp_buf_free(&rep.body);
    ntcp_soap_msg_clear(&req);
}

ntcp_status ntcp_service_new(ntcp_service **out, const ntcp_service_options *o)
{
    ntcp_service *s = ntcp_calloc(1, sizeof *s);
    if (!s)
        return NTCP_E_NOMEM;
    pthread_mutex_init(&s->nns_mu, NULL);
    if (o)
        s->o = *o;
    else
        ntcp_service_options_init(&s->o);
    ntcp_error_clear(&s->err);
    ntcp_server_config cfg = s->o.server;
    cfg.framing.via_served = via_served;
    cfg.framing.via_ctx = s;
    if (s->o.security == NTCP_SECURITY_TRANSPORT) {
        cfg.framing.upgrade_name = NTCP_UPGRADE_NEGOTIATE;
        cfg.framing.require_upgrade = true;
        cfg.stream_new = stream_new;
    } else {
        cfg.framing.upgrade_name = NULL;
        cfg.framing.require_upgrade = false;
    }
    cfg.on_open = on_open;
    cfg.on_message = on_message;
    cfg.on_close = on_close;
    cfg.on_error = on_error;
    if (s->o.trace)
        cfg.on_record = on_record;
    cfg.ctx = s;
    ntcp_status st = ntcp_server_new(&s->srv, &cfg);
    if (st) {
        ntcp_free(s);
        return st;
    }
    *out = s;
    return NTCP_OK;
}

void ntcp_service_free(ntcp_service *s)
{
    if (!s)
        return;
    ntcp_server_free(s->srv);
    for (size_t i = 0; i < s->nops; i++) {
        ntcp_free(s->ops[i].action);
        ntcp_free(s->ops[i].reply_action);
    }
    ntcp_free(s->ops);
    pthread_mutex_destroy(&s->nns_mu);
    ntcp_free(s);
}

ntcp_status ntcp_service_set_nns(ntcp_service *s, const ntcp_nns_options *nns)
{
    if (!s || !nns)
        return NTCP_E_INVALID_ARG;
    ntcp_error_clear(&s->err);
    ntcp_status st;
    if (s->o.security == NTCP_SECURITY_TRANSPORT && nns->package != NTCP_PACKAGE_NTLM &&
        (st = ntcp__keytab_check(nns->keytab, nns->acceptor_name, &s->err)))
        return st; /* the old options stay; ntcp_service_error says why */
    pthread_mutex_lock(&s->nns_mu);
    s->o.nns = *nns;
    pthread_mutex_unlock(&s->nns_mu);
    return NTCP_OK;
}

ntcp_status ntcp_service_add_operation(ntcp_service *s, const char *action, const char *reply_action,
                                       ntcp_operation_fn fn, void *ctx)
{
    if (!action || !fn)
        return NTCP_E_INVALID_ARG;
    operation *ops = ntcp_realloc(s->ops, (s->nops + 1) * sizeof *ops);
    if (!ops)
        return NTCP_E_NOMEM;
    s->ops = ops;
    operation *op = &ops[s->nops];
    op->action = ntcp_strndup(action, strlen(action));
    if (reply_action) {
        op->reply_action = ntcp_strndup(reply_action, strlen(reply_action));
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
    s->nops++;
    return NTCP_OK;
}

ntcp_status ntcp_service_listen(ntcp_service *s, const char *url, int *bound_port)
{
    ntcp_url u;
    const char *why = NULL;
    ntcp_error_clear(&s->err);
    ntcp_status st = ntcp_url_parse(url, &u, &why);
    if (st)
        return ntcp_error_set(&s->err, st, NTCP_CAUSE_BAD_ADDRESS, NTCP_STEP_LISTEN, "the address: %s", why);
    /* Kerberos (raw or through Negotiate) needs the service's key: without
     * one every client would be told to check its own credentials */
    if (s->o.security == NTCP_SECURITY_TRANSPORT && s->o.nns.package != NTCP_PACKAGE_NTLM &&
        (st = ntcp__keytab_check(s->o.nns.keytab, s->o.nns.acceptor_name, &s->err)))
        return st; /* the caller reports it: ntcp_service_error */
    snprintf(s->path, sizeof s->path, "%s", u.path);
    /* listen on the address's host as given ("0.0.0.0" / "::" for all) */
    return ntcp_server_listen(s->srv, u.host, u.port, bound_port);
}

const ntcp_error *ntcp_service_error(const ntcp_service *s) { return &s->err; }

ntcp_status ntcp_service_run(ntcp_service *s) { return ntcp_server_run(s->srv); }
void ntcp_service_stop(ntcp_service *s) { ntcp_server_stop(s->srv); }
