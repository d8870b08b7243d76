/* An output queue of chunks (private). Producers append into the tail
 * chunk through an ntcp_buf; the I/O layer writes the chunks with one
 * writev/sendmsg and reports how much went out. A partial write moves an
 * offset, never bytes, and a chunk is freed once written, so a large output
 * is never moved and a slow reader holds only what was produced for it. */
#ifndef NTCP_UTIL_OUTQ_H
#define NTCP_UTIL_OUTQ_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>
#include <nettcp/util.h>

/* an output joins the tail chunk while that is smaller than this (small
 * records go out together); a larger one starts a chunk of its own */
#define NTCP_OUTQ_COALESCE 16384
/* a written chunk's buffer up to this size is kept for the next output */
#define NTCP_OUTQ_SPARE_MAX 16384

typedef struct ntcp_outq_chunk {
    struct ntcp_outq_chunk *next;
    ntcp_buf b;
    size_t off; /* written already */
} ntcp_outq_chunk;

typedef struct ntcp_outq {
    ntcp_outq_chunk *head, *tail, *spare;
    ntcp_outq_chunk *before; /* between begin and end: the tail before a fresh chunk (NULL: none was made) */
    bool fresh;
    size_t bytes;  /* pending */
    size_t max;    /* pending bytes allowed (ntcp_buf limits each append to the room left) */
    size_t mark;   /* the tail's length at begin */
    size_t chunks; /* in the list */
    uint64_t joined; /* bytes copied to give one contiguous view (ntcp_outq_join) */
} ntcp_outq;

void ntcp_outq_init(ntcp_outq *q, size_t max);
void ntcp_outq_free(ntcp_outq *q);
/* The buffer to append the next output to (hint: its expected size, to
 * reserve once); NULL when out of memory. Every begin is followed by end,
 * whatever the producer did (appended, failed, rolled its length back). */
ntcp_buf *ntcp_outq_begin(ntcp_outq *q, size_t hint);
void ntcp_outq_end(ntcp_outq *q);
NTCP_MUST_CHECK ntcp_status ntcp_outq_append(ntcp_outq *q, const void *p, size_t n);
size_t ntcp_outq_pending(const ntcp_outq *q);
size_t ntcp_outq_chunks(const ntcp_outq *q);
/* Up to max iovecs of the pending bytes, in order; returns how many. */
size_t ntcp_outq_iov(const ntcp_outq *q, struct iovec *iov, size_t max);
/* n bytes were written (more than pending: all); written chunks are freed. */
void ntcp_outq_consume(ntcp_outq *q, size_t n);
/* The pending bytes as one piece (joins the chunks into one when there are
 * several: a copy, for callers that cannot write a vector). */
NTCP_MUST_CHECK ntcp_status ntcp_outq_join(ntcp_outq *q, const uint8_t **p, size_t *n);
/* Bytes copied by ntcp_outq_join in this process (tests and benchmarks). */
uint64_t ntcp_outq_joined_total(void);
#endif
