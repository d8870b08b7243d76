/* The service host's connection engine (see include/nettcp/server.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "channel/conn.h"
#include <nettcp/server.h>
#include "channel/server_int.h"
#include "channel/sendq.h"

#define MAX_LISTENERS 8
#define READ_CHUNK 1048576 /* one buffer per event loop, one read per readiness */
#define MAX_LOOPS 256
/* Replies leave a part at a time: the next part is protected only while a
 * session's output holds less than OUT_LOW_WATER bytes, and one flush
 * protects at most OUT_FLUSH_PARTS parts before the loop serves the others. */
#define OUT_PART 262144
#define OUT_LOW_WATER 524288
#define OUT_FLUSH_PARTS 8
#define OUT_IOV 64

enum sess_state {
    SS_PREAMBLE,  /* before the preamble completed: channelInitializationTimeout applies */
    SS_OPEN,      /* messages flow: the receive timeout applies */
    SS_CLOSING,   /* we sent End at shutdown: waiting for the client's End */
    SS_DRAINING   /* a fault was written and the write side shut: discarding until EOF */
};

typedef struct loop loop;

struct ntcp_server_session {
    ntcp_server *srv;
    loop *lp;          /* the event loop that owns it: everything about it happens on its thread */
    int fd;
    ntcp_framing *f;
    ntcp_stream *up;
    enum sess_state state;
    long long deadline;
    size_t drained;
    bool want_out;     /* EPOLLOUT registered */
    bool read_held;    /* at the read-ahead bound: EPOLLIN not registered, the rest of the last read kept */
    uint8_t *held;     /* that rest (NULL when it was empty) */
    size_t held_len;
    bool close_after_flush;
    bool in_session;   /* a framing session started and on_close was not called yet */
    bool abort_requested;
    bool end_pending;  /* the peer's End came while replies were still to come: ours waits for them */
    char peer[64];
    void *user;
    ntcp_sendq sq;     /* replies waiting to be protected and queued a part at a time */
    ntcp_server_session *prev, *next;
};

/* A connection accepted by loop 0 for another loop. */
typedef struct handoff {
    int fd;
    struct sockaddr_storage sa;
    struct handoff *next;
} handoff;

/* One event loop: its epoll set, its sessions, its thread. Loop 0 also
 * owns the listeners, accepts, and hands connections out. */
struct loop {
    ntcp_server *srv;
    unsigned idx;
    int ep, evfd;
    ntcp_server_session *sessions;
    _Atomic unsigned count;      /* its sessions (read by loop 0 to pick the least loaded) */
    _Atomic int wake_pending;
    _Atomic int polling; /* in (or about to enter) epoll_wait: a wake-up must write the eventfd */
    /* user code on the loop's thread: run number * 4 + INL_* (see
     * ntcp__server_inline_begin); only the loop's thread writes it, but for
     * the compare-and-swap to INL_LOST of a thread taking the loop over */
    _Atomic unsigned long inl;
    uint8_t *rbuf;
    long long stop_deadline;
    bool shutting;
    ntcp_server_session *dead;   /* ended during an epoll batch: freed after it */
    bool in_batch;
    unsigned feeding;            /* feed() calls on the stack (a callback may flush another session) */
    pthread_mutex_t mu;          /* the handoff queue */
    handoff *in_head, *in_tail;
    bool started;                /* its thread runs (set before loop 0 hands anything out) */
    struct runner *cur;          /* the thread running it (written by that thread) */
    _Atomic unsigned long ticks; /* read by tests from other threads */
};

/* A thread the server started: a loop's, or one taking a loop over. */
typedef struct runner {
    pthread_t thr;
    loop *lp;
    unsigned long inl; /* the inline run it takes over (0: a loop's first thread) */
    _Atomic bool lost; /* its loop was taken over: it leaves when its user code returns */
    bool done;         /* (run_mu) its thread is leaving: joined by the next start_runner, or run() */
    struct runner *next;
} runner;

enum { INL_OWNED = 0, INL_RUNNING = 1, INL_LOST = 2 };

struct ntcp_server {
    ntcp_server_config cfg;
    loop *loops;
    unsigned nloops;
    int lfd[MAX_LISTENERS];
    int nlisten;
    _Atomic unsigned count;      /* sessions of every loop, for the session limit */
    _Atomic int stopping;
    void (*on_wake)(void *ctx);
    void *wake_ctx;
    void (*on_wake_loop)(void *ctx, unsigned loop);
    void *wake_loop_ctx;
    bool (*busy)(void *ctx, ntcp_server_session *ss);
    size_t (*backlog)(void *ctx, ntcp_server_session *ss);
    /* Out of descriptors (EMFILE/ENFILE): the listeners are disarmed until
     * one is freed (a session ends, or at the next timer tick), so a
     * level-triggered listener does not wake the loop again at once. The
     * reserve descriptor is given up to accept one waiting client and tell
     * it ServerTooBusy, as WCF does. */
    int reserve;
    _Atomic bool paused;
    /* TCP_NODELAY is set on the listeners, and Linux gives it to the
     * connections they accept: 1 once the first accepted one showed it had
     * it, -1 when each needs its own setsockopt, 0 not known yet */
    int nodelay_inherited;
    _Atomic bool resume_asked;   /* another loop freed a descriptor while paused */
    bool pause_logged;
    _Atomic unsigned long accept_calls; /* for tests (channel/server_int.h), read from other threads */
    _Atomic size_t out_max;            /* the most output one session held (channel/server_int.h) */
    _Atomic unsigned long ends_deferred; /* the peer's End came with replies still to go (tests) */
    _Atomic unsigned long reads_held;  /* sessions whose reading was held at the read-ahead bound (tests) */
    bool (*batch_end)(void *ctx, unsigned loop, bool final);
    void *batch_ctx;
    pthread_mutex_t run_mu;            /* runners, finished, closed */
    pthread_cond_t run_cv;
    runner *runners;
    runner *strays_list;               /* threads that lost their loop, joined by ntcp_server_free */
    unsigned finished;                 /* loops whose run ended (not taken over) */
    bool closed;                       /* run() is joining: no more runners */
    ntcp_status run_st;
    _Atomic int strays;                /* threads whose loop was taken over while they ran user code */
    _Atomic unsigned long takeovers;
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ntcp_server_config_init(ntcp_server_config *c)
{
    memset(c, 0, sizeof *c);
    ntcp_framing_acceptor_config_init(&c->framing);
    ntcp_framing_limits_init(&c->limits);
    c->channel_init_timeout_ms = 30000;
    c->receive_timeout_ms = 600000;
    c->close_timeout_ms = 10000;
    c->max_sessions = 10000;
    c->loops = 1; /* the service makes it one per CPU */
}

static ntcp_status loop_init(loop *lp)
{
    lp->ep = lp->evfd = -1;
    pthread_mutex_init(&lp->mu, NULL);
    lp->rbuf = ntcp_malloc(READ_CHUNK);
    lp->ep = epoll_create1(EPOLL_CLOEXEC);
    lp->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (!lp->rbuf)
        return NTCP_E_NOMEM;
    if (lp->ep < 0 || lp->evfd < 0)
        return NTCP_E_IO;
    struct epoll_event ev = { .events = EPOLLIN };
    ev.data.u64 = 1; /* wake, stop, handoff */
    return epoll_ctl(lp->ep, EPOLL_CTL_ADD, lp->evfd, &ev) < 0 ? NTCP_E_IO : NTCP_OK;
}

ntcp_status ntcp_server_new(ntcp_server **out, const ntcp_server_config *cfg)
{
    ntcp_server_config defaults;
    ntcp_server_config_init(&defaults);
    ntcp_server *s = ntcp_calloc(1, sizeof *s);
    if (!s)
        return NTCP_E_NOMEM;
    s->cfg = cfg ? *cfg : defaults;
    s->nloops = s->cfg.loops ? s->cfg.loops : 1;
    if (s->nloops > MAX_LOOPS)
        s->nloops = MAX_LOOPS;
    s->reserve = open("/dev/null", O_RDONLY | O_CLOEXEC);
    pthread_mutex_init(&s->run_mu, NULL);
    pthread_cond_init(&s->run_cv, NULL);
    s->loops = ntcp_calloc(s->nloops, sizeof *s->loops);
    if (!s->loops) {
        pthread_cond_destroy(&s->run_cv);
        pthread_mutex_destroy(&s->run_mu);
        ntcp_free(s);
        return NTCP_E_NOMEM;
    }
    unsigned made = 0;
    ntcp_status st = NTCP_OK;
    for (; made < s->nloops && !st; made++) {
        s->loops[made].srv = s;
        s->loops[made].idx = made;
        st = loop_init(&s->loops[made]);
    }
    if (st) {
        s->nloops = made;
        ntcp_server_free(s);
        return st;
    }
    *out = s;
    return NTCP_OK;
}

static void session_free_now(ntcp_server_session *ss)
{
    ntcp_free(ss->held);
    ntcp_sendq_clear(&ss->sq);
    ntcp_stream_free(ss->up);
    ntcp_framing_free(ss->f);
    ntcp_free(ss);
}

static void session_destroy(ntcp_server_session *ss)
{
    loop *lp = ss->lp;
    if (ss->prev)
        ss->prev->next = ss->next;
    else
        lp->sessions = ss->next;
    if (ss->next)
        ss->next->prev = ss->prev;
    atomic_fetch_sub(&lp->count, 1);
    atomic_fetch_sub(&ss->srv->count, 1);
    if (lp->in_batch) { /* a later event of this batch may name it: freed after the batch */
        ss->next = lp->dead;
        lp->dead = ss;
        return;
    }
    session_free_now(ss);
}

static void free_dead(loop *lp)
{
    while (lp->dead) {
        ntcp_server_session *ss = lp->dead;
        lp->dead = ss->next;
        session_free_now(ss);
    }
}

static void drop_handoffs(loop *lp)
{
    pthread_mutex_lock(&lp->mu);
    handoff *h = lp->in_head;
    lp->in_head = lp->in_tail = NULL;
    pthread_mutex_unlock(&lp->mu);
    for (handoff *next; h; h = next) {
        next = h->next;
        ntcp_tcp_abort(h->fd);
        atomic_fetch_sub(&lp->count, 1);
        atomic_fetch_sub(&lp->srv->count, 1);
        ntcp_free(h);
    }
}

void ntcp__server_join_strays(ntcp_server *s);

void ntcp_server_free(ntcp_server *s)
{
    if (!s)
        return;
    ntcp__server_join_strays(s);
    for (unsigned i = 0; i < s->nloops; i++) {
        loop *lp = &s->loops[i];
        if (atomic_exchange(&lp->wake_pending, 0)) {
            if (s->on_wake_loop)
                s->on_wake_loop(s->wake_loop_ctx, lp->idx);
            if (lp->idx == 0 && s->on_wake)
                s->on_wake(s->wake_ctx);
        }
        lp->in_batch = false;
        free_dead(lp);
        while (lp->sessions) {
            ntcp_server_session *ss = lp->sessions;
            if (ss->fd >= 0)
                ntcp_tcp_abort(ss->fd);
            session_destroy(ss);
        }
        drop_handoffs(lp);
        if (lp->ep >= 0)
            close(lp->ep);
        if (lp->evfd >= 0)
            close(lp->evfd);
        ntcp_free(lp->rbuf);
        pthread_mutex_destroy(&lp->mu);
    }
    for (int i = 0; i < s->nlisten; i++)
        close(s->lfd[i]);
    if (s->reserve >= 0)
        close(s->reserve);
    pthread_cond_destroy(&s->run_cv);
    pthread_mutex_destroy(&s->run_mu);
    ntcp_free(s->loops);
    ntcp_free(s);
}

ntcp_status ntcp_server_listen(ntcp_server *s, const char *host, const char *port, int *bound_port)
{
    if (s->nlisten >= MAX_LISTENERS)
        return NTCP_E_LIMIT;
    int fd;
    ntcp_status st = ntcp_tcp_listen(host, port, 1024, &fd, bound_port);
    if (st)
        return st;
    int one = 1; /* passed on to the accepted connections (see nodelay_inherited) */
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
        s->nodelay_inherited = -1;
    struct epoll_event ev = { .events = EPOLLIN };
    ev.data.u64 = 2 + (uint64_t)s->nlisten; /* listeners: 2.., on loop 0 */
    if (epoll_ctl(s->loops[0].ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
        close(fd);
        return NTCP_E_IO;
    }
    s->lfd[s->nlisten++] = fd;
    return NTCP_OK;
}

void ntcp_server_set_wake(ntcp_server *s, void (*fn)(void *ctx), void *ctx)
{
    s->on_wake = fn;
    s->wake_ctx = ctx;
}

void ntcp_server_set_wake_loop(ntcp_server *s, void (*fn)(void *ctx, unsigned loop), void *ctx)
{
    s->on_wake_loop = fn;
    s->wake_loop_ctx = ctx;
}

void ntcp_server_set_busy(ntcp_server *s, bool (*busy)(void *ctx, ntcp_server_session *ss))
{
    s->busy = busy;
}

void ntcp_server_set_backlog(ntcp_server *s, size_t (*backlog)(void *ctx, ntcp_server_session *ss))
{
    s->backlog = backlog;
}

static void kick(loop *lp)
{
    uint64_t one = 1;
    ssize_t w = write(lp->evfd, &one, sizeof one);
    (void)w;
}

void ntcp_server_wake_loop(ntcp_server *s, unsigned i)
{
    if (i >= s->nloops)
        return;
    /* one eventfd write per wake-up of a sleeping loop: a loop that is
     * awake sees wake_pending before it polls again (it sets polling, then
     * reads wake_pending; both sides are sequentially consistent) */
    if (!atomic_exchange(&s->loops[i].wake_pending, 1) && atomic_load(&s->loops[i].polling))
        kick(&s->loops[i]);
}

void ntcp_server_wake(ntcp_server *s) { ntcp_server_wake_loop(s, 0); }

void ntcp_server_stop(ntcp_server *s)
{
    atomic_store(&s->stopping, 1);
    for (unsigned i = 0; i < s->nloops; i++)
        kick(&s->loops[i]);
}

unsigned ntcp_server_loops(const ntcp_server *s) { return s->nloops; }
unsigned ntcp_server_session_loop(const ntcp_server_session *ss) { return ss->lp->idx; }
unsigned ntcp_server_session_count(const ntcp_server *s) { return atomic_load(&s->count); }
const char *ntcp_server_session_via(const ntcp_server_session *ss) { return ntcp_framing_via(ss->f); }
const char *ntcp_server_session_peer(const ntcp_server_session *ss) { return ss ? ss->peer : "service"; }
const ntcp_stream *ntcp_server_session_stream(const ntcp_server_session *ss) { return ss ? ss->up : NULL; }
int ntcp_server_session_mode(const ntcp_server_session *ss) { return ntcp_framing_mode(ss->f); }
const char *ntcp_server_session_content_type(const ntcp_server_session *ss) { return ntcp_framing_content_type(ss->f); }
void *ntcp_server_session_get_user(const ntcp_server_session *ss) { return ss->user; }
void ntcp_server_session_set_user(ntcp_server_session *ss, void *user) { ss->user = user; }

static bool set_interest(ntcp_server_session *ss, bool want_out, bool read_held)
{
    struct epoll_event ev = { .events = (read_held ? 0 : EPOLLIN | EPOLLRDHUP) | (want_out ? EPOLLOUT : 0),
                              .data.ptr = ss };
    return epoll_ctl(ss->lp->ep, EPOLL_CTL_MOD, ss->fd, &ev) == 0;
}

static void set_out_interest(ntcp_server_session *ss, bool want)
{
    if (ss->want_out != want && set_interest(ss, want, ss->read_held))
        ss->want_out = want;
}

/* Requests read and not answered yet: the service's, and replies waiting
 * whole in the send queue (a peer that does not read holds them there). */
static size_t backlog(ntcp_server_session *ss)
{
    ntcp_server *s = ss->srv;
    return (s->backlog ? s->backlog(s->cfg.ctx, ss) : 0) + ss->sq.waiting;
}

static void resume_accepting(ntcp_server *s);

static void end_session(ntcp_server_session *ss, ntcp_status why, bool abort_conn)
{
    ntcp_server *s = ss->srv;
    if (s->cfg.on_close && ss->in_session)
        s->cfg.on_close(s->cfg.ctx, ss, why);
    ss->in_session = false;
    epoll_ctl(ss->lp->ep, EPOLL_CTL_DEL, ss->fd, NULL);
    if (abort_conn)
        ntcp_tcp_abort(ss->fd);
    else
        close(ss->fd);
    ss->fd = -1;
    bool on_acceptor = ss->lp->idx == 0;
    session_destroy(ss);
    if (atomic_load(&s->paused)) { /* a descriptor was freed */
        if (on_acceptor) {
            resume_accepting(s);
        } else {
            atomic_store(&s->resume_asked, true);
            kick(&s->loops[0]);
        }
    }
}

static void report(ntcp_server_session *ss, ntcp_status st);

/* Writes what the framing session has queued, several chunks per sendmsg,
 * and protects the next parts of waiting replies while the output is below
 * its low watermark; false if the session died. */
static bool flush(ntcp_server_session *ss)
{
    ntcp_server *s = ss->srv;
    int parts = 0;
    for (;;) {
        bool produced = false;
        if (parts < OUT_FLUSH_PARTS) {
            ntcp_status ps = ntcp_sendq_pump(&ss->sq, ss->f, OUT_LOW_WATER, OUT_PART, &produced);
            if (ps) {
                report(ss, ps);
                end_session(ss, ps, true);
                return false;
            }
            parts += produced;
        }
        size_t queued = ntcp_framing_output_pending(ss->f);
        size_t most = atomic_load_explicit(&s->out_max, memory_order_relaxed);
        while (queued > most && !atomic_compare_exchange_weak_explicit(&s->out_max, &most, queued,
                                                                        memory_order_relaxed, memory_order_relaxed)) {
        }
        struct iovec iov[OUT_IOV];
        size_t k = ntcp_framing_output_iov(ss->f, iov, OUT_IOV);
        if (!k) {
            if (produced)
                continue;
            break;
        }
        size_t w = 0;
        ntcp_status st = ntcp_tcp_sendv(ss->fd, iov, k, &w);
        if (st == NTCP_AGAIN)
            break;
        if (st) {
            end_session(ss, NTCP_E_CONNECTION_RESET, true);
            return false;
        }
        ntcp_framing_output_consumed(ss->f, w);
    }
    bool left = ntcp_framing_output_pending(ss->f) > 0;
    /* more to protect (the per-flush share was used): the writable socket
     * brings this session back after the others */
    set_out_interest(ss, left || (ntcp_sendq_busy(&ss->sq) && ntcp_framing_is_open(ss->f)) ||
                             (ss->read_held && backlog(ss) < NTCP__SESSION_READ_AHEAD)); /* resumes there */
    if (!left && ss->close_after_flush && ss->state != SS_DRAINING) {
        /* fault written: half-close and drain, as WCF does */
        shutdown(ss->fd, SHUT_WR);
        ss->state = SS_DRAINING;
        ss->drained = 0;
        ss->deadline = now_ms() + 2000;
    }
    return true;
}

/* A refused or failed session, as one ntcp_error: the secured stream's own
 * when it failed (its cause and NegotiateStream detail), else the framing
 * session's. */
static void report_text(ntcp_server_session *ss, ntcp_status st, const char *text, int64_t offset)
{
    ntcp_server *s = ss->srv;
    if (!s->cfg.on_error)
        return;
    ntcp_error e;
    if (ntcp_stream_query(ss->up, NTCP_STREAM_QUERY_ERROR, &e) != NTCP_OK || !e.status) {
        ntcp_error_clear(&e);
        ntcp_error_set(&e, st, ntcp_cause_of_status(st), NTCP_STEP_ACCEPT, "%s", text ? text : ntcp_status_str(st));
        e.offset = offset;
    }
    e.step = ss->state == SS_PREAMBLE ? NTCP_STEP_ACCEPT : NTCP_STEP_DISPATCH;
    s->cfg.on_error(s->cfg.ctx, ss, &e);
}

static void report(ntcp_server_session *ss, ntcp_status st)
{
    bool told = ntcp_framing_last_error_status(ss->f) == st;
    report_text(ss, st, told ? ntcp_framing_last_error(ss->f) : NULL, told ? ntcp_framing_last_error_offset(ss->f) : -1);
}

/* Replies still to go out: the service's own (busy) or parts not yet queued. */
static bool replies_pending(ntcp_server_session *ss)
{
    ntcp_server *s = ss->srv;
    return ntcp_sendq_busy(&ss->sq) || (s->busy && s->busy(s->cfg.ctx, ss));
}

/* After a framing error: fault-and-drain or abort, as the session says. */
static bool fail_session(ntcp_server_session *ss, ntcp_status st)
{
    report(ss, st);
    ntcp_sendq_clear(&ss->sq); /* replies still in parts never follow */
    if (ntcp_framing_close_action(ss->f) == NTCP_CLOSE_AFTER_WRITE_DRAIN) {
        ss->close_after_flush = true;
        return flush(ss);
    }
    /* an abort still writes what is queued first: e.g. the security layer's
     * HandshakeError, which tells the client why */
    size_t npending = ntcp_framing_output_pending(ss->f);
    if (!flush(ss))
        return false;
    /* with something written, close normally: a reset could discard it in flight */
    end_session(ss, st, npending == 0);
    return false;
}

static void record_trampoline(void *ctx, bool sent, const ntcp_nmf_record *rec)
{
    ntcp_server_session *ss = ctx;
    ss->srv->cfg.on_record(ss->srv->cfg.ctx, ss, sent, rec);
}

/* A connection counted in the loop's and the service's session counts
 * leaves before it became a session. */
static void uncount(loop *lp)
{
    atomic_fetch_sub(&lp->count, 1);
    atomic_fetch_sub(&lp->srv->count, 1);
}

/* Adopts a connection (already counted) on its loop's thread; too_busy:
 * over the session limit, it gets ServerTooBusy. */
static void session_new(loop *lp, int fd, const struct sockaddr_storage *sa, bool too_busy)
{
    ntcp_server *s = lp->srv;
    ntcp_server_session *ss = ntcp_calloc(1, sizeof *ss);
    if (!ss) {
        ntcp_tcp_abort(fd);
        uncount(lp);
        return;
    }
    ss->srv = s;
    ss->lp = lp;
    ss->fd = fd;
    char addr[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (sa->ss_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, addr, sizeof addr);
        port = ntohs(((const struct sockaddr_in *)sa)->sin_port);
    } else if (sa->ss_family == AF_INET6) {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, addr, sizeof addr);
        port = ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
    }
    snprintf(ss->peer, sizeof ss->peer, "%s:%d", addr, port);
    if (ntcp_framing_new_acceptor(&ss->f, &s->cfg.framing, &s->cfg.limits)) {
        ntcp_tcp_abort(fd);
        ntcp_free(ss);
        uncount(lp);
        return;
    }
    if (s->cfg.on_record)
        ntcp_framing_set_record_cb(ss->f, record_trampoline, ss);
    ss->state = SS_PREAMBLE;
    ss->deadline = now_ms() + s->cfg.channel_init_timeout_ms;
    ss->next = lp->sessions;
    if (lp->sessions)
        lp->sessions->prev = ss;
    lp->sessions = ss;
    struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.ptr = ss };
    if (epoll_ctl(lp->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
        end_session(ss, NTCP_E_IO, true);
        return;
    }
    if (too_busy) {
        /* over the limit: the ServerTooBusy fault, then half-close and drain */
        if (ntcp_framing_send_fault(ss->f, "ServerTooBusy") == NTCP_OK) {
            ss->close_after_flush = true;
            report(ss, NTCP_E_SERVER_TOO_BUSY);
            flush(ss);
        } else {
            end_session(ss, NTCP_E_SERVER_TOO_BUSY, true);
        }
    }
}

static void listeners_armed(ntcp_server *s, bool armed)
{
    for (int i = 0; i < s->nlisten; i++) {
        struct epoll_event ev = { .events = armed ? EPOLLIN : 0 };
        ev.data.u64 = 2 + (uint64_t)i;
        epoll_ctl(s->loops[0].ep, EPOLL_CTL_MOD, s->lfd[i], &ev);
    }
}

static void resume_accepting(ntcp_server *s)
{
    if (s->reserve < 0)
        s->reserve = open("/dev/null", O_RDONLY | O_CLOEXEC);
    atomic_store(&s->paused, false);
    if (!atomic_load(&s->stopping))
        listeners_armed(s, true);
}

/* No descriptor for a waiting client: with the reserve one, accept it,
 * send ServerTooBusy and close; then stop accepting until one is freed. */
static void out_of_descriptors(ntcp_server *s, int lfd, int err)
{
    if (s->reserve >= 0) {
        close(s->reserve);
        s->reserve = -1;
        s->accept_calls++;
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd >= 0) {
            ntcp_buf b;
            ntcp_buf_init(&b, 256);
            if (ntcp_nmf_put_fault(&b, "ServerTooBusy") == NTCP_OK) {
                ssize_t w = send(fd, b.data, b.len, MSG_NOSIGNAL | MSG_DONTWAIT);
                (void)w; /* best effort: the client may read it before our FIN */
            }
            ntcp_buf_free(&b);
            shutdown(fd, SHUT_WR);
            close(fd);
        }
        s->reserve = open("/dev/null", O_RDONLY | O_CLOEXEC);
    }
    atomic_store(&s->paused, true);
    listeners_armed(s, false);
    if (!s->pause_logged && s->cfg.on_error) {
        s->pause_logged = true;
        char text[200];
        snprintf(text, sizeof text,
                 "out of file descriptors (%s): new connections wait (each refused with ServerTooBusy) until one "
                 "is freed; the %u open sessions are served",
                 err == ENFILE ? "ENFILE, the system's limit" : "EMFILE, the process's limit",
                 atomic_load(&s->count));
        ntcp_error e;
        ntcp_error_set(&e, NTCP_E_SERVER_TOO_BUSY, NTCP_CAUSE_SERVER_TOO_BUSY, NTCP_STEP_ACCEPT, "%s", text);
        s->cfg.on_error(s->cfg.ctx, NULL, &e);
    }
}

/* Counts the connection against the session limit for the whole service
 * and gives it to the loop with the fewest sessions (over the limit: loop 0
 * answers ServerTooBusy itself). */
static void hand_out(ntcp_server *s, int fd, const struct sockaddr_storage *sa)
{
    bool too_busy = atomic_fetch_add(&s->count, 1) + 1 > s->cfg.max_sessions;
    loop *to = &s->loops[0];
    for (unsigned i = 1; !too_busy && i < s->nloops; i++)
        if (s->loops[i].started && atomic_load(&s->loops[i].count) < atomic_load(&to->count))
            to = &s->loops[i];
    atomic_fetch_add(&to->count, 1);
    if (to->idx == 0) {
        session_new(to, fd, sa, too_busy);
        return;
    }
    handoff *h = ntcp_malloc(sizeof *h);
    if (!h) {
        ntcp_tcp_abort(fd);
        uncount(to);
        return;
    }
    h->fd = fd;
    h->sa = *sa;
    h->next = NULL;
    pthread_mutex_lock(&to->mu);
    if (to->in_tail)
        to->in_tail->next = h;
    else
        to->in_head = h;
    to->in_tail = h;
    pthread_mutex_unlock(&to->mu);
    kick(to);
}

/* On a loop's thread: the connections handed to it. */
static void adopt(loop *lp)
{
    pthread_mutex_lock(&lp->mu);
    handoff *h = lp->in_head;
    lp->in_head = lp->in_tail = NULL;
    pthread_mutex_unlock(&lp->mu);
    for (handoff *next; h; h = next) {
        next = h->next;
        if (lp->shutting) {
            ntcp_tcp_abort(h->fd);
            uncount(lp);
        } else {
            session_new(lp, h->fd, &h->sa, false);
        }
        ntcp_free(h);
    }
}

/* As WCF's TCP transport: no Nagle delay on small records. The listener's
 * setting comes with the connection on Linux; that is checked on the first
 * one (a setsockopt per connection otherwise). */
static void set_nodelay(ntcp_server *s, int fd)
{
    int one = 1;
    if (s->nodelay_inherited == 0) {
        int v = 0;
        socklen_t vl = sizeof v;
        s->nodelay_inherited = getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &vl) == 0 && v ? 1 : -1;
    }
    if (s->nodelay_inherited < 0)
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static void accept_all(ntcp_server *s, int lfd)
{
    for (;;) {
        struct sockaddr_storage sa;
        socklen_t sl = sizeof sa;
        s->accept_calls++;
        int fd = accept4(lfd, (struct sockaddr *)&sa, &sl, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
            out_of_descriptors(s, lfd, errno);
            return;
        }
        if (fd < 0)
            return; /* EAGAIN, or a transient error (ECONNABORTED, ...) */
        s->pause_logged = false;
        if (atomic_load(&s->stopping)) {
            close(fd);
            continue;
        }
        set_nodelay(s, fd);
        hand_out(s, fd, &sa);
    }
}

/* A framing session ended with End both ways: the connection may start
 * over (pooling), or ends when shutting down. False if it is gone. */
static bool session_closed(ntcp_server_session *ss)
{
    ntcp_server *s = ss->srv;
    if (atomic_load(&s->stopping)) { /* shutting down: this was the last exchange */
        if (flush(ss))
            end_session(ss, NTCP_OK, false);
        return false;
    }
    if (s->cfg.on_close)
        s->cfg.on_close(s->cfg.ctx, ss, NTCP_OK);
    ss->in_session = false;
    ss->end_pending = false;
    ntcp_stream_free(ss->up);
    ss->up = NULL;
    ss->user = NULL;
    ss->state = SS_PREAMBLE; /* a pooled connection may start over */
    ss->deadline = now_ms() + s->cfg.channel_init_timeout_ms;
    return true;
}

/* The peer's End waited for our replies: once the last one is wholly
 * queued, our End. After every flush that may have queued it (a reply in
 * parts can leave in one flush without the socket ever filling, so no
 * writable event follows). False if the session is gone. */
static bool end_after_replies(ntcp_server_session *ss)
{
    if (!ss->end_pending || replies_pending(ss))
        return true;
    ss->end_pending = false;
    if (ntcp_framing_send_end(ss->f) == NTCP_OK && ntcp_framing_is_closed(ss->f) && !session_closed(ss))
        return false;
    return flush(ss);
}

static bool hold_reading(ntcp_server_session *ss, const uint8_t *rest, size_t n);

/* Feeds bytes to the session and acts on its events; false if it died. */
static bool feed_session(ntcp_server_session *ss, const uint8_t *p, size_t n)
{
    ntcp_server *s = ss->srv;
    size_t off = 0;
    for (;;) {
        size_t used = 0;
        ntcp_framing_event ev;
        ntcp_status st = ntcp_framing_feed(ss->f, p + off, n - off, &used, &ev);
        off += used;
        if (st == NTCP_AGAIN) {
            if (off >= n)
                break;
            continue;
        }
        if (st)
            return fail_session(ss, st);
        switch (ev.type) {
        case NTCP_FEV_PREAMBLE:
            ss->in_session = true;
            if (s->cfg.stream_new) { /* NULL when this endpoint has no security */
                ntcp_stream_free(ss->up);
                ss->up = s->cfg.stream_new(s->cfg.ctx, ss);
                ntcp_framing_set_upgrade(ss->f, ss->up);
            }
            if (!ntcp_framing_is_open(ss->f))
                break;
            /* simplex, singleton-sized: open without PreambleEnd/Ack */
            /* fall through */
        case NTCP_FEV_PREAMBLE_COMPLETE:
            ss->state = SS_OPEN;
            ss->deadline = now_ms() + s->cfg.receive_timeout_ms;
            if (s->cfg.on_open && !s->cfg.on_open(s->cfg.ctx, ss)) {
                end_session(ss, NTCP_E_ACCESS_DENIED, true);
                return false;
            }
            break;
        case NTCP_FEV_ENVELOPE:
            ss->deadline = now_ms() + s->cfg.receive_timeout_ms;
            if (s->cfg.on_message)
                s->cfg.on_message(s->cfg.ctx, ss, ev.data, ev.len);
            if (ss->abort_requested) {
                end_session(ss, NTCP_E_CLOSED, true);
                return false;
            }
            if (backlog(ss) >= NTCP__SESSION_READ_AHEAD) /* a pipelining peer waits: bounded memory */
                return hold_reading(ss, p + off, n - off);
            break;
        case NTCP_FEV_END:
            if (ntcp_framing_mode(ss->f) == NTCP_MODE_SIMPLEX) { /* one way: nothing to answer; close */
                if (!flush(ss))
                    return false;
                end_session(ss, NTCP_OK, false);
                return false;
            }
            if (replies_pending(ss)) { /* replies still to come (deferred, or in parts): End after them */
                ss->end_pending = true;
                atomic_fetch_add(&s->ends_deferred, 1);
                break;
            }
            /* the replies to everything received are queued: close our side */
            if (ntcp_framing_send_end(ss->f) == NTCP_OK && ntcp_framing_is_closed(ss->f) && !session_closed(ss))
                return false;
            break;
        case NTCP_FEV_CLOSED:
            if (!session_closed(ss))
                return false;
            break;
        default:
            break;
        }
        if (!flush(ss))
            return false;
        if (off >= n && st == NTCP_OK)
            continue; /* upgraded sessions may hold more decoded records */
    }
    return flush(ss) && end_after_replies(ss);
}

/* At the read-ahead bound: this session is not read (the peer's TCP
 * window fills) until its backlog falls; the rest of the current read
 * waits in a copy. False if the session is gone. */
static bool feed(ntcp_server_session *ss, const uint8_t *p, size_t n)
{
    loop *lp = ss->lp; /* ss may be gone on return */
    lp->feeding++;
    bool alive = feed_session(ss, p, n);
    lp->feeding--;
    return alive;
}

static bool hold_reading(ntcp_server_session *ss, const uint8_t *rest, size_t n)
{
    uint8_t *copy = n ? ntcp_malloc(n) : NULL;
    if ((n && !copy) || !set_interest(ss, ss->want_out, true)) {
        ntcp_free(copy);
        end_session(ss, n && !copy ? NTCP_E_NOMEM : NTCP_E_IO, true);
        return false;
    }
    if (n)
        memcpy(copy, rest, n);
    ss->read_held = true;
    ss->held = copy;
    ss->held_len = n;
    atomic_fetch_add(&ss->srv->reads_held, 1);
    return flush(ss);
}

/* Below the bound again: what was kept first, then reads. False if the
 * session is gone. */
static bool resume_reading(ntcp_server_session *ss)
{
    if (!ss->read_held || backlog(ss) >= NTCP__SESSION_READ_AHEAD)
        return true;
    if (ss->lp->feeding) /* inside another session's feed: later, from the writable event flush() asked for */
        return true;
    uint8_t *rest = ss->held;
    size_t n = ss->held_len;
    ss->held = NULL;
    ss->held_len = 0;
    ss->read_held = false;
    if (ss->state == SS_OPEN) /* the receive timeout counts from now: the peer waited for us */
        ss->deadline = now_ms() + ss->srv->cfg.receive_timeout_ms;
    if (!set_interest(ss, ss->want_out, false)) {
        ntcp_free(rest);
        end_session(ss, NTCP_E_IO, true);
        return false;
    }
    static const uint8_t none[1];
    bool alive = feed(ss, rest ? rest : none, n); /* n == 0: records an upgraded session still holds */
    ntcp_free(rest);
    return alive;
}

/* One read per readiness (epoll is level-triggered: what is left is
 * reported again), so a session sending bulk data is served a buffer at a
 * time between the others. */
static void on_readable(ntcp_server_session *ss)
{
    ntcp_server *s = ss->srv;
    uint8_t *rbuf = ss->lp->rbuf;
    ssize_t r;
    do
        r = recv(ss->fd, rbuf, READ_CHUNK, 0);
    while (r < 0 && errno == EINTR);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return;
    if (r <= 0) {
        if (ss->state == SS_DRAINING) { /* the client went away after our fault: expected */
            end_session(ss, NTCP_OK, false);
            return;
        }
        ntcp_framing_event ev;
        ntcp_status st = r == 0 ? ntcp_framing_feed_eof(ss->f, &ev) : NTCP_E_CONNECTION_RESET;
        if (st == NTCP_OK && ev.type == NTCP_FEV_ENVELOPE && s->cfg.on_message)
            s->cfg.on_message(s->cfg.ctx, ss, ev.data, ev.len);
        if (st != NTCP_OK)
            report(ss, st);
        end_session(ss, st, st != NTCP_OK);
        return;
    }
    if (ss->state == SS_DRAINING) {
        ss->drained += (size_t)r;
        if (ss->drained > s->cfg.limits.max_drain)
            end_session(ss, NTCP_E_LIMIT, true);
        return;
    }
    (void)feed(ss, rbuf, (size_t)r);
}

/* Shutting down: End on every open session that has no reply pending (a
 * busy one gets its End once its replies are out, or at the close timeout). */
static void end_idle_sessions(loop *lp)
{
    for (ntcp_server_session *ss = lp->sessions, *next; ss; ss = next) {
        next = ss->next;
        if (ss->state != SS_OPEN || replies_pending(ss))
            continue;
        if (ntcp_framing_send_end(ss->f) == NTCP_OK) {
            if (ntcp_framing_is_closed(ss->f)) { /* the peer's End came first (end_pending) */
                if (flush(ss))
                    end_session(ss, NTCP_OK, false);
                continue;
            }
            ss->state = SS_CLOSING;
            ss->deadline = lp->stop_deadline;
            flush(ss);
        }
    }
}

static void begin_shutdown(loop *lp)
{
    ntcp_server *s = lp->srv;
    if (lp->idx == 0) {
        for (int i = 0; i < s->nlisten; i++) {
            epoll_ctl(lp->ep, EPOLL_CTL_DEL, s->lfd[i], NULL);
            close(s->lfd[i]);
        }
        s->nlisten = 0;
    }
    lp->shutting = true;
    adopt(lp); /* handed over but not adopted yet: aborted */
    long long now = now_ms();
    lp->stop_deadline = now + s->cfg.close_timeout_ms;
    for (ntcp_server_session *ss = lp->sessions, *next; ss; ss = next) {
        next = ss->next;
        if (ss->state == SS_PREAMBLE)
            end_session(ss, NTCP_E_CLOSED, true);
        else if (ss->state == SS_OPEN)
            ss->deadline = lp->stop_deadline;
    }
    end_idle_sessions(lp);
}

static void check_timers(loop *lp, long long now)
{
    for (ntcp_server_session *ss = lp->sessions, *next; ss; ss = next) {
        next = ss->next;
        if (now < ss->deadline)
            continue;
        ntcp_server *s = ss->srv;
        if (ss->read_held && ss->state == SS_OPEN && s->backlog && s->backlog(s->cfg.ctx, ss) > 0) {
            /* held while its calls run: the peer waits for us, it is not idle (a peer that does
             * not read its replies is held by them alone, and times out) */
            ss->deadline = now + s->cfg.receive_timeout_ms;
            continue;
        }
        if (ss->state == SS_PREAMBLE)
            report_text(ss, NTCP_E_TIMEOUT, "the channel initialization timeout expired before the preamble completed",
                        -1);
        /* WCF aborts on channelInitializationTimeout and on the receive timeout */
        end_session(ss, NTCP_E_TIMEOUT, ss->state != SS_DRAINING);
    }
}

/* The socket takes more: write, and once the last queued reply is out, the
 * End that waited for it. False if the session is gone. */
static bool on_writable(ntcp_server_session *ss)
{
    return flush(ss) && end_after_replies(ss) && resume_reading(ss);
}

/* One event loop until shutdown completed (or failed), or until another
 * thread took it over while this one ran user code (*lost). */
static ntcp_status loop_run(loop *lp, bool *lost)
{
    ntcp_server *s = lp->srv;
    struct epoll_event evs[64];
    long long next_timer = now_ms() + 250;
    ntcp_status result = NTCP_OK;
    *lost = false;
    for (;;) {
        /* where the loop would sleep next: the work its batch left for user code */
        if (s->batch_end && !s->batch_end(s->batch_ctx, lp->idx, false)) {
            *lost = true; /* the loop is another thread's now: nothing of it is touched here */
            return NTCP_OK;
        }
        if (atomic_load(&s->stopping) && !lp->shutting)
            begin_shutdown(lp);
        if (lp->shutting && (!lp->sessions || now_ms() >= lp->stop_deadline))
            break;
        if (lp->shutting)
            end_idle_sessions(lp); /* the replies that were pending may be out now */
        long long now = now_ms();
        int timeout = next_timer > now ? (int)(next_timer - now) : 0;
        atomic_store(&lp->polling, 1);
        if (atomic_load(&lp->wake_pending))
            timeout = 0; /* news came while the loop was busy: no eventfd write announced it */
        int n = epoll_wait(lp->ep, evs, 64, timeout);
        atomic_store(&lp->polling, 0);
        if (n < 0 && errno != EINTR) {
            result = NTCP_E_IO;
            break;
        }
        lp->in_batch = true;
        for (int i = 0; i < n; i++) {
            uint64_t tag = evs[i].data.u64;
            if (tag == 1) {
                uint64_t v;
                ssize_t r = read(lp->evfd, &v, sizeof v);
                (void)r;
                adopt(lp);
                if (lp->idx == 0 && atomic_exchange(&s->resume_asked, false) && atomic_load(&s->paused))
                    resume_accepting(s); /* a descriptor was freed on another loop */
                continue;
            }
            if (tag >= 2 && tag < 2 + MAX_LISTENERS) {
                if ((int)(tag - 2) < s->nlisten)
                    accept_all(s, s->lfd[tag - 2]);
                continue;
            }
            ntcp_server_session *ss = evs[i].data.ptr;
            if (ss->fd < 0) /* ended earlier in this batch */
                continue;
            if (evs[i].events & EPOLLOUT) {
                if (!on_writable(ss))
                    continue;
            }
            if (ss->read_held) { /* not read now: only a dead connection ends it */
                if (evs[i].events & (EPOLLHUP | EPOLLERR))
                    end_session(ss, NTCP_E_CONNECTION_RESET, true);
            } else if (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
                on_readable(ss);
            }
        }
        if (atomic_exchange(&lp->wake_pending, 0)) {
            if (s->on_wake_loop)
                s->on_wake_loop(s->wake_loop_ctx, lp->idx);
            if (lp->idx == 0 && s->on_wake)
                s->on_wake(s->wake_ctx);
        }
        lp->in_batch = false;
        free_dead(lp);
        now = now_ms();
        if (now >= next_timer) {
            check_timers(lp, now);
            next_timer = now + 250;
            lp->ticks++;
            if (lp->idx == 0 && atomic_load(&s->paused)) /* descriptors may have been freed elsewhere in the process */
                resume_accepting(s);
        }
    }
    lp->shutting = true;
    adopt(lp);
    while (lp->sessions) {
        ntcp_server_session *ss = lp->sessions;
        end_session(ss, NTCP_E_CLOSED, !ntcp_framing_is_closed(ss->f));
    }
    if (s->batch_end)
        (void)s->batch_end(s->batch_ctx, lp->idx, true); /* what is left goes elsewhere */
    return result;
}

/* A loop's run ended (not taken over). */
static void loop_finished(loop *lp, ntcp_status st)
{
    ntcp_server *s = lp->srv;
    if (st != NTCP_OK) /* a broken epoll set: the whole service stops */
        ntcp_server_stop(s);
    pthread_mutex_lock(&s->run_mu);
    if (st != NTCP_OK && s->run_st == NTCP_OK)
        s->run_st = st;
    s->finished++;
    pthread_cond_broadcast(&s->run_cv);
    pthread_mutex_unlock(&s->run_mu);
}

/* The thread is leaving: the next start_runner (or run()) joins it, so a
 * service that keeps taking loops over does not pile up ended threads. */
static void runner_done(ntcp_server *s, runner *r)
{
    pthread_mutex_lock(&s->run_mu);
    r->done = true;
    pthread_mutex_unlock(&s->run_mu);
}

static void *loop_thread(void *arg)
{
    runner *r = arg;
    loop *lp = r->lp;
    ntcp_server *s = lp->srv;
    if (r->inl) { /* taking the loop over: only if it still runs that same user code */
        unsigned long want = r->inl;
        if (!atomic_compare_exchange_strong(&lp->inl, &want, (r->inl & ~3ul) | INL_LOST)) {
            atomic_fetch_sub(&s->strays, 1); /* it returned meanwhile */
            runner_done(s, r);
            return NULL;
        }
        atomic_fetch_add(&s->takeovers, 1);
        atomic_store(&lp->cur->lost, true);
    }
    lp->cur = r;
    bool lost;
    ntcp_status st = loop_run(lp, &lost);
    if (!lost)
        loop_finished(lp, st);
    runner_done(s, r);
    return NULL;
}

/* Joins the threads that left (run_mu held; they no longer need it). */
static void reap_runners(ntcp_server *s)
{
    for (runner **pp = &s->runners; *pp;) {
        runner *r = *pp;
        if (!r->done) {
            pp = &r->next;
            continue;
        }
        *pp = r->next;
        pthread_join(r->thr, NULL);
        ntcp_free(r);
    }
}

/* Starts a thread (run_mu held); false if none could be made. */
static bool start_runner(ntcp_server *s, loop *lp, unsigned long inl)
{
    if (s->closed)
        return false;
    reap_runners(s);
    runner *r = ntcp_calloc(1, sizeof *r);
    if (!r)
        return false;
    r->lp = lp;
    r->inl = inl;
    if (pthread_create(&r->thr, NULL, loop_thread, r) != 0) {
        ntcp_free(r);
        return false;
    }
    r->next = s->runners;
    s->runners = r;
    return true;
}

ntcp_status ntcp_server_run(ntcp_server *s)
{
    /* with user code on the loops (batch_end), every loop has a thread of
     * its own, so user code never holds the caller's thread past the stop */
    bool own_thread = s->batch_end != NULL;
    pthread_mutex_lock(&s->run_mu);
    s->finished = 0;
    s->closed = false;
    s->run_st = NTCP_OK;
    for (unsigned i = 0; i < s->nloops; i++) {
        s->loops[i].shutting = false;
        s->loops[i].started = false;
        atomic_store(&s->loops[i].inl, 0);
    }
    for (unsigned i = 1; i < s->nloops; i++) {
        s->loops[i].started = start_runner(s, &s->loops[i], 0);
        if (!s->loops[i].started) { /* no thread for it: it is given no connection */
            s->loops[i].shutting = true;
            s->finished++;
        }
    }
    s->loops[0].started = true; /* last: loop 0 reads the others' */
    bool here = !own_thread || !start_runner(s, &s->loops[0], 0);
    pthread_mutex_unlock(&s->run_mu);
    if (here) { /* loop 0 on this thread (no thread could be made for it, or no user code on the loops) */
        runner self = { .lp = &s->loops[0] };
        s->loops[0].cur = &self;
        bool lost;
        ntcp_status st = loop_run(&s->loops[0], &lost);
        if (!lost) { /* else loop 0 is another thread's, cur its runner */
            loop_finished(&s->loops[0], st);
            s->loops[0].cur = NULL;
        }
    }
    pthread_mutex_lock(&s->run_mu);
    while (s->finished < s->nloops)
        pthread_cond_wait(&s->run_cv, &s->run_mu);
    s->closed = true; /* every loop ended: nothing more to take over */
    runner *list = s->runners;
    s->runners = NULL;
    ntcp_status st = s->run_st;
    pthread_mutex_unlock(&s->run_mu);
    while (list) {
        runner *next = list->next;
        if (atomic_load(&list->lost)) { /* may still be in user code: joined by ntcp_server_free */
            list->next = s->strays_list;
            s->strays_list = list;
        } else {
            pthread_join(list->thr, NULL);
            ntcp_free(list);
        }
        list = next;
    }
    return st;
}

void ntcp__server_join_strays(ntcp_server *s)
{
    while (s->strays_list) {
        runner *r = s->strays_list;
        s->strays_list = r->next;
        pthread_join(r->thr, NULL);
        ntcp_free(r);
    }
}

/* ---- user code on a loop's thread (see server_int.h) ---- */

void ntcp__server_set_batch_end(ntcp_server *s, bool (*fn)(void *ctx, unsigned loop, bool final), void *ctx)
{
    s->batch_end = fn;
    s->batch_ctx = ctx;
}

unsigned long ntcp__server_inline_begin(ntcp_server *s, unsigned i)
{
    loop *lp = &s->loops[i];
    unsigned long v = atomic_load_explicit(&lp->inl, memory_order_relaxed);
    unsigned long run = ((v >> 2) + 1) << 2 | INL_RUNNING;
    atomic_store(&lp->inl, run);
    return run;
}

bool ntcp__server_inline_end(ntcp_server *s, unsigned i, unsigned long run)
{
    /* this run, not the loop's current one: once taken over, the loop's
     * new thread may be running user code of its own (a later run) */
    loop *lp = &s->loops[i];
    unsigned long want = run;
    if (atomic_compare_exchange_strong(&lp->inl, &want, run & ~3ul))
        return true;
    atomic_fetch_sub(&s->strays, 1); /* taken over: this thread is on its own now */
    return false;
}

unsigned long ntcp__server_inline_state(const ntcp_server *s, unsigned i)
{
    return atomic_load(&s->loops[i].inl);
}

bool ntcp__server_take_over(ntcp_server *s, unsigned i, unsigned long seen)
{
    if (i >= s->nloops || (seen & 3) != INL_RUNNING)
        return false;
    pthread_mutex_lock(&s->run_mu);
    atomic_fetch_add(&s->strays, 1);
    bool ok = start_runner(s, &s->loops[i], seen);
    if (!ok)
        atomic_fetch_sub(&s->strays, 1);
    pthread_mutex_unlock(&s->run_mu);
    return ok;
}

int ntcp__server_strays(const ntcp_server *s) { return atomic_load(&s->strays); }

unsigned ntcp__server_runners(ntcp_server *s)
{
    unsigned n = 0;
    pthread_mutex_lock(&s->run_mu);
    for (runner *r = s->runners; r; r = r->next)
        n++;
    pthread_mutex_unlock(&s->run_mu);
    return n;
}
unsigned long ntcp__server_takeovers(const ntcp_server *s) { return atomic_load(&s->takeovers); }

static void free_copy(void *ctx, const uint8_t *p, ntcp_status st)
{
    (void)ctx;
    (void)st;
    ntcp_free((void *)p);
}

ntcp_status ntcp_server_session_send(ntcp_server_session *ss, const uint8_t *p, size_t n)
{
    /* a small one is protected and queued now, written when the handler
     * returns (same thread as run()); a large one, or one behind a reply
     * still going out, is kept in a copy and leaves a part at a time */
    if (n <= OUT_PART && !ntcp_sendq_busy(&ss->sq))
        return ntcp_framing_send_envelope(ss->f, p, n);
    if (!ntcp_framing_is_open(ss->f))
        return NTCP_E_STATE;
    if (!n)
        return NTCP_E_INVALID_ARG;
    uint8_t *copy = ntcp_malloc(n);
    if (!copy)
        return NTCP_E_NOMEM;
    memcpy(copy, p, n);
    ntcp_status st = ntcp_sendq_send(&ss->sq, ss->f, copy, n, OUT_PART, free_copy, NULL);
    if (st)
        ntcp_free(copy);
    return st;
}

ntcp_status ntcp_server_session_send_ref(ntcp_server_session *ss, const uint8_t *p, size_t n,
                                         void (*done)(void *ctx, const uint8_t *p, ntcp_status st), void *ctx)
{
    if (!ntcp_framing_is_open(ss->f))
        return NTCP_E_STATE;
    return ntcp_sendq_send(&ss->sq, ss->f, p, n, OUT_PART, done, ctx);
}

void ntcp_server_session_abort(ntcp_server_session *ss) { ss->abort_requested = true; }

void ntcp_server_session_flush(ntcp_server_session *ss)
{
    if (ss->abort_requested) {
        end_session(ss, NTCP_E_CLOSED, true);
        return;
    }
    if (flush(ss) && end_after_replies(ss))
        (void)resume_reading(ss);
}

unsigned long ntcp__server_accept_calls(const ntcp_server *s) { return s->accept_calls; }
unsigned long ntcp__server_ticks(const ntcp_server *s) { return s->loops[0].ticks; }
size_t ntcp__server_out_max(const ntcp_server *s) { return atomic_load(&s->out_max); }
size_t ntcp__server_session_queued(const ntcp_server_session *ss) { return ntcp_framing_output_pending(ss->f); }
unsigned long ntcp__server_ends_deferred(const ntcp_server *s) { return atomic_load(&s->ends_deferred); }
unsigned long ntcp__server_reads_held(const ntcp_server *s) { return atomic_load(&s->reads_held); }
int ntcp__server_session_fd(const ntcp_server_session *ss) { return ss->fd; }
bool ntcp__server_accepting(const ntcp_server *s) { return !atomic_load(&s->paused); }
