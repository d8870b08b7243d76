/* Minimal test harness: TEST(name) { ... } registers a test; CHECK* record
 * failures with file:line and keep going; the runner prints
 * "N passed, N failed" as its last line. */
#ifndef NTCP_TEST_H
#define NTCP_TEST_H

#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

typedef void (*ntcp_test_fn)(void);
void ntcp_test_register(const char *name, const char *file, ntcp_test_fn fn);
void ntcp_test_fail(const char *file, int line, const char *fmt, ...);
void ntcp_test_check_bytes(const char *file, int line, const char *what, const uint8_t *got, size_t got_len,
                           const uint8_t *want, size_t want_len);
/* Reads tests/REL (REL = "vectors/NAME", from the repository or a directory
 * below it), else $NTCP_SHARED/REL. Returns malloc'd bytes (NUL-terminated)
 * or NULL. */
unsigned char *ntcp_test_read_vector(const char *rel, size_t *len);
/* The real WCF session the repository cannot carry (its source grants no
 * licence; tests/vectors/README.md): its tests run when $NTCP_SHARED holds it. */
#define NTCP_WCF_TRACE "vectors/wcf-unsecured-session.trace"
/* True (and the test counted as skipped) when REL is neither in the
 * repository nor under $NTCP_SHARED. */
bool ntcp_test_external_missing(const char *rel);
/* Counts a test that could not run (printed with NTCP_TEST_VERBOSE). */
void ntcp_test_skip(const char *why);
/* Decodes a hex string (whitespace ignored) into a malloc'd buffer. */
unsigned char *ntcp_test_hex(const char *hex, size_t *len);

#define TEST(name)                                                                   \
    static void test_##name(void);                                                   \
    __attribute__((constructor)) static void register_##name(void)                   \
    {                                                                                \
        ntcp_test_register(#name, __FILE__, test_##name);                            \
    }                                                                                \
    static void test_##name(void)

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond))                                                                 \
            ntcp_test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                  \
    } while (0)

#define CHECK_EQ_INT(got, want)                                                      \
    do {                                                                             \
        long long g_ = (long long)(got), w_ = (long long)(want);                     \
        if (g_ != w_)                                                                \
            ntcp_test_fail(__FILE__, __LINE__, "%s == %lld, want %s == %lld", #got, g_, #want, w_); \
    } while (0)

#define CHECK_EQ_STR(got, want)                                                      \
    do {                                                                             \
        const char *g_ = (got), *w_ = (want);                                        \
        if (!g_ || !w_ || strcmp(g_, w_) != 0)                                       \
            ntcp_test_fail(__FILE__, __LINE__, "%s == \"%s\", want \"%s\"", #got,    \
                           g_ ? g_ : "(null)", w_ ? w_ : "(null)");                  \
    } while (0)

#define CHECK_BYTES(got, got_len, want, want_len)                                    \
    ntcp_test_check_bytes(__FILE__, __LINE__, #got, (const uint8_t *)(got), (got_len), \
                          (const uint8_t *)(want), (want_len))

#endif
