/* Reading traces back (ntcp_trace_read): JSON lines (flat objects of
 * strings and numbers, which is all nettcp writes: a small parser of its
 * own) and svclog files (E2ETraceEvent fragments, wrapped in a root element
 * and read with libxml2). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include "xml/libxml.h"
#include <libxml/tree.h>
#include <nettcp/trace.h>
#include <nettcp/util.h>
#include "channel/trace_int.h"

#define MAX_FILE ((size_t)1 << 30)

static ntcp_status slurp(const char *path, char **out, size_t *len)
{
    FILE *f = !strcmp(path, "-") ? stdin : fopen(path, "rb");
    if (!f)
        return NTCP_E_IO;
    size_t cap = 65536, n = 0;
    ntcp_status st = NTCP_OK;
    char *b = ntcp_malloc(cap + 1);
    while (b) {
        size_t r = fread(b + n, 1, cap - n, f);
        n += r;
        if (n < cap)
            break;
        if (cap >= MAX_FILE) {
            st = NTCP_E_MESSAGE_TOO_LARGE;
            break;
        }
        char *nb = ntcp_realloc(b, cap * 2 + 1);
        if (!nb) {
            ntcp_free(b);
            b = NULL;
            break;
        }
        b = nb;
        cap *= 2;
    }
    if (!st && !b)
        st = NTCP_E_NOMEM;
    if (!st && ferror(f))
        st = NTCP_E_IO;
    if (f != stdin)
        fclose(f);
    if (st) {
        ntcp_free(b);
        return st;
    }
    b[n] = 0;
    *out = b;
    *len = n;
    return NTCP_OK;
}

/* ---- JSON lines ------------------------------------------------------------ */
static const char *ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\r')
        p++;
    return p;
}

static void put_utf8(char **o, unsigned u)
{
    char *q = *o;
    if (u < 0x80)
        *q++ = (char)u;
    else if (u < 0x800)
        *q++ = (char)(0xC0 | u >> 6), *q++ = (char)(0x80 | (u & 0x3F));
    else
        *q++ = (char)(0xE0 | u >> 12), *q++ = (char)(0x80 | ((u >> 6) & 0x3F)), *q++ = (char)(0x80 | (u & 0x3F));
    *o = q;
}

/* A string at p (after its quote), unescaped in place into *o (never longer
 * than the source). Returns the position after the closing quote or NULL. */
static char *jstring(char *p, char **o)
{
    char *q = p;
    *o = q;
    while (*p && *p != '"') {
        if (*p != '\\') {
            *q++ = *p++;
            continue;
        }
        p++;
        switch (*p) {
        case '"': case '\\': case '/': *q++ = *p++; break;
        case 'n': *q++ = '\n', p++; break;
        case 't': *q++ = '\t', p++; break;
        case 'r': *q++ = '\r', p++; break;
        case 'b': *q++ = '\b', p++; break;
        case 'f': *q++ = '\f', p++; break;
        case 'u': {
            unsigned u = 0;
            for (int i = 1; i <= 4; i++) {
                char c = p[i];
                int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
                if (d < 0)
                    return NULL;
                u = u * 16 + (unsigned)d;
            }
            p += 5;
            if (u >= 0xD800 && u < 0xE000)
                u = '?'; /* surrogates: nettcp never writes them */
            put_utf8(&q, u); /* \uXXXX is 6 bytes, its UTF-8 at most 3 */
            break;
        }
        default: return NULL;
        }
    }
    if (*p != '"')
        return NULL;
    *q = 0;
    return p + 1;
}

static ntcp_trace_kind kind_of(const char *level)
{
    static const struct {
        const char *n;
        ntcp_trace_kind k;
    } t[] = { { "Warning", NTCP_TRACE_WARNING }, { "Error", NTCP_TRACE_ERROR },     { "Critical", NTCP_TRACE_ERROR },
              { "Start", NTCP_TRACE_START },     { "Stop", NTCP_TRACE_STOP },       { "Transfer", NTCP_TRACE_TRANSFER } };
    for (size_t i = 0; level && i < sizeof t / sizeof t[0]; i++)
        if (!strcmp(level, t[i].n))
            return t[i].k;
    return NTCP_TRACE_INFO;
}

static void braces_off(const char *s, char out[37])
{
    if (*s == '{')
        s++;
    size_t n = 0;
    for (; s[n] && s[n] != '}' && n < 36; n++)
        out[n] = (char)(s[n] >= 'A' && s[n] <= 'F' ? s[n] + 32 : s[n]);
    out[n] = 0;
}

static bool json_line(char *line, ntcp_trace_ev *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->event = "?";
    char *p = (char *)ws(line);
    if (*p++ != '{')
        return false;
    p = (char *)ws(p);
    if (*p == '}')
        return true;
    for (;;) {
        if (*p++ != '"')
            return false;
        char *k, *v;
        if (!(p = jstring(p, &k)))
            return false;
        p = (char *)ws(p);
        if (*p++ != ':')
            return false;
        p = (char *)ws(p);
        char d = 0; /* the delimiter after the value, when the value's end overwrote it */
        if (*p == '"') {
            if (!(p = jstring(p + 1, &v)))
                return false;
        } else { /* a number or a literal: kept as its text */
            v = p;
            while (*p && *p != ',' && *p != '}' && *p != ' ')
                p++;
            if (p == v || *v == '{' || *v == '[')
                return false;
            d = *p;
            if (d) {
                *p = 0;
                p++;
            }
            if (d == ' ')
                d = 0;
        }
        if (!strcmp(k, "ms"))
            ev->ms = strtod(v, NULL);
        else if (!strcmp(k, "time"))
            snprintf(ev->time, sizeof ev->time, "%s", v);
        else if (!strcmp(k, "activity"))
            braces_off(v, ev->activity);
        else if (!strcmp(k, "related"))
            braces_off(v, ev->related);
        else if (!strcmp(k, "event"))
            ev->event = v;
        else if (!strcmp(k, "conn"))
            ev->conn = v;
        else if (!strcmp(k, "level"))
            ev->kind = kind_of(v);
        else if (!strcmp(k, "name") && (ev->kind == NTCP_TRACE_START || ev->kind == NTCP_TRACE_STOP))
            ev->name = v; /* an activity's ("level" comes first); else the event's own field */
        else if (!strcmp(k, "pid"))
            ev->pid = strtoul(v, NULL, 10);
        else if (!strcmp(k, "tid"))
            ev->tid = strtoul(v, NULL, 10);
        else if (ev->nfields < NTCP_TRACE_MAX_FIELDS) {
            ev->keys[ev->nfields] = k;
            ev->vals[ev->nfields++] = v;
        }
        if (!d) {
            p = (char *)ws(p);
            d = *p;
            if (d)
                p++;
        }
        if (d == ',') {
            p = (char *)ws(p);
            continue;
        }
        if (d != '}')
            return false;
        break;
    }
    if (!strcmp(ev->event, "message"))
        ev->kind = NTCP_TRACE_MESSAGE;
    return true;
}

static ntcp_status read_json(char *data, void (*fn)(void *, const ntcp_trace_ev *), void *ctx, char *err, size_t cap)
{
    size_t lineno = 0;
    for (char *line = data; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        lineno++;
        if (*ws(line)) {
            ntcp_trace_ev ev;
            if (!json_line(line, &ev)) {
                snprintf(err, cap, "line %zu is not a JSON trace event", lineno);
                return NTCP_E_MALFORMED;
            }
            fn(ctx, &ev);
        }
        line = nl ? nl + 1 : NULL;
    }
    return NTCP_OK;
}

/* ---- svclog ------------------------------------------------------------------ */
static xmlNode *child(xmlNode *n, const char *name)
{
    for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, name))
            return c;
    return NULL;
}

/* strings owned by the event being built */
typedef struct pool {
    char *s[2 * NTCP_TRACE_MAX_FIELDS + 8];
    size_t n;
} pool;

static const char *keep(pool *p, xmlChar *s)
{
    if (!s)
        return NULL;
    if (p->n >= sizeof p->s / sizeof p->s[0]) {
        xmlFree(s);
        return NULL;
    }
    p->s[p->n++] = (char *)s;
    return (const char *)s;
}

static void pool_free(pool *p)
{
    for (size_t i = 0; i < p->n; i++)
        xmlFree(p->s[i]);
    p->n = 0;
}

static void add(ntcp_trace_ev *ev, const char *k, const char *v)
{
    if (k && v && ev->nfields < NTCP_TRACE_MAX_FIELDS) {
        ev->keys[ev->nfields] = k;
        ev->vals[ev->nfields++] = v;
    }
}

static void svclog_event(xmlNode *e, ntcp_trace_ev *ev, pool *p)
{
    memset(ev, 0, sizeof *ev);
    ev->event = "?";
    xmlNode *sys = child(e, "System"), *n;
    const char *sub = (n = child(sys, "SubType")) ? keep(p, xmlGetProp(n, (const xmlChar *)"Name")) : NULL;
    ev->kind = kind_of(sub);
    if ((n = child(sys, "TimeCreated"))) {
        xmlChar *t = xmlGetProp(n, (const xmlChar *)"SystemTime");
        snprintf(ev->time, sizeof ev->time, "%s", t ? (const char *)t : "");
        xmlFree(t);
    }
    const char *src = (n = child(sys, "Source")) ? keep(p, xmlGetProp(n, (const xmlChar *)"Name")) : NULL;
    if ((n = child(sys, "Correlation"))) {
        xmlChar *a = xmlGetProp(n, (const xmlChar *)"ActivityID"), *r = xmlGetProp(n, (const xmlChar *)"RelatedActivityID");
        if (a)
            braces_off((const char *)a, ev->activity);
        if (r)
            braces_off((const char *)r, ev->related);
        xmlFree(a);
        xmlFree(r);
    }
    if ((n = child(sys, "Execution"))) {
        ev->process = keep(p, xmlGetProp(n, (const xmlChar *)"ProcessName"));
        xmlChar *pid = xmlGetProp(n, (const xmlChar *)"ProcessID"), *tid = xmlGetProp(n, (const xmlChar *)"ThreadID");
        ev->pid = pid ? strtoul((const char *)pid, NULL, 10) : 0;
        ev->tid = tid ? strtoul((const char *)tid, NULL, 10) : 0;
        xmlFree(pid);
        xmlFree(tid);
    }
    if ((n = child(sys, "Computer")))
        ev->computer = keep(p, xmlNodeGetContent(n));
    if (ev->kind == NTCP_TRACE_TRANSFER) {
        ev->event = "transfer";
        return;
    }
    xmlNode *item = child(child(child(e, "ApplicationData"), "TraceData"), "DataItem");
    xmlNode *rec = NULL;
    for (xmlNode *c = item ? item->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE) {
            rec = c;
            break;
        }
    if (!rec) { /* TraceEvent's plain message (XmlWriterTraceListener writes it as text) */
        ev->event = "text";
        xmlNode *ad = child(e, "ApplicationData");
        const char *t = ad ? keep(p, xmlNodeGetContent(ad)) : NULL;
        if (t && *t)
            add(ev, "description", t);
        return;
    }
    if (!strcmp((const char *)rec->name, "MessageLogTraceRecord")) {
        ev->kind = NTCP_TRACE_MESSAGE;
        ev->event = "message";
        add(ev, "source", keep(p, xmlGetProp(rec, (const xmlChar *)"Source")));
        add(ev, "type", keep(p, xmlGetProp(rec, (const xmlChar *)"Type")));
        static const char *const elems[] = { "Action", "ReplyTo", "To", "MessageID", "RelatesTo" };
        static const char *const keys[] = { "action", "reply_to", "to", "message_id", "relates_to" };
        xmlNode *a = child(rec, "Addressing");
        for (int i = 0; i < 5; i++)
            if ((n = child(a, elems[i])))
                add(ev, keys[i], keep(p, xmlNodeGetContent(n)));
        for (xmlNode *c = rec->children; c; c = c->next)
            if (c->type == XML_ELEMENT_NODE && c != a && strcmp((const char *)c->name, "Properties") != 0) {
                xmlBuffer *b = xmlBufferCreate();
                if (b && xmlNodeDump(b, c->doc, c, 0, 0) >= 0)
                    add(ev, "envelope", keep(p, xmlStrdup(xmlBufferContent(b))));
                xmlBufferFree(b);
                break;
            }
        return;
    }
    (void)src;
    const char *tid = (n = child(rec, "TraceIdentifier")) ? keep(p, xmlNodeGetContent(n)) : NULL;
    xmlNode *ext = child(rec, "ExtendedData");
    if (ev->kind == NTCP_TRACE_START || ev->kind == NTCP_TRACE_STOP) {
        ev->event = "activity";
        if ((n = child(ext, "ActivityName")))
            ev->name = keep(p, xmlNodeGetContent(n));
        if ((n = child(ext, "ActivityType")))
            add(ev, "type", keep(p, xmlNodeGetContent(n)));
        return;
    }
    const char *ev_name = NULL;
    for (xmlNode *c = ext ? ext->children : NULL; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        const char *v = keep(p, xmlNodeGetContent(c));
        if (!strcmp((const char *)c->name, "event"))
            ev_name = v;
        else if (!strcmp((const char *)c->name, "conn"))
            ev->conn = v;
        else
            add(ev, (const char *)c->name, v);
    }
    if (!ev_name && tid) { /* a trace of WCF itself: the identifier's last word (before .aspx) */
        size_t tl = strlen(tid);
        if (tl > 5 && !strcmp(tid + tl - 5, ".aspx"))
            tl -= 5;
        const char *s = tid + tl;
        while (s > tid && s[-1] != '/' && s[-1] != '-' && s[-1] != ':' && s[-1] != '.')
            s--;
        ev_name = keep(p, xmlStrndup((const xmlChar *)s, (int)(tid + tl - s)));
        if ((n = child(rec, "Description")))
            add(ev, "description", keep(p, xmlNodeGetContent(n)));
    }
    if (ev->kind == NTCP_TRACE_ERROR && !ntcp_trace_ev_get(ev, "description") && (n = child(rec, "Description")))
        add(ev, "description", keep(p, xmlNodeGetContent(n)));
    ev->event = ev_name ? ev_name : "?";
}

static ntcp_status read_svclog(const char *data, size_t len, void (*fn)(void *, const ntcp_trace_ev *), void *ctx,
                               char *err, size_t cap)
{
    /* fragments without a root: wrap them in one */
    static const char open_tag[] = "<svclog>", close_tag[] = "</svclog>";
    if (len >= 3 && (unsigned char)data[0] == 0xEF && (unsigned char)data[1] == 0xBB && (unsigned char)data[2] == 0xBF)
        data += 3, len -= 3;
    if (len > INT32_MAX - 64)
        return NTCP_E_MESSAGE_TOO_LARGE;
    char *w = ntcp_malloc(len + sizeof open_tag + sizeof close_tag);
    if (!w)
        return NTCP_E_NOMEM;
    memcpy(w, open_tag, sizeof open_tag - 1);
    memcpy(w + sizeof open_tag - 1, data, len);
    memcpy(w + sizeof open_tag - 1 + len, close_tag, sizeof close_tag);
    ntcp__libxml_init();
    xmlDoc *doc = xmlReadMemory(w, (int)(len + sizeof open_tag + sizeof close_tag - 2), NULL, "UTF-8",
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_HUGE);
    ntcp_free(w);
    if (!doc) {
        const xmlError *e = xmlGetLastError();
        snprintf(err, cap, "not E2ETraceEvent fragments: line %d: %s", e ? e->line : 0,
                 e && e->message ? e->message : "not well-formed");
        size_t n = strlen(err);
        if (n && err[n - 1] == '\n')
            err[n - 1] = 0;
        return NTCP_E_MALFORMED;
    }
    size_t k = 0;
    ntcp_status st = NTCP_OK;
    for (xmlNode *e = xmlDocGetRootElement(doc)->children; e; e = e->next) {
        if (e->type != XML_ELEMENT_NODE)
            continue;
        k++;
        if (strcmp((const char *)e->name, "E2ETraceEvent") != 0) {
            snprintf(err, cap, "fragment %zu is a %s, not an E2ETraceEvent", k, (const char *)e->name);
            st = NTCP_E_MALFORMED;
            break;
        }
        ntcp_trace_ev ev;
        pool p = { .n = 0 };
        svclog_event(e, &ev, &p);
        fn(ctx, &ev);
        pool_free(&p);
    }
    xmlFreeDoc(doc);
    return st;
}

/* Reads a trace held in memory (a copy is parsed: the JSON reader unescapes in place). */
ntcp_status ntcp__trace_read_mem(const char *mem, size_t len, void (*fn)(void *ctx, const ntcp_trace_ev *ev), void *ctx,
                                 char *err, size_t cap)
{
    if (cap)
        err[0] = 0;
    char *data = ntcp_malloc(len + 1);
    if (!data)
        return NTCP_E_NOMEM;
    memcpy(data, mem, len);
    data[len] = 0;
    const char *p = data;
    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
        p++;
    ntcp_status st;
    if (*p == '{')
        st = read_json(data, fn, ctx, err, cap);
    else
        st = read_svclog(data, len, fn, ctx, err, cap);
    ntcp_free(data);
    return st;
}

ntcp_status ntcp_trace_read(const char *path, void (*fn)(void *ctx, const ntcp_trace_ev *ev), void *ctx, char *err,
                            size_t cap)
{
    char *data;
    size_t len;
    if (cap)
        err[0] = 0;
    ntcp_status st = slurp(path, &data, &len);
    if (st) {
        snprintf(err, cap, "cannot read %s", path);
        return st;
    }
    st = ntcp__trace_read_mem(data, len, fn, ctx, err, cap);
    ntcp_free(data);
    return st;
}
