/* MC-NBFX records one by one, MC-NBFS dictionary, value rendering, MC-NBFSE
 * session rules, writer choices, limits and malformed input. */
#include <stdlib.h>
#include <string.h>
#include "test.h"
#include <nettcp/xml.h>
#include "xml/libxml.h"

/* hex document -> text (indent 0), or the expected status */
static ntcp_status decode_hex(const char *hex, const ntcp_xml_session *s, const ntcp_xml_text_options *opt,
                              ntcp_buf *out)
{
    size_t n;
    uint8_t *b = ntcp_test_hex(hex, &n);
    if (!b)
        return NTCP_E_INVALID_ARG;
    ntcp_xml_text_options def;
    ntcp_xml_text_options_init(&def);
    def.indent = 0;
    ntcp_status st = ntcp_xml_to_text(b, n, s, opt ? opt : &def, out);
    free(b);
    return st;
}

static void check_doc(const char *file, int line, const char *hex, const char *want)
{
    ntcp_buf out;
    ntcp_buf_init(&out, SIZE_MAX);
    ntcp_status st = decode_hex(hex, NULL, NULL, &out);
    if (st != NTCP_OK)
        ntcp_test_fail(file, line, "%s: status %s", hex, ntcp_status_name(st));
    else if (out.len != strlen(want) || memcmp(out.data, want, out.len))
        ntcp_test_fail(file, line, "%s: got \"%.*s\", want \"%s\"", hex, (int)out.len, (char *)out.data, want);
    ntcp_buf_free(&out);

    /* and it re-encodes to the same bytes */
    size_t n;
    uint8_t *b = ntcp_test_hex(hex, &n);
    ntcp_xml_reader *r;
    ntcp_xml_writer *w;
    if (ntcp_xml_reader_new(&r, NULL, NULL) || ntcp_xml_writer_new(&w, NULL, NULL))
        return;
    ntcp_xml_node node;
    if (ntcp_xml_reader_reset(r, b, n) != NTCP_OK)
        ntcp_test_fail(file, line, "%s: reset failed", hex);
    while ((st = ntcp_xml_reader_next(r, &node)) == NTCP_OK && node.type != NTCP_XML_NODE_EOF)
        if (ntcp_xml_writer_node(w, &node) != NTCP_OK)
            ntcp_test_fail(file, line, "%s: writer refused a node", hex);
    ntcp_buf enc;
    ntcp_buf_init(&enc, SIZE_MAX);
    if (st || ntcp_xml_writer_finish(w, &enc))
        ntcp_test_fail(file, line, "%s: re-encode failed", hex);
    else
        ntcp_test_check_bytes(file, line, hex, enc.data, enc.len, b, n);
    ntcp_buf_free(&enc);
    ntcp_xml_writer_free(w);
    ntcp_xml_reader_free(r);
    free(b);
}
#define CHECK_DOC(hex, want) check_doc(__FILE__, __LINE__, hex, want)

static void check_err(const char *file, int line, const char *hex, ntcp_status want)
{
    ntcp_buf out;
    ntcp_buf_init(&out, SIZE_MAX);
    ntcp_status st = decode_hex(hex, NULL, NULL, &out);
    if (st != want)
        ntcp_test_fail(file, line, "%s: status %s, want %s", hex, ntcp_status_name(st), ntcp_status_name(want));
    ntcp_buf_free(&out);
}
#define CHECK_ERR(hex, want) check_err(__FILE__, __LINE__, hex, want)

TEST(xml_static_dictionary)
{
    static const struct {
        uint32_t key;
        const char *s;
    } t[] = {
        { 0x00, "mustUnderstand" }, { 0x02, "Envelope" }, { 0x04, "http://www.w3.org/2003/05/soap-envelope" },
        { 0x06, "http://www.w3.org/2005/08/addressing" }, { 0x14, "http://www.w3.org/2005/08/addressing/anonymous" },
        { 0x1A, "MessageID" }, { 0x56, "CanonicalizationMethod" }, { 0x84, "s" }, { 0x86, "Fault" },
        { 0x8E, "Code" }, { 0x98, "Detail" }, { 0xB6, "a" }, { 0xBC, "Spn" },
        { 0xC6, "http://www.w3.org/2005/08/addressing/fault" },
        { 0x372, "http://www.w3.org/2001/XMLSchema-instance" },
        { 0x3C2, "http://schemas.xmlsoap.org/soap/envelope/" }, { 0x3CC, "detail" },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        uint32_t len;
        const char *s = ntcp_xml_static_string(t[i].key, &len);
        CHECK_EQ_STR(s, t[i].s);
        CHECK_EQ_INT(len, strlen(t[i].s));
        CHECK_EQ_INT(ntcp_xml_static_key(t[i].s, strlen(t[i].s)), t[i].key);
    }
    CHECK(ntcp_xml_static_string(0x3CE, NULL) == NULL);
    CHECK(ntcp_xml_static_string(0x01, NULL) == NULL);
    CHECK_EQ_INT(ntcp_xml_static_key("Envelopes", 9), -1);
    CHECK_EQ_INT(ntcp_xml_static_key("envelope", 8), -1);
    /* every entry round-trips through both lookups */
    int bad = 0;
    for (uint32_t i = 0; i < NTCP_XML_STATIC_COUNT; i++) {
        uint32_t len;
        const char *s = ntcp_xml_static_string(2 * i, &len);
        if (!s || ntcp_xml_static_key(s, len) != (int32_t)(2 * i))
            bad++;
    }
    CHECK_EQ_INT(bad, 0);
}

TEST(xml_element_records)
{
    CHECK_DOC("40 03 646f63 01", "<doc/>");                              /* ShortElement */
    CHECK_DOC("41 03 707265 03 646f63 09 03 707265 0a 687474703a2f2f616263 01",
              "<pre:doc xmlns:pre=\"http://abc\"/>");                    /* Element + XmlnsAttribute */
    CHECK_DOC("42 02 01", "<Envelope/>");                                /* ShortDictionaryElement */
    CHECK_DOC("43 01 73 02 0b 01 73 04 01",
              "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"/>");
    CHECK_DOC("44 0e 01", "<a:Body/>");                                  /* PrefixDictionaryElementA */
    CHECK_DOC("5d 0e 01", "<z:Body/>");                                  /* ...Z */
    CHECK_DOC("5e 01 78 01", "<a:x/>");                                  /* PrefixElementA */
    CHECK_DOC("77 01 78 01", "<z:x/>");                                  /* PrefixElementZ */
    CHECK_DOC("40 01 72 42 0e 01 5f 01 78 01 01", "<r><Body/><b:x/></r>");
}

TEST(xml_attribute_records)
{
    CHECK_DOC("40 01 61"
              "04 01 62 98 01 63"       /* ShortAttribute b="c" */
              "05 01 70 01 71 a8"       /* Attribute p:q="" (EmptyText) */
              "06 0c 80"                /* ShortDictionaryAttribute To="0" */
              "07 01 70 0e 86"          /* DictionaryAttribute p:Body="true" */
              "0c 00 84"                /* PrefixDictionaryAttributeA a:mustUnderstand="false" */
              "25 02 82"                /* PrefixDictionaryAttributeZ z:Envelope="1" */
              "26 01 6e 8a 3905"        /* PrefixAttributeA a:n="1337" */
              "3f 01 6b 80"             /* PrefixAttributeZ z:k="0" */
              "08 01 75"                /* ShortXmlnsAttribute */
              "09 01 70 01 76"          /* XmlnsAttribute */
              "0a 06"                   /* ShortDictionaryXmlnsAttribute -- second default ns, text only */
              "0b 01 71 04"             /* DictionaryXmlnsAttribute */
              "01",
              "<a b=\"c\" p:q=\"\" To=\"0\" p:Body=\"true\" a:mustUnderstand=\"false\" z:Envelope=\"1\" "
              "a:n=\"1337\" z:k=\"0\" xmlns=\"u\" xmlns:p=\"v\" xmlns=\"http://www.w3.org/2005/08/addressing\" "
              "xmlns:q=\"http://www.w3.org/2003/05/soap-envelope\"/>");
    /* escaping in attribute values and text */
    CHECK_DOC("40 01 61 04 01 62 98 07 3c2622090a0d3e 98 05 3c26223e0d 01",
              "<a b=\"&lt;&amp;&quot;&#x9;&#xA;&#xD;&gt;\">&lt;&amp;\"&gt;&#xD;</a>");
}

TEST(xml_text_records)
{
    CHECK_DOC("40 01 76 80 01", "<v>0</v>");
    CHECK_DOC("40 01 76 81", "<v>0</v>");
    CHECK_DOC("40 01 76 83", "<v>1</v>");
    CHECK_DOC("40 01 76 85", "<v>false</v>");
    CHECK_DOC("40 01 76 87", "<v>true</v>");
    CHECK_DOC("40 01 76 89 ff", "<v>-1</v>");
    CHECK_DOC("40 01 76 8b 0080", "<v>-32768</v>");
    CHECK_DOC("40 01 76 8d ffffff7f", "<v>2147483647</v>");
    CHECK_DOC("40 01 76 8f 0000000000000080", "<v>-9223372036854775808</v>");
    CHECK_DOC("40 01 76 91 cdcc8c3f", "<v>1.1</v>");
    CHECK_DOC("40 01 76 93 9a9999999999f13f", "<v>1.1</v>");
    CHECK_DOC("40 01 76 93 000000000000f07f", "<v>INF</v>");
    CHECK_DOC("40 01 76 93 000000000000f0ff", "<v>-INF</v>");
    CHECK_DOC("40 01 76 93 000000000000f87f", "<v>NaN</v>");
    CHECK_DOC("40 01 76 95 00000200 00000000 9600000000000000", "<v>1.50</v>");
    CHECK_DOC("40 01 76 97 d094d27a3f0bdc48", "<v>2024-01-02T03:04:05.1234Z</v>");
    CHECK_DOC("40 01 76 97 d094d27a3f0bdc08", "<v>2024-01-02T03:04:05.1234</v>");
    CHECK_DOC("40 01 76 97 d094d27a3f0bdc88", "<v>2024-01-02T03:04:05.1234+00:00</v>");
    CHECK_DOC("40 01 76 99 03 616263", "<v>abc</v>");
    CHECK_DOC("40 01 76 9b 0300 616263", "<v>abc</v>");
    CHECK_DOC("40 01 76 9d 03000000 616263", "<v>abc</v>");
    CHECK_DOC("40 01 76 9f 03 010203", "<v>AQID</v>");
    CHECK_DOC("40 01 76 a1 0400 01020304", "<v>AQIDBA==</v>");
    CHECK_DOC("40 01 76 a3 05000000 0102030405", "<v>AQIDBAU=</v>");
    CHECK_DOC("40 01 76 a4 82 98 01 78 86 a6 01", "<v>1 x true</v>");
    CHECK_DOC("40 01 76 04 01 6c a4 80 aa 0e a6 01", "<v l=\"0 Body\"/>");
    CHECK_DOC("40 01 76 a9", "<v></v>");
    CHECK_DOC("40 01 76 ab 0e", "<v>Body</v>");
    CHECK_DOC("40 01 76 ad 33221100554477668899aabbccddeeff", "<v>urn:uuid:00112233-4455-6677-8899-aabbccddeeff</v>");
    CHECK_DOC("40 01 76 af 0068c46108000000", "<v>PT1H</v>");
    CHECK_DOC("40 01 76 b1 33221100554477668899aabbccddeeff", "<v>00112233-4455-6677-8899-aabbccddeeff</v>");
    CHECK_DOC("40 01 76 b3 ffffffffffffffff", "<v>18446744073709551615</v>");
    CHECK_DOC("40 01 76 b5 01", "<v>true</v>");
    CHECK_DOC("40 01 76 b7 04 61006200", "<v>ab</v>");
    CHECK_DOC("40 01 76 b9 0600 61003d d8 00 de", "<v>a\xf0\x9f\x98\x80</v>");
    CHECK_DOC("40 01 76 bb 02000000 e900", "<v>\xc3\xa9</v>");
    CHECK_DOC("40 01 76 bd 01 0e", "<v>b:Body</v>");
    /* empty payloads (found by fuzzing: no pointer arithmetic on empty buffers) */
    CHECK_DOC("40 01 76 9f 00", "<v></v>");
    CHECK_DOC("40 01 76 04 01 61 98 00 b7 00", "<v a=\"\"></v>");
    CHECK_DOC("40 01 76 04 01 61 9e 00 01", "<v a=\"\"/>");
    /* control characters become character references */
    CHECK_DOC("40 01 76 99 03 61 01 62", "<v>a&#x1;b</v>");
    /* mixed content: text, element, text (the last one carries the end) */
    CHECK_DOC("40 01 76 98 01 61 40 01 62 01 99 01 63", "<v>a<b/>c</v>");
}

TEST(xml_comment_and_array_records)
{
    CHECK_DOC("02 03 616263 40 01 76 01", "<!--abc--><v/>");
    CHECK_DOC("40 01 76 01 02 00", "<v/><!---->");
    CHECK_DOC("40 01 72 03 40 01 69 01 8b 03 0100 0200 0300 01", "<r><i>1</i><i>2</i><i>3</i></r>");
    CHECK_DOC("40 01 72 03 44 02 04 01 62 98 01 63 01 b5 02 01 00 01",
              "<r><a:Envelope b=\"c\">true</a:Envelope><a:Envelope b=\"c\">false</a:Envelope></r>");
    CHECK_DOC("40 01 72 03 40 01 69 01 93 01 000000000000f03f 01", "<r><i>1</i></r>");
    CHECK_DOC("40 01 72 03 40 01 69 01 af 01 0068c46108000000 01", "<r><i>PT1H</i></r>");
}

TEST(xml_value_rendering)
{
    static const struct {
        double d;
        const char *s;
    } dv[] = {
        { 0.0, "0" }, { -0.0, "-0" }, { 3.0, "3" }, { 0.1, "0.1" }, { 1e15, "1000000000000000" },
        { 1e16, "10000000000000000" }, { 1e17, "1E+17" }, { 123456789012345678.0, "1.2345678901234568E+17" },
        { 123456789012345.0, "123456789012345" }, { 1234567890123456.0, "1234567890123456" },
        { 1e-5, "1E-05" }, { 0.0001, "0.0001" }, { 1.7976931348623157e308, "1.7976931348623157E+308" },
        { 4.9406564584124654e-324, "5E-324" }, { -2.5, "-2.5" }, { 1.0 / 3, "0.3333333333333333" },
    };
    for (size_t i = 0; i < sizeof dv / sizeof dv[0]; i++) {
        ntcp_xml_value v = { .type = NTCP_XV_DOUBLE, .u.d = dv[i].d };
        ntcp_buf b;
        ntcp_buf_init(&b, 256);
        CHECK_EQ_INT(ntcp_xml_value_format(&v, NULL, &b), NTCP_OK);
        CHECK_EQ_INT(ntcp_buf_put_u8(&b, 0), NTCP_OK);
        CHECK_EQ_STR((char *)b.data, dv[i].s);
        ntcp_buf_free(&b);
    }
    static const struct {
        float f;
        const char *s;
    } fv[] = { { 1.1f, "1.1" }, { 1e7f, "10000000" }, { 1e9f, "1E+09" }, { 16777216.0f, "16777216" }, { 0.5f, "0.5" },
               { 3.4028235e38f, "3.4028235E+38" } };
    for (size_t i = 0; i < sizeof fv / sizeof fv[0]; i++) {
        ntcp_xml_value v = { .type = NTCP_XV_FLOAT, .u.f = fv[i].f };
        ntcp_buf b;
        ntcp_buf_init(&b, 256);
        CHECK_EQ_INT(ntcp_xml_value_format(&v, NULL, &b), NTCP_OK);
        CHECK_EQ_INT(ntcp_buf_put_u8(&b, 0), NTCP_OK);
        CHECK_EQ_STR((char *)b.data, fv[i].s);
        ntcp_buf_free(&b);
    }
    static const struct {
        int64_t t;
        const char *s;
    } tv[] = { { 0, "PT0S" }, { 1, "PT0.0000001S" }, { 36000000000LL, "PT1H" },
               { -(864000000000LL + 15000000), "-P1DT1.5S" }, { 900000000LL * 10 + 20000000, "PT15M2S" },
               { INT64_MIN, "-P10675199DT2H48M5.4775808S" } };
    for (size_t i = 0; i < sizeof tv / sizeof tv[0]; i++) {
        ntcp_xml_value v = { .type = NTCP_XV_TIMESPAN, .u.i = tv[i].t };
        ntcp_buf b;
        ntcp_buf_init(&b, 256);
        CHECK_EQ_INT(ntcp_xml_value_format(&v, NULL, &b), NTCP_OK);
        CHECK_EQ_INT(ntcp_buf_put_u8(&b, 0), NTCP_OK);
        CHECK_EQ_STR((char *)b.data, tv[i].s);
        ntcp_buf_free(&b);
    }
    /* decimals: -0.05, the maximum, scale 28 */
    static const struct {
        const char *hex;
        const char *s;
    } mv[] = {
        { "00000280 00000000 0500000000000000", "-0.05" },
        { "00000000 ffffffff ffffffffffffffff", "79228162514264337593543950335" },
        { "00001c00 00000000 0100000000000000", "0.0000000000000000000000000001" },
        { "00000080 00000000 0000000000000000", "0" },
    };
    for (size_t i = 0; i < sizeof mv / sizeof mv[0]; i++) {
        size_t n;
        uint8_t *raw = ntcp_test_hex(mv[i].hex, &n);
        ntcp_xml_value v = { .type = NTCP_XV_DECIMAL };
        memcpy(v.u.raw, raw, 16);
        ntcp_buf b;
        ntcp_buf_init(&b, 256);
        CHECK_EQ_INT(ntcp_xml_value_format(&v, NULL, &b), NTCP_OK);
        CHECK_EQ_INT(ntcp_buf_put_u8(&b, 0), NTCP_OK);
        CHECK_EQ_STR((char *)b.data, mv[i].s);
        ntcp_buf_free(&b);
        free(raw);
    }
    /* local DateTime at a chosen offset */
    ntcp_xml_value v = { .type = NTCP_XV_DATETIME, .u.u = 0x88dc0b3f7ad294d0ULL };
    ntcp_xml_format_options fo = { 90 };
    ntcp_buf b;
    ntcp_buf_init(&b, 256);
    CHECK_EQ_INT(ntcp_xml_value_format(&v, &fo, &b), NTCP_OK);
    CHECK_BYTES(b.data, b.len, "2024-01-02T04:34:05.1234+01:30", 30);
    ntcp_buf_reset(&b);
    fo.local_offset_minutes = -300;
    CHECK_EQ_INT(ntcp_xml_value_format(&v, &fo, &b), NTCP_OK);
    CHECK_BYTES(b.data, b.len, "2024-01-01T22:04:05.1234-05:00", 30);
    ntcp_buf_free(&b);
}

TEST(xml_malformed_input)
{
    CHECK_ERR("", NTCP_E_TRUNCATED);
    CHECK_ERR("40 01 76", NTCP_E_TRUNCATED);
    CHECK_ERR("40 05 76", NTCP_E_TRUNCATED);
    CHECK_ERR("01", NTCP_E_XML_RECORD);
    CHECK_ERR("98 01 61", NTCP_E_XML_RECORD);                 /* text outside the root */
    CHECK_ERR("40 01 76 01 40 01 77 01", NTCP_E_XML_RECORD);  /* a second root */
    CHECK_ERR("42 03 01", NTCP_E_XML_UNKNOWN_KEY);            /* session key, no session */
    CHECK_ERR("42 ce 07 01", NTCP_E_XML_UNKNOWN_KEY);         /* static key past 0x3CC */
    CHECK_ERR("40 01 76 ab 03", NTCP_E_XML_UNKNOWN_KEY);
    CHECK_ERR("40 01 76 b5 02 01", NTCP_E_MALFORMED);         /* BoolText 2 */
    CHECK_ERR("40 01 76 95 00001d00 00000000 0100000000000000 01", NTCP_E_MALFORMED); /* scale 29 */
    CHECK_ERR("40 01 76 95 01000000 00000000 0100000000000000 01", NTCP_E_MALFORMED); /* reserved */
    CHECK_ERR("40 01 76 97 ffffffffffffff3f 01", NTCP_E_MALFORMED); /* ticks past MaxValue */
    CHECK_ERR("40 01 76 ff", NTCP_E_XML_RECORD);
    CHECK_ERR("40 01 76 be", NTCP_E_XML_RECORD);
    CHECK_ERR("40 01 76 04 01 62 99 01 63 01", NTCP_E_XML_RECORD); /* attribute value WithEndElement */
    CHECK_ERR("40 01 76 04 01 62 40", NTCP_E_XML_RECORD);    /* attribute value not a text record */
    CHECK_ERR("40 00 01", NTCP_E_MALFORMED);                  /* empty name */
    CHECK_ERR("40 01 76 9d ffffffff", NTCP_E_MALFORMED);      /* negative Chars32 length */
    CHECK_ERR("40 01 72 03 40 01 69 01 8b 00 01", NTCP_E_MALFORMED); /* array count 0 */
    CHECK_ERR("40 01 72 03 40 01 69 01 99 01 00 01", NTCP_E_XML_RECORD); /* not an array type */
    CHECK_ERR("40 01 72 03 40 01 69 40 01", NTCP_E_XML_RECORD); /* no EndElement in the array */
    CHECK_ERR("03 40 01 69 01 8b 01 0000", NTCP_E_XML_RECORD); /* array as root */
    CHECK_ERR("40 ff ff ff ff 0f", NTCP_E_VARINT);
    CHECK_ERR("40 01 76 a4 a4 a6 a6 01", NTCP_E_XML_RECORD);  /* nested list */
    CHECK_ERR("40 01 76 a6 01", NTCP_E_XML_RECORD);           /* EndList alone */
    CHECK_ERR("40 01 76 bd 1a 0e", NTCP_E_MALFORMED);         /* QName prefix index 26 */
    CHECK_ERR("40 01 76 09 00 01 76 01", NTCP_E_MALFORMED);   /* xmlns with an empty prefix */
    /* what text XML cannot carry: bad UTF-8, markup in names, "--" in comments */
    CHECK_ERR("40 01 76 99 02 c3 28", NTCP_E_MALFORMED);      /* bad continuation byte */
    CHECK_ERR("40 01 76 99 02 c0 80", NTCP_E_MALFORMED);      /* overlong NUL */
    CHECK_ERR("40 01 76 99 03 ed a0 80", NTCP_E_MALFORMED);   /* UTF-16 surrogate */
    CHECK_ERR("40 01 76 99 01 e2", NTCP_E_MALFORMED);         /* cut sequence */
    CHECK_ERR("40 02 3c61 01", NTCP_E_MALFORMED);             /* '<' in a name */
    CHECK_ERR("40 02 6120 01", NTCP_E_MALFORMED);             /* space in a name */
    CHECK_ERR("02 04 612d2d62 40 01 76 01", NTCP_E_MALFORMED); /* "--" in a comment */
    CHECK_ERR("02 02 612d 40 01 76 01", NTCP_E_MALFORMED);    /* comment ends in '-' */
}

TEST(xml_limits)
{
    /* depth: 32 nested elements are fine, 33 are not */
    char hex[4096] = "";
    for (int i = 0; i < 33; i++)
        strcat(hex, "40 01 65 ");
    for (int i = 0; i < 33; i++)
        strcat(hex, "01 ");
    CHECK_ERR(hex, NTCP_E_XML_DEPTH);
    hex[0] = 0;
    for (int i = 0; i < 32; i++)
        strcat(hex, "40 01 65 ");
    for (int i = 0; i < 32; i++)
        strcat(hex, "01 ");
    ntcp_buf out;
    ntcp_buf_init(&out, SIZE_MAX);
    CHECK_EQ_INT(decode_hex(hex, NULL, NULL, &out), NTCP_OK);
    ntcp_buf_free(&out);

    /* string content: 8192 bytes are fine, 8193 are not (Chars16) */
    ntcp_buf doc;
    ntcp_buf_init(&doc, SIZE_MAX);
    for (int pass = 0; pass < 2; pass++) {
        uint16_t n = pass ? 8193 : 8192;
        ntcp_buf_reset(&doc);
        CHECK_EQ_INT(ntcp_buf_append(&doc, "\x40\x01v\x9b", 4), NTCP_OK);
        CHECK_EQ_INT(ntcp_buf_put_u16le(&doc, n), NTCP_OK);
        for (int i = 0; i < n; i++)
            CHECK_EQ_INT(ntcp_buf_put_u8(&doc, 'x'), NTCP_OK);
        ntcp_buf_init(&out, SIZE_MAX);
        CHECK_EQ_INT(ntcp_xml_to_text(doc.data, doc.len, NULL, NULL, &out), pass ? NTCP_E_XML_STRING_TOO_LONG : NTCP_OK);
        ntcp_buf_free(&out);
    }
    ntcp_buf_free(&doc);

    /* array length: 16385 items refused before the data is read */
    CHECK_ERR("40 01 72 03 40 01 69 01 b5 81 80 01", NTCP_E_XML_ARRAY_TOO_LONG);

    /* attributes per element, name length, document size: configurable */
    ntcp_xml_text_options opt;
    ntcp_xml_text_options_init(&opt);
    opt.indent = 0;
    opt.limits.max_attributes = 2;
    ntcp_buf_init(&out, SIZE_MAX);
    CHECK_EQ_INT(decode_hex("40 01 61 04 01 62 80 04 01 63 80 01", NULL, &opt, &out), NTCP_OK);
    CHECK_EQ_INT(decode_hex("40 01 61 04 01 62 80 04 01 63 80 04 01 64 80 01", NULL, &opt, &out),
                 NTCP_E_XML_TOO_MANY_ATTRIBUTES);
    ntcp_xml_limits_init(&opt.limits);
    opt.limits.max_name_chars = 3;
    CHECK_EQ_INT(decode_hex("40 03 616263 01", NULL, &opt, &out), NTCP_OK);
    CHECK_EQ_INT(decode_hex("40 04 61626364 01", NULL, &opt, &out), NTCP_E_XML_NAME_TOO_LONG);
    ntcp_xml_limits_init(&opt.limits);
    opt.limits.max_size = 4;
    CHECK_EQ_INT(decode_hex("40 01 61 01", NULL, &opt, &out), NTCP_OK);
    CHECK_EQ_INT(decode_hex("40 02 6161 01", NULL, &opt, &out), NTCP_E_XML_TOO_LARGE);
    ntcp_buf_free(&out);

    /* writer side: depth, string length, attributes, size */
    ntcp_xml_writer_options wo;
    ntcp_xml_writer_options_init(&wo);
    wo.session_policy = 0;
    wo.is_candidate = NULL;
    wo.candidate_ctx = NULL;
    wo.limits.max_depth = 2;
    wo.limits.max_string_len = 4;
    wo.limits.max_attributes = 1;
    wo.limits.max_size = 64;
    ntcp_xml_writer *w;
    CHECK_EQ_INT(ntcp_xml_writer_new(&w, &wo, NULL), NTCP_OK);
    ntcp_xml_name nm = { { "", 0 }, { "e", 1 }, NTCP_XML_INLINE, 0 };
    CHECK_EQ_INT(ntcp_xml_writer_start_element(w, &nm), NTCP_OK);
    ntcp_xml_attr at = { false, { { "", 0 }, { "x", 1 }, NTCP_XML_INLINE, 0 }, { .type = NTCP_XV_EMPTY } };
    CHECK_EQ_INT(ntcp_xml_writer_attribute(w, &at), NTCP_OK);
    CHECK_EQ_INT(ntcp_xml_writer_attribute(w, &at), NTCP_E_XML_TOO_MANY_ATTRIBUTES);
    CHECK_EQ_INT(ntcp_xml_writer_start_element(w, &nm), NTCP_OK);
    CHECK_EQ_INT(ntcp_xml_writer_start_element(w, &nm), NTCP_E_XML_DEPTH);
    CHECK_EQ_INT(ntcp_xml_writer_text(w, "abcde", 5), NTCP_E_XML_STRING_TOO_LONG);
    CHECK_EQ_INT(ntcp_xml_writer_text(w, "abcd", 4), NTCP_OK);
    int refused = 0;
    for (int i = 0; i < 20; i++)
        refused += ntcp_xml_writer_text(w, "abcd", 4) == NTCP_E_XML_TOO_LARGE;
    CHECK(refused > 0);
    CHECK_EQ_INT(ntcp_xml_writer_text(w, "abcd", 4), NTCP_E_XML_TOO_LARGE);
    ntcp_xml_writer_free(w);
}

TEST(xml_session_table_rules)
{
    ntcp_xml_session *s;
    CHECK_EQ_INT(ntcp_xml_session_new(&s, 0), NTCP_OK);
    size_t off, n;
    /* PROTOCOLS.md 5 example: one 26-byte string, key 0x01 */
    uint8_t *p = ntcp_test_hex("1b 1a 687474703a2f2f74656d707572692e6f72672f49532f4563686f"
                               "40 01 61 ab 01", &n);
    CHECK_EQ_INT(ntcp_xml_session_read_table(s, p, n, &off), NTCP_OK);
    CHECK_EQ_INT(off, 28);
    CHECK_EQ_INT(ntcp_xml_session_used(s), 27);
    ntcp_buf out;
    ntcp_buf_init(&out, SIZE_MAX);
    ntcp_xml_text_options opt;
    ntcp_xml_text_options_init(&opt);
    opt.indent = 0;
    CHECK_EQ_INT(ntcp_xml_to_text(p + off, n - off, s, &opt, &out), NTCP_OK);
    CHECK_BYTES(out.data, out.len, "<a>http://tempuri.org/IS/Echo</a>", 33);
    CHECK_EQ_INT(ntcp_xml_session_key(s, "http://tempuri.org/IS/Echo", 26), 1);
    free(p);
    /* an empty table */
    p = ntcp_test_hex("00 40 01 61 01", &n);
    CHECK_EQ_INT(ntcp_xml_session_read_table(s, p, n, &off), NTCP_OK);
    CHECK_EQ_INT(off, 1);
    free(p);
    /* table larger than the message; string past the table; no size at all */
    p = ntcp_test_hex("05 02 6162", &n);
    CHECK_EQ_INT(ntcp_xml_session_read_table(s, p, n, &off), NTCP_E_MALFORMED);
    free(p);
    p = ntcp_test_hex("02 05 6162 40 01 61 01", &n);
    CHECK_EQ_INT(ntcp_xml_session_read_table(s, p, n, &off), NTCP_E_MALFORMED);
    free(p);
    CHECK_EQ_INT(ntcp_xml_session_read_table(s, (const uint8_t *)"", 0, &off), NTCP_E_TRUNCATED);
    CHECK_EQ_INT(ntcp_xml_session_count(s), 1); /* failures left it unchanged */
    /* an unknown session key */
    ntcp_buf_reset(&out);
    p = ntcp_test_hex("42 03 01", &n);
    CHECK_EQ_INT(ntcp_xml_to_text(p, n, s, &opt, &out), NTCP_E_XML_UNKNOWN_KEY);
    free(p);
    /* MaxSessionSize: cumulative, prefixes included. 27 used; 2021 more fit, 2022 do not */
    ntcp_buf t;
    ntcp_buf_init(&t, SIZE_MAX);
    /* 2021 bytes = prefix(2) + 2019 */
    CHECK_EQ_INT(ntcp_buf_put_varint(&t, 2021), NTCP_OK);
    CHECK_EQ_INT(ntcp_buf_put_varint(&t, 2019), NTCP_OK);
    for (int i = 0; i < 2019; i++)
        CHECK_EQ_INT(ntcp_buf_put_u8(&t, (uint8_t)('a' + i % 26)), NTCP_OK);
    CHECK_EQ_INT(ntcp_buf_append(&t, "\x40\x01q\x01", 4), NTCP_OK);
    ntcp_xml_session *s2;
    CHECK_EQ_INT(ntcp_xml_session_new(&s2, 0), NTCP_OK);
    p = ntcp_test_hex("1b 1a 687474703a2f2f74656d707572692e6f72672f49532f4563686f 40 01 61 01", &n);
    CHECK_EQ_INT(ntcp_xml_session_read_table(s2, p, n, &off), NTCP_OK);
    CHECK_EQ_INT(ntcp_xml_session_read_table(s2, t.data, t.len, &off), NTCP_OK);
    CHECK_EQ_INT(ntcp_xml_session_used(s2), 2048);
    uint8_t one[] = { 0x02, 0x01, 'z', 0x40, 0x01, 'q', 0x01 };
    CHECK_EQ_INT(ntcp_xml_session_read_table(s2, one, sizeof one, &off), NTCP_E_XML_SESSION_TOO_LARGE);
    ntcp_xml_session_reset(s2);
    CHECK_EQ_INT(ntcp_xml_session_read_table(s2, one, sizeof one, &off), NTCP_OK);
    CHECK_EQ_INT(ntcp_xml_session_string(s2, 1, NULL)[0], 'z');
    free(p);
    ntcp_buf_free(&t);
    ntcp_buf_free(&out);
    ntcp_xml_session_free(s);
    ntcp_xml_session_free(s2);
}

TEST(xml_writer_choices)
{
    ntcp_xml_session *s;
    CHECK_EQ_INT(ntcp_xml_session_new(&s, 0), NTCP_OK);
    ntcp_xml_writer *w;
    CHECK_EQ_INT(ntcp_xml_writer_new(&w, NULL, s), NTCP_OK);
    static const struct {
        const char *text, *hex;
    } t[] = {
        { "0", "81" }, { "1", "83" }, { "-1", "89ff" }, { "127", "897f" }, { "128", "8b8000" },
        { "-32769", "8dff7fffff" }, { "2147483648", "8f0000008000000000" },
        { "9223372036854775807", "8fffffffffffffff7f" }, { "9223372036854775808", "9913" "39323233333732303336383534373735383038" },
        { "01", "99023031" }, { "-0", "99022d30" }, { "+1", "99022b31" }, { "true", "87" }, { "false", "85" },
        { "", "a9" }, { "Body", "ab0e" }, { "urn:uuid:5c5e9fe6-5976-4f89-9362-1d9c076a0874", "ade69f5e5c7659894f93621d9c076a0874" },
        { "urn:uuid:5C5E9FE6-5976-4f89-9362-1d9c076a0874", "992d75726e3a757569643a35433545394645362d353937362d346638392d393336322d316439633037366130383734" },
        { "http://www.w3.org/2005/08/addressing/anonymous", "ab14" },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        ntcp_xml_name nm = { { "", 0 }, { "v", 1 }, NTCP_XML_INLINE, 0 };
        CHECK_EQ_INT(ntcp_xml_writer_start_element(w, &nm), NTCP_OK);
        CHECK_EQ_INT(ntcp_xml_writer_text(w, t[i].text, strlen(t[i].text)), NTCP_OK);
        CHECK_EQ_INT(ntcp_xml_writer_end_element(w), NTCP_OK);
        size_t n, wl;
        const uint8_t *d = ntcp_xml_writer_data(w, &n);
        uint8_t *want = ntcp_test_hex(t[i].hex, &wl);
        CHECK(n >= 3);
        if (n >= 3)
            CHECK_BYTES(d + 3, n - 3, want, wl);
        free(want);
        ntcp_xml_writer_reset(w);
    }
    /* Chars8/16/32 by length */
    char *big = malloc(70000);
    memset(big, 'x', 70000);
    ntcp_xml_writer_options wo;
    ntcp_xml_writer_options_init(&wo);
    wo.session_policy = 0;
    wo.is_candidate = NULL;
    wo.candidate_ctx = NULL;
    wo.limits.max_string_len = 70000;
    wo.limits.max_size = 1 << 20;
    ntcp_xml_writer *w2;
    CHECK_EQ_INT(ntcp_xml_writer_new(&w2, &wo, NULL), NTCP_OK);
    static const struct {
        size_t len;
        uint8_t rec;
    } lens[] = { { 255, 0x99 }, { 256, 0x9B }, { 65535, 0x9B }, { 65536, 0x9D } };
    for (size_t i = 0; i < 4; i++) {
        ntcp_xml_name nm = { { "", 0 }, { "v", 1 }, NTCP_XML_INLINE, 0 };
        CHECK_EQ_INT(ntcp_xml_writer_start_element(w2, &nm), NTCP_OK);
        CHECK_EQ_INT(ntcp_xml_writer_text(w2, big, lens[i].len), NTCP_OK);
        CHECK_EQ_INT(ntcp_xml_writer_end_element(w2), NTCP_OK);
        size_t n;
        const uint8_t *d = ntcp_xml_writer_data(w2, &n);
        CHECK_EQ_INT(d[3], lens[i].rec);
        ntcp_xml_writer_reset(w2);
    }
    free(big);
    ntcp_xml_writer_free(w2);

    /* names: static key, prefix letters, session for candidates, inline otherwise */
    ntcp_xml_name env = { { "s", 1 }, { "Envelope", 8 }, NTCP_XML_KEY_AUTO, 0 };
    ntcp_xml_name own = { { "", 0 }, { "Echo", 4 }, NTCP_XML_KEY_AUTO, 0 };
    ntcp_xml_name pre = { { "ab", 2 }, { "Body", 4 }, NTCP_XML_KEY_AUTO, 0 };
    CHECK_EQ_INT(ntcp_xml_writer_start_element(w, &env), NTCP_OK);
    ntcp_xml_attr x = { true, { { "s", 1 }, { "http://www.w3.org/2003/05/soap-envelope", 39 }, NTCP_XML_KEY_AUTO, 0 }, { 0 } };
    CHECK_EQ_INT(ntcp_xml_writer_attribute(w, &x), NTCP_OK);
    CHECK_EQ_INT(ntcp_xml_writer_start_element(w, &own), NTCP_OK);
    ntcp_xml_attr y = { true, { { "", 0 }, { "urn:x", 5 }, NTCP_XML_KEY_AUTO, 0 }, { 0 } };
    CHECK_EQ_INT(ntcp_xml_writer_attribute(w, &y), NTCP_OK);
    CHECK_EQ_INT(ntcp_xml_writer_start_element(w, &pre), NTCP_OK);
    CHECK_EQ_INT(ntcp_xml_writer_end_element(w), NTCP_OK);
    CHECK_EQ_INT(ntcp_xml_writer_end_element(w), NTCP_OK);
    CHECK_EQ_INT(ntcp_xml_writer_end_element(w), NTCP_OK);
    ntcp_buf out;
    ntcp_buf_init(&out, SIZE_MAX);
    CHECK_EQ_INT(ntcp_xml_writer_finish(w, &out), NTCP_OK);
    size_t wl;
    uint8_t *want = ntcp_test_hex("0b 04 4563686f 05 75726e3a78"   /* table: Echo, urn:x */
                                  "56 02 0b 01 73 04 42 01 0a 03 43 02 6162 0e 01 01 01", &wl);
    CHECK_BYTES(out.data, out.len, want, wl);
    free(want);
    /* the next message reuses them: empty table */
    ntcp_buf_reset(&out);
    CHECK_EQ_INT(ntcp_xml_writer_start_element(w, &own), NTCP_OK);
    CHECK_EQ_INT(ntcp_xml_writer_end_element(w), NTCP_OK);
    CHECK_EQ_INT(ntcp_xml_writer_finish(w, &out), NTCP_OK);
    CHECK_BYTES(out.data, out.len, "\x00\x42\x01\x01", 4);
    /* unbalanced documents cannot be finished */
    CHECK_EQ_INT(ntcp_xml_writer_finish(w, &out), NTCP_E_STATE);
    CHECK_EQ_INT(ntcp_xml_writer_start_element(w, &own), NTCP_OK);
    CHECK_EQ_INT(ntcp_xml_writer_finish(w, &out), NTCP_E_STATE);
    ntcp_buf_free(&out);
    ntcp_xml_writer_free(w);
    ntcp_xml_session_free(s);
}

TEST(xml_writer_session_budget)
{
    ntcp_xml_session *s;
    CHECK_EQ_INT(ntcp_xml_session_new(&s, 0), NTCP_OK);
    /* 2048 bytes: 16 strings of 127 bytes + 1-byte prefix = 2048 exactly */
    char str[127];
    for (int i = 0; i < 16; i++) {
        memset(str, 'a' + i, 127);
        CHECK_EQ_INT(ntcp_xml_session_add(s, str, 127), 2 * i + 1);
    }
    CHECK_EQ_INT(ntcp_xml_session_used(s), 2048);
    CHECK_EQ_INT(ntcp_xml_session_add(s, "q", 1), -1);
    memset(str, 'a', 127);
    CHECK_EQ_INT(ntcp_xml_session_add(s, str, 127), 1); /* known strings still resolve */
    /* the writer then writes new names inline */
    ntcp_xml_writer *w;
    CHECK_EQ_INT(ntcp_xml_writer_new(&w, NULL, s), NTCP_OK);
    ntcp_xml_name nm = { { "", 0 }, { "q", 1 }, NTCP_XML_KEY_AUTO, 0 };
    CHECK_EQ_INT(ntcp_xml_writer_start_element(w, &nm), NTCP_OK);
    CHECK_EQ_INT(ntcp_xml_writer_end_element(w), NTCP_OK);
    size_t n;
    const uint8_t *d = ntcp_xml_writer_data(w, &n);
    CHECK_BYTES(d, n, "\x40\x01q\x01", 4);
    ntcp_xml_writer_free(w);
    ntcp_xml_session_free(s);
}

/* shared/PROTOCOLS.md 5: the illustrative first payload (one session
 * string, key 0x01, used by DictionaryTextWithEndElement "AB 01"), then a
 * second payload in the same direction with an empty table reusing it. */
TEST(xml_protocols_session_example)
{
    ntcp_xml_session *s;
    CHECK_EQ_INT(ntcp_xml_session_new(&s, 0), NTCP_OK);
    size_t n;
    uint8_t *p = ntcp_test_hex("1b 1a 687474703a2f2f74656d707572692e6f72672f49532f4563686f"
                               "56 02 0b 01 73 04 0b 01 61 06 56 08 44 0a 1e 00 82 ab 01 01 56 0e 01 01",
                               &n);
    ntcp_buf out;
    ntcp_buf_init(&out, SIZE_MAX);
    ntcp_xml_text_options opt;
    ntcp_xml_text_options_init(&opt);
    opt.indent = 0;
    CHECK_EQ_INT(ntcp_xml_session_decode_to_text(p, n, s, &opt, &out), NTCP_OK);
    const char *want = "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
                       "xmlns:a=\"http://www.w3.org/2005/08/addressing\"><s:Header>"
                       "<a:Action s:mustUnderstand=\"1\">http://tempuri.org/IS/Echo</a:Action></s:Header>"
                       "<s:Body/></s:Envelope>";
    CHECK_BYTES(out.data, out.len, want, strlen(want));
    free(p);
    p = ntcp_test_hex("00 56 02 0b 01 73 04 0b 01 61 06 56 08 44 0a 1e 00 82 ab 01 01 56 0e 01 01", &n);
    ntcp_buf_reset(&out);
    CHECK_EQ_INT(ntcp_xml_session_decode_to_text(p, n, s, &opt, &out), NTCP_OK);
    CHECK_BYTES(out.data, out.len, want, strlen(want));
    free(p);

    /* the writer makes the same payload from the text, with Action text as a session string */
    ntcp_xml_session *ws;
    ntcp_xml_writer *w;
    CHECK_EQ_INT(ntcp_xml_session_new(&ws, 0), NTCP_OK);
    CHECK_EQ_INT(ntcp_xml_writer_new(&w, NULL, ws), NTCP_OK);
    ntcp_buf bin;
    ntcp_buf_init(&bin, SIZE_MAX);
    /* the text header order puts Action at depth 3, so the addressing policy applies */
    CHECK_EQ_INT(ntcp_xml_from_text(want, strlen(want), w, &bin), NTCP_OK);
    p = ntcp_test_hex("1b 1a 687474703a2f2f74656d707572692e6f72672f49532f4563686f"
                      "56 02 0b 01 73 04 0b 01 61 06 56 08 44 0a 1e 00 82 ab 01 01 56 0e 01 01",
                      &n);
    CHECK_BYTES(bin.data, bin.len, p, n);
    free(p);
    ntcp_buf_free(&bin);
    ntcp_buf_free(&out);
    ntcp_xml_writer_free(w);
    ntcp_xml_session_free(ws);
    ntcp_xml_session_free(s);
}

static bool only_namespaces(void *ctx, int kind, const char *s, size_t len)
{
    (*(int *)ctx)++;
    return kind == 1;
}

/* A caller callback decides which strings become session strings. */
TEST(xml_writer_candidate_callback)
{
    ntcp_xml_session *s;
    CHECK_EQ_INT(ntcp_xml_session_new(&s, 0), NTCP_OK);
    int calls = 0;
    ntcp_xml_writer_options wo;
    ntcp_xml_writer_options_init(&wo);
    wo.session_policy = NTCP_XML_SESSION_DEFAULT;
    wo.is_candidate = only_namespaces;
    wo.candidate_ctx = &calls;
    ntcp_xml_writer *w;
    CHECK_EQ_INT(ntcp_xml_writer_new(&w, &wo, s), NTCP_OK);
    const char *text = "<Echo xmlns=\"urn:x\"><text>hi</text></Echo>";
    ntcp_buf out;
    ntcp_buf_init(&out, SIZE_MAX);
    CHECK_EQ_INT(ntcp_xml_from_text(text, strlen(text), w, &out), NTCP_OK);
    size_t n;
    uint8_t *want = ntcp_test_hex("06 05 75726e3a78 40 04 4563686f 0a 01 40 04 74657874 99 02 6869 01", &n);
    CHECK_BYTES(out.data, out.len, want, n);
    CHECK_EQ_INT(calls, 3); /* Echo, urn:x, text */
    free(want);
    ntcp_buf_free(&out);
    ntcp_xml_writer_free(w);
    ntcp_xml_session_free(s);
}

/* Found by fuzzing: libxml2 passes an overlong UTF-8 form (C1 A2) through,
 * and the writer wrote what our reader (and .NET) refuses as ill-formed. */
TEST(xml_from_text_refuses_ill_formed_utf8)
{
    static const char *const bad[] = { "<a><![CDATA[\xc1\xa2]]></a>", "<a>x\xc1\xa2</a>", "<a b=\"\xc1\xa2\"/>",
                                       "<a><!--\xc1\xa2--></a>" };
    ntcp_xml_writer *w;
    CHECK_EQ_INT(ntcp_xml_writer_new(&w, NULL, NULL), NTCP_OK);
    ntcp_buf out;
    ntcp_buf_init(&out, 1 << 20);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ntcp_xml_writer_reset(w);
        ntcp_buf_reset(&out);
        CHECK_EQ_INT(ntcp_xml_from_text(bad[i], strlen(bad[i]), w, &out), NTCP_E_XML_SYNTAX);
        ntcp_xml_writer_reset(w);
        ntcp_xml_name body = { { "", 0 }, { "Body", 4 }, NTCP_XML_KEY_AUTO, 0 };
        CHECK_EQ_INT(ntcp_xml_writer_start_element(w, &body), NTCP_OK);
        CHECK_EQ_INT(ntcp_xml_writer_text_xml(w, bad[i], strlen(bad[i])), NTCP_E_XML_SYNTAX);
    }
    /* well-formed multi-byte text still goes through, and reads back */
    const char *good = "<a b=\"\xc3\xa9\">\xe2\x82\xac\xf0\x9f\x98\x80</a>";
    ntcp_xml_writer_reset(w);
    ntcp_buf_reset(&out);
    CHECK_EQ_INT(ntcp_xml_from_text(good, strlen(good), w, &out), NTCP_OK);
    ntcp_buf text;
    ntcp_buf_init(&text, 1 << 20);
    ntcp_xml_text_options opt;
    ntcp_xml_text_options_init(&opt);
    opt.indent = 0;
    CHECK_EQ_INT(ntcp_xml_to_text(out.data, out.len, NULL, &opt, &text), NTCP_OK);
    CHECK_BYTES(text.data, text.len, good, strlen(good));
    ntcp_buf_free(&text);
    ntcp_buf_free(&out);
    ntcp_xml_writer_free(w);
}

TEST(xml_status_codes_are_described)
{
    static const int codes[] = { NTCP_E_XML_RECORD, NTCP_E_XML_DEPTH, NTCP_E_XML_STRING_TOO_LONG,
                                 NTCP_E_XML_ARRAY_TOO_LONG, NTCP_E_XML_NAME_TOO_LONG,
                                 NTCP_E_XML_TOO_MANY_ATTRIBUTES, NTCP_E_XML_TOO_LARGE,
                                 NTCP_E_XML_SESSION_TOO_LARGE, NTCP_E_XML_UNKNOWN_KEY, NTCP_E_XML_SYNTAX };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        CHECK(strncmp(ntcp_status_name(codes[i]), "xml_", 4) == 0);
        CHECK(strlen(ntcp_status_advice(codes[i])) > 0);
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(ntcp_status_name(codes[i]), ntcp_status_name(codes[j])) != 0);
    }
    CHECK_EQ_INT(ntcp_status_category(NTCP_E_XML_DEPTH), NTCP_CAT_QUOTA);
    CHECK_EQ_INT(ntcp_status_category(NTCP_E_XML_SESSION_TOO_LARGE), NTCP_CAT_QUOTA);
    CHECK_EQ_INT(ntcp_status_category(NTCP_E_XML_UNKNOWN_KEY), NTCP_CAT_PROTOCOL);
}

/* Writes <Body>text</Body> through the fast path (fast) or libxml2's. */
static ntcp_status fast_or_libxml2(const char *text, bool fast, ntcp_buf *out)
{
    ntcp_xml_session *s;
    ntcp_xml_writer *w;
    if (ntcp_xml_session_new(&s, 2048) || ntcp_xml_writer_new(&w, NULL, s))
        return NTCP_E_NOMEM;
    ntcp_xml_name body = { { "s", 1 }, { "Body", 4 }, NTCP_XML_KEY_AUTO, 0 };
    ntcp_status st = ntcp_xml_writer_start_element(w, &body);
    if (!st)
        st = fast ? ntcp__xml_text_fast(w, text, strlen(text)) : NTCP_OK;
    if (!fast && !st) {
        ntcp__xml_text_fast_off = true;
        st = ntcp_xml_writer_text_xml(w, text, strlen(text));
        ntcp__xml_text_fast_off = false;
    }
    if (!st)
        st = ntcp_xml_writer_end_element(w);
    if (!st)
        st = ntcp_xml_writer_finish(w, out);
    ntcp_xml_writer_free(w);
    ntcp_xml_session_free(s);
    return st;
}

/* The simple fragments calls send skip libxml2 and come out as libxml2's
 * path writes them, byte for byte (session strings included); anything the
 * fast path does not know is left to libxml2 with nothing written. */
TEST(xml_text_fast_path_matches_libxml2)
{
    static const char *const fast[] = {
        "<Echo xmlns=\"http://tempuri.org/\"><text>0000000000000000000000000000000000000000</text></Echo>",
        "<p:Add xmlns:p=\"urn:calc\" p:x=\"1\" y='2'><p:a>1.5</p:a><p:b/><c ></c></p:Add>",
        "<a xmlns=\"urn:one\" xmlns:b=\"urn:two\"><b:c>urn:uuid:0d3b8c2a-1f4e-4c5d-9a6b-7e8f9a0b1c2d</b:c>"
        "<d>true</d><e>-42</e><f>x > y</f></a>",
        "text <a y=\"q>r\" z=\"\">x</a> tail",
        "<a\n b=\"1\"\t/>",
    };
    static const char *const slow[] = {
        "<a>x &amp; y</a>",                  /* a reference */
        "<a>\n  <b>t</b>\n</a>",             /* blank text */
        "<a><![CDATA[x]]></a>",              /* CDATA */
        "<a><!--c--></a>",                   /* a comment */
        "<a b=\"1\" b=\"2\"/>",              /* a duplicate attribute: libxml2 refuses it */
        "<a xmlns:p=\"urn:x\"><q:b/></a>",    /* an undeclared prefix */
        "<a xmlns:b=\"not a uri\"/>",        /* a namespace name xmlParseURI refuses */
        "<a xml:lang=\"en\"/>",              /* the xml prefix */
        "<a>\xc3\xa9</a>",                   /* not ASCII */
        "<a>]]></a>",                        /* "]]>" in text */
        "<a b=\"x\ty\"/>",                   /* white space an attribute value normalises */
        "<a>x\r\ny</a>",                     /* a carriage return */
        "<a></b>",                           /* mismatched */
        "<a>",                               /* unclosed */
    };
    for (size_t i = 0; i < sizeof fast / sizeof fast[0]; i++) {
        ntcp_buf a, b;
        ntcp_buf_init(&a, 1 << 20);
        ntcp_buf_init(&b, 1 << 20);
        CHECK_EQ_INT(fast_or_libxml2(fast[i], true, &a), NTCP_OK);
        CHECK_EQ_INT(fast_or_libxml2(fast[i], false, &b), NTCP_OK);
        CHECK_BYTES(a.data, a.len, b.data, b.len);
        ntcp_buf_free(&a);
        ntcp_buf_free(&b);
    }
    for (size_t i = 0; i < sizeof slow / sizeof slow[0]; i++) {
        ntcp_xml_writer *w;
        CHECK_EQ_INT(ntcp_xml_writer_new(&w, NULL, NULL), NTCP_OK);
        ntcp_xml_name body = { { "", 0 }, { "Body", 4 }, NTCP_XML_KEY_AUTO, 0 };
        CHECK_EQ_INT(ntcp_xml_writer_start_element(w, &body), NTCP_OK);
        size_t before;
        ntcp_xml_writer_data(w, &before);
        CHECK_EQ_INT(ntcp__xml_text_fast(w, slow[i], strlen(slow[i])), NTCP_E_UNSUPPORTED);
        size_t after;
        ntcp_xml_writer_data(w, &after);
        CHECK_EQ_INT((int)after, (int)before);
        ntcp_xml_writer_free(w);
    }
}

/* Text and attribute values are escaped byte for byte wherever the special
 * byte stands (escape() skips plain bytes eight at a time). */
TEST(xml_to_text_escapes_at_every_position)
{
    static const char specials[] = { '&', '<', '>', '"', '\t', '\n', '\r', 0x01, 0x1f };
    for (size_t k = 0; k < sizeof specials; k++)
        for (size_t pos = 0; pos < 20; pos++) {
            char v[21];
            memset(v, 'x', 20);
            v[pos] = specials[k];
            v[20] = 0;
            char want[256] = "", esc_text[64] = "", esc_attr[64] = "";
            for (int attr = 0; attr < 2; attr++) {
                char *o = attr ? esc_attr : esc_text;
                for (size_t i = 0; i < 20; i++) {
                    char c = v[i];
                    const char *rep = c == '&' ? "&amp;" : c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '\r' ? "&#xD;"
                                    : c == 0x01 ? "&#x1;" : c == 0x1f ? "&#x1F;"
                                    : attr && c == '"' ? "&quot;" : attr && c == '\t' ? "&#x9;"
                                    : attr && c == '\n' ? "&#xA;" : NULL;
                    size_t l = strlen(o);
                    if (rep)
                        strcpy(o + l, rep);
                    else
                        o[l] = c, o[l + 1] = 0;
                }
            }
            snprintf(want, sizeof want, "<a b=\"%s\">%s</a>", esc_attr, esc_text);
            ntcp_xml_writer *w;
            CHECK_EQ_INT(ntcp_xml_writer_new(&w, NULL, NULL), NTCP_OK);
            ntcp_xml_name a = { { "", 0 }, { "a", 1 }, NTCP_XML_INLINE, 0 };
            ntcp_xml_attr b = { false, { { "", 0 }, { "b", 1 }, NTCP_XML_INLINE, 0 }, { 0 } };
            b.value.type = NTCP_XV_CHARS;
            b.value.s.p = v;
            b.value.s.len = 20;
            ntcp_buf bin, text;
            ntcp_buf_init(&bin, 1 << 16);
            ntcp_buf_init(&text, 1 << 16);
            CHECK_EQ_INT(ntcp_xml_writer_start_element(w, &a), NTCP_OK);
            CHECK_EQ_INT(ntcp_xml_writer_attribute(w, &b), NTCP_OK);
            CHECK_EQ_INT(ntcp_xml_writer_text(w, v, 20), NTCP_OK);
            CHECK_EQ_INT(ntcp_xml_writer_end_element(w), NTCP_OK);
            CHECK_EQ_INT(ntcp_xml_writer_finish(w, &bin), NTCP_OK);
            ntcp_xml_text_options opt;
            ntcp_xml_text_options_init(&opt);
            opt.indent = 0;
            CHECK_EQ_INT(ntcp_xml_to_text(bin.data, bin.len, NULL, &opt, &text), NTCP_OK);
            CHECK_BYTES(text.data, text.len, want, strlen(want));
            ntcp_buf_free(&bin);
            ntcp_buf_free(&text);
            ntcp_xml_writer_free(w);
        }
}

/* Every string keeps its id through the table's growth (up to the most a
 * 2048-byte budget holds: 1024 one-byte strings), a duplicate read from
 * the peer resolves to its first id, and a reset forgets them all. */
TEST(xml_session_lookup_through_growth_and_reset)
{
    ntcp_xml_session *s;
    CHECK_EQ_INT(ntcp_xml_session_new(&s, 0), NTCP_OK);
    for (int round = 0; round < 2; round++) {
        /* 200 distinct strings from the peer, then its copy of string 5 */
        ntcp_buf t;
        ntcp_buf_init(&t, SIZE_MAX);
        uint8_t strs[201][4];
        for (int i = 0; i < 201; i++) {
            int k = i < 200 ? i : 5;
            strs[i][0] = 3;
            strs[i][1] = (uint8_t)('a' + k % 26);
            strs[i][2] = (uint8_t)('a' + k / 26);
            strs[i][3] = (uint8_t)('0' + round);
        }
        CHECK_EQ_INT(ntcp_buf_put_varint(&t, sizeof strs), NTCP_OK);
        CHECK_EQ_INT(ntcp_buf_append(&t, strs, sizeof strs), NTCP_OK);
        size_t off;
        CHECK_EQ_INT(ntcp_xml_session_read_table(s, t.data, t.len, &off), NTCP_OK);
        ntcp_buf_free(&t);
        CHECK_EQ_INT(ntcp_xml_session_count(s), 201);
        for (int i = 0; i < 200; i++)
            CHECK_EQ_INT(ntcp_xml_session_key(s, (const char *)strs[i] + 1, 3), 2 * i + 1);
        /* the writer side adds more, up to the budget (201 * 4 bytes used) */
        int added = 0;
        for (int i = 0; i < 2000; i++) {
            char one[2] = { (char)(i % 200 + 33), (char)(i / 200 + 33) };
            int32_t k = ntcp_xml_session_add(s, one, 2);
            if (k < 0)
                break;
            CHECK_EQ_INT(k, 2 * (201 + i) + 1);
            added++;
        }
        CHECK_EQ_INT(added, (2048 - 201 * 4) / 3);
        for (int i = 0; i < added; i++) {
            char one[2] = { (char)(i % 200 + 33), (char)(i / 200 + 33) };
            CHECK_EQ_INT(ntcp_xml_session_key(s, one, 2), 2 * (201 + i) + 1);
        }
        CHECK_EQ_INT(ntcp_xml_session_key(s, (const char *)strs[0] + 1, 3), 1);
        ntcp_xml_session_reset(s);
        CHECK_EQ_INT(ntcp_xml_session_key(s, (const char *)strs[0] + 1, 3), -1);
        CHECK_EQ_INT(ntcp_xml_session_count(s), 0);
    }
    ntcp_xml_session_free(s);
}
