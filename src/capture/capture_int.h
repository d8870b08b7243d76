/* Internal to src/capture: the Kerberos and NTLM halves of passive
 * decryption. */
#ifndef NTCP_CAPTURE_INT_H
#define NTCP_CAPTURE_INT_H
#include <nettcp/pcap.h>
#include "negotiate/frames.h"

/* ---- Kerberos (krb.c) ---- */
typedef struct cap_key {
    int32_t enctype;
    uint8_t key[32];
    size_t len;
} cap_key;

typedef struct cap_krb {
    char client[256], service[256];
    cap_key session, initiator_subkey, acceptor_subkey;
    bool have_initiator_subkey, have_acceptor_subkey;
    uint32_t kvno;
    ntcp_cause cause; /* NTCP_CAUSE_NONE on success */
    char why[320];
} cap_krb;

/* AP-REQ (and the AP-REP when there is one) with the service's keytab, as of
 * the capture's time usec. Fills k; k->cause says why it failed. */
void cap_krb_accept(const char *keytab, const uint8_t *ap_req, size_t req_len, const uint8_t *ap_rep,
                    size_t rep_len, int64_t usec, cap_krb *k);
const char *cap_enctype_name(int32_t enctype);

/* ---- NTLM (ntlm.c) ---- */
typedef struct cap_ntlm cap_ntlm;
/* From the CHALLENGE and AUTHENTICATE messages and the candidate
 * credentials: the first password / hash whose NTProofStr matches. NULL with
 * *cause and why set when none does or the messages cannot be read. */
cap_ntlm *cap_ntlm_new(const uint8_t *challenge, size_t clen, const uint8_t *auth, size_t alen,
                       const ntcp_passive_keys *keys, char *client, size_t client_cap, char *service,
                       size_t service_cap, char *key_desc, size_t key_cap, ntcp_cause *cause, char *why,
                       size_t why_cap);
void cap_ntlm_free(cap_ntlm *n);
/* A mechListMIC was exchanged in SPNEGO: the given direction's RC4 state is
 * re-keyed after it and its sequence number continues at 1 (PROTOCOLS 10). */
void cap_ntlm_after_mech_list_mic(cap_ntlm *n, int dir);
/* One data frame payload of direction dir ([signature][data]): appends the
 * plaintext when the signature verifies. *sealed tells how it was sent.
 * Returns false when it does not verify. */
bool cap_ntlm_unprotect(cap_ntlm *n, int dir, const uint8_t *p, size_t len, ntcp_buf *out, bool *sealed,
                        ntcp_status *st);
#endif
