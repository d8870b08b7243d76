/* libFuzzer target: the SOAP reader every service and client runs on each
 * message (ntcp_soap_read / ntcp_soap_read_session, body rendered as text),
 * over NBFSE sessions too, and what it read written back and read again
 * (fuzz_soap_read covers the envelope's slices).
 * Byte 0: bit 0 NBFSE payloads with one session dictionary carried across
 * them (each [u16 little-endian length][payload]), else one NBFX document;
 * bit 1 indented body; bit 2 an `understood` header list.
 * What the reader accepts, the writer can write back (the body through the
 * text-XML path), and that reads again to the same addressing and body. */
#include <stdlib.h>
#include <string.h>
#include <nettcp/soap.h>
#include "count_alloc.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fz_count_allocations();
    return 0;
}

static bool same(const char *a, const char *b) { return (!a && !b) || (a && b && !strcmp(a, b)); }

/* Writes m back (no session) and reads it again. */
static void round_trip(const ntcp_soap_msg *m, const ntcp_xml_limits *lim)
{
    ntcp_xml_writer *w;
    if (ntcp_xml_writer_new(&w, NULL, NULL))
        abort();
    ntcp_soap_out o = { 0 };
    o.action = m->action ? m->action : "urn:none";
    o.message_id = m->message_id;
    o.relates_to = m->relates_to;
    o.to = m->to;
    o.reply_to_anonymous = m->reply_to != NULL;
    o.body = (const char *)m->body.data;
    o.body_len = m->body.len;
    ntcp_buf out;
    ntcp_buf_init(&out, 1 << 22);
    ntcp_status s = ntcp_soap_write(w, &o, &out);
    if (s == NTCP_OK) {
        ntcp_soap_msg again;
        ntcp_soap_msg_init(&again);
        ntcp_xml_limits big = *lim;
        big.max_size = 1 << 22;
        s = ntcp_soap_read(out.data, out.len, NULL, &big, NULL, 0, &again);
        if (s == NTCP_OK) {
            if (!same(again.action, o.action) || !same(again.message_id, m->message_id) ||
                !same(again.relates_to, m->relates_to) || !same(again.to, m->to))
                __builtin_trap(); /* addressing changed on the way */
        } else if (ntcp_status_category(s) != NTCP_CAT_QUOTA) {
            __builtin_trap(); /* what we wrote, we cannot read */
        }
        ntcp_soap_msg_clear(&again);
    }
    ntcp_buf_free(&out);
    ntcp_xml_writer_free(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t cfg = data[0];
    data++;
    size--;
    static const char *const understood[] = { "{urn:fuzz}Known", "{http://tempuri.org/}Session", NULL };
    ntcp_xml_limits lim;
    ntcp_xml_limits_init(&lim);
    unsigned indent = (cfg & 2) ? 2 : 0;
    const char *const *u = (cfg & 4) ? understood : NULL;
    ntcp_soap_msg m;
    if (!(cfg & 1)) {
        ntcp_soap_msg_init(&m);
        if (ntcp_soap_read(data, size, NULL, &lim, u, indent, &m) == NTCP_OK && !m.is_fault)
            round_trip(&m, &lim);
        ntcp_soap_msg_clear(&m);
    } else {
        ntcp_xml_session *s;
        if (ntcp_xml_session_new(&s, lim.max_session_size))
            abort();
        size_t off = 0;
        while (off + 2 <= size) {
            size_t n = (size_t)data[off] | (size_t)data[off + 1] << 8;
            off += 2;
            if (n > size - off)
                n = size - off;
            ntcp_soap_msg_init(&m);
            if (ntcp_soap_read_session(data + off, n, s, &lim, u, indent, &m) == NTCP_OK && !m.is_fault)
                round_trip(&m, &lim);
            ntcp_soap_msg_clear(&m);
            off += n;
        }
        ntcp_xml_session_free(s);
    }
    if (fz_live_allocations() != 0)
        __builtin_trap();
    return 0;
}
