/* libxml2 set up once for the whole process (private): its global state is
 * initialized lazily and not thread-safe on first use unless xmlInitParser
 * ran first, so every use goes through this. */
#ifndef NETTCP_XML_LIBXML_H
#define NETTCP_XML_LIBXML_H
void ntcp__libxml_init(void);
#endif
