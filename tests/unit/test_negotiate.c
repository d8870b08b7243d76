/* MS-NNS frame codecs and the initiator/acceptor state machines, driven by a
 * test double provider (the real GSSAPI provider is covered end to end in
 * tests/e2e/nns.sh against a real KDC). */
#include <stdlib.h>
#include "test.h"
#include <nettcp/negotiate.h>
#include "negotiate/frames.h"

/* ---- frame codecs ---------------------------------------------------------- */
static void check_hex(const char *file, int line, const ntcp_buf *b, const char *hex)
{
    size_t wl;
    unsigned char *want = ntcp_test_hex(hex, &wl);
    ntcp_test_check_bytes(file, line, "buffer", b->data, b->len, want, wl);
    free(want);
}
#define CHECK_HEX(b, hex) check_hex(__FILE__, __LINE__, (b), (hex))

TEST(nns_handshake_encode_exact)
{
    ntcp_buf b;
    ntcp_buf_init(&b, 1 << 20);
    CHECK_EQ_INT(ntcp_nns_put_handshake(&b, 0x16, (const uint8_t *)"abc", 3), NTCP_OK);
    CHECK_HEX(&b, "16 01 00 00 03 616263");
    ntcp_buf_reset(&b);
    CHECK_EQ_INT(ntcp_nns_put_handshake(&b, 0x14, NULL, 0), NTCP_OK);
    CHECK_HEX(&b, "14 01 00 00 00");
    /* the length is big-endian */
    ntcp_buf_reset(&b);
    uint8_t big[0x0102];
    memset(big, 0xAB, sizeof big);
    CHECK_EQ_INT(ntcp_nns_put_handshake(&b, 0x16, big, sizeof big), NTCP_OK);
    CHECK_EQ_INT(b.len, 5 + 0x0102);
    CHECK_BYTES(b.data, 5, "\x16\x01\x00\x01\x02", 5);
    ntcp_buf_reset(&b);
    uint8_t *huge = calloc(1, 0x10000);
    CHECK_EQ_INT(ntcp_nns_put_handshake(&b, 0x16, huge, 0xFFFF), NTCP_OK);
    CHECK_BYTES(b.data, 5, "\x16\x01\x00\xff\xff", 5);
    ntcp_buf_reset(&b);
    CHECK_EQ_INT(ntcp_nns_put_handshake(&b, 0x16, huge, 0x10000), NTCP_E_NNS_TOKEN_TOO_LARGE);
    CHECK_EQ_INT(ntcp_nns_put_handshake(&b, 0x17, huge, 1), NTCP_E_INVALID_ARG);
    CHECK_EQ_INT(b.len, 0);
    free(huge);
    ntcp_buf_free(&b);
}

TEST(nns_error_frame_big_endian_out_both_orders_in)
{
    ntcp_buf b;
    ntcp_buf_init(&b, 1024);
    CHECK_EQ_INT(ntcp_nns_put_error(&b, NTCP_WIN_ERROR_TRUST_FAILURE), NTCP_OK);
    CHECK_HEX(&b, "15 01 00 00 08 00 00 00 00 00 00 06 FE");
    ntcp_buf_reset(&b);
    CHECK_EQ_INT(ntcp_nns_put_error(&b, NTCP_SEC_E_LOGON_DENIED), NTCP_OK);
    CHECK_HEX(&b, "15 01 00 00 08 00 00 00 00 80 09 03 0C");
    ntcp_buf_free(&b);

    uint32_t code = 0;
    bool be = false;
    const uint8_t be_p[] = { 0, 0, 0, 0, 0x80, 0x09, 0x03, 0x0C };
    CHECK(ntcp_nns_error_code(be_p, 8, &code, &be));
    CHECK_EQ_INT(code, 0x8009030Cu);
    CHECK(be);
    const uint8_t le_p[] = { 0x0C, 0x03, 0x09, 0x80, 0, 0, 0, 0 };
    CHECK(ntcp_nns_error_code(le_p, 8, &code, &be));
    CHECK_EQ_INT(code, 0x8009030Cu);
    CHECK(!be);
    const uint8_t le_1790[] = { 0xFE, 0x06, 0, 0, 0, 0, 0, 0 };
    CHECK(ntcp_nns_error_code(le_1790, 8, &code, &be));
    CHECK_EQ_INT(code, 1790);
    /* longer payloads: only the first 8 bytes count */
    const uint8_t longer[] = { 0, 0, 0, 0, 0, 0, 0x06, 0xFE, 0x99, 0x99 };
    CHECK(ntcp_nns_error_code(longer, sizeof longer, &code, &be));
    CHECK_EQ_INT(code, 1790);
    for (size_t k = 0; k < 8; k++)
        CHECK(!ntcp_nns_error_code(be_p, k, &code, &be));
}

TEST(nns_handshake_decode_truncation_and_lies)
{
    const uint8_t msg[] = { 0x16, 0x02, 0x05, 0x00, 0x03, 'x', 'y', 'z', 0xEE };
    ntcp_nns_handshake m;
    size_t used = 0;
    CHECK_EQ_INT(ntcp_nns_decode_handshake(msg, sizeof msg, 0xFFFF, &m, &used), NTCP_OK);
    CHECK_EQ_INT(used, 8);
    CHECK_EQ_INT(m.id, 0x16);
    CHECK_EQ_INT(m.major, 2); /* ignored, but reported */
    CHECK_EQ_INT(m.len, 3);
    CHECK_BYTES(m.payload, m.len, "xyz", 3);
    for (size_t k = 0; k < 8; k++)
        CHECK_EQ_INT(ntcp_nns_decode_handshake(msg, k, 0xFFFF, &m, &used), NTCP_AGAIN);
    /* a length larger than the limit is refused before waiting for it */
    CHECK_EQ_INT(ntcp_nns_decode_handshake(msg, 5, 2, &m, &used), NTCP_E_NNS_TOKEN_TOO_LARGE);
    const uint8_t lie[] = { 0x14, 0x01, 0x00, 0xFF, 0xFF, 0x00 };
    CHECK_EQ_INT(ntcp_nns_decode_handshake(lie, sizeof lie, 0xFFFF, &m, &used), NTCP_AGAIN);
    CHECK_EQ_INT(ntcp_nns_decode_handshake(lie, sizeof lie, 1000, &m, &used), NTCP_E_NNS_TOKEN_TOO_LARGE);
    for (int id = 0; id < 256; id++) {
        uint8_t h[5] = { (uint8_t)id, 1, 0, 0, 0 };
        ntcp_status want = (id >= 0x14 && id <= 0x16) ? NTCP_OK : NTCP_E_NNS_MESSAGE_ID;
        CHECK_EQ_INT(ntcp_nns_decode_handshake(h, 5, 0xFFFF, &m, &used), want);
        /* the id is judged from its first byte alone */
        if (want != NTCP_OK)
            CHECK_EQ_INT(ntcp_nns_decode_handshake(h, 1, 0xFFFF, &m, &used), NTCP_E_NNS_MESSAGE_ID);
    }
}

TEST(nns_data_header_exact_and_limits)
{
    ntcp_buf b;
    ntcp_buf_init(&b, 64);
    CHECK_EQ_INT(ntcp_nns_put_data_header(&b, 5), NTCP_OK);
    CHECK_EQ_INT(ntcp_nns_put_data_header(&b, 0xFC4C), NTCP_OK);
    CHECK_EQ_INT(ntcp_nns_put_data_header(&b, 65536), NTCP_OK);
    CHECK_HEX(&b, "05000000 4cfc0000 00000100");
    CHECK_EQ_INT(ntcp_nns_put_data_header(&b, 4), NTCP_E_NNS_FRAME_SIZE);
    CHECK_EQ_INT(ntcp_nns_put_data_header(&b, 0), NTCP_E_NNS_FRAME_SIZE);
    CHECK_EQ_INT(ntcp_nns_put_data_header(&b, 65537), NTCP_E_NNS_FRAME_SIZE);
    CHECK_EQ_INT(b.len, 12);
    ntcp_buf_free(&b);
    size_t pl = 0;
    const uint8_t ok[] = { 0x00, 0x00, 0x01, 0x00 };
    CHECK_EQ_INT(ntcp_nns_decode_data_header(ok, 4, 65536, &pl), NTCP_OK);
    CHECK_EQ_INT(pl, 65536);
    for (size_t k = 0; k < 4; k++)
        CHECK_EQ_INT(ntcp_nns_decode_data_header(ok, k, 65536, &pl), NTCP_AGAIN);
    const uint8_t over[] = { 0x01, 0x00, 0x01, 0x00 };
    CHECK_EQ_INT(ntcp_nns_decode_data_header(over, 4, 65536, &pl), NTCP_E_NNS_FRAME_SIZE);
    const uint8_t four[] = { 0x04, 0, 0, 0 }, zero[] = { 0, 0, 0, 0 }, huge[] = { 0xff, 0xff, 0xff, 0xff };
    CHECK_EQ_INT(ntcp_nns_decode_data_header(four, 4, 65536, &pl), NTCP_E_NNS_FRAME_SIZE);
    CHECK_EQ_INT(ntcp_nns_decode_data_header(zero, 4, 65536, &pl), NTCP_E_NNS_FRAME_SIZE);
    CHECK_EQ_INT(ntcp_nns_decode_data_header(huge, 4, 65536, &pl), NTCP_E_NNS_FRAME_SIZE);
    /* big-endian reading would give 5: make sure it is little-endian */
    const uint8_t be5[] = { 0, 0, 0, 5 };
    CHECK_EQ_INT(ntcp_nns_decode_data_header(be5, 4, 65536, &pl), NTCP_E_NNS_FRAME_SIZE);
    /* a smaller configured limit */
    const uint8_t k2[] = { 0x01, 0x08, 0, 0 };
    CHECK_EQ_INT(ntcp_nns_decode_data_header(k2, 4, 2048, &pl), NTCP_E_NNS_FRAME_SIZE);
}

TEST(nns_ntlm_signature_reordering_exact)
{
    /* gss-ntlmssp: [sealed data][signature]; Windows: [signature][sealed data] */
    size_t n;
    unsigned char *gss = ntcp_test_hex("d1d2d3d4d5 01000000 a1a2a3a4a5a6a7a8 00000000", &n);
    CHECK_EQ_INT(n, 21);
    CHECK_EQ_INT(ntcp_nns_ntlm_signature_to_front(gss, n), NTCP_OK);
    size_t wl;
    unsigned char *win = ntcp_test_hex("01000000 a1a2a3a4a5a6a7a8 00000000 d1d2d3d4d5", &wl);
    CHECK_BYTES(gss, n, win, wl);
    CHECK_EQ_INT(ntcp_nns_ntlm_signature_to_back(gss, n), NTCP_OK);
    unsigned char *back = ntcp_test_hex("d1d2d3d4d5 01000000 a1a2a3a4a5a6a7a8 00000000", &wl);
    CHECK_BYTES(gss, n, back, wl);
    /* signature only (empty data) stays as it is */
    uint8_t sig[16];
    for (int i = 0; i < 16; i++)
        sig[i] = (uint8_t)i;
    CHECK_EQ_INT(ntcp_nns_ntlm_signature_to_front(sig, 16), NTCP_OK);
    CHECK_EQ_INT(sig[0], 0);
    CHECK_EQ_INT(sig[15], 15);
    CHECK_EQ_INT(ntcp_nns_ntlm_signature_to_front(sig, 15), NTCP_E_NNS_FRAME_SIZE);
    CHECK_EQ_INT(ntcp_nns_ntlm_signature_to_back(sig, 0), NTCP_E_NNS_FRAME_SIZE);
    free(gss);
    free(win);
    free(back);
}

TEST(nns_mic_length)
{
    uint8_t cfx[40] = { 0x04, 0x04 };
    CHECK_EQ_INT(ntcp_nns_mic_length(NTCP_PACKAGE_KERBEROS, 18, cfx, sizeof cfx), 28);
    CHECK_EQ_INT(ntcp_nns_mic_length(NTCP_PACKAGE_KERBEROS, 17, cfx, sizeof cfx), 28);
    CHECK_EQ_INT(ntcp_nns_mic_length(NTCP_PACKAGE_KERBEROS, 20, cfx, sizeof cfx), 40);
    CHECK_EQ_INT(ntcp_nns_mic_length(NTCP_PACKAGE_KERBEROS, 20, cfx, 39), 0);
    CHECK_EQ_INT(ntcp_nns_mic_length(NTCP_PACKAGE_KERBEROS, 99, cfx, sizeof cfx), 0);
    uint8_t rfc1964[] = { 0x60, 0x23, 1, 2, 3 };
    uint8_t big[0x30] = { 0x60, 0x23 };
    CHECK_EQ_INT(ntcp_nns_mic_length(NTCP_PACKAGE_KERBEROS, 23, rfc1964, sizeof rfc1964), 0);
    CHECK_EQ_INT(ntcp_nns_mic_length(NTCP_PACKAGE_KERBEROS, 23, big, sizeof big), 0x25);
    CHECK_EQ_INT(ntcp_nns_mic_length(NTCP_PACKAGE_NTLM, 0, big, sizeof big), 16);
    CHECK_EQ_INT(ntcp_nns_mic_length(NTCP_PACKAGE_NTLM, 0, big, 15), 0);
    CHECK_EQ_INT(ntcp_nns_mic_length(NTCP_PACKAGE_KERBEROS, 18, big, 0), 0);
}

TEST(nns_target_names)
{
    char t[64];
    bool upn = true;
    CHECK_EQ_INT(ntcp_nns_target_name("dns:svc.example.com", NULL, t, sizeof t, &upn), NTCP_OK);
    CHECK_EQ_STR(t, "host/svc.example.com");
    CHECK(!upn);
    CHECK_EQ_INT(ntcp_nns_target_name("spn:HTTP/x:8080", "ignored", t, sizeof t, &upn), NTCP_OK);
    CHECK_EQ_STR(t, "HTTP/x:8080");
    CHECK_EQ_INT(ntcp_nns_target_name("upn:svcacct@EXAMPLE.COM", NULL, t, sizeof t, &upn), NTCP_OK);
    CHECK_EQ_STR(t, "svcacct@EXAMPLE.COM");
    CHECK(upn);
    CHECK_EQ_INT(ntcp_nns_target_name(NULL, "box.corp", t, sizeof t, &upn), NTCP_OK);
    CHECK_EQ_STR(t, "host/box.corp");
    CHECK(!upn);
    CHECK_EQ_INT(ntcp_nns_target_name("none", "box.corp", t, sizeof t, NULL), NTCP_OK);
    CHECK_EQ_STR(t, "host/box.corp");
    CHECK_EQ_INT(ntcp_nns_target_name(NULL, NULL, t, sizeof t, NULL), NTCP_E_INVALID_ARG);
    CHECK_EQ_INT(ntcp_nns_target_name("rsa:abc", "h", t, sizeof t, NULL), NTCP_E_INVALID_ARG);
    CHECK_EQ_INT(ntcp_nns_target_name("upn:nodomain", "h", t, sizeof t, NULL), NTCP_E_INVALID_ARG);
    CHECK_EQ_INT(ntcp_nns_target_name("dns:", "h", t, sizeof t, NULL), NTCP_E_INVALID_ARG);
    CHECK_EQ_INT(ntcp_nns_target_name("dns:a-very-long-name-that-does-not-fit-in-64-bytes.example.com.example.org", NULL, t,
                                      sizeof t, NULL),
                 NTCP_E_LIMIT);
}

/* Identities compared as Kerberos principals (what a KDC returns, not the spelling asked for). */
TEST(krb_name_matches)
{
    /* SPN, with or without a realm on either side, components in any case */
    CHECK(ntcp_krb_name_matches("host/svc.nettcp.test", false, "host/svc.nettcp.test@NETTCP.TEST"));
    CHECK(ntcp_krb_name_matches("HOST/Svc.Nettcp.Test", false, "host/svc.nettcp.test@NETTCP.TEST"));
    CHECK(ntcp_krb_name_matches("host/svc.nettcp.test@NETTCP.TEST", false, "host/svc.nettcp.test@NETTCP.TEST"));
    CHECK(ntcp_krb_name_matches("host/svc.nettcp.test@nettcp.test", false, "host/svc.nettcp.test@NETTCP.TEST"));
    CHECK(!ntcp_krb_name_matches("host/svc.nettcp.test@OTHER.TEST", false, "host/svc.nettcp.test@NETTCP.TEST"));
    CHECK(!ntcp_krb_name_matches("host/svc.nettcp.test", false, "host/box.nettcp.test@NETTCP.TEST"));
    CHECK(!ntcp_krb_name_matches("host/svc.nettcp.test", false, "host/svc.nettcp.test/x@NETTCP.TEST"));
    CHECK(!ntcp_krb_name_matches("host/svc", false, "host/svc.nettcp.test@NETTCP.TEST"));
    CHECK(!ntcp_krb_name_matches("host", false, "host/x@R"));
    /* a name the reported one only starts with */
    CHECK(!ntcp_krb_name_matches("host/sv", false, "host/svc@R"));
    /* UPN: AD's enterprise form, the canonical form, MIT's plain form, the realm in either case */
    CHECK(ntcp_krb_name_matches("svcwcf@AD.NETTCP.TEST", true, "svcwcf\\@AD.NETTCP.TEST@AD.NETTCP.TEST"));
    CHECK(ntcp_krb_name_matches("svcwcf@ad.nettcp.test", true, "svcwcf\\@AD.NETTCP.TEST@AD.NETTCP.TEST"));
    CHECK(ntcp_krb_name_matches("svcwcf@ad.nettcp.test", true, "svcwcf@AD.NETTCP.TEST"));
    CHECK(ntcp_krb_name_matches("svcacct@NETTCP.TEST", true, "svcacct@NETTCP.TEST"));
    CHECK(ntcp_krb_name_matches("svcwcf@corp.example", true, "svcwcf\\@corp.example@AD.NETTCP.TEST"));
    CHECK(!ntcp_krb_name_matches("svcwcf@corp.example", true, "svcwcf@AD.NETTCP.TEST"));
    CHECK(!ntcp_krb_name_matches("svcwcf@AD.NETTCP.TEST", true, "other\\@AD.NETTCP.TEST@AD.NETTCP.TEST"));
    CHECK(!ntcp_krb_name_matches("svcwcf@AD.NETTCP.TEST", true, "host/svcwcf@AD.NETTCP.TEST"));
    CHECK(!ntcp_krb_name_matches("svcwcf@AD.NETTCP.TEST", true, "svcwc@AD.NETTCP.TEST"));
    /* names that do not parse never match */
    CHECK(!ntcp_krb_name_matches("host/x", false, "host/x@R@S"));
    CHECK(!ntcp_krb_name_matches("host/x", false, "host/x\\"));
    CHECK(!ntcp_krb_name_matches("host/x", false, ""));
    CHECK(!ntcp_krb_name_matches(NULL, false, "host/x@R"));
}

/* ---- the test double ----------------------------------------------------------- */
typedef enum { FAKE_KRB_MUTUAL, FAKE_KRB_NO_MUTUAL, FAKE_NTLM } fake_flow;

typedef struct fake {
    fake_flow flow;
    uint32_t flags;          /* ret_flags reported */
    bool fail_acquire, fail_accept;
    uint32_t fail_minor;
    int calls;
    bool service_later;      /* inquire leaves the service name to f_service_name */
    int service_asked;       /* f_service_name calls */
} fake;

static ntcp_status f_acquire(void *self, const ntcp_nns_options *o, bool initiator, void **cred, ntcp_nns_error *err)
{
    fake *f = self;
    if (f->fail_acquire) {
        err->major = 7u << 16; /* GSS_S_NO_CRED */
        err->minor = f->fail_minor;
        err->krb5_error = f->fail_minor ? (long)(int32_t)f->fail_minor + 1765328384L : -1;
        snprintf(err->gss_text, sizeof err->gss_text, "No credentials were supplied");
        return NTCP_E_NO_CREDENTIALS;
    }
    *cred = f;
    return NTCP_OK;
}

static ntcp_status put_tok(ntcp_buf *out, const char *s) { return ntcp_buf_append(out, s, strlen(s)); }

static bool tok_is(const uint8_t *in, size_t len, const char *s)
{
    return len == strlen(s) && !memcmp(in, s, len);
}

static ntcp_status f_init(void *self, void *cred, void **ctx, const ntcp_nns_options *o, const ntcp_nns_target *t,
                          uint32_t req_flags, const uint8_t *in, size_t in_len, ntcp_buf *out, bool *complete,
                          ntcp_nns_error *err)
{
    fake *f = self;
    int leg = f->calls++;
    *ctx = f;
    switch (f->flow) {
    case FAKE_KRB_MUTUAL:
        if (leg == 0) {
            *complete = false;
            return put_tok(out, "AP-REQ");
        }
        if (leg == 1 && tok_is(in, in_len, "AP-REP")) {
            *complete = true;
            return NTCP_OK;
        }
        break;
    case FAKE_KRB_NO_MUTUAL:
        if (leg == 0) {
            *complete = true;
            return put_tok(out, "AP-REQ");
        }
        break;
    case FAKE_NTLM:
        if (leg == 0) {
            *complete = false;
            return put_tok(out, "NEGOTIATE");
        }
        if (leg == 1 && tok_is(in, in_len, "CHALLENGE")) {
            *complete = true;
            return put_tok(out, "AUTHENTICATE");
        }
        break;
    }
    err->major = 9u << 16; /* DEFECTIVE_TOKEN */
    return NTCP_E_AUTH_FAILED;
}

static ntcp_status f_accept(void *self, void *cred, void **ctx, const uint8_t *in, size_t in_len, ntcp_buf *out,
                            bool *complete, ntcp_nns_error *err)
{
    fake *f = self;
    int leg = f->calls++;
    *ctx = f;
    if (f->fail_accept) {
        err->major = 13u << 16;
        err->minor = f->fail_minor;
        err->krb5_error = f->fail_minor ? (long)(int32_t)f->fail_minor + 1765328384L : -1;
        snprintf(err->mech, sizeof err->mech, "%s", f->flow == FAKE_NTLM ? "NTLM" : "Kerberos");
        return NTCP_E_AUTH_FAILED;
    }
    switch (f->flow) {
    case FAKE_KRB_MUTUAL:
        if (leg == 0 && tok_is(in, in_len, "AP-REQ")) {
            *complete = true;
            return put_tok(out, "AP-REP");
        }
        break;
    case FAKE_KRB_NO_MUTUAL:
        if (leg == 0 && tok_is(in, in_len, "AP-REQ")) {
            *complete = true;
            return NTCP_OK;
        }
        break;
    case FAKE_NTLM:
        if (leg == 0 && tok_is(in, in_len, "NEGOTIATE")) {
            *complete = false;
            return put_tok(out, "CHALLENGE");
        }
        if (leg == 1 && tok_is(in, in_len, "AUTHENTICATE")) {
            *complete = true;
            return NTCP_OK;
        }
        break;
    }
    err->major = 9u << 16;
    return NTCP_E_AUTH_FAILED;
}

/* "wrap": 8-byte marker + data XOR 0x5A */
static ntcp_status f_wrap(void *self, void *ctx, bool conf, const uint8_t *in, size_t len, ntcp_buf *out,
                          ntcp_nns_error *err)
{
    ntcp_status s = ntcp_buf_append(out, "FAKEWRAP", 8);
    for (size_t i = 0; !s && i < len; i++)
        s = ntcp_buf_put_u8(out, in[i] ^ 0x5A);
    return s;
}

static ntcp_status f_unwrap(void *self, void *ctx, const uint8_t *in, size_t len, ntcp_buf *out, bool *conf,
                            ntcp_nns_error *err)
{
    if (len < 8 || memcmp(in, "FAKEWRAP", 8))
        return NTCP_E_MESSAGE_ALTERED;
    *conf = true;
    ntcp_status s = NTCP_OK;
    for (size_t i = 8; !s && i < len; i++)
        s = ntcp_buf_put_u8(out, in[i] ^ 0x5A);
    return s;
}

static void fake_mic(const fake *f, const uint8_t *msg, size_t len, uint8_t mic[28], size_t *ml)
{
    uint32_t sum = 0;
    for (size_t i = 0; i < len; i++)
        sum = sum * 31 + msg[i];
    memset(mic, 0xCC, 28);
    if (f->flow == FAKE_NTLM) {
        memcpy(mic, "\x01\x00\x00\x00", 4);
        *ml = 16;
    } else {
        mic[0] = 0x04; /* RFC 4121 MIC token shape, aes256-cts-hmac-sha1-96 */
        mic[1] = 0x04;
        *ml = 28;
    }
    memcpy(mic + 4, &sum, 4);
}

static ntcp_status f_get_mic(void *self, void *ctx, const uint8_t *msg, size_t len, ntcp_buf *out,
                             ntcp_nns_error *err)
{
    uint8_t mic[28];
    size_t ml;
    fake_mic(self, msg, len, mic, &ml);
    return ntcp_buf_append(out, mic, ml);
}

static ntcp_status f_verify_mic(void *self, void *ctx, const uint8_t *msg, size_t len, const uint8_t *mic,
                                size_t mic_len, ntcp_nns_error *err)
{
    uint8_t want[28];
    size_t ml;
    fake_mic(self, msg, len, want, &ml);
    return ml == mic_len && !memcmp(want, mic, ml) ? NTCP_OK : NTCP_E_MESSAGE_ALTERED;
}

static ntcp_status f_inquire(void *self, void *ctx, ntcp_nns_info *info, ntcp_nns_error *err)
{
    fake *f = self;
    info->package = f->flow == FAKE_NTLM ? NTCP_PACKAGE_NTLM : NTCP_PACKAGE_KERBEROS;
    info->flags = f->flags;
    info->complete = true;
    snprintf(info->client, sizeof info->client, "alice@TEST.LOCAL");
    if (!f->service_later)
        snprintf(info->service, sizeof info->service, "host/svc.test.local@TEST.LOCAL");
    info->session_key_size = 32;
    info->enctype = 18;
    return NTCP_OK;
}

static void f_free(void *self, void *p) {}

static void f_service_name(void *self, void *ctx, char *out, size_t cap)
{
    fake *f = self;
    f->service_asked++;
    snprintf(out, cap, "host/alias.test.local@TEST.LOCAL");
}

static ntcp_nns_provider fake_provider(fake *f)
{
    ntcp_nns_provider p = { "fake", f_acquire, f_init, f_accept, f_wrap, f_unwrap, f_get_mic, f_verify_mic,
                            f_inquire, NULL, f_free, f_free, f, NULL };
    return p;
}

#define FLAGS_ES (0x2u | 0x10u | 0x20u | 0x2000u) /* mutual, conf, integ, identify */

typedef struct pair {
    fake fc, fs;
    ntcp_nns_provider pc, ps;
    ntcp_nns *c, *s;
    ntcp_buf c_out, s_out, c_plain, s_plain;
} pair;

static void pair_init(pair *p, fake_flow flow, uint32_t cflags, uint32_t sflags, const ntcp_nns_options *co,
                      const ntcp_nns_options *so)
{
    memset(p, 0, sizeof *p);
    p->fc.flow = p->fs.flow = flow;
    p->fc.flags = cflags;
    p->fs.flags = sflags;
    p->pc = fake_provider(&p->fc);
    p->ps = fake_provider(&p->fs);
    ntcp_nns_options dc, ds;
    ntcp_nns_options_init(&dc);
    ntcp_nns_options_init(&ds);
    dc.identity = "spn:host/svc.test.local";
    CHECK_EQ_INT(ntcp_nns_new_initiator(&p->c, co ? co : &dc, &p->pc), NTCP_OK);
    CHECK_EQ_INT(ntcp_nns_new_acceptor(&p->s, so ? so : &ds, &p->ps), NTCP_OK);
    ntcp_buf_init(&p->c_out, 1 << 20);
    ntcp_buf_init(&p->s_out, 1 << 20);
    ntcp_buf_init(&p->c_plain, 1 << 20);
    ntcp_buf_init(&p->s_plain, 1 << 20);
}

static void pair_free(pair *p)
{
    ntcp_nns_free(p->c);
    ntcp_nns_free(p->s);
    ntcp_buf_free(&p->c_out);
    ntcp_buf_free(&p->s_out);
    ntcp_buf_free(&p->c_plain);
    ntcp_buf_free(&p->s_plain);
}

/* Delivers everything in `from` to `to` (whole), returns the status. */
static ntcp_status deliver(ntcp_nns *to, ntcp_buf *from, ntcp_buf *plain, ntcp_buf *out)
{
    size_t consumed = 0;
    ntcp_status s = ntcp_nns_recv(to, from->data, from->len, &consumed, plain, out);
    if (s == NTCP_OK || s == NTCP_AGAIN)
        CHECK_EQ_INT(consumed, from->len);
    ntcp_buf_reset(from);
    return s;
}

TEST(nns_kerberos_mutual_exact_bytes)
{
    pair p;
    pair_init(&p, FAKE_KRB_MUTUAL, FLAGS_ES, FLAGS_ES, NULL, NULL);
    CHECK_EQ_INT(ntcp_nns_start(p.c, &p.c_out), NTCP_OK);
    CHECK_HEX(&p.c_out, "16 01 00 00 06 41502d524551"); /* "AP-REQ" */
    CHECK_EQ_INT(deliver(p.s, &p.c_out, &p.s_plain, &p.s_out), NTCP_OK);
    CHECK_HEX(&p.s_out, "14 01 00 00 06 41502d524550"); /* "AP-REP" */
    CHECK(ntcp_nns_established(p.s));
    CHECK(!ntcp_nns_established(p.c));
    CHECK_EQ_INT(deliver(p.c, &p.s_out, &p.c_plain, &p.c_out), NTCP_OK);
    CHECK(ntcp_nns_established(p.c));
    CHECK_EQ_INT(p.c_out.len, 0);
    const ntcp_nns_result *r = ntcp_nns_get_result(p.c);
    CHECK(r != NULL);
    if (r) {
        CHECK_EQ_INT(r->package, NTCP_PACKAGE_KERBEROS);
        CHECK(r->mutual);
        CHECK_EQ_INT(r->protection, NTCP_PROTECTION_ENCRYPT_AND_SIGN);
        CHECK_EQ_STR(r->service, "host/svc.test.local@TEST.LOCAL");
        CHECK_EQ_STR(r->target, "host/svc.test.local");
        CHECK_EQ_INT(r->legs, 2);
    }
    r = ntcp_nns_get_result(p.s);
    CHECK(r && r->impersonation == NTCP_IMPERSONATION_IDENTIFICATION);
    /* data: 4-byte LE length, then the wrap token */
    CHECK_EQ_INT(ntcp_nns_send(p.c, (const uint8_t *)"hello", 5, &p.c_out), NTCP_OK);
    CHECK_HEX(&p.c_out, "0d000000 46414b4557524150 323f363635");
    /* fed byte by byte */
    for (size_t i = 0; i < p.c_out.len; i++) {
        size_t consumed = 0;
        ntcp_status s = ntcp_nns_recv(p.s, p.c_out.data + i, 1, &consumed, &p.s_plain, &p.s_out);
        CHECK_EQ_INT(consumed, 1);
        CHECK_EQ_INT(s, i + 1 == p.c_out.len ? NTCP_OK : NTCP_OK);
    }
    CHECK_BYTES(p.s_plain.data, p.s_plain.len, "hello", 5);
    CHECK_EQ_INT(p.s_out.len, 0);
    pair_free(&p);
}

/* A service's own name is asked of the provider only when the whole result
 * is read, once; the caller's part is there without it. */
TEST(nns_acceptor_service_name_on_first_read)
{
    pair p;
    pair_init(&p, FAKE_KRB_MUTUAL, FLAGS_ES, FLAGS_ES, NULL, NULL);
    ntcp_nns_free(p.s);
    p.fs.service_later = true;
    p.ps.service_name = f_service_name;
    ntcp_nns_options so;
    ntcp_nns_options_init(&so);
    CHECK_EQ_INT(ntcp_nns_new_acceptor(&p.s, &so, &p.ps), NTCP_OK);
    CHECK(ntcp_nns_peek_result(p.s) == NULL);
    CHECK_EQ_INT(ntcp_nns_start(p.c, &p.c_out), NTCP_OK);
    CHECK_EQ_INT(deliver(p.s, &p.c_out, &p.s_plain, &p.s_out), NTCP_OK);
    CHECK(ntcp_nns_established(p.s));
    const ntcp_nns_result *r = ntcp_nns_peek_result(p.s);
    CHECK(r != NULL);
    if (r) {
        CHECK_EQ_STR(r->client, "alice@TEST.LOCAL");
        CHECK_EQ_STR(r->service, "");
        CHECK_EQ_INT(r->protection, NTCP_PROTECTION_ENCRYPT_AND_SIGN);
    }
    CHECK_EQ_INT(p.fs.service_asked, 0);
    r = ntcp_nns_get_result(p.s);
    CHECK(r != NULL);
    if (r)
        CHECK_EQ_STR(r->service, "host/alias.test.local@TEST.LOCAL");
    CHECK(ntcp_nns_get_result(p.s) == r);
    CHECK_EQ_INT(p.fs.service_asked, 1);
    /* the client's side is filled at completion, as before */
    CHECK_EQ_INT(deliver(p.c, &p.s_out, &p.c_plain, &p.c_out), NTCP_OK);
    r = ntcp_nns_peek_result(p.c);
    CHECK(r && !strcmp(r->service, "host/svc.test.local@TEST.LOCAL"));
    pair_free(&p);
}

TEST(nns_client_done_waits_for_server_done)
{
    pair p;
    pair_init(&p, FAKE_KRB_NO_MUTUAL, FLAGS_ES, FLAGS_ES, NULL, NULL);
    /* server auth off: a non-mutual Kerberos context is accepted */
    ntcp_nns_options o;
    ntcp_nns_options_init(&o);
    o.identity = "dns:svc.test.local";
    o.require_server_auth = false;
    ntcp_nns_free(p.c);
    CHECK_EQ_INT(ntcp_nns_new_initiator(&p.c, &o, &p.pc), NTCP_OK);
    CHECK_EQ_INT(ntcp_nns_start(p.c, &p.c_out), NTCP_OK);
    CHECK_HEX(&p.c_out, "14 01 00 00 06 41502d524551");
    CHECK(!ntcp_nns_established(p.c)); /* complete, but no 0x14 from the server yet */
    CHECK_EQ_INT(ntcp_nns_send(p.c, (const uint8_t *)"x", 1, &p.c_out), NTCP_E_STATE);
    CHECK_EQ_INT(deliver(p.s, &p.c_out, &p.s_plain, &p.s_out), NTCP_OK);
    CHECK_HEX(&p.s_out, "14 01 00 00 00"); /* 0x14 even without a token */
    /* the server's 0x14 and the first data frame in one read */
    CHECK_EQ_INT(ntcp_nns_send(p.s, (const uint8_t *)"PQR", 3, &p.s_out), NTCP_OK);
    CHECK_EQ_INT(deliver(p.c, &p.s_out, &p.c_plain, &p.c_out), NTCP_OK);
    CHECK(ntcp_nns_established(p.c));
    CHECK_BYTES(p.c_plain.data, p.c_plain.len, "PQR", 3);
    const ntcp_nns_result *r = ntcp_nns_get_result(p.c);
    CHECK(r && r->target[0] && !strcmp(r->target, "host/svc.test.local"));
    pair_free(&p);
}

TEST(nns_ntlm_flow_and_server_auth)
{
    /* require_server_auth (default): NTLM is refused before AUTHENTICATE leaves */
    pair p;
    ntcp_nns_options co;
    ntcp_nns_options_init(&co);
    co.identity = "spn:host/svc.test.local";
    co.password = "Sup3r-Secret!";
    co.user = "alice";
    pair_init(&p, FAKE_NTLM, FLAGS_ES & ~0x2u, FLAGS_ES & ~0x2u, &co, NULL);
    CHECK_EQ_INT(ntcp_nns_start(p.c, &p.c_out), NTCP_OK);
    CHECK_HEX(&p.c_out, "16 01 00 00 09 4e45474f5449415445");
    CHECK_EQ_INT(deliver(p.s, &p.c_out, &p.s_plain, &p.s_out), NTCP_OK);
    CHECK_HEX(&p.s_out, "16 01 00 00 09 4348414c4c454e4745");
    CHECK_EQ_INT(deliver(p.c, &p.s_out, &p.c_plain, &p.c_out), NTCP_E_SERVER_AUTH_REQUIRED);
    CHECK_EQ_INT(p.c_out.len, 0);
    const ntcp_nns_error *e = ntcp_nns_error_info(p.c);
    CHECK(e != NULL);
    if (e)
        CHECK_EQ_STR(ntcp_cause_id(ntcp_nns_cause(e)), "ntlm_without_server_auth");
    const char *text = ntcp_nns_last_error(p.c);
    CHECK(text && strstr(text, "NTLM"));
    CHECK(strstr(ntcp_cause_advice(NTCP_CAUSE_NTLM_WITHOUT_SERVER_AUTH), "require_server_auth") != NULL);
    CHECK(text && !strstr(text, "Sup3r-Secret!"));
    pair_free(&p);

    /* with it off: C 16 NEGOTIATE, S 16 CHALLENGE, C 14 AUTHENTICATE, S 14 empty */
    co.require_server_auth = false;
    pair_init(&p, FAKE_NTLM, FLAGS_ES & ~0x2u, FLAGS_ES & ~0x2u, &co, NULL);
    CHECK_EQ_INT(ntcp_nns_start(p.c, &p.c_out), NTCP_OK);
    CHECK_EQ_INT(deliver(p.s, &p.c_out, &p.s_plain, &p.s_out), NTCP_OK);
    CHECK_EQ_INT(deliver(p.c, &p.s_out, &p.c_plain, &p.c_out), NTCP_OK);
    CHECK_HEX(&p.c_out, "14 01 00 00 0c 41555448454e544943415445");
    CHECK_EQ_INT(deliver(p.s, &p.c_out, &p.s_plain, &p.s_out), NTCP_OK);
    CHECK_HEX(&p.s_out, "14 01 00 00 00");
    CHECK_EQ_INT(deliver(p.c, &p.s_out, &p.c_plain, &p.c_out), NTCP_OK);
    CHECK(ntcp_nns_established(p.c) && ntcp_nns_established(p.s));
    const ntcp_nns_result *r = ntcp_nns_get_result(p.c);
    CHECK(r && r->package == NTCP_PACKAGE_NTLM && !r->mutual);
    pair_free(&p);

    /* package NTLM with server auth required is refused before any traffic */
    co.require_server_auth = true;
    co.package = NTCP_PACKAGE_NTLM;
    pair_init(&p, FAKE_NTLM, 0, 0, &co, NULL);
    CHECK_EQ_INT(ntcp_nns_start(p.c, &p.c_out), NTCP_E_SERVER_AUTH_REQUIRED);
    CHECK_EQ_INT(p.c_out.len, 0);
    CHECK_EQ_INT(p.fc.calls, 0);
    pair_free(&p);
}

static void run_handshake(pair *p)
{
    CHECK_EQ_INT(ntcp_nns_start(p->c, &p->c_out), NTCP_OK);
    for (int i = 0; i < 4 && !(ntcp_nns_established(p->c) && ntcp_nns_established(p->s)); i++) {
        if (p->c_out.len)
            (void)deliver(p->s, &p->c_out, &p->s_plain, &p->s_out);
        if (p->s_out.len)
            (void)deliver(p->c, &p->s_out, &p->c_plain, &p->c_out);
    }
    CHECK(ntcp_nns_established(p->c) && ntcp_nns_established(p->s));
}

TEST(nns_data_split_at_0xfc00_and_reassembly)
{
    pair p;
    pair_init(&p, FAKE_KRB_MUTUAL, FLAGS_ES, FLAGS_ES, NULL, NULL);
    run_handshake(&p);
    size_t n = 2 * 0xFC00 + 1;
    uint8_t *big = malloc(n);
    for (size_t i = 0; i < n; i++)
        big[i] = (uint8_t)(i * 7);
    CHECK_EQ_INT(ntcp_nns_send(p.c, big, n, &p.c_out), NTCP_OK);
    /* three frames: 0xFC00, 0xFC00, 1 plaintext bytes (+8 bytes of fake token each) */
    CHECK_EQ_INT(p.c_out.len, 3 * 4 + 3 * 8 + n);
    const uint8_t *q = p.c_out.data;
    CHECK_BYTES(q, 4, "\x08\xfc\x00\x00", 4);
    q += 4 + 0xFC08;
    CHECK_BYTES(q, 4, "\x08\xfc\x00\x00", 4);
    q += 4 + 0xFC08;
    CHECK_BYTES(q, 4, "\x09\x00\x00\x00", 4);
    /* reassembled from single bytes */
    for (size_t i = 0; i < p.c_out.len; i++) {
        size_t consumed = 0;
        ntcp_status s = ntcp_nns_recv(p.s, p.c_out.data + i, 1, &consumed, &p.s_plain, &p.s_out);
        if (s != NTCP_OK || consumed != 1) {
            CHECK_EQ_INT(s, NTCP_OK);
            break;
        }
    }
    CHECK_BYTES(p.s_plain.data, p.s_plain.len, big, n);
    /* and in uneven chunks */
    ntcp_buf_reset(&p.s_plain);
    ntcp_buf_reset(&p.c_out);
    CHECK_EQ_INT(ntcp_nns_send(p.c, big, n, &p.c_out), NTCP_OK);
    for (size_t i = 0; i < p.c_out.len;) {
        size_t k = p.c_out.len - i < 1000 ? p.c_out.len - i : 997, consumed = 0;
        CHECK_EQ_INT(ntcp_nns_recv(p.s, p.c_out.data + i, k, &consumed, &p.s_plain, &p.s_out), NTCP_OK);
        CHECK_EQ_INT(consumed, k);
        i += k;
    }
    CHECK_BYTES(p.s_plain.data, p.s_plain.len, big, n);
    free(big);
    pair_free(&p);
}

/* send_parts(head, body) against a reference on a second, identical pair:
 * one send of head | body (joined) or a send of each; the same bytes, and the
 * receiver gets head | body back. */
static void check_send_parts(size_t hl, size_t bl, bool joined)
{
    uint8_t *m = malloc(hl + bl + 1);
    for (size_t i = 0; i < hl + bl; i++)
        m[i] = (uint8_t)(i * 13 + bl);
    pair a, b;
    pair_init(&a, FAKE_KRB_MUTUAL, FLAGS_ES, FLAGS_ES, NULL, NULL);
    pair_init(&b, FAKE_KRB_MUTUAL, FLAGS_ES, FLAGS_ES, NULL, NULL);
    run_handshake(&a);
    run_handshake(&b);
    if (joined) {
        CHECK_EQ_INT(ntcp_nns_send(a.c, m, hl + bl, &a.c_out), NTCP_OK);
    } else {
        CHECK_EQ_INT(ntcp_nns_send(a.c, m, hl, &a.c_out), NTCP_OK);
        CHECK_EQ_INT(ntcp_nns_send(a.c, m + hl, bl, &a.c_out), NTCP_OK);
    }
    CHECK_EQ_INT(ntcp_nns_send_parts(b.c, m, hl, m + hl, bl, &b.c_out), NTCP_OK);
    CHECK_BYTES(b.c_out.data, b.c_out.len, a.c_out.data, a.c_out.len);
    CHECK_EQ_INT(deliver(b.s, &b.c_out, &b.s_plain, &b.s_out), NTCP_OK);
    CHECK_BYTES(b.s_plain.data, b.s_plain.len, m, hl + bl);
    pair_free(&a);
    pair_free(&b);
    free(m);
}

/* send_parts makes the frames one send of head | body makes, for bodies
 * around the frame boundary; a head of a whole frame or more is protected as
 * its own frames, never in clear; before the handshake nothing is written. */
TEST(nns_send_parts_equals_joined_send)
{
    const size_t bodies[] = { 0, 1, 0xFC00 - 4, 0xFC00 - 3, 0xFC00 - 2, 0xFC00, 2 * 0xFC00 + 5 };
    for (size_t k = 0; k < sizeof bodies / sizeof bodies[0]; k++)
        check_send_parts(3, bodies[k], true);
    check_send_parts(0xFC00 + 5, 10, false);
    pair q;
    pair_init(&q, FAKE_KRB_MUTUAL, FLAGS_ES, FLAGS_ES, NULL, NULL);
    CHECK_EQ_INT(ntcp_nns_send_parts(q.c, (const uint8_t *)"abc", 3, (const uint8_t *)"abc", 3, &q.c_out),
                 NTCP_E_STATE);
    CHECK_EQ_INT(q.c_out.len, 0);
    pair_free(&q);
}

TEST(nns_handshake_truncated_at_every_offset)
{
    pair p;
    pair_init(&p, FAKE_KRB_MUTUAL, FLAGS_ES, FLAGS_ES, NULL, NULL);
    CHECK_EQ_INT(ntcp_nns_start(p.c, &p.c_out), NTCP_OK);
    ntcp_buf first;
    ntcp_buf_init(&first, 1024);
    CHECK_EQ_INT(ntcp_buf_append(&first, p.c_out.data, p.c_out.len), NTCP_OK);
    pair_free(&p);
    for (size_t k = 0; k < first.len; k++) {
        pair_init(&p, FAKE_KRB_MUTUAL, FLAGS_ES, FLAGS_ES, NULL, NULL);
        size_t consumed = 0;
        ntcp_status s = ntcp_nns_recv(p.s, first.data, k, &consumed, &p.s_plain, &p.s_out);
        CHECK_EQ_INT(s, NTCP_AGAIN);
        CHECK_EQ_INT(consumed, k);
        CHECK(!ntcp_nns_established(p.s));
        CHECK_EQ_INT(p.s_out.len, 0);
        s = ntcp_nns_recv(p.s, first.data + k, first.len - k, &consumed, &p.s_plain, &p.s_out);
        CHECK_EQ_INT(s, NTCP_OK);
        CHECK(ntcp_nns_established(p.s));
        pair_free(&p);
    }
    ntcp_buf_free(&first);
}

TEST(nns_data_frame_truncated_at_every_offset_and_length_lies)
{
    pair p;
    pair_init(&p, FAKE_KRB_MUTUAL, FLAGS_ES, FLAGS_ES, NULL, NULL);
    run_handshake(&p);
    CHECK_EQ_INT(ntcp_nns_send(p.c, (const uint8_t *)"abcdef", 6, &p.c_out), NTCP_OK);
    for (size_t k = 0; k < p.c_out.len; k++) {
        size_t consumed = 0;
        ntcp_buf_reset(&p.s_plain);
        CHECK_EQ_INT(ntcp_nns_recv(p.s, p.c_out.data, k, &consumed, &p.s_plain, &p.s_out), k ? NTCP_OK : NTCP_OK);
        CHECK_EQ_INT(p.s_plain.len, 0);
        CHECK_EQ_INT(ntcp_nns_recv(p.s, p.c_out.data + k, p.c_out.len - k, &consumed, &p.s_plain, &p.s_out),
                     NTCP_OK);
        CHECK_BYTES(p.s_plain.data, p.s_plain.len, "abcdef", 6);
    }
    /* a length that lies upward: > 65536 */
    const uint8_t lie[] = { 0x01, 0x00, 0x01, 0x00, 'F', 'A', 'K', 'E' };
    size_t consumed = 0;
    CHECK_EQ_INT(ntcp_nns_recv(p.s, lie, sizeof lie, &consumed, &p.s_plain, &p.s_out), NTCP_E_NNS_FRAME_SIZE);
    CHECK(ntcp_nns_failed(p.s));
    const ntcp_nns_error *e = ntcp_nns_error_info(p.s);
    CHECK(e && e->status == NTCP_E_NNS_FRAME_SIZE && !strcmp(ntcp_cause_id(ntcp_nns_cause(e)), "protocol"));
    CHECK(e && strstr(e->detail, "65537"));
    /* further calls keep failing the same way */
    CHECK_EQ_INT(ntcp_nns_recv(p.s, lie, 1, &consumed, &p.s_plain, &p.s_out), NTCP_E_NNS_FRAME_SIZE);
    CHECK_EQ_INT(ntcp_nns_send(p.s, lie, 1, &p.s_out), NTCP_E_NNS_FRAME_SIZE);
    /* a length <= 4, fed byte by byte */
    const uint8_t four[] = { 0x04, 0x00, 0x00, 0x00, 1, 2, 3, 4 };
    ntcp_status last = NTCP_OK;
    for (size_t i = 0; i < sizeof four && last == NTCP_OK; i++)
        last = ntcp_nns_recv(p.c, four + i, 1, &consumed, &p.c_plain, &p.c_out);
    CHECK_EQ_INT(last, NTCP_E_NNS_FRAME_SIZE);
    pair_free(&p);

    /* a tampered frame */
    pair_init(&p, FAKE_KRB_MUTUAL, FLAGS_ES, FLAGS_ES, NULL, NULL);
    run_handshake(&p);
    CHECK_EQ_INT(ntcp_nns_send(p.c, (const uint8_t *)"abcdef", 6, &p.c_out), NTCP_OK);
    p.c_out.data[5] ^= 1;
    CHECK_EQ_INT(deliver(p.s, &p.c_out, &p.s_plain, &p.s_out), NTCP_E_MESSAGE_ALTERED);
    pair_free(&p);
}

TEST(nns_handshake_lies_and_bad_ids)
{
    pair p;
    pair_init(&p, FAKE_KRB_MUTUAL, FLAGS_ES, FLAGS_ES, NULL, NULL);
    const uint8_t bad[] = { 0x17, 0x01, 0x00, 0x00, 0x00 };
    size_t consumed;
    CHECK_EQ_INT(ntcp_nns_recv(p.s, bad, sizeof bad, &consumed, &p.s_plain, &p.s_out), NTCP_E_NNS_MESSAGE_ID);
    pair_free(&p);

    ntcp_nns_options so;

    ntcp_nns_options_init(&so);
    so.limits.max_token = 100;
    pair_init(&p, FAKE_KRB_MUTUAL, FLAGS_ES, FLAGS_ES, NULL, &so);
    const uint8_t big[] = { 0x16, 0x01, 0x00, 0x00, 0x65 };
    CHECK_EQ_INT(ntcp_nns_recv(p.s, big, sizeof big, &consumed, &p.s_plain, &p.s_out), NTCP_E_NNS_TOKEN_TOO_LARGE);
    pair_free(&p);

    /* a 0x16 after the client's context completed */
    pair_init(&p, FAKE_KRB_MUTUAL, FLAGS_ES, FLAGS_ES, NULL, NULL);
    CHECK_EQ_INT(ntcp_nns_start(p.c, &p.c_out), NTCP_OK);
    const uint8_t rep16[] = { 0x16, 0x01, 0x00, 0x00, 0x06, 'A', 'P', '-', 'R', 'E', 'P' };
    ntcp_status s = ntcp_nns_recv(p.c, rep16, sizeof rep16, &consumed, &p.c_plain, &p.c_out);
    CHECK_EQ_INT(s, NTCP_AGAIN); /* completes locally with nothing to send, still waits for 0x14 */
    CHECK(!ntcp_nns_established(p.c));
    s = ntcp_nns_recv(p.c, rep16, sizeof rep16, &consumed, &p.c_plain, &p.c_out);
    CHECK_EQ_INT(s, NTCP_E_NNS_UNEXPECTED);
    pair_free(&p);

    /* too many legs */
    ntcp_nns_options_init(&so);
    so.limits.max_legs = 1;
    pair_init(&p, FAKE_NTLM, 0, 0, NULL, &so);
    const uint8_t neg[] = { 0x16, 1, 0, 0, 9, 'N', 'E', 'G', 'O', 'T', 'I', 'A', 'T', 'E' };
    const uint8_t auth[] = { 0x16, 1, 0, 0, 1, 'A' };
    CHECK_EQ_INT(ntcp_nns_recv(p.s, neg, sizeof neg, &consumed, &p.s_plain, &p.s_out), NTCP_OK);
    CHECK_EQ_INT(ntcp_nns_recv(p.s, auth, sizeof auth, &consumed, &p.s_plain, &p.s_out), NTCP_E_NNS_TOO_MANY_LEGS);
    pair_free(&p);
}

TEST(nns_remote_errors_both_byte_orders)
{
    static const struct {
        const char *payload_hex;
        ntcp_status st;
        const char *cause;
        uint32_t code;
    } cases[] = {
        { "00000000 8009030C", NTCP_E_CREDENTIALS_REJECTED, "bad_password", 0x8009030C },
        { "0C030980 00000000", NTCP_E_CREDENTIALS_REJECTED, "bad_password", 0x8009030C },
        { "00000000 000006FE", NTCP_E_PROTECTION_NOT_GRANTED, "protection_not_granted", 1790 },
        { "FE060000 00000000", NTCP_E_PROTECTION_NOT_GRANTED, "protection_not_granted", 1790 },
        { "00000000 80090324", NTCP_E_AUTH_REMOTE, "clock_skew", 0x80090324 },
        { "22030980 00000000", NTCP_E_AUTH_REMOTE, "service_key_mismatch", 0x80090322 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pair p;
        pair_init(&p, FAKE_KRB_MUTUAL, FLAGS_ES, FLAGS_ES, NULL, NULL);
        CHECK_EQ_INT(ntcp_nns_start(p.c, &p.c_out), NTCP_OK);
        size_t pl;
        unsigned char *payload = ntcp_test_hex(cases[i].payload_hex, &pl);
        ntcp_buf m;
        ntcp_buf_init(&m, 64);
        CHECK_EQ_INT(ntcp_nns_put_handshake(&m, 0x15, payload, pl), NTCP_OK);
        CHECK_EQ_INT(deliver(p.c, &m, &p.c_plain, &p.c_out), cases[i].st);
        const ntcp_nns_error *e = ntcp_nns_error_info(p.c);
        CHECK(e && e->remote && e->remote_code == cases[i].code);
        if (e)
            CHECK_EQ_STR(ntcp_cause_id(ntcp_nns_cause(e)), cases[i].cause);
        ntcp_buf_free(&m);
        free(payload);
        pair_free(&p);
    }
    /* the default target turns a wrong-principal answer into the classic default-SPN mistake */
    pair p;
    ntcp_nns_options co;
    ntcp_nns_options_init(&co);
    co.address_host = "box.corp";
    pair_init(&p, FAKE_KRB_MUTUAL, FLAGS_ES, FLAGS_ES, &co, NULL);
    CHECK_EQ_INT(ntcp_nns_start(p.c, &p.c_out), NTCP_OK);
    const uint8_t wp[] = { 0x15, 1, 0, 0, 8, 0, 0, 0, 0, 0x80, 0x09, 0x03, 0x22 };
    size_t consumed;
    CHECK_EQ_INT(ntcp_nns_recv(p.c, wp, sizeof wp, &consumed, &p.c_plain, &p.c_out), NTCP_E_AUTH_REMOTE);
    CHECK_EQ_STR(ntcp_cause_id(ntcp_nns_cause(ntcp_nns_error_info(p.c))), "default_spn_not_service");
    CHECK(strstr(ntcp_nns_last_error(p.c), "host/box.corp") != NULL);
    pair_free(&p);
}

TEST(nns_acceptor_failure_sends_handshake_error)
{
    pair p;
    pair_init(&p, FAKE_KRB_MUTUAL, FLAGS_ES, FLAGS_ES, NULL, NULL);
    p.fs.fail_accept = true;
    p.fs.fail_minor = (uint32_t)(-1765328384L + 37); /* KRB5KRB_AP_ERR_SKEW */
    CHECK_EQ_INT(ntcp_nns_start(p.c, &p.c_out), NTCP_OK);
    CHECK_EQ_INT(deliver(p.s, &p.c_out, &p.s_plain, &p.s_out), NTCP_E_AUTH_FAILED);
    CHECK_HEX(&p.s_out, "15 01 00 00 08 00000000 80090324");
    const ntcp_nns_error *e = ntcp_nns_error_info(p.s);
    CHECK(e && e->step == NTCP_NNS_STEP_ACCEPT && e->leg == 1 && e->krb5_error == 37);
    CHECK_EQ_STR(ntcp_cause_id(ntcp_nns_cause(e)), "clock_skew");
    CHECK_EQ_INT(deliver(p.c, &p.s_out, &p.c_plain, &p.c_out), NTCP_E_AUTH_REMOTE);
    CHECK_EQ_STR(ntcp_cause_id(ntcp_nns_cause(ntcp_nns_error_info(p.c))), "clock_skew");
    pair_free(&p);

    /* NTLM acceptor failure: SEC_E_LOGON_DENIED, credentials rejected on the client */
    ntcp_nns_options co;
    ntcp_nns_options_init(&co);
    co.identity = "spn:host/svc";
    co.require_server_auth = false;
    pair_init(&p, FAKE_NTLM, 0x30, 0x30, &co, NULL);
    CHECK_EQ_INT(ntcp_nns_start(p.c, &p.c_out), NTCP_OK);
    p.fs.fail_accept = true;
    CHECK_EQ_INT(deliver(p.s, &p.c_out, &p.s_plain, &p.s_out), NTCP_E_AUTH_FAILED);
    CHECK_HEX(&p.s_out, "15 01 00 00 08 00000000 8009030C");
    CHECK_EQ_INT(deliver(p.c, &p.s_out, &p.c_plain, &p.c_out), NTCP_E_CREDENTIALS_REJECTED);
    CHECK_EQ_STR(ntcp_cause_id(ntcp_nns_cause(ntcp_nns_error_info(p.c))), "bad_password");
    pair_free(&p);
}

TEST(nns_protection_not_granted)
{
    /* the service requires EncryptAndSign, the context only has integrity */
    pair p;
    pair_init(&p, FAKE_KRB_MUTUAL, 0x22, 0x20, NULL, NULL);
    CHECK_EQ_INT(ntcp_nns_start(p.c, &p.c_out), NTCP_OK);
    CHECK_EQ_INT(deliver(p.s, &p.c_out, &p.s_plain, &p.s_out), NTCP_E_PROTECTION_NOT_GRANTED);
    CHECK_HEX(&p.s_out, "15 01 00 00 08 00000000 000006FE");
    CHECK_EQ_STR(ntcp_cause_id(ntcp_nns_cause(ntcp_nns_error_info(p.s))), "protection_not_granted");
    CHECK(strstr(ntcp_nns_error_info(p.s)->detail, "required EncryptAndSign, negotiated Sign") != NULL);
    CHECK_EQ_INT(deliver(p.c, &p.s_out, &p.c_plain, &p.c_out), NTCP_E_PROTECTION_NOT_GRANTED);
    CHECK_EQ_STR(ntcp_cause_id(ntcp_nns_cause(ntcp_nns_error_info(p.c))), "protection_not_granted");
    pair_free(&p);
}

TEST(nns_sign_only_is_mic_then_plaintext)
{
    ntcp_nns_options co, so;
    ntcp_nns_options_init(&co);
    ntcp_nns_options_init(&so);
    co.identity = "spn:host/svc.test.local";
    co.protection = so.protection = NTCP_PROTECTION_SIGN;
    pair p;
    pair_init(&p, FAKE_KRB_MUTUAL, 0x22, 0x22, &co, &so);
    run_handshake(&p);
    CHECK_EQ_INT(ntcp_nns_get_result(p.c)->protection, NTCP_PROTECTION_SIGN);
    CHECK_EQ_INT(ntcp_nns_send(p.c, (const uint8_t *)"ab", 2, &p.c_out), NTCP_OK);
    CHECK_EQ_INT(p.c_out.len, 4 + 28 + 2);
    CHECK_BYTES(p.c_out.data, 6, "\x1e\x00\x00\x00\x04\x04", 6);
    CHECK_BYTES(p.c_out.data + 32, 2, "ab", 2); /* the data stays in clear */
    CHECK_EQ_INT(deliver(p.s, &p.c_out, &p.s_plain, &p.s_out), NTCP_OK);
    CHECK_BYTES(p.s_plain.data, p.s_plain.len, "ab", 2);
    /* a flipped plaintext bit fails verification */
    CHECK_EQ_INT(ntcp_nns_send(p.c, (const uint8_t *)"ab", 2, &p.c_out), NTCP_OK);
    p.c_out.data[p.c_out.len - 1] ^= 1;
    CHECK_EQ_INT(deliver(p.s, &p.c_out, &p.s_plain, &p.s_out), NTCP_E_MESSAGE_ALTERED);
    pair_free(&p);
}

TEST(nns_protection_none_is_unframed)
{
    ntcp_nns_options co, so;
    ntcp_nns_options_init(&co);
    ntcp_nns_options_init(&so);
    co.identity = "spn:host/svc.test.local";
    co.protection = so.protection = NTCP_PROTECTION_NONE;
    co.require_server_auth = false;
    pair p;
    pair_init(&p, FAKE_NTLM, 0, 0, &co, &so);
    run_handshake(&p);
    CHECK_EQ_INT(ntcp_nns_send(p.c, (const uint8_t *)"\x0c", 1, &p.c_out), NTCP_OK);
    CHECK_HEX(&p.c_out, "0c");
    CHECK_EQ_INT(deliver(p.s, &p.c_out, &p.s_plain, &p.s_out), NTCP_OK);
    CHECK_HEX(&p.s_plain, "0c");
    /* parts go out as they are too */
    ntcp_buf_reset(&p.c_out);
    CHECK_EQ_INT(ntcp_nns_send_parts(p.c, (const uint8_t *)"\x06\x02", 2, (const uint8_t *)"ab", 2, &p.c_out),
                 NTCP_OK);
    CHECK_HEX(&p.c_out, "06026162");
    pair_free(&p);
}

TEST(nns_acquire_failure_is_explained_without_secrets)
{
    ntcp_nns_options co;
    ntcp_nns_options_init(&co);
    co.identity = "upn:svc@TEST.LOCAL";
    co.user = "alice@TEST.LOCAL";
    co.password = "Pa55-w0rd-that-must-not-leak";
    pair p;
    pair_init(&p, FAKE_KRB_MUTUAL, FLAGS_ES, FLAGS_ES, &co, NULL);
    p.fc.fail_acquire = true;
    p.fc.fail_minor = (uint32_t)(-1765328384L + 24); /* KDC_ERR_PREAUTH_FAILED */
    CHECK_EQ_INT(ntcp_nns_start(p.c, &p.c_out), NTCP_E_NO_CREDENTIALS);
    /* the peer hears about it: SEC_E_UNKNOWN_CREDENTIALS for GSS_S_NO_CRED */
    CHECK_HEX(&p.c_out, "15 01 00 00 08 00000000 8009030D");
    const ntcp_nns_error *e = ntcp_nns_error_info(p.c);
    CHECK(e && e->step == NTCP_NNS_STEP_ACQUIRE && e->krb5_error == 24);
    CHECK_EQ_STR(ntcp_cause_id(ntcp_nns_cause(e)), "bad_password");
    const char *t = ntcp_nns_last_error(p.c);
    CHECK(t && strstr(t, "acquire credentials") && strstr(t, "svc@TEST.LOCAL") && strstr(t, "Kerberos error 24"));
    CHECK(t && !strstr(t, "Pa55-w0rd"));
    pair_free(&p);
}

TEST(nns_cause_mapping)
{
    static const struct {
        long krb5;
        uint32_t major;
        ntcp_nns_step step;
        bool default_target;
        const char *cause;
    } cases[] = {
        { 7, 13u << 16, NTCP_NNS_STEP_INIT, false, "spn_unknown" },
        { 7, 13u << 16, NTCP_NNS_STEP_INIT, true, "default_spn_not_service" }, /* no identity: WCF's missing block */
        { 6, 13u << 16, NTCP_NNS_STEP_ACQUIRE, false, "unknown_user" },
        { 24, 13u << 16, NTCP_NNS_STEP_ACQUIRE, false, "bad_password" },
        { 31, 13u << 16, NTCP_NNS_STEP_INIT, false, "bad_password" },
        { 31, 13u << 16, NTCP_NNS_STEP_ACCEPT, false, "service_key_mismatch" },
        { 41, 13u << 16, NTCP_NNS_STEP_ACCEPT, false, "service_key_mismatch" },
        { 44, 13u << 16, NTCP_NNS_STEP_ACCEPT, false, "service_key_mismatch" },
        { 37, 13u << 16, NTCP_NNS_STEP_ACCEPT, false, "clock_skew" },
        { 32, 11u << 16, NTCP_NNS_STEP_INIT, false, "credentials_expired" },
        { -1, 11u << 16, NTCP_NNS_STEP_INIT, false, "credentials_expired" },
        { -1, 7u << 16, NTCP_NNS_STEP_ACQUIRE, false, "no_credentials" },
        { -1765328228L + 1765328384L, 13u << 16, NTCP_NNS_STEP_INIT, false, "kdc_unreachable" }, /* KDC_UNREACH */
        { -1765328189L + 1765328384L, 7u << 16, NTCP_NNS_STEP_ACQUIRE, false, "no_credentials" }, /* FCC_NOFILE */
        { -1765328203L + 1765328384L, 13u << 16, NTCP_NNS_STEP_INIT, true, "default_spn_not_service" },
        { -1765328154L + 1765328384L, 13u << 16, NTCP_NNS_STEP_ACCEPT, false, "service_key_mismatch" },
        { 23, 13u << 16, NTCP_NNS_STEP_ACQUIRE, false, "password_expired" }, /* KDC_ERR_KEY_EXPIRED */
        { 18, 13u << 16, NTCP_NNS_STEP_ACQUIRE, false, "account_disabled" }, /* KDC_ERR_CLIENT_REVOKED */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ntcp_nns_error e;
        memset(&e, 0, sizeof e);
        e.status = NTCP_E_AUTH_FAILED;
        e.krb5_error = cases[i].krb5;
        e.major = cases[i].major;
        e.step = cases[i].step;
        e.default_target = cases[i].default_target;
        const char *c = ntcp_cause_id(ntcp_nns_cause(&e));
        if (strcmp(c, cases[i].cause))
            ntcp_test_fail(__FILE__, __LINE__, "case %zu: cause %s, want %s", i, c, cases[i].cause);
        CHECK(*ntcp_cause_advice(ntcp_cause_from_id(c)));
    }
    ntcp_nns_error e;
    memset(&e, 0, sizeof e);
    e.krb5_error = -1;
    e.status = NTCP_E_ANONYMOUS_REFUSED;
    CHECK_EQ_STR(ntcp_cause_id(ntcp_nns_cause(&e)), "anonymous_refused");
    e.status = NTCP_E_SERVER_AUTH_REQUIRED;
    CHECK_EQ_STR(ntcp_cause_id(ntcp_nns_cause(&e)), "ntlm_without_server_auth");
    /* an anonymous logon without an anonymous ticket: the realm does not offer
     * them, unless no KDC answered; after acquire the usual causes apply */
    memset(&e, 0, sizeof e);
    e.status = NTCP_E_NO_CREDENTIALS;
    e.anonymous = true;
    e.step = NTCP_NNS_STEP_ACQUIRE;
    e.krb5_error = 210; /* KRB5_PREAUTH_FAILED */
    CHECK_EQ_STR(ntcp_cause_id(ntcp_nns_cause(&e)), "anonymous_unavailable");
    e.krb5_error = 6; /* no WELLKNOWN/ANONYMOUS in the KDC: not an unknown user */
    CHECK_EQ_STR(ntcp_cause_id(ntcp_nns_cause(&e)), "anonymous_unavailable");
    CHECK(strstr(ntcp_cause_advice(NTCP_CAUSE_ANONYMOUS_UNAVAILABLE), "pkinit_anchors") != NULL);
    e.krb5_error = -1765328228L + 1765328384L; /* KDC_UNREACH */
    CHECK_EQ_STR(ntcp_cause_id(ntcp_nns_cause(&e)), "kdc_unreachable");
    e.krb5_error = 6;
    e.step = NTCP_NNS_STEP_INIT;
    CHECK_EQ_STR(ntcp_cause_id(ntcp_nns_cause(&e)), "unknown_user");
    /* gss-ntlmssp: GSS_S_UNAVAILABLE for an anonymous initiator */
    e.krb5_error = -1;
    e.status = NTCP_E_AUTH_FAILED;
    e.major = 16u << 16;
    snprintf(e.mech, sizeof e.mech, "NTLM");
    CHECK_EQ_STR(ntcp_cause_id(ntcp_nns_cause(&e)), "anonymous_unavailable");
    e.anonymous = false;
    CHECK_EQ_STR(ntcp_cause_id(ntcp_nns_cause(&e)), "unknown");
    CHECK_EQ_STR(ntcp_cause_id(ntcp_nns_cause(NULL)), "unknown");
    /* a service bound to the other package: the same cause on both sides */
    memset(&e, 0, sizeof e);
    e.krb5_error = -1;
    e.status = NTCP_E_PACKAGE_NOT_ALLOWED;
    e.step = NTCP_NNS_STEP_POLICY;
    CHECK_EQ_STR(ntcp_cause_id(ntcp_nns_cause(&e)), "package_mismatch");
    CHECK_EQ_INT(ntcp_cause_of_status(NTCP_E_PACKAGE_NOT_ALLOWED), NTCP_CAUSE_PACKAGE_MISMATCH);
    memset(&e, 0, sizeof e);
    e.krb5_error = -1;
    e.status = NTCP_E_AUTH_REMOTE;
    e.step = NTCP_NNS_STEP_REMOTE;
    e.remote = true;
    e.remote_code = NTCP_SEC_E_UNSUPPORTED_FUNCTION;
    CHECK_EQ_STR(ntcp_cause_id(ntcp_nns_cause(&e)), "package_mismatch");
    /* the error as every other layer reports it */
    ntcp_error ee;
    ntcp_nns_error_explain(&e, &ee);
    CHECK_EQ_INT(ee.status, NTCP_E_AUTH_REMOTE);
    CHECK_EQ_STR(ntcp_error_id(&ee), "package_mismatch");
    CHECK(ee.nns.remote && ee.nns.remote_code == NTCP_SEC_E_UNSUPPORTED_FUNCTION);
    CHECK(strstr(ntcp_error_text(&ee), "0x80090302") != NULL);
    ntcp_nns_error_explain(NULL, &ee);
    CHECK_EQ_INT(ee.status, NTCP_OK);
    /* an NTLM acceptor refusing the first (NEGOTIATE) message: no password
     * was checked yet; the third (AUTHENTICATE) is about the password */
    memset(&e, 0, sizeof e);
    e.krb5_error = -1;
    e.status = NTCP_E_AUTH_FAILED;
    e.step = NTCP_NNS_STEP_ACCEPT;
    e.major = 13u << 16;
    e.leg = 1;
    snprintf(e.mech, sizeof e.mech, "NTLM");
    CHECK_EQ_STR(ntcp_cause_id(ntcp_nns_cause(&e)), "malformed_token");
    e.leg = 2;
    CHECK_EQ_STR(ntcp_cause_id(ntcp_nns_cause(&e)), "bad_password");
    e.major = 9u << 16; /* GSS_S_DEFECTIVE_TOKEN */
    CHECK_EQ_STR(ntcp_cause_id(ntcp_nns_cause(&e)), "malformed_token");
    /* the service refused the logon: after a Negotiate fallback to NTLM, or
     * NTLM forced by ProtectionLevel None, the password is not the suspect */
    memset(&e, 0, sizeof e);
    e.krb5_error = -1;
    e.status = NTCP_E_CREDENTIALS_REJECTED;
    e.step = NTCP_NNS_STEP_REMOTE;
    e.remote = true;
    e.remote_code = NTCP_SEC_E_LOGON_DENIED;
    CHECK_EQ_STR(ntcp_cause_id(ntcp_nns_cause(&e)), "bad_password");
    e.ntlm_fallback = true;
    CHECK_EQ_STR(ntcp_cause_id(ntcp_nns_cause(&e)), "ntlm_fallback");
    e.ntlm_forced = true;
    CHECK_EQ_STR(ntcp_cause_id(ntcp_nns_cause(&e)), "ntlm_forced");
    /* an identity the options step refused */
    memset(&e, 0, sizeof e);
    e.krb5_error = -1;
    e.status = NTCP_E_INVALID_ARG;
    e.step = NTCP_NNS_STEP_OPTIONS;
    CHECK_EQ_STR(ntcp_cause_id(ntcp_nns_cause(&e)), "identity_invalid");
    static const char *const news[] = { "ntlm_fallback", "ntlm_forced", "malformed_token", "identity_invalid",
                                        "password_expired", "account_disabled" };
    for (size_t i = 0; i < sizeof news / sizeof news[0]; i++) {
        ntcp_cause nc = ntcp_cause_from_id(news[i]);
        CHECK(nc != NTCP_CAUSE_UNKNOWN);
        CHECK(strcmp(ntcp_cause_advice(nc), ntcp_cause_advice(NTCP_CAUSE_UNKNOWN)) != 0);
    }
    CHECK_EQ_STR(ntcp_status_name(NTCP_E_NNS_FRAME_SIZE), "nns_bad_frame_size");
    CHECK_EQ_INT(ntcp_status_category(NTCP_E_PROTECTION_NOT_GRANTED), NTCP_CAT_SECURITY);
}

TEST(nns_through_the_upgrade_hook)
{
    pair p;
    pair_init(&p, FAKE_KRB_MUTUAL, FLAGS_ES, FLAGS_ES, NULL, NULL);
    ntcp_stream uc, us;
    ntcp_nns_as_stream(p.c, &uc);
    ntcp_nns_as_stream(p.s, &us);
    CHECK_EQ_STR(uc.name, "application/negotiate");
    CHECK_EQ_INT(uc.start(uc.ctx, &p.c_out), NTCP_OK);
    size_t consumed;
    CHECK_EQ_INT(us.recv(us.ctx, p.c_out.data, p.c_out.len, &consumed, &p.s_plain, &p.s_out), NTCP_OK);
    CHECK(us.established(us.ctx));
    CHECK(!uc.established(uc.ctx));
    CHECK_EQ_INT(uc.recv(uc.ctx, p.s_out.data, p.s_out.len, &consumed, &p.c_plain, &p.c_out), NTCP_OK);
    CHECK(uc.established(uc.ctx));
    ntcp_buf_reset(&p.c_out);
    ntcp_buf_reset(&p.s_out);
    CHECK_EQ_INT(uc.send(uc.ctx, (const uint8_t *)"\x0c", 1, &p.c_out), NTCP_OK); /* PreambleEnd */
    CHECK_EQ_INT(us.recv(us.ctx, p.c_out.data, p.c_out.len, &consumed, &p.s_plain, &p.s_out), NTCP_OK);
    CHECK_HEX(&p.s_plain, "0c");
    ntcp_error qe;
    CHECK_EQ_INT(ntcp_stream_query(&uc, NTCP_STREAM_QUERY_ERROR, &qe), NTCP_OK);
    CHECK_EQ_INT(qe.status, NTCP_OK);
    pair_free(&p);
}

TEST(nns_anonymous_client_refused_unless_allowed)
{
    /* the context reports GSS_C_ANON_FLAG: WCF refuses anonymous logons by default */
    ntcp_nns_options co, so;
    ntcp_nns_options_init(&co);
    ntcp_nns_options_init(&so);
    co.identity = "spn:host/svc.test.local";
    co.anonymous = true;
    pair p;
    pair_init(&p, FAKE_KRB_MUTUAL, FLAGS_ES | 0x40, FLAGS_ES | 0x40, &co, &so);
    CHECK_EQ_INT(ntcp_nns_start(p.c, &p.c_out), NTCP_OK);
    CHECK_EQ_INT(deliver(p.s, &p.c_out, &p.s_plain, &p.s_out), NTCP_E_ANONYMOUS_REFUSED);
    CHECK_HEX(&p.s_out, "15 01 00 00 08 00000000 8009030C");
    CHECK_EQ_STR(ntcp_cause_id(ntcp_nns_cause(ntcp_nns_error_info(p.s))), "anonymous_refused");
    CHECK_EQ_INT(deliver(p.c, &p.s_out, &p.c_plain, &p.c_out), NTCP_E_CREDENTIALS_REJECTED);
    CHECK_EQ_STR(ntcp_cause_id(ntcp_nns_cause(ntcp_nns_error_info(p.c))), "anonymous_refused");
    pair_free(&p);
    so.allow_anonymous_clients = true;
    pair_init(&p, FAKE_KRB_MUTUAL, FLAGS_ES | 0x40, FLAGS_ES | 0x40, &co, &so);
    run_handshake(&p);
    const ntcp_nns_result *r = ntcp_nns_get_result(p.s);
    CHECK(r && r->anonymous && r->impersonation == NTCP_IMPERSONATION_ANONYMOUS);
    pair_free(&p);
}

TEST(nns_anonymous_option_ignored_with_a_user)
{
    /* with a user name the logon is that user's: a refusal is not explained
     * as an anonymous one */
    ntcp_nns_options co;
    ntcp_nns_options_init(&co);
    co.anonymous = true;
    co.identity = "bogus:x"; /* fails at the options step, before any credential */
    for (int with_user = 0; with_user < 2; with_user++) {
        co.user = with_user ? "alice" : NULL;
        ntcp_nns *n = NULL;
        ntcp_buf out;
        ntcp_buf_init(&out, 1024);
        CHECK_EQ_INT(ntcp_nns_new_initiator(&n, &co, ntcp_gss_provider()), NTCP_OK);
        CHECK_EQ_INT(ntcp_nns_start(n, &out), NTCP_E_INVALID_ARG);
        const ntcp_nns_error *e = ntcp_nns_error_info(n);
        CHECK(e && e->anonymous == !with_user);
        ntcp_buf_free(&out);
        ntcp_nns_free(n);
    }
}

TEST(nns_identity_mismatch_after_mutual_auth)
{
    /* the server authenticated as host/svc.test.local, the client expected another name */
    ntcp_nns_options co;
    ntcp_nns_options_init(&co);
    co.identity = "spn:host/other.test.local";
    pair p;
    pair_init(&p, FAKE_KRB_MUTUAL, FLAGS_ES, FLAGS_ES, &co, NULL);
    CHECK_EQ_INT(ntcp_nns_start(p.c, &p.c_out), NTCP_OK);
    CHECK_EQ_INT(deliver(p.s, &p.c_out, &p.s_plain, &p.s_out), NTCP_OK);
    CHECK_EQ_INT(deliver(p.c, &p.s_out, &p.c_plain, &p.c_out), NTCP_E_IDENTITY_MISMATCH);
    const ntcp_nns_error *e = ntcp_nns_error_info(p.c);
    CHECK(e && e->step == NTCP_NNS_STEP_IDENTITY);
    CHECK_EQ_STR(ntcp_cause_id(ntcp_nns_cause(e)), "identity_mismatch");
    CHECK_EQ_INT(ntcp_nns_send(p.c, (const uint8_t *)"x", 1, &p.c_out), NTCP_E_IDENTITY_MISMATCH);
    pair_free(&p);
}

/* The start hook runs once, first; its refusal fails the handshake before a
 * byte is produced. The leg observer sees each message with its size. */
static int hook_calls;
static ntcp_status hook_result;
static ntcp_status start_hook(void *ctx)
{
    (void)ctx;
    hook_calls++;
    return hook_result;
}
static char legs_seen[128];
static void leg_seen(void *ctx, bool sent, uint8_t id, size_t len)
{
    (void)ctx;
    size_t n = strlen(legs_seen);
    snprintf(legs_seen + n, sizeof legs_seen - n, "%s%02x:%zu ", sent ? ">" : "<", id, len);
}

TEST(nns_start_hook_and_leg_observer)
{
    pair p;
    pair_init(&p, FAKE_KRB_MUTUAL, FLAGS_ES, FLAGS_ES, NULL, NULL);
    hook_calls = 0;
    hook_result = NTCP_E_IO;
    ntcp_nns_set_start_hook(p.c, start_hook, NULL);
    CHECK_EQ_INT(ntcp_nns_start(p.c, &p.c_out), NTCP_E_IO);
    CHECK_EQ_INT(hook_calls, 1);
    CHECK_EQ_INT(p.c_out.len, 0);
    CHECK(ntcp_nns_failed(p.c));
    pair_free(&p);

    pair_init(&p, FAKE_KRB_MUTUAL, FLAGS_ES, FLAGS_ES, NULL, NULL);
    hook_calls = 0;
    hook_result = NTCP_OK;
    legs_seen[0] = 0;
    ntcp_nns_set_start_hook(p.c, start_hook, NULL);
    ntcp_nns_set_leg_cb(p.c, leg_seen, NULL);
    CHECK_EQ_INT(ntcp_nns_start(p.c, &p.c_out), NTCP_OK);
    CHECK_EQ_INT(hook_calls, 1);
    CHECK_EQ_INT(deliver(p.s, &p.c_out, &p.s_plain, &p.s_out), NTCP_OK);
    CHECK_EQ_INT(deliver(p.c, &p.s_out, &p.c_plain, &p.c_out), NTCP_OK);
    CHECK(ntcp_nns_established(p.c));
    CHECK_EQ_INT(hook_calls, 1);
    CHECK_EQ_STR(legs_seen, ">16:6 <14:6 "); /* AP-REQ out, AP-REP in (HandshakeDone) */
    pair_free(&p);
}
