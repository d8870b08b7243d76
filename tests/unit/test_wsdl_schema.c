/* Calls from the schema: request bodies built from values (exact XML for
 * every type, as the DataContractSerializer writes them), replies read into
 * values, and the named errors for bad arguments, bad replies and schema
 * constructs not supported. */
#include <stdarg.h>
#include <stdlib.h>
#include <nettcp/util.h>
#include <nettcp/wsdl.h>
#include "test.h"

#define SHOP_WSDL                                                                                                   \
    "<wsdl:definitions xmlns:wsdl='http://schemas.xmlsoap.org/wsdl/' xmlns:tns='urn:shop' targetNamespace='urn:shop'" \
    " xmlns:wsaw='http://www.w3.org/2006/05/addressing/wsdl'>"                                                        \
    "<wsdl:types>"                                                                                                   \
    "<xs:schema elementFormDefault='qualified' targetNamespace='urn:shop' xmlns:xs='http://www.w3.org/2001/XMLSchema'" \
    " xmlns:dc='http://schemas.datacontract.org/2004/07/Shop'>"                                                      \
    "<xs:element name='Place'><xs:complexType><xs:sequence>"                                                         \
    "<xs:element minOccurs='0' name='order' nillable='true' type='dc:Order'/>"                                       \
    "</xs:sequence></xs:complexType></xs:element>"                                                                   \
    "<xs:element name='PlaceResponse'><xs:complexType><xs:sequence>"                                                 \
    "<xs:element minOccurs='0' name='PlaceResult' nillable='true' type='dc:Receipt'/>"                               \
    "</xs:sequence></xs:complexType></xs:element>"                                                                   \
    "<xs:element name='Odd'><xs:complexType><xs:sequence>"                                                           \
    "<xs:element minOccurs='0' name='c' type='dc:Choice'/>"                                                          \
    "</xs:sequence></xs:complexType></xs:element>"                                                                   \
    "<xs:element name='OddResponse'><xs:complexType><xs:sequence>"                                                   \
    "<xs:element minOccurs='0' name='f' type='dc:Flags'/>"                                                           \
    "</xs:sequence></xs:complexType></xs:element>"                                                                   \
    "</xs:schema>"                                                                                                   \
    "<xs:schema elementFormDefault='qualified' targetNamespace='http://schemas.datacontract.org/2004/07/Shop'"       \
    " xmlns:xs='http://www.w3.org/2001/XMLSchema' xmlns:tns='http://schemas.datacontract.org/2004/07/Shop'"          \
    " xmlns:ser='http://schemas.microsoft.com/2003/10/Serialization/'"                                               \
    " xmlns:arr='http://schemas.microsoft.com/2003/10/Serialization/Arrays'>"                                        \
    "<xs:complexType name='Order'><xs:sequence>"                                                                     \
    "<xs:element name='Flag' type='xs:boolean'/>"                                                                    \
    "<xs:element minOccurs='0' name='Id' type='ser:guid'/>"                                                          \
    "<xs:element minOccurs='0' name='When' type='xs:dateTime'/>"                                                     \
    "<xs:element minOccurs='0' name='Total' type='xs:decimal'/>"                                                     \
    "<xs:element minOccurs='0' name='Lines' nillable='true' type='tns:ArrayOfLine'/>"                                \
    "<xs:element minOccurs='0' name='Status' type='tns:Status'/>"                                                    \
    "<xs:element minOccurs='0' name='Note' nillable='true' type='xs:string'/>"                                       \
    "<xs:element minOccurs='0' name='Wait' type='ser:duration'/>"                                                    \
    "<xs:element minOccurs='0' name='Blob' nillable='true' type='xs:base64Binary'/>"                                 \
    "<xs:element minOccurs='0' name='Letter' type='ser:char'/>"                                                      \
    "<xs:element minOccurs='0' name='Count' nillable='true' type='xs:int'/>"                                         \
    "<xs:element minOccurs='0' name='Tags' nillable='true' type='arr:ArrayOfstring'/>"                               \
    "<xs:element minOccurs='0' name='Ratio' type='xs:double'/>"                                                      \
    "<xs:element minOccurs='0' name='Big' type='xs:unsignedLong'/>"                                                  \
    "<xs:element minOccurs='0' name='Small' type='xs:byte'/>"                                                        \
    "</xs:sequence></xs:complexType>"                                                                                \
    "<xs:complexType name='ArrayOfLine'><xs:sequence>"                                                               \
    "<xs:element minOccurs='0' maxOccurs='unbounded' name='Line' nillable='true' type='tns:Line'/>"                  \
    "</xs:sequence></xs:complexType>"                                                                                \
    "<xs:complexType name='Line'><xs:sequence>"                                                                      \
    "<xs:element minOccurs='0' name='Qty' type='xs:int'/>"                                                           \
    "<xs:element minOccurs='0' name='Sku' nillable='true' type='xs:string'/>"                                        \
    "</xs:sequence></xs:complexType>"                                                                                \
    "<xs:simpleType name='Status'><xs:restriction base='xs:string'>"                                                 \
    "<xs:enumeration value='New'/><xs:enumeration value='Shipped'/></xs:restriction></xs:simpleType>"                \
    "<xs:complexType name='Base'><xs:sequence>"                                                                      \
    "<xs:element minOccurs='0' name='Code' type='xs:long'/>"                                                         \
    "</xs:sequence></xs:complexType>"                                                                                \
    "<xs:complexType name='Receipt'><xs:complexContent mixed='false'><xs:extension base='tns:Base'><xs:sequence>"    \
    "<xs:element minOccurs='0' name='Number' type='xs:unsignedInt'/>"                                                \
    "<xs:element minOccurs='0' maxOccurs='unbounded' name='Item' type='xs:string'/>"                                 \
    "<xs:element minOccurs='0' name='At' type='xs:dateTime'/>"                                                       \
    "<xs:element minOccurs='0' name='Paid' type='xs:decimal'/>"                                                      \
    "<xs:element minOccurs='0' name='Id' type='ser:guid'/>"                                                          \
    "<xs:element minOccurs='0' name='Ok' type='xs:boolean'/>"                                                        \
    "<xs:element minOccurs='0' name='Ratio' type='xs:double'/>"                                                      \
    "<xs:element minOccurs='0' name='Letter' type='ser:char'/>"                                                      \
    "<xs:element minOccurs='0' name='Note' nillable='true' type='xs:string'/>"                                       \
    "</xs:sequence></xs:extension></xs:complexContent></xs:complexType>"                                             \
    "<xs:complexType name='Choice'><xs:choice><xs:element name='a' type='xs:int'/></xs:choice></xs:complexType>"     \
    "<xs:simpleType name='Flags'><xs:list><xs:simpleType><xs:restriction base='xs:string'>"                          \
    "<xs:enumeration value='A'/></xs:restriction></xs:simpleType></xs:list></xs:simpleType>"                         \
    "</xs:schema>"                                                                                                   \
    "<xs:schema elementFormDefault='qualified' targetNamespace='http://schemas.microsoft.com/2003/10/Serialization/Arrays'" \
    " xmlns:xs='http://www.w3.org/2001/XMLSchema'>"                                                                  \
    "<xs:complexType name='ArrayOfstring'><xs:sequence>"                                                             \
    "<xs:element minOccurs='0' maxOccurs='unbounded' name='string' nillable='true' type='xs:string'/>"               \
    "</xs:sequence></xs:complexType>"                                                                                \
    "</xs:schema>"                                                                                                   \
    "</wsdl:types>"                                                                                                  \
    "<wsdl:message name='In'><wsdl:part name='parameters' element='tns:Place'/></wsdl:message>"                      \
    "<wsdl:message name='Out'><wsdl:part name='parameters' element='tns:PlaceResponse'/></wsdl:message>"             \
    "<wsdl:message name='OddIn'><wsdl:part name='parameters' element='tns:Odd'/></wsdl:message>"                     \
    "<wsdl:message name='OddOut'><wsdl:part name='parameters' element='tns:OddResponse'/></wsdl:message>"            \
    "<wsdl:portType name='IShop'>"                                                                                   \
    "<wsdl:operation name='Place'><wsdl:input message='tns:In'/><wsdl:output message='tns:Out'/></wsdl:operation>"   \
    "<wsdl:operation name='Odd'><wsdl:input message='tns:OddIn'/><wsdl:output message='tns:OddOut'/></wsdl:operation>" \
    "</wsdl:portType></wsdl:definitions>"

#define DC "http://schemas.datacontract.org/2004/07/Shop"
#define ARR "http://schemas.microsoft.com/2003/10/Serialization/Arrays"
#define NIL " i:nil=\"true\"/>"

static ntcp_wsdl *shop(void)
{
    ntcp_wsdl *w = NULL;
    ntcp_error err;
    if (ntcp_wsdl_load_memory(SHOP_WSDL, strlen(SHOP_WSDL), "urn:test", NULL, &w, &err))
        ntcp_test_fail(__FILE__, __LINE__, "load: %s", err.text);
    return w;
}

/* values by hand: obj("k", v, ..., NULL) */
static ntcp_value *obj(const char *k, ...)
{
    ntcp_value *o = ntcp_value_new(NTCP_VALUE_OBJECT);
    va_list ap;
    va_start(ap, k);
    for (; k; k = va_arg(ap, const char *)) {
        ntcp_value *v = va_arg(ap, ntcp_value *);
        if (ntcp_value_set(o, k, v))
            ntcp_test_fail(__FILE__, __LINE__, "set");
    }
    va_end(ap);
    return o;
}
static ntcp_value *arr(int n, ...)
{
    ntcp_value *a = ntcp_value_new(NTCP_VALUE_ARRAY);
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        if (ntcp_value_append(a, va_arg(ap, ntcp_value *)))
            ntcp_test_fail(__FILE__, __LINE__, "append");
    va_end(ap);
    return a;
}
static ntcp_value *str(const char *s) { return ntcp_value_string(s, strlen(s)); }
static ntcp_value *num(const char *s) { return ntcp_value_number(s); }
static ntcp_value *nul(void) { return ntcp_value_new(NTCP_VALUE_NULL); }

/* The body for Place(order), or the error text. */
static char *place(ntcp_wsdl *w, ntcp_value *order, ntcp_error *err)
{
    ntcp_value *args = obj("order", order, NULL);
    char *xml = NULL;
    size_t len = 0;
    ntcp_status st = ntcp_wsdl_build_body(w, ntcp_wsdl_operation_find(w, "Place"), args, &xml, &len, err);
    ntcp_value_free(args);
    if (st)
        return NULL;
    if (len != strlen(xml))
        ntcp_test_fail(__FILE__, __LINE__, "len %zu", len);
    return xml;
}

/* order is the wrapper's (urn:shop), its members the data contract's, under
 * the prefix a declared on order, as the DataContractSerializer writes them */
#define M(name, text) "<a:" name ">" text "</a:" name ">"
#define MNIL(name) "<a:" name " i:nil=\"true\"/>"
#define XMLNS_A " xmlns:a=\"" DC "\""
#define XMLNS_I " xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\""
#define ORDER_OPEN "<Place xmlns=\"urn:shop\"><order" XMLNS_A ">"
#define ORDER_CLOSE "</order></Place>"

TEST(wsdl_schema_body_every_type)
{
    ntcp_wsdl *w = shop();
    ntcp_error err;
    ntcp_value *order = obj(
        "Flag", ntcp_value_bool(1), "Id", str("0F8FAD5B-D9CB-469F-A165-70867728950E"), "When",
        str("2026-12-05T14:30:00.1200000Z"), "Total", num("1.5e2"), "Lines",
        arr(2, obj("Qty", num("2"), "Sku", str("a&b<c>"), NULL), nul()), "Status", str("Shipped"), "Note", nul(),
        "Wait", str("PT1H30M"), "Blob", str("AAEC/w=="), "Letter", str("\xc3\xa9"), "Count", nul(), "Tags",
        arr(2, str("x"), nul()), "Ratio", num("-2.5E-3"), "Big", num("18446744073709551615"), "Small", num("-128"),
        NULL);
    char *xml = place(w, order, &err);
    CHECK_EQ_STR(xml, "<Place xmlns=\"urn:shop\"><order" XMLNS_A XMLNS_I ">" M("Flag", "true") M("Id", "0f8fad5b-d9cb-469f-a165-70867728950e")
                          M("When", "2026-12-05T14:30:00.12Z") M("Total", "150")
                          M("Lines", "<a:Line><a:Qty>2</a:Qty><a:Sku>a&amp;b&lt;c&gt;</a:Sku></a:Line><a:Line" NIL)
                          M("Status", "Shipped") MNIL("Note") M("Wait", "PT1H30M") M("Blob", "AAEC/w==")
                          M("Letter", "233") MNIL("Count")
                          "<a:Tags xmlns:b=\"" ARR "\"><b:string>x</b:string><b:string" NIL "</a:Tags>"
                          M("Ratio", "-2.5E-3") M("Big", "18446744073709551615") M("Small", "-128") ORDER_CLOSE);
    ntcp_free(xml);
    ntcp_wsdl_free(w);
}

/* one member at a time: its value and the text written */
TEST(wsdl_schema_body_simple_forms)
{
    static const struct {
        const char *member, *json_kind, *value, *text;
    } cases[] = {
        { "When", "s", "2026-01-02T03:04:05", "2026-01-02T03:04:05" },               /* Unspecified */
        { "When", "s", "2026-01-02T03:04:05.0000000+01:00", "2026-01-02T03:04:05+01:00" }, /* Local */
        { "When", "s", "2026-01-02T03:04:05.1234567Z", "2026-01-02T03:04:05.1234567Z" },
        { "Total", "n", "12.50", "12.50" },                                            /* decimal keeps its scale */
        { "Total", "n", "1e-5", "0.00001" },
        { "Total", "s", "79228162514264337593543950335", "79228162514264337593543950335" },
        { "Total", "n", "-0.5", "-0.5" },
        { "Ratio", "s", "INF", "INF" },
        { "Ratio", "s", "NaN", "NaN" },
        { "Ratio", "n", "0.1", "0.1" },
        { "Wait", "s", "-P1DT0.5S", "-P1DT0.5S" },
        { "Wait", "s", "PT0S", "PT0S" },
        { "Letter", "s", "A", "65" },
        { "Letter", "n", "10", "10" },
        { "Small", "s", "+7", "7" },
        { "Flag", "f", "", "false" },
    };
    ntcp_wsdl *w = shop();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ntcp_value *v = cases[i].json_kind[0] == 's'   ? str(cases[i].value)
                        : cases[i].json_kind[0] == 'n' ? num(cases[i].value)
                                                       : ntcp_value_bool(0);
        ntcp_value *order = strcmp(cases[i].member, "Flag") ? obj("Flag", ntcp_value_bool(1), cases[i].member, v, NULL)
                                                            : obj("Flag", v, NULL);
        ntcp_error err;
        char *xml = place(w, order, &err);
        char want[512];
        if (strcmp(cases[i].member, "Flag"))
            snprintf(want, sizeof want, ORDER_OPEN M("Flag", "true") "<a:%s>%s</a:%s>" ORDER_CLOSE,
                     cases[i].member, cases[i].text, cases[i].member);
        else
            snprintf(want, sizeof want, ORDER_OPEN M("Flag", "false") ORDER_CLOSE);
        if (!xml)
            ntcp_test_fail(__FILE__, __LINE__, "case %zu: %s", i, err.text);
        else
            CHECK_EQ_STR(xml, want);
        ntcp_free(xml);
    }
    ntcp_wsdl_free(w);
}

TEST(wsdl_schema_body_nil_and_empty)
{
    ntcp_wsdl *w = shop();
    ntcp_error err;
    char *xml = NULL;
    size_t len;
    ntcp_value *args = obj("order", nul(), NULL);
    CHECK_EQ_INT(ntcp_wsdl_build_body(w, ntcp_wsdl_operation_find(w, "IShop.Place"), args, &xml, &len, &err), NTCP_OK);
    CHECK_EQ_STR(xml, "<Place xmlns=\"urn:shop\"" XMLNS_I "><order" NIL "</Place>");
    ntcp_free(xml);
    ntcp_value_free(args);
    /* no arguments: the empty wrapper */
    CHECK_EQ_INT(ntcp_wsdl_build_body(w, ntcp_wsdl_operation_find(w, "Place"), NULL, &xml, &len, &err), NTCP_OK);
    CHECK_EQ_STR(xml, "<Place xmlns=\"urn:shop\"></Place>");
    ntcp_free(xml);
    ntcp_wsdl_free(w);
}

TEST(wsdl_schema_bad_args_named)
{
    static const struct {
        const char *member, *kind, *value, *text;
    } cases[] = {
        { "Total", "s", "abc", "args Place.order.Total: expects a decimal number (xs:decimal), got the string \"abc\"" },
        { "Count", "s", "7x", "args Place.order.Count: expects a whole number (xs:int), got the string \"7x\"" },
        { "Small", "n", "128", "args Place.order.Small: 128 is out of range for xs:byte" },
        { "Big", "n", "-1", "args Place.order.Big: -1 is out of range for xs:unsignedLong" },
        { "Status", "s", "Lost", "args Place.order.Status: \"Lost\" is not one of {" DC "}Status's values (New, "
                                 "Shipped)" },
        { "Id", "s", "not-a-guid", "args Place.order.Id: expects a GUID as a string (ser:guid: "
                                   "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx), got the string \"not-a-guid\"" },
        { "When", "s", "2026-01-02T03:04:05.12345678Z", "args Place.order.When: expects a date and time as a string "
          "(xs:dateTime: YYYY-MM-DDThh:mm:ss[.fffffff][Z|+hh:mm]), got the string \"2026-01-02T03:04:05.12345678Z\"" },
        { "Wait", "s", "1:30", "args Place.order.Wait: expects a duration as a string (ser:duration, e.g. "
                              "\"PT1H30M\", \"P1DT0.5S\"), got the string \"1:30\"" },
        { "Blob", "s", "abc", "args Place.order.Blob: expects base64 text as a string (xs:base64Binary), got the "
                             "string \"abc\"" },
        { "Letter", "s", "ab", "args Place.order.Letter: expects one character (ser:char: a string of one UTF-16 "
                              "unit, or its code), got the string \"ab\"" },
        { "Lines", "s", "x", "args Place.order.Lines: expects an array ({" DC "}ArrayOfLine of Line), got a string" },
        { "Nope", "n", "1", "args Place.order.Nope: no such member in {" DC "}Order (its members: Flag, Id, When, "
                           "Total, Lines, Status, Note, Wait, Blob, Letter, Count, Tags, Ratio, Big, Small)" },
        { "Note", "n", "1", "args Place.order.Note: expects a string (xs:string), got the number 1" },
        { "Ratio", "s", "1e999", "args Place.order.Ratio: expects a number (xs:double; or \"INF\", \"-INF\", "
                                "\"NaN\"), got the string \"1e999\"" },
    };
    ntcp_wsdl *w = shop();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ntcp_value *v = cases[i].kind[0] == 's' ? str(cases[i].value) : num(cases[i].value);
        ntcp_error err;
        char *xml = place(w, obj("Flag", ntcp_value_bool(1), cases[i].member, v, NULL), &err);
        CHECK(xml == NULL);
        ntcp_free(xml);
        CHECK_EQ_STR(ntcp_error_id(&err), "wsdl_bad_args");
        CHECK_EQ_STR(err.text, cases[i].text);
    }
    /* a required member missing; a nested item's error names its index */
    ntcp_error err;
    char *xml = place(w, obj("Id", str("0f8fad5b-d9cb-469f-a165-70867728950e"), NULL), &err);
    CHECK(xml == NULL);
    CHECK_EQ_STR(err.text, "args Place.order.Flag: missing: a required member (xs:boolean)");
    xml = place(w, obj("Flag", ntcp_value_bool(1), "Lines", arr(2, obj(NULL), obj("Qty", str("x"), NULL)), NULL), &err);
    CHECK(xml == NULL);
    CHECK_EQ_STR(err.text, "args Place.order.Lines[1].Qty: expects a whole number (xs:int), got the string \"x\"");
    ntcp_value *args = obj("order", obj("Flag", ntcp_value_bool(1), NULL), "extra", num("1"), NULL);
    CHECK_EQ_INT(ntcp_wsdl_build_body(w, ntcp_wsdl_operation_find(w, "Place"), args, &xml, NULL, &err),
                 NTCP_E_MALFORMED);
    CHECK_EQ_STR(err.text, "args Place.extra: no such member in Place (its members: order)");
    CHECK_EQ_STR(ntcp_channel_step_name(err.step), "options");
    ntcp_value_free(args);
    ntcp_wsdl_free(w);
}

TEST(wsdl_schema_unsupported_named)
{
    ntcp_wsdl *w = shop();
    ntcp_error err;
    char *xml = NULL;
    ntcp_value *args = obj("c", obj(NULL), NULL);
    CHECK_EQ_INT(ntcp_wsdl_build_body(w, ntcp_wsdl_operation_find(w, "Odd"), args, &xml, NULL, &err),
                 NTCP_E_UNSUPPORTED);
    CHECK_EQ_STR(ntcp_error_id(&err), "wsdl_unsupported");
    CHECK_EQ_STR(err.text, "xs:complexType {" DC "}Choice: xs:choice is not supported (at Odd.c)");
    ntcp_value_free(args);
    ntcp_value *out = NULL;
    const char *reply = "<OddResponse xmlns='urn:shop'><f>A</f></OddResponse>";
    CHECK_EQ_INT(ntcp_wsdl_read_body(w, ntcp_wsdl_operation_find(w, "Odd"), reply, strlen(reply), &out, &err),
                 NTCP_E_UNSUPPORTED);
    CHECK_EQ_STR(err.text, "xs:simpleType {" DC "}Flags: xs:list is not supported (a [Flags] enum is an xs:list) "
                           "(at OddResponse.f)");
    CHECK(out == NULL);
    ntcp_wsdl_free(w);
}

/* A value as compact JSON-like text (strings unescaped: the test's values need none). */
static void dump(const ntcp_value *v, char *buf, size_t cap, size_t *o)
{
#define OUT(...) (*o += (size_t)snprintf(buf + *o, *o < cap ? cap - *o : 0, __VA_ARGS__))
    switch (ntcp_value_kind_of(v)) {
    case NTCP_VALUE_NULL: OUT("null"); break;
    case NTCP_VALUE_BOOL: OUT("%s", ntcp_value_is_true(v) ? "true" : "false"); break;
    case NTCP_VALUE_NUMBER: OUT("%s", ntcp_value_text(v, NULL)); break;
    case NTCP_VALUE_STRING: OUT("\"%s\"", ntcp_value_text(v, NULL)); break;
    case NTCP_VALUE_ARRAY:
        OUT("[");
        for (size_t i = 0; i < ntcp_value_count(v); i++) {
            if (i)
                OUT(",");
            dump(ntcp_value_at(v, i), buf, cap, o);
        }
        OUT("]");
        break;
    case NTCP_VALUE_OBJECT:
        OUT("{");
        for (size_t i = 0; i < ntcp_value_count(v); i++) {
            OUT("%s\"%s\":", i ? "," : "", ntcp_value_key_at(v, i));
            dump(ntcp_value_at(v, i), buf, cap, o);
        }
        OUT("}");
        break;
    }
#undef OUT
}

static const char *read_place(ntcp_wsdl *w, const char *reply, char *buf, size_t cap, ntcp_error *err)
{
    ntcp_value *v = NULL;
    if (ntcp_wsdl_read_body(w, ntcp_wsdl_operation_find(w, "Place"), reply, strlen(reply), &v, err))
        return NULL;
    size_t o = 0;
    dump(v, buf, cap, &o);
    ntcp_value_free(v);
    return buf;
}

TEST(wsdl_schema_read_reply)
{
    ntcp_wsdl *w = shop();
    ntcp_error err;
    char buf[2048];
    const char *reply =
        "<PlaceResponse xmlns=\"urn:shop\"><PlaceResult xmlns:a=\"" DC "\" "
        "xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\">"
        "<a:Code>-9223372036854775808</a:Code><a:Number>007</a:Number><a:Item>x</a:Item><a:Item> y </a:Item>"
        "<a:At>2026-12-05T14:30:00.12Z</a:At><a:Paid> +.50 </a:Paid>"
        "<a:Id>0f8fad5b-d9cb-469f-a165-70867728950e</a:Id><a:Ok>1</a:Ok><a:Ratio>-INF</a:Ratio>"
        "<a:Letter>8364</a:Letter><a:Note i:nil=\"true\"/></PlaceResult></PlaceResponse>";
    CHECK_EQ_STR(read_place(w, reply, buf, sizeof buf, &err),
                 "{\"PlaceResult\":{\"Code\":-9223372036854775808,\"Number\":7,\"Item\":[\"x\",\" y \"],"
                 "\"At\":\"2026-12-05T14:30:00.12Z\",\"Paid\":0.50,\"Id\":\"0f8fad5b-d9cb-469f-a165-70867728950e\","
                 "\"Ok\":true,\"Ratio\":\"-INF\",\"Letter\":\"\xe2\x82\xac\",\"Note\":null}}");
    /* absent optional members are left out; doubles in .NET's forms */
    reply = "<PlaceResponse xmlns=\"urn:shop\"><PlaceResult><Ratio xmlns=\"" DC "\">1E+20</Ratio></PlaceResult>"
            "</PlaceResponse>";
    CHECK_EQ_STR(read_place(w, reply, buf, sizeof buf, &err), "{\"PlaceResult\":{\"Ratio\":1E+20}}");
    reply = "<PlaceResponse xmlns=\"urn:shop\"/>";
    CHECK_EQ_STR(read_place(w, reply, buf, sizeof buf, &err), "{}");
    ntcp_wsdl_free(w);
}

TEST(wsdl_schema_bad_reply_named)
{
    static const struct {
        const char *reply, *text;
    } cases[] = {
        { "<Other xmlns='urn:shop'/>", "reply PlaceResponse: the body is {urn:shop}Other, not the operation's output "
                                       "{urn:shop}PlaceResponse" },
        { "<PlaceResponse xmlns='urn:shop'><Bogus/></PlaceResponse>",
          "reply PlaceResponse: element {urn:shop}Bogus is not a member of PlaceResponse" },
        { "<PlaceResponse xmlns='urn:shop'><PlaceResult><Number xmlns='" DC "'>-1x</Number></PlaceResult>"
          "</PlaceResponse>",
          "reply PlaceResponse.PlaceResult.Number: \"-1x\" is not a valid xs:unsignedInt" },
        { "<PlaceResponse xmlns='urn:shop'><PlaceResult><Ok xmlns='" DC "'>yes</Ok></PlaceResult></PlaceResponse>",
          "reply PlaceResponse.PlaceResult.Ok: \"yes\" is not a valid xs:boolean" },
        { "<PlaceResponse xmlns='urn:shop'><PlaceResult/><PlaceResult/></PlaceResponse>",
          "reply PlaceResponse.PlaceResult: more than once" },
        { "<PlaceResponse xmlns='urn:shop'><PlaceResult><Code xmlns='" DC "'><x/></Code></PlaceResult></PlaceResponse>",
          "reply PlaceResponse.PlaceResult.Code: element {" DC "}x inside xs:long, a simple type" },
        { "<PlaceResponse", "reply PlaceResponse: the body is not well-formed XML (or carries a DTD)" },
    };
    ntcp_wsdl *w = shop();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ntcp_error err;
        char buf[512];
        CHECK(read_place(w, cases[i].reply, buf, sizeof buf, &err) == NULL);
        CHECK_EQ_STR(ntcp_error_id(&err), "wsdl_bad_reply");
        CHECK_EQ_STR(err.text, cases[i].text);
        CHECK_EQ_STR(ntcp_channel_step_name(err.step), "decode");
    }
    ntcp_wsdl_free(w);
}

TEST(wsdl_schema_value_tree)
{
    CHECK(ntcp_value_number("01") == NULL);
    CHECK(ntcp_value_number("1.") == NULL);
    CHECK(ntcp_value_number("-") == NULL);
    ntcp_value *n = ntcp_value_number("-0.5e+3");
    CHECK_EQ_STR(ntcp_value_text(n, NULL), "-0.5e+3");
    ntcp_value_free(n);
    ntcp_value *o = obj("a", num("1"), "b", str("x"), NULL);
    CHECK_EQ_INT(ntcp_value_set(o, "a", ntcp_value_bool(1)), NTCP_OK); /* replaces, keeps the order */
    CHECK_EQ_STR(ntcp_value_key_at(o, 0), "a");
    CHECK(ntcp_value_is_true(ntcp_value_get(o, "a")));
    CHECK_EQ_INT(ntcp_value_count(o), 2);
    CHECK_EQ_INT(ntcp_value_append(o, num("1")), NTCP_E_INVALID_ARG); /* not an array: item freed */
    ntcp_value_free(o);
}

TEST(wsdl_schema_operation_find)
{
    ntcp_wsdl *w = NULL;
    ntcp_error err;
    /* the samples: two contracts; Contract.Name and Name both find an operation */
    unsigned char *doc = NULL;
    size_t len = 0;
    doc = ntcp_test_read_vector("vectors/wsdl/samples/samples.wsdl", &len);
    CHECK(doc != NULL);
    if (!doc)
        return;
    free(doc);
    if (ntcp_wsdl_load("tests/vectors/wsdl/samples/samples.wsdl", NULL, &w, &err) &&
        ntcp_wsdl_load("../tests/vectors/wsdl/samples/samples.wsdl", NULL, &w, &err)) {
        ntcp_test_fail(__FILE__, __LINE__, "load: %s", err.text);
        return;
    }
    const ntcp_wsdl_operation *a = ntcp_wsdl_operation_find(w, "Add"), *b = ntcp_wsdl_operation_find(w, "ICalculator.Add");
    CHECK(a != NULL && a == b);
    CHECK_EQ_STR(a ? a->action : NULL, "http://Microsoft.ServiceModel.Samples/ICalculator/Add");
    CHECK(ntcp_wsdl_operation_find(w, "IEcho.Add") == NULL);
    CHECK(ntcp_wsdl_operation_find(w, "Nope") == NULL);
    char *xml = NULL;
    ntcp_value *args = obj("n1", num("2"), "n2", num("3.5"), NULL);
    CHECK_EQ_INT(ntcp_wsdl_build_body(w, a, args, &xml, NULL, &err), NTCP_OK);
    CHECK_EQ_STR(xml, "<Add xmlns=\"http://Microsoft.ServiceModel.Samples\"><n1>2</n1><n2>3.5</n2></Add>");
    ntcp_free(xml);
    ntcp_value_free(args);
    /* the Headers reply: ArrayOfstring is an array */
    const ntcp_wsdl_operation *h = ntcp_wsdl_operation_find(w, "Headers");
    const char *reply = "<HeadersResponse xmlns=\"http://tempuri.org/\"><HeadersResult "
                        "xmlns:a=\"" ARR "\"><a:string>{urn:x}T=1</a:string><a:string/></HeadersResult>"
                        "</HeadersResponse>";
    ntcp_value *v = NULL;
    CHECK_EQ_INT(ntcp_wsdl_read_body(w, h, reply, strlen(reply), &v, &err), NTCP_OK);
    char buf[256];
    size_t o = 0;
    dump(v, buf, sizeof buf, &o);
    CHECK_EQ_STR(buf, "{\"HeadersResult\":[\"{urn:x}T=1\",\"\"]}");
    ntcp_value_free(v);
    ntcp_wsdl_free(w);
}

/* i:type names the type the sender wrote: a data contract's base or derived type, or a primitive */
TEST(wsdl_schema_read_xsi_type)
{
    ntcp_wsdl *w = shop();
    ntcp_error err;
    char buf[512];
    const char *reply = "<PlaceResponse xmlns=\"urn:shop\"><PlaceResult xmlns:a=\"" DC "\" "
                        "xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\" i:type=\"a:Base\"><a:Code>5</a:Code>"
                        "</PlaceResult></PlaceResponse>";
    CHECK_EQ_STR(read_place(w, reply, buf, sizeof buf, &err), "{\"PlaceResult\":{\"Code\":5}}");
    reply = "<PlaceResponse xmlns=\"urn:shop\"><PlaceResult xmlns:x=\"http://www.w3.org/2001/XMLSchema\" "
            "xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\" i:type=\"x:int\">-7</PlaceResult></PlaceResponse>";
    CHECK_EQ_STR(read_place(w, reply, buf, sizeof buf, &err), "{\"PlaceResult\":-7}");
    reply = "<PlaceResponse xmlns=\"urn:shop\"><PlaceResult xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\" "
            "i:type=\"q:Nope\"/></PlaceResponse>";
    CHECK(read_place(w, reply, buf, sizeof buf, &err) == NULL);
    CHECK_EQ_STR(err.text, "reply PlaceResponse.PlaceResult: i:type=\"q:Nope\": its prefix is not declared");
    reply = "<PlaceResponse xmlns=\"urn:shop\"><PlaceResult xmlns:a=\"" DC "\" "
            "xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\" i:type=\"a:Nope\"/></PlaceResponse>";
    CHECK(read_place(w, reply, buf, sizeof buf, &err) == NULL);
    CHECK_EQ_STR(ntcp_error_id(&err), "wsdl_undefined");
    CHECK_EQ_STR(err.text, "type {" DC "}Nope is not defined in any schema (at PlaceResponse.PlaceResult)");
    ntcp_wsdl_free(w);
}
