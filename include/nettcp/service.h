/* nettcp — a net.tcp service: the service host engine (server.h) with
 * NegotiateStream transport security, SOAP dispatch by Action, WCF's
 * dispatcher faults, and the caller's identity for every handler.
 * Defaults = NetTcpBinding's: Transport security, Windows credentials,
 * EncryptAndSign, binary session encoding, duplex sessions. */
#ifndef NETTCP_SERVICE_H
#define NETTCP_SERVICE_H

#include <nettcp/negotiate.h>
#include <nettcp/server.h>
#include <nettcp/soap.h>
#include <nettcp/tls.h>
#include <nettcp/trace.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ntcp_security_mode {
    NTCP_SECURITY_NONE = 0,
    NTCP_SECURITY_TRANSPORT = 1 /* Windows credentials through NegotiateStream */
} ntcp_security_mode;

/* Who called: filled from the NegotiateStream result (empty with None). */
typedef struct ntcp_caller {
    const char *principal;      /* e.g. "alice@EXAMPLE.COM", "DOMAIN\\user"; "" when unauthenticated */
    const char *package;        /* "Kerberos", "NTLM" or "" */
    const char *protection;     /* "None", "Sign", "EncryptAndSign" */
    const char *impersonation;  /* "Identification", "Impersonation", "Delegation" */
    bool anonymous;
    void *delegated_credential; /* a gss_cred_id_t when the client delegated, else NULL */
    const char *peer;           /* "address:port" */
    const char *via;
    /* TLS with a client certificate (credential certificate): as WCF shows
     * the X509 identity; "" otherwise */
    const char *cert_subject;
    const char *cert_issuer;
    const char *cert_thumbprint;  /* SHA-1, upper-case hex */
} ntcp_caller;

/* What a handler answers: reply body as text XML, or a fault. */
typedef struct ntcp_reply {
    ntcp_buf body;
    bool is_fault;
    ntcp_soap_fault fault;
    char fault_text[512];
} ntcp_reply;

/* Returns NTCP_OK with the reply filled. Any other status becomes WCF's
 * InternalServiceFault (with no detail: the reason does not leak). */
typedef ntcp_status (*ntcp_operation_fn)(void *ctx, const ntcp_soap_msg *request, const ntcp_caller *caller,
                                         ntcp_reply *reply);

typedef struct ntcp_service_options {
    ntcp_security_mode security;      /* Transport */
    ntcp_nns_options nns;             /* package, protection, keytab, allow_anonymous_clients, ... */
    /* Transport's clientCredentialType: windows (NegotiateStream, nns) or
     * certificate / none (TLS with the service certificate in tls) */
    ntcp_credential_type credential;
    ntcp_tls_options tls;             /* cert_file, key_file, ca_file (client CAs), validation, versions */
    ntcp_server_config server;        /* limits, timeouts, session limit (callbacks are the service's) */
    ntcp_xml_limits xml;              /* reader quotas */
    /* Diagnostics, one line per event (refused connections, failed
     * handshakes with their cause, faults sent). NULL: quiet. */
    void (*log)(void *ctx, const char *line);
    void *log_ctx;
    ntcp_trace *trace;                /* call trace (JSON lines); NULL: none */
} ntcp_service_options;

/* Fills the defaults. */
void ntcp_service_options_init(ntcp_service_options *o);

typedef struct ntcp_service ntcp_service;

NTCP_MUST_CHECK ntcp_status ntcp_service_new(ntcp_service **s, const ntcp_service_options *o);
void ntcp_service_free(ntcp_service *s);
/* reply_action NULL = action + "Response". */
NTCP_MUST_CHECK ntcp_status ntcp_service_add_operation(ntcp_service *s, const char *action, const char *reply_action,
                                                       ntcp_operation_fn fn, void *ctx);
/* Listens on a net.tcp URL; its path is the endpoint (others get EndpointNotFound). */
NTCP_MUST_CHECK ntcp_status ntcp_service_listen(ntcp_service *s, const char *url, int *bound_port);
NTCP_MUST_CHECK ntcp_status ntcp_service_run(ntcp_service *s);
/* Replaces the NegotiateStream options (keytab, package, protection,
 * anonymous callers, ...) for the connections accepted from now on; open
 * sessions keep the options they started with. Safe from another thread
 * while ntcp_service_run serves. The strings nns points to must stay valid
 * while any session that started with them is open (simplest: until
 * ntcp_service_free). A keytab file that changes is read afresh by the next
 * connection anyway; this is for a different keytab or other options. */
NTCP_MUST_CHECK ntcp_status ntcp_service_set_nns(ntcp_service *s, const ntcp_nns_options *nns);
void ntcp_service_stop(ntcp_service *s);

#ifdef __cplusplus
}
#endif
#endif
