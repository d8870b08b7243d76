/* The client channel against the service host engine over loopback. */
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
#include "test.h"
#include <nettcp/channel.h>
#include <nettcp/nettcp.h>
#include "channel/conn.h"
#include <nettcp/server.h>

TEST(url_parse)
{
    ntcp_url u;
    const char *why = NULL;
    CHECK_EQ_INT(ntcp_url_parse("net.tcp://calc.example.com:808/calc", &u, &why), NTCP_OK);
    CHECK_EQ_STR(u.host, "calc.example.com");
    CHECK_EQ_STR(u.port, "808");
    CHECK_EQ_STR(u.path, "/calc");
    CHECK_EQ_INT(ntcp_url_parse("net.tcp://[::1]:9389/ActiveDirectoryWebServices/Windows/Resource", &u, &why), NTCP_OK);
    CHECK_EQ_STR(u.host, "::1");
    CHECK_EQ_STR(u.port, "9389");
    CHECK_EQ_INT(ntcp_url_parse("NET.TCP://h", &u, &why), NTCP_OK);
    CHECK_EQ_STR(u.port, "808");
    CHECK_EQ_STR(u.path, "/");
    CHECK_EQ_INT(ntcp_url_parse("http://h/x", &u, &why), NTCP_E_INVALID_ARG);
    CHECK_EQ_STR(why, "the address must start with net.tcp://");
    CHECK_EQ_INT(ntcp_url_parse("net.tcp://h:0/x", &u, &why), NTCP_OK); /* listen on any free port */
    CHECK_EQ_INT(ntcp_url_parse("net.tcp://h:70000/x", &u, &why), NTCP_E_INVALID_ARG);
    CHECK_EQ_INT(ntcp_url_parse("net.tcp://h:80x/x", &u, &why), NTCP_E_INVALID_ARG);
    CHECK_EQ_INT(ntcp_url_parse("net.tcp:///x", &u, &why), NTCP_E_INVALID_ARG);
    CHECK_EQ_INT(ntcp_url_parse("net.tcp://[::1/x", &u, &why), NTCP_E_INVALID_ARG);
}

/* ---- a pass-through upgrade with a one-byte handshake, for both sides */
struct pt {
    bool initiator, done;
};
static ntcp_status pt_start(void *ctx, ntcp_buf *out) { (void)ctx; return ntcp_buf_put_u8(out, 'H'); }
static ntcp_status pt_recv(void *ctx, const uint8_t *raw, size_t len, size_t *consumed, ntcp_buf *plain, ntcp_buf *out)
{
    struct pt *t = ctx;
    *consumed = len;
    if (!t->done && len) {
        if (raw[0] != (t->initiator ? 'A' : 'H'))
            return NTCP_E_MALFORMED;
        t->done = true;
        if (!t->initiator && ntcp_buf_put_u8(out, 'A'))
            return NTCP_E_NOMEM;
        raw++;
        len--;
    }
    return ntcp_buf_append(plain, raw, len) ? NTCP_E_NOMEM : NTCP_AGAIN;
}
static ntcp_status pt_send(void *ctx, const uint8_t *p, size_t len, ntcp_buf *out)
{
    (void)ctx;
    return ntcp_buf_append(out, p, len);
}
static bool pt_established(void *ctx) { return ((struct pt *)ctx)->done; }

struct fx {
    ntcp_server *srv;
    pthread_t thr;
    char base[64];
    int messages;
    struct pt server_pt;
    ntcp_stream server_up;
};

static ntcp_stream *up_new(void *ctx, ntcp_server_session *ss)
{
    (void)ss;
    struct fx *f = ctx;
    f->server_pt = (struct pt){ false, false };
    f->server_up = (ntcp_stream){ NTCP_UPGRADE_NEGOTIATE, &f->server_pt, NULL, pt_recv, pt_send,
                                          pt_established, NULL, NULL, NULL };
    return &f->server_up;
}
static void on_message(void *ctx, ntcp_server_session *ss, const uint8_t *p, size_t n)
{
    ((struct fx *)ctx)->messages++;
    if (ntcp_server_session_send(ss, p, n))
        ntcp_test_fail(__FILE__, __LINE__, "send");
}
static void *run(void *arg)
{
    if (ntcp_server_run(((struct fx *)arg)->srv))
        ntcp_test_fail(__FILE__, __LINE__, "run");
    return NULL;
}
static void start(struct fx *f, bool secured)
{
    memset(f, 0, sizeof *f);
    ntcp_server_config cfg;
    ntcp_server_config_init(&cfg);
    cfg.on_message = on_message;
    cfg.ctx = f;
    if (secured) {
        cfg.framing.upgrade_name = NTCP_UPGRADE_NEGOTIATE;
        cfg.framing.require_upgrade = true;
        cfg.stream_new = up_new;
    }
    CHECK_EQ_INT(ntcp_server_new(&f->srv, &cfg), NTCP_OK);
    int port;
    CHECK_EQ_INT(ntcp_server_listen(f->srv, "127.0.0.1", "0", &port), NTCP_OK);
    snprintf(f->base, sizeof f->base, "net.tcp://127.0.0.1:%d", port);
    pthread_create(&f->thr, NULL, run, f);
}
static void stop(struct fx *f)
{
    ntcp_server_stop(f->srv);
    pthread_join(f->thr, NULL);
    ntcp_server_free(f->srv);
}

static void round_trip(const char *url, const ntcp_channel_options *o)
{
    ntcp_channel *ch;
    ntcp_error cerr;
    CHECK_EQ_INT(ntcp_channel_open(&ch, url, o, &cerr), NTCP_OK);
    if (!ch)
        return;
    for (int i = 0; i < 3; i++) {
        char msg[32];
        int n = snprintf(msg, sizeof msg, "message %d", i);
        const uint8_t *r;
        size_t rl;
        CHECK_EQ_INT(ntcp_channel_request(ch, (const uint8_t *)msg, (size_t)n, &r, &rl), NTCP_OK);
        CHECK_BYTES(r, rl, msg, (size_t)n);
    }
    CHECK_EQ_INT(ntcp_channel_close(ch), NTCP_OK);
}

TEST(channel_open_request_close)
{
    struct fx f;
    start(&f, false);
    char url[128];
    snprintf(url, sizeof url, "%s/svc", f.base);
    round_trip(url, NULL);
    stop(&f);
    CHECK_EQ_INT(f.messages, 3);
}

TEST(channel_through_upgrade)
{
    struct fx f;
    start(&f, true);
    char url[128];
    snprintf(url, sizeof url, "%s/svc", f.base);
    struct pt cpt = { true, false };
    ntcp_stream cup = { NTCP_UPGRADE_NEGOTIATE, &cpt, pt_start, pt_recv, pt_send, pt_established, NULL, NULL, NULL };
    ntcp_channel_options o;
    ntcp_channel_options_init(&o);
    o.upgrade = &cup;
    round_trip(url, &o);
    /* a client without security to the secured endpoint: refused at PreambleEnd */
    ntcp_channel *ch;
    ntcp_error cerr;
    CHECK_EQ_INT(ntcp_channel_open(&ch, url, NULL, &cerr), NTCP_E_ACCESS_DENIED);
    CHECK(ch == NULL);
    CHECK_EQ_INT(cerr.step, NTCP_STEP_PREAMBLE);
    CHECK(strstr(cerr.text, "EndpointAccessDenied") != NULL);
    stop(&f);
    CHECK_EQ_INT(f.messages, 3);
}

TEST(channel_refuses_to_send_when_upgrade_refused)
{
    struct fx f;
    start(&f, false); /* no transport security on the service */
    char url[128];
    snprintf(url, sizeof url, "%s/svc", f.base);
    struct pt cpt = { true, false };
    ntcp_stream cup = { NTCP_UPGRADE_NEGOTIATE, &cpt, pt_start, pt_recv, pt_send, pt_established, NULL, NULL, NULL };
    ntcp_channel_options o;
    ntcp_channel_options_init(&o);
    o.upgrade = &cup;
    ntcp_channel *ch;
    ntcp_error cerr;
    CHECK_EQ_INT(ntcp_channel_open(&ch, url, &o, &cerr), NTCP_E_UPGRADE_INVALID);
    CHECK(strstr(cerr.text, "UpgradeInvalid") != NULL);
    stop(&f);
    CHECK_EQ_INT(f.messages, 0);
}

TEST(channel_open_failures_name_the_step)
{
    ntcp_channel *ch;
    ntcp_error cerr;
    /* nothing listening: take a free port and close it */
    int lfd, port;
    CHECK_EQ_INT(ntcp_tcp_listen("127.0.0.1", "0", 1, &lfd, &port), NTCP_OK);
    close(lfd);
    char url[128];
    snprintf(url, sizeof url, "net.tcp://127.0.0.1:%d/x", port);
    CHECK_EQ_INT(ntcp_channel_open(&ch, url, NULL, &cerr), NTCP_E_CONNECTION_REFUSED);
    CHECK_EQ_INT(cerr.step, NTCP_STEP_CONNECT);
    CHECK_EQ_INT(ntcp_channel_open(&ch, "net.tcp://no-such-host.invalid/x", NULL, &cerr),
                 NTCP_E_RESOLVE);
    CHECK_EQ_INT(ntcp_channel_open(&ch, "http://h/x", NULL, &cerr), NTCP_E_INVALID_ARG);
    CHECK(strstr(cerr.text, "net.tcp://") != NULL);
}

#include <string.h>
#include <nettcp/client.h>

TEST(failure_causes)
{
    static const struct {
        ntcp_status st;
        ntcp_channel_step step;
        bool upgrade;
        const char *cause;
    } t[] = {
        { NTCP_E_RESOLVE, NTCP_STEP_RESOLVE, true, "host_unknown" },
        { NTCP_E_CONNECTION_REFUSED, NTCP_STEP_CONNECT, true, "connection_refused" },
        { NTCP_E_CONNECTION_RESET, NTCP_STEP_PREAMBLE, true, "connection_reset" },
        { NTCP_E_CONNECTION_RESET, NTCP_STEP_RECEIVE, false, "connection_reset" },
        /* WCF closes on a client that asked for no upgrade when it requires one */
        { NTCP_E_CONNECTION_RESET, NTCP_STEP_PREAMBLE, false, "security_mode_mismatch" },
        { NTCP_E_TIMEOUT, NTCP_STEP_PREAMBLE, true, "timeout" },
        { NTCP_E_ENDPOINT_NOT_FOUND, NTCP_STEP_PREAMBLE, true, "endpoint_not_found" },
        { NTCP_E_CONTENT_TYPE_INVALID, NTCP_STEP_PREAMBLE, true, "encoding_refused" },
        { NTCP_E_UNSUPPORTED_MODE, NTCP_STEP_PREAMBLE, true, "mode_refused" },
        { NTCP_E_UPGRADE_INVALID, NTCP_STEP_PREAMBLE, true, "security_mode_mismatch" },
        { NTCP_E_ACCESS_DENIED, NTCP_STEP_PREAMBLE, false, "security_mode_mismatch" },
        { NTCP_E_ACCESS_DENIED, NTCP_STEP_RECEIVE, true, "endpoint_access_denied" },
        { NTCP_E_SERVER_TOO_BUSY, NTCP_STEP_PREAMBLE, true, "server_too_busy" },
        { NTCP_E_MESSAGE_TOO_LARGE, NTCP_STEP_RECEIVE, true, "quota_exceeded" },
        { NTCP_E_MALFORMED, NTCP_STEP_RECEIVE, true, "protocol" },
        { NTCP_E_XML_DEPTH, NTCP_STEP_RECEIVE, true, "quota_exceeded" },
        { NTCP_E_IO, NTCP_STEP_SEND, true, "io_error" },
        { NTCP_E_FAULT, NTCP_STEP_PREAMBLE, true, "fault_received" },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        ntcp_cause c = ntcp_failure_cause(t[i].st, t[i].step, t[i].upgrade);
        if (strcmp(ntcp_cause_id(c), t[i].cause))
            ntcp_test_fail(__FILE__, __LINE__, "case %zu: cause %s, want %s", i, ntcp_cause_id(c), t[i].cause);
        CHECK(ntcp_cause_from_id(t[i].cause) == c);
    }
    CHECK(strstr(ntcp_cause_advice(NTCP_CAUSE_CLOCK_SKEW), "NTP") != NULL);
    CHECK(strstr(ntcp_cause_advice(NTCP_CAUSE_SECURITY_MODE_MISMATCH), "--security") != NULL);
}

/* Every cause id in the table has a title and advice, ids are unique, and
 * each is listed in docs/troubleshooting.md as `id` in the cause table. */
TEST(cause_table_documented)
{
    const char *dir = getenv("NTCP_SRCDIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/docs/troubleshooting.md", dir ? dir : ".");
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    if (!f)
        return;
    static char doc[256 * 1024];
    size_t n = fread(doc, 1, sizeof doc - 1, f);
    fclose(f);
    doc[n] = 0;
    for (int c = 0; c < NTCP_CAUSE_COUNT; c++) {
        const char *id = ntcp_cause_id((ntcp_cause)c);
        CHECK(*id && *ntcp_cause_title((ntcp_cause)c));
        if (c != NTCP_CAUSE_NONE)
            CHECK(*ntcp_cause_advice((ntcp_cause)c));
        CHECK_EQ_INT(ntcp_cause_from_id(id), c);
        char row[96];
        snprintf(row, sizeof row, "| `%s` |", id);
        if (!strstr(doc, row))
            ntcp_test_fail(__FILE__, __LINE__, "cause %s is not in the table of docs/troubleshooting.md", id);
    }
    CHECK_EQ_STR(ntcp_cause_id((ntcp_cause)NTCP_CAUSE_COUNT), "unknown");
}

/* The error type: set, accessors, format. */
TEST(error_type)
{
    ntcp_error e;
    ntcp_error_clear(&e);
    CHECK_EQ_INT(e.status, NTCP_OK);
    CHECK_EQ_STR(ntcp_error_id(&e), "none");
    CHECK_EQ_INT(e.offset, -1);
    CHECK_EQ_INT(ntcp_error_set(&e, NTCP_E_TIMEOUT, NTCP_CAUSE_TIMEOUT, NTCP_STEP_PREAMBLE, "no answer in %d ms", 5),
                 NTCP_E_TIMEOUT);
    CHECK_EQ_STR(ntcp_error_text(&e), "no answer in 5 ms");
    CHECK_EQ_STR(ntcp_error_id(&e), "timeout");
    CHECK_EQ_STR(ntcp_channel_step_name(e.step), "preamble");
    char buf[1024];
    ntcp_error_format(&e, buf, sizeof buf);
    CHECK(!strncmp(buf, "no answer in 5 ms; cause: timeout\nadvice: no answer within the timeout", 70));
}

TEST(version)
{
    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", NETTCP_VERSION_MAJOR, NETTCP_VERSION_MINOR, NETTCP_VERSION_PATCH);
    CHECK_EQ_STR(ntcp_version(), want);
}

/* After a fault from the service the client reads and drops what follows,
 * up to limits.max_drain bytes, then aborts (WCF's MaxDrainSize); within the
 * limit it waits for the service's FIN and closes. A peer that sends the
 * fault and, once the client has half-closed, 20000 more bytes sees a reset
 * with max_drain 1000, none with the default 65536. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

struct drain_peer {
    int lfd;
    bool reset;
};

static bool drain_send(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static void *drain_peer_run(void *arg)
{
    struct drain_peer *p = arg;
    struct pollfd pl = { p->lfd, POLLIN, 0 }; /* the listener does not block */
    int fd = poll(&pl, 1, 5000) == 1 ? accept(p->lfd, NULL, NULL) : -1;
    if (fd < 0)
        return NULL;
    uint8_t in[4096];
    (void)!read(fd, in, sizeof in); /* the preamble */
    ntcp_buf b;
    ntcp_buf_init(&b, 256);
    bool ok = ntcp_nmf_put_fault(&b, "ServerTooBusy") == NTCP_OK && drain_send(fd, b.data, b.len);
    ntcp_buf_free(&b);
    /* the client half-closes when it starts draining: then the bytes to drain */
    ssize_t r;
    while (ok && ((r = read(fd, in, sizeof in)) > 0 || (r < 0 && errno == EINTR)))
        ;
    static uint8_t junk[20000];
    memset(junk, 0x06, sizeof junk);
    if (ok && !drain_send(fd, junk, sizeof junk))
        p->reset = true;
    /* a client that stops draining resets the connection: wait (3 s at
     * most) for that before our FIN, which a draining client waits for */
    struct tcp_info ti;
    socklen_t tl = sizeof ti;
    for (int i = 0; ok && i < 300; i++) {
        if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) == 0 && ti.tcpi_state == TCP_CLOSE) {
            p->reset = true;
            break;
        }
        (void)poll(NULL, 0, 10);
    }
    shutdown(fd, SHUT_WR);
    close(fd);
    return NULL;
}

static bool drained_with(uint32_t max_drain)
{
    struct drain_peer p = { -1, false };
    int port = 0;
    CHECK_EQ_INT(ntcp_tcp_listen("127.0.0.1", "0", 4, &p.lfd, &port), NTCP_OK);
    pthread_t t;
    pthread_create(&t, NULL, drain_peer_run, &p);
    char url[64];
    snprintf(url, sizeof url, "net.tcp://127.0.0.1:%d/svc", port);
    ntcp_channel_options o;
    ntcp_channel_options_init(&o);
    o.open_timeout_ms = o.close_timeout_ms = 5000;
    o.limits.max_drain = max_drain;
    ntcp_channel *ch = NULL;
    CHECK_EQ_INT(ntcp_channel_open(&ch, url, &o, NULL), NTCP_E_SERVER_TOO_BUSY);
    pthread_join(t, NULL);
    close(p.lfd);
    return p.reset;
}

TEST(channel_drain_after_fault_uses_max_drain)
{
    CHECK(drained_with(1000));   /* over the limit: reset */
    CHECK(!drained_with(65536)); /* within it: drained, closed after the FIN */
}
