#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/c14n.h>
#include "test.h"
#include "xml_test_util.h"
#include <nettcp/util.h>

/* one framing record in hex -> the payload when it is a SizedEnvelope (0x06) */
static bool envelope_of(const char *hex, size_t hexlen, xt_envelope *e)
{
    char *h = malloc(hexlen + 1);
    memcpy(h, hex, hexlen);
    h[hexlen] = 0;
    size_t n;
    uint8_t *b = ntcp_test_hex(h, &n);
    free(h);
    if (!b || n < 2 || b[0] != 0x06) {
        free(b);
        return false;
    }
    uint32_t len;
    size_t used;
    if (ntcp_varint_decode(b + 1, n - 1, &len, &used) != NTCP_OK || 1 + used + len != n) {
        free(b);
        return false;
    }
    e->payload = malloc(len ? len : 1);
    memcpy(e->payload, b + 1 + used, len);
    e->len = len;
    free(b);
    return true;
}

size_t xt_load_envelopes(const char *rel, xt_envelope *out, size_t max)
{
    size_t flen, count = 0;
    char *f = (char *)ntcp_test_read_vector(rel, &flen);
    if (!f)
        return 0;
    for (char *line = strtok(f, "\n"); line && count < max; line = strtok(NULL, "\n")) {
        const char *hex;
        bool to_server;
        if (!strncmp(line, "C->S ", 5) || !strncmp(line, "S->C ", 5)) {
            to_server = line[0] == 'C';
            hex = line + 5;
        } else {
            /* time \t endpoint \t dir \t hex */
            char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
            char *t3 = t2 ? strchr(t2 + 1, '\t') : NULL;
            if (!t3)
                continue;
            to_server = !strncmp(t2 + 1, "c>s", 3);
            hex = t3 + 1;
        }
        if (envelope_of(hex, strlen(hex), &out[count])) {
            out[count].to_server = to_server;
            count++;
        }
    }
    free(f);
    return count;
}

void xt_free_envelopes(xt_envelope *e, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(e[i].payload);
}

char *xt_canonical(const char *xml, size_t len)
{
    xmlDocPtr d = xmlReadMemory(xml, (int)len, NULL, NULL, XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR |
                                                               XML_PARSE_NOWARNING);
    if (!d)
        return NULL;
    xmlChar *out = NULL;
    int n = xmlC14NDocDumpMemory(d, NULL, XML_C14N_1_0, NULL, 0, &out);
    xmlFreeDoc(d);
    if (n < 0)
        return NULL;
    char *r = strdup((const char *)out);
    xmlFree(out);
    return r;
}

bool xt_same_xml(const char *a, size_t alen, const char *b, size_t blen)
{
    char *ca = xt_canonical(a, alen), *cb = xt_canonical(b, blen);
    bool same = ca && cb && !strcmp(ca, cb);
    if (!same)
        fprintf(stderr, "    canonical A: %s\n    canonical B: %s\n", ca ? ca : "(parse error)",
                cb ? cb : "(parse error)");
    free(ca);
    free(cb);
    return same;
}
