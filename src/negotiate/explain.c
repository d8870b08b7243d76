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

static const char *remote_cause(const ntcp_nns_error *e)
{
    switch (e->remote_code) {
    case NTCP_SEC_E_TIME_SKEW: return "clock_skew";
    case NTCP_SEC_E_WRONG_PRINCIPAL: return e->default_target ? "default_spn_not_service" : "service_key_mismatch";
    case NTCP_SEC_E_LOGON_DENIED:
        return e->anonymous       ? "anonymous_refused"
               : e->ntlm_forced   ? "ntlm_forced"
               : e->ntlm_fallback ? "ntlm_fallback"
                                  : "bad_password";
    case NTCP_WIN_ERROR_TRUST_FAILURE: return "protection_not_granted";
    case NTCP_SEC_E_CERT_EXPIRED: return "credentials_expired";
    case NTCP_SEC_E_TARGET_UNKNOWN: return e->default_target ? "default_spn_not_service" : "spn_unknown";
    case NTCP_SEC_E_MESSAGE_ALTERED: return "message_altered";
    case NTCP_SEC_E_NO_CREDENTIALS:
    case NTCP_SEC_E_UNKNOWN_CREDENTIALS: return "no_credentials";
    }
    return "unknown";
}

const char *ntcp_nns_cause(const ntcp_nns_error *e)
{
    if (!e)
        return "unknown";
    switch ((int)e->status) {
    case NTCP_E_PROTECTION_NOT_GRANTED: return "protection_not_granted";
    case NTCP_E_SERVER_AUTH_REQUIRED: return "ntlm_without_server_auth";
    case NTCP_E_ANONYMOUS_REFUSED: return "anonymous_refused";
    case NTCP_E_IDENTITY_MISMATCH: return "identity_mismatch";
    case NTCP_E_MESSAGE_ALTERED: return "message_altered";
    case NTCP_E_TIMEOUT: return "timeout";
    case NTCP_E_NNS_MESSAGE_ID:
    case NTCP_E_NNS_FRAME_SIZE:
    case NTCP_E_NNS_TOKEN_TOO_LARGE:
    case NTCP_E_NNS_TOO_MANY_LEGS:
    case NTCP_E_NNS_UNEXPECTED:
    case NTCP_E_TRUNCATED:
    case NTCP_E_MALFORMED: return "protocol";
    default: break;
    }
    /* the only argument the options step checks is the endpoint identity */
    if (e->step == NTCP_NNS_STEP_OPTIONS && e->status == NTCP_E_INVALID_ARG)
        return "identity_invalid";
    if (e->remote)
        return remote_cause(e);
    long k = e->krb5_error;
    /* An anonymous logon that got no anonymous ticket: unless no KDC
     * answered, the realm does not offer anonymous PKINIT to this client. */
    if (e->anonymous && e->step == NTCP_NNS_STEP_ACQUIRE && k != K(KRB5_KDC_UNREACH) &&
        k != K(KRB5_REALM_CANT_RESOLVE) && k != K(KRB5_REALM_UNKNOWN))
        return "anonymous_unavailable";
    /* gss-ntlmssp refuses to initiate an anonymous logon (GSS_S_UNAVAILABLE) */
    if (e->anonymous && e->step == NTCP_NNS_STEP_INIT && !strcmp(e->mech, "NTLM") &&
        NTCP_GSS_ROUTINE(e->major) == NTCP_GSS_UNAVAILABLE)
        return "anonymous_unavailable";
    if (k >= 0) {
        switch (k) {
        case KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN - ERROR_TABLE_BASE_krb5:
            /* WCF's missing identity block: the name came from the address */
            return e->default_target ? "default_spn_not_service" : "spn_unknown";
        case KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN - ERROR_TABLE_BASE_krb5: return "unknown_user";
        case KRB5KDC_ERR_PREAUTH_FAILED - ERROR_TABLE_BASE_krb5: return "bad_password";
        case KRB5KRB_AP_ERR_BAD_INTEGRITY - ERROR_TABLE_BASE_krb5:
            /* at AS time a wrong password; at accept time the wrong key */
            return e->step == NTCP_NNS_STEP_ACCEPT || e->remote ? "service_key_mismatch" : "bad_password";
        case KRB5KRB_AP_ERR_SKEW - ERROR_TABLE_BASE_krb5: return "clock_skew";
        case KRB5KRB_AP_ERR_TKT_EXPIRED - ERROR_TABLE_BASE_krb5: return "credentials_expired";
        case KRB5KDC_ERR_KEY_EXP - ERROR_TABLE_BASE_krb5: return "password_expired";
        /* AD: the account is disabled, locked out or expired */
        case KRB5KDC_ERR_CLIENT_REVOKED - ERROR_TABLE_BASE_krb5: return "account_disabled";
        default: break;
        }
        /* at acquire time a missing key means the keytab lacks it: no credentials */
        if (e->step == NTCP_NNS_STEP_ACQUIRE && (k == K(KRB5_KT_NOTFOUND) || k == K(KRB5_KT_END)))
            return "no_credentials";
        if (key_mismatch(k))
            return e->default_target ? "default_spn_not_service" : "service_key_mismatch";
        if (k == K(KRB5_KDC_UNREACH) || k == K(KRB5_REALM_CANT_RESOLVE) || k == K(KRB5_REALM_UNKNOWN))
            return "kdc_unreachable";
        if (k == K(KRB5_FCC_NOFILE) || k == K(KRB5_CC_NOTFOUND) || k == K(KRB5_CC_NOSUPP) || k == K(KRB5_KT_END))
            return "no_credentials";
    }
    switch (NTCP_GSS_ROUTINE(e->major)) {
    case NTCP_GSS_NO_CRED: return "no_credentials";
    case NTCP_GSS_CREDENTIALS_EXPIRED: return "credentials_expired";
    default: break;
    }
    if (e->status == NTCP_E_NO_CREDENTIALS)
        return "no_credentials";
    if (e->status == NTCP_E_CREDENTIALS_REJECTED)
        return "bad_password";
    /* An NTLM acceptor failing the first message (NEGOTIATE): nothing about
     * a password is known yet, the token itself was refused. */
    if (e->step == NTCP_NNS_STEP_ACCEPT && !strcmp(e->mech, "NTLM") && e->major &&
        (e->leg == 1 || NTCP_GSS_ROUTINE(e->major) == NTCP_GSS_DEFECTIVE_TOKEN))
        return "malformed_token";
    /* An NTLM acceptor that fails the AUTHENTICATE message: the password (or
     * user) did not check out. */
    if (e->step == NTCP_NNS_STEP_ACCEPT && !strcmp(e->mech, "NTLM") && e->major)
        return "bad_password";
    if (NTCP_GSS_ROUTINE(e->major) == NTCP_GSS_DEFECTIVE_TOKEN)
        return "protocol"; /* the peer's token is not one */
    return "unknown";
}

const char *ntcp_nns_cause_advice(const char *cause)
{
    static const struct {
        const char *id, *advice;
    } t[] = {
        { "default_spn_not_service",
          "no endpoint identity was given (or dns:), so the target was host/<host of the address>: either the KDC "
          "does not know that name, or it belongs to the machine account while the service runs as another "
          "account; give the service's identity (--identity spn:SERVICE/host or upn:account@REALM, as its "
          "metadata advertises) or register the SPN for the service's account" },
        { "spn_unknown",
          "the KDC does not know the target name: check the identity (spn:/dns:/upn:) or register the SPN for the "
          "service's account" },
        { "service_key_mismatch",
          "the service could not decrypt the ticket: its keytab is stale (old key version) or holds the key of "
          "another account; re-export the keytab (ktadd) or fix which account owns the SPN" },
        { "clock_skew", "the clocks of client, service and KDC differ by more than 5 minutes: synchronise them (NTP)" },
        { "ntlm_without_server_auth",
          "NTLM cannot authenticate the server; make Kerberos work (SPN, KDC reachable) or set "
          "require_server_auth = false to accept NTLM" },
        { "bad_password", "the password is wrong (or the account is locked): check user, domain and password" },
        { "unknown_user", "the KDC does not know the client principal: check the user name and realm" },
        { "no_credentials",
          "no credentials were found: run kinit, give user and password, or a client keytab; a service needs a "
          "keytab (KRB5_KTNAME)" },
        { "credentials_expired", "the ticket or password has expired: renew it (kinit) or change the password" },
        { "kdc_unreachable",
          "no KDC answered for the realm: check krb5.conf (realm, kdc) and that the KDC's port 88 is reachable" },
        { "anonymous_unavailable",
          "no anonymous ticket: the realm needs anonymous PKINIT (a KDC certificate, the WELLKNOWN/ANONYMOUS "
          "principal, restrict_anonymous_to_tgt = false) and the client pkinit_anchors for the KDC's CA; NTLM "
          "(gss-ntlmssp) cannot log on anonymously, use Kerberos or Negotiate; or log on with credentials" },
        { "anonymous_refused",
          "the service does not allow anonymous logons: log on with credentials or set allow_anonymous_clients" },
        { "protection_not_granted",
          "client and service ask for different protection levels: use the same ProtectionLevel on both "
          "(default EncryptAndSign)" },
        { "identity_mismatch", "the server authenticated as another name than the expected identity: check it" },
        { "message_altered", "a protected frame failed its check: data altered in transit or protection mismatch" },
        { "protocol", "the peer does not follow MS-NNS: capture the traffic and check its security settings" },
        { "timeout",
          "no answer within the timeout: check that the KDC in krb5.conf answers (and the service), or raise "
          "--timeout" },
        { "ntlm_fallback",
          "Negotiate fell back to NTLM because Kerberos could not be used for the target (the KDC issued no "
          "ticket: unknown SPN, no KDC, or no Kerberos credentials), and the service then refused the NTLM logon: "
          "NTLM needs the user as DOMAIN\\user (the NetBIOS domain) and an account the service's NTLM database "
          "knows; fix the identity so Kerberos works (nettcp doctor says why it did not)" },
        { "ntlm_forced",
          "ProtectionLevel None makes NegotiateStream use NTLM whatever package was asked for (WCF does the same), "
          "so Kerberos was not tried and the NTLM logon failed: use ProtectionLevel Sign or EncryptAndSign for "
          "Kerberos, or log on as a user the service's NTLM database knows (DOMAIN\\user)" },
        { "malformed_token",
          "the peer's first security token was refused before any password was checked: it is not an NTLM, "
          "Kerberos or SPNEGO message this side can read; capture the handshake and check the client's "
          "NTLM/SPNEGO implementation" },
        { "identity_invalid",
          "the endpoint identity is not dns:NAME, spn:SERVICE/host[@REALM] or upn:user@DOMAIN (a UPN needs "
          "its @DOMAIN): correct the identity" },
        { "password_expired",
          "the account's password has expired (or must be changed at next logon): change it (kpasswd; AD: "
          "Set-ADAccountPassword or samba-tool user setpassword), or for a service account clear "
          "\"must change password\" and set a non-expiring password" },
        { "spn_wrong_account",
          "the target name belongs to another account than the one whose key the service holds (it runs as "
          "another account): register the SPN on the service's account (setspn -S SPN account after setspn -D "
          "SPN other; samba-tool spn delete/add) or give the identity of the service's account (upn:account@DOMAIN)" },
        { "spn_duplicate",
          "more than one account holds the SPN, so the KDC cannot choose a key: keep it on the service's account "
          "only (setspn -X lists duplicates, setspn -D SPN account removes one; samba-tool spn delete)" },
        { "enctype_mismatch",
          "the KDC encrypted the ticket with an encryption type the service's keytab has no key for: set the "
          "account's msDS-SupportedEncryptionTypes (AES: 24) and re-set its password, then export the keytab "
          "again (ktpass /crypto AES256-SHA1 /ptype KRB5_NT_PRINCIPAL; samba-tool domain exportkeytab)" },
        { "account_disabled",
          "the KDC refused the account: it is disabled, locked out or expired; enable or unlock it (AD: "
          "Enable-ADAccount / Unlock-ADAccount; samba-tool user enable)" },
    };
    for (size_t i = 0; cause && i < sizeof t / sizeof t[0]; i++)
        if (!strcmp(t[i].id, cause))
            return t[i].advice;
    return "see the GSS and Kerberos errors above";
}

uint32_t ntcp_nns_wire_code(const ntcp_nns_error *e)
{
    if (e->status == NTCP_E_MALFORMED)
        return NTCP_SEC_E_INVALID_TOKEN;
    if (e->status == NTCP_E_PROTECTION_NOT_GRANTED)
        return NTCP_WIN_ERROR_TRUST_FAILURE;
    if (e->status == NTCP_E_ANONYMOUS_REFUSED)
        return NTCP_SEC_E_LOGON_DENIED;
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
    const char *cause = ntcp_nns_cause(e);
    ADD("; cause: %s; advice: %s", cause, ntcp_nns_cause_advice(cause));
#undef ADD
    if (n >= cap)
        out[cap - 1] = 0;
}
