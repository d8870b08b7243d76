/* P2-TLS: TLS transport security speed beside a floor measured in the same
 * run (no thresholds asserted: this prints a ratio). Needs no realm.
 *   P2-TLS  16 MiB each way through a channel with the application/ssl-tls
 *           upgrade (requests echoed by a server on this machine) / an
 *           in-process SSL_write + SSL_read loop of the same bytes over
 *           memory BIOs (the same OpenSSL, the same negotiated cipher)
 * The certificate (EC P-256) is made in memory and written to a temporary
 * directory. Each figure and its floor are measured in alternating slices.
 * usage: bench_tls [seconds-per-measure] [tls-version 1.2|1.3] */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <nettcp/channel.h>
#include <nettcp/server.h>
#include <nettcp/tls.h>
#include "echo_server.h"

#define SLICES 4

static char tmpdir[64], cert_path[96], key_path[96];
static ntcp_tls_options server_opts;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void make_cert(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/bench_tls_XXXXXX");
    if (!mkdtemp(tmpdir))
        exit(1);
    snprintf(cert_path, sizeof cert_path, "%s/cert.pem", tmpdir);
    snprintf(key_path, sizeof key_path, "%s/key.pem", tmpdir);
    EVP_PKEY *k = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1,
                               -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    X509_set_pubkey(x, k);
    X509_sign(x, k, EVP_sha256());
    FILE *c = fopen(cert_path, "w"), *kk = fopen(key_path, "w");
    if (!c || !kk || !PEM_write_X509(c, x) || !PEM_write_PrivateKey(kk, k, NULL, NULL, 0, NULL, NULL))
        exit(1);
    fclose(c);
    fclose(kk);
    X509_free(x);
    EVP_PKEY_free(k);
}

static void cleanup(void)
{
    unlink(cert_path);
    unlink(key_path);
    rmdir(tmpdir);
}

static ntcp_stream *up_new(void *ctx, ntcp_server_session *ss)
{
    (void)ctx;
    (void)ss;
    ntcp_stream *up = NULL;
    return ntcp_tls_stream_new(&up, true, &server_opts) == NTCP_OK ? up : NULL;
}

/* MB/s of plaintext both ways, 16 MiB requests echoed on one channel */
static double channel_rate(ntcp_channel *ch, const uint8_t *msg, size_t big, double budget)
{
    int rounds = 0;
    double t0 = now(), t1;
    do {
        const uint8_t *rep;
        size_t rl;
        if (ntcp_channel_request(ch, msg, big, &rep, &rl) || rl != big) {
            fprintf(stderr, "P2-TLS: request failed: %s\n", ntcp_channel_error(ch)->text);
            exit(1);
        }
        rounds++;
    } while ((t1 = now()) - t0 < budget);
    return 2.0 * rounds * (double)big / (t1 - t0) / 1e6;
}

/* ---- the floor: an in-process SSL pair over memory BIOs ---- */
static void pump(SSL *from, SSL *to)
{
    BIO *w = SSL_get_wbio(from), *r = SSL_get_rbio(to);
    char buf[65536];
    int n;
    while ((n = BIO_read(w, buf, sizeof buf)) > 0)
        BIO_write(r, buf, n);
}

static bool pair_open(SSL_CTX **cctx, SSL_CTX **sctx, SSL **c, SSL **s, int version)
{
    *cctx = SSL_CTX_new(TLS_client_method());
    *sctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_set_min_proto_version(*cctx, version);
    SSL_CTX_set_max_proto_version(*cctx, version);
    if (SSL_CTX_use_certificate_chain_file(*sctx, cert_path) != 1 ||
        SSL_CTX_use_PrivateKey_file(*sctx, key_path, SSL_FILETYPE_PEM) != 1)
        return false;
    SSL_CTX_set_num_tickets(*sctx, 0);
    *c = SSL_new(*cctx);
    *s = SSL_new(*sctx);
    SSL_set_bio(*c, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
    SSL_set_bio(*s, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
    SSL_set_connect_state(*c);
    SSL_set_accept_state(*s);
    for (int i = 0; i < 10; i++) {
        int rc = SSL_do_handshake(*c);
        pump(*c, *s);
        int rs = SSL_do_handshake(*s);
        pump(*s, *c);
        if (rc == 1 && rs == 1)
            return true;
    }
    return false;
}

/* MB/s of plaintext both ways: SSL_write the bytes (1 MiB at a time, as the
 * channel does), move the records, SSL_read them into a buffer */
static double floor_rate(SSL *c, SSL *s, const uint8_t *msg, size_t big, uint8_t *sink, double budget)
{
    int rounds = 0;
    double t0 = now(), t1;
    do {
        for (int dir = 0; dir < 2; dir++) {
            SSL *a = dir ? s : c, *b = dir ? c : s;
            size_t got = 0;
            for (size_t off = 0; off < big;) {
                size_t n = big - off < (1u << 20) ? big - off : (1u << 20), w = 0;
                if (SSL_write_ex(a, msg + off, n, &w) != 1) {
                    fprintf(stderr, "floor: SSL_write failed\n");
                    exit(1);
                }
                off += n;
                pump(a, b);
                size_t r = 0;
                while (SSL_read_ex(b, sink + got, big - got, &r) == 1)
                    got += r;
            }
            if (got != big) {
                fprintf(stderr, "floor: %zu of %zu bytes\n", got, big);
                exit(1);
            }
        }
        rounds++;
    } while ((t1 = now()) - t0 < budget);
    return 2.0 * rounds * (double)big / (t1 - t0) / 1e6;
}

int main(int argc, char **argv)
{
    double budget = argc > 1 ? atof(argv[1]) : 4.0;
    int version = argc > 2 && !strcmp(argv[2], "1.2") ? TLS1_2_VERSION : TLS1_3_VERSION;
    make_cert();
    atexit(cleanup);
    server_opts = (ntcp_tls_options)NTCP_TLS_OPTIONS_INIT;
    server_opts.cert_file = cert_path;
    server_opts.key_file = key_path;
    int port;
    ntcp_server *srv = bench_echo_start(NTCP_UPGRADE_TLS, up_new, 0, &port);
    pthread_t th;
    pthread_create(&th, NULL, bench_echo_run, srv);
    ntcp_tls_options co = NTCP_TLS_OPTIONS_INIT;
    co.ca_file = cert_path;
    co.validation = NTCP_TLS_VALIDATION_PEER;
    co.host = "localhost";
    co.min_version = co.max_version = version;
    ntcp_tls *tls;
    if (ntcp_tls_new(&tls, false, &co)) {
        fprintf(stderr, "bench_tls: %s\n", ntcp_tls_last_error(tls));
        return 1;
    }
    ntcp_stream up;
    ntcp_tls_as_stream(tls, &up);
    ntcp_channel_options o;
    ntcp_channel_options_init(&o);
    o.upgrade = &up;
    o.limits.max_message = 32u << 20;
    char url[96];
    ntcp_error err;
    snprintf(url, sizeof url, "net.tcp://127.0.0.1:%d/bench", port);
    ntcp_channel *ch;
    if (ntcp_channel_open(&ch, url, &o, &err)) {
        fprintf(stderr, "open: %s\n", err.text);
        return 1;
    }
    SSL_CTX *cctx, *sctx;
    SSL *c, *s;
    if (!pair_open(&cctx, &sctx, &c, &s, version)) {
        fprintf(stderr, "bench_tls: the in-process pair did not connect\n");
        return 1;
    }
    const ntcp_tls_result *r = ntcp_tls_get_result(tls);
    size_t big = 16u << 20;
    uint8_t *msg = malloc(big), *sink = malloc(big);
    for (size_t i = 0; i < big; i++)
        msg[i] = (uint8_t)(i * 31);
    double rate = 0, floor2 = 0;
    for (int k = 0; k < SLICES; k++) {
        rate += channel_rate(ch, msg, big, budget / SLICES) / SLICES;
        floor2 += floor_rate(c, s, msg, big, sink, budget / SLICES) / SLICES;
    }
    printf("P2-TLS 16 MiB each way, %s %s: %.0f MB/s; in-process SSL_write+SSL_read (%s): %.0f MB/s; ratio %.2f "
           "(target >= 0.8)\n",
           r->version, r->cipher, rate, SSL_get_cipher_name(c), floor2, floor2 > 0 ? rate / floor2 : 0);
    free(msg);
    free(sink);
    if (ntcp_channel_close(ch))
        fprintf(stderr, "close failed\n");
    ntcp_tls_free(tls);
    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    ntcp_server_stop(srv);
    pthread_join(th, NULL);
    ntcp_server_free(srv);
    return 0;
}
