/* WSDL import: policy, identity and action extraction on small documents,
 * the WCF-shaped fixtures, and the loader's errors (loops, missing imports,
 * limits), all through an in-memory fetcher. */
#include <stdlib.h>
#include <nettcp/util.h>
#include <nettcp/wsdl.h>
#include "test.h"

struct page {
    const char *url, *body;
};
struct site {
    const struct page *pages;
    int fetches;
};

static ntcp_status fetch_mem(void *ctx, const char *url, size_t max, uint8_t **data, size_t *len, ntcp_error *err)
{
    struct site *s = ctx;
    s->fetches++;
    for (const struct page *p = s->pages; p->url; p++) {
        if (strcmp(p->url, url))
            continue;
        size_t n = strlen(p->body);
        if (n > max)
            return NTCP_E_LIMIT;
        *data = ntcp_malloc(n + 1);
        memcpy(*data, p->body, n + 1);
        *len = n;
        return NTCP_OK;
    }
    return ntcp_error_set(err, NTCP_E_IO, NTCP_CAUSE_WSDL_UNREACHABLE, NTCP_STEP_RECEIVE, "HTTP 404");
}

static ntcp_status load_site(const struct page *pages, const char *url, ntcp_wsdl **w, ntcp_error *err,
                             struct site *s)
{
    ntcp_wsdl_options o;
    ntcp_wsdl_options_init(&o);
    s->pages = pages;
    s->fetches = 0;
    o.fetch = fetch_mem;
    o.fetch_ctx = s;
    return ntcp_wsdl_load(url, &o, w, err);
}

/* The error: its cause id, its step and its text (which carries no cause). */
#define CHECK_ERR(e, id, stepname, txt)                                   \
    do {                                                                  \
        CHECK_EQ_STR(ntcp_error_id(&(e)), id);                            \
        CHECK_EQ_STR(ntcp_channel_step_name((e).step), stepname);         \
        CHECK_EQ_STR((e).text, txt);                                      \
    } while (0)

#define DEFS "<wsdl:definitions xmlns:wsdl='http://schemas.xmlsoap.org/wsdl/' " \
             "xmlns:wsp='http://schemas.xmlsoap.org/ws/2004/09/policy' " \
             "xmlns:wsu='http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd' " \
             "xmlns:soap12='http://schemas.xmlsoap.org/wsdl/soap12/' " \
             "xmlns:wsa10='http://www.w3.org/2005/08/addressing' " \
             "xmlns:wsaw='http://www.w3.org/2006/05/addressing/wsdl' " \
             "xmlns:xs='http://www.w3.org/2001/XMLSchema' "
#define SERVICE(ident) "<wsdl:service name='S'><wsdl:port name='P' binding='tns:B'>" \
    "<soap12:address location='net.tcp://h/s'/><wsa10:EndpointReference><wsa10:Address>net.tcp://h/s</wsa10:Address>" \
    ident "</wsa10:EndpointReference></wsdl:port></wsdl:service>"
#define ID(x) "<Identity xmlns='http://schemas.xmlsoap.org/ws/2006/02/addressingidentity'>" x "</Identity>"

static const ntcp_wsdl_endpoint *one_endpoint(const char *doc, ntcp_wsdl **w)
{
    ntcp_error err;
    ntcp_status st = ntcp_wsdl_load_memory(doc, strlen(doc), "urn:test", NULL, w, &err);
    if (st) {
        ntcp_test_fail(__FILE__, __LINE__, "load: %s", err.text);
        return NULL;
    }
    return ntcp_wsdl_endpoint_at(*w, 0);
}

TEST(wsdl_policy_inline_windows_streamed)
{
    /* a policy written inside the binding (no PolicyReference), streamed framing, ProtectionLevel None */
    static const char doc[] = DEFS "xmlns:tns='urn:t' targetNamespace='urn:t'>"
        "<wsdl:binding name='B' type='tns:C'><wsp:Policy><wsp:ExactlyOne><wsp:All>"
        "<msb:BinaryEncoding xmlns:msb='http://schemas.microsoft.com/ws/06/2004/mspolicy/netbinary1'/>"
        "<msf:Streamed xmlns:msf='http://schemas.microsoft.com/ws/2006/05/framing/policy'/>"
        "<sp:TransportBinding xmlns:sp='http://schemas.xmlsoap.org/ws/2005/07/securitypolicy'><wsp:Policy>"
        "<sp:TransportToken><wsp:Policy><msf:WindowsTransportSecurity "
        "xmlns:msf='http://schemas.microsoft.com/ws/2006/05/framing/policy'><msf:ProtectionLevel> None "
        "</msf:ProtectionLevel></msf:WindowsTransportSecurity></wsp:Policy></sp:TransportToken></wsp:Policy>"
        "</sp:TransportBinding></wsp:All><wsp:All/></wsp:ExactlyOne></wsp:Policy>"
        "<soap12:binding transport='http://schemas.microsoft.com/soap/tcp'/></wsdl:binding>"
        SERVICE(ID("<Spn> HTTP/web01 </Spn>")) "</wsdl:definitions>";
    ntcp_wsdl *w = NULL;
    const ntcp_wsdl_endpoint *e = one_endpoint(doc, &w);
    if (e) {
        CHECK_EQ_STR(e->encoding, "binary");
        CHECK_EQ_STR(e->mode, "streamed");
        CHECK_EQ_STR(e->security, "Transport");
        CHECK_EQ_STR(e->credential, "Windows");
        CHECK_EQ_STR(e->protection, "None");
        CHECK_EQ_STR(e->transport, "tcp");
        CHECK_EQ_STR(e->contract, "C");
        CHECK_EQ_STR(e->identity_kind, "spn");
        CHECK_EQ_STR(e->identity_value, "HTTP/web01");
    }
    ntcp_wsdl_free(w);
}

TEST(wsdl_policy_message_security_and_text)
{
    /* WSHttpBinding-style message security over HTTP with text encoding: named, not mistaken for Transport */
    static const char doc[] = DEFS "xmlns:tns='urn:t' targetNamespace='urn:t'>"
        "<wsp:Policy wsu:Id='pol'><wsp:ExactlyOne><wsp:All>"
        "<sp:SymmetricBinding xmlns:sp='http://schemas.xmlsoap.org/ws/2005/07/securitypolicy'/>"
        "</wsp:All></wsp:ExactlyOne></wsp:Policy>"
        "<wsdl:binding name='B' type='tns:C'><wsp:PolicyReference URI='#pol'/>"
        "<soap12:binding transport='http://schemas.xmlsoap.org/soap/http'/></wsdl:binding>"
        SERVICE(ID("<KeyInfo xmlns='http://www.w3.org/2000/09/xmldsig#'><X509Data><X509Certificate>\n  MIIB\n"
                   "</X509Certificate></X509Data></KeyInfo>")) "</wsdl:definitions>";
    ntcp_wsdl *w = NULL;
    const ntcp_wsdl_endpoint *e = one_endpoint(doc, &w);
    if (e) {
        CHECK_EQ_STR(e->security, "Message");
        CHECK_EQ_STR(e->encoding, "text");
        CHECK_EQ_STR(e->transport, "http");
        CHECK_EQ_STR(e->identity_kind, "x509");
        CHECK_EQ_STR(e->identity_value, "MIIB");
    }
    ntcp_wsdl_free(w);
}

TEST(wsdl_policy_reference_missing)
{
    static const char doc[] = DEFS "xmlns:tns='urn:t' targetNamespace='urn:t'>"
        "<wsdl:binding name='B' type='tns:C'><wsp:PolicyReference URI='#nope'/></wsdl:binding>"
        SERVICE("") "</wsdl:definitions>";
    ntcp_wsdl *w = (ntcp_wsdl *)1;
    ntcp_error err;
    CHECK_EQ_INT(ntcp_wsdl_load_memory(doc, strlen(doc), "urn:test", NULL, &w, &err),
                 NTCP_E_UNSUPPORTED);
    CHECK(w == NULL);
    CHECK_ERR(err, "wsdl_undefined", "decode", "wsp:PolicyReference URI=\"#nope\": no such wsp:Policy");
}

TEST(wsdl_binding_undefined)
{
    static const char doc[] = DEFS "xmlns:tns='urn:t' targetNamespace='urn:t'>" SERVICE("") "</wsdl:definitions>";
    ntcp_wsdl *w;
    ntcp_error err;
    CHECK_EQ_INT(ntcp_wsdl_load_memory(doc, strlen(doc), "urn:test", NULL, &w, &err), NTCP_E_MALFORMED);
    CHECK_ERR(err, "wsdl_undefined", "decode", "wsdl:port name=\"P\": binding {urn:t}B is not defined");
}

#define OP_DOC(tns, action_attr) DEFS "xmlns:tns='" tns "' targetNamespace='" tns "'>" \
    "<wsdl:types><xs:schema targetNamespace='" tns "' elementFormDefault='qualified'>" \
    "<xs:element name='Get' type='tns:GetT'/><xs:complexType name='GetT'><xs:sequence>" \
    "<xs:element name='ids' type='xs:int' minOccurs='0' maxOccurs='unbounded'/>" \
    "<xs:element ref='tns:Extra'/></xs:sequence></xs:complexType>" \
    "<xs:element name='Extra' type='xs:string'/>" \
    "<xs:element name='GetResponse'><xs:complexType/></xs:element></xs:schema></wsdl:types>" \
    "<wsdl:message name='In'><wsdl:part name='parameters' element='tns:Get'/></wsdl:message>" \
    "<wsdl:message name='Out'><wsdl:part name='parameters' element='tns:GetResponse'/></wsdl:message>" \
    "<wsdl:portType name='IStore'><wsdl:operation name='Get'><wsdl:input " action_attr " message='tns:In'/>" \
    "<wsdl:output message='tns:Out'/></wsdl:operation></wsdl:portType></wsdl:definitions>"

TEST(wsdl_default_actions)
{
    struct {
        const char *doc, *action, *reply;
    } cases[] = {
        { OP_DOC("urn:store", ""), "urn:store/IStore/Get", "urn:store/IStore/GetResponse" },
        { OP_DOC("http://example.com/store/", ""), "http://example.com/store/IStore/Get",
          "http://example.com/store/IStore/GetResponse" },
        { OP_DOC("urn:store", "wsaw:Action='urn:explicit'"), "urn:explicit", "urn:store/IStore/GetResponse" },
        { OP_DOC("urn:store", "xmlns:wsam='http://www.w3.org/2007/05/addressing/metadata' wsam:Action='urn:am'"),
          "urn:am", "urn:store/IStore/GetResponse" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ntcp_wsdl *w;
        ntcp_error err;
        if (ntcp_wsdl_load_memory(cases[i].doc, strlen(cases[i].doc), NULL, NULL, &w, &err)) {
            ntcp_test_fail(__FILE__, __LINE__, "case %zu: %s", i, err.text);
            continue;
        }
        CHECK_EQ_INT(ntcp_wsdl_operation_count(w), 1);
        const ntcp_wsdl_operation *o = ntcp_wsdl_operation_at(w, 0);
        CHECK_EQ_STR(o->action, cases[i].action);
        CHECK_EQ_STR(o->reply_action, cases[i].reply);
        if (i == 0) {
            CHECK_EQ_STR(o->input.element, "Get");
            CHECK_EQ_STR(o->input.type, "{urn:store}GetT");
            CHECK_EQ_INT(o->input.nfields, 2);
            CHECK_EQ_STR(o->input.fields[0].name, "ids");
            CHECK_EQ_STR(o->input.fields[0].type, "xs:int");
            CHECK_EQ_INT(o->input.fields[0].min_occurs, 0);
            CHECK_EQ_INT(o->input.fields[0].max_occurs, -1);
            CHECK_EQ_STR(o->input.fields[1].name, "Extra");
            CHECK_EQ_STR(o->input.fields[1].type, "{urn:store}Extra");
            CHECK_EQ_STR(o->output.element, "GetResponse");
            CHECK_EQ_INT(o->output.nfields, 0);
        }
        ntcp_wsdl_free(w);
    }
}

#define IMP(loc) "<wsdl:definitions xmlns:wsdl='http://schemas.xmlsoap.org/wsdl/' targetNamespace='urn:x'>" \
    "<wsdl:import namespace='urn:y' location='" loc "'/></wsdl:definitions>"

TEST(wsdl_import_loop)
{
    static const struct page pages[] = { { "http://h/s?wsdl", IMP("http://h/s?wsdl=wsdl0") },
                                         { "http://h/s?wsdl=wsdl0", IMP("http://h/s?wsdl=wsdl1") },
                                         { "http://h/s?wsdl=wsdl1", IMP("http://h/s?wsdl") },
                                         { NULL, NULL } };
    struct site s;
    ntcp_wsdl *w;
    ntcp_error err;
    CHECK_EQ_INT(load_site(pages, "http://h/s?wsdl", &w, &err, &s), NTCP_E_MALFORMED);
    CHECK_ERR(err, "wsdl_import_loop", "decode",
              "wsdl:import location=\"http://h/s?wsdl\" in http://h/s?wsdl=wsdl1: import loop: http://h/s?wsdl is "
              "already being loaded");
    CHECK_EQ_INT(s.fetches, 3);
}

TEST(wsdl_xsd_cycles_and_diamonds_load_each_once)
{
    /* schemas importing each other are legal XSD: each is read once, no error; XML Schema's own
     * namespace is never fetched (Mono imports it from an empty ?xsd=) */
    static const struct page pages[] = {
        { "http://h/s?wsdl", "<wsdl:definitions xmlns:wsdl='http://schemas.xmlsoap.org/wsdl/'><wsdl:types>"
                             "<xs:schema xmlns:xs='http://www.w3.org/2001/XMLSchema'>"
                             "<xs:import namespace='http://www.w3.org/2001/XMLSchema' schemaLocation='?xsd='/>"
                             "<xs:import schemaLocation='?xsd=xsd0'/><xs:import schemaLocation='?xsd=xsd1'/>"
                             "</xs:schema></wsdl:types></wsdl:definitions>" },
        { "http://h/s?xsd=xsd0", "<xs:schema xmlns:xs='http://www.w3.org/2001/XMLSchema'>"
                                 "<xs:import schemaLocation='http://h/s?xsd=xsd1'/></xs:schema>" },
        { "http://h/s?xsd=xsd1", "<xs:schema xmlns:xs='http://www.w3.org/2001/XMLSchema'>"
                                 "<xs:include schemaLocation='s?xsd=xsd0'/></xs:schema>" },
        { NULL, NULL } };
    struct site s;
    ntcp_wsdl *w = NULL;
    ntcp_error err;
    CHECK_EQ_INT(load_site(pages, "http://h/s?wsdl", &w, &err, &s), NTCP_OK);
    CHECK_EQ_INT(err.status, NTCP_OK);
    CHECK_EQ_STR(ntcp_error_id(&err), "none");
    CHECK_EQ_INT(s.fetches, 3);
    CHECK_EQ_INT(ntcp_wsdl_document_count(w), 3);
    CHECK_EQ_STR(ntcp_wsdl_document_at(w, 1), "http://h/s?xsd=xsd0"); /* relative to the importer */
    ntcp_wsdl_free(w);
}

TEST(wsdl_import_missing_and_limits)
{
    static const struct page pages[] = { { "http://h/s?wsdl", IMP("http://h/s?wsdl=wsdl0") },
                                         { "http://h/s?wsdl=wsdl0", IMP("http://h/s?wsdl=wsdl1") },
                                         { "http://h/s?wsdl=wsdl1", IMP("file:///etc/passwd") },
                                         { NULL, NULL } };
    struct site s;
    ntcp_wsdl *w;
    ntcp_error err;
    CHECK_EQ_INT(load_site(pages, "http://h/s?wsdl", &w, &err, &s), NTCP_E_UNSUPPORTED);
    CHECK_ERR(err, "wsdl_unsupported", "decode",
              "wsdl:import location=\"file:///etc/passwd\" in http://h/s?wsdl=wsdl1: a document read over HTTP may "
              "only import http(s) URLs");
    static const struct page missing[] = { { "http://h/s?wsdl", IMP("?wsdl=wsdl7") }, { NULL, NULL } };
    CHECK_EQ_INT(load_site(missing, "http://h/s?wsdl", &w, &err, &s), NTCP_E_IO);
    CHECK_ERR(err, "wsdl_import_missing", "receive",
              "wsdl:import location=\"?wsdl=wsdl7\" in http://h/s?wsdl: cannot read http://h/s?wsdl=wsdl7: HTTP 404");
    /* depth: a chain longer than max_depth */
    ntcp_wsdl_options o;
    ntcp_wsdl_options_init(&o);
    o.max_depth = 1;
    o.fetch = fetch_mem;
    o.fetch_ctx = &s;
    s.pages = pages;
    CHECK_EQ_INT(ntcp_wsdl_load("http://h/s?wsdl", &o, &w, &err), NTCP_E_LIMIT);
    CHECK_ERR(err, "wsdl_limit", "decode",
              "wsdl:import location=\"http://h/s?wsdl=wsdl1\" in http://h/s?wsdl=wsdl0: imports nest deeper than 1");
    o.max_depth = 8;
    o.max_bytes = 50;
    CHECK_EQ_INT(ntcp_wsdl_load("http://h/s?wsdl", &o, &w, &err), NTCP_E_LIMIT);
    CHECK_ERR(err, "wsdl_limit", "receive",
              "http://h/s?wsdl: larger than 50 bytes (or all documents together than 16777216)");
}

TEST(wsdl_not_wsdl)
{
    static const char doc[] = "<html><body>Service</body></html>";
    ntcp_wsdl *w;
    ntcp_error err;
    CHECK_EQ_INT(ntcp_wsdl_load_memory(doc, strlen(doc), "http://h/s", NULL, &w, &err),
                 NTCP_E_UNSUPPORTED);
    CHECK_ERR(err, "wsdl_not_wsdl", "decode",
              "http://h/s: the root element {}html is neither a WSDL 1.1 wsdl:definitions nor an xsd:schema");
}

TEST(wsdl_fixtures)
{
    static const struct {
        const char *file, *security, *credential, *protection, *kind, *value;
    } cases[] = {
        { "vectors/wsdl/nettcp-windows-spn.wsdl", "Transport", "Windows", "EncryptAndSign", "spn",
          "host/app01.example.com" },
        { "vectors/wsdl/nettcp-windows-sign-upn.wsdl", "Transport", "Windows", "Sign", "upn",
          "svc-calc@EXAMPLE.COM" },
        { "vectors/wsdl/nettcp-certificate-dns.wsdl", "Transport", "Certificate", "EncryptAndSign", "dns",
          "app01.example.com" },
        { "vectors/wsdl/nettcp-none.wsdl", "None", "None", "None", NULL, NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len;
        unsigned char *doc = ntcp_test_read_vector(cases[i].file, &len);
        if (!doc) {
            ntcp_test_fail(__FILE__, __LINE__, "%s missing", cases[i].file);
            continue;
        }
        ntcp_wsdl *w;
        ntcp_error err;
        ntcp_status st = ntcp_wsdl_load_memory(doc, len, NULL, NULL, &w, &err);
        free(doc);
        if (st) {
            ntcp_test_fail(__FILE__, __LINE__, "%s: %s", cases[i].file, err.text);
            continue;
        }
        const ntcp_wsdl_endpoint *e = ntcp_wsdl_endpoint_at(w, 0);
        CHECK_EQ_INT(ntcp_wsdl_endpoint_count(w), 1);
        CHECK_EQ_STR(e->address, "net.tcp://app01.example.com:808/Calculator");
        CHECK_EQ_STR(e->encoding, "binary");
        CHECK_EQ_STR(e->security, cases[i].security);
        CHECK_EQ_STR(e->credential, cases[i].credential);
        CHECK_EQ_STR(e->protection, cases[i].protection);
        if (cases[i].kind) {
            CHECK_EQ_STR(e->identity_kind, cases[i].kind);
            CHECK_EQ_STR(e->identity_value, cases[i].value);
        } else {
            CHECK(e->identity_kind == NULL);
        }
        CHECK_EQ_INT(ntcp_wsdl_operation_count(w), 3);
        const ntcp_wsdl_operation *o = ntcp_wsdl_operation_at(w, 2);
        CHECK_EQ_STR(o->name, "Reset");
        CHECK_EQ_STR(o->action, "http://tempuri.org/ICalculator/Reset");
        CHECK(o->reply_action == NULL);
        CHECK(o->output.element == NULL);
        ntcp_wsdl_free(w);
    }
}

TEST(wsdl_policy_references_multiplying)
{
    /* each policy refers twice to the next: 2^30 paths, cut off by the step limit */
    char doc[16384];
    int n = snprintf(doc, sizeof doc, DEFS "xmlns:tns='urn:t' targetNamespace='urn:t'>");
    for (int i = 0; i < 30; i++)
        n += snprintf(doc + n, sizeof doc - (size_t)n, "<wsp:Policy wsu:Id='p%d'><wsp:PolicyReference URI='#p%d'/>"
                      "<wsp:PolicyReference URI='#p%d'/></wsp:Policy>", i, i + 1, i + 1);
    n += snprintf(doc + n, sizeof doc - (size_t)n, "<wsp:Policy wsu:Id='p30'/><wsdl:binding name='B' type='tns:C'>"
                  "<wsp:PolicyReference URI='#p0'/></wsdl:binding>" SERVICE("") "</wsdl:definitions>");
    ntcp_wsdl *w;
    ntcp_error err;
    CHECK_EQ_INT(ntcp_wsdl_load_memory(doc, (size_t)n, NULL, NULL, &w, &err), NTCP_E_LIMIT);
    CHECK_ERR(err, "wsdl_limit", "decode", "wsp:Policy: more than 20000 assertions reached through references");
}

/* Out of memory at each of the loader's allocations in turn: every failure
 * is an error with a cause (out_of_memory where no wsdl_* cause was met), a
 * step and a text naming the document; none is left without one. */
static long oom_count, oom_fail_at;
static void *oom_malloc(size_t n, void *ctx)
{
    (void)ctx;
    return ++oom_count == oom_fail_at ? NULL : malloc(n);
}
static void *oom_realloc(void *p, size_t n, void *ctx)
{
    (void)ctx;
    return ++oom_count == oom_fail_at ? NULL : realloc(p, n);
}
static void oom_free(void *p, void *ctx)
{
    (void)ctx;
    free(p);
}

TEST(wsdl_out_of_memory_has_a_cause)
{
    static const char doc[] = OP_DOC("urn:s", "");
    static const ntcp_allocator a = { oom_malloc, oom_realloc, oom_free, NULL };
    ntcp_allocator saved;
    ntcp_get_allocator(&saved);
    long failed = 0;
    for (oom_fail_at = 1;; oom_fail_at++) {
        oom_count = 0;
        ntcp_set_allocator(&a);
        ntcp_wsdl *w = NULL;
        ntcp_error err;
        ntcp_status st = ntcp_wsdl_load_memory(doc, strlen(doc), "http://h/s", NULL, &w, &err);
        ntcp_wsdl_free(w);
        ntcp_set_allocator(&saved);
        if (oom_count < oom_fail_at) { /* no allocation failed: the load went through */
            CHECK_EQ_INT(st, NTCP_OK);
            break;
        }
        if (st == NTCP_OK)
            continue; /* an allocation the loader does without */
        failed++;
        CHECK_EQ_INT(err.status, st);
        CHECK_EQ_STR(ntcp_error_id(&err), "out_of_memory");
        CHECK_EQ_STR(ntcp_channel_step_name(err.step), "decode");
        CHECK_EQ_STR(err.text, "http://h/s: memory allocation failed");
    }
    CHECK(failed > 0);
}
