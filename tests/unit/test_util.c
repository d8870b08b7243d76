#include <stdlib.h>
#include "test.h"
#include <nettcp/util.h>
#include "util/reader.h"

/* PROTOCOLS.md 1.2 table */
static const struct {
    uint32_t v;
    const char *hex;
} varint_vectors[] = {
    { 0, "00" }, { 127, "7f" }, { 128, "8001" }, { 300, "ac02" },
    { 16384, "808001" }, { 65536, "808004" }, { 0x7FFFFFFF, "ffffffff07" },
};

TEST(varint_vectors_encode_decode)
{
    for (size_t i = 0; i < sizeof varint_vectors / sizeof varint_vectors[0]; i++) {
        size_t wl;
        unsigned char *want = ntcp_test_hex(varint_vectors[i].hex, &wl);
        uint8_t out[5];
        size_t n = ntcp_varint_encode(varint_vectors[i].v, out);
        CHECK_BYTES(out, n, want, wl);
        CHECK_EQ_INT(ntcp_varint_size(varint_vectors[i].v), wl);
        uint32_t v = 0;
        size_t used = 0;
        CHECK_EQ_INT(ntcp_varint_decode(want, wl, &v, &used), NTCP_OK);
        CHECK_EQ_INT(v, varint_vectors[i].v);
        CHECK_EQ_INT(used, wl);
        /* every proper prefix needs more input */
        for (size_t k = 0; k < wl; k++)
            CHECK_EQ_INT(ntcp_varint_decode(want, k, &v, &used), NTCP_AGAIN);
        free(want);
    }
}

TEST(varint_rejects_overlong_and_overrange)
{
    uint32_t v;
    size_t used;
    const uint8_t six[] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0x00 };
    CHECK_EQ_INT(ntcp_varint_decode(six, sizeof six, &v, &used), NTCP_E_VARINT);
    const uint8_t big5[] = { 0xff, 0xff, 0xff, 0xff, 0x08 };
    CHECK_EQ_INT(ntcp_varint_decode(big5, sizeof big5, &v, &used), NTCP_E_VARINT);
    const uint8_t cont5[] = { 0xff, 0xff, 0xff, 0xff, 0x87 };
    CHECK_EQ_INT(ntcp_varint_decode(cont5, sizeof cont5, &v, &used), NTCP_E_VARINT);
    /* padded (non-minimal) forms are accepted, as .NET does */
    const uint8_t padded[] = { 0x81, 0x00 };
    CHECK_EQ_INT(ntcp_varint_decode(padded, sizeof padded, &v, &used), NTCP_OK);
    CHECK_EQ_INT(v, 1);
    CHECK_EQ_INT(used, 2);
    uint8_t out[5];
    CHECK_EQ_INT(ntcp_varint_encode(0x80000000u, out), 0);
}

TEST(reader_sticky_error_and_sub)
{
    const uint8_t d[] = { 0x03, 'a', 'b', 'c', 0x02, 'x' };
    ntcp_reader r;
    ntcp_reader_init(&r, d, sizeof d);
    uint32_t n = ntcp_read_varint(&r);
    CHECK_EQ_INT(n, 3);
    ntcp_reader sub = ntcp_reader_sub(&r, n);
    CHECK_EQ_INT(ntcp_read_u8(&sub), 'a');
    CHECK_EQ_INT(ntcp_reader_close_sub(&r, &sub), NTCP_E_TRAILING); /* 2 bytes left unread */
    CHECK_EQ_INT(r.err_offset, 2);
    /* sticky: nothing reads after the first error */
    CHECK(ntcp_read_bytes(&r, 1) == NULL);
    CHECK_EQ_INT(r.err, NTCP_E_TRAILING);

    ntcp_reader_init(&r, d, sizeof d);
    (void)ntcp_read_bytes(&r, 4);
    n = ntcp_read_varint(&r);
    sub = ntcp_reader_sub(&r, n); /* length 2 but only 1 byte left */
    CHECK_EQ_INT(r.err, NTCP_E_TRUNCATED);
    CHECK_EQ_INT(r.err_offset, 5);
    CHECK_EQ_INT(ntcp_read_u8(&sub), 0);
    CHECK(!ntcp_reader_ok(&sub));
}

TEST(reader_integers)
{
    const uint8_t d[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
    ntcp_reader r;
    ntcp_reader_init(&r, d, sizeof d);
    CHECK_EQ_INT(ntcp_read_u16le(&r), 0x0201);
    CHECK_EQ_INT(ntcp_read_u16be(&r), 0x0304);
    CHECK_EQ_INT(ntcp_read_u32le(&r), 0x08070605);
    CHECK(ntcp_read_u64le(&r) == 0);
    CHECK_EQ_INT(r.err, NTCP_E_TRUNCATED);
    CHECK_EQ_INT(r.err_offset, 8);
    ntcp_reader_init(&r, d, sizeof d);
    CHECK(ntcp_read_u64be(&r) == 0x0102030405060708ull);
    CHECK(ntcp_read_u64be(&r) == 0);
    CHECK_EQ_INT(r.err, NTCP_E_TRUNCATED);
}

TEST(buf_maximum_is_enforced)
{
    ntcp_buf b;
    ntcp_buf_init(&b, 4);
    CHECK_EQ_INT(ntcp_buf_append(&b, "abc", 3), NTCP_OK);
    CHECK_EQ_INT(ntcp_buf_append(&b, "de", 2), NTCP_E_LIMIT);
    CHECK_EQ_INT(b.len, 3);
    CHECK_EQ_INT(ntcp_buf_put_u8(&b, 'd'), NTCP_OK);
    CHECK_BYTES(b.data, b.len, "abcd", 4);
    ntcp_buf_consume(&b, 1);
    CHECK_BYTES(b.data, b.len, "bcd", 3);
    ntcp_buf_reset(&b);
    CHECK_EQ_INT(ntcp_buf_put_string(&b, "abcd", 4), NTCP_E_LIMIT); /* 1 + 4 > 4: unchanged */
    CHECK_EQ_INT(b.len, 0);
    ntcp_buf_free(&b);
}

TEST(hex_roundtrip_and_errors)
{
    ntcp_buf b;
    ntcp_buf_init(&b, 64);
    CHECK_EQ_INT(ntcp_hex_decode("0A ff\n10", 8, &b), NTCP_OK);
    CHECK_BYTES(b.data, b.len, "\x0a\xff\x10", 3);
    char s[7];
    ntcp_hex_encode(b.data, b.len, s);
    CHECK_EQ_STR(s, "0aff10");
    CHECK_EQ_INT(ntcp_hex_decode("0g", 2, &b), NTCP_E_MALFORMED);
    CHECK_EQ_INT(ntcp_hex_decode("abc", 3, &b), NTCP_E_MALFORMED);
    CHECK_EQ_INT(b.len, 3);
    ntcp_buf_free(&b);
}

TEST(status_names_are_stable)
{
    CHECK_EQ_STR(ntcp_status_name(NTCP_E_VIA_TOO_LONG), "via_too_long");
    CHECK_EQ_STR(ntcp_status_name(NTCP_E_ENDPOINT_NOT_FOUND), "endpoint_not_found");
    CHECK_EQ_STR(ntcp_status_name(NTCP_E_CONTENT_TYPE_INVALID), "encoding_refused");
    CHECK_EQ_STR(ntcp_status_name(NTCP_E_UNSUPPORTED_MODE), "mode_refused");
    CHECK_EQ_STR(ntcp_status_name(12345), "unknown_status");
    CHECK(ntcp_status_category(NTCP_E_MESSAGE_TOO_LARGE) == NTCP_CAT_QUOTA);
    CHECK(strlen(ntcp_status_advice(NTCP_E_MESSAGE_TOO_LARGE)) > 10);
}

/* A counting allocator: every allocation of a whole framing session goes
 * through the hook, and everything is given back. */
static long live_allocs, total_allocs;
static void *count_malloc(size_t n, void *ctx)
{
    (void)ctx;
    live_allocs++;
    total_allocs++;
    return malloc(n);
}
static void *count_realloc(void *p, size_t n, void *ctx)
{
    (void)ctx;
    if (!p) {
        live_allocs++;
        total_allocs++;
    }
    return realloc(p, n);
}
static void count_free(void *p, void *ctx)
{
    (void)ctx;
    if (p)
        live_allocs--;
    free(p);
}

#include <nettcp/framing.h>
TEST(allocator_hook_sees_every_allocation)
{
    ntcp_allocator a = { count_malloc, count_realloc, count_free, NULL };
    ntcp_set_allocator(&a);
    live_allocs = total_allocs = 0;
    ntcp_framing *f;
    ntcp_framing_initiator_config ic;
    ntcp_framing_initiator_config_init(&ic);
    ic.via = "net.tcp://h/x";
    CHECK_EQ_INT(ntcp_framing_new_initiator(&f, &ic, NULL), NTCP_OK);
    CHECK_EQ_INT(ntcp_framing_start(f), NTCP_OK);
    CHECK(total_allocs >= 3);
    ntcp_framing_free(f);
    CHECK_EQ_INT(live_allocs, 0);
    ntcp_set_allocator(NULL);
}

static void *failing_malloc(size_t n, void *ctx) { (void)n; (void)ctx; return NULL; }
static void *failing_realloc(void *p, size_t n, void *ctx) { (void)p; (void)n; (void)ctx; return NULL; }

TEST(allocation_failure_is_a_named_error)
{
    ntcp_allocator a = { failing_malloc, failing_realloc, count_free, NULL };
    ntcp_set_allocator(&a);
    ntcp_framing *f = NULL;
    CHECK_EQ_INT(ntcp_framing_new_acceptor(&f, NULL, NULL), NTCP_E_NOMEM);
    ntcp_buf b;
    ntcp_buf_init(&b, 100);
    CHECK_EQ_INT(ntcp_buf_append(&b, "x", 1), NTCP_E_NOMEM);
    ntcp_set_allocator(NULL);
}

/* ---- work under a deadline on a helper thread (util/until.h) ---- */
#include <sched.h>
#include <stdatomic.h>
#include "util/until.h"

static _Thread_local int jobs_on_this_thread;
static void count_job(void *arg) { *(int *)arg = ++jobs_on_this_thread; }

static bool idle_helper_within(long long ms)
{
    long long deadline = ntcp__now_ms() + ms;
    while (ntcp__run_until_idle_helpers() == 0 && ntcp__now_ms() < deadline)
        sched_yield();
    return ntcp__run_until_idle_helpers() > 0;
}

TEST(run_until_keeps_its_thread_for_the_next_job)
{
    int first = 0, second = 0;
    CHECK(ntcp__run_until(count_job, NULL, &first, ntcp__now_ms() + 10000));
    CHECK(idle_helper_within(10000));
    CHECK(ntcp__run_until(count_job, NULL, &second, ntcp__now_ms() + 10000));
    /* the second job ran on the thread of the first, not the caller's */
    CHECK_EQ_INT(second, first + 1);
    CHECK_EQ_INT(jobs_on_this_thread, 0);
}

static atomic_int release_job, abandoned_seen;
static void blocked_job(void *arg)
{
    while (!atomic_load(&release_job))
        sched_yield();
    *(int *)arg = 1;
}
static void on_abandon(void *arg) { atomic_store(&abandoned_seen, *(int *)arg); }

TEST(run_until_abandons_at_the_deadline_and_the_helper_finishes_alone)
{
    static int done_flag; /* the job's arg outlives this test's frame once abandoned */
    done_flag = 0;
    atomic_store(&release_job, 0);
    atomic_store(&abandoned_seen, 0);
    size_t before = ntcp_background_threads();
    CHECK(!ntcp__run_until(blocked_job, on_abandon, &done_flag, ntcp__now_ms() + 50));
    CHECK_EQ_INT((int)ntcp_background_threads(), (int)before + 1);
    atomic_store(&release_job, 1);
    long long deadline = ntcp__now_ms() + 10000;
    while ((!atomic_load(&abandoned_seen) || ntcp_background_threads() != before) && ntcp__now_ms() < deadline)
        sched_yield();
    CHECK_EQ_INT(atomic_load(&abandoned_seen), 1); /* abandon ran after the work returned */
    CHECK_EQ_INT((int)ntcp_background_threads(), (int)before);
    int n = 0; /* and jobs still run afterwards */
    CHECK(ntcp__run_until(count_job, NULL, &n, ntcp__now_ms() + 10000));
    CHECK(n >= 1);
}
