/* Turning NNS/GSS failures into stable cause ids, advice, and the codes a
 * HandshakeError carries (PROTOCOLS 2.3, 8). */
#include <stdio.h>
#include <string.h>
#include <krb5/krb5.h>
#include <nettcp/negotiate.h>
#include "negotiate/nns_int.h"

#define K(code) ((long)((code) - ERROR_TABLE_BASE_krb5))

const char *ntcp_nns_step_name(ntcp_nns_step s)
{
    switch (s) {
    case NTCP_NNS_STEP_NONE: return "none";
    case NTCP_NNS_STEP_OPTIONS: return "options";
    case NTCP_NNS_STEP_ACQUIRE: return "acquire credentials";
    case NTCP_NNS_STEP_INIT: return "init";
    case NTCP_NNS_STEP_ACCEPT: return "accept";
    case NTCP_NNS_STEP_REMOTE: return "peer error";
    case NTCP_NNS_STEP_HANDSHAKE: return "handshake framing";
    case NTCP_NNS_STEP_POLICY: return "policy check";
    case NTCP_NNS_STEP_IDENTITY: return "identity check";
    case NTCP_NNS_STEP_WRAP: return "wrap";
    case NTCP_NNS_STEP_UNWRAP: return "unwrap";
    }
    return "unknown";
}

static bool key_mismatch(long k)
{
    return k == KRB5KRB_AP_ERR_MODIFIED - ERROR_TABLE_BASE_krb5 ||
           k == KRB5KRB_AP_ERR_BADKEYVER - ERROR_TABLE_BASE_krb5 || k == KRB5KRB_AP_ERR_NOKEY - ERROR_TABLE_BASE_krb5 ||
           k == KRB5KRB_AP_ERR_NOT_US - ERROR_TABLE_BASE_krb5 ||
           k == K(KRB5_KT_KVNONOTFOUND) ||
           k == K(KRB5_KT_NOTFOUND) || k == K(KRB5KRB_AP_WRONG_PRINC);
}

static ntcp_cause remote_cause(const ntcp_nns_error *e)
{
    switch (e->remote_code) {
    case NTCP_SEC_E_TIME_SKEW: return NTCP_CAUSE_CLOCK_SKEW;
    case NTCP_SEC_E_WRONG_PRINCIPAL: return e->default_target ? NTCP_CAUSE_DEFAULT_SPN_NOT_SERVICE : NTCP_CAUSE_SERVICE_KEY_MISMATCH;
    case NTCP_SEC_E_LOGON_DENIED:
        return e->anonymous       ? NTCP_CAUSE_ANONYMOUS_REFUSED
               : e->ntlm_forced   ? NTCP_CAUSE_NTLM_FORCED
               : e->ntlm_fallback ? NTCP_CAUSE_NTLM_FALLBACK
                                  : NTCP_CAUSE_BAD_PASSWORD;
    case NTCP_WIN_ERROR_TRUST_FAILURE: return NTCP_CAUSE_PROTECTION_NOT_GRANTED;
    case NTCP_SEC_E_CERT_EXPIRED: return NTCP_CAUSE_CREDENTIALS_EXPIRED;
    case NTCP_SEC_E_TARGET_UNKNOWN: return e->default_target ? NTCP_CAUSE_DEFAULT_SPN_NOT_SERVICE : NTCP_CAUSE_SPN_UNKNOWN;
    case NTCP_SEC_E_MESSAGE_ALTERED: return NTCP_CAUSE_MESSAGE_ALTERED;
    case NTCP_SEC_E_UNSUPPORTED_FUNCTION: return NTCP_CAUSE_PACKAGE_MISMATCH;
    case NTCP_SEC_E_NO_CREDENTIALS:
    case NTCP_SEC_E_UNKNOWN_CREDENTIALS: return NTCP_CAUSE_NO_CREDENTIALS;
    }
    return NTCP_CAUSE_UNKNOWN;
}

ntcp_cause ntcp_nns_cause(const ntcp_nns_error *e)
{
    if (!e)
        return NTCP_CAUSE_UNKNOWN;
    switch ((int)e->status) {
    case NTCP_E_PROTECTION_NOT_GRANTED: return NTCP_CAUSE_PROTECTION_NOT_GRANTED;
    case NTCP_E_SERVER_AUTH_REQUIRED: return NTCP_CAUSE_NTLM_WITHOUT_SERVER_AUTH;
    case NTCP_E_ANONYMOUS_REFUSED: return NTCP_CAUSE_ANONYMOUS_REFUSED;
    case NTCP_E_IDENTITY_MISMATCH: return NTCP_CAUSE_IDENTITY_MISMATCH;
    case NTCP_E_MESSAGE_ALTERED: return NTCP_CAUSE_MESSAGE_ALTERED;
    case NTCP_E_PACKAGE_NOT_ALLOWED: return NTCP_CAUSE_PACKAGE_MISMATCH;
    case NTCP_E_TIMEOUT: return NTCP_CAUSE_TIMEOUT;
    case NTCP_E_NNS_MESSAGE_ID:
    case NTCP_E_NNS_FRAME_SIZE:
    case NTCP_E_NNS_TOKEN_TOO_LARGE:
    case NTCP_E_NNS_TOO_MANY_LEGS:
    case NTCP_E_NNS_UNEXPECTED:
    case NTCP_E_TRUNCATED:
    case NTCP_E_MALFORMED: return NTCP_CAUSE_PROTOCOL;
    default: break;
    }
    /* the only argument the options step checks is the endpoint identity */
    if (e->step == NTCP_NNS_STEP_OPTIONS && e->status == NTCP_E_INVALID_ARG)
        return NTCP_CAUSE_IDENTITY_INVALID;
    if (e->remote)
        return remote_cause(e);
    long k = e->krb5_error;
    /* An anonymous logon that got no anonymous ticket: unless no KDC
     * answered, the realm does not offer anonymous PKINIT to this client. */
    if (e->anonymous && e->step == NTCP_NNS_STEP_ACQUIRE && k != K(KRB5_KDC_UNREACH) &&
        k != K(KRB5_REALM_CANT_RESOLVE) && k != K(KRB5_REALM_UNKNOWN))
        return NTCP_CAUSE_ANONYMOUS_UNAVAILABLE;
    /* gss-ntlmssp refuses to initiate an anonymous logon (GSS_S_UNAVAILABLE) */
    if (e->anonymous && e->step == NTCP_NNS_STEP_INIT && !strcmp(e->mech, "NTLM") &&
        NTCP_GSS_ROUTINE(e->major) == NTCP_GSS_UNAVAILABLE)
        return NTCP_CAUSE_ANONYMOUS_UNAVAILABLE;
    if (k >= 0) {
        switch (k) {
        case KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN - ERROR_TABLE_BASE_krb5:
            /* WCF's missing identity block: the name came from the address */
            return e->default_target ? NTCP_CAUSE_DEFAULT_SPN_NOT_SERVICE : NTCP_CAUSE_SPN_UNKNOWN;
        case KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN - ERROR_TABLE_BASE_krb5: return NTCP_CAUSE_UNKNOWN_USER;
        case KRB5KDC_ERR_PREAUTH_FAILED - ERROR_TABLE_BASE_krb5: return NTCP_CAUSE_BAD_PASSWORD;
        case KRB5KRB_AP_ERR_BAD_INTEGRITY - ERROR_TABLE_BASE_krb5:
            /* at AS time a wrong password; at accept time the wrong key */
            return e->step == NTCP_NNS_STEP_ACCEPT || e->remote ? NTCP_CAUSE_SERVICE_KEY_MISMATCH : NTCP_CAUSE_BAD_PASSWORD;
        case KRB5KRB_AP_ERR_SKEW - ERROR_TABLE_BASE_krb5: return NTCP_CAUSE_CLOCK_SKEW;
        case KRB5KRB_AP_ERR_TKT_EXPIRED - ERROR_TABLE_BASE_krb5: return NTCP_CAUSE_CREDENTIALS_EXPIRED;
        case KRB5KDC_ERR_KEY_EXP - ERROR_TABLE_BASE_krb5: return NTCP_CAUSE_PASSWORD_EXPIRED;
        /* AD: the account is disabled, locked out or expired */
        case KRB5KDC_ERR_CLIENT_REVOKED - ERROR_TABLE_BASE_krb5: return NTCP_CAUSE_ACCOUNT_DISABLED;
        default: break;
        }
        /* at acquire time a missing key means the keytab lacks it: no credentials */
        if (e->step == NTCP_NNS_STEP_ACQUIRE && (k == K(KRB5_KT_NOTFOUND) || k == K(KRB5_KT_END)))
            return NTCP_CAUSE_NO_CREDENTIALS;
        if (key_mismatch(k))
            return e->default_target ? NTCP_CAUSE_DEFAULT_SPN_NOT_SERVICE : NTCP_CAUSE_SERVICE_KEY_MISMATCH;
        if (k == K(KRB5_KDC_UNREACH) || k == K(KRB5_REALM_CANT_RESOLVE) || k == K(KRB5_REALM_UNKNOWN))
            return NTCP_CAUSE_KDC_UNREACHABLE;
        if (k == K(KRB5_FCC_NOFILE) || k == K(KRB5_CC_NOTFOUND) || k == K(KRB5_CC_NOSUPP) || k == K(KRB5_KT_END))
            return NTCP_CAUSE_NO_CREDENTIALS;
    }
    switch (NTCP_GSS_ROUTINE(e->major)) {
    case NTCP_GSS_NO_CRED: return NTCP_CAUSE_NO_CREDENTIALS;
    case NTCP_GSS_CREDENTIALS_EXPIRED: return NTCP_CAUSE_CREDENTIALS_EXPIRED;
    default: break;
    }
    if (e->status == NTCP_E_NO_CREDENTIALS)
        return NTCP_CAUSE_NO_CREDENTIALS;
    if (e->status == NTCP_E_CREDENTIALS_REJECTED)
        return NTCP_CAUSE_BAD_PASSWORD;
    /* An NTLM acceptor failing the first message (NEGOTIATE): nothing about
     * a password is known yet, the token itself was refused. */
    if (e->step == NTCP_NNS_STEP_ACCEPT && !strcmp(e->mech, "NTLM") && e->major &&
        (e->leg == 1 || NTCP_GSS_ROUTINE(e->major) == NTCP_GSS_DEFECTIVE_TOKEN))
        return NTCP_CAUSE_MALFORMED_TOKEN;
    /* An NTLM acceptor that fails the AUTHENTICATE message: the password (or
     * user) did not check out. */
    if (e->step == NTCP_NNS_STEP_ACCEPT && !strcmp(e->mech, "NTLM") && e->major)
        return NTCP_CAUSE_BAD_PASSWORD;
    if (NTCP_GSS_ROUTINE(e->major) == NTCP_GSS_DEFECTIVE_TOKEN)
        return NTCP_CAUSE_PROTOCOL; /* the peer's token is not one */
    return NTCP_CAUSE_UNKNOWN;
}

uint32_t ntcp_nns_wire_code(const ntcp_nns_error *e)
{
    if (e->status == NTCP_E_MALFORMED)
        return NTCP_SEC_E_INVALID_TOKEN;
    if (e->status == NTCP_E_PROTECTION_NOT_GRANTED)
        return NTCP_WIN_ERROR_TRUST_FAILURE;
    if (e->status == NTCP_E_ANONYMOUS_REFUSED)
        return NTCP_SEC_E_LOGON_DENIED;
    if (e->status == NTCP_E_PACKAGE_NOT_ALLOWED)
        return NTCP_SEC_E_UNSUPPORTED_FUNCTION;
    long k = e->krb5_error;
    if (k == KRB5KRB_AP_ERR_SKEW - ERROR_TABLE_BASE_krb5)
        return NTCP_SEC_E_TIME_SKEW;
    if (k == KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN - ERROR_TABLE_BASE_krb5)
        return NTCP_SEC_E_TARGET_UNKNOWN;
    if (e->step == NTCP_NNS_STEP_ACCEPT &&
        (key_mismatch(k) || k == KRB5KRB_AP_ERR_BAD_INTEGRITY - ERROR_TABLE_BASE_krb5))
        return NTCP_SEC_E_WRONG_PRINCIPAL;
    if (e->step == NTCP_NNS_STEP_ACCEPT && !strcmp(e->mech, "NTLM"))
        return NTCP_SEC_E_LOGON_DENIED;
    switch (NTCP_GSS_ROUTINE(e->major)) {
    case NTCP_GSS_NO_CRED: return NTCP_SEC_E_UNKNOWN_CREDENTIALS;
    case NTCP_GSS_BAD_BINDINGS: return 0x80090346u;
    case NTCP_GSS_CREDENTIALS_EXPIRED: return NTCP_SEC_E_CERT_EXPIRED;
    case NTCP_GSS_DEFECTIVE_TOKEN: return NTCP_SEC_E_INVALID_TOKEN;
    case NTCP_GSS_DEFECTIVE_CREDENTIAL: return NTCP_SEC_E_LOGON_DENIED;
    case NTCP_GSS_BAD_SIG: return NTCP_SEC_E_MESSAGE_ALTERED;
    case NTCP_GSS_BAD_MECH:
    case NTCP_GSS_UNAVAILABLE: return NTCP_SEC_E_UNSUPPORTED_FUNCTION;
    default: return NTCP_SEC_E_INTERNAL_ERROR;
    }
}

void ntcp_nns_error_format(const ntcp_nns_error *e, char *out, size_t cap)
{
    if (!out || !cap)
        return;
    out[0] = 0;
    if (!e)
        return;
    size_t n = 0;
#define ADD(...)                                                                                  \
    do {                                                                                          \
        if (n < cap) {                                                                            \
            int w_ = snprintf(out + n, cap - n, __VA_ARGS__);                                     \
            n = w_ < 0 ? cap : n + (size_t)w_;                                                    \
        }                                                                                         \
    } while (0)
    ADD("security negotiation failed at %s", ntcp_nns_step_name(e->step));
    if (e->leg)
        ADD(" (leg %u)", e->leg);
    if (e->target[0])
        ADD(", target %s", e->target);
    if (e->mech[0])
        ADD(", package %s", e->mech);
    ADD(": %s [%s]", ntcp_status_str(e->status), ntcp_status_name(e->status));
    if (e->detail[0])
        ADD("; %s", e->detail);
    if (e->major || e->minor)
        ADD("; GSS major 0x%08X minor %ld", e->major, (long)(int32_t)e->minor);
    if (e->gss_text[0])
        ADD(" (%s)", e->gss_text);
    if (e->krb5_error >= 0)
        ADD("; Kerberos error %ld", e->krb5_error);
    if (e->remote && !e->detail[0])
        ADD("; the peer sent code 0x%08X", e->remote_code);
#undef ADD
    if (n >= cap)
        out[cap - 1] = 0;
}
