/* libFuzzer: the WSDL/XSD loader and the endpoint/operation reader on one
 * document; every import it names is answered with the same bytes (so
 * imports, loops and limits are reached without any I/O). */
#include <string.h>
#include <nettcp/util.h>
#include <nettcp/wsdl.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
    const uint8_t *p;
    size_t n;
};

static ntcp_status echo_fetch(void *ctx, const char *url, size_t max, uint8_t **out, size_t *len, ntcp_error *err)
{
    const struct input *in = ctx;
    if (strstr(url, "missing"))
        return ntcp_error_set(err, NTCP_E_IO, NTCP_CAUSE_WSDL_UNREACHABLE, NTCP_STEP_RECEIVE, "HTTP 404");
    if (in->n > max)
        return NTCP_E_LIMIT;
    *out = ntcp_malloc(in->n ? in->n : 1);
    if (!*out)
        return NTCP_E_NOMEM;
    if (in->n)
        memcpy(*out, in->p, in->n);
    *len = in->n;
    return NTCP_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct input in = { data, size };
    ntcp_wsdl_options o;
    ntcp_wsdl_options_init(&o);
    o.fetch = echo_fetch;
    o.fetch_ctx = &in;
    o.max_documents = 8;
    ntcp_wsdl *w = NULL;
    ntcp_error err;
    if (ntcp_wsdl_load_memory(data, size, "http://h/s?wsdl", &o, &w, &err) == NTCP_OK) {
        for (size_t i = 0; i < ntcp_wsdl_endpoint_count(w); i++) {
            const ntcp_wsdl_endpoint *e = ntcp_wsdl_endpoint_at(w, i);
            if (e->identity_value)
                (void)strlen(e->identity_value);
        }
        for (size_t i = 0; i < ntcp_wsdl_operation_count(w); i++) {
            const ntcp_wsdl_operation *op = ntcp_wsdl_operation_at(w, i);
            for (size_t k = 0; k < op->input.nfields; k++)
                (void)strlen(op->input.fields[k].type);
        }
        ntcp_wsdl_free(w);
    }
    return 0;
}
