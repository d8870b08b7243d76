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
#endif
