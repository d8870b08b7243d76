/* pcap and pcapng captures, read with libpcap from memory, down to TCP
 * segments: link layer (Ethernet + 802.1Q/802.1ad tags, BSD loopback, raw IP,
 * Linux cooked v1/v2), IPv4 (RFC 791) and IPv6 with extension headers
 * (RFC 8200), TCP (RFC 9293). IP fragments are counted, not reassembled. */
#include <stdio.h>
#include <string.h>
#include <pcap/pcap.h>
#include <nettcp/pcap.h>

bool ntcp_pcap_is_capture(const uint8_t *d, size_t len)
{
    if (len < 4)
        return false;
    static const uint8_t magics[][4] = {
        { 0xa1, 0xb2, 0xc3, 0xd4 }, { 0xd4, 0xc3, 0xb2, 0xa1 }, /* pcap, microseconds */
        { 0xa1, 0xb2, 0x3c, 0x4d }, { 0x4d, 0x3c, 0xb2, 0xa1 }, /* pcap, nanoseconds */
        { 0x0a, 0x0d, 0x0d, 0x0a },                             /* pcapng section header block */
    };
    for (size_t i = 0; i < sizeof magics / sizeof magics[0]; i++)
        if (!memcmp(d, magics[i], 4))
            return true;
    return false;
}

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

enum { ET_IPV4 = 0x0800, ET_IPV6 = 0x86DD, ET_VLAN = 0x8100, ET_QINQ = 0x88A8, ET_QINQ_OLD = 0x9100 };

/* TCP header and payload. */
static ntcp_status tcp(ntcp_pcap *p, const uint8_t *src, const uint8_t *dst, uint8_t alen, const uint8_t *t,
                       size_t len, int64_t usec)
{
    if (len < 20 || (size_t)(t[12] >> 4) * 4 < 20 || (size_t)(t[12] >> 4) * 4 > len) {
        p->skipped++;
        return NTCP_OK;
    }
    size_t hl = (size_t)(t[12] >> 4) * 4;
    ntcp_tcp_segment s = {
        .src = src, .dst = dst, .addr_len = alen, .sport = be16(t), .dport = be16(t + 2), .seq = be32(t + 4),
        .fin = t[13] & 0x01, .syn = t[13] & 0x02, .rst = t[13] & 0x04, .ack = t[13] & 0x10,
        .payload = t + hl, .len = len - hl, .usec = usec,
    };
    p->tcp_packets++;
    return ntcp_tcp_reasm_add(p->reasm, &s);
}

/* An IP packet; caplen-limited bytes in (ip, len). */
static ntcp_status ip(ntcp_pcap *p, const uint8_t *d, size_t len, int64_t usec)
{
    if (len < 1) {
        p->skipped++;
        return NTCP_OK;
    }
    int v = d[0] >> 4;
    if (v == 4) {
        size_t ihl = (size_t)(d[0] & 15) * 4;
        if (len < 20 || ihl < 20 || ihl > len) {
            p->skipped++;
            return NTCP_OK;
        }
        size_t total = be16(d + 2);
        if (total >= ihl && total < len)
            len = total; /* Ethernet padding */
        uint16_t frag = be16(d + 6);
        if (frag & 0x3FFF) { /* MF set or a fragment offset */
            p->fragments++;
            return NTCP_OK;
        }
        if (d[9] != 6) {
            p->skipped++;
            return NTCP_OK;
        }
        return tcp(p, d + 12, d + 16, 4, d + ihl, len - ihl, usec);
    }
    if (v == 6 && len >= 40) {
        size_t plen = be16(d + 4);
        if (plen + 40 < len)
            len = plen + 40;
        uint8_t next = d[6];
        size_t off = 40;
        for (int hops = 0; hops < 16; hops++) {
            if (next == 6)
                return tcp(p, d + 8, d + 24, 16, d + off, len - off, usec);
            if (off + 8 > len)
                break;
            if (next == 0 || next == 43 || next == 60) { /* hop-by-hop, routing, destination options */
                uint8_t nn = d[off];
                off += ((size_t)d[off + 1] + 1) * 8;
                next = nn;
            } else if (next == 44) { /* fragment */
                if (be16(d + off + 2) & 0xFFF9) {
                    p->fragments++;
                    return NTCP_OK;
                }
                next = d[off];
                off += 8;
            } else if (next == 51) { /* authentication header */
                uint8_t nn = d[off];
                off += ((size_t)d[off + 1] + 2) * 4;
                next = nn;
            } else {
                break;
            }
            if (off > len)
                break;
        }
    }
    p->skipped++;
    return NTCP_OK;
}

static ntcp_status by_ethertype(ntcp_pcap *p, uint16_t et, const uint8_t *d, size_t len, int64_t usec)
{
    if (et == ET_IPV4 || et == ET_IPV6)
        return ip(p, d, len, usec);
    p->skipped++;
    return NTCP_OK;
}

static ntcp_status packet(ntcp_pcap *p, const uint8_t *d, size_t len, int64_t usec)
{
    switch (p->linktype) {
    case DLT_EN10MB: {
        if (len < 14)
            break;
        size_t off = 12;
        uint16_t et = be16(d + off);
        while ((et == ET_VLAN || et == ET_QINQ || et == ET_QINQ_OLD) && off + 6 <= len) {
            off += 4;
            et = be16(d + off);
        }
        if (off + 2 > len)
            break;
        return by_ethertype(p, et, d + off + 2, len - off - 2, usec);
    }
    case DLT_NULL:
    case DLT_LOOP: {
        if (len < 4)
            break;
        /* the address family in the capturing host's byte order (DLT_NULL) or big-endian (DLT_LOOP) */
        uint32_t af = be32(d);
        if (p->linktype == DLT_NULL && (af & 0xFFFF) == 0)
            af = (uint32_t)d[3] << 24 | (uint32_t)d[2] << 16 | (uint32_t)d[1] << 8 | d[0];
        if (af == 2 || af == 10 || af == 24 || af == 28 || af == 30)
            return ip(p, d + 4, len - 4, usec);
        break;
    }
    case DLT_RAW:
#ifdef DLT_IPV4
    case DLT_IPV4:
    case DLT_IPV6:
#endif
        return ip(p, d, len, usec);
    case DLT_LINUX_SLL:
        if (len < 16)
            break;
        return by_ethertype(p, be16(d + 14), d + 16, len - 16, usec);
#ifdef DLT_LINUX_SLL2
    case DLT_LINUX_SLL2:
        if (len < 20)
            break;
        return by_ethertype(p, be16(d), d + 20, len - 20, usec);
#endif
    default:
        break;
    }
    p->skipped++;
    return NTCP_OK;
}

static bool linktype_handled(int lt)
{
    switch (lt) {
    case DLT_EN10MB: case DLT_NULL: case DLT_LOOP: case DLT_RAW: case DLT_LINUX_SLL:
#ifdef DLT_IPV4
    case DLT_IPV4: case DLT_IPV6:
#endif
#ifdef DLT_LINUX_SLL2
    case DLT_LINUX_SLL2:
#endif
        return true;
    default:
        return false;
    }
}

ntcp_status ntcp_pcap_read(const uint8_t *data, size_t len, size_t max_bytes, ntcp_pcap *p)
{
    memset(p, 0, sizeof *p);
    p->format = len >= 4 && !memcmp(data, "\x0a\x0d\x0d\x0a", 4) ? "pcapng" : "pcap";
    if (!ntcp_pcap_is_capture(data, len)) {
        snprintf(p->error, sizeof p->error, "no pcap or pcapng magic number");
        return NTCP_E_MALFORMED;
    }
    FILE *f = fmemopen((void *)data, len, "rb");
    if (!f)
        return NTCP_E_NOMEM;
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    pcap_t *pc = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_MICRO, errbuf);
    if (!pc) {
        fclose(f);
        snprintf(p->error, sizeof p->error, "%s", errbuf);
        return NTCP_E_MALFORMED;
    }
    p->linktype = pcap_datalink(pc);
    if (!linktype_handled(p->linktype)) {
        const char *name = pcap_datalink_val_to_name(p->linktype);
        snprintf(p->error, sizeof p->error, "link type %d (%s) is not one of Ethernet, loopback, raw IP, Linux cooked",
                 p->linktype, name ? name : "unknown");
        pcap_close(pc);
        return NTCP_E_MALFORMED;
    }
    ntcp_status st = ntcp_tcp_reasm_new(&p->reasm, max_bytes);
    if (st) {
        pcap_close(pc);
        return st;
    }
    struct pcap_pkthdr *h;
    const u_char *pkt;
    int rc;
    while ((rc = pcap_next_ex(pc, &h, &pkt)) == 1) {
        p->packets++;
        /* pcapng timestamps can be anything: keep the product in range */
        int64_t sec = (int64_t)h->ts.tv_sec;
        if (sec > INT64_MAX / 1000000 - 1 || sec < 0)
            sec = 0;
        int64_t usec = sec * 1000000 + (h->ts.tv_usec >= 0 && h->ts.tv_usec < 1000000 ? h->ts.tv_usec : 0);
        st = packet(p, pkt, h->caplen, usec);
        if (st)
            break;
    }
    if (!st && rc == PCAP_ERROR) {
        /* libpcap says "truncated dump file" and the like: keep what was read */
        p->truncated = true;
        snprintf(p->error, sizeof p->error, "%s", pcap_geterr(pc));
    }
    pcap_close(pc);
    if (!st)
        st = ntcp_tcp_reasm_finish(p->reasm, &p->conns, &p->nconns);
    return st;
}

void ntcp_pcap_free(ntcp_pcap *p)
{
    ntcp_tcp_reasm_free(p->reasm);
    p->reasm = NULL;
    p->conns = NULL;
    p->nconns = 0;
}
