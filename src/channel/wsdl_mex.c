/* WS-MetadataExchange Get over net.tcp (WCF's mexTcpBinding): one request on
 * a client session, the GetResponse body handed to ntcp_wsdl_load_metadata. */
#include <stdio.h>
#include <string.h>
#include <nettcp/client.h>
#include <nettcp/wsdl.h>

ntcp_status ntcp_wsdl_load_mex(const char *url, const ntcp_client_options *client, const ntcp_wsdl_options *o,
                               ntcp_wsdl **out, ntcp_error *err)
{
    ntcp_error_clear(err);
    if (!url || !out)
        return ntcp_error_set(err, NTCP_E_INVALID_ARG, NTCP_CAUSE_INVALID_ARGUMENT, NTCP_STEP_OPTIONS,
                              "ntcp_wsdl_load_mex: no URL or no result pointer");
    *out = NULL;
    ntcp_wsdl_options wo;
    if (o)
        wo = *o;
    else
        ntcp_wsdl_options_init(&wo);
    ntcp_client_options co;
    if (client) {
        co = *client;
    } else {
        /* MetadataExchangeBindings.CreateMexTcpBinding: TcpTransport, binary encoding, no security */
        ntcp_client_options_init(&co);
        co.security = NTCP_SECURITY_NONE;
        if (wo.timeout_ms > 0)
            co.channel.open_timeout_ms = co.channel.send_timeout_ms = co.channel.receive_timeout_ms =
                co.channel.close_timeout_ms = wo.timeout_ms > 0x7fffffff ? 0x7fffffff : (int)wo.timeout_ms;
    }
    /* metadata is larger than application messages: the loader's own limits bound it */
    uint32_t max = wo.max_total > 0x7fffffffu ? 0x7fffffffu : (uint32_t)wo.max_total;
    co.channel.limits.max_message = max;
    co.xml.max_size = max;
    co.xml.max_string_len = wo.max_bytes > max ? max : (uint32_t)wo.max_bytes;
    if (co.xml.max_depth < 256)
        co.xml.max_depth = 256; /* WSDL nests deeper than WCF's 32 inside the envelope */
    ntcp_client *cl = NULL;
    ntcp_status st = ntcp_client_open(&cl, url, &co, err);
    if (st)
        return st;
    ntcp_soap_msg reply;
    st = ntcp_client_call(cl, NTCP_WSX_GET_ACTION, NULL, 0, NULL, 0, &reply);
    if (st == NTCP_E_FAULT) {
        char code[200] = "";
        if (reply.fault_code)
            snprintf(code, sizeof code, " (%s)", reply.fault_code);
        ntcp_error_set(err, st, NTCP_CAUSE_MEX_BAD_REPLY, NTCP_STEP_RECEIVE,
                       "%s: the service answered the metadata Get with a SOAP fault: %s%s", url,
                       reply.fault_reason ? reply.fault_reason : "", code);
    } else if (st) {
        if (err)
            *err = *ntcp_client_error(cl);
    } else if (!reply.action || strcmp(reply.action, NTCP_WSX_GET_RESPONSE_ACTION)) {
        st = ntcp_error_set(err, NTCP_E_MALFORMED, NTCP_CAUSE_MEX_BAD_REPLY, NTCP_STEP_RECEIVE,
                            "%s: the reply's Action is %s, not " NTCP_WSX_GET_RESPONSE_ACTION, url,
                            reply.action ? reply.action : "missing");
    } else {
        st = ntcp_wsdl_load_metadata(reply.body.data, reply.body.len, url, &wo, out, err);
    }
    ntcp_soap_msg_clear(&reply);
    ntcp_status cst = ntcp_client_close(cl);
    (void)cst; /* the metadata is read; a close that fails changes nothing in it */
    return st;
}
