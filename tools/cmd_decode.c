/* nettcp decode: the framing records and every envelope of a recorded
 * connection as XML, with each direction's session dictionary. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <nettcp/pcap.h>
#include <nettcp/framing.h>
#include <nettcp/soap.h>
#include <nettcp/xml.h>
#include "cli.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: nettcp decode [--json] [--encoding auto|session|binary|text] [--after-upgrade]\n"
            "                     [--max-size BYTES] [--port N] [--keytab FILE]\n"
            "                     [--password PW]... [--nt-hash HEX]... FILE...\n"
            "\n"
            "Decodes net.tcp connections: the .NET Message Framing records, and every\n"
            "envelope as indented XML. Binary session envelopes\n"
            "(application/soap+msbinsession1) are decoded with each direction's session\n"
            "dictionary, which starts empty at each new preamble.\n"
            "\n"
            "FILE is a packet capture (pcap or pcapng, e.g. from tcpdump or Wireshark):\n"
            "every TCP connection that starts with an MC-NMF preamble (or every one on\n"
            "--port) is reassembled, its NegotiateStream data unprotected with the keys\n"
            "given, and summed up (endpoints, package, principals, enctype, protection,\n"
            "messages, errors). Or FILEs hold raw bytes of one direction or a hex trace of\n"
            "one or both ('<time>\\t<peer>\\tc>s\\t<hex>' lines, 'C->S <hex>' / 'S->C <hex>'\n"
            "lines, or plain hex); a one-direction file is the client's when it starts with\n"
            "Version (00) or PreambleEnd (0C), the service's otherwise. A stream may begin\n"
            "at the preamble or right after a security upgrade (PreambleEnd / PreambleAck).\n"
            "\n"
            "options:\n"
            "  --json             one JSON object per envelope: direction, index (1-based, per\n"
            "                     direction), action, message_id, relates_to (null when absent),\n"
            "                     size (envelope bytes) and xml (the text); from a capture also\n"
            "                     connection (1-based) and time, and one summary object per\n"
            "                     connection\n"
            "  --encoding E       how to read envelopes: auto (from the client's preamble;\n"
            "                     binary session when unknown), session, binary (msbin1), text\n"
            "  --after-upgrade    the client stream starts right after a security upgrade\n"
            "  --max-size BYTES   largest envelope accepted (default 67108864 = 64 MiB)\n"
            "  --port N           decode the capture's connections on TCP port N, whatever\n"
            "                     their first bytes\n"
            "  --keytab FILE      the service's keytab: reads Kerberos sessions\n"
            "  --password PW      the client's password: reads NTLM sessions (repeatable; NETTCP_PASSWORD\n"
            "                     is tried too, and keeps the password off the command line)\n"
            "  --nt-hash HEX      the client's NT hash, 32 hex digits (repeatable)\n"
            "\n"
            "exit status: 0 if everything decoded, 1 on bad or incomplete input (the message\n"
            "names the connection, the direction, the envelope and the byte offset, or why\n"
            "a session could not be unprotected), 2 on usage errors.\n");
}

enum enc { ENC_AUTO, ENC_SESSION, ENC_BINARY, ENC_TEXT };

struct dir_state {
    ntcp_xml_session *dict;
    unsigned index;
};

/* Where a direction's bytes came from when they came from a capture: its
 * connection number, and how a record's offset maps to a packet's time. */
struct origin {
    unsigned conn;                  /* 0: not from a capture */
    const ntcp_tcp_stream *tcp;
    uint64_t base;                  /* stream offset of the decoded bytes' first byte */
    const ntcp_passive_map *map;    /* decrypted bytes: plain offset -> frame offset (from base) */
    size_t nmap;
    unsigned errors;
};

static int64_t time_of(const struct origin *o, size_t off)
{
    if (!o || !o->tcp)
        return 0;
    uint64_t wire = off;
    if (o->map) {
        wire = 0;
        for (size_t i = 0; i < o->nmap && o->map[i].plain <= off; i++)
            wire = o->map[i].wire;
    }
    return ntcp_tcp_time_at(o->tcp, o->base + wire);
}

static void format_time(int64_t usec, char out[64])
{
    time_t t = (time_t)(usec / 1000000);
    struct tm tm;
    gmtime_r(&t, &tm);
    char b[32];
    strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 64, "%s.%06lldZ", b, (long long)(usec % 1000000));
}

static void print_time(int64_t usec)
{
    char b[64];
    format_time(usec, b);
    fputs(b, stdout);
}

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
                    bool json, bool show_dir, const ntcp_framing_limits *lim, struct origin *o)
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
        char where[32] = "";
        if (o && o->conn)
            snprintf(where, sizeof where, "connection %u ", o->conn);
        fprintf(stderr, "nettcp decode: %s: %s%s envelope %u (the %s record at offset %zu): %s (%s)\n", path, where,
                cli_dir_name(dir), ds->index, ntcp_nmf_record_name(r->type), r->offset, ntcp_status_str(st),
                ntcp_status_name(st));
        if (o)
            o->errors++;
        rc = 1;
    } else if (json) {
        json_t *j = json_object();
        if (o && o->conn) {
            char tb[64];
            format_time(time_of(o, r->offset), tb);
            json_object_set_new(j, "connection", json_integer(o->conn));
            json_object_set_new(j, "time", json_string(tb));
        }
        json_object_set_new(j, "direction", json_string(cli_dir_name(dir)));
        json_object_set_new(j, "index", json_integer(ds->index));
        json_object_set_new(j, "action", soap.action ? cli_json_str(soap.action) : json_null());
        json_object_set_new(j, "message_id", soap.message_id ? cli_json_str(soap.message_id) : json_null());
        json_object_set_new(j, "relates_to", soap.relates_to ? cli_json_str(soap.relates_to) : json_null());
        json_object_set_new(j, "size", json_integer((json_int_t)r->size));
        cli_json_set_bytes(j, "xml", xml.data ? xml.data : (const uint8_t *)"", xml.len);
        cli_json_print(j);
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
    struct origin *o;
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
                        w->show_dir, w->lim, w->o);
    if (!w->json)
        cli_print_record(r, w->dir, 0, w->show_dir);
    return 0;
}

/* Decodes one direction. *upgraded (may be NULL) is set to where the
 * upgraded protocol's bytes start when the stream stops at an upgrade, else
 * to SIZE_MAX; then nothing is printed about them when origin is a capture. */
static int decode_dir(const char *path, const ntcp_buf *b, int dir, enum enc *enc, bool forced, bool json,
                      bool show_dir, bool after_upgrade, const ntcp_framing_limits *lim, struct origin *o,
                      size_t *upgraded, unsigned *messages)
{
    struct walk_ctx w = { path, dir, enc, forced, json, show_dir, lim, { NULL, 0 }, o };
    if (upgraded)
        *upgraded = SIZE_MAX;
    if (ntcp_xml_session_new(&w.ds.dict, 0)) {
        fprintf(stderr, "nettcp decode: out of memory\n");
        return 1;
    }
    size_t off;
    bool stopped;
    ntcp_status st = cli_walk_records(b, dir, after_upgrade, lim, on_record, &w, &off, &stopped);
    ntcp_xml_session_free(w.ds.dict);
    if (messages)
        *messages += w.ds.index - (stopped ? 1 : 0);
    if (stopped)
        return 1; /* envelope() said why */
    if (st == NTCP_E_STATE) {
        if (upgraded)
            *upgraded = off;
        if (!json && !(o && o->conn))
            printf("%s%8zu  %-18s %zu bytes of the upgraded protocol, not decoded\n",
                   show_dir ? (dir == 0 ? "c>s " : "s>c ") : "", off, "(upgraded stream)", b->len - off);
        return 0;
    }
    if (st != NTCP_OK) {
        char where[32] = "";
        if (o && o->conn)
            snprintf(where, sizeof where, "connection %u ", o->conn);
        fprintf(stderr, "nettcp decode: %s: %s%s stream at byte offset %zu: %s (%s)\n", path, where, cli_dir_name(dir),
                off, ntcp_status_str(st), ntcp_status_name(st));
        if (o)
            o->errors++;
        return 1;
    }
    return 0;
}

/* ---- packet captures ---- */

struct keys {
    const char *keytab;
    const char **passwords;
    size_t npasswords;
    uint8_t (*hashes)[16];
    size_t nhashes;
};

static bool preamble_start(const ntcp_buf *b)
{
    /* MC-NMF 2.2.3.1 Version 1.0, 2.2.3.2 Mode 1..4 */
    return b->len >= 4 && b->data[0] == 0 && b->data[1] == 1 && b->data[2] == 0 && b->data[3] >= 1 && b->data[3] <= 4;
}

/* Warnings about a direction's TCP stream; returns the errors (gaps, limit). */
static unsigned stream_warnings(const char *path, unsigned n, int d, const ntcp_tcp_stream *s)
{
    unsigned errors = 0;
    for (size_t g = 0; g < s->ngaps; g++) {
        fprintf(stderr,
                "nettcp decode: %s: warning: connection %u %s: %llu bytes missing at stream offset %llu "
                "(cause: %s)%s\n",
                path, n, cli_dir_name(d), (unsigned long long)s->gaps[g].len, (unsigned long long)s->gaps[g].offset,
                ntcp_cause_id(NTCP_CAUSE_TCP_GAP), g == 0 ? "; what follows is not decoded" : "");
        errors++;
    }
    if (s->over_limit) {
        fprintf(stderr,
                "nettcp decode: %s: warning: connection %u %s: more bytes than --max-size allows; the rest is "
                "not decoded (cause: %s)\n",
                path, n, cli_dir_name(d), ntcp_cause_id(NTCP_CAUSE_CAPTURE_TOO_LARGE));
        errors++;
    }
    return errors;
}

static int decode_conn(const char *path, unsigned n, const ntcp_tcp_conn *c, const struct keys *k, enum enc enc,
                       bool forced, bool json, const ntcp_framing_limits *lim)
{
    struct origin o[2] = { { n, &c->dir[0], 0, NULL, 0, 0 }, { n, &c->dir[1], 0, NULL, 0, 0 } };
    unsigned messages[2] = { 0, 0 };
    unsigned errors = 0;
    int rc = 0;
    if (!json) {
        printf("# connection %u: %s -> %s, from ", n, c->endpoint[0], c->endpoint[1]);
        print_time(c->first_usec);
        printf("%s\n", c->roles_guessed ? " (no SYN captured: the client is the side that sent the preamble)" : "");
    }
    for (int d = 0; d < 2; d++)
        errors += stream_warnings(path, n, d, &c->dir[d]);
    size_t up[2] = { SIZE_MAX, SIZE_MAX };
    for (int d = 0; d < 2; d++) {
        if (!c->dir[d].data.len)
            continue;
        if (!json)
            printf("# %s: %zu bytes\n", d == 0 ? "client -> service (c>s)" : "service -> client (s>c)",
                   c->dir[d].data.len);
        rc |= decode_dir(path, &c->dir[d].data, d, &enc, forced, json, true, false, lim, &o[d], &up[d], &messages[d]);
    }
    ntcp_passive ps;
    bool secured = up[0] != SIZE_MAX && up[1] != SIZE_MAX;
    memset(&ps, 0, sizeof ps);
    if (up[0] != SIZE_MAX && up[1] == SIZE_MAX) {
        fprintf(stderr,
                "nettcp decode: %s: connection %u: the client upgraded the stream but the capture holds no "
                "UpgradeResponse (cause: %s)\n",
                path, n, ntcp_cause_id(NTCP_CAUSE_DECRYPT_HANDSHAKE_INCOMPLETE));
        errors++;
    }
    if (secured) {
        ntcp_passive_keys pk = { k->keytab, k->passwords, k->npasswords, (const uint8_t(*)[16])k->hashes, k->nhashes };
        const uint8_t *in[2] = { c->dir[0].data.data + up[0], c->dir[1].data.data + up[1] };
        size_t len[2] = { c->dir[0].data.len - up[0], c->dir[1].data.len - up[1] };
        uint64_t base[2] = { up[0], up[1] };
        ntcp_status st = ntcp_passive_decode(in, len, base, ntcp_tcp_time_at(&c->dir[0], up[0]), &pk,
                                             (size_t)lim->max_message * 4 + (1u << 20), &ps);
        if (st) {
            fprintf(stderr, "nettcp decode: %s: connection %u: %s (%s)\n", path, n, ntcp_status_str(st),
                    ntcp_status_name(st));
            ntcp_passive_free(&ps);
            return 1;
        }
        if (!json) {
            printf("# security: %s%s", ps.package_known ? ntcp_package_name(ps.package) : "unknown package",
                   ps.spnego ? " (SPNEGO)" : "");
            if (ps.protection_known)
                printf(", %s", ntcp_protection_name(ps.protection));
            if (*ps.key)
                printf("; key: %s", ps.key);
            printf("\n");
        }
        bool unprotected = ps.protection_known && ps.protection == NTCP_PROTECTION_NONE && ps.handshake_done;
        if (ps.cause && unprotected) {
            /* ProtectionLevel None: everything is readable, the keys only tell who it was */
            fprintf(stderr, "nettcp decode: %s: connection %u: note: the keys given were not checked: %s (cause: %s)\n",
                    path, n, ps.why, ntcp_cause_id(ps.cause));
        } else if (ps.cause) {
            fprintf(stderr, "nettcp decode: %s: connection %u: the session is not read: %s (cause: %s)\n  fix: %s\n",
                    path, n, ps.why, ntcp_cause_id(ps.cause), ntcp_cause_advice(ps.cause));
            errors++;
        }
        for (int d = 0; d < 2; d++) {
            if (*ps.frame_error[d] && (ps.bad_frames[d] || !ps.cause)) {
                fprintf(stderr, "nettcp decode: %s: connection %u %s: %s (cause: %s)\n", path, n, cli_dir_name(d),
                        ps.frame_error[d],
                        ntcp_cause_id(ps.bad_frames[d] ? NTCP_CAUSE_DECRYPT_FRAME_FAILED
                                                       : NTCP_CAUSE_CAPTURE_TRUNCATED));
                errors++;
            }
            if (!ps.plain[d].len)
                continue;
            o[d].base = 0; /* the map's frame offsets are stream offsets already */
            o[d].map = ps.map[d];
            o[d].nmap = ps.nmap[d];
            if (!json)
                printf("# %s after the upgrade: %zu bytes%s\n", d == 0 ? "c>s" : "s>c", ps.plain[d].len,
                       ps.frames[d] ? " from NegotiateStream data frames" : "");
            rc |= decode_dir(path, &ps.plain[d], d, &enc, forced, json, true, true, lim, &o[d], NULL, &messages[d]);
        }
    }
    errors += o[0].errors + o[1].errors;
    const char *pkg = secured ? (ps.package_known ? ntcp_package_name(ps.package) : "unknown") : "none";
    const char *prot = secured ? (ps.protection_known ? ntcp_protection_name(ps.protection) : "unknown") : "none";
    char enctype[64] = "";
    if (secured && ps.package == NTCP_PACKAGE_KERBEROS && ps.enctype)
        snprintf(enctype, sizeof enctype, "%s", ps.enctype == 17 ? "aes128-cts-hmac-sha1-96"
                                               : ps.enctype == 18 ? "aes256-cts-hmac-sha1-96"
                                               : ps.enctype == 23 ? "rc4-hmac" : "other");
    if (json) {
        char tb[64];
        format_time(c->first_usec, tb);
        json_t *sum = json_object();
        json_object_set_new(sum, "client", cli_json_str_or_null(c->endpoint[0]));
        json_object_set_new(sum, "service", cli_json_str_or_null(c->endpoint[1]));
        json_object_set_new(sum, "start", json_string(tb));
        json_object_set_new(sum, "package", cli_json_str(pkg));
        json_object_set_new(sum, "client_principal", cli_json_str_or_null(secured ? ps.client : NULL));
        json_object_set_new(sum, "service_principal", cli_json_str_or_null(secured ? ps.service : NULL));
        json_object_set_new(sum, "enctype", cli_json_str_or_null(enctype));
        json_object_set_new(sum, "protection", cli_json_str(prot));
        json_object_set_new(sum, "key", cli_json_str_or_null(secured ? ps.key : NULL));
        json_object_set_new(sum, "cause", cli_json_str_or_null(secured && ps.cause ? ntcp_cause_id(ps.cause) : NULL));
        json_object_set_new(sum, "messages", json_pack("{s:i,s:i}", "c>s", (int)messages[0], "s>c", (int)messages[1]));
        json_object_set_new(sum, "errors", json_integer(errors));
        json_object_set_new(sum, "retransmitted", json_integer(c->dir[0].retransmitted + c->dir[1].retransmitted));
        json_object_set_new(sum, "out_of_order", json_integer(c->dir[0].out_of_order + c->dir[1].out_of_order));
        cli_json_print(json_pack("{s:i,s:o}", "connection", (int)n, "summary", sum));
    } else {
        printf("# connection %u summary: %s -> %s; package %s; client %s; service %s; enctype %s; protection %s; "
               "messages c>s %u, s>c %u; errors %u; retransmitted segments %u, out of order %u\n",
               n, c->endpoint[0], c->endpoint[1], pkg, secured && *ps.client ? ps.client : "-",
               secured && *ps.service ? ps.service : "-", *enctype ? enctype : "-", prot, messages[0], messages[1],
               errors, c->dir[0].retransmitted + c->dir[1].retransmitted,
               c->dir[0].out_of_order + c->dir[1].out_of_order);
    }
    ntcp_passive_free(&ps);
    return rc || errors ? 1 : 0;
}

static int decode_capture(const char *path, const uint8_t *data, size_t len, const struct keys *k, int port,
                          enum enc enc, bool forced, bool json, const ntcp_framing_limits *lim)
{
    ntcp_pcap p;
    ntcp_status st = ntcp_pcap_read(data, len, (size_t)lim->max_message * 4 + (1u << 20), &p);
    if (st) {
        if (st == NTCP_E_MALFORMED)
            fprintf(stderr,
                "nettcp decode: %s: not a capture that can be read: %s (cause: %s)\n",
                path, p.error, ntcp_cause_id(NTCP_CAUSE_CAPTURE_UNREADABLE));
        else
            fprintf(stderr, "nettcp decode: %s: %s (%s)\n", path, ntcp_status_str(st), ntcp_status_name(st));
        ntcp_pcap_free(&p);
        return 1;
    }
    int rc = 0;
    if (p.truncated) {
        fprintf(stderr,
                "nettcp decode: %s: warning: the %s file ends in the middle of a packet after %zu packets "
                "(%s); decoding what came before (cause: %s)\n",
                path, p.format, p.packets, p.error, ntcp_cause_id(NTCP_CAUSE_CAPTURE_TRUNCATED));
        rc = 1;
    }
    if (p.fragments)
        fprintf(stderr, "nettcp decode: %s: warning: %zu IP fragments were not reassembled\n", path, p.fragments);
    unsigned n = 0;
    for (size_t i = 0; i < p.nconns; i++) {
        const ntcp_tcp_conn *c = &p.conns[i];
        bool take = port ? (c->port[0] == port || c->port[1] == port) : preamble_start(&c->dir[0].data);
        if (!take)
            continue;
        n++;
        if (!json && n > 1)
            printf("\n");
        rc |= decode_conn(path, n, c, k, enc, forced, json, lim);
    }
    if (!n) {
        if (port)
            fprintf(stderr,
                "nettcp decode: %s: no TCP connection on port %d in the %s file (%zu packets, %zu TCP) "
                "(cause: %s)\n",
                path, port, p.format, p.packets, p.tcp_packets, ntcp_cause_id(NTCP_CAUSE_CAPTURE_NO_CONNECTION));
        else
            fprintf(stderr,
                "nettcp decode: %s: no connection in the %s file starts with an MC-NMF preamble (%zu "
                "packets, %zu TCP, %zu connections); name the service's port with --port "
                "(cause: %s)\n",
                path, p.format, p.packets, p.tcp_packets, p.nconns, ntcp_cause_id(NTCP_CAUSE_CAPTURE_NO_CONNECTION));
        rc = 1;
    }
    ntcp_pcap_free(&p);
    return rc;
}

/* Raw bytes must start with a framing record (MC-NMF 2.2.1 types 0x00-0x0C). */
static bool known_raw(const ntcp_capture *cap)
{
    if (cap->format != NTCP_CAPTURE_RAW)
        return true;
    for (int d = 0; d < 2; d++)
        if (cap->has[d] && cap->dir[d].len && cap->dir[d].data[0] > 0x0C)
            return false;
    return true;
}

static const char formats_expected[] =
    "expected pcap, pcapng, a hex trace ('<time>\\t<peer>\\tc>s\\t<hex>', 'C->S <hex>' or plain hex) "
    "or raw MC-NMF bytes starting with a framing record";

static int parse_hash(const char *s, uint8_t out[16])
{
    if (strlen(s) != 32)
        return -1;
    for (int i = 0; i < 16; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1 || !strchr("0123456789abcdefABCDEF", s[2 * i]) ||
            !strchr("0123456789abcdefABCDEF", s[2 * i + 1]))
            return -1;
        out[i] = (uint8_t)v;
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
        { "port", required_argument, NULL, 'p' },
        { "keytab", required_argument, NULL, 'k' },
        { "password", required_argument, NULL, 'P' },
        { "nt-hash", required_argument, NULL, 'H' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    bool json = false, after = false, forced = false;
    enum enc enc = ENC_AUTO;
    ntcp_framing_limits lim = NTCP_FRAMING_LIMITS_OFFLINE;
    int port = 0;
    struct keys k = { NULL, NULL, 0, NULL, 0 };
    k.passwords = calloc((size_t)argc + 1, sizeof *k.passwords);
    k.hashes = calloc((size_t)argc, sizeof *k.hashes);
    if (!k.passwords || !k.hashes) {
        free(k.passwords);
        free(k.hashes);
        fprintf(stderr, "nettcp decode: out of memory\n");
        return 1;
    }
    int c, rc = 0;
    optind = 1;
    while (!rc && (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
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
                rc = 2;
            }
            break;
        case 'm':
            if (cli_parse_bytes("decode", "max-size", optarg, &lim.max_message))
                rc = 2;
            break;
        case 'p': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < 1 || v > 65535) {
                fprintf(stderr, "nettcp decode: --port takes a TCP port from 1 to 65535\n");
                rc = 2;
            }
            port = (int)v;
            break;
        }
        case 'k': k.keytab = optarg; break;
        case 'P': k.passwords[k.npasswords++] = optarg; break;
        case 'H':
            if (parse_hash(optarg, k.hashes[k.nhashes])) {
                fprintf(stderr, "nettcp decode: --nt-hash takes 32 hex digits (the MD4 of the UTF-16LE password)\n");
                rc = 2;
            }
            k.nhashes++;
            break;
        case 'h': usage(stdout); rc = -1; break;
        default: usage(stderr); rc = 2; break;
        }
    }
    if (!rc && optind >= argc) {
        usage(stderr);
        rc = 2;
    }
    /* NETTCP_PASSWORD is tried too, as call and doctor read it: a password
     * need not stand on the command line */
    size_t given_passwords = k.npasswords;
    const char *envpw = getenv("NETTCP_PASSWORD");
    if (envpw && *envpw)
        k.passwords[k.npasswords++] = envpw;
    /* a keytab name without a type is a file */
    char ktname[4096];
    if (!rc && k.keytab && !strchr(k.keytab, ':')) {
        snprintf(ktname, sizeof ktname, "FILE:%s", k.keytab);
        k.keytab = ktname;
    }
    /* a packet capture is decoded on its own */
    for (int i = optind; !rc && i < argc; i++) {
        uint8_t *data;
        size_t len;
        if (cli_read_file(argv[i], &data, &len)) {
            rc = 1;
            break;
        }
        if (ntcp_pcap_is_capture(data, len)) {
            if (argc - optind > 1) {
                fprintf(stderr, "nettcp decode: %s is a packet capture: give it alone\n", argv[i]);
                rc = 2;
            } else {
                rc = decode_capture(argv[i], data, len, &k, port, enc, forced, json, &lim);
                if (!rc)
                    rc = -1;
            }
        }
        free(data);
        if (rc)
            break;
    }
    if (!rc && (port || k.keytab || given_passwords || k.nhashes)) {
        fprintf(stderr, "nettcp decode: --port, --keytab, --password and --nt-hash apply to pcap/pcapng captures\n");
        rc = 2;
    }
    if (rc) {
        free(k.passwords);
        free(k.hashes);
        return rc < 0 ? 0 : rc;
    }
    /* gather both directions from all files */
    ntcp_buf dirs[2];
    bool has[2] = { false, false }, labelled = false;
    size_t cap_max = (size_t)lim.max_message * 2 + (1u << 20);
    ntcp_buf_init(&dirs[0], cap_max * 4);
    ntcp_buf_init(&dirs[1], cap_max * 4);
    for (int i = optind; i < argc && !rc; i++) {
        ntcp_capture cap;
        if (cli_load_capture("decode", argv[i], cap_max, &cap)) {
            fprintf(stderr,
                "nettcp decode: %s: %s (cause: %s)\n",
                argv[i], formats_expected, ntcp_cause_id(NTCP_CAUSE_CAPTURE_FORMAT_UNKNOWN));
            rc = 1;
            break;
        }
        if (!known_raw(&cap)) {
            fprintf(stderr,
                "nettcp decode: %s: not a format decode reads: %s (cause: %s)\n",
                argv[i], formats_expected, ntcp_cause_id(NTCP_CAUSE_CAPTURE_FORMAT_UNKNOWN));
            ntcp_capture_free(&cap);
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
                         both || labelled, after, &lim, NULL, NULL, NULL);
    }
    ntcp_buf_free(&dirs[0]);
    ntcp_buf_free(&dirs[1]);
    free(k.passwords);
    free(k.hashes);
    return rc;
}
