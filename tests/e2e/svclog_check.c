/* svclog_check SCHEMA FILE...: checks svclog files the way Service Trace
 * Viewer needs them. Each E2ETraceEvent fragment must parse on its own and
 * nothing else may be in the file; the fragments, wrapped in <svclog>, must
 * validate against SCHEMA (docs/svclog/svclog.xsd); activity boundaries
 * must name their activity, errors carry "cause: " in their description,
 * and every transfer must point from and to activities that have events in
 * one of the files. Prints, in a stable order:
 *   FILE: N fragments, valid
 *   shared ACTIVITY-NAME          (an activity with events in several files)
 *   transfers: N, all resolved
 *   message FILE SOURCE ACTION body=XML   (each logged message; XML = the body's content)
 * and "FAIL: ..." lines; exit status 1 after any failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

#define SYS_NS "http://schemas.microsoft.com/2004/06/windows/eventlog/system"

static int fails;
#define FAIL(...)                                                                                              \
    do {                                                                                                       \
        printf("FAIL: " __VA_ARGS__);                                                                          \
        putchar('\n');                                                                                         \
        fails++;                                                                                               \
    } while (0)

/* libxml2's messages: only the first of each file is shown, in its FAIL line */
static char first_error[512];
static void on_error(void *ctx, const xmlError *e)
{
    (void)ctx;
    if (!first_error[0] && e && e->message)
        snprintf(first_error, sizeof first_error, "%s", e->message);
    size_t n = strlen(first_error);
    if (n && first_error[n - 1] == '\n')
        first_error[n - 1] = 0;
}

typedef struct act {
    char id[40];
    unsigned files; /* bit per file */
    char *name;
} act;
static act acts[4096];
static size_t nacts;
static char transfers[4096][2][40];
static size_t ntransfers;

static act *get_act(const char *id)
{
    for (size_t i = 0; i < nacts; i++)
        if (!strcmp(acts[i].id, id))
            return &acts[i];
    if (nacts == sizeof acts / sizeof acts[0])
        return NULL;
    snprintf(acts[nacts].id, sizeof acts[nacts].id, "%s", id);
    return &acts[nacts++];
}

static xmlNode *child(xmlNode *n, const char *name)
{
    for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, name))
            return c;
    return NULL;
}

static char *prop(xmlNode *n, const char *name)
{
    xmlChar *v = n ? xmlGetProp(n, (const xmlChar *)name) : NULL;
    char *s = strdup(v ? (const char *)v : "");
    xmlFree(v);
    return s;
}

static char *text(xmlNode *n)
{
    xmlChar *v = n ? xmlNodeGetContent(n) : NULL;
    char *s = strdup(v ? (const char *)v : "");
    xmlFree(v);
    return s;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    if (b) {
        b[n] = 0;
        *len = (size_t)n;
    }
    return b;
}

static const char *base(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static void check_file(xmlSchemaPtr schema, const char *path, unsigned bit)
{
    size_t len;
    first_error[0] = 0;
    char *data = slurp(path, &len);
    if (!data) {
        FAIL("%s: cannot read", path);
        return;
    }
    /* each fragment on its own; nothing but white space between them */
    size_t nfrag = 0;
    const char *open = "<E2ETraceEvent", *close = "</E2ETraceEvent>";
    for (const char *p = data; *p;) {
        while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
            p++;
        if (!*p)
            break;
        if (strncmp(p, open, strlen(open)) != 0) {
            FAIL("%s: text outside a fragment at byte %zu", base(path), (size_t)(p - data));
            break;
        }
        const char *e = strstr(p, close);
        if (!e) {
            FAIL("%s: fragment %zu is not closed", base(path), nfrag + 1);
            break;
        }
        e += strlen(close);
        nfrag++;
        xmlDoc *d = xmlReadMemory(p, (int)(e - p), NULL, "UTF-8", XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        if (!d)
            FAIL("%s: fragment %zu does not parse", base(path), nfrag);
        xmlFreeDoc(d);
        p = e;
    }
    /* the whole file against the schema */
    size_t wl = len + 32;
    char *w = malloc(wl);
    int n = snprintf(w, wl, "<svclog>%s</svclog>", data);
    free(data);
    xmlDoc *doc = xmlReadMemory(w, n, NULL, "UTF-8", XML_PARSE_NONET | XML_PARSE_HUGE);
    free(w);
    if (!doc) {
        FAIL("%s: the fragments do not parse together: %s", base(path), first_error);
        return;
    }
    xmlSchemaValidCtxtPtr v = xmlSchemaNewValidCtxt(schema);
    int r = xmlSchemaValidateDoc(v, doc);
    xmlSchemaFreeValidCtxt(v);
    if (r != 0)
        FAIL("%s: not valid against the schema: %s", base(path), first_error);
    else
        printf("%s: %zu fragments, valid\n", base(path), nfrag);
    /* activities, transfers, messages */
    for (xmlNode *e = xmlDocGetRootElement(doc)->children; e; e = e->next) {
        if (e->type != XML_ELEMENT_NODE)
            continue;
        xmlNode *sys = child(e, "System");
        char *sub = prop(child(sys, "SubType"), "Name");
        xmlNode *corr = child(sys, "Correlation");
        char *id = prop(corr, "ActivityID"), *rel = prop(corr, "RelatedActivityID");
        xmlNode *rec = child(child(child(child(e, "ApplicationData"), "TraceData"), "DataItem"), "TraceRecord");
        xmlNode *msg = child(child(child(child(e, "ApplicationData"), "TraceData"), "DataItem"), "MessageLogTraceRecord");
        if (!strcmp(sub, "Transfer")) {
            if (!*rel)
                FAIL("%s: a transfer without RelatedActivityID", base(path));
            else if (ntransfers < sizeof transfers / sizeof transfers[0]) {
                snprintf(transfers[ntransfers][0], 40, "%s", id);
                snprintf(transfers[ntransfers][1], 40, "%s", rel);
                ntransfers++;
            }
        } else {
            act *a = get_act(id);
            if (a)
                a->files |= bit;
            if (!strcmp(sub, "Start") || !strcmp(sub, "Stop")) {
                char *name = text(child(child(rec, "ExtendedData"), "ActivityName"));
                if (!*name)
                    FAIL("%s: an activity boundary without ActivityName", base(path));
                if (a && !a->name && *name)
                    a->name = strdup(name);
                free(name);
            } else if (!strcmp(sub, "Error")) {
                char *d = text(child(rec, "Description"));
                if (!strstr(d, "cause: "))
                    FAIL("%s: an error without its cause: %s", base(path), d);
                free(d);
            }
            if (msg) {
                char *src = prop(msg, "Source"), *action = text(child(child(msg, "Addressing"), "Action"));
                xmlNode *env = NULL, *body = NULL;
                for (xmlNode *c = msg->children; c; c = c->next)
                    if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, "Envelope"))
                        env = c;
                body = child(env, "Body");
                xmlBuffer *b = xmlBufferCreate();
                for (xmlNode *c = body ? body->children : NULL; c; c = c->next)
                    xmlNodeDump(b, c->doc, c, 0, 0);
                char *bt = strdup((const char *)xmlBufferContent(b));
                xmlBufferFree(b);
                if (!env)
                    FAIL("%s: a message record without its envelope", base(path));
                printf("message %s %s %s body=%s\n", base(path), src, action, bt);
                free(bt);
                free(src);
                free(action);
            }
        }
        free(sub);
        free(id);
        free(rel);
    }
    xmlFreeDoc(doc);
}

int main(int argc, char **argv)
{
    xmlSetStructuredErrorFunc(NULL, (xmlStructuredErrorFunc)on_error);
    if (argc < 3) {
        fprintf(stderr, "usage: svclog_check SCHEMA FILE...\n");
        return 2;
    }
    xmlSchemaParserCtxtPtr pc = xmlSchemaNewParserCtxt(argv[1]);
    xmlSchemaPtr schema = pc ? xmlSchemaParse(pc) : NULL;
    xmlSchemaFreeParserCtxt(pc);
    if (!schema) {
        fprintf(stderr, "svclog_check: the schema %s does not load\n", argv[1]);
        return 2;
    }
    for (int i = 2; i < argc && i < 2 + 31; i++)
        check_file(schema, argv[i], 1u << (i - 2));
    for (size_t i = 0; i < nacts; i++) {
        unsigned f = acts[i].files;
        if (f & (f - 1))
            printf("shared %s\n", acts[i].name ? acts[i].name : "(unnamed)");
    }
    size_t bad = 0;
    for (size_t i = 0; i < ntransfers; i++)
        for (int k = 0; k < 2; k++) {
            bool found = false;
            for (size_t j = 0; j < nacts && !found; j++)
                found = !strcmp(acts[j].id, transfers[i][k]);
            if (!found) {
                FAIL("a transfer %s %s, which has no events", k ? "to" : "from", transfers[i][k]);
                bad++;
            }
        }
    if (!bad)
        printf("transfers: %zu, all resolved\n", ntransfers);
    for (size_t i = 0; i < nacts; i++)
        free(acts[i].name);
    xmlSchemaFree(schema);
    xmlCleanupParser();
    return fails ? 1 : 0;
}
