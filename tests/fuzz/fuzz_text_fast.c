/* libFuzzer target: text XML -> binary XML through the fast path of
 * ntcp_xml_writer_text_xml (simple fragments parsed without libxml2) against
 * libxml2's path for the same text: the same status and, when accepted, the
 * same bytes (document and session strings), whatever the writer's limits. */
#include <stdlib.h>
#include <string.h>
#include <nettcp/xml.h>
#include "xml/libxml.h"
#include "count_alloc.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fz_count_allocations();
    return 0;
}

/* Writes <Body>text</Body>; returns the status, out the payload. */
static ntcp_status write_one(const char *text, size_t len, uint8_t cfg, bool fast, ntcp_buf *out)
{
    ntcp_xml_session *s = NULL;
    if ((cfg & 1) && ntcp_xml_session_new(&s, cfg & 2 ? 40 : 2048))
        abort();
    ntcp_xml_writer_options o;
    ntcp_xml_writer_options_init(&o);
    if (cfg & 4)
        o.limits.max_depth = 3;
    if (cfg & 8)
        o.limits.max_string_len = 5;
    if (cfg & 16)
        o.limits.max_size = 64;
    ntcp_xml_writer *w;
    if (ntcp_xml_writer_new(&w, &o, s))
        abort();
    ntcp__xml_text_fast_off = !fast;
    ntcp_xml_name body = { { "s", 1 }, { "Body", 4 }, NTCP_XML_KEY_AUTO, 0 };
    ntcp_status st = ntcp_xml_writer_start_element(w, &body);
    if (!st)
        st = ntcp_xml_writer_text_xml(w, text, len);
    if (!st)
        st = ntcp_xml_writer_end_element(w);
    if (!st)
        st = ntcp_xml_writer_finish(w, out);
    ntcp__xml_text_fast_off = false;
    ntcp_xml_writer_free(w);
    ntcp_xml_session_free(s);
    return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    ntcp_buf a, b;
    ntcp_buf_init(&a, 1 << 24);
    ntcp_buf_init(&b, 1 << 24);
    ntcp_status sa = write_one((const char *)data + 1, size - 1, data[0], true, &a);
    ntcp_status sb = write_one((const char *)data + 1, size - 1, data[0], false, &b);
    if (sa != sb || (sa == NTCP_OK && (a.len != b.len || memcmp(a.data, b.data, a.len))))
        __builtin_trap(); /* the fast path differs from libxml2's */
    ntcp_buf_free(&a);
    ntcp_buf_free(&b);
    if (fz_live_allocations() != 0)
        __builtin_trap();
    return 0;
}
