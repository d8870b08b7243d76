/* Inside the trace writer: the two formats and the message renderer. */
#ifndef NETTCP_TRACE_INT_H
#define NETTCP_TRACE_INT_H

#include <stdio.h>
#include <nettcp/trace.h>
#include <nettcp/xml.h>

/* A JSON string literal of the NUL-terminated s (NULL: ""), ill-formed UTF-8 as U+FFFD. */
void ntcp__json_string(FILE *f, const char *s);
/* One event as a JSON line. */
void ntcp__trace_json_write(FILE *f, const ntcp_trace_ev *ev);
/* One event as an E2ETraceEvent fragment (svclog.c). */
void ntcp__svclog_write(FILE *f, const ntcp_trace_ev *ev);

/* An envelope rendered for message logging (tracemsg.c). */
typedef struct ntcp__rendered {
    char *envelope;                       /* text XML of the whole envelope, body left out unless entire */
    char *action, *to, *message_id, *relates_to, *reply_to;
    char activity_id[37];                 /* the ActivityId header's GUID, "" when absent */
} ntcp__rendered;
/* Decodes one NBFSE payload with the direction's session dictionary (fed
 * either way, so later messages decode) and renders it. Security headers
 * are reduced to "Removed". */
ntcp_status ntcp__trace_render(const uint8_t *payload, size_t len, ntcp_xml_session *s, bool entire,
                               ntcp__rendered *out);
void ntcp__rendered_clear(ntcp__rendered *r);

/* ntcp_trace_read on a trace held in memory (trace_read.c). */
ntcp_status ntcp__trace_read_mem(const char *mem, size_t len, void (*fn)(void *ctx, const ntcp_trace_ev *ev), void *ctx,
                                 char *err, size_t cap);

/* Benchmarks only: traces opened while this is true write each event to the
 * file on the tracing thread with fflush, as before the writer thread. */
extern bool ntcp__trace_direct;

#define NTCP__DIAG_NS "http://schemas.microsoft.com/2004/09/ServiceModel/Diagnostics"

#endif
