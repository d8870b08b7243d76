/* MC-NMF initiator/acceptor state machines: a whole session in memory,
 * through a test stream upgrade, connection reuse, and every acceptor
 * refusal with the exact fault bytes on the wire. */
#include <stdlib.h>
#include "test.h"
#include <nettcp/framing.h>

/* ---- a toy stream upgrade: handshake "HI" -> "OK"; frames = len(1) + bytes ^ 0x5A */
struct toy {
    bool initiator, done, sent_hi;
    ntcp_buf in;
};

static ntcp_status toy_start(void *ctx, ntcp_buf *out)
{
    struct toy *t = ctx;
    t->sent_hi = true;
    return ntcp_buf_append(out, "HI", 2);
}

static ntcp_status toy_recv(void *ctx, const uint8_t *raw, size_t len, size_t *consumed, ntcp_buf *plain,
                            ntcp_buf *out)
{
    struct toy *t = ctx;
    *consumed = len;
    if (ntcp_buf_append(&t->in, raw, len))
        return NTCP_E_NOMEM;
    while (t->in.len) {
        if (!t->done) {
            if (t->in.len < 2)
                return NTCP_AGAIN;
            if (memcmp(t->in.data, t->initiator ? "OK" : "HI", 2) != 0)
                return NTCP_E_MALFORMED;
            ntcp_buf_consume(&t->in, 2);
            if (!t->initiator && ntcp_buf_append(out, "OK", 2))
                return NTCP_E_NOMEM;
            t->done = true;
            continue;
        }
        size_t n = t->in.data[0];
        if (t->in.len < 1 + n)
            return NTCP_AGAIN;
        for (size_t i = 0; i < n; i++)
            if (ntcp_buf_put_u8(plain, t->in.data[1 + i] ^ 0x5A))
                return NTCP_E_NOMEM;
        ntcp_buf_consume(&t->in, 1 + n);
    }
    return NTCP_AGAIN;
}

static ntcp_status toy_send(void *ctx, const uint8_t *p, size_t len, ntcp_buf *out)
{
    (void)ctx;
    for (size_t off = 0; off < len; off += 255) {
        size_t n = len - off < 255 ? len - off : 255;
        if (ntcp_buf_put_u8(out, (uint8_t)n))
            return NTCP_E_NOMEM;
        for (size_t i = 0; i < n; i++)
            if (ntcp_buf_put_u8(out, p[off + i] ^ 0x5A))
                return NTCP_E_NOMEM;
    }
    return NTCP_OK;
}

/* send_parts, when a test turns it on: joins head and body (the toy's frames
 * depend on the joined bytes) and checks the head is a SizedEnvelope header */
static bool toy_parts;
static int toy_parts_calls, toy_parts_bad_head;
static ntcp_status toy_send_parts(void *ctx, const uint8_t *head, size_t hl, const uint8_t *body, size_t bl,
                                  ntcp_buf *out)
{
    toy_parts_calls++;
    ntcp_buf h;
    ntcp_buf_init(&h, 16);
    if (ntcp_buf_put_u8(&h, 0x06) || ntcp_buf_put_varint(&h, (uint32_t)bl) || h.len != hl ||
        memcmp(h.data, head, hl))
        toy_parts_bad_head++;
    ntcp_buf_free(&h);
    uint8_t *j = malloc(hl + bl);
    memcpy(j, head, hl);
    memcpy(j + hl, body, bl);
    ntcp_status st = toy_send(ctx, j, hl + bl, out);
    free(j);
    return st;
}

static bool toy_established(void *ctx) { return ((struct toy *)ctx)->done; }

static void toy_init(struct toy *t, ntcp_stream *up, bool initiator)
{
    memset(t, 0, sizeof *t);
    t->initiator = initiator;
    ntcp_buf_init(&t->in, 1 << 20);
    *up = (ntcp_stream){ NTCP_UPGRADE_NEGOTIATE, t, toy_start, toy_recv, toy_send, toy_established, NULL,
                         toy_parts ? toy_send_parts : NULL, NULL };
}

/* ---- pump: move `from`'s output into `to`, `step` bytes at a time; log events */
static const char *ev_name(ntcp_framing_event_type t)
{
    static const char *const n[] = { "none", "preamble", "upgrade-request", "upgrade-response", "upgrade-complete",
                                     "preamble-complete", "envelope", "end", "closed", "fault" };
    return n[t];
}

struct side {
    ntcp_framing *f;
    ntcp_buf log;
    ntcp_status last;
    ntcp_stream up;
    struct toy toy;
    bool use_upgrade;
    /* when set, the envelopes this side receives are checked, whole and
     * exact, against want[0..want_count) in order; got counts them */
    const uint8_t *const *want;
    const size_t *want_len;
    size_t want_count, got;
};

static void log_event(struct side *s, const ntcp_framing_event *ev)
{
    char line[256];
    int k = snprintf(line, sizeof line, "%s%s", s->log.len ? "|" : "", ev_name(ev->type));
    if (ev->type == NTCP_FEV_PREAMBLE)
        k += snprintf(line + k, sizeof line - k, " %s %d %s", ev->via, ev->mode, ev->content_type);
    if (ev->type == NTCP_FEV_ENVELOPE || ev->type == NTCP_FEV_FAULT)
        k += snprintf(line + k, sizeof line - k, " %.*s", (int)(ev->len > 80 ? 80 : ev->len), (const char *)ev->data);
    if (ntcp_buf_append(&s->log, line, (size_t)k))
        ntcp_test_fail(__FILE__, __LINE__, "log overflow");
}

static void pump(struct side *from, struct side *to, size_t step)
{
    const uint8_t *p;
    size_t n;
    ntcp_framing_output(from->f, &p, &n);
    uint8_t *copy = malloc(n + 1);
    memcpy(copy, p, n);
    ntcp_framing_output_consumed(from->f, n);
    size_t off = 0;
    for (;;) {
        size_t chunk = step && n - off > step ? step : n - off;
        size_t used = 0;
        ntcp_framing_event ev;
        ntcp_status st = ntcp_framing_feed(to->f, copy + off, chunk, &used, &ev);
        off += used;
        if (st == NTCP_OK) {
            if (ev.type != NTCP_FEV_NONE)
                log_event(to, &ev);
            if (ev.type == NTCP_FEV_ENVELOPE && to->want) {
                CHECK(to->got < to->want_count);
                if (to->got < to->want_count)
                    CHECK_BYTES(ev.data, ev.len, to->want[to->got], to->want_len[to->got]);
                to->got++;
            }
            if (ev.type == NTCP_FEV_PREAMBLE && to->use_upgrade)
                ntcp_framing_set_upgrade(to->f, &to->up);
            continue;
        }
        if (st != NTCP_AGAIN) {
            to->last = st;
            if (ev.type != NTCP_FEV_NONE)
                log_event(to, &ev);
            break;
        }
        if (off >= n)
            break;
    }
    free(copy);
}

static void side_free(struct side *s)
{
    ntcp_framing_free(s->f);
    ntcp_buf_free(&s->log);
    ntcp_buf_free(&s->toy.in);
}

static const char *log_str(struct side *s)
{
    if (ntcp_buf_put_u8(&s->log, 0))
        return "";
    s->log.len--;
    return (const char *)s->log.data;
}

static bool via_served(void *ctx, const char *via)
{
    (void)ctx;
    return strcmp(via, "net.tcp://localhost:808/svc") == 0;
}

/* A client and a service session for via net.tcp://localhost:808/svc,
 * through the toy upgrade when secure; the service with limits lim (NULL:
 * the defaults). */
static void sides_new(struct side *c, struct side *s, bool secure, const ntcp_framing_limits *lim)
{
    memset(c, 0, sizeof *c);
    memset(s, 0, sizeof *s);
    ntcp_buf_init(&c->log, 1 << 16);
    ntcp_buf_init(&s->log, 1 << 16);
    ntcp_framing_initiator_config ic;
    ntcp_framing_initiator_config_init(&ic);
    ic.via = "net.tcp://localhost:808/svc";
    ic.upgrade_name = secure ? NTCP_UPGRADE_NEGOTIATE : NULL;
    ntcp_framing_acceptor_config ac;
    ntcp_framing_acceptor_config_init(&ac);
    ac.via_served = via_served;
    ac.upgrade_name = secure ? NTCP_UPGRADE_NEGOTIATE : NULL;
    ac.require_upgrade = secure;
    CHECK_EQ_INT(ntcp_framing_new_initiator(&c->f, &ic, NULL), NTCP_OK);
    CHECK_EQ_INT(ntcp_framing_new_acceptor(&s->f, &ac, lim), NTCP_OK);
    toy_init(&c->toy, &c->up, true);
    toy_init(&s->toy, &s->up, false);
    s->use_upgrade = secure;
    ntcp_framing_set_upgrade(c->f, &c->up);
}

/* Preamble, upgrade, handshake and acknowledgement, whole. */
static void sides_open(struct side *c, struct side *s)
{
    CHECK_EQ_INT(ntcp_framing_start(c->f), NTCP_OK);
    for (int i = 0; i < 4; i++) {
        pump(c, s, 0);
        pump(s, c, 0);
    }
    CHECK(ntcp_framing_is_open(s->f));
}

static void full_session(size_t step, bool secure)
{
    struct side c, s;
    sides_new(&c, &s, secure, NULL);

    for (int round = 0; round < 2; round++) { /* the second round reuses the connection */
        c.log.len = s.log.len = 0;
        if (round == 1) { /* a fresh security context for the new session */
            ntcp_buf_free(&c.toy.in);
            ntcp_buf_free(&s.toy.in);
            toy_init(&c.toy, &c.up, true);
            toy_init(&s.toy, &s.up, false);
            ntcp_framing_set_upgrade(c.f, &c.up);
        }
        CHECK_EQ_INT(ntcp_framing_start(c.f), NTCP_OK);
        if (secure) {
            /* clear preamble bytes exactly as PROTOCOLS.md 6 shows them */
            const uint8_t *p;
            size_t n;
            ntcp_framing_output(c.f, &p, &n);
            size_t wl;
            unsigned char *want = ntcp_test_hex(
                "000100 0102 021b6e65742e7463703a2f2f6c6f63616c686f73743a3830382f737663 0308 "
                "0915 6170706c69636174696f6e2f6e65676f7469617465",
                &wl);
            CHECK_BYTES(p, n, want, wl);
            free(want);
        }
        for (int i = 0; i < 4; i++) { /* preamble, upgrade, handshake, ack */
            pump(&c, &s, step);
            pump(&s, &c, step);
        }
        CHECK(ntcp_framing_is_open(c.f));
        CHECK(ntcp_framing_is_open(s.f));
        CHECK_EQ_STR(ntcp_framing_via(s.f), "net.tcp://localhost:808/svc");
        CHECK_EQ_INT(ntcp_framing_send_envelope(c.f, (const uint8_t *)"request-1", 9), NTCP_OK);
        CHECK_EQ_INT(ntcp_framing_send_envelope(c.f, (const uint8_t *)"request-2", 9), NTCP_OK);
        pump(&c, &s, step);
        uint8_t big[70000];
        memset(big, 'r', sizeof big);
        CHECK_EQ_INT(ntcp_framing_send_envelope(s.f, big, 65536), NTCP_OK); /* exactly the quota */
        CHECK_EQ_INT(ntcp_framing_send_end(s.f), NTCP_OK);
        pump(&s, &c, step);
        CHECK_EQ_INT(ntcp_framing_send_end(c.f), NTCP_OK);
        CHECK(ntcp_framing_is_closed(c.f));
        pump(&c, &s, step);
        CHECK(ntcp_framing_is_closed(s.f));
        CHECK_EQ_INT(ntcp_framing_close_action(s.f), NTCP_CLOSE_GRACEFUL);
        if (secure)
            CHECK_EQ_STR(log_str(&s), "preamble net.tcp://localhost:808/svc 2 application/soap+msbinsession1|"
                                      "upgrade-request|upgrade-complete|preamble-complete|"
                                      "envelope request-1|envelope request-2|closed");
        else
            CHECK_EQ_STR(log_str(&s), "preamble net.tcp://localhost:808/svc 2 application/soap+msbinsession1|"
                                      "preamble-complete|envelope request-1|envelope request-2|closed");
        char want_c[256];
        snprintf(want_c, sizeof want_c, "%spreamble-complete|envelope %.80s|end",
                 secure ? "upgrade-response|upgrade-complete|" : "", (const char *)big);
        CHECK_EQ_STR(log_str(&c), want_c);
        CHECK_EQ_INT(c.last, NTCP_OK);
        CHECK_EQ_INT(s.last, NTCP_OK);
    }
    side_free(&c);
    side_free(&s);
}

TEST(session_unsecured_whole_and_byte_by_byte)
{
    full_session(0, false);
    full_session(1, false);
}

TEST(session_through_upgrade_whole_and_byte_by_byte)
{
    full_session(0, true);
    full_session(1, true);
    full_session(5, true);
}

#define BIG 200000

/* Sides opened with room for BIG-byte messages. */
static void big_sides(struct side *c, struct side *s, bool secure)
{
    ntcp_framing_limits lim;
    ntcp_framing_limits_init(&lim);
    lim.max_message = BIG;
    sides_new(c, s, secure, &lim);
    sides_open(c, s);
}

/* n bytes that differ from any shift of themselves */
static uint8_t *pattern(size_t n, unsigned mul, unsigned div)
{
    uint8_t *m = malloc(n);
    for (size_t i = 0; i < n; i++)
        m[i] = (uint8_t)(i * mul + i / div);
    return m;
}

/* Large envelopes through an upgrade arrive whole and exact whatever the
 * feed sizes: the plaintext of a payload is kept until it is whole (not
 * copied piece by piece), and the raw bytes taken per call are bounded by
 * the room the plaintext buffer has (one feed here holds three envelopes,
 * more than that room). */
static void large_envelopes(size_t step)
{
    struct side c, s;
    big_sides(&c, &s, true);
    uint8_t *m = pattern(BIG, 11, 251);
    const uint8_t *const want[] = { m, m + 1, m + 2 };
    static const size_t sizes[] = { BIG, 3, 150001 };
    s.want = want;
    s.want_len = sizes;
    s.want_count = 3;
    for (size_t k = 0; k < 3; k++)
        CHECK_EQ_INT(ntcp_framing_send_envelope(c.f, want[k], sizes[k]), NTCP_OK);
    pump(&c, &s, step);
    CHECK_EQ_INT(s.last, NTCP_OK);
    CHECK_EQ_INT(s.got, 3);
    free(m);
    side_free(&c);
    side_free(&s);
}

/* An envelope queued a part at a time reaches the peer whole and exact, with
 * and without an upgrade; nothing else can be sent until it is all queued. */
static void envelope_in_parts(bool secure)
{
    struct side c, s;
    big_sides(&c, &s, secure);
    uint8_t *m = pattern(BIG, 13, 509);
    const uint8_t *const want[] = { m, (const uint8_t *)"tail" };
    static const size_t sizes[] = { BIG, 4 };
    s.want = want;
    s.want_len = sizes;
    s.want_count = 2;
    CHECK_EQ_INT(ntcp_framing_begin_envelope(c.f, m, BIG, 65536), NTCP_OK);
    CHECK_EQ_INT(ntcp_framing_envelope_pending(c.f), BIG - 65536);
    CHECK_EQ_INT(ntcp_framing_send_envelope(c.f, m, 10), NTCP_E_STATE);
    CHECK_EQ_INT(ntcp_framing_begin_envelope(c.f, m, 10, 65536), NTCP_E_STATE);
    CHECK_EQ_INT(ntcp_framing_send_end(c.f), NTCP_E_STATE);
    int parts = 1;
    while (ntcp_framing_envelope_pending(c.f)) {
        pump(&c, &s, 0); /* the peer takes each part as it comes: no envelope yet */
        CHECK_EQ_INT(s.got, 0);
        CHECK_EQ_INT(ntcp_framing_continue_envelope(c.f), NTCP_OK);
        parts++;
    }
    CHECK_EQ_INT(parts, 4);
    CHECK_EQ_INT(ntcp_framing_continue_envelope(c.f), NTCP_OK); /* nothing pending: nothing queued */
    /* a small one is queued whole */
    CHECK_EQ_INT(ntcp_framing_begin_envelope(c.f, want[1], 4, 65536), NTCP_OK);
    CHECK_EQ_INT(ntcp_framing_envelope_pending(c.f), 0);
    pump(&c, &s, 0);
    CHECK_EQ_INT(s.last, NTCP_OK);
    CHECK_EQ_INT(s.got, 2);
    CHECK_EQ_INT(ntcp_framing_send_end(c.f), NTCP_OK);
    free(m);
    side_free(&c);
    side_free(&s);
}

TEST(session_envelope_in_parts)
{
    envelope_in_parts(true);
    envelope_in_parts(false);
}

TEST(session_large_envelopes_through_upgrade)
{
    large_envelopes(0);
    large_envelopes(1);
    large_envelopes(997);
    large_envelopes(70001);
}

/* An upgrade that takes envelopes in parts gets header and payload apart,
 * and the session's bytes are the same. */
TEST(session_through_upgrade_with_send_parts)
{
    toy_parts = true;
    toy_parts_calls = toy_parts_bad_head = 0;
    full_session(0, true);
    full_session(7, true);
    toy_parts = false;
    CHECK_EQ_INT(toy_parts_calls, 12); /* 3 envelopes a round, 2 rounds, 2 sessions */
    CHECK_EQ_INT(toy_parts_bad_head, 0);
}

/* ---- acceptor refusals: feed raw client bytes, check the fault on the wire */
static void refusal(const char *client_hex, const ntcp_framing_acceptor_config *ac, const ntcp_framing_limits *lim,
                    ntcp_status want_st, const char *want_fault, ntcp_framing_close want_close)
{
    struct side s;
    memset(&s, 0, sizeof s);
    ntcp_buf_init(&s.log, 1 << 16);
    CHECK_EQ_INT(ntcp_framing_new_acceptor(&s.f, ac, lim), NTCP_OK);
    size_t n;
    unsigned char *p = ntcp_test_hex(client_hex, &n);
    size_t off = 0;
    ntcp_status st = NTCP_OK;
    while (off < n) {
        size_t used;
        ntcp_framing_event ev;
        st = ntcp_framing_feed(s.f, p + off, n - off, &used, &ev);
        off += used;
        if (st != NTCP_OK)
            break;
    }
    CHECK_EQ_INT(st, want_st);
    const uint8_t *o;
    size_t on;
    ntcp_framing_output(s.f, &o, &on);
    if (want_fault) {
        ntcp_buf w;
        ntcp_buf_init(&w, 4096);
        if (strstr(client_hex, " 0c")) /* PreambleEnd was accepted: PreambleAck precedes the fault */
            CHECK_EQ_INT(ntcp_nmf_put_simple(&w, NTCP_NMF_PREAMBLE_ACK), NTCP_OK);
        CHECK_EQ_INT(ntcp_nmf_put_fault(&w, want_fault), NTCP_OK);
        CHECK_BYTES(o, on, w.data, w.len);
        ntcp_buf_free(&w);
    } else {
        CHECK_EQ_INT(on, 0);
    }
    CHECK_EQ_INT(ntcp_framing_close_action(s.f), want_close);
    CHECK(strstr(ntcp_framing_last_error(s.f), ntcp_status_name(want_st)) != NULL);
    free(p);
    side_free(&s);
}

#define VIA "021b6e65742e7463703a2f2f6c6f63616c686f73743a3830382f737663 "
#define NEG "0915 6170706c69636174696f6e2f6e65676f7469617465 "

TEST(acceptor_refusals_send_wcf_faults)
{
    ntcp_framing_acceptor_config ac;
    ntcp_framing_acceptor_config_init(&ac);
    ac.via_served = via_served;
    const ntcp_framing_close D = NTCP_CLOSE_AFTER_WRITE_DRAIN;
    refusal("000200", &ac, NULL, NTCP_E_UNSUPPORTED_VERSION, "UnsupportedVersion", D);
    refusal("000100 0101", &ac, NULL, NTCP_E_UNSUPPORTED_MODE, "UnsupportedMode", D);
    refusal("000100 0107", &ac, NULL, NTCP_E_UNSUPPORTED_MODE, "UnsupportedMode", D);
    refusal("000100 0102 02 8110", &ac, NULL, NTCP_E_VIA_TOO_LONG, "ViaTooLong", D);
    refusal("000100 0102 0203612f62 0308", &ac, NULL, NTCP_E_ENDPOINT_NOT_FOUND, "EndpointNotFound", D);
    refusal("000100 0102 " VIA "0307", &ac, NULL, NTCP_E_CONTENT_TYPE_INVALID, "ContentTypeInvalid", D);
    refusal("000100 0102 " VIA "04 0474 6578 74", &ac, NULL, NTCP_E_CONTENT_TYPE_INVALID, "ContentTypeInvalid", D);
    refusal("000100 0102 " VIA "04 8102", &ac, NULL, NTCP_E_CONTENT_TYPE_TOO_LONG, "ContentTypeTooLong", D);
    /* an upgrade to an endpoint without transport security */
    refusal("000100 0102 " VIA "0308 " NEG, &ac, NULL, NTCP_E_UPGRADE_INVALID, "UpgradeInvalid", D);
    /* records out of order, unknown record, bad varint */
    refusal("000100 0102 " VIA "0308 06 0161", &ac, NULL, NTCP_E_RECORD_SEQUENCE, "InvalidRecordSequence", D);
    refusal("000100 0102 " VIA "0308 0c 0b", &ac, NULL, NTCP_E_RECORD_SEQUENCE, "InvalidRecordSequence", D);
    refusal("000100 0102 " VIA "0308 0c 1f", &ac, NULL, NTCP_E_UNKNOWN_RECORD, "InvalidRecordSequence", D);
    refusal("000100 0102 " VIA "0308 0c 06 ffffffffff", &ac, NULL, NTCP_E_VARINT, "InvalidRecordSequence", D);
    /* message larger than the quota: the fault follows the PreambleAck */
    ntcp_framing_limits lim;
    ntcp_framing_limits_init(&lim);
    lim.max_message = 4;
    struct side s;
    memset(&s, 0, sizeof s);
    CHECK_EQ_INT(ntcp_framing_new_acceptor(&s.f, &ac, &lim), NTCP_OK);
    size_t n;
    unsigned char *p = ntcp_test_hex("000100 0102 " VIA "0308 0c 06 0461626364 06 05", &n);
    size_t off = 0, used;
    ntcp_framing_event ev;
    ntcp_status st;
    while ((st = ntcp_framing_feed(s.f, p + off, n - off, &used, &ev)) == NTCP_OK)
        off += used;
    CHECK_EQ_INT(st, NTCP_E_MESSAGE_TOO_LARGE);
    CHECK_EQ_INT(ev.type, NTCP_FEV_FAULT);
    CHECK_EQ_INT(ev.fault_status, NTCP_E_MESSAGE_TOO_LARGE);
    const uint8_t *o;
    size_t on;
    ntcp_framing_output(s.f, &o, &on);
    CHECK(on > 1 && o[0] == 0x0b && o[1] == 0x08);
    CHECK(on > 2 && strstr((const char *)o + 3, "MaxMessageSizeExceededFault") != NULL);
    /* drain: up to 64 KiB are discarded, then abort */
    uint8_t junk[40000] = { 0 };
    CHECK_EQ_INT(ntcp_framing_feed(s.f, junk, sizeof junk, &used, &ev), NTCP_AGAIN);
    CHECK_EQ_INT(ntcp_framing_close_action(s.f), NTCP_CLOSE_AFTER_WRITE_DRAIN);
    CHECK_EQ_INT(ntcp_framing_feed(s.f, junk, sizeof junk, &used, &ev), NTCP_E_LIMIT);
    CHECK_EQ_INT(ntcp_framing_close_action(s.f), NTCP_CLOSE_ABORT);
    free(p);
    ntcp_framing_free(s.f);
}

TEST(acceptor_requires_upgrade_when_secured)
{
    ntcp_framing_acceptor_config ac;
    ntcp_framing_acceptor_config_init(&ac);
    ac.upgrade_name = NTCP_UPGRADE_NEGOTIATE;
    ac.require_upgrade = true;
    refusal("000100 0102 " VIA "0308 0C", &ac, NULL, NTCP_E_UPGRADE_REQUIRED, "EndpointAccessDenied",
            NTCP_CLOSE_AFTER_WRITE_DRAIN);
    ac.fault_on_missing_upgrade = false; /* WCF's way: abort without a fault */
    refusal("000100 0102 " VIA "0308 0C", &ac, NULL, NTCP_E_UPGRADE_REQUIRED, NULL, NTCP_CLOSE_ABORT);
    /* the wrong upgrade name */
    ac.fault_on_missing_upgrade = true;
    refusal("000100 0102 " VIA "0308 0913 6170706c69636174696f6e2f73736c2d746c73", &ac, NULL, NTCP_E_UPGRADE_INVALID,
            "UpgradeInvalid", NTCP_CLOSE_AFTER_WRITE_DRAIN);
}

TEST(initiator_reports_service_fault)
{
    ntcp_framing *c;
    ntcp_framing_initiator_config ic;
    ntcp_framing_initiator_config_init(&ic);
    ic.via = "net.tcp://localhost:808/wrong";
    CHECK_EQ_INT(ntcp_framing_new_initiator(&c, &ic, NULL), NTCP_OK);
    CHECK_EQ_INT(ntcp_framing_start(c), NTCP_OK);
    ntcp_buf f;
    ntcp_buf_init(&f, 4096);
    CHECK_EQ_INT(ntcp_nmf_put_fault(&f, "EndpointNotFound"), NTCP_OK);
    size_t used;
    ntcp_framing_event ev;
    CHECK_EQ_INT(ntcp_framing_feed(c, f.data, f.len, &used, &ev), NTCP_OK);
    CHECK_EQ_INT(used, f.len);
    CHECK_EQ_INT(ev.type, NTCP_FEV_FAULT);
    CHECK_EQ_INT(ev.fault_status, NTCP_E_ENDPOINT_NOT_FOUND);
    CHECK_EQ_INT(ntcp_framing_close_action(c), NTCP_CLOSE_AFTER_WRITE_DRAIN);
    CHECK(strstr(ntcp_framing_last_error(c), "endpoint_not_found") != NULL);
    CHECK_EQ_INT(ntcp_framing_send_envelope(c, (const uint8_t *)"x", 1), NTCP_E_STATE);
    ntcp_framing_event eev;
    CHECK_EQ_INT(ntcp_framing_feed_eof(c, &eev), NTCP_OK);
    ntcp_buf_free(&f);
    ntcp_framing_free(c);
}

TEST(initiator_eof_during_preamble_is_reset)
{
    ntcp_framing *c;
    ntcp_framing_initiator_config ic;
    ntcp_framing_initiator_config_init(&ic);
    ic.via = "net.tcp://h/x";
    CHECK_EQ_INT(ntcp_framing_new_initiator(&c, &ic, NULL), NTCP_OK);
    CHECK_EQ_INT(ntcp_framing_start(c), NTCP_OK);
    ntcp_framing_event ev;
    CHECK_EQ_INT(ntcp_framing_feed_eof(c, &ev), NTCP_E_CONNECTION_RESET);
    ntcp_framing_free(c);
}

TEST(singleton_modes)
{
    /* singleton-unsized: one UnsizedEnvelope then End each way */
    ntcp_framing *c, *s;
    ntcp_framing_initiator_config ic;
    ntcp_framing_initiator_config_init(&ic);
    ic.via = "net.tcp://h/x";
    ic.mode = NTCP_MODE_SINGLETON_UNSIZED;
    ic.encoding = NTCP_ENC_BINARY;
    ntcp_framing_acceptor_config ac;
    ntcp_framing_acceptor_config_init(&ac);
    ac.modes = 1u << NTCP_MODE_SINGLETON_UNSIZED;
    ac.encodings = 1u << NTCP_ENC_BINARY;
    CHECK_EQ_INT(ntcp_framing_new_initiator(&c, &ic, NULL), NTCP_OK);
    CHECK_EQ_INT(ntcp_framing_new_acceptor(&s, &ac, NULL), NTCP_OK);
    CHECK_EQ_INT(ntcp_framing_start(c), NTCP_OK);
    const uint8_t *p;
    size_t n, used;
    ntcp_framing_event ev;
    ntcp_framing_output(c, &p, &n);
    size_t wl;
    unsigned char *want = ntcp_test_hex("000100 0101 020d6e65742e7463703a2f2f682f78 0307 0c", &wl);
    CHECK_BYTES(p, n, want, wl);
    free(want);
    size_t off = 0;
    int events = 0;
    while (off < n && ntcp_framing_feed(s, p + off, n - off, &used, &ev) == NTCP_OK) {
        off += used;
        events++;
    }
    CHECK_EQ_INT(events, 2); /* preamble, preamble-complete */
    ntcp_framing_output_consumed(c, n);
    ntcp_framing_output(s, &p, &n);
    CHECK_BYTES(p, n, "\x0b", 1);
    CHECK_EQ_INT(ntcp_framing_feed(c, p, n, &used, &ev), NTCP_OK);
    CHECK_EQ_INT(ev.type, NTCP_FEV_PREAMBLE_COMPLETE);
    ntcp_framing_output_consumed(s, n);
    CHECK_EQ_INT(ntcp_framing_send_envelope(c, (const uint8_t *)"hello", 5), NTCP_OK);
    CHECK_EQ_INT(ntcp_framing_send_end(c), NTCP_OK);
    ntcp_framing_output(c, &p, &n);
    CHECK_BYTES(p, n, "\x05\x05hello\x00\x07", 9);
    CHECK_EQ_INT(ntcp_framing_feed(s, p, n, &used, &ev), NTCP_OK);
    CHECK_EQ_INT(ev.type, NTCP_FEV_ENVELOPE);
    CHECK_BYTES(ev.data, ev.len, "hello", 5);
    off = used;
    CHECK_EQ_INT(ntcp_framing_feed(s, p + off, n - off, &used, &ev), NTCP_OK);
    CHECK_EQ_INT(ev.type, NTCP_FEV_END);
    ntcp_framing_free(c);
    ntcp_framing_free(s);

    /* singleton-sized: the message is the rest of the stream */
    ic.mode = NTCP_MODE_SINGLETON_SIZED;
    ac.modes = 1u << NTCP_MODE_SINGLETON_SIZED;
    CHECK_EQ_INT(ntcp_framing_new_initiator(&c, &ic, NULL), NTCP_OK);
    CHECK_EQ_INT(ntcp_framing_new_acceptor(&s, &ac, NULL), NTCP_OK);
    CHECK_EQ_INT(ntcp_framing_start(c), NTCP_OK);
    CHECK_EQ_INT(ntcp_framing_send_envelope(c, (const uint8_t *)"whole", 5), NTCP_OK);
    ntcp_framing_output(c, &p, &n);
    want = ntcp_test_hex("000100 0104 020d6e65742e7463703a2f2f682f78 0307 77686f6c65", &wl);
    CHECK_BYTES(p, n, want, wl);
    free(want);
    off = 0;
    while (off < n) {
        ntcp_status st = ntcp_framing_feed(s, p + off, n - off, &used, &ev);
        off += used;
        if (st != NTCP_OK)
            break;
    }
    CHECK_EQ_INT(ntcp_framing_feed_eof(s, &ev), NTCP_OK);
    CHECK_EQ_INT(ev.type, NTCP_FEV_ENVELOPE);
    CHECK_BYTES(ev.data, ev.len, "whole", 5);
    ntcp_framing_free(c);
    ntcp_framing_free(s);
}

TEST(simplex_mode)
{
    ntcp_framing *c, *s;
    ntcp_framing_initiator_config ic;
    ntcp_framing_initiator_config_init(&ic);
    ic.via = "net.tcp://h/x";
    ic.mode = NTCP_MODE_SIMPLEX;
    ntcp_framing_acceptor_config ac;
    ntcp_framing_acceptor_config_init(&ac);
    ac.modes = 1u << NTCP_MODE_SIMPLEX;
    CHECK_EQ_INT(ntcp_framing_new_initiator(&c, &ic, NULL), NTCP_OK);
    CHECK_EQ_INT(ntcp_framing_new_acceptor(&s, &ac, NULL), NTCP_OK);
    CHECK_EQ_INT(ntcp_framing_start(c), NTCP_OK);
    CHECK_EQ_INT(ntcp_framing_send_envelope(c, (const uint8_t *)"m1", 2), NTCP_OK);
    CHECK_EQ_INT(ntcp_framing_send_end(c), NTCP_OK);
    CHECK(ntcp_framing_is_closed(c));
    const uint8_t *p;
    size_t n, used, off = 0;
    ntcp_framing_output(c, &p, &n);
    size_t wl;
    unsigned char *want = ntcp_test_hex("000100 0103 020d6e65742e7463703a2f2f682f78 0308 06026d31 07", &wl);
    CHECK_BYTES(p, n, want, wl);
    free(want);
    ntcp_framing_event ev;
    int types[4] = { 0 }, k = 0;
    while (off < n && k < 4) {
        if (ntcp_framing_feed(s, p + off, n - off, &used, &ev) != NTCP_OK)
            break;
        off += used;
        types[k++] = ev.type;
    }
    CHECK_EQ_INT(k, 3);
    CHECK_EQ_INT(types[0], NTCP_FEV_PREAMBLE);
    CHECK_EQ_INT(types[1], NTCP_FEV_ENVELOPE);
    CHECK_EQ_INT(types[2], NTCP_FEV_CLOSED);
    const uint8_t *o;
    size_t on;
    ntcp_framing_output(s, &o, &on);
    CHECK_EQ_INT(on, 0); /* simplex: the receiver sends nothing */
    ntcp_framing_free(c);
    ntcp_framing_free(s);
}

/* Found by fuzzing: a simplex or singleton-sized receiver could queue an
 * envelope or End toward the initiator, which those modes never carry. */
TEST(one_way_receiver_sends_nothing)
{
    static const char *const preambles[2] = { "000100 0103 020d6e65742e7463703a2f2f682f78 0308",
                                              "000100 0104 020d6e65742e7463703a2f2f682f78 0308" };
    for (int i = 0; i < 2; i++) {
        ntcp_framing_acceptor_config ac;
        ntcp_framing_acceptor_config_init(&ac);
        ac.modes = (1u << NTCP_MODE_SIMPLEX) | (1u << NTCP_MODE_SINGLETON_SIZED);
        ntcp_framing *s;
        CHECK_EQ_INT(ntcp_framing_new_acceptor(&s, &ac, NULL), NTCP_OK);
        size_t n, used = 0;
        unsigned char *p = ntcp_test_hex(preambles[i], &n);
        ntcp_framing_event ev;
        memset(&ev, 0, sizeof ev);
        CHECK_EQ_INT(ntcp_framing_feed(s, p, n, &used, &ev), NTCP_OK);
        CHECK_EQ_INT(ev.type, NTCP_FEV_PREAMBLE);
        CHECK_EQ_INT(ntcp_framing_send_envelope(s, (const uint8_t *)"r", 1), NTCP_E_STATE);
        CHECK_EQ_INT(ntcp_framing_begin_envelope(s, (const uint8_t *)"rr", 2, 1), NTCP_E_STATE);
        CHECK_EQ_INT(ntcp_framing_send_end(s), NTCP_E_STATE);
        const uint8_t *o;
        size_t on;
        ntcp_framing_output(s, &o, &on);
        CHECK_EQ_INT(on, 0);
        free(p);
        ntcp_framing_free(s);
    }
}

/* What WCF does (docs/protocols-notes.md): a NUL in the Via's path is
 * escaped as System.Uri does and the Via is not served (EndpointNotFound,
 * and never the Via cut at the NUL); a NUL before the path is no URI: abort
 * without a fault. Framing version 1.x is accepted whatever the minor. */
TEST(acceptor_via_nul_and_minor_version_as_wcf)
{
    ntcp_framing_acceptor_config ac;
    ntcp_framing_acceptor_config_init(&ac);
    ac.via_served = via_served;
    /* net.tcp://localhost:808/svc NUL x */
    refusal("000100 0102 021d6e65742e7463703a2f2f6c6f63616c686f73743a3830382f7376630078 0308", &ac, NULL,
            NTCP_E_ENDPOINT_NOT_FOUND, "EndpointNotFound", NTCP_CLOSE_AFTER_WRITE_DRAIN);
    /* net.tcp://local NUL host:808/svc */
    refusal("000100 0102 021c6e65742e7463703a2f2f6c6f63616c00686f73743a3830382f737663 0308", &ac, NULL,
            NTCP_E_MALFORMED, NULL, NTCP_CLOSE_ABORT);
    /* version 1.1, then 1.255: the preamble is accepted */
    for (int minor = 0; minor < 2; minor++) {
        ntcp_framing *f;
        CHECK_EQ_INT(ntcp_framing_new_acceptor(&f, &ac, NULL), NTCP_OK);
        size_t n, off = 0, used;
        unsigned char *p = ntcp_test_hex(minor ? "0001ff 0102 " VIA "0308" : "000101 0102 " VIA "0308", &n);
        ntcp_framing_event ev;
        ntcp_status st;
        memset(&ev, 0, sizeof ev);
        while (off < n && (st = ntcp_framing_feed(f, p + off, n - off, &used, &ev)) == NTCP_OK &&
               ev.type != NTCP_FEV_PREAMBLE)
            off += used;
        CHECK_EQ_INT(ev.type, NTCP_FEV_PREAMBLE);
        free(p);
        ntcp_framing_free(f);
    }
}

TEST(acceptor_empty_via_is_not_served)
{
    /* found by fuzzing: an empty Via must be handled like any unknown one */
    ntcp_framing_acceptor_config ac;
    ntcp_framing_acceptor_config_init(&ac);
    ac.via_served = via_served;
    refusal("000100 0102 0200 0308", &ac, NULL, NTCP_E_ENDPOINT_NOT_FOUND, "EndpointNotFound",
            NTCP_CLOSE_AFTER_WRITE_DRAIN);
}

/* A decoding error carries the stream offset it was found at; a refusal
 * decided on a well-formed record does not. */
TEST(session_error_offset)
{
    static const struct {
        const char *hex;
        ntcp_status st;
        int64_t offset;
    } t[] = {
        { "000100 0102 7f", NTCP_E_UNKNOWN_RECORD, 5 },
        { "000100 0101", NTCP_E_UNSUPPORTED_MODE, -1 },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        ntcp_framing *f;
        ntcp_framing_acceptor_config ac;
        ntcp_framing_acceptor_config_init(&ac);
        CHECK_EQ_INT(ntcp_framing_new_acceptor(&f, &ac, NULL), NTCP_OK);
        CHECK_EQ_INT(ntcp_framing_last_error_offset(f), -1);
        size_t n, off = 0, used;
        unsigned char *p = ntcp_test_hex(t[i].hex, &n);
        ntcp_status st = NTCP_OK;
        while (off < n && st == NTCP_OK) {
            ntcp_framing_event ev;
            st = ntcp_framing_feed(f, p + off, n - off, &used, &ev);
            off += used;
        }
        CHECK_EQ_INT(st, t[i].st);
        CHECK_EQ_INT(ntcp_framing_last_error_status(f), t[i].st);
        CHECK_EQ_INT(ntcp_framing_last_error_offset(f), t[i].offset);
        free(p);
        ntcp_framing_free(f);
    }
}

/* Output written in pieces: what is left is always the unwritten tail, in
 * order, until all of it is written. */
TEST(framing_output_partial_writes_keep_the_tail)
{
    ntcp_framing_initiator_config ic;
    ntcp_framing_initiator_config_init(&ic);
    ic.via = "net.tcp://host/x";
    ntcp_framing *f;
    CHECK_EQ_INT(ntcp_framing_new_initiator(&f, &ic, NULL), NTCP_OK);
    CHECK_EQ_INT(ntcp_framing_start(f), NTCP_OK);
    const uint8_t *p;
    size_t n;
    ntcp_framing_output(f, &p, &n);
    uint8_t all[64];
    CHECK(n > 8 && n < sizeof all);
    memcpy(all, p, n);
    size_t total = n;
    ntcp_framing_output_consumed(f, 3);
    ntcp_framing_output(f, &p, &n);
    CHECK_BYTES(p, n, all + 3, total - 3);
    ntcp_framing_output_consumed(f, 1);
    ntcp_framing_output(f, &p, &n);
    CHECK_BYTES(p, n, all + 4, total - 4);
    ntcp_framing_output_consumed(f, total - 4 - 2);
    ntcp_framing_output(f, &p, &n);
    CHECK_BYTES(p, n, all + total - 2, 2);
    ntcp_framing_output_consumed(f, 100); /* more than pending: all of it */
    ntcp_framing_output(f, &p, &n);
    CHECK_EQ_INT((int)n, 0);
    ntcp_framing_free(f);
}
