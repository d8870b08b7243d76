/* NegotiateStream data frames under real security contexts (MIT KDC,
 * gss-ntlmssp): a frame that was modified, replayed, delivered out of order,
 * cut short or that lies about its length is refused with a named error;
 * the untouched stream is accepted. Run by nns_integrity.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nettcp/negotiate.h>
#include "negotiate/frames.h"
#include "e2e.h"


struct pair {
    ntcp_nns *c, *s;
};

/* How a handshake message is spoiled: its token emptied, replaced by
 * garbage, or cut to its first half (the header's length follows). */
enum spoil { SPOIL_NONE, SPOIL_EMPTY, SPOIL_GARBAGE, SPOIL_HALF };

static void spoil_message(ntcp_buf *m, enum spoil how)
{
    if (how == SPOIL_NONE || m->len < NTCP_NNS_HANDSHAKE_HEADER || m->data[0] == 0x15)
        return;
    size_t tl = (size_t)m->data[3] << 8 | m->data[4];
    size_t nl = how == SPOIL_EMPTY ? 0 : how == SPOIL_GARBAGE ? 5 : tl / 2;
    if (how == SPOIL_GARBAGE)
        memcpy(m->data + NTCP_NNS_HANDSHAKE_HEADER, "abcde", 5);
    m->data[3] = (uint8_t)(nl >> 8);
    m->data[4] = (uint8_t)nl;
    m->len = NTCP_NNS_HANDSHAKE_HEADER + nl;
}

/* In-memory handshake whose message number `at` (0: the client's first,
 * 1: the service's answer, ...) is spoiled; true when both sides are
 * established. *stopped_by is 'c' or 's' when that side refused a message. */
static bool pair_open_spoiled(struct pair *p, ntcp_package pkg, ntcp_protection prot, int at, enum spoil how,
                              char *stopped_by);

/* In-memory handshake; true when both sides are established. */
static bool pair_open(struct pair *p, ntcp_package pkg, ntcp_protection prot)
{
    char who;
    return pair_open_spoiled(p, pkg, prot, -1, SPOIL_NONE, &who);
}

static bool pair_open_spoiled(struct pair *p, ntcp_package pkg, ntcp_protection prot, int at, enum spoil how,
                              char *stopped_by)
{
    ntcp_nns_options co, so;
    ntcp_nns_options_init(&co);
    ntcp_nns_options_init(&so);
    co.package = pkg;
    co.protection = prot;
    co.identity = "spn:host/svc.nettcp.test";
    if (pkg == NTCP_PACKAGE_NTLM) {
        co.require_server_auth = false;
        co.user = env("NTCP_REALM_NTLM_USER");
        co.password = env("NTCP_REALM_NTLM_PASSWORD");
    } else {
        co.user = env("NTCP_REALM_USER");
        co.password = env("NTCP_REALM_PASSWORD");
    }
    so.keytab = env("NTCP_REALM_SERVICE_KEYTAB");
    so.protection = prot;
    if (ntcp_nns_new_initiator(&p->c, &co, ntcp_gss_provider()) ||
        ntcp_nns_new_acceptor(&p->s, &so, ntcp_gss_provider()))
        return false;
    ntcp_buf a, b, plain;
    ntcp_buf_init(&a, 1 << 20);
    ntcp_buf_init(&b, 1 << 20);
    ntcp_buf_init(&plain, 1 << 20);
    *stopped_by = 0;
    bool ok = ntcp_nns_start(p->c, &a) == NTCP_OK;
    int msg = 0;
    for (int leg = 0; ok && leg < 8 && !(ntcp_nns_established(p->c) && ntcp_nns_established(p->s)); leg++) {
        size_t used;
        if (a.len && msg++ == at)
            spoil_message(&a, how);
        ntcp_status st = ntcp_nns_recv(p->s, a.data, a.len, &used, &plain, &b);
        ntcp_buf_reset(&a);
        if (st != NTCP_OK && st != NTCP_AGAIN) {
            ok = false;
            *stopped_by = 's';
            break;
        }
        if (b.len && msg++ == at)
            spoil_message(&b, how);
        st = ntcp_nns_recv(p->c, b.data, b.len, &used, &plain, &a);
        ntcp_buf_reset(&b);
        if (st != NTCP_OK && st != NTCP_AGAIN) {
            ok = false;
            *stopped_by = 'c';
        }
    }
    ok = ok && ntcp_nns_established(p->c) && ntcp_nns_established(p->s);
    ntcp_buf_free(&a);
    ntcp_buf_free(&b);
    ntcp_buf_free(&plain);
    return ok;
}

static void pair_close(struct pair *p)
{
    ntcp_nns_free(p->c);
    ntcp_nns_free(p->s);
}

/* One frame from the client. */
static void frame(struct pair *p, const char *text, ntcp_buf *out)
{
    ntcp_buf_reset(out);
    if (ntcp_nns_send(p->c, (const uint8_t *)text, strlen(text), out))
        fprintf(stderr, "send failed: %s\n", ntcp_nns_last_error(p->c));
}

static ntcp_status deliver_to(ntcp_nns *to, const uint8_t *d, size_t n, ntcp_buf *plain);

/* Delivers bytes to the service; returns the status and the plaintext. */
static ntcp_status deliver(struct pair *p, const uint8_t *d, size_t n, ntcp_buf *plain)
{
    return deliver_to(p->s, d, n, plain);
}

static ntcp_status deliver_to(ntcp_nns *to, const uint8_t *d, size_t n, ntcp_buf *plain)
{
    ntcp_buf out;
    ntcp_buf_init(&out, 1 << 16);
    size_t off = 0;
    ntcp_status st = NTCP_AGAIN;
    while (off < n) {
        size_t used = 0;
        st = ntcp_nns_recv(to, d + off, n - off, &used, plain, &out);
        off += used;
        if (st != NTCP_OK && st != NTCP_AGAIN)
            break;
        if (used == 0)
            break;
    }
    ntcp_buf_free(&out);
    return st;
}

/* Rotates an RFC 4121 Wrap token's payload right by r and says so in its
 * RRC field (not protected), as a peer may send it. */
static void rotate_token(uint8_t *tok, size_t len, unsigned r)
{
    uint8_t *body = tok + 16, tail[64];
    size_t n = len - 16;
    memcpy(tail, body + n - r, r);
    memmove(body + r, body, n - r);
    memcpy(body, tail, r);
    tok[6] = (uint8_t)(r >> 8);
    tok[7] = (uint8_t)r;
}

static bool plain_is(const ntcp_buf *b, const char *s)
{
    return b->len == strlen(s) && !memcmp(b->data, s, b->len);
}

static void run(const char *name, ntcp_package pkg, ntcp_protection prot)
{
    struct pair p;
    ntcp_buf f1, f2, plain;
    ntcp_buf_init(&f1, 1 << 16);
    ntcp_buf_init(&f2, 1 << 16);
    ntcp_buf_init(&plain, 1 << 16);

    /* untouched, then replayed */
    EXPECT(pair_open(&p, pkg, prot), "%s: handshake", name);
    frame(&p, "first message", &f1);
    EXPECT(deliver(&p, f1.data, f1.len, &plain) != NTCP_E_MESSAGE_ALTERED && plain_is(&plain, "first message"),
           "%s: untouched frame refused: %s", name, ntcp_nns_last_error(p.s));
    ntcp_buf_reset(&plain);
    ntcp_status st = deliver(&p, f1.data, f1.len, &plain);
    EXPECT(st == NTCP_E_MESSAGE_ALTERED && plain.len == 0, "%s: replayed frame: %s", name, ntcp_status_name(st));
    pair_close(&p);

    /* reordered: the second frame first */
    ntcp_buf_reset(&plain);
    EXPECT(pair_open(&p, pkg, prot), "%s: handshake", name);
    frame(&p, "one", &f1);
    frame(&p, "two", &f2);
    st = deliver(&p, f2.data, f2.len, &plain);
    EXPECT(st == NTCP_E_MESSAGE_ALTERED && plain.len == 0, "%s: reordered frame: %s", name, ntcp_status_name(st));
    EXPECT(!strcmp(ntcp_cause_id(ntcp_nns_cause(ntcp_nns_error_info(p.s))), "message_altered"), "%s: cause %s", name,
           ntcp_cause_id(ntcp_nns_cause(ntcp_nns_error_info(p.s))));
    pair_close(&p);

    /* tampered: one bit of the last byte (payload or signature) flipped, and a byte of the signature area */
    for (int where = 0; where < 2; where++) {
        ntcp_buf_reset(&plain);
        EXPECT(pair_open(&p, pkg, prot), "%s: handshake", name);
        frame(&p, "do not change me", &f1);
        size_t at = where == 0 ? f1.len - 1 : 4 + 10;
        f1.data[at] ^= 0x01;
        st = deliver(&p, f1.data, f1.len, &plain);
        EXPECT(st == NTCP_E_MESSAGE_ALTERED && plain.len == 0, "%s: tampered byte %zu: %s", name, at,
               ntcp_status_name(st));
        pair_close(&p);
    }

    /* the bytes delivered are only read: a frame as sent and, for a Kerberos
     * sealed token, the same token rotated to RRC 28 */
    int forms = pkg != NTCP_PACKAGE_NTLM && prot == NTCP_PROTECTION_ENCRYPT_AND_SIGN ? 2 : 1;
    for (int rotated = 0; rotated < forms; rotated++) {
        ntcp_buf_reset(&plain);
        EXPECT(pair_open(&p, pkg, prot), "%s: handshake", name);
        frame(&p, "read me, do not write me", &f1);
        if (rotated)
            rotate_token(f1.data + NTCP_NNS_DATA_HEADER, f1.len - NTCP_NNS_DATA_HEADER, 28);
        uint8_t *before = malloc(f1.len);
        memcpy(before, f1.data, f1.len);
        st = deliver(&p, f1.data, f1.len, &plain);
        EXPECT(plain_is(&plain, "read me, do not write me"), "%s: %s frame: %s", name, rotated ? "rotated" : "as sent",
               ntcp_status_name(st));
        EXPECT(!memcmp(before, f1.data, f1.len), "%s: the %s frame delivered was written to", name,
               rotated ? "rotated" : "as sent");
        free(before);
        pair_close(&p);
    }

    /* truncated: all but the last byte gives nothing yet; the last byte completes it */
    ntcp_buf_reset(&plain);
    EXPECT(pair_open(&p, pkg, prot), "%s: handshake", name);
    frame(&p, "in two pieces", &f1);
    st = deliver(&p, f1.data, f1.len - 1, &plain);
    EXPECT((st == NTCP_AGAIN || st == NTCP_OK) && plain.len == 0, "%s: partial frame: %s, %zu bytes", name, ntcp_status_name(st),
           plain.len);
    st = deliver(&p, f1.data + f1.len - 1, 1, &plain);
    EXPECT(plain_is(&plain, "in two pieces"), "%s: completed frame: %s", name, ntcp_status_name(st));
    /* a length that lies: larger than 65536 */
    uint8_t lie[8] = { 0x01, 0x00, 0x01, 0x00, 0, 0, 0, 0 };
    st = deliver(&p, lie, sizeof lie, &plain);
    EXPECT(st == NTCP_E_NNS_FRAME_SIZE, "%s: length lie: %s", name, ntcp_status_name(st));
    pair_close(&p);

    ntcp_buf_free(&f1);
    ntcp_buf_free(&f2);
    ntcp_buf_free(&plain);
}

/* Every handshake message in turn, emptied, replaced by garbage or cut in
 * half: the side that receives it refuses it with a named failure (and
 * neither side crashes); the other side is not established either. */
static void spoiled_handshakes(const char *name, ntcp_package pkg)
{
    static const char *const how_name[] = { "", "empty", "garbage", "half" };
    for (int how = SPOIL_EMPTY; how <= SPOIL_HALF; how++) {
        for (int at = 0; at < 6; at++) {
            struct pair p;
            char who = 0;
            bool ok = pair_open_spoiled(&p, pkg, NTCP_PROTECTION_ENCRYPT_AND_SIGN, at, how, &who);
            if (ok) { /* fewer messages than `at`: nothing was spoiled */
                pair_close(&p);
                break;
            }
            ntcp_nns *refuser = who == 's' ? p.s : p.c;
            const ntcp_nns_error *e = who ? ntcp_nns_error_info(refuser) : NULL;
            const char *cause = e ? ntcp_cause_id(ntcp_nns_cause(e)) : "(none)";
            /* a token cut short may fail inside the mechanism, which then
             * names no more than "unknown" with the GSS error */
            EXPECT(who && e && e->status < 0 && (how == SPOIL_HALF || strcmp(cause, "unknown") != 0),
                   "%s: %s message %d: refused by '%c' with status %s, cause %s: %s", name, how_name[how], at,
                   who ? who : '-', e ? ntcp_status_name(e->status) : "-", cause,
                   who ? ntcp_nns_last_error(refuser) : "");
            if (how == SPOIL_EMPTY)
                EXPECT(e && e->status == NTCP_E_MALFORMED && !strcmp(cause, "protocol"),
                       "%s: empty message %d: %s, cause %s", name, at, e ? ntcp_status_name(e->status) : "-", cause);
            pair_close(&p);
        }
    }
}

/* Data frames shorter than any per-message token (NTLM signature, Kerberos
 * token header), to the service and to the client: refused by name. */
static void short_frames(const char *name, ntcp_package pkg, ntcp_protection prot)
{
    for (int side = 0; side < 2; side++)
        for (size_t n = 5; n < 16; n++) {
            struct pair p;
            ntcp_buf plain;
            ntcp_buf_init(&plain, 1 << 16);
            EXPECT(pair_open(&p, pkg, prot), "%s: handshake", name);
            uint8_t f[4 + 16] = { (uint8_t)n, 0, 0, 0 };
            memset(f + 4, 'a', n);
            ntcp_nns *to = side ? p.c : p.s;
            ntcp_status st = deliver_to(to, f, 4 + n, &plain);
            const char *cause = ntcp_cause_id(ntcp_nns_cause(ntcp_nns_error_info(to)));
            EXPECT((st == NTCP_E_MESSAGE_ALTERED && !strcmp(cause, "message_altered")) ||
                       (st == NTCP_E_MALFORMED && !strcmp(cause, "protocol")),
                   "%s: a %zu-byte frame to the %s: %s, cause %s", name, n, side ? "client" : "service",
                   ntcp_status_name(st), cause);
            EXPECT(plain.len == 0, "%s: a %zu-byte frame gave plaintext", name, n);
            ntcp_buf_free(&plain);
            pair_close(&p);
        }
}

int main(void)
{
    spoiled_handshakes("kerberos", NTCP_PACKAGE_KERBEROS);
    spoiled_handshakes("negotiate", NTCP_PACKAGE_NEGOTIATE);
    spoiled_handshakes("ntlm", NTCP_PACKAGE_NTLM);
    short_frames("kerberos/encrypt", NTCP_PACKAGE_KERBEROS, NTCP_PROTECTION_ENCRYPT_AND_SIGN);
    short_frames("kerberos/sign", NTCP_PACKAGE_KERBEROS, NTCP_PROTECTION_SIGN);
    short_frames("ntlm/encrypt", NTCP_PACKAGE_NTLM, NTCP_PROTECTION_ENCRYPT_AND_SIGN);
    short_frames("ntlm/sign", NTCP_PACKAGE_NTLM, NTCP_PROTECTION_SIGN);
    run("kerberos/encrypt", NTCP_PACKAGE_KERBEROS, NTCP_PROTECTION_ENCRYPT_AND_SIGN);
    run("kerberos/sign", NTCP_PACKAGE_KERBEROS, NTCP_PROTECTION_SIGN);
    run("negotiate/encrypt", NTCP_PACKAGE_NEGOTIATE, NTCP_PROTECTION_ENCRYPT_AND_SIGN);
    run("ntlm/encrypt", NTCP_PACKAGE_NTLM, NTCP_PROTECTION_ENCRYPT_AND_SIGN);
    run("ntlm/sign", NTCP_PACKAGE_NTLM, NTCP_PROTECTION_SIGN);
    return e2e_finish();
}
