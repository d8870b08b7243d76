/* Internal to src/xml. */
#ifndef NTCP_XML_INTERNAL_H
#define NTCP_XML_INTERNAL_H
#include <nettcp/xml.h>
#include "util/reader.h"

/* Resolves a DictionaryString key (static or session); NULL if unknown. */
const char *ntcp_xml__dict_string(const ntcp_xml_session *s, uint32_t key, uint32_t *len);
/* Reads one text record body for record code `rec` (even or odd) into v.
 * Lists are parsed here too (items validated, v->s = raw items). Errors go
 * to r (sticky). */
void ntcp_xml__read_text(ntcp_reader *r, uint8_t rec, const ntcp_xml_session *s, const ntcp_xml_limits *lim,
                         ntcp_xml_value *v, bool *with_end);
/* ntcp_xml_value_format with a session for list items that use session keys. */
ntcp_status ntcp_xml__format(const ntcp_xml_value *v, const ntcp_xml_format_options *opt,
                             const ntcp_xml_session *s, ntcp_buf *out);
/* Size of one array item for an array record type, 0 if not an array type. */
uint32_t ntcp_xml__array_item_size(uint8_t rec);
/* The value the writer's text choices give an attribute value from text XML
 * (s must outlive v). */
ntcp_status ntcp_xml__attr_text_value(const char *s, size_t len, ntcp_xml_value *v);
#endif
