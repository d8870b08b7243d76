/* nettcp — status codes shared by every layer.
 *
 * Every public call returns an ntcp_status. Negative values are errors, each
 * with a stable name (ntcp_status_name), a one-line description
 * (ntcp_status_str), a category and advice on what to change
 * (ntcp_status_advice). NTCP_AGAIN is not an error: a sans-I/O decoder needs
 * more input before it can say more.
 */
#ifndef NETTCP_STATUS_H
#define NETTCP_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define NTCP_MUST_CHECK __attribute__((warn_unused_result))
#else
#define NTCP_MUST_CHECK
#endif

/* X-macro: id, value, name, category, description, advice */
#define NTCP_STATUS_LIST(X) \
    X(NTCP_OK, 0, "ok", NTCP_CAT_NONE, "success", "") \
    X(NTCP_AGAIN, 1, "again", NTCP_CAT_NONE, "more input is needed", "") \
    X(NTCP_E_INVALID_ARG, -1, "invalid_argument", NTCP_CAT_USAGE, \
      "an argument is invalid", "check the call's arguments against the header's documentation") \
    X(NTCP_E_NOMEM, -2, "out_of_memory", NTCP_CAT_RESOURCE, \
      "memory allocation failed", "free memory or lower the configured limits") \
    X(NTCP_E_STATE, -3, "bad_state", NTCP_CAT_USAGE, \
      "the call is not allowed in the current state", "follow the session's state sequence") \
    X(NTCP_E_TRUNCATED, -10, "truncated", NTCP_CAT_PROTOCOL, \
      "the input ends in the middle of a record", "the data is incomplete: capture or send the whole stream") \
    X(NTCP_E_MALFORMED, -11, "malformed", NTCP_CAT_PROTOCOL, \
      "the input is not well formed", "the peer does not speak this protocol correctly, or the data is corrupt") \
    X(NTCP_E_VARINT, -12, "bad_varint", NTCP_CAT_PROTOCOL, \
      "a multi-byte integer is longer than 5 bytes or exceeds 2^31-1", \
      "the data is corrupt or not .NET framing/binary XML") \
    X(NTCP_E_LIMIT, -13, "limit_exceeded", NTCP_CAT_QUOTA, \
      "a configured size limit was exceeded", "raise the limit if the data is legitimate") \
    X(NTCP_E_TRAILING, -14, "trailing_bytes", NTCP_CAT_PROTOCOL, \
      "a length-prefixed block was not consumed exactly", "the data is corrupt: a length lies") \
    X(NTCP_E_ZERO_SIZE, -15, "zero_size", NTCP_CAT_PROTOCOL, \
      "a size that must not be zero is zero", "the peer violates MC-NMF: envelope and upgrade sizes are never 0") \
    X(NTCP_E_UNKNOWN_RECORD, -20, "unknown_record", NTCP_CAT_PROTOCOL, \
      "an unknown framing record type", "the peer is not speaking .NET Message Framing (MC-NMF) or the stream is out of step") \
    X(NTCP_E_RECORD_SEQUENCE, -21, "invalid_record_sequence", NTCP_CAT_PROTOCOL, \
      "a framing record arrived out of order", "the peer violates the MC-NMF record grammar for this mode") \
    X(NTCP_E_UNSUPPORTED_VERSION, -22, "unsupported_version", NTCP_CAT_PROTOCOL, \
      "the framing version is not 1.x", "only .NET Message Framing version 1.0 exists; check the peer") \
    X(NTCP_E_UNSUPPORTED_MODE, -23, "mode_refused", NTCP_CAT_PROTOCOL, \
      "the framing mode is not accepted by this endpoint", \
      "use duplex mode (buffered transfer) or singleton (streamed transfer) as the service expects") \
    X(NTCP_E_VIA_TOO_LONG, -24, "via_too_long", NTCP_CAT_QUOTA, \
      "the Via is longer than allowed (2048 bytes by default)", "use a shorter URL or raise max_via") \
    X(NTCP_E_CONTENT_TYPE_TOO_LONG, -25, "content_type_too_long", NTCP_CAT_QUOTA, \
      "a content type or upgrade name is longer than allowed (256 bytes)", "check the peer's encoding/upgrade names") \
    X(NTCP_E_ENDPOINT_NOT_FOUND, -26, "endpoint_not_found", NTCP_CAT_FAULT, \
      "no endpoint is listening at the Via", "check the path in the URL against the service's address") \
    X(NTCP_E_CONTENT_TYPE_INVALID, -27, "encoding_refused", NTCP_CAT_FAULT, \
      "the message encoding is not accepted by the endpoint", \
      "NetTcpBinding uses binary session encoding (application/soap+msbinsession1); match the service's encoder") \
    X(NTCP_E_UPGRADE_INVALID, -28, "upgrade_invalid", NTCP_CAT_FAULT, \
      "the requested stream upgrade is not supported by the endpoint", \
      "the service runs without transport security or with another kind (e.g. TLS): match its security mode") \
    X(NTCP_E_UPGRADE_REQUIRED, -29, "upgrade_required", NTCP_CAT_SECURITY, \
      "the endpoint requires transport security but the peer did not upgrade the stream", \
      "the client runs with security None while the service requires Transport: match the security mode") \
    X(NTCP_E_MESSAGE_TOO_LARGE, -30, "message_too_large", NTCP_CAT_QUOTA, \
      "a message is larger than the maximum received message size (65536 by default)", \
      "raise maxReceivedMessageSize on the receiving side, or send smaller messages") \
    X(NTCP_E_FAULT, -31, "fault_received", NTCP_CAT_FAULT, \
      "the peer sent a framing fault", "read the fault code: it names what the peer refused") \
    X(NTCP_E_UPGRADE, -32, "upgrade_failed", NTCP_CAT_SECURITY, \
      "the stream upgrade (security layer) failed", "see the security layer's error for the cause") \
    X(NTCP_E_CLOSED, -33, "closed", NTCP_CAT_IO, \
      "the session is closed", "open a new session") \
    X(NTCP_E_SERVER_TOO_BUSY, -34, "server_too_busy", NTCP_CAT_FAULT, \
      "the service is too busy", "retry later or raise the service's session limits") \
    X(NTCP_E_ENDPOINT_UNAVAILABLE, -35, "endpoint_unavailable", NTCP_CAT_FAULT, \
      "the endpoint is unavailable or could not be activated", "check that the service is running and activated") \
    X(NTCP_E_ACCESS_DENIED, -36, "endpoint_access_denied", NTCP_CAT_FAULT, \
      "the endpoint refused access", "check the security mode and credentials the service requires") \
    X(NTCP_E_IO, -40, "io_error", NTCP_CAT_IO, \
      "an I/O error occurred", "check the network path and the peer") \
    X(NTCP_E_TIMEOUT, -41, "timeout", NTCP_CAT_TIMEOUT, \
      "the operation timed out", "check that the peer is reachable and answering; raise the timeout if it is slow") \
    X(NTCP_E_CONNECTION_REFUSED, -42, "connection_refused", NTCP_CAT_IO, \
      "nothing is listening at the address", "check the host and port, and that the service is running") \
    X(NTCP_E_CONNECTION_RESET, -43, "connection_reset", NTCP_CAT_IO, \
      "the peer reset or closed the connection", \
      "the peer aborted: look at the service's log; WCF aborts on security failures without a fault") \
    X(NTCP_E_RESOLVE, -44, "name_resolution_failed", NTCP_CAT_IO, \
      "the host name could not be resolved", "check the host name and DNS") \
    X(NTCP_E_UNSUPPORTED, -45, "unsupported", NTCP_CAT_USAGE, \
      "the requested feature is not supported", "use a supported option") \
    X(NTCP_E_XML_RECORD, -50, "xml_unknown_record", NTCP_CAT_PROTOCOL, \
      "an unknown or misplaced binary XML record", \
      "the data is not .NET Binary XML (MC-NBFX), or the stream is out of step") \
    X(NTCP_E_XML_DEPTH, -51, "xml_depth_exceeded", NTCP_CAT_QUOTA, \
      "XML elements nest deeper than allowed (MaxDepth 32 by default)", \
      "raise max_depth (the service's readerQuotas maxDepth) if the message is legitimate") \
    X(NTCP_E_XML_STRING_TOO_LONG, -52, "xml_string_too_long", NTCP_CAT_QUOTA, \
      "an XML text is longer than allowed (MaxStringContentLength 8192 by default)", \
      "raise max_string_len (readerQuotas maxStringContentLength) if the message is legitimate") \
    X(NTCP_E_XML_ARRAY_TOO_LONG, -53, "xml_array_too_long", NTCP_CAT_QUOTA, \
      "a binary XML array has more items than allowed (MaxArrayLength 16384 by default)", \
      "raise max_array_len (readerQuotas maxArrayLength) if the message is legitimate") \
    X(NTCP_E_XML_NAME_TOO_LONG, -54, "xml_name_too_long", NTCP_CAT_QUOTA, \
      "an XML name or namespace is longer than allowed (MaxNameTableCharCount 16384 by default)", \
      "raise max_name_chars (readerQuotas maxNameTableCharCount) if the message is legitimate") \
    X(NTCP_E_XML_TOO_MANY_ATTRIBUTES, -55, "xml_too_many_attributes", NTCP_CAT_QUOTA, \
      "an XML element has more attributes than allowed (256 by default)", \
      "raise max_attributes if the message is legitimate") \
    X(NTCP_E_XML_TOO_LARGE, -56, "xml_too_large", NTCP_CAT_QUOTA, \
      "an XML document is larger than allowed (65536 bytes by default)", \
      "raise max_size (maxReceivedMessageSize) or send smaller messages") \
    X(NTCP_E_XML_SESSION_TOO_LARGE, -57, "xml_session_too_large", NTCP_CAT_QUOTA, \
      "the binary session dictionary grew past its maximum (MaxSessionSize 2048 bytes)", \
      "the peer adds more session strings than the binding allows; raise maxSessionSize on both sides") \
    X(NTCP_E_XML_UNKNOWN_KEY, -58, "xml_unknown_dictionary_key", NTCP_CAT_PROTOCOL, \
      "a binary XML dictionary key refers to no string", \
      "the session dictionaries are out of step (a message was lost or decoded with the wrong direction's table)") \
    X(NTCP_E_XML_SYNTAX, -59, "xml_syntax_error", NTCP_CAT_USAGE, \
      "the text XML is not well formed or uses a DTD", "fix the XML document (DTDs and entities are refused)") \
    X(NTCP_E_NNS_MESSAGE_ID, -60, "nns_bad_message_id", NTCP_CAT_PROTOCOL, \
      "a NegotiateStream handshake message id is not 0x14, 0x15 or 0x16", \
      "the peer is not speaking NegotiateStream (MS-NNS) or the stream is out of step") \
    X(NTCP_E_NNS_FRAME_SIZE, -61, "nns_bad_frame_size", NTCP_CAT_PROTOCOL, \
      "a NegotiateStream data frame length is <= 4 or larger than allowed (65536)", \
      "the data is corrupt or a length lies; .NET rejects such frames the same way") \
    X(NTCP_E_NNS_TOKEN_TOO_LARGE, -62, "nns_token_too_large", NTCP_CAT_QUOTA, \
      "a security handshake token is larger than allowed", \
      "the peer sent an oversized token (a PAC with many groups can be large): raise limits.max_token up to 65535") \
    X(NTCP_E_NNS_TOO_MANY_LEGS, -63, "nns_too_many_legs", NTCP_CAT_PROTOCOL, \
      "the security handshake took more messages than allowed", \
      "Kerberos needs 1-2 messages and NTLM 3-4; the peer loops: check its security configuration") \
    X(NTCP_E_NNS_UNEXPECTED, -64, "nns_unexpected_message", NTCP_CAT_PROTOCOL, \
      "a NegotiateStream handshake message arrived when it was not allowed", \
      "the peer violates MS-NNS (e.g. a 0x16 after the context completed)") \
    X(NTCP_E_AUTH_FAILED, -65, "authentication_failed", NTCP_CAT_SECURITY, \
      "the security handshake failed (GSSAPI reported an error)", \
      "read the GSS/Kerberos error and the cause: it names what to fix") \
    X(NTCP_E_AUTH_REMOTE, -66, "authentication_failed_remote", NTCP_CAT_SECURITY, \
      "the peer reported that the security handshake failed (HandshakeError)", \
      "the peer's log has the reason; the code it sent is in the error") \
    X(NTCP_E_CREDENTIALS_REJECTED, -67, "credentials_rejected", NTCP_CAT_SECURITY, \
      "the server has rejected the client credentials", \
      "check the user name, domain and password, and that the account exists and is enabled") \
    X(NTCP_E_NO_CREDENTIALS, -68, "no_credentials", NTCP_CAT_SECURITY, \
      "no usable credentials were found", \
      "run kinit, or give a user and password, or a client keytab; a service needs a keytab (KRB5_KTNAME)") \
    X(NTCP_E_PROTECTION_NOT_GRANTED, -69, "protection_not_granted", NTCP_CAT_SECURITY, \
      "the negotiated protection level is below the required one", \
      "use the same ProtectionLevel on client and service (NetTcpBinding default: EncryptAndSign)") \
    X(NTCP_E_SERVER_AUTH_REQUIRED, -70, "server_auth_required", NTCP_CAT_SECURITY, \
      "the server was not authenticated (NTLM cannot prove who the server is) and server authentication is required", \
      "make Kerberos work (correct SPN/identity, a KDC the client reaches), or set require_server_auth = false to allow NTLM") \
    X(NTCP_E_ANONYMOUS_REFUSED, -71, "anonymous_refused", NTCP_CAT_SECURITY, \
      "the service does not allow anonymous logons", \
      "log on with a user's credentials, or set allow_anonymous_clients on the service") \
    X(NTCP_E_IDENTITY_MISMATCH, -72, "identity_mismatch", NTCP_CAT_SECURITY, \
      "the authenticated server name does not match the expected endpoint identity", \
      "check the identity (dns:/spn:/upn:) against the service's advertised identity") \
    X(NTCP_E_MESSAGE_ALTERED, -73, "message_altered", NTCP_CAT_SECURITY, \
      "a protected data frame failed its integrity check or is out of sequence", \
      "the data was modified in transit, or the two sides disagree on the protection level") \
    X(NTCP_E_PACKAGE_NOT_ALLOWED, -74, "package_not_allowed", NTCP_CAT_SECURITY, \
      "the client authenticated with a security package the service does not accept", \
      "use the package the service requires (Kerberos or NTLM), or let it accept Negotiate")

typedef enum ntcp_status {
#define NTCP_X_ENUM(id, val, name, cat, desc, adv) id = val,
    NTCP_STATUS_LIST(NTCP_X_ENUM)
#undef NTCP_X_ENUM
} ntcp_status;

typedef enum ntcp_category {
    NTCP_CAT_NONE = 0,
    NTCP_CAT_USAGE,
    NTCP_CAT_RESOURCE,
    NTCP_CAT_IO,
    NTCP_CAT_TIMEOUT,
    NTCP_CAT_PROTOCOL,
    NTCP_CAT_SECURITY,
    NTCP_CAT_FAULT,
    NTCP_CAT_QUOTA
} ntcp_category;

/* Stable snake_case name, e.g. "via_too_long"; "unknown_status" if unknown. */
const char *ntcp_status_name(int status);
/* One-line description. */
const char *ntcp_status_str(int status);
/* What to change; "" when there is nothing to advise. */
const char *ntcp_status_advice(int status);
ntcp_category ntcp_status_category(int status);
const char *ntcp_category_name(ntcp_category c);

#ifdef __cplusplus
}
#endif
#endif
