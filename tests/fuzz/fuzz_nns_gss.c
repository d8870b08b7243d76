/* libFuzzer target: NegotiateStream on both sides through the REAL GSS
 * provider (MIT GSSAPI: SPNEGO, Kerberos, gss-ntlmssp), in a private
 * environment (gss_env.h: an NTLM user file, a keytab, no KDC). What a
 * malicious peer can send before and after authentication:
 *  mode 0: the input is what a client sends to a service (the acceptor);
 *  mode 1: the input is what a service answers a client (the initiator,
 *          after its first token);
 *  mode 2/3: a real client and a real service, and the input mutates each
 *          batch of bytes crossing between them (a man in the middle):
 *          handshake messages, then two data frames each way.
 * Byte 0: bits 0-1 mode, bits 2-3 protection, bit 4 client package NTLM
 * (else Negotiate), bit 5 service allows anonymous clients, bits 6-7 the
 * size of the pieces fed. Checked: no crash or leak; with integrity on
 * (Sign, EncryptAndSign) a receiver never yields bytes other than exactly
 * what the sender sent, once. Leaks: the library's live allocations
 * (counted through its allocator hook) are back to the level after a first
 * exchange (which fills the service's credential cache) after every input;
 * LeakSanitizer's per-input check is off by default here (see
 * count_alloc.h), its end-of-run check stays. */
#include <stdlib.h>
#include <string.h>
#include <nettcp/negotiate.h>
#include "count_alloc.h"
#include "gss_env.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static long baseline;
static void middle(uint8_t cfg, const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fz_no_per_input_leak_check(argc, argv);
    fuzz_gss_env();
    fz_count_allocations();
    middle(0x0A, NULL, 0); /* fills the process-wide credential caches */
    baseline = fz_live_allocations();
    return 0;
}

static void options(uint8_t cfg, ntcp_nns_options *co, ntcp_nns_options *so)
{
    ntcp_nns_options init;
    ntcp_nns_options_init(&init);
    static const ntcp_protection prot[4] = { NTCP_PROTECTION_NONE, NTCP_PROTECTION_SIGN,
                                             NTCP_PROTECTION_ENCRYPT_AND_SIGN, NTCP_PROTECTION_ENCRYPT_AND_SIGN };
    *co = init;
    *so = init;
    co->protection = so->protection = prot[(cfg >> 2) & 3];
    co->package = (cfg & 0x10) ? NTCP_PACKAGE_NTLM : NTCP_PACKAGE_NEGOTIATE;
    co->require_server_auth = false;
    co->identity = "spn:" FUZZ_SPN;
    co->user = FUZZ_NTLM_USER;
    co->password = FUZZ_NTLM_PASSWORD;
    so->allow_anonymous_clients = cfg & 0x20;
}

static size_t piece_size(uint8_t cfg)
{
    static const size_t sizes[4] = { (size_t)-1, 1, 5, 64 };
    return sizes[cfg >> 6];
}

/* Feeds raw bytes to n in pieces; a service or client echoes what it
 * receives once established. Returns false when n failed. */
static bool feed(ntcp_nns *n, const uint8_t *p, size_t len, size_t piece, ntcp_buf *plain, ntcp_buf *out)
{
    for (size_t off = 0; off < len;) {
        size_t k = len - off < piece ? len - off : piece, used = 0;
        ntcp_status s = ntcp_nns_recv(n, p + off, k, &used, plain, out);
        if (used > k)
            __builtin_trap();
        if (s != NTCP_OK && s != NTCP_AGAIN) {
            if (!ntcp_nns_error_info(n) || !ntcp_nns_last_error(n))
                __builtin_trap(); /* every failure is explained */
            return false;
        }
        off += k;
        if (ntcp_nns_established(n) && plain->len) {
            if (ntcp_nns_send(n, plain->data, plain->len, out) != NTCP_OK)
                return false;
            ntcp_buf_reset(plain);
        }
    }
    return true;
}

static void one_side(uint8_t cfg, bool initiator, const uint8_t *data, size_t size)
{
    ntcp_nns_options co, so;
    options(cfg, &co, &so);
    ntcp_nns *n = NULL;
    ntcp_status s = initiator ? ntcp_nns_new_initiator(&n, &co, ntcp_gss_provider())
                              : ntcp_nns_new_acceptor(&n, &so, ntcp_gss_provider());
    if (s)
        return;
    ntcp_buf plain, out;
    ntcp_buf_init(&plain, 1 << 20);
    ntcp_buf_init(&out, 1 << 20);
    if (!initiator || ntcp_nns_start(n, &out) == NTCP_OK)
        (void)feed(n, data, size, piece_size(cfg), &plain, &out);
    if (ntcp_nns_established(n) && !ntcp_nns_get_result(n))
        __builtin_trap();
    ntcp_buf_free(&plain);
    ntcp_buf_free(&out);
    ntcp_nns_free(n);
}

/* ---- man in the middle ----------------------------------------------------
 * Each batch of bytes crossing takes the next operation from the input:
 * [op][n][n bytes of argument]; ops: 0 pass, 1 replace with the argument,
 * 2 xor the argument in at offset arg[0], 3 truncate to arg[0] % (len+1),
 * 4 insert the argument's rest at offset arg[0], 5 send it twice (replay),
 * 6 drop it, 7 append the argument. No input left: pass. */
typedef struct script {
    const uint8_t *p;
    size_t n;
} script;

static bool mutate(script *sc, ntcp_buf *b)
{
    if (sc->n < 2)
        return false;
    uint8_t op = sc->p[0] & 7;
    size_t an = sc->p[1] < sc->n - 2 ? sc->p[1] : sc->n - 2;
    const uint8_t *a = sc->p + 2;
    sc->p += 2 + an;
    sc->n -= 2 + an;
    ntcp_buf t;
    ntcp_buf_init(&t, 1 << 20);
    bool changed = true;
    switch (op) {
    case 0:
        changed = false;
        break;
    case 1:
        ntcp_buf_reset(b);
        (void)!ntcp_buf_append(b, a, an);
        break;
    case 2:
        for (size_t i = 1; i < an && b->len; i++)
            b->data[(a[0] + i - 1) % b->len] ^= a[i];
        break;
    case 3:
        if (an)
            b->len = a[0] % (b->len + 1);
        break;
    case 4: {
        size_t at = an && b->len ? a[0] % (b->len + 1) : 0;
        if (b->len)
            (void)!ntcp_buf_append(&t, b->data, at);
        if (an)
            (void)!ntcp_buf_append(&t, a + 1, an - 1);
        if (b->len)
            (void)!ntcp_buf_append(&t, b->data + at, b->len - at);
        ntcp_buf_reset(b);
        (void)!ntcp_buf_append(b, t.data, t.len);
        break;
    }
    case 5:
        (void)!ntcp_buf_append(&t, b->data, b->len);
        (void)!ntcp_buf_append(b, t.data, t.len);
        break;
    case 6:
        ntcp_buf_reset(b);
        break;
    case 7:
        (void)!ntcp_buf_append(b, a, an);
        break;
    }
    ntcp_buf_free(&t);
    return changed;
}

/* Delivers `wire` to n through the middle; checks what comes out. */
static bool cross(ntcp_nns *n, script *sc, ntcp_buf *wire, ntcp_buf *plain, ntcp_buf *out, const char *sent,
                  bool integrity, int *arrived)
{
    bool changed = mutate(sc, wire);
    size_t used = 0;
    ntcp_buf_reset(plain);
    ntcp_status s = wire->len ? ntcp_nns_recv(n, wire->data, wire->len, &used, plain, out) : NTCP_AGAIN;
    ntcp_buf_reset(wire);
    if (sent && plain->len) {
        size_t sl = strlen(sent);
        if (integrity && (plain->len != sl || memcmp(plain->data, sent, sl)))
            __builtin_trap(); /* altered, replayed or invented data got through */
        if (!changed && (plain->len != sl || memcmp(plain->data, sent, sl)))
            __builtin_trap();
        ++*arrived;
    }
    return s == NTCP_OK || s == NTCP_AGAIN;
}

static void middle(uint8_t cfg, const uint8_t *data, size_t size)
{
    ntcp_nns_options co, so;
    options(cfg, &co, &so);
    ntcp_nns *c = NULL, *s = NULL;
    if (ntcp_nns_new_initiator(&c, &co, ntcp_gss_provider()) || ntcp_nns_new_acceptor(&s, &so, ntcp_gss_provider())) {
        ntcp_nns_free(c);
        return;
    }
    script sc = { data, size };
    ntcp_buf c_out, s_out, plain;
    ntcp_buf_init(&c_out, 1 << 20);
    ntcp_buf_init(&s_out, 1 << 20);
    ntcp_buf_init(&plain, 1 << 20);
    int arrived = 0;
    bool ok = ntcp_nns_start(c, &c_out) == NTCP_OK;
    for (int leg = 0; ok && leg < 10 && !(ntcp_nns_established(c) && ntcp_nns_established(s)); leg++) {
        ok = cross(s, &sc, &c_out, &plain, &s_out, NULL, false, NULL);
        ok = ok && cross(c, &sc, &s_out, &plain, &c_out, NULL, false, NULL);
    }
    if (ok && ntcp_nns_established(c) && ntcp_nns_established(s)) {
        bool integrity = co.protection != NTCP_PROTECTION_NONE;
        static const char *const msgs[4] = { "request one", "reply one", "request two, a little longer",
                                             "reply two" };
        for (int i = 0; ok && i < 4; i++) {
            ntcp_nns *from = (i & 1) ? s : c, *to = (i & 1) ? c : s;
            ntcp_buf *wire = (i & 1) ? &s_out : &c_out, *back = (i & 1) ? &c_out : &s_out;
            ntcp_buf_reset(wire);
            ok = ntcp_nns_send(from, (const uint8_t *)msgs[i], strlen(msgs[i]), wire) == NTCP_OK &&
                 cross(to, &sc, wire, &plain, back, msgs[i], integrity, &arrived);
            ntcp_buf_reset(back);
        }
    }
    if (size == 0 && arrived != 4)
        __builtin_trap(); /* nobody in the middle: every message arrives */
    ntcp_buf_free(&c_out);
    ntcp_buf_free(&s_out);
    ntcp_buf_free(&plain);
    ntcp_nns_free(c);
    ntcp_nns_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t cfg = data[0];
    switch (cfg & 3) {
    case 0:
        one_side(cfg, false, data + 1, size - 1);
        break;
    case 1:
        one_side(cfg, true, data + 1, size - 1);
        break;
    default:
        middle(cfg, data + 1, size - 1);
        break;
    }
    if (fz_live_allocations() != baseline)
        __builtin_trap(); /* the library leaked (or freed what it did not allocate) */
    return 0;
}
