/* A fixed pool of threads running queued jobs in FIFO order (private).
 * The service runs its operations here, so the I/O threads never wait on
 * user code. Jobs are intrusive: no allocation per job. */
#ifndef NETTCP_CHANNEL_WORKERS_H
#define NETTCP_CHANNEL_WORKERS_H

#include <nettcp/util.h>

typedef struct ntcp__job {
    void (*run)(struct ntcp__job *j);
    struct ntcp__job *next;
} ntcp__job;

typedef struct ntcp__pool ntcp__pool;

/* n threads (n >= 1). */
NTCP_MUST_CHECK ntcp_status ntcp__pool_new(ntcp__pool **p, unsigned n);
/* Queues j; one of the threads runs j->run(j) soon. Any thread. */
void ntcp__pool_submit(ntcp__pool *p, ntcp__job *j);
/* Runs what is queued, waits for the running jobs to return, joins the threads. */
void ntcp__pool_free(ntcp__pool *p);
/* The number of online CPUs (1 when unknown). */
unsigned ntcp__cpu_count(void);

#endif
