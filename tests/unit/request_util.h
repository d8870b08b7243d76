/* Requests of the session tests (test_workers, test_session_flow): request
 * i carries MessageID urn:uuid:00000000-0000-4000-8000-<i in 12 digits>,
 * ReplyTo anonymous and the body <I xmlns="urn:t">i</I>. */
#ifndef NTCP_REQUEST_UTIL_H
#define NTCP_REQUEST_UTIL_H
#include <stddef.h>
#include <nettcp/xml.h>

void rq_id(char *id, size_t cap, int i);
/* request i for action, written by w into out (initialised here; free it) */
ntcp_status rq_write(ntcp_xml_writer *w, const char *action, int i, ntcp_buf *out);
#endif
