/* The MIT GSSAPI provider: Kerberos, SPNEGO and gss-ntlmssp through the
 * mechglue. Secrets (password, session key) are only handed to GSSAPI or
 * measured; they are never copied into error text. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5/krb5.h>
#include <nettcp/negotiate.h>
#include "negotiate/nns_int.h"
#include "negotiate/cfx.h"
#include "negotiate/krbctx.h"

static gss_OID_desc oid_krb5 = { 9, (void *)"\x2a\x86\x48\x86\xf7\x12\x01\x02\x02" };
static gss_OID_desc oid_spnego = { 6, (void *)"\x2b\x06\x01\x05\x05\x02" };
static gss_OID_desc oid_ntlm = { 10, (void *)"\x2b\x06\x01\x04\x01\x82\x37\x02\x02\x0a" };
/* GSS_KRB5_SESSION_KEY_ENCTYPE_OID (1.2.840.113554.1.2.2.4), followed by the enctype */
static const uint8_t enctype_oid_prefix[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x04 };

/* A credential and the private MEMORY ccache behind it (anonymous ticket,
 * client keytab), destroyed with it so no tickets outlive the connection. */
typedef struct shared_cred shared_cred;
typedef struct gcred {
    gss_cred_id_t h;
    char memcc[64]; /* "" when the ccache is not ours */
    shared_cred *shared; /* h belongs to the reuse cache below */
    char *name;          /* a Kerberos client credential's principal (display form), or NULL */
    bool anonymous_name; /* that principal is WELLKNOWN/ANONYMOUS */
} gcred;

static gss_cred_id_t cred_handle(void *cred) { return cred ? ((gcred *)cred)->h : GSS_C_NO_CREDENTIAL; }

static void destroy_memcc(const char *name)
{
    krb5_context k;
    krb5_ccache cc;
    if (!name[0] || !(k = ntcp__krb5_thread_context()))
        return;
    if (!krb5_cc_resolve(k, name, &cc))
        krb5_cc_destroy(k, cc);
}

typedef struct gctx {
    bool initiator;
    gss_ctx_id_t ctx;
    gss_name_t target;
    gss_OID mech;
    bool ntlm;
    int ntlm_sig_last; /* 0 unknown, 1 the library puts the signature last, -1 first */
    bool retried;
    const char *name_form;
    /* initiator: its credential's principal, which a Kerberos context's
     * initiator name is (asking the context costs six krb5 contexts) */
    char *own_name; /* or NULL */
    bool own_anonymous;
    /* acceptor: the client's name as accept returned it (asking the context
     * for it afterwards costs another copy of the name through SPNEGO) */
    char *peer_name; /* or NULL */
    bool peer_anonymous;
    gss_cred_id_t deleg;
    OM_uint32 flags;
    /* Kerberos aes-sha1 contexts: per-message tokens through libcrypto
     * (cfx.h) from the first data frame on; then GSS is never asked for a
     * per-message operation again, so the sequence numbers live in one
     * place. 0 untried, 1 on, -1 GSS. */
    int fast_state;
    ntcp_cfx *fast;
    ntcp_buf copy; /* g_unwrap: a token its library rearranges */
} gctx;

static bool oid_eq(gss_const_OID a, gss_const_OID b)
{
    return a && b && a->length == b->length && !memcmp(a->elements, b->elements, a->length);
}

static const char *mech_label(gss_const_OID m)
{
    if (oid_eq(m, &oid_krb5))
        return "Kerberos";
    if (oid_eq(m, &oid_ntlm))
        return "NTLM";
    if (oid_eq(m, &oid_spnego))
        return "SPNEGO";
    return "";
}

static void display(OM_uint32 code, int type, gss_OID mech, char *out, size_t cap, size_t *n)
{
    OM_uint32 ctx = 0, min;
    int guard = 0;
    do {
        gss_buffer_desc b = GSS_C_EMPTY_BUFFER;
        if (GSS_ERROR(gss_display_status(&min, code, type, mech, &ctx, &b)))
            break;
        if (*n < cap) {
            int w = snprintf(out + *n, cap - *n, "%s%.*s", *n ? "; " : "", (int)b.length, (const char *)b.value);
            *n = w < 0 ? cap : *n + (size_t)w;
        }
        gss_release_buffer(&min, &b);
    } while (ctx && ++guard < 8);
}

/* The mechglue renumbers a minor code that passes through SPNEGO, so the
 * Kerberos error is not visible in it. Both numbers display the same krb5
 * message, though: find the krb5 code whose text matches. Only on failure. */
static long krb5_code_by_text(const char *text)
{
    if (!text[0])
        return -1;
    for (long k = 0; k < 256; k++) {
        OM_uint32 ctx = 0, min;
        gss_buffer_desc b = GSS_C_EMPTY_BUFFER;
        OM_uint32 code = (OM_uint32)(int32_t)(ERROR_TABLE_BASE_krb5 + k);
        if (GSS_ERROR(gss_display_status(&min, code, GSS_C_MECH_CODE, &oid_krb5, &ctx, &b)))
            continue;
        bool same = b.length == strlen(text) && !memcmp(b.value, text, b.length);
        gss_release_buffer(&min, &b);
        if (same)
            return k;
    }
    return -1;
}

/* Records a GSS failure: major, minor, their text and the Kerberos error. */
static void gss_err(ntcp_nns_error *e, OM_uint32 major, OM_uint32 minor, gss_OID mech)
{
    e->major = major;
    e->minor = minor;
    e->krb5_error = -1;
    long m = (long)(int32_t)minor;
    if (minor && m >= ERROR_TABLE_BASE_krb5 && m < ERROR_TABLE_BASE_krb5 + 256)
        e->krb5_error = m - ERROR_TABLE_BASE_krb5;
    if (mech && mech_label(mech)[0] && strcmp(mech_label(mech), "SPNEGO"))
        snprintf(e->mech, sizeof e->mech, "%s", mech_label(mech));
    size_t n = 0;
    e->gss_text[0] = 0;
    display(major, GSS_C_GSS_CODE, GSS_C_NO_OID, e->gss_text, sizeof e->gss_text, &n);
    if (minor) {
        char mt[256] = "";
        size_t mn = 0;
        display(minor, GSS_C_MECH_CODE, mech ? mech : GSS_C_NO_OID, mt, sizeof mt, &mn);
        if (e->krb5_error < 0)
            e->krb5_error = krb5_code_by_text(mt);
        if (n < sizeof e->gss_text) {
            int w = snprintf(e->gss_text + n, sizeof e->gss_text - n, "%s%s", n ? "; " : "", mt);
            n = w < 0 ? sizeof e->gss_text : n + (size_t)w;
        }
    }
    if (n >= sizeof e->gss_text)
        e->gss_text[sizeof e->gss_text - 1] = 0;
}

static bool looks_ntlm(const uint8_t *p, size_t len)
{
    return p && len >= 8 && memmem(p, len, "NTLMSSP\0", 8) != NULL;
}

static ntcp_status to_status(OM_uint32 major)
{
    switch (GSS_ROUTINE_ERROR(major)) {
    case GSS_S_NO_CRED: return NTCP_E_NO_CREDENTIALS;
    case GSS_S_BAD_SIG: return NTCP_E_MESSAGE_ALTERED;
    default: return NTCP_E_AUTH_FAILED;
    }
}

static ntcp_status put_buffer(ntcp_buf *out, gss_buffer_t b)
{
    return b->length ? ntcp_buf_append(out, b->value, b->length) : NTCP_OK;
}

static void name_text(gss_name_t n, char *out, size_t cap, bool *anonymous);

/* ---- reuse across connections ------------------------------------------------
 * Acquiring a client credential from a ccache costs more than the Kerberos
 * exchange itself (MIT reads krb5.conf and the ccache several times, and
 * SPNEGO's acquire asks every mechanism, gss-ntlmssp included), and a service
 * re-checked its keytab for every session. A process that opens many
 * connections with the same options reuses what it acquired while the file
 * behind it is unchanged (device, inode, size, modification time) and, for a
 * client credential, while it has not expired. Any kinit, kdestroy, new
 * ticket or keytab change makes the next connection acquire afresh, so a
 * connection sees what a fresh acquire would give it, failures included.
 * Only file ccaches and keytabs, and never anonymous, password or
 * client-keytab logons (their private MEMORY ccaches die with the
 * connection). */
struct shared_cred {
    gss_cred_id_t h;
    unsigned refs;
    char memcc[64]; /* the MEMORY ccache h was acquired from, destroyed with it; or "" */
    /* the MEMORY keytab h reads, kept alive by this handle (MIT frees a
     * MEMORY keytab when its last handle closes); or NULL */
    krb5_context kctx;
    krb5_keytab mkt;
    ntcp_allocator alloc; /* the hook that made it: the cache outlives any ntcp_set_allocator */
};

typedef struct file_stamp {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime, ctime; /* ctime: a copy that keeps the mtime is a change too */
} file_stamp;

static pthread_mutex_t reuse_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
    char key[1024];
    file_stamp stamp;
    time_t expires; /* 0: no expiry */
    bool anonymous_name;
    char name[256];
    shared_cred *sc;
    /* Once the entry is used again with its file unchanged, the ccache is
     * copied into a MEMORY ccache and the credential acquired from the copy:
     * MIT then no longer opens, locks and parses the file (four times per
     * connection); only its stamp is checked. A first connection still reads
     * the file and stores the service tickets it gets there, as any Kerberos
     * program does; tickets got through the copy stay in the process. */
    bool in_memory;
    bool copying; /* one thread makes the copy */
} client_reuse;
static struct {
    char key[1024];
    file_stamp stamp;
    bool valid;
} keytab_reuse;

/* The acceptor's default credential (every mechanism's, as SPNEGO would
 * acquire it for each accept given GSS_C_NO_CREDENTIAL: keytab read, replay
 * cache opened, gss-ntlmssp asked), held while the keytab, NTLM_USER_FILE
 * and KRB5_CONFIG are unchanged. */
static struct {
    char key[1536];
    file_stamp kt, ntlm;
    shared_cred *sc;
} acceptor_reuse;

/* The file behind a FILE: ccache or keytab name; false for other types. */
static bool stamp_of(const char *name, file_stamp *fs)
{
    if (!strncmp(name, "FILE:", 5))
        name += 5;
    else if (name[0] != '/')
        return false; /* MEMORY:, KCM:, KEYRING:, DIR:, a relative name: no cheap change stamp */
    struct stat st;
    if (stat(name, &st) != 0 || !S_ISREG(st.st_mode))
        return false;
    memset(fs, 0, sizeof *fs);
    fs->dev = st.st_dev;
    fs->ino = st.st_ino;
    fs->size = st.st_size;
    fs->mtime = st.st_mtim;
    fs->ctime = st.st_ctim;
    return true;
}

static bool stamp_eq(const file_stamp *a, const file_stamp *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->mtime.tv_sec == b->mtime.tv_sec &&
           a->mtime.tv_nsec == b->mtime.tv_nsec && a->ctime.tv_sec == b->ctime.tv_sec &&
           a->ctime.tv_nsec == b->ctime.tv_nsec;
}

/* A cache entry, through the allocator hook in use now; freed with the same. */
static shared_cred *shared_new(void)
{
    ntcp_allocator a;
    ntcp_get_allocator(&a);
    shared_cred *sc = a.malloc_fn(sizeof *sc, a.ctx);
    if (sc) {
        memset(sc, 0, sizeof *sc);
        sc->alloc = a;
    }
    return sc;
}

static void shared_free(shared_cred *sc)
{
    if (sc)
        sc->alloc.free_fn(sc, sc->alloc.ctx);
}

static void shared_unref(shared_cred *sc)
{
    if (!sc)
        return;
    pthread_mutex_lock(&reuse_mu);
    bool last = --sc->refs == 0;
    pthread_mutex_unlock(&reuse_mu);
    if (last) {
        OM_uint32 m;
        gss_release_cred(&m, &sc->h);
        destroy_memcc(sc->memcc);
        if (sc->mkt)
            krb5_kt_close(sc->kctx, sc->mkt);
        if (sc->kctx)
            krb5_free_context(sc->kctx);
        shared_free(sc);
    }
}

/* The reuse key of a client credential and the stamp of its ccache, or
 * false when this logon is not reused. */
static bool client_reuse_key(const ntcp_nns_options *o, ntcp_package pkg, char *key, size_t cap, file_stamp *fs,
                             char *ccname, size_t ccname_cap)
{
    if (o->anonymous || o->password || o->client_keytab || pkg == NTCP_PACKAGE_NTLM ||
        (pkg == NTCP_PACKAGE_NEGOTIATE && !o->require_server_auth))
        return false; /* NTLM credentials come from elsewhere (NTLM_USER_FILE) */
    char defname[512] = "";
    const char *cc = o->ccache ? o->ccache : getenv("KRB5CCNAME");
    if (!cc) {
        /* the context remembers the name it found first: ask afresh */
        krb5_context k = ntcp__krb5_thread_context();
        if (!k || krb5_cc_set_default_name(k, NULL))
            return false;
        const char *d = krb5_cc_default_name(k);
        snprintf(defname, sizeof defname, "%s", d ? d : "");
        cc = defname;
    }
    if (!stamp_of(cc, fs))
        return false;
    int m = snprintf(ccname, ccname_cap, "%s", cc);
    if (m < 0 || (size_t)m >= ccname_cap)
        return false;
    const char *conf = getenv("KRB5_CONFIG");
    int n = snprintf(key, cap, "%d|%d|%d|%s|%s|%s", (int)pkg, o->protection == NTCP_PROTECTION_ENCRYPT_AND_SIGN,
                     o->require_server_auth, o->user ? o->user : "", cc, conf ? conf : "");
    return n > 0 && (size_t)n < cap;
}

/* A reference to the held credential, or false. *copy is set when this
 * caller is the one to move the entry into memory (then client_reuse_put
 * with the copy, or client_reuse_copy_failed). */
static bool client_reuse_get(const char *key, const file_stamp *fs, gcred **out, bool *anonymous_name, bool *copy)
{
    bool hit = false;
    *copy = false;
    pthread_mutex_lock(&reuse_mu);
    if (client_reuse.sc && !strcmp(client_reuse.key, key) && stamp_eq(&client_reuse.stamp, fs) &&
        (!client_reuse.expires || time(NULL) < client_reuse.expires)) {
        if (!client_reuse.in_memory && !client_reuse.copying)
            *copy = client_reuse.copying = true;
        gcred *gc = ntcp_calloc(1, sizeof *gc);
        if (gc) {
            client_reuse.sc->refs++;
            gc->h = client_reuse.sc->h;
            gc->shared = client_reuse.sc;
            *anonymous_name = client_reuse.anonymous_name;
            gc->anonymous_name = client_reuse.anonymous_name;
            gc->name = client_reuse.name[0] ? ntcp_strndup(client_reuse.name, strlen(client_reuse.name)) : NULL;
            *out = gc;
            hit = true;
        }
    }
    pthread_mutex_unlock(&reuse_mu);
    return hit;
}

/* Hands gc's handle to the cache (gc keeps a reference); memcc, when not
 * "", is the MEMORY ccache copy the handle was acquired from, which the
 * cache then owns. */
static void client_reuse_put(const char *key, const file_stamp *fs, OM_uint32 lifetime, bool anonymous_name,
                             gcred *gc, const char *memcc)
{
    shared_cred *sc = shared_new();
    if (!sc) {
        destroy_memcc(memcc);
        return;
    }
    sc->h = gc->h;
    sc->refs = 2;
    snprintf(sc->memcc, sizeof sc->memcc, "%s", memcc);
    gc->shared = sc;
    pthread_mutex_lock(&reuse_mu);
    shared_cred *old = client_reuse.sc;
    snprintf(client_reuse.key, sizeof client_reuse.key, "%s", key);
    client_reuse.stamp = *fs;
    client_reuse.expires = lifetime == GSS_C_INDEFINITE ? 0 : time(NULL) + (time_t)lifetime;
    client_reuse.anonymous_name = anonymous_name;
    snprintf(client_reuse.name, sizeof client_reuse.name, "%s", gc->name ? gc->name : "");
    client_reuse.sc = sc;
    client_reuse.in_memory = memcc[0] != 0;
    client_reuse.copying = false;
    pthread_mutex_unlock(&reuse_mu);
    shared_unref(old);
}

/* The copy could not be made or used: the entry stays as it was (and is not
 * tried again while it lives). */
static void client_reuse_copy_failed(void)
{
    pthread_mutex_lock(&reuse_mu);
    client_reuse.in_memory = true;
    client_reuse.copying = false;
    pthread_mutex_unlock(&reuse_mu);
}

/* Copies the ccache ccname (tickets and configuration entries) into a new
 * MEMORY ccache; its name in out. */
static bool ccache_copy_to_memory(const char *ccname, char *out, size_t cap)
{
    krb5_context k = ntcp__krb5_thread_context();
    krb5_ccache from = NULL, to = NULL;
    krb5_principal princ = NULL;
    if (!k)
        return false;
    bool ok = !krb5_cc_resolve(k, ccname, &from) && !krb5_cc_get_principal(k, from, &princ) &&
              !krb5_cc_new_unique(k, "MEMORY", NULL, &to) && !krb5_cc_initialize(k, to, princ) &&
              !krb5_cc_copy_creds(k, from, to);
    if (ok) {
        int n = snprintf(out, cap, "MEMORY:%s", krb5_cc_get_name(k, to));
        ok = n > 0 && (size_t)n < cap;
    }
    if (to) {
        if (ok)
            krb5_cc_close(k, to); /* the MEMORY ccache lives on until destroyed */
        else
            krb5_cc_destroy(k, to);
    }
    if (from)
        krb5_cc_close(k, from);
    krb5_free_principal(k, princ);
    if (!ok)
        out[0] = 0;
    return ok;
}

/* Copies the keytab file into a new MEMORY keytab and registers that as the
 * acceptor identity; the handle that keeps it, or NULL (the file stays
 * registered). */
static krb5_keytab keytab_copy_to_memory(krb5_context k, const char *file)
{
    static unsigned long seq;
    char name[64];
    snprintf(name, sizeof name, "MEMORY:nettcp-kt-%lu", __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED));
    krb5_keytab from = NULL, to = NULL;
    krb5_kt_cursor cur;
    krb5_keytab_entry e;
    krb5_error_code code = 0;
    unsigned n = 0;
    if (krb5_kt_resolve(k, file, &from))
        return NULL;
    bool ok = !krb5_kt_resolve(k, name, &to) && !krb5_kt_start_seq_get(k, from, &cur);
    if (ok) {
        while (ok && !(code = krb5_kt_next_entry(k, from, &e, &cur))) {
            ok = !krb5_kt_add_entry(k, to, &e);
            krb5_free_keytab_entry_contents(k, &e); /* wipes the key */
            n++;
        }
        krb5_kt_end_seq_get(k, from, &cur);
        ok = ok && code == KRB5_KT_END && n > 0;
    }
    krb5_kt_close(k, from);
    if (ok && krb5_gss_register_acceptor_identity(name) == 0)
        return to;
    if (to)
        krb5_kt_close(k, to); /* the last handle: the copy is freed */
    return NULL;
}

/* A reference to the held default acceptor credential (acquired now if the
 * files behind it changed), or NULL: then GSS_C_NO_CREDENTIAL, and each
 * mechanism acquires its default at every accept, as before. With a keytab
 * named by the service (registered process-wide already), the credential
 * reads a copy of it in memory: MIT would otherwise open, lock and parse the
 * file at every accept; a change of the file makes a new copy, as it makes a
 * new credential. */
static gcred *acceptor_default(const char *keytab)
{
    const char *kt = keytab ? keytab : getenv("KRB5_KTNAME");
    const char *nf = getenv("NTLM_USER_FILE"), *conf = getenv("KRB5_CONFIG");
    file_stamp kfs, nfs;
    memset(&nfs, 0, sizeof nfs);
    if (!kt || !stamp_of(kt, &kfs) || (nf && !stamp_of(nf, &nfs)))
        return NULL; /* no cheap change stamp: no reuse */
    char key[1536];
    int kn = snprintf(key, sizeof key, "%s|%s|%s", kt, nf ? nf : "", conf ? conf : "");
    if (kn < 0 || (size_t)kn >= sizeof key)
        return NULL;
    gcred *gc = ntcp_calloc(1, sizeof *gc);
    if (!gc)
        return NULL;
    pthread_mutex_lock(&reuse_mu);
    if (acceptor_reuse.sc && !strcmp(acceptor_reuse.key, key) && stamp_eq(&acceptor_reuse.kt, &kfs) &&
        stamp_eq(&acceptor_reuse.ntlm, &nfs)) {
        acceptor_reuse.sc->refs++;
        gc->h = acceptor_reuse.sc->h;
        gc->shared = acceptor_reuse.sc;
        pthread_mutex_unlock(&reuse_mu);
        return gc;
    }
    pthread_mutex_unlock(&reuse_mu);
    OM_uint32 minor;
    gss_cred_id_t h = GSS_C_NO_CREDENTIAL;
    shared_cred *sc = shared_new();
    if (sc && keytab && !krb5_init_context(&sc->kctx)) {
        sc->mkt = keytab_copy_to_memory(sc->kctx, keytab);
        if (!sc->mkt) {
            krb5_free_context(sc->kctx);
            sc->kctx = NULL;
        }
    }
    if (!sc || GSS_ERROR(gss_acquire_cred(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, GSS_C_NO_OID_SET, GSS_C_ACCEPT,
                                          &h, NULL, NULL))) {
        if (sc && sc->mkt) {
            (void)krb5_gss_register_acceptor_identity(keytab); /* not the copy about to be freed */
            krb5_kt_close(sc->kctx, sc->mkt);
            krb5_free_context(sc->kctx);
        }
        shared_free(sc);
        ntcp_free(gc);
        return NULL;
    }
    sc->h = h;
    sc->refs = 2;
    gc->h = h;
    gc->shared = sc;
    pthread_mutex_lock(&reuse_mu);
    shared_cred *old = acceptor_reuse.sc;
    snprintf(acceptor_reuse.key, sizeof acceptor_reuse.key, "%s", key);
    acceptor_reuse.kt = kfs;
    acceptor_reuse.ntlm = nfs;
    acceptor_reuse.sc = sc;
    pthread_mutex_unlock(&reuse_mu);
    shared_unref(old);
    return gc;
}

/* ---- acquire ------------------------------------------------------------- */
/* An anonymous logon, through Kerberos only: gss-ntlmssp refuses them. */
static bool anonymous_logon(const ntcp_nns_options *o, ntcp_package pkg)
{
    return o->anonymous && !o->user && pkg != NTCP_PACKAGE_NTLM;
}

/* MIT's krb5 mechanism ignores GSS_C_ANON_FLAG (1.20: it neither makes the
 * initiator anonymous nor reports the flag) and gss_acquire_cred for
 * GSS_C_NT_ANONYMOUS only finds an anonymous ticket already in a ccache. So
 * get one: anonymous PKINIT (RFC 8062) for the default realm, into a fresh
 * MEMORY ccache whose name goes to ccname. Nothing secret is involved. */
static ntcp_status anonymous_ticket(char *ccname, size_t cap, ntcp_nns_error *err)
{
    krb5_context k = ntcp__krb5_thread_context();
    if (!k) {
        err->krb5_error = -1;
        snprintf(err->detail, sizeof err->detail, "no Kerberos context for an anonymous logon (check KRB5_CONFIG)");
        return NTCP_E_NO_CREDENTIALS;
    }
    (void)krb5_set_default_realm(k, NULL); /* krb5.conf's realm, not one the context remembers */
    krb5_ccache cc = NULL;
    krb5_principal anon = NULL;
    krb5_get_init_creds_opt *opt = NULL;
    krb5_creds creds;
    char *realm = NULL, *full = NULL;
    memset(&creds, 0, sizeof creds);
    krb5_error_code code = krb5_get_default_realm(k, &realm);
    if (!code)
        code = krb5_build_principal(k, &anon, (unsigned int)strlen(realm), realm, KRB5_WELLKNOWN_NAMESTR,
                                    KRB5_ANONYMOUS_PRINCSTR, (char *)NULL);
    if (!code)
        code = krb5_cc_new_unique(k, "MEMORY", NULL, &cc);
    if (!code)
        code = krb5_get_init_creds_opt_alloc(k, &opt);
    if (!code) {
        krb5_get_init_creds_opt_set_anonymous(opt, 1);
        code = krb5_get_init_creds_opt_set_out_ccache(k, opt, cc);
    }
    if (!code)
        code = krb5_get_init_creds_password(k, &creds, anon, NULL, NULL, NULL, 0, NULL, opt);
    if (!code)
        code = krb5_cc_get_full_name(k, cc, &full);
    ntcp_status st = NTCP_OK;
    if (code || strlen(full) >= cap) {
        long kc = (long)code - ERROR_TABLE_BASE_krb5;
        err->krb5_error = code && kc >= 0 && kc < 256 ? kc : -1;
        snprintf(err->mech, sizeof err->mech, "Kerberos");
        const char *m = code ? krb5_get_error_message(k, code) : NULL;
        snprintf(err->gss_text, sizeof err->gss_text, "%s", m ? m : "the ccache name is too long");
        if (m)
            krb5_free_error_message(k, m);
        snprintf(err->detail, sizeof err->detail,
                 "no anonymous ticket for realm %s (anonymous PKINIT: the KDC needs a certificate and "
                 "WELLKNOWN/ANONYMOUS, the client pkinit_anchors)",
                 realm ? realm : "(no default realm)");
        st = NTCP_E_NO_CREDENTIALS;
        if (cc)
            krb5_cc_destroy(k, cc);
    } else {
        snprintf(ccname, cap, "%s", full);
        krb5_cc_close(k, cc);
    }
    krb5_free_string(k, full);
    krb5_free_cred_contents(k, &creds);
    if (opt)
        krb5_get_init_creds_opt_free(k, opt);
    krb5_free_principal(k, anon);
    krb5_free_default_realm(k, realm);
    (void)krb5_set_default_realm(k, NULL);
    return st;
}

/* MIT parses krb5.conf afresh for each krb5 context it creates while no
 * other context of the process is alive, and GSSAPI creates several per
 * connection (a client between connections usually has none). One context
 * held for the life of the process keeps the parsed file shared; MIT still
 * checks the file's stat at each new context and re-reads it when it
 * changed. */
static krb5_context held_profile;
static pthread_once_t held_profile_once = PTHREAD_ONCE_INIT;
static void hold_profile(void)
{
    if (krb5_init_context(&held_profile))
        held_profile = NULL;
}

static void g_free_cred(void *self, void *cred);

/* The copy of a held ccache could not replace it: the credential held from
 * the file serves this connection and the next ones. */
static ntcp_status keep_held(gcred *held, const char *memcopy, void **credp)
{
    destroy_memcc(memcopy);
    client_reuse_copy_failed();
    *credp = held;
    return NTCP_OK;
}

static ntcp_status g_acquire(void *self, const ntcp_nns_options *o, bool initiator, void **credp, ntcp_nns_error *err)
{
    pthread_once(&held_profile_once, hold_profile);
    OM_uint32 major, minor = 0;
    gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
    gss_name_t name = GSS_C_NO_NAME;
    gss_OID_desc mechs_el[3];
    gss_OID_set_desc mechs = { 0, mechs_el };
    ntcp_package pkg = o->protection == NTCP_PROTECTION_NONE ? NTCP_PACKAGE_NTLM : o->package;
    gss_key_value_element_desc kv[2];
    gss_key_value_set_desc store = { 0, kv };
    static unsigned long memcc_seq;
    char memcc[64] = "";
    *credp = NULL;

    char reuse_key[1024], reuse_cc[512];
    file_stamp reuse_stamp;
    bool reusable = initiator && client_reuse_key(o, pkg, reuse_key, sizeof reuse_key, &reuse_stamp, reuse_cc,
                                                  sizeof reuse_cc);
    char memcopy[64] = ""; /* the held ccache's copy in memory, while it replaces the file (client_reuse) */
    gcred *held = NULL;    /* meanwhile: the credential held from the file, kept if the copy fails */
    if (reusable) {
        gcred *gc = NULL;
        bool anon_name = false, copy = false;
        if (client_reuse_get(reuse_key, &reuse_stamp, &gc, &anon_name, &copy)) {
            if (anon_name)
                err->anonymous = true;
            if (copy && ccache_copy_to_memory(reuse_cc, memcopy, sizeof memcopy)) {
                held = gc; /* acquired again below, from the copy */
            } else {
                if (copy)
                    client_reuse_copy_failed();
                *credp = gc;
                return NTCP_OK;
            }
        }
    }
    const char *ccache = memcopy[0] ? memcopy : o->ccache;

    if (initiator) {
        bool anon = anonymous_logon(o, pkg);
        if (pkg != NTCP_PACKAGE_NTLM)
            mechs_el[mechs.count++] = oid_krb5;
        if (!anon && (pkg == NTCP_PACKAGE_NTLM || (pkg == NTCP_PACKAGE_NEGOTIATE && !o->require_server_auth)))
            mechs_el[mechs.count++] = oid_ntlm;
        if (o->anonymous && !o->user && !anon)
            return NTCP_OK; /* NTLM: no credential, the mechanism is asked with GSS_C_ANON_FLAG */
        if (anon) {
            /* never the default ccache: MIT would log on as its owner */
            ntcp_status st = anonymous_ticket(memcc, sizeof memcc, err);
            if (st)
                return st;
            kv[store.count++] = (gss_key_value_element_desc){ "ccache", memcc };
            gss_buffer_desc nb = GSS_C_EMPTY_BUFFER;
            major = gss_import_name(&minor, &nb, GSS_C_NT_ANONYMOUS, &name);
            if (!GSS_ERROR(major))
                major = gss_acquire_cred_from(&minor, name, GSS_C_INDEFINITE, &mechs, GSS_C_INITIATE, &store, &cred,
                                              NULL, NULL);
        } else if (o->user) {
            gss_buffer_desc nb = { strlen(o->user), (void *)o->user };
            major = gss_import_name(&minor, &nb, GSS_C_NT_USER_NAME, &name);
            if (GSS_ERROR(major)) {
                gss_err(err, major, minor, NULL);
                snprintf(err->detail, sizeof err->detail, "the user name %s cannot be imported", o->user);
                return NTCP_E_INVALID_ARG;
            }
        }
        if (anon) {
            /* acquired above */
        } else if (o->user && o->password) {
            /* in memory, no kinit (gss_acquire_cred_with_password) */
            gss_buffer_desc pw = { strlen(o->password), (void *)o->password };
            major = gss_acquire_cred_with_password(&minor, name, &pw, GSS_C_INDEFINITE, &mechs, GSS_C_INITIATE, &cred,
                                                   NULL, NULL);
        } else if (o->client_keytab || ccache) {
            if (o->client_keytab) {
                kv[store.count++] = (gss_key_value_element_desc){ "client_keytab", o->client_keytab };
                if (!ccache) {
                    /* a private in-memory cache for the tickets */
                    snprintf(memcc, sizeof memcc, "MEMORY:nettcp-%p-%lu", (void *)credp, ++memcc_seq);
                    kv[store.count++] = (gss_key_value_element_desc){ "ccache", memcc };
                }
            }
            if (ccache)
                kv[store.count++] = (gss_key_value_element_desc){ "ccache", ccache };
            major = gss_acquire_cred_from(&minor, name, GSS_C_INDEFINITE, &mechs, GSS_C_INITIATE, &store, &cred, NULL,
                                          NULL);
        } else {
            major = gss_acquire_cred(&minor, name, GSS_C_INDEFINITE, &mechs, GSS_C_INITIATE, &cred, NULL, NULL);
        }
    } else {
        if (o->acceptor_name) {
            gss_buffer_desc nb = { strlen(o->acceptor_name), (void *)o->acceptor_name };
            major = gss_import_name(&minor, &nb, (gss_OID)GSS_KRB5_NT_PRINCIPAL_NAME, &name);
            if (GSS_ERROR(major)) {
                gss_err(err, major, minor, NULL);
                snprintf(err->detail, sizeof err->detail, "the acceptor name %s cannot be imported", o->acceptor_name);
                return NTCP_E_INVALID_ARG;
            }
        }
        if (!o->keytab && !o->acceptor_name) {
            /* every mechanism's default (KRB5_KTNAME, NTLM_USER_FILE) */
            *credp = acceptor_default(NULL);
            return NTCP_OK;
        }
        mechs_el[mechs.count++] = oid_krb5;
        if (o->keytab)
            kv[store.count++] = (gss_key_value_element_desc){ "keytab", o->keytab };
        if (!o->acceptor_name) {
            /* Check now that the keytab holds keys (a clear error before any
             * client arrives), then accept with the default credential of
             * every mechanism so SPNEGO, raw Kerberos and NTLM all work: a
             * SPNEGO credential acquired from a cred store hands gss-ntlmssp a
             * broken element. The keytab is registered process-wide. The
             * check and the registration are done again only when the keytab
             * file (or the keytab named) changed since they last succeeded. */
            file_stamp kfs;
            const char *conf = getenv("KRB5_CONFIG");
            char kkey[1024];
            int kn = snprintf(kkey, sizeof kkey, "%s|%s", o->keytab, conf ? conf : "");
            bool kreuse = kn > 0 && (size_t)kn < sizeof kkey && stamp_of(o->keytab, &kfs);
            if (kreuse) {
                pthread_mutex_lock(&reuse_mu);
                bool same = keytab_reuse.valid && !strcmp(keytab_reuse.key, kkey) && stamp_eq(&keytab_reuse.stamp, &kfs);
                pthread_mutex_unlock(&reuse_mu);
                if (same) {
                    *credp = acceptor_default(o->keytab);
                    return NTCP_OK;
                }
            }
            pthread_mutex_lock(&reuse_mu);
            keytab_reuse.valid = false; /* whatever follows registers another keytab or fails */
            pthread_mutex_unlock(&reuse_mu);
            major = gss_acquire_cred_from(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, &mechs, GSS_C_ACCEPT, &store,
                                          &cred, NULL, NULL);
            if (!GSS_ERROR(major)) {
                OM_uint32 m2;
                gss_release_cred(&m2, &cred);
                major = krb5_gss_register_acceptor_identity(o->keytab);
                if (major) {
                    snprintf(err->detail, sizeof err->detail, "the keytab %s cannot be registered", o->keytab);
                    err->major = major;
                    return NTCP_E_AUTH_FAILED;
                }
                if (kreuse) {
                    pthread_mutex_lock(&reuse_mu);
                    snprintf(keytab_reuse.key, sizeof keytab_reuse.key, "%s", kkey);
                    keytab_reuse.stamp = kfs;
                    keytab_reuse.valid = true;
                    pthread_mutex_unlock(&reuse_mu);
                }
                *credp = acceptor_default(o->keytab);
                return NTCP_OK;
            }
        } else {
            /* A named acceptor: Kerberos (raw and through SPNEGO) only. */
            if (o->package != NTCP_PACKAGE_KERBEROS)
                mechs_el[mechs.count++] = oid_spnego;
            major = gss_acquire_cred_from(&minor, name, GSS_C_INDEFINITE, &mechs, GSS_C_ACCEPT, &store, &cred, NULL,
                                          NULL);
        }
    }
    OM_uint32 m3;
    if (name != GSS_C_NO_NAME)
        gss_release_name(&m3, &name);
    if (GSS_ERROR(major) && held)
        return keep_held(held, memcopy, credp);
    if (GSS_ERROR(major)) {
        gss_err(err, major, minor, mechs.count == 1 ? &mechs_el[0] : NULL);
        destroy_memcc(memcc);
        if (initiator)
            snprintf(err->detail, sizeof err->detail, "no client credentials from %s",
                     memcc[0] && o->anonymous ? "the anonymous ticket"
                     : o->password            ? "the user name and password"
                     : o->client_keytab       ? "the client keytab"
                     : o->ccache              ? "the credential cache"
                                              : "the default credential cache (KRB5CCNAME)");
        else
            snprintf(err->detail, sizeof err->detail, "no service key in %s", o->keytab ? o->keytab : "the keytab");
        return to_status(major);
    }
    if (initiator && pkg == NTCP_PACKAGE_NEGOTIATE) {
        /* The credential above was acquired per mechanism so its failure is
         * precise (a wrong password is not hidden by an NTLM fallback). SPNEGO
         * needs its own element: acquire it the same way, limited to the
         * mechanisms allowed (gss_set_neg_mechs). */
        OM_uint32 m5;
        gss_release_cred(&m5, &cred);
        gss_OID_set_desc sp = { 1, &oid_spnego };
        if (o->user) {
            gss_buffer_desc nb = { strlen(o->user), (void *)o->user };
            major = gss_import_name(&minor, &nb, GSS_C_NT_USER_NAME, &name);
        }
        /* anonymous: the MEMORY ccache in the store holds only the anonymous ticket */
        if (o->user && o->password) {
            gss_buffer_desc pw = { strlen(o->password), (void *)o->password };
            major = gss_acquire_cred_with_password(&minor, name, &pw, GSS_C_INDEFINITE, &sp, GSS_C_INITIATE, &cred,
                                                   NULL, NULL);
        } else if (store.count) {
            major = gss_acquire_cred_from(&minor, name, GSS_C_INDEFINITE, &sp, GSS_C_INITIATE, &store, &cred, NULL,
                                          NULL);
        } else {
            major = gss_acquire_cred(&minor, name, GSS_C_INDEFINITE, &sp, GSS_C_INITIATE, &cred, NULL, NULL);
        }
        if (name != GSS_C_NO_NAME)
            gss_release_name(&m5, &name);
        if (!GSS_ERROR(major))
            major = gss_set_neg_mechs(&minor, cred, &mechs);
        if (GSS_ERROR(major) && held) {
            if (cred != GSS_C_NO_CREDENTIAL)
                gss_release_cred(&m5, &cred);
            return keep_held(held, memcopy, credp);
        }
        if (GSS_ERROR(major)) {
            gss_err(err, major, minor, &oid_spnego);
            snprintf(err->detail, sizeof err->detail, "no SPNEGO credential");
            if (cred != GSS_C_NO_CREDENTIAL)
                gss_release_cred(&m5, &cred);
            destroy_memcc(memcc);
            return to_status(major);
        }
    }
    if (initiator && o->protection != NTCP_PROTECTION_ENCRYPT_AND_SIGN) {
        /* MIT's krb5 grants confidentiality and integrity even when they were
         * not asked for; Windows grants what was asked. Ask MIT to do the
         * same, so both ends agree on the protection (PROTOCOLS 2.6). */
        gss_buffer_desc empty = GSS_C_EMPTY_BUFFER;
        OM_uint32 m4;
        (void)gss_set_cred_option(&m4, &cred, (gss_OID)GSS_KRB5_CRED_NO_CI_FLAGS_X, &empty);
    }
    OM_uint32 lifetime = 0;
    bool anon_name = false;
    char text[256] = "";
    if (initiator && cred != GSS_C_NO_CREDENTIAL && pkg != NTCP_PACKAGE_NTLM) {
        /* a ccache may hold an anonymous ticket without the anonymous
         * option: a refusal is then explained as such */
        OM_uint32 m7;
        gss_name_t cn = GSS_C_NO_NAME;
        if (!GSS_ERROR(gss_inquire_cred(&m7, cred, &cn, &lifetime, NULL, NULL))) {
            name_text(cn, text, sizeof text, &anon_name);
            gss_release_name(&m7, &cn);
        } else {
            reusable = false;
        }
        if (anon_name)
            err->anonymous = true;
    }
    gcred *gc = ntcp_calloc(1, sizeof *gc);
    if (!gc) {
        OM_uint32 m6;
        gss_release_cred(&m6, &cred);
        destroy_memcc(memcc);
        return held ? keep_held(held, memcopy, credp) : NTCP_E_NOMEM;
    }
    gc->h = cred;
    snprintf(gc->memcc, sizeof gc->memcc, "%s", memcc);
    bool kerberos_only = !(pkg == NTCP_PACKAGE_NTLM || (pkg == NTCP_PACKAGE_NEGOTIATE && !o->require_server_auth));
    if (initiator && kerberos_only && (reusable || o->user)) {
        /* the principal every Kerberos context of this credential starts
         * from: a FILE ccache holds one, a named logon is that name (a ccache
         * collection without a name may pick a principal per target; a
         * credential that may also do NTLM may name its NTLM element) */
        gc->name = text[0] ? ntcp_strndup(text, strlen(text)) : NULL;
        gc->anonymous_name = anon_name;
    }
    bool put = reusable && cred != GSS_C_NO_CREDENTIAL && !memcc[0] && lifetime > 0;
    if (held && !put) {
        g_free_cred(NULL, gc);
        return keep_held(held, memcopy, credp);
    }
    if (put)
        client_reuse_put(reuse_key, &reuse_stamp, lifetime, anon_name, gc, memcopy);
    if (held)
        g_free_cred(NULL, held); /* the credential from the file: its entry was replaced */
    *credp = gc;
    return NTCP_OK;
}

/* ---- init ------------------------------------------------------------------ */
static ntcp_status import_target(gctx *g, const ntcp_nns_target *t, ntcp_package pkg, bool ntlm_allowed,
                                 bool enterprise, ntcp_nns_error *err)
{
    OM_uint32 major, minor;
    gss_OID type;
    char hb[300];
    gss_buffer_desc nb = { strlen(t->name), (void *)t->name };
    if (t->is_upn) {
        type = enterprise ? (gss_OID)GSS_KRB5_NT_ENTERPRISE_NAME : (gss_OID)GSS_KRB5_NT_PRINCIPAL_NAME;
        if (pkg == NTCP_PACKAGE_NTLM)
            type = GSS_C_NT_USER_NAME;
        g->name_form = pkg == NTCP_PACKAGE_NTLM ? "user" : enterprise ? "enterprise" : "principal";
    } else if (ntlm_allowed && strchr(t->name, '/') && !strchr(t->name, '@') &&
               strchr(t->name, '/') == strrchr(t->name, '/')) {
        /* gss-ntlmssp only understands host-based names ("service@host");
         * krb5 maps them to service/host@REALM of the host (domain_realm) */
        const char *slash = strchr(t->name, '/');
        snprintf(hb, sizeof hb, "%.*s@%s", (int)(slash - t->name), t->name, slash + 1);
        nb.value = hb;
        nb.length = strlen(hb);
        type = GSS_C_NT_HOSTBASED_SERVICE;
    } else {
        type = (gss_OID)GSS_KRB5_NT_PRINCIPAL_NAME;
    }
    major = gss_import_name(&minor, &nb, type, &g->target);
    if (GSS_ERROR(major)) {
        gss_err(err, major, minor, NULL);
        snprintf(err->detail, sizeof err->detail, "the target name cannot be imported");
        return NTCP_E_AUTH_FAILED;
    }
    return NTCP_OK;
}

/* A token too short for the mechanism is refused before the mechanism sees
 * it: MIT's SPNEGO dereferences a missing continuation token, gss-ntlmssp
 * computes len - 16 on a shorter one. */
#define MIN_MESSAGE_TOKEN 16 /* NTLM signature; RFC 4121 token header */

static ntcp_status short_token(gctx *g, ntcp_nns_error *err, const char *what)
{
    gss_err(err, GSS_S_DEFECTIVE_TOKEN, 0, g->mech);
    snprintf(err->gss_text, sizeof err->gss_text, "%s", what);
    return to_status(GSS_S_DEFECTIVE_TOKEN);
}

static ntcp_status g_init(void *self, void *cred, void **ctxp, const ntcp_nns_options *o, const ntcp_nns_target *t,
                          uint32_t req_flags, const uint8_t *in, size_t in_len, ntcp_buf *out, bool *complete,
                          ntcp_nns_error *err)
{
    gctx *g = *ctxp;
    ntcp_package pkg = o->protection == NTCP_PROTECTION_NONE ? NTCP_PACKAGE_NTLM : o->package;
    gss_OID mech = pkg == NTCP_PACKAGE_KERBEROS ? &oid_krb5 : pkg == NTCP_PACKAGE_NTLM ? &oid_ntlm : &oid_spnego;
    bool ntlm_allowed = pkg == NTCP_PACKAGE_NTLM ||
                        (pkg == NTCP_PACKAGE_NEGOTIATE && !o->require_server_auth && !anonymous_logon(o, pkg));
    ntcp_status s;
    if (!g) {
        g = ntcp_calloc(1, sizeof *g);
        if (!g)
            return NTCP_E_NOMEM;
        g->ctx = GSS_C_NO_CONTEXT;
        g->initiator = true;
        if (cred && ((gcred *)cred)->name) {
            g->own_name = ntcp_strndup(((gcred *)cred)->name, strlen(((gcred *)cred)->name));
            g->own_anonymous = ((gcred *)cred)->anonymous_name;
        }
        *ctxp = g;
        s = import_target(g, t, pkg, ntlm_allowed, true, err);
        if (s)
            return s;
    }
    if (g->ctx != GSS_C_NO_CONTEXT && !in_len)
        return short_token(g, err, "an empty handshake token");
    for (;;) {
        OM_uint32 major, minor = 0, ret_flags = 0;
        gss_buffer_desc ib = { in_len, (void *)in }, ob = GSS_C_EMPTY_BUFFER;
        gss_OID actual = GSS_C_NO_OID;
        bool first = g->ctx == GSS_C_NO_CONTEXT;
        major = gss_init_sec_context(&minor, cred_handle(cred), &g->ctx, g->target, mech, req_flags, 0,
                                     GSS_C_NO_CHANNEL_BINDINGS, in_len ? &ib : GSS_C_NO_BUFFER, &actual, &ob,
                                     &ret_flags, NULL);
        if (actual && actual != GSS_C_NO_OID && !oid_eq(actual, &oid_spnego))
            g->mech = actual;
        if (GSS_ERROR(major)) {
            OM_uint32 m2;
            gss_release_buffer(&m2, &ob);
            gss_err(err, major, minor, g->mech ? g->mech : (pkg == NTCP_PACKAGE_NEGOTIATE ? NULL : mech));
            /* UPN: one name form, then the other on principal-unknown
             * (PROTOCOLS 9: MIT finds only the plain form, AD both). */
            if (t->is_upn && first && !g->retried && pkg != NTCP_PACKAGE_NTLM &&
                err->krb5_error == KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN - ERROR_TABLE_BASE_krb5) {
                g->retried = true;
                err->major = err->minor = 0;
                err->krb5_error = -1;
                err->gss_text[0] = err->mech[0] = 0;
                if (g->ctx != GSS_C_NO_CONTEXT)
                    gss_delete_sec_context(&m2, &g->ctx, GSS_C_NO_BUFFER);
                g->ctx = GSS_C_NO_CONTEXT;
                gss_release_name(&m2, &g->target);
                s = import_target(g, t, pkg, ntlm_allowed, false, err);
                if (s)
                    return s;
                continue;
            }
            if (!err->mech[0] && looks_ntlm(in, in_len))
                snprintf(err->mech, sizeof err->mech, "NTLM");
            if (t->is_upn && g->name_form)
                snprintf(err->detail, sizeof err->detail, "UPN tried as %s name%s", g->name_form,
                         g->retried ? " after the other form was unknown" : "");
            return to_status(major);
        }
        g->flags = ret_flags;
        /* SPNEGO chose NTLM (MIT drops krb5 from its list when it gets no
         * ticket): remembered, so a later failure names the fallback */
        if (pkg == NTCP_PACKAGE_NEGOTIATE && ((g->mech && oid_eq(g->mech, &oid_ntlm)) || looks_ntlm(in, in_len))) {
            err->ntlm_fallback = true;
            snprintf(err->mech, sizeof err->mech, "NTLM");
        }
        s = put_buffer(out, &ob);
        OM_uint32 m2;
        gss_release_buffer(&m2, &ob);
        if (s)
            return s;
        *complete = !(major & GSS_S_CONTINUE_NEEDED);
        return NTCP_OK;
    }
}

/* ---- accept ----------------------------------------------------------------- */
static ntcp_status g_accept(void *self, void *cred, void **ctxp, const uint8_t *in, size_t in_len, ntcp_buf *out,
                            bool *complete, ntcp_nns_error *err)
{
    gctx *g = *ctxp;
    if (!g) {
        g = ntcp_calloc(1, sizeof *g);
        if (!g)
            return NTCP_E_NOMEM;
        g->ctx = GSS_C_NO_CONTEXT;
        g->deleg = GSS_C_NO_CREDENTIAL;
        *ctxp = g;
    }
    if (!in_len)
        return short_token(g, err, "an empty handshake token");
    OM_uint32 major, minor = 0, ret_flags = 0, m2;
    gss_buffer_desc ib = { in_len, (void *)in }, ob = GSS_C_EMPTY_BUFFER;
    /* MS-NLMP 2.2.1.1: a NEGOTIATE without NTLMSSP_NEGOTIATE_VERSION may end
     * after its 32 fixed bytes (impacket, older Windows); gss-ntlmssp reads
     * the 8-byte Version field regardless, so it gets a zero one (ignored
     * without that flag). Only a message with no payload: nothing moves. */
    uint8_t neg40[40];
    if (g->ctx == GSS_C_NO_CONTEXT && in_len == 32 && !memcmp(in, "NTLMSSP\0\1\0\0\0", 12) &&
        !(in[12 + 3] & 0x02) && !in[16] && !in[17] && !in[24] && !in[25]) {
        memcpy(neg40, in, 32);
        memset(neg40 + 32, 0, 8);
        ib.value = neg40;
        ib.length = sizeof neg40;
    }
    gss_OID mech = GSS_C_NO_OID;
    gss_cred_id_t deleg = GSS_C_NO_CREDENTIAL;
    gss_name_t src = GSS_C_NO_NAME;
    major = gss_accept_sec_context(&minor, &g->ctx, cred_handle(cred), &ib, GSS_C_NO_CHANNEL_BINDINGS, &src, &mech,
                                   &ob, &ret_flags, NULL, &deleg);
    if (src != GSS_C_NO_NAME) {
        if (major == GSS_S_COMPLETE) {
            char text[256];
            name_text(src, text, sizeof text, &g->peer_anonymous);
            ntcp_free(g->peer_name);
            g->peer_name = text[0] ? ntcp_strndup(text, strlen(text)) : NULL;
        }
        gss_release_name(&m2, &src);
    }
    if (mech && !oid_eq(mech, &oid_spnego))
        g->mech = mech;
    if (deleg != GSS_C_NO_CREDENTIAL) {
        if (g->deleg != GSS_C_NO_CREDENTIAL)
            gss_release_cred(&m2, &g->deleg);
        g->deleg = deleg;
    }
    if (GSS_ERROR(major)) {
        gss_release_buffer(&m2, &ob);
        gss_err(err, major, minor, g->mech);
        if (!err->mech[0] && looks_ntlm(in, in_len))
            snprintf(err->mech, sizeof err->mech, "NTLM");
        return to_status(major);
    }
    g->flags = ret_flags;
    ntcp_status s = put_buffer(out, &ob);
    gss_release_buffer(&m2, &ob);
    if (s)
        return s;
    *complete = !(major & GSS_S_CONTINUE_NEEDED);
    return NTCP_OK;
}

/* ---- per-message -------------------------------------------------------------- */
/* NegotiateStream puts the NTLM signature before the sealed data (PROTOCOLS
 * 2.5). gss-ntlmssp releases differ: older ones emit and expect it after the
 * data, newer ones (1.2.0, in Debian) before it. The layout is learned once
 * per context from a copy of it (export, import twice), so the real
 * context's sequence numbers and RC4 state are untouched. */
static bool ntlm_sig_last(gctx *g)
{
    if (g->ntlm_sig_last)
        return g->ntlm_sig_last > 0;
    g->ntlm_sig_last = -1; /* current gss-ntlmssp, if the probe cannot run */
    OM_uint32 minor, m2;
    gss_buffer_desc tok = GSS_C_EMPTY_BUFFER;
    if (GSS_ERROR(gss_export_sec_context(&minor, &g->ctx, &tok)))
        return false;
    gss_ctx_id_t probe = GSS_C_NO_CONTEXT;
    OM_uint32 major = gss_import_sec_context(&minor, &tok, &g->ctx);
    bool have_probe = !GSS_ERROR(gss_import_sec_context(&m2, &tok, &probe));
    if (tok.value)
        memset(tok.value, 0, tok.length); /* it holds the session keys */
    gss_release_buffer(&m2, &tok);
    if (GSS_ERROR(major)) {
        g->ctx = GSS_C_NO_CONTEXT;
        if (have_probe)
            g->ctx = probe; /* keep a working context */
        return false;
    }
    if (have_probe) {
        gss_buffer_desc in = { 1, (void *)"x" }, out = GSS_C_EMPTY_BUFFER;
        if (!GSS_ERROR(gss_wrap(&m2, probe, 1, GSS_C_QOP_DEFAULT, &in, NULL, &out)) && out.length == 17) {
            const uint8_t *o = out.value;
            if (!memcmp(o + 1, "\x01\x00\x00\x00", 4) && memcmp(o, "\x01\x00\x00\x00", 4))
                g->ntlm_sig_last = 1;
        }
        gss_release_buffer(&m2, &out);
        gss_delete_sec_context(&m2, &probe, GSS_C_NO_BUFFER);
    }
    return g->ntlm_sig_last > 0;
}

/* NTCP_GSS_FAST_WRAP=0 keeps every context on GSS (comparisons, diagnosis). */
static bool fast_wrap_enabled(void)
{
    static int enabled = -1; /* racy but idempotent */
    if (enabled < 0) {
        const char *e = getenv("NTCP_GSS_FAST_WRAP");
        enabled = !(e && !strcmp(e, "0"));
    }
    return enabled != 0;
}

/* The libcrypto fast path of an established context, or NULL for GSS:
 * decided once, at the first per-message operation. Anything but an RFC
 * 4121 context with aes128/aes256-cts-hmac-sha1-96 keys (RFC 1964 tokens,
 * other enctypes, NTLM, DCE style) stays on GSS. */
static ntcp_cfx *fast_path(gctx *g)
{
    if (g->fast_state == 0) {
        g->fast_state = -1;
        if (!g->ntlm && !(g->flags & GSS_C_DCE_STYLE) && g->ctx != GSS_C_NO_CONTEXT && fast_wrap_enabled() &&
            ntcp_cfx_from_gss(g->ctx, g->flags, &g->fast) == NTCP_OK)
            g->fast_state = 1;
    }
    return g->fast;
}

static ntcp_status fast_failure(gctx *g, ntcp_nns_error *err, OM_uint32 major, ntcp_status buf_status)
{
    if (buf_status)
        return buf_status;
    gss_err(err, major, 0, g->mech);
    return to_status(major);
}

static ntcp_status g_wrap(void *self, void *ctx, bool conf, const uint8_t *in, size_t len, ntcp_buf *out,
                          ntcp_nns_error *err)
{
    gctx *g = ctx;
    ntcp_cfx *fast = fast_path(g);
    if (fast) {
        ntcp_status s = ntcp_cfx_wrap(fast, conf, in, len, 0, out);
        if (s == NTCP_E_AUTH_FAILED)
            return fast_failure(g, err, GSS_S_FAILURE, NTCP_OK);
        return s;
    }
    OM_uint32 major, minor, m2;
    int conf_state = 0;
    gss_buffer_desc ib = { len, (void *)in }, ob = GSS_C_EMPTY_BUFFER;
    major = gss_wrap(&minor, g->ctx, conf, GSS_C_QOP_DEFAULT, &ib, &conf_state, &ob);
    if (GSS_ERROR(major)) {
        gss_err(err, major, minor, g->mech);
        return to_status(major);
    }
    size_t at = out->len;
    ntcp_status s = put_buffer(out, &ob);
    gss_release_buffer(&m2, &ob);
    if (!s && g->ntlm && ntlm_sig_last(g)) /* PROTOCOLS 2.5: signature first on the wire */
        s = ntcp_nns_ntlm_signature_to_front(out->data + at, out->len - at);
    return s;
}

/* Supplementary status of a per-message token that verified but arrived out
 * of order (RFC 2743 1.2.1.2). NegotiateStream frames must arrive exactly in
 * sequence: anything else is a replay, a reordering or a lost frame. */
#define SEQUENCE_PROBLEMS (GSS_S_DUPLICATE_TOKEN | GSS_S_OLD_TOKEN | GSS_S_UNSEQ_TOKEN | GSS_S_GAP_TOKEN)

static ntcp_status sequence_error(ntcp_nns_error *err, OM_uint32 major)
{
    if (err) {
        err->major = major;
        err->minor = 0;
        snprintf(err->gss_text, sizeof err->gss_text, "%s",
                 major & GSS_S_DUPLICATE_TOKEN ? "a data frame was replayed (duplicate token)"
                 : major & GSS_S_OLD_TOKEN     ? "a data frame is too old (replay window)"
                 : major & GSS_S_UNSEQ_TOKEN   ? "a data frame arrived out of order (an earlier one was skipped back to)"
                                               : "a data frame is missing (a later one arrived first)");
    }
    return NTCP_E_MESSAGE_ALTERED;
}

/* The token unwrap may work on where it lies: an RFC 4121 Wrap token with
 * RRC 0, which neither the libcrypto path (cfx.h) nor MIT's gss_unwrap
 * writes to. MIT rotates any other RRC in place, and an NTLM token may be
 * reordered (ntlm_sig_last): those are copied. */
static uint8_t *unwrap_input(gctx *g, const uint8_t *in, size_t len, ntcp_status *st)
{
    *st = NTCP_OK;
    if (!g->ntlm && len >= 16 && in[0] == 0x05 && in[1] == 0x04 && in[6] == 0 && in[7] == 0)
        return (uint8_t *)(uintptr_t)in;
    if (!g->copy.max)
        ntcp_buf_init(&g->copy, NTCP_NNS_MAX_READ_FRAME + 1);
    ntcp_buf_reset(&g->copy);
    *st = ntcp_buf_append(&g->copy, in, len);
    return *st ? NULL : g->copy.data;
}

static ntcp_status g_unwrap(void *self, void *ctx, const uint8_t *token, size_t len, ntcp_buf *out, bool *conf,
                            ntcp_nns_error *err)
{
    gctx *g = ctx;
    if (len < MIN_MESSAGE_TOKEN)
        return short_token(g, err, g->ntlm ? "a data frame shorter than the 16-byte NTLM signature"
                                           : "a data frame shorter than a Kerberos token header");
    ntcp_status cs;
    uint8_t *in = unwrap_input(g, token, len, &cs);
    if (!in)
        return cs;
    ntcp_cfx *fast = fast_path(g);
    if (fast) {
        size_t at = out->len;
        bool sealed = false;
        ntcp_status bs = NTCP_OK;
        OM_uint32 major = ntcp_cfx_unwrap(fast, in, len, out, &sealed, &bs);
        if (GSS_ERROR(major))
            return fast_failure(g, err, major, bs);
        if (major & SEQUENCE_PROBLEMS) { /* verified, but replayed, old, early or late */
            memset(out->data + at, 0, out->len - at);
            out->len = at;
            return sequence_error(err, major);
        }
        *conf = sealed;
        return NTCP_OK;
    }
    if (g->ntlm && ntlm_sig_last(g)) {
        ntcp_status s = ntcp_nns_ntlm_signature_to_back(in, len);
        if (s)
            return s;
    }
    OM_uint32 major, minor, m2;
    int conf_state = 0;
    gss_qop_t qop;
    gss_buffer_desc ib = { len, in }, ob = GSS_C_EMPTY_BUFFER;
    major = gss_unwrap(&minor, g->ctx, &ib, &ob, &conf_state, &qop);
    if (GSS_ERROR(major)) {
        gss_err(err, major, minor, g->mech);
        return to_status(major);
    }
    if (major & SEQUENCE_PROBLEMS) { /* a valid token, but replayed, old, early or late */
        gss_release_buffer(&m2, &ob);
        return sequence_error(err, major);
    }
    *conf = conf_state != 0;
    ntcp_status s = put_buffer(out, &ob);
    gss_release_buffer(&m2, &ob);
    return s;
}

static ntcp_status g_get_mic(void *self, void *ctx, const uint8_t *msg, size_t len, ntcp_buf *out,
                             ntcp_nns_error *err)
{
    gctx *g = ctx;
    ntcp_cfx *fast = fast_path(g);
    if (fast) {
        ntcp_status s = ntcp_cfx_get_mic(fast, msg, len, out);
        return s == NTCP_E_AUTH_FAILED ? fast_failure(g, err, GSS_S_FAILURE, NTCP_OK) : s;
    }
    OM_uint32 major, minor, m2;
    gss_buffer_desc ib = { len, (void *)msg }, ob = GSS_C_EMPTY_BUFFER;
    major = gss_get_mic(&minor, g->ctx, GSS_C_QOP_DEFAULT, &ib, &ob);
    if (GSS_ERROR(major)) {
        gss_err(err, major, minor, g->mech);
        return to_status(major);
    }
    ntcp_status s = put_buffer(out, &ob);
    gss_release_buffer(&m2, &ob);
    return s;
}

static ntcp_status g_verify_mic(void *self, void *ctx, const uint8_t *msg, size_t len, const uint8_t *mic,
                                size_t mic_len, ntcp_nns_error *err)
{
    gctx *g = ctx;
    if (g->ntlm ? mic_len != MIN_MESSAGE_TOKEN : mic_len < MIN_MESSAGE_TOKEN)
        return short_token(g, err, g->ntlm ? "an NTLM signature that is not 16 bytes"
                                           : "a MIC shorter than a Kerberos token header");
    ntcp_cfx *fast = fast_path(g);
    if (fast) {
        OM_uint32 major = ntcp_cfx_verify_mic(fast, msg, len, mic, mic_len);
        if (GSS_ERROR(major))
            return fast_failure(g, err, major, NTCP_OK);
        return major & SEQUENCE_PROBLEMS ? sequence_error(err, major) : NTCP_OK;
    }
    OM_uint32 major, minor;
    gss_qop_t qop;
    gss_buffer_desc mb = { len, (void *)msg }, tb = { mic_len, (void *)mic };
    major = gss_verify_mic(&minor, g->ctx, &mb, &tb, &qop);
    if (GSS_ERROR(major)) {
        gss_err(err, major, minor, g->mech);
        return to_status(major);
    }
    if (major & SEQUENCE_PROBLEMS)
        return sequence_error(err, major);
    return NTCP_OK;
}

/* The display form of a name; *anonymous tells whether it is the anonymous
 * principal (WELLKNOWN/ANONYMOUS, RFC 8062), which MIT reports with the
 * name type GSS_C_NT_ANONYMOUS. */
static void name_text(gss_name_t n, char *out, size_t cap, bool *anonymous)
{
    OM_uint32 minor, m2;
    gss_buffer_desc b = GSS_C_EMPTY_BUFFER;
    gss_OID type = GSS_C_NO_OID;
    out[0] = 0;
    if (anonymous)
        *anonymous = false;
    if (n == GSS_C_NO_NAME)
        return;
    if (!GSS_ERROR(gss_display_name(&minor, n, &b, &type))) {
        snprintf(out, cap, "%.*s", (int)b.length, (const char *)b.value);
        if (anonymous)
            *anonymous = oid_eq(type, GSS_C_NT_ANONYMOUS) ||
                         (b.length > 20 && !memcmp(b.value, "WELLKNOWN/ANONYMOUS@", 20));
        gss_release_buffer(&m2, &b);
    }
}

/* The acceptor's own name: the principal the client's ticket was for
 * (gss-ntlmssp's acceptor has none, and crashes when asked for it). */
static void g_service_name(void *self, void *ctx, char *out, size_t cap)
{
    gctx *g = ctx;
    OM_uint32 minor;
    gss_name_t targ = GSS_C_NO_NAME;
    out[0] = 0;
    if (!g || g->ctx == GSS_C_NO_CONTEXT || oid_eq(g->mech, &oid_ntlm))
        return;
    if (!GSS_ERROR(gss_inquire_context(&minor, g->ctx, NULL, &targ, NULL, NULL, NULL, NULL, NULL)))
        name_text(targ, out, cap, NULL);
    gss_release_name(&minor, &targ);
}

static ntcp_status g_inquire(void *self, void *ctx, ntcp_nns_info *info, ntcp_nns_error *err)
{
    gctx *g = ctx;
    OM_uint32 major, minor, m2, flags = 0;
    gss_name_t src = GSS_C_NO_NAME, targ = GSS_C_NO_NAME;
    gss_OID mech = GSS_C_NO_OID;
    int open = 1, local = 0;
    /* A Kerberos initiator's name is its credential's principal. An acceptor
     * has the client's name, the mechanism and the flags from its last
     * accept, and leaves its own name to g_service_name. */
    bool own = (g->initiator && g->own_name && oid_eq(g->mech, &oid_krb5)) || (!g->initiator && g->peer_name);
    bool from_accept = !g->initiator && own && g->mech != GSS_C_NO_OID;
    if (!from_accept) {
        major = gss_inquire_context(&minor, g->ctx, own ? NULL : &src, g->initiator ? &targ : NULL, NULL, &mech,
                                    &flags, &local, &open);
        if (GSS_ERROR(major)) {
            gss_err(err, major, minor, g->mech);
            return to_status(major);
        }
    }
    if (mech && !oid_eq(mech, &oid_spnego))
        g->mech = mech;
    g->ntlm = oid_eq(g->mech, &oid_ntlm);
    info->package = g->ntlm ? NTCP_PACKAGE_NTLM : NTCP_PACKAGE_KERBEROS;
    info->flags = flags | g->flags;
    info->complete = open != 0;
    bool anon_name = false;
    if (own) {
        snprintf(info->client, sizeof info->client, "%s", g->initiator ? g->own_name : g->peer_name);
        anon_name = g->initiator ? g->own_anonymous : g->peer_anonymous;
    } else {
        name_text(src, info->client, sizeof info->client, &anon_name);
    }
    name_text(targ, info->service, sizeof info->service, NULL);
    gss_release_name(&m2, &src);
    gss_release_name(&m2, &targ);
    /* MIT's krb5 mechanism never sets GSS_C_ANON_FLAG, even for a client
     * that logged on with an anonymous ticket: the name says it. */
    info->anonymous = (info->flags & GSS_C_ANON_FLAG) != 0 || anon_name;
    info->delegated = g->deleg != GSS_C_NO_CREDENTIAL;
    info->name_form = g->name_form;
    /* Session key: only its size and enctype are kept. */
    gss_buffer_set_t set = GSS_C_NO_BUFFER_SET;
    if (!GSS_ERROR(gss_inquire_sec_context_by_oid(&minor, g->ctx, GSS_C_INQ_SSPI_SESSION_KEY, &set)) && set) {
        if (set->count >= 1)
            info->session_key_size = set->elements[0].length;
        if (set->count >= 2 && set->elements[1].length > sizeof enctype_oid_prefix &&
            !memcmp(set->elements[1].value, enctype_oid_prefix, sizeof enctype_oid_prefix)) {
            const uint8_t *p = (const uint8_t *)set->elements[1].value + sizeof enctype_oid_prefix;
            size_t n = set->elements[1].length - sizeof enctype_oid_prefix;
            int32_t v = 0;
            for (size_t i = 0; i < n && i < 4; i++)
                v = v << 7 | (p[i] & 0x7F);
            info->enctype = v;
        }
        if (set->count >= 1 && set->elements[0].value)
            memset(set->elements[0].value, 0, set->elements[0].length);
        gss_release_buffer_set(&m2, &set);
    }
    return NTCP_OK;
}

static void *g_delegated(void *self, void *ctx)
{
    gctx *g = ctx;
    return g && g->deleg != GSS_C_NO_CREDENTIAL ? (void *)g->deleg : NULL;
}

static void g_free_ctx(void *self, void *ctx)
{
    gctx *g = ctx;
    OM_uint32 m;
    if (!g)
        return;
    ntcp_cfx_free(g->fast); /* wipes its keys */
    if (g->ctx != GSS_C_NO_CONTEXT)
        gss_delete_sec_context(&m, &g->ctx, GSS_C_NO_BUFFER);
    if (g->target != GSS_C_NO_NAME)
        gss_release_name(&m, &g->target);
    if (g->deleg != GSS_C_NO_CREDENTIAL)
        gss_release_cred(&m, &g->deleg);
    ntcp_free(g->own_name);
    ntcp_free(g->peer_name);
    ntcp_buf_free(&g->copy);
    ntcp_free(g);
}

static void g_free_cred(void *self, void *cred)
{
    OM_uint32 m;
    gcred *gc = cred;
    if (!gc)
        return;
    if (gc->shared)
        shared_unref(gc->shared);
    else if (gc->h != GSS_C_NO_CREDENTIAL)
        gss_release_cred(&m, &gc->h);
    destroy_memcc(gc->memcc);
    ntcp_free(gc->name);
    ntcp_free(gc);
}

static const ntcp_nns_provider gss_provider = {
    "gssapi", g_acquire, g_init, g_accept, g_wrap, g_unwrap, g_get_mic, g_verify_mic, g_inquire, g_delegated,
    g_free_ctx, g_free_cred, NULL, g_service_name,
};

const ntcp_nns_provider *ntcp_gss_provider(void) { return &gss_provider; }
