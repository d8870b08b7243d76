/* The Kerberos probe of `nettcp doctor` (private to the library). */
#ifndef NTCP_CHANNEL_KRBPROBE_H
#define NTCP_CHANNEL_KRBPROBE_H

#include <nettcp/doctor.h>

/* ---- Kerberos diagnosis ------------------------------------------------------ */
/* What `nettcp doctor` checks before the handshake, with the krb5 library
 * directly (exchanges with the KDC: this is the I/O layer), so a failure is
 * pinned to one exchange: where the client's credentials come from (and
 * when they expire), and whether the KDC issues a ticket for the target
 * (and with which key version). Failures fill an
 * ntcp_nns_error that ntcp_nns_cause explains like a handshake failure. No
 * secret is kept in any report. */
typedef struct ntcp_krb_probe ntcp_krb_probe;

typedef struct ntcp_krb_creds_report {
    char principal[256];   /* the client principal */
    char source[320];      /* "credential cache FILE:...", "password (AS exchange)", "keytab FILE:..." */
    char realm[128];
    int64_t starts, expires; /* the ticket-granting ticket's times (Unix seconds), 0 when unknown */
} ntcp_krb_creds_report;

typedef struct ntcp_krb_ticket_report {
    char server[256];      /* the principal the ticket was issued for */
    int kvno;              /* key version of the service key it is encrypted in, -1 unknown */
    char enctype[64];      /* that key's encryption type */
    int64_t expires;
    const char *name_form; /* UPN targets: "enterprise" or "principal" */
    int32_t etype;         /* the enctype number (RFC 3961), 0 unknown */
    bool ok_as_delegate;   /* the KDC marked the service trusted for delegation */
} ntcp_krb_ticket_report;

/* Finds the client's Kerberos credentials the way the handshake would
 * (password: an AS exchange into a private memory cache; client keytab; a
 * named or the default credential cache) and checks the TGT's lifetime
 * against now (Unix seconds, the caller's clock). On failure *p is NULL and
 * err says why. */
NTCP_MUST_CHECK ntcp_status ntcp_krb_probe_credentials(ntcp_krb_probe **p, const ntcp_nns_options *o, int64_t now,
                                                       ntcp_krb_creds_report *r, ntcp_nns_error *err);
/* Asks the KDC for a service ticket for target (a UPN as an enterprise name,
 * then as a plain principal). */
NTCP_MUST_CHECK ntcp_status ntcp_krb_probe_ticket(ntcp_krb_probe *p, const char *target, bool is_upn,
                                                  ntcp_krb_ticket_report *r, ntcp_nns_error *err);
void ntcp_krb_probe_free(ntcp_krb_probe *p);
/* The full name of the credential cache the probe holds the client's
 * tickets in ("MEMORY:..." after a password logon), "" without one. */
void ntcp_krb_probe_ccache(ntcp_krb_probe *p, char *out, size_t cap);
/* The host of the first KDC krb5.conf names for realm ("" when none). */
void ntcp_krb_realm_kdc_host(const char *realm, char *out, size_t cap);

#endif
