/* The call object, service and client in one process (security None):
 * headers both ways, mustUnderstand as WCF checks it, faults with subcodes
 * and detail, deferred completion from another thread and the order of
 * replies, quotas, one operation per action, endpoints. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include "test.h"
#include <nettcp/channel.h>
#include <nettcp/client.h>
#include <nettcp/service.h>

#define T_NS "urn:t"
static atomic_int g_ran;

/* ---- fixture ---------------------------------------------------------------- */

typedef struct fixture {
    ntcp_service *svc;
    pthread_t thr;
    char url[128];
    bool running;
} fixture;

static void *run(void *arg)
{
    if (ntcp_service_run(arg))
        ntcp_test_fail(__FILE__, __LINE__, "run");
    return NULL;
}

static bool start(fixture *f, ntcp_service *svc, const char *path)
{
    memset(f, 0, sizeof *f);
    f->svc = svc;
    char url[128];
    snprintf(url, sizeof url, "net.tcp://127.0.0.1:0%s", path);
    int port = 0;
    ntcp_status st = ntcp_service_listen(svc, url, &port);
    CHECK_EQ_INT(st, NTCP_OK);
    if (st)
        return false;
    snprintf(f->url, sizeof f->url, "net.tcp://127.0.0.1:%d%s", port, path);
    pthread_create(&f->thr, NULL, run, svc);
    f->running = true;
    return true;
}

static void stop(fixture *f)
{
    if (f->running) {
        ntcp_service_stop(f->svc);
        pthread_join(f->thr, NULL);
    }
    ntcp_service_free(f->svc);
}

static ntcp_service *service_none(void)
{
    ntcp_service_options o;
    ntcp_service_options_init(&o);
    o.security = NTCP_SECURITY_NONE;
    ntcp_service *svc = NULL;
    CHECK_EQ_INT(ntcp_service_new(&svc, &o), NTCP_OK);
    return svc;
}

static ntcp_client *client_none(const char *url)
{
    ntcp_client_options co;
    ntcp_client_options_init(&co);
    co.security = NTCP_SECURITY_NONE;
    co.channel.limits.max_message = 1u << 20;
    co.xml.max_size = 1u << 20;
    co.xml.max_string_len = 1u << 20;
    ntcp_client *c = NULL;
    ntcp_error err;
    ntcp_status st = ntcp_client_open(&c, url, &co, &err);
    if (st)
        ntcp_test_fail(__FILE__, __LINE__, "open %s: %s", url, ntcp_error_text(&err));
    return c;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* polls cond (an atomic) until it reaches want, 10 s at most */
static bool wait_for(atomic_int *v, int want)
{
    long long end = now_ms() + 10000;
    while (atomic_load(v) < want && now_ms() < end)
        sched_yield();
    return atomic_load(v) >= want;
}

static char *text_of(ntcp_xml_reader *r)
{
    ntcp_buf b;
    ntcp_buf_init(&b, 1 << 20);
    ntcp_xml_node n;
    if (!r || ntcp_xml_reader_next(r, &n) || n.type != NTCP_XML_NODE_START || ntcp_xml_reader_element_text(r, &b) ||
        ntcp_buf_put_u8(&b, 0)) {
        ntcp_buf_free(&b);
        return NULL;
    }
    return (char *)b.data; /* freed with free(): the buffer came from ntcp_buf */
}

/* ---- headers both ways ------------------------------------------------------- */

static ntcp_status op_headers(void *ctx, ntcp_call *call)
{
    (void)ctx;
    atomic_fetch_add(&g_ran, 1);
    /* the request's headers: Action, MessageID, ReplyTo, To, then ours */
    long i = ntcp_call_header_find(call, T_NS, "Tenant");
    if (i < 0)
        return NTCP_E_MALFORMED;
    const char *ns, *name;
    ntcp_xml_reader *r;
    ntcp_status st = ntcp_call_header(call, (size_t)i, &ns, &name, &r);
    if (st || strcmp(ns, T_NS) || strcmp(name, "Tenant"))
        return NTCP_E_MALFORMED;
    char *tenant = text_of(r);
    if (!tenant)
        return NTCP_E_MALFORMED;
    /* the body in place: <Q xmlns="urn:t"><v>...</v></Q> */
    r = ntcp_call_body(call);
    ntcp_xml_node n;
    st = ntcp_xml_reader_next(r, &n);
    bool q = !st && n.type == NTCP_XML_NODE_START && n.depth == 1 && n.name.local.len == 1 && n.name.local.p[0] == 'Q';
    char *v = q ? text_of(r) : NULL;
    /* declared on the envelope; nothing else is */
    const char *s_ns = ntcp_call_namespace(call, "s");
    if (!s_ns || strcmp(s_ns, "http://www.w3.org/2003/05/soap-envelope") || ntcp_call_namespace(call, "zz"))
        return NTCP_E_MALFORMED;
    char reply_header[256];
    snprintf(reply_header, sizeof reply_header, "<h:Seen xmlns:h=\"" T_NS "\">%s/%zu</h:Seen>", tenant,
             ntcp_call_header_count(call));
    st = v ? ntcp_call_reply_header(call, reply_header) : NTCP_E_MALFORMED;
    ntcp_xml_writer *w = ntcp_call_reply_writer(call);
    if (!st)
        st = ntcp_xml_writer_start(w, NULL, "R", T_NS);
    if (!st)
        st = ntcp_xml_writer_text_element(w, NULL, "v", v);
    if (!st)
        st = ntcp_xml_writer_end_element(w);
    free(tenant);
    free(v);
    return st;
}

static ntcp_status op_count(void *ctx, ntcp_call *call)
{
    (void)ctx;
    (void)call;
    atomic_fetch_add(&g_ran, 1);
    return NTCP_OK;
}

TEST(call_headers_both_ways)
{
    ntcp_service *svc = service_none();
    CHECK_EQ_INT(ntcp_service_add_operation(svc, "urn:t/Headers", NULL, op_headers, NULL), NTCP_OK);
    CHECK_EQ_INT(ntcp_service_understand_header(svc, "urn:t/Headers", T_NS, "Tenant"), NTCP_OK);
    fixture f;
    if (!start(&f, svc, "/svc"))
        return stop(&f);
    ntcp_client *c = client_none(f.url);
    atomic_store(&g_ran, 0);
    for (int round = 0; c && round < 3; round++) { /* the session dictionaries carry over */
        ntcp_header h[2] = { { "<t:Tenant xmlns:t=\"" T_NS "\">acme</t:Tenant>", true },
                             { "<x:Plain xmlns:x=\"urn:x\">p</x:Plain>", false } };
        ntcp_soap_msg r;
        CHECK_EQ_INT(ntcp_client_call(c, "urn:t/Headers", h, 2, "<Q xmlns=\"urn:t\"><v>one &amp; two</v></Q>", 41, &r),
                     NTCP_OK);
        CHECK_EQ_STR(r.action, "urn:t/HeadersResponse");
        /* Action, RelatesTo, To, then the service's header */
        CHECK_EQ_INT(r.nheaders, 4);
        if (r.nheaders == 4) {
            CHECK_BYTES(r.headers[3].local.p, r.headers[3].local.len, "Seen", 4);
            CHECK_BYTES(r.headers[3].ns.p, r.headers[3].ns.len, T_NS, strlen(T_NS));
            char *seen = text_of(ntcp_client_reply_header(c, &r, 3));
            CHECK_EQ_STR(seen, "acme/6"); /* Action, MessageID, ReplyTo, To, Tenant, Plain */
            free(seen);
        }
        static const char want[] = "<R xmlns=\"urn:t\">\n  <v>one &amp; two</v>\n</R>";
        CHECK_BYTES(r.body.data, r.body.len, want, sizeof want - 1);
        char *v = text_of(ntcp_client_reply_body(c));
        CHECK_EQ_STR(v, "one & two");
        free(v);
        ntcp_soap_msg_clear(&r);
    }
    CHECK_EQ_INT(atomic_load(&g_ran), 3);
    if (c)
        CHECK_EQ_INT(ntcp_client_close(c), NTCP_OK);
    stop(&f);
}

/* ---- mustUnderstand ------------------------------------------------------------ */

TEST(call_must_understand_fault)
{
    ntcp_service *svc = service_none();
    CHECK_EQ_INT(ntcp_service_add_operation(svc, "urn:t/Count", NULL, op_count, NULL), NTCP_OK);
    CHECK_EQ_INT(ntcp_service_add_operation(svc, "urn:t/Other", NULL, op_count, NULL), NTCP_OK);
    CHECK_EQ_INT(ntcp_service_understand_header(svc, "urn:t/Count", T_NS, "Tenant"), NTCP_OK);
    fixture f;
    if (!start(&f, svc, "/svc"))
        return stop(&f);
    ntcp_client *c = client_none(f.url);
    atomic_store(&g_ran, 0);
    if (c) {
        ntcp_header known = { "<t:Tenant xmlns:t=\"" T_NS "\">acme</t:Tenant>", true };
        ntcp_header unknown = { "<k:Key xmlns:k=\"urn:other:ns\">1</k:Key>", true };
        ntcp_header loose = { "<k:Key xmlns:k=\"urn:other:ns\">1</k:Key>", false };
        ntcp_soap_msg r;
        CHECK_EQ_INT(ntcp_client_call(c, "urn:t/Count", &known, 1, NULL, 0, &r), NTCP_OK);
        ntcp_soap_msg_clear(&r);
        CHECK_EQ_INT(ntcp_client_call(c, "urn:t/Count", &loose, 1, NULL, 0, &r), NTCP_OK); /* not marked: ignored */
        ntcp_soap_msg_clear(&r);
        CHECK_EQ_INT(atomic_load(&g_ran), 2);
        /* understood by one operation only */
        CHECK_EQ_INT(ntcp_client_call(c, "urn:t/Other", &known, 1, NULL, 0, &r), NTCP_E_FAULT);
        CHECK_EQ_STR(r.fault_code, "MustUnderstand");
        ntcp_soap_msg_clear(&r);
        CHECK_EQ_INT(ntcp_client_call(c, "urn:t/Count", &unknown, 1, NULL, 0, &r), NTCP_E_FAULT);
        CHECK_EQ_INT(atomic_load(&g_ran), 2); /* the operation did not run */
        CHECK_EQ_STR(r.action, NTCP_WSA10_SOAP_FAULT_ACTION);
        CHECK_EQ_STR(r.fault_code, "MustUnderstand");
        CHECK_EQ_INT(r.fault_nsubcodes, 0);
        CHECK_EQ_STR(r.fault_reason,
                     "The header 'Key' from the namespace 'urn:other:ns' was not understood by the recipient of this "
                     "message, causing the message to not be processed.  This error typically indicates that the "
                     "sender of this message has enabled a communication protocol that the receiver cannot process.  "
                     "Please ensure that the configuration of the client's binding is consistent with the service's "
                     "binding.");
        /* Action, <s:NotUnderstood xmlns:d12="urn:other:ns" qname="d12:Key"/>, RelatesTo, To */
        CHECK_EQ_INT(r.nheaders, 4);
        if (r.nheaders == 4) {
            CHECK_BYTES(r.headers[1].local.p, r.headers[1].local.len, "NotUnderstood", 13);
            CHECK_BYTES(r.headers[2].local.p, r.headers[2].local.len, "RelatesTo", 9);
            ntcp_xml_reader *hr = ntcp_client_reply_header(c, &r, 1);
            ntcp_xml_node n;
            CHECK(hr && ntcp_xml_reader_next(hr, &n) == NTCP_OK && n.type == NTCP_XML_NODE_START);
            if (hr && n.type == NTCP_XML_NODE_START) {
                CHECK_EQ_INT(n.nattrs, 2);
                CHECK(n.nattrs == 2 && n.attrs[0].is_xmlns && n.attrs[0].name.prefix.len == 3 &&
                      !memcmp(n.attrs[0].name.prefix.p, "d12", 3));
                CHECK(n.nattrs == 2 && !n.attrs[1].is_xmlns && n.attrs[1].value.s.len == 7 &&
                      !memcmp(n.attrs[1].value.s.p, "d12:Key", 7));
            }
        }
        ntcp_soap_msg_clear(&r);
        CHECK_EQ_INT(ntcp_client_close(c), NTCP_OK);
    }
    stop(&f);
}

/* ---- faults with subcodes and detail ------------------------------------------ */

static ntcp_status op_fault(void *ctx, ntcp_call *call)
{
    (void)ctx;
    static const char *const subs[] = { "{" T_NS "}Outer", "{urn:t2}Inner", NULL };
    ntcp_status st = ntcp_call_reply_action(call, "urn:t/BadFault");
    return st ? st
              : ntcp_call_fault(call, "Sender", subs, "bad input",
                                "<string xmlns=\"http://schemas.microsoft.com/2003/10/Serialization/\">why &amp; "
                                "how</string>");
}

TEST(call_fault_detail)
{
    ntcp_service *svc = service_none();
    CHECK_EQ_INT(ntcp_service_add_operation(svc, "urn:t/Bad", NULL, op_fault, NULL), NTCP_OK);
    fixture f;
    if (!start(&f, svc, "/svc"))
        return stop(&f);
    ntcp_client *c = client_none(f.url);
    if (c) {
        ntcp_soap_msg r;
        CHECK_EQ_INT(ntcp_client_call(c, "urn:t/Bad", NULL, 0, NULL, 0, &r), NTCP_E_FAULT);
        CHECK_EQ_STR(r.action, "urn:t/BadFault");
        CHECK_EQ_STR(r.fault_code, "Sender");
        CHECK_EQ_STR(r.fault_subcode, "Outer");
        CHECK_EQ_INT(r.fault_nsubcodes, 2);
        if (r.fault_nsubcodes == 2) {
            CHECK_EQ_STR(r.fault_subcodes[0].ns, T_NS);
            CHECK_EQ_STR(r.fault_subcodes[0].local, "Outer");
            CHECK_EQ_STR(r.fault_subcodes[1].ns, "urn:t2");
            CHECK_EQ_STR(r.fault_subcodes[1].local, "Inner");
        }
        CHECK_EQ_STR(r.fault_reason, "bad input");
        CHECK(r.has_detail);
        static const char want[] =
            "<string xmlns=\"http://schemas.microsoft.com/2003/10/Serialization/\">why &amp; how</string>";
        CHECK_BYTES(r.fault_detail.data, r.fault_detail.len, want, sizeof want - 1);
        ntcp_soap_msg_clear(&r);
        CHECK_EQ_INT(ntcp_client_close(c), NTCP_OK);
    }
    stop(&f);
}

/* ---- deferred completion ----------------------------------------------------- */

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    ntcp_call *held;
    bool release;
} g_defer = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, false };
static atomic_int g_quick, g_held;

static ntcp_status op_later(void *ctx, ntcp_call *call)
{
    (void)ctx;
    ntcp_call_defer(call);
    pthread_mutex_lock(&g_defer.lock);
    g_defer.held = call;
    pthread_cond_broadcast(&g_defer.cond);
    pthread_mutex_unlock(&g_defer.lock);
    atomic_fetch_add(&g_held, 1);
    return NTCP_OK;
}

static ntcp_status op_quick(void *ctx, ntcp_call *call)
{
    (void)ctx;
    atomic_fetch_add(&g_quick, 1);
    return ntcp_call_reply_text(call, "<Quick xmlns=\"urn:t\"/>", 22);
}

/* completes the held call once released, on its own thread */
static void *completer(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&g_defer.lock);
    while (!g_defer.held || !g_defer.release)
        pthread_cond_wait(&g_defer.cond, &g_defer.lock);
    ntcp_call *call = g_defer.held;
    g_defer.held = NULL;
    g_defer.release = false;
    pthread_mutex_unlock(&g_defer.lock);
    ntcp_xml_writer *w = ntcp_call_reply_writer(call);
    ntcp_status st = ntcp_xml_writer_start(w, NULL, "Later", T_NS);
    if (!st)
        st = ntcp_xml_writer_text_element(w, NULL, "by", "another thread");
    if (!st)
        st = ntcp_xml_writer_end_element(w);
    ntcp_call_complete(call, st);
    return NULL;
}

static void release_held(void)
{
    pthread_mutex_lock(&g_defer.lock);
    g_defer.release = true;
    pthread_cond_broadcast(&g_defer.cond);
    pthread_mutex_unlock(&g_defer.lock);
}

typedef struct slow_call {
    const char *url;
    ntcp_status st;
    char body[256];
} slow_call;

static void *call_later(void *arg)
{
    slow_call *sc = arg;
    ntcp_client *c = client_none(sc->url);
    sc->st = NTCP_E_IO;
    if (!c)
        return NULL;
    ntcp_soap_msg r;
    sc->st = ntcp_client_call(c, "urn:t/Later", NULL, 0, NULL, 0, &r);
    snprintf(sc->body, sizeof sc->body, "%.*s", (int)r.body.len, r.body.data ? (const char *)r.body.data : "");
    ntcp_soap_msg_clear(&r);
    if (ntcp_client_close(c))
        sc->st = NTCP_E_CLOSED;
    return NULL;
}

TEST(call_deferred_other_thread_other_session_not_held)
{
    ntcp_service *svc = service_none();
    CHECK_EQ_INT(ntcp_service_add_operation(svc, "urn:t/Later", NULL, op_later, NULL), NTCP_OK);
    CHECK_EQ_INT(ntcp_service_add_operation(svc, "urn:t/Quick", NULL, op_quick, NULL), NTCP_OK);
    fixture f;
    if (!start(&f, svc, "/svc"))
        return stop(&f);
    atomic_store(&g_held, 0);
    pthread_t comp, caller;
    pthread_create(&comp, NULL, completer, NULL);
    slow_call sc = { f.url, NTCP_OK, "" };
    pthread_create(&caller, NULL, call_later, &sc);
    CHECK(wait_for(&g_held, 1));
    /* while that call waits, another session is served */
    ntcp_client *c = client_none(f.url);
    if (c) {
        for (int i = 0; i < 3; i++) {
            ntcp_soap_msg r;
            CHECK_EQ_INT(ntcp_client_call(c, "urn:t/Quick", NULL, 0, NULL, 0, &r), NTCP_OK);
            CHECK_BYTES(r.body.data, r.body.len, "<Quick xmlns=\"urn:t\"/>", 22);
            ntcp_soap_msg_clear(&r);
        }
        CHECK_EQ_INT(ntcp_client_close(c), NTCP_OK);
    }
    CHECK_EQ_INT(atomic_load(&g_held), 1);
    release_held();
    pthread_join(caller, NULL);
    pthread_join(comp, NULL);
    CHECK_EQ_INT(sc.st, NTCP_OK);
    CHECK_EQ_STR(sc.body, "<Later xmlns=\"urn:t\">\n  <by>another thread</by>\n</Later>");
    stop(&f);
}

/* Two requests pipelined on one session: the first deferred, the second
 * answered at once; the replies still leave in the order of the requests. */
static ntcp_status send_request(ntcp_channel *ch, ntcp_xml_writer *w, const char *action, const char *id)
{
    ntcp_soap_out m = { 0 };
    m.action = action;
    m.message_id = id;
    m.reply_to_anonymous = true;
    ntcp_buf out;
    ntcp_buf_init(&out, 1 << 20);
    ntcp_status st = ntcp_soap_write(w, &m, &out);
    if (!st)
        st = ntcp_channel_send(ch, out.data, out.len);
    ntcp_buf_free(&out);
    return st;
}

TEST(call_deferred_replies_in_request_order)
{
    ntcp_service *svc = service_none();
    CHECK_EQ_INT(ntcp_service_add_operation(svc, "urn:t/Later", NULL, op_later, NULL), NTCP_OK);
    CHECK_EQ_INT(ntcp_service_add_operation(svc, "urn:t/Quick", NULL, op_quick, NULL), NTCP_OK);
    fixture f;
    if (!start(&f, svc, "/svc"))
        return stop(&f);
    atomic_store(&g_held, 0);
    atomic_store(&g_quick, 0);
    pthread_t comp;
    pthread_create(&comp, NULL, completer, NULL);
    ntcp_channel_options o;
    ntcp_channel_options_init(&o);
    ntcp_channel *ch = NULL;
    ntcp_error err;
    CHECK_EQ_INT(ntcp_channel_open(&ch, f.url, &o, &err), NTCP_OK);
    ntcp_xml_session *out_sess = NULL, *in_sess = NULL;
    ntcp_xml_writer *w = NULL;
    CHECK_EQ_INT(ntcp_xml_session_new(&out_sess, 0), NTCP_OK);
    CHECK_EQ_INT(ntcp_xml_session_new(&in_sess, 0), NTCP_OK);
    CHECK_EQ_INT(ntcp_xml_writer_new(&w, NULL, out_sess), NTCP_OK);
    if (ch) {
        CHECK_EQ_INT(send_request(ch, w, "urn:t/Later", "urn:uuid:00000000-0000-4000-8000-000000000001"), NTCP_OK);
        CHECK_EQ_INT(send_request(ch, w, "urn:t/Quick", "urn:uuid:00000000-0000-4000-8000-000000000002"), NTCP_OK);
        CHECK(wait_for(&g_quick, 1)); /* the second ran while the first waits */
        CHECK_EQ_INT(atomic_load(&g_held), 1);
        release_held();
        const char *want[] = { "urn:uuid:00000000-0000-4000-8000-000000000001",
                               "urn:uuid:00000000-0000-4000-8000-000000000002" };
        for (int i = 0; i < 2; i++) {
            const uint8_t *p;
            size_t n;
            CHECK_EQ_INT(ntcp_channel_receive(ch, &p, &n), NTCP_OK);
            ntcp_soap_msg r;
            ntcp_soap_msg_init(&r);
            CHECK_EQ_INT(ntcp_soap_read_session(p, n, in_sess, NULL, NULL, 0, &r), NTCP_OK);
            CHECK_EQ_STR(r.relates_to, want[i]);
            ntcp_soap_msg_clear(&r);
        }
        CHECK_EQ_INT(ntcp_channel_close(ch), NTCP_OK);
    }
    pthread_join(comp, NULL);
    ntcp_xml_writer_free(w);
    ntcp_xml_session_free(out_sess);
    ntcp_xml_session_free(in_sess);
    stop(&f);
}

/* A deferred call whose session ends before it completes: the reply is
 * dropped, nothing leaks, the service keeps serving. */
TEST(call_deferred_session_gone)
{
    ntcp_service *svc = service_none();
    CHECK_EQ_INT(ntcp_service_add_operation(svc, "urn:t/Later", NULL, op_later, NULL), NTCP_OK);
    CHECK_EQ_INT(ntcp_service_add_operation(svc, "urn:t/Quick", NULL, op_quick, NULL), NTCP_OK);
    fixture f;
    if (!start(&f, svc, "/svc"))
        return stop(&f);
    atomic_store(&g_held, 0);
    ntcp_channel_options o;
    ntcp_channel_options_init(&o);
    ntcp_channel *ch = NULL;
    ntcp_error err;
    ntcp_xml_session *out_sess = NULL;
    ntcp_xml_writer *w = NULL;
    CHECK_EQ_INT(ntcp_xml_session_new(&out_sess, 0), NTCP_OK);
    CHECK_EQ_INT(ntcp_xml_writer_new(&w, NULL, out_sess), NTCP_OK);
    CHECK_EQ_INT(ntcp_channel_open(&ch, f.url, &o, &err), NTCP_OK);
    if (ch) {
        CHECK_EQ_INT(send_request(ch, w, "urn:t/Later", "urn:uuid:00000000-0000-4000-8000-000000000003"), NTCP_OK);
        CHECK(wait_for(&g_held, 1));
        ntcp_channel_abort(ch);
    }
    pthread_t comp;
    pthread_create(&comp, NULL, completer, NULL);
    release_held();
    pthread_join(comp, NULL);
    ntcp_client *c = client_none(f.url);
    if (c) {
        ntcp_soap_msg r;
        CHECK_EQ_INT(ntcp_client_call(c, "urn:t/Quick", NULL, 0, NULL, 0, &r), NTCP_OK);
        ntcp_soap_msg_clear(&r);
        CHECK_EQ_INT(ntcp_client_close(c), NTCP_OK);
    }
    ntcp_xml_writer_free(w);
    ntcp_xml_session_free(out_sess);
    stop(&f);
}

/* ---- quotas, registration, endpoints ------------------------------------------ */

static ntcp_status op_big(void *ctx, ntcp_call *call)
{
    size_t n = *(const size_t *)ctx;
    char *s = malloc(n + 1);
    if (!s)
        return NTCP_E_NOMEM;
    memset(s, 'x', n);
    s[n] = 0;
    ntcp_xml_writer *w = ntcp_call_reply_writer(call);
    ntcp_status st = ntcp_xml_writer_text_element(w, NULL, "Big", s);
    free(s);
    return st;
}

TEST(call_reply_quota_is_its_own)
{
    static const size_t big = 100000; /* larger than the request quota (65536) */
    ntcp_service_options o;
    ntcp_service_options_init(&o);
    o.security = NTCP_SECURITY_NONE;
    o.max_reply_size = 150000;
    ntcp_service *svc = NULL;
    CHECK_EQ_INT(ntcp_service_new(&svc, &o), NTCP_OK);
    static const size_t bigger = 200000;
    CHECK_EQ_INT(ntcp_service_add_operation(svc, "urn:t/Big", NULL, op_big, (void *)&big), NTCP_OK);
    CHECK_EQ_INT(ntcp_service_add_operation(svc, "urn:t/Bigger", NULL, op_big, (void *)&bigger), NTCP_OK);
    fixture f;
    if (!start(&f, svc, "/svc"))
        return stop(&f);
    ntcp_client *c = client_none(f.url);
    if (c) {
        ntcp_soap_msg r;
        CHECK_EQ_INT(ntcp_client_call(c, "urn:t/Big", NULL, 0, NULL, 0, &r), NTCP_OK);
        CHECK(r.body.len > big);
        ntcp_soap_msg_clear(&r);
        CHECK_EQ_INT(ntcp_client_call(c, "urn:t/Bigger", NULL, 0, NULL, 0, &r), NTCP_E_FAULT);
        CHECK_EQ_STR(r.fault_subcode, "InternalServiceFault");
        ntcp_soap_msg_clear(&r);
        CHECK_EQ_INT(ntcp_client_close(c), NTCP_OK);
    }
    stop(&f);
}

TEST(call_same_action_twice_is_an_error)
{
    ntcp_service *svc = service_none();
    CHECK_EQ_INT(ntcp_service_add_operation(svc, "urn:t/A", NULL, op_count, NULL), NTCP_OK);
    CHECK_EQ_INT(ntcp_service_add_operation(svc, "urn:t/A", NULL, op_quick, NULL), NTCP_E_INVALID_ARG);
    CHECK_EQ_INT(ntcp_service_add_operation(svc, "urn:t/B", NULL, op_quick, NULL), NTCP_OK);
    ntcp_service_free(svc);
}

static ntcp_status op_where(void *ctx, ntcp_call *call)
{
    char body[128];
    int n = snprintf(body, sizeof body, "<Where xmlns=\"urn:t\">%s</Where>", (const char *)ctx);
    return ntcp_call_reply_text(call, body, (size_t)n);
}

/* Two endpoints on one port, each with its own operations and security:
 * /a without security, /b requiring Transport (a client without it is
 * refused there, still served at /a). */
TEST(call_two_endpoints_one_port)
{
    ntcp_service *svc = service_none();
    ntcp_endpoint_options eo;
    ntcp_endpoint_options_init(&eo, svc);
    ntcp_endpoint *a = NULL, *b = NULL;
    int port = 0, port_b = 0;
    CHECK_EQ_INT(ntcp_service_add_endpoint(svc, "net.tcp://127.0.0.1:0/a", &eo, &a, &port), NTCP_OK);
    char url_a[128], url_b[128];
    snprintf(url_a, sizeof url_a, "net.tcp://127.0.0.1:%d/a", port);
    snprintf(url_b, sizeof url_b, "net.tcp://127.0.0.1:%d/b", port);
    eo.security = NTCP_SECURITY_TRANSPORT;
    /* an endpoint that may use Kerberos needs the service's key: refused without one */
    eo.nns.keytab = "/nonexistent/nettcp-test.keytab";
    CHECK_EQ_INT(ntcp_service_add_endpoint(svc, url_b, &eo, NULL, NULL), NTCP_E_NO_CREDENTIALS);
    CHECK_EQ_STR(ntcp_error_id(ntcp_service_error(svc)), "keytab_missing");
    eo.nns.package = NTCP_PACKAGE_NTLM; /* needs no keytab */
    CHECK_EQ_INT(ntcp_service_add_endpoint(svc, url_b, &eo, &b, &port_b), NTCP_OK);
    CHECK_EQ_INT(ntcp_service_error(svc)->status, NTCP_OK);
    CHECK_EQ_INT(port_b, port);
    CHECK_EQ_INT(ntcp_service_add_endpoint(svc, url_b, &eo, NULL, NULL), NTCP_E_INVALID_ARG); /* one per path */
    CHECK_EQ_INT(ntcp_endpoint_add_operation(a, "urn:t/Where", NULL, op_where, "a"), NTCP_OK);
    CHECK_EQ_INT(ntcp_endpoint_add_operation(b, "urn:t/Where", NULL, op_where, "b"), NTCP_OK);
    CHECK_EQ_INT(ntcp_endpoint_add_operation(a, "urn:t/OnlyA", NULL, op_where, "a"), NTCP_OK);
    pthread_t t;
    pthread_create(&t, NULL, run, svc);
    ntcp_client *c = client_none(url_a);
    if (c) {
        ntcp_soap_msg r;
        CHECK_EQ_INT(ntcp_client_call(c, "urn:t/Where", NULL, 0, NULL, 0, &r), NTCP_OK);
        CHECK_BYTES(r.body.data, r.body.len, "<Where xmlns=\"urn:t\">a</Where>", 30);
        ntcp_soap_msg_clear(&r);
        CHECK_EQ_INT(ntcp_client_close(c), NTCP_OK);
    }
    ntcp_client_options co;
    ntcp_client_options_init(&co);
    co.security = NTCP_SECURITY_NONE;
    ntcp_error err;
    c = NULL;
    ntcp_status st = ntcp_client_open(&c, url_b, &co, &err);
    CHECK(st != NTCP_OK);
    CHECK_EQ_STR(ntcp_error_id(&err), "security_mode_mismatch");
    c = client_none(url_a); /* still served */
    if (c) {
        ntcp_soap_msg r;
        CHECK_EQ_INT(ntcp_client_call(c, "urn:t/OnlyA", NULL, 0, NULL, 0, &r), NTCP_OK);
        ntcp_soap_msg_clear(&r);
        CHECK_EQ_INT(ntcp_client_close(c), NTCP_OK);
    }
    ntcp_service_stop(svc);
    pthread_join(t, NULL);
    ntcp_service_free(svc);
}

/* ---- the action "": a default operation ------------------------------------------- */

static ntcp_status op_default(void *ctx, ntcp_call *call)
{
    (void)ctx;
    const char *a = ntcp_call_action(call);
    char reply[128];
    snprintf(reply, sizeof reply, "%s/Default", a ? a : "");
    return ntcp_call_reply_action(call, reply);
}

TEST(call_default_operation_takes_other_actions)
{
    ntcp_service *svc = service_none();
    CHECK_EQ_INT(ntcp_service_add_operation(svc, "urn:t/Count", NULL, op_count, NULL), NTCP_OK);
    CHECK_EQ_INT(ntcp_service_add_operation(svc, "", "", op_default, NULL), NTCP_OK);
    CHECK_EQ_INT(ntcp_service_add_operation(svc, "", "", op_default, NULL), NTCP_E_INVALID_ARG); /* one default */
    fixture f;
    if (!start(&f, svc, "/svc"))
        return stop(&f);
    ntcp_client *c = client_none(f.url);
    atomic_store(&g_ran, 0);
    if (c) {
        ntcp_soap_msg r;
        CHECK_EQ_INT(ntcp_client_call(c, "urn:t/Count", NULL, 0, NULL, 0, &r), NTCP_OK); /* its own operation */
        CHECK_EQ_STR(r.action, "urn:t/CountResponse");
        ntcp_soap_msg_clear(&r);
        CHECK_EQ_INT(atomic_load(&g_ran), 1);
        CHECK_EQ_INT(ntcp_client_call(c, "urn:t/Else", NULL, 0, NULL, 0, &r), NTCP_OK); /* no ActionNotSupported */
        CHECK_EQ_STR(r.action, "urn:t/Else/Default");
        ntcp_soap_msg_clear(&r);
        CHECK_EQ_INT(atomic_load(&g_ran), 1);
        CHECK_EQ_INT(ntcp_client_close(c), NTCP_OK);
    }
    stop(&f);
}
