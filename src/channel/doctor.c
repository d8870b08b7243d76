/* Diagnosing a connection step by step (see include/nettcp/doctor.h). */
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <nettcp/doctor.h>
#include "channel/krbprobe.h"
#include "channel/directory.h"
#include "channel/client_int.h"
#include "util/until.h"

enum { S_RESOLVE, S_CONNECT, S_PREAMBLE, S_UPGRADE, S_TARGET, S_CREDENTIALS, S_KDC, S_DIRECTORY, S_HANDSHAKE,
       S_IDENTITY, S_PREAMBLE_ACK, S_REQUEST, S_CLOSE, S_COUNT };
static const char *const step_names[S_COUNT] = { "resolve",   "connect",   "preamble",     "upgrade", "target",
                                                 "credentials", "kdc",     "directory",    "handshake",
                                                 "identity",  "preamble_ack", "request",   "close" };

typedef struct doc {
    const ntcp_doctor_options *o;
    ntcp_doctor_report *r;
    const char *url;
    struct timespec t0;
    ntcp_url u;
    bool security;
    bool tls; /* TLS instead of NegotiateStream */
    ntcp_doctor_step slot[S_COUNT];
    bool filled[S_COUNT];
    /* what was seen */
    double t_connect, t_preamble, t_hs, t_hs_end;
    char via[300], mode[24], encoding[96], fault[300];
    bool upgrade_response;
    unsigned legs_sent, legs_received;
    size_t bytes_sent, bytes_received;
    /* the Kerberos checks */
    char target[256];
    bool is_upn, default_target;
    ntcp_cause probe_cause; /* the Kerberos checks' cause, none when they passed */
    ntcp_krb_creds_report creds;
    ntcp_krb_ticket_report ticket;
    bool ticket_ok;
    long long open_deadline; /* the Kerberos checks run within the open's deadline */
    int open_timeout_ms;
    /* the service's keytab, when given */
    ntcp_keytab_summary keytab;
    bool keytab_ok;
} doc;

void ntcp_doctor_options_init(ntcp_doctor_options *o)
{
    memset(o, 0, sizeof *o);
    ntcp_client_options_init(&o->client);
}

const char *ntcp_doctor_outcome_name(ntcp_doctor_outcome o)
{
    switch (o) {
    case NTCP_DOCTOR_OK: return "ok";
    case NTCP_DOCTOR_WARNING: return "warning";
    case NTCP_DOCTOR_FAILED: return "failed";
    case NTCP_DOCTOR_SKIPPED: return "skipped";
    }
    return "?";
}

static double now_ms(const doc *d)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - d->t0.tv_sec) * 1e3 + (double)(t.tv_nsec - d->t0.tv_nsec) / 1e6;
}

static void set_step(doc *d, int i, ntcp_doctor_outcome oc, double started, const char *fmt, ...)
{
    ntcp_doctor_step *s = &d->slot[i];
    double end = now_ms(d);
    s->name = step_names[i];
    s->outcome = oc;
    s->at_ms = end;
    s->ms = started >= 0 && started <= end ? end - started : 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->detail, sizeof s->detail, fmt, ap);
    va_end(ap);
    d->filled[i] = true;
    char ms[32];
    snprintf(ms, sizeof ms, "%.3f", s->ms);
    ntcp_trace_event(d->o->trace, "step", NULL, "name", s->name, "outcome", ntcp_doctor_outcome_name(oc), "step_ms",
                     ms, "detail", s->detail, NULL);
}

/* ---- observers of the open ------------------------------------------------ */
static void on_step(void *ctx, ntcp_channel_step st)
{
    doc *d = ctx;
    if (st == NTCP_STEP_CONNECT) {
        d->t_connect = now_ms(d);
    } else if (st == NTCP_STEP_PREAMBLE) {
        set_step(d, S_CONNECT, NTCP_DOCTOR_OK, d->t_connect, "TCP connection to %s port %s", d->u.host, d->u.port);
        d->t_preamble = now_ms(d);
    } else if (st == NTCP_STEP_PREAMBLE_ACK) {
        d->t_hs_end = now_ms(d);
    }
}

static void preamble_text(const doc *d, char *out, size_t cap)
{
    snprintf(out, cap, "via %s, mode %s, encoding %s", d->via, d->mode[0] ? d->mode : "?",
             d->encoding[0] ? d->encoding : "?");
}

static void on_record(void *ctx, bool sent, const ntcp_nmf_record *rec)
{
    doc *d = ctx;
    ntcp_trace_record(d->o->trace, sent, rec);
    if (sent) {
        switch (rec->type) {
        case NTCP_NMF_VIA:
            snprintf(d->via, sizeof d->via, "%.*s", (int)(rec->size < 256 ? rec->size : 256), (const char *)rec->data);
            break;
        case NTCP_NMF_MODE:
            snprintf(d->mode, sizeof d->mode, "%s", ntcp_nmf_mode_name(rec->mode) ? ntcp_nmf_mode_name(rec->mode) : "?");
            break;
        case NTCP_NMF_KNOWN_ENCODING: {
            const char *ct = ntcp_nmf_encoding_content_type(rec->encoding);
            snprintf(d->encoding, sizeof d->encoding, "0x%02X (%s)", rec->encoding, ct ? ct : "?");
            break;
        }
        case NTCP_NMF_EXTENSIBLE_ENCODING:
            snprintf(d->encoding, sizeof d->encoding, "%.*s", (int)(rec->size < 80 ? rec->size : 80),
                     (const char *)rec->data);
            break;
        default: break;
        }
        return;
    }
    if (rec->type == NTCP_NMF_UPGRADE_RESPONSE) {
        char p[512];
        preamble_text(d, p, sizeof p);
        d->upgrade_response = true;
        set_step(d, S_PREAMBLE, NTCP_DOCTOR_OK, d->t_preamble, "%s: accepted", p);
        set_step(d, S_UPGRADE, NTCP_DOCTOR_OK, -1, "the service accepted the upgrade to %s",
                 d->tls ? "application/ssl-tls (TLS)" : "application/negotiate (NegotiateStream)");
        if (d->tls) { /* the Kerberos steps do not apply; the handshake starts now */
            set_step(d, S_TARGET, NTCP_DOCTOR_OK, -1, "the certificate identity %s%s",
                     d->o->client.tls.identity ? d->o->client.tls.identity : "dns:",
                     d->o->client.tls.identity ? "" : d->u.host);
            if (d->o->client.credential == NTCP_CREDENTIAL_CERTIFICATE)
                set_step(d, S_CREDENTIALS, NTCP_DOCTOR_OK, -1, "the client certificate %s",
                         d->o->client.tls.cert_file ? d->o->client.tls.cert_file : "(none given)");
            else
                set_step(d, S_CREDENTIALS, NTCP_DOCTOR_SKIPPED, -1,
                         "credential none: the client presents no certificate");
            set_step(d, S_KDC, NTCP_DOCTOR_SKIPPED, -1, "TLS does not use a KDC");
            d->t_hs = now_ms(d);
        }
    } else if (rec->type == NTCP_NMF_FAULT) {
        snprintf(d->fault, sizeof d->fault, "%.*s", (int)(rec->size < 256 ? rec->size : 256), (const char *)rec->data);
    }
}

static void on_leg(void *ctx, bool sent, uint8_t id, size_t len)
{
    doc *d = ctx;
    ntcp_trace_leg(d->o->trace, sent, id, len);
    if (sent) {
        d->legs_sent++;
        d->bytes_sent += len;
    } else {
        d->legs_received++;
        d->bytes_received += len;
    }
}

static void fmt_time(int64_t t, char *out, size_t cap)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (t <= 0 || !gmtime_r(&tt, &tm) || !strftime(out, cap, "%Y-%m-%d %H:%M:%S UTC", &tm))
        snprintf(out, cap, "unknown");
}

static void probe_fail(doc *d, const ntcp_nns_error *e)
{
    ntcp_nns_error pe = *e;
    pe.default_target = d->default_target;
    d->probe_cause = ntcp_nns_cause(&pe);
}

/* The Kerberos checks on a thread, with their own copies of what they read
 * (util/until.h): a KDC that does not answer holds them as long as MIT's
 * retries last, the doctor only until the open's deadline. */
typedef struct probe_job {
    ntcp_nns_options o;
    char *strs[4];
    char target[256];
    bool is_upn, want_ticket;
    ntcp_krb_probe *p;
    ntcp_krb_creds_report creds;
    ntcp_krb_ticket_report tk;
    ntcp_nns_error ce, te;
    ntcp_status cst, tst;
} probe_job;

static void probe_job_free(probe_job *j)
{
    for (int i = 0; i < 4; i++)
        if (j->strs[i]) {
            explicit_bzero(j->strs[i], strlen(j->strs[i]));
            ntcp_free(j->strs[i]);
        }
    ntcp_krb_probe_free(j->p);
    ntcp_free(j);
}

static void probe_work(void *arg)
{
    probe_job *j = arg;
    j->cst = ntcp_krb_probe_credentials(&j->p, &j->o, (int64_t)time(NULL), &j->creds, &j->ce);
    if (!j->cst && j->want_ticket)
        j->tst = ntcp_krb_probe_ticket(j->p, j->target, j->is_upn, &j->tk, &j->te);
}

static void probe_abandoned(void *arg) { probe_job_free(arg); }

static bool probe_copy(probe_job *j, int i, const char **field)
{
    if (!*field)
        return true;
    j->strs[i] = ntcp_strndup(*field, strlen(*field));
    *field = j->strs[i];
    return j->strs[i] != NULL;
}

static void dir_facts(const doc *d, ntcp_dir_facts *f, bool key_failure)
{
    memset(f, 0, sizeof *f);
    f->target = d->target;
    f->is_upn = d->is_upn;
    f->default_target = d->default_target;
    f->key_failure = key_failure;
    f->ticket_etype = d->ticket_ok ? d->ticket.etype : 0;
    f->ticket_kvno = d->ticket_ok ? d->ticket.kvno : -1;
    f->keytab = d->keytab_ok ? &d->keytab : NULL;
    f->delegate = d->o->client.nns.allowed_impersonation == NTCP_IMPERSONATION_DELEGATION;
}

/* The directory: which accounts hold the target, read over LDAP with the
 * client's tickets (p), where the realm is an Active Directory. */
static void check_directory(doc *d, ntcp_krb_probe *p)
{
    ntcp_doctor_report *r = d->r;
    double t = now_ms(d);
    char url[300];
    const char *what = "which account holds the name, its encryption types and account flags were not checked";
    if (d->o->no_ldap) {
        snprintf(r->dir_note, sizeof r->dir_note, "not read (--no-ldap): %s", what);
        set_step(d, S_DIRECTORY, NTCP_DOCTOR_SKIPPED, -1, "%s", r->dir_note);
        return;
    }
    if (d->o->ldap_url) {
        snprintf(url, sizeof url, "%s", d->o->ldap_url);
    } else {
        char host[256];
        ntcp_krb_realm_kdc_host(d->creds.realm, host, sizeof host);
        if (!host[0]) {
            snprintf(r->dir_note, sizeof r->dir_note, "not read: krb5.conf names no KDC for %s and no --ldap URL was "
                     "given: %s", d->creds.realm, what);
            set_step(d, S_DIRECTORY, NTCP_DOCTOR_SKIPPED, -1, "%s", r->dir_note);
            return;
        }
        snprintf(url, sizeof url, "ldap://%s%s%s", strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "");
    }
    char cc[512], why[768];
    ntcp_krb_probe_ccache(p, cc, sizeof cc);
    ntcp_status st = ntcp_dir_lookup(url, cc, d->target, d->is_upn, &r->dir, why, sizeof why);
    ntcp_trace_event(d->o->trace, "probe", NULL, "what", "directory", "url", url, "status", ntcp_status_name(st), NULL);
    if (st) {
        snprintf(r->dir_note, sizeof r->dir_note, "not read: %s; %s", why, what);
        set_step(d, S_DIRECTORY, NTCP_DOCTOR_SKIPPED, t, "%s", r->dir_note);
        return;
    }
    r->dir_checked = true;
    ntcp_dir_facts f;
    dir_facts(d, &f, false);
    char detail[700];
    ntcp_cause cause = ntcp_dir_assess(&r->dir, &f, detail, sizeof detail);
    snprintf(r->dir_note, sizeof r->dir_note, "%s", detail);
    set_step(d, S_DIRECTORY, cause ? NTCP_DOCTOR_WARNING : NTCP_DOCTOR_OK, t, "%s %s: %s%s%s", url, r->dir.filter,
             detail, cause ? " (cause " : "", cause ? ntcp_cause_id(cause) : "");
    if (cause)
        snprintf(d->slot[S_DIRECTORY].detail + strlen(d->slot[S_DIRECTORY].detail),
                 sizeof d->slot[S_DIRECTORY].detail - strlen(d->slot[S_DIRECTORY].detail), ")");
}

/* The Kerberos checks, run when the service accepted the upgrade, before
 * the first handshake message: target name, credentials, service ticket. */
static ntcp_status before_handshake(void *ctx)
{
    doc *d = ctx;
    const ntcp_nns_options *no = &d->o->client.nns;
    double t = now_ms(d);
    const char *id = no->identity;
    ntcp_status st = ntcp_nns_target_name(id, d->u.host, d->target, sizeof d->target, &d->is_upn);
    d->default_target = !id || !*id || !strcmp(id, "none") || !strncmp(id, "dns:", 4);
    bool ip_host = strspn(d->u.host, "0123456789.") == strlen(d->u.host) || strchr(d->u.host, ':');
    if (st) {
        set_step(d, S_TARGET, NTCP_DOCTOR_FAILED, t, "the identity %s is not dns:NAME, spn:VALUE or upn:USER@DOMAIN",
                 id ? id : "");
    } else if (!id || !*id || !strcmp(id, "none")) {
        set_step(d, S_TARGET, ip_host ? NTCP_DOCTOR_WARNING : NTCP_DOCTOR_OK, t,
                 "%s, derived from the address because no identity was given (what WCF does when the client "
                 "endpoint has no <identity> element)%s",
                 d->target, ip_host ? "; an IP address rarely has an SPN: give --identity" : "");
    } else if (!strncmp(id, "dns:", 4)) {
        bool vs_template = !strcmp(id + 4, "localhost") && strcmp(d->u.host, "localhost") != 0;
        set_step(d, S_TARGET, vs_template ? NTCP_DOCTOR_WARNING : NTCP_DOCTOR_OK, t, "%s, from the DNS identity %s%s",
                 d->target, id + 4,
                 vs_template ? "; <dns value=\"localhost\"/> is the identity Visual Studio's templates write: it "
                               "names the service only when client and service run on the same machine"
                             : "");
    } else if (d->is_upn) {
        set_step(d, S_TARGET, NTCP_DOCTOR_OK, t, "%s, the user principal the service runs as (UPN identity)",
                 d->target);
    } else {
        set_step(d, S_TARGET, NTCP_DOCTOR_OK, t, "%s, the SPN given as the identity", d->target);
    }
    ntcp_package pkg = no->protection == NTCP_PROTECTION_NONE ? NTCP_PACKAGE_NTLM : no->package;
    t = now_ms(d);
    if (pkg == NTCP_PACKAGE_NTLM) {
        const char *why = no->package == NTCP_PACKAGE_NTLM ? "the package NTLM was asked for"
                                                          : "ProtectionLevel None makes NegotiateStream use NTLM";
        if (no->user)
            set_step(d, S_CREDENTIALS, NTCP_DOCTOR_OK, t, "NTLM (%s): user %s with a password", why, no->user);
        else
            set_step(d, S_CREDENTIALS, NTCP_DOCTOR_OK, t, "NTLM (%s): the default NTLM credentials (NTLM_USER_FILE)",
                     why);
        set_step(d, S_KDC, NTCP_DOCTOR_SKIPPED, -1, "NTLM does not use a KDC");
        snprintf(d->r->dir_note, sizeof d->r->dir_note, "not read: NTLM gives no Kerberos tickets to read it with");
        set_step(d, S_DIRECTORY, NTCP_DOCTOR_SKIPPED, -1, "%s", d->r->dir_note);
    } else if (no->anonymous && !no->user) {
        set_step(d, S_CREDENTIALS, NTCP_DOCTOR_OK, t,
                 "anonymous logon: an anonymous ticket by anonymous PKINIT, checked in the handshake");
        set_step(d, S_KDC, NTCP_DOCTOR_SKIPPED, -1, "the anonymous ticket is asked for in the handshake");
        snprintf(d->r->dir_note, sizeof d->r->dir_note, "not read: an anonymous logon cannot read it");
        set_step(d, S_DIRECTORY, NTCP_DOCTOR_SKIPPED, -1, "%s", d->r->dir_note);
    } else {
        probe_job *j = ntcp_calloc(1, sizeof *j);
        if (!j || (j->o = *no, !probe_copy(j, 0, &j->o.user) || !probe_copy(j, 1, &j->o.password) ||
                   !probe_copy(j, 2, &j->o.client_keytab) || !probe_copy(j, 3, &j->o.ccache))) {
            if (j)
                probe_job_free(j);
            return NTCP_E_NOMEM;
        }
        j->ce.krb5_error = j->te.krb5_error = -1;
        snprintf(j->target, sizeof j->target, "%s", d->target);
        j->is_upn = d->is_upn;
        j->want_ticket = st == NTCP_OK;
        if (!ntcp__run_until(probe_work, probe_abandoned, j, d->open_deadline)) {
            d->probe_cause = NTCP_CAUSE_TIMEOUT;
            set_step(d, S_CREDENTIALS, NTCP_DOCTOR_FAILED, t,
                     "no answer from the KDC within the open timeout (%d ms): it does not answer, or answers too "
                     "slowly", d->open_timeout_ms);
            set_step(d, S_KDC, NTCP_DOCTOR_SKIPPED, -1, "the KDC did not answer the first request");
            snprintf(d->r->dir_note, sizeof d->r->dir_note, "not read: the KDC did not answer");
            set_step(d, S_DIRECTORY, NTCP_DOCTOR_SKIPPED, -1, "%s", d->r->dir_note);
            d->t_hs = now_ms(d);
            return NTCP_E_TIMEOUT; /* the handshake would wait for the same KDC */
        }
        ntcp_krb_probe *p = j->p;
        j->p = NULL;
        d->creds = j->creds;
        ntcp_nns_error e = j->ce;
        if (j->cst) {
            probe_fail(d, &e);
            set_step(d, S_CREDENTIALS, NTCP_DOCTOR_FAILED, t, "%s%s%s%s: %s", e.detail,
                     d->creds.source[0] ? " (from the " : "", d->creds.source, d->creds.source[0] ? ")" : "",
                     e.gss_text[0] ? e.gss_text : ntcp_status_str(e.status));
            set_step(d, S_KDC, NTCP_DOCTOR_SKIPPED, -1, "no client credentials to ask with");
            snprintf(d->r->dir_note, sizeof d->r->dir_note,
                     "not read: no client Kerberos credentials to read it with");
            set_step(d, S_DIRECTORY, NTCP_DOCTOR_SKIPPED, -1, "%s", d->r->dir_note);
        } else {
            char from[48], until[48];
            fmt_time(d->creds.starts, from, sizeof from);
            fmt_time(d->creds.expires, until, sizeof until);
            set_step(d, S_CREDENTIALS, NTCP_DOCTOR_OK, t, "%s from the %s; ticket-granting ticket valid %s to %s",
                     d->creds.principal, d->creds.source, from, until);
            t = now_ms(d);
            ntcp_krb_ticket_report tk = j->tk;
            e = j->te;
            if (st == NTCP_OK && j->tst == NTCP_OK) {
                char until2[48];
                d->ticket = tk;
                d->ticket_ok = true;
                fmt_time(tk.expires, until2, sizeof until2);
                set_step(d, S_KDC, NTCP_DOCTOR_OK, t,
                         "the KDC issued a service ticket for %s (key version %d, %s%s%s%s), valid to %s", tk.server,
                         tk.kvno, tk.enctype, tk.name_form ? ", asked as " : "", tk.name_form ? tk.name_form : "",
                         tk.ok_as_delegate ? ", trusted for delegation" : "", until2);
            } else if (st == NTCP_OK) {
                probe_fail(d, &e);
                set_step(d, S_KDC, NTCP_DOCTOR_FAILED, t, "%s: %s (cause %s)", e.detail, e.gss_text,
                         ntcp_cause_id(d->probe_cause));
            } else {
                set_step(d, S_KDC, NTCP_DOCTOR_SKIPPED, -1, "no target name");
            }
            if (st == NTCP_OK)
                check_directory(d, p);
            else
                set_step(d, S_DIRECTORY, NTCP_DOCTOR_SKIPPED, -1, "no target name");
        }
        ntcp_krb_probe_free(p);
        probe_job_free(j);
    }
    d->t_hs = now_ms(d);
    return NTCP_OK; /* the handshake gives the verdict, as a call would meet it */
}

/* ---- the run ------------------------------------------------------------------ */
static void fill_resolve(doc *d)
{
    double t = now_ms(d);
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(d->u.host, d->u.port, &hints, &res);
    if (rc) {
        set_step(d, S_RESOLVE, NTCP_DOCTOR_FAILED, t, "%s does not resolve: %s", d->u.host, gai_strerror(rc));
        return;
    }
    char list[600] = "";
    size_t n = 0, count = 0;
    for (struct addrinfo *a = res; a && count < 6; a = a->ai_next) {
        char h[80];
        if (getnameinfo(a->ai_addr, a->ai_addrlen, h, sizeof h, NULL, 0, NI_NUMERICHOST))
            continue;
        if (strstr(list, h))
            continue;
        int w = snprintf(list + n, sizeof list - n, "%s%s", count ? ", " : "", h);
        if (w < 0 || (size_t)w >= sizeof list - n)
            break;
        n += (size_t)w;
        count++;
    }
    freeaddrinfo(res);
    set_step(d, S_RESOLVE, NTCP_DOCTOR_OK, t, "%s -> %s", d->u.host, list);
}

static void add_advice(doc *d, const char *fmt, ...)
{
    size_t n = strlen(d->r->advice);
    if (n + 2 >= sizeof d->r->advice)
        return;
    if (n)
        d->r->advice[n++] = ' ';
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->r->advice + n, sizeof d->r->advice - n, fmt, ap);
    va_end(ap);
}

/* A second, short connection with the same address but no upgrade: does
 * the service accept a session without security? (a service that runs
 * with SecurityMode None and ignores an upgrade request, as Mono's does) */
static bool without_upgrade(doc *d)
{
    ntcp_channel_options co = d->o->client.channel;
    co.upgrade = NULL;
    co.record_cb = NULL;
    co.step_cb = NULL;
    int t = co.open_timeout_ms < 5000 ? co.open_timeout_ms : 5000;
    co.open_timeout_ms = co.close_timeout_ms = t;
    ntcp_channel *ch = NULL;
    ntcp_status st = ntcp_channel_open(&ch, d->url, &co, NULL);
    ntcp_trace_event(d->o->trace, "probe", NULL, "what", "a session without upgrade", "status", ntcp_status_name(st),
                     NULL);
    if (st)
        return false;
    if (ntcp_channel_close(ch)) {
    } /* its End is not the question */
    return true;
}

/* Which step an open failure belongs to, and what it says. */
static void place_open_failure(doc *d, ntcp_status st)
{
    ntcp_error *err = &d->r->error;
    /* the failing layer's own words, without the client's "opening URL: " */
    const char *short_err = err->text;
    size_t ul = strlen(d->url);
    if (!strncmp(short_err, "opening ", 8) && !strncmp(short_err + 8, d->url, ul) && !strncmp(short_err + 8 + ul, ": ", 2))
        short_err += 10 + ul;
    char p[512];
    preamble_text(d, p, sizeof p);
    ntcp_channel_step at = err->step;
    if (err->nns.status || (d->upgrade_response && at <= NTCP_STEP_HANDSHAKE))
        at = NTCP_STEP_HANDSHAKE; /* the handshake runs inside the preamble's event loop */
    switch (at) {
    case NTCP_STEP_RESOLVE:
        if (!d->filled[S_RESOLVE] || d->slot[S_RESOLVE].outcome != NTCP_DOCTOR_FAILED)
            set_step(d, S_RESOLVE, NTCP_DOCTOR_FAILED, -1, "%s", short_err);
        break;
    case NTCP_STEP_CONNECT:
        set_step(d, S_CONNECT, NTCP_DOCTOR_FAILED, d->t_connect, "%s port %s: %s%s", d->u.host, d->u.port,
                 ntcp_status_str(st),
                 st == NTCP_E_TIMEOUT ? " (no answer at all: a firewall that drops packets, or a wrong address)" : "");
        break;
    case NTCP_STEP_PREAMBLE:
        if (d->fault[0] && (st == NTCP_E_UPGRADE_INVALID || st == NTCP_E_ACCESS_DENIED || st == NTCP_E_UPGRADE_REQUIRED)) {
            set_step(d, S_PREAMBLE, NTCP_DOCTOR_OK, d->t_preamble, "%s: accepted", p);
            if (d->security)
                set_step(d, S_UPGRADE, NTCP_DOCTOR_FAILED, d->t_preamble,
                         "the service refused the security upgrade (application/negotiate) with the framing fault "
                         "%s: it runs without transport security (SecurityMode None) or with another kind",
                         d->fault);
            else
                set_step(d, S_UPGRADE, NTCP_DOCTOR_FAILED, d->t_preamble,
                         "no upgrade was asked for (security None) and the service answered PreambleEnd with the "
                         "framing fault %s: it requires transport security",
                         d->fault);
        } else if (d->fault[0]) {
            set_step(d, S_PREAMBLE, NTCP_DOCTOR_FAILED, d->t_preamble, "%s: the service answered with the framing fault %s",
                     p, d->fault);
        } else if (!d->security && (st == NTCP_E_CONNECTION_RESET || st == NTCP_E_CLOSED)) {
            set_step(d, S_PREAMBLE, NTCP_DOCTOR_OK, d->t_preamble, "%s: sent, with PreambleEnd", p);
            set_step(d, S_UPGRADE, NTCP_DOCTOR_FAILED, d->t_preamble,
                     "no upgrade was asked for (security None) and the service closed the connection without a "
                     "fault: a WCF service does this when it requires transport security");
        } else if (d->security && (st == NTCP_E_TIMEOUT || st == NTCP_E_CONNECTION_RESET) && without_upgrade(d)) {
            set_step(d, S_PREAMBLE, NTCP_DOCTOR_OK, d->t_preamble, "%s: sent, with the upgrade request", p);
            set_step(d, S_UPGRADE, NTCP_DOCTOR_FAILED, d->t_preamble,
                     "the service %s the upgrade request (application/negotiate) instead of answering it, yet a "
                     "second connection without an upgrade was accepted (PreambleAck): the service runs without "
                     "transport security (SecurityMode None)",
                     st == NTCP_E_TIMEOUT ? "ignored" : "closed the connection on");
            err->cause = NTCP_CAUSE_SECURITY_MODE_MISMATCH;
        } else if (st == NTCP_E_TIMEOUT) {
            set_step(d, S_PREAMBLE, NTCP_DOCTOR_FAILED, d->t_preamble,
                     "%s: no answer within the open timeout (%d ms): something accepts TCP connections at this "
                     "port but does not answer as a net.tcp service (another protocol, a TLS endpoint, a proxy), "
                     "or the service is stalled (a Mono WCF service without transport security stops answering "
                     "after an upgrade request)",
                     p, d->o->client.channel.open_timeout_ms);
        } else {
            set_step(d, S_PREAMBLE, NTCP_DOCTOR_FAILED, d->t_preamble, "%s: %s", p, short_err);
        }
        break;
    case NTCP_STEP_HANDSHAKE:
    case NTCP_STEP_UPGRADE: {
        const ntcp_nns_error *e = &err->nns;
        char buf[2048];
        if (e->status) {
            ntcp_nns_error_format(e, buf, sizeof buf); /* cause and advice are printed apart */
        } else {
            snprintf(buf, sizeof buf, "%s", short_err);
        }
        if (e->status && e->step == NTCP_NNS_STEP_IDENTITY) {
            set_step(d, S_HANDSHAKE, NTCP_DOCTOR_OK, d->t_hs, "completed (handshake messages: %u sent, %u received)",
                     d->legs_sent, d->legs_received);
            set_step(d, S_IDENTITY, NTCP_DOCTOR_FAILED, -1, "%s", buf);
        } else {
            set_step(d, S_HANDSHAKE, NTCP_DOCTOR_FAILED, d->t_hs, "%s (handshake messages: %u sent, %u received)",
                     buf, d->legs_sent, d->legs_received);
        }
        break;
    }
    default:
        set_step(d, S_PREAMBLE_ACK, NTCP_DOCTOR_FAILED, d->t_hs_end > 0 ? d->t_hs_end : -1, "%s", short_err);
        break;
    }
}

static void explain(doc *d)
{
    ntcp_doctor_report *r = d->r;
    const ntcp_nns_options *no = &d->o->client.nns;
    ntcp_cause cause = r->error.cause != NTCP_CAUSE_NONE ? r->error.cause : ntcp_cause_of_status(r->error.status);
    if (d->probe_cause != NTCP_CAUSE_NONE &&
        (cause == NTCP_CAUSE_UNKNOWN || cause == NTCP_CAUSE_PROTOCOL || cause == NTCP_CAUSE_NO_CREDENTIALS))
        cause = d->probe_cause; /* the direct question to the KDC was more precise */
    /* the directory may know better why a ticket could not be used */
    bool key_failure = cause == NTCP_CAUSE_SERVICE_KEY_MISMATCH || cause == NTCP_CAUSE_DEFAULT_SPN_NOT_SERVICE;
    bool key_family = key_failure || cause == NTCP_CAUSE_SPN_UNKNOWN || cause == NTCP_CAUSE_UNKNOWN ||
                      cause == NTCP_CAUSE_PROTOCOL;
    ntcp_cause dir_cause = NTCP_CAUSE_NONE;
    char dir_detail[700] = "";
    if (r->dir_checked && key_family) {
        ntcp_dir_facts f;
        dir_facts(d, &f, key_failure);
        dir_cause = ntcp_dir_assess(&r->dir, &f, dir_detail, sizeof dir_detail);
    }
    /* without the directory's word, the service's keytab against the ticket */
    ntcp_cause kt_cause = NTCP_CAUSE_NONE;
    char kt_detail[600] = "";
    if (!dir_cause && key_failure && d->keytab_ok && d->ticket_ok)
        kt_cause = ntcp_keytab_assess(&d->keytab, d->ticket.server, d->ticket.etype, d->ticket.kvno, kt_detail,
                                      sizeof kt_detail);
    if (dir_cause)
        cause = dir_cause;
    else if (kt_cause)
        cause = kt_cause;
    r->error.cause = cause;
    if (dir_cause) {
        add_advice(d, "The directory (%s) says: %s. %s.", r->dir.url, dir_detail, ntcp_cause_advice(dir_cause));
    } else if (kt_cause) {
        add_advice(d, "The service's keytab (--service-keytab): %s. %s.", kt_detail, ntcp_cause_advice(kt_cause));
    } else if (cause == NTCP_CAUSE_DEFAULT_SPN_NOT_SERVICE) {
        const char *id = no->identity;
        bool dns = id && !strncmp(id, "dns:", 4);
        add_advice(d,
                   "%s: the client asked for %s; %s. Give the "
                   "service's identity: --identity spn:<the SPN in the service's keytab> or --identity upn:<the "
                   "account it runs as> (in a WCF client config: <identity><servicePrincipalName value=\"...\"/>"
                   "</identity> in the endpoint), or register %s for the account the service runs as.",
                   dns ? "The identity was a DNS name (dns:), which stands for the SPN host/<name>"
                       : "No identity was given, so the SPN came from the address",
                   d->target[0] ? d->target : "host/<host>",
                   r->error.nns.remote ? "the KDC issued a ticket for it, but the service holds no key for that "
                                              "name: it runs as another account"
                                            : "the KDC does not know that name",
                   d->target[0] ? d->target : "it");
    } else {
        add_advice(d, "%s.", ntcp_cause_advice(cause));
    }
    if (cause == NTCP_CAUSE_SPN_UNKNOWN) {
        add_advice(d, "The KDC has no principal %s: check the spelling and register it for the service's account "
                      "(AD: setspn -S %s <account>; MIT: kadmin addprinc -randkey %s and ktadd it to the service's "
                      "keytab).",
                   d->target, d->target, d->target);
    } else if (cause == NTCP_CAUSE_SERVICE_KEY_MISMATCH && d->ticket_ok) {
        add_advice(d, "The KDC encrypted the ticket in key version %d (%s) of %s: the service's keytab must hold "
                      "exactly that key (compare with klist -kte on the keytab; MIT: kadmin ktadd; AD: ktpass, or "
                      "setspn -Q %s to find the account that owns the SPN).",
                   d->ticket.kvno, d->ticket.enctype, d->ticket.server, d->target);
    } else if (cause == NTCP_CAUSE_NTLM_FALLBACK && d->probe_cause != NTCP_CAUSE_NONE) {
        add_advice(d, "Kerberos was not used: %s (see the kdc step): %s.", ntcp_cause_id(d->probe_cause),
                   ntcp_cause_advice(d->probe_cause));
    } else if (cause == NTCP_CAUSE_NTLM_WITHOUT_SERVER_AUTH) {
        add_advice(d, "With nettcp, --no-require-server-auth accepts NTLM (the service is then not authenticated).");
        add_advice(d, "NTLM was used because %s.",
                   no->package == NTCP_PACKAGE_NTLM ? "--package ntlm was given"
                   : no->protection == NTCP_PROTECTION_NONE ? "ProtectionLevel None makes NegotiateStream use NTLM"
                                                            : "the service offered only NTLM");
    }
    if (key_failure && !kt_cause && kt_detail[0])
        add_advice(d, "The service's keytab (--service-keytab): %s.", kt_detail);
    if (key_family && !dir_cause && d->security && r->dir_note[0])
        add_advice(d, "Directory: %s.", r->dir_note);
    if (no->package == NTCP_PACKAGE_NEGOTIATE && no->require_server_auth &&
        (cause == NTCP_CAUSE_KDC_UNREACHABLE || cause == NTCP_CAUSE_NO_CREDENTIALS || cause == NTCP_CAUSE_UNKNOWN_USER ||
         cause == NTCP_CAUSE_SPN_UNKNOWN || cause == NTCP_CAUSE_DEFAULT_SPN_NOT_SERVICE ||
         cause == NTCP_CAUSE_CREDENTIALS_EXPIRED))
        add_advice(d, "Kerberos is needed: nettcp does not fall back to NTLM while server authentication is "
                      "required (a WCF client would, and then fail with \"The remote server did not satisfy the "
                      "mutual authentication requirement\").");
}

ntcp_status ntcp_doctor_run(const char *url, const ntcp_doctor_options *o, ntcp_doctor_report *r)
{
    memset(r, 0, sizeof *r);
    ntcp_error_clear(&r->error);
    doc *d = ntcp_calloc(1, sizeof *d);
    if (!d)
        return NTCP_E_NOMEM;
    d->o = o;
    d->r = r;
    d->url = url;
    d->t_connect = d->t_preamble = d->t_hs = d->t_hs_end = -1;
    clock_gettime(CLOCK_MONOTONIC, &d->t0);
    const char *why = NULL;
    ntcp_status st = ntcp_url_parse(url, &d->u, &why);
    if (st) {
        ntcp_error_set(&r->error, st, NTCP_CAUSE_BAD_ADDRESS, NTCP_STEP_RESOLVE, "the address: %s", why);
        snprintf(r->advice, sizeof r->advice, "give a net.tcp://host[:port]/path address");
        ntcp_free(d);
        return st;
    }
    d->security = o->client.security == NTCP_SECURITY_TRANSPORT;
    d->tls = d->security && o->client.credential != NTCP_CREDENTIAL_WINDOWS;
    r->tls = d->tls;
    if (o->service_keytab) {
        char kwhy[400];
        d->keytab_ok = ntcp_keytab_read(o->service_keytab, &d->keytab, kwhy, sizeof kwhy) == NTCP_OK;
        if (!d->keytab_ok)
            ntcp_trace_event(o->trace, "probe", NULL, "what", "service keytab", "error", kwhy, NULL);
    }
    ntcp_trace_event(o->trace, "doctor", NULL, "url", url, "security", d->security ? "transport" : "none", "package",
                     ntcp_package_name(o->client.nns.package), "protection",
                     ntcp_protection_name(o->client.nns.protection), "identity",
                     o->client.nns.identity ? o->client.nns.identity : "", "user",
                     o->client.nns.user ? o->client.nns.user : "", NULL);
    fill_resolve(d);
    ntcp_client *c = NULL;
    ntcp__client_hooks h;
    memset(&h, 0, sizeof h);
    if (d->slot[S_RESOLVE].outcome == NTCP_DOCTOR_FAILED) {
        st = ntcp_error_set(&r->error, NTCP_E_RESOLVE, NTCP_CAUSE_HOST_UNKNOWN, NTCP_STEP_RESOLVE, "%s",
                            d->slot[S_RESOLVE].detail);
        explain(d);
        goto finish;
    }
    {
        ntcp_client_options co = o->client;
        co.channel.step_cb = on_step;
        co.channel.step_ctx = d;
        co.record_cb = on_record;
        co.record_ctx = d;
        co.leg_cb = on_leg;
        co.leg_ctx = d;
        h.before_handshake = before_handshake;
        h.ctx = d;
        d->open_timeout_ms = co.channel.open_timeout_ms;
        d->open_deadline = ntcp__now_ms() + co.channel.open_timeout_ms;
        st = ntcp__client_open(&c, url, &co, &h, &r->error);
    }
    if (d->tls) {
        r->tls_result = h.tls_result;
        snprintf(r->tls_check, sizeof r->tls_check, "%s", h.tls_error.status ? h.tls_error.check : "");
    }
    if (st && d->tls && h.tls_error.status) {
        const ntcp_tls_error *e = &h.tls_error;
        if (!strcmp(e->check, "identity")) {
            set_step(d, S_HANDSHAKE, NTCP_DOCTOR_OK, d->t_hs, "the service's certificate chain was received (%zu "
                     "certificate%s) and validated", h.tls_result.chain_len, h.tls_result.chain_len == 1 ? "" : "s");
            set_step(d, S_IDENTITY, NTCP_DOCTOR_FAILED, -1, "%s", e->detail);
        } else {
            set_step(d, S_HANDSHAKE, NTCP_DOCTOR_FAILED, d->t_hs, "the %s check failed: %s", e->check, e->detail);
        }
        explain(d);
        goto finish;
    }
    if (st) {
        place_open_failure(d, st);
        explain(d);
        goto finish;
    }
    if (o->client.channel.mode == NTCP_MODE_SIMPLEX || o->client.channel.mode == NTCP_MODE_SINGLETON_SIZED) {
        /* no PreambleAck in these modes: the service's verdict (a framing fault,
         * or its FIN) comes when our side is done */
        ntcp_status ss = o->action ? ntcp_client_send(c, o->action, o->body, o->body ? o->body_len : 0) : NTCP_OK;
        double t = now_ms(d);
        ntcp_error se;
        ntcp_error_clear(&se);
        if (ss)
            se = *ntcp_client_error(c);
        ntcp_status cs = ntcp_client_close(c);
        c = NULL;
        if (cs || ss) {
            st = cs ? cs : ss;
            if (ss)
                r->error = se;
            else
                ntcp_error_set(&r->error, cs, NTCP_CAUSE_NONE, NTCP_STEP_PREAMBLE, "%s", ntcp_status_str(cs));
            r->error.status = st;
            r->error.step = NTCP_STEP_PREAMBLE;
            r->error.cause = ntcp_failure_cause(st, NTCP_STEP_PREAMBLE, d->security);
            place_open_failure(d, st);
            explain(d);
            goto finish;
        }
        char p[512];
        preamble_text(d, p, sizeof p);
        set_step(d, S_PREAMBLE, NTCP_DOCTOR_OK, d->t_preamble, "%s: accepted (the service closed without a fault)", p);
        set_step(d, S_UPGRADE, NTCP_DOCTOR_WARNING, -1, "this mode carries no security: messages travel in clear");
        for (int i = S_TARGET; i <= S_IDENTITY; i++)
            set_step(d, i, NTCP_DOCTOR_SKIPPED, -1, "security None");
        set_step(d, S_PREAMBLE_ACK, NTCP_DOCTOR_SKIPPED, -1, "this mode has no PreambleEnd/PreambleAck");
        if (o->action)
            set_step(d, S_REQUEST, NTCP_DOCTOR_OK, t, "%s sent one way (this mode carries no reply)", o->action);
        else
            set_step(d, S_REQUEST, NTCP_DOCTOR_SKIPPED, -1, "no --action given");
        set_step(d, S_CLOSE, NTCP_DOCTOR_OK, t, "our side closed, the service closed the connection");
        goto finish;
    }
    {
        char p[512];
        preamble_text(d, p, sizeof p);
        const ntcp_nns_result *res = ntcp_client_security(c);
        const ntcp_tls_result *tr = ntcp_client_tls(c);
        if (tr) {
            r->tls_result = *tr;
            set_step(d, S_HANDSHAKE, NTCP_DOCTOR_OK, d->t_hs, "%s, %s; the service's certificate %s (thumbprint %s), "
                     "chain of %zu validated", tr->version, tr->cipher, tr->chain_len ? tr->chain[0].subject : "-",
                     tr->chain_len ? tr->chain[0].thumbprint : "-", tr->chain_len);
            set_step(d, S_IDENTITY, NTCP_DOCTOR_OK, -1, "the certificate matches %s%s",
                     o->client.tls.identity ? o->client.tls.identity : "dns:",
                     o->client.tls.identity ? "" : d->u.host);
            snprintf(r->tried_package, sizeof r->tried_package, "TLS");
        } else if (!d->security) {
            set_step(d, S_PREAMBLE, NTCP_DOCTOR_OK, d->t_preamble, "%s: accepted", p);
            set_step(d, S_UPGRADE, NTCP_DOCTOR_WARNING, -1,
                     "no upgrade asked for (security None): messages travel in clear and the service is not "
                     "authenticated");
            for (int i = S_TARGET; i <= S_IDENTITY; i++)
                set_step(d, i, NTCP_DOCTOR_SKIPPED, -1, "security None");
        } else if (res) {
            set_step(d, S_HANDSHAKE, res->mutual ? NTCP_DOCTOR_OK : NTCP_DOCTOR_WARNING, d->t_hs,
                     "%s, %s, %s; handshake messages: %u sent (%zu token bytes), %u received (%zu bytes)",
                     ntcp_package_name(res->package), ntcp_protection_name(res->protection),
                     res->mutual ? "mutual authentication" : "the service was NOT authenticated (NTLM)",
                     d->legs_sent, d->bytes_sent, d->legs_received, d->bytes_received);
            if (res->mutual)
                set_step(d, S_IDENTITY, NTCP_DOCTOR_OK, -1, "the service authenticated as %s (expected %s)",
                         res->service, res->target);
            else
                set_step(d, S_IDENTITY, NTCP_DOCTOR_WARNING, -1,
                         "not checked: NTLM does not authenticate the service (expected %s)", res->target);
            snprintf(r->tried_principal, sizeof r->tried_principal, "%s", res->client);
            snprintf(r->tried_package, sizeof r->tried_package, "%s", ntcp_package_name(res->package));
        }
        set_step(d, S_PREAMBLE_ACK, NTCP_DOCTOR_OK, d->t_hs_end >= 0 ? d->t_hs_end : d->t_preamble,
                 "PreambleEnd sent, PreambleAck received: the session is open");
    }
    if (o->action) {
        double t = now_ms(d);
        ntcp_soap_msg reply;
        /* the test call has its activity in the trace, propagated when asked */
        ntcp_trace_event(o->trace, "request", NULL, "action", o->action, NULL);
        char ah[256];
        const char *ahs[1] = { ah };
        if (ntcp_trace_activity_header(o->trace, NULL, ah, sizeof ah))
            ntcp_client_set_headers(c, ahs, 1);
        st = ntcp_client_call(c, o->action, NULL, 0, o->body, o->body ? o->body_len : 0, &reply);
        if (st == NTCP_OK) {
            ntcp_trace_event(o->trace, "reply", NULL, "action", reply.action ? reply.action : "", NULL);
            set_step(d, S_REQUEST, NTCP_DOCTOR_OK, t, "%s answered with %s (%zu-byte body)", o->action,
                     reply.action ? reply.action : "a reply", reply.body.len);
        } else {
            r->error = *ntcp_client_error(c); /* a fault: action_not_supported or service_fault */
            set_step(d, S_REQUEST, NTCP_DOCTOR_FAILED, t, "%s", r->error.text);
        }
        ntcp_soap_msg_clear(&reply);
    } else {
        set_step(d, S_REQUEST, NTCP_DOCTOR_SKIPPED, -1, "no --action given");
    }
    {
        double t = now_ms(d);
        ntcp_status cs = ntcp_client_close(c);
        if (cs == NTCP_E_CONNECTION_RESET || cs == NTCP_E_CLOSED) {
            /* the exchange is over either way: worth knowing, not a failure */
            set_step(d, S_CLOSE, NTCP_DOCTOR_WARNING, t,
                     "End sent; the service closed the connection without answering End (Mono's WCF does this; "
                     "a WCF client's Close would report it)");
        } else if (cs) {
            set_step(d, S_CLOSE, NTCP_DOCTOR_FAILED, t, "%s (%s)", ntcp_status_str(cs), ntcp_status_name(cs));
            if (!st)
                st = ntcp_error_set(&r->error, cs, ntcp_failure_cause(cs, NTCP_STEP_CLOSE, d->security), NTCP_STEP_CLOSE,
                                    "closing: %s (%s)", ntcp_status_str(cs), ntcp_status_name(cs));
        } else {
            set_step(d, S_CLOSE, NTCP_DOCTOR_OK, t, "End sent, End received, connection closed");
        }
    }
    if (st)
        explain(d);
finish:
    if (!r->tried_package[0]) {
        const char *mech = r->error.nns.mech;
        snprintf(r->tried_package, sizeof r->tried_package, "%s",
                 !d->security ? "none"
                 : mech[0] && strcmp(mech, "SPNEGO") ? mech
                 : ntcp_package_name(o->client.nns.protection == NTCP_PROTECTION_NONE ? NTCP_PACKAGE_NTLM
                                                                                     : o->client.nns.package));
    }
    if (d->tls) {
        snprintf(r->tried_package, sizeof r->tried_package, "TLS");
        snprintf(r->tried_target, sizeof r->tried_target, "%s%s",
                 o->client.tls.identity ? o->client.tls.identity : "dns:", o->client.tls.identity ? "" : d->u.host);
        snprintf(r->tried_principal, sizeof r->tried_principal, "%s",
                 o->client.credential == NTCP_CREDENTIAL_CERTIFICATE && o->client.tls.cert_file
                     ? o->client.tls.cert_file : "");
    } else if (d->security) {
        if (!d->target[0] &&
            ntcp_nns_target_name(o->client.nns.identity, d->u.host, d->target, sizeof d->target, NULL))
            d->target[0] = 0;
        snprintf(r->tried_target, sizeof r->tried_target, "%s", d->target);
        if (!r->tried_principal[0])
            snprintf(r->tried_principal, sizeof r->tried_principal, "%s",
                     d->creds.principal[0]                         ? d->creds.principal
                     : o->client.nns.user                          ? o->client.nns.user
                     : o->client.nns.anonymous                     ? "WELLKNOWN/ANONYMOUS@WELLKNOWN:ANONYMOUS"
                                                                   : "");
    }
    for (int i = 0; i < S_COUNT; i++) {
        if (!d->filled[i]) {
            d->slot[i].name = step_names[i];
            d->slot[i].outcome = NTCP_DOCTOR_SKIPPED;
            snprintf(d->slot[i].detail, sizeof d->slot[i].detail, "%s",
                     st ? "not reached" : "does not apply");
        }
        r->steps[r->n_steps++] = d->slot[i];
    }
    r->ok = st == NTCP_OK;
    if (r->ok)
        ntcp_error_clear(&r->error);
    ntcp_trace_event(o->trace, "result", NULL, "ok", r->ok ? "true" : "false", "cause", r->ok ? "" : ntcp_error_id(&r->error), "advice",
                     r->advice, NULL);
    ntcp_free(d);
    return st;
}
