/* nettcp — TLS transport security: the MC-NMF "application/ssl-tls"
 * upgrade (WCF's SslStreamSecurityUpgradeProvider), both roles, OpenSSL 3.
 *
 * Sans-I/O: ciphertext in, plaintext and bytes to send out (OpenSSL reads
 * and writes the caller's buffers through a BIO of this library's); it
 * plugs into the framing session as a stream upgrade
 * (ntcp_stream) exactly as NegotiateStream does. After
 * UpgradeResponse the TLS records run directly on the connection, and
 * PreambleEnd, PreambleAck and everything after travel inside TLS.
 *
 * Certificate validation runs inside the handshake (so a refused peer gets
 * a TLS alert, as from SslStream): the chain against the trust anchors,
 * optional revocation (CRLs, OCSP), then (client) the endpoint identity. Each
 * failure is named by a cause id (ntcp_tls_cause_id) that
 * docs/troubleshooting.md lists with its fix. */
#ifndef NETTCP_TLS_H
#define NETTCP_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <nettcp/error.h>
#include <nettcp/framing.h>
#include <nettcp/status.h>
#include <nettcp/util.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NTCP_UPGRADE_TLS "application/ssl-tls"

/* WCF's clientCredentialType for Transport security on NetTcpBinding. */
typedef enum ntcp_credential_type {
    NTCP_CREDENTIAL_WINDOWS = 0,     /* NegotiateStream (application/negotiate) */
    NTCP_CREDENTIAL_CERTIFICATE = 1, /* TLS, the client presents a certificate */
    NTCP_CREDENTIAL_NONE = 2         /* TLS, server certificate only */
} ntcp_credential_type;
const char *ntcp_credential_name(ntcp_credential_type c); /* "windows", "certificate", "none" */

/* X509CertificateValidationMode: ChainTrust (WCF's default), PeerTrust
 * (the peer's certificate itself must be one of the trusted ones), None. */
typedef enum ntcp_tls_validation {
    NTCP_TLS_VALIDATION_CHAIN = 0,
    NTCP_TLS_VALIDATION_PEER = 1,
    NTCP_TLS_VALIDATION_NONE = 2
} ntcp_tls_validation;

/* X509RevocationMode. WCF's default is Online; ours is NoCheck, since a
 * CRL distribution point is rarely reachable from where tests run (see
 * docs/cli.md). Online: the leaf's CRL distribution points are fetched
 * through the fetch callback, and when they give no CRL its OCSP responder
 * is asked (a GET request, through the same callback); Offline: only the
 * CRLs in the trust file. */
typedef enum ntcp_tls_revocation {
    NTCP_TLS_REVOCATION_NOCHECK = 0,
    NTCP_TLS_REVOCATION_ONLINE = 1,
    NTCP_TLS_REVOCATION_OFFLINE = 2
} ntcp_tls_revocation;

/* The failure causes of this layer ("" = none). */
typedef enum ntcp_tls_cause {
    NTCP_TLS_CAUSE_NONE = 0,
    NTCP_TLS_CAUSE_CERT_EXPIRED,
    NTCP_TLS_CAUSE_CERT_NOT_YET_VALID,
    NTCP_TLS_CAUSE_CERT_UNTRUSTED,
    NTCP_TLS_CAUSE_CERT_NAME_MISMATCH,
    NTCP_TLS_CAUSE_CERT_REVOKED,
    NTCP_TLS_CAUSE_REVOCATION_UNKNOWN,
    NTCP_TLS_CAUSE_CLIENT_CERT_REQUIRED,
    NTCP_TLS_CAUSE_CLIENT_CERT_REJECTED,
    NTCP_TLS_CAUSE_TLS_PROTOCOL_MISMATCH,
    NTCP_TLS_CAUSE_TLS_CREDENTIALS,  /* our own certificate or key could not be loaded */
    NTCP_TLS_CAUSE_TLS_HANDSHAKE,    /* any other TLS failure */
    NTCP_TLS_CAUSE_COUNT
} ntcp_tls_cause;
const char *ntcp_tls_cause_id(ntcp_tls_cause c);
/* Advice for a cause id of this layer, or NULL when it is not one. */
const char *ntcp_tls_cause_advice(const char *id);

typedef struct ntcp_tls_options {
    /* our certificate and key: PEM files (the certificate file may carry
     * the chain), or one PKCS#12 file as cert_file (key_file NULL). The
     * service always needs one; the client with credential certificate. */
    const char *cert_file;
    const char *key_file;
    const char *pkcs12_password; /* NULL: empty */
    /* trust anchors (PEM certificates, and CRLs for offline revocation):
     * the client's for the service's certificate (--ca), the service's for
     * client certificates (--client-ca). NULL: the system's default store. */
    const char *ca_file;
    ntcp_credential_type credential; /* certificate: the service requires a client certificate */
    ntcp_tls_validation validation;  /* chain */
    ntcp_tls_revocation revocation;  /* nocheck */
    int min_version;                 /* 0x0303 (TLS 1.2); 0x0304 = TLS 1.3 only */
    int max_version;                 /* 0: the highest OpenSSL has (1.3) */
    /* client: the expected identity, "dns:NAME", "cert:BASE64" (the DER
     * certificate), "thumbprint:HEX" (SHA-1), "rsa:BASE64" (the DER
     * SubjectPublicKeyInfo, or an RSA public key); NULL: dns:<host> */
    const char *identity;
    const char *host;                /* client: the address's host (the default dns identity) */
    /* online revocation: fetch url into out (at most out->max bytes); the
     * channel supplies an HTTP GET. NULL: CRLs cannot be fetched. */
    ntcp_status (*fetch)(void *ctx, const char *url, ntcp_buf *out);
    void *fetch_ctx;
} ntcp_tls_options;
#define NTCP_TLS_OPTIONS_INIT \
    { NULL, NULL, NULL, NULL, NTCP_CREDENTIAL_NONE, NTCP_TLS_VALIDATION_CHAIN, NTCP_TLS_REVOCATION_NOCHECK, \
      0x0303, 0, NULL, NULL, NULL, NULL }

/* One certificate of the chain the peer sent (for doctor and logs). */
typedef struct ntcp_tls_cert_info {
    char subject[256];
    char issuer[256];
    char not_before[32], not_after[32]; /* "2026-12-05 12:00:00 UTC" */
    char sans[256];                      /* "DNS:a, DNS:b" or "" */
    char thumbprint[41];                 /* SHA-1, upper-case hex as Windows shows it */
    char key[64];                        /* "RSA 2048", "EC prime256v1", ... */
} ntcp_tls_cert_info;

#define NTCP_TLS_MAX_CHAIN 8

/* What the handshake established and what went wrong. */
typedef struct ntcp_tls_result {
    char version[16];                 /* "TLSv1.3" */
    char cipher[64];
    bool peer_cert;                   /* the peer presented a certificate */
    ntcp_tls_cert_info chain[NTCP_TLS_MAX_CHAIN]; /* the peer's chain as received, leaf first */
    size_t chain_len;
} ntcp_tls_result;

typedef struct ntcp_tls_error {
    ntcp_status status;      /* NTCP_OK: no failure */
    ntcp_tls_cause cause;
    char check[32];          /* the check that failed: "chain", "revocation", "identity", "client certificate",
                                "protocol", "credentials", "handshake" */
    char detail[768];        /* what was seen (names, issuer, OpenSSL's reason) */
    int alert_received;      /* the TLS alert the peer sent, -1 when none */
} ntcp_tls_error;

typedef struct ntcp_tls ntcp_tls;

/* A TLS endpoint. Loads the credentials and trust anchors; a failure there
 * returns an error with cause tls_credentials and *out set (read the error,
 * then free). */
NTCP_MUST_CHECK ntcp_status ntcp_tls_new(ntcp_tls **out, bool server, const ntcp_tls_options *o);
void ntcp_tls_free(ntcp_tls *t);

/* The stream-upgrade functions (sans-I/O; see ntcp_stream). */
NTCP_MUST_CHECK ntcp_status ntcp_tls_start(ntcp_tls *t, ntcp_buf *out);
NTCP_MUST_CHECK ntcp_status ntcp_tls_recv(ntcp_tls *t, const uint8_t *raw, size_t len, size_t *consumed,
                                          ntcp_buf *plain, ntcp_buf *out);
NTCP_MUST_CHECK ntcp_status ntcp_tls_send(ntcp_tls *t, const uint8_t *plain, size_t len, ntcp_buf *out);
/* head then body, as one stream, without joining them first (large envelopes) */
NTCP_MUST_CHECK ntcp_status ntcp_tls_send_parts(ntcp_tls *t, const uint8_t *head, size_t head_len,
                                                const uint8_t *body, size_t body_len, ntcp_buf *out);
bool ntcp_tls_established(const ntcp_tls *t);
/* The failure (status NTCP_OK when none) and its text. */
const ntcp_tls_error *ntcp_tls_error_info(const ntcp_tls *t);
const char *ntcp_tls_last_error(ntcp_tls *t);
/* The handshake's result; chain filled once the peer's certificate arrived. */
const ntcp_tls_result *ntcp_tls_get_result(const ntcp_tls *t);
/* The peer's certificate as the service shows the caller: subject, issuer,
 * SHA-1 thumbprint; "" when there was none. */
const char *ntcp_tls_peer_subject(const ntcp_tls *t);
const char *ntcp_tls_peer_issuer(const ntcp_tls *t);
const char *ntcp_tls_peer_thumbprint(const ntcp_tls *t);

/* Fills s with this endpoint's stream interface (name "application/ssl-tls";
 * query: the error as an ntcp_error with its cause, the security as kind
 * "tls"); the TLS layer is the second implementation beside NegotiateStream. */
void ntcp_tls_as_stream(ntcp_tls *t, ntcp_stream *s);
/* A stream owning its ntcp_tls (for servers: one per session); free with
 * ntcp_stream_free. */
NTCP_MUST_CHECK ntcp_status ntcp_tls_stream_new(ntcp_stream **out, bool server, const ntcp_tls_options *o);
ntcp_tls *ntcp_tls_stream_tls(const ntcp_stream *s); /* NULL for another kind of stream */
/* The error table's cause for a TLS cause. */
ntcp_cause ntcp_tls_cause_of(ntcp_tls_cause c);

/* "TEXT; cause: ID" style one-line explanation of e. */
void ntcp_tls_error_format(const ntcp_tls_error *e, char *out, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
