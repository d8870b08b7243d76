#include <string.h>
#include "capture.h"

const char *ntcp_capture_format_name(ntcp_capture_format f)
{
    static const char *const names[] = { "raw", "hex-trace", "hex-arrows", "hex" };
    return (unsigned)f < 4 ? names[f] : "unknown";
}

void ntcp_capture_free(ntcp_capture *cap)
{
    ntcp_buf_free(&cap->dir[0]);
    ntcp_buf_free(&cap->dir[1]);
}

static bool is_text(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!(p[i] == '\t' || p[i] == '\n' || p[i] == '\r' || (p[i] >= 0x20 && p[i] < 0x7f)))
            return false;
    return n > 0;
}

static bool is_hexish(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ' ' ||
              c == '\t' || c == '\r' || c == '\n'))
            return false;
    }
    return true;
}

static int guess_dir(const ntcp_buf *b)
{
    return b->len && (b->data[0] == 0x00 || b->data[0] == 0x0C) ? 0 : 1;
}

/* Finds the direction marker in a line; sets *dir and *hex (start of hex). */
static int line_dir(const char *line, size_t n, const char **hex, ntcp_capture_format *fmt)
{
    if (n >= 4 && (memcmp(line, "C->S", 4) == 0 || memcmp(line, "S->C", 4) == 0)) {
        *hex = line + 4;
        *fmt = NTCP_CAPTURE_HEX_ARROWS;
        return line[0] == 'C' ? 0 : 1;
    }
    /* tab-separated: a field equal to c>s / s>c, the hex is the last field */
    const char *last_tab = NULL;
    int dir = -1;
    for (size_t i = 0; i < n; i++) {
        if (line[i] != '\t')
            continue;
        last_tab = line + i;
        if (i + 4 <= n && (memcmp(line + i + 1, "c>s", 3) == 0 || memcmp(line + i + 1, "s>c", 3) == 0) &&
            (i + 4 == n || line[i + 4] == '\t'))
            dir = line[i + 1] == 'c' ? 0 : 1;
    }
    if (dir >= 0 && last_tab) {
        *hex = last_tab + 1;
        *fmt = NTCP_CAPTURE_HEX_TRACE;
    }
    return dir;
}

ntcp_status ntcp_capture_load(ntcp_capture *cap, const uint8_t *data, size_t len, size_t max_bytes)
{
    memset(cap, 0, sizeof *cap);
    ntcp_buf_init(&cap->dir[0], max_bytes);
    ntcp_buf_init(&cap->dir[1], max_bytes);
    if (!is_text(data, len)) {
        ntcp_status st = ntcp_buf_append(&cap->dir[0], data, len);
        if (st)
            return st;
        int d = guess_dir(&cap->dir[0]);
        if (d == 1) {
            cap->dir[1] = cap->dir[0];
            ntcp_buf_init(&cap->dir[0], max_bytes);
        }
        cap->has[d] = true;
        cap->format = NTCP_CAPTURE_RAW;
        return NTCP_OK;
    }
    /* text: one of the hex formats */
    const char *p = (const char *)data, *end = p + len;
    ntcp_capture_format fmt = NTCP_CAPTURE_HEX_PLAIN;
    bool directed = false;
    size_t lineno = 0, undirected = 0; /* the first line of hex without a direction */
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        size_t n = (size_t)(le - p);
        lineno++;
        const char *hex = p;
        ntcp_capture_format lf = NTCP_CAPTURE_HEX_PLAIN;
        int d = line_dir(p, n, &hex, &lf);
        if (d >= 0) {
            if (undirected) { /* whose bytes were those? a mix of formats */
                cap->error_line = undirected;
                return NTCP_E_MALFORMED;
            }
            directed = true;
            fmt = lf;
        } else if (directed) {
            /* blank lines between directed lines are fine */
            bool blank = true;
            for (size_t i = 0; i < n; i++)
                if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
                    blank = false;
            if (!blank) {
                cap->error_line = lineno;
                return NTCP_E_MALFORMED;
            }
        }
        int target = d >= 0 ? d : 0;
        size_t hn = (size_t)(le - hex);
        if (!is_hexish((const uint8_t *)hex, hn)) {
            cap->error_line = lineno;
            return NTCP_E_MALFORMED;
        }
        ntcp_status st = ntcp_hex_decode(hex, hn, &cap->dir[target]);
        if (st) {
            cap->error_line = lineno;
            return st;
        }
        if (d >= 0)
            cap->has[d] = true;
        else if (!undirected && cap->dir[0].len)
            undirected = lineno;
        p = nl ? nl + 1 : end;
    }
    cap->format = fmt;
    if (!directed) {
        int d = guess_dir(&cap->dir[0]);
        if (d == 1) {
            ntcp_buf_free(&cap->dir[1]);
            cap->dir[1] = cap->dir[0];
            ntcp_buf_init(&cap->dir[0], max_bytes);
        }
        cap->has[d] = true;
    }
    return NTCP_OK;
}
