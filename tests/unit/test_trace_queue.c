/* Traces written by their own thread: every event of several threads that
 * trace at once is in the file after close, whole and in each thread's
 * order, also while the queue is full most of the time (a tiny queue_max),
 * in both formats. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
#include <nettcp/trace.h>
#include "test.h"

#define TQ_THREADS 6
#define TQ_EVENTS 1500

typedef struct tq_thread {
    ntcp_trace *t;
    int id;
} tq_thread;

static void *emit_many(void *arg)
{
    tq_thread *a = arg;
    char conn[16], n[16];
    snprintf(conn, sizeof conn, "c%d", a->id);
    for (int i = 0; i < TQ_EVENTS; i++) {
        snprintf(n, sizeof n, "%d", i);
        ntcp_trace_event(a->t, "tick", conn, "n", n, "pad", "0123456789abcdef0123456789abcdef", NULL);
    }
    ntcp_trace_conn_end(a->t, conn);
    return NULL;
}

typedef struct tq_seen {
    int next[TQ_THREADS];  /* the n expected next from each thread */
    int out_of_order, ticks, closed;
} tq_seen;

static void tq_collect(void *ctx, const ntcp_trace_ev *ev)
{
    tq_seen *s = ctx;
    if (!ev->conn || ev->conn[0] != 'c')
        return;
    int id = atoi(ev->conn + 1);
    if (id < 0 || id >= TQ_THREADS)
        return;
    if (!strcmp(ev->event, "closed"))
        s->closed++;
    if (strcmp(ev->event, "tick"))
        return;
    s->ticks++;
    const char *n = ntcp_trace_ev_get(ev, "n");
    if (!n || atoi(n) != s->next[id])
        s->out_of_order++;
    s->next[id] = n ? atoi(n) + 1 : s->next[id];
}

static void concurrent_events(ntcp_trace_format fmt, size_t queue_max)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/nettcp-tq-XXXXXX");
    int fd = mkstemp(path);
    if (fd >= 0)
        close(fd);
    ntcp_trace_config c;
    ntcp_trace_config_init(&c);
    c.format = fmt;
    c.role = "service";
    c.queue_max = queue_max;
    ntcp_trace *t = NULL;
    CHECK_EQ_INT(ntcp_trace_open_config(&t, path, &c), NTCP_OK);
    if (!t)
        return;
    pthread_t th[TQ_THREADS];
    tq_thread a[TQ_THREADS];
    for (int i = 0; i < TQ_THREADS; i++) {
        a[i] = (tq_thread){ t, i };
        pthread_create(&th[i], NULL, emit_many, &a[i]);
    }
    for (int i = 0; i < TQ_THREADS; i++)
        pthread_join(th[i], NULL);
    ntcp_trace_close(t); /* no event may be left behind */
    tq_seen s;
    memset(&s, 0, sizeof s);
    char err[256];
    CHECK_EQ_INT(ntcp_trace_read(path, tq_collect, &s, err, sizeof err), NTCP_OK);
    CHECK_EQ_INT(s.ticks, TQ_THREADS * TQ_EVENTS);
    CHECK_EQ_INT(s.out_of_order, 0);
    CHECK_EQ_INT(s.closed, TQ_THREADS);
    for (int i = 0; i < TQ_THREADS; i++)
        CHECK_EQ_INT(s.next[i], TQ_EVENTS);
    unlink(path);
}

TEST(trace_queue_concurrent_events_complete_after_close) { concurrent_events(NTCP_TRACE_JSON, 0); }
TEST(trace_queue_full_waits_never_drops) { concurrent_events(NTCP_TRACE_JSON, 1024); }
TEST(trace_queue_svclog_complete_after_close) { concurrent_events(NTCP_TRACE_SVCLOG, 4096); }
