/* nettcp — call traces: one JSON object per line per event, enough to
 * reconstruct a failure afterwards (steps with their time, framing records
 * with their sizes, the negotiated security, errors with their cause). No
 * secret is ever written: no password, key, ticket or token, and no message
 * content — only record types and sizes. */
#ifndef NETTCP_TRACE_H
#define NETTCP_TRACE_H

#include <stdbool.h>
#include <nettcp/framing.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ntcp_trace ntcp_trace;

/* Opens (truncates) path; "-" is stderr. */
NTCP_MUST_CHECK ntcp_status ntcp_trace_open(ntcp_trace **t, const char *path);
void ntcp_trace_close(ntcp_trace *t);
/* One event: {"ms":…,"event":EVENT[,"conn":CONN],FIELDS}. fields is a list of
 * key/value string pairs ending with NULL; values are JSON-escaped. */
void ntcp_trace_event(ntcp_trace *t, const char *event, const char *conn, ...);
/* A framing record observer (ntcp_framing_set_record_cb): ctx is the trace. */
void ntcp_trace_record(void *ctx, bool sent, const ntcp_nmf_record *rec);
/* A handshake message observer (ntcp_nns_leg_cb): ctx is the trace. Writes
 * the direction, the message kind and the token's size, never the token. */
void ntcp_trace_leg(void *ctx, bool sent, uint8_t id, size_t len);
void ntcp_trace_leg_conn(ntcp_trace *t, const char *conn, bool sent, uint8_t id, size_t len);
/* The same with a connection label. */
void ntcp_trace_record_conn(ntcp_trace *t, const char *conn, bool sent, const ntcp_nmf_record *rec);

#ifdef __cplusplus
}
#endif
#endif
