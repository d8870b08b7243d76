/* nettcp WWSAPI: listeners. A listener is nettcp's server engine (server.h)
 * on its own thread; each accepted net.tcp session is a channel. The
 * engine's thread parses each message (with the session's dictionaries) and
 * queues it; the application's thread takes it (WsReceiveMessage), encodes
 * its reply and hands the bytes back to the engine's thread to send. */
#include "wws_channel.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <nettcp/server.h>
#include <nettcp/wws/nettcp_wws.h>
#include "channel/dialog.h"
#include "channel/keytab.h"

struct wws_in {
    struct wws_in *next;
    ntcp_soap_msg msg;
};

struct wws_out {
    struct wws_out *next;
    ntcp_buf bytes; /* empty: abort the session */
};

struct wws_session {
    struct wws_session *next;        /* every session of the listener */
    struct wws_session *next_accept; /* the accept queue */
    WS_LISTENER *l;
    ntcp_server_session *ss;         /* NULL once the engine ended it */
    ntcp__dialog d;
    bool sessionful;                 /* binary session encoding: string tables */
    struct wws_in *in_head, *in_tail;
    struct wws_out *out_head, *out_tail;
    bool accepted, released, ended;
    ntcp_error end_error;            /* why it ended, when it failed */
};

struct _WS_LISTENER {
    WS_CHANNEL_TYPE type;
    WS_LISTENER_STATE state;
    struct wws_security sec;
    ntcp_url url;
    int port;
    ntcp_server *srv;
    pthread_t thread;
    bool running;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct wws_session *all, *accept_head, *accept_tail;
    bool stopping;
    ntcp_xml_limits xml;
};

static HRESULT bad(WS_ERROR *error, HRESULT hr, const char *what)
{
    return ntcp__wws_fail(error, hr, hr == E_OUTOFMEMORY ? NTCP_CAUSE_OUT_OF_MEMORY
                                    : hr == E_INVALIDARG ? NTCP_CAUSE_INVALID_ARGUMENT : NTCP_CAUSE_UNSUPPORTED,
                          "%s", what);
}

HRESULT WINAPI WsCreateListener(WS_CHANNEL_TYPE channelType, WS_CHANNEL_BINDING channelBinding,
                                const WS_LISTENER_PROPERTY *properties, ULONG propertyCount,
                                const WS_SECURITY_DESCRIPTION *securityDescription, WS_LISTENER **listener,
                                WS_ERROR *error)
{
    if (!listener || (propertyCount && !properties)) return bad(error, E_INVALIDARG, "WsCreateListener: NULL argument");
    if (channelBinding != WS_TCP_CHANNEL_BINDING)
        return bad(error, E_NOTIMPL, "WsCreateListener: only WS_TCP_CHANNEL_BINDING (net.tcp) is implemented");
    if (channelType != WS_CHANNEL_TYPE_DUPLEX_SESSION)
        return bad(error, WS_E_NOT_SUPPORTED, "WsCreateListener: a TCP listener is WS_CHANNEL_TYPE_DUPLEX_SESSION");
    if (propertyCount)
        return ntcp__wws_fail(error, E_NOTIMPL, NTCP_CAUSE_UNSUPPORTED,
                              "WsCreateListener: listener property %d is not implemented", (int)properties[0].id);
    WS_LISTENER *l = ntcp_calloc(1, sizeof *l);
    if (!l) return bad(error, E_OUTOFMEMORY, "WsCreateListener: out of memory");
    HRESULT hr = ntcp__wws_security(securityDescription, true, &l->sec, error);
    if (FAILED(hr)) {
        ntcp_free(l);
        return hr;
    }
    l->type = channelType;
    l->state = WS_LISTENER_STATE_CREATED;
    ntcp_xml_limits_init(&l->xml);
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    *listener = l;
    return S_OK;
}

/* ---- the engine's thread ----------------------------------------------------- */
static bool via_served(void *ctx, const char *via)
{
    WS_LISTENER *l = ctx;
    ntcp_url u;
    return via && ntcp_url_parse(via, &u, NULL) == NTCP_OK && !strcmp(u.path, l->url.path);
}

static ntcp_stream *stream_new(void *ctx, ntcp_server_session *ss)
{
    WS_LISTENER *l = ctx;
    (void)ss;
    if (!l->sec.secure) return NULL;
    ntcp_nns_options no;
    ntcp_nns_options_init(&no);
    ntcp__wws_security_apply(&l->sec, &no);
    ntcp_stream *st = NULL;
    return ntcp_nns_stream_new(&st, false, &no) == NTCP_OK ? st : NULL;
}

static void session_free(struct wws_session *s)
{
    for (struct wws_in *i = s->in_head, *n; i; i = n) {
        n = i->next;
        ntcp_soap_msg_clear(&i->msg);
        ntcp_free(i);
    }
    for (struct wws_out *o = s->out_head, *n; o; o = n) {
        n = o->next;
        ntcp_buf_free(&o->bytes);
        ntcp_free(o);
    }
    ntcp__dialog_clear(&s->d);
    ntcp_free(s);
}

/* with l->mu held: unlink and free a session nobody uses any more */
static void session_drop_if_done(struct wws_session *s)
{
    if (!s->ended || !s->released) return;
    for (struct wws_session **pp = &s->l->all; *pp; pp = &(*pp)->next)
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    session_free(s);
}

static bool on_open(void *ctx, ntcp_server_session *ss)
{
    WS_LISTENER *l = ctx;
    struct wws_session *s = ntcp_calloc(1, sizeof *s);
    if (!s) return false;
    if (ntcp__dialog_init(&s->d) != NTCP_OK) {
        ntcp_free(s);
        return false;
    }
    const char *ct = ntcp_server_session_content_type(ss);
    s->sessionful = !ct || !strcmp(ct, "application/soap+msbinsession1");
    if (!s->sessionful) { /* only the binary session encoding is offered */
        session_free(s);
        return false;
    }
    s->l = l;
    s->ss = ss;
    ntcp_error_clear(&s->end_error);
    ntcp_server_session_set_user(ss, s);
    pthread_mutex_lock(&l->mu);
    s->next = l->all;
    l->all = s;
    if (l->accept_tail) l->accept_tail->next_accept = s;
    else l->accept_head = s;
    l->accept_tail = s;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
    return true;
}

static void on_message(void *ctx, ntcp_server_session *ss, const uint8_t *p, size_t n)
{
    WS_LISTENER *l = ctx;
    struct wws_session *s = ntcp_server_session_get_user(ss);
    if (!s) return;
    struct wws_in *in = ntcp_calloc(1, sizeof *in);
    if (!in) {
        ntcp_server_session_abort(ss);
        return;
    }
    ntcp_soap_msg_init(&in->msg);
    size_t off = 0;
    ntcp_status st = ntcp_xml_session_read_table(s->d.in, p, n, &off);
    if (st == NTCP_OK) st = ntcp_soap_read(p + off, n - off, s->d.in, &l->xml, NULL, 0, &in->msg);
    if (st != NTCP_OK) { /* unreadable: the session ends, its channel hears why */
        ntcp_soap_msg_clear(&in->msg);
        ntcp_free(in);
        pthread_mutex_lock(&l->mu);
        ntcp_error_set(&s->end_error, st, ntcp_cause_of_status(st), NTCP_STEP_DISPATCH,
                       "a message from %s could not be read: %s (%s)", ntcp_server_session_peer(ss),
                       ntcp_status_str(st), ntcp_status_name(st));
        pthread_mutex_unlock(&l->mu);
        ntcp_server_session_abort(ss);
        return;
    }
    pthread_mutex_lock(&l->mu);
    if (s->released) { /* nobody reads this channel any more */
        pthread_mutex_unlock(&l->mu);
        ntcp_soap_msg_clear(&in->msg);
        ntcp_free(in);
        return;
    }
    if (s->in_tail) s->in_tail->next = in;
    else s->in_head = in;
    s->in_tail = in;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
}

static void on_close(void *ctx, ntcp_server_session *ss, ntcp_status why)
{
    WS_LISTENER *l = ctx;
    struct wws_session *s = ntcp_server_session_get_user(ss);
    if (!s) return;
    ntcp_server_session_set_user(ss, NULL);
    pthread_mutex_lock(&l->mu);
    s->ss = NULL;
    s->ended = true;
    if (why != NTCP_OK && s->end_error.status == NTCP_OK)
        ntcp_error_set(&s->end_error, why, ntcp_cause_of_status(why), NTCP_STEP_RECEIVE, "the session ended: %s",
                       ntcp_status_str(why));
    pthread_cond_broadcast(&l->cv);
    session_drop_if_done(s);
    pthread_mutex_unlock(&l->mu);
}

/* what the application's threads queued: replies to send, sessions to end */
static void on_wake(void *ctx)
{
    WS_LISTENER *l = ctx;
    for (;;) {
        ntcp_server_session *ss = NULL;
        struct wws_out *o = NULL;
        pthread_mutex_lock(&l->mu);
        for (struct wws_session *s = l->all; s && !o; s = s->next)
            if (s->out_head && s->ss) {
                o = s->out_head;
                s->out_head = o->next;
                if (!s->out_head) s->out_tail = NULL;
                ss = s->ss;
            }
        pthread_mutex_unlock(&l->mu);
        if (!o) return;
        if (o->bytes.len) {
            if (ntcp_server_session_send(ss, o->bytes.data, o->bytes.len) != NTCP_OK) ntcp_server_session_abort(ss);
        } else
            ntcp_server_session_abort(ss);
        ntcp_buf_free(&o->bytes);
        ntcp_free(o);
        ntcp_server_session_flush(ss); /* may end it: on_close runs, ss is not used after */
    }
}

static void *run(void *arg)
{
    WS_LISTENER *l = arg;
    ntcp_status st = ntcp_server_run(l->srv); /* returns after ntcp_server_stop */
    (void)st;
    return NULL;
}

HRESULT WINAPI WsOpenListener(WS_LISTENER *listener, const WS_STRING *url, const WS_ASYNC_CONTEXT *asyncContext,
                              WS_ERROR *error)
{
    (void)asyncContext;
    if (!listener || !url) return bad(error, E_INVALIDARG, "WsOpenListener: NULL argument");
    if (listener->state != WS_LISTENER_STATE_CREATED)
        return bad(error, WS_E_INVALID_OPERATION, "WsOpenListener: the listener is not in the created state");
    char *u = ntcp__wws_to_utf8(url->chars, url->length);
    if (!u) return bad(error, E_INVALIDARG, "WsOpenListener: the URL is not valid Unicode");
    const char *why = NULL;
    ntcp_status st = ntcp_url_parse(u, &listener->url, &why);
    if (st != NTCP_OK) {
        HRESULT hr = ntcp__wws_fail(error, WS_E_INVALID_ENDPOINT_URL, NTCP_CAUSE_BAD_ADDRESS, "WsOpenListener: '%s': %s",
                                    u, why ? why : "not a net.tcp URL");
        ntcp_free(u);
        return hr;
    }
    ntcp_free(u);
    ntcp_error err;
    ntcp_error_clear(&err);
    if (listener->sec.secure && listener->sec.package != NTCP_PACKAGE_NTLM &&
        ntcp__keytab_check(NULL, NULL, &err) != NTCP_OK) /* KRB5_KTNAME or the default keytab */
        return ntcp__wws_fail_error(error, ntcp__wws_hresult(&err), &err);
    ntcp_server_config cfg;
    ntcp_server_config_init(&cfg);
    cfg.framing.via_served = via_served;
    cfg.framing.via_ctx = listener;
    if (listener->sec.secure) {
        cfg.framing.upgrade_name = "application/negotiate";
        cfg.framing.require_upgrade = true;
    }
    cfg.stream_new = stream_new;
    cfg.on_open = on_open;
    cfg.on_message = on_message;
    cfg.on_close = on_close;
    cfg.ctx = listener;
    st = ntcp_server_new(&listener->srv, &cfg);
    if (st == NTCP_OK) st = ntcp_server_listen(listener->srv, listener->url.host, listener->url.port, &listener->port);
    if (st != NTCP_OK) {
        ntcp_error_set(&err, st, ntcp_cause_of_status(st), NTCP_STEP_LISTEN, "listening on %s:%s: %s (%s)",
                       listener->url.host, listener->url.port, ntcp_status_str(st), ntcp_status_name(st));
        ntcp_server_free(listener->srv);
        listener->srv = NULL;
        listener->state = WS_LISTENER_STATE_FAULTED;
        return ntcp__wws_fail_error(error, st == NTCP_E_IO ? WS_E_ADDRESS_IN_USE : ntcp__wws_hresult(&err), &err);
    }
    ntcp_server_set_wake(listener->srv, on_wake, listener);
    if (pthread_create(&listener->thread, NULL, run, listener)) {
        ntcp_server_free(listener->srv);
        listener->srv = NULL;
        return bad(error, E_OUTOFMEMORY, "WsOpenListener: no thread for the listener");
    }
    listener->running = true;
    listener->state = WS_LISTENER_STATE_OPEN;
    return S_OK;
}

USHORT ntcp_wws_listener_port(WS_LISTENER *listener)
{
    return listener && listener->state == WS_LISTENER_STATE_OPEN ? (USHORT)listener->port : 0;
}

HRESULT WINAPI WsCreateChannelForListener(WS_LISTENER *listener, const WS_CHANNEL_PROPERTY *properties,
                                          ULONG propertyCount, WS_CHANNEL **channel, WS_ERROR *error)
{
    if (!listener) return bad(error, E_INVALIDARG, "WsCreateChannelForListener: NULL listener");
    HRESULT hr = ntcp__wws_channel_new(listener->type, properties, propertyCount, channel, error);
    if (SUCCEEDED(hr)) (*channel)->listener = listener;
    return hr;
}

HRESULT WINAPI WsAcceptChannel(WS_LISTENER *listener, WS_CHANNEL *channel, const WS_ASYNC_CONTEXT *asyncContext,
                               WS_ERROR *error)
{
    (void)asyncContext;
    if (!listener || !channel) return bad(error, E_INVALIDARG, "WsAcceptChannel: NULL argument");
    if (channel->listener != listener)
        return bad(error, E_INVALIDARG, "WsAcceptChannel: the channel was not created for this listener "
                                        "(WsCreateChannelForListener)");
    if (channel->state != WS_CHANNEL_STATE_CREATED)
        return bad(error, WS_E_INVALID_OPERATION, "WsAcceptChannel: the channel is not in the created state "
                                                  "(WsResetChannel it after closing)");
    if (listener->state != WS_LISTENER_STATE_OPEN)
        return bad(error, WS_E_INVALID_OPERATION, "WsAcceptChannel: the listener is not open");
    pthread_mutex_lock(&listener->mu);
    channel->state = WS_CHANNEL_STATE_ACCEPTING;
    while (!listener->accept_head && !listener->stopping) pthread_cond_wait(&listener->cv, &listener->mu);
    struct wws_session *s = listener->accept_head;
    if (s) {
        listener->accept_head = s->next_accept;
        if (!listener->accept_head) listener->accept_tail = NULL;
        s->accepted = true;
        channel->session = s;
        channel->state = WS_CHANNEL_STATE_OPEN;
    } else
        channel->state = WS_CHANNEL_STATE_CREATED;
    pthread_mutex_unlock(&listener->mu);
    if (!s)
        return bad(error, WS_E_OPERATION_ABORTED, "WsAcceptChannel: the listener was closed while accepting");
    return S_OK;
}

HRESULT ntcp__wws_listener_receive(WS_CHANNEL *ch, WS_MESSAGE *m, bool optional, WS_ERROR *error)
{
    WS_LISTENER *l = ch->listener;
    struct wws_session *s = ch->session;
    if (!s) return bad(error, WS_E_INVALID_OPERATION, "the channel has no accepted session");
    pthread_mutex_lock(&l->mu);
    while (!s->in_head && !s->ended && !l->stopping && !optional) pthread_cond_wait(&l->cv, &l->mu);
    struct wws_in *in = s->in_head;
    if (in) {
        s->in_head = in->next;
        if (!s->in_head) s->in_tail = NULL;
    }
    ntcp_error why = s->end_error;
    bool ended = s->ended || l->stopping;
    pthread_mutex_unlock(&l->mu);
    if (!in) {
        if (why.status != NTCP_OK) {
            ch->state = WS_CHANNEL_STATE_FAULTED;
            return ntcp__wws_fail_error(error, ntcp__wws_hresult(&why), &why);
        }
        (void)ended; /* the client closed its session (or nothing waits, optional) */
        return WS_S_END;
    }
    HRESULT hr = ntcp__wws_message_from_soap(m, &in->msg, error);
    ntcp_soap_msg_clear(&in->msg);
    ntcp_free(in);
    return hr;
}

static HRESULT queue_out(WS_CHANNEL *ch, struct wws_out *o, WS_ERROR *error)
{
    WS_LISTENER *l = ch->listener;
    struct wws_session *s = ch->session;
    pthread_mutex_lock(&l->mu);
    bool gone = s->ended || !s->ss;
    if (!gone) {
        if (s->out_tail) s->out_tail->next = o;
        else s->out_head = o;
        s->out_tail = o;
    }
    pthread_mutex_unlock(&l->mu);
    if (gone) {
        ntcp_buf_free(&o->bytes);
        ntcp_free(o);
        return ntcp__wws_fail(error, WS_E_ENDPOINT_DISCONNECTED, NTCP_CAUSE_CONNECTION_RESET,
                              "the client's session has ended: nothing can be sent on it");
    }
    ntcp_server_wake(l->srv);
    return S_OK;
}

HRESULT ntcp__wws_listener_send(WS_CHANNEL *ch, WS_MESSAGE *m, WS_ERROR *error)
{
    struct wws_session *s = ch->session;
    if (!s) return bad(error, WS_E_INVALID_OPERATION, "the channel has no accepted session");
    struct wws_out *o = ntcp_calloc(1, sizeof *o);
    if (!o) return bad(error, E_OUTOFMEMORY, "sending: out of memory");
    ntcp_buf_init(&o->bytes, ch->max_message ? ch->max_message : 64u << 20);
    ntcp_soap_out out;
    memset(&out, 0, sizeof out);
    out.action = m->action;
    out.relates_to = m->relates_to;
    if (m->relates_to) out.to = NTCP_WSA10_ANONYMOUS; /* a reply to an anonymous ReplyTo, as WCF writes it */
    out.body = (const char *)m->body.data;
    out.body_len = m->body.len;
    /* only this thread writes the session's outgoing dictionary */
    ntcp_status st = ntcp_soap_write(s->d.w, &out, &o->bytes);
    if (st != NTCP_OK) {
        ntcp_buf_free(&o->bytes);
        ntcp_free(o);
        ntcp_error e;
        ntcp_error_clear(&e);
        ntcp_error_set(&e, st, ntcp_cause_of_status(st), NTCP_STEP_SEND, "encoding the message: %s (%s)",
                       ntcp_status_str(st), ntcp_status_name(st));
        return ntcp__wws_fail_error(error, ntcp__wws_hresult(&e), &e);
    }
    HRESULT hr = queue_out(ch, o, error);
    if (SUCCEEDED(hr)) m->state = WS_MESSAGE_STATE_DONE;
    return hr;
}

void ntcp__wws_listener_close_channel(WS_CHANNEL *ch)
{
    struct wws_session *s = ch->session;
    if (!s) return;
    WS_LISTENER *l = ch->listener;
    ch->session = NULL;
    pthread_mutex_lock(&l->mu);
    bool open = !s->ended && s->ss;
    s->released = true;
    struct wws_out *o = open ? ntcp_calloc(1, sizeof *o) : NULL;
    if (o) { /* an empty entry: end the session after what is queued */
        ntcp_buf_init(&o->bytes, 1);
        if (s->out_tail) s->out_tail->next = o;
        else s->out_head = o;
        s->out_tail = o;
    }
    session_drop_if_done(s);
    pthread_mutex_unlock(&l->mu);
    if (o) ntcp_server_wake(l->srv);
}

static void stop(WS_LISTENER *l)
{
    if (!l->running) return;
    pthread_mutex_lock(&l->mu);
    l->stopping = true;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
    ntcp_server_stop(l->srv);
    pthread_join(l->thread, NULL);
    l->running = false;
}

HRESULT WINAPI WsCloseListener(WS_LISTENER *listener, const WS_ASYNC_CONTEXT *asyncContext, WS_ERROR *error)
{
    (void)asyncContext;
    if (!listener) return bad(error, E_INVALIDARG, "WsCloseListener: NULL listener");
    stop(listener);
    listener->state = WS_LISTENER_STATE_CLOSED;
    return S_OK;
}

HRESULT WINAPI WsAbortListener(WS_LISTENER *listener, WS_ERROR *error)
{
    return WsCloseListener(listener, NULL, error);
}

void WINAPI WsFreeListener(WS_LISTENER *listener)
{
    if (!listener) return;
    stop(listener);
    ntcp_server_free(listener->srv); /* ends every session: on_close for each */
    for (struct wws_session *s = listener->all, *n; s; s = n) {
        n = s->next;
        session_free(s); /* channels still holding one must not be used after this */
    }
    ntcp__wws_security_clear(&listener->sec);
    pthread_mutex_destroy(&listener->mu);
    pthread_cond_destroy(&listener->cv);
    ntcp_free(listener);
}

HRESULT WINAPI WsGetListenerProperty(WS_LISTENER *listener, WS_LISTENER_PROPERTY_ID id, void *value,
                                     ULONG valueSize, WS_ERROR *error)
{
    if (!listener || !value) return bad(error, E_INVALIDARG, "WsGetListenerProperty: NULL argument");
    switch (id) {
    case WS_LISTENER_PROPERTY_STATE:
        if (valueSize != sizeof(WS_LISTENER_STATE)) break;
        *(WS_LISTENER_STATE *)value = listener->state;
        return S_OK;
    case WS_LISTENER_PROPERTY_CHANNEL_TYPE:
        if (valueSize != sizeof(WS_CHANNEL_TYPE)) break;
        *(WS_CHANNEL_TYPE *)value = listener->type;
        return S_OK;
    case WS_LISTENER_PROPERTY_CHANNEL_BINDING:
        if (valueSize != sizeof(WS_CHANNEL_BINDING)) break;
        *(WS_CHANNEL_BINDING *)value = WS_TCP_CHANNEL_BINDING;
        return S_OK;
    default:
        return ntcp__wws_fail(error, E_NOTIMPL, NTCP_CAUSE_UNSUPPORTED,
                              "WsGetListenerProperty: listener property %d is not implemented", (int)id);
    }
    return bad(error, E_INVALIDARG, "WsGetListenerProperty: valueSize does not match the property");
}
