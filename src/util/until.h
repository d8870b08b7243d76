/* Work that may block on a peer the caller cannot interrupt (a KDC exchange
 * inside GSSAPI or krb5: MIT has no per-request timeout), run on a thread so
 * the caller keeps its deadline. */
#ifndef NTCP_UNTIL_H
#define NTCP_UNTIL_H
#include <stdbool.h>

/* Milliseconds of CLOCK_MONOTONIC, the clock of the deadlines below. */
long long ntcp__now_ms(void);

/* Runs work(arg) on a new thread and waits until it returns or deadline_ms
 * passes. True: it returned, and its results are in arg. False: the
 * deadline passed first; the thread goes on and calls abandon(arg) when
 * work returns: arg then belongs to it (the caller must not touch arg or
 * anything work uses). Without a thread, work runs here. */
bool ntcp__run_until(void (*work)(void *), void (*abandon)(void *), void *arg, long long deadline_ms);
/* For tests: helper threads waiting for a job. */
unsigned ntcp__run_until_idle_helpers(void);
#endif
