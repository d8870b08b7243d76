/* libFuzzer: trace files as nettcp trace view|convert read them (JSON lines
 * or svclog fragments), each event written back in both formats. */
#include <stdio.h>
#include <stdlib.h>
#include "channel/trace_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void back(void *ctx, const ntcp_trace_ev *ev)
{
    FILE *f = ctx;
    ntcp__trace_json_write(f, ev);
    ntcp__svclog_write(f, ev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fopen("/dev/null", "w");
    if (!f)
        abort();
    char err[256];
    (void)ntcp__trace_read_mem((const char *)data, size, back, f, err, sizeof err);
    fclose(f);
    return 0;
}
