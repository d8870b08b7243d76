/* MS-NNS frame codecs: handshake messages, HandshakeError codes, data
 * frame headers, and the NTLM signature rotation (PROTOCOLS 2.1-2.5). */
#include <string.h>
#include <strings.h>
#include "negotiate/frames.h"
#include "util/reader.h"

/* MS-NNS 2.2.1: MessageId, MajorVersion 1, MinorVersion 0, PayloadSize (BE). */
ntcp_status ntcp_nns_put_handshake(ntcp_buf *out, uint8_t id, const uint8_t *payload, size_t len)
{
    if (id != NTCP_NNS_HANDSHAKE_DONE && id != NTCP_NNS_HANDSHAKE_ERROR && id != NTCP_NNS_HANDSHAKE_IN_PROGRESS)
        return NTCP_E_INVALID_ARG;
    if (len > NTCP_NNS_MAX_HANDSHAKE_PAYLOAD)
        return NTCP_E_NNS_TOKEN_TOO_LARGE;
    if (len && !payload)
        return NTCP_E_INVALID_ARG;
    ntcp_status s = ntcp_buf_reserve(out, NTCP_NNS_HANDSHAKE_HEADER + len);
    if (s)
        return s;
    uint8_t h[NTCP_NNS_HANDSHAKE_HEADER] = { id, 1, 0, (uint8_t)(len >> 8), (uint8_t)len };
    s = ntcp_buf_append(out, h, sizeof h);
    if (!s)
        s = ntcp_buf_append(out, payload, len);
    return s;
}

/* PROTOCOLS 2.3: send the code as a 64-bit value, most significant byte first. */
ntcp_status ntcp_nns_put_error(ntcp_buf *out, uint32_t code)
{
    uint8_t p[8] = { 0, 0, 0, 0, (uint8_t)(code >> 24), (uint8_t)(code >> 16), (uint8_t)(code >> 8), (uint8_t)code };
    return ntcp_nns_put_handshake(out, NTCP_NNS_HANDSHAKE_ERROR, p, sizeof p);
}

ntcp_status ntcp_nns_decode_handshake(const uint8_t *data, size_t len, size_t max_payload, ntcp_nns_handshake *msg,
                                      size_t *used)
{
    ntcp_reader r;
    ntcp_reader_init(&r, data, len);
    if (len == 0)
        return NTCP_AGAIN;
    uint8_t id = ntcp_read_u8(&r);
    /* MS-NNS 3.1.5.2: any other id aborts ("wrong header field MessageId"). */
    if (id != NTCP_NNS_HANDSHAKE_DONE && id != NTCP_NNS_HANDSHAKE_ERROR && id != NTCP_NNS_HANDSHAKE_IN_PROGRESS)
        return NTCP_E_NNS_MESSAGE_ID;
    uint8_t major = ntcp_read_u8(&r);
    uint8_t minor = ntcp_read_u8(&r);
    uint16_t plen = ntcp_read_u16be(&r);
    if (!ntcp_reader_ok(&r))
        return NTCP_AGAIN;
    if (plen > max_payload)
        return NTCP_E_NNS_TOKEN_TOO_LARGE;
    const uint8_t *payload = ntcp_read_bytes(&r, plen);
    if (!ntcp_reader_ok(&r))
        return NTCP_AGAIN;
    msg->id = id;
    msg->major = major;
    msg->minor = minor;
    msg->payload = payload;
    msg->len = plen;
    *used = ntcp_reader_offset(&r);
    return NTCP_OK;
}

bool ntcp_nns_error_code(const uint8_t *payload, size_t len, uint32_t *code, bool *big_endian)
{
    if (!payload || len < 8)
        return false;
    ntcp_reader r;
    ntcp_reader_init(&r, payload, 8);
    const uint8_t *b = ntcp_read_bytes(&r, 8);
    bool hi_zero = !b[0] && !b[1] && !b[2] && !b[3];
    bool lo_zero = !b[4] && !b[5] && !b[6] && !b[7];
    bool be = hi_zero || !lo_zero;
    if (be)
        *code = (uint32_t)b[4] << 24 | (uint32_t)b[5] << 16 | (uint32_t)b[6] << 8 | b[7];
    else
        *code = (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
    if (big_endian)
        *big_endian = be;
    return true;
}

/* MS-NNS 2.2.2: PayloadSize, 4 bytes little-endian; .NET accepts 4 < n <= 64K. */
ntcp_status ntcp_nns_put_data_header(ntcp_buf *out, size_t payload_len)
{
    if (payload_len <= NTCP_NNS_MIN_FRAME_EXCLUSIVE || payload_len > NTCP_NNS_MAX_READ_FRAME)
        return NTCP_E_NNS_FRAME_SIZE;
    return ntcp_buf_put_u32le(out, (uint32_t)payload_len);
}

ntcp_status ntcp_nns_decode_data_header(const uint8_t *data, size_t len, size_t max_frame, size_t *payload_len)
{
    ntcp_reader r;
    ntcp_reader_init(&r, data, len);
    uint32_t n = ntcp_read_u32le(&r);
    if (!ntcp_reader_ok(&r))
        return NTCP_AGAIN;
    if (max_frame > NTCP_NNS_MAX_READ_FRAME)
        max_frame = NTCP_NNS_MAX_READ_FRAME;
    if (n <= NTCP_NNS_MIN_FRAME_EXCLUSIVE || n > max_frame)
        return NTCP_E_NNS_FRAME_SIZE;
    *payload_len = n;
    return NTCP_OK;
}

/* PROTOCOLS 2.5: Windows puts the NTLMSSP_MESSAGE_SIGNATURE before the
 * sealed data; gss-ntlmssp after it. */
ntcp_status ntcp_nns_ntlm_signature_to_front(uint8_t *p, size_t len)
{
    if (len < NTCP_NNS_NTLM_SIGNATURE)
        return NTCP_E_NNS_FRAME_SIZE;
    uint8_t sig[NTCP_NNS_NTLM_SIGNATURE];
    memcpy(sig, p + len - sizeof sig, sizeof sig);
    memmove(p + sizeof sig, p, len - sizeof sig);
    memcpy(p, sig, sizeof sig);
    return NTCP_OK;
}

ntcp_status ntcp_nns_ntlm_signature_to_back(uint8_t *p, size_t len)
{
    if (len < NTCP_NNS_NTLM_SIGNATURE)
        return NTCP_E_NNS_FRAME_SIZE;
    uint8_t sig[NTCP_NNS_NTLM_SIGNATURE];
    memcpy(sig, p, sizeof sig);
    memmove(p, p + sizeof sig, len - sizeof sig);
    memcpy(p + len - sizeof sig, sig, sizeof sig);
    return NTCP_OK;
}

/* RFC 4121 4.2.6.1 MIC token: 16-byte header + checksum whose size depends on
 * the enctype (RFC 3962: 12; RFC 8009: 16 / 24). RFC 1964 tokens (0x60) are
 * DER-framed and carry their length. */
size_t ntcp_nns_mic_length(ntcp_package package, int32_t enctype, const uint8_t *p, size_t len)
{
    if (package == NTCP_PACKAGE_NTLM)
        return len >= NTCP_NNS_NTLM_SIGNATURE ? NTCP_NNS_NTLM_SIGNATURE : 0;
    ntcp_reader r;
    ntcp_reader_init(&r, p, len);
    uint8_t b0 = ntcp_read_u8(&r);
    if (!ntcp_reader_ok(&r))
        return 0;
    size_t n = 0;
    if (b0 == 0x04 && ntcp_read_u8(&r) == 0x04 && ntcp_reader_ok(&r)) {
        switch (enctype) {
        case 17: case 18: n = 16 + 12; break; /* aes*-cts-hmac-sha1-96 */
        case 19: n = 16 + 16; break;          /* aes128-cts-hmac-sha256-128 */
        case 20: n = 16 + 24; break;          /* aes256-cts-hmac-sha384-192 */
        case 16: n = 16 + 20; break;          /* des3-cbc-sha1-kd */
        case 23: case 24: n = 16 + 16; break; /* rc4-hmac with CFX tokens */
        default: return 0;
        }
    } else if (b0 == 0x60) {
        uint8_t l = ntcp_read_u8(&r);
        if (l < 0x80) {
            n = 2 + (size_t)l;
        } else {
            unsigned k = l & 0x7F;
            if (k == 0 || k > 3)
                return 0;
            size_t v = 0;
            for (unsigned i = 0; i < k; i++)
                v = v << 8 | ntcp_read_u8(&r);
            n = 2 + k + v;
        }
        if (!ntcp_reader_ok(&r))
            return 0;
    } else {
        return 0;
    }
    return n <= len ? n : 0;
}

const char *ntcp_package_name(ntcp_package p)
{
    switch (p) {
    case NTCP_PACKAGE_NEGOTIATE: return "Negotiate";
    case NTCP_PACKAGE_KERBEROS: return "Kerberos";
    case NTCP_PACKAGE_NTLM: return "NTLM";
    }
    return "unknown";
}

const char *ntcp_protection_name(ntcp_protection p)
{
    switch (p) {
    case NTCP_PROTECTION_NONE: return "None";
    case NTCP_PROTECTION_SIGN: return "Sign";
    case NTCP_PROTECTION_ENCRYPT_AND_SIGN: return "EncryptAndSign";
    }
    return "unknown";
}

const char *ntcp_impersonation_name(ntcp_impersonation l)
{
    switch (l) {
    case NTCP_IMPERSONATION_ANONYMOUS: return "Anonymous";
    case NTCP_IMPERSONATION_IDENTIFICATION: return "Identification";
    case NTCP_IMPERSONATION_IMPERSONATION: return "Impersonation";
    case NTCP_IMPERSONATION_DELEGATION: return "Delegation";
    }
    return "unknown";
}

/* PROTOCOLS 7.1: identity -> target name. */
ntcp_status ntcp_nns_target_name(const char *identity, const char *address_host, char *out, size_t cap,
                                 bool *is_upn)
{
    const char *prefix = "", *value = NULL;
    bool upn = false;
    if (!identity || !*identity || !strcmp(identity, "none")) {
        prefix = "host/";
        value = address_host;
    } else if (!strncmp(identity, "dns:", 4)) {
        prefix = "host/";
        value = identity + 4;
    } else if (!strncmp(identity, "spn:", 4)) {
        value = identity + 4;
    } else if (!strncmp(identity, "upn:", 4)) {
        value = identity + 4;
        upn = true;
        if (!strchr(value, '@'))
            return NTCP_E_INVALID_ARG;
    } else {
        return NTCP_E_INVALID_ARG;
    }
    if (!value || !*value)
        return NTCP_E_INVALID_ARG;
    size_t pl = strlen(prefix), vl = strlen(value);
    if (pl + vl + 1 > cap)
        return NTCP_E_LIMIT;
    memcpy(out, prefix, pl);
    memcpy(out + pl, value, vl + 1);
    if (is_upn)
        *is_upn = upn;
    return NTCP_OK;
}

/* ---- Kerberos names --------------------------------------------------------- */
#define KNAME_MAX_COMPS 4
typedef struct kname {
    char comp[KNAME_MAX_COMPS][256];
    unsigned n;
    char realm[256];
    bool has_realm;
} kname;

/* Splits a displayed principal (RFC 1964 2.1.1: '/' between components, '@'
 * before the realm, '\' quoting the next character). false when it does not
 * parse or a part does not fit. */
static bool kname_parse(const char *s, kname *k)
{
    memset(k, 0, sizeof *k);
    k->n = 1;
    char *cur = k->comp[0];
    size_t len = 0, cap = sizeof k->comp[0];
    for (; *s; s++) {
        char c = *s;
        if (c == '\\') {
            if (!s[1])
                return false;
            c = *++s;
        } else if (c == '/' && !k->has_realm) {
            if (k->n == KNAME_MAX_COMPS)
                return false;
            cur = k->comp[k->n++];
            len = 0;
            continue;
        } else if (c == '@') {
            if (k->has_realm)
                return false;
            k->has_realm = true;
            cur = k->realm;
            len = 0;
            continue;
        }
        if (len + 1 >= cap)
            return false;
        cur[len++] = c;
        cur[len] = 0;
    }
    return k->comp[0][0] != 0 && (!k->has_realm || k->realm[0]);
}

bool ntcp_krb_name_matches(const char *expected, bool is_upn, const char *got)
{
    kname e, g;
    if (!expected || !got || !kname_parse(got, &g))
        return false;
    if (is_upn) {
        /* user@suffix: the enterprise form is one component "user@suffix" in
         * some realm; the canonical form is user@REALM with REALM the suffix */
        const char *at = strrchr(expected, '@');
        if (!at || g.n != 1)
            return false;
        if (!strcasecmp(g.comp[0], expected))
            return true;
        size_t ul = (size_t)(at - expected);
        return strlen(g.comp[0]) == ul && !strncasecmp(g.comp[0], expected, ul) && g.has_realm &&
               !strcasecmp(g.realm, at + 1);
    }
    if (!kname_parse(expected, &e) || e.n != g.n)
        return false;
    for (unsigned i = 0; i < e.n; i++)
        if (strcasecmp(e.comp[i], g.comp[i]))
            return false;
    return !e.has_realm || !g.has_realm || !strcasecmp(e.realm, g.realm);
}
