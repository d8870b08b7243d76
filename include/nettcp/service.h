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

/* How the calls of one session are dispatched (WCF's ConcurrencyMode).
 * Single: one at a time, in the order they came (the next one starts when
 * the handler before it returned; a deferred call does not hold it back).
 * Multiple: as they come, overlapping on the worker threads. Either way
 * different sessions run in parallel and replies leave in request order. */
typedef enum ntcp_concurrency {
    NTCP_CONCURRENCY_SINGLE = 0,
    NTCP_CONCURRENCY_MULTIPLE = 1
} ntcp_concurrency;

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

/* One received request and the reply being built (see docs/api.md). The
 * request (caller, body, headers and their readers) is readable until the
 * handler returns; the reply may be finished later (ntcp_call_defer). */
typedef struct ntcp_call ntcp_call;

/* A handler. Returns NTCP_OK with the reply written (an empty body when
 * nothing was written), a fault set, or the call deferred. Any other status
 * becomes WCF's InternalServiceFault (with no detail: the reason does not
 * leak). */
typedef ntcp_status (*ntcp_operation_fn)(void *ctx, ntcp_call *call);

const ntcp_caller *ntcp_call_caller(const ntcp_call *call);
const char *ntcp_call_action(const ntcp_call *call);
/* NULL for a one-way message (nothing is sent back). */
const char *ntcp_call_message_id(const ntcp_call *call);
/* A reader on the received binary message, in place, positioned before the
 * first child of <s:Body>: ntcp_xml_reader_next returns the body's elements
 * (the first at depth 1), then EOF. Each call starts it over. Prefixes are
 * as received; ntcp_call_namespace resolves the ones declared outside the
 * body. NULL after the handler returned. */
ntcp_xml_reader *ntcp_call_body(ntcp_call *call);
/* The namespace a prefix ("" the default namespace) has where the body's
 * content starts: declared on <s:Envelope> or <s:Body>. NULL when it is not
 * declared there (or after the handler returned); valid until then. */
const char *ntcp_call_namespace(ntcp_call *call, const char *prefix);
/* The body as text XML (each top element declares the namespaces it uses);
 * valid until the handler returns. */
NTCP_MUST_CHECK ntcp_status ntcp_call_body_text(ntcp_call *call, const char **xml, size_t *len);

/* The header blocks of the request, in order (WS-Addressing ones too). */
size_t ntcp_call_header_count(const ntcp_call *call);
/* Header i: its namespace and local name (valid until the handler returns),
 * and (reader may be NULL) a reader positioned before the header element
 * (the element is at depth 1). */
NTCP_MUST_CHECK ntcp_status ntcp_call_header(ntcp_call *call, size_t i, const char **ns, const char **name,
                                             ntcp_xml_reader **reader);
/* Index of the first header {ns}name, or -1. */
long ntcp_call_header_find(const ntcp_call *call, const char *ns, const char *name);

/* The reply body as binary XML: a writer positioned inside <s:Body>. */
ntcp_xml_writer *ntcp_call_reply_writer(ntcp_call *call);
/* Appends text XML content to the reply body (it declares its namespaces). */
NTCP_MUST_CHECK ntcp_status ntcp_call_reply_text(ntcp_call *call, const char *xml, size_t len);
/* Adds a header element (text XML, declaring its namespaces) to the reply. */
NTCP_MUST_CHECK ntcp_status ntcp_call_reply_header(ntcp_call *call, const char *xml);
/* The reply's Action (default: the operation's reply action; for a fault
 * http://www.w3.org/2005/08/addressing/soap/fault). */
NTCP_MUST_CHECK ntcp_status ntcp_call_reply_action(ntcp_call *call, const char *action);
/* Answers with a SOAP fault instead of the body: code "Sender" or
 * "Receiver" (SOAP 1.2), subcodes (NULL-terminated "{ns}local" list,
 * outermost first, or NULL), the reason (xml:lang en-US) and the Detail's
 * content as text XML (NULL: no Detail) — as WCF's FaultException<T> does. */
NTCP_MUST_CHECK ntcp_status ntcp_call_fault(ntcp_call *call, const char *code, const char *const *subcodes,
                                            const char *reason, const char *detail_xml);
/* Finish this call later: the handler returns NTCP_OK right after, and
 * ntcp_call_complete (from any thread, even before the handler returned)
 * sends the reply built so far. Replies of a session go out in the order
 * the requests came. A handler that deferred returns NTCP_OK; returning
 * an error instead cancels the deferral (InternalServiceFault at once), so
 * it may do that only while nothing else can complete the call. */
void ntcp_call_defer(ntcp_call *call);
/* st NTCP_OK: send the reply; otherwise InternalServiceFault. The call is
 * freed: do not use it after. Safe from any thread; if the session ended
 * meanwhile the reply is dropped. */
void ntcp_call_complete(ntcp_call *call, ntcp_status st);

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
    size_t max_reply_size;            /* bytes of one reply envelope (64 MiB); larger: InternalServiceFault */
    /* Threads that run the operations, so the event loops never wait on a
     * handler (default: one per CPU). 0: handlers run on the event loop's
     * thread, which waits for each one (for handlers that never block). A
     * handler that blocks holds its thread: give slow ones more workers, or
     * defer them. The event loops are server.loops (default one per CPU). */
    unsigned workers;
    ntcp_concurrency concurrency;     /* the endpoints' default: single */
    /* With workers: a handler first runs on the event loop that read its
     * request, right after the loop's batch of reads, with no hand-off to
     * another thread. One still running after inline_us microseconds
     * (default 1000) has its loop handed to a new thread, so the loop's
     * other sessions wait at most about twice that; the handler's thread
     * leaves once it returns. At most `workers` threads are held that way;
     * past that, calls go to the workers. 0: every call goes to a worker. */
    unsigned inline_us;
} ntcp_service_options;

/* Fills the defaults. */
void ntcp_service_options_init(ntcp_service_options *o);

typedef struct ntcp_service ntcp_service;

NTCP_MUST_CHECK ntcp_status ntcp_service_new(ntcp_service **s, const ntcp_service_options *o);
void ntcp_service_free(ntcp_service *s);
/* Adds an operation to the service's first endpoint (created by the first
 * ntcp_service_listen; before it, to the endpoint that call will make).
 * reply_action NULL = action + "Response". The same action twice:
 * NTCP_E_INVALID_ARG. The action "" takes every action no other operation
 * of the endpoint has (a default handler; set the reply's action). */
NTCP_MUST_CHECK ntcp_status ntcp_service_add_operation(ntcp_service *s, const char *action, const char *reply_action,
                                                       ntcp_operation_fn fn, void *ctx);
/* Declares a header the service (action NULL) or one operation
 * understands: a request carrying {ns}name with s:mustUnderstand="1" is
 * dispatched; any other such header gets WCF's MustUnderstand fault naming
 * it, and the operation does not run. */
NTCP_MUST_CHECK ntcp_status ntcp_service_understand_header(ntcp_service *s, const char *action, const char *ns,
                                                           const char *name);
/* Listens on a net.tcp URL; its path is the endpoint (others get
 * EndpointNotFound). May be called again for further endpoints: see
 * ntcp_service_add_endpoint. With transport security and a package that can
 * be Kerberos, the keytab must be readable and hold a key: otherwise it
 * refuses with NTCP_E_NO_CREDENTIALS (cause keytab_missing or keytab_empty,
 * in ntcp_service_error). */
NTCP_MUST_CHECK ntcp_status ntcp_service_listen(ntcp_service *s, const char *url, int *bound_port);
/* Why the latest ntcp_service_listen, ntcp_service_add_endpoint or
 * ntcp_service_set_nns failed (status NTCP_OK when it did not). */
const ntcp_error *ntcp_service_error(const ntcp_service *s);

/* Several endpoints, one host: each URL path has its own operations,
 * understood headers and security (o NULL: the service's). Endpoints on
 * the same host:port share one listener. The first endpoint is the one
 * ntcp_service_add_operation and ntcp_service_understand_header address.
 * The keytab is checked as ntcp_service_listen checks it. */
typedef struct ntcp_endpoint ntcp_endpoint;
typedef struct ntcp_endpoint_options {
    ntcp_security_mode security;
    ntcp_nns_options nns;
    ntcp_credential_type credential; /* Transport: windows (NegotiateStream) or certificate / none (TLS) */
    ntcp_tls_options tls;
    ntcp_concurrency concurrency;    /* single (default) or multiple */
} ntcp_endpoint_options;
/* Fills from the service's options. */
void ntcp_endpoint_options_init(ntcp_endpoint_options *o, const ntcp_service *s);
NTCP_MUST_CHECK ntcp_status ntcp_service_add_endpoint(ntcp_service *s, const char *url, const ntcp_endpoint_options *o,
                                                      ntcp_endpoint **ep, int *bound_port);
NTCP_MUST_CHECK ntcp_status ntcp_endpoint_add_operation(ntcp_endpoint *ep, const char *action,
                                                        const char *reply_action, ntcp_operation_fn fn, void *ctx);
NTCP_MUST_CHECK ntcp_status ntcp_endpoint_understand_header(ntcp_endpoint *ep, const char *action, const char *ns,
                                                            const char *name);
/* Serves until ntcp_service_stop: on run()'s thread and server.loops - 1
 * more, with the operations on the worker threads. A stop ends every
 * session once its running operations replied, or at the close timeout:
 * then the sessions are aborted and the replies of operations still running
 * are dropped when they return. ntcp_service_free waits for running
 * handlers to return (a thread cannot be stopped from outside). */
NTCP_MUST_CHECK ntcp_status ntcp_service_run(ntcp_service *s);
/* Replaces the NegotiateStream options (keytab, package, protection,
 * anonymous callers, ...) for the connections accepted from now on; open
 * sessions keep the options they started with. Safe from another thread
 * while ntcp_service_run serves. The strings nns points to must stay valid
 * while any session that started with them is open (simplest: until
 * ntcp_service_free). A keytab file that changes is read afresh by the next
 * connection anyway; this is for a different keytab or other options. The
 * keytab is checked as ntcp_service_listen checks it: a missing or empty one
 * is refused (the old options stay). */
NTCP_MUST_CHECK ntcp_status ntcp_service_set_nns(ntcp_service *s, const ntcp_nns_options *nns);
void ntcp_service_stop(ntcp_service *s);

#ifdef __cplusplus
}
#endif
#endif
