/* One client channel used from several threads: against the service host,
 * every reply reaches the thread whose request it answers (distinct
 * payloads), with each thread's own reply readers and errors; against a
 * peer that answers out of order, replies are matched by RelatesTo; a reply
 * that relates to no call in flight is a clear error that ends the session. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include "test.h"
#include <nettcp/client.h>
#include <nettcp/server.h>
#include <nettcp/service.h>

#define THREADS 8
#define CALLS 150

static void *run_service(void *arg)
{
    if (ntcp_service_run(arg))
        ntcp_test_fail(__FILE__, __LINE__, "service run");
    return NULL;
}

static void *run_server(void *arg)
{
    if (ntcp_server_run(arg))
        ntcp_test_fail(__FILE__, __LINE__, "server run");
    return NULL;
}

static ntcp_client *open_none(const char *url)
{
    ntcp_client_options co;
    ntcp_client_options_init(&co);
    co.security = NTCP_SECURITY_NONE;
    ntcp_client *c = NULL;
    ntcp_error err;
    if (ntcp_client_open(&c, url, &co, &err))
        ntcp_test_fail(__FILE__, __LINE__, "open %s: %s", url, ntcp_error_text(&err));
    return c;
}

/* <Echo xmlns="urn:t"><v>…</v></Echo> back as <EchoResponse xmlns="urn:t"><v>…</v></EchoResponse> */
static ntcp_status op_echo(void *ctx, ntcp_call *call)
{
    (void)ctx;
    ntcp_xml_reader *r = ntcp_call_body(call);
    ntcp_xml_node n;
    ntcp_buf v;
    ntcp_buf_init(&v, 4096);
    ntcp_status st = ntcp_xml_reader_next(r, &n);
    if (!st)
        st = ntcp_xml_reader_next(r, &n); /* <v> */
    if (!st)
        st = ntcp_xml_reader_element_text(r, &v);
    if (!st)
        st = ntcp_buf_put_u8(&v, 0);
    ntcp_xml_writer *w = ntcp_call_reply_writer(call);
    if (!st)
        st = ntcp_xml_writer_start(w, NULL, "EchoResponse", "urn:t");
    if (!st)
        st = ntcp_xml_writer_text_element(w, NULL, "v", (const char *)v.data);
    if (!st)
        st = ntcp_xml_writer_end_element(w);
    ntcp_buf_free(&v);
    return st;
}

/* an operation that always faults: each thread sees its own error */
static ntcp_status op_refuse(void *ctx, ntcp_call *call)
{
    (void)ctx;
    const char *xml;
    size_t len;
    if (ntcp_call_body_text(call, &xml, &len))
        return NTCP_E_MALFORMED;
    char reason[256];
    snprintf(reason, sizeof reason, "refused %.*s", (int)(len < 200 ? len : 200), xml);
    return ntcp_call_fault(call, "Sender", NULL, reason, NULL);
}

typedef struct worker {
    ntcp_client *c;
    int id;
    int ok, wrong, failed, reader_ok, fault_ok;
} worker;

static void *hammer(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < CALLS; i++) {
        char body[128], want[128], val[32];
        snprintf(val, sizeof val, "t%d-c%d", w->id, i);
        int n = snprintf(body, sizeof body, "<Echo xmlns=\"urn:t\"><v>t%d-c%d</v></Echo>", w->id, i);
        snprintf(want, sizeof want, "<EchoResponse xmlns=\"urn:t\">\n  <v>t%d-c%d</v>\n</EchoResponse>", w->id, i);
        ntcp_soap_msg r;
        ntcp_status st = ntcp_client_call(w->c, "urn:t/Echo", NULL, 0, body, (size_t)n, &r);
        if (st) {
            w->failed++;
            ntcp_soap_msg_clear(&r);
            continue;
        }
        if (r.body.len == strlen(want) && !memcmp(r.body.data, want, r.body.len))
            w->ok++;
        else
            w->wrong++;
        /* the thread's own last reply, read in place */
        ntcp_xml_reader *rd = ntcp_client_reply_body(w->c);
        ntcp_xml_node nd;
        ntcp_buf t;
        ntcp_buf_init(&t, 4096);
        if (rd && !ntcp_xml_reader_next(rd, &nd) && !ntcp_xml_reader_next(rd, &nd) &&
            !ntcp_xml_reader_element_text(rd, &t) && t.len == strlen(val) && !memcmp(t.data, val, t.len))
            w->reader_ok++;
        ntcp_buf_free(&t);
        ntcp_soap_msg_clear(&r);
        if (i % 25 == 0) { /* a fault: this thread's error names its own request */
            n = snprintf(body, sizeof body, "<No xmlns=\"urn:t\">t%d-c%d</No>", w->id, i);
            st = ntcp_client_call(w->c, "urn:t/Refuse", NULL, 0, body, (size_t)n, &r);
            char mark[32];
            snprintf(mark, sizeof mark, ">t%d-c%d<", w->id, i);
            const ntcp_error *e = ntcp_client_error(w->c);
            if (st == NTCP_E_FAULT && e->status == NTCP_E_FAULT && e->cause == NTCP_CAUSE_SERVICE_FAULT &&
                strstr(ntcp_error_text(e), mark))
                w->fault_ok++;
            ntcp_soap_msg_clear(&r);
        }
    }
    return NULL;
}

TEST(client_threads_share_one_channel)
{
    ntcp_service_options o;
    ntcp_service_options_init(&o);
    o.security = NTCP_SECURITY_NONE;
    ntcp_service *svc = NULL;
    CHECK_EQ_INT(ntcp_service_new(&svc, &o), NTCP_OK);
    CHECK_EQ_INT(ntcp_service_add_operation(svc, "urn:t/Echo", NULL, op_echo, NULL), NTCP_OK);
    CHECK_EQ_INT(ntcp_service_add_operation(svc, "urn:t/Refuse", NULL, op_refuse, NULL), NTCP_OK);
    int port = 0;
    CHECK_EQ_INT(ntcp_service_listen(svc, "net.tcp://127.0.0.1:0/svc", &port), NTCP_OK);
    pthread_t st;
    pthread_create(&st, NULL, run_service, svc);
    char url[96];
    snprintf(url, sizeof url, "net.tcp://127.0.0.1:%d/svc", port);
    ntcp_client *c = open_none(url);
    if (c) {
        worker w[THREADS];
        pthread_t th[THREADS];
        for (int i = 0; i < THREADS; i++) {
            w[i] = (worker){ c, i, 0, 0, 0, 0, 0 };
            pthread_create(&th[i], NULL, hammer, &w[i]);
        }
        for (int i = 0; i < THREADS; i++) {
            pthread_join(th[i], NULL);
            CHECK_EQ_INT(w[i].ok, CALLS);
            CHECK_EQ_INT(w[i].wrong, 0);
            CHECK_EQ_INT(w[i].failed, 0);
            CHECK_EQ_INT(w[i].reader_ok, CALLS);
            CHECK_EQ_INT(w[i].fault_ok, CALLS / 25);
        }
        /* the main thread made no call: it has no error */
        CHECK_EQ_INT(ntcp_client_error(c)->status, NTCP_OK);
        CHECK_EQ_INT(ntcp_client_close(c), NTCP_OK);
    }
    ntcp_service_stop(svc);
    pthread_join(st, NULL);
    ntcp_service_free(svc);
}

/* ---- a peer that answers as it likes --------------------------------------------- */
typedef struct peer {
    ntcp_xml_session *in, *out;
    ntcp_xml_writer *w;
    atomic_int hold;              /* requests collected before answering, last first */
    int held;
    char ids[THREADS][64], bodies[THREADS][256];
    const char *relates_to;       /* when set: every reply relates to this instead */
} peer;

static void peer_message(void *ctx, ntcp_server_session *ss, const uint8_t *p, size_t n)
{
    peer *pr = ctx;
    ntcp_soap_msg m;
    ntcp_soap_msg_init(&m);
    if (ntcp_soap_read_session(p, n, pr->in, NULL, NULL, 0, &m) || !m.message_id || pr->held >= THREADS) {
        ntcp_test_fail(__FILE__, __LINE__, "peer: a request it cannot read");
        ntcp_soap_msg_clear(&m);
        return;
    }
    snprintf(pr->ids[pr->held], sizeof pr->ids[0], "%s", m.message_id);
    snprintf(pr->bodies[pr->held], sizeof pr->bodies[0], "%.*s", (int)m.body.len, (const char *)m.body.data);
    pr->held++;
    ntcp_soap_msg_clear(&m);
    if (pr->held < atomic_load(&pr->hold))
        return;
    for (int i = pr->held - 1; i >= 0; i--) {
        ntcp_soap_out o = { 0 };
        o.action = "urn:t/EchoResponse";
        o.relates_to = pr->relates_to ? pr->relates_to : pr->ids[i];
        o.body = pr->bodies[i];
        o.body_len = strlen(pr->bodies[i]);
        ntcp_buf out;
        ntcp_buf_init(&out, 1 << 20);
        if (ntcp_soap_write(pr->w, &o, &out) || ntcp_server_session_send(ss, out.data, out.len))
            ntcp_test_fail(__FILE__, __LINE__, "peer: reply");
        ntcp_buf_free(&out);
    }
    pr->held = 0;
}

static ntcp_server *peer_start(peer *pr, int *port, pthread_t *t)
{
    CHECK_EQ_INT(ntcp_xml_session_new(&pr->in, 0), NTCP_OK);
    CHECK_EQ_INT(ntcp_xml_session_new(&pr->out, 0), NTCP_OK);
    CHECK_EQ_INT(ntcp_xml_writer_new(&pr->w, NULL, pr->out), NTCP_OK);
    ntcp_server_config cfg;
    ntcp_server_config_init(&cfg);
    cfg.on_message = peer_message;
    cfg.ctx = pr;
    ntcp_server *s = NULL;
    CHECK_EQ_INT(ntcp_server_new(&s, &cfg), NTCP_OK);
    CHECK_EQ_INT(ntcp_server_listen(s, "127.0.0.1", "0", port), NTCP_OK);
    pthread_create(t, NULL, run_server, s);
    return s;
}

static void peer_stop(peer *pr, ntcp_server *s, pthread_t t)
{
    ntcp_server_stop(s);
    pthread_join(t, NULL);
    ntcp_server_free(s);
    ntcp_xml_writer_free(pr->w);
    ntcp_xml_session_free(pr->in);
    ntcp_xml_session_free(pr->out);
}

typedef struct one_call {
    ntcp_client *c;
    int id;
    ntcp_status st;
    char body[256];
    ntcp_error err;
} one_call;

static void *call_once(void *arg)
{
    one_call *oc = arg;
    char body[64];
    int n = snprintf(body, sizeof body, "<Q xmlns=\"urn:t\">%d</Q>", oc->id);
    ntcp_soap_msg r;
    oc->st = ntcp_client_call(oc->c, "urn:t/Echo", NULL, 0, body, (size_t)n, &r);
    snprintf(oc->body, sizeof oc->body, "%.*s", (int)r.body.len, r.body.data ? (const char *)r.body.data : "");
    oc->err = *ntcp_client_error(oc->c);
    ntcp_soap_msg_clear(&r);
    return NULL;
}

TEST(client_threads_replies_out_of_order)
{
    peer pr;
    memset(&pr, 0, sizeof pr);
    atomic_store(&pr.hold, THREADS); /* answers once every thread's request is in, last first */
    int port;
    pthread_t pt;
    ntcp_server *s = peer_start(&pr, &port, &pt);
    char url[96];
    snprintf(url, sizeof url, "net.tcp://127.0.0.1:%d/svc", port);
    ntcp_client *c = open_none(url);
    for (int round = 0; c && round < 3; round++) {
        one_call oc[THREADS];
        pthread_t th[THREADS];
        for (int i = 0; i < THREADS; i++) {
            oc[i] = (one_call){ .c = c, .id = round * 100 + i };
            pthread_create(&th[i], NULL, call_once, &oc[i]);
        }
        for (int i = 0; i < THREADS; i++) {
            pthread_join(th[i], NULL);
            char want[64];
            snprintf(want, sizeof want, "<Q xmlns=\"urn:t\">%d</Q>", round * 100 + i);
            CHECK_EQ_INT(oc[i].st, NTCP_OK);
            CHECK_EQ_STR(oc[i].body, want);
        }
    }
    if (c)
        CHECK_EQ_INT(ntcp_client_close(c), NTCP_OK);
    peer_stop(&pr, s, pt);
}

TEST(client_reply_with_unknown_relates_to)
{
    peer pr;
    memset(&pr, 0, sizeof pr);
    atomic_store(&pr.hold, 1);
    pr.relates_to = "urn:uuid:00000000-0000-4000-8000-00000000dead";
    int port;
    pthread_t pt;
    ntcp_server *s = peer_start(&pr, &port, &pt);
    char url[96];
    snprintf(url, sizeof url, "net.tcp://127.0.0.1:%d/svc", port);
    ntcp_client *c = open_none(url);
    if (c) {
        one_call oc = { .c = c, .id = 1 };
        call_once(&oc);
        CHECK_EQ_INT(oc.st, NTCP_E_RECORD_SEQUENCE);
        CHECK_EQ_INT(oc.err.cause, NTCP_CAUSE_PROTOCOL);
        CHECK_EQ_INT(oc.err.step, NTCP_STEP_RECEIVE);
        CHECK_EQ_STR(oc.err.text, "a reply relates to urn:uuid:00000000-0000-4000-8000-00000000dead, which no call on "
                                  "this channel is waiting for (1 in flight): replies can no longer be matched to "
                                  "their calls, so the session is given up");
        /* the session is over: the next call says so without sending */
        oc.id = 2;
        call_once(&oc);
        CHECK_EQ_INT(oc.st, NTCP_E_RECORD_SEQUENCE);
        CHECK(strstr(oc.err.text, "00000000dead") != NULL);
        ntcp_client_abort(c);
    }
    peer_stop(&pr, s, pt);
}

/* A call that times out fails alone; its reply, arriving later, is dropped
 * and the session goes on. */
TEST(client_late_reply_of_a_timed_out_call_is_dropped)
{
    peer pr;
    memset(&pr, 0, sizeof pr);
    atomic_store(&pr.hold, 2); /* the first request waits for a second one */
    int port;
    pthread_t pt;
    ntcp_server *s = peer_start(&pr, &port, &pt);
    char url[96];
    snprintf(url, sizeof url, "net.tcp://127.0.0.1:%d/svc", port);
    ntcp_client_options co;
    ntcp_client_options_init(&co);
    co.security = NTCP_SECURITY_NONE;
    co.channel.receive_timeout_ms = 300;
    ntcp_client *c = NULL;
    ntcp_error err;
    CHECK_EQ_INT(ntcp_client_open(&c, url, &co, &err), NTCP_OK);
    if (c) {
        one_call a = { .c = c, .id = 1 };
        call_once(&a);
        CHECK_EQ_INT(a.st, NTCP_E_TIMEOUT);
        CHECK_EQ_INT(a.err.cause, NTCP_CAUSE_TIMEOUT);
        atomic_store(&pr.hold, 1);
        one_call b = { .c = c, .id = 2 }; /* answered, then the first one's late reply */
        call_once(&b);
        CHECK_EQ_INT(b.st, NTCP_OK);
        CHECK_EQ_STR(b.body, "<Q xmlns=\"urn:t\">2</Q>");
        one_call d = { .c = c, .id = 3 }; /* reads past the late reply */
        call_once(&d);
        CHECK_EQ_INT(d.st, NTCP_OK);
        CHECK_EQ_STR(d.body, "<Q xmlns=\"urn:t\">3</Q>");
        CHECK_EQ_INT(ntcp_client_close(c), NTCP_OK);
    }
    peer_stop(&pr, s, pt);
}
