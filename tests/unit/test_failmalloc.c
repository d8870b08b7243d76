/* Allocation failure over a whole secured exchange, in memory: a client and
 * a service, each with MC-NMF framing, NegotiateStream through the real GSS
 * provider (NTLM by gss-ntlmssp, EncryptAndSign, a user file made here) and
 * SOAP with session dictionaries: preamble, upgrade, handshake, one request
 * and its reply, End/End. Like nghttp2's failmalloc tests: the exchange is
 * run once per allocation point i, with allocation i failing, until a run
 * makes no failing allocation. Every run must end in an error status or a
 * correct reply, and leave no live allocation behind.
 * Only the library's allocations go through the hook: GSSAPI's, OpenSSL's
 * and libxml2's own are not failed here (LeakSanitizer watches those). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <nettcp/framing.h>
#include <nettcp/negotiate.h>
#include <nettcp/soap.h>
#include "test.h"

/* ---- the failing, counting allocator ---------------------------------------- */
static long fm_count, fm_fail_at, fm_live;
static bool fm_injected;

static bool fm_fail_now(void)
{
    if (++fm_count != fm_fail_at)
        return false;
    fm_injected = true;
    return true;
}
static void *fm_malloc(size_t n, void *ctx)
{
    (void)ctx;
    if (fm_fail_now())
        return NULL;
    void *p = malloc(n);
    fm_live += p != NULL;
    return p;
}
static void *fm_realloc(void *p, size_t n, void *ctx)
{
    (void)ctx;
    if (fm_fail_now())
        return NULL;
    void *q = realloc(p, n);
    fm_live += q && !p;
    return q;
}
static void fm_free(void *p, void *ctx)
{
    (void)ctx;
    fm_live -= p != NULL;
    free(p);
}

/* ---- a private GSS environment: one NTLM user, no Kerberos ---------------------- */
#define FM_USER "NETTCP\\carol"
#define FM_PASSWORD "carol-Fm-3"
static const char *const env_names[] = { "NTLM_USER_FILE", "KRB5_CONFIG", "KRB5CCNAME", "KRB5_KTNAME" };
static char *env_saved[4];
static char env_dir[256];

static void env_enter(void)
{
    snprintf(env_dir, sizeof env_dir, "/tmp/nettcp-failmalloc-XXXXXX");
    if (!mkdtemp(env_dir))
        abort();
    char p[512];
    snprintf(p, sizeof p, "%s/ntlm_users", env_dir);
    FILE *f = fopen(p, "w");
    fprintf(f, "NETTCP:carol:%s\n", FM_PASSWORD);
    fclose(f);
    snprintf(p, sizeof p, "%s/krb5.conf", env_dir);
    f = fopen(p, "w");
    fprintf(f, "[libdefaults]\n default_realm = NETTCP.TEST\n dns_lookup_kdc = false\n rdns = false\n");
    fclose(f);
    const char *vals[4] = { "ntlm_users", "krb5.conf", "ccache", "keytab" };
    for (int i = 0; i < 4; i++) {
        const char *old = getenv(env_names[i]);
        env_saved[i] = old ? strdup(old) : NULL;
        snprintf(p, sizeof p, "%s%s/%s", i >= 2 ? "FILE:" : "", env_dir, vals[i]);
        setenv(env_names[i], p, 1);
    }
}

static void env_leave(void)
{
    char p[512];
    for (int i = 0; i < 4; i++) {
        if (env_saved[i])
            setenv(env_names[i], env_saved[i], 1);
        else
            unsetenv(env_names[i]);
        free(env_saved[i]);
        env_saved[i] = NULL;
    }
    snprintf(p, sizeof p, "%s/ntlm_users", env_dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/krb5.conf", env_dir);
    unlink(p);
    rmdir(env_dir);
}

/* ---- the exchange ------------------------------------------------------------------ */
#define BODY "<Echo xmlns=\"http://tempuri.org/\"><text>hello</text></Echo>"

typedef struct side {
    ntcp_framing *f;
    ntcp_nns *nns;
    ntcp_stream up;
    ntcp_xml_session *in, *out;
    ntcp_xml_writer *w;
    bool closed, replied;
} side;

static ntcp_status side_new(side *s, bool client)
{
    memset(s, 0, sizeof *s);
    ntcp_nns_options o;
    ntcp_nns_options_init(&o);
    ntcp_status st;
    if (client) {
        o.package = NTCP_PACKAGE_NTLM;
        o.require_server_auth = false;
        o.identity = "spn:host/svc.nettcp.test";
        o.user = FM_USER;
        o.password = FM_PASSWORD;
        st = ntcp_nns_new_initiator(&s->nns, &o, ntcp_gss_provider());
    } else {
        st = ntcp_nns_new_acceptor(&s->nns, &o, ntcp_gss_provider());
    }
    if (st)
        return st;
    ntcp_nns_as_stream(s->nns, &s->up);
    if ((st = ntcp_xml_session_new(&s->in, 2048)) || (st = ntcp_xml_session_new(&s->out, 2048)) ||
        (st = ntcp_xml_writer_new(&s->w, NULL, s->out)))
        return st;
    if (client) {
        ntcp_framing_initiator_config ic;
        ntcp_framing_initiator_config_init(&ic);
        ic.via = "net.tcp://svc.nettcp.test/echo";
        ic.upgrade_name = NTCP_UPGRADE_NEGOTIATE;
        if ((st = ntcp_framing_new_initiator(&s->f, &ic, NULL)))
            return st;
        ntcp_framing_set_upgrade(s->f, &s->up);
        return ntcp_framing_start(s->f);
    }
    ntcp_framing_acceptor_config ac;
    ntcp_framing_acceptor_config_init(&ac);
    ac.upgrade_name = NTCP_UPGRADE_NEGOTIATE;
    ac.require_upgrade = true;
    return ntcp_framing_new_acceptor(&s->f, &ac, NULL);
}

static void side_free(side *s)
{
    ntcp_framing_free(s->f);
    ntcp_nns_free(s->nns);
    ntcp_xml_writer_free(s->w);
    ntcp_xml_session_free(s->in);
    ntcp_xml_session_free(s->out);
}

static ntcp_status send_soap(side *s, const char *action, const char *id, const char *relates, const char *body,
                             size_t body_len)
{
    ntcp_soap_out m = { 0 };
    m.action = action;
    m.message_id = id;
    m.relates_to = relates;
    m.reply_to_anonymous = id != NULL;
    m.body = body;
    m.body_len = body_len;
    ntcp_buf b;
    ntcp_buf_init(&b, 1 << 20);
    ntcp_status st = ntcp_soap_write(s->w, &m, &b);
    if (!st)
        st = ntcp_framing_send_envelope(s->f, b.data, b.len);
    ntcp_buf_free(&b);
    return st;
}

static ntcp_status on_event(side *s, bool client, const ntcp_framing_event *ev)
{
    ntcp_status st = NTCP_OK;
    switch (ev->type) {
    case NTCP_FEV_PREAMBLE:
        ntcp_framing_set_upgrade(s->f, &s->up);
        break;
    case NTCP_FEV_PREAMBLE_COMPLETE:
        if (client)
            st = send_soap(s, "urn:t/Echo", "urn:uuid:6e9c2f4a-1b3d-4c5e-8f70-112233445566", NULL, BODY,
                           strlen(BODY));
        break;
    case NTCP_FEV_ENVELOPE: {
        ntcp_soap_msg m;
        ntcp_soap_msg_init(&m);
        st = ntcp_soap_read_session(ev->data, ev->len, s->in, NULL, NULL, 0, &m);
        if (!st && client) {
            if (!m.action || strcmp(m.action, "urn:t/EchoResponse") || m.body.len != strlen(BODY) ||
                memcmp(m.body.data, BODY, m.body.len))
                st = NTCP_E_MALFORMED;
            s->replied = !st;
            if (!st)
                st = ntcp_framing_send_end(s->f);
        } else if (!st) {
            /* the service knows who called, even where an allocation was done without */
            const ntcp_nns_result *r = ntcp_nns_peek_result(s->nns);
            if (!r || !strstr(r->client, "carol") || r->protection != NTCP_PROTECTION_ENCRYPT_AND_SIGN)
                st = NTCP_E_AUTH_FAILED;
            else
                st = send_soap(s, "urn:t/EchoResponse", NULL, m.message_id, (const char *)m.body.data, m.body.len);
        }
        ntcp_soap_msg_clear(&m);
        break;
    }
    case NTCP_FEV_END: /* the service answers End; then both ends were sent */
        if (!client && !(st = ntcp_framing_send_end(s->f)) && ntcp_framing_is_closed(s->f))
            s->closed = true;
        break;
    case NTCP_FEV_CLOSED:
        s->closed = true;
        break;
    case NTCP_FEV_FAULT:
        st = ev->fault_status ? ev->fault_status : NTCP_E_FAULT;
        break;
    default:
        break;
    }
    return st;
}

/* Moves what `from` wrote into `to`, handling to's events. *moved: bytes. */
static ntcp_status pump(side *from, side *to, bool to_client, size_t *moved)
{
    const uint8_t *o;
    size_t n;
    ntcp_framing_output(from->f, &o, &n);
    *moved = n;
    size_t off = 0;
    for (;;) {
        size_t used = 0;
        ntcp_framing_event ev;
        ntcp_status st = ntcp_framing_feed(to->f, o + off, n - off, &used, &ev);
        off += used;
        if (st == NTCP_AGAIN) {
            if (off >= n)
                break;
            continue;
        }
        if (st)
            return st;
        if ((st = on_event(to, to_client, &ev)))
            return st;
    }
    ntcp_framing_output_consumed(from->f, n);
    return NTCP_OK;
}

/* The whole exchange; NTCP_OK once the client read the right reply and
 * both sides closed. */
static ntcp_status exchange(void)
{
    side c, s;
    ntcp_status st = side_new(&c, true);
    if (!st)
        st = side_new(&s, false);
    else
        memset(&s, 0, sizeof s);
    for (int round = 0; !st && round < 64 && !(c.closed && s.closed); round++) {
        size_t a = 0, b = 0;
        st = pump(&c, &s, false, &a);
        if (!st)
            st = pump(&s, &c, true, &b);
        if (!st && a == 0 && b == 0 && !(c.closed && s.closed))
            st = NTCP_E_STATE; /* stuck */
    }
    if (!st && !(c.replied && c.closed && s.closed))
        st = NTCP_E_STATE;
    side_free(&c);
    side_free(&s);
    return st;
}

TEST(failmalloc_secured_exchange)
{
    env_enter();
    ntcp_allocator a = { fm_malloc, fm_realloc, fm_free, NULL };
    /* without failures: it works, and tells how many allocations it makes */
    fm_fail_at = 0;
    fm_count = fm_live = 0;
    ntcp_set_allocator(&a);
    ntcp_status st = exchange();
    ntcp_set_allocator(NULL);
    CHECK_EQ_INT(st, NTCP_OK);
    CHECK_EQ_INT(fm_live, 0);
    long points = fm_count;
    CHECK(points > 50);
    long nomem = 0, other = 0, absorbed = 0, leaked_runs = 0;
    char others[512] = "";
    for (long i = 1; st == NTCP_OK && i <= points + 1000; i++) {
        fm_fail_at = i;
        fm_count = fm_live = 0;
        fm_injected = false;
        ntcp_set_allocator(&a);
        ntcp_status r = exchange();
        ntcp_set_allocator(NULL);
        if (fm_live != 0) {
            if (leaked_runs++ < 5)
                ntcp_test_fail(__FILE__, __LINE__, "failing allocation %ld: %ld allocation(s) left live (%s)", i,
                               fm_live, ntcp_status_name(r));
        }
        if (!fm_injected) { /* past the last allocation point */
            CHECK_EQ_INT(r, NTCP_OK);
            break;
        }
        if (r == NTCP_OK) {
            absorbed++; /* an allocation the exchange can do without (and the reply was right) */
        } else if (r == NTCP_E_NOMEM) {
            nomem++;
        } else {
            other++;
            const char *name = ntcp_status_name(r);
            if (!strstr(others, name) && strlen(others) + strlen(name) + 2 < sizeof others) {
                strcat(others, others[0] ? " " : "");
                strcat(others, name);
            }
        }
    }
    CHECK_EQ_INT(leaked_runs, 0);
    CHECK_EQ_INT(nomem + other + absorbed, points);
    CHECK(nomem > 0);
    fprintf(stderr, "    failmalloc: %ld allocation points; failing each: %ld out_of_memory, %ld other errors (%s), "
                    "%ld absorbed\n",
            points, nomem, other, others[0] ? others : "none", absorbed);
    env_leave();
}

/* An allocation failing while a header's s:mustUnderstand is read must be
 * an error, never "not mustUnderstand": the header would then pass
 * unprocessed. Every allocation point of reading such an envelope. */
TEST(failmalloc_must_understand_never_fails_open)
{
    ntcp_xml_writer *w;
    CHECK_EQ_INT(ntcp_xml_writer_new(&w, NULL, NULL), NTCP_OK);
    const char *hdr = "<h:Ticket xmlns:h=\"urn:t\" xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
                      "s:mustUnderstand=\"true\">7</h:Ticket>";
    ntcp_soap_out o = { 0 };
    o.action = "urn:t/Echo";
    o.message_id = "urn:uuid:6e9c2f4a-1b3d-4c5e-8f70-112233445566";
    o.headers = &hdr;
    o.nheaders = 1;
    o.body = BODY;
    o.body_len = strlen(BODY);
    ntcp_buf doc;
    ntcp_buf_init(&doc, 1 << 20);
    CHECK_EQ_INT(ntcp_soap_write(w, &o, &doc), NTCP_OK);
    ntcp_xml_writer_free(w);
    ntcp_allocator a = { fm_malloc, fm_realloc, fm_free, NULL };
    long points = 0, failed = 0;
    for (long i = 0; i < 10000; i++) {
        fm_fail_at = i; /* 0: no failure */
        fm_count = fm_live = 0;
        fm_injected = false;
        ntcp_soap_msg m;
        ntcp_soap_msg_init(&m);
        ntcp_set_allocator(&a);
        ntcp_status st = ntcp_soap_read(doc.data, doc.len, NULL, NULL, NULL, 0, &m);
        bool flagged = m.not_understood && strstr(m.not_understood, "Ticket");
        ntcp_soap_msg_clear(&m);
        ntcp_set_allocator(NULL);
        CHECK_EQ_INT(fm_live, 0);
        if (i == 0) {
            CHECK_EQ_INT(st, NTCP_OK);
            CHECK(flagged);
            points = fm_count;
            continue;
        }
        if (!fm_injected)
            break;
        if (st == NTCP_OK && !flagged)
            ntcp_test_fail(__FILE__, __LINE__, "allocation %ld failing: the mustUnderstand header passed", i);
        failed += st != NTCP_OK;
    }
    CHECK(points > 3);
    CHECK(failed > 0);
    ntcp_buf_free(&doc);
}
