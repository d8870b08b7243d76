/* A counting allocator for the library's hook (ntcp_set_allocator): the
 * number of live allocations the library made, so a fuzz target can check
 * after each input that nothing of ours leaked, even where the run leaves
 * LeakSanitizer's per-input check off (the GSS libraries allocate and cache
 * on their own, which makes every input look like a leak to it). */
#ifndef FUZZ_COUNT_ALLOC_H
#define FUZZ_COUNT_ALLOC_H
#include <stdlib.h>
#include <string.h>
#include <nettcp/util.h>

static long fz_live;

static void *fz_malloc(size_t n, void *ctx)
{
    void *p = malloc(n);
    if (p)
        __atomic_add_fetch(&fz_live, 1, __ATOMIC_RELAXED);
    return p;
}
static void *fz_realloc(void *p, size_t n, void *ctx)
{
    void *q = realloc(p, n);
    if (q && !p)
        __atomic_add_fetch(&fz_live, 1, __ATOMIC_RELAXED);
    return q;
}
static void fz_free(void *p, void *ctx)
{
    if (p)
        __atomic_sub_fetch(&fz_live, 1, __ATOMIC_RELAXED);
    free(p);
}

static void fz_count_allocations(void)
{
    static const ntcp_allocator a = { fz_malloc, fz_realloc, fz_free, NULL };
    ntcp_set_allocator(&a);
}

static long fz_live_allocations(void) { return __atomic_load_n(&fz_live, __ATOMIC_RELAXED); }

/* libFuzzer reads its flags after LLVMFuzzerInitialize: a target whose
 * per-input leak check cannot work turns it off unless the command line
 * names it (the end-of-run check and fz_live stay). */
static void fz_no_per_input_leak_check(int *argc, char ***argv)
{
    for (int i = 1; i < *argc; i++)
        if (!strncmp((*argv)[i], "-detect_leaks=", 14))
            return;
    static char *args[256];
    static char flag[] = "-detect_leaks=0";
    if (*argc + 2 > 256)
        return;
    args[0] = (*argv)[0];
    args[1] = flag;
    for (int i = 1; i < *argc; i++)
        args[i + 1] = (*argv)[i];
    args[*argc + 1] = NULL;
    *argc += 1;
    *argv = args;
}
#endif
