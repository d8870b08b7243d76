/* libFuzzer: a sequence of NBFSE payloads in one direction, each framed as
 * [u16 little-endian length][payload], decoded with one session dictionary
 * carried across them (as a framing session would). */
#include <stdlib.h>
#include <string.h>
#include <nettcp/xml.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ntcp_xml_session *s;
    if (ntcp_xml_session_new(&s, 0))
        abort();
    size_t off = 0;
    while (off + 2 <= size) {
        size_t n = (size_t)data[off] | (size_t)data[off + 1] << 8;
        off += 2;
        if (n > size - off)
            n = size - off;
        uint32_t before = ntcp_xml_session_used(s);
        ntcp_buf out;
        ntcp_buf_init(&out, 1 << 24);
        if (ntcp_xml_session_decode_to_text(data + off, n, s, NULL, &out)) {
        } /* refusing is fine; only the session bounds are checked */
        if (ntcp_xml_session_used(s) > 2048 || ntcp_xml_session_used(s) < before)
            abort();
        ntcp_buf_free(&out);
        off += n;
    }
    ntcp_xml_session_free(s);
    return 0;
}
