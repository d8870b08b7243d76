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

typedef enum ntcp_doctor_outcome {
    NTCP_DOCTOR_OK = 0,
    NTCP_DOCTOR_WARNING, /* passed, with something worth knowing */
    NTCP_DOCTOR_FAILED,
    NTCP_DOCTOR_SKIPPED  /* not reached, or does not apply */
} ntcp_doctor_outcome;
const char *ntcp_doctor_outcome_name(ntcp_doctor_outcome o); /* "ok", "warning", "failed", "skipped" */

/* Step names, in order: resolve, connect, preamble, upgrade, target,
 * credentials, kdc, handshake, identity, preamble_ack, request, close. */
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
} ntcp_doctor_report;

typedef struct ntcp_doctor_options {
    ntcp_client_options client;
    const char *action;      /* a test request when set */
    const char *body;        /* its body (text XML), may be NULL */
    size_t body_len;
    ntcp_trace *trace;       /* steps, records and handshake messages (may be NULL) */
} ntcp_doctor_options;

/* Runs the diagnosis; fills *r (which need not be initialised). Returns
 * NTCP_OK when every step passed, else the status of the failure
 * (NTCP_E_INVALID_ARG: the URL is not a net.tcp address). */
ntcp_status ntcp_doctor_run(const char *url, const ntcp_doctor_options *o, ntcp_doctor_report *r);

#ifdef __cplusplus
}
#endif
#endif
