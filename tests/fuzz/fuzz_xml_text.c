/* libFuzzer target: the text-XML input path (libxml2 -> our binary writer):
 * ntcp_xml_from_text for whole documents and ntcp_xml_writer_text_xml for
 * body content, with and without a session dictionary. Whatever text is
 * accepted is written as binary XML that our reader decodes again (unless a
 * reader quota, smaller than what the writer takes, refuses it). */
#include <stdlib.h>
#include <string.h>
#include <nettcp/xml.h>
#include "count_alloc.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fz_count_allocations();
    return 0;
}

static void check_decodes(const ntcp_buf *bin, ntcp_xml_session *in)
{
    ntcp_buf text;
    ntcp_buf_init(&text, 1 << 24);
    ntcp_xml_text_options opt;
    ntcp_xml_text_options_init(&opt);
    opt.limits.max_size = 1 << 24;
    ntcp_status s = in ? ntcp_xml_session_decode_to_text(bin->data, bin->len, in, &opt, &text)
                       : ntcp_xml_to_text(bin->data, bin->len, NULL, &opt, &text);
    if (s != NTCP_OK && ntcp_status_category(s) != NTCP_CAT_QUOTA)
        __builtin_trap(); /* our writer's output is not readable by our reader */
    ntcp_buf_free(&text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t cfg = data[0];
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    bool session = cfg & 1;
    ntcp_xml_session *out_s = NULL, *in_s = NULL;
    if (session && (ntcp_xml_session_new(&out_s, 2048) || ntcp_xml_session_new(&in_s, 2048)))
        abort();
    ntcp_xml_writer *w;
    if (ntcp_xml_writer_new(&w, NULL, out_s))
        abort();
    ntcp_buf bin;
    ntcp_buf_init(&bin, 1 << 24);
    if (!(cfg & 2)) {
        if (ntcp_xml_from_text(text, len, w, &bin) == NTCP_OK)
            check_decodes(&bin, in_s);
    } else {
        /* body content inside <Body>, as a SOAP body is written */
        ntcp_xml_name body = { { "", 0 }, { "Body", 4 }, NTCP_XML_KEY_AUTO, 0 };
        if (ntcp_xml_writer_start_element(w, &body) == NTCP_OK && ntcp_xml_writer_text_xml(w, text, len) == NTCP_OK &&
            ntcp_xml_writer_end_element(w) == NTCP_OK && ntcp_xml_writer_finish(w, &bin) == NTCP_OK)
            check_decodes(&bin, in_s);
    }
    ntcp_buf_free(&bin);
    ntcp_xml_writer_free(w);
    ntcp_xml_session_free(out_s);
    ntcp_xml_session_free(in_s);
    if (fz_live_allocations() != 0)
        __builtin_trap();
    return 0;
}
