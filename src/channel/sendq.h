/* Messages waiting to be framed on one session (private, sans-I/O): each
 * is protected and queued a part at a time, the next part only while the
 * framing session's output holds less than a low watermark, so a session
 * whose reader is slow holds a bounded amount of output, and a large reply
 * is never protected whole in one go. */
#ifndef NTCP_CHANNEL_SENDQ_H
#define NTCP_CHANNEL_SENDQ_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <nettcp/framing.h>

/* st: NTCP_OK once the message's last part is queued into the framing
 * session, else why it never will be (NTCP_E_CLOSED: the session ended) */
typedef void (*ntcp_sendq_done_fn)(void *ctx, const uint8_t *p, ntcp_status st);

typedef struct ntcp_sendq_msg {
    struct ntcp_sendq_msg *next;
    const uint8_t *p;
    size_t n;
    ntcp_sendq_done_fn done; /* called once p is no longer needed (may be NULL) */
    void *ctx;
} ntcp_sendq_msg;

typedef struct ntcp_sendq {
    ntcp_sendq_msg *head, *tail; /* waiting */
    ntcp_sendq_msg *cur;         /* begun: parts of it are still to be queued */
    size_t waiting;              /* messages in head..tail */
} ntcp_sendq;

void ntcp_sendq_init(ntcp_sendq *q);
/* Adds a message; p stays valid until done is called. With nothing
 * waiting, its first part goes into f now (all of it when it is at most
 * `part` bytes: then done is called before this returns). On an error
 * (the framing session's, as it is) done is not called. */
NTCP_MUST_CHECK ntcp_status ntcp_sendq_send(ntcp_sendq *q, ntcp_framing *f, const uint8_t *p, size_t n, size_t part,
                                            ntcp_sendq_done_fn done, void *ctx);
/* Queues at most one part (of `part` bytes) into f's output when that holds
 * less than low_water bytes: *produced says whether it did. A message whose
 * last part is queued is released. A framing error comes back as it is
 * (the session has failed). */
NTCP_MUST_CHECK ntcp_status ntcp_sendq_pump(ntcp_sendq *q, ntcp_framing *f, size_t low_water, size_t part,
                                            bool *produced);
/* Messages not yet wholly queued into the framing session. */
bool ntcp_sendq_busy(const ntcp_sendq *q);
/* Releases every message (the session ended). */
void ntcp_sendq_clear(ntcp_sendq *q);
#endif
