/* nettcp — .NET NegotiateStream (MS-NNS) over GSSAPI, sans-I/O.
 *
 * Three levels:
 *  - frame codecs (private: src/negotiate/frames.h): handshake messages,
 *    HandshakeError codes, data frames, the NTLM signature rotation;
 *  - a provider table (acquire, init, accept, wrap, unwrap, get_mic,
 *    verify_mic, inquire): the real one is MIT GSSAPI (ntcp_gss_provider),
 *    a test double may stand in;
 *  - ntcp_nns: the initiator / acceptor state machine. It plugs into the
 *    framing layer's stream interface for "application/negotiate"
 *    (ntcp_nns_as_stream, ntcp_nns_stream_new); after the handshake every framing byte travels
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
#include <nettcp/error.h>
#include <nettcp/util.h>
#include <nettcp/framing.h>

#ifdef __cplusplus
extern "C" {
#endif

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
/* max_token 0xFFFF, max_legs 16, max_frame 65536. */
void ntcp_nns_limits_init(ntcp_nns_limits *l);

/* An observer of handshake messages, for traces and diagnostics: sent or
 * received, the message id (0x14, 0x15, 0x16) and the payload length.
 * Never the token itself. */
typedef void (*ntcp_nns_leg_cb)(void *ctx, bool sent, uint8_t id, size_t len);
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
    /* observer of handshake messages (may be NULL) */
    ntcp_nns_leg_cb leg_cb;
    void *leg_ctx;
} ntcp_nns_options;
/* Negotiate, EncryptAndSign, server authentication required,
 * Identification, everything else unset, the default limits. */
void ntcp_nns_options_init(ntcp_nns_options *o);

/* The target name the client passes to GSSAPI for an identity (PROTOCOLS 7):
 * dns:NAME -> host/NAME, spn:VALUE -> VALUE, upn:U -> U (a user principal),
 * none -> host/<address_host>. Writes at most cap bytes with the NUL; *is_upn
 * (may be NULL) tells whether it is a user principal. NTCP_E_INVALID_ARG for an
 * unknown prefix or a missing host, NTCP_E_LIMIT when it does not fit. */
NTCP_MUST_CHECK ntcp_status ntcp_nns_target_name(const char *identity, const char *address_host, char *out,
                                                 size_t cap, bool *is_upn);

/* ---- errors that explain -------------------------------------------------- */
/* ntcp_nns_error and ntcp_nns_step are in error.h: the NegotiateStream part
 * of ntcp_error. */

/* The cause of a failure: default_spn_not_service, spn_unknown,
 * service_key_mismatch, clock_skew, ntlm_without_server_auth, bad_password,
 * unknown_user, no_credentials, credentials_expired, kdc_unreachable,
 * anonymous_refused, anonymous_unavailable, protection_not_granted,
 * package_mismatch, identity_mismatch, message_altered, ntlm_fallback,
 * ntlm_forced, malformed_token, identity_invalid, password_expired,
 * account_disabled, protocol, or unknown. */
ntcp_cause ntcp_nns_cause(const ntcp_nns_error *e);
/* One paragraph: step, target, status text, GSS text, Kerberos error and the
 * peer's code; not the cause (ntcp_nns_cause) nor its advice. Written into
 * out (always NUL-terminated). */
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

/* The ntcp_stream contract (framing.h). On failure the call returns
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

void ntcp_nns_set_leg_cb(ntcp_nns *n, ntcp_nns_leg_cb cb, void *ctx);
/* Initiator: hook(ctx) runs at ntcp_nns_start, before anything else (for a
 * client, right after the service accepted the upgrade); a non-OK status
 * fails the handshake with it. Diagnostics use it to look at credentials
 * and tickets at that point. */
void ntcp_nns_set_start_hook(ntcp_nns *n, ntcp_status (*hook)(void *ctx), void *ctx);

/* Fills s with the stream interface (framing.h) driving n, as
 * "application/negotiate"; n stays the caller's (s->destroy is NULL). */
void ntcp_nns_as_stream(ntcp_nns *n, ntcp_stream *s);
/* A NegotiateStream that owns its state machine (GSSAPI provider): what a
 * service's stream factory returns for each new session, or what a client
 * hands its channel. Free with ntcp_stream_free. Its result, delegated
 * credential and error come through ntcp_stream_query. */
NTCP_MUST_CHECK ntcp_status ntcp_nns_stream_new(ntcp_stream **s, bool initiator, const ntcp_nns_options *o);
/* The error of a failed negotiation as an ntcp_error (status NTCP_OK when
 * ne is NULL or did not fail). */
void ntcp_nns_error_explain(const ntcp_nns_error *ne, ntcp_error *e);

#ifdef __cplusplus
}
#endif
#endif
