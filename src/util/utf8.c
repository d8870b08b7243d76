/* UTF-8 well-formedness and repair (Unicode chapter 3, table 3-7). */
#include <nettcp/util.h>

size_t ntcp_utf8_sequence(const uint8_t *p, size_t n, size_t *bad)
{
    uint8_t c = p[0], lo = 0x80, hi = 0xBF;
    size_t need;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        need = 1;
    else if (c == 0xE0)
        need = 2, lo = 0xA0; /* no overlong 3-byte forms */
    else if (c == 0xED)
        need = 2, hi = 0x9F; /* no surrogates */
    else if (c >= 0xE1 && c <= 0xEF)
        need = 2;
    else if (c == 0xF0)
        need = 3, lo = 0x90; /* no overlong 4-byte forms */
    else if (c == 0xF4)
        need = 3, hi = 0x8F; /* nothing past U+10FFFF */
    else if (c >= 0xF1 && c <= 0xF3)
        need = 3;
    else {
        *bad = 1; /* 80..C1, F5..FF never start a sequence */
        return 0;
    }
    for (size_t i = 1; i <= need; i++) {
        if (i >= n || p[i] < lo || p[i] > hi) {
            *bad = i; /* the lead and the continuation bytes that fit */
            return 0;
        }
        lo = 0x80, hi = 0xBF;
    }
    return need + 1;
}

int ntcp_utf8_valid(const uint8_t *p, size_t n)
{
    size_t i = 0, bad;
    while (i < n) {
        size_t k = ntcp_utf8_sequence(p + i, n - i, &bad);
        if (!k)
            return 0;
        i += k;
    }
    return 1;
}

ntcp_status ntcp_utf8_repair(const uint8_t *p, size_t n, ntcp_buf *out)
{
    static const uint8_t fffd[3] = { 0xEF, 0xBF, 0xBD };
    size_t i = 0, run = 0, bad;
    while (i < n) {
        size_t k = ntcp_utf8_sequence(p + i, n - i, &bad);
        if (k) {
            i += k;
            continue;
        }
        ntcp_status st = ntcp_buf_append(out, p + run, i - run);
        if (!st)
            st = ntcp_buf_append(out, fffd, sizeof fffd);
        if (st)
            return st;
        i += bad;
        run = i;
    }
    return ntcp_buf_append(out, p + run, n - run);
}
