/* P7: a slow reader of a large reply costs the others nothing. While one
 * client reads a 64 MiB reply at 1 MiB/s, 16 other clients make 256-byte
 * request/reply calls; their p99 latency is printed beside their p99 on the
 * idle service in the same run, with the growth of the service's resident
 * memory for the slow reader (targets: within 2x, under 8 MiB). Kerberos
 * EncryptAndSign (NegotiateStream) on every session, over the realm
 * scripts/bench starts (a ticket in the default ccache).
 * The service runs in a child process (its RSS is its own); the slow reader
 * goes through a relay in this process that passes the service's bytes on
 * at 1 MiB/s, so the service's socket fills as with a slow peer. The window
 * measured is the first W seconds of the slow read (default 15 s, argv[1];
 * 70 covers the whole reply); then the relay lets the rest through and the
 * reply is checked whole.
 * usage: bench_p7 [window seconds] [idle seconds] */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <nettcp/channel.h>
#include <nettcp/negotiate.h>
#include <nettcp/server.h>
#include "channel/conn.h"
#include "util/outq.h"
#include "../tests/e2e/e2e.h"

#define BIG ((size_t)64 << 20)
#define CLIENTS 16
#define MSG 256
#define RATE 1048576.0 /* the slow reader's bytes per second */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint8_t big_byte(size_t i) { return (uint8_t)(i ^ (i >> 11)); }

/* ---- the service (child process) ---- */
static ntcp_nns_options service_opts;
static uint8_t *big_reply;

static ntcp_stream *up_new(void *ctx, ntcp_server_session *ss)
{
    (void)ctx;
    (void)ss;
    ntcp_stream *up = NULL;
    return ntcp_nns_stream_new(&up, false, &service_opts) == NTCP_OK ? up : NULL;
}

static void big_done(void *ctx, const uint8_t *p, ntcp_status st)
{
    (void)ctx;
    (void)st;
    (void)p; /* the reply stays for the next request */
}

static void on_message(void *ctx, ntcp_server_session *ss, const uint8_t *p, size_t n)
{
    (void)ctx;
    ntcp_status st;
    if (n == 3 && !memcmp(p, "BIG", 3))
        st = ntcp_server_session_send_ref(ss, big_reply, BIG, big_done, NULL);
    else
        st = ntcp_server_session_send(ss, p, n);
    if (st)
        fprintf(stderr, "P7 service: send failed: %s\n", ntcp_status_name(st));
}

static ntcp_server *the_server;
static void on_term(int sig)
{
    (void)sig;
    ntcp_server_stop(the_server);
}

static int service_main(int ready_fd, int stats_fd)
{
    big_reply = malloc(BIG);
    for (size_t i = 0; i < BIG; i++) /* resident before the baseline */
        big_reply[i] = big_byte(i);
    ntcp_nns_options_init(&service_opts);
    service_opts.keytab = env("NTCP_REALM_SERVICE_KEYTAB");
    ntcp_server_config cfg;
    ntcp_server_config_init(&cfg);
    cfg.framing.upgrade_name = NTCP_UPGRADE_NEGOTIATE;
    cfg.framing.require_upgrade = true;
    cfg.stream_new = up_new;
    cfg.on_message = on_message;
    int port = 0;
    if (ntcp_server_new(&the_server, &cfg) || ntcp_server_listen(the_server, "127.0.0.1", "0", &port)) {
        fprintf(stderr, "P7: cannot start the service\n");
        return 1;
    }
    signal(SIGTERM, on_term);
    if (write(ready_fd, &port, sizeof port) != (ssize_t)sizeof port)
        return 1;
    close(ready_fd);
    ntcp_status st = ntcp_server_run(the_server);
    ntcp_server_free(the_server);
    /* bytes the output path copied to give one contiguous view (a join) */
    uint64_t copied = ntcp_outq_joined_total();
    if (write(stats_fd, &copied, sizeof copied) != (ssize_t)sizeof copied)
        return 1;
    free(big_reply);
    return st ? 1 : 0;
}

static long rss_kib(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long v = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6))
            v = atol(line + 6);
    if (f)
        fclose(f);
    return v;
}

/* ---- clients ---- */
static ntcp_channel *open_channel(int port, ntcp_stream **up_out)
{
    ntcp_nns_options co;
    ntcp_nns_options_init(&co);
    co.identity = "spn:host/svc.nettcp.test";
    ntcp_stream *up;
    if (ntcp_nns_stream_new(&up, true, &co))
        return NULL;
    ntcp_channel_options o;
    ntcp_channel_options_init(&o);
    o.upgrade = up;
    o.limits.max_message = 128u << 20;
    o.receive_timeout_ms = 600000;
    char url[96];
    snprintf(url, sizeof url, "net.tcp://127.0.0.1:%d/p7", port);
    ntcp_channel *ch;
    ntcp_error err;
    if (ntcp_channel_open(&ch, url, &o, &err)) {
        fprintf(stderr, "P7: open: %s\n", err.text);
        ntcp_stream_free(up);
        return NULL;
    }
    *up_out = up;
    return ch;
}

static _Atomic int phase; /* 0 warm-up, 1 idle, 2 loaded, 3 stop */
struct lat {
    double *v;
    size_t n, cap;
};
struct worker {
    int port;
    pthread_t t;
    struct lat idle, loaded;
    bool failed;
};

static void lat_add(struct lat *l, double x)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 4096;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = x;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    ntcp_stream *up;
    ntcp_channel *ch = open_channel(w->port, &up);
    if (!ch) {
        w->failed = true;
        return NULL;
    }
    uint8_t msg[MSG];
    memset(msg, 'q', sizeof msg);
    int ph;
    while ((ph = atomic_load(&phase)) < 3) {
        const uint8_t *r;
        size_t rl;
        double t0 = now();
        if (ntcp_channel_request(ch, msg, sizeof msg, &r, &rl) || rl != sizeof msg) {
            w->failed = true;
            break;
        }
        double dt = now() - t0;
        if (ph == 1 && atomic_load(&phase) == 1)
            lat_add(&w->idle, dt);
        else if (ph == 2 && atomic_load(&phase) == 2)
            lat_add(&w->loaded, dt);
    }
    (void)ntcp_channel_close(ch);
    ntcp_stream_free(up);
    return NULL;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double quantile(struct worker *w, int n, bool loaded, double q, size_t *count)
{
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += loaded ? w[i].loaded.n : w[i].idle.n;
    double *all = malloc((total ? total : 1) * sizeof *all);
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        struct lat *l = loaded ? &w[i].loaded : &w[i].idle;
        memcpy(all + k, l->v, l->n * sizeof *all);
        k += l->n;
    }
    qsort(all, total, sizeof *all, cmp_d);
    double v = total ? all[(size_t)((double)(total - 1) * q)] : 0;
    free(all);
    *count = total;
    return v;
}

/* ---- the relay: the service's bytes reach the slow reader at RATE ---- */
static _Atomic int relay_unthrottled;
static _Atomic size_t relayed; /* service -> reader bytes passed on */
struct relay {
    int lfd, port, svc_port;
    int cfd, sfd;
};

static void *relay_up(void *arg) /* reader -> service, as fast as it comes */
{
    struct relay *r = arg;
    uint8_t buf[65536];
    for (;;) {
        ssize_t k = recv(r->cfd, buf, sizeof buf, 0);
        if (k <= 0 || ntcp_tcp_write_all(r->sfd, buf, (size_t)k, 60000))
            break;
    }
    shutdown(r->sfd, SHUT_WR);
    return NULL;
}

static void *relay_main(void *arg)
{
    struct relay *r = arg;
    struct pollfd p = { .fd = r->lfd, .events = POLLIN };
    if (poll(&p, 1, 30000) != 1)
        return NULL;
    r->cfd = accept(r->lfd, NULL, NULL);
    char ps[16];
    snprintf(ps, sizeof ps, "%d", r->svc_port);
    r->sfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int small = 65536; /* the relay holds little: the service's socket fills */
    setsockopt(r->sfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)r->svc_port) };
    a.sin_addr.s_addr = htonl(0x7f000001);
    if (r->cfd < 0 || connect(r->sfd, (struct sockaddr *)&a, sizeof a) < 0)
        return NULL;
    int one = 1;
    setsockopt(r->sfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(r->cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    pthread_t up;
    pthread_create(&up, NULL, relay_up, r);
    static uint8_t buf[16384];
    double start = now();
    size_t sent_since = 0;
    for (;;) {
        ssize_t k = recv(r->sfd, buf, sizeof buf, 0);
        if (k <= 0)
            break;
        if (ntcp_tcp_write_all(r->cfd, buf, (size_t)k, 60000))
            break;
        atomic_fetch_add(&relayed, (size_t)k);
        sent_since += (size_t)k;
        if (!atomic_load(&relay_unthrottled)) { /* hold to RATE */
            double due = start + (double)sent_since / RATE - now();
            if (due < -0.05) { /* idle a while: no credit saved up for a burst */
                start = now();
                sent_since = (size_t)k;
                due = (double)k / RATE;
            }
            if (due > 0) {
                struct timespec ts = { (time_t)due, (long)((due - (double)(time_t)due) * 1e9) };
                nanosleep(&ts, NULL);
            }
        } else {
            start = now();
            sent_since = 0;
        }
    }
    shutdown(r->cfd, SHUT_WR);
    pthread_join(up, NULL);
    close(r->cfd);
    close(r->sfd);
    return NULL;
}

struct slow {
    int port;
    ntcp_channel *ch;
    ntcp_stream *up;
    _Atomic int state; /* 0 opened, 1 asked, 2 reply whole, -1 failed */
};

static void *slow_main(void *arg)
{
    struct slow *s = arg;
    const uint8_t *r;
    size_t rl;
    if (ntcp_channel_request(s->ch, (const uint8_t *)"BIG", 3, &r, &rl) || rl != BIG) {
        atomic_store(&s->state, -1);
        return NULL;
    }
    for (size_t i = 0; i < BIG; i += 4093)
        if (r[i] != big_byte(i)) {
            atomic_store(&s->state, -1);
            return NULL;
        }
    atomic_store(&s->state, 2);
    return NULL;
}

static void sleep_s(double s)
{
    struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
    nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
    double window = argc > 1 ? atof(argv[1]) : 15.0;
    double idle_s = argc > 2 ? atof(argv[2]) : 5.0;
    signal(SIGPIPE, SIG_IGN);
    int pfd[2], sfd[2];
    if (pipe(pfd) || pipe(sfd))
        return 1;
    pid_t child = fork();
    if (child == 0) {
        close(pfd[0]);
        close(sfd[0]);
        _exit(service_main(pfd[1], sfd[1]));
    }
    close(pfd[1]);
    close(sfd[1]);
    int port = 0;
    if (read(pfd[0], &port, sizeof port) != (ssize_t)sizeof port) {
        fprintf(stderr, "P7: the service did not start\n");
        return 1;
    }
    close(pfd[0]);

    struct worker w[CLIENTS];
    memset(w, 0, sizeof w);
    for (int i = 0; i < CLIENTS; i++) {
        w[i].port = port;
        pthread_create(&w[i].t, NULL, worker_main, &w[i]);
    }
    /* the slow reader's session, through the relay, opened before the baseline */
    struct relay rl = { 0 };
    rl.svc_port = port;
    if (ntcp_tcp_listen("127.0.0.1", "0", 4, &rl.lfd, &rl.port))
        return 1;
    pthread_t rt;
    pthread_create(&rt, NULL, relay_main, &rl);
    struct slow slow = { .port = rl.port };
    slow.ch = open_channel(rl.port, &slow.up);
    if (!slow.ch) {
        fprintf(stderr, "P7: the slow reader could not open its channel\n");
        return 1;
    }
    sleep_s(1.0); /* warm-up: every session open and calling */
    atomic_store(&phase, 1);
    double t_idle = now();
    long rss_min = rss_kib(child), rss_base = rss_min;
    while (now() - t_idle < idle_s) {
        sleep_s(0.1);
        long v = rss_kib(child);
        if (v > rss_base)
            rss_base = v; /* the idle service's own high-water */
    }
    atomic_store(&phase, 0);
    size_t relayed0 = atomic_load(&relayed);
    /* measured from the request on: protecting the reply is part of the load */
    atomic_store(&phase, 2);
    pthread_t st;
    atomic_store(&slow.state, 1);
    pthread_create(&st, NULL, slow_main, &slow);
    double t_load = now();
    long rss_peak = rss_base;
    while (now() - t_load < window && atomic_load(&slow.state) == 1) {
        sleep_s(0.1);
        long v = rss_kib(child);
        if (v > rss_peak)
            rss_peak = v;
    }
    double loaded_s = now() - t_load;
    size_t read_in_window = atomic_load(&relayed) - relayed0;
    atomic_store(&phase, 3);
    for (int i = 0; i < CLIENTS; i++)
        pthread_join(w[i].t, NULL);
    atomic_store(&relay_unthrottled, 1); /* the rest of the reply at full speed */
    pthread_join(st, NULL);
    int slow_ok = atomic_load(&slow.state) == 2;
    (void)ntcp_channel_close(slow.ch);
    ntcp_stream_free(slow.up);
    pthread_join(rt, NULL);
    close(rl.lfd);
    kill(child, SIGTERM);
    uint64_t copied = UINT64_MAX;
    if (read(sfd[0], &copied, sizeof copied) != (ssize_t)sizeof copied)
        copied = UINT64_MAX;
    waitpid(child, NULL, 0);

    bool bad = !slow_ok;
    for (int i = 0; i < CLIENTS; i++)
        bad = bad || w[i].failed;
    size_t n_idle, n_loaded;
    double p_idle = quantile(w, CLIENTS, false, 0.99, &n_idle), p_loaded = quantile(w, CLIENTS, true, 0.99, &n_loaded);
    double m_idle = quantile(w, CLIENTS, false, 1.0, &n_idle), m_loaded = quantile(w, CLIENTS, true, 1.0, &n_loaded);
    double growth_mib = (double)(rss_peak - rss_base) / 1024.0;
    printf("P7 %d clients' p99 while one reads a 64 MiB reply at 1 MiB/s (%.1f MiB read in %.1f s), Kerberos "
           "EncryptAndSign: %.3f ms, idle %.3f ms (%zu calls, idle %zu; the slowest %.1f ms, idle %.1f ms): ratio %.2f "
           "(target <= 2); service RSS growth "
           "%.1f MiB (idle %ld KiB, peak %ld KiB; target < 8 MiB): ratio %.2f of the target; output bytes copied "
           "by the service to join chunks: %llu%s\n",
           CLIENTS, (double)read_in_window / 1048576.0, loaded_s, p_loaded * 1e3, p_idle * 1e3, n_loaded, n_idle,
           m_loaded * 1e3, m_idle * 1e3,
           p_idle > 0 ? p_loaded / p_idle : 0, growth_mib, rss_base, rss_peak, growth_mib / 8.0,
           (unsigned long long)copied,
           bad ? " (FAILED: a call or the large reply went wrong)" : "");
    for (int i = 0; i < CLIENTS; i++) {
        free(w[i].idle.v);
        free(w[i].loaded.v);
    }
    (void)rss_min;
    return bad ? 1 : 0;
}
