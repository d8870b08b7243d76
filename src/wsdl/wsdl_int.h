/* What the schema-driven calls (schema.c) read from a loaded WSDL. */
#ifndef NTCP_WSDL_INT_H
#define NTCP_WSDL_INT_H
#include <libxml/tree.h>
#include <nettcp/wsdl.h>

#define NTCP_NS_XSD "http://www.w3.org/2001/XMLSchema"

/* A top-level xsd:KIND ("element", "complexType", "simpleType") named
 * {ns}local in any loaded schema, or NULL. */
xmlNode *ntcp__wsdl_find_xsd(const ntcp_wsdl *w, const char *kind, const char *ns, const char *local);
/* A QName attribute value resolved against n's namespaces: 0, or -1 (no such prefix). */
int ntcp__wsdl_qname(const xmlNode *n, const char *value, const char **ns, const char **local);
#endif
