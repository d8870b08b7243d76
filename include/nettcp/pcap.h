/* nettcp — reading packet captures (pcap, pcapng) of net.tcp connections:
 * the TCP byte streams of each connection, reassembled per direction, and the
 * NegotiateStream layer of a secured connection taken apart and, given the
 * service's keytab or the client's password, unprotected.
 *
 * Nothing here opens a file or a socket except for the keytab MIT Kerberos
 * reads by name; captures come in as bytes. */
#ifndef NETTCP_PCAP_H
#define NETTCP_PCAP_H

#include <stdbool.h>
#include <stdint.h>
#include <nettcp/util.h>
#include <nettcp/error.h>
#include <nettcp/negotiate.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- TCP reassembly ---------------------------------------------------- */

typedef struct ntcp_tcp_gap {
    uint64_t offset; /* stream offset of the first missing byte */
    uint64_t len;    /* missing bytes (0: unknown, the capture ends there) */
} ntcp_tcp_gap;

/* A point in time for a stream offset: the packet that carried it. */
typedef struct ntcp_tcp_mark {
    uint64_t offset;
    int64_t usec; /* microseconds since 1970 */
} ntcp_tcp_mark;

/* One direction of a connection: the bytes from the first one captured up to
 * the first missing one; what lies after a gap is counted, not kept. */
typedef struct ntcp_tcp_stream {
    ntcp_buf data;
    ntcp_tcp_gap *gaps;
    size_t ngaps;
    ntcp_tcp_mark *marks; /* ascending offsets */
    size_t nmarks;
    uint64_t after_gap;   /* bytes captured after the first gap (not decoded) */
    unsigned segments, retransmitted, out_of_order;
    bool syn, fin, rst;
    bool over_limit;      /* more bytes than max_bytes: the rest dropped */
} ntcp_tcp_stream;

typedef struct ntcp_tcp_conn {
    char endpoint[2][64]; /* [0] client, [1] service: "127.0.0.1:51324", "[::1]:808" */
    uint16_t port[2];
    int64_t first_usec, last_usec;
    ntcp_tcp_stream dir[2]; /* [0] client -> service, [1] service -> client */
    bool roles_guessed;     /* no SYN seen: the client is the side that sent the MC-NMF preamble or the higher port */
} ntcp_tcp_conn;

/* Reassembly of segments fed one at a time (what the pcap reader does per
 * packet; exposed for tests). Addresses are 4 or 16 bytes. */
typedef struct ntcp_tcp_reasm ntcp_tcp_reasm;
typedef struct ntcp_tcp_segment {
    const uint8_t *src, *dst; /* addresses */
    uint8_t addr_len;         /* 4 or 16 */
    uint16_t sport, dport;
    uint32_t seq;
    bool syn, ack, fin, rst;
    const uint8_t *payload;
    size_t len;
    int64_t usec;
} ntcp_tcp_segment;

NTCP_MUST_CHECK ntcp_status ntcp_tcp_reasm_new(ntcp_tcp_reasm **r, size_t max_bytes);
/* NTCP_E_LIMIT when the capture holds more connections than allowed; a
 * stream over max_bytes is marked over_limit instead. */
NTCP_MUST_CHECK ntcp_status ntcp_tcp_reasm_add(ntcp_tcp_reasm *r, const ntcp_tcp_segment *s);
/* Puts the segments of each connection in order; the connections in the
 * order of their first packet. The reassembler keeps ownership. */
NTCP_MUST_CHECK ntcp_status ntcp_tcp_reasm_finish(ntcp_tcp_reasm *r, ntcp_tcp_conn **conns, size_t *n);
void ntcp_tcp_reasm_free(ntcp_tcp_reasm *r);

/* ---- pcap / pcapng --------------------------------------------------------- */

/* True when data starts with a pcap or pcapng magic number. */
bool ntcp_pcap_is_capture(const uint8_t *data, size_t len);

typedef struct ntcp_pcap {
    const char *format;    /* "pcap" or "pcapng" */
    int linktype;          /* DLT_ value */
    size_t packets, tcp_packets, skipped; /* skipped: not IPv4/IPv6 TCP, or IP fragments */
    size_t fragments;
    bool truncated;        /* the file ends in the middle of a packet */
    char error[256];       /* libpcap's message when truncated */
    ntcp_tcp_conn *conns;
    size_t nconns;
    ntcp_tcp_reasm *reasm;
} ntcp_pcap;

/* Reads a whole capture held in memory; each direction of each connection is
 * limited to max_bytes. NTCP_E_MALFORMED (p->error says why) when the data is
 * not a capture libpcap reads or has a link type not handled here (handled:
 * Ethernet with VLAN tags, BSD loopback, raw IPv4/IPv6, Linux cooked v1/v2). */
NTCP_MUST_CHECK ntcp_status ntcp_pcap_read(const uint8_t *data, size_t len, size_t max_bytes, ntcp_pcap *p);
void ntcp_pcap_free(ntcp_pcap *p);

/* Stream offset -> time of the packet that carried it (0 when unknown). */
int64_t ntcp_tcp_time_at(const ntcp_tcp_stream *s, uint64_t offset);

/* ---- passive NegotiateStream decryption ------------------------------------ */

typedef struct ntcp_passive_keys {
    const char *keytab;               /* service keytab (krb5 name, e.g. FILE:/x), or NULL */
    const char *const *passwords;     /* NTLM: the client's password(s) */
    size_t npasswords;
    const uint8_t (*nt_hashes)[16];   /* NTLM: NT hashes (MD4 of the UTF-16LE password) */
    size_t nhashes;
} ntcp_passive_keys;

/* Plain offset -> stream offset of the frame that carried it. */
typedef struct ntcp_passive_map {
    uint64_t plain, wire;
} ntcp_passive_map;

typedef struct ntcp_passive {
    ntcp_package package;           /* Kerberos or NTLM once known */
    bool package_known, spnego;
    char client[256], service[256]; /* principals ("user@REALM", "DOMAIN\\user") */
    int32_t enctype;                /* Kerberos: the enctype of the key the data is protected with */
    ntcp_protection protection;
    bool protection_known;
    bool handshake_done;            /* both sides sent HandshakeDone */
    uint32_t handshake_error;       /* code of a HandshakeError, 0 if none */
    bool decrypted;                 /* the data frames could be read (or needed no key) */
    char key[160];                  /* which key worked: "keytab: host/svc@R kvno 2 aes256-cts-hmac-sha1-96", "password 1" */
    ntcp_cause cause;               /* why not (error.h; NTCP_CAUSE_NONE when it could be read) */
    char why[320];                  /* the cause in words */
    ntcp_buf plain[2];              /* the MC-NMF bytes after the upgrade, per direction */
    ntcp_passive_map *map[2];
    size_t nmap[2];
    unsigned frames[2], bad_frames[2];
    char frame_error[2][160];       /* the first frame that failed, in words */
} ntcp_passive;

/* Takes the NegotiateStream bytes of both directions (each from the byte
 * after UpgradeRequest / UpgradeResponse, which is at stream offset
 * base[d]: the maps' wire offsets are stream offsets) and unprotects the data phase with the keys given.
 * auth_usec: when the client's first token was sent (Kerberos checks the
 * ticket's times against it). Returns NTCP_OK whenever the input could be
 * taken apart (p->cause says why the data could not be read), NTCP_E_NOMEM. */
NTCP_MUST_CHECK ntcp_status ntcp_passive_decode(const uint8_t *const in[2], const size_t len[2],
                                                const uint64_t base[2], int64_t auth_usec,
                                                const ntcp_passive_keys *keys, size_t max_bytes, ntcp_passive *p);
void ntcp_passive_free(ntcp_passive *p);

#ifdef __cplusplus
}
#endif
#endif
