/* Holds one secured session open for tests/e2e/serve_daemon.sh: opens it
 * (Kerberos with the realm's user and password), then for each line "call"
 * on stdin makes one Echo call on the same session and prints "ok BODY" (on
 * one line) or "error STATUS"; closes it at end of input.
 * usage: hold_session URL SPN */
#include <stdio.h>
#include <string.h>
#include <nettcp/client.h>
#include "e2e.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: hold_session URL SPN\n");
        return 2;
    }
    ntcp_client_options o;
    ntcp_client_options_init(&o);
    char identity[256];
    snprintf(identity, sizeof identity, "spn:%s", argv[2]);
    o.nns.identity = identity;
    o.nns.user = env("NTCP_REALM_USER");
    o.nns.password = env("NTCP_REALM_PASSWORD");
    o.nns.package = NTCP_PACKAGE_KERBEROS;
    ntcp_client *c;
    ntcp_error err;
    if (ntcp_client_open(&c, argv[1], &o, &err) != NTCP_OK) {
        printf("error open: %s\n", ntcp_error_text(&err));
        return 1;
    }
    printf("open\n");
    fflush(stdout);
    char line[64];
    int n = 0;
    while (fgets(line, sizeof line, stdin)) {
        char body[128];
        snprintf(body, sizeof body, "<Echo xmlns=\"http://tempuri.org/\"><text>held %d</text></Echo>", ++n);
        ntcp_soap_msg reply;
        ntcp_status st = ntcp_client_call(c, "http://tempuri.org/IEcho/Echo", NULL, 0, body, strlen(body), &reply);
        if (st == NTCP_OK) {
            printf("ok "); /* the reply on one line */
            for (size_t i = 0; i < reply.body.len; i++)
                putchar(reply.body.data[i] == '\n' ? ' ' : reply.body.data[i]);
            putchar('\n');
        }
        else
            printf("error %s\n", ntcp_status_name(st));
        ntcp_soap_msg_clear(&reply);
        fflush(stdout);
    }
    return ntcp_client_close(c) == NTCP_OK ? 0 : 1;
}
