/* A krb5 context per thread (krbctx.h). A krb5_context must not be used by
 * two threads at once, so each thread keeps its own; a pthread key frees it
 * when the thread exits. */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "negotiate/krbctx.h"

typedef struct held {
    krb5_context k;
    bool no_conf;   /* KRB5_CONFIG was unset when k was made */
    char conf[1024]; /* else its value ("" when too long to compare: then never reused) */
} held;

static _Thread_local held tl;
static pthread_key_t key;
static bool key_ok;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static unsigned live;

static void drop(held *h)
{
    if (h->k) {
        krb5_free_context(h->k);
        h->k = NULL;
        __atomic_sub_fetch(&live, 1, __ATOMIC_RELAXED);
    }
}

static void at_thread_exit(void *p) { drop(p); }
static void make_key(void) { key_ok = pthread_key_create(&key, at_thread_exit) == 0; }

/* MIT reads KRB5_CONFIG with secure_getenv when it makes a context */
static bool same_config(const held *h, const char *conf)
{
    if (!conf)
        return h->no_conf;
    return !h->no_conf && h->conf[0] && !strcmp(h->conf, conf);
}

krb5_context ntcp__krb5_thread_context(void)
{
    const char *conf = secure_getenv("KRB5_CONFIG");
    if (tl.k && same_config(&tl, conf))
        return tl.k;
    drop(&tl);
    pthread_once(&key_once, make_key);
    if (!key_ok || krb5_init_context(&tl.k)) {
        tl.k = NULL; /* without the key it could not be freed at thread exit */
        return NULL;
    }
    __atomic_add_fetch(&live, 1, __ATOMIC_RELAXED);
    tl.no_conf = conf == NULL;
    tl.conf[0] = 0;
    if (conf && strlen(conf) < sizeof tl.conf)
        memcpy(tl.conf, conf, strlen(conf) + 1);
    if (pthread_setspecific(key, &tl)) {
        drop(&tl);
        return NULL;
    }
    return tl.k;
}

unsigned ntcp__krb5_thread_contexts(void) { return __atomic_load_n(&live, __ATOMIC_RELAXED); }
