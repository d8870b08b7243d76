/* libFuzzer target: the MC-NMF record decoder, both directions, both start
 * points, input split into pieces whose size comes from the first byte. The
 * same input fed whole must give the same records. */
#include <stdlib.h>
#include <string.h>
#include <nettcp/framing.h>

static size_t run(const uint8_t *p, size_t n, int dir, int start, size_t step, uint32_t *hash)
{
    ntcp_framing_limits lim;
    ntcp_framing_limits_init(&lim);
    lim.max_message = 4096;
    ntcp_nmf_decoder *d;
    if (ntcp_nmf_decoder_new(&d, dir ? NTCP_FROM_RECEIVER : NTCP_FROM_INITIATOR,
                             start ? NTCP_START_AFTER_UPGRADE : NTCP_START_PREAMBLE, &lim))
        return 0;
    size_t off = 0, records = 0;
    *hash = 2166136261u;
    while (off < n) {
        size_t len = step && n - off > step ? step : n - off;
        size_t used = 0;
        ntcp_nmf_record r;
        ntcp_status st = ntcp_nmf_decoder_feed(d, p + off, len, &used, &r);
        if (used > len)
            abort();
        off += used;
        if (st == NTCP_OK) {
            records++;
            *hash = (*hash ^ (uint32_t)r.type ^ (uint32_t)r.size * 31u ^ (uint32_t)r.offset) * 16777619u;
            for (size_t i = 0; i < r.size; i++) /* touch every payload byte */
                *hash = (*hash ^ r.data[i]) * 16777619u;
            continue;
        }
        if (st == NTCP_E_STATE && ntcp_nmf_decoder_at_upgrade(d)) {
            ntcp_nmf_decoder_resume_after_upgrade(d);
            continue;
        }
        if (st != NTCP_AGAIN)
            break;
    }
    ntcp_nmf_record r;
    bool have;
    (void)!ntcp_nmf_decoder_finish(d, &r, &have);
    ntcp_nmf_decoder_free(d);
    return records;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t step = data[0] & 0x0F;
    int dir = (data[0] >> 4) & 1, start = (data[0] >> 5) & 1;
    uint32_t h1, h2;
    size_t a = run(data + 1, size - 1, dir, start, step ? step : 1, &h1);
    size_t b = run(data + 1, size - 1, dir, start, 0, &h2);
    if (a != b || h1 != h2)
        abort(); /* piecewise and whole decoding must agree */
    return 0;
}
