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

/* ---- the directory (Active Directory over LDAP) ------------------------------ */
/* The accounts that hold a target name, as `setspn -Q` shows them, with what
 * decides whether the KDC's tickets for them can work (the directory step of
 * the report below). */
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
    size_t n_steps;
    ntcp_doctor_step steps[NTCP_DOCTOR_MAX_STEPS];
    /* the first failure (status NTCP_OK when ok): status, cause, step, the
     * NegotiateStream detail and the failing layer's full explanation */
    ntcp_error error;
    char advice[1536];       /* the cause's advice, with what this run found */
    char tried_target[256];  /* the target name (SPN / UPN) used */
    char tried_principal[256];
    char tried_package[16];
    /* the directory */
    bool dir_checked;        /* the directory was read */
    char dir_note[1024];     /* what it showed, or why it was not read */
    ntcp_dir_answer dir;
    /* TLS (credential certificate / none): the chain the service sent, as
     * received, and the check that failed ("chain", "revocation",
     * "identity", "client certificate", "protocol", "handshake"; "" ok) */
    bool tls;
    ntcp_tls_result tls_result;
    char tls_check[32];
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
/* The client defaults (ntcp_client_options_init), no request, no trace. */
void ntcp_doctor_options_init(ntcp_doctor_options *o);

/* Runs the diagnosis; fills *r (which need not be initialised). Returns
 * NTCP_OK when every step passed, else the status of the failure
 * (NTCP_E_INVALID_ARG: the URL is not a net.tcp address). */
ntcp_status ntcp_doctor_run(const char *url, const ntcp_doctor_options *o, ntcp_doctor_report *r);

#ifdef __cplusplus
}
#endif
#endif
