/* nettcp WWSAPI: the channel object, shared by channel.c and listener.c. */
#ifndef NETTCP_WWS_CHANNEL_H
#define NETTCP_WWS_CHANNEL_H

#include "wws_int.h"

/* WS_SECURITY_DESCRIPTION, read once: NegotiateStream or none */
struct wws_security {
    bool secure;
    ntcp_package package;
    ntcp_protection protection;
    bool require_server_auth;
    ntcp_impersonation impersonation;
    bool allow_anonymous;
    char *user, *password; /* WS_STRING_WINDOWS_INTEGRATED_AUTH_CREDENTIAL */
};
HRESULT ntcp__wws_security(const WS_SECURITY_DESCRIPTION *sd, bool listener, struct wws_security *out,
                           WS_ERROR *error);
void ntcp__wws_security_clear(struct wws_security *s);
void ntcp__wws_security_apply(const struct wws_security *s, ntcp_nns_options *nns);

struct wws_session;

struct _WS_CHANNEL {
    WS_CHANNEL_TYPE type;
    WS_CHANNEL_STATE state;
    struct wws_security sec;
    ULONG max_message;
    int open_timeout_ms, send_timeout_ms, receive_timeout_ms, close_timeout_ms;
    ntcp_client *client;          /* a client channel once open */
    WS_LISTENER *listener;        /* a listener's channel (WsCreateChannelForListener) */
    struct wws_session *session;  /* its accepted session */
    void *host_call;              /* a service host's operation context: replies go to its call */
};

HRESULT ntcp__wws_channel_new(WS_CHANNEL_TYPE type, const WS_CHANNEL_PROPERTY *properties, ULONG count,
                              WS_CHANNEL **channel, WS_ERROR *error);
/* One request/reply on an open client channel: requestMessage's action and
 * body go out, the reply fills replyMessage; a SOAP fault is
 * WS_E_ENDPOINT_FAULT_RECEIVED. */
HRESULT ntcp__wws_channel_call(WS_CHANNEL *channel, WS_MESSAGE *requestMessage, WS_MESSAGE *replyMessage,
                               WS_ERROR *error);
/* listener.c: the next request of the channel's session into m (S_OK), WS_S_END when the session ended
 * (optional: also when nothing waits), or a failure */
HRESULT ntcp__wws_listener_receive(WS_CHANNEL *ch, WS_MESSAGE *m, bool optional, WS_ERROR *error);
/* the reply m to the oldest request not answered yet */
HRESULT ntcp__wws_listener_send(WS_CHANNEL *ch, WS_MESSAGE *m, WS_ERROR *error);
void ntcp__wws_listener_close_channel(WS_CHANNEL *ch);
/* servicehost.c: the reply m to the call of the operation context ch->host_call */
HRESULT ntcp__wws_host_reply(WS_CHANNEL *ch, WS_MESSAGE *m, WS_ERROR *error);
/* servicehost.c, what a request does to an operation's parameter frame (for
 * the fuzz target): the body text read into a fresh frame (allocating from
 * heap), then the output wrapper written from it to out */
HRESULT ntcp__wws_host_frame(const WS_OPERATION_DESCRIPTION *op, const char *xml, size_t len, WS_HEAP *heap,
                             ntcp_buf *out, WS_ERROR *error);

#endif
