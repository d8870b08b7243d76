/* nettcp — the service host's connection engine: epoll event loops (one
 * thread each), many concurrent framing sessions. It accepts connections, runs an MC-NMF
 * acceptor on each (with a stream upgrade from a factory when the endpoint
 * is secured), hands every message to a callback, writes replies, enforces
 * channelInitializationTimeout, the receive (idle) timeout and the session
 * limit, and shuts down gracefully. The SOAP dispatcher sits on top. */
#ifndef NETTCP_SERVER_H
#define NETTCP_SERVER_H

#include <stdbool.h>
#include <nettcp/framing.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ntcp_server ntcp_server;
typedef struct ntcp_server_session ntcp_server_session;

typedef struct ntcp_server_config {
    ntcp_framing_acceptor_config framing;
    ntcp_framing_limits limits;
    int channel_init_timeout_ms; /* preamble + handshake: 30 s (ChannelInitializationTimeout) */
    int receive_timeout_ms;      /* idle time between messages: 10 min (ReceiveTimeout) */
    int close_timeout_ms;        /* waiting for the client's End at shutdown: 10 s */
    unsigned max_sessions;       /* concurrent connections; more get the ServerTooBusy fault */
    /* Event loops, each on its own thread (run()'s thread is the first):
     * one accepts and hands each connection to the loop with the fewest
     * sessions, which serves it until it ends; callbacks then run on
     * several threads, each session's on its loop's. Default 1 (the
     * service's options make it one per CPU); 0 = 1. */
    unsigned loops;
    /* A fresh secured stream for a session, called once its via is known
     * (NULL: no upgrade for it); the server frees it with ntcp_stream_free. */
    ntcp_stream *(*stream_new)(void *ctx, ntcp_server_session *s);
    /* Called once the preamble (and upgrade) completed: return false to abort. */
    bool (*on_open)(void *ctx, ntcp_server_session *s);
    /* One whole message; reply with ntcp_server_session_send. */
    void (*on_message)(void *ctx, ntcp_server_session *s, const uint8_t *p, size_t n);
    /* A framing session on the connection ended (End exchanged, fault or abort). */
    void (*on_close)(void *ctx, ntcp_server_session *s, ntcp_status why);
    /* Diagnostics: a connection was refused or failed; e says why (its
     * cause, and the NegotiateStream detail when the handshake failed).
     * s is NULL for the listener (out of descriptors, said once per episode). */
    void (*on_error)(void *ctx, ntcp_server_session *s, const ntcp_error *e);
    /* Every framing record received or sent (for traces); may be NULL. */
    void (*on_record)(void *ctx, ntcp_server_session *s, bool sent, const ntcp_nmf_record *rec);
    void *ctx;
} ntcp_server_config;

/* The default acceptor config and limits, 30 s / 10 min / 10 s, 10000
 * sessions, no callbacks. */
void ntcp_server_config_init(ntcp_server_config *c);

NTCP_MUST_CHECK ntcp_status ntcp_server_new(ntcp_server **s, const ntcp_server_config *cfg);
void ntcp_server_free(ntcp_server *s);
/* Listens on host:port ("0": any free port); *bound_port receives the port. */
NTCP_MUST_CHECK ntcp_status ntcp_server_listen(ntcp_server *s, const char *host, const char *port, int *bound_port);
/* Serves until ntcp_server_stop: loop 0 on the calling thread, the others
 * on threads of their own (joined before it returns); NTCP_OK after a
 * graceful shutdown. */
NTCP_MUST_CHECK ntcp_status ntcp_server_run(ntcp_server *s);
/* Asks run() to stop: no new connections, open sessions (on every loop)
 * are ended with End (replies already queued are written first), then
 * run() returns once every loop finished. Safe to call from a signal
 * handler or another thread. */
void ntcp_server_stop(ntcp_server *s);
unsigned ntcp_server_session_count(const ntcp_server *s);
/* Work finished on another thread: ntcp_server_wake (safe from any thread)
 * makes run() call fn(ctx) on its own thread soon after. */
void ntcp_server_set_wake(ntcp_server *s, void (*fn)(void *ctx), void *ctx);
void ntcp_server_wake(ntcp_server *s);
/* The same per event loop: ntcp_server_wake_loop(s, i) (any thread) makes
 * loop i call fn(ctx, i) on its own thread. The wake above is loop 0's. */
void ntcp_server_set_wake_loop(ntcp_server *s, void (*fn)(void *ctx, unsigned loop), void *ctx);
void ntcp_server_wake_loop(ntcp_server *s, unsigned loop);
/* How many event loops serve (fixed by ntcp_server_new). */
unsigned ntcp_server_loops(const ntcp_server *s);
/* The loop a session is pinned to: every callback about it runs there. */
unsigned ntcp_server_session_loop(const ntcp_server_session *ss);
/* Optional: at shutdown a session for which busy() says true (replies still
 * to come) gets its End only once busy() says false, or at the close timeout. */
void ntcp_server_set_busy(ntcp_server *s, bool (*busy)(void *ctx, ntcp_server_session *ss));
/* Optional: the requests a session has read that are not answered yet
 * (running, waiting for their turn, or their reply not yet sent). At the
 * bound the loop stops reading that session (TCP's flow control holds the
 * peer) until ntcp_server_session_flush finds it below again. */
void ntcp_server_set_backlog(ntcp_server *s, size_t (*backlog)(void *ctx, ntcp_server_session *ss));
/* Writes what was queued with ntcp_server_session_send outside a callback
 * (on the session's loop thread, e.g. from its wake function); the session may end
 * (its on_close runs) and must not be used after. */
void ntcp_server_session_flush(ntcp_server_session *ss);

/* Ends the session once the current callback returns (connection reset). */
void ntcp_server_session_abort(ntcp_server_session *ss);
/* Queues one message. Up to 256 KiB with nothing else waiting, it is
 * protected at once; a larger one is copied and leaves a part at a time as
 * the peer reads (ntcp_server_session_send_ref avoids the copy). */
NTCP_MUST_CHECK ntcp_status ntcp_server_session_send(ntcp_server_session *ss, const uint8_t *p, size_t n);
/* Queues one message the caller keeps: p stays valid until done(ctx, p, st)
 * is called on run()'s thread (exactly once when this returns NTCP_OK, never
 * otherwise), with NTCP_OK once its last part is protected and queued
 * (before this returns when the message is small and nothing waits), else
 * NTCP_E_CLOSED: the session ended first. With nothing waiting, its first
 * part is protected now; the next only while the session's output holds
 * less than 512 KiB, so a slow reader costs a bounded amount of memory. */
NTCP_MUST_CHECK ntcp_status ntcp_server_session_send_ref(ntcp_server_session *ss, const uint8_t *p, size_t n,
                                                         void (*done)(void *ctx, const uint8_t *p, ntcp_status st),
                                                         void *ctx);
const char *ntcp_server_session_via(const ntcp_server_session *ss);
const char *ntcp_server_session_peer(const ntcp_server_session *ss); /* "addr:port" */
/* The session's ntcp_nmf_mode (simplex and singleton-sized carry no replies). */
int ntcp_server_session_mode(const ntcp_server_session *ss);
/* Its content type: "application/soap+msbinsession1" (session dictionaries) or e.g. "application/soap+msbin1". */
const char *ntcp_server_session_content_type(const ntcp_server_session *ss);
/* The session's secured stream (NULL without one): ask it with ntcp_stream_query. */
const ntcp_stream *ntcp_server_session_stream(const ntcp_server_session *ss);
void *ntcp_server_session_get_user(const ntcp_server_session *ss);
void ntcp_server_session_set_user(ntcp_server_session *ss, void *user);

#ifdef __cplusplus
}
#endif
#endif
