/* A small HTTP/1.1 GET responder for metadata (?wsdl): a sans-I/O parser of
 * the request head (http_server.c, the fuzz target's entry) and a poll loop
 * on its own thread. Each answer closes its connection. */
#ifndef NETTCP_HTTP_SERVER_H
#define NETTCP_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <nettcp/error.h>
#include <nettcp/util.h>

#define NTCP__HTTP_MAX_HEADERS 64

typedef struct ntcp__http_req {
    char method[16];
    char path[1024];  /* percent-decoded, without the query */
    char query[256];  /* after '?', as sent */
    char authority[256]; /* the Host header as sent ("" for HTTP/1.0 without one) */
    char host[256];   /* the same without its port */
    int minor;        /* HTTP/1.minor */
    int status;       /* when parsing failed: the status to answer (400, 505) */
} ntcp__http_req;

/* Parses the request head at the start of data. NTCP_AGAIN: incomplete
 * (and shorter than max); NTCP_OK: *used bytes are the head; otherwise
 * NTCP_E_MALFORMED or NTCP_E_LIMIT with req->status set. A request with a
 * body (Content-Length other than 0, Transfer-Encoding) or a Host that is
 * not host[:port] is refused: 400. */
NTCP_MUST_CHECK ntcp_status ntcp__http_parse(const uint8_t *data, size_t len, size_t max, ntcp__http_req *req,
                                             size_t *used);

/* Answers one request: returns the status (200, 404) with the body and
 * its content type. Runs on the responder's thread. */
typedef int (*ntcp__http_handler)(void *ctx, const ntcp__http_req *req, ntcp_buf *body, const char **content_type);

typedef struct ntcp__http_server ntcp__http_server;

NTCP_MUST_CHECK ntcp_status ntcp__http_server_start(ntcp__http_server **out, const char *host, const char *port,
                                                    size_t max_head, size_t max_conns, long timeout_ms,
                                                    ntcp__http_handler fn, void *ctx, int *bound_port,
                                                    ntcp_error *err);
/* Stops the thread, closes every connection. */
void ntcp__http_server_free(ntcp__http_server *h);

#endif
