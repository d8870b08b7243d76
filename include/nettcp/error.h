/* nettcp — one error type for every layer and tool.
 *
 * An ntcp_error says what failed (status), why in one stable id (cause, from
 * the table below: id, title, advice), at which step, where in the input
 * (offset, for decoders), the NegotiateStream detail when the security layer
 * failed (GSS major/minor, Kerberos code, the HandshakeError code the peer
 * sent), and the failing layer's explanation (text). The client, the
 * service's log, doctor, traces and the CLI all report it; nothing parses a
 * cause back out of text. Every cause id is listed with its fix in
 * docs/troubleshooting.md. */
#ifndef NETTCP_ERROR_H
#define NETTCP_ERROR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <nettcp/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/* X-macro: enum, id, title, advice. Ids are interfaces: add, never rename.
 * The security layer's causes stay together, from DEFAULT_SPN_NOT_SERVICE to
 * KEYTAB_EMPTY (traces classify by that range). */
#define NTCP_CAUSE_LIST(X) \
    X(NTCP_CAUSE_NONE, "none", "no failure", "") \
    X(NTCP_CAUSE_UNKNOWN, "unknown", "a failure none of the other causes describes", \
      "read the error text: it carries the failing layer's details (GSS and Kerberos errors included)") \
    X(NTCP_CAUSE_BAD_ADDRESS, "bad_address", "the address is not a net.tcp URL", \
      "give a net.tcp://host[:port]/path address") \
    X(NTCP_CAUSE_INVALID_ARGUMENT, "invalid_argument", "an argument or option is invalid", \
      "check the call's arguments and options against the documentation") \
    X(NTCP_CAUSE_OUT_OF_MEMORY, "out_of_memory", "memory allocation failed", \
      "free memory or lower the configured limits") \
    X(NTCP_CAUSE_UNSUPPORTED, "unsupported", "the requested feature is not supported", "use a supported option") \
    X(NTCP_CAUSE_HOST_UNKNOWN, "host_unknown", "the host name does not resolve", \
      "the host name in the address does not resolve: check its spelling, DNS and /etc/hosts") \
    X(NTCP_CAUSE_CONNECTION_REFUSED, "connection_refused", "nothing listens at host:port", \
      "nothing listens at that host and port: check the port in the address, that the service runs, and that " \
      "its net.tcp listener (on Windows the Net.Tcp Listener Adapter / port sharing service) is started") \
    X(NTCP_CAUSE_CONNECTION_RESET, "connection_reset", "the peer closed or reset the connection without a fault", \
      "the service closed the connection without a framing fault: look at its log; a WCF service aborts this " \
      "way when it requires a security upgrade that was not asked for, or on a security failure") \
    X(NTCP_CAUSE_TIMEOUT, "timeout", "no answer within the timeout", \
      "no answer within the timeout: check firewalls between client and service, that the port is the " \
      "service's, that the KDC (krb5.conf) answers, and raise --timeout if the service is slow") \
    X(NTCP_CAUSE_IO_ERROR, "io_error", "a socket operation failed", "check the network path and the peer") \
    X(NTCP_CAUSE_ENDPOINT_NOT_FOUND, "endpoint_not_found", "no endpoint at the URL's path (EndpointNotFound)", \
      "the service has no endpoint at this path: compare the path of the address with the service's " \
      "endpoint address (case and trailing slash included)") \
    X(NTCP_CAUSE_ENCODING_REFUSED, "encoding_refused", "the message encoding was refused (ContentTypeInvalid)", \
      "the service does not accept this message encoding: NetTcpBinding uses binary session encoding; " \
      "match the service's encoder") \
    X(NTCP_CAUSE_MODE_REFUSED, "mode_refused", "the framing mode was refused (UnsupportedMode)", \
      "the service does not accept this framing mode: use duplex (buffered) as NetTcpBinding does") \
    X(NTCP_CAUSE_SECURITY_MODE_MISMATCH, "security_mode_mismatch", \
      "client and service disagree on transport security", \
      "client and service disagree on the security mode: one asked for Transport security (a NegotiateStream " \
      "upgrade) and the other runs with SecurityMode None (a service that closes the connection right after " \
      "a preamble without upgrade, as WCF does, requires transport security); use the same --security on both") \
    X(NTCP_CAUSE_SERVER_TOO_BUSY, "server_too_busy", "the service is at its session limit (ServerTooBusy)", \
      "the service refused the session: it is at its session limit; retry or raise the limit") \
    X(NTCP_CAUSE_VERSION_REFUSED, "version_refused", "the framing version was refused", \
      "the service does not speak this framing version (1.0)") \
    X(NTCP_CAUSE_ENDPOINT_ACCESS_DENIED, "endpoint_access_denied", "the endpoint refused access (AccessDenied)", \
      "check the security mode and credentials the service requires") \
    X(NTCP_CAUSE_FAULT_RECEIVED, "fault_received", "the peer sent a framing fault this library does not name", \
      "read the fault code in the error text: it names what the peer refused") \
    X(NTCP_CAUSE_QUOTA_EXCEEDED, "quota_exceeded", "a message exceeded a size limit or reader quota", \
      "a message exceeded a size limit (maxReceivedMessageSize or a reader quota): raise the limit on the " \
      "receiving side") \
    X(NTCP_CAUSE_PROTOCOL, "protocol", "the peer broke the protocol (MC-NMF, MS-NNS, binary XML or SOAP)", \
      "the peer does not follow the protocol: capture the traffic (nettcp decode) and check its settings") \
    X(NTCP_CAUSE_XML_SYNTAX_ERROR, "xml_syntax_error", "a text XML document is not well formed", \
      "fix the XML (the request body, for a call); DTDs and entities are refused") \
    X(NTCP_CAUSE_DEFAULT_SPN_NOT_SERVICE, "default_spn_not_service", \
      "no identity was given, and host/<host> is not the service's name", \
      "no endpoint identity was given (or dns:), so the target was host/<host of the address>: either the KDC " \
      "does not know that name, or it belongs to the machine account while the service runs as another " \
      "account; give the service's identity (--identity spn:SERVICE/host or upn:account@REALM, as its " \
      "metadata advertises) or register the SPN for the service's account") \
    X(NTCP_CAUSE_SPN_UNKNOWN, "spn_unknown", "the KDC does not know the target name (SPN)", \
      "the KDC does not know the target name: check the identity (spn:/dns:/upn:) or register the SPN for the " \
      "service's account") \
    X(NTCP_CAUSE_SERVICE_KEY_MISMATCH, "service_key_mismatch", "the service could not decrypt the ticket", \
      "the service could not decrypt the ticket: its keytab is stale (old key version) or holds the key of " \
      "another account; re-export the keytab (ktadd) or fix which account owns the SPN") \
    X(NTCP_CAUSE_CLOCK_SKEW, "clock_skew", "the clocks differ by more than the allowed skew", \
      "the clocks of client, service and KDC differ by more than 5 minutes: synchronise them (NTP)") \
    X(NTCP_CAUSE_NTLM_WITHOUT_SERVER_AUTH, "ntlm_without_server_auth", \
      "NTLM was negotiated while server authentication is required", \
      "NTLM cannot authenticate the server; make Kerberos work (SPN, KDC reachable) or set " \
      "require_server_auth = false to accept NTLM") \
    X(NTCP_CAUSE_BAD_PASSWORD, "bad_password", "the password was refused", \
      "the password is wrong (or the account is locked): check user, domain and password") \
    X(NTCP_CAUSE_UNKNOWN_USER, "unknown_user", "the KDC does not know the client principal", \
      "the KDC does not know the client principal: check the user name and realm") \
    X(NTCP_CAUSE_NO_CREDENTIALS, "no_credentials", "no usable client credentials", \
      "no credentials were found: run kinit, give user and password, or a client keytab") \
    X(NTCP_CAUSE_CREDENTIALS_EXPIRED, "credentials_expired", "the ticket or password has expired", \
      "the ticket or password has expired: renew it (kinit) or change the password") \
    X(NTCP_CAUSE_KDC_UNREACHABLE, "kdc_unreachable", "no KDC answered for the realm", \
      "no KDC answered for the realm: check krb5.conf (realm, kdc) and that the KDC's port 88 is reachable") \
    X(NTCP_CAUSE_ANONYMOUS_REFUSED, "anonymous_refused", "the service does not accept anonymous logons", \
      "the service does not allow anonymous logons: log on with credentials or set allow_anonymous_clients") \
    X(NTCP_CAUSE_ANONYMOUS_UNAVAILABLE, "anonymous_unavailable", "no anonymous ticket could be obtained", \
      "no anonymous ticket: the realm needs anonymous PKINIT (a KDC certificate, the WELLKNOWN/ANONYMOUS " \
      "principal, restrict_anonymous_to_tgt = false) and the client pkinit_anchors for the KDC's CA; NTLM " \
      "(gss-ntlmssp) cannot log on anonymously, use Kerberos or Negotiate; or log on with credentials") \
    X(NTCP_CAUSE_PROTECTION_NOT_GRANTED, "protection_not_granted", \
      "the two sides require different protection levels", \
      "client and service ask for different protection levels: use the same ProtectionLevel on both " \
      "(default EncryptAndSign)") \
    X(NTCP_CAUSE_IDENTITY_MISMATCH, "identity_mismatch", "the service authenticated as another name", \
      "the server authenticated as another name than the expected identity: check it") \
    X(NTCP_CAUSE_MESSAGE_ALTERED, "message_altered", "a protected frame failed its integrity check", \
      "a protected frame failed its check: data altered in transit or protection mismatch") \
    X(NTCP_CAUSE_PACKAGE_MISMATCH, "package_mismatch", \
      "the client authenticated with a package (Kerberos / NTLM) the service does not accept", \
      "use the package the service requires (--package on both sides), or let the service accept Negotiate") \
    X(NTCP_CAUSE_NTLM_FALLBACK, "ntlm_fallback", \
      "Negotiate fell back to NTLM (Kerberos was not usable for the target) and the NTLM logon was refused", \
      "Negotiate fell back to NTLM because Kerberos could not be used for the target (the KDC issued no " \
      "ticket: unknown SPN, no KDC, or no Kerberos credentials), and the service then refused the NTLM logon: " \
      "NTLM needs the user as DOMAIN\\user (the NetBIOS domain) and an account the service's NTLM database " \
      "knows; fix the identity so Kerberos works (nettcp doctor says why it did not)") \
    X(NTCP_CAUSE_NTLM_FORCED, "ntlm_forced", \
      "ProtectionLevel None forced NTLM, and the NTLM logon was refused", \
      "ProtectionLevel None makes NegotiateStream use NTLM whatever package was asked for (WCF does the same), " \
      "so Kerberos was not tried and the NTLM logon failed: use ProtectionLevel Sign or EncryptAndSign for " \
      "Kerberos, or log on as a user the service's NTLM database knows (DOMAIN\\user)") \
    X(NTCP_CAUSE_MALFORMED_TOKEN, "malformed_token", \
      "the peer's first security token was refused before any password was checked", \
      "the peer's first security token was refused before any password was checked: it is not an NTLM, " \
      "Kerberos or SPNEGO message this side can read; capture the handshake and check the client's " \
      "NTLM/SPNEGO implementation") \
    X(NTCP_CAUSE_IDENTITY_INVALID, "identity_invalid", "the endpoint identity is not a valid dns:, spn: or upn: name", \
      "the endpoint identity is not dns:NAME, spn:SERVICE/host[@REALM] or upn:user@DOMAIN (a UPN needs " \
      "its @DOMAIN): correct the identity") \
    X(NTCP_CAUSE_PASSWORD_EXPIRED, "password_expired", \
      "the account's password has expired or must be changed", \
      "the account's password has expired (or must be changed at next logon): change it (kpasswd; AD: " \
      "Set-ADAccountPassword or samba-tool user setpassword), or for a service account clear " \
      "\"must change password\" and set a non-expiring password") \
    X(NTCP_CAUSE_ACCOUNT_DISABLED, "account_disabled", "the KDC refused the account: disabled, locked out or expired", \
      "the KDC refused the account: it is disabled, locked out or expired; enable or unlock it (AD: " \
      "Enable-ADAccount / Unlock-ADAccount; samba-tool user enable)") \
    X(NTCP_CAUSE_SPN_WRONG_ACCOUNT, "spn_wrong_account", \
      "the target name belongs to another account than the service's", \
      "the target name belongs to another account than the one whose key the service holds (it runs as " \
      "another account): register the SPN on the service's account (setspn -S SPN account after setspn -D " \
      "SPN other; samba-tool spn delete/add) or give the identity of the service's account (upn:account@DOMAIN)") \
    X(NTCP_CAUSE_SPN_DUPLICATE, "spn_duplicate", "more than one account holds the target name (SPN)", \
      "more than one account holds the SPN, so the KDC cannot choose a key: keep it on the service's account " \
      "only (setspn -X lists duplicates, setspn -D SPN account removes one; samba-tool spn delete)") \
    X(NTCP_CAUSE_ENCTYPE_MISMATCH, "enctype_mismatch", \
      "the ticket's encryption type is one the service's keytab has no key for", \
      "the KDC encrypted the ticket with an encryption type the service's keytab has no key for: set the " \
      "account's msDS-SupportedEncryptionTypes (AES: 24) and re-set its password, then export the keytab " \
      "again (ktpass /crypto AES256-SHA1 /ptype KRB5_NT_PRINCIPAL; samba-tool domain exportkeytab)") \
    X(NTCP_CAUSE_KEYTAB_MISSING, "keytab_missing", "the service's keytab does not exist or cannot be read", \
      "give the service a keytab it can read (--keytab FILE or KRB5_KTNAME) holding the key of its SPN") \
    X(NTCP_CAUSE_KEYTAB_EMPTY, "keytab_empty", "the service's keytab holds no key (for the acceptor name)", \
      "add the service principal's key to the keytab (MIT: kadmin ktadd; AD: ktpass) or give the right one") \
    X(NTCP_CAUSE_ACTION_NOT_SUPPORTED, "action_not_supported", \
      "the request's Action is not one of the service's operations (ActionNotSupported fault)", \
      "check the Action against the service's contract (its metadata or WSDL): namespace, contract and " \
      "operation name must match exactly") \
    X(NTCP_CAUSE_SERVICE_FAULT, "service_fault", "the service answered with a SOAP fault", \
      "the fault's code and reason are in the error text: they say what the service refused") \
    X(NTCP_CAUSE_MESSAGE_UNREADABLE, "message_unreadable", \
      "a request is not a SOAP 1.2 envelope in binary session encoding the session's dictionaries decode", \
      "the request is not a SOAP 1.2 envelope in binary session encoding that this session's dictionaries " \
      "decode: use NetTcpBinding's message version and encoder on the client") \
    X(NTCP_CAUSE_CERT_EXPIRED, "cert_expired", "TLS: a certificate of the peer's chain has expired", \
      "the certificate has expired: renew it (and install the new one on the side that presents it), or check " \
      "this machine's clock") \
    X(NTCP_CAUSE_CERT_NOT_YET_VALID, "cert_not_yet_valid", "TLS: a certificate of the peer's chain is not valid yet", \
      "the certificate is not valid yet: check this machine's clock, or wait until its validity starts") \
    X(NTCP_CAUSE_CERT_UNTRUSTED, "cert_untrusted", "TLS: the peer's certificate chain is not trusted", \
      "the certificate's issuer is not trusted: give the CA certificate that issued it (--ca on the client, " \
      "--client-ca on the service), include the intermediate certificates in the presenting side's certificate " \
      "file, or use --validation peer with the certificate itself as the trusted one") \
    X(NTCP_CAUSE_CERT_NAME_MISMATCH, "cert_name_mismatch", "TLS: the service's certificate is not the expected identity", \
      "the certificate does not carry the name the client expects: connect with a host name among the names it " \
      "holds, give the identity the service's metadata advertises (--identity dns:NAME), or issue a certificate " \
      "with the host name in its subjectAltName") \
    X(NTCP_CAUSE_CERT_REVOKED, "cert_revoked", "TLS: the certificate has been revoked", \
      "the certificate has been revoked by its issuer: the presenting side needs a new certificate") \
    X(NTCP_CAUSE_REVOCATION_UNKNOWN, "revocation_unknown", "TLS: the revocation status could not be established", \
      "the revocation status could not be established: the CRL distribution point or OCSP responder in the " \
      "certificate is unreachable (online) or no CRL for the issuer is in the trust file (offline); make it " \
      "reachable, add the CRL to the trust file with --revocation offline, or use --revocation nocheck") \
    X(NTCP_CAUSE_CLIENT_CERT_REQUIRED, "client_cert_required", "TLS: the service requires a client certificate", \
      "the service requires a client certificate (clientCredentialType Certificate): give --client-cert and " \
      "--client-key, or use --credential none if the service does not require one") \
    X(NTCP_CAUSE_CLIENT_CERT_REJECTED, "client_cert_rejected", "TLS: the service refused the client certificate", \
      "the service refused the client certificate: it must chain to a CA the service trusts (its --client-ca), be " \
      "valid now and not revoked; the service's log names the check that failed") \
    X(NTCP_CAUSE_TLS_PROTOCOL_MISMATCH, "tls_protocol_mismatch", "TLS: no TLS version in common", \
      "client and service have no TLS version in common: TLS 1.2 and 1.3 are supported; align --tls-min and " \
      "--tls-max (WCF: SslProtocols) on both sides") \
    X(NTCP_CAUSE_TLS_CREDENTIALS, "tls_credentials", "TLS: this side's certificate or key could not be loaded", \
      "our own certificate or key could not be loaded: check the paths, that the key matches the certificate, " \
      "that PEM files are PEM and a PKCS#12 file is given alone (--cert FILE.p12)") \
    X(NTCP_CAUSE_TLS_HANDSHAKE, "tls_handshake", "TLS: the TLS handshake or a record failed", \
      "the TLS handshake failed: the error text carries OpenSSL's reason; check that both sides use TLS " \
      "(--credential certificate or none) and compatible settings") \
    X(NTCP_CAUSE_OPERATION_FAILED, "operation_failed", \
      "a service operation failed; the client got an InternalServiceFault", \
      "look at the service's log for the operation's status") \
    /* reading captures (nettcp decode, pcap.h) */ \
    X(NTCP_CAUSE_CAPTURE_FORMAT_UNKNOWN, "capture_format_unknown", \
      "the file is neither pcap, pcapng, a hex trace nor raw MC-NMF bytes", \
      "give the capture file itself (tcpdump -w, Wireshark \"Save As\" pcap or pcapng), not a text export") \
    X(NTCP_CAUSE_CAPTURE_UNREADABLE, "capture_unreadable", \
      "libpcap cannot read the capture, or its link type is not supported", \
      "capture again; with another link type, capture on the host's interface or any") \
    X(NTCP_CAUSE_CAPTURE_TRUNCATED, "capture_truncated", \
      "the capture ends in the middle of a packet or of a NegotiateStream frame", \
      "stop the capture cleanly (tcpdump: Ctrl-C; -U writes each packet at once) and copy it after it stopped") \
    X(NTCP_CAUSE_CAPTURE_NO_CONNECTION, "capture_no_connection", \
      "no TCP connection in the capture starts with an MC-NMF preamble", \
      "capture from before the client connects; name the service's port with --port") \
    X(NTCP_CAUSE_CAPTURE_TOO_LARGE, "capture_too_large", "a direction holds more than four times --max-size", \
      "raise --max-size, or filter the capture to one connection") \
    X(NTCP_CAUSE_TCP_GAP, "tcp_gap", "bytes of a direction were never captured", \
      "capture with tcpdump -s 0 -B 8192 on a less busy interface, or closer to one end") \
    X(NTCP_CAUSE_DECRYPT_NO_KEYTAB, "decrypt_no_keytab", "a Kerberos session, and no keytab to read it with", \
      "give the service's keytab: --keytab FILE") \
    X(NTCP_CAUSE_DECRYPT_KEYTAB_NO_KEY, "decrypt_keytab_no_key", \
      "the keytab has no key for the ticket's principal, kvno or enctype", \
      "use a keytab holding the ticket's service principal with its kvno and enctype (klist -ke FILE)") \
    X(NTCP_CAUSE_DECRYPT_KEYTAB_WRONG_KEY, "decrypt_keytab_wrong_key", "the keytab's key does not decrypt the ticket", \
      "the keytab's key is not the one the KDC used: export the current key (ktadd / ktpass) again") \
    X(NTCP_CAUSE_DECRYPT_KEYTAB_UNREADABLE, "decrypt_keytab_unreadable", "the keytab file is missing or not a keytab", \
      "check the --keytab path and that it is a keytab file") \
    X(NTCP_CAUSE_DECRYPT_TICKET_TIME, "decrypt_ticket_time", "the ticket was not valid at the capture's time", \
      "the ticket was not valid at the capture's time: check the clocks of the hosts that made it") \
    X(NTCP_CAUSE_DECRYPT_KERBEROS_FAILED, "decrypt_kerberos_failed", "another Kerberos library failure", \
      "check KRB5_CONFIG and the keytab") \
    X(NTCP_CAUSE_DECRYPT_ENCTYPE_UNSUPPORTED, "decrypt_enctype_unsupported", "the session key is not AES-SHA1", \
      "only AES-SHA1 Kerberos sessions can be read; the records before the upgrade are still shown") \
    X(NTCP_CAUSE_DECRYPT_NO_PASSWORD, "decrypt_no_password", "an NTLM session, and no password or NT hash", \
      "give the client's password: --password PW or --nt-hash HEX (repeatable)") \
    X(NTCP_CAUSE_DECRYPT_PASSWORD_MISMATCH, "decrypt_password_mismatch", \
      "no password given reproduces the client's NTLMv2 response", \
      "give the password the client used at the time of the capture") \
    X(NTCP_CAUSE_DECRYPT_NTLM_V1, "decrypt_ntlm_v1", "the client used NTLMv1 or no extended session security", \
      "NTLMv1 / no extended session security is not read; use NTLMv2 (LmCompatibilityLevel 3 or more)") \
    X(NTCP_CAUSE_DECRYPT_NO_LEGACY_CRYPTO, "decrypt_no_legacy_crypto", \
      "OpenSSL's legacy provider (MD4, RC4) could not be loaded", \
      "install OpenSSL 3's legacy provider (Debian: libssl3 ships it)") \
    X(NTCP_CAUSE_DECRYPT_HANDSHAKE_INCOMPLETE, "decrypt_handshake_incomplete", \
      "the capture lacks part of the NegotiateStream handshake", \
      "capture the whole connection, from before the client connects") \
    X(NTCP_CAUSE_DECRYPT_HANDSHAKE_UNREADABLE, "decrypt_handshake_unreadable", \
      "a handshake token is not the SPNEGO/Kerberos/NTLM message expected", \
      "the security tokens are not SPNEGO, Kerberos or NTLM as expected") \
    X(NTCP_CAUSE_DECRYPT_HANDSHAKE_FAILED, "decrypt_handshake_failed", "the handshake failed on the wire", \
      "the handshake failed on the wire; nettcp doctor against the service says why") \
    X(NTCP_CAUSE_DECRYPT_PACKAGE_UNKNOWN, "decrypt_package_unknown", \
      "the client's first token is neither SPNEGO, Kerberos nor NTLMSSP", \
      "the security package is neither Kerberos nor NTLM") \
    X(NTCP_CAUSE_DECRYPT_FRAME_FAILED, "decrypt_frame_failed", "a data frame does not verify with the key found", \
      "capture again; check that the capture has no tcp_gap warnings") \
    X(NTCP_CAUSE_WSDL_UNREACHABLE, "wsdl_unreachable", "the WSDL given could not be read", \
      "check the path or URL (?wsdl, ?singleWsdl) in a browser on the same network; HTTP 401: Negotiate failed, " \
      "get a ticket with kinit and check the HTTP/host SPN") \
    X(NTCP_CAUSE_WSDL_IMPORT_MISSING, "wsdl_import_missing", \
      "a wsdl:import, xsd:import or xsd:include names a document that could not be read", \
      "WCF writes absolute import URLs from the host name it was reached by: if they name another host or port " \
      "(a load balancer, localhost), read ?singleWsdl instead or set the service's " \
      "useRequestHeadersForMetadataAddress behaviour") \
    X(NTCP_CAUSE_WSDL_IMPORT_LOOP, "wsdl_import_loop", \
      "a wsdl:import leads back to a WSDL that is still being loaded", \
      "the service's metadata is inconsistent; read ?singleWsdl") \
    X(NTCP_CAUSE_WSDL_BAD_XML, "wsdl_bad_xml", "a WSDL document is not well-formed XML, or carries a DTD", \
      "open the URL in a browser: an error page or a proxy's page is often served instead of the WSDL") \
    X(NTCP_CAUSE_WSDL_NOT_WSDL, "wsdl_not_wsdl", \
      "the document is neither a WSDL 1.1 wsdl:definitions nor an xsd:schema", \
      "add ?wsdl (or ?singleWsdl) to the service's address; enable serviceMetadata httpGetEnabled on the service") \
    X(NTCP_CAUSE_WSDL_UNDEFINED, "wsdl_undefined", \
      "a WSDL reference leads nowhere (a binding, message, element, type or policy)", \
      "read ?singleWsdl, which holds every definition (policies in other documents are not fetched)") \
    X(NTCP_CAUSE_WSDL_UNSUPPORTED, "wsdl_unsupported", "the WSDL uses a construct this reader does not handle", \
      "the error names the construct (rpc style, a part with type=, several body parts, xs:choice or " \
      "complexContent in an operation's element, a notification operation, an http(s) document importing a " \
      "local file); describe the service with document/literal wrapped operations, as WCF does by default") \
    X(NTCP_CAUSE_WSDL_LIMIT, "wsdl_limit", "the WSDL and its imports exceed a limit", \
      "the limits: 32 documents, imports 8 deep, 4 MiB per document (16 MiB in all), 1024 endpoints, 4096 " \
      "operations, 20,000 policy assertions; read ?singleWsdl, or check that the metadata is the service's") \
    X(NTCP_CAUSE_WSDL_BAD_ARGS, "wsdl_bad_args", "the arguments do not match the operation's input schema", \
      "the error names the member and what it takes (a wrong type, a missing required member, an unknown one); " \
      "nettcp wsdl SOURCE lists each operation's input members and their types") \
    X(NTCP_CAUSE_WSDL_BAD_REPLY, "wsdl_bad_reply", "the reply body does not match the operation's output schema", \
      "the error names the element; the WSDL may be older than the service: read the service's current WSDL") \
    X(NTCP_CAUSE_WSDL_NO_OPERATION, "wsdl_no_operation", "--op names no operation of the WSDL, or several", \
      "nettcp wsdl SOURCE lists the operations; Contract.Name picks one of several with the same name") \
    X(NTCP_CAUSE_WSDL_NO_ENDPOINT, "wsdl_no_endpoint", "no URL, and the WSDL has no net.tcp endpoint or several", \
      "give the URL, or --endpoint-name NAME; nettcp wsdl SOURCE lists the endpoints") \
    X(NTCP_CAUSE_CONFIG_UNREADABLE, "config_unreadable", \
      "the client configuration (app.config) could not be read or is not well-formed XML", \
      "check the path given to --config; the error names the line of the first XML error") \
    X(NTCP_CAUSE_CONFIG_ENDPOINT_MISSING, "config_endpoint_missing", \
      "the configuration has no <client><endpoint> of the name given", \
      "pass one of the endpoint names the error lists to --endpoint") \
    X(NTCP_CAUSE_CONFIG_BINDING_MISSING, "config_binding_missing", \
      "an endpoint's bindingConfiguration or behaviorConfiguration names nothing in the configuration", \
      "add the <binding name=...> under <bindings><netTcpBinding> (or the behavior), or correct the name") \
    X(NTCP_CAUSE_CONFIG_UNSUPPORTED, "config_unsupported", \
      "the configuration asks for a setting nettcp does not implement; the error names it", \
      "nettcp speaks netTcpBinding (or a customBinding of tcpTransport, binaryMessageEncoding and " \
      "windowsStreamSecurity / sslStreamSecurity) with security None or Transport; remove the setting, or " \
      "call an endpoint configured that way") \
    X(NTCP_CAUSE_CONFIG_INVALID, "config_invalid", \
      "a configuration value is not valid (a timeout, a size, an enumeration value)", \
      "the error names the attribute and the values it takes; WCF would refuse it too") \
    X(NTCP_CAUSE_MEX_BAD_REPLY, "mex_bad_reply", \
      "the metadata exchange reply is not a WS-Transfer GetResponse holding wsx:Metadata with a WSDL section", \
      "check that the address is the service's mex endpoint (IMetadataExchange over mexTcpBinding), not an " \
      "application endpoint; the error names what came back")

typedef enum ntcp_cause {
#define NTCP_X_CAUSE_ENUM(e, id, title, advice) e,
    NTCP_CAUSE_LIST(NTCP_X_CAUSE_ENUM)
#undef NTCP_X_CAUSE_ENUM
    NTCP_CAUSE_COUNT
} ntcp_cause;

/* "none", "host_unknown", ...; "unknown" out of range. */
const char *ntcp_cause_id(ntcp_cause c);
/* One line: what happened. */
const char *ntcp_cause_title(ntcp_cause c);
/* What to change. */
const char *ntcp_cause_advice(ntcp_cause c);
/* The cause for an id, NTCP_CAUSE_UNKNOWN when it is none of them. */
ntcp_cause ntcp_cause_from_id(const char *id);
/* The cause a status means when nothing more specific is known. */
ntcp_cause ntcp_cause_of_status(ntcp_status st);

/* Where it failed. The first nine are a client channel's open and use; the
 * rest name other places an error can come from. */
typedef enum ntcp_channel_step {
    NTCP_STEP_RESOLVE, NTCP_STEP_CONNECT, NTCP_STEP_PREAMBLE, NTCP_STEP_UPGRADE, NTCP_STEP_HANDSHAKE,
    NTCP_STEP_PREAMBLE_ACK, NTCP_STEP_SEND, NTCP_STEP_RECEIVE, NTCP_STEP_CLOSE,
    NTCP_STEP_OPTIONS,   /* checking options before anything is sent (a service: before it starts) */
    NTCP_STEP_LISTEN,    /* a service binding its address */
    NTCP_STEP_ACCEPT,    /* a service: one session's preamble and handshake */
    NTCP_STEP_DISPATCH,  /* a service: reading a request and running its operation */
    NTCP_STEP_DECODE,    /* an offline decoder (captures, frames, binary XML) */
    NTCP_STEP_NONE
} ntcp_channel_step;
const char *ntcp_channel_step_name(ntcp_channel_step s);

/* ---- the NegotiateStream detail ---------------------------------------- */
typedef enum ntcp_nns_step {
    NTCP_NNS_STEP_NONE = 0,
    NTCP_NNS_STEP_OPTIONS,
    NTCP_NNS_STEP_ACQUIRE,
    NTCP_NNS_STEP_INIT,       /* with leg */
    NTCP_NNS_STEP_ACCEPT,     /* with leg */
    NTCP_NNS_STEP_REMOTE,     /* the peer sent HandshakeError */
    NTCP_NNS_STEP_HANDSHAKE,  /* handshake framing */
    NTCP_NNS_STEP_POLICY,     /* protection / package / server auth / anonymity checks */
    NTCP_NNS_STEP_IDENTITY,   /* identity check */
    NTCP_NNS_STEP_WRAP,
    NTCP_NNS_STEP_UNWRAP
} ntcp_nns_step;
const char *ntcp_nns_step_name(ntcp_nns_step s);

typedef struct ntcp_nns_error {
    ntcp_status status;       /* NTCP_OK: the security layer did not fail */
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

/* ---- the error ---------------------------------------------------------- */
typedef struct ntcp_error {
    ntcp_status status;       /* NTCP_OK: no failure */
    ntcp_cause cause;
    ntcp_channel_step step;
    int64_t offset;           /* byte offset in the input where it was found; -1 when it does not apply */
    ntcp_nns_error nns;       /* nns.status != NTCP_OK when the security layer failed */
    char text[2048];          /* the explanation, without cause and advice */
} ntcp_error;

/* No failure: status OK, cause none, step none, offset -1. */
void ntcp_error_clear(ntcp_error *e);
/* Fills e (text printf-style); returns st. e may be NULL. */
ntcp_status ntcp_error_set(ntcp_error *e, ntcp_status st, ntcp_cause cause, ntcp_channel_step step, const char *fmt,
                           ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;
const char *ntcp_error_id(const ntcp_error *e);     /* the cause id */
const char *ntcp_error_title(const ntcp_error *e);  /* the cause title */
const char *ntcp_error_advice(const ntcp_error *e); /* the cause advice */
const char *ntcp_error_text(const ntcp_error *e);   /* the explanation */
/* "TEXT; cause: ID\nadvice: ADVICE" into out (always NUL-terminated). */
void ntcp_error_format(const ntcp_error *e, char *out, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
