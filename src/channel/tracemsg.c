/* Message logging: an NBFSE envelope re-rendered as text XML (libxml2 for
 * the tree), its addressing headers, and WCF's ActivityId header. */
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include "xml/libxml.h"
#include <libxml/tree.h>
#include <nettcp/util.h>
#include "channel/trace_int.h"

#define WSA10 "http://www.w3.org/2005/08/addressing"
#define SOAP12 "http://www.w3.org/2003/05/soap-envelope"
#define WSSE "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"

void ntcp__rendered_clear(ntcp__rendered *r)
{
    ntcp_free(r->envelope);
    ntcp_free(r->action);
    ntcp_free(r->to);
    ntcp_free(r->message_id);
    ntcp_free(r->relates_to);
    ntcp_free(r->reply_to);
    memset(r, 0, sizeof *r);
}

static bool is(const xmlNode *n, const char *ns, const char *local)
{
    return n->type == XML_ELEMENT_NODE && n->ns && n->ns->href && !strcmp((const char *)n->ns->href, ns) &&
           !strcmp((const char *)n->name, local);
}

static char *text_of(xmlNode *n)
{
    xmlChar *c = xmlNodeGetContent(n);
    const char *t = c ? (const char *)c : "";
    char *s = ntcp_strndup(t, strlen(t));
    xmlFree(c);
    return s;
}

/* A GUID as WCF writes it (36 characters, hex and dashes), lower-cased. */
static bool guid_of(const char *s, char out[37])
{
    while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
        s++;
    for (int i = 0; i < 36; i++) {
        char c = s[i];
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
        out[i] = (char)(c >= 'A' && c <= 'F' ? c + 32 : c);
    }
    out[36] = 0;
    return true;
}

ntcp_status ntcp__trace_render(const uint8_t *payload, size_t len, ntcp_xml_session *s, bool entire,
                               ntcp__rendered *out)
{
    memset(out, 0, sizeof *out);
    ntcp_buf text;
    ntcp_buf_init(&text, (size_t)64 << 20);
    ntcp_xml_text_options opt;
    ntcp_xml_text_options_init(&opt);
    opt.indent = 0;
    opt.limits.max_size = (uint32_t)(len > 65536 ? len : 65536);
    opt.limits.max_string_len = opt.limits.max_size;
    ntcp_status st = ntcp_xml_session_decode_to_text(payload, len, s, &opt, &text);
    if (st) {
        ntcp_buf_free(&text);
        return st;
    }
    ntcp__libxml_init();
    xmlDoc *doc = xmlReadMemory((const char *)text.data, (int)text.len, NULL, "UTF-8",
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_HUGE);
    ntcp_buf_free(&text);
    if (!doc)
        return NTCP_E_MALFORMED;
    xmlNode *env = xmlDocGetRootElement(doc);
    if (!env || !is(env, SOAP12, "Envelope")) {
        xmlFreeDoc(doc);
        return NTCP_E_MALFORMED;
    }
    for (xmlNode *part = env->children; part; part = part->next) {
        if (is(part, SOAP12, "Header")) {
            for (xmlNode *h = part->children; h; h = h->next) {
                if (h->type != XML_ELEMENT_NODE)
                    continue;
                if (is(h, WSA10, "Action") && !out->action)
                    out->action = text_of(h);
                else if (is(h, WSA10, "To") && !out->to)
                    out->to = text_of(h);
                else if (is(h, WSA10, "MessageID") && !out->message_id)
                    out->message_id = text_of(h);
                else if (is(h, WSA10, "RelatesTo") && !out->relates_to)
                    out->relates_to = text_of(h);
                else if (is(h, WSA10, "ReplyTo") && !out->reply_to)
                    out->reply_to = text_of(h);
                else if (is(h, NTCP__DIAG_NS, "ActivityId") && !out->activity_id[0]) {
                    char *g = text_of(h);
                    if (g && !guid_of(g, out->activity_id))
                        out->activity_id[0] = 0;
                    ntcp_free(g);
                } else if (is(h, WSSE, "Security")) {
                    /* never tokens or passwords in a log */
                    xmlNodeSetContent(h, (const xmlChar *)"Removed");
                }
            }
        } else if (is(part, SOAP12, "Body") && !entire) {
            /* what WCF writes with logEntireMessage="false" */
            xmlNodeSetContent(part, (const xmlChar *)"... stream ...");
        }
    }
    xmlBuffer *b = xmlBufferCreate();
    if (b && xmlNodeDump(b, doc, env, 0, 0) >= 0)
        out->envelope = ntcp_strndup((const char *)xmlBufferContent(b), strlen((const char *)xmlBufferContent(b)));
    xmlBufferFree(b);
    xmlFreeDoc(doc);
    if (!out->envelope) {
        ntcp__rendered_clear(out);
        return NTCP_E_NOMEM;
    }
    return NTCP_OK;
}
