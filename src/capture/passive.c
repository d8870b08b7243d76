/* Passive NegotiateStream: both directions of a recorded MS-NNS session
 * taken apart (handshake messages MS-NNS 2.2.1, data frames 2.2.2), the
 * security package found in the tokens (SPNEGO RFC 4178, raw Kerberos
 * RFC 4121 4.1, raw NTLMSSP), keys recovered with the keytab or password
 * given, and each data frame unprotected: RFC 4121 Wrap and MIC tokens
 * through src/negotiate/cfx.c, NTLM signatures through ntlm.c. */
#include <stdio.h>
#include <string.h>
#include <nettcp/pcap.h>
#include "negotiate/cfx.h"
#include "capture_int.h"

#define MAX_LEGS 16

typedef struct leg {
    uint8_t id;
    const uint8_t *tok;
    size_t len;
} leg;

/* ---- DER (X.690) just enough for SPNEGO and GSS token framing ---- */
static bool der(const uint8_t **p, const uint8_t *end, uint8_t *tag, const uint8_t **val, size_t *vlen)
{
    if (end - *p < 2)
        return false;
    *tag = (*p)[0];
    size_t l = (*p)[1], i = 2;
    if (l & 0x80) {
        size_t n = l & 0x7F;
        if (n == 0 || n > 4 || (size_t)(end - *p) < 2 + n)
            return false;
        l = 0;
        for (size_t k = 0; k < n; k++)
            l = l << 8 | (*p)[2 + k];
        i += n;
    }
    if ((size_t)(end - *p) - i < l)
        return false;
    *val = *p + i;
    *vlen = l;
    *p += i + l;
    return true;
}

static const uint8_t OID_SPNEGO[] = { 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02 };
static const uint8_t OID_KRB5[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02 };
static const uint8_t OID_MSKRB5[] = { 0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02 };
static const uint8_t OID_NTLM[] = { 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a };

static bool oid_is(const uint8_t *v, size_t n, const uint8_t *oid, size_t on) { return n == on && !memcmp(v, oid, on); }

/* What one handshake token holds. */
typedef struct tokinfo {
    bool spnego;
    int mech; /* 0 unknown, 1 Kerberos, 2 NTLM */
    const uint8_t *inner;
    size_t inner_len;
    bool mic; /* a mechListMIC */
} tokinfo;

/* The mechanism of a GSS initial-context token or NTLMSSP message. */
static int mech_of(const uint8_t *p, size_t n)
{
    if (n >= 8 && !memcmp(p, "NTLMSSP", 8))
        return 2;
    const uint8_t *v, *end = p + n;
    size_t vl;
    uint8_t tag;
    if (!der(&p, end, &tag, &v, &vl) || tag != 0x60)
        return 0;
    const uint8_t *q = v, *o;
    size_t ol;
    if (!der(&q, v + vl, &tag, &o, &ol) || tag != 0x06)
        return 0;
    return oid_is(o, ol, OID_KRB5, sizeof OID_KRB5) || oid_is(o, ol, OID_MSKRB5, sizeof OID_MSKRB5) ? 1 : 0;
}

static bool parse_token(const uint8_t *p, size_t n, tokinfo *t)
{
    memset(t, 0, sizeof *t);
    if (!n)
        return true;
    const uint8_t *end = p + n, *v, *seq;
    size_t vl, sl;
    uint8_t tag;
    const uint8_t *q = p;
    if (!der(&q, end, &tag, &v, &vl))
        goto raw;
    if (tag == 0x60) {
        const uint8_t *r = v, *o;
        size_t ol;
        if (!der(&r, v + vl, &tag, &o, &ol) || tag != 0x06 || !oid_is(o, ol, OID_SPNEGO, sizeof OID_SPNEGO))
            goto raw;
        /* NegTokenInit [0] SEQUENCE */
        const uint8_t *c;
        size_t cl;
        if (!der(&r, v + vl, &tag, &c, &cl) || tag != 0xa0)
            return false;
        const uint8_t *s = c;
        if (!der(&s, c + cl, &tag, &seq, &sl) || tag != 0x30)
            return false;
        t->spnego = true;
        for (const uint8_t *f = seq; f < seq + sl;) {
            const uint8_t *fv;
            size_t fl;
            if (!der(&f, seq + sl, &tag, &fv, &fl))
                return false;
            const uint8_t *g = fv, *gv;
            size_t gl;
            uint8_t gt;
            if (tag == 0xa0 && der(&g, fv + fl, &gt, &gv, &gl) && gt == 0x30) { /* mechTypes: the first one */
                const uint8_t *h = gv, *hv;
                size_t hl;
                uint8_t ht;
                if (der(&h, gv + gl, &ht, &hv, &hl) && ht == 0x06)
                    t->mech = oid_is(hv, hl, OID_NTLM, sizeof OID_NTLM) ? 2
                              : oid_is(hv, hl, OID_KRB5, sizeof OID_KRB5) || oid_is(hv, hl, OID_MSKRB5, sizeof OID_MSKRB5)
                                  ? 1
                                  : 0;
            } else if (tag == 0xa2 && der(&g, fv + fl, &gt, &gv, &gl) && gt == 0x04) {
                t->inner = gv;
                t->inner_len = gl;
            } else if (tag == 0xa3) {
                t->mic = true;
            }
        }
        if (t->inner && mech_of(t->inner, t->inner_len))
            t->mech = mech_of(t->inner, t->inner_len);
        return true;
    }
    if (tag == 0xa1) { /* NegTokenResp */
        const uint8_t *s = v;
        if (!der(&s, v + vl, &tag, &seq, &sl) || tag != 0x30)
            return false;
        t->spnego = true;
        for (const uint8_t *f = seq; f < seq + sl;) {
            const uint8_t *fv;
            size_t fl;
            if (!der(&f, seq + sl, &tag, &fv, &fl))
                return false;
            const uint8_t *g = fv, *gv;
            size_t gl;
            uint8_t gt;
            if (tag == 0xa1 && der(&g, fv + fl, &gt, &gv, &gl) && gt == 0x06)
                t->mech = oid_is(gv, gl, OID_NTLM, sizeof OID_NTLM) ? 2 : 1;
            else if (tag == 0xa2 && der(&g, fv + fl, &gt, &gv, &gl) && gt == 0x04) {
                t->inner = gv;
                t->inner_len = gl;
            } else if (tag == 0xa3)
                t->mic = true;
        }
        return true;
    }
raw:
    t->inner = p;
    t->inner_len = n;
    t->mech = mech_of(p, n);
    return true;
}

/* The Kerberos message in a GSS krb5 token (RFC 4121 4.1: 0x60, OID, TOK_ID). */
static bool krb_inner(const uint8_t *p, size_t n, uint16_t tok_id, const uint8_t **msg, size_t *len)
{
    const uint8_t *v, *end = p + n, *o;
    size_t vl, ol;
    uint8_t tag;
    if (!der(&p, end, &tag, &v, &vl) || tag != 0x60)
        return false;
    const uint8_t *q = v;
    if (!der(&q, v + vl, &tag, &o, &ol) || tag != 0x06 || v + vl - q < 2)
        return false;
    if ((uint16_t)(q[0] << 8 | q[1]) != tok_id)
        return false;
    *msg = q + 2;
    *len = (size_t)(v + vl - q - 2);
    return true;
}

/* ---- the decoder ---- */

void ntcp_passive_free(ntcp_passive *p)
{
    for (int d = 0; d < 2; d++) {
        ntcp_buf_free(&p->plain[d]);
        ntcp_free(p->map[d]);
        p->map[d] = NULL;
    }
}

static void set_cause(ntcp_passive *p, ntcp_cause cause, const char *why)
{
    if (p->cause)
        return;
    p->cause = cause;
    snprintf(p->why, sizeof p->why, "%s", why);
}

static size_t read_legs(const uint8_t *in, size_t len, size_t max_legs, bool stop_at_done, leg *legs, size_t *nlegs,
                        bool *complete, bool *error)
{
    size_t off = 0;
    *nlegs = 0;
    *complete = false;
    *error = false;
    while (*nlegs < max_legs) {
        ntcp_nns_handshake h;
        size_t used;
        if (ntcp_nns_decode_handshake(in + off, len - off, NTCP_NNS_MAX_HANDSHAKE_PAYLOAD, &h, &used))
            break;
        legs[*nlegs].id = h.id;
        legs[*nlegs].tok = h.payload;
        legs[*nlegs].len = h.len;
        (*nlegs)++;
        off += used;
        if (h.id == NTCP_NNS_HANDSHAKE_ERROR) {
            *error = true;
            break;
        }
        if (h.id == NTCP_NNS_HANDSHAKE_DONE && stop_at_done) {
            *complete = true;
            break;
        }
    }
    return off;
}

static ntcp_status add_map(ntcp_passive *p, int d, uint64_t plain, uint64_t wire)
{
    ntcp_passive_map *m = ntcp_realloc(p->map[d], (p->nmap[d] + 1) * sizeof *m);
    if (!m)
        return NTCP_E_NOMEM;
    p->map[d] = m;
    m[p->nmap[d]].plain = plain;
    m[p->nmap[d]].wire = wire;
    p->nmap[d]++;
    return NTCP_OK;
}

typedef struct keys_state {
    ntcp_cfx *cfx[2]; /* [0] reads the client's tokens (acceptor side), [1] the service's */
    cap_ntlm *ntlm;
} keys_state;

/* One frame payload: appends the plaintext, or says why not. */
static bool unprotect(ntcp_passive *p, keys_state *k, int d, const uint8_t *pl, size_t len, ntcp_buf *scratch,
                      char *why, size_t why_cap, ntcp_status *st)
{
    *st = NTCP_OK;
    bool sealed = false;
    if (p->package == NTCP_PACKAGE_NTLM) {
        if (!cap_ntlm_unprotect(k->ntlm, d, pl, len, &p->plain[d], &sealed, st)) {
            snprintf(why, why_cap, "the NTLM signature does not verify");
            return false;
        }
    } else if (len >= 2 && pl[0] == 0x05 && pl[1] == 0x04) {
        ntcp_buf_reset(scratch);
        *st = ntcp_buf_append(scratch, pl, len);
        if (*st)
            return false;
        bool conf = false;
        uint32_t major = ntcp_cfx_unwrap(k->cfx[d], scratch->data, scratch->len, &p->plain[d], &conf, st);
        if (*st)
            return false;
        if (NTCP_CFX_ERROR(major)) {
            snprintf(why, why_cap, "the RFC 4121 Wrap token does not verify (%s)",
                     (major & 0xFFFF0000u) == NTCP_CFX_BAD_SIG ? "bad checksum" : "defective token");
            return false;
        }
        sealed = conf;
    } else if (len >= 2 && pl[0] == 0x04 && pl[1] == 0x04) {
        size_t ml = ntcp_nns_mic_length(NTCP_PACKAGE_KERBEROS, p->enctype, pl, len);
        if (!ml || ml > len) {
            snprintf(why, why_cap, "the MIC token is shorter than its enctype's checksum");
            return false;
        }
        uint32_t major = ntcp_cfx_verify_mic(k->cfx[d], pl + ml, len - ml, pl, ml);
        if (NTCP_CFX_ERROR(major)) {
            snprintf(why, why_cap, "the RFC 4121 MIC token does not verify");
            return false;
        }
        *st = ntcp_buf_append(&p->plain[d], pl + ml, len - ml);
        if (*st)
            return false;
    } else {
        snprintf(why, why_cap, "the payload is not an RFC 4121 Wrap or MIC token (starts %02x %02x)", pl[0],
                 len > 1 ? pl[1] : 0);
        return false;
    }
    ntcp_protection got = sealed ? NTCP_PROTECTION_ENCRYPT_AND_SIGN : NTCP_PROTECTION_SIGN;
    if (!p->protection_known || got > p->protection)
        p->protection = got;
    p->protection_known = true;
    return true;
}

static ntcp_status data_phase(ntcp_passive *p, keys_state *k, int d, const uint8_t *in, size_t len, uint64_t wire0)
{
    if (!len)
        return NTCP_OK;
    /* ProtectionLevel None: the MC-NMF bytes go unframed (MS-NNS 2.2.2) */
    uint32_t fl = len >= 4 ? (uint32_t)in[0] | (uint32_t)in[1] << 8 | (uint32_t)in[2] << 16 | (uint32_t)in[3] << 24 : 0;
    bool looks_framed = fl > 4 && fl <= NTCP_NNS_MAX_READ_FRAME && len > 5 &&
                        ((in[4] == 0x05 && in[5] == 0x04) || (in[4] == 0x04 && in[5] == 0x04) ||
                         (len >= 8 && !memcmp(in + 4, "\x01\x00\x00\x00", 4)));
    if (!looks_framed && (in[0] == 0x0C || in[0] == 0x0B || in[0] == 0x08 || in[0] == 0x06 || in[0] == 0x07)) {
        p->protection = NTCP_PROTECTION_NONE;
        p->protection_known = true;
        ntcp_status st = ntcp_buf_append(&p->plain[d], in, len);
        return st ? st : add_map(p, d, 0, wire0);
    }
    if (!k->cfx[d] && !k->ntlm) {
        snprintf(p->frame_error[d], sizeof p->frame_error[d], "not read: no key");
        return NTCP_OK;
    }
    ntcp_buf scratch;
    ntcp_buf_init(&scratch, NTCP_NNS_MAX_READ_FRAME);
    size_t off = 0;
    ntcp_status st = NTCP_OK;
    while (off < len) {
        size_t pl;
        ntcp_status hs = ntcp_nns_decode_data_header(in + off, len - off, NTCP_NNS_MAX_READ_FRAME, &pl);
        if (hs == NTCP_AGAIN || (!hs && pl > len - off - 4)) {
            snprintf(p->frame_error[d], sizeof p->frame_error[d],
                     "the capture ends inside data frame %u (at offset %llu)", p->frames[d] + 1,
                     (unsigned long long)(wire0 + off));
            break;
        }
        if (hs) {
            p->bad_frames[d]++;
            snprintf(p->frame_error[d], sizeof p->frame_error[d],
                     "data frame %u at offset %llu has an impossible size", p->frames[d] + 1,
                     (unsigned long long)(wire0 + off));
            break;
        }
        p->frames[d]++;
        uint64_t plain_at = p->plain[d].len;
        char why[128];
        if (!unprotect(p, k, d, in + off + 4, pl, &scratch, why, sizeof why, &st)) {
            if (st)
                break;
            p->bad_frames[d]++;
            snprintf(p->frame_error[d], sizeof p->frame_error[d], "data frame %u at offset %llu: %s", p->frames[d],
                     (unsigned long long)(wire0 + off), why);
            break; /* the stream cannot go on with a hole */
        }
        st = add_map(p, d, plain_at, wire0 + off);
        if (st)
            break;
        off += 4 + pl;
    }
    ntcp_buf_free(&scratch);
    return st;
}

static ntcp_status kerberos_keys(ntcp_passive *p, keys_state *k, const ntcp_passive_keys *keys, const leg *c0,
                                 const tokinfo *ct, const tokinfo *st0, int64_t auth_usec)
{
    const uint8_t *req, *rep = NULL;
    size_t req_len, rep_len = 0;
    if (!ct->inner || !krb_inner(ct->inner, ct->inner_len, 0x0100, &req, &req_len)) {
        set_cause(p, NTCP_CAUSE_DECRYPT_HANDSHAKE_UNREADABLE, "the client's first token holds no Kerberos AP-REQ");
        return NTCP_OK;
    }
    if (st0 && st0->inner && st0->inner_len) {
        const uint8_t *m;
        size_t ml;
        if (krb_inner(st0->inner, st0->inner_len, 0x0200, &m, &ml)) {
            rep = m;
            rep_len = ml;
        } else if (krb_inner(st0->inner, st0->inner_len, 0x0300, &m, &ml)) {
            set_cause(p, NTCP_CAUSE_DECRYPT_HANDSHAKE_FAILED, "the service answered the AP-REQ with a KRB-ERROR");
            return NTCP_OK;
        }
    }
    (void)c0;
    if (!keys || !keys->keytab) {
        set_cause(p, NTCP_CAUSE_DECRYPT_NO_KEYTAB, "Kerberos: give the service's keytab with --keytab");
        return NTCP_OK;
    }
    cap_krb kr;
    cap_krb_accept(keys->keytab, req, req_len, rep, rep_len, auth_usec, &kr);
    if (*kr.client)
        snprintf(p->client, sizeof p->client, "%s", kr.client);
    if (*kr.service)
        snprintf(p->service, sizeof p->service, "%s", kr.service);
    if (kr.cause) {
        set_cause(p, kr.cause, kr.why);
        explicit_bzero(&kr, sizeof kr);
        return NTCP_OK;
    }
    const cap_key *ik = kr.have_initiator_subkey ? &kr.initiator_subkey : &kr.session;
    const cap_key *dk = kr.have_acceptor_subkey ? &kr.acceptor_subkey : ik;
    p->enctype = dk->enctype;
    snprintf(p->key, sizeof p->key, "keytab: %.100s kvno %u %s", kr.service, kr.kvno, cap_enctype_name(kr.session.enctype));
    if (!ntcp_cfx_enctype_supported(ik->enctype) || !ntcp_cfx_enctype_supported(dk->enctype)) {
        char w[128];
        snprintf(w, sizeof w, "the data is protected with %s (%d); only aes128/aes256-cts-hmac-sha1-96 are read",
                 cap_enctype_name(dk->enctype), dk->enctype);
        set_cause(p, NTCP_CAUSE_DECRYPT_ENCTYPE_UNSUPPORTED, w);
        explicit_bzero(&kr, sizeof kr);
        return NTCP_OK;
    }
    for (int d = 0; d < 2; d++) {
        ntcp_cfx_params prm = {
            .initiator = d == 1, .ctx_key_type = ik->enctype, .ctx_key = ik->key, .ctx_key_len = ik->len,
            .have_acceptor_subkey = kr.have_acceptor_subkey, .acceptor_subkey_type = kr.acceptor_subkey.enctype,
            .acceptor_subkey = kr.acceptor_subkey.key, .acceptor_subkey_len = kr.acceptor_subkey.len,
        };
        ntcp_status s = ntcp_cfx_new(&k->cfx[d], &prm);
        if (s) {
            explicit_bzero(&kr, sizeof kr);
            return s == NTCP_E_NOMEM ? s : NTCP_OK;
        }
    }
    explicit_bzero(&kr, sizeof kr);
    return NTCP_OK;
}

ntcp_status ntcp_passive_decode(const uint8_t *const in_[2], const size_t len[2], const uint64_t base[2],
                                int64_t auth_usec, const ntcp_passive_keys *keys, size_t max_bytes, ntcp_passive *p)
{
    memset(p, 0, sizeof *p);
    static const uint8_t empty[1];
    const uint8_t *const in[2] = { in_[0] && len[0] ? in_[0] : empty, in_[1] && len[1] ? in_[1] : empty };
    ntcp_buf_init(&p->plain[0], max_bytes);
    ntcp_buf_init(&p->plain[1], max_bytes);
    leg cl[MAX_LEGS], sl[MAX_LEGS];
    size_t ncl, nsl;
    bool s_done, s_err, c_done, c_err;
    size_t s_used = read_legs(in[1], len[1], MAX_LEGS, true, sl, &nsl, &s_done, &s_err);
    /* the client sends one message per message of the service (PROTOCOLS 2.2) */
    size_t c_used = read_legs(in[0], len[0], nsl ? nsl : 1, false, cl, &ncl, &c_done, &c_err);
    for (size_t i = 0; i < nsl; i++)
        if (sl[i].id == NTCP_NNS_HANDSHAKE_ERROR)
            (void)ntcp_nns_error_code(sl[i].tok, sl[i].len, &p->handshake_error, NULL);
    for (size_t i = 0; i < ncl; i++)
        if (cl[i].id == NTCP_NNS_HANDSHAKE_ERROR)
            (void)ntcp_nns_error_code(cl[i].tok, cl[i].len, &p->handshake_error, NULL);
    if (!ncl) {
        set_cause(p, NTCP_CAUSE_DECRYPT_HANDSHAKE_INCOMPLETE, "the capture holds no NegotiateStream handshake from the client");
        return NTCP_OK;
    }
    tokinfo ct[MAX_LEGS], stk[MAX_LEGS];
    for (size_t i = 0; i < ncl; i++)
        if (!parse_token(cl[i].tok, cl[i].len, &ct[i]))
            memset(&ct[i], 0, sizeof ct[i]);
    for (size_t i = 0; i < nsl; i++)
        if (!parse_token(sl[i].tok, sl[i].len, &stk[i]))
            memset(&stk[i], 0, sizeof stk[i]);
    p->spnego = ct[0].spnego;
    if (ct[0].mech == 1 || (ct[0].spnego && nsl && stk[0].mech == 1)) {
        p->package = NTCP_PACKAGE_KERBEROS;
        p->package_known = true;
    } else if (ct[0].mech == 2) {
        p->package = NTCP_PACKAGE_NTLM;
        p->package_known = true;
    }
    if (s_err || c_err) {
        char w[96];
        snprintf(w, sizeof w, "the handshake ended with HandshakeError 0x%08x", p->handshake_error);
        set_cause(p, NTCP_CAUSE_DECRYPT_HANDSHAKE_FAILED, w);
    } else if (!s_done) {
        set_cause(p, NTCP_CAUSE_DECRYPT_HANDSHAKE_INCOMPLETE, "the capture does not hold the service's HandshakeDone");
    }
    p->handshake_done = s_done && !c_err;
    keys_state k = { { NULL, NULL }, NULL };
    ntcp_status st = NTCP_OK;
    if (!p->package_known) {
        set_cause(p, NTCP_CAUSE_DECRYPT_PACKAGE_UNKNOWN, "the client's first token is not SPNEGO, Kerberos or NTLMSSP");
    } else if (p->package == NTCP_PACKAGE_KERBEROS) {
        st = kerberos_keys(p, &k, keys, &cl[0], &ct[0], nsl ? &stk[0] : NULL, auth_usec);
    } else if (!p->cause) {
        if (nsl < 1 || ncl < 2 || !stk[0].inner || !ct[1].inner) {
            set_cause(p, NTCP_CAUSE_DECRYPT_HANDSHAKE_INCOMPLETE, "the NTLM CHALLENGE or AUTHENTICATE message is missing");
        } else {
            ntcp_cause cause = NTCP_CAUSE_NONE;
            k.ntlm = cap_ntlm_new(stk[0].inner, stk[0].inner_len, ct[1].inner, ct[1].inner_len, keys, p->client,
                                  sizeof p->client, p->service, sizeof p->service, p->key, sizeof p->key, &cause,
                                  p->why, sizeof p->why);
            if (!k.ntlm && !cause)
                st = NTCP_E_NOMEM;
            if (cause)
                p->cause = cause;
            if (k.ntlm && ct[1].mic)
                cap_ntlm_after_mech_list_mic(k.ntlm, 0);
            if (k.ntlm && nsl >= 2 && stk[nsl - 1].mic)
                cap_ntlm_after_mech_list_mic(k.ntlm, 1);
        }
    }
    if (p->handshake_done && !st) {
        st = data_phase(p, &k, 0, in[0] + c_used, len[0] - c_used, base[0] + c_used);
        if (!st)
            st = data_phase(p, &k, 1, in[1] + s_used, len[1] - s_used, base[1] + s_used);
    }
    if (p->protection_known && p->protection == NTCP_PROTECTION_NONE && !*p->key)
        snprintf(p->key, sizeof p->key, "none needed (ProtectionLevel None)");
    p->decrypted = !p->cause && !p->bad_frames[0] && !p->bad_frames[1] && (p->frames[0] || p->protection_known);
    if (p->protection_known && p->protection == NTCP_PROTECTION_NONE && p->handshake_done) {
        /* nothing was protected: the records can be read whatever the keys */
        p->decrypted = !p->bad_frames[0] && !p->bad_frames[1];
    }
    ntcp_cfx_free(k.cfx[0]);
    ntcp_cfx_free(k.cfx[1]);
    cap_ntlm_free(k.ntlm);
    return st;
}
