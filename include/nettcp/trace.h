/* nettcp — call traces, enough to reconstruct a failure afterwards (steps
 * with their time, framing records with their sizes, the negotiated
 * security, errors with their cause), in one of two formats:
 *   json    one JSON object per line per event (the default);
 *   svclog  E2ETraceEvent fragments as .NET's XmlWriterTraceListener writes
 *           them, with WCF's TraceRecords, for Service Trace Viewer.
 * Events belong to activities as WCF draws them: one per connection (its
 * steps, records and handshake legs) and one per call ("Process action",
 * entered by a transfer from the connection). No secret is ever written: no
 * password, key, ticket or token; message contents only when message logging
 * was asked for, and then only envelopes (never NegotiateStream tokens). */
#ifndef NETTCP_TRACE_H
#define NETTCP_TRACE_H

#include <stdbool.h>
#include <nettcp/framing.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ntcp_trace ntcp_trace;

typedef enum ntcp_trace_format { NTCP_TRACE_JSON = 0, NTCP_TRACE_SVCLOG = 1 } ntcp_trace_format;
/* WCF's message logging levels (logMessagesAtTransportLevel / ...AtServiceLevel). */
typedef enum ntcp_trace_log_messages {
    NTCP_LOG_MESSAGES_OFF = 0,
    NTCP_LOG_MESSAGES_TRANSPORT = 1, /* every envelope as it crosses the wire (TransportSend/Receive) */
    NTCP_LOG_MESSAGES_SERVICE = 2    /* requests and replies as the call sees them (ServiceLevel...) */
} ntcp_trace_log_messages;

typedef struct ntcp_trace_config {
    ntcp_trace_format format;
    ntcp_trace_log_messages log_messages;
    bool log_entire_message;   /* false: the body is left out, as WCF's logEntireMessage="false" */
    size_t max_logged_size;    /* larger envelopes are not logged (a warning says so); WCF's 262144 */
    bool propagate_activity;   /* WCF's propagateActivity: a client sends its call's ActivityId
                                  header, a service adopts the one it receives */
    const char *role;          /* "client" or "service": names the activities; NULL = "client" */
    /* Events are written to the file by a thread of the trace's own, so the
     * threads that trace make no system call for it: at most queue_max bytes
     * (8 MiB by default; 0 = that) wait to be written, and a thread that
     * traces while they are full waits for the writer — events are never
     * dropped. ntcp_trace_close writes every queued event. A trace on stderr
     * is written at once, in order with the program's other messages. */
    size_t queue_max;
} ntcp_trace_config;
void ntcp_trace_config_init(ntcp_trace_config *c);

/* Opens (truncates) path; "-" is stderr. JSON, no message logging. */
NTCP_MUST_CHECK ntcp_status ntcp_trace_open(ntcp_trace **t, const char *path);
/* The same with a configuration (NULL = defaults). */
NTCP_MUST_CHECK ntcp_status ntcp_trace_open_config(ntcp_trace **t, const char *path, const ntcp_trace_config *c);
void ntcp_trace_close(ntcp_trace *t);
/* One event in the activity of connection CONN (NULL: the process's one
 * connection, as on a client): {"ms":…,"time":…,"activity":…,"event":EVENT
 * [,"conn":CONN],FIELDS}. fields is a list of key/value string pairs ending
 * with NULL; values are JSON-escaped. The first event of a connection starts
 * its activity. EVENT "request" starts a call activity (a transfer from the
 * connection's; with propagation, a service adopts the ActivityId the request
 * carried); "reply" ends it; "closed" ends the connection's. "error" and
 * "warning" are written at their level, with their cause's advice. */
void ntcp_trace_event(ntcp_trace *t, const char *event, const char *conn, ...);
/* Ends the activity of connection CONN (a call still open ends with it). */
void ntcp_trace_conn_end(ntcp_trace *t, const char *conn);
/* With propagate_activity: the ActivityId SOAP header of the call open on
 * CONN, as text XML (WCF's: <ActivityId CorrelationId="…" xmlns="http://
 * schemas.microsoft.com/2004/09/ServiceModel/Diagnostics">guid</ActivityId>),
 * for the request's headers. false (and "") without propagation or call. */
bool ntcp_trace_activity_header(ntcp_trace *t, const char *conn, char *out, size_t cap);
/* The current activity of CONN ("" when none): a GUID without braces. */
void ntcp_trace_current_activity(ntcp_trace *t, const char *conn, char out[37]);

/* ---- events as data: what `nettcp trace view|convert` read and write ---- */
typedef enum ntcp_trace_kind {
    NTCP_TRACE_INFO, NTCP_TRACE_WARNING, NTCP_TRACE_ERROR, NTCP_TRACE_START, NTCP_TRACE_STOP,
    NTCP_TRACE_TRANSFER, NTCP_TRACE_MESSAGE
} ntcp_trace_kind;
const char *ntcp_trace_kind_name(ntcp_trace_kind k); /* "Information", "Warning", ... as .NET's TraceEventType */
#define NTCP_TRACE_MAX_FIELDS 24
typedef struct ntcp_trace_ev {
    ntcp_trace_kind kind;
    const char *event;          /* "step", "record", "handshake", "error", "activity", "transfer", "message", ... */
    const char *conn;           /* may be NULL */
    char time[40];              /* UTC, ISO 8601 with 7 fractional digits and Z */
    double ms;                  /* since the trace was opened (json only; 0 when unknown) */
    char activity[37];          /* GUID, lower case, no braces */
    char related[37];           /* transfers: the activity entered */
    const char *name;           /* activities: their name (WCF's ActivityName) */
    const char *process, *computer;
    unsigned long pid, tid;
    size_t nfields;
    const char *keys[NTCP_TRACE_MAX_FIELDS], *vals[NTCP_TRACE_MAX_FIELDS];
} ntcp_trace_ev;
/* Writes one event as it is (time and activity included): for converters. */
void ntcp_trace_write(ntcp_trace *t, const ntcp_trace_ev *ev);
/* The value of field KEY, or NULL. */
const char *ntcp_trace_ev_get(const ntcp_trace_ev *ev, const char *key);
/* Reads a trace file of either format (told apart by its first byte), calling
 * fn for each event in file order; the event and its strings live until fn
 * returns. NTCP_E_MALFORMED with a line/fragment number in err when a part
 * does not parse; NTCP_E_IO when the file cannot be read. */
NTCP_MUST_CHECK ntcp_status ntcp_trace_read(const char *path, void (*fn)(void *ctx, const ntcp_trace_ev *ev),
                                            void *ctx, char *err, size_t cap);
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
