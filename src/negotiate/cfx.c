/* RFC 4121 per-message tokens with OpenSSL for aes*-cts-hmac-sha1-96
 * Kerberos contexts (see cfx.h). Debian's MIT krb5 uses its builtin
 * software AES and SHA-1; libcrypto uses AES-NI and the SHA extensions, and
 * the four per-message operations were nearly all of a secured request's
 * cost.
 *
 * Crypto profile (RFC 3961, RFC 3962):
 *   Ke = DK(base, usage | 0xAA), Ki = DK(base, usage | 0x55),
 *   Kc = DK(base, usage | 0x99); DK = DR (AES "encrypt the n-fold of the
 *   constant", chained) with the identity random-to-key;
 *   encrypt(P) = CTS-CBC(Ke, IV 0, confounder | P) | HMAC-SHA1(Ki, confounder | P)[0..12);
 *   checksum(M) = HMAC-SHA1(Kc, M)[0..12).
 * Token layout (RFC 4121 4.2.6): Wrap 05 04 | flags | FF | EC | RRC | SND_SEQ,
 * sealed: header | encrypt(data | EC filler | header with RRC 0), rotated
 * right by RRC after the header; unsealed: header(EC = 12) | data |
 * checksum(data | header with EC = RRC = 0). MIC 04 04 | flags | FF x5 |
 * SND_SEQ | checksum(message | header). */
/* The low-level SHA1_* calls are deprecated in OpenSSL 3 but kept: an HMAC
 * state is then a plain struct copy, where EVP_MD_CTX_copy_ex allocates and
 * frees a provider context per copy (measured at a third of a small
 * message's cost). They run the same SHA-NI code as EVP. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include "negotiate/cfx.h"
#include "util/reader.h"

/* Wipes secrets on the stack and in the context. glibc's explicit_bzero is
 * its vector memset behind a compiler barrier; OPENSSL_cleanse stores a byte
 * at a time. */
#define wipe(p, n) explicit_bzero((p), (n))

#define HDR 16
#define BLOCK 16
#define CKSUM 12 /* HMAC-SHA1-96 */
#define SHA1_LEN 20
#define SHA1_BLOCK 64

#define FLAG_SENT_BY_ACCEPTOR 0x01
#define FLAG_SEALED 0x02
#define FLAG_ACCEPTOR_SUBKEY 0x04

/* RFC 4121 2: key usages */
#define USAGE_ACCEPTOR_SEAL 22
#define USAGE_ACCEPTOR_SIGN 23
#define USAGE_INITIATOR_SEAL 24
#define USAGE_INITIATOR_SIGN 25

/* ---- algorithms, fetched once ------------------------------------------------ */
static pthread_once_t algs_once = PTHREAD_ONCE_INIT;
static EVP_CIPHER *alg_cbc128, *alg_cbc256, *alg_ecb128, *alg_ecb256;

static void algs_fetch(void)
{
    alg_cbc128 = EVP_CIPHER_fetch(NULL, "AES-128-CBC", NULL);
    alg_cbc256 = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL);
    alg_ecb128 = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL);
    alg_ecb256 = EVP_CIPHER_fetch(NULL, "AES-256-ECB", NULL);
}

static const EVP_CIPHER *cbc_for(size_t key_len)
{
    pthread_once(&algs_once, algs_fetch);
    if (!alg_ecb128 || !alg_ecb256)
        return NULL;
    return key_len == 16 ? alg_cbc128 : key_len == 32 ? alg_cbc256 : NULL;
}

static const uint8_t zero_iv[BLOCK];

/* A CBC context with its key set and padding off; false on failure. */
static EVP_CIPHER_CTX *cbc_new(const uint8_t *key, size_t key_len, bool encrypt)
{
    const EVP_CIPHER *alg = cbc_for(key_len);
    if (!alg)
        return NULL;
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    if (!x)
        return NULL;
    if (!EVP_CipherInit_ex(x, alg, NULL, key, zero_iv, encrypt ? 1 : 0) || !EVP_CIPHER_CTX_set_padding(x, 0)) {
        EVP_CIPHER_CTX_free(x);
        return NULL;
    }
    return x;
}

/* One update of whole blocks (CBC or ECB); true when it produced exactly len bytes. */
static bool blocks_update(EVP_CIPHER_CTX *x, uint8_t *out, const uint8_t *in, size_t len)
{
    if (!len)
        return true;
    int outl = 0;
    return len <= 0x7FFFFFF0u && EVP_CipherUpdate(x, out, &outl, in, (int)len) == 1 && (size_t)outl == len;
}

/* ---- HMAC-SHA1 with precomputed inner and outer states ---------------------------- */
typedef struct hmac_key {
    bool ready;
    SHA_CTX in, out;
} hmac_key;

static void hmac_key_free(hmac_key *h) { wipe(h, sizeof *h); }

static bool hmac_key_init(hmac_key *h, const uint8_t *key, size_t key_len)
{
    uint8_t pad[SHA1_BLOCK];
    if (key_len > SHA1_BLOCK)
        return false;
    memset(pad, 0x36, sizeof pad);
    for (size_t i = 0; i < key_len; i++)
        pad[i] ^= key[i];
    bool ok = SHA1_Init(&h->in) && SHA1_Update(&h->in, pad, sizeof pad);
    memset(pad, 0x5c, sizeof pad);
    for (size_t i = 0; i < key_len; i++)
        pad[i] ^= key[i];
    ok = ok && SHA1_Init(&h->out) && SHA1_Update(&h->out, pad, sizeof pad);
    wipe(pad, sizeof pad);
    h->ready = ok;
    if (!ok)
        hmac_key_free(h);
    return ok;
}

typedef struct span {
    const uint8_t *p;
    size_t n;
} span;

static bool hmac(const hmac_key *h, const span *parts, size_t count, uint8_t mac[SHA1_LEN])
{
    uint8_t inner[SHA1_LEN];
    SHA_CTX w = h->in;
    bool ok = true;
    for (size_t i = 0; ok && i < count; i++)
        ok = !parts[i].n || SHA1_Update(&w, parts[i].p, parts[i].n);
    ok = ok && SHA1_Final(inner, &w);
    w = h->out;
    ok = ok && SHA1_Update(&w, inner, SHA1_LEN) && SHA1_Final(mac, &w);
    wipe(&w, sizeof w);
    return ok;
}

/* ---- RFC 3961 n-fold and DK ------------------------------------------------------ */
void ntcp_cfx_nfold(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len)
{
    /* The input is repeated, each copy rotated 13 bits further right, up to
     * lcm(in_len, out_len) bytes; the out_len-byte chunks are added with
     * end-around carry (ones' complement). Walks the lcm from the last byte,
     * computing which input bit starts each byte. */
    size_t a = out_len, b = in_len;
    while (b) {
        size_t t = a % b;
        a = b;
        b = t;
    }
    size_t lcm = out_len / a * in_len;
    size_t inbits = in_len * 8;
    unsigned carry = 0;
    memset(out, 0, out_len);
    for (size_t i = lcm; i-- > 0;) {
        /* the most significant bit of this byte, within the unrotated input */
        size_t msbit = (inbits - 1 + (inbits + 13) * (i / in_len) + (in_len - i % in_len) * 8) % inbits;
        unsigned hi = in[(in_len - 1 - (msbit >> 3)) % in_len];
        unsigned lo = in[(in_len - (msbit >> 3)) % in_len];
        carry += ((hi << 8 | lo) >> ((msbit & 7) + 1)) & 0xFF;
        carry += out[i % out_len];
        out[i % out_len] = (uint8_t)carry;
        carry >>= 8;
    }
    while (carry) { /* end-around carry */
        for (size_t i = out_len; i-- > 0;) {
            carry += out[i];
            out[i] = (uint8_t)carry;
            carry >>= 8;
        }
    }
}

/* An AES context (ECB, padding off) holding a base key, to derive keys from
 * it with dr_derive; NULL on failure. */
static EVP_CIPHER_CTX *dr_new(const uint8_t *base, size_t key_len)
{
    const EVP_CIPHER *alg = cbc_for(key_len) ? (key_len == 16 ? alg_ecb128 : alg_ecb256) : NULL;
    EVP_CIPHER_CTX *x = alg ? EVP_CIPHER_CTX_new() : NULL;
    if (x && (!EVP_EncryptInit_ex(x, alg, NULL, base, NULL) || !EVP_CIPHER_CTX_set_padding(x, 0))) {
        EVP_CIPHER_CTX_free(x);
        x = NULL;
    }
    return x;
}

/* DR with the constant already n-folded to one block: K1 = E(folded),
 * K2 = E(K1), ... (the same as CBC with IV zero over [folded | zero
 * block]); random-to-key is the identity for AES. x holds the base key. */
static bool dr_derive(EVP_CIPHER_CTX *x, size_t key_len, const uint8_t folded[BLOCK], uint8_t *out)
{
    uint8_t ks[2 * BLOCK];
    bool ok = (key_len == 16 || key_len == 32) && blocks_update(x, ks, folded, BLOCK) &&
              (key_len == 16 || blocks_update(x, ks + BLOCK, ks, BLOCK));
    if (ok)
        memcpy(out, ks, key_len);
    wipe(ks, sizeof ks);
    return ok;
}

static bool derive_folded(const uint8_t *base, size_t key_len, const uint8_t folded[BLOCK], uint8_t *out)
{
    EVP_CIPHER_CTX *x = dr_new(base, key_len);
    bool ok = x && dr_derive(x, key_len, folded, out);
    EVP_CIPHER_CTX_free(x);
    return ok;
}

bool ntcp_cfx_derive_key(const uint8_t *base, size_t key_len, const uint8_t *constant, size_t constant_len,
                         uint8_t *out)
{
    uint8_t folded[BLOCK];
    if (!constant_len)
        return false;
    ntcp_cfx_nfold(constant, constant_len, folded, BLOCK);
    return derive_folded(base, key_len, folded, out);
}

/* ---- CTS (RFC 3962: CBC-CS3, last two blocks swapped, the last truncated) ---------- */
static void swap_last_blocks(uint8_t *p, size_t padded)
{
    uint8_t t[BLOCK];
    uint8_t *a = p + padded - 2 * BLOCK, *b = p + padded - BLOCK;
    memcpy(t, a, BLOCK);
    memcpy(a, b, BLOCK);
    memcpy(b, t, BLOCK);
}

bool ntcp_cfx_cts_encrypt(const uint8_t *key, size_t key_len, const uint8_t *in, size_t len, uint8_t *out)
{
    if (len < BLOCK)
        return false;
    size_t padded = (len + BLOCK - 1) / BLOCK * BLOCK;
    uint8_t tmp[2 * BLOCK] = { 0 };
    EVP_CIPHER_CTX *x = cbc_new(key, key_len, true);
    bool ok = x != NULL;
    if (ok && len == BLOCK) {
        ok = blocks_update(x, out, in, BLOCK);
    } else if (ok) {
        size_t head = padded - 2 * BLOCK;
        memcpy(tmp, in + head, len - head);
        ok = blocks_update(x, out, in, head) && blocks_update(x, tmp, tmp, 2 * BLOCK);
        if (ok) {
            memcpy(out + head, tmp + BLOCK, BLOCK);
            memcpy(out + head + BLOCK, tmp, len - head - BLOCK);
        }
    }
    EVP_CIPHER_CTX_free(x);
    return ok;
}

static void xor_block(uint8_t *d, const uint8_t *x)
{
    for (int i = 0; i < BLOCK; i++)
        d[i] ^= x[i];
}

/* Decrypts CTS ciphertext c (n >= 2 blocks) with x, a CBC decryption
 * context whose chaining value (the last ciphertext block it was fed) is
 * chain: instead of resetting the IV to zero for each message (an OpenSSL
 * re-initialisation with parameter lookups), the first output block is
 * corrected by the chaining value. The first plaintext block goes to
 * first[16], the rest (n - 16 bytes) to rest, which must have room for the
 * padded length (round_up(n) - 16). */
static bool cts_decrypt_ctx(EVP_CIPHER_CTX *x, uint8_t chain[BLOCK], const uint8_t *c, size_t n, uint8_t first[BLOCK],
                            uint8_t *rest)
{
    size_t k = (n + BLOCK - 1) / BLOCK, m = n - BLOCK * (k - 1);
    uint8_t last2[2 * BLOCK], d[BLOCK];
    /* c = C1..C(k-2) | Cn (full, block k-1 of the CBC chain) | head of C(n-1) (m bytes) */
    const uint8_t *cn = c + BLOCK * (k - 2);
    if (!blocks_update(x, d, cn, BLOCK)) /* D = AES-dec(Cn) ^ chain */
        return false;
    xor_block(d, chain);
    memcpy(last2, c + BLOCK * (k - 1), m);
    memcpy(last2 + m, d + m, BLOCK - m); /* the stolen tail of C(n-1) */
    memcpy(last2 + BLOCK, cn, BLOCK);
    bool ok;
    if (k == 2) {
        ok = blocks_update(x, first, last2, BLOCK) && blocks_update(x, rest, last2 + BLOCK, BLOCK);
    } else {
        ok = blocks_update(x, first, c, BLOCK) && blocks_update(x, rest, c + BLOCK, BLOCK * (k - 3)) &&
             blocks_update(x, rest + BLOCK * (k - 3), last2, 2 * BLOCK);
    }
    xor_block(first, cn); /* the chaining value before the first block was Cn, not zero */
    memcpy(chain, cn, BLOCK); /* the last block fed */
    wipe(d, sizeof d);
    return ok;
}

bool ntcp_cfx_cts_decrypt(const uint8_t *key, size_t key_len, const uint8_t *in, size_t len, uint8_t *out)
{
    if (len < BLOCK)
        return false;
    EVP_CIPHER_CTX *x = cbc_new(key, key_len, false);
    bool ok = x != NULL;
    if (ok && len == BLOCK) {
        ok = blocks_update(x, out, in, BLOCK);
    } else if (ok) {
        size_t padded = (len + BLOCK - 1) / BLOCK * BLOCK;
        uint8_t stackbuf[256];
        uint8_t *rest = padded - BLOCK <= sizeof stackbuf ? stackbuf : ntcp_malloc(padded - BLOCK);
        uint8_t chain[BLOCK] = { 0 };
        ok = rest && cts_decrypt_ctx(x, chain, in, len, out, rest);
        if (ok)
            memcpy(out + BLOCK, rest, len - BLOCK);
        if (rest && rest != stackbuf) {
            explicit_bzero(rest, padded - BLOCK);
            ntcp_free(rest);
        }
    }
    EVP_CIPHER_CTX_free(x);
    return ok;
}

/* ---- sequence state: MIT's g_seqstate (64-bit, 64-token window) ------------------ */
typedef struct seqstate {
    bool do_replay, do_sequence;
    uint64_t base, next, recvmap;
} seqstate;

static uint32_t seq_check(seqstate *s, uint64_t seqnum)
{
    if (!s->do_replay && !s->do_sequence)
        return NTCP_CFX_COMPLETE;
    uint64_t rel = seqnum - s->base;
    if (rel >= s->next) {
        uint64_t offset = rel - s->next;
        s->recvmap = offset >= 63 ? 1 : (s->recvmap << (offset + 1)) | 1;
        s->next = rel + 1;
        return offset > 0 && s->do_sequence ? NTCP_CFX_GAP_TOKEN : NTCP_CFX_COMPLETE;
    }
    uint64_t offset = s->next - rel;
    if (offset > 64)
        return s->do_sequence ? NTCP_CFX_UNSEQ_TOKEN : NTCP_CFX_OLD_TOKEN;
    uint64_t bit = (uint64_t)1 << (offset - 1);
    if (s->do_replay && (s->recvmap & bit))
        return NTCP_CFX_DUPLICATE_TOKEN;
    s->recvmap |= bit;
    return s->do_sequence ? NTCP_CFX_UNSEQ_TOKEN : NTCP_CFX_COMPLETE;
}

/* ---- keys per direction ---------------------------------------------------------- */
typedef struct keyset {
    bool present;
    bool send;
    size_t key_len;
    uint8_t base[32];
    int seal_usage, sign_usage;
    EVP_CIPHER_CTX *dr;  /* while the context is set up: the base key, borrowed (derivations share it) */
    EVP_CIPHER_CTX *cbc; /* Ke(seal): encrypt for send, decrypt for receive */
    uint8_t chain[BLOCK]; /* cbc's chaining value: the last ciphertext block */
    hmac_key ki;         /* Ki(seal) */
    hmac_key kc_seal;    /* Kc(seal): unsealed Wrap tokens */
    hmac_key kc_sign;    /* Kc(sign): MIC tokens */
} keyset;

struct ntcp_cfx {
    bool initiator;
    bool broken; /* a libcrypto call failed mid-message: the CBC chaining values are unknown */
    bool have_acceptor_subkey;
    uint64_t send_seq;
    seqstate recv;
    keyset send_keys;
    keyset recv_keys[2]; /* [0] the context key, [1] the acceptor subkey */
};

static void keyset_free(keyset *k)
{
    EVP_CIPHER_CTX_free(k->cbc);
    hmac_key_free(&k->ki);
    hmac_key_free(&k->kc_seal);
    hmac_key_free(&k->kc_sign);
    wipe(k, sizeof *k);
}

/* The n-folds of the constants RFC 4121 derives per-message keys with
 * (usage 22..25, then 0x99 / 0xAA / 0x55), computed once per process: the
 * bit-wise n-fold was a tenth of a short connection's crypto. */
static const uint8_t usage_kinds[3] = { 0x99, 0xAA, 0x55 };
static uint8_t usage_folds[4][3][BLOCK];
static pthread_once_t folds_once = PTHREAD_ONCE_INIT;

static void folds_compute(void)
{
    for (int u = 0; u < 4; u++)
        for (int k = 0; k < 3; k++) {
            const uint8_t c[5] = { 0, 0, 0, (uint8_t)(USAGE_ACCEPTOR_SEAL + u), usage_kinds[k] };
            ntcp_cfx_nfold(c, sizeof c, usage_folds[u][k], BLOCK);
        }
}

static bool derive_usage(const keyset *k, int usage, uint8_t kind, uint8_t out[32])
{
    int ki = kind == 0x99 ? 0 : kind == 0xAA ? 1 : kind == 0x55 ? 2 : -1;
    if (usage < USAGE_ACCEPTOR_SEAL || usage > USAGE_INITIATOR_SIGN || ki < 0)
        return false;
    pthread_once(&folds_once, folds_compute);
    const uint8_t *folded = usage_folds[usage - USAGE_ACCEPTOR_SEAL][ki];
    return k->dr ? dr_derive(k->dr, k->key_len, folded, out) : derive_folded(k->base, k->key_len, folded, out);
}

static EVP_CIPHER_CTX *keyset_cbc(keyset *k)
{
    if (!k->cbc) {
        uint8_t ke[32];
        if (derive_usage(k, k->seal_usage, 0xAA, ke))
            k->cbc = cbc_new(ke, k->key_len, k->send);
        wipe(ke, sizeof ke);
    }
    return k->cbc;
}

static const hmac_key *keyset_hmac(keyset *k, hmac_key *h, int usage, uint8_t kind)
{
    if (!h->ready) {
        uint8_t kx[32];
        if (derive_usage(k, usage, kind, kx))
            (void)hmac_key_init(h, kx, k->key_len);
        wipe(kx, sizeof kx);
    }
    return h->ready ? h : NULL;
}

static bool keyset_set(keyset *k, int32_t type, const uint8_t *key, size_t len, bool send, bool initiator_sends)
{
    if (!ntcp_cfx_enctype_supported(type) || len != (type == NTCP_CFX_ENCTYPE_AES128_SHA1 ? 16u : 32u))
        return false;
    k->present = true;
    k->send = send;
    k->key_len = len;
    memcpy(k->base, key, len);
    k->seal_usage = initiator_sends ? USAGE_INITIATOR_SEAL : USAGE_ACCEPTOR_SEAL;
    k->sign_usage = initiator_sends ? USAGE_INITIATOR_SIGN : USAGE_ACCEPTOR_SIGN;
    return true;
}

bool ntcp_cfx_enctype_supported(int32_t enctype)
{
    return (enctype == NTCP_CFX_ENCTYPE_AES128_SHA1 || enctype == NTCP_CFX_ENCTYPE_AES256_SHA1) && cbc_for(16) &&
           cbc_for(32);
}

void ntcp_cfx_free(ntcp_cfx *c)
{
    if (!c)
        return;
    keyset_free(&c->send_keys);
    keyset_free(&c->recv_keys[0]);
    keyset_free(&c->recv_keys[1]);
    wipe(c, sizeof *c);
    ntcp_free(c);
}

ntcp_status ntcp_cfx_new(ntcp_cfx **out, const ntcp_cfx_params *p)
{
    *out = NULL;
    ntcp_cfx *c = ntcp_calloc(1, sizeof *c);
    if (!c)
        return NTCP_E_NOMEM;
    c->initiator = p->initiator;
    c->have_acceptor_subkey = p->have_acceptor_subkey;
    c->send_seq = p->send_seq;
    c->recv.do_replay = p->do_replay;
    c->recv.do_sequence = p->do_sequence;
    c->recv.base = p->recv_seq;
    bool ok = keyset_set(&c->recv_keys[0], p->ctx_key_type, p->ctx_key, p->ctx_key_len, false, !p->initiator);
    if (ok && p->have_acceptor_subkey)
        ok = keyset_set(&c->recv_keys[1], p->acceptor_subkey_type, p->acceptor_subkey, p->acceptor_subkey_len,
                        false, !p->initiator);
    if (ok)
        ok = p->have_acceptor_subkey ? keyset_set(&c->send_keys, p->acceptor_subkey_type, p->acceptor_subkey,
                                                  p->acceptor_subkey_len, true, p->initiator)
                                     : keyset_set(&c->send_keys, p->ctx_key_type, p->ctx_key, p->ctx_key_len, true,
                                                  p->initiator);
    /* the keys used at once, from one AES context per base key (both
     * directions use the acceptor subkey when there is one); the others on
     * first use */
    keyset *rk = &c->recv_keys[p->have_acceptor_subkey ? 1 : 0];
    bool same = ok && rk->key_len == c->send_keys.key_len && !CRYPTO_memcmp(rk->base, c->send_keys.base, rk->key_len);
    EVP_CIPHER_CTX *d1 = ok ? dr_new(c->send_keys.base, c->send_keys.key_len) : NULL;
    EVP_CIPHER_CTX *d2 = ok && !same ? dr_new(rk->base, rk->key_len) : NULL;
    c->send_keys.dr = d1;
    rk->dr = same ? d1 : d2;
    ok = ok && d1 && rk->dr && keyset_cbc(&c->send_keys) && keyset_cbc(rk) &&
         keyset_hmac(&c->send_keys, &c->send_keys.ki, c->send_keys.seal_usage, 0x55) &&
         keyset_hmac(rk, &rk->ki, rk->seal_usage, 0x55);
    c->send_keys.dr = rk->dr = NULL;
    EVP_CIPHER_CTX_free(d1);
    EVP_CIPHER_CTX_free(d2);
    if (!ok) {
        ntcp_cfx_free(c);
        return NTCP_E_INVALID_ARG;
    }
    *out = c;
    return NTCP_OK;
}

/* ---- helpers ------------------------------------------------------------------- */
static void put_be16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static void put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}
/* The 16-byte header of an RFC 4121 token (section 4.2.6), through the
 * bounded reader: false when fewer than 16 bytes. Wrap: 05 04, flags, FF,
 * EC, RRC, sequence number; MIC: 04 04, flags, FF FF FF FF FF (read as
 * filler 0xFF and ec = rrc = 0xFFFF), sequence number. */
typedef struct token_header {
    unsigned id;
    uint8_t flags, filler;
    unsigned ec, rrc;
    uint64_t seq;
} token_header;

static bool read_header(const uint8_t *p, size_t len, token_header *h)
{
    ntcp_reader r;
    ntcp_reader_init(&r, p, len);
    h->id = ntcp_read_u16be(&r);
    h->flags = ntcp_read_u8(&r);
    h->filler = ntcp_read_u8(&r);
    h->ec = ntcp_read_u16be(&r);
    h->rrc = ntcp_read_u16be(&r);
    h->seq = ntcp_read_u64be(&r);
    return ntcp_reader_ok(&r);
}

static void reverse(uint8_t *p, size_t n)
{
    for (size_t i = 0, j = n; i + 1 < j; i++, j--) {
        uint8_t t = p[i];
        p[i] = p[j - 1];
        p[j - 1] = t;
    }
}

/* Rotates p (n bytes) left by r, in place. */
static void rotate_left(uint8_t *p, size_t n, size_t r)
{
    if (!n || !(r %= n))
        return;
    if (r <= 64) {
        uint8_t t[64];
        memcpy(t, p, r);
        memmove(p, p + r, n - r);
        memcpy(p + n - r, t, r);
        return;
    }
    if (n - r <= 64) {
        uint8_t t[64];
        memcpy(t, p + r, n - r);
        memmove(p + (n - r), p, r);
        memcpy(p, t, n - r);
        return;
    }
    reverse(p, r);
    reverse(p + r, n - r);
    reverse(p, n);
}

static uint8_t send_flags(const ntcp_cfx *c, bool sealed)
{
    return (uint8_t)((c->initiator ? 0 : FLAG_SENT_BY_ACCEPTOR) | (sealed ? FLAG_SEALED : 0) |
                     (c->have_acceptor_subkey ? FLAG_ACCEPTOR_SUBKEY : 0));
}

/* A fresh confounder. RAND_bytes costs about a microsecond per call (locks,
 * a fork check that is a getpid system call) whatever the length, so each
 * thread draws 64 at once (1 KiB) for every context it protects: a short
 * connection no longer makes a call of its own. Used bytes are wiped, the
 * rest when the thread ends; a forked child draws afresh (its parent's pool
 * is not its to use). */
#define POOL_BYTES 1024
typedef struct conf_pool {
    size_t used;
    unsigned gen; /* fork_gen when drawn */
    uint8_t bytes[POOL_BYTES];
} conf_pool;
static _Thread_local conf_pool tl_pool = { POOL_BYTES, 0, { 0 } };
static _Atomic unsigned fork_gen = 1;
static pthread_key_t pool_key;
static bool pool_key_ok;
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

static void pool_after_fork(void) { fork_gen++; }
static void pool_wipe(void *p) { wipe(p, sizeof(conf_pool)); }
static void pool_init(void)
{
    pool_key_ok = pthread_key_create(&pool_key, pool_wipe) == 0;
    pthread_atfork(NULL, NULL, pool_after_fork);
}

static bool confounder(ntcp_cfx *c, uint8_t out[BLOCK])
{
    (void)c;
    conf_pool *p = &tl_pool;
    unsigned gen = fork_gen;
    if (p->used + BLOCK > POOL_BYTES || p->gen != gen) {
        pthread_once(&pool_once, pool_init);
        gen = fork_gen; /* a fork before the handler was there changes nothing */
        if (p->gen == 0 && pool_key_ok)
            (void)pthread_setspecific(pool_key, p); /* wiped at thread exit */
        if (RAND_bytes(p->bytes, POOL_BYTES) != 1)
            return false;
        p->used = 0;
        p->gen = gen;
    }
    memcpy(out, p->bytes + p->used, BLOCK);
    wipe(p->bytes + p->used, BLOCK);
    p->used += BLOCK;
    return true;
}

/* ---- wrap ------------------------------------------------------------------------ */
/* in = data | EC filler bytes (sealed: ec of them; unsealed: 0). */
static ntcp_status wrap_core(ntcp_cfx *c, bool conf, const uint8_t *in, size_t len, uint16_t ec, uint16_t rrc,
                             ntcp_buf *out)
{
    keyset *k = &c->send_keys;
    uint8_t hdr[HDR], mac[SHA1_LEN];
    hdr[0] = 0x05;
    hdr[1] = 0x04;
    hdr[2] = send_flags(c, conf);
    hdr[3] = 0xFF;
    put_be16(hdr + 4, conf ? ec : 0);
    put_be16(hdr + 6, 0);
    put_be64(hdr + 8, c->send_seq);
    if (len > (size_t)1 << 30)
        return NTCP_E_LIMIT;
    if (conf) {
        /* encrypt(data | header with EC 0 and RRC 0) */
        size_t total = BLOCK + len + HDR; /* confounder | data | header */
        size_t padded = (total + BLOCK - 1) / BLOCK * BLOCK;
        ntcp_status s = ntcp_buf_reserve(out, HDR + padded + CKSUM);
        if (s)
            return s;
        EVP_CIPHER_CTX *x = keyset_cbc(k);
        const hmac_key *ki = keyset_hmac(k, &k->ki, k->seal_usage, 0x55);
        uint8_t conf16[BLOCK], first[BLOCK];
        if (c->broken || !x || !ki || !confounder(c, conf16))
            return NTCP_E_AUTH_FAILED;
        uint8_t *t = out->data + out->len;
        uint8_t *ct = t + HDR;
        memcpy(t, hdr, HDR);
        /* the CBC chain over confounder | data | header | zero padding; the
         * bytes from the last whole block of data onward go through tail[] */
        size_t body = BLOCK + len;              /* confounder | data */
        size_t whole = (body / BLOCK) * BLOCK;  /* whole blocks before the header begins */
        size_t rem = body - whole;              /* data bytes in the block the header starts in */
        /* the context's IV is the previous message's last block: fold it
         * into the first block so the chain starts from zero */
        memcpy(first, conf16, BLOCK);
        xor_block(first, k->chain);
        bool ok = blocks_update(x, ct, first, BLOCK) &&
                  blocks_update(x, ct + BLOCK, in, whole - BLOCK);
        if (ok) {
            uint8_t last[3 * BLOCK] = { 0 };
            memcpy(last, in + (whole - BLOCK), rem);
            memcpy(last + rem, hdr, HDR);
            size_t lastlen = padded - whole; /* 16 or 32 */
            ok = blocks_update(x, ct + whole, last, lastlen);
            wipe(last, sizeof last);
        }
        if (ok) {
            memcpy(k->chain, ct + padded - BLOCK, BLOCK);
            /* CS3: swap the last two blocks, drop the padding */
            swap_last_blocks(ct, padded);
            span parts[3] = { { conf16, BLOCK }, { in, len }, { hdr, HDR } };
            ok = hmac(ki, parts, 3, mac);
        }
        wipe(conf16, sizeof conf16);
        wipe(first, sizeof first);
        if (!ok) {
            c->broken = true;
            return NTCP_E_AUTH_FAILED;
        }
        memcpy(ct + total, mac, CKSUM);
        if (rrc) {
            put_be16(t + 6, rrc);
            rotate_left(ct, total + CKSUM, total + CKSUM - rrc % (total + CKSUM));
        }
        out->len += HDR + total + CKSUM;
    } else {
        const hmac_key *kc = keyset_hmac(k, &k->kc_seal, k->seal_usage, 0x99);
        span parts[2] = { { in, len }, { hdr, HDR } }; /* EC and RRC zero in the checksummed copy */
        if (!kc || !hmac(kc, parts, 2, mac))
            return NTCP_E_AUTH_FAILED;
        ntcp_status s = ntcp_buf_reserve(out, HDR + len + CKSUM);
        if (s)
            return s;
        uint8_t *t = out->data + out->len;
        memcpy(t, hdr, HDR);
        put_be16(t + 4, CKSUM);
        if (len)
            memcpy(t + HDR, in, len);
        memcpy(t + HDR + len, mac, CKSUM);
        if (rrc) {
            put_be16(t + 6, rrc);
            rotate_left(t + HDR, len + CKSUM, len + CKSUM - rrc % (len + CKSUM));
        }
        out->len += HDR + len + CKSUM;
    }
    c->send_seq++;
    return NTCP_OK;
}

ntcp_status ntcp_cfx_wrap(ntcp_cfx *c, bool conf, const uint8_t *in, size_t len, uint16_t rrc, ntcp_buf *out)
{
    return wrap_core(c, conf, in, len, 0, rrc, out);
}

ntcp_status ntcp_cfx_wrap_ec(ntcp_cfx *c, const uint8_t *in, size_t len, uint16_t ec, uint16_t rrc, ntcp_buf *out)
{
    if (!ec)
        return wrap_core(c, true, in, len, 0, rrc, out);
    uint8_t *t = ntcp_malloc(len + ec);
    if (!t)
        return NTCP_E_NOMEM;
    if (len)
        memcpy(t, in, len);
    memset(t + len, 'x', ec); /* MIT's filler */
    ntcp_status s = wrap_core(c, true, t, len + ec, ec, rrc, out);
    explicit_bzero(t, len + ec);
    ntcp_free(t);
    return s;
}

int32_t ntcp_cfx_enctype(const ntcp_cfx *c) { return c->send_keys.key_len == 16 ? 17 : 18; }

/* ---- unwrap ---------------------------------------------------------------------- */
uint32_t ntcp_cfx_unwrap(ntcp_cfx *c, uint8_t *tok, size_t len, ntcp_buf *out, bool *conf, ntcp_status *out_status)
{
    *out_status = NTCP_OK;
    token_header th;
    if (!read_header(tok, len, &th) || th.id != 0x0504 || th.filler != 0xFF)
        return NTCP_CFX_DEFECTIVE_TOKEN;
    uint8_t flags = th.flags;
    if (!!(flags & FLAG_SENT_BY_ACCEPTOR) != c->initiator)
        return NTCP_CFX_BAD_SIG; /* MIT: G_BAD_DIRECTION */
    keyset *k = &c->recv_keys[c->have_acceptor_subkey && (flags & FLAG_ACCEPTOR_SUBKEY) ? 1 : 0];
    size_t ec = th.ec, rrc = th.rrc;
    uint64_t seqnum = th.seq;
    uint8_t *payload = tok + HDR;
    size_t plen = len - HDR;
    rotate_left(payload, plen, rrc);
    uint8_t mac[SHA1_LEN];
    if (flags & FLAG_SEALED) {
        if (plen < CKSUM + 2 * BLOCK)
            return NTCP_CFX_BAD_SIG; /* too short to be a ciphertext of confounder and header */
        size_t n = plen - CKSUM;
        size_t padded = (n + BLOCK - 1) / BLOCK * BLOCK;
        ntcp_status s = ntcp_buf_reserve(out, padded - BLOCK);
        if (s) {
            *out_status = s;
            return NTCP_CFX_FAILURE;
        }
        EVP_CIPHER_CTX *x = keyset_cbc(k);
        const hmac_key *ki = keyset_hmac(k, &k->ki, k->seal_usage, 0x55);
        if (c->broken || !x || !ki)
            return NTCP_CFX_FAILURE;
        uint8_t confounder[BLOCK];
        uint8_t *plain = out->data + out->len; /* data | filler | header */
        size_t plain_len = n - BLOCK;
        bool ok = cts_decrypt_ctx(x, k->chain, payload, n, confounder, plain);
        if (!ok)
            c->broken = true;
        span parts[2] = { { confounder, BLOCK }, { plain, plain_len } };
        ok = ok && hmac(ki, parts, 2, mac);
        wipe(confounder, sizeof confounder);
        if (!ok)
            return NTCP_CFX_FAILURE;
        if (CRYPTO_memcmp(mac, payload + n, CKSUM)) {
            wipe(plain, padded - BLOCK);
            return NTCP_CFX_BAD_SIG;
        }
        token_header dh; /* the encrypted copy of the header; its RRC is not protected */
        if (plain_len < HDR + ec || !read_header(plain + plain_len - HDR, HDR, &dh) || dh.id != 0x0504 ||
            dh.flags != flags || dh.filler != 0xFF || dh.ec != ec || dh.seq != seqnum) {
            wipe(plain, padded - BLOCK);
            return NTCP_CFX_DEFECTIVE_TOKEN;
        }
        size_t data_len = plain_len - HDR - ec;
        wipe(plain + data_len, padded - BLOCK - data_len); /* filler, header, padding */
        out->len += data_len;
    } else {
        if (plen < CKSUM || ec != CKSUM)
            return NTCP_CFX_DEFECTIVE_TOKEN;
        const hmac_key *kc = keyset_hmac(k, &k->kc_seal, k->seal_usage, 0x99);
        if (!kc)
            return NTCP_CFX_FAILURE;
        size_t data_len = plen - CKSUM;
        uint8_t hdr[HDR];
        memcpy(hdr, tok, HDR);
        put_be16(hdr + 4, 0);
        put_be16(hdr + 6, 0);
        span parts[2] = { { payload, data_len }, { hdr, HDR } };
        if (!hmac(kc, parts, 2, mac))
            return NTCP_CFX_FAILURE;
        if (CRYPTO_memcmp(mac, payload + data_len, CKSUM))
            return NTCP_CFX_BAD_SIG;
        ntcp_status s = ntcp_buf_append(out, payload, data_len);
        if (s) {
            *out_status = s;
            return NTCP_CFX_FAILURE;
        }
    }
    *conf = (flags & FLAG_SEALED) != 0;
    return seq_check(&c->recv, seqnum);
}

/* ---- MIC ------------------------------------------------------------------------- */
ntcp_status ntcp_cfx_get_mic(ntcp_cfx *c, const uint8_t *msg, size_t len, ntcp_buf *out)
{
    keyset *k = &c->send_keys;
    uint8_t hdr[HDR] = { 0x04, 0x04, send_flags(c, false), 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
    uint8_t mac[SHA1_LEN];
    put_be64(hdr + 8, c->send_seq);
    const hmac_key *kc = keyset_hmac(k, &k->kc_sign, k->sign_usage, 0x99);
    span parts[2] = { { msg, len }, { hdr, HDR } };
    if (!kc || !hmac(kc, parts, 2, mac))
        return NTCP_E_AUTH_FAILED;
    ntcp_status s = ntcp_buf_reserve(out, HDR + CKSUM);
    if (s)
        return s;
    memcpy(out->data + out->len, hdr, HDR);
    memcpy(out->data + out->len + HDR, mac, CKSUM);
    out->len += HDR + CKSUM;
    c->send_seq++;
    return NTCP_OK;
}

uint32_t ntcp_cfx_verify_mic(ntcp_cfx *c, const uint8_t *msg, size_t len, const uint8_t *mic, size_t mic_len)
{
    token_header mh;
    if (!read_header(mic, mic_len, &mh) || mh.id != 0x0404 || mh.filler != 0xFF || mh.ec != 0xFFFF ||
        mh.rrc != 0xFFFF)
        return NTCP_CFX_DEFECTIVE_TOKEN;
    uint8_t flags = mh.flags;
    if (!!(flags & FLAG_SENT_BY_ACCEPTOR) != c->initiator)
        return NTCP_CFX_BAD_SIG;
    if (mic_len != HDR + CKSUM)
        return NTCP_CFX_DEFECTIVE_TOKEN;
    keyset *k = &c->recv_keys[c->have_acceptor_subkey && (flags & FLAG_ACCEPTOR_SUBKEY) ? 1 : 0];
    const hmac_key *kc = keyset_hmac(k, &k->kc_sign, k->sign_usage, 0x99);
    uint8_t mac[SHA1_LEN];
    span parts[2] = { { msg, len }, { mic, HDR } };
    if (!kc || !hmac(kc, parts, 2, mac))
        return NTCP_CFX_FAILURE;
    if (CRYPTO_memcmp(mac, mic + HDR, CKSUM))
        return NTCP_CFX_BAD_SIG;
    return seq_check(&c->recv, mh.seq);
}
