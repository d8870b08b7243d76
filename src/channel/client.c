/* Calling a net.tcp service (see include/nettcp/client.h). */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <nettcp/client.h>
#include "channel/client_int.h"
#include "channel/channel_int.h"
#include "channel/dialog.h"
#include "channel/http.h"
#include "util/until.h"

/* One calling thread's state: its latest error and reply (valid until its
 * next call), and the call it has in flight. */
typedef struct tslot {
    pthread_t tid;
    ntcp_error err;
    uint8_t *doc;              /* the thread's last reply document (owned) */
    size_t doc_len;
    const uint8_t *body;       /* its Body's records, inside doc */
    size_t body_len;
    ntcp_xml_session *dict;    /* a copy of the incoming dictionary for its readers */
    ntcp_xml_reader *rd;
    pthread_cond_t cv;
    /* the call in flight */
    bool waiting, done;
    bool parked;               /* its thread sleeps on cv (not reading, not writing) */
    char id[46];
    ntcp_status st;            /* what the reader thread found for it */
    ntcp_soap_msg *reply;      /* where the reply goes */
    struct tslot *next;
} tslot;

#define ABANDONED 64 /* ids of calls that timed out: their late replies are dropped */

struct ntcp_client {
    ntcp_client_options o;
    ntcp_nns *nns;
    ntcp_tls *tls; /* instead of nns with credential certificate / none */
    ntcp_stream up;
    ntcp_channel *ch;
    ntcp__dialog x; /* session dictionaries and writer */
    char *owned[8];  /* option strings copied for an open on a thread (see below) */
    char url[2048];
    ntcp_error err;            /* the open's */
    ntcp_xml_writer *w1;       /* msbin1 encoding (no session dictionary): its writer */
    const char *const *headers; /* ntcp_client_set_headers: on every message, before the call's own */
    size_t nheaders;
    /* Concurrent calls (client.h): mu guards the framing session, the
     * security context, the dictionaries, the slots and the state below; wmu
     * orders writes on the socket (taken before mu). One waiting caller at a
     * time reads the socket (without mu) and hands each reply to its caller
     * by RelatesTo. */
    pthread_mutex_t mu, wmu;
    bool sync_ready;
    bool reading;              /* a caller is reading the socket */
    ntcp_status broken;        /* the session failed: every call fails with broken_err */
    ntcp_error broken_err;
    tslot *slots;
    size_t waiting;            /* calls in flight */
    char abandoned[ABANDONED][46];
    unsigned nabandoned;
    /* (wmu) a message's encoding and its wire bytes, kept for the next
     * message up to KEEP_BUF bytes: no allocation per call, which 64
     * threads calling at once pay for in malloc's arena locks */
    ntcp_buf msg_buf, wire_buf;
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
    for (tslot *t = c->slots, *n; t; t = n) {
        n = t->next;
        ntcp_xml_reader_free(t->rd);
        ntcp_xml_session_free(t->dict);
        ntcp_free(t->doc);
        pthread_cond_destroy(&t->cv);
        ntcp_free(t);
    }
    if (c->sync_ready) {
        pthread_mutex_destroy(&c->mu);
        pthread_mutex_destroy(&c->wmu);
    }
    ntcp_buf_free(&c->msg_buf);
    ntcp_buf_free(&c->wire_buf);
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
    pthread_mutex_init(&c->mu, NULL);
    pthread_mutex_init(&c->wmu, NULL);
    c->sync_ready = true;
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

/* ---- calls from several threads ---------------------------------------------
 * Every caller writes its request under wmu (the order on the wire) and mu
 * (the framing session, the security context and the outgoing dictionary),
 * copying the protected bytes out and writing them with mu released. Then it
 * waits: if no one reads the socket it reads it itself (mu released while
 * it waits for bytes), and every reply it decodes goes to the caller whose
 * MessageID its RelatesTo names; when its own reply came, or its deadline
 * passed, it hands the reading to another waiting caller. */

#define SEND_PART 1048576 /* a large request is protected and written a part of this size at a time */

static long long mono_ms(void) { return ntcp__now_ms(); }

static int ms_left(long long deadline)
{
    long long r = deadline - mono_ms();
    return r < 0 ? 0 : r > 0x7fffffff ? 0x7fffffff : (int)r;
}

/* The calling thread's slot (created on its first use); under mu. */
static tslot *slot_of(ntcp_client *c)
{
    pthread_t me = pthread_self();
    for (tslot *t = c->slots; t; t = t->next)
        if (pthread_equal(t->tid, me))
            return t;
    tslot *t = ntcp_calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->tid = me;
    ntcp_error_clear(&t->err);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&t->cv, &ca);
    pthread_condattr_destroy(&ca);
    t->next = c->slots;
    c->slots = t;
    return t;
}

static const ntcp_error no_error; /* status NTCP_OK, cause none */

const ntcp_error *ntcp_client_error(const ntcp_client *cc)
{
    ntcp_client *c = (ntcp_client *)cc;
    pthread_mutex_lock(&c->mu);
    pthread_t me = pthread_self();
    const ntcp_error *e = &no_error;
    for (tslot *t = c->slots; t; t = t->next)
        if (pthread_equal(t->tid, me))
            e = &t->err;
    pthread_mutex_unlock(&c->mu);
    return e;
}

/* The error of a channel failure: the security layer's cause when it failed
 * (an altered frame, say). Under mu. */
static void channel_error(ntcp_client *c, ntcp_status st, ntcp_error *out)
{
    *out = *ntcp_channel_error(c->ch);
    const ntcp_nns_error *e = c->nns ? ntcp_nns_error_info(c->nns) : NULL;
    if (e && e->status) {
        out->nns = *e;
        out->cause = ntcp_nns_cause(e);
    }
    const ntcp_tls_error *te = c->tls ? ntcp_tls_error_info(c->tls) : NULL;
    if (te && te->status)
        ntcp_error_set(out, st, ntcp_tls_cause_of(te->cause), out->step, "TLS: %s", ntcp_tls_last_error(c->tls));
    if (!out->status)
        out->status = st;
}

/* The session failed: every call in flight and every later one fails with
 * err. Under mu. */
static void break_session(ntcp_client *c, const ntcp_error *err)
{
    if (c->broken)
        return;
    c->broken = err->status ? err->status : NTCP_E_IO;
    c->broken_err = *err;
    for (tslot *t = c->slots; t; t = t->next)
        if (t->waiting && !t->done) {
            t->done = true;
            t->st = c->broken;
            t->err = *err;
            pthread_cond_signal(&t->cv);
        }
}

static void break_channel(ntcp_client *c, ntcp_channel_step step, ntcp_status st, const char *detail)
{
    ntcp__channel_fail(c->ch, step, st, detail);
    ntcp_error e;
    channel_error(c, st, &e);
    break_session(c, &e);
}

static void break_protocol(ntcp_client *c, const char *fmt, const char *a, size_t n)
{
    ntcp_error e;
    ntcp_error_clear(&e);
    ntcp_error_set(&e, NTCP_E_RECORD_SEQUENCE, NTCP_CAUSE_PROTOCOL, NTCP_STEP_RECEIVE, fmt, a, n);
    break_session(c, &e);
}

void ntcp_client_set_headers(ntcp_client *c, const char *const *headers, size_t n)
{
    pthread_mutex_lock(&c->wmu);
    c->headers = n ? headers : NULL;
    c->nheaders = headers ? n : 0;
    pthread_mutex_unlock(&c->wmu);
}

/* One request envelope: with a MessageID (and ReplyTo anonymous) when a
 * reply is expected, without for one-way messages. On failure out is freed
 * and err says why. Under wmu and mu. */
static ntcp_status write_message(ntcp_client *c, ntcp_error *err, const char *action, const char *id,
                                 const ntcp_header *headers, size_t nheaders, const char *body, size_t body_len,
                                 ntcp_buf *out)
{
    enum { MAX_HEADERS = 64 };
    if (nheaders + c->nheaders > MAX_HEADERS) {
        return ntcp_error_set(err, NTCP_E_LIMIT, NTCP_CAUSE_INVALID_ARGUMENT, NTCP_STEP_SEND,
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
    ntcp_buf_reset(out);
    out->max = (size_t)64 << 20;
    ntcp_status st = ntcp_soap_write(c->w1 ? c->w1 : c->x.w, &m, out);
    if (st) {
        ntcp_error_set(err, st, ntcp_cause_of_status(st), NTCP_STEP_SEND, "writing the request: %s (%s)%s",
                       ntcp_status_str(st), ntcp_status_name(st),
                       st == NTCP_E_XML_SYNTAX ? ": the body or a header is not well-formed XML" : "");
    }
    return st;
}

#define KEEP_BUF 65536

/* Empties b for the next message; frees it when it grew beyond KEEP_BUF. */
static void buf_recycle(ntcp_buf *b)
{
    if (b->cap > KEEP_BUF)
        ntcp_buf_free(b);
    ntcp_buf_reset(b);
}

/* Moves the framing session's output into out (under mu). */
static ntcp_status take_output(ntcp_client *c, ntcp_buf *out)
{
    ntcp_framing *f = ntcp_channel_framing(c->ch);
    const uint8_t *p;
    size_t n;
    ntcp_framing_output(f, &p, &n);
    ntcp_status st = n ? ntcp_buf_append(out, p, n) : NTCP_OK;
    if (!st)
        ntcp_framing_output_consumed(f, n);
    return st;
}

/* Builds, protects and writes one message; slot (may be NULL for a one-way
 * message) is registered as waiting before the bytes leave. Takes wmu and
 * mu; returns with neither. */
static ntcp_status send_message(ntcp_client *c, tslot *t, ntcp_error *err, const char *action, const char *id,
                                const ntcp_header *headers, size_t nheaders, const char *body, size_t body_len)
{
    pthread_mutex_lock(&c->wmu);
    pthread_mutex_lock(&c->mu);
    if (c->broken) {
        *err = c->broken_err;
        pthread_mutex_unlock(&c->mu);
        pthread_mutex_unlock(&c->wmu);
        return c->broken;
    }
    ntcp_buf *msg = &c->msg_buf, *wire = &c->wire_buf;
    ntcp_status st = write_message(c, err, action, id, headers, nheaders, body, body_len, msg);
    if (st) {
        buf_recycle(msg);
        pthread_mutex_unlock(&c->mu);
        pthread_mutex_unlock(&c->wmu);
        return st;
    }
    ntcp_framing *f = ntcp_channel_framing(c->ch);
    st = ntcp_framing_begin_envelope(f, msg->data, msg->len, SEND_PART);
    if (st) { /* refused before anything left (a limit, say): the call fails, the session goes on */
        ntcp__channel_fail(c->ch, NTCP_STEP_SEND, st, NULL);
        channel_error(c, st, err);
        buf_recycle(msg);
        pthread_mutex_unlock(&c->mu);
        pthread_mutex_unlock(&c->wmu);
        return st;
    }
    ntcp_buf_reset(wire);
    wire->max = (size_t)SEND_PART * 2 + 65536;
    if (t) {
        t->waiting = true;
        t->done = false;
        t->st = NTCP_OK;
        size_t idn = strnlen(id, sizeof t->id - 1);
        memcpy(t->id, id, idn);
        t->id[idn] = 0;
        c->waiting++;
    }
    int fd = ntcp__channel_conn(c->ch)->fd;
    long long deadline = mono_ms() + c->o.channel.send_timeout_ms;
    while (st == NTCP_OK) {
        if ((st = take_output(c, wire)))
            break;
        pthread_mutex_unlock(&c->mu);
        st = ntcp_tcp_write_all(fd, wire->data, wire->len, ms_left(deadline));
        ntcp_buf_reset(wire);
        pthread_mutex_lock(&c->mu);
        if (st)
            break;
        if (!ntcp_framing_envelope_pending(f))
            break;
        st = ntcp_framing_continue_envelope(f);
    }
    if (st) {
        /* a message half written, or refused by the framing session: the session is over */
        if (st == NTCP_E_TIMEOUT)
            ntcp__channel_timed_out(c->ch);
        if (!c->broken)
            break_channel(c, NTCP_STEP_SEND, st, NULL);
        *err = c->broken_err;
    }
    buf_recycle(wire);
    buf_recycle(msg);
    pthread_mutex_unlock(&c->mu);
    pthread_mutex_unlock(&c->wmu);
    return st;
}

/* One SizedEnvelope from the service: its dictionary table read (in wire
 * order), decoded, and handed to the call it relates to. Under mu. */
static void on_reply(ntcp_client *c, const uint8_t *r, size_t rl)
{
    size_t off = 0;
    ntcp_status st = c->w1 ? NTCP_OK : ntcp_xml_session_read_table(c->x.in, r, rl, &off); /* msbin1: no table */
    uint8_t *doc = NULL;
    ntcp_soap_msg m;
    ntcp_soap_msg_init(&m);
    if (!st && !(doc = ntcp_malloc(rl - off + 1)))
        st = NTCP_E_NOMEM;
    if (!st) {
        memcpy(doc, r + off, rl - off);
        st = ntcp_soap_read(doc, rl - off, c->x.in, &c->o.xml, NULL, 2, &m);
    }
    tslot *to = NULL;
    if (!st && m.relates_to) {
        for (tslot *t = c->slots; t && !to; t = t->next)
            if (t->waiting && !t->done && !strcmp(t->id, m.relates_to))
                to = t;
        if (!to) {
            for (unsigned i = 0; i < ABANDONED && i < c->nabandoned; i++)
                if (!strcmp(c->abandoned[i], m.relates_to))
                    goto drop; /* the late reply of a call that timed out */
            break_protocol(c,
                           "a reply relates to %s, which no call on this channel is waiting for (%zu in flight): "
                           "replies can no longer be matched to their calls, so the session is given up",
                           m.relates_to, c->waiting);
            goto drop;
        }
    } else if (c->waiting == 1) { /* no RelatesTo, or not readable: the one call in flight */
        for (tslot *t = c->slots; t && !to; t = t->next)
            if (t->waiting && !t->done)
                to = t;
    }
    if (!to) {
        if (st) {
            ntcp_error e;
            ntcp_error_clear(&e);
            ntcp_error_set(&e, st, ntcp_cause_of_status(st), NTCP_STEP_RECEIVE,
                           "reading a reply: %s (%s), with %zu calls in flight", ntcp_status_str(st),
                           ntcp_status_name(st), c->waiting);
            break_session(c, &e);
        } else {
            break_protocol(c,
                           "a reply without RelatesTo%s arrived while %zu calls are in flight: it cannot be matched "
                           "to its call, so the session is given up",
                           "", c->waiting);
        }
        goto drop;
    }
    to->done = true;
    if (st) {
        to->st = st;
        ntcp_error_set(&to->err, st, ntcp_cause_of_status(st), NTCP_STEP_RECEIVE, "reading the reply: %s (%s)",
                       ntcp_status_str(st), ntcp_status_name(st));
        ntcp_free(doc);
    } else {
        ntcp_free(to->doc);
        to->doc = doc;
        to->doc_len = rl - off;
        to->body = m.body_doc;
        to->body_len = m.body_doc_len;
        *to->reply = m;
    }
    pthread_cond_signal(&to->cv);
    return;
drop:
    ntcp_soap_msg_clear(&m);
    ntcp_free(doc);
}

/* Reads the socket for every waiting caller until t's reply came, the
 * session failed or t's deadline passed; then hands the reading on. Called
 * and returns under mu. */
static void lead(ntcp_client *c, tslot *t, long long deadline)
{
    c->reading = true;
    ntcp_conn *cn = ntcp__channel_conn(c->ch);
    ntcp_framing *f = ntcp_channel_framing(c->ch);
    while (!t->done && !c->broken) {
        ntcp_framing_event ev;
        memset(&ev, 0, sizeof ev);
        size_t used = 0;
        ntcp_status st = ntcp_framing_feed(f, cn->in + cn->in_off, cn->in_len - cn->in_off, &used, &ev);
        cn->in_off += used;
        if (st == NTCP_OK) {
            switch (ev.type) {
            case NTCP_FEV_ENVELOPE: on_reply(c, ev.data, ev.len); break;
            case NTCP_FEV_FAULT: break_channel(c, NTCP_STEP_RECEIVE, ev.fault_status, NULL); break;
            case NTCP_FEV_END: break_channel(c, NTCP_STEP_RECEIVE, NTCP_E_CLOSED, "the service ended the session"); break;
            default: break;
            }
            continue;
        }
        if (st != NTCP_AGAIN) {
            break_channel(c, NTCP_STEP_RECEIVE, st, NULL);
            break;
        }
        if (cn->in_off < cn->in_len)
            continue;
        if (cn->eof) {
            st = ntcp_framing_feed_eof(f, &ev);
            if (st)
                break_channel(c, NTCP_STEP_RECEIVE, st, NULL);
            else if (ev.type == NTCP_FEV_ENVELOPE)
                on_reply(c, ev.data, ev.len);
            else
                break_channel(c, NTCP_STEP_RECEIVE, NTCP_E_CONNECTION_RESET, "the service closed the connection");
            if (!c->broken)
                break_channel(c, NTCP_STEP_RECEIVE, NTCP_E_CONNECTION_RESET, "the service closed the connection");
            break;
        }
        cn->in_off = cn->in_len = 0;
        size_t n = 0;
        pthread_mutex_unlock(&c->mu);
        /* a reply is rarely there yet: wait for it before reading, rather
         * than a read that fails first */
        struct pollfd pfd = { cn->fd, POLLIN, 0 };
        int pr;
        while ((pr = poll(&pfd, 1, ms_left(deadline))) < 0 && errno == EINTR) {
        }
        st = pr == 0 ? NTCP_E_TIMEOUT : ntcp_tcp_read(cn->fd, cn->in, cn->in_cap, &n, ms_left(deadline));
        pthread_mutex_lock(&c->mu);
        if (st == NTCP_E_TIMEOUT)
            break; /* t's own deadline: the caller decides */
        if (st) {
            break_channel(c, NTCP_STEP_RECEIVE, st, NULL);
            break;
        }
        if (n == 0)
            cn->eof = 1;
        cn->in_len = n;
    }
    c->reading = false;
    /* a caller still writing its request is not parked: it finds nobody
     * reading when it comes to wait */
    for (tslot *o = c->slots; o; o = o->next)
        if (o != t && o->parked && !o->done) {
            pthread_cond_signal(&o->cv);
            break;
        }
}

/* Waits for t's reply (under mu). */
static void await_reply(ntcp_client *c, tslot *t)
{
    long long deadline = mono_ms() + c->o.channel.receive_timeout_ms;
    struct timespec ts;
    ts.tv_sec = (time_t)(deadline / 1000);
    ts.tv_nsec = (long)(deadline % 1000) * 1000000;
    while (!t->done) {
        if (!c->reading) {
            lead(c, t, deadline);
        } else {
            t->parked = true;
            int r = pthread_cond_timedwait(&t->cv, &c->mu, &ts);
            t->parked = false;
            if (r != ETIMEDOUT)
                continue;
        }
        if (!t->done && mono_ms() >= deadline) {
            /* as WCF: the call times out; a late reply is dropped, and the
             * session is aborted rather than closed */
            ntcp__channel_timed_out(c->ch);
            snprintf(c->abandoned[c->nabandoned++ % ABANDONED], sizeof c->abandoned[0], "%s", t->id);
            t->done = true;
            t->st = NTCP_E_TIMEOUT;
            ntcp_error_clear(&t->err);
            ntcp_error_set(&t->err, NTCP_E_TIMEOUT, NTCP_CAUSE_TIMEOUT, NTCP_STEP_RECEIVE,
                           "receive: %s (%s): no reply within the receive timeout (%d ms)",
                           ntcp_status_str(NTCP_E_TIMEOUT), ntcp_status_name(NTCP_E_TIMEOUT),
                           c->o.channel.receive_timeout_ms);
        }
    }
    t->waiting = false;
    c->waiting--;
}

ntcp_status ntcp_client_call(ntcp_client *c, const char *action, const ntcp_header *headers, size_t nheaders,
                             const char *body, size_t body_len, ntcp_soap_msg *reply)
{
    ntcp_soap_msg_init(reply);
    pthread_mutex_lock(&c->mu);
    tslot *t = slot_of(c);
    if (t) {
        ntcp_error_clear(&t->err);
        t->body = NULL;
        t->body_len = 0;
    }
    pthread_mutex_unlock(&c->mu);
    if (!t)
        return NTCP_E_NOMEM;
    /* MessageIDs from random bytes drawn 512 at a time per thread: one system call per 32 calls */
    static __thread uint8_t pool[512];
    static __thread size_t pool_left;
    uint8_t rnd[16];
    if (pool_left < sizeof rnd && getrandom(pool, sizeof pool, 0) == (ssize_t)sizeof pool)
        pool_left = sizeof pool;
    if (pool_left < sizeof rnd)
        return ntcp_error_set(&t->err, NTCP_E_IO, NTCP_CAUSE_IO_ERROR, NTCP_STEP_SEND, "no random message id");
    memcpy(rnd, pool + sizeof pool - pool_left, sizeof rnd);
    pool_left -= sizeof rnd;
    char id[46];
    ntcp_soap_message_id(rnd, id);
    t->reply = reply;
    ntcp_error err;
    ntcp_error_clear(&err);
    ntcp_status st = send_message(c, t, &err, action, id, headers, nheaders, body, body_len);
    pthread_mutex_lock(&c->mu);
    if (st) {
        if (t->waiting) {
            t->waiting = false;
            c->waiting--;
        }
        t->err = err;
        pthread_mutex_unlock(&c->mu);
        return st;
    }
    await_reply(c, t);
    st = t->st;
    pthread_mutex_unlock(&c->mu);
    if (st)
        return st;
    if (reply->is_fault) {
        bool ans = reply->fault_subcode && !strcmp(reply->fault_subcode, "ActionNotSupported");
        return ntcp_error_set(&t->err, NTCP_E_FAULT, ans ? NTCP_CAUSE_ACTION_NOT_SUPPORTED : NTCP_CAUSE_SERVICE_FAULT,
                              NTCP_STEP_RECEIVE, "the service answered with a fault: %s%s%s: %s",
                              reply->fault_code ? reply->fault_code : "", reply->fault_subcode ? "/" : "",
                              reply->fault_subcode ? reply->fault_subcode : "",
                              reply->fault_reason ? reply->fault_reason : "");
    }
    return NTCP_OK;
}

/* A reader on the calling thread's last reply, from offset p of its document:
 * with its own copy of the incoming dictionary, brought up to date (the
 * strings a reply uses were all there when it arrived). */
static ntcp_xml_reader *reader_on(ntcp_client *c, const uint8_t *p, size_t len)
{
    pthread_mutex_lock(&c->mu);
    tslot *t = NULL;
    for (tslot *s = c->slots; s && !t; s = s->next)
        if (pthread_equal(s->tid, pthread_self()))
            t = s;
    ntcp_status st = t && t->doc ? NTCP_OK : NTCP_E_STATE;
    if (!st && !t->dict)
        st = ntcp_xml_session_new(&t->dict, 0);
    uint32_t have = st ? 0 : ntcp_xml_session_count(t->dict), all = ntcp_xml_session_count(c->x.in);
    if (!st && have < all) { /* the strings it lacks, as one table */
        ntcp_buf tab, strs;
        ntcp_buf_init(&tab, 1u << 26);
        ntcp_buf_init(&strs, 1u << 26);
        for (uint32_t i = have; i < all && !st; i++) {
            uint32_t n;
            const char *s = ntcp_xml_session_string(c->x.in, 2 * i + 1, &n);
            st = ntcp_buf_put_string(&strs, s, n);
        }
        if (!st)
            st = ntcp_buf_put_varint(&tab, (uint32_t)strs.len);
        if (!st && strs.len)
            st = ntcp_buf_append(&tab, strs.data, strs.len);
        size_t off;
        if (!st)
            st = ntcp_xml_session_read_table(t->dict, tab.data, tab.len, &off);
        ntcp_buf_free(&tab);
        ntcp_buf_free(&strs);
    }
    pthread_mutex_unlock(&c->mu);
    if (st || (!t->rd && ntcp_xml_reader_new(&t->rd, &c->o.xml, t->dict) != NTCP_OK))
        return NULL;
    return ntcp_xml_reader_reset_fragment(t->rd, p, len) == NTCP_OK ? t->rd : NULL;
}

ntcp_xml_reader *ntcp_client_reply_body(ntcp_client *c)
{
    pthread_mutex_lock(&c->mu);
    tslot *t = NULL;
    for (tslot *s = c->slots; s && !t; s = s->next)
        if (pthread_equal(s->tid, pthread_self()))
            t = s;
    const uint8_t *b = t ? t->body : NULL;
    size_t bl = t ? t->body_len : 0;
    pthread_mutex_unlock(&c->mu);
    return b ? reader_on(c, b, bl) : NULL;
}

ntcp_xml_reader *ntcp_client_reply_header(ntcp_client *c, const ntcp_soap_msg *reply, size_t i)
{
    if (i >= reply->nheaders)
        return NULL;
    pthread_mutex_lock(&c->mu);
    tslot *t = NULL;
    for (tslot *s = c->slots; s && !t; s = s->next)
        if (pthread_equal(s->tid, pthread_self()))
            t = s;
    const uint8_t *doc = t && t->body ? t->doc : NULL;
    size_t dl = t ? t->doc_len : 0;
    pthread_mutex_unlock(&c->mu);
    const ntcp_soap_header *h = &reply->headers[i];
    if (!doc || h->offset + h->len > dl)
        return NULL;
    return reader_on(c, doc + h->offset, h->len);
}

ntcp_status ntcp_client_send(ntcp_client *c, const char *action, const char *body, size_t body_len)
{
    pthread_mutex_lock(&c->mu);
    tslot *t = slot_of(c);
    if (t)
        ntcp_error_clear(&t->err);
    pthread_mutex_unlock(&c->mu);
    if (!t)
        return NTCP_E_NOMEM;
    ntcp_error err;
    ntcp_error_clear(&err);
    ntcp_status st = send_message(c, NULL, &err, action, NULL, NULL, 0, body, body_len);
    if (st) {
        pthread_mutex_lock(&c->mu);
        t->err = err;
        pthread_mutex_unlock(&c->mu);
    }
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
