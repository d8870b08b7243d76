/* The trace options shared by serve, call and doctor. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

const char cli_trace_options_help[] =
    "  --trace FILE       write a trace of the connection: steps, framing records with their sizes,\n"
    "                     handshake messages (sizes only), negotiated security, errors with their cause;\n"
    "                     never secrets; 'nettcp trace view FILE' shows it\n"
    "  --trace-format json|svclog\n"
    "                     json: one JSON object per line (default); svclog: E2ETraceEvent XML as WCF's\n"
    "                     XmlWriterTraceListener writes, for Service Trace Viewer\n"
    "  --log-messages transport|service\n"
    "                     also log the SOAP envelopes (as text XML, headers; the body only with\n"
    "                     --log-entire-message) at WCF's transport or service level\n"
    "  --log-entire-message  log message bodies too\n"
    "  --max-logged-size N   larger messages are not logged (default 262144, WCF's)\n"
    "  --propagate-activity  a client sends its call's ActivityId header and a service adopts the one\n"
    "                     it receives, so both traces share the call's activity (WCF's propagateActivity)\n";

void cli_trace_args_init(struct cli_trace_args *a)
{
    a->path = NULL;
    ntcp_trace_config_init(&a->cfg);
}

int cli_trace_option(const char *cmd, int c, const char *arg, struct cli_trace_args *a)
{
    switch (c) {
    case 'T': a->path = arg; return 0;
    case 0x101:
        if (!strcmp(arg, "json"))
            a->cfg.format = NTCP_TRACE_JSON;
        else if (!strcmp(arg, "svclog"))
            a->cfg.format = NTCP_TRACE_SVCLOG;
        else {
            fprintf(stderr, "nettcp %s: --trace-format is json or svclog, not '%s'\n", cmd, arg);
            return 2;
        }
        return 0;
    case 0x102:
        if (!strcmp(arg, "transport"))
            a->cfg.log_messages = NTCP_LOG_MESSAGES_TRANSPORT;
        else if (!strcmp(arg, "service"))
            a->cfg.log_messages = NTCP_LOG_MESSAGES_SERVICE;
        else {
            fprintf(stderr, "nettcp %s: --log-messages is transport or service, not '%s'\n", cmd, arg);
            return 2;
        }
        return 0;
    case 0x103: a->cfg.log_entire_message = true; return 0;
    case 0x104: {
        uint32_t n;
        if (cli_parse_bytes(cmd, "max-logged-size", arg, &n))
            return 2;
        a->cfg.max_logged_size = n;
        return 0;
    }
    case 0x105: a->cfg.propagate_activity = true; return 0;
    default: return -1;
    }
}

int cli_trace_open(const char *cmd, const struct cli_trace_args *a, const char *role, ntcp_trace **t)
{
    *t = NULL;
    if (!a->path) {
        if (a->cfg.log_messages || a->cfg.propagate_activity || a->cfg.log_entire_message ||
            a->cfg.format != NTCP_TRACE_JSON)
            fprintf(stderr, "nettcp %s: the trace options take effect with --trace FILE\n", cmd);
        return 0;
    }
    ntcp_trace_config c = a->cfg;
    c.role = role;
    if (ntcp_trace_open_config(t, a->path, &c)) {
        fprintf(stderr, "nettcp %s: cannot write the trace %s\n", cmd, a->path);
        return 1;
    }
    return 0;
}
