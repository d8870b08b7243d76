/* The directory's answer judged (src/channel/directory.c): recorded LDAP
 * answers, in LDIF as the Samba AD DC of tests/e2e/ad.sh returns them, for
 * what a Samba DC cannot stage (duplicate SPNs: Samba refuses them) and for
 * each cause without a network. */
#include <stdlib.h>
#include "test.h"
#include <nettcp/doctor.h>
#include "channel/directory.h"

/* Fills a from LDIF records ("attr: value" lines, records apart by a blank line). */
static void from_ldif(ntcp_dir_answer *a, const char *ldif)
{
    memset(a, 0, sizeof *a);
    snprintf(a->url, sizeof a->url, "ldap://127.0.0.1");
    char *copy = strdup(ldif), *save = NULL;
    ntcp_dir_account *cur = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *sep = strstr(line, ": ");
        if (!sep)
            continue;
        *sep = 0;
        if (!strcmp(line, "dn")) {
            cur = &a->acct[a->n++];
            ntcp_dir_account_init(cur);
        }
        if (cur)
            ntcp_dir_account_set(cur, line, sep + 2);
    }
    free(copy);
}

/* ldbsearch '(servicePrincipalName=host/box.ad.nettcp.test)' after `samba-tool user disable svcother` */
static const char svcother_disabled[] = "dn: CN=svcother,CN=Users,DC=ad,DC=nettcp,DC=test\n"
                                        "objectClass: top\n"
                                        "objectClass: person\n"
                                        "objectClass: organizationalPerson\n"
                                        "objectClass: user\n"
                                        "userPrincipalName: svcother@ad.nettcp.test\n"
                                        "pwdLastSet: 134409455409578580\n"
                                        "sAMAccountName: svcother\n"
                                        "userAccountControl: 514\n"
                                        "msDS-KeyVersionNumber: 2\n";
static const char svcwcf[] = "dn: CN=svcwcf,CN=Users,DC=ad,DC=nettcp,DC=test\n"
                             "objectClass: user\n"
                             "sAMAccountName: svcwcf\n"
                             "userPrincipalName: svcwcf@ad.nettcp.test\n"
                             "pwdLastSet: 134409455403834890\n"
                             "userAccountControl: 524800\n"
                             "msDS-SupportedEncryptionTypes: 24\n"
                             "msDS-KeyVersionNumber: 3\n";

static ntcp_dir_facts facts(const char *target)
{
    ntcp_dir_facts f;
    memset(&f, 0, sizeof f);
    f.target = target;
    f.ticket_kvno = -1;
    return f;
}

static void add_key(ntcp_keytab_summary *kt, const char *princ, int kvno, int32_t etype)
{
    ntcp_keytab_key *k = &kt->keys[kt->n++];
    snprintf(k->principal, sizeof k->principal, "%s", princ);
    k->kvno = kvno;
    k->etype = etype;
}

TEST(dir_recorded_answers)
{
    ntcp_dir_answer a;
    char d[800];
    /* the attributes as read */
    from_ldif(&a, svcwcf);
    CHECK_EQ_INT(a.n, 1);
    CHECK_EQ_STR(a.acct[0].sam, "svcwcf");
    CHECK_EQ_STR(a.acct[0].upn, "svcwcf@ad.nettcp.test");
    CHECK_EQ_INT(a.acct[0].uac, 0x80200);
    CHECK_EQ_INT(a.acct[0].enctypes, 24);
    CHECK_EQ_INT(a.acct[0].kvno, 3);
    CHECK(!a.acct[0].computer && !a.acct[0].must_change);
    /* healthy, and the keytab holds the ticket's key: nothing to say but who holds it */
    ntcp_keytab_summary kt;
    memset(&kt, 0, sizeof kt);
    add_key(&kt, "svcwcf@AD.NETTCP.TEST", 3, 18);
    add_key(&kt, "host/svc.ad.nettcp.test@AD.NETTCP.TEST", 3, 18);
    ntcp_dir_facts f = facts("host/svc.ad.nettcp.test");
    f.keytab = &kt;
    f.ticket_etype = 18;
    f.ticket_kvno = 3;
    CHECK_EQ_INT(ntcp_dir_assess(&a, &f, d, sizeof d), NTCP_CAUSE_NONE);
    CHECK_EQ_STR(d, "host/svc.ad.nettcp.test belongs to CN=svcwcf,CN=Users,DC=ad,DC=nettcp,DC=test (svcwcf, user "
                    "account; encryption types AES128,AES256; flags NORMAL_ACCOUNT,TRUSTED_FOR_DELEGATION; key "
                    "version 3)");
    /* delegation allowed to an account trusted for it: nothing to say; an RC4
     * ticket while the account lists only AES: said */
    f.delegate = true;
    f.ticket_etype = 23;
    f.keytab = NULL;
    CHECK_EQ_INT(ntcp_dir_assess(&a, &f, d, sizeof d), NTCP_CAUSE_NONE);
    CHECK(strstr(d, "; the ticket's RC4 is not among the account's encryption types") != NULL);
    CHECK(strstr(d, "not trusted for delegation") == NULL);
    f.ticket_etype = 18;
    f.delegate = false;
    f.keytab = &kt;
    /* the same keytab, a ticket in key version 2: stale, said, no directory cause */
    f.ticket_kvno = 2;
    CHECK_EQ_INT(ntcp_dir_assess(&a, &f, d, sizeof d), NTCP_CAUSE_NONE);
    CHECK(strstr(d, "another key version than the ticket's (2): stale") != NULL);
    /* enctype_mismatch: an AES ticket, only an RC4 key in the keytab */
    memset(&kt, 0, sizeof kt);
    add_key(&kt, "host/svc.ad.nettcp.test@AD.NETTCP.TEST", 3, 23);
    f.ticket_kvno = 3;
    CHECK_EQ_STR(ntcp_cause_id(ntcp_dir_assess(&a, &f, d, sizeof d)), "enctype_mismatch");
    CHECK(strstr(d, "the KDC encrypted the ticket with aes256-cts-hmac-sha1-96, and the service's keytab holds no "
                    "aes256-cts-hmac-sha1-96 key for it") != NULL);
    /* spn_wrong_account: the keytab holds another account's keys */
    memset(&kt, 0, sizeof kt);
    add_key(&kt, "svcother@AD.NETTCP.TEST", 2, 18);
    add_key(&kt, "svcother@AD.NETTCP.TEST", 2, 17);
    CHECK_EQ_STR(ntcp_cause_id(ntcp_dir_assess(&a, &f, d, sizeof d)), "spn_wrong_account");
    CHECK(strstr(d, "the service's keytab holds no key of svcwcf but of svcother@AD.NETTCP.TEST: the service runs "
                    "as another account") != NULL);
    /* a UPN target: the account's own principal in the keytab is its key */
    memset(&kt, 0, sizeof kt);
    add_key(&kt, "svcwcf@AD.NETTCP.TEST", 3, 18);
    f = facts("svcwcf@ad.nettcp.test");
    f.is_upn = true;
    f.keytab = &kt;
    f.ticket_etype = 18;
    CHECK_EQ_INT(ntcp_dir_assess(&a, &f, d, sizeof d), NTCP_CAUSE_NONE);

    /* account_disabled: Samba's answer for a disabled account (ACCOUNTDISABLE 0x2) */
    from_ldif(&a, svcother_disabled);
    f = facts("host/box.ad.nettcp.test");
    CHECK_EQ_STR(ntcp_cause_id(ntcp_dir_assess(&a, &f, d, sizeof d)), "account_disabled");
    CHECK(strstr(d, "flags ACCOUNTDISABLE,NORMAL_ACCOUNT; key version 2): the account is disabled") != NULL);
    f.delegate = true;
    ntcp_dir_assess(&a, &f, d, sizeof d);
    CHECK(strstr(d, "; delegation was allowed, but the account is not trusted for delegation: no credential is "
                    "forwarded") != NULL);
    f.delegate = false;
    /* locked out: msDS-User-Account-Control-Computed's UF_LOCKOUT */
    a.acct[0].uac = 0x200;
    ntcp_dir_account_set(&a.acct[0], "msDS-User-Account-Control-Computed", "16");
    CHECK_EQ_STR(ntcp_cause_id(ntcp_dir_assess(&a, &f, d, sizeof d)), "account_disabled");
    CHECK(strstr(d, "locked out") != NULL);
    /* password_expired: pwdLastSet 0 (must change at next logon), or the computed PASSWORD_EXPIRED */
    a.acct[0].uac = 0x200;
    ntcp_dir_account_set(&a.acct[0], "pwdLastSet", "0");
    CHECK_EQ_STR(ntcp_cause_id(ntcp_dir_assess(&a, &f, d, sizeof d)), "password_expired");
    CHECK(strstr(d, "must be changed at next logon") != NULL);
    a.acct[0].must_change = false;
    ntcp_dir_account_set(&a.acct[0], "msDS-User-Account-Control-Computed", "8388608");
    CHECK_EQ_STR(ntcp_cause_id(ntcp_dir_assess(&a, &f, d, sizeof d)), "password_expired");

    /* spn_duplicate: the same SPN on two accounts (as Windows AD lets setspn -A do) */
    char dup[1200];
    snprintf(dup, sizeof dup, "%s\n%s", svcwcf, svcother_disabled);
    from_ldif(&a, dup);
    CHECK_EQ_INT(a.n, 2);
    f = facts("host/dup.ad.nettcp.test");
    CHECK_EQ_STR(ntcp_cause_id(ntcp_dir_assess(&a, &f, d, sizeof d)), "spn_duplicate");
    CHECK_EQ_STR(d, "host/dup.ad.nettcp.test is held by 2 accounts: CN=svcwcf,CN=Users,DC=ad,DC=nettcp,DC=test and "
                    "CN=svcother,CN=Users,DC=ad,DC=nettcp,DC=test; the KDC cannot tell whose key to use");

    /* the default host/<name> on a computer account, the service failing to decrypt: spn_wrong_account */
    from_ldif(&a, "dn: CN=WEB1,CN=Computers,DC=ad,DC=nettcp,DC=test\n"
                  "objectClass: top\nobjectClass: person\nobjectClass: organizationalPerson\nobjectClass: user\n"
                  "objectClass: computer\nsAMAccountName: WEB1$\nuserAccountControl: 4096\n"
                  "msDS-KeyVersionNumber: 2\n");
    CHECK(a.acct[0].computer);
    f = facts("host/localhost");
    f.default_target = true;
    CHECK_EQ_INT(ntcp_dir_assess(&a, &f, d, sizeof d), NTCP_CAUSE_NONE); /* the service was not reached yet */
    f.key_failure = true;
    CHECK_EQ_STR(ntcp_cause_id(ntcp_dir_assess(&a, &f, d, sizeof d)), "spn_wrong_account");
    CHECK(strstr(d, "(WEB1$, computer account; encryption types not set") != NULL);
    /* no holder at all */
    from_ldif(&a, "");
    CHECK_EQ_INT(ntcp_dir_assess(&a, &f, d, sizeof d), NTCP_CAUSE_NONE);
    CHECK_EQ_STR(d, "no account in the directory holds host/localhost");
}

TEST(dir_flag_texts)
{
    char t[200];
    ntcp_dir_uac_text(0x800202, t, sizeof t);
    CHECK_EQ_STR(t, "ACCOUNTDISABLE,NORMAL_ACCOUNT,PASSWORD_EXPIRED");
    ntcp_dir_uac_text(0, t, sizeof t);
    CHECK_EQ_STR(t, "");
    ntcp_dir_enctypes_text(0x1c, t, sizeof t);
    CHECK_EQ_STR(t, "RC4,AES128,AES256");
    ntcp_dir_enctypes_text(0, t, sizeof t);
    CHECK_EQ_STR(t, "none");
    ntcp_dir_enctypes_text(-1, t, sizeof t);
    CHECK_EQ_STR(t, "not set (the KDC's default, RC4 for a user account)");
}

/* The service's keytab against the ticket, without the directory. */
TEST(keytab_against_ticket)
{
    ntcp_keytab_summary kt;
    memset(&kt, 0, sizeof kt);
    add_key(&kt, "host/enc.nettcp.test@NETTCP.TEST", 1, 23);
    add_key(&kt, "host/svc.nettcp.test@NETTCP.TEST", 2, 18);
    char d[600];
    CHECK_EQ_STR(ntcp_cause_id(ntcp_keytab_assess(&kt, "host/enc.nettcp.test@NETTCP.TEST", 18, 1, d, sizeof d)), "enctype_mismatch");
    CHECK_EQ_STR(d, "the service's keytab holds for host/enc.nettcp.test@NETTCP.TEST: key version 1 arcfour-hmac; "
                    "the ticket is key version 1 aes256-cts-hmac-sha1-96: no aes256-cts-hmac-sha1-96 key");
    /* the enctype is there (another key version: stale, not this cause) */
    CHECK_EQ_INT(ntcp_keytab_assess(&kt, "host/svc.nettcp.test@NETTCP.TEST", 18, 3, d, sizeof d), NTCP_CAUSE_NONE);
    CHECK_EQ_STR(d, "the service's keytab holds for host/svc.nettcp.test@NETTCP.TEST: key version 2 "
                    "aes256-cts-hmac-sha1-96; the ticket is key version 3 aes256-cts-hmac-sha1-96");
    /* no key for the name at all */
    CHECK_EQ_INT(ntcp_keytab_assess(&kt, "host/box.nettcp.test@NETTCP.TEST", 18, 1, d, sizeof d), NTCP_CAUSE_NONE);
    CHECK_EQ_STR(d, "the service's keytab holds no key for host/box.nettcp.test@NETTCP.TEST");
}
