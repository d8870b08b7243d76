/* A net.tcp service on the nettcp library: contract IGreeter in the
 * namespace urn:example:greeter, two operations.
 *   Greet(name) -> "Hello, <name>" (and the caller's Tenant header, when sent)
 *   Later(ms)   -> ms, answered ms milliseconds later from another thread
 *                  while the service goes on serving
 * A name that is empty gets a fault with a detail, as WCF's
 * FaultException<string> would send it.
 *
 * usage: greeter_service net.tcp://127.0.0.1:0/greeter
 * Prints "listening on <port>" once ready; SIGINT/SIGTERM stops it. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <nettcp/service.h>

#define NS "urn:example:greeter"
static ntcp_service *g_service;

/* The text of the element `local` inside the body's element. */
static int field(ntcp_call *call, const char *local, char *out, size_t cap)
{
    ntcp_xml_reader *r = ntcp_call_body(call);
    ntcp_xml_node n;
    while (r && ntcp_xml_reader_next(r, &n) == NTCP_OK && n.type != NTCP_XML_NODE_EOF) {
        if (n.type == NTCP_XML_NODE_START && n.depth == 2 && n.name.local.len == strlen(local) &&
            !memcmp(n.name.local.p, local, n.name.local.len)) {
            ntcp_buf text;
            ntcp_buf_init(&text, cap - 1);
            ntcp_status st = ntcp_xml_reader_element_text(r, &text);
            snprintf(out, cap, "%.*s", (int)text.len, text.data ? (const char *)text.data : "");
            ntcp_buf_free(&text);
            return st == NTCP_OK ? 0 : -1;
        }
    }
    return -1;
}

/* <OpResponse xmlns=NS><OpResult>text</OpResult></OpResponse> */
static ntcp_status answer(ntcp_call *call, const char *op, const char *text)
{
    char el[64], res[64];
    snprintf(el, sizeof el, "%sResponse", op);
    snprintf(res, sizeof res, "%sResult", op);
    ntcp_xml_writer *w = ntcp_call_reply_writer(call);
    ntcp_status st = ntcp_xml_writer_start(w, NULL, el, NS);
    if (!st)
        st = ntcp_xml_writer_text_element(w, NULL, res, text);
    return st ? st : ntcp_xml_writer_end_element(w);
}

static ntcp_status greet(void *ctx, ntcp_call *call)
{
    (void)ctx;
    char name[256], tenant[256] = "";
    if (field(call, "name", name, sizeof name) || !*name)
        return ntcp_call_fault(call, "Sender", NULL, "Greet needs a name",
                               "<string xmlns=\"http://schemas.microsoft.com/2003/10/Serialization/\">"
                               "name is empty</string>");
    long i = ntcp_call_header_find(call, NS, "Tenant");
    ntcp_xml_reader *hr;
    ntcp_xml_node n;
    if (i >= 0 && ntcp_call_header(call, (size_t)i, NULL, NULL, &hr) == NTCP_OK &&
        ntcp_xml_reader_next(hr, &n) == NTCP_OK) { /* the header element; then its text */
        ntcp_buf t;
        ntcp_buf_init(&t, sizeof tenant - 1);
        if (ntcp_xml_reader_element_text(hr, &t) == NTCP_OK)
            snprintf(tenant, sizeof tenant, " of %.*s", (int)t.len, t.data ? (const char *)t.data : "");
        ntcp_buf_free(&t);
    }
    char text[600];
    snprintf(text, sizeof text, "Hello, %s%s", name, tenant);
    /* a reply header too */
    ntcp_status st = ntcp_call_reply_header(call, "<g:Served xmlns:g=\"" NS "\">greeter</g:Served>");
    return st ? st : answer(call, "Greet", text);
}

/* Later: the handler returns at once; a thread finishes the call. */
typedef struct later {
    ntcp_call *call;
    long ms;
} later;

static void *finish_later(void *arg)
{
    later *l = arg;
    struct timespec ts = { l->ms / 1000, (l->ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
    char text[32];
    snprintf(text, sizeof text, "%ld", l->ms);
    ntcp_call_complete(l->call, answer(l->call, "Later", text));
    free(l);
    return NULL;
}

static ntcp_status later_op(void *ctx, ntcp_call *call)
{
    (void)ctx;
    char ms[32];
    later *l = malloc(sizeof *l);
    if (!l)
        return NTCP_E_NOMEM;
    l->call = call;
    l->ms = field(call, "ms", ms, sizeof ms) ? 0 : strtol(ms, NULL, 10);
    if (l->ms < 0 || l->ms > 10000)
        l->ms = 0;
    ntcp_call_defer(call); /* before the thread can complete it */
    pthread_t t;
    if (pthread_create(&t, NULL, finish_later, l)) {
        free(l);
        return NTCP_E_NOMEM; /* not deferred after all: InternalServiceFault */
    }
    pthread_detach(t);
    return NTCP_OK;
}

static void on_signal(int sig)
{
    (void)sig;
    ntcp_service_stop(g_service);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s net.tcp://HOST:PORT/PATH\n", argv[0]);
        return 2;
    }
    ntcp_service_options o;
    ntcp_service_options_init(&o);
    o.security = NTCP_SECURITY_NONE; /* NTCP_SECURITY_TRANSPORT: Kerberos/NTLM, as NetTcpBinding */
    ntcp_service *svc;
    int port = 0;
    if (ntcp_service_new(&svc, &o) || ntcp_service_add_operation(svc, NS "/IGreeter/Greet", NULL, greet, NULL) ||
        ntcp_service_add_operation(svc, NS "/IGreeter/Later", NULL, later_op, NULL) ||
        ntcp_service_understand_header(svc, NULL, NS, "Tenant") || ntcp_service_listen(svc, argv[1], &port)) {
        fprintf(stderr, "cannot start the service at %s\n", argv[1]);
        return 1;
    }
    g_service = svc;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    printf("listening on %d\n", port);
    fflush(stdout);
    ntcp_status st = ntcp_service_run(svc);
    ntcp_service_free(svc);
    return st ? 1 : 0;
}
