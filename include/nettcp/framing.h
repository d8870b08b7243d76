/* nettcp — .NET Message Framing (MC-NMF), sans-I/O.
 *
 * Two levels:
 *  - ntcp_nmf_decoder: an incremental record decoder for one direction of a
 *    connection. Feed it bytes (whole or one at a time); it returns one record
 *    at a time and checks the record grammar of that direction.
 *  - ntcp_framing: the initiator or acceptor state machine for a connection.
 *    Feed it the bytes that arrive, take the bytes it wants sent, act on its
 *    events. It never touches a socket or a clock.
 *
 * Security upgrades plug in through the stream interface (ntcp_stream): once the
 * UpgradeResponse (0x0A) has been sent or received, every byte in either
 * direction goes through the upgrade (e.g. NegotiateStream), and the framing
 * session sees only the upgrade's plaintext.
 */
#ifndef NETTCP_FRAMING_H
#define NETTCP_FRAMING_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>
#include <stdint.h>
#include <nettcp/status.h>
#include <nettcp/error.h>
#include <nettcp/util.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- record types: MC-NMF 2.2 ------------------------------------------- */
typedef enum ntcp_nmf_record_type {
    NTCP_NMF_VERSION = 0x00,
    NTCP_NMF_MODE = 0x01,
    NTCP_NMF_VIA = 0x02,
    NTCP_NMF_KNOWN_ENCODING = 0x03,
    NTCP_NMF_EXTENSIBLE_ENCODING = 0x04,
    NTCP_NMF_UNSIZED_ENVELOPE = 0x05,
    NTCP_NMF_SIZED_ENVELOPE = 0x06,
    NTCP_NMF_END = 0x07,
    NTCP_NMF_FAULT = 0x08,
    NTCP_NMF_UPGRADE_REQUEST = 0x09,
    NTCP_NMF_UPGRADE_RESPONSE = 0x0A,
    NTCP_NMF_PREAMBLE_ACK = 0x0B,
    NTCP_NMF_PREAMBLE_END = 0x0C
} ntcp_nmf_record_type;

/* The spec's record name ("Version", "SizedEnvelope", ...), or NULL. */
const char *ntcp_nmf_record_name(int type);

/* MC-NMF 2.2.3.2 */
typedef enum ntcp_nmf_mode {
    NTCP_MODE_SINGLETON_UNSIZED = 1,
    NTCP_MODE_DUPLEX = 2,
    NTCP_MODE_SIMPLEX = 3,
    NTCP_MODE_SINGLETON_SIZED = 4
} ntcp_nmf_mode;
const char *ntcp_nmf_mode_name(int mode); /* "duplex", ... or NULL */

/* MC-NMF 2.2.3.4.1 known encodings */
typedef enum ntcp_nmf_encoding {
    NTCP_ENC_SOAP11_UTF8 = 0,
    NTCP_ENC_SOAP11_UTF16 = 1,
    NTCP_ENC_SOAP11_UNICODEFFFE = 2,
    NTCP_ENC_SOAP12_UTF8 = 3,
    NTCP_ENC_SOAP12_UTF16 = 4,
    NTCP_ENC_SOAP12_UNICODEFFFE = 5,
    NTCP_ENC_MTOM = 6,
    NTCP_ENC_BINARY = 7,         /* application/soap+msbin1 */
    NTCP_ENC_BINARY_SESSION = 8  /* application/soap+msbinsession1 (NetTcpBinding) */
} ntcp_nmf_encoding;
/* The content type string of a known encoding, or NULL. */
const char *ntcp_nmf_encoding_content_type(int encoding);
/* The known encoding of a content type (exact match, as WCF compares), or -1. */
int ntcp_nmf_encoding_from_content_type(const char *ct, size_t len);

#define NTCP_UPGRADE_NEGOTIATE "application/negotiate"
#define NTCP_UPGRADE_SSL_TLS "application/ssl-tls"
#define NTCP_FAULT_BASE "http://schemas.microsoft.com/ws/2006/05/framing/faults/"

/* Maps a received fault string to a status (NTCP_E_ENDPOINT_NOT_FOUND for
 * ".../EndpointNotFound", ...; NTCP_E_FAULT when unknown). */
ntcp_status ntcp_nmf_fault_status(const char *fault, size_t len);
/* The fault string WCF sends for a status, or NULL when WCF aborts instead. */
const char *ntcp_nmf_status_fault(ntcp_status st);

/* ---- limits: WCF's defaults (PROTOCOLS.md 1.8) --------------------------- */
typedef struct ntcp_framing_limits {
    uint32_t max_via;          /* 2048: MaxViaSize */
    uint32_t max_content_type; /* 256: MaxContentTypeSize (also upgrade names) */
    uint32_t max_fault;        /* 256: FaultSizeQuota */
    uint32_t max_message;      /* 65536: MaxReceivedMessageSize / MaxBufferSize */
    uint32_t max_drain;        /* 65536: MaxDrainSize after sending a fault */
    uint32_t max_upgrades;     /* 4: stacked UpgradeRequests accepted */
} ntcp_framing_limits;
/* The defaults noted above. */
void ntcp_framing_limits_init(ntcp_framing_limits *l);
/* Offline decoding (captures, files): 64 MiB envelopes, long strings. */
#define NTCP_FRAMING_LIMITS_OFFLINE { 2048, 4096, 4096, 64u << 20, 65536, 16 }

/* ---- one record --------------------------------------------------------- */
typedef struct ntcp_nmf_record {
    ntcp_nmf_record_type type;
    size_t offset;       /* stream offset of the record's type byte */
    size_t wire_size;    /* bytes the record occupies on the wire */
    uint8_t major, minor;            /* Version */
    uint8_t mode;                    /* Mode */
    uint8_t encoding;                /* KnownEncoding */
    const uint8_t *data; /* Via / content type / upgrade name / fault text / envelope payload */
    size_t size;         /* length of data (payload bytes; 0 for records without one) */
    uint32_t chunks;     /* UnsizedEnvelope: number of data chunks */
} ntcp_nmf_record;

/* ---- incremental record decoder (one direction) -------------------------- */
typedef enum ntcp_nmf_direction {
    NTCP_FROM_INITIATOR = 0, /* client -> service */
    NTCP_FROM_RECEIVER = 1   /* service -> client */
} ntcp_nmf_direction;

typedef enum ntcp_nmf_start {
    NTCP_START_PREAMBLE = 0,      /* at the Version record / the first answer */
    NTCP_START_AFTER_UPGRADE = 1  /* right after a security upgrade: PreambleEnd / PreambleAck next */
} ntcp_nmf_start;

typedef struct ntcp_nmf_decoder ntcp_nmf_decoder;

NTCP_MUST_CHECK ntcp_status ntcp_nmf_decoder_new(ntcp_nmf_decoder **d, ntcp_nmf_direction dir,
                                                 ntcp_nmf_start start, const ntcp_framing_limits *limits);
void ntcp_nmf_decoder_free(ntcp_nmf_decoder *d);
/* Feeds bytes. Returns NTCP_OK with *rec filled when a record is complete
 * (rec->data stays valid until the next call), NTCP_AGAIN when all of
 * data[0..len) was consumed without completing one, or an error. *consumed
 * tells how much of data was used; call again with the rest.
 * After an UpgradeRequest (initiator direction) or UpgradeResponse (receiver
 * direction) the decoder stops consuming and returns NTCP_E_STATE until
 * ntcp_nmf_decoder_resume_after_upgrade: the bytes that follow belong to the
 * upgrade protocol, not to framing. In singleton-sized mode the bytes after
 * the encoding are the message; they are returned as one SizedEnvelope-like
 * record of type NTCP_NMF_SIZED_ENVELOPE at ntcp_nmf_decoder_finish. */
NTCP_MUST_CHECK ntcp_status ntcp_nmf_decoder_feed(ntcp_nmf_decoder *d, const uint8_t *data, size_t len,
                                                  size_t *consumed, ntcp_nmf_record *rec);
/* Signals the end of the stream: NTCP_OK if the stream ended between
 * records (or a singleton-sized message record is returned in *rec, check
 * rec->type), NTCP_E_TRUNCATED if it ended inside one. */
NTCP_MUST_CHECK ntcp_status ntcp_nmf_decoder_finish(ntcp_nmf_decoder *d, ntcp_nmf_record *rec, bool *have_rec);
/* True once the decoder stopped at an upgrade boundary. */
bool ntcp_nmf_decoder_at_upgrade(const ntcp_nmf_decoder *d);
/* Continue decoding the (now upgraded, plaintext) stream. */
void ntcp_nmf_decoder_resume_after_upgrade(ntcp_nmf_decoder *d);
/* Stream offset of the first error (or of the next byte to decode). */
size_t ntcp_nmf_decoder_offset(const ntcp_nmf_decoder *d);
/* Negotiated mode seen so far (0 if none). */
int ntcp_nmf_decoder_mode(const ntcp_nmf_decoder *d);
/* For a caller that keeps the bytes the decoder did not consume and feeds
 * them again, contiguous, with what follows: a SizedEnvelope payload that is
 * not whole yet is then left unconsumed (feed returns NTCP_AGAIN having used
 * the record's header) instead of being copied piece by piece, and is
 * returned in place once whole. Off by default. */
void ntcp_nmf_decoder_set_retain(ntcp_nmf_decoder *d, bool retain);

/* ---- record encoders ----------------------------------------------------- */
NTCP_MUST_CHECK ntcp_status ntcp_nmf_put_version(ntcp_buf *out);
NTCP_MUST_CHECK ntcp_status ntcp_nmf_put_mode(ntcp_buf *out, ntcp_nmf_mode mode);
NTCP_MUST_CHECK ntcp_status ntcp_nmf_put_via(ntcp_buf *out, const char *via, size_t len);
NTCP_MUST_CHECK ntcp_status ntcp_nmf_put_known_encoding(ntcp_buf *out, ntcp_nmf_encoding enc);
NTCP_MUST_CHECK ntcp_status ntcp_nmf_put_extensible_encoding(ntcp_buf *out, const char *ct, size_t len);
NTCP_MUST_CHECK ntcp_status ntcp_nmf_put_upgrade_request(ntcp_buf *out, const char *name, size_t len);
/* Type-only records: UpgradeResponse, PreambleAck, PreambleEnd, End. */
NTCP_MUST_CHECK ntcp_status ntcp_nmf_put_simple(ntcp_buf *out, ntcp_nmf_record_type type);
NTCP_MUST_CHECK ntcp_status ntcp_nmf_put_sized_envelope(ntcp_buf *out, const uint8_t *p, size_t len);
/* The SizedEnvelope's type and size alone, for a payload written separately. */
NTCP_MUST_CHECK ntcp_status ntcp_nmf_put_sized_envelope_header(ntcp_buf *out, size_t len);
/* UnsizedEnvelope: record type, then chunks of at most chunk_size, then 0x00. */
NTCP_MUST_CHECK ntcp_status ntcp_nmf_put_unsized_envelope(ntcp_buf *out, const uint8_t *p, size_t len,
                                                          size_t chunk_size);
/* Fault record; a name without "http" gets NTCP_FAULT_BASE prepended. */
NTCP_MUST_CHECK ntcp_status ntcp_nmf_put_fault(ntcp_buf *out, const char *fault);

/* ---- the stream interface ------------------------------------------------ */
/* A secured stream that takes over the byte stream after UpgradeResponse
 * (NegotiateStream today, TLS next: each is one implementation of this).
 * All functions are sans-I/O: they read and append to buffers.
 *  - start: initiator only; append the first handshake bytes to `out`.
 *  - recv: raw bytes from the peer; append handshake bytes to send to `out`,
 *    unwrapped application bytes to `plain`. Sets *consumed. May return
 *    NTCP_AGAIN (nothing more to do until more bytes arrive).
 *  - send: wrap application bytes into `out`. Only after established.
 *  - established: the handshake is complete (both sides done).
 *  - query: what the stream knows (see ntcp_stream_query_what);
 *    NTCP_E_UNSUPPORTED when it cannot answer that question.
 *  - destroy: frees what the stream owns (itself included when it was
 *    allocated); NULL when the caller owns everything. */
typedef enum ntcp_stream_query_what {
    NTCP_STREAM_QUERY_ERROR = 1,            /* ntcp_error *: the latest failure (status NTCP_OK when none) */
    NTCP_STREAM_QUERY_SECURITY,             /* ntcp_stream_security *: filled once established */
    NTCP_STREAM_QUERY_DELEGATED_CREDENTIAL  /* void **: the delegated credential (a gss_cred_id_t), or NULL */
} ntcp_stream_query_what;

/* What an established secured stream tells about the peer and the
 * protection; the strings stay valid as long as the stream. */
typedef struct ntcp_stream_security {
    const char *kind;          /* "negotiate" (NegotiateStream) */
    const char *package;       /* "Kerberos", "NTLM" */
    const char *protection;    /* "None", "Sign", "EncryptAndSign" */
    const char *impersonation; /* "Identification", "Impersonation", "Delegation" */
    const char *peer_name;     /* the authenticated peer (a service: the client principal) */
    bool mutual;               /* both sides authenticated */
    bool anonymous;            /* the peer logged on anonymously */
    bool delegated;            /* a delegated credential is available */
} ntcp_stream_security;

typedef struct ntcp_stream {
    const char *name; /* the upgrade's content type, e.g. "application/negotiate" */
    void *ctx;
    ntcp_status (*start)(void *ctx, ntcp_buf *out);
    ntcp_status (*recv)(void *ctx, const uint8_t *raw, size_t len, size_t *consumed, ntcp_buf *plain,
                        ntcp_buf *out);
    ntcp_status (*send)(void *ctx, const uint8_t *plain, size_t len, ntcp_buf *out);
    bool (*established)(void *ctx);
    ntcp_status (*query)(void *ctx, ntcp_stream_query_what what, void *out);
    /* optional: send of head | body without joining them first (large
     * envelopes are then not copied before protection); NULL: send */
    ntcp_status (*send_parts)(void *ctx, const uint8_t *head, size_t head_len, const uint8_t *body, size_t body_len,
                              ntcp_buf *out);
    void (*destroy)(struct ntcp_stream *s);
} ntcp_stream;

/* s->query, or NTCP_E_UNSUPPORTED when s or its query is NULL. */
NTCP_MUST_CHECK ntcp_status ntcp_stream_query(const ntcp_stream *s, ntcp_stream_query_what what, void *out);
/* s->destroy when there is one; NULL is fine. */
void ntcp_stream_free(ntcp_stream *s);

/* ---- the connection state machine ---------------------------------------- */
typedef enum ntcp_framing_role { NTCP_INITIATOR = 0, NTCP_ACCEPTOR = 1 } ntcp_framing_role;

typedef enum ntcp_framing_event_type {
    NTCP_FEV_NONE = 0,
    NTCP_FEV_PREAMBLE,          /* acceptor: Version/Mode/Via/Encoding accepted (via, mode, content_type) */
    NTCP_FEV_UPGRADE_REQUEST,   /* acceptor: peer asks for an upgrade (content_type = its name) and
                                   ntcp_framing_set_upgrade was called: the upgrade now runs */
    NTCP_FEV_UPGRADE_RESPONSE,  /* initiator: 0x0A received; the upgrade handshake now runs */
    NTCP_FEV_UPGRADE_COMPLETE,  /* either: the upgrade's handshake completed */
    NTCP_FEV_PREAMBLE_COMPLETE, /* acceptor: PreambleEnd received and PreambleAck queued;
                                   initiator: PreambleAck received. Envelopes may flow. */
    NTCP_FEV_ENVELOPE,          /* data/len: one whole message */
    NTCP_FEV_END,               /* the peer sent End */
    NTCP_FEV_CLOSED,            /* both sides sent End; acceptor: ready for a new preamble */
    NTCP_FEV_FAULT              /* the peer sent a fault (data/len = fault string), or we queued one */
} ntcp_framing_event_type;

typedef struct ntcp_framing_event {
    ntcp_framing_event_type type;
    const uint8_t *data; /* envelope payload or fault text; valid until the next feed */
    size_t len;
    const char *via;          /* PREAMBLE */
    const char *content_type; /* PREAMBLE (encoding), UPGRADE_REQUEST (upgrade name) */
    int mode;                 /* PREAMBLE */
    ntcp_status fault_status; /* FAULT: the status the fault stands for */
} ntcp_framing_event;

/* What the connection owner must do with the socket now. */
typedef enum ntcp_framing_close {
    NTCP_CLOSE_NONE = 0,
    NTCP_CLOSE_AFTER_WRITE_DRAIN = 1, /* write pending output, shutdown(SHUT_WR), read and discard
                                         until EOF or max_drain bytes, then close (fault sent) */
    NTCP_CLOSE_ABORT = 2,             /* close now with linger 0 (RST), as WCF aborts */
    NTCP_CLOSE_GRACEFUL = 3           /* session ended cleanly; the socket may be reused or closed */
} ntcp_framing_close;

/* Acceptor validation: which requests the endpoint serves. */
typedef struct ntcp_framing_acceptor_config {
    unsigned modes;        /* bitmask of (1 << mode); default: duplex only */
    unsigned encodings;    /* bitmask of (1 << known encoding); default: binary session only */
    const char *const *extensible_content_types; /* NULL-terminated, may be NULL */
    /* Return true when an endpoint is served at this via (EndpointNotFound otherwise).
     * NULL: every via is served. */
    bool (*via_served)(void *ctx, const char *via);
    void *via_ctx;
    const char *upgrade_name;  /* upgrade the endpoint supports, NULL = none (UpgradeInvalid) */
    bool require_upgrade;      /* PreambleEnd without a completed upgrade is refused */
    /* When require_upgrade is violated: true = send the EndpointAccessDenied
     * fault (explains itself to the client); false = abort like WCF. */
    bool fault_on_missing_upgrade;
    /* Optional, once via_served accepted the via: the security of the
     * endpoint there (overrides upgrade_name and require_upgrade for this
     * session; several endpoints on one port may differ). */
    void (*via_security)(void *ctx, const char *via, const char **upgrade_name, bool *require_upgrade);
} ntcp_framing_acceptor_config;
/* Duplex, binary session encoding, every via served, no upgrade, the
 * EndpointAccessDenied fault for a missing upgrade. */
void ntcp_framing_acceptor_config_init(ntcp_framing_acceptor_config *c);

typedef struct ntcp_framing_initiator_config {
    const char *via;           /* the net.tcp URI */
    ntcp_nmf_mode mode;        /* default duplex */
    int encoding;              /* known encoding, or -1 to send content_type as ExtensibleEncoding */
    const char *content_type;  /* with encoding == -1 */
    const char *upgrade_name;  /* NULL = no upgrade; "application/negotiate" */
} ntcp_framing_initiator_config;
/* No via, duplex, binary session encoding, no upgrade. */
void ntcp_framing_initiator_config_init(ntcp_framing_initiator_config *c);

typedef struct ntcp_framing ntcp_framing;

/* Record observer: called for every record decoded or encoded (for traces). */
typedef void (*ntcp_framing_record_cb)(void *ctx, bool sent, const ntcp_nmf_record *rec);

NTCP_MUST_CHECK ntcp_status ntcp_framing_new_initiator(ntcp_framing **f, const ntcp_framing_initiator_config *cfg,
                                                       const ntcp_framing_limits *limits);
NTCP_MUST_CHECK ntcp_status ntcp_framing_new_acceptor(ntcp_framing **f, const ntcp_framing_acceptor_config *cfg,
                                                      const ntcp_framing_limits *limits);
void ntcp_framing_free(ntcp_framing *f);
void ntcp_framing_set_record_cb(ntcp_framing *f, ntcp_framing_record_cb cb, void *ctx);
/* The upgrade to run when one is requested (acceptor) or answered (initiator). */
void ntcp_framing_set_upgrade(ntcp_framing *f, const ntcp_stream *up);

/* Initiator: queue the preamble (Version, Mode, Via, Encoding, and either
 * UpgradeRequest or PreambleEnd). Also used to start again on a reused
 * connection after NTCP_FEV_CLOSED. */
NTCP_MUST_CHECK ntcp_status ntcp_framing_start(ntcp_framing *f);

/* Feeds raw bytes from the socket. Returns NTCP_OK with *ev set (type may be
 * NTCP_FEV_NONE when only output was produced), NTCP_AGAIN when everything
 * was consumed without an event, or an error (a named status; when the
 * protocol has a fault for it, the acceptor has queued that fault and
 * ntcp_framing_close_action says how to close). *consumed may be less than
 * len: call again with the rest — and once the stream is upgraded, keep
 * calling (with len 0 when all was consumed) until NTCP_AGAIN, since one
 * chunk of raw bytes can unwrap into several records. */
NTCP_MUST_CHECK ntcp_status ntcp_framing_feed(ntcp_framing *f, const uint8_t *data, size_t len, size_t *consumed,
                                              ntcp_framing_event *ev);
/* The peer closed its side (EOF). Returns NTCP_OK if that was expected
 * (after the End exchange or a fault), NTCP_E_CONNECTION_RESET otherwise.
 * In singleton-sized mode the acceptor's message ends here: *ev is then an
 * NTCP_FEV_ENVELOPE. */
NTCP_MUST_CHECK ntcp_status ntcp_framing_feed_eof(ntcp_framing *f, ntcp_framing_event *ev);

/* Bytes to write to the socket, as one piece (several queued chunks are
 * joined first: a copy; I/O loops take ntcp_framing_output_iov). */
void ntcp_framing_output(ntcp_framing *f, const uint8_t **data, size_t *len);
/* The pending output as up to max iovecs in order, for one writev/sendmsg;
 * returns how many (0: nothing pending). Valid until the session is next
 * called. */
size_t ntcp_framing_output_iov(const ntcp_framing *f, struct iovec *iov, size_t max);
/* Bytes queued and not yet reported written. */
size_t ntcp_framing_output_pending(const ntcp_framing *f);
/* n bytes were written: a partial write moves nothing, written chunks are
 * freed. */
void ntcp_framing_output_consumed(ntcp_framing *f, size_t n);

NTCP_MUST_CHECK ntcp_status ntcp_framing_send_envelope(ntcp_framing *f, const uint8_t *p, size_t len);
/* A SizedEnvelope queued a part at a time (duplex and simplex modes; the
 * singleton modes and envelopes of at most `part` bytes are queued whole):
 * begin queues the record header and the first `part` payload bytes;
 * while ntcp_framing_envelope_pending is not 0, continue queues up to `part`
 * more. Write the output between calls: the peer can unprotect one part
 * while the next is protected, and the output never holds the whole message.
 * p must stay valid until nothing is pending; no other record can be sent
 * meanwhile (NTCP_E_STATE). */
NTCP_MUST_CHECK ntcp_status ntcp_framing_begin_envelope(ntcp_framing *f, const uint8_t *p, size_t len, size_t part);
size_t ntcp_framing_envelope_pending(const ntcp_framing *f);
NTCP_MUST_CHECK ntcp_status ntcp_framing_continue_envelope(ntcp_framing *f);
NTCP_MUST_CHECK ntcp_status ntcp_framing_send_end(ntcp_framing *f);
/* Acceptor: queue a fault (name or full URI) and move to the faulted state. */
NTCP_MUST_CHECK ntcp_status ntcp_framing_send_fault(ntcp_framing *f, const char *fault);

ntcp_framing_close ntcp_framing_close_action(const ntcp_framing *f);
/* True once PreambleAck was sent (acceptor) / received (initiator). */
bool ntcp_framing_is_open(const ntcp_framing *f);
/* True once both End records were exchanged (the connection may be reused). */
bool ntcp_framing_is_closed(const ntcp_framing *f);
/* A description of the latest error: the step and the byte offset. */
const char *ntcp_framing_last_error(const ntcp_framing *f);
/* The status ntcp_framing_last_error explains (NTCP_OK before any failure). */
ntcp_status ntcp_framing_last_error_status(const ntcp_framing *f);
/* The stream offset (of its direction's decoded bytes) where that error was
 * found, -1 when it was not a decoding error. */
int64_t ntcp_framing_last_error_offset(const ntcp_framing *f);
/* The via / content type / mode the acceptor accepted (valid while open). */
const char *ntcp_framing_via(const ntcp_framing *f);
/* The session's content type (acceptor: from the preamble; NULL before it). */
const char *ntcp_framing_content_type(const ntcp_framing *f);
int ntcp_framing_mode(const ntcp_framing *f);

#ifdef __cplusplus
}
#endif
#endif
