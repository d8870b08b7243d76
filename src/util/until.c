/* See until.h. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <nettcp/util.h>
#include "util/until.h"

long long ntcp__now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static atomic_size_t abandoned_running; /* abandoned jobs whose work has not returned */

size_t ntcp_background_threads(void) { return atomic_load(&abandoned_running); }

typedef struct job {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    void (*work)(void *);
    void (*abandon)(void *);
    void *arg;
    int refs;
    bool done, abandoned;
} job;

static void job_unref(job *j)
{
    pthread_mutex_lock(&j->mu);
    bool last = --j->refs == 0;
    pthread_mutex_unlock(&j->mu);
    if (last) {
        pthread_cond_destroy(&j->cv);
        pthread_mutex_destroy(&j->mu);
        ntcp_free(j);
    }
}

/* Runs a job on the current thread: work, then tells the caller; an
 * abandoned job's arg is handed to abandon. */
static void run_job(job *j)
{
    j->work(j->arg);
    pthread_mutex_lock(&j->mu);
    j->done = true;
    bool abandoned = j->abandoned;
    if (!abandoned) /* the caller, waiting for done, frees it: this (kept) thread touches nothing of the */
        j->refs--;  /* library after the caller returns, such as the allocator a later ntcp_set_allocator sets */
    pthread_cond_signal(&j->cv);
    pthread_mutex_unlock(&j->mu);
    if (!abandoned)
        return;
    if (j->abandon)
        j->abandon(j->arg);
    atomic_fetch_sub(&abandoned_running, 1);
    job_unref(j);
}

/* ---- helper threads, kept for the next job ----------------------------------
 * A new thread per job cost a SOAP client's connection a tenth of its
 * instructions and ten system calls (the thread, then its krb5 context and
 * OpenSSL's per-thread random generators made again): a helper that
 * finished waits POOL_IDLE_MS for the next job, up to POOL_IDLE_MAX of them. */
#define POOL_IDLE_MAX 4
#define POOL_IDLE_MS 30000

typedef struct helper {
    pthread_t tid;
    pthread_cond_t cv; /* a job was given, or the library is being unloaded */
    job *j;            /* the job given to it */
    bool reaped;       /* the unloading library joins it */
    struct helper *next;
    ntcp_allocator alloc; /* the hook that made it: a helper outlives any ntcp_set_allocator */
} helper;

static void helper_free(helper *h)
{
    ntcp_allocator a = h->alloc;
    pthread_cond_destroy(&h->cv);
    a.free_fn(h, a.ctx);
}

static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static helper *idle; /* waiting for a job */
static unsigned idle_n;
static bool pool_closing;
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

static void pool_prepare(void) { pthread_mutex_lock(&pool_mu); }
static void pool_parent(void) { pthread_mutex_unlock(&pool_mu); }
static void pool_child(void)
{
    /* the helpers did not come along: a job in the child starts its own */
    idle = NULL;
    idle_n = 0;
    pthread_mutex_unlock(&pool_mu);
}
static void pool_init(void) { pthread_atfork(pool_prepare, pool_parent, pool_child); }

static void unlink_idle(helper *h)
{
    for (helper **pp = &idle; *pp; pp = &(*pp)->next)
        if (*pp == h) {
            *pp = h->next;
            idle_n--;
            return;
        }
}

static void *helper_main(void *p)
{
    helper *h = p;
    pthread_mutex_lock(&pool_mu);
    for (;;) {
        job *j = h->j;
        h->j = NULL;
        pthread_mutex_unlock(&pool_mu);
        run_job(j);
        pthread_mutex_lock(&pool_mu);
        if (pool_closing || idle_n >= POOL_IDLE_MAX)
            break;
        h->next = idle;
        idle = h;
        idle_n++;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += POOL_IDLE_MS / 1000;
        while (!h->j && !h->reaped)
            if (pthread_cond_timedwait(&h->cv, &pool_mu, &ts))
                break; /* its wait is over: a job may still have come with the lock */
        if (!h->j) {
            if (!h->reaped)
                unlink_idle(h);
            break;
        }
        /* whoever gave the job took it off the idle list */
    }
    bool reaped = h->reaped;
    pthread_mutex_unlock(&pool_mu);
    helper_free(h);
    if (!reaped)
        pthread_detach(pthread_self());
    return NULL;
}

/* Gives j to an idle helper or a new one; false when no thread could run it. */
static bool pool_start(job *j)
{
    pthread_once(&pool_once, pool_init);
    pthread_mutex_lock(&pool_mu);
    helper *h = idle;
    if (h) {
        idle = h->next;
        idle_n--;
        h->j = j;
        pthread_cond_signal(&h->cv);
        pthread_mutex_unlock(&pool_mu);
        return true;
    }
    pthread_mutex_unlock(&pool_mu);
    ntcp_allocator a;
    ntcp_get_allocator(&a);
    h = a.malloc_fn(sizeof *h, a.ctx);
    if (!h)
        return false;
    memset(h, 0, sizeof *h);
    h->alloc = a;
    pthread_condattr_t ca;
    bool cv_ok = false;
    if (!pthread_condattr_init(&ca)) {
        cv_ok = !pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) && !pthread_cond_init(&h->cv, &ca);
        pthread_condattr_destroy(&ca);
    }
    if (!cv_ok) {
        a.free_fn(h, a.ctx);
        return false;
    }
    h->j = j;
    if (pthread_create(&h->tid, NULL, helper_main, h)) {
        helper_free(h);
        return false;
    }
    return true;
}

/* The library is unloaded (or the process exits): the idle helpers end
 * before their code goes away. A helper still running an abandoned job is
 * as before: it finishes on its own. */
__attribute__((destructor)) static void pool_close(void)
{
    pthread_mutex_lock(&pool_mu);
    pool_closing = true;
    pthread_t tids[POOL_IDLE_MAX];
    unsigned n = 0;
    for (helper *h = idle; h; h = h->next) {
        h->reaped = true;
        pthread_cond_signal(&h->cv);
        if (n < POOL_IDLE_MAX)
            tids[n++] = h->tid;
    }
    idle = NULL;
    idle_n = 0;
    pthread_mutex_unlock(&pool_mu);
    for (unsigned i = 0; i < n; i++)
        pthread_join(tids[i], NULL);
}

bool ntcp__run_until(void (*work)(void *), void (*abandon)(void *), void *arg, long long deadline_ms)
{
    job *j = ntcp_calloc(1, sizeof *j);
    pthread_condattr_t ca;
    bool cv_ok = false;
    if (j && !pthread_condattr_init(&ca)) {
        cv_ok = !pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) && !pthread_cond_init(&j->cv, &ca);
        pthread_condattr_destroy(&ca);
    }
    if (!cv_ok) {
        ntcp_free(j);
        work(arg);
        return true;
    }
    pthread_mutex_init(&j->mu, NULL);
    j->work = work;
    j->abandon = abandon;
    j->arg = arg;
    j->refs = 2;
    if (!pool_start(j)) {
        j->refs = 1;
        job_unref(j);
        work(arg);
        return true;
    }
    struct timespec ts = { (time_t)(deadline_ms / 1000), (long)(deadline_ms % 1000) * 1000000L };
    pthread_mutex_lock(&j->mu);
    while (!j->done)
        if (pthread_cond_timedwait(&j->cv, &j->mu, &ts) && !j->done)
            break; /* the deadline (or an error) first */
    bool done = j->done;
    if (!done) {
        j->abandoned = true;
        atomic_fetch_add(&abandoned_running, 1);
    }
    pthread_mutex_unlock(&j->mu);
    /* finished: nothing of the job runs once this returns (its helper only
     * lets go of j); abandoned: it ends on its own */
    job_unref(j);
    return done;
}

unsigned ntcp__run_until_idle_helpers(void)
{
    pthread_mutex_lock(&pool_mu);
    unsigned n = idle_n;
    pthread_mutex_unlock(&pool_mu);
    return n;
}
