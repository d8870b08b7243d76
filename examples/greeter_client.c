/* A net.tcp client on the nettcp library, for greeter_service.c:
 * Greet with a mustUnderstand Tenant header, the reply read through a
 * reader, a fault's code, reason and detail, and Later.
 *
 * usage: greeter_client net.tcp://127.0.0.1:PORT/greeter NAME */
#include <stdio.h>
#include <string.h>
#include <nettcp/client.h>

#define NS "urn:example:greeter"

/* The text of the first element named `local` in the reply body. */
static void print_result(ntcp_client *c, const char *label, const char *local)
{
    ntcp_xml_reader *r = ntcp_client_reply_body(c);
    ntcp_xml_node n;
    while (r && ntcp_xml_reader_next(r, &n) == NTCP_OK && n.type != NTCP_XML_NODE_EOF) {
        if (n.type == NTCP_XML_NODE_START && n.name.local.len == strlen(local) &&
            !memcmp(n.name.local.p, local, n.name.local.len)) {
            ntcp_buf t;
            ntcp_buf_init(&t, 1 << 16);
            if (ntcp_xml_reader_element_text(r, &t) == NTCP_OK)
                printf("%s: %.*s\n", label, (int)t.len, t.data ? (const char *)t.data : "");
            ntcp_buf_free(&t);
            return;
        }
    }
    printf("%s: no %s in the reply\n", label, local);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s net.tcp://HOST:PORT/PATH NAME\n", argv[0]);
        return 2;
    }
    ntcp_client_options o;
    ntcp_client_options_init(&o);
    o.security = NTCP_SECURITY_NONE;
    ntcp_client *c;
    ntcp_error err;
    if (ntcp_client_open(&c, argv[1], &o, &err)) {
        char text[4096];
        ntcp_error_format(&err, text, sizeof text); /* the explanation, the cause id and its advice */
        fprintf(stderr, "%s\n", text);
        return 1;
    }
    int rc = 0;
    /* Greet, with a header the service must understand (it does) */
    ntcp_header tenant = { "<t:Tenant xmlns:t=\"" NS "\">contoso</t:Tenant>", true };
    char body[512];
    snprintf(body, sizeof body, "<Greet xmlns=\"" NS "\"><name>%s</name></Greet>", argv[2]); /* a plain name */
    ntcp_soap_msg reply;
    ntcp_status st = ntcp_client_call(c, NS "/IGreeter/Greet", &tenant, 1, body, strlen(body), &reply);
    if (st == NTCP_OK) {
        print_result(c, "Greet", "GreetResult");
        for (size_t i = 0; i < reply.nheaders; i++)
            if (reply.headers[i].ns.len == strlen(NS) && !memcmp(reply.headers[i].ns.p, NS, strlen(NS)))
                printf("reply header: {%s}%.*s\n", NS, (int)reply.headers[i].local.len, reply.headers[i].local.p);
    } else {
        fprintf(stderr, "Greet: %s; cause: %s\n", ntcp_error_text(ntcp_client_error(c)),
                ntcp_error_id(ntcp_client_error(c)));
        rc = 1;
    }
    ntcp_soap_msg_clear(&reply);
    /* a fault: code, subcodes, reason, detail */
    static const char empty[] = "<Greet xmlns=\"" NS "\"><name/></Greet>";
    st = ntcp_client_call(c, NS "/IGreeter/Greet", NULL, 0, empty, strlen(empty), &reply);
    if (st == NTCP_E_FAULT)
        printf("fault: %s: %s; detail %.*s\n", reply.fault_code, reply.fault_reason, (int)reply.fault_detail.len,
               reply.fault_detail.data ? (const char *)reply.fault_detail.data : "");
    else
        rc = 1;
    ntcp_soap_msg_clear(&reply);
    /* Later: the service answers from another thread */
    static const char later[] = "<Later xmlns=\"" NS "\"><ms>100</ms></Later>";
    st = ntcp_client_call(c, NS "/IGreeter/Later", NULL, 0, later, strlen(later), &reply);
    if (st == NTCP_OK)
        print_result(c, "Later", "LaterResult");
    else
        rc = 1;
    ntcp_soap_msg_clear(&reply);
    if (ntcp_client_close(c))
        rc = 1;
    return rc;
}
