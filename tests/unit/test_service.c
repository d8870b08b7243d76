/* The SOAP service and client in one process (security None): dispatch,
 * one-way messages, faults, session dictionaries over many calls, IPv6. */
#include <pthread.h>
#include <stdlib.h>
#include "test.h"
#include <nettcp/client.h>
#include <nettcp/service.h>

static int oneway_seen;

static ntcp_status op_upper(void *ctx, ntcp_call *call)
{
    (void)ctx;
    const char *body;
    size_t len;
    ntcp_status st = ntcp_call_body_text(call, &body, &len);
    if (st)
        return st;
    static const char head[] = "<R xmlns=\"urn:t\">", tail[] = "</R>";
    ntcp_buf out;
    ntcp_buf_init(&out, 1 << 20);
    st = ntcp_buf_append(&out, head, sizeof head - 1);
    bool in_text = false; /* upper-case the text, not the markup */
    for (size_t i = 0; !st && i < len; i++) {
        char c = body[i];
        if (c == '<' || c == '>')
            in_text = c == '>';
        st = ntcp_buf_put_u8(&out, in_text && c >= 'a' && c <= 'z' ? (uint8_t)(c - 32) : (uint8_t)c);
    }
    if (!st)
        st = ntcp_buf_append(&out, tail, sizeof tail - 1);
    if (!st)
        st = ntcp_call_reply_text(call, (const char *)out.data, out.len);
    ntcp_buf_free(&out);
    return st;
}

static ntcp_status op_note(void *ctx, ntcp_call *call)
{
    (void)ctx;
    (void)call;
    oneway_seen++;
    return NTCP_OK;
}

static ntcp_status op_fail(void *ctx, ntcp_call *call)
{
    (void)ctx;
    (void)call;
    return NTCP_E_IO; /* becomes InternalServiceFault, without detail */
}

static void *run(void *arg)
{
    if (ntcp_service_run(arg))
        ntcp_test_fail(__FILE__, __LINE__, "run");
    return NULL;
}

static void exercise(const char *host)
{
    ntcp_service_options o;
    ntcp_service_options_init(&o);
    o.security = NTCP_SECURITY_NONE;
    ntcp_service *svc;
    CHECK_EQ_INT(ntcp_service_new(&svc, &o), NTCP_OK);
    CHECK_EQ_INT(ntcp_service_add_operation(svc, "urn:t/Upper", NULL, op_upper, NULL), NTCP_OK);
    CHECK_EQ_INT(ntcp_service_add_operation(svc, "urn:t/Note", NULL, op_note, NULL), NTCP_OK);
    CHECK_EQ_INT(ntcp_service_add_operation(svc, "urn:t/Fail", NULL, op_fail, NULL), NTCP_OK);
    char url[128];
    snprintf(url, sizeof url, "net.tcp://%s:0/svc", host);
    int port = 0;
    ntcp_status st = ntcp_service_listen(svc, url, &port);
    CHECK_EQ_INT(st, NTCP_OK);
    if (st) {
        ntcp_service_free(svc);
        return;
    }
    pthread_t t;
    pthread_create(&t, NULL, run, svc);
    snprintf(url, sizeof url, "net.tcp://%s:%d/svc", host, port);
    ntcp_client_options co;
    ntcp_client_options_init(&co);
    co.security = NTCP_SECURITY_NONE;
    ntcp_client *c;
    ntcp_error err;
    CHECK_EQ_INT(ntcp_client_open(&c, url, &co, &err), NTCP_OK);
    CHECK_EQ_INT(err.status, NTCP_OK);
    oneway_seen = 0;
    for (int i = 0; c && i < 20; i++) { /* the session dictionaries carry over 20 calls */
        CHECK_EQ_INT(ntcp_client_send(c, "urn:t/Note", "<N xmlns=\"urn:t\"/>", 18), NTCP_OK);
        char body[64];
        int n = snprintf(body, sizeof body, "<Q xmlns=\"urn:t\">call %d</Q>", i);
        ntcp_soap_msg r;
        CHECK_EQ_INT(ntcp_client_call(c, "urn:t/Upper", NULL, 0, body, (size_t)n, &r), NTCP_OK);
        CHECK_EQ_STR(r.action, "urn:t/UpperResponse");
        char want[96];
        snprintf(want, sizeof want, "<R xmlns=\"urn:t\">\n  <Q xmlns=\"urn:t\">CALL %d</Q>\n</R>", i);
        CHECK_BYTES(r.body.data, r.body.len, want, strlen(want));
        ntcp_soap_msg_clear(&r);
    }
    if (c) {
        ntcp_soap_msg r;
        CHECK_EQ_INT(ntcp_client_call(c, "urn:t/Fail", NULL, 0, NULL, 0, &r), NTCP_E_FAULT);
        CHECK_EQ_STR(r.fault_subcode, "InternalServiceFault");
        CHECK(strstr(ntcp_error_text(ntcp_client_error(c)), "InternalServiceFault") != NULL);
        CHECK_EQ_STR(ntcp_error_id(ntcp_client_error(c)), "service_fault");
        ntcp_soap_msg_clear(&r);
        CHECK_EQ_INT(ntcp_client_call(c, "urn:t/Missing", NULL, 0, NULL, 0, &r), NTCP_E_FAULT);
        CHECK_EQ_STR(r.fault_subcode, "ActionNotSupported");
        /* the same id doctor gives */
        CHECK_EQ_STR(ntcp_error_id(ntcp_client_error(c)), "action_not_supported");
        CHECK_EQ_INT(ntcp_client_error(c)->step, NTCP_STEP_RECEIVE);
        ntcp_soap_msg_clear(&r);
        CHECK_EQ_INT(ntcp_client_close(c), NTCP_OK);
    }
    ntcp_service_stop(svc);
    pthread_join(t, NULL);
    ntcp_service_free(svc);
    CHECK_EQ_INT(oneway_seen, 20);
}

TEST(service_client_ipv4) { exercise("127.0.0.1"); }
TEST(service_client_ipv6) { exercise("[::1]"); }
TEST(service_client_host_name) { exercise("localhost"); }
