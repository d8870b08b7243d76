/* The chunked output queue (see outq.h). */
#include <stdatomic.h>
#include <string.h>
#include "util/outq.h"

static _Atomic uint64_t joined_total;

uint64_t ntcp_outq_joined_total(void) { return atomic_load(&joined_total); }

void ntcp_outq_init(ntcp_outq *q, size_t max)
{
    memset(q, 0, sizeof *q);
    q->max = max;
}

static void chunk_free(ntcp_outq_chunk *c)
{
    ntcp_buf_free(&c->b);
    ntcp_free(c);
}

/* A written (or never used) chunk: kept as the spare when small, else freed. */
static void release(ntcp_outq *q, ntcp_outq_chunk *c)
{
    if (!q->spare && c->b.cap <= NTCP_OUTQ_SPARE_MAX) {
        c->b.len = 0;
        c->off = 0;
        c->next = NULL;
        q->spare = c;
    } else {
        chunk_free(c);
    }
}

void ntcp_outq_free(ntcp_outq *q)
{
    for (ntcp_outq_chunk *c = q->head, *next; c; c = next) {
        next = c->next;
        chunk_free(c);
    }
    if (q->spare)
        chunk_free(q->spare);
    ntcp_outq_init(q, q->max);
}

ntcp_buf *ntcp_outq_begin(ntcp_outq *q, size_t hint)
{
    q->fresh = false;
    q->before = NULL;
    size_t room = q->max > q->bytes ? q->max - q->bytes : 0;
    ntcp_outq_chunk *t = q->tail;
    if (!t || t->b.len >= NTCP_OUTQ_COALESCE || hint > NTCP_OUTQ_COALESCE) {
        ntcp_outq_chunk *c = q->spare;
        if (c) {
            q->spare = NULL;
        } else {
            if (!(c = ntcp_calloc(1, sizeof *c)))
                return NULL;
            ntcp_buf_init(&c->b, 0);
        }
        q->before = t;
        q->fresh = true;
        if (t)
            t->next = c;
        else
            q->head = c;
        q->tail = c;
        q->chunks++;
        t = c;
    }
    t->b.max = t->b.len + room;
    if (hint && hint <= room && t->b.cap < t->b.len + hint) {
        /* exactly what the output needs (the buffer's doubling would reserve
         * up to twice a large part); on failure the producer fails cleanly */
        uint8_t *d = ntcp_realloc(t->b.data, t->b.len + hint);
        if (d) {
            t->b.data = d;
            t->b.cap = t->b.len + hint;
        }
    }
    q->mark = t->b.len;
    return &t->b;
}

void ntcp_outq_end(ntcp_outq *q)
{
    ntcp_outq_chunk *t = q->tail;
    if (!t)
        return;
    if (t->b.len >= q->mark)
        q->bytes += t->b.len - q->mark;
    else /* a producer rolled back more than it appended: cannot happen, but keep the count true */
        q->bytes -= q->mark - t->b.len;
    if (q->fresh && t->b.len == 0) { /* nothing was appended to a new chunk: drop it */
        q->tail = q->before;
        if (q->before)
            q->before->next = NULL;
        else
            q->head = NULL;
        q->chunks--;
        release(q, t);
    }
    q->fresh = false;
    q->before = NULL;
    q->mark = 0;
}

ntcp_status ntcp_outq_append(ntcp_outq *q, const void *p, size_t n)
{
    if (!n)
        return NTCP_OK;
    ntcp_buf *b = ntcp_outq_begin(q, n);
    if (!b)
        return NTCP_E_NOMEM;
    ntcp_status st = ntcp_buf_append(b, p, n);
    ntcp_outq_end(q);
    return st;
}

size_t ntcp_outq_pending(const ntcp_outq *q) { return q->bytes; }
size_t ntcp_outq_chunks(const ntcp_outq *q) { return q->chunks; }

size_t ntcp_outq_iov(const ntcp_outq *q, struct iovec *iov, size_t max)
{
    size_t k = 0;
    for (const ntcp_outq_chunk *c = q->head; c && k < max; c = c->next) {
        if (c->b.len == c->off)
            continue;
        iov[k].iov_base = c->b.data + c->off;
        iov[k].iov_len = c->b.len - c->off;
        k++;
    }
    return k;
}

void ntcp_outq_consume(ntcp_outq *q, size_t n)
{
    while (n && q->head) {
        ntcp_outq_chunk *c = q->head;
        size_t left = c->b.len - c->off;
        if (n < left) {
            c->off += n;
            q->bytes -= n;
            return;
        }
        n -= left;
        q->bytes -= left;
        q->head = c->next;
        if (!q->head)
            q->tail = NULL;
        q->chunks--;
        release(q, c);
    }
}

ntcp_status ntcp_outq_join(ntcp_outq *q, const uint8_t **p, size_t *n)
{
    static const uint8_t empty[1];
    if (!q->head) {
        *p = empty;
        *n = 0;
        return NTCP_OK;
    }
    if (q->chunks > 1) {
        ntcp_outq_chunk *c = ntcp_calloc(1, sizeof *c);
        if (!c)
            return NTCP_E_NOMEM;
        ntcp_buf_init(&c->b, q->bytes);
        if (ntcp_buf_reserve(&c->b, q->bytes)) {
            ntcp_free(c);
            return NTCP_E_NOMEM;
        }
        for (ntcp_outq_chunk *o = q->head, *next; o; o = next) {
            next = o->next;
            memcpy(c->b.data + c->b.len, o->b.data + o->off, o->b.len - o->off);
            c->b.len += o->b.len - o->off;
            release(q, o);
        }
        atomic_fetch_add(&joined_total, (uint64_t)q->bytes);
        q->joined += q->bytes;
        q->head = q->tail = c;
        q->chunks = 1;
    }
    *p = q->head->b.data + q->head->off;
    *n = q->bytes;
    return NTCP_OK;
}
