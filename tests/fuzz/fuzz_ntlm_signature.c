/* libFuzzer target: the NTLM signature layouts of NegotiateStream data
 * frames (PROTOCOLS 2.5: Windows puts the 16-byte signature first,
 * gss-ntlmssp releases put it first or last; the GSS provider rotates).
 *  mode 0: ntcp_nns_ntlm_signature_to_front / _to_back on the input:
 *          inverse of each other, a rotation by 16, refusing < 16 bytes;
 *  mode 1: the input is the payload of a data frame sent to an established
 *          NTLM context (real gss-ntlmssp, made once; EncryptAndSign and
 *          Sign, both ends): any length, any layout;
 *  mode 2: a fresh NTLM pair; the sender wraps the input's message, the
 *          frame is then left alone, moved to the other layout, or has a
 *          bit flipped: the receiver yields exactly the message or nothing.
 * Byte 0 picks the mode and variant. */
#include <stdlib.h>
#include <string.h>
#include <nettcp/negotiate.h>
#include "negotiate/frames.h" /* the signature rotations are internal */
#include "count_alloc.h"
#include "gss_env.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool open_pair(ntcp_protection prot, ntcp_nns **c, ntcp_nns **s)
{
    ntcp_nns_options co, so;
    ntcp_nns_options_init(&co);
    ntcp_nns_options_init(&so);
    co.package = NTCP_PACKAGE_NTLM;
    co.protection = so.protection = prot;
    co.require_server_auth = false;
    co.identity = "spn:" FUZZ_SPN;
    co.user = FUZZ_NTLM_USER;
    co.password = FUZZ_NTLM_PASSWORD;
    *c = *s = NULL;
    if (ntcp_nns_new_initiator(c, &co, ntcp_gss_provider()) || ntcp_nns_new_acceptor(s, &so, ntcp_gss_provider()))
        return false;
    ntcp_buf a, b, plain;
    ntcp_buf_init(&a, 1 << 20);
    ntcp_buf_init(&b, 1 << 20);
    ntcp_buf_init(&plain, 1 << 20);
    bool ok = ntcp_nns_start(*c, &a) == NTCP_OK;
    for (int leg = 0; ok && leg < 8 && !(ntcp_nns_established(*c) && ntcp_nns_established(*s)); leg++) {
        size_t used;
        ntcp_status st = ntcp_nns_recv(*s, a.data, a.len, &used, &plain, &b);
        ntcp_buf_reset(&a);
        ok = st == NTCP_OK || st == NTCP_AGAIN;
        st = ntcp_nns_recv(*c, b.data, b.len, &used, &plain, &a);
        ntcp_buf_reset(&b);
        ok = ok && (st == NTCP_OK || st == NTCP_AGAIN);
    }
    ntcp_buf_free(&a);
    ntcp_buf_free(&b);
    ntcp_buf_free(&plain);
    return ok && ntcp_nns_established(*c) && ntcp_nns_established(*s);
}

static ntcp_nns *kept[2][2]; /* [Sign, EncryptAndSign][client, service] */
static void frame_to(ntcp_nns *n, const uint8_t *payload, size_t len);
static long baseline;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fz_no_per_input_leak_check(argc, argv);
    fuzz_gss_env();
    fz_count_allocations();
    if (!open_pair(NTCP_PROTECTION_SIGN, &kept[0][0], &kept[0][1]) ||
        !open_pair(NTCP_PROTECTION_ENCRYPT_AND_SIGN, &kept[1][0], &kept[1][1]))
        abort(); /* the environment cannot do NTLM: nothing here would be tested */
    /* a context makes some buffers at its first frames (the copy gss-ntlmssp
     * rearranges, ...): make them before counting what is live */
    static const uint8_t junk[64] = { 1 };
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
            for (size_t n = 5; n <= sizeof junk; n *= 2)
                frame_to(kept[i][j], junk, n);
    baseline = fz_live_allocations();
    return 0;
}

static void rotations(const uint8_t *data, size_t size)
{
    uint8_t *p = malloc(size ? size : 1);
    if (size)
        memcpy(p, data, size);
    ntcp_status s = ntcp_nns_ntlm_signature_to_front(p, size);
    if (size < NTCP_NNS_NTLM_SIGNATURE) {
        if (s != NTCP_E_NNS_FRAME_SIZE || ntcp_nns_ntlm_signature_to_back(p, size) != NTCP_E_NNS_FRAME_SIZE ||
            (size && memcmp(p, data, size)))
            __builtin_trap();
    } else {
        if (s || memcmp(p, data + size - 16, 16) || memcmp(p + 16, data, size - 16))
            __builtin_trap(); /* the last 16 bytes moved to the front */
        if (ntcp_nns_ntlm_signature_to_back(p, size) || memcmp(p, data, size))
            __builtin_trap(); /* and back */
    }
    free(p);
}

static void frame_to(ntcp_nns *n, const uint8_t *payload, size_t len)
{
    ntcp_buf wire, plain, out;
    ntcp_buf_init(&wire, 1 << 20);
    ntcp_buf_init(&plain, 1 << 20);
    ntcp_buf_init(&out, 1 << 20);
    size_t used;
    if (ntcp_buf_put_u32le(&wire, (uint32_t)len) == NTCP_OK && ntcp_buf_append(&wire, payload, len) == NTCP_OK) {
        ntcp_status s = ntcp_nns_recv(n, wire.data, wire.len, &used, &plain, &out);
        (void)s;
    }
    ntcp_buf_free(&wire);
    ntcp_buf_free(&plain);
    ntcp_buf_free(&out);
}

static void wrapped(uint8_t sel, const uint8_t *msg, size_t len)
{
    if (len < 2)
        return;
    size_t at = msg[0];
    msg++;
    len--;
    ntcp_nns *c, *s;
    bool ok = open_pair((sel & 4) ? NTCP_PROTECTION_SIGN : NTCP_PROTECTION_ENCRYPT_AND_SIGN, &c, &s);
    ntcp_buf wire, plain, out;
    ntcp_buf_init(&wire, 1 << 20);
    ntcp_buf_init(&plain, 1 << 20);
    ntcp_buf_init(&out, 1 << 20);
    if (ok && ntcp_nns_send(c, msg, len, &wire) == NTCP_OK && wire.len > 4 + 16) {
        int how = (sel >> 3) % 3; /* 0 as is, 1 other layout, 2 one bit flipped */
        if (how == 1 && !(sel & 4))
            (void)!ntcp_nns_ntlm_signature_to_back(wire.data + 4, wire.len - 4);
        if (how == 2)
            wire.data[4 + at % (wire.len - 4)] ^= (uint8_t)(1u << (sel >> 5));
        size_t used;
        ntcp_status st = ntcp_nns_recv(s, wire.data, wire.len, &used, &plain, &out);
        if (plain.len && (plain.len != len || memcmp(plain.data, msg, len)))
            __builtin_trap(); /* other bytes than were sent */
        if (how == 0 && (st != NTCP_OK && st != NTCP_AGAIN))
            __builtin_trap(); /* an untouched frame was refused */
        if (how == 2 && plain.len)
            __builtin_trap(); /* a flipped bit went unnoticed */
    }
    ntcp_buf_free(&wire);
    ntcp_buf_free(&plain);
    ntcp_buf_free(&out);
    ntcp_nns_free(c);
    ntcp_nns_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t sel = data[0];
    data++;
    size--;
    switch (sel % 3) {
    case 0:
        rotations(data, size);
        break;
    case 1:
        frame_to(kept[(sel >> 2) & 1][(sel >> 3) & 1], data, size);
        break;
    case 2:
        wrapped(sel, data, size);
        break;
    }
    if (fz_live_allocations() != baseline)
        __builtin_trap();
    return 0;
}
