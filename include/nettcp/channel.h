/* nettcp — the client channel at the message level: open a net.tcp
 * connection (connect, preamble, optional stream upgrade, PreambleEnd/Ack),
 * exchange whole messages, close with the End handshake, or abort. The SOAP
 * layer builds requests on top of it. */
#ifndef NETTCP_CHANNEL_H
#define NETTCP_CHANNEL_H

#include <nettcp/error.h>
#include <nettcp/framing.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A parsed net.tcp URL: net.tcp://host[:port]/path (host may be [v6]). */
typedef struct ntcp_url {
    char host[256];
    char port[8];   /* "808" when absent */
    char path[2048];
} ntcp_url;
/* NTCP_E_INVALID_ARG with a reason in why (may be NULL) when the URL is not net.tcp. */
NTCP_MUST_CHECK ntcp_status ntcp_url_parse(const char *url, ntcp_url *out, const char **why);

/* The steps (ntcp_channel_step) are in error.h. */

typedef struct ntcp_channel_options {
    ntcp_nmf_mode mode;          /* duplex */
    int encoding;                /* binary session */
    int open_timeout_ms;         /* 60 s (WCF OpenTimeout): connect + preamble + handshake */
    int send_timeout_ms;         /* 60 s */
    int receive_timeout_ms;      /* 600 s for WCF sessions; a request waits this long for its reply */
    int close_timeout_ms;        /* 60 s */
    ntcp_framing_limits limits;  /* max_message = MaxReceivedMessageSize (65536) */
    /* the stream upgrade to run (NULL: none, SecurityMode.None) */
    const ntcp_stream *upgrade;
    ntcp_framing_record_cb record_cb; /* observer for traces */
    void *record_ctx;
    /* observer: called as open enters each step (resolve, connect, preamble,
     * handshake, preamble_ack) — for diagnostics and traces; may be NULL */
    void (*step_cb)(void *ctx, ntcp_channel_step step);
    void *step_ctx;
} ntcp_channel_options;
/* Duplex, binary session encoding, the timeouts above, the default framing
 * limits, no upgrade, no observers. */
void ntcp_channel_options_init(ntcp_channel_options *o);

typedef struct ntcp_channel ntcp_channel;

/* Opens the channel. On failure *ch is NULL and err (may be NULL) says
 * which step failed and why (cause: ntcp_failure_cause). Never sends application bytes before
 * the upgrade (when asked for) completed: a service that refuses the upgrade
 * fails the open. */
NTCP_MUST_CHECK ntcp_status ntcp_channel_open(ntcp_channel **ch, const char *url, const ntcp_channel_options *o,
                                              ntcp_error *err);
/* Sends one message; *reply (valid until the next call) gets the next
 * message from the service. */
NTCP_MUST_CHECK ntcp_status ntcp_channel_request(ntcp_channel *ch, const uint8_t *msg, size_t len,
                                                 const uint8_t **reply, size_t *reply_len);
NTCP_MUST_CHECK ntcp_status ntcp_channel_send(ntcp_channel *ch, const uint8_t *msg, size_t len);
NTCP_MUST_CHECK ntcp_status ntcp_channel_receive(ntcp_channel *ch, const uint8_t **msg, size_t *len);
/* End handshake and TCP close; the channel is freed either way. */
ntcp_status ntcp_channel_close(ntcp_channel *ch);
/* Reset the connection; frees the channel. */
void ntcp_channel_abort(ntcp_channel *ch);
/* The latest failure (status NTCP_OK when none). */
const ntcp_error *ntcp_channel_error(const ntcp_channel *ch);
/* The cause of a channel failure, from its status and the step of the
 * open it happened at: a service that aborts right after a preamble
 * without upgrade requires transport security (security_mode_mismatch),
 * as does its AccessDenied fault; otherwise ntcp_cause_of_status. */
ntcp_cause ntcp_failure_cause(ntcp_status st, ntcp_channel_step step, bool upgrade_requested);
ntcp_framing *ntcp_channel_framing(ntcp_channel *ch);

#ifdef __cplusplus
}
#endif
#endif
