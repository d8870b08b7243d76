/* nettcp serve as a daemon: --config files, SIGHUP reloads, the log. */
#ifndef NTCP_SERVE_H
#define NTCP_SERVE_H
#include <getopt.h>
#include <stdbool.h>
#include <nettcp/service.h>
#include "cli.h"

/* What one parse of serve's options gives. */
struct serve_args {
    ntcp_service_options o;
    bool verbose;
    bool syslog;
    const char *trace_path;
    const char *url;
    struct cli_trace_args trace; /* --trace and its options */
    const char *wsdl_port;       /* --wsdl-port: metadata over HTTP (NULL: none) */
    const char *identity;        /* --identity: the identity the metadata publishes */
};
/* Parses serve's options (after serve_config_expand): -1 to go on, else the exit status. */
typedef int (*serve_parse_fn)(int argc, char **argv, struct serve_args *a);

/* Builds the argument list serve parses: argv[0], then each `option = value`
 * line of --config FILE as --option=value (a flag as --option when its value
 * is true/yes/on/1, left out when false/no/off/0; `url = U` as the URL unless
 * the command line names one), then the command line without --config, so
 * the command line wins. opts is serve's getopt table. 0, or 2 after printing
 * the error (file:line for a bad line). Free with serve_config_free. */
int serve_config_expand(int argc, char **argv, const struct option *opts, int *out_argc, char ***out_argv);
void serve_config_free(int argc, char **argv);

/* The log: "2026-01-02T03:04:05.678Z nettcp[PID]: LEVEL: text" on stderr
 * (with a <N> priority prefix under journald), or syslog(3) after
 * serve_log_syslog. Levels are syslog's (LOG_ERR, LOG_WARNING, LOG_NOTICE,
 * LOG_INFO). */
void serve_log_syslog(void);
void serve_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* For ntcp_service_options.log: the service's diagnostics at LOG_NOTICE. */
void serve_log_line(void *ctx, const char *line);

/* SIGHUP: blocks it in this thread (before the service starts threads) and
 * starts a thread that, on each SIGHUP, parses the original arguments again
 * (re-reading the --config file), and gives the service the new security
 * options (keytab, package, protection, anonymous callers) for new
 * connections; open sessions keep theirs. Options that need a restart (URL,
 * security mode, limits, trace) are logged as ignored. Also tells systemd
 * (sd_notify) READY, RELOADING and STOPPING. 0, or 1 after logging why. */
int serve_reload_start(ntcp_service *svc, serve_parse_fn parse, const struct option *opts, int argc, char **argv,
                       const struct serve_args *now);
void serve_ready(void);
void serve_reload_stop(void);
#endif
