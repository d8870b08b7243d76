/* One session's flow through the service with workers: the End that waits
 * for a reply sent in parts, and how many requests the service reads ahead
 * of a busy handler. A raw framing session on a socket, so the test says
 * exactly what is sent and when. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "test.h"
#include "request_util.h"
#include "channel/conn.h"
#include "channel/server_int.h"
#include "channel/service_int.h"
#include <nettcp/service.h>

#define DEADLINE_MS 10000

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* a handler held until the test lets it go */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool release;
    int entered;
} h = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, 0 };

static void h_reset(void)
{
    pthread_mutex_lock(&h.mu);
    h.release = false;
    h.entered = 0;
    pthread_mutex_unlock(&h.mu);
}

static void h_release(void)
{
    pthread_mutex_lock(&h.mu);
    h.release = true;
    pthread_cond_broadcast(&h.cv);
    pthread_mutex_unlock(&h.mu);
}

static void h_wait_entered(int n)
{
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += DEADLINE_MS / 1000;
    pthread_mutex_lock(&h.mu);
    while (h.entered < n)
        if (pthread_cond_timedwait(&h.cv, &h.mu, &dl) != 0)
            break;
    CHECK(h.entered >= n);
    pthread_mutex_unlock(&h.mu);
}

static void h_enter_and_wait(void)
{
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += DEADLINE_MS / 1000;
    pthread_mutex_lock(&h.mu);
    h.entered++;
    pthread_cond_broadcast(&h.cv);
    while (!h.release)
        if (pthread_cond_timedwait(&h.cv, &h.mu, &dl) != 0)
            break;
    pthread_mutex_unlock(&h.mu);
}

#define BIG_TEXT ((size_t)600 * 1024) /* more than one part (256 KiB), less than one flush's share */
static char *big_text;

/* Held, then a reply of BIG_TEXT bytes of text: it leaves in parts. */
static ntcp_status op_held_big(void *ctx, ntcp_call *call)
{
    (void)ctx;
    h_enter_and_wait();
    ntcp_xml_writer *w = ntcp_call_reply_writer(call);
    if (!w)
        return NTCP_E_NOMEM;
    ntcp_status st = ntcp_xml_writer_start(w, NULL, "R", "urn:t");
    if (!st)
        st = ntcp_xml_writer_text(w, big_text, BIG_TEXT);
    if (!st)
        st = ntcp_xml_writer_end_element(w);
    return st;
}

/* The first call is held; the others answer at once. */
static ntcp_status op_first_held(void *ctx, ntcp_call *call)
{
    (void)ctx;
    const char *xml;
    size_t len;
    if (ntcp_call_body_text(call, &xml, &len) == NTCP_OK && len > 17 && !memcmp(xml + 17, "0<", 2))
        h_enter_and_wait();
    return ntcp_call_reply_text(call, "<R xmlns=\"urn:t\"/>", 18);
}

typedef struct fixture {
    ntcp_service *svc;
    pthread_t thr;
    int port;
} fixture;

static void *run(void *arg)
{
    fixture *f = arg;
    if (ntcp_service_run(f->svc))
        ntcp_test_fail(__FILE__, __LINE__, "run");
    return NULL;
}

static int receive_timeout_ms; /* 0: the default */

static bool start(fixture *f, const char *action, ntcp_operation_fn fn)
{
    memset(f, 0, sizeof *f);
    ntcp_service_options o;
    ntcp_service_options_init(&o);
    o.security = NTCP_SECURITY_NONE;
    o.workers = 2;
    o.server.loops = 1;
    if (receive_timeout_ms)
        o.server.receive_timeout_ms = receive_timeout_ms;
    CHECK_EQ_INT(ntcp_service_new(&f->svc, &o), NTCP_OK);
    if (!f->svc)
        return false;
    CHECK_EQ_INT(ntcp_service_add_operation(f->svc, action, NULL, fn, NULL), NTCP_OK);
    ntcp_status st = ntcp_service_listen(f->svc, "net.tcp://127.0.0.1:0/svc", &f->port);
    CHECK_EQ_INT(st, NTCP_OK);
    if (st) {
        ntcp_service_free(f->svc);
        return false;
    }
    pthread_create(&f->thr, NULL, run, f);
    return true;
}

static void stop(fixture *f)
{
    ntcp_service_stop(f->svc);
    pthread_join(f->thr, NULL);
    ntcp_service_free(f->svc);
}

/* a raw client session: framing on a socket, SOAP written by hand */
typedef struct raw {
    int fd;
    ntcp_framing *f;
    ntcp_conn c;
    ntcp_xml_session *out, *in;
    ntcp_xml_writer *w;
} raw;

static bool raw_open(raw *r, int port)
{
    memset(r, 0, sizeof *r);
    char via[128];
    snprintf(via, sizeof via, "net.tcp://127.0.0.1:%d/svc", port);
    ntcp_framing_initiator_config ic;
    ntcp_framing_initiator_config_init(&ic);
    ic.via = via;
    ntcp_framing_limits lim;
    ntcp_framing_limits_init(&lim);
    lim.max_message = 4u << 20;
    r->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int rcv = 8 << 20;
    setsockopt(r->fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    a.sin_addr.s_addr = htonl(0x7f000001);
    CHECK_EQ_INT(connect(r->fd, (struct sockaddr *)&a, sizeof a), 0);
    fcntl(r->fd, F_SETFL, fcntl(r->fd, F_GETFL) | O_NONBLOCK); /* the deadlines below hold */
    CHECK_EQ_INT(ntcp_framing_new_initiator(&r->f, &ic, &lim), NTCP_OK);
    CHECK_EQ_INT(ntcp_conn_init(&r->c, r->fd, r->f), NTCP_OK);
    CHECK_EQ_INT(ntcp_framing_start(r->f), NTCP_OK);
    ntcp_framing_event ev;
    CHECK_EQ_INT(ntcp_conn_next_event(&r->c, DEADLINE_MS, &ev), NTCP_OK);
    CHECK_EQ_INT(ev.type, NTCP_FEV_PREAMBLE_COMPLETE);
    CHECK_EQ_INT(ntcp_xml_session_new(&r->out, 0), NTCP_OK);
    CHECK_EQ_INT(ntcp_xml_session_new(&r->in, 0), NTCP_OK);
    CHECK_EQ_INT(ntcp_xml_writer_new(&r->w, NULL, r->out), NTCP_OK);
    return ev.type == NTCP_FEV_PREAMBLE_COMPLETE && r->w;
}

static void raw_free(raw *r)
{
    ntcp_conn_free(&r->c);
    ntcp_framing_free(r->f);
    if (r->fd >= 0)
        close(r->fd);
    ntcp_xml_writer_free(r->w);
    ntcp_xml_session_free(r->out);
    ntcp_xml_session_free(r->in);
}

/* queues request i into the framing output (written by the next flush) */
static void raw_queue(raw *r, const char *action, int i)
{
    ntcp_buf out;
    ntcp_status st = rq_write(r->w, action, i, &out);
    if (!st)
        st = ntcp_framing_send_envelope(r->f, out.data, out.len);
    CHECK_EQ_INT(st, NTCP_OK);
    ntcp_buf_free(&out);
}

/* the next event is the reply to request i */
static void raw_expect(raw *r, int i, size_t body_len)
{
    ntcp_framing_event ev;
    ntcp_status st = ntcp_conn_next_event(&r->c, DEADLINE_MS, &ev);
    CHECK_EQ_INT(st, NTCP_OK);
    if (st)
        return;
    CHECK_EQ_INT(ev.type, NTCP_FEV_ENVELOPE);
    if (ev.type != NTCP_FEV_ENVELOPE)
        return;
    static const ntcp_xml_limits big = { 32, 4u << 20, 16384, 16384, 256, 4u << 20, 2048 };
    ntcp_soap_msg m;
    ntcp_soap_msg_init(&m);
    CHECK_EQ_INT(ntcp_soap_read_session(ev.data, ev.len, r->in, &big, NULL, 0, &m), NTCP_OK);
    char want[64];
    rq_id(want, sizeof want, i);
    CHECK_EQ_STR(m.relates_to ? m.relates_to : "", want);
    CHECK(!m.is_fault);
    if (body_len)
        CHECK(m.body.len > body_len);
    ntcp_soap_msg_clear(&m);
}

/* The client's End comes while the reply is still with the handler; the
 * reply leaves in parts (more than one part, all in one flush): the
 * service's End must follow it, not wait for a writable event that never
 * comes. */
TEST(service_end_follows_reply_sent_in_parts)
{
    if (!big_text) {
        big_text = malloc(BIG_TEXT);
        for (size_t i = 0; i < BIG_TEXT; i++)
            big_text[i] = (char)('a' + i % 26);
    }
    h_reset();
    fixture f;
    if (!start(&f, "urn:t/Big", op_held_big))
        return;
    raw r;
    if (raw_open(&r, f.port)) {
        /* a few replies first: the socket's send buffer grows (autotuning),
         * so the service's flush writes a whole reply without EAGAIN */
        h_release();
        for (int i = 10; i < 14; i++) {
            raw_queue(&r, "urn:t/Big", i);
            raw_expect(&r, i, BIG_TEXT);
        }
        h_reset();
        raw_queue(&r, "urn:t/Big", 1);
        CHECK_EQ_INT(ntcp_conn_flush(&r.c, DEADLINE_MS), NTCP_OK);
        h_wait_entered(1);
        CHECK_EQ_INT(ntcp_framing_send_end(r.f), NTCP_OK); /* End before the reply */
        CHECK_EQ_INT(ntcp_conn_flush(&r.c, DEADLINE_MS), NTCP_OK);
        /* the End reached the service: it waits for the reply */
        ntcp_server *srv = ntcp__service_server(f.svc);
        long long end = now_ms() + DEADLINE_MS;
        while (ntcp__server_ends_deferred(srv) < 1 && now_ms() < end)
            sched_yield();
        CHECK_EQ_INT((int)ntcp__server_ends_deferred(srv), 1);
        h_release();
        raw_expect(&r, 1, BIG_TEXT);
        ntcp_framing_event ev;
        ntcp_status st = ntcp_conn_next_event(&r.c, DEADLINE_MS, &ev);
        CHECK_EQ_INT(st, NTCP_OK); /* not NTCP_E_TIMEOUT: the service's End came */
        CHECK_EQ_INT(ev.type, NTCP_FEV_CLOSED);
        CHECK(ntcp_framing_is_closed(r.f));
    }
    raw_free(&r);
    h_release();
    stop(&f);
}

#define PIPELINED 400

/* A client pipelines requests behind a busy handler (single concurrency):
 * the service reads only a bounded number ahead (the rest wait in the
 * socket buffers, TCP's flow control), and reads on once the handler
 * returned; every reply comes, in order. */
TEST(service_bounds_requests_read_ahead_of_a_busy_handler)
{
    h_reset();
    fixture f;
    if (!start(&f, "urn:t/Op", op_first_held))
        return;
    raw r;
    if (raw_open(&r, f.port)) {
        for (int i = 0; i < PIPELINED; i++)
            raw_queue(&r, "urn:t/Op", i); /* ~ 120 bytes each: all in one read of the service */
        CHECK_EQ_INT(ntcp_conn_flush(&r.c, DEADLINE_MS), NTCP_OK);
        h_wait_entered(1);
        /* until the service stopped reading this session, or read everything */
        long long end = now_ms() + DEADLINE_MS;
        while (ntcp__service_requests(f.svc) < PIPELINED && ntcp__server_reads_held(ntcp__service_server(f.svc)) == 0 &&
               now_ms() < end)
            sched_yield();
        CHECK_EQ_INT((int)ntcp__server_reads_held(ntcp__service_server(f.svc)), 1);
        CHECK((int)ntcp__service_requests(f.svc) <= NTCP__SESSION_READ_AHEAD);
        CHECK_EQ_INT((int)ntcp__service_dispatched(f.svc), 1);
        h_release();
        for (int i = 0; i < PIPELINED; i++)
            raw_expect(&r, i, 0);
        CHECK_EQ_INT((int)ntcp__service_requests(f.svc), PIPELINED);
        CHECK_EQ_INT(ntcp_framing_send_end(r.f), NTCP_OK);
        ntcp_framing_event ev;
        CHECK_EQ_INT(ntcp_conn_next_event(&r.c, DEADLINE_MS, &ev), NTCP_OK);
        CHECK_EQ_INT(ev.type, NTCP_FEV_CLOSED);
    }
    raw_free(&r);
    h_release();
    stop(&f);
}

/* The receive timeout is the peer's idle time: a session whose reading the
 * service holds (the peer's requests wait unread in the socket) is not
 * idle, however long the handler runs. Here the timeout is 300 ms and the
 * handler is held for more than three timer ticks (750 ms). */
TEST(service_held_session_outlives_the_receive_timeout)
{
    h_reset();
    receive_timeout_ms = 300;
    fixture f;
    bool started = start(&f, "urn:t/Op", op_first_held);
    receive_timeout_ms = 0;
    if (!started)
        return;
    ntcp_server *srv = ntcp__service_server(f.svc);
    raw r;
    if (raw_open(&r, f.port)) {
        for (int i = 0; i < 100; i++)
            raw_queue(&r, "urn:t/Op", i);
        CHECK_EQ_INT(ntcp_conn_flush(&r.c, DEADLINE_MS), NTCP_OK);
        h_wait_entered(1);
        long long end = now_ms() + DEADLINE_MS;
        while (ntcp__server_reads_held(srv) == 0 && now_ms() < end)
            sched_yield();
        CHECK_EQ_INT((int)ntcp__server_reads_held(srv), 1);
        unsigned long t0 = ntcp__server_ticks(srv);
        while (ntcp__server_ticks(srv) < t0 + 4 && now_ms() < end)
            sched_yield();
        CHECK(ntcp__server_ticks(srv) >= t0 + 4);
        h_release();
        for (int i = 0; i < 100; i++)
            raw_expect(&r, i, 0);
    }
    raw_free(&r);
    h_release();
    stop(&f);
}
