/* Traces: activities and transfers, the svclog layout and escaping, the
 * ActivityId header, and reading both formats back. */
#include <stdlib.h>
#include <unistd.h>
#include <nettcp/trace.h>
#include "test.h"

typedef struct got {
    int n;
    ntcp_trace_kind kind[64];
    char event[64][32], activity[64][37], related[64][37], name[64][128], f0[64][128];
} got;

static void collect(void *ctx, const ntcp_trace_ev *ev)
{
    got *g = ctx;
    if (g->n >= 64)
        return;
    int i = g->n++;
    g->kind[i] = ev->kind;
    snprintf(g->event[i], sizeof g->event[i], "%s", ev->event);
    snprintf(g->activity[i], 37, "%s", ev->activity);
    snprintf(g->related[i], 37, "%s", ev->related);
    snprintf(g->name[i], sizeof g->name[i], "%s", ev->name ? ev->name : "");
    snprintf(g->f0[i], sizeof g->f0[i], "%s", ev->nfields ? ev->vals[0] : "");
}

static char *tmpfile_path(char *buf, size_t cap)
{
    snprintf(buf, cap, "/tmp/nettcp-trace-XXXXXX");
    int fd = mkstemp(buf);
    if (fd >= 0)
        close(fd);
    return buf;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *b = calloc(1, 1 << 20);
    if (b && fread(b, 1, (1 << 20) - 1, f) == 0)
        b[0] = 0;
    fclose(f);
    return b;
}

/* one call on a client: the connection's activity, the call's, transfers both ways */
static void one_call(ntcp_trace_format fmt, got *g)
{
    char path[64];
    tmpfile_path(path, sizeof path);
    ntcp_trace_config c;
    ntcp_trace_config_init(&c);
    c.format = fmt;
    ntcp_trace *t;
    CHECK_EQ_INT(ntcp_trace_open_config(&t, path, &c), NTCP_OK);
    ntcp_trace_event(t, "open", NULL, "url", "net.tcp://h/x", NULL);
    ntcp_trace_event(t, "step", NULL, "name", "connect", NULL);
    ntcp_trace_event(t, "request", NULL, "action", "urn:a", NULL);
    ntcp_trace_event(t, "reply", NULL, "action", "urn:aResponse", NULL);
    ntcp_trace_event(t, "closed", NULL, "status", "ok", NULL);
    ntcp_trace_close(t);
    char err[256];
    memset(g, 0, sizeof *g);
    CHECK_EQ_INT(ntcp_trace_read(path, collect, g, err, sizeof err), NTCP_OK);
    unlink(path);
}

static void check_call(const got *g)
{
    static const char *const events[] = { "activity", "open",  "step",     "transfer", "activity", "request",
                                          "reply",    "activity", "transfer", "closed",   "activity" };
    static const ntcp_trace_kind kinds[] = { NTCP_TRACE_START, NTCP_TRACE_INFO,     NTCP_TRACE_INFO, NTCP_TRACE_TRANSFER,
                                             NTCP_TRACE_START, NTCP_TRACE_INFO,     NTCP_TRACE_INFO, NTCP_TRACE_STOP,
                                             NTCP_TRACE_TRANSFER, NTCP_TRACE_INFO,  NTCP_TRACE_STOP };
    CHECK_EQ_INT(g->n, 11);
    for (int i = 0; i < 11 && i < g->n; i++) {
        CHECK_EQ_STR(g->event[i], events[i]);
        CHECK_EQ_INT(g->kind[i], kinds[i]);
    }
    if (g->n < 11)
        return;
    const char *conn = g->activity[0], *call = g->activity[4];
    CHECK_EQ_INT(strlen(conn), 36);
    CHECK(strcmp(conn, call) != 0);
    CHECK_EQ_STR(g->name[0], "Open 'net.tcp://h/x'.");
    CHECK_EQ_STR(g->name[4], "Process action 'urn:a'.");
    CHECK_EQ_STR(g->name[7], "Process action 'urn:a'.");
    CHECK_EQ_STR(g->name[10], "Open 'net.tcp://h/x'.");
    CHECK_EQ_STR(g->activity[3], conn); /* the connection hands over to the call */
    CHECK_EQ_STR(g->related[3], call);
    CHECK_EQ_STR(g->activity[5], call);
    CHECK_EQ_STR(g->activity[6], call);
    CHECK_EQ_STR(g->activity[8], call); /* and the call back */
    CHECK_EQ_STR(g->related[8], conn);
    CHECK_EQ_STR(g->activity[9], conn);
    CHECK_EQ_STR(g->activity[10], conn);
    CHECK_EQ_STR(g->f0[5], "urn:a");
}

TEST(trace_activities_json)
{
    got g;
    one_call(NTCP_TRACE_JSON, &g);
    check_call(&g);
}

TEST(trace_activities_svclog)
{
    got g;
    one_call(NTCP_TRACE_SVCLOG, &g);
    check_call(&g);
}

TEST(trace_svclog_error_layout)
{
    char path[64];
    tmpfile_path(path, sizeof path);
    ntcp_trace_config c;
    ntcp_trace_config_init(&c);
    c.format = NTCP_TRACE_SVCLOG;
    ntcp_trace *t;
    CHECK_EQ_INT(ntcp_trace_open_config(&t, path, &c), NTCP_OK);
    ntcp_trace_event(t, "error", NULL, "step", "open", "cause", "spn_unknown", "error", "a <bad> & \"odd\" 'one'\nend",
                     NULL);
    ntcp_trace_close(t);
    char *s = slurp(path);
    CHECK(s != NULL);
    if (s) {
        CHECK(strstr(s, "<EventID>458760</EventID><Type>3</Type><SubType Name=\"Error\">0</SubType><Level>2</Level>"
                        "<TimeCreated SystemTime=\"") != NULL);
        CHECK(strstr(s, "<TraceIdentifier>https://docs.microsoft.com/dotnet/framework/wcf/diagnostics/tracing/"
                        "System-ServiceModel-Security-SecurityNegotiationProcessingFailure</TraceIdentifier>") != NULL);
        /* XmlWriterTraceListener's escaping, and the cause and advice in the description */
        CHECK(strstr(s, "<Description>step open: a &lt;bad&gt; &amp; &quot;odd&quot; &apos;one&apos;&#xA;end. cause: "
                        "spn_unknown. advice: the KDC does not know the target name") != NULL);
        CHECK(strstr(s, "<TraceRecord xmlns=\"http://schemas.microsoft.com/2004/10/E2ETraceEvent/TraceRecord\" "
                        "Severity=\"Error\">") != NULL);
        CHECK(strstr(s, "<Channel/><Computer>") != NULL);
    }
    free(s);
    got g;
    memset(&g, 0, sizeof g);
    char err[256];
    CHECK_EQ_INT(ntcp_trace_read(path, collect, &g, err, sizeof err), NTCP_OK);
    /* Start, the error, Stop (at close) */
    CHECK_EQ_INT(g.n, 3);
    CHECK_EQ_INT(g.kind[1], NTCP_TRACE_ERROR);
    CHECK_EQ_STR(g.f0[1], "open");
    unlink(path);
}

TEST(trace_activity_header)
{
    char path[64];
    tmpfile_path(path, sizeof path);
    ntcp_trace_config c;
    ntcp_trace_config_init(&c);
    ntcp_trace *t;
    char h[256];
    CHECK_EQ_INT(ntcp_trace_open_config(&t, path, &c), NTCP_OK);
    ntcp_trace_event(t, "request", NULL, "action", "urn:a", NULL);
    CHECK(!ntcp_trace_activity_header(t, NULL, h, sizeof h)); /* not without propagation */
    CHECK_EQ_STR(h, "");
    ntcp_trace_close(t);
    c.propagate_activity = true;
    CHECK_EQ_INT(ntcp_trace_open_config(&t, path, &c), NTCP_OK);
    CHECK(!ntcp_trace_activity_header(t, NULL, h, sizeof h)); /* no call yet */
    ntcp_trace_event(t, "request", NULL, "action", "urn:a", NULL);
    CHECK(ntcp_trace_activity_header(t, NULL, h, sizeof h));
    char act[37];
    ntcp_trace_current_activity(t, NULL, act);
    char want[256];
    const char *corr = strstr(h, "CorrelationId=\"");
    CHECK(corr != NULL);
    if (corr) {
        snprintf(want, sizeof want,
                 "<ActivityId CorrelationId=\"%.36s\" xmlns=\"http://schemas.microsoft.com/2004/09/ServiceModel/"
                 "Diagnostics\">%s</ActivityId>",
                 corr + 15, act);
        CHECK_EQ_STR(h, want);
    }
    ntcp_trace_close(t);
    unlink(path);
}

TEST(trace_read_json_lines)
{
    char path[64];
    tmpfile_path(path, sizeof path);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f)
        return;
    fputs("{\"ms\":1.5,\"event\":\"step\",\"name\":\"a\\\"b\\\\c\\u00e9\\n\",\"n\":42,\"time\":\"2026-01-02T03:04:05.0000000Z\","
          "\"activity\":\"{0A000000-0000-4000-8000-000000000001}\",\"pid\":7,\"tid\":8}\n",
          f);
    fputs("\n{ \"event\" : \"x\" , \"level\" : \"Transfer\", \"related\":\"b\" }\n", f);
    fclose(f);
    got g;
    memset(&g, 0, sizeof g);
    char err[256];
    CHECK_EQ_INT(ntcp_trace_read(path, collect, &g, err, sizeof err), NTCP_OK);
    CHECK_EQ_INT(g.n, 2);
    CHECK_EQ_STR(g.event[0], "step");
    CHECK_EQ_STR(g.f0[0], "a\"b\\c\xc3\xa9\n"); /* the event's own name field, unescaped */
    CHECK_EQ_STR(g.name[0], "");
    CHECK_EQ_STR(g.activity[0], "0a000000-0000-4000-8000-000000000001");
    CHECK_EQ_INT(g.kind[1], NTCP_TRACE_TRANSFER);
    CHECK_EQ_STR(g.related[1], "b");
    /* a broken line is named */
    f = fopen(path, "w");
    fputs("{\"event\":\"a\"}\n{\"event\":\"b\",}\n", f);
    fclose(f);
    memset(&g, 0, sizeof g);
    CHECK_EQ_INT(ntcp_trace_read(path, collect, &g, err, sizeof err), NTCP_E_MALFORMED);
    CHECK_EQ_STR(err, "line 2 is not a JSON trace event");
    f = fopen(path, "w");
    fputs("{\"event\":\"a\",\"v\":{\"nested\":1}}\n", f);
    fclose(f);
    CHECK_EQ_INT(ntcp_trace_read(path, collect, &g, err, sizeof err), NTCP_E_MALFORMED);
    f = fopen(path, "w");
    fputs("<E2ETraceEvent xmlns=\"http://schemas.microsoft.com/2004/06/E2ETraceEvent\"><System", f);
    fclose(f);
    CHECK_EQ_INT(ntcp_trace_read(path, collect, &g, err, sizeof err), NTCP_E_MALFORMED);
    CHECK(strstr(err, "not E2ETraceEvent fragments") != NULL);
    unlink(path);
    CHECK_EQ_INT(ntcp_trace_read(path, collect, &g, err, sizeof err), NTCP_E_IO);
}

/* what WCF and .NET write themselves: a TraceRecord of WCF's, a plain message */
TEST(trace_read_wcf_svclog)
{
    char path[64];
    tmpfile_path(path, sizeof path);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f)
        return;
    fputs("\xef\xbb\xbf<E2ETraceEvent xmlns=\"http://schemas.microsoft.com/2004/06/E2ETraceEvent\"><System xmlns=\"http://"
          "schemas.microsoft.com/2004/06/windows/eventlog/system\"><EventID>262163</EventID><Type>3</Type><SubType "
          "Name=\"Information\">0</SubType><Level>8</Level><TimeCreated SystemTime=\"2010-10-19T20:35:49.1093750Z\" />"
          "<Source Name=\"System.ServiceModel\" /><Correlation ActivityID=\"{6A4D5A4C-0000-4000-8000-000000000001}\" />"
          "<Execution ProcessName=\"Svc\" ProcessID=\"4584\" ThreadID=\"1\" /><Channel/><Computer>WIN</Computer></System>"
          "<ApplicationData><TraceData><DataItem><TraceRecord xmlns=\"http://schemas.microsoft.com/2004/10/E2ETraceEvent/"
          "TraceRecord\" Severity=\"Information\"><TraceIdentifier>http://msdn.microsoft.com/en-US/library/"
          "System.ServiceModel.Channels.MessageReceived.aspx</TraceIdentifier><Description>Received a message over a "
          "channel.</Description><AppDomain>Svc.exe</AppDomain><ExtendedData xmlns=\"http://schemas.microsoft.com/2006/"
          "08/ServiceModel/MessageTransmitTraceRecord\"><MessageProperties><Encoder>application/soap+msbin1</Encoder>"
          "</MessageProperties></ExtendedData></TraceRecord></DataItem></TraceData></ApplicationData></E2ETraceEvent>\r\n",
          f);
    fputs("<E2ETraceEvent xmlns=\"http://schemas.microsoft.com/2004/06/E2ETraceEvent\"><System xmlns=\"http://"
          "schemas.microsoft.com/2004/06/windows/eventlog/system\"><EventID>0</EventID><Type>3</Type><SubType "
          "Name=\"Warning\">0</SubType><Level>4</Level><TimeCreated SystemTime=\"2010-10-19T20:35:50.0000000Z\" />"
          "<Source Name=\"App\" /><Correlation ActivityID=\"{00000000-0000-0000-0000-000000000000}\" /><Execution "
          "ProcessName=\"Svc\" ProcessID=\"4584\" ThreadID=\"1\" /><Channel/><Computer>WIN</Computer></System>"
          "<ApplicationData>disk &amp; more</ApplicationData></E2ETraceEvent>",
          f);
    fclose(f);
    got g;
    memset(&g, 0, sizeof g);
    char err[256];
    CHECK_EQ_INT(ntcp_trace_read(path, collect, &g, err, sizeof err), NTCP_OK);
    CHECK_EQ_INT(g.n, 2);
    CHECK_EQ_STR(g.event[0], "MessageReceived"); /* the identifier's last word */
    CHECK_EQ_STR(g.activity[0], "6a4d5a4c-0000-4000-8000-000000000001");
    CHECK_EQ_STR(g.f0[0], "application/soap+msbin1");
    CHECK_EQ_STR(g.event[1], "text");
    CHECK_EQ_INT(g.kind[1], NTCP_TRACE_WARNING);
    CHECK_EQ_STR(g.f0[1], "disk & more");
    unlink(path);
}
