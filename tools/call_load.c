/* nettcp call --repeat N --parallel M [--sessions S]: a quick load check.
 * M threads make N calls in all over S sessions (thread i uses session
 * i mod S); prints the calls made, the failures, calls/s and the p50/p99
 * latency of one call. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "call_load.h"

typedef struct sess_trace { /* a session's records in the trace under its own label */
    ntcp_trace *t;
    char label[24];
} sess_trace;

static void rec_cb(void *ctx, bool sent, const ntcp_nmf_record *rec)
{
    sess_trace *s = ctx;
    ntcp_trace_record_conn(s->t, s->label, sent, rec);
}

static void leg_cb(void *ctx, bool sent, uint8_t id, size_t len)
{
    sess_trace *s = ctx;
    ntcp_trace_leg_conn(s->t, s->label, sent, id, len);
}

typedef struct load {
    const struct cli_load_args *a;
    ntcp_client **cl;
    sess_trace *st;
    atomic_long next, failures;
    double *lat_ms;                /* per call, by call number */
    pthread_mutex_t mu;
    bool have_err;
    ntcp_error first_err;          /* the first failure, for the report */
} load;

typedef struct worker {
    load *l;
    int i;
} worker;

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void *work(void *arg)
{
    worker *w = arg;
    load *l = w->l;
    const struct cli_load_args *a = l->a;
    int s = w->i % a->sessions;
    ntcp_client *c = l->cl[s];
    const char *label = l->st ? l->st[s].label : NULL;
    for (;;) {
        long k = atomic_fetch_add(&l->next, 1);
        if (k >= a->repeat)
            break;
        ntcp_trace_event(a->trace, "request", label, "action", a->action, NULL);
        ntcp_soap_msg reply;
        double t0 = now_ms();
        ntcp_status st = ntcp_client_call(c, a->action, a->headers, a->nheaders, a->body, a->body_len, &reply);
        l->lat_ms[k] = now_ms() - t0;
        ntcp_soap_msg_clear(&reply);
        if (st) {
            const ntcp_error *e = ntcp_client_error(c);
            ntcp_trace_event(a->trace, "error", label, "step", "call", "status", ntcp_status_name(st), "cause",
                             ntcp_error_id(e), "error", ntcp_error_text(e), NULL);
            atomic_fetch_add(&l->failures, 1);
            pthread_mutex_lock(&l->mu);
            if (!l->have_err) {
                l->first_err = *e;
                l->have_err = true;
            }
            pthread_mutex_unlock(&l->mu);
        } else {
            ntcp_trace_event(a->trace, "reply", label, "action", a->action, NULL);
        }
    }
    return NULL;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

/* nearest rank */
static double percentile(const double *sorted, long n, double p)
{
    if (n <= 0)
        return 0;
    long r = (long)ceil(p / 100.0 * (double)n);
    return sorted[r < 1 ? 0 : r > n ? n - 1 : r - 1];
}

int cli_call_load(const struct cli_load_args *a)
{
    load l;
    memset(&l, 0, sizeof l);
    l.a = a;
    l.cl = calloc((size_t)a->sessions, sizeof *l.cl);
    l.lat_ms = calloc((size_t)a->repeat, sizeof *l.lat_ms);
    if (a->trace)
        l.st = calloc((size_t)a->sessions, sizeof *l.st);
    worker *ws = calloc((size_t)a->parallel, sizeof *ws);
    pthread_t *th = calloc((size_t)a->parallel, sizeof *th);
    if (!l.cl || !l.lat_ms || !ws || !th || (a->trace && !l.st)) {
        fprintf(stderr, "nettcp call: out of memory\n");
        return 1;
    }
    pthread_mutex_init(&l.mu, NULL);
    int rc = 1, opened = 0;
    for (int s = 0; s < a->sessions; s++) {
        ntcp_client_options o = *a->options;
        if (l.st) {
            l.st[s].t = a->trace;
            snprintf(l.st[s].label, sizeof l.st[s].label, "session %d", s + 1);
            o.record_cb = rec_cb;
            o.record_ctx = &l.st[s];
            o.leg_cb = leg_cb;
            o.leg_ctx = &l.st[s];
            ntcp_trace_event(a->trace, "open", l.st[s].label, "url", a->url, NULL);
        }
        ntcp_error err;
        if (ntcp_client_open(&l.cl[s], a->url, &o, &err)) {
            ntcp_trace_event(a->trace, "error", l.st ? l.st[s].label : NULL, "step", "open", "status",
                             ntcp_status_name(err.status), "cause", ntcp_error_id(&err), "error", ntcp_error_text(&err),
                             NULL);
            if (a->json)
                a->json_error(&err, "open");
            else
                cli_print_error("call", &err);
            goto out;
        }
        opened++;
    }
    double t0 = now_ms();
    for (int i = 0; i < a->parallel; i++) {
        ws[i] = (worker){ &l, i };
        pthread_create(&th[i], NULL, work, &ws[i]);
    }
    for (int i = 0; i < a->parallel; i++)
        pthread_join(th[i], NULL);
    double secs = (now_ms() - t0) / 1e3;
    long n = a->repeat, failures = atomic_load(&l.failures);
    qsort(l.lat_ms, (size_t)n, sizeof *l.lat_ms, cmp_double);
    double p50 = percentile(l.lat_ms, n, 50), p99 = percentile(l.lat_ms, n, 99);
    double rate = secs > 0 ? (double)n / secs : 0;
    if (a->json) {
        printf("{\"ok\":%s,\"calls\":%ld,\"failures\":%ld,\"calls_per_second\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,"
               "\"parallel\":%d,\"sessions\":%d,\"seconds\":%.3f",
               failures ? "false" : "true", n, failures, rate, p50, p99, a->parallel, a->sessions, secs);
        if (l.have_err) { /* the strings through jansson; the figures above as printed, not as doubles */
            json_t *cause = cli_json_str(ntcp_error_id(&l.first_err)), *text = cli_json_str(ntcp_error_text(&l.first_err));
            char *cs = json_dumps(cause, JSON_ENCODE_ANY | JSON_COMPACT), *ts = json_dumps(text, JSON_ENCODE_ANY | JSON_COMPACT);
            printf(",\"cause\":%s,\"error\":%s", cs ? cs : "\"\"", ts ? ts : "\"\"");
            free(cs);
            free(ts);
            json_decref(cause);
            json_decref(text);
        }
        printf("}\n");
    } else {
        printf("calls %ld, failures %ld, %.1f calls/s, p50 %.3f ms, p99 %.3f ms (%d threads on %d sessions, %.3f s)\n",
               n, failures, rate, p50, p99, a->parallel, a->sessions, secs);
        if (l.have_err) {
            fprintf(stderr, "nettcp call: the first failure:\n");
            cli_print_error("call", &l.first_err);
        }
    }
    rc = failures ? 1 : 0;
out:
    for (int s = 0; s < opened; s++) {
        ntcp_status cst = ntcp_client_close(l.cl[s]);
        ntcp_trace_event(a->trace, "closed", l.st ? l.st[s].label : NULL, "status", ntcp_status_name(cst), NULL);
    }
    pthread_mutex_destroy(&l.mu);
    free(l.cl);
    free(l.lat_ms);
    free(l.st);
    free(ws);
    free(th);
    return rc;
}
