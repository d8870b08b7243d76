/* The benchmarks' echo service (bench_secure, bench_tls): every message
 * sent back as it came, on the framing and channel layers alone, behind
 * the stream upgrade the benchmark names. Header only: each bench .c file is
 * its own program. */
#ifndef NTCP_BENCH_ECHO_SERVER_H
#define NTCP_BENCH_ECHO_SERVER_H

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <nettcp/server.h>
#include <nettcp/service.h>

/* NTCP_BENCH_CPUS=C,S: which = 0 pins the caller to CPU C (the client side
 * and in-process floors), 1 to CPU S (a service thread); unset: the
 * scheduler places them. */
static inline void bench_pin_self(int which)
{
    const char *e = getenv("NTCP_BENCH_CPUS");
    int cpu[2];
    if (!e || sscanf(e, "%d,%d", &cpu[0], &cpu[1]) != 2)
        return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu[which], &set);
    if (pthread_setaffinity_np(pthread_self(), sizeof set, &set))
        fprintf(stderr, "bench: cannot pin to CPU %d\n", cpu[which]);
}

static inline void bench_echo(void *ctx, ntcp_server_session *ss, const uint8_t *p, size_t n)
{
    (void)ctx;
    if (ntcp_server_session_send(ss, p, n))
        fprintf(stderr, "echo: send failed\n");
}

/* An echo service listening on 127.0.0.1 (its port in *port), messages up
 * to 32 MiB; with upgrade_name (NTCP_UPGRADE_NEGOTIATE, NTCP_UPGRADE_TLS)
 * the upgrade is required and stream_new makes each session's stream. Exits
 * when it cannot start. */
static inline ntcp_server *bench_echo_start(const char *upgrade_name,
                                            ntcp_stream *(*stream_new)(void *ctx, ntcp_server_session *ss),
                                            unsigned max_sessions, int *port)
{
    ntcp_server_config cfg;
    ntcp_server_config_init(&cfg);
    if (upgrade_name) {
        cfg.framing.upgrade_name = upgrade_name;
        cfg.framing.require_upgrade = true;
        cfg.stream_new = stream_new;
    }
    cfg.limits.max_message = 32u << 20;
    if (max_sessions)
        cfg.max_sessions = max_sessions;
    cfg.on_message = bench_echo;
    ntcp_server *s;
    if (ntcp_server_new(&s, &cfg) || ntcp_server_listen(s, "127.0.0.1", "0", port)) {
        fprintf(stderr, "bench: cannot start the echo service\n");
        exit(1);
    }
    return s;
}

/* pthread body: runs the service (pinned as NTCP_BENCH_CPUS says) until stopped */
static inline void *bench_echo_run(void *server)
{
    bench_pin_self(1);
    if (ntcp_server_run(server))
        fprintf(stderr, "bench: the echo service stopped with an error\n");
    return NULL;
}

/* The service host's echo operation: the request's body back, node by node. */
static inline ntcp_status bench_soap_echo(void *ctx, ntcp_call *call)
{
    (void)ctx;
    ntcp_xml_reader *r = ntcp_call_body(call);
    ntcp_xml_writer *w = ntcp_call_reply_writer(call);
    if (!r || !w)
        return NTCP_E_NOMEM;
    for (;;) {
        ntcp_xml_node n;
        ntcp_status st = ntcp_xml_reader_next(r, &n);
        if (st || n.type == NTCP_XML_NODE_EOF)
            return st;
        if ((st = ntcp_xml_writer_copy_node(w, &n)))
            return st;
    }
}

#endif
