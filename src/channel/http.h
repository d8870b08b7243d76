/* HTTP GET (libcurl) for CRL distribution points and OCSP responders: the TLS layer's fetch callback. */
#ifndef NETTCP_HTTP_H
#define NETTCP_HTTP_H
#include <nettcp/util.h>
#include <nettcp/status.h>
ntcp_status ntcp__http_get(void *ctx, const char *url, ntcp_buf *out);
#endif
