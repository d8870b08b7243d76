/* libFuzzer target: the capture loader (tools/capture.c) behind
 * `nettcp decode` -- raw bytes or the hex trace formats, detected -- then
 * each direction decoded as MC-NMF records, as the CLI does. Checked: each
 * direction stays within max_bytes, a hex error names a line inside the
 * input, the format name is known, and loading is deterministic. */
#include <stdlib.h>
#include <string.h>
#include "capture.h" /* tools/: the CLI's capture loader */
#include <nettcp/framing.h>
#include "count_alloc.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fz_count_allocations();
    return 0;
}

static void decode(const ntcp_buf *b, ntcp_nmf_direction dir)
{
    ntcp_framing_limits lim = NTCP_FRAMING_LIMITS_OFFLINE;
    ntcp_nmf_decoder *d;
    if (ntcp_nmf_decoder_new(&d, dir, NTCP_START_PREAMBLE, &lim))
        abort();
    size_t off = 0;
    while (off < b->len) {
        size_t used = 0;
        ntcp_nmf_record r;
        ntcp_status st = ntcp_nmf_decoder_feed(d, b->data + off, b->len - off, &used, &r);
        off += used;
        if (st == NTCP_E_STATE && ntcp_nmf_decoder_at_upgrade(d))
            break; /* the rest is the upgrade's */
        if (st != NTCP_OK)
            break;
    }
    ntcp_nmf_record r;
    bool have;
    (void)!ntcp_nmf_decoder_finish(d, &r, &have);
    ntcp_nmf_decoder_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const size_t max = 4096;
    size_t lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    ntcp_capture a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    ntcp_status sa = ntcp_capture_load(&a, data, size, max);
    ntcp_status sb = ntcp_capture_load(&b, data, size, max);
    if (sa != sb || a.format != b.format || a.error_line != b.error_line)
        __builtin_trap();
    if (!strcmp(ntcp_capture_format_name(a.format), "unknown"))
        __builtin_trap();
    if (sa == NTCP_E_MALFORMED && (a.error_line == 0 || a.error_line > lines))
        __builtin_trap();
    if (sa == NTCP_OK) {
        for (int d = 0; d < 2; d++) {
            if (a.dir[d].len > max || a.dir[d].len != b.dir[d].len ||
                (a.dir[d].len && memcmp(a.dir[d].data, b.dir[d].data, a.dir[d].len)))
                __builtin_trap();
            if (!a.has[d] && a.dir[d].len)
                __builtin_trap();
            decode(&a.dir[d], d ? NTCP_FROM_RECEIVER : NTCP_FROM_INITIATOR);
        }
    }
    ntcp_capture_free(&a);
    ntcp_capture_free(&b);
    if (fz_live_allocations() != 0)
        __builtin_trap();
    return 0;
}
