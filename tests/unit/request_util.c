#include <stdio.h>
#include <string.h>
#include <nettcp/soap.h>
#include "request_util.h"

void rq_id(char *id, size_t cap, int i) { snprintf(id, cap, "urn:uuid:00000000-0000-4000-8000-%012d", i); }

ntcp_status rq_write(ntcp_xml_writer *w, const char *action, int i, ntcp_buf *out)
{
    char id[64], body[64];
    rq_id(id, sizeof id, i);
    snprintf(body, sizeof body, "<I xmlns=\"urn:t\">%d</I>", i);
    ntcp_soap_out m = { 0 };
    m.action = action;
    m.message_id = id;
    m.reply_to_anonymous = true;
    m.body = body;
    m.body_len = strlen(body);
    ntcp_buf_init(out, 1 << 20);
    return ntcp_soap_write(w, &m, out);
}
