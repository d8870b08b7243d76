/* Reading a recorded Kerberos AP exchange (RFC 4120 3.2) with the service's
 * keytab through MIT krb5: krb5_rd_req decrypts the ticket and the
 * authenticator (session key, initiator subkey), krb5_rd_rep the AP-REP
 * (acceptor subkey). The replay cache stays off, and the library's clock is
 * set to the capture's time so an old capture's tickets are still valid. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <krb5/krb5.h>
#include "capture_int.h"

/* MIT krb5 exports it (libkrb5.so, used by its own test programs) without
 * declaring it in krb5.h: the context's clock becomes the given time. */
krb5_error_code krb5_set_debugging_time(krb5_context, krb5_timestamp, krb5_int32);

const char *cap_enctype_name(int32_t e)
{
    switch (e) {
    case 17: return "aes128-cts-hmac-sha1-96";
    case 18: return "aes256-cts-hmac-sha1-96";
    case 19: return "aes128-cts-hmac-sha256-128";
    case 20: return "aes256-cts-hmac-sha384-192";
    case 23: return "rc4-hmac";
    case 0: return "none";
    default: return "unknown enctype";
    }
}

static void copy_key(cap_key *k, const krb5_keyblock *kb)
{
    k->enctype = kb->enctype;
    k->len = kb->length <= sizeof k->key ? kb->length : 0;
    memcpy(k->key, kb->contents, k->len);
}

static void name_of(krb5_context ctx, krb5_const_principal p, char *out, size_t cap)
{
    char *s = NULL;
    if (p && !krb5_unparse_name(ctx, p, &s)) {
        snprintf(out, cap, "%s", s);
        krb5_free_unparsed_name(ctx, s);
    }
}

static void failed(krb5_context ctx, cap_krb *k, krb5_error_code e, const char *what)
{
    const char *msg = krb5_get_error_message(ctx, e);
    switch (e) {
    case KRB5_KT_NOTFOUND:
    case KRB5_KT_KVNONOTFOUND:
    case KRB5KRB_AP_ERR_NOKEY:
    case KRB5KRB_AP_ERR_BADKEYVER:
    case KRB5KRB_AP_WRONG_PRINC:
    case KRB5KRB_AP_ERR_NOT_US:
        k->cause = NTCP_CAUSE_DECRYPT_KEYTAB_NO_KEY;
        break;
    case KRB5KRB_AP_ERR_BAD_INTEGRITY:
        k->cause = NTCP_CAUSE_DECRYPT_KEYTAB_WRONG_KEY;
        break;
    case KRB5KRB_AP_ERR_TKT_EXPIRED:
    case KRB5KRB_AP_ERR_TKT_NYV:
    case KRB5KRB_AP_ERR_SKEW:
        k->cause = NTCP_CAUSE_DECRYPT_TICKET_TIME;
        break;
    case ENOENT:
    case KRB5_KT_END:
    case KRB5_KT_BADNAME:
    case KRB5_KT_UNKNOWN_TYPE:
        k->cause = NTCP_CAUSE_DECRYPT_KEYTAB_UNREADABLE;
        break;
    default:
        k->cause = NTCP_CAUSE_DECRYPT_KERBEROS_FAILED;
        break;
    }
    snprintf(k->why, sizeof k->why, "%s: %s", what, msg);
    krb5_free_error_message(ctx, msg);
}

void cap_krb_accept(const char *keytab, const uint8_t *ap_req, size_t req_len, const uint8_t *ap_rep,
                    size_t rep_len, int64_t usec, cap_krb *k)
{
    memset(k, 0, sizeof *k);
    krb5_context ctx;
    if (krb5_init_context(&ctx)) {
        k->cause = NTCP_CAUSE_DECRYPT_KERBEROS_FAILED;
        snprintf(k->why, sizeof k->why, "MIT krb5 could not start (check KRB5_CONFIG)");
        return;
    }
    if (usec > 0)
        (void)krb5_set_debugging_time(ctx, (krb5_timestamp)(usec / 1000000), (krb5_int32)(usec % 1000000));
    krb5_keytab kt = NULL;
    krb5_auth_context ac = NULL;
    krb5_ticket *ticket = NULL;
    krb5_keyblock *kb = NULL;
    krb5_ap_rep_enc_part *rep = NULL;
    krb5_error_code e = krb5_kt_resolve(ctx, keytab, &kt);
    if (e) {
        failed(ctx, k, e, "opening the keytab");
        goto out;
    }
    e = krb5_auth_con_init(ctx, &ac);
    if (!e)
        e = krb5_auth_con_setflags(ctx, ac, 0); /* no replay cache, no time check of sequence */
    if (e) {
        failed(ctx, k, e, "setting up");
        goto out;
    }
    krb5_data req = { .length = (unsigned)req_len, .data = (char *)ap_req };
    krb5_flags opts = 0;
    e = krb5_rd_req(ctx, &ac, &req, NULL, kt, &opts, &ticket);
    if (e) {
        failed(ctx, k, e, "decrypting the ticket with the keytab");
        goto out;
    }
    name_of(ctx, ticket->enc_part2 ? ticket->enc_part2->client : NULL, k->client, sizeof k->client);
    name_of(ctx, ticket->server, k->service, sizeof k->service);
    k->kvno = ticket->enc_part.kvno;
    if (!krb5_auth_con_getkey(ctx, ac, &kb) && kb) {
        copy_key(&k->session, kb);
        krb5_free_keyblock(ctx, kb);
        kb = NULL;
    }
    if (!krb5_auth_con_getrecvsubkey(ctx, ac, &kb) && kb) {
        copy_key(&k->initiator_subkey, kb);
        k->have_initiator_subkey = true;
        krb5_free_keyblock(ctx, kb);
        kb = NULL;
    }
    if (ap_rep && rep_len) {
        krb5_data d = { .length = (unsigned)rep_len, .data = (char *)ap_rep };
        e = krb5_rd_rep(ctx, ac, &d, &rep);
        if (e) {
            failed(ctx, k, e, "decrypting the AP-REP");
            goto out;
        }
        if (rep->subkey) {
            copy_key(&k->acceptor_subkey, rep->subkey);
            k->have_acceptor_subkey = true;
        }
    }
out:
    if (rep)
        krb5_free_ap_rep_enc_part(ctx, rep);
    if (ticket)
        krb5_free_ticket(ctx, ticket);
    if (ac)
        krb5_auth_con_free(ctx, ac);
    if (kt)
        krb5_kt_close(ctx, kt);
    krb5_free_context(ctx);
}
