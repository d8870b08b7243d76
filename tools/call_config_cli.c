/* nettcp call --config: the error report (text or JSON), apart from the
 * reader so the fuzz target links the reader alone. */
#include <stdio.h>
#include "call_config.h"
#include "cli.h"

int call_config_report(const struct call_config *cfg, bool json, bool verbose)
{
    if (!cfg->loaded)
        return 0;
    if (cfg->err.status == NTCP_OK) {
        if (verbose)
            fprintf(stderr, "config: endpoint \"%s\" of %s: address %s, contract %s, identity %s (options given on "
                            "the command line override these)\n",
                    cfg->name, cfg->path, cfg->address, cfg->contract[0] ? cfg->contract : "-",
                    cfg->identity ? cfg->identity : "none (host/<host of the address>)");
        return 0;
    }
    if (json)
        cli_json_print(json_pack("{s:b,s:s,s:s,s:o,s:o,s:o}", "ok", 0, "status", ntcp_status_name(cfg->err.status),
                                 "step", "config", "cause", cli_json_str(ntcp_error_id(&cfg->err)), "error",
                                 cli_json_str(ntcp_error_text(&cfg->err)), "advice",
                                 cli_json_str(ntcp_error_advice(&cfg->err))));
    else
        cli_print_error("call", &cfg->err);
    return 1;
}

