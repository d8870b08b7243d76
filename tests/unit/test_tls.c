/* The TLS layer alone (sans-I/O): a client and a service ntcp_tls in this
 * process, their bytes moved by hand. Certificates are made in memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <nettcp/tls.h>
#include "test.h"

typedef struct pki {
    char dir[64], ca[96], cert[96], key[96], other[96];
    char thumb[41];
} pki;

/* a self-signed "CA" that signs the leaf (CN=svc, SAN DNS:svc.test, expiring in `days`) */
static X509 *make(EVP_PKEY *k, EVP_PKEY *signer, X509 *issuer, const char *cn, const char *san, long from, long days)
{
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), (long)(random() & 0xFFFFFF) + 1);
    X509_gmtime_adj(X509_getm_notBefore(x), from);
    X509_gmtime_adj(X509_getm_notAfter(x), days * 86400L);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : X509_get_subject_name(x));
    X509_set_pubkey(x, k);
    X509V3_CTX c;
    X509V3_set_ctx(&c, issuer ? issuer : x, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &c, NID_basic_constraints, issuer ? "CA:FALSE" : "critical,CA:TRUE");
    X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    if (san) {
        e = X509V3_EXT_conf_nid(NULL, &c, NID_subject_alt_name, san);
        X509_add_ext(x, e, -1);
        X509_EXTENSION_free(e);
    }
    X509_sign(x, signer, EVP_sha256());
    return x;
}

static void write_pem(const char *path, X509 *x, EVP_PKEY *k)
{
    FILE *f = fopen(path, "w");
    if (x)
        PEM_write_X509(f, x);
    if (k)
        PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
    fclose(f);
}

static void pki_make(pki *p, long leaf_from, long leaf_days)
{
    snprintf(p->dir, sizeof p->dir, "/tmp/test_tls_XXXXXX");
    if (!mkdtemp(p->dir))
        abort();
    snprintf(p->ca, sizeof p->ca, "%s/ca.pem", p->dir);
    snprintf(p->cert, sizeof p->cert, "%s/cert.pem", p->dir);
    snprintf(p->key, sizeof p->key, "%s/key.pem", p->dir);
    snprintf(p->other, sizeof p->other, "%s/other.pem", p->dir);
    EVP_PKEY *ck = EVP_EC_gen("P-256"), *lk = EVP_EC_gen("P-256"), *ok = EVP_EC_gen("P-256");
    X509 *ca = make(ck, ck, NULL, "Unit CA", NULL, -3600, 30);
    X509 *leaf = make(lk, ck, ca, "svc", "DNS:svc.test", leaf_from, leaf_days);
    X509 *other = make(ok, ok, NULL, "Other CA", NULL, -3600, 30);
    write_pem(p->ca, ca, NULL);
    write_pem(p->cert, leaf, NULL);
    write_pem(p->key, NULL, lk);
    write_pem(p->other, other, NULL);
    unsigned char md[20];
    unsigned n;
    X509_digest(leaf, EVP_sha1(), md, &n);
    for (int i = 0; i < 20; i++)
        snprintf(p->thumb + 2 * i, 3, "%02X", md[i]);
    X509_free(ca);
    X509_free(leaf);
    X509_free(other);
    EVP_PKEY_free(ck);
    EVP_PKEY_free(lk);
    EVP_PKEY_free(ok);
}

static void pki_free(pki *p)
{
    unlink(p->ca);
    unlink(p->cert);
    unlink(p->key);
    unlink(p->other);
    rmdir(p->dir);
}

/* Runs the handshake by moving bytes; returns the client's last status. */
static ntcp_status run(ntcp_tls *c, ntcp_tls *s, ntcp_buf *plain_c, ntcp_buf *plain_s)
{
    ntcp_buf a, b;
    ntcp_buf_init(&a, 1 << 20);
    ntcp_buf_init(&b, 1 << 20);
    ntcp_status cs = ntcp_tls_start(c, &a), ss = NTCP_OK;
    for (int i = 0; i < 10 && !cs && a.len + b.len; i++) {
        size_t used;
        ntcp_buf_reset(&b);
        if (a.len) {
            ss = ntcp_tls_recv(s, a.data, a.len, &used, plain_s, &b);
            ntcp_buf_reset(&a);
        }
        if (b.len) {
            cs = ntcp_tls_recv(c, b.data, b.len, &used, plain_c, &a);
            if (cs == NTCP_AGAIN)
                cs = NTCP_OK;
        }
        if (ss != NTCP_OK && ss != NTCP_AGAIN && !b.len)
            break;
    }
    ntcp_buf_free(&a);
    ntcp_buf_free(&b);
    return cs;
}

static void opts(const pki *p, ntcp_tls_options *co, ntcp_tls_options *so)
{
    *co = (ntcp_tls_options)NTCP_TLS_OPTIONS_INIT;
    *so = (ntcp_tls_options)NTCP_TLS_OPTIONS_INIT;
    so->cert_file = p->cert;
    so->key_file = p->key;
    co->ca_file = p->ca;
    co->host = "svc.test";
}

TEST(tls_handshake_and_data_both_ways)
{
    pki p;
    pki_make(&p, -3600, 10);
    ntcp_tls_options co, so;
    opts(&p, &co, &so);
    ntcp_tls *c, *s;
    CHECK_EQ_INT(ntcp_tls_new(&c, false, &co), NTCP_OK);
    CHECK_EQ_INT(ntcp_tls_new(&s, true, &so), NTCP_OK);
    ntcp_buf pc, ps, w;
    ntcp_buf_init(&pc, 1 << 20);
    ntcp_buf_init(&ps, 1 << 20);
    ntcp_buf_init(&w, 1 << 20);
    CHECK_EQ_INT(ntcp_tls_send(c, (const uint8_t *)"x", 1, &w), NTCP_E_STATE); /* not before the handshake */
    CHECK_EQ_INT(run(c, s, &pc, &ps), NTCP_OK);
    CHECK(ntcp_tls_established(c));
    CHECK(ntcp_tls_established(s));
    const ntcp_tls_result *r = ntcp_tls_get_result(c);
    CHECK_EQ_STR(r->version, "TLSv1.3");
    CHECK_EQ_INT((int)r->chain_len, 1);
    CHECK_EQ_STR(r->chain[0].subject, "CN=svc");
    CHECK_EQ_STR(r->chain[0].issuer, "CN=Unit CA");
    CHECK_EQ_STR(r->chain[0].sans, "DNS:svc.test");
    CHECK_EQ_STR(r->chain[0].thumbprint, p.thumb);
    CHECK_EQ_STR(r->chain[0].key, "EC prime256v1");
    CHECK_EQ_STR(ntcp_tls_peer_subject(s), ""); /* no client certificate */
    /* PreambleEnd, one record each way; the wire never holds the plaintext */
    static const uint8_t msg[] = "\x0c" "secret-plaintext-marker";
    CHECK_EQ_INT(ntcp_tls_send(c, msg, sizeof msg - 1, &w), NTCP_OK);
    CHECK(w.len > sizeof msg - 1 && !memmem(w.data, w.len, "secret-plaintext", 16));
    size_t used;
    ntcp_buf back;
    ntcp_buf_init(&back, 1 << 16);
    ntcp_buf_reset(&ps);
    CHECK_EQ_INT(ntcp_tls_recv(s, w.data, w.len, &used, &ps, &back), NTCP_OK);
    CHECK_EQ_INT((int)used, (int)w.len);
    CHECK_BYTES(ps.data, ps.len, msg, sizeof msg - 1);
    /* a record cut in two: nothing, then everything */
    ntcp_buf_reset(&w);
    ntcp_buf_reset(&pc);
    CHECK_EQ_INT(ntcp_tls_send(s, msg, sizeof msg - 1, &w), NTCP_OK);
    CHECK_EQ_INT(ntcp_tls_recv(c, w.data, 7, &used, &pc, &back), NTCP_AGAIN);
    CHECK_EQ_INT((int)pc.len, 0);
    CHECK_EQ_INT(ntcp_tls_recv(c, w.data + 7, w.len - 7, &used, &pc, &back), NTCP_OK);
    CHECK_BYTES(pc.data, pc.len, msg, sizeof msg - 1);
    /* a flipped bit: a named failure */
    ntcp_buf_reset(&w);
    CHECK_EQ_INT(ntcp_tls_send(s, msg, sizeof msg - 1, &w), NTCP_OK);
    w.data[w.len - 3] ^= 1;
    CHECK(ntcp_tls_recv(c, w.data, w.len, &used, &pc, &back) < 0);
    CHECK_EQ_STR(ntcp_tls_cause_id(ntcp_tls_error_info(c)->cause), "tls_handshake");
    ntcp_buf_free(&pc);
    ntcp_buf_free(&ps);
    ntcp_buf_free(&w);
    ntcp_buf_free(&back);
    ntcp_tls_free(c);
    ntcp_tls_free(s);
    pki_free(&p);
}

/* each failure's cause, from a client that checks as WCF does */
static const char *fails_with(const pki *p, const char *ca, const char *identity, ntcp_tls_validation v,
                              const char *detail_part)
{
    static char cause[32];
    ntcp_tls_options co, so;
    opts(p, &co, &so);
    co.ca_file = ca;
    co.identity = identity;
    co.validation = v;
    ntcp_tls *c, *s;
    if (ntcp_tls_new(&c, false, &co) || ntcp_tls_new(&s, true, &so))
        return "setup";
    ntcp_buf pc, ps;
    ntcp_buf_init(&pc, 1 << 20);
    ntcp_buf_init(&ps, 1 << 20);
    ntcp_status st = run(c, s, &pc, &ps);
    const ntcp_tls_error *e = ntcp_tls_error_info(c);
    snprintf(cause, sizeof cause, "%s", st ? ntcp_tls_cause_id(e->cause) : "ok");
    if (detail_part && !strstr(e->detail, detail_part))
        snprintf(cause, sizeof cause, "detail lacks the part");
    ntcp_buf_free(&pc);
    ntcp_buf_free(&ps);
    ntcp_tls_free(c);
    ntcp_tls_free(s);
    return cause;
}

TEST(tls_certificate_checks_name_their_cause)
{
    pki p;
    pki_make(&p, -3600, 10);
    char id[80];
    CHECK_EQ_STR(fails_with(&p, p.ca, NULL, NTCP_TLS_VALIDATION_CHAIN, NULL), "ok");
    CHECK_EQ_STR(fails_with(&p, p.other, NULL, NTCP_TLS_VALIDATION_CHAIN, "CN=Unit CA"), "cert_untrusted");
    CHECK_EQ_STR(fails_with(&p, p.ca, "dns:elsewhere.test", NTCP_TLS_VALIDATION_CHAIN, "svc.test"),
                 "cert_name_mismatch");
    CHECK_EQ_STR(fails_with(&p, p.ca, "dns:SVC.TEST", NTCP_TLS_VALIDATION_CHAIN, NULL), "ok");
    snprintf(id, sizeof id, "thumbprint:%s", p.thumb);
    CHECK_EQ_STR(fails_with(&p, p.ca, id, NTCP_TLS_VALIDATION_CHAIN, NULL), "ok");
    id[12] = id[12] == 'A' ? 'B' : 'A';
    CHECK_EQ_STR(fails_with(&p, p.ca, id, NTCP_TLS_VALIDATION_CHAIN, p.thumb), "cert_name_mismatch");
    CHECK_EQ_STR(fails_with(&p, p.ca, "spn:host/x", NTCP_TLS_VALIDATION_CHAIN, "not dns:"), "cert_name_mismatch");
    CHECK_EQ_STR(fails_with(&p, p.cert, NULL, NTCP_TLS_VALIDATION_PEER, NULL), "ok");
    CHECK_EQ_STR(fails_with(&p, p.ca, NULL, NTCP_TLS_VALIDATION_PEER, "not among"), "cert_untrusted");
    CHECK_EQ_STR(fails_with(&p, p.other, NULL, NTCP_TLS_VALIDATION_NONE, NULL), "ok");
    pki_free(&p);
    pki_make(&p, -86400L * 20, -1); /* expired yesterday */
    CHECK_EQ_STR(fails_with(&p, p.ca, NULL, NTCP_TLS_VALIDATION_CHAIN, "expired"), "cert_expired");
    pki_free(&p);
    pki_make(&p, 86400L * 5, 10); /* valid from in five days */
    CHECK_EQ_STR(fails_with(&p, p.ca, NULL, NTCP_TLS_VALIDATION_CHAIN, "valid only from"), "cert_not_yet_valid");
    pki_free(&p);
}

TEST(tls_credentials_and_garbage)
{
    pki p;
    pki_make(&p, -3600, 10);
    ntcp_tls_options co, so;
    opts(&p, &co, &so);
    so.key_file = p.ca; /* not a key */
    ntcp_tls *s;
    CHECK_EQ_INT(ntcp_tls_new(&s, true, &so), NTCP_E_NO_CREDENTIALS);
    CHECK_EQ_STR(ntcp_tls_cause_id(ntcp_tls_error_info(s)->cause), "tls_credentials");
    ntcp_tls_free(s);
    so.key_file = NULL; /* then cert_file must be PKCS#12 */
    CHECK_EQ_INT(ntcp_tls_new(&s, true, &so), NTCP_E_NO_CREDENTIALS);
    CHECK(strstr(ntcp_tls_last_error(s), "PKCS#12") != NULL);
    ntcp_tls_free(s);
    so.key_file = p.key;
    so.min_version = 0x0304;
    so.max_version = 0x0303;
    CHECK_EQ_INT(ntcp_tls_new(&s, true, &so), NTCP_E_INVALID_ARG);
    ntcp_tls_free(s);
    so.min_version = 0x0303;
    so.max_version = 0;
    CHECK_EQ_INT(ntcp_tls_new(&s, true, &so), NTCP_OK);
    /* not TLS: a named failure, and the service answers with an alert, nothing else */
    static const uint8_t junk[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    ntcp_buf plain, out;
    ntcp_buf_init(&plain, 1 << 16);
    ntcp_buf_init(&out, 1 << 16);
    size_t used;
    CHECK(ntcp_tls_recv(s, junk, sizeof junk - 1, &used, &plain, &out) < 0);
    CHECK_EQ_STR(ntcp_tls_cause_id(ntcp_tls_error_info(s)->cause), "tls_handshake");
    CHECK_EQ_INT((int)plain.len, 0);
    CHECK(out.len == 0 || out.data[0] == 0x15); /* an alert record, if anything */
    CHECK(ntcp_tls_recv(s, junk, 3, &used, &plain, &out) < 0); /* stays failed */
    ntcp_buf_free(&plain);
    ntcp_buf_free(&out);
    ntcp_tls_free(s);
    CHECK_EQ_STR(ntcp_tls_cause_advice("nope") ? "x" : "", "");
    for (int c = NTCP_TLS_CAUSE_NONE + 1; c < NTCP_TLS_CAUSE_COUNT; c++) { /* one table of causes and advice */
        ntcp_cause e = ntcp_tls_cause_of((ntcp_tls_cause)c);
        CHECK_EQ_STR(ntcp_cause_id(e), ntcp_tls_cause_id((ntcp_tls_cause)c));
        CHECK_EQ_STR(ntcp_tls_cause_advice(ntcp_tls_cause_id((ntcp_tls_cause)c)), ntcp_cause_advice(e));
        CHECK(*ntcp_cause_advice(e) != 0);
    }
    pki_free(&p);
}
