/* MC-NMF records and the record decoder: spec bytes, real vectors (whole and
 * byte by byte), truncation at every offset, varint overflow, size lies. */
#include <stdlib.h>
#include "test.h"
#include <nettcp/framing.h>
#include "../../tools/capture.h"

/* Decodes a whole stream in pieces of `step` bytes (0 = all at once);
 * appends "Name[ detail]" per record to summary (separated by '|'), and the
 * re-encoded bytes to reenc. Returns the final status (OK at a clean end). */
static ntcp_status decode_stream(const uint8_t *p, size_t n, ntcp_nmf_direction dir, ntcp_nmf_start start,
                                 size_t step, const ntcp_framing_limits *lim, ntcp_buf *summary, ntcp_buf *reenc,
                                 size_t *err_off)
{
    ntcp_nmf_decoder *d;
    ntcp_status st = ntcp_nmf_decoder_new(&d, dir, start, lim);
    if (st)
        return st;
    size_t off = 0;
    while (off < n || n == 0) {
        size_t lim_len = step ? (n - off < step ? n - off : step) : n - off;
        size_t used = 0;
        ntcp_nmf_record r;
        st = ntcp_nmf_decoder_feed(d, p + off, lim_len, &used, &r);
        off += used;
        if (st == NTCP_E_STATE && ntcp_nmf_decoder_at_upgrade(d)) {
            ntcp_nmf_decoder_resume_after_upgrade(d);
            continue;
        }
        if (st == NTCP_AGAIN) {
            if (off >= n)
                break;
            continue;
        }
        if (st)
            break;
        char line[128];
        int k = snprintf(line, sizeof line, "%s%s", summary->len ? "|" : "", ntcp_nmf_record_name(r.type));
        ntcp_status es = NTCP_OK;
        switch (r.type) {
        case NTCP_NMF_VERSION:
            k += snprintf(line + k, sizeof line - k, " %u.%u", r.major, r.minor);
            es = ntcp_nmf_put_version(reenc);
            break;
        case NTCP_NMF_MODE:
            k += snprintf(line + k, sizeof line - k, " %u", r.mode);
            es = ntcp_nmf_put_mode(reenc, r.mode);
            break;
        case NTCP_NMF_KNOWN_ENCODING:
            k += snprintf(line + k, sizeof line - k, " %u", r.encoding);
            es = ntcp_nmf_put_known_encoding(reenc, r.encoding);
            break;
        case NTCP_NMF_VIA:
            k += snprintf(line + k, sizeof line - k, " %.*s", (int)r.size, (const char *)r.data);
            es = ntcp_nmf_put_via(reenc, (const char *)r.data, r.size);
            break;
        case NTCP_NMF_EXTENSIBLE_ENCODING:
            k += snprintf(line + k, sizeof line - k, " %.*s", (int)r.size, (const char *)r.data);
            es = ntcp_nmf_put_extensible_encoding(reenc, (const char *)r.data, r.size);
            break;
        case NTCP_NMF_UPGRADE_REQUEST:
            k += snprintf(line + k, sizeof line - k, " %.*s", (int)r.size, (const char *)r.data);
            es = ntcp_nmf_put_upgrade_request(reenc, (const char *)r.data, r.size);
            break;
        case NTCP_NMF_FAULT: {
            char fault[300];
            snprintf(fault, sizeof fault, "%.*s", (int)r.size, (const char *)r.data);
            k += snprintf(line + k, sizeof line - k, " %.60s", fault);
            es = ntcp_nmf_put_fault(reenc, fault);
            break;
        }
        case NTCP_NMF_SIZED_ENVELOPE:
            k += snprintf(line + k, sizeof line - k, " %zu", r.size);
            es = ntcp_nmf_put_sized_envelope(reenc, r.data, r.size);
            break;
        case NTCP_NMF_UNSIZED_ENVELOPE:
            k += snprintf(line + k, sizeof line - k, " %zu/%u", r.size, r.chunks);
            es = ntcp_nmf_put_unsized_envelope(reenc, r.data, r.size, r.size / r.chunks + (r.size % r.chunks != 0));
            break;
        default:
            es = ntcp_nmf_put_simple(reenc, r.type);
        }
        if (es)
            ntcp_test_fail(__FILE__, __LINE__, "re-encoding %s failed", ntcp_nmf_record_name(r.type));
        if (ntcp_buf_append(summary, line, (size_t)k))
            break;
        if (n == 0)
            break;
    }
    if (st == NTCP_AGAIN || st == NTCP_OK) {
        ntcp_nmf_record r;
        bool have;
        st = ntcp_nmf_decoder_finish(d, &r, &have);
    }
    if (err_off)
        *err_off = ntcp_nmf_decoder_offset(d);
    ntcp_nmf_decoder_free(d);
    return st;
}

static void check_vector_dir(const uint8_t *p, size_t n, ntcp_nmf_direction dir, const char *want)
{
    static const size_t steps[] = { 0, 1, 2, 3, 7, 64 };
    for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
        ntcp_buf sum, re;
        ntcp_buf_init(&sum, 1 << 20);
        ntcp_buf_init(&re, 1 << 20);
        ntcp_status st = decode_stream(p, n, dir, NTCP_START_PREAMBLE, steps[s], NULL, &sum, &re, NULL);
        CHECK_EQ_INT(st, NTCP_OK);
        if (ntcp_buf_put_u8(&sum, 0) == NTCP_OK)
            CHECK_EQ_STR((const char *)sum.data, want);
        CHECK_BYTES(re.data, re.len, p, n); /* re-encodes to identical bytes */
        ntcp_buf_free(&sum);
        ntcp_buf_free(&re);
    }
}

/* Loads a vector, checks its detected format, and checks each direction's
 * records (NULL: the direction must be absent). */
static void check_vector(const char *file, ntcp_capture_format fmt, const char *want_c2s, const char *want_s2c)
{
    size_t n;
    unsigned char *t = ntcp_test_read_vector(file, &n);
    CHECK(t != NULL);
    if (!t)
        return;
    ntcp_capture cap;
    CHECK_EQ_INT(ntcp_capture_load(&cap, t, n, 1 << 20), NTCP_OK);
    CHECK_EQ_INT(cap.format, fmt);
    const char *want[2] = { want_c2s, want_s2c };
    for (int d = 0; d < 2; d++) {
        CHECK_EQ_INT(cap.has[d], want[d] != NULL);
        if (want[d])
            check_vector_dir(cap.dir[d].data, cap.dir[d].len, d ? NTCP_FROM_RECEIVER : NTCP_FROM_INITIATOR, want[d]);
    }
    ntcp_capture_free(&cap);
    free(t);
}

TEST(nmf_vector_wcf_unsecured_session)
{
    if (ntcp_test_external_missing(NTCP_WCF_TRACE))
        return;
    check_vector(NTCP_WCF_TRACE, NTCP_CAPTURE_HEX_TRACE,
                 "Version 1.0|Mode 2|Via net.tcp://192.168.56.1:8523/Service1|KnownEncoding 8|PreambleEnd|"
                 "SizedEnvelope 176|SizedEnvelope 66|End",
                 "PreambleAck|SizedEnvelope 317|SizedEnvelope 219|End");
}

TEST(nmf_vector_mono_exchange)
{
    check_vector("vectors/mono-nettcp-exchange.hex", NTCP_CAPTURE_HEX_ARROWS,
                 "Version 1.0|Mode 2|Via net.tcp://127.0.0.1:15002/echo|KnownEncoding 8|PreambleEnd|"
                 "SizedEnvelope 220|SizedEnvelope 208|End",
                 "PreambleAck|SizedEnvelope 164|SizedEnvelope 129");
}

TEST(nmf_vector_mono_preamble_plain_hex)
{
    check_vector("vectors/mono-nettcp-client-preamble.hex", NTCP_CAPTURE_HEX_PLAIN,
                 "Version 1.0|Mode 2|Via net.tcp://127.0.0.1:15003/echo|KnownEncoding 8|PreambleEnd", NULL);
}

/* MC-NMF 2.2 byte values, PROTOCOLS.md 1.1 and 6 */
TEST(nmf_encoders_spec_bytes)
{
    ntcp_buf b;
    ntcp_buf_init(&b, 1 << 20);
    CHECK_EQ_INT(ntcp_nmf_put_version(&b), NTCP_OK);
    CHECK_EQ_INT(ntcp_nmf_put_mode(&b, NTCP_MODE_DUPLEX), NTCP_OK);
    CHECK_EQ_INT(ntcp_nmf_put_via(&b, "net.tcp://localhost:808/svc", 27), NTCP_OK);
    CHECK_EQ_INT(ntcp_nmf_put_known_encoding(&b, NTCP_ENC_BINARY_SESSION), NTCP_OK);
    size_t wl;
    unsigned char *want = ntcp_test_hex("000100 0102 021b6e65742e7463703a2f2f6c6f63616c686f73743a3830382f737663 0308", &wl);
    CHECK_BYTES(b.data, b.len, want, wl);
    free(want);
    CHECK_EQ_INT(b.len, 36);

    ntcp_buf_reset(&b);
    CHECK_EQ_INT(ntcp_nmf_put_upgrade_request(&b, NTCP_UPGRADE_NEGOTIATE, 21), NTCP_OK);
    want = ntcp_test_hex("0915 6170706c69636174696f6e2f6e65676f7469617465", &wl);
    CHECK_BYTES(b.data, b.len, want, wl);
    free(want);

    ntcp_buf_reset(&b);
    CHECK_EQ_INT(ntcp_nmf_put_simple(&b, NTCP_NMF_UPGRADE_RESPONSE), NTCP_OK);
    CHECK_EQ_INT(ntcp_nmf_put_simple(&b, NTCP_NMF_PREAMBLE_ACK), NTCP_OK);
    CHECK_EQ_INT(ntcp_nmf_put_simple(&b, NTCP_NMF_PREAMBLE_END), NTCP_OK);
    CHECK_EQ_INT(ntcp_nmf_put_simple(&b, NTCP_NMF_END), NTCP_OK);
    CHECK_BYTES(b.data, b.len, "\x0a\x0b\x0c\x07", 4);
    CHECK_EQ_INT(ntcp_nmf_put_simple(&b, NTCP_NMF_VIA), NTCP_E_INVALID_ARG);

    ntcp_buf_reset(&b);
    CHECK_EQ_INT(ntcp_nmf_put_extensible_encoding(&b, "application/soap+msbin1+gzip", 28), NTCP_OK);
    CHECK_BYTES(b.data, b.len, "\x04\x1c" "application/soap+msbin1+gzip", 30);

    ntcp_buf_reset(&b);
    CHECK_EQ_INT(ntcp_nmf_put_sized_envelope(&b, (const uint8_t *)"abc", 3), NTCP_OK);
    CHECK_BYTES(b.data, b.len, "\x06\x03" "abc", 5);
    CHECK_EQ_INT(ntcp_nmf_put_sized_envelope(&b, (const uint8_t *)"", 0), NTCP_E_INVALID_ARG);

    ntcp_buf_reset(&b);
    CHECK_EQ_INT(ntcp_nmf_put_unsized_envelope(&b, (const uint8_t *)"abcde", 5, 2), NTCP_OK);
    CHECK_BYTES(b.data, b.len, "\x05\x02" "ab" "\x02" "cd" "\x01" "e" "\x00", 10);

    ntcp_buf_reset(&b);
    CHECK_EQ_INT(ntcp_nmf_put_fault(&b, "EndpointNotFound"), NTCP_OK);
    const char *full = "http://schemas.microsoft.com/ws/2006/05/framing/faults/EndpointNotFound";
    CHECK_EQ_INT(b.len, 2 + strlen(full));
    CHECK_EQ_INT(b.data[0], 0x08);
    CHECK_EQ_INT(b.data[1], strlen(full));
    CHECK(memcmp(b.data + 2, full, strlen(full)) == 0);

    /* a 300-byte envelope needs a 2-byte size: 06 ac 02 */
    uint8_t big[300];
    memset(big, 'x', sizeof big);
    ntcp_buf_reset(&b);
    CHECK_EQ_INT(ntcp_nmf_put_sized_envelope(&b, big, sizeof big), NTCP_OK);
    CHECK_BYTES(b.data, 3, "\x06\xac\x02", 3);
    CHECK_EQ_INT(b.len, 303);
    /* the header alone: the same first bytes; no size 0, nothing written on refusal */
    ntcp_buf_reset(&b);
    CHECK_EQ_INT(ntcp_nmf_put_sized_envelope_header(&b, sizeof big), NTCP_OK);
    CHECK_BYTES(b.data, b.len, "\x06\xac\x02", 3);
    CHECK_EQ_INT(ntcp_nmf_put_sized_envelope_header(&b, 0), NTCP_E_INVALID_ARG);
    CHECK_EQ_INT(ntcp_nmf_put_sized_envelope_header(&b, (size_t)NTCP_VARINT_MAX_VALUE + 1), NTCP_E_INVALID_ARG);
    CHECK_EQ_INT(b.len, 3);
    ntcp_buf_free(&b);
}

TEST(nmf_names_and_catalogue)
{
    CHECK_EQ_STR(ntcp_nmf_record_name(0x00), "Version");
    CHECK_EQ_STR(ntcp_nmf_record_name(0x05), "UnsizedEnvelope");
    CHECK_EQ_STR(ntcp_nmf_record_name(0x0C), "PreambleEnd");
    CHECK(ntcp_nmf_record_name(0x0D) == NULL);
    CHECK_EQ_STR(ntcp_nmf_encoding_content_type(8), "application/soap+msbinsession1");
    CHECK_EQ_INT(ntcp_nmf_encoding_from_content_type("application/soap+msbin1", 23), 7);
    CHECK_EQ_INT(ntcp_nmf_encoding_from_content_type("application/soap+msbin", 22), -1);
    const char *f = "http://schemas.microsoft.com/ws/2006/05/framing/faults/MaxMessageSizeExceededFault";
    CHECK_EQ_INT(ntcp_nmf_fault_status(f, strlen(f)), NTCP_E_MESSAGE_TOO_LARGE);
    CHECK_EQ_INT(ntcp_nmf_fault_status("ContentTypeInvalid", 18), NTCP_E_CONTENT_TYPE_INVALID);
    CHECK_EQ_INT(ntcp_nmf_fault_status("Whatever", 8), NTCP_E_FAULT);
    CHECK_EQ_STR(ntcp_nmf_status_fault(NTCP_E_VIA_TOO_LONG),
                 "http://schemas.microsoft.com/ws/2006/05/framing/faults/ViaTooLong");
    CHECK(ntcp_nmf_status_fault(NTCP_E_TIMEOUT) == NULL);
}

/* Every proper prefix of a valid stream ends inside a record or between
 * records: finish() reports truncated exactly when a record was cut. */
static void truncation_at_every_offset(const char *file, const size_t *bounds, size_t nbounds)
{
    size_t n;
    unsigned char *t = ntcp_test_read_vector(file, &n);
    CHECK(t != NULL);
    if (!t)
        return;
    ntcp_capture cap;
    CHECK_EQ_INT(ntcp_capture_load(&cap, t, n, 1 << 20), NTCP_OK);
    const uint8_t *p = cap.dir[0].data;
    size_t len = cap.dir[0].len;
    CHECK_EQ_INT(bounds[nbounds - 1], len);
    for (size_t cut = 0; cut <= len; cut++) {
        ntcp_buf sum, re;
        ntcp_buf_init(&sum, 1 << 20);
        ntcp_buf_init(&re, 1 << 20);
        size_t eo = 0;
        ntcp_status st = decode_stream(p, cut, NTCP_FROM_INITIATOR, NTCP_START_PREAMBLE, 0, NULL, &sum, &re, &eo);
        bool boundary = false;
        for (size_t i = 0; i < nbounds; i++)
            boundary |= bounds[i] == cut;
        CHECK_EQ_INT(st, boundary ? NTCP_OK : NTCP_E_TRUNCATED);
        if (!boundary)
            CHECK_EQ_INT(eo, cut);
        CHECK_BYTES(re.data, re.len, p, re.len); /* what was decoded is a prefix */
        ntcp_buf_free(&sum);
        ntcp_buf_free(&re);
    }
    ntcp_capture_free(&cap);
    free(t);
}

TEST(nmf_truncation_at_every_offset)
{
    if (ntcp_test_external_missing(NTCP_WCF_TRACE))
        return;
    /* record boundaries of the client stream */
    size_t bounds[] = { 0, 3, 5, 43, 45, 46, 46 + 179, 46 + 179 + 68, 46 + 179 + 68 + 1 };
    truncation_at_every_offset(NTCP_WCF_TRACE, bounds, sizeof bounds / sizeof bounds[0]);
}

TEST(nmf_truncation_at_every_offset_mono)
{
    /* Version, Mode, Via, KnownEncoding, PreambleEnd, two SizedEnvelopes (220 and 208 bytes), End */
    size_t bounds[] = { 0, 3, 5, 37, 39, 40, 40 + 223, 40 + 223 + 211, 40 + 223 + 211 + 1 };
    truncation_at_every_offset("vectors/mono-nettcp-exchange.hex", bounds, sizeof bounds / sizeof bounds[0]);
}

static ntcp_status decode_hex(const char *hex, ntcp_nmf_direction dir, const ntcp_framing_limits *lim, size_t *eo,
                              ntcp_buf *sum)
{
    size_t n;
    unsigned char *p = ntcp_test_hex(hex, &n);
    ntcp_buf re;
    ntcp_buf_init(&re, 1 << 20);
    ntcp_status st = decode_stream(p, n, dir, NTCP_START_PREAMBLE, 1, lim, sum, &re, eo);
    ntcp_buf_free(&re);
    free(p);
    return st;
}

#define PRE "000100 0102 0203 612f62 0308 "

TEST(nmf_decoder_errors)
{
    ntcp_buf sum;
    ntcp_buf_init(&sum, 1 << 16);
    size_t eo;
    /* varint with a 6th byte / over-range 5th byte as an envelope size */
    CHECK_EQ_INT(decode_hex(PRE "0c 06 8080808080 00", NTCP_FROM_INITIATOR, NULL, &eo, &sum), NTCP_E_VARINT);
    CHECK_EQ_INT(eo, 14); /* offset of the size varint */
    CHECK_EQ_INT(decode_hex(PRE "0c 06 ffffffff08", NTCP_FROM_INITIATOR, NULL, &eo, &sum), NTCP_E_VARINT);
    /* size lies: bigger than the quota (65536) -> message_too_large before any payload is read */
    CHECK_EQ_INT(decode_hex(PRE "0c 06 818004 00", NTCP_FROM_INITIATOR, NULL, &eo, &sum), NTCP_E_MESSAGE_TOO_LARGE);
    CHECK_EQ_INT(eo, 14);
    /* exactly the quota is fine, one more is not */
    ntcp_framing_limits small;
    ntcp_framing_limits_init(&small);
    small.max_message = 3;
    CHECK_EQ_INT(decode_hex(PRE "0c 06 03 616263 07", NTCP_FROM_INITIATOR, &small, &eo, &sum), NTCP_OK);
    CHECK_EQ_INT(decode_hex(PRE "0c 06 04 61626364 07", NTCP_FROM_INITIATOR, &small, &eo, &sum),
                 NTCP_E_MESSAGE_TOO_LARGE);
    /* unsized chunks add up past the quota */
    CHECK_EQ_INT(decode_hex("000100 0101 0203612f62 0307 0c 05 02 6162 02 6364 00", NTCP_FROM_INITIATOR, &small, &eo,
                            &sum),
                 NTCP_E_MESSAGE_TOO_LARGE);
    /* zero sizes */
    CHECK_EQ_INT(decode_hex(PRE "0c 06 00", NTCP_FROM_INITIATOR, NULL, &eo, &sum), NTCP_E_ZERO_SIZE);
    CHECK_EQ_INT(decode_hex(PRE "09 00", NTCP_FROM_INITIATOR, NULL, &eo, &sum), NTCP_E_ZERO_SIZE);
    CHECK_EQ_INT(decode_hex("000100 0101 0203612f62 0307 0c 05 00", NTCP_FROM_INITIATOR, NULL, &eo, &sum),
                 NTCP_E_ZERO_SIZE);
    /* version, mode */
    CHECK_EQ_INT(decode_hex("000200", NTCP_FROM_INITIATOR, NULL, &eo, &sum), NTCP_E_UNSUPPORTED_VERSION);
    CHECK_EQ_INT(eo, 1);
    CHECK_EQ_INT(decode_hex("000101", NTCP_FROM_INITIATOR, NULL, &eo, &sum), NTCP_OK); /* minor ignored */
    CHECK_EQ_INT(decode_hex("000100 0105", NTCP_FROM_INITIATOR, NULL, &eo, &sum), NTCP_E_UNSUPPORTED_MODE);
    /* via too long: 2049 bytes declared */
    CHECK_EQ_INT(decode_hex("000100 0102 02 8110", NTCP_FROM_INITIATOR, NULL, &eo, &sum), NTCP_E_VIA_TOO_LONG);
    CHECK_EQ_INT(eo, 6);
    CHECK_EQ_INT(decode_hex("000100 0102 02 8010", NTCP_FROM_INITIATOR, NULL, &eo, &sum), NTCP_E_TRUNCATED);
    /* content type / upgrade name too long (257) */
    CHECK_EQ_INT(decode_hex("000100 0102 0203612f62 04 8102", NTCP_FROM_INITIATOR, NULL, &eo, &sum),
                 NTCP_E_CONTENT_TYPE_TOO_LONG);
    CHECK_EQ_INT(decode_hex(PRE "09 8102", NTCP_FROM_INITIATOR, NULL, &eo, &sum), NTCP_E_CONTENT_TYPE_TOO_LONG);
    /* unknown record type, out of order records */
    CHECK_EQ_INT(decode_hex("0d", NTCP_FROM_INITIATOR, NULL, &eo, &sum), NTCP_E_UNKNOWN_RECORD);
    CHECK_EQ_INT(decode_hex("0102", NTCP_FROM_INITIATOR, NULL, &eo, &sum), NTCP_E_RECORD_SEQUENCE);
    CHECK_EQ_INT(decode_hex(PRE "06 01 61", NTCP_FROM_INITIATOR, NULL, &eo, &sum), NTCP_E_RECORD_SEQUENCE);
    CHECK_EQ_INT(eo, 12);
    CHECK_EQ_INT(decode_hex(PRE "0c 0b", NTCP_FROM_INITIATOR, NULL, &eo, &sum), NTCP_E_RECORD_SEQUENCE);
    CHECK_EQ_INT(decode_hex("0b 0b", NTCP_FROM_RECEIVER, NULL, &eo, &sum), NTCP_E_RECORD_SEQUENCE);
    CHECK_EQ_INT(decode_hex("0c", NTCP_FROM_RECEIVER, NULL, &eo, &sum), NTCP_E_RECORD_SEQUENCE);
    /* singleton-unsized: one envelope, then End */
    CHECK_EQ_INT(decode_hex("000100 0101 0203612f62 0307 0c 05 0161 00 05 0162 00", NTCP_FROM_INITIATOR, NULL, &eo,
                            &sum),
                 NTCP_E_RECORD_SEQUENCE);
    /* fault text over the 256-byte quota */
    CHECK_EQ_INT(decode_hex("08 8102", NTCP_FROM_RECEIVER, NULL, &eo, &sum), NTCP_E_LIMIT);
    /* nothing after a fault */
    CHECK_EQ_INT(decode_hex("08 0161 0b", NTCP_FROM_RECEIVER, NULL, &eo, &sum), NTCP_E_RECORD_SEQUENCE);
    ntcp_buf_free(&sum);
}

TEST(nmf_decoder_modes_and_reuse)
{
    ntcp_buf sum;
    ntcp_buf_init(&sum, 1 << 16);
    size_t eo;
    /* simplex: envelopes right after the encoding */
    CHECK_EQ_INT(decode_hex("000100 0103 0203612f62 0307 06 0161 06 0162 07", NTCP_FROM_INITIATOR, NULL, &eo, &sum),
                 NTCP_OK);
    CHECK_EQ_INT(ntcp_buf_put_u8(&sum, 0), NTCP_OK);
    CHECK_EQ_STR((const char *)sum.data, "Version 1.0|Mode 3|Via a/b|KnownEncoding 7|SizedEnvelope 1|SizedEnvelope 1|End");
    /* singleton-sized: the rest of the stream is the message */
    ntcp_buf_reset(&sum);
    CHECK_EQ_INT(decode_hex("000100 0104 0203612f62 0307 56020b", NTCP_FROM_INITIATOR, NULL, &eo, &sum), NTCP_OK);
    /* duplex with upgrade, then reuse of the connection with a fresh preamble */
    ntcp_buf_reset(&sum);
    CHECK_EQ_INT(decode_hex(PRE "0c 06 0161 07 " PRE "0c 07", NTCP_FROM_INITIATOR, NULL, &eo, &sum), NTCP_OK);
    CHECK_EQ_INT(ntcp_buf_put_u8(&sum, 0), NTCP_OK);
    CHECK_EQ_STR((const char *)sum.data, "Version 1.0|Mode 2|Via a/b|KnownEncoding 8|PreambleEnd|SizedEnvelope 1|End|"
                                         "Version 1.0|Mode 2|Via a/b|KnownEncoding 8|PreambleEnd|End");
    ntcp_buf_reset(&sum);
    CHECK_EQ_INT(decode_hex("0a", NTCP_FROM_RECEIVER, NULL, &eo, &sum), NTCP_OK);
    ntcp_buf_free(&sum);
}

TEST(nmf_decoder_stops_at_upgrade_and_starts_after_it)
{
    size_t n;
    unsigned char *p = ntcp_test_hex(PRE "0915 6170706c69636174696f6e2f6e65676f7469617465 16010000", &n);
    ntcp_nmf_decoder *d;
    CHECK_EQ_INT(ntcp_nmf_decoder_new(&d, NTCP_FROM_INITIATOR, NTCP_START_PREAMBLE, NULL), NTCP_OK);
    size_t off = 0, used;
    ntcp_nmf_record r;
    int records = 0;
    ntcp_status st;
    while ((st = ntcp_nmf_decoder_feed(d, p + off, n - off, &used, &r)) == NTCP_OK) {
        off += used;
        records++;
    }
    off += used;
    CHECK_EQ_INT(records, 5);
    CHECK_EQ_INT(st, NTCP_E_STATE);
    CHECK(ntcp_nmf_decoder_at_upgrade(d));
    CHECK_EQ_INT(off, n - 4); /* the NNS bytes were not consumed */
    ntcp_nmf_decoder_resume_after_upgrade(d);
    const uint8_t after[] = { 0x0c, 0x06, 0x01, 0x61, 0x07 };
    CHECK_EQ_INT(ntcp_nmf_decoder_feed(d, after, sizeof after, &used, &r), NTCP_OK);
    CHECK_EQ_INT(r.type, NTCP_NMF_PREAMBLE_END);
    ntcp_nmf_decoder_free(d);
    free(p);

    /* a capture that begins right after the upgrade */
    ntcp_buf sum, re;
    ntcp_buf_init(&sum, 4096);
    ntcp_buf_init(&re, 4096);
    const uint8_t c2s[] = { 0x0c, 0x06, 0x02, 0x56, 0x02, 0x07 };
    CHECK_EQ_INT(decode_stream(c2s, sizeof c2s, NTCP_FROM_INITIATOR, NTCP_START_AFTER_UPGRADE, 1, NULL, &sum, &re,
                               NULL),
                 NTCP_OK);
    CHECK_EQ_INT(ntcp_buf_put_u8(&sum, 0), NTCP_OK);
    CHECK_EQ_STR((const char *)sum.data, "PreambleEnd|SizedEnvelope 2|End");
    ntcp_buf_free(&sum);
    ntcp_buf_free(&re);
}

TEST(capture_formats)
{
    ntcp_capture cap;
    const char *bad = "C->S 0001zz\n";
    CHECK_EQ_INT(ntcp_capture_load(&cap, (const uint8_t *)bad, strlen(bad), 1024), NTCP_E_MALFORMED);
    CHECK_EQ_INT(cap.error_line, 1);
    ntcp_capture_free(&cap);
    const uint8_t raw[] = { 0x0b, 0x06, 0x01, 0x00 };
    CHECK_EQ_INT(ntcp_capture_load(&cap, raw, sizeof raw, 1024), NTCP_OK);
    CHECK_EQ_INT(cap.format, NTCP_CAPTURE_RAW);
    CHECK(!cap.has[0] && cap.has[1]);
    CHECK_BYTES(cap.dir[1].data, cap.dir[1].len, raw, sizeof raw);
    ntcp_capture_free(&cap);
    CHECK_EQ_INT(ntcp_capture_load(&cap, raw, sizeof raw, 2), NTCP_E_LIMIT);
    ntcp_capture_free(&cap);
    /* hex without a direction, then directed lines: whose bytes were those? */
    const char *mixed = "\n0c0b\nS->C 0b\n";
    CHECK_EQ_INT(ntcp_capture_load(&cap, (const uint8_t *)mixed, strlen(mixed), 1024), NTCP_E_MALFORMED);
    CHECK_EQ_INT(cap.error_line, 2);
    ntcp_capture_free(&cap);
    const char *blank_first = "\n \nS->C 0b\n";
    CHECK_EQ_INT(ntcp_capture_load(&cap, (const uint8_t *)blank_first, strlen(blank_first), 1024), NTCP_OK);
    CHECK(!cap.has[0] && cap.has[1] && cap.dir[0].len == 0);
    ntcp_capture_free(&cap);
}
