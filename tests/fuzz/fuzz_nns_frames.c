/* libFuzzer target for the MS-NNS decoders: handshake messages, HandshakeError
 * codes, data frame headers, MIC lengths, and the acceptor state machine fed
 * in fuzzer-chosen pieces (with a trivial provider, so the fuzzer reaches the
 * data phase).
 * The first byte picks the mode; the rest is the input. */
#include <stdint.h>
#include <string.h>
#include <nettcp/negotiate.h>
#include "negotiate/frames.h"

static ntcp_status z_acquire(void *self, const ntcp_nns_options *o, bool initiator, void **cred, ntcp_nns_error *err)
{
    *cred = self;
    return NTCP_OK;
}
static ntcp_status z_init(void *self, void *cred, void **ctx, const ntcp_nns_options *o, const ntcp_nns_target *t,
                          uint32_t f, const uint8_t *in, size_t len, ntcp_buf *out, bool *complete, ntcp_nns_error *e)
{
    return NTCP_E_AUTH_FAILED;
}
/* completes when the token starts with 'Z'; fails on 'F' */
static ntcp_status z_accept(void *self, void *cred, void **ctx, const uint8_t *in, size_t len, ntcp_buf *out,
                            bool *complete, ntcp_nns_error *e)
{
    *ctx = self;
    if (len && in[0] == 'F') {
        e->major = 13u << 16;
        return NTCP_E_AUTH_FAILED;
    }
    *complete = len && in[0] == 'Z';
    return ntcp_buf_append(out, in, len > 16 ? 16 : len);
}
static ntcp_status z_wrap(void *self, void *ctx, bool conf, const uint8_t *in, size_t len, ntcp_buf *out,
                          ntcp_nns_error *e)
{
    ntcp_status s = ntcp_buf_append(out, "WRAPWRAP", 8);
    return s ? s : ntcp_buf_append(out, in, len);
}
static ntcp_status z_unwrap(void *self, void *ctx, const uint8_t *in, size_t len, ntcp_buf *out, bool *conf,
                            ntcp_nns_error *e)
{
    if (len < 8 || memcmp(in, "WRAPWRAP", 8))
        return NTCP_E_MESSAGE_ALTERED;
    *conf = true;
    return ntcp_buf_append(out, in + 8, len - 8);
}
static ntcp_status z_get_mic(void *self, void *ctx, const uint8_t *m, size_t len, ntcp_buf *out, ntcp_nns_error *e)
{
    return ntcp_buf_append(out, "0123456789abcdef", 16);
}
static ntcp_status z_verify_mic(void *self, void *ctx, const uint8_t *m, size_t len, const uint8_t *mic,
                                size_t ml, ntcp_nns_error *e)
{
    return ml == 16 && !memcmp(mic, "0123456789abcdef", 16) ? NTCP_OK : NTCP_E_MESSAGE_ALTERED;
}
static uint32_t z_flags;
static ntcp_status z_inquire(void *self, void *ctx, ntcp_nns_info *info, ntcp_nns_error *e)
{
    info->package = (z_flags & 1) ? NTCP_PACKAGE_NTLM : NTCP_PACKAGE_KERBEROS;
    info->flags = (z_flags & 2) ? 0x30 : (z_flags & 4) ? 0x20 : 0;
    info->enctype = 18;
    return NTCP_OK;
}
static void z_free(void *self, void *p) {}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    data++;
    size--;
    switch (mode % 3) {
    case 0: {
        /* every decoder over the input */
        size_t off = 0;
        while (off < size) {
            ntcp_nns_handshake m;
            size_t used = 0;
            ntcp_status s = ntcp_nns_decode_handshake(data + off, size - off, (mode & 0x80) ? 64 : 0xFFFF, &m, &used);
            if (s != NTCP_OK)
                break;
            if (used < NTCP_NNS_HANDSHAKE_HEADER || used > size - off || m.len != used - NTCP_NNS_HANDSHAKE_HEADER)
                __builtin_trap();
            uint32_t code;
            bool be;
            (void)ntcp_nns_error_code(m.payload, m.len, &code, &be);
            off += used;
        }
        size_t pl;
        if (ntcp_nns_decode_data_header(data, size, 65536, &pl) == NTCP_OK && (pl <= 4 || pl > 65536))
            __builtin_trap();
        size_t ml = ntcp_nns_mic_length((mode & 0x40) ? NTCP_PACKAGE_NTLM : NTCP_PACKAGE_KERBEROS, mode & 0x1F, data,
                                        size);
        if (ml > size)
            __builtin_trap();
        break;
    }
    case 1:
    case 2: {
        /* the acceptor fed in pieces whose sizes come from the mode byte */
        z_flags = mode >> 2;
        ntcp_nns_provider p = { "fuzz", z_acquire, z_init, z_accept, z_wrap, z_unwrap, z_get_mic, z_verify_mic,
                                z_inquire, NULL, z_free, z_free, NULL, NULL };
        ntcp_nns_options o;
        ntcp_nns_options_init(&o);
        o.protection = (mode & 0x40) ? NTCP_PROTECTION_SIGN : NTCP_PROTECTION_NONE;
        o.allow_anonymous_clients = true;
        o.limits.max_token = (mode & 0x80) ? 300 : 0xFFFF;
        ntcp_nns *n = NULL;
        if (ntcp_nns_new_acceptor(&n, &o, &p) != NTCP_OK)
            return 0;
        ntcp_buf plain, out;
        ntcp_buf_init(&plain, 1 << 20);
        ntcp_buf_init(&out, 1 << 20);
        size_t piece = (mode % 3 == 1) ? 1 : 7 + (mode & 0x3F);
        for (size_t off = 0; off < size;) {
            size_t k = size - off < piece ? size - off : piece, consumed = 0;
            ntcp_status s = ntcp_nns_recv(n, data + off, k, &consumed, &plain, &out);
            if (consumed > k)
                __builtin_trap();
            if (s != NTCP_OK && s != NTCP_AGAIN)
                break;
            off += k;
            if (ntcp_nns_established(n) && plain.len) {
                ntcp_buf_reset(&out);
                if (ntcp_nns_send(n, plain.data, plain.len, &out) != NTCP_OK)
                    break;
                ntcp_buf_reset(&plain);
            }
        }
        (void)ntcp_nns_last_error(n);
        ntcp_buf_free(&plain);
        ntcp_buf_free(&out);
        ntcp_nns_free(n);
        break;
    }
    }
    return 0;
}
