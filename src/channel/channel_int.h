/* What the client's concurrent calls need of the channel beyond its public
 * API: the connection it drives (socket, read buffer, framing session) and
 * its error reporting. Private to src/channel. */
#ifndef NETTCP_CHANNEL_INT_H
#define NETTCP_CHANNEL_INT_H

#include <nettcp/channel.h>
#include "channel/conn.h"

ntcp_conn *ntcp__channel_conn(ntcp_channel *ch);
/* A wait of the session timed out: close aborts instead of the End handshake. */
void ntcp__channel_timed_out(ntcp_channel *ch);
/* Records a failure at step (the framing session's explanation when it has
 * one for st, else detail) and returns st; ntcp_channel_error has it. */
ntcp_status ntcp__channel_fail(ntcp_channel *ch, ntcp_channel_step step, ntcp_status st, const char *detail);

#endif
