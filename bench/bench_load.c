/* Load benchmarks (no thresholds asserted: this prints figures beside their
 * floors, measured in the same run, in alternating slices).
 *   P6     64 concurrent clients, each on its own persistent session,
 *          Kerberos EncryptAndSign, a 256-byte text echoed by the service
 *          host (in its own process, on all cores): calls/s and the p50/p99
 *          latency of a call; beside the floor: a plain epoll TCP echo server
 *          (one epoll thread per CPU, SO_REUSEPORT), 64 connections, 256-byte
 *          messages, no framing, no security. Target: ratio >= 0.5 and the
 *          p99 within 3x the p50.
 *   TRACE  what the service's --trace costs under load: 16 clients as above
 *          against a service without a trace, with a trace written on the
 *          I/O thread with fflush per event (as before the writer thread),
 *          and with the trace's writer thread (now).
 * Needs a realm and a ticket in the default ccache (scripts/bench).
 * usage: bench_load [seconds-per-measure] [parts: P6,TRACE] [clients]
 * NTCP_BENCH_WORKERS=N: the service's workers (default one per CPU; 0 runs
 * the operations on the event loops, one per CPU either way);
 * NTCP_BENCH_INLINE_US=N its inline_us (0: every call to a worker);
 * NTCP_P6_ONLY_OURS=1 skips P6's floor slices (to profile ours alone);
 * NTCP_BENCH_DIAG=1: each service says at exit how many calls ran on
 * their loop (inline), how many were dispatched, and how many times a
 * loop was taken over. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <nettcp/client.h>
#include <nettcp/service.h>
#include <nettcp/trace.h>
#include "channel/conn.h"
#include "echo_server.h"
#include "channel/trace_int.h"
#include "channel/server_int.h"
#include "channel/service_int.h"
#include "../tests/e2e/e2e.h"

#define SLICES 4
#define MSG 256
#define ECHO_ACTION "http://tempuri.org/IBench/Echo"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int ncpu(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

/* ---- the service (a child process: bench_load --serve none|direct|queue) ---- */
static ntcp_service *g_svc;
static void on_term(int sig)
{
    (void)sig;
    ntcp_service_stop(g_svc);
}

static int serve(const char *trace_mode)
{
    ntcp_service_options o;
    ntcp_service_options_init(&o);
    o.nns.keytab = env("NTCP_REALM_SERVICE_KEYTAB");
    /* all cores: an event loop per CPU, operations on a worker per CPU
     * (NTCP_BENCH_WORKERS=0 runs them on the loops) */
    o.server.loops = (unsigned)ncpu();
    o.workers = getenv("NTCP_BENCH_WORKERS") ? (unsigned)atoi(getenv("NTCP_BENCH_WORKERS")) : (unsigned)ncpu();
    if (getenv("NTCP_BENCH_INLINE_US"))
        o.inline_us = (unsigned)atoi(getenv("NTCP_BENCH_INLINE_US"));
    ntcp_trace *t = NULL;
    char path[64] = "";
    if (strcmp(trace_mode, "none")) {
        ntcp__trace_direct = !strcmp(trace_mode, "direct");
        snprintf(path, sizeof path, "/tmp/nettcp-bench-trace-%d", (int)getpid());
        ntcp_trace_config tc;
        ntcp_trace_config_init(&tc);
        tc.role = "service";
        if (ntcp_trace_open_config(&t, path, &tc)) {
            fprintf(stderr, "bench_load: cannot open the trace\n");
            return 1;
        }
        o.trace = t;
    }
    int port = 0;
    if (ntcp_service_new(&g_svc, &o) || ntcp_service_add_operation(g_svc, ECHO_ACTION, NULL, bench_soap_echo, NULL) ||
        ntcp_service_listen(g_svc, "net.tcp://127.0.0.1:0/bench", &port)) {
        fprintf(stderr, "bench_load: cannot start the service\n");
        return 1;
    }
    signal(SIGTERM, on_term);
    printf("%d\n", port);
    fflush(stdout);
    ntcp_status st = ntcp_service_run(g_svc);
    if (getenv("NTCP_BENCH_DIAG"))
        fprintf(stderr, "DIAG takeovers %lu inlined %lu dispatched %lu\n", ntcp__server_takeovers(ntcp__service_server(g_svc)),
                ntcp__service_inlined(g_svc), ntcp__service_dispatched(g_svc));
    ntcp_service_free(g_svc);
    ntcp_trace_close(t);
    if (path[0])
        unlink(path);
    return st ? 1 : 0;
}

/* ---- the floor: a plain epoll TCP echo server, one epoll thread per CPU ---- */
static void *floor_loop(void *arg)
{
    int lfd = (int)(intptr_t)arg;
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = lfd };
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    uint8_t buf[65536];
    for (;;) {
        struct epoll_event evs[64];
        int n = epoll_wait(ep, evs, 64, -1);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == lfd) {
                int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
                if (c < 0)
                    continue;
                int one = 1;
                setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                struct epoll_event ce = { .events = EPOLLIN, .data.fd = c };
                epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
                continue;
            }
            ssize_t k = recv(fd, buf, sizeof buf, 0);
            if (k <= 0) {
                if (k == 0 || (errno != EAGAIN && errno != EINTR)) {
                    epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
                    close(fd);
                }
                continue;
            }
            if (ntcp_tcp_write_all(fd, buf, (size_t)k, 5000)) {
                epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
                close(fd);
            }
        }
    }
    return NULL;
}

static int listen_reuseport(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)*port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 1024))
        return -1;
    socklen_t l = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &l);
    *port = ntohs(a.sin_port);
    return fd;
}

static int floor_serve(void)
{
    int port = 0, n = ncpu();
    pthread_t t;
    for (int i = 0; i < n; i++) {
        int fd = listen_reuseport(&port);
        if (fd < 0)
            return 1;
        pthread_create(&t, NULL, floor_loop, (void *)(intptr_t)fd);
    }
    printf("%d\n", port);
    fflush(stdout);
    for (;;)
        pause();
}

/* a child running this program with args; *port from its first line */
static pid_t spawn(const char *a1, const char *a2, int *port)
{
    int pfd[2];
    if (pipe(pfd))
        exit(1);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pfd[1], 1);
        close(pfd[0]);
        close(pfd[1]);
        execl("/proc/self/exe", "bench_load", a1, a2, (char *)NULL);
        _exit(127);
    }
    close(pfd[1]);
    FILE *f = fdopen(pfd[0], "r");
    if (!f || fscanf(f, "%d", port) != 1) {
        fprintf(stderr, "bench_load: the %s child did not start\n", a1);
        exit(1);
    }
    fclose(f);
    return pid;
}

static void reap(pid_t pid)
{
    kill(pid, SIGTERM);
    int st;
    for (int i = 0; i < 100; i++) { /* the service ends its sessions first */
        if (waitpid(pid, &st, WNOHANG) == pid)
            return;
        usleep(50000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
}

/* ---- the load: N threads, each on its own session or connection ---- */
typedef struct lat {
    double *v;
    size_t n, cap;
} lat;

static void lat_add(lat *l, double ms)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 4096;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = ms;
}

typedef struct drive {
    ntcp_client *c;   /* or */
    int fd;
    atomic_int *stop;
    lat l;
    long calls, fails;
} drive;

static char g_body[512];
static int g_body_len;

static void *drive_client(void *arg)
{
    drive *d = arg;
    while (!atomic_load(d->stop)) {
        ntcp_soap_msg reply;
        double t0 = now();
        ntcp_status st = ntcp_client_call(d->c, ECHO_ACTION, NULL, 0, g_body, (size_t)g_body_len, &reply);
        double t1 = now();
        if (st || reply.body.len < MSG) {
            d->fails++;
            if (d->fails == 1)
                fprintf(stderr, "bench_load: a call failed: %s\n", ntcp_error_text(ntcp_client_error(d->c)));
        } else {
            d->calls++;
            lat_add(&d->l, (t1 - t0) * 1e3);
        }
        ntcp_soap_msg_clear(&reply);
        if (st)
            break;
    }
    return NULL;
}

static void *drive_tcp(void *arg)
{
    drive *d = arg;
    uint8_t buf[MSG];
    memset(buf, 'm', sizeof buf);
    while (!atomic_load(d->stop)) {
        double t0 = now();
        if (ntcp_tcp_write_all(d->fd, buf, MSG, 5000))
            break;
        size_t got = 0;
        while (got < MSG) {
            size_t k = 0;
            if (ntcp_tcp_read(d->fd, buf + got, MSG - got, &k, 5000) || k == 0)
                return NULL;
            got += k;
        }
        d->calls++;
        lat_add(&d->l, (now() - t0) * 1e3);
    }
    return NULL;
}

typedef struct result {
    long calls;
    double secs;
    lat all;
    double cpu_server, cpu_clients; /* CPU seconds the server and this process used in the slices */
} result;

/* CPU seconds a process used so far (utime + stime) */
static double cpu_of(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    unsigned long ut = 0, st = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return 0;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static pid_t g_server; /* the process serving the slice being run */

/* runs every driver for budget seconds; adds to r */
static void run_slice(drive *d, int n, void *(*fn)(void *), double budget, result *r)
{
    atomic_int stop = 0;
    pthread_t *th = calloc((size_t)n, sizeof *th);
    long before = 0;
    for (int i = 0; i < n; i++) {
        d[i].stop = &stop;
        before += d[i].calls;
    }
    double c0 = cpu_of(getpid()), s0 = cpu_of(g_server);
    double t0 = now();
    for (int i = 0; i < n; i++)
        pthread_create(&th[i], NULL, fn, &d[i]);
    while (now() - t0 < budget)
        usleep(10000);
    atomic_store(&stop, 1);
    for (int i = 0; i < n; i++)
        pthread_join(th[i], NULL);
    double t1 = now();
    long after = 0;
    for (int i = 0; i < n; i++)
        after += d[i].calls;
    r->calls += after - before;
    r->secs += t1 - t0;
    r->cpu_clients += cpu_of(getpid()) - c0;
    r->cpu_server += cpu_of(g_server) - s0;
    free(th);
}

static void collect(drive *d, int n, result *r)
{
    for (int i = 0; i < n; i++) {
        for (size_t k = 0; k < d[i].l.n; k++)
            lat_add(&r->all, d[i].l.v[k]);
        free(d[i].l.v);
        d[i].l = (lat){ 0 };
    }
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(result *r, double p)
{
    if (!r->all.n)
        return 0;
    qsort(r->all.v, r->all.n, sizeof *r->all.v, cmp_d);
    size_t k = (size_t)(p / 100.0 * (double)r->all.n + 0.999999);
    return r->all.v[k < 1 ? 0 : k > r->all.n ? r->all.n - 1 : k - 1];
}

static drive *open_clients(int port, int n)
{
    drive *d = calloc((size_t)n, sizeof *d);
    char url[96];
    snprintf(url, sizeof url, "net.tcp://127.0.0.1:%d/bench", port);
    for (int i = 0; i < n; i++) {
        ntcp_client_options o;
        ntcp_client_options_init(&o);
        o.nns.identity = "spn:host/svc.nettcp.test";
        ntcp_error err;
        if (ntcp_client_open(&d[i].c, url, &o, &err)) {
            fprintf(stderr, "bench_load: open: %s\n", ntcp_error_text(&err));
            exit(1);
        }
    }
    return d;
}

static void close_clients(drive *d, int n)
{
    for (int i = 0; i < n; i++)
        if (ntcp_client_close(d[i].c))
            fprintf(stderr, "bench_load: close failed\n");
    free(d);
}

static drive *open_tcp(int port, int n)
{
    drive *d = calloc((size_t)n, sizeof *d);
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    for (int i = 0; i < n; i++)
        if (ntcp_tcp_connect("127.0.0.1", ps, 5000, &d[i].fd)) {
            fprintf(stderr, "bench_load: floor connect failed\n");
            exit(1);
        }
    return d;
}

static void p6(double budget, int clients)
{
    int sport, fport;
    pid_t svc = spawn("--serve", "none", &sport), flo = spawn("--floor", "-", &fport);
    drive *dc = open_clients(sport, clients), *dt = open_tcp(fport, clients);
    result rc = { 0 }, rt = { 0 };
    for (int k = 0; k < SLICES; k++) {
        g_server = flo;
        if (!getenv("NTCP_P6_ONLY_OURS"))
            run_slice(dt, clients, drive_tcp, budget / SLICES, &rt);
        g_server = svc;
        run_slice(dc, clients, drive_client, budget / SLICES, &rc);
    }
    long fails = 0;
    for (int i = 0; i < clients; i++)
        fails += dc[i].fails;
    collect(dc, clients, &rc);
    collect(dt, clients, &rt);
    double rate = rc.calls / rc.secs, frate = rt.calls / rt.secs;
    double p50 = pct(&rc, 50), p99 = pct(&rc, 99), f50 = pct(&rt, 50), f99 = pct(&rt, 99);
    const char *wenv = getenv("NTCP_BENCH_WORKERS");
    int workers = wenv ? atoi(wenv) : ncpu();
    const char *ienv = getenv("NTCP_BENCH_INLINE_US");
    int inline_us = ienv ? atoi(ienv) : 1000;
    printf("P6 %d clients on persistent sessions, Kerberos EncryptAndSign, 256-byte echo, service on %d CPUs "
           "(%d event loops, %d workers, inline_us %d): "
           "%.0f calls/s, p50 %.2f ms, p99 %.2f ms (p99/p50 %.1f)%s; epoll TCP echo floor: %.0f/s, p50 %.2f ms, "
           "p99 %.2f ms; ratio %.2f (target >= 0.5, p99 <= 3x p50)\n",
           clients, ncpu(), ncpu(), workers, inline_us, rate, p50, p99, p50 > 0 ? p99 / p50 : 0, fails ? " [calls failed]" : "", frate, f50, f99,
           frate > 0 ? rate / frate : 0);
    printf("  CPU per call in P6: service %.1f us, its clients %.1f us; floor server %.1f us, its clients %.1f us "
           "(the clients share the machine's %d CPUs with the server)\n",
           rc.calls ? rc.cpu_server / rc.calls * 1e6 : 0, rc.calls ? rc.cpu_clients / rc.calls * 1e6 : 0,
           rt.calls ? rt.cpu_server / rt.calls * 1e6 : 0, rt.calls ? rt.cpu_clients / rt.calls * 1e6 : 0, ncpu());
    for (int i = 0; i < clients; i++)
        close(dt[i].fd);
    free(dt);
    close_clients(dc, clients);
    reap(svc);
    reap(flo);
    free(rc.all.v);
    free(rt.all.v);
}

static void trace_cost(double budget, int clients)
{
    static const char *modes[3] = { "none", "direct", "queue" };
    int port[3];
    pid_t pid[3];
    drive *d[3];
    result r[3];
    memset(r, 0, sizeof r);
    for (int m = 0; m < 3; m++) {
        pid[m] = spawn("--serve", modes[m], &port[m]);
        d[m] = open_clients(port[m], clients);
    }
    for (int k = 0; k < SLICES; k++)
        for (int m = 0; m < 3; m++) {
            g_server = pid[m];
            run_slice(d[m], clients, drive_client, budget / SLICES, &r[m]);
        }
    double rate[3], p99[3];
    for (int m = 0; m < 3; m++) {
        collect(d[m], clients, &r[m]);
        rate[m] = r[m].calls / r[m].secs;
        p99[m] = pct(&r[m], 99);
        close_clients(d[m], clients);
        reap(pid[m]);
        free(r[m].all.v);
    }
    printf("TRACE the service's --trace under load (%d clients, Kerberos EncryptAndSign, 256-byte echo): no trace "
           "%.0f calls/s (p99 %.2f ms); each event written with fflush on the I/O thread (before) %.0f/s (p99 %.2f "
           "ms, %.0f%% fewer calls); written by the trace's own thread (now) %.0f/s (p99 %.2f ms, %.0f%% fewer)\n",
           clients, rate[0], p99[0], rate[1], p99[1], 100 * (1 - rate[1] / rate[0]), rate[2], p99[2],
           100 * (1 - rate[2] / rate[0]));
}

int main(int argc, char **argv)
{
    if (argc > 2 && !strcmp(argv[1], "--serve"))
        return serve(argv[2]);
    if (argc > 1 && !strcmp(argv[1], "--floor"))
        return floor_serve();
    double budget = argc > 1 ? atof(argv[1]) : 4.0;
    const char *parts = argc > 2 ? argv[2] : "P6,TRACE";
    int clients = argc > 3 ? atoi(argv[3]) : 64;
    signal(SIGPIPE, SIG_IGN);
    g_body_len = snprintf(g_body, sizeof g_body, "<Echo xmlns=\"http://tempuri.org/\"><text>%0256d</text></Echo>", 0);
    if (strstr(parts, "P6"))
        p6(budget, clients);
    if (strstr(parts, "TRACE"))
        trace_cost(budget, clients < 16 ? clients : 16);
    return 0;
}
