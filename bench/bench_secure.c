/* Secured transport speed, each figure beside a floor measured in the same
 * run (no thresholds asserted: this prints ratios). Needs a realm: run
 * scripts/bench, or `scripts/with-realm build/bench/bench_secure`, with a
 * Kerberos ticket in the default ccache (scripts/bench does kinit).
 *   P1  request/reply rate on one channel, 256-byte payload, Kerberos
 *       EncryptAndSign (message level) / raw TCP ping-pong; also the ratio no
 *       implementation can beat in this run: raw round trip / (raw round trip
 *       + the four GSS operations of a round trip); the same requests without
 *       security (framing and channel alone); and full SOAP calls through the
 *       client and the service host
 *   P2  16 MiB each way at EncryptAndSign / in-process NNS wrap+unwrap of the
 *       same bytes (per 63 KiB frame, the libcrypto path), and / MIT's
 *       gss_wrap + gss_unwrap of the same bytes (a child with it turned off)
 *   P3  connections per second: open, one call, close (cached ticket) /
 *       in-process GSSAPI init+accept handshakes (MIT's GSSAPI alone; also
 *       the same handshake through this library's NNS layer, and the best
 *       ratio raw TCP connections allow)
 *   P5  idle secured sessions held by one service process: resident memory
 *       per session (target 100,000 sessions at <= 16 KiB each)
 * Each figure and its floors are measured in alternating slices (SLICES).
 * usage: bench_secure [seconds-per-measure] [sessions] [parts]
 *   parts: which of P1,P2,P3,P5 to run (e.g. "P3"); all by default
 * NTCP_BENCH_CPUS=C,S pins the client side (and the in-process floors) to
 * CPU C and every service thread, ours and the raw floors', to CPU S: the
 * same placement for a figure and its floor (unset: the scheduler's). */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <nettcp/channel.h>
#include <nettcp/client.h>
#include "channel/conn.h"
#include <nettcp/negotiate.h>
#include <nettcp/server.h>
#include <nettcp/service.h>
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include "../tests/e2e/e2e.h"
#include "echo_server.h"

#define pin_self bench_pin_self /* the names the parts below use */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}


/* ---- a secured echo service (message level) ---- */
static ntcp_nns_options service_opts;
static ntcp_stream *up_new(void *ctx, ntcp_server_session *ss)
{
    (void)ctx;
    (void)ss;
    ntcp_stream *up = NULL;
    return ntcp_nns_stream_new(&up, false, &service_opts) == NTCP_OK ? up : NULL;
}

/* The echo service, secured (NegotiateStream required) or not (framing and
 * channel alone). */
static ntcp_server *start_server(int *port, unsigned max_sessions, bool secured)
{
    ntcp_nns_options_init(&service_opts);
    service_opts.keytab = env("NTCP_REALM_SERVICE_KEYTAB");
    return bench_echo_start(secured ? NTCP_UPGRADE_NEGOTIATE : NULL, up_new, max_sessions, port);
}

#define run_server bench_echo_run /* pthread body of a start_server service */

/* A secured channel; *up_out owns the client's security context (free it
 * with ntcp_stream_free once the channel is gone). */
static ntcp_channel *open_secure_at(const char *host, int port, ntcp_stream **up_out)
{
    ntcp_nns_options co;
    ntcp_nns_options_init(&co);
    co.identity = "spn:host/svc.nettcp.test"; /* the default ccache holds the ticket */
    ntcp_stream *up;
    if (ntcp_nns_stream_new(&up, true, &co))
        return NULL;
    ntcp_channel_options o;
    ntcp_channel_options_init(&o);
    o.upgrade = up;
    o.limits.max_message = 32u << 20;
    char url[96];
    snprintf(url, sizeof url, "net.tcp://%s:%d/bench", host, port);
    ntcp_channel *ch;
    ntcp_error err;
    if (ntcp_channel_open(&ch, url, &o, &err)) {
        fprintf(stderr, "open: %s\n", err.text);
        ntcp_stream_free(up);
        return NULL;
    }
    *up_out = up;
    return ch;
}
static ntcp_channel *open_secure(int port, ntcp_stream **up_out) { return open_secure_at("127.0.0.1", port, up_out); }

/* ---- the whole stack: the service host answering SOAP calls ---- */
#define ECHO_ACTION "http://tempuri.org/IBench/Echo"
static ntcp_service *start_soap_service(int *port)
{
    ntcp_service_options o;
    ntcp_service_options_init(&o);
    o.nns.keytab = env("NTCP_REALM_SERVICE_KEYTAB");
    const char *w = getenv("NTCP_BENCH_WORKERS"); /* default: the service's (one per CPU); 0: handlers on the loop */
    if (w && *w)
        o.workers = (unsigned)atoi(w);
    ntcp_service *s;
    if (ntcp_service_new(&s, &o) || ntcp_service_add_operation(s, ECHO_ACTION, NULL, bench_soap_echo, NULL) ||
        ntcp_service_listen(s, "net.tcp://127.0.0.1:0/bench", port)) {
        fprintf(stderr, "bench_secure: cannot start the SOAP service\n");
        exit(1);
    }
    return s;
}

static void *run_soap_service(void *arg)
{
    pin_self(1);
    if (ntcp_service_run(arg))
        fprintf(stderr, "SOAP service run failed\n");
    return NULL;
}

/* calls per second: a 256-character text echoed */
static double soap_rate(ntcp_client *c, double budget)
{
    char body[400];
    int n = snprintf(body, sizeof body, "<Echo xmlns=\"http://tempuri.org/\"><text>%0256d</text></Echo>", 0);
    long calls = 0;
    double t0 = now(), t1;
    do {
        ntcp_soap_msg reply;
        ntcp_status st = ntcp_client_call(c, ECHO_ACTION, NULL, 0, body, (size_t)n, &reply);
        /* the reply comes back as indented text: look for the 256 characters */
        bool ok = st == NTCP_OK && reply.body.len >= 256 && memmem(reply.body.data, reply.body.len, body + 40, 256);
        if (!ok) {
            fprintf(stderr, "P1: a SOAP call failed (%s, %zu bytes back): %s\n", ntcp_status_name(st), reply.body.len,
                    st ? ntcp_error_text(ntcp_client_error(c)) : "");
            fprintf(stderr, "%.*s\n", (int)reply.body.len, (const char *)reply.body.data);
            ntcp_soap_msg_clear(&reply);
            break;
        }
        ntcp_soap_msg_clear(&reply);
        calls++;
    } while ((t1 = now()) - t0 < budget);
    t1 = now();
    return (double)calls / (t1 - t0);
}

/* ---- raw TCP ping-pong floor ---- */
struct raw_srv {
    int lfd;
    size_t size;
};
static void *raw_server(void *arg)
{
    struct raw_srv *r = arg;
    pin_self(1);
    int fd = -1;
    while (fd < 0)
        fd = accept(r->lfd, NULL, NULL);
    uint8_t *buf = malloc(r->size);
    for (;;) {
        size_t got = 0;
        while (got < r->size) {
            ssize_t k = recv(fd, buf + got, r->size - got, 0);
            if (k <= 0)
                goto done;
            got += (size_t)k;
        }
        if (send(fd, buf, r->size, MSG_NOSIGNAL) != (ssize_t)r->size)
            break;
    }
done:
    free(buf);
    close(fd);
    return NULL;
}

static double raw_rate(size_t size, double budget)
{
    int lfd, port;
    if (ntcp_tcp_listen("127.0.0.1", "0", 4, &lfd, &port))
        return 0;
    struct raw_srv rs = { lfd, size };
    /* the listener is non-blocking: the server thread spins on accept briefly */
    pthread_t t;
    pthread_create(&t, NULL, raw_server, &rs);
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    int fd;
    if (ntcp_tcp_connect("127.0.0.1", ps, 5000, &fd))
        return 0;
    uint8_t *buf = calloc(1, size);
    long n = 0;
    double t0 = now(), t1;
    do {
        if (ntcp_tcp_write_all(fd, buf, size, 5000))
            break;
        size_t got = 0;
        while (got < size) {
            size_t k = 0;
            if (ntcp_tcp_read(fd, buf + got, size - got, &k, 5000) || k == 0)
                goto out;
            got += k;
        }
        n++;
    } while ((t1 = now()) - t0 < budget);
out:
    t1 = now();
    close(fd);
    pthread_join(t, NULL);
    close(lfd);
    free(buf);
    return (double)n / (t1 - t0);
}

static double channel_rate(ntcp_channel *ch, size_t size, double budget)
{
    uint8_t *msg = calloc(1, size);
    memset(msg, 'm', size);
    long n = 0;
    double t0 = now(), t1;
    do {
        const uint8_t *r;
        size_t rl;
        if (ntcp_channel_request(ch, msg, size, &r, &rl) || rl != size)
            break;
        n++;
    } while ((t1 = now()) - t0 < budget);
    t1 = now();
    free(msg);
    return (double)n / (t1 - t0);
}

/* in-memory NNS pair (client credentials from the default ccache) */
static bool pair_open(ntcp_nns **c, ntcp_nns **s)
{
    ntcp_nns_options co;
    ntcp_nns_options_init(&co);
    co.identity = "spn:host/svc.nettcp.test";
    if (ntcp_nns_new_initiator(c, &co, ntcp_gss_provider()) || ntcp_nns_new_acceptor(s, &service_opts, ntcp_gss_provider()))
        return false;
    ntcp_buf a, b, plain;
    ntcp_buf_init(&a, 1 << 20);
    ntcp_buf_init(&b, 1 << 20);
    ntcp_buf_init(&plain, 1 << 20);
    bool ok = ntcp_nns_start(*c, &a) == NTCP_OK;
    for (int leg = 0; ok && leg < 8 && !(ntcp_nns_established(*c) && ntcp_nns_established(*s)); leg++) {
        size_t used;
        ntcp_status st = ntcp_nns_recv(*s, a.data, a.len, &used, &plain, &b);
        ntcp_buf_reset(&a);
        ok = st == NTCP_OK || st == NTCP_AGAIN;
        st = ntcp_nns_recv(*c, b.data, b.len, &used, &plain, &a);
        ntcp_buf_reset(&b);
        ok = ok && (st == NTCP_OK || st == NTCP_AGAIN);
    }
    ok = ok && ntcp_nns_established(*c) && ntcp_nns_established(*s);
    ntcp_buf_free(&a);
    ntcp_buf_free(&b);
    ntcp_buf_free(&plain);
    return ok;
}

/* The part of one P1 round trip no transport can avoid: client wrap, service
 * unwrap, service wrap, client unwrap of the record actually sent (a
 * SizedEnvelope: 0x06, the size, the payload), in process. A request/reply
 * can be no faster than raw TCP plus this, so raw / (raw + this) is the best
 * ratio P1 can reach in the run. Seconds per round trip. */
static double gss_round_trip(size_t size, double budget)
{
    ntcp_nns *pc, *ps;
    if (!pair_open(&pc, &ps))
        return 0;
    size_t rec = 1 + (size < 0x80 ? 1 : size < 0x4000 ? 2 : 3) + size;
    uint8_t *msg = malloc(rec);
    memset(msg, 'm', rec);
    ntcp_buf wire, plain, back;
    ntcp_buf_init(&wire, 1 << 20);
    ntcp_buf_init(&plain, 1 << 20);
    ntcp_buf_init(&back, 1 << 16);
    long n = 0;
    bool ok = true;
    double t0 = now(), t1;
    do {
        for (int dir = 0; dir < 2 && ok; dir++) {
            ntcp_nns *a = dir ? ps : pc, *b = dir ? pc : ps;
            size_t used;
            ntcp_buf_reset(&wire);
            ntcp_buf_reset(&plain);
            ntcp_status st = ntcp_nns_send(a, msg, rec, &wire);
            if (!st)
                st = ntcp_nns_recv(b, wire.data, wire.len, &used, &plain, &back);
            ok = (st == NTCP_OK || st == NTCP_AGAIN) && plain.len == rec;
        }
        n++;
    } while (ok && (t1 = now()) - t0 < budget);
    t1 = now();
    ntcp_buf_free(&wire);
    ntcp_buf_free(&plain);
    ntcp_buf_free(&back);
    free(msg);
    ntcp_nns_free(pc);
    ntcp_nns_free(ps);
    return ok && n ? (t1 - t0) / (double)n : 0;
}

static long rss_kib(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long v = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6))
            v = atol(line + 6);
    if (f)
        fclose(f);
    return v;
}

/* P3's floor as the target names it: MIT's GSSAPI alone, in process, with
 * the mechanism the connections negotiate (SPNEGO offering Kerberos), the
 * same ticket cache, target and keytab, and each side's credential acquired
 * once as a long-running client and service hold theirs: init, accept,
 * init (mutual), until both are complete; both contexts deleted. Seconds
 * per handshake, 0 on failure. */
static double gss_handshake_floor(double budget)
{
    static gss_OID_desc spnego = { 6, (void *)"\x2b\x06\x01\x05\x05\x02" };
    gss_OID_set_desc krb5_only = { 1, (gss_OID)gss_mech_krb5 }, spnego_only = { 1, &spnego };
    OM_uint32 major, minor;
    gss_buffer_desc nb = { strlen("host@svc.nettcp.test"), (void *)"host@svc.nettcp.test" };
    gss_name_t target = GSS_C_NO_NAME;
    gss_cred_id_t ic = GSS_C_NO_CREDENTIAL, ac = GSS_C_NO_CREDENTIAL;
    gss_key_value_element_desc kv = { "keytab", env("NTCP_REALM_SERVICE_KEYTAB") };
    gss_key_value_set_desc store = { 1, &kv };
    bool ok = !GSS_ERROR(gss_import_name(&minor, &nb, GSS_C_NT_HOSTBASED_SERVICE, &target)) &&
              !GSS_ERROR(gss_acquire_cred(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, &spnego_only, GSS_C_INITIATE, &ic,
                                          NULL, NULL)) &&
              !GSS_ERROR(gss_set_neg_mechs(&minor, ic, &krb5_only)) &&
              !GSS_ERROR(gss_acquire_cred_from(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, &spnego_only, GSS_C_ACCEPT,
                                               &store, &ac, NULL, NULL)) &&
              !GSS_ERROR(gss_set_neg_mechs(&minor, ac, &krb5_only));
    long n = 0;
    double t0 = now(), t1;
    while (ok) {
        gss_ctx_id_t ictx = GSS_C_NO_CONTEXT, actx = GSS_C_NO_CONTEXT;
        gss_buffer_desc to_acc = GSS_C_EMPTY_BUFFER, to_init = GSS_C_EMPTY_BUFFER;
        bool idone = false, adone = false;
        for (int leg = 0; ok && leg < 6 && !(idone && adone); leg++) {
            if (!idone) {
                major = gss_init_sec_context(&minor, ic, &ictx, target, &spnego,
                                             GSS_C_MUTUAL_FLAG | GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG, 0, NULL,
                                             leg ? &to_init : GSS_C_NO_BUFFER, NULL, &to_acc, NULL, NULL);
                ok = !GSS_ERROR(major);
                idone = major == GSS_S_COMPLETE;
                gss_release_buffer(&minor, &to_init);
            }
            if (ok && to_acc.length) {
                major = gss_accept_sec_context(&minor, &actx, ac, &to_acc, GSS_C_NO_CHANNEL_BINDINGS, NULL, NULL,
                                               &to_init, NULL, NULL, NULL);
                ok = !GSS_ERROR(major);
                adone = major == GSS_S_COMPLETE;
                gss_release_buffer(&minor, &to_acc);
            }
        }
        ok = ok && idone && adone;
        gss_release_buffer(&minor, &to_acc);
        gss_release_buffer(&minor, &to_init);
        gss_delete_sec_context(&minor, &ictx, GSS_C_NO_BUFFER);
        gss_delete_sec_context(&minor, &actx, GSS_C_NO_BUFFER);
        if (!ok)
            break;
        n++;
        if ((t1 = now()) - t0 >= budget)
            break;
    }
    t1 = now();
    gss_release_name(&minor, &target);
    gss_release_cred(&minor, &ic);
    gss_release_cred(&minor, &ac);
    return ok && n ? (t1 - t0) / (double)n : 0;
}

/* ---- raw TCP connection floor (P3) ----
 * What a secured connection costs the kernel alone: connect, accept, the
 * five round trips of a session (preamble and upgrade, the Kerberos
 * handshake, PreambleEnd/Ack, one call, End/End) with about the sizes they
 * carry, and the close with its FIN exchange, without any framing or
 * security work. A connection can be no faster than this plus the
 * handshake's in-process cost, so that sum bounds P3's ratio. */
static const size_t conn_legs[5] = { 110, 780, 40, 300, 40 };
struct raw_conn_srv {
    int lfd;
    volatile int stop;
};
static void *raw_conn_server(void *arg)
{
    struct raw_conn_srv *r = arg;
    pin_self(1);
    uint8_t buf[1024];
    while (!r->stop) {
        struct pollfd p = { r->lfd, POLLIN, 0 };
        if (poll(&p, 1, 50) <= 0)
            continue;
        int fd = accept4(r->lfd, NULL, NULL, 0);
        if (fd < 0)
            continue;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        for (size_t leg = 0; leg < 5; leg++) {
            size_t got = 0;
            while (got < conn_legs[leg]) {
                ssize_t k = recv(fd, buf, conn_legs[leg] - got, 0);
                if (k <= 0)
                    goto done;
                got += (size_t)k;
            }
            if (send(fd, buf, conn_legs[leg], MSG_NOSIGNAL) != (ssize_t)conn_legs[leg])
                goto done;
        }
        while (recv(fd, buf, sizeof buf, 0) > 0) {
        }
    done:
        close(fd);
    }
    return NULL;
}

static double raw_connection_rate(double budget)
{
    int lfd, port;
    if (ntcp_tcp_listen("127.0.0.1", "0", 64, &lfd, &port))
        return 0;
    struct raw_conn_srv rs = { lfd, 0 };
    pthread_t t;
    pthread_create(&t, NULL, raw_conn_server, &rs);
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    uint8_t buf[1024] = { 0 };
    long n = 0;
    double t0 = now(), t1;
    do {
        int fd;
        if (ntcp_tcp_connect("127.0.0.1", ps, 5000, &fd))
            break;
        bool ok = true;
        for (size_t leg = 0; ok && leg < 5; leg++) {
            ok = ntcp_tcp_write_all(fd, buf, conn_legs[leg], 5000) == NTCP_OK;
            size_t got = 0;
            while (ok && got < conn_legs[leg]) {
                size_t k = 0;
                ok = ntcp_tcp_read(fd, buf, conn_legs[leg] - got, &k, 5000) == NTCP_OK && k > 0;
                got += k;
            }
        }
        shutdown(fd, SHUT_WR);
        size_t k = 1;
        while (ok && k > 0)
            ok = ntcp_tcp_read(fd, buf, sizeof buf, &k, 5000) == NTCP_OK;
        close(fd);
        if (!ok)
            break;
        n++;
    } while ((t1 = now()) - t0 < budget);
    t1 = now();
    rs.stop = 1;
    pthread_join(t, NULL);
    close(lfd);
    return (double)n / (t1 - t0);
}

/* P2's floor: the same bytes through an in-process NNS pair (wrap, frame,
 * unframe, unwrap), MB/s of plaintext both ways; 0 on failure. */
static double p2_floor(const uint8_t *msg, size_t big, double budget)
{
    ntcp_nns *pc, *ps;
    if (!pair_open(&pc, &ps))
        return 0;
    ntcp_buf wire, plain, back;
    ntcp_buf_init(&wire, 64u << 20);
    ntcp_buf_init(&plain, 64u << 20);
    ntcp_buf_init(&back, 1 << 16); /* what the receiver would send back: nothing in the data phase */
    int k = 0;
    double t0 = now(), t1;
    do {
        for (int dir = 0; dir < 2; dir++) {
            ntcp_buf_reset(&wire);
            ntcp_buf_reset(&plain);
            ntcp_nns *a = dir ? ps : pc, *b = dir ? pc : ps;
            size_t used;
            ntcp_status rs = ntcp_nns_send(a, msg, big, &wire);
            if (!rs)
                rs = ntcp_nns_recv(b, wire.data, wire.len, &used, &plain, &back);
            if ((rs != NTCP_OK && rs != NTCP_AGAIN) || plain.len != big)
                fprintf(stderr, "P2 floor failed\n");
        }
        k++;
    } while ((t1 = now()) - t0 < budget);
    double floor2 = 2.0 * k * (double)big / (t1 - t0) / 1e6;
    ntcp_buf_free(&wire);
    ntcp_buf_free(&back);
    ntcp_buf_free(&plain);
    ntcp_nns_free(pc);
    ntcp_nns_free(ps);
    return floor2;
}

/* The floor the issue names: gss_wrap + gss_unwrap of MIT's GSSAPI, in a
 * child of this program with the libcrypto per-message path turned off
 * (NTCP_GSS_FAST_WRAP=0 is read once per process). */
static double p2_gss_floor(double budget)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "NTCP_GSS_FAST_WRAP=0 /proc/%d/exe --p2-floor %.2f", (int)getpid(), budget);
    FILE *f = popen(cmd, "r");
    double v = 0;
    if (f) {
        if (fscanf(f, "%lf", &v) != 1)
            v = 0;
        pclose(f);
    }
    return v;
}

/* This VM's speed drifts by 2x within seconds, so each figure and its floor
 * are measured in SLICES alternating slices of the budget and averaged: a
 * ratio then compares the two under the same conditions. */
#define SLICES 4

static void p1(int port, double budget)
{
    ntcp_stream *cup = NULL;
    ntcp_channel *ch = open_secure(port, &cup);
    if (!ch)
        exit(1);
    ntcp_stream_security r_;
    if (ntcp_stream_query(cup, NTCP_STREAM_QUERY_SECURITY, &r_))
        exit(1);
    const ntcp_stream_security *r = &r_;
    /* the unsecured channel and the SOAP client, each against its own service */
    int pport, sport;
    ntcp_server *psrv = start_server(&pport, 16, false);
    ntcp_service *ssvc = start_soap_service(&sport);
    pthread_t pt, stt;
    pthread_create(&pt, NULL, run_server, psrv);
    pthread_create(&stt, NULL, run_soap_service, ssvc);
    char url[96];
    ntcp_error err;
    snprintf(url, sizeof url, "net.tcp://127.0.0.1:%d/bench", pport);
    ntcp_channel_options po;
    ntcp_channel_options_init(&po);
    po.limits.max_message = 32u << 20;
    ntcp_channel *pch;
    if (ntcp_channel_open(&pch, url, &po, &err)) {
        fprintf(stderr, "open (unsecured): %s\n", err.text);
        exit(1);
    }
    ntcp_client_options so;
    ntcp_client_options_init(&so);
    so.nns.identity = "spn:host/svc.nettcp.test";
    snprintf(url, sizeof url, "net.tcp://127.0.0.1:%d/bench", sport);
    ntcp_client *cl;
    if (ntcp_client_open(&cl, url, &so, &err)) {
        fprintf(stderr, "open (SOAP): %s\n", err.text);
        exit(1);
    }
    double raw = 0, sec = 0, gss = 0, plain = 0, soap = 0;
    for (int k = 0; k < SLICES; k++) {
        raw += raw_rate(256, budget / SLICES) / SLICES;
        sec += channel_rate(ch, 256, budget / SLICES) / SLICES;
        gss += gss_round_trip(256, budget / SLICES / 2) / SLICES;
        plain += channel_rate(pch, 256, budget / SLICES / 2) / SLICES;
        soap += soap_rate(cl, budget / SLICES / 2) / SLICES;
    }
    printf("P1 request/reply, 256 B, %s %s: %.0f/s; raw TCP ping-pong: %.0f/s; ratio %.2f (target >= 0.75)\n",
           r->package, r->protection, sec, raw, sec / raw);
    if (gss > 0 && raw > 0)
        printf("P1 floor: the 4 GSS operations of a round trip take %.1f us in process, a raw round trip %.1f us: "
               "best possible ratio %.2f\n", gss * 1e6, 1e6 / raw, (1 / raw) / (1 / raw + gss));
    if (plain > 0 && raw > 0)
        printf("P1 the same requests without security (framing and channel alone): %.0f/s, %.2f of raw; "
               "secured / unsecured %.2f\n", plain, plain / raw, sec / plain);
    const ntcp_nns_result *sr = ntcp_client_security(cl);
    if (soap > 0 && sr)
        printf("P1 full SOAP calls (client and service host, a 256-character text echoed), %s %s: %.0f/s, "
               "%.1f us a call\n", ntcp_package_name(sr->package), ntcp_protection_name(sr->protection), soap,
               1e6 / soap);
    if (ntcp_channel_close(ch) || ntcp_channel_close(pch) || ntcp_client_close(cl))
        fprintf(stderr, "close failed\n");
    ntcp_stream_free(cup);
    ntcp_server_stop(psrv);
    ntcp_service_stop(ssvc);
    pthread_join(pt, NULL);
    pthread_join(stt, NULL);
    ntcp_server_free(psrv);
    ntcp_service_free(ssvc);
}

/* MB/s of plaintext both ways, 16 MiB requests echoed on one channel */
static double p2_rate(ntcp_channel *ch, const uint8_t *msg, size_t big, double budget)
{
    int rounds = 0;
    double t0 = now(), t1;
    do {
        const uint8_t *rep;
        size_t rl;
        if (ntcp_channel_request(ch, msg, big, &rep, &rl) || rl != big) {
            fprintf(stderr, "P2: request failed: %s\n", ntcp_error_text(ntcp_channel_error(ch)));
            exit(1);
        }
        rounds++;
    } while ((t1 = now()) - t0 < budget);
    t1 = now();
    return 2.0 * rounds * (double)big / (t1 - t0) / 1e6;
}

static void p2(int port, double budget)
{
    ntcp_stream *cup = NULL;
    ntcp_channel *ch = open_secure(port, &cup);
    if (!ch)
        exit(1);
    size_t big = 16u << 20;
    uint8_t *msg = malloc(big);
    for (size_t i = 0; i < big; i++)
        msg[i] = (uint8_t)(i * 31);
    double rate = 0, floor2 = 0;
    for (int k = 0; k < SLICES; k++) {
        rate += p2_rate(ch, msg, big, budget / SLICES) / SLICES;
        floor2 += p2_floor(msg, big, budget / SLICES) / SLICES;
    }
    printf("P2 16 MiB each way, EncryptAndSign: %.0f MB/s; in-process wrap+unwrap: %.0f MB/s; ratio %.2f (target >= 0.8)\n",
           rate, floor2, floor2 > 0 ? rate / floor2 : 0);
    double gfloor2 = p2_gss_floor(budget);
    if (gfloor2 > 0)
        printf("P2 against MIT's gss_wrap + gss_unwrap in process (the per-message path without libcrypto): %.0f MB/s; "
               "ratio %.2f\n", gfloor2, rate / gfloor2);
    free(msg);
    if (ntcp_channel_close(ch))
        fprintf(stderr, "close failed\n");
    ntcp_stream_free(cup);
}

/* connections per second: open, one call, close */
static double p3_rate(int port, double budget)
{
    int opened = 0;
    double t0 = now(), t1;
    do {
        ntcp_stream *up = NULL;
        ntcp_channel *c = open_secure(port, &up);
        if (!c)
            exit(1);
        const uint8_t *rep;
        size_t rl;
        if (ntcp_channel_request(c, (const uint8_t *)"ping", 4, &rep, &rl) || ntcp_channel_close(c)) {
            fprintf(stderr, "P3: a connection failed\n");
            exit(1);
        }
        ntcp_stream_free(up);
        opened++;
    } while ((t1 = now()) - t0 < budget);
    t1 = now();
    return opened / (t1 - t0);
}

/* seconds per in-process handshake through the NNS layer */
static double nns_handshake_time(double budget)
{
    int hs = 0;
    double t0 = now(), t1;
    do {
        ntcp_nns *pc, *ps;
        if (!pair_open(&pc, &ps))
            return 0;
        ntcp_nns_free(pc);
        ntcp_nns_free(ps);
        hs++;
    } while ((t1 = now()) - t0 < budget);
    t1 = now();
    return (t1 - t0) / hs;
}

/* seconds of CPU this process (every thread) used so far */
static double cpu_now(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void p3(int port, double budget)
{
    /* wall time per item, and the CPU time both sides spent on it (other
     * load on the machine stretches the first far more than the second) */
    double rate = 0, nns_hs = 0, gss_hs = 0, rawc = 0, cpu_conn = 0, cpu_nns = 0, cpu_raw = 0;
    for (int k = 0; k < SLICES; k++) {
        double c0 = cpu_now(), w0 = now(), r = p3_rate(port, budget / SLICES);
        double c1 = cpu_now(), w1 = now(), h = nns_handshake_time(budget / SLICES);
        double c2 = cpu_now(), w2 = now();
        gss_hs += gss_handshake_floor(budget / SLICES) / SLICES;
        double c3 = cpu_now(), w3 = now(), rc = raw_connection_rate(budget / SLICES / 2);
        double c4 = cpu_now(), w4 = now();
        rate += r / SLICES;
        nns_hs += h / SLICES;
        rawc += rc / SLICES;
        if (r > 0 && h > 0 && rc > 0) {
            cpu_conn += (c1 - c0) / (w1 - w0) / r / SLICES;
            cpu_nns += (c2 - c1) / (w2 - w1) * h / SLICES;
            cpu_raw += (c4 - c3) / (w4 - w3) / rc / SLICES;
        }
    }
    printf("P3 connections/s (open, one call, close; cached ticket): %.0f/s; in-process GSSAPI init+accept (SPNEGO, "
           "credentials held): %.0f/s; ratio %.2f (target >= 0.7)\n", rate, gss_hs > 0 ? 1 / gss_hs : 0,
           gss_hs > 0 ? rate * gss_hs : 0);
    if (nns_hs > 0)
        printf("P3 the same handshake through nettcp's NegotiateStream layer in process (credential checks, results, "
               "identity): %.0f us; connections / that: %.2f\n", nns_hs * 1e6, rate * nns_hs);
    if (rawc > 0 && gss_hs > 0)
        printf("P3 floor: a raw TCP connection with the same five round trips and close takes %.0f us, the "
               "GSSAPI handshake %.0f us: best possible ratio %.2f\n", 1e6 / rawc, gss_hs * 1e6,
               gss_hs / (gss_hs + 1 / rawc));
    if (rawc > 0 && nns_hs > 0 && rate > 0)
        printf("P3 the channel beside its parts: a connection takes %.0f us, the NNS handshake in process plus a raw "
               "TCP connection %.0f us: ratio %.2f\n", 1e6 / rate, (nns_hs + 1 / rawc) * 1e6,
               (nns_hs + 1 / rawc) * rate);
    if (cpu_conn > 0)
        printf("P3 CPU time, both sides: a connection %.0f us, the NNS handshake in process %.0f us plus a raw TCP "
               "connection %.0f us: ratio %.2f\n", cpu_conn * 1e6, cpu_nns * 1e6, cpu_raw * 1e6,
               (cpu_nns + cpu_raw) / cpu_conn);
}

/* P5: a service in its own process; this process opens the sessions. One
 * source address has ip_local_port_range's ephemeral ports (about 28,000)
 * towards one address and port, so the service listens on 127.0.0.1,
 * 127.0.0.2, ... (all of 127/8 is loopback), one per P5_PER_ADDRESS
 * sessions. Each side holds one descriptor per session: RLIMIT_NOFILE is
 * raised for both (up to fs.nr_open; the hard limit needs CAP_SYS_RESOURCE). */
#define P5_PER_ADDRESS 25000
#define P5_MAX_ADDRESSES 8 /* the service's listeners */

static void p5_raise_nofile(int sessions)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)sessions + 4096;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur >= want)
        return;
    rlim_t hard = rl.rlim_max > want ? rl.rlim_max : want;
    struct rlimit nl = { want, hard };
    if (setrlimit(RLIMIT_NOFILE, &nl) != 0) {
        nl.rlim_cur = nl.rlim_max = rl.rlim_max; /* not privileged: as far as the hard limit goes */
        (void)setrlimit(RLIMIT_NOFILE, &nl);
    }
}

/* P5 takes tens of thousands of loopback ports for a while: where it may
 * (CAP_SYS_ADMIN), it runs in a network namespace of its own so other
 * programs on the machine keep theirs. The KDC stays outside, so the
 * service ticket is fetched first by one connection to a service out here.
 * False: P5 shares the machine's loopback. */
static bool p5_own_network(void)
{
    int port;
    ntcp_server *s = start_server(&port, 4, true);
    pthread_t t;
    pthread_create(&t, NULL, run_server, s);
    ntcp_stream *up = NULL;
    ntcp_channel *ch = open_secure(port, &up);
    bool primed = ch && ntcp_channel_close(ch) == NTCP_OK;
    ntcp_stream_free(up);
    ntcp_server_stop(s);
    pthread_join(t, NULL);
    ntcp_server_free(s);
    if (!primed || unshare(CLONE_NEWNET) != 0)
        return false;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    bool up_ok = fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags |= IFF_UP, ioctl(fd, SIOCSIFFLAGS, &ifr) == 0);
    if (fd >= 0)
        close(fd);
    if (!up_ok) {
        fprintf(stderr, "P5: no loopback in the new network namespace\n");
        exit(1);
    }
    return true;
}

static void p5_run(int sessions)
{
    p5_raise_nofile(sessions);
    int asked = sessions;
    struct rlimit nofile;
    getrlimit(RLIMIT_NOFILE, &nofile);
    if (nofile.rlim_cur < (rlim_t)sessions + 64)
        sessions = nofile.rlim_cur > 128 ? (int)nofile.rlim_cur - 64 : 64; /* each side's other descriptors */
    bool own_net = p5_own_network();
    int naddr = (sessions + P5_PER_ADDRESS - 1) / P5_PER_ADDRESS;
    if (naddr < 1)
        naddr = 1;
    if (naddr > P5_MAX_ADDRESSES)
        naddr = P5_MAX_ADDRESSES;
    int pfd[2];
    if (pipe(pfd))
        exit(1);
    pid_t pid = fork();
    if (pid == 0) {
        close(pfd[0]);
        int ports[P5_MAX_ADDRESSES];
        ntcp_server *s = start_server(&ports[0], (unsigned)sessions + 16, true);
        for (int a = 1; a < naddr; a++) {
            char host[32];
            snprintf(host, sizeof host, "127.0.0.%d", a + 1);
            if (ntcp_server_listen(s, host, "0", &ports[a]))
                _exit(1);
        }
        if (write(pfd[1], ports, sizeof ports) != sizeof ports)
            _exit(1);
        _exit(ntcp_server_run(s) == NTCP_OK ? 0 : 1);
    }
    close(pfd[1]);
    int ports[P5_MAX_ADDRESSES];
    if (read(pfd[0], ports, sizeof ports) != sizeof ports) {
        fprintf(stderr, "P5: the service did not start\n");
        exit(1);
    }
    long before = rss_kib(pid);
    ntcp_channel **chs = calloc((size_t)sessions, sizeof *chs);
    ntcp_stream **ups = calloc((size_t)sessions, sizeof *ups);
    int open_n = 0;
    double t0 = now();
    for (int i = 0; i < sessions; i++) {
        ntcp_stream *up;
        char host[32];
        snprintf(host, sizeof host, "127.0.0.%d", i / P5_PER_ADDRESS % naddr + 1);
        chs[i] = open_secure_at(host, ports[i / P5_PER_ADDRESS % naddr], &up);
        ups[i] = chs[i] ? up : NULL;
        if (!chs[i])
            break;
        open_n++;
    }
    double t1 = now();
    /* every session answers (the service is really holding them) */
    int answered = 0, sampled = 0;
    for (int i = 0; i < open_n; i += open_n / 10 > 0 ? open_n / 10 : 1, sampled++) {
        const uint8_t *rep;
        size_t rlen;
        if (ntcp_channel_request(chs[i], (const uint8_t *)"x", 1, &rep, &rlen) == NTCP_OK)
            answered++;
    }
    long after = rss_kib(pid);
    if (sessions < asked)
        printf("P5 %d sessions asked; each process may hold %llu descriptors (RLIMIT_NOFILE, whose hard limit "
               "only CAP_SYS_RESOURCE raises), so %d are opened\n", asked, (unsigned long long)nofile.rlim_cur,
               sessions);
    printf("P5 %d secured idle sessions held by one service process (opened in %.1f s through %d listening "
           "addresses%s; descriptors per process %llu; %d of %d sampled sessions answered): RSS %ld KiB -> "
           "%ld KiB, %.1f KiB per session (target <= 16 KiB at 100,000)\n",
           open_n, t1 - t0, naddr, own_net ? " in a network namespace of its own" : "",
           (unsigned long long)nofile.rlim_cur, answered, sampled, before, after,
           open_n ? (double)(after - before) / open_n : 0);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    for (int i = 0; i < open_n; i++) {
        ntcp_channel_abort(chs[i]);
        ntcp_stream_free(ups[i]);
    }
    free(chs);
    free(ups);
}

/* P5 in a child process: its descriptor limit and network namespace stay
 * there, whatever runs after it */
static void p5(int sessions)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        p5_run(sessions);
        fflush(stdout);
        _exit(0);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fprintf(stderr, "P5 did not finish\n");
}

int main(int argc, char **argv)
{
    if (argc > 2 && !strcmp(argv[1], "--p2-floor")) {
        size_t big = 16u << 20;
        uint8_t *m = malloc(big);
        for (size_t i = 0; i < big; i++)
            m[i] = (uint8_t)(i * 31);
        printf("%.1f\n", p2_floor(m, big, atof(argv[2])));
        free(m);
        return 0;
    }
    double budget = argc > 1 ? atof(argv[1]) : 2.0;
    int sessions = argc > 2 ? atoi(argv[2]) : 100000;
    const char *parts = argc > 3 ? argv[3] : "P1,P2,P3,P5";
    signal(SIGPIPE, SIG_IGN);
    pin_self(0);
    int port;
    ntcp_server *srv = start_server(&port, 100000, true);
    pthread_t st;
    pthread_create(&st, NULL, run_server, srv);
    if (strstr(parts, "P1"))
        p1(port, budget);
    if (strstr(parts, "P2"))
        p2(port, budget);
    if (strstr(parts, "P3"))
        p3(port, budget);
    ntcp_server_stop(srv);
    pthread_join(st, NULL);
    ntcp_server_free(srv);
    if (strstr(parts, "P5"))
        p5(sessions);
    return 0;
}
