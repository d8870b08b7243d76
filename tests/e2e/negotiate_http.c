/* An HTTP server that answers GET with one file only after an HTTP
 * Negotiate (SPNEGO/Kerberos) authentication, accepted through GSSAPI with
 * the keytab in KRB5_KTNAME; for wsdl_negotiate.sh.
 * usage: negotiate_http FILE — prints "listening PORT" (127.0.0.1, an
 * ephemeral port), then "authenticated NAME" or "refused" per request. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <gssapi/gssapi.h>
#include <openssl/evp.h>

static void reply(int fd, const char *status, const char *extra, const char *body, size_t blen)
{
    char head[2048];
    int n = snprintf(head, sizeof head, "HTTP/1.1 %s\r\n%sContent-Length: %zu\r\nConnection: close\r\n\r\n", status,
                     extra, blen);
    if (write(fd, head, (size_t)n) < 0 || (blen && write(fd, body, blen) < 0))
        perror("write");
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    FILE *f = fopen(argv[1], "rb");
    if (!f)
        return 1;
    static char file[1 << 20];
    size_t flen = fread(file, 1, sizeof file, f);
    fclose(f);
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t al = sizeof a;
    if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 8) ||
        getsockname(ls, (struct sockaddr *)&a, &al))
        return 1;
    printf("listening %d\n", ntohs(a.sin_port));
    fflush(stdout);
    for (;;) {
        int fd = accept(ls, NULL, NULL);
        if (fd < 0)
            continue;
        static char req[16384];
        size_t len = 0;
        while (len < sizeof req - 1) {
            ssize_t r = read(fd, req + len, sizeof req - 1 - len);
            if (r <= 0)
                break;
            len += (size_t)r;
            req[len] = 0;
            if (strstr(req, "\r\n\r\n"))
                break;
        }
        req[len] = 0;
        const char *auth = strcasestr(req, "\r\nAuthorization: Negotiate ");
        if (!auth) {
            reply(fd, "401 Unauthorized", "WWW-Authenticate: Negotiate\r\n", "", 0);
            close(fd);
            continue;
        }
        auth += strlen("\r\nAuthorization: Negotiate ");
        size_t b64 = strcspn(auth, "\r\n");
        static unsigned char tok[12288];
        int tlen = b64 < sizeof tok * 3 / 4 ? EVP_DecodeBlock(tok, (const unsigned char *)auth, (int)b64) : -1;
        while (tlen > 0 && b64 && auth[b64 - 1] == '=') { /* EVP_DecodeBlock counts the padding */
            tlen--;
            b64--;
        }
        OM_uint32 minor, major = GSS_S_FAILURE;
        gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
        gss_name_t src = GSS_C_NO_NAME;
        gss_buffer_desc in = { (size_t)(tlen > 0 ? tlen : 0), tok }, out = { 0, NULL }, name = { 0, NULL };
        if (tlen > 0)
            major = gss_accept_sec_context(&minor, &ctx, GSS_C_NO_CREDENTIAL, &in, GSS_C_NO_CHANNEL_BINDINGS, &src,
                                           NULL, &out, NULL, NULL, NULL);
        if (major == GSS_S_COMPLETE && gss_display_name(&minor, src, &name, NULL) == GSS_S_COMPLETE) {
            printf("authenticated %.*s\n", (int)name.length, (const char *)name.value);
            char extra[8192] = "";
            if (out.length && out.length < 4096) {
                char enc[6000];
                EVP_EncodeBlock((unsigned char *)enc, out.value, (int)out.length);
                snprintf(extra, sizeof extra, "WWW-Authenticate: Negotiate %s\r\n", enc);
            }
            reply(fd, "200 OK", extra, file, flen);
        } else {
            printf("refused\n");
            reply(fd, "401 Unauthorized", "WWW-Authenticate: Negotiate\r\n", "", 0);
        }
        fflush(stdout);
        gss_release_buffer(&minor, &out);
        gss_release_buffer(&minor, &name);
        gss_release_name(&minor, &src);
        gss_delete_sec_context(&minor, &ctx, GSS_C_NO_BUFFER);
        close(fd);
    }
}
