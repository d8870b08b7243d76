/* MS-NNS frame codecs, sans-I/O (private to the library and its tests):
 * handshake messages (5-byte header, big-endian length), the HandshakeError
 * code (8 bytes, either byte order), data frames (4-byte little-endian
 * length), and the NTLM signature rotation. */
#ifndef NTCP_NEGOTIATE_FRAMES_H
#define NTCP_NEGOTIATE_FRAMES_H

#include <nettcp/negotiate.h>

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

/* Length of the MIC token at the start of a Sign-only payload: NTLM 16;
 * Kerberos RFC 4121 (04 04) 16 + checksum size for the enctype; RFC 1964
 * (0x60 DER) from its length. 0 when it cannot be told. */
size_t ntcp_nns_mic_length(ntcp_package package, int32_t enctype, const uint8_t *p, size_t len);

/* ---- Kerberos names ------------------------------------------------------ */
/* Whether the name a service authenticated as (got, a Kerberos principal as
 * GSSAPI displays it: components split by '/', realm after an unescaped
 * '@', backslash escapes) is the expected target. Compared as principals: name
 * components case-insensitively, the realm (in either case) only when the
 * expected name has one. For a UPN (is_upn) the KDC may answer with the
 * enterprise form (user\@suffix@REALM) or the canonical one (user@REALM),
 * both accepted. */
bool ntcp_krb_name_matches(const char *expected, bool is_upn, const char *got);

#endif
