/* WSDL import: loads a WSDL and its imports through a fetch callback
 * (sans-I/O: the default fetcher lives in src/channel), parses them with
 * libxml2 (no DTDs, no entities, no network), then reads the endpoints
 * (WS-Policy, EndpointReference identity) and operations. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/uri.h>
#include <libxml/xmlversion.h>
#include <nettcp/util.h>
#include <nettcp/wsdl.h>
#include "wsdl_int.h"

#define NS_WSDL "http://schemas.xmlsoap.org/wsdl/"
#define NS_SOAP12 "http://schemas.xmlsoap.org/wsdl/soap12/"
#define NS_SOAP11 "http://schemas.xmlsoap.org/wsdl/soap/"
#define NS_XSD "http://www.w3.org/2001/XMLSchema"
#define NS_WSP "http://schemas.xmlsoap.org/ws/2004/09/policy"
#define NS_WSP15 "http://www.w3.org/ns/ws-policy"
#define NS_WSU "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
#define NS_MSB "http://schemas.microsoft.com/ws/06/2004/mspolicy/netbinary1"
#define NS_MSF "http://schemas.microsoft.com/ws/2006/05/framing/policy"
#define NS_SP "http://schemas.xmlsoap.org/ws/2005/07/securitypolicy"
#define NS_SP12 "http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702"
#define NS_WSOMA "http://schemas.xmlsoap.org/ws/2004/09/policy/optimizedmimeserialization"
#define NS_WSAW "http://www.w3.org/2006/05/addressing/wsdl"
#define NS_WSAM "http://www.w3.org/2007/05/addressing/metadata"
#define NS_WSA10 "http://www.w3.org/2005/08/addressing"
#define NS_ID "http://schemas.xmlsoap.org/ws/2006/02/addressingidentity"
#define NS_DSIG "http://www.w3.org/2000/09/xmldsig#"

/* beyond the options' document limits: what one set of documents may describe */
#define MAX_POLICY_STEPS 20000
#define MAX_ENDPOINTS 1024
#define MAX_OPERATIONS 4096

#define TCP_TRANSPORT "http://schemas.microsoft.com/soap/tcp"
#define HTTP_TRANSPORT "http://schemas.xmlsoap.org/soap/http"

struct doc {
    char *url;
    xmlDocPtr x;
    int loading; /* on the import stack */
};

struct strnode {
    struct strnode *next;
    char s[];
};

struct ntcp_wsdl {
    ntcp_wsdl_options o;
    struct doc *docs;
    size_t ndocs, total;
    struct strnode *strs;
    ntcp_wsdl_endpoint *eps;
    size_t neps;
    ntcp_wsdl_operation *ops;
    size_t nops;
    ntcp_error *err;
    int mex; /* the documents are a metadata exchange reply's sections: imports resolve among them */
};

void ntcp_wsdl_options_init(ntcp_wsdl_options *o)
{
    memset(o, 0, sizeof *o);
    o->max_documents = 32;
    o->max_depth = 8;
    o->max_bytes = 4u << 20;
    o->max_total = 16u << 20;
    o->timeout_ms = 30000;
    o->negotiate = 1;
}

/* A failure reading what a document says (step decode). */
static ntcp_status fail(ntcp_wsdl *w, ntcp_status st, ntcp_cause cause, const char *fmt, ...)
{
    if (w->err) {
        w->err->status = st;
        w->err->cause = cause;
        w->err->step = NTCP_STEP_DECODE;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(w->err->text, sizeof w->err->text, fmt, ap);
        va_end(ap);
    }
    return st;
}

static const char *keep(ntcp_wsdl *w, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s);
    struct strnode *k = ntcp_malloc(sizeof *k + n + 1);
    if (!k)
        return NULL;
    memcpy(k->s, s, n + 1);
    k->next = w->strs;
    w->strs = k;
    return k->s;
}

static const char *keepf(ntcp_wsdl *w, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return keep(w, buf);
}

/* ---- small libxml2 helpers ---- */

static int is(const xmlNode *n, const char *ns, const char *local)
{
    return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href && !strcmp((const char *)n->ns->href, ns) &&
           !strcmp((const char *)n->name, local);
}

static int is_wsp(const xmlNode *n, const char *local) { return is(n, NS_WSP, local) || is(n, NS_WSP15, local); }
static int is_sp(const xmlNode *n, const char *local) { return is(n, NS_SP, local) || is(n, NS_SP12, local); }

/* An attribute's value (no namespace), or NULL; valid while the document lives. */
static const char *attr(const xmlNode *n, const char *name)
{
    for (xmlAttr *a = n->properties; a; a = a->next)
        if (!a->ns && !strcmp((const char *)a->name, name) && a->children && a->children->content)
            return (const char *)a->children->content;
    return NULL;
}

static const char *attr_ns(const xmlNode *n, const char *ns, const char *name)
{
    for (xmlAttr *a = n->properties; a; a = a->next)
        if (a->ns && !strcmp((const char *)a->ns->href, ns) && !strcmp((const char *)a->name, name) &&
            a->children && a->children->content)
            return (const char *)a->children->content;
    return NULL;
}

static xmlNode *first_child(const xmlNode *n)
{
    for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            return c;
    return NULL;
}

static xmlNode *next_el(const xmlNode *n)
{
    for (xmlNode *c = n->next; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            return c;
    return NULL;
}

#define FOR_CHILDREN(c, parent) for (xmlNode *c = first_child(parent); c; c = next_el(c))

static xmlNode *child(const xmlNode *n, const char *ns, const char *local)
{
    FOR_CHILDREN(c, n)
    if (is(c, ns, local))
        return c;
    return NULL;
}

/* The text of an element, whitespace trimmed, into buf. */
static const char *text(const xmlNode *n, char *buf, size_t cap)
{
    xmlChar *t = xmlNodeGetContent(n);
    const char *s = t ? (const char *)t : "";
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    size_t len = strlen(s);
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r' || s[len - 1] == '\n'))
        len--;
    if (len >= cap)
        len = cap - 1;
    memcpy(buf, s, len);
    buf[len] = 0;
    xmlFree(t);
    return buf;
}

/* A QName attribute value resolved against the element's namespaces. */
static int qname(const xmlNode *n, const char *value, const char **ns, const char **local)
{
    if (!value)
        return -1;
    const char *colon = strchr(value, ':');
    char prefix[128];
    if (colon) {
        size_t pl = (size_t)(colon - value);
        if (pl >= sizeof prefix)
            return -1;
        memcpy(prefix, value, pl);
        prefix[pl] = 0;
        *local = colon + 1;
    } else {
        *local = value;
    }
    xmlNs *x = xmlSearchNs(n->doc, (xmlNode *)n, colon ? (const xmlChar *)prefix : NULL);
    *ns = x && x->href ? (const char *)x->href : "";
    return colon && !x ? -1 : 0;
}

static const char *target_ns(const xmlNode *n)
{
    for (const xmlNode *p = n; p && p->type == XML_ELEMENT_NODE; p = p->parent) {
        if (is(p, NS_WSDL, "definitions") || is(p, NS_XSD, "schema")) {
            const char *t = attr(p, "targetNamespace");
            return t ? t : "";
        }
    }
    return "";
}

/* ---- loading ---- */

static ntcp_status load_doc(ntcp_wsdl *w, const char *url, const char *from, const char *what, size_t depth,
                            const uint8_t *mem, size_t memlen);

static int is_remote(const char *url)
{
    return !strncmp(url, "http://", 7) || !strncmp(url, "https://", 8);
}

static ntcp_status follow(ntcp_wsdl *w, const struct doc *d, const xmlNode *el, const char *attrname, size_t depth)
{
    if (w->mex)
        return NTCP_OK; /* resolved by namespace once every section is loaded (mex_check_imports) */
    const char *loc = attr(el, attrname);
    if (!loc)
        return NTCP_OK; /* xsd:import of a namespace defined inline or built in */
    xmlChar *abs = xmlBuildURI((const xmlChar *)loc, (const xmlChar *)d->url);
    if (!abs)
        return fail(w, NTCP_E_MALFORMED, NTCP_CAUSE_WSDL_IMPORT_MISSING, "%s:%s %s=\"%s\" in %s: not a valid URI",
                    el->ns && el->ns->prefix ? (const char *)el->ns->prefix : "", el->name, attrname, loc, d->url);
    char what[160];
    snprintf(what, sizeof what, "%s:%s %s=\"%.100s\"", is(el, NS_WSDL, "import") ? "wsdl" : "xsd", el->name,
             attrname, loc);
    ntcp_status st;
    if (is_remote(d->url) && !is_remote((const char *)abs))
        st = fail(w, NTCP_E_UNSUPPORTED, NTCP_CAUSE_WSDL_UNSUPPORTED,
                  "%s in %s: a document read over HTTP may only import http(s) URLs", what, d->url);
    else
        st = load_doc(w, (const char *)abs, d->url, what, depth + 1, NULL, 0);
    xmlFree(abs);
    return st;
}

static ntcp_status follow_schema(ntcp_wsdl *w, const struct doc *d, const xmlNode *schema, size_t depth)
{
    FOR_CHILDREN(c, schema)
    {
        /* XML Schema's own namespace is built in (Mono's metadata imports it from an empty ?xsd=) */
        if (is(c, NS_XSD, "import") && attr(c, "namespace") && !strcmp(attr(c, "namespace"), NS_XSD))
            continue;
        if (is(c, NS_XSD, "import") || is(c, NS_XSD, "include") || is(c, NS_XSD, "redefine")) {
            ntcp_status st = follow(w, d, c, "schemaLocation", depth);
            if (st)
                return st;
        }
    }
    return NTCP_OK;
}

struct first_error {
    int set, line;
    char msg[200];
};

#if LIBXML_VERSION >= 21200 /* the handler's error became const in libxml2 2.12 */
static void on_xml_error(void *ctx, const xmlError *e)
#else
static void on_xml_error(void *ctx, xmlError *e)
#endif
{
    struct first_error *fe = ctx ? ((xmlParserCtxtPtr)ctx)->_private : NULL;
    if (!fe || fe->set || !e || e->level < XML_ERR_ERROR)
        return;
    fe->set = 1;
    fe->line = e->line;
    snprintf(fe->msg, sizeof fe->msg, "%s", e->message ? e->message : "not well-formed");
    size_t n = strcspn(fe->msg, "\n"); /* one line: libxml2 may add the bytes on a second one */
    fe->msg[n] = 0;
    while (n && (fe->msg[n - 1] == ',' || fe->msg[n - 1] == ' ' || fe->msg[n - 1] == '!'))
        fe->msg[--n] = 0;
}

static void quiet(void *ctx, const char *fmt, ...)
{
    (void)ctx;
    (void)fmt;
}

/* Parses a whole document with libxml2, nothing fetched, nothing printed;
 * NULL if not well-formed (fe: the first error, which explains the rest),
 * or if no parser could be made (*nomem). */
static xmlDocPtr read_doc_quietly(const char *mem, size_t len, const char *url, struct first_error *fe, bool *nomem)
{
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    xmlDocPtr x = NULL;
    *nomem = !ctxt;
    /* errors raised without a parser context (encoding conversion) would go to stderr: silenced
     * for this thread while parsing (libxml2 keeps the handler per thread) */
    xmlGenericErrorFunc saved_fn = xmlGenericError;
    void *saved_ctx = xmlGenericErrorContext;
    xmlSetGenericErrorFunc(NULL, quiet);
    if (ctxt) {
        ctxt->sax->serror = on_xml_error;
        ctxt->_private = fe;
        x = xmlCtxtReadMemory(ctxt, mem, (int)len, url, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        if (x && !ctxt->wellFormed) {
            xmlFreeDoc(x);
            x = NULL;
        }
        xmlFreeParserCtxt(ctxt);
    }
    xmlSetGenericErrorFunc(saved_ctx, saved_fn);
    return x;
}

static ntcp_status load_doc(ntcp_wsdl *w, const char *url, const char *from, const char *what, size_t depth,
                            const uint8_t *mem, size_t memlen)
{
    for (size_t i = 0; i < w->ndocs; i++) {
        if (strcmp(w->docs[i].url, url))
            continue;
        /* schemas may import each other; a WSDL importing one of its importers is a loop */
        if (w->docs[i].loading && what && !strncmp(what, "wsdl:", 5))
            return fail(w, NTCP_E_MALFORMED, NTCP_CAUSE_WSDL_IMPORT_LOOP, "%s in %s: import loop: %s is already being "
                        "loaded", what, from, url);
        return NTCP_OK;
    }
    if (depth > w->o.max_depth)
        return fail(w, NTCP_E_LIMIT, NTCP_CAUSE_WSDL_LIMIT, "%s in %s: imports nest deeper than %zu", what, from,
                    w->o.max_depth);
    if (w->ndocs >= w->o.max_documents)
        return fail(w, NTCP_E_LIMIT, NTCP_CAUSE_WSDL_LIMIT, "%s in %s: more than %zu documents", what, from,
                    w->o.max_documents);
    uint8_t *data = NULL;
    size_t len = 0;
    ntcp_status st;
    if (mem) {
        if (memlen > w->o.max_bytes)
            return fail(w, NTCP_E_LIMIT, NTCP_CAUSE_WSDL_LIMIT, "%s: larger than %zu bytes", url, w->o.max_bytes);
    } else {
        ntcp_error fe; /* the fetcher's short reason, named here with the document and the import */
        ntcp_error_clear(&fe);
        size_t room = w->o.max_total - w->total;
        st = w->o.fetch(w->o.fetch_ctx ? w->o.fetch_ctx : &w->o, url,
                        room < w->o.max_bytes ? room : w->o.max_bytes, &data, &len, &fe);
        if (st == NTCP_E_LIMIT)
            st = fail(w, st, NTCP_CAUSE_WSDL_LIMIT, "%s%s%s: larger than %zu bytes (or all documents together "
                      "than %zu)", what ? what : url, what ? " in " : "", what ? from : "", w->o.max_bytes,
                      w->o.max_total);
        else if (st == NTCP_E_NOMEM)
            st = fail(w, st, NTCP_CAUSE_OUT_OF_MEMORY, "%s: %s", url, fe.text[0] ? fe.text : ntcp_status_str(st));
        else if (st && !what)
            st = fail(w, st, NTCP_CAUSE_WSDL_UNREACHABLE, "%s: %s", url, fe.text[0] ? fe.text : ntcp_status_str(st));
        else if (st)
            st = fail(w, st, NTCP_CAUSE_WSDL_IMPORT_MISSING, "%s in %s: cannot read %s: %s", what, from, url,
                      fe.text[0] ? fe.text : ntcp_status_str(st));
        if (st) {
            /* where the fetch failed: resolve, connect or receive */
            if (w->err)
                w->err->step = fe.step != NTCP_STEP_NONE && st != NTCP_E_LIMIT ? fe.step : NTCP_STEP_RECEIVE;
            return st;
        }
        mem = data;
        memlen = len;
    }
    w->total += memlen;
    if (memlen > (size_t)0x7fffffff) {
        ntcp_free(data);
        return fail(w, NTCP_E_LIMIT, NTCP_CAUSE_WSDL_LIMIT, "%s: too large", url);
    }
    struct first_error fe = { 0 };
    bool nomem;
    xmlDocPtr x = read_doc_quietly((const char *)mem, memlen, url, &fe, &nomem);
    ntcp_free(data);
    char via[400] = ""; /* the import that led here */
    if (what)
        snprintf(via, sizeof via, "%s in %s: ", what, from);
    if (!x) {
        if (nomem)
            return NTCP_E_NOMEM;
        return fail(w, NTCP_E_MALFORMED, NTCP_CAUSE_WSDL_BAD_XML, "%s%s: line %d: %s", via, url, fe.line,
                    fe.msg[0] ? fe.msg : "not well-formed");
    }
    if (x->intSubset || x->extSubset) {
        xmlFreeDoc(x);
        return fail(w, NTCP_E_UNSUPPORTED, NTCP_CAUSE_WSDL_BAD_XML,
                    "%s%s: a DTD (<!DOCTYPE>) is not accepted", via, url);
    }
    xmlNode *root = xmlDocGetRootElement(x);
    int wsdl = is(root, NS_WSDL, "definitions"), xsd = is(root, NS_XSD, "schema");
    if (!wsdl && !xsd) {
        char name[160];
        snprintf(name, sizeof name, "{%s}%s", root && root->ns ? (const char *)root->ns->href : "",
                 root ? (const char *)root->name : "");
        xmlFreeDoc(x);
        return fail(w, NTCP_E_UNSUPPORTED, NTCP_CAUSE_WSDL_NOT_WSDL,
                    "%s%s: the root element %s is neither a WSDL 1.1 wsdl:definitions nor an xsd:schema", via, url,
                    name);
    }
    struct doc *nd = ntcp_realloc(w->docs, (w->ndocs + 1) * sizeof *nd);
    if (!nd) {
        xmlFreeDoc(x);
        return NTCP_E_NOMEM;
    }
    w->docs = nd;
    size_t idx = w->ndocs++;
    nd[idx] = (struct doc){ .url = ntcp_strndup(url, strlen(url)), .x = x, .loading = 1 };
    if (!nd[idx].url)
        return NTCP_E_NOMEM;
    struct doc d = nd[idx]; /* w->docs moves as documents are added */
    st = NTCP_OK;
    if (xsd) {
        st = follow_schema(w, &d, root, depth);
    } else {
        FOR_CHILDREN(c, root)
        {
            if (is(c, NS_WSDL, "import"))
                st = follow(w, &d, c, "location", depth);
            else if (is(c, NS_WSDL, "types")) {
                FOR_CHILDREN(s, c)
                if (!st && is(s, NS_XSD, "schema"))
                    st = follow_schema(w, &d, s, depth);
            }
            if (st)
                break;
        }
    }
    w->docs[idx].loading = 0;
    return st;
}

/* ---- lookups across the documents ---- */

/* A top-level wsdl:KIND or xsd:KIND named {ns}local (in a schema wherever it is). */
static xmlNode *find_def(ntcp_wsdl *w, const char *kindns, const char *kind, const char *ns, const char *local)
{
    for (size_t i = 0; i < w->ndocs; i++) {
        xmlNode *root = xmlDocGetRootElement(w->docs[i].x);
        if (!strcmp(kindns, NS_WSDL)) {
            if (!is(root, NS_WSDL, "definitions") || strcmp(target_ns(root), ns))
                continue;
            FOR_CHILDREN(c, root)
            if (is(c, NS_WSDL, kind) && attr(c, "name") && !strcmp(attr(c, "name"), local))
                return c;
            continue;
        }
        xmlNode *schemas[64];
        size_t ns_count = 0;
        if (is(root, NS_XSD, "schema"))
            schemas[ns_count++] = root;
        else {
            FOR_CHILDREN(t, root)
            if (is(t, NS_WSDL, "types")) {
                FOR_CHILDREN(s, t)
                if (is(s, NS_XSD, "schema") && ns_count < 64)
                    schemas[ns_count++] = s;
            }
        }
        for (size_t k = 0; k < ns_count; k++) {
            /* an included schema without targetNamespace takes its includer's: accept it for any */
            const char *tns = attr(schemas[k], "targetNamespace");
            if (tns && strcmp(tns, ns))
                continue;
            FOR_CHILDREN(c, schemas[k])
            if (is(c, NS_XSD, kind) && attr(c, "name") && !strcmp(attr(c, "name"), local))
                return c;
        }
    }
    return NULL;
}

xmlNode *ntcp__wsdl_find_xsd(const ntcp_wsdl *w, const char *kind, const char *ns, const char *local)
{
    return find_def((ntcp_wsdl *)w, NS_XSD, kind, ns, local);
}

int ntcp__wsdl_qname(const xmlNode *n, const char *value, const char **ns, const char **local)
{
    return qname(n, value, ns, local);
}

static xmlNode *find_policy(ntcp_wsdl *w, const xmlNode *from, const char *uri)
{
    if (!uri || uri[0] != '#')
        return NULL; /* external policy documents are not fetched */
    const char *id = uri + 1;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < w->ndocs; i++) {
            if ((pass == 0) != (w->docs[i].x == from->doc))
                continue;
            xmlNode *root = xmlDocGetRootElement(w->docs[i].x);
            FOR_CHILDREN(c, root)
            {
                const char *cid = attr_ns(c, NS_WSU, "Id");
                if (!cid)
                    cid = attr(c, "Id");
                if (is_wsp(c, "Policy") && cid && !strcmp(cid, id))
                    return c;
            }
        }
    }
    return NULL;
}

/* ---- policy ---- */

struct policy {
    size_t steps; /* elements visited: references may repeat a policy many times over */
    int binary, mtom, streamed, transport_binding, windows, ssl, client_cert, message, supporting;
    char protection[32];
};

static ntcp_status walk_policy(ntcp_wsdl *w, const xmlNode *n, struct policy *p, int depth)
{
    if (depth > 32)
        return fail(w, NTCP_E_LIMIT, NTCP_CAUSE_WSDL_LIMIT, "wsp:Policy in %s: nested deeper than 32",
                    n->doc && n->doc->URL ? (const char *)n->doc->URL : "");
    FOR_CHILDREN(c, n)
    {
        if (++p->steps > MAX_POLICY_STEPS)
            return fail(w, NTCP_E_LIMIT, NTCP_CAUSE_WSDL_LIMIT, "wsp:Policy: more than %d assertions reached through "
                        "references", MAX_POLICY_STEPS);
        if (is_wsp(c, "ExactlyOne")) {
            /* the first alternative is the one WCF emits for NetTcpBinding */
            xmlNode *alt = first_child(c);
            if (alt) {
                ntcp_status st = walk_policy(w, is_wsp(alt, "All") ? alt : c, p, depth + 1);
                if (st)
                    return st;
            }
            continue;
        }
        if (is_wsp(c, "PolicyReference")) {
            const char *uri = attr(c, "URI");
            xmlNode *ref = find_policy(w, c, uri);
            if (!ref)
                return fail(w, NTCP_E_UNSUPPORTED, NTCP_CAUSE_WSDL_UNDEFINED, "wsp:PolicyReference URI=\"%s\": no such "
                            "wsp:Policy", uri ? uri : "");
            ntcp_status st = walk_policy(w, ref, p, depth + 1);
            if (st)
                return st;
            continue;
        }
        if (is(c, NS_MSB, "BinaryEncoding"))
            p->binary = 1;
        else if (is(c, NS_WSOMA, "OptimizedMimeSerialization"))
            p->mtom = 1;
        else if (is(c, NS_MSF, "Streamed"))
            p->streamed = 1;
        else if (is(c, NS_MSF, "WindowsTransportSecurity"))
            p->windows = 1;
        else if (is(c, NS_MSF, "SslTransportSecurity"))
            p->ssl = 1;
        else if (is(c, NS_MSF, "RequireClientCertificate"))
            p->client_cert = 1;
        else if (is(c, NS_MSF, "ProtectionLevel")) {
            char buf[32];
            snprintf(p->protection, sizeof p->protection, "%s", text(c, buf, sizeof buf));
        } else if (is_sp(c, "TransportBinding"))
            p->transport_binding = 1;
        else if (is_sp(c, "SymmetricBinding") || is_sp(c, "AsymmetricBinding"))
            p->message = 1;
        else if (is_sp(c, "SignedSupportingTokens") || is_sp(c, "EndorsingSupportingTokens") ||
                 is_sp(c, "SignedEncryptedSupportingTokens") || is_sp(c, "SignedEndorsingSupportingTokens"))
            p->supporting = 1;
        ntcp_status st = walk_policy(w, c, p, depth + 1);
        if (st)
            return st;
    }
    return NTCP_OK;
}

static void policy_result(const struct policy *p, ntcp_wsdl_endpoint *e)
{
    e->encoding = p->binary ? "binary" : p->mtom ? "mtom" : "text";
    e->mode = p->streamed ? "streamed" : "duplex";
    if (p->message) {
        e->security = "Message";
        e->credential = "None";
        e->protection = "EncryptAndSign";
    } else if (p->transport_binding || p->windows || p->ssl) {
        e->security = p->supporting ? "TransportWithMessageCredential" : "Transport";
        if (p->windows) {
            e->credential = "Windows";
            e->protection = !strcmp(p->protection, "None") ? "None" : !strcmp(p->protection, "Sign") ? "Sign"
                                                                                                       : "EncryptAndSign";
        } else {
            e->credential = p->ssl && p->client_cert ? "Certificate" : "None";
            e->protection = "EncryptAndSign";
        }
    } else {
        e->security = "None";
        e->credential = "None";
        e->protection = "None";
    }
}

/* ---- endpoints ---- */

static void read_identity(ntcp_wsdl *w, const xmlNode *port, ntcp_wsdl_endpoint *e)
{
    xmlNode *epr = child(port, NS_WSA10, "EndpointReference");
    xmlNode *id = epr ? child(epr, NS_ID, "Identity") : NULL;
    if (!id)
        return;
    char buf[8192];
    FOR_CHILDREN(c, id)
    {
        static const char *const names[][2] = { { "Spn", "spn" }, { "Upn", "upn" }, { "Dns", "dns" } };
        for (size_t i = 0; i < 3; i++)
            if (is(c, NS_ID, names[i][0])) {
                e->identity_kind = names[i][1];
                e->identity_value = keep(w, text(c, buf, sizeof buf));
                return;
            }
        if (is(c, NS_DSIG, "KeyInfo")) {
            xmlNode *x509 = child(c, NS_DSIG, "X509Data");
            xmlNode *cert = x509 ? child(x509, NS_DSIG, "X509Certificate") : NULL;
            xmlNode *kv = child(c, NS_DSIG, "KeyValue");
            if (cert) {
                e->identity_kind = "x509";
                e->identity_value = keep(w, text(cert, buf, sizeof buf));
            } else if (kv) {
                e->identity_kind = "rsa";
                e->identity_value = keep(w, text(kv, buf, sizeof buf));
            }
            return;
        }
    }
}

static ntcp_status read_port(ntcp_wsdl *w, const xmlNode *port, ntcp_wsdl_endpoint *e)
{
    const char *bns, *bname;
    e->name = keep(w, attr(port, "name"));
    if (qname(port, attr(port, "binding"), &bns, &bname))
        return fail(w, NTCP_E_MALFORMED, NTCP_CAUSE_WSDL_UNDEFINED, "wsdl:port name=\"%s\": no binding attribute",
                    e->name ? e->name : "");
    xmlNode *b = find_def(w, NS_WSDL, "binding", bns, bname);
    if (!b)
        return fail(w, NTCP_E_MALFORMED, NTCP_CAUSE_WSDL_UNDEFINED,
                    "wsdl:port name=\"%s\": binding {%s}%s is not defined",
                    e->name ? e->name : "", bns, bname);
    e->binding = keep(w, bname);
    const char *tns, *tname;
    if (!qname(b, attr(b, "type"), &tns, &tname))
        e->contract = keep(w, tname);
    xmlNode *addr = child(port, NS_SOAP12, "address");
    if (!addr)
        addr = child(port, NS_SOAP11, "address");
    e->address = keep(w, addr ? attr(addr, "location") : NULL);
    xmlNode *sb = child(b, NS_SOAP12, "binding");
    if (!sb)
        sb = child(b, NS_SOAP11, "binding");
    const char *tr = sb ? attr(sb, "transport") : NULL;
    e->transport = !tr ? NULL : !strcmp(tr, TCP_TRANSPORT) ? "tcp" : !strcmp(tr, HTTP_TRANSPORT) ? "http"
                                                                                                   : keep(w, tr);
    if (sb && attr(sb, "style") && !strcmp(attr(sb, "style"), "rpc"))
        return fail(w, NTCP_E_UNSUPPORTED, NTCP_CAUSE_WSDL_UNSUPPORTED, "wsdl:binding name=\"%s\": style=\"rpc\" (only "
                    "document/literal, as WCF publishes)", bname);
    struct policy p = { 0 };
    ntcp_status st = walk_policy(w, b, &p, 0); /* PolicyReference children (and inline policies) */
    if (st)
        return st;
    policy_result(&p, e);
    read_identity(w, port, e);
    return NTCP_OK;
}

/* ---- operations ---- */

static const char *type_name(ntcp_wsdl *w, const xmlNode *n, const char *value)
{
    const char *ns, *local;
    if (!value)
        return "anonymous";
    if (qname(n, value, &ns, &local))
        return keep(w, value);
    if (!strcmp(ns, NS_XSD))
        return keepf(w, "xs:%s", local);
    return keepf(w, "{%s}%s", ns, local);
}

static ntcp_status read_fields(ntcp_wsdl *w, const xmlNode *ctype, ntcp_wsdl_message *m, const char *what)
{
    xmlNode *seq = NULL;
    FOR_CHILDREN(c, ctype)
    {
        if (is(c, NS_XSD, "sequence") || is(c, NS_XSD, "all"))
            seq = c;
        else if (is(c, NS_XSD, "complexContent") || is(c, NS_XSD, "simpleContent") || is(c, NS_XSD, "choice"))
            return fail(w, NTCP_E_UNSUPPORTED, NTCP_CAUSE_WSDL_UNSUPPORTED,
                        "%s: xs:%s is not supported", what, c->name);
    }
    if (!seq)
        return NTCP_OK;
    size_t n = 0;
    FOR_CHILDREN(c, seq)
    n++;
    ntcp_wsdl_field *f = ntcp_calloc(n ? n : 1, sizeof *f);
    if (!f)
        return NTCP_E_NOMEM;
    size_t i = 0;
    FOR_CHILDREN(c, seq)
    {
        if (!is(c, NS_XSD, "element")) {
            ntcp_free(f);
            return fail(w, NTCP_E_UNSUPPORTED, NTCP_CAUSE_WSDL_UNSUPPORTED, "%s: xs:%s in a sequence is not supported",
                        what, c->name);
        }
        const char *ref = attr(c, "ref");
        if (ref) {
            const char *ns, *local;
            if (qname(c, ref, &ns, &local))
                local = ref;
            f[i].name = keep(w, local);
            f[i].type = type_name(w, c, ref);
        } else {
            f[i].name = keep(w, attr(c, "name"));
            f[i].type = type_name(w, c, attr(c, "type"));
        }
        const char *mn = attr(c, "minOccurs"), *mx = attr(c, "maxOccurs"), *nl = attr(c, "nillable");
        f[i].min_occurs = mn ? atoi(mn) : 1;
        f[i].max_occurs = mx ? (!strcmp(mx, "unbounded") ? -1 : atoi(mx)) : 1;
        f[i].nillable = nl && !strcmp(nl, "true");
        i++;
    }
    m->fields = f;
    m->nfields = n;
    return NTCP_OK;
}

static ntcp_status read_message(ntcp_wsdl *w, const xmlNode *io, ntcp_wsdl_message *m, const char *opname)
{
    const char *mns, *mname;
    if (qname(io, attr(io, "message"), &mns, &mname))
        return fail(w, NTCP_E_MALFORMED, NTCP_CAUSE_WSDL_UNDEFINED,
                    "wsdl:operation name=\"%s\": wsdl:%s has no message",
                    opname, io->name);
    xmlNode *msg = find_def(w, NS_WSDL, "message", mns, mname);
    if (!msg)
        return fail(w, NTCP_E_MALFORMED, NTCP_CAUSE_WSDL_UNDEFINED, "wsdl:operation name=\"%s\": message {%s}%s is not "
                    "defined", opname, mns, mname);
    xmlNode *part = child(msg, NS_WSDL, "part");
    if (!part)
        return NTCP_OK; /* an empty message */
    if (next_el(part) && is(next_el(part), NS_WSDL, "part"))
        return fail(w, NTCP_E_UNSUPPORTED, NTCP_CAUSE_WSDL_UNSUPPORTED,
                    "wsdl:message name=\"%s\": more than one part (a "
                    "MessageContract with body members) is not supported", mname);
    const char *ens, *ename;
    if (qname(part, attr(part, "element"), &ens, &ename))
        return fail(w, NTCP_E_UNSUPPORTED, NTCP_CAUSE_WSDL_UNSUPPORTED,
                    "wsdl:part name=\"%s\" of message \"%s\": a part "
                    "with type= (rpc style) is not supported; only element=", attr(part, "name") ? attr(part, "name")
                    : "", mname);
    m->element = keep(w, ename);
    m->ns = keep(w, ens);
    xmlNode *el = find_def(w, NS_XSD, "element", ens, ename);
    if (!el)
        return fail(w, NTCP_E_MALFORMED, NTCP_CAUSE_WSDL_UNDEFINED, "wsdl:part element=\"%s\": element {%s}%s is not "
                    "defined in any schema", attr(part, "element"), ens, ename);
    char what[300];
    snprintf(what, sizeof what, "xs:element name=\"%s\"", ename);
    const char *type = attr(el, "type");
    m->type = type_name(w, el, type);
    xmlNode *ctype = child(el, NS_XSD, "complexType");
    if (!ctype && type) {
        const char *tns, *tlocal;
        if (!qname(el, type, &tns, &tlocal) && strcmp(tns, NS_XSD)) {
            ctype = find_def(w, NS_XSD, "complexType", tns, tlocal);
            if (!ctype && !find_def(w, NS_XSD, "simpleType", tns, tlocal))
                return fail(w, NTCP_E_MALFORMED, NTCP_CAUSE_WSDL_UNDEFINED, "%s: type %s is not defined", what, type);
            snprintf(what, sizeof what, "xs:complexType name=\"%s\"", tlocal);
        }
    }
    return ctype ? read_fields(w, ctype, m, what) : NTCP_OK;
}

static const char *default_action(ntcp_wsdl *w, const char *tns, const char *contract, const char *op,
                                  const char *suffix)
{
    size_t n = strlen(tns);
    return keepf(w, "%s%s%s/%s%s", tns, n && tns[n - 1] == '/' ? "" : "/", contract, op, suffix);
}

static ntcp_status read_operations(ntcp_wsdl *w, const xmlNode *pt)
{
    const char *contract = attr(pt, "name");
    const char *tns = target_ns(pt);
    FOR_CHILDREN(op, pt)
    {
        if (!is(op, NS_WSDL, "operation"))
            continue;
        if (w->nops >= MAX_OPERATIONS)
            return fail(w, NTCP_E_LIMIT, NTCP_CAUSE_WSDL_LIMIT,
                        "wsdl:portType name=\"%s\": more than %d operations in all",
                        contract ? contract : "", MAX_OPERATIONS);
        ntcp_wsdl_operation *no = ntcp_realloc(w->ops, (w->nops + 1) * sizeof *no);
        if (!no)
            return NTCP_E_NOMEM;
        w->ops = no;
        ntcp_wsdl_operation *o = &w->ops[w->nops++];
        memset(o, 0, sizeof *o);
        const char *name = attr(op, "name");
        o->name = keep(w, name ? name : "");
        o->contract = keep(w, contract ? contract : "");
        xmlNode *in = child(op, NS_WSDL, "input"), *out = child(op, NS_WSDL, "output");
        if (!in)
            return fail(w, NTCP_E_UNSUPPORTED, NTCP_CAUSE_WSDL_UNSUPPORTED,
                        "wsdl:operation name=\"%s\" of portType \"%s\": "
                        "no wsdl:input (notification operations are not supported)", o->name, o->contract);
        const char *a = attr_ns(in, NS_WSAW, "Action");
        if (!a)
            a = attr_ns(in, NS_WSAM, "Action");
        o->action = a ? keep(w, a) : default_action(w, tns, o->contract, o->name, "");
        ntcp_status st = read_message(w, in, &o->input, o->name);
        if (st)
            return st;
        if (out) {
            a = attr_ns(out, NS_WSAW, "Action");
            if (!a)
                a = attr_ns(out, NS_WSAM, "Action");
            o->reply_action = a ? keep(w, a) : default_action(w, tns, o->contract, o->name, "Response");
            st = read_message(w, out, &o->output, o->name);
            if (st)
                return st;
        }
    }
    return NTCP_OK;
}

static ntcp_status extract(ntcp_wsdl *w)
{
    for (size_t i = 0; i < w->ndocs; i++) {
        xmlNode *root = xmlDocGetRootElement(w->docs[i].x);
        if (!is(root, NS_WSDL, "definitions"))
            continue;
        FOR_CHILDREN(c, root)
        {
            ntcp_status st = NTCP_OK;
            if (is(c, NS_WSDL, "portType"))
                st = read_operations(w, c);
            else if (is(c, NS_WSDL, "service")) {
                FOR_CHILDREN(port, c)
                {
                    if (!is(port, NS_WSDL, "port"))
                        continue;
                    if (w->neps >= MAX_ENDPOINTS)
                        return fail(w, NTCP_E_LIMIT, NTCP_CAUSE_WSDL_LIMIT,
                                    "wsdl:service: more than %d endpoints in all",
                                    MAX_ENDPOINTS);
                    ntcp_wsdl_endpoint *ne = ntcp_realloc(w->eps, (w->neps + 1) * sizeof *ne);
                    if (!ne)
                        return NTCP_E_NOMEM;
                    w->eps = ne;
                    memset(&w->eps[w->neps], 0, sizeof *ne);
                    st = read_port(w, port, &w->eps[w->neps++]);
                    if (st)
                        return st;
                }
            }
            if (st)
                return st;
        }
    }
    return NTCP_OK;
}

static ntcp_status load(const char *url, const uint8_t *mem, size_t len, const ntcp_wsdl_options *o,
                        ntcp_wsdl **out, ntcp_error *err)
{
    *out = NULL;
    ntcp_wsdl *w = ntcp_calloc(1, sizeof *w);
    if (!w)
        return ntcp_error_set(err, NTCP_E_NOMEM, NTCP_CAUSE_OUT_OF_MEMORY, NTCP_STEP_DECODE, "%s: %s", url,
                              ntcp_status_str(NTCP_E_NOMEM));
    if (o)
        w->o = *o;
    else
        ntcp_wsdl_options_init(&w->o);
    if (!w->o.fetch)
        w->o.fetch = ntcp_wsdl_fetch_default;
    w->err = err;
    ntcp_status st = load_doc(w, url, NULL, NULL, 0, mem, len);
    if (!st)
        st = extract(w);
    w->err = NULL;
    if (st) {
        if (err && err->status == NTCP_OK) /* a failure no fail() named: out of memory */
            ntcp_error_set(err, st, ntcp_cause_of_status(st), NTCP_STEP_DECODE, "%s: %s", url, ntcp_status_str(st));
        ntcp_wsdl_free(w);
        return st;
    }
    *out = w;
    return NTCP_OK;
}

ntcp_status ntcp_wsdl_load(const char *source, const ntcp_wsdl_options *o, ntcp_wsdl **out, ntcp_error *err)
{
    ntcp_error_clear(err);
    if (!source || !out)
        return ntcp_error_set(err, NTCP_E_INVALID_ARG, NTCP_CAUSE_INVALID_ARGUMENT, NTCP_STEP_OPTIONS,
                              "ntcp_wsdl_load: no source or no result pointer");
    *out = NULL;
    if (!strncmp(source, "net.tcp://", 10)) /* a metadata exchange endpoint: mexTcpBinding's Get */
        return ntcp_wsdl_load_mex(source, NULL, o, out, err);
    char *url = NULL;
    if (!strstr(source, "://")) {
        /* a path: made absolute, so relative imports resolve against it */
        char *abs = realpath(source, NULL);
        if (!abs) {
            *out = NULL;
            return ntcp_error_set(err, NTCP_E_IO, NTCP_CAUSE_WSDL_UNREACHABLE, NTCP_STEP_RECEIVE, "%s: %s", source,
                                  strerror(errno));
        }
        xmlChar *u = xmlPathToURI((const xmlChar *)abs);
        free(abs);
        url = u ? ntcp_strndup((const char *)u, strlen((const char *)u)) : NULL;
        xmlFree(u);
    } else {
        url = ntcp_strndup(source, strlen(source));
    }
    if (!url)
        return ntcp_error_set(err, NTCP_E_NOMEM, NTCP_CAUSE_OUT_OF_MEMORY, NTCP_STEP_DECODE, "%s: %s", source,
                              ntcp_status_str(NTCP_E_NOMEM));
    ntcp_status st = load(url, NULL, 0, o, out, err);
    ntcp_free(url);
    return st;
}

ntcp_status ntcp_wsdl_load_memory(const void *data, size_t len, const char *base_url, const ntcp_wsdl_options *o,
                                  ntcp_wsdl **out, ntcp_error *err)
{
    ntcp_error_clear(err);
    if ((!data && len) || !out)
        return ntcp_error_set(err, NTCP_E_INVALID_ARG, NTCP_CAUSE_INVALID_ARGUMENT, NTCP_STEP_OPTIONS,
                              "ntcp_wsdl_load_memory: no data or no result pointer");
    return load(base_url ? base_url : "memory:wsdl", data ? data : "", len, o, out, err);
}

size_t ntcp_wsdl_endpoint_count(const ntcp_wsdl *w) { return w ? w->neps : 0; }
const ntcp_wsdl_endpoint *ntcp_wsdl_endpoint_at(const ntcp_wsdl *w, size_t i)
{
    return w && i < w->neps ? &w->eps[i] : NULL;
}
size_t ntcp_wsdl_operation_count(const ntcp_wsdl *w) { return w ? w->nops : 0; }
const ntcp_wsdl_operation *ntcp_wsdl_operation_at(const ntcp_wsdl *w, size_t i)
{
    return w && i < w->nops ? &w->ops[i] : NULL;
}
size_t ntcp_wsdl_document_count(const ntcp_wsdl *w) { return w ? w->ndocs : 0; }
const char *ntcp_wsdl_document_at(const ntcp_wsdl *w, size_t i)
{
    return w && i < w->ndocs ? w->docs[i].url : NULL;
}

void ntcp_wsdl_free(ntcp_wsdl *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->ndocs; i++) {
        xmlFreeDoc(w->docs[i].x);
        ntcp_free(w->docs[i].url);
    }
    ntcp_free(w->docs);
    for (size_t i = 0; i < w->nops; i++) {
        ntcp_free((void *)w->ops[i].input.fields);
        ntcp_free((void *)w->ops[i].output.fields);
    }
    ntcp_free(w->ops);
    ntcp_free(w->eps);
    while (w->strs) {
        struct strnode *n = w->strs->next;
        ntcp_free(w->strs);
        w->strs = n;
    }
    ntcp_free(w);
}

/* ---- a WS-MetadataExchange reply ------------------------------------------
 * WS-MetadataExchange (2004/09) 3: the GetResponse body is wsx:Metadata, a
 * wsx:MetadataSection per document with its Dialect (WSDL 1.1, XML Schema,
 * WS-Policy) and the document inline, or a wsx:MetadataReference /
 * wsx:Location instead. Imports name namespaces (WCF writes no locations
 * into MEX sections): they resolve among the sections, never by fetching a
 * URL a peer chose. */

#define NS_MEX "http://schemas.xmlsoap.org/ws/2004/09/mex"
#define DIALECT_WSDL "http://schemas.xmlsoap.org/wsdl/"
#define DIALECT_XSD "http://www.w3.org/2001/XMLSchema"

/* Whether a schema of targetNamespace ns is among the documents (standalone or in a wsdl:types). */
static int mex_has_schema(ntcp_wsdl *w, const char *ns)
{
    for (size_t i = 0; i < w->ndocs; i++) {
        xmlNode *root = xmlDocGetRootElement(w->docs[i].x);
        if (is(root, NS_XSD, "schema")) {
            const char *t = attr(root, "targetNamespace");
            if (!strcmp(t ? t : "", ns))
                return 1;
            continue;
        }
        FOR_CHILDREN(t, root)
        if (is(t, NS_WSDL, "types")) {
            FOR_CHILDREN(sc, t)
            {
                const char *tn = is(sc, NS_XSD, "schema") ? attr(sc, "targetNamespace") : NULL;
                if (is(sc, NS_XSD, "schema") && !strcmp(tn ? tn : "", ns))
                    return 1;
            }
        }
    }
    return 0;
}

static int mex_has_wsdl(ntcp_wsdl *w, const char *ns)
{
    for (size_t i = 0; i < w->ndocs; i++) {
        xmlNode *root = xmlDocGetRootElement(w->docs[i].x);
        if (is(root, NS_WSDL, "definitions") && !strcmp(target_ns(root), ns))
            return 1;
    }
    return 0;
}

static ntcp_status mex_check_schema_imports(ntcp_wsdl *w, const struct doc *d, const xmlNode *schema)
{
    FOR_CHILDREN(c, schema)
    {
        if (!is(c, NS_XSD, "import"))
            continue;
        const char *ns = attr(c, "namespace");
        if (!ns || !strcmp(ns, NS_XSD) || mex_has_schema(w, ns))
            continue;
        return fail(w, NTCP_E_MALFORMED, NTCP_CAUSE_WSDL_IMPORT_MISSING,
                    "xsd:import namespace=\"%s\" in %s: no schema of that namespace in the metadata exchange reply",
                    ns, d->url);
    }
    return NTCP_OK;
}

static ntcp_status mex_check_imports(ntcp_wsdl *w)
{
    for (size_t i = 0; i < w->ndocs; i++) {
        const struct doc *d = &w->docs[i];
        xmlNode *root = xmlDocGetRootElement(d->x);
        ntcp_status st = NTCP_OK;
        if (is(root, NS_XSD, "schema")) {
            st = mex_check_schema_imports(w, d, root);
        } else {
            FOR_CHILDREN(c, root)
            {
                if (is(c, NS_WSDL, "import")) {
                    const char *ns = attr(c, "namespace");
                    if (ns && !mex_has_wsdl(w, ns))
                        st = fail(w, NTCP_E_MALFORMED, NTCP_CAUSE_WSDL_IMPORT_MISSING,
                                  "wsdl:import namespace=\"%s\" in %s: no WSDL of that namespace in the metadata "
                                  "exchange reply",
                                  ns, d->url);
                } else if (is(c, NS_WSDL, "types")) {
                    FOR_CHILDREN(sc, c)
                    if (!st && is(sc, NS_XSD, "schema"))
                        st = mex_check_schema_imports(w, d, sc);
                }
                if (st)
                    break;
            }
        }
        if (st)
            return st;
    }
    return NTCP_OK;
}

/* The section's document alone, with every namespace in scope at it declared
 * on its root (QName values such as type="tns:T" need the prefixes the reply
 * declared further out), serialized for load_doc. */
static ntcp_status mex_section_bytes(xmlDocPtr reply, xmlNode *el, xmlChar **out, int *outlen)
{
    xmlDocPtr d = xmlNewDoc((const xmlChar *)"1.0");
    xmlNode *copy = d ? xmlDocCopyNode(el, d, 1) : NULL;
    if (!copy) {
        xmlFreeDoc(d);
        return NTCP_E_NOMEM;
    }
    xmlDocSetRootElement(d, copy);
    xmlNsPtr *scope = xmlGetNsList(reply, el);
    for (size_t i = 0; scope && scope[i]; i++) {
        int declared = 0;
        for (xmlNsPtr n = copy->nsDef; n; n = n->next)
            if ((!n->prefix && !scope[i]->prefix) ||
                (n->prefix && scope[i]->prefix && !strcmp((const char *)n->prefix, (const char *)scope[i]->prefix)))
                declared = 1;
        if (!declared && !xmlNewNs(copy, scope[i]->href, scope[i]->prefix)) {
            xmlFree(scope);
            xmlFreeDoc(d);
            return NTCP_E_NOMEM;
        }
    }
    xmlFree(scope);
    xmlDocDumpMemory(d, out, outlen);
    xmlFreeDoc(d);
    return *out ? NTCP_OK : NTCP_E_NOMEM;
}

ntcp_status ntcp_wsdl_load_metadata(const void *data, size_t len, const char *source, const ntcp_wsdl_options *o,
                                    ntcp_wsdl **out, ntcp_error *err)
{
    ntcp_error_clear(err);
    if ((!data && len) || !out)
        return ntcp_error_set(err, NTCP_E_INVALID_ARG, NTCP_CAUSE_INVALID_ARGUMENT, NTCP_STEP_OPTIONS,
                              "ntcp_wsdl_load_metadata: no data or no result pointer");
    *out = NULL;
    const char *src = source ? source : "memory:mex";
    ntcp_wsdl *w = ntcp_calloc(1, sizeof *w);
    if (!w)
        return ntcp_error_set(err, NTCP_E_NOMEM, NTCP_CAUSE_OUT_OF_MEMORY, NTCP_STEP_DECODE, "%s: %s", src,
                              ntcp_status_str(NTCP_E_NOMEM));
    if (o)
        w->o = *o;
    else
        ntcp_wsdl_options_init(&w->o);
    w->err = err;
    w->mex = 1;
    ntcp_status st = NTCP_OK;
    xmlDocPtr reply = NULL;
    if (len > w->o.max_total || len > (size_t)0x7fffffff) {
        st = fail(w, NTCP_E_LIMIT, NTCP_CAUSE_WSDL_LIMIT, "%s: the metadata is larger than %zu bytes", src,
                  w->o.max_total);
        goto out;
    }
    struct first_error fe = { 0 };
    bool nomem;
    reply = read_doc_quietly(data ? data : "", len, src, &fe, &nomem);
    if (!reply) {
        st = !nomem ? fail(w, NTCP_E_MALFORMED, NTCP_CAUSE_MEX_BAD_REPLY, "%s: the reply's body: line %d: %s", src,
                         fe.line, fe.msg[0] ? fe.msg : "not well-formed XML")
                  : NTCP_E_NOMEM;
        goto out;
    }
    xmlNode *root = xmlDocGetRootElement(reply);
    if (reply->intSubset || reply->extSubset) {
        st = fail(w, NTCP_E_MALFORMED, NTCP_CAUSE_MEX_BAD_REPLY, "%s: the reply's body carries a DTD (<!DOCTYPE>)",
                  src);
        goto out;
    }
    if (!is(root, NS_MEX, "Metadata")) {
        st = fail(w, NTCP_E_MALFORMED, NTCP_CAUSE_MEX_BAD_REPLY,
                  "%s: the reply's body is {%s}%s, not a wsx:Metadata (" NS_MEX ")", src,
                  root && root->ns ? (const char *)root->ns->href : "", root ? (const char *)root->name : "");
        goto out;
    }
    size_t nwsdl = 0, nref = 0, nsec = 0;
    char dialects[300] = "";
    FOR_CHILDREN(sec, root)
    {
        if (!is(sec, NS_MEX, "MetadataSection"))
            continue;
        nsec++;
        const char *dialect = attr(sec, "Dialect");
        dialect = dialect ? dialect : "";
        int want_wsdl = !strcmp(dialect, DIALECT_WSDL), want_xsd = !strcmp(dialect, DIALECT_XSD);
        if (!want_wsdl && !want_xsd) {
            if (!strstr(dialects, dialect) && strlen(dialects) + strlen(dialect) + 3 < sizeof dialects)
                snprintf(dialects + strlen(dialects), sizeof dialects - strlen(dialects), "%s%s",
                         dialects[0] ? ", " : "", dialect);
            continue; /* WS-Policy attachments and other dialects: the WSDL carries the policies it uses */
        }
        xmlNode *el = first_child(sec);
        if (el && (is(el, NS_MEX, "MetadataReference") || is(el, NS_MEX, "Location"))) {
            nref++; /* by reference: not fetched (a location a peer chose) */
            continue;
        }
        if (!(want_wsdl ? is(el, NS_WSDL, "definitions") : is(el, NS_XSD, "schema"))) {
            st = fail(w, NTCP_E_MALFORMED, NTCP_CAUSE_MEX_BAD_REPLY,
                      "%s: wsx:MetadataSection %zu (Dialect %s) holds {%s}%s, not %s", src, nsec, dialect,
                      el && el->ns ? (const char *)el->ns->href : "", el ? (const char *)el->name : "nothing",
                      want_wsdl ? "a wsdl:definitions" : "an xsd:schema");
            goto out;
        }
        xmlChar *bytes = NULL;
        int blen = 0;
        if ((st = mex_section_bytes(reply, el, &bytes, &blen)))
            goto out;
        char url[1200];
        snprintf(url, sizeof url, "%s#%s%zu", src, want_wsdl ? "wsdl" : "xsd", nsec);
        nwsdl += want_wsdl;
        st = load_doc(w, url, NULL, NULL, 0, bytes, (size_t)blen);
        xmlFree(bytes);
        if (st)
            goto out;
    }
    if (!nwsdl) {
        st = fail(w, NTCP_E_MALFORMED, NTCP_CAUSE_MEX_BAD_REPLY,
                  "%s: the reply holds no WSDL wsx:MetadataSection (%zu sections%s%s%s)", src, nsec,
                  dialects[0] ? "; other dialects: " : "", dialects,
                  nref ? "; sections by reference are not fetched" : "");
        goto out;
    }
    if (!(st = mex_check_imports(w)))
        st = extract(w);
out:
    xmlFreeDoc(reply);
    w->err = NULL;
    if (st) {
        if (err && err->status == NTCP_OK)
            ntcp_error_set(err, st, ntcp_cause_of_status(st), NTCP_STEP_DECODE, "%s: %s", src, ntcp_status_str(st));
        ntcp_wsdl_free(w);
        return st;
    }
    *out = w;
    return NTCP_OK;
}
