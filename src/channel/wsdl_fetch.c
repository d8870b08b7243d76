/* The WSDL loader's default fetcher: files, and http(s) through libcurl
 * (Negotiate with the default Kerberos credentials; no other schemes, not
 * even after a redirect). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <curl/curl.h>
#include <nettcp/util.h>
#include <nettcp/wsdl.h>

#ifndef NETTCP_VERSION /* the fuzz build does not set it */
#define NETTCP_VERSION "0"
#endif

struct sink {
    ntcp_buf b;
    int over;
};

static size_t on_data(char *p, size_t size, size_t n, void *ctx)
{
    struct sink *s = ctx;
    if (ntcp_buf_append(&s->b, p, size * n)) {
        s->over = 1;
        return 0; /* aborts the transfer */
    }
    return size * n;
}

static ntcp_status fetch_http(const ntcp_wsdl_options *o, const char *url, size_t max, uint8_t **data, size_t *len,
                              ntcp_error *err)
{
    static int inited;
    if (!inited) { /* not thread-safe before libcurl 7.84; the CLI loads from one thread */
        curl_global_init(CURL_GLOBAL_DEFAULT);
        inited = 1;
    }
    CURL *c = curl_easy_init();
    if (!c)
        return ntcp_error_set(err, NTCP_E_NOMEM, NTCP_CAUSE_OUT_OF_MEMORY, NTCP_STEP_RECEIVE, "libcurl: no handle");
    struct sink s = { 0 };
    ntcp_buf_init(&s.b, max);
    char cerr[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, o && o->timeout_ms > 0 ? o->timeout_ms : 30000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "nettcp/" NETTCP_VERSION);
    if (!o || o->negotiate) {
        /* SPNEGO with the credential cache; an empty user tells libcurl to use it */
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_NEGOTIATE);
        curl_easy_setopt(c, CURLOPT_USERPWD, ":");
    }
    CURLcode rc = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    ntcp_status st = NTCP_OK;
    if (s.over || rc == CURLE_FILESIZE_EXCEEDED) {
        st = ntcp_error_set(err, NTCP_E_LIMIT, NTCP_CAUSE_WSDL_LIMIT, NTCP_STEP_RECEIVE, "larger than %zu bytes", max);
    } else if (rc != CURLE_OK) {
        st = rc == CURLE_OPERATION_TIMEDOUT ? NTCP_E_TIMEOUT
             : rc == CURLE_COULDNT_RESOLVE_HOST ? NTCP_E_RESOLVE
             : rc == CURLE_COULDNT_CONNECT ? NTCP_E_CONNECTION_REFUSED
                                           : NTCP_E_IO;
        ntcp_error_set(err, st, NTCP_CAUSE_WSDL_UNREACHABLE,
                       st == NTCP_E_RESOLVE ? NTCP_STEP_RESOLVE
                       : st == NTCP_E_CONNECTION_REFUSED ? NTCP_STEP_CONNECT
                                                         : NTCP_STEP_RECEIVE,
                       "%s", cerr[0] ? cerr : curl_easy_strerror(rc));
    } else if (code != 200) {
        st = code == 401 || code == 403 ? NTCP_E_ACCESS_DENIED : NTCP_E_IO;
        ntcp_error_set(err, st, NTCP_CAUSE_WSDL_UNREACHABLE, NTCP_STEP_RECEIVE, "HTTP %ld%s", code,
                       code == 401 ? " (Negotiate authentication failed or no Kerberos ticket for HTTP/host)" : "");
    }
    if (st) {
        ntcp_buf_free(&s.b);
        return st;
    }
    *data = ntcp_buf_detach(&s.b, len);
    if (!*data) { /* an empty body */
        *data = ntcp_malloc(1);
        *len = 0;
        if (!*data)
            return ntcp_error_set(err, NTCP_E_NOMEM, NTCP_CAUSE_OUT_OF_MEMORY, NTCP_STEP_RECEIVE, "out of memory");
    }
    return NTCP_OK;
}

static ntcp_status fetch_file(const char *path, size_t max, uint8_t **data, size_t *len, ntcp_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return ntcp_error_set(err, NTCP_E_IO, NTCP_CAUSE_WSDL_UNREACHABLE, NTCP_STEP_RECEIVE, "%s", strerror(errno));
    ntcp_buf b;
    ntcp_buf_init(&b, max);
    char chunk[65536];
    size_t n;
    ntcp_status st = NTCP_OK;
    while (!st && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        st = ntcp_buf_append(&b, chunk, n);
    if (!st && ferror(f))
        ntcp_error_set(err, st = NTCP_E_IO, NTCP_CAUSE_WSDL_UNREACHABLE, NTCP_STEP_RECEIVE, "%s", strerror(errno));
    else if (st == NTCP_E_LIMIT)
        ntcp_error_set(err, st, NTCP_CAUSE_WSDL_LIMIT, NTCP_STEP_RECEIVE, "larger than %zu bytes", max);
    else if (st)
        ntcp_error_set(err, st, ntcp_cause_of_status(st), NTCP_STEP_RECEIVE, "%s", ntcp_status_str(st));
    fclose(f);
    if (st) {
        ntcp_buf_free(&b);
        return st;
    }
    *data = ntcp_buf_detach(&b, len);
    if (!*data) {
        *data = ntcp_malloc(1);
        *len = 0;
        if (!*data)
            return ntcp_error_set(err, NTCP_E_NOMEM, NTCP_CAUSE_OUT_OF_MEMORY, NTCP_STEP_RECEIVE, "out of memory");
    }
    return NTCP_OK;
}

/* %XX in a file: URL's path */
static void unescape(const char *in, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; in[i] && o + 1 < cap; i++) {
        unsigned v;
        if (in[i] == '%' && sscanf(in + i + 1, "%2x", &v) == 1 && v) {
            out[o++] = (char)v;
            i += 2;
        } else {
            out[o++] = in[i];
        }
    }
    out[o] = 0;
}

ntcp_status ntcp_wsdl_fetch_default(void *ctx, const char *url, size_t max, uint8_t **data, size_t *len,
                                    ntcp_error *err)
{
    if (!strncmp(url, "http://", 7) || !strncmp(url, "https://", 8))
        return fetch_http(ctx, url, max, data, len, err);
    if (!strncmp(url, "file://", 7)) {
        char path[4096];
        const char *p = url + 7;
        if (!strncmp(p, "localhost/", 10))
            p += 9;
        if (*p != '/')
            return ntcp_error_set(err, NTCP_E_UNSUPPORTED, NTCP_CAUSE_WSDL_UNREACHABLE, NTCP_STEP_RECEIVE,
                                  "only local file: URLs are read");
        unescape(p, path, sizeof path);
        return fetch_file(path, max, data, len, err);
    }
    if (strstr(url, "://"))
        return ntcp_error_set(err, NTCP_E_UNSUPPORTED, NTCP_CAUSE_WSDL_UNREACHABLE, NTCP_STEP_RECEIVE,
                              "only files and http(s) URLs are read");
    return fetch_file(url, max, data, len, err);
}
