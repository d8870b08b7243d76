/* TCP connections and the I/O loop that drives a framing session (private).
 * This is the only layer that touches sockets and clocks. */
#ifndef NETTCP_CHANNEL_CONN_H
#define NETTCP_CHANNEL_CONN_H

#include <stdint.h>
#include <stddef.h>
#include <nettcp/framing.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Connects to host:port (IPv4 or IPv6, host names resolved) within
 * timeout_ms. Statuses: NTCP_E_RESOLVE, NTCP_E_CONNECTION_REFUSED,
 * NTCP_E_TIMEOUT, NTCP_E_IO. */
NTCP_MUST_CHECK ntcp_status ntcp_tcp_connect(const char *host, const char *port, int timeout_ms, int *fd);
/* Listens on host:port ("0" = any free port); *bound_port gets the port. */
NTCP_MUST_CHECK ntcp_status ntcp_tcp_listen(const char *host, const char *port, int backlog, int *fd,
                                            int *bound_port);
NTCP_MUST_CHECK ntcp_status ntcp_tcp_write_all(int fd, const uint8_t *p, size_t n, int timeout_ms);
/* One sendmsg of the vector without waiting: *written bytes went out
 * (NTCP_AGAIN when the socket buffer is full). */
NTCP_MUST_CHECK ntcp_status ntcp_tcp_sendv(int fd, const struct iovec *iov, size_t n, size_t *written);
/* Reads what is there (waiting up to timeout_ms); *n == 0 means EOF. */
NTCP_MUST_CHECK ntcp_status ntcp_tcp_read(int fd, uint8_t *p, size_t cap, size_t *n, int timeout_ms);
/* Close with linger 0: the peer sees a reset, as when WCF aborts. */
void ntcp_tcp_abort(int fd);
/* After sending a fault, the way WCF does it: shutdown(SHUT_WR), read and
 * discard until EOF, max_drain bytes or the timeout, then close. */
void ntcp_tcp_close_after_fault(int fd, size_t max_drain, int timeout_ms);
/* Graceful close: shutdown(SHUT_WR), wait for the peer's FIN, close. */
void ntcp_tcp_close(int fd, int timeout_ms);

/* A framing session on a socket. */
typedef struct ntcp_conn {
    int fd;
    ntcp_framing *framing;
    uint8_t *in;      /* read buffer */
    size_t in_cap, in_off, in_len;
    int eof;
    int awaiting;     /* output went out since the last read: the next read waits for the reply first */
    size_t max_drain; /* bytes read and dropped after a fault before the close (65536 from ntcp_conn_init) */
} ntcp_conn;

NTCP_MUST_CHECK ntcp_status ntcp_conn_init(ntcp_conn *c, int fd, ntcp_framing *f);
void ntcp_conn_free(ntcp_conn *c); /* does not close fd or free the framing */
/* Writes the framing session's pending output. */
NTCP_MUST_CHECK ntcp_status ntcp_conn_flush(ntcp_conn *c, int timeout_ms);
/* Sends one envelope and writes it out within timeout_ms: a large one a
 * part (1 MiB) at a time, each written while the peer can already unprotect
 * the previous one (ntcp_framing_begin_envelope). Framing errors come back
 * as they are; I/O errors as I/O statuses. */
NTCP_MUST_CHECK ntcp_status ntcp_conn_send_envelope(ntcp_conn *c, const uint8_t *p, size_t len, int timeout_ms);
/* Flushes, then reads and feeds until the session reports an event.
 * Returns NTCP_OK with *ev, a framing error (the session's close action
 * says how to close; output such as a fault is flushed first), or an I/O
 * status. At EOF it returns the result of ntcp_framing_feed_eof and
 * ev->type NTCP_FEV_NONE (or the last message in singleton-sized mode). */
NTCP_MUST_CHECK ntcp_status ntcp_conn_next_event(ntcp_conn *c, int timeout_ms, ntcp_framing_event *ev);
/* Closes the socket the way the session's close action says. */
void ntcp_conn_close(ntcp_conn *c, int timeout_ms);

#ifdef __cplusplus
}
#endif
#endif
