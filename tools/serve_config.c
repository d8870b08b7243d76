/* nettcp serve as a daemon: the --config file (the same options as the
 * command line, one `option = value` per line), the log (timestamps and
 * levels on stderr, or syslog), SIGHUP reloads, and systemd notifications. */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#ifdef NETTCP_SYSTEMD
#include <systemd/sd-daemon.h>
#endif
#include "serve.h"

/* ---- the log ---------------------------------------------------------------- */
static atomic_bool log_to_syslog;
static atomic_bool log_verbose;

void serve_log_syslog(void)
{
    openlog("nettcp", LOG_PID, LOG_DAEMON);
    atomic_store(&log_to_syslog, true);
}

static const char *level_name(int level)
{
    switch (level) {
    case LOG_ERR: return "error";
    case LOG_WARNING: return "warning";
    case LOG_NOTICE: return "notice";
    default: return "info";
    }
}

static void vlog(int level, const char *fmt, va_list ap)
{
    char text[1200];
    vsnprintf(text, sizeof text, fmt, ap);
    if (atomic_load(&log_to_syslog)) {
        syslog(level, "%s", text);
        return;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[32];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    /* journald reads the <N> prefix as the priority */
    char prio[8] = "";
    if (getenv("JOURNAL_STREAM"))
        snprintf(prio, sizeof prio, "<%d>", level);
    fprintf(stderr, "%s%s.%03ldZ nettcp[%ld]: %s: %s\n", prio, when, ts.tv_nsec / 1000000L, (long)getpid(),
            level_name(level), text);
}

void serve_log(int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(level, fmt, ap);
    va_end(ap);
}

void serve_log_line(void *ctx, const char *line)
{
    (void)ctx;
    if (atomic_load(&log_verbose))
        serve_log(LOG_NOTICE, "%s", line);
}

/* ---- --config FILE -------------------------------------------------------- */
static const struct option *find_long(const struct option *opts, const char *name, size_t n)
{
    for (; opts->name; opts++)
        if (strlen(opts->name) == n && !strncmp(opts->name, name, n))
            return opts;
    return NULL;
}

typedef struct strv {
    char **v;
    int n, cap;
} strv;

static int strv_push(strv *s, const char *p, size_t n)
{
    if (s->n + 2 > s->cap) {
        int cap = s->cap ? s->cap * 2 : 16;
        char **v = realloc(s->v, (size_t)cap * sizeof *v);
        if (!v)
            return -1;
        s->v = v;
        s->cap = cap;
    }
    char *c = strndup(p, n);
    if (!c)
        return -1;
    s->v[s->n++] = c;
    s->v[s->n] = NULL;
    return 0;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = 0;
    return s;
}

/* Does the command line (argv[1..]) name the URL (a non-option argument)? */
static bool has_positional(int argc, char **argv, const struct option *opts)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--"))
            return i + 1 < argc;
        if (a[0] != '-' || !a[1])
            return true;
        if (a[1] == '-' && !strchr(a, '=')) {
            const struct option *o = find_long(opts, a + 2, strlen(a + 2));
            if (o && o->has_arg == required_argument)
                i++;
        }
    }
    return false;
}

/* Appends the options of one config file. 0, or 2 after printing the error. */
static int read_config(const char *path, const struct option *opts, bool skip_url, strv *out)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "nettcp serve: cannot read the config %s: %s\n", path, strerror(errno));
        return 2;
    }
    char line[4096];
    int lineno = 0, rc = 0;
    while (!rc && fgets(line, sizeof line, f)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(f)) {
            fprintf(stderr, "nettcp serve: %s:%d: line too long\n", path, lineno);
            rc = 2;
            break;
        }
        char *s = trim(line);
        if (!*s || *s == '#' || *s == ';')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            fprintf(stderr, "nettcp serve: %s:%d: expected 'option = value'\n", path, lineno);
            rc = 2;
            break;
        }
        *eq = 0;
        char *key = trim(s), *val = trim(eq + 1);
        size_t vn = strlen(val);
        if (vn >= 2 && (val[0] == '"' || val[0] == '\'') && val[vn - 1] == val[0]) {
            val[vn - 1] = 0;
            val++;
        }
        if (!strcmp(key, "url")) {
            if (!skip_url && strv_push(out, val, strlen(val)))
                rc = 2;
            continue;
        }
        const struct option *o = find_long(opts, key, strlen(key));
        if (!o || !strcmp(key, "config") || !strcmp(key, "help")) {
            fprintf(stderr, "nettcp serve: %s:%d: unknown option '%s' (see nettcp serve --help)\n", path, lineno, key);
            rc = 2;
            break;
        }
        char arg[4200];
        if (o->has_arg == no_argument) {
            if (!strcmp(val, "true") || !strcmp(val, "yes") || !strcmp(val, "on") || !strcmp(val, "1"))
                snprintf(arg, sizeof arg, "--%s", key);
            else if (!strcmp(val, "false") || !strcmp(val, "no") || !strcmp(val, "off") || !strcmp(val, "0"))
                continue;
            else {
                fprintf(stderr, "nettcp serve: %s:%d: %s takes true or false, not '%s'\n", path, lineno, key, val);
                rc = 2;
                break;
            }
        } else {
            snprintf(arg, sizeof arg, "--%s=%s", key, val);
        }
        if (strv_push(out, arg, strlen(arg)))
            rc = 2;
    }
    fclose(f);
    return rc;
}

int serve_config_expand(int argc, char **argv, const struct option *opts, int *out_argc, char ***out_argv)
{
    strv rest = { 0 }, out = { 0 };
    const char *config = NULL;
    int rc = 0;
    if (strv_push(&out, argv[0], strlen(argv[0])))
        rc = 2;
    /* argv[0] stays first in rest too: has_positional skips it */
    if (!rc && strv_push(&rest, argv[0], strlen(argv[0])))
        rc = 2;
    for (int i = 1; !rc && i < argc; i++) {
        if (!strcmp(argv[i], "--")) {
            for (; !rc && i < argc; i++)
                rc = strv_push(&rest, argv[i], strlen(argv[i])) ? 2 : 0;
            break;
        }
        if (!strcmp(argv[i], "--config")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "nettcp serve: --config needs a file\n");
                rc = 2;
                break;
            }
            config = argv[++i];
        } else if (!strncmp(argv[i], "--config=", 9)) {
            config = argv[i] + 9;
        } else if (strv_push(&rest, argv[i], strlen(argv[i]))) {
            rc = 2;
        }
    }
    if (!rc && config)
        rc = read_config(config, opts, has_positional(rest.n, rest.v, opts), &out);
    for (int i = 1; !rc && i < rest.n; i++)
        rc = strv_push(&out, rest.v[i], strlen(rest.v[i])) ? 2 : 0;
    serve_config_free(rest.n, rest.v);
    if (rc) {
        serve_config_free(out.n, out.v);
        return rc;
    }
    *out_argc = out.n;
    *out_argv = out.v;
    return 0;
}

void serve_config_free(int argc, char **argv)
{
    if (!argv)
        return;
    for (int i = 0; i < argc; i++)
        free(argv[i]);
    free(argv);
}

/* ---- SIGHUP -------------------------------------------------------------- */
static struct {
    pthread_t thread;
    bool running;
    ntcp_service *svc;
    serve_parse_fn parse;
    int argc;
    char **argv;
    struct serve_args now;
    /* every expansion made: sessions may still point into them */
    strv *kept;
    int nkept;
} rl;
static const struct option *rl_opts;
static atomic_bool rl_stop;

void serve_ready(void)
{
#ifdef NETTCP_SYSTEMD
    sd_notify(0, "READY=1");
#endif
}

static bool same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static void reload(void)
{
#ifdef NETTCP_SYSTEMD
    sd_notify(0, "RELOADING=1");
#endif
    int xargc;
    char **xargv;
    struct serve_args a;
    if (serve_config_expand(rl.argc, rl.argv, rl_opts, &xargc, &xargv) != 0) {
        serve_log(LOG_ERR, "reload: the configuration cannot be read; keeping the previous one");
        goto done;
    }
    /* getopt prints its own complaints; parse returns -1 when all is well */
    if (rl.parse(xargc, xargv, &a) != -1) {
        serve_log(LOG_ERR, "reload: the configuration has errors; keeping the previous one");
        serve_config_free(xargc, xargv);
        goto done;
    }
    strv *k = realloc(rl.kept, (size_t)(rl.nkept + 1) * sizeof *k);
    if (!k) {
        serve_config_free(xargc, xargv);
        goto done;
    }
    rl.kept = k;
    rl.kept[rl.nkept++] = (strv){ xargv, xargc, xargc };
    if (!same_str(a.url, rl.now.url) || a.o.security != rl.now.o.security || !same_str(a.trace_path, rl.now.trace_path) ||
        a.o.server.limits.max_message != rl.now.o.server.limits.max_message ||
        a.o.xml.max_string_len != rl.now.o.xml.max_string_len || a.syslog != rl.now.syslog ||
        a.o.credential != rl.now.o.credential || !same_str(a.o.tls.cert_file, rl.now.o.tls.cert_file) ||
        !same_str(a.o.tls.key_file, rl.now.o.tls.key_file) || !same_str(a.o.tls.ca_file, rl.now.o.tls.ca_file) ||
        a.o.tls.validation != rl.now.o.tls.validation || a.o.tls.revocation != rl.now.o.tls.revocation ||
        a.o.tls.min_version != rl.now.o.tls.min_version || a.o.tls.max_version != rl.now.o.tls.max_version ||
        !same_str(a.wsdl_port, rl.now.wsdl_port) || !same_str(a.identity, rl.now.identity) ||
        a.o.workers != rl.now.o.workers || a.o.server.loops != rl.now.o.server.loops ||
        a.o.concurrency != rl.now.o.concurrency || a.o.inline_us != rl.now.o.inline_us)
        serve_log(LOG_WARNING, "reload: the URL, --security, --credential, the certificate options, --trace, --syslog, "
                               "--wsdl-port, --identity, the size limits, --workers, --loops, --concurrency and --inline-us "
                               "take effect at the next start; the rest applies now");
    if (ntcp_service_set_nns(rl.svc, &a.o.nns) != NTCP_OK) {
        const ntcp_error *e = ntcp_service_error(rl.svc);
        serve_log(LOG_ERR, "reload: the new security options were refused (%s; cause: %s); keeping the previous ones",
                  ntcp_error_text(e), ntcp_error_id(e));
        goto done;
    }
    atomic_store(&log_verbose, a.verbose);
    rl.now.o.nns = a.o.nns;
    rl.now.verbose = a.verbose;
    serve_log(LOG_INFO, "reloaded the configuration: keytab %s, new connections use it; open sessions continue",
              a.o.nns.keytab ? a.o.nns.keytab : "(KRB5_KTNAME or the default)");
done:
#ifdef NETTCP_SYSTEMD
    sd_notify(0, "READY=1");
#endif
    ;
}

static void *reload_thread(void *arg)
{
    (void)arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    for (;;) {
        int sig;
        if (sigwait(&set, &sig) != 0 || sig != SIGHUP)
            continue;
        if (atomic_load(&rl_stop))
            break;
        reload();
    }
    return NULL;
}

int serve_reload_start(ntcp_service *svc, serve_parse_fn parse, const struct option *opts, int argc, char **argv,
                       const struct serve_args *now)
{
    rl_opts = opts;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    rl.svc = svc;
    rl.parse = parse;
    rl.argc = argc;
    rl.argv = argv;
    rl.now = *now;
    atomic_store(&log_verbose, now->verbose);
    if (pthread_create(&rl.thread, NULL, reload_thread, NULL) != 0) {
        serve_log(LOG_ERR, "cannot start the reload thread");
        return 1;
    }
    rl.running = true;
    return 0;
}

void serve_reload_stop(void)
{
#ifdef NETTCP_SYSTEMD
    sd_notify(0, "STOPPING=1");
#endif
    if (rl.running) {
        atomic_store(&rl_stop, true);
        pthread_kill(rl.thread, SIGHUP); /* wakes its sigwait */
        pthread_join(rl.thread, NULL);
        rl.running = false;
    }
    for (int i = 0; i < rl.nkept; i++)
        serve_config_free(rl.kept[i].n, rl.kept[i].v);
    free(rl.kept);
    rl.kept = NULL;
    rl.nkept = 0;
}
