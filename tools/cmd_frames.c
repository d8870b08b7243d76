/* nettcp frames: print the MC-NMF records of a recorded connection. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "capture.h"
#include <nettcp/framing.h>
#include "cli.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: nettcp frames [--json] [--after-upgrade] [--max-size BYTES] FILE|-\n"
            "\n"
            "Decodes the .NET Message Framing (MC-NMF) records of a connection and prints one\n"
            "line per record: offset, record type, payload size and the record's fields (via,\n"
            "mode, encoding, upgrade protocol, fault text).\n"
            "\n"
            "FILE holds raw bytes of one direction, or a hex trace: lines '<time>\\t<peer>\\tc>s\\t<hex>'\n"
            "(and s>c), lines 'C->S <hex>' / 'S->C <hex>', or plain hex. The format is detected; each\n"
            "direction present is decoded on its own. A stream may begin at the preamble or right\n"
            "after a security upgrade (at PreambleEnd / PreambleAck); this is detected too.\n"
            "Bytes that belong to a security upgrade (after UpgradeRequest / UpgradeResponse) are\n"
            "reported and not decoded as framing.\n"
            "\n"
            "options:\n"
            "  --json             one JSON object per record per line: offset, type, size, and\n"
            "                     direction, major/minor, mode, via, encoding, content_type,\n"
            "                     upgrade, fault, chunks where they apply\n"
            "  --after-upgrade    the stream starts right after a security upgrade\n"
            "  --max-size BYTES   largest envelope/record accepted (default 67108864 = 64 MiB;\n"
            "                     offline decoding is not bound by the 65536-byte wire quota)\n"
            "\n"
            "exit status: 0 if every record decoded, 1 on bad input (the message names the byte\n"
            "offset), 2 on usage errors.\n");
}

struct print_ctx {
    int dir;
    bool json, show_dir;
};

static int print_record(void *ctx, const ntcp_nmf_record *r)
{
    const struct print_ctx *p = ctx;
    cli_print_record(r, p->dir, p->json, p->show_dir);
    return 0;
}

/* Decodes one direction; returns 0 or 1. */
static int decode_dir(const char *path, const ntcp_buf *b, int dir, bool json, bool show_dir, bool after_upgrade,
                      const ntcp_framing_limits *lim)
{
    struct print_ctx pc = { dir, json, show_dir };
    size_t off;
    bool stopped;
    ntcp_status st = cli_walk_records(b, dir, after_upgrade, lim, print_record, &pc, &off, &stopped);
    if (st == NTCP_E_STATE) {
        size_t rest = b->len - off;
        if (json) {
            json_t *o = json_object();
            if (show_dir)
                json_object_set_new(o, "direction", json_string(cli_dir_name(dir)));
            json_object_set_new(o, "offset", json_integer((json_int_t)off));
            json_object_set_new(o, "type", json_string("UpgradedBytes"));
            json_object_set_new(o, "size", json_integer((json_int_t)rest));
            cli_json_print(o);
        } else
            printf("%s%8zu  %-18s %zu bytes of the upgraded protocol (security handshake and protected "
                   "data), not framing\n",
                   show_dir ? (dir == 0 ? "c>s " : "s>c ") : "", off, "(upgraded stream)", rest);
        return 0;
    }
    if (st != NTCP_OK) {
        fprintf(stderr, "nettcp frames: %s: %s%s at byte offset %zu: %s (%s)\n", path,
                show_dir ? cli_dir_name(dir) : "", show_dir ? " stream" : "stream", off, ntcp_status_str(st),
                ntcp_status_name(st));
        return 1;
    }
    return 0;
}

int cmd_frames(int argc, char **argv)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { "after-upgrade", no_argument, NULL, 'a' },
        { "max-size", required_argument, NULL, 'm' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    bool json = false, after = false;
    ntcp_framing_limits lim = NTCP_FRAMING_LIMITS_OFFLINE;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'j': json = true; break;
        case 'a': after = true; break;
        case 'm':
            if (cli_parse_bytes("frames", "max-size", optarg, &lim.max_message))
                return 2;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc - 1) {
        usage(stderr);
        return 2;
    }
    const char *path = argv[optind];
    ntcp_capture cap;
    if (cli_load_capture("frames", path, (size_t)lim.max_message * 2 + (1u << 20), &cap))
        return 1;
    bool both = cap.has[0] && cap.has[1];
    int rc = 0;
    for (int d = 0; d < 2; d++) {
        if (!cap.has[d])
            continue;
        bool show_dir = both || cap.format == NTCP_CAPTURE_HEX_TRACE || cap.format == NTCP_CAPTURE_HEX_ARROWS;
        if (!json && both)
            printf("%s# %s: %zu bytes\n", d ? "\n" : "", d == 0 ? "client -> service (c>s)" : "service -> client (s>c)",
                   cap.dir[d].len);
        rc |= decode_dir(path, &cap.dir[d], d, json, show_dir, after, &lim);
    }
    ntcp_capture_free(&cap);
    return rc;
}
