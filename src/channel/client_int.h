/* What the doctor needs from a client open beyond the public API: a hook
 * between the service's acceptance of the upgrade and the handshake, and
 * the structured failure. */
#ifndef NETTCP_CLIENT_INT_H
#define NETTCP_CLIENT_INT_H

#include <nettcp/client.h>

typedef struct ntcp__client_hooks {
    /* called once the service accepted the security upgrade, before the
     * first handshake message; a non-OK status stops the open */
    ntcp_status (*before_handshake)(void *ctx);
    void *ctx;
    /* out, on failure: the step of the open, the security layer's error
     * (status 0 when the failure was elsewhere), and the cause id */
    ntcp_channel_step failed_step;
    ntcp_nns_error nns_error;
    ntcp_tls_error tls_error;     /* TLS: the failure (status 0 when none) */
    ntcp_tls_result tls_result;   /* TLS: what the handshake saw (the chain), success or not */
    bool tls;                     /* the channel ran TLS */
    char cause[48];
} ntcp__client_hooks;

NTCP_MUST_CHECK ntcp_status ntcp__client_open(ntcp_client **c, const char *url, const ntcp_client_options *o,
                                              ntcp__client_hooks *h, char *err, size_t cap);

#endif
