/* WS-MetadataExchange: the GetResponse reader (ntcp_wsdl_load_metadata) on
 * crafted replies, and ntcp_wsdl_load_mex against a service answering the
 * Get action with a canned reply made of the multi-document WSDL fixture. */
#include <pthread.h>
#include <stdlib.h>
#include "test.h"
#include <nettcp/client.h>
#include <nettcp/service.h>
#include <nettcp/wsdl.h>

#define MEX_OPEN "<wsx:Metadata xmlns:wsx=\"http://schemas.xmlsoap.org/ws/2004/09/mex\">"
#define MEX_CLOSE "</wsx:Metadata>"
#define SEC_WSDL "<wsx:MetadataSection Dialect=\"http://schemas.xmlsoap.org/wsdl/\">"
#define SEC_XSD "<wsx:MetadataSection Dialect=\"http://www.w3.org/2001/XMLSchema\">"
#define SEC_END "</wsx:MetadataSection>"

/* The fixture document NAME without its XML declaration, @BASE@ replaced by base. */
static void append_doc(ntcp_buf *b, const char *name, const char *base)
{
    char rel[128];
    snprintf(rel, sizeof rel, "vectors/wsdl/multi/%s", name);
    size_t n;
    unsigned char *d = ntcp_test_read_vector(rel, &n);
    CHECK(d != NULL);
    if (!d)
        return;
    const char *p = (const char *)d;
    if (!strncmp(p, "<?xml", 5))
        p = strstr(p, "?>") + 2;
    for (const char *q; (q = strstr(p, "@BASE@")); p = q + 6) {
        CHECK_EQ_INT(ntcp_buf_append(b, p, (size_t)(q - p)), NTCP_OK);
        CHECK_EQ_INT(ntcp_buf_append(b, base, strlen(base)), NTCP_OK);
    }
    CHECK_EQ_INT(ntcp_buf_append(b, p, strlen(p)), NTCP_OK);
    free(d);
}

static void put(ntcp_buf *b, const char *s) { CHECK_EQ_INT(ntcp_buf_append(b, s, strlen(s)), NTCP_OK); }

/* The five documents as MEX sections (with a WS-Policy section, which is skipped);
 * skip: one section left out ("" = none). */
static void metadata(ntcp_buf *b, const char *skip)
{
    static const char *const docs[] = { "wsdl", "wsdl0", "xsd0", "xsd1", "xsd2" };
    put(b, MEX_OPEN);
    put(b, "<wsx:MetadataSection Dialect=\"http://schemas.xmlsoap.org/ws/2004/09/policy\"><wsp:Policy "
           "xmlns:wsp=\"http://schemas.xmlsoap.org/ws/2004/09/policy\"/></wsx:MetadataSection>");
    for (int i = 0; i < 5; i++) {
        if (!strcmp(docs[i], skip))
            continue;
        put(b, docs[i][0] == 'w' ? SEC_WSDL : SEC_XSD);
        /* locations a peer wrote: they must not be fetched */
        append_doc(b, docs[i], "http://unreachable.invalid/svc");
        put(b, SEC_END);
    }
    put(b, MEX_CLOSE);
}

static int fetched;
static ntcp_status no_fetch(void *ctx, const char *url, size_t max, uint8_t **data, size_t *len, ntcp_error *err)
{
    (void)ctx, (void)url, (void)max, (void)data, (void)len, (void)err;
    fetched++;
    return NTCP_E_IO;
}

static void check_multi(const ntcp_wsdl *w, const char *src)
{
    CHECK_EQ_INT(ntcp_wsdl_endpoint_count(w), 1);
    const ntcp_wsdl_endpoint *e = ntcp_wsdl_endpoint_at(w, 0);
    if (e) {
        CHECK_EQ_STR(e->name, "NetTcpBinding_ICalculator");
        CHECK_EQ_STR(e->address, "net.tcp://app01.example.com:808/Calculator");
        CHECK_EQ_STR(e->security, "Transport");
        CHECK_EQ_STR(e->credential, "Windows");
        CHECK_EQ_STR(e->protection, "EncryptAndSign");
        CHECK_EQ_STR(e->identity_kind, "spn");
        CHECK_EQ_STR(e->identity_value, "HOST/app01.example.com");
    }
    CHECK_EQ_INT(ntcp_wsdl_operation_count(w), 3);
    const ntcp_wsdl_operation *o = ntcp_wsdl_operation_at(w, 1);
    if (o) {
        CHECK_EQ_STR(o->name, "Describe");
        CHECK_EQ_STR(o->action, "urn:samples/Describe");
        CHECK_EQ_STR(o->reply_action, "urn:samples/DescribeReply");
        CHECK(o->input.nfields == 1 &&
              !strcmp(o->input.fields[0].type, "{http://schemas.datacontract.org/2004/07/Samples}Order"));
    }
    CHECK_EQ_INT(ntcp_wsdl_document_count(w), 5);
    char want[256];
    snprintf(want, sizeof want, "%s#wsdl2", src); /* section 1 is the policy */
    CHECK_EQ_STR(ntcp_wsdl_document_at(w, 0), want);
    snprintf(want, sizeof want, "%s#xsd6", src);
    CHECK_EQ_STR(ntcp_wsdl_document_at(w, 4), want);
}

TEST(mex_metadata_sections_resolve_inside_the_reply)
{
    ntcp_buf b;
    ntcp_buf_init(&b, 1 << 24);
    metadata(&b, "");
    ntcp_wsdl_options o;
    ntcp_wsdl_options_init(&o);
    o.fetch = no_fetch;
    fetched = 0;
    ntcp_wsdl *w = NULL;
    ntcp_error err;
    CHECK_EQ_INT(ntcp_wsdl_load_metadata(b.data, b.len, "net.tcp://h/mex", &o, &w, &err), NTCP_OK);
    CHECK_EQ_INT(fetched, 0);
    if (w)
        check_multi(w, "net.tcp://h/mex");
    ntcp_wsdl_free(w);
    ntcp_buf_free(&b);
}

/* wsx in the default namespace, as WCF's writer may put it, and a WSDL whose prefixes are declared outside it */
TEST(mex_metadata_default_namespace_and_outer_prefixes)
{
    static const char xml[] =
        "<Metadata xmlns=\"http://schemas.xmlsoap.org/ws/2004/09/mex\" xmlns:wsdl=\"http://schemas.xmlsoap.org/wsdl/\" "
        "xmlns:tns=\"urn:t\" xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" "
        "xmlns:soap12=\"http://schemas.xmlsoap.org/wsdl/soap12/\">"
        "<MetadataSection Dialect=\"http://schemas.xmlsoap.org/wsdl/\" Identifier=\"urn:t\">"
        "<wsdl:definitions targetNamespace=\"urn:t\"><wsdl:types><xs:schema targetNamespace=\"urn:t\" "
        "elementFormDefault=\"qualified\"><xs:element name=\"Ping\"><xs:complexType><xs:sequence>"
        "<xs:element name=\"n\" type=\"xs:int\"/></xs:sequence></xs:complexType></xs:element>"
        "<xs:element name=\"PingResponse\"><xs:complexType/></xs:element></xs:schema></wsdl:types>"
        "<wsdl:message name=\"In\"><wsdl:part name=\"parameters\" element=\"tns:Ping\"/></wsdl:message>"
        "<wsdl:message name=\"Out\"><wsdl:part name=\"parameters\" element=\"tns:PingResponse\"/></wsdl:message>"
        "<wsdl:portType name=\"IP\"><wsdl:operation name=\"Ping\"><wsdl:input message=\"tns:In\"/>"
        "<wsdl:output message=\"tns:Out\"/></wsdl:operation></wsdl:portType>"
        "<wsdl:binding name=\"B\" type=\"tns:IP\"><soap12:binding transport=\"http://schemas.microsoft.com/soap/tcp\"/>"
        "</wsdl:binding><wsdl:service name=\"S\"><wsdl:port name=\"P\" binding=\"tns:B\"><soap12:address "
        "location=\"net.tcp://h/s\"/></wsdl:port></wsdl:service></wsdl:definitions></MetadataSection></Metadata>";
    ntcp_wsdl *w = NULL;
    ntcp_error err;
    CHECK_EQ_INT(ntcp_wsdl_load_metadata(xml, sizeof xml - 1, "mex", NULL, &w, &err), NTCP_OK);
    CHECK_EQ_STR(ntcp_error_text(&err), "");
    CHECK_EQ_INT(ntcp_wsdl_endpoint_count(w), 1);
    CHECK_EQ_INT(ntcp_wsdl_operation_count(w), 1);
    const ntcp_wsdl_operation *o = ntcp_wsdl_operation_at(w, 0);
    if (o) {
        CHECK_EQ_STR(o->action, "urn:t/IP/Ping");
        CHECK(o->input.nfields == 1 && !strcmp(o->input.fields[0].type, "xs:int"));
    }
    const ntcp_wsdl_endpoint *e = ntcp_wsdl_endpoint_at(w, 0);
    if (e)
        CHECK_EQ_STR(e->address, "net.tcp://h/s");
    ntcp_wsdl_free(w);
}

static void bad_metadata(const char *xml, size_t len, ntcp_status want_st, const char *cause, const char *text)
{
    ntcp_wsdl_options o;
    ntcp_wsdl_options_init(&o);
    o.fetch = no_fetch;
    fetched = 0;
    ntcp_wsdl *w = (ntcp_wsdl *)&o; /* must come back NULL */
    ntcp_error err;
    CHECK_EQ_INT(ntcp_wsdl_load_metadata(xml, len, "mex", &o, &w, &err), want_st);
    CHECK(w == NULL);
    CHECK_EQ_STR(ntcp_error_id(&err), cause);
    CHECK_EQ_STR(ntcp_error_text(&err), text);
    CHECK_EQ_INT(fetched, 0);
}

TEST(mex_metadata_bad_replies_named)
{
    bad_metadata("<x:Foo xmlns:x=\"urn:x\"/>", 24, NTCP_E_MALFORMED, "mex_bad_reply",
                 "mex: the reply's body is {urn:x}Foo, not a wsx:Metadata (http://schemas.xmlsoap.org/ws/2004/09/mex)");
    bad_metadata("", 0, NTCP_E_MALFORMED, "mex_bad_reply", "mex: the reply's body: line 1: Document is empty");
    static const char xsd_only[] = MEX_OPEN SEC_XSD "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\"/>" SEC_END
        "<wsx:MetadataSection Dialect=\"http://schemas.xmlsoap.org/wsdl/\"><wsx:Location>http://x/?wsdl</wsx:Location>"
        SEC_END MEX_CLOSE;
    bad_metadata(xsd_only, sizeof xsd_only - 1, NTCP_E_MALFORMED, "mex_bad_reply",
                 "mex: the reply holds no WSDL wsx:MetadataSection (2 sections; sections by reference are not fetched)");
    static const char wrong[] = MEX_OPEN SEC_WSDL "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\"/>" SEC_END
        MEX_CLOSE;
    bad_metadata(wrong, sizeof wrong - 1, NTCP_E_MALFORMED, "mex_bad_reply",
                 "mex: wsx:MetadataSection 1 (Dialect http://schemas.xmlsoap.org/wsdl/) holds "
                 "{http://www.w3.org/2001/XMLSchema}schema, not a wsdl:definitions");
    static const char dtd[] = "<!DOCTYPE m [<!ENTITY e \"x\">]>" MEX_OPEN MEX_CLOSE;
    bad_metadata(dtd, sizeof dtd - 1, NTCP_E_MALFORMED, "mex_bad_reply", "mex: the reply's body carries a DTD (<!DOCTYPE>)");
    /* a section missing: the import that needs it is named, nothing fetched */
    ntcp_buf b;
    ntcp_buf_init(&b, 1 << 24);
    metadata(&b, "xsd2");
    bad_metadata((const char *)b.data, b.len, NTCP_E_MALFORMED, "wsdl_import_missing",
                 "xsd:import namespace=\"http://schemas.datacontract.org/2004/07/Samples\" in mex#wsdl3: no schema of "
                 "that namespace in the metadata exchange reply");
    ntcp_buf_reset(&b);
    metadata(&b, "wsdl0");
    bad_metadata((const char *)b.data, b.len, NTCP_E_MALFORMED, "wsdl_import_missing",
                 "wsdl:import namespace=\"urn:samples:calculator\" in mex#wsdl2: no WSDL of that namespace in the "
                 "metadata exchange reply");
    ntcp_buf_free(&b);
}

/* ---- over net.tcp ---- */

struct mex_svc {
    ntcp_buf reply;
    char action[128];
    char body[64];
    int calls;
    int fault;
};

static ntcp_status op_get(void *ctx, ntcp_call *call)
{
    struct mex_svc *m = ctx;
    m->calls++;
    snprintf(m->action, sizeof m->action, "%s", ntcp_call_action(call));
    const char *body;
    size_t len;
    ntcp_status st = ntcp_call_body_text(call, &body, &len);
    if (st)
        return st;
    snprintf(m->body, sizeof m->body, "%.*s", (int)(len < 60 ? len : 60), body);
    if (m->fault == 1)
        return ntcp_call_fault(call, "Sender", NULL, "no metadata here", NULL);
    if (m->fault == 2 && (st = ntcp_call_reply_action(call, "urn:t/OtherResponse")))
        return st;
    return ntcp_call_reply_text(call, (const char *)m->reply.data, m->reply.len);
}

static void *run(void *arg)
{
    if (ntcp_service_run(arg))
        ntcp_test_fail(__FILE__, __LINE__, "run");
    return NULL;
}

TEST(mex_get_over_nettcp)
{
    struct mex_svc m;
    memset(&m, 0, sizeof m);
    ntcp_buf_init(&m.reply, 1 << 24);
    metadata(&m.reply, "");
    ntcp_service_options so;
    ntcp_service_options_init(&so);
    so.security = NTCP_SECURITY_NONE;
    ntcp_service *svc;
    CHECK_EQ_INT(ntcp_service_new(&svc, &so), NTCP_OK);
    CHECK_EQ_INT(ntcp_service_add_operation(svc, NTCP_WSX_GET_ACTION, NTCP_WSX_GET_RESPONSE_ACTION, op_get, &m),
                 NTCP_OK);
    CHECK_EQ_INT(ntcp_service_add_operation(svc, "urn:t/Other", NULL, op_get, &m), NTCP_OK);
    int port = 0;
    ntcp_status st = ntcp_service_listen(svc, "net.tcp://127.0.0.1:0/svc/mex", &port);
    CHECK_EQ_INT(st, NTCP_OK);
    if (st) {
        ntcp_service_free(svc);
        ntcp_buf_free(&m.reply);
        return;
    }
    pthread_t t;
    pthread_create(&t, NULL, run, svc);
    char url[128];
    snprintf(url, sizeof url, "net.tcp://127.0.0.1:%d/svc/mex", port);
    ntcp_wsdl_options o;
    ntcp_wsdl_options_init(&o);
    o.fetch = no_fetch;
    fetched = 0;
    ntcp_wsdl *w = NULL;
    ntcp_error err;
    CHECK_EQ_INT(ntcp_wsdl_load_mex(url, NULL, &o, &w, &err), NTCP_OK);
    CHECK_EQ_STR(ntcp_error_id(&err), "none");
    /* the wire: one WS-Transfer Get with an empty body */
    CHECK_EQ_INT(m.calls, 1);
    CHECK_EQ_STR(m.action, "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get");
    CHECK_EQ_STR(m.body, "");
    CHECK_EQ_INT(fetched, 0);
    if (w)
        check_multi(w, url);
    ntcp_wsdl_free(w);
    w = NULL;
    /* ntcp_wsdl_load takes a net.tcp address as a metadata exchange endpoint */
    CHECK_EQ_INT(ntcp_wsdl_load(url, &o, &w, &err), NTCP_OK);
    CHECK_EQ_INT(m.calls, 2);
    if (w)
        check_multi(w, url);
    ntcp_wsdl_free(w);
    /* a fault answer, and the wrong endpoint kind (another reply action) */
    m.fault = 1;
    CHECK_EQ_INT(ntcp_wsdl_load_mex(url, NULL, &o, &w, &err), NTCP_E_FAULT);
    CHECK_EQ_STR(ntcp_error_id(&err), "mex_bad_reply");
    char want[256];
    snprintf(want, sizeof want, "%s: the service answered the metadata Get with a SOAP fault: no metadata here (Sender)",
             url);
    CHECK_EQ_STR(ntcp_error_text(&err), want);
    /* a reply that is not GetResponse */
    m.fault = 2;
    CHECK_EQ_INT(ntcp_wsdl_load_mex(url, NULL, &o, &w, &err), NTCP_E_MALFORMED);
    CHECK_EQ_STR(ntcp_error_id(&err), "mex_bad_reply");
    snprintf(want, sizeof want,
             "%s: the reply's Action is urn:t/OtherResponse, not http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse",
             url);
    CHECK_EQ_STR(ntcp_error_text(&err), want);
    m.fault = 0;
    /* Windows transport security asked of a None endpoint: the client's own cause */
    ntcp_client_options tr;
    ntcp_client_options_init(&tr);
    CHECK_EQ_INT(ntcp_wsdl_load_mex(url, &tr, &o, &w, &err), NTCP_E_UPGRADE_INVALID);
    CHECK_EQ_STR(ntcp_error_id(&err), "security_mode_mismatch");
    CHECK(w == NULL);
    /* nothing listening */
    CHECK_EQ_INT(ntcp_wsdl_load_mex("net.tcp://127.0.0.1:1/mex", NULL, &o, &w, &err), NTCP_E_CONNECTION_REFUSED);
    CHECK_EQ_STR(ntcp_error_id(&err), "connection_refused");
    ntcp_service_stop(svc);
    pthread_join(t, NULL);
    ntcp_service_free(svc);
    ntcp_buf_free(&m.reply);
}
