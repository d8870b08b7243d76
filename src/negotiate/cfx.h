/* RFC 4121 (CFX) per-message tokens for Kerberos contexts whose key is
 * aes128/aes256-cts-hmac-sha1-96 (RFC 3961 key derivation, RFC 3962
 * encryption), done with OpenSSL's libcrypto instead of MIT's builtin
 * software crypto. Internal to src/negotiate: the GSS provider hands a
 * context over once it is established (key, acceptor subkey, sequence
 * numbers, replay/sequence flags from MIT's lucid export) and from then on
 * every wrap, unwrap, MIC and MIC check of that context goes through here,
 * so the sequence numbers stay in one place.
 *
 * Status words are GSS major codes (RFC 2744 values) so the provider reports
 * a failure exactly as it would for MIT: GSS_S_DEFECTIVE_TOKEN for a
 * malformed token, GSS_S_BAD_SIG for a failed integrity check (or a token
 * sent in the wrong direction), the supplementary sequence bits (duplicate,
 * old, unsequenced, gap) as MIT's g_seqstate computes them.
 *
 * Keys are held only here, zeroed on free, and never appear in any text. */
#ifndef NTCP_NEGOTIATE_CFX_H
#define NTCP_NEGOTIATE_CFX_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <nettcp/util.h>

#define NTCP_CFX_ENCTYPE_AES128_SHA1 17
#define NTCP_CFX_ENCTYPE_AES256_SHA1 18

/* GSS major codes used (same values as gssapi.h). */
#define NTCP_CFX_COMPLETE 0u
#define NTCP_CFX_BAD_SIG (6u << 16)
#define NTCP_CFX_DEFECTIVE_TOKEN (9u << 16)
#define NTCP_CFX_FAILURE (13u << 16)
#define NTCP_CFX_DUPLICATE_TOKEN (1u << 1)
#define NTCP_CFX_OLD_TOKEN (1u << 2)
#define NTCP_CFX_UNSEQ_TOKEN (1u << 3)
#define NTCP_CFX_GAP_TOKEN (1u << 4)
#define NTCP_CFX_ERROR(major) (((major) & 0xFFFF0000u) != 0)

typedef struct ntcp_cfx ntcp_cfx;

typedef struct ntcp_cfx_params {
    bool initiator;
    int32_t ctx_key_type;       /* enctype of the initiator subkey (or session key) */
    const uint8_t *ctx_key;
    size_t ctx_key_len;
    bool have_acceptor_subkey;
    int32_t acceptor_subkey_type;
    const uint8_t *acceptor_subkey;
    size_t acceptor_subkey_len;
    uint64_t send_seq, recv_seq;
    bool do_replay, do_sequence; /* GSS_C_REPLAY_FLAG / GSS_C_SEQUENCE_FLAG of the context */
} ntcp_cfx_params;

/* True for the enctypes handled here (17, 18). */
bool ntcp_cfx_enctype_supported(int32_t enctype);

/* NTCP_E_INVALID_ARG when an enctype or key length is not handled (the
 * caller keeps using GSS), NTCP_E_NOMEM, or NTCP_E_INTERNAL_ERROR-like
 * failures of libcrypto as NTCP_E_INVALID_ARG as well. */
NTCP_MUST_CHECK ntcp_status ntcp_cfx_new(ntcp_cfx **out, const ntcp_cfx_params *p);
void ntcp_cfx_free(ntcp_cfx *c);

/* Appends a Wrap token (05 04) for data: sealed when conf, else with a
 * plaintext checksum. rrc: the right rotation count to apply (MIT and this
 * library send 0; tests use 28, what Windows sends). */
NTCP_MUST_CHECK ntcp_status ntcp_cfx_wrap(ntcp_cfx *c, bool conf, const uint8_t *in, size_t len, uint16_t rrc,
                                          ntcp_buf *out);
/* A sealed Wrap token with EC filler bytes before the encrypted header
 * (RFC 4121 allows any EC; MIT and Windows send 0): for tests. */
NTCP_MUST_CHECK ntcp_status ntcp_cfx_wrap_ec(ntcp_cfx *c, const uint8_t *in, size_t len, uint16_t ec, uint16_t rrc,
                                             ntcp_buf *out);
/* The enctype of the key this context sends with (17 or 18). */
int32_t ntcp_cfx_enctype(const ntcp_cfx *c);
/* Unwraps a Wrap token of any EC and RRC; modifies tok only to un-rotate
 * it, when its RRC is not 0 (the GSS provider relies on that to read RRC-0
 * tokens where they lie).
 * Appends the data to out only when the token verifies. Returns a GSS
 * major status; *out_status is set when out could not take the data. */
uint32_t ntcp_cfx_unwrap(ntcp_cfx *c, uint8_t *tok, size_t len, ntcp_buf *out, bool *conf, ntcp_status *out_status);
/* Appends a MIC token (04 04). */
NTCP_MUST_CHECK ntcp_status ntcp_cfx_get_mic(ntcp_cfx *c, const uint8_t *msg, size_t len, ntcp_buf *out);
uint32_t ntcp_cfx_verify_mic(ntcp_cfx *c, const uint8_t *msg, size_t len, const uint8_t *mic, size_t mic_len);

/* An established MIT Kerberos context (gss_ctx_id_t, krb5 or SPNEGO over
 * krb5) as a fast-path context, from its lucid form (the GSS context stays
 * valid, but its per-message state must not be used any more once the fast
 * path is). ctx_flags: the context's GSS flags (replay, sequence).
 * NTCP_E_UNSUPPORTED for anything not handled here (RFC 1964 contexts, other
 * enctypes, NTLM): the caller keeps GSS. */
NTCP_MUST_CHECK ntcp_status ntcp_cfx_from_gss(void *gss_ctx, uint32_t ctx_flags, ntcp_cfx **out);

/* ---- primitives (exposed for known-answer tests) ---------------------------- */
/* RFC 3961 n-fold of in to out_len bytes. */
void ntcp_cfx_nfold(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len);
/* RFC 3962 AES-CBC with ciphertext stealing (CBC-CS3), IV zero, len >= 16.
 * out may not overlap in. false on a libcrypto failure or a bad length. */
bool ntcp_cfx_cts_encrypt(const uint8_t *key, size_t key_len, const uint8_t *in, size_t len, uint8_t *out);
bool ntcp_cfx_cts_decrypt(const uint8_t *key, size_t key_len, const uint8_t *in, size_t len, uint8_t *out);
/* RFC 3961 DK(base, constant) for the AES enctypes: key_len bytes into out. */
bool ntcp_cfx_derive_key(const uint8_t *base, size_t key_len, const uint8_t *constant, size_t constant_len,
                         uint8_t *out);
#endif
