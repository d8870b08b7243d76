/* A net.tcp service: server engine + NegotiateStream + SOAP dispatch. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <nettcp/channel.h>
#include <nettcp/service.h>
#include "channel/dialog.h"

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
    pthread_mutex_t nns_mu; /* o.nns: replaced by ntcp_service_set_nns while serving */
};

/* Per framing session: its XML state (the security context is the upgrade). */
typedef ntcp__dialog dialog;

void ntcp_service_options_init(ntcp_service_options *o)
{
    static const ntcp_server_config sc = NTCP_SERVER_CONFIG_INIT;
    static const ntcp_nns_options nn = NTCP_NNS_OPTIONS_INIT;
    static const ntcp_xml_limits xl = NTCP_XML_LIMITS_DEFAULT;
    static const ntcp_tls_options to = NTCP_TLS_OPTIONS_INIT;
    memset(o, 0, sizeof *o);
    o->security = NTCP_SECURITY_TRANSPORT;
    o->nns = nn;
    o->credential = NTCP_CREDENTIAL_WINDOWS;
    o->tls = to;
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

/* A traced session's handshake messages, labelled with its peer. */
typedef struct leg_tag {
    ntcp_trace *t;
    char peer[64];
} leg_tag;

static void on_leg(void *ctx, bool sent, uint8_t id, size_t len)
{
    leg_tag *g = ctx;
    ntcp_trace_leg_conn(g->t, g->peer, sent, id, len);
}

static bool uses_tls(const ntcp_service *s)
{
    return s->o.security == NTCP_SECURITY_TRANSPORT && s->o.credential != NTCP_CREDENTIAL_WINDOWS;
}

/* The session's NegotiateStream, NULL when it runs TLS or nothing. */
static ntcp_nns *session_nns(ntcp_server_session *ss)
{
    const ntcp_stream_upgrade *up = ntcp_server_session_upgrade(ss);
    return up && up->name && !strcmp(up->name, NTCP_UPGRADE_NEGOTIATE) ? ntcp_nns_upgrade_nns(up) : NULL;
}

static ntcp_tls *session_tls(ntcp_server_session *ss)
{
    const ntcp_stream_upgrade *up = ntcp_server_session_upgrade(ss);
    return up && up->name && !strcmp(up->name, NTCP_UPGRADE_TLS) ? ntcp_tls_upgrade_tls(up) : NULL;
}

static ntcp_tls_options tls_options(const ntcp_service *s)
{
    ntcp_tls_options t = s->o.tls;
    t.credential = s->o.credential;
    return t;
}

static const ntcp_stream_upgrade *up_new(void *ctx, ntcp_server_session *ss)
{
    ntcp_service *s = ctx;
    const ntcp_stream_upgrade *up = NULL;
    if (uses_tls(s)) {
        ntcp_tls_options to = tls_options(s);
        return ntcp_tls_upgrade_new(&up, true, &to) == NTCP_OK ? up : NULL;
    }
    pthread_mutex_lock(&s->nns_mu);
    ntcp_nns_options nns = s->o.nns; /* the session keeps this copy */
    pthread_mutex_unlock(&s->nns_mu);
    if (ntcp_nns_upgrade_new(&up, false, &nns) != NTCP_OK)
        return NULL;
    if (s->o.trace) {
        leg_tag *g = ntcp_calloc(1, sizeof *g);
        if (g) {
            g->t = s->o.trace;
            snprintf(g->peer, sizeof g->peer, "%s", ntcp_server_session_peer(ss));
            ntcp_nns_set_leg_cb(ntcp_nns_upgrade_nns(up), on_leg, g);
        }
    }
    return up;
}

static void up_free(void *ctx, const ntcp_stream_upgrade *up)
{
    (void)ctx;
    if (up && up->name && !strcmp(up->name, NTCP_UPGRADE_TLS)) {
        ntcp_tls_upgrade_free(up);
        return;
    }
    ntcp_free(ntcp_nns_leg_ctx(ntcp_nns_upgrade_nns(up)));
    ntcp_nns_upgrade_free(up);
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

static void on_error(void *ctx, ntcp_server_session *ss, ntcp_status st, const char *text)
{
    ntcp_service *s = ctx;
    ntcp_nns *nns = session_nns(ss);
    const ntcp_nns_error *e = nns ? ntcp_nns_error_info(nns) : NULL;
    ntcp_tls *tls = session_tls(ss);
    const ntcp_tls_error *te = tls ? ntcp_tls_error_info(tls) : NULL;
    if (te && te->status) {
        const char *cause = ntcp_tls_cause_id(te->cause);
        const char *txt = ntcp_tls_last_error(tls);
        logf_(s, "%s: TLS failed: %s; cause: %s", ntcp_server_session_peer(ss), txt, cause);
        ntcp_trace_event(s->o.trace, "error", ntcp_server_session_peer(ss), "step", "security", "status",
                         ntcp_status_name(te->status), "cause", cause, "error", txt, NULL);
    } else if (e && e->status) {
        char buf[1024];
        ntcp_nns_error_format(e, buf, sizeof buf);
        logf_(s, "%s: security negotiation failed: %s", ntcp_server_session_peer(ss), buf);
        ntcp_trace_event(s->o.trace, "error", ntcp_server_session_peer(ss), "step", "security", "status",
                         ntcp_status_name(e->status), "cause", ntcp_nns_cause(e), "error", buf, NULL);
    } else {
        ntcp_trace_event(s->o.trace, "error", ntcp_server_session_peer(ss), "step", "framing", "status",
                         ntcp_status_name(st), "cause", ntcp_status_name(st), "error", text ? text : "", NULL);
        logf_(s, "%s: %s: %s", ntcp_server_session_peer(ss), ntcp_status_name(st), text ? text : "");
    }
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
        logf_(s, "%s: %s", ntcp_server_session_peer(ss), reason);
        ntcp_trace_event(s->o.trace, "warning", ntcp_server_session_peer(ss), "step", "message", "status",
                         ntcp_status_name(st), "cause", "quota_exceeded", "error", reason, NULL);
        send_reply(s, ss, d, &out);
        ntcp_soap_msg_clear(&req);
        return;
    }
    if (st) {
        logf_(s, "%s: a message could not be read: %s (%s); the session is closed", ntcp_server_session_peer(ss),
              ntcp_status_str(st), ntcp_status_name(st));
        ntcp_trace_event(s->o.trace, "error", ntcp_server_session_peer(ss), "step", "message", "status",
                         ntcp_status_name(st), "cause", "message_unreadable", "error", ntcp_status_str(st), "advice",
                         "the request is not a SOAP 1.2 envelope in binary session encoding that this session's "
                         "dictionaries decode: use NetTcpBinding's message version and encoder on the client",
                         NULL);
        ntcp_server_session_abort(ss);
        ntcp_soap_msg_clear(&req);
        return;
    }
    /* the caller */
    ntcp_nns *nns = session_nns(ss);
    const ntcp_nns_result *r = nns ? ntcp_nns_peek_result(nns) : NULL; /* the caller; not our own name */
    ntcp_caller caller = { "", "", "None", "Identification", false, NULL, ntcp_server_session_peer(ss),
                           ntcp_server_session_via(ss), "", "", "" };
    ntcp_tls *tls = session_tls(ss);
    if (tls) {
        caller.protection = "EncryptAndSign"; /* TLS always encrypts */
        caller.cert_subject = ntcp_tls_peer_subject(tls);
        caller.cert_issuer = ntcp_tls_peer_issuer(tls);
        caller.cert_thumbprint = ntcp_tls_peer_thumbprint(tls);
        if (*caller.cert_subject) {
            caller.principal = caller.cert_subject;
            caller.package = "Certificate";
        }
    }
    if (r) {
        caller.principal = r->client;
        caller.package = ntcp_package_name(r->package);
        caller.protection = ntcp_protection_name(r->protection);
        caller.impersonation = ntcp_impersonation_name(r->impersonation);
        caller.anonymous = r->anonymous;
        caller.delegated_credential = ntcp_nns_delegated_credential(nns);
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
    ntcp_server_config cfg = s->o.server;
    cfg.framing.via_served = via_served;
    cfg.framing.via_ctx = s;
    if (uses_tls(s)) {
        /* the credentials load now, so a bad certificate stops the start, not each session */
        ntcp_tls *probe = NULL;
        ntcp_tls_options to = tls_options(s);
        ntcp_status ps = ntcp_tls_new(&probe, true, &to);
        if (ps) {
            logf_(s, "TLS: %s; cause: %s", ntcp_tls_last_error(probe),
                  ntcp_tls_cause_id(ntcp_tls_error_info(probe)->cause));
            ntcp_tls_free(probe);
            pthread_mutex_destroy(&s->nns_mu);
            ntcp_free(s);
            return ps;
        }
        ntcp_tls_free(probe);
        cfg.framing.upgrade_name = NTCP_UPGRADE_TLS;
        cfg.framing.require_upgrade = true;
        cfg.upgrade_new = up_new;
        cfg.upgrade_free = up_free;
    } else if (s->o.security == NTCP_SECURITY_TRANSPORT) {
        cfg.framing.upgrade_name = NTCP_UPGRADE_NEGOTIATE;
        cfg.framing.require_upgrade = true;
        cfg.upgrade_new = up_new;
        cfg.upgrade_free = up_free;
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
    ntcp_status st = ntcp_url_parse(url, &u, NULL);
    if (st)
        return st;
    snprintf(s->path, sizeof s->path, "%s", u.path);
    /* listen on the address's host as given ("0.0.0.0" / "::" for all) */
    return ntcp_server_listen(s->srv, u.host, u.port, bound_port);
}

ntcp_status ntcp_service_run(ntcp_service *s) { return ntcp_server_run(s->srv); }
void ntcp_service_stop(ntcp_service *s) { ntcp_server_stop(s->srv); }
