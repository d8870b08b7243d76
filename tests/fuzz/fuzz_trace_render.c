/* libFuzzer: envelopes as message logging renders them (and as a service
 * looks for the ActivityId header in): a sequence of NBFSE payloads, each
 * [u16 little-endian length][payload], with one session dictionary carried
 * across them; the first byte chooses whether bodies are kept. */
#include <stdlib.h>
#include <string.h>
#include "channel/trace_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    bool entire = data[0] & 1;
    ntcp_xml_session *s;
    if (ntcp_xml_session_new(&s, 0))
        abort();
    size_t off = 1;
    while (off + 2 <= size) {
        size_t n = (size_t)data[off] | (size_t)data[off + 1] << 8;
        off += 2;
        if (n > size - off)
            n = size - off;
        ntcp__rendered r;
        if (ntcp__trace_render(data + off, n, s, entire, &r) == NTCP_OK) {
            if (!r.envelope || strlen(r.activity_id) > 36)
                abort();
            ntcp__rendered_clear(&r);
        }
        off += n;
    }
    ntcp_xml_session_free(s);
    return 0;
}
