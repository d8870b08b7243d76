/* What the tests observe of the service host engine (not public API). */
#ifndef NTCP_SERVER_INT_H
#define NTCP_SERVER_INT_H
#include <stdbool.h>
#include <stddef.h>
#include <nettcp/server.h>

unsigned long ntcp__server_accept_calls(const ntcp_server *s); /* accept4 calls so far */
unsigned long ntcp__server_ticks(const ntcp_server *s);        /* timer ticks (every 250 ms) so far */
bool ntcp__server_accepting(const ntcp_server *s);            /* false while out of descriptors */
size_t ntcp__server_out_max(const ntcp_server *s);            /* the most output bytes one session held queued */
size_t ntcp__server_session_queued(const ntcp_server_session *ss); /* output bytes queued for the session now */
/* Requests one session may have read and not answered: the loop stops
 * reading it there (its replies waiting to be sent count too). */
#define NTCP__SESSION_READ_AHEAD 64
unsigned long ntcp__server_ends_deferred(const ntcp_server *s); /* peer's Ends that waited for replies so far */
unsigned long ntcp__server_reads_held(const ntcp_server *s); /* times a session's reading was held so far */
int ntcp__server_session_fd(const ntcp_server_session *ss);  /* the session's socket */

/* User code on a loop's thread. fn(ctx, loop, final) runs on the loop's
 * thread each time round, before it polls: there it may run user code
 * between ntcp__server_inline_begin and _end. If another thread took the
 * loop over meanwhile (ntcp__server_take_over), _end says false and fn
 * must return false at once without touching the loop: the thread leaves
 * and the loop goes on on the new one. final: the loop ended (user code
 * must go elsewhere; the return value is ignored). */
void ntcp__server_set_batch_end(ntcp_server *s, bool (*fn)(void *ctx, unsigned loop, bool final), void *ctx);
unsigned long ntcp__server_inline_begin(ntcp_server *s, unsigned loop); /* the run, for _end */
bool ntcp__server_inline_end(ntcp_server *s, unsigned loop, unsigned long run);
/* Any thread: the loop's inline state (a run number and whether user code
 * runs); taking over succeeds only if the same run is still going: a new
 * thread then serves the loop. */
unsigned long ntcp__server_inline_state(const ntcp_server *s, unsigned loop);
bool ntcp__server_take_over(ntcp_server *s, unsigned loop, unsigned long seen);
/* Waits for the threads that lost their loop to leave their user code
 * (after run() returned; ntcp_server_free does it too). */
void ntcp__server_join_strays(ntcp_server *s);
int ntcp__server_strays(const ntcp_server *s);               /* threads that lost their loop, still in user code */
unsigned long ntcp__server_takeovers(const ntcp_server *s);  /* loops taken over so far */
unsigned ntcp__server_runners(ntcp_server *s);               /* threads run() started and has not joined yet */
#endif
