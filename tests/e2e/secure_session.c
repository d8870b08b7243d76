/* A secured net.tcp session end to end: our client channel and our service
 * host, NegotiateStream plugged into the framing upgrade hook, against the
 * throwaway MIT realm started by secure_session.sh. Every package x protection
 * level: the preamble in clear, the handshake, PreambleEnd/Ack and the
 * messages inside NNS frames, End/End; the service sees the caller.
 * Prints "N passed, N failed". */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nettcp/channel.h>
#include <nettcp/negotiate.h>
#include "e2e.h"
#include <nettcp/server.h>

#define MARKER "NETTCP-PLAINTEXT-MARKER-7f3a9c"


struct service {
    ntcp_server *srv;
    pthread_t thr;
    int port;
    ntcp_nns_options opts;
    char last_client[256];
    char last_package[32];
    int messages;
};

static ntcp_stream *up_new(void *ctx, ntcp_server_session *ss)
{
    (void)ss;
    ntcp_stream *up = NULL;
    return ntcp_nns_stream_new(&up, false, &((struct service *)ctx)->opts) == NTCP_OK ? up : NULL;
}

static void on_message(void *ctx, ntcp_server_session *ss, const uint8_t *p, size_t n)
{
    struct service *svc = ctx;
    svc->messages++;
    ntcp_stream_security sec;
    if (ntcp_stream_query(ntcp_server_session_stream(ss), NTCP_STREAM_QUERY_SECURITY, &sec) == NTCP_OK) {
        snprintf(svc->last_client, sizeof svc->last_client, "%s", sec.peer_name);
        snprintf(svc->last_package, sizeof svc->last_package, "%s", sec.package);
    }
    /* reply: the message reversed, so a reply cannot be the request echoed by mistake */
    uint8_t *rev = malloc(n);
    for (size_t i = 0; i < n; i++)
        rev[i] = p[n - 1 - i];
    if (ntcp_server_session_send(ss, rev, n))
        fprintf(stderr, "service: send failed\n");
    free(rev);
}

static void on_error(void *ctx, ntcp_server_session *ss, const ntcp_error *e)
{
    (void)ctx;
    (void)ss;
    fprintf(stderr, "service: %s: %s; cause: %s\n", ntcp_status_name(e->status), e->text, ntcp_error_id(e));
}

static void *run(void *arg)
{
    struct service *svc = arg;
    if (ntcp_server_run(svc->srv))
        fprintf(stderr, "service: run failed\n");
    return NULL;
}

static void service_start(struct service *svc, ntcp_protection prot)
{
    memset(svc, 0, sizeof *svc);
    ntcp_nns_options_init(&svc->opts);
    svc->opts.keytab = env("NTCP_REALM_SERVICE_KEYTAB");
    svc->opts.protection = prot;
    ntcp_server_config cfg;
    ntcp_server_config_init(&cfg);
    cfg.framing.upgrade_name = NTCP_UPGRADE_NEGOTIATE;
    cfg.framing.require_upgrade = true;
    cfg.limits.max_message = 4 << 20;
    cfg.stream_new = up_new;
    cfg.on_message = on_message;
    cfg.on_error = on_error;
    cfg.ctx = svc;
    const char *port = getenv("NTCP_SECURE_PORT"); /* a fixed port for captures */
    if (ntcp_server_new(&svc->srv, &cfg) || ntcp_server_listen(svc->srv, "127.0.0.1", port ? port : "0", &svc->port))
        exit(3);
    pthread_create(&svc->thr, NULL, run, svc);
}

static void service_stop(struct service *svc)
{
    ntcp_server_stop(svc->srv);
    pthread_join(svc->thr, NULL);
    ntcp_server_free(svc->srv);
}

static char summary[512];

static void one_case(const char *name, ntcp_package pkg, ntcp_protection prot)
{
    struct service svc;
    service_start(&svc, prot);
    ntcp_nns_options co;
    ntcp_nns_options_init(&co);
    co.package = pkg;
    co.protection = prot;
    co.identity = "spn:host/svc.nettcp.test";
    char client_want[256];
    if (pkg == NTCP_PACKAGE_NTLM) {
        co.require_server_auth = false;
        co.user = env("NTCP_REALM_NTLM_USER");
        co.password = env("NTCP_REALM_NTLM_PASSWORD");
        snprintf(client_want, sizeof client_want, "%s", "carol");
    } else {
        co.user = env("NTCP_REALM_USER");
        co.password = env("NTCP_REALM_PASSWORD");
        snprintf(client_want, sizeof client_want, "%s", env("NTCP_REALM_USER"));
    }
    ntcp_nns *cn;
    EXPECT(ntcp_nns_new_initiator(&cn, &co, ntcp_gss_provider()) == NTCP_OK, "%s: initiator", name);
    ntcp_stream cup;
    ntcp_nns_as_stream(cn, &cup);
    ntcp_channel_options o;
    ntcp_channel_options_init(&o);
    o.upgrade = &cup;
    o.limits.max_message = 4 << 20;
    char url[128];
    snprintf(url, sizeof url, "net.tcp://127.0.0.1:%d/secure", svc.port);
    ntcp_channel *ch = NULL;
    ntcp_error cerr;
    ntcp_status st = ntcp_channel_open(&ch, url, &o, &cerr);
    EXPECT(st == NTCP_OK, "%s: open failed at %s: %s", name, ntcp_channel_step_name(cerr.step), cerr.text);
    if (ch) {
        const ntcp_nns_result *r = ntcp_nns_get_result(cn);
        EXPECT(r && r->protection == prot, "%s: protection %d", name, r ? (int)r->protection : -1);
        /* small messages, then ones that span several NNS frames (> 0xFC00) and several of the
         * parts a large message is sent in (> 1 MiB) */
        static uint8_t big[2500001];
        for (size_t i = 0; i < sizeof big; i++)
            big[i] = (uint8_t)(i * 7 + 3);
        /* a marker a capture can look for: it must never be on the wire at EncryptAndSign */
        memcpy(big, MARKER, strlen(MARKER));
        size_t sizes[] = { 256, 1, 256, 200000, sizeof big };
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            const uint8_t *reply;
            size_t rl;
            st = ntcp_channel_request(ch, big, sizes[k], &reply, &rl);
            bool ok = st == NTCP_OK && rl == sizes[k];
            for (size_t i = 0; ok && i < rl; i++)
                ok = reply[i] == big[sizes[k] - 1 - i];
            EXPECT(ok, "%s: request of %zu bytes: %s %s", name, sizes[k], ntcp_status_name(st),
                   ntcp_error_text(ntcp_channel_error(ch)));
        }
        EXPECT(ntcp_channel_close(ch) == NTCP_OK, "%s: close", name);
    }
    service_stop(&svc);
    EXPECT(svc.messages == 5, "%s: the service saw %d messages", name, svc.messages);
    EXPECT(strstr(svc.last_client, client_want) != NULL, "%s: caller '%s', want '%s'", name, svc.last_client,
           client_want);
    snprintf(summary, sizeof summary, "service saw %d messages from %s, package %s, protection %s", svc.messages,
             svc.last_client, svc.last_package, ntcp_protection_name(prot));
    const char *want_pkg = pkg == NTCP_PACKAGE_NTLM ? "NTLM" : "Kerberos";
    EXPECT(!strcmp(svc.last_package, want_pkg), "%s: package '%s'", name, svc.last_package);
    ntcp_nns_free(cn);
}

/* usage: secure_session [CASE-NAME-SUBSTRING] */
int main(int argc, char **argv)
{
    struct {
        const char *name;
        ntcp_package pkg;
        ntcp_protection prot;
    } cases[] = {
        { "negotiate/encrypt", NTCP_PACKAGE_NEGOTIATE, NTCP_PROTECTION_ENCRYPT_AND_SIGN },
        { "negotiate/sign", NTCP_PACKAGE_NEGOTIATE, NTCP_PROTECTION_SIGN },
        { "kerberos/encrypt", NTCP_PACKAGE_KERBEROS, NTCP_PROTECTION_ENCRYPT_AND_SIGN },
        { "kerberos/sign", NTCP_PACKAGE_KERBEROS, NTCP_PROTECTION_SIGN },
        { "ntlm/encrypt", NTCP_PACKAGE_NTLM, NTCP_PROTECTION_ENCRYPT_AND_SIGN },
        { "ntlm/sign", NTCP_PACKAGE_NTLM, NTCP_PROTECTION_SIGN },
        { "ntlm/none", NTCP_PACKAGE_NTLM, NTCP_PROTECTION_NONE },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (argc > 1 && !strstr(cases[i].name, argv[1]))
            continue;
        int before = failed;
        one_case(cases[i].name, cases[i].pkg, cases[i].prot);
        fprintf(stderr, "%s %-18s %s\n", failed == before ? "ok  " : "FAIL", cases[i].name, summary);
    }
    return e2e_finish();
}
