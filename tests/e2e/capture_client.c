/* For the capture tests: one channel, several echo requests in one session
 * (so the binary session dictionary is reused), each request text and reply
 * printed as "c>s TEXT" / "s>c TEXT" lines for comparison with what
 * `nettcp decode` finds in a capture.
 * usage: capture_client URL none|negotiate|kerberos|ntlm none|sign|encrypt COUNT
 * (with transport security the user comes from CAPTURE_USER, the password from
 * NETTCP_PASSWORD; NTLM and None run without server authentication).
 * CAPTURE_BIG=N: the second message's text grows by N 'x' characters, so it
 * spans several NegotiateStream frames and TCP segments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nettcp/client.h>
#include <nettcp/soap.h>

int main(int argc, char **argv)
{
    if (argc != 5)
        return 2;
    setvbuf(stdout, NULL, _IOLBF, 0); /* each line out even if the process dies at exit */
    ntcp_client_options o;
    ntcp_client_options_init(&o);
    if (!strcmp(argv[2], "none")) {
        o.security = NTCP_SECURITY_NONE;
    } else {
        o.nns.package = !strcmp(argv[2], "kerberos") ? NTCP_PACKAGE_KERBEROS
                        : !strcmp(argv[2], "ntlm")   ? NTCP_PACKAGE_NTLM
                                                     : NTCP_PACKAGE_NEGOTIATE;
        o.nns.protection = !strcmp(argv[3], "none")   ? NTCP_PROTECTION_NONE
                           : !strcmp(argv[3], "sign") ? NTCP_PROTECTION_SIGN
                                                      : NTCP_PROTECTION_ENCRYPT_AND_SIGN;
        o.nns.identity = "spn:host/svc.nettcp.test";
        o.nns.user = getenv("CAPTURE_USER");
        o.nns.password = getenv("NETTCP_PASSWORD");
        if (o.nns.package == NTCP_PACKAGE_NTLM || o.nns.protection == NTCP_PROTECTION_NONE || getenv("CAPTURE_NO_SERVER_AUTH"))
            o.nns.require_server_auth = false;
    }
    o.channel.limits.max_message = 64u << 20;
    o.xml.max_size = 64u << 20;
    o.xml.max_string_len = 64u << 20;
    size_t big = getenv("CAPTURE_BIG") ? (size_t)atol(getenv("CAPTURE_BIG")) : 0;
    ntcp_client *c;
    ntcp_error err;
    if (ntcp_client_open(&c, argv[1], &o, &err)) {
        fprintf(stderr, "open: %s; cause: %s\n", ntcp_error_text(&err), ntcp_error_id(&err));
        return 1;
    }
    int n = atoi(argv[4]), rc = 0;
    for (int i = 1; i <= n && !rc; i++) {
        size_t extra = i == 2 ? big : 0;
        char *body = malloc(256 + extra), *x = malloc(extra + 1);
        if (!body || !x)
            return 1;
        memset(x, 'x', extra);
        x[extra] = 0;
        snprintf(body, 256 + extra, "<Echo xmlns=\"http://tempuri.org/\"><text>captured message %d%s</text></Echo>", i, x);
        free(x);
        ntcp_soap_msg reply;
        if (ntcp_client_call(c, "http://tempuri.org/IEcho/Echo", NULL, 0, body, strlen(body), &reply)) {
            fprintf(stderr, "call %d: %s; cause: %s\n", i, ntcp_error_text(ntcp_client_error(c)),
                    ntcp_error_id(ntcp_client_error(c)));
            free(body);
            rc = 1;
            break;
        }
        printf("c>s %s\ns>c ", body);
        for (size_t k = 0; k < reply.body.len; k++)
            if (reply.body.data[k] != '\n')
                putchar(reply.body.data[k]);
        putchar('\n');
        free(body);
        ntcp_soap_msg_clear(&reply);
    }
    if (ntcp_client_close(c) && !rc)
        rc = 1;
    return rc;
}
