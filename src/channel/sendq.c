/* Messages waiting to be framed on one session (see sendq.h). */
#include "channel/sendq.h"

void ntcp_sendq_init(ntcp_sendq *q)
{
    q->head = q->tail = q->cur = NULL;
    q->waiting = 0;
}

static void release(ntcp_sendq_msg *m, ntcp_status st)
{
    if (m->done)
        m->done(m->ctx, m->p, st);
    ntcp_free(m);
}

ntcp_status ntcp_sendq_send(ntcp_sendq *q, ntcp_framing *f, const uint8_t *p, size_t n, size_t part,
                            ntcp_sendq_done_fn done, void *ctx)
{
    if (!p || !n || !part)
        return NTCP_E_INVALID_ARG;
    if (q->cur && !ntcp_framing_envelope_pending(f)) { /* the previous one is wholly queued */
        release(q->cur, NTCP_OK);
        q->cur = NULL;
    }
    ntcp_sendq_msg *m = ntcp_calloc(1, sizeof *m);
    if (!m)
        return NTCP_E_NOMEM;
    m->p = p;
    m->n = n;
    m->done = done;
    m->ctx = ctx;
    if (!ntcp_sendq_busy(q)) { /* nothing waits: its first part goes now */
        ntcp_status st = ntcp_framing_begin_envelope(f, p, n, part);
        if (st) {
            ntcp_free(m);
            return st;
        }
        if (ntcp_framing_envelope_pending(f))
            q->cur = m;
        else
            release(m, NTCP_OK);
        return NTCP_OK;
    }
    if (q->tail)
        q->tail->next = m;
    else
        q->head = m;
    q->tail = m;
    q->waiting++;
    return NTCP_OK;
}

ntcp_status ntcp_sendq_pump(ntcp_sendq *q, ntcp_framing *f, size_t low_water, size_t part, bool *produced)
{
    *produced = false;
    if (q->cur && !ntcp_framing_envelope_pending(f)) {
        release(q->cur, NTCP_OK);
        q->cur = NULL;
    }
    if ((!q->cur && !q->head) || ntcp_framing_output_pending(f) >= low_water || !ntcp_framing_is_open(f))
        return NTCP_OK; /* not open: faulted or failing, the session is ending */
    ntcp_status st;
    if (q->cur) {
        st = ntcp_framing_continue_envelope(f);
    } else {
        q->cur = q->head;
        q->head = q->cur->next;
        if (!q->head)
            q->tail = NULL;
        q->waiting--;
        q->cur->next = NULL;
        st = ntcp_framing_begin_envelope(f, q->cur->p, q->cur->n, part);
    }
    if (st)
        return st;
    *produced = true;
    if (!ntcp_framing_envelope_pending(f)) { /* wholly queued: its bytes are no longer needed */
        release(q->cur, NTCP_OK);
        q->cur = NULL;
    }
    return NTCP_OK;
}

bool ntcp_sendq_busy(const ntcp_sendq *q) { return q->cur || q->head; }

void ntcp_sendq_clear(ntcp_sendq *q)
{
    if (q->cur)
        release(q->cur, NTCP_E_CLOSED);
    for (ntcp_sendq_msg *m = q->head, *next; m; m = next) {
        next = m->next;
        release(m, NTCP_E_CLOSED);
    }
    ntcp_sendq_init(q);
}
