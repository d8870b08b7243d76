/* libFuzzer target for captures: pcap/pcapng through libpcap, link layers,
 * IPv4/IPv6, TCP reassembly, then each connection's NegotiateStream bytes
 * taken apart as `nettcp decode` does (with an NTLM password, so the NTLM
 * key schedule and frame checks run too). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <nettcp/pcap.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ntcp_pcap p;
    if (ntcp_pcap_read(data, size, 1u << 16, &p) == NTCP_OK) {
        static const char *const pw[] = { "carol-Pw-2" };
        ntcp_passive_keys k = { NULL, pw, 1, NULL, 0 };
        for (size_t i = 0; i < p.nconns; i++) {
            const ntcp_tcp_conn *c = &p.conns[i];
            (void)ntcp_tcp_time_at(&c->dir[0], 10);
            /* the NegotiateStream part starts after the 39-byte preamble our client sends and
             * the 1-byte UpgradeResponse; elsewhere at 0 */
            size_t up[2] = { 0, 0 };
            if (c->dir[0].data.len > 39 && c->dir[0].data.data[0] == 0 && c->dir[1].data.len > 1 &&
                c->dir[1].data.data[0] == 0x0A) {
                const uint8_t *u = memmem(c->dir[0].data.data, c->dir[0].data.len, "application/negotiate", 21);
                if (u) {
                    up[0] = (size_t)(u - c->dir[0].data.data) + 21;
                    up[1] = 1;
                }
            }
            static const uint8_t none[1];
            const uint8_t *in[2] = { c->dir[0].data.len ? c->dir[0].data.data + up[0] : none,
                                     c->dir[1].data.len ? c->dir[1].data.data + up[1] : none };
            size_t len[2] = { c->dir[0].data.len - up[0], c->dir[1].data.len - up[1] };
            uint64_t base[2] = { up[0], up[1] };
            ntcp_passive ps;
            /* a cause, when there is one, is one of the table's */
            if (ntcp_passive_decode(in, len, base, c->first_usec, &k, 1u << 16, &ps) == NTCP_OK &&
                (unsigned)ps.cause >= NTCP_CAUSE_COUNT)
                abort();
            ntcp_passive_free(&ps);
        }
    }
    ntcp_pcap_free(&p);
    return 0;
}
