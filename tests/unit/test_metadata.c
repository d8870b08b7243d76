/* Metadata: the HTTP request head parser (exact fields and statuses, fed
 * whole and cut at every offset), a service's described contracts exported
 * as WSDL and read back by our importer (?singleWsdl; ?wsdl with its imports
 * through an in-memory fetcher answering from ntcp_service_metadata), the
 * policy and identity per security, and refused descriptions. */
#include <stdlib.h>
#include <nettcp/metadata.h>
#include <nettcp/util.h>
#include <nettcp/wsdl.h>
#include "channel/http_server.h"
#include "test.h"

/* ---- the HTTP parser ------------------------------------------------------------- */

static ntcp_status parse(const char *s, ntcp__http_req *r, size_t *used)
{
    return ntcp__http_parse((const uint8_t *)s, strlen(s), 8192, r, used);
}

TEST(http_parse_request)
{
    const char *req = "GET /calc%2Fx?wsdl=wsdl0 HTTP/1.1\r\nHost: [::1]:8080\r\nAccept: */*\r\n\r\ntrailing";
    ntcp__http_req r;
    size_t used;
    CHECK_EQ_INT(parse(req, &r, &used), NTCP_OK);
    CHECK_EQ_INT((long)used, (long)(strlen(req) - strlen("trailing")));
    CHECK_EQ_STR(r.method, "GET");
    CHECK_EQ_STR(r.path, "/calc/x");
    CHECK_EQ_STR(r.query, "wsdl=wsdl0");
    CHECK_EQ_STR(r.authority, "[::1]:8080");
    CHECK_EQ_STR(r.host, "[::1]");
    CHECK_EQ_INT(r.minor, 1);
    /* every cut before the end of the head: more is needed */
    size_t head = used;
    for (size_t i = 0; i < head; i++) {
        ntcp_status st = ntcp__http_parse((const uint8_t *)req, i, 8192, &r, &used);
        if (st != NTCP_AGAIN) {
            CHECK_EQ_INT(st, NTCP_AGAIN);
            break;
        }
    }
    /* bare LF line ends, a leading empty line, HTTP/1.0 without Host */
    CHECK_EQ_INT(parse("\r\nHEAD /a?singleWsdl HTTP/1.0\nX-A:  v \n\n", &r, &used), NTCP_OK);
    CHECK_EQ_STR(r.method, "HEAD");
    CHECK_EQ_STR(r.path, "/a");
    CHECK_EQ_STR(r.query, "singleWsdl");
    CHECK_EQ_STR(r.host, "");
    CHECK_EQ_INT(r.minor, 0);
    CHECK_EQ_INT(parse("GET /h HTTP/1.1\r\nHost: svc.example.com:80\r\nContent-Length: 0\r\n\r\n", &r, &used), NTCP_OK);
    CHECK_EQ_STR(r.host, "svc.example.com");
    CHECK_EQ_STR(r.query, "");
}

TEST(http_parse_refusals)
{
    static const struct {
        const char *req;
        ntcp_status st;
        int status;
    } cases[] = {
        { "GET /a?wsdl HTTP/1.1\r\n\r\n", NTCP_E_MALFORMED, 400 },                       /* no Host */
        { "GET /a HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", NTCP_E_MALFORMED, 400 },       /* two */
        { "GET a HTTP/1.1\r\nHost: a\r\n\r\n", NTCP_E_MALFORMED, 400 },                   /* not origin-form */
        { "GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", NTCP_E_MALFORMED, 400 },
        { "GET /a HTTP/2.0\r\nHost: a\r\n\r\n", NTCP_E_MALFORMED, 505 },
        { "GET /a HTTP/1.2\r\nHost: a\r\n\r\n", NTCP_E_MALFORMED, 505 },
        { "GET /a HTTX/1.1\r\nHost: a\r\n\r\n", NTCP_E_MALFORMED, 400 },
        { "GET /a  HTTP/1.1\r\nHost: a\r\n\r\n", NTCP_E_MALFORMED, 400 },
        { "G(T /a HTTP/1.1\r\nHost: a\r\n\r\n", NTCP_E_MALFORMED, 400 },
        { "GET /a%0 HTTP/1.1\r\nHost: a\r\n\r\n", NTCP_E_MALFORMED, 400 },
        { "GET /a%00b HTTP/1.1\r\nHost: a\r\n\r\n", NTCP_E_MALFORMED, 400 },
        { "GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n", NTCP_E_MALFORMED, 400 },
        { "GET /a HTTP/1.1\r\nHost : a\r\n\r\n", NTCP_E_MALFORMED, 400 },                 /* space before colon */
        { "GET /a HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", NTCP_E_MALFORMED, 400 },       /* obs-fold */
        { "GET /a HTTP/1.1\r\nHost: a\r\nX: a\x01z\r\n\r\n", NTCP_E_MALFORMED, 400 },
        { "GET /a HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc", NTCP_E_MALFORMED, 400 },
        { "GET /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", NTCP_E_MALFORMED, 400 },
        { "GET /a HTTP/1.1\r\nHost: a/b\r\n\r\n", NTCP_E_MALFORMED, 400 },              /* not a host */
        { "GET /a HTTP/1.1\r\nHost: u@h\r\n\r\n", NTCP_E_MALFORMED, 400 },
        { "GET /a HTTP/1.1\r\nHost:\r\n\r\n", NTCP_E_MALFORMED, 400 },
        { "GETTINGLONGMETHODNAME /a HTTP/1.1\r\nHost: a\r\n\r\n", NTCP_E_MALFORMED, 400 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ntcp__http_req r;
        size_t used = 99;
        ntcp_status st = parse(cases[i].req, &r, &used);
        if (st != cases[i].st || r.status != cases[i].status)
            ntcp_test_fail(__FILE__, __LINE__, "case %zu (%s): status %d, HTTP %d; want %d, HTTP %d", i, cases[i].req,
                           st, r.status, cases[i].st, cases[i].status);
        CHECK_EQ_INT((long)used, 0);
    }
    /* limits: a head longer than max, more headers than allowed */
    char big[300];
    memset(big, 'a', sizeof big);
    memcpy(big, "GET /", 5);
    ntcp__http_req r;
    size_t used;
    CHECK_EQ_INT(ntcp__http_parse((const uint8_t *)big, sizeof big, 256, &r, &used), NTCP_E_LIMIT);
    CHECK_EQ_INT(r.status, 400);
    CHECK_EQ_INT(ntcp__http_parse((const uint8_t *)big, 255, 256, &r, &used), NTCP_AGAIN);
    ntcp_buf b;
    ntcp_buf_init(&b, 1 << 16);
    CHECK(!ntcp_buf_append(&b, "GET / HTTP/1.1\r\nHost: a\r\n", 25));
    for (int i = 0; i < NTCP__HTTP_MAX_HEADERS; i++)
        CHECK(!ntcp_buf_append(&b, "X: y\r\n", 6));
    CHECK(!ntcp_buf_append(&b, "\r\n", 2));
    CHECK_EQ_INT(ntcp__http_parse(b.data, b.len, 8192, &r, &used), NTCP_E_LIMIT);
    CHECK_EQ_INT(r.status, 400);
    ntcp_buf_free(&b);
}

/* ---- export, read back ------------------------------------------------------------- */

#define NS_C "urn:example:calc"
static ntcp_status nop(void *ctx, ntcp_call *call)
{
    (void)ctx;
    (void)call;
    return NTCP_OK;
}

static const ntcp_param in_sum[] = { { "values", "int", true }, { "id", "guid", false } };
static const ntcp_param out_sum[] = { { "SumResult", "long", false } };
static const ntcp_param in_note[] = { { "text", NULL, false } };
static const char order_xsd[] = "<xs:schema xmlns:xs='http://www.w3.org/2001/XMLSchema' elementFormDefault='qualified' "
                                "targetNamespace='urn:example:orders'><xs:element name='Place'><xs:complexType>"
                                "<xs:sequence><xs:element name='qty' type='xs:int'/></xs:sequence></xs:complexType>"
                                "</xs:element><xs:element name='Placed'><xs:complexType><xs:sequence>"
                                "<xs:element name='ok' type='xs:boolean'/></xs:sequence></xs:complexType></xs:element>"
                                "</xs:schema>";
static const ntcp_fault_info sum_faults[] = { { "StringFault", NULL, "string" }, { "Overflow", "urn:overflow", "long" } };
static const ntcp_operation_info calc_ops[] = {
    { "Sum", NULL, NULL, false, in_sum, 2, out_sum, 1, NULL, NULL, NULL, sum_faults, 2 },
    { "Note", "urn:note", NULL, true, in_note, 1, NULL, 0, NULL, NULL, NULL, NULL, 0 },
    { "Place", "urn:place", "urn:placed", false, NULL, 0, NULL, 0, "Place", "Placed", order_xsd, NULL, 0 },
};
static const ntcp_contract_info calc = { "ICalc", NS_C, calc_ops, 3 };

static ntcp_service *make_service(ntcp_security_mode sec, int *port)
{
    ntcp_service_options o;
    ntcp_service_options_init(&o);
    o.security = sec;
    o.nns.package = NTCP_PACKAGE_NTLM; /* no keytab needed */
    o.nns.protection = NTCP_PROTECTION_SIGN;
    ntcp_service *s = NULL;
    if (ntcp_service_new(&s, &o))
        return NULL;
    if (ntcp_service_add_operation(s, NS_C "/ICalc/Sum", NULL, nop, NULL) ||
        ntcp_service_add_operation(s, "urn:note", NULL, nop, NULL) ||
        ntcp_service_add_operation(s, "urn:place", "urn:placed", nop, NULL) || ntcp_service_describe(s, &calc) ||
        ntcp_service_listen(s, "net.tcp://0.0.0.0:0/calc", port)) {
        ntcp_service_free(s);
        return NULL;
    }
    return s;
}

struct md_site {
    ntcp_service *s;
    const ntcp_metadata_options *o;
    int fetches;
};

/* answers http://h:1/calc?DOC from ntcp_service_metadata */
static ntcp_status fetch_md(void *ctx, const char *url, size_t max, uint8_t **data, size_t *len, ntcp_error *err)
{
    struct md_site *m = ctx;
    m->fetches++;
    const char *q = strchr(url, '?');
    char *xml = NULL;
    size_t n = 0;
    if (!q || ntcp_service_metadata(m->s, m->o, q + 1, "http://h:1/calc", "svc.example.com", &xml, &n))
        return ntcp_error_set(err, NTCP_E_IO, NTCP_CAUSE_WSDL_UNREACHABLE, NTCP_STEP_RECEIVE, "HTTP 404");
    if (n > max) {
        ntcp_free(xml);
        return NTCP_E_LIMIT;
    }
    *data = (uint8_t *)xml;
    *len = n;
    return NTCP_OK;
}

static const char *field_list(const ntcp_wsdl_message *m, char *out, size_t n)
{
    size_t k = 0;
    out[0] = 0;
    for (size_t i = 0; i < m->nfields && k < n; i++)
        k += (size_t)snprintf(out + k, n - k, "%s%s:%s:%d:%d:%d", i ? "," : "", m->fields[i].name, m->fields[i].type,
                              m->fields[i].min_occurs, m->fields[i].max_occurs, m->fields[i].nillable);
    return out;
}

static void check_calc(const ntcp_wsdl *w, int port, const char *security, const char *credential,
                       const char *protection, const char *id_kind, const char *id_value)
{
    CHECK_EQ_INT((long)ntcp_wsdl_endpoint_count(w), 1);
    const ntcp_wsdl_endpoint *e = ntcp_wsdl_endpoint_at(w, 0);
    if (!e)
        return;
    char addr[128], f[512];
    snprintf(addr, sizeof addr, "net.tcp://svc.example.com:%d/calc", port);
    CHECK_EQ_STR(e->name, "NetTcpBinding_ICalc");
    CHECK_EQ_STR(e->address, addr);
    CHECK_EQ_STR(e->binding, "NetTcpBinding_ICalc");
    CHECK_EQ_STR(e->contract, "ICalc");
    CHECK_EQ_STR(e->transport, "tcp");
    CHECK_EQ_STR(e->encoding, "binary");
    CHECK_EQ_STR(e->security, security);
    CHECK_EQ_STR(e->credential, credential);
    CHECK_EQ_STR(e->protection, protection);
    if (id_kind) {
        CHECK_EQ_STR(e->identity_kind, id_kind);
        CHECK_EQ_STR(e->identity_value, id_value);
    } else {
        CHECK(e->identity_kind == NULL);
    }
    CHECK_EQ_INT((long)ntcp_wsdl_operation_count(w), 3);
    const ntcp_wsdl_operation *o = ntcp_wsdl_operation_at(w, 0);
    if (!o)
        return;
    CHECK_EQ_STR(o->name, "Sum");
    CHECK_EQ_STR(o->action, NS_C "/ICalc/Sum");
    CHECK_EQ_STR(o->reply_action, NS_C "/ICalc/SumResponse");
    CHECK_EQ_STR(o->input.element, "Sum");
    CHECK_EQ_STR(o->input.ns, NS_C);
    CHECK_EQ_STR(field_list(&o->input, f, sizeof f),
                 "values:{http://schemas.microsoft.com/2003/10/Serialization/Arrays}ArrayOfint:0:1:1,"
                 "id:{http://schemas.microsoft.com/2003/10/Serialization/}guid:0:1:0");
    CHECK_EQ_STR(o->output.element, "SumResponse");
    CHECK_EQ_STR(field_list(&o->output, f, sizeof f), "SumResult:xs:long:0:1:0");
    o = ntcp_wsdl_operation_at(w, 1);
    CHECK_EQ_STR(o->name, "Note");
    CHECK_EQ_STR(o->action, "urn:note");
    CHECK(o->reply_action == NULL);
    CHECK(o->output.element == NULL);
    CHECK_EQ_STR(field_list(&o->input, f, sizeof f), "text:xs:string:0:1:1");
    o = ntcp_wsdl_operation_at(w, 2);
    CHECK_EQ_STR(o->name, "Place");
    CHECK_EQ_STR(o->action, "urn:place");
    CHECK_EQ_STR(o->reply_action, "urn:placed");
    CHECK_EQ_STR(o->input.element, "Place");
    CHECK_EQ_STR(o->input.ns, "urn:example:orders");
    CHECK_EQ_STR(field_list(&o->input, f, sizeof f), "qty:xs:int:1:1:0");
    CHECK_EQ_STR(o->output.element, "Placed");
    CHECK_EQ_STR(field_list(&o->output, f, sizeof f), "ok:xs:boolean:1:1:0");
}

static void roundtrip(ntcp_security_mode sec, const char *identity, const char *security, const char *credential,
                      const char *protection, const char *id_kind, const char *id_value)
{
    int port = 0;
    ntcp_service *s = make_service(sec, &port);
    CHECK(s != NULL);
    if (!s)
        return;
    ntcp_metadata_options mo;
    ntcp_metadata_options_init(&mo);
    mo.identity = identity;
    struct md_site site = { s, &mo, 0 };
    ntcp_wsdl_options wo;
    ntcp_wsdl_options_init(&wo);
    wo.fetch = fetch_md;
    wo.fetch_ctx = &site;
    ntcp_error err;
    ntcp_wsdl *w = NULL;
    /* ?singleWsdl: one document */
    CHECK_EQ_INT(ntcp_wsdl_load("http://h:1/calc?singleWsdl", &wo, &w, &err), NTCP_OK);
    if (w) {
        CHECK_EQ_INT((long)ntcp_wsdl_document_count(w), 1);
        check_calc(w, port, security, credential, protection, id_kind, id_value);
    }
    ntcp_wsdl_free(w);
    w = NULL;
    /* ?wsdl: the service's WSDL, the contract's (?wsdl=wsdl0) and the schemas */
    CHECK_EQ_INT(ntcp_wsdl_load("http://h:1/calc?wsdl", &wo, &w, &err), NTCP_OK);
    if (w) {
        CHECK_EQ_INT((long)ntcp_wsdl_document_count(w), 6);
        CHECK_EQ_STR(ntcp_wsdl_document_at(w, 1), "http://h:1/calc?wsdl=wsdl0");
        check_calc(w, port, security, credential, protection, id_kind, id_value);
    }
    ntcp_wsdl_free(w);
    ntcp_service_free(s);
}

TEST(metadata_roundtrip_none)
{
    roundtrip(NTCP_SECURITY_NONE, NULL, "None", "None", "None", NULL, NULL);
}

TEST(metadata_roundtrip_windows_identity)
{
    roundtrip(NTCP_SECURITY_TRANSPORT, "spn:host/calc.example.com", "Transport", "Windows", "Sign", "spn",
              "host/calc.example.com");
    roundtrip(NTCP_SECURITY_TRANSPORT, "upn:svc@EXAMPLE.COM", "Transport", "Windows", "Sign", "upn",
              "svc@EXAMPLE.COM");
    /* NTLM only, no identity configured, no keytab: host/<host> */
    setenv("KRB5_KTNAME", "/nonexistent/nettcp-test.keytab", 1);
    roundtrip(NTCP_SECURITY_TRANSPORT, NULL, "Transport", "Windows", "Sign", "spn", "host/svc.example.com");
    unsetenv("KRB5_KTNAME");
}

TEST(metadata_documents)
{
    int port = 0;
    ntcp_service *s = make_service(NTCP_SECURITY_NONE, &port);
    CHECK(s != NULL);
    if (!s)
        return;
    char *xml = NULL;
    size_t n = 0;
    /* xsd0: the contract's wrappers, with the Arrays and Serialization imports */
    CHECK_EQ_INT(ntcp_service_metadata(s, NULL, "xsd=xsd0", "http://h:1/calc", NULL, &xml, &n), NTCP_OK);
    CHECK(xml && strstr(xml, "<xs:import schemaLocation=\"http://h:1/calc?xsd=xsd2\" "
                             "namespace=\"http://schemas.microsoft.com/2003/10/Serialization/Arrays\"/>"));
    CHECK(xml && strstr(xml, "<xs:element xmlns:q1=\"http://schemas.microsoft.com/2003/10/Serialization/Arrays\" "
                             "minOccurs=\"0\" name=\"values\" nillable=\"true\" type=\"q1:ArrayOfint\"/>"));
    ntcp_free(xml);
    xml = NULL;
    /* as WCF: the contract's WSDL imports the schemas from <ns>/Imports; the service's has empty types */
    CHECK_EQ_INT(ntcp_service_metadata(s, NULL, "wsdl=wsdl0", "http://h:1/calc", NULL, &xml, &n), NTCP_OK);
    CHECK(xml && strstr(xml, "<wsdl:types>\n    <xsd:schema targetNamespace=\"urn:example:calc/Imports\">\n"
                             "      <xsd:import schemaLocation=\"http://h:1/calc?xsd=xsd0\" namespace=\"urn:example:calc\"/>"));
    ntcp_free(xml);
    xml = NULL;
    CHECK_EQ_INT(ntcp_service_metadata(s, NULL, "wsdl", "http://h:1/calc", NULL, &xml, &n), NTCP_OK);
    CHECK(xml && strstr(xml, "  <wsdl:import namespace=\"urn:example:calc\" location=\"http://h:1/calc?wsdl=wsdl0\"/>\n"
                             "  <wsdl:types/>\n"));
    ntcp_free(xml);
    xml = NULL;
    /* faults as WCF declares a [FaultContract]: message, portType and binding */
    CHECK_EQ_INT(ntcp_service_metadata(s, NULL, "singleWsdl", "http://h:1/calc", NULL, &xml, &n), NTCP_OK);
    CHECK(xml && strstr(xml, "  <wsdl:message name=\"ICalc_Sum_StringFault_FaultMessage\">\n"
                             "    <wsdl:part xmlns:q1=\"http://schemas.microsoft.com/2003/10/Serialization/\" "
                             "name=\"detail\" element=\"q1:string\"/>\n  </wsdl:message>\n"
                             "  <wsdl:message name=\"ICalc_Sum_Overflow_FaultMessage\">"));
    CHECK(xml && strstr(xml, "      <wsdl:fault wsaw:Action=\"" NS_C "/ICalc/SumStringFault\" name=\"StringFault\" "
                             "message=\"tns:ICalc_Sum_StringFault_FaultMessage\"/>\n"
                             "      <wsdl:fault wsaw:Action=\"urn:overflow\" name=\"Overflow\" "
                             "message=\"tns:ICalc_Sum_Overflow_FaultMessage\"/>\n"));
    CHECK(xml && strstr(xml, "      <wsdl:fault name=\"Overflow\">\n"
                             "        <soap12:fault use=\"literal\" name=\"Overflow\" namespace=\"\"/>\n"
                             "      </wsdl:fault>\n"));
    ntcp_free(xml);
    xml = NULL;
    /* the policy of a Windows endpoint */
    ntcp_service_free(s);
    s = make_service(NTCP_SECURITY_TRANSPORT, &port);
    CHECK(s != NULL);
    if (!s)
        return;
    ntcp_metadata_options mo;
    ntcp_metadata_options_init(&mo);
    mo.identity = "spn:host/a";
    CHECK_EQ_INT(ntcp_service_metadata(s, &mo, "wsdl", "http://h:1/calc", "h", &xml, &n), NTCP_OK);
    CHECK(xml && strstr(xml, "<msf:WindowsTransportSecurity xmlns:msf=\"http://schemas.microsoft.com/ws/2006/05/framing/policy\">\n"
                             "                  <msf:ProtectionLevel>Sign</msf:ProtectionLevel>\n"
                             "                </msf:WindowsTransportSecurity>"));
    CHECK(xml && strstr(xml, "<Identity xmlns=\"http://schemas.xmlsoap.org/ws/2006/02/addressingidentity\">\n"
                             "          <Spn>host/a</Spn>\n"
                             "        </Identity>"));
    ntcp_free(xml);
    xml = NULL;
    /* MEX: a section per WSDL and per schema, imports by namespace only */
    CHECK_EQ_INT(ntcp_service_metadata(s, &mo, "mex", NULL, "h", &xml, &n), NTCP_OK);
    int sections = 0;
    for (const char *p = xml; p && (p = strstr(p, "<wsx:MetadataSection ")); p++)
        sections++;
    CHECK_EQ_INT(sections, 6); /* 2 WSDLs; the contract's, Serialization, Arrays and the orders schema */
    CHECK(xml && strncmp(xml, "<wsx:Metadata xmlns:wsx=\"http://schemas.xmlsoap.org/ws/2004/09/mex\">", 68) == 0);
    CHECK(xml && !strstr(xml, "schemaLocation") && strstr(xml, "<wsdl:import namespace=\"" NS_C "\"/>"));
    ntcp_free(xml);
    xml = NULL;
    /* documents that do not exist */
    static const char *const none[] = { "xsd=xsd5", "wsdl=wsdl1", "xsd=xsd", "wsdl=wsdl-1", "xsd=xsd01x", "disco", "" };
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
        CHECK_EQ_INT(ntcp_service_metadata(s, &mo, none[i], "http://h:1/calc", "h", &xml, &n), NTCP_E_INVALID_ARG);
        CHECK(xml == NULL);
    }
    ntcp_service_free(s);
}

TEST(metadata_describe_refused)
{
    ntcp_service_options o;
    ntcp_service_options_init(&o);
    o.security = NTCP_SECURITY_NONE;
    ntcp_service *s = NULL;
    CHECK_EQ_INT(ntcp_service_new(&s, &o), NTCP_OK);
    static const ntcp_param bad_type[] = { { "x", "integer", false } };
    static const ntcp_param no_name[] = { { NULL, "int", false } };
    const ntcp_operation_info ops[] = {
        { "A", NULL, NULL, false, bad_type, 1, NULL, 0, NULL, NULL, NULL, NULL, 0 },
        { "B", NULL, NULL, false, no_name, 1, NULL, 0, NULL, NULL, NULL, NULL, 0 },
        { NULL, NULL, NULL, false, NULL, 0, NULL, 0, NULL, NULL, NULL, NULL, 0 },
        { "C", NULL, NULL, false, NULL, 0, NULL, 0, "C", "CR", "<notschema/>", NULL, 0 },
        { "D", NULL, NULL, false, NULL, 0, NULL, 0, "D", NULL, order_xsd, NULL, 0 }, /* no output element */
        { "E", NULL, NULL, false, NULL, 0, NULL, 0, "E", "ER", "<xs:schema", NULL, 0 },
    };
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        ntcp_contract_info c = { "I", "urn:i", &ops[i], 1 };
        CHECK_EQ_INT(ntcp_service_describe(s, &c), NTCP_E_INVALID_ARG);
    }
    static const ntcp_fault_info bad_fault[] = { { "F", NULL, "nosuchtype" } }, unnamed_fault[] = { { NULL, NULL, NULL } };
    const ntcp_operation_info fops[] = {
        { "F", NULL, NULL, false, NULL, 0, NULL, 0, NULL, NULL, NULL, bad_fault, 1 },
        { "G", NULL, NULL, false, NULL, 0, NULL, 0, NULL, NULL, NULL, unnamed_fault, 1 },
        { "H", NULL, NULL, false, NULL, 0, NULL, 0, NULL, NULL, NULL, NULL, 1 },
    };
    for (size_t i = 0; i < sizeof fops / sizeof fops[0]; i++) {
        ntcp_contract_info fc = { "I", "urn:i", &fops[i], 1 };
        CHECK_EQ_INT(ntcp_service_describe(s, &fc), NTCP_E_INVALID_ARG);
    }
    ntcp_contract_info c = { NULL, "urn:i", NULL, 0 };
    CHECK_EQ_INT(ntcp_service_describe(s, &c), NTCP_E_INVALID_ARG);
    c = (ntcp_contract_info){ "I", "", NULL, 0 };
    CHECK_EQ_INT(ntcp_service_describe(s, &c), NTCP_E_INVALID_ARG);
    /* publishing twice */
    ntcp_metadata_options mo;
    ntcp_metadata_options_init(&mo);
    mo.mex = false;
    CHECK_EQ_INT(ntcp_service_publish_metadata(s, &mo, NULL), NTCP_OK);
    CHECK_EQ_INT(ntcp_service_publish_metadata(s, &mo, NULL), NTCP_E_STATE);
    ntcp_service_free(s);
}
