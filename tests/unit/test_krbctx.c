/* The per-thread krb5 context (src/negotiate/krbctx.h). */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
#include "test.h"
#include "negotiate/krbctx.h"

static void *other_thread(void *arg)
{
    krb5_context *out = arg;
    out[0] = ntcp__krb5_thread_context();
    out[1] = ntcp__krb5_thread_context();
    return NULL;
}

TEST(krbctx_one_per_thread_freed_at_exit)
{
    krb5_context a = ntcp__krb5_thread_context();
    CHECK(a != NULL);
    CHECK(ntcp__krb5_thread_context() == a); /* reused, not made again */
    unsigned before = ntcp__krb5_thread_contexts();
    krb5_context got[2] = { NULL, NULL };
    pthread_t t;
    CHECK(pthread_create(&t, NULL, other_thread, got) == 0);
    pthread_join(t, NULL);
    CHECK(got[0] != NULL);
    CHECK(got[1] == got[0]);
    CHECK(got[0] != a); /* both alive at once while the thread ran */
    CHECK_EQ_INT(ntcp__krb5_thread_contexts(), before); /* the thread's was freed when it ended */
    CHECK(ntcp__krb5_thread_context() == a);
}

static char *write_conf(const char *realm)
{
    char *path = malloc(64);
    snprintf(path, 64, "/tmp/ntcp-krbctx-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0) {
        free(path);
        return NULL;
    }
    char text[128];
    int n = snprintf(text, sizeof text, "[libdefaults]\n    default_realm = %s\n", realm);
    if (write(fd, text, (size_t)n) != n) {
        close(fd);
        unlink(path);
        free(path);
        return NULL;
    }
    close(fd);
    return path;
}

/* A context made for one krb5.conf is not used once KRB5_CONFIG names another */
TEST(krbctx_follows_krb5_config)
{
    char *a = write_conf("ONE.TEST"), *b = write_conf("TWO.TEST");
    CHECK(a && b);
    if (!a || !b) {
        free(a);
        free(b);
        return;
    }
    const char *saved = getenv("KRB5_CONFIG");
    char *keep = saved ? strdup(saved) : NULL;
    char *realm = NULL;
    setenv("KRB5_CONFIG", a, 1);
    krb5_context k = ntcp__krb5_thread_context();
    CHECK(k && !krb5_get_default_realm(k, &realm)); /* the context now remembers ONE.TEST */
    CHECK_EQ_STR(realm, "ONE.TEST");
    krb5_free_default_realm(k, realm);
    realm = NULL;
    setenv("KRB5_CONFIG", b, 1);
    k = ntcp__krb5_thread_context();
    CHECK(k && !krb5_get_default_realm(k, &realm));
    CHECK_EQ_STR(realm, "TWO.TEST");
    krb5_free_default_realm(k, realm);
    unsetenv("KRB5_CONFIG");
    CHECK(ntcp__krb5_thread_context() != NULL);
    if (keep)
        setenv("KRB5_CONFIG", keep, 1);
    (void)ntcp__krb5_thread_context(); /* back on the caller's file */
    free(keep);
    unlink(a);
    unlink(b);
    free(a);
    free(b);
}
