#ifndef NTCP_CLI_H
#define NTCP_CLI_H
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

struct ntcp_cli_command {
    const char *name;
    const char *summary;
    int (*fn)(int argc, char **argv); /* argv[0] is the command name */
};

int cmd_frames(int argc, char **argv);
int cmd_xml(int argc, char **argv);
int cmd_decode(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_call(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_wsdl(int argc, char **argv);

#include <nettcp/negotiate.h>
int cli_parse_package(const char *s, ntcp_package *p);
int cli_parse_protection(const char *s, ntcp_protection *p);
/* A positive byte count (--max-size and the like): 0, or 2 after printing a usage error. */
int cli_parse_bytes(const char *cmd, const char *opt, const char *arg, uint32_t *out);
/* --security ('s'), --package ('p'), --protection ('P'): 0 parsed, 2 usage error (printed), -1 not one of them. */
#include <nettcp/service.h>
int cli_parse_security(const char *cmd, int opt, const char *arg, ntcp_security_mode *mode, ntcp_nns_options *nns);
/* The TLS options call, doctor and serve share (long options only, codes
 * CLI_OPT_*): --credential, --ca / --client-ca, --cert / --client-cert,
 * --key / --client-key, --validation, --revocation, --tls-min, --tls-max.
 * 0 parsed, 2 usage error (printed), -1 not one of them. */
#include <nettcp/tls.h>
enum {
    CLI_OPT_CREDENTIAL = 1000, CLI_OPT_CA, CLI_OPT_CERT, CLI_OPT_KEY, CLI_OPT_VALIDATION, CLI_OPT_REVOCATION,
    CLI_OPT_TLS_MIN, CLI_OPT_TLS_MAX
};
int cli_parse_tls(const char *cmd, int opt, const char *arg, ntcp_credential_type *cred, ntcp_tls_options *t);
/* Reads and loads a capture file; 0, or 1 after printing the error. */
#include "capture.h"
int cli_load_capture(const char *cmd, const char *path, size_t max_bytes, ntcp_capture *cap);

/* Reads a whole file ("-" = stdin) into a malloc'd buffer (NUL-terminated);
 * returns 0 on success, prints an error and returns -1 otherwise. */
int cli_read_file(const char *path, uint8_t **data, size_t *len);

struct ntcp_nmf_record;
/* "c>s" (0) or "s>c" (1). */
const char *cli_dir_name(int dir);
/* JSON documents through jansson. A string from bytes: well-formed UTF-8 as
 * it is (NUL included), each maximal ill-formed subpart as U+FFFD. */
#include <jansson.h>
json_t *cli_json_bytes(const void *p, size_t n);
json_t *cli_json_str(const char *s);         /* NULL: "" */
json_t *cli_json_str_or_null(const char *s); /* NULL or "": null */
/* o[key] = the bytes as a string; when they are not UTF-8, also o[key + "_hex"]
 * = the exact bytes in lower-case hex (docs/cli.md, "JSON output"). */
void cli_json_set_bytes(json_t *o, const char *key, const void *p, size_t n);
/* doc as one compact line on stdout; takes the reference. 0, or 1 (printed). */
int cli_json_print(json_t *doc);
/* The same with one more member, "key": raw, whose value is JSON text written elsewhere (the schema's
 * reply, whose numbers keep every digit of the reply's text); raw NULL: cli_json_print. */
int cli_json_print_raw(json_t *doc, const char *key, const char *raw);
/* One framing record: a text line, or a JSON object with offset/type/size. */
void cli_print_record(const struct ntcp_nmf_record *r, int dir, int json, int show_dir);

/* Decodes the framing records of one recorded direction (0 client, 1
 * service), calling on_record for each, a singleton-sized message at the end
 * included. Returns NTCP_OK when the stream ended between records (or
 * on_record returned nonzero: *stopped, *offset = that record's offset);
 * NTCP_E_STATE at an upgrade boundary (*offset = where the upgraded bytes
 * start); otherwise the decoder's error with *offset = its byte offset. */
#include <stdbool.h>
#include <nettcp/framing.h>
ntcp_status cli_walk_records(const ntcp_buf *b, int dir, bool after_upgrade, const ntcp_framing_limits *lim,
                             int (*on_record)(void *ctx, const ntcp_nmf_record *r), void *ctx, size_t *offset,
                             bool *stopped);

/* ---- the client options of call and doctor ---- */
#include <nettcp/client.h>
#define CLI_CLIENT_LONG_OPTIONS                                                                            \
    { "security", required_argument, NULL, 's' }, { "package", required_argument, NULL, 'p' },            \
        { "protection", required_argument, NULL, 'P' }, { "identity", required_argument, NULL, 'i' },     \
        { "user", required_argument, NULL, 'u' }, { "ccache", required_argument, NULL, 'c' },             \
        { "client-keytab", required_argument, NULL, 'k' }, { "no-require-server-auth", no_argument, NULL, 'n' }, \
        { "anonymous", no_argument, NULL, 'a' }, { "impersonation", required_argument, NULL, 'I' },       \
        { "timeout", required_argument, NULL, 't' }, { "credential", required_argument, NULL, CLI_OPT_CREDENTIAL }, \
        { "ca", required_argument, NULL, CLI_OPT_CA }, { "client-cert", required_argument, NULL, CLI_OPT_CERT }, \
        { "client-key", required_argument, NULL, CLI_OPT_KEY },                                           \
        { "validation", required_argument, NULL, CLI_OPT_VALIDATION },                                    \
        { "revocation", required_argument, NULL, CLI_OPT_REVOCATION },                                    \
        { "tls-min", required_argument, NULL, CLI_OPT_TLS_MIN }, { "tls-max", required_argument, NULL, CLI_OPT_TLS_MAX }
extern const char cli_client_options_help[];
/* One client option (letters as in CLI_CLIENT_LONG_OPTIONS): 0 parsed, 2 usage error (printed), -1 not one. */
int cli_client_option(const char *cmd, int c, const char *arg, ntcp_client_options *o);
/* With --user (no keytab, transport security): the password from NETTCP_PASSWORD or a terminal
 * prompt into *password (free with cli_client_password_free); 2 after a usage error. */
int cli_client_password(const char *cmd, ntcp_client_options *o, char **password);
void cli_client_password_free(char *password);
/* --body XML|@FILE into a malloc'd buffer: 0, or 1 after printing the error. */
int cli_body(const char *arg, uint8_t **body, size_t *len);
/* "nettcp CMD: TEXT; cause: ID\nadvice: ADVICE" to stderr. */
void cli_print_error(const char *cmd, const ntcp_error *e);
/* --mode: duplex, simplex, singleton (singleton-sized) or streamed
 * (singleton-unsized): 0, or 2 after printing a usage error. */
int cli_parse_mode(const char *cmd, const char *arg, ntcp_nmf_mode *mode);
/* serve's --mode LIST (comma-separated) into the modes accepted, msbin1
 * among the encodings when a mode other than duplex is: 0, or 2 (printed). */
int cli_parse_mode_list(const char *cmd, const char *arg, ntcp_framing_acceptor_config *f);
/* --encoding: binary-session, binary, soap12, soap11 or mtom: 0, or 2 (printed). */
int cli_parse_encoding(const char *cmd, const char *arg, int *enc);
/* call's --header ('H') and --header-mu ('U'): 0 parsed, 2 usage error (printed), -1 not one of them. */
#define CLI_MAX_HEADERS 64
struct cli_headers {
    ntcp_header h[CLI_MAX_HEADERS];
    size_t n;
};
int cli_header_option(const char *cmd, int c, const char *arg, struct cli_headers *h);
/* doctor's --ldap ('L'), --no-ldap ('N'), --service-keytab ('K'): 0 parsed, -1 not one of them. */
#include <nettcp/doctor.h>
int cli_directory_option(int c, const char *arg, ntcp_doctor_options *o);
/* ---- the trace options of serve, call and doctor (cli_options.c) ---- */
#include <nettcp/trace.h>
#define CLI_TRACE_LONG_OPTIONS                                                                           \
    { "trace", required_argument, NULL, 'T' }, { "trace-format", required_argument, NULL, 0x101 },       \
        { "log-messages", required_argument, NULL, 0x102 }, { "log-entire-message", no_argument, NULL, 0x103 }, \
        { "max-logged-size", required_argument, NULL, 0x104 }, { "propagate-activity", no_argument, NULL, 0x105 }
struct cli_trace_args {
    const char *path;
    ntcp_trace_config cfg;
};
extern const char cli_trace_options_help[];
void cli_trace_args_init(struct cli_trace_args *a);
/* One trace option: 0 parsed, 2 usage error (printed), -1 not one of them. */
int cli_trace_option(const char *cmd, int c, const char *arg, struct cli_trace_args *a);
/* Opens the trace when --trace was given (*t NULL otherwise): 0, or 1 after printing why. */
int cli_trace_open(const char *cmd, const struct cli_trace_args *a, const char *role, ntcp_trace **t);
#endif
