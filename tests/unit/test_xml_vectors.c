/* Binary XML against the captured vectors: nbfs-example, the WCF session
 * trace and the Mono exchange. Decoding carries each direction's session
 * dictionary across messages; re-encoding must give the same bytes. */
#include <stdlib.h>
#include <string.h>
#include "test.h"
#include "xml_test_util.h"
#include <nettcp/soap.h>
#include <nettcp/xml.h>

#define MAXENV 16

TEST(xml_nbfs_example_decodes_to_its_text)
{
    size_t blen, xlen;
    uint8_t *bin = ntcp_test_read_vector("vectors/nbfs-example.bin", &blen);
    char *xml = (char *)ntcp_test_read_vector("vectors/nbfs-example.xml", &xlen);
    CHECK(bin && xml);
    if (!bin || !xml)
        return;
    ntcp_buf out;
    ntcp_buf_init(&out, SIZE_MAX);
    ntcp_xml_text_options opt;
    ntcp_xml_text_options_init(&opt);
    opt.indent = 1;
    CHECK_EQ_INT(ntcp_xml_to_text(bin, blen, NULL, &opt, &out), NTCP_OK);
    /* same indentation style as the file: exact text (the file has no final newline) */
    CHECK_BYTES(out.data, out.len - 1, xml, xlen);
    CHECK(xt_same_xml((char *)out.data, out.len, xml, xlen));

    /* re-encode the node stream: identical bytes */
    ntcp_xml_reader *r;
    ntcp_xml_writer *w;
    CHECK_EQ_INT(ntcp_xml_reader_new(&r, NULL, NULL), NTCP_OK);
    CHECK_EQ_INT(ntcp_xml_writer_new(&w, NULL, NULL), NTCP_OK);
    CHECK_EQ_INT(ntcp_xml_reader_reset(r, bin, blen), NTCP_OK);
    ntcp_xml_node n;
    while (ntcp_xml_reader_next(r, &n) == NTCP_OK && n.type != NTCP_XML_NODE_EOF)
        CHECK_EQ_INT(ntcp_xml_writer_node(w, &n), NTCP_OK);
    CHECK_EQ_INT(n.type, NTCP_XML_NODE_EOF);
    ntcp_buf enc;
    ntcp_buf_init(&enc, SIZE_MAX);
    CHECK_EQ_INT(ntcp_xml_writer_finish(w, &enc), NTCP_OK);
    CHECK_BYTES(enc.data, enc.len, bin, blen);

    /* text -> binary with the writer's own choices gives the same bytes too */
    ntcp_buf_reset(&enc);
    CHECK_EQ_INT(ntcp_xml_from_text(xml, xlen, w, &enc), NTCP_OK);
    CHECK_BYTES(enc.data, enc.len, bin, blen);

    ntcp_buf_free(&enc);
    ntcp_buf_free(&out);
    ntcp_xml_writer_free(w);
    ntcp_xml_reader_free(r);
    free(bin);
    free(xml);
}

/* Decodes every envelope of a vector with per-direction sessions, checks
 * the text against want[i] (when given) and re-encodes byte for byte. */
/* What the SOAP reader must find in each envelope's headers. */
typedef struct soap_want {
    const char *action, *message_id, *relates_to;
} soap_want;

static void decode_reencode(const char *rel, size_t want_count, const char **want_text, const soap_want *infos)
{
    xt_envelope env[MAXENV];
    size_t n = xt_load_envelopes(rel, env, MAXENV);
    CHECK_EQ_INT(n, want_count);
    ntcp_xml_session *rs[2], *ws[2];
    for (int d = 0; d < 2; d++) {
        CHECK_EQ_INT(ntcp_xml_session_new(&rs[d], 0), NTCP_OK);
        CHECK_EQ_INT(ntcp_xml_session_new(&ws[d], 0), NTCP_OK);
    }
    ntcp_xml_reader *r[2];
    ntcp_xml_writer *w[2];
    for (int d = 0; d < 2; d++) {
        CHECK_EQ_INT(ntcp_xml_reader_new(&r[d], NULL, rs[d]), NTCP_OK);
        CHECK_EQ_INT(ntcp_xml_writer_new(&w[d], NULL, ws[d]), NTCP_OK);
    }
    ntcp_xml_session *ts[2], *ss[2]; /* for the text decode and the SOAP reader, their own copies */
    CHECK_EQ_INT(ntcp_xml_session_new(&ts[0], 0), NTCP_OK);
    CHECK_EQ_INT(ntcp_xml_session_new(&ts[1], 0), NTCP_OK);
    CHECK_EQ_INT(ntcp_xml_session_new(&ss[0], 0), NTCP_OK);
    CHECK_EQ_INT(ntcp_xml_session_new(&ss[1], 0), NTCP_OK);
    for (size_t i = 0; i < n; i++) {
        int d = env[i].to_server ? 0 : 1;
        /* text */
        ntcp_buf text;
        ntcp_buf_init(&text, SIZE_MAX);
        ntcp_xml_text_options opt;
        ntcp_xml_text_options_init(&opt);
        opt.indent = 0;
        CHECK_EQ_INT(ntcp_xml_session_decode_to_text(env[i].payload, env[i].len, ts[d], &opt, &text), NTCP_OK);
        ntcp_soap_msg info;
        ntcp_soap_msg_init(&info);
        CHECK_EQ_INT(ntcp_soap_read_session(env[i].payload, env[i].len, ss[d], &opt.limits, NULL, 0, &info), NTCP_OK);
        if (want_text && want_text[i]) {
            CHECK_BYTES(text.data, text.len, want_text[i], strlen(want_text[i]));
            CHECK(xt_same_xml((char *)text.data, text.len, want_text[i], strlen(want_text[i])));
        }
        if (infos) {
            CHECK_EQ_STR(info.action ? info.action : "(none)", infos[i].action);
            if (infos[i].message_id || info.message_id)
                CHECK_EQ_STR(info.message_id ? info.message_id : "(none)", infos[i].message_id ? infos[i].message_id : "(none)");
            if (infos[i].relates_to || info.relates_to)
                CHECK_EQ_STR(info.relates_to ? info.relates_to : "(none)", infos[i].relates_to ? infos[i].relates_to : "(none)");
        }
        ntcp_soap_msg_clear(&info);
        /* indented form is the same document */
        ntcp_buf ind;
        ntcp_buf_init(&ind, SIZE_MAX);
        CHECK_EQ_INT(ntcp_xml_to_text(env[i].payload, 0, NULL, NULL, &ind), NTCP_E_TRUNCATED);
        ntcp_buf_free(&ind);

        /* node stream re-encode: replay the table into the writer's session */
        size_t off;
        uint32_t before = ntcp_xml_session_count(rs[d]);
        CHECK_EQ_INT(ntcp_xml_session_read_table(rs[d], env[i].payload, env[i].len, &off), NTCP_OK);
        for (uint32_t k = before; k < ntcp_xml_session_count(rs[d]); k++) {
            uint32_t sl;
            const char *s = ntcp_xml_session_string(rs[d], 2 * k + 1, &sl);
            CHECK_EQ_INT(ntcp_xml_session_add(ws[d], s, sl), 2 * k + 1);
        }
        CHECK_EQ_INT(ntcp_xml_reader_reset(r[d], env[i].payload + off, env[i].len - off), NTCP_OK);
        ntcp_xml_node node;
        ntcp_status st;
        while ((st = ntcp_xml_reader_next(r[d], &node)) == NTCP_OK && node.type != NTCP_XML_NODE_EOF)
            CHECK_EQ_INT(ntcp_xml_writer_node(w[d], &node), NTCP_OK);
        CHECK_EQ_INT(st, NTCP_OK);
        ntcp_buf enc;
        ntcp_buf_init(&enc, SIZE_MAX);
        CHECK_EQ_INT(ntcp_xml_writer_finish(w[d], &enc), NTCP_OK);
        CHECK_BYTES(enc.data, enc.len, env[i].payload, env[i].len);
        ntcp_buf_free(&enc);
        ntcp_buf_free(&text);
    }
    for (int d = 0; d < 2; d++) {
        ntcp_xml_reader_free(r[d]);
        ntcp_xml_writer_free(w[d]);
        ntcp_xml_session_free(rs[d]);
        ntcp_xml_session_free(ws[d]);
        ntcp_xml_session_free(ts[d]);
        ntcp_xml_session_free(ss[d]);
    }
    xt_free_envelopes(env, n);
}

/* the four envelopes of mono-nettcp-exchange.decoded.txt, in order */
static const char *mono_expected(size_t i, char *file)
{
    size_t k = 0;
    for (char *p = strstr(file, "<s:Envelope"); p; p = strstr(p + 1, "<s:Envelope"), k++)
        if (k == i) {
            char *e = strstr(p, "</s:Envelope>");
            if (e)
                e[strlen("</s:Envelope>")] = 0;
            return p;
        }
    return NULL;
}

TEST(xml_mono_exchange_decodes_and_reencodes)
{
    size_t flen;
    char *file = (char *)ntcp_test_read_vector("vectors/mono-nettcp-exchange.decoded.txt", &flen);
    CHECK(file != NULL);
    if (!file)
        return;
    /* split first, then take the pieces (mono_expected writes terminators) */
    const char *want[4];
    char *copies[4];
    for (size_t i = 0; i < 4; i++) {
        char *c = malloc(flen + 1);
        memcpy(c, file, flen + 1);
        copies[i] = c;
        want[i] = mono_expected(i, c);
        CHECK(want[i] != NULL);
    }
    soap_want infos[4] = {
        { "http://tempuri.org/IEcho/Echo", "urn:uuid:5c5e9fe6-5976-4f89-9362-1d9c076a0874", NULL },
        { "http://tempuri.org/IEcho/EchoResponse", NULL, "urn:uuid:5c5e9fe6-5976-4f89-9362-1d9c076a0874" },
        { "http://tempuri.org/IEcho/Add", "urn:uuid:61dfd633-8f3b-40e1-9ea9-3879d62449a7", NULL },
        { "http://tempuri.org/IEcho/AddResponse", NULL, "urn:uuid:61dfd633-8f3b-40e1-9ea9-3879d62449a7" },
    };
    decode_reencode("vectors/mono-nettcp-exchange.hex", 4, want, infos);
    for (size_t i = 0; i < 4; i++)
        free(copies[i]);
    free(file);
}

TEST(xml_wcf_trace_decodes_and_reencodes)
{
    if (ntcp_test_external_missing(NTCP_WCF_TRACE))
        return;
    soap_want infos[4] = {
        { "http://tempuri.org/IService1/GetData", "urn:uuid:5eb6df4b-aefd-457f-bbfa-26446daf42e0", NULL },
        { "http://tempuri.org/IService1/GetDataResponse", NULL, "urn:uuid:5eb6df4b-aefd-457f-bbfa-26446daf42e0" },
        { "http://tempuri.org/IService1/GetData", "urn:uuid:c62313b1-adb1-4ad9-ad77-18ed0d06f54a", NULL },
        { "http://tempuri.org/IService1/GetDataResponse", NULL, "urn:uuid:c62313b1-adb1-4ad9-ad77-18ed0d06f54a" },
    };
    const char *want[4] = {
        "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
        "xmlns:a=\"http://www.w3.org/2005/08/addressing\"><s:Header>"
        "<a:Action s:mustUnderstand=\"1\">http://tempuri.org/IService1/GetData</a:Action>"
        "<a:MessageID>urn:uuid:5eb6df4b-aefd-457f-bbfa-26446daf42e0</a:MessageID>"
        "<a:ReplyTo><a:Address>http://www.w3.org/2005/08/addressing/anonymous</a:Address></a:ReplyTo>"
        "<a:To s:mustUnderstand=\"1\">net.tcp://192.168.56.1:8523/Service1</a:To></s:Header>"
        "<s:Body><GetData xmlns=\"http://tempuri.org/\"><value>1337</value></GetData></s:Body></s:Envelope>",
        "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
        "xmlns:a=\"http://www.w3.org/2005/08/addressing\"><s:Header>"
        "<a:Action s:mustUnderstand=\"1\">http://tempuri.org/IService1/GetDataResponse</a:Action>"
        "<ActivityId CorrelationId=\"97469b4b-7b74-4d03-ae08-eae4a55d8f53\" "
        "xmlns=\"http://schemas.microsoft.com/2004/09/ServiceModel/Diagnostics\">"
        "5fc1582c-facd-4cf4-bbac-c0dd8f5641d5</ActivityId>"
        "<a:RelatesTo>urn:uuid:5eb6df4b-aefd-457f-bbfa-26446daf42e0</a:RelatesTo>"
        "<a:To s:mustUnderstand=\"1\">http://www.w3.org/2005/08/addressing/anonymous</a:To></s:Header>"
        "<s:Body><GetDataResponse xmlns=\"http://tempuri.org/\"><GetDataResult>You entered: 1337</GetDataResult>"
        "</GetDataResponse></s:Body></s:Envelope>",
        NULL,
        NULL,
    };
    decode_reencode(NTCP_WCF_TRACE, 4, want, infos);
}

/* The second client message of the WCF trace reuses every session string:
 * its table is empty ("00") and the action is still "AB 01". */
TEST(xml_wcf_trace_second_message_reuses_session)
{
    if (ntcp_test_external_missing(NTCP_WCF_TRACE))
        return;
    xt_envelope env[MAXENV];
    size_t n = xt_load_envelopes(NTCP_WCF_TRACE, env, MAXENV);
    CHECK_EQ_INT(n, 4);
    if (n != 4)
        return;
    CHECK_EQ_INT(env[2].payload[0], 0x00);
    ntcp_xml_session *s;
    CHECK_EQ_INT(ntcp_xml_session_new(&s, 0), NTCP_OK);
    ntcp_buf t;
    ntcp_buf_init(&t, SIZE_MAX);
    /* without the first message the keys are unknown */
    CHECK_EQ_INT(ntcp_xml_session_decode_to_text(env[2].payload, env[2].len, s, NULL, &t),
                 NTCP_E_XML_UNKNOWN_KEY);
    ntcp_xml_session_reset(s);
    ntcp_buf_reset(&t);
    CHECK_EQ_INT(ntcp_xml_session_decode_to_text(env[0].payload, env[0].len, s, NULL, &t), NTCP_OK);
    CHECK_EQ_INT(ntcp_xml_session_count(s), 5);
    uint32_t l;
    const char *str = ntcp_xml_session_string(s, 1, &l);
    CHECK(str && l == 36 && !memcmp(str, "http://tempuri.org/IService1/GetData", 36));
    str = ntcp_xml_session_string(s, 9, &l);
    CHECK(str && l == 5 && !memcmp(str, "value", 5));
    ntcp_buf_reset(&t);
    CHECK_EQ_INT(ntcp_xml_session_decode_to_text(env[2].payload, env[2].len, s, NULL, &t), NTCP_OK);
    CHECK(strstr((char *)t.data, "<a:Action s:mustUnderstand=\"1\">http://tempuri.org/IService1/GetData</a:Action>"));
    CHECK(strstr((char *)t.data, "<value>0</value>") != NULL);
    ntcp_buf_free(&t);
    ntcp_xml_session_free(s);
    xt_free_envelopes(env, n);
}

/* Text -> binary with the default session policy (names, namespaces and the
 * Action/To text go into the session) reproduces WCF's client messages. */
TEST(xml_wcf_trace_client_messages_from_text)
{
    if (ntcp_test_external_missing(NTCP_WCF_TRACE))
        return;
    xt_envelope env[MAXENV];
    size_t n = xt_load_envelopes(NTCP_WCF_TRACE, env, MAXENV);
    CHECK_EQ_INT(n, 4);
    if (n != 4)
        return;
    ntcp_xml_session *rs, *ws;
    CHECK_EQ_INT(ntcp_xml_session_new(&rs, 0), NTCP_OK);
    CHECK_EQ_INT(ntcp_xml_session_new(&ws, 0), NTCP_OK);
    ntcp_xml_writer *w;
    CHECK_EQ_INT(ntcp_xml_writer_new(&w, NULL, ws), NTCP_OK);
    for (size_t i = 0; i < 4; i += 2) {
        ntcp_buf t, b;
        ntcp_buf_init(&t, SIZE_MAX);
        ntcp_buf_init(&b, SIZE_MAX);
        CHECK_EQ_INT(ntcp_xml_session_decode_to_text(env[i].payload, env[i].len, rs, NULL, &t), NTCP_OK);
        CHECK_EQ_INT(ntcp_xml_from_text((char *)t.data, t.len, w, &b), NTCP_OK);
        CHECK_BYTES(b.data, b.len, env[i].payload, env[i].len);
        ntcp_buf_free(&t);
        ntcp_buf_free(&b);
    }
    ntcp_xml_writer_free(w);
    ntcp_xml_session_free(rs);
    ntcp_xml_session_free(ws);
    xt_free_envelopes(env, n);
}
