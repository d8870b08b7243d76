/* nettcp — calling a net.tcp service: channel + NegotiateStream + SOAP. */
#ifndef NETTCP_CLIENT_H
#define NETTCP_CLIENT_H

#include <nettcp/tls.h>
#include <nettcp/channel.h>
#include <nettcp/negotiate.h>
#include <nettcp/service.h>
#include <nettcp/soap.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ntcp_client_options {
    ntcp_security_mode security;   /* Transport */
    ntcp_nns_options nns;          /* package, protection, identity, credentials, require_server_auth, ... */
    /* Transport security's client credential type: windows = NegotiateStream
     * (nns above), certificate / none = TLS (tls below) */
    ntcp_credential_type credential;
    ntcp_tls_options tls;          /* ca_file, validation, revocation, identity, client certificate, versions */
    ntcp_channel_options channel;  /* timeouts, limits, mode, encoding */
    ntcp_xml_limits xml;           /* reader quotas for replies */
    ntcp_framing_record_cb record_cb; /* observer for traces (may be NULL) */
    void *record_ctx;
    ntcp_nns_leg_cb leg_cb;           /* observer of handshake messages (may be NULL) */
    void *leg_ctx;
} ntcp_client_options;

void ntcp_client_options_init(ntcp_client_options *o);

/* A client channel: one net.tcp session. It may be used from several
 * threads at once, as WCF's duplex session channel is:
 *  - ntcp_client_call and ntcp_client_send may run concurrently on one
 *    channel. Each request carries its own MessageID; several calls are in
 *    flight at once on the session, and each reply goes to the call whose
 *    MessageID its RelatesTo names, in whatever order the service answers.
 *    (A service dispatches one session's calls in order unless it allows
 *    concurrency; use several channels for parallel work on such a service.)
 *  - A reply without RelatesTo is taken by the one call in flight; with more
 *    in flight it cannot be matched, and a reply whose RelatesTo names no
 *    call in flight cannot either: the session is then given up and every
 *    call in flight and every later one fails with NTCP_E_RECORD_SEQUENCE,
 *    cause protocol, saying so. A reply to a call that timed out is dropped.
 *  - What a call leaves behind belongs to the thread that made it:
 *    ntcp_client_error is the calling thread's latest failure,
 *    ntcp_client_reply_body / _header read the calling thread's latest
 *    reply (and reply->headers point into it); both stay valid until that
 *    thread's next call on the channel.
 *  - A call that times out (receive_timeout_ms) fails alone; the others go
 *    on; ntcp_client_close then aborts the session instead of ending it.
 *  - ntcp_client_set_headers may be called at any time; calls already
 *    writing keep the headers they started with.
 *  - ntcp_client_close and ntcp_client_abort end the channel and free it:
 *    call them once every other thread's calls on it have returned.
 * Requests are written in the order they are protected; one waiting caller
 * at a time reads the socket for all of them (no extra thread). This holds
 * for duplex sessions (NetTcpBinding's); the other modes carry one message
 * (singleton) or one exchange (streamed) per connection, or one-way messages
 * only (simplex), so a channel in them serves one call. */
typedef struct ntcp_client ntcp_client;

/* Opens the channel (connect, preamble, security handshake, identity check,
 * PreambleEnd/Ack). On failure *c is NULL and err (may be NULL) says why:
 * status, cause, step, the NegotiateStream detail when security failed,
 * and the explanation (ntcp_error_format adds the cause and its advice). */
NTCP_MUST_CHECK ntcp_status ntcp_client_open(ntcp_client **c, const char *url, const ntcp_client_options *o,
                                             ntcp_error *err);
/* A SOAP header to send: one element as text XML (declaring its
 * namespaces); must_understand adds s:mustUnderstand="1" to it. */
typedef struct ntcp_header {
    const char *xml;
    bool must_understand;
} ntcp_header;

/* One request/reply: headers (may be NULL), body as text XML (may be NULL).
 * The reply is parsed into *reply (ntcp_soap_msg_init'ed by the call; clear
 * it after): addressing, headers, the body as text, a fault's code,
 * subcodes, reason and detail. A SOAP fault from the service returns
 * NTCP_E_FAULT with *reply filled; its cause is action_not_supported or
 * service_fault. Failures: ntcp_client_error. */
NTCP_MUST_CHECK ntcp_status ntcp_client_call(ntcp_client *c, const char *action, const ntcp_header *headers,
                                             size_t nheaders, const char *body, size_t body_len,
                                             ntcp_soap_msg *reply);
/* The TLS session's result (version, cipher, the service's chain), or
 * NULL when the channel does not run TLS. */
const ntcp_tls_result *ntcp_client_tls(const ntcp_client *c);
/* The calling thread's last reply's body, read in place: a reader
 * positioned before the first child of <s:Body> (at depth 1), valid until
 * the thread's next call. NULL when there is none. */
ntcp_xml_reader *ntcp_client_reply_body(ntcp_client *c);
/* A reader on the calling thread's last reply's header i
 * (reply->headers[i]), positioned before the element; valid until the
 * thread's next call. */
ntcp_xml_reader *ntcp_client_reply_header(ntcp_client *c, const ntcp_soap_msg *reply, size_t i);
/* A one-way message (no MessageID, no ReplyTo): nothing comes back. */
NTCP_MUST_CHECK ntcp_status ntcp_client_send(ntcp_client *c, const char *action, const char *body, size_t body_len);
/* Extra SOAP headers for the messages sent from now on: text XML elements,
 * each declaring the namespaces it uses (e.g. WCF's ActivityId header). The
 * strings must stay valid until replaced; NULL/0 = none. */
void ntcp_client_set_headers(ntcp_client *c, const char *const *headers, size_t n);
/* The negotiated security (NULL with security None). */
const ntcp_nns_result *ntcp_client_security(const ntcp_client *c);
/* The calling thread's latest failure of a call or send on c (status
 * NTCP_OK when none); valid until the thread's next call. An open's
 * failure is in the error given to ntcp_client_open. */
const ntcp_error *ntcp_client_error(const ntcp_client *c);

/* End handshake, close; frees c (once no other thread uses it). */
ntcp_status ntcp_client_close(ntcp_client *c);
void ntcp_client_abort(ntcp_client *c);

#ifdef __cplusplus
}
#endif
#endif
