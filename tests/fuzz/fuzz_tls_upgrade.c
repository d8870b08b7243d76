/* libFuzzer target: the service side of the application/ssl-tls upgrade —
 * the MC-NMF acceptor, then the TLS layer (OpenSSL over memory BIOs, with
 * client certificates required, so the certificate checks run on what the
 * input carries) — fed client bytes in pieces. Whatever arrives, it must end
 * in an event or a named error, without leaks. The service certificate is
 * made once at start-up, in memory, and written to temporary files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <nettcp/framing.h>
#include <nettcp/tls.h>

static char cert_path[64], key_path[64];

static void make_cert(void)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    if (!k || !x)
        abort();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 365);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC, (const unsigned char *)"fuzz", -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    X509_set_pubkey(x, k);
    X509_sign(x, k, EVP_sha256());
    snprintf(cert_path, sizeof cert_path, "/tmp/fuzz_tls_cert_XXXXXX");
    snprintf(key_path, sizeof key_path, "/tmp/fuzz_tls_key_XXXXXX");
    int cf = mkstemp(cert_path), kf = mkstemp(key_path);
    FILE *c = fdopen(cf, "w"), *kk = fdopen(kf, "w");
    if (!c || !kk || !PEM_write_X509(c, x) || !PEM_write_PrivateKey(kk, k, NULL, NULL, 0, NULL, NULL))
        abort();
    fclose(c);
    fclose(kk);
    X509_free(x);
    EVP_PKEY_free(k);
}

static void cleanup(void)
{
    unlink(cert_path);
    unlink(key_path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    make_cert();
    atexit(cleanup);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t step = (data[0] & 0x3F) * 7 + 1;
    ntcp_framing_acceptor_config ac;
    ntcp_framing_acceptor_config_init(&ac);
    ac.upgrade_name = NTCP_UPGRADE_TLS;
    ac.require_upgrade = true;
    ntcp_framing_limits lim;
    ntcp_framing_limits_init(&lim);
    ntcp_framing *f;
    if (ntcp_framing_new_acceptor(&f, &ac, &lim))
        return 0;
    ntcp_tls_options o = NTCP_TLS_OPTIONS_INIT;
    o.cert_file = cert_path;
    o.key_file = key_path;
    o.ca_file = cert_path;
    o.credential = data[0] & 0x40 ? NTCP_CREDENTIAL_CERTIFICATE : NTCP_CREDENTIAL_NONE;
    o.revocation = data[0] & 0x80 ? NTCP_TLS_REVOCATION_OFFLINE : NTCP_TLS_REVOCATION_NOCHECK;
    ntcp_stream *up = NULL;
    data++;
    size--;
    size_t off = 0;
    int guard = 0;
    while (off < size && guard++ < 100000) {
        size_t len = size - off < step ? size - off : step;
        size_t used = 0;
        ntcp_framing_event ev;
        ntcp_status st = ntcp_framing_feed(f, data + off, len, &used, &ev);
        if (used > len)
            abort();
        off += used;
        if (st == NTCP_OK) {
            if (ev.type == NTCP_FEV_PREAMBLE && !up) {
                if (ntcp_tls_stream_new(&up, true, &o))
                    abort(); /* the certificate made above always loads */
                ntcp_framing_set_upgrade(f, up);
            }
            if (ev.type == NTCP_FEV_ENVELOPE)
                (void)!ntcp_framing_send_envelope(f, ev.data, ev.len);
            if (ev.type == NTCP_FEV_END)
                (void)!ntcp_framing_send_end(f);
            continue;
        }
        if (st != NTCP_AGAIN)
            break;
        if (used == 0 && len == 0)
            break;
    }
    ntcp_framing_event ev;
    (void)!ntcp_framing_feed_eof(f, &ev);
    if (up) {
        ntcp_tls *t = ntcp_tls_stream_tls(up);
        const ntcp_tls_error *e = ntcp_tls_error_info(t);
        if (e->status && !*ntcp_tls_cause_id(e->cause))
            abort(); /* every failure is named */
    }
    ntcp_framing_free(f);
    ntcp_stream_free(up);
    return 0;
}
