/* A minimal libnettcp client: calls the calculator's Add on a net.tcp
 * service and prints the reply body. Built against an installed libnettcp:
 *   cc example_client.c -o example_client $(pkg-config --cflags --libs nettcp)
 *   ./example_client net.tcp://host:8080/calc [none]
 * ("none": SecurityMode.None; otherwise Windows transport security with the
 * Kerberos tickets of kinit and the service's SPN host/<host>). */
#include <stdio.h>
#include <string.h>
#include <nettcp/nettcp.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: example_client URL [none]\n");
        return 2;
    }
    ntcp_client_options o;
    ntcp_client_options_init(&o);
    if (argc > 2 && !strcmp(argv[2], "none"))
        o.security = NTCP_SECURITY_NONE;
    ntcp_error err;
    ntcp_client *c;
    if (ntcp_client_open(&c, argv[1], &o, &err) != NTCP_OK) {
        char text[4096];
        ntcp_error_format(&err, text, sizeof text); /* the explanation, the cause id and its advice */
        fprintf(stderr, "%s\n", text);
        return 1;
    }
    const char body[] = "<Add xmlns=\"http://Microsoft.ServiceModel.Samples\"><n1>2</n1><n2>3</n2></Add>";
    ntcp_soap_msg reply;
    ntcp_status st = ntcp_client_call(c, "http://Microsoft.ServiceModel.Samples/ICalculator/Add", NULL, 0, body,
                                      sizeof body - 1, &reply);
    if (st == NTCP_OK)
        printf("%.*s\n", (int)reply.body.len, (const char *)reply.body.data);
    else
        fprintf(stderr, "%s: %s\n", ntcp_status_name(st), ntcp_status_str(st));
    ntcp_soap_msg_clear(&reply);
    if (ntcp_client_close(c) != NTCP_OK)
        st = NTCP_E_STATE;
    return st == NTCP_OK ? 0 : 1;
}
