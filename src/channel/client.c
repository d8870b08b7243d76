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
    ntcp_stream up;
    ntcp_channel *ch;
    ntcp__dialog x; /* session dictionaries and writer */
    char *owned[8];  /* option strings copied for an open on a thread (see below) */
    char url[2048];
    ntcp_error err;
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
    ntcp_nns_options nn;
    ntcp_nns_options_init(&nn);
    ntcp_channel_options co;
    ntcp_channel_options_init(&co);
    ntcp_xml_limits xl;
    ntcp_xml_limits_init(&xl);
    ntcp_tls_options to = NTCP_TLS_OPTIONS_INIT;
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

ntcp_status ntcp_client_open(ntcp_client **out, const char *url, const ntcp_client_options *o, ntcp_error *err)
{
    return ntcp__client_open(out, url, o, NULL, err);
}

static ntcp_status open_now(ntcp_client **out, const char *url, const ntcp_client_options *o, ntcp__client_hooks *h,
                            ntcp_error *err)
{
    *out = NULL;
    ntcp_error_clear(err);
    ntcp_client *c = ntcp_calloc(1, sizeof *c);
    if (!c)
        return ntcp_error_set(err, NTCP_E_NOMEM, NTCP_CAUSE_OUT_OF_MEMORY, NTCP_STEP_RESOLVE, "out of memory");
    ntcp_error_clear(&c->err);
    if (o)
        c->o = *o;
    else
        ntcp_client_options_init(&c->o);
    snprintf(c->url, sizeof c->url, "%s", url);
    ntcp_status st = NTCP_OK;
    ntcp_url u;
    const char *why = NULL;
    if ((st = ntcp_url_parse(url, &u, &why))) {
        ntcp_error_set(&c->err, st, NTCP_CAUSE_BAD_ADDRESS, NTCP_STEP_RESOLVE, "the address: %s", why);
        goto fail;
    }
    if ((st = ntcp__dialog_init(&c->x))) {
        ntcp_error_set(&c->err, st, ntcp_cause_of_status(st), NTCP_STEP_RESOLVE, "%s", ntcp_status_str(st));
        goto fail;
    }
    if (c->o.channel.encoding == NTCP_ENC_BINARY) { /* msbin1: documents without string tables */
        ntcp_xml_writer_options wo;
        ntcp_xml_writer_options_init(&wo);
        wo.limits = (ntcp_xml_limits){ 256, 64u << 20, 64u << 20, 64u << 20, 256, 64u << 20, 0 };
        if ((st = ntcp_xml_writer_new(&c->w1, &wo, NULL))) {
            ntcp_error_set(&c->err, st, ntcp_cause_of_status(st), NTCP_STEP_RESOLVE, "%s", ntcp_status_str(st));
            goto fail;
        }
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
        if ((st = ntcp_tls_new(&c->tls, false, &to))) {
            const ntcp_tls_error *e = ntcp_tls_error_info(c->tls);
            ntcp_error_set(&c->err, st, ntcp_tls_cause_of(e->cause), NTCP_STEP_OPTIONS, "security options: %s",
                           ntcp_tls_last_error(c->tls));
            goto fail;
        }
        ntcp_tls_as_stream(c->tls, &c->up);
        co.upgrade = &c->up;
    } else if (c->o.security == NTCP_SECURITY_TRANSPORT) {
        ntcp_nns_options no = c->o.nns;
        if (!no.address_host)
            no.address_host = u.host;
        if ((st = ntcp_nns_new_initiator(&c->nns, &no, ntcp_gss_provider()))) {
            const ntcp_nns_error *e = ntcp_nns_error_info(c->nns);
            ntcp_error_set(&c->err, st, e ? ntcp_nns_cause(e) : ntcp_cause_of_status(st), NTCP_STEP_OPTIONS,
                           "security options: %s", ntcp_nns_last_error(c->nns));
            if (e)
                c->err.nns = *e;
            goto fail;
        }
        if (c->o.leg_cb)
            ntcp_nns_set_leg_cb(c->nns, c->o.leg_cb, c->o.leg_ctx);
        ntcp_nns_as_stream(c->nns, &c->up);
        if (h && h->before_handshake)
            ntcp_nns_set_start_hook(c->nns, h->before_handshake, h->ctx);
        co.upgrade = &c->up;
    }
    ntcp_error ce;
    st = ntcp_channel_open(&c->ch, url, &co, &ce);
    if (c->tls && h)
        h->tls_result = *ntcp_tls_get_result(c->tls);
    if (st) {
        const ntcp_nns_error *e = c->nns ? ntcp_nns_error_info(c->nns) : NULL;
        const ntcp_tls_error *te = c->tls ? ntcp_tls_error_info(c->tls) : NULL;
        c->err = ce;
        if (te && te->status) {
            ntcp_error_set(&c->err, te->status, ntcp_tls_cause_of(te->cause), ce.step, "opening %s: TLS: %s", url,
                           ntcp_tls_last_error(c->tls));
            st = te->status;
            if (h)
                h->tls_error = *te;
        } else if (e && e->status) {
            char buf[1500];
            ntcp_nns_error_format(e, buf, sizeof buf);
            ntcp_error_set(&c->err, e->status, ntcp_nns_cause(e), ce.step, "opening %s: security negotiation: %s",
                           url, buf);
            c->err.nns = *e;
            st = e->status;
        } else {
            char text[sizeof ce.text];
            snprintf(text, sizeof text, "%s", ce.text);
            ntcp_error_set(&c->err, st, ce.cause, ce.step, "opening %s: %s", url, text);
        }
        goto fail;
    }
    *out = c;
    return NTCP_OK;
fail:
    if (err)
        *err = c->err;
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
    ntcp_error err;
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
    pthread_mutex_lock(&j->mu); /* the caller reads it when it gives up */
    j->step = step;
    pthread_mutex_unlock(&j->mu);
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
    j->st = open_now(&j->c, j->url, &j->o, &j->h, &j->err);
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
                              ntcp_error *err)
{
    ntcp_client_options defaults;
    if (!o) {
        ntcp_client_options_init(&defaults);
        o = &defaults;
    }
    ntcp_package pkg = o->nns.protection == NTCP_PROTECTION_NONE ? NTCP_PACKAGE_NTLM : o->nns.package;
    if (o->security != NTCP_SECURITY_TRANSPORT || o->credential != NTCP_CREDENTIAL_WINDOWS ||
        pkg == NTCP_PACKAGE_NTLM || o->channel.open_timeout_ms <= 0) /* TLS: no KDC to wait for */
        return open_now(out, url, o, h, err); /* no KDC to wait for */
    *out = NULL;
    long long deadline = ntcp__now_ms() + o->channel.open_timeout_ms + OPEN_GRACE_MS;
    open_job *j = ntcp_calloc(1, sizeof *j);
    if (!j)
        return ntcp_error_set(err, NTCP_E_NOMEM, NTCP_CAUSE_OUT_OF_MEMORY, NTCP_STEP_RESOLVE, "out of memory");
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
        return ntcp_error_set(err, NTCP_E_NOMEM, NTCP_CAUSE_OUT_OF_MEMORY, NTCP_STEP_RESOLVE, "out of memory");
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
        if (err)
            *err = j->err;
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
    return ntcp_error_set(err, NTCP_E_TIMEOUT, NTCP_CAUSE_TIMEOUT, step,
                          "opening %s: %s: no answer within the open timeout (%d ms)%s", url,
                          ntcp_channel_step_name(step), o->channel.open_timeout_ms,
                          step == NTCP_STEP_HANDSHAKE ? ": the security handshake waits for the KDC or the service"
                                                      : "");
}

const ntcp_nns_result *ntcp_client_security(const ntcp_client *c)
{
    return c->nns ? ntcp_nns_get_result(c->nns) : NULL;
}

const ntcp_tls_result *ntcp_client_tls(const ntcp_client *c) { return c->tls ? ntcp_tls_get_result(c->tls) : NULL; }

const ntcp_error *ntcp_client_error(const ntcp_client *c) { return &c->err; }

/* A failure of the channel after the open: the security layer's cause when
 * it failed (an altered frame, say). */
static ntcp_status channel_failed(ntcp_client *c, ntcp_status st)
{
    c->err = *ntcp_channel_error(c->ch);
    const ntcp_nns_error *e = c->nns ? ntcp_nns_error_info(c->nns) : NULL;
    if (e && e->status) {
        c->err.nns = *e;
        c->err.cause = ntcp_nns_cause(e);
    }
    const ntcp_tls_error *te = c->tls ? ntcp_tls_error_info(c->tls) : NULL;
    if (te && te->status)
        ntcp_error_set(&c->err, st, ntcp_tls_cause_of(te->cause), c->err.step, "TLS: %s", ntcp_tls_last_error(c->tls));
    return st;
}

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
        return ntcp_error_set(&c->err, NTCP_E_LIMIT, NTCP_CAUSE_INVALID_ARGUMENT, NTCP_STEP_SEND,
                              "writing the request: more than %d headers", MAX_HEADERS);
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
        ntcp_error_set(&c->err, st, ntcp_cause_of_status(st), NTCP_STEP_SEND, "writing the request: %s (%s)%s",
                       ntcp_status_str(st), ntcp_status_name(st),
                       st == NTCP_E_XML_SYNTAX ? ": the body or a header is not well-formed XML" : "");
        ntcp_buf_free(out);
    }
    return st;
}

ntcp_status ntcp_client_call(ntcp_client *c, const char *action, const ntcp_header *headers, size_t nheaders,
                             const char *body, size_t body_len, ntcp_soap_msg *reply)
{
    ntcp_soap_msg_init(reply);
    ntcp_error_clear(&c->err);
    c->last_doc = c->last_body = NULL;
    c->last_body_len = 0;
    uint8_t rnd[16];
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
        return ntcp_error_set(&c->err, NTCP_E_IO, NTCP_CAUSE_IO_ERROR, NTCP_STEP_SEND, "no random message id");
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
    if (st)
        return channel_failed(c, st);
    size_t off = 0;
    st = c->w1 ? NTCP_OK : ntcp_xml_session_read_table(c->x.in, r, rl, &off); /* msbin1: no table */
    if (!st)
        st = ntcp_soap_read(r + off, rl - off, c->x.in, &c->o.xml, NULL, 2, reply);
    if (st)
        return ntcp_error_set(&c->err, st, ntcp_cause_of_status(st), NTCP_STEP_RECEIVE, "reading the reply: %s (%s)",
                              ntcp_status_str(st), ntcp_status_name(st));
    c->last_doc = r + off;
    c->last_body = reply->body_doc;
    c->last_body_len = reply->body_doc_len;
    if (reply->relates_to && strcmp(reply->relates_to, id) != 0)
        return ntcp_error_set(&c->err, NTCP_E_RECORD_SEQUENCE, NTCP_CAUSE_PROTOCOL, NTCP_STEP_RECEIVE,
                              "the reply relates to %s, not to the request %s", reply->relates_to, id);
    if (reply->is_fault) {
        bool ans = reply->fault_subcode && !strcmp(reply->fault_subcode, "ActionNotSupported");
        return ntcp_error_set(&c->err, NTCP_E_FAULT, ans ? NTCP_CAUSE_ACTION_NOT_SUPPORTED : NTCP_CAUSE_SERVICE_FAULT,
                              NTCP_STEP_RECEIVE, "the service answered with a fault: %s%s%s: %s",
                              reply->fault_code ? reply->fault_code : "", reply->fault_subcode ? "/" : "",
                              reply->fault_subcode ? reply->fault_subcode : "",
                              reply->fault_reason ? reply->fault_reason : "");
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
    ntcp_error_clear(&c->err);
    ntcp_buf out;
    ntcp_status st = write_message(c, action, NULL, NULL, 0, body, body_len, &out);
    if (st)
        return st;
    st = ntcp_channel_send(c->ch, out.data, out.len);
    if (st)
        channel_failed(c, st);
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
