/* libFuzzer: the metadata responder's HTTP request head parser, fed whole
 * and with the limit the first byte picks; a parsed query then selects a
 * document of a small exported service, as the responder does. */
#include <stdlib.h>
#include <string.h>
#include <nettcp/util.h>
#include "channel/http_server.h"
#include "wsdl/export.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const ntcp_param in[] = { { "a", "int", true }, { "b", "guid", false } };
static const ntcp_param out[] = { { "R", "string", false } };
static const ntcp_operation_info ops[] = { { "Op", NULL, NULL, false, in, 2, out, 1, NULL, NULL, NULL, NULL, 0 },
                                           { "Ow", "urn:ow", NULL, true, NULL, 0, NULL, 0, NULL, NULL, NULL } };
static const ntcp_contract_info contract = { "IC", "urn:c", ops, 2 };
static const ntcp_contract_info *const contracts[] = { &contract };

static void check_str(const char *s, size_t cap)
{
    if (!memchr(s, 0, cap))
        abort(); /* every field is terminated */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ntcp__http_req r;
    size_t used;
    size_t max = size ? 16 + (size_t)data[0] * 32 : 8192;
    for (int pass = 0; pass < 2; pass++) {
        ntcp_status st = ntcp__http_parse(data, size, pass ? max : 8192, &r, &used);
        check_str(r.method, sizeof r.method);
        check_str(r.path, sizeof r.path);
        check_str(r.query, sizeof r.query);
        check_str(r.host, sizeof r.host);
        check_str(r.authority, sizeof r.authority);
        if (st == NTCP_OK && (used > size || used == 0))
            abort();
        if (st != NTCP_OK && st != NTCP_AGAIN && r.status != 400 && r.status != 505)
            abort();
        if (st != NTCP_OK || pass)
            continue;
        ntcp__xport port = { "net.tcp://h:1/p", &contract, NTCP__XSEC_WINDOWS, "Sign", "Spn", "host/h" };
        ntcp__xservice svc = { "S", "http://tempuri.org/", &port, 1, contracts, 1 };
        ntcp_buf b;
        ntcp_buf_init(&b, 1 << 20);
        ntcp_status xs = ntcp__wsdl_export(&svc, r.query, "http://h:1/p", &b);
        if (xs && xs != NTCP_E_INVALID_ARG && xs != NTCP_E_NOMEM)
            abort();
        ntcp_buf_free(&b);
    }
    return 0;
}
