/* The service host engine over loopback: sessions, reuse, faults, the
 * session limit, the initialization timeout and graceful shutdown. */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>
#include <stdlib.h>
#include "test.h"
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include "channel/conn.h"
#include "channel/server_int.h"
#include <nettcp/server.h>

struct fixture {
    ntcp_server *srv;
    pthread_t thr;
    char port[16];
    atomic_int opened, closed_ok, messages; /* callbacks run on several loops */
    atomic_uint loops_used;                 /* bit i: a session opened on loop i */
    atomic_int nagle;                       /* sessions opened without TCP_NODELAY */
};

static void echo(void *ctx, ntcp_server_session *ss, const uint8_t *p, size_t n)
{
    struct fixture *fx = ctx;
    fx->messages++;
    uint8_t out[256];
    int k = snprintf((char *)out, sizeof out, "echo:%.*s", (int)(n > 200 ? 200 : n), (const char *)p);
    if (ntcp_server_session_send(ss, out, (size_t)k))
        ntcp_test_fail(__FILE__, __LINE__, "send failed");
}
static bool on_open(void *ctx, ntcp_server_session *ss)
{
    struct fixture *fx = ctx;
    fx->opened++;
    atomic_fetch_or(&fx->loops_used, 1u << ntcp_server_session_loop(ss));
    int v = 0;
    socklen_t vl = sizeof v;
    if (getsockopt(ntcp__server_session_fd(ss), IPPROTO_TCP, TCP_NODELAY, &v, &vl) != 0 || !v)
        fx->nagle++;
    return true;
}
static void on_close(void *ctx, ntcp_server_session *ss, ntcp_status why)
{
    (void)ss;
    if (why == NTCP_OK)
        ((struct fixture *)ctx)->closed_ok++;
}
static bool served(void *ctx, const char *via)
{
    (void)ctx;
    const char *p = strrchr(via, '/');
    return p && !strcmp(p, "/svc");
}
static void *run(void *arg)
{
    struct fixture *fx = arg;
    if (ntcp_server_run(fx->srv) != NTCP_OK)
        ntcp_test_fail(__FILE__, __LINE__, "server run failed");
    return NULL;
}

static void start_loops(struct fixture *fx, unsigned max_sessions, int init_timeout_ms, unsigned loops)
{
    memset(fx, 0, sizeof *fx);
    ntcp_server_config cfg;
    ntcp_server_config_init(&cfg);
    cfg.loops = loops;
    cfg.framing.via_served = served;
    cfg.max_sessions = max_sessions;
    cfg.channel_init_timeout_ms = init_timeout_ms;
    cfg.on_message = echo;
    cfg.on_open = on_open;
    cfg.on_close = on_close;
    cfg.ctx = fx;
    CHECK_EQ_INT(ntcp_server_new(&fx->srv, &cfg), NTCP_OK);
    int port = 0;
    CHECK_EQ_INT(ntcp_server_listen(fx->srv, "127.0.0.1", "0", &port), NTCP_OK);
    snprintf(fx->port, sizeof fx->port, "%d", port);
    pthread_create(&fx->thr, NULL, run, fx);
}

static void start(struct fixture *fx, unsigned max_sessions, int init_timeout_ms)
{
    start_loops(fx, max_sessions, init_timeout_ms, 1);
}

static void stop(struct fixture *fx)
{
    ntcp_server_stop(fx->srv);
    pthread_join(fx->thr, NULL);
    ntcp_server_free(fx->srv);
}

struct client {
    int fd;
    ntcp_framing *f;
    ntcp_conn c;
};

static ntcp_status client_open(struct client *cl, const char *port, const char *path)
{
    char via[128];
    snprintf(via, sizeof via, "net.tcp://127.0.0.1:%s%s", port, path);
    ntcp_framing_initiator_config ic;
    ntcp_framing_initiator_config_init(&ic);
    ic.via = via;
    ntcp_status st = ntcp_tcp_connect("127.0.0.1", port, 5000, &cl->fd);
    if (st)
        return st;
    if (ntcp_framing_new_initiator(&cl->f, &ic, NULL) || ntcp_conn_init(&cl->c, cl->fd, cl->f))
        return NTCP_E_NOMEM;
    return ntcp_framing_start(cl->f);
}

static void client_close(struct client *cl)
{
    ntcp_conn_close(&cl->c, 2000);
    ntcp_conn_free(&cl->c);
    ntcp_framing_free(cl->f);
}

static void request(struct client *cl, const char *msg)
{
    ntcp_framing_event ev;
    CHECK_EQ_INT(ntcp_framing_send_envelope(cl->f, (const uint8_t *)msg, strlen(msg)), NTCP_OK);
    CHECK_EQ_INT(ntcp_conn_next_event(&cl->c, 5000, &ev), NTCP_OK);
    CHECK_EQ_INT(ev.type, NTCP_FEV_ENVELOPE);
    char want[256];
    snprintf(want, sizeof want, "echo:%s", msg);
    CHECK_BYTES(ev.data, ev.len, want, strlen(want));
}

TEST(server_sessions_reuse_and_close)
{
    struct fixture fx;
    start(&fx, 100, 30000);
    struct client cl;
    ntcp_framing_event ev;
    CHECK_EQ_INT(client_open(&cl, fx.port, "/svc"), NTCP_OK);
    for (int round = 0; round < 2; round++) {
        if (round == 1)
            CHECK_EQ_INT(ntcp_framing_start(cl.f), NTCP_OK); /* same connection, fresh preamble */
        CHECK_EQ_INT(ntcp_conn_next_event(&cl.c, 5000, &ev), NTCP_OK);
        CHECK_EQ_INT(ev.type, NTCP_FEV_PREAMBLE_COMPLETE);
        request(&cl, "one");
        request(&cl, "two");
        CHECK_EQ_INT(ntcp_framing_send_end(cl.f), NTCP_OK);
        CHECK_EQ_INT(ntcp_conn_next_event(&cl.c, 5000, &ev), NTCP_OK);
        CHECK_EQ_INT(ev.type, NTCP_FEV_CLOSED);
    }
    client_close(&cl);
    stop(&fx);
    CHECK_EQ_INT(fx.opened, 2);
    CHECK_EQ_INT(fx.messages, 4);
    CHECK_EQ_INT(fx.closed_ok, 2);
}

/* No Nagle delay on either end (as WCF's TCP transport): the client sets
 * it, the service's accepted connections have it from the listener (the
 * first one checked) or set it themselves. */
TEST(server_and_client_connections_have_no_nagle_delay)
{
    struct fixture fx;
    start(&fx, 100, 30000);
    for (int i = 0; i < 3; i++) {
        struct client cl;
        ntcp_framing_event ev;
        CHECK_EQ_INT(client_open(&cl, fx.port, "/svc"), NTCP_OK);
        int v = 0;
        socklen_t vl = sizeof v;
        CHECK(getsockopt(cl.fd, IPPROTO_TCP, TCP_NODELAY, &v, &vl) == 0 && v);
        CHECK_EQ_INT(ntcp_conn_next_event(&cl.c, 5000, &ev), NTCP_OK);
        CHECK_EQ_INT(ev.type, NTCP_FEV_PREAMBLE_COMPLETE);
        request(&cl, "x");
        client_close(&cl);
    }
    stop(&fx);
    CHECK_EQ_INT(fx.opened, 3);
    CHECK_EQ_INT(fx.nagle, 0);
}

TEST(server_faults_wrong_path_and_too_busy)
{
    struct fixture fx;
    start(&fx, 1, 30000);
    struct client a, b;
    ntcp_framing_event ev;
    CHECK_EQ_INT(client_open(&a, fx.port, "/svc"), NTCP_OK);
    CHECK_EQ_INT(ntcp_conn_next_event(&a.c, 5000, &ev), NTCP_OK);
    CHECK_EQ_INT(ev.type, NTCP_FEV_PREAMBLE_COMPLETE);
    /* the second concurrent connection is over the limit of 1 */
    CHECK_EQ_INT(client_open(&b, fx.port, "/svc"), NTCP_OK);
    CHECK_EQ_INT(ntcp_conn_next_event(&b.c, 5000, &ev), NTCP_OK);
    CHECK_EQ_INT(ev.type, NTCP_FEV_FAULT);
    CHECK_EQ_INT(ev.fault_status, NTCP_E_SERVER_TOO_BUSY);
    client_close(&b);
    request(&a, "still served"); /* the first client is unaffected */
    client_close(&a);
    /* wait (with a 5 s deadline) until the server has let go of a */
    for (int i = 0; i < 500 && ntcp_server_session_count(fx.srv) > 0; i++)
        (void)poll(NULL, 0, 10);
    CHECK_EQ_INT(ntcp_server_session_count(fx.srv), 0);
    CHECK_EQ_INT(client_open(&b, fx.port, "/nothing"), NTCP_OK);
    CHECK_EQ_INT(ntcp_conn_next_event(&b.c, 5000, &ev), NTCP_OK);
    CHECK_EQ_INT(ev.type, NTCP_FEV_FAULT);
    CHECK_EQ_INT(ev.fault_status, NTCP_E_ENDPOINT_NOT_FOUND);
    CHECK_EQ_INT(ntcp_conn_next_event(&b.c, 5000, &ev), NTCP_OK); /* then the service's FIN */
    CHECK(b.c.eof);
    client_close(&b);
    stop(&fx);
}

/* Three loops: the acceptor hands each session to the least loaded loop,
 * the session limit still counts the whole service (ServerTooBusy from
 * the fourth), and a freed place is taken again. */
TEST(server_loops_share_the_session_limit)
{
    struct fixture fx;
    start_loops(&fx, 3, 30000, 3);
    CHECK_EQ_INT(ntcp_server_loops(fx.srv), 3);
    struct client cl[3], over;
    ntcp_framing_event ev;
    for (int i = 0; i < 3; i++) {
        CHECK_EQ_INT(client_open(&cl[i], fx.port, "/svc"), NTCP_OK);
        CHECK_EQ_INT(ntcp_conn_next_event(&cl[i].c, 5000, &ev), NTCP_OK);
        CHECK_EQ_INT(ev.type, NTCP_FEV_PREAMBLE_COMPLETE);
    }
    CHECK_EQ_INT(atomic_load(&fx.loops_used), 7); /* one session on each loop */
    CHECK_EQ_INT(client_open(&over, fx.port, "/svc"), NTCP_OK);
    CHECK_EQ_INT(ntcp_conn_next_event(&over.c, 5000, &ev), NTCP_OK);
    CHECK_EQ_INT(ev.type, NTCP_FEV_FAULT);
    CHECK_EQ_INT(ev.fault_status, NTCP_E_SERVER_TOO_BUSY);
    client_close(&over);
    for (int i = 0; i < 3; i++)
        request(&cl[i], "served");
    CHECK_EQ_INT(ntcp_framing_send_end(cl[2].f), NTCP_OK);
    CHECK_EQ_INT(ntcp_conn_next_event(&cl[2].c, 5000, &ev), NTCP_OK);
    CHECK_EQ_INT(ev.type, NTCP_FEV_CLOSED);
    client_close(&cl[2]);
    /* wait (with a 5 s deadline) until the service let go of it and of the refused one */
    for (int i = 0; i < 500 && ntcp_server_session_count(fx.srv) > 2; i++)
        (void)poll(NULL, 0, 10);
    CHECK_EQ_INT(ntcp_server_session_count(fx.srv), 2);
    CHECK_EQ_INT(client_open(&cl[2], fx.port, "/svc"), NTCP_OK);
    CHECK_EQ_INT(ntcp_conn_next_event(&cl[2].c, 5000, &ev), NTCP_OK);
    CHECK_EQ_INT(ev.type, NTCP_FEV_PREAMBLE_COMPLETE);
    request(&cl[2], "again");
    /* a graceful stop ends the sessions of every loop with End */
    ntcp_server_stop(fx.srv);
    for (int i = 0; i < 3; i++) {
        CHECK_EQ_INT(ntcp_conn_next_event(&cl[i].c, 5000, &ev), NTCP_OK);
        CHECK_EQ_INT(ev.type, NTCP_FEV_END);
        CHECK_EQ_INT(ntcp_framing_send_end(cl[i].f), NTCP_OK);
        CHECK_EQ_INT(ntcp_conn_flush(&cl[i].c, 5000), NTCP_OK);
    }
    pthread_join(fx.thr, NULL);
    ntcp_server_free(fx.srv);
    for (int i = 0; i < 3; i++)
        client_close(&cl[i]);
    CHECK_EQ_INT(atomic_load(&fx.closed_ok), 4);
}

TEST(server_channel_initialization_timeout_aborts)
{
    struct fixture fx;
    start(&fx, 10, 100);
    int fd;
    CHECK_EQ_INT(ntcp_tcp_connect("127.0.0.1", fx.port, 5000, &fd), NTCP_OK);
    uint8_t b[16];
    size_t n = 99;
    /* send nothing: the server gives up on us (reset, no fault) */
    ntcp_status st = ntcp_tcp_read(fd, b, sizeof b, &n, 10000);
    CHECK(st == NTCP_E_CONNECTION_RESET || (st == NTCP_OK && n == 0));
    close(fd);
    stop(&fx);
}

TEST(server_graceful_shutdown_sends_end)
{
    struct fixture fx;
    start(&fx, 10, 30000);
    struct client cl;
    ntcp_framing_event ev;
    CHECK_EQ_INT(client_open(&cl, fx.port, "/svc"), NTCP_OK);
    CHECK_EQ_INT(ntcp_conn_next_event(&cl.c, 5000, &ev), NTCP_OK);
    request(&cl, "before shutdown");
    ntcp_server_stop(fx.srv);
    CHECK_EQ_INT(ntcp_conn_next_event(&cl.c, 5000, &ev), NTCP_OK);
    CHECK_EQ_INT(ev.type, NTCP_FEV_END);
    CHECK_EQ_INT(ntcp_framing_send_end(cl.f), NTCP_OK);
    CHECK(ntcp_framing_is_closed(cl.f));
    CHECK_EQ_INT(ntcp_conn_flush(&cl.c, 5000), NTCP_OK);
    pthread_join(fx.thr, NULL);
    ntcp_server_free(fx.srv);
    client_close(&cl);
    CHECK_EQ_INT(fx.closed_ok, 1);
}

/* Out of descriptors (RLIMIT_NOFILE lowered, the table filled): the service
 * refuses the waiting client with ServerTooBusy (through its reserve
 * descriptor), stops accepting instead of spinning on EMFILE, keeps serving
 * its open session, and accepts again once descriptors are free. */
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include "channel/server_int.h"

static int raw_socket(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct timeval tv = { 5, 0 }; /* a read gives up after 5 s */
    if (fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

static int raw_connect(int fd, const char *port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)) };
    a.sin_addr.s_addr = htonl(0x7f000001);
    return connect(fd, (struct sockaddr *)&a, sizeof a);
}

TEST(server_out_of_descriptors_pauses_accepting)
{
    struct fixture fx;
    start(&fx, 100, 30000);
    struct client a;
    ntcp_framing_event ev;
    CHECK_EQ_INT(client_open(&a, fx.port, "/svc"), NTCP_OK);
    CHECK_EQ_INT(ntcp_conn_next_event(&a.c, 5000, &ev), NTCP_OK);
    CHECK_EQ_INT(ev.type, NTCP_FEV_PREAMBLE_COMPLETE);
    /* sockets for the clients to come, then no descriptor left in the process */
    int b = raw_socket(), c = raw_socket();
    CHECK(b >= 0 && c >= 0);
    struct rlimit old;
    CHECK_EQ_INT(getrlimit(RLIMIT_NOFILE, &old), 0);
    struct rlimit low = old;
    low.rlim_cur = 256 < old.rlim_cur ? 256 : old.rlim_cur;
    CHECK_EQ_INT(setrlimit(RLIMIT_NOFILE, &low), 0);
    static int fill[4096];
    int nfill = 0;
    while (nfill < 4096 && (fill[nfill] = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
        nfill++;
    CHECK(nfill < 4096 && errno == EMFILE);
    /* the first waiting client is told ServerTooBusy, then the service stops accepting */
    CHECK_EQ_INT(raw_connect(b, fx.port), 0);
    uint8_t buf[256];
    size_t got = 0;
    for (;;) {
        size_t n = 0;
        if (ntcp_tcp_read(b, buf + got, sizeof buf - got, &n, 5000) != NTCP_OK || n == 0)
            break;
        got += n;
    }
    ntcp_buf want;
    ntcp_buf_init(&want, 256);
    CHECK_EQ_INT(ntcp_nmf_put_fault(&want, "ServerTooBusy"), NTCP_OK);
    CHECK_BYTES(buf, got, want.data, want.len);
    ntcp_buf_free(&want);
    for (int i = 0; i < 500 && ntcp__server_accepting(fx.srv); i++)
        (void)poll(NULL, 0, 10);
    CHECK(!ntcp__server_accepting(fx.srv));
    /* a second client waits: over three timer ticks the service tries accept4
     * about once a tick, not in a loop (before: thousands of calls) */
    CHECK_EQ_INT(raw_connect(c, fx.port), 0);
    unsigned long calls0 = ntcp__server_accept_calls(fx.srv), tick0 = ntcp__server_ticks(fx.srv);
    for (int i = 0; i < 1000 && ntcp__server_ticks(fx.srv) < tick0 + 3; i++)
        (void)poll(NULL, 0, 10);
    unsigned long ticks = ntcp__server_ticks(fx.srv) - tick0, calls = ntcp__server_accept_calls(fx.srv) - calls0;
    CHECK(ticks >= 3);
    if (calls > 4 * (ticks + 1))
        fprintf(stderr, "    %lu accept4 calls in %lu ticks\n", calls, ticks);
    CHECK(calls <= 4 * (ticks + 1));
    /* the open session is still served */
    request(&a, "still served");
    /* descriptors free again: the service accepts and serves a new client */
    for (int i = 0; i < nfill; i++)
        close(fill[i]);
    CHECK_EQ_INT(setrlimit(RLIMIT_NOFILE, &old), 0);
    struct client d;
    CHECK_EQ_INT(client_open(&d, fx.port, "/svc"), NTCP_OK);
    CHECK_EQ_INT(ntcp_conn_next_event(&d.c, 5000, &ev), NTCP_OK);
    CHECK_EQ_INT(ev.type, NTCP_FEV_PREAMBLE_COMPLETE);
    CHECK(ntcp__server_accepting(fx.srv));
    request(&d, "after");
    client_close(&d);
    client_close(&a);
    close(b);
    close(c);
    stop(&fx);
}
