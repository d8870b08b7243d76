/* Sockets: the only place with I/O and clocks. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "channel/conn.h"

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int remaining(long long deadline)
{
    long long r = deadline - now_ms();
    return r < 0 ? 0 : (int)r;
}

/* Waits for events on fd; *revents (when not NULL) gets what poll reported. */
static ntcp_status wait_fd_ev(int fd, short events, long long deadline, short *revents)
{
    for (;;) {
        struct pollfd p = { fd, events, 0 };
        int r = poll(&p, 1, remaining(deadline));
        if (r > 0) {
            if (revents)
                *revents = p.revents;
            return NTCP_OK;
        }
        if (r == 0)
            return NTCP_E_TIMEOUT;
        if (errno != EINTR)
            return NTCP_E_IO;
    }
}

static ntcp_status wait_fd(int fd, short events, long long deadline) { return wait_fd_ev(fd, events, deadline, NULL); }

static ntcp_status errno_status(int e)
{
    switch (e) {
    case ECONNREFUSED: return NTCP_E_CONNECTION_REFUSED;
    case ECONNRESET:
    case EPIPE:
    case ECONNABORTED: return NTCP_E_CONNECTION_RESET;
    case ETIMEDOUT: return NTCP_E_TIMEOUT;
    default: return NTCP_E_IO;
    }
}

ntcp_status ntcp_tcp_connect(const char *host, const char *port, int timeout_ms, int *out)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &res) != 0 || !res)
        return NTCP_E_RESOLVE;
    long long deadline = now_ms() + timeout_ms;
    ntcp_status st = NTCP_E_CONNECTION_REFUSED;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
        if (fd < 0) {
            st = NTCP_E_IO;
            continue;
        }
        int r = connect(fd, ai->ai_addr, ai->ai_addrlen);
        if (r < 0 && errno == EINPROGRESS) {
            short rev = 0;
            st = wait_fd_ev(fd, POLLOUT, deadline, &rev);
            /* writable without an error or hang-up: connected (SO_ERROR would
             * say 0); otherwise SO_ERROR tells why it failed */
            if (st == NTCP_OK && (rev & (POLLERR | POLLHUP))) {
                int err = 0;
                socklen_t len = sizeof err;
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
                st = err ? errno_status(err) : NTCP_OK;
            }
        } else {
            st = r == 0 ? NTCP_OK : errno_status(errno);
        }
        if (st == NTCP_OK) {
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            *out = fd;
            freeaddrinfo(res);
            return NTCP_OK;
        }
        close(fd);
        if (st == NTCP_E_TIMEOUT)
            break;
    }
    freeaddrinfo(res);
    return st;
}

ntcp_status ntcp_tcp_listen(const char *host, const char *port, int backlog, int *out, int *bound_port)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    if (getaddrinfo(host, port, &hints, &res) != 0 || !res)
        return NTCP_E_RESOLVE;
    ntcp_status st = NTCP_E_IO;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
        if (fd < 0)
            continue;
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, backlog) == 0) {
            struct sockaddr_storage ss;
            socklen_t sl = sizeof ss;
            getsockname(fd, (struct sockaddr *)&ss, &sl);
            if (bound_port)
                *bound_port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                             : ((struct sockaddr_in *)&ss)->sin_port);
            *out = fd;
            st = NTCP_OK;
            break;
        }
        close(fd);
    }
    freeaddrinfo(res);
    return st;
}

ntcp_status ntcp_tcp_write_all(int fd, const uint8_t *p, size_t n, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            ntcp_status st = wait_fd(fd, POLLOUT, deadline);
            if (st)
                return st;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        return errno_status(errno);
    }
    return NTCP_OK;
}

ntcp_status ntcp_tcp_sendv(int fd, const struct iovec *iov, size_t n, size_t *written)
{
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = (struct iovec *)iov;
    m.msg_iovlen = n;
    *written = 0;
    for (;;) {
        /* one chunk: send, which spares the kernel the message header */
        ssize_t w = n == 1 ? send(fd, iov[0].iov_base, iov[0].iov_len, MSG_NOSIGNAL | MSG_DONTWAIT)
                           : sendmsg(fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w >= 0) {
            *written = (size_t)w;
            return NTCP_OK;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return NTCP_AGAIN;
        return errno_status(errno);
    }
}

ntcp_status ntcp_tcp_read(int fd, uint8_t *p, size_t cap, size_t *n, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        ssize_t r = recv(fd, p, cap, 0);
        if (r >= 0) {
            *n = (size_t)r;
            return NTCP_OK;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            ntcp_status st = wait_fd(fd, POLLIN, deadline);
            if (st)
                return st;
            continue;
        }
        if (errno == EINTR)
            continue;
        return errno_status(errno);
    }
}

void ntcp_tcp_abort(int fd)
{
    struct linger l = { 1, 0 };
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    close(fd);
}

static void drain_and_close(int fd, size_t max_drain, int timeout_ms)
{
    shutdown(fd, SHUT_WR);
    long long deadline = now_ms() + timeout_ms;
    size_t total = 0;
    uint8_t buf[4096];
    for (;;) {
        size_t n = 0;
        /* the peer's FIN answers ours: wait for it rather than read first */
        if (wait_fd(fd, POLLIN, deadline) != NTCP_OK ||
            ntcp_tcp_read(fd, buf, sizeof buf, &n, remaining(deadline)) != NTCP_OK || n == 0)
            break;
        total += n;
        if (total > max_drain) {
            ntcp_tcp_abort(fd);
            return;
        }
    }
    close(fd);
}

void ntcp_tcp_close_after_fault(int fd, size_t max_drain, int timeout_ms) { drain_and_close(fd, max_drain, timeout_ms); }
void ntcp_tcp_close(int fd, int timeout_ms) { drain_and_close(fd, 0, timeout_ms); }

/* ---- a framing session on a socket ---- */
#define CONN_BULK_READ 1048576 /* the read buffer once bulk data flows (64 KiB until then) */
#define CONN_SEND_PART 1048576 /* a large envelope is written a part of this size at a time */
#define CONN_IOV 64            /* output chunks per sendmsg */

ntcp_status ntcp_conn_init(ntcp_conn *c, int fd, ntcp_framing *f)
{
    memset(c, 0, sizeof *c);
    c->fd = fd;
    c->framing = f;
    c->in_cap = 65536;
    c->max_drain = 65536; /* WCF MaxDrainSize */
    c->in = ntcp_malloc(c->in_cap);
    return c->in ? NTCP_OK : NTCP_E_NOMEM;
}

void ntcp_conn_free(ntcp_conn *c)
{
    ntcp_free(c->in);
    c->in = NULL;
}

/* The framing session's output chunks, several per sendmsg, written where
 * they lie. */
ntcp_status ntcp_conn_flush(ntcp_conn *c, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    struct iovec iov[CONN_IOV];
    size_t k;
    while ((k = ntcp_framing_output_iov(c->framing, iov, CONN_IOV)) > 0) {
        size_t w = 0;
        ntcp_status st = ntcp_tcp_sendv(c->fd, iov, k, &w);
        if (st == NTCP_AGAIN)
            st = wait_fd(c->fd, POLLOUT, deadline);
        if (st)
            return st;
        ntcp_framing_output_consumed(c->framing, w);
        if (w)
            c->awaiting = 1;
    }
    return NTCP_OK;
}

ntcp_status ntcp_conn_send_envelope(ntcp_conn *c, const uint8_t *p, size_t len, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    ntcp_status st = ntcp_framing_begin_envelope(c->framing, p, len, CONN_SEND_PART);
    if (st)
        return st;
    for (;;) {
        ntcp_status ws = ntcp_conn_flush(c, remaining(deadline));
        if (ws)
            return ws;
        if (!ntcp_framing_envelope_pending(c->framing))
            return NTCP_OK;
        st = ntcp_framing_continue_envelope(c->framing);
        if (st)
            return st;
    }
}

ntcp_status ntcp_conn_next_event(ntcp_conn *c, int timeout_ms, ntcp_framing_event *ev)
{
    long long deadline = now_ms() + timeout_ms;
    memset(ev, 0, sizeof *ev);
    for (;;) {
        ntcp_status st = ntcp_conn_flush(c, remaining(deadline));
        if (st)
            return st;
        size_t used = 0;
        st = ntcp_framing_feed(c->framing, c->in + c->in_off, c->in_len - c->in_off, &used, ev);
        c->in_off += used;
        if (st == NTCP_OK) {
            if (ev->type != NTCP_FEV_NONE) {
                ntcp_status fs = ntcp_conn_flush(c, remaining(deadline));
                return fs ? fs : NTCP_OK;
            }
            continue;
        }
        if (st != NTCP_AGAIN) {
            if (ntcp_conn_flush(c, remaining(deadline)) != NTCP_OK) { /* the fault we queued may not get through */ }
            return st;
        }
        if (c->in_off < c->in_len)
            continue;
        if (c->eof)
            return ntcp_framing_feed_eof(c->framing, ev);
        /* what the input produced (e.g. the next handshake token) goes out before we wait */
        st = ntcp_conn_flush(c, remaining(deadline));
        if (st)
            return st;
        c->in_off = c->in_len = 0;
        size_t n = 0;
        if (c->awaiting) {
            /* we just wrote: the answer cannot be here yet, so poll before
             * reading instead of a read that fails with EAGAIN first */
            c->awaiting = 0;
            st = wait_fd(c->fd, POLLIN, deadline);
            if (st)
                return st;
        }
        st = ntcp_tcp_read(c->fd, c->in, c->in_cap, &n, remaining(deadline));
        if (st)
            return st;
        if (n == 0) {
            c->eof = 1;
            return ntcp_framing_feed_eof(c->framing, ev);
        }
        c->in_len = n;
        if (n == c->in_cap && c->in_cap < CONN_BULK_READ) {
            /* a full read: bulk data is flowing; larger reads mean fewer
             * calls and fewer frames split across them (small exchanges
             * keep the small buffer) */
            uint8_t *bigger = ntcp_realloc(c->in, CONN_BULK_READ);
            if (bigger) {
                c->in = bigger;
                c->in_cap = CONN_BULK_READ;
            }
        }
    }
}

void ntcp_conn_close(ntcp_conn *c, int timeout_ms)
{
    if (c->fd < 0)
        return;
    if (ntcp_conn_flush(c, timeout_ms) != NTCP_OK) { /* closing anyway */ }
    switch (ntcp_framing_close_action(c->framing)) {
    case NTCP_CLOSE_AFTER_WRITE_DRAIN:
        ntcp_tcp_close_after_fault(c->fd, c->max_drain, timeout_ms);
        break;
    case NTCP_CLOSE_GRACEFUL:
        ntcp_tcp_close(c->fd, timeout_ms);
        break;
    default:
        ntcp_tcp_abort(c->fd);
    }
    c->fd = -1;
}
