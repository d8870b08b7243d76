/* nettcp — diagnosing a connection: walk the steps of opening a secured
 * net.tcp channel one by one, time each, and on failure name the step, the
 * cause (a stable id) and what to change. What `nettcp doctor` prints. */
#ifndef NETTCP_DOCTOR_H
#define NETTCP_DOCTOR_H

#include <nettcp/client.h>
#include <nettcp/trace.h>

#ifdef __cplusplus
extern "C" {
#endif

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

/* ---- what a keytab holds ---------------------------------------------------- */
#define NTCP_KEYTAB_MAX_KEYS 32
typedef struct ntcp_keytab_key {
    char principal[256];
    int kvno;
    int32_t etype;
} ntcp_keytab_key;
typedef struct ntcp_keytab_summary {
    size_t n;
    ntcp_keytab_key keys[NTCP_KEYTAB_MAX_KEYS];
} ntcp_keytab_summary;
/* Reads the principals, key versions and enctypes of a keytab (no key is
 * kept). NTCP_E_NOT_FOUND-like failure: why says so. */
NTCP_MUST_CHECK ntcp_status ntcp_keytab_read(const char *path, ntcp_keytab_summary *s, char *why, size_t cap);
/* Judges a keytab against a ticket for server (sans I/O): "enctype_mismatch"
 * when it holds keys for that name but none of the ticket's enctype, else
 * NULL; detail says what it holds for the name either way. */
const char *ntcp_keytab_assess(const ntcp_keytab_summary *kt, const char *server, int32_t etype, int kvno,
                               char *detail, size_t cap);
/* "aes256-cts-hmac-sha1-96" for 18, ... ("enctype N" when unknown). */
void ntcp_enctype_name(int32_t etype, char *out, size_t cap);

/* ---- the directory (Active Directory over LDAP) ------------------------------ */
/* The accounts that hold a target name, as `setspn -Q` shows them, with what
 * decides whether the KDC's tickets for them can work. */
#define NTCP_DIR_MAX_ACCOUNTS 4
#define NTCP_UF_ACCOUNTDISABLE 0x2u
#define NTCP_UF_LOCKOUT 0x10u
#define NTCP_UF_NORMAL_ACCOUNT 0x200u
#define NTCP_UF_WORKSTATION_TRUST_ACCOUNT 0x1000u
#define NTCP_UF_SERVER_TRUST_ACCOUNT 0x2000u
#define NTCP_UF_DONT_EXPIRE_PASSWD 0x10000u
#define NTCP_UF_TRUSTED_FOR_DELEGATION 0x80000u
#define NTCP_UF_NOT_DELEGATED 0x100000u
#define NTCP_UF_USE_DES_KEY_ONLY 0x200000u
#define NTCP_UF_PASSWORD_EXPIRED 0x800000u
typedef struct ntcp_dir_account {
    char dn[256];
    char sam[128];         /* sAMAccountName */
    char upn[256];         /* userPrincipalName, "" when none */
    bool computer;         /* objectClass computer */
    uint32_t uac;          /* userAccountControl, with msDS-User-Account-Control-Computed's bits */
    int64_t enctypes;      /* msDS-SupportedEncryptionTypes, -1 when not set (RC4 only, for a user account) */
    int kvno;              /* msDS-KeyVersionNumber, -1 unknown */
    bool must_change;      /* pwdLastSet 0: the password must be changed at next logon */
} ntcp_dir_account;
typedef struct ntcp_dir_answer {
    char url[256];
    char base[256];        /* the defaultNamingContext searched */
    char filter[600];
    size_t n;              /* accounts holding the target (more than fit are counted) */
    ntcp_dir_account acct[NTCP_DIR_MAX_ACCOUNTS];
} ntcp_dir_answer;
/* One attribute value of an entry into an account (the LDAP search calls it
 * for each; a recorded answer may too). Unknown attributes are ignored. */
void ntcp_dir_account_set(ntcp_dir_account *a, const char *attr, const char *value);
void ntcp_dir_account_init(ntcp_dir_account *a);
/* Binds to url with SASL GSSAPI using the Kerberos tickets in ccache (the
 * default cache when NULL or "") and fills *a with the accounts that hold
 * target (an SPN, with or without @REALM, or a UPN). On failure why says what
 * could not be done. */
NTCP_MUST_CHECK ntcp_status ntcp_dir_lookup(const char *url, const char *ccache, const char *target, bool is_upn,
                                            ntcp_dir_answer *a, char *why, size_t cap);

/* What else is known when the directory's answer is judged. */
typedef struct ntcp_dir_facts {
    const char *target;
    bool is_upn;
    bool default_target;            /* host/<address> (no identity, or dns:) */
    bool key_failure;               /* the service could not decrypt the ticket */
    int32_t ticket_etype;           /* of the ticket the KDC issued, 0 unknown */
    int ticket_kvno;                /* -1 unknown */
    const ntcp_keytab_summary *keytab; /* the service's keytab, NULL unknown */
    bool delegate;                  /* the client allows delegation */
} ntcp_dir_facts;
/* Judges the directory's answer (sans I/O): a cause id ("spn_duplicate",
 * "spn_wrong_account", "enctype_mismatch", "account_disabled",
 * "password_expired") or NULL when it shows nothing wrong; detail says what
 * it saw either way. */
const char *ntcp_dir_assess(const ntcp_dir_answer *a, const ntcp_dir_facts *f, char *detail, size_t cap);
/* The account flags as text: "NORMAL_ACCOUNT,TRUSTED_FOR_DELEGATION". */
void ntcp_dir_uac_text(uint32_t uac, char *out, size_t cap);
/* Encryption type bits (msDS-SupportedEncryptionTypes) as text: "AES128,AES256". */
void ntcp_dir_enctypes_text(int64_t bits, char *out, size_t cap);

typedef enum ntcp_doctor_outcome {
    NTCP_DOCTOR_OK = 0,
    NTCP_DOCTOR_WARNING, /* passed, with something worth knowing */
    NTCP_DOCTOR_FAILED,
    NTCP_DOCTOR_SKIPPED  /* not reached, or does not apply */
} ntcp_doctor_outcome;
const char *ntcp_doctor_outcome_name(ntcp_doctor_outcome o); /* "ok", "warning", "failed", "skipped" */

/* Step names, in order: resolve, connect, preamble, upgrade, target,
 * credentials, kdc, directory, handshake, identity, preamble_ack, request,
 * close. */
#define NTCP_DOCTOR_MAX_STEPS 16

typedef struct ntcp_doctor_step {
    const char *name;
    ntcp_doctor_outcome outcome;
    double ms;       /* how long the step took */
    double at_ms;    /* when it ended, from the start of the run */
    char detail[768];
} ntcp_doctor_step;

typedef struct ntcp_doctor_report {
    bool ok;
    ntcp_status status;      /* of the first failure */
    size_t n_steps;
    ntcp_doctor_step steps[NTCP_DOCTOR_MAX_STEPS];
    char cause[48];          /* stable id, "" when ok */
    char advice[1536];
    char tried_target[256];  /* the target name (SPN / UPN) used */
    char tried_principal[256];
    char tried_package[16];
    char error[2048];        /* the failing layer's full explanation */
    /* TLS (credential certificate / none): the chain the service sent, as
     * received, and the check that failed ("chain", "revocation",
     * "identity", "client certificate", "protocol", "handshake"; "" ok) */
    bool tls;
    ntcp_tls_result tls_result;
    char tls_check[32];
    /* the directory */
    bool dir_checked;        /* the directory was read */
    char dir_note[1024];     /* what it showed, or why it was not read */
    ntcp_dir_answer dir;
} ntcp_doctor_report;

typedef struct ntcp_doctor_options {
    ntcp_client_options client;
    const char *action;      /* a test request when set */
    const char *body;        /* its body (text XML), may be NULL */
    size_t body_len;
    ntcp_trace *trace;       /* steps, records and handshake messages (may be NULL) */
    const char *ldap_url;    /* the directory to read; NULL: the realm's KDC host when it answers LDAP */
    bool no_ldap;            /* do not read the directory */
    const char *service_keytab; /* the service's keytab when readable here (NULL unknown) */
} ntcp_doctor_options;

/* Runs the diagnosis; fills *r (which need not be initialised). Returns
 * NTCP_OK when every step passed, else the status of the failure
 * (NTCP_E_INVALID_ARG: the URL is not a net.tcp address). */
ntcp_status ntcp_doctor_run(const char *url, const ntcp_doctor_options *o, ntcp_doctor_report *r);

#ifdef __cplusplus
}
#endif
#endif
