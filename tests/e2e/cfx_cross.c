/* Cross-checks of the libcrypto RFC 4121 fast path (cfx.h) with MIT's
 * GSSAPI as the independent implementation, over Kerberos contexts
 * established in process against the realm of cfx_cross.sh. For both
 * enctypes (aes256/aes128-cts-hmac-sha1-96) and both roles (our side is the
 * initiator, or the acceptor, with MIT on the other end):
 *  - every size of a list from 0 to 70000 bytes (block boundaries included):
 *    our sealed tokens (RRC 0 and 28, EC 0 and > 0) unwrap with MIT, MIT's
 *    tokens (as sent, and rotated to RRC 28) unwrap with ours;
 *  - unsealed Wrap tokens and MIC tokens both ways;
 *  - each byte of a token flipped fails on both implementations, and the
 *    untouched token still verifies afterwards;
 *  - replayed and reordered tokens get the same supplementary status from
 *    ours as from MIT. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#include <nettcp/util.h>
#include "negotiate/cfx.h"
#include "e2e.h"

static gss_OID_desc krb5_oid = { 9, (void *)"\x2a\x86\x48\x86\xf7\x12\x01\x02\x02" };

typedef struct pair {
    gss_ctx_id_t i, a;
    OM_uint32 iflags, aflags;
} pair;

static bool pair_open(pair *p, int32_t enctype)
{
    OM_uint32 maj, min;
    gss_name_t t = GSS_C_NO_NAME;
    gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
    gss_OID_set_desc mechs = { 1, &krb5_oid };
    gss_buffer_desc nb = { strlen("host@svc.nettcp.test"), (void *)"host@svc.nettcp.test" };
    gss_buffer_desc it = GSS_C_EMPTY_BUFFER, ot = GSS_C_EMPTY_BUFFER;
    p->i = p->a = GSS_C_NO_CONTEXT;
    if (GSS_ERROR(gss_import_name(&min, &nb, GSS_C_NT_HOSTBASED_SERVICE, &t)))
        return false;
    if (GSS_ERROR(gss_acquire_cred(&min, GSS_C_NO_NAME, 0, &mechs, GSS_C_INITIATE, &cred, NULL, NULL)))
        return false;
    krb5_enctype et = enctype;
    if (GSS_ERROR(gss_krb5_set_allowable_enctypes(&min, cred, 1, &et)))
        return false;
    bool ok = false;
    for (int leg = 0; leg < 4; leg++) {
        maj = gss_init_sec_context(&min, cred, &p->i, t, &krb5_oid,
                                   GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG | GSS_C_CONF_FLAG |
                                       GSS_C_INTEG_FLAG,
                                   0, NULL, it.length ? &it : GSS_C_NO_BUFFER, NULL, &ot, &p->iflags, NULL);
        gss_release_buffer(&min, &it);
        if (GSS_ERROR(maj))
            break;
        if (!ot.length) {
            ok = !(maj & GSS_S_CONTINUE_NEEDED);
            break;
        }
        maj = gss_accept_sec_context(&min, &p->a, GSS_C_NO_CREDENTIAL, &ot, NULL, NULL, NULL, &it, &p->aflags, NULL,
                                     NULL);
        gss_release_buffer(&min, &ot);
        if (GSS_ERROR(maj))
            break;
    }
    gss_release_buffer(&min, &it);
    gss_release_buffer(&min, &ot);
    gss_release_name(&min, &t);
    gss_release_cred(&min, &cred);
    return ok;
}

static void pair_close(pair *p)
{
    OM_uint32 min;
    gss_delete_sec_context(&min, &p->i, GSS_C_NO_BUFFER);
    gss_delete_sec_context(&min, &p->a, GSS_C_NO_BUFFER);
}

static uint8_t *pattern(size_t n, unsigned seed)
{
    uint8_t *m = malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++)
        m[i] = (uint8_t)(i * 131 + seed * 7 + (i >> 8));
    return m;
}

/* MIT's unwrap of our token; true when it yields want (conf as asked). */
static bool mit_unwrap_ok(gss_ctx_id_t ctx, const uint8_t *tok, size_t len, const uint8_t *want, size_t want_len,
                          int want_conf, OM_uint32 *major)
{
    OM_uint32 min;
    int conf = -1;
    gss_buffer_desc in = { len, (void *)tok }, out = GSS_C_EMPTY_BUFFER;
    *major = gss_unwrap(&min, ctx, &in, &out, &conf, NULL);
    bool ok = *major == GSS_S_COMPLETE && out.length == want_len && (!want_len || !memcmp(out.value, want, want_len)) &&
              conf == want_conf;
    gss_release_buffer(&min, &out);
    return ok;
}

/* MIT's wrap token in a malloc'd buffer, rotated to rrc when nonzero. */
static uint8_t *mit_wrap(gss_ctx_id_t ctx, int conf, const uint8_t *msg, size_t len, uint16_t rrc, size_t *tok_len)
{
    OM_uint32 min;
    gss_buffer_desc in = { len, (void *)msg }, out = GSS_C_EMPTY_BUFFER;
    if (GSS_ERROR(gss_wrap(&min, ctx, conf, GSS_C_QOP_DEFAULT, &in, NULL, &out)))
        return NULL;
    uint8_t *t = malloc(out.length);
    memcpy(t, out.value, out.length);
    *tok_len = out.length;
    gss_release_buffer(&min, &out);
    if (rrc && *tok_len > 16) {
        size_t n = *tok_len - 16, r = rrc % n;
        uint8_t *tmp = malloc(n);
        /* rotate right by r: the last r bytes come first */
        memcpy(tmp, t + 16 + n - r, r);
        memcpy(tmp + r, t + 16, n - r);
        memcpy(t + 16, tmp, n);
        free(tmp);
        t[6] = (uint8_t)(rrc >> 8);
        t[7] = (uint8_t)rrc;
    }
    return t;
}

static const size_t sizes[] = { 0,   1,   15,  16,  17,  31,   32,   33,   47,   48,    49,    63,   64,
                                65,  255, 256, 257, 300, 1000, 4095, 4096, 4097, 16383, 16384, 65535, 65536, 70000 };
#define NSIZES (sizeof sizes / sizeof sizes[0])

/* ours (role given) <-> MIT, every size, both directions. */
static void sizes_both_ways(int32_t enctype, bool ours_initiator)
{
    pair p;
    if (!pair_open(&p, enctype)) {
        EXPECT(false, "no context for enctype %d", (int)enctype);
        return;
    }
    gss_ctx_id_t *mine = ours_initiator ? &p.i : &p.a, mit = ours_initiator ? p.a : p.i;
    ntcp_cfx *c = NULL;
    ntcp_status st = ntcp_cfx_from_gss(*mine, ours_initiator ? p.iflags : p.aflags, &c);
    EXPECT(st == NTCP_OK, "fast path refused a %d context (%d)", (int)enctype, (int)st);
    if (st) {
        pair_close(&p);
        return;
    }
    EXPECT(ntcp_cfx_enctype(c) == enctype, "enctype %d, want %d", (int)ntcp_cfx_enctype(c), (int)enctype);
    ntcp_buf b, plain;
    ntcp_buf_init(&b, 1 << 20);
    ntcp_buf_init(&plain, 1 << 20);
    int bad = 0;
    for (size_t k = 0; k < NSIZES; k++) {
        size_t n = sizes[k];
        uint8_t *m = pattern(n, (unsigned)k);
        OM_uint32 maj;
        /* ours -> MIT: sealed RRC 0, sealed RRC 28, sealed EC 7 (RRC 28 on odd sizes), unsealed */
        for (int v = 0; v < 4; v++) {
            ntcp_buf_reset(&b);
            ntcp_status ws = v == 0   ? ntcp_cfx_wrap(c, true, m, n, 0, &b)
                             : v == 1 ? ntcp_cfx_wrap(c, true, m, n, 28, &b)
                             : v == 2 ? ntcp_cfx_wrap_ec(c, m, n, 7, (n & 1) ? 28 : 0, &b)
                                      : ntcp_cfx_wrap(c, false, m, n, (n & 1) ? 28 : 0, &b);
            if (ws || !mit_unwrap_ok(mit, b.data, b.len, m, n, v < 3, &maj)) {
                if (!bad++)
                    EXPECT(false, "enctype %d %s: ours->MIT size %zu variant %d: status %d major 0x%x", (int)enctype,
                           ours_initiator ? "initiator" : "acceptor", n, v, (int)ws, maj);
            }
        }
        /* MIT -> ours: sealed as sent, sealed RRC 28, unsealed RRC 0 and 28 */
        for (int v = 0; v < 4; v++) {
            size_t tl = 0;
            uint8_t *t = mit_wrap(mit, v < 2, m, n, (v & 1) ? 28 : 0, &tl);
            bool conf = !(v < 2);
            ntcp_status bs = NTCP_OK;
            ntcp_buf_reset(&plain);
            uint32_t r = t ? ntcp_cfx_unwrap(c, t, tl, &plain, &conf, &bs) : 0xFFFFFFFFu;
            if (r != 0 || conf != (v < 2) || plain.len != n || (n && memcmp(plain.data, m, n))) {
                if (!bad++)
                    EXPECT(false, "enctype %d %s: MIT->ours size %zu variant %d: major 0x%x len %zu", (int)enctype,
                           ours_initiator ? "initiator" : "acceptor", n, v, r, plain.len);
            }
            free(t);
        }
        free(m);
    }
    EXPECT(bad == 0, "%d size/variant mismatches (first reported above)", bad);

    /* MIC both ways */
    {
        uint8_t *m = pattern(300, 9);
        OM_uint32 min;
        ntcp_buf_reset(&b);
        EXPECT(ntcp_cfx_get_mic(c, m, 300, &b) == NTCP_OK, "get_mic");
        gss_buffer_desc mb = { 300, m }, tb = { b.len, b.data }, ob = GSS_C_EMPTY_BUFFER;
        OM_uint32 maj = gss_verify_mic(&min, mit, &mb, &tb, NULL);
        EXPECT(maj == GSS_S_COMPLETE, "MIT verify_mic of ours: 0x%x", maj);
        maj = gss_get_mic(&min, mit, GSS_C_QOP_DEFAULT, &mb, &ob);
        EXPECT(maj == GSS_S_COMPLETE, "MIT get_mic");
        uint32_t r = ntcp_cfx_verify_mic(c, m, 300, ob.value, ob.length);
        EXPECT(r == 0, "our verify_mic of MIT's: 0x%x", r);
        m[5] ^= 1;
        EXPECT(NTCP_CFX_ERROR(ntcp_cfx_verify_mic(c, m, 300, ob.value, ob.length)), "MIC of altered message accepted");
        gss_release_buffer(&min, &ob);
        free(m);
    }

    /* tampering: every byte of a 300-byte sealed token, both ways (RRC 28 on ours) */
    {
        uint8_t *m = pattern(300, 3);
        size_t tl = 0;
        uint8_t *t = mit_wrap(mit, 1, m, 300, 0, &tl);
        int accepted = 0;
        for (size_t i = 0; t && i < tl; i++) {
            uint8_t *x = malloc(tl);
            memcpy(x, t, tl);
            x[i] ^= (uint8_t)(1u << (i % 8));
            bool conf;
            ntcp_status bs;
            ntcp_buf_reset(&plain);
            uint32_t r = ntcp_cfx_unwrap(c, x, tl, &plain, &conf, &bs);
            if (!NTCP_CFX_ERROR(r) || plain.len)
                accepted++;
            free(x);
        }
        EXPECT(accepted == 0, "%d tampered MIT tokens accepted by ours", accepted);
        bool conf;
        ntcp_status bs;
        ntcp_buf_reset(&plain);
        EXPECT(t && ntcp_cfx_unwrap(c, t, tl, &plain, &conf, &bs) == 0 && plain.len == 300,
               "the untouched token after the tampered ones");
        free(t);

        ntcp_buf_reset(&b);
        EXPECT(ntcp_cfx_wrap(c, true, m, 300, 28, &b) == NTCP_OK, "wrap");
        accepted = 0;
        for (size_t i = 0; i < b.len; i++) {
            uint8_t *x = malloc(b.len);
            memcpy(x, b.data, b.len);
            x[i] ^= 0x80;
            OM_uint32 maj;
            if (mit_unwrap_ok(mit, x, b.len, m, 300, 1, &maj) || !GSS_ERROR(maj))
                accepted++;
            free(x);
        }
        EXPECT(accepted == 0, "%d tampered tokens of ours accepted by MIT", accepted);
        OM_uint32 maj;
        EXPECT(mit_unwrap_ok(mit, b.data, b.len, m, 300, 1, &maj), "MIT: our untouched token after tampering (0x%x)", maj);
        free(m);
    }

    /* replay and reordering: the same order of tokens to MIT (ours sent them)
     * and to ours (MIT sent them); the supplementary bits must agree */
    {
        uint8_t *m = pattern(100, 5);
        enum { T = 5 };
        uint8_t *ours[T], *mits[T];
        size_t ol[T], ml[T];
        for (int j = 0; j < T; j++) {
            ntcp_buf_reset(&b);
            EXPECT(ntcp_cfx_wrap(c, true, m, 100, 0, &b) == NTCP_OK, "wrap");
            ol[j] = b.len;
            ours[j] = malloc(b.len);
            memcpy(ours[j], b.data, b.len);
            mits[j] = mit_wrap(mit, 1, m, 100, 0, &ml[j]);
        }
        static const int order[] = { 0, 0, 2, 1, 1, 4, 3, 0 };
        for (size_t j = 0; j < sizeof order / sizeof order[0]; j++) {
            int o = order[j];
            OM_uint32 min, want;
            gss_buffer_desc in = { ol[o], ours[o] }, out = GSS_C_EMPTY_BUFFER;
            want = gss_unwrap(&min, mit, &in, &out, NULL, NULL);
            gss_release_buffer(&min, &out);
            uint8_t *x = malloc(ml[o]);
            memcpy(x, mits[o], ml[o]);
            bool conf;
            ntcp_status bs;
            ntcp_buf_reset(&plain);
            uint32_t got = ntcp_cfx_unwrap(c, x, ml[o], &plain, &conf, &bs);
            free(x);
            EXPECT(got == want, "token %d (step %zu): ours 0x%x, MIT 0x%x", o, j, got, want);
        }
        EXPECT(true, "replay order checked");
        for (int j = 0; j < T; j++) {
            free(ours[j]);
            free(mits[j]);
        }
        free(m);
    }
    ntcp_buf_free(&b);
    ntcp_buf_free(&plain);
    ntcp_cfx_free(c);
    pair_close(&p);
}

/* A token sent in the wrong direction (our own token back to us) fails. */
static void reflection(void)
{
    pair p;
    if (!pair_open(&p, 18)) {
        EXPECT(false, "no context");
        return;
    }
    ntcp_cfx *c = NULL;
    EXPECT(ntcp_cfx_from_gss(p.i, p.iflags, &c) == NTCP_OK, "fast path");
    if (c) {
        ntcp_buf b, plain;
        ntcp_buf_init(&b, 1 << 16);
        ntcp_buf_init(&plain, 1 << 16);
        EXPECT(ntcp_cfx_wrap(c, true, (const uint8_t *)"reflect me", 10, 0, &b) == NTCP_OK, "wrap");
        bool conf;
        ntcp_status bs;
        EXPECT(ntcp_cfx_unwrap(c, b.data, b.len, &plain, &conf, &bs) == NTCP_CFX_BAD_SIG && plain.len == 0,
               "a reflected token is refused (BAD_SIG, as MIT's G_BAD_DIRECTION)");
        ntcp_buf_free(&b);
        ntcp_buf_free(&plain);
        ntcp_cfx_free(c);
    }
    pair_close(&p);
}

int main(void)
{
    env("KRB5_KTNAME");
    const int32_t enctypes[] = { 18, 17 };
    for (int e = 0; e < 2; e++) {
        sizes_both_ways(enctypes[e], true);
        sizes_both_ways(enctypes[e], false);
    }
    reflection();
    return e2e_finish();
}
