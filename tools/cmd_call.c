/* nettcp call: one SOAP request to a net.tcp service; the reply body printed. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <nettcp/client.h>
#include "call_config.h"
#include "cli.h"
#include "call_load.h"
#include "call_schema.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: nettcp call URL --action URI --body XML|@FILE [--security none|transport]\n"
            "                   [--package negotiate|kerberos|ntlm] [--protection none|sign|encrypt]\n"
            "                   [--identity dns:NAME|spn:NAME|upn:NAME] [--user NAME] [--ccache NAME]\n"
            "                   [--client-keytab FILE] [--anonymous] [--no-require-server-auth]\n"
            "                   [--impersonation identify|impersonate|delegate] [--timeout SECONDS] [-v] [--json]\n"
            "                   [--header XML]... [--header-mu XML]... [--mode M]\n"
            "                   [--credential windows|certificate|none] [--ca FILE] [--client-cert FILE --client-key FILE]\n"
            "                   [--identity dns:NAME|cert:BASE64|thumbprint:HEX|rsa:BASE64] [--validation chain|peer|none]\n"
            "                   [--revocation nocheck|online|offline] [--tls-min 1.2|1.3] [--tls-max 1.2|1.3]\n"
            "                   [--trace FILE [--trace-format json|svclog] [--log-messages transport|service]\n"
            "                    [--log-entire-message] [--max-logged-size N] [--propagate-activity]]\n"
            "                   [--repeat N] [--parallel M] [--sessions S]\n"
            "       nettcp call [URL] --wsdl SOURCE --op NAME [--args JSON|@FILE] [--endpoint-name NAME] [options]\n"
            "       nettcp call [URL] --config FILE [--endpoint NAME] (--action URI --body XML|@FILE | --wsdl SOURCE\n"
            "                   --op NAME [--args JSON|@FILE]) [options]\n"
            "\n"
            "Opens a channel to URL (defaults = NetTcpBinding's: Transport security with Windows\n"
            "credentials, Negotiate, EncryptAndSign, server authentication required), sends one request\n"
            "with the SOAP Action URI and the body (text XML, or @FILE), prints the reply body as XML,\n"
            "and closes the channel. A failure says which step failed, why (a stable cause id), and what\n"
            "to change; 'nettcp doctor' walks the same connection step by step.\n"
            "\n"
            "%s"
            CALL_CONFIG_HELP
            "  --mode M           duplex (default, NetTcpBinding), streamed (singleton-unsized: TransferMode.Streamed),\n"
            "                     the modes other than duplex with WCF's binary encoding without session\n"
            "                     dictionaries (application/soap+msbin1),\n"
            "                     simplex or singleton (singleton-sized): the last two carry one-way messages only:\n"
            "                     the request is sent without a MessageID and nothing is printed\n"
            "  --header XML       add a SOAP header: one element, text XML declaring its namespaces (repeatable)\n"
            "  --header-mu XML    the same, marked s:mustUnderstand=\"1\" (the service must process it or fault)\n"
            "  -v                 print each step with its time, and the negotiated security, to stderr\n"
            "  --json             one JSON object: ok, action, relates_to, headers, body, security / error,\n"
            "                     cause, advice, and for a SOAP fault: fault {code, subcodes, reason, detail};\n"
            "                     with --op also result: the reply typed by the schema\n"
            CLI_SCHEMA_HELP
            "  --repeat N         a quick load check: make N calls in all (default: one per thread) and print the calls\n"
            "                     made, the failures, calls/s and the p50/p99 latency of a call instead of a reply\n"
            "                     (--json: calls, failures, calls_per_second, p50_ms, p99_ms, parallel, sessions,\n"
            "                     seconds; with a failure also cause and error, the first one's)\n"
            "  --parallel M       M threads make those calls at once (default 1)\n"
            "  --sessions S       over S sessions (default M; thread i uses session i mod S): fewer sessions than\n"
            "                     threads puts several calls in flight on one session\n"
            "%s"
            "\n"
            "exit status: 0 reply received, 1 failure (a SOAP fault included), 2 usage error.\n",
            cli_client_options_help, cli_trace_options_help);
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) * 1000.0 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

/* each step of the open, into the trace */
static void trace_step(void *ctx, ntcp_channel_step step)
{
    ntcp_trace_event(ctx, "step", NULL, "name", ntcp_channel_step_name(step), NULL);
}

/* "fault":{"code","subcodes":[{"ns","name"}],"reason","detail"} */
static json_t *json_fault(const ntcp_soap_msg *m)
{
    json_t *f = json_object(), *subs = json_array();
    json_object_set_new(f, "code", cli_json_str(m->fault_code));
    for (size_t i = 0; i < m->fault_nsubcodes; i++)
        json_array_append_new(subs, json_pack("{s:o,s:o}", "ns", cli_json_str(m->fault_subcodes[i].ns), "name",
                                              cli_json_str(m->fault_subcodes[i].local)));
    json_object_set_new(f, "subcodes", subs);
    json_object_set_new(f, "reason", cli_json_str(m->fault_reason));
    if (m->has_detail)
        cli_json_set_bytes(f, "detail", m->fault_detail.data ? m->fault_detail.data : (const uint8_t *)"",
                           m->fault_detail.len);
    else
        json_object_set_new(f, "detail", json_null());
    return f;
}

/* [{"ns","name","text"}] for the reply's non-addressing headers */
static json_t *json_headers(ntcp_client *cl, const ntcp_soap_msg *m)
{
    json_t *a = json_array();
    ntcp_buf t;
    ntcp_buf_init(&t, 1 << 20);
    for (size_t i = 0; i < m->nheaders; i++) {
        const ntcp_soap_header *h = &m->headers[i];
        if (h->ns.len == strlen(NTCP_WSA10_NS) && !memcmp(h->ns.p, NTCP_WSA10_NS, h->ns.len))
            continue;
        ntcp_xml_reader *r = ntcp_client_reply_header(cl, m, i);
        ntcp_xml_node n;
        ntcp_buf_reset(&t);
        if (!r || ntcp_xml_reader_next(r, &n) || ntcp_xml_reader_element_text(r, &t))
            ntcp_buf_reset(&t);
        json_t *o = json_object();
        json_object_set_new(o, "ns", cli_json_bytes(h->ns.p, h->ns.p ? h->ns.len : 0));
        json_object_set_new(o, "name", cli_json_bytes(h->local.p, h->local.len));
        cli_json_set_bytes(o, "text", t.data ? t.data : (const uint8_t *)"", t.len);
        json_array_append_new(a, o);
    }
    ntcp_buf_free(&t);
    return a;
}

/* {"ok":false,"status","step","cause","error","advice"} */
static json_t *json_error_obj(const ntcp_error *e, const char *step)
{
    return json_pack("{s:b,s:s,s:o,s:o,s:o,s:o}", "ok", 0, "status", ntcp_status_name(e->status), "step",
                     cli_json_str(step), "cause", cli_json_str(ntcp_error_id(e)), "error",
                     cli_json_str(ntcp_error_text(e)), "advice", cli_json_str(ntcp_error_advice(e)));
}

static void json_error(const ntcp_error *e, const char *step) { cli_json_print(json_error_obj(e, step)); }

int cmd_call(int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_CLIENT_LONG_OPTIONS,
        { "action", required_argument, NULL, 'A' }, { "body", required_argument, NULL, 'B' },
        { "json", no_argument, NULL, 'j' },         { "help", no_argument, NULL, 'h' },
        { "header", required_argument, NULL, 'H' }, { "header-mu", required_argument, NULL, 'U' },
        { "mode", required_argument, NULL, 'm' },   CLI_TRACE_LONG_OPTIONS, CLI_SCHEMA_LONG_OPTIONS,
        { "repeat", required_argument, NULL, 0x1e0 }, { "parallel", required_argument, NULL, 0x1e1 },
        { "sessions", required_argument, NULL, 0x1e2 },
        CALL_CONFIG_LONG_OPTIONS,
        { NULL, 0, NULL, 0 },
    };
    struct cli_headers hdr;
    hdr.n = 0;
    ntcp_client_options o;
    ntcp_client_options_init(&o);
    const char *action = NULL, *body_arg = NULL;
    bool verbose = false, json = false;
    long repeat = 0, parallel = 0, sessions = 0; /* --repeat/--parallel/--sessions (0: not given) */
    struct cli_trace_args ta;
    cli_trace_args_init(&ta);
    struct cli_schema_args sa;
    cli_schema_args_init(&sa);
    int c;
    /* --config: the file's settings first, so the options below override them
     * (static: what it holds stays reachable whichever way the command returns) */
    static struct call_config cfg;
    if (call_config_prescan(argc, argv, "hv", opts, &o, &cfg))
        return 2;
    optind = 1;
    while ((c = getopt_long(argc, argv, "hv", opts, NULL)) != -1) {
        if (cli_schema_option(c, optarg, &sa) == 0)
            continue;
        int r = cli_client_option("call", c, optarg, &o);
        if (r == 2)
            return 2;
        if (r == 0)
            continue;
        r = cli_trace_option("call", c, optarg, &ta);
        if (r == 2)
            return 2;
        if (r == 0)
            continue;
        r = cli_header_option("call", c, optarg, &hdr);
        if (r == 2)
            return 2;
        if (r == 0)
            continue;
        switch (c) {
        case 'A': action = optarg; break;
        case 'B': body_arg = optarg; break;
        case 'j': json = true; break;
        case 'm':
            if (cli_parse_mode("call", optarg, &o.channel.mode))
                return 2;
            /* as WCF: session dictionaries on duplex sessions only; the other modes are msbin1 */
            o.channel.encoding = o.channel.mode == NTCP_MODE_DUPLEX ? NTCP_ENC_BINARY_SESSION : NTCP_ENC_BINARY;
            break;
        case 'v': verbose = true; break;
        case 0x1e0:
        case 0x1e1:
        case 0x1e2: {
            char *end;
            long v = strtol(optarg, &end, 10);
            long max = c == 0x1e0 ? 100000000L : 4096;
            if (*end || end == optarg || v < 1 || v > max) {
                fprintf(stderr, "nettcp call: --%s wants a number from 1 to %ld\n",
                        c == 0x1e0 ? "repeat" : c == 0x1e1 ? "parallel" : "sessions", max);
                return 2;
            }
            *(c == 0x1e0 ? &repeat : c == 0x1e1 ? &parallel : &sessions) = v;
            break;
        }
        case CALL_CONFIG_OPT_CONFIG: case CALL_CONFIG_OPT_ENDPOINT: break; /* read by call_config_prescan */
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (call_config_report(&cfg, json, verbose))
        return 1;
    /* what the file sets is not replaced by the WSDL's policy: command line, then file, then WSDL */
    if (cfg.set & CALL_CONFIG_SECURITY)
        sa.given_security = sa.given_protection = sa.given_credential = 1;
    if (cfg.set & CALL_CONFIG_IDENTITY)
        sa.given_identity = 1;
    if (cfg.set & CALL_CONFIG_MODE)
        sa.given_mode = 1;
    if (sa.wsdl || sa.op || sa.args || sa.endpoint_name) {
        if (!sa.wsdl || !sa.op || action || body_arg || optind < argc - 1) {
            fprintf(stderr, "nettcp call: --wsdl and --op go together, with --args and an optional URL, without "
                            "--action and --body\n");
            usage(stderr);
            return 2;
        }
    } else if (optind < argc - 1 || (optind == argc && !cfg.address) || !action || !body_arg) {
        fprintf(stderr, "nettcp call: URL (or --config), --action and --body are required\n");
        usage(stderr);
        return 2;
    }
    /* the URL given, else the file's endpoint address, else (--wsdl) the WSDL's endpoint */
    const char *url = optind < argc ? argv[optind] : cfg.address;
    uint8_t *body = NULL;
    size_t body_len = 0;
    struct cli_schema *schema = NULL;
    if (sa.wsdl) {
        char *op_action = NULL;
        ntcp_error perr;
        if (cli_schema_prepare(&sa, &url, &o, &op_action, &body, &body_len, &schema, &perr)) {
            if (perr.status && json)
                json_error(&perr, "options");
            else if (perr.status)
                cli_print_error("call", &perr);
            return 1;
        }
        action = op_action;
        if (verbose)
            cli_schema_verbose(schema, stderr);
    } else if (cli_body(body_arg, &body, &body_len))
        return 1;
    bool load = repeat || parallel || sessions;
    if (load) {
        parallel = parallel ? parallel : 1;
        repeat = repeat ? repeat : parallel;
        sessions = sessions ? sessions : parallel;
        const char *why = NULL;
        if (sessions > parallel)
            why = "--sessions cannot exceed --parallel";
        else if (o.channel.mode == NTCP_MODE_SIMPLEX || o.channel.mode == NTCP_MODE_SINGLETON_SIZED)
            why = "--repeat and --parallel make request/reply calls: use --mode duplex or streamed";
        else if (o.channel.mode == NTCP_MODE_SINGLETON_UNSIZED && repeat > sessions)
            why = "--mode streamed carries one call per connection: --repeat cannot exceed --sessions";
        if (why) {
            if (sessions > parallel)
                fprintf(stderr, "nettcp call: %s (%ld)\n", why, parallel);
            else
                fprintf(stderr, "nettcp call: %s\n", why);
            free(body);
            cli_schema_free(schema);
            return 2;
        }
    }
    char *password = NULL;
    if (cli_client_password("call", &o, &password)) {
        free(body);
        cli_schema_free(schema);
        return 2;
    }
    /* replies may be larger than the wire default; the reader quotas still apply per item
     * (with --config: the file's quotas, or WCF's defaults, as a WCF client has them) */
    if (!(cfg.set & CALL_CONFIG_LIMITS)) {
        o.channel.limits.max_message = 64u << 20;
        o.xml.max_size = 64u << 20;
        o.xml.max_string_len = 64u << 20;
    }
    ntcp_trace *trace = NULL;
    if (cli_trace_open("call", &ta, "client", &trace)) {
        free(body);
        cli_client_password_free(password);
        cli_schema_free(schema);
        return 1;
    }
    if (load) {
        struct cli_load_args la = { url, action, (const char *)body, body_len, hdr.h, hdr.n, &o, repeat,
                                    (int)parallel, (int)sessions, json, trace, json_error };
        int lrc = cli_call_load(&la);
        ntcp_trace_close(trace);
        cli_client_password_free(password);
        free(body);
        cli_schema_free(schema);
        return lrc;
    }
    if (trace) {
        o.record_cb = ntcp_trace_record;
        o.record_ctx = trace;
        o.leg_cb = ntcp_trace_leg;
        o.leg_ctx = trace;
        o.channel.step_cb = trace_step;
        o.channel.step_ctx = trace;
    }
    ntcp_trace_event(trace, "open", NULL, "url", url, "security", o.security == NTCP_SECURITY_NONE ? "none" : "transport",
                     "package", ntcp_package_name(o.nns.package), "protection", ntcp_protection_name(o.nns.protection),
                     "identity", o.nns.identity ? o.nns.identity : "", "user", o.nns.user ? o.nns.user : "", NULL);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ntcp_client *cl = NULL;
    ntcp_error err;
    int rc = 1;
    ntcp_status st = ntcp_client_open(&cl, url, &o, &err);
    if (st) {
        ntcp_trace_event(trace, "error", NULL, "step", "open", "status", ntcp_status_name(st), "cause",
                         ntcp_error_id(&err), "error", ntcp_error_text(&err), NULL);
        if (json)
            json_error(&err, "open");
        else
            cli_print_error("call", &err);
        goto out;
    }
    if (verbose) {
        fprintf(stderr, "[%8.1f ms] open: connected, preamble acknowledged\n", ms_since(&t0));
        const ntcp_nns_result *r = ntcp_client_security(cl);
        if (r && r->mutual)
            fprintf(stderr, "[%8.1f ms] security: %s, %s, mutual authentication, service %s, client %s, target %s\n",
                    ms_since(&t0), ntcp_package_name(r->package), ntcp_protection_name(r->protection), r->service,
                    r->client, r->target);
        else if (r) /* no service name: NTLM proves nothing about the service */
            fprintf(stderr,
                    "[%8.1f ms] security: %s, %s, the service was not authenticated (its name is unknown), client "
                    "%s, target %s (not verified)\n",
                    ms_since(&t0), ntcp_package_name(r->package), ntcp_protection_name(r->protection), r->client,
                    r->target);
        else if (ntcp_client_tls(cl)) {
            const ntcp_tls_result *t = ntcp_client_tls(cl);
            fprintf(stderr, "[%8.1f ms] security: TLS %s, %s, service certificate %s (thumbprint %s)\n", ms_since(&t0),
                    t->version, t->cipher, t->chain_len ? t->chain[0].subject : "-",
                    t->chain_len ? t->chain[0].thumbprint : "-");
        } else
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
    /* --propagate-activity: the call's activity travels in WCF's ActivityId header */
    char activity_header[256];
    const char *activity_headers[1] = { activity_header };
    if (ntcp_trace_activity_header(trace, NULL, activity_header, sizeof activity_header))
        ntcp_client_set_headers(cl, activity_headers, 1);
    ntcp_soap_msg reply;
    if (o.channel.mode == NTCP_MODE_SIMPLEX || o.channel.mode == NTCP_MODE_SINGLETON_SIZED) {
        /* these modes carry messages one way: the request is sent, nothing comes back */
        ntcp_soap_msg_init(&reply);
        st = ntcp_client_send(cl, action, (const char *)body, body_len);
        if (st == NTCP_OK) {
            /* the service's verdict (a framing fault such as UnsupportedMode) comes at the close */
            st = ntcp_client_close(cl);
            cl = NULL;
            if (st) {
                ntcp_error e;
                ntcp_error_set(&e, st, ntcp_failure_cause(st, NTCP_STEP_CLOSE, false), NTCP_STEP_CLOSE,
                               "the service refused the one-way session: %s (%s)", ntcp_status_str(st),
                               ntcp_status_name(st));
                ntcp_trace_event(trace, "error", NULL, "step", "close", "status", ntcp_status_name(st), "cause",
                                 ntcp_error_id(&e), "error", e.text, NULL);
                if (json)
                    json_error(&e, "close");
                else
                    cli_print_error("call", &e);
                goto close;
            }
        }
        if (st == NTCP_OK) {
            ntcp_trace_event(trace, "sent", NULL, "action", action, NULL);
            if (json)
                cli_json_print(json_pack("{s:b,s:b,s:s}", "ok", 1, "one_way", 1, "mode",
                                         ntcp_nmf_mode_name(o.channel.mode)));
            rc = 0;
        } else {
            const ntcp_error *e = ntcp_client_error(cl);
            if (json)
                json_error(e, "send");
            else
                cli_print_error("call", e);
        }
        goto close;
    }
    st = ntcp_client_call(cl, action, hdr.h, hdr.n, (const char *)body, body_len, &reply);
    if (st)
        ntcp_trace_event(trace, "error", NULL, "step", "call", "status", ntcp_status_name(st), "cause",
                         ntcp_error_id(ntcp_client_error(cl)), "error", ntcp_error_text(ntcp_client_error(cl)), NULL);
    else
        ntcp_trace_event(trace, "reply", NULL, "action", reply.action ? reply.action : "", NULL);
    if (verbose)
        fprintf(stderr, "[%8.1f ms] call: %s\n", ms_since(&t0), st ? ntcp_status_name(st) : "reply received");
    /* The session is closed before the reply is shown: a frame that fails
     * its integrity check at close (a replayed reply) fails the call. */
    const ntcp_nns_result *sec = ntcp_client_security(cl);
    ntcp_nns_result sec_copy;
    memset(&sec_copy, 0, sizeof sec_copy);
    if (sec)
        sec_copy = *sec;
    const ntcp_tls_result *tls_res = ntcp_client_tls(cl);
    ntcp_tls_result *tls_copy = tls_res ? malloc(sizeof *tls_copy) : NULL; /* the chain is large */
    if (tls_copy)
        *tls_copy = *tls_res;
    ntcp_error call_err; /* the client's error outlives the close that frees it */
    if (st)
        call_err = *ntcp_client_error(cl);
    else
        ntcp_error_clear(&call_err);
    json_t *headers_json = NULL; /* read from the reply while the session holds it */
    if (st == NTCP_OK && json)
        headers_json = json_headers(cl, &reply);
    ntcp_status cst = ntcp_client_close(cl);
    cl = NULL;
    ntcp_trace_event(trace, "closed", NULL, "status", ntcp_status_name(cst), NULL);
    if (verbose)
        fprintf(stderr, "[%8.1f ms] close: %s\n", ms_since(&t0), cst ? ntcp_status_name(cst) : "End exchanged");
    if (st == NTCP_OK && cst == NTCP_E_MESSAGE_ALTERED) {
        st = cst;
        ntcp_error_set(&call_err, cst, NTCP_CAUSE_MESSAGE_ALTERED, NTCP_STEP_CLOSE,
                       "close: %s (%s): a frame after the reply failed its check", ntcp_status_str(cst),
                       ntcp_status_name(cst));
        ntcp_trace_event(trace, "error", NULL, "step", "close", "status", ntcp_status_name(st), "cause",
                         ntcp_error_id(&call_err), "error", ntcp_error_text(&call_err), NULL);
    }
    char *result_json = NULL; /* --op: the reply typed by the schema */
    if (st == NTCP_OK && schema && !(result_json = cli_schema_reply(schema, reply.body.data, reply.body.len, &call_err)))
        st = call_err.status;
    if (st == NTCP_OK) {
        rc = 0;
        if (json) {
            json_t *doc = json_object();
            json_object_set_new(doc, "ok", json_true());
            json_object_set_new(doc, "action", cli_json_str(reply.action));
            json_object_set_new(doc, "relates_to", cli_json_str(reply.relates_to));
            json_object_set_new(doc, "headers", headers_json ? headers_json : json_array());
            headers_json = NULL;
            cli_json_set_bytes(doc, "body", reply.body.data ? reply.body.data : (const uint8_t *)"", reply.body.len);
            if (schema)
                json_object_set_new(doc, "identity_from", cli_json_str(cli_schema_identity_from(schema)));
            const ntcp_nns_result *r = sec ? &sec_copy : NULL;
            if (r)
                json_object_set_new(doc, "security",
                                    json_pack("{s:s,s:s,s:b}", "package", ntcp_package_name(r->package), "protection",
                                              ntcp_protection_name(r->protection), "mutual", r->mutual ? 1 : 0));
            const ntcp_tls_result *t = tls_copy;
            if (t)
                json_object_set_new(doc, "security",
                                    json_pack("{s:s,s:o,s:o,s:o,s:o}", "kind", "tls", "version", cli_json_str(t->version),
                                              "cipher", cli_json_str(t->cipher), "service_subject",
                                              cli_json_str(t->chain_len ? t->chain[0].subject : ""),
                                              "service_thumbprint",
                                              cli_json_str(t->chain_len ? t->chain[0].thumbprint : "")));
            /* --op: "result" is the schema's JSON text, numbers as the reply wrote them */
            cli_json_print_raw(doc, "result", result_json);
        } else if (result_json) {
            printf("%s\n", result_json);
        } else {
            printf("%.*s", (int)reply.body.len, reply.body.data ? (const char *)reply.body.data : "");
            if (!reply.body.len || reply.body.data[reply.body.len - 1] != '\n')
                putchar('\n');
        }
    } else {
        const ntcp_error *e = &call_err;
        if (json && reply.is_fault) {
            json_t *doc = json_error_obj(e, "call");
            json_object_set_new(doc, "fault", json_fault(&reply));
            cli_json_print(doc);
        } else if (json) {
            json_error(e, "call");
        } else {
            cli_print_error("call", e);
            if (reply.is_fault && reply.has_detail)
                fprintf(stderr, "detail: %.*s\n", (int)reply.fault_detail.len,
                        reply.fault_detail.data ? (const char *)reply.fault_detail.data : "");
        }
    }
    json_decref(headers_json);
    free(result_json);
    free(tls_copy);
close:
    ntcp_soap_msg_clear(&reply);
    if (!cl)
        goto out;
    st = ntcp_client_close(cl);
    ntcp_trace_event(trace, "closed", NULL, "status", ntcp_status_name(st), NULL);
    if (verbose)
        fprintf(stderr, "[%8.1f ms] close: %s\n", ms_since(&t0), st ? ntcp_status_name(st) : "End exchanged");
out:
    ntcp_trace_close(trace);
    cli_client_password_free(password);
    cli_schema_free(schema);
    free(body);
    call_config_free(&cfg);
    return rc;
}
