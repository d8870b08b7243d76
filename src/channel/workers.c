/* The worker pool (see workers.h): one mutex, one condition, a FIFO. */
#include <pthread.h>
#include <stdbool.h>
#include <unistd.h>
#include "channel/workers.h"

struct ntcp__pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    ntcp__job *head, *tail;
    bool stopping;
    unsigned n;
    pthread_t *thr;
};

unsigned ntcp__cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

static void *worker(void *arg)
{
    ntcp__pool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->head && !p->stopping)
            pthread_cond_wait(&p->cv, &p->mu);
        ntcp__job *j = p->head;
        if (!j)
            break; /* stopping and nothing left */
        p->head = j->next;
        if (!p->head)
            p->tail = NULL;
        pthread_mutex_unlock(&p->mu);
        j->next = NULL;
        j->run(j);
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

ntcp_status ntcp__pool_new(ntcp__pool **out, unsigned n)
{
    if (n == 0)
        return NTCP_E_INVALID_ARG;
    ntcp__pool *p = ntcp_calloc(1, sizeof *p);
    if (!p)
        return NTCP_E_NOMEM;
    p->thr = ntcp_calloc(n, sizeof *p->thr);
    if (!p->thr) {
        ntcp_free(p);
        return NTCP_E_NOMEM;
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    for (; p->n < n; p->n++)
        if (pthread_create(&p->thr[p->n], NULL, worker, p) != 0)
            break;
    if (p->n == 0) {
        ntcp__pool_free(p);
        return NTCP_E_NOMEM;
    }
    *out = p;
    return NTCP_OK;
}

void ntcp__pool_submit(ntcp__pool *p, ntcp__job *j)
{
    j->next = NULL;
    pthread_mutex_lock(&p->mu);
    if (p->tail)
        p->tail->next = j;
    else
        p->head = j;
    p->tail = j;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

void ntcp__pool_free(ntcp__pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stopping = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 0; i < p->n; i++)
        pthread_join(p->thr[i], NULL);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    ntcp_free(p->thr);
    ntcp_free(p);
}
