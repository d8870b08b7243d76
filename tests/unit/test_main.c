/* Test runner: runs every registered test (or those whose name contains
 * argv[1]) and ends with the line "N passed, N failed". */
#include <stdarg.h>
#include <stdlib.h>
#include "test.h"
#include <nettcp/util.h>

#define MAX_TESTS 4096
struct test_entry {
    const char *name, *file;
    ntcp_test_fn fn;
};
static struct test_entry tests[MAX_TESTS];
static int ntests;
static int cur_failures;

void ntcp_test_register(const char *name, const char *file, ntcp_test_fn fn)
{
    if (ntests < MAX_TESTS)
        tests[ntests++] = (struct test_entry){ name, file, fn };
}

void ntcp_test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    if (cur_failures < 20) {
        fprintf(stderr, "    %s:%d: ", file, line);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
    }
    cur_failures++;
}

void ntcp_test_check_bytes(const char *file, int line, const char *what, const uint8_t *got, size_t got_len,
                           const uint8_t *want, size_t want_len)
{
    if (got_len == want_len && (got_len == 0 || memcmp(got, want, got_len) == 0))
        return;
    size_t i = 0;
    while (i < got_len && i < want_len && got[i] == want[i])
        i++;
    char g[65] = "", w[65] = "";
    size_t gn = got_len > i ? got_len - i : 0, wn = want_len > i ? want_len - i : 0;
    if (gn > 32)
        gn = 32;
    if (wn > 32)
        wn = 32;
    if (got)
        ntcp_hex_encode(got + i, gn, g);
    if (want)
        ntcp_hex_encode(want + i, wn, w);
    ntcp_test_fail(file, line, "%s: %zu bytes, want %zu; first difference at %zu: got %s… want %s…", what,
                   got_len, want_len, i, g, w);
}

static int skipped;

void ntcp_test_skip(const char *why)
{
    skipped++;
    if (getenv("NTCP_TEST_VERBOSE"))
        fprintf(stderr, "skip %s\n", why);
}

static unsigned char *read_under(const char *const *roots, size_t nroots, const char *rel, size_t *len);

/* tests/REL (REL = "vectors/NAME"), found from the working directory (the
 * repository, or a directory below it); else $NTCP_SHARED/REL, for vectors
 * the repository does not carry. */
unsigned char *ntcp_test_read_vector(const char *rel, size_t *len)
{
    const char *roots[] = { "tests", "../tests", "../../tests", getenv("NTCP_SHARED") };
    return read_under(roots, sizeof roots / sizeof roots[0], rel, len);
}

bool ntcp_test_external_missing(const char *rel)
{
    size_t n;
    unsigned char *d = ntcp_test_read_vector(rel, &n);
    free(d);
    if (d)
        return false;
    ntcp_test_skip(rel);
    return true;
}

static unsigned char *read_under(const char *const *roots, size_t nroots, const char *rel, size_t *len)
{
    for (size_t r = 0; r < nroots; r++) {
        if (!roots[r])
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", roots[r], rel);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        size_t cap = 4096, n = 0;
        unsigned char *d = malloc(cap + 1);
        size_t k;
        while (d && (k = fread(d + n, 1, cap - n, f)) > 0) {
            n += k;
            if (n == cap) {
                cap *= 2;
                unsigned char *nd = realloc(d, cap + 1);
                if (!nd) {
                    free(d);
                    d = NULL;
                }
                d = nd;
            }
        }
        fclose(f);
        if (!d)
            return NULL;
        d[n] = 0;
        *len = n;
        return d;
    }
    return NULL;
}

unsigned char *ntcp_test_hex(const char *hex, size_t *len)
{
    ntcp_buf b;
    ntcp_buf_init(&b, SIZE_MAX);
    if (ntcp_hex_decode(hex, strlen(hex), &b) != NTCP_OK) {
        ntcp_buf_free(&b);
        *len = 0;
        return NULL;
    }
    if (ntcp_buf_reserve(&b, 1) != NTCP_OK) { /* keep a non-NULL pointer for empty input */
        ntcp_buf_free(&b);
        return NULL;
    }
    return ntcp_buf_detach(&b, len);
}

int main(int argc, char **argv)
{
    const char *filter = argc > 1 ? argv[1] : NULL;
    int passed = 0, failed = 0;
    for (int i = 0; i < ntests; i++) {
        if (filter && !strstr(tests[i].name, filter))
            continue;
        cur_failures = 0;
        int skipped_before = skipped;
        tests[i].fn();
        if (!cur_failures && skipped != skipped_before) {
            continue; /* counted as skipped */
        } else if (cur_failures) {
            fprintf(stderr, "FAIL %s (%s): %d check(s) failed\n", tests[i].name, tests[i].file, cur_failures);
            failed++;
        } else {
            if (getenv("NTCP_TEST_VERBOSE"))
                fprintf(stderr, "ok   %s\n", tests[i].name);
            passed++;
        }
    }
    if (skipped)
        printf("%d skipped: vectors not carried by the repository (set NTCP_SHARED to run them)\n", skipped);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
