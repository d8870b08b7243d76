/* nettcp trace view|convert: reading traces of either format (JSON lines,
 * svclog), several files merged by activity and time. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: nettcp trace view [--color|--no-color] [--messages] FILE...\n"
            "       nettcp trace convert --to json|svclog [-o OUT] FILE...\n"
            "\n"
            "Reads traces written with --trace (JSON lines or svclog: E2ETraceEvent fragments, also those\n"
            "WCF's XmlWriterTraceListener writes), the format told by the content.\n"
            "\n"
            "view      merges the files by activity (a call traced on both sides with --propagate-activity\n"
            "          shares one) and prints, per activity in the order they began, its events in time order:\n"
            "          which file (side) wrote each, transfers between activities, and errors highlighted\n"
            "          with the step that failed, the cause id and the advice; then a summary of failures.\n"
            "  --messages         print logged envelopes too\n"
            "  --color/--no-color highlight with ANSI colours (default: when stdout is a terminal)\n"
            "convert   rewrites the events in the other format, time and activities kept.\n"
            "  --to F             json or svclog\n"
            "  -o OUT             the output file (default standard output)\n"
            "\n"
            "exit status: view: 0 no error in the traces, 1 an error was traced or a file could not be read;\n"
            "convert: 0 written, 1 a file could not be read; 2 usage error.\n");
}

/* ---- events kept in memory ---------------------------------------------------- */
typedef struct rec {
    size_t file, seq, aidx;
    ntcp_trace_kind kind;
    char *event, *conn, *name, *process, *computer;
    unsigned long pid, tid;
    char time[40], activity[37], related[37];
    size_t nfields;
    char *keys[NTCP_TRACE_MAX_FIELDS], *vals[NTCP_TRACE_MAX_FIELDS];
} rec;

typedef struct store {
    rec *r;
    size_t n, cap;
    size_t file;
    bool nomem;
} store;

static char *dup0(const char *s) { return s ? strdup(s) : NULL; }

static void keep(void *ctx, const ntcp_trace_ev *ev)
{
    store *s = ctx;
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 256;
        rec *nr = realloc(s->r, nc * sizeof *nr);
        if (!nr) {
            s->nomem = true;
            return;
        }
        s->r = nr;
        s->cap = nc;
    }
    rec *r = &s->r[s->n];
    memset(r, 0, sizeof *r);
    r->file = s->file;
    r->seq = s->n;
    r->kind = ev->kind;
    r->event = dup0(ev->event);
    r->conn = dup0(ev->conn);
    r->name = dup0(ev->name);
    r->process = dup0(ev->process);
    r->computer = dup0(ev->computer);
    r->pid = ev->pid;
    r->tid = ev->tid;
    snprintf(r->time, sizeof r->time, "%s", ev->time);
    snprintf(r->activity, sizeof r->activity, "%s", ev->activity);
    snprintf(r->related, sizeof r->related, "%s", ev->related);
    for (size_t i = 0; i < ev->nfields; i++) {
        r->keys[i] = dup0(ev->keys[i]);
        r->vals[i] = dup0(ev->vals[i]);
    }
    r->nfields = ev->nfields;
    s->n++;
}

static void store_free(store *s)
{
    for (size_t i = 0; i < s->n; i++) {
        rec *r = &s->r[i];
        free(r->event);
        free(r->conn);
        free(r->name);
        free(r->process);
        free(r->computer);
        for (size_t k = 0; k < r->nfields; k++) {
            free(r->keys[k]);
            free(r->vals[k]);
        }
    }
    free(s->r);
}

static const char *get(const rec *r, const char *key)
{
    for (size_t i = 0; i < r->nfields; i++)
        if (r->keys[i] && !strcmp(r->keys[i], key))
            return r->vals[i];
    return NULL;
}

static int load(const char *cmd, char **files, int n, store *s)
{
    for (int i = 0; i < n; i++) {
        char err[512];
        s->file = (size_t)i;
        if (ntcp_trace_read(files[i], keep, s, err, sizeof err) != NTCP_OK) {
            fprintf(stderr, "nettcp trace %s: %s: %s\n", cmd, files[i], err);
            return 1;
        }
        if (s->nomem) {
            fprintf(stderr, "nettcp trace %s: out of memory\n", cmd);
            return 1;
        }
    }
    return 0;
}

/* ---- view ------------------------------------------------------------------------ */
/* seconds of the day from an ISO time (date changes are ignored: traces are short) */
static double secs(const char *t)
{
    int h, m;
    double sec;
    if (strlen(t) < 19 || sscanf(t + 11, "%2d:%2d:%lf", &h, &m, &sec) != 3)
        return 0;
    return h * 3600.0 + m * 60.0 + sec;
}

typedef struct act {
    char id[37];
    const char *name;
    const char *first_time;
    size_t first_seq;
    bool failed;
} act;

static act *acts;
static size_t nacts;
static size_t *slots, nslots; /* open addressing over acts, by id */

static size_t hash(const char *s)
{
    size_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static size_t *slot_of(const char *id)
{
    size_t i = hash(id) & (nslots - 1);
    while (slots[i] != (size_t)-1 && strcmp(acts[slots[i]].id, id) != 0)
        i = (i + 1) & (nslots - 1);
    return &slots[i];
}

static act *find_act(const char *id)
{
    size_t *sl = slot_of(id);
    return *sl == (size_t)-1 ? NULL : &acts[*sl];
}

static int by_activity_time(const void *a, const void *b)
{
    const rec *x = a, *y = b;
    act *ax = &acts[x->aidx], *ay = &acts[y->aidx];
    if (ax != ay) {
        int c = strcmp(ax->first_time, ay->first_time);
        if (c)
            return c;
        return ax->first_seq < ay->first_seq ? -1 : 1;
    }
    int c = strcmp(x->time, y->time);
    if (c)
        return c;
    if (x->file != y->file)
        return x->file < y->file ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static const char *base(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* The step each error happened in: the last channel/doctor step entered
 * before it on the same connection of the same file; once the upgrade was
 * accepted or a handshake message went, the handshake. One pass, with the
 * current step of each (file, connection) in a table. */
typedef struct stepslot {
    size_t file;
    const char *conn; /* "" for the process's own */
    const char *step;
    bool used;
} stepslot;

static int failing_steps(const store *s, const char **out)
{
    size_t n;
    for (n = 16; n < 2 * s->n; n *= 2)
        ;
    stepslot *t = calloc(n, sizeof *t);
    if (!t)
        return -1;
    for (size_t i = 0; i < s->n; i++) {
        const rec *r = &s->r[i];
        const char *conn = r->conn ? r->conn : "";
        size_t h = (hash(conn) ^ r->file * 0x9E3779B97F4A7C15ull) & (n - 1);
        while (t[h].used && (t[h].file != r->file || strcmp(t[h].conn, conn) != 0))
            h = (h + 1) & (n - 1);
        stepslot *e = &t[h];
        if (!e->used)
            *e = (stepslot){ r->file, conn, NULL, true };
        const char *type = get(r, "type");
        if (r->kind == NTCP_TRACE_ERROR) {
            const char *own = get(r, "step");
            if (!own && r->event && !strcmp(r->event, "step"))
                own = get(r, "name");
            /* "open" and "call" say less than the step the connection was in */
            out[i] = own && e->step && strcmp(own, "open") != 0 && strcmp(own, "call") != 0 ? own
                     : e->step                                                         ? e->step
                                                                                       : own;
            if (r->event && !strcmp(r->event, "step") && own)
                e->step = own; /* a doctor's failed step: its result names it */
        } else if (r->event && !strcmp(r->event, "step")) {
            e->step = get(r, "name");
        } else if (r->event && (!strcmp(r->event, "handshake") ||
                                (!strcmp(r->event, "record") && type && !strcmp(type, "UpgradeResponse")))) {
            e->step = "handshake";
        }
    }
    free(t);
    return 0;
}

static int view(int argc, char **argv)
{
    static const struct option opts[] = { { "color", no_argument, NULL, 'c' },
                                          { "no-color", no_argument, NULL, 'C' },
                                          { "messages", no_argument, NULL, 'm' },
                                          { "help", no_argument, NULL, 'h' },
                                          { NULL, 0, NULL, 0 } };
    int color = isatty(1), c;
    bool messages = false;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': color = 1; break;
        case 'C': color = 0; break;
        case 'm': messages = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "nettcp trace view: at least one FILE is required\n");
        return 2;
    }
    store s = { 0 };
    int rc = load("view", argv + optind, argc - optind, &s);
    if (rc) {
        store_free(&s);
        return rc;
    }
    /* the failing steps, found in file order (before sorting) */
    const char **failed_step = calloc(s.n ? s.n : 1, sizeof *failed_step);
    if (failed_step && failing_steps(&s, failed_step)) {
        free((void *)failed_step);
        failed_step = NULL;
    }
    /* activities: named by their Start, ordered by their first event */
    acts = calloc(s.n ? s.n : 1, sizeof *acts);
    nacts = 0;
    for (nslots = 16; nslots < 2 * s.n; nslots *= 2)
        ;
    slots = malloc(nslots * sizeof *slots);
    if (slots)
        memset(slots, 0xff, nslots * sizeof *slots);
    for (size_t i = 0; acts && slots && i < s.n; i++) {
        rec *r = &s.r[i];
        size_t *sl = slot_of(r->activity);
        act *a = *sl == (size_t)-1 ? NULL : &acts[*sl];
        if (!a) {
            *sl = nacts;
            a = &acts[nacts++];
            snprintf(a->id, sizeof a->id, "%s", r->activity);
            a->first_time = r->time;
            a->first_seq = r->seq;
        } else if (strcmp(r->time, a->first_time) < 0) {
            a->first_time = r->time;
        }
        if (r->kind == NTCP_TRACE_START && r->name && !a->name)
            a->name = r->name;
        if (r->kind == NTCP_TRACE_ERROR)
            a->failed = true;
        r->aidx = (size_t)(a - acts);
    }
    if (!acts || !failed_step || !slots) {
        fprintf(stderr, "nettcp trace view: out of memory\n");
        free(acts);
        free(slots);
        free((void *)failed_step);
        store_free(&s);
        return 1;
    }
    /* sort (carrying each event's failing step along through its seq) */
    qsort(s.r, s.n, sizeof *s.r, by_activity_time);
    const char *red = color ? "\033[1;31m" : "", *yellow = color ? "\033[33m" : "", *dim = color ? "\033[2m" : "",
               *bold = color ? "\033[1m" : "", *off = color ? "\033[0m" : "";
    const char *cur = NULL;
    double t0 = 0;
    size_t nerr = 0;
    char **files = argv + optind;
    for (size_t i = 0; i < s.n; i++) {
        rec *r = &s.r[i];
        if (!cur || strcmp(cur, r->activity) != 0) {
            cur = r->activity;
            act *a = find_act(cur);
            /* which files wrote it */
            char sides[512] = "";
            size_t sl = 0;
            for (int f = 0; f < argc - optind; f++)
                for (size_t j = i; j < s.n && !strcmp(s.r[j].activity, cur); j++)
                    if (s.r[j].file == (size_t)f) {
                        sl += (size_t)snprintf(sides + sl, sl < sizeof sides ? sizeof sides - sl : 0, "%s%s",
                                               sl ? ", " : "", base(files[f]));
                        break;
                    }
            printf("\n%sactivity {%s}%s %s%s%s  [%s]%s\n", bold, cur, off, a->failed ? red : "",
                   a->name ? a->name : "(no start recorded)", off, sides, a->failed ? "  FAILED" : "");
            t0 = secs(r->time);
        }
        double dt = (secs(r->time) - t0) * 1000.0;
        printf("  %s%10.3f ms%s  %-12.12s ", dim, dt, off, base(files[r->file]));
        switch (r->kind) {
        case NTCP_TRACE_START: printf("%sstart%s %s\n", bold, off, r->name ? r->name : ""); continue;
        case NTCP_TRACE_STOP: printf("%sstop%s\n", bold, off); continue;
        case NTCP_TRACE_TRANSFER: {
            act *to = find_act(r->related);
            printf("transfer -> {%s} %s\n", r->related, to && to->name ? to->name : "");
            continue;
        }
        case NTCP_TRACE_ERROR: {
            nerr++;
            const char *step = failed_step[r->seq], *cause = get(r, "cause"), *err = get(r, "error");
            if (!err)
                err = get(r, "detail");
            if (!err && r->event && !strcmp(r->event, "result"))
                err = "the diagnosis failed";
            if (!err)
                err = get(r, "description");
            printf("%s>> FAILED at step '%s': %s%s\n", red, step ? step : "?", err ? err : r->event, off);
            if (cause)
                printf("  %*s%scause: %s%s\n", 28, "", red, cause, off);
            const char *advice = get(r, "advice");
            if (advice)
                printf("  %*sadvice: %s\n", 28, "", advice);
            continue;
        }
        default: break;
        }
        if (r->kind == NTCP_TRACE_WARNING)
            printf("%swarning ", yellow);
        printf("%s", r->event ? r->event : "?");
        if (r->conn)
            printf(" [%s]", r->conn);
        for (size_t k = 0; k < r->nfields; k++) {
            if (!strcmp(r->keys[k], "envelope")) {
                if (messages)
                    printf("\n  %*s%s", 28, "", r->vals[k]);
                else
                    printf(" envelope=(%zu bytes)", strlen(r->vals[k]));
                continue;
            }
            if (!strcmp(r->keys[k], "description") && r->nfields > 1)
                continue;
            printf(" %s=%s", r->keys[k], r->vals[k]);
        }
        printf("%s\n", r->kind == NTCP_TRACE_WARNING ? off : "");
    }
    printf("\n%zu activities, %zu events from %d file%s; %zu error%s\n", nacts, s.n, argc - optind,
           argc - optind == 1 ? "" : "s", nerr, nerr == 1 ? "" : "s");
    for (size_t i = 0; i < s.n; i++) {
        rec *r = &s.r[i];
        if (r->kind != NTCP_TRACE_ERROR)
            continue;
        const char *cause = get(r, "cause");
        printf("%s%s: step '%s' failed%s%s%s\n", red, base(files[r->file]), failed_step[r->seq] ? failed_step[r->seq] : "?",
               cause ? ", cause " : "", cause ? cause : "", off);
    }
    free(acts);
    acts = NULL;
    free(slots);
    slots = NULL;
    free((void *)failed_step);
    store_free(&s);
    return nerr ? 1 : 0;
}

/* ---- convert ------------------------------------------------------------------------ */
static int convert(int argc, char **argv)
{
    static const struct option opts[] = { { "to", required_argument, NULL, 't' },
                                          { "help", no_argument, NULL, 'h' },
                                          { NULL, 0, NULL, 0 } };
    const char *to = NULL, *out = "/dev/stdout";
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
        switch (c) {
        case 't': to = optarg; break;
        case 'o': out = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    ntcp_trace_config cfg;
    ntcp_trace_config_init(&cfg);
    if (!to || (strcmp(to, "json") != 0 && strcmp(to, "svclog") != 0)) {
        fprintf(stderr, "nettcp trace convert: --to json or --to svclog is required\n");
        return 2;
    }
    cfg.format = !strcmp(to, "svclog") ? NTCP_TRACE_SVCLOG : NTCP_TRACE_JSON;
    if (optind >= argc) {
        fprintf(stderr, "nettcp trace convert: at least one FILE is required\n");
        return 2;
    }
    store s = { 0 };
    int rc = load("convert", argv + optind, argc - optind, &s);
    if (rc) {
        store_free(&s);
        return rc;
    }
    ntcp_trace *t;
    if (ntcp_trace_open_config(&t, out, &cfg)) {
        fprintf(stderr, "nettcp trace convert: cannot write %s\n", out);
        store_free(&s);
        return 1;
    }
    for (size_t i = 0; i < s.n; i++) {
        rec *r = &s.r[i];
        ntcp_trace_ev ev;
        memset(&ev, 0, sizeof ev);
        ev.kind = r->kind;
        ev.event = r->event;
        ev.conn = r->conn;
        ev.name = r->name;
        ev.process = r->process;
        ev.computer = r->computer;
        ev.pid = r->pid;
        ev.tid = r->tid;
        snprintf(ev.time, sizeof ev.time, "%s", r->time);
        snprintf(ev.activity, sizeof ev.activity, "%s", r->activity);
        snprintf(ev.related, sizeof ev.related, "%s", r->related);
        ev.nfields = r->nfields;
        for (size_t k = 0; k < r->nfields; k++) {
            ev.keys[k] = r->keys[k];
            ev.vals[k] = r->vals[k];
        }
        ntcp_trace_write(t, &ev);
    }
    ntcp_trace_close(t);
    store_free(&s);
    return 0;
}

int cmd_trace(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "view"))
        return view(argc - 1, argv + 1);
    if (!strcmp(argv[1], "convert"))
        return convert(argc - 1, argv + 1);
    fprintf(stderr, "nettcp trace: unknown subcommand '%s' (view or convert)\n", argv[1]);
    usage(stderr);
    return 2;
}
