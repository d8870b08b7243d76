/* libFuzzer: one NBFX document as a service or a client reads a SOAP
 * envelope: the addressing headers, every header block's slice, a fault
 * (subcodes, detail), the Body's slice and its text; then each slice read
 * again as a fragment, as ntcp_call_body / ntcp_call_header read it. */
#include <stdlib.h>
#include <string.h>
#include <nettcp/soap.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void drain(ntcp_xml_reader *r, const uint8_t *p, size_t n)
{
    if (ntcp_xml_reader_reset_fragment(r, p, n))
        return;
    for (int i = 0; i < 100000; i++) {
        ntcp_xml_node node;
        if (ntcp_xml_reader_next(r, &node) || node.type == NTCP_XML_NODE_EOF)
            return;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ntcp_xml_limits lim;
    ntcp_xml_limits_init(&lim);
    ntcp_soap_msg m;
    ntcp_soap_msg_init(&m);
    if (ntcp_soap_read_envelope(data, size, NULL, &lim, &m) == NTCP_OK) {
        ntcp_xml_reader *r;
        if (ntcp_xml_reader_new(&r, &lim, NULL))
            abort();
        if (m.body_doc < data || m.body_doc + m.body_doc_len > data + size)
            abort(); /* a slice must lie in the document */
        drain(r, m.body_doc, m.body_doc_len);
        for (size_t i = 0; i < m.nheaders; i++) {
            if (m.headers[i].offset + m.headers[i].len > size)
                abort();
            drain(r, data + m.headers[i].offset, m.headers[i].len);
        }
        ntcp_xml_reader_free(r);
    }
    ntcp_soap_msg_clear(&m);
    static const char *const understood[] = { "{urn:nettcp:sample}Tenant", NULL };
    ntcp_soap_msg_init(&m);
    (void)ntcp_soap_read(data, size, NULL, &lim, understood, 2, &m);
    ntcp_soap_msg_clear(&m);
    return 0;
}
