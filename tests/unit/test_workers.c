/* The service's threads: operations on the worker pool, sessions on several
 * event loops. Parallelism is proven with barriers every call must reach
 * (they can only pass when the calls overlap; a deadline fails the test),
 * order with entry/exit logs, and the dispatch counters of service_int.h. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include "test.h"
#include "request_util.h"
#include "channel/service_int.h"
#include "channel/server_int.h"
#include <nettcp/channel.h>
#include <nettcp/client.h>
#include <nettcp/service.h>

#define DEADLINE_MS 10000

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* polls until cond is false or ms passed */
#define POLL_WHILE(cond, ms)                                                                                         \
    do {                                                                                                             \
        long long end_ = now_ms() + (ms);                                                                            \
        while ((cond) && now_ms() < end_)                                                                            \
            sched_yield();                                                                                           \
    } while (0)

/* ---- a barrier with a deadline, and an entry/exit log ------------------------ */

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int want, arrived;
    bool release;      /* the test lets held handlers go */
    char log[64];      /* 'E'/'X' + index per entry and exit */
    int nlog;
    int inside, most_inside;
} g = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, false, "", 0, 0, 0 };

static void g_reset(int want)
{
    pthread_mutex_lock(&g.mu);
    g.want = want;
    g.arrived = g.nlog = g.inside = g.most_inside = 0;
    g.release = false;
    memset(g.log, 0, sizeof g.log);
    pthread_mutex_unlock(&g.mu);
}

static void g_release(void)
{
    pthread_mutex_lock(&g.mu);
    g.release = true;
    pthread_cond_broadcast(&g.cv);
    pthread_mutex_unlock(&g.mu);
}

/* waits (under g.mu) until pred or the deadline; false at the deadline */
static bool g_wait(bool (*pred)(void))
{
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += DEADLINE_MS / 1000;
    while (!pred())
        if (pthread_cond_timedwait(&g.cv, &g.mu, &dl) != 0 && !pred())
            return false;
    return true;
}

static bool all_arrived(void) { return g.arrived >= g.want; }
static bool released(void) { return g.release; }

/* the index the request carries in its body: <I xmlns="urn:t">n</I> */
static int index_of(ntcp_call *call)
{
    const char *xml;
    size_t len;
    if (ntcp_call_body_text(call, &xml, &len) != NTCP_OK)
        return -1;
    const char *gt = memchr(xml, '>', len);
    return gt ? atoi(gt + 1) : -1;
}

static void log_ev(char kind, int i)
{
    if (g.nlog + 2 < (int)sizeof g.log) {
        g.log[g.nlog++] = kind;
        g.log[g.nlog++] = (char)('0' + i);
    }
}

/* Barrier: passes when g.want calls are inside at once; the reply says whether it did. */
static ntcp_status op_barrier(void *ctx, ntcp_call *call)
{
    (void)ctx;
    pthread_mutex_lock(&g.mu);
    g.arrived++;
    pthread_cond_broadcast(&g.cv);
    bool ok = g_wait(all_arrived);
    pthread_mutex_unlock(&g.mu);
    return ntcp_call_reply_text(call, ok ? "<R xmlns=\"urn:t\">met</R>" : "<R xmlns=\"urn:t\">alone</R>", ok ? 24 : 26);
}

/* Logged: records entry and exit; the first one (index 0) waits for the
 * test's release; the others count how many were inside at once. */
static ntcp_status op_logged(void *ctx, ntcp_call *call)
{
    (void)ctx;
    int i = index_of(call);
    pthread_mutex_lock(&g.mu);
    log_ev('E', i);
    g.inside++;
    if (g.inside > g.most_inside)
        g.most_inside = g.inside;
    g.arrived++;
    pthread_cond_broadcast(&g.cv);
    if (i == 0)
        (void)g_wait(released);
    g.inside--;
    log_ev('X', i);
    pthread_mutex_unlock(&g.mu);
    return ntcp_call_reply_text(call, "<R xmlns=\"urn:t\"/>", 18);
}

/* ---- fixture ---------------------------------------------------------------- */

typedef struct fixture {
    ntcp_service *svc;
    pthread_t thr;
    char url[128];
    atomic_int ran;    /* ntcp_service_run returned */
} fixture;

static void *run(void *arg)
{
    fixture *f = arg;
    if (ntcp_service_run(f->svc))
        ntcp_test_fail(__FILE__, __LINE__, "run");
    atomic_store(&f->ran, 1);
    return NULL;
}

static ntcp_service *service(unsigned workers, unsigned loops, ntcp_concurrency conc, int close_timeout_ms)
{
    ntcp_service_options o;
    ntcp_service_options_init(&o);
    o.security = NTCP_SECURITY_NONE;
    o.workers = workers;
    o.server.loops = loops;
    o.concurrency = conc;
    if (close_timeout_ms)
        o.server.close_timeout_ms = close_timeout_ms;
    ntcp_service *svc = NULL;
    CHECK_EQ_INT(ntcp_service_new(&svc, &o), NTCP_OK);
    return svc;
}

static bool start(fixture *f, ntcp_service *svc)
{
    memset(f, 0, sizeof *f);
    f->svc = svc;
    int port = 0;
    ntcp_status st = ntcp_service_listen(svc, "net.tcp://127.0.0.1:0/svc", &port);
    CHECK_EQ_INT(st, NTCP_OK);
    snprintf(f->url, sizeof f->url, "net.tcp://127.0.0.1:%d/svc", port);
    if (st)
        return false;
    pthread_create(&f->thr, NULL, run, f);
    return true;
}

static void stop(fixture *f)
{
    ntcp_service_stop(f->svc);
    pthread_join(f->thr, NULL);
    ntcp_service_free(f->svc);
}

/* a service with one operation, serving (NULL if it could not start) */
static ntcp_service *serve_one(fixture *f, unsigned workers, unsigned loops, ntcp_concurrency conc,
                               int close_timeout_ms, const char *action, ntcp_operation_fn fn)
{
    ntcp_service *svc = service(workers, loops, conc, close_timeout_ms);
    CHECK_EQ_INT(ntcp_service_add_operation(svc, action, NULL, fn, NULL), NTCP_OK);
    if (!start(f, svc)) {
        ntcp_service_free(svc);
        return NULL;
    }
    return svc;
}

/* the entry/exit log is want */
#define CHECK_LOG(want)                                                                                              \
    do {                                                                                                             \
        pthread_mutex_lock(&g.mu);                                                                                   \
        CHECK_EQ_STR(g.log, want);                                                                                   \
        pthread_mutex_unlock(&g.mu);                                                                                 \
    } while (0)

static ntcp_client *client_none(const char *url)
{
    ntcp_client_options co;
    ntcp_client_options_init(&co);
    co.security = NTCP_SECURITY_NONE;
    ntcp_client *c = NULL;
    ntcp_error err;
    if (ntcp_client_open(&c, url, &co, &err) != NTCP_OK)
        return NULL;
    return c;
}

/* one session, one call, on its own thread */
typedef struct caller {
    const char *url, *action;
    ntcp_status st;
    char body[128];
    pthread_t thr;
} caller;

static void *call_thread(void *arg)
{
    caller *k = arg;
    k->st = NTCP_E_IO;
    ntcp_client *c = client_none(k->url);
    if (!c)
        return NULL;
    ntcp_soap_msg r;
    k->st = ntcp_client_call(c, k->action, NULL, 0, NULL, 0, &r);
    if (k->st == NTCP_OK)
        snprintf(k->body, sizeof k->body, "%.*s", (int)r.body.len, r.body.data ? (const char *)r.body.data : "");
    ntcp_soap_msg_clear(&r);
    ntcp_status cst = ntcp_client_close(c);
    if (k->st == NTCP_OK)
        k->st = cst;
    return NULL;
}

/* ---- pipelined requests on one raw session ------------------------------------ */

typedef struct pipe_session {
    ntcp_channel *ch;
    ntcp_xml_session *out, *in;
    ntcp_xml_writer *w;
} pipe_session;

static bool pipe_open(pipe_session *p, const char *url)
{
    memset(p, 0, sizeof *p);
    ntcp_channel_options o;
    ntcp_channel_options_init(&o);
    ntcp_error err;
    CHECK_EQ_INT(ntcp_xml_session_new(&p->out, 0), NTCP_OK);
    CHECK_EQ_INT(ntcp_xml_session_new(&p->in, 0), NTCP_OK);
    CHECK_EQ_INT(ntcp_xml_writer_new(&p->w, NULL, p->out), NTCP_OK);
    ntcp_status st = ntcp_channel_open(&p->ch, url, &o, &err);
    CHECK_EQ_INT(st, NTCP_OK);
    return st == NTCP_OK;
}

static void pipe_send(pipe_session *p, const char *action, int i)
{
    ntcp_buf out;
    ntcp_status st = rq_write(p->w, action, i, &out);
    if (!st)
        st = ntcp_channel_send(p->ch, out.data, out.len);
    CHECK_EQ_INT(st, NTCP_OK);
    ntcp_buf_free(&out);
}

/* the next reply relates to request i (and has that body, when given) */
static void pipe_expect(pipe_session *p, int i, const char *body)
{
    const uint8_t *d;
    size_t n;
    CHECK_EQ_INT(ntcp_channel_receive(p->ch, &d, &n), NTCP_OK);
    ntcp_soap_msg r;
    ntcp_soap_msg_init(&r);
    CHECK_EQ_INT(ntcp_soap_read_session(d, n, p->in, NULL, NULL, 0, &r), NTCP_OK);
    char want[64];
    rq_id(want, sizeof want, i);
    CHECK_EQ_STR(r.relates_to ? r.relates_to : "", want);
    CHECK(!r.is_fault);
    if (body)
        CHECK_BYTES(r.body.data, r.body.len, body, strlen(body));
    ntcp_soap_msg_clear(&r);
}

static void pipe_close(pipe_session *p)
{
    if (p->ch)
        CHECK_EQ_INT(ntcp_channel_close(p->ch), NTCP_OK);
    ntcp_xml_writer_free(p->w);
    ntcp_xml_session_free(p->out);
    ntcp_xml_session_free(p->in);
}

/* ---- the tests ---------------------------------------------------------------- */

/* 8 sessions, 8 calls at once: each waits for all 8 to be inside, which
 * only happens when they run in parallel (on 8 workers, over 2 loops). */
TEST(workers_sessions_run_in_parallel)
{
    fixture f;
    ntcp_service *svc = serve_one(&f, 8, 2, NTCP_CONCURRENCY_SINGLE, 0, "urn:t/Barrier", op_barrier);
    if (!svc)
        return;
    g_reset(8);
    caller k[8];
    for (int i = 0; i < 8; i++) {
        k[i] = (caller){ f.url, "urn:t/Barrier", NTCP_OK, "", 0 };
        pthread_create(&k[i].thr, NULL, call_thread, &k[i]);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(k[i].thr, NULL);
        CHECK_EQ_INT(k[i].st, NTCP_OK);
        CHECK_EQ_STR(k[i].body, "<R xmlns=\"urn:t\">met</R>");
    }
    stop(&f);
}

/* Single (the default): four requests pipelined on one session run one
 * after the other, in order. While the first is held, the other three have
 * been read but none was handed to a handler. */
TEST(workers_single_session_in_order)
{
    fixture f;
    ntcp_service *svc = serve_one(&f, 4, 2, NTCP_CONCURRENCY_SINGLE, 0, "urn:t/Logged", op_logged);
    if (!svc)
        return;
    g_reset(4);
    pipe_session p;
    if (pipe_open(&p, f.url)) {
        for (int i = 0; i < 4; i++)
            pipe_send(&p, "urn:t/Logged", i);
        POLL_WHILE(ntcp__service_requests(svc) < 4, DEADLINE_MS);
        CHECK_EQ_INT((int)ntcp__service_requests(svc), 4);
        CHECK_EQ_INT((int)ntcp__service_dispatched(svc), 1); /* the others wait for the first */
        g_release();
        for (int i = 0; i < 4; i++)
            pipe_expect(&p, i, "<R xmlns=\"urn:t\"/>");
        pthread_mutex_lock(&g.mu);
        CHECK_EQ_STR(g.log, "E0X0E1X1E2X2E3X3");
        CHECK_EQ_INT(g.most_inside, 1);
        pthread_mutex_unlock(&g.mu);
    }
    pipe_close(&p);
    stop(&f);
}

/* A dispatcher fault (an unknown Action) behind a running call waits for
 * it: the replies leave in request order and the session stays open. */
TEST(workers_dispatcher_fault_waits_its_turn)
{
    fixture f;
    ntcp_service *svc = serve_one(&f, 4, 1, NTCP_CONCURRENCY_SINGLE, 0, "urn:t/Logged", op_logged);
    if (!svc)
        return;
    g_reset(2);
    pipe_session p;
    if (pipe_open(&p, f.url)) {
        pipe_send(&p, "urn:t/Logged", 0); /* held until released */
        pipe_send(&p, "urn:t/Nope", 1);
        pipe_send(&p, "urn:t/Logged", 2);
        POLL_WHILE(ntcp__service_requests(svc) < 2, DEADLINE_MS);
        g_release();
        pipe_expect(&p, 0, "<R xmlns=\"urn:t\"/>");
        const uint8_t *d;
        size_t n;
        CHECK_EQ_INT(ntcp_channel_receive(p.ch, &d, &n), NTCP_OK);
        ntcp_soap_msg r;
        ntcp_soap_msg_init(&r);
        CHECK_EQ_INT(ntcp_soap_read_session(d, n, p.in, NULL, NULL, 0, &r), NTCP_OK);
        CHECK_EQ_STR(r.relates_to ? r.relates_to : "", "urn:uuid:00000000-0000-4000-8000-000000000001");
        CHECK(r.is_fault);
        CHECK_EQ_STR(r.fault_subcode ? r.fault_subcode : "", "ActionNotSupported");
        ntcp_soap_msg_clear(&r);
        pipe_expect(&p, 2, "<R xmlns=\"urn:t\"/>");
    }
    pipe_close(&p);
    stop(&f);
}

/* the next reply: the index its RelatesTo names (-1: none), whether it is a fault, its body */
static int pipe_next(pipe_session *p, bool *fault, char *body, size_t cap)
{
    const uint8_t *d;
    size_t n;
    int i = -1;
    *fault = false;
    body[0] = 0;
    if (ntcp_channel_receive(p->ch, &d, &n) != NTCP_OK)
        return -1;
    ntcp_soap_msg r;
    ntcp_soap_msg_init(&r);
    if (ntcp_soap_read_session(d, n, p->in, NULL, NULL, 0, &r) == NTCP_OK && r.relates_to) {
        const char *id = r.relates_to;
        size_t l = strlen(id);
        if (l > 0 && !strncmp(id, "urn:uuid:00000000-0000-4000-8000-00000000000", l - 1))
            i = id[l - 1] - '0';
        *fault = r.is_fault;
        snprintf(body, cap, "%.*s", (int)r.body.len, r.body.data ? (const char *)r.body.data : "");
    }
    ntcp_soap_msg_clear(&r);
    return i;
}

/* Multiple: one session's pipelined calls overlap (each waits for all four
 * to be inside); each reply comes once, in whatever order they finished. */
TEST(workers_multiple_session_overlaps)
{
    fixture f;
    ntcp_service *svc = serve_one(&f, 4, 1, NTCP_CONCURRENCY_MULTIPLE, 0, "urn:t/Barrier", op_barrier);
    if (!svc)
        return;
    g_reset(4);
    pipe_session p;
    if (pipe_open(&p, f.url)) {
        for (int i = 0; i < 4; i++)
            pipe_send(&p, "urn:t/Barrier", i);
        int seen = 0;
        for (int k = 0; k < 4; k++) {
            bool fault;
            char body[64];
            int i = pipe_next(&p, &fault, body, sizeof body);
            CHECK(i >= 0 && i < 4 && !(seen & 1 << i));
            CHECK(!fault);
            CHECK_EQ_STR(body, "<R xmlns=\"urn:t\">met</R>");
            if (i >= 0 && i < 4)
                seen |= 1 << i;
        }
        CHECK_EQ_INT(seen, 15);
    }
    pipe_close(&p);
    stop(&f);
}

/* Multiple: a reply leaves as its call finishes, as WCF's channel sends it:
 * a call after a held one is answered first, and so is a dispatcher fault
 * (an unknown Action); the held one's reply follows its release. */
TEST(workers_multiple_replies_as_they_finish)
{
    fixture f;
    ntcp_service *svc = serve_one(&f, 4, 1, NTCP_CONCURRENCY_MULTIPLE, 0, "urn:t/Logged", op_logged);
    if (!svc)
        return;
    g_reset(2);
    pipe_session p;
    if (pipe_open(&p, f.url)) {
        pipe_send(&p, "urn:t/Logged", 0); /* held until released */
        pipe_send(&p, "urn:t/Logged", 1);
        pipe_send(&p, "urn:t/Nope", 2);
        bool fault;
        char body[64];
        int a = pipe_next(&p, &fault, body, sizeof body), b;
        bool fa = fault;
        b = pipe_next(&p, &fault, body, sizeof body);
        bool fb = fault;
        /* 1 and the fault for 2, in either order, both before 0 */
        CHECK((a == 1 && !fa && b == 2 && fb) || (a == 2 && fa && b == 1 && !fb));
        pthread_mutex_lock(&g.mu);
        CHECK_EQ_STR(g.log, "E0E1X1"); /* 0 still runs */
        pthread_mutex_unlock(&g.mu);
        g_release();
        CHECK_EQ_INT(pipe_next(&p, &fault, body, sizeof body), 0);
        CHECK_EQ_STR(body, "<R xmlns=\"urn:t\"/>");
    }
    pipe_close(&p);
    stop(&f);
}

/* The endpoint option: multiple on one endpoint, single on the other. */
TEST(workers_concurrency_per_endpoint)
{
    ntcp_service *svc = service(4, 1, NTCP_CONCURRENCY_SINGLE, 0);
    ntcp_endpoint_options eo;
    ntcp_endpoint_options_init(&eo, svc);
    CHECK_EQ_INT(eo.concurrency, NTCP_CONCURRENCY_SINGLE);
    eo.concurrency = NTCP_CONCURRENCY_MULTIPLE;
    ntcp_endpoint *ep = NULL;
    int port = 0;
    CHECK_EQ_INT(ntcp_service_add_endpoint(svc, "net.tcp://127.0.0.1:0/multi", &eo, &ep, &port), NTCP_OK);
    if (!ep) {
        ntcp_service_free(svc);
        return;
    }
    CHECK_EQ_INT(ntcp_endpoint_add_operation(ep, "urn:t/Barrier", NULL, op_barrier, NULL), NTCP_OK);
    fixture f;
    memset(&f, 0, sizeof f);
    f.svc = svc;
    snprintf(f.url, sizeof f.url, "net.tcp://127.0.0.1:%d/multi", port);
    pthread_create(&f.thr, NULL, run, &f);
    g_reset(2);
    pipe_session p;
    if (pipe_open(&p, f.url)) {
        pipe_send(&p, "urn:t/Barrier", 0);
        pipe_send(&p, "urn:t/Barrier", 1);
        int seen = 0;
        for (int k = 0; k < 2; k++) {
            bool fault;
            char body[64];
            int i = pipe_next(&p, &fault, body, sizeof body);
            CHECK_EQ_STR(body, "<R xmlns=\"urn:t\">met</R>");
            if (i == 0 || i == 1)
                seen |= 1 << i;
        }
        CHECK_EQ_INT(seen, 3);
        pthread_mutex_lock(&g.mu);
        CHECK_EQ_INT(g.arrived, 2);
        pthread_mutex_unlock(&g.mu);
    }
    pipe_close(&p);
    stop(&f);
}

/* ---- deferred, completed on another thread before the handler returns --------- */

static void *complete_now(void *arg)
{
    ntcp_call *call = arg;
    ntcp_status st = ntcp_call_reply_text(call, "<D xmlns=\"urn:t\">done</D>", 25);
    ntcp_call_complete(call, st);
    return NULL;
}

static ntcp_status op_defer_complete_elsewhere(void *ctx, ntcp_call *call)
{
    (void)ctx;
    ntcp_call_defer(call);
    pthread_t t;
    pthread_create(&t, NULL, complete_now, call);
    pthread_join(t, NULL); /* completed before this handler returns */
    return NTCP_OK;
}

TEST(workers_deferred_completed_before_return)
{
    fixture f;
    ntcp_service *svc = serve_one(&f, 2, 2, NTCP_CONCURRENCY_SINGLE, 0, "urn:t/D", op_defer_complete_elsewhere);
    if (!svc)
        return;
    ntcp_client *c = client_none(f.url);
    CHECK(c != NULL);
    for (int i = 0; c && i < 3; i++) {
        ntcp_soap_msg r;
        CHECK_EQ_INT(ntcp_client_call(c, "urn:t/D", NULL, 0, NULL, 0, &r), NTCP_OK);
        CHECK_BYTES(r.body.data, r.body.len, "<D xmlns=\"urn:t\">done</D>", 25);
        ntcp_soap_msg_clear(&r);
    }
    if (c)
        CHECK_EQ_INT(ntcp_client_close(c), NTCP_OK);
    stop(&f);
}

/* ---- shutdown with operations in flight -------------------------------------- */

/* Held: waits for the test's release (the handler cannot be stopped). */
static ntcp_status op_held(void *ctx, ntcp_call *call)
{
    (void)ctx;
    pthread_mutex_lock(&g.mu);
    g.arrived++;
    pthread_cond_broadcast(&g.cv);
    (void)g_wait(released);
    pthread_mutex_unlock(&g.mu);
    return ntcp_call_reply_text(call, "<H xmlns=\"urn:t\"/>", 18);
}

static void wait_arrived(int n)
{
    pthread_mutex_lock(&g.mu);
    g.want = n;
    CHECK(g_wait(all_arrived));
    pthread_mutex_unlock(&g.mu);
}

/* A stop waits for the running operation: its reply still goes out, then
 * the session ends and run() returns. */
TEST(workers_shutdown_waits_for_running_operation)
{
    fixture f;
    ntcp_service *svc = serve_one(&f, 2, 2, NTCP_CONCURRENCY_SINGLE, 60000, "urn:t/Held", op_held);
    if (!svc)
        return;
    g_reset(1);
    caller k = { f.url, "urn:t/Held", NTCP_OK, "", 0 };
    pthread_create(&k.thr, NULL, call_thread, &k);
    wait_arrived(1);
    ntcp_service_stop(svc);
    CHECK_EQ_INT(atomic_load(&f.ran), 0); /* the operation still runs: run() has not returned */
    g_release();
    pthread_join(k.thr, NULL);
    CHECK_EQ_INT(k.st, NTCP_OK); /* the reply went out before the End */
    CHECK_EQ_STR(k.body, "<H xmlns=\"urn:t\"/>");
    pthread_join(f.thr, NULL);
    CHECK_EQ_INT(atomic_load(&f.ran), 1);
    ntcp_service_free(svc);
}

/* At the close timeout the sessions are aborted and run() returns while
 * the operation still runs; its reply is dropped when it returns, and
 * ntcp_service_free waits for it (nothing leaks: ASan). */
TEST(workers_shutdown_aborts_after_close_timeout)
{
    fixture f;
    ntcp_service *svc = serve_one(&f, 2, 2, NTCP_CONCURRENCY_SINGLE, 200, "urn:t/Held", op_held);
    if (!svc)
        return;
    g_reset(2);
    caller k[2];
    for (int i = 0; i < 2; i++) {
        k[i] = (caller){ f.url, "urn:t/Held", NTCP_OK, "", 0 };
        pthread_create(&k[i].thr, NULL, call_thread, &k[i]);
    }
    wait_arrived(2);
    ntcp_service_stop(svc);
    pthread_join(f.thr, NULL); /* returns at the close timeout, the operations still held */
    CHECK_EQ_INT(atomic_load(&f.ran), 1);
    for (int i = 0; i < 2; i++) {
        pthread_join(k[i].thr, NULL);
        CHECK(k[i].st != NTCP_OK); /* the sessions were aborted */
    }
    g_release();
    ntcp_service_free(svc);
}

/* ---- handlers on the loop's thread (inline_us) ---------------------------------- */

static _Atomic(pthread_t) g_thread;

static ntcp_status op_where(void *ctx, ntcp_call *call)
{
    (void)ctx;
    atomic_store(&g_thread, pthread_self());
    return ntcp_call_reply_text(call, "<W xmlns=\"urn:t\"/>", 18);
}

/* the thread that runs the handlers of one session's calls, made one at a
 * time: the same for all when *same, and never the test's own */
static pthread_t where_calls_ran(const char *url, int n, bool *same)
{
    pipe_session p;
    pthread_t first = 0;
    *same = true;
    if (pipe_open(&p, url)) {
        for (int i = 0; i < n; i++) {
            pipe_send(&p, "urn:t/Where", i % 10);
            pipe_expect(&p, i % 10, "<W xmlns=\"urn:t\"/>");
            pthread_t t = atomic_load(&g_thread);
            if (i == 0)
                first = t;
            else if (!pthread_equal(t, first))
                *same = false;
        }
    }
    pipe_close(&p);
    return first;
}

/* With workers, handlers that return at once run on the loop that read
 * them: every call of a session on one thread, no loop taken over, no
 * worker used (the pool's threads would take turns). With inline_us 0 they go
 * to the workers. */
TEST(workers_inline_fast_calls_stay_on_their_loop)
{
    for (int mode = 0; mode < 2; mode++) {
        ntcp_service_options o;
        ntcp_service_options_init(&o);
        o.security = NTCP_SECURITY_NONE;
        o.workers = 2;
        o.server.loops = 1;
        o.inline_us = mode == 0 ? 1000 : 0;
        ntcp_service *svc = NULL;
        CHECK_EQ_INT(ntcp_service_new(&svc, &o), NTCP_OK);
        CHECK_EQ_INT(ntcp_service_add_operation(svc, "urn:t/Where", NULL, op_where, NULL), NTCP_OK);
        fixture f;
        if (!start(&f, svc))
            return stop(&f);
        bool same;
        pthread_t t = where_calls_ran(f.url, 40, &same);
        CHECK(!pthread_equal(t, pthread_self()));
        CHECK(!pthread_equal(t, f.thr)); /* not run() 's caller: a handler must not hold it */
        if (mode == 0) {
            CHECK(same);
            CHECK_EQ_INT((int)ntcp__server_takeovers(ntcp__service_server(svc)), 0);
        }
        CHECK_EQ_INT((int)ntcp__service_dispatched(svc), 40);
        CHECK_EQ_INT((int)ntcp__service_inlined(svc), mode == 0 ? 40 : 0);
        stop(&f);
    }
}

/* A handler that blocks on the loop's thread has the loop taken from under
 * it: another session of that same (only) loop is opened, called and
 * answered while the first handler still waits; the first one's reply
 * still goes out once it returns. One worker: the blocked handler holds
 * the only thread allowed, so a second blocked call goes to the worker,
 * and the loop still accepts a third session and reads its call meanwhile. */
TEST(workers_inline_slow_handler_hands_its_loop_over)
{
    ntcp_service *svc = service(1, 1, NTCP_CONCURRENCY_SINGLE, 0);
    CHECK_EQ_INT(ntcp_service_add_operation(svc, "urn:t/Logged", NULL, op_logged, NULL), NTCP_OK);
    CHECK_EQ_INT(ntcp_service_add_operation(svc, "urn:t/Held", NULL, op_held, NULL), NTCP_OK);
    CHECK_EQ_INT(ntcp_service_add_operation(svc, "urn:t/Where", NULL, op_where, NULL), NTCP_OK);
    fixture f;
    if (!start(&f, svc))
        return stop(&f);
    g_reset(1);
    pipe_session a, b, c;
    if (pipe_open(&a, f.url)) {
        pipe_send(&a, "urn:t/Logged", 0); /* index 0 waits for the release */
        pthread_mutex_lock(&g.mu);
        CHECK(g_wait(all_arrived));
        pthread_mutex_unlock(&g.mu);
        if (pipe_open(&b, f.url)) {
            pipe_send(&b, "urn:t/Logged", 1);
            pipe_expect(&b, 1, "<R xmlns=\"urn:t\"/>");
            pthread_mutex_lock(&g.mu);
            CHECK_EQ_STR(g.log, "E0E1X1"); /* answered while 0 still runs */
            pthread_mutex_unlock(&g.mu);
            CHECK(ntcp__server_takeovers(ntcp__service_server(svc)) >= 1);
            pipe_send(&b, "urn:t/Held", 2); /* the worker's: the held thread is the one allowed */
            wait_arrived(3);
            bool c_open = pipe_open(&c, f.url); /* both threads blocked: the loop still accepts and reads */
            if (c_open)
                pipe_send(&c, "urn:t/Where", 3);
            g_release();
            pipe_expect(&b, 2, "<H xmlns=\"urn:t\"/>");
            if (c_open)
                pipe_expect(&c, 3, "<W xmlns=\"urn:t\"/>"); /* behind Held on the one worker */
            pipe_close(&c);
        }
        pipe_close(&b);
        g_release();
        pipe_expect(&a, 0, "<R xmlns=\"urn:t\"/>");
        CHECK_LOG("E0E1X1X0");
    }
    pipe_close(&a);
    stop(&f);
}

/* Endpoints, operations and understood headers are fixed while the service
 * runs (the loops read them without a lock), as WCF's opened ServiceHost
 * refuses changes: NTCP_E_STATE, and nothing changed. After the stop they
 * can change again. */
TEST(workers_no_changes_while_running)
{
    fixture f;
    ntcp_service *svc = serve_one(&f, 1, 1, NTCP_CONCURRENCY_SINGLE, 0, "urn:t/Where", op_where);
    if (!svc)
        return;
    bool same;
    (void)where_calls_ran(f.url, 1, &same); /* run() is serving */
    int port = 0;
    CHECK_EQ_INT(ntcp_service_add_operation(svc, "urn:t/Other", NULL, op_where, NULL), NTCP_E_STATE);
    CHECK_EQ_INT(ntcp_service_understand_header(svc, NULL, "urn:h", "H"), NTCP_E_STATE);
    CHECK_EQ_INT(ntcp_service_listen(svc, "net.tcp://127.0.0.1:0/two", &port), NTCP_E_STATE);
    CHECK_EQ_INT(ntcp_service_add_endpoint(svc, "net.tcp://127.0.0.1:0/three", NULL, NULL, &port), NTCP_E_STATE);
    CHECK_EQ_INT((int)ntcp__service_dispatched(svc), 1);
    ntcp_service_stop(svc);
    pthread_join(f.thr, NULL);
    CHECK_EQ_INT(ntcp_service_add_operation(svc, "urn:t/Other", NULL, op_where, NULL), NTCP_OK);
    ntcp_service_free(svc);
}

/* Taken: returns only once its loop was taken over (the watch's doing):
 * the n-th call, after the n-th takeover. */
static atomic_ulong g_taken_calls;

static ntcp_status op_until_taken(void *ctx, ntcp_call *call)
{
    ntcp_server *srv = ntcp__service_server(ctx);
    unsigned long n = atomic_fetch_add(&g_taken_calls, 1) + 1;
    POLL_WHILE(ntcp__server_takeovers(srv) < n, DEADLINE_MS);
    return ntcp_call_reply_text(call, "<T xmlns=\"urn:t\"/>", 18);
}

/* Every takeover starts a thread; one whose handler returned (or that
 * found nothing left to take) is joined while the service runs, not
 * held (its stack, its record) until run() returns: after 20 takeovers
 * only the loop's thread and the last one leaving are left. */
TEST(workers_inline_takeovers_leave_no_threads_behind)
{
    ntcp_service *svc = service(1, 1, NTCP_CONCURRENCY_SINGLE, 0);
    CHECK_EQ_INT(ntcp_service_add_operation(svc, "urn:t/Taken", NULL, op_until_taken, svc), NTCP_OK);
    fixture f;
    if (!start(&f, svc))
        return stop(&f);
    ntcp_server *srv = ntcp__service_server(svc);
    atomic_store(&g_taken_calls, 0);
    pipe_session p;
    if (pipe_open(&p, f.url)) {
        for (int i = 0; i < 20; i++) {
            pipe_send(&p, "urn:t/Taken", i % 10);
            pipe_expect(&p, i % 10, "<T xmlns=\"urn:t\"/>");
        }
        CHECK_EQ_INT((int)ntcp__server_takeovers(srv), 20);
        POLL_WHILE(ntcp__server_runners(srv) > 3, DEADLINE_MS);
        CHECK((int)ntcp__server_runners(srv) <= 3);
    }
    pipe_close(&p);
    stop(&f);
}

/* a gate the test opens: held handlers that come before the Held ones */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int arrived;
    bool open;
} gate = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, false };

static ntcp_status op_gate(void *ctx, ntcp_call *call)
{
    (void)ctx;
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += DEADLINE_MS / 1000;
    pthread_mutex_lock(&gate.mu);
    gate.arrived++;
    pthread_cond_broadcast(&gate.cv);
    while (!gate.open && pthread_cond_timedwait(&gate.cv, &gate.mu, &dl) == 0)
        ;
    pthread_mutex_unlock(&gate.mu);
    return ntcp_call_reply_text(call, "<G xmlns=\"urn:t\"/>", 18);
}

static void gate_reset(void)
{
    pthread_mutex_lock(&gate.mu);
    gate.arrived = 0;
    gate.open = false;
    pthread_mutex_unlock(&gate.mu);
}

static bool gate_wait_arrived(int n)
{
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += DEADLINE_MS / 1000;
    pthread_mutex_lock(&gate.mu);
    while (gate.arrived < n && pthread_cond_timedwait(&gate.cv, &gate.mu, &dl) == 0)
        ;
    bool ok = gate.arrived >= n;
    pthread_mutex_unlock(&gate.mu);
    return ok;
}

static void gate_open(void)
{
    pthread_mutex_lock(&gate.mu);
    gate.open = true;
    pthread_cond_broadcast(&gate.cv);
    pthread_mutex_unlock(&gate.mu);
}

static ntcp_service *inline_service(unsigned workers, unsigned loops, unsigned inline_us, int close_timeout_ms)
{
    ntcp_service_options o;
    ntcp_service_options_init(&o);
    o.security = NTCP_SECURITY_NONE;
    o.workers = workers;
    o.server.loops = loops;
    o.inline_us = inline_us;
    if (close_timeout_ms)
        o.server.close_timeout_ms = close_timeout_ms;
    ntcp_service *svc = NULL;
    CHECK_EQ_INT(ntcp_service_new(&svc, &o), NTCP_OK);
    if (svc) {
        CHECK_EQ_INT(ntcp_service_add_operation(svc, "urn:t/Gate", NULL, op_gate, NULL), NTCP_OK);
        CHECK_EQ_INT(ntcp_service_add_operation(svc, "urn:t/Held", NULL, op_held, NULL), NTCP_OK);
        CHECK_EQ_INT(ntcp_service_add_operation(svc, "urn:t/Where", NULL, op_where, NULL), NTCP_OK);
    }
    return svc;
}

/* Two blocking calls read in one batch of the one loop (both were waiting
 * in their sockets while a gate held the loop), one worker: the first
 * holds the only thread allowed once its loop is taken over, so the
 * second goes to the worker, not to the loop's new thread; the loop stays
 * free and reads a third session's call while both are held. */
TEST(workers_inline_batch_past_the_limit_goes_to_the_workers)
{
    ntcp_service *svc = inline_service(1, 1, 500000, 0); /* the gate is not taken over meanwhile */
    fixture f;
    if (!start(&f, svc))
        return stop(&f);
    g_reset(2);
    gate_reset();
    ntcp_server *srv = ntcp__service_server(svc);
    pipe_session a, b, c, d;
    bool ok = pipe_open(&a, f.url) && pipe_open(&b, f.url) && pipe_open(&c, f.url) && pipe_open(&d, f.url);
    if (ok) {
        pipe_send(&a, "urn:t/Gate", 0);
        CHECK(gate_wait_arrived(1));
        pipe_send(&b, "urn:t/Held", 1);
        pipe_send(&c, "urn:t/Held", 2);
        gate_open();
        pipe_expect(&a, 0, "<G xmlns=\"urn:t\"/>");
        CHECK_EQ_INT((int)ntcp__server_takeovers(srv), 0); /* else the gate did not hold the loop: no batch of two */
        wait_arrived(2);
        POLL_WHILE(ntcp__server_takeovers(srv) < 1, DEADLINE_MS);
        pipe_send(&d, "urn:t/Where", 3);
        POLL_WHILE(ntcp__service_requests(svc) < 4, DEADLINE_MS / 2); /* before the held handlers give up */
        CHECK_EQ_INT((int)ntcp__service_requests(svc), 4); /* the loop read it: not held by a handler */
        CHECK_EQ_INT((int)ntcp__server_takeovers(srv), 1); /* the second blocked call did not take a thread */
        g_release();
        pipe_expect(&b, 1, "<H xmlns=\"urn:t\"/>");
        pipe_expect(&c, 2, "<H xmlns=\"urn:t\"/>");
        pipe_expect(&d, 3, "<W xmlns=\"urn:t\"/>");
    }
    g_release();
    gate_open();
    pipe_close(&a);
    pipe_close(&b);
    pipe_close(&c);
    pipe_close(&d);
    stop(&f);
}

/* Two loops each start a blocking call at once, one worker: the limit
 * lets the watch take only one loop over, but the other loop must not be
 * left to its handler either: a stop then returns at the close timeout
 * with both handlers still held. */
TEST(workers_inline_blocked_on_two_loops_stop_returns)
{
    ntcp_service *svc = inline_service(1, 2, 500000, 200);
    fixture f;
    if (!start(&f, svc))
        return stop(&f);
    g_reset(2);
    gate_reset();
    ntcp_server *srv = ntcp__service_server(svc);
    pipe_session a, b, c, d; /* a, c on loop 0; b, d on loop 1 (the least loaded, ties to the first) */
    bool ok = pipe_open(&a, f.url) && pipe_open(&b, f.url) && pipe_open(&c, f.url) && pipe_open(&d, f.url);
    if (ok) {
        pipe_send(&a, "urn:t/Gate", 0);
        pipe_send(&b, "urn:t/Gate", 1);
        CHECK(gate_wait_arrived(2));
        pipe_send(&c, "urn:t/Held", 2);
        pipe_send(&d, "urn:t/Held", 3);
        gate_open();
        pipe_expect(&a, 0, "<G xmlns=\"urn:t\"/>");
        pipe_expect(&b, 1, "<G xmlns=\"urn:t\"/>");
        CHECK_EQ_INT((int)ntcp__server_takeovers(srv), 0); /* else the gates did not hold the loops */
        wait_arrived(2);
        ntcp_service_stop(svc);
        POLL_WHILE(!atomic_load(&f.ran), DEADLINE_MS);
        CHECK_EQ_INT(atomic_load(&f.ran), 1); /* at the close timeout, both handlers still held */
    }
    g_release();
    gate_open();
    pipe_session *all[] = { &a, &b, &c, &d };
    for (int i = 0; i < 4; i++) { /* the stop ended them */
        if (all[i]->ch)
            ntcp_channel_abort(all[i]->ch);
        all[i]->ch = NULL;
        pipe_close(all[i]);
    }
    stop(&f);
}

/* The watch covers every loop, not only the first 64: a handler blocked on
 * loop 64 has its loop taken over. */
TEST(workers_inline_watch_covers_every_loop)
{
    ntcp_service *svc = inline_service(1, 66, 1000, 0);
    CHECK_EQ_INT(ntcp_service_add_operation(svc, "urn:t/Logged", NULL, op_logged, NULL), NTCP_OK);
    fixture f;
    if (!start(&f, svc))
        return stop(&f);
    g_reset(1);
    ntcp_server *srv = ntcp__service_server(svc);
    static pipe_session p[65]; /* session i on loop i */
    int n = 0;
    while (n < 65 && pipe_open(&p[n], f.url))
        n++;
    CHECK_EQ_INT(n, 65);
    if (n == 65) {
        pipe_send(&p[64], "urn:t/Logged", 0); /* held until released */
        wait_arrived(1);
        POLL_WHILE(ntcp__server_takeovers(srv) < 1, DEADLINE_MS);
        CHECK_EQ_INT((int)ntcp__server_takeovers(srv), 1);
        g_release();
        pipe_expect(&p[64], 0, "<R xmlns=\"urn:t\"/>");
    }
    g_release();
    for (int i = 0; i < n; i++)
        pipe_close(&p[i]);
    stop(&f);
}

/* X: the gate, marking the thread it ran on; Where on the thread it ran on */
static _Thread_local bool tl_ran_gate;
static atomic_bool g_where_on_gate_thread;

static ntcp_status op_gate_mark(void *ctx, ntcp_call *call)
{
    tl_ran_gate = true;
    return op_gate(ctx, call);
}

static ntcp_status op_where_mark(void *ctx, ntcp_call *call)
{
    atomic_store(&g_where_on_gate_thread, tl_ran_gate);
    return op_where(ctx, call);
}

/* A thread whose loop was taken over stays out of it when its handler
 * returns, even while the loop's new thread runs a handler of its own
 * (whose run it must not mistake for its own): the loop is then served
 * by one thread, never by the old one again. */
TEST(workers_inline_lost_thread_does_not_come_back)
{
    ntcp_service *svc = inline_service(2, 1, 500000, 0);
    CHECK_EQ_INT(ntcp_service_add_operation(svc, "urn:t/X", NULL, op_gate_mark, NULL), NTCP_OK);
    CHECK_EQ_INT(ntcp_service_add_operation(svc, "urn:t/W", NULL, op_where_mark, NULL), NTCP_OK);
    fixture f;
    if (!start(&f, svc))
        return stop(&f);
    g_reset(1);
    gate_reset();
    atomic_store(&g_where_on_gate_thread, false);
    ntcp_server *srv = ntcp__service_server(svc);
    pipe_session b, c, d;
    bool ok = pipe_open(&b, f.url) && pipe_open(&c, f.url) && pipe_open(&d, f.url);
    if (ok) {
        pipe_send(&b, "urn:t/X", 0);
        CHECK(gate_wait_arrived(1));
        POLL_WHILE(ntcp__server_takeovers(srv) < 1, DEADLINE_MS);
        CHECK_EQ_INT((int)ntcp__server_takeovers(srv), 1); /* X lost its loop */
        pipe_send(&c, "urn:t/Held", 1); /* on the new thread, inline: one stray of two allowed */
        wait_arrived(1);
        gate_open(); /* X returns while Held runs on the loop's new thread */
        pipe_expect(&b, 0, "<G xmlns=\"urn:t\"/>");
        pipe_send(&d, "urn:t/W", 2);
        pipe_expect(&d, 2, "<W xmlns=\"urn:t\"/>");
        CHECK(!atomic_load(&g_where_on_gate_thread)); /* not served by the thread that lost the loop */
        g_release();
        pipe_expect(&c, 1, "<H xmlns=\"urn:t\"/>");
    }
    g_release();
    gate_open();
    pipe_close(&b);
    pipe_close(&c);
    pipe_close(&d);
    stop(&f);
}

/* Tick: returns once the watch looked at the loops again (a handler that
 * runs about one tick of inline_us: not long enough to be taken over). */
static atomic_int g_ticked;

static ntcp_status op_tick(void *ctx, ntcp_call *call)
{
    unsigned long t0 = ntcp__service_watch_ticks(ctx);
    POLL_WHILE(ntcp__service_watch_ticks(ctx) == t0, DEADLINE_MS);
    atomic_fetch_add(&g_ticked, 1);
    return ntcp_call_reply_text(call, "<T xmlns=\"urn:t\"/>", 18);
}

/* One session's 30 pipelined calls, each shorter than the watch's limit,
 * all read while a gate before them ran: run one after the other on the
 * loop they would hold it for all 30 ticks, no handler ever long enough to
 * be taken over. The loop polls again within about inline_us instead (the
 * rest go to the workers), so another session's call on that loop is
 * answered while most of them are still to run. */
TEST(workers_inline_short_calls_do_not_hold_the_loop)
{
    ntcp_service *svc = inline_service(2, 1, 1000, 0);
    CHECK_EQ_INT(ntcp_service_add_operation(svc, "urn:t/Tick", NULL, op_tick, svc), NTCP_OK);
    fixture f;
    if (!start(&f, svc))
        return stop(&f);
    atomic_store(&g_ticked, 0);
    gate_reset();
    pipe_session a, b;
    bool ok = pipe_open(&a, f.url) && pipe_open(&b, f.url);
    if (ok) {
        pipe_send(&a, "urn:t/Gate", 0); /* single: the Ticks wait for it, read */
        CHECK(gate_wait_arrived(1));
        for (int i = 1; i <= 30; i++)
            pipe_send(&a, "urn:t/Tick", i % 10);
        POLL_WHILE(ntcp__service_requests(svc) < 31, DEADLINE_MS);
        gate_open();
        pipe_expect(&a, 0, "<G xmlns=\"urn:t\"/>");
        POLL_WHILE(atomic_load(&g_ticked) < 2, DEADLINE_MS);
        pipe_send(&b, "urn:t/Where", 0);
        pipe_expect(&b, 0, "<W xmlns=\"urn:t\"/>");
        CHECK(atomic_load(&g_ticked) < 30); /* answered between them, not after them all */
        for (int i = 1; i <= 30; i++)
            pipe_expect(&a, i % 10, "<T xmlns=\"urn:t\"/>");
        CHECK_EQ_INT(atomic_load(&g_ticked), 30);
    }
    gate_open();
    pipe_close(&a);
    pipe_close(&b);
    stop(&f);
}

/* ---- the namespaces in scope at the SOAP Body ------------------------------------ */

static char g_ns_t[64], g_ns_h[64];

static ntcp_status op_namespaces(void *ctx, ntcp_call *call)
{
    (void)ctx;
    const char *t = ntcp_call_namespace(call, "t"), *h = ntcp_call_namespace(call, "h");
    snprintf(g_ns_t, sizeof g_ns_t, "%s", t ? t : "(none)");
    snprintf(g_ns_h, sizeof g_ns_h, "%s", h ? h : "(none)");
    return ntcp_call_reply_text(call, "<W xmlns=\"urn:t\"/>", 18);
}

/* ntcp_call_namespace answers for the SOAP Body: an element named Body in
 * another namespace before it, and a declaration on the Header, are out of
 * its scope. */
TEST(call_namespace_is_the_soap_bodys)
{
    fixture f;
    ntcp_service *svc = serve_one(&f, 1, 1, NTCP_CONCURRENCY_SINGLE, 0, "urn:t/Ns", op_namespaces);
    if (!svc)
        return;
    pipe_session p;
    if (pipe_open(&p, f.url)) {
        static const char env[] =
            "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
            "xmlns:a=\"http://www.w3.org/2005/08/addressing\" xmlns:t=\"urn:envelope\">"
            "<s:Header xmlns:h=\"urn:header\"><a:Action s:mustUnderstand=\"1\">urn:t/Ns</a:Action>"
            "<a:MessageID>urn:uuid:00000000-0000-4000-8000-000000000005</a:MessageID>"
            "<a:ReplyTo><a:Address>http://www.w3.org/2005/08/addressing/anonymous</a:Address></a:ReplyTo>"
            "</s:Header>"
            "<x:Body xmlns:x=\"urn:other\" xmlns:t=\"urn:wrong\"><X/></x:Body>"
            "<s:Body xmlns:t=\"urn:right\"><t:Q/></s:Body></s:Envelope>";
        ntcp_buf out;
        ntcp_buf_init(&out, 1 << 20);
        CHECK_EQ_INT(ntcp_xml_from_text(env, sizeof env - 1, p.w, &out), NTCP_OK);
        CHECK_EQ_INT(ntcp_channel_send(p.ch, out.data, out.len), NTCP_OK);
        ntcp_buf_free(&out);
        pipe_expect(&p, 5, "<W xmlns=\"urn:t\"/>");
        CHECK_EQ_STR(g_ns_t, "urn:right");
        CHECK_EQ_STR(g_ns_h, "(none)");
    }
    pipe_close(&p);
    stop(&f);
}
