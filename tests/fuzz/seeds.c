/* Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/<name>/):
 * real envelopes written by our SOAP layer, the envelopes and records of
 * the captured Mono session in tests/vectors, real handshake
 * tokens of a gss-ntlmssp exchange, and real CFX tokens made with the keys
 * the CFX targets use. `make fuzz-seeds` runs it into build/seeds/; the
 * committed corpora are its output (plus minimized finds of long runs).
 * Usage: fuzz_seeds OUTDIR [VECTORS_DIR]  (default tests/vectors) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "capture.h" /* tools/: the CLI's capture loader */
#include <nettcp/framing.h>
#include <nettcp/negotiate.h>
#include <nettcp/soap.h>
#include "negotiate/cfx.h"
#include "gss_env.h"

static const char *outdir;

static void put(const char *target, const char *name, uint8_t cfg, bool with_cfg, const void *p, size_t n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", outdir, target);
    if (mkdir(path, 0755) && errno != EEXIST)
        abort();
    snprintf(path, sizeof path, "%s/%s/%s", outdir, target, name);
    FILE *f = fopen(path, "wb");
    if (!f || (with_cfg && fputc(cfg, f) == EOF) || (n && fwrite(p, 1, n, f) != n) || fclose(f))
        abort();
}
#define PUT(t, name, p, n) put(t, name, 0, false, p, n)
#define PUTC(t, name, cfg, p, n) put(t, name, cfg, true, p, n)

static void must(ntcp_status s, const char *what)
{
    if (s) {
        fprintf(stderr, "fuzz_seeds: %s: %s\n", what, ntcp_status_name(s));
        exit(1);
    }
}

/* [u16 little-endian length][payload] appended */
static void put_chunk(ntcp_buf *b, const uint8_t *p, size_t n)
{
    must(ntcp_buf_put_u16le(b, (uint16_t)n), "chunk");
    must(ntcp_buf_append(b, p, n), "chunk");
}

/* ---- envelopes -------------------------------------------------------------- */
static const char *const BODY = "<Echo xmlns=\"http://tempuri.org/\"><text>hello &amp; welcome</text><n>42</n>"
                                "<ok>true</ok><id>urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e</id></Echo>";
static const char *const MU_HEADER = "<h:Ticket xmlns:h=\"urn:fuzz\" xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
                                     "s:mustUnderstand=\"1\">7</h:Ticket>";

static void envelope(ntcp_xml_writer *w, const char *action, const char *msgid, const char *relates, bool fault,
                     const char *header, const char *body, ntcp_buf *out)
{
    ntcp_soap_out m = { 0 };
    ntcp_soap_fault f;
    m.action = action;
    m.message_id = msgid;
    m.relates_to = relates;
    m.reply_to_anonymous = msgid != NULL;
    m.to = relates ? NULL : "net.tcp://127.0.0.1/fuzz";
    const char *hs[1] = { header };
    m.headers = hs;
    m.nheaders = header ? 1 : 0;
    if (fault) {
        ntcp_soap_fault_action_not_supported(&f, "urn:nothing", (char[256]){ 0 }, 256);
        f.reason = "The message with Action 'urn:nothing' cannot be processed.";
        m.fault = &f;
    } else {
        m.body = body;
        m.body_len = body ? strlen(body) : 0;
    }
    must(ntcp_soap_write(w, &m, out), "soap write");
}

static const char *const ID1 = "urn:uuid:6e9c2f4a-1b3d-4c5e-8f70-112233445566";

/* ---- captures ------------------------------------------------------------------ */
typedef struct capture_envs {
    ntcp_buf all[2];       /* [dir]: every envelope as [u16][payload] */
    size_t count[2];
    ntcp_buf raw[2];
} capture_envs;

static bool load_capture(const char *path, capture_envs *ce)
{
    memset(ce, 0, sizeof *ce);
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    uint8_t buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    ntcp_capture cap;
    if (ntcp_capture_load(&cap, buf, n, 1 << 20)) {
        ntcp_capture_free(&cap);
        return false;
    }
    for (int d = 0; d < 2; d++) {
        ntcp_buf_init(&ce->all[d], 1 << 20);
        ntcp_buf_init(&ce->raw[d], 1 << 20);
        must(ntcp_buf_append(&ce->raw[d], cap.dir[d].data, cap.dir[d].len), "capture");
        ntcp_framing_limits lim = NTCP_FRAMING_LIMITS_OFFLINE;
        ntcp_nmf_decoder *dec;
        must(ntcp_nmf_decoder_new(&dec, d ? NTCP_FROM_RECEIVER : NTCP_FROM_INITIATOR, NTCP_START_PREAMBLE, &lim),
             "decoder");
        size_t off = 0;
        while (off < cap.dir[d].len) {
            size_t used = 0;
            ntcp_nmf_record r;
            ntcp_status st = ntcp_nmf_decoder_feed(dec, cap.dir[d].data + off, cap.dir[d].len - off, &used, &r);
            off += used;
            if (st != NTCP_OK)
                break;
            if (r.type == NTCP_NMF_SIZED_ENVELOPE) {
                put_chunk(&ce->all[d], r.data, r.size);
                ce->count[d]++;
            }
        }
        ntcp_nmf_decoder_free(dec);
    }
    ntcp_capture_free(&cap);
    return true;
}

static void free_capture(capture_envs *ce)
{
    for (int d = 0; d < 2; d++) {
        ntcp_buf_free(&ce->all[d]);
        ntcp_buf_free(&ce->raw[d]);
    }
}

static void copy_file(const char *target, const char *name, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    static uint8_t buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    PUT(target, name, buf, n);
}

/* ---- SOAP, service, text XML ---------------------------------------------------- */
static void soap_and_service(const char *vectors)
{
    ntcp_xml_writer *w;
    ntcp_buf b, seq;
    ntcp_buf_init(&b, 1 << 20);
    ntcp_buf_init(&seq, 1 << 20);
    must(ntcp_xml_writer_new(&w, NULL, NULL), "writer");
    /* NBFX documents (no session) */
    envelope(w, "urn:fuzz/Echo", ID1, NULL, false, NULL, BODY, &b);
    PUTC("soap_roundtrip", "request", 0x00, b.data, b.len);
    PUTC("soap_roundtrip", "request_indented", 0x02, b.data, b.len);
    ntcp_buf_reset(&b);
    envelope(w, "urn:fuzz/EchoResponse", NULL, ID1, false, NULL, BODY, &b);
    PUTC("soap_roundtrip", "reply", 0x00, b.data, b.len);
    ntcp_buf_reset(&b);
    envelope(w, NTCP_WSA10_FAULT_ACTION, NULL, ID1, true, NULL, NULL, &b);
    PUTC("soap_roundtrip", "fault", 0x00, b.data, b.len);
    ntcp_buf_reset(&b);
    envelope(w, "urn:fuzz/Echo", ID1, NULL, false, MU_HEADER, BODY, &b);
    PUTC("soap_roundtrip", "must_understand", 0x04, b.data, b.len);
    ntcp_buf_reset(&b);
    ntcp_xml_writer_free(w);

    /* NBFSE payloads, a client's session: for the reader and the service */
    static const struct {
        const char *name, *action, *id, *header, *body;
    } reqs[] = {
        { "echo", "urn:fuzz/Echo", "urn:uuid:6e9c2f4a-1b3d-4c5e-8f70-112233445566", NULL, NULL },
        { "fault", "urn:fuzz/Fault", "urn:uuid:6e9c2f4a-1b3d-4c5e-8f70-112233445567", NULL, "<x xmlns=\"urn:fuzz\"/>" },
        { "fail", "urn:fuzz/Fail", "urn:uuid:6e9c2f4a-1b3d-4c5e-8f70-112233445568", NULL, "" },
        { "unknown_action", "urn:fuzz/Nothing", "urn:uuid:6e9c2f4a-1b3d-4c5e-8f70-112233445569", NULL, NULL },
        { "must_understand", "urn:fuzz/Echo", "urn:uuid:6e9c2f4a-1b3d-4c5e-8f70-11223344556a", MU_HEADER, NULL },
        { "one_way", "urn:fuzz/Echo", NULL, NULL, NULL },
    };
    ntcp_xml_session *s;
    must(ntcp_xml_session_new(&s, 2048), "session");
    must(ntcp_xml_writer_new(&w, NULL, s), "writer");
    for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
        const char *body = reqs[i].body ? reqs[i].body : BODY;
        ntcp_buf_reset(&b);
        envelope(w, reqs[i].action, reqs[i].id, NULL, false, reqs[i].header, body, &b);
        put_chunk(&seq, b.data, b.len);
        /* alone: the first message of its own session */
        ntcp_xml_session *s1;
        ntcp_xml_writer *w1;
        ntcp_buf one;
        ntcp_buf_init(&one, 1 << 20);
        must(ntcp_xml_session_new(&s1, 2048), "session");
        must(ntcp_xml_writer_new(&w1, NULL, s1), "writer");
        ntcp_buf_reset(&b);
        envelope(w1, reqs[i].action, reqs[i].id, NULL, false, reqs[i].header, body, &b);
        put_chunk(&one, b.data, b.len);
        PUT("service", reqs[i].name, one.data, one.len);
        ntcp_buf_free(&one);
        ntcp_xml_writer_free(w1);
        ntcp_xml_session_free(s1);
    }
    PUT("service", "session_of_six", seq.data, seq.len);
    { /* a deferred call, alone */
        ntcp_xml_session *s1;
        ntcp_xml_writer *w1;
        ntcp_buf one;
        ntcp_buf_init(&one, 1 << 20);
        must(ntcp_xml_session_new(&s1, 2048), "session");
        must(ntcp_xml_writer_new(&w1, NULL, s1), "writer");
        ntcp_buf_reset(&b);
        envelope(w1, "urn:fuzz/Defer", "urn:uuid:6e9c2f4a-1b3d-4c5e-8f70-11223344556b", NULL, false, NULL, BODY, &b);
        put_chunk(&one, b.data, b.len);
        PUT("service", "defer", one.data, one.len);
        ntcp_buf_free(&one);
        ntcp_xml_writer_free(w1);
        ntcp_xml_session_free(s1);
    }
    PUTC("soap_roundtrip", "session_of_six", 0x01, seq.data, seq.len);
    ntcp_xml_writer_free(w);
    ntcp_xml_session_free(s);

    /* the captured Mono session (tests/vectors/README.md) */
    static const char *const caps[] = { "mono-nettcp-exchange.hex" };
    for (int i = 0; i < 1; i++) {
        char path[1024], name[64];
        snprintf(path, sizeof path, "%s/%s", vectors, caps[i]);
        capture_envs ce;
        if (!load_capture(path, &ce)) {
            fprintf(stderr, "fuzz_seeds: no %s (envelopes of a real session left out)\n", path);
            continue;
        }
        const char *who = "mono";
        snprintf(name, sizeof name, "%s_requests", who);
        PUTC("soap_roundtrip", name, 0x01, ce.all[0].data, ce.all[0].len);
        PUT("service", name, ce.all[0].data, ce.all[0].len);
        snprintf(name, sizeof name, "%s_replies", who);
        PUTC("soap_roundtrip", name, 0x03, ce.all[1].data, ce.all[1].len);
        snprintf(name, sizeof name, "%s_client", who);
        PUTC("nmf_acceptor", name, 0x1F, ce.raw[0].data, ce.raw[0].len);
        PUTC("nmf_decoder", name, 0x00, ce.raw[0].data, ce.raw[0].len);
        snprintf(name, sizeof name, "%s_service", who);
        PUTC("nmf_initiator", name, 0x1F, ce.raw[1].data, ce.raw[1].len);
        PUTC("nmf_decoder", name, 0x10, ce.raw[1].data, ce.raw[1].len);
        free_capture(&ce);
        snprintf(name, sizeof name, "%s", caps[i]);
        copy_file("capture", name, path);
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/nbfs-example.xml", vectors);
    FILE *f = fopen(path, "rb");
    if (f) {
        char t[4096];
        size_t n = fread(t, 1, sizeof t, f);
        fclose(f);
        PUTC("xml_text", "nbfs_example", 0x00, t, n);
        PUTC("xml_text", "nbfs_example_session", 0x01, t, n);
    }
    static const char *const texts[] = {
        "<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
        "xmlns:a=\"http://www.w3.org/2005/08/addressing\"><s:Header><a:Action s:mustUnderstand=\"1\">urn:fuzz/Echo"
        "</a:Action></s:Header><s:Body><Echo xmlns=\"http://tempuri.org/\"><text>hi</text></Echo></s:Body>"
        "</s:Envelope>",
        "<r xmlns:b=\"urn:b\" b:at=\"1\" xml:lang=\"en\"><!-- c --><![CDATA[<raw>]]>&lt;&#x41;&#66;<e/>"
        "<i>-9223372036854775808</i><d>1.5E+300</d><u>urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e</u>"
        "<t>true</t><z>0</z><o>1</o></r>",
    };
    for (int i = 0; i < 2; i++) {
        char name[32];
        snprintf(name, sizeof name, "document_%d", i);
        PUTC("xml_text", name, (uint8_t)i, texts[i], strlen(texts[i]));
    }
    PUTC("xml_text", "body", 0x02, BODY, strlen(BODY));
    PUTC("xml_text", "body_session", 0x03, texts[1], strlen(texts[1]));
    PUTC("xml_text", "body_two_elements", 0x02, "<a xmlns=\"urn:a\">1</a>text<b xmlns=\"urn:b\"/>", 43);
    ntcp_buf_free(&b);
    ntcp_buf_free(&seq);
}

/* ---- framing answers for the initiator ----------------------------------------- */
static void framing(void)
{
    ntcp_buf b;
    ntcp_buf_init(&b, 1 << 20);
    static const uint8_t reply[] = { 0x56, 0x02, 'r', 'e', 'p', 'l', 'y' };
    must(ntcp_nmf_put_simple(&b, NTCP_NMF_PREAMBLE_ACK), "ack");
    must(ntcp_nmf_put_sized_envelope(&b, reply, sizeof reply), "env");
    must(ntcp_nmf_put_simple(&b, NTCP_NMF_END), "end");
    PUTC("nmf_initiator", "ack_reply_end", 0x1F, b.data, b.len);
    PUTC("nmf_initiator", "ack_reply_end_bytewise", 0x00, b.data, b.len);
    ntcp_buf_reset(&b);
    must(ntcp_nmf_put_simple(&b, NTCP_NMF_UPGRADE_RESPONSE), "up");
    must(ntcp_buf_put_u8(&b, 'H'), "handshake byte"); /* the pass-through upgrade's handshake */
    must(ntcp_nmf_put_simple(&b, NTCP_NMF_PREAMBLE_ACK), "ack");
    must(ntcp_nmf_put_sized_envelope(&b, reply, sizeof reply), "env");
    must(ntcp_nmf_put_simple(&b, NTCP_NMF_END), "end");
    PUTC("nmf_initiator", "upgraded", 0x3F, b.data, b.len);
    ntcp_buf_reset(&b);
    must(ntcp_nmf_put_fault(&b, "EndpointNotFound"), "fault");
    PUTC("nmf_initiator", "fault", 0x1F, b.data, b.len);
    ntcp_buf_reset(&b);
    must(ntcp_nmf_put_simple(&b, NTCP_NMF_PREAMBLE_ACK), "ack");
    must(ntcp_nmf_put_fault(&b, "http://schemas.microsoft.com/ws/2006/05/framing/faults/ServerTooBusy"), "fault");
    PUTC("nmf_initiator", "fault_after_ack", 0x5F, b.data, b.len);
    ntcp_buf_reset(&b);
    must(ntcp_nmf_put_simple(&b, NTCP_NMF_PREAMBLE_ACK), "ack");
    must(ntcp_nmf_put_unsized_envelope(&b, reply, sizeof reply, 3), "unsized");
    PUTC("nmf_initiator", "unsized_reply", 0x9F, b.data, b.len);
    ntcp_buf_free(&b);
}

/* ---- capture formats ------------------------------------------------------------ */
static void captures(void)
{
    static const char *const t[] = {
        "C->S 00010002021e6e65742e7463703a2f2f3132372e302e302e313a383038302f737663030803\nS->C 0b\n",
        "2016-07-28 21:50:34.482315\t10.0.0.1:1089\tc>s\t000100\n2016-07-28 21:50:34.49\t10.0.0.1:1089\ts>c\t0b\n",
        "0c 06 05 56 02 0b 01 73\n07\n",
        "\n \nS->C 0b\n",
    };
    for (int i = 0; i < 4; i++) {
        char name[32];
        snprintf(name, sizeof name, "format_%d", i);
        PUT("capture", name, t[i], strlen(t[i]));
    }
    static const uint8_t raw[] = { 0x00, 0x01, 0x00, 0x01, 0x02, 0x02, 0x04, 'x', 'y', 'z', 'w', 0x03, 0x08, 0x0c };
    PUT("capture", "raw", raw, sizeof raw);
}

/* ---- CFX tokens with the targets' keys ------------------------------------------ */
static void cfx(void)
{
    static const uint8_t k1[32] = "0123456789abcdef0123456789abcdef", k2[32] = "fedcba9876543210fedcba9876543210";
    static const char *const targets[] = { "cfx_unwrap", "cfx_sequence" };
    ntcp_buf tok;
    ntcp_buf_init(&tok, 1 << 20);
    for (int sk = 0; sk < 2; sk++) {
        ntcp_cfx *c;
        ntcp_cfx_params p = { true, 18, k1, 32, sk != 0, 17, k2, sk ? 16 : 0, 0, 0, false, false };
        must(ntcp_cfx_new(&c, &p), "cfx");
        static const char msg[] = "\x06\x05\x56\x02hello";
        for (int v = 0; v < 4; v++) {
            ntcp_buf_reset(&tok);
            if (v < 2)
                must(ntcp_cfx_wrap(c, v == 1, (const uint8_t *)msg, sizeof msg - 1, 0, &tok), "wrap");
            else if (v == 2)
                must(ntcp_cfx_wrap(c, true, (const uint8_t *)msg, sizeof msg - 1, 28, &tok), "wrap rrc");
            else
                must(ntcp_cfx_get_mic(c, (const uint8_t *)msg, sizeof msg - 1, &tok), "mic");
            char name[32];
            snprintf(name, sizeof name, "token_sk%d_%d", sk, v);
            for (int t = 0; t < 2; t++)
                PUTC(targets[t], name, (uint8_t)(sk << 1), tok.data, tok.len);
        }
        ntcp_cfx_free(c);
    }
    /* mode 1: [rrc u16][ec][at u16] message; sealed / ec / flipped / from the acceptor */
    static const uint8_t m1[] = { 0x00, 0x00, 0x00, 0x00, 0x10, 0x06, 0x05, 0x56, 0x02, 'h', 'i', '!' };
    static const uint8_t m2[] = { 0x00, 0x1C, 0x05, 0x00, 0x03, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h' };
    static const uint8_t sels[] = { 0x01, 0x05, 0x0D, 0x15, 0x27, 0x95 };
    for (size_t i = 0; i < sizeof sels; i++) {
        char name[32];
        snprintf(name, sizeof name, "message_%02x", sels[i]);
        for (int t = 0; t < 2; t++)
            PUTC(targets[t], name, sels[i], i & 1 ? m2 : m1, i & 1 ? sizeof m2 : sizeof m1);
    }
    ntcp_buf_free(&tok);
}

/* ---- NegotiateStream through gss-ntlmssp ---------------------------------------- */
static void nns(void)
{
    fuzz_gss_env();
    static const uint8_t cfgs[] = { 0x08, 0x18, 0x04 }; /* ES Negotiate, ES NTLM, Sign Negotiate */
    for (size_t i = 0; i < sizeof cfgs; i++) {
        ntcp_nns_options co, so;
        ntcp_nns_options_init(&co);
        ntcp_nns_options_init(&so);
        co.protection = so.protection = (cfgs[i] & 0x08) ? NTCP_PROTECTION_ENCRYPT_AND_SIGN : NTCP_PROTECTION_SIGN;
        co.package = (cfgs[i] & 0x10) ? NTCP_PACKAGE_NTLM : NTCP_PACKAGE_NEGOTIATE;
        co.require_server_auth = false;
        co.identity = "spn:" FUZZ_SPN;
        co.user = FUZZ_NTLM_USER;
        co.password = FUZZ_NTLM_PASSWORD;
        ntcp_nns *c, *s;
        must(ntcp_nns_new_initiator(&c, &co, ntcp_gss_provider()), "initiator");
        must(ntcp_nns_new_acceptor(&s, &so, ntcp_gss_provider()), "acceptor");
        ntcp_buf c_all, s_first, a, bb, plain;
        ntcp_buf_init(&c_all, 1 << 20);
        ntcp_buf_init(&s_first, 1 << 20);
        ntcp_buf_init(&a, 1 << 20);
        ntcp_buf_init(&bb, 1 << 20);
        ntcp_buf_init(&plain, 1 << 20);
        must(ntcp_nns_start(c, &a), "start");
        for (int leg = 0; leg < 6 && !(ntcp_nns_established(c) && ntcp_nns_established(s)); leg++) {
            size_t used;
            must(ntcp_buf_append(&c_all, a.data, a.len), "copy");
            ntcp_status st = ntcp_nns_recv(s, a.data, a.len, &used, &plain, &bb);
            if (st != NTCP_OK && st != NTCP_AGAIN)
                must(st, ntcp_nns_last_error(s));
            ntcp_buf_reset(&a);
            if (leg == 0)
                must(ntcp_buf_append(&s_first, bb.data, bb.len), "copy");
            st = ntcp_nns_recv(c, bb.data, bb.len, &used, &plain, &a);
            if (st != NTCP_OK && st != NTCP_AGAIN)
                must(st, ntcp_nns_last_error(c));
            ntcp_buf_reset(&bb);
        }
        if (!ntcp_nns_established(c) || !ntcp_nns_established(s))
            must(NTCP_E_AUTH_FAILED, "the seed handshake did not complete");
        char name[32];
        snprintf(name, sizeof name, "client_tokens_%02x", cfgs[i]);
        PUTC("nns_gss", name, (uint8_t)(cfgs[i] | 0), c_all.data, c_all.len); /* mode 0: to a service */
        snprintf(name, sizeof name, "service_challenge_%02x", cfgs[i]);
        PUTC("nns_gss", name, (uint8_t)(cfgs[i] | 1), s_first.data, s_first.len); /* mode 1: to a client */
        if (i == 0) { /* a data frame after the handshake, for the signature layouts */
            ntcp_buf_reset(&a);
            must(ntcp_nns_send(c, (const uint8_t *)"\x06\x05\x56\x02hello", 9, &a), "send");
            PUTC("ntlm_signature", "frame_es_to_service", 0x01, a.data + 4, a.len - 4);
            PUTC("ntlm_signature", "frame_es_to_client", 0x09, a.data + 4, a.len - 4);
        }
        ntcp_buf_free(&c_all);
        ntcp_buf_free(&s_first);
        ntcp_buf_free(&a);
        ntcp_buf_free(&bb);
        ntcp_buf_free(&plain);
        ntcp_nns_free(c);
        ntcp_nns_free(s);
    }
    /* the man in the middle: [op][n][arg]...; one per batch crossing */
    static const struct {
        const char *name;
        uint8_t cfg;
        const char *script;
        size_t len;
    } mitm[] = {
        { "pass_es", 0x0A, "", 0 },
        { "pass_sign_ntlm", 0x16, "", 0 },
        { "pass_none", 0x02, "", 0 },
        { "empty_service_token", 0x0A, "\0\0\1\5\x16\1\0\0\0", 9 },           /* issue 13, 1 */
        { "empty_service_done", 0x1A, "\0\0\1\5\x14\1\0\0\0", 9 },
        { "short_data_frame", 0x0A, "\0\0\0\0\0\0\0\0\1\x09\5\0\0\0abcde", 19 }, /* issue 13, 2 */
        { "replayed_data_frame", 0x0A, "\0\0\0\0\0\0\0\0\5\0", 10 },
        { "flipped_data_frame", 0x06, "\0\0\0\0\0\0\0\0\2\2\x09\x80", 12 },
        { "truncated_challenge", 0x0A, "\0\0\3\1\x20", 5 },
        { "error_from_service", 0x0A, "\0\0\1\x0d\x15\1\0\0\x08\0\0\0\0\x80\x09\x03\x0c", 17 },
    };
    for (size_t i = 0; i < sizeof mitm / sizeof mitm[0]; i++)
        PUTC("nns_gss", mitm[i].name, mitm[i].cfg, mitm[i].script, mitm[i].len);
    PUTC("nns_gss", "empty_done_to_client", 0x09, "\x14\1\0\0\0", 5);
    /* signature layouts: rotations, and messages for fresh pairs */
    PUTC("ntlm_signature", "rotate_20", 0x00, "0123456789abcdefWXYZ", 20);
    PUTC("ntlm_signature", "rotate_short", 0x00, "abcde", 5);
    PUTC("ntlm_signature", "short_frame", 0x01, "abcde", 5);
    PUTC("ntlm_signature", "wrap_as_is", 0x02, "\x10request body", 13);
    PUTC("ntlm_signature", "wrap_other_layout", 0x0B, "\x10request body", 13);
    PUTC("ntlm_signature", "wrap_sign_flip", 0x16, "\x10request body", 13);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: fuzz_seeds OUTDIR [VECTORS_DIR]\n");
        return 2;
    }
    outdir = argv[1];
    if (mkdir(outdir, 0755) && errno != EEXIST)
        return 1;
    const char *vectors = argc > 2 ? argv[2] : "tests/vectors";
    soap_and_service(vectors);
    framing();
    captures();
    cfx();
    nns();
    return 0;
}
