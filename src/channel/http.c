/* HTTP GET for CRL distribution points and OCSP responders (online
 * revocation), through libcurl: http:// only (as those URLs are), the whole
 * body up to out->max, 5 s for everything. */
#include <pthread.h>
#include <string.h>
#include <curl/curl.h>
#include <nettcp/tls.h>
#include "channel/http.h"

static size_t on_data(char *p, size_t size, size_t n, void *ctx)
{
    ntcp_buf *b = ctx;
    return ntcp_buf_append(b, p, size * n) ? 0 : size * n; /* 0: over the limit, libcurl stops */
}

static void global_init(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

ntcp_status ntcp__http_get(void *ctx, const char *url, ntcp_buf *out)
{
    (void)ctx;
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, global_init);
    if (strncmp(url, "http://", 7) != 0)
        return NTCP_E_UNSUPPORTED;
    CURL *c = curl_easy_init();
    if (!c)
        return NTCP_E_NOMEM;
    size_t start = out->len;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "nettcp");
    CURLcode rc = curl_easy_perform(c);
    curl_easy_cleanup(c);
    if (rc == CURLE_OK)
        return NTCP_OK;
    out->len = start;
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST: return NTCP_E_RESOLVE;
    case CURLE_COULDNT_CONNECT: return NTCP_E_CONNECTION_REFUSED;
    case CURLE_OPERATION_TIMEDOUT: return NTCP_E_TIMEOUT;
    case CURLE_HTTP_RETURNED_ERROR: return NTCP_E_ENDPOINT_NOT_FOUND;
    case CURLE_WRITE_ERROR: return NTCP_E_LIMIT;
    default: return NTCP_E_IO;
    }
}
