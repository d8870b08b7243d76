/* The libcrypto RFC 4121 fast path (src/negotiate/cfx.c): known answers for
 * n-fold (RFC 3961 A.1), AES-CTS (RFC 3962 Appendix B), key derivation
 * (RFC 3961 DK; the AES values MIT's own derivation tests check), and token
 * handling between two contexts sharing a made-up key. Agreement with MIT
 * on real contexts is tests/e2e/cfx_cross.c. */
#include <stdlib.h>
#include "test.h"
#include <nettcp/util.h>
#include "negotiate/cfx.h"

static void nfold_case(const char *in, size_t bits, const char *hex)
{
    size_t wl = 0;
    unsigned char *want = ntcp_test_hex(hex, &wl);
    uint8_t out[64];
    ntcp_cfx_nfold((const uint8_t *)in, strlen(in), out, bits / 8);
    CHECK_BYTES(out, bits / 8, want, wl);
    free(want);
}

TEST(cfx_nfold_rfc3961_vectors)
{
    nfold_case("012345", 64, "be072631276b1955");
    nfold_case("password", 56, "78a07b6caf85fa");
    nfold_case("Rough Consensus, and Running Code", 64, "bb6ed30870b7f0e0");
    nfold_case("password", 168, "59e4a8ca7c0385c3c37b3f6d2000247cb6e6bd5b3e");
    nfold_case("MASSACHVSETTS INSTITVTE OF TECHNOLOGY", 192, "db3b0d8f0b061e603282b308a50841229ad798fab9540c1b");
    nfold_case("Q", 168, "518a54a215a8452a518a54a215a8452a518a54a215");
    nfold_case("ba", 168, "fb25d531ae8974499f52fd92ea9857c4ba24cf297e");
    nfold_case("kerberos", 64, "6b65726265726f73");
    nfold_case("kerberos", 128, "6b65726265726f737b9b5b2b93132b93");
    nfold_case("kerberos", 168, "8372c236344e5f1550cd0747e15d62ca7a5a3bcea4");
    nfold_case("kerberos", 256, "6b65726265726f737b9b5b2b93132b935c9bdcdad95c9899c4cae4dee6d6cae4");
}

TEST(cfx_cts_rfc3962_vectors)
{
    static const char text[] = "I would like the General Gau's Chicken, please, and wonton soup.";
    static const struct {
        size_t len;
        const char *hex;
    } v[] = {
        { 17, "c6353568f2bf8cb4d8a580362da7ff7f97" },
        { 31, "fc00783e0efdb2c1d445d4c8eff7ed2297687268d6ecccc0c07b25e25ecfe5" },
        { 32, "39312523a78662d5be7fcbcc98ebf5a897687268d6ecccc0c07b25e25ecfe584" },
        { 47, "97687268d6ecccc0c07b25e25ecfe584b3fffd940c16a18c1b5549d2f838029e39312523a78662d5be7fcbcc98ebf5" },
        { 48, "97687268d6ecccc0c07b25e25ecfe5849dad8bbb96c4cdc03bc103e1a194bbd839312523a78662d5be7fcbcc98ebf5a8" },
        { 64, "97687268d6ecccc0c07b25e25ecfe58439312523a78662d5be7fcbcc98ebf5a84807efe836ee89a526730dbc2f7bc840"
              "9dad8bbb96c4cdc03bc103e1a194bbd8" },
    };
    const uint8_t *key = (const uint8_t *)"chicken teriyaki";
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        size_t wl = 0;
        unsigned char *want = ntcp_test_hex(v[i].hex, &wl);
        uint8_t ct[64], pt[64];
        CHECK_EQ_INT(wl, v[i].len);
        CHECK(ntcp_cfx_cts_encrypt(key, 16, (const uint8_t *)text, v[i].len, ct));
        CHECK_BYTES(ct, v[i].len, want, wl);
        CHECK(ntcp_cfx_cts_decrypt(key, 16, want, wl, pt));
        CHECK_BYTES(pt, v[i].len, text, v[i].len);
        free(want);
    }
    uint8_t x[8];
    CHECK(!ntcp_cfx_cts_encrypt(key, 16, (const uint8_t *)text, 8, x)); /* shorter than a block */
}

/* DK(base, usage 2 | 0x99 / 0xAA / 0x55): Kc, Ke and Ki for AES-128 and AES-256 */
TEST(cfx_derive_key_vectors)
{
    static const struct {
        const char *base, *kc, *ke, *ki;
    } v[] = {
        { "42263c6e89f4fc28b8df68ee09799f15", "34280a382bc92769b2da2f9ef066854b", "5b14fc4e250e14ddf9dccf1af6674f53",
          "4ed31063621684f09ae8d89991af3e8f" },
        { "fe697b52bc0d3ce14432ba036a92e65bbb52280990a2fa27883998d72af30161",
          "bfab388bdcb238e9f9c98d6a878304f04d30c82556375ac507a7a852790f4674",
          "c7cfd9cd75fe793a586a542d87e0d1396f1134a104bb1a9190b8c90ada3ddf37",
          "97151b4c76945063e2eb0529dc067d97d7bba90776d8126d91f34f3101aea8ba" },
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        size_t bl = 0;
        unsigned char *base = ntcp_test_hex(v[i].base, &bl);
        const char *want[3] = { v[i].kc, v[i].ke, v[i].ki };
        const uint8_t kinds[3] = { 0x99, 0xAA, 0x55 };
        for (int k = 0; k < 3; k++) {
            const uint8_t constant[5] = { 0, 0, 0, 2, kinds[k] };
            uint8_t out[32];
            size_t wl = 0;
            unsigned char *w = ntcp_test_hex(want[k], &wl);
            CHECK(ntcp_cfx_derive_key(base, bl, constant, sizeof constant, out));
            CHECK_BYTES(out, bl, w, wl);
            free(w);
        }
        free(base);
    }
    uint8_t out[32];
    CHECK(!ntcp_cfx_derive_key((const uint8_t *)"0123456789abcdef0123", 20, (const uint8_t *)"\0\0\0\2\x99", 5, out));
}

/* Two ends of a context that share made-up keys. */
static void make_pair(ntcp_cfx **ini, ntcp_cfx **acc, int32_t et, bool subkey)
{
    static const uint8_t k1[32] = "0123456789abcdef0123456789abcdef", k2[32] = "fedcba9876543210fedcba9876543210";
    size_t kl = et == 17 ? 16 : 32;
    ntcp_cfx_params p = { true, et, k1, kl, subkey, et, k2, subkey ? kl : 0, 1000, 5000, true, true };
    CHECK(ntcp_cfx_new(ini, &p) == NTCP_OK);
    p.initiator = false;
    p.send_seq = 5000;
    p.recv_seq = 1000;
    CHECK(ntcp_cfx_new(acc, &p) == NTCP_OK);
}

TEST(cfx_round_trips_and_refusals)
{
    ntcp_buf t, out;
    ntcp_buf_init(&t, 1 << 20);
    ntcp_buf_init(&out, 1 << 20);
    uint8_t *m = malloc(70000);
    for (size_t i = 0; i < 70000; i++)
        m[i] = (uint8_t)(i * 7);
    static const size_t sizes[] = { 0, 1, 16, 17, 31, 32, 33, 100, 4096, 70000 };
    for (int et = 17; et <= 18; et++) {
        for (int sk = 0; sk < 2; sk++) {
            ntcp_cfx *a = NULL, *b = NULL;
            make_pair(&a, &b, et, sk);
            if (!a || !b)
                return;
            for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
                for (int v = 0; v < 3; v++) {
                    ntcp_cfx *from = v == 1 ? b : a, *to = v == 1 ? a : b;
                    ntcp_buf_reset(&t);
                    ntcp_buf_reset(&out);
                    ntcp_status s = v == 2 ? ntcp_cfx_wrap_ec(from, m, sizes[i], 3, 28, &t)
                                           : ntcp_cfx_wrap(from, v == 0, m, sizes[i], (uint16_t)(i * 5), &t);
                    CHECK(s == NTCP_OK);
                    bool conf = false;
                    ntcp_status bs = NTCP_OK;
                    CHECK_EQ_INT(ntcp_cfx_unwrap(to, t.data, t.len, &out, &conf, &bs), 0);
                    CHECK_EQ_INT(conf, v != 1);
                    CHECK_BYTES(out.data, out.len, m, sizes[i]);
                }
            }
            /* a token with RRC 0 is not written to, whether it verifies or not */
            for (int sealed = 0; sealed < 2; sealed++) {
                ntcp_buf_reset(&t);
                CHECK(ntcp_cfx_wrap(a, sealed, m, 300, 0, &t) == NTCP_OK);
                uint8_t *copy = malloc(t.len);
                memcpy(copy, t.data, t.len);
                bool cf;
                ntcp_status bs0;
                ntcp_buf_reset(&out);
                CHECK_EQ_INT(ntcp_cfx_unwrap(b, t.data, t.len, &out, &cf, &bs0), 0);
                CHECK_BYTES(t.data, t.len, copy, t.len);
                t.data[t.len - 1] ^= 1;
                copy[t.len - 1] ^= 1;
                CHECK_EQ_INT(ntcp_cfx_unwrap(b, t.data, t.len, &out, &cf, &bs0), NTCP_CFX_BAD_SIG);
                CHECK_BYTES(t.data, t.len, copy, t.len);
                free(copy);
            }
            /* a token to ourselves (wrong direction), a truncated one, a wrong token id */
            ntcp_buf_reset(&t);
            CHECK(ntcp_cfx_wrap(a, true, m, 50, 0, &t) == NTCP_OK);
            bool conf;
            ntcp_status bs;
            ntcp_buf_reset(&out);
            CHECK_EQ_INT(ntcp_cfx_unwrap(a, t.data, t.len, &out, &conf, &bs), NTCP_CFX_BAD_SIG);
            CHECK_EQ_INT(ntcp_cfx_unwrap(b, t.data, 15, &out, &conf, &bs), NTCP_CFX_DEFECTIVE_TOKEN);
            CHECK(NTCP_CFX_ERROR(ntcp_cfx_unwrap(b, t.data, t.len - 1, &out, &conf, &bs)));
            t.data[1] = 0x05;
            CHECK_EQ_INT(ntcp_cfx_unwrap(b, t.data, t.len, &out, &conf, &bs), NTCP_CFX_DEFECTIVE_TOKEN);
            t.data[1] = 0x04;
            CHECK_EQ_INT(ntcp_cfx_unwrap(b, t.data, t.len, &out, &conf, &bs), 0);
            CHECK_EQ_INT(out.len, 50);
            /* replay of the same token */
            CHECK_EQ_INT(ntcp_cfx_unwrap(b, t.data, t.len, &out, &conf, &bs), NTCP_CFX_DUPLICATE_TOKEN);
            /* MIC */
            ntcp_buf_reset(&t);
            CHECK(ntcp_cfx_get_mic(b, m, 64, &t) == NTCP_OK);
            CHECK_EQ_INT(t.len, 28);
            CHECK_EQ_INT(ntcp_cfx_verify_mic(a, m, 64, t.data, t.len), 0);
            CHECK_EQ_INT(ntcp_cfx_verify_mic(a, m, 64, t.data, t.len), NTCP_CFX_DUPLICATE_TOKEN);
            CHECK_EQ_INT(ntcp_cfx_verify_mic(a, m, 63, t.data, t.len), NTCP_CFX_BAD_SIG);
            ntcp_cfx_free(a);
            ntcp_cfx_free(b);
        }
    }
    /* keys of the wrong length or enctype are refused */
    ntcp_cfx *c = NULL;
    ntcp_cfx_params p = { true, 18, (const uint8_t *)"short", 5, false, 0, NULL, 0, 0, 0, true, true };
    CHECK(ntcp_cfx_new(&c, &p) != NTCP_OK && !c);
    p.ctx_key_type = 23; /* rc4-hmac */
    p.ctx_key = (const uint8_t *)"0123456789abcdef";
    p.ctx_key_len = 16;
    CHECK(ntcp_cfx_new(&c, &p) != NTCP_OK && !c);
    free(m);
    ntcp_buf_free(&t);
    ntcp_buf_free(&out);
}

/* Confounders come from a pool per thread: two contexts with the same keys
 * and sequence numbers wrapping the same data still seal it differently,
 * and so does a forked child against its parent (the child draws its own). */
#include <sys/wait.h>
#include <unistd.h>
static void wrap_first(ntcp_buf *t)
{
    ntcp_cfx *a = NULL, *b = NULL;
    make_pair(&a, &b, 18, false);
    ntcp_buf_reset(t);
    CHECK(a && ntcp_cfx_wrap(a, true, (const uint8_t *)"same data", 9, 0, t) == NTCP_OK);
    ntcp_cfx_free(a);
    ntcp_cfx_free(b);
}

TEST(cfx_confounders_never_repeat_across_contexts_or_fork)
{
    ntcp_buf one, two;
    ntcp_buf_init(&one, 1 << 10);
    ntcp_buf_init(&two, 1 << 10);
    wrap_first(&one);
    wrap_first(&two);
    CHECK(one.len == two.len && one.len > 32 && memcmp(one.data, two.data, one.len) != 0);
    int fds[2];
    CHECK(pipe(fds) == 0);
    pid_t pid = fork();
    if (pid == 0) { /* the child's next token, to the parent */
        wrap_first(&two);
        ssize_t w = write(fds[1], two.data, two.len);
        _exit(w == (ssize_t)two.len ? 0 : 1);
    }
    close(fds[1]);
    wrap_first(&one); /* the parent's next token */
    uint8_t child[1024];
    size_t got = 0;
    for (ssize_t r; got < sizeof child && (r = read(fds[0], child + got, sizeof child - got)) > 0;)
        got += (size_t)r;
    close(fds[0]);
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(got == one.len && memcmp(child, one.data, one.len) != 0);
    ntcp_buf_free(&one);
    ntcp_buf_free(&two);
}
