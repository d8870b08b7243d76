/* The chunked output queue (src/util/outq.c) and the service's replies a
 * part at a time (src/channel/sendq.c, server.c): exact bytes after any
 * partial writes, many chunks, the limit, freeing; a reader that reads a
 * large reply in small steps holds the service's queue under its bound
 * while another session is served. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include "test.h"
#include "channel/conn.h"
#include "channel/server_int.h"
#include "util/outq.h"
#include <nettcp/server.h>

static uint32_t rnd_state = 12345;
static uint32_t rnd(void)
{
    rnd_state = rnd_state * 1103515245u + 12345u;
    return rnd_state >> 8;
}

/* The iovecs' bytes, joined. */
static size_t iov_bytes(const ntcp_outq *q, uint8_t *out, size_t cap, size_t *count)
{
    struct iovec iov[1024];
    size_t k = ntcp_outq_iov(q, iov, 1024), n = 0;
    for (size_t i = 0; i < k; i++) {
        if (n + iov[i].iov_len > cap)
            return (size_t)-1;
        memcpy(out + n, iov[i].iov_base, iov[i].iov_len);
        n += iov[i].iov_len;
    }
    if (count)
        *count = k;
    return n;
}

TEST(outq_exact_bytes_after_any_partial_writes)
{
    enum { TOTAL = 1 << 20 };
    uint8_t *want = malloc(TOTAL), *got = malloc(TOTAL);
    ntcp_outq q;
    ntcp_outq_init(&q, TOTAL);
    size_t queued = 0, written = 0;
    uint8_t seq = 0;
    /* outputs of every size (most small, some larger than a chunk joins),
     * interleaved with writes of every size */
    while (queued < TOTAL) {
        size_t n = (rnd() % 8 == 0) ? rnd() % 70000 : rnd() % 300;
        if (n > TOTAL - queued)
            n = TOTAL - queued;
        for (size_t i = 0; i < n; i++)
            want[queued + i] = seq++;
        CHECK_EQ_INT(ntcp_outq_append(&q, want + queued, n), NTCP_OK);
        queued += n;
        CHECK_EQ_INT(ntcp_outq_pending(&q), queued - written);
        if (rnd() % 3 == 0) {
            size_t w = rnd() % (ntcp_outq_pending(&q) + 1);
            ntcp_outq_consume(&q, w);
            written += w;
        }
        size_t k = 0, n2 = iov_bytes(&q, got, TOTAL, &k);
        CHECK_EQ_INT(n2, queued - written);
        if (n2 != (size_t)-1 && memcmp(got, want + written, n2) != 0) {
            CHECK_BYTES(got, n2, want + written, queued - written);
            break;
        }
        CHECK_EQ_INT(k, ntcp_outq_chunks(&q));
    }
    /* the rest, a byte and then odd amounts at a time */
    while (ntcp_outq_pending(&q)) {
        size_t w = 1 + rnd() % 5000;
        ntcp_outq_consume(&q, w);
        written = written + w > TOTAL ? TOTAL : written + w;
        size_t n2 = iov_bytes(&q, got, TOTAL, NULL);
        CHECK_EQ_INT(n2, TOTAL - written);
        if (n2 && memcmp(got, want + written, n2) != 0) {
            CHECK_BYTES(got, n2, want + written, n2);
            break;
        }
    }
    CHECK_EQ_INT(ntcp_outq_chunks(&q), 0);
    ntcp_outq_free(&q);
    free(want);
    free(got);
}

TEST(outq_many_chunks_limits_and_freeing)
{
    ntcp_outq q;
    ntcp_outq_init(&q, 100 * 20000 + 10);
    static uint8_t big[20000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 7);
    /* each output larger than a chunk joins: a chunk of its own */
    for (int i = 0; i < 100; i++)
        CHECK_EQ_INT(ntcp_outq_append(&q, big, sizeof big), NTCP_OK);
    CHECK_EQ_INT(ntcp_outq_chunks(&q), 100);
    CHECK_EQ_INT(ntcp_outq_pending(&q), 100 * 20000);
    struct iovec iov[8];
    CHECK_EQ_INT(ntcp_outq_iov(&q, iov, 8), 8); /* no more than asked for */
    CHECK(iov[0].iov_len == sizeof big && memcmp(iov[0].iov_base, big, sizeof big) == 0);
    /* the limit: 10 bytes of room are left */
    CHECK_EQ_INT(ntcp_outq_append(&q, big, 11), NTCP_E_LIMIT);
    CHECK_EQ_INT(ntcp_outq_pending(&q), 100 * 20000);
    CHECK_EQ_INT(ntcp_outq_chunks(&q), 100); /* the refused output left no empty chunk */
    CHECK_EQ_INT(ntcp_outq_append(&q, big, 10), NTCP_OK);
    /* a write that ends inside a chunk: that chunk stays, the ones before are freed */
    ntcp_outq_consume(&q, 3 * 20000 + 5);
    CHECK_EQ_INT(ntcp_outq_chunks(&q), 98);
    CHECK_EQ_INT(ntcp_outq_iov(&q, iov, 1), 1);
    CHECK_EQ_INT(iov[0].iov_len, 20000 - 5);
    CHECK(memcmp(iov[0].iov_base, big + 5, 20000 - 5) == 0);
    /* room again once bytes were written */
    CHECK_EQ_INT(ntcp_outq_append(&q, big, 20000), NTCP_OK);
    /* a producer that fails rolls its buffer back: nothing is queued */
    ntcp_buf *b = ntcp_outq_begin(&q, 50000);
    CHECK(b != NULL);
    size_t save = b->len;
    CHECK_EQ_INT(ntcp_buf_append(b, big, 100), NTCP_OK);
    b->len = save;
    ntcp_outq_end(&q);
    CHECK_EQ_INT(ntcp_outq_pending(&q), 96 * 20000 + 20000 - 5 + 10 + 20000);
    /* one piece for callers without writev: a copy, counted */
    uint64_t joined0 = ntcp_outq_joined_total();
    const uint8_t *p;
    size_t n;
    CHECK_EQ_INT(ntcp_outq_join(&q, &p, &n), NTCP_OK);
    CHECK_EQ_INT(n, ntcp_outq_pending(&q));
    CHECK_EQ_INT(ntcp_outq_chunks(&q), 1);
    CHECK_EQ_INT(ntcp_outq_joined_total() - joined0, n);
    CHECK(memcmp(p, big + 5, 20000 - 5) == 0 && memcmp(p + n - 20000, big, 20000) == 0);
    /* freed with bytes still queued (ASan: nothing leaks) */
    ntcp_outq_free(&q);
    CHECK_EQ_INT(ntcp_outq_pending(&q), 0);
    /* small outputs share a chunk; written, it is kept for the next output */
    ntcp_outq_init(&q, 1 << 20);
    for (int i = 0; i < 50; i++)
        CHECK_EQ_INT(ntcp_outq_append(&q, "abcdefgh", 8), NTCP_OK);
    CHECK_EQ_INT(ntcp_outq_chunks(&q), 1);
    ntcp_outq_consume(&q, 1000); /* more than pending: all of it */
    CHECK_EQ_INT(ntcp_outq_pending(&q), 0);
    CHECK_EQ_INT(ntcp_outq_chunks(&q), 0);
    CHECK_EQ_INT(ntcp_outq_join(&q, &p, &n), NTCP_OK);
    CHECK_EQ_INT(n, 0);
    ntcp_outq_free(&q);
}

/* ---- the service: a large reply read slowly ---- */
#define BIG_REPLY ((size_t)16 << 20)
/* what a session may hold queued: the low watermark (512 KiB) plus one part
 * (256 KiB) and its framing */
#define QUEUE_BOUND ((size_t)1 << 20)

static uint8_t *big_reply;

struct big_fx {
    ntcp_server *srv;
    pthread_t thr;
    char port[16];
    int released; /* send_ref's done calls (on the server's thread) */
};

static void release_big(void *ctx, const uint8_t *p, ntcp_status st)
{
    struct big_fx *fx = ctx;
    if (p == big_reply && st == NTCP_OK)
        fx->released++;
}

static void big_on_message(void *ctx, ntcp_server_session *ss, const uint8_t *p, size_t n)
{
    struct big_fx *fx = ctx;
    if (n == 3 && !memcmp(p, "big", 3)) {
        if (ntcp_server_session_send_ref(ss, big_reply, BIG_REPLY, release_big, fx))
            ntcp_test_fail(__FILE__, __LINE__, "send_ref failed");
    } else if (n == 4 && !memcmp(p, "copy", 4)) {
        if (ntcp_server_session_send(ss, big_reply, BIG_REPLY))
            ntcp_test_fail(__FILE__, __LINE__, "send failed");
    } else if (ntcp_server_session_send(ss, p, n)) {
        ntcp_test_fail(__FILE__, __LINE__, "echo failed");
    }
}

static void *big_run(void *arg)
{
    struct big_fx *fx = arg;
    if (ntcp_server_run(fx->srv) != NTCP_OK)
        ntcp_test_fail(__FILE__, __LINE__, "server run failed");
    return NULL;
}

static void big_start(struct big_fx *fx)
{
    memset(fx, 0, sizeof *fx);
    if (!big_reply) {
        big_reply = malloc(BIG_REPLY);
        for (size_t i = 0; i < BIG_REPLY; i++)
            big_reply[i] = (uint8_t)(i ^ (i >> 9));
    }
    ntcp_server_config cfg;
    ntcp_server_config_init(&cfg);
    cfg.on_message = big_on_message;
    cfg.ctx = fx;
    CHECK_EQ_INT(ntcp_server_new(&fx->srv, &cfg), NTCP_OK);
    int port = 0;
    CHECK_EQ_INT(ntcp_server_listen(fx->srv, "127.0.0.1", "0", &port), NTCP_OK);
    snprintf(fx->port, sizeof fx->port, "%d", port);
    pthread_create(&fx->thr, NULL, big_run, fx);
}

struct slow {
    int fd;
    ntcp_framing *f;
    ntcp_conn c;
};

/* A client whose receive buffer is small, so the service's socket fills. */
static void slow_open(struct slow *cl, const char *port)
{
    char via[128];
    snprintf(via, sizeof via, "net.tcp://127.0.0.1:%s/svc", port);
    ntcp_framing_initiator_config ic;
    ntcp_framing_initiator_config_init(&ic);
    ic.via = via;
    ntcp_framing_limits lim;
    ntcp_framing_limits_init(&lim);
    lim.max_message = 32u << 20;
    cl->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int small = 16384;
    setsockopt(cl->fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)) };
    a.sin_addr.s_addr = htonl(0x7f000001);
    CHECK_EQ_INT(connect(cl->fd, (struct sockaddr *)&a, sizeof a), 0);
    CHECK_EQ_INT(ntcp_framing_new_initiator(&cl->f, &ic, &lim), NTCP_OK);
    CHECK_EQ_INT(ntcp_conn_init(&cl->c, cl->fd, cl->f), NTCP_OK);
    CHECK_EQ_INT(ntcp_framing_start(cl->f), NTCP_OK);
    ntcp_framing_event ev;
    CHECK_EQ_INT(ntcp_conn_next_event(&cl->c, 5000, &ev), NTCP_OK);
    CHECK_EQ_INT(ev.type, NTCP_FEV_PREAMBLE_COMPLETE);
}

/* Reads up to `want` raw bytes, 4 KiB per read, feeding them to the
 * framing session; stops early at an event (returned in *ev). */
static size_t slow_read(struct slow *cl, size_t want, ntcp_framing_event *ev)
{
    uint8_t buf[4096];
    size_t got = 0;
    ev->type = NTCP_FEV_NONE;
    while (got < want) {
        struct pollfd pfd = { .fd = cl->fd, .events = POLLIN };
        if (poll(&pfd, 1, 10000) != 1) {
            ntcp_test_fail(__FILE__, __LINE__, "no bytes within 10 s");
            return got;
        }
        ssize_t r = recv(cl->fd, buf, want - got < sizeof buf ? want - got : sizeof buf, 0);
        if (r <= 0) {
            ntcp_test_fail(__FILE__, __LINE__, "the connection ended");
            return got;
        }
        got += (size_t)r;
        size_t off = 0;
        for (;;) {
            size_t used = 0;
            ntcp_status st = ntcp_framing_feed(cl->f, buf + off, (size_t)r - off, &used, ev);
            off += used;
            if (st == NTCP_OK && ev->type != NTCP_FEV_NONE)
                return got; /* the rest of this read is not needed by the tests below */
            if (st != NTCP_OK && st != NTCP_AGAIN) {
                ntcp_test_fail(__FILE__, __LINE__, "feed: %s", ntcp_status_name(st));
                return got;
            }
            if (off >= (size_t)r)
                break;
        }
    }
    return got;
}

static void slow_close(struct slow *cl)
{
    ntcp_conn_close(&cl->c, 2000);
    ntcp_conn_free(&cl->c);
    ntcp_framing_free(cl->f);
}

static void one_call(struct slow *b, const char *msg)
{
    ntcp_framing_event ev;
    CHECK_EQ_INT(ntcp_framing_send_envelope(b->f, (const uint8_t *)msg, strlen(msg)), NTCP_OK);
    CHECK_EQ_INT(ntcp_conn_next_event(&b->c, 5000, &ev), NTCP_OK);
    CHECK_EQ_INT(ev.type, NTCP_FEV_ENVELOPE);
    CHECK_BYTES(ev.data, ev.len, msg, strlen(msg));
}

static void slow_reader_case(const char *request)
{
    struct big_fx fx;
    big_start(&fx);
    struct slow a, b;
    slow_open(&a, fx.port);
    slow_open(&b, fx.port);
    CHECK_EQ_INT(ntcp_framing_send_envelope(a.f, (const uint8_t *)request, strlen(request)), NTCP_OK);
    CHECK_EQ_INT(ntcp_conn_flush(&a.c, 5000), NTCP_OK);
    ntcp_framing_event ev;
    /* A has read the first 256 KiB of its reply and reads no more for now */
    size_t got = slow_read(&a, 256 * 1024, &ev);
    CHECK_EQ_INT(ev.type, NTCP_FEV_NONE);
    /* meanwhile B's calls complete: the service is not held by A */
    one_call(&b, "first while A is slow");
    one_call(&b, "second while A is slow");
    /* A reads the rest, 4 KiB at a time, and gets exactly the reply */
    while (ev.type == NTCP_FEV_NONE && got < BIG_REPLY + 64) {
        size_t step = slow_read(&a, 64 * 1024, &ev);
        if (!step)
            break;
        got += step;
        if (got == 2u << 20) /* B again, in the middle */
            one_call(&b, "third while A is slow");
    }
    CHECK_EQ_INT(ev.type, NTCP_FEV_ENVELOPE);
    CHECK_EQ_INT(ev.len, BIG_REPLY);
    if (ev.len == BIG_REPLY && memcmp(ev.data, big_reply, BIG_REPLY) != 0)
        ntcp_test_fail(__FILE__, __LINE__, "the large reply's bytes differ");
    /* End right after another large request: the service's End follows the
     * whole reply */
    CHECK_EQ_INT(ntcp_framing_send_envelope(a.f, (const uint8_t *)request, strlen(request)), NTCP_OK);
    CHECK_EQ_INT(ntcp_framing_send_end(a.f), NTCP_OK);
    CHECK_EQ_INT(ntcp_conn_flush(&a.c, 5000), NTCP_OK);
    CHECK_EQ_INT(ntcp_conn_next_event(&a.c, 10000, &ev), NTCP_OK);
    CHECK_EQ_INT(ev.type, NTCP_FEV_ENVELOPE);
    CHECK_EQ_INT(ev.len, BIG_REPLY);
    CHECK_EQ_INT(ntcp_conn_next_event(&a.c, 10000, &ev), NTCP_OK);
    CHECK_EQ_INT(ev.type, NTCP_FEV_CLOSED);
    slow_close(&a);
    slow_close(&b);
    ntcp_server_stop(fx.srv);
    pthread_join(fx.thr, NULL);
    /* read after the loop ended: the most one session held queued */
    size_t most = ntcp__server_out_max(fx.srv);
    if (most > QUEUE_BOUND)
        ntcp_test_fail(__FILE__, __LINE__, "a session held %zu bytes of output queued (bound %zu)", most,
                       QUEUE_BOUND);
    CHECK(most > 0);
    if (!strcmp(request, "big"))
        CHECK_EQ_INT(fx.released, 2); /* each send_ref's bytes handed back once */
    ntcp_server_free(fx.srv);
}

TEST(server_slow_reader_holds_bounded_output_while_others_are_served)
{
    slow_reader_case("big");  /* the caller's bytes (send_ref) */
    slow_reader_case("copy"); /* ntcp_server_session_send: a copy, still sent a part at a time */
}

/* ---- the send list alone (sans-I/O): parts below the watermark, in order ---- */
#include "channel/sendq.h"

struct done_log {
    char order[8];
    int n;
    ntcp_status st[8];
};

static void note_done(void *ctx, const uint8_t *p, ntcp_status st)
{
    struct done_log *d = ctx;
    if (d->n < 8) {
        d->order[d->n] = (char)p[0];
        d->st[d->n++] = st;
    }
}

/* Moves every byte of from's output, through iovecs, into to; returns the
 * envelope events to's session reported (their bytes appended to got). */
static int deliver(ntcp_framing *from, ntcp_framing *to, ntcp_buf *got)
{
    int envelopes = 0;
    struct iovec iov[16];
    size_t k;
    while ((k = ntcp_framing_output_iov(from, iov, 16)) > 0) {
        /* a partial write: the first vector only, and not all of it when long */
        size_t n = iov[0].iov_len > 1000 ? iov[0].iov_len - 999 : iov[0].iov_len;
        const uint8_t *p = iov[0].iov_base;
        size_t off = 0;
        while (off < n) {
            size_t used = 0;
            ntcp_framing_event ev;
            ntcp_status st = ntcp_framing_feed(to, p + off, n - off, &used, &ev);
            off += used;
            if (st == NTCP_OK && ev.type == NTCP_FEV_ENVELOPE) {
                envelopes++;
                if (ntcp_buf_append(got, ev.data, ev.len))
                    ntcp_test_fail(__FILE__, __LINE__, "too much");
            } else if (st != NTCP_OK && st != NTCP_AGAIN) {
                ntcp_test_fail(__FILE__, __LINE__, "feed: %s", ntcp_status_name(st));
                return envelopes;
            }
            if (st == NTCP_AGAIN && off >= n)
                break;
        }
        ntcp_framing_output_consumed(from, n);
    }
    return envelopes;
}

static bool served_any(void *ctx, const char *via)
{
    (void)ctx;
    (void)via;
    return true;
}

TEST(sendq_parts_below_the_watermark_in_order)
{
    ntcp_framing_initiator_config ic;
    ntcp_framing_initiator_config_init(&ic);
    ic.via = "net.tcp://h/svc";
    ntcp_framing_acceptor_config ac;
    ntcp_framing_acceptor_config_init(&ac);
    ac.via_served = served_any;
    ntcp_framing_limits lim;
    ntcp_framing_limits_init(&lim);
    lim.max_message = 8u << 20;
    ntcp_framing *c, *s;
    CHECK_EQ_INT(ntcp_framing_new_initiator(&c, &ic, &lim), NTCP_OK);
    CHECK_EQ_INT(ntcp_framing_new_acceptor(&s, &ac, &lim), NTCP_OK);
    CHECK_EQ_INT(ntcp_framing_start(c), NTCP_OK);
    ntcp_buf got;
    ntcp_buf_init(&got, 16u << 20);
    for (int i = 0; i < 4 && !(ntcp_framing_is_open(c) && ntcp_framing_is_open(s)); i++) {
        deliver(c, s, &got);
        deliver(s, c, &got);
    }
    CHECK(ntcp_framing_is_open(c) && ntcp_framing_is_open(s));
    enum { PART = 65536, LOW = 131072, A_LEN = 3u << 20 };
    uint8_t *a = malloc(A_LEN);
    for (size_t i = 0; i < A_LEN; i++)
        a[i] = (uint8_t)(i * 13 + (i >> 16));
    a[0] = 'A';
    static const uint8_t b[] = "B-small", d[] = "D-small";
    struct done_log log = { 0 };
    ntcp_sendq q;
    ntcp_sendq_init(&q);
    /* nothing waits: A's first part goes now; B waits behind it */
    CHECK_EQ_INT(ntcp_sendq_send(&q, s, a, A_LEN, PART, note_done, &log), NTCP_OK);
    CHECK(ntcp_framing_output_pending(s) > PART && ntcp_framing_output_pending(s) < PART + 16);
    CHECK_EQ_INT(ntcp_sendq_send(&q, s, b, sizeof b, PART, note_done, &log), NTCP_OK);
    CHECK(ntcp_sendq_busy(&q));
    CHECK_EQ_INT(log.n, 0);
    /* the reader is slow: below the watermark a part more, then nothing */
    bool produced;
    CHECK_EQ_INT(ntcp_sendq_pump(&q, s, LOW, PART, &produced), NTCP_OK);
    CHECK(produced);
    CHECK_EQ_INT(ntcp_sendq_pump(&q, s, LOW, PART, &produced), NTCP_OK);
    CHECK(!produced); /* 128 KiB + the header queued: at the watermark */
    size_t most = 0;
    int envelopes = 0;
    while (ntcp_sendq_busy(&q)) {
        CHECK_EQ_INT(ntcp_sendq_pump(&q, s, LOW, PART, &produced), NTCP_OK);
        if (ntcp_framing_output_pending(s) > most)
            most = ntcp_framing_output_pending(s);
        envelopes += deliver(s, c, &got);
    }
    envelopes += deliver(s, c, &got);
    CHECK(most <= LOW + PART + 16);
    CHECK_EQ_INT(envelopes, 2);
    CHECK_EQ_INT(log.n, 2);
    CHECK(log.order[0] == 'A' && log.order[1] == 'B' && log.st[0] == NTCP_OK && log.st[1] == NTCP_OK);
    CHECK_EQ_INT(got.len, A_LEN + sizeof b);
    if (got.len == A_LEN + sizeof b) {
        CHECK(memcmp(got.data, a, A_LEN) == 0);
        CHECK_BYTES(got.data + A_LEN, sizeof b, b, sizeof b);
    }
    /* small and nothing waiting: queued whole, done before send returns */
    CHECK_EQ_INT(ntcp_sendq_send(&q, s, d, sizeof d, PART, note_done, &log), NTCP_OK);
    CHECK_EQ_INT(log.n, 3);
    CHECK(!ntcp_sendq_busy(&q));
    /* the session ends with messages not yet out: each is handed back, closed */
    CHECK_EQ_INT(ntcp_sendq_send(&q, s, a, A_LEN, PART, note_done, &log), NTCP_OK);
    CHECK_EQ_INT(ntcp_sendq_send(&q, s, b, sizeof b, PART, note_done, &log), NTCP_OK);
    ntcp_sendq_clear(&q);
    CHECK_EQ_INT(log.n, 5);
    CHECK(log.order[3] == 'A' && log.st[3] == NTCP_E_CLOSED && log.order[4] == 'B' && log.st[4] == NTCP_E_CLOSED);
    CHECK(!ntcp_sendq_busy(&q));
    ntcp_buf_free(&got);
    free(a);
    ntcp_framing_free(c);
    ntcp_framing_free(s);
}
