/* SOAP 1.2 + WS-Addressing over binary XML: WCF's bytes reproduced, WCF's
 * replies read, faults both ways, mustUnderstand, namespaces in the body. */
#include <pthread.h>
#include <stdlib.h>
#include "test.h"
#include "../../tools/capture.h"
#include <nettcp/framing.h>
#include <nettcp/soap.h>

/* The n-th SizedEnvelope payload (0-based) of one direction of a vector. */
static uint8_t *vector_envelope(const char *file, int dir, int index, size_t *len)
{
    size_t n;
    unsigned char *t = ntcp_test_read_vector(file, &n);
    if (!t)
        return NULL;
    ntcp_capture cap;
    uint8_t *out = NULL;
    if (ntcp_capture_load(&cap, t, n, 1 << 20) == NTCP_OK) {
        ntcp_nmf_decoder *d;
        if (ntcp_nmf_decoder_new(&d, dir ? NTCP_FROM_RECEIVER : NTCP_FROM_INITIATOR, NTCP_START_PREAMBLE, NULL) ==
            NTCP_OK) {
            size_t off = 0, used;
            ntcp_nmf_record r;
            int k = 0;
            while (ntcp_nmf_decoder_feed(d, cap.dir[dir].data + off, cap.dir[dir].len - off, &used, &r) == NTCP_OK) {
                off += used;
                if (r.type == NTCP_NMF_SIZED_ENVELOPE && k++ == index) {
                    out = malloc(r.size);
                    memcpy(out, r.data, r.size);
                    *len = r.size;
                    break;
                }
            }
            ntcp_nmf_decoder_free(d);
        }
    }
    ntcp_capture_free(&cap);
    free(t);
    return out;
}

TEST(soap_write_reproduces_wcf_request_bytes)
{
    if (ntcp_test_external_missing(NTCP_WCF_TRACE))
        return;
    size_t wl = 0;
    uint8_t *want = vector_envelope(NTCP_WCF_TRACE, 0, 0, &wl);
    CHECK(want != NULL);
    if (!want)
        return;
    ntcp_xml_session *sess;
    ntcp_xml_writer *w;
    CHECK_EQ_INT(ntcp_xml_session_new(&sess, 0), NTCP_OK);
    CHECK_EQ_INT(ntcp_xml_writer_new(&w, NULL, sess), NTCP_OK);
    const char body[] = "<GetData xmlns=\"http://tempuri.org/\"><value>1337</value></GetData>";
    ntcp_soap_out m = { 0 };
    m.action = "http://tempuri.org/IService1/GetData";
    m.message_id = "urn:uuid:5eb6df4b-aefd-457f-bbfa-26446daf42e0";
    m.reply_to_anonymous = true;
    m.to = "net.tcp://192.168.56.1:8523/Service1";
    m.body = body;
    m.body_len = sizeof body - 1;
    ntcp_buf out;
    ntcp_buf_init(&out, 1 << 20);
    CHECK_EQ_INT(ntcp_soap_write(w, &m, &out), NTCP_OK);
    CHECK_BYTES(out.data, out.len, want, wl);
    free(want);

    /* the second request of the session reuses the session strings: table size 0 */
    want = vector_envelope(NTCP_WCF_TRACE, 0, 1, &wl);
    const char body2[] = "<GetData xmlns=\"http://tempuri.org/\"><value>0</value></GetData>";
    m.message_id = "urn:uuid:c62313b1-adb1-4ad9-ad77-18ed0d06f54a";
    m.body = body2;
    m.body_len = sizeof body2 - 1;
    ntcp_buf_reset(&out);
    CHECK_EQ_INT(ntcp_soap_write(w, &m, &out), NTCP_OK);
    CHECK_BYTES(out.data, out.len, want, wl);
    free(want);
    ntcp_buf_free(&out);
    ntcp_xml_writer_free(w);
    ntcp_xml_session_free(sess);
}

/* Mono's replies: no To, the RelatesTo of each request, session strings. */
TEST(soap_read_mono_replies)
{
    static const char *const relates[2] = { "urn:uuid:5c5e9fe6-5976-4f89-9362-1d9c076a0874",
                                            "urn:uuid:61dfd633-8f3b-40e1-9ea9-3879d62449a7" };
    static const char *const actions[2] = { "http://tempuri.org/IEcho/EchoResponse",
                                            "http://tempuri.org/IEcho/AddResponse" };
    static const char *const bodies[2] = {
        "<EchoResponse xmlns=\"http://tempuri.org/\"><EchoResult>echo:captured-call (caller=anon)</EchoResult>"
        "</EchoResponse>",
        "<AddResponse xmlns=\"http://tempuri.org/\"><AddResult>5</AddResult></AddResponse>"
    };
    ntcp_xml_session *sess;
    CHECK_EQ_INT(ntcp_xml_session_new(&sess, 0), NTCP_OK);
    for (int i = 0; i < 2; i++) {
        size_t len = 0;
        uint8_t *p = vector_envelope("vectors/mono-nettcp-exchange.hex", 1, i, &len);
        CHECK(p != NULL);
        if (!p)
            break;
        ntcp_soap_msg m;
        ntcp_soap_msg_init(&m);
        CHECK_EQ_INT(ntcp_soap_read_session(p, len, sess, NULL, NULL, 0, &m), NTCP_OK);
        CHECK_EQ_STR(m.action, actions[i]);
        CHECK_EQ_STR(m.relates_to, relates[i]);
        CHECK(m.to == NULL);
        CHECK(m.message_id == NULL);
        CHECK(!m.is_fault);
        CHECK(ntcp_buf_put_u8(&m.body, 0) == NTCP_OK);
        CHECK_EQ_STR((const char *)m.body.data, bodies[i]);
        ntcp_soap_msg_clear(&m);
        free(p);
    }
    ntcp_xml_session_free(sess);
}

TEST(soap_read_wcf_replies)
{
    if (ntcp_test_external_missing(NTCP_WCF_TRACE))
        return;
    ntcp_xml_session *sess;
    CHECK_EQ_INT(ntcp_xml_session_new(&sess, 0), NTCP_OK);
    for (int i = 0; i < 2; i++) {
        size_t len = 0;
        uint8_t *p = vector_envelope(NTCP_WCF_TRACE, 1, i, &len);
        CHECK(p != NULL);
        if (!p)
            break;
        ntcp_soap_msg m;
        ntcp_soap_msg_init(&m);
        CHECK_EQ_INT(ntcp_soap_read_session(p, len, sess, NULL, NULL, 0, &m), NTCP_OK);
        CHECK_EQ_STR(m.action, "http://tempuri.org/IService1/GetDataResponse");
        CHECK_EQ_STR(m.relates_to, i == 0 ? "urn:uuid:5eb6df4b-aefd-457f-bbfa-26446daf42e0"
                                          : "urn:uuid:c62313b1-adb1-4ad9-ad77-18ed0d06f54a");
        CHECK_EQ_STR(m.to, "http://www.w3.org/2005/08/addressing/anonymous");
        CHECK(m.message_id == NULL);
        CHECK(!m.is_fault);
        CHECK(m.not_understood == NULL); /* ActivityId carries no mustUnderstand */
        CHECK(ntcp_buf_put_u8(&m.body, 0) == NTCP_OK);
        CHECK_EQ_STR((const char *)m.body.data,
                     i == 0 ? "<GetDataResponse xmlns=\"http://tempuri.org/\"><GetDataResult>You entered: 1337"
                              "</GetDataResult></GetDataResponse>"
                            : "<GetDataResponse xmlns=\"http://tempuri.org/\"><GetDataResult>You entered: 0"
                              "</GetDataResult></GetDataResponse>");
        ntcp_soap_msg_clear(&m);
        free(p);
    }
    ntcp_xml_session_free(sess);
}

/* write with a writer, read back with the matching reader session */
static void round_trip(const ntcp_soap_out *out_msg, const char *const *understood, ntcp_soap_msg *m)
{
    ntcp_xml_session *ws, *rs;
    ntcp_xml_writer *w;
    CHECK_EQ_INT(ntcp_xml_session_new(&ws, 0), NTCP_OK);
    CHECK_EQ_INT(ntcp_xml_session_new(&rs, 0), NTCP_OK);
    CHECK_EQ_INT(ntcp_xml_writer_new(&w, NULL, ws), NTCP_OK);
    ntcp_buf out;
    ntcp_buf_init(&out, 1 << 20);
    CHECK_EQ_INT(ntcp_soap_write(w, out_msg, &out), NTCP_OK);
    ntcp_soap_msg_init(m);
    CHECK_EQ_INT(ntcp_soap_read_session(out.data, out.len, rs, NULL, understood, 0, m), NTCP_OK);
    ntcp_buf_free(&out);
    ntcp_xml_writer_free(w);
    ntcp_xml_session_free(ws);
    ntcp_xml_session_free(rs);
}

TEST(soap_faults_both_ways)
{
    char reason[512];
    ntcp_soap_fault f;
    ntcp_soap_fault_action_not_supported(&f, "http://tempuri.org/IEcho/Nope", reason, sizeof reason);
    ntcp_soap_out o = { 0 };
    o.action = NTCP_WSA10_FAULT_ACTION;
    o.relates_to = "urn:uuid:61dfd633-8f3b-40e1-9ea9-3879d62449a7";
    o.fault = &f;
    ntcp_soap_msg m;
    round_trip(&o, NULL, &m);
    CHECK(m.is_fault);
    CHECK_EQ_STR(m.action, NTCP_WSA10_FAULT_ACTION);
    CHECK_EQ_STR(m.fault_code, "Sender");
    CHECK_EQ_STR(m.fault_subcode, "ActionNotSupported");
    CHECK(m.fault_reason && strstr(m.fault_reason, "http://tempuri.org/IEcho/Nope") != NULL);
    ntcp_soap_msg_clear(&m);

    ntcp_soap_fault_internal(&f, "boom");
    o.action = NTCP_WCF_DISPATCHER_FAULT_ACTION;
    round_trip(&o, NULL, &m);
    CHECK_EQ_STR(m.fault_code, "Receiver");
    CHECK_EQ_STR(m.fault_subcode, "InternalServiceFault");
    CHECK_EQ_STR(m.fault_reason, "boom");
    ntcp_soap_msg_clear(&m);
}

TEST(soap_must_understand_and_custom_headers)
{
    const char *headers[] = {
        "<x:Tenant xmlns:x=\"urn:example\" xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
        "s:mustUnderstand=\"1\">blue</x:Tenant>",
        "<y:Note xmlns:y=\"urn:other\">not required</y:Note>",
    };
    ntcp_soap_out o = { 0 };
    o.action = "urn:act";
    o.message_id = "urn:uuid:00000000-0000-4000-8000-000000000000";
    o.to = "net.tcp://h/x";
    o.headers = headers;
    o.nheaders = 2;
    ntcp_soap_msg m;
    round_trip(&o, NULL, &m);
    CHECK_EQ_STR(m.not_understood, "{urn:example}Tenant");
    CHECK_EQ_STR(m.to, "net.tcp://h/x");
    CHECK_EQ_STR(m.message_id, "urn:uuid:00000000-0000-4000-8000-000000000000");
    ntcp_soap_msg_clear(&m);
    const char *const understood[] = { "{urn:example}Tenant", NULL };
    round_trip(&o, understood, &m);
    CHECK(m.not_understood == NULL);
    CHECK(m.body.len == 0);
    ntcp_soap_msg_clear(&m);
}

TEST(soap_body_gets_the_outer_namespaces_it_uses)
{
    ntcp_soap_out o = { 0 };
    o.action = "urn:act";
    const char body[] = "<a:Thing xmlns:a=\"http://www.w3.org/2005/08/addressing\"><Inner>x &amp; y</Inner></a:Thing>"
                        "<Second xmlns=\"urn:s\"/>";
    o.body = body;
    o.body_len = sizeof body - 1;
    ntcp_soap_msg m;
    round_trip(&o, NULL, &m);
    CHECK(ntcp_buf_put_u8(&m.body, 0) == NTCP_OK);
    /* the body's own declarations survive the round trip (the outer ones are
     * soap_body_many_top_elements_get_outer_declarations) */
    CHECK_EQ_STR((const char *)m.body.data,
                 "<a:Thing xmlns:a=\"http://www.w3.org/2005/08/addressing\"><Inner>x &amp; y</Inner></a:Thing>"
                 "<Second xmlns=\"urn:s\"/>");
    ntcp_soap_msg_clear(&m);
}

/* A body whose elements use a prefix the Envelope declares (as WCF's faults
 * do with s:) is rendered with that declaration on each top element that
 * needs it, also past the first 16 (where the bookkeeping leaves the stack). */
TEST(soap_body_many_top_elements_get_outer_declarations)
{
    ntcp_buf text, want;
    ntcp_buf_init(&text, 1 << 20);
    ntcp_buf_init(&want, 1 << 20);
    static const char head[] = "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
                               "xmlns:a=\"http://www.w3.org/2005/08/addressing\"><s:Header>"
                               "<a:Action s:mustUnderstand=\"1\">urn:act</a:Action></s:Header><s:Body>";
    CHECK(ntcp_buf_append(&text, head, sizeof head - 1) == NTCP_OK);
    for (int i = 0; i < 70; i++) {
        char e[160], w[160];
        int n = i % 3 ? snprintf(e, sizeof e, "<a:T%d>%d</a:T%d>", i, i, i)
                      : snprintf(e, sizeof e, "<P%d>%d</P%d>", i, i, i);
        int m = i % 3 ? snprintf(w, sizeof w, "<a:T%d xmlns:a=\"http://www.w3.org/2005/08/addressing\">%d</a:T%d>", i,
                                 i, i)
                      : snprintf(w, sizeof w, "<P%d>%d</P%d>", i, i, i);
        CHECK(ntcp_buf_append(&text, e, (size_t)n) == NTCP_OK);
        CHECK(ntcp_buf_append(&want, w, (size_t)m) == NTCP_OK);
    }
    CHECK(ntcp_buf_append(&text, "</s:Body></s:Envelope>", 22) == NTCP_OK);
    ntcp_xml_writer *w;
    CHECK_EQ_INT(ntcp_xml_writer_new(&w, NULL, NULL), NTCP_OK);
    ntcp_buf doc;
    ntcp_buf_init(&doc, 1 << 20);
    CHECK_EQ_INT(ntcp_xml_from_text((const char *)text.data, text.len, w, &doc), NTCP_OK);
    ntcp_soap_msg m;
    ntcp_soap_msg_init(&m);
    CHECK_EQ_INT(ntcp_soap_read(doc.data, doc.len, NULL, NULL, NULL, 0, &m), NTCP_OK);
    CHECK_EQ_STR(m.action, "urn:act");
    CHECK_BYTES(m.body.data, m.body.len, want.data, want.len);
    ntcp_soap_msg_clear(&m);
    ntcp_xml_writer_free(w);
    ntcp_buf_free(&doc);
    ntcp_buf_free(&text);
    ntcp_buf_free(&want);
}

TEST(soap_rejects_what_is_not_soap12)
{
    ntcp_xml_writer *w;
    CHECK_EQ_INT(ntcp_xml_writer_new(&w, NULL, NULL), NTCP_OK);
    ntcp_buf out;
    ntcp_buf_init(&out, 4096);
    const char doc[] = "<Envelope xmlns=\"http://schemas.xmlsoap.org/soap/envelope/\"><Body/></Envelope>";
    CHECK_EQ_INT(ntcp_xml_from_text(doc, sizeof doc - 1, w, &out), NTCP_OK);
    ntcp_soap_msg m;
    ntcp_soap_msg_init(&m);
    CHECK_EQ_INT(ntcp_soap_read(out.data, out.len, NULL, NULL, NULL, 0, &m), NTCP_E_MALFORMED);
    ntcp_soap_msg_clear(&m);
    ntcp_buf_free(&out);
    ntcp_xml_writer_free(w);
    uint8_t r[16];
    for (int i = 0; i < 16; i++)
        r[i] = (uint8_t)(0xF0 + i);
    char id[46];
    ntcp_soap_message_id(r, id);
    CHECK_EQ_STR(id, "urn:uuid:f0f1f2f3-f4f5-46f7-b8f9-fafbfcfdfeff");
}

/* The body rendered as text is the SOAP Body's content, the one whose
 * records body_doc holds: an element of another namespace named Body
 * before it is not the body. */
TEST(soap_body_text_is_the_soap_body_not_another_body)
{
    ntcp_xml_writer *w;
    CHECK_EQ_INT(ntcp_xml_writer_new(&w, NULL, NULL), NTCP_OK);
    ntcp_buf out;
    ntcp_buf_init(&out, 4096);
    const char doc[] = "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:x=\"urn:other\">"
                       "<s:Header/><x:Body><Other>1</Other></x:Body><s:Body><Real>2</Real></s:Body></s:Envelope>";
    CHECK_EQ_INT(ntcp_xml_from_text(doc, sizeof doc - 1, w, &out), NTCP_OK);
    ntcp_soap_msg m;
    ntcp_soap_msg_init(&m);
    CHECK_EQ_INT(ntcp_soap_read(out.data, out.len, NULL, NULL, NULL, 0, &m), NTCP_OK);
    CHECK(ntcp_buf_put_u8(&m.body, 0) == NTCP_OK);
    CHECK_EQ_STR((const char *)m.body.data, "<Real>2</Real>");
    /* the records of the same body (one element here) say the same */
    ntcp_buf text;
    ntcp_buf_init(&text, 4096);
    ntcp_xml_text_options opt;
    ntcp_xml_text_options_init(&opt);
    opt.indent = 0;
    CHECK_EQ_INT(ntcp_xml_to_text(m.body_doc, m.body_doc_len, NULL, &opt, &text), NTCP_OK);
    CHECK_BYTES(text.data, text.len, "<Real>2</Real>", 14);
    ntcp_buf_free(&text);
    ntcp_soap_msg_clear(&m);
    ntcp_buf_free(&out);
    ntcp_xml_writer_free(w);
}

/* After the envelope, as WCF's binary reader: a comment may follow; an
 * element, text, a stray EndElement or an unknown record make the message
 * unreadable (docs/protocols-notes.md). Plain and fault bodies. */
TEST(soap_read_refuses_bytes_after_the_envelope)
{
    static const struct {
        const char *hex;
        size_t len;
        ntcp_status want;
    } tail[] = {
        { "", 0, NTCP_OK },
        { "\x02\x01x", 3, NTCP_OK },
        { "\x40\x01" "b\x01", 4, NTCP_E_XML_RECORD },
        { "\x98\x01x", 3, NTCP_E_XML_RECORD },
        { "\x01", 1, NTCP_E_XML_RECORD },
        { "\xff", 1, NTCP_E_XML_RECORD },
    };
    for (int fault = 0; fault < 2; fault++)
        for (size_t i = 0; i < sizeof tail / sizeof tail[0]; i++) {
            ntcp_xml_writer *w;
            CHECK_EQ_INT(ntcp_xml_writer_new(&w, NULL, NULL), NTCP_OK);
            ntcp_buf out;
            ntcp_buf_init(&out, 1 << 16);
            ntcp_soap_fault f;
            ntcp_soap_fault_internal(&f, "boom");
            ntcp_soap_out o = { 0 };
            o.action = "http://tempuri.org/IEcho/Echo";
            o.body = "<Echo xmlns=\"http://tempuri.org/\"><text>hi</text></Echo>";
            o.body_len = strlen(o.body);
            if (fault) {
                o.body = NULL;
                o.body_len = 0;
                o.fault = &f;
            }
            CHECK_EQ_INT(ntcp_soap_write(w, &o, &out), NTCP_OK);
            CHECK_EQ_INT(ntcp_buf_append(&out, (const uint8_t *)tail[i].hex, tail[i].len), NTCP_OK);
            ntcp_soap_msg m;
            ntcp_soap_msg_init(&m);
            ntcp_status st = ntcp_soap_read(out.data, out.len, NULL, NULL, NULL, 0, &m);
            if (st != tail[i].want)
                fprintf(stderr, "  tail %zu (%s): %s\n", i, fault ? "fault" : "body", ntcp_status_name(st));
            CHECK_EQ_INT(st, tail[i].want);
            ntcp_soap_msg_clear(&m);
            ntcp_buf_free(&out);
            ntcp_xml_writer_free(w);
        }
}

/* ---- the call object's envelopes: exact text, exact bytes ------------------- */

static char *envelope_text(const ntcp_soap_out *m)
{
    ntcp_xml_writer *w = NULL;
    ntcp_buf b, t;
    ntcp_buf_init(&b, 1 << 20);
    ntcp_buf_init(&t, 1 << 20);
    ntcp_xml_text_options opt;
    ntcp_xml_text_options_init(&opt);
    opt.indent = 0;
    char *out = NULL;
    if (ntcp_xml_writer_new(&w, NULL, NULL) == NTCP_OK && ntcp_soap_write(w, m, &b) == NTCP_OK &&
        ntcp_xml_to_text(b.data, b.len, NULL, &opt, &t) == NTCP_OK && ntcp_buf_put_u8(&t, 0) == NTCP_OK)
        out = (char *)t.data;
    else
        ntcp_buf_free(&t);
    ntcp_xml_writer_free(w);
    ntcp_buf_free(&b);
    return out;
}

TEST(soap_must_understand_fault_as_wcf_writes_it)
{
    ntcp_soap_fault f = { .code = "MustUnderstand", .reason = "R", .lang = "en-US" };
    ntcp_soap_out m = { 0 };
    m.action = NTCP_WSA10_SOAP_FAULT_ACTION;
    m.relates_to = "urn:uuid:00000000-0000-4000-8000-000000000001";
    m.not_understood_ns = "urn:nettcp:sample";
    m.not_understood_name = "Tenant";
    m.fault = &f;
    char *t = envelope_text(&m);
    CHECK_EQ_STR(t, "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
                    "xmlns:a=\"http://www.w3.org/2005/08/addressing\"><s:Header>"
                    "<a:Action s:mustUnderstand=\"1\">http://www.w3.org/2005/08/addressing/soap/fault</a:Action>"
                    "<s:NotUnderstood xmlns:d17=\"urn:nettcp:sample\" qname=\"d17:Tenant\"/>"
                    "<a:RelatesTo>urn:uuid:00000000-0000-4000-8000-000000000001</a:RelatesTo></s:Header><s:Body>"
                    "<s:Fault><s:Code><s:Value>s:MustUnderstand</s:Value></s:Code><s:Reason>"
                    "<s:Text xml:lang=\"en-US\">R</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>");
    free(t);
}

TEST(soap_fault_subcodes_and_detail_written_and_read)
{
    static const char *const more[] = { "{urn:t2}Inner", NULL };
    ntcp_soap_fault f = { .code = "Sender", .subcode_ns = "urn:t", .subcode = "Outer", .reason = "bad",
                          .lang = "en-US", .more_subcodes = more, .detail = "<d xmlns=\"urn:d\">x &amp; y</d>" };
    f.detail_len = strlen(f.detail);
    ntcp_soap_out m = { 0 };
    m.action = "urn:t/F";
    m.fault = &f;
    char *t = envelope_text(&m);
    CHECK_EQ_STR(t, "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
                    "xmlns:a=\"http://www.w3.org/2005/08/addressing\"><s:Header>"
                    "<a:Action s:mustUnderstand=\"1\">urn:t/F</a:Action></s:Header><s:Body><s:Fault><s:Code>"
                    "<s:Value>s:Sender</s:Value><s:Subcode><s:Value xmlns:b=\"urn:t\">b:Outer</s:Value><s:Subcode>"
                    "<s:Value xmlns:b=\"urn:t2\">b:Inner</s:Value></s:Subcode></s:Subcode></s:Code><s:Reason>"
                    "<s:Text xml:lang=\"en-US\">bad</s:Text></s:Reason><s:Detail><d xmlns=\"urn:d\">x &amp; y</d>"
                    "</s:Detail></s:Fault></s:Body></s:Envelope>");
    free(t);
    /* and read back */
    ntcp_xml_writer *w = NULL;
    ntcp_buf b;
    ntcp_buf_init(&b, 1 << 20);
    CHECK_EQ_INT(ntcp_xml_writer_new(&w, NULL, NULL), NTCP_OK);
    CHECK_EQ_INT(ntcp_soap_write(w, &m, &b), NTCP_OK);
    ntcp_soap_msg r;
    ntcp_soap_msg_init(&r);
    CHECK_EQ_INT(ntcp_soap_read(b.data, b.len, NULL, NULL, NULL, 0, &r), NTCP_OK);
    CHECK(r.is_fault);
    CHECK_EQ_STR(r.fault_code, "Sender");
    CHECK_EQ_INT(r.fault_nsubcodes, 2);
    if (r.fault_nsubcodes == 2) {
        CHECK_EQ_STR(r.fault_subcodes[0].ns, "urn:t");
        CHECK_EQ_STR(r.fault_subcodes[1].local, "Inner");
        CHECK_EQ_STR(r.fault_subcodes[1].ns, "urn:t2");
    }
    CHECK(r.has_detail);
    CHECK_BYTES(r.fault_detail.data, r.fault_detail.len, f.detail, f.detail_len);
    ntcp_soap_msg_clear(&r);
    ntcp_xml_writer_free(w);
    ntcp_buf_free(&b);
}

/* A body written through a separate writer (as a handler writes it) and
 * copied into the envelope is byte for byte the body written in place,
 * session strings included; a mustUnderstand header gets the attribute
 * after its own. */
TEST(soap_body_from_binary_same_bytes_as_in_place)
{
    static const char body[] = "<AddResponse xmlns=\"http://Microsoft.ServiceModel.Samples\">"
                               "<AddResult>5</AddResult><x:More xmlns:x=\"urn:x\" x:a=\"1\">t</x:More></AddResponse>";
    ntcp_xml_session *s1, *s2;
    ntcp_xml_writer *w1, *w2, *bw;
    CHECK_EQ_INT(ntcp_xml_session_new(&s1, 0), NTCP_OK);
    CHECK_EQ_INT(ntcp_xml_session_new(&s2, 0), NTCP_OK);
    CHECK_EQ_INT(ntcp_xml_writer_new(&w1, NULL, s1), NTCP_OK);
    CHECK_EQ_INT(ntcp_xml_writer_new(&w2, NULL, s2), NTCP_OK);
    CHECK_EQ_INT(ntcp_xml_writer_new(&bw, NULL, NULL), NTCP_OK);
    ntcp_buf a, b, frag;
    ntcp_buf_init(&a, 1 << 20);
    ntcp_buf_init(&b, 1 << 20);
    ntcp_buf_init(&frag, 1 << 20);
    ntcp_soap_out m = { 0 };
    m.action = "urn:t/AddResponse";
    m.relates_to = "urn:uuid:00000000-0000-4000-8000-000000000001";
    m.body = body;
    m.body_len = sizeof body - 1;
    CHECK_EQ_INT(ntcp_soap_write(w1, &m, &a), NTCP_OK);
    /* the handler's way: a wrapper element around the body, no session */
    CHECK_EQ_INT(ntcp_xml_writer_start(bw, NULL, "b", NULL), NTCP_OK);
    CHECK_EQ_INT(ntcp_xml_writer_text_xml(bw, body, sizeof body - 1), NTCP_OK);
    CHECK_EQ_INT(ntcp_xml_writer_end_element(bw), NTCP_OK);
    CHECK_EQ_INT(ntcp_xml_writer_finish(bw, &frag), NTCP_OK);
    m.body = NULL;
    m.body_len = 0;
    m.body_nbfx = frag.data;
    m.body_nbfx_len = frag.len;
    CHECK_EQ_INT(ntcp_soap_write(w2, &m, &b), NTCP_OK);
    CHECK_BYTES(b.data, b.len, a.data, a.len);
    ntcp_buf_free(&a);
    ntcp_buf_free(&b);
    ntcp_buf_free(&frag);
    ntcp_xml_writer_free(w1);
    ntcp_xml_writer_free(w2);
    ntcp_xml_writer_free(bw);
    ntcp_xml_session_free(s1);
    ntcp_xml_session_free(s2);
}

TEST(soap_must_understand_header_out)
{
    const char *h[] = { "<t:Tenant xmlns:t=\"urn:nettcp:sample\" t:k=\"v\">acme</t:Tenant>" };
    bool mu[] = { true };
    ntcp_soap_out m = { 0 };
    m.action = "urn:t/A";
    m.headers = h;
    m.headers_mu = mu;
    m.nheaders = 1;
    char *t = envelope_text(&m);
    CHECK_EQ_STR(t, "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
                    "xmlns:a=\"http://www.w3.org/2005/08/addressing\"><s:Header>"
                    "<a:Action s:mustUnderstand=\"1\">urn:t/A</a:Action>"
                    "<t:Tenant xmlns:t=\"urn:nettcp:sample\" t:k=\"v\" s:mustUnderstand=\"1\">acme</t:Tenant>"
                    "</s:Header><s:Body/></s:Envelope>");
    free(t);
}

/* The header blocks and the body's slice of a received envelope. */
TEST(soap_read_header_and_body_slices)
{
    const char *h[] = { "<t:Tenant xmlns:t=\"urn:nettcp:sample\">acme</t:Tenant>" };
    bool mu[] = { true };
    ntcp_soap_out m = { 0 };
    m.action = "urn:t/A";
    m.message_id = "urn:uuid:00000000-0000-4000-8000-000000000001";
    m.headers = h;
    m.headers_mu = mu;
    m.nheaders = 1;
    m.body = "<A xmlns=\"urn:t\">1</A><B xmlns=\"urn:t\"/>";
    m.body_len = strlen(m.body);
    ntcp_xml_writer *w = NULL;
    ntcp_buf b;
    ntcp_buf_init(&b, 1 << 20);
    CHECK_EQ_INT(ntcp_xml_writer_new(&w, NULL, NULL), NTCP_OK);
    CHECK_EQ_INT(ntcp_soap_write(w, &m, &b), NTCP_OK);
    ntcp_soap_msg r;
    ntcp_soap_msg_init(&r);
    CHECK_EQ_INT(ntcp_soap_read_envelope(b.data, b.len, NULL, NULL, &r), NTCP_OK);
    CHECK_EQ_INT(r.body.len, 0); /* not rendered */
    CHECK_EQ_INT(r.nheaders, 3);
    if (r.nheaders == 3) {
        CHECK_BYTES(r.headers[2].local.p, r.headers[2].local.len, "Tenant", 6);
        CHECK_BYTES(r.headers[2].ns.p, r.headers[2].ns.len, "urn:nettcp:sample", 17);
        CHECK(r.headers[2].must_understand);
        CHECK(!r.headers[1].must_understand); /* MessageID */
        ntcp_buf t;
        ntcp_buf_init(&t, 1 << 16);
        ntcp_xml_text_options opt;
        ntcp_xml_text_options_init(&opt);
        opt.indent = 0;
        CHECK_EQ_INT(ntcp_xml_to_text(b.data + r.headers[2].offset, r.headers[2].len, NULL, &opt, &t), NTCP_OK);
        static const char want[] =
            "<t:Tenant xmlns:t=\"urn:nettcp:sample\" s:mustUnderstand=\"1\">acme</t:Tenant>";
        CHECK_BYTES(t.data, t.len, want, sizeof want - 1);
        ntcp_buf_free(&t);
    }
    /* two top-level elements: a fragment */
    ntcp_xml_reader *rd = NULL;
    CHECK_EQ_INT(ntcp_xml_reader_new(&rd, NULL, NULL), NTCP_OK);
    CHECK_EQ_INT(ntcp_xml_reader_reset_fragment(rd, r.body_doc, r.body_doc_len), NTCP_OK);
    int tops = 0;
    for (;;) {
        ntcp_xml_node n;
        if (ntcp_xml_reader_next(rd, &n) != NTCP_OK || n.type == NTCP_XML_NODE_EOF)
            break;
        tops += n.type == NTCP_XML_NODE_START && n.depth == 1;
    }
    CHECK_EQ_INT(tops, 2);
    /* the same slice is not one document */
    CHECK_EQ_INT(ntcp_xml_reader_reset(rd, r.body_doc, r.body_doc_len), NTCP_OK);
    ntcp_status st = NTCP_OK;
    for (int i = 0; i < 10 && !st; i++) {
        ntcp_xml_node n;
        st = ntcp_xml_reader_next(rd, &n);
    }
    CHECK_EQ_INT(st, NTCP_E_XML_RECORD);
    ntcp_xml_reader_free(rd);
    ntcp_soap_msg_clear(&r);
    ntcp_xml_writer_free(w);
    ntcp_buf_free(&b);
}

/* The tables built on first use (the static dictionary's hash table, the
 * envelope's own keys, the namespace names the text fast path has checked)
 * are built once and safely when several threads need them at the same
 * moment. Run alone (`test_unit soap_first_use`) it is the process's first
 * use; the TSan build reports any race. */
enum { FIRST_USE_THREADS = 6 };
struct first_use {
    pthread_barrier_t *go;
    unsigned wrong_keys;
    ntcp_status st;
    ntcp_buf env;
};

static ntcp_status first_use_envelope(ntcp_buf *out)
{
    ntcp_xml_writer *w;
    ntcp_status st = ntcp_xml_writer_new(&w, NULL, NULL);
    if (st)
        return st;
    static const char body[] = "<Echo xmlns=\"http://tempuri.org/\"><text>1234</text></Echo>";
    ntcp_soap_out m = { 0 };
    m.action = "http://tempuri.org/IEcho/Echo";
    m.message_id = "urn:uuid:5eb6df4b-aefd-457f-bbfa-26446daf42e0";
    m.reply_to_anonymous = true;
    m.to = "net.tcp://localhost:1/echo";
    m.body = body;
    m.body_len = sizeof body - 1;
    st = ntcp_soap_write(w, &m, out);
    ntcp_xml_writer_free(w);
    return st;
}

static void *first_use_thread(void *arg)
{
    struct first_use *f = arg;
    pthread_barrier_wait(f->go);
    for (uint32_t key = 0;; key += 2) {
        uint32_t len;
        const char *s = ntcp_xml_static_string(key, &len);
        if (!s)
            break;
        if (ntcp_xml_static_key(s, len) != (int32_t)key)
            f->wrong_keys++;
    }
    f->st = first_use_envelope(&f->env);
    return NULL;
}

TEST(soap_first_use_from_threads_at_once)
{
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, FIRST_USE_THREADS);
    struct first_use f[FIRST_USE_THREADS];
    pthread_t t[FIRST_USE_THREADS];
    for (int i = 0; i < FIRST_USE_THREADS; i++) {
        f[i] = (struct first_use){ .go = &go };
        ntcp_buf_init(&f[i].env, 1 << 16);
        CHECK_EQ_INT(pthread_create(&t[i], NULL, first_use_thread, &f[i]), 0);
    }
    for (int i = 0; i < FIRST_USE_THREADS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&go);
    ntcp_buf want;
    ntcp_buf_init(&want, 1 << 16);
    CHECK_EQ_INT(first_use_envelope(&want), NTCP_OK);
    for (int i = 0; i < FIRST_USE_THREADS; i++) {
        CHECK_EQ_INT((int)f[i].wrong_keys, 0);
        CHECK_EQ_INT(f[i].st, NTCP_OK);
        CHECK_BYTES(f[i].env.data, f[i].env.len, want.data, want.len);
        ntcp_buf_free(&f[i].env);
    }
    ntcp_buf_free(&want);
}
