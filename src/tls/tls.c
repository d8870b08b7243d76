/* TLS transport security, sans-I/O over OpenSSL (see include/nettcp/tls.h). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <nettcp/tls.h>

struct ntcp_tls {
    bool server;
    ntcp_tls_options o;
    char *identity; /* owned copies of the option strings used after new */
    char *host;
    SSL_CTX *ctx;
    SSL *ssl;
    BIO *rbio, *wbio; /* ciphertext from / to the peer (see "the byte pump") */
    const uint8_t *in;  /* during a call: the caller's ciphertext not yet read by OpenSSL */
    size_t in_len;
    ntcp_buf *out;      /* during a call: where OpenSSL's records go */
    bool established, failed, have_cert;
    ntcp_tls_result res;
    ntcp_tls_error err;
    char errtext[1024];
};

static const char *const cause_ids[NTCP_TLS_CAUSE_COUNT] = {
    "", "cert_expired", "cert_not_yet_valid", "cert_untrusted", "cert_name_mismatch", "cert_revoked",
    "revocation_unknown", "client_cert_required", "client_cert_rejected", "tls_protocol_mismatch",
    "tls_credentials", "tls_handshake",
};

const char *ntcp_tls_cause_id(ntcp_tls_cause c) { return (unsigned)c < NTCP_TLS_CAUSE_COUNT ? cause_ids[c] : ""; }

ntcp_cause ntcp_tls_cause_of(ntcp_tls_cause c)
{
    return c == NTCP_TLS_CAUSE_NONE ? NTCP_CAUSE_NONE : ntcp_cause_from_id(ntcp_tls_cause_id(c));
}

const char *ntcp_tls_cause_advice(const char *id)
{
    for (int i = 1; id && i < NTCP_TLS_CAUSE_COUNT; i++)
        if (!strcmp(cause_ids[i], id))
            return ntcp_cause_advice(ntcp_tls_cause_of((ntcp_tls_cause)i)); /* the one table's advice */
    return NULL;
}

const char *ntcp_credential_name(ntcp_credential_type c)
{
    switch (c) {
    case NTCP_CREDENTIAL_WINDOWS: return "windows";
    case NTCP_CREDENTIAL_CERTIFICATE: return "certificate";
    case NTCP_CREDENTIAL_NONE: return "none";
    }
    return "unknown";
}

static ntcp_status fail(ntcp_tls *t, ntcp_status st, ntcp_tls_cause c, const char *check, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static ntcp_status fail(ntcp_tls *t, ntcp_status st, ntcp_tls_cause c, const char *check, const char *fmt, ...)
{
    if (t->err.status) /* the first failure is the one that explains */
        return t->err.status;
    t->failed = true;
    t->err.status = st;
    t->err.cause = c;
    snprintf(t->err.check, sizeof t->err.check, "%s", check);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->err.detail, sizeof t->err.detail, fmt, ap);
    va_end(ap);
    return st;
}

/* ---- certificate description ------------------------------------------------ */
static void name_str(const X509_NAME *n, char *out, size_t cap)
{
    out[0] = 0;
    BIO *b = BIO_new(BIO_s_mem());
    if (!b)
        return;
    X509_NAME_print_ex(b, n, 0, (XN_FLAG_RFC2253 & ~XN_FLAG_SEP_MASK) | XN_FLAG_SEP_CPLUS_SPC);
    int r = BIO_read(b, out, (int)cap - 1);
    out[r > 0 ? r : 0] = 0;
    BIO_free(b);
}

static void time_str(const ASN1_TIME *tm, char *out, size_t cap)
{
    struct tm t;
    if (!tm || !ASN1_TIME_to_tm(tm, &t)) {
        snprintf(out, cap, "?");
        return;
    }
    strftime(out, cap, "%Y-%m-%d %H:%M:%S UTC", &t);
}

static void sha1_hex(X509 *x, char out[41])
{
    unsigned char md[20];
    unsigned int n = 0;
    out[0] = 0;
    if (!X509_digest(x, EVP_sha1(), md, &n) || n != 20)
        return;
    for (unsigned i = 0; i < 20; i++)
        snprintf(out + 2 * i, 3, "%02X", md[i]);
}

/* The DNS names a certificate answers to: its SAN DNS names, or its CN when it has none (as WCF). */
static int dns_names(X509 *x, char names[][256], int max)
{
    int n = 0;
    GENERAL_NAMES *g = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    for (int i = 0; g && i < sk_GENERAL_NAME_num(g) && n < max; i++) {
        const GENERAL_NAME *gn = sk_GENERAL_NAME_value(g, i);
        if (gn->type != GEN_DNS)
            continue;
        const ASN1_IA5STRING *s = gn->d.dNSName;
        snprintf(names[n++], 256, "%.*s", ASN1_STRING_length(s), (const char *)ASN1_STRING_get0_data(s));
    }
    GENERAL_NAMES_free(g);
    if (n == 0) {
        int idx = X509_NAME_get_index_by_NID(X509_get_subject_name(x), NID_commonName, -1);
        if (idx >= 0) {
            const ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(X509_get_subject_name(x), idx));
            snprintf(names[n++], 256, "%.*s", ASN1_STRING_length(s), (const char *)ASN1_STRING_get0_data(s));
        }
    }
    return n;
}

static void describe(X509 *x, ntcp_tls_cert_info *ci)
{
    memset(ci, 0, sizeof *ci);
    name_str(X509_get_subject_name(x), ci->subject, sizeof ci->subject);
    name_str(X509_get_issuer_name(x), ci->issuer, sizeof ci->issuer);
    time_str(X509_get0_notBefore(x), ci->not_before, sizeof ci->not_before);
    time_str(X509_get0_notAfter(x), ci->not_after, sizeof ci->not_after);
    sha1_hex(x, ci->thumbprint);
    GENERAL_NAMES *g = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    size_t o = 0;
    for (int i = 0; g && i < sk_GENERAL_NAME_num(g); i++) {
        const GENERAL_NAME *gn = sk_GENERAL_NAME_value(g, i);
        const char *kind = gn->type == GEN_DNS ? "DNS" : gn->type == GEN_URI ? "URI" : gn->type == GEN_EMAIL ? "email" : NULL;
        if (kind) {
            const ASN1_STRING *s = gn->d.ia5;
            o += (size_t)snprintf(ci->sans + o, o < sizeof ci->sans ? sizeof ci->sans - o : 0, "%s%s:%.*s",
                                  o ? ", " : "", kind, ASN1_STRING_length(s), (const char *)ASN1_STRING_get0_data(s));
        } else if (gn->type == GEN_IPADD) {
            o += (size_t)snprintf(ci->sans + o, o < sizeof ci->sans ? sizeof ci->sans - o : 0, "%sIP", o ? ", " : "");
        }
        if (o >= sizeof ci->sans)
            break;
    }
    GENERAL_NAMES_free(g);
    EVP_PKEY *k = X509_get0_pubkey(x);
    if (k) {
        const char *type = EVP_PKEY_get0_type_name(k);
        char grp[48] = "";
        size_t gl = 0;
        if (EVP_PKEY_get_group_name(k, grp, sizeof grp, &gl) == 1 && gl)
            snprintf(ci->key, sizeof ci->key, "%s %s", type ? type : "?", grp);
        else
            snprintf(ci->key, sizeof ci->key, "%s %d", type ? type : "?", EVP_PKEY_get_bits(k));
    }
}

/* ---- identity -------------------------------------------------------------- */
static bool dns_match(const char *want, const char *have)
{
    if (!strcasecmp(want, have))
        return true;
    /* "*.example.com" covers one leftmost label */
    if (have[0] == '*' && have[1] == '.') {
        const char *dot = strchr(want, '.');
        return dot && dot != want && !strcasecmp(dot + 1, have + 2);
    }
    return false;
}

static unsigned char *b64_decode(const char *s, int *len)
{
    size_t n = strlen(s);
    unsigned char *out = OPENSSL_malloc(n / 4 * 3 + 4);
    if (!out)
        return NULL;
    EVP_ENCODE_CTX *e = EVP_ENCODE_CTX_new();
    int l1 = 0, l2 = 0;
    bool ok = e && (EVP_DecodeInit(e), EVP_DecodeUpdate(e, out, &l1, (const unsigned char *)s, (int)n) >= 0) &&
              EVP_DecodeFinal(e, out + l1, &l2) >= 0;
    EVP_ENCODE_CTX_free(e);
    if (!ok || l1 + l2 == 0) {
        OPENSSL_free(out);
        return NULL;
    }
    *len = l1 + l2;
    return out;
}

/* WCF's IdentityVerifier for certificates: 1 = matches, 0 = does not (t->err set). */
static int check_identity(ntcp_tls *t, X509 *leaf)
{
    char hostid[300];
    const char *id = t->identity;
    if (!id || !*id) {
        snprintf(hostid, sizeof hostid, "dns:%s", t->host ? t->host : "");
        id = hostid;
    }
    const ntcp_tls_cert_info *ci = &t->res.chain[0];
    if (!strncasecmp(id, "dns:", 4)) {
        char names[16][256];
        int n = dns_names(leaf, names, 16);
        for (int i = 0; i < n; i++)
            if (dns_match(id + 4, names[i]))
                return 1;
        char list[512] = "";
        size_t o = 0;
        for (int i = 0; i < n && o < sizeof list; i++)
            o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", i ? ", " : "", names[i]);
        fail(t, NTCP_E_IDENTITY_MISMATCH, NTCP_TLS_CAUSE_CERT_NAME_MISMATCH, "identity",
             "the service's certificate (%s) holds the name%s %s, not the expected %s", ci->subject, n == 1 ? "" : "s",
             n ? list : "(none)", id + 4);
        return 0;
    }
    if (!strncasecmp(id, "thumbprint:", 11)) {
        char want[41];
        size_t w = 0;
        for (const char *p = id + 11; *p && w < 40; p++)
            if (isxdigit((unsigned char)*p))
                want[w++] = (char)toupper((unsigned char)*p);
        want[w] = 0;
        if (!strcmp(want, ci->thumbprint))
            return 1;
        fail(t, NTCP_E_IDENTITY_MISMATCH, NTCP_TLS_CAUSE_CERT_NAME_MISMATCH, "identity",
             "the service's certificate (%s, names %s) has the thumbprint %s, not the expected %s", ci->subject,
             *ci->sans ? ci->sans : "none", ci->thumbprint, want);
        return 0;
    }
    if (!strncasecmp(id, "cert:", 5) || !strncasecmp(id, "rsa:", 4)) {
        bool cert = id[0] == 'c' || id[0] == 'C';
        int dl = 0;
        unsigned char *der = b64_decode(id + (cert ? 5 : 4), &dl);
        int ok = 0;
        if (der) {
            const unsigned char *p = der;
            if (cert) {
                X509 *x = d2i_X509(NULL, &p, dl);
                ok = x && X509_cmp(x, leaf) == 0;
                X509_free(x);
            } else {
                EVP_PKEY *k = d2i_PUBKEY(NULL, &p, dl);
                if (!k) {
                    p = der;
                    k = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, dl);
                }
                ok = k && EVP_PKEY_eq(k, X509_get0_pubkey(leaf)) == 1;
                EVP_PKEY_free(k);
            }
            OPENSSL_free(der);
        }
        if (ok)
            return 1;
        fail(t, NTCP_E_IDENTITY_MISMATCH, NTCP_TLS_CAUSE_CERT_NAME_MISMATCH, "identity",
             "the service's certificate (%s, names %s, thumbprint %s) is not the expected %s%s", ci->subject,
             *ci->sans ? ci->sans : "none", ci->thumbprint, cert ? "certificate" : "RSA public key",
             der ? "" : " (the identity's base64 did not decode)");
        return 0;
    }
    fail(t, NTCP_E_INVALID_ARG, NTCP_TLS_CAUSE_CERT_NAME_MISMATCH, "identity",
         "the identity '%s' is not dns:NAME, cert:BASE64, thumbprint:HEX or rsa:BASE64", id);
    return 0;
}

/* ---- validation (inside the handshake) ------------------------------------ */
static const char *peer_word(const ntcp_tls *t) { return t->server ? "client" : "service"; }

/* Online revocation: the leaf's CRL distribution points, fetched. */
static STACK_OF(X509_CRL) *fetch_crls(ntcp_tls *t, X509 *leaf, char *why, size_t cap)
{
    STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();
    STACK_OF(DIST_POINT) *dps = X509_get_ext_d2i(leaf, NID_crl_distribution_points, NULL, NULL);
    snprintf(why, cap, "the certificate names no CRL distribution point");
    for (int i = 0; crls && dps && i < sk_DIST_POINT_num(dps); i++) {
        DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
        if (!dp->distpoint || dp->distpoint->type != 0)
            continue;
        GENERAL_NAMES *gns = dp->distpoint->name.fullname;
        for (int j = 0; j < sk_GENERAL_NAME_num(gns); j++) {
            GENERAL_NAME *gn = sk_GENERAL_NAME_value(gns, j);
            if (gn->type != GEN_URI)
                continue;
            char url[512];
            snprintf(url, sizeof url, "%.*s", ASN1_STRING_length(gn->d.uniformResourceIdentifier),
                     (const char *)ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier));
            if (!t->o.fetch) {
                snprintf(why, cap, "no way to fetch %s", url);
                continue;
            }
            ntcp_buf b;
            ntcp_buf_init(&b, 16u << 20);
            ntcp_status st = t->o.fetch(t->o.fetch_ctx, url, &b);
            if (st) {
                snprintf(why, cap, "fetching %s: %s", url, ntcp_status_str(st));
                ntcp_buf_free(&b);
                continue;
            }
            const unsigned char *p = b.data;
            X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)b.len);
            if (!crl) {
                BIO *m = BIO_new_mem_buf(b.data, (int)b.len);
                crl = m ? PEM_read_bio_X509_CRL(m, NULL, NULL, NULL) : NULL;
                BIO_free(m);
            }
            ntcp_buf_free(&b);
            if (!crl) {
                snprintf(why, cap, "%s did not hold a CRL", url);
                continue;
            }
            if (!sk_X509_CRL_push(crls, crl))
                X509_CRL_free(crl);
        }
    }
    sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
    ERR_clear_error();
    return crls;
}

/* Online revocation by OCSP (RFC 6960, a GET request as in its appendix
 * A.1): 1 good, 0 revoked (t->err set), -1 no answer (why says why). */
static int check_ocsp(ntcp_tls *t, X509_STORE_CTX *xs, X509 *leaf, char *why, size_t cap)
{
    STACK_OF(OPENSSL_STRING) *urls = X509_get1_ocsp(leaf);
    STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(xs);
    X509 *issuer = chain && sk_X509_num(chain) > 1 ? sk_X509_value(chain, 1) : NULL;
    int verdict = -1;
    for (int i = 0; urls && issuer && verdict < 0 && i < sk_OPENSSL_STRING_num(urls); i++) {
        const char *url = sk_OPENSSL_STRING_value(urls, i);
        OCSP_REQUEST *req = OCSP_REQUEST_new();
        OCSP_CERTID *id = OCSP_cert_to_id(NULL, leaf, issuer);
        OCSP_CERTID *id_copy = id ? OCSP_CERTID_dup(id) : NULL;
        unsigned char *der = NULL;
        int dl = req && id_copy && OCSP_request_add0_id(req, id_copy) ? i2d_OCSP_REQUEST(req, &der) : -1;
        if (dl <= 0) {
            OCSP_CERTID_free(id_copy);
            id_copy = NULL;
        }
        /* the URL: responder / urlencode(base64(DER request)) */
        char *get = NULL;
        if (dl > 0) {
            size_t ul = strlen(url), bl = 4 * (((size_t)dl + 2) / 3) + 1;
            char *b64 = OPENSSL_malloc(bl);
            get = OPENSSL_malloc(ul + 1 + 3 * bl + 1);
            if (b64 && get) {
                EVP_EncodeBlock((unsigned char *)b64, der, dl);
                size_t o = (size_t)snprintf(get, ul + 2, "%s%s", url, url[ul ? ul - 1 : 0] == '/' ? "" : "/");
                for (const char *c = b64; *c; c++)
                    o += (size_t)(*c == '+' || *c == '/' || *c == '='
                                      ? snprintf(get + o, 4, "%%%02X", (unsigned char)*c)
                                      : snprintf(get + o, 2, "%c", *c));
            } else {
                OPENSSL_free(get);
                get = NULL;
            }
            OPENSSL_free(b64);
        }
        OPENSSL_free(der);
        ntcp_buf b;
        ntcp_buf_init(&b, 1u << 20);
        ntcp_status st = get && t->o.fetch ? t->o.fetch(t->o.fetch_ctx, get, &b) : NTCP_E_UNSUPPORTED;
        OPENSSL_free(get);
        const unsigned char *p = b.data;
        OCSP_RESPONSE *resp = st ? NULL : d2i_OCSP_RESPONSE(NULL, &p, (long)b.len);
        OCSP_BASICRESP *bs = resp && OCSP_response_status(resp) == OCSP_RESPONSE_STATUS_SUCCESSFUL
                                 ? OCSP_response_get1_basic(resp) : NULL;
        int status = -1, reason = 0;
        ASN1_GENERALIZEDTIME *this_upd = NULL, *next_upd = NULL;
        if (!bs)
            snprintf(why, cap, "OCSP %s: %s", url, st ? ntcp_status_str(st) : "no usable response");
        else if (OCSP_basic_verify(bs, chain, X509_STORE_CTX_get0_store(xs), 0) <= 0)
            snprintf(why, cap, "OCSP %s: the response's signature does not verify", url);
        else if (!id || !OCSP_resp_find_status(bs, id, &status, &reason, NULL, &this_upd, &next_upd) ||
                 !OCSP_check_validity(this_upd, next_upd, 300, -1))
            snprintf(why, cap, "OCSP %s: no current status for the certificate", url);
        else if (status == V_OCSP_CERTSTATUS_GOOD)
            verdict = 1;
        else if (status == V_OCSP_CERTSTATUS_REVOKED)
            verdict = 0;
        else
            snprintf(why, cap, "OCSP %s: the responder does not know the certificate", url);
        OCSP_BASICRESP_free(bs);
        OCSP_RESPONSE_free(resp);
        ntcp_buf_free(&b);
        OCSP_CERTID_free(id);
        OCSP_REQUEST_free(req);
    }
    if (!urls)
        snprintf(why, cap, "the certificate names no OCSP responder");
    X509_email_free(urls);
    ERR_clear_error();
    if (verdict == 0) {
        ntcp_tls_cert_info ci;
        describe(leaf, &ci);
        fail(t, NTCP_E_AUTH_FAILED, NTCP_TLS_CAUSE_CERT_REVOKED, "revocation",
             "the %s's certificate %s (thumbprint %s) has been revoked by %s (OCSP)", t->server ? "client" : "service",
             ci.subject, ci.thumbprint, ci.issuer);
    }
    return verdict;
}

static int map_verify_error(ntcp_tls *t, X509_STORE_CTX *xs, const char *crl_why)
{
    int e = X509_STORE_CTX_get_error(xs);
    X509 *cur = X509_STORE_CTX_get_current_cert(xs);
    ntcp_tls_cert_info ci;
    if (cur)
        describe(cur, &ci);
    else
        memset(&ci, 0, sizeof ci);
    const char *who = peer_word(t);
    switch (e) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
        fail(t, NTCP_E_AUTH_FAILED, NTCP_TLS_CAUSE_CERT_EXPIRED, "chain",
             "the %s's certificate chain: %s expired on %s", who, ci.subject, ci.not_after);
        break;
    case X509_V_ERR_CERT_NOT_YET_VALID:
        fail(t, NTCP_E_AUTH_FAILED, NTCP_TLS_CAUSE_CERT_NOT_YET_VALID, "chain",
             "the %s's certificate chain: %s is valid only from %s", who, ci.subject, ci.not_before);
        break;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_UNTRUSTED:
        fail(t, NTCP_E_AUTH_FAILED, NTCP_TLS_CAUSE_CERT_UNTRUSTED, "chain",
             "the %s's certificate chain: the issuer %s of %s is not trusted (%s)", who, ci.issuer, ci.subject,
             X509_verify_cert_error_string(e));
        break;
    case X509_V_ERR_CERT_REVOKED:
        fail(t, NTCP_E_AUTH_FAILED, NTCP_TLS_CAUSE_CERT_REVOKED, "revocation",
             "the %s's certificate %s (serial of thumbprint %s) has been revoked by %s", who, ci.subject,
             ci.thumbprint, ci.issuer);
        break;
    case X509_V_ERR_UNABLE_TO_GET_CRL:
    case X509_V_ERR_CRL_HAS_EXPIRED:
    case X509_V_ERR_CRL_NOT_YET_VALID:
    case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
    case X509_V_ERR_CRL_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
        fail(t, NTCP_E_AUTH_FAILED, NTCP_TLS_CAUSE_REVOCATION_UNKNOWN, "revocation",
             "the revocation status of the %s's certificate %s is unknown: %s%s%s", who, ci.subject,
             X509_verify_cert_error_string(e), crl_why && *crl_why ? "; " : "", crl_why ? crl_why : "");
        break;
    default:
        fail(t, NTCP_E_AUTH_FAILED, NTCP_TLS_CAUSE_CERT_UNTRUSTED, "chain",
             "the %s's certificate chain: %s (at %s, issued by %s)", who, X509_verify_cert_error_string(e),
             ci.subject, ci.issuer);
        break;
    }
    return 0;
}

static int verify_cb(X509_STORE_CTX *xs, void *arg)
{
    ntcp_tls *t = arg;
    X509 *leaf = X509_STORE_CTX_get0_cert(xs);
    STACK_OF(X509) *sk = X509_STORE_CTX_get0_untrusted(xs);
    t->res.peer_cert = leaf != NULL;
    t->res.chain_len = 0;
    if (leaf)
        describe(leaf, &t->res.chain[t->res.chain_len++]);
    for (int i = 0; sk && i < sk_X509_num(sk) && t->res.chain_len < NTCP_TLS_MAX_CHAIN; i++) {
        X509 *x = sk_X509_value(sk, i);
        if (x != leaf && X509_cmp(x, leaf) != 0)
            describe(x, &t->res.chain[t->res.chain_len++]);
    }
    if (!leaf)
        return 0;
    if (t->o.validation == NTCP_TLS_VALIDATION_PEER) {
        /* PeerTrust: the certificate itself is among the trusted ones, and valid now */
        bool found = false;
        STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(X509_STORE_CTX_get0_store(xs));
        for (int i = 0; objs && i < sk_X509_OBJECT_num(objs) && !found; i++) {
            X509 *x = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));
            found = x && X509_cmp(x, leaf) == 0;
        }
        const ntcp_tls_cert_info *ci = &t->res.chain[0];
        if (!found) {
            fail(t, NTCP_E_AUTH_FAILED, NTCP_TLS_CAUSE_CERT_UNTRUSTED, "chain",
                 "peer trust: the %s's certificate %s (thumbprint %s, issued by %s) is not among the trusted "
                 "certificates",
                 peer_word(t), ci->subject, ci->thumbprint, ci->issuer);
            X509_STORE_CTX_set_error(xs, X509_V_ERR_CERT_UNTRUSTED);
            return 0;
        }
        if (X509_cmp_current_time(X509_get0_notAfter(leaf)) < 0) {
            fail(t, NTCP_E_AUTH_FAILED, NTCP_TLS_CAUSE_CERT_EXPIRED, "chain",
                 "the %s's certificate %s expired on %s", peer_word(t), ci->subject, ci->not_after);
            X509_STORE_CTX_set_error(xs, X509_V_ERR_CERT_HAS_EXPIRED);
            return 0;
        }
        if (X509_cmp_current_time(X509_get0_notBefore(leaf)) > 0) {
            fail(t, NTCP_E_AUTH_FAILED, NTCP_TLS_CAUSE_CERT_NOT_YET_VALID, "chain",
                 "the %s's certificate %s is valid only from %s", peer_word(t), ci->subject, ci->not_before);
            X509_STORE_CTX_set_error(xs, X509_V_ERR_CERT_NOT_YET_VALID);
            return 0;
        }
    } else if (t->o.validation == NTCP_TLS_VALIDATION_CHAIN) {
        STACK_OF(X509_CRL) *crls = NULL;
        char why[600] = "";
        /* online: the CRLs of the distribution points; when there are none
         * and the certificate names an OCSP responder, OCSP after the chain */
        bool ocsp = false;
        if (t->o.revocation == NTCP_TLS_REVOCATION_ONLINE) {
            crls = fetch_crls(t, leaf, why, sizeof why);
            STACK_OF(OPENSSL_STRING) *urls = X509_get1_ocsp(leaf);
            ocsp = sk_X509_CRL_num(crls) == 0 && urls;
            X509_email_free(urls);
        }
        if (t->o.revocation != NTCP_TLS_REVOCATION_NOCHECK && !ocsp) {
            X509_STORE_CTX_set_flags(xs, X509_V_FLAG_CRL_CHECK);
            if (t->o.revocation == NTCP_TLS_REVOCATION_ONLINE)
                X509_STORE_CTX_set0_crls(xs, crls);
            else
                snprintf(why, sizeof why, "offline: no CRL of the issuer in the trust file");
        }
        int ok = X509_verify_cert(xs);
        if (ok <= 0)
            map_verify_error(t, xs, why);
        X509_STORE_CTX_set0_crls(xs, NULL);
        sk_X509_CRL_pop_free(crls, X509_CRL_free);
        if (ok <= 0)
            return 0;
        if (ocsp) {
            char owhy[600] = "";
            int v = check_ocsp(t, xs, leaf, owhy, sizeof owhy);
            if (v == 0) {
                X509_STORE_CTX_set_error(xs, X509_V_ERR_CERT_REVOKED);
                return 0;
            }
            if (v < 0) {
                fail(t, NTCP_E_AUTH_FAILED, NTCP_TLS_CAUSE_REVOCATION_UNKNOWN, "revocation",
                     "the revocation status of the %s's certificate %s is unknown: %s; %s", peer_word(t),
                     t->res.chain[0].subject, owhy, why);
                X509_STORE_CTX_set_error(xs, X509_V_ERR_UNABLE_TO_GET_CRL);
                return 0;
            }
        }
    }
    if (!t->server && !check_identity(t, leaf)) {
        X509_STORE_CTX_set_error(xs, X509_V_ERR_HOSTNAME_MISMATCH);
        return 0;
    }
    return 1;
}

static void info_cb(const SSL *ssl, int where, int ret)
{
    if (!(where & SSL_CB_READ_ALERT))
        return;
    ntcp_tls *t = SSL_get_app_data(ssl);
    if (t && (ret >> 8) == SSL3_AL_FATAL && t->err.alert_received < 0)
        t->err.alert_received = ret & 0xff;
}

/* ---- setup --------------------------------------------------------------- */
static ntcp_status load_credentials(ntcp_tls *t)
{
    const char *cf = t->o.cert_file, *kf = t->o.key_file;
    if (!cf)
        return fail(t, NTCP_E_NO_CREDENTIALS, NTCP_TLS_CAUSE_TLS_CREDENTIALS, "credentials",
                    t->server ? "the service needs a certificate (--cert FILE --key FILE, or --cert FILE.p12)"
                              : "credential certificate needs a client certificate (--client-cert, --client-key)");
    if (!kf) { /* PKCS#12: certificate, key and chain in one file */
        FILE *fp = fopen(cf, "rb");
        PKCS12 *p12 = fp ? d2i_PKCS12_fp(fp, NULL) : NULL;
        if (fp)
            fclose(fp);
        EVP_PKEY *key = NULL;
        X509 *cert = NULL;
        STACK_OF(X509) *ca = NULL;
        int ok = p12 && PKCS12_parse(p12, t->o.pkcs12_password ? t->o.pkcs12_password : "", &key, &cert, &ca) &&
                 SSL_CTX_use_certificate(t->ctx, cert) == 1 && SSL_CTX_use_PrivateKey(t->ctx, key) == 1;
        for (int i = 0; ok && ca && i < sk_X509_num(ca); i++)
            ok = SSL_CTX_add1_chain_cert(t->ctx, sk_X509_value(ca, i)) == 1;
        PKCS12_free(p12);
        EVP_PKEY_free(key);
        X509_free(cert);
        sk_X509_pop_free(ca, X509_free);
        if (!ok) {
            unsigned long e = ERR_peek_last_error();
            ERR_clear_error();
            return fail(t, NTCP_E_NO_CREDENTIALS, NTCP_TLS_CAUSE_TLS_CREDENTIALS, "credentials",
                        "%s: not a readable PKCS#12 file with a certificate and key (give --key for PEM): %s", cf,
                        e ? ERR_reason_error_string(e) : "cannot open");
        }
    } else {
        if (SSL_CTX_use_certificate_chain_file(t->ctx, cf) != 1) {
            unsigned long e = ERR_peek_last_error();
            ERR_clear_error();
            return fail(t, NTCP_E_NO_CREDENTIALS, NTCP_TLS_CAUSE_TLS_CREDENTIALS, "credentials",
                        "%s: no PEM certificate could be read: %s", cf, e ? ERR_reason_error_string(e) : "?");
        }
        if (SSL_CTX_use_PrivateKey_file(t->ctx, kf, SSL_FILETYPE_PEM) != 1) {
            unsigned long e = ERR_peek_last_error();
            ERR_clear_error();
            return fail(t, NTCP_E_NO_CREDENTIALS, NTCP_TLS_CAUSE_TLS_CREDENTIALS, "credentials",
                        "%s: no PEM private key could be read: %s", kf, e ? ERR_reason_error_string(e) : "?");
        }
    }
    if (SSL_CTX_check_private_key(t->ctx) != 1) {
        ERR_clear_error();
        return fail(t, NTCP_E_NO_CREDENTIALS, NTCP_TLS_CAUSE_TLS_CREDENTIALS, "credentials",
                    "%s: the private key does not match the certificate %s", kf ? kf : cf, cf);
    }
    t->have_cert = true;
    return NTCP_OK;
}

/* ---- the byte pump --------------------------------------------------------
 * OpenSSL reads the caller's ciphertext where it lies and writes its records
 * straight into the caller's output buffer: a BIO whose read takes from
 * t->in and whose write appends to t->out, both set for the length of one
 * call (no copy through a memory BIO). */
static int pump_read(BIO *b, char *buf, int len)
{
    ntcp_tls *t = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (!t->in_len) {
        BIO_set_retry_read(b);
        return -1;
    }
    size_t n = (size_t)len < t->in_len ? (size_t)len : t->in_len;
    memcpy(buf, t->in, n);
    t->in += n;
    t->in_len -= n;
    return (int)n;
}

static int pump_write(BIO *b, const char *buf, int len)
{
    ntcp_tls *t = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (!t->out) {
        BIO_set_retry_write(b);
        return -1;
    }
    return ntcp_buf_append(t->out, buf, (size_t)len) ? -1 : len;
}

static long pump_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)b;
    (void)num;
    (void)ptr;
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int pump_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

static BIO_METHOD *pump_method;
static void pump_method_init(void)
{
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "nettcp-tls");
    if (m && BIO_meth_set_read(m, pump_read) && BIO_meth_set_write(m, pump_write) &&
        BIO_meth_set_ctrl(m, pump_ctrl) && BIO_meth_set_create(m, pump_create))
        pump_method = m;
    else
        BIO_meth_free(m);
}

ntcp_status ntcp_tls_new(ntcp_tls **out, bool server, const ntcp_tls_options *o)
{
    static const ntcp_tls_options defaults = NTCP_TLS_OPTIONS_INIT;
    *out = NULL;
    ntcp_tls *t = ntcp_calloc(1, sizeof *t);
    if (!t)
        return NTCP_E_NOMEM;
    *out = t;
    t->server = server;
    t->o = o ? *o : defaults;
    t->err.alert_received = -1;
    if ((t->o.identity && !(t->identity = ntcp_strndup(t->o.identity, strlen(t->o.identity)))) ||
        (t->o.host && !(t->host = ntcp_strndup(t->o.host, strlen(t->o.host)))))
        return fail(t, NTCP_E_NOMEM, NTCP_TLS_CAUSE_TLS_HANDSHAKE, "setup", "out of memory");
    t->o.identity = t->o.host = NULL; /* the copies above are the ones used */
    t->ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    if (!t->ctx)
        return fail(t, NTCP_E_NOMEM, NTCP_TLS_CAUSE_TLS_HANDSHAKE, "setup", "SSL_CTX_new failed");
    int minv = t->o.min_version ? t->o.min_version : TLS1_2_VERSION;
    if (minv < TLS1_2_VERSION || (t->o.max_version && t->o.max_version < minv) ||
        !SSL_CTX_set_min_proto_version(t->ctx, minv) || !SSL_CTX_set_max_proto_version(t->ctx, t->o.max_version)) {
        ERR_clear_error();
        return fail(t, NTCP_E_INVALID_ARG, NTCP_TLS_CAUSE_TLS_PROTOCOL_MISMATCH, "protocol",
                    "the TLS versions asked for are not 1.2 or 1.3, or the lowest is above the highest");
    }
    /* trust anchors (and CRLs, for offline revocation) */
    X509_STORE *store = SSL_CTX_get_cert_store(t->ctx);
    if (t->o.ca_file) {
        if (X509_STORE_load_file(store, t->o.ca_file) != 1) {
            ERR_clear_error();
            return fail(t, NTCP_E_NO_CREDENTIALS, NTCP_TLS_CAUSE_TLS_CREDENTIALS, "credentials",
                        "%s: no PEM certificate could be read from the trust file", t->o.ca_file);
        }
    } else if (SSL_CTX_set_default_verify_paths(t->ctx) != 1) {
        ERR_clear_error();
    }
    if (server || t->o.credential == NTCP_CREDENTIAL_CERTIFICATE) {
        ntcp_status st = load_credentials(t);
        if (st)
            return st;
    }
    if (server) {
        SSL_CTX_set_num_tickets(t->ctx, 0); /* no resumption: one session per connection */
        if (t->o.credential == NTCP_CREDENTIAL_CERTIFICATE)
            SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    } else {
        SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
    }
    SSL_CTX_set_cert_verify_callback(t->ctx, verify_cb, t);
    SSL_CTX_set_info_callback(t->ctx, info_cb);
    t->ssl = SSL_new(t->ctx);
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, pump_method_init);
    t->rbio = pump_method ? BIO_new(pump_method) : NULL;
    t->wbio = pump_method ? BIO_new(pump_method) : NULL;
    if (!t->ssl || !t->rbio || !t->wbio) {
        BIO_free(t->rbio);
        BIO_free(t->wbio);
        t->rbio = t->wbio = NULL;
        return fail(t, NTCP_E_NOMEM, NTCP_TLS_CAUSE_TLS_HANDSHAKE, "setup", "out of memory");
    }
    BIO_set_data(t->rbio, t);
    BIO_set_data(t->wbio, t);
    SSL_set_bio(t->ssl, t->rbio, t->wbio);
    SSL_set_app_data(t->ssl, t);
    if (server)
        SSL_set_accept_state(t->ssl);
    else
        SSL_set_connect_state(t->ssl); /* no SNI: SslStream gets string.Empty as the target host from WCF */
    return NTCP_OK;
}

void ntcp_tls_free(ntcp_tls *t)
{
    if (!t)
        return;
    SSL_free(t->ssl); /* frees the BIOs */
    SSL_CTX_free(t->ctx);
    ntcp_free(t->identity);
    ntcp_free(t->host);
    ntcp_free(t);
}

/* One call's buffers for the pump (see above); unset at its end. */
static void pump_set(ntcp_tls *t, const uint8_t *in, size_t in_len, ntcp_buf *out)
{
    t->in = in;
    t->in_len = in_len;
    t->out = out;
}

/* After an OpenSSL failure: name it (unless validation already did). */
static ntcp_status ssl_failure(ntcp_tls *t, int r)
{
    int e = SSL_get_error(t->ssl, r);
    unsigned long code = ERR_peek_error();
    int reason = code ? ERR_GET_REASON(code) : 0;
    char text[256] = "";
    if (code)
        ERR_error_string_n(code, text, sizeof text);
    ERR_clear_error();
    if (t->err.status)
        return t->err.status;
    int alert = t->err.alert_received;
    const char *an = alert >= 0 ? SSL_alert_desc_string_long(alert) : "";
    if (e == SSL_ERROR_ZERO_RETURN)
        return fail(t, NTCP_E_CLOSED, NTCP_TLS_CAUSE_TLS_HANDSHAKE, "handshake", "the %s closed the TLS session",
                    peer_word(t));
    if (alert == SSL_AD_PROTOCOL_VERSION || reason == SSL_R_UNSUPPORTED_PROTOCOL ||
        reason == SSL_R_NO_PROTOCOLS_AVAILABLE || reason == SSL_R_TLSV1_ALERT_PROTOCOL_VERSION)
        return fail(t, NTCP_E_AUTH_FAILED, NTCP_TLS_CAUSE_TLS_PROTOCOL_MISMATCH, "protocol",
                    "no TLS version in common with the %s (we allow %s to %s): %s", peer_word(t),
                    SSL_get_min_proto_version(t->ssl) == TLS1_3_VERSION ? "TLSv1.3" : "TLSv1.2",
                    SSL_get_max_proto_version(t->ssl) == TLS1_2_VERSION ? "TLSv1.2" : "TLSv1.3", text);
    if (t->server && (reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE))
        return fail(t, NTCP_E_AUTH_FAILED, NTCP_TLS_CAUSE_CLIENT_CERT_REQUIRED, "client certificate",
                    "the client presented no certificate, and this service requires one (credential certificate)");
    if (!t->server && alert >= 0) {
        if (alert == 116 /* certificate_required */ || (!t->have_cert && alert == SSL_AD_HANDSHAKE_FAILURE))
            return fail(t, NTCP_E_CREDENTIALS_REJECTED, NTCP_TLS_CAUSE_CLIENT_CERT_REQUIRED, "client certificate",
                        "the service requires a client certificate and none was %s (alert %s)",
                        t->have_cert ? "accepted" : "given", an);
        if (t->have_cert && (alert == SSL_AD_BAD_CERTIFICATE || alert == SSL_AD_UNSUPPORTED_CERTIFICATE ||
                             alert == SSL_AD_CERTIFICATE_REVOKED || alert == SSL_AD_CERTIFICATE_EXPIRED ||
                             alert == SSL_AD_CERTIFICATE_UNKNOWN || alert == SSL_AD_UNKNOWN_CA ||
                             alert == SSL_AD_ACCESS_DENIED))
            return fail(t, NTCP_E_CREDENTIALS_REJECTED, NTCP_TLS_CAUSE_CLIENT_CERT_REJECTED, "client certificate",
                        "the service refused the client certificate (alert %s)", an);
    }
    if (alert >= 0)
        return fail(t, NTCP_E_AUTH_REMOTE, NTCP_TLS_CAUSE_TLS_HANDSHAKE, "handshake",
                    "the %s ended the TLS session with the alert %s", peer_word(t), an);
    if (e == SSL_ERROR_SYSCALL || e == SSL_ERROR_SSL)
        return fail(t, NTCP_E_AUTH_FAILED, NTCP_TLS_CAUSE_TLS_HANDSHAKE, "handshake", "TLS: %s",
                    *text ? text : "protocol error");
    return fail(t, NTCP_E_AUTH_FAILED, NTCP_TLS_CAUSE_TLS_HANDSHAKE, "handshake", "TLS error %d", e);
}

static void note_established(ntcp_tls *t)
{
    t->established = true;
    snprintf(t->res.version, sizeof t->res.version, "%s", SSL_get_version(t->ssl));
    snprintf(t->res.cipher, sizeof t->res.cipher, "%s", SSL_get_cipher_name(t->ssl));
}

static ntcp_status handshake(ntcp_tls *t, ntcp_buf *out)
{
    (void)out; /* records (alerts too: the peer learns why) went there through the pump */
    int r = SSL_do_handshake(t->ssl);
    if (r == 1) {
        note_established(t);
        return NTCP_OK;
    }
    int e = SSL_get_error(t->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
        return NTCP_AGAIN;
    return ssl_failure(t, r);
}

ntcp_status ntcp_tls_start(ntcp_tls *t, ntcp_buf *out)
{
    if (t->failed)
        return t->err.status;
    pump_set(t, NULL, 0, out);
    ntcp_status st = handshake(t, out);
    pump_set(t, NULL, 0, NULL);
    return st == NTCP_AGAIN ? NTCP_OK : st;
}

static ntcp_status recv_(ntcp_tls *t, ntcp_buf *plain, ntcp_buf *out);

/* Whatever OpenSSL read from raw counts as consumed (a partial record stays
 * in its buffer); what it did not read is left to the next call. */
ntcp_status ntcp_tls_recv(ntcp_tls *t, const uint8_t *raw, size_t len, size_t *consumed, ntcp_buf *plain,
                          ntcp_buf *out)
{
    *consumed = 0;
    if (t->failed)
        return t->err.status;
    pump_set(t, raw, len, out);
    ntcp_status st = recv_(t, plain, out);
    *consumed = len - t->in_len;
    pump_set(t, NULL, 0, NULL);
    return st;
}

static ntcp_status recv_(ntcp_tls *t, ntcp_buf *plain, ntcp_buf *out)
{
    bool produced = false;
    size_t out_before = out->len;
    if (!t->established) {
        size_t before = out->len;
        ntcp_status st = handshake(t, out);
        produced = out->len != before;
        if (st == NTCP_AGAIN)
            return produced ? NTCP_OK : NTCP_AGAIN;
        if (st)
            return st;
    }
    /* application data (and, in TLS 1.3, post-handshake messages) */
    for (;;) {
        size_t room = plain->max - plain->len;
        if (!room)
            break;
        size_t want = room < 16384 ? room : 16384;
        ntcp_status st = ntcp_buf_reserve(plain, want);
        if (st)
            return st;
        size_t got = 0;
        int r = SSL_read_ex(t->ssl, plain->data + plain->len, want, &got);
        if (r == 1) {
            plain->len += got;
            produced = true;
            continue;
        }
        int e = SSL_get_error(t->ssl, 0);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
            break;
        return ssl_failure(t, 0);
    }
    return produced || out->len != out_before ? NTCP_OK : NTCP_AGAIN;
}

ntcp_status ntcp_tls_send(ntcp_tls *t, const uint8_t *plain, size_t len, ntcp_buf *out)
{
    if (t->failed)
        return t->err.status;
    if (!t->established)
        return NTCP_E_STATE;
    /* the records go straight into out: room for all of them first (16 KiB
     * records, at most 256 bytes of overhead each) */
    ntcp_status st = ntcp_buf_reserve(out, len + (len / 16384 + 1) * 256);
    if (st)
        return st;
    pump_set(t, NULL, 0, out);
    while (len && !st) {
        size_t n = len < ((size_t)1 << 20) ? len : (size_t)1 << 20, w = 0;
        if (SSL_write_ex(t->ssl, plain, n, &w) != 1 || w != n)
            st = ssl_failure(t, 0);
        plain += n;
        len -= n;
    }
    pump_set(t, NULL, 0, NULL);
    return st;
}

/* head | body without joining them: the head rides in the first record with
 * the start of the body (a TLS record holds up to 16 KiB) */
ntcp_status ntcp_tls_send_parts(ntcp_tls *t, const uint8_t *head, size_t head_len, const uint8_t *body,
                                size_t body_len, ntcp_buf *out)
{
    uint8_t first[16384];
    if (head_len > sizeof first) {
        ntcp_status st = ntcp_tls_send(t, head, head_len, out);
        return st ? st : ntcp_tls_send(t, body, body_len, out);
    }
    size_t take = sizeof first - head_len < body_len ? sizeof first - head_len : body_len;
    memcpy(first, head, head_len);
    if (take)
        memcpy(first + head_len, body, take);
    size_t start = out->len;
    ntcp_status st = ntcp_tls_send(t, first, head_len + take, out);
    if (!st && body_len > take)
        st = ntcp_tls_send(t, body + take, body_len - take, out);
    if (st)
        out->len = start;
    return st;
}

bool ntcp_tls_established(const ntcp_tls *t) { return t && t->established; }
const ntcp_tls_error *ntcp_tls_error_info(const ntcp_tls *t) { return t ? &t->err : NULL; }
const ntcp_tls_result *ntcp_tls_get_result(const ntcp_tls *t) { return t ? &t->res : NULL; }
const char *ntcp_tls_peer_subject(const ntcp_tls *t) { return t && t->res.peer_cert ? t->res.chain[0].subject : ""; }
const char *ntcp_tls_peer_issuer(const ntcp_tls *t) { return t && t->res.peer_cert ? t->res.chain[0].issuer : ""; }
const char *ntcp_tls_peer_thumbprint(const ntcp_tls *t)
{
    return t && t->res.peer_cert ? t->res.chain[0].thumbprint : "";
}

void ntcp_tls_error_format(const ntcp_tls_error *e, char *out, size_t cap)
{
    snprintf(out, cap, "%s (check: %s)", e->detail, e->check);
}

const char *ntcp_tls_last_error(ntcp_tls *t)
{
    if (!t || !t->err.status)
        return NULL;
    ntcp_tls_error_format(&t->err, t->errtext, sizeof t->errtext);
    return t->errtext;
}

/* ---- the framing layer's upgrade hook ------------------------------------ */
static ntcp_status up_start(void *ctx, ntcp_buf *out) { return ntcp_tls_start(ctx, out); }
static ntcp_status up_recv(void *ctx, const uint8_t *raw, size_t len, size_t *consumed, ntcp_buf *plain,
                           ntcp_buf *out)
{
    return ntcp_tls_recv(ctx, raw, len, consumed, plain, out);
}
static ntcp_status up_send(void *ctx, const uint8_t *plain, size_t len, ntcp_buf *out)
{
    return ntcp_tls_send(ctx, plain, len, out);
}
static ntcp_status up_send_parts(void *ctx, const uint8_t *head, size_t head_len, const uint8_t *body,
                                 size_t body_len, ntcp_buf *out)
{
    return ntcp_tls_send_parts(ctx, head, head_len, body, body_len, out);
}
static bool up_established(void *ctx) { return ntcp_tls_established(ctx); }
static ntcp_status up_query(void *ctx, ntcp_stream_query_what what, void *out)
{
    ntcp_tls *t = ctx;
    switch (what) {
    case NTCP_STREAM_QUERY_ERROR: {
        ntcp_error *e = out;
        ntcp_error_clear(e);
        if (t->err.status)
            ntcp_error_set(e, t->err.status, ntcp_tls_cause_of(t->err.cause), NTCP_STEP_HANDSHAKE, "TLS: %s",
                           ntcp_tls_last_error(t));
        return NTCP_OK;
    }
    case NTCP_STREAM_QUERY_SECURITY: {
        if (!t->established)
            return NTCP_E_STATE;
        ntcp_stream_security *sec = out;
        memset(sec, 0, sizeof *sec);
        sec->kind = "tls";
        sec->package = t->res.peer_cert && t->server ? "Certificate" : "";
        sec->protection = "EncryptAndSign";
        sec->impersonation = "Identification";
        sec->peer_name = t->res.peer_cert ? t->res.chain[0].subject : "";
        sec->mutual = t->have_cert && t->res.peer_cert;
        return NTCP_OK;
    }
    case NTCP_STREAM_QUERY_DELEGATED_CREDENTIAL:
        *(void **)out = NULL;
        return NTCP_OK;
    }
    return NTCP_E_UNSUPPORTED;
}

void ntcp_tls_as_stream(ntcp_tls *t, ntcp_stream *up)
{
    memset(up, 0, sizeof *up);
    up->name = NTCP_UPGRADE_TLS;
    up->ctx = t;
    up->start = up_start;
    up->recv = up_recv;
    up->send = up_send;
    up->send_parts = up_send_parts;
    up->established = up_established;
    up->query = up_query;
}

typedef struct owned_upgrade {
    ntcp_stream up; /* first: callers hold a pointer to it */
    ntcp_tls *t;
} owned_upgrade;

static void owned_destroy(ntcp_stream *s)
{
    owned_upgrade *u = (owned_upgrade *)s; /* allocated below, never anything else */
    ntcp_tls_free(u->t);
    ntcp_free(u);
}

ntcp_status ntcp_tls_stream_new(ntcp_stream **out, bool server, const ntcp_tls_options *o)
{
    *out = NULL;
    owned_upgrade *u = ntcp_calloc(1, sizeof *u);
    if (!u)
        return NTCP_E_NOMEM;
    ntcp_status st = ntcp_tls_new(&u->t, server, o);
    if (st) {
        ntcp_tls_free(u->t);
        ntcp_free(u);
        return st;
    }
    ntcp_tls_as_stream(u->t, &u->up);
    u->up.destroy = owned_destroy;
    *out = &u->up;
    return NTCP_OK;
}

ntcp_tls *ntcp_tls_stream_tls(const ntcp_stream *up)
{
    return up && up->start == up_start ? ((const owned_upgrade *)up)->t : NULL;
}
