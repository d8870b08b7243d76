/* Call traces (see include/nettcp/trace.h): activities, the JSON writer,
 * message logging. The svclog writer is svclog.c, the reader trace_read.c. */
#include <pthread.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <nettcp/client.h>
#include <nettcp/trace.h>
#include "channel/trace_int.h"

/* The state of one connection: its activity, the call open on it, and what
 * message logging needs (one session dictionary per direction). */
typedef struct tconn {
    char *label;                  /* "" for the process's own (NULL) */
    char act[37], call[37];
    char name[300], type[16];     /* the connection activity's */
    char call_action[256];
    ntcp_xml_session *sess[2];    /* [0] received, [1] sent */
    char adopt[37];               /* ActivityId carried by the last received envelope */
    char *pending;                /* a received request waiting for its call (service level) */
    char *pending_fields[8];      /* its addressing: action, to, message_id, relates_to, reply_to */
    struct tconn *next;
} tconn;

/* Events are formatted on the thread that traces (under mu) into a stream
 * whose bytes go to a queue; a writer thread writes the queue to the file,
 * so the tracing thread makes no system call (trace.h: queue_max). */
#define TRACE_QUEUE_MAX ((size_t)8 << 20)

typedef struct tqueue {
    pthread_mutex_t mu;
    pthread_cond_t more, room;
    char *buf;             /* bytes queued */
    size_t len, cap;
    bool closing;
    bool idle;             /* the writer sleeps on more: the next bytes wake it */
    pthread_t writer;
    FILE *out;             /* the file */
    bool failed;           /* a write failed: later bytes are discarded */
    size_t max;            /* TRACE_QUEUE_MAX or the configuration's queue_max */
} tqueue;

struct ntcp_trace {
    FILE *f;               /* where events are formatted: the queue's stream, or stderr */
    bool own;
    tqueue *q;             /* NULL for stderr */
    ntcp_trace_config cfg;
    struct timespec t0;
    pthread_mutex_t mu;
    tconn *conns;
    char process[64], computer[256];
    unsigned long pid;
};

void ntcp_trace_config_init(ntcp_trace_config *c)
{
    memset(c, 0, sizeof *c);
    c->format = NTCP_TRACE_JSON;
    c->max_logged_size = 262144;
    c->queue_max = TRACE_QUEUE_MAX;
}

const char *ntcp_trace_kind_name(ntcp_trace_kind k)
{
    switch (k) {
    case NTCP_TRACE_WARNING: return "Warning";
    case NTCP_TRACE_ERROR: return "Error";
    case NTCP_TRACE_START: return "Start";
    case NTCP_TRACE_STOP: return "Stop";
    case NTCP_TRACE_TRANSFER: return "Transfer";
    case NTCP_TRACE_INFO:
    case NTCP_TRACE_MESSAGE: break;
    }
    return "Information";
}

/* ---- the queue and its writer ------------------------------------------------- */
static void *queue_writer(void *arg)
{
    tqueue *q = arg;
    char *mine = NULL;
    size_t mine_cap = 0;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        while (!q->len && !q->closing) {
            q->idle = true;
            pthread_cond_wait(&q->more, &q->mu);
            q->idle = false;
        }
        if (!q->len)
            break;
        if (!q->closing) {
            /* let a batch gather: at most one wake-up and one write a millisecond under load */
            pthread_mutex_unlock(&q->mu);
            nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
            pthread_mutex_lock(&q->mu);
        }
        /* take the queued bytes, leave an empty buffer in their place */
        char *b = q->buf;
        size_t n = q->len, cap = q->cap;
        q->buf = mine;
        q->cap = mine_cap;
        q->len = 0;
        pthread_cond_broadcast(&q->room);
        bool failed = q->failed;
        pthread_mutex_unlock(&q->mu);
        bool ok = failed || (fwrite(b, 1, n, q->out) == n && fflush(q->out) == 0);
        mine = b;
        mine_cap = cap;
        pthread_mutex_lock(&q->mu);
        if (!ok)
            q->failed = true;
    }
    pthread_mutex_unlock(&q->mu);
    ntcp_free(mine);
    return NULL;
}

/* the formatting stream's output: appended to the queue */
static ssize_t queue_write(void *cookie, const char *p, size_t n)
{
    tqueue *q = cookie;
    pthread_mutex_lock(&q->mu);
    while (q->len && q->len + n > q->max && !q->closing) /* full: wait for the writer */
        pthread_cond_wait(&q->room, &q->mu);
    if (q->len + n > q->cap) {
        size_t cap = q->cap ? q->cap : 65536;
        while (cap < q->len + n)
            cap *= 2;
        char *nb = ntcp_realloc(q->buf, cap);
        if (!nb) {
            pthread_mutex_unlock(&q->mu);
            return 0; /* the stream reports the error; the event is lost, not the trace */
        }
        q->buf = nb;
        q->cap = cap;
    }
    memcpy(q->buf + q->len, p, n);
    q->len += n;
    if (q->idle) { /* a writer at work (or gathering) takes these bytes with its batch: no wake-up */
        q->idle = false;
        pthread_cond_signal(&q->more);
    }
    pthread_mutex_unlock(&q->mu);
    return (ssize_t)n;
}

static ntcp_status queue_start(ntcp_trace *t, FILE *out)
{
    tqueue *q = ntcp_calloc(1, sizeof *q);
    if (!q)
        return NTCP_E_NOMEM;
    q->out = out;
    q->max = t->cfg.queue_max ? t->cfg.queue_max : TRACE_QUEUE_MAX;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->more, NULL);
    pthread_cond_init(&q->room, NULL);
    cookie_io_functions_t io = { .write = queue_write };
    t->f = fopencookie(q, "w", io);
    if (!t->f || pthread_create(&q->writer, NULL, queue_writer, q) != 0) {
        if (t->f)
            fclose(t->f);
        t->f = NULL;
        pthread_cond_destroy(&q->more);
        pthread_cond_destroy(&q->room);
        pthread_mutex_destroy(&q->mu);
        ntcp_free(q);
        return NTCP_E_IO;
    }
    setvbuf(t->f, NULL, _IOFBF, 65536); /* one event reaches the queue in one piece (fflush after each) */
    t->q = q;
    return NTCP_OK;
}

/* Everything formatted goes to the file; the writer ends; the file is closed. */
static void queue_finish(ntcp_trace *t)
{
    tqueue *q = t->q;
    fclose(t->f); /* flushes the last event into the queue */
    pthread_mutex_lock(&q->mu);
    q->closing = true;
    pthread_cond_signal(&q->more);
    pthread_mutex_unlock(&q->mu);
    pthread_join(q->writer, NULL);
    fclose(q->out);
    ntcp_free(q->buf);
    pthread_cond_destroy(&q->more);
    pthread_cond_destroy(&q->room);
    pthread_mutex_destroy(&q->mu);
    ntcp_free(q);
}

bool ntcp__trace_direct;

ntcp_status ntcp_trace_open(ntcp_trace **out, const char *path) { return ntcp_trace_open_config(out, path, NULL); }

ntcp_status ntcp_trace_open_config(ntcp_trace **out, const char *path, const ntcp_trace_config *c)
{
    ntcp_trace *t = ntcp_calloc(1, sizeof *t);
    if (!t)
        return NTCP_E_NOMEM;
    if (c)
        t->cfg = *c;
    else
        ntcp_trace_config_init(&t->cfg);
    if (!t->cfg.role)
        t->cfg.role = "client";
    if (!strcmp(path, "-")) {
        t->f = stderr;
    } else {
        FILE *file = fopen(path, "w");
        if (file && ntcp__trace_direct)
            t->f = file;
        else if (!file || queue_start(t, file) != NTCP_OK) {
            if (file)
                fclose(file);
            ntcp_free(t);
            return NTCP_E_IO;
        }
        t->own = true;
    }
    clock_gettime(CLOCK_MONOTONIC, &t->t0);
    pthread_mutex_init(&t->mu, NULL);
    /* what XmlWriterTraceListener puts in Execution and Computer */
    char exe[256] = "";
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    const char *base = strrchr(exe, '/');
    snprintf(t->process, sizeof t->process, "%.63s", base ? base + 1 : exe[0] ? exe : "nettcp");
    if (gethostname(t->computer, sizeof t->computer - 1) != 0)
        snprintf(t->computer, sizeof t->computer, "localhost");
    t->pid = (unsigned long)getpid();
    *out = t;
    return NTCP_OK;
}

/* ---- helpers --------------------------------------------------------------- */
static void new_guid(char out[37])
{
    /* random bytes drawn 512 at a time per thread: one system call per 32 GUIDs */
    static __thread uint8_t pool[512];
    static __thread size_t left;
    uint8_t r[16];
    if (left < sizeof r && getrandom(pool, sizeof pool, 0) == (ssize_t)sizeof pool)
        left = sizeof pool;
    if (left >= sizeof r) {
        memcpy(r, pool + sizeof pool - left, sizeof r);
        explicit_bzero(pool + sizeof pool - left, sizeof r);
        left -= sizeof r;
    } else {
        struct timespec ts; /* no entropy: still unique enough within one trace */
        clock_gettime(CLOCK_REALTIME, &ts);
        for (int i = 0; i < 16; i++)
            r[i] = (uint8_t)((ts.tv_nsec >> (i % 4 * 8)) ^ (ts.tv_sec >> (i % 3)) ^ i * 37);
    }
    r[6] = (uint8_t)((r[6] & 0x0f) | 0x40);
    r[8] = (uint8_t)((r[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3],
             r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15]);
}

static void stamp(ntcp_trace *t, ntcp_trace_ev *ev)
{
    struct timespec now, wall;
    clock_gettime(CLOCK_MONOTONIC, &now);
    clock_gettime(CLOCK_REALTIME, &wall);
    ev->ms = (double)(now.tv_sec - t->t0.tv_sec) * 1e3 + (double)(now.tv_nsec - t->t0.tv_nsec) / 1e6;
    struct tm tm;
    gmtime_r(&wall.tv_sec, &tm);
    char s[24];
    if (!strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%S", &tm))
        s[0] = 0;
    snprintf(ev->time, sizeof ev->time, "%.19s.%07uZ", s, (unsigned)(wall.tv_nsec / 100) % 10000000u);
}

static void ev_init(ntcp_trace *t, ntcp_trace_ev *ev, ntcp_trace_kind kind, const char *event, const char *conn,
                    const char *activity)
{
    memset(ev, 0, sizeof *ev);
    ev->kind = kind;
    ev->event = event;
    ev->conn = conn;
    stamp(t, ev);
    snprintf(ev->activity, sizeof ev->activity, "%s", activity ? activity : "");
    ev->process = t->process;
    ev->computer = t->computer;
    ev->pid = t->pid;
    static __thread unsigned long tid; /* gettid is a system call: once per thread */
    if (!tid)
        tid = (unsigned long)gettid();
    ev->tid = tid;
}

static void add_field(ntcp_trace_ev *ev, const char *k, const char *v)
{
    if (ev->nfields < NTCP_TRACE_MAX_FIELDS) {
        ev->keys[ev->nfields] = k;
        ev->vals[ev->nfields] = v ? v : "";
        ev->nfields++;
    }
}

const char *ntcp_trace_ev_get(const ntcp_trace_ev *ev, const char *key)
{
    for (size_t i = 0; i < ev->nfields; i++)
        if (!strcmp(ev->keys[i], key))
            return ev->vals[i];
    return NULL;
}

static void emit(ntcp_trace *t, const ntcp_trace_ev *ev)
{
    flockfile(t->f); /* once for the event, not per character */
    if (t->cfg.format == NTCP_TRACE_SVCLOG)
        ntcp__svclog_write(t->f, ev);
    else
        ntcp__trace_json_write(t->f, ev);
    funlockfile(t->f);
    fflush(t->f);
}

void ntcp_trace_write(ntcp_trace *t, const ntcp_trace_ev *ev)
{
    if (!t || !ev)
        return;
    pthread_mutex_lock(&t->mu);
    emit(t, ev);
    pthread_mutex_unlock(&t->mu);
}

/* ---- JSON ------------------------------------------------------------------ */
/* A JSON string (RFC 8259 7): '"' and '\\' escaped, the C0 controls as \u00XX,
 * well-formed UTF-8 copied, each maximal ill-formed subpart written as U+FFFD.
 * The library writes its trace lines itself rather than through a JSON
 * library: jansson's allocator is process-wide (json_set_alloc_funcs), so
 * using it here would bypass ntcp_set_allocator or take over the
 * application's own jansson; and a trace line must not cost a tree of
 * allocations under the trace lock. tests/unit/test_json.c parses what this
 * writes, for every byte and byte pair and for ill-formed sequences, with
 * jansson. */
void ntcp__json_string(FILE *f, const char *s)
{
    fputc('"', f);
    size_t n = s ? strlen(s) : 0, i = 0, bad;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        size_t k = ntcp_utf8_sequence((const uint8_t *)s + i, n - i, &bad);
        if (!k) {
            fputs("\xef\xbf\xbd", f); /* U+FFFD */
            i += bad;
        } else if (c == '"' || c == '\\') {
            fputc('\\', f);
            fputc(c, f);
            i++;
        } else if (c < 0x20) {
            fprintf(f, "\\u%04x", c);
            i++;
        } else {
            fwrite(s + i, 1, k, f);
            i += k;
        }
    }
    fputc('"', f);
}

/* {"ms":…,"event":…[,"conn":…],FIELDS,"time":…,"activity":…[,"level":…][,"name":…]
 * [,"related":…],"pid":…,"tid":…}: the fields right after the event, as
 * before activities existed. */
void ntcp__trace_json_write(FILE *f, const ntcp_trace_ev *ev)
{
    /* thousandths in integers: printf's %f follows LC_NUMERIC, and a decimal comma is not JSON */
    long long th = llround(ev->ms * 1000.0);
    unsigned long long a = th < 0 ? 0ULL - (unsigned long long)th : (unsigned long long)th;
    fprintf(f, "{\"ms\":%s%llu.%03llu,\"event\":", th < 0 ? "-" : "", a / 1000, a % 1000);
    ntcp__json_string(f, ev->event);
    if (ev->conn) {
        fprintf(f, ",\"conn\":");
        ntcp__json_string(f, ev->conn);
    }
    for (size_t i = 0; i < ev->nfields; i++) {
        fputc(',', f);
        ntcp__json_string(f, ev->keys[i]);
        fputc(':', f);
        ntcp__json_string(f, ev->vals[i]);
    }
    fprintf(f, ",\"time\":");
    ntcp__json_string(f, ev->time);
    fprintf(f, ",\"activity\":");
    ntcp__json_string(f, ev->activity);
    if (ev->kind != NTCP_TRACE_INFO && ev->kind != NTCP_TRACE_MESSAGE) {
        fprintf(f, ",\"level\":");
        ntcp__json_string(f, ntcp_trace_kind_name(ev->kind));
    }
    if (ev->name) {
        fprintf(f, ",\"name\":");
        ntcp__json_string(f, ev->name);
    }
    if (ev->related[0]) {
        fprintf(f, ",\"related\":");
        ntcp__json_string(f, ev->related);
    }
    fprintf(f, ",\"pid\":%lu,\"tid\":%lu}\n", ev->pid, ev->tid);
}

/* ---- activities ------------------------------------------------------------ */
static tconn *find_conn(ntcp_trace *t, const char *label)
{
    const char *l = label ? label : "";
    for (tconn *c = t->conns; c; c = c->next)
        if (!strcmp(c->label, l))
            return c;
    return NULL;
}

static void boundary(ntcp_trace *t, bool start, const char *conn, const char *act, const char *name, const char *type)
{
    ntcp_trace_ev ev;
    ev_init(t, &ev, start ? NTCP_TRACE_START : NTCP_TRACE_STOP, "activity", conn, act);
    ev.name = name;
    add_field(&ev, "type", type);
    emit(t, &ev);
}

static void transfer(ntcp_trace *t, const char *conn, const char *from, const char *to)
{
    ntcp_trace_ev ev;
    ev_init(t, &ev, NTCP_TRACE_TRANSFER, "transfer", conn, from);
    snprintf(ev.related, sizeof ev.related, "%s", to);
    emit(t, &ev);
}

static void conn_remove(ntcp_trace *t, tconn *c);

/* The connection of label, its activity started (with the name its first
 * event suggests) when it is new. */
static tconn *get_conn(ntcp_trace *t, const char *label, const char *url)
{
    tconn *c = find_conn(t, label);
    if (c)
        return c;
    /* bounded: connections that never reach on_close (dropped before their
     * preamble) end when 1024 newer ones are open */
    size_t n = 0;
    tconn *oldest = NULL;
    for (tconn *x = t->conns; x; x = x->next)
        if (x->label[0]) {
            n++;
            oldest = x;
        }
    if (label && n >= 1024 && oldest)
        conn_remove(t, oldest);
    c = ntcp_calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->label = ntcp_strndup(label ? label : "", label ? strlen(label) : 0);
    if (!c->label) {
        ntcp_free(c);
        return NULL;
    }
    new_guid(c->act);
    c->next = t->conns;
    t->conns = c;
    char name[300];
    const char *type;
    bool service = !strcmp(t->cfg.role, "service");
    if (label) {
        snprintf(name, sizeof name, "Receive bytes on connection '%s'.", label);
        type = "ReceiveBytes";
        tconn *host = find_conn(t, NULL);
        if (host) /* the listener hands the connection over, as in WCF's graph */
            transfer(t, NULL, host->act, c->act);
    } else if (service) {
        snprintf(name, sizeof name, "Listen at '%s'.", url ? url : "");
        type = "ListenAt";
    } else {
        snprintf(name, sizeof name, "Open '%s'.", url ? url : "");
        type = "Open";
    }
    snprintf(c->name, sizeof c->name, "%s", name);
    snprintf(c->type, sizeof c->type, "%s", type);
    boundary(t, true, label, c->act, name, type);
    return c;
}

static void free_pending(tconn *c)
{
    ntcp_free(c->pending);
    c->pending = NULL;
    for (int i = 0; i < 8; i++) {
        ntcp_free(c->pending_fields[i]);
        c->pending_fields[i] = NULL;
    }
}

static void call_end(ntcp_trace *t, tconn *c)
{
    if (!c->call[0])
        return;
    char name[400];
    snprintf(name, sizeof name, "Process action '%s'.", c->call_action);
    boundary(t, false, c->label[0] ? c->label : NULL, c->call, name, "ProcessAction");
    transfer(t, c->label[0] ? c->label : NULL, c->call, c->act);
    c->call[0] = 0;
}

static void conn_remove(ntcp_trace *t, tconn *c)
{
    const char *label = c->label[0] ? c->label : NULL;
    call_end(t, c);
    boundary(t, false, label, c->act, c->name, c->type);
    for (tconn **p = &t->conns; *p; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            break;
        }
    ntcp_xml_session_free(c->sess[0]);
    ntcp_xml_session_free(c->sess[1]);
    free_pending(c);
    ntcp_free(c->label);
    ntcp_free(c);
}

void ntcp_trace_close(ntcp_trace *t)
{
    if (!t)
        return;
    pthread_mutex_lock(&t->mu);
    while (t->conns) { /* connections first, the listener's activity last */
        tconn *c = t->conns, *last = NULL;
        for (tconn *x = t->conns; x; x = x->next)
            if (x->label[0])
                last = x;
        conn_remove(t, last ? last : c);
    }
    pthread_mutex_unlock(&t->mu);
    if (t->q)
        queue_finish(t);
    else if (t->f != stderr)
        fclose(t->f);
    else
        fflush(t->f);
    pthread_mutex_destroy(&t->mu);
    ntcp_free(t);
}

/* Emits a message log record for a rendered envelope in activity act. */
static void log_message(ntcp_trace *t, const char *conn, const char *act, const char *source, const char *type,
                        char *const fields[5], const char *envelope)
{
    ntcp_trace_ev ev;
    ev_init(t, &ev, NTCP_TRACE_MESSAGE, "message", conn, act);
    add_field(&ev, "source", source);
    add_field(&ev, "type", type);
    static const char *const keys[5] = { "action", "to", "message_id", "relates_to", "reply_to" };
    for (int i = 0; i < 5; i++)
        if (fields[i])
            add_field(&ev, keys[i], fields[i]);
    add_field(&ev, "envelope", envelope);
    emit(t, &ev);
}

void ntcp_trace_event(ntcp_trace *t, const char *event, const char *conn, ...)
{
    if (!t)
        return;
    pthread_mutex_lock(&t->mu);
    ntcp_trace_kind kind = !strcmp(event, "error")     ? NTCP_TRACE_ERROR
                           : !strcmp(event, "warning") ? NTCP_TRACE_WARNING
                                                       : NTCP_TRACE_INFO;
    ntcp_trace_ev ev;
    ev_init(t, &ev, kind, event, conn, NULL);
    va_list ap;
    va_start(ap, conn);
    const char *k;
    while ((k = va_arg(ap, const char *)) != NULL) {
        const char *v = va_arg(ap, const char *);
        add_field(&ev, k, v);
    }
    va_end(ap);
    /* the doctor's failed steps and result are errors too */
    const char *oc = ntcp_trace_ev_get(&ev, "outcome"), *ok = ntcp_trace_ev_get(&ev, "ok");
    if ((oc && !strcmp(oc, "failed")) || (ok && !strcmp(ok, "false")))
        ev.kind = kind = NTCP_TRACE_ERROR;
    else if (oc && !strcmp(oc, "warning"))
        ev.kind = kind = NTCP_TRACE_WARNING;
    const char *fault = ntcp_trace_ev_get(&ev, "fault");
    if (!strcmp(event, "reply") && fault && *fault) /* a fault sent back: as WCF, a warning */
        ev.kind = kind = NTCP_TRACE_WARNING;
    const char *url = ntcp_trace_ev_get(&ev, "url");
    tconn *c = get_conn(t, conn, url);
    if (!c)
        goto out;
    bool service = !strcmp(t->cfg.role, "service");
    if (!strcmp(event, "request")) {
        call_end(t, c); /* a one-way call before this one */
        const char *action = ntcp_trace_ev_get(&ev, "action");
        snprintf(c->call_action, sizeof c->call_action, "%s", action ? action : "");
        if (service && t->cfg.propagate_activity && c->adopt[0])
            snprintf(c->call, sizeof c->call, "%s", c->adopt);
        else
            new_guid(c->call);
        c->adopt[0] = 0;
        transfer(t, conn, c->act, c->call);
        char name[400];
        snprintf(name, sizeof name, "Process action '%s'.", c->call_action);
        boundary(t, true, conn, c->call, name, "ProcessAction");
        if (c->pending) { /* the request as the service level sees it */
            log_message(t, conn, c->call, c->pending_fields[5] ? "ServiceLevelReceiveRequest" : "ServiceLevelReceiveDatagram",
                        "System.ServiceModel.Channels.BufferedMessage", c->pending_fields, c->pending);
            free_pending(c);
        }
    }
    stamp(t, &ev); /* after the boundaries it follows */
    snprintf(ev.activity, sizeof ev.activity, "%s", c->call[0] ? c->call : c->act);
    if (kind == NTCP_TRACE_ERROR || kind == NTCP_TRACE_WARNING) {
        const char *cause = ntcp_trace_ev_get(&ev, "cause");
        const char *advice = cause ? ntcp_cause_advice(ntcp_cause_from_id(cause)) : NULL;
        if (advice && *advice && !ntcp_trace_ev_get(&ev, "advice"))
            add_field(&ev, "advice", advice);
    }
    emit(t, &ev);
    if (!strcmp(event, "reply") || (kind == NTCP_TRACE_ERROR && c->call[0]))
        call_end(t, c);
    if (!strcmp(event, "closed") || !strcmp(event, "stopped"))
        conn_remove(t, c);
out:
    pthread_mutex_unlock(&t->mu);
}

void ntcp_trace_conn_end(ntcp_trace *t, const char *conn)
{
    if (!t)
        return;
    pthread_mutex_lock(&t->mu);
    tconn *c = find_conn(t, conn);
    if (c) {
        ntcp_trace_ev ev;
        ev_init(t, &ev, NTCP_TRACE_INFO, "closed", conn, c->call[0] ? c->call : c->act);
        call_end(t, c);
        snprintf(ev.activity, sizeof ev.activity, "%s", c->act);
        emit(t, &ev);
        conn_remove(t, c);
    }
    pthread_mutex_unlock(&t->mu);
}

bool ntcp_trace_activity_header(ntcp_trace *t, const char *conn, char *out, size_t cap)
{
    if (cap)
        out[0] = 0;
    if (!t || !t->cfg.propagate_activity)
        return false;
    pthread_mutex_lock(&t->mu);
    tconn *c = find_conn(t, conn);
    bool ok = c && c->call[0];
    if (ok) {
        char corr[37];
        new_guid(corr); /* WCF: a fresh id per header */
        snprintf(out, cap, "<ActivityId CorrelationId=\"%s\" xmlns=\"" NTCP__DIAG_NS "\">%s</ActivityId>", corr, c->call);
    }
    pthread_mutex_unlock(&t->mu);
    return ok;
}

void ntcp_trace_current_activity(ntcp_trace *t, const char *conn, char out[37])
{
    out[0] = 0;
    if (!t)
        return;
    pthread_mutex_lock(&t->mu);
    tconn *c = find_conn(t, conn);
    if (c)
        snprintf(out, 37, "%s", c->call[0] ? c->call : c->act);
    pthread_mutex_unlock(&t->mu);
}

/* ---- records and handshake legs --------------------------------------------- */
/* A SizedEnvelope seen on conn: decoded with the trace's own copy of the
 * direction's dictionary when messages are logged or activities adopted. */
static void on_envelope(ntcp_trace *t, tconn *c, const char *conn, bool sent, const ntcp_nmf_record *rec)
{
    bool service = !strcmp(t->cfg.role, "service");
    bool adopt = service && t->cfg.propagate_activity && !sent;
    if (t->cfg.log_messages == NTCP_LOG_MESSAGES_OFF && !adopt)
        return;
    int d = sent ? 1 : 0;
    if (!c->sess[d] && ntcp_xml_session_new(&c->sess[d], 0) != NTCP_OK)
        return;
    ntcp__rendered r;
    bool entire = t->cfg.log_entire_message;
    ntcp_status st = ntcp__trace_render(rec->data, rec->size, c->sess[d], entire, &r);
    if (st != NTCP_OK) {
        ntcp_trace_ev ev;
        ev_init(t, &ev, NTCP_TRACE_WARNING, "warning", conn, c->call[0] ? c->call : c->act);
        add_field(&ev, "what", "a message could not be rendered for the message log");
        add_field(&ev, "status", ntcp_status_name(st));
        emit(t, &ev);
        return;
    }
    if (adopt && r.activity_id[0])
        snprintf(c->adopt, sizeof c->adopt, "%s", r.activity_id);
    if (t->cfg.log_messages == NTCP_LOG_MESSAGES_OFF)
        goto done;
    const char *act = c->call[0] ? c->call : c->act;
    if (rec->size > t->cfg.max_logged_size) {
        ntcp_trace_ev ev;
        ev_init(t, &ev, NTCP_TRACE_WARNING, "message_not_logged", conn, act);
        char sz[32], mx[32];
        snprintf(sz, sizeof sz, "%zu", rec->size);
        snprintf(mx, sizeof mx, "%zu", t->cfg.max_logged_size);
        add_field(&ev, "size", sz);
        add_field(&ev, "max_logged_size", mx);
        emit(t, &ev);
        goto done;
    }
    char *fields[8] = { r.action, r.to, r.message_id, r.relates_to, r.reply_to };
    const char *type = sent ? "System.ServiceModel.Channels.BodyWriterMessage" : "System.ServiceModel.Channels.BufferedMessage";
    if (t->cfg.log_messages == NTCP_LOG_MESSAGES_TRANSPORT) {
        log_message(t, conn, act, sent ? "TransportSend" : "TransportReceive", type, fields, r.envelope);
    } else if (service && !sent && !c->call[0]) {
        /* written when the call starts, in its activity */
        free_pending(c);
        c->pending = r.envelope;
        r.envelope = NULL;
        for (int i = 0; i < 5; i++) {
            c->pending_fields[i] = fields[i];
        }
        c->pending_fields[5] = r.message_id ? ntcp_strndup("1", 1) : NULL; /* a request (not a datagram) */
        r.action = r.to = r.message_id = r.relates_to = r.reply_to = NULL;
    } else {
        const char *src = service ? (r.relates_to ? "ServiceLevelSendReply" : "ServiceLevelSendDatagram")
                          : sent  ? (r.message_id ? "ServiceLevelSendRequest" : "ServiceLevelSendDatagram")
                                  : "ServiceLevelReceiveReply";
        log_message(t, conn, act, src, type, fields, r.envelope);
    }
done:
    ntcp__rendered_clear(&r);
}

void ntcp_trace_record_conn(ntcp_trace *t, const char *conn, bool sent, const ntcp_nmf_record *rec)
{
    if (!t)
        return;
    pthread_mutex_lock(&t->mu);
    tconn *c = get_conn(t, conn, NULL);
    if (!c)
        goto out;
    ntcp_trace_ev ev;
    ev_init(t, &ev, NTCP_TRACE_INFO, "record", conn, c->call[0] ? c->call : c->act);
    const char *name = ntcp_nmf_record_name(rec->type);
    char size[32], enc[16];
    snprintf(size, sizeof size, "%zu", rec->size);
    add_field(&ev, "dir", sent ? "sent" : "received");
    add_field(&ev, "type", name ? name : "?");
    add_field(&ev, "size", size);
    /* the preamble's fields are not secret; envelope contents are never written here */
    char buf[2100];
    if (rec->type == NTCP_NMF_VIA || rec->type == NTCP_NMF_UPGRADE_REQUEST || rec->type == NTCP_NMF_FAULT ||
        rec->type == NTCP_NMF_EXTENSIBLE_ENCODING) {
        snprintf(buf, sizeof buf, "%.*s", (int)(rec->size < 2048 ? rec->size : 2048), (const char *)rec->data);
        add_field(&ev, "value", buf);
    }
    if (rec->type == NTCP_NMF_MODE)
        add_field(&ev, "mode", ntcp_nmf_mode_name(rec->mode) ? ntcp_nmf_mode_name(rec->mode) : "?");
    if (rec->type == NTCP_NMF_KNOWN_ENCODING) {
        snprintf(enc, sizeof enc, "%u", rec->encoding);
        add_field(&ev, "encoding", enc);
    }
    emit(t, &ev);
    if (rec->type == NTCP_NMF_SIZED_ENVELOPE)
        on_envelope(t, c, conn, sent, rec);
out:
    pthread_mutex_unlock(&t->mu);
}

void ntcp_trace_record(void *ctx, bool sent, const ntcp_nmf_record *rec)
{
    ntcp_trace_record_conn(ctx, NULL, sent, rec);
}

void ntcp_trace_leg(void *ctx, bool sent, uint8_t id, size_t len)
{
    ntcp_trace_leg_conn(ctx, NULL, sent, id, len);
}

void ntcp_trace_leg_conn(ntcp_trace *t, const char *conn, bool sent, uint8_t id, size_t len)
{
    if (!t)
        return;
    pthread_mutex_lock(&t->mu);
    tconn *c = get_conn(t, conn, NULL);
    if (c) {
        ntcp_trace_ev ev;
        ev_init(t, &ev, NTCP_TRACE_INFO, "handshake", conn, c->act);
        char size[32];
        snprintf(size, sizeof size, "%zu", len);
        /* the message kind and the token's size; never the token */
        add_field(&ev, "dir", sent ? "sent" : "received");
        add_field(&ev, "message",
                  id == 0x14 ? "HandshakeDone" : id == 0x15 ? "HandshakeError" : id == 0x16 ? "HandshakeInProgress" : "?");
        add_field(&ev, "size", size);
        emit(t, &ev);
    }
    pthread_mutex_unlock(&t->mu);
}
