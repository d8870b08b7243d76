/* The one error type (see include/nettcp/error.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <string.h>
#include <nettcp/error.h>

static const struct {
    const char *id, *title, *advice;
} causes[] = {
#define ROW(e, id, title, advice) { id, title, advice },
    NTCP_CAUSE_LIST(ROW)
#undef ROW
};

const char *ntcp_cause_id(ntcp_cause c)
{
    return (unsigned)c < NTCP_CAUSE_COUNT ? causes[c].id : "unknown";
}

const char *ntcp_cause_title(ntcp_cause c)
{
    return (unsigned)c < NTCP_CAUSE_COUNT ? causes[c].title : causes[NTCP_CAUSE_UNKNOWN].title;
}

const char *ntcp_cause_advice(ntcp_cause c)
{
    return (unsigned)c < NTCP_CAUSE_COUNT ? causes[c].advice : causes[NTCP_CAUSE_UNKNOWN].advice;
}

ntcp_cause ntcp_cause_from_id(const char *id)
{
    for (unsigned i = 0; id && i < NTCP_CAUSE_COUNT; i++)
        if (!strcmp(causes[i].id, id))
            return (ntcp_cause)i;
    return NTCP_CAUSE_UNKNOWN;
}

ntcp_cause ntcp_cause_of_status(ntcp_status st)
{
    switch ((int)st) {
    case NTCP_OK:
    case NTCP_AGAIN: return NTCP_CAUSE_NONE;
    case NTCP_E_NOMEM: return NTCP_CAUSE_OUT_OF_MEMORY;
    case NTCP_E_UNSUPPORTED: return NTCP_CAUSE_UNSUPPORTED;
    case NTCP_E_XML_SYNTAX: return NTCP_CAUSE_XML_SYNTAX_ERROR;
    case NTCP_E_RESOLVE: return NTCP_CAUSE_HOST_UNKNOWN;
    case NTCP_E_CONNECTION_REFUSED: return NTCP_CAUSE_CONNECTION_REFUSED;
    case NTCP_E_CONNECTION_RESET:
    case NTCP_E_CLOSED: return NTCP_CAUSE_CONNECTION_RESET;
    case NTCP_E_TIMEOUT: return NTCP_CAUSE_TIMEOUT;
    case NTCP_E_ENDPOINT_NOT_FOUND:
    case NTCP_E_ENDPOINT_UNAVAILABLE: return NTCP_CAUSE_ENDPOINT_NOT_FOUND;
    case NTCP_E_CONTENT_TYPE_INVALID: return NTCP_CAUSE_ENCODING_REFUSED;
    case NTCP_E_UNSUPPORTED_MODE: return NTCP_CAUSE_MODE_REFUSED;
    case NTCP_E_UPGRADE_INVALID:
    case NTCP_E_UPGRADE_REQUIRED: return NTCP_CAUSE_SECURITY_MODE_MISMATCH;
    case NTCP_E_ACCESS_DENIED: return NTCP_CAUSE_ENDPOINT_ACCESS_DENIED;
    case NTCP_E_SERVER_TOO_BUSY: return NTCP_CAUSE_SERVER_TOO_BUSY;
    case NTCP_E_UNSUPPORTED_VERSION: return NTCP_CAUSE_VERSION_REFUSED;
    case NTCP_E_FAULT: return NTCP_CAUSE_FAULT_RECEIVED;
    case NTCP_E_PROTECTION_NOT_GRANTED: return NTCP_CAUSE_PROTECTION_NOT_GRANTED;
    case NTCP_E_SERVER_AUTH_REQUIRED: return NTCP_CAUSE_NTLM_WITHOUT_SERVER_AUTH;
    case NTCP_E_ANONYMOUS_REFUSED: return NTCP_CAUSE_ANONYMOUS_REFUSED;
    case NTCP_E_IDENTITY_MISMATCH: return NTCP_CAUSE_IDENTITY_MISMATCH;
    case NTCP_E_MESSAGE_ALTERED: return NTCP_CAUSE_MESSAGE_ALTERED;
    case NTCP_E_NO_CREDENTIALS: return NTCP_CAUSE_NO_CREDENTIALS;
    case NTCP_E_CREDENTIALS_REJECTED: return NTCP_CAUSE_BAD_PASSWORD;
    case NTCP_E_PACKAGE_NOT_ALLOWED: return NTCP_CAUSE_PACKAGE_MISMATCH;
    default: break;
    }
    switch (ntcp_status_category(st)) {
    case NTCP_CAT_USAGE: return NTCP_CAUSE_INVALID_ARGUMENT;
    case NTCP_CAT_RESOURCE: return NTCP_CAUSE_OUT_OF_MEMORY;
    case NTCP_CAT_IO: return NTCP_CAUSE_IO_ERROR;
    case NTCP_CAT_TIMEOUT: return NTCP_CAUSE_TIMEOUT;
    case NTCP_CAT_PROTOCOL: return NTCP_CAUSE_PROTOCOL;
    case NTCP_CAT_QUOTA: return NTCP_CAUSE_QUOTA_EXCEEDED;
    case NTCP_CAT_FAULT: return NTCP_CAUSE_FAULT_RECEIVED;
    default: return NTCP_CAUSE_UNKNOWN;
    }
}

const char *ntcp_channel_step_name(ntcp_channel_step s)
{
    static const char *const n[] = { "resolve", "connect", "preamble", "upgrade",  "handshake", "preamble_ack",
                                     "send",    "receive", "close",    "options",  "listen",    "accept",
                                     "dispatch", "decode", "none" };
    return (unsigned)s < sizeof n / sizeof n[0] ? n[s] : "unknown";
}

/* what ntcp_error_clear leaves alone is the strings' room */
_Static_assert(sizeof(ntcp_nns_error) - offsetof(ntcp_nns_error, target) < 256 + 16 + 384 + 256 + 8,
               "only target, mech, gss_text and detail follow target");
_Static_assert(sizeof(ntcp_error) - offsetof(ntcp_error, text) < 2048 + 8, "text is the last field");

void ntcp_error_clear(ntcp_error *e)
{
    if (!e)
        return;
    /* the fields, and each string emptied (not the 3 KB of their room:
     * cleared on every call) */
    memset(e, 0, offsetof(ntcp_error, nns) + offsetof(ntcp_nns_error, target));
    e->nns.target[0] = e->nns.mech[0] = e->nns.gss_text[0] = e->nns.detail[0] = e->text[0] = 0;
    e->cause = NTCP_CAUSE_NONE;
    e->step = NTCP_STEP_NONE;
    e->offset = -1;
    e->nns.krb5_error = -1;
}

ntcp_status ntcp_error_set(ntcp_error *e, ntcp_status st, ntcp_cause cause, ntcp_channel_step step, const char *fmt,
                           ...)
{
    if (!e)
        return st;
    e->status = st;
    e->cause = cause;
    e->step = step;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->text, sizeof e->text, fmt, ap);
    va_end(ap);
    return st;
}

const char *ntcp_error_id(const ntcp_error *e) { return ntcp_cause_id(e ? e->cause : NTCP_CAUSE_NONE); }
const char *ntcp_error_title(const ntcp_error *e) { return ntcp_cause_title(e ? e->cause : NTCP_CAUSE_NONE); }
const char *ntcp_error_advice(const ntcp_error *e) { return ntcp_cause_advice(e ? e->cause : NTCP_CAUSE_NONE); }
const char *ntcp_error_text(const ntcp_error *e) { return e ? e->text : ""; }

void ntcp_error_format(const ntcp_error *e, char *out, size_t cap)
{
    if (!out || !cap)
        return;
    if (!e || e->status == NTCP_OK) {
        snprintf(out, cap, "no error");
        return;
    }
    const char *adv = ntcp_error_advice(e);
    snprintf(out, cap, "%s; cause: %s%s%s", e->text, ntcp_error_id(e), *adv ? "\nadvice: " : "", adv);
}
