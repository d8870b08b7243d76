/* WWSAPI (webservices.h): errors, heaps, XML strings and buffers, the
 * writer, message bodies of simple types, and the security description. */
#include <stddef.h>
#include <string.h>
#include <wchar.h>
#include "test.h"
#include <nettcp/wws/webservices.h>
#include "wws/wws_channel.h"

/* error string i as UTF-8 (static buffer) */
static const char *err_str(WS_ERROR *e, ULONG i)
{
    static char out[4096];
    WS_STRING s;
    if (FAILED(WsGetErrorString(e, i, &s))) return "(none)";
    size_t k = 0;
    for (ULONG j = 0; j < s.length && k + 1 < sizeof out; j++) out[k++] = s.chars[j] < 0x80 ? (char)s.chars[j] : '?';
    out[k] = 0;
    return out;
}

static ULONG err_count(WS_ERROR *e)
{
    ULONG n = 99;
    if (FAILED(WsGetErrorProperty(e, WS_ERROR_PROPERTY_STRING_COUNT, &n, sizeof n))) return 99;
    return n;
}

TEST(wws_error_strings_newest_first)
{
    WS_ERROR *e = NULL;
    CHECK_EQ_INT(WsCreateError(NULL, 0, &e), S_OK);
    CHECK_EQ_INT(err_count(e), 0);
    WS_STRING a = WS_STRING_VALUE(L"first"), b = WS_STRING_VALUE(L"second \x00e9");
    CHECK_EQ_INT(WsAddErrorString(e, &a), S_OK);
    CHECK_EQ_INT(WsAddErrorString(e, &b), S_OK);
    CHECK_EQ_INT(err_count(e), 2);
    WS_STRING s;
    CHECK_EQ_INT(WsGetErrorString(e, 0, &s), S_OK); /* the most recent first */
    CHECK_EQ_INT(s.length, 8);
    CHECK(s.length == 8 && !wmemcmp(s.chars, L"second \x00e9", 8));
    CHECK_EQ_STR(err_str(e, 1), "first");
    CHECK_EQ_INT(WsGetErrorString(e, 2, &s), E_INVALIDARG);
    LANGID lang = 0;
    CHECK_EQ_INT(WsGetErrorProperty(e, WS_ERROR_PROPERTY_LANGID, &lang, sizeof lang), S_OK);
    CHECK_EQ_INT(lang, 0x0409);
    HRESULT orig = 1;
    CHECK_EQ_INT(WsGetErrorProperty(e, WS_ERROR_PROPERTY_ORIGINAL_ERROR_CODE, &orig, sizeof orig), S_OK);
    CHECK_EQ_INT(orig, 0);
    ULONG wrong;
    CHECK_EQ_INT(WsGetErrorProperty(e, WS_ERROR_PROPERTY_LANGID, &wrong, sizeof wrong), E_INVALIDARG);
    CHECK_EQ_INT(WsResetError(e), S_OK);
    CHECK_EQ_INT(err_count(e), 0);
    WsFreeError(e);
    WsFreeError(NULL);
    CHECK_EQ_INT(WsCreateError(NULL, 0, NULL), E_INVALIDARG);
}

TEST(wws_nettcp_errors_carry_cause_and_advice)
{
    WS_ERROR *e;
    CHECK_EQ_INT(WsCreateError(NULL, 0, &e), S_OK);
    ntcp_error ne;
    ntcp_error_clear(&ne);
    ntcp_error_set(&ne, NTCP_E_CONNECTION_REFUSED, NTCP_CAUSE_CONNECTION_REFUSED, NTCP_STEP_CONNECT,
                   "connecting to 127.0.0.1:9: refused");
    CHECK_EQ_INT(ntcp__wws_fail_error(e, ntcp__wws_hresult(&ne), &ne), WS_E_ENDPOINT_UNREACHABLE);
    CHECK_EQ_INT(err_count(e), 3);
    CHECK_EQ_STR(err_str(e, 0), "connecting to 127.0.0.1:9: refused");
    CHECK_EQ_STR(err_str(e, 1), "cause: connection_refused (nothing listens at host:port)");
    char want[1024];
    snprintf(want, sizeof want, "advice: %s", ntcp_cause_advice(NTCP_CAUSE_CONNECTION_REFUSED));
    CHECK_EQ_STR(err_str(e, 2), want);
    WsFreeError(e);
    /* the mapping of the security causes */
    ntcp_error_set(&ne, NTCP_E_AUTH_FAILED, NTCP_CAUSE_SPN_UNKNOWN, NTCP_STEP_HANDSHAKE, "x");
    CHECK_EQ_INT(ntcp__wws_hresult(&ne), WS_E_SECURITY_VERIFICATION_FAILURE);
    ntcp_error_set(&ne, NTCP_E_TIMEOUT, NTCP_CAUSE_TIMEOUT, NTCP_STEP_RECEIVE, "x");
    CHECK_EQ_INT(ntcp__wws_hresult(&ne), WS_E_OPERATION_TIMED_OUT);
}

TEST(wws_heap_quota)
{
    WS_ERROR *e;
    CHECK_EQ_INT(WsCreateError(NULL, 0, &e), S_OK);
    WS_HEAP *h = NULL;
    CHECK_EQ_INT(WsCreateHeap(100, 0, NULL, 0, &h, e), S_OK);
    void *p = NULL, *q = NULL;
    CHECK_EQ_INT(WsAlloc(h, 60, &p, e), S_OK);
    CHECK(p != NULL);
    CHECK_EQ_INT(((uintptr_t)p) % 8, 0);
    memset(p, 0xAB, 60);
    CHECK_EQ_INT(WsAlloc(h, 40, &q, e), S_OK); /* exactly the maximum */
    CHECK_EQ_INT(err_count(e), 0);
    void *r = (void *)1;
    CHECK_EQ_INT(WsAlloc(h, 1, &r, e), WS_E_QUOTA_EXCEEDED);
    CHECK(r == (void *)1);
    CHECK_EQ_INT(err_count(e), 3);
    CHECK_EQ_STR(err_str(e, 0), "WsAlloc: 1 bytes more would exceed the heap's maximum size of 100 bytes (100 in use); "
                                "create the heap with a larger maxSize or reset it");
    CHECK_EQ_STR(err_str(e, 1), "cause: quota_exceeded (a message exceeded a size limit or reader quota)");
    SIZE_T v = 0;
    CHECK_EQ_INT(WsGetHeapProperty(h, WS_HEAP_PROPERTY_REQUESTED_SIZE, &v, sizeof v, e), S_OK);
    CHECK_EQ_INT(v, 100);
    CHECK_EQ_INT(WsGetHeapProperty(h, WS_HEAP_PROPERTY_MAX_SIZE, &v, sizeof v, e), S_OK);
    CHECK_EQ_INT(v, 100);
    CHECK_EQ_INT(WsResetHeap(h, e), S_OK);
    CHECK_EQ_INT(WsGetHeapProperty(h, WS_HEAP_PROPERTY_REQUESTED_SIZE, &v, sizeof v, e), S_OK);
    CHECK_EQ_INT(v, 0);
    CHECK_EQ_INT(WsAlloc(h, 100, &p, e), S_OK); /* the quota counts from the reset */
    CHECK_EQ_INT(WsAlloc(h, (SIZE_T)-1, &p, NULL), WS_E_QUOTA_EXCEEDED);
    WsFreeHeap(h);
    WS_HEAP_PROPERTY prop = { WS_HEAP_PROPERTY_MAX_SIZE, &v, sizeof v };
    CHECK_EQ_INT(WsCreateHeap(100, 0, &prop, 1, &h, NULL), E_INVALIDARG);
    WsFreeError(e);
}

TEST(wws_xml_strings)
{
    WS_XML_STRING a = WS_XML_STRING_VALUE("Add"), b = WS_XML_STRING_VALUE("Add"), c = WS_XML_STRING_VALUE("Ad");
    CHECK_EQ_INT(a.length, 3);
    CHECK_EQ_INT(WsXmlStringEquals(&a, &b, NULL), S_OK);
    CHECK_EQ_INT(WsXmlStringEquals(&a, &c, NULL), S_FALSE);
    CHECK_EQ_INT(WsXmlStringEquals(&a, NULL, NULL), E_INVALIDARG);
    WS_STRING s = WS_STRING_VALUE(L"net.tcp://h/x");
    CHECK_EQ_INT(s.length, 13);
    CHECK_EQ_INT(sizeof(WCHAR), sizeof(wchar_t));
    CHECK_EQ_INT(WsCountOf("abc"), 4);
}

TEST(wws_writer_fills_a_buffer)
{
    WS_HEAP *h;
    CHECK_EQ_INT(WsCreateHeap(4096, 0, NULL, 0, &h, NULL), S_OK);
    WS_XML_BUFFER *buf;
    CHECK_EQ_INT(WsCreateXmlBuffer(h, NULL, 0, &buf, NULL), S_OK);
    WS_XML_WRITER *w;
    CHECK_EQ_INT(WsCreateWriter(NULL, 0, &w, NULL), S_OK);
    CHECK_EQ_INT(WsSetOutputToBuffer(w, buf, NULL, 0, NULL), S_OK);
    WS_XML_STRING none = WS_XML_STRING_VALUE(""), p = WS_XML_STRING_VALUE("t");
    WS_XML_STRING echo = WS_XML_STRING_VALUE("Echo"), text = WS_XML_STRING_VALUE("text");
    WS_XML_STRING ns = WS_XML_STRING_VALUE("http://tempuri.org/"), id = WS_XML_STRING_VALUE("id");
    CHECK_EQ_INT(WsWriteStartElement(w, &none, &echo, &ns, NULL), S_OK);
    CHECK_EQ_INT(WsWriteStartAttribute(w, &none, &id, &none, FALSE, NULL), S_OK);
    CHECK_EQ_INT(WsWriteCharsUtf8(w, (const BYTE *)"a\"<", 3, NULL), S_OK);
    CHECK_EQ_INT(WsWriteEndAttribute(w, NULL), S_OK);
    CHECK_EQ_INT(WsWriteStartElement(w, &none, &text, &ns, NULL), S_OK); /* the default namespace is in scope */
    CHECK_EQ_INT(WsWriteChars(w, L"x < y & \x00e9", 9, NULL), S_OK);
    CHECK_EQ_INT(WsWriteEndElement(w, NULL), S_OK);
    CHECK_EQ_INT(WsWriteStartElement(w, &p, &text, &ns, NULL), S_OK);
    CHECK_EQ_INT(WsWriteEndElement(w, NULL), S_OK);
    CHECK_EQ_INT(WsWriteEndElement(w, NULL), S_OK);
    CHECK_EQ_INT(WsWriteEndElement(w, NULL), WS_E_INVALID_OPERATION);
    void *bytes;
    ULONG n;
    CHECK_EQ_INT(WsWriteXmlBufferToBytes(NULL, buf, NULL, NULL, 0, h, &bytes, &n, NULL), S_OK);
    const char want[] = "<Echo xmlns=\"http://tempuri.org/\" id=\"a&quot;&lt;\"><text>x &lt; y &amp; \xc3\xa9</text>"
                        "<t:text xmlns:t=\"http://tempuri.org/\"/></Echo>";
    CHECK_BYTES(bytes, n, want, sizeof want - 1);
    /* read back from bytes: well-formed text only */
    WS_XML_BUFFER *back;
    CHECK_EQ_INT(WsReadXmlBufferFromBytes(NULL, NULL, NULL, 0, want, sizeof want - 1, h, &back, NULL), S_OK);
    CHECK_BYTES(back->data, back->len, want, sizeof want - 1);
    WS_ERROR *e;
    CHECK_EQ_INT(WsCreateError(NULL, 0, &e), S_OK);
    CHECK_EQ_INT(WsReadXmlBufferFromBytes(NULL, NULL, NULL, 0, "<a><b></a>", 10, h, &back, e), WS_E_INVALID_FORMAT);
    CHECK_EQ_STR(err_str(e, 1), "cause: xml_syntax_error (a text XML document is not well formed)");
    WS_XML_READER_ENCODING bin = { WS_XML_READER_ENCODING_TYPE_BINARY };
    CHECK_EQ_INT(WsReadXmlBufferFromBytes(NULL, &bin, NULL, 0, "<a/>", 4, h, &back, e), E_NOTIMPL);
    WsFreeError(e);
    WsFreeWriter(w);
    WsFreeHeap(h);
}

TEST(wws_buffer_grows_within_its_heap_quota)
{
    WS_HEAP *h;
    CHECK_EQ_INT(WsCreateHeap(600, 0, NULL, 0, &h, NULL), S_OK);
    WS_XML_BUFFER *buf;
    CHECK_EQ_INT(WsCreateXmlBuffer(h, NULL, 0, &buf, NULL), S_OK);
    WS_XML_WRITER *w;
    CHECK_EQ_INT(WsCreateWriter(NULL, 0, &w, NULL), S_OK);
    CHECK_EQ_INT(WsSetOutputToBuffer(w, buf, NULL, 0, NULL), S_OK);
    WS_XML_STRING none = WS_XML_STRING_VALUE(""), a = WS_XML_STRING_VALUE("a");
    CHECK_EQ_INT(WsWriteStartElement(w, &none, &a, &none, NULL), S_OK);
    char chunk[100];
    memset(chunk, 'x', sizeof chunk);
    HRESULT hr = S_OK;
    int i;
    for (i = 0; i < 10 && SUCCEEDED(hr); i++) hr = WsWriteCharsUtf8(w, (const BYTE *)chunk, sizeof chunk, NULL);
    CHECK_EQ_INT(hr, WS_E_QUOTA_EXCEEDED); /* 256, then 512 bytes: the second block passes 600 */
    CHECK_EQ_INT(i, 3);
    WsFreeWriter(w);
    WsFreeHeap(h);
}

static WS_XML_STRING n_add = WS_XML_STRING_VALUE("n1"), n_ns = WS_XML_STRING_VALUE("http://Microsoft.ServiceModel.Samples");

TEST(wws_body_simple_types_round_trip)
{
    WS_HEAP *h;
    CHECK_EQ_INT(WsCreateHeap(1 << 16, 0, NULL, 0, &h, NULL), S_OK);
    ntcp_buf b;
    ntcp_buf_init(&b, 4096);
    WS_ELEMENT_DESCRIPTION d = { &n_add, &n_ns, WS_INT32_TYPE, NULL };
    int32_t v = -42, back = 0;
    CHECK_EQ_INT(ntcp__wws_write_element(&b, &d, WS_WRITE_REQUIRED_VALUE, &v, sizeof v, NULL), S_OK);
    const char want[] = "<n1 xmlns=\"http://Microsoft.ServiceModel.Samples\">-42</n1>";
    CHECK_BYTES(b.data, b.len, want, sizeof want - 1);
    CHECK_EQ_INT(ntcp__wws_read_element((const char *)b.data, b.len, &d, WS_READ_REQUIRED_VALUE, h, &back, sizeof back,
                                        NULL), S_OK);
    CHECK_EQ_INT(back, -42);
    /* a pointer read allocates from the heap */
    int32_t *pb = NULL;
    CHECK_EQ_INT(ntcp__wws_read_element((const char *)b.data, b.len, &d, WS_READ_REQUIRED_POINTER, h, &pb, sizeof pb,
                                        NULL), S_OK);
    CHECK(pb && *pb == -42);
    /* out of range for the type */
    WS_ERROR *e;
    CHECK_EQ_INT(WsCreateError(NULL, 0, &e), S_OK);
    const char big[] = "<n1 xmlns=\"http://Microsoft.ServiceModel.Samples\">3000000000</n1>";
    CHECK_EQ_INT(ntcp__wws_read_element(big, sizeof big - 1, &d, WS_READ_REQUIRED_VALUE, h, &back, sizeof back, e),
                 WS_E_NUMERIC_OVERFLOW);
    /* another element than described */
    const char other[] = "<n2 xmlns=\"http://Microsoft.ServiceModel.Samples\">1</n2>";
    CHECK_EQ_INT(ntcp__wws_read_element(other, sizeof other - 1, &d, WS_READ_REQUIRED_VALUE, h, &back, sizeof back, e),
                 WS_E_INVALID_FORMAT);
    CHECK_EQ_STR(err_str(e, 0), "the body holds {http://Microsoft.ServiceModel.Samples}n2 where "
                                "{http://Microsoft.ServiceModel.Samples}n1 was expected");
    /* strings: WSZ and WS_STRING */
    ntcp_buf_reset(&b);
    WS_ELEMENT_DESCRIPTION ds = { &n_add, &n_ns, WS_WSZ_TYPE, NULL };
    const WCHAR *hello = L"a<b \x00e9";
    CHECK_EQ_INT(ntcp__wws_write_element(&b, &ds, WS_WRITE_REQUIRED_POINTER, &hello, sizeof hello, NULL), S_OK);
    const char wants[] = "<n1 xmlns=\"http://Microsoft.ServiceModel.Samples\">a&lt;b \xc3\xa9</n1>";
    CHECK_BYTES(b.data, b.len, wants, sizeof wants - 1);
    WCHAR *got = NULL;
    CHECK_EQ_INT(ntcp__wws_read_element((const char *)b.data, b.len, &ds, WS_READ_REQUIRED_POINTER, h, &got,
                                        sizeof got, NULL), S_OK);
    CHECK(got && !wcscmp(got, L"a<b \x00e9"));
    WS_ELEMENT_DESCRIPTION dstr = { &n_add, &n_ns, WS_STRING_TYPE, NULL };
    WS_STRING str = { 0, NULL };
    CHECK_EQ_INT(ntcp__wws_read_element((const char *)b.data, b.len, &dstr, WS_READ_REQUIRED_VALUE, h, &str,
                                        sizeof str, NULL), S_OK);
    CHECK(str.length == 5 && !wmemcmp(str.chars, L"a<b \x00e9", 5));
    /* double: the shortest text that reads back */
    ntcp_buf_reset(&b);
    WS_ELEMENT_DESCRIPTION dd = { &n_add, &n_ns, WS_DOUBLE_TYPE, NULL };
    double third = 1.0 / 3.0, dback = 0;
    CHECK_EQ_INT(ntcp__wws_write_element(&b, &dd, WS_WRITE_REQUIRED_VALUE, &third, sizeof third, NULL), S_OK);
    const char wantd[] = "<n1 xmlns=\"http://Microsoft.ServiceModel.Samples\">0.3333333333333333</n1>";
    CHECK_BYTES(b.data, b.len, wantd, sizeof wantd - 1);
    CHECK_EQ_INT(ntcp__wws_read_element((const char *)b.data, b.len, &dd, WS_READ_REQUIRED_VALUE, h, &dback,
                                        sizeof dback, NULL), S_OK);
    CHECK(dback == third);
    /* structs wait for the serializer */
    WS_ELEMENT_DESCRIPTION dst = { &n_add, &n_ns, WS_STRUCT_TYPE, NULL };
    CHECK_EQ_INT(ntcp__wws_write_element(&b, &dst, WS_WRITE_REQUIRED_POINTER, &hello, sizeof hello, NULL), E_NOTIMPL);
    ntcp_buf_free(&b);
    WsFreeError(e);
    WsFreeHeap(h);
}

TEST(wws_security_description_maps_to_nns_options)
{
    WS_ERROR *e;
    CHECK_EQ_INT(WsCreateError(NULL, 0, &e), S_OK);
    BOOL no = FALSE;
    WS_WINDOWS_INTEGRATED_AUTH_PACKAGE ntlm = WS_WINDOWS_INTEGRATED_AUTH_PACKAGE_NTLM;
    SECURITY_IMPERSONATION_LEVEL deleg = SecurityDelegation;
    WS_SECURITY_BINDING_PROPERTY props[] = {
        { WS_SECURITY_BINDING_PROPERTY_REQUIRE_SERVER_AUTH, &no, sizeof no },
        { WS_SECURITY_BINDING_PROPERTY_WINDOWS_INTEGRATED_AUTH_PACKAGE, &ntlm, sizeof ntlm },
        { WS_SECURITY_BINDING_PROPERTY_ALLOWED_IMPERSONATION_LEVEL, &deleg, sizeof deleg },
    };
    WS_STRING_WINDOWS_INTEGRATED_AUTH_CREDENTIAL cred = {
        { WS_STRING_WINDOWS_INTEGRATED_AUTH_CREDENTIAL_TYPE }, WS_STRING_VALUE(L"carol"), WS_STRING_VALUE(L"pw"),
        WS_STRING_VALUE(L"NETTCP") };
    WS_TCP_SSPI_TRANSPORT_SECURITY_BINDING sspi = { { WS_TCP_SSPI_TRANSPORT_SECURITY_BINDING_TYPE, props, 3 },
                                                    &cred.credential };
    WS_SECURITY_BINDING *bindings[] = { &sspi.binding };
    WS_SECURITY_DESCRIPTION sd = { bindings, 1, NULL, 0 };
    struct wws_security s;
    CHECK_EQ_INT(ntcp__wws_security(&sd, false, &s, e), S_OK);
    ntcp_nns_options o;
    ntcp_nns_options_init(&o);
    ntcp__wws_security_apply(&s, &o);
    CHECK(s.secure);
    CHECK_EQ_INT(o.package, NTCP_PACKAGE_NTLM);
    CHECK(!o.require_server_auth);
    CHECK_EQ_INT(o.allowed_impersonation, NTCP_IMPERSONATION_DELEGATION);
    CHECK_EQ_STR(o.user, "NETTCP\\carol");
    CHECK_EQ_STR(o.password, "pw");
    ntcp__wws_security_clear(&s);
    /* Kerberos: user@REALM */
    WS_WINDOWS_INTEGRATED_AUTH_PACKAGE krb = WS_WINDOWS_INTEGRATED_AUTH_PACKAGE_KERBEROS;
    props[1].value = &krb;
    CHECK_EQ_INT(ntcp__wws_security(&sd, false, &s, e), S_OK);
    CHECK_EQ_STR(s.user, "carol@NETTCP");
    ntcp__wws_security_clear(&s);
    /* the default credential: the ccache */
    WS_DEFAULT_WINDOWS_INTEGRATED_AUTH_CREDENTIAL def = { { WS_DEFAULT_WINDOWS_INTEGRATED_AUTH_CREDENTIAL_TYPE } };
    sspi.clientCredential = &def.credential;
    sspi.binding.propertyCount = 0;
    CHECK_EQ_INT(ntcp__wws_security(&sd, false, &s, e), S_OK);
    CHECK(s.user == NULL && s.require_server_auth && s.package == NTCP_PACKAGE_NEGOTIATE);
    /* opaque: refused, naming what is unsupported */
    WS_OPAQUE_WINDOWS_INTEGRATED_AUTH_CREDENTIAL opaque = { { WS_OPAQUE_WINDOWS_INTEGRATED_AUTH_CREDENTIAL_TYPE }, NULL };
    sspi.clientCredential = &opaque.credential;
    CHECK_EQ_INT(ntcp__wws_security(&sd, false, &s, e), WS_E_NOT_SUPPORTED);
    CHECK(strstr(err_str(e, 0), "WS_OPAQUE_WINDOWS_INTEGRATED_AUTH_CREDENTIAL (a SEC_WINNT_AUTH_IDENTITY handle "
                                "from SSPI) is not supported on Linux") != NULL);
    /* no credential on a client */
    sspi.clientCredential = NULL;
    CHECK_EQ_INT(ntcp__wws_security(&sd, false, &s, e), E_INVALIDARG);
    /* another binding type */
    WS_SECURITY_BINDING ssl = { WS_SSL_TRANSPORT_SECURITY_BINDING_TYPE, NULL, 0 };
    bindings[0] = &ssl;
    CHECK_EQ_INT(ntcp__wws_security(&sd, false, &s, e), WS_E_NOT_SUPPORTED);
    /* no description: no security */
    CHECK_EQ_INT(ntcp__wws_security(NULL, false, &s, e), S_OK);
    CHECK(!s.secure);
    WsFreeError(e);
}

TEST(wws_channel_create_checks)
{
    WS_ERROR *e;
    CHECK_EQ_INT(WsCreateError(NULL, 0, &e), S_OK);
    WS_CHANNEL *ch = NULL;
    CHECK_EQ_INT(WsCreateChannel(WS_CHANNEL_TYPE_DUPLEX_SESSION, WS_HTTP_CHANNEL_BINDING, NULL, 0, NULL, &ch, e),
                 E_NOTIMPL);
    WS_ENCODING text = WS_ENCODING_XML_UTF8;
    WS_CHANNEL_PROPERTY p = { WS_CHANNEL_PROPERTY_ENCODING, &text, sizeof text };
    CHECK_EQ_INT(WsCreateChannel(WS_CHANNEL_TYPE_DUPLEX_SESSION, WS_TCP_CHANNEL_BINDING, &p, 1, NULL, &ch, e),
                 WS_E_NOT_SUPPORTED);
    CHECK_EQ_INT(WsCreateChannel(WS_CHANNEL_TYPE_DUPLEX_SESSION, WS_TCP_CHANNEL_BINDING, NULL, 0, NULL, &ch, e), S_OK);
    WS_CHANNEL_STATE st = WS_CHANNEL_STATE_FAULTED;
    CHECK_EQ_INT(WsGetChannelProperty(ch, WS_CHANNEL_PROPERTY_STATE, &st, sizeof st, e), S_OK);
    CHECK_EQ_INT(st, WS_CHANNEL_STATE_CREATED);
    WS_MESSAGE *m;
    CHECK_EQ_INT(WsCreateMessageForChannel(ch, NULL, 0, &m, e), S_OK);
    WS_XML_STRING action = WS_XML_STRING_VALUE("urn:a");
    WS_MESSAGE_DESCRIPTION md = { &action, NULL };
    CHECK_EQ_INT(WsSendMessage(ch, m, &md, WS_WRITE_REQUIRED_VALUE, NULL, 0, NULL, e), WS_E_INVALID_OPERATION);
    /* a refused connection: the channel faults, the error says why */
    WS_ENDPOINT_ADDRESS addr = { WS_STRING_VALUE(L"net.tcp://127.0.0.1:1/x"), NULL, NULL, NULL };
    CHECK_EQ_INT(WsResetError(e), S_OK);
    CHECK_EQ_INT(WsOpenChannel(ch, &addr, NULL, e), WS_E_ENDPOINT_UNREACHABLE);
    CHECK_EQ_STR(err_str(e, 1), "cause: connection_refused (nothing listens at host:port)");
    CHECK_EQ_INT(WsGetChannelProperty(ch, WS_CHANNEL_PROPERTY_STATE, &st, sizeof st, e), S_OK);
    CHECK_EQ_INT(st, WS_CHANNEL_STATE_FAULTED);
    CHECK_EQ_INT(WsCreateMessage(WS_ENVELOPE_VERSION_SOAP_1_1, WS_ADDRESSING_VERSION_1_0, NULL, 0, &m, e),
                 WS_E_NOT_SUPPORTED);
    WsFreeMessage(m);
    WsFreeChannel(ch);
    WsFreeError(e);
}

/* a data contract as wsutil describes one: a struct with a nested struct by
 * pointer, an optional string and numbers */
typedef struct Point { int X; double Y; } Point;
typedef struct Shape { WCHAR *Name; Point *Origin; unsigned Sides; WCHAR *Note; } Shape;
static WS_XML_STRING s_ns = WS_XML_STRING_VALUE("http://schemas.datacontract.org/2004/07/Shapes");
static WS_XML_STRING s_x = WS_XML_STRING_VALUE("X"), s_y = WS_XML_STRING_VALUE("Y"), s_point = WS_XML_STRING_VALUE("Point");
static WS_XML_STRING s_name = WS_XML_STRING_VALUE("Name"), s_origin = WS_XML_STRING_VALUE("Origin");
static WS_XML_STRING s_sides = WS_XML_STRING_VALUE("Sides"), s_note = WS_XML_STRING_VALUE("Note");
static WS_XML_STRING s_shape = WS_XML_STRING_VALUE("Shape");
static WS_FIELD_DESCRIPTION f_x = { WS_ELEMENT_FIELD_MAPPING, &s_x, &s_ns, WS_INT32_TYPE, NULL, offsetof(Point, X), 0, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION f_y = { WS_ELEMENT_FIELD_MAPPING, &s_y, &s_ns, WS_DOUBLE_TYPE, NULL, offsetof(Point, Y), 0, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION *point_fields[] = { &f_x, &f_y };
static WS_STRUCT_DESCRIPTION point_type = { sizeof(Point), _Alignof(Point), point_fields, 2, &s_point, &s_ns, NULL, NULL, 0, 0 };
static WS_FIELD_DESCRIPTION f_name = { WS_ELEMENT_FIELD_MAPPING, &s_name, &s_ns, WS_WSZ_TYPE, NULL, offsetof(Shape, Name), 0, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION f_origin = { WS_ELEMENT_FIELD_MAPPING, &s_origin, &s_ns, WS_STRUCT_TYPE, &point_type, offsetof(Shape, Origin), WS_FIELD_POINTER, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION f_sides = { WS_ELEMENT_FIELD_MAPPING, &s_sides, &s_ns, WS_UINT32_TYPE, NULL, offsetof(Shape, Sides), 0, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION f_note = { WS_ELEMENT_FIELD_MAPPING, &s_note, &s_ns, WS_WSZ_TYPE, NULL, offsetof(Shape, Note), WS_FIELD_OPTIONAL, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION *shape_fields[] = { &f_name, &f_origin, &f_sides, &f_note };
static WS_STRUCT_DESCRIPTION shape_type = { sizeof(Shape), _Alignof(Shape), shape_fields, 4, &s_shape, &s_ns, NULL, NULL, 0, 0 };
static WS_ELEMENT_DESCRIPTION shape_element = { &s_shape, &s_ns, WS_STRUCT_TYPE, &shape_type };

TEST(wws_struct_serializer_round_trip)
{
    WS_HEAP *h;
    CHECK_EQ_INT(WsCreateHeap(1 << 16, 0, NULL, 0, &h, NULL), S_OK);
    Point o = { -3, 2.5 };
    Shape s = { L"tri\x00e4ngle", &o, 3, NULL };
    WS_XML_BUFFER *buf;
    WS_XML_WRITER *w;
    CHECK_EQ_INT(WsCreateXmlBuffer(h, NULL, 0, &buf, NULL), S_OK);
    CHECK_EQ_INT(WsCreateWriter(NULL, 0, &w, NULL), S_OK);
    CHECK_EQ_INT(WsSetOutputToBuffer(w, buf, NULL, 0, NULL), S_OK);
    CHECK_EQ_INT(WsWriteElement(w, &shape_element, WS_WRITE_REQUIRED_VALUE, &s, sizeof s, NULL), S_OK);
    const char NS[] = " xmlns=\"http://schemas.datacontract.org/2004/07/Shapes\"";
    char want[1024];
    snprintf(want, sizeof want, "<Shape%s><Name%s>tri\xc3\xa4ngle</Name><Origin%s><X%s>-3</X><Y%s>2.5</Y></Origin>"
             "<Sides%s>3</Sides></Shape>", NS, NS, NS, NS, NS, NS);
    CHECK_BYTES(buf->data, buf->len, want, strlen(want));
    /* read back: the nested struct allocated from the heap, the absent optional field NULL */
    Shape back;
    memset(&back, 0xAA, sizeof back);
    CHECK_EQ_INT(ntcp__wws_read_element((const char *)buf->data, buf->len, &shape_element, WS_READ_REQUIRED_VALUE, h,
                                        &back, sizeof back, NULL), S_OK);
    CHECK(back.Name && !wcscmp(back.Name, L"tri\x00e4ngle"));
    CHECK(back.Origin && back.Origin->X == -3 && back.Origin->Y == 2.5);
    CHECK_EQ_INT(back.Sides, 3);
    CHECK(back.Note == NULL);
    /* a required field missing */
    WS_ERROR *e;
    CHECK_EQ_INT(WsCreateError(NULL, 0, &e), S_OK);
    char bad[512];
    snprintf(bad, sizeof bad, "<Shape%s><Name>x</Name><Sides%s>3</Sides></Shape>", NS, NS);
    CHECK_EQ_INT(ntcp__wws_read_element(bad, strlen(bad), &shape_element, WS_READ_REQUIRED_VALUE, h, &back,
                                        sizeof back, e), WS_E_INVALID_FORMAT);
    CHECK_EQ_STR(err_str(e, 0), "the element {http://schemas.datacontract.org/2004/07/Shapes}Origin is missing"); /* Name inherits the namespace */
    /* a NULL required pointer is refused; an unsupported mapping is E_NOTIMPL */
    s.Origin = NULL;
    ntcp_buf b;
    ntcp_buf_init(&b, 4096);
    CHECK_EQ_INT(ntcp__wws_write_element(&b, &shape_element, WS_WRITE_REQUIRED_VALUE, &s, sizeof s, e), E_INVALIDARG);
    f_sides.mapping = WS_REPEATING_ELEMENT_CHOICE_FIELD_MAPPING;
    s.Origin = &o;
    CHECK_EQ_INT(ntcp__wws_write_element(&b, &shape_element, WS_WRITE_REQUIRED_VALUE, &s, sizeof s, e), E_NOTIMPL);
    f_sides.mapping = WS_ELEMENT_FIELD_MAPPING;
    ntcp_buf_free(&b);
    WsFreeError(e);
    WsFreeWriter(w);
    WsFreeHeap(h);
}

TEST(wws_fault_kept_in_the_error)
{
    WS_ERROR *e;
    CHECK_EQ_INT(WsCreateError(NULL, 0, &e), S_OK);
    WS_FAULT *fault = (WS_FAULT *)1;
    CHECK_EQ_INT(WsGetFaultErrorProperty(e, WS_FAULT_ERROR_PROPERTY_FAULT, &fault, sizeof fault), S_OK);
    CHECK(fault == NULL); /* no fault received */
    WS_MESSAGE *m;
    CHECK_EQ_INT(WsCreateMessage(WS_ENVELOPE_VERSION_SOAP_1_2, WS_ADDRESSING_VERSION_1_0, NULL, 0, &m, NULL), S_OK);
    m->action = ntcp_strndup("urn:a/Fault", 11);
    m->fault_code_local = ntcp_strndup("Sender", 6);
    m->fault_sub_ns = ntcp_strndup("urn:sub", 7);
    m->fault_sub_local = ntcp_strndup("Bad", 3);
    m->fault_reason = ntcp_strndup("r\xc3\xa9" "ason", 7);
    const char detail[] = "<string xmlns=\"urn:s\">why</string>";
    CHECK_EQ_INT(ntcp_buf_append(&m->fault_detail, detail, sizeof detail - 1), NTCP_OK);
    CHECK_EQ_INT(ntcp__wws_error_set_fault(e, m), S_OK);
    WsFreeMessage(m);
    CHECK_EQ_INT(WsGetFaultErrorProperty(e, WS_FAULT_ERROR_PROPERTY_FAULT, &fault, sizeof fault), S_OK);
    CHECK(fault && fault->code && fault->code->subCode && fault->reasonCount == 1 && fault->detail);
    if (fault && fault->code && fault->code->subCode && fault->detail) {
        WS_XML_STRING sender = WS_XML_STRING_VALUE("Sender"), soap = WS_XML_STRING_VALUE("http://www.w3.org/2003/05/soap-envelope");
        WS_XML_STRING bad = WS_XML_STRING_VALUE("Bad"), sub = WS_XML_STRING_VALUE("urn:sub");
        CHECK_EQ_INT(WsXmlStringEquals(&fault->code->value.localName, &sender, NULL), S_OK);
        CHECK_EQ_INT(WsXmlStringEquals(&fault->code->value.ns, &soap, NULL), S_OK);
        CHECK_EQ_INT(WsXmlStringEquals(&fault->code->subCode->value.localName, &bad, NULL), S_OK);
        CHECK_EQ_INT(WsXmlStringEquals(&fault->code->subCode->value.ns, &sub, NULL), S_OK);
        CHECK(fault->reasons[0].text.length == 6 && !wmemcmp(fault->reasons[0].text.chars, L"r\x00e9" L"ason", 6));
        CHECK_BYTES(fault->detail->data, fault->detail->len, detail, sizeof detail - 1);
    }
    WS_XML_STRING action;
    CHECK_EQ_INT(WsGetFaultErrorProperty(e, WS_FAULT_ERROR_PROPERTY_ACTION, &action, sizeof action), S_OK);
    CHECK(action.length == 11 && !memcmp(action.bytes, "urn:a/Fault", 11));
    /* the detail: read by its description, filtered by the action */
    WS_HEAP *h;
    CHECK_EQ_INT(WsCreateHeap(4096, 0, NULL, 0, &h, NULL), S_OK);
    WS_XML_STRING sname = WS_XML_STRING_VALUE("string"), sns = WS_XML_STRING_VALUE("urn:s");
    WS_XML_STRING right = WS_XML_STRING_VALUE("urn:a/Fault"), other = WS_XML_STRING_VALUE("urn:other");
    WS_ELEMENT_DESCRIPTION sd = { &sname, &sns, WS_WSZ_TYPE, NULL };
    WS_FAULT_DETAIL_DESCRIPTION fd = { &right, &sd };
    WCHAR *why = NULL;
    CHECK_EQ_INT(WsGetFaultErrorDetail(e, &fd, WS_READ_REQUIRED_POINTER, h, &why, sizeof why), S_OK);
    CHECK(why && !wcscmp(why, L"why"));
    fd.action = &other;
    why = (WCHAR *)1;
    CHECK_EQ_INT(WsGetFaultErrorDetail(e, &fd, WS_READ_OPTIONAL_POINTER, h, &why, sizeof why), S_OK);
    CHECK(why == NULL);
    CHECK_EQ_INT(WsGetFaultErrorDetail(e, &fd, WS_READ_REQUIRED_POINTER, h, &why, sizeof why), WS_E_INVALID_FORMAT);
    /* another element under the right action: optional gives NULL */
    WS_XML_STRING iname = WS_XML_STRING_VALUE("int");
    WS_ELEMENT_DESCRIPTION idesc = { &iname, &sns, WS_INT32_TYPE, NULL };
    WS_FAULT_DETAIL_DESCRIPTION fi = { &right, &idesc };
    int32_t *ip = (int32_t *)1;
    CHECK_EQ_INT(WsGetFaultErrorDetail(e, &fi, WS_READ_OPTIONAL_POINTER, h, &ip, sizeof ip), S_OK);
    CHECK(ip == NULL);
    CHECK_EQ_INT(WsResetError(e), S_OK); /* the fault goes with the strings */
    CHECK_EQ_INT(WsGetFaultErrorProperty(e, WS_FAULT_ERROR_PROPERTY_FAULT, &fault, sizeof fault), S_OK);
    CHECK(fault == NULL);
    WsFreeHeap(h);
    WsFreeError(e);
}

/* arrays: WS_REPEATING_ELEMENT_FIELD_MAPPING with and without a wrapper element */
typedef struct Polygon { WCHAR **Tags; ULONG TagCount; Point *Points; ULONG PointCount; } Polygon;
static WS_XML_STRING s_arrays = WS_XML_STRING_VALUE("http://schemas.microsoft.com/2003/10/Serialization/Arrays");
static WS_XML_STRING s_tags = WS_XML_STRING_VALUE("Tags"), s_string = WS_XML_STRING_VALUE("string");
static WS_XML_STRING s_polygon = WS_XML_STRING_VALUE("Polygon");
static WS_ITEM_RANGE tag_range = { 0, 3 };
static WS_FIELD_DESCRIPTION f_tags = { WS_REPEATING_ELEMENT_FIELD_MAPPING, &s_tags, &s_ns, WS_WSZ_TYPE, NULL,
                                       offsetof(Polygon, Tags), 0, NULL, offsetof(Polygon, TagCount), &s_string,
                                       &s_arrays, &tag_range };
static WS_FIELD_DESCRIPTION f_points = { WS_REPEATING_ELEMENT_FIELD_MAPPING, NULL, NULL, WS_STRUCT_TYPE, &point_type,
                                         offsetof(Polygon, Points), 0, NULL, offsetof(Polygon, PointCount), &s_point,
                                         &s_ns, NULL };
static WS_FIELD_DESCRIPTION *polygon_fields[] = { &f_tags, &f_points };
static WS_STRUCT_DESCRIPTION polygon_type = { sizeof(Polygon), _Alignof(Polygon), polygon_fields, 2, &s_polygon, &s_ns, NULL, NULL, 0, 0 };
static WS_ELEMENT_DESCRIPTION polygon_element = { &s_polygon, &s_ns, WS_STRUCT_TYPE, &polygon_type };

TEST(wws_serializer_arrays)
{
    WS_HEAP *h;
    CHECK_EQ_INT(WsCreateHeap(1 << 16, 0, NULL, 0, &h, NULL), S_OK);
    WCHAR *tags[] = { L"a", L"b<" };
    Point pts[] = { { 1, 0.5 }, { 2, -1 }, { 3, 1e300 } };
    Polygon p = { tags, 2, pts, 3 };
    ntcp_buf b;
    ntcp_buf_init(&b, 4096);
    CHECK_EQ_INT(ntcp__wws_write_element(&b, &polygon_element, WS_WRITE_REQUIRED_VALUE, &p, sizeof p, NULL), S_OK);
    const char NS[] = " xmlns=\"http://schemas.datacontract.org/2004/07/Shapes\"";
    const char AR[] = " xmlns=\"http://schemas.microsoft.com/2003/10/Serialization/Arrays\"";
    char want[2048];
    snprintf(want, sizeof want,
             "<Polygon%s><Tags%s><string%s>a</string><string%s>b&lt;</string></Tags>"
             "<Point%s><X%s>1</X><Y%s>0.5</Y></Point><Point%s><X%s>2</X><Y%s>-1</Y></Point>"
             "<Point%s><X%s>3</X><Y%s>1E+300</Y></Point></Polygon>",
             NS, NS, AR, AR, NS, NS, NS, NS, NS, NS, NS, NS, NS);
    CHECK_BYTES(b.data, b.len, want, strlen(want));
    Polygon back;
    memset(&back, 0xAA, sizeof back);
    CHECK_EQ_INT(ntcp__wws_read_element((const char *)b.data, b.len, &polygon_element, WS_READ_REQUIRED_VALUE, h, &back,
                                        sizeof back, NULL), S_OK);
    CHECK_EQ_INT(back.TagCount, 2);
    CHECK(back.Tags && !wcscmp(back.Tags[0], L"a") && !wcscmp(back.Tags[1], L"b<"));
    CHECK_EQ_INT(back.PointCount, 3);
    CHECK(back.Points && back.Points[0].X == 1 && back.Points[1].Y == -1 && back.Points[2].Y == 1e300);
    /* an empty array; the item range enforced both ways */
    p.TagCount = 0;
    p.PointCount = 0;
    ntcp_buf_reset(&b);
    CHECK_EQ_INT(ntcp__wws_write_element(&b, &polygon_element, WS_WRITE_REQUIRED_VALUE, &p, sizeof p, NULL), S_OK);
    CHECK_EQ_INT(ntcp__wws_read_element((const char *)b.data, b.len, &polygon_element, WS_READ_REQUIRED_VALUE, h, &back,
                                        sizeof back, NULL), S_OK);
    CHECK(back.TagCount == 0 && back.Tags == NULL && back.PointCount == 0 && back.Points == NULL);
    WCHAR *four[] = { L"1", L"2", L"3", L"4" };
    p.Tags = four;
    p.TagCount = 4;
    CHECK_EQ_INT(ntcp__wws_write_element(&b, &polygon_element, WS_WRITE_REQUIRED_VALUE, &p, sizeof p, NULL), E_INVALIDARG);
    char many[1024];
    snprintf(many, sizeof many, "<Polygon%s><Tags%s><string%s>1</string><string%s>2</string><string%s>3</string>"
             "<string%s>4</string></Tags></Polygon>", NS, NS, AR, AR, AR, AR);
    CHECK_EQ_INT(ntcp__wws_read_element(many, strlen(many), &polygon_element, WS_READ_REQUIRED_VALUE, h, &back,
                                        sizeof back, NULL), WS_E_INVALID_FORMAT);
    ntcp_buf_free(&b);
    WsFreeHeap(h);
}
