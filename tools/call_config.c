/* nettcp call --config: a WCF client configuration read with libxml2.
 * <system.serviceModel><client><endpoint> and the binding, identity and
 * behavior it names, mapped onto the client options. Every attribute and
 * element of those is either applied, accepted as having no effect on one
 * client call (documented in docs/cli.md), or refused by name
 * (config_unsupported): nothing is silently ignored. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlversion.h>
#include <nettcp/channel.h>
#include "call_config.h"

struct cc {
    const char *path;
    ntcp_error *err;
    ntcp_client_options *o;
    struct call_config *cfg;
};

static ntcp_status failv(struct cc *c, ntcp_cause cause, const xmlNode *n, const char *fmt, va_list ap)
{
    char msg[1500];
    vsnprintf(msg, sizeof msg, fmt, ap);
    ntcp_status st = cause == NTCP_CAUSE_CONFIG_UNSUPPORTED ? NTCP_E_UNSUPPORTED : NTCP_E_INVALID_ARG;
    if (n)
        return ntcp_error_set(c->err, st, cause, NTCP_STEP_OPTIONS, "%s line %ld: %s", c->path, xmlGetLineNo(n), msg);
    return ntcp_error_set(c->err, st, cause, NTCP_STEP_OPTIONS, "%s: %s", c->path, msg);
}

static ntcp_status fail(struct cc *c, ntcp_cause cause, const xmlNode *n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static ntcp_status fail(struct cc *c, ntcp_cause cause, const xmlNode *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ntcp_status st = failv(c, cause, n, fmt, ap);
    va_end(ap);
    return st;
}

/* ---- small helpers ---- */
#define FOR_ELEMENTS(v, parent) \
    for (xmlNode *v = (parent)->children; v; v = v->next) \
        if (v->type == XML_ELEMENT_NODE)

static const char *attr(const xmlNode *n, const char *name)
{
    xmlAttr *a = xmlHasProp(n, (const xmlChar *)name);
    if (!a)
        return NULL;
    return a->children && a->children->content ? (const char *)a->children->content : "";
}

static bool named(const xmlNode *n, const char *name) { return !strcmp((const char *)n->name, name); }

static bool in(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(s, *list))
            return true;
    return false;
}

/* Every attribute of n is in `applied` or `no_effect`; else config_unsupported naming it. */
static ntcp_status check_attrs(struct cc *c, const xmlNode *n, const char *const *applied, const char *const *no_effect)
{
    for (xmlAttr *a = n->properties; a; a = a->next) {
        const char *name = (const char *)a->name;
        if (a->ns && a->ns->href && !strcmp((const char *)a->ns->href, "http://www.w3.org/2001/XMLSchema-instance"))
            continue;
        if (in(name, applied) || (no_effect && in(name, no_effect)))
            continue;
        return fail(c, NTCP_CAUSE_CONFIG_UNSUPPORTED, n, "<%s %s=\"%s\">: the attribute %s is not implemented",
                    n->name, name, attr(n, name), name);
    }
    return NTCP_OK;
}

static ntcp_status unsupported_child(struct cc *c, const xmlNode *parent, const xmlNode *child, const char *why)
{
    return fail(c, NTCP_CAUSE_CONFIG_UNSUPPORTED, child, "<%s> in <%s>: %s", child->name, parent->name,
                why ? why : "this element is not implemented");
}

/* "true"/"false" (any case, as .NET's Boolean.Parse) */
static ntcp_status parse_bool(struct cc *c, const xmlNode *n, const char *name, bool *out)
{
    const char *v = attr(n, name);
    if (!v)
        return NTCP_OK;
    if (!strcasecmp(v, "true"))
        *out = true;
    else if (!strcasecmp(v, "false"))
        *out = false;
    else
        return fail(c, NTCP_CAUSE_CONFIG_INVALID, n, "<%s %s=\"%s\">: true or false", n->name, name, v);
    return NTCP_OK;
}

/* A positive integer attribute (sizes and quotas), capped at 2^31-1: the
 * wire's sizes are MultiByteInt31. */
static ntcp_status parse_size(struct cc *c, const xmlNode *n, const char *name, uint32_t *out, bool *present)
{
    const char *v = attr(n, name);
    if (present)
        *present = v != NULL;
    if (!v)
        return NTCP_OK;
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (end == v || *end || x <= 0 || errno)
        return fail(c, NTCP_CAUSE_CONFIG_INVALID, n, "<%s %s=\"%s\">: a positive whole number of bytes", n->name,
                    name, v);
    *out = x > 0x7fffffffLL ? 0x7fffffffu : (uint32_t)x;
    return NTCP_OK;
}

/* A .NET TimeSpan as configuration writes it: [-][d.]hh:mm[:ss[.fffffff]],
 * a whole number of days, or "Infinite"; into milliseconds, capped at INT_MAX. */
static ntcp_status parse_timespan(struct cc *c, const xmlNode *n, const char *name, int *out)
{
    const char *v = attr(n, name);
    if (!v)
        return NTCP_OK;
    if (!strcmp(v, "Infinite")) {
        *out = INT_MAX;
        return NTCP_OK;
    }
    unsigned long long d = 0, h = 0, m = 0, s = 0, frac = 0, scale = 1;
    const char *p = v;
    int got = 0;
    char *end;
    if (*p == '-')
        goto bad;
    unsigned long long first = strtoull(p, &end, 10);
    if (end == p)
        goto bad;
    if (*end == 0) { /* days only */
        d = first;
        got = 1;
    } else {
        if (*end == '.') {
            d = first;
            p = end + 1;
            h = strtoull(p, &end, 10);
            if (end == p || *end != ':')
                goto bad;
        } else if (*end == ':') {
            h = first;
        } else
            goto bad;
        p = end + 1;
        m = strtoull(p, &end, 10);
        if (end == p)
            goto bad;
        if (*end == ':') {
            p = end + 1;
            s = strtoull(p, &end, 10);
            if (end == p)
                goto bad;
            if (*end == '.') {
                p = end + 1;
                const char *q = p;
                while (*q >= '0' && *q <= '9' && q - p < 7) {
                    frac = frac * 10 + (unsigned)(*q - '0');
                    scale *= 10;
                    q++;
                }
                end = (char *)q;
                if (q == p)
                    goto bad;
            }
        }
        if (*end || h > 23 || m > 59 || s > 59)
            goto bad;
        got = 1;
    }
    if (!got || d > 10675199)
        goto bad;
    unsigned long long ms = ((d * 24 + h) * 60 + m) * 60000ULL + s * 1000 + frac * 1000 / scale;
    *out = ms > INT_MAX ? INT_MAX : (int)ms;
    return NTCP_OK;
bad:
    return fail(c, NTCP_CAUSE_CONFIG_INVALID, n,
                "<%s %s=\"%s\">: a TimeSpan such as 00:01:00 ([d.]hh:mm:ss[.fffffff]) or Infinite", n->name, name, v);
}

static ntcp_status parse_enum(struct cc *c, const xmlNode *n, const char *name, const char *const *values, int *out)
{
    const char *v = attr(n, name);
    if (!v)
        return NTCP_OK;
    for (int i = 0; values[i]; i++)
        if (!strcmp(v, values[i])) {
            *out = i;
            return NTCP_OK;
        }
    char list[300] = "";
    for (int i = 0; values[i]; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", values[i]);
    return fail(c, NTCP_CAUSE_CONFIG_INVALID, n, "<%s %s=\"%s\">: one of %s", n->name, name, v, list);
}

static char *dupstr(const char *prefix, const char *v)
{
    size_t n = strlen(prefix) + strlen(v) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s%s", prefix, v);
    return s;
}

/* ---- the pieces of a binding ---- */

static const char *const TIMEOUTS[] = { "openTimeout", "sendTimeout", "receiveTimeout", "closeTimeout", NULL };

static ntcp_status timeouts(struct cc *c, const xmlNode *b)
{
    ntcp_channel_options *ch = &c->o->channel;
    ntcp_status st;
    int idle = 0;
    /* a WCF client waits for a reply within sendTimeout (its OperationTimeout); receiveTimeout
     * bounds an idle session, which one call does not have: checked, no effect */
    if ((st = parse_timespan(c, b, "openTimeout", &ch->open_timeout_ms)) ||
        (st = parse_timespan(c, b, "sendTimeout", &ch->send_timeout_ms)) ||
        (st = parse_timespan(c, b, "receiveTimeout", &idle)) ||
        (st = parse_timespan(c, b, "closeTimeout", &ch->close_timeout_ms)))
        return st;
    ch->receive_timeout_ms = ch->send_timeout_ms;
    for (int i = 0; TIMEOUTS[i]; i++)
        if (attr(b, TIMEOUTS[i]))
            c->cfg->set |= CALL_CONFIG_TIMEOUTS;
    return NTCP_OK;
}

static ntcp_status reader_quotas(struct cc *c, const xmlNode *q)
{
    static const char *const applied[] = { "maxDepth", "maxStringContentLength", "maxArrayLength",
                                           "maxNameTableCharCount", NULL };
    /* maxBytesPerRead sizes the reader's buffer in .NET; whole messages are read here */
    static const char *const no_effect[] = { "maxBytesPerRead", NULL };
    ntcp_status st = check_attrs(c, q, applied, no_effect);
    ntcp_xml_limits *x = &c->o->xml;
    if (!st)
        st = parse_size(c, q, "maxDepth", &x->max_depth, NULL);
    if (!st)
        st = parse_size(c, q, "maxStringContentLength", &x->max_string_len, NULL);
    if (!st)
        st = parse_size(c, q, "maxArrayLength", &x->max_array_len, NULL);
    if (!st)
        st = parse_size(c, q, "maxNameTableCharCount", &x->max_name_chars, NULL);
    FOR_ELEMENTS(k, q)
    return unsupported_child(c, q, k, NULL);
    return st;
}

/* maxReceivedMessageSize and maxBufferSize: the smaller bounds a message */
static ntcp_status sizes(struct cc *c, const xmlNode *n)
{
    uint32_t mrms = 65536, mbs = 0;
    bool has_mbs;
    ntcp_status st = parse_size(c, n, "maxReceivedMessageSize", &mrms, NULL);
    if (!st)
        st = parse_size(c, n, "maxBufferSize", &mbs, &has_mbs);
    if (st)
        return st;
    if (has_mbs && mbs < mrms)
        mrms = mbs;
    c->o->channel.limits.max_message = mrms;
    c->o->xml.max_size = mrms;
    return NTCP_OK;
}

static ntcp_status transfer_mode(struct cc *c, const xmlNode *n)
{
    static const char *const modes[] = { "Buffered", "Streamed", "StreamedRequest", "StreamedResponse", NULL };
    int m = 0;
    ntcp_status st = parse_enum(c, n, "transferMode", modes, &m);
    if (st || !attr(n, "transferMode"))
        return st;
    if (m >= 2)
        return fail(c, NTCP_CAUSE_CONFIG_UNSUPPORTED, n,
                    "<%s transferMode=\"%s\">: only Buffered and Streamed are implemented", n->name, modes[m]);
    c->o->channel.mode = m == 1 ? NTCP_MODE_SINGLETON_UNSIZED : NTCP_MODE_DUPLEX;
    /* as WCF: session dictionaries on duplex sessions only */
    c->o->channel.encoding = m == 1 ? NTCP_ENC_BINARY : NTCP_ENC_BINARY_SESSION;
    c->cfg->set |= CALL_CONFIG_MODE;
    return NTCP_OK;
}

static ntcp_status protection(struct cc *c, const xmlNode *n)
{
    static const char *const levels[] = { "None", "Sign", "EncryptAndSign", NULL };
    int p = -1;
    ntcp_status st = parse_enum(c, n, "protectionLevel", levels, &p);
    if (!st && p >= 0)
        c->o->nns.protection = p == 0 ? NTCP_PROTECTION_NONE : p == 1 ? NTCP_PROTECTION_SIGN
                                                                       : NTCP_PROTECTION_ENCRYPT_AND_SIGN;
    return st;
}

/* sslProtocols="Tls12, Tls13": the lowest and highest into the TLS versions */
static ntcp_status ssl_protocols(struct cc *c, const xmlNode *n)
{
    const char *v = attr(n, "sslProtocols");
    if (!v)
        return NTCP_OK;
    int lo = 0, hi = 0;
    char buf[200];
    snprintf(buf, sizeof buf, "%s", v);
    for (char *save = NULL, *t = strtok_r(buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
        int ver;
        if (!strcmp(t, "Tls12"))
            ver = 0x0303;
        else if (!strcmp(t, "Tls13"))
            ver = 0x0304;
        else if (!strcmp(t, "Tls") || !strcmp(t, "Tls11") || !strcmp(t, "Ssl3") || !strcmp(t, "Ssl2"))
            continue; /* below TLS 1.2: never offered */
        else if (!strcmp(t, "None"))
            continue;
        else
            return fail(c, NTCP_CAUSE_CONFIG_INVALID, n, "<%s sslProtocols=\"%s\">: Tls12 and/or Tls13", n->name, v);
        lo = !lo || ver < lo ? ver : lo;
        hi = ver > hi ? ver : hi;
    }
    if (!lo)
        return fail(c, NTCP_CAUSE_CONFIG_UNSUPPORTED, n,
                    "<%s sslProtocols=\"%s\">: only TLS 1.2 and 1.3 are offered", n->name, v);
    c->o->tls.min_version = lo;
    c->o->tls.max_version = hi;
    return NTCP_OK;
}

static ntcp_status extended_protection(struct cc *c, const xmlNode *k)
{
    const char *pe = attr(k, "policyEnforcement");
    if (pe && strcmp(pe, "Never"))
        return fail(c, NTCP_CAUSE_CONFIG_UNSUPPORTED, k,
                    "<extendedProtectionPolicy policyEnforcement=\"%s\">: channel binding is not implemented "
                    "(Never is)",
                    pe);
    return NTCP_OK;
}

static ntcp_status nettcp_security(struct cc *c, const xmlNode *sec)
{
    static const char *const modes[] = { "None", "Transport", "Message", "TransportWithMessageCredential", NULL };
    static const char *const a_sec[] = { "mode", NULL };
    int mode = 1;
    ntcp_status st = check_attrs(c, sec, a_sec, NULL);
    if (!st)
        st = parse_enum(c, sec, "mode", modes, &mode);
    if (st)
        return st;
    if (mode >= 2)
        return fail(c, NTCP_CAUSE_CONFIG_UNSUPPORTED, sec,
                    "<security mode=\"%s\">: message security (WS-Security in the SOAP headers) is not implemented; "
                    "None and Transport are",
                    modes[mode]);
    c->o->security = mode == 0 ? NTCP_SECURITY_NONE : NTCP_SECURITY_TRANSPORT;
    c->cfg->set |= CALL_CONFIG_SECURITY;
    FOR_ELEMENTS(k, sec)
    {
        if (named(k, "message")) {
            /* WCF reads <message> only in the message security modes, refused above */
            static const char *const a_msg[] = { "clientCredentialType", "algorithmSuite", NULL };
            if ((st = check_attrs(c, k, a_msg, NULL)))
                return st;
            FOR_ELEMENTS(m, k)
            return unsupported_child(c, k, m, NULL);
            continue;
        }
        if (!named(k, "transport"))
            return unsupported_child(c, sec, k, NULL);
        static const char *const a_tr[] = { "clientCredentialType", "protectionLevel", "sslProtocols", NULL };
        static const char *const creds[] = { "None", "Windows", "Certificate", NULL };
        int cred = 1;
        if ((st = check_attrs(c, k, a_tr, NULL)) || (st = parse_enum(c, k, "clientCredentialType", creds, &cred)) ||
            (st = protection(c, k)) || (st = ssl_protocols(c, k)))
            return st;
        FOR_ELEMENTS(e, k)
        {
            if (!named(e, "extendedProtectionPolicy"))
                return unsupported_child(c, k, e, NULL);
            if ((st = extended_protection(c, e)))
                return st;
        }
        c->o->credential = cred == 0 ? NTCP_CREDENTIAL_NONE : cred == 1 ? NTCP_CREDENTIAL_WINDOWS
                                                                          : NTCP_CREDENTIAL_CERTIFICATE;
    }
    return NTCP_OK;
}

static ntcp_status reliable_session(struct cc *c, const xmlNode *r)
{
    static const char *const a[] = { "enabled", NULL };
    static const char *const no_effect[] = { "ordered", "inactivityTimeout", NULL };
    bool on = false;
    ntcp_status st = check_attrs(c, r, a, no_effect);
    if (!st)
        st = parse_bool(c, r, "enabled", &on);
    if (!st && on)
        st = fail(c, NTCP_CAUSE_CONFIG_UNSUPPORTED, r,
                  "<reliableSession enabled=\"true\">: WS-ReliableMessaging is not implemented");
    return st;
}

static ntcp_status nettcp_binding(struct cc *c, const xmlNode *b)
{
    static const char *const applied[] = { "name", "openTimeout", "sendTimeout", "receiveTimeout", "closeTimeout",
                                           "maxReceivedMessageSize", "maxBufferSize", "transferMode",
                                           "transactionFlow", NULL };
    /* pooling, listening and host name matching: a service's or a connection pool's concern */
    static const char *const no_effect[] = { "maxBufferPoolSize", "maxConnections", "listenBacklog",
                                             "portSharingEnabled", "hostNameComparisonMode", "transactionProtocol",
                                             NULL };
    bool tx = false;
    ntcp_status st;
    if ((st = check_attrs(c, b, applied, no_effect)) || (st = timeouts(c, b)) || (st = sizes(c, b)) ||
        (st = transfer_mode(c, b)) || (st = parse_bool(c, b, "transactionFlow", &tx)))
        return st;
    if (tx)
        return fail(c, NTCP_CAUSE_CONFIG_UNSUPPORTED, b,
                    "<binding transactionFlow=\"true\">: flowing transactions (WS-AtomicTransaction / OleTx) is not "
                    "implemented");
    FOR_ELEMENTS(k, b)
    {
        if (named(k, "readerQuotas"))
            st = reader_quotas(c, k);
        else if (named(k, "reliableSession"))
            st = reliable_session(c, k);
        else if (named(k, "security"))
            st = nettcp_security(c, k);
        else
            st = unsupported_child(c, b, k, NULL);
        if (st)
            return st;
    }
    return NTCP_OK;
}

/* customBinding: tcpTransport with binaryMessageEncoding and windowsStreamSecurity or sslStreamSecurity */
static ntcp_status custom_binding(struct cc *c, const xmlNode *b)
{
    static const char *const applied[] = { "name", "openTimeout", "sendTimeout", "receiveTimeout", "closeTimeout",
                                           NULL };
    ntcp_status st;
    if ((st = check_attrs(c, b, applied, NULL)) || (st = timeouts(c, b)))
        return st;
    bool transport = false, secured = false;
    c->o->security = NTCP_SECURITY_NONE; /* a custom binding without a stream security element */
    c->cfg->set |= CALL_CONFIG_SECURITY;
    FOR_ELEMENTS(k, b)
    {
        if (transport)
            return fail(c, NTCP_CAUSE_CONFIG_INVALID, k, "<%s> after <tcpTransport>: the transport comes last",
                        k->name);
        if (named(k, "binaryMessageEncoding")) {
            static const char *const a[] = { "maxSessionSize", "compressionFormat", NULL };
            static const char *const ne[] = { "maxReadPoolSize", "maxWritePoolSize", NULL };
            const char *cf = attr(k, "compressionFormat");
            if ((st = check_attrs(c, k, a, ne)) || (st = parse_size(c, k, "maxSessionSize", &c->o->xml.max_session_size, NULL)))
                return st;
            if (cf && strcmp(cf, "None"))
                return fail(c, NTCP_CAUSE_CONFIG_UNSUPPORTED, k,
                            "<binaryMessageEncoding compressionFormat=\"%s\">: compression is not implemented", cf);
            FOR_ELEMENTS(q, k)
            {
                if (!named(q, "readerQuotas"))
                    return unsupported_child(c, k, q, NULL);
                if ((st = reader_quotas(c, q)))
                    return st;
            }
        } else if (named(k, "windowsStreamSecurity") || named(k, "sslStreamSecurity")) {
            if (secured)
                return fail(c, NTCP_CAUSE_CONFIG_INVALID, k, "<%s>: a second stream security element", k->name);
            secured = true;
            c->o->security = NTCP_SECURITY_TRANSPORT;
            if (named(k, "windowsStreamSecurity")) {
                static const char *const a[] = { "protectionLevel", NULL };
                c->o->credential = NTCP_CREDENTIAL_WINDOWS;
                if ((st = check_attrs(c, k, a, NULL)) || (st = protection(c, k)))
                    return st;
            } else {
                static const char *const a[] = { "requireClientCertificate", "sslProtocols", NULL };
                bool client_cert = false;
                if ((st = check_attrs(c, k, a, NULL)) || (st = parse_bool(c, k, "requireClientCertificate", &client_cert)) ||
                    (st = ssl_protocols(c, k)))
                    return st;
                c->o->credential = client_cert ? NTCP_CREDENTIAL_CERTIFICATE : NTCP_CREDENTIAL_NONE;
            }
            FOR_ELEMENTS(q, k)
            return unsupported_child(c, k, q, NULL);
        } else if (named(k, "tcpTransport")) {
            static const char *const a[] = { "maxReceivedMessageSize", "maxBufferSize", "transferMode",
                                             "manualAddressing", NULL };
            static const char *const ne[] = { "maxBufferPoolSize", "connectionBufferSize", "hostNameComparisonMode",
                                              "channelInitializationTimeout", "maxPendingConnections",
                                              "maxOutputDelay", "maxPendingAccepts", "listenBacklog",
                                              "portSharingEnabled", "teredoEnabled", NULL };
            bool manual = false;
            if ((st = check_attrs(c, k, a, ne)) || (st = sizes(c, k)) || (st = transfer_mode(c, k)) ||
                (st = parse_bool(c, k, "manualAddressing", &manual)))
                return st;
            if (manual)
                return fail(c, NTCP_CAUSE_CONFIG_UNSUPPORTED, k, "<tcpTransport manualAddressing=\"true\">: not implemented");
            FOR_ELEMENTS(q, k)
            {
                if (named(q, "connectionPoolSettings"))
                    continue; /* pooling: one call opens one connection */
                if (!named(q, "extendedProtectionPolicy"))
                    return unsupported_child(c, k, q, NULL);
                if ((st = extended_protection(c, q)))
                    return st;
            }
            transport = true;
        } else {
            return unsupported_child(c, b, k,
                                     "this binding element is not implemented (tcpTransport, binaryMessageEncoding, "
                                     "windowsStreamSecurity and sslStreamSecurity are)");
        }
    }
    if (!transport)
        return fail(c, NTCP_CAUSE_CONFIG_UNSUPPORTED, b,
                    "<binding name=\"%s\"> of customBinding has no <tcpTransport>: only net.tcp is implemented",
                    attr(b, "name") ? attr(b, "name") : "");
    return NTCP_OK;
}

/* ---- identity and behaviors ---- */

static ntcp_status identity(struct cc *c, const xmlNode *id)
{
    FOR_ELEMENTS(k, id)
    {
        const char *prefix = NULL, *v = NULL;
        if (named(k, "userPrincipalName"))
            prefix = "upn:", v = attr(k, "value");
        else if (named(k, "servicePrincipalName"))
            prefix = "spn:", v = attr(k, "value");
        else if (named(k, "dns"))
            prefix = "dns:", v = attr(k, "value");
        else if (named(k, "rsa"))
            prefix = "rsa:", v = attr(k, "value");
        else if (named(k, "certificate"))
            prefix = "cert:", v = attr(k, "encodedValue");
        else if (named(k, "certificateReference")) {
            const char *t = attr(k, "x509FindType");
            if (!t || strcmp(t, "FindByThumbprint"))
                return fail(c, NTCP_CAUSE_CONFIG_UNSUPPORTED, k,
                            "<certificateReference x509FindType=\"%s\">: certificate stores are Windows's; only "
                            "FindByThumbprint is implemented (or give --identity thumbprint:HEX)",
                            t ? t : "FindBySubjectDistinguishedName");
            prefix = "thumbprint:", v = attr(k, "findValue");
        } else
            return unsupported_child(c, id, k, NULL);
        if (!v || !*v)
            return fail(c, NTCP_CAUSE_CONFIG_INVALID, k, "<%s>: no value", k->name);
        if (c->cfg->identity)
            return fail(c, NTCP_CAUSE_CONFIG_INVALID, k, "<identity> holds more than one identity");
        /* a thumbprint as Windows's certificate dialog copies it holds spaces (and may hold an
         * invisible mark): its hex digits are kept */
        char *s = dupstr(prefix, v);
        if (!s)
            return fail(c, NTCP_CAUSE_OUT_OF_MEMORY, k, "out of memory");
        if (!strcmp(prefix, "thumbprint:")) {
            char *w = s + strlen(prefix);
            for (const char *r = v; *r; r++)
                if ((*r >= '0' && *r <= '9') || (*r >= 'a' && *r <= 'f') || (*r >= 'A' && *r <= 'F'))
                    *w++ = *r;
            *w = 0;
        }
        c->cfg->identity = s;
        c->o->nns.identity = s;
        c->o->tls.identity = s;
        c->cfg->set |= CALL_CONFIG_IDENTITY;
    }
    return NTCP_OK;
}

static const xmlNode *find_named(const xmlNode *section, const char *child, const char *name)
{
    if (!section)
        return NULL;
    FOR_ELEMENTS(k, section)
    {
        if (!named(k, child))
            continue;
        const char *n = attr(k, "name");
        if (!strcmp(n ? n : "", name ? name : ""))
            return k;
    }
    return NULL;
}

static const xmlNode *child_named(const xmlNode *n, const char *name)
{
    if (!n)
        return NULL;
    FOR_ELEMENTS(k, n)
    if (named(k, name))
        return k;
    return NULL;
}

static ntcp_status client_credentials(struct cc *c, const xmlNode *cc)
{
    static const char *const no_effect[] = { "type", "supportInteractive", NULL };
    static const char *const none[] = { NULL };
    ntcp_status st = check_attrs(c, cc, none, no_effect);
    if (st)
        return st;
    FOR_ELEMENTS(k, cc)
    {
        if (named(k, "windows")) {
            static const char *const a[] = { "allowedImpersonationLevel", NULL };
            /* allowNtlm: NTLM is refused unless --no-require-server-auth, whatever the file says */
            static const char *const ne[] = { "allowNtlm", NULL };
            static const char *const levels[] = { "None", "Anonymous", "Identification", "Impersonation",
                                                  "Delegation", NULL };
            int l = -1;
            if ((st = check_attrs(c, k, a, ne)) || (st = parse_enum(c, k, "allowedImpersonationLevel", levels, &l)))
                return st;
            if (l == 1)
                return fail(c, NTCP_CAUSE_CONFIG_UNSUPPORTED, k,
                            "<windows allowedImpersonationLevel=\"Anonymous\">: not implemented (use --anonymous for "
                            "an anonymous logon)");
            if (l >= 0)
                c->o->nns.allowed_impersonation = l <= 2 ? NTCP_IMPERSONATION_IDENTIFICATION
                                                  : l == 3 ? NTCP_IMPERSONATION_IMPERSONATION
                                                           : NTCP_IMPERSONATION_DELEGATION;
        } else if (named(k, "serviceCertificate")) {
            if ((st = check_attrs(c, k, none, NULL)))
                return st;
            FOR_ELEMENTS(a, k)
            {
                if (!named(a, "authentication"))
                    return unsupported_child(c, k, a, "certificate stores are Windows's: give --ca FILE");
                static const char *const at[] = { "certificateValidationMode", "revocationMode", NULL };
                static const char *const ne[] = { "trustedStoreLocation", NULL };
                static const char *const modes[] = { "None", "PeerTrust", "ChainTrust", "PeerOrChainTrust",
                                                     "Custom", NULL };
                static const char *const rev[] = { "NoCheck", "Online", "Offline", NULL };
                int m = -1, r = -1;
                if ((st = check_attrs(c, a, at, ne)) || (st = parse_enum(c, a, "certificateValidationMode", modes, &m)) ||
                    (st = parse_enum(c, a, "revocationMode", rev, &r)))
                    return st;
                if (m == 3 || m == 4)
                    return fail(c, NTCP_CAUSE_CONFIG_UNSUPPORTED, a,
                                "<authentication certificateValidationMode=\"%s\">: None, PeerTrust and ChainTrust "
                                "are implemented",
                                modes[m]);
                if (m >= 0)
                    c->o->tls.validation = m == 0 ? NTCP_TLS_VALIDATION_NONE : m == 1 ? NTCP_TLS_VALIDATION_PEER
                                                                                       : NTCP_TLS_VALIDATION_CHAIN;
                if (r >= 0)
                    c->o->tls.revocation = r == 0 ? NTCP_TLS_REVOCATION_NOCHECK : r == 1 ? NTCP_TLS_REVOCATION_ONLINE
                                                                                         : NTCP_TLS_REVOCATION_OFFLINE;
            }
        } else if (named(k, "clientCertificate")) {
            return unsupported_child(c, cc, k,
                                     "certificate stores are Windows's: give --client-cert FILE --client-key FILE");
        } else {
            return unsupported_child(c, cc, k, NULL);
        }
    }
    return NTCP_OK;
}

static ntcp_status behavior(struct cc *c, const xmlNode *b)
{
    static const char *const a[] = { "name", NULL };
    ntcp_status st = check_attrs(c, b, a, NULL);
    if (st)
        return st;
    FOR_ELEMENTS(k, b)
    {
        if (named(k, "clientCredentials"))
            st = client_credentials(c, k);
        else if (named(k, "dataContractSerializer") || named(k, "synchronousReceive"))
            continue; /* the body is XML the caller wrote; replies are read whole */
        else
            st = unsupported_child(c, b, k, NULL);
        if (st)
            return st;
    }
    return NTCP_OK;
}

/* ---- the endpoint ---- */

static ntcp_status endpoint(struct cc *c, const xmlNode *sm, const xmlNode *ep)
{
    static const char *const a[] = { "address", "binding", "bindingConfiguration", "contract", "name",
                                     "behaviorConfiguration", NULL };
    ntcp_status st = check_attrs(c, ep, a, NULL);
    if (st)
        return st;
    const char *address = attr(ep, "address"), *binding = attr(ep, "binding");
    const char *bc = attr(ep, "bindingConfiguration"), *beh = attr(ep, "behaviorConfiguration");
    if (!address || !*address)
        return fail(c, NTCP_CAUSE_CONFIG_INVALID, ep, "<endpoint name=\"%s\"> has no address",
                    attr(ep, "name") ? attr(ep, "name") : "");
    if (!binding)
        return fail(c, NTCP_CAUSE_CONFIG_INVALID, ep, "<endpoint name=\"%s\"> has no binding",
                    attr(ep, "name") ? attr(ep, "name") : "");
    if (strcmp(binding, "netTcpBinding") && strcmp(binding, "customBinding") && strcmp(binding, "mexTcpBinding"))
        return fail(c, NTCP_CAUSE_CONFIG_UNSUPPORTED, ep,
                    "<endpoint binding=\"%s\">: nettcp calls netTcpBinding, mexTcpBinding and customBinding "
                    "(tcpTransport) endpoints",
                    binding);
    ntcp_url u;
    const char *why = NULL;
    if (ntcp_url_parse(address, &u, &why))
        return fail(c, NTCP_CAUSE_CONFIG_INVALID, ep, "<endpoint address=\"%s\">: %s", address,
                    why ? why : "not a net.tcp URL");
    if (!(c->cfg->address = strdup(address)) || !(c->cfg->name = strdup(attr(ep, "name") ? attr(ep, "name") : "")) ||
        !(c->cfg->contract = strdup(attr(ep, "contract") ? attr(ep, "contract") : "")))
        return fail(c, NTCP_CAUSE_OUT_OF_MEMORY, ep, "out of memory");
    /* NetTcpBinding's defaults (the options' own), with WCF's quotas: a file is read as WCF would */
    c->o->channel.limits.max_message = 65536;
    c->o->xml.max_size = 65536;
    c->o->channel.receive_timeout_ms = c->o->channel.send_timeout_ms; /* the reply within sendTimeout */
    c->cfg->set |= CALL_CONFIG_LIMITS;
    const xmlNode *bindings = child_named(sm, "bindings");
    const xmlNode *bsec = child_named(bindings, binding);
    const xmlNode *b = find_named(bsec, "binding", bc ? bc : "");
    if (bc && *bc && !b)
        return fail(c, NTCP_CAUSE_CONFIG_BINDING_MISSING, ep,
                    "<endpoint bindingConfiguration=\"%s\">: no <bindings><%s><binding name=\"%s\">", bc, binding, bc);
    if (!strcmp(binding, "mexTcpBinding")) {
        /* WCF's MetadataExchangeBindings.CreateMexTcpBinding: tcpTransport, binary encoding, no security */
        c->o->security = NTCP_SECURITY_NONE;
        c->cfg->set |= CALL_CONFIG_SECURITY;
        if (b) {
            static const char *const ma[] = { "name", "openTimeout", "sendTimeout", "receiveTimeout", "closeTimeout",
                                              NULL };
            if ((st = check_attrs(c, b, ma, NULL)) || (st = timeouts(c, b)))
                return st;
            FOR_ELEMENTS(k, b)
            return unsupported_child(c, b, k, NULL);
        }
    } else if (!strcmp(binding, "customBinding")) {
        if (!b)
            return fail(c, NTCP_CAUSE_CONFIG_BINDING_MISSING, ep,
                        "<endpoint binding=\"customBinding\"> needs a bindingConfiguration naming its <binding>");
        if ((st = custom_binding(c, b)))
            return st;
    } else if (b && (st = nettcp_binding(c, b))) {
        return st;
    }
    if (beh) {
        const xmlNode *eb = child_named(child_named(sm, "behaviors"), "endpointBehaviors");
        const xmlNode *bb = find_named(eb, "behavior", beh);
        if (!bb)
            return fail(c, NTCP_CAUSE_CONFIG_BINDING_MISSING, ep,
                        "<endpoint behaviorConfiguration=\"%s\">: no <behaviors><endpointBehaviors><behavior "
                        "name=\"%s\">",
                        beh, beh);
        if ((st = behavior(c, bb)))
            return st;
    }
    FOR_ELEMENTS(k, ep)
    {
        if (named(k, "identity"))
            st = identity(c, k);
        else if (named(k, "headers"))
            st = unsupported_child(c, ep, k, "address headers are not implemented (give them with --header XML)");
        else
            st = unsupported_child(c, ep, k, NULL);
        if (st)
            return st;
    }
    return NTCP_OK;
}

struct first_error {
    int set, line;
    char msg[300];
};

#if LIBXML_VERSION >= 21200 /* the handler's error became const in libxml2 2.12 */
static void on_xml_error(void *ctx, const xmlError *e)
#else
static void on_xml_error(void *ctx, xmlError *e)
#endif
{
    struct first_error *fe = ctx ? ((xmlParserCtxtPtr)ctx)->_private : NULL;
    if (!fe || fe->set || !e || e->level < XML_ERR_ERROR)
        return;
    fe->set = 1;
    fe->line = e->line;
    snprintf(fe->msg, sizeof fe->msg, "%s", e->message ? e->message : "not well-formed");
    size_t n = strcspn(fe->msg, "\n");
    fe->msg[n] = 0;
}

ntcp_status call_config_load(const char *path, const char *name, ntcp_client_options *o, struct call_config *cfg,
                             ntcp_error *err)
{
    ntcp_error_clear(err);
    FILE *f = fopen(path, "rb");
    char *data = NULL;
    size_t len = 0, cap = 0;
    int e = f ? 0 : errno;
    while (f) {
        if (len == cap) {
            char *nd = cap >= (64u << 20) ? NULL : realloc(data, cap = cap ? cap * 2 : 65536);
            if (!nd) {
                e = cap >= (64u << 20) ? EFBIG : ENOMEM;
                break;
            }
            data = nd;
        }
        size_t k = fread(data + len, 1, cap - len, f);
        len += k;
        if (k == 0) {
            e = ferror(f) ? EIO : 0;
            break;
        }
    }
    if (f)
        fclose(f);
    ntcp_status st = e ? ntcp_error_set(err, NTCP_E_INVALID_ARG, NTCP_CAUSE_CONFIG_UNREADABLE, NTCP_STEP_OPTIONS,
                                        "%s: cannot read the file: %s", path, strerror(e))
                       : call_config_load_memory(data ? data : "", len, path, name, o, cfg, err);
    free(data);
    return st;
}

ntcp_status call_config_load_memory(const char *data, size_t len, const char *path, const char *name,
                                    ntcp_client_options *o, struct call_config *cfg, ntcp_error *err)
{
    struct cc c = { path, err, o, cfg };
    ntcp_error_clear(err);
    if (len > 0x7fffffff)
        return ntcp_error_set(err, NTCP_E_INVALID_ARG, NTCP_CAUSE_CONFIG_UNREADABLE, NTCP_STEP_OPTIONS,
                              "%s: too large", path);
    /* the first XML error explains the rest: caught per parser context */
    struct first_error fe = { 0, 0, "" };
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    xmlDocPtr doc = NULL;
    if (ctxt) {
        ctxt->sax->serror = on_xml_error;
        ctxt->_private = &fe;
        doc = xmlCtxtReadMemory(ctxt, data, (int)len, path, NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        if (doc && !ctxt->wellFormed) {
            xmlFreeDoc(doc);
            doc = NULL;
        }
        xmlFreeParserCtxt(ctxt);
    }
    if (!doc)
        return ntcp_error_set(err, NTCP_E_INVALID_ARG, NTCP_CAUSE_CONFIG_UNREADABLE, NTCP_STEP_OPTIONS,
                              "%s line %d: %s", path, fe.line, fe.set ? fe.msg : "not well-formed XML");
    ntcp_status st = NTCP_OK;
    xmlNode *root = xmlDocGetRootElement(doc);
    const xmlNode *sm = root && named(root, "configuration") ? child_named(root, "system.serviceModel") : NULL;
    if (doc->intSubset || doc->extSubset) {
        st = fail(&c, NTCP_CAUSE_CONFIG_UNREADABLE, NULL, "a DTD (<!DOCTYPE>) is not accepted");
        goto out;
    }
    if (!root || !named(root, "configuration")) {
        st = fail(&c, NTCP_CAUSE_CONFIG_UNREADABLE, root, "the root element is <%s>, not <configuration>",
                  root ? (const char *)root->name : "");
        goto out;
    }
    const xmlNode *client = child_named(sm, "client");
    const xmlNode *ep = NULL;
    size_t count = 0;
    char names[1000] = "";
    if (client) {
        FOR_ELEMENTS(k, client)
        {
            if (named(k, "metadata"))
                continue; /* svcutil's import policy: not about calls */
            if (!named(k, "endpoint")) {
                st = unsupported_child(&c, client, k, NULL);
                goto out;
            }
            const char *n = attr(k, "name") ? attr(k, "name") : "";
            count++;
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s\"%s\"", count > 1 ? ", " : "", n);
            if ((name && !strcmp(n, name)) || (!name && count == 1))
                ep = k;
        }
    }
    if (!name && count > 1)
        ep = NULL;
    if (!ep) {
        if (!sm)
            st = fail(&c, NTCP_CAUSE_CONFIG_ENDPOINT_MISSING, root, "no <system.serviceModel> in <configuration>");
        else if (!count)
            st = fail(&c, NTCP_CAUSE_CONFIG_ENDPOINT_MISSING, sm, "no <client><endpoint> in <system.serviceModel>");
        else if (!name)
            st = fail(&c, NTCP_CAUSE_CONFIG_ENDPOINT_MISSING, client,
                      "%zu endpoints and no --endpoint: name one of %s", count, names);
        else
            st = fail(&c, NTCP_CAUSE_CONFIG_ENDPOINT_MISSING, client, "no <endpoint name=\"%s\">; the endpoints: %s",
                      name, names);
        goto out;
    }
    st = endpoint(&c, sm, ep);
out:
    xmlFreeDoc(doc);
    return st;
}

/* ---- the hooks in cmd_call ---- */

int call_config_prescan(int argc, char **argv, const char *shortopts, const struct option *longopts,
                        ntcp_client_options *o, struct call_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    ntcp_error_clear(&cfg->err);
    /* the command's own option table, so abbreviations and --config=FILE read as they will later;
     * quiet: the real pass reports usage errors */
    int saved = opterr, c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        if (c == CALL_CONFIG_OPT_CONFIG)
            cfg->path = optarg;
        else if (c == CALL_CONFIG_OPT_ENDPOINT)
            cfg->endpoint = optarg;
    }
    opterr = saved;
    optind = 1;
    if (cfg->endpoint && !cfg->path) {
        fprintf(stderr, "nettcp call: --endpoint needs --config FILE\n");
        return 2;
    }
    if (!cfg->path)
        return 0;
    cfg->loaded = true;
    (void)call_config_load(cfg->path, cfg->endpoint, o, cfg, &cfg->err);
    return 0;
}

void call_config_free(struct call_config *cfg)
{
    free(cfg->address);
    free(cfg->name);
    free(cfg->contract);
    free(cfg->identity);
    memset(cfg, 0, sizeof *cfg);
}
