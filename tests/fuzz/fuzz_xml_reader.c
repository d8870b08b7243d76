/* libFuzzer: one NBFX document. Decode to text; re-encode the node stream;
 * the re-encoded document must decode to the same text. */
#include <stdlib.h>
#include <string.h>
#include <nettcp/xml.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ntcp_status text_of(const uint8_t *d, size_t n, ntcp_buf *out)
{
    ntcp_xml_text_options opt;
    ntcp_xml_text_options_init(&opt);
    opt.indent = 1;
    return ntcp_xml_to_text(d, n, NULL, &opt, out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ntcp_buf t1, t2, enc;
    ntcp_buf_init(&t1, 1 << 24);
    ntcp_buf_init(&t2, 1 << 24);
    ntcp_buf_init(&enc, 1 << 24);
    ntcp_status st = text_of(data, size, &t1);
    if (st == NTCP_OK) {
        ntcp_xml_reader *r;
        ntcp_xml_writer *w;
        if (ntcp_xml_reader_new(&r, NULL, NULL) || ntcp_xml_writer_new(&w, NULL, NULL))
            abort();
        if (ntcp_xml_reader_reset(r, data, size))
            abort();
        ntcp_xml_node n;
        while ((st = ntcp_xml_reader_next(r, &n)) == NTCP_OK && n.type != NTCP_XML_NODE_EOF)
            if (ntcp_xml_writer_node(w, &n) != NTCP_OK)
                abort(); /* whatever the reader accepts, the writer can write */
        if (st || ntcp_xml_writer_finish(w, &enc))
            abort();
        if (text_of(enc.data, enc.len, &t2) != NTCP_OK || t1.len != t2.len || memcmp(t1.data, t2.data, t1.len))
            abort();
        ntcp_xml_writer_free(w);
        ntcp_xml_reader_free(r);
    }
    ntcp_buf_free(&t1);
    ntcp_buf_free(&t2);
    ntcp_buf_free(&enc);
    return 0;
}
