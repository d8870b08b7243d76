/* nettcp call --repeat/--parallel: many calls, timed (call_load.c). */
#ifndef NTCP_CALL_LOAD_H
#define NTCP_CALL_LOAD_H
#include <stdbool.h>
#include <nettcp/client.h>
#include <nettcp/trace.h>
#include "cli.h"

struct cli_load_args {
    const char *url, *action, *body;
    size_t body_len;
    const ntcp_header *headers;
    size_t nheaders;
    const ntcp_client_options *options;
    long repeat;        /* calls in all */
    int parallel;       /* threads */
    int sessions;       /* channels they share (1..parallel) */
    bool json;
    ntcp_trace *trace;  /* may be NULL */
    void (*json_error)(const ntcp_error *e, const char *step);
};

/* Opens the sessions, runs the calls, prints the figures; the exit status
 * (0 no failure, 1 otherwise). */
int cli_call_load(const struct cli_load_args *a);

#endif
