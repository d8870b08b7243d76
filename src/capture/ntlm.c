/* Reading a recorded NTLMv2 exchange with the client's password (MS-NLMP):
 * NTOWFv2 -> NTProofStr (which password it was) -> session base key ->
 * exported session key -> per-direction signing and sealing keys
 * (extended session security), then each data frame's
 * NTLMSSP_MESSAGE_SIGNATURE checked and sealed data unsealed.
 *
 * gss-ntlmssp has no interface for reading someone else's exchange, so the
 * MS-NLMP key schedule is done here with libcrypto: HMAC-MD5, MD5, and MD4
 * and RC4 from OpenSSL 3's legacy provider (loaded into a library context of
 * its own, so the process's default one is untouched). */
#include <stdio.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/provider.h>
#include <openssl/crypto.h>
#include "capture_int.h"

#define F_UNICODE 0x00000001u
#define F_SIGN 0x00000010u
#define F_SEAL 0x00000020u
#define F_ESS 0x00080000u
#define F_128 0x20000000u
#define F_KEY_EXCH 0x40000000u
#define F_56 0x80000000u

typedef struct dirstate {
    uint8_t sign_key[16], seal_key[16];
    EVP_CIPHER_CTX *rc4;
    unsigned frames;
} dirstate;

struct cap_ntlm {
    OSSL_LIB_CTX *lib;
    OSSL_PROVIDER *legacy, *deflt;
    EVP_CIPHER *rc4;
    uint32_t flags;
    dirstate d[2];
};

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

/* A security buffer (len, maxlen, offset) at off in msg. */
static bool field(const uint8_t *m, size_t mlen, size_t off, const uint8_t **p, size_t *len)
{
    if (off + 8 > mlen)
        return false;
    size_t l = le16(m + off), o = le32(m + off + 4);
    if (o > mlen || l > mlen - o)
        return false;
    *p = m + o;
    *len = l;
    return true;
}

static bool hmac_md5(const uint8_t *key, size_t klen, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
                     uint8_t out[16])
{
    uint8_t buf[512];
    if (alen + blen > sizeof buf) {
        /* long input: stream it */
        EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
        EVP_MAC_CTX *c = mac ? EVP_MAC_CTX_new(mac) : NULL;
        OSSL_PARAM prm[] = { OSSL_PARAM_construct_utf8_string("digest", (char *)"MD5", 0), OSSL_PARAM_construct_end() };
        size_t ol = 0;
        bool ok = c && EVP_MAC_init(c, key, klen, prm) && EVP_MAC_update(c, a, alen) && EVP_MAC_update(c, b, blen) &&
                  EVP_MAC_final(c, out, &ol, 16) && ol == 16;
        EVP_MAC_CTX_free(c);
        EVP_MAC_free(mac);
        return ok;
    }
    memcpy(buf, a, alen);
    if (blen)
        memcpy(buf + alen, b, blen);
    unsigned ol = 0;
    return HMAC(EVP_md5(), key, (int)klen, buf, alen + blen, out, &ol) && ol == 16;
}

static bool md5(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen, uint8_t out[16])
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    unsigned ol = 0;
    bool ok = c && EVP_DigestInit_ex(c, EVP_md5(), NULL) && EVP_DigestUpdate(c, a, alen) &&
              EVP_DigestUpdate(c, b, blen) && EVP_DigestFinal_ex(c, out, &ol);
    EVP_MD_CTX_free(c);
    return ok && ol == 16;
}

/* UTF-8 -> UTF-16LE; false on invalid UTF-8 or overflow. */
static bool utf16(const char *s, uint8_t *out, size_t cap, size_t *olen)
{
    size_t n = 0;
    const uint8_t *p = (const uint8_t *)s;
    while (*p) {
        uint32_t c;
        int extra;
        if (*p < 0x80) { c = *p; extra = 0; }
        else if ((*p & 0xE0) == 0xC0) { c = *p & 0x1F; extra = 1; }
        else if ((*p & 0xF0) == 0xE0) { c = *p & 0x0F; extra = 2; }
        else if ((*p & 0xF8) == 0xF0) { c = *p & 0x07; extra = 3; }
        else return false;
        p++;
        for (int i = 0; i < extra; i++, p++) {
            if ((*p & 0xC0) != 0x80)
                return false;
            c = c << 6 | (*p & 0x3F);
        }
        if (c >= 0x10000) {
            if (n + 4 > cap)
                return false;
            c -= 0x10000;
            uint16_t hi = (uint16_t)(0xD800 | (c >> 10)), lo = (uint16_t)(0xDC00 | (c & 0x3FF));
            out[n++] = (uint8_t)hi; out[n++] = (uint8_t)(hi >> 8);
            out[n++] = (uint8_t)lo; out[n++] = (uint8_t)(lo >> 8);
        } else {
            if (n + 2 > cap)
                return false;
            out[n++] = (uint8_t)c;
            out[n++] = (uint8_t)(c >> 8);
        }
    }
    *olen = n;
    return true;
}

/* A message string (UTF-16LE when unicode, else OEM taken as Latin-1) as UTF-8 text. */
static void text_of(const uint8_t *p, size_t len, bool unicode, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i + (unicode ? 1 : 0) < len && n + 4 < cap; i += unicode ? 2 : 1) {
        uint32_t c = unicode ? le16(p + i) : p[i];
        if (c < 0x20)
            c = '?';
        if (c < 0x80) {
            out[n++] = (char)c;
        } else if (c < 0x800) {
            out[n++] = (char)(0xC0 | c >> 6);
            out[n++] = (char)(0x80 | (c & 0x3F));
        } else {
            out[n++] = (char)(0xE0 | c >> 12);
            out[n++] = (char)(0x80 | ((c >> 6) & 0x3F));
            out[n++] = (char)(0x80 | (c & 0x3F));
        }
    }
    out[n] = 0;
}

static bool rc4_init(cap_ntlm *n, dirstate *d)
{
    EVP_CIPHER_CTX_free(d->rc4);
    d->rc4 = EVP_CIPHER_CTX_new();
    return d->rc4 && EVP_EncryptInit_ex(d->rc4, n->rc4, NULL, d->seal_key, NULL);
}

static bool rc4(EVP_CIPHER_CTX *c, const uint8_t *in, size_t len, uint8_t *out)
{
    int ol = 0;
    return len <= 0x7FFFFFFF && EVP_EncryptUpdate(c, out, &ol, in, (int)len) && (size_t)ol == len;
}

/* MS-NLMP 3.4.5.2 SIGNKEY, 3.4.5.3 SEALKEY (extended session security). */
static bool derive(cap_ntlm *n, const uint8_t exported[16])
{
    static const char cs_sign[] = "session key to client-to-server signing key magic constant";
    static const char sc_sign[] = "session key to server-to-client signing key magic constant";
    static const char cs_seal[] = "session key to client-to-server sealing key magic constant";
    static const char sc_seal[] = "session key to server-to-client sealing key magic constant";
    size_t seal_len = n->flags & F_128 ? 16 : n->flags & F_56 ? 7 : 5;
    return md5(exported, 16, (const uint8_t *)cs_sign, sizeof cs_sign, n->d[0].sign_key) &&
           md5(exported, 16, (const uint8_t *)sc_sign, sizeof sc_sign, n->d[1].sign_key) &&
           md5(exported, seal_len, (const uint8_t *)cs_seal, sizeof cs_seal, n->d[0].seal_key) &&
           md5(exported, seal_len, (const uint8_t *)sc_seal, sizeof sc_seal, n->d[1].seal_key) &&
           rc4_init(n, &n->d[0]) && rc4_init(n, &n->d[1]);
}

void cap_ntlm_free(cap_ntlm *n)
{
    if (!n)
        return;
    for (int d = 0; d < 2; d++)
        EVP_CIPHER_CTX_free(n->d[d].rc4);
    OPENSSL_cleanse(n->d, sizeof n->d);
    EVP_CIPHER_free(n->rc4);
    if (n->legacy)
        OSSL_PROVIDER_unload(n->legacy);
    if (n->deflt)
        OSSL_PROVIDER_unload(n->deflt);
    OSSL_LIB_CTX_free(n->lib);
    ntcp_free(n);
}

static void av_text(const uint8_t *av, size_t len, uint16_t id, char *out, size_t cap)
{
    out[0] = 0;
    for (size_t i = 0; i + 4 <= len;) {
        uint16_t t = le16(av + i), l = le16(av + i + 2);
        if (t == 0 || i + 4 + l > len)
            return;
        if (t == id) {
            text_of(av + i + 4, l, true, out, cap);
            return;
        }
        i += 4 + (size_t)l;
    }
}

cap_ntlm *cap_ntlm_new(const uint8_t *ch, size_t clen, const uint8_t *au, size_t alen, const ntcp_passive_keys *keys,
                       char *client, size_t client_cap, char *service, size_t service_cap, char *key_desc,
                       size_t key_cap, ntcp_cause *cause, char *why, size_t why_cap)
{
    *cause = NTCP_CAUSE_NONE;
    if (clen < 32 || memcmp(ch, "NTLMSSP\0\x02\0\0\0", 12) || alen < 64 || memcmp(au, "NTLMSSP\0\x03\0\0\0", 12)) {
        *cause = NTCP_CAUSE_DECRYPT_HANDSHAKE_UNREADABLE;
        snprintf(why, why_cap, "the NTLM CHALLENGE or AUTHENTICATE message is not well formed");
        return NULL;
    }
    uint32_t flags = le32(au + 60);
    bool uni = flags & F_UNICODE;
    const uint8_t *nt, *dom, *user, *ekey = NULL, *tinfo = NULL;
    size_t ntlen, domlen, userlen, ekeylen = 0, tinfolen = 0;
    if (!field(au, alen, 20, &nt, &ntlen) || !field(au, alen, 28, &dom, &domlen) ||
        !field(au, alen, 36, &user, &userlen) || !field(au, alen, 52, &ekey, &ekeylen)) {
        *cause = NTCP_CAUSE_DECRYPT_HANDSHAKE_UNREADABLE;
        snprintf(why, why_cap, "the NTLM AUTHENTICATE message's fields lie outside it");
        return NULL;
    }
    char u8user[128], u8dom[128];
    text_of(user, userlen, uni, u8user, sizeof u8user);
    text_of(dom, domlen, uni, u8dom, sizeof u8dom);
    snprintf(client, client_cap, "%s%s%s", u8dom, *u8dom ? "\\" : "", u8user);
    char tname[256] = "", nbdom[128] = "", nbhost[128] = "";
    if (ntlen > 16 + 28)
        av_text(nt + 16 + 28, ntlen - 16 - 28, 9, tname, sizeof tname); /* MsvAvTargetName */
    if (field(ch, clen, 40, &tinfo, &tinfolen)) {
        av_text(tinfo, tinfolen, 2, nbdom, sizeof nbdom);
        av_text(tinfo, tinfolen, 1, nbhost, sizeof nbhost);
    }
    if (*tname)
        snprintf(service, service_cap, "%s", tname);
    else
        snprintf(service, service_cap, "%s%s%s", nbdom, *nbdom && *nbhost ? "\\" : "", nbhost);
    if (ntlen <= 24) {
        *cause = NTCP_CAUSE_DECRYPT_NTLM_V1;
        snprintf(why, why_cap, "the client answered with NTLMv1, which is not read here");
        return NULL;
    }
    if (!(flags & F_ESS) && (flags & (F_SIGN | F_SEAL))) {
        *cause = NTCP_CAUSE_DECRYPT_NTLM_V1;
        snprintf(why, why_cap, "the exchange did not negotiate extended session security");
        return NULL;
    }
    if (!keys || (!keys->npasswords && !keys->nhashes)) {
        *cause = NTCP_CAUSE_DECRYPT_NO_PASSWORD;
        snprintf(why, why_cap, "NTLM: give the client's password with --password or --nt-hash");
        return NULL;
    }
    cap_ntlm *n = ntcp_calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->flags = flags;
    n->lib = OSSL_LIB_CTX_new();
    if (n->lib) {
        n->legacy = OSSL_PROVIDER_load(n->lib, "legacy");
        n->deflt = OSSL_PROVIDER_load(n->lib, "default");
    }
    EVP_MD *md4 = n->legacy ? EVP_MD_fetch(n->lib, "MD4", NULL) : NULL;
    n->rc4 = n->legacy ? EVP_CIPHER_fetch(n->lib, "RC4", NULL) : NULL;
    if (!md4 || !n->rc4) {
        EVP_MD_free(md4);
        cap_ntlm_free(n);
        *cause = NTCP_CAUSE_DECRYPT_NO_LEGACY_CRYPTO;
        snprintf(why, why_cap, "OpenSSL's legacy provider (MD4, RC4) could not be loaded");
        return NULL;
    }
    /* UTF-16LE of upper(user) || domain */
    uint8_t ud[1024];
    size_t udn = 0;
    for (size_t i = 0; uni && i + 1 < userlen && udn + 2 <= sizeof ud; i += 2) {
        uint16_t c = le16(user + i);
        if (c >= 'a' && c <= 'z')
            c = (uint16_t)(c - 32);
        ud[udn++] = (uint8_t)c;
        ud[udn++] = (uint8_t)(c >> 8);
    }
    for (size_t i = 0; !uni && i < userlen && udn + 2 <= sizeof ud; i++) {
        uint8_t c = user[i];
        ud[udn++] = c >= 'a' && c <= 'z' ? (uint8_t)(c - 32) : c;
        ud[udn++] = 0;
    }
    for (size_t i = 0; i < domlen && udn + 2 <= sizeof ud; i += uni ? 2 : 1) {
        ud[udn++] = dom[i];
        ud[udn++] = uni && i + 1 < domlen ? dom[i + 1] : 0;
    }
    const uint8_t *server_challenge = ch + 24;
    size_t total = keys->npasswords + keys->nhashes;
    bool found = false;
    for (size_t k = 0; k < total && !found; k++) {
        uint8_t hash[16];
        if (k < keys->npasswords) {
            uint8_t pw[1024];
            size_t pwn;
            unsigned ol = 0;
            if (!utf16(keys->passwords[k], pw, sizeof pw, &pwn) ||
                !EVP_Digest(pw, pwn, hash, &ol, md4, NULL))
                continue;
            OPENSSL_cleanse(pw, sizeof pw);
        } else {
            memcpy(hash, keys->nt_hashes[k - keys->npasswords], 16);
        }
        uint8_t rk[16], proof[16];
        if (!hmac_md5(hash, 16, ud, udn, NULL, 0, rk) ||
            !hmac_md5(rk, 16, server_challenge, 8, nt + 16, ntlen - 16, proof) || CRYPTO_memcmp(proof, nt, 16)) {
            OPENSSL_cleanse(hash, sizeof hash);
            continue;
        }
        uint8_t base[16], exported[16];
        bool ok = hmac_md5(rk, 16, proof, 16, NULL, 0, base);
        if (ok && (flags & F_KEY_EXCH) && ekeylen == 16) {
            EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
            ok = c && EVP_EncryptInit_ex(c, n->rc4, NULL, base, NULL) && rc4(c, ekey, 16, exported);
            EVP_CIPHER_CTX_free(c);
        } else {
            memcpy(exported, base, 16);
        }
        ok = ok && derive(n, exported);
        OPENSSL_cleanse(rk, sizeof rk);
        OPENSSL_cleanse(base, sizeof base);
        OPENSSL_cleanse(exported, sizeof exported);
        OPENSSL_cleanse(hash, sizeof hash);
        if (ok) {
            found = true;
            if (k < keys->npasswords)
                snprintf(key_desc, key_cap, "password %zu", k + 1);
            else
                snprintf(key_desc, key_cap, "NT hash %zu", k - keys->npasswords + 1);
        }
    }
    EVP_MD_free(md4);
    if (!found) {
        cap_ntlm_free(n);
        *cause = NTCP_CAUSE_DECRYPT_PASSWORD_MISMATCH;
        snprintf(why, why_cap, "none of the %zu password(s)/hash(es) given is %s's (the NTLMv2 response does not match)",
                 total, client);
        return NULL;
    }
    return n;
}

void cap_ntlm_after_mech_list_mic(cap_ntlm *n, int dir)
{
    if (n)
        (void)rc4_init(n, &n->d[dir]);
}

/* Checks [sig][data] with a copy of the RC4 state; on success the copy
 * becomes the state. */
static bool try_frame(cap_ntlm *n, dirstate *d, EVP_CIPHER_CTX *base, const uint8_t *p, size_t len, bool sealed,
                      ntcp_buf *out, ntcp_status *st)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (!c || !EVP_CIPHER_CTX_copy(c, base)) {
        EVP_CIPHER_CTX_free(c);
        return false;
    }
    size_t dlen = len - 16;
    size_t start = out->len;
    ntcp_status s = ntcp_buf_reserve(out, dlen);
    if (s) {
        *st = s;
        EVP_CIPHER_CTX_free(c);
        return false;
    }
    uint8_t none[1];
    uint8_t *plain = dlen ? out->data + start : none; /* a bare signature: out->data may still be NULL */
    bool ok = sealed ? rc4(c, p + 16, dlen, plain) : (memcpy(plain, p + 16, dlen), true);
    uint8_t mac[16], chk[8];
    ok = ok && le32(p) == 1 && hmac_md5(d->sign_key, 16, p + 12, 4, plain, dlen, mac);
    if (ok && (n->flags & F_KEY_EXCH))
        ok = rc4(c, mac, 8, chk);
    else if (ok)
        memcpy(chk, mac, 8);
    ok = ok && !CRYPTO_memcmp(chk, p + 4, 8);
    if (!ok) {
        EVP_CIPHER_CTX_free(c);
        return false;
    }
    out->len = start + dlen;
    if (base != d->rc4)
        EVP_CIPHER_CTX_free(base);
    EVP_CIPHER_CTX_free(d->rc4);
    d->rc4 = c;
    return true;
}

bool cap_ntlm_unprotect(cap_ntlm *n, int dir, const uint8_t *p, size_t len, ntcp_buf *out, bool *sealed,
                        ntcp_status *st)
{
    *st = NTCP_OK;
    if (!n || len < 16)
        return false;
    dirstate *d = &n->d[dir];
    for (int s = 1; s >= 0; s--)
        if (try_frame(n, d, d->rc4, p, len, s, out, st)) {
            *sealed = s;
            d->frames++;
            return true;
        }
    if (*st || d->frames)
        return false;
    /* the first frame: a peer whose RC4 state went on after the SPNEGO
     * mechListMIC (8 bytes of key stream) instead of being re-keyed */
    EVP_CIPHER_CTX *alt = EVP_CIPHER_CTX_new();
    uint8_t skip[8] = { 0 };
    bool ok = alt && EVP_EncryptInit_ex(alt, n->rc4, NULL, d->seal_key, NULL) && rc4(alt, skip, 8, skip);
    for (int s = 1; ok && s >= 0; s--)
        if (try_frame(n, d, alt, p, len, s, out, st)) {
            *sealed = s;
            d->frames++;
            return true;
        }
    EVP_CIPHER_CTX_free(alt);
    return false;
}
