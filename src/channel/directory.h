/* What a keytab holds and what the directory says about a target name
 * (private to the library: doctor's directory step; src/channel/krbprobe.c
 * reads keytabs, src/channel/directory.c asks LDAP and judges the answers). */
#ifndef NTCP_CHANNEL_DIRECTORY_H
#define NTCP_CHANNEL_DIRECTORY_H

#include <nettcp/doctor.h>
#include <nettcp/error.h>

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
 * kept). On failure why says what could not be read. */
NTCP_MUST_CHECK ntcp_status ntcp_keytab_read(const char *path, ntcp_keytab_summary *s, char *why, size_t cap);
/* Judges a keytab against a ticket for server (sans I/O): enctype_mismatch
 * when it holds keys for that name but none of the ticket's enctype, else
 * none; detail says what it holds for the name either way. */
ntcp_cause ntcp_keytab_assess(const ntcp_keytab_summary *kt, const char *server, int32_t etype, int kvno,
                              char *detail, size_t cap);
/* "aes256-cts-hmac-sha1-96" for 18, ... ("enctype N" when unknown). */
void ntcp_enctype_name(int32_t etype, char *out, size_t cap);


/* ---- the directory (Active Directory over LDAP) ------------------------------ */
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
/* Judges the directory's answer (sans I/O): spn_duplicate, spn_wrong_account,
 * enctype_mismatch, account_disabled, password_expired, or none when it
 * shows nothing wrong; detail says what it saw either way. */
ntcp_cause ntcp_dir_assess(const ntcp_dir_answer *a, const ntcp_dir_facts *f, char *detail, size_t cap);
/* The account flags as text: "NORMAL_ACCOUNT,TRUSTED_FOR_DELEGATION". */
void ntcp_dir_uac_text(uint32_t uac, char *out, size_t cap);
/* Encryption type bits (msDS-SupportedEncryptionTypes) as text: "AES128,AES256". */
void ntcp_dir_enctypes_text(int64_t bits, char *out, size_t cap);


#endif
