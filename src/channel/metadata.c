/* A service's metadata: the contracts its endpoints describe, the model the
 * WSDL export reads (addresses, security, identity from the keytab or the
 * certificate), the HTTP responder (?wsdl, ?singleWsdl, ?wsdl=wsdlN,
 * ?xsd=xsdN) and the MEX endpoints (WS-Transfer Get at <path>/mex). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <krb5/krb5.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <nettcp/channel.h>
#include <nettcp/metadata.h>
#include "channel/http_server.h"
#include "channel/metadata_int.h"
#include "wsdl/export.h"

#define WST_GET "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get"
#define WST_GET_RESPONSE "http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse"

typedef struct described {
    ntcp_endpoint *ep;
    ntcp_contract_info c; /* owned copy */
} described;

struct ntcp__metadata {
    ntcp_service *svc;
    pthread_mutex_t mu; /* the options (published) and the descriptions */
    described *d;
    size_t nd;
    bool published;
    char *name, *ns, *identity;
    ntcp__http_server *http;
};

void ntcp_metadata_options_init(ntcp_metadata_options *o)
{
    memset(o, 0, sizeof *o);
    o->name = "Service";
    o->ns = "http://tempuri.org/";
    o->mex = true;
    o->http_host = "0.0.0.0";
    o->max_request = 8192;
    o->max_connections = 32;
    o->request_timeout_ms = 10000;
}

static char *dup_s(const char *s) { return s ? ntcp_strndup(s, strlen(s)) : NULL; }

/* ---- descriptions ----------------------------------------------------------- */

static void free_params(ntcp_param *p, size_t n)
{
    for (size_t i = 0; p && i < n; i++) {
        ntcp_free((char *)p[i].name);
        ntcp_free((char *)p[i].type);
    }
    ntcp_free(p);
}

static void free_contract(ntcp_contract_info *c)
{
    for (size_t i = 0; c->ops && i < c->nops; i++) {
        ntcp_operation_info *o = (ntcp_operation_info *)&c->ops[i];
        ntcp_free((char *)o->name);
        ntcp_free((char *)o->action);
        ntcp_free((char *)o->reply_action);
        free_params((ntcp_param *)o->in, o->nin);
        free_params((ntcp_param *)o->out, o->nout);
        ntcp_free((char *)o->input_element);
        ntcp_free((char *)o->output_element);
        ntcp_free((char *)o->schema);
        for (size_t f = 0; o->faults && f < o->nfaults; f++) {
            ntcp_free((char *)o->faults[f].name);
            ntcp_free((char *)o->faults[f].action);
            ntcp_free((char *)o->faults[f].type);
        }
        ntcp_free((void *)o->faults);
    }
    ntcp_free((void *)c->ops);
    ntcp_free((char *)c->name);
    ntcp_free((char *)c->ns);
}

static bool copy_params(const ntcp_param *src, size_t n, const ntcp_param **dst)
{
    *dst = NULL;
    if (!n)
        return true;
    ntcp_param *p = ntcp_calloc(n, sizeof *p);
    if (!p)
        return false;
    *dst = p;
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        p[i].name = dup_s(src[i].name);
        p[i].type = dup_s(src[i].type);
        p[i].array = src[i].array;
        ok &= p[i].name && (!src[i].type || p[i].type);
    }
    return ok;
}

static bool valid_params(const ntcp_param *p, size_t n)
{
    if (n && !p)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!p[i].name || !*p[i].name || !ntcp__wsdl_type_known(p[i].type))
            return false;
    return true;
}

static ntcp_status validate(const ntcp_contract_info *c)
{
    if (!c || !c->name || !*c->name || !c->ns || !*c->ns || (c->nops && !c->ops))
        return NTCP_E_INVALID_ARG;
    for (size_t i = 0; i < c->nops; i++) {
        const ntcp_operation_info *o = &c->ops[i];
        if (!o->name || !*o->name || (o->nfaults && !o->faults))
            return NTCP_E_INVALID_ARG;
        for (size_t f = 0; f < o->nfaults; f++)
            if (!o->faults[f].name || !*o->faults[f].name || !ntcp__wsdl_type_known(o->faults[f].type))
                return NTCP_E_INVALID_ARG;
        if (o->schema) {
            if (!o->input_element || (!o->one_way && !o->output_element) || ntcp__wsdl_schema_check(o->schema))
                return NTCP_E_INVALID_ARG;
        } else if (!valid_params(o->in, o->nin) || !valid_params(o->out, o->nout)) {
            return NTCP_E_INVALID_ARG;
        }
    }
    return NTCP_OK;
}

static struct ntcp__metadata *meta_of(ntcp_service *s)
{
    struct ntcp__metadata **mp = ntcp__service_meta(s);
    if (!*mp) {
        struct ntcp__metadata *m = ntcp_calloc(1, sizeof *m);
        if (!m)
            return NULL;
        m->svc = s;
        pthread_mutex_init(&m->mu, NULL);
        *mp = m;
    }
    return *mp;
}

ntcp_status ntcp_endpoint_describe(ntcp_endpoint *ep, const ntcp_contract_info *c)
{
    if (!ep)
        return NTCP_E_INVALID_ARG;
    ntcp_status st = validate(c);
    if (st)
        return st;
    struct ntcp__metadata *m = meta_of(ntcp__endpoint_service(ep));
    if (!m)
        return NTCP_E_NOMEM;
    ntcp_contract_info k;
    memset(&k, 0, sizeof k);
    k.name = dup_s(c->name);
    k.ns = dup_s(c->ns);
    ntcp_operation_info *ops = c->nops ? ntcp_calloc(c->nops, sizeof *ops) : NULL;
    k.ops = ops;
    k.nops = ops ? c->nops : 0;
    bool ok = k.name && k.ns && (!c->nops || ops);
    for (size_t i = 0; ok && i < c->nops; i++) {
        const ntcp_operation_info *o = &c->ops[i];
        ntcp_operation_info *q = &ops[i];
        q->name = dup_s(o->name);
        q->action = dup_s(o->action);
        q->reply_action = dup_s(o->reply_action);
        q->one_way = o->one_way;
        q->input_element = dup_s(o->input_element);
        q->output_element = dup_s(o->output_element);
        q->schema = dup_s(o->schema);
        ok = q->name && (!o->action || q->action) && (!o->reply_action || q->reply_action) &&
             (!o->input_element || q->input_element) && (!o->output_element || q->output_element) &&
             (!o->schema || q->schema);
        q->nin = o->schema ? 0 : o->nin;
        q->nout = o->schema ? 0 : o->nout;
        ok = ok && copy_params(o->in, q->nin, &q->in) && copy_params(o->out, q->nout, &q->out);
        if (ok && o->nfaults) {
            ntcp_fault_info *fs = ntcp_calloc(o->nfaults, sizeof *fs);
            q->faults = fs;
            q->nfaults = fs ? o->nfaults : 0;
            ok = fs != NULL;
            for (size_t f = 0; ok && f < o->nfaults; f++) {
                fs[f].name = dup_s(o->faults[f].name);
                fs[f].action = dup_s(o->faults[f].action);
                fs[f].type = dup_s(o->faults[f].type);
                ok = fs[f].name && (!o->faults[f].action || fs[f].action) && (!o->faults[f].type || fs[f].type);
            }
        }
    }
    pthread_mutex_lock(&m->mu);
    described *d = ok ? ntcp_realloc(m->d, (m->nd + 1) * sizeof *d) : NULL;
    if (d) {
        m->d = d;
        m->d[m->nd++] = (described){ ep, k };
    }
    pthread_mutex_unlock(&m->mu);
    if (!d) {
        free_contract(&k);
        return NTCP_E_NOMEM;
    }
    return NTCP_OK;
}

ntcp_status ntcp_service_describe(ntcp_service *s, const ntcp_contract_info *c)
{
    if (!s)
        return NTCP_E_INVALID_ARG;
    ntcp_endpoint *ep = ntcp__service_first_endpoint(s);
    return ep ? ntcp_endpoint_describe(ep, c) : NTCP_E_NOMEM;
}

void ntcp__metadata_free(struct ntcp__metadata *m)
{
    if (!m)
        return;
    ntcp__http_server_free(m->http);
    for (size_t i = 0; i < m->nd; i++)
        free_contract(&m->d[i].c);
    ntcp_free(m->d);
    ntcp_free(m->name);
    ntcp_free(m->ns);
    ntcp_free(m->identity);
    pthread_mutex_destroy(&m->mu);
    ntcp_free(m);
}

/* ---- identity ---------------------------------------------------------------- */

/* "spn:x" / "upn:x" / "dns:x" (no prefix: an SPN) into WCF's element name */
static void identity_split(const char *id, const char **kind, char *value, size_t n)
{
    *kind = "Spn";
    if (!strncasecmp(id, "spn:", 4))
        id += 4;
    else if (!strncasecmp(id, "upn:", 4))
        *kind = "Upn", id += 4;
    else if (!strncasecmp(id, "dns:", 4))
        *kind = "Dns", id += 4;
    snprintf(value, n, "%s", id);
}

/* the first principal of the keytab: an SPN (two or more components,
 * without the realm) or a UPN (one component, with it) */
static bool keytab_identity(const char *keytab, const char **kind, char *value, size_t n)
{
    krb5_context ctx;
    if (krb5_init_context(&ctx))
        return false;
    krb5_keytab kt = NULL;
    krb5_kt_cursor cur;
    krb5_keytab_entry ent;
    bool ok = false;
    if ((keytab ? krb5_kt_resolve(ctx, keytab, &kt) : krb5_kt_default(ctx, &kt)) == 0 &&
        krb5_kt_start_seq_get(ctx, kt, &cur) == 0) {
        if (krb5_kt_next_entry(ctx, kt, &ent, &cur) == 0) {
            char *name = NULL;
            bool spn = krb5_princ_size(ctx, ent.principal) >= 2;
            if (krb5_unparse_name_flags(ctx, ent.principal, spn ? KRB5_PRINCIPAL_UNPARSE_NO_REALM : 0, &name) == 0) {
                *kind = spn ? "Spn" : "Upn";
                snprintf(value, n, "%s", name);
                ok = true;
                krb5_free_unparsed_name(ctx, name);
            }
            krb5_free_keytab_entry_contents(ctx, &ent);
        }
        krb5_kt_end_seq_get(ctx, kt, &cur);
    }
    if (kt)
        krb5_kt_close(ctx, kt);
    krb5_free_context(ctx);
    return ok;
}

/* the certificate's DNS name as WCF publishes it: its first DNS subject
 * alternative name, else its common name (PEM; false for PKCS#12 or none) */
static bool cert_dns(const char *file, char *value, size_t n)
{
    FILE *f = file ? fopen(file, "r") : NULL;
    if (!f)
        return false;
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (!x)
        return false;
    bool ok = false;
    GENERAL_NAMES *sans = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    for (int i = 0; sans && !ok && i < sk_GENERAL_NAME_num(sans); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
        if (g->type == GEN_DNS) {
            const unsigned char *d = ASN1_STRING_get0_data(g->d.dNSName);
            int len = ASN1_STRING_length(g->d.dNSName);
            if (len > 0 && (size_t)len < n && !memchr(d, 0, (size_t)len)) {
                memcpy(value, d, (size_t)len);
                value[len] = 0;
                ok = true;
            }
        }
    }
    GENERAL_NAMES_free(sans);
    if (!ok)
        ok = X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, value, (int)n) > 0;
    X509_free(x);
    return ok;
}

/* ---- the model ------------------------------------------------------------------ */

static bool wildcard(const char *h)
{
    return !*h || !strcmp(h, "0.0.0.0") || !strcmp(h, "::") || !strcmp(h, "*") || !strcmp(h, "+");
}

typedef struct model {
    ntcp__xservice s;
    ntcp__xport *ports;
    const ntcp_contract_info **contracts;
    char (*addr)[2400];
    char (*idv)[512];
} model;

static void model_free(model *md)
{
    ntcp_free(md->ports);
    ntcp_free(md->contracts);
    ntcp_free(md->addr);
    ntcp_free(md->idv);
}

/* with m->mu held */
static ntcp_status model_make(struct ntcp__metadata *m, const char *name, const char *ns, const char *identity,
                              const char *host, model *md)
{
    memset(md, 0, sizeof *md);
    ntcp_service *s = m->svc;
    size_t cap = 0;
    for (size_t e = 0; e < ntcp__service_endpoint_count(s); e++) {
        ntcp_endpoint *ep = ntcp__service_endpoint(s, e), *src = ntcp__endpoint_shares(ep);
        for (size_t i = 0; i < m->nd; i++)
            cap += m->d[i].ep == (src ? src : ep);
    }
    md->ports = ntcp_calloc(cap + 1, sizeof *md->ports);
    md->contracts = ntcp_calloc(m->nd + 1, sizeof *md->contracts);
    md->addr = ntcp_calloc(cap + 1, sizeof *md->addr);
    md->idv = ntcp_calloc(cap + 1, sizeof *md->idv);
    if (!md->ports || !md->contracts || !md->addr || !md->idv) {
        model_free(md);
        return NTCP_E_NOMEM;
    }
    char sysname[256] = "localhost";
    if (!host || !*host) {
        if (gethostname(sysname, sizeof sysname - 1))
            snprintf(sysname, sizeof sysname, "localhost");
        host = sysname;
    }
    size_t np = 0;
    for (size_t e = 0; e < ntcp__service_endpoint_count(s); e++) {
        ntcp_endpoint *ep = ntcp__service_endpoint(s, e), *src = ntcp__endpoint_shares(ep);
        const char *h, *path;
        int port;
        ntcp_endpoint_options o;
        if (!ntcp__endpoint_info(ep, &h, &port, &path, &o))
            continue;
        for (size_t i = 0; i < m->nd && np < cap; i++) {
            if (m->d[i].ep != (src ? src : ep))
                continue;
            ntcp__xport *pt = &md->ports[np];
            const char *hh = wildcard(h) ? host : h;
            bool v6 = strchr(hh, ':') && hh[0] != '[';
            snprintf(md->addr[np], sizeof md->addr[np], "net.tcp://%s%s%s:%d%s", v6 ? "[" : "", hh, v6 ? "]" : "",
                     port, path);
            pt->address = md->addr[np];
            pt->contract = &m->d[i].c;
            pt->security = o.security == NTCP_SECURITY_NONE             ? NTCP__XSEC_NONE
                           : o.credential == NTCP_CREDENTIAL_WINDOWS     ? NTCP__XSEC_WINDOWS
                           : o.credential == NTCP_CREDENTIAL_CERTIFICATE ? NTCP__XSEC_CERTIFICATE
                                                                         : NTCP__XSEC_TLS;
            pt->protection = ntcp_protection_name(o.nns.protection);
            char *v = md->idv[np];
            size_t vn = sizeof md->idv[np];
            if (pt->security == NTCP__XSEC_WINDOWS) {
                if (identity)
                    identity_split(identity, &pt->id_kind, v, vn);
                else if (o.nns.acceptor_name)
                    identity_split(o.nns.acceptor_name, &pt->id_kind, v, vn);
                else if (!keytab_identity(o.nns.keytab, &pt->id_kind, v, vn))
                    pt->id_kind = "Spn", snprintf(v, vn, "host/%s", hh);
            } else if (pt->security != NTCP__XSEC_NONE && identity) {
                identity_split(identity, &pt->id_kind, v, vn);
            } else if (pt->security != NTCP__XSEC_NONE) {
                pt->id_kind = "Dns";
                if (!cert_dns(o.tls.cert_file, v, vn))
                    snprintf(v, vn, "%s", hh);
            }
            pt->id_value = pt->id_kind ? v : NULL;
            np++;
        }
    }
    for (size_t i = 0; i < m->nd; i++)
        md->contracts[md->s.ncontracts++] = &m->d[i].c;
    md->s.name = name;
    md->s.ns = ns;
    md->s.ports = md->ports;
    md->s.nports = np;
    md->s.contracts = md->contracts;
    return NTCP_OK;
}

static ntcp_status export_doc(struct ntcp__metadata *m, const char *name, const char *ns, const char *identity,
                              const char *doc, const char *base, const char *host, ntcp_buf *out)
{
    pthread_mutex_lock(&m->mu);
    model md;
    ntcp_status st = model_make(m, name ? name : "Service", ns ? ns : "http://tempuri.org/", identity, host, &md);
    if (!st) {
        st = ntcp__wsdl_export(&md.s, doc, base, out);
        model_free(&md);
    }
    pthread_mutex_unlock(&m->mu);
    return st;
}

ntcp_status ntcp_service_metadata(ntcp_service *s, const ntcp_metadata_options *o, const char *doc,
                                  const char *base_url, const char *host, char **xml, size_t *len)
{
    if (!s || !doc || !xml)
        return NTCP_E_INVALID_ARG;
    struct ntcp__metadata *m = meta_of(s);
    if (!m)
        return NTCP_E_NOMEM;
    ntcp_metadata_options d;
    ntcp_metadata_options_init(&d);
    if (!o)
        o = &d;
    ntcp_buf b;
    ntcp_buf_init(&b, 64u << 20);
    ntcp_status st = export_doc(m, o->name, o->ns, o->identity, doc, base_url, host, &b);
    if (!st)
        st = ntcp_buf_put_u8(&b, 0);
    if (st) {
        ntcp_buf_free(&b);
        return st;
    }
    size_t n;
    *xml = (char *)ntcp_buf_detach(&b, &n);
    if (len)
        *len = n - 1;
    return NTCP_OK;
}

/* ---- HTTP ------------------------------------------------------------------------ */

static bool served_path(struct ntcp__metadata *m, const char *path)
{
    for (size_t e = 0; e < ntcp__service_endpoint_count(m->svc); e++) {
        ntcp_endpoint *ep = ntcp__service_endpoint(m->svc, e), *src = ntcp__endpoint_shares(ep);
        const char *h, *p;
        int port;
        ntcp_endpoint_options o;
        if (!ntcp__endpoint_info(ep, &h, &port, &p, &o))
            continue;
        bool described_ep = false;
        for (size_t i = 0; i < m->nd; i++)
            described_ep |= m->d[i].ep == (src ? src : ep);
        if (described_ep && !strcasecmp(p, path))
            return true;
    }
    return false;
}

static int http_answer(void *ctx, const ntcp__http_req *r, ntcp_buf *body, const char **ctype)
{
    struct ntcp__metadata *m = ctx;
    const char *q = r->query, *doc = NULL;
    if (!strcasecmp(q, "wsdl"))
        doc = "wsdl";
    else if (!strcasecmp(q, "singleWsdl"))
        doc = "singleWsdl";
    else if (!strncmp(q, "wsdl=wsdl", 9) || !strncmp(q, "xsd=xsd", 7))
        doc = q;
    pthread_mutex_lock(&m->mu);
    bool known = served_path(m, r->path);
    pthread_mutex_unlock(&m->mu);
    if (!doc || !known)
        return 404;
    /* the imports' locations: this address as the client wrote it (the
     * path percent-encoded again where it must be) */
    char base[4000];
    size_t k = (size_t)snprintf(base, sizeof base, "http://%s", r->authority);
    for (const unsigned char *c = (const unsigned char *)r->path; *c && k + 4 < sizeof base; c++) {
        if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || strchr("-._~/", *c))
            base[k++] = (char)*c;
        else
            k += (size_t)snprintf(base + k, sizeof base - k, "%%%02X", *c);
    }
    base[k] = 0;
    char host[256];
    snprintf(host, sizeof host, "%s", r->host);
    if (host[0] == '[') { /* "[::1]" -> "::1" */
        memmove(host, host + 1, strlen(host));
        host[strcspn(host, "]")] = 0;
    }
    ntcp_status st = export_doc(m, m->name, m->ns, m->identity, doc, base, host, body);
    if (st) {
        ntcp_buf_reset(body);
        return st == NTCP_E_INVALID_ARG ? 404 : 500;
    }
    *ctype = "text/xml; charset=UTF-8";
    return 200;
}

/* ---- MEX -------------------------------------------------------------------------- */

static ntcp_status mex_get(void *ctx, ntcp_call *call)
{
    struct ntcp__metadata *m = ctx;
    ntcp_url u;
    const ntcp_caller *c = ntcp_call_caller(call);
    const char *host = c->via && ntcp_url_parse(c->via, &u, NULL) == NTCP_OK ? u.host : NULL;
    ntcp_buf b;
    ntcp_buf_init(&b, 64u << 20);
    ntcp_status st = export_doc(m, m->name, m->ns, m->identity, "mex", NULL, host, &b);
    if (!st)
        st = ntcp_call_reply_text(call, (const char *)b.data, b.len);
    if (!st)
        st = ntcp_call_reply_action(call, WST_GET_RESPONSE);
    ntcp_buf_free(&b);
    return st;
}

ntcp_status ntcp_service_publish_metadata(ntcp_service *s, const ntcp_metadata_options *o, int *http_port)
{
    if (!s)
        return NTCP_E_INVALID_ARG;
    struct ntcp__metadata *m = meta_of(s);
    if (!m)
        return NTCP_E_NOMEM;
    ntcp_metadata_options d;
    ntcp_metadata_options_init(&d);
    if (!o)
        o = &d;
    if (m->published)
        return NTCP_E_STATE;
    m->name = dup_s(o->name ? o->name : "Service");
    m->ns = dup_s(o->ns ? o->ns : "http://tempuri.org/");
    m->identity = dup_s(o->identity);
    if (!m->name || !m->ns || (o->identity && !m->identity))
        return NTCP_E_NOMEM;
    m->published = true;
    if (o->mex) {
        /* the described endpoints as they are now: the MEX endpoints join them */
        size_t n = ntcp__service_endpoint_count(s);
        for (size_t e = 0; e < n; e++) {
            ntcp_endpoint *ep = ntcp__service_endpoint(s, e), *src = ntcp__endpoint_shares(ep), *mep = NULL;
            const char *h, *path;
            int port;
            ntcp_endpoint_options eo;
            bool described_ep = false;
            for (size_t i = 0; i < m->nd; i++)
                described_ep |= m->d[i].ep == (src ? src : ep);
            if (!described_ep || !ntcp__endpoint_info(ep, &h, &port, &path, &eo))
                continue;
            char url[2600];
            size_t pl = strlen(path);
            bool v6 = strchr(h, ':') != NULL;
            snprintf(url, sizeof url, "net.tcp://%s%s%s:%d%s%smex", v6 ? "[" : "", h, v6 ? "]" : "", port, path,
                     pl && path[pl - 1] == '/' ? "" : "/");
            ntcp_endpoint_options mo;
            ntcp_endpoint_options_init(&mo, s);
            mo.security = NTCP_SECURITY_NONE; /* mexTcpBinding */
            ntcp_status st = ntcp_service_add_endpoint(s, url, &mo, &mep, NULL);
            if (!st)
                st = ntcp_endpoint_add_operation(mep, WST_GET, WST_GET_RESPONSE, mex_get, m);
            if (st)
                return st;
        }
    }
    if (o->http_port) {
        ntcp_error *err = (ntcp_error *)ntcp_service_error(s);
        ntcp_error_clear(err);
        return ntcp__http_server_start(&m->http, o->http_host, o->http_port, o->max_request, o->max_connections,
                                       o->request_timeout_ms, http_answer, m, http_port, err);
    }
    return NTCP_OK;
}
