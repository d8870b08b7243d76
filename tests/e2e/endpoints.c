/* Several endpoints on one port with different security, as a WCF
 * ServiceHost with several endpoints: /calc requires Transport security
 * (Kerberos against the throwaway realm of endpoints.sh), /calc/mex has none.
 * Each endpoint serves its own operations and sees the caller it should;
 * a client with the wrong security is refused at one and served at the
 * other. Prints "N passed, N failed". */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <nettcp/client.h>
#include <nettcp/service.h>
#include "e2e.h"

static ntcp_status who(void *ctx, ntcp_call *call)
{
    const ntcp_caller *c = ntcp_call_caller(call);
    char body[512];
    int n = snprintf(body, sizeof body, "<Who xmlns=\"urn:t\">%s %s %s</Who>", (const char *)ctx,
                     *c->principal ? c->principal : "-", c->protection);
    return ntcp_call_reply_text(call, body, (size_t)n);
}

static void *run(void *arg)
{
    if (ntcp_service_run(arg))
        fprintf(stderr, "run failed\n");
    return NULL;
}

/* One call; *body gets the reply body (or the error), cause the failure's cause id. */
static char cause[64];
static ntcp_status call(const char *url, bool secured, const char *action, char *body, size_t cap)
{
    cause[0] = 0;
    ntcp_client_options o;
    ntcp_client_options_init(&o);
    if (secured) {
        o.nns.identity = "spn:host/svc.nettcp.test";
        o.nns.user = env("NTCP_REALM_USER");
        o.nns.password = env("NTCP_REALM_PASSWORD");
    } else {
        o.security = NTCP_SECURITY_NONE;
    }
    ntcp_client *c;
    ntcp_error err;
    ntcp_status st = ntcp_client_open(&c, url, &o, &err);
    if (st) {
        ntcp_error_format(&err, body, cap); /* the text, its cause and the advice */
        snprintf(cause, sizeof cause, "%s", ntcp_error_id(&err));
        return st;
    }
    ntcp_soap_msg r;
    st = ntcp_client_call(c, action, NULL, 0, NULL, 0, &r);
    if (st) {
        ntcp_error_format(ntcp_client_error(c), body, cap);
        snprintf(cause, sizeof cause, "%s", ntcp_error_id(ntcp_client_error(c)));
    } else
        snprintf(body, cap, "%.*s", (int)r.body.len, r.body.data ? (const char *)r.body.data : "");
    ntcp_soap_msg_clear(&r);
    ntcp_status cs = ntcp_client_close(c);
    return st ? st : cs;
}

int main(void)
{
    ntcp_service_options o;
    ntcp_service_options_init(&o);
    o.nns.keytab = env("NTCP_REALM_SERVICE_KEYTAB");
    ntcp_service *svc;
    if (ntcp_service_new(&svc, &o)) {
        fprintf(stderr, "service_new\n");
        return 1;
    }
    ntcp_endpoint_options eo;
    ntcp_endpoint_options_init(&eo, svc); /* Transport, the keytab */
    ntcp_endpoint *calc = NULL, *mex = NULL;
    int port = 0, port2 = 0;
    EXPECT(ntcp_service_add_endpoint(svc, "net.tcp://127.0.0.1:0/calc", &eo, &calc, &port) == NTCP_OK, "calc");
    char url_calc[128], url_mex[128];
    snprintf(url_calc, sizeof url_calc, "net.tcp://127.0.0.1:%d/calc", port);
    snprintf(url_mex, sizeof url_mex, "net.tcp://127.0.0.1:%d/calc/mex", port);
    eo.security = NTCP_SECURITY_NONE;
    EXPECT(ntcp_service_add_endpoint(svc, url_mex, &eo, &mex, &port2) == NTCP_OK, "mex");
    EXPECT(port2 == port, "one port: %d and %d", port, port2);
    EXPECT(ntcp_endpoint_add_operation(calc, "urn:t/Who", NULL, who, "calc") == NTCP_OK, "op calc");
    EXPECT(ntcp_endpoint_add_operation(mex, "urn:t/Who", NULL, who, "mex") == NTCP_OK, "op mex");
    EXPECT(ntcp_endpoint_add_operation(mex, "urn:t/OnlyMex", NULL, who, "mex") == NTCP_OK, "op mex 2");
    pthread_t t;
    pthread_create(&t, NULL, run, svc);

    char body[2048], want[512];
    ntcp_status st = call(url_calc, true, "urn:t/Who", body, sizeof body);
    snprintf(want, sizeof want, "<Who xmlns=\"urn:t\">calc %s%s EncryptAndSign</Who>", env("NTCP_REALM_USER"),
             strchr(env("NTCP_REALM_USER"), '@') ? "" : "@NETTCP.TEST");
    EXPECT(st == NTCP_OK && !strcmp(body, want), "Kerberos at /calc: %s: %s (want %s)", ntcp_status_name(st), body,
           want);
    st = call(url_mex, false, "urn:t/Who", body, sizeof body);
    EXPECT(st == NTCP_OK && !strcmp(body, "<Who xmlns=\"urn:t\">mex - None</Who>"), "None at /calc/mex: %s: %s",
           ntcp_status_name(st), body);
    /* the wrong security at each: refused, and the cause says so */
    st = call(url_calc, false, "urn:t/Who", body, sizeof body);
    EXPECT(st != NTCP_OK && !strcmp(cause, "security_mode_mismatch"), "None at /calc: %s: %s", ntcp_status_name(st),
           body);
    st = call(url_mex, true, "urn:t/Who", body, sizeof body);
    EXPECT(st == NTCP_E_UPGRADE_INVALID && !strcmp(cause, "security_mode_mismatch"), "Kerberos at /calc/mex: %s: %s", ntcp_status_name(st),
           body);
    /* each endpoint has its own operations */
    st = call(url_calc, true, "urn:t/OnlyMex", body, sizeof body);
    EXPECT(st == NTCP_E_FAULT && !strcmp(cause, "action_not_supported"), "OnlyMex at /calc: %s: %s", ntcp_status_name(st),
           body);
    st = call(url_mex, false, "urn:t/OnlyMex", body, sizeof body);
    EXPECT(st == NTCP_OK, "OnlyMex at /calc/mex: %s: %s", ntcp_status_name(st), body);
    /* and the first still works after all that */
    st = call(url_calc, true, "urn:t/Who", body, sizeof body);
    EXPECT(st == NTCP_OK, "Kerberos at /calc again: %s: %s", ntcp_status_name(st), body);

    ntcp_service_stop(svc);
    pthread_join(t, NULL);
    ntcp_service_free(svc);
    return e2e_finish();
}
