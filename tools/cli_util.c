#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include "cli.h"

int cli_read_file(const char *path, uint8_t **data, size_t *len)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f) {
        fprintf(stderr, "nettcp: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 65536, n = 0, k;
    uint8_t *d = malloc(cap + 1);
    while (d && (k = fread(d + n, 1, cap - n, f)) > 0) {
        n += k;
        if (n == cap) {
            uint8_t *nd = cap > SIZE_MAX / 4 ? NULL : realloc(d, cap * 2 + 1);
            if (!nd) {
                free(d);
                d = NULL;
                break;
            }
            d = nd;
            cap *= 2;
        }
    }
    int err = ferror(f);
    if (f != stdin)
        fclose(f);
    if (!d || err) {
        fprintf(stderr, "nettcp: cannot read %s\n", path);
        free(d);
        return -1;
    }
    d[n] = 0;
    *data = d;
    *len = n;
    return 0;
}
