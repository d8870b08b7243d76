/* libFuzzer: the WS-MetadataExchange GetResponse reader (a peer's reply to
 * the metadata Get): sections, their documents, imports resolved among
 * them, then the WSDL reader. The fetcher fails the run: nothing a peer
 * wrote may be fetched. */
#include <stdlib.h>
#include <string.h>
#include <nettcp/util.h>
#include <nettcp/wsdl.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ntcp_status no_fetch(void *ctx, const char *url, size_t max, uint8_t **out, size_t *len, ntcp_error *err)
{
    (void)ctx, (void)url, (void)max, (void)out, (void)len, (void)err;
    abort(); /* a MEX reply's imports resolve inside it */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ntcp_wsdl_options o;
    ntcp_wsdl_options_init(&o);
    o.fetch = no_fetch;
    o.max_documents = 8;
    ntcp_wsdl *w = NULL;
    ntcp_error err;
    if (ntcp_wsdl_load_metadata(data, size, "net.tcp://h/mex", &o, &w, &err) == NTCP_OK) {
        for (size_t i = 0; i < ntcp_wsdl_endpoint_count(w); i++) {
            const ntcp_wsdl_endpoint *e = ntcp_wsdl_endpoint_at(w, i);
            if (e->address)
                (void)strlen(e->address);
        }
        for (size_t i = 0; i < ntcp_wsdl_operation_count(w); i++) {
            const ntcp_wsdl_operation *op = ntcp_wsdl_operation_at(w, i);
            for (size_t k = 0; k < op->input.nfields; k++)
                (void)strlen(op->input.fields[k].type);
        }
        ntcp_wsdl_free(w);
    } else if (w) {
        abort(); /* a failure leaves no result */
    }
    return 0;
}
