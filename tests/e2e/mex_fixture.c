/* A metadata exchange endpoint for tests/e2e/wsdl_mex.sh: answers the
 * WS-Transfer Get action at net.tcp://127.0.0.1:PORT/svc/mex with the
 * GetResponse body in FILE (text XML), prints "listening on URL" and serves
 * until killed. With "transport" it requires Windows transport security
 * (the keytab from KRB5_KTNAME), as a mex endpoint on a secured netTcpBinding.
 * usage: mex_fixture FILE [none|transport] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nettcp/service.h>
#include <nettcp/wsdl.h>

static char *reply;
static size_t reply_len;

static ntcp_status op_get(void *ctx, ntcp_call *call)
{
    (void)ctx;
    return ntcp_call_reply_text(call, reply, reply_len);
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: mex_fixture FILE [none|transport]\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f || fseek(f, 0, SEEK_END) || (reply_len = (size_t)ftell(f), fseek(f, 0, SEEK_SET)) ||
        !(reply = malloc(reply_len + 1)) || fread(reply, 1, reply_len, f) != reply_len) {
        fprintf(stderr, "mex_fixture: cannot read %s\n", argv[1]);
        return 1;
    }
    fclose(f);
    ntcp_service_options o;
    ntcp_service_options_init(&o);
    o.security = argc == 3 && !strcmp(argv[2], "transport") ? NTCP_SECURITY_TRANSPORT : NTCP_SECURITY_NONE;
    ntcp_service *svc;
    int port = 0;
    if (ntcp_service_new(&svc, &o) ||
        ntcp_service_add_operation(svc, NTCP_WSX_GET_ACTION, NTCP_WSX_GET_RESPONSE_ACTION, op_get, NULL) ||
        ntcp_service_listen(svc, "net.tcp://127.0.0.1:0/svc/mex", &port)) {
        fprintf(stderr, "mex_fixture: cannot listen: %s\n", ntcp_error_text(ntcp_service_error(svc)));
        return 1;
    }
    printf("listening on net.tcp://127.0.0.1:%d/svc/mex\n", port);
    fflush(stdout);
    ntcp_status st = ntcp_service_run(svc);
    ntcp_service_free(svc);
    free(reply);
    return st ? 1 : 0;
}
