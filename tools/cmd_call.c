/* nettcp call: one SOAP request to a net.tcp service; the reply body printed. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <nettcp/client.h>
#include "cli.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: nettcp call URL --action URI --body XML|@FILE [--security none|transport]\n"
            "                   [--package negotiate|kerberos|ntlm] [--protection none|sign|encrypt]\n"
            "                   [--identity dns:NAME|spn:NAME|upn:NAME] [--user NAME] [--ccache NAME]\n"
            "                   [--client-keytab FILE] [--no-require-server-auth]\n"
            "                   [--impersonation identify|impersonate|delegate] [--timeout SECONDS] [-v] [--json]\n"
            "\n"
            "Opens a channel to URL (defaults = NetTcpBinding's: Transport security with Windows\n"
            "credentials, Negotiate, EncryptAndSign, server authentication required), sends one request\n"
            "with the SOAP Action URI and the body (text XML, or @FILE), prints the reply body as XML,\n"
            "and closes the channel. A failure says which step failed, why, and what to change.\n"
            "\n"
            "  --identity ID      the service's identity: dns:NAME (SPN host/NAME), spn:SPN, upn:USER@DOMAIN;\n"
            "                     default: host/<host of URL>\n"
            "  --user NAME        log on as NAME; the password comes from NETTCP_PASSWORD or a prompt on a\n"
            "                     terminal (never from the command line). Default: the credential cache\n"
            "  --ccache NAME      the credential cache to use (default KRB5CCNAME)\n"
            "  --client-keytab F  client credentials from a keytab (with --user naming the principal)\n"
            "  --no-require-server-auth  accept NTLM, which cannot authenticate the service\n"
            "  --impersonation L  what the service may do with the identity: identify (default), impersonate,\n"
            "                     delegate (forwards credentials)\n"
            "  --timeout S        open/send/receive timeout in seconds (default 60)\n"
            "  -v                 print each step with its time, and the negotiated security, to stderr\n"
            "  --json             one JSON object: ok, action, relates_to, body, security / error, cause\n"
            "  --trace FILE       write a trace: one JSON object per line per event (steps, framing records\n"
            "                     with their sizes, negotiated security, errors); never message contents or secrets\n"
            "\n"
            "exit status: 0 reply received, 1 failure (a SOAP fault included), 2 usage error.\n");
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) * 1000.0 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static char *read_password(void)
{
    const char *env = getenv("NETTCP_PASSWORD");
    if (env)
        return strdup(env);
    if (!isatty(STDIN_FILENO))
        return NULL;
    struct termios old, quiet;
    fprintf(stderr, "password: ");
    fflush(stderr);
    tcgetattr(STDIN_FILENO, &old);
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    char buf[512];
    char *r = fgets(buf, sizeof buf, stdin);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    fputc('\n', stderr);
    if (!r)
        return NULL;
    buf[strcspn(buf, "\r\n")] = 0;
    char *p = strdup(buf);
    memset(buf, 0, sizeof buf);
    return p;
}

/* The stable cause id of a failure. */
/* The stable cause id of a failure: the security layer's when it named one
 * ("cause: spn_unknown" in its explanation), else the status name. */
static const char *cause_of(ntcp_status st, const char *err)
{
    static char cause[64];
    const char *p = err ? strstr(err, "cause: ") : NULL;
    if (p) {
        p += 7;
        size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz_");
        if (n && n < sizeof cause) {
            memcpy(cause, p, n);
            cause[n] = 0;
            return cause;
        }
    }
    return ntcp_status_name(st);
}

static void json_error(ntcp_status st, const char *step, const char *cause, const char *text)
{
    printf("{\"ok\":false,\"status\":\"%s\",\"step\":", ntcp_status_name(st));
    cli_json_string((const uint8_t *)step, strlen(step));
    printf(",\"cause\":");
    cli_json_string((const uint8_t *)cause, strlen(cause));
    printf(",\"error\":");
    cli_json_string((const uint8_t *)text, strlen(text));
    printf(",\"advice\":");
    cli_json_string((const uint8_t *)ntcp_status_advice(st), strlen(ntcp_status_advice(st)));
    printf("}\n");
}

int cmd_call(int argc, char **argv)
{
    static const struct option opts[] = {
        { "action", required_argument, NULL, 'A' },      { "body", required_argument, NULL, 'B' },
        { "security", required_argument, NULL, 's' },    { "package", required_argument, NULL, 'p' },
        { "protection", required_argument, NULL, 'P' },  { "identity", required_argument, NULL, 'i' },
        { "user", required_argument, NULL, 'u' },        { "ccache", required_argument, NULL, 'c' },
        { "client-keytab", required_argument, NULL, 'k' }, { "no-require-server-auth", no_argument, NULL, 'n' },
        { "impersonation", required_argument, NULL, 'I' }, { "timeout", required_argument, NULL, 't' },
        { "json", no_argument, NULL, 'j' },             { "help", no_argument, NULL, 'h' },
        { "trace", required_argument, NULL, 'T' },
        { NULL, 0, NULL, 0 },
    };
    ntcp_client_options o;
    ntcp_client_options_init(&o);
    const char *action = NULL, *body_arg = NULL;
    bool verbose = false, json = false;
    const char *trace_path = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "hv", opts, NULL)) != -1) {
        switch (c) {
        case 'A': action = optarg; break;
        case 'B': body_arg = optarg; break;
        case 's':
        case 'p':
        case 'P':
            if (cli_parse_security("call", c, optarg, &o.security, &o.nns))
                return 2;
            break;
        case 'i': o.nns.identity = optarg; break;
        case 'u': o.nns.user = optarg; break;
        case 'c': o.nns.ccache = optarg; break;
        case 'k': o.nns.client_keytab = optarg; break;
        case 'n': o.nns.require_server_auth = false; break;
        case 'I':
            if (!strcmp(optarg, "identify"))
                o.nns.allowed_impersonation = NTCP_IMPERSONATION_IDENTIFICATION;
            else if (!strcmp(optarg, "impersonate"))
                o.nns.allowed_impersonation = NTCP_IMPERSONATION_IMPERSONATION;
            else if (!strcmp(optarg, "delegate"))
                o.nns.allowed_impersonation = NTCP_IMPERSONATION_DELEGATION;
            else {
                fprintf(stderr, "nettcp call: --impersonation is identify, impersonate or delegate\n");
                return 2;
            }
            break;
        case 't': {
            char *end;
            double s = strtod(optarg, &end);
            if (*end || s <= 0 || s > 86400) {
                fprintf(stderr, "nettcp call: --timeout takes seconds (0 < S <= 86400)\n");
                return 2;
            }
            o.channel.open_timeout_ms = o.channel.send_timeout_ms = o.channel.receive_timeout_ms =
                o.channel.close_timeout_ms = (int)(s * 1000);
            break;
        }
        case 'j': json = true; break;
        case 'T': trace_path = optarg; break;
        case 'v': verbose = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc - 1 || !action || !body_arg) {
        fprintf(stderr, "nettcp call: URL, --action and --body are required\n");
        usage(stderr);
        return 2;
    }
    const char *url = argv[optind];
    uint8_t *body = NULL;
    size_t body_len = 0;
    if (body_arg[0] == '@') {
        if (cli_read_file(body_arg + 1, &body, &body_len))
            return 1;
    } else {
        body = (uint8_t *)strdup(body_arg);
        body_len = strlen(body_arg);
    }
    char *password = NULL;
    if (o.nns.user && !o.nns.client_keytab && o.security == NTCP_SECURITY_TRANSPORT) {
        password = read_password();
        if (!password) {
            fprintf(stderr, "nettcp call: --user needs a password: set NETTCP_PASSWORD or run on a terminal\n");
            free(body);
            return 2;
        }
        o.nns.password = password;
    }
    /* replies may be larger than the wire default; the reader quotas still apply per item */
    o.channel.limits.max_message = 64u << 20;
    o.xml.max_size = 64u << 20;
    o.xml.max_string_len = 64u << 20;
    ntcp_trace *trace = NULL;
    if (trace_path && ntcp_trace_open(&trace, trace_path)) {
        fprintf(stderr, "nettcp call: cannot write the trace %s\n", trace_path);
        free(body);
        free(password);
        return 1;
    }
    if (trace) {
        o.record_cb = ntcp_trace_record;
        o.record_ctx = trace;
    }
    ntcp_trace_event(trace, "open", NULL, "url", url, "security", o.security == NTCP_SECURITY_NONE ? "none" : "transport",
                     "package", ntcp_package_name(o.nns.package), "protection", ntcp_protection_name(o.nns.protection),
                     "identity", o.nns.identity ? o.nns.identity : "", "user", o.nns.user ? o.nns.user : "", NULL);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ntcp_client *cl = NULL;
    char err[2048] = "";
    int rc = 1;
    ntcp_status st = ntcp_client_open(&cl, url, &o, err, sizeof err);
    if (st) {
        ntcp_trace_event(trace, "error", NULL, "step", "open", "status", ntcp_status_name(st), "cause",
                         cause_of(st, err), "error", err, NULL);
        if (json)
            json_error(st, "open", cause_of(st, err), err);
        else
            fprintf(stderr, "nettcp call: %s\n", err);
        goto out;
    }
    if (verbose) {
        fprintf(stderr, "[%8.1f ms] open: connected, preamble acknowledged\n", ms_since(&t0));
        const ntcp_nns_result *r = ntcp_client_security(cl);
        if (r)
            fprintf(stderr,
                    "[%8.1f ms] security: %s, %s, %s, service %s, client %s, target %s\n", ms_since(&t0),
                    ntcp_package_name(r->package), ntcp_protection_name(r->protection),
                    r->mutual ? "mutual authentication" : "the service was not authenticated", r->service, r->client,
                    r->target);
        else
            fprintf(stderr, "[%8.1f ms] security: none (messages travel in clear)\n", ms_since(&t0));
    }
    {
        const ntcp_nns_result *r = ntcp_client_security(cl);
        char legs[16];
        snprintf(legs, sizeof legs, "%u", r ? r->legs : 0);
        ntcp_trace_event(trace, "opened", NULL, "package", r ? ntcp_package_name(r->package) : "none", "protection",
                         r ? ntcp_protection_name(r->protection) : "None", "mutual", r && r->mutual ? "true" : "false",
                         "service", r ? r->service : "", "client", r ? r->client : "", "target", r ? r->target : "",
                         "legs", legs, NULL);
    }
    ntcp_trace_event(trace, "request", NULL, "action", action, NULL);
    ntcp_soap_msg reply;
    st = ntcp_client_call(cl, action, (const char *)body, body_len, &reply);
    if (st)
        ntcp_trace_event(trace, "error", NULL, "step", "call", "status", ntcp_status_name(st), "cause",
                         cause_of(st, ntcp_client_last_error(cl)), "error", ntcp_client_last_error(cl), NULL);
    else
        ntcp_trace_event(trace, "reply", NULL, "action", reply.action ? reply.action : "", NULL);
    if (verbose)
        fprintf(stderr, "[%8.1f ms] call: %s\n", ms_since(&t0), st ? ntcp_status_name(st) : "reply received");
    if (st == NTCP_OK) {
        rc = 0;
        if (json) {
            printf("{\"ok\":true,\"action\":");
            cli_json_string((const uint8_t *)(reply.action ? reply.action : ""), reply.action ? strlen(reply.action) : 0);
            printf(",\"relates_to\":");
            cli_json_string((const uint8_t *)(reply.relates_to ? reply.relates_to : ""),
                            reply.relates_to ? strlen(reply.relates_to) : 0);
            printf(",\"body\":");
            cli_json_string(reply.body.data ? reply.body.data : (const uint8_t *)"", reply.body.len);
            const ntcp_nns_result *r = ntcp_client_security(cl);
            if (r)
                printf(",\"security\":{\"package\":\"%s\",\"protection\":\"%s\",\"mutual\":%s}",
                       ntcp_package_name(r->package), ntcp_protection_name(r->protection),
                       r->mutual ? "true" : "false");
            printf("}\n");
        } else {
            printf("%.*s", (int)reply.body.len, reply.body.data ? (const char *)reply.body.data : "");
            if (!reply.body.len || reply.body.data[reply.body.len - 1] != '\n')
                putchar('\n');
        }
    } else {
        const char *e = ntcp_client_last_error(cl);
        if (json)
            json_error(st, "call", cause_of(st, e), e);
        else
            fprintf(stderr, "nettcp call: %s\n", e);
    }
    ntcp_soap_msg_clear(&reply);
    st = ntcp_client_close(cl);
    ntcp_trace_event(trace, "closed", NULL, "status", ntcp_status_name(st), NULL);
    if (verbose)
        fprintf(stderr, "[%8.1f ms] close: %s\n", ms_since(&t0), st ? ntcp_status_name(st) : "End exchanged");
out:
    ntcp_trace_close(trace);
    if (password) {
        memset(password, 0, strlen(password));
        free(password);
    }
    free(body);
    return rc;
}
