/* WWSAPI serializer: float, datetime, timespan, GUID, bytes, enum, unique
 * id, XML string; attribute, text and no-field mappings. The expected XML is
 * what Mono's DataContractSerializer wrote for the same values (the C#
 * data contract is in the comment below), with its root's namespace
 * declarations taken out (nettcp writes xmlns on every element). */
#include <stddef.h>
#include <string.h>
#include <wchar.h>
#include "test.h"
#include <nettcp/wws/webservices.h>
#include "wws/wws_channel.h"
#include <nettcp/xml.h>

static const char *terr(WS_ERROR *e)
{
    static char out[1024];
    WS_STRING s;
    if (FAILED(WsGetErrorString(e, 0, &s))) return "(none)";
    size_t k = 0;
    for (ULONG j = 0; j < s.length && k + 1 < sizeof out; j++) out[k++] = s.chars[j] < 0x80 ? (char)s.chars[j] : '?';
    out[k] = 0;
    return out;
}

/* [DataContract(Namespace="http://t")] enum Color { Red, Green, Blue }
 * [DataContract(Namespace="http://t")] class V { float F; DateTime D, DN; TimeSpan T, T2; Guid G; byte[] B;
 *   Color C; TimeSpan T3; float F2; }   (DataMember Order 1..10)
 * V { F=1.5f, D=2026-12-05T15:39:57Z + 1234500 ticks (UTC), DN=2001-02-03T04:05:06 (Unspecified),
 *   T=1.02:03:04.0005, T2=0, G=0f8fad5b-d9cb-469f-a165-70867728950e, B={0,1,2,253,254,255,65}, C=Blue,
 *   T3=-90 s, F2=1e20f }  -- mono 6.8, DataContractSerializer.WriteObject: */
static const char DCS_V[] =
    "<V xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns=\"http://t\"><F>1.5</F>"
    "<D>2026-12-05T15:39:57.12345Z</D><DN>2001-02-03T04:05:06</DN><T>P1DT2H3M4.0005S</T><T2>PT0S</T2>"
    "<G>0f8fad5b-d9cb-469f-a165-70867728950e</G><B>AAEC/f7/QQ==</B><C>Blue</C><T3>-PT1M30S</T3><F2>1E+20</F2></V>";

typedef struct V {
    float F;
    WS_DATETIME D, DN;
    WS_TIMESPAN T, T2;
    GUID G;
    WS_BYTES B;
    int C;
    WS_TIMESPAN T3;
    float F2;
} V;

static WS_XML_STRING t_ns = WS_XML_STRING_VALUE("http://t"), t_v = WS_XML_STRING_VALUE("V");
static WS_XML_STRING n_f = WS_XML_STRING_VALUE("F"), n_d = WS_XML_STRING_VALUE("D"), n_dn = WS_XML_STRING_VALUE("DN");
static WS_XML_STRING n_t = WS_XML_STRING_VALUE("T"), n_t2 = WS_XML_STRING_VALUE("T2"), n_g = WS_XML_STRING_VALUE("G");
static WS_XML_STRING n_b = WS_XML_STRING_VALUE("B"), n_c = WS_XML_STRING_VALUE("C"), n_t3 = WS_XML_STRING_VALUE("T3");
static WS_XML_STRING n_f2 = WS_XML_STRING_VALUE("F2");
static WS_XML_STRING c_red = WS_XML_STRING_VALUE("Red"), c_green = WS_XML_STRING_VALUE("Green"), c_blue = WS_XML_STRING_VALUE("Blue");
static WS_ENUM_VALUE color_values[] = { { 0, &c_red }, { 1, &c_green }, { 2, &c_blue } };
static WS_ENUM_DESCRIPTION color_type = { color_values, 3, 5, NULL };
#define FLD(name, T, desc, member) \
    static WS_FIELD_DESCRIPTION fv_##member = { WS_ELEMENT_FIELD_MAPPING, &name, &t_ns, T, desc, offsetof(V, member), 0, NULL, 0, NULL, NULL, NULL }
FLD(n_f, WS_FLOAT_TYPE, NULL, F);
FLD(n_d, WS_DATETIME_TYPE, NULL, D);
FLD(n_dn, WS_DATETIME_TYPE, NULL, DN);
FLD(n_t, WS_TIMESPAN_TYPE, NULL, T);
FLD(n_t2, WS_TIMESPAN_TYPE, NULL, T2);
FLD(n_g, WS_GUID_TYPE, NULL, G);
FLD(n_b, WS_BYTES_TYPE, NULL, B);
FLD(n_c, WS_ENUM_TYPE, &color_type, C);
FLD(n_t3, WS_TIMESPAN_TYPE, NULL, T3);
FLD(n_f2, WS_FLOAT_TYPE, NULL, F2);
static WS_FIELD_DESCRIPTION *v_fields[] = { &fv_F, &fv_D, &fv_DN, &fv_T, &fv_T2, &fv_G, &fv_B, &fv_C, &fv_T3, &fv_F2 };
static WS_STRUCT_DESCRIPTION v_type = { sizeof(V), _Alignof(V), v_fields, 10, &t_v, &t_ns, NULL, NULL, 0, 0 };
static WS_ELEMENT_DESCRIPTION v_element = { &t_v, &t_ns, WS_STRUCT_TYPE, &v_type };

static BYTE v_bytes[] = { 0, 1, 2, 253, 254, 255, 65 };

static void fill_v(V *v)
{
    memset(v, 0, sizeof *v);
    v->F = 1.5f;
    v->D = (WS_DATETIME){ 639320819971234500ULL, WS_DATETIME_FORMAT_UTC };
    v->DN = (WS_DATETIME){ 631167699060000000ULL, WS_DATETIME_FORMAT_NONE };
    v->T.ticks = 937840005000LL;
    v->T2.ticks = 0;
    v->G = (GUID){ 0x0f8fad5b, 0xd9cb, 0x469f, { 0xa1, 0x65, 0x70, 0x86, 0x77, 0x28, 0x95, 0x0e } };
    v->B = (WS_BYTES){ sizeof v_bytes, v_bytes };
    v->C = 2;
    v->T3.ticks = -900000000LL;
    v->F2 = 1e20f;
}

/* s without every occurrence of cut */
static void strip(char *s, const char *cut)
{
    size_t n = strlen(cut);
    for (char *p; (p = strstr(s, cut));) memmove(p, p + n, strlen(p + n) + 1);
}

TEST(wws_types_match_data_contract_serializer)
{
    WS_HEAP *h;
    CHECK_EQ_INT(WsCreateHeap(1 << 16, 0, NULL, 0, &h, NULL), S_OK);
    V v;
    fill_v(&v);
    ntcp_buf b;
    ntcp_buf_init(&b, 1 << 16);
    CHECK_EQ_INT(ntcp__wws_write_element(&b, &v_element, WS_WRITE_REQUIRED_VALUE, &v, sizeof v, NULL), S_OK);
    char ours[2048], dcs[2048];
    CHECK(b.len < sizeof ours);
    memcpy(ours, b.data, b.len);
    ours[b.len] = 0;
    strip(ours, " xmlns=\"http://t\"");
    snprintf(dcs, sizeof dcs, "%s", DCS_V);
    strip(dcs, " xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns=\"http://t\"");
    CHECK_EQ_STR(ours, dcs);
    /* DataContractSerializer's own bytes read back to the same values */
    V back;
    memset(&back, 0xAA, sizeof back);
    CHECK_EQ_INT(ntcp__wws_read_element(DCS_V, strlen(DCS_V), &v_element, WS_READ_REQUIRED_VALUE, h, &back, sizeof back,
                                        NULL), S_OK);
    CHECK(back.F == 1.5f && back.F2 == 1e20f);
    CHECK(back.D.ticks == v.D.ticks && back.D.format == WS_DATETIME_FORMAT_UTC);
    CHECK(back.DN.ticks == v.DN.ticks && back.DN.format == WS_DATETIME_FORMAT_NONE);
    CHECK(back.T.ticks == v.T.ticks && back.T2.ticks == 0 && back.T3.ticks == v.T3.ticks);
    CHECK(!memcmp(&back.G, &v.G, sizeof v.G));
    CHECK_BYTES(back.B.bytes, back.B.length, v_bytes, sizeof v_bytes);
    CHECK_EQ_INT(back.C, 2);
    ntcp_buf_free(&b);
    WsFreeHeap(h);
}

/* one simple value as <x xmlns="">TEXT</x> */
static WS_XML_STRING x_name = WS_XML_STRING_VALUE("x"), x_ns = WS_XML_STRING_VALUE("");

static const char *write_one(WS_TYPE t, void *desc, const void *v, ULONG size, HRESULT *hr)
{
    static char out[256];
    WS_ELEMENT_DESCRIPTION d = { &x_name, &x_ns, t, desc };
    ntcp_buf b;
    ntcp_buf_init(&b, 4096);
    *hr = ntcp__wws_write_element(&b, &d, WS_WRITE_REQUIRED_VALUE, v, size, NULL);
    size_t n = b.len > 7 ? b.len - 7 : 0; /* "<x>" ... "</x>" */
    if (n >= sizeof out) n = sizeof out - 1;
    memcpy(out, b.len > 7 ? (const char *)b.data + 3 : "", n);
    out[n] = 0;
    ntcp_buf_free(&b);
    return out;
}

static HRESULT read_one(const char *text, WS_TYPE t, void *desc, WS_HEAP *h, void *v, ULONG size, WS_ERROR *e)
{
    static char xml[8192];
    snprintf(xml, sizeof xml, "<x>%s</x>", text);
    WS_ELEMENT_DESCRIPTION d = { &x_name, &x_ns, t, desc };
    return ntcp__wws_read_element(xml, strlen(xml), &d, WS_READ_REQUIRED_VALUE, h, v, size, e);
}

TEST(wws_types_edges_as_dotnet_writes_them)
{
    /* XmlConvert.ToString / float.ToString("R") as mono 6.8 prints them */
    HRESULT hr;
    WS_TIMESPAN ts = { 3 * 864000000000LL };
    CHECK_EQ_STR(write_one(WS_TIMESPAN_TYPE, NULL, &ts, sizeof ts, &hr), "P3D");
    ts.ticks = 1;
    CHECK_EQ_STR(write_one(WS_TIMESPAN_TYPE, NULL, &ts, sizeof ts, &hr), "PT0.0000001S");
    ts.ticks = INT64_MAX;
    CHECK_EQ_STR(write_one(WS_TIMESPAN_TYPE, NULL, &ts, sizeof ts, &hr), "P10675199DT2H48M5.4775807S");
    ts.ticks = INT64_MIN;
    CHECK_EQ_STR(write_one(WS_TIMESPAN_TYPE, NULL, &ts, sizeof ts, &hr), "-P10675199DT2H48M5.4775808S");
    WS_DATETIME dt = { 3155378975999999999ULL, WS_DATETIME_FORMAT_UTC };
    CHECK_EQ_STR(write_one(WS_DATETIME_TYPE, NULL, &dt, sizeof dt, &hr), "9999-12-31T23:59:59.9999999Z");
    float f = 1e-5f;
    CHECK_EQ_STR(write_one(WS_FLOAT_TYPE, NULL, &f, sizeof f, &hr), "1E-05");
    f = 0.1f;
    CHECK_EQ_STR(write_one(WS_FLOAT_TYPE, NULL, &f, sizeof f, &hr), "0.1");
    f = 3.4028235e38f;
    CHECK_EQ_STR(write_one(WS_FLOAT_TYPE, NULL, &f, sizeof f, &hr), "3.40282347E+38");
    /* unique ids: a GUID as urn:uuid:, or the URI */
    WS_UNIQUE_ID u = { { 0, NULL }, { 0x0f8fad5b, 0xd9cb, 0x469f, { 0xa1, 0x65, 0x70, 0x86, 0x77, 0x28, 0x95, 0x0e } } };
    CHECK_EQ_STR(write_one(WS_UNIQUE_ID_TYPE, NULL, &u, sizeof u, &hr), "urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e");
    u.uri = (WS_STRING)WS_STRING_VALUE(L"urn:x<1>");
    CHECK_EQ_STR(write_one(WS_UNIQUE_ID_TYPE, NULL, &u, sizeof u, &hr), "urn:x&lt;1&gt;");
    WS_XML_STRING xs = WS_XML_STRING_VALUE("caf\xc3\xa9 & tea");
    CHECK_EQ_STR(write_one(WS_XML_STRING_TYPE, NULL, &xs, sizeof xs, &hr), "caf\xc3\xa9 &amp; tea");
    WS_BYTES empty = { 0, NULL };
    CHECK_EQ_STR(write_one(WS_BYTES_TYPE, NULL, &empty, sizeof empty, &hr), "");
    CHECK_EQ_INT(hr, S_OK);
    int bad_color = 7;
    write_one(WS_ENUM_TYPE, &color_type, &bad_color, sizeof bad_color, &hr);
    CHECK_EQ_INT(hr, E_INVALIDARG);
    WS_DATETIME local = { 0, WS_DATETIME_FORMAT_LOCAL };
    write_one(WS_DATETIME_TYPE, NULL, &local, sizeof local, &hr);
    CHECK_EQ_INT(hr, E_NOTIMPL);

    /* and back */
    WS_HEAP *h;
    CHECK_EQ_INT(WsCreateHeap(1 << 16, 0, NULL, 0, &h, NULL), S_OK);
    WS_UNIQUE_ID ub;
    CHECK_EQ_INT(read_one("urn:uuid:0F8FAD5B-D9CB-469F-A165-70867728950E", WS_UNIQUE_ID_TYPE, NULL, h, &ub, sizeof ub, NULL), S_OK);
    CHECK(ub.uri.length == 0 && ub.guid.Data1 == 0x0f8fad5b && ub.guid.Data4[7] == 0x0e);
    CHECK_EQ_INT(read_one("urn:x", WS_UNIQUE_ID_TYPE, NULL, h, &ub, sizeof ub, NULL), S_OK);
    CHECK(ub.uri.length == 5 && !wmemcmp(ub.uri.chars, L"urn:x", 5));
    WS_XML_STRING xb;
    CHECK_EQ_INT(read_one("caf\xc3\xa9 &amp; tea", WS_XML_STRING_TYPE, NULL, h, &xb, sizeof xb, NULL), S_OK);
    CHECK_BYTES(xb.bytes, xb.length, "caf\xc3\xa9 & tea", 11);
    WS_DATETIME db;
    CHECK_EQ_INT(read_one("2001-02-03T04:05:06+01:30", WS_DATETIME_TYPE, NULL, h, &db, sizeof db, NULL), S_OK);
    CHECK(db.ticks == 631167699060000000ULL - 54000000000ULL && db.format == WS_DATETIME_FORMAT_LOCAL);
    WS_TIMESPAN tb;
    CHECK_EQ_INT(read_one("-P10675199DT2H48M5.4775808S", WS_TIMESPAN_TYPE, NULL, h, &tb, sizeof tb, NULL), S_OK);
    CHECK(tb.ticks == INT64_MIN);
    CHECK_EQ_INT(read_one("P1Y2M", WS_TIMESPAN_TYPE, NULL, h, &tb, sizeof tb, NULL), S_OK); /* Y = 365 d, M = 30 d */
    CHECK(tb.ticks == 425 * 864000000000LL);
    WS_BYTES bb;
    CHECK_EQ_INT(read_one(" AAEC\n/f7/QQ== ", WS_BYTES_TYPE, NULL, h, &bb, sizeof bb, NULL), S_OK);
    CHECK_BYTES(bb.bytes, bb.length, v_bytes, sizeof v_bytes);
    WsFreeHeap(h);
}

TEST(wws_types_malformed_input_fails_with_reason)
{
    WS_HEAP *h;
    WS_ERROR *e;
    CHECK_EQ_INT(WsCreateHeap(1 << 16, 0, NULL, 0, &h, NULL), S_OK);
    CHECK_EQ_INT(WsCreateError(NULL, 0, &e), S_OK);
    BYTE v[64];
    CHECK_EQ_INT(read_one("2026-02-29T00:00:00", WS_DATETIME_TYPE, NULL, h, v, sizeof(WS_DATETIME), e), WS_E_INVALID_FORMAT);
    CHECK_EQ_STR(terr(e), "'2026-02-29T00:00:00' is not a valid xs:dateTime");
    CHECK_EQ_INT(read_one("2026-01-01T00:00:00Zjunk", WS_DATETIME_TYPE, NULL, h, v, sizeof(WS_DATETIME), e), WS_E_INVALID_FORMAT);
    CHECK_EQ_INT(read_one("0001-01-01T00:00:00+01:00", WS_DATETIME_TYPE, NULL, h, v, sizeof(WS_DATETIME), e), WS_E_NUMERIC_OVERFLOW);
    CHECK_EQ_STR(terr(e), "the dateTime '0001-01-01T00:00:00+01:00' is out of range");
    CHECK_EQ_INT(read_one("P10675199DT2H48M5.4775808S", WS_TIMESPAN_TYPE, NULL, h, v, sizeof(WS_TIMESPAN), e), WS_E_NUMERIC_OVERFLOW);
    CHECK_EQ_INT(read_one("PT", WS_TIMESPAN_TYPE, NULL, h, v, sizeof(WS_TIMESPAN), e), WS_E_INVALID_FORMAT);
    CHECK_EQ_STR(terr(e), "'PT' is not a valid xs:duration");
    CHECK_EQ_INT(read_one("P1.5D", WS_TIMESPAN_TYPE, NULL, h, v, sizeof(WS_TIMESPAN), e), WS_E_INVALID_FORMAT);
    CHECK_EQ_INT(read_one("PT1S2M", WS_TIMESPAN_TYPE, NULL, h, v, sizeof(WS_TIMESPAN), e), WS_E_INVALID_FORMAT);
    CHECK_EQ_INT(read_one("0f8fad5b-d9cb-469f-a165-70867728950", WS_GUID_TYPE, NULL, h, v, sizeof(GUID), e), WS_E_INVALID_FORMAT);
    CHECK_EQ_STR(terr(e), "'0f8fad5b-d9cb-469f-a165-70867728950' is not a valid GUID");
    CHECK_EQ_INT(read_one("AAE", WS_BYTES_TYPE, NULL, h, v, sizeof(WS_BYTES), e), WS_E_INVALID_FORMAT);
    CHECK_EQ_INT(read_one("AA=A", WS_BYTES_TYPE, NULL, h, v, sizeof(WS_BYTES), e), WS_E_INVALID_FORMAT);
    CHECK_EQ_STR(terr(e), "'AA=A' is not a valid base64 value");
    CHECK_EQ_INT(read_one("Purple", WS_ENUM_TYPE, &color_type, h, v, sizeof(int), e), WS_E_INVALID_FORMAT);
    CHECK_EQ_STR(terr(e), "'Purple' is not a valid value of the enum");
    CHECK_EQ_INT(read_one("1e39", WS_FLOAT_TYPE, NULL, h, v, sizeof(float), e), WS_E_NUMERIC_OVERFLOW);
    CHECK_EQ_INT(read_one("inf", WS_FLOAT_TYPE, NULL, h, v, sizeof(float), e), WS_E_INVALID_FORMAT);
    CHECK_EQ_INT(read_one("0x10", WS_FLOAT_TYPE, NULL, h, v, sizeof(float), e), WS_E_INVALID_FORMAT);
    /* a value no longer than the 127 bytes kept, but valid in its first 127 */
    char longdt[300];
    snprintf(longdt, sizeof longdt, "2026-01-01T00:00:00.%0200d", 0);
    CHECK_EQ_INT(read_one(longdt, WS_DATETIME_TYPE, NULL, h, v, sizeof(WS_DATETIME), e), WS_E_INVALID_FORMAT);
    WsFreeError(e);
    WsFreeHeap(h);
}

TEST(wws_types_heap_quota_on_read)
{
    /* 2 KiB of bytes into a heap of 1 KiB: WS_E_QUOTA_EXCEEDED, nothing half-filled is returned */
    WS_HEAP *h;
    WS_ERROR *e;
    CHECK_EQ_INT(WsCreateHeap(1024, 0, NULL, 0, &h, NULL), S_OK);
    CHECK_EQ_INT(WsCreateError(NULL, 0, &e), S_OK);
    static char b64[4000];
    for (int i = 0; i < 2732; i++) b64[i] = 'A';
    b64[2732] = 0; /* 2049 bytes */
    WS_BYTES bb = { 0, NULL };
    CHECK_EQ_INT(read_one(b64, WS_BYTES_TYPE, NULL, h, &bb, sizeof bb, e), WS_E_QUOTA_EXCEEDED);
    CHECK(bb.bytes == NULL);
    WsFreeError(e);
    WsFreeHeap(h);
}

/* <Qty unit="kg" note="...">2.5</Qty>: attribute and text fields; a field no XML carries */
typedef struct Qty { WCHAR *Unit; double Amount; int Internal; WS_XML_STRING *Note; } Qty;
static WS_XML_STRING q_name = WS_XML_STRING_VALUE("Qty"), q_unit = WS_XML_STRING_VALUE("unit"), q_note = WS_XML_STRING_VALUE("note");
static int q_internal_default = 42;
static WS_DEFAULT_VALUE q_def = { &q_internal_default, sizeof(int) };
static WS_FIELD_DESCRIPTION fq_unit = { WS_ATTRIBUTE_FIELD_MAPPING, &q_unit, &x_ns, WS_WSZ_TYPE, NULL, offsetof(Qty, Unit), 0, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION fq_note = { WS_ATTRIBUTE_FIELD_MAPPING, &q_note, &x_ns, WS_XML_STRING_TYPE, NULL, offsetof(Qty, Note), WS_FIELD_POINTER | WS_FIELD_OPTIONAL, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION fq_amount = { WS_TEXT_FIELD_MAPPING, NULL, NULL, WS_DOUBLE_TYPE, NULL, offsetof(Qty, Amount), 0, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION fq_internal = { WS_NO_FIELD_MAPPING, NULL, NULL, WS_INT32_TYPE, NULL, offsetof(Qty, Internal), 0, &q_def, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION *qty_fields[] = { &fq_unit, &fq_amount, &fq_internal, &fq_note };
static WS_STRUCT_DESCRIPTION qty_type = { sizeof(Qty), _Alignof(Qty), qty_fields, 4, &q_name, &t_ns, NULL, NULL, 0, 0 };
static WS_ELEMENT_DESCRIPTION qty_element = { &q_name, &t_ns, WS_STRUCT_TYPE, &qty_type };

TEST(wws_attribute_text_and_no_field_mappings)
{
    WS_HEAP *h;
    WS_ERROR *e;
    CHECK_EQ_INT(WsCreateHeap(1 << 16, 0, NULL, 0, &h, NULL), S_OK);
    CHECK_EQ_INT(WsCreateError(NULL, 0, &e), S_OK);
    WS_XML_STRING note = WS_XML_STRING_VALUE("a \"b\" <c>");
    Qty q = { L"kg", 2.5, 7, &note };
    ntcp_buf b;
    ntcp_buf_init(&b, 4096);
    CHECK_EQ_INT(ntcp__wws_write_element(&b, &qty_element, WS_WRITE_REQUIRED_VALUE, &q, sizeof q, e), S_OK);
    const char want[] = "<Qty xmlns=\"http://t\" unit=\"kg\" note=\"a &quot;b&quot; &lt;c&gt;\">2.5</Qty>";
    CHECK_BYTES(b.data, b.len, want, strlen(want));
    Qty back;
    memset(&back, 0xAA, sizeof back);
    CHECK_EQ_INT(ntcp__wws_read_element(want, strlen(want), &qty_element, WS_READ_REQUIRED_VALUE, h, &back, sizeof back, e), S_OK);
    CHECK(back.Unit && !wcscmp(back.Unit, L"kg"));
    CHECK(back.Amount == 2.5);
    CHECK_EQ_INT(back.Internal, 42); /* NO_FIELD: its default value */
    CHECK(back.Note && back.Note->length == 9 && !memcmp(back.Note->bytes, "a \"b\" <c>", 9));
    /* the optional attribute absent; the required one absent */
    const char no_note[] = "<Qty xmlns=\"http://t\" unit=\"g\">1</Qty>";
    CHECK_EQ_INT(ntcp__wws_read_element(no_note, strlen(no_note), &qty_element, WS_READ_REQUIRED_VALUE, h, &back, sizeof back, e), S_OK);
    CHECK(back.Note == NULL && back.Amount == 1);
    const char no_unit[] = "<Qty xmlns=\"http://t\">1</Qty>";
    CHECK_EQ_INT(ntcp__wws_read_element(no_unit, strlen(no_unit), &qty_element, WS_READ_REQUIRED_VALUE, h, &back, sizeof back, e),
                 WS_E_INVALID_FORMAT);
    CHECK_EQ_STR(terr(e), "the attribute {}unit is missing");
    const char bad_text[] = "<Qty xmlns=\"http://t\" unit=\"g\">x1</Qty>";
    CHECK_EQ_INT(ntcp__wws_read_element(bad_text, strlen(bad_text), &qty_element, WS_READ_REQUIRED_VALUE, h, &back, sizeof back, e),
                 WS_E_INVALID_FORMAT);
    /* an attribute field of a struct type is refused */
    fq_unit.type = WS_STRUCT_TYPE;
    b.len = 0;
    CHECK_EQ_INT(ntcp__wws_write_element(&b, &qty_element, WS_WRITE_REQUIRED_VALUE, &q, sizeof q, e), E_INVALIDARG);
    fq_unit.type = WS_WSZ_TYPE;
    ntcp_buf_free(&b);
    WsFreeError(e);
    WsFreeHeap(h);
}

/* [DataContract(Namespace="http://t")] class N { string S; byte[] B; int? I; int? J; string E; }
 * N { J=5, E="" } -- mono 6.8, DataContractSerializer.WriteObject: */
static const char DCS_N[] =
    "<N xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns=\"http://t\"><S i:nil=\"true\" />"
    "<B i:nil=\"true\" /><I i:nil=\"true\" /><J>5</J><E></E></N>";
typedef struct N { WS_STRING S; WS_BYTES B; int *I; int *J; WS_STRING E; } N;
static WS_XML_STRING n_n = WS_XML_STRING_VALUE("N"), n_s = WS_XML_STRING_VALUE("S"), n_i = WS_XML_STRING_VALUE("I");
static WS_XML_STRING n_j = WS_XML_STRING_VALUE("J"), n_e = WS_XML_STRING_VALUE("E");
static WS_FIELD_DESCRIPTION fn_s = { WS_ELEMENT_FIELD_MAPPING, &n_s, &t_ns, WS_STRING_TYPE, NULL, offsetof(N, S), WS_FIELD_NILLABLE, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION fn_b = { WS_ELEMENT_FIELD_MAPPING, &n_b, &t_ns, WS_BYTES_TYPE, NULL, offsetof(N, B), WS_FIELD_NILLABLE, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION fn_i = { WS_ELEMENT_FIELD_MAPPING, &n_i, &t_ns, WS_INT32_TYPE, NULL, offsetof(N, I), WS_FIELD_POINTER | WS_FIELD_NILLABLE, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION fn_j = { WS_ELEMENT_FIELD_MAPPING, &n_j, &t_ns, WS_INT32_TYPE, NULL, offsetof(N, J), WS_FIELD_POINTER | WS_FIELD_NILLABLE, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION fn_e = { WS_ELEMENT_FIELD_MAPPING, &n_e, &t_ns, WS_STRING_TYPE, NULL, offsetof(N, E), WS_FIELD_NILLABLE, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION *n_fields[] = { &fn_s, &fn_b, &fn_i, &fn_j, &fn_e };
static WS_STRUCT_DESCRIPTION n_type = { sizeof(N), _Alignof(N), n_fields, 5, &n_n, &t_ns, NULL, NULL, 0, 0 };
static WS_ELEMENT_DESCRIPTION n_element = { &n_n, &t_ns, WS_STRUCT_TYPE, &n_type };

TEST(wws_nillable_fields_and_options)
{
    WS_HEAP *h;
    WS_ERROR *e;
    CHECK_EQ_INT(WsCreateHeap(1 << 16, 0, NULL, 0, &h, NULL), S_OK);
    CHECK_EQ_INT(WsCreateError(NULL, 0, &e), S_OK);
    int five = 5;
    N n = { { 0, NULL }, { 0, NULL }, NULL, &five, { 0, (WCHAR *)L"" } };
    ntcp_buf b;
    ntcp_buf_init(&b, 4096);
    CHECK_EQ_INT(ntcp__wws_write_element(&b, &n_element, WS_WRITE_REQUIRED_VALUE, &n, sizeof n, e), S_OK);
    char ours[1024], dcs[1024];
    CHECK(b.len < sizeof ours);
    memcpy(ours, b.data, b.len);
    ours[b.len] = 0;
    strip(ours, " xmlns=\"http://t\"");
    strip(ours, " xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\"");
    snprintf(dcs, sizeof dcs, "%s", DCS_N);
    strip(dcs, " xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns=\"http://t\"");
    strip(dcs, " />"); /* Mono's writer puts a space before "/>" */
    strip(ours, "/>");
    CHECK_EQ_STR(ours, dcs);
    /* DataContractSerializer's nils read back as nil values */
    N back;
    memset(&back, 0xAA, sizeof back);
    CHECK_EQ_INT(ntcp__wws_read_element(DCS_N, strlen(DCS_N), &n_element, WS_READ_REQUIRED_VALUE, h, &back, sizeof back, e), S_OK);
    CHECK(back.S.chars == NULL && back.S.length == 0 && back.B.bytes == NULL && back.B.length == 0);
    CHECK(back.I == NULL && back.J && *back.J == 5);
    CHECK(back.E.chars != NULL && back.E.length == 0);
    /* nil where the field is not nillable */
    fn_s.options = 0;
    CHECK_EQ_INT(ntcp__wws_read_element(DCS_N, strlen(DCS_N), &n_element, WS_READ_REQUIRED_VALUE, h, &back, sizeof back, e),
                 WS_E_INVALID_FORMAT);
    CHECK_EQ_STR(terr(e), "the element {http://t}S is nil and its field is not WS_FIELD_NILLABLE");
    fn_s.options = WS_FIELD_NILLABLE;
    /* NILLABLE on a value type without a nil value is refused */
    fn_i.options = WS_FIELD_NILLABLE;
    b.len = 0;
    CHECK_EQ_INT(ntcp__wws_write_element(&b, &n_element, WS_WRITE_REQUIRED_VALUE, &n, sizeof n, e), E_INVALIDARG);
    fn_i.options = WS_FIELD_POINTER | WS_FIELD_NILLABLE;

    /* the element options */
    WS_XML_STRING x = WS_XML_STRING_VALUE("x"), none = WS_XML_STRING_VALUE("");
    WS_ELEMENT_DESCRIPTION di = { &x, &none, WS_INT32_TYPE, NULL }, ds = { &x, &none, WS_STRING_TYPE, NULL };
    int *ip = NULL;
    b.len = 0;
    CHECK_EQ_INT(ntcp__wws_write_element(&b, &di, WS_WRITE_NILLABLE_POINTER, &ip, sizeof ip, e), S_OK);
    const char nil_x[] = "<x i:nil=\"true\" xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\"/>";
    CHECK_BYTES(b.data, b.len, nil_x, strlen(nil_x));
    ip = &five;
    CHECK_EQ_INT(ntcp__wws_read_element(nil_x, strlen(nil_x), &di, WS_READ_NILLABLE_POINTER, h, &ip, sizeof ip, e), S_OK);
    CHECK(ip == NULL);
    CHECK_EQ_INT(ntcp__wws_read_element(nil_x, strlen(nil_x), &di, WS_READ_REQUIRED_POINTER, h, &ip, sizeof ip, e),
                 WS_E_INVALID_FORMAT);
    WS_STRING sv = { 0, NULL };
    b.len = 0;
    CHECK_EQ_INT(ntcp__wws_write_element(&b, &ds, WS_WRITE_NILLABLE_VALUE, &sv, sizeof sv, e), S_OK);
    CHECK_BYTES(b.data, b.len, nil_x, strlen(nil_x));
    sv = (WS_STRING)WS_STRING_VALUE(L"q");
    CHECK_EQ_INT(ntcp__wws_read_element(nil_x, strlen(nil_x), &ds, WS_READ_NILLABLE_VALUE, h, &sv, sizeof sv, e), S_OK);
    CHECK(sv.chars == NULL && sv.length == 0);
    CHECK_EQ_INT(ntcp__wws_write_element(&b, &di, WS_WRITE_NILLABLE_VALUE, &five, sizeof five, e), E_INVALIDARG);
    ntcp_buf_free(&b);
    WsFreeError(e);
    WsFreeHeap(h);
}

/* the reader: DataContractSerializer's V through WsSetInput (text and
 * binary), WsReadType with both mappings, WsReadElement; WsWriteType */
TEST(wws_reader_read_type_and_write_type)
{
    WS_HEAP *h;
    WS_ERROR *e;
    WS_XML_READER *r;
    CHECK_EQ_INT(WsCreateHeap(1 << 16, 0, NULL, 0, &h, NULL), S_OK);
    CHECK_EQ_INT(WsCreateError(NULL, 0, &e), S_OK);
    CHECK_EQ_INT(WsCreateReader(NULL, 0, &r, e), S_OK);
    V back;
    CHECK_EQ_INT(WsReadType(r, WS_ELEMENT_TYPE_MAPPING, WS_STRUCT_TYPE, &v_type, WS_READ_REQUIRED_VALUE, h, &back,
                            sizeof back, e), WS_E_INVALID_OPERATION);
    WS_XML_READER_TEXT_ENCODING te = { { WS_XML_READER_ENCODING_TYPE_TEXT }, WS_CHARSET_UTF8 };
    WS_XML_READER_BUFFER_INPUT in = { { WS_XML_READER_INPUT_TYPE_BUFFER }, (void *)DCS_V, (ULONG)strlen(DCS_V) };
    CHECK_EQ_INT(WsSetInput(r, &te.encoding, &in.input, NULL, 0, e), S_OK);
    memset(&back, 0, sizeof back);
    CHECK_EQ_INT(WsReadType(r, WS_ELEMENT_TYPE_MAPPING, WS_STRUCT_TYPE, &v_type, WS_READ_REQUIRED_VALUE, h, &back,
                            sizeof back, e), S_OK);
    CHECK(back.D.ticks == 639320819971234500ULL && back.C == 2 && back.T3.ticks == -900000000LL);
    /* nothing more: a required element fails, an optional one is NULL */
    CHECK_EQ_INT(WsReadElement(r, &v_element, WS_READ_REQUIRED_VALUE, h, &back, sizeof back, e), WS_E_INVALID_FORMAT);
    CHECK_EQ_STR(terr(e), "the element {http://t}V is not next");
    V *vp = (V *)1;
    CHECK_EQ_INT(WsReadElement(r, &v_element, WS_READ_OPTIONAL_POINTER, h, &vp, sizeof vp, e), S_OK);
    CHECK(vp == NULL);

    /* binary: the same document as NBFX (msbin1, the static dictionary) */
    ntcp_xml_writer *bw;
    CHECK_EQ_INT(ntcp_xml_writer_new(&bw, NULL, NULL), NTCP_OK);
    ntcp_buf bin;
    ntcp_buf_init(&bin, 1 << 20);
    CHECK_EQ_INT(ntcp_xml_from_text(DCS_V, strlen(DCS_V), bw, &bin), NTCP_OK);
    ntcp_xml_writer_free(bw);
    WS_XML_READER_BINARY_ENCODING be = { { WS_XML_READER_ENCODING_TYPE_BINARY }, NULL, NULL };
    in.encodedData = bin.data;
    in.encodedDataSize = (ULONG)bin.len;
    CHECK_EQ_INT(WsSetInput(r, &be.encoding, &in.input, NULL, 0, e), S_OK);
    /* step into V, read F as element content, then the rest by element */
    BOOL found = FALSE;
    CHECK_EQ_INT(WsReadToStartElement(r, &t_v, &t_ns, &found, e), S_OK);
    CHECK(found);
    CHECK_EQ_INT(WsReadStartElement(r, e), S_OK);
    WS_ELEMENT_DESCRIPTION df = { &n_f, &t_ns, WS_FLOAT_TYPE, NULL };
    float f = 0;
    CHECK_EQ_INT(WsReadElement(r, &df, WS_READ_REQUIRED_VALUE, h, &f, sizeof f, e), S_OK);
    CHECK(f == 1.5f);
    WS_ELEMENT_DESCRIPTION dd = { &n_d, &t_ns, WS_DATETIME_TYPE, NULL };
    WS_DATETIME *dtp = NULL;
    CHECK_EQ_INT(WsReadElement(r, &dd, WS_READ_REQUIRED_POINTER, h, &dtp, sizeof dtp, e), S_OK);
    CHECK(dtp && dtp->ticks == 639320819971234500ULL && dtp->format == WS_DATETIME_FORMAT_UTC);
    CHECK_EQ_INT(WsReadToStartElement(r, &n_d, &t_ns, &found, e), S_OK);
    CHECK(!found); /* DN is next */
    CHECK_EQ_INT(WsReadStartElement(r, e), S_OK); /* into DN: its text as element content */
    WS_DATETIME dn;
    CHECK_EQ_INT(WsReadType(r, WS_ELEMENT_CONTENT_TYPE_MAPPING, WS_DATETIME_TYPE, NULL, WS_READ_REQUIRED_VALUE, h, &dn,
                            sizeof dn, e), S_OK);
    CHECK(dn.ticks == 631167699060000000ULL && dn.format == WS_DATETIME_FORMAT_NONE);
    CHECK_EQ_INT(WsReadEndElement(r, e), S_OK);
    CHECK_EQ_INT(WsReadEndElement(r, e), WS_E_INVALID_FORMAT); /* T and the rest are still there */
    /* malformed binary input */
    static const BYTE junk[] = { 0x40, 0x05, 'a' };
    in.encodedData = (void *)junk;
    in.encodedDataSize = sizeof junk;
    CHECK_EQ_INT(WsSetInput(r, &be.encoding, &in.input, NULL, 0, e), WS_E_INVALID_FORMAT);
    ntcp_buf_free(&bin);

    /* WsWriteType: a struct's attributes go into the element started, its text after */
    WS_XML_BUFFER *buf;
    WS_XML_WRITER *w;
    CHECK_EQ_INT(WsCreateXmlBuffer(h, NULL, 0, &buf, e), S_OK);
    CHECK_EQ_INT(WsCreateWriter(NULL, 0, &w, e), S_OK);
    CHECK_EQ_INT(WsSetOutputToBuffer(w, buf, NULL, 0, e), S_OK);
    CHECK_EQ_INT(WsWriteStartElement(w, NULL, &q_name, &t_ns, e), S_OK);
    Qty q = { L"kg", 2.5, 0, NULL };
    CHECK_EQ_INT(WsWriteType(w, WS_ELEMENT_TYPE_MAPPING, WS_STRUCT_TYPE, &qty_type, WS_WRITE_REQUIRED_VALUE, &q, sizeof q,
                             e), S_OK);
    CHECK_EQ_INT(WsWriteEndElement(w, e), S_OK);
    CHECK_EQ_INT(WsWriteStartElement(w, NULL, &n_t, &t_ns, e), S_OK);
    WS_TIMESPAN ts = { -900000000LL };
    CHECK_EQ_INT(WsWriteType(w, WS_ELEMENT_CONTENT_TYPE_MAPPING, WS_TIMESPAN_TYPE, NULL, WS_WRITE_REQUIRED_VALUE, &ts,
                             sizeof ts, e), S_OK);
    CHECK_EQ_INT(WsWriteEndElement(w, e), S_OK);
    const char want[] = "<Qty xmlns=\"http://t\" unit=\"kg\">2.5</Qty><T xmlns=\"http://t\">-PT1M30S</T>";
    CHECK_BYTES(buf->data, buf->len, want, strlen(want));
    /* an attribute with no element started */
    CHECK_EQ_INT(WsWriteType(w, WS_ELEMENT_TYPE_MAPPING, WS_STRUCT_TYPE, &qty_type, WS_WRITE_REQUIRED_VALUE, &q, sizeof q,
                             e), WS_E_INVALID_OPERATION);
    /* and read back through WsSetInputToBuffer */
    CHECK_EQ_INT(WsSetInputToBuffer(r, buf, NULL, 0, e), S_OK);
    Qty qb;
    CHECK_EQ_INT(WsReadElement(r, &qty_element, WS_READ_REQUIRED_VALUE, h, &qb, sizeof qb, e), S_OK);
    CHECK(qb.Unit && !wcscmp(qb.Unit, L"kg") && qb.Amount == 2.5);
    WS_TIMESPAN tb;
    CHECK_EQ_INT(WsReadType(r, WS_ELEMENT_TYPE_MAPPING, WS_TIMESPAN_TYPE, NULL, WS_READ_REQUIRED_VALUE, h, &tb, sizeof tb,
                            e), S_OK);
    CHECK(tb.ticks == -900000000LL);
    WsFreeWriter(w);
    WsFreeReader(r);
    WsFreeError(e);
    WsFreeHeap(h);
}

/* WsCall with ARRAY / ARRAY_COUNT parameters, as wsutil generates for
 * int[] Reverse(int[] numbers, string tag): the request body from the
 * arguments and the reply into the output pointers */
typedef struct Rev { ULONG numbersCount; int *numbers; WCHAR *tag; } Rev;
typedef struct RevResponse { ULONG resultCount; int *result; } RevResponse;
static WS_XML_STRING r_ns = WS_XML_STRING_VALUE("http://tempuri.org/"), r_rev = WS_XML_STRING_VALUE("Reverse");
static WS_XML_STRING r_numbers = WS_XML_STRING_VALUE("numbers"), r_int = WS_XML_STRING_VALUE("int");
static WS_XML_STRING r_arr_ns = WS_XML_STRING_VALUE("http://schemas.microsoft.com/2003/10/Serialization/Arrays");
static WS_XML_STRING r_tag = WS_XML_STRING_VALUE("tag"), r_resp = WS_XML_STRING_VALUE("ReverseResponse");
static WS_XML_STRING r_result = WS_XML_STRING_VALUE("ReverseResult");
static WS_FIELD_DESCRIPTION fr_numbers = { WS_REPEATING_ELEMENT_FIELD_MAPPING, &r_numbers, &r_ns, WS_INT32_TYPE, NULL, offsetof(Rev, numbers), 0, NULL, offsetof(Rev, numbersCount), &r_int, &r_arr_ns, NULL };
static WS_FIELD_DESCRIPTION fr_tag = { WS_ELEMENT_FIELD_MAPPING, &r_tag, &r_ns, WS_WSZ_TYPE, NULL, offsetof(Rev, tag), 0, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION *rev_fields[] = { &fr_numbers, &fr_tag };
static WS_STRUCT_DESCRIPTION rev_type = { sizeof(Rev), _Alignof(Rev), rev_fields, 2, NULL, NULL, NULL, NULL, 0, 0 };
static WS_ELEMENT_DESCRIPTION rev_element = { &r_rev, &r_ns, WS_STRUCT_TYPE, &rev_type };
static WS_FIELD_DESCRIPTION fr_result = { WS_REPEATING_ELEMENT_FIELD_MAPPING, &r_result, &r_ns, WS_INT32_TYPE, NULL, offsetof(RevResponse, result), 0, NULL, offsetof(RevResponse, resultCount), &r_int, &r_arr_ns, NULL };
static WS_FIELD_DESCRIPTION *resp_fields[] = { &fr_result };
static WS_STRUCT_DESCRIPTION resp_type = { sizeof(RevResponse), _Alignof(RevResponse), resp_fields, 1, NULL, NULL, NULL, NULL, 0, 0 };
static WS_ELEMENT_DESCRIPTION resp_element = { &r_resp, &r_ns, WS_STRUCT_TYPE, &resp_type };
static WS_XML_STRING r_action = WS_XML_STRING_VALUE("http://tempuri.org/IRev/Reverse");
static WS_XML_STRING r_raction = WS_XML_STRING_VALUE("http://tempuri.org/IRev/ReverseResponse");
static WS_MESSAGE_DESCRIPTION rev_in = { &r_action, &rev_element }, rev_out = { &r_raction, &resp_element };
static WS_PARAMETER_DESCRIPTION rev_params[] = {
    { WS_PARAMETER_TYPE_ARRAY_COUNT, 0, 0xffff }, { WS_PARAMETER_TYPE_ARRAY, 0, 0xffff }, { WS_PARAMETER_TYPE_NORMAL, 1, 0xffff },
    { WS_PARAMETER_TYPE_ARRAY_COUNT, 0xffff, 0 }, { WS_PARAMETER_TYPE_ARRAY, 0xffff, 0 } };
static WS_OPERATION_DESCRIPTION rev_op = { 1, &rev_in, &rev_out, 0, 0, 5, rev_params, NULL, WS_NON_RPC_LITERAL_OPERATION };

TEST(wws_call_array_parameters)
{
    WS_HEAP *h;
    WS_ERROR *e;
    CHECK_EQ_INT(WsCreateHeap(1 << 16, 0, NULL, 0, &h, NULL), S_OK);
    CHECK_EQ_INT(WsCreateError(NULL, 0, &e), S_OK);
    /* what the generated proxy function does with (numbersCount, numbers, tag, &resultCount, &result) */
    int numbers[] = { 1, -2, 3 };
    ULONG numbersCount = 3;
    const int *np = numbers;
    const WCHAR *tag = L"t";
    ULONG resultCount = 0, *rcp = &resultCount;
    int *result = NULL, **rp = &result;
    const void *args[] = { &numbersCount, &np, &tag, &rcp, &rp };
    ntcp_buf b;
    ntcp_buf_init(&b, 4096);
    CHECK_EQ_INT(ntcp__wws_call_write_input(&b, &rev_op, args, e), S_OK);
    const char A[] = " xmlns=\"http://schemas.microsoft.com/2003/10/Serialization/Arrays\"";
    char want[1024];
    snprintf(want, sizeof want, "<Reverse xmlns=\"http://tempuri.org/\"><numbers xmlns=\"http://tempuri.org/\"><int%s>1</int>"
             "<int%s>-2</int><int%s>3</int></numbers><tag xmlns=\"http://tempuri.org/\">t</tag></Reverse>", A, A, A);
    CHECK_BYTES(b.data, b.len, want, strlen(want));
    /* the reply as WCF writes an int[] result */
    const char reply[] = "<ReverseResponse xmlns=\"http://tempuri.org/\"><ReverseResult xmlns:a=\"http://schemas.microsoft.com/"
                         "2003/10/Serialization/Arrays\" xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\"><a:int>3</a:int>"
                         "<a:int>-2</a:int><a:int>1</a:int></ReverseResult></ReverseResponse>";
    CHECK_EQ_INT(ntcp__wws_call_read_output(reply, strlen(reply), &rev_op, args, h, e), S_OK);
    CHECK_EQ_INT(resultCount, 3);
    CHECK(result && result[0] == 3 && result[1] == -2 && result[2] == 1);
    /* an array without its count argument */
    rev_params[0].parameterType = WS_PARAMETER_TYPE_NORMAL;
    b.len = 0;
    CHECK_EQ_INT(ntcp__wws_call_write_input(&b, &rev_op, args, e), E_INVALIDARG);
    CHECK_EQ_STR(terr(e), "WsCall: the array field 'int' needs an ARRAY and an ARRAY_COUNT argument");
    rev_params[0].parameterType = WS_PARAMETER_TYPE_ARRAY_COUNT;
    ntcp_buf_free(&b);
    WsFreeError(e);
    WsFreeHeap(h);
}

/* struct subtypes: [KnownType(typeof(Circle))] class Shape { string Name; } (ns http://t),
 * class Circle : Shape { double R; } (ns http://t/geo), class Box { Shape A, B; }
 * Box { A = new Circle { Name="c", R=1.5 }, B = new Shape { Name="s" } } -- mono 6.8, DataContractSerializer: */
static const char DCS_BOX[] =
    "<Box xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns=\"http://t\"><A xmlns:d2p1=\"http://t/geo\" "
    "i:type=\"d2p1:Circle\"><Name>c</Name><d2p1:R>1.5</d2p1:R></A><B><Name>s</Name></B></Box>";
typedef struct ShapeS { WS_STRUCT_DESCRIPTION *type; WCHAR *Name; } ShapeS;
typedef struct CircleS { WS_STRUCT_DESCRIPTION *type; WCHAR *Name; double R; } CircleS;
typedef struct Box { ShapeS *A; ShapeS *B; } Box;
static WS_XML_STRING g_ns = WS_XML_STRING_VALUE("http://t/geo"), s_shape_n = WS_XML_STRING_VALUE("Shape");
static WS_XML_STRING s_circle_n = WS_XML_STRING_VALUE("Circle"), s_name_n = WS_XML_STRING_VALUE("Name");
static WS_XML_STRING s_r = WS_XML_STRING_VALUE("R"), s_box = WS_XML_STRING_VALUE("Box"), s_a = WS_XML_STRING_VALUE("A");
static WS_XML_STRING s_b = WS_XML_STRING_VALUE("B");
static WS_FIELD_DESCRIPTION fs_type = { WS_TYPE_ATTRIBUTE_FIELD_MAPPING, NULL, NULL, WS_DESCRIPTION_TYPE, NULL, offsetof(ShapeS, type), 0, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION fs_name = { WS_ELEMENT_FIELD_MAPPING, &s_name_n, &t_ns, WS_WSZ_TYPE, NULL, offsetof(ShapeS, Name), 0, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION fc_r = { WS_ELEMENT_FIELD_MAPPING, &s_r, &g_ns, WS_DOUBLE_TYPE, NULL, offsetof(CircleS, R), 0, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION *shape_fields2[] = { &fs_type, &fs_name }, *circle_fields[] = { &fs_type, &fs_name, &fc_r };
static WS_STRUCT_DESCRIPTION shape_desc2;
static WS_STRUCT_DESCRIPTION circle_desc = { sizeof(CircleS), _Alignof(CircleS), circle_fields, 3, &s_circle_n, &g_ns, &shape_desc2, NULL, 0, 0 };
static WS_STRUCT_DESCRIPTION *shape_subtypes[] = { &circle_desc };
static WS_STRUCT_DESCRIPTION shape_desc2 = { sizeof(ShapeS), _Alignof(ShapeS), shape_fields2, 2, &s_shape_n, &t_ns, NULL, shape_subtypes, 1, 0 };
static WS_FIELD_DESCRIPTION fb_a = { WS_ELEMENT_FIELD_MAPPING, &s_a, &t_ns, WS_STRUCT_TYPE, &shape_desc2, offsetof(Box, A), WS_FIELD_POINTER, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION fb_b = { WS_ELEMENT_FIELD_MAPPING, &s_b, &t_ns, WS_STRUCT_TYPE, &shape_desc2, offsetof(Box, B), WS_FIELD_POINTER, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION *box_fields[] = { &fb_a, &fb_b };
static WS_STRUCT_DESCRIPTION box_desc = { sizeof(Box), _Alignof(Box), box_fields, 2, &s_box, &t_ns, NULL, NULL, 0, 0 };
static WS_ELEMENT_DESCRIPTION box_element = { &s_box, &t_ns, WS_STRUCT_TYPE, &box_desc };

TEST(wws_struct_subtypes)
{
    WS_HEAP *h;
    WS_ERROR *e;
    CHECK_EQ_INT(WsCreateHeap(1 << 16, 0, NULL, 0, &h, NULL), S_OK);
    CHECK_EQ_INT(WsCreateError(NULL, 0, &e), S_OK);
    /* DataContractSerializer's document: A comes back as a Circle, B as a Shape */
    Box back;
    CHECK_EQ_INT(ntcp__wws_read_element(DCS_BOX, strlen(DCS_BOX), &box_element, WS_READ_REQUIRED_VALUE, h, &back, sizeof back, e), S_OK);
    CHECK(back.A && back.A->type == &circle_desc && !wcscmp(back.A->Name, L"c") && ((CircleS *)back.A)->R == 1.5);
    CHECK(back.B && back.B->type == &shape_desc2 && !wcscmp(back.B->Name, L"s"));
    /* written: xsi:type for the derived value only */
    CircleS c = { &circle_desc, L"c", 1.5 };
    ShapeS s = { NULL, L"s" }; /* no description: the declared type */
    Box box = { (ShapeS *)&c, &s };
    ntcp_buf b;
    ntcp_buf_init(&b, 4096);
    CHECK_EQ_INT(ntcp__wws_write_element(&b, &box_element, WS_WRITE_REQUIRED_VALUE, &box, sizeof box, e), S_OK);
    const char want[] = "<Box xmlns=\"http://t\"><A xmlns=\"http://t\" i:type=\"a:Circle\" xmlns:a=\"http://t/geo\" "
                        "xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\"><Name xmlns=\"http://t\">c</Name>"
                        "<R xmlns=\"http://t/geo\">1.5</R></A><B xmlns=\"http://t\"><Name xmlns=\"http://t\">s</Name></B></Box>";
    CHECK_BYTES(b.data, b.len, want, strlen(want));
    /* an xsi:type that is not a subtype; a derived type in a place that is not a pointer */
    const char bad_type[] = "<Box xmlns=\"http://t\" xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\"><A i:type=\"Square\">"
                            "<Name>q</Name></A><B><Name>s</Name></B></Box>";
    CHECK_EQ_INT(ntcp__wws_read_element(bad_type, strlen(bad_type), &box_element, WS_READ_REQUIRED_VALUE, h, &back, sizeof back, e),
                 WS_E_INVALID_FORMAT);
    CHECK_EQ_STR(terr(e), "xsi:type 'Square' is not the struct's type or one of its subtypes");
    WS_ELEMENT_DESCRIPTION shape_el = { &s_a, &t_ns, WS_STRUCT_TYPE, &shape_desc2 };
    const char derived_value[] = "<A xmlns=\"http://t\" xmlns:g=\"http://t/geo\" xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\" "
                                 "i:type=\"g:Circle\"><Name>c</Name><g:R>2</g:R></A>";
    ShapeS sv;
    CHECK_EQ_INT(ntcp__wws_read_element(derived_value, strlen(derived_value), &shape_el, WS_READ_REQUIRED_VALUE, h, &sv, sizeof sv, e),
                 WS_E_INVALID_FORMAT);
    /* a value naming a description that does not derive from the declared type */
    c.type = &box_desc;
    b.len = 0;
    CHECK_EQ_INT(ntcp__wws_write_element(&b, &box_element, WS_WRITE_REQUIRED_VALUE, &box, sizeof box, e), E_INVALIDARG);
    ntcp_buf_free(&b);
    WsFreeError(e);
    WsFreeHeap(h);
}

/* decimals as XmlConvert.ToString(decimal) prints them on mono 6.8:
 * 12.50m -1.5m 79228162514264337593543950335m -0.0000000000000000000000000001m 7m ->
 * "12.50 -1.5 79228162514264337593543950335 -0.0000000000000000000000000001 7" */
TEST(wws_decimal)
{
    HRESULT hr;
    DECIMAL d;
    memset(&d, 0, sizeof d);
    d.Lo64 = 1250, d.scale = 2;
    CHECK_EQ_STR(write_one(WS_DECIMAL_TYPE, NULL, &d, sizeof d, &hr), "12.50");
    memset(&d, 0, sizeof d);
    d.Lo64 = 15, d.scale = 1, d.sign = DECIMAL_NEG;
    CHECK_EQ_STR(write_one(WS_DECIMAL_TYPE, NULL, &d, sizeof d, &hr), "-1.5");
    memset(&d, 0, sizeof d);
    d.Lo64 = UINT64_MAX, d.Hi32 = UINT32_MAX;
    CHECK_EQ_STR(write_one(WS_DECIMAL_TYPE, NULL, &d, sizeof d, &hr), "79228162514264337593543950335");
    memset(&d, 0, sizeof d);
    d.Lo64 = 1, d.scale = 28, d.sign = DECIMAL_NEG;
    CHECK_EQ_STR(write_one(WS_DECIMAL_TYPE, NULL, &d, sizeof d, &hr), "-0.0000000000000000000000000001");
    memset(&d, 0, sizeof d);
    d.Lo64 = 7;
    CHECK_EQ_STR(write_one(WS_DECIMAL_TYPE, NULL, &d, sizeof d, &hr), "7");
    d.scale = 29;
    write_one(WS_DECIMAL_TYPE, NULL, &d, sizeof d, &hr);
    CHECK_EQ_INT(hr, E_INVALIDARG);
    WS_HEAP *h;
    WS_ERROR *e;
    CHECK_EQ_INT(WsCreateHeap(1 << 16, 0, NULL, 0, &h, NULL), S_OK);
    CHECK_EQ_INT(WsCreateError(NULL, 0, &e), S_OK);
    CHECK_EQ_INT(read_one(" -12.50 ", WS_DECIMAL_TYPE, NULL, h, &d, sizeof d, e), S_OK);
    CHECK(d.Lo64 == 1250 && d.Hi32 == 0 && d.scale == 2 && d.sign == DECIMAL_NEG);
    CHECK_EQ_INT(read_one("79228162514264337593543950335", WS_DECIMAL_TYPE, NULL, h, &d, sizeof d, e), S_OK);
    CHECK(d.Lo64 == UINT64_MAX && d.Hi32 == UINT32_MAX && d.scale == 0);
    CHECK_EQ_INT(read_one("79228162514264337593543950336", WS_DECIMAL_TYPE, NULL, h, &d, sizeof d, e), WS_E_NUMERIC_OVERFLOW);
    CHECK_EQ_INT(read_one("1e5", WS_DECIMAL_TYPE, NULL, h, &d, sizeof d, e), WS_E_INVALID_FORMAT);
    CHECK_EQ_STR(terr(e), "'1e5' is not a valid decimal");
    CHECK_EQ_INT(read_one("1.2.3", WS_DECIMAL_TYPE, NULL, h, &d, sizeof d, e), WS_E_INVALID_FORMAT);
    CHECK_EQ_INT(read_one(".", WS_DECIMAL_TYPE, NULL, h, &d, sizeof d, e), WS_E_INVALID_FORMAT);
    WsFreeError(e);
    WsFreeHeap(h);
}

/* [DataContract(Namespace="http://t")] class Q { XmlQualifiedName N; }, N = {http://t/geo}Circle:
 * mono 6.8's DataContractSerializer writes <q:N xmlns:d2p1="http://t/geo" xmlns:q="http://t">d2p1:Circle</q:N>
 * inside <Q>, and reads nettcp's form below back as {http://t/geo}Circle */
TEST(wws_qname)
{
    WS_HEAP *h;
    WS_ERROR *e;
    CHECK_EQ_INT(WsCreateHeap(1 << 16, 0, NULL, 0, &h, NULL), S_OK);
    CHECK_EQ_INT(WsCreateError(NULL, 0, &e), S_OK);
    WS_XML_STRING q_n = WS_XML_STRING_VALUE("N");
    WS_ELEMENT_DESCRIPTION d = { &q_n, &t_ns, WS_XML_QNAME_TYPE, NULL };
    WS_XML_QNAME q = { WS_XML_STRING_VALUE("Circle"), WS_XML_STRING_VALUE("http://t/geo") };
    ntcp_buf b;
    ntcp_buf_init(&b, 4096);
    CHECK_EQ_INT(ntcp__wws_write_element(&b, &d, WS_WRITE_REQUIRED_VALUE, &q, sizeof q, e), S_OK);
    const char want[] = "<N xmlns=\"http://t\" xmlns:q=\"http://t/geo\">q:Circle</N>";
    CHECK_BYTES(b.data, b.len, want, strlen(want));
    /* in the element's own namespace: no prefix */
    WS_XML_QNAME same = { WS_XML_STRING_VALUE("V"), WS_XML_STRING_VALUE("http://t") };
    b.len = 0;
    CHECK_EQ_INT(ntcp__wws_write_element(&b, &d, WS_WRITE_REQUIRED_VALUE, &same, sizeof same, e), S_OK);
    CHECK_BYTES(b.data, b.len, "<N xmlns=\"http://t\">V</N>", 25);
    /* DataContractSerializer's element (its prefixes) */
    const char dcs[] = "<q:N xmlns:d2p1=\"http://t/geo\" xmlns:q=\"http://t\">d2p1:Circle</q:N>";
    WS_XML_QNAME back;
    CHECK_EQ_INT(ntcp__wws_read_element(dcs, strlen(dcs), &d, WS_READ_REQUIRED_VALUE, h, &back, sizeof back, e), S_OK);
    CHECK_BYTES(back.localName.bytes, back.localName.length, "Circle", 6);
    CHECK_BYTES(back.ns.bytes, back.ns.length, "http://t/geo", 12);
    CHECK_EQ_INT(ntcp__wws_read_element("<N xmlns=\"http://t\">V</N>", 25, &d, WS_READ_REQUIRED_VALUE, h, &back, sizeof back, e), S_OK);
    CHECK_BYTES(back.ns.bytes, back.ns.length, "http://t", 8);
    const char undeclared[] = "<N xmlns=\"http://t\">z:V</N>";
    CHECK_EQ_INT(ntcp__wws_read_element(undeclared, strlen(undeclared), &d, WS_READ_REQUIRED_VALUE, h, &back, sizeof back, e),
                 WS_E_INVALID_FORMAT);
    CHECK_EQ_STR(terr(e), "the QName prefix 'z' is not declared");
    CHECK_EQ_INT(ntcp__wws_read_element("<N xmlns=\"http://t\">a:b:c</N>", 29, &d, WS_READ_REQUIRED_VALUE, h, &back, sizeof back, e),
                 WS_E_INVALID_FORMAT);
    ntcp_buf_free(&b);
    WsFreeError(e);
    WsFreeHeap(h);
}

/* WS_ANY_ELEMENT_FIELD_MAPPING: an element of any name kept as an XML buffer */
typedef struct Env { int Id; WS_XML_BUFFER *Any; } Env;
static WS_XML_STRING e_env = WS_XML_STRING_VALUE("Env"), e_id = WS_XML_STRING_VALUE("Id");
static WS_FIELD_DESCRIPTION fe_id = { WS_ELEMENT_FIELD_MAPPING, &e_id, &t_ns, WS_INT32_TYPE, NULL, offsetof(Env, Id), 0, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION fe_any = { WS_ANY_ELEMENT_FIELD_MAPPING, NULL, NULL, WS_XML_BUFFER_TYPE, NULL, offsetof(Env, Any), 0, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION *env_fields[] = { &fe_id, &fe_any };
static WS_STRUCT_DESCRIPTION env_type = { sizeof(Env), _Alignof(Env), env_fields, 2, &e_env, &t_ns, NULL, NULL, 0, 0 };
static WS_ELEMENT_DESCRIPTION env_element = { &e_env, &t_ns, WS_STRUCT_TYPE, &env_type };

TEST(wws_any_element_field)
{
    WS_HEAP *h;
    WS_ERROR *e;
    CHECK_EQ_INT(WsCreateHeap(1 << 16, 0, NULL, 0, &h, NULL), S_OK);
    CHECK_EQ_INT(WsCreateError(NULL, 0, &e), S_OK);
    /* the element in a prefixed namespace declared on the parent: the copy declares it */
    const char in[] = "<Env xmlns=\"http://t\" xmlns:x=\"urn:x\"><x:Extra a=\"1\"><x:In>t</x:In></x:Extra><Id>7</Id></Env>";
    Env env;
    CHECK_EQ_INT(ntcp__wws_read_element(in, strlen(in), &env_element, WS_READ_REQUIRED_VALUE, h, &env, sizeof env, e), S_OK);
    CHECK_EQ_INT(env.Id, 7);
    CHECK(env.Any != NULL);
    const char any[] = "<x:Extra xmlns:x=\"urn:x\" a=\"1\"><x:In>t</x:In></x:Extra>";
    CHECK_BYTES(env.Any->data, env.Any->len, any, strlen(any));
    ntcp_buf b;
    ntcp_buf_init(&b, 4096);
    CHECK_EQ_INT(ntcp__wws_write_element(&b, &env_element, WS_WRITE_REQUIRED_VALUE, &env, sizeof env, e), S_OK);
    const char want[] = "<Env xmlns=\"http://t\"><Id xmlns=\"http://t\">7</Id><x:Extra xmlns:x=\"urn:x\" a=\"1\"><x:In>t</x:In></x:Extra></Env>";
    CHECK_BYTES(b.data, b.len, want, strlen(want));
    /* an element in no namespace keeps saying so (written later inside a default namespace) */
    const char nons[] = "<Env xmlns=\"http://t\"><Id>7</Id><Extra xmlns=\"\">x</Extra></Env>";
    CHECK_EQ_INT(ntcp__wws_read_element(nons, strlen(nons), &env_element, WS_READ_REQUIRED_VALUE, h, &env, sizeof env, e), S_OK);
    CHECK_BYTES(env.Any->data, env.Any->len, "<Extra xmlns=\"\">x</Extra>", 25);
    /* none there: required fails, optional is NULL */
    const char none[] = "<Env xmlns=\"http://t\"><Id>7</Id></Env>";
    CHECK_EQ_INT(ntcp__wws_read_element(none, strlen(none), &env_element, WS_READ_REQUIRED_VALUE, h, &env, sizeof env, e), WS_E_INVALID_FORMAT);
    CHECK_EQ_STR(terr(e), "the struct has no element for its any-element field");
    fe_any.options = WS_FIELD_OPTIONAL;
    CHECK_EQ_INT(ntcp__wws_read_element(none, strlen(none), &env_element, WS_READ_REQUIRED_VALUE, h, &env, sizeof env, e), S_OK);
    CHECK(env.Any == NULL);
    fe_any.options = 0;
    ntcp_buf_free(&b);
    WsFreeError(e);
    WsFreeHeap(h);
}

/* WS_ENDPOINT_ADDRESS_TYPE: [DataContract(Namespace="http://t")] class R { EndpointAddress10 To; } with
 * To = net.tcp://h:808/svc -- mono 6.8's DataContractSerializer writes (it drops the default port and,
 * unlike .NET, an address header): */
static const char DCS_R[] = "<R xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns=\"http://t\"><To><Address "
                            "xmlns=\"http://www.w3.org/2005/08/addressing\">net.tcp://h/svc</Address></To></R>";
typedef struct R { WS_ENDPOINT_ADDRESS To; } R;
static WS_XML_STRING r_r = WS_XML_STRING_VALUE("R"), r_to = WS_XML_STRING_VALUE("To");
static WS_FIELD_DESCRIPTION fr_to = { WS_ELEMENT_FIELD_MAPPING, &r_to, &t_ns, WS_ENDPOINT_ADDRESS_TYPE, NULL, offsetof(R, To), 0, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION *r_fields[] = { &fr_to };
static WS_STRUCT_DESCRIPTION r_type = { sizeof(R), _Alignof(R), r_fields, 1, &r_r, &t_ns, NULL, NULL, 0, 0 };
static WS_ELEMENT_DESCRIPTION r_element = { &r_r, &t_ns, WS_STRUCT_TYPE, &r_type };

TEST(wws_endpoint_address)
{
    WS_HEAP *h;
    WS_ERROR *e;
    CHECK_EQ_INT(WsCreateHeap(1 << 16, 0, NULL, 0, &h, NULL), S_OK);
    CHECK_EQ_INT(WsCreateError(NULL, 0, &e), S_OK);
    R r;
    CHECK_EQ_INT(ntcp__wws_read_element(DCS_R, strlen(DCS_R), &r_element, WS_READ_REQUIRED_VALUE, h, &r, sizeof r, e), S_OK);
    CHECK(r.To.url.length == 15 && !wmemcmp(r.To.url.chars, L"net.tcp://h/svc", 15) && r.To.headers == NULL);
    /* written with a reference parameter, and read back */
    WS_XML_BUFFER *hdr;
    CHECK_EQ_INT(WsCreateXmlBuffer(h, NULL, 0, &hdr, e), S_OK);
    const char key[] = "<Key xmlns=\"urn:k\">42</Key>";
    CHECK_EQ_INT(ntcp__wws_buffer_append(hdr, key, strlen(key), e), S_OK);
    r.To.headers = hdr;
    ntcp_buf b;
    ntcp_buf_init(&b, 4096);
    CHECK_EQ_INT(ntcp__wws_write_element(&b, &r_element, WS_WRITE_REQUIRED_VALUE, &r, sizeof r, e), S_OK);
    const char want[] = "<R xmlns=\"http://t\"><To xmlns=\"http://t\"><Address xmlns=\"http://www.w3.org/2005/08/addressing\">"
                        "net.tcp://h/svc</Address><ReferenceParameters xmlns=\"http://www.w3.org/2005/08/addressing\">"
                        "<Key xmlns=\"urn:k\">42</Key></ReferenceParameters></To></R>";
    CHECK_BYTES(b.data, b.len, want, strlen(want));
    R back;
    CHECK_EQ_INT(ntcp__wws_read_element(want, strlen(want), &r_element, WS_READ_REQUIRED_VALUE, h, &back, sizeof back, e), S_OK);
    CHECK(back.To.headers != NULL);
    CHECK_BYTES(back.To.headers->data, back.To.headers->len, key, strlen(key));
    const char no_addr[] = "<R xmlns=\"http://t\"><To/></R>";
    CHECK_EQ_INT(ntcp__wws_read_element(no_addr, strlen(no_addr), &r_element, WS_READ_REQUIRED_VALUE, h, &back, sizeof back, e),
                 WS_E_INVALID_FORMAT);
    CHECK_EQ_STR(terr(e), "the endpoint address has no <Address> (http://www.w3.org/2005/08/addressing)");
    ntcp_buf_free(&b);
    WsFreeError(e);
    WsFreeHeap(h);
}

/* WS_FAULT_TYPE: a SOAP 1.2 fault's content (hand-written in the form WCF sends a
 * FaultException<string> with a subcode; not captured from Mono) */
TEST(wws_fault_type)
{
    WS_HEAP *h;
    WS_ERROR *e;
    CHECK_EQ_INT(WsCreateHeap(1 << 16, 0, NULL, 0, &h, NULL), S_OK);
    CHECK_EQ_INT(WsCreateError(NULL, 0, &e), S_OK);
    WS_XML_STRING fault_n = WS_XML_STRING_VALUE("Fault"), env = WS_XML_STRING_VALUE("http://www.w3.org/2003/05/soap-envelope");
    WS_ELEMENT_DESCRIPTION d = { &fault_n, &env, WS_FAULT_TYPE, NULL };
    const char wcf[] =
        "<s:Fault xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Code><s:Value>s:Sender</s:Value><s:Subcode>"
        "<s:Value xmlns:a=\"urn:nettcp:sample\">a:Refused</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang=\"en-US\">"
        "echo refused</s:Text></s:Reason><s:Detail><string xmlns=\"http://schemas.microsoft.com/2003/10/Serialization/\">"
        "the detail of the fault</string></s:Detail></s:Fault>";
    WS_FAULT f;
    CHECK_EQ_INT(ntcp__wws_read_element(wcf, strlen(wcf), &d, WS_READ_REQUIRED_VALUE, h, &f, sizeof f, e), S_OK);
    CHECK(f.code && f.code->subCode && !f.code->subCode->subCode);
    CHECK_BYTES(f.code->value.localName.bytes, f.code->value.localName.length, "Sender", 6);
    CHECK_BYTES(f.code->value.ns.bytes, f.code->value.ns.length, "http://www.w3.org/2003/05/soap-envelope", 39);
    CHECK_BYTES(f.code->subCode->value.localName.bytes, f.code->subCode->value.localName.length, "Refused", 7);
    CHECK_BYTES(f.code->subCode->value.ns.bytes, f.code->subCode->value.ns.length, "urn:nettcp:sample", 17);
    CHECK(f.reasonCount == 1 && !wmemcmp(f.reasons[0].text.chars, L"echo refused", 12) && f.reasons[0].lang.length == 5);
    const char detail[] = "<string xmlns=\"http://schemas.microsoft.com/2003/10/Serialization/\">the detail of the fault</string>";
    CHECK(f.detail != NULL);
    CHECK_BYTES(f.detail->data, f.detail->len, detail, strlen(detail));
    ntcp_buf b;
    ntcp_buf_init(&b, 4096);
    CHECK_EQ_INT(ntcp__wws_write_element(&b, &d, WS_WRITE_REQUIRED_VALUE, &f, sizeof f, e), S_OK);
#define E12 " xmlns=\"http://www.w3.org/2003/05/soap-envelope\""
    const char want[] = "<Fault" E12 "><Code" E12 "><Value" E12 ">Sender</Value><Subcode" E12 "><Value" E12
                        " xmlns:q=\"urn:nettcp:sample\">q:Refused</Value></Subcode></Code><Reason" E12 "><Text" E12
                        " xml:lang=\"en-US\">echo refused</Text></Reason><Detail" E12 "><string xmlns=\"http://schemas."
                        "microsoft.com/2003/10/Serialization/\">the detail of the fault</string></Detail></Fault>";
    CHECK_BYTES(b.data, b.len, want, strlen(want));
    /* and back to the same */
    WS_FAULT again;
    CHECK_EQ_INT(ntcp__wws_read_element((const char *)b.data, b.len, &d, WS_READ_REQUIRED_VALUE, h, &again, sizeof again, e), S_OK);
    CHECK(again.code->subCode && again.reasonCount == 1 && again.detail && again.detail->len == f.detail->len);
    const char no_code[] = "<Fault" E12 "><Reason" E12 "/></Fault>";
    CHECK_EQ_INT(ntcp__wws_read_element(no_code, strlen(no_code), &d, WS_READ_REQUIRED_VALUE, h, &again, sizeof again, e),
                 WS_E_INVALID_FORMAT);
    CHECK_EQ_STR(terr(e), "the fault has no Code or no Reason (SOAP 1.2)");
    ntcp_buf_free(&b);
    WsFreeError(e);
    WsFreeHeap(h);
}

/* WS_UNION_TYPE behind WS_ELEMENT_CHOICE_FIELD_MAPPING: the chosen element in
 * the struct's content, no wrapper. The DataContractSerializer equivalent is a
 * contract whose choices are EmitDefaultValue=false members, one of them set:
 * [DataContract(Namespace="http://t")] class Drawing { [DataMember(Order=1)] int Id;
 *   [DataMember(Order=2, EmitDefaultValue=false)] int? Radius;
 *   [DataMember(Order=3, EmitDefaultValue=false)] string Name; }  -- mono 6.8 wrote: */
static const char *const DCS_DRAWING[] = {
    "<Drawing xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns=\"http://t\"><Id>7</Id><Radius>5</Radius></Drawing>",
    "<Drawing xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns=\"http://t\"><Id>8</Id><Name>a&lt;b</Name></Drawing>",
    "<Drawing xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns=\"http://t\"><Id>9</Id></Drawing>",
};
typedef enum { SHAPE_NONE = 0, SHAPE_NAME = 10, SHAPE_RADIUS = 20 } ShapeChoice;
typedef struct Shape {
    ShapeChoice choice;
    union { int radius; WS_STRING name; } value;
} Shape;
typedef struct Drawing {
    int Id;
    Shape Shape;
} Drawing;
static WS_XML_STRING n_drawing = WS_XML_STRING_VALUE("Drawing"), n_id = WS_XML_STRING_VALUE("Id");
static WS_XML_STRING n_radius = WS_XML_STRING_VALUE("Radius"), n_name = WS_XML_STRING_VALUE("Name");
static WS_UNION_FIELD_DESCRIPTION uf_radius = { SHAPE_RADIUS, { WS_ELEMENT_FIELD_MAPPING, &n_radius, &t_ns, WS_INT32_TYPE, NULL,
                                                                offsetof(Shape, value.radius), 0, NULL, 0, NULL, NULL, NULL } };
static WS_UNION_FIELD_DESCRIPTION uf_name = { SHAPE_NAME, { WS_ELEMENT_FIELD_MAPPING, &n_name, &t_ns, WS_STRING_TYPE, NULL,
                                                            offsetof(Shape, value.name), 0, NULL, 0, NULL, NULL, NULL } };
static WS_UNION_FIELD_DESCRIPTION *shape_fields[] = { &uf_radius, &uf_name };
static WS_UNION_DESCRIPTION shape_type = { sizeof(Shape), _Alignof(Shape), shape_fields, 2, offsetof(Shape, choice), SHAPE_NONE, NULL };
static WS_FIELD_DESCRIPTION fd_id = { WS_ELEMENT_FIELD_MAPPING, &n_id, &t_ns, WS_INT32_TYPE, NULL, offsetof(Drawing, Id), 0, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION fd_shape = { WS_ELEMENT_CHOICE_FIELD_MAPPING, NULL, NULL, WS_UNION_TYPE, &shape_type,
                                         offsetof(Drawing, Shape), WS_FIELD_OPTIONAL, NULL, 0, NULL, NULL, NULL };
static WS_FIELD_DESCRIPTION *drawing_fields[] = { &fd_id, &fd_shape };
static WS_STRUCT_DESCRIPTION drawing_type = { sizeof(Drawing), _Alignof(Drawing), drawing_fields, 2, &n_drawing, &t_ns, NULL, NULL, 0, 0 };
static WS_ELEMENT_DESCRIPTION drawing_element = { &n_drawing, &t_ns, WS_STRUCT_TYPE, &drawing_type };

TEST(wws_union_type)
{
    WS_HEAP *h;
    WS_ERROR *e;
    CHECK_EQ_INT(WsCreateHeap(1 << 16, 0, NULL, 0, &h, NULL), S_OK);
    CHECK_EQ_INT(WsCreateError(NULL, 0, &e), S_OK);
    Drawing d[3];
    memset(d, 0, sizeof d);
    d[0] = (Drawing){ 7, { SHAPE_RADIUS, { .radius = 5 } } };
    d[1].Id = 8;
    d[1].Shape.choice = SHAPE_NAME;
    d[1].Shape.value.name = (WS_STRING){ 3, L"a<b" };
    d[2] = (Drawing){ 9, { SHAPE_NONE, { 0 } } };
    for (int i = 0; i < 3; i++) {
        ntcp_buf b;
        ntcp_buf_init(&b, 4096);
        CHECK_EQ_INT(ntcp__wws_write_element(&b, &drawing_element, WS_WRITE_REQUIRED_VALUE, &d[i], sizeof d[i], e), S_OK);
        char ours[512], dcs[512];
        CHECK(b.len < sizeof ours);
        memcpy(ours, b.data, b.len);
        ours[b.len] = 0;
        strip(ours, " xmlns=\"http://t\"");
        snprintf(dcs, sizeof dcs, "%s", DCS_DRAWING[i]);
        strip(dcs, " xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns=\"http://t\"");
        CHECK_EQ_STR(ours, dcs);
        /* what DataContractSerializer wrote reads back to the value */
        Drawing back;
        memset(&back, 0xAA, sizeof back);
        CHECK_EQ_INT(ntcp__wws_read_element(DCS_DRAWING[i], strlen(DCS_DRAWING[i]), &drawing_element, WS_READ_REQUIRED_VALUE,
                                            h, &back, sizeof back, e), S_OK);
        CHECK_EQ_INT(back.Id, d[i].Id);
        CHECK_EQ_INT(back.Shape.choice, d[i].Shape.choice);
        if (i == 0) CHECK_EQ_INT(back.Shape.value.radius, 5);
        if (i == 1) CHECK(back.Shape.value.name.length == 3 && !wmemcmp(back.Shape.value.name.chars, L"a<b", 3));
        ntcp_buf_free(&b);
    }
    /* a selector naming no choice; noneEnumValue where the field is required */
    Drawing bad = { 1, { (ShapeChoice)99, { 0 } } };
    ntcp_buf b;
    ntcp_buf_init(&b, 4096);
    CHECK_EQ_INT(ntcp__wws_write_element(&b, &drawing_element, WS_WRITE_REQUIRED_VALUE, &bad, sizeof bad, e), E_INVALIDARG);
    CHECK_EQ_STR(terr(e), "the union's selector is 99, the value of none of its choices");
    fd_shape.options = 0;
    b.len = 0;
    CHECK_EQ_INT(ntcp__wws_write_element(&b, &drawing_element, WS_WRITE_REQUIRED_VALUE, &d[2], sizeof d[2], e), E_INVALIDARG);
    Drawing back;
    CHECK_EQ_INT(ntcp__wws_read_element(DCS_DRAWING[2], strlen(DCS_DRAWING[2]), &drawing_element, WS_READ_REQUIRED_VALUE, h,
                                        &back, sizeof back, e), WS_E_INVALID_FORMAT);
    CHECK_EQ_STR(terr(e), "none of the union's 2 choices is in <Drawing>");
    fd_shape.options = WS_FIELD_OPTIONAL;
    /* a union as an element's type: <Shape><Radius>5</Radius></Shape>, both ways */
    WS_XML_STRING n_shape = WS_XML_STRING_VALUE("Shape");
    WS_ELEMENT_DESCRIPTION se = { &n_shape, &t_ns, WS_UNION_TYPE, &shape_type };
    b.len = 0;
    CHECK_EQ_INT(ntcp__wws_write_element(&b, &se, WS_WRITE_REQUIRED_VALUE, &d[0].Shape, sizeof(Shape), e), S_OK);
    const char want[] = "<Shape xmlns=\"http://t\"><Radius xmlns=\"http://t\">5</Radius></Shape>";
    CHECK_BYTES(b.data, b.len, want, strlen(want));
    Shape s;
    memset(&s, 0xAA, sizeof s);
    CHECK_EQ_INT(ntcp__wws_read_element(want, strlen(want), &se, WS_READ_REQUIRED_VALUE, h, &s, sizeof s, e), S_OK);
    CHECK(s.choice == SHAPE_RADIUS && s.value.radius == 5);
    ntcp_buf_free(&b);
    WsFreeError(e);
    WsFreeHeap(h);
}

/* the node API: a document walked node by node */
static const char *xstr(const WS_XML_STRING *s)
{
    static char out[4][128];
    static int k;
    char *o = out[k++ & 3];
    snprintf(o, 128, "%.*s", s ? (int)s->length : 6, s ? (const char *)s->bytes : "(null)");
    return o;
}

static const char *text_of(const WS_XML_TEXT *t)
{
    if (!t || t->textType != WS_XML_TEXT_TYPE_UTF8) return "(not utf8)";
    return xstr(&((const WS_XML_UTF8_TEXT *)t)->value);
}

TEST(wws_reader_nodes)
{
    WS_ERROR *e;
    WS_XML_READER *r;
    CHECK_EQ_INT(WsCreateError(NULL, 0, &e), S_OK);
    CHECK_EQ_INT(WsCreateReader(NULL, 0, &r, e), S_OK);
    const WS_XML_NODE *n;
    CHECK_EQ_INT(WsGetReaderNode(r, &n, e), WS_E_INVALID_OPERATION);
    const char doc[] = "<a xmlns=\"urn:x\" xmlns:p=\"urn:p\" p:k=\"v&amp;w\" id=\"1\">hi &lt;<b/><!--c--><?pi x?>th\xc3\xa9re</a>";
    WS_XML_READER_TEXT_ENCODING te = { { WS_XML_READER_ENCODING_TYPE_TEXT }, WS_CHARSET_UTF8 };
    WS_XML_READER_BUFFER_INPUT in = { { WS_XML_READER_INPUT_TYPE_BUFFER }, (void *)doc, sizeof doc - 1 };
    CHECK_EQ_INT(WsSetInput(r, &te.encoding, &in.input, NULL, 0, e), S_OK);
    CHECK_EQ_INT(WsGetReaderNode(r, &n, e), S_OK);
    CHECK_EQ_INT(n->nodeType, WS_XML_NODE_TYPE_BOF);
    CHECK_EQ_INT(WsReadNode(r, e), S_OK);
    CHECK_EQ_INT(WsGetReaderNode(r, &n, e), S_OK);
    CHECK_EQ_INT(n->nodeType, WS_XML_NODE_TYPE_ELEMENT);
    const WS_XML_ELEMENT_NODE *el = (const WS_XML_ELEMENT_NODE *)n;
    CHECK_EQ_STR(xstr(el->localName), "a");
    CHECK_EQ_STR(xstr(el->ns), "urn:x");
    CHECK_EQ_STR(xstr(el->prefix), "");
    CHECK_EQ_INT(el->isEmpty, 0);
    CHECK_EQ_INT(el->attributeCount, 4);
    /* the namespace declarations first, then the attributes in document order */
    CHECK(el->attributes[0]->isXmlNs && el->attributes[0]->prefix->length == 0 && !el->attributes[0]->value);
    CHECK_EQ_STR(xstr(el->attributes[0]->ns), "urn:x");
    CHECK(el->attributes[1]->isXmlNs);
    CHECK_EQ_STR(xstr(el->attributes[1]->prefix), "p");
    CHECK_EQ_STR(xstr(el->attributes[1]->ns), "urn:p");
    CHECK(!el->attributes[2]->isXmlNs);
    CHECK_EQ_STR(xstr(el->attributes[2]->prefix), "p");
    CHECK_EQ_STR(xstr(el->attributes[2]->localName), "k");
    CHECK_EQ_STR(xstr(el->attributes[2]->ns), "urn:p");
    CHECK_EQ_STR(text_of(el->attributes[2]->value), "v&w");
    CHECK_EQ_STR(xstr(el->attributes[3]->localName), "id");
    CHECK_EQ_STR(xstr(el->attributes[3]->ns), ""); /* an unprefixed attribute is in no namespace */
    CHECK_EQ_STR(text_of(el->attributes[3]->value), "1");
    CHECK_EQ_INT(WsReadNode(r, e), S_OK);
    CHECK_EQ_INT(WsGetReaderNode(r, &n, e), S_OK);
    CHECK_EQ_INT(n->nodeType, WS_XML_NODE_TYPE_TEXT);
    CHECK_EQ_STR(text_of(((const WS_XML_TEXT_NODE *)n)->text), "hi <");
    /* WsReadChars takes the text in pieces; the node shows the rest */
    WCHAR w[8];
    ULONG got = 99;
    CHECK_EQ_INT(WsReadChars(r, w, 2, &got, e), S_OK);
    CHECK(got == 2 && w[0] == L'h' && w[1] == L'i');
    CHECK_EQ_INT(WsGetReaderNode(r, &n, e), S_OK);
    CHECK_EQ_STR(text_of(((const WS_XML_TEXT_NODE *)n)->text), " <");
    CHECK_EQ_INT(WsReadChars(r, w, 8, &got, e), S_OK); /* the rest, then the reader is past the text */
    CHECK(got == 2 && w[0] == L' ' && w[1] == L'<');
    CHECK_EQ_INT(WsGetReaderNode(r, &n, e), S_OK);
    CHECK_EQ_INT(n->nodeType, WS_XML_NODE_TYPE_ELEMENT);
    el = (const WS_XML_ELEMENT_NODE *)n;
    CHECK_EQ_STR(xstr(el->localName), "b");
    CHECK_EQ_STR(xstr(el->ns), "urn:x"); /* the default namespace in scope */
    CHECK(el->isEmpty && el->attributeCount == 0);
    CHECK_EQ_INT(WsReadChars(r, w, 8, &got, e), S_OK); /* not at text: nothing */
    CHECK_EQ_INT(got, 0);
    CHECK_EQ_INT(WsReadNode(r, e), S_OK);
    CHECK_EQ_INT(WsGetReaderNode(r, &n, e), S_OK);
    CHECK_EQ_INT(n->nodeType, WS_XML_NODE_TYPE_END_ELEMENT);
    CHECK_EQ_INT(WsReadNode(r, e), S_OK);
    CHECK_EQ_INT(WsGetReaderNode(r, &n, e), S_OK);
    CHECK_EQ_INT(n->nodeType, WS_XML_NODE_TYPE_COMMENT);
    CHECK_EQ_STR(xstr(&((const WS_XML_COMMENT_NODE *)n)->value), "c");
    CHECK_EQ_INT(WsReadNode(r, e), S_OK); /* the processing instruction is skipped */
    CHECK_EQ_INT(WsGetReaderNode(r, &n, e), S_OK);
    CHECK_EQ_INT(n->nodeType, WS_XML_NODE_TYPE_TEXT);
    BYTE u[8];
    CHECK_EQ_INT(WsReadCharsUtf8(r, u, 3, &got, e), S_OK); /* whole characters: "th" and not half of the e-acute */
    CHECK_BYTES(u, got, "th", 2);
    CHECK_EQ_INT(WsReadCharsUtf8(r, u, 8, &got, e), S_OK);
    CHECK_BYTES(u, got, "\xc3\xa9re", 4);
    CHECK_EQ_INT(WsGetReaderNode(r, &n, e), S_OK);
    CHECK_EQ_INT(n->nodeType, WS_XML_NODE_TYPE_END_ELEMENT);
    CHECK_EQ_INT(WsReadNode(r, e), S_OK);
    CHECK_EQ_INT(WsGetReaderNode(r, &n, e), S_OK);
    CHECK_EQ_INT(n->nodeType, WS_XML_NODE_TYPE_EOF);
    CHECK_EQ_INT(WsReadNode(r, e), S_OK); /* EOF stays */
    CHECK_EQ_INT(WsGetReaderNode(r, &n, e), S_OK);
    CHECK_EQ_INT(n->nodeType, WS_XML_NODE_TYPE_EOF);
    /* the node API and the element calls on one cursor */
    CHECK_EQ_INT(WsSetInput(r, &te.encoding, &in.input, NULL, 0, e), S_OK);
    CHECK_EQ_INT(WsReadToStartElement(r, NULL, NULL, NULL, e), S_OK);
    CHECK_EQ_INT(WsReadStartElement(r, e), S_OK);
    CHECK_EQ_INT(WsGetReaderNode(r, &n, e), S_OK);
    CHECK_EQ_INT(n->nodeType, WS_XML_NODE_TYPE_TEXT);
    CHECK_EQ_INT(WsReadChars(r, w, 1, &got, e), S_OK);
    CHECK(got == 1 && w[0] == L'h');
    CHECK_EQ_INT(WsReadToStartElement(r, NULL, NULL, NULL, e), S_OK); /* the rest of the text skipped */
    CHECK_EQ_INT(WsGetReaderNode(r, &n, e), S_OK);
    CHECK_EQ_STR(xstr(((const WS_XML_ELEMENT_NODE *)n)->localName), "b");
    WsFreeReader(r);
    WsFreeError(e);
}
