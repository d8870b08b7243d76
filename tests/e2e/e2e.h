/* Shared by the end-to-end programs: a counting EXPECT, the realm's
 * environment, and the "N passed, N failed" line. */
#ifndef NTCP_E2E_H
#define NTCP_E2E_H
#include <stdio.h>
#include <stdlib.h>

static int passed, failed;

#define EXPECT(cond, ...)                                                                          \
    do {                                                                                           \
        if (cond) {                                                                                \
            passed++;                                                                              \
        } else {                                                                                   \
            failed++;                                                                              \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                        \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
        }                                                                                          \
    } while (0)

/* A variable the realm script exports; exits when it is missing. */
static inline const char *env(const char *k)
{
    const char *v = getenv(k);
    if (!v) {
        fprintf(stderr, "missing %s: run this through scripts/with-realm\n", k);
        exit(2);
    }
    return v;
}

static inline int e2e_finish(void)
{
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
#endif
