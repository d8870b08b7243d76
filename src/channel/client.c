/* Calling a net.tcp service (see include/nettcp/client.h). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <nettcp/client.h>
#include "channel/client_int.h"
#include "channel/dialog.h"
#include "channel/http.h"
#include "util/until.h"

struct ntcp_client {
    ntcp_client_options o;
    ntcp_nns *nns;
    ntcp_tls *tls; /* instead of nns with credential certificate / none */
    ntcp_stream_upgrade up;
    ntcp_channel *ch;
    ntcp__dialog x; /* session dictionaries and writer */
    char *owned[8];  /* option strings copied for an open on a thread (see below) */
    char url[2048];
    char err[2048];
    ntcp_xml_reader *rd;       /* on the last reply */
    ntcp_xml_writer *w1;       /* msbin1 encoding (no session dictionary): its writer */
    const uint8_t *last_doc;   /* the last reply's document (in the channel's buffer) */
    const uint8_t *last_body;
    size_t last_body_len;
    const char *const *headers; /* ntcp_client_set_headers: on every message, before the call's own */
    size_t nheaders;
};

void ntcp_client_options_init(ntcp_client_options *o)
{
    static const ntcp_nns_options nn = NTCP_NNS_OPTIONS_INIT;
    static const ntcp_channel_options co = NTCP_CHANNEL_OPTIONS_INIT;
    static const ntcp_tls_options to = NTCP_TLS_OPTIONS_INIT;
    static const ntcp_xml_limits xl = NTCP_XML_LIMITS_DEFAULT;
    memset(o, 0, sizeof *o);
    o->security = NTCP_SECURITY_TRANSPORT;
    o->nns = nn;
    o->credential = NTCP_CREDENTIAL_WINDOWS;
    o->tls = to;
    o->channel = co;
    o->xml = xl;
}

static void client_free(ntcp_client *c)
{
    ntcp_xml_reader_free(c->rd);
    ntcp_xml_writer_free(c->w1);
    ntcp__dialog_clear(&c->x);
    ntcp_nns_free(c->nns);
    ntcp_tls_free(c->tls);
    for (size_t i = 0; i < sizeof c->owned / sizeof c->owned[0]; i++)
        if (c->owned[i]) {
            explicit_bzero(c->owned[i], strlen(c->owned[i])); /* the password is one of them */
            ntcp_free(c->owned[i]);
        }
    ntcp_free(c);
}

const char *ntcp_failure_cause(ntcp_status st, ntcp_channel_step step, bool upgrade_requested)
{
    switch ((int)st) {
    case NTCP_E_RESOLVE: return "host_unknown";
    case NTCP_E_CONNECTION_REFUSED: return "connection_refused";
    case NTCP_E_CONNECTION_RESET:
    case NTCP_E_CLOSED:
        /* A WCF service that requires transport security aborts, without a
         * fault, a client whose preamble ends without an upgrade request. */
        return !upgrade_requested && (step == NTCP_STEP_PREAMBLE || step == NTCP_STEP_PREAMBLE_ACK)
                   ? "security_mode_mismatch"
                   : "connection_reset";
    case NTCP_E_TIMEOUT: return "timeout";
    case NTCP_E_ENDPOINT_NOT_FOUND:
    case NTCP_E_ENDPOINT_UNAVAILABLE: return "endpoint_not_found";
    case NTCP_E_CONTENT_TYPE_INVALID: return "encoding_refused";
    case NTCP_E_UNSUPPORTED_MODE: return "mode_refused";
    case NTCP_E_UPGRADE_INVALID:
    case NTCP_E_UPGRADE_REQUIRED: return "security_mode_mismatch";
    case NTCP_E_ACCESS_DENIED:
        /* the service's answer to a preamble without the upgrade it requires */
        return !upgrade_requested && step <= NTCP_STEP_PREAMBLE_ACK ? "security_mode_mismatch"
                                                                    : ntcp_status_name(st);
    case NTCP_E_SERVER_TOO_BUSY: return "server_too_busy";
    case NTCP_E_UNSUPPORTED_VERSION: return "version_refused";
    case NTCP_E_MESSAGE_TOO_LARGE: return "quota_exceeded";
    default: return ntcp_status_name(st);
    }
}

const char *ntcp_cause_advice(const char *cause)
{
    static const struct {
        const char *id, *advice;
    } t[] = {
        { "host_unknown", "the host name in the address does not resolve: check its spelling, DNS and /etc/hosts" },
        { "connection_refused",
          "nothing listens at that host and port: check the port in the address, that the service runs, and that "
          "its net.tcp listener (on Windows the Net.Tcp Listener Adapter / port sharing service) is started" },
        { "connection_reset",
          "the service closed the connection without a framing fault: look at its log; a WCF service aborts this "
          "way when it requires a security upgrade that was not asked for, or on a security failure" },
        { "timeout",
          "no answer within the timeout: check firewalls between client and service, that the port is the "
          "service's, that the KDC (krb5.conf) answers, and raise --timeout if the service is slow" },
        { "endpoint_not_found",
          "the service has no endpoint at this path: compare the path of the address with the service's "
          "endpoint address (case and trailing slash included)" },
        { "encoding_refused",
          "the service does not accept this message encoding: NetTcpBinding uses binary session encoding; "
          "match the service's encoder" },
        { "mode_refused", "the service does not accept this framing mode: use duplex (buffered) as NetTcpBinding does" },
        { "security_mode_mismatch",
          "client and service disagree on the security mode: one asked for Transport security (a NegotiateStream "
          "upgrade) and the other runs with SecurityMode None (a service that closes the connection right after "
          "a preamble without upgrade, as WCF does, requires transport security), or one uses Windows credentials "
          "(NegotiateStream, application/negotiate) and the other certificates (TLS, application/ssl-tls); use the "
          "same --security and --credential on both" },
        { "server_too_busy", "the service refused the session: it is at its session limit; retry or raise the limit" },
        { "version_refused", "the service does not speak this framing version (1.0)" },
        { "quota_exceeded",
          "a message exceeded a size limit (maxReceivedMessageSize): raise the limit on the receiving side" },
    };
    for (size_t i = 0; cause && i < sizeof t / sizeof t[0]; i++)
        if (!strcmp(t[i].id, cause))
            return t[i].advice;
    for (int s = 0; cause && s > -200; s--)
        if (!strcmp(ntcp_status_name(s), cause) && *ntcp_status_advice(s))
            return ntcp_status_advice(s);
    const char *a = ntcp_tls_cause_advice(cause);
    return a ? a : ntcp_nns_cause_advice(cause);
}

ntcp_status ntcp_client_open(ntcp_client **out, const char *url, const ntcp_client_options *o, char *err, size_t cap)
{
    return ntcp__client_open(out, url, o, NULL, err, cap);
}

static ntcp_status open_now(ntcp_client **out, const char *url, const ntcp_client_options *o, ntcp__client_hooks *h,
                            char *err, size_t cap)
{
    *out = NULL;
    ntcp_client *c = ntcp_calloc(1, sizeof *c);
    if (!c)
        return NTCP_E_NOMEM;
    if (o)
        c->o = *o;
    else
        ntcp_client_options_init(&c->o);
    if (h) {
        h->failed_step = NTCP_STEP_RESOLVE;
        memset(&h->nns_error, 0, sizeof h->nns_error);
        memset(&h->tls_error, 0, sizeof h->tls_error);
        memset(&h->tls_result, 0, sizeof h->tls_result);
        h->tls = false;
        h->cause[0] = 0;
    }
    snprintf(c->url, sizeof c->url, "%s", url);
    ntcp_status st = NTCP_OK;
    ntcp_channel_step step = NTCP_STEP_RESOLVE;
    ntcp_url u;
    const char *why = NULL;
    if ((st = ntcp_url_parse(url, &u, &why))) {
        snprintf(c->err, sizeof c->err, "the address: %s", why);
        goto fail;
    }
    if ((st = ntcp__dialog_init(&c->x)))
        goto fail;
    if (c->o.channel.encoding == NTCP_ENC_BINARY) { /* msbin1: documents without string tables */
        ntcp_xml_writer_options wo;
        memset(&wo, 0, sizeof wo);
        wo.limits = (ntcp_xml_limits){ 256, 64u << 20, 64u << 20, 64u << 20, 256, 64u << 20, 0 };
        if ((st = ntcp_xml_writer_new(&c->w1, &wo, NULL)))
            goto fail;
    }
    ntcp_channel_options co = c->o.channel;
    co.record_cb = c->o.record_cb;
    co.record_ctx = c->o.record_ctx;
    if (c->o.security == NTCP_SECURITY_TRANSPORT && c->o.credential != NTCP_CREDENTIAL_WINDOWS) {
        ntcp_tls_options to = c->o.tls;
        to.credential = c->o.credential;
        if (!to.host)
            to.host = u.host;
        if (!to.fetch)
            to.fetch = ntcp__http_get;
        if (h)
            h->tls = true;
        if ((st = ntcp_tls_new(&c->tls, false, &to))) {
            const ntcp_tls_error *e = ntcp_tls_error_info(c->tls);
            const char *cause = ntcp_tls_cause_id(e->cause);
            snprintf(c->err, sizeof c->err, "security options: %s; cause: %s\nadvice: %s", ntcp_tls_last_error(c->tls),
                     cause, ntcp_cause_advice(cause));
            if (h) {
                h->tls_error = *e;
                snprintf(h->cause, sizeof h->cause, "%s", cause);
            }
            goto fail;
        }
        ntcp_tls_as_upgrade(c->tls, &c->up);
        co.upgrade = &c->up;
    } else if (c->o.security == NTCP_SECURITY_TRANSPORT) {
        ntcp_nns_options no = c->o.nns;
        if (!no.address_host)
            no.address_host = u.host;
        if ((st = ntcp_nns_new_initiator(&c->nns, &no, ntcp_gss_provider()))) {
            snprintf(c->err, sizeof c->err, "security options: %s", ntcp_nns_last_error(c->nns));
            goto fail;
        }
        if (c->o.leg_cb)
            ntcp_nns_set_leg_cb(c->nns, c->o.leg_cb, c->o.leg_ctx);
        ntcp_nns_as_upgrade(c->nns, &c->up);
        if (h && h->before_handshake)
            ntcp_nns_set_start_hook(c->nns, h->before_handshake, h->ctx);
        co.upgrade = &c->up;
    }
    char detail[1024] = "";
    st = ntcp_channel_open(&c->ch, url, &co, &step, detail, sizeof detail);
    if (c->tls && h)
        h->tls_result = *ntcp_tls_get_result(c->tls);
    if (st) {
        const ntcp_nns_error *e = c->nns ? ntcp_nns_error_info(c->nns) : NULL;
        const ntcp_tls_error *te = c->tls ? ntcp_tls_error_info(c->tls) : NULL;
        if (te && te->status) {
            const char *cause = ntcp_tls_cause_id(te->cause);
            snprintf(c->err, sizeof c->err, "opening %s: %s: TLS: %s; cause: %s\nadvice: %s", url,
                     ntcp_channel_step_name(step), ntcp_tls_last_error(c->tls), cause, ntcp_cause_advice(cause));
            st = te->status;
            if (h) {
                h->tls_error = *te;
                snprintf(h->cause, sizeof h->cause, "%s", cause);
            }
        } else if (e && e->status) {
            char buf[1500];
            ntcp_nns_error_format(e, buf, sizeof buf);
            snprintf(c->err, sizeof c->err, "opening %s: security negotiation: %s", url, buf);
            st = e->status;
            if (h) {
                h->nns_error = *e;
                snprintf(h->cause, sizeof h->cause, "%s", ntcp_nns_cause(e));
            }
        } else {
            const char *cause = ntcp_failure_cause(st, step, c->nns != NULL || c->tls != NULL);
            snprintf(c->err, sizeof c->err, "opening %s: %s; cause: %s\nadvice: %s", url, detail, cause,
                     ntcp_cause_advice(cause));
            if (h)
                snprintf(h->cause, sizeof h->cause, "%s", cause);
        }
        goto fail;
    }
    *out = c;
    return NTCP_OK;
fail:
    if (h)
        h->failed_step = step;
    if (err && cap)
        snprintf(err, cap, "%s", c->err);
    client_free(c);
    return st ? st : NTCP_E_IO;
}

/* ---- the open under its deadline -------------------------------------------------
 * The Kerberos exchanges inside GSSAPI (the TGT for a password, the service
 * ticket) wait for the KDC as long as MIT's own retries last, whatever our
 * timeout. An open that may ask a KDC runs on a thread with its own copies of
 * the options; at the open deadline (and a little grace, so that the
 * channel's own timeouts report their step first) the caller returns
 * `timeout` and the thread finishes alone, discarding what it opened. The
 * caller's callbacks are not called once it has returned. */
#define OPEN_GRACE_MS 250

typedef struct open_job {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int refs, in_cb;
    bool abandoned;
    ntcp_channel_step step; /* the latest step entered */
    char *url, *strs[8];
    ntcp_client_options o, real;
    ntcp__client_hooks h, *real_h;
    ntcp_client *c;
    ntcp_status st;
    char err[2048];
} open_job;

static bool cb_enter(open_job *j)
{
    pthread_mutex_lock(&j->mu);
    bool ok = !j->abandoned;
    if (ok)
        j->in_cb++;
    pthread_mutex_unlock(&j->mu);
    return ok;
}

static void cb_leave(open_job *j)
{
    pthread_mutex_lock(&j->mu);
    j->in_cb--;
    pthread_cond_broadcast(&j->cv);
    pthread_mutex_unlock(&j->mu);
}

static void job_record(void *ctx, bool sent, const ntcp_nmf_record *rec)
{
    open_job *j = ctx;
    if (cb_enter(j)) {
        j->real.record_cb(j->real.record_ctx, sent, rec);
        cb_leave(j);
    }
}

static void job_leg(void *ctx, bool sent, uint8_t id, size_t len)
{
    open_job *j = ctx;
    if (cb_enter(j)) {
        j->real.leg_cb(j->real.leg_ctx, sent, id, len);
        cb_leave(j);
    }
}

static void job_step(void *ctx, ntcp_channel_step step)
{
    open_job *j = ctx;
    j->step = step;
    if (j->real.channel.step_cb && cb_enter(j)) {
        j->real.channel.step_cb(j->real.channel.step_ctx, step);
        cb_leave(j);
    }
}

static ntcp_status job_before_handshake(void *ctx)
{
    open_job *j = ctx;
    ntcp_status st = NTCP_E_TIMEOUT; /* the caller gave up: stop here */
    if (cb_enter(j)) {
        st = j->real_h->before_handshake(j->real_h->ctx);
        cb_leave(j);
    }
    return st;
}

static void job_free(open_job *j)
{
    pthread_mutex_lock(&j->mu);
    bool last = --j->refs == 0;
    pthread_mutex_unlock(&j->mu);
    if (!last)
        return;
    for (size_t i = 0; i < sizeof j->strs / sizeof j->strs[0]; i++)
        if (j->strs[i]) {
            explicit_bzero(j->strs[i], strlen(j->strs[i])); /* the password is one of them */
            ntcp_free(j->strs[i]);
        }
    ntcp_free(j->url);
    pthread_cond_destroy(&j->cv);
    pthread_mutex_destroy(&j->mu);
    ntcp_free(j);
}

static void job_work(void *arg)
{
    open_job *j = arg;
    j->st = open_now(&j->c, j->url, &j->o, &j->h, j->err, sizeof j->err);
}

static void job_abandoned(void *arg)
{
    open_job *j = arg;
    if (j->c)
        ntcp_client_abort(j->c);
    j->c = NULL;
    job_free(j);
}

static bool own_copy(open_job *j, size_t i, const char **field)
{
    if (!*field)
        return true;
    j->strs[i] = ntcp_strndup(*field, strlen(*field));
    *field = j->strs[i];
    return j->strs[i] != NULL;
}

ntcp_status ntcp__client_open(ntcp_client **out, const char *url, const ntcp_client_options *o, ntcp__client_hooks *h,
                              char *err, size_t cap)
{
    ntcp_client_options defaults;
    if (!o) {
        ntcp_client_options_init(&defaults);
        o = &defaults;
    }
    ntcp_package pkg = o->nns.protection == NTCP_PROTECTION_NONE ? NTCP_PACKAGE_NTLM : o->nns.package;
    if (o->security != NTCP_SECURITY_TRANSPORT || o->credential != NTCP_CREDENTIAL_WINDOWS ||
        pkg == NTCP_PACKAGE_NTLM || o->channel.open_timeout_ms <= 0)
        return open_now(out, url, o, h, err, cap); /* no KDC to wait for (TLS: none at all) */
    *out = NULL;
    long long deadline = ntcp__now_ms() + o->channel.open_timeout_ms + OPEN_GRACE_MS;
    open_job *j = ntcp_calloc(1, sizeof *j);
    if (!j)
        return NTCP_E_NOMEM;
    pthread_mutex_init(&j->mu, NULL);
    pthread_cond_init(&j->cv, NULL);
    j->refs = 2;
    j->real = *o;
    j->o = *o;
    j->real_h = h;
    j->url = ntcp_strndup(url, strlen(url));
    ntcp_nns_options *no = &j->o.nns;
    bool ok = j->url && own_copy(j, 0, &no->identity) && own_copy(j, 1, &no->address_host) &&
              own_copy(j, 2, &no->user) && own_copy(j, 3, &no->password) && own_copy(j, 4, &no->client_keytab) &&
              own_copy(j, 5, &no->ccache) && own_copy(j, 6, &no->keytab) && own_copy(j, 7, &no->acceptor_name);
    if (!ok) {
        j->refs = 1;
        job_free(j);
        return NTCP_E_NOMEM;
    }
    j->o.record_cb = o->record_cb ? job_record : NULL;
    j->o.record_ctx = j;
    j->o.leg_cb = o->leg_cb ? job_leg : NULL;
    j->o.leg_ctx = j;
    j->o.channel.step_cb = job_step;
    j->o.channel.step_ctx = j;
    memset(&j->h, 0, sizeof j->h);
    if (h && h->before_handshake) {
        j->h.before_handshake = job_before_handshake;
        j->h.ctx = j;
    }
    if (ntcp__run_until(job_work, job_abandoned, j, deadline)) {
        ntcp_client *c = *out = j->c;
        if (c) {
            /* the client keeps the copied strings (its options and the
             * security context point at them) and calls the caller's
             * callbacks directly from now on */
            memcpy(c->owned, j->strs, sizeof c->owned);
            memset(j->strs, 0, sizeof j->strs);
            c->o.record_cb = o->record_cb;
            c->o.record_ctx = o->record_ctx;
            c->o.leg_cb = o->leg_cb;
            c->o.leg_ctx = o->leg_ctx;
            c->o.channel.step_cb = o->channel.step_cb;
            c->o.channel.step_ctx = o->channel.step_ctx;
            ntcp_framing_set_record_cb(ntcp_channel_framing(c->ch), o->record_cb, o->record_ctx);
            if (c->nns)
                ntcp_nns_set_leg_cb(c->nns, o->leg_cb, o->leg_ctx);
        }
        if (h) {
            h->failed_step = j->h.failed_step;
            h->nns_error = j->h.nns_error;
            h->tls_error = j->h.tls_error;
            h->tls_result = j->h.tls_result;
            h->tls = j->h.tls;
            snprintf(h->cause, sizeof h->cause, "%s", j->h.cause);
        }
        if (err && cap)
            snprintf(err, cap, "%s", j->err);
        ntcp_status st = j->st;
        j->refs = 1;
        job_free(j);
        return st;
    }
    /* the deadline passed: no callback of the caller's runs from now on */
    pthread_mutex_lock(&j->mu);
    j->abandoned = true;
    while (j->in_cb)
        pthread_cond_wait(&j->cv, &j->mu);
    ntcp_channel_step step = j->step;
    pthread_mutex_unlock(&j->mu);
    job_free(j);
    if (h) {
        h->failed_step = step;
        memset(&h->nns_error, 0, sizeof h->nns_error);
        snprintf(h->cause, sizeof h->cause, "timeout");
    }
    if (err && cap)
        snprintf(err, cap,
                 "opening %s: %s: no answer within the open timeout (%d ms)%s; cause: timeout\nadvice: %s", url,
                 ntcp_channel_step_name(step), o->channel.open_timeout_ms,
                 step == NTCP_STEP_HANDSHAKE ? ": the security handshake waits for the KDC or the service" : "",
                 ntcp_cause_advice("timeout"));
    return NTCP_E_TIMEOUT;
}

const ntcp_nns_result *ntcp_client_security(const ntcp_client *c)
{
    return c->nns ? ntcp_nns_get_result(c->nns) : NULL;
}

const ntcp_tls_result *ntcp_client_tls(const ntcp_client *c) { return c->tls ? ntcp_tls_get_result(c->tls) : NULL; }

const char *ntcp_client_last_error(const ntcp_client *c) { return c->err; }

void ntcp_client_set_headers(ntcp_client *c, const char *const *headers, size_t n)
{
    c->headers = n ? headers : NULL;
    c->nheaders = headers ? n : 0;
}

/* One request envelope: with a MessageID (and ReplyTo anonymous) when a
 * reply is expected, without for one-way messages. On failure out is freed
 * and c->err says why. */
static ntcp_status write_message(ntcp_client *c, const char *action, const char *id, const ntcp_header *headers,
                                 size_t nheaders, const char *body, size_t body_len, ntcp_buf *out)
{
    enum { MAX_HEADERS = 64 };
    if (nheaders + c->nheaders > MAX_HEADERS) {
        snprintf(c->err, sizeof c->err, "writing the request: more than %d headers", MAX_HEADERS);
        return NTCP_E_LIMIT;
    }
    const char *hx[MAX_HEADERS];
    bool hmu[MAX_HEADERS];
    size_t nh = 0;
    for (size_t i = 0; i < c->nheaders; i++, nh++) { /* the client's own (e.g. ActivityId) */
        hx[nh] = c->headers[i];
        hmu[nh] = false;
    }
    for (size_t i = 0; i < nheaders; i++, nh++) {
        hx[nh] = headers[i].xml ? headers[i].xml : "";
        hmu[nh] = headers[i].must_understand;
    }
    ntcp_soap_out m = { 0 };
    m.headers = hx;
    m.headers_mu = hmu;
    m.nheaders = nh;
    m.action = action;
    m.message_id = id;
    m.reply_to_anonymous = id != NULL;
    m.to = c->url;
    m.body = body;
    m.body_len = body ? body_len : 0;
    ntcp_buf_init(out, (size_t)64 << 20);
    ntcp_status st = ntcp_soap_write(c->w1 ? c->w1 : c->x.w, &m, out);
    if (st) {
        snprintf(c->err, sizeof c->err, "writing the request: %s (%s)%s", ntcp_status_str(st), ntcp_status_name(st),
                 st == NTCP_E_XML_SYNTAX ? ": the body or a header is not well-formed XML" : "");
        ntcp_buf_free(out);
    }
    return st;
}

ntcp_status ntcp_client_call(ntcp_client *c, const char *action, const ntcp_header *headers, size_t nheaders,
                             const char *body, size_t body_len, ntcp_soap_msg *reply)
{
    ntcp_soap_msg_init(reply);
    c->last_doc = c->last_body = NULL;
    c->last_body_len = 0;
    uint8_t rnd[16];
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
        return NTCP_E_IO;
    char id[46];
    ntcp_soap_message_id(rnd, id);
    ntcp_buf out;
    ntcp_status st = write_message(c, action, id, headers, nheaders, body, body_len, &out);
    if (st)
        return st;
    const uint8_t *r;
    size_t rl;
    st = ntcp_channel_request(c->ch, out.data, out.len, &r, &rl);
    ntcp_buf_free(&out);
    if (st) {
        const char *cause = ntcp_failure_cause(st, NTCP_STEP_RECEIVE, c->nns != NULL || c->tls != NULL);
        snprintf(c->err, sizeof c->err, "%s; cause: %s\nadvice: %s", ntcp_channel_last_error(c->ch), cause,
                 ntcp_cause_advice(cause));
        return st;
    }
    size_t off = 0;
    st = c->w1 ? NTCP_OK : ntcp_xml_session_read_table(c->x.in, r, rl, &off); /* msbin1: no table */
    if (!st)
        st = ntcp_soap_read(r + off, rl - off, c->x.in, &c->o.xml, NULL, 2, reply);
    if (!st) {
        c->last_doc = r + off;
        c->last_body = reply->body_doc;
        c->last_body_len = reply->body_doc_len;
    }
    if (st) {
        snprintf(c->err, sizeof c->err, "reading the reply: %s (%s)", ntcp_status_str(st), ntcp_status_name(st));
        return st;
    }
    if (reply->relates_to && strcmp(reply->relates_to, id) != 0) {
        snprintf(c->err, sizeof c->err, "the reply relates to %s, not to the request %s", reply->relates_to, id);
        return NTCP_E_RECORD_SEQUENCE;
    }
    if (reply->is_fault) {
        snprintf(c->err, sizeof c->err, "the service answered with a fault: %s%s%s: %s",
                 reply->fault_code ? reply->fault_code : "", reply->fault_subcode ? "/" : "",
                 reply->fault_subcode ? reply->fault_subcode : "", reply->fault_reason ? reply->fault_reason : "");
        return NTCP_E_FAULT;
    }
    return NTCP_OK;
}

ntcp_xml_reader *ntcp_client_reply_body(ntcp_client *c)
{
    if (!c->last_doc || (!c->rd && ntcp_xml_reader_new(&c->rd, &c->o.xml, c->x.in) != NTCP_OK))
        return NULL;
    return ntcp_xml_reader_reset_fragment(c->rd, c->last_body, c->last_body_len) == NTCP_OK ? c->rd : NULL;
}

ntcp_xml_reader *ntcp_client_reply_header(ntcp_client *c, const ntcp_soap_msg *reply, size_t i)
{
    if (!c->last_doc || i >= reply->nheaders ||
        (!c->rd && ntcp_xml_reader_new(&c->rd, &c->o.xml, c->x.in) != NTCP_OK))
        return NULL;
    const ntcp_soap_header *h = &reply->headers[i];
    return ntcp_xml_reader_reset_fragment(c->rd, c->last_doc + h->offset, h->len) == NTCP_OK ? c->rd : NULL;
}

ntcp_status ntcp_client_send(ntcp_client *c, const char *action, const char *body, size_t body_len)
{
    ntcp_buf out;
    ntcp_status st = write_message(c, action, NULL, NULL, 0, body, body_len, &out);
    if (st)
        return st;
    st = ntcp_channel_send(c->ch, out.data, out.len);
    if (st)
        snprintf(c->err, sizeof c->err, "%s", ntcp_channel_last_error(c->ch));
    ntcp_buf_free(&out);
    return st;
}

ntcp_status ntcp_client_close(ntcp_client *c)
{
    if (!c)
        return NTCP_OK;
    ntcp_status st = ntcp_channel_close(c->ch);
    client_free(c);
    return st;
}

void ntcp_client_abort(ntcp_client *c)
{
    if (!c)
        return;
    ntcp_channel_abort(c->ch);
    client_free(c);
}
