/* HTTP/1.1 GET responder (RFC 9112): the request head parser (no I/O) and
 * a poll loop on its own thread, one answer per connection. Every input is
 * bounded: the head's size and header count, the connections at once, the
 * time one request may take. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include "channel/http_server.h"

/* ---- the parser ----------------------------------------------------------------- */

static bool tchar(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int hexval(uint8_t c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static ntcp_status bad(ntcp__http_req *r, int status)
{
    r->status = status;
    return NTCP_E_MALFORMED;
}

/* one line: [p, eol) without its CRLF or LF; NULL when no line end */
static const uint8_t *line_end(const uint8_t *p, const uint8_t *end, const uint8_t **next)
{
    const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl)
        return NULL;
    *next = nl + 1;
    return nl > p && nl[-1] == '\r' ? nl - 1 : nl;
}

static ntcp_status request_line(const uint8_t *p, const uint8_t *e, ntcp__http_req *r)
{
    const uint8_t *sp = memchr(p, ' ', (size_t)(e - p));
    if (!sp || sp == p || (size_t)(sp - p) >= sizeof r->method)
        return bad(r, 400);
    for (const uint8_t *q = p; q < sp; q++)
        if (!tchar(*q))
            return bad(r, 400);
    memcpy(r->method, p, (size_t)(sp - p));
    const uint8_t *t = sp + 1, *sp2 = memchr(t, ' ', (size_t)(e - t));
    if (!sp2 || sp2 == t || *t != '/')
        return bad(r, 400); /* origin-form only */
    if ((size_t)(e - sp2 - 1) != 8 || memcmp(sp2 + 1, "HTTP/1.", 7))
        return bad(r, (size_t)(e - sp2 - 1) >= 5 && !memcmp(sp2 + 1, "HTTP/", 5) ? 505 : 400);
    uint8_t m = sp2[8];
    if (m != '0' && m != '1')
        return bad(r, 505);
    r->minor = m - '0';
    size_t pl = 0;
    const uint8_t *q = t;
    for (; q < sp2 && *q != '?'; q++) {
        uint8_t c = *q;
        if (c <= 0x20 || c >= 0x7f)
            return bad(r, 400);
        if (c == '%') {
            int h = q + 2 < sp2 ? hexval(q[1]) : -1, l = q + 2 < sp2 ? hexval(q[2]) : -1;
            if (h < 0 || l < 0 || (h == 0 && l == 0))
                return bad(r, 400);
            c = (uint8_t)(h * 16 + l);
            q += 2;
        }
        if (pl + 1 >= sizeof r->path)
            return bad(r, 400);
        r->path[pl++] = (char)c;
    }
    r->path[pl] = 0;
    if (q < sp2) {
        q++;
        size_t ql = (size_t)(sp2 - q);
        if (ql >= sizeof r->query)
            return bad(r, 400);
        for (size_t i = 0; i < ql; i++)
            if (q[i] <= 0x20 || q[i] >= 0x7f)
                return bad(r, 400);
        memcpy(r->query, q, ql);
        r->query[ql] = 0;
    }
    return NTCP_OK;
}

static bool name_is(const uint8_t *p, size_t n, const char *name)
{
    return strlen(name) == n && !strncasecmp((const char *)p, name, n);
}

ntcp_status ntcp__http_parse(const uint8_t *data, size_t len, size_t max, ntcp__http_req *r, size_t *used)
{
    memset(r, 0, sizeof *r);
    *used = 0;
    size_t n = len < max ? len : max;
    const uint8_t *p = data, *end = data + n, *next;
    /* RFC 9112 2.2: empty lines before the request line are ignored */
    while (p < end && (*p == '\r' || *p == '\n'))
        p++;
    const uint8_t *e = line_end(p, end, &next);
    if (!e) {
        if (len >= max)
            return bad(r, 400), NTCP_E_LIMIT;
        return NTCP_AGAIN;
    }
    ntcp_status st = request_line(p, e, r);
    if (st)
        return st;
    int nh = 0;
    bool host = false;
    for (p = next;;) {
        e = line_end(p, end, &next);
        if (!e)
            return len >= max ? (bad(r, 400), NTCP_E_LIMIT) : NTCP_AGAIN;
        if (e == p)
            break; /* the empty line: the head is complete */
        if (++nh > NTCP__HTTP_MAX_HEADERS)
            return bad(r, 400), NTCP_E_LIMIT;
        const uint8_t *colon = memchr(p, ':', (size_t)(e - p));
        if (!colon || colon == p)
            return bad(r, 400); /* also obs-fold: a line starting with whitespace */
        for (const uint8_t *q = p; q < colon; q++)
            if (!tchar(*q))
                return bad(r, 400); /* RFC 9112 5.1: no whitespace before the colon */
        const uint8_t *v = colon + 1, *ve = e;
        while (v < ve && (*v == ' ' || *v == '\t'))
            v++;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
            ve--;
        for (const uint8_t *q = v; q < ve; q++)
            if ((*q < 0x20 && *q != '\t') || *q == 0x7f)
                return bad(r, 400);
        size_t nl = (size_t)(colon - p), vl = (size_t)(ve - v);
        if (name_is(p, nl, "host")) {
            if (host || vl >= sizeof r->host || vl == 0)
                return bad(r, 400); /* RFC 9112 3.2: exactly one Host */
            host = true;
            /* RFC 3986 host[:port]: names, IPv4, [IPv6] (it becomes part of the published addresses) */
            for (const uint8_t *q = v; q < ve; q++)
                if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') ||
                      strchr("-._:[]", *q)))
                    return bad(r, 400);
            memcpy(r->host, v, vl);
            r->host[vl] = 0;
            memcpy(r->authority, r->host, vl + 1);
            /* drop the port: "[::1]:80" -> "[::1]", "h:80" -> "h" */
            char *c = r->host[0] == '[' ? strchr(r->host, ']') : r->host;
            c = c ? strchr(c, ':') : NULL;
            if (c)
                *c = 0;
        } else if (name_is(p, nl, "transfer-encoding") || (name_is(p, nl, "content-length") && !(vl == 1 && *v == '0'))) {
            return bad(r, 400); /* a GET carries no body here */
        }
        p = next;
    }
    if (!host && r->minor == 1)
        return bad(r, 400);
    *used = (size_t)(next - data);
    return NTCP_OK;
}

/* ---- the server ------------------------------------------------------------------ */

enum cstate { C_READ, C_WRITE, C_LINGER };

typedef struct conn {
    int fd;
    enum cstate state;
    ntcp_buf in, out;
    size_t off;
    long long deadline;
} conn;

struct ntcp__http_server {
    int lfd, wake[2];
    size_t max_head, max_conns;
    long timeout_ms;
    ntcp__http_handler fn;
    void *ctx;
    conn *c;
    size_t nc;
    pthread_t thread;
    bool started;
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *reason(int st)
{
    switch (st) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 505: return "HTTP Version Not Supported";
    default: return "Internal Server Error";
    }
}

static void respond(conn *c, int status, const char *ctype, const ntcp_buf *body, bool head_only)
{
    char h[256];
    int n = snprintf(h, sizeof h,
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%sConnection: close\r\n\r\n",
                     status, reason(status), ctype, body->len, status == 405 ? "Allow: GET, HEAD\r\n" : "");
    ntcp_buf_reset(&c->out);
    if (ntcp_buf_append(&c->out, h, (size_t)n) || (!head_only && ntcp_buf_append(&c->out, body->data, body->len)))
        ntcp_buf_reset(&c->out); /* out of memory: just close */
    c->off = 0;
    c->state = C_WRITE;
}

static void answer_text(conn *c, int status, const char *text)
{
    ntcp_buf b;
    ntcp_buf_init(&b, 1024);
    if (ntcp_buf_append(&b, text, strlen(text)))
        ntcp_buf_reset(&b);
    respond(c, status, "text/plain; charset=utf-8", &b, false);
    ntcp_buf_free(&b);
}

static void on_request(ntcp__http_server *h, conn *c)
{
    ntcp__http_req r;
    size_t used;
    ntcp_status st = ntcp__http_parse(c->in.data, c->in.len, h->max_head, &r, &used);
    if (st == NTCP_AGAIN)
        return;
    if (st) {
        answer_text(c, r.status, r.status == 505 ? "HTTP/1.0 or HTTP/1.1 only\n" : "bad request\n");
        return;
    }
    if (!r.authority[0]) { /* HTTP/1.0 without Host: the address it reached */
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        char hn[64], sv[16];
        if (!getsockname(c->fd, (struct sockaddr *)&ss, &sl) &&
            !getnameinfo((struct sockaddr *)&ss, sl, hn, sizeof hn, sv, sizeof sv, NI_NUMERICHOST | NI_NUMERICSERV)) {
            bool v6 = strchr(hn, ':') != NULL;
            snprintf(r.host, sizeof r.host, "%s%s%s", v6 ? "[" : "", hn, v6 ? "]" : "");
            snprintf(r.authority, sizeof r.authority, "%s%s%s:%s", v6 ? "[" : "", hn, v6 ? "]" : "", sv);
        }
    }
    bool head = !strcmp(r.method, "HEAD");
    if (!head && strcmp(r.method, "GET")) {
        answer_text(c, 405, "GET only\n");
        return;
    }
    ntcp_buf body;
    ntcp_buf_init(&body, 64u << 20);
    const char *ctype = "text/plain; charset=utf-8";
    int status = h->fn(h->ctx, &r, &body, &ctype);
    if (status != 200 && body.len == 0 && ntcp_buf_append(&body, "not found\n", 10))
        ntcp_buf_reset(&body);
    respond(c, status, ctype, &body, head);
    ntcp_buf_free(&body);
}

static void conn_close(ntcp__http_server *h, size_t i)
{
    close(h->c[i].fd);
    ntcp_buf_free(&h->c[i].in);
    ntcp_buf_free(&h->c[i].out);
    h->c[i] = h->c[--h->nc];
}

/* returns false when the connection is done */
static bool conn_io(ntcp__http_server *h, conn *c, short rev)
{
    if (c->state == C_READ && (rev & (POLLIN | POLLHUP | POLLERR))) {
        if (ntcp_buf_reserve(&c->in, 2048))
            return false;
        size_t room = h->max_head + 1 - c->in.len;
        ssize_t n = recv(c->fd, c->in.data + c->in.len, room < 2048 ? room : 2048, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            return false;
        if (n > 0) {
            c->in.len += (size_t)n;
            on_request(h, c);
        }
    }
    if (c->state == C_WRITE && (rev & (POLLOUT | POLLHUP | POLLERR))) {
        ssize_t n = send(c->fd, c->out.data + c->off, c->out.len - c->off, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            return false;
        if (n > 0)
            c->off += (size_t)n;
        if (c->off == c->out.len) {
            /* a lingering close: the client reads the answer before a reset
             * for what it still sends could destroy it */
            shutdown(c->fd, SHUT_WR);
            c->state = C_LINGER;
            long long d = now_ms() + 2000;
            if (d < c->deadline)
                c->deadline = d;
        }
    } else if (c->state == C_LINGER && (rev & (POLLIN | POLLHUP | POLLERR))) {
        uint8_t junk[4096];
        ssize_t n = recv(c->fd, junk, sizeof junk, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            return false;
    }
    return true;
}

static void *loop(void *arg)
{
    ntcp__http_server *h = arg;
    struct pollfd *pf = ntcp_calloc(h->max_conns + 2, sizeof *pf);
    if (!pf)
        return NULL;
    for (;;) {
        long long now = now_ms();
        int timeout = -1;
        pf[0] = (struct pollfd){ .fd = h->wake[0], .events = POLLIN };
        pf[1] = (struct pollfd){ .fd = h->lfd, .events = POLLIN };
        for (size_t i = 0; i < h->nc; i++) {
            pf[i + 2] = (struct pollfd){ .fd = h->c[i].fd, .events = h->c[i].state == C_WRITE ? POLLOUT : POLLIN };
            long long left = h->c[i].deadline - now;
            if (left < 0)
                left = 0;
            if (timeout < 0 || left < timeout)
                timeout = (int)left;
        }
        size_t npf = h->nc + 2;
        if (poll(pf, npf, timeout) < 0 && errno != EINTR)
            break;
        if (pf[0].revents)
            break;
        now = now_ms();
        /* from the end: conn_close moves the last connection into the hole */
        for (size_t i = npf - 2; i-- > 0;) {
            if (i >= h->nc)
                continue;
            conn *c = &h->c[i];
            if (!conn_io(h, c, pf[i + 2].revents) || now >= c->deadline)
                conn_close(h, i);
        }
        if (pf[1].revents & POLLIN) {
            int fd = accept4(h->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd >= 0 && h->nc >= h->max_conns) {
                close(fd); /* too many at once */
            } else if (fd >= 0) {
                conn *c = &h->c[h->nc++];
                memset(c, 0, sizeof *c);
                c->fd = fd;
                ntcp_buf_init(&c->in, h->max_head + 1);
                ntcp_buf_init(&c->out, (64u << 20) + 512);
                c->deadline = now + h->timeout_ms;
            }
        }
    }
    ntcp_free(pf);
    return NULL;
}

ntcp_status ntcp__http_server_start(ntcp__http_server **out, const char *host, const char *port, size_t max_head,
                                    size_t max_conns, long timeout_ms, ntcp__http_handler fn, void *ctx,
                                    int *bound_port, ntcp_error *err)
{
    *out = NULL;
    ntcp__http_server *h = ntcp_calloc(1, sizeof *h);
    if (!h)
        return NTCP_E_NOMEM;
    h->lfd = h->wake[0] = h->wake[1] = -1;
    h->max_head = max_head ? max_head : 8192;
    h->max_conns = max_conns ? max_conns : 32;
    h->timeout_ms = timeout_ms > 0 ? timeout_ms : 10000;
    h->fn = fn;
    h->ctx = ctx;
    h->c = ntcp_calloc(h->max_conns, sizeof *h->c);
    struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM }, *ai = NULL;
    int gai = h->c ? getaddrinfo(host && *host ? host : NULL, port, &hints, &ai) : 0;
    if (!h->c || gai) {
        ntcp__http_server_free(h);
        if (gai)
            ntcp_error_set(err, NTCP_E_INVALID_ARG, NTCP_CAUSE_BAD_ADDRESS, NTCP_STEP_LISTEN,
                           "the metadata address %s:%s: %s", host ? host : "", port, gai_strerror(gai));
        return gai ? NTCP_E_INVALID_ARG : NTCP_E_NOMEM;
    }
    int e = 0;
    for (struct addrinfo *a = ai; a && h->lfd < 0; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
        int one = 1;
        if (fd >= 0 && !setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) &&
            !bind(fd, a->ai_addr, a->ai_addrlen) && !listen(fd, 64))
            h->lfd = fd;
        else if (fd >= 0 || (e = errno)) {
            e = errno;
            if (fd >= 0)
                close(fd);
        }
    }
    freeaddrinfo(ai);
    if (h->lfd < 0 || pipe2(h->wake, O_CLOEXEC)) {
        if (h->lfd >= 0)
            e = errno;
        ntcp__http_server_free(h);
        ntcp_error_set(err, NTCP_E_IO, NTCP_CAUSE_IO_ERROR, NTCP_STEP_LISTEN,
                       "listening for metadata on %s:%s: %s", host ? host : "", port, strerror(e));
        return NTCP_E_IO;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (bound_port && !getsockname(h->lfd, (struct sockaddr *)&ss, &sl)) {
        char serv[16];
        if (!getnameinfo((struct sockaddr *)&ss, sl, NULL, 0, serv, sizeof serv, NI_NUMERICSERV))
            *bound_port = atoi(serv);
    }
    if (pthread_create(&h->thread, NULL, loop, h)) {
        ntcp__http_server_free(h);
        return NTCP_E_NOMEM;
    }
    h->started = true;
    *out = h;
    return NTCP_OK;
}

void ntcp__http_server_free(ntcp__http_server *h)
{
    if (!h)
        return;
    if (h->started) {
        ssize_t n = write(h->wake[1], "x", 1);
        (void)n;
        pthread_join(h->thread, NULL);
    }
    while (h->nc)
        conn_close(h, h->nc - 1);
    if (h->lfd >= 0)
        close(h->lfd);
    if (h->wake[0] >= 0)
        close(h->wake[0]);
    if (h->wake[1] >= 0)
        close(h->wake[1]);
    ntcp_free(h->c);
    ntcp_free(h);
}
