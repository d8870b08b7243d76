/* nettcp serve: host the sample contracts a stock WCF client can call —
 * the calculator (ICalculator, http://Microsoft.ServiceModel.Samples) and
 * an echo contract (IEcho, http://tempuri.org/) that reports the caller. */
#include <getopt.h>
#include <signal.h>
#include <syslog.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pthread.h>
#include <time.h>
#include <nettcp/channel.h>
#include <nettcp/metadata.h>
#include <nettcp/service.h>
#include "cli.h"
#include "serve.h"

#define CALC_NS "http://Microsoft.ServiceModel.Samples"
#define ECHO_NS "http://tempuri.org/"
#define ARRAYS_NS "http://schemas.microsoft.com/2003/10/Serialization/Arrays"
#define SAMPLE_NS "urn:nettcp:sample"
#define SERIALIZATION_NS "http://schemas.microsoft.com/2003/10/Serialization/"

static ntcp_service *g_service;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: nettcp serve URL [--security none|transport] [--package negotiate|kerberos|ntlm]\n"
            "                        [--protection none|sign|encrypt] [--keytab FILE] [--allow-anonymous]\n"
            "                        [--trace FILE [--trace-format json|svclog] [--log-messages transport|service]\n"
            "                         [--log-entire-message] [--max-logged-size N] [--propagate-activity]]\n"
            "                        [--mode LIST] [--config FILE] [--syslog] [-v]\n"
            "                        [--workers N] [--loops N] [--concurrency single|multiple]\n"
            "                        [--inline-us N]\n"
            "                        [--credential windows|certificate|none] [--cert FILE [--key FILE]] [--client-ca FILE]\n"
            "                        [--validation chain|peer|none] [--revocation nocheck|online|offline]\n"
            "                        [--tls-min 1.2|1.3] [--tls-max 1.2|1.3] [--wsdl-port N] [--identity ID]\n"
            "\n"
            "Hosts two sample contracts at URL (e.g. net.tcp://0.0.0.0:8080/calc), as NetTcpBinding would:\n"
            "  ICalculator  http://Microsoft.ServiceModel.Samples  Add, Subtract, Multiply, Divide (doubles)\n"
            "  IEcho        http://tempuri.org/                    Echo(text): the text and the caller's identity;\n"
            "                                                      Delay(ms): answers ms (0-60000) later (out of\n"
            "                                                      range: a fault with a string detail);\n"
            "                                                      Headers(): the request's non-addressing headers\n"
            "                                                      as {ns}name=text; understands the mustUnderstand\n"
            "                                                      header {urn:nettcp:sample}Tenant\n"
            "Every endpoint answers WS-MetadataExchange over net.tcp at URL/mex (as WCF's mexTcpBinding: no security).\n"
            "Prints 'listening on URL' (with the port it got, when the URL says port 0) once ready, and\n"
            "serves until SIGINT/SIGTERM, then closes the open sessions gracefully. SIGHUP reads the\n"
            "configuration again (the --config file and the keytab) for new connections; open sessions continue.\n"
            "\n"
            "options (defaults = NetTcpBinding's):\n"
            "  --security M       transport (default: Windows credentials through NegotiateStream) or none\n"
            "  --package P        negotiate (default), kerberos or ntlm: what the service accepts (a client of\n"
            "                     the other package is refused: cause package_mismatch)\n"
            "  --protection L     encrypt (default, EncryptAndSign), sign, or none\n"
            "  --keytab FILE      the service's keys (default: KRB5_KTNAME or the system keytab); without a\n"
            "                     readable keytab holding a key the service does not start (Kerberos needs it)\n"
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
            "  --wsdl-port N      publish the WSDL over HTTP on port N (0: any free port; printed as 'metadata at\n"
            "                     http://HOST:N/PATH?wsdl'): PATH?wsdl, ?singleWsdl, ?wsdl=wsdlN and ?xsd=xsdN\n"
            "  --identity ID      the identity the WSDL publishes (spn:NAME, upn:NAME or dns:NAME); default: the\n"
            "                     keytab's principal (Windows), the certificate's DNS name (TLS)\n"
            "%s"
            "  --max-received-message-size N   largest request accepted (default 65536)\n"
            "  --mode LIST        the framing modes accepted, comma-separated: duplex (default; NetTcpBinding,\n"
            "                     buffered), streamed (singleton-unsized: TransferMode.Streamed), simplex and\n"
            "                     singleton (singleton-sized; one-way messages: no reply goes back). Transport\n"
            "                     security needs duplex or streamed\n"
            "  --max-string-content-length N   longest text in a request (readerQuotas, default 8192)\n"
            "  --workers N        threads that run the operations (default: one per CPU; 0 = on the event loops,\n"
            "                     which then wait for each one). A handler that blocks holds a worker; Delay\n"
            "                     does not (it is deferred to a timer)\n"
            "  --inline-us N      with workers, an operation first runs on the event loop that read it, with no\n"
            "                     hand-off; one still running after N microseconds (default 1000) has its loop\n"
            "                     handed to a new thread. 0 = every operation goes to a worker\n"
            "  --loops N          event loops, one thread each (default: one per CPU); one accepts and hands\n"
            "                     each connection to the least loaded\n"
            "  --concurrency C    single (default: a session's calls run one at a time, in order) or multiple\n"
            "                     (a session's calls overlap); replies leave in request order either way\n"
            "  --config FILE      read options from FILE first, one 'option = value' per line (any option above,\n"
            "                     without its dashes; 'url = URL'; flags take true or false; '#' comments);\n"
            "                     the command line wins\n"
            "  --syslog           log to syslog (facility daemon) instead of stderr\n"
            "  -v, --verbose      log refused connections, failed handshakes (with their cause) and faults\n"
            "The log: one line per event, 'TIME nettcp[PID]: LEVEL: text' (UTC; levels error, warning, notice, info).\n",
            cli_trace_options_help);
}

/* The text of the first element named `local` inside the body's element. */
static ntcp_status field(ntcp_call *call, const char *local, ntcp_buf *out)
{
    ntcp_xml_reader *r = ntcp_call_body(call);
    if (!r)
        return NTCP_E_NOMEM;
    size_t n = strlen(local);
    for (;;) {
        ntcp_xml_node x;
        ntcp_status st = ntcp_xml_reader_next(r, &x);
        if (st)
            return st;
        if (x.type == NTCP_XML_NODE_EOF)
            return NTCP_E_MALFORMED;
        if (x.type == NTCP_XML_NODE_START && x.depth == 2 && x.name.local.len == n && !memcmp(x.name.local.p, local, n)) {
            ntcp_buf_reset(out);
            st = ntcp_xml_reader_element_text(r, out);
            return st ? st : ntcp_buf_put_u8(out, 0) ? NTCP_E_NOMEM : (out->len--, NTCP_OK);
        }
    }
}

static ntcp_status number(ntcp_call *call, const char *local, double *v)
{
    ntcp_buf b;
    ntcp_buf_init(&b, 1 << 20);
    ntcp_status st = field(call, local, &b);
    if (!st) {
        const char *t = (const char *)b.data;
        char *end;
        *v = strtod(t, &end);
        bool ok = end != t && *end == 0;
        if (!ok && !strcmp(t, "INF"))
            *v = 1.0 / 0.0, ok = true;
        else if (!ok && !strcmp(t, "-INF"))
            *v = -1.0 / 0.0, ok = true;
        st = ok ? NTCP_OK : NTCP_E_MALFORMED;
    }
    ntcp_buf_free(&b);
    return st;
}

/* <NameResponse xmlns="ns"><NameResult>text</NameResult></NameResponse> */
static ntcp_status result(ntcp_call *call, const char *ns, const char *op, const char *text)
{
    ntcp_xml_writer *w = ntcp_call_reply_writer(call);
    if (!w)
        return NTCP_E_NOMEM;
    char name[64], res[64];
    snprintf(name, sizeof name, "%sResponse", op);
    snprintf(res, sizeof res, "%sResult", op);
    ntcp_status st = ntcp_xml_writer_start(w, NULL, name, ns);
    if (!st)
        st = ntcp_xml_writer_text_element(w, NULL, res, text);
    return st ? st : ntcp_xml_writer_end_element(w);
}

enum calc_op { OP_ADD, OP_SUB, OP_MUL, OP_DIV };
static const char *const calc_names[] = { "Add", "Subtract", "Multiply", "Divide" };
static const enum calc_op calc_ops[] = { OP_ADD, OP_SUB, OP_MUL, OP_DIV };

static ntcp_status calc(void *ctx, ntcp_call *call)
{
    enum calc_op op = *(const enum calc_op *)ctx;
    double a, b;
    if (number(call, "n1", &a) || number(call, "n2", &b)) {
        char reason[96];
        snprintf(reason, sizeof reason, "%s expects the numbers n1 and n2", calc_names[op]);
        return ntcp_call_fault(call, "Sender", NULL, reason, NULL);
    }
    ntcp_xml_value v = { 0 };
    v.type = NTCP_XV_DOUBLE;
    v.u.d = op == OP_ADD ? a + b : op == OP_SUB ? a - b : op == OP_MUL ? a * b : a / b;
    ntcp_buf num;
    ntcp_buf_init(&num, 64);
    ntcp_status st = ntcp_xml_value_format(&v, NULL, &num); /* .NET's round-trip form, INF, NaN */
    if (!st)
        st = ntcp_buf_put_u8(&num, 0);
    if (!st)
        st = result(call, CALC_NS, calc_names[op], (const char *)num.data);
    ntcp_buf_free(&num);
    return st;
}

static ntcp_status echo(void *ctx, ntcp_call *call)
{
    (void)ctx;
    const ntcp_caller *caller = ntcp_call_caller(call);
    ntcp_buf text;
    ntcp_buf_init(&text, 1 << 20);
    if (field(call, "text", &text))
        ntcp_buf_reset(&text);
    char who[512];
    if (caller->cert_subject && *caller->cert_subject)
        snprintf(who, sizeof who, " [caller: %s, Certificate, issuer %s, thumbprint %s]", caller->cert_subject,
                 caller->cert_issuer, caller->cert_thumbprint);
    else if (caller->principal && *caller->principal)
        snprintf(who, sizeof who, " [caller: %s%s, %s, %s]", caller->principal, caller->anonymous ? " (anonymous)" : "",
                 caller->package, caller->protection);
    else
        snprintf(who, sizeof who, " [caller: unauthenticated]");
    ntcp_status st = ntcp_buf_append(&text, who, strlen(who) + 1);
    if (!st)
        st = result(call, ECHO_NS, "Echo", (const char *)text.data);
    ntcp_buf_free(&text);
    return st;
}

/* Delay: replies after N ms from a timer thread; the session (and the
 * service) serve other requests meanwhile. A handler could as well sleep
 * on its worker (plain blocking code is fine there), but each waiting
 * call would hold a worker thread: deferred, a thousand waiting calls
 * cost a list entry each, and Delay works with --workers 0 too. */
typedef struct delayed {
    ntcp_call *call;
    long long due;
    long ms;
    struct delayed *next;
} delayed;

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_t thread;
    bool running, stopping;
    delayed *list; /* by due time */
} g_timer = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, false, false, NULL };

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void finish_delay(delayed *d, bool send)
{
    char n[24];
    snprintf(n, sizeof n, "%ld", d->ms);
    ntcp_status st = send ? result(d->call, ECHO_NS, "Delay", n) : NTCP_E_CLOSED;
    ntcp_call_complete(d->call, st);
    free(d);
}

static void *timer_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&g_timer.lock);
    while (!g_timer.stopping) {
        delayed *d = g_timer.list;
        if (!d) {
            pthread_cond_wait(&g_timer.cond, &g_timer.lock);
            continue;
        }
        long long now = mono_ms();
        if (d->due > now) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            long long wait = d->due - now;
            ts.tv_sec += wait / 1000;
            ts.tv_nsec += (wait % 1000) * 1000000;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&g_timer.cond, &g_timer.lock, &ts);
            continue;
        }
        g_timer.list = d->next;
        pthread_mutex_unlock(&g_timer.lock);
        finish_delay(d, true);
        pthread_mutex_lock(&g_timer.lock);
    }
    while (g_timer.list) { /* shutting down: the sessions are gone */
        delayed *d = g_timer.list;
        g_timer.list = d->next;
        finish_delay(d, false);
    }
    pthread_mutex_unlock(&g_timer.lock);
    return NULL;
}

static ntcp_status delay(void *ctx, ntcp_call *call)
{
    (void)ctx;
    ntcp_buf b;
    ntcp_buf_init(&b, 64);
    ntcp_status st = field(call, "ms", &b);
    char *end = NULL;
    long ms = st ? -1 : strtol((const char *)b.data, &end, 10);
    bool ok = !st && end && *end == 0 && b.len > 0 && ms >= 0 && ms <= 60000;
    ntcp_buf_free(&b);
    if (!ok) { /* as FaultException<string> with [FaultContract(typeof(string))] */
        st = ntcp_call_reply_action(call, ECHO_NS "IEcho/DelayStringFault");
        return st ? st
                  : ntcp_call_fault(call, "Sender", NULL, "Delay expects ms, a whole number from 0 to 60000",
                                    "<string xmlns=\"" SERIALIZATION_NS "\">ms must be from 0 to 60000</string>");
    }
    delayed *d = calloc(1, sizeof *d);
    if (!d)
        return NTCP_E_NOMEM;
    d->call = call;
    d->ms = ms;
    d->due = mono_ms() + ms;
    pthread_mutex_lock(&g_timer.lock);
    if (!g_timer.running && pthread_create(&g_timer.thread, NULL, timer_main, NULL) == 0)
        g_timer.running = true;
    if (!g_timer.running) {
        pthread_mutex_unlock(&g_timer.lock);
        free(d);
        return NTCP_E_NOMEM;
    }
    ntcp_call_defer(call);
    delayed **p = &g_timer.list;
    while (*p && (*p)->due <= d->due)
        p = &(*p)->next;
    d->next = *p;
    *p = d;
    pthread_cond_signal(&g_timer.cond);
    pthread_mutex_unlock(&g_timer.lock);
    return NTCP_OK;
}

static void timer_stop(void)
{
    pthread_mutex_lock(&g_timer.lock);
    bool running = g_timer.running;
    g_timer.stopping = true;
    pthread_cond_signal(&g_timer.cond);
    pthread_mutex_unlock(&g_timer.lock);
    if (running)
        pthread_join(g_timer.thread, NULL);
}

/* Headers: every header that is not WS-Addressing, as "{ns}name=text". */
static ntcp_status headers(void *ctx, ntcp_call *call)
{
    (void)ctx;
    ntcp_xml_writer *w = ntcp_call_reply_writer(call);
    if (!w)
        return NTCP_E_NOMEM;
    ntcp_status st = ntcp_xml_writer_start(w, NULL, "HeadersResponse", ECHO_NS);
    if (!st)
        st = ntcp_xml_writer_start(w, NULL, "HeadersResult", NULL);
    if (!st) {
        ntcp_xml_attr a;
        memset(&a, 0, sizeof a);
        a.is_xmlns = true;
        a.name.prefix.p = "a";
        a.name.prefix.len = 1;
        a.name.local.p = ARRAYS_NS;
        a.name.local.len = (uint32_t)strlen(ARRAYS_NS);
        a.name.key = NTCP_XML_KEY_AUTO;
        st = ntcp_xml_writer_attribute(w, &a);
    }
    ntcp_buf t;
    ntcp_buf_init(&t, 1 << 20);
    for (size_t i = 0; !st && i < ntcp_call_header_count(call); i++) {
        const char *ns, *name;
        ntcp_xml_reader *r;
        st = ntcp_call_header(call, i, &ns, &name, &r);
        if (st || !strcmp(ns, NTCP_WSA10_NS))
            continue;
        ntcp_xml_node x;
        ntcp_buf_reset(&t);
        char head[1400];
        int k = snprintf(head, sizeof head, "{%s}%s=", ns, name);
        st = ntcp_buf_append(&t, head, (size_t)k);
        if (!st)
            st = ntcp_xml_reader_next(r, &x); /* the header element */
        if (!st)
            st = ntcp_xml_reader_element_text(r, &t);
        if (!st)
            st = ntcp_buf_put_u8(&t, 0);
        if (!st)
            st = ntcp_xml_writer_text_element(w, "a", "string", (const char *)t.data);
    }
    ntcp_buf_free(&t);
    for (int i = 0; i < 2 && !st; i++)
        st = ntcp_xml_writer_end_element(w);
    return st;
}

/* The sample contracts as WSDL describes them (the actions are WCF's defaults). */
static const ntcp_param p_n1n2[] = { { "n1", "double", false }, { "n2", "double", false } };
static const ntcp_param p_res[][1] = { { { "AddResult", "double", false } },
                                       { { "SubtractResult", "double", false } },
                                       { { "MultiplyResult", "double", false } },
                                       { { "DivideResult", "double", false } } };
static const ntcp_operation_info calc_info[] = {
    { "Add", NULL, NULL, false, p_n1n2, 2, p_res[0], 1, NULL, NULL, NULL, NULL, 0 },
    { "Subtract", NULL, NULL, false, p_n1n2, 2, p_res[1], 1, NULL, NULL, NULL, NULL, 0 },
    { "Multiply", NULL, NULL, false, p_n1n2, 2, p_res[2], 1, NULL, NULL, NULL, NULL, 0 },
    { "Divide", NULL, NULL, false, p_n1n2, 2, p_res[3], 1, NULL, NULL, NULL, NULL, 0 },
};
static const ntcp_param p_text[] = { { "text", "string", false } }, p_echo_res[] = { { "EchoResult", "string", false } };
static const ntcp_param p_ms[] = { { "ms", "int", false } }, p_delay_res[] = { { "DelayResult", "int", false } };
static const ntcp_param p_headers_res[] = { { "HeadersResult", "string", true } };
static const ntcp_fault_info delay_faults[] = { { "StringFault", NULL, "string" } }; /* FaultException<string> */
static const ntcp_operation_info echo_info[] = {
    { "Echo", NULL, NULL, false, p_text, 1, p_echo_res, 1, NULL, NULL, NULL, NULL, 0 },
    { "Delay", NULL, NULL, false, p_ms, 1, p_delay_res, 1, NULL, NULL, NULL, delay_faults, 1 },
    { "Headers", NULL, NULL, false, NULL, 0, p_headers_res, 1, NULL, NULL, NULL, NULL, 0 },
};
static const ntcp_contract_info sample_contracts[] = { { "ICalculator", CALC_NS, calc_info, 4 },
                                                       { "IEcho", ECHO_NS, echo_info, 3 } };

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

enum { OPT_WORKERS = 0x120, OPT_LOOPS, OPT_CONCURRENCY, OPT_INLINE_US }; /* beside CLI_TRACE_LONG_OPTIONS' 0x10x */

static const struct option opts[] = {
        { "security", required_argument, NULL, 's' },  { "package", required_argument, NULL, 'p' },
        { "protection", required_argument, NULL, 'P' }, { "keytab", required_argument, NULL, 'k' },
        { "allow-anonymous", no_argument, NULL, 'a' },  { "help", no_argument, NULL, 'h' },
        { "max-string-content-length", required_argument, NULL, 'S' },
        CLI_TRACE_LONG_OPTIONS,
        { "max-received-message-size", required_argument, NULL, 'M' },
        { "mode", required_argument, NULL, 'm' },
        { "config", required_argument, NULL, 'C' },
        { "syslog", no_argument, NULL, 'L' },
        { "verbose", no_argument, NULL, 'v' },
        { "workers", required_argument, NULL, OPT_WORKERS },
        { "loops", required_argument, NULL, OPT_LOOPS },
        { "concurrency", required_argument, NULL, OPT_CONCURRENCY },
        { "inline-us", required_argument, NULL, OPT_INLINE_US },
        { "credential", required_argument, NULL, CLI_OPT_CREDENTIAL },
        { "cert", required_argument, NULL, CLI_OPT_CERT },
        { "key", required_argument, NULL, CLI_OPT_KEY },
        { "client-ca", required_argument, NULL, CLI_OPT_CA },
        { "validation", required_argument, NULL, CLI_OPT_VALIDATION },
        { "revocation", required_argument, NULL, CLI_OPT_REVOCATION },
        { "tls-min", required_argument, NULL, CLI_OPT_TLS_MIN },
        { "tls-max", required_argument, NULL, CLI_OPT_TLS_MAX },
        { "wsdl-port", required_argument, NULL, 'W' },
        { "identity", required_argument, NULL, 'I' },
        { NULL, 0, NULL, 0 },
    };

/* One parse of the options (the --config file's already in argv). */
static int serve_parse(int argc, char **argv, struct serve_args *a)
{
    bool syslog = false;
    ntcp_service_options o;
    ntcp_service_options_init(&o);
    bool verbose = false;
    const char *wsdl_port = NULL, *identity = NULL;
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
        case 'm':
            if (cli_parse_mode_list("serve", optarg, &o.server.framing))
                return 2;
            break;
        case OPT_WORKERS:
        case OPT_LOOPS: {
            char *end = NULL;
            long v = strtol(optarg, &end, 10);
            long lo = c == OPT_WORKERS ? 0 : 1;
            if (!*optarg || *end || v < lo || v > 256) {
                fprintf(stderr, "nettcp serve: --%s expects a whole number from %ld to 256, not '%s'\n",
                        c == OPT_WORKERS ? "workers" : "loops", lo, optarg);
                return 2;
            }
            if (c == OPT_WORKERS)
                o.workers = (unsigned)v;
            else
                o.server.loops = (unsigned)v;
            break;
        }
        case OPT_INLINE_US: {
            char *end = NULL;
            long v = strtol(optarg, &end, 10);
            if (!*optarg || *end || v < 0 || v > 1000000) {
                fprintf(stderr, "nettcp serve: --inline-us expects a whole number from 0 to 1000000, not '%s'\n", optarg);
                return 2;
            }
            o.inline_us = (unsigned)v;
            break;
        }
        case OPT_CONCURRENCY:
            if (!strcmp(optarg, "single")) {
                o.concurrency = NTCP_CONCURRENCY_SINGLE;
            } else if (!strcmp(optarg, "multiple")) {
                o.concurrency = NTCP_CONCURRENCY_MULTIPLE;
            } else {
                fprintf(stderr, "nettcp serve: --concurrency expects single or multiple, not '%s'\n", optarg);
                return 2;
            }
            break;
        case 'v': verbose = true; break;
        case 'L': syslog = true; break;
        case 'W': {
            char *end;
            long p = strtol(optarg, &end, 10);
            if (end == optarg || *end || p < 0 || p > 65535) {
                fprintf(stderr, "nettcp serve: --wsdl-port takes a port number (0-65535), not '%s'\n", optarg);
                return 2;
            }
            wsdl_port = optarg;
            break;
        }
        case 'I':
            if (strncasecmp(optarg, "spn:", 4) && strncasecmp(optarg, "upn:", 4) && strncasecmp(optarg, "dns:", 4)) {
                fprintf(stderr, "nettcp serve: --identity takes spn:NAME, upn:NAME or dns:NAME, not '%s'\n", optarg);
                return 2;
            }
            identity = optarg;
            break;
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
    *a = (struct serve_args){ o, verbose, syslog, ta.path, argv[optind], ta, wsdl_port, identity };
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
    static const struct {
        const char *action;
        ntcp_operation_fn fn;
    } echo_ops[] = { { ECHO_NS "IEcho/Echo", echo }, { ECHO_NS "IEcho/Delay", delay },
                     { ECHO_NS "IEcho/Headers", headers } };
    for (size_t i = 0; i < sizeof echo_ops / sizeof echo_ops[0]; i++)
        if (ntcp_service_add_operation(svc, echo_ops[i].action, NULL, echo_ops[i].fn, NULL) ||
            ntcp_service_understand_header(svc, echo_ops[i].action, SAMPLE_NS, "Tenant"))
            return 1;
    int port = 0;
    st = ntcp_service_listen(svc, url, &port);
    if (st) {
        const ntcp_error *e = ntcp_service_error(svc);
        if (e->status)
            cli_print_error("serve", e);
        else
            fprintf(stderr, "nettcp serve: cannot listen on %s: %s (%s)\n", url, ntcp_status_str(st),
                    ntcp_status_name(st));
        serve_reload_stop();
        ntcp_service_free(svc);
        serve_config_free(xargc, xargv);
        return 1;
    }
    ntcp_metadata_options mo;
    ntcp_metadata_options_init(&mo);
    mo.name = "SampleService";
    mo.identity = a.identity;
    mo.http_port = a.wsdl_port;
    int wsdl_port = 0;
    st = ntcp_service_describe(svc, &sample_contracts[0]);
    if (!st)
        st = ntcp_service_describe(svc, &sample_contracts[1]);
    if (!st)
        st = ntcp_service_publish_metadata(svc, &mo, &wsdl_port);
    if (st) {
        const ntcp_error *e = ntcp_service_error(svc);
        if (e->status)
            cli_print_error("serve", e);
        else
            fprintf(stderr, "nettcp serve: cannot publish the metadata: %s (%s)\n", ntcp_status_str(st),
                    ntcp_status_name(st));
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
    if (a.wsdl_port && ntcp_url_parse(url, &u, NULL) == NTCP_OK)
        printf("metadata at http://%s%s%s:%d%s?wsdl\n", strchr(u.host, ':') ? "[" : "", u.host,
               strchr(u.host, ':') ? "]" : "", wsdl_port, u.path);
    if (ntcp_url_parse(url, &u, NULL) == NTCP_OK)
        printf("listening on net.tcp://%s%s%s:%d%s (security %s)\n", strchr(u.host, ':') ? "[" : "", u.host,
               strchr(u.host, ':') ? "]" : "", port, u.path,
               sec_label(&o));
    fflush(stdout);
    serve_log(LOG_INFO, "listening on %s, port %d (security %s; %u event loops, %u workers, concurrency %s)", url, port,
              sec_label(&o), o.server.loops, o.workers,
              o.concurrency == NTCP_CONCURRENCY_MULTIPLE ? "multiple" : "single");
    serve_ready();
    ntcp_trace_event(trace, "listening", NULL, "url", url, "security", sec_label(&o), NULL);
    st = ntcp_service_run(svc);
    g_service = NULL;
    serve_log(LOG_INFO, "stopped");
    serve_reload_stop();
    timer_stop();
    ntcp_service_free(svc);
    serve_config_free(xargc, xargv);
    ntcp_trace_event(trace, "stopped", NULL, NULL);
    ntcp_trace_close(trace);
    return st ? 1 : 0;
}
