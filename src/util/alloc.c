#include <stdlib.h>
#include <string.h>
#include <nettcp/util.h>

static void *std_malloc(size_t n, void *ctx) { (void)ctx; return malloc(n); }
static void *std_realloc(void *p, size_t n, void *ctx) { (void)ctx; return realloc(p, n); }
static void std_free(void *p, void *ctx) { (void)ctx; free(p); }

static ntcp_allocator g_alloc = { std_malloc, std_realloc, std_free, NULL };

void ntcp_set_allocator(const ntcp_allocator *a)
{
    if (a && a->malloc_fn && a->realloc_fn && a->free_fn)
        g_alloc = *a;
    else
        g_alloc = (ntcp_allocator){ std_malloc, std_realloc, std_free, NULL };
}

void ntcp_get_allocator(ntcp_allocator *a) { *a = g_alloc; }

void *ntcp_malloc(size_t n) { return g_alloc.malloc_fn(n ? n : 1, g_alloc.ctx); }

void *ntcp_calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    size_t total = count * size;
    void *p = ntcp_malloc(total);
    if (p && total)
        memset(p, 0, total);
    return p;
}

void *ntcp_realloc(void *p, size_t n) { return g_alloc.realloc_fn(p, n ? n : 1, g_alloc.ctx); }

void ntcp_free(void *p)
{
    if (p)
        g_alloc.free_fn(p, g_alloc.ctx);
}

char *ntcp_strndup(const char *s, size_t n)
{
    char *d = ntcp_malloc(n + 1);
    if (!d)
        return NULL;
    if (n)
        memcpy(d, s, n);
    d[n] = '\0';
    return d;
}
