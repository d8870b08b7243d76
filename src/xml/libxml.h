/* libxml2 set up once for the whole process (private): its global state is
 * initialized lazily and not thread-safe on first use unless xmlInitParser
 * ran first, so every use goes through this. */
#ifndef NETTCP_XML_LIBXML_H
#define NETTCP_XML_LIBXML_H
#include <stdbool.h>
#include <nettcp/xml.h>
void ntcp__libxml_init(void);
/* Tests: true sends every text fragment through libxml2 (src/xml/text.c). */
extern bool ntcp__xml_text_fast_off;
/* The fast path of ntcp_xml_writer_text_xml: NTCP_E_UNSUPPORTED (nothing
 * written) for a fragment it leaves to libxml2. */
ntcp_status ntcp__xml_text_fast(ntcp_xml_writer *w, const char *text, size_t len);
#endif
