/* UTF-8 well-formedness and repair, and the trace writer's JSON strings: what
 * the library writes is parsed by a JSON library (jansson) and must give back
 * the input, ill-formed subparts as U+FFFD. */
#include <stdlib.h>
#include <jansson.h>
#include <nettcp/util.h>
#include "channel/trace_int.h"
#include "test.h"

static size_t put_cp(uint32_t u, uint8_t *o)
{
    if (u < 0x80)
        return o[0] = (uint8_t)u, 1;
    if (u < 0x800)
        return o[0] = (uint8_t)(0xC0 | u >> 6), o[1] = (uint8_t)(0x80 | (u & 0x3F)), 2;
    if (u < 0x10000)
        return o[0] = (uint8_t)(0xE0 | u >> 12), o[1] = (uint8_t)(0x80 | (u >> 6 & 0x3F)),
               o[2] = (uint8_t)(0x80 | (u & 0x3F)), 3;
    return o[0] = (uint8_t)(0xF0 | u >> 18), o[1] = (uint8_t)(0x80 | (u >> 12 & 0x3F)),
           o[2] = (uint8_t)(0x80 | (u >> 6 & 0x3F)), o[3] = (uint8_t)(0x80 | (u & 0x3F)), 4;
}

TEST(utf8_every_code_point)
{
    uint8_t b[4];
    size_t bad_ok = 0, wrong = 0;
    for (uint32_t u = 0; u <= 0x10FFFF; u++) {
        size_t n = put_cp(u, b), bad = 0;
        size_t k = ntcp_utf8_sequence(b, n, &bad);
        int surrogate = u >= 0xD800 && u <= 0xDFFF;
        if (surrogate ? (k != 0 || bad != 1) : k != n)
            wrong++;
        else
            bad_ok++;
    }
    CHECK_EQ_INT(wrong, 0);
    CHECK_EQ_INT(bad_ok, 0x110000);
    /* overlong forms, past U+10FFFF, lone leads and continuations */
    static const char *ill[] = { "\xC0\x80", "\xC1\xBF", "\xE0\x80\x80", "\xE0\x9F\xBF", "\xF0\x80\x80\x80",
                                 "\xF0\x8F\xBF\xBF", "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xFF", "\xFE", "\x80",
                                 "\xBF", "\xED\xA0\x80", "\xED\xBF\xBF", "\xE1\x80", "\xF1\x80\x80" };
    for (size_t i = 0; i < sizeof ill / sizeof ill[0]; i++)
        CHECK(!ntcp_utf8_valid((const uint8_t *)ill[i], strlen(ill[i])));
    CHECK(ntcp_utf8_valid((const uint8_t *)"a\0b", 3));
    CHECK(ntcp_utf8_valid((const uint8_t *)"\xF4\x8F\xBF\xBF\xEF\xBF\xBD", 7));
}

static char *repaired(const char *s, size_t n, size_t *len)
{
    ntcp_buf b;
    ntcp_buf_init(&b, 1 << 20);
    if (ntcp_utf8_repair((const uint8_t *)s, n, &b) || ntcp_buf_put_u8(&b, 0)) {
        ntcp_buf_free(&b);
        return NULL;
    }
    *len = b.len - 1;
    return (char *)b.data;
}

/* Unicode chapter 3, table 3-8: one U+FFFD per maximal subpart */
TEST(utf8_repair_maximal_subparts)
{
    size_t n;
    char *r = repaired("\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64", 13, &n);
    const char want[] = "a\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
                        "b\xEF\xBF\xBD"
                        "c\xEF\xBF\xBD\xEF\xBF\xBD"
                        "d";
    CHECK(r && n == sizeof want - 1 && !memcmp(r, want, n));
    free(r);
    /* a surrogate's three bytes: three subparts (ED is a lead whose A0 does not fit) */
    r = repaired("\xED\xA0\x80", 3, &n);
    CHECK(r && n == 9 && !memcmp(r, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD", 9));
    free(r);
    /* a truncated sequence at the end: one */
    r = repaired("x\xF0\x9F\x98", 4, &n);
    CHECK(r && n == 4 && !memcmp(r, "x\xEF\xBF\xBD", 4));
    free(r);
    /* NUL and valid text unchanged */
    r = repaired("a\0\xC3\xA9", 4, &n);
    CHECK(r && n == 4 && !memcmp(r, "a\0\xC3\xA9", 4));
    free(r);
}

/* What ntcp__json_string writes for s, parsed back by jansson; 0 when equal to the repair of s. */
static int json_roundtrip(const char *s, size_t n)
{
    char *out = NULL;
    size_t outlen = 0;
    FILE *f = open_memstream(&out, &outlen);
    if (!f)
        return -1;
    ntcp__json_string(f, s);
    fclose(f);
    json_error_t e;
    json_t *v = json_loadb(out, outlen, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    int rc = -2;
    size_t rn;
    char *want = repaired(s, n, &rn);
    if (v && json_is_string(v) && want)
        rc = json_string_length(v) == rn && !memcmp(json_string_value(v), want, rn) ? 0 : -3;
    free(want);
    json_decref(v);
    free(out);
    return rc;
}

TEST(trace_json_string_every_byte_pair)
{
    char s[3] = { 0 };
    size_t fails = 0;
    for (int a = 1; a < 256; a++) {
        s[0] = (char)a;
        s[1] = 0;
        fails += json_roundtrip(s, 1) != 0;
        for (int b = 1; b < 256; b++) {
            s[1] = (char)b;
            fails += json_roundtrip(s, 2) != 0;
        }
    }
    CHECK_EQ_INT(fails, 0);
}

TEST(trace_json_string_random)
{
    uint32_t x = 12345;
    char s[9];
    size_t fails = 0;
    /* bytes drawn mostly from the lead and continuation ranges, where the edge cases are */
    static const uint8_t pool[] = { 0x01, 0x1F, '"', '\\', 'a', 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0,
                                    0xC2, 0xDF, 0xE0, 0xE1, 0xED, 0xEF, 0xF0, 0xF1, 0xF4, 0xF5, 0xFF };
    for (int i = 0; i < 200000; i++) {
        size_t n = 1 + i % 8;
        for (size_t k = 0; k < n; k++) {
            x = x * 1103515245u + 12345u;
            s[k] = (char)pool[(x >> 16) % sizeof pool];
        }
        s[n] = 0;
        fails += json_roundtrip(s, n) != 0;
    }
    CHECK_EQ_INT(fails, 0);
    CHECK_EQ_INT(json_roundtrip(NULL, 0), 0);
}

/* the ms field: three decimals with a point whatever the locale (written in integers) */
TEST(trace_json_ms_exact)
{
    static const struct {
        double ms;
        const char *want;
    } cases[] = { { 0, "{\"ms\":0.000," }, { 1234.5678, "{\"ms\":1234.568," }, { 0.0004, "{\"ms\":0.000," },
                  { 7.0005, "{\"ms\":7.001," }, { -2.25, "{\"ms\":-2.250," } };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ntcp_trace_ev ev;
        memset(&ev, 0, sizeof ev);
        ev.ms = cases[i].ms;
        ev.event = "e";
        char *out = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&out, &n);
        ntcp__trace_json_write(f, &ev);
        fclose(f);
        CHECK(out && !strncmp(out, cases[i].want, strlen(cases[i].want)));
        json_error_t e;
        json_t *v = json_loadb(out, n, 0, &e);
        CHECK(v != NULL);
        json_decref(v);
        free(out);
    }
}
