/* Calls from the schema: an operation's body built from values and its
 * reply read into values, walking the XSD the WSDL loaded (libxml2 trees).
 * Values are written as WCF's DataContractSerializer writes them. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlversion.h>
#include <nettcp/util.h>
#include <nettcp/wsdl.h>
#include "wsdl_int.h"

#define NS_XSD NTCP_NS_XSD
#define NS_SER "http://schemas.microsoft.com/2003/10/Serialization/"
#define NS_XSI "http://www.w3.org/2001/XMLSchema-instance"
#define MAX_DEPTH 64     /* nesting of values and of types */
#define MAX_FIELDS 512   /* members of one type, bases included */
#define MAX_BODY (64u << 20)

enum prim {
    P_STRING, P_BOOL, P_INT, P_UINT, P_INTEGER, P_FLOAT, P_DECIMAL, P_DATETIME, P_DURATION, P_BASE64, P_GUID, P_CHAR
};

struct type {
    int simple;
    enum prim prim;
    long long imin;           /* P_INT */
    unsigned long long umax;  /* P_INT (as the positive bound) and P_UINT */
    const xmlNode *enums;     /* the xs:restriction holding xs:enumeration, or NULL */
    const xmlNode *complex;   /* the xs:complexType */
    char name[200];           /* "xs:int", "{ns}Order", "(anonymous type of X)" */
};

struct elem {
    const xmlNode *decl; /* the xs:element holding the type (a ref's target) */
    const char *name, *ns;
    int min, max, nillable; /* max -1: unbounded */
};

struct ctx {
    const ntcp_wsdl *w;
    ntcp_error *err;
    ntcp_cause bad;   /* wsdl_bad_args or wsdl_bad_reply */
    ntcp_channel_step step;
    char path[512];   /* where in the value: Add.n1, order.Lines[2].Price */
    ntcp_buf out;
};

static ntcp_status failc(struct ctx *c, ntcp_status st, ntcp_cause cause, const char *fmt, ...)
{
    if (c->err && c->err->status == NTCP_OK) {
        char msg[sizeof c->err->text];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        ntcp_error_set(c->err, st, cause, c->step, "%s", msg);
    }
    return st;
}

/* wsdl_bad_args / wsdl_bad_reply at the current path */
#define BAD(c, ...) bad_at(c, __VA_ARGS__)
static ntcp_status bad_at(struct ctx *c, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return failc(c, NTCP_E_MALFORMED, c->bad, "%s %s: %s", c->bad == NTCP_CAUSE_WSDL_BAD_ARGS ? "args" : "reply",
                 c->path, msg);
}

static ntcp_status unsupported(struct ctx *c, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return failc(c, NTCP_E_UNSUPPORTED, NTCP_CAUSE_WSDL_UNSUPPORTED, "%s (at %s)", msg, c->path);
}

static size_t path_push(struct ctx *c, const char *fmt, ...)
{
    size_t was = strlen(c->path);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->path + was, sizeof c->path - was, fmt, ap);
    va_end(ap);
    return was;
}

/* ---- the schema ---- */

static int is_xsd(const xmlNode *n, const char *local)
{
    return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href && !strcmp((const char *)n->ns->href, NS_XSD) &&
           !strcmp((const char *)n->name, local);
}

static const char *attr(const xmlNode *n, const char *name)
{
    for (xmlAttr *a = n->properties; a; a = a->next)
        if (!a->ns && !strcmp((const char *)a->name, name) && a->children && a->children->content)
            return (const char *)a->children->content;
    return NULL;
}

static xmlNode *first_el(const xmlNode *n)
{
    for (xmlNode *k = n ? n->children : NULL; k; k = k->next)
        if (k->type == XML_ELEMENT_NODE)
            return k;
    return NULL;
}

static xmlNode *next_el(const xmlNode *n)
{
    for (xmlNode *k = n->next; k; k = k->next)
        if (k->type == XML_ELEMENT_NODE)
            return k;
    return NULL;
}

#define EACH(k, parent) for (xmlNode *k = first_el(parent); k; k = next_el(k))

static const xmlNode *schema_of(const xmlNode *n)
{
    for (; n && n->type == XML_ELEMENT_NODE; n = n->parent)
        if (is_xsd(n, "schema"))
            return n;
    return NULL;
}

static const char *tns_of(const xmlNode *n)
{
    const xmlNode *s = schema_of(n);
    const char *t = s ? attr(s, "targetNamespace") : NULL;
    return t ? t : "";
}

static const struct {
    const char *name;
    enum prim p;
    long long min;
    unsigned long long max;
} builtins[] = {
    { "string", P_STRING, 0, 0 },        { "normalizedString", P_STRING, 0, 0 }, { "token", P_STRING, 0, 0 },
    { "language", P_STRING, 0, 0 },      { "Name", P_STRING, 0, 0 },             { "NCName", P_STRING, 0, 0 },
    { "NMTOKEN", P_STRING, 0, 0 },       { "ID", P_STRING, 0, 0 },               { "IDREF", P_STRING, 0, 0 },
    { "anyURI", P_STRING, 0, 0 },        { "hexBinary", P_STRING, 0, 0 },        { "date", P_STRING, 0, 0 },
    { "time", P_STRING, 0, 0 },          { "boolean", P_BOOL, 0, 0 },
    { "byte", P_INT, -128, 127 },        { "short", P_INT, -32768, 32767 },
    { "int", P_INT, -2147483648LL, 2147483647ULL },
    { "long", P_INT, -9223372036854775807LL - 1, 9223372036854775807ULL },
    { "unsignedByte", P_UINT, 0, 255 },  { "unsignedShort", P_UINT, 0, 65535 },
    { "unsignedInt", P_UINT, 0, 4294967295ULL }, { "unsignedLong", P_UINT, 0, 18446744073709551615ULL },
    { "integer", P_INTEGER, 0, 0 },      { "nonNegativeInteger", P_INTEGER, 0, 0 },
    { "positiveInteger", P_INTEGER, 0, 0 }, { "negativeInteger", P_INTEGER, 0, 0 },
    { "nonPositiveInteger", P_INTEGER, 0, 0 },
    { "float", P_FLOAT, 0, 0 },          { "double", P_FLOAT, 0, 0 },            { "decimal", P_DECIMAL, 0, 0 },
    { "dateTime", P_DATETIME, 0, 0 },    { "duration", P_DURATION, 0, 0 },       { "base64Binary", P_BASE64, 0, 0 },
};

static ntcp_status resolve_named(struct ctx *c, const xmlNode *at, const char *qn, struct type *t, int depth);

static ntcp_status simple_type(struct ctx *c, const xmlNode *st, struct type *t, int depth)
{
    if (depth > MAX_DEPTH)
        return unsupported(c, "%s: simple types derived more than %d deep", t->name, MAX_DEPTH);
    const xmlNode *r = NULL;
    EACH(k, st)
    {
        if (is_xsd(k, "restriction"))
            r = k;
        else if (is_xsd(k, "list") || is_xsd(k, "union"))
            return unsupported(c, "xs:simpleType %s: xs:%s is not supported (a [Flags] enum is an xs:list)", t->name,
                               k->name);
    }
    if (!r)
        return unsupported(c, "xs:simpleType %s: no xs:restriction", t->name);
    char keep[sizeof t->name];
    memcpy(keep, t->name, sizeof keep);
    ntcp_status s;
    if (attr(r, "base"))
        s = resolve_named(c, r, attr(r, "base"), t, depth + 1);
    else {
        const xmlNode *inner = NULL;
        EACH(k, r)
        if (is_xsd(k, "simpleType"))
            inner = k;
        if (!inner)
            return unsupported(c, "xs:simpleType %s: a restriction without a base", t->name);
        s = simple_type(c, inner, t, depth + 1);
    }
    if (s)
        return s;
    if (!t->simple)
        return unsupported(c, "xs:simpleType %s: restricts a complex type", keep);
    memcpy(t->name, keep, sizeof keep);
    EACH(k, r)
    if (is_xsd(k, "enumeration")) {
        t->enums = r;
        break;
    }
    return NTCP_OK;
}

/* A type by QName: XML Schema's, the Serialization namespace's guid, char
 * and duration, or a named simple or complex type of a loaded schema. */
static ntcp_status resolve_qn(struct ctx *c, const char *ns, const char *local, struct type *t, int depth);

static ntcp_status resolve_named(struct ctx *c, const xmlNode *at, const char *qn, struct type *t, int depth)
{
    memset(t, 0, sizeof *t);
    const char *ns, *local;
    if (ntcp__wsdl_qname(at, qn, &ns, &local))
        return failc(c, NTCP_E_MALFORMED, NTCP_CAUSE_WSDL_UNDEFINED, "type \"%s\": its prefix is not declared (at %s)",
                     qn, c->path);
    return resolve_qn(c, ns, local, t, depth);
}

static ntcp_status resolve_qn(struct ctx *c, const char *ns, const char *local, struct type *t, int depth)
{
    memset(t, 0, sizeof *t);
    if (!strcmp(ns, NS_XSD)) {
        snprintf(t->name, sizeof t->name, "xs:%s", local);
        for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
            if (!strcmp(builtins[i].name, local)) {
                t->simple = 1;
                t->prim = builtins[i].p;
                t->imin = builtins[i].min;
                t->umax = builtins[i].max;
                return NTCP_OK;
            }
        return unsupported(c, "type xs:%s is not supported", local);
    }
    snprintf(t->name, sizeof t->name, "{%s}%s", ns, local);
    if (!strcmp(ns, NS_SER)) {
        static const struct {
            const char *n;
            enum prim p;
        } ser[] = { { "guid", P_GUID }, { "char", P_CHAR }, { "duration", P_DURATION } };
        for (size_t i = 0; i < 3; i++)
            if (!strcmp(local, ser[i].n)) {
                snprintf(t->name, sizeof t->name, "ser:%s", local);
                t->simple = 1;
                t->prim = ser[i].p;
                return NTCP_OK;
            }
    }
    const xmlNode *ct = ntcp__wsdl_find_xsd(c->w, "complexType", ns, local);
    if (ct) {
        t->complex = ct;
        return NTCP_OK;
    }
    const xmlNode *st = ntcp__wsdl_find_xsd(c->w, "simpleType", ns, local);
    if (st) {
        t->simple = 1;
        return simple_type(c, st, t, depth);
    }
    return failc(c, NTCP_E_MALFORMED, NTCP_CAUSE_WSDL_UNDEFINED, "type %s is not defined in any schema (at %s)", t->name,
                 c->path);
}

/* The element's type: its type= attribute or its inline type. */
static ntcp_status elem_type(struct ctx *c, const struct elem *e, struct type *t)
{
    const char *ty = attr(e->decl, "type");
    if (ty)
        return resolve_named(c, e->decl, ty, t, 0);
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", e->name); /* an anonymous type: its element's name */
    EACH(k, e->decl)
    {
        if (is_xsd(k, "complexType")) {
            t->complex = k;
            return NTCP_OK;
        }
        if (is_xsd(k, "simpleType")) {
            t->simple = 1;
            return simple_type(c, k, t, 0);
        }
    }
    return unsupported(c, "xs:element name=\"%s\": no type (xs:anyType) is not supported", e->name);
}


static ntcp_status read_elem_decl(struct ctx *c, const xmlNode *d, struct elem *e)
{
    const xmlNode *occ = d;
    const char *ref = attr(d, "ref");
    if (ref) {
        const char *ns, *local;
        if (ntcp__wsdl_qname(d, ref, &ns, &local))
            return failc(c, NTCP_E_MALFORMED, NTCP_CAUSE_WSDL_UNDEFINED, "xs:element ref=\"%s\": prefix not declared",
                         ref);
        const xmlNode *t = ntcp__wsdl_find_xsd(c->w, "element", ns, local);
        if (!t)
            return failc(c, NTCP_E_MALFORMED, NTCP_CAUSE_WSDL_UNDEFINED, "xs:element ref=\"%s\": {%s}%s is not defined",
                         ref, ns, local);
        e->decl = t;
        e->name = (const char *)local;
        e->ns = ns;
    } else {
        e->decl = d;
        e->name = attr(d, "name");
        if (!e->name)
            return unsupported(c, "an xs:element without a name");
        if (!*e->name || strpbrk(e->name, " \t\r\n\"'<>&=/:"))
            return unsupported(c, "xs:element name=\"%.60s\": not an XML name", e->name);
        const xmlNode *s = schema_of(d);
        const char *form = attr(d, "form");
        const char *efd = s ? attr(s, "elementFormDefault") : NULL;
        int top = d->parent && is_xsd(d->parent, "schema");
        int qualified = top || (form ? !strcmp(form, "qualified") : efd && !strcmp(efd, "qualified"));
        e->ns = qualified ? tns_of(d) : "";
    }
    const char *mn = attr(occ, "minOccurs"), *mx = attr(occ, "maxOccurs"), *nl = attr(e->decl, "nillable");
    e->min = mn ? atoi(mn) : 1;
    e->max = mx ? (!strcmp(mx, "unbounded") ? -1 : atoi(mx)) : 1;
    e->nillable = nl && (!strcmp(nl, "true") || !strcmp(nl, "1"));
    return NTCP_OK;
}

struct fields {
    struct elem f[MAX_FIELDS];
    size_t n;
};

static ntcp_status collect_sequence(struct ctx *c, const xmlNode *seq, const char *tname, struct fields *fs)
{
    EACH(k, seq)
    {
        if (is_xsd(k, "annotation"))
            continue;
        if (!is_xsd(k, "element"))
            return unsupported(c, "xs:complexType %s: xs:%s in a sequence is not supported", tname, k->name);
        if (fs->n >= MAX_FIELDS)
            return unsupported(c, "xs:complexType %s: more than %d members", tname, MAX_FIELDS);
        ntcp_status st = read_elem_decl(c, k, &fs->f[fs->n]);
        if (st)
            return st;
        fs->n++;
    }
    return NTCP_OK;
}

/* The members of a complex type, a base's (complexContent extension) first. */
static ntcp_status collect(struct ctx *c, const xmlNode *ct, const char *tname, struct fields *fs, int depth)
{
    if (depth > MAX_DEPTH)
        return unsupported(c, "xs:complexType %s: derived more than %d deep", tname, MAX_DEPTH);
    const char *mixed = attr(ct, "mixed");
    if (mixed && !strcmp(mixed, "true"))
        return unsupported(c, "xs:complexType %s: mixed content is not supported", tname);
    EACH(k, ct)
    {
        if (is_xsd(k, "annotation") || is_xsd(k, "anyAttribute"))
            continue;
        if (is_xsd(k, "attribute")) { /* ser:Id / ser:Ref of IsReference contracts: optional, not sent */
            const char *use = attr(k, "use");
            if (use && !strcmp(use, "required"))
                return unsupported(c, "xs:complexType %s: a required xs:attribute is not supported", tname);
            continue;
        }
        if (is_xsd(k, "attributeGroup"))
            continue;
        if (is_xsd(k, "sequence") || is_xsd(k, "all")) {
            ntcp_status st = collect_sequence(c, k, tname, fs);
            if (st)
                return st;
            continue;
        }
        if (is_xsd(k, "complexContent")) {
            const xmlNode *ext = first_el(k);
            while (ext && is_xsd(ext, "annotation"))
                ext = next_el(ext);
            if (!ext || !is_xsd(ext, "extension"))
                return unsupported(c, "xs:complexType %s: xs:complexContent with xs:%s is not supported", tname,
                                   ext ? (const char *)ext->name : "nothing");
            const char *base = attr(ext, "base");
            const char *bns, *blocal;
            if (!base || ntcp__wsdl_qname(ext, base, &bns, &blocal))
                return unsupported(c, "xs:complexType %s: an extension without a base", tname);
            if (strcmp(bns, NS_XSD) || strcmp(blocal, "anyType")) {
                const xmlNode *bt = ntcp__wsdl_find_xsd(c->w, "complexType", bns, blocal);
                if (!bt)
                    return failc(c, NTCP_E_MALFORMED, NTCP_CAUSE_WSDL_UNDEFINED,
                                 "xs:complexType %s: its base {%s}%s is not defined (at %s)", tname, bns, blocal,
                                 c->path);
                ntcp_status st = collect(c, bt, blocal, fs, depth + 1);
                if (st)
                    return st;
            }
            ntcp_status st = collect(c, ext, tname, fs, depth + 1);
            if (st)
                return st;
            continue;
        }
        return unsupported(c, "xs:complexType %s: xs:%s is not supported", tname, k->name);
    }
    return NTCP_OK;
}

static int is_array_type(const struct fields *fs) { return fs->n == 1 && fs->f[0].max != 1; }

/* ---- values to XML ---- */

static ntcp_status put(struct ctx *c, const char *s, size_t n)
{
    return ntcp_buf_append(&c->out, s, n) ? failc(c, NTCP_E_NOMEM, NTCP_CAUSE_OUT_OF_MEMORY, "the body: %s",
                                                  c->out.len >= MAX_BODY ? "larger than 64 MiB" : "out of memory")
                                          : NTCP_OK;
}
static ntcp_status puts_(struct ctx *c, const char *s) { return put(c, s, strlen(s)); }

/* Text content: &, <, > and CR escaped; characters XML 1.0 cannot carry refused. */
static ntcp_status put_text(struct ctx *c, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        const char *esc = ch == '&' ? "&amp;" : ch == '<' ? "&lt;" : ch == '>' ? "&gt;" : ch == '\r' ? "&#xD;" : NULL;
        if (!esc && ch < 0x20 && ch != '\t' && ch != '\n')
            return BAD(c, "U+%04X cannot be sent in XML 1.0", ch);
        ntcp_status st = esc ? puts_(c, esc) : put(c, s + i, 1);
        if (st)
            return st;
    }
    return NTCP_OK;
}

static const char *kind_name(ntcp_value_kind k)
{
    static const char *const n[] = { "null", "a boolean", "a number", "a string", "an array", "an object" };
    return k <= NTCP_VALUE_OBJECT ? n[k] : "?";
}

/* "the string \"x\"", "the number 1.5", "an object" */
static const char *got(const ntcp_value *v, char *buf, size_t cap)
{
    ntcp_value_kind k = ntcp_value_kind_of(v);
    const char *s = ntcp_value_text(v, NULL);
    if (k == NTCP_VALUE_STRING)
        snprintf(buf, cap, "the string \"%.40s\"", s);
    else if (k == NTCP_VALUE_NUMBER)
        snprintf(buf, cap, "the number %.40s", s);
    else if (k == NTCP_VALUE_BOOL)
        snprintf(buf, cap, "%s", ntcp_value_is_true(v) ? "true" : "false");
    else
        snprintf(buf, cap, "%s", kind_name(k));
    return buf;
}

static int digits(const char *s, size_t n)
{
    if (!n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* An integer's text: [+-]digits. */
static int int_text(const char *s)
{
    if (*s == '-' || *s == '+')
        s++;
    return digits(s, strlen(s));
}

/* A decimal in plain notation (a JSON number may carry an exponent). */
static int decimal_plain(const char *s, char *out, size_t cap)
{
    const char *p = s;
    int neg = 0;
    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    char mant[128];
    size_t mn = 0;
    long point = -1;
    for (; (*p >= '0' && *p <= '9') || *p == '.'; p++) {
        if (*p == '.') {
            if (point >= 0)
                return -1;
            point = (long)mn;
            continue;
        }
        if (mn >= sizeof mant - 1)
            return -1;
        mant[mn++] = *p;
    }
    if (!mn)
        return -1;
    if (point < 0)
        point = (long)mn;
    long ex = 0;
    if (*p == 'e' || *p == 'E') {
        char *end;
        errno = 0;
        ex = strtol(p + 1, &end, 10);
        if (end == p + 1 || *end || errno || ex > 64 || ex < -64)
            return -1;
    } else if (*p)
        return -1;
    point += ex;
    /* digits mant[0..mn), the point after `point` of them */
    char buf[300];
    size_t o = 0;
    if (neg)
        buf[o++] = '-';
    if (point <= 0) {
        buf[o++] = '0';
        buf[o++] = '.';
        for (long i = point; i < 0; i++)
            buf[o++] = '0';
        memcpy(buf + o, mant, mn);
        o += mn;
    } else {
        for (long i = 0; i < point; i++)
            buf[o++] = i < (long)mn ? mant[i] : '0';
        if ((long)mn > point) {
            buf[o++] = '.';
            memcpy(buf + o, mant + point, mn - (size_t)point);
            o += mn - (size_t)point;
        }
    }
    buf[o] = 0;
    if (o >= cap)
        return -1;
    memcpy(out, buf, o + 1);
    return 0;
}

static int is_hex(char ch) { return (ch >= '0' && ch <= '9') || ((ch | 32) >= 'a' && (ch | 32) <= 'f'); }

static int guid_text(const char *s, size_t n)
{
    if (n != 36)
        return 0;
    for (size_t i = 0; i < 36; i++)
        if ((i == 8 || i == 13 || i == 18 || i == 23) ? s[i] != '-' : !is_hex(s[i]))
            return 0;
    return 1;
}

static int ndig(const char **p, int n)
{
    for (int i = 0; i < n; i++)
        if ((*p)[i] < '0' || (*p)[i] > '9')
            return 0;
    *p += n;
    return 1;
}

/* xs:dateTime as .NET writes DateTime (round-trip "o" without trailing zeros):
 * into out, the fraction at most 7 digits without trailing zeros. */
static int datetime_text(const char *s, char *out, size_t cap)
{
    const char *p = s;
    if (*p == '-')
        p++;
    if (!ndig(&p, 4) || *p++ != '-' || !ndig(&p, 2) || *p++ != '-' || !ndig(&p, 2) || *p++ != 'T' || !ndig(&p, 2) ||
        *p++ != ':' || !ndig(&p, 2) || *p++ != ':' || !ndig(&p, 2))
        return -1;
    size_t head = (size_t)(p - s);
    const char *frac = NULL;
    size_t fn = 0;
    if (*p == '.') {
        frac = ++p;
        while (*p >= '0' && *p <= '9')
            p++;
        fn = (size_t)(p - frac);
        if (!fn || fn > 7)
            return -1;
        while (fn && frac[fn - 1] == '0')
            fn--;
    }
    const char *zone = p;
    if (*p == 'Z')
        p++;
    else if (*p == '+' || *p == '-') {
        p++;
        if (!ndig(&p, 2) || *p++ != ':' || !ndig(&p, 2))
            return -1;
    }
    if (*p)
        return -1;
    int k = snprintf(out, cap, "%.*s%s%.*s%s", (int)head, s, fn ? "." : "", (int)fn, frac ? frac : "", zone);
    return k < 0 || (size_t)k >= cap ? -1 : 0;
}

/* xs:duration: -?P(nY)?(nM)?(nD)?(T(nH)?(nM)?(n(.n)?S)?)? with one part at least */
static int duration_text(const char *s)
{
    const char *p = s;
    if (*p == '-')
        p++;
    if (*p++ != 'P')
        return 0;
    int parts = 0, t = 0;
    const char *order = "YMD";
    while (*p) {
        if (*p == 'T') {
            if (t)
                return 0;
            t = 1;
            order = "HMS";
            p++;
            if (!*p)
                return 0;
            continue;
        }
        const char *d = p;
        while (*p >= '0' && *p <= '9')
            p++;
        if (p == d)
            return 0;
        if (*p == '.') {
            if (!t)
                return 0;
            p++;
            const char *f = p;
            while (*p >= '0' && *p <= '9')
                p++;
            if (p == f || *p != 'S')
                return 0;
        }
        const char *u = strchr(order, *p);
        if (!*p || !u)
            return 0;
        order = u + 1;
        p++;
        parts++;
    }
    return parts > 0;
}

static int base64_text(const char *s, size_t n)
{
    size_t k = 0, pad = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t')
            continue;
        if (ch == '=') {
            pad++;
        } else if (pad || !((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                            ch == '+' || ch == '/'))
            return 0;
        k++;
    }
    return k % 4 == 0 && pad <= 2;
}

/* One UTF-8 character: its code point, or -1. */
static long utf8_one(const unsigned char *s, size_t n)
{
    if (n == 1 && s[0] < 0x80)
        return s[0];
    if (n == 2 && (s[0] & 0xe0) == 0xc0 && (s[1] & 0xc0) == 0x80)
        return ((long)(s[0] & 0x1f) << 6) | (s[1] & 0x3f);
    if (n == 3 && (s[0] & 0xf0) == 0xe0 && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80)
        return ((long)(s[0] & 0x0f) << 12) | ((long)(s[1] & 0x3f) << 6) | (s[2] & 0x3f);
    return -1;
}

static int enum_has(const xmlNode *r, const char *s)
{
    EACH(k, r)
    if (is_xsd(k, "enumeration") && attr(k, "value") && !strcmp(attr(k, "value"), s))
        return 1;
    return 0;
}

static void enum_list(const xmlNode *r, char *buf, size_t cap)
{
    size_t o = 0;
    buf[0] = 0;
    EACH(k, r)
    if (is_xsd(k, "enumeration") && attr(k, "value") && o < cap) {
        int n = snprintf(buf + o, cap - o, "%s%s", o ? ", " : "", attr(k, "value"));
        if (n < 0)
            break;
        o += (size_t)n;
    }
}

/* The text of a simple value, as the DataContractSerializer writes it. */
static ntcp_status simple_text(struct ctx *c, const struct type *t, const ntcp_value *v, char *buf, size_t cap,
                               const char **text, size_t *tlen)
{
    ntcp_value_kind k = ntcp_value_kind_of(v);
    size_t n = 0;
    const char *s = ntcp_value_text(v, &n);
    char gb[80];
    *text = buf;
    switch (t->prim) {
    case P_STRING:
        if (k != NTCP_VALUE_STRING)
            return BAD(c, "expects a string (%s), got %s", t->name, got(v, gb, sizeof gb));
        if (t->enums && !enum_has(t->enums, s)) {
            char list[300];
            enum_list(t->enums, list, sizeof list);
            return BAD(c, "\"%.60s\" is not one of %s's values (%s)", s, t->name, list);
        }
        *text = s;
        *tlen = n;
        return NTCP_OK;
    case P_BOOL:
        if (k != NTCP_VALUE_BOOL)
            return BAD(c, "expects true or false (%s), got %s", t->name, got(v, gb, sizeof gb));
        snprintf(buf, cap, "%s", ntcp_value_is_true(v) ? "true" : "false");
        break;
    case P_INT:
    case P_UINT:
    case P_INTEGER: {
        if ((k != NTCP_VALUE_NUMBER && k != NTCP_VALUE_STRING) || !int_text(s))
            return BAD(c, "expects a whole number (%s), got %s", t->name, got(v, gb, sizeof gb));
        if (t->prim != P_INTEGER) {
            errno = 0;
            char *end;
            int out;
            if (t->prim == P_INT) {
                long long x = strtoll(s, &end, 10);
                out = errno || (x < 0 ? x < t->imin : (unsigned long long)x > t->umax);
            } else {
                out = s[0] == '-' ? strcmp(s, "-0") != 0 : 0;
                unsigned long long x = out ? 0 : strtoull(s, &end, 10);
                out = out || errno || x > t->umax;
            }
            if (out)
                return BAD(c, "%s is out of range for %s", s, t->name);
        }
        const char *d = s[0] == '+' ? s + 1 : s;
        if (strlen(d) >= cap)
            return BAD(c, "%.40s…: too many digits", s);
        snprintf(buf, cap, "%s", d);
        break;
    }
    case P_FLOAT:
        if (k == NTCP_VALUE_STRING && (!strcmp(s, "INF") || !strcmp(s, "-INF") || !strcmp(s, "NaN"))) {
            snprintf(buf, cap, "%s", s);
            break;
        }
        if (k == NTCP_VALUE_NUMBER || k == NTCP_VALUE_STRING) {
            char *end;
            errno = 0;
            double x = strtod(s, &end);
            if (end != s && !*end && isfinite(x) && !strchr(s, 'x') && !strchr(s, 'X') && strlen(s) < cap &&
                (s[0] == '-' || s[0] == '+' || s[0] == '.' || (s[0] >= '0' && s[0] <= '9'))) {
                snprintf(buf, cap, "%s", s);
                break;
            }
        }
        return BAD(c, "expects a number (%s; or \"INF\", \"-INF\", \"NaN\"), got %s", t->name, got(v, gb, sizeof gb));
    case P_DECIMAL:
        if ((k != NTCP_VALUE_NUMBER && k != NTCP_VALUE_STRING) || decimal_plain(s, buf, cap))
            return BAD(c, "expects a decimal number (%s), got %s", t->name, got(v, gb, sizeof gb));
        break;
    case P_DATETIME:
        if (k != NTCP_VALUE_STRING || datetime_text(s, buf, cap))
            return BAD(c, "expects a date and time as a string (%s: YYYY-MM-DDThh:mm:ss[.fffffff][Z|+hh:mm]), got %s",
                       t->name, got(v, gb, sizeof gb));
        break;
    case P_DURATION:
        if (k != NTCP_VALUE_STRING || !duration_text(s))
            return BAD(c, "expects a duration as a string (%s, e.g. \"PT1H30M\", \"P1DT0.5S\"), got %s",
                       t->name, got(v, gb, sizeof gb));
        *text = s;
        *tlen = n;
        return NTCP_OK;
    case P_BASE64:
        if (k != NTCP_VALUE_STRING || !base64_text(s, n))
            return BAD(c, "expects base64 text as a string (%s), got %s", t->name, got(v, gb, sizeof gb));
        *text = s;
        *tlen = n;
        return NTCP_OK;
    case P_GUID:
        if (k != NTCP_VALUE_STRING || !guid_text(s, n))
            return BAD(c, "expects a GUID as a string (%s: xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx), got %s",
                       t->name, got(v, gb, sizeof gb));
        for (size_t i = 0; i < 36; i++)
            buf[i] = (char)(s[i] >= 'A' && s[i] <= 'F' ? s[i] + 32 : s[i]);
        buf[36] = 0;
        break;
    case P_CHAR: {
        long cp = -1;
        if (k == NTCP_VALUE_STRING)
            cp = utf8_one((const unsigned char *)s, n);
        else if (k == NTCP_VALUE_NUMBER && int_text(s))
            cp = strtol(s, NULL, 10);
        if (cp < 0 || cp > 0xffff || (cp >= 0xd800 && cp <= 0xdfff))
            return BAD(c, "expects one character (%s: a string of one UTF-16 unit, or its code), got %s", t->name,
                       got(v, gb, sizeof gb));
        snprintf(buf, cap, "%ld", cp);
        break;
    }
    }
    *tlen = strlen(buf);
    return NTCP_OK;
}

/* The namespaces in scope while writing, as the DataContractSerializer
 * declares them: a data contract's members under a prefix (a, b, ...)
 * declared on the element that holds them, xmlns:i where a nil is. */
#define MAX_PREFIXES 8
struct scope {
    const char *dflt;
    const char *ns[MAX_PREFIXES];
    int n, has_i;
};

static const char *prefix_of(const struct scope *sc, const char *ns, char *buf)
{
    for (int i = 0; i < sc->n; i++)
        if (!strcmp(sc->ns[i], ns)) {
            buf[0] = (char)('a' + i + (i >= 8)); /* a..h, then j.. ('i' is XMLSchema-instance's) */
            buf[1] = 0;
            return buf;
        }
    return NULL;
}

static ntcp_status put_attr_value(struct ctx *c, const char *s)
{
    ntcp_status st = NTCP_OK;
    for (const char *p = s; !st && *p; p++) /* " escaped too */
        st = *p == '"' ? puts_(c, "&quot;") : put_text(c, p, 1);
    return st;
}

static ntcp_status write_value(struct ctx *c, const struct elem *e, const ntcp_value *v, const struct scope *sc,
                               int depth);

static ntcp_status write_members(struct ctx *c, const struct type *t, struct fields *fs, const ntcp_value *v,
                                 const struct scope *dflt, int depth)
{
    ntcp_status st = NTCP_OK;
    ntcp_value_kind k = ntcp_value_kind_of(v);
    if (!st && is_array_type(fs)) {
        /* ArrayOfX: the value is the array of its items */
        if (k != NTCP_VALUE_ARRAY)
            st = BAD(c, "expects an array (%s of %s), got %s", t->name, fs->f[0].name, kind_name(k));
        size_t nitems = ntcp_value_count(v);
        if (!st && fs->f[0].max > 0 && nitems > (size_t)fs->f[0].max)
            st = BAD(c, "at most %d items (%s), got %zu", fs->f[0].max, t->name, nitems);
        if (!st && nitems < (size_t)fs->f[0].min)
            st = BAD(c, "at least %d items (%s), got %zu", fs->f[0].min, t->name, nitems);
        for (size_t i = 0; !st && i < nitems; i++) {
            size_t was = path_push(c, "[%zu]", i);
            st = write_value(c, &fs->f[0], ntcp_value_at(v, i), dflt, depth + 1);
            if (!st)
                c->path[was] = 0;
        }
        return st;
    }
    if (!st && k != NTCP_VALUE_OBJECT)
        st = BAD(c, "expects an object (%s), got %s", t->name, kind_name(k));
    /* every key a member */
    for (size_t i = 0; !st && i < ntcp_value_count(v); i++) {
        const char *key = ntcp_value_key_at(v, i);
        size_t j = 0;
        while (j < fs->n && strcmp(fs->f[j].name, key))
            j++;
        if (j == fs->n) {
            char list[300];
            size_t o = 0;
            list[0] = 0;
            for (size_t m = 0; m < fs->n && o < sizeof list; m++) {
                int w = snprintf(list + o, sizeof list - o, "%s%s", m ? ", " : "", fs->f[m].name);
                if (w < 0)
                    break;
                o += (size_t)w;
            }
            size_t was = path_push(c, ".%s", key);
            st = BAD(c, "no such member in %s (its members: %s)", t->name, fs->n ? list : "none");
            c->path[was] = 0;
        }
    }
    for (size_t j = 0; !st && j < fs->n; j++) {
        const struct elem *f = &fs->f[j];
        const ntcp_value *m = ntcp_value_get(v, f->name);
        size_t was = path_push(c, ".%s", f->name);
        if (!m) {
            if (f->min > 0) {
                struct type ft;
                st = elem_type(c, f, &ft);
                if (!st)
                    st = BAD(c, "missing: a required member (%s)", ft.name);
            }
        } else if (f->max != 1) {
            /* a repeated member: an array, each item one element */
            if (ntcp_value_kind_of(m) == NTCP_VALUE_NULL && f->min == 0) {
                /* nothing */
            } else if (ntcp_value_kind_of(m) != NTCP_VALUE_ARRAY) {
                st = BAD(c, "expects an array (the member repeats), got %s", kind_name(ntcp_value_kind_of(m)));
            } else {
                size_t nitems = ntcp_value_count(m);
                if (nitems < (size_t)f->min || (f->max > 0 && nitems > (size_t)f->max))
                    st = BAD(c, "%zu items, the schema allows %d to %d", nitems, f->min, f->max);
                for (size_t i = 0; !st && i < nitems; i++) {
                    size_t w2 = path_push(c, "[%zu]", i);
                    st = write_value(c, f, ntcp_value_at(m, i), dflt, depth + 1);
                    if (!st)
                        c->path[w2] = 0;
                }
            }
        } else {
            st = write_value(c, f, m, dflt, depth + 1);
        }
        if (!st)
            c->path[was] = 0;
    }
    return st;
}

static int has_null_member(const ntcp_value *v)
{
    for (size_t i = 0; i < ntcp_value_count(v); i++) {
        const ntcp_value *m = ntcp_value_at(v, i);
        if (ntcp_value_kind_of(m) == NTCP_VALUE_NULL)
            return 1;
        if (ntcp_value_kind_of(v) == NTCP_VALUE_OBJECT && ntcp_value_kind_of(m) == NTCP_VALUE_ARRAY)
            for (size_t j = 0; j < ntcp_value_count(m); j++)
                if (ntcp_value_kind_of(ntcp_value_at(m, j)) == NTCP_VALUE_NULL)
                    return 1;
    }
    return 0;
}

/* <[p:]name [xmlns="ns"] [xmlns:a="member ns"] [xmlns:i]>value</[p:]name>, or i:nil for null. */
static ntcp_status write_value(struct ctx *c, const struct elem *e, const ntcp_value *v, const struct scope *sc,
                               int depth)
{
    if (depth > MAX_DEPTH)
        return BAD(c, "nested deeper than %d", MAX_DEPTH);
    ntcp_value_kind k = ntcp_value_kind_of(v);
    if (k == NTCP_VALUE_NULL && !e->nillable) {
        if (e->min == 0)
            return NTCP_OK; /* left out */
        return BAD(c, "null, but the element is neither nillable nor optional");
    }
    struct type t;
    ntcp_status st = k == NTCP_VALUE_NULL ? NTCP_OK : elem_type(c, e, &t);
    if (st)
        return st;
    struct fields *fs = NULL;
    if (k != NTCP_VALUE_NULL && !t.simple) {
        if (!(fs = ntcp_malloc(sizeof *fs)))
            return failc(c, NTCP_E_NOMEM, NTCP_CAUSE_OUT_OF_MEMORY, "out of memory");
        fs->n = 0;
        if ((st = collect(c, t.complex, t.name, fs, 0))) {
            ntcp_free(fs);
            return st;
        }
    }
    struct scope in = *sc; /* the children's */
    char pb[2], epb[2]; /* a member's prefix; this element's */
    const char *pfx = strcmp(e->ns, sc->dflt) ? prefix_of(sc, e->ns, epb) : NULL;
    st = puts_(c, "<");
    if (!st && pfx)
        st = puts_(c, pfx), st = st ? st : puts_(c, ":");
    if (!st)
        st = puts_(c, e->name);
    if (!st && !pfx && strcmp(e->ns, sc->dflt)) {
        st = puts_(c, " xmlns=\"");
        if (!st)
            st = put_attr_value(c, e->ns);
        if (!st)
            st = puts_(c, "\"");
        in.dflt = e->ns;
    }
    /* the members' namespaces under prefixes declared here */
    for (size_t j = 0; !st && fs && j < fs->n; j++) {
        const char *ns = fs->f[j].ns;
        if (!strcmp(ns, in.dflt) || prefix_of(&in, ns, pb) || in.n >= MAX_PREFIXES)
            continue;
        in.ns[in.n++] = ns;
        prefix_of(&in, ns, pb);
        st = puts_(c, " xmlns:");
        if (!st)
            st = puts_(c, pb);
        if (!st)
            st = puts_(c, "=\"");
        if (!st)
            st = put_attr_value(c, ns);
        if (!st)
            st = puts_(c, "\"");
    }
    if (!st && !in.has_i && (k == NTCP_VALUE_NULL || (fs && has_null_member(v)))) {
        st = puts_(c, " xmlns:i=\"" NS_XSI "\"");
        in.has_i = 1;
    }
    if (!st && k == NTCP_VALUE_NULL)
        return puts_(c, " i:nil=\"true\"/>");
    if (!st)
        st = puts_(c, ">");
    if (st) {
        ntcp_free(fs);
        return st;
    }
    if (t.simple) {
        char buf[256];
        const char *text = "";
        size_t tlen = 0;
        st = simple_text(c, &t, v, buf, sizeof buf, &text, &tlen);
        if (!st)
            st = put_text(c, text, tlen);
    } else {
        st = write_members(c, &t, fs, v, &in, depth);
        ntcp_free(fs);
    }
    if (!st)
        st = puts_(c, "</");
    if (!st && pfx)
        st = puts_(c, pfx), st = st ? st : puts_(c, ":");
    if (!st)
        st = puts_(c, e->name);
    if (!st)
        st = puts_(c, ">");
    return st;
}

static ntcp_status op_element(struct ctx *c, const ntcp_wsdl_message *m, const char *what, struct elem *e)
{
    const xmlNode *d = ntcp__wsdl_find_xsd(c->w, "element", m->ns ? m->ns : "", m->element);
    if (!d)
        return failc(c, NTCP_E_MALFORMED, NTCP_CAUSE_WSDL_UNDEFINED, "%s element {%s}%s is not defined in any schema",
                     what, m->ns ? m->ns : "", m->element);
    memset(e, 0, sizeof *e);
    return read_elem_decl(c, d, e);
}

const ntcp_wsdl_operation *ntcp_wsdl_operation_find(const ntcp_wsdl *w, const char *name)
{
    if (!name)
        return NULL;
    const char *dot = strrchr(name, '.');
    const ntcp_wsdl_operation *found = NULL;
    for (size_t i = 0; i < ntcp_wsdl_operation_count(w); i++) {
        const ntcp_wsdl_operation *o = ntcp_wsdl_operation_at(w, i);
        int match = !strcmp(o->name, name) ||
                    (dot && !strcmp(o->name, dot + 1) && strlen(o->contract) == (size_t)(dot - name) &&
                     !strncmp(o->contract, name, (size_t)(dot - name)));
        if (!match)
            continue;
        if (found)
            return NULL; /* several contracts have it: Contract.Name picks one */
        found = o;
    }
    return found;
}

ntcp_status ntcp_wsdl_build_body(const ntcp_wsdl *w, const ntcp_wsdl_operation *op, const ntcp_value *args,
                                 char **xml, size_t *len, ntcp_error *err)
{
    ntcp_error_clear(err);
    if (!w || !op || !xml)
        return ntcp_error_set(err, NTCP_E_INVALID_ARG, NTCP_CAUSE_INVALID_ARGUMENT, NTCP_STEP_OPTIONS,
                              "ntcp_wsdl_build_body: no WSDL, operation or result pointer");
    *xml = NULL;
    if (len)
        *len = 0;
    struct ctx c = { .w = w, .err = err, .bad = NTCP_CAUSE_WSDL_BAD_ARGS, .step = NTCP_STEP_OPTIONS };
    snprintf(c.path, sizeof c.path, "%s", op->name);
    ntcp_buf_init(&c.out, MAX_BODY);
    ntcp_status st = NTCP_OK;
    if (op->input.element) {
        struct elem e;
        st = op_element(&c, &op->input, "the input", &e);
        if (!st) {
            /* WCF's wrapper: no arguments is an empty object */
            ntcp_value *empty = NULL;
            if (!args && (empty = ntcp_value_new(NTCP_VALUE_OBJECT)) == NULL)
                st = failc(&c, NTCP_E_NOMEM, NTCP_CAUSE_OUT_OF_MEMORY, "out of memory");
            struct scope top = { .dflt = "" };
            if (!st)
                st = write_value(&c, &e, args ? args : empty, &top, 0);
            ntcp_value_free(empty);
        }
    } else if (args && ntcp_value_count(args)) {
        st = BAD(&c, "the operation takes no arguments");
    }
    if (!st && ntcp_buf_put_u8(&c.out, 0))
        st = failc(&c, NTCP_E_NOMEM, NTCP_CAUSE_OUT_OF_MEMORY, "out of memory");
    if (st) {
        ntcp_buf_free(&c.out);
        if (err && err->status == NTCP_OK)
            ntcp_error_set(err, st, ntcp_cause_of_status(st), NTCP_STEP_OPTIONS, "%s: %s", op->name,
                           ntcp_status_str(st));
        return st;
    }
    size_t n;
    *xml = (char *)ntcp_buf_detach(&c.out, &n);
    if (len)
        *len = n - 1;
    return NTCP_OK;
}

/* ---- XML to values ---- */

static const char *node_ns(const xmlNode *x) { return x->ns && x->ns->href ? (const char *)x->ns->href : ""; }

static int is_nil(const xmlNode *x)
{
    for (xmlAttr *a = x->properties; a; a = a->next)
        if (a->ns && !strcmp((const char *)a->ns->href, NS_XSI) && !strcmp((const char *)a->name, "nil") &&
            a->children && a->children->content)
            return !strcmp((const char *)a->children->content, "true") ||
                   !strcmp((const char *)a->children->content, "1");
    return 0;
}

/* xsi:type's value, or NULL */
static const char *xsi_type(const xmlNode *x)
{
    for (xmlAttr *a = x->properties; a; a = a->next)
        if (a->ns && !strcmp((const char *)a->ns->href, NS_XSI) && !strcmp((const char *)a->name, "type") &&
            a->children && a->children->content)
            return (const char *)a->children->content;
    return NULL;
}

static ntcp_value *nomem(struct ctx *c)
{
    failc(c, NTCP_E_NOMEM, NTCP_CAUSE_OUT_OF_MEMORY, "out of memory");
    return NULL;
}

/* A JSON number for an XML Schema number's text (+ and leading zeros
 * dropped, ".5" as 0.5), or NULL. */
static ntcp_value *json_num(const char *s, int decimal_only)
{
    char buf[512]; /* longer than any text read_simple passes */
    size_t o = 0, n = strlen(s);
    if (n >= sizeof buf - 4)
        return NULL;
    const char *p = s;
    if (*p == '-')
        buf[o++] = *p++;
    else if (*p == '+')
        p++;
    while (*p == '0' && p[1] >= '0' && p[1] <= '9')
        p++;
    if (*p == '.')
        buf[o++] = '0';
    while (*p >= '0' && *p <= '9')
        buf[o++] = *p++;
    if (*p == '.') {
        p++;
        if (*p >= '0' && *p <= '9') {
            buf[o++] = '.';
            while (*p >= '0' && *p <= '9')
                buf[o++] = *p++;
        }
    }
    if (!decimal_only && (*p == 'e' || *p == 'E')) {
        buf[o++] = *p++;
        if (*p == '+' || *p == '-')
            buf[o++] = *p++;
        while (*p >= '0' && *p <= '9')
            buf[o++] = *p++;
    }
    if (*p)
        return NULL;
    buf[o] = 0;
    return ntcp_value_number(buf); /* NULL unless JSON's grammar holds */
}

static ntcp_value *read_simple(struct ctx *c, const struct type *t, const xmlNode *x, int *bad)
{
    xmlChar *raw = xmlNodeGetContent(x);
    const char *s = raw ? (const char *)raw : "";
    ntcp_value *v = NULL;
    *bad = 0;
    if (t->prim == P_STRING && !t->enums) {
        v = ntcp_value_string(s, strlen(s));
        xmlFree(raw);
        return v ? v : nomem(c);
    }
    /* the other types collapse whitespace */
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    char tb[400];
    if (n >= sizeof tb) {
        if (t->prim == P_BASE64 || t->prim == P_STRING) {
            v = ntcp_value_string(s, n);
            xmlFree(raw);
            return v ? v : nomem(c);
        }
        xmlFree(raw);
        *bad = 1;
        BAD(c, "%zu characters for %s", n, t->name);
        return NULL;
    }
    memcpy(tb, s, n);
    tb[n] = 0;
    xmlFree(raw);
    switch (t->prim) {
    case P_STRING:
    case P_DATETIME:
    case P_DURATION:
    case P_BASE64:
    case P_GUID:
        v = ntcp_value_string(tb, n);
        break;
    case P_BOOL:
        if (!strcmp(tb, "true") || !strcmp(tb, "1"))
            v = ntcp_value_bool(1);
        else if (!strcmp(tb, "false") || !strcmp(tb, "0"))
            v = ntcp_value_bool(0);
        else
            goto bad;
        break;
    case P_INT:
    case P_UINT:
    case P_INTEGER:
        if (!int_text(tb))
            goto bad;
        v = json_num(tb, 1);
        if (!v)
            return nomem(c);
        break;
    case P_DECIMAL:
        v = json_num(tb, 1);
        if (!v)
            goto bad;
        break;
    case P_FLOAT:
        if (!strcmp(tb, "INF") || !strcmp(tb, "-INF") || !strcmp(tb, "NaN")) {
            v = ntcp_value_string(tb, n); /* JSON has no infinities */
            break;
        }
        {
            char *end;
            strtod(tb, &end);
            if (!n || *end || strpbrk(tb, "xXnNiI"))
                goto bad;
        }
        v = json_num(tb, 0);
        if (!v)
            goto bad;
        break;
    case P_CHAR: {
        if (!int_text(tb) || n > 6)
            goto bad;
        long cp = strtol(tb, NULL, 10);
        char u[4];
        size_t un;
        if (cp < 0 || cp > 0xffff || (cp >= 0xd800 && cp <= 0xdfff))
            goto bad;
        if (cp < 0x80)
            u[0] = (char)cp, un = 1;
        else if (cp < 0x800)
            u[0] = (char)(0xc0 | (cp >> 6)), u[1] = (char)(0x80 | (cp & 0x3f)), un = 2;
        else
            u[0] = (char)(0xe0 | (cp >> 12)), u[1] = (char)(0x80 | ((cp >> 6) & 0x3f)),
            u[2] = (char)(0x80 | (cp & 0x3f)), un = 3;
        v = ntcp_value_string(u, un);
        break;
    }
    }
    return v ? v : nomem(c);
bad:
    *bad = 1;
    BAD(c, "\"%.60s\" is not a valid %s", tb, t->name);
    return NULL;
}

static ntcp_value *read_value(struct ctx *c, const struct elem *e, const xmlNode *x, int depth);

static ntcp_value *read_members(struct ctx *c, const struct type *t, const xmlNode *x, int depth)
{
    struct fields *fs = ntcp_malloc(sizeof *fs);
    if (!fs)
        return nomem(c);
    fs->n = 0;
    if (collect(c, t->complex, t->name, fs, 0)) {
        ntcp_free(fs);
        return NULL;
    }
    ntcp_value *out = NULL;
    /* every child element a member */
    EACH(k, x)
    {
        size_t j = 0;
        while (j < fs->n && (strcmp(fs->f[j].name, (const char *)k->name) || strcmp(fs->f[j].ns, node_ns(k))))
            j++;
        if (j == fs->n) {
            BAD(c, "element {%s}%s is not a member of %s", node_ns(k), (const char *)k->name, t->name);
            ntcp_free(fs);
            return NULL;
        }
    }
    int array = is_array_type(fs);
    out = ntcp_value_new(array ? NTCP_VALUE_ARRAY : NTCP_VALUE_OBJECT);
    if (!out) {
        ntcp_free(fs);
        return nomem(c);
    }
    for (size_t j = 0; j < fs->n; j++) {
        const struct elem *f = &fs->f[j];
        size_t was = path_push(c, array ? "" : ".%s", f->name);
        ntcp_value *list = NULL;
        size_t count = 0;
        ntcp_status st = NTCP_OK;
        EACH(k, x)
        {
            if (strcmp(f->name, (const char *)k->name) || strcmp(f->ns, node_ns(k)))
                continue;
            if (f->max == 1 && count) {
                BAD(c, "more than once");
                st = NTCP_E_MALFORMED;
                break;
            }
            size_t w2 = f->max != 1 ? path_push(c, "[%zu]", count) : strlen(c->path);
            ntcp_value *item = read_value(c, f, k, depth + 1);
            if (!item) {
                st = NTCP_E_MALFORMED;
                break;
            }
            c->path[w2] = 0;
            count++;
            if (array) {
                st = ntcp_value_append(out, item);
            } else if (f->max != 1) {
                if (!list && !(list = ntcp_value_new(NTCP_VALUE_ARRAY))) {
                    ntcp_value_free(item);
                    st = NTCP_E_NOMEM;
                } else
                    st = ntcp_value_append(list, item);
            } else {
                st = ntcp_value_set(out, f->name, item);
            }
            if (st) {
                nomem(c);
                break;
            }
        }
        if (!st && count < (size_t)f->min) {
            BAD(c, "missing: the schema requires %d, the reply has %zu", f->min, count);
            st = NTCP_E_MALFORMED;
        }
        if (!st && list)
            st = ntcp_value_set(out, f->name, list) ? (nomem(c), NTCP_E_NOMEM) : NTCP_OK;
        else
            ntcp_value_free(list);
        if (st) {
            ntcp_value_free(out);
            ntcp_free(fs);
            return NULL;
        }
        c->path[was] = 0;
    }
    ntcp_free(fs);
    return out;
}

static ntcp_value *read_value(struct ctx *c, const struct elem *e, const xmlNode *x, int depth)
{
    if (depth > MAX_DEPTH) {
        BAD(c, "nested deeper than %d", MAX_DEPTH);
        return NULL;
    }
    if (is_nil(x)) {
        ntcp_value *v = ntcp_value_new(NTCP_VALUE_NULL);
        return v ? v : nomem(c);
    }
    struct type t;
    const char *xt = xsi_type(x);
    if (xt) {
        /* the type the sender names (a derived data contract, an object member's value) */
        char prefix[128] = "";
        const char *colon = strchr(xt, ':');
        if (colon && (size_t)(colon - xt) < sizeof prefix)
            memcpy(prefix, xt, (size_t)(colon - xt)), prefix[colon - xt] = 0;
        xmlNs *nsd = xmlSearchNs(x->doc, (xmlNode *)x, colon ? (const xmlChar *)prefix : NULL);
        if ((colon && !nsd) || (colon && (size_t)(colon - xt) >= sizeof prefix)) {
            BAD(c, "i:type=\"%.60s\": its prefix is not declared", xt);
            return NULL;
        }
        if (resolve_qn(c, nsd && nsd->href ? (const char *)nsd->href : "", colon ? colon + 1 : xt, &t, 0))
            return NULL;
    } else if (elem_type(c, e, &t))
        return NULL;
    if (t.simple) {
        EACH(k, x)
        {
            BAD(c, "element {%s}%s inside %s, a simple type", node_ns(k), (const char *)k->name, t.name);
            return NULL;
        }
        int bad;
        return read_simple(c, &t, x, &bad);
    }
    return read_members(c, &t, x, depth);
}

#if LIBXML_VERSION >= 21200
static void quiet_structured(void *ctx, const xmlError *e)
#else
static void quiet_structured(void *ctx, xmlError *e)
#endif
{
    (void)ctx;
    (void)e;
}

static void quiet_generic(void *ctx, const char *fmt, ...)
{
    (void)ctx;
    (void)fmt;
}

ntcp_status ntcp_wsdl_read_body(const ntcp_wsdl *w, const ntcp_wsdl_operation *op, const void *xml, size_t len,
                                ntcp_value **out, ntcp_error *err)
{
    ntcp_error_clear(err);
    if (!w || !op || !out || (!xml && len))
        return ntcp_error_set(err, NTCP_E_INVALID_ARG, NTCP_CAUSE_INVALID_ARGUMENT, NTCP_STEP_OPTIONS,
                              "ntcp_wsdl_read_body: no WSDL, operation, body or result pointer");
    *out = NULL;
    struct ctx c = { .w = w, .err = err, .bad = NTCP_CAUSE_WSDL_BAD_REPLY, .step = NTCP_STEP_DECODE };
    snprintf(c.path, sizeof c.path, "%s", op->output.element ? op->output.element : op->name);
    if (!op->output.element) {
        if (len == 0) {
            *out = ntcp_value_new(NTCP_VALUE_NULL);
            return *out ? NTCP_OK : NTCP_E_NOMEM;
        }
        return BAD(&c, "the operation has no output message, but the reply has a body");
    }
    struct elem e;
    ntcp_status st = op_element(&c, &op->output, "the output", &e);
    if (st)
        return st;
    if (len > MAX_BODY || len > 0x7fffffff)
        return failc(&c, NTCP_E_LIMIT, NTCP_CAUSE_WSDL_BAD_REPLY, "reply: the body is larger than 64 MiB");
    xmlParserCtxtPtr px = xmlNewParserCtxt();
    if (!px)
        return failc(&c, NTCP_E_NOMEM, NTCP_CAUSE_OUT_OF_MEMORY, "out of memory");
    xmlGenericErrorFunc saved_fn = xmlGenericError;
    void *saved_ctx = xmlGenericErrorContext;
    xmlSetGenericErrorFunc(NULL, quiet_generic);
    px->sax->serror = quiet_structured;
    xmlDocPtr doc = xmlCtxtReadMemory(px, len ? (const char *)xml : "", (int)len, "reply", NULL,
                                      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    int wf = px->wellFormed;
    xmlFreeParserCtxt(px);
    xmlSetGenericErrorFunc(saved_ctx, saved_fn);
    if (!doc || !wf || doc->intSubset || doc->extSubset) {
        xmlFreeDoc(doc);
        return BAD(&c, "the body is not well-formed XML (or carries a DTD)");
    }
    const xmlNode *root = xmlDocGetRootElement(doc);
    if (!root || strcmp((const char *)root->name, e.name) || strcmp(node_ns(root), e.ns)) {
        st = BAD(&c, "the body is {%s}%s, not the operation's output {%s}%s", root ? node_ns(root) : "",
                 root ? (const char *)root->name : "", e.ns, e.name);
        xmlFreeDoc(doc);
        return st;
    }
    ntcp_value *v = read_value(&c, &e, root, 0);
    xmlFreeDoc(doc);
    if (!v)
        return err && err->status ? err->status : NTCP_E_MALFORMED;
    *out = v;
    return NTCP_OK;
}
