/* Round trips text -> binary -> text over a corpus of SOAP messages, typed
 * values through every text record, and every prefix of every document
 * (a whole-buffer reader fed "byte by byte": each prefix must fail with a
 * named error, the whole input must give the exact result). */
#include <stdlib.h>
#include <string.h>
#include "test.h"
#include "xml_test_util.h"
#include <nettcp/xml.h>

static const char *corpus[] = {
    /* a request with WS-Addressing headers */
    "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:a=\"http://www.w3.org/2005/08/addressing\">"
    "<s:Header><a:Action s:mustUnderstand=\"1\">http://tempuri.org/ICalc/Add</a:Action>"
    "<a:MessageID>urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e</a:MessageID>"
    "<a:ReplyTo><a:Address>http://www.w3.org/2005/08/addressing/anonymous</a:Address></a:ReplyTo>"
    "<a:To s:mustUnderstand=\"1\">net.tcp://calc.example.com:808/calc</a:To></s:Header>"
    "<s:Body><Add xmlns=\"http://tempuri.org/\"><x>-17</x><y>4294967296</y><z>0</z><w>1</w></Add></s:Body>"
    "</s:Envelope>",
    /* a SOAP 1.2 fault with subcode and detail */
    "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:a=\"http://www.w3.org/2005/08/addressing\">"
    "<s:Header><a:Action s:mustUnderstand=\"1\">http://www.w3.org/2005/08/addressing/fault</a:Action>"
    "<a:RelatesTo>urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e</a:RelatesTo></s:Header>"
    "<s:Body><s:Fault><s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value xmlns:b=\"urn:err\">b:Bad</s:Value>"
    "</s:Subcode></s:Code><s:Reason><s:Text xml:lang=\"en-US\">Division by zero &amp; other &lt;troubles&gt;</s:Text>"
    "</s:Reason><s:Detail><ExceptionDetail xmlns=\"http://schemas.datacontract.org/2004/07/System.ServiceModel\" "
    "xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\"><HelpLink i:nil=\"true\"/><Message>quote \" and "
    "apostrophe '</Message><StackTrace>   at Calc.Div(Int32 a, Int32 b)\n   at line 2\r\n</StackTrace>"
    "</ExceptionDetail></s:Detail></s:Fault></s:Body></s:Envelope>",
    /* repeated elements (what an array becomes in text), empty elements, booleans */
    "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body>"
    "<GetValuesResponse xmlns=\"http://tempuri.org/\"><GetValuesResult xmlns:b=\"http://schemas.microsoft.com/2003/10/Serialization/Arrays\">"
    "<b:int>1</b:int><b:int>2</b:int><b:int>-300</b:int><b:int>70000</b:int><b:int>-9223372036854775808</b:int>"
    "</GetValuesResult><Flags><f>true</f><f>false</f><f/><f></f></Flags></GetValuesResponse></s:Body></s:Envelope>",
    /* non-ASCII text, attributes of every kind, a comment, mixed content, long text */
    "<root xmlns=\"urn:a\" xmlns:p=\"urn:p\" p:attr=\"v&quot;&amp;&lt;\" plain=\"0\" p:n=\"12345\">"
    "<!-- a comment --><p:child>h\xc3\xa9llo w\xc3\xb6rld \xe2\x82\xac \xf0\x9f\x98\x80</p:child>"
    "text before<b>bold</b>text after"
    "<long>xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
    "yyyyyyyyyyyyyyy</long><dict>Envelope</dict><uuidish>urn:uuid:0F8FAD5B-D9CB-469F-A165-70867728950E</uuidish>"
    "<![CDATA[<not markup>]]></root>",
    /* WS-Security style header with long prefixes and dictionary namespaces */
    "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:u=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd\">"
    "<s:Header><o:Security s:mustUnderstand=\"1\" xmlns:o=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd\">"
    "<u:Timestamp u:Id=\"_0\"><u:Created>2024-01-02T03:04:05.123Z</u:Created><u:Expires>2024-01-02T03:09:05.123Z</u:Expires>"
    "</u:Timestamp></o:Security><wsse11:Extra xmlns:wsse11=\"urn:x\">1.5</wsse11:Extra></s:Header><s:Body/></s:Envelope>",
};

/* text -> binary (optionally with a session) -> text; canonical equality, and
 * the binary re-encodes from its node stream to the same bytes. */
static void roundtrip(const char *text, bool session)
{
    ntcp_xml_session *ws = NULL, *rs = NULL;
    if (session) {
        CHECK_EQ_INT(ntcp_xml_session_new(&ws, 0), NTCP_OK);
        CHECK_EQ_INT(ntcp_xml_session_new(&rs, 0), NTCP_OK);
    }
    ntcp_xml_writer *w;
    CHECK_EQ_INT(ntcp_xml_writer_new(&w, NULL, ws), NTCP_OK);
    ntcp_buf bin, out;
    ntcp_buf_init(&bin, SIZE_MAX);
    ntcp_buf_init(&out, SIZE_MAX);
    CHECK_EQ_INT(ntcp_xml_from_text(text, strlen(text), w, &bin), NTCP_OK);
    if (session) {
        CHECK_EQ_INT(ntcp_xml_session_decode_to_text(bin.data, bin.len, rs, NULL, &out), NTCP_OK);
    } else {
        CHECK_EQ_INT(ntcp_xml_to_text(bin.data, bin.len, NULL, NULL, &out), NTCP_OK);
    }
    CHECK(xt_same_xml(text, strlen(text), (char *)out.data, out.len));

    /* every prefix fails with a named error; never a crash, never OK */
    int bad = 0;
    for (size_t k = 0; k < bin.len; k++) {
        uint8_t *p = malloc(k ? k : 1); /* exact-size copy so ASan sees overreads */
        memcpy(p, bin.data, k);
        ntcp_buf t;
        ntcp_buf_init(&t, SIZE_MAX);
        ntcp_status st;
        if (session) {
            ntcp_xml_session *s;
            CHECK_EQ_INT(ntcp_xml_session_new(&s, 0), NTCP_OK);
            st = ntcp_xml_session_decode_to_text(p, k, s, NULL, &t);
            /* inside the table: the table is larger than the message */
            if (!(st == NTCP_E_TRUNCATED || st == NTCP_E_MALFORMED))
                bad++;
            ntcp_xml_session_free(s);
        } else {
            st = ntcp_xml_to_text(p, k, NULL, NULL, &t);
            if (st != NTCP_E_TRUNCATED)
                bad++;
        }
        ntcp_buf_free(&t);
        free(p);
    }
    CHECK_EQ_INT(bad, 0);

    /* node stream re-encode (documents without a session) */
    if (!session) {
        ntcp_xml_reader *r;
        ntcp_xml_writer *w2;
        CHECK_EQ_INT(ntcp_xml_reader_new(&r, NULL, NULL), NTCP_OK);
        CHECK_EQ_INT(ntcp_xml_writer_new(&w2, NULL, NULL), NTCP_OK);
        CHECK_EQ_INT(ntcp_xml_reader_reset(r, bin.data, bin.len), NTCP_OK);
        ntcp_xml_node n;
        while (ntcp_xml_reader_next(r, &n) == NTCP_OK && n.type != NTCP_XML_NODE_EOF)
            CHECK_EQ_INT(ntcp_xml_writer_node(w2, &n), NTCP_OK);
        ntcp_buf enc;
        ntcp_buf_init(&enc, SIZE_MAX);
        CHECK_EQ_INT(ntcp_xml_writer_finish(w2, &enc), NTCP_OK);
        CHECK_BYTES(enc.data, enc.len, bin.data, bin.len);
        ntcp_buf_free(&enc);
        ntcp_xml_writer_free(w2);
        ntcp_xml_reader_free(r);
    }
    ntcp_buf_free(&bin);
    ntcp_buf_free(&out);
    ntcp_xml_writer_free(w);
    ntcp_xml_session_free(ws);
    ntcp_xml_session_free(rs);
}

TEST(xml_roundtrip_corpus)
{
    for (size_t i = 0; i < sizeof corpus / sizeof corpus[0]; i++) {
        roundtrip(corpus[i], false);
        roundtrip(corpus[i], true);
    }
}

/* Session strings persist: the same message twice uses an empty table the
 * second time and decodes with the carried dictionary. */
TEST(xml_roundtrip_session_persists)
{
    ntcp_xml_session *ws, *rs;
    CHECK_EQ_INT(ntcp_xml_session_new(&ws, 0), NTCP_OK);
    CHECK_EQ_INT(ntcp_xml_session_new(&rs, 0), NTCP_OK);
    ntcp_xml_writer *w;
    CHECK_EQ_INT(ntcp_xml_writer_new(&w, NULL, ws), NTCP_OK);
    size_t first_len = 0;
    for (int i = 0; i < 3; i++) {
        ntcp_buf bin, out;
        ntcp_buf_init(&bin, SIZE_MAX);
        ntcp_buf_init(&out, SIZE_MAX);
        CHECK_EQ_INT(ntcp_xml_from_text(corpus[0], strlen(corpus[0]), w, &bin), NTCP_OK);
        if (i == 0) {
            first_len = bin.len;
            CHECK(bin.data[0] != 0);
        } else {
            CHECK_EQ_INT(bin.data[0], 0);
            CHECK(bin.len < first_len);
        }
        CHECK_EQ_INT(ntcp_xml_session_decode_to_text(bin.data, bin.len, rs, NULL, &out), NTCP_OK);
        CHECK(xt_same_xml(corpus[0], strlen(corpus[0]), (char *)out.data, out.len));
        ntcp_buf_free(&bin);
        ntcp_buf_free(&out);
    }
    CHECK_EQ_INT(ntcp_xml_session_count(ws), ntcp_xml_session_count(rs));
    ntcp_xml_writer_free(w);
    ntcp_xml_session_free(ws);
    ntcp_xml_session_free(rs);
}

/* Every text record type written through the API, plus an array: text form,
 * exact re-encode, and text -> binary -> text keeps the text. */
TEST(xml_roundtrip_typed_values)
{
    ntcp_xml_writer *w;
    CHECK_EQ_INT(ntcp_xml_writer_new(&w, NULL, NULL), NTCP_OK);
    ntcp_xml_name root = { { "", 0 }, { "T", 1 }, NTCP_XML_INLINE, 0 };
    ntcp_xml_name item = { { "", 0 }, { "v", 1 }, NTCP_XML_INLINE, 0 };
    CHECK_EQ_INT(ntcp_xml_writer_start_element(w, &root), NTCP_OK);
    ntcp_xml_value vals[20];
    memset(vals, 0, sizeof vals);
    int nv = 0;
    vals[nv++] = (ntcp_xml_value){ .type = NTCP_XV_INT, .u.i = 0 };
    vals[nv++] = (ntcp_xml_value){ .type = NTCP_XV_INT, .u.i = -5000000000LL };
    vals[nv++] = (ntcp_xml_value){ .type = NTCP_XV_UINT64, .u.u = UINT64_MAX };
    vals[nv++] = (ntcp_xml_value){ .type = NTCP_XV_BOOL, .record = 0xB4, .u.i = 1 };
    vals[nv++] = (ntcp_xml_value){ .type = NTCP_XV_BOOL, .u.i = 0 };
    vals[nv++] = (ntcp_xml_value){ .type = NTCP_XV_FLOAT, .u.f = 0.25f };
    vals[nv++] = (ntcp_xml_value){ .type = NTCP_XV_DOUBLE, .u.d = 6.02214076e23 };
    vals[nv++] = (ntcp_xml_value){ .type = NTCP_XV_DATETIME, .u.u = 0x48dc0b3f7ad294d0ULL };
    vals[nv++] = (ntcp_xml_value){ .type = NTCP_XV_TIMESPAN, .u.i = 36000000000LL };
    vals[nv] = (ntcp_xml_value){ .type = NTCP_XV_DECIMAL };
    vals[nv].u.raw[2] = 2, vals[nv].u.raw[8] = 150, nv++;
    vals[nv] = (ntcp_xml_value){ .type = NTCP_XV_UUID };
    for (int i = 0; i < 16; i++)
        vals[nv].u.raw[i] = (uint8_t)(i * 17);
    nv++;
    vals[nv] = vals[nv - 1], vals[nv].type = NTCP_XV_UNIQUEID, nv++;
    vals[nv++] = (ntcp_xml_value){ .type = NTCP_XV_BYTES, .s = { "\x00\xff\x10", 3 } };
    vals[nv++] = (ntcp_xml_value){ .type = NTCP_XV_UTF16, .s = { "h\0i\0", 4 } };
    vals[nv++] = (ntcp_xml_value){ .type = NTCP_XV_CHARS, .s = { "a<b", 3 } };
    vals[nv++] = (ntcp_xml_value){ .type = NTCP_XV_DICT, .key = 0x0E, .s = { "Body", 4 } };
    vals[nv++] = (ntcp_xml_value){ .type = NTCP_XV_QNAME, .key = 0x0E, .s = { "Body", 4 }, .u.i = 18 };
    vals[nv++] = (ntcp_xml_value){ .type = NTCP_XV_EMPTY };
    for (int i = 0; i < nv; i++) {
        CHECK_EQ_INT(ntcp_xml_writer_start_element(w, &item), NTCP_OK);
        CHECK_EQ_INT(ntcp_xml_writer_value(w, &vals[i]), NTCP_OK);
        CHECK_EQ_INT(ntcp_xml_writer_end_element(w), NTCP_OK);
    }
    int32_t ints[3] = { 7, -1, 65536 };
    ntcp_xml_node arr;
    memset(&arr, 0, sizeof arr);
    arr.type = NTCP_XML_NODE_ARRAY;
    arr.name = (ntcp_xml_name){ { "", 0 }, { "i", 1 }, NTCP_XML_INLINE, 0 };
    arr.array_record = 0x8D;
    arr.array_count = 3;
    uint8_t raw[12];
    for (int i = 0; i < 3; i++)
        for (int b = 0; b < 4; b++)
            raw[i * 4 + b] = (uint8_t)((uint32_t)ints[i] >> (8 * b));
    arr.array_data = raw;
    CHECK_EQ_INT(ntcp_xml_writer_node(w, &arr), NTCP_OK);
    CHECK_EQ_INT(ntcp_xml_writer_end_element(w), NTCP_OK);
    ntcp_buf bin, out;
    ntcp_buf_init(&bin, SIZE_MAX);
    ntcp_buf_init(&out, SIZE_MAX);
    CHECK_EQ_INT(ntcp_xml_writer_finish(w, &bin), NTCP_OK);
    ntcp_xml_text_options opt;
    ntcp_xml_text_options_init(&opt);
    opt.indent = 0;
    CHECK_EQ_INT(ntcp_xml_to_text(bin.data, bin.len, NULL, &opt, &out), NTCP_OK);
    const char *want = "<T><v>0</v><v>-5000000000</v><v>18446744073709551615</v><v>true</v><v>false</v>"
                       "<v>0.25</v><v>6.02214076E+23</v><v>2024-01-02T03:04:05.1234Z</v><v>PT1H</v><v>1.50</v>"
                       "<v>33221100-5544-7766-8899-aabbccddeeff</v>"
                       "<v>urn:uuid:33221100-5544-7766-8899-aabbccddeeff</v><v>AP8Q</v><v>hi</v><v>a&lt;b</v>"
                       "<v>Body</v><v>s:Body</v><v></v><i>7</i><i>-1</i><i>65536</i></T>";
    CHECK_BYTES(out.data, out.len, want, strlen(want));
    /* text -> binary -> text keeps every value's text */
    ntcp_buf bin2, out2;
    ntcp_buf_init(&bin2, SIZE_MAX);
    ntcp_buf_init(&out2, SIZE_MAX);
    CHECK_EQ_INT(ntcp_xml_from_text((char *)out.data, out.len, w, &bin2), NTCP_OK);
    CHECK_EQ_INT(ntcp_xml_to_text(bin2.data, bin2.len, NULL, &opt, &out2), NTCP_OK);
    CHECK(xt_same_xml((char *)out2.data, out2.len, want, strlen(want))); /* <v></v> comes back as <v/> */
    /* every prefix of the typed document is truncated */
    int bad = 0;
    for (size_t k = 0; k < bin.len; k++) {
        uint8_t *p = malloc(k ? k : 1);
        memcpy(p, bin.data, k);
        ntcp_buf t;
        ntcp_buf_init(&t, SIZE_MAX);
        bad += ntcp_xml_to_text(p, k, NULL, NULL, &t) != NTCP_E_TRUNCATED;
        ntcp_buf_free(&t);
        free(p);
    }
    CHECK_EQ_INT(bad, 0);
    ntcp_buf_free(&bin);
    ntcp_buf_free(&out);
    ntcp_buf_free(&bin2);
    ntcp_buf_free(&out2);
    ntcp_xml_writer_free(w);
}

/* Every prefix of every captured envelope fails with a named error. */
TEST(xml_vectors_truncated_at_every_offset)
{
    const char *files[] = { "vectors/mono-nettcp-exchange.hex", NTCP_WCF_TRACE };
    for (int f = 0; f < 2; f++) {
        if (f == 1 && ntcp_test_external_missing(NTCP_WCF_TRACE))
            break;
        xt_envelope env[16];
        size_t n = xt_load_envelopes(files[f], env, 16);
        CHECK_EQ_INT(n, 4);
        ntcp_xml_session *carried[2];
        CHECK_EQ_INT(ntcp_xml_session_new(&carried[0], 0), NTCP_OK);
        CHECK_EQ_INT(ntcp_xml_session_new(&carried[1], 0), NTCP_OK);
        int bad = 0;
        for (size_t i = 0; i < n; i++) {
            int d = env[i].to_server ? 0 : 1;
            for (size_t k = 0; k < env[i].len; k++) {
                /* a throwaway copy of the direction's dictionary as it was before this message */
                ntcp_xml_session *s;
                CHECK_EQ_INT(ntcp_xml_session_new(&s, 0), NTCP_OK);
                for (uint32_t j = 0; j < ntcp_xml_session_count(carried[d]); j++) {
                    uint32_t l;
                    const char *str = ntcp_xml_session_string(carried[d], 2 * j + 1, &l);
                    (void)ntcp_xml_session_add(s, str, l);
                }
                uint8_t *p = malloc(k ? k : 1);
                memcpy(p, env[i].payload, k);
                ntcp_buf t;
                ntcp_buf_init(&t, SIZE_MAX);
                ntcp_status st = ntcp_xml_session_decode_to_text(p, k, s, NULL, &t);
                if (st != NTCP_E_TRUNCATED && st != NTCP_E_MALFORMED)
                    bad++;
                ntcp_buf_free(&t);
                free(p);
                ntcp_xml_session_free(s);
            }
            ntcp_buf t;
            ntcp_buf_init(&t, SIZE_MAX);
            CHECK_EQ_INT(ntcp_xml_session_decode_to_text(env[i].payload, env[i].len, carried[d], NULL, &t),
                         NTCP_OK);
            ntcp_buf_free(&t);
        }
        CHECK_EQ_INT(bad, 0);
        ntcp_xml_session_free(carried[0]);
        ntcp_xml_session_free(carried[1]);
        xt_free_envelopes(env, n);
    }
}

TEST(xml_text_input_refuses_dtd_and_entities)
{
    ntcp_xml_writer *w;
    CHECK_EQ_INT(ntcp_xml_writer_new(&w, NULL, NULL), NTCP_OK);
    ntcp_buf out;
    ntcp_buf_init(&out, SIZE_MAX);
    const char *bad[] = {
        "<!DOCTYPE x [<!ENTITY e \"boom\">]><x>&e;</x>",
        "<!DOCTYPE x SYSTEM \"file:///etc/passwd\"><x/>",
        "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;</x>",
        "<x><y></x>",
        "<x>&undefined;</x>",
        "",
        "<a:x/>",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_EQ_INT(ntcp_xml_from_text(bad[i], strlen(bad[i]), w, &out), NTCP_E_XML_SYNTAX);
    CHECK_EQ_INT(out.len, 0);
    /* predefined entities and character references are fine */
    const char *ok = "<x a=\"&#65;&lt;\">&amp;&#x263A;</x>";
    CHECK_EQ_INT(ntcp_xml_from_text(ok, strlen(ok), w, &out), NTCP_OK);
    ntcp_buf t;
    ntcp_buf_init(&t, SIZE_MAX);
    ntcp_xml_text_options opt;
    ntcp_xml_text_options_init(&opt);
    opt.indent = 0;
    CHECK_EQ_INT(ntcp_xml_to_text(out.data, out.len, NULL, &opt, &t), NTCP_OK);
    CHECK_BYTES(t.data, t.len, "<x a=\"A&lt;\">&amp;\xe2\x98\xba</x>", 25);
    ntcp_buf_free(&t);
    ntcp_buf_free(&out);
    ntcp_xml_writer_free(w);
}
