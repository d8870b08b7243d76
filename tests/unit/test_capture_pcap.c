/* TCP reassembly with crafted segments, and pcap files built in memory:
 * link layers, IPv4/IPv6, VLAN tags, truncation. */
#include <stdlib.h>
#include "test.h"
#include <nettcp/pcap.h>

static const uint8_t A[4] = { 10, 0, 0, 1 }, B[4] = { 10, 0, 0, 2 };

/* data is a string literal (NULs allowed) or NULL */
#define seg(c2s, seq, data, syn, ack, t) segn(c2s, seq, data, sizeof(data) - 1, syn, ack, t)
#define ctl(c2s, seq, syn, ack, t) segn(c2s, seq, NULL, 0, syn, ack, t)
static ntcp_tcp_segment segn(bool from_client, uint32_t seq, const char *data, size_t len, bool syn, bool ack,
                             int64_t t)
{
    ntcp_tcp_segment s = { from_client ? A : B, from_client ? B : A, 4, from_client ? 50000 : 808,
                           from_client ? 808 : 50000, seq, syn, ack, false, false,
                           (const uint8_t *)data, len, t };
    return s;
}

static void add(ntcp_tcp_reasm *r, ntcp_tcp_segment s) { CHECK_EQ_INT(ntcp_tcp_reasm_add(r, &s), NTCP_OK); }

TEST(tcp_reasm_in_order_with_handshake)
{
    ntcp_tcp_reasm *r;
    CHECK_EQ_INT(ntcp_tcp_reasm_new(&r, 1 << 20), NTCP_OK);
    add(r, ctl(true, 1000, true, false, 1));
    add(r, ctl(false, 5000, true, true, 2));
    add(r, seg(true, 1001, "hello ", false, true, 3));
    add(r, seg(true, 1007, "world", false, true, 4));
    add(r, seg(false, 5001, "reply", false, true, 5));
    ntcp_tcp_conn *c;
    size_t n;
    CHECK_EQ_INT(ntcp_tcp_reasm_finish(r, &c, &n), NTCP_OK);
    CHECK_EQ_INT(n, 1);
    CHECK_BYTES(c[0].dir[0].data.data, c[0].dir[0].data.len, "hello world", 11);
    CHECK_BYTES(c[0].dir[1].data.data, c[0].dir[1].data.len, "reply", 5);
    CHECK_EQ_STR(c[0].endpoint[0], "10.0.0.1:50000");
    CHECK_EQ_STR(c[0].endpoint[1], "10.0.0.2:808");
    CHECK(!c[0].roles_guessed);
    CHECK_EQ_INT(c[0].dir[0].ngaps, 0);
    CHECK_EQ_INT(c[0].dir[0].retransmitted, 0);
    CHECK_EQ_INT(ntcp_tcp_time_at(&c[0].dir[0], 6), 4);
    CHECK_EQ_INT(ntcp_tcp_time_at(&c[0].dir[0], 5), 3);
    ntcp_tcp_reasm_free(r);
}

TEST(tcp_reasm_reordered_and_retransmitted)
{
    ntcp_tcp_reasm *r;
    CHECK_EQ_INT(ntcp_tcp_reasm_new(&r, 1 << 20), NTCP_OK);
    add(r, ctl(true, 1000, true, false, 1));
    add(r, seg(true, 1005, "56789", false, true, 2)); /* before its predecessor */
    add(r, seg(true, 1001, "1234", false, true, 3));
    add(r, seg(true, 1001, "1234", false, true, 4));  /* retransmitted whole */
    add(r, seg(true, 1009, "9a", false, true, 5)); /* overlapping, with a new byte */
    ntcp_tcp_conn *c;
    size_t n;
    CHECK_EQ_INT(ntcp_tcp_reasm_finish(r, &c, &n), NTCP_OK);
    CHECK_BYTES(c[0].dir[0].data.data, c[0].dir[0].data.len, "123456789a", 10);
    CHECK_EQ_INT(c[0].dir[0].ngaps, 0);
    CHECK_EQ_INT(c[0].dir[0].retransmitted, 2);
    CHECK_EQ_INT(c[0].dir[0].out_of_order, 1);
    ntcp_tcp_reasm_free(r);
}

TEST(tcp_reasm_gap_reported_with_offset)
{
    ntcp_tcp_reasm *r;
    CHECK_EQ_INT(ntcp_tcp_reasm_new(&r, 1 << 20), NTCP_OK);
    add(r, ctl(true, 1000, true, false, 1));
    add(r, seg(true, 1001, "abc", false, true, 2));
    add(r, seg(true, 1010, "xyz", false, true, 3)); /* bytes 3..8 never captured */
    ntcp_tcp_conn *c;
    size_t n;
    CHECK_EQ_INT(ntcp_tcp_reasm_finish(r, &c, &n), NTCP_OK);
    CHECK_BYTES(c[0].dir[0].data.data, c[0].dir[0].data.len, "abc", 3);
    CHECK_EQ_INT(c[0].dir[0].ngaps, 1);
    CHECK_EQ_INT(c[0].dir[0].gaps[0].offset, 3);
    CHECK_EQ_INT(c[0].dir[0].gaps[0].len, 6);
    CHECK_EQ_INT(c[0].dir[0].after_gap, 3);
    ntcp_tcp_reasm_free(r);
}

TEST(tcp_reasm_without_syn_and_sequence_wrap)
{
    ntcp_tcp_reasm *r;
    CHECK_EQ_INT(ntcp_tcp_reasm_new(&r, 1 << 20), NTCP_OK);
    /* no handshake captured; the service speaks first in the capture, the client's
     * bytes start with an MC-NMF preamble and cross the 2^32 wrap */
    add(r, seg(false, 77, "\x0a", false, true, 1));
    add(r, seg(true, 0xFFFFFFFEu, "\x00\x01", false, true, 2));
    add(r, seg(true, 0, "\x00\x02", false, true, 3));
    ntcp_tcp_conn *c;
    size_t n;
    CHECK_EQ_INT(ntcp_tcp_reasm_finish(r, &c, &n), NTCP_OK);
    CHECK(c[0].roles_guessed);
    CHECK_EQ_STR(c[0].endpoint[0], "10.0.0.1:50000");
    CHECK_BYTES(c[0].dir[0].data.data, c[0].dir[0].data.len, "\x00\x01\x00\x02", 4);
    CHECK_BYTES(c[0].dir[1].data.data, c[0].dir[1].data.len, "\x0a", 1);
    ntcp_tcp_reasm_free(r);
}

TEST(tcp_reasm_port_reuse_is_a_new_connection)
{
    ntcp_tcp_reasm *r;
    CHECK_EQ_INT(ntcp_tcp_reasm_new(&r, 1 << 20), NTCP_OK);
    add(r, ctl(true, 1000, true, false, 1));
    add(r, seg(true, 1001, "one", false, true, 2));
    ntcp_tcp_segment fin = ctl(true, 1004, false, true, 3);
    fin.fin = true;
    add(r, fin);
    add(r, ctl(true, 9000, true, false, 4));
    add(r, seg(true, 9001, "two", false, true, 5));
    ntcp_tcp_conn *c;
    size_t n;
    CHECK_EQ_INT(ntcp_tcp_reasm_finish(r, &c, &n), NTCP_OK);
    CHECK_EQ_INT(n, 2);
    CHECK_BYTES(c[0].dir[0].data.data, c[0].dir[0].data.len, "one", 3);
    CHECK(c[0].dir[0].fin);
    CHECK_BYTES(c[1].dir[0].data.data, c[1].dir[0].data.len, "two", 3);
    ntcp_tcp_reasm_free(r);
}

TEST(tcp_reasm_limit)
{
    ntcp_tcp_reasm *r;
    CHECK_EQ_INT(ntcp_tcp_reasm_new(&r, 4), NTCP_OK);
    add(r, ctl(true, 1000, true, false, 1));
    add(r, seg(true, 1001, "abc", false, true, 2));
    add(r, seg(true, 1004, "defg", false, true, 3));
    ntcp_tcp_conn *c;
    size_t n;
    CHECK_EQ_INT(ntcp_tcp_reasm_finish(r, &c, &n), NTCP_OK);
    CHECK_BYTES(c[0].dir[0].data.data, c[0].dir[0].data.len, "abc", 3);
    CHECK(c[0].dir[0].over_limit);
    ntcp_tcp_reasm_free(r);
}

/* ---- pcap files built here ---- */

static size_t put(uint8_t *p, const void *d, size_t n) { memcpy(p, d, n); return n; }

/* A classic little-endian pcap with one packet per call of add_pkt. */
typedef struct pc {
    uint8_t b[4096];
    size_t n;
} pc;

static void pc_init(pc *f, uint32_t linktype)
{
    uint32_t h[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 65535, linktype };
    f->n = put(f->b, h, sizeof h);
}

static void pc_add(pc *f, const uint8_t *pkt, size_t len, uint32_t sec)
{
    uint32_t h[4] = { sec, 0, (uint32_t)len, (uint32_t)len };
    f->n += put(f->b + f->n, h, sizeof h);
    f->n += put(f->b + f->n, pkt, len);
}

/* IPv4 + TCP with the given flags and payload; returns the length. */
static size_t ip4_tcp(uint8_t *p, bool c2s, uint32_t seq, uint8_t flags, const char *data, size_t dl)
{
    uint8_t ip[20] = { 0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 6, 0, 0, 127, 0, 0, 1, 127, 0, 0, 2 };
    ip[2] = (uint8_t)((40 + dl) >> 8);
    ip[3] = (uint8_t)(40 + dl);
    if (!c2s) {
        ip[15] = 2;
        ip[19] = 1;
    }
    uint8_t tcp[20] = { 0 };
    uint16_t sp = c2s ? 50000 : 808, dp = c2s ? 808 : 50000;
    tcp[0] = (uint8_t)(sp >> 8); tcp[1] = (uint8_t)sp; tcp[2] = (uint8_t)(dp >> 8); tcp[3] = (uint8_t)dp;
    tcp[4] = (uint8_t)(seq >> 24); tcp[5] = (uint8_t)(seq >> 16); tcp[6] = (uint8_t)(seq >> 8); tcp[7] = (uint8_t)seq;
    tcp[12] = 0x50;
    tcp[13] = flags;
    size_t n = put(p, ip, 20);
    n += put(p + n, tcp, 20);
    if (dl)
        n += put(p + n, data, dl);
    return n;
}

static void pc_conv(pc *f, const uint8_t *prefix, size_t plen)
{
    uint8_t pkt[256];
    struct { bool c2s; uint32_t seq; uint8_t flags; const char *d; size_t dl; } s[] = {
        { true, 100, 0x02, NULL, 0 }, { false, 700, 0x12, NULL, 0 }, { true, 101, 0x18, "\x00\x01\x00\x02", 4 },
        { false, 701, 0x18, "\x0a", 1 },
    };
    for (size_t i = 0; i < 4; i++) {
        size_t n = plen ? put(pkt, prefix, plen) : 0;
        n += ip4_tcp(pkt + n, s[i].c2s, s[i].seq, s[i].flags, s[i].d, s[i].dl);
        pc_add(f, pkt, n, (uint32_t)(1700000000 + i));
    }
}

static void check_conv(const uint8_t *data, size_t len, const char *what)
{
    ntcp_pcap p;
    ntcp_status st = ntcp_pcap_read(data, len, 1 << 20, &p);
    if (st != NTCP_OK || p.nconns != 1) {
        ntcp_test_fail(__FILE__, __LINE__, "%s: status %d, %zu connections (%s)", what, st, p.nconns, p.error);
        ntcp_pcap_free(&p);
        return;
    }
    CHECK_EQ_STR(p.conns[0].endpoint[0], "127.0.0.1:50000");
    CHECK_BYTES(p.conns[0].dir[0].data.data, p.conns[0].dir[0].data.len, "\x00\x01\x00\x02", 4);
    CHECK_BYTES(p.conns[0].dir[1].data.data, p.conns[0].dir[1].data.len, "\x0a", 1);
    CHECK_EQ_INT(p.conns[0].first_usec, 1700000000ll * 1000000);
    ntcp_pcap_free(&p);
}

TEST(pcap_link_layers)
{
    pc f;
    static const uint8_t eth[14] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00 };
    pc_init(&f, 1);
    pc_conv(&f, eth, sizeof eth);
    check_conv(f.b, f.n, "ethernet");
    static const uint8_t vlan[22] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x88, 0xa8, 0, 5, 0x81, 0x00, 0, 7, 0x08, 0x00 };
    pc_init(&f, 1);
    pc_conv(&f, vlan, sizeof vlan);
    check_conv(f.b, f.n, "802.1ad + 802.1Q");
    static const uint8_t null_le[4] = { 2, 0, 0, 0 };
    pc_init(&f, 0);
    pc_conv(&f, null_le, sizeof null_le);
    check_conv(f.b, f.n, "BSD loopback (DLT_NULL)");
    pc_init(&f, 101);
    pc_conv(&f, NULL, 0);
    check_conv(f.b, f.n, "raw IP");
    static const uint8_t sll[16] = { 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00 };
    pc_init(&f, 113);
    pc_conv(&f, sll, sizeof sll);
    check_conv(f.b, f.n, "Linux cooked v1");
    static const uint8_t sll2[20] = { 0x08, 0x00, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6 };
    pc_init(&f, 276);
    pc_conv(&f, sll2, sizeof sll2);
    check_conv(f.b, f.n, "Linux cooked v2");
}

TEST(pcap_ipv6_with_extension_header)
{
    pc f;
    pc_init(&f, 229);
    uint8_t pkt[256];
    for (int i = 0; i < 2; i++) {
        const char *d = i ? "\x00\x01\x00\x02" : NULL;
        size_t dl = d ? 4 : 0;
        uint8_t ip6[40] = { 0x60, 0, 0, 0, 0, 0, 0 /* hop-by-hop */, 64 };
        ip6[4] = 0;
        ip6[5] = (uint8_t)(8 + 20 + dl);
        ip6[23] = 1; /* ::1 */
        ip6[39] = 1;
        size_t n = put(pkt, ip6, 40);
        uint8_t hbh[8] = { 6, 0, 1, 4, 0, 0, 0, 0 };
        n += put(pkt + n, hbh, 8);
        uint8_t tcp[20] = { 0xc3, 0x50, 0x03, 0x28, 0, 0, 0, (uint8_t)(i ? 101 : 100), 0, 0, 0, 0, 0x50,
                            (uint8_t)(i ? 0x18 : 0x02) };
        n += put(pkt + n, tcp, 20);
        if (dl)
            n += put(pkt + n, d, dl);
        pc_add(&f, pkt, n, 1);
    }
    ntcp_pcap p;
    CHECK_EQ_INT(ntcp_pcap_read(f.b, f.n, 1 << 20, &p), NTCP_OK);
    CHECK_EQ_INT(p.nconns, 1);
    if (p.nconns == 1) {
        CHECK_EQ_STR(p.conns[0].endpoint[0], "[::1]:50000");
        CHECK_EQ_STR(p.conns[0].endpoint[1], "[::1]:808");
        CHECK_BYTES(p.conns[0].dir[0].data.data, p.conns[0].dir[0].data.len, "\x00\x01\x00\x02", 4);
    }
    ntcp_pcap_free(&p);
}

TEST(pcap_truncated_and_not_a_capture)
{
    pc f;
    static const uint8_t eth[14] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00 };
    pc_init(&f, 1);
    pc_conv(&f, eth, sizeof eth);
    ntcp_pcap p;
    /* cut inside the last packet: the first three still count */
    CHECK_EQ_INT(ntcp_pcap_read(f.b, f.n - 3, 1 << 20, &p), NTCP_OK);
    CHECK(p.truncated);
    CHECK_EQ_INT(p.packets, 3);
    CHECK(strstr(p.error, "truncated") != NULL);
    ntcp_pcap_free(&p);
    CHECK_EQ_INT(ntcp_pcap_read((const uint8_t *)"hello world", 11, 1 << 20, &p), NTCP_E_MALFORMED);
    ntcp_pcap_free(&p);
    CHECK(!ntcp_pcap_is_capture((const uint8_t *)"\x00\x01\x00\x01", 4));
    CHECK(ntcp_pcap_is_capture((const uint8_t *)"\x0a\x0d\x0d\x0a", 4));
    /* a link type not handled is named */
    pc_init(&f, 105); /* 802.11 */
    CHECK_EQ_INT(ntcp_pcap_read(f.b, f.n, 1 << 20, &p), NTCP_E_MALFORMED);
    CHECK(strstr(p.error, "link type 105") != NULL);
    ntcp_pcap_free(&p);
}

/* An NTLM data frame that is a bare 16-byte signature (no payload) is taken
 * apart without arithmetic on a NULL buffer and counted as a bad frame. */
TEST(passive_ntlm_bare_signature_frame)
{
    size_t n;
    unsigned char *d = ntcp_test_read_vector("fuzz/corpus/pcap/ntlm_sign.pcap", &n);
    CHECK(d != NULL);
    if (!d)
        return;
    ntcp_pcap p;
    CHECK_EQ_INT(ntcp_pcap_read(d, n, 1u << 20, &p), NTCP_OK);
    CHECK(p.nconns >= 1);
    const ntcp_tcp_conn *c = &p.conns[0];
    const uint8_t *cs = memmem(c->dir[0].data.data, c->dir[0].data.len, "application/negotiate", 21);
    CHECK(cs != NULL);
    if (!cs || p.nconns < 1) {
        ntcp_pcap_free(&p);
        free(d);
        return;
    }
    size_t off = (size_t)(cs - c->dir[0].data.data) + 21;
    /* the client's handshake records: [type 0x14..0x16][1][0][len BE16][token] */
    const uint8_t *s = c->dir[0].data.data + off;
    size_t left = c->dir[0].data.len - off, at = 0;
    while (at + 5 <= left && s[at] >= 0x14 && s[at] <= 0x16 && s[at + 1] == 1)
        at += 5 + ((size_t)s[at + 3] << 8 | s[at + 4]);
    CHECK(at + 4 + 16 <= left);
    uint8_t cut[4096];
    CHECK(at + 4 + 16 <= sizeof cut);
    if (at + 4 + 16 > left || at + 4 + 16 > sizeof cut) {
        ntcp_pcap_free(&p);
        free(d);
        return;
    }
    memcpy(cut, s, at);
    const uint8_t len16[4] = { 16, 0, 0, 0 };
    memcpy(cut + at, len16, 4);
    memcpy(cut + at + 4, s + at + 4, 16);
    const uint8_t *in[2] = { cut, c->dir[1].data.data + 1 };
    size_t len[2] = { at + 4 + 16, c->dir[1].data.len - 1 };
    uint64_t base[2] = { off, 1 };
    static const char *const pw[] = { "carol-Pw-2" };
    ntcp_passive_keys k = { NULL, pw, 1, NULL, 0 };
    ntcp_passive ps;
    CHECK_EQ_INT(ntcp_passive_decode(in, len, base, c->first_usec, &k, 1u << 20, &ps), NTCP_OK);
    CHECK(ps.handshake_done);
    CHECK_EQ_INT((int)ps.frames[0], 1);
    CHECK_EQ_INT((int)ps.bad_frames[0], 1);
    CHECK_EQ_INT((int)ps.plain[0].len, 0);
    ntcp_passive_free(&ps);
    ntcp_pcap_free(&p);
    free(d);
}
