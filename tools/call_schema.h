/* call --wsdl SOURCE --op NAME --args JSON (tools/call_schema.c). */
#ifndef NTCP_CALL_SCHEMA_H
#define NTCP_CALL_SCHEMA_H
#include <stdint.h>
#include <stdio.h>
#include <nettcp/client.h>

enum { CLI_OPT_WSDL = 1100, CLI_OPT_OP, CLI_OPT_ARGS, CLI_OPT_ENDPOINT_NAME };
#define CLI_SCHEMA_LONG_OPTIONS                                                                  \
    { "wsdl", required_argument, NULL, CLI_OPT_WSDL }, { "op", required_argument, NULL, CLI_OPT_OP }, \
        { "args", required_argument, NULL, CLI_OPT_ARGS },                                       \
        { "endpoint-name", required_argument, NULL, CLI_OPT_ENDPOINT_NAME }
#define CLI_SCHEMA_HELP                                                                                            \
    "  --wsdl SOURCE      take the operation, the body's schema, the security and the identity from a WSDL (a\n"   \
    "                     file or http(s) URL); options given override the WSDL's settings\n"                      \
    "  --op NAME          the operation (Name, or Contract.Name); the action is the WSDL's\n"                      \
    "  --args JSON|@FILE  the input element's value: an object of the parameters, typed by the schema;\n"          \
    "                     the reply is printed as JSON typed by the schema\n"                                      \
    "  --endpoint-name N  the WSDL endpoint (wsdl:port) to take the address and settings from; without URL\n"     \
    "                     and this option: the WSDL's only net.tcp endpoint\n"

struct cli_schema_args {
    const char *wsdl, *op, *args, *endpoint_name;
    int given_security, given_identity, given_protection, given_credential, given_mode;
};
struct cli_schema;

void cli_schema_args_init(struct cli_schema_args *a);
/* 0: one of --wsdl/--op/--args/--endpoint-name; -1 otherwise (noting the
 * options that override the WSDL's settings). */
int cli_schema_option(int c, const char *arg, struct cli_schema_args *a);
/* Loads the WSDL, picks the operation and endpoint, applies the endpoint's
 * settings to o, builds the body (malloc'd) and sets *action (valid until
 * cli_schema_free) and *url when it was NULL: 0, or 1 with err set (err's
 * status 0: the reason was printed already).
 * Without --op (doctor): the endpoint's settings only, no body or action. */
int cli_schema_prepare(const struct cli_schema_args *a, const char **url, ntcp_client_options *o, char **action,
                       uint8_t **body, size_t *body_len, struct cli_schema **out, ntcp_error *err);
/* -v: the operation, the endpoint, where security and identity came from. */
void cli_schema_verbose(const struct cli_schema *s, FILE *f);
/* "wsdl", "option" or "default". */
const char *cli_schema_identity_from(const struct cli_schema *s);
/* The reply body as JSON (malloc'd), or NULL with e set. */
char *cli_schema_reply(const struct cli_schema *s, const uint8_t *body, size_t len, ntcp_error *e);
void cli_schema_free(struct cli_schema *s);
#endif
