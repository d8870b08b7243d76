/* nettcp xml decode|encode: .NET Binary XML <-> text XML. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nettcp/xml.h>
#include "cli.h"

static void xml_usage(FILE *f)
{
    fprintf(f,
            "usage: nettcp xml decode [--session] [--indent N] FILE|-\n"
            "       nettcp xml encode [--session] FILE|-\n"
            "\n"
            "decode  reads binary XML (MC-NBFX with the MC-NBFS dictionary) and prints it as\n"
            "        indented text XML.\n"
            "encode  reads text XML and writes binary XML to standard output.\n"
            "\n"
            "  --session   the binary side is one application/soap+msbinsession1 payload:\n"
            "              the MC-NBFSE string table followed by the document (what a\n"
            "              SizedEnvelope record carries after its size)\n"
            "  --indent N  spaces per level when decoding (default 2, 0 = one line)\n"
            "\n"
            "Files are not peers: the message size and string length quotas are lifted;\n"
            "depth, array, name and session limits keep WCF's defaults.\n"
            "  -h, --help  this text\n");
}

static int fail(const char *what, ntcp_status st)
{
    fprintf(stderr, "nettcp xml: %s: %s (%s)\n", what, ntcp_status_str(st), ntcp_status_name(st));
    const char *adv = ntcp_status_advice(st);
    if (adv && *adv)
        fprintf(stderr, "  advice: %s\n", adv);
    return 1;
}

static int xml_decode(bool session, unsigned indent, const char *path)
{
    uint8_t *data;
    size_t len;
    if (cli_read_file(path, &data, &len))
        return 1;
    ntcp_xml_text_options opt;
    ntcp_xml_text_options_init(&opt);
    opt.indent = indent;
    opt.limits.max_size = UINT32_MAX; /* a file, not a peer: no message or string quota */
    opt.limits.max_string_len = UINT32_MAX;
    ntcp_buf out;
    ntcp_buf_init(&out, SIZE_MAX);
    ntcp_status st;
    if (session) {
        ntcp_xml_session *s;
        st = ntcp_xml_session_new(&s, 0);
        if (!st)
            st = ntcp_xml_session_decode_to_text(data, len, s, &opt, &out);
        ntcp_xml_session_free(s);
    } else
        st = ntcp_xml_to_text(data, len, NULL, &opt, &out);
    free(data);
    if (st) {
        ntcp_buf_free(&out);
        return fail("decode", st);
    }
    fwrite(out.data, 1, out.len, stdout);
    ntcp_buf_free(&out);
    return 0;
}

static int xml_encode(bool session, const char *path)
{
    uint8_t *data;
    size_t len;
    if (cli_read_file(path, &data, &len))
        return 1;
    ntcp_xml_session *s = NULL;
    ntcp_xml_writer *w = NULL;
    ntcp_xml_writer_options wo;
    ntcp_xml_writer_options_init(&wo);
    wo.session_policy = NTCP_XML_SESSION_DEFAULT;
    wo.is_candidate = NULL;
    wo.candidate_ctx = NULL;
    wo.limits.max_size = UINT32_MAX;
    wo.limits.max_string_len = UINT32_MAX;
    ntcp_buf out;
    ntcp_buf_init(&out, SIZE_MAX);
    ntcp_status st = session ? ntcp_xml_session_new(&s, 0) : NTCP_OK;
    if (!st)
        st = ntcp_xml_writer_new(&w, &wo, s);
    if (!st)
        st = ntcp_xml_from_text((const char *)data, len, w, &out);
    free(data);
    ntcp_xml_writer_free(w);
    ntcp_xml_session_free(s);
    if (st) {
        ntcp_buf_free(&out);
        return fail("encode", st);
    }
    fwrite(out.data, 1, out.len, stdout);
    ntcp_buf_free(&out);
    return 0;
}

int cmd_xml(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        xml_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *sub = argv[1], *path = NULL;
    bool session = false;
    unsigned indent = 2;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            xml_usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--session"))
            session = true;
        else if (!strcmp(argv[i], "--indent") && i + 1 < argc)
            indent = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (!path)
            path = argv[i];
        else {
            xml_usage(stderr);
            return 2;
        }
    }
    if (!path) {
        xml_usage(stderr);
        return 2;
    }
    if (!strcmp(sub, "decode"))
        return xml_decode(session, indent > 16 ? 16 : indent, path);
    if (!strcmp(sub, "encode"))
        return xml_encode(session, path);
    fprintf(stderr, "nettcp xml: unknown subcommand '%s'\n", sub);
    xml_usage(stderr);
    return 2;
}
