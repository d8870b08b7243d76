/* MS-NNS initiator and acceptor state machines (PROTOCOLS 2.2-2.7), sans-I/O.
 * GSSAPI is reached only through an ntcp_nns_provider. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <nettcp/negotiate.h>
#include "negotiate/nns_int.h"

/* GSS flag values (RFC 2744; IDENTIFY from gssapi_ext.h) -- kept here so the
 * state machine does not depend on a GSSAPI header. */
#define F_DELEG 0x1u
#define F_MUTUAL 0x2u
#define F_REPLAY 0x4u
#define F_SEQUENCE 0x8u
#define F_CONF 0x10u
#define F_INTEG 0x20u
#define F_ANON 0x40u
#define F_IDENTIFY 0x2000u
#define F_DELEG_POLICY 0x8000u

enum nns_state { ST_NEW, ST_HANDSHAKE, ST_DATA, ST_FAILED };
#define NNS_ERRTEXT 2048

struct ntcp_nns {
    bool initiator;
    ntcp_nns_options o;
    char *strs[8]; /* owned copies of the option strings */
    const ntcp_nns_provider *p;
    void *cred, *ctx;
    enum nns_state st;
    bool local_done, peer_done;
    unsigned legs_in, legs_out;
    ntcp_buf in;      /* one partial handshake message or data frame */
    ntcp_buf scratch; /* send_parts: the head joined with the start of the body */
    ntcp_buf tok;     /* token from init/accept */
    ntcp_nns_target target;
    char target_buf[256];
    ntcp_protection data_prot;
    ntcp_package pkg;
    int32_t enctype;
    ntcp_nns_error err;
    ntcp_nns_result res;
    bool service_pending; /* an acceptor's res.service is asked of the provider when first read */
    char *errtext; /* ntcp_nns_last_error's text, made on first use (a session that works never needs it) */
    ntcp_nns_leg_cb leg_cb;
    void *leg_ctx;
    ntcp_status (*start_hook)(void *ctx);
    void *start_ctx;
};

void ntcp_nns_set_start_hook(ntcp_nns *n, ntcp_status (*hook)(void *ctx), void *ctx)
{
    n->start_hook = hook;
    n->start_ctx = ctx;
}

void ntcp_nns_set_leg_cb(ntcp_nns *n, ntcp_nns_leg_cb cb, void *ctx)
{
    n->leg_cb = cb;
    n->leg_ctx = ctx;
}


static void observe(const ntcp_nns *n, bool sent, uint8_t id, size_t len)
{
    if (n->leg_cb)
        n->leg_cb(n->leg_ctx, sent, id, len);
}

static char *dup_opt(ntcp_nns *n, int i, const char *s)
{
    if (!s)
        return NULL;
    n->strs[i] = ntcp_strndup(s, strlen(s));
    return n->strs[i];
}

void ntcp_nns_limits_init(ntcp_nns_limits *l)
{
    memset(l, 0, sizeof *l);
    l->max_token = 0xFFFF;
    l->max_legs = 16;
    l->max_frame = 65536;
}

void ntcp_nns_options_init(ntcp_nns_options *o)
{
    memset(o, 0, sizeof *o);
    o->package = NTCP_PACKAGE_NEGOTIATE;
    o->protection = NTCP_PROTECTION_ENCRYPT_AND_SIGN;
    o->require_server_auth = true;
    o->allowed_impersonation = NTCP_IMPERSONATION_IDENTIFICATION;
    ntcp_nns_limits_init(&o->limits);
}

static ntcp_status nns_new(ntcp_nns **out, const ntcp_nns_options *o, const ntcp_nns_provider *p, bool initiator)
{
    if (!out || !o || !p)
        return NTCP_E_INVALID_ARG;
    ntcp_nns *n = ntcp_calloc(1, sizeof *n);
    if (!n)
        return NTCP_E_NOMEM;
    n->initiator = initiator;
    n->o = *o;
    n->p = p;
    if ((o->identity && !dup_opt(n, 0, o->identity)) || (o->address_host && !dup_opt(n, 1, o->address_host)) ||
        (o->user && !dup_opt(n, 2, o->user)) || (o->password && !dup_opt(n, 3, o->password)) ||
        (o->client_keytab && !dup_opt(n, 4, o->client_keytab)) || (o->ccache && !dup_opt(n, 5, o->ccache)) ||
        (o->keytab && !dup_opt(n, 6, o->keytab)) || (o->acceptor_name && !dup_opt(n, 7, o->acceptor_name))) {
        ntcp_nns_free(n);
        return NTCP_E_NOMEM;
    }
    n->o.identity = n->strs[0];
    n->o.address_host = n->strs[1];
    n->o.user = n->strs[2];
    n->o.password = n->strs[3];
    n->o.client_keytab = n->strs[4];
    n->o.ccache = n->strs[5];
    n->o.keytab = n->strs[6];
    n->o.acceptor_name = n->strs[7];
    if (!n->o.limits.max_token || n->o.limits.max_token > NTCP_NNS_MAX_HANDSHAKE_PAYLOAD)
        n->o.limits.max_token = NTCP_NNS_MAX_HANDSHAKE_PAYLOAD;
    if (!n->o.limits.max_frame || n->o.limits.max_frame > NTCP_NNS_MAX_READ_FRAME)
        n->o.limits.max_frame = NTCP_NNS_MAX_READ_FRAME;
    if (!n->o.limits.max_legs)
        n->o.limits.max_legs = 16;
    ntcp_buf_init(&n->in, NTCP_NNS_DATA_HEADER + NTCP_NNS_MAX_READ_FRAME + 1);
    ntcp_buf_init(&n->scratch, NTCP_NNS_MAX_READ_FRAME + 1);
    ntcp_buf_init(&n->tok, NTCP_NNS_MAX_HANDSHAKE_PAYLOAD + 1);
    n->err.krb5_error = -1;
    n->leg_cb = o->leg_cb;
    n->leg_ctx = o->leg_ctx;
    /* with a user name the anonymous option has no effect: a logon as that user */
    n->err.anonymous = o->anonymous && !o->user;
    *out = n;
    return NTCP_OK;
}

ntcp_status ntcp_nns_new_initiator(ntcp_nns **n, const ntcp_nns_options *o, const ntcp_nns_provider *p)
{
    return nns_new(n, o, p, true);
}

ntcp_status ntcp_nns_new_acceptor(ntcp_nns **n, const ntcp_nns_options *o, const ntcp_nns_provider *p)
{
    return nns_new(n, o, p, false);
}

void ntcp_nns_free(ntcp_nns *n)
{
    if (!n)
        return;
    if (n->ctx && n->p->free_ctx)
        n->p->free_ctx(n->p->self, n->ctx);
    if (n->cred && n->p->free_cred)
        n->p->free_cred(n->p->self, n->cred);
    for (size_t i = 0; i < sizeof n->strs / sizeof n->strs[0]; i++) {
        if (n->strs[i]) {
            /* the password (and everything else) is wiped before release */
            volatile char *v = n->strs[i];
            for (size_t k = 0; v[k]; k++)
                v[k] = 0;
            ntcp_free(n->strs[i]);
        }
    }
    ntcp_buf_free(&n->in);
    if (n->scratch.data)
        memset(n->scratch.data, 0, n->scratch.cap);
    ntcp_buf_free(&n->scratch);
    ntcp_buf_free(&n->tok);
    ntcp_free(n->errtext);
    ntcp_free(n);
}

/* ---- failure bookkeeping -------------------------------------------------- */
static ntcp_status vfail(ntcp_nns *n, ntcp_status st, ntcp_nns_step step, const char *fmt, va_list ap)
{
    n->st = ST_FAILED;
    n->err.status = st;
    if (step != NTCP_NNS_STEP_NONE)
        n->err.step = step;
    if (fmt)
        vsnprintf(n->err.detail, sizeof n->err.detail, fmt, ap);
    snprintf(n->err.target, sizeof n->err.target, "%s", n->target_buf);
    return st;
}

static ntcp_status fail(ntcp_nns *n, ntcp_status st, ntcp_nns_step step, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(n, st, step, fmt, ap);
    va_end(ap);
    return st;
}

/* A local failure the peer should hear about: HandshakeError with a code a
 * Windows peer understands (PROTOCOLS 2.3, 8). */
static ntcp_status fail_and_tell(ntcp_nns *n, ntcp_buf *out, ntcp_status st, ntcp_nns_step step, const char *fmt,
                                 ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(n, st, step, fmt, ap);
    va_end(ap);
    if (out && ntcp_nns_put_error(out, ntcp_nns_wire_code(&n->err)) != NTCP_OK)
        snprintf(n->err.detail + strlen(n->err.detail), sizeof n->err.detail - strlen(n->err.detail),
                 "%s(the HandshakeError could not be queued)", n->err.detail[0] ? " " : "");
    else if (out)
        observe(n, true, NTCP_NNS_HANDSHAKE_ERROR, 8);
    return st;
}

/* Provider failure: the provider filled major/minor/gss_text. */
static ntcp_status provider_failed(ntcp_nns *n, ntcp_buf *out, ntcp_status st, ntcp_nns_step step)
{
    if (st == NTCP_OK || st == NTCP_AGAIN)
        st = NTCP_E_AUTH_FAILED;
    n->err.leg = (step == NTCP_NNS_STEP_INIT || step == NTCP_NNS_STEP_ACCEPT) ? n->legs_out + 1 : 0;
    return fail_and_tell(n, out, st, step, NULL);
}

/* ---- protection ------------------------------------------------------------ */
static uint32_t client_flags(const ntcp_nns_options *o)
{
    uint32_t f = 0;
    /* PROTOCOLS 2.6 */
    if (o->protection == NTCP_PROTECTION_ENCRYPT_AND_SIGN)
        f |= F_CONF | F_INTEG | F_SEQUENCE | F_REPLAY;
    else if (o->protection == NTCP_PROTECTION_SIGN)
        f |= F_INTEG | F_SEQUENCE | F_REPLAY;
    if (o->protection != NTCP_PROTECTION_NONE)
        f |= F_MUTUAL;
    if (o->allowed_impersonation == NTCP_IMPERSONATION_IDENTIFICATION)
        f |= F_IDENTIFY;
    else if (o->allowed_impersonation == NTCP_IMPERSONATION_DELEGATION)
        f |= F_DELEG_POLICY; /* as Windows: only to a service trusted for delegation (ok-as-delegate) */
    if (o->anonymous)
        f |= F_ANON;
    return f;
}

static ntcp_protection negotiated_protection(uint32_t flags)
{
    if (flags & F_CONF)
        return NTCP_PROTECTION_ENCRYPT_AND_SIGN;
    if (flags & F_INTEG)
        return NTCP_PROTECTION_SIGN;
    return NTCP_PROTECTION_NONE;
}

/* Called when the local context completed: fill the result and check what
 * WCF checks (PROTOCOLS 2.6, 2.7). Returns NTCP_OK or a failure already
 * recorded (with a HandshakeError in out when the peer should hear it). */
static ntcp_status on_complete(ntcp_nns *n, ntcp_buf *out)
{
    ntcp_nns_info info;
    memset(&info, 0, sizeof info);
    ntcp_status s = n->p->inquire(n->p->self, n->ctx, &info, &n->err);
    if (s)
        return provider_failed(n, out, s, n->initiator ? NTCP_NNS_STEP_INIT : NTCP_NNS_STEP_ACCEPT);
    ntcp_nns_result *r = &n->res;
    r->package = info.package;
    r->flags = info.flags;
    r->protection = negotiated_protection(info.flags);
    r->mutual = info.package == NTCP_PACKAGE_KERBEROS && (info.flags & F_MUTUAL);
    r->anonymous = info.anonymous || (info.flags & F_ANON);
    r->delegated = info.delegated;
    snprintf(r->client, sizeof r->client, "%s", info.client);
    snprintf(r->service, sizeof r->service, "%s", info.service);
    n->service_pending = !n->initiator && n->p->service_name && !info.service[0];
    snprintf(r->target, sizeof r->target, "%s", n->target_buf);
    r->session_key_size = info.session_key_size;
    r->enctype = info.enctype;
    r->name_form = info.name_form;
    n->pkg = info.package;
    n->enctype = info.enctype;
    n->data_prot = r->protection;
    snprintf(n->err.mech, sizeof n->err.mech, "%s", ntcp_package_name(info.package));
    if (n->initiator) {
        r->impersonation = n->o.allowed_impersonation;
        if (n->o.require_server_auth && !r->mutual) {
            /* WWSAPI REQUIRE_SERVER_AUTH / WCF AllowNtlm=false: refuse before
             * sending the last token, so nothing more reaches an
             * unauthenticated server. */
            return fail(n, NTCP_E_SERVER_AUTH_REQUIRED, NTCP_NNS_STEP_POLICY,
                        "%s was negotiated and did not authenticate the server", ntcp_package_name(info.package));
        }
    } else {
        if (info.flags & F_DELEG)
            r->impersonation = NTCP_IMPERSONATION_DELEGATION;
        else if (r->anonymous)
            r->impersonation = NTCP_IMPERSONATION_ANONYMOUS;
        else if (info.flags & F_IDENTIFY)
            r->impersonation = NTCP_IMPERSONATION_IDENTIFICATION;
        else
            r->impersonation = NTCP_IMPERSONATION_IMPERSONATION;
        if (r->anonymous && !n->o.allow_anonymous_clients)
            return fail_and_tell(n, out, NTCP_E_ANONYMOUS_REFUSED, NTCP_NNS_STEP_POLICY,
                                 "the client logged on anonymously");
        /* a service bound to one package refuses the other (Negotiate accepts both) */
        if (n->o.package != NTCP_PACKAGE_NEGOTIATE && info.package != n->o.package)
            return fail_and_tell(n, out, NTCP_E_PACKAGE_NOT_ALLOWED, NTCP_NNS_STEP_POLICY,
                                 "the client authenticated with %s; this service accepts %s only",
                                 ntcp_package_name(info.package), ntcp_package_name(n->o.package));
    }
    if (r->protection < n->o.protection)
        return fail_and_tell(n, out, NTCP_E_PROTECTION_NOT_GRANTED, NTCP_NNS_STEP_POLICY,
                             "required %s, negotiated %s", ntcp_protection_name(n->o.protection),
                             ntcp_protection_name(r->protection));
    return NTCP_OK;
}

static ntcp_status become_established(ntcp_nns *n)
{
    if (n->initiator && n->res.mutual && n->res.service[0] &&
        !ntcp_krb_name_matches(n->target_buf, n->target.is_upn, n->res.service))
        return fail(n, NTCP_E_IDENTITY_MISMATCH, NTCP_NNS_STEP_IDENTITY, "expected %s, the server authenticated as %s",
                    n->target_buf, n->res.service);
    n->res.legs = n->legs_in + n->legs_out;
    n->st = ST_DATA;
    ntcp_buf_free(&n->tok); /* framed already; an idle session keeps no handshake buffers */
    return NTCP_OK;
}

static ntcp_status send_token(ntcp_nns *n, ntcp_buf *out, bool complete)
{
    ntcp_status s = ntcp_nns_put_handshake(out, complete ? NTCP_NNS_HANDSHAKE_DONE : NTCP_NNS_HANDSHAKE_IN_PROGRESS,
                                           n->tok.data, n->tok.len);
    if (s)
        return fail(n, s, NTCP_NNS_STEP_HANDSHAKE, "cannot frame a %zu-byte token", n->tok.len);
    n->legs_out++;
    observe(n, true, complete ? NTCP_NNS_HANDSHAKE_DONE : NTCP_NNS_HANDSHAKE_IN_PROGRESS, n->tok.len);
    return NTCP_OK;
}

/* ---- initiator --------------------------------------------------------------- */
static ntcp_status init_step(ntcp_nns *n, const uint8_t *in, size_t in_len, ntcp_buf *out)
{
    bool complete = false;
    ntcp_buf_reset(&n->tok);
    ntcp_status s = n->p->init(n->p->self, n->cred, &n->ctx, &n->o, &n->target, client_flags(&n->o), in, in_len,
                               &n->tok, &complete, &n->err);
    if (s)
        return provider_failed(n, out, s, NTCP_NNS_STEP_INIT);
    if (complete) {
        n->local_done = true;
        s = on_complete(n, out);
        if (s)
            return s;
        if (n->tok.len)
            s = send_token(n, out, true);
    } else {
        if (n->peer_done)
            return fail(n, NTCP_E_NNS_UNEXPECTED, NTCP_NNS_STEP_HANDSHAKE,
                        "the server finished (0x14) but the client's context needs more");
        s = send_token(n, out, false);
    }
    if (s)
        return s;
    if (n->local_done && n->peer_done)
        return become_established(n);
    return NTCP_OK;
}

ntcp_status ntcp_nns_start(ntcp_nns *n, ntcp_buf *out)
{
    if (!n || !n->initiator || n->st != ST_NEW)
        return NTCP_E_STATE;
    n->st = ST_HANDSHAKE;
    if (n->start_hook) {
        ntcp_status h = n->start_hook(n->start_ctx);
        if (h)
            return fail(n, h, NTCP_NNS_STEP_OPTIONS, "stopped before the handshake by the caller");
    }
    ntcp_status s = ntcp_nns_target_name(n->o.identity, n->o.address_host, n->target_buf, sizeof n->target_buf,
                                         &n->target.is_upn);
    if (s)
        return fail(n, NTCP_E_INVALID_ARG, NTCP_NNS_STEP_OPTIONS,
                    "the endpoint identity must be dns:NAME, spn:VALUE, upn:user@suffix or none (with an address host)");
    n->target.name = n->target_buf;
    n->err.default_target = !n->o.identity || !*n->o.identity || !strcmp(n->o.identity, "none") ||
                            !strncmp(n->o.identity, "dns:", 4);
    /* ProtectionLevel None forces raw NTLM (PROTOCOLS 2.2) */
    n->err.ntlm_forced = n->o.protection == NTCP_PROTECTION_NONE && n->o.package != NTCP_PACKAGE_NTLM;
    if ((n->o.package == NTCP_PACKAGE_NTLM || n->o.protection == NTCP_PROTECTION_NONE) && n->o.require_server_auth)
        return fail(n, NTCP_E_SERVER_AUTH_REQUIRED, NTCP_NNS_STEP_OPTIONS,
                    n->err.ntlm_forced ? "ProtectionLevel None forces NTLM, which cannot authenticate the server"
                                       : "the package is NTLM, which cannot authenticate the server");
    s = n->p->acquire(n->p->self, &n->o, true, &n->cred, &n->err);
    if (s)
        return provider_failed(n, out, s, NTCP_NNS_STEP_ACQUIRE);
    return init_step(n, NULL, 0, out);
}

/* ---- acceptor ----------------------------------------------------------------- */
static ntcp_status accept_step(ntcp_nns *n, const uint8_t *in, size_t in_len, ntcp_buf *out)
{
    ntcp_status s;
    if (!n->cred && !n->ctx) {
        s = n->p->acquire(n->p->self, &n->o, false, &n->cred, &n->err);
        if (s)
            return provider_failed(n, out, s, NTCP_NNS_STEP_ACQUIRE);
    }
    bool complete = false;
    ntcp_buf_reset(&n->tok);
    s = n->p->accept(n->p->self, n->cred, &n->ctx, in, in_len, &n->tok, &complete, &n->err);
    if (s)
        return provider_failed(n, out, s, NTCP_NNS_STEP_ACCEPT);
    if (!complete)
        return send_token(n, out, false);
    n->local_done = true;
    s = on_complete(n, out);
    if (s)
        return s;
    /* PROTOCOLS 2.2: the server sends 0x14 on completion, even with no token. */
    s = send_token(n, out, true);
    if (s)
        return s;
    return become_established(n);
}

/* ---- handshake messages -------------------------------------------------------- */
static ntcp_status on_handshake(ntcp_nns *n, const ntcp_nns_handshake *m, ntcp_buf *out)
{
    observe(n, false, m->id, m->len);
    if (++n->legs_in > n->o.limits.max_legs)
        return fail(n, NTCP_E_NNS_TOO_MANY_LEGS, NTCP_NNS_STEP_HANDSHAKE, "more than %u handshake messages",
                    n->o.limits.max_legs);
    if (m->id == NTCP_NNS_HANDSHAKE_ERROR) {
        /* PROTOCOLS 2.3 */
        uint32_t code = 0;
        bool be = true;
        n->err.remote = true;
        if (!ntcp_nns_error_code(m->payload, m->len, &code, &be))
            return fail(n, NTCP_E_AUTH_REMOTE, NTCP_NNS_STEP_REMOTE, "the peer sent HandshakeError without a code");
        n->err.remote_code = code;
        ntcp_status st = code == NTCP_SEC_E_LOGON_DENIED        ? NTCP_E_CREDENTIALS_REJECTED
                         : code == NTCP_WIN_ERROR_TRUST_FAILURE ? NTCP_E_PROTECTION_NOT_GRANTED
                         : code == NTCP_SEC_E_NO_CREDENTIALS || code == NTCP_SEC_E_UNKNOWN_CREDENTIALS
                             ? NTCP_E_NO_CREDENTIALS
                             : NTCP_E_AUTH_REMOTE;
        return fail(n, st, NTCP_NNS_STEP_REMOTE, "the peer sent HandshakeError 0x%08X (%s byte order)", code,
                    be ? "big-endian" : "little-endian");
    }
    /* An empty token where the context needs one (every acceptor leg; an
     * initiator whose context is not complete): no mechanism is asked to
     * read nothing (MIT's SPNEGO would dereference the missing token). */
    if (m->len == 0 && (!n->initiator || !n->local_done))
        return fail_and_tell(n, out, NTCP_E_MALFORMED, NTCP_NNS_STEP_HANDSHAKE,
                             "the %s sent an empty security token (0x%02X) where the handshake needs one",
                             n->initiator ? "server" : "client", m->id);
    if (n->initiator) {
        if (m->id == NTCP_NNS_HANDSHAKE_DONE) {
            n->peer_done = true;
            if (n->local_done) /* .NET accepts it and ignores its token */
                return become_established(n);
            return init_step(n, m->payload, m->len, out);
        }
        if (n->local_done)
            return fail(n, NTCP_E_NNS_UNEXPECTED, NTCP_NNS_STEP_HANDSHAKE,
                        "HandshakeInProgress after the client's context completed");
        return init_step(n, m->payload, m->len, out);
    }
    /* acceptor: 0x16 or 0x14 (a client completing on its last token) */
    if (m->id == NTCP_NNS_HANDSHAKE_DONE)
        n->peer_done = true;
    return accept_step(n, m->payload, m->len, out);
}

/* ---- data phase ------------------------------------------------------------------ */
/* The payload is read where it lies (the provider reads `in` only). */
static ntcp_status unprotect(ntcp_nns *n, const uint8_t *tok, size_t len, ntcp_buf *plain)
{
    ntcp_status s;
    if (n->data_prot == NTCP_PROTECTION_ENCRYPT_AND_SIGN) {
        bool conf = false;
        s = n->p->unwrap(n->p->self, n->ctx, tok, len, plain, &conf, &n->err);
        if (s)
            return fail(n, s == NTCP_E_NOMEM || s == NTCP_E_LIMIT ? s : NTCP_E_MESSAGE_ALTERED, NTCP_NNS_STEP_UNWRAP,
                        "a %zu-byte data frame did not unwrap", len);
        if (!conf)
            return fail(n, NTCP_E_PROTECTION_NOT_GRANTED, NTCP_NNS_STEP_UNWRAP,
                        "a data frame arrived signed but not encrypted while EncryptAndSign is in use");
        return NTCP_OK;
    }
    /* Sign: [MIC][plaintext] (PROTOCOLS 2.5) */
    size_t ml = ntcp_nns_mic_length(n->pkg, n->enctype, tok, len);
    if (!ml)
        return fail(n, NTCP_E_MALFORMED, NTCP_NNS_STEP_UNWRAP, "a signed data frame does not start with a MIC token");
    s = n->p->verify_mic(n->p->self, n->ctx, tok + ml, len - ml, tok, ml, &n->err);
    if (s)
        return fail(n, NTCP_E_MESSAGE_ALTERED, NTCP_NNS_STEP_UNWRAP, "a signed data frame failed verification");
    s = ntcp_buf_append(plain, tok + ml, len - ml);
    if (s)
        return fail(n, s, NTCP_NNS_STEP_UNWRAP, NULL);
    return NTCP_OK;
}

static bool framed(const ntcp_nns *n)
{
    return n->st != ST_DATA || n->data_prot != NTCP_PROTECTION_NONE;
}

/* Size of the unit (handshake message or data frame) at p, or AGAIN/error. */
static ntcp_status unit_size(ntcp_nns *n, const uint8_t *p, size_t len, size_t *size)
{
    if (n->st == ST_DATA) {
        size_t pl = 0;
        ntcp_status s = ntcp_nns_decode_data_header(p, len, n->o.limits.max_frame, &pl);
        if (s == NTCP_OK)
            *size = NTCP_NNS_DATA_HEADER + pl;
        return s;
    }
    if (len < NTCP_NNS_HANDSHAKE_HEADER) {
        /* a partial header: AGAIN, or a bad id judged from the first byte */
        ntcp_nns_handshake m;
        size_t used;
        return ntcp_nns_decode_handshake(p, len, n->o.limits.max_token, &m, &used);
    }
    ntcp_nns_handshake m;
    size_t used;
    ntcp_status s = ntcp_nns_decode_handshake(p, NTCP_NNS_HANDSHAKE_HEADER, n->o.limits.max_token, &m, &used);
    if (s == NTCP_OK || s == NTCP_AGAIN) {
        *size = NTCP_NNS_HANDSHAKE_HEADER + ((size_t)p[3] << 8 | p[4]);
        return NTCP_OK;
    }
    return s;
}

static ntcp_status process_unit(ntcp_nns *n, const uint8_t *p, size_t size, ntcp_buf *plain, ntcp_buf *out)
{
    if (n->st == ST_DATA)
        return unprotect(n, p + NTCP_NNS_DATA_HEADER, size - NTCP_NNS_DATA_HEADER, plain);
    ntcp_nns_handshake m;
    size_t used;
    ntcp_status s = ntcp_nns_decode_handshake(p, size, n->o.limits.max_token, &m, &used);
    if (s)
        return fail(n, s == NTCP_AGAIN ? NTCP_E_TRUNCATED : s, NTCP_NNS_STEP_HANDSHAKE, NULL);
    return on_handshake(n, &m, out);
}

static ntcp_status unit_error(ntcp_nns *n, ntcp_status s, const uint8_t *p, size_t len)
{
    if (s == NTCP_E_NNS_FRAME_SIZE)
        return fail(n, s, NTCP_NNS_STEP_UNWRAP, "data frame length %u is outside 5..%zu",
                    (unsigned)(p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24), n->o.limits.max_frame);
    if (s == NTCP_E_NNS_MESSAGE_ID)
        return fail(n, s, NTCP_NNS_STEP_HANDSHAKE, "handshake message id 0x%02X", p[0]);
    if (s == NTCP_E_NNS_TOKEN_TOO_LARGE)
        return fail(n, s, NTCP_NNS_STEP_HANDSHAKE, "a %u-byte token exceeds the limit of %zu",
                    (unsigned)(len >= 5 ? (p[3] << 8 | p[4]) : 0), n->o.limits.max_token);
    return fail(n, s, NTCP_NNS_STEP_HANDSHAKE, NULL);
}

ntcp_status ntcp_nns_recv(ntcp_nns *n, const uint8_t *raw, size_t len, size_t *consumed, ntcp_buf *plain,
                          ntcp_buf *out)
{
    if (consumed)
        *consumed = 0;
    if (!n || (len && !raw) || !consumed || !plain || !out)
        return NTCP_E_INVALID_ARG;
    if (n->st == ST_FAILED)
        return n->err.status;
    if (n->st == ST_NEW) {
        if (n->initiator)
            return NTCP_E_STATE;
        n->st = ST_HANDSHAKE;
    }
    size_t pos = 0, plain0 = plain->len, out0 = out->len;
    ntcp_status s = NTCP_OK;
    while (pos < len || (n->in.len && n->st != ST_FAILED)) {
        if (n->st == ST_FAILED)
            break;
        if (!framed(n)) {
            /* ProtectionLevel None: no framing at all (MS-NNS 2.2.2) */
            if (n->in.len) {
                s = ntcp_buf_append(plain, n->in.data, n->in.len);
                ntcp_buf_reset(&n->in);
            }
            if (!s && pos < len)
                s = ntcp_buf_append(plain, raw + pos, len - pos);
            if (s)
                return fail(n, s, NTCP_NNS_STEP_UNWRAP, NULL);
            pos = len;
            break;
        }
        size_t size = 0;
        if (n->in.len == 0) {
            s = unit_size(n, raw + pos, len - pos, &size);
            if (s == NTCP_OK && size <= len - pos) {
                s = process_unit(n, raw + pos, size, plain, out);
                pos += size;
                if (s)
                    break;
                continue;
            }
            if (s != NTCP_OK && s != NTCP_AGAIN) {
                s = unit_error(n, s, raw + pos, len - pos);
                break;
            }
            /* incomplete: keep what there is (bounded by the unit size) */
            s = ntcp_buf_append(&n->in, raw + pos, len - pos);
            if (s) {
                s = fail(n, s, NTCP_NNS_STEP_HANDSHAKE, NULL);
                break;
            }
            pos = len;
            break;
        }
        s = unit_size(n, n->in.data, n->in.len, &size);
        if (s == NTCP_AGAIN) {
            if (pos == len)
                break;
            s = ntcp_buf_put_u8(&n->in, raw[pos++]); /* header bytes one at a time */
            if (s) {
                s = fail(n, s, NTCP_NNS_STEP_HANDSHAKE, NULL);
                break;
            }
            s = NTCP_OK;
            continue;
        }
        if (s) {
            s = unit_error(n, s, n->in.data, n->in.len);
            break;
        }
        size_t take = size - n->in.len;
        if (take > len - pos)
            take = len - pos;
        s = ntcp_buf_append(&n->in, raw + pos, take);
        if (s) {
            s = fail(n, s, NTCP_NNS_STEP_HANDSHAKE, NULL);
            break;
        }
        pos += take;
        if (n->in.len < size)
            break;
        s = process_unit(n, n->in.data, size, plain, out);
        ntcp_buf_reset(&n->in);
        if (s)
            break;
    }
    *consumed = pos;
    if (n->st == ST_FAILED)
        return n->err.status;
    if (s && s != NTCP_AGAIN)
        return s;
    bool produced = plain->len != plain0 || out->len != out0 || n->st == ST_DATA;
    return produced ? NTCP_OK : NTCP_AGAIN;
}

ntcp_status ntcp_nns_send(ntcp_nns *n, const uint8_t *plain, size_t len, ntcp_buf *out)
{
    if (!n || (len && !plain) || !out)
        return NTCP_E_INVALID_ARG;
    if (n->st == ST_FAILED)
        return n->err.status;
    if (n->st != ST_DATA)
        return NTCP_E_STATE;
    if (n->data_prot == NTCP_PROTECTION_NONE)
        return ntcp_buf_append(out, plain, len);
    size_t start = out->len;
    for (size_t off = 0; off < len;) {
        size_t chunk = len - off > NTCP_NNS_MAX_WRITE ? NTCP_NNS_MAX_WRITE : len - off;
        size_t hdr = out->len;
        ntcp_status s = ntcp_buf_put_u32le(out, 0); /* patched below */
        if (!s) {
            if (n->data_prot == NTCP_PROTECTION_ENCRYPT_AND_SIGN) {
                s = n->p->wrap(n->p->self, n->ctx, true, plain + off, chunk, out, &n->err);
            } else {
                s = n->p->get_mic(n->p->self, n->ctx, plain + off, chunk, out, &n->err);
                if (!s)
                    s = ntcp_buf_append(out, plain + off, chunk);
            }
        }
        size_t pl = out->len - hdr - NTCP_NNS_DATA_HEADER;
        if (!s && (pl <= NTCP_NNS_MIN_FRAME_EXCLUSIVE || pl > NTCP_NNS_MAX_READ_FRAME))
            s = NTCP_E_NNS_FRAME_SIZE;
        if (s) {
            out->len = start;
            return fail(n, s == NTCP_E_NOMEM || s == NTCP_E_LIMIT || s == NTCP_E_NNS_FRAME_SIZE ? s
                                                                                                  : NTCP_E_AUTH_FAILED,
                        NTCP_NNS_STEP_WRAP, "protecting %zu bytes failed", chunk);
        }
        out->data[hdr] = (uint8_t)pl;
        out->data[hdr + 1] = (uint8_t)(pl >> 8);
        out->data[hdr + 2] = (uint8_t)(pl >> 16);
        out->data[hdr + 3] = (uint8_t)(pl >> 24);
        off += chunk;
    }
    return NTCP_OK;
}

ntcp_status ntcp_nns_send_parts(ntcp_nns *n, const uint8_t *head, size_t head_len, const uint8_t *body,
                                size_t body_len, ntcp_buf *out)
{
    if (!n || (head_len && !head) || (body_len && !body) || !out)
        return NTCP_E_INVALID_ARG;
    if (n->st == ST_FAILED)
        return n->err.status;
    if (n->st != ST_DATA)
        return NTCP_E_STATE;
    size_t start = out->len;
    ntcp_status s;
    if (n->data_prot == NTCP_PROTECTION_NONE) {
        s = ntcp_buf_append(out, head, head_len);
        if (!s)
            s = ntcp_buf_append(out, body, body_len);
        if (s)
            out->len = start;
        return s;
    }
    if (head_len >= NTCP_NNS_MAX_WRITE) { /* a head of whole frames: each part as it is */
        s = ntcp_nns_send(n, head, head_len, out);
        if (!s && body_len)
            s = ntcp_nns_send(n, body, body_len, out);
        if (s)
            out->len = start;
        return s;
    }
    /* the first frame joins the head and the start of the body (at most one
     * frame is copied); the rest of the body is protected where it lies, in
     * the same frames a single send of head | body makes */
    size_t first = body_len < NTCP_NNS_MAX_WRITE - head_len ? body_len : NTCP_NNS_MAX_WRITE - head_len;
    ntcp_buf_reset(&n->scratch);
    s = ntcp_buf_append(&n->scratch, head, head_len);
    if (!s)
        s = ntcp_buf_append(&n->scratch, body, first);
    if (s)
        return fail(n, s, NTCP_NNS_STEP_WRAP, NULL);
    s = ntcp_nns_send(n, n->scratch.data, n->scratch.len, out);
    ntcp_buf_reset(&n->scratch);
    if (!s && body_len > first)
        s = ntcp_nns_send(n, body + first, body_len - first, out);
    if (s)
        out->len = start;
    return s;
}

bool ntcp_nns_established(const ntcp_nns *n) { return n && n->st == ST_DATA; }
bool ntcp_nns_failed(const ntcp_nns *n) { return n && n->st == ST_FAILED; }
const ntcp_nns_error *ntcp_nns_error_info(const ntcp_nns *n) { return n && n->st == ST_FAILED ? &n->err : NULL; }
const ntcp_nns_result *ntcp_nns_peek_result(const ntcp_nns *n) { return n && n->st == ST_DATA ? &n->res : NULL; }

const ntcp_nns_result *ntcp_nns_get_result(const ntcp_nns *n)
{
    if (!n || n->st != ST_DATA)
        return NULL;
    if (n->service_pending) {
        /* every ntcp_nns is allocated by nns_new, never defined const */
        ntcp_nns *m = (ntcp_nns *)n;
        m->service_pending = false;
        m->p->service_name(m->p->self, m->ctx, m->res.service, sizeof m->res.service);
    }
    return &n->res;
}

void *ntcp_nns_delegated_credential(const ntcp_nns *n)
{
    if (!n || n->initiator || n->st != ST_DATA || !n->p->delegated_cred)
        return NULL;
    return n->p->delegated_cred(n->p->self, n->ctx);
}

const char *ntcp_nns_last_error(ntcp_nns *n)
{
    if (!n || n->st != ST_FAILED)
        return NULL;
    if (!n->errtext && !(n->errtext = ntcp_malloc(NNS_ERRTEXT)))
        return "out of memory (formatting a security negotiation failure)";
    ntcp_nns_error_format(&n->err, n->errtext, NNS_ERRTEXT);
    return n->errtext;
}

/* ---- the stream interface (framing.h) ------------------------------------------ */
static ntcp_status up_start(void *ctx, ntcp_buf *out) { return ntcp_nns_start(ctx, out); }
static ntcp_status up_recv(void *ctx, const uint8_t *raw, size_t len, size_t *consumed, ntcp_buf *plain,
                           ntcp_buf *out)
{
    return ntcp_nns_recv(ctx, raw, len, consumed, plain, out);
}
static ntcp_status up_send(void *ctx, const uint8_t *plain, size_t len, ntcp_buf *out)
{
    return ntcp_nns_send(ctx, plain, len, out);
}
static ntcp_status up_send_parts(void *ctx, const uint8_t *head, size_t head_len, const uint8_t *body,
                                 size_t body_len, ntcp_buf *out)
{
    return ntcp_nns_send_parts(ctx, head, head_len, body, body_len, out);
}
static bool up_established(void *ctx) { return ntcp_nns_established(ctx); }

void ntcp_nns_error_explain(const ntcp_nns_error *ne, ntcp_error *e)
{
    ntcp_error_clear(e);
    if (!ne || !ne->status)
        return;
    char text[1500];
    ntcp_nns_error_format(ne, text, sizeof text);
    ntcp_error_set(e, ne->status, ntcp_nns_cause(ne), NTCP_STEP_HANDSHAKE, "%s", text);
    e->nns = *ne;
}

static ntcp_status up_query(void *ctx, ntcp_stream_query_what what, void *out)
{
    ntcp_nns *n = ctx;
    switch (what) {
    case NTCP_STREAM_QUERY_ERROR:
        ntcp_nns_error_explain(ntcp_nns_error_info(n), out);
        return NTCP_OK;
    case NTCP_STREAM_QUERY_SECURITY: {
        const ntcp_nns_result *r = ntcp_nns_peek_result(n); /* the peer; not the service's own name */
        if (!r)
            return NTCP_E_STATE;
        ntcp_stream_security *sec = out;
        sec->kind = "negotiate";
        sec->package = ntcp_package_name(r->package);
        sec->protection = ntcp_protection_name(r->protection);
        sec->impersonation = ntcp_impersonation_name(r->impersonation);
        sec->peer_name = n->initiator ? r->service : r->client;
        sec->mutual = r->mutual;
        sec->anonymous = r->anonymous;
        sec->delegated = r->delegated;
        return NTCP_OK;
    }
    case NTCP_STREAM_QUERY_DELEGATED_CREDENTIAL:
        *(void **)out = ntcp_nns_delegated_credential(n);
        return NTCP_OK;
    }
    return NTCP_E_UNSUPPORTED;
}

void ntcp_nns_as_stream(ntcp_nns *n, ntcp_stream *s)
{
    memset(s, 0, sizeof *s);
    s->name = NTCP_UPGRADE_NEGOTIATE;
    s->ctx = n;
    s->start = up_start;
    s->recv = up_recv;
    s->send = up_send;
    s->send_parts = up_send_parts;
    s->established = up_established;
    s->query = up_query;
}

/* ---- a stream that owns its state machine ---- */
typedef struct owned_stream {
    ntcp_stream s; /* first: the stream handed out is this one */
    ntcp_nns *n;
} owned_stream;

static void owned_destroy(ntcp_stream *s)
{
    owned_stream *u = (owned_stream *)s; /* allocated below, never anything else */
    ntcp_nns_free(u->n);
    ntcp_free(u);
}

ntcp_status ntcp_nns_stream_new(ntcp_stream **out, bool initiator, const ntcp_nns_options *o)
{
    *out = NULL;
    owned_stream *u = ntcp_calloc(1, sizeof *u);
    if (!u)
        return NTCP_E_NOMEM;
    ntcp_status st = initiator ? ntcp_nns_new_initiator(&u->n, o, ntcp_gss_provider())
                               : ntcp_nns_new_acceptor(&u->n, o, ntcp_gss_provider());
    if (st) {
        ntcp_nns_free(u->n);
        ntcp_free(u);
        return st;
    }
    ntcp_nns_as_stream(u->n, &u->s);
    u->s.destroy = owned_destroy;
    *out = &u->s;
    return NTCP_OK;
}
