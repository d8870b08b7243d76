/* libFuzzer target for the RFC 4121 fast path (src/negotiate/cfx.c), with
 * two contexts sharing fixed keys:
 *  mode 0: the input is a token, unwrapped by both ends and checked as a MIC;
 *  mode 1: the input is a message, wrapped (sealed or not, fuzzer-chosen RRC
 *          and EC), optionally one bit flipped; unwrap must return the
 *          message exactly when nothing was flipped, and fail otherwise
 *          (a flip in RRC may only ever yield the same message).
 * The first byte picks the mode and the variant.
 * Built with FUZZ_CFX_SEQUENCE (fuzz_cfx_sequence.c): the contexts check
 * replay and sequence (GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG, as MIT
 * contexts do), are made afresh for each input, and in mode 1 a token that
 * was accepted must be refused as a duplicate when it comes again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <nettcp/util.h>
#include "negotiate/cfx.h"

#ifndef FUZZ_CFX_SEQUENCE
#define FUZZ_CFX_SEQUENCE 0
#endif

static ntcp_cfx *ends[2][2]; /* [subkey][initiator?0:1] */

static void setup(void)
{
    for (int sk = 0; sk < 2; sk++)
        for (int i = 0; i < 2; i++) {
            ntcp_cfx_free(ends[sk][i]);
            ends[sk][i] = NULL;
        }
    static const uint8_t k1[32] = "0123456789abcdef0123456789abcdef", k2[32] = "fedcba9876543210fedcba9876543210";
    for (int sk = 0; sk < 2; sk++) {
        ntcp_cfx_params p = { true, 18, k1, 32, sk != 0, 17, k2, sk ? 16 : 0, 0, 0, FUZZ_CFX_SEQUENCE,
                              FUZZ_CFX_SEQUENCE };
        if (ntcp_cfx_new(&ends[sk][0], &p))
            abort();
        p.initiator = false;
        if (ntcp_cfx_new(&ends[sk][1], &p))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ends[0][0] || FUZZ_CFX_SEQUENCE)
        setup();
    if (size < 1)
        return 0;
    uint8_t sel = data[0];
    data++;
    size--;
    ntcp_cfx **e = ends[(sel >> 1) & 1];
    ntcp_buf out, tok;
    ntcp_buf_init(&out, 1 << 20);
    ntcp_buf_init(&tok, 1 << 20);
    if (!(sel & 1)) {
        for (int side = 0; side < 2; side++) {
            uint8_t *t = malloc(size ? size : 1);
            if (size)
                memcpy(t, data, size);
            bool conf;
            ntcp_status bs;
            ntcp_buf_reset(&out);
            uint32_t r = ntcp_cfx_unwrap(e[side], t, size, &out, &conf, &bs);
            if (NTCP_CFX_ERROR(r) && out.len)
                abort(); /* nothing may come out of a refused token */
            (void)ntcp_cfx_verify_mic(e[side], data, size / 2, data + size / 2, size - size / 2);
            free(t);
        }
    } else if (size >= 5) {
        bool sealed = sel & 4, ec_on = sel & 8, flip = sel & 16;
        uint16_t rrc = (uint16_t)(data[0] << 8 | data[1]), ec = ec_on ? data[2] : 0;
        size_t at = (size_t)data[3] << 8 | data[4];
        const uint8_t *m = data + 5;
        size_t n = size - 5;
        int from = (sel >> 5) & 1;
        ntcp_status s = sealed && ec ? ntcp_cfx_wrap_ec(e[from], m, n, ec, rrc, &tok)
                                     : ntcp_cfx_wrap(e[from], sealed, m, n, rrc, &tok);
        if (s)
            abort();
        /* RRC (bytes 6-7) is covered by no checksum (RFC 4121 4.2.5): a
         * flip there that rotates by the same amount modulo the payload
         * is the same token */
        size_t pos = at % tok.len;
        bool rrc_only = pos == 6 || pos == 7;
        if (flip)
            tok.data[pos] ^= (uint8_t)(1u << (sel >> 6));
        bool conf = false;
        ntcp_status bs = NTCP_OK;
        ntcp_buf copy; /* unwrap un-rotates tok in place */
        ntcp_buf_init(&copy, 1 << 20);
        if (ntcp_buf_append(&copy, tok.data, tok.len))
            abort();
        uint32_t r = ntcp_cfx_unwrap(e[!from], tok.data, tok.len, &out, &conf, &bs);
        if (flip && rrc_only) {
            if (!NTCP_CFX_ERROR(r) && (out.len != n || (n && memcmp(out.data, m, n))))
                abort();
        } else if (flip) {
            if (!NTCP_CFX_ERROR(r) || out.len)
                abort(); /* a flipped bit went unnoticed */
        } else if (r != 0 || conf != sealed || out.len != n || (n && memcmp(out.data, m, n))) {
            abort();
        } else if (FUZZ_CFX_SEQUENCE) {
            /* the same token again: reported as a duplicate (or refused) */
            ntcp_buf again;
            ntcp_buf_init(&again, 1 << 20);
            uint32_t r2 = ntcp_cfx_unwrap(e[!from], copy.data, copy.len, &again, &conf, &bs);
            if (!(r2 & NTCP_CFX_DUPLICATE_TOKEN) && !NTCP_CFX_ERROR(r2))
                abort();
            ntcp_buf_free(&again);
        }
        ntcp_buf_free(&copy);
    }
    ntcp_buf_free(&out);
    ntcp_buf_free(&tok);
    return 0;
}
