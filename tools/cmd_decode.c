/* nettcp decode: the framing records and every envelope of a recorded
 * connection as XML, with each direction's session dictionary. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "capture.h"
#include <nettcp/framing.h>
#include <nettcp/soap.h>
#include <nettcp/xml.h>
#include "cli.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: nettcp decode [--json] [--encoding auto|session|binary|text] [--after-upgrade]\n"
            "                     [--max-size BYTES] FILE...\n"
            "\n"
            "Decodes one or two directions of a net.tcp connection: the .NET Message Framing\n"
            "records, and every envelope as indented XML. Binary session envelopes\n"
            "(application/soap+msbinsession1) are decoded with each direction's session\n"
            "dictionary, which starts empty at each new preamble.\n"
            "\n"
            "Each FILE holds raw bytes of one direction or a hex trace of one or both\n"
            "('<time>\\t<peer>\\tc>s\\t<hex>' lines, 'C->S <hex>' / 'S->C <hex>' lines, or plain\n"
            "hex); a one-direction file is the client's when it starts with Version (00) or\n"
            "PreambleEnd (0C), the service's otherwise. A stream may begin at the preamble or\n"
            "right after a security upgrade (PreambleEnd / PreambleAck).\n"
            "\n"
            "options:\n"
            "  --json             one JSON object per envelope: direction, index (1-based, per\n"
            "                     direction), action, message_id, relates_to (null when absent),\n"
            "                     size (envelope bytes) and xml (the text)\n"
            "  --encoding E       how to read envelopes: auto (from the client's preamble;\n"
            "                     binary session when unknown), session, binary (msbin1), text\n"
            "  --after-upgrade    the client stream starts right after a security upgrade\n"
            "  --max-size BYTES   largest envelope accepted (default 67108864 = 64 MiB)\n"
            "\n"
            "exit status: 0 if everything decoded, 1 on bad input (the message names the\n"
            "direction, the envelope and the byte offset), 2 on usage errors.\n");
}

enum enc { ENC_AUTO, ENC_SESSION, ENC_BINARY, ENC_TEXT };

struct dir_state {
    ntcp_xml_session *dict;
    unsigned index;
};

static enum enc encoding_of(const ntcp_nmf_record *r)
{
    int e = r->type == NTCP_NMF_KNOWN_ENCODING ? r->encoding
                                               : ntcp_nmf_encoding_from_content_type((const char *)r->data, r->size);
    if (e == NTCP_ENC_BINARY_SESSION)
        return ENC_SESSION;
    if (e == NTCP_ENC_BINARY)
        return ENC_BINARY;
    if (e >= 0 && e <= NTCP_ENC_SOAP12_UNICODEFFFE)
        return ENC_TEXT;
    return ENC_SESSION;
}

/* One envelope; returns 0 or 1. */
static int envelope(const char *path, int dir, struct dir_state *ds, enum enc enc, const ntcp_nmf_record *r,
                    bool json, bool show_dir, const ntcp_framing_limits *lim)
{
    ds->index++;
    ntcp_buf xml;
    ntcp_buf_init(&xml, (size_t)lim->max_message * 8 + 65536);
    ntcp_soap_msg soap; /* Action, MessageID, RelatesTo: the SOAP reader's */
    ntcp_soap_msg_init(&soap);
    ntcp_xml_text_options opt;
    ntcp_xml_text_options_init(&opt);
    opt.limits.max_size = lim->max_message;
    opt.limits.max_string_len = lim->max_message;
    opt.limits.max_array_len = lim->max_message;
    opt.limits.max_depth = 256;
    ntcp_status st;
    if (enc == ENC_TEXT) {
        st = ntcp_buf_append(&xml, r->data, r->size);
    } else if (enc == ENC_BINARY) {
        st = ntcp_xml_to_text(r->data, r->size, NULL, &opt, &xml);
    } else {
        size_t off = 0;
        st = ntcp_xml_session_read_table(ds->dict, r->data, r->size, &off); /* MC-NBFSE 2.1 */
        if (!st)
            st = ntcp_xml_to_text(r->data + off, r->size - off, ds->dict, &opt, &xml);
        /* not a SOAP 1.2 / WS-Addressing envelope: no addressing fields */
        if (!st && json && ntcp_soap_read(r->data + off, r->size - off, ds->dict, &opt.limits, NULL, 0, &soap)) {
            ntcp_soap_msg_clear(&soap);
            ntcp_soap_msg_init(&soap);
        }
    }
    int rc = 0;
    if (st) {
        fprintf(stderr, "nettcp decode: %s: %s envelope %u (the %s record at offset %zu): %s (%s)\n", path,
                cli_dir_name(dir), ds->index, ntcp_nmf_record_name(r->type), r->offset, ntcp_status_str(st),
                ntcp_status_name(st));
        rc = 1;
    } else if (json) {
        printf("{\"direction\":\"%s\",\"index\":%u,\"action\":", cli_dir_name(dir), ds->index);
        const char *fields[3] = { soap.action, soap.message_id, soap.relates_to };
        for (int i = 0; i < 3; i++) {
            if (i == 1)
                printf(",\"message_id\":");
            if (i == 2)
                printf(",\"relates_to\":");
            if (fields[i])
                cli_json_string((const uint8_t *)fields[i], strlen(fields[i]));
            else
                printf("null");
        }
        printf(",\"size\":%zu,\"xml\":", r->size);
        cli_json_string(xml.data ? xml.data : (const uint8_t *)"", xml.len);
        printf("}\n");
    } else {
        cli_print_record(r, dir, 0, show_dir);
        printf("%.*s\n", (int)xml.len, xml.data ? (const char *)xml.data : "");
    }
    ntcp_soap_msg_clear(&soap);
    ntcp_buf_free(&xml);
    return rc;
}

struct walk_ctx {
    const char *path;
    int dir;
    enum enc *enc;
    bool forced, json, show_dir;
    const ntcp_framing_limits *lim;
    struct dir_state ds;
};

/* One record: envelopes decoded to XML, the rest printed (text output). */
static int on_record(void *ctx, const ntcp_nmf_record *r)
{
    struct walk_ctx *w = ctx;
    /* a new framing session starts a new session dictionary */
    if (r->type == NTCP_NMF_VERSION || (w->dir == 1 && r->type == NTCP_NMF_PREAMBLE_ACK))
        ntcp_xml_session_reset(w->ds.dict);
    if ((r->type == NTCP_NMF_KNOWN_ENCODING || r->type == NTCP_NMF_EXTENSIBLE_ENCODING) && !w->forced)
        *w->enc = encoding_of(r);
    if (r->type == NTCP_NMF_SIZED_ENVELOPE || r->type == NTCP_NMF_UNSIZED_ENVELOPE)
        return envelope(w->path, w->dir, &w->ds, *w->enc == ENC_AUTO ? ENC_SESSION : *w->enc, r, w->json,
                        w->show_dir, w->lim);
    if (!w->json)
        cli_print_record(r, w->dir, 0, w->show_dir);
    return 0;
}

static int decode_dir(const char *path, const ntcp_buf *b, int dir, enum enc *enc, bool forced, bool json,
                      bool show_dir, bool after_upgrade, const ntcp_framing_limits *lim)
{
    struct walk_ctx w = { path, dir, enc, forced, json, show_dir, lim, { NULL, 0 } };
    if (ntcp_xml_session_new(&w.ds.dict, 0)) {
        fprintf(stderr, "nettcp decode: out of memory\n");
        return 1;
    }
    size_t off;
    bool stopped;
    ntcp_status st = cli_walk_records(b, dir, after_upgrade, lim, on_record, &w, &off, &stopped);
    ntcp_xml_session_free(w.ds.dict);
    if (stopped)
        return 1; /* envelope() said why */
    if (st == NTCP_E_STATE) {
        if (!json)
            printf("%s%8zu  %-18s %zu bytes of the upgraded protocol, not decoded\n",
                   show_dir ? (dir == 0 ? "c>s " : "s>c ") : "", off, "(upgraded stream)", b->len - off);
        return 0;
    }
    if (st != NTCP_OK) {
        fprintf(stderr, "nettcp decode: %s: %s stream at byte offset %zu: %s (%s)\n", path, cli_dir_name(dir), off,
                ntcp_status_str(st), ntcp_status_name(st));
        return 1;
    }
    return 0;
}

int cmd_decode(int argc, char **argv)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { "encoding", required_argument, NULL, 'e' },
        { "after-upgrade", no_argument, NULL, 'a' },
        { "max-size", required_argument, NULL, 'm' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    bool json = false, after = false, forced = false;
    enum enc enc = ENC_AUTO;
    ntcp_framing_limits lim = NTCP_FRAMING_LIMITS_OFFLINE;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'j': json = true; break;
        case 'a': after = true; break;
        case 'e':
            forced = true;
            if (!strcmp(optarg, "session"))
                enc = ENC_SESSION;
            else if (!strcmp(optarg, "binary"))
                enc = ENC_BINARY;
            else if (!strcmp(optarg, "text"))
                enc = ENC_TEXT;
            else if (!strcmp(optarg, "auto"))
                forced = false;
            else {
                fprintf(stderr, "nettcp decode: --encoding is auto, session, binary or text\n");
                return 2;
            }
            break;
        case 'm':
            if (cli_parse_bytes("decode", "max-size", optarg, &lim.max_message))
                return 2;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return 2;
    }
    /* gather both directions from all files */
    ntcp_buf dirs[2];
    bool has[2] = { false, false }, labelled = false;
    size_t cap_max = (size_t)lim.max_message * 2 + (1u << 20);
    ntcp_buf_init(&dirs[0], cap_max * 4);
    ntcp_buf_init(&dirs[1], cap_max * 4);
    int rc = 0;
    for (int i = optind; i < argc && !rc; i++) {
        ntcp_capture cap;
        if (cli_load_capture("decode", argv[i], cap_max, &cap)) {
            rc = 1;
            break;
        }
        labelled |= cap.format == NTCP_CAPTURE_HEX_TRACE || cap.format == NTCP_CAPTURE_HEX_ARROWS;
        for (int d = 0; d < 2 && !rc; d++) {
            if (!cap.has[d])
                continue;
            if (ntcp_buf_append(&dirs[d], cap.dir[d].data, cap.dir[d].len)) {
                fprintf(stderr, "nettcp decode: %s: the capture is larger than --max-size allows\n", argv[i]);
                rc = 1;
            }
            has[d] = true;
        }
        ntcp_capture_free(&cap);
    }
    bool both = has[0] && has[1];
    for (int d = 0; d < 2 && !rc; d++) {
        if (!has[d])
            continue;
        if (!json && both)
            printf("%s# %s: %zu bytes\n", d ? "\n" : "", d == 0 ? "client -> service (c>s)" : "service -> client (s>c)",
                   dirs[d].len);
        rc |= decode_dir(argc > optind + 1 ? "input" : argv[optind], &dirs[d], d, &enc, forced, json,
                         both || labelled, after, &lim);
    }
    ntcp_buf_free(&dirs[0]);
    ntcp_buf_free(&dirs[1]);
    return rc;
}
