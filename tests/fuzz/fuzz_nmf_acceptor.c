/* libFuzzer target: the MC-NMF acceptor state machine with WCF's validation
 * and a pass-through stream upgrade, fed client bytes in pieces. Whatever
 * arrives, the acceptor must answer with well-formed framing output: every
 * byte it wrote is decoded again as records from a receiver. */
#include <stdlib.h>
#include <string.h>
#include <nettcp/framing.h>
#include "count_alloc.h"
#include "framing_check.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fz_count_allocations();
    return 0;
}

static bool served(void *ctx, const char *via)
{
    (void)ctx;
    return strlen(via) % 3 != 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t step = (data[0] & 0x1F) + 1;
    ntcp_framing_acceptor_config ac;
    ntcp_framing_acceptor_config_init(&ac);
    ac.modes = 0x1E;
    ac.encodings = 0x1FF;
    ac.via_served = served;
    ac.upgrade_name = NTCP_UPGRADE_NEGOTIATE;
    ac.require_upgrade = data[0] & 0x20;
    ntcp_framing_limits lim;
    ntcp_framing_limits_init(&lim);
    lim.max_message = 2048;
    ntcp_framing *f;
    if (ntcp_framing_new_acceptor(&f, &ac, &lim))
        return 0;
    bool done = false;
    ntcp_stream up = { NTCP_UPGRADE_NEGOTIATE, &done, NULL, pt_recv, pt_send, pt_established, NULL, NULL, NULL };
    data++;
    size--;
    size_t off = 0;
    int guard = 0;
    while (off < size && guard++ < 100000) {
        size_t len = size - off < step ? size - off : step;
        size_t used = 0;
        ntcp_framing_event ev;
        ntcp_status st = ntcp_framing_feed(f, data + off, len, &used, &ev);
        if (used > len)
            abort();
        off += used;
        if (st == NTCP_OK) {
            if (ev.type == NTCP_FEV_PREAMBLE) {
                done = false;
                ntcp_framing_set_upgrade(f, &up);
            }
            if (ev.type == NTCP_FEV_ENVELOPE && ev.len > 2 && ev.data[0] == 'E')
                (void)!ntcp_framing_send_envelope(f, ev.data, ev.len);
            if (ev.type == NTCP_FEV_END)
                (void)!ntcp_framing_send_end(f);
            continue;
        }
        if (st != NTCP_AGAIN)
            break;
        if (used == 0 && len == 0)
            break;
    }
    ntcp_framing_event ev;
    (void)!ntcp_framing_feed_eof(f, &ev);
    const uint8_t *o;
    size_t on;
    ntcp_framing_output(f, &o, &on);
    check_framing_output(o, on, NTCP_FROM_RECEIVER);
    ntcp_framing_free(f);
    if (fz_live_allocations() != 0)
        __builtin_trap();
    return 0;
}
