/* One side of a secured connection per process, so that strace and
 * callgrind can count each side's system calls and instructions per
 * connection (scripts/conn-cost runs it; P3 in bench_secure times the same
 * connection). Needs a realm and a ticket, as bench_secure does.
 *   conn_cost server PORTFILE      the echo service P3 connects to (framing,
 *                                  channel, NegotiateStream); writes its
 *                                  port to PORTFILE, stops at EOF on stdin
 *   conn_cost client PORT N        N times: open (Kerberos EncryptAndSign),
 *                                  one 4-byte call, close
 *   conn_cost service PORTFILE     the service host with an Echo operation
 *   conn_cost soapclient PORT N    N times: ntcp_client_open, one SOAP
 *                                  call, ntcp_client_close
 *   conn_cost nns N                N NegotiateStream handshakes in process
 *                                  (P3's floor: both sides in one thread) */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <nettcp/channel.h>
#include <nettcp/client.h>
#include <nettcp/negotiate.h>
#include <nettcp/server.h>
#include <nettcp/service.h>
#include <nettcp/xml.h>
#include "../tests/e2e/e2e.h"
#include "echo_server.h"

#define ECHO_ACTION "http://tempuri.org/IBench/Echo"
#define IDENTITY "spn:host/svc.nettcp.test"

static ntcp_nns_options service_opts;

static ntcp_stream *up_new(void *ctx, ntcp_server_session *ss)
{
    (void)ctx;
    (void)ss;
    ntcp_stream *up = NULL;
    return ntcp_nns_stream_new(&up, false, &service_opts) == NTCP_OK ? up : NULL;
}

static void write_port(const char *path, int port)
{
    FILE *f = fopen(path, "w");
    if (!f || fprintf(f, "%d\n", port) < 0 || fclose(f)) {
        fprintf(stderr, "conn_cost: cannot write %s\n", path);
        exit(1);
    }
}

/* stdin's EOF stops what runs */
static void wait_stdin(void)
{
    char b[64];
    while (read(0, b, sizeof b) > 0) {
    }
}
static void *stop_server(void *s)
{
    wait_stdin();
    ntcp_server_stop(s);
    return NULL;
}
static void *stop_service(void *s)
{
    wait_stdin();
    ntcp_service_stop(s);
    return NULL;
}

static int run_server(const char *portfile)
{
    int port;
    service_opts.keytab = env("NTCP_REALM_SERVICE_KEYTAB");
    ntcp_server *s = bench_echo_start(NTCP_UPGRADE_NEGOTIATE, up_new, 100000, &port);
    write_port(portfile, port);
    pthread_t t;
    pthread_create(&t, NULL, stop_server, s);
    ntcp_status st = ntcp_server_run(s);
    pthread_join(t, NULL);
    ntcp_server_free(s);
    return st ? 1 : 0;
}

static int run_client(int port, int n)
{
    char url[96];
    snprintf(url, sizeof url, "net.tcp://127.0.0.1:%d/bench", port);
    for (int i = 0; i < n; i++) {
        ntcp_nns_options co;
        ntcp_nns_options_init(&co);
        co.identity = IDENTITY;
        ntcp_stream *up;
        if (ntcp_nns_stream_new(&up, true, &co))
            return 1;
        ntcp_channel_options o;
        ntcp_channel_options_init(&o);
        o.upgrade = up;
        ntcp_channel *ch;
        ntcp_error err;
        if (ntcp_channel_open(&ch, url, &o, &err)) {
            fprintf(stderr, "conn_cost: open: %s\n", err.text);
            return 1;
        }
        const uint8_t *rep;
        size_t rl;
        ntcp_status st = ntcp_channel_request(ch, (const uint8_t *)"ping", 4, &rep, &rl);
        if (st || rl != 4 || ntcp_channel_close(ch)) {
            fprintf(stderr, "conn_cost: the call or the close failed\n");
            return 1;
        }
        ntcp_stream_free(up);
    }
    return 0;
}

static int run_service(const char *portfile)
{
    ntcp_service_options o;
    ntcp_service_options_init(&o);
    o.nns.keytab = env("NTCP_REALM_SERVICE_KEYTAB");
    ntcp_service *s;
    int port;
    if (ntcp_service_new(&s, &o) || ntcp_service_add_operation(s, ECHO_ACTION, NULL, bench_soap_echo, NULL) ||
        ntcp_service_listen(s, "net.tcp://127.0.0.1:0/bench", &port)) {
        fprintf(stderr, "conn_cost: cannot start the service\n");
        return 1;
    }
    write_port(portfile, port);
    pthread_t t;
    pthread_create(&t, NULL, stop_service, s);
    ntcp_status st = ntcp_service_run(s);
    pthread_join(t, NULL);
    ntcp_service_free(s);
    return st ? 1 : 0;
}

static int run_soapclient(int port, int n)
{
    char url[96], body[400];
    snprintf(url, sizeof url, "net.tcp://127.0.0.1:%d/bench", port);
    int bl = snprintf(body, sizeof body, "<Echo xmlns=\"http://tempuri.org/\"><text>%0256d</text></Echo>", 0);
    for (int i = 0; i < n; i++) {
        ntcp_client_options so;
        ntcp_client_options_init(&so);
        so.nns.identity = IDENTITY;
        ntcp_client *cl;
        ntcp_error err;
        if (ntcp_client_open(&cl, url, &so, &err)) {
            fprintf(stderr, "conn_cost: open: %s\n", err.text);
            return 1;
        }
        ntcp_soap_msg reply;
        ntcp_status st = ntcp_client_call(cl, ECHO_ACTION, NULL, 0, body, (size_t)bl, &reply);
        if (!st)
            ntcp_soap_msg_clear(&reply);
        if (st || ntcp_client_close(cl)) {
            fprintf(stderr, "conn_cost: the call or the close failed\n");
            return 1;
        }
    }
    return 0;
}

/* bench_secure's pair_open: the handshake both ways in memory */
static int run_nns(int n)
{
    service_opts.keytab = env("NTCP_REALM_SERVICE_KEYTAB");
    for (int i = 0; i < n; i++) {
        ntcp_nns_options co;
        ntcp_nns_options_init(&co);
        co.identity = IDENTITY;
        ntcp_nns *c, *s;
        if (ntcp_nns_new_initiator(&c, &co, ntcp_gss_provider()) ||
            ntcp_nns_new_acceptor(&s, &service_opts, ntcp_gss_provider()))
            return 1;
        ntcp_buf a, b, plain;
        ntcp_buf_init(&a, 1 << 20);
        ntcp_buf_init(&b, 1 << 20);
        ntcp_buf_init(&plain, 1 << 20);
        bool ok = ntcp_nns_start(c, &a) == NTCP_OK;
        for (int leg = 0; ok && leg < 8 && !(ntcp_nns_established(c) && ntcp_nns_established(s)); leg++) {
            size_t used;
            ntcp_status st = ntcp_nns_recv(s, a.data, a.len, &used, &plain, &b);
            ntcp_buf_reset(&a);
            ok = st == NTCP_OK || st == NTCP_AGAIN;
            st = ntcp_nns_recv(c, b.data, b.len, &used, &plain, &a);
            ntcp_buf_reset(&b);
            ok = ok && (st == NTCP_OK || st == NTCP_AGAIN);
        }
        ok = ok && ntcp_nns_established(c) && ntcp_nns_established(s);
        ntcp_buf_free(&a);
        ntcp_buf_free(&b);
        ntcp_buf_free(&plain);
        ntcp_nns_free(c);
        ntcp_nns_free(s);
        if (!ok) {
            fprintf(stderr, "conn_cost: the in-process handshake failed\n");
            return 1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    ntcp_nns_options_init(&service_opts);
    const char *m = argc > 1 ? argv[1] : "";
    if (!strcmp(m, "server") && argc == 3)
        return run_server(argv[2]);
    if (!strcmp(m, "service") && argc == 3)
        return run_service(argv[2]);
    if (!strcmp(m, "client") && argc == 4)
        return run_client(atoi(argv[2]), atoi(argv[3]));
    if (!strcmp(m, "soapclient") && argc == 4)
        return run_soapclient(atoi(argv[2]), atoi(argv[3]));
    if (!strcmp(m, "nns") && argc == 3)
        return run_nns(atoi(argv[2]));
    fprintf(stderr, "usage: conn_cost server|service PORTFILE | client|soapclient PORT N | nns N\n");
    return 2;
}
