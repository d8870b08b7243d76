/* nettcp WWSAPI: channels over WS_TCP_CHANNEL_BINDING, a thin mapping onto
 * ntcp_client (client side) and a listener's accepted session (service
 * side, listener.c). Security: none, or WS_TCP_SSPI_TRANSPORT_SECURITY_BINDING
 * = NegotiateStream with the ntcp_nns_options it maps to. */
#include "wws_channel.h"

#include <stdio.h>
#include <string.h>

/* ---- security description -> nettcp options ----------------------------- */
static HRESULT bad(WS_ERROR *error, HRESULT hr, const char *fmt, const char *arg)
{
    return ntcp__wws_fail(error, hr, hr == E_OUTOFMEMORY ? NTCP_CAUSE_OUT_OF_MEMORY
                                    : hr == E_INVALIDARG ? NTCP_CAUSE_INVALID_ARGUMENT : NTCP_CAUSE_UNSUPPORTED,
                          fmt, arg);
}

static char *wstr(const WS_STRING *s)
{
    return ntcp__wws_to_utf8(s->chars, s->length);
}

HRESULT ntcp__wws_security(const WS_SECURITY_DESCRIPTION *sd, bool listener, struct wws_security *out,
                           WS_ERROR *error)
{
    memset(out, 0, sizeof *out);
    out->package = NTCP_PACKAGE_NEGOTIATE;
    out->require_server_auth = true;
    out->impersonation = NTCP_IMPERSONATION_IDENTIFICATION;
    out->protection = NTCP_PROTECTION_ENCRYPT_AND_SIGN;
    if (!sd) return S_OK;
    if (sd->securityBindingCount && !sd->securityBindings)
        return bad(error, E_INVALIDARG, "%s: securityBindingCount without securityBindings", "security description");
    if (sd->securityBindingCount > 1)
        return bad(error, WS_E_NOT_SUPPORTED, "%s: one security binding (WS_TCP_SSPI_TRANSPORT_SECURITY_BINDING) is supported",
                   "security description");
    for (ULONG i = 0; i < sd->propertyCount; i++) {
        const WS_SECURITY_PROPERTY *p = &sd->properties[i];
        if (p->id == WS_SECURITY_PROPERTY_TRANSPORT_PROTECTION_LEVEL && p->value &&
            p->valueSize == sizeof(WS_PROTECTION_LEVEL)) {
            WS_PROTECTION_LEVEL l = *(const WS_PROTECTION_LEVEL *)p->value;
            if (l < WS_PROTECTION_LEVEL_NONE || l > WS_PROTECTION_LEVEL_SIGN_AND_ENCRYPT)
                return bad(error, E_INVALIDARG, "%s: unknown WS_PROTECTION_LEVEL", "security description");
            out->protection = l == WS_PROTECTION_LEVEL_NONE ? NTCP_PROTECTION_NONE
                            : l == WS_PROTECTION_LEVEL_SIGN ? NTCP_PROTECTION_SIGN : NTCP_PROTECTION_ENCRYPT_AND_SIGN;
            continue;
        }
        char id[16];
        snprintf(id, sizeof id, "%d", (int)p->id);
        return bad(error, WS_E_NOT_SUPPORTED, "security property %s is not supported with net.tcp transport security", id);
    }
    if (!sd->securityBindingCount) return S_OK;
    const WS_SECURITY_BINDING *b = sd->securityBindings[0];
    if (!b) return bad(error, E_INVALIDARG, "%s: the security binding is NULL", "security description");
    if (b->bindingType != WS_TCP_SSPI_TRANSPORT_SECURITY_BINDING_TYPE) {
        char t[16];
        snprintf(t, sizeof t, "%d", (int)b->bindingType);
        return bad(error, WS_E_NOT_SUPPORTED,
                   "security binding type %s is not supported: net.tcp here speaks "
                   "WS_TCP_SSPI_TRANSPORT_SECURITY_BINDING (NegotiateStream with Kerberos or NTLM)", t);
    }
    out->secure = true;
    for (ULONG i = 0; i < b->propertyCount; i++) {
        const WS_SECURITY_BINDING_PROPERTY *p = &b->properties[i];
        if (!p->value) return bad(error, E_INVALIDARG, "%s: a property without a value", "security binding");
        switch (p->id) {
        case WS_SECURITY_BINDING_PROPERTY_WINDOWS_INTEGRATED_AUTH_PACKAGE: {
            if (p->valueSize != sizeof(WS_WINDOWS_INTEGRATED_AUTH_PACKAGE))
                return bad(error, E_INVALIDARG, "%s: wrong valueSize", "WINDOWS_INTEGRATED_AUTH_PACKAGE");
            WS_WINDOWS_INTEGRATED_AUTH_PACKAGE k = *(const WS_WINDOWS_INTEGRATED_AUTH_PACKAGE *)p->value;
            if (k == WS_WINDOWS_INTEGRATED_AUTH_PACKAGE_KERBEROS) out->package = NTCP_PACKAGE_KERBEROS;
            else if (k == WS_WINDOWS_INTEGRATED_AUTH_PACKAGE_NTLM) out->package = NTCP_PACKAGE_NTLM;
            else if (k == WS_WINDOWS_INTEGRATED_AUTH_PACKAGE_SPNEGO) out->package = NTCP_PACKAGE_NEGOTIATE;
            else return bad(error, E_INVALIDARG, "%s: unknown package", "WINDOWS_INTEGRATED_AUTH_PACKAGE");
            break;
        }
        case WS_SECURITY_BINDING_PROPERTY_REQUIRE_SERVER_AUTH:
            if (p->valueSize != sizeof(BOOL)) return bad(error, E_INVALIDARG, "%s: wrong valueSize", "REQUIRE_SERVER_AUTH");
            out->require_server_auth = *(const BOOL *)p->value != 0;
            break;
        case WS_SECURITY_BINDING_PROPERTY_ALLOWED_IMPERSONATION_LEVEL: {
            if (p->valueSize != sizeof(SECURITY_IMPERSONATION_LEVEL))
                return bad(error, E_INVALIDARG, "%s: wrong valueSize", "ALLOWED_IMPERSONATION_LEVEL");
            SECURITY_IMPERSONATION_LEVEL l = *(const SECURITY_IMPERSONATION_LEVEL *)p->value;
            if (l < SecurityAnonymous || l > SecurityDelegation)
                return bad(error, E_INVALIDARG, "%s: unknown level", "ALLOWED_IMPERSONATION_LEVEL");
            out->impersonation = (ntcp_impersonation)l; /* the same numbering */
            break;
        }
        case WS_SECURITY_BINDING_PROPERTY_ALLOW_ANONYMOUS_CLIENTS:
            if (p->valueSize != sizeof(BOOL)) return bad(error, E_INVALIDARG, "%s: wrong valueSize", "ALLOW_ANONYMOUS_CLIENTS");
            if (!listener)
                return bad(error, E_INVALIDARG, "%s is a listener property", "ALLOW_ANONYMOUS_CLIENTS");
            out->allow_anonymous = *(const BOOL *)p->value != 0;
            break;
        default: {
            char id[16];
            snprintf(id, sizeof id, "%d", (int)p->id);
            return bad(error, WS_E_NOT_SUPPORTED,
                       "security binding property %s is not supported by WS_TCP_SSPI_TRANSPORT_SECURITY_BINDING", id);
        }
        }
    }
    const WS_WINDOWS_INTEGRATED_AUTH_CREDENTIAL *cred = ((const WS_TCP_SSPI_TRANSPORT_SECURITY_BINDING *)b)->clientCredential;
    if (listener) {
        if (cred) return bad(error, E_INVALIDARG, "%s: a listener takes no client credential", "WS_TCP_SSPI_TRANSPORT_SECURITY_BINDING");
        return S_OK;
    }
    if (!cred)
        return bad(error, E_INVALIDARG, "%s: clientCredential is required on a client (use "
                   "WS_DEFAULT_WINDOWS_INTEGRATED_AUTH_CREDENTIAL for the Kerberos ticket cache)",
                   "WS_TCP_SSPI_TRANSPORT_SECURITY_BINDING");
    switch (cred->credentialType) {
    case WS_DEFAULT_WINDOWS_INTEGRATED_AUTH_CREDENTIAL_TYPE:
        return S_OK; /* KRB5CCNAME / the default ccache, or a client keytab (KRB5_CLIENT_KTNAME) */
    case WS_STRING_WINDOWS_INTEGRATED_AUTH_CREDENTIAL_TYPE: {
        const WS_STRING_WINDOWS_INTEGRATED_AUTH_CREDENTIAL *s = (const void *)cred;
        char *user = wstr(&s->username), *domain = wstr(&s->domain);
        out->password = wstr(&s->password);
        if (!user || !domain || !out->password || !*user) {
            ntcp_free(user);
            ntcp_free(domain);
            ntcp__wws_security_clear(out);
            return bad(error, E_INVALIDARG, "%s: the user name is empty or a string is not valid Unicode",
                       "WS_STRING_WINDOWS_INTEGRATED_AUTH_CREDENTIAL");
        }
        /* user@REALM for Kerberos, DOMAIN\user for NTLM; a name that already says it is kept */
        size_t n = strlen(user) + strlen(domain) + 2;
        out->user = ntcp_malloc(n);
        if (out->user) {
            if (!*domain || strchr(user, '@') || strchr(user, '\\')) snprintf(out->user, n, "%s", user);
            else if (out->package == NTCP_PACKAGE_NTLM) snprintf(out->user, n, "%s\\%s", domain, user);
            else snprintf(out->user, n, "%s@%s", user, domain);
        }
        ntcp_free(user);
        ntcp_free(domain);
        if (!out->user) {
            ntcp__wws_security_clear(out);
            return bad(error, E_OUTOFMEMORY, "%s: out of memory", "credential");
        }
        return S_OK;
    }
    case WS_OPAQUE_WINDOWS_INTEGRATED_AUTH_CREDENTIAL_TYPE:
        return bad(error, WS_E_NOT_SUPPORTED,
                   "%s (a SEC_WINNT_AUTH_IDENTITY handle from SSPI) is not supported on Linux: use "
                   "WS_DEFAULT_WINDOWS_INTEGRATED_AUTH_CREDENTIAL (the Kerberos ticket cache of kinit, or a client "
                   "keytab) or WS_STRING_WINDOWS_INTEGRATED_AUTH_CREDENTIAL (user name and password)",
                   "WS_OPAQUE_WINDOWS_INTEGRATED_AUTH_CREDENTIAL");
    }
    return bad(error, E_INVALIDARG, "%s: unknown credentialType", "WS_WINDOWS_INTEGRATED_AUTH_CREDENTIAL");
}

void ntcp__wws_security_clear(struct wws_security *s)
{
    if (s->password) {
        explicit_bzero(s->password, strlen(s->password));
        ntcp_free(s->password);
    }
    ntcp_free(s->user);
    s->password = s->user = NULL;
}

void ntcp__wws_security_apply(const struct wws_security *s, ntcp_nns_options *nns)
{
    nns->package = s->package;
    nns->protection = s->protection;
    nns->require_server_auth = s->require_server_auth;
    nns->allowed_impersonation = s->impersonation;
    nns->allow_anonymous_clients = s->allow_anonymous;
    nns->user = s->user;
    nns->password = s->password;
}

/* ---- channel properties --------------------------------------------------- */
static HRESULT set_property(WS_CHANNEL *ch, const WS_CHANNEL_PROPERTY *p, WS_ERROR *error)
{
    if (!p->value) return bad(error, E_INVALIDARG, "%s: a channel property without a value", "WsCreateChannel");
    switch (p->id) {
    case WS_CHANNEL_PROPERTY_MAX_BUFFERED_MESSAGE_SIZE:
        if (p->valueSize != sizeof(ULONG)) break;
        ch->max_message = *(const ULONG *)p->value;
        if (!ch->max_message) break;
        return S_OK;
    case WS_CHANNEL_PROPERTY_ENCODING:
        if (p->valueSize != sizeof(WS_ENCODING)) break;
        if (*(const WS_ENCODING *)p->value != WS_ENCODING_XML_BINARY_SESSION_1)
            return bad(error, WS_E_NOT_SUPPORTED, "%s: net.tcp here uses WS_ENCODING_XML_BINARY_SESSION_1 "
                       "(NetTcpBinding's binary session encoding)", "WS_CHANNEL_PROPERTY_ENCODING");
        return S_OK;
    case WS_CHANNEL_PROPERTY_ENVELOPE_VERSION:
        if (p->valueSize != sizeof(WS_ENVELOPE_VERSION)) break;
        if (*(const WS_ENVELOPE_VERSION *)p->value != WS_ENVELOPE_VERSION_SOAP_1_2)
            return bad(error, WS_E_NOT_SUPPORTED, "%s: net.tcp uses SOAP 1.2", "WS_CHANNEL_PROPERTY_ENVELOPE_VERSION");
        return S_OK;
    case WS_CHANNEL_PROPERTY_ADDRESSING_VERSION:
        if (p->valueSize != sizeof(WS_ADDRESSING_VERSION)) break;
        if (*(const WS_ADDRESSING_VERSION *)p->value != WS_ADDRESSING_VERSION_1_0)
            return bad(error, WS_E_NOT_SUPPORTED, "%s: net.tcp uses WS-Addressing 1.0", "WS_CHANNEL_PROPERTY_ADDRESSING_VERSION");
        return S_OK;
    case WS_CHANNEL_PROPERTY_RESOLVE_TIMEOUT:
    case WS_CHANNEL_PROPERTY_CONNECT_TIMEOUT:
        if (p->valueSize != sizeof(ULONG)) break;
        ch->open_timeout_ms = (int)(*(const ULONG *)p->value > 0x7FFFFFFF ? 0x7FFFFFFF : *(const ULONG *)p->value);
        return S_OK;
    case WS_CHANNEL_PROPERTY_SEND_TIMEOUT:
        if (p->valueSize != sizeof(ULONG)) break;
        ch->send_timeout_ms = (int)(*(const ULONG *)p->value > 0x7FFFFFFF ? 0x7FFFFFFF : *(const ULONG *)p->value);
        return S_OK;
    case WS_CHANNEL_PROPERTY_RECEIVE_RESPONSE_TIMEOUT:
    case WS_CHANNEL_PROPERTY_RECEIVE_TIMEOUT:
        if (p->valueSize != sizeof(ULONG)) break;
        ch->receive_timeout_ms = (int)(*(const ULONG *)p->value > 0x7FFFFFFF ? 0x7FFFFFFF : *(const ULONG *)p->value);
        return S_OK;
    case WS_CHANNEL_PROPERTY_CLOSE_TIMEOUT:
        if (p->valueSize != sizeof(ULONG)) break;
        ch->close_timeout_ms = (int)(*(const ULONG *)p->value > 0x7FFFFFFF ? 0x7FFFFFFF : *(const ULONG *)p->value);
        return S_OK;
    default: {
        char id[16];
        snprintf(id, sizeof id, "%d", (int)p->id);
        return bad(error, E_NOTIMPL, "channel property %s is not implemented (docs/wwsapi.md)", id);
    }
    }
    return bad(error, E_INVALIDARG, "%s: a channel property has the wrong valueSize or value", "WsCreateChannel");
}

HRESULT ntcp__wws_channel_new(WS_CHANNEL_TYPE type, const WS_CHANNEL_PROPERTY *properties, ULONG count,
                              WS_CHANNEL **channel, WS_ERROR *error)
{
    if (!channel || (count && !properties)) return bad(error, E_INVALIDARG, "%s: NULL argument", "WsCreateChannel");
    WS_CHANNEL *ch = ntcp_calloc(1, sizeof *ch);
    if (!ch) return bad(error, E_OUTOFMEMORY, "%s: out of memory", "WsCreateChannel");
    ch->type = type;
    ch->state = WS_CHANNEL_STATE_CREATED;
    for (ULONG i = 0; i < count; i++) {
        HRESULT hr = set_property(ch, &properties[i], error);
        if (FAILED(hr)) {
            ntcp_free(ch);
            return hr;
        }
    }
    *channel = ch;
    return S_OK;
}

HRESULT WINAPI WsCreateChannel(WS_CHANNEL_TYPE channelType, WS_CHANNEL_BINDING channelBinding,
                               const WS_CHANNEL_PROPERTY *properties, ULONG propertyCount,
                               const WS_SECURITY_DESCRIPTION *securityDescription, WS_CHANNEL **channel,
                               WS_ERROR *error)
{
    if (channelBinding != WS_TCP_CHANNEL_BINDING)
        return bad(error, channelBinding > WS_NAMEDPIPE_CHANNEL_BINDING ? E_INVALIDARG : E_NOTIMPL,
                   "%s: only WS_TCP_CHANNEL_BINDING (net.tcp) is implemented", "WsCreateChannel");
    if (channelType != WS_CHANNEL_TYPE_DUPLEX_SESSION && channelType != WS_CHANNEL_TYPE_OUTPUT_SESSION)
        return bad(error, WS_E_NOT_SUPPORTED, "%s: a TCP client channel is WS_CHANNEL_TYPE_DUPLEX_SESSION "
                   "(or OUTPUT_SESSION)", "WsCreateChannel");
    struct wws_security sec;
    HRESULT hr = ntcp__wws_security(securityDescription, false, &sec, error);
    if (FAILED(hr)) return hr;
    hr = ntcp__wws_channel_new(channelType, properties, propertyCount, channel, error);
    if (FAILED(hr)) {
        ntcp__wws_security_clear(&sec);
        return hr;
    }
    (*channel)->sec = sec;
    return S_OK;
}

static HRESULT identity_string(const WS_ENDPOINT_IDENTITY *id, char **out, WS_ERROR *error)
{
    *out = NULL;
    if (!id) return S_OK;
    const char *prefix;
    const WS_STRING *s;
    switch (id->identityType) {
    case WS_SPN_ENDPOINT_IDENTITY_TYPE: prefix = "spn:"; s = &((const WS_SPN_ENDPOINT_IDENTITY *)id)->spn; break;
    case WS_UPN_ENDPOINT_IDENTITY_TYPE: prefix = "upn:"; s = &((const WS_UPN_ENDPOINT_IDENTITY *)id)->upn; break;
    case WS_DNS_ENDPOINT_IDENTITY_TYPE: prefix = "dns:"; s = &((const WS_DNS_ENDPOINT_IDENTITY *)id)->dns; break;
    default:
        return bad(error, WS_E_NOT_SUPPORTED, "%s: only SPN, UPN and DNS endpoint identities are supported "
                   "with WS_TCP_SSPI_TRANSPORT_SECURITY_BINDING", "WsOpenChannel");
    }
    char *v = ntcp__wws_to_utf8(s->chars, s->length);
    if (!v || !*v) {
        ntcp_free(v);
        return bad(error, E_INVALIDARG, "%s: the endpoint identity is empty or not valid Unicode", "WsOpenChannel");
    }
    size_t n = strlen(prefix) + strlen(v) + 1;
    *out = ntcp_malloc(n);
    if (*out) snprintf(*out, n, "%s%s", prefix, v);
    ntcp_free(v);
    return *out ? S_OK : bad(error, E_OUTOFMEMORY, "%s: out of memory", "WsOpenChannel");
}

HRESULT WINAPI WsOpenChannel(WS_CHANNEL *channel, const WS_ENDPOINT_ADDRESS *endpointAddress,
                             const WS_ASYNC_CONTEXT *asyncContext, WS_ERROR *error)
{
    (void)asyncContext; /* completed before returning */
    if (!channel || !endpointAddress) return bad(error, E_INVALIDARG, "%s: NULL argument", "WsOpenChannel");
    if (channel->listener) return bad(error, WS_E_INVALID_OPERATION, "%s: a listener's channel is opened by WsAcceptChannel", "WsOpenChannel");
    if (channel->state != WS_CHANNEL_STATE_CREATED)
        return bad(error, WS_E_INVALID_OPERATION, "%s: the channel is not in the created state", "WsOpenChannel");
    if (endpointAddress->headers || endpointAddress->extensions)
        return bad(error, E_NOTIMPL, "%s: endpoint address headers and extensions are not implemented", "WsOpenChannel");
    char *url = ntcp__wws_to_utf8(endpointAddress->url.chars, endpointAddress->url.length);
    if (!url) return bad(error, E_INVALIDARG, "%s: the URL is not valid Unicode", "WsOpenChannel");
    char *identity = NULL;
    HRESULT hr = channel->sec.secure ? identity_string(endpointAddress->identity, &identity, error) : S_OK;
    if (FAILED(hr)) {
        ntcp_free(url);
        return hr;
    }
    ntcp_client_options o;
    ntcp_client_options_init(&o);
    o.security = channel->sec.secure ? NTCP_SECURITY_TRANSPORT : NTCP_SECURITY_NONE;
    ntcp__wws_security_apply(&channel->sec, &o.nns);
    o.nns.identity = identity;
    if (channel->max_message) o.channel.limits.max_message = channel->max_message;
    if (channel->open_timeout_ms) o.channel.open_timeout_ms = channel->open_timeout_ms;
    if (channel->send_timeout_ms) o.channel.send_timeout_ms = channel->send_timeout_ms;
    if (channel->receive_timeout_ms) o.channel.receive_timeout_ms = channel->receive_timeout_ms;
    if (channel->close_timeout_ms) o.channel.close_timeout_ms = channel->close_timeout_ms;
    ntcp_error err;
    ntcp_error_clear(&err);
    channel->state = WS_CHANNEL_STATE_OPENING;
    ntcp_status st = ntcp_client_open(&channel->client, url, &o, &err);
    ntcp_free(url);
    ntcp_free(identity);
    if (st != NTCP_OK) {
        channel->client = NULL;
        channel->state = WS_CHANNEL_STATE_FAULTED;
        return ntcp__wws_fail_error(error, ntcp__wws_hresult(&err), &err);
    }
    channel->state = WS_CHANNEL_STATE_OPEN;
    return S_OK;
}

static HRESULT check_open(WS_CHANNEL *ch, const char *fn, WS_ERROR *error)
{
    if (!ch) return bad(error, E_INVALIDARG, "%s: NULL channel", fn);
    if (ch->state == WS_CHANNEL_STATE_FAULTED)
        return bad(error, WS_E_OBJECT_FAULTED, "%s: the channel has faulted (an earlier failure); abort and free it", fn);
    if (ch->state != WS_CHANNEL_STATE_OPEN) return bad(error, WS_E_INVALID_OPERATION, "%s: the channel is not open", fn);
    return S_OK;
}

/* a failure of the client's call: a SOAP fault leaves the channel open */
static HRESULT client_failed(WS_CHANNEL *ch, ntcp_status st, WS_ERROR *error)
{
    const ntcp_error *e = ntcp_client_error(ch->client);
    ntcp_error copy = *e;
    if (copy.status == NTCP_OK) {
        ntcp_error_clear(&copy);
        copy.status = st;
        copy.cause = ntcp_cause_of_status(st);
        snprintf(copy.text, sizeof copy.text, "%s", ntcp_status_str(st));
    }
    if (st != NTCP_E_FAULT) ch->state = WS_CHANNEL_STATE_FAULTED;
    return ntcp__wws_fail_error(error, ntcp__wws_hresult(&copy), &copy);
}

static HRESULT fault_received(WS_CHANNEL *ch, WS_MESSAGE *reply, WS_ERROR *error)
{
    /* the client's cause for it: action_not_supported or service_fault */
    const ntcp_error *e = ntcp_client_error(ch->client);
    ntcp_cause cause = e->status == NTCP_E_FAULT ? e->cause : NTCP_CAUSE_SERVICE_FAULT;
    HRESULT hr = ntcp__wws_error_set_fault(error, reply);
    if (FAILED(hr)) return ntcp__wws_fail(error, hr, NTCP_CAUSE_OUT_OF_MEMORY, "keeping the fault received: out of memory");
    return ntcp__wws_fail(error, WS_E_ENDPOINT_FAULT_RECEIVED, cause,
                          "the service answered with a SOAP fault: %s%s%s",
                          reply->fault_code ? reply->fault_code : "", reply->fault_code ? ": " : "",
                          reply->fault_reason ? reply->fault_reason : "(no reason)");
}

static HRESULT send_body(WS_CHANNEL *ch, WS_MESSAGE *m, WS_ERROR *error)
{
    if (!m->action)
        return bad(error, E_INVALIDARG, "%s: the message has no action (a message description with an action, or "
                   "WsSetHeader WS_ACTION_HEADER)", "sending");
    if (ch->listener) return ntcp__wws_listener_send(ch, m, error);
    ntcp_status st = ntcp_client_send(ch->client, m->action, (const char *)m->body.data, m->body.len);
    if (st != NTCP_OK) return client_failed(ch, st, error);
    m->state = WS_MESSAGE_STATE_DONE;
    return S_OK;
}

static HRESULT prepare(WS_MESSAGE *m, const WS_MESSAGE_DESCRIPTION *d, WS_WRITE_OPTION opt, const void *v, ULONG n,
                       WS_ERROR *error)
{
    if (m->state != WS_MESSAGE_STATE_EMPTY && m->state != WS_MESSAGE_STATE_INITIALIZED)
        return bad(error, WS_E_INVALID_OPERATION, "%s: the message is in use (WsResetMessage it first)", "sending");
    if (m->state == WS_MESSAGE_STATE_EMPTY) m->state = WS_MESSAGE_STATE_INITIALIZED;
    if (!d || !d->action) return bad(error, E_INVALIDARG, "%s: the message description needs an action", "sending");
    HRESULT hr = ntcp__wws_message_set_action(m, d->action, error);
    ntcp_buf_reset(&m->body);
    if (SUCCEEDED(hr)) hr = ntcp__wws_write_element(&m->body, d->bodyElementDescription, opt, v, n, error);
    return hr;
}

HRESULT WINAPI WsSendMessage(WS_CHANNEL *channel, WS_MESSAGE *message, const WS_MESSAGE_DESCRIPTION *messageDescription,
                             WS_WRITE_OPTION writeOption, const void *bodyValue, ULONG bodyValueSize,
                             const WS_ASYNC_CONTEXT *asyncContext, WS_ERROR *error)
{
    (void)asyncContext;
    HRESULT hr = check_open(channel, "WsSendMessage", error);
    if (FAILED(hr)) return hr;
    if (!message) return bad(error, E_INVALIDARG, "%s: NULL message", "WsSendMessage");
    hr = prepare(message, messageDescription, writeOption, bodyValue, bodyValueSize, error);
    if (SUCCEEDED(hr)) hr = send_body(channel, message, error);
    return hr;
}

HRESULT ntcp__wws_channel_call(WS_CHANNEL *channel, WS_MESSAGE *requestMessage, WS_MESSAGE *replyMessage,
                               WS_ERROR *error)
{
    ntcp_soap_msg reply;
    ntcp_status st = ntcp_client_call(channel->client, requestMessage->action, NULL, 0,
                                      (const char *)requestMessage->body.data, requestMessage->body.len, &reply);
    requestMessage->state = WS_MESSAGE_STATE_DONE;
    if (st != NTCP_OK && st != NTCP_E_FAULT) {
        ntcp_soap_msg_clear(&reply);
        return client_failed(channel, st, error);
    }
    HRESULT hr = ntcp__wws_message_from_soap(replyMessage, &reply, error);
    ntcp_soap_msg_clear(&reply);
    if (FAILED(hr)) return hr;
    if (replyMessage->is_fault) return fault_received(channel, replyMessage, error); /* the channel stays open */
    return S_OK;
}

HRESULT WINAPI WsRequestReply(WS_CHANNEL *channel, WS_MESSAGE *requestMessage,
                              const WS_MESSAGE_DESCRIPTION *requestMessageDescription, WS_WRITE_OPTION writeOption,
                              const void *requestBodyValue, ULONG requestBodyValueSize, WS_MESSAGE *replyMessage,
                              const WS_MESSAGE_DESCRIPTION *replyMessageDescription, WS_READ_OPTION readOption,
                              WS_HEAP *heap, void *value, ULONG valueSize, const WS_ASYNC_CONTEXT *asyncContext,
                              WS_ERROR *error)
{
    (void)asyncContext;
    HRESULT hr = check_open(channel, "WsRequestReply", error);
    if (FAILED(hr)) return hr;
    if (!requestMessage || !replyMessage || !replyMessageDescription)
        return bad(error, E_INVALIDARG, "%s: NULL message or reply description", "WsRequestReply");
    if (channel->listener) return bad(error, WS_E_INVALID_OPERATION, "%s: a listener's channel answers requests", "WsRequestReply");
    if (replyMessage->state != WS_MESSAGE_STATE_EMPTY)
        return bad(error, WS_E_INVALID_OPERATION, "%s: the reply message is not empty (WsResetMessage it)", "WsRequestReply");
    hr = prepare(requestMessage, requestMessageDescription, writeOption, requestBodyValue, requestBodyValueSize, error);
    if (SUCCEEDED(hr)) hr = ntcp__wws_channel_call(channel, requestMessage, replyMessage, error);
    if (FAILED(hr)) return hr;
    if (replyMessageDescription->action) {
        char *want = ntcp__wws_xml_str(replyMessageDescription->action);
        bool same = want && replyMessage->action && !strcmp(want, replyMessage->action);
        if (!same) {
            hr = ntcp__wws_fail(error, WS_E_INVALID_FORMAT, NTCP_CAUSE_PROTOCOL,
                                "WsRequestReply: the reply's action is '%s', the description expects '%s'",
                                replyMessage->action ? replyMessage->action : "", want ? want : "");
            ntcp_free(want);
            return hr;
        }
        ntcp_free(want);
    }
    return ntcp__wws_read_element((const char *)replyMessage->body.data, replyMessage->body.len,
                                  replyMessageDescription->bodyElementDescription, readOption, heap, value, valueSize,
                                  error);
}

HRESULT WINAPI WsReceiveMessage(WS_CHANNEL *channel, WS_MESSAGE *message,
                                const WS_MESSAGE_DESCRIPTION **messageDescriptions, ULONG messageDescriptionCount,
                                WS_RECEIVE_OPTION receiveOption, WS_READ_OPTION readBodyOption, WS_HEAP *heap,
                                void *value, ULONG valueSize, ULONG *index, const WS_ASYNC_CONTEXT *asyncContext,
                                WS_ERROR *error)
{
    (void)asyncContext;
    HRESULT hr = check_open(channel, "WsReceiveMessage", error);
    if (FAILED(hr)) return hr;
    if (!message || (messageDescriptionCount && !messageDescriptions))
        return bad(error, E_INVALIDARG, "%s: NULL argument", "WsReceiveMessage");
    if (!channel->listener)
        return ntcp__wws_notimpl(error, "WsReceiveMessage on a client channel (use WsRequestReply)");
    if (message->state != WS_MESSAGE_STATE_EMPTY)
        return bad(error, WS_E_INVALID_OPERATION, "%s: the message is not empty (WsResetMessage it)", "WsReceiveMessage");
    hr = ntcp__wws_listener_receive(channel, message, receiveOption == WS_RECEIVE_OPTIONAL_MESSAGE, error);
    if (hr != S_OK) return hr; /* a failure, or WS_S_END */
    for (ULONG i = 0; i < messageDescriptionCount; i++) {
        const WS_MESSAGE_DESCRIPTION *d = messageDescriptions[i];
        char *want = d && d->action ? ntcp__wws_xml_str(d->action) : NULL;
        bool match = d && (!d->action || (want && message->action && !strcmp(want, message->action)));
        ntcp_free(want);
        if (!match) continue;
        if (index) *index = i;
        return ntcp__wws_read_element((const char *)message->body.data, message->body.len, d->bodyElementDescription,
                                      readBodyOption, heap, value, valueSize, error);
    }
    return ntcp__wws_fail(error, WS_E_ENDPOINT_ACTION_NOT_SUPPORTED, NTCP_CAUSE_PROTOCOL,
                          "WsReceiveMessage: the message's action '%s' matches none of the %u descriptions",
                          message->action ? message->action : "", (unsigned)messageDescriptionCount);
}

HRESULT WINAPI WsSendReplyMessage(WS_CHANNEL *channel, WS_MESSAGE *replyMessage,
                                  const WS_MESSAGE_DESCRIPTION *replyMessageDescription, WS_WRITE_OPTION writeOption,
                                  const void *replyBodyValue, ULONG replyBodyValueSize, WS_MESSAGE *requestMessage,
                                  const WS_ASYNC_CONTEXT *asyncContext, WS_ERROR *error)
{
    (void)asyncContext;
    HRESULT hr = check_open(channel, "WsSendReplyMessage", error);
    if (FAILED(hr)) return hr;
    if (!replyMessage || !requestMessage) return bad(error, E_INVALIDARG, "%s: NULL message", "WsSendReplyMessage");
    if (!channel->listener && !channel->host_call)
        return bad(error, WS_E_INVALID_OPERATION, "%s: only a listener's channel replies", "WsSendReplyMessage");
    if (replyMessage->state == WS_MESSAGE_STATE_EMPTY) {
        hr = WsInitializeMessage(replyMessage, WS_REPLY_MESSAGE, requestMessage, error);
        if (FAILED(hr)) return hr;
    }
    hr = prepare(replyMessage, replyMessageDescription, writeOption, replyBodyValue, replyBodyValueSize, error);
    if (SUCCEEDED(hr)) hr = channel->host_call ? ntcp__wws_host_reply(channel, replyMessage, error)
                                               : send_body(channel, replyMessage, error);
    return hr;
}

/* ---- the message-level calls ----------------------------------------------- */
HRESULT WINAPI WsWriteMessageStart(WS_CHANNEL *channel, WS_MESSAGE *message, const WS_ASYNC_CONTEXT *asyncContext,
                                   WS_ERROR *error)
{
    (void)asyncContext;
    HRESULT hr = check_open(channel, "WsWriteMessageStart", error);
    if (FAILED(hr)) return hr;
    if (!message) return bad(error, E_INVALIDARG, "%s: NULL message", "WsWriteMessageStart");
    if (message->state != WS_MESSAGE_STATE_INITIALIZED)
        return bad(error, WS_E_INVALID_OPERATION, "%s: initialize the message first (WsInitializeMessage)", "WsWriteMessageStart");
    ntcp_buf_reset(&message->body);
    message->state = WS_MESSAGE_STATE_WRITING;
    return S_OK;
}

HRESULT WINAPI WsWriteMessageEnd(WS_CHANNEL *channel, WS_MESSAGE *message, const WS_ASYNC_CONTEXT *asyncContext,
                                 WS_ERROR *error)
{
    (void)asyncContext;
    HRESULT hr = check_open(channel, "WsWriteMessageEnd", error);
    if (FAILED(hr)) return hr;
    if (!message || message->state != WS_MESSAGE_STATE_WRITING)
        return bad(error, message ? WS_E_INVALID_OPERATION : E_INVALIDARG, "%s: the message is not being written",
                   "WsWriteMessageEnd");
    return send_body(channel, message, error);
}

HRESULT WINAPI WsReadMessageStart(WS_CHANNEL *channel, WS_MESSAGE *message, const WS_ASYNC_CONTEXT *asyncContext,
                                  WS_ERROR *error)
{
    (void)asyncContext;
    HRESULT hr = check_open(channel, "WsReadMessageStart", error);
    if (FAILED(hr)) return hr;
    if (!message || message->state != WS_MESSAGE_STATE_EMPTY)
        return bad(error, message ? WS_E_INVALID_OPERATION : E_INVALIDARG, "%s: the message is not empty",
                   "WsReadMessageStart");
    if (!channel->listener) return ntcp__wws_notimpl(error, "WsReadMessageStart on a client channel (use WsRequestReply)");
    hr = ntcp__wws_listener_receive(channel, message, false, error);
    if (hr == S_OK) message->state = WS_MESSAGE_STATE_READING;
    return hr;
}

HRESULT WINAPI WsReadMessageEnd(WS_CHANNEL *channel, WS_MESSAGE *message, const WS_ASYNC_CONTEXT *asyncContext,
                                WS_ERROR *error)
{
    (void)asyncContext;
    if (!channel || !message) return bad(error, E_INVALIDARG, "%s: NULL argument", "WsReadMessageEnd");
    if (message->state != WS_MESSAGE_STATE_READING)
        return bad(error, WS_E_INVALID_OPERATION, "%s: the message is not being read", "WsReadMessageEnd");
    message->state = WS_MESSAGE_STATE_DONE;
    return S_OK;
}

/* ---- close, abort, free ------------------------------------------------------ */
HRESULT WINAPI WsCloseChannel(WS_CHANNEL *channel, const WS_ASYNC_CONTEXT *asyncContext, WS_ERROR *error)
{
    (void)asyncContext;
    if (!channel) return bad(error, E_INVALIDARG, "%s: NULL channel", "WsCloseChannel");
    if (channel->state == WS_CHANNEL_STATE_CLOSED) return S_OK;
    if (channel->listener) {
        ntcp__wws_listener_close_channel(channel);
        channel->state = WS_CHANNEL_STATE_CLOSED;
        return S_OK;
    }
    if (channel->state == WS_CHANNEL_STATE_FAULTED) {
        if (channel->client) ntcp_client_abort(channel->client);
        channel->client = NULL;
        channel->state = WS_CHANNEL_STATE_CLOSED;
        return bad(error, WS_E_OBJECT_FAULTED, "%s: the channel had faulted; it was aborted", "WsCloseChannel");
    }
    HRESULT hr = S_OK;
    if (channel->client) {
        ntcp_status st = ntcp_client_close(channel->client); /* frees it either way */
        channel->client = NULL;
        if (st != NTCP_OK) {
            ntcp_error e;
            ntcp_error_clear(&e);
            ntcp_error_set(&e, st, ntcp_cause_of_status(st), NTCP_STEP_CLOSE, "closing the session: %s",
                           ntcp_status_str(st));
            hr = ntcp__wws_fail_error(error, ntcp__wws_hresult(&e), &e);
        }
    }
    channel->state = WS_CHANNEL_STATE_CLOSED;
    return hr;
}

HRESULT WINAPI WsAbortChannel(WS_CHANNEL *channel, WS_ERROR *error)
{
    if (!channel) return bad(error, E_INVALIDARG, "%s: NULL channel", "WsAbortChannel");
    if (channel->listener) ntcp__wws_listener_close_channel(channel);
    else if (channel->client) ntcp_client_abort(channel->client);
    channel->client = NULL;
    if (channel->state != WS_CHANNEL_STATE_CREATED) channel->state = WS_CHANNEL_STATE_CLOSED;
    return S_OK;
}

HRESULT WINAPI WsResetChannel(WS_CHANNEL *channel, WS_ERROR *error)
{
    if (!channel) return bad(error, E_INVALIDARG, "%s: NULL channel", "WsResetChannel");
    if (channel->state != WS_CHANNEL_STATE_CREATED && channel->state != WS_CHANNEL_STATE_CLOSED)
        return bad(error, WS_E_INVALID_OPERATION, "%s: close or abort the channel first", "WsResetChannel");
    channel->state = WS_CHANNEL_STATE_CREATED;
    return S_OK;
}

void WINAPI WsFreeChannel(WS_CHANNEL *channel)
{
    if (!channel) return;
    (void)WsAbortChannel(channel, NULL);
    ntcp__wws_security_clear(&channel->sec);
    ntcp_free(channel);
}

HRESULT WINAPI WsGetChannelProperty(WS_CHANNEL *channel, WS_CHANNEL_PROPERTY_ID id, void *value, ULONG valueSize,
                                    WS_ERROR *error)
{
    if (!channel || !value) return bad(error, E_INVALIDARG, "%s: NULL argument", "WsGetChannelProperty");
    ULONG u;
    switch (id) {
    case WS_CHANNEL_PROPERTY_STATE:
        if (valueSize != sizeof(WS_CHANNEL_STATE)) break;
        *(WS_CHANNEL_STATE *)value = channel->state;
        return S_OK;
    case WS_CHANNEL_PROPERTY_CHANNEL_TYPE:
        if (valueSize != sizeof(WS_CHANNEL_TYPE)) break;
        *(WS_CHANNEL_TYPE *)value = channel->type;
        return S_OK;
    case WS_CHANNEL_PROPERTY_MAX_BUFFERED_MESSAGE_SIZE:
        if (valueSize != sizeof(ULONG)) break;
        u = channel->max_message ? channel->max_message : 65536;
        *(ULONG *)value = u;
        return S_OK;
    case WS_CHANNEL_PROPERTY_ENCODING:
        if (valueSize != sizeof(WS_ENCODING)) break;
        *(WS_ENCODING *)value = WS_ENCODING_XML_BINARY_SESSION_1;
        return S_OK;
    default: {
        char s[16];
        snprintf(s, sizeof s, "%d", (int)id);
        return bad(error, E_NOTIMPL, "WsGetChannelProperty: channel property %s is not implemented", s);
    }
    }
    return bad(error, E_INVALIDARG, "%s: valueSize does not match the property", "WsGetChannelProperty");
}
