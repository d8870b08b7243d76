/* One krb5 context per thread for the library's own krb5 calls (private). */
#ifndef NTCP_NEGOTIATE_KRBCTX_H
#define NTCP_NEGOTIATE_KRBCTX_H

#include <krb5/krb5.h>

/* The calling thread's krb5 context, made at its first use and freed when
 * the thread exits; NULL when none can be made. Creating a context costs a
 * look at krb5.conf (access, stat) and a dozen profile reads, so the
 * ccache and keytab housekeeping around each connection shares this one.
 * A change of KRB5_CONFIG makes a new context, as a fresh one would read
 * the new file; MIT re-reads a changed krb5.conf by itself. Callers leave
 * it as they found it (no default realm, ccache name or time set), never
 * free it, and never hand it to another thread. */
krb5_context ntcp__krb5_thread_context(void);

/* Thread contexts alive in the process (tests). */
unsigned ntcp__krb5_thread_contexts(void);

#endif
