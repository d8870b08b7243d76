/* A private GSSAPI environment for the fuzz targets that drive the real GSS
 * provider, made once per process in a temp dir (removed at exit):
 *  - NTLM_USER_FILE with one NTLM user (gss-ntlmssp checks the client's
 *    AUTHENTICATE against it);
 *  - KRB5_CONFIG: realm NETTCP.TEST, no DNS, a KDC address that answers
 *    nothing (a Kerberos client without tickets fails before asking it);
 *  - KRB5_KTNAME: a keytab with an AES-256 key for host/svc.nettcp.test, so
 *    an acceptor parses and tries to decrypt whatever AP-REQ arrives;
 *  - KRB5CCNAME: an empty ccache path (no tickets).
 * Nothing here touches the network. */
#ifndef FUZZ_GSS_ENV_H
#define FUZZ_GSS_ENV_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <krb5.h>

#define FUZZ_NTLM_USER "NETTCP\\carol"
#define FUZZ_NTLM_PASSWORD "carol-Fz-2"
#define FUZZ_SPN "host/svc.nettcp.test"

static char fuzz_gss_dir[256];

static void fuzz_gss_cleanup(void)
{
    static const char *files[] = { "ntlm_users", "krb5.conf", "service.keytab", NULL };
    char p[512];
    for (int i = 0; files[i]; i++) {
        snprintf(p, sizeof p, "%s/%s", fuzz_gss_dir, files[i]);
        unlink(p);
    }
    rmdir(fuzz_gss_dir);
}

static void fuzz_write(const char *name, const char *text)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", fuzz_gss_dir, name);
    FILE *f = fopen(p, "w");
    if (!f || fputs(text, f) < 0 || fclose(f))
        abort();
}

static void fuzz_gss_env(void)
{
    if (fuzz_gss_dir[0])
        return;
    const char *tmp = getenv("TMPDIR");
    snprintf(fuzz_gss_dir, sizeof fuzz_gss_dir, "%s/nettcp-fuzz-gss-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(fuzz_gss_dir))
        abort();
    atexit(fuzz_gss_cleanup);
    fuzz_write("ntlm_users", "NETTCP:carol:" FUZZ_NTLM_PASSWORD "\n");
    fuzz_write("krb5.conf", "[libdefaults]\n default_realm = NETTCP.TEST\n dns_lookup_kdc = false\n"
                            " dns_lookup_realm = false\n rdns = false\n dns_canonicalize_hostname = false\n"
                            " kdc_timeout = 100\n max_retries = 1\n"
                            "[realms]\n NETTCP.TEST = {\n  kdc = 127.0.0.1:9\n }\n");
    char p[512];
    snprintf(p, sizeof p, "%s/ntlm_users", fuzz_gss_dir);
    setenv("NTLM_USER_FILE", p, 1);
    snprintf(p, sizeof p, "%s/krb5.conf", fuzz_gss_dir);
    setenv("KRB5_CONFIG", p, 1);
    snprintf(p, sizeof p, "FILE:%s/ccache", fuzz_gss_dir);
    setenv("KRB5CCNAME", p, 1);
    snprintf(p, sizeof p, "FILE:%s/service.keytab", fuzz_gss_dir);
    setenv("KRB5_KTNAME", p, 1);
    /* the keytab: a fixed key (the fuzzer cannot know it anyway) */
    krb5_context k;
    krb5_keytab kt;
    krb5_keytab_entry e;
    memset(&e, 0, sizeof e);
    static uint8_t key[32] = "nettcp-fuzz-service-key-0123456";
    if (krb5_init_context(&k) || krb5_kt_resolve(k, p, &kt) ||
        krb5_parse_name(k, FUZZ_SPN "@NETTCP.TEST", &e.principal))
        abort();
    e.vno = 2;
    e.key.magic = KV5M_KEYBLOCK;
    e.key.enctype = ENCTYPE_AES256_CTS_HMAC_SHA1_96;
    e.key.length = sizeof key;
    e.key.contents = key;
    if (krb5_kt_add_entry(k, kt, &e))
        abort();
    krb5_free_principal(k, e.principal);
    krb5_kt_close(k, kt);
    krb5_free_context(k);
}

#endif
