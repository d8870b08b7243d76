/* Shared by the framing fuzz targets: a pass-through stream upgrade whose
 * "handshake" is the first byte received (and sends nothing), and a check
 * that bytes a framing state machine wrote are well-formed MC-NMF for their
 * direction, across the upgrade boundary. */
#ifndef FUZZ_FRAMING_CHECK_H
#define FUZZ_FRAMING_CHECK_H
#include <stdlib.h>
#include <nettcp/framing.h>

static ntcp_status pt_recv(void *ctx, const uint8_t *raw, size_t len, size_t *consumed, ntcp_buf *plain,
                           ntcp_buf *out)
{
    bool *done = ctx;
    *consumed = len;
    if (!*done && len) { /* the first byte completes the "handshake" */
        *done = true;
        raw++;
        len--;
    }
    return ntcp_buf_append(plain, raw, len) ? NTCP_E_LIMIT : NTCP_AGAIN;
}
static ntcp_status pt_send(void *ctx, const uint8_t *p, size_t len, ntcp_buf *out)
{
    (void)ctx;
    return ntcp_buf_append(out, p, len);
}
static bool pt_established(void *ctx) { return *(bool *)ctx; }

/* Decodes out (what one side wrote) as MC-NMF from that side; traps unless
 * every byte decodes to whole records. */
static void check_framing_output(const uint8_t *out, size_t len, ntcp_nmf_direction dir)
{
    ntcp_framing_limits lim = NTCP_FRAMING_LIMITS_OFFLINE;
    ntcp_nmf_decoder *d;
    if (ntcp_nmf_decoder_new(&d, dir, NTCP_START_PREAMBLE, &lim))
        abort();
    size_t off = 0;
    while (off < len) {
        size_t used = 0;
        ntcp_nmf_record r;
        ntcp_status st = ntcp_nmf_decoder_feed(d, out + off, len - off, &used, &r);
        off += used;
        if (st == NTCP_OK)
            continue;
        if (st == NTCP_E_STATE && ntcp_nmf_decoder_at_upgrade(d)) {
            ntcp_nmf_decoder_resume_after_upgrade(d);
            continue;
        }
        if (st == NTCP_AGAIN && off == len)
            break;
        __builtin_trap(); /* we wrote something that is not MC-NMF */
    }
    ntcp_nmf_record r;
    bool have = false;
    if (ntcp_nmf_decoder_finish(d, &r, &have) != NTCP_OK)
        __builtin_trap(); /* we stopped writing inside a record */
    ntcp_nmf_decoder_free(d);
}
#endif
