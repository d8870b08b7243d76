/* nettcp call --config FILE [--endpoint NAME]: a WCF client configuration
 * (app.config / web.config <system.serviceModel>) read into client options. */
#ifndef NTCP_CALL_CONFIG_H
#define NTCP_CALL_CONFIG_H
#include <stdbool.h>
#include <nettcp/client.h>

/* What the file set, so later sources (a WSDL's policy) do not override it;
 * command-line options are applied after the file and always win. */
enum {
    CALL_CONFIG_SECURITY = 1 << 0,  /* security mode, credential type, protection level */
    CALL_CONFIG_IDENTITY = 1 << 1,
    CALL_CONFIG_LIMITS = 1 << 2,    /* maxReceivedMessageSize, readerQuotas (always, with WCF's defaults) */
    CALL_CONFIG_TIMEOUTS = 1 << 3,
    CALL_CONFIG_MODE = 1 << 4,      /* transferMode */
};

struct call_config {
    const char *path, *endpoint; /* --config, --endpoint (NULL: the file's only endpoint) */
    bool loaded;
    ntcp_error err;              /* set when loading failed (printed after the options are parsed) */
    char *address;               /* the endpoint's address: the URL when none is given */
    char *name, *contract;       /* the endpoint's name and contract (for --op: the operation's portType) */
    char *identity;              /* "spn:…", "upn:…", "dns:…", "cert:…", "thumbprint:…", "rsa:…" */
    unsigned set;                /* CALL_CONFIG_* */
};

/* The option codes of --config and --endpoint in the command's table. */
#define CALL_CONFIG_OPT_CONFIG 0x201
#define CALL_CONFIG_OPT_ENDPOINT 0x202
#define CALL_CONFIG_LONG_OPTIONS \
    { "config", required_argument, NULL, CALL_CONFIG_OPT_CONFIG }, \
        { "endpoint", required_argument, NULL, CALL_CONFIG_OPT_ENDPOINT }
/* Finds --config and --endpoint in argv with the command's own option table
 * (a first getopt pass; optind is reset after) and, with --config, reads the
 * file into *o: the options the command line then overrides. 0, or 2 after
 * a usage error (printed). A file that cannot be used is not an error here:
 * cfg->err says why (call_config_report). */
struct option;
int call_config_prescan(int argc, char **argv, const char *shortopts, const struct option *longopts,
                        ntcp_client_options *o, struct call_config *cfg);
/* With --config: 1 after printing cfg->err (text or --json), else 0 (with
 * verbose, after saying what the file gave). */
int call_config_report(const struct call_config *cfg, bool json, bool verbose);
void call_config_free(struct call_config *cfg);

/* Reads PATH's endpoint NAME into *o (ntcp_client_options_init'ed by the
 * caller); NTCP_OK or the failure in err with a config_* cause. */
ntcp_status call_config_load(const char *path, const char *name, ntcp_client_options *o, struct call_config *cfg,
                             ntcp_error *err);

/* The same on the file's bytes (path names it in errors); the fuzz target's entry. */
ntcp_status call_config_load_memory(const char *data, size_t len, const char *path, const char *name,
                                    ntcp_client_options *o, struct call_config *cfg, ntcp_error *err);

#define CALL_CONFIG_HELP                                                                                    \
    "  --config FILE      read the endpoint from a WCF client configuration (app.config): address,\n"     \
    "                     netTcpBinding settings (security mode, clientCredentialType, protectionLevel,\n" \
    "                     maxReceivedMessageSize, readerQuotas, timeouts, transferMode) and <identity>;\n"  \
    "                     options given on the command line override the file; a setting nettcp does\n"    \
    "                     not implement is named in an error (cause config_unsupported), never ignored\n"  \
    "  --endpoint NAME    the <client><endpoint name=...> to use (may be left out when there is one)\n"
#endif
