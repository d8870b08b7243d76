#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <nettcp/framing.h>
#include <nettcp/util.h>
#include "capture.h"
#include "cli.h"

int cli_read_file(const char *path, uint8_t **data, size_t *len)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f) {
        fprintf(stderr, "nettcp: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 65536, n = 0, k;
    uint8_t *d = malloc(cap + 1);
    while (d && (k = fread(d + n, 1, cap - n, f)) > 0) {
        n += k;
        if (n == cap) {
            uint8_t *nd = cap > SIZE_MAX / 4 ? NULL : realloc(d, cap * 2 + 1);
            if (!nd) {
                free(d);
                d = NULL;
                break;
            }
            d = nd;
            cap *= 2;
        }
    }
    int err = ferror(f);
    if (f != stdin)
        fclose(f);
    if (!d || err) {
        fprintf(stderr, "nettcp: cannot read %s\n", path);
        free(d);
        return -1;
    }
    d[n] = 0;
    *data = d;
    *len = n;
    return 0;
}

/* ---- JSON through jansson ---- */
json_t *cli_json_bytes(const void *p, size_t n)
{
    if (!p)
        return json_string("");
    json_t *v = json_stringn(p, n); /* NULL when the bytes are not UTF-8 */
    if (v)
        return v;
    ntcp_buf b;
    ntcp_buf_init(&b, n * 3 + 1);
    if (ntcp_utf8_repair(p, n, &b)) {
        ntcp_buf_free(&b);
        return NULL;
    }
    v = json_stringn(b.data ? (const char *)b.data : "", b.len);
    ntcp_buf_free(&b);
    return v;
}

json_t *cli_json_str(const char *s) { return cli_json_bytes(s ? s : "", s ? strlen(s) : 0); }
json_t *cli_json_str_or_null(const char *s) { return s && *s ? cli_json_str(s) : json_null(); }

void cli_json_set_bytes(json_t *o, const char *key, const void *p, size_t n)
{
    json_object_set_new(o, key, cli_json_bytes(p, n));
    if (!p || ntcp_utf8_valid(p, n))
        return;
    char k[64], *hex = malloc(n * 2 + 1);
    snprintf(k, sizeof k, "%s_hex", key);
    if (hex) {
        ntcp_hex_encode(p, n, hex);
        json_object_set_new(o, k, json_string(hex));
        free(hex);
    }
}

int cli_json_print_raw(json_t *doc, const char *key, const char *raw)
{
    if (!raw)
        return cli_json_print(doc);
    if (!doc) {
        fprintf(stderr, "nettcp: out of memory\n");
        return 1;
    }
    char *head = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15) | JSON_EMBED);
    json_t *k = json_string(key);
    char *kt = k ? json_dumps(k, JSON_ENCODE_ANY) : NULL;
    json_decref(k);
    json_decref(doc);
    if (head && kt)
        printf("{%s%s%s:%s}\n", head, *head ? "," : "", kt, raw);
    free(head);
    free(kt);
    fflush(stdout);
    return head && kt ? 0 : 1;
}

int cli_json_print(json_t *doc)
{
    if (!doc) {
        fprintf(stderr, "nettcp: out of memory\n");
        return 1;
    }
    /* REAL_PRECISION: milliseconds print as 12.345, not 12.345000000000001 */
    int rc = json_dumpf(doc, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
    json_decref(doc);
    putchar('\n');
    fflush(stdout);
    return rc ? 1 : 0;
}

static void print_text(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        putchar(p[i] >= 0x20 && p[i] < 0x7f ? p[i] : '.');
}

const char *cli_dir_name(int d) { return d == 0 ? "c>s" : "s>c"; }

void cli_print_record(const struct ntcp_nmf_record *r, int dir, int json, int show_dir)
{
    const char *name = ntcp_nmf_record_name(r->type);
    if (json) {
        json_t *o = json_object();
        if (show_dir)
            json_object_set_new(o, "direction", json_string(cli_dir_name(dir)));
        json_object_set_new(o, "offset", json_integer((json_int_t)r->offset));
        json_object_set_new(o, "type", json_string(name));
        json_object_set_new(o, "size", json_integer((json_int_t)r->size));
        switch (r->type) {
        case NTCP_NMF_VERSION:
            json_object_set_new(o, "major", json_integer(r->major));
            json_object_set_new(o, "minor", json_integer(r->minor));
            break;
        case NTCP_NMF_MODE:
            json_object_set_new(o, "mode", json_integer(r->mode));
            json_object_set_new(o, "mode_name", cli_json_str(ntcp_nmf_mode_name(r->mode)));
            break;
        case NTCP_NMF_VIA: cli_json_set_bytes(o, "via", r->data, r->size); break;
        case NTCP_NMF_KNOWN_ENCODING: {
            const char *ct = ntcp_nmf_encoding_content_type(r->encoding);
            json_object_set_new(o, "encoding", json_integer(r->encoding));
            json_object_set_new(o, "content_type", ct ? json_string(ct) : json_null());
            break;
        }
        case NTCP_NMF_EXTENSIBLE_ENCODING: cli_json_set_bytes(o, "content_type", r->data, r->size); break;
        case NTCP_NMF_UPGRADE_REQUEST: cli_json_set_bytes(o, "upgrade", r->data, r->size); break;
        case NTCP_NMF_FAULT: cli_json_set_bytes(o, "fault", r->data, r->size); break;
        case NTCP_NMF_UNSIZED_ENVELOPE: json_object_set_new(o, "chunks", json_integer(r->chunks)); break;
        default: break;
        }
        cli_json_print(o);
        return;
    }
    if (show_dir)
        printf("%s ", cli_dir_name(dir));
    printf("%8zu  %-18s", r->offset, name);
    switch (r->type) {
    case NTCP_NMF_VERSION: printf(" %u.%u", r->major, r->minor); break;
    case NTCP_NMF_MODE: printf(" %s (%u)", ntcp_nmf_mode_name(r->mode), r->mode); break;
    case NTCP_NMF_KNOWN_ENCODING: {
        const char *ct = ntcp_nmf_encoding_content_type(r->encoding);
        printf(" 0x%02x %s", r->encoding, ct ? ct : "(unknown encoding)");
        break;
    }
    case NTCP_NMF_VIA:
    case NTCP_NMF_EXTENSIBLE_ENCODING:
    case NTCP_NMF_UPGRADE_REQUEST:
    case NTCP_NMF_FAULT:
        putchar(' ');
        print_text(r->data, r->size);
        break;
    case NTCP_NMF_SIZED_ENVELOPE: printf(" %zu bytes", r->size); break;
    case NTCP_NMF_UNSIZED_ENVELOPE: printf(" %zu bytes in %u chunk%s", r->size, r->chunks, r->chunks == 1 ? "" : "s"); break;
    default: break;
    }
    putchar('\n');
}




int cli_load_capture(const char *cmd, const char *path, size_t max_bytes, ntcp_capture *cap)
{
    uint8_t *data;
    size_t len;
    memset(cap, 0, sizeof *cap);
    if (cli_read_file(path, &data, &len))
        return 1;
    ntcp_status st = ntcp_capture_load(cap, data, len, max_bytes);
    free(data);
    if (st == NTCP_OK)
        return 0;
    if (cap->error_line)
        fprintf(stderr, "nettcp %s: %s: line %zu is not a hex trace line\n", cmd, path, cap->error_line);
    else
        fprintf(stderr, "nettcp %s: %s: %s (%s)\n", cmd, path, ntcp_status_str(st), ntcp_status_name(st));
    ntcp_capture_free(cap);
    return 1;
}

ntcp_status cli_walk_records(const ntcp_buf *b, int dir, bool after_upgrade, const ntcp_framing_limits *lim,
                             int (*on_record)(void *ctx, const ntcp_nmf_record *r), void *ctx, size_t *offset,
                             bool *stopped)
{
    *stopped = false;
    *offset = 0;
    ntcp_nmf_start start = NTCP_START_PREAMBLE;
    /* a client stream captured after a security upgrade starts at PreambleEnd */
    if (after_upgrade || (dir == 0 && b->len && b->data[0] == NTCP_NMF_PREAMBLE_END))
        start = NTCP_START_AFTER_UPGRADE;
    ntcp_nmf_decoder *d;
    if (ntcp_nmf_decoder_new(&d, dir == 0 ? NTCP_FROM_INITIATOR : NTCP_FROM_RECEIVER, start, lim))
        return NTCP_E_NOMEM;
    size_t off = 0;
    ntcp_status st;
    for (;;) {
        size_t used = 0;
        ntcp_nmf_record r;
        st = ntcp_nmf_decoder_feed(d, b->data + off, b->len - off, &used, &r);
        off += used;
        bool have = st == NTCP_OK, at_end = false;
        if (st == NTCP_AGAIN) { /* all fed: a singleton-sized message may end here */
            st = ntcp_nmf_decoder_finish(d, &r, &have);
            at_end = true;
        }
        if (have && on_record(ctx, &r)) {
            *stopped = true;
            *offset = r.offset;
            st = NTCP_OK;
            break;
        }
        if (have && !at_end)
            continue;
        if (st == NTCP_E_STATE && ntcp_nmf_decoder_at_upgrade(d))
            *offset = off; /* the upgraded protocol's bytes start here */
        else if (st != NTCP_OK)
            *offset = ntcp_nmf_decoder_offset(d);
        break;
    }
    ntcp_nmf_decoder_free(d);
    return st;
}

static int tls_version(const char *s)
{
    if (!strcmp(s, "1.2"))
        return 0x0303;
    if (!strcmp(s, "1.3"))
        return 0x0304;
    return -1;
}

int cli_parse_tls(const char *cmd, int opt, const char *arg, ntcp_credential_type *cred, ntcp_tls_options *t)
{
    switch (opt) {
    case CLI_OPT_CREDENTIAL:
        if (!strcmp(arg, "windows"))
            *cred = NTCP_CREDENTIAL_WINDOWS;
        else if (!strcmp(arg, "certificate"))
            *cred = NTCP_CREDENTIAL_CERTIFICATE;
        else if (!strcmp(arg, "none"))
            *cred = NTCP_CREDENTIAL_NONE;
        else {
            fprintf(stderr, "nettcp %s: --credential is windows, certificate or none\n", cmd);
            return 2;
        }
        return 0;
    case CLI_OPT_CA: t->ca_file = arg; return 0;
    case CLI_OPT_CERT: t->cert_file = arg; return 0;
    case CLI_OPT_KEY: t->key_file = arg; return 0;
    case CLI_OPT_VALIDATION:
        if (!strcmp(arg, "chain"))
            t->validation = NTCP_TLS_VALIDATION_CHAIN;
        else if (!strcmp(arg, "peer"))
            t->validation = NTCP_TLS_VALIDATION_PEER;
        else if (!strcmp(arg, "none"))
            t->validation = NTCP_TLS_VALIDATION_NONE;
        else {
            fprintf(stderr, "nettcp %s: --validation is chain, peer or none\n", cmd);
            return 2;
        }
        return 0;
    case CLI_OPT_REVOCATION:
        if (!strcmp(arg, "nocheck"))
            t->revocation = NTCP_TLS_REVOCATION_NOCHECK;
        else if (!strcmp(arg, "online"))
            t->revocation = NTCP_TLS_REVOCATION_ONLINE;
        else if (!strcmp(arg, "offline"))
            t->revocation = NTCP_TLS_REVOCATION_OFFLINE;
        else {
            fprintf(stderr, "nettcp %s: --revocation is nocheck, online or offline\n", cmd);
            return 2;
        }
        return 0;
    case CLI_OPT_TLS_MIN:
    case CLI_OPT_TLS_MAX: {
        int v = tls_version(arg);
        if (v < 0) {
            fprintf(stderr, "nettcp %s: --tls-min and --tls-max are 1.2 or 1.3\n", cmd);
            return 2;
        }
        if (opt == CLI_OPT_TLS_MIN)
            t->min_version = v;
        else
            t->max_version = v;
        return 0;
    }
    default: return -1;
    }
}
