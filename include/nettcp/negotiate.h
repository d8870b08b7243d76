/* nettcp — .NET NegotiateStream (MS-NNS) over GSSAPI, sans-I/O.
 *
 * Three levels:
 *  - frame codecs: handshake messages (5-byte header, big-endian length),
 *    the HandshakeError code (8 bytes, either byte order) and data frames
 *    (4-byte little-endian length);
 *  - a provider table (acquire, init, accept, wrap, unwrap, get_mic,
 *    verify_mic, inquire): the real one is MIT GSSAPI (ntcp_gss_provider),
 *    a test double may stand in;
 *  - ntcp_nns: the initiator / acceptor state machine. It plugs into the
 *    framing layer's ntcp_stream_upgrade hook for "application/negotiate"
 *    (ntcp_nns_as_upgrade); after the handshake every framing byte travels
 *    inside NNS data frames.
 *
 * Failures are explained by ntcp_nns_error: status, step, GSS major/minor
 * with their text, the Kerberos error number, the target name tried, the
 * code the peer sent, advice and a stable cause id (ntcp_nns_cause).
 * Passwords, keys and tickets never appear in any text this layer produces.
 */
#ifndef NETTCP_NEGOTIATE_H
#define NETTCP_NEGOTIATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <nettcp/status.h>
#include <nettcp/util.h>
#include <nettcp/framing.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- MS-NNS 2.2.1 handshake messages ------------------------------------ */
#define NTCP_NNS_HANDSHAKE_DONE 0x14
#define NTCP_NNS_HANDSHAKE_ERROR 0x15
#define NTCP_NNS_HANDSHAKE_IN_PROGRESS 0x16
#define NTCP_NNS_HANDSHAKE_HEADER 5
#define NTCP_NNS_MAX_HANDSHAKE_PAYLOAD 0xFFFFu

/* ---- MS-NNS 2.2.2 data frames ------------------------------------------- */
#define NTCP_NNS_DATA_HEADER 4
#define NTCP_NNS_MAX_WRITE 0xFC00u       /* plaintext bytes per frame we send */
#define NTCP_NNS_MAX_READ_FRAME 65536u   /* largest payload we accept */
#define NTCP_NNS_MIN_FRAME_EXCLUSIVE 4u  /* a payload must be > 4 bytes */
#define NTCP_NNS_NTLM_SIGNATURE 16

/* ---- codes carried by HandshakeError (PROTOCOLS 2.3, 8) ------------------ */
#define NTCP_WIN_ERROR_TRUST_FAILURE 0x000006FEu /* 1790 */
#define NTCP_SEC_E_UNSUPPORTED_FUNCTION 0x80090302u
#define NTCP_SEC_E_TARGET_UNKNOWN 0x80090303u
#define NTCP_SEC_E_INTERNAL_ERROR 0x80090304u
#define NTCP_SEC_E_INVALID_TOKEN 0x80090308u
#define NTCP_SEC_E_LOGON_DENIED 0x8009030Cu
#define NTCP_SEC_E_UNKNOWN_CREDENTIALS 0x8009030Du
#define NTCP_SEC_E_NO_CREDENTIALS 0x8009030Eu
#define NTCP_SEC_E_MESSAGE_ALTERED 0x8009030Fu
#define NTCP_SEC_E_WRONG_PRINCIPAL 0x80090322u
#define NTCP_SEC_E_TIME_SKEW 0x80090324u
#define NTCP_SEC_E_CERT_EXPIRED 0x80090328u /* what .NET sends for expired credentials */

/* One decoded handshake message; payload points into the input. */
typedef struct ntcp_nns_handshake {
    uint8_t id;            /* 0x14, 0x15 or 0x16 */
    uint8_t major, minor;  /* ignored on receipt (MS-NNS 3.1.5.2) */
    const uint8_t *payload;
    size_t len;
} ntcp_nns_handshake;

/* Appends a handshake message; NTCP_E_NNS_TOKEN_TOO_LARGE above 0xFFFF,
 * NTCP_E_INVALID_ARG for an id other than 0x14/0x15/0x16. */
NTCP_MUST_CHECK ntcp_status ntcp_nns_put_handshake(ntcp_buf *out, uint8_t id, const uint8_t *payload, size_t len);
/* Appends a HandshakeError carrying `code` as 8 bytes, most significant first
 * (.NET Framework's order: 1790 -> 00 00 00 00 00 00 06 FE). */
NTCP_MUST_CHECK ntcp_status ntcp_nns_put_error(ntcp_buf *out, uint32_t code);
/* Decodes one handshake message at the start of data. NTCP_OK: *msg set and
 * *used = 5 + payload length. NTCP_AGAIN: incomplete. NTCP_E_NNS_MESSAGE_ID:
 * the first byte is not 0x14/0x15/0x16. NTCP_E_NNS_TOKEN_TOO_LARGE: the
 * payload length exceeds max_payload. */
NTCP_MUST_CHECK ntcp_status ntcp_nns_decode_handshake(const uint8_t *data, size_t len, size_t max_payload,
                                                      ntcp_nns_handshake *msg, size_t *used);
/* Reads the code from a HandshakeError payload in either byte order
 * (bytes 0-3 zero: big-endian; bytes 4-7 zero: little-endian; otherwise
 * big-endian, as .NET Framework reads it). False when shorter than 8 bytes.
 * *big_endian (may be NULL) tells which order was found. */
bool ntcp_nns_error_code(const uint8_t *payload, size_t len, uint32_t *code, bool *big_endian);

/* Appends a data frame header for a payload of `payload_len` bytes;
 * NTCP_E_NNS_FRAME_SIZE unless 4 < payload_len <= 65536. */
NTCP_MUST_CHECK ntcp_status ntcp_nns_put_data_header(ntcp_buf *out, size_t payload_len);
/* Decodes a data frame header. NTCP_OK: *payload_len set. NTCP_AGAIN: fewer
 * than 4 bytes. NTCP_E_NNS_FRAME_SIZE: length <= 4 or > max_frame. */
NTCP_MUST_CHECK ntcp_status ntcp_nns_decode_data_header(const uint8_t *data, size_t len, size_t max_frame,
                                                        size_t *payload_len);

/* gss-ntlmssp emits [sealed data][16-byte signature]; Windows NegotiateStream
 * puts the signature first (PROTOCOLS 2.5). Rotate in place: to_front moves
 * the last 16 bytes to the front, to_back the first 16 to the end.
 * NTCP_E_NNS_FRAME_SIZE when len < 16. */
NTCP_MUST_CHECK ntcp_status ntcp_nns_ntlm_signature_to_front(uint8_t *p, size_t len);
NTCP_MUST_CHECK ntcp_status ntcp_nns_ntlm_signature_to_back(uint8_t *p, size_t len);

/* ---- options ------------------------------------------------------------- */
/* WS_SECURITY_BINDING_PROPERTY_WINDOWS_INTEGRATED_AUTH_PACKAGE */
typedef enum ntcp_package {
    NTCP_PACKAGE_NEGOTIATE = 0, /* SPNEGO (default) */
    NTCP_PACKAGE_KERBEROS = 1,
    NTCP_PACKAGE_NTLM = 2
} ntcp_package;
const char *ntcp_package_name(ntcp_package p); /* "Negotiate", "Kerberos", "NTLM" */

/* ProtectionLevel */
typedef enum ntcp_protection {
    NTCP_PROTECTION_NONE = 0,
    NTCP_PROTECTION_SIGN = 1,
    NTCP_PROTECTION_ENCRYPT_AND_SIGN = 2 /* default */
} ntcp_protection;
const char *ntcp_protection_name(ntcp_protection p); /* "None", "Sign", "EncryptAndSign" */

/* WS_SECURITY_BINDING_PROPERTY_ALLOWED_IMPERSONATION_LEVEL */
typedef enum ntcp_impersonation {
    NTCP_IMPERSONATION_ANONYMOUS = 0,
    NTCP_IMPERSONATION_IDENTIFICATION = 1, /* default */
    NTCP_IMPERSONATION_IMPERSONATION = 2,
    NTCP_IMPERSONATION_DELEGATION = 3
} ntcp_impersonation;
const char *ntcp_impersonation_name(ntcp_impersonation l);

typedef struct ntcp_nns_limits {
    size_t max_token;      /* largest handshake payload accepted: 0xFFFF */
    unsigned max_legs;     /* handshake messages received before giving up: 16 */
    size_t max_frame;      /* largest data frame payload accepted: 65536 */
} ntcp_nns_limits;
#define NTCP_NNS_LIMITS_INIT { 0xFFFF, 16, 65536 }

typedef struct ntcp_nns_options {
    ntcp_package package;
    ntcp_protection protection;
    /* client */
    bool require_server_auth;              /* default true: mutual auth, so NTLM is refused */
    ntcp_impersonation allowed_impersonation; /* default Identification; Delegation asks to delegate */
    const char *identity;     /* "dns:NAME" | "spn:VALUE" | "upn:user@suffix" | NULL/"none" */
    const char *address_host; /* host of the endpoint address, used when identity is none */
    const char *user;         /* with password: credentials acquired in memory (no kinit) */
    const char *password;
    const char *client_keytab;/* client credentials from a keytab (user names the principal, optional) */
    const char *ccache;       /* credential cache; NULL = the default (KRB5CCNAME) */
    /* log on anonymously (GSS_C_ANON_FLAG; ignored when user is set): an
     * anonymous Kerberos ticket from anonymous PKINIT, never the default
     * ccache; fails with cause anonymous_unavailable when the realm offers none */
    bool anonymous;
    /* service */
    bool allow_anonymous_clients;          /* default false */
    /* NULL = KRB5_KTNAME / the default keytab. Without acceptor_name the
     * keytab is checked for keys and then registered process-wide
     * (krb5_gss_register_acceptor_identity) so SPNEGO, raw Kerberos and NTLM
     * (NTLM_USER_FILE) clients are all accepted. */
    const char *keytab;
    /* e.g. "host/svc.example.com": accept only that principal (Kerberos,
     * raw or through SPNEGO; NTLM clients are then refused). NULL = any key
     * in the keytab. */
    const char *acceptor_name;
    ntcp_nns_limits limits;
} ntcp_nns_options;
#define NTCP_NNS_OPTIONS_INIT                                                                      \
    { NTCP_PACKAGE_NEGOTIATE, NTCP_PROTECTION_ENCRYPT_AND_SIGN, true, NTCP_IMPERSONATION_IDENTIFICATION, \
      NULL, NULL, NULL, NULL, NULL, NULL, false, false, NULL, NULL, NTCP_NNS_LIMITS_INIT }

/* The target name the client passes to GSSAPI for an identity (PROTOCOLS 7):
 * dns:NAME -> host/NAME, spn:VALUE -> VALUE, upn:U -> U (a user principal),
 * none -> host/<address_host>. Writes at most cap bytes with the NUL; *is_upn
 * (may be NULL) tells whether it is a user principal. NTCP_E_INVALID_ARG for an
 * unknown prefix or a missing host, NTCP_E_LIMIT when it does not fit. */
NTCP_MUST_CHECK ntcp_status ntcp_nns_target_name(const char *identity, const char *address_host, char *out,
                                                 size_t cap, bool *is_upn);

/* Whether the name a service authenticated as (got, a Kerberos principal as
 * GSSAPI displays it: components split by '/', realm after an unescaped
 * '@', backslash escapes) is the expected target. Compared as principals: name
 * components case-insensitively, the realm (in either case) only when the
 * expected name has one. For a UPN (is_upn) the KDC may answer with the
 * enterprise form (user\@suffix@REALM) or the canonical one (user@REALM),
 * both accepted. */
bool ntcp_krb_name_matches(const char *expected, bool is_upn, const char *got);

/* ---- errors that explain -------------------------------------------------- */
typedef enum ntcp_nns_step {
    NTCP_NNS_STEP_NONE = 0,
    NTCP_NNS_STEP_OPTIONS,
    NTCP_NNS_STEP_ACQUIRE,
    NTCP_NNS_STEP_INIT,       /* with leg */
    NTCP_NNS_STEP_ACCEPT,     /* with leg */
    NTCP_NNS_STEP_REMOTE,     /* the peer sent HandshakeError */
    NTCP_NNS_STEP_HANDSHAKE,  /* handshake framing */
    NTCP_NNS_STEP_POLICY,     /* protection / server auth / anonymity checks */
    NTCP_NNS_STEP_IDENTITY,   /* identity check */
    NTCP_NNS_STEP_WRAP,
    NTCP_NNS_STEP_UNWRAP
} ntcp_nns_step;
const char *ntcp_nns_step_name(ntcp_nns_step s);

typedef struct ntcp_nns_error {
    ntcp_status status;
    ntcp_nns_step step;
    unsigned leg;             /* 1-based handshake leg for init/accept */
    uint32_t major, minor;    /* GSS status, 0 when none */
    long krb5_error;          /* minor - ERROR_TABLE_BASE_krb5 when minor is a krb5 error, else -1 */
    bool remote;              /* the peer reported the failure (HandshakeError) */
    uint32_t remote_code;     /* the code it sent */
    bool default_target;      /* the target came from the address (identity none or dns:) */
    bool anonymous;           /* the client logs on anonymously (asked for, or an anonymous ticket) */
    bool ntlm_forced;         /* a client asked for Kerberos or Negotiate, ProtectionLevel None forced NTLM */
    bool ntlm_fallback;       /* a Negotiate (SPNEGO) client settled on NTLM: Kerberos was not usable */
    char target[256];         /* target name tried ("" on the service) */
    char mech[16];            /* "Kerberos", "NTLM", "SPNEGO" or "" */
    char gss_text[384];       /* gss_display_status of major and minor */
    char detail[256];         /* what this layer saw */
} ntcp_nns_error;

/* The stable cause id of a failure: "default_spn_not_service", "spn_unknown",
 * "service_key_mismatch", "clock_skew", "ntlm_without_server_auth",
 * "bad_password", "unknown_user", "no_credentials", "credentials_expired",
 * "kdc_unreachable", "anonymous_refused", "anonymous_unavailable", "protection_not_granted",
 * "identity_mismatch", "message_altered", "protocol", "ntlm_fallback", "ntlm_forced",
 * "malformed_token", "identity_invalid", "password_expired", "account_disabled", or "unknown". */
const char *ntcp_nns_cause(const ntcp_nns_error *e);
/* Advice for a cause id. */
const char *ntcp_nns_cause_advice(const char *cause);
/* One paragraph: step, target, status text, GSS text, Kerberos error, peer
 * code, cause and advice. Written into out (always NUL-terminated). */
void ntcp_nns_error_format(const ntcp_nns_error *e, char *out, size_t cap);

/* ---- provider table -------------------------------------------------------- */
/* What a finished context reports. */
typedef struct ntcp_nns_info {
    ntcp_package package;      /* Kerberos or NTLM: the mechanism actually used */
    uint32_t flags;            /* GSS ret_flags */
    bool complete;
    char client[256];          /* client principal (display form) */
    char service[256];         /* service principal */
    size_t session_key_size;   /* bytes, 0 if not inquirable */
    int32_t enctype;           /* Kerberos enctype of the session key, 0 if unknown */
    bool anonymous;
    bool delegated;            /* acceptor: a delegated credential was received */
    const char *name_form;     /* initiator, UPN targets: "enterprise" or "principal" */
} ntcp_nns_info;

/* A one-shot description of a target for init. */
typedef struct ntcp_nns_target {
    const char *name;
    bool is_upn;
} ntcp_nns_target;

typedef struct ntcp_nns_provider {
    const char *name;
    /* Acquire credentials for `initiator` per options. */
    ntcp_status (*acquire)(void *self, const ntcp_nns_options *o, bool initiator, void **cred, ntcp_nns_error *err);
    /* One call of init_sec_context. *ctx starts NULL. The output token is
     * appended to out; *complete tells whether the local context is done. */
    ntcp_status (*init)(void *self, void *cred, void **ctx, const ntcp_nns_options *o, const ntcp_nns_target *t,
                        uint32_t req_flags, const uint8_t *in, size_t in_len, ntcp_buf *out, bool *complete,
                        ntcp_nns_error *err);
    ntcp_status (*accept)(void *self, void *cred, void **ctx, const uint8_t *in, size_t in_len, ntcp_buf *out,
                          bool *complete, ntcp_nns_error *err);
    /* wrap appends the wrap token; NTLM tokens in NegotiateStream order
     * (signature first) -- the provider rotates when its library differs
     * (older gss-ntlmssp releases put the signature last; the GSS provider
     * learns the layout once per context). */
    ntcp_status (*wrap)(void *self, void *ctx, bool conf, const uint8_t *in, size_t len, ntcp_buf *out,
                        ntcp_nns_error *err);
    /* unwrap reads `in` only (a provider whose library rearranges a token
     * works on its own copy); appends plaintext; *conf = sealed. */
    ntcp_status (*unwrap)(void *self, void *ctx, const uint8_t *in, size_t len, ntcp_buf *out, bool *conf,
                          ntcp_nns_error *err);
    ntcp_status (*get_mic)(void *self, void *ctx, const uint8_t *msg, size_t len, ntcp_buf *out, ntcp_nns_error *err);
    ntcp_status (*verify_mic)(void *self, void *ctx, const uint8_t *msg, size_t len, const uint8_t *mic,
                              size_t mic_len, ntcp_nns_error *err);
    ntcp_status (*inquire)(void *self, void *ctx, ntcp_nns_info *info, ntcp_nns_error *err);
    /* The acceptor's delegated credential (provider type, e.g. gss_cred_id_t), or NULL. */
    void *(*delegated_cred)(void *self, void *ctx);
    void (*free_ctx)(void *self, void *ctx);
    void (*free_cred)(void *self, void *cred);
    void *self;
    /* Optional: the acceptor's own name (display form) in a finished
     * context, or "" when it cannot be told. When it is set, an acceptor's
     * inquire leaves `service` empty and NegotiateStream asks this the first
     * time ntcp_nns_get_result is read: a service rarely needs its own name,
     * and through MIT's SPNEGO the lookup costs about 9% of the instructions
     * of a whole handshake (both sides). */
    void (*service_name)(void *self, void *ctx, char *out, size_t cap);
} ntcp_nns_provider;

/* MIT GSSAPI (krb5, SPNEGO, gss-ntlmssp). */
const ntcp_nns_provider *ntcp_gss_provider(void);

/* Length of the MIC token at the start of a Sign-only payload: NTLM 16;
 * Kerberos RFC 4121 (04 04) 16 + checksum size for the enctype; RFC 1964
 * (0x60 DER) from its length. 0 when it cannot be told. */
size_t ntcp_nns_mic_length(ntcp_package package, int32_t enctype, const uint8_t *p, size_t len);

/* ---- the state machine ----------------------------------------------------- */
typedef struct ntcp_nns ntcp_nns;

/* The authenticated result, valid once established. */
typedef struct ntcp_nns_result {
    ntcp_package package;          /* Kerberos or NTLM */
    ntcp_protection protection;    /* negotiated and in use */
    ntcp_impersonation impersonation;
    bool mutual;
    bool anonymous;
    bool delegated;                /* service: a delegated credential is available */
    uint32_t flags;                /* GSS ret_flags */
    char client[256];
    char service[256];             /* the name the service authenticated as (a service's own name is
                                      looked up the first time ntcp_nns_get_result is called) */
    char target[256];              /* client: the target name used */
    const char *name_form;         /* client, UPN targets: "enterprise" or "principal" */
    size_t session_key_size;
    int32_t enctype;
    unsigned legs;                 /* handshake messages exchanged */
} ntcp_nns_result;

NTCP_MUST_CHECK ntcp_status ntcp_nns_new_initiator(ntcp_nns **n, const ntcp_nns_options *o,
                                                   const ntcp_nns_provider *p);
NTCP_MUST_CHECK ntcp_status ntcp_nns_new_acceptor(ntcp_nns **n, const ntcp_nns_options *o,
                                                  const ntcp_nns_provider *p);
void ntcp_nns_free(ntcp_nns *n);

/* The ntcp_stream_upgrade contract (framing.h). On failure the call returns
 * the error status and `out` may hold a HandshakeError to write before the
 * connection is closed. */
NTCP_MUST_CHECK ntcp_status ntcp_nns_start(ntcp_nns *n, ntcp_buf *out);
NTCP_MUST_CHECK ntcp_status ntcp_nns_recv(ntcp_nns *n, const uint8_t *raw, size_t len, size_t *consumed,
                                          ntcp_buf *plain, ntcp_buf *out);
NTCP_MUST_CHECK ntcp_status ntcp_nns_send(ntcp_nns *n, const uint8_t *plain, size_t len, ntcp_buf *out);
/* The same as ntcp_nns_send of head | body (the same frames and bytes),
 * without the caller joining them: only the first frame's bytes are copied. */
NTCP_MUST_CHECK ntcp_status ntcp_nns_send_parts(ntcp_nns *n, const uint8_t *head, size_t head_len,
                                                const uint8_t *body, size_t body_len, ntcp_buf *out);
bool ntcp_nns_established(const ntcp_nns *n);
bool ntcp_nns_failed(const ntcp_nns *n);
const char *ntcp_nns_last_error(ntcp_nns *n);
const ntcp_nns_error *ntcp_nns_error_info(const ntcp_nns *n);
/* The result once established, NULL before. On a service, the first call
 * looks up the service's own name (`service`) through the provider and
 * stores it in n: like the calls that change n, do not make it from two
 * threads at once. */
const ntcp_nns_result *ntcp_nns_get_result(const ntcp_nns *n);
/* The same without that lookup: `service` stays empty on a service until
 * ntcp_nns_get_result has been called. For code that needs only the caller. */
const ntcp_nns_result *ntcp_nns_peek_result(const ntcp_nns *n);
/* Service: the delegated credential (a gss_cred_id_t with the GSS
 * provider), or NULL. It stays owned by n. */
void *ntcp_nns_delegated_credential(const ntcp_nns *n);

/* An observer of handshake messages, for traces and diagnostics: sent or
 * received, the message id (0x14, 0x15, 0x16) and the payload length.
 * Never the token itself. */
typedef void (*ntcp_nns_leg_cb)(void *ctx, bool sent, uint8_t id, size_t len);
void ntcp_nns_set_leg_cb(ntcp_nns *n, ntcp_nns_leg_cb cb, void *ctx);
void *ntcp_nns_leg_ctx(const ntcp_nns *n); /* the ctx given (to free it) */
/* Initiator: hook(ctx) runs at ntcp_nns_start, before anything else (for a
 * client, right after the service accepted the upgrade); a non-OK status
 * fails the handshake with it. Diagnostics use it to look at credentials
 * and tickets at that point. */
void ntcp_nns_set_start_hook(ntcp_nns *n, ntcp_status (*hook)(void *ctx), void *ctx);

/* Fills up with hooks that drive n ("application/negotiate"). */
void ntcp_nns_as_upgrade(ntcp_nns *n, ntcp_stream_upgrade *up);

/* A NegotiateStream upgrade that owns its state machine (GSSAPI provider):
 * what a service's upgrade factory returns for each new session, or what a
 * client hands its channel. Free with ntcp_nns_upgrade_free. */
NTCP_MUST_CHECK ntcp_status ntcp_nns_upgrade_new(const ntcp_stream_upgrade **up, bool initiator,
                                                 const ntcp_nns_options *o);
void ntcp_nns_upgrade_free(const ntcp_stream_upgrade *up);
/* The state machine behind such an upgrade (results, errors). */
ntcp_nns *ntcp_nns_upgrade_nns(const ntcp_stream_upgrade *up);

#ifdef __cplusplus
}
#endif
#endif
