/* End-to-end NegotiateStream tests: our initiator and acceptor over a
 * socketpair with the real GSSAPI provider, against the throwaway MIT KDC
 * that tests/e2e/nns.sh starts (scripts/realm). Each case asserts exact
 * outcomes: status, cause id, package, principals, protection.
 *
 *   nns_e2e [CASE...]            run all cases (or those named)
 *   nns_e2e --acceptor-fd N KT   (internal) run an acceptor on fd N with keytab KT;
 *                                exit 0 established, 17 failed with clock_skew, 2 otherwise
 *   nns_e2e --client-fd N        (internal) run a default-ccache client on fd N;
 *                                exit 0 established, 17 failed with credentials_expired, 2 otherwise
 *   nns_e2e --pcap FILE EXPECT CASE   run one case and write it as a pcap (tests/interop)
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <gssapi/gssapi.h>
#include <nettcp/negotiate.h>
#include "negotiate/frames.h"

static int case_failed;
static char case_msg[4096];

static void expect_fail(const char *fmt, ...)
{
    if (case_failed++)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(case_msg, sizeof case_msg, fmt, ap);
    va_end(ap);
}
static void expect_fail_at(int line, const char *cond, const char *fmt, ...)
{
    if (case_failed)
        return;
    char m[3000];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    expect_fail("line %d: %s: %s", line, cond, m);
}
#define EXPECT(cond, ...)                                                                           \
    do {                                                                                            \
        if (!(cond))                                                                                \
            expect_fail_at(__LINE__, #cond, __VA_ARGS__);                                           \
    } while (0)
#define EXPECT_STR(got, want)                                                                       \
    do {                                                                                            \
        const char *g_ = (got), *w_ = (want);                                                       \
        if (!g_ || strcmp(g_, w_))                                                                  \
            expect_fail("line %d: %s is \"%s\", want \"%s\"", __LINE__, #got, g_ ? g_ : "(null)", w_); \
    } while (0)
#define EXPECT_INT(got, want)                                                                       \
    do {                                                                                            \
        long long g_ = (long long)(got), w_ = (long long)(want);                                    \
        if (g_ != w_)                                                                               \
            expect_fail("line %d: %s is %lld, want %lld", __LINE__, #got, g_, w_);                  \
    } while (0)

static const char *env(const char *k)
{
    const char *v = getenv(k);
    if (!v) {
        fprintf(stderr, "nns_e2e: %s is not set (run through tests/e2e/nns.sh)\n", k);
        exit(2);
    }
    return v;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN) {
            struct pollfd pf = { fd, POLLOUT, 0 };
            poll(&pf, 1, 1000);
            continue;
        }
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* One side of a connection. */
typedef struct side {
    ntcp_nns *n;
    int fd;
    bool client;
    ntcp_buf out, plain;
    bool eof, failed;
    ntcp_status st;
} side;

static void side_init(side *s, ntcp_nns *n, int fd)
{
    memset(s, 0, sizeof *s);
    s->n = n;
    s->fd = fd;
    ntcp_buf_init(&s->out, 1 << 22);
    ntcp_buf_init(&s->plain, 1 << 22);
}

static void side_free(side *s)
{
    ntcp_buf_free(&s->out);
    ntcp_buf_free(&s->plain);
}

/* ---- optional capture (--pcap): what each side wrote, for tshark ----------- */
typedef struct rec_seg {
    bool from_client;
    uint8_t *data;
    size_t len;
} rec_seg;
static rec_seg *rec_segs;
static size_t rec_n, rec_cap;
static bool recording;

static void record(bool from_client, const uint8_t *p, size_t len)
{
    if (!recording || !len)
        return;
    if (rec_n == rec_cap) {
        rec_cap = rec_cap ? rec_cap * 2 : 64;
        rec_segs = realloc(rec_segs, rec_cap * sizeof *rec_segs);
    }
    rec_segs[rec_n].from_client = from_client;
    rec_segs[rec_n].data = malloc(len);
    memcpy(rec_segs[rec_n].data, p, len);
    rec_segs[rec_n++].len = len;
}

static void side_flush(side *s)
{
    record(s->client, s->out.data, s->out.len);
    if (s->out.len && write_all(s->fd, s->out.data, s->out.len) != 0)
        s->eof = true;
    ntcp_buf_reset(&s->out);
    if (s->failed)
        shutdown(s->fd, SHUT_WR); /* the peer sees EOF, as when WCF aborts */
}

static bool side_done(const side *s) { return !s->n || s->failed || s->eof || ntcp_nns_established(s->n); }

/* Reads what is available and feeds it. */
static void side_read(side *s)
{
    uint8_t buf[16384];
    ssize_t r = read(s->fd, buf, sizeof buf);
    if (r == 0) {
        s->eof = true;
        return;
    }
    if (r < 0)
        return;
    size_t consumed = 0;
    ntcp_status st = ntcp_nns_recv(s->n, buf, (size_t)r, &consumed, &s->plain, &s->out);
    if (st != NTCP_OK && st != NTCP_AGAIN) {
        s->failed = true;
        s->st = st;
    }
    side_flush(s);
}

/* Drives both sides until each is established, failed or sees EOF. */
static void drive(side *a, side *b, double timeout)
{
    double end = now() + timeout;
    for (;;) {
        if (side_done(a) && (!b || side_done(b)))
            return;
        double left = end - now();
        if (left <= 0) {
            expect_fail("handshake did not finish in %.0f s", timeout);
            return;
        }
        struct pollfd pf[2];
        int np = 0;
        side *who[2];
        if (a->n && !a->failed && !a->eof) {
            pf[np] = (struct pollfd){ a->fd, POLLIN, 0 };
            who[np++] = a;
        }
        if (b && b->n && !b->failed && !b->eof) {
            pf[np] = (struct pollfd){ b->fd, POLLIN, 0 };
            who[np++] = b;
        }
        if (!np)
            return;
        int r = poll(pf, (nfds_t)np, (int)(left * 1000) + 1);
        if (r <= 0)
            continue;
        for (int i = 0; i < np; i++)
            if (pf[i].revents)
                side_read(who[i]);
        if (side_done(a) && (!b || side_done(b)))
            return;
    }
}

typedef struct outcome {
    ntcp_status st;
    const char *cause;
    bool established;
    ntcp_nns_result res;
    char text[2048];
    ntcp_nns_error err;
} outcome;

static void take_outcome(side *s, outcome *o)
{
    memset(o, 0, sizeof *o);
    o->cause = "";
    o->established = ntcp_nns_established(s->n);
    if (o->established) {
        o->res = *ntcp_nns_get_result(s->n);
        o->st = NTCP_OK;
    } else if (ntcp_nns_failed(s->n)) {
        o->err = *ntcp_nns_error_info(s->n);
        o->st = o->err.status;
        o->cause = ntcp_cause_id(ntcp_nns_cause(&o->err));
        /* what a user reads: the explanation, then the cause's advice */
        snprintf(o->text, sizeof o->text, "%s; cause: %s; advice: %s", ntcp_nns_last_error(s->n), o->cause,
                 ntcp_cause_advice(ntcp_nns_cause(&o->err)));
    } else {
        o->st = NTCP_E_CONNECTION_RESET; /* the peer went away */
        o->cause = "";
    }
}

/* Both sides established, or a failure naming each side's error. */
static bool expect_established(const outcome *oc, const outcome *os)
{
    EXPECT(oc->established, "client: %s", oc->text);
    EXPECT(os->established, "service: %s", os->text);
    return oc->established && os->established;
}

/* The client's first handshake message, or its failure to make one. */
static void side_start_client(side *c)
{
    c->client = true;
    ntcp_status st = ntcp_nns_start(c->n, &c->out);
    if (st != NTCP_OK) {
        c->failed = true;
        c->st = st;
    }
    side_flush(c);
}

/* One side of a handshake whose peer is another process at the end of fd:
 * runs it to completion or failure; the outcome in *o. */
static void run_alone(ntcp_nns *n, int fd, bool client, outcome *o)
{
    side x;
    side_init(&x, n, fd);
    if (client)
        side_start_client(&x);
    drive(&x, NULL, 20);
    take_outcome(&x, o);
    side_free(&x);
}

/* What the first data frame looks like on the wire (PROTOCOLS 2.4, 2.5). */
static void check_wire(const ntcp_nns_result *r, const uint8_t *w, size_t len, const uint8_t *msg)
{
    if (!r || len < 24)
        return;
    if (r->protection == NTCP_PROTECTION_NONE) {
        EXPECT(!memcmp(w, msg, 24), "protection None: the data is not sent raw");
        return;
    }
    size_t fl = (size_t)w[0] | (size_t)w[1] << 8 | (size_t)w[2] << 16 | (size_t)w[3] << 24;
    EXPECT(fl > 0xFC00 && fl <= 65536, "first frame payload %zu bytes", fl);
    const uint8_t *p = w + 4;
    if (r->package == NTCP_PACKAGE_NTLM) {
        /* NTLMSSP_MESSAGE_SIGNATURE (version 1) first, as Windows sends it */
        EXPECT(!memcmp(p, "\x01\x00\x00\x00", 4), "NTLM frame does not start with the signature");
        if (r->protection == NTCP_PROTECTION_SIGN)
            EXPECT(fl == 16 + 0xFC00 && !memcmp(p + 16, msg, 0xFC00), "NTLM Sign frame is not MAC + plaintext");
        else
            EXPECT(fl == 16 + 0xFC00 && memcmp(p + 16, msg, 64) != 0, "NTLM EncryptAndSign frame not sealed");
    } else if (r->protection == NTCP_PROTECTION_SIGN) {
        /* RFC 4121 MIC token, then the plaintext */
        EXPECT(p[0] == 0x04 && p[1] == 0x04, "Kerberos Sign frame does not start with a MIC token");
        EXPECT(fl == 28 + 0xFC00 && !memcmp(p + 28, msg, 0xFC00), "Kerberos Sign frame is not MIC + plaintext");
    } else {
        /* RFC 4121 Wrap token with the Sealed flag */
        EXPECT(p[0] == 0x05 && p[1] == 0x04 && (p[2] & 0x02), "Kerberos frame is not a sealed Wrap token");
    }
}

/* Data both ways: small, and larger than one frame. */
static void data_round_trip(side *c, side *s)
{
    size_t n = 100000;
    uint8_t *msg = malloc(n);
    for (size_t i = 0; i < n; i++)
        msg[i] = (uint8_t)(i * 13 + 7);
    EXPECT_INT(ntcp_nns_send(c->n, msg, n, &c->out), NTCP_OK);
    check_wire(ntcp_nns_get_result(c->n), c->out.data, c->out.len, msg);
    side_flush(c);
    double end = now() + 10;
    while (s->plain.len < n && !s->failed && !s->eof && now() < end) {
        struct pollfd pf = { s->fd, POLLIN, 0 };
        if (poll(&pf, 1, 1000) > 0)
            side_read(s);
    }
    EXPECT(s->plain.len == n && !memcmp(s->plain.data, msg, n), "service received %zu of %zu bytes: %s",
           s->plain.len, n, s->failed ? ntcp_nns_last_error(s->n) : "");
    EXPECT_INT(ntcp_nns_send(s->n, (const uint8_t *)"pong!", 5, &s->out), NTCP_OK);
    side_flush(s);
    end = now() + 10;
    while (c->plain.len < 5 && !c->failed && !c->eof && now() < end) {
        struct pollfd pf = { c->fd, POLLIN, 0 };
        if (poll(&pf, 1, 1000) > 0)
            side_read(c);
    }
    EXPECT(c->plain.len == 5 && !memcmp(c->plain.data, "pong!", 5), "client received %zu bytes", c->plain.len);
    free(msg);
}

typedef struct run_opts {
    bool data;          /* exchange data after the handshake */
    bool keep_service;  /* hand the service's nns back (for delegation checks) */
} run_opts;

/* Runs a client and a service over a socketpair. */
static void run_pair(const ntcp_nns_options *co, const ntcp_nns_options *so, outcome *oc, outcome *os,
                     const run_opts *ro, ntcp_nns **kept)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
        expect_fail("socketpair: %s", strerror(errno));
        return;
    }
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    ntcp_nns *cn = NULL, *sn = NULL;
    EXPECT_INT(ntcp_nns_new_initiator(&cn, co, ntcp_gss_provider()), NTCP_OK);
    EXPECT_INT(ntcp_nns_new_acceptor(&sn, so, ntcp_gss_provider()), NTCP_OK);
    side c, s;
    side_init(&c, cn, sv[0]);
    side_init(&s, sn, sv[1]);
    side_start_client(&c);
    drive(&c, &s, 20);
    take_outcome(&c, oc);
    take_outcome(&s, os);
    if (ro && ro->data && oc->established && os->established)
        data_round_trip(&c, &s);
    side_free(&c);
    side_free(&s);
    close(sv[0]);
    close(sv[1]);
    ntcp_nns_free(cn);
    if (kept)
        *kept = sn;
    else
        ntcp_nns_free(sn);
}

/* ---- options ------------------------------------------------------------------------ */
static ntcp_nns_options client_pw(const char *identity)
{
    ntcp_nns_options o;
    ntcp_nns_options_init(&o);
    o.identity = identity;
    o.user = env("NTCP_REALM_USER");
    o.password = env("NTCP_REALM_PASSWORD");
    return o;
}

static ntcp_nns_options service(void)
{
    ntcp_nns_options o;
    ntcp_nns_options_init(&o);
    o.keytab = env("NTCP_REALM_SERVICE_KEYTAB");
    return o;
}

static const char *realm_name(const char *base, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s@%s", base, env("NTCP_REALM"));
    return buf;
}

static void expect_kerberos_ok(const outcome *oc, const outcome *os, const char *client, const char *service_princ,
                               ntcp_protection prot)
{
    char b1[256], b2[256];
    EXPECT(oc->established, "client: %s", oc->text);
    EXPECT(os->established, "service: %s", os->text);
    if (!oc->established || !os->established)
        return;
    EXPECT_INT(oc->res.package, NTCP_PACKAGE_KERBEROS);
    EXPECT_INT(os->res.package, NTCP_PACKAGE_KERBEROS);
    EXPECT(oc->res.mutual, "client: not mutual");
    EXPECT_STR(oc->res.client, realm_name(client, b1, sizeof b1));
    EXPECT_STR(os->res.client, realm_name(client, b1, sizeof b1));
    EXPECT_STR(oc->res.service, realm_name(service_princ, b2, sizeof b2));
    /* the service's own name, looked up when its result is read: the name the ticket was for */
    EXPECT_STR(os->res.service, b2);
    EXPECT_INT(oc->res.protection, prot);
    EXPECT_INT(os->res.protection, prot);
    EXPECT(oc->res.session_key_size == 32 || oc->res.session_key_size == 16, "session key %zu bytes",
           oc->res.session_key_size);
    EXPECT_INT(oc->res.session_key_size, os->res.session_key_size);
}

static void expect_failure(const outcome *o, ntcp_status st, const char *cause, const char *who)
{
    EXPECT(!o->established, "%s: established, want %s", who, cause);
    if (o->st != st)
        expect_fail("%s: status %s, want %s; %s", who, ntcp_status_name(o->st), ntcp_status_name(st), o->text);
    else if (strcmp(o->cause, cause))
        expect_fail("%s: cause %s, want %s; %s", who, o->cause, cause, o->text);
}

static const run_opts with_data = { true, false };

/* ---- cases ------------------------------------------------------------------------------ */
static void case_spnego_kerberos(ntcp_protection prot)
{
    ntcp_nns_options c = client_pw("spn:host/svc.nettcp.test"), s = service();
    c.protection = s.protection = prot;
    outcome oc, os;
    run_pair(&c, &s, &oc, &os, &with_data, NULL);
    expect_kerberos_ok(&oc, &os, "alice", "host/svc.nettcp.test", prot);
}
static void spnego_encrypt(void) { case_spnego_kerberos(NTCP_PROTECTION_ENCRYPT_AND_SIGN); }
static void spnego_sign(void) { case_spnego_kerberos(NTCP_PROTECTION_SIGN); }

static void case_raw_kerberos(ntcp_protection prot)
{
    ntcp_nns_options c = client_pw("spn:host/svc.nettcp.test"), s = service();
    c.package = s.package = NTCP_PACKAGE_KERBEROS;
    c.protection = s.protection = prot;
    outcome oc, os;
    run_pair(&c, &s, &oc, &os, &with_data, NULL);
    expect_kerberos_ok(&oc, &os, "alice", "host/svc.nettcp.test", prot);
}
static void kerberos_encrypt(void) { case_raw_kerberos(NTCP_PROTECTION_ENCRYPT_AND_SIGN); }
static void kerberos_sign(void) { case_raw_kerberos(NTCP_PROTECTION_SIGN); }

static void ntlm_options(ntcp_nns_options *c, ntcp_nns_options *s, ntcp_protection prot)
{
    ntcp_nns_options_init(c);
    c->package = NTCP_PACKAGE_NTLM;
    c->require_server_auth = false;
    c->identity = "spn:host/svc.nettcp.test";
    c->user = env("NTCP_REALM_NTLM_USER");
    c->password = env("NTCP_REALM_NTLM_PASSWORD");
    c->protection = prot;
    *s = service();
    s->protection = prot;
}

static void case_ntlm(ntcp_protection prot)
{
    ntcp_nns_options c, s;
    ntlm_options(&c, &s, prot);
    outcome oc, os;
    run_pair(&c, &s, &oc, &os, &with_data, NULL);
    if (!expect_established(&oc, &os))
        return;
    EXPECT_INT(oc.res.package, NTCP_PACKAGE_NTLM);
    EXPECT_INT(os.res.package, NTCP_PACKAGE_NTLM);
    EXPECT(!oc.res.mutual, "NTLM reported as mutual");
    EXPECT_INT(oc.res.protection, prot);
    EXPECT_INT(os.res.protection, prot);
    EXPECT(strstr(os.res.client, "carol") != NULL, "service sees client %s", os.res.client);
    EXPECT_STR(os.res.service, ""); /* an NTLM service is not told its own name */
}
static void ntlm_encrypt(void) { case_ntlm(NTCP_PROTECTION_ENCRYPT_AND_SIGN); }
static void ntlm_sign(void) { case_ntlm(NTCP_PROTECTION_SIGN); }
static void ntlm_none(void) { case_ntlm(NTCP_PROTECTION_NONE); }

static void ntlm_bad_password(void)
{
    /* the NTLM service rejects AUTHENTICATE and says so with SEC_E_LOGON_DENIED */
    ntcp_nns_options c, s;
    ntlm_options(&c, &s, NTCP_PROTECTION_ENCRYPT_AND_SIGN);
    c.password = "not-carols-password";
    outcome oc, os;
    run_pair(&c, &s, &oc, &os, NULL, NULL);
    expect_failure(&os, NTCP_E_AUTH_FAILED, "bad_password", "service");
    EXPECT_INT(os.err.step, NTCP_NNS_STEP_ACCEPT);
    EXPECT_INT(os.err.leg, 2);
    expect_failure(&oc, NTCP_E_CREDENTIALS_REJECTED, "bad_password", "client");
    EXPECT_INT(oc.err.remote_code, NTCP_SEC_E_LOGON_DENIED);
    EXPECT(!strstr(oc.text, "not-carols-password") && !strstr(os.text, "not-carols-password"),
           "password in error text");
}

static void spnego_ntlm(void)
{
    /* Negotiate with a user the KDC does not know: SPNEGO settles on NTLM */
    ntcp_nns_options c, s;
    ntlm_options(&c, &s, NTCP_PROTECTION_ENCRYPT_AND_SIGN);
    c.package = NTCP_PACKAGE_NEGOTIATE;
    outcome oc, os;
    run_pair(&c, &s, &oc, &os, &with_data, NULL);
    if (!expect_established(&oc, &os))
        return;
    EXPECT_INT(oc.res.package, NTCP_PACKAGE_NTLM);
    EXPECT_INT(os.res.package, NTCP_PACKAGE_NTLM);
    EXPECT(!oc.res.mutual, "NTLM reported as mutual");
}

/* The first NTLM token as some clients send it, straight to a real acceptor
 * (gss-ntlmssp): returns the status, the reply frames in *out. */
static ntcp_status accept_first_token(const uint8_t *tok, size_t len, ntcp_buf *out, ntcp_nns_error *err)
{
    ntcp_nns_options so = service();
    ntcp_nns *sn = NULL;
    ntcp_buf in, plain;
    ntcp_buf_init(&in, 4096);
    ntcp_buf_init(&plain, 4096);
    ntcp_status st = ntcp_nns_new_acceptor(&sn, &so, ntcp_gss_provider());
    if (!st)
        st = ntcp_nns_put_handshake(&in, NTCP_NNS_HANDSHAKE_IN_PROGRESS, tok, len);
    size_t consumed = 0;
    if (!st)
        st = ntcp_nns_recv(sn, in.data, in.len, &consumed, &plain, out);
    const ntcp_nns_error *e = sn ? ntcp_nns_error_info(sn) : NULL;
    if (e)
        *err = *e;
    ntcp_nns_free(sn);
    ntcp_buf_free(&in);
    ntcp_buf_free(&plain);
    return st;
}

static void ntlm_negotiate_without_version(void)
{
    /* MS-NLMP 2.2.1.1: NEGOTIATE is 32 bytes when NTLMSSP_NEGOTIATE_VERSION
     * is not set (impacket, older Windows); gss-ntlmssp wants the 8-byte
     * Version field. Flags: UNICODE | OEM | REQUEST_TARGET | SIGN | SEAL |
     * NTLM | ALWAYS_SIGN | EXTENDED_SESSIONSECURITY | 128 | KEY_EXCH | 56. */
    static const uint8_t neg32[32] = { 'N', 'T', 'L', 'M', 'S', 'S', 'P', 0, 1, 0, 0, 0, 0x37, 0x82, 0x08, 0xe0 };
    ntcp_buf out;
    ntcp_buf_init(&out, 8192);
    ntcp_nns_error err;
    memset(&err, 0, sizeof err);
    ntcp_status st = accept_first_token(neg32, sizeof neg32, &out, &err);
    EXPECT_INT(st, NTCP_OK);
    /* the answer: HandshakeInProgress carrying an NTLM CHALLENGE (type 2) */
    EXPECT(out.len > 5 + 12 && out.data[0] == NTCP_NNS_HANDSHAKE_IN_PROGRESS && !memcmp(out.data + 5, "NTLMSSP", 8) &&
               out.data[13] == 2,
           "no CHALLENGE: %zu bytes, first %02x", out.len, out.len ? out.data[0] : 0);
    /* a first token that is not an NTLM message it can read: malformed_token, not bad_password */
    static const uint8_t junk[24] = { 'N', 'T', 'L', 'M', 'S', 'S', 'P', 0, 1, 0, 0, 0, 0xff, 0xff };
    ntcp_buf_reset(&out);
    memset(&err, 0, sizeof err);
    st = accept_first_token(junk, sizeof junk, &out, &err);
    EXPECT(st != NTCP_OK, "a 24-byte NEGOTIATE was accepted");
    EXPECT_STR(ntcp_cause_id(ntcp_nns_cause(&err)), "malformed_token");
    ntcp_buf_free(&out);
}

static void ntlm_refused_with_server_auth(void)
{
    ntcp_nns_options c, s;
    ntlm_options(&c, &s, NTCP_PROTECTION_ENCRYPT_AND_SIGN);
    c.require_server_auth = true;
    outcome oc, os;
    run_pair(&c, &s, &oc, &os, NULL, NULL);
    expect_failure(&oc, NTCP_E_SERVER_AUTH_REQUIRED, "ntlm_without_server_auth", "client");
    EXPECT(strstr(oc.text, "require_server_auth") != NULL, "advice missing: %s", oc.text);
    EXPECT(!strstr(oc.text, env("NTCP_REALM_NTLM_PASSWORD")), "password in error text");
}

static void keytab_client(void)
{
    ntcp_nns_options c, s = service();
    ntcp_nns_options_init(&c);
    c.identity = "spn:host/svc.nettcp.test";
    c.client_keytab = env("NTCP_REALM_CLIENT_KEYTAB");
    c.user = env("NTCP_REALM_CLIENT_KEYTAB_USER");
    outcome oc, os;
    run_pair(&c, &s, &oc, &os, &with_data, NULL);
    expect_kerberos_ok(&oc, &os, "bob", "host/svc.nettcp.test", NTCP_PROTECTION_ENCRYPT_AND_SIGN);
}

static void default_ccache_client(void)
{
    /* nns.sh ran kinit into KRB5CCNAME */
    ntcp_nns_options c, s = service();
    ntcp_nns_options_init(&c);
    c.identity = "spn:host/svc.nettcp.test";
    outcome oc, os;
    run_pair(&c, &s, &oc, &os, &with_data, NULL);
    expect_kerberos_ok(&oc, &os, "alice", "host/svc.nettcp.test", NTCP_PROTECTION_ENCRYPT_AND_SIGN);
}

static void acceptor_name(void)
{
    ntcp_nns_options c = client_pw("spn:host/svc.nettcp.test"), s = service();
    s.acceptor_name = "host/svc.nettcp.test";
    outcome oc, os;
    run_pair(&c, &s, &oc, &os, &with_data, NULL);
    expect_kerberos_ok(&oc, &os, "alice", "host/svc.nettcp.test", NTCP_PROTECTION_ENCRYPT_AND_SIGN);
    /* a name the keytab has no key for fails at the service, before any client token */
    s.acceptor_name = "host/box.nettcp.test";
    run_pair(&c, &s, &oc, &os, NULL, NULL);
    expect_failure(&os, NTCP_E_NO_CREDENTIALS, "no_credentials", "service");
    EXPECT_INT(os.err.step, NTCP_NNS_STEP_ACQUIRE);
    expect_failure(&oc, NTCP_E_NO_CREDENTIALS, "no_credentials", "client");
}

static void service_without_keytab(void)
{
    char kt[512];
    snprintf(kt, sizeof kt, "%s/no-such.keytab", env("NTCP_REALM_DIR"));
    ntcp_nns_options c = client_pw("spn:host/svc.nettcp.test"), s = service();
    s.keytab = kt;
    outcome oc, os;
    run_pair(&c, &s, &oc, &os, NULL, NULL);
    expect_failure(&os, NTCP_E_NO_CREDENTIALS, "no_credentials", "service");
    EXPECT(strstr(os.text, "no-such.keytab") != NULL, "keytab path missing from: %s", os.text);
}

static void dns_identity(void)
{
    ntcp_nns_options c = client_pw("dns:svc.nettcp.test"), s = service();
    outcome oc, os;
    run_pair(&c, &s, &oc, &os, &with_data, NULL);
    expect_kerberos_ok(&oc, &os, "alice", "host/svc.nettcp.test", NTCP_PROTECTION_ENCRYPT_AND_SIGN);
    EXPECT_STR(oc.res.target, "host/svc.nettcp.test");
}

static void default_identity(void)
{
    ntcp_nns_options c = client_pw(NULL), s = service();
    c.address_host = "svc.nettcp.test";
    outcome oc, os;
    run_pair(&c, &s, &oc, &os, NULL, NULL);
    expect_kerberos_ok(&oc, &os, "alice", "host/svc.nettcp.test", NTCP_PROTECTION_ENCRYPT_AND_SIGN);
    EXPECT_STR(oc.res.target, "host/svc.nettcp.test");
}

static void upn_identity(void)
{
    char upn[128];
    snprintf(upn, sizeof upn, "upn:svcacct@%s", env("NTCP_REALM"));
    ntcp_nns_options c = client_pw(upn), s = service();
    outcome oc, os;
    run_pair(&c, &s, &oc, &os, &with_data, NULL);
    expect_kerberos_ok(&oc, &os, "alice", "svcacct", NTCP_PROTECTION_ENCRYPT_AND_SIGN);
    /* the MIT KDC does not resolve enterprise names: the plain form worked */
    EXPECT_STR(oc.res.name_form, "principal");
}

static void wrong_spn(void)
{
    ntcp_nns_options c = client_pw("spn:host/nosuch.nettcp.test"), s = service();
    outcome oc, os;
    run_pair(&c, &s, &oc, &os, NULL, NULL);
    expect_failure(&oc, NTCP_E_AUTH_FAILED, "spn_unknown", "client");
    EXPECT_INT(oc.err.step, NTCP_NNS_STEP_INIT);
    EXPECT_INT(oc.err.leg, 1);
    EXPECT_INT(oc.err.krb5_error, 7);
    EXPECT_STR(oc.err.target, "host/nosuch.nettcp.test");
    EXPECT(strstr(oc.text, "host/nosuch.nettcp.test@NETTCP.TEST not found in Kerberos database") != NULL,
           "gss text: %s", oc.text);
    /* the service was told (HandshakeError) */
    expect_failure(&os, NTCP_E_AUTH_REMOTE, "spn_unknown", "service");
}

static void stale_keytab(void)
{
    ntcp_nns_options c = client_pw("spn:host/stale.nettcp.test"), s = service();
    s.keytab = env("NTCP_REALM_STALE_KEYTAB");
    outcome oc, os;
    run_pair(&c, &s, &oc, &os, NULL, NULL);
    expect_failure(&os, NTCP_E_AUTH_FAILED, "service_key_mismatch", "service");
    EXPECT_INT(os.err.step, NTCP_NNS_STEP_ACCEPT);
    expect_failure(&oc, NTCP_E_AUTH_REMOTE, "service_key_mismatch", "client");
    EXPECT_INT(oc.err.remote_code, NTCP_SEC_E_WRONG_PRINCIPAL);
}

static void default_spn_not_service(void)
{
    /* no identity: host/box.nettcp.test, a principal whose key the service lacks */
    ntcp_nns_options c = client_pw(NULL), s = service();
    c.address_host = "box.nettcp.test";
    outcome oc, os;
    run_pair(&c, &s, &oc, &os, NULL, NULL);
    expect_failure(&os, NTCP_E_AUTH_FAILED, "service_key_mismatch", "service");
    expect_failure(&oc, NTCP_E_AUTH_REMOTE, "default_spn_not_service", "client");
    EXPECT_STR(oc.err.target, "host/box.nettcp.test");
}

static void bad_password(void)
{
    ntcp_nns_options c = client_pw("spn:host/svc.nettcp.test"), s = service();
    c.password = "definitely-wrong";
    outcome oc, os;
    run_pair(&c, &s, &oc, &os, NULL, NULL);
    EXPECT(!oc.established, "established with a wrong password");
    EXPECT_STR(oc.cause, "bad_password");
    EXPECT_INT(oc.err.krb5_error, 24);
    EXPECT(!strstr(oc.text, "definitely-wrong"), "password in error text");
}

static void unknown_user(void)
{
    ntcp_nns_options c = client_pw("spn:host/svc.nettcp.test"), s = service();
    c.user = "nobody";
    outcome oc, os;
    run_pair(&c, &s, &oc, &os, NULL, NULL);
    EXPECT(!oc.established, "established with an unknown user");
    EXPECT_STR(oc.cause, "unknown_user");
    EXPECT_INT(oc.err.krb5_error, 6);
}

static void no_credentials(void)
{
    char *saved = strdup(env("KRB5CCNAME"));
    char cc[512];
    snprintf(cc, sizeof cc, "FILE:%s/no-such-ccache", env("NTCP_REALM_DIR"));
    setenv("KRB5CCNAME", cc, 1);
    ntcp_nns_options c, s = service();
    ntcp_nns_options_init(&c);
    c.identity = "spn:host/svc.nettcp.test";
    outcome oc, os;
    run_pair(&c, &s, &oc, &os, NULL, NULL);
    setenv("KRB5CCNAME", saved, 1);
    free(saved);
    expect_failure(&oc, NTCP_E_NO_CREDENTIALS, "no_credentials", "client");
    EXPECT_INT(oc.err.step, NTCP_NNS_STEP_ACQUIRE);
}

static bool copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = in ? fopen(to, "wb") : NULL;
    char buf[4096];
    size_t n;
    bool ok = in && out;
    while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0)
        ok = fwrite(buf, 1, n, out) == n;
    if (in)
        fclose(in);
    if (out && fclose(out) != 0)
        ok = false;
    return ok;
}

/* n connections with data, each Kerberos EncryptAndSign as alice to spn;
 * when unread is set, that file must not be opened or read meanwhile (a
 * held credential reading its copy in memory) */
static void good_rounds(const ntcp_nns_options *c, const ntcp_nns_options *s, int n, const char *spn,
                        const char *unread)
{
    int in = -1;
    if (unread) {
        in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        EXPECT(in >= 0 && inotify_add_watch(in, unread, IN_OPEN | IN_ACCESS) >= 0, "inotify: %s", strerror(errno));
    }
    outcome oc, os;
    for (int i = 0; i < n; i++) {
        run_pair(c, s, &oc, &os, &with_data, NULL);
        expect_kerberos_ok(&oc, &os, "alice", spn, NTCP_PROTECTION_ENCRYPT_AND_SIGN);
    }
    if (in >= 0) {
        char evbuf[4096];
        ssize_t evn = read(in, evbuf, sizeof evbuf);
        EXPECT(evn < 0 && errno == EAGAIN, "%s was read: %zd bytes of inotify events", unread, evn);
        close(in);
    }
}

static void reused_credential_follows_ccache(void)
{
    /* A process that connects again and again reuses its client credential
     * while the ccache file is unchanged, from the second reuse on through a
     * copy of the ccache in memory. Any change is seen by the next
     * connection exactly as a fresh acquire sees it: kdestroy, then a ccache
     * holding another (anonymous) identity, then the user's ticket again. */
    char path[512], cc[600], anon[512];
    const char *dflt = env("KRB5CCNAME");
    if (!strncmp(dflt, "FILE:", 5))
        dflt += 5;
    snprintf(path, sizeof path, "%s/reuse.ccache", env("NTCP_REALM_DIR"));
    snprintf(cc, sizeof cc, "FILE:%s", path);
    snprintf(anon, sizeof anon, "%s/anonymous.ccache", env("NTCP_REALM_DIR"));
    EXPECT(copy_file(dflt, path), "cannot copy %s", dflt);
    ntcp_nns_options c, s = service();
    ntcp_nns_options_init(&c);
    c.identity = "spn:host/svc.nettcp.test";
    c.ccache = cc;
    good_rounds(&c, &s, 3, "host/svc.nettcp.test", NULL);
    /* by now the held credential comes from a copy in memory: the file is
     * not opened again while it is unchanged */
    good_rounds(&c, &s, 2, "host/svc.nettcp.test", path);
    outcome oc, os;
    /* a change that keeps the size and the modification time is still a
     * change (its ctime moved): the next connection reads the file, here
     * garbage */
    struct stat st;
    EXPECT(stat(path, &st) == 0, "stat %s", path);
    FILE *f = fopen(path, "r+b");
    EXPECT(f != NULL, "open %s", path);
    for (off_t k = 0; f && k < st.st_size; k++)
        fputc(0xEE, f);
    if (f)
        fclose(f);
    struct timespec times[2] = { st.st_atim, st.st_mtim };
    EXPECT(utimensat(AT_FDCWD, path, times, 0) == 0, "utimensat: %s", strerror(errno));
    run_pair(&c, &s, &oc, &os, NULL, NULL);
    expect_failure(&oc, NTCP_E_NO_CREDENTIALS, "no_credentials", "client");
    EXPECT_INT(oc.err.step, NTCP_NNS_STEP_ACQUIRE);
    unlink(path);
    run_pair(&c, &s, &oc, &os, NULL, NULL);
    expect_failure(&oc, NTCP_E_NO_CREDENTIALS, "no_credentials", "client");
    EXPECT_INT(oc.err.step, NTCP_NNS_STEP_ACQUIRE);
    EXPECT(copy_file(anon, path), "cannot copy %s", anon);
    run_pair(&c, &s, &oc, &os, NULL, NULL);
    expect_failure(&os, NTCP_E_ANONYMOUS_REFUSED, "anonymous_refused", "service");
    expect_failure(&oc, NTCP_E_CREDENTIALS_REJECTED, "anonymous_refused", "client");
    EXPECT(copy_file(dflt, path), "cannot copy %s", dflt);
    run_pair(&c, &s, &oc, &os, &with_data, NULL);
    expect_kerberos_ok(&oc, &os, "alice", "host/svc.nettcp.test", NTCP_PROTECTION_ENCRYPT_AND_SIGN);
    unlink(path);
}

static void held_acceptor_credential_follows_keytab(void)
{
    /* A service holds its acceptor credential across connections while its
     * keytab file is unchanged, reading a copy of the file in memory. A new
     * key (or an old one) in the file is seen by the next connection: the
     * current key works, the key version before it is a key mismatch, the
     * current key again works. */
    char path[512], cur[512], stale[512];
    snprintf(path, sizeof path, "%s/swap.keytab", env("NTCP_REALM_DIR"));
    snprintf(cur, sizeof cur, "%s/current.keytab", env("NTCP_REALM_DIR"));
    snprintf(stale, sizeof stale, "%s/stale.keytab", env("NTCP_REALM_DIR"));
    EXPECT(copy_file(cur, path), "cannot copy %s", cur);
    ntcp_nns_options c = client_pw("spn:host/stale.nettcp.test"), s = service();
    s.keytab = path;
    good_rounds(&c, &s, 3, "host/stale.nettcp.test", NULL);
    /* the held credential reads a copy of the keytab in memory: the file
     * is not opened again while it is unchanged */
    good_rounds(&c, &s, 2, "host/stale.nettcp.test", path);
    outcome oc, os;
    EXPECT(copy_file(stale, path), "cannot copy %s", stale);
    run_pair(&c, &s, &oc, &os, NULL, NULL);
    expect_failure(&os, NTCP_E_AUTH_FAILED, "service_key_mismatch", "service");
    expect_failure(&oc, NTCP_E_AUTH_REMOTE, "service_key_mismatch", "client");
    EXPECT(copy_file(cur, path), "cannot copy %s", cur);
    run_pair(&c, &s, &oc, &os, &with_data, NULL);
    expect_kerberos_ok(&oc, &os, "alice", "host/stale.nettcp.test", NTCP_PROTECTION_ENCRYPT_AND_SIGN);
    unlink(path);
}

static void kdc_unreachable(void)
{
    char *saved = strdup(env("KRB5_CONFIG"));
    setenv("KRB5_CONFIG", env("NTCP_REALM_UNREACHABLE_CONFIG"), 1);
    ntcp_nns_options c = client_pw("spn:host/svc.nettcp.test"), s = service();
    outcome oc, os;
    run_pair(&c, &s, &oc, &os, NULL, NULL);
    setenv("KRB5_CONFIG", saved, 1);
    free(saved);
    EXPECT(!oc.established, "established without a KDC");
    EXPECT_STR(oc.cause, "kdc_unreachable");
}

static void protection_not_granted(void)
{
    /* a Sign-only client against a default (EncryptAndSign) service */
    ntcp_nns_options c = client_pw("spn:host/svc.nettcp.test"), s = service();
    c.protection = NTCP_PROTECTION_SIGN;
    outcome oc, os;
    run_pair(&c, &s, &oc, &os, NULL, NULL);
    expect_failure(&os, NTCP_E_PROTECTION_NOT_GRANTED, "protection_not_granted", "service");
    expect_failure(&oc, NTCP_E_PROTECTION_NOT_GRANTED, "protection_not_granted", "client");
    EXPECT_INT(oc.err.remote_code, 1790);
}

static void delegation(void)
{
    ntcp_nns_options c = client_pw("spn:host/svc.nettcp.test"), s = service();
    c.allowed_impersonation = NTCP_IMPERSONATION_DELEGATION;
    outcome oc, os;
    ntcp_nns *sn = NULL;
    run_pair(&c, &s, &oc, &os, NULL, &sn);
    expect_kerberos_ok(&oc, &os, "alice", "host/svc.nettcp.test", NTCP_PROTECTION_ENCRYPT_AND_SIGN);
    EXPECT(os.res.delegated, "no delegated credential");
    EXPECT_INT(os.res.impersonation, NTCP_IMPERSONATION_DELEGATION);
    gss_cred_id_t d = ntcp_nns_delegated_credential(sn);
    EXPECT(d != GSS_C_NO_CREDENTIAL, "no delegated credential handle");
    if (d) {
        OM_uint32 minor;
        gss_name_t name = GSS_C_NO_NAME;
        gss_buffer_desc b = GSS_C_EMPTY_BUFFER;
        OM_uint32 major = gss_inquire_cred(&minor, d, &name, NULL, NULL, NULL);
        EXPECT(!GSS_ERROR(major), "gss_inquire_cred on the delegated credential failed");
        if (!GSS_ERROR(major) && !GSS_ERROR(gss_display_name(&minor, name, &b, NULL))) {
            char want[128];
            EXPECT_STR(((void)0, (char *)b.value), realm_name("alice", want, sizeof want));
            gss_release_buffer(&minor, &b);
        }
        gss_release_name(&minor, &name);
        /* usable: the service gets a ticket for another service as alice */
        gss_name_t other = GSS_C_NO_NAME;
        gss_buffer_desc on = { strlen("host@box.nettcp.test"), (void *)"host@box.nettcp.test" }, tok = GSS_C_EMPTY_BUFFER;
        gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
        major = gss_import_name(&minor, &on, GSS_C_NT_HOSTBASED_SERVICE, &other);
        if (!GSS_ERROR(major))
            major = gss_init_sec_context(&minor, d, &ctx, other, GSS_C_NO_OID, 0, 0, GSS_C_NO_CHANNEL_BINDINGS,
                                         GSS_C_NO_BUFFER, NULL, &tok, NULL, NULL);
        EXPECT(!GSS_ERROR(major) && tok.length > 0, "the delegated credential got no ticket for host/box (0x%x)",
               (unsigned)major);
        gss_release_buffer(&minor, &tok);
        gss_delete_sec_context(&minor, &ctx, GSS_C_NO_BUFFER);
        gss_release_name(&minor, &other);
    }
    ntcp_nns_free(sn);
    /* a service the KDC does not mark trusted for delegation (ok-as-delegate):
     * as Windows, nothing is forwarded, and the level is Impersonation */
    c = client_pw("spn:host/nodeleg.nettcp.test");
    c.allowed_impersonation = NTCP_IMPERSONATION_DELEGATION;
    run_pair(&c, &s, &oc, &os, NULL, NULL);
    EXPECT(os.established && !os.res.delegated, "delegated to a service not trusted for delegation");
    EXPECT_INT(os.res.impersonation, NTCP_IMPERSONATION_IMPERSONATION);
    /* without delegation: none, and Identification */
    c = client_pw("spn:host/svc.nettcp.test");
    c.allowed_impersonation = NTCP_IMPERSONATION_IDENTIFICATION;
    run_pair(&c, &s, &oc, &os, NULL, NULL);
    EXPECT(os.established && !os.res.delegated, "unexpected delegation");
}

/* Anonymous logons: an anonymous Kerberos ticket from the realm's anonymous
 * PKINIT (scripts/realm). The default ccache holds alice's ticket (nns.sh):
 * the anonymous client must not log on as alice. */
#define ANONYMOUS_PRINCIPAL "WELLKNOWN/ANONYMOUS@WELLKNOWN:ANONYMOUS"

static void anonymous_refused(void)
{
    ntcp_nns_options c, s = service();
    ntcp_nns_options_init(&c);
    c.identity = "spn:host/svc.nettcp.test";
    c.anonymous = true;
    outcome oc, os;
    run_pair(&c, &s, &oc, &os, NULL, NULL);
    /* the service refuses after the context completed, at its policy check */
    expect_failure(&os, NTCP_E_ANONYMOUS_REFUSED, "anonymous_refused", "service");
    EXPECT_INT(os.err.step, NTCP_NNS_STEP_POLICY);
    EXPECT_STR(os.err.detail, "the client logged on anonymously");
    EXPECT_STR(os.err.mech, "Kerberos");
    /* the client hears SEC_E_LOGON_DENIED in a HandshakeError */
    expect_failure(&oc, NTCP_E_CREDENTIALS_REJECTED, "anonymous_refused", "client");
    EXPECT_INT(oc.err.step, NTCP_NNS_STEP_REMOTE);
    EXPECT(oc.err.remote, "client: the failure is not the peer's");
    EXPECT_INT(oc.err.remote_code, NTCP_SEC_E_LOGON_DENIED);
    EXPECT(oc.err.anonymous, "client: the error does not record the anonymous logon");
    EXPECT(strstr(oc.text, "allow_anonymous_clients") != NULL, "advice missing: %s", oc.text);
}

static void case_anonymous_accepted(ntcp_package pkg)
{
    ntcp_nns_options c, s = service();
    ntcp_nns_options_init(&c);
    c.identity = "spn:host/svc.nettcp.test";
    c.anonymous = true;
    c.package = s.package = pkg;
    s.allow_anonymous_clients = true;
    outcome oc, os;
    run_pair(&c, &s, &oc, &os, &with_data, NULL);
    if (!expect_established(&oc, &os))
        return;
    EXPECT_INT(oc.res.package, NTCP_PACKAGE_KERBEROS);
    EXPECT_INT(os.res.package, NTCP_PACKAGE_KERBEROS);
    EXPECT(os.res.anonymous, "service: not anonymous");
    EXPECT(oc.res.anonymous, "client: not anonymous");
    EXPECT_STR(os.res.client, ANONYMOUS_PRINCIPAL);
    EXPECT_STR(oc.res.client, ANONYMOUS_PRINCIPAL);
    EXPECT_INT(os.res.impersonation, NTCP_IMPERSONATION_ANONYMOUS);
    /* the client is anonymous, the service is not: it still proved its name */
    EXPECT(oc.res.mutual, "client: not mutual");
    EXPECT_STR(oc.res.service, "host/svc.nettcp.test@NETTCP.TEST");
    EXPECT_INT(oc.res.protection, NTCP_PROTECTION_ENCRYPT_AND_SIGN);
    EXPECT_INT(os.res.protection, NTCP_PROTECTION_ENCRYPT_AND_SIGN);
}
static void anonymous_accepted(void) { case_anonymous_accepted(NTCP_PACKAGE_NEGOTIATE); }
static void anonymous_accepted_kerberos(void) { case_anonymous_accepted(NTCP_PACKAGE_KERBEROS); }

static void anonymous_ticket_refused(void)
{
    /* no anonymous option, but the ccache holds an anonymous ticket (kinit -n
     * in nns.sh): the service still sees an anonymous client and refuses it */
    char cc[512];
    snprintf(cc, sizeof cc, "FILE:%s/anonymous.ccache", env("NTCP_REALM_DIR"));
    ntcp_nns_options c, s = service();
    ntcp_nns_options_init(&c);
    c.identity = "spn:host/svc.nettcp.test";
    c.ccache = cc;
    outcome oc, os;
    run_pair(&c, &s, &oc, &os, NULL, NULL);
    expect_failure(&os, NTCP_E_ANONYMOUS_REFUSED, "anonymous_refused", "service");
    EXPECT_INT(os.err.step, NTCP_NNS_STEP_POLICY);
    expect_failure(&oc, NTCP_E_CREDENTIALS_REJECTED, "anonymous_refused", "client");
    EXPECT_INT(oc.err.remote_code, NTCP_SEC_E_LOGON_DENIED);
    /* allowed: the name is the anonymous principal */
    s.allow_anonymous_clients = true;
    run_pair(&c, &s, &oc, &os, NULL, NULL);
    EXPECT(os.established, "service: %s", os.text);
    EXPECT(os.res.anonymous, "service: not anonymous");
    EXPECT_STR(os.res.client, ANONYMOUS_PRINCIPAL);
}

static void anonymous_unavailable(void)
{
    /* a client without pkinit_anchors cannot verify the KDC: no anonymous
     * ticket, and no fallback to the user in the default ccache */
    char *saved = strdup(env("KRB5_CONFIG"));
    setenv("KRB5_CONFIG", env("NTCP_REALM_NO_ANCHORS_CONFIG"), 1);
    ntcp_nns_options c, s = service();
    ntcp_nns_options_init(&c);
    c.identity = "spn:host/svc.nettcp.test";
    c.anonymous = true;
    outcome oc, os;
    run_pair(&c, &s, &oc, &os, NULL, NULL);
    setenv("KRB5_CONFIG", saved, 1);
    free(saved);
    expect_failure(&oc, NTCP_E_NO_CREDENTIALS, "anonymous_unavailable", "client");
    EXPECT_INT(oc.err.step, NTCP_NNS_STEP_ACQUIRE);
    EXPECT_STR(oc.err.mech, "Kerberos");
    EXPECT_INT(oc.err.krb5_error, 210); /* KRB5_PREAUTH_FAILED */
    EXPECT(strstr(oc.text, "No pkinit_anchors supplied") != NULL, "krb5 text missing: %s", oc.text);
    EXPECT(strstr(oc.text, "restrict_anonymous_to_tgt") != NULL, "advice missing: %s", oc.text);
    EXPECT(!os.established, "service: established");
}

static void anonymous_ntlm_unavailable(void)
{
    /* gss-ntlmssp refuses to initiate an anonymous logon */
    ntcp_nns_options c, s;
    ntlm_options(&c, &s, NTCP_PROTECTION_ENCRYPT_AND_SIGN);
    c.user = c.password = NULL;
    c.anonymous = true;
    s.allow_anonymous_clients = true;
    outcome oc, os;
    run_pair(&c, &s, &oc, &os, NULL, NULL);
    expect_failure(&oc, NTCP_E_AUTH_FAILED, "anonymous_unavailable", "client");
    EXPECT_INT(oc.err.step, NTCP_NNS_STEP_INIT);
    EXPECT_INT(oc.err.leg, 1);
    EXPECT_STR(oc.err.mech, "NTLM");
    EXPECT_INT(oc.err.major, GSS_S_UNAVAILABLE);
    EXPECT(strstr(oc.text, "use Kerberos or Negotiate") != NULL, "advice missing: %s", oc.text);
    EXPECT(!os.established, "service: established");
}

/* Runs this program again under faketime (clock moved by `offset`) as the
 * side named by `role` ("--acceptor-fd" or "--client-fd"), talking over a
 * socketpair; returns the child's pid and our end in *fd, or -1. */
static pid_t spawn_faketime(const char *offset, const char *role, const char *arg, const char *asan, int *fd_out)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
        expect_fail("socketpair failed");
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(sv[0]);
        char fd[16], self[4096];
        snprintf(fd, sizeof fd, "%d", sv[1]);
        ssize_t k = readlink("/proc/self/exe", self, sizeof self - 1);
        if (k <= 0)
            _exit(3);
        self[k] = 0;
        setenv("ASAN_OPTIONS", asan, 1);
        execlp("faketime", "faketime", "-f", offset, self, role, fd, arg, (char *)NULL);
        _exit(4);
    }
    close(sv[1]);
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    *fd_out = sv[0];
    return pid;
}

/* The side run in a child under faketime (see spawn_faketime): exit 0
 * established, 17 failed with `cause`, 2 otherwise. */
static int child_main(ntcp_nns *n, int fd, bool client, const char *cause)
{
    fcntl(fd, F_SETFL, O_NONBLOCK);
    outcome o;
    run_alone(n, fd, client, &o);
    if (!o.established)
        fprintf(stderr, "%s: %s\n", client ? "client" : "acceptor", o.text);
    ntcp_nns_free(n);
    return o.established ? 0 : !strcmp(o.cause, cause) ? 17 : 2;
}

/* The child's verdict, from its exit status. */
static void expect_child(pid_t pid, const char *who, const char *cause)
{
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 17, "%s exit status %d (17 = failed with %s)", who,
           WIFEXITED(status) ? WEXITSTATUS(status) : -1, cause);
}

static void clock_skew(void)
{
    /* the service runs 10 minutes ahead, under faketime, in a child */
    int fd0;
    pid_t pid = spawn_faketime("+10m", "--acceptor-fd", env("NTCP_REALM_SERVICE_KEYTAB"), "verify_asan_link_order=0", &fd0);
    if (pid < 0)
        return;
    ntcp_nns_options c = client_pw("spn:host/svc.nettcp.test");
    ntcp_nns *cn = NULL;
    EXPECT_INT(ntcp_nns_new_initiator(&cn, &c, ntcp_gss_provider()), NTCP_OK);
    outcome oc;
    run_alone(cn, fd0, true, &oc);
    close(fd0);
    ntcp_nns_free(cn);
    expect_child(pid, "acceptor", "clock_skew");
    expect_failure(&oc, NTCP_E_AUTH_REMOTE, "clock_skew", "client");
    EXPECT_INT(oc.err.remote_code, NTCP_SEC_E_TIME_SKEW);
}

/* A client with the default ccache on fd. */
static int client_main(int fd)
{
    ntcp_nns_options c;
    ntcp_nns_options_init(&c);
    c.identity = "spn:host/svc.nettcp.test";
    ntcp_nns *cn = NULL;
    if (ntcp_nns_new_initiator(&cn, &c, ntcp_gss_provider()) != NTCP_OK)
        return 2;
    return child_main(cn, fd, true, "credentials_expired");
}

static void credentials_expired(void)
{
    /* the client runs 11 hours ahead with the 10-hour ticket nns.sh got by kinit */
    int fd0;
    pid_t pid = spawn_faketime("+11h", "--client-fd", NULL, "verify_asan_link_order=0:detect_leaks=0", &fd0);
    if (pid < 0)
        return;
    ntcp_nns_options so = service();
    ntcp_nns *sn = NULL;
    EXPECT_INT(ntcp_nns_new_acceptor(&sn, &so, ntcp_gss_provider()), NTCP_OK);
    outcome os;
    run_alone(sn, fd0, false, &os);
    close(fd0);
    ntcp_nns_free(sn);
    expect_child(pid, "client", "credentials_expired");
    EXPECT(!os.established, "the service accepted an expired ticket");
}

/* An acceptor with the keytab given, on fd. */
static int acceptor_main(int fd, const char *keytab)
{
    ntcp_nns_options s;
    ntcp_nns_options_init(&s);
    s.keytab = keytab;
    ntcp_nns *sn = NULL;
    if (ntcp_nns_new_acceptor(&sn, &s, ntcp_gss_provider()) != NTCP_OK)
        return 2;
    return child_main(sn, fd, false, "clock_skew");
}

static const struct {
    const char *name;
    void (*fn)(void);
} cases[] = {
    { "spnego_kerberos_encrypt_and_sign", spnego_encrypt },
    { "spnego_kerberos_sign", spnego_sign },
    { "kerberos_encrypt_and_sign", kerberos_encrypt },
    { "kerberos_sign", kerberos_sign },
    { "ntlm_encrypt_and_sign", ntlm_encrypt },
    { "ntlm_sign", ntlm_sign },
    { "ntlm_none_unframed", ntlm_none },
    { "ntlm_refused_with_server_auth", ntlm_refused_with_server_auth },
    { "ntlm_negotiate_without_version", ntlm_negotiate_without_version },
    { "spnego_ntlm", spnego_ntlm },
    { "ntlm_bad_password", ntlm_bad_password },
    { "client_keytab", keytab_client },
    { "default_ccache", default_ccache_client },
    { "acceptor_name", acceptor_name },
    { "service_without_keytab", service_without_keytab },
    { "identity_dns", dns_identity },
    { "identity_none_uses_address_host", default_identity },
    { "identity_upn", upn_identity },
    { "wrong_spn", wrong_spn },
    { "stale_keytab", stale_keytab },
    { "default_spn_not_service", default_spn_not_service },
    { "bad_password", bad_password },
    { "unknown_user", unknown_user },
    { "no_credentials", no_credentials },
    { "reused_credential_follows_ccache", reused_credential_follows_ccache },
    { "held_acceptor_credential_follows_keytab", held_acceptor_credential_follows_keytab },
    { "kdc_unreachable", kdc_unreachable },
    { "clock_skew", clock_skew },
    { "credentials_expired", credentials_expired },
    { "protection_not_granted", protection_not_granted },
    { "delegation", delegation },
    { "anonymous_refused", anonymous_refused },
    { "anonymous_accepted", anonymous_accepted },
    { "anonymous_accepted_kerberos", anonymous_accepted_kerberos },
    { "anonymous_ticket_refused", anonymous_ticket_refused },
    { "anonymous_unavailable", anonymous_unavailable },
    { "anonymous_ntlm_unavailable", anonymous_ntlm_unavailable },
};

/* Writes the recorded session as a pcap (raw IPv4, synthetic TCP on port
 * 808), preceded by the MC-NMF preamble up to UpgradeResponse so that
 * tshark's mc-nmf dissector hands the rest to its ms-nns dissector. */
static void put32(FILE *f, uint32_t v) { fwrite(&v, 4, 1, f); }
static void put_be16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

static void pcap_packet(FILE *f, bool from_client, uint32_t seq, uint32_t ack, uint8_t flags, const uint8_t *p,
                        size_t len, uint32_t *ts)
{
    uint8_t h[40];
    memset(h, 0, sizeof h);
    h[0] = 0x45;
    put_be16(h + 2, (uint16_t)(40 + len));
    h[8] = 64;
    h[9] = 6;
    put_be32(h + 12, from_client ? 0x7f000001 : 0x7f000002);
    put_be32(h + 16, from_client ? 0x7f000002 : 0x7f000001);
    put_be16(h + 20, from_client ? 50000 : 808);
    put_be16(h + 22, from_client ? 808 : 50000);
    put_be32(h + 24, seq);
    put_be32(h + 28, ack);
    h[32] = 0x50;
    h[33] = flags;
    put_be16(h + 34, 65535);
    (*ts)++;
    put32(f, *ts / 1000);
    put32(f, (*ts % 1000) * 1000);
    put32(f, (uint32_t)(40 + len));
    put32(f, (uint32_t)(40 + len));
    fwrite(h, 1, sizeof h, f);
    if (len)
        fwrite(p, 1, len, f);
}

static int write_pcap(const char *path, const char *expect_path)
{
    static const uint8_t preamble[] = "\x00\x01\x00\x01\x02\x02\x1enet.tcp://svc.nettcp.test/calc"
                                      "\x03\x08\x09\x15" "application/negotiate";
    FILE *f = fopen(path, "wb"), *e = fopen(expect_path, "w");
    if (!f || !e)
        return -1;
    put32(f, 0xa1b2c3d4);
    put32(f, 0x00040002);
    put32(f, 0);
    put32(f, 0);
    put32(f, 262144);
    put32(f, 101); /* LINKTYPE_RAW */
    uint32_t ts = 0, cseq = 1000, sseq = 5000;
    pcap_packet(f, true, cseq++, 0, 0x02, NULL, 0, &ts);
    pcap_packet(f, false, sseq++, cseq, 0x12, NULL, 0, &ts);
    pcap_packet(f, true, cseq, sseq, 0x10, NULL, 0, &ts);
    pcap_packet(f, true, cseq, sseq, 0x18, preamble, sizeof preamble - 1, &ts);
    cseq += sizeof preamble - 1;
    pcap_packet(f, false, sseq, cseq, 0x18, (const uint8_t *)"\x0a", 1, &ts);
    sseq += 1;
    /* our own reading of each direction, for comparison with tshark's */
    ntcp_buf dir[2];
    ntcp_buf_init(&dir[0], SIZE_MAX);
    ntcp_buf_init(&dir[1], SIZE_MAX);
    for (size_t i = 0; i < rec_n; i++) {
        rec_seg *g = &rec_segs[i];
        for (size_t off = 0; off < g->len; off += 1400) {
            size_t k = g->len - off < 1400 ? g->len - off : 1400;
            uint32_t *seq = g->from_client ? &cseq : &sseq;
            pcap_packet(f, g->from_client, *seq, g->from_client ? sseq : cseq, 0x18, g->data + off, k, &ts);
            *seq += (uint32_t)k;
        }
        if (ntcp_buf_append(&dir[g->from_client ? 0 : 1], g->data, g->len) != NTCP_OK)
            return -1;
    }
    /* handshake messages then data frames, in each direction's order */
    for (int d = 0; d < 2; d++) {
        size_t off = 0;
        bool data = false;
        while (off < dir[d].len) {
            ntcp_nns_handshake m;
            size_t used = 0, pl = 0;
            if (!data && ntcp_nns_decode_handshake(dir[d].data + off, dir[d].len - off, 0xFFFF, &m, &used) == NTCP_OK) {
                fprintf(e, "%s handshake 0x%02x %zu\n", d ? "S" : "C", m.id, m.len);
                off += used;
                if (m.id == NTCP_NNS_HANDSHAKE_DONE && d == 1)
                    data = true; /* the server is done: data frames follow */
                continue;
            }
            data = true;
            if (ntcp_nns_decode_data_header(dir[d].data + off, dir[d].len - off, 65536, &pl) != NTCP_OK ||
                pl > dir[d].len - off - 4)
                break;
            fprintf(e, "%s data %zu\n", d ? "S" : "C", pl);
            off += 4 + pl;
        }
    }
    ntcp_buf_free(&dir[0]);
    ntcp_buf_free(&dir[1]);
    for (size_t i = 0; i < rec_n; i++)
        free(rec_segs[i].data);
    free(rec_segs);
    fclose(f);
    fclose(e);
    return 0;
}

int main(int argc, char **argv)
{
    const char *pcap_path = NULL, *expect_path = NULL;
    if (argc >= 4 && !strcmp(argv[1], "--pcap")) {
        /* nns_e2e --pcap FILE EXPECT CASE: run one case and capture it */
        pcap_path = argv[2];
        expect_path = argv[3];
        recording = true;
        argv += 3;
        argc -= 3;
    }
    /* The children run under faketime (LD_PRELOAD); with ASan its exit-time
     * handlers can abort, so they leave with _exit once the result is known. */
    if (argc == 4 && !strcmp(argv[1], "--acceptor-fd")) {
        int rc = acceptor_main(atoi(argv[2]), argv[3]);
        fflush(NULL);
        _exit(rc);
    }
    if (argc == 3 && !strcmp(argv[1], "--client-fd")) {
        int rc = client_main(atoi(argv[2]));
        fflush(NULL);
        _exit(rc);
    }
    int passed = 0, failed = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bool want = argc < 2;
        for (int a = 1; a < argc; a++)
            if (!strcmp(argv[a], cases[i].name))
                want = true;
        if (!want)
            continue;
        case_failed = 0;
        case_msg[0] = 0;
        cases[i].fn();
        if (case_failed) {
            printf("FAIL %s: %s\n", cases[i].name, case_msg);
            failed++;
        } else {
            printf("ok   %s\n", cases[i].name);
            passed++;
        }
        fflush(stdout);
    }
    if (pcap_path && write_pcap(pcap_path, expect_path) != 0) {
        printf("cannot write %s\n", pcap_path);
        failed++;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
