/* libFuzzer target: the client side of MC-NMF (the initiator state machine)
 * fed what a service answers, in pieces. Byte 0: bits 0-4 piece size, bit 5
 * asks for a (pass-through) upgrade, bits 6-7 the mode. The client sends an
 * envelope once the preamble completes and End after a reply; whatever it
 * receives, every byte it writes must decode as well-formed framing from an
 * initiator. */
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const ntcp_nmf_mode modes[4] = { NTCP_MODE_DUPLEX, NTCP_MODE_SIMPLEX, NTCP_MODE_SINGLETON_UNSIZED,
                                            NTCP_MODE_DUPLEX };
    size_t step = (data[0] & 0x1F) + 1;
    ntcp_framing_initiator_config ic;
    ntcp_framing_initiator_config_init(&ic);
    ic.via = "net.tcp://fuzz.example/service";
    ic.mode = modes[data[0] >> 6];
    ic.upgrade_name = (data[0] & 0x20) ? NTCP_UPGRADE_NEGOTIATE : NULL;
    ntcp_framing_limits lim;
    ntcp_framing_limits_init(&lim);
    lim.max_message = 4096;
    ntcp_framing *f;
    if (ntcp_framing_new_initiator(&f, &ic, &lim))
        abort();
    bool done = false;
    ntcp_stream up = { NTCP_UPGRADE_NEGOTIATE, &done, NULL, pt_recv, pt_send, pt_established, NULL, NULL, NULL };
    if (ic.upgrade_name)
        ntcp_framing_set_upgrade(f, &up);
    if (ntcp_framing_start(f))
        abort();
    data++;
    size--;
    size_t off = 0;
    int guard = 0;
    bool sent = false, ended = false;
    while (guard++ < 100000) {
        size_t len = size - off < step ? size - off : step;
        size_t used = 0;
        ntcp_framing_event ev;
        ntcp_status st = ntcp_framing_feed(f, data + off, len, &used, &ev);
        if (used > len)
            __builtin_trap();
        off += used;
        if (st == NTCP_OK) {
            if (ev.type == NTCP_FEV_PREAMBLE_COMPLETE && !sent) {
                sent = true;
                (void)!ntcp_framing_send_envelope(f, (const uint8_t *)"\x56\x02request", 9);
            }
            if (ev.type == NTCP_FEV_ENVELOPE && !ended && ic.mode == NTCP_MODE_DUPLEX) {
                ended = true;
                (void)!ntcp_framing_send_end(f);
            }
            continue;
        }
        if (st != NTCP_AGAIN || off >= size)
            break;
    }
    ntcp_framing_event ev;
    (void)!ntcp_framing_feed_eof(f, &ev);
    (void)ntcp_framing_last_error(f);
    const uint8_t *o;
    size_t on;
    ntcp_framing_output(f, &o, &on);
    check_framing_output(o, on, NTCP_FROM_INITIATOR);
    ntcp_framing_free(f);
    if (fz_live_allocations() != 0)
        __builtin_trap();
    return 0;
}
