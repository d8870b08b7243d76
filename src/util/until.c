/* See until.h. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
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

static void *run(void *p)
{
    job *j = p;
    j->work(j->arg);
    pthread_mutex_lock(&j->mu);
    j->done = true;
    bool abandoned = j->abandoned;
    pthread_cond_signal(&j->cv);
    pthread_mutex_unlock(&j->mu);
    if (abandoned && j->abandon)
        j->abandon(j->arg);
    if (abandoned)
        atomic_fetch_sub(&abandoned_running, 1);
    job_unref(j);
    return NULL;
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
    pthread_t t;
    bool started = !pthread_create(&t, NULL, run, j);
    if (!started) {
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
    job_unref(j);
    /* finished: nothing of the job runs once this returns; abandoned: it ends on its own */
    if (done)
        pthread_join(t, NULL);
    else
        pthread_detach(t);
    return done;
}
