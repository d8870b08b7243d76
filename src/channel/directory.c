/* Reading Active Directory for `nettcp doctor` (see include/nettcp/doctor.h):
 * which accounts hold a target name, with their encryption types and account
 * flags, over LDAP with the client's Kerberos tickets (SASL GSSAPI); and the
 * judgement of that answer, which does no I/O. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ldap.h>
#include <sasl/sasl.h>
#include <gssapi/gssapi_krb5.h>
#include <nettcp/doctor.h>
#include "channel/directory.h"
#include "negotiate/frames.h"

void ntcp_dir_account_init(ntcp_dir_account *a)
{
    memset(a, 0, sizeof *a);
    a->enctypes = -1;
    a->kvno = -1;
}

void ntcp_dir_account_set(ntcp_dir_account *a, const char *attr, const char *value)
{
    if (!attr || !value)
        return;
    if (!strcasecmp(attr, "dn") || !strcasecmp(attr, "distinguishedName"))
        snprintf(a->dn, sizeof a->dn, "%s", value);
    else if (!strcasecmp(attr, "sAMAccountName"))
        snprintf(a->sam, sizeof a->sam, "%s", value);
    else if (!strcasecmp(attr, "userPrincipalName"))
        snprintf(a->upn, sizeof a->upn, "%s", value);
    else if (!strcasecmp(attr, "objectClass"))
        a->computer |= !strcasecmp(value, "computer");
    else if (!strcasecmp(attr, "userAccountControl") || !strcasecmp(attr, "msDS-User-Account-Control-Computed"))
        a->uac |= (uint32_t)strtoul(value, NULL, 10);
    else if (!strcasecmp(attr, "msDS-SupportedEncryptionTypes"))
        a->enctypes = strtoll(value, NULL, 10);
    else if (!strcasecmp(attr, "msDS-KeyVersionNumber"))
        a->kvno = atoi(value);
    else if (!strcasecmp(attr, "pwdLastSet"))
        a->must_change = !strcmp(value, "0");
}

/* ---- text ------------------------------------------------------------------- */
static void join(char *out, size_t cap, size_t *n, const char *word)
{
    int w = snprintf(out + *n, cap - *n, "%s%s", *n ? "," : "", word);
    if (w > 0 && (size_t)w < cap - *n)
        *n += (size_t)w;
}

void ntcp_dir_uac_text(uint32_t uac, char *out, size_t cap)
{
    static const struct {
        uint32_t bit;
        const char *name;
    } t[] = { { NTCP_UF_ACCOUNTDISABLE, "ACCOUNTDISABLE" },
              { NTCP_UF_LOCKOUT, "LOCKOUT" },
              { NTCP_UF_NORMAL_ACCOUNT, "NORMAL_ACCOUNT" },
              { NTCP_UF_WORKSTATION_TRUST_ACCOUNT, "WORKSTATION_TRUST_ACCOUNT" },
              { NTCP_UF_SERVER_TRUST_ACCOUNT, "SERVER_TRUST_ACCOUNT" },
              { NTCP_UF_DONT_EXPIRE_PASSWD, "DONT_EXPIRE_PASSWORD" },
              { NTCP_UF_TRUSTED_FOR_DELEGATION, "TRUSTED_FOR_DELEGATION" },
              { NTCP_UF_NOT_DELEGATED, "NOT_DELEGATED" },
              { NTCP_UF_USE_DES_KEY_ONLY, "USE_DES_KEY_ONLY" },
              { NTCP_UF_PASSWORD_EXPIRED, "PASSWORD_EXPIRED" } };
    size_t n = 0;
    out[0] = 0;
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (uac & t[i].bit)
            join(out, cap, &n, t[i].name);
}

/* msDS-SupportedEncryptionTypes bits and the enctype numbers they stand for */
static const struct {
    unsigned bit;
    int32_t etype;
    const char *name;
} enc_bits[] = { { 0x1, 1, "DES-CBC-CRC" }, { 0x2, 3, "DES-CBC-MD5" }, { 0x4, 23, "RC4" },
                 { 0x8, 17, "AES128" },     { 0x10, 18, "AES256" } };

void ntcp_dir_enctypes_text(int64_t bits, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = 0;
    if (bits < 0) {
        snprintf(out, cap, "not set (the KDC's default, RC4 for a user account)");
        return;
    }
    for (size_t i = 0; i < sizeof enc_bits / sizeof enc_bits[0]; i++)
        if (bits & enc_bits[i].bit)
            join(out, cap, &n, enc_bits[i].name);
    if (!n)
        snprintf(out, cap, "none");
}

/* ---- judging the answer ------------------------------------------------------ */
#define ADD(...)                                                                                  \
    do {                                                                                          \
        if (n < cap) {                                                                            \
            int w_ = snprintf(detail + n, cap - n, __VA_ARGS__);                                  \
            n = w_ < 0 ? cap : n + (size_t)w_;                                                    \
        }                                                                                         \
    } while (0)

/* Whether a keytab principal is the account (sAMAccountName@REALM) or the target name. */
static bool key_is_account(const ntcp_keytab_key *k, const ntcp_dir_account *x, const ntcp_dir_facts *f)
{
    size_t sl = strlen(x->sam);
    if (sl && !strncasecmp(k->principal, x->sam, sl) && k->principal[sl] == '@')
        return true;
    if (!f->is_upn && ntcp_krb_name_matches(f->target, false, k->principal))
        return true;
    return f->is_upn && ntcp_krb_name_matches(f->target, true, k->principal);
}

ntcp_cause ntcp_dir_assess(const ntcp_dir_answer *a, const ntcp_dir_facts *f, char *detail, size_t cap)
{
    size_t n = 0;
    detail[0] = 0;
    if (!a->n) {
        ADD("no account in the directory holds %s", f->target);
        return NTCP_CAUSE_NONE;
    }
    if (a->n > 1) {
        ADD("%s is held by %zu accounts:", f->target, a->n);
        for (size_t i = 0; i < a->n && i < NTCP_DIR_MAX_ACCOUNTS; i++)
            ADD(" %s%s", i ? "and " : "", a->acct[i].dn);
        ADD("; the KDC cannot tell whose key to use");
        return NTCP_CAUSE_SPN_DUPLICATE;
    }
    const ntcp_dir_account *x = &a->acct[0];
    char uac[200], enc[120];
    ntcp_dir_uac_text(x->uac, uac, sizeof uac);
    ntcp_dir_enctypes_text(x->enctypes, enc, sizeof enc);
    ADD("%s belongs to %s (%s, %s account; encryption types %s; flags %s", f->target, x->dn, x->sam,
        x->computer ? "computer" : "user", enc, uac);
    if (x->kvno >= 0)
        ADD("; key version %d", x->kvno);
    ADD(")");
    /* the ticket's enctype against the account's list (unset: the KDC's default) */
    for (size_t i = 0; f->ticket_etype && x->enctypes >= 0 && i < sizeof enc_bits / sizeof enc_bits[0]; i++)
        if (enc_bits[i].etype == f->ticket_etype && !(x->enctypes & enc_bits[i].bit))
            ADD("; the ticket's %s is not among the account's encryption types", enc_bits[i].name);
    if (f->delegate && !(x->uac & NTCP_UF_TRUSTED_FOR_DELEGATION))
        ADD("; delegation was allowed, but the account is not trusted for delegation: no credential is forwarded");
    if (x->uac & (NTCP_UF_ACCOUNTDISABLE | NTCP_UF_LOCKOUT)) {
        ADD(": the account is %s", x->uac & NTCP_UF_ACCOUNTDISABLE ? "disabled" : "locked out");
        return NTCP_CAUSE_ACCOUNT_DISABLED;
    }
    if ((x->uac & NTCP_UF_PASSWORD_EXPIRED) || x->must_change) {
        ADD(": its password has expired%s", x->must_change ? " (it must be changed at next logon)" : "");
        return NTCP_CAUSE_PASSWORD_EXPIRED;
    }
    if (f->keytab) {
        const ntcp_keytab_summary *kt = f->keytab;
        bool own = false, etype = false, kvno = false;
        for (size_t i = 0; i < kt->n; i++) {
            if (!key_is_account(&kt->keys[i], x, f))
                continue;
            own = true;
            if (!f->ticket_etype || kt->keys[i].etype == f->ticket_etype) {
                etype = true;
                kvno |= f->ticket_kvno < 0 || kt->keys[i].kvno == f->ticket_kvno;
            }
        }
        if (!own) {
            ADD("; the service's keytab holds no key of %s but of", x->sam);
            for (size_t i = 0, shown = 0; i < kt->n && shown < 4; i++) {
                bool seen = false;
                for (size_t j = 0; j < i; j++)
                    seen |= !strcmp(kt->keys[j].principal, kt->keys[i].principal);
                if (!seen)
                    ADD("%s %s", shown++ ? "," : "", kt->keys[i].principal);
            }
            ADD(": the service runs as another account");
            return NTCP_CAUSE_SPN_WRONG_ACCOUNT;
        }
        if (!etype) {
            char te[64];
            ntcp_enctype_name(f->ticket_etype, te, sizeof te);
            ADD("; the KDC encrypted the ticket with %s, and the service's keytab holds no %s key for it", te, te);
            return NTCP_CAUSE_ENCTYPE_MISMATCH;
        }
        if (!kvno)
            ADD("; the service's keytab holds another key version than the ticket's (%d): stale", f->ticket_kvno);
        return NTCP_CAUSE_NONE;
    }
    if (f->key_failure && x->computer && f->default_target) {
        ADD(": a computer account; a service running under a domain account does not hold its key");
        return NTCP_CAUSE_SPN_WRONG_ACCOUNT;
    }
    return NTCP_CAUSE_NONE;
}

ntcp_cause ntcp_keytab_assess(const ntcp_keytab_summary *kt, const char *server, int32_t etype, int kvno,
                              char *detail, size_t cap)
{
    size_t n = 0;
    detail[0] = 0;
    char te[64], ke[64];
    ntcp_enctype_name(etype, te, sizeof te);
    bool named = false, same_etype = false;
    for (size_t i = 0; i < kt->n; i++) {
        if (!ntcp_krb_name_matches(server, false, kt->keys[i].principal))
            continue;
        ntcp_enctype_name(kt->keys[i].etype, ke, sizeof ke);
        if (!named)
            ADD("the service's keytab holds for %s:", server);
        ADD("%s key version %d %s", named ? "," : "", kt->keys[i].kvno, ke);
        named = true;
        same_etype |= kt->keys[i].etype == etype;
    }
    if (!named) {
        ADD("the service's keytab holds no key for %s", server);
        return NTCP_CAUSE_NONE;
    }
    ADD("; the ticket is key version %d %s", kvno, te);
    if (!same_etype) {
        ADD(": no %s key", te);
        return NTCP_CAUSE_ENCTYPE_MISMATCH;
    }
    return NTCP_CAUSE_NONE;
}

#undef ADD

/* ---- reading the directory ----------------------------------------------------- */
/* SASL GSSAPI asks for nothing a Kerberos ticket does not answer: each
 * prompt gets its default (an empty authorization identity). */
static int sasl_defaults(LDAP *ld, unsigned flags, void *defaults, void *in)
{
    (void)ld;
    (void)flags;
    (void)defaults;
    for (sasl_interact_t *it = in; it && it->id != SASL_CB_LIST_END; it++) {
        it->result = it->defresult ? it->defresult : "";
        it->len = (unsigned)strlen(it->result);
    }
    return LDAP_SUCCESS;
}

static void ldap_why(LDAP *ld, int rc, const char *what, char *why, size_t cap)
{
    char *diag = NULL;
    ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
    snprintf(why, cap, "%s: %s%s%s", what, ldap_err2string(rc), diag && *diag ? " (" : "", diag && *diag ? diag : "");
    if (diag && *diag)
        snprintf(why + strlen(why), cap - strlen(why), ")");
    ldap_memfree(diag);
}

static bool first_value(LDAP *ld, LDAPMessage *e, const char *attr, char *out, size_t cap)
{
    struct berval **v = ldap_get_values_len(ld, e, attr);
    bool ok = v && v[0];
    if (ok)
        snprintf(out, cap, "%.*s", (int)v[0]->bv_len, v[0]->bv_val);
    ldap_value_free_len(v);
    return ok;
}

ntcp_status ntcp_dir_lookup(const char *url, const char *ccache, const char *target, bool is_upn,
                            ntcp_dir_answer *a, char *why, size_t cap)
{
    memset(a, 0, sizeof *a);
    snprintf(a->url, sizeof a->url, "%s", url);
    LDAP *ld = NULL;
    LDAPMessage *res = NULL;
    ntcp_status st = NTCP_E_AUTH_FAILED;
    int rc = ldap_initialize(&ld, url);
    if (rc != LDAP_SUCCESS) {
        snprintf(why, cap, "%s is not an LDAP address: %s", url, ldap_err2string(rc));
        return NTCP_E_INVALID_ARG;
    }
    int v3 = LDAP_VERSION3;
    struct timeval tv = { 5, 0 };
    ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
    ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
    ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
    ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv);
    /* the service name is ldap/<the host of the URL>, as given: no reverse lookup */
    ldap_set_option(ld, LDAP_OPT_X_SASL_NOCANON, LDAP_OPT_ON);
    /* the client's tickets: the cache the Kerberos checks used */
    OM_uint32 minor;
    char old[512] = "";
    const char *prev = NULL;
    bool switched = ccache && *ccache && !gss_krb5_ccache_name(&minor, ccache, &prev);
    if (switched && prev)
        snprintf(old, sizeof old, "%s", prev);
    rc = ldap_sasl_interactive_bind_s(ld, NULL, "GSSAPI", NULL, NULL, LDAP_SASL_QUIET, sasl_defaults, NULL);
    if (switched)
        gss_krb5_ccache_name(&minor, old[0] ? old : NULL, NULL);
    if (rc != LDAP_SUCCESS) {
        char what[400];
        snprintf(what, sizeof what, "no Kerberos (SASL GSSAPI) bind to %s", url);
        ldap_why(ld, rc, what, why, cap);
        st = rc == LDAP_SERVER_DOWN || rc == LDAP_TIMEOUT ? NTCP_E_IO : NTCP_E_AUTH_FAILED;
        goto out;
    }
    char *root_attrs[] = { "defaultNamingContext", NULL };
    rc = ldap_search_ext_s(ld, "", LDAP_SCOPE_BASE, "(objectClass=*)", root_attrs, 0, NULL, NULL, &tv, 1, &res);
    LDAPMessage *e = rc == LDAP_SUCCESS ? ldap_first_entry(ld, res) : NULL;
    if (!e || !first_value(ld, e, "defaultNamingContext", a->base, sizeof a->base)) {
        snprintf(why, cap, "%s has no defaultNamingContext: not an Active Directory", url);
        st = NTCP_E_UNSUPPORTED;
        goto out;
    }
    ldap_msgfree(res);
    res = NULL;
    /* an SPN without its @REALM; a UPN as given (matched without regard to case) */
    char name[300];
    snprintf(name, sizeof name, "%s", target);
    char *at = is_upn ? NULL : strrchr(name, '@');
    if (at && (at == name || at[-1] != '\\'))
        *at = 0;
    struct berval in = { strlen(name), name }, esc = { 0, NULL };
    if (ldap_bv2escaped_filter_value(&in, &esc)) {
        snprintf(why, cap, "out of memory");
        st = NTCP_E_NOMEM;
        goto out;
    }
    snprintf(a->filter, sizeof a->filter, "(%s=%s)", is_upn ? "userPrincipalName" : "servicePrincipalName",
             esc.bv_val);
    ber_memfree(esc.bv_val);
    char *attrs[] = { "sAMAccountName", "userPrincipalName", "objectClass", "userAccountControl",
                      "msDS-User-Account-Control-Computed", "msDS-SupportedEncryptionTypes",
                      "msDS-KeyVersionNumber", "pwdLastSet", NULL };
    rc = ldap_search_ext_s(ld, a->base, LDAP_SCOPE_SUBTREE, a->filter, attrs, 0, NULL, NULL, &tv, 64, &res);
    if (rc != LDAP_SUCCESS && rc != LDAP_SIZELIMIT_EXCEEDED) {
        char what[900];
        snprintf(what, sizeof what, "the search %s under %s failed", a->filter, a->base);
        ldap_why(ld, rc, what, why, cap);
        st = NTCP_E_UNSUPPORTED;
        goto out;
    }
    for (e = ldap_first_entry(ld, res); e; e = ldap_next_entry(ld, e)) {
        if (a->n >= NTCP_DIR_MAX_ACCOUNTS) {
            a->n++;
            continue;
        }
        ntcp_dir_account *x = &a->acct[a->n++];
        ntcp_dir_account_init(x);
        char *dn = ldap_get_dn(ld, e);
        ntcp_dir_account_set(x, "dn", dn);
        ldap_memfree(dn);
        BerElement *ber = NULL;
        for (char *attr = ldap_first_attribute(ld, e, &ber); attr; attr = ldap_next_attribute(ld, e, ber)) {
            struct berval **v = ldap_get_values_len(ld, e, attr);
            for (size_t i = 0; v && v[i]; i++) {
                char val[300];
                snprintf(val, sizeof val, "%.*s", (int)v[i]->bv_len, v[i]->bv_val);
                ntcp_dir_account_set(x, attr, val);
            }
            ldap_value_free_len(v);
            ldap_memfree(attr);
        }
        ber_free(ber, 0);
    }
    st = NTCP_OK;
out:
    ldap_msgfree(res);
    ldap_unbind_ext_s(ld, NULL, NULL);
    return st;
}
