/* Helpers shared by the xml tests: envelope extraction from the vector
 * files (SizedEnvelope records only) and canonical XML comparison. */
#ifndef NTCP_XML_TEST_UTIL_H
#define NTCP_XML_TEST_UTIL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct xt_envelope {
    bool to_server;   /* c>s / C->S */
    uint8_t *payload; /* the SizedEnvelope payload (malloc'd) */
    size_t len;
} xt_envelope;

/* Reads a vector file (NTCP_WCF_TRACE or
 * "vectors/mono-nettcp-exchange.hex") and returns its envelopes in order.
 * Returns the count (0 on failure); free with xt_free_envelopes. */
size_t xt_load_envelopes(const char *rel, xt_envelope *out, size_t max);
void xt_free_envelopes(xt_envelope *e, size_t n);
/* Canonical form (libxml2 C14N, blanks between elements removed) of an XML
 * text; malloc'd, NULL if it does not parse. */
char *xt_canonical(const char *xml, size_t len);
/* true when both texts have the same canonical form */
bool xt_same_xml(const char *a, size_t alen, const char *b, size_t blen);
#endif
