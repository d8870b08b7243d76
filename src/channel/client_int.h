/* What the doctor needs from a client open beyond the public API: a hook
 * between the service's acceptance of the upgrade and the handshake. */
#ifndef NETTCP_CLIENT_INT_H
#define NETTCP_CLIENT_INT_H

#include <nettcp/client.h>

typedef struct ntcp__client_hooks {
    /* called once the service accepted the security upgrade, before the
     * first handshake message; a non-OK status stops the open */
    ntcp_status (*before_handshake)(void *ctx);
    void *ctx;
    /* out, TLS: what the handshake saw (the chain), and the failure */
    ntcp_tls_result tls_result;
    ntcp_tls_error tls_error;
} ntcp__client_hooks;

NTCP_MUST_CHECK ntcp_status ntcp__client_open(ntcp_client **c, const char *url, const ntcp_client_options *o,
                                              ntcp__client_hooks *h, ntcp_error *err);

#endif
