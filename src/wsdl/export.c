/* WSDL export: the documents WCF publishes for NetTcpBinding endpoints —
 * one WSDL per namespace (the service's: policies, bindings, service; each
 * contract namespace's: types, messages, portTypes), the XML Schemas
 * (operation wrappers as the DataContractSerializer words parameters,
 * WCF's Serialization and Arrays schemas) — or all in one (?singleWsdl), or
 * as a WS-MetadataExchange wsx:Metadata. Built as a libxml2 tree, so every
 * name and value is escaped by the library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include "wsdl/export.h"

#define NS_WSDL "http://schemas.xmlsoap.org/wsdl/"
#define NS_SOAP12 "http://schemas.xmlsoap.org/wsdl/soap12/"
#define NS_XSD "http://www.w3.org/2001/XMLSchema"
#define NS_WSP "http://schemas.xmlsoap.org/ws/2004/09/policy"
#define NS_WSU "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
#define NS_MSB "http://schemas.microsoft.com/ws/06/2004/mspolicy/netbinary1"
#define NS_MSF "http://schemas.microsoft.com/ws/2006/05/framing/policy"
#define NS_SP "http://schemas.xmlsoap.org/ws/2005/07/securitypolicy"
#define NS_WSAW "http://www.w3.org/2006/05/addressing/wsdl"
#define NS_WSAM "http://www.w3.org/2007/05/addressing/metadata"
#define NS_WSA10 "http://www.w3.org/2005/08/addressing"
#define NS_WSA "http://schemas.xmlsoap.org/ws/2004/08/addressing"
#define NS_WSAP "http://schemas.xmlsoap.org/ws/2004/08/addressing/policy"
#define NS_WSX "http://schemas.xmlsoap.org/ws/2004/09/mex"
#define NS_MSC "http://schemas.microsoft.com/ws/2005/12/wsdl/contract"
#define NS_SOAP11 "http://schemas.xmlsoap.org/wsdl/soap/"
#define NS_SOAPENC "http://schemas.xmlsoap.org/soap/encoding/"
#define NS_ID "http://schemas.xmlsoap.org/ws/2006/02/addressingidentity"
#define NS_SER "http://schemas.microsoft.com/2003/10/Serialization/"
#define NS_ARR "http://schemas.microsoft.com/2003/10/Serialization/Arrays"
#define TCP_TRANSPORT "http://schemas.microsoft.com/soap/tcp"

#define MAX_DOCS 64
#define BC (const xmlChar *)

enum xkind { X_PARAMS, X_SER, X_ARR, X_TEXT };
enum mode { M_SINGLE, M_SPLIT, M_MEX };

typedef struct xsd_doc {
    enum xkind kind;
    const char *tns;
    const char *text; /* X_TEXT */
} xsd_doc;

typedef struct plan {
    const ntcp__xservice *s;
    enum mode mode;
    const char *base;
    xsd_doc x[MAX_DOCS];
    size_t nx;
    const char *w[MAX_DOCS]; /* wsdl docs' namespaces; [0] the service's */
    size_t nw;
    bool arrays, ser_types;
    /* ?singleWsdl's namespace: as WCF, the contracts' one when they share
     * it (WCF refuses a single WSDL for contracts of several namespaces;
     * here they all move into the service's namespace, their operations'
     * actions and elements unchanged) */
    const char *single_ns;
} plan;

/* ---- types ----------------------------------------------------------------- */

static const char *const builtin[] = { "anyType", "anyURI", "base64Binary", "boolean", "byte", "dateTime", "decimal",
                                       "double", "float", "int", "long", "QName", "short", "string", "unsignedByte",
                                       "unsignedInt", "unsignedLong", "unsignedShort", NULL };
static const char *const sertypes[] = { "char", "duration", "guid", NULL };

static bool in_list(const char *const *l, const char *t)
{
    for (; *l; l++)
        if (!strcmp(*l, t))
            return true;
    return false;
}

bool ntcp__wsdl_type_known(const char *t) { return !t || in_list(builtin, t) || in_list(sertypes, t); }

static const char *ptype(const ntcp_param *p) { return p->type ? p->type : "string"; }

/* reference types are nillable in WCF's schemas */
static bool nillable(const char *t)
{
    return !strcmp(t, "string") || !strcmp(t, "base64Binary") || !strcmp(t, "anyURI") || !strcmp(t, "QName") ||
           !strcmp(t, "anyType");
}

/* ---- the plan: which documents there are -------------------------------------- */

static ntcp_status add_x(plan *p, enum xkind k, const char *tns, const char *text)
{
    for (size_t i = 0; i < p->nx; i++)
        if (p->x[i].kind == k && (k == X_TEXT ? !strcmp(p->x[i].text, text) : !strcmp(p->x[i].tns, tns)))
            return NTCP_OK;
    if (p->nx >= MAX_DOCS)
        return NTCP_E_LIMIT;
    p->x[p->nx++] = (xsd_doc){ k, tns, text };
    return NTCP_OK;
}

static bool uses_params(const ntcp_operation_info *o) { return !o->schema; }

static ntcp_status make_plan(plan *p, const ntcp__xservice *s)
{
    memset(p, 0, sizeof *p);
    p->s = s;
    p->w[p->nw++] = s->ns;
    ntcp_status st = NTCP_OK;
    for (size_t c = 0; c < s->ncontracts && !st; c++) {
        const ntcp_contract_info *ci = s->contracts[c];
        bool seen = false;
        for (size_t i = 0; i < p->nw; i++)
            seen |= !strcmp(p->w[i], ci->ns);
        if (!seen) {
            if (p->nw >= MAX_DOCS)
                return NTCP_E_LIMIT;
            p->w[p->nw++] = ci->ns;
        }
        for (size_t o = 0; o < ci->nops && !st; o++) {
            const ntcp_operation_info *op = &ci->ops[o];
            if (uses_params(op)) {
                st = add_x(p, X_PARAMS, ci->ns, NULL);
                for (int io = 0; io < 2; io++) {
                    const ntcp_param *ps = io ? op->out : op->in;
                    size_t n = io ? op->nout : op->nin;
                    for (size_t k = 0; k < n; k++) {
                        p->arrays |= ps[k].array;
                        p->ser_types |= in_list(sertypes, ptype(&ps[k]));
                    }
                }
            }
        }
    }
    p->single_ns = s->ncontracts ? s->contracts[0]->ns : s->ns;
    for (size_t c = 1; c < s->ncontracts; c++)
        if (strcmp(s->contracts[c]->ns, p->single_ns))
            p->single_ns = s->ns;
    if (!st)
        st = add_x(p, X_SER, NS_SER, NULL);
    if (!st && p->arrays)
        st = add_x(p, X_ARR, NS_ARR, NULL);
    for (size_t c = 0; c < s->ncontracts && !st; c++)
        for (size_t o = 0; o < s->contracts[c]->nops && !st; o++)
            if (s->contracts[c]->ops[o].schema)
                st = add_x(p, X_TEXT, NULL, s->contracts[c]->ops[o].schema);
    return st;
}

/* ---- building ----------------------------------------------------------------- */

static xmlNodePtr el(xmlNodePtr parent, xmlNsPtr ns, const char *name)
{
    return xmlNewChild(parent, ns, BC name, NULL);
}

static void at(xmlNodePtr n, const char *name, const char *value) { xmlNewProp(n, BC name, BC value); }

static xmlDocPtr parse_schema(const char *text)
{
    xmlDocPtr d = xmlReadMemory(text, (int)strlen(text), "schema.xsd", NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    xmlNodePtr r = d ? xmlDocGetRootElement(d) : NULL;
    if (!r || !r->ns || strcmp((const char *)r->ns->href, NS_XSD) || strcmp((const char *)r->name, "schema")) {
        xmlFreeDoc(d);
        return NULL;
    }
    return d;
}

ntcp_status ntcp__wsdl_schema_check(const char *schema)
{
    xmlDocPtr d = parse_schema(schema);
    xmlFreeDoc(d);
    return d ? NTCP_OK : NTCP_E_INVALID_ARG;
}

/* the namespace of an operation's message elements */
static char *element_ns(const ntcp_contract_info *c, const ntcp_operation_info *o)
{
    if (!o->schema)
        return ntcp_strndup(c->ns, strlen(c->ns));
    xmlDocPtr d = parse_schema(o->schema);
    xmlChar *t = d ? xmlGetProp(xmlDocGetRootElement(d), BC "targetNamespace") : NULL;
    const char *tv = t ? (const char *)t : "";
    char *r = ntcp_strndup(tv, strlen(tv));
    xmlFree(t);
    xmlFreeDoc(d);
    return r;
}

static xmlNsPtr decl(xmlNodePtr n, const char *href, const char *prefix) { return xmlNewNs(n, BC href, BC prefix); }

/* an xs:element for a parameter */
static void param_el(xmlNodePtr seq, xmlNsPtr xs, const ntcp_param *p)
{
    const char *t = ptype(p);
    xmlNodePtr e = el(seq, xs, "element");
    at(e, "minOccurs", "0");
    at(e, "name", p->name);
    char qn[128];
    if (p->array) {
        decl(e, NS_ARR, "q1");
        snprintf(qn, sizeof qn, "q1:ArrayOf%s", t);
        at(e, "nillable", "true");
    } else if (in_list(sertypes, t)) {
        decl(e, NS_SER, "q1");
        snprintf(qn, sizeof qn, "q1:%s", t);
    } else {
        snprintf(qn, sizeof qn, "xs:%s", t);
        if (nillable(t))
            at(e, "nillable", "true");
    }
    at(e, "type", qn);
}

static xmlNodePtr schema_root(xmlDocPtr d, xmlNodePtr parent, const char *tns, bool attr_qualified, xmlNsPtr *xs)
{
    xmlNodePtr r = parent ? xmlNewChild(parent, NULL, BC "schema", NULL) : xmlNewDocNode(d, NULL, BC "schema", NULL);
    if (!parent)
        xmlDocSetRootElement(d, r);
    *xs = decl(r, NS_XSD, "xs");
    xmlSetNs(r, *xs);
    if (attr_qualified)
        at(r, "attributeFormDefault", "qualified");
    at(r, "elementFormDefault", "qualified");
    at(r, "targetNamespace", tns);
    decl(r, tns, "tns");
    return r;
}

static void xs_import(const plan *p, xmlNodePtr schema, xmlNsPtr xs, const char *ns)
{
    xmlNodePtr i = el(schema, xs, "import");
    if (p->mode == M_SPLIT)
        for (size_t k = 0; k < p->nx; k++)
            if (p->x[k].kind != X_TEXT && !strcmp(p->x[k].tns, ns)) {
                char loc[2300];
                snprintf(loc, sizeof loc, "%s?xsd=xsd%zu", p->base, k);
                at(i, "schemaLocation", loc);
            }
    at(i, "namespace", ns);
}

static void build_params(const plan *p, const xsd_doc *x, xmlDocPtr d, xmlNodePtr parent)
{
    xmlNsPtr xs;
    xmlNodePtr r = schema_root(d, parent, x->tns, false, &xs);
    bool arr = false, ser = false;
    for (size_t c = 0; c < p->s->ncontracts; c++) {
        const ntcp_contract_info *ci = p->s->contracts[c];
        if (strcmp(ci->ns, x->tns))
            continue;
        for (size_t o = 0; o < ci->nops; o++)
            for (int io = 0; io < 2; io++) {
                const ntcp_param *ps = io ? ci->ops[o].out : ci->ops[o].in;
                for (size_t k = 0; uses_params(&ci->ops[o]) && k < (io ? ci->ops[o].nout : ci->ops[o].nin); k++) {
                    arr |= ps[k].array;
                    ser |= !ps[k].array && in_list(sertypes, ptype(&ps[k]));
                }
            }
    }
    if (arr)
        xs_import(p, r, xs, NS_ARR);
    if (ser)
        xs_import(p, r, xs, NS_SER);
    for (size_t c = 0; c < p->s->ncontracts; c++) {
        const ntcp_contract_info *ci = p->s->contracts[c];
        if (strcmp(ci->ns, x->tns))
            continue;
        for (size_t o = 0; o < ci->nops; o++) {
            const ntcp_operation_info *op = &ci->ops[o];
            if (!uses_params(op))
                continue;
            for (int io = 0; io < (op->one_way ? 1 : 2); io++) {
                char name[256];
                snprintf(name, sizeof name, "%s%s", op->name, io ? "Response" : "");
                xmlNodePtr e = el(r, xs, "element");
                at(e, "name", name);
                xmlNodePtr seq = el(el(e, xs, "complexType"), xs, "sequence");
                const ntcp_param *ps = io ? op->out : op->in;
                for (size_t k = 0; k < (io ? op->nout : op->nin); k++)
                    param_el(seq, xs, &ps[k]);
            }
        }
    }
}

static void build_ser(xmlDocPtr d, xmlNodePtr parent)
{
    xmlNsPtr xs;
    xmlNodePtr r = schema_root(d, parent, NS_SER, true, &xs);
    for (const char *const *t = builtin; *t; t++) {
        xmlNodePtr e = el(r, xs, "element");
        at(e, "name", *t);
        at(e, "nillable", "true");
        char qn[64];
        snprintf(qn, sizeof qn, "xs:%s", *t);
        at(e, "type", qn);
    }
    static const struct {
        const char *name, *base, *facet, *value;
    } st[] = { { "char", "int", NULL, NULL },
               { "duration", "duration", "pattern", "\\-?P(\\d*D)?(T(\\d*H)?(\\d*M)?(\\d*(\\.\\d*)?S)?)?" },
               { "guid", "string", "pattern", "[\\da-fA-F]{8}-[\\da-fA-F]{4}-[\\da-fA-F]{4}-[\\da-fA-F]{4}-[\\da-fA-F]{12}" } };
    for (size_t i = 0; i < sizeof st / sizeof st[0]; i++) {
        char qn[64];
        xmlNodePtr e = el(r, xs, "element");
        at(e, "name", st[i].name);
        at(e, "nillable", "true");
        snprintf(qn, sizeof qn, "tns:%s", st[i].name);
        at(e, "type", qn);
        xmlNodePtr s = el(r, xs, "simpleType");
        at(s, "name", st[i].name);
        xmlNodePtr rs = el(s, xs, "restriction");
        snprintf(qn, sizeof qn, "xs:%s", st[i].base);
        at(rs, "base", qn);
        if (st[i].facet)
            at(el(rs, xs, st[i].facet), "value", st[i].value);
    }
    static const char *const attrs[][2] = { { "FactoryType", "xs:QName" }, { "Id", "xs:ID" }, { "Ref", "xs:IDREF" } };
    for (size_t i = 0; i < 3; i++) {
        xmlNodePtr a = el(r, xs, "attribute");
        at(a, "name", attrs[i][0]);
        at(a, "type", attrs[i][1]);
    }
}

static void build_arr(const plan *p, xmlDocPtr d, xmlNodePtr parent)
{
    xmlNsPtr xs;
    xmlNodePtr r = schema_root(d, parent, NS_ARR, false, &xs);
    const char *done[64];
    size_t ndone = 0;
    bool ser_import = false;
    for (size_t c = 0; c < p->s->ncontracts; c++)
        for (size_t o = 0; o < p->s->contracts[c]->nops; o++) {
            const ntcp_operation_info *op = &p->s->contracts[c]->ops[o];
            for (int io = 0; io < 2 && uses_params(op); io++)
                for (size_t k = 0; k < (io ? op->nout : op->nin); k++) {
                    const ntcp_param *pa = io ? &op->out[k] : &op->in[k];
                    const char *t = ptype(pa);
                    bool seen = false;
                    for (size_t i = 0; i < ndone; i++)
                        seen |= !strcmp(done[i], t);
                    if (!pa->array || seen || ndone >= 64)
                        continue;
                    done[ndone++] = t;
                    if (in_list(sertypes, t) && !ser_import) {
                        xs_import(p, r, xs, NS_SER);
                        ser_import = true;
                    }
                    char name[96], qn[128];
                    snprintf(name, sizeof name, "ArrayOf%s", t);
                    xmlNodePtr ct = el(r, xs, "complexType");
                    at(ct, "name", name);
                    xmlNodePtr e = el(el(ct, xs, "sequence"), xs, "element");
                    at(e, "minOccurs", "0");
                    at(e, "maxOccurs", "unbounded");
                    at(e, "name", t);
                    if (nillable(t))
                        at(e, "nillable", "true");
                    if (in_list(sertypes, t)) {
                        decl(e, NS_SER, "q1");
                        snprintf(qn, sizeof qn, "q1:%s", t);
                    } else {
                        snprintf(qn, sizeof qn, "xs:%s", t);
                    }
                    at(e, "type", qn);
                    e = el(r, xs, "element");
                    at(e, "name", name);
                    at(e, "nillable", "true");
                    snprintf(qn, sizeof qn, "tns:%s", name);
                    at(e, "type", qn);
                }
        }
}

/* schema k into d (as its root when parent is NULL) */
static ntcp_status build_xsd(const plan *p, size_t k, xmlDocPtr d, xmlNodePtr parent)
{
    const xsd_doc *x = &p->x[k];
    switch (x->kind) {
    case X_PARAMS: build_params(p, x, d, parent); return NTCP_OK;
    case X_SER: build_ser(d, parent); return NTCP_OK;
    case X_ARR: build_arr(p, d, parent); return NTCP_OK;
    case X_TEXT: break;
    }
    xmlDocPtr src = parse_schema(x->text);
    if (!src)
        return NTCP_E_INVALID_ARG;
    xmlNodePtr copy = xmlDocCopyNode(xmlDocGetRootElement(src), d, 1);
    xmlFreeDoc(src);
    if (!copy)
        return NTCP_E_NOMEM;
    if (parent)
        xmlAddChild(parent, copy);
    else
        xmlDocSetRootElement(d, copy);
    return NTCP_OK;
}

static void action_of(const ntcp_contract_info *c, const ntcp_operation_info *o, bool reply, char *out, size_t n)
{
    if (o->action && !reply)
        snprintf(out, n, "%s", o->action);
    else if (reply && o->reply_action)
        snprintf(out, n, "%s", o->reply_action);
    else if (o->action)
        snprintf(out, n, "%sResponse", o->action);
    else {
        size_t l = strlen(c->ns);
        snprintf(out, n, "%s%s%s/%s%s", c->ns, l && c->ns[l - 1] == '/' ? "" : "/", c->name, o->name,
                 reply ? "Response" : "");
    }
}

static void fault_action(const ntcp_contract_info *c, const ntcp_operation_info *o, const ntcp_fault_info *f,
                         char *out, size_t n)
{
    size_t l = strlen(c->ns);
    if (f->action)
        snprintf(out, n, "%s", f->action);
    else
        snprintf(out, n, "%s%s%s/%s%s", c->ns, l && c->ns[l - 1] == '/' ? "" : "/", c->name, o->name, f->name);
}

static void binding_name(const plan *p, size_t port, char *out, size_t n)
{
    const ntcp_contract_info *c = p->s->ports[port].contract;
    size_t same = 0;
    for (size_t i = 0; i < port; i++)
        same += p->s->ports[i].contract == c;
    if (same)
        snprintf(out, n, "NetTcpBinding_%s%zu", c->name, same);
    else
        snprintf(out, n, "NetTcpBinding_%s", c->name);
}

static void policy(xmlNodePtr root, xmlNsPtr wsp, xmlNsPtr wsu, xmlNsPtr wsaw, const ntcp__xport *pt, const char *bname)
{
    char id[320];
    snprintf(id, sizeof id, "%s_policy", bname);
    xmlNodePtr pol = el(root, wsp, "Policy");
    xmlNewNsProp(pol, wsu, BC "Id", BC id);
    xmlNodePtr all = el(el(pol, wsp, "ExactlyOne"), wsp, "All");
    xmlNodePtr be = xmlNewChild(all, NULL, BC "BinaryEncoding", NULL);
    xmlSetNs(be, decl(be, NS_MSB, "msb"));
    if (pt->security != NTCP__XSEC_NONE) {
        xmlNodePtr tb = xmlNewChild(all, NULL, BC "TransportBinding", NULL);
        xmlNsPtr sp = decl(tb, NS_SP, "sp");
        xmlSetNs(tb, sp);
        xmlNodePtr tbp = el(tb, wsp, "Policy");
        xmlNodePtr tokp = el(el(tbp, sp, "TransportToken"), wsp, "Policy");
        xmlNodePtr sec = xmlNewChild(tokp, NULL,
                                     BC(pt->security == NTCP__XSEC_WINDOWS ? "WindowsTransportSecurity"
                                                                           : "SslTransportSecurity"),
                                     NULL);
        xmlNsPtr msf = decl(sec, NS_MSF, "msf");
        xmlSetNs(sec, msf);
        if (pt->security == NTCP__XSEC_WINDOWS)
            xmlNewTextChild(sec, msf, BC "ProtectionLevel", BC(pt->protection ? pt->protection : "EncryptAndSign"));
        else if (pt->security == NTCP__XSEC_CERTIFICATE)
            el(sec, msf, "RequireClientCertificate");
        el(el(el(tbp, sp, "AlgorithmSuite"), wsp, "Policy"), sp, "Basic256");
        el(el(el(tbp, sp, "Layout"), wsp, "Policy"), sp, "Strict");
    }
    el(all, wsaw, "UsingAddressing");
}

/* which wsdl document holds a contract's portType */
static size_t doc_of(const plan *p, const char *ns)
{
    if (p->mode == M_SINGLE)
        return 0;
    for (size_t i = 0; i < p->nw; i++)
        if (!strcmp(p->w[i], ns))
            return i;
    return 0;
}

static ntcp_status build_wsdl(const plan *p, size_t w, xmlDocPtr d)
{
    const ntcp__xservice *s = p->s;
    const char *tnsv = p->mode == M_SINGLE ? p->single_ns : p->w[w];
    xmlNodePtr root = xmlNewDocNode(d, NULL, BC "definitions", NULL);
    xmlDocSetRootElement(d, root);
    xmlNsPtr wsdl = decl(root, NS_WSDL, "wsdl");
    xmlSetNs(root, wsdl);
    at(root, "name", s->name);
    at(root, "targetNamespace", tnsv);
    decl(root, NS_WSAM, "wsam");
    decl(root, NS_WSX, "wsx");
    decl(root, NS_WSAP, "wsap");
    decl(root, NS_MSC, "msc");
    xmlNsPtr wsp = decl(root, NS_WSP, "wsp");
    xmlNsPtr xsd = decl(root, NS_XSD, "xsd");
    decl(root, NS_SOAP11, "soap");
    xmlNsPtr wsu = decl(root, NS_WSU, "wsu");
    xmlNsPtr soap12 = decl(root, NS_SOAP12, "soap12");
    decl(root, NS_SOAPENC, "soapenc");
    decl(root, tnsv, "tns");
    xmlNsPtr wsa10 = decl(root, NS_WSA10, "wsa10");
    xmlNsPtr wsaw = decl(root, NS_WSAW, "wsaw");
    decl(root, NS_WSA, "wsa");
    /* prefixes i0, i1, ... for the other WSDLs' namespaces (the binding's type) */
    if (w == 0 && p->mode != M_SINGLE)
        for (size_t i = 1; i < p->nw; i++) {
            char pre[16];
            snprintf(pre, sizeof pre, "i%zu", i - 1);
            decl(root, p->w[i], pre);
        }
    if (w == 0)
        for (size_t i = 0; i < s->nports; i++) {
            char bname[300];
            binding_name(p, i, bname, sizeof bname);
            policy(root, wsp, wsu, wsaw, &s->ports[i], bname);
        }
    if (w == 0 && p->mode != M_SINGLE)
        for (size_t i = 1; i < p->nw; i++) {
            xmlNodePtr im = el(root, wsdl, "import");
            at(im, "namespace", p->w[i]);
            if (p->mode == M_SPLIT) {
                char loc[2300];
                snprintf(loc, sizeof loc, "%s?wsdl=wsdl%zu", p->base, i - 1);
                at(im, "location", loc);
            }
        }
    bool has_pt = false;
    for (size_t c = 0; c < s->ncontracts; c++)
        has_pt |= doc_of(p, s->contracts[c]->ns) == w;
    if (!has_pt && w == 0)
        el(root, wsdl, "types"); /* WCF writes it empty there */
    if (has_pt) {
        xmlNodePtr types = el(root, wsdl, "types");
        if (p->mode == M_SINGLE) {
            for (size_t k = 0; k < p->nx; k++) {
                ntcp_status st = build_xsd(p, k, d, types);
                if (st)
                    return st;
            }
        } else {
            char imports[2100];
            size_t tl = strlen(tnsv);
            snprintf(imports, sizeof imports, "%s%sImports", tnsv, tl && tnsv[tl - 1] == '/' ? "" : "/");
            xmlNodePtr sch = el(types, xsd, "schema");
            at(sch, "targetNamespace", imports);
            for (size_t k = 0; k < p->nx; k++) {
                xmlNodePtr im = el(sch, xsd, "import");
                if (p->mode == M_SPLIT) {
                    char loc[2300];
                    snprintf(loc, sizeof loc, "%s?xsd=xsd%zu", p->base, k);
                    at(im, "schemaLocation", loc);
                }
                if (p->x[k].kind == X_TEXT) {
                    xmlDocPtr sd = parse_schema(p->x[k].text);
                    xmlChar *t = sd ? xmlGetProp(xmlDocGetRootElement(sd), BC "targetNamespace") : NULL;
                    if (t)
                        at(im, "namespace", (const char *)t);
                    xmlFree(t);
                    xmlFreeDoc(sd);
                } else {
                    at(im, "namespace", p->x[k].tns);
                }
            }
        }
    }
    /* messages, then portTypes */
    for (int pass = 0; pass < 2; pass++)
        for (size_t c = 0; c < s->ncontracts; c++) {
            const ntcp_contract_info *ci = s->contracts[c];
            if (doc_of(p, ci->ns) != w)
                continue;
            xmlNodePtr pt = NULL;
            if (pass == 1) {
                pt = el(root, wsdl, "portType");
                at(pt, "name", ci->name);
            }
            for (size_t o = 0; o < ci->nops; o++) {
                const ntcp_operation_info *op = &ci->ops[o];
                char *ens = element_ns(ci, op);
                if (!ens)
                    return NTCP_E_NOMEM;
                xmlNodePtr po = pass ? el(pt, wsdl, "operation") : NULL;
                if (po)
                    at(po, "name", op->name);
                for (int io = 0; io < (op->one_way ? 1 : 2); io++) {
                    char mname[600], qn[700], act[2300];
                    snprintf(mname, sizeof mname, "%s_%s_%s", ci->name, op->name, io ? "OutputMessage" : "InputMessage");
                    if (pass == 0) {
                        xmlNodePtr m = el(root, wsdl, "message");
                        at(m, "name", mname);
                        xmlNodePtr part = el(m, wsdl, "part");
                        at(part, "name", "parameters");
                        char elname[300];
                        if (op->schema)
                            snprintf(elname, sizeof elname, "%s", io ? op->output_element : op->input_element);
                        else
                            snprintf(elname, sizeof elname, "%s%s", op->name, io ? "Response" : "");
                        if (!strcmp(ens, tnsv)) {
                            snprintf(qn, sizeof qn, "tns:%s", elname);
                        } else {
                            decl(part, ens, "q1");
                            snprintf(qn, sizeof qn, "q1:%s", elname);
                        }
                        at(part, "element", qn);
                    } else {
                        xmlNodePtr m = el(po, wsdl, io ? "output" : "input");
                        action_of(ci, op, io, act, sizeof act);
                        xmlNewNsProp(m, wsaw, BC "Action", BC act);
                        snprintf(qn, sizeof qn, "tns:%s", mname);
                        at(m, "message", qn);
                    }
                }
                ntcp_free(ens);
                for (size_t f = 0; f < op->nfaults; f++) {
                    const ntcp_fault_info *fi = &op->faults[f];
                    char mname[900], qn[1000], act[2300];
                    snprintf(mname, sizeof mname, "%s_%s_%s_FaultMessage", ci->name, op->name, fi->name);
                    if (pass == 0) {
                        xmlNodePtr part = el(el(root, wsdl, "message"), wsdl, "part");
                        at(part->parent, "name", mname);
                        at(part, "name", "detail");
                        decl(part, NS_SER, "q1");
                        snprintf(qn, sizeof qn, "q1:%s", fi->type ? fi->type : "string");
                        at(part, "element", qn);
                    } else {
                        xmlNodePtr m = el(po, wsdl, "fault");
                        fault_action(ci, op, fi, act, sizeof act);
                        xmlNewNsProp(m, wsaw, BC "Action", BC act);
                        at(m, "name", fi->name);
                        snprintf(qn, sizeof qn, "tns:%s", mname);
                        at(m, "message", qn);
                    }
                }
            }
        }
    if (w != 0)
        return NTCP_OK;
    for (size_t i = 0; i < s->nports; i++) {
        const ntcp__xport *pt = &s->ports[i];
        char bname[300], qn[420];
        binding_name(p, i, bname, sizeof bname);
        xmlNodePtr b = el(root, wsdl, "binding");
        at(b, "name", bname);
        size_t cd = doc_of(p, pt->contract->ns);
        if (cd == 0)
            snprintf(qn, sizeof qn, "tns:%s", pt->contract->name);
        else
            snprintf(qn, sizeof qn, "i%zu:%s", cd - 1, pt->contract->name);
        at(b, "type", qn);
        snprintf(qn, sizeof qn, "#%s_policy", bname);
        at(el(b, wsp, "PolicyReference"), "URI", qn);
        at(el(b, soap12, "binding"), "transport", TCP_TRANSPORT);
        for (size_t o = 0; o < pt->contract->nops; o++) {
            const ntcp_operation_info *op = &pt->contract->ops[o];
            char act[2300];
            xmlNodePtr bo = el(b, wsdl, "operation");
            at(bo, "name", op->name);
            xmlNodePtr so = el(bo, soap12, "operation");
            action_of(pt->contract, op, false, act, sizeof act);
            at(so, "soapAction", act);
            at(so, "style", "document");
            for (int io = 0; io < (op->one_way ? 1 : 2); io++)
                at(el(el(bo, wsdl, io ? "output" : "input"), soap12, "body"), "use", "literal");
            for (size_t f = 0; f < op->nfaults; f++) {
                xmlNodePtr bf = el(bo, wsdl, "fault");
                at(bf, "name", op->faults[f].name);
                xmlNodePtr sf = el(bf, soap12, "fault");
                at(sf, "use", "literal");
                at(sf, "name", op->faults[f].name);
                at(sf, "namespace", "");
            }
        }
    }
    xmlNodePtr sv = el(root, wsdl, "service");
    at(sv, "name", s->name);
    for (size_t i = 0; i < s->nports; i++) {
        const ntcp__xport *pt = &s->ports[i];
        char bname[300], qn[420];
        binding_name(p, i, bname, sizeof bname);
        xmlNodePtr port = el(sv, wsdl, "port");
        at(port, "name", bname);
        snprintf(qn, sizeof qn, "tns:%s", bname);
        at(port, "binding", qn);
        at(el(port, soap12, "address"), "location", pt->address);
        xmlNodePtr epr = el(port, wsa10, "EndpointReference");
        xmlNewTextChild(epr, wsa10, BC "Address", BC pt->address);
        if (pt->id_kind && pt->id_value) {
            xmlNodePtr id = xmlNewChild(epr, NULL, BC "Identity", NULL);
            xmlSetNs(id, decl(id, NS_ID, NULL));
            xmlNewTextChild(id, id->ns, BC pt->id_kind, BC pt->id_value);
        }
    }
    return NTCP_OK;
}

static ntcp_status dump(xmlDocPtr d, ntcp_buf *out)
{
    xmlChar *mem = NULL;
    int size = 0;
    xmlDocDumpFormatMemoryEnc(d, &mem, &size, "utf-8", 1);
    if (!mem)
        return NTCP_E_NOMEM;
    ntcp_status st = ntcp_buf_append(out, mem, (size_t)size);
    xmlFree(mem);
    return st;
}

static ntcp_status dump_node(xmlDocPtr d, xmlNodePtr n, ntcp_buf *out)
{
    xmlBufferPtr b = xmlBufferCreate();
    if (!b)
        return NTCP_E_NOMEM;
    ntcp_status st = xmlNodeDump(b, d, n, 0, 0) < 0 ? NTCP_E_NOMEM
                                                     : ntcp_buf_append(out, xmlBufferContent(b), (size_t)xmlBufferLength(b));
    xmlBufferFree(b);
    return st;
}

static ntcp_status build_mex(const plan *p, ntcp_buf *out)
{
    xmlDocPtr d = xmlNewDoc(BC "1.0");
    if (!d)
        return NTCP_E_NOMEM;
    xmlNodePtr root = xmlNewDocNode(d, NULL, BC "Metadata", NULL);
    xmlDocSetRootElement(d, root);
    xmlNsPtr wsx = decl(root, NS_WSX, "wsx");
    xmlSetNs(root, wsx);
    ntcp_status st = NTCP_OK;
    for (size_t i = 0; i < p->nw + p->nx && !st; i++) {
        xmlDocPtr sub = xmlNewDoc(BC "1.0");
        if (!sub)
            return xmlFreeDoc(d), NTCP_E_NOMEM;
        const char *dialect = i < p->nw ? NS_WSDL : NS_XSD;
        st = i < p->nw ? build_wsdl(p, i, sub) : build_xsd(p, i - p->nw, sub, NULL);
        xmlNodePtr r = xmlDocGetRootElement(sub);
        if (!st && r) {
            xmlNodePtr sec = el(root, wsx, "MetadataSection");
            at(sec, "Dialect", dialect);
            xmlChar *tns = xmlGetProp(r, BC "targetNamespace");
            at(sec, "Identifier", tns ? (const char *)tns : "");
            xmlFree(tns);
            xmlNodePtr copy = xmlDocCopyNode(r, d, 1);
            if (!copy)
                st = NTCP_E_NOMEM;
            else
                xmlAddChild(sec, copy);
        }
        xmlFreeDoc(sub);
    }
    if (!st)
        st = dump_node(d, root, out);
    xmlFreeDoc(d);
    return st;
}

ntcp_status ntcp__wsdl_export(const ntcp__xservice *s, const char *doc, const char *base_url, ntcp_buf *out)
{
    if (!s || !doc || !out)
        return NTCP_E_INVALID_ARG;
    plan *p = ntcp_calloc(1, sizeof *p);
    if (!p)
        return NTCP_E_NOMEM;
    ntcp_status st = make_plan(p, s);
    p->base = base_url ? base_url : "";
    size_t k = 0;
    char tail;
    bool is_x = false;
    if (st) {
    } else if (!strcmp(doc, "mex")) {
        p->mode = M_MEX;
        st = build_mex(p, out);
        ntcp_free(p);
        return st;
    } else if (!strcmp(doc, "singleWsdl")) {
        p->mode = M_SINGLE;
    } else if (!strcmp(doc, "wsdl")) {
        p->mode = M_SPLIT;
    } else if (sscanf(doc, "wsdl=wsdl%zu%c", &k, &tail) == 1 && doc[9] >= '0' && doc[9] <= '9' && k + 1 < p->nw) {
        p->mode = M_SPLIT;
        k++;
    } else if (sscanf(doc, "xsd=xsd%zu%c", &k, &tail) == 1 && doc[7] >= '0' && doc[7] <= '9' && k < p->nx) {
        p->mode = M_SPLIT;
        is_x = true;
    } else {
        st = NTCP_E_INVALID_ARG;
    }
    xmlDocPtr d = st ? NULL : xmlNewDoc(BC "1.0");
    if (!st && !d)
        st = NTCP_E_NOMEM;
    if (!st)
        st = is_x ? build_xsd(p, k, d, NULL) : build_wsdl(p, k, d);
    if (!st)
        st = dump(d, out);
    xmlFreeDoc(d);
    ntcp_free(p);
    return st;
}
