/* libFuzzer: the WCF client configuration reader of `nettcp call --config`
 * (tools/call_config.c): any file a user is handed, endpoint "calc" or the
 * only one. Whatever it says, the result is a named error or options. */
#include <stdlib.h>
#include <string.h>
#include <nettcp/client.h>
#include "call_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int pass = 0; pass < 2; pass++) {
        ntcp_client_options o;
        ntcp_client_options_init(&o);
        struct call_config cfg;
        memset(&cfg, 0, sizeof cfg);
        ntcp_error err;
        ntcp_status st = call_config_load_memory((const char *)data, size, "app.config", pass ? "calc" : NULL, &o,
                                                 &cfg, &err);
        if (st != NTCP_OK && (err.status == NTCP_OK || !strncmp(ntcp_error_id(&err), "none", 4)))
            abort(); /* every failure is named */
        if (st == NTCP_OK && !cfg.address)
            abort();
        call_config_free(&cfg);
    }
    return 0;
}
