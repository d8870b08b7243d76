/* A minimal HTTP/1.0 GET for CRL distribution points (online revocation):
 * http:// only, the whole body up to out->max, 5 s for everything. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <nettcp/conn.h>
#include <nettcp/tls.h>
#include "channel/http.h"

ntcp_status ntcp__http_get(void *ctx, const char *url, ntcp_buf *out)
{
    (void)ctx;
    const int timeout_ms = 5000;
    if (strncasecmp(url, "http://", 7) != 0)
        return NTCP_E_UNSUPPORTED;
    const char *h = url + 7, *slash = strchr(h, '/');
    size_t hl = slash ? (size_t)(slash - h) : strlen(h);
    char host[256], port[8] = "80";
    if (hl == 0 || hl >= sizeof host)
        return NTCP_E_INVALID_ARG;
    memcpy(host, h, hl);
    host[hl] = 0;
    char *colon = strrchr(host, ':');
    if (colon && !strchr(host, ']')) {
        snprintf(port, sizeof port, "%s", colon + 1);
        *colon = 0;
    }
    int fd = -1;
    ntcp_status st = ntcp_tcp_connect(host, port, timeout_ms, &fd);
    if (st)
        return st;
    char req[1024];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: %.*s\r\nConnection: close\r\n\r\n",
                     slash ? slash : "/", (int)hl, h);
    if (n < 0 || (size_t)n >= sizeof req) {
        close(fd);
        return NTCP_E_INVALID_ARG;
    }
    st = ntcp_tcp_write_all(fd, (const uint8_t *)req, (size_t)n, timeout_ms);
    ntcp_buf b;
    ntcp_buf_init(&b, out->max + 4096);
    while (!st) {
        if ((st = ntcp_buf_reserve(&b, 16384)))
            break;
        size_t got = 0;
        st = ntcp_tcp_read(fd, b.data + b.len, b.cap - b.len, &got, timeout_ms);
        if (st || got == 0)
            break;
        b.len += got;
    }
    close(fd);
    if (st) {
        ntcp_buf_free(&b);
        return st;
    }
    /* status line "HTTP/1.x 200", body after the blank line */
    const char *end = b.len ? memmem(b.data, b.len, "\r\n\r\n", 4) : NULL;
    if (b.len < 12 || memcmp(b.data, "HTTP/1.", 7) != 0 || memcmp(b.data + 8, " 200", 4) != 0 || !end) {
        ntcp_buf_free(&b);
        return NTCP_E_ENDPOINT_NOT_FOUND;
    }
    size_t off = (size_t)(end + 4 - (const char *)b.data);
    st = ntcp_buf_append(out, b.data + off, b.len - off);
    ntcp_buf_free(&b);
    return st;
}
