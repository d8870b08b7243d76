/* nettcp serve: host the sample contracts a stock WCF client can call —
 * the calculator (ICalculator, http://Microsoft.ServiceModel.Samples) and
 * an echo contract (IEcho, http://tempuri.org/) that reports the caller. */
#include <getopt.h>
#include <signal.h>
#include <syslog.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <nettcp/channel.h>
#include <nettcp/service.h>
#include "cli.h"
#include "serve.h"

#define CALC_NS "http://Microsoft.ServiceModel.Samples"
#define ECHO_NS "http://tempuri.org/"

static ntcp_service *g_service;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: nettcp serve URL [--security none|transport] [--package negotiate|kerberos|ntlm]\n"
            "                        [--protection none|sign|encrypt] [--keytab FILE] [--allow-anonymous]\n"
            "                        [--trace FILE [--trace-format json|svclog] [--log-messages transport|service]\n"
            "                         [--log-entire-message] [--max-logged-size N] [--propagate-activity]]\n"
            "                        [--config FILE] [--syslog] [-v]\n"
            "                        [--credential windows|certificate|none] [--cert FILE [--key FILE]] [--client-ca FILE]\n"
            "                        [--validation chain|peer|none] [--revocation nocheck|online|offline]\n"
            "                        [--tls-min 1.2|1.3] [--tls-max 1.2|1.3]\n"
            "\n"
            "Hosts two sample contracts at URL (e.g. net.tcp://0.0.0.0:8080/calc), as NetTcpBinding would:\n"
            "  ICalculator  http://Microsoft.ServiceModel.Samples  Add, Subtract, Multiply, Divide (doubles)\n"
            "  IEcho        http://tempuri.org/                    Echo(text): the text and the caller's identity\n"
            "Prints 'listening on URL' (with the port it got, when the URL says port 0) once ready, and\n"
            "serves until SIGINT/SIGTERM, then closes the open sessions gracefully. SIGHUP reads the\n"
            "configuration again (the --config file and the keytab) for new connections; open sessions continue.\n"
            "\n"
            "options (defaults = NetTcpBinding's):\n"
            "  --security M       transport (default: Windows credentials through NegotiateStream) or none\n"
            "  --package P        negotiate (default), kerberos or ntlm: what the service accepts\n"
            "  --protection L     encrypt (default, EncryptAndSign), sign, or none\n"
            "  --keytab FILE      the service's keys (default: KRB5_KTNAME or the system keytab)\n"
            "  --allow-anonymous  accept anonymous logons\n"
            "  --credential C     transport's client credential type: windows (default, NegotiateStream),\n"
            "                     certificate (TLS, clients must present a certificate) or none (TLS, no client\n"
            "                     certificate)\n"
            "  --cert FILE        the service certificate (PEM, with its chain), or a PKCS#12 file (then no --key)\n"
            "  --key FILE         its private key (PEM)\n"
            "  --client-ca FILE   PEM CA certificates trusted for client certificates (default: the system's)\n"
            "  --validation V     client certificates: chain (default), peer or none\n"
            "  --revocation R     client certificates: nocheck (default), online (CRL, else OCSP) or offline (CRLs in\n"
            "                     --client-ca)\n"
            "  --tls-min V, --tls-max V   TLS versions accepted: 1.2 (default lowest) or 1.3 (default highest)\n"
            "%s"
            "  --max-received-message-size N   largest request accepted (default 65536)\n"
            "  --max-string-content-length N   longest text in a request (readerQuotas, default 8192)\n"
            "  --config FILE      read options from FILE first, one 'option = value' per line (any option above,\n"
            "                     without its dashes; 'url = URL'; flags take true or false; '#' comments);\n"
            "                     the command line wins\n"
            "  --syslog           log to syslog (facility daemon) instead of stderr\n"
            "  -v, --verbose      log refused connections, failed handshakes (with their cause) and faults\n"
            "The log: one line per event, 'TIME nettcp[PID]: LEVEL: text' (UTC; levels error, warning, notice, info).\n",
            cli_trace_options_help);
}

/* The text of the first element named `local` in the body, or NULL. */
static char *body_field(const ntcp_soap_msg *m, const char *local)
{
    xmlDocPtr doc = NULL;
    char *out = NULL;
    /* the body may hold several elements: wrap them */
    size_t n = m->body.len + 32;
    char *w = malloc(n);
    if (!w)
        return NULL;
    int k = snprintf(w, n, "<b>%.*s</b>", (int)m->body.len, m->body.data ? (const char *)m->body.data : "");
    doc = xmlReadMemory(w, k, NULL, NULL, XML_PARSE_NONET | XML_PARSE_NOBLANKS);
    free(w);
    if (!doc)
        return NULL;
    xmlNodePtr stack[64];
    int sp = 0;
    stack[sp++] = xmlDocGetRootElement(doc);
    while (sp && !out) {
        xmlNodePtr x = stack[--sp];
        for (; x && !out; x = x->next) {
            if (x->type != XML_ELEMENT_NODE)
                continue;
            if (!strcmp((const char *)x->name, local)) {
                xmlChar *t = xmlNodeGetContent(x);
                out = t ? strdup((const char *)t) : NULL;
                xmlFree(t);
            } else if (x->children && sp < 64) {
                stack[sp++] = x->children;
            }
        }
    }
    xmlFreeDoc(doc);
    return out;
}

static ntcp_status number(const ntcp_soap_msg *m, const char *local, double *v)
{
    char *t = body_field(m, local);
    if (!t)
        return NTCP_E_MALFORMED;
    char *end;
    *v = strtod(t, &end);
    bool ok = end != t && *end == 0;
    if (!ok && !strcmp(t, "INF"))
        *v = 1.0 / 0.0, ok = true;
    else if (!ok && !strcmp(t, "-INF"))
        *v = -1.0 / 0.0, ok = true;
    free(t);
    return ok ? NTCP_OK : NTCP_E_MALFORMED;
}

static ntcp_status append_escaped(ntcp_buf *b, const char *s)
{
    ntcp_status st = NTCP_OK;
    for (; *s && !st; s++) {
        switch (*s) {
        case '<': st = ntcp_buf_append(b, "&lt;", 4); break;
        case '>': st = ntcp_buf_append(b, "&gt;", 4); break;
        case '&': st = ntcp_buf_append(b, "&amp;", 5); break;
        default: st = ntcp_buf_put_u8(b, (uint8_t)*s);
        }
    }
    return st;
}

enum calc_op { OP_ADD, OP_SUB, OP_MUL, OP_DIV };
static const char *const calc_names[] = { "Add", "Subtract", "Multiply", "Divide" };
static const enum calc_op calc_ops[] = { OP_ADD, OP_SUB, OP_MUL, OP_DIV };

static ntcp_status calc(void *ctx, const ntcp_soap_msg *req, const ntcp_caller *caller, ntcp_reply *rep)
{
    (void)caller;
    enum calc_op op = *(const enum calc_op *)ctx;
    double a, b;
    if (number(req, "n1", &a) || number(req, "n2", &b)) {
        rep->is_fault = true;
        snprintf(rep->fault_text, sizeof rep->fault_text, "%s expects the numbers n1 and n2", calc_names[op]);
        rep->fault = (ntcp_soap_fault){ "Sender", NULL, NULL, rep->fault_text, "en-US" };
        return NTCP_OK;
    }
    double r = op == OP_ADD ? a + b : op == OP_SUB ? a - b : op == OP_MUL ? a * b : a / b;
    ntcp_xml_value v = { 0 };
    v.type = NTCP_XV_DOUBLE;
    v.u.d = r;
    ntcp_buf num;
    ntcp_buf_init(&num, 64);
    ntcp_status st = ntcp_xml_value_format(&v, NULL, &num); /* .NET's round-trip form, INF, NaN */
    char head[160];
    snprintf(head, sizeof head, "<%sResponse xmlns=\"" CALC_NS "\"><%sResult>", calc_names[op], calc_names[op]);
    char tail[80];
    snprintf(tail, sizeof tail, "</%sResult></%sResponse>", calc_names[op], calc_names[op]);
    if (!st)
        st = ntcp_buf_append(&rep->body, head, strlen(head));
    if (!st)
        st = ntcp_buf_append(&rep->body, num.data, num.len);
    if (!st)
        st = ntcp_buf_append(&rep->body, tail, strlen(tail));
    ntcp_buf_free(&num);
    return st;
}

static ntcp_status echo(void *ctx, const ntcp_soap_msg *req, const ntcp_caller *caller, ntcp_reply *rep)
{
    (void)ctx;
    char *text = body_field(req, "text");
    char who[512];
    if (caller->cert_subject && *caller->cert_subject)
        snprintf(who, sizeof who, " [caller: %s, Certificate, issuer %s, thumbprint %s]", caller->cert_subject,
                 caller->cert_issuer, caller->cert_thumbprint);
    else if (caller->principal && *caller->principal)
        snprintf(who, sizeof who, " [caller: %s%s, %s, %s]", caller->principal, caller->anonymous ? " (anonymous)" : "",
                 caller->package, caller->protection);
    else
        snprintf(who, sizeof who, " [caller: unauthenticated]");
    static const char head[] = "<EchoResponse xmlns=\"" ECHO_NS "\"><EchoResult>";
    static const char tail[] = "</EchoResult></EchoResponse>";
    ntcp_status st = ntcp_buf_append(&rep->body, head, sizeof head - 1);
    if (!st)
        st = append_escaped(&rep->body, text ? text : "");
    if (!st)
        st = append_escaped(&rep->body, who);
    if (!st)
        st = ntcp_buf_append(&rep->body, tail, sizeof tail - 1);
    free(text);
    return st;
}

/* "none", the NegotiateStream protection level, or "tls-certificate" / "tls-none" */
static const char *sec_label(const ntcp_service_options *o)
{
    if (o->security == NTCP_SECURITY_NONE)
        return "none";
    if (o->credential == NTCP_CREDENTIAL_CERTIFICATE)
        return "tls-certificate";
    if (o->credential == NTCP_CREDENTIAL_NONE)
        return "tls-none";
    return ntcp_protection_name(o->nns.protection);
}

static void on_signal(int sig)
{
    (void)sig;
    if (g_service)
        ntcp_service_stop(g_service);
}

int cli_parse_package(const char *s, ntcp_package *p)
{
    if (!strcmp(s, "negotiate"))
        *p = NTCP_PACKAGE_NEGOTIATE;
    else if (!strcmp(s, "kerberos"))
        *p = NTCP_PACKAGE_KERBEROS;
    else if (!strcmp(s, "ntlm"))
        *p = NTCP_PACKAGE_NTLM;
    else
        return -1;
    return 0;
}

int cli_parse_protection(const char *s, ntcp_protection *p)
{
    if (!strcmp(s, "encrypt") || !strcmp(s, "encryptandsign"))
        *p = NTCP_PROTECTION_ENCRYPT_AND_SIGN;
    else if (!strcmp(s, "sign"))
        *p = NTCP_PROTECTION_SIGN;
    else if (!strcmp(s, "none"))
        *p = NTCP_PROTECTION_NONE;
    else
        return -1;
    return 0;
}

static const struct option opts[] = {
        { "security", required_argument, NULL, 's' },  { "package", required_argument, NULL, 'p' },
        { "protection", required_argument, NULL, 'P' }, { "keytab", required_argument, NULL, 'k' },
        { "allow-anonymous", no_argument, NULL, 'a' },  { "help", no_argument, NULL, 'h' },
        { "max-string-content-length", required_argument, NULL, 'S' },
        CLI_TRACE_LONG_OPTIONS,
        { "max-received-message-size", required_argument, NULL, 'M' },
        { "config", required_argument, NULL, 'C' },
        { "syslog", no_argument, NULL, 'L' },
        { "verbose", no_argument, NULL, 'v' },
        { "credential", required_argument, NULL, CLI_OPT_CREDENTIAL },
        { "cert", required_argument, NULL, CLI_OPT_CERT },
        { "key", required_argument, NULL, CLI_OPT_KEY },
        { "client-ca", required_argument, NULL, CLI_OPT_CA },
        { "validation", required_argument, NULL, CLI_OPT_VALIDATION },
        { "revocation", required_argument, NULL, CLI_OPT_REVOCATION },
        { "tls-min", required_argument, NULL, CLI_OPT_TLS_MIN },
        { "tls-max", required_argument, NULL, CLI_OPT_TLS_MAX },
        { NULL, 0, NULL, 0 },
    };

/* One parse of the options (the --config file's already in argv). */
static int serve_parse(int argc, char **argv, struct serve_args *a)
{
    bool syslog = false;
    ntcp_service_options o;
    ntcp_service_options_init(&o);
    bool verbose = false;
    struct cli_trace_args ta;
    cli_trace_args_init(&ta);
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "hv", opts, NULL)) != -1) {
        int r = cli_trace_option("serve", c, optarg, &ta);
        if (r == 2)
            return 2;
        if (r == 0)
            continue;
        switch (c) {
        case 's':
        case 'p':
        case 'P':
            if (cli_parse_security("serve", c, optarg, &o.security, &o.nns))
                return 2;
            break;
        case 'k': o.nns.keytab = optarg; break;
        case 'a': o.nns.allow_anonymous_clients = true; break;
        case 'S':
            if (cli_parse_bytes("serve", "max-string-content-length", optarg, &o.xml.max_string_len))
                return 2;
            break;
        case 'M':
            if (cli_parse_bytes("serve", "max-received-message-size", optarg, &o.server.limits.max_message))
                return 2;
            o.xml.max_size = o.server.limits.max_message;
            break;
        case 'v': verbose = true; break;
        case 'L': syslog = true; break;
        case 'h': usage(stdout); return 0;
        default: {
            int tr = cli_parse_tls("serve", c, optarg, &o.credential, &o.tls);
            if (tr == 0)
                break;
            if (tr == -1)
                usage(stderr);
            return 2;
        }
        }
    }
    if (optind != argc - 1) {
        usage(stderr);
        return 2;
    }
    *a = (struct serve_args){ o, verbose, syslog, ta.path, argv[optind], ta };
    return -1;
}

int cmd_serve(int argc, char **argv)
{
    int xargc;
    char **xargv;
    int rc = serve_config_expand(argc, argv, opts, &xargc, &xargv);
    if (rc)
        return rc;
    struct serve_args a;
    rc = serve_parse(xargc, xargv, &a);
    if (rc != -1) {
        serve_config_free(xargc, xargv);
        return rc;
    }
    ntcp_service_options o = a.o;
    const char *url = a.url;
    if (a.syslog)
        serve_log_syslog();
    o.log = serve_log_line; /* quiet unless -v (a reload may change that) */
    ntcp_trace *trace = NULL;
    if (cli_trace_open("serve", &a.trace, "service", &trace)) {
        serve_config_free(xargc, xargv);
        return 1;
    }
    o.trace = trace;
    if (o.security == NTCP_SECURITY_TRANSPORT && o.credential != NTCP_CREDENTIAL_WINDOWS) {
        /* the certificate and trust files, read once here so a mistake is reported plainly */
        ntcp_tls *probe = NULL;
        ntcp_tls_options to = o.tls;
        to.credential = o.credential;
        if (ntcp_tls_new(&probe, true, &to) != NTCP_OK) {
            const char *cause = ntcp_tls_cause_id(ntcp_tls_error_info(probe)->cause);
            fprintf(stderr, "nettcp serve: %s; cause: %s\nadvice: %s\n", ntcp_tls_last_error(probe), cause,
                    ntcp_tls_cause_advice(cause));
            ntcp_tls_free(probe);
            serve_config_free(xargc, xargv);
            return 1;
        }
        ntcp_tls_free(probe);
    }
    ntcp_service *svc;
    ntcp_status st = ntcp_service_new(&svc, &o);
    if (st) {
        fprintf(stderr, "nettcp serve: %s (%s)\n", ntcp_status_str(st), ntcp_status_name(st));
        serve_config_free(xargc, xargv);
        return 1;
    }
    if (serve_reload_start(svc, serve_parse, opts, argc, argv, &a))
        return 1;
    for (int i = 0; i < 4; i++) {
        char action[128];
        snprintf(action, sizeof action, CALC_NS "/ICalculator/%s", calc_names[i]);
        if (ntcp_service_add_operation(svc, action, NULL, calc, (void *)&calc_ops[i]))
            return 1;
    }
    if (ntcp_service_add_operation(svc, ECHO_NS "IEcho/Echo", NULL, echo, NULL))
        return 1;
    int port = 0;
    st = ntcp_service_listen(svc, url, &port);
    if (st) {
        fprintf(stderr, "nettcp serve: cannot listen on %s: %s (%s)\n", url, ntcp_status_str(st), ntcp_status_name(st));
        serve_reload_stop();
        ntcp_service_free(svc);
        serve_config_free(xargc, xargv);
        return 1;
    }
    g_service = svc;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    ntcp_url u;
    if (ntcp_url_parse(url, &u, NULL) == NTCP_OK)
        printf("listening on net.tcp://%s%s%s:%d%s (security %s)\n", strchr(u.host, ':') ? "[" : "", u.host,
               strchr(u.host, ':') ? "]" : "", port, u.path,
               sec_label(&o));
    fflush(stdout);
    serve_log(LOG_INFO, "listening on %s, port %d (security %s)", url, port, sec_label(&o));
    serve_ready();
    ntcp_trace_event(trace, "listening", NULL, "url", url, "security", sec_label(&o), NULL);
    st = ntcp_service_run(svc);
    g_service = NULL;
    serve_log(LOG_INFO, "stopped");
    serve_reload_stop();
    ntcp_service_free(svc);
    serve_config_free(xargc, xargv);
    ntcp_trace_event(trace, "stopped", NULL, NULL);
    ntcp_trace_close(trace);
    return st ? 1 : 0;
}
