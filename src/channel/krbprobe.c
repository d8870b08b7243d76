/* Kerberos diagnosis for `nettcp doctor` (see include/nettcp/doctor.h):
 * the client's credentials and a service ticket, asked of krb5 directly. */
#include <stdio.h>
#include <string.h>
#include <krb5/krb5.h>
#include <profile.h>
#include <nettcp/doctor.h>
#include "channel/krbprobe.h"
#include "channel/keytab.h"
#include "channel/directory.h"

struct ntcp_krb_probe {
    krb5_context k;
    krb5_ccache cc;
    bool own_cc; /* a memory cache made here: destroyed on free */
    krb5_principal client;
};

static ntcp_status krb_fail(ntcp_krb_probe *p, krb5_error_code code, ntcp_status st, ntcp_nns_step step,
                            ntcp_nns_error *err, const char *fmt, const char *arg)
{
    err->status = st;
    err->step = step;
    long kc = (long)code - (long)ERROR_TABLE_BASE_krb5;
    err->krb5_error = code && kc >= 0 && kc < 256 ? kc : -1;
    snprintf(err->mech, sizeof err->mech, "Kerberos");
    err->gss_text[0] = 0;
    if (code && p && p->k) {
        const char *m = krb5_get_error_message(p->k, code);
        snprintf(err->gss_text, sizeof err->gss_text, "%s", m ? m : "");
        krb5_free_error_message(p->k, m);
    }
    snprintf(err->detail, sizeof err->detail, fmt, arg ? arg : "");
    return st;
}

static void unparse(krb5_context k, krb5_const_principal pr, char *out, size_t cap)
{
    char *s = NULL;
    out[0] = 0;
    if (pr && !krb5_unparse_name(k, pr, &s)) {
        snprintf(out, cap, "%s", s);
        krb5_free_unparsed_name(k, s);
    }
}

void ntcp_krb_probe_free(ntcp_krb_probe *p)
{
    if (!p)
        return;
    if (p->cc) {
        if (p->own_cc)
            krb5_cc_destroy(p->k, p->cc);
        else
            krb5_cc_close(p->k, p->cc);
    }
    krb5_free_principal(p->k, p->client);
    krb5_free_context(p->k);
    ntcp_free(p);
}

/* The principal of a keytab's first entry (for a client keytab without a user name). */
static krb5_error_code keytab_principal(krb5_context k, krb5_keytab kt, krb5_principal *out)
{
    krb5_kt_cursor cur;
    krb5_keytab_entry e;
    krb5_error_code code = krb5_kt_start_seq_get(k, kt, &cur);
    if (code)
        return code;
    code = krb5_kt_next_entry(k, kt, &e, &cur);
    if (!code) {
        code = krb5_copy_principal(k, e.principal, out);
        krb5_free_keytab_entry_contents(k, &e);
    }
    krb5_kt_end_seq_get(k, kt, &cur);
    return code;
}

/* The TGT of the client's realm in the cache: its times. */
static krb5_error_code tgt_times(ntcp_krb_probe *p, ntcp_krb_creds_report *r)
{
    krb5_principal tgs = NULL;
    const krb5_data *realm = krb5_princ_realm(p->k, p->client);
    krb5_error_code code = krb5_build_principal_ext(p->k, &tgs, realm->length, realm->data, KRB5_TGS_NAME_SIZE,
                                                    KRB5_TGS_NAME, realm->length, realm->data, 0);
    if (code)
        return code;
    krb5_creds m, got;
    memset(&m, 0, sizeof m);
    memset(&got, 0, sizeof got);
    m.client = p->client;
    m.server = tgs;
    code = krb5_cc_retrieve_cred(p->k, p->cc, 0, &m, &got);
    if (!code) {
        r->starts = got.times.starttime ? got.times.starttime : got.times.authtime;
        r->expires = got.times.endtime;
        krb5_free_cred_contents(p->k, &got);
    }
    krb5_free_principal(p->k, tgs);
    return code;
}

ntcp_status ntcp_krb_probe_credentials(ntcp_krb_probe **out, const ntcp_nns_options *o, int64_t now,
                                       ntcp_krb_creds_report *r, ntcp_nns_error *err)
{
    *out = NULL;
    memset(r, 0, sizeof *r);
    ntcp_krb_probe *p = ntcp_calloc(1, sizeof *p);
    if (!p)
        return NTCP_E_NOMEM;
    krb5_error_code code = krb5_init_context(&p->k);
    if (code) {
        p->k = NULL;
        krb_fail(p, code, NTCP_E_AUTH_FAILED, NTCP_NNS_STEP_ACQUIRE, err,
            "the Kerberos library cannot start (krb5.conf?)%s", "");
        ntcp_free(p);
        return err->status;
    }
    ntcp_status st = NTCP_OK;
    if ((o->user && o->password) || o->client_keytab) {
        krb5_keytab kt = NULL;
        krb5_get_init_creds_opt *opt = NULL;
        krb5_creds creds;
        memset(&creds, 0, sizeof creds);
        if (o->user && (code = krb5_parse_name(p->k, o->user, &p->client))) {
            st = krb_fail(p, code, NTCP_E_INVALID_ARG, NTCP_NNS_STEP_ACQUIRE, err,
                "the user name %s is not a Kerberos principal", o->user);
            goto out;
        }
        if (o->client_keytab && !o->password) {
            if ((code = krb5_kt_resolve(p->k, o->client_keytab, &kt))) {
                st = krb_fail(p, code, NTCP_E_NO_CREDENTIALS, NTCP_NNS_STEP_ACQUIRE, err,
                    "the client keytab %s cannot be opened", o->client_keytab);
                goto out;
            }
            if (!p->client && (code = keytab_principal(p->k, kt, &p->client))) {
                krb5_kt_close(p->k, kt);
                st = krb_fail(p, code, NTCP_E_NO_CREDENTIALS, NTCP_NNS_STEP_ACQUIRE, err,
                    "the client keytab %s holds no key", o->client_keytab);
                goto out;
            }
        }
        code = krb5_cc_new_unique(p->k, "MEMORY", NULL, &p->cc);
        if (!code) {
            p->own_cc = true;
            code = krb5_cc_initialize(p->k, p->cc, p->client);
        }
        if (!code)
            code = krb5_get_init_creds_opt_alloc(p->k, &opt);
        if (!code)
            code = krb5_get_init_creds_opt_set_out_ccache(p->k, opt, p->cc);
        if (!code) {
            if (kt)
                code = krb5_get_init_creds_keytab(p->k, &creds, p->client, kt, 0, NULL, opt);
            else
                code = krb5_get_init_creds_password(p->k, &creds, p->client, o->password, NULL, NULL, 0, NULL, opt);
        }
        unparse(p->k, p->client, r->principal, sizeof r->principal);
        if (kt)
            snprintf(r->source, sizeof r->source, "client keytab %s (AS exchange with the KDC)", o->client_keytab);
        else
            snprintf(r->source, sizeof r->source, "user name and password (AS exchange with the KDC)");
        if (!code) {
            r->starts = creds.times.starttime ? creds.times.starttime : creds.times.authtime;
            r->expires = creds.times.endtime;
        }
        krb5_free_cred_contents(p->k, &creds);
        if (opt)
            krb5_get_init_creds_opt_free(p->k, opt);
        if (kt)
            krb5_kt_close(p->k, kt);
        if (code) {
            st = krb_fail(p, code, NTCP_E_AUTH_FAILED, NTCP_NNS_STEP_ACQUIRE, err,
                "no ticket-granting ticket for %s", r->principal);
            goto out;
        }
    } else {
        code = o->ccache ? krb5_cc_resolve(p->k, o->ccache, &p->cc) : krb5_cc_default(p->k, &p->cc);
        char name[200] = "";
        if (!code) {
            char *full = NULL;
            if (!krb5_cc_get_full_name(p->k, p->cc, &full)) {
                snprintf(name, sizeof name, "%s", full);
                krb5_free_string(p->k, full);
            }
            snprintf(r->source, sizeof r->source, "credential cache %s", name);
            code = krb5_cc_get_principal(p->k, p->cc, &p->client);
        }
        if (code) {
            st = krb_fail(p, code, NTCP_E_NO_CREDENTIALS, NTCP_NNS_STEP_ACQUIRE, err,
                          "no credentials in the credential cache %s (run kinit, or give --user)",
                          name[0] ? name : "(default)");
            goto out;
        }
        unparse(p->k, p->client, r->principal, sizeof r->principal);
        code = tgt_times(p, r);
        if (code) {
            st = krb_fail(p, code, NTCP_E_NO_CREDENTIALS, NTCP_NNS_STEP_ACQUIRE, err,
                          "the credential cache holds no ticket-granting ticket for %s (run kinit)", r->principal);
            goto out;
        }
        if (r->expires && r->expires <= now) {
            st = krb_fail(p, KRB5KRB_AP_ERR_TKT_EXPIRED, NTCP_E_AUTH_FAILED, NTCP_NNS_STEP_ACQUIRE, err,
                          "the ticket-granting ticket of %s has expired (run kinit)", r->principal);
            goto out;
        }
    }
    {
        const krb5_data *realm = krb5_princ_realm(p->k, p->client);
        snprintf(r->realm, sizeof r->realm, "%.*s", (int)realm->length, realm->data);
    }
    *out = p;
    return NTCP_OK;
out:
    ntcp_krb_probe_free(p);
    return st;
}

ntcp_status ntcp_krb_probe_ticket(ntcp_krb_probe *p, const char *target, bool is_upn, ntcp_krb_ticket_report *r,
                                  ntcp_nns_error *err)
{
    memset(r, 0, sizeof *r);
    r->kvno = -1;
    snprintf(err->target, sizeof err->target, "%s", target);
    krb5_error_code code = 0;
    for (int attempt = 0; attempt < (is_upn ? 2 : 1); attempt++) {
        bool enterprise = is_upn && attempt == 0;
        krb5_principal server = NULL;
        code = krb5_parse_name_flags(p->k, target, enterprise ? KRB5_PRINCIPAL_PARSE_ENTERPRISE : 0, &server);
        if (code)
            return krb_fail(p, code, NTCP_E_INVALID_ARG, NTCP_NNS_STEP_INIT, err,
                "the target %s is not a Kerberos name", target);
        r->name_form = is_upn ? (enterprise ? "enterprise" : "principal") : NULL;
        krb5_creds in, *got = NULL;
        memset(&in, 0, sizeof in);
        in.client = p->client;
        in.server = server;
        code = krb5_get_credentials(p->k, enterprise ? KRB5_GC_CANONICALIZE : 0, p->cc, &in, &got);
        krb5_free_principal(p->k, server);
        if (!code) {
            unparse(p->k, got->server, r->server, sizeof r->server);
            r->expires = got->times.endtime;
            r->ok_as_delegate = (got->ticket_flags & TKT_FLG_OK_AS_DELEGATE) != 0;
            krb5_ticket *t = NULL;
            if (!krb5_decode_ticket(&got->ticket, &t)) {
                r->kvno = (int)t->enc_part.kvno;
                r->etype = t->enc_part.enctype;
                if (krb5_enctype_to_name(t->enc_part.enctype, FALSE, r->enctype, sizeof r->enctype))
                    snprintf(r->enctype, sizeof r->enctype, "enctype %d", (int)t->enc_part.enctype);
                krb5_free_ticket(p->k, t);
            }
            krb5_free_creds(p->k, got);
            return NTCP_OK;
        }
        if (code != KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN)
            break;
    }
    return krb_fail(p, code, NTCP_E_AUTH_FAILED, NTCP_NNS_STEP_INIT, err, "no service ticket for %s", target);
}

/* ---- a service's keytab --------------------------------------------------- */
ntcp_status ntcp__keytab_check(const char *keytab, const char *acceptor_name, ntcp_error *err)
{
    krb5_context k;
    ntcp_error_clear(err);
    if (krb5_init_context(&k))
        return ntcp_error_set(err, NTCP_E_NO_CREDENTIALS, NTCP_CAUSE_KEYTAB_MISSING, NTCP_STEP_OPTIONS,
                              "the Kerberos library could not be initialised (krb5.conf)");
    char name[1024];
    if (keytab)
        snprintf(name, sizeof name, "%s", keytab);
    else if (krb5_kt_default_name(k, name, sizeof name))
        snprintf(name, sizeof name, "the default keytab");
    krb5_keytab kt = NULL;
    krb5_kt_cursor cur;
    krb5_error_code code = krb5_kt_resolve(k, name, &kt);
    if (!code)
        code = krb5_kt_start_seq_get(k, kt, &cur);
    if (code) {
        const char *m = krb5_get_error_message(k, code);
        ntcp_error_set(err, NTCP_E_NO_CREDENTIALS, NTCP_CAUSE_KEYTAB_MISSING, NTCP_STEP_OPTIONS,
                       "the service's keytab %s cannot be read: %s", name, m ? m : "");
        krb5_free_error_message(k, m);
        if (kt)
            krb5_kt_close(k, kt);
        krb5_free_context(k);
        return err->status;
    }
    size_t keys = 0;
    size_t al = acceptor_name ? strlen(acceptor_name) : 0;
    krb5_keytab_entry e;
    while (!krb5_kt_next_entry(k, kt, &e, &cur)) {
        char *pn = NULL;
        if (!acceptor_name)
            keys++;
        else if (!krb5_unparse_name(k, e.principal, &pn)) {
            /* "svc/host" names the principal in any realm */
            if (!strncmp(pn, acceptor_name, al) && (pn[al] == 0 || (pn[al] == '@' && !strchr(acceptor_name, '@'))))
                keys++;
            krb5_free_unparsed_name(k, pn);
        }
        krb5_free_keytab_entry_contents(k, &e); /* wipes the key */
    }
    krb5_kt_end_seq_get(k, kt, &cur);
    krb5_kt_close(k, kt);
    krb5_free_context(k);
    if (!keys)
        return ntcp_error_set(err, NTCP_E_NO_CREDENTIALS, NTCP_CAUSE_KEYTAB_EMPTY, NTCP_STEP_OPTIONS,
                              "the service's keytab %s holds no key%s%s", name, acceptor_name ? " for " : "",
                              acceptor_name ? acceptor_name : "");
    return NTCP_OK;
}

void ntcp_krb_probe_ccache(ntcp_krb_probe *p, char *out, size_t cap)
{
    char *full = NULL;
    out[0] = 0;
    if (p && p->cc && !krb5_cc_get_full_name(p->k, p->cc, &full)) {
        snprintf(out, cap, "%s", full);
        krb5_free_string(p->k, full);
    }
}

void ntcp_krb_realm_kdc_host(const char *realm, char *out, size_t cap)
{
    out[0] = 0;
    krb5_context k = NULL;
    profile_t prof = NULL;
    char **vals = NULL;
    if (!realm || !*realm || krb5_init_context(&k))
        return;
    const char *names[] = { "realms", realm, "kdc", NULL };
    if (!krb5_get_profile(k, &prof) && !profile_get_values(prof, names, &vals) && vals && vals[0]) {
        /* host, host:port or [v6]:port */
        const char *v = vals[0];
        size_t n = v[0] == '[' ? strcspn(v + 1, "]") : strcspn(v, ":");
        snprintf(out, cap, "%.*s", (int)n, v[0] == '[' ? v + 1 : v);
    }
    if (vals)
        profile_free_list(vals);
    if (prof)
        profile_release(prof);
    krb5_free_context(k);
}

void ntcp_enctype_name(int32_t etype, char *out, size_t cap)
{
    if (krb5_enctype_to_name(etype, FALSE, out, cap))
        snprintf(out, cap, "enctype %d", (int)etype);
}

ntcp_status ntcp_keytab_read(const char *path, ntcp_keytab_summary *s, char *why, size_t cap)
{
    memset(s, 0, sizeof *s);
    krb5_context k = NULL;
    krb5_keytab kt = NULL;
    krb5_kt_cursor cur;
    krb5_keytab_entry e;
    ntcp_status st = NTCP_E_IO;
    char name[1100];
    snprintf(name, sizeof name, "%s%s", strchr(path, ':') ? "" : "FILE:", path);
    if (krb5_init_context(&k)) {
        snprintf(why, cap, "no krb5 context");
        return st;
    }
    krb5_error_code code = krb5_kt_resolve(k, name, &kt);
    if (!code)
        code = krb5_kt_start_seq_get(k, kt, &cur);
    if (code) {
        const char *m = krb5_get_error_message(k, code);
        snprintf(why, cap, "the keytab %s cannot be read: %s", path, m);
        krb5_free_error_message(k, m);
        goto out;
    }
    while (!krb5_kt_next_entry(k, kt, &e, &cur)) {
        if (s->n < NTCP_KEYTAB_MAX_KEYS) {
            ntcp_keytab_key *key = &s->keys[s->n++];
            unparse(k, e.principal, key->principal, sizeof key->principal);
            key->kvno = (int)e.vno;
            key->etype = e.key.enctype;
        }
        krb5_free_keytab_entry_contents(k, &e);
    }
    krb5_kt_end_seq_get(k, kt, &cur);
    st = NTCP_OK;
out:
    if (kt)
        krb5_kt_close(k, kt);
    krb5_free_context(k);
    return st;
}
