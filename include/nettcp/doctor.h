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
    size_t n_steps;
    ntcp_doctor_step steps[NTCP_DOCTOR_MAX_STEPS];
    /* the first failure (status NTCP_OK when ok): status, cause, step, the
     * NegotiateStream detail and the failing layer's full explanation */
    ntcp_error error;
    char advice[1536];       /* the cause's advice, with what this run found */
    char tried_target[256];  /* the target name (SPN / UPN) used */
    char tried_principal[256];
    char tried_package[16];
} ntcp_doctor_report;

typedef struct ntcp_doctor_options {
    ntcp_client_options client;
    const char *action;      /* a test request when set */
    const char *body;        /* its body (text XML), may be NULL */
    size_t body_len;
    ntcp_trace *trace;       /* steps, records and handshake messages (may be NULL) */
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
