/* MC-NBFSE session dictionary for one direction. Strings live in one
 * buffer of max_size bytes allocated up front (the budget counts length
 * prefixes too, so the strings always fit and never move); a small
 * open-addressing hash table finds a string's id on the writer side. The
 * table's room for the most strings the budget allows is allocated up front
 * and used from a small start, doubled as strings come: a session that
 * holds a few strings clears a few hundred bytes, not 16 KiB. */
#include <string.h>
#include <nettcp/xml.h>
#include "util/reader.h"
#include "xml/session_view.h"

struct ntcp_xml_session {
    uint32_t max_size;
    uint32_t used;      /* bytes incl. varint prefixes */
    uint32_t count;
    uint32_t written;   /* writer side: strings already sent in a table */
    uint32_t store_len;
    char *store;        /* max_size bytes */
    uint32_t *off;      /* max_size entries: offset of string i */
    uint32_t *len;
    uint32_t hmax;      /* entries allocated: a power of two > 2*max entries */
    uint32_t hcap;      /* entries in use (a power of two <= hmax), at most half of them filled */
    int32_t *hash;      /* index or -1 */
    uint64_t lens[4];   /* bit len % 256 set: a string of such a length is stored (skips hashing most misses) */
    bool view;          /* a frozen prefix of another session (ntcp__xml_session_view) */
};

#define HASH_START 64 /* entries in use after a reset */

static uint32_t hash_bytes(const char *s, size_t n)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

ntcp_status ntcp_xml_session_new(ntcp_xml_session **out, uint32_t max_size)
{
    if (!out)
        return NTCP_E_INVALID_ARG;
    if (max_size == 0)
        max_size = 2048;
    if (max_size > (1u << 24))
        return NTCP_E_INVALID_ARG;
    ntcp_xml_session *s = ntcp_calloc(1, sizeof *s);
    if (!s)
        return NTCP_E_NOMEM;
    s->max_size = max_size;
    s->hmax = 16;
    while (s->hmax < 2 * max_size)
        s->hmax *= 2;
    s->store = ntcp_malloc(max_size);
    s->off = ntcp_malloc(sizeof(uint32_t) * max_size);
    s->len = ntcp_malloc(sizeof(uint32_t) * max_size);
    s->hash = ntcp_malloc(sizeof(int32_t) * s->hmax);
    if (!s->store || !s->off || !s->len || !s->hash) {
        ntcp_xml_session_free(s);
        return NTCP_E_NOMEM;
    }
    ntcp_xml_session_reset(s);
    *out = s;
    return NTCP_OK;
}

/* A read-only copy of s as it is now: its strings (which never move)
 * are shared, its count frozen. A reader on another thread can use it
 * while s grows; s must outlive it. */
ntcp_status ntcp__xml_session_view(ntcp_xml_session **out, const ntcp_xml_session *s)
{
    ntcp_xml_session *v = ntcp_malloc(sizeof *v);
    if (!v)
        return NTCP_E_NOMEM;
    *v = *s;
    v->hash = NULL; /* readers do not look strings up */
    v->view = true;
    *out = v;
    return NTCP_OK;
}

void ntcp_xml_session_free(ntcp_xml_session *s)
{
    if (!s)
        return;
    if (s->view) {
        ntcp_free(s);
        return;
    }
    ntcp_free(s->store);
    ntcp_free(s->off);
    ntcp_free(s->len);
    ntcp_free(s->hash);
    ntcp_free(s);
}

void ntcp_xml_session_reset(ntcp_xml_session *s)
{
    if (s->view)
        return;
    s->used = s->count = s->written = s->store_len = 0;
    memset(s->lens, 0, sizeof s->lens);
    s->hcap = s->hmax < HASH_START ? s->hmax : HASH_START;
    memset(s->hash, 0xff, sizeof(int32_t) * s->hcap);
}

uint32_t ntcp_xml_session_count(const ntcp_xml_session *s) { return s->count; }
uint32_t ntcp_xml_session_used(const ntcp_xml_session *s) { return s->used; }

const char *ntcp_xml_session_string(const ntcp_xml_session *s, uint32_t key, uint32_t *len)
{
    /* MC-NBFX 2.1.3 / MC-NBFSE 2: odd key 2*i+1 is session string i */
    if (!s || !(key & 1) || key / 2 >= s->count)
        return NULL;
    if (len)
        *len = s->len[key / 2];
    return s->store + s->off[key / 2];
}

int32_t ntcp_xml_session_key(const ntcp_xml_session *s, const char *str, size_t len)
{
    if (!s || s->count == 0 || !s->hash || !(s->lens[(len & 255) >> 6] >> (len & 63) & 1))
        return -1;
    uint32_t m = s->hcap - 1;
    for (uint32_t h = hash_bytes(str, len) & m;; h = (h + 1) & m) {
        int32_t i = s->hash[h];
        if (i < 0)
            return -1;
        if (s->len[i] == len && memcmp(s->store + s->off[i], str, len) == 0)
            return i * 2 + 1;
    }
}

/* Enters string i in the hash table. */
static void index_string(ntcp_xml_session *s, uint32_t i)
{
    const char *str = s->store + s->off[i];
    uint32_t len = s->len[i];
    uint32_t m = s->hcap - 1, h = hash_bytes(str, len) & m;
    while (s->hash[h] >= 0) {
        int32_t j = s->hash[h];
        if (s->len[j] == len && memcmp(s->store + s->off[j], str, len) == 0)
            return; /* duplicate string: the first id stays the lookup result */
        h = (h + 1) & m;
    }
    s->hash[h] = (int32_t)i;
}

/* Stores one string (caller checked the budget). */
static void put(ntcp_xml_session *s, const char *str, uint32_t len, uint32_t cost)
{
    uint32_t i = s->count++;
    memcpy(s->store + s->store_len, str, len);
    s->off[i] = s->store_len;
    s->len[i] = len;
    s->store_len += len;
    s->used += cost;
    s->lens[(len & 255) >> 6] |= 1ull << (len & 63);
    if (2 * s->count > s->hcap && s->hcap < s->hmax) {
        /* more than half full: twice the entries, every string entered again
         * in id order (so a duplicate still finds the first id) */
        s->hcap *= 2;
        memset(s->hash, 0xff, sizeof(int32_t) * s->hcap);
        for (uint32_t k = 0; k < i; k++)
            index_string(s, k);
    }
    index_string(s, i);
}

ntcp_status ntcp_xml_session_read_table(ntcp_xml_session *s, const uint8_t *payload, size_t len,
                                        size_t *doc_offset)
{
    static const uint8_t empty[1];
    ntcp_reader r;
    if (s->view)
        return NTCP_E_STATE;
    ntcp_reader_init(&r, payload ? payload : empty, payload ? len : 0);
    /* MC-NBFSE 2.1: MultiByteInt31 size, then size bytes of strings */
    uint32_t size = ntcp_read_varint(&r);
    if (!ntcp_reader_ok(&r))
        return r.err;
    if (size > ntcp_reader_remaining(&r))
        return NTCP_E_MALFORMED;
    if ((uint64_t)s->used + size > s->max_size)
        return NTCP_E_XML_SESSION_TOO_LARGE;
    ntcp_reader t = ntcp_reader_sub(&r, size);
    /* validate first, then add: the dictionary is unchanged on error */
    ntcp_reader v = t;
    while (ntcp_reader_remaining(&v) > 0) {
        uint32_t n = ntcp_read_varint(&v);
        if (!ntcp_reader_ok(&v))
            return v.err == NTCP_E_TRUNCATED ? NTCP_E_MALFORMED : v.err;
        if (n > ntcp_reader_remaining(&v))
            return NTCP_E_MALFORMED;
        (void)ntcp_read_bytes(&v, n);
    }
    while (ntcp_reader_remaining(&t) > 0) {
        size_t start = ntcp_reader_offset(&t);
        uint32_t n = ntcp_read_varint(&t);
        const uint8_t *p = ntcp_read_bytes(&t, n);
        put(s, (const char *)p, n, (uint32_t)(ntcp_reader_offset(&t) - start));
    }
    *doc_offset = ntcp_reader_offset(&r);
    return NTCP_OK;
}

int32_t ntcp_xml_session_add(ntcp_xml_session *s, const char *str, size_t len)
{
    if (s->view)
        return -1;
    int32_t k = ntcp_xml_session_key(s, str, len);
    if (k >= 0)
        return k;
    if (len > NTCP_VARINT_MAX_VALUE)
        return -1;
    /* MC-NBFSE: the writer stops adding once its MaxSessionSize budget is used */
    uint64_t cost = len + ntcp_varint_size((uint32_t)len);
    if (s->used + cost > s->max_size)
        return -1;
    put(s, str, (uint32_t)len, (uint32_t)cost);
    return (int32_t)(s->count - 1) * 2 + 1;
}

ntcp_status ntcp_xml_session_write_table(ntcp_xml_session *s, ntcp_buf *out)
{
    uint32_t size = 0;
    for (uint32_t i = s->written; i < s->count; i++)
        size += s->len[i] + (uint32_t)ntcp_varint_size(s->len[i]);
    ntcp_status st = ntcp_buf_put_varint(out, size);
    for (uint32_t i = s->written; st == NTCP_OK && i < s->count; i++)
        st = ntcp_buf_put_string(out, s->store + s->off[i], s->len[i]);
    if (st == NTCP_OK)
        s->written = s->count;
    return st;
}
