#include <stdio.h>
#include <nettcp/util.h>

static const char hexdig[] = "0123456789abcdef";

void ntcp_hex_encode(const uint8_t *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hexdig[p[i] >> 4];
        out[2 * i + 1] = hexdig[p[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

ntcp_status ntcp_hex_decode(const char *s, size_t slen, ntcp_buf *out)
{
    int hi = -1;
    size_t save = out->len;
    for (size_t i = 0; i < slen; i++) {
        int c = (unsigned char)s[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v')
            continue;
        int v = hexval(c);
        if (v < 0) {
            out->len = save;
            return NTCP_E_MALFORMED;
        }
        if (hi < 0) {
            hi = v;
        } else {
            ntcp_status st = ntcp_buf_put_u8(out, (uint8_t)(hi << 4 | v));
            if (st) {
                out->len = save;
                return st;
            }
            hi = -1;
        }
    }
    if (hi >= 0) {
        out->len = save;
        return NTCP_E_MALFORMED;
    }
    return NTCP_OK;
}

ntcp_status ntcp_hex_dump(const uint8_t *p, size_t n, ntcp_buf *out)
{
    char line[96];
    for (size_t off = 0; off < n; off += 16) {
        int k = snprintf(line, sizeof line, "%08zx ", off);
        for (size_t i = 0; i < 16; i++) {
            if (off + i < n)
                k += snprintf(line + k, sizeof line - (size_t)k, " %02x", p[off + i]);
            else
                k += snprintf(line + k, sizeof line - (size_t)k, "   ");
        }
        k += snprintf(line + k, sizeof line - (size_t)k, "  ");
        for (size_t i = 0; i < 16 && off + i < n; i++) {
            uint8_t c = p[off + i];
            line[k++] = (c >= 0x20 && c < 0x7f) ? (char)c : '.';
        }
        line[k++] = '\n';
        ntcp_status st = ntcp_buf_append(out, line, (size_t)k);
        if (st)
            return st;
    }
    return NTCP_OK;
}
