/* The svclog format: E2ETraceEvent fragments laid out as .NET's
 * XmlWriterTraceListener writes them (System: EventID, Type 3, SubType,
 * Level = the TraceEventType value capped at 255, TimeCreated, Source,
 * Correlation, Execution, Channel, Computer; ApplicationData: TraceData/
 * DataItem), holding WCF's TraceRecord (Severity, TraceIdentifier,
 * Description, AppDomain, ExtendedData) or, for logged messages, its
 * MessageLogTraceRecord. Events WCF also traces use its trace code and
 * identifier; nettcp's own use identifiers urn:nettcp:trace:EVENT. */
#include <stdio.h>
#include <string.h>
#include <libxml/parser.h>
#include "xml/libxml.h"
#include <nettcp/client.h>
#include "channel/trace_int.h"

#define E2E_NS "http://schemas.microsoft.com/2004/06/E2ETraceEvent"
#define SYS_NS "http://schemas.microsoft.com/2004/06/windows/eventlog/system"
#define TR_NS "http://schemas.microsoft.com/2004/10/E2ETraceEvent/TraceRecord"
#define DICT_NS "http://schemas.microsoft.com/2006/08/ServiceModel/DictionaryTraceRecord"
#define MSG_NS "http://schemas.microsoft.com/2004/06/ServiceModel/Management/MessageTrace"
#define DOCS "https://docs.microsoft.com/dotnet/framework/wcf/diagnostics/tracing/"

/* WCF trace codes (System.ServiceModel.Diagnostics.TraceCode) */
enum {
    TC_THROWING_EXCEPTION = 0x20003,
    TC_MESSAGE_NOT_LOGGED_QUOTA = 0x2000B,
    TC_ACTIVITY_BOUNDARY = 0x2000D,
    TC_MESSAGE_RECEIVED = 0x40013,
    TC_MESSAGE_SENT = 0x40014,
    TC_SOCKET_CONNECTION_CLOSE = 0x4001A,
    TC_INITIATING_TCP_CONNECTION = 0x4002B,
    TC_TCP_CONNECT_ERROR = 0x4002F,
    TC_TCP_CONNECTION_RESET = 0x40070,
    TC_TCP_CONNECTION_TIMED_OUT = 0x40071,
    TC_SECURITY_NEGOTIATION_FAILURE = 0x70008,
    TC_SPNEGO_CLIENT_COMPLETED = 0x70020,
    TC_SPNEGO_CLIENT_NEGOTIATION = 0x70022,
    TC_SPNEGO_SERVICE_NEGOTIATION = 0x70023,
    TC_TRANSPORT_LISTEN = 0x80036,
};

static void esc(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        case '\r': fputs("&#xD;", f); break;
        case '\n': fputs("&#xA;", f); break;
        default:
            /* characters XML 1.0 cannot carry */
            if ((unsigned char)*s < 0x20 && *s != '\t')
                fputc('?', f);
            else
                fputc(*s, f);
        }
    }
}

static bool xml_name(const char *k)
{
    if (!k || !((*k >= 'A' && *k <= 'Z') || (*k >= 'a' && *k <= 'z') || *k == '_'))
        return false;
    for (; *k; k++)
        if (!((*k >= 'A' && *k <= 'Z') || (*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') || *k == '_' ||
              *k == '-' || *k == '.'))
            return false;
    return true;
}

/* A cause id read back from a trace: one of the security layer's (error.h's
 * table, from default_spn_not_service to keytab_empty)? */
static bool is_security_cause(const char *cause)
{
    ntcp_cause c = ntcp_cause_from_id(cause);
    return c >= NTCP_CAUSE_DEFAULT_SPN_NOT_SERVICE && c <= NTCP_CAUSE_KEYTAB_EMPTY;
}

typedef struct code {
    unsigned id;          /* EventID */
    const char *group;    /* "System-ServiceModel-Channels", ... (NULL: nettcp's own) */
    const char *name;
    char desc[4096];
} code;

static void describe(const ntcp_trace_ev *ev, code *c)
{
    const char *e = ev->event, *g;
    memset(c, 0, sizeof *c);
    const char *type = ntcp_trace_ev_get(ev, "type"), *dir = ntcp_trace_ev_get(ev, "dir");
    if (ev->kind == NTCP_TRACE_START || ev->kind == NTCP_TRACE_STOP) {
        *c = (code){ TC_ACTIVITY_BOUNDARY, "System-ServiceModel-Diagnostics", "ActivityBoundary", "Activity boundary." };
    } else if (!strcmp(e, "listening")) {
        c->id = TC_TRANSPORT_LISTEN, c->group = "System-ServiceModel", c->name = "TransportListen";
        snprintf(c->desc, sizeof c->desc, "Listen at '%s'.", (g = ntcp_trace_ev_get(ev, "url")) ? g : "");
    } else if (!strcmp(e, "open") || !strcmp(e, "doctor")) {
        *c = (code){ TC_INITIATING_TCP_CONNECTION, "System-ServiceModel-Channels", "InitiatingTcpConnection",
                     "Initiating TCP connection." };
    } else if (!strcmp(e, "record") && type && !strcmp(type, "SizedEnvelope") && dir) {
        bool sent = !strcmp(dir, "sent");
        *c = (code){ sent ? TC_MESSAGE_SENT : TC_MESSAGE_RECEIVED, "System-ServiceModel-Channels",
                     sent ? "MessageSent" : "MessageReceived", "" };
        snprintf(c->desc, sizeof c->desc, "%s", sent ? "Sent a message over a channel." : "Received a message over a channel.");
    } else if (!strcmp(e, "handshake")) {
        bool svc = ev->conn != NULL;
        c->id = svc ? TC_SPNEGO_SERVICE_NEGOTIATION : TC_SPNEGO_CLIENT_NEGOTIATION;
        c->group = "System-ServiceModel-Security";
        c->name = svc ? "SpnegoServiceNegotiation" : "SpnegoClientNegotiation";
        const char *m = ntcp_trace_ev_get(ev, "message"), *sz = ntcp_trace_ev_get(ev, "size");
        snprintf(c->desc, sizeof c->desc, "NegotiateStream handshake: %s %s (%s bytes of token, not traced).",
                 m ? m : "?", dir ? dir : "?", sz ? sz : "?");
    } else if (!strcmp(e, "opened") && (g = ntcp_trace_ev_get(ev, "package")) && strcmp(g, "none") != 0) {
        *c = (code){ TC_SPNEGO_CLIENT_COMPLETED, "System-ServiceModel-Security", "SpnegoClientNegotiationCompleted",
                     "SpnegoTokenProvider completed SSPI negotiation." };
    } else if (!strcmp(e, "closed")) {
        *c = (code){ TC_SOCKET_CONNECTION_CLOSE, "System-ServiceModel-Channels", "SocketConnectionClose",
                     "SocketConnection close" };
    } else if (!strcmp(e, "message_not_logged")) {
        *c = (code){ TC_MESSAGE_NOT_LOGGED_QUOTA, "System-ServiceModel-Diagnostics", "MessageNotLoggedQuotaExceeded",
                     "Message not logged because its size exceeds configured quota" };
    } else if (ev->kind == NTCP_TRACE_ERROR) {
        const char *cause = ntcp_trace_ev_get(ev, "cause"), *step = ntcp_trace_ev_get(ev, "step");
        if ((step && !strcmp(step, "security")) || (cause && is_security_cause(cause)))
            c->id = TC_SECURITY_NEGOTIATION_FAILURE, c->group = "System-ServiceModel-Security",
            c->name = "SecurityNegotiationProcessingFailure";
        else if (cause && (!strcmp(cause, "connection_refused") || !strcmp(cause, "host_unknown")))
            c->id = TC_TCP_CONNECT_ERROR, c->group = "System-ServiceModel-Channels", c->name = "TcpConnectError";
        else if (cause && !strcmp(cause, "connection_reset"))
            c->id = TC_TCP_CONNECTION_RESET, c->group = "System-ServiceModel-Channels", c->name = "TcpConnectionResetError";
        else if (cause && !strcmp(cause, "timeout"))
            c->id = TC_TCP_CONNECTION_TIMED_OUT, c->group = "System-ServiceModel-Channels",
            c->name = "TcpConnectionTimedOut";
        else
            c->id = TC_THROWING_EXCEPTION, c->group = "System-ServiceModel-Diagnostics", c->name = "ThrowingException";
    }
    if (c->desc[0])
        return;
    /* the description: the error and its cause and advice, or the event's fields */
    const char *err = ntcp_trace_ev_get(ev, "error"), *cause = ntcp_trace_ev_get(ev, "cause");
    if (!cause && ev->kind == NTCP_TRACE_ERROR && !strcmp(e, "step"))
        err = ntcp_trace_ev_get(ev, "detail");
    if (err || cause) {
        const char *advice = ntcp_trace_ev_get(ev, "advice");
        if (!advice && cause)
            advice = ntcp_cause_advice(ntcp_cause_from_id(cause)); /* an id read back from a trace */
        const char *step = ntcp_trace_ev_get(ev, "step");
        if (!step && !strcmp(e, "step"))
            step = ntcp_trace_ev_get(ev, "name");
        snprintf(c->desc, sizeof c->desc, "%s%s%s%s%s cause: %s. advice: %s", step ? "step " : "", step ? step : "",
                 step ? ": " : "", err ? err : "failed", err && *err && err[strlen(err) - 1] == '.' ? "" : ".",
                 cause ? cause : "?", advice && *advice ? advice : "-");
        return;
    }
    size_t n = (size_t)snprintf(c->desc, sizeof c->desc, "%s", e);
    for (size_t i = 0; i < ev->nfields && n < sizeof c->desc; i++)
        n += (size_t)snprintf(c->desc + n, sizeof c->desc - n, "%s %s=%s", i ? "," : ":", ev->keys[i], ev->vals[i]);
}

static bool well_formed(const char *x)
{
    ntcp__libxml_init();
    xmlDoc *d = xmlReadMemory(x, (int)strlen(x), NULL, "UTF-8", XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    bool ok = d && xmlDocGetRootElement(d);
    xmlFreeDoc(d);
    return ok;
}

void ntcp__svclog_write(FILE *f, const ntcp_trace_ev *ev)
{
    code c;
    bool msg = ev->kind == NTCP_TRACE_MESSAGE;
    if (msg)
        memset(&c, 0, sizeof c);
    else if (ev->kind != NTCP_TRACE_TRANSFER)
        describe(ev, &c);
    else
        memset(&c, 0, sizeof c);
    int level;
    switch (ev->kind) {
    case NTCP_TRACE_ERROR: level = 2; break;
    case NTCP_TRACE_WARNING: level = 4; break;
    case NTCP_TRACE_START:
    case NTCP_TRACE_STOP:
    case NTCP_TRACE_TRANSFER: level = 255; break;
    default: level = 8;
    }
    fprintf(f, "<E2ETraceEvent xmlns=\"" E2E_NS "\"><System xmlns=\"" SYS_NS "\"><EventID>%u</EventID><Type>3</Type>"
               "<SubType Name=\"%s\">0</SubType><Level>%d</Level><TimeCreated SystemTime=\"",
            c.id, ntcp_trace_kind_name(ev->kind), level);
    esc(f, ev->time);
    fprintf(f, "\" /><Source Name=\"%s\" /><Correlation ActivityID=\"{%s}\"",
            msg ? "System.ServiceModel.MessageLogging" : "System.ServiceModel",
            ev->activity[0] ? ev->activity : "00000000-0000-0000-0000-000000000000");
    if (ev->kind == NTCP_TRACE_TRANSFER)
        fprintf(f, " RelatedActivityID=\"{%s}\"", ev->related);
    fputs(" /><Execution ProcessName=\"", f);
    esc(f, ev->process ? ev->process : "nettcp");
    fprintf(f, "\" ProcessID=\"%lu\" ThreadID=\"%lu\" /><Channel/><Computer>", ev->pid, ev->tid);
    esc(f, ev->computer ? ev->computer : "localhost");
    fputs("</Computer></System><ApplicationData>", f);
    if (ev->kind == NTCP_TRACE_TRANSFER) {
        fputs("</ApplicationData></E2ETraceEvent>", f);
        return;
    }
    fputs("<TraceData><DataItem>", f);
    if (msg) {
        const char *v;
        fputs("<MessageLogTraceRecord Time=\"", f);
        esc(f, ev->time);
        fputs("\" Source=\"", f);
        esc(f, (v = ntcp_trace_ev_get(ev, "source")) ? v : "TransportReceive");
        fputs("\" Type=\"", f);
        esc(f, (v = ntcp_trace_ev_get(ev, "type")) ? v : "System.ServiceModel.Channels.BufferedMessage");
        fputs("\" xmlns=\"" MSG_NS "\"><Addressing>", f);
        static const char *const keys[] = { "action", "reply_to", "to", "message_id" };
        static const char *const elems[] = { "Action", "ReplyTo", "To", "MessageID" };
        for (int i = 0; i < 4; i++)
            if ((v = ntcp_trace_ev_get(ev, keys[i]))) {
                fprintf(f, "<%s>", elems[i]);
                esc(f, v);
                fprintf(f, "</%s>", elems[i]);
            }
        fputs("</Addressing>", f);
        v = ntcp_trace_ev_get(ev, "envelope");
        if (v && well_formed(v))
            fputs(v, f);
        else if (v) /* not XML: as text, never as markup */
            esc(f, v);
        fputs("</MessageLogTraceRecord>", f);
    } else {
        fprintf(f, "<TraceRecord xmlns=\"" TR_NS "\" Severity=\"%s\"><TraceIdentifier>", ntcp_trace_kind_name(ev->kind));
        if (c.group)
            fprintf(f, DOCS "%s-%s", c.group, c.name);
        else {
            fputs("urn:nettcp:trace:", f);
            esc(f, ev->event);
        }
        fputs("</TraceIdentifier><Description>", f);
        esc(f, c.desc);
        fputs("</Description><AppDomain>", f);
        esc(f, ev->process ? ev->process : "nettcp");
        fputs("</AppDomain>", f);
        if (ev->conn) {
            fputs("<Source>", f);
            esc(f, ev->conn);
            fputs("</Source>", f);
        }
        fputs("<ExtendedData xmlns=\"" DICT_NS "\">", f);
        if (ev->kind == NTCP_TRACE_START || ev->kind == NTCP_TRACE_STOP) {
            const char *t = ntcp_trace_ev_get(ev, "type");
            fputs("<ActivityName>", f);
            esc(f, ev->name ? ev->name : "");
            fputs("</ActivityName><ActivityType>", f);
            esc(f, t ? t : "Unknown");
            fputs("</ActivityType>", f);
        } else {
            fputs("<event>", f);
            esc(f, ev->event);
            fputs("</event>", f);
            if (ev->conn) {
                fputs("<conn>", f);
                esc(f, ev->conn);
                fputs("</conn>", f);
            }
            for (size_t i = 0; i < ev->nfields; i++) {
                if (!xml_name(ev->keys[i]))
                    continue;
                fprintf(f, "<%s>", ev->keys[i]);
                esc(f, ev->vals[i]);
                fprintf(f, "</%s>", ev->keys[i]);
            }
        }
        fputs("</ExtendedData></TraceRecord>", f);
    }
    /* back to back, no line break: as XmlWriterTraceListener */
    fputs("</DataItem></TraceData></ApplicationData></E2ETraceEvent>", f);
}
