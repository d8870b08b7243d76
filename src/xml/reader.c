/* MC-NBFX pull reader over one document in memory. Every read goes through
 * the bounded reader (sticky error); strings are slices into the input or
 * into a dictionary; the element stack and attribute array are allocated
 * once, at their limits, so reading allocates nothing per node. */
#include <string.h>
#include "xml/internal.h"
#include "xml/reader_mark.h"

static const char letters[] = "abcdefghijklmnopqrstuvwxyz";
static const uint8_t empty_input[1];

struct ntcp_xml_reader {
    ntcp_xml_limits lim;
    const ntcp_xml_session *sess;
    ntcp_reader r;
    uint32_t depth;
    bool pending_end; /* a ...WithEndElement text was returned */
    bool seen_root;
    bool fragment;    /* content: any number of top-level elements */
    ntcp_xml_name *stack; /* lim.max_depth entries */
    ntcp_xml_attr *attrs; /* lim.max_attributes entries */
};

const char *ntcp_xml__dict_string(const ntcp_xml_session *s, uint32_t key, uint32_t *len)
{
    /* MC-NBFX 2.1.3: even key -> static (MC-NBFS), odd -> session (MC-NBFSE) */
    return key & 1 ? ntcp_xml_session_string(s, key, len) : ntcp_xml_static_string(key, len);
}

uint32_t ntcp_xml__array_item_size(uint8_t rec)
{
    /* MC-NBFX 2.3.3: the array record types and their item sizes */
    switch (rec) {
    case 0xB5: return 1;  /* Bool */
    case 0x8B: return 2;  /* Int16 */
    case 0x8D: return 4;  /* Int32 */
    case 0x8F: return 8;  /* Int64 */
    case 0x91: return 4;  /* Float */
    case 0x93: return 8;  /* Double */
    case 0x95: return 16; /* Decimal */
    case 0x97: return 8;  /* DateTime */
    case 0xAF: return 8;  /* TimeSpan */
    case 0xB1: return 16; /* Uuid */
    default: return 0;
    }
}

static void read_string(ntcp_reader *r, uint32_t max, ntcp_status too_long, ntcp_xml_str *out)
{
    uint32_t n = ntcp_read_varint(r);
    if (r->err == NTCP_OK && n > max) {
        ntcp_reader_fail(r, too_long);
        return;
    }
    out->p = (const char *)ntcp_read_bytes(r, n);
    out->len = out->p ? n : 0;
}

static void read_dict(ntcp_reader *r, const ntcp_xml_session *s, ntcp_xml_str *out, int32_t *key)
{
    uint32_t k = ntcp_read_varint(r);
    if (r->err)
        return;
    uint32_t len = 0;
    const char *p = ntcp_xml__dict_string(s, k, &len);
    if (!p) {
        ntcp_reader_fail(r, NTCP_E_XML_UNKNOWN_KEY);
        return;
    }
    out->p = p;
    out->len = len;
    *key = (int32_t)k;
}

static void read_chars(ntcp_reader *r, uint32_t n, uint32_t max, ntcp_xml_str *out)
{
    if (r->err)
        return;
    if (n > max) {
        ntcp_reader_fail(r, NTCP_E_XML_STRING_TOO_LONG);
        return;
    }
    out->p = (const char *)ntcp_read_bytes(r, n);
    out->len = out->p ? n : 0;
}

static void read_fixed(ntcp_reader *r, uint8_t *dst, size_t n)
{
    const uint8_t *p = ntcp_read_bytes(r, n);
    if (p)
        memcpy(dst, p, n);
}

void ntcp_xml__read_text(ntcp_reader *r, uint8_t rec, const ntcp_xml_session *s, const ntcp_xml_limits *lim,
                         ntcp_xml_value *v, bool *with_end)
{
    memset(v, 0, sizeof *v);
    *with_end = rec & 1;
    uint8_t base = rec & 0xFE;
    v->record = base;
    v->key = NTCP_XML_INLINE;
    if (r->err)
        return;
    /* MC-NBFX 2.2.3: text records 0x80-0xBD */
    switch (base) {
    case 0x80: v->type = NTCP_XV_INT; v->u.i = 0; break;
    case 0x82: v->type = NTCP_XV_INT; v->u.i = 1; break;
    case 0x84: v->type = NTCP_XV_BOOL; v->u.i = 0; break;
    case 0x86: v->type = NTCP_XV_BOOL; v->u.i = 1; break;
    case 0x88: v->type = NTCP_XV_INT; v->u.i = (int8_t)ntcp_read_u8(r); break;
    case 0x8A: v->type = NTCP_XV_INT; v->u.i = (int16_t)ntcp_read_u16le(r); break;
    case 0x8C: v->type = NTCP_XV_INT; v->u.i = (int32_t)ntcp_read_u32le(r); break;
    case 0x8E: v->type = NTCP_XV_INT; v->u.i = (int64_t)ntcp_read_u64le(r); break;
    case 0x90: {
        uint32_t b = ntcp_read_u32le(r);
        v->type = NTCP_XV_FLOAT;
        memcpy(&v->u.f, &b, 4);
        break;
    }
    case 0x92: {
        uint64_t b = ntcp_read_u64le(r);
        v->type = NTCP_XV_DOUBLE;
        memcpy(&v->u.d, &b, 8);
        break;
    }
    case 0x94: /* MC-NBFX 2.2.3.13: wReserved 0, scale <= 28, sign 0 or 0x80 */
        v->type = NTCP_XV_DECIMAL;
        read_fixed(r, v->u.raw, 16);
        if (r->err == NTCP_OK && (v->u.raw[0] || v->u.raw[1] || v->u.raw[2] > 28 || (v->u.raw[3] & 0x7F)))
            ntcp_reader_fail(r, NTCP_E_MALFORMED);
        break;
    case 0x96: { /* MC-NBFX 2.2.3.14 */
        v->type = NTCP_XV_DATETIME;
        v->u.u = ntcp_read_u64le(r);
        int64_t ticks = (int64_t)(v->u.u & 0x3FFFFFFFFFFFFFFFULL);
        if (r->err == NTCP_OK && (v->u.u >> 62) < 2 && ticks > 3155378975999999999LL)
            ntcp_reader_fail(r, NTCP_E_MALFORMED);
        break;
    }
    case 0x98: v->type = NTCP_XV_CHARS; read_chars(r, ntcp_read_u8(r), lim->max_string_len, &v->s); break;
    case 0x9A: v->type = NTCP_XV_CHARS; read_chars(r, ntcp_read_u16le(r), lim->max_string_len, &v->s); break;
    case 0x9C:
    case 0xA2:
    case 0xBA: {
        uint32_t n = ntcp_read_u32le(r);
        if (r->err == NTCP_OK && n > 0x7FFFFFFFu) { /* int32 length must be >= 0 */
            ntcp_reader_fail(r, NTCP_E_MALFORMED);
            break;
        }
        v->type = base == 0x9C ? NTCP_XV_CHARS : base == 0xA2 ? NTCP_XV_BYTES : NTCP_XV_UTF16;
        read_chars(r, n, lim->max_string_len, &v->s);
        break;
    }
    case 0x9E: v->type = NTCP_XV_BYTES; read_chars(r, ntcp_read_u8(r), lim->max_string_len, &v->s); break;
    case 0xA0: v->type = NTCP_XV_BYTES; read_chars(r, ntcp_read_u16le(r), lim->max_string_len, &v->s); break;
    case 0xB6: v->type = NTCP_XV_UTF16; read_chars(r, ntcp_read_u8(r), lim->max_string_len, &v->s); break;
    case 0xB8: v->type = NTCP_XV_UTF16; read_chars(r, ntcp_read_u16le(r), lim->max_string_len, &v->s); break;
    case 0xA4: { /* MC-NBFX 2.2.3.20: StartList, text records, EndList */
        if (rec & 1) {
            ntcp_reader_fail(r, NTCP_E_XML_RECORD);
            break;
        }
        v->type = NTCP_XV_LIST;
        const uint8_t *start = r->p;
        for (;;) {
            int b = ntcp_reader_peek(r);
            if (b < 0) {
                ntcp_reader_fail(r, NTCP_E_TRUNCATED);
                break;
            }
            if ((b & 0xFE) == 0xA6) {
                v->s.p = (const char *)start;
                v->s.len = (uint32_t)(r->p - start);
                (void)ntcp_read_u8(r);
                *with_end = b & 1;
                break;
            }
            if (b < 0x80 || b > 0xBD || (b & 1) || b == 0xA4) {
                ntcp_reader_fail(r, NTCP_E_XML_RECORD);
                break;
            }
            ntcp_xml_value item;
            bool we;
            ntcp_xml__read_text(r, ntcp_read_u8(r), s, lim, &item, &we);
            if (r->err)
                break;
        }
        break;
    }
    case 0xA6: ntcp_reader_fail(r, NTCP_E_XML_RECORD); break; /* EndList without StartList */
    case 0xA8: v->type = NTCP_XV_EMPTY; break;
    case 0xAA: v->type = NTCP_XV_DICT; read_dict(r, s, &v->s, &v->key); break;
    case 0xAC: v->type = NTCP_XV_UNIQUEID; read_fixed(r, v->u.raw, 16); break;
    case 0xAE: v->type = NTCP_XV_TIMESPAN; v->u.i = (int64_t)ntcp_read_u64le(r); break;
    case 0xB0: v->type = NTCP_XV_UUID; read_fixed(r, v->u.raw, 16); break;
    case 0xB2: v->type = NTCP_XV_UINT64; v->u.u = ntcp_read_u64le(r); break;
    case 0xB4: { /* MC-NBFX 2.2.3.27: one byte, 0 or 1 */
        uint8_t b = ntcp_read_u8(r);
        if (r->err == NTCP_OK && b > 1)
            ntcp_reader_fail(r, NTCP_E_MALFORMED);
        v->type = NTCP_XV_BOOL;
        v->u.i = b;
        break;
    }
    case 0xBC: { /* MC-NBFX 2.2.3.30: prefix index 0-25, dictionary local name */
        uint8_t p = ntcp_read_u8(r);
        if (r->err == NTCP_OK && p > 25)
            ntcp_reader_fail(r, NTCP_E_MALFORMED);
        v->type = NTCP_XV_QNAME;
        v->u.i = p;
        read_dict(r, s, &v->s, &v->key);
        break;
    }
    default:
        ntcp_reader_fail(r, NTCP_E_XML_RECORD);
    }
}

void ntcp_xml_array_item(const ntcp_xml_node *a, uint32_t i, ntcp_xml_value *out)
{
    uint32_t size = ntcp_xml__array_item_size(a->array_record);
    ntcp_reader r;
    bool we;
    ntcp_xml_limits lim;
    ntcp_xml_limits_init(&lim);
    if (!size || i >= a->array_count) {
        memset(out, 0, sizeof *out);
        return;
    }
    ntcp_reader_init(&r, a->array_data + (size_t)i * size, size);
    ntcp_xml__read_text(&r, a->array_record, NULL, &lim, out, &we);
}

_Static_assert(sizeof(struct ntcp_xml_reader) % _Alignof(ntcp_xml_name) == 0, "stack after the reader");
_Static_assert(sizeof(ntcp_xml_name) % _Alignof(ntcp_xml_attr) == 0, "attributes after the stack");

ntcp_status ntcp_xml_reader_new(ntcp_xml_reader **out, const ntcp_xml_limits *limits,
                                const ntcp_xml_session *session)
{
    if (!out)
        return NTCP_E_INVALID_ARG;
    ntcp_xml_limits lim;
    ntcp_xml_limits_init(&lim);
    if (limits)
        lim = *limits;
    if (lim.max_depth > 4096 || lim.max_attributes > 65536)
        return NTCP_E_INVALID_ARG;
    /* one allocation: the reader, then its element stack and attribute
     * array (written before they are read: a name when pushed, an attribute
     * cleared as it is read, so only the reader itself is zeroed) */
    size_t stack = ((size_t)lim.max_depth + 1) * sizeof(ntcp_xml_name);
    size_t attrs = ((size_t)lim.max_attributes + 1) * sizeof(ntcp_xml_attr);
    ntcp_xml_reader *r = ntcp_malloc(sizeof *r + stack + attrs);
    if (!r)
        return NTCP_E_NOMEM;
    memset(r, 0, sizeof *r);
    r->lim = lim;
    r->sess = session;
    r->stack = (ntcp_xml_name *)(r + 1);
    r->attrs = (ntcp_xml_attr *)((char *)r->stack + stack);
    ntcp_reader_init(&r->r, empty_input, 0);
    r->r.err = NTCP_E_STATE;
    *out = r;
    return NTCP_OK;
}

void ntcp_xml_reader_free(ntcp_xml_reader *r)
{
    ntcp_free(r);
}

ntcp_status ntcp_xml_reader_reset(ntcp_xml_reader *r, const uint8_t *data, size_t len)
{
    ntcp_reader_init(&r->r, data ? data : empty_input, data ? len : 0);
    r->depth = 0;
    r->pending_end = false;
    r->seen_root = false;
    r->fragment = false;
    if (len > r->lim.max_size) {
        r->r.err = NTCP_E_XML_TOO_LARGE;
        return NTCP_E_XML_TOO_LARGE;
    }
    return NTCP_OK;
}

void ntcp_xml_reader_set_session(ntcp_xml_reader *r, const ntcp_xml_session *session) { r->sess = session; }

ntcp_status ntcp_xml_reader_reset_fragment(ntcp_xml_reader *r, const uint8_t *data, size_t len)
{
    ntcp_status st = ntcp_xml_reader_reset(r, data, len);
    r->fragment = true;
    return st;
}

bool ntcp__xml_reader_mark(const ntcp_xml_reader *x, ntcp__xml_mark *m)
{
    if (x->depth > sizeof m->stack / sizeof m->stack[0])
        return false;
    m->r = x->r;
    m->depth = x->depth;
    m->pending_end = x->pending_end;
    m->seen_root = x->seen_root;
    m->fragment = x->fragment;
    memcpy(m->stack, x->stack, x->depth * sizeof *x->stack);
    return true;
}

void ntcp__xml_reader_restore(ntcp_xml_reader *x, const ntcp__xml_mark *m)
{
    x->r = m->r;
    x->depth = m->depth;
    x->pending_end = m->pending_end;
    x->seen_root = m->seen_root;
    x->fragment = m->fragment;
    memcpy(x->stack, m->stack, m->depth * sizeof *x->stack);
}

ntcp_status ntcp_xml_reader_element_text(ntcp_xml_reader *r, ntcp_buf *out)
{
    uint32_t level = 0;
    for (;;) {
        ntcp_xml_node n;
        ntcp_status st = ntcp_xml_reader_next(r, &n);
        if (st)
            return st;
        if (n.type == NTCP_XML_NODE_EOF)
            return NTCP_E_MALFORMED;
        if (n.type == NTCP_XML_NODE_START)
            level++;
        else if (n.type == NTCP_XML_NODE_END && level-- == 0)
            return NTCP_OK;
        else if (n.type == NTCP_XML_NODE_TEXT) {
            st = ntcp_xml__format(&n.value, NULL, r->sess, out);
            if (st)
                return st;
        }
    }
}

size_t ntcp_xml_reader_offset(const ntcp_xml_reader *r)
{
    return r->r.err ? r->r.err_offset : ntcp_reader_offset(&r->r);
}

/* Element record (0x40-0x77) -> name. MC-NBFX 2.2.2.x */
static void read_element_name(ntcp_xml_reader *x, uint8_t b, ntcp_xml_name *n)
{
    ntcp_reader *r = &x->r;
    uint32_t maxn = x->lim.max_name_chars;
    memset(n, 0, sizeof *n);
    n->key = NTCP_XML_INLINE;
    n->record = b;
    if (b == 0x40) { /* ShortElement */
        read_string(r, maxn, NTCP_E_XML_NAME_TOO_LONG, &n->local);
    } else if (b == 0x41) { /* Element */
        read_string(r, maxn, NTCP_E_XML_NAME_TOO_LONG, &n->prefix);
        read_string(r, maxn, NTCP_E_XML_NAME_TOO_LONG, &n->local);
    } else if (b == 0x42) { /* ShortDictionaryElement */
        read_dict(r, x->sess, &n->local, &n->key);
    } else if (b == 0x43) { /* DictionaryElement */
        read_string(r, maxn, NTCP_E_XML_NAME_TOO_LONG, &n->prefix);
        read_dict(r, x->sess, &n->local, &n->key);
    } else if (b <= 0x5D) { /* PrefixDictionaryElementA-Z */
        n->prefix.p = &letters[b - 0x44];
        n->prefix.len = 1;
        read_dict(r, x->sess, &n->local, &n->key);
    } else { /* PrefixElementA-Z */
        n->prefix.p = &letters[b - 0x5E];
        n->prefix.len = 1;
        read_string(r, maxn, NTCP_E_XML_NAME_TOO_LONG, &n->local);
    }
    if (r->err == NTCP_OK && n->local.len == 0)
        ntcp_reader_fail(r, NTCP_E_MALFORMED);
}

/* Attribute record (0x04-0x3F) -> attr. MC-NBFX 2.2.1.x */
static void read_attribute(ntcp_xml_reader *x, uint8_t b, ntcp_xml_attr *a)
{
    ntcp_reader *r = &x->r;
    uint32_t maxn = x->lim.max_name_chars;
    memset(a, 0, sizeof *a);
    a->name.key = NTCP_XML_INLINE;
    a->name.record = b;
    switch (b) {
    case 0x04: read_string(r, maxn, NTCP_E_XML_NAME_TOO_LONG, &a->name.local); break;
    case 0x05:
        read_string(r, maxn, NTCP_E_XML_NAME_TOO_LONG, &a->name.prefix);
        read_string(r, maxn, NTCP_E_XML_NAME_TOO_LONG, &a->name.local);
        break;
    case 0x06: read_dict(r, x->sess, &a->name.local, &a->name.key); break;
    case 0x07:
        read_string(r, maxn, NTCP_E_XML_NAME_TOO_LONG, &a->name.prefix);
        read_dict(r, x->sess, &a->name.local, &a->name.key);
        break;
    case 0x08: a->is_xmlns = true; read_string(r, maxn, NTCP_E_XML_NAME_TOO_LONG, &a->name.local); break;
    case 0x09:
        a->is_xmlns = true;
        read_string(r, maxn, NTCP_E_XML_NAME_TOO_LONG, &a->name.prefix);
        read_string(r, maxn, NTCP_E_XML_NAME_TOO_LONG, &a->name.local);
        break;
    case 0x0A: a->is_xmlns = true; read_dict(r, x->sess, &a->name.local, &a->name.key); break;
    case 0x0B:
        a->is_xmlns = true;
        read_string(r, maxn, NTCP_E_XML_NAME_TOO_LONG, &a->name.prefix);
        read_dict(r, x->sess, &a->name.local, &a->name.key);
        break;
    default:
        a->name.prefix.p = &letters[b < 0x26 ? b - 0x0C : b - 0x26];
        a->name.prefix.len = 1;
        if (b < 0x26) /* PrefixDictionaryAttributeA-Z */
            read_dict(r, x->sess, &a->name.local, &a->name.key);
        else /* PrefixAttributeA-Z */
            read_string(r, maxn, NTCP_E_XML_NAME_TOO_LONG, &a->name.local);
    }
    if (r->err)
        return;
    if (a->is_xmlns) {
        /* a prefixed declaration needs a prefix and a namespace */
        if ((b == 0x09 || b == 0x0B) && (a->name.prefix.len == 0 || a->name.local.len == 0))
            ntcp_reader_fail(r, NTCP_E_MALFORMED);
        return;
    }
    if (a->name.local.len == 0) {
        ntcp_reader_fail(r, NTCP_E_MALFORMED);
        return;
    }
    /* the value: one text record, never a ...WithEndElement (MC-NBFX 2.2.1) */
    uint8_t t = ntcp_read_u8(r);
    if (r->err)
        return;
    if (t < 0x80 || t > 0xBD || (t & 1)) {
        ntcp_reader_fail(r, NTCP_E_XML_RECORD);
        return;
    }
    bool we;
    ntcp_xml__read_text(r, t, x->sess, &x->lim, &a->value, &we);
    if (r->err == NTCP_OK && we)
        ntcp_reader_fail(r, NTCP_E_XML_RECORD);
}

/* Element record plus its attributes. */
static void read_start(ntcp_xml_reader *x, uint8_t b, ntcp_xml_node *n)
{
    ntcp_reader *r = &x->r;
    read_element_name(x, b, &n->name);
    uint32_t na = 0;
    for (;;) {
        int p = ntcp_reader_peek(r);
        if (p < 0x04 || p > 0x3F)
            break;
        if (na >= x->lim.max_attributes) {
            ntcp_reader_fail(r, NTCP_E_XML_TOO_MANY_ATTRIBUTES);
            break;
        }
        read_attribute(x, ntcp_read_u8(r), &x->attrs[na++]);
    }
    n->attrs = x->attrs;
    n->nattrs = na;
}

ntcp_status ntcp_xml_reader_next(ntcp_xml_reader *x, ntcp_xml_node *n)
{
    ntcp_reader *r = &x->r;
    memset(n, 0, sizeof *n);
    if (r->err)
        return r->err;
    if (x->pending_end) {
        x->pending_end = false;
        n->type = NTCP_XML_NODE_END;
        n->depth = x->depth;
        n->name = x->stack[--x->depth];
        return NTCP_OK;
    }
    for (;;) {
        if (ntcp_reader_remaining(r) == 0) {
            if (x->depth > 0 || (!x->seen_root && !x->fragment)) {
                ntcp_reader_fail(r, NTCP_E_TRUNCATED);
                return r->err;
            }
            n->type = NTCP_XML_NODE_EOF;
            return NTCP_OK;
        }
        uint8_t b = ntcp_read_u8(r);
        if (b == 0x02) { /* Comment, MC-NBFX 2.2.3.1 */
            n->type = NTCP_XML_NODE_COMMENT;
            n->depth = x->depth;
            n->value.type = NTCP_XV_CHARS;
            read_string(r, x->lim.max_string_len, NTCP_E_XML_STRING_TOO_LONG, &n->value.s);
            return r->err;
        }
        if (x->seen_root && x->depth == 0 && !x->fragment) {
            /* after the root element only comments may follow */
            r->p--;
            ntcp_reader_fail(r, NTCP_E_XML_RECORD);
            return r->err;
        }
        if (b == 0x01) { /* EndElement */
            if (x->depth == 0) {
                r->p--;
                ntcp_reader_fail(r, NTCP_E_XML_RECORD);
                return r->err;
            }
            n->type = NTCP_XML_NODE_END;
            n->depth = x->depth;
            n->name = x->stack[--x->depth];
            return NTCP_OK;
        }
        if (b >= 0x40 && b <= 0x77) {
            if (x->depth + 1 > x->lim.max_depth) {
                r->p--;
                ntcp_reader_fail(r, NTCP_E_XML_DEPTH);
                return r->err;
            }
            read_start(x, b, n);
            if (r->err)
                return r->err;
            n->type = NTCP_XML_NODE_START;
            x->stack[x->depth++] = n->name;
            n->depth = x->depth;
            x->seen_root = true;
            return NTCP_OK;
        }
        if (b == 0x03) { /* Array, MC-NBFX 2.3.3 */
            uint8_t e = ntcp_read_u8(r);
            if (r->err)
                return r->err;
            if (e < 0x40 || e > 0x77 || x->depth == 0) {
                ntcp_reader_fail(r, NTCP_E_XML_RECORD);
                return r->err;
            }
            if (x->depth + 1 > x->lim.max_depth) {
                ntcp_reader_fail(r, NTCP_E_XML_DEPTH);
                return r->err;
            }
            read_start(x, e, n);
            uint8_t end = ntcp_read_u8(r), rec = ntcp_read_u8(r);
            if (r->err)
                return r->err;
            uint32_t size = ntcp_xml__array_item_size(rec);
            if (end != 0x01 || !size) {
                ntcp_reader_fail(r, NTCP_E_XML_RECORD);
                return r->err;
            }
            uint32_t count = ntcp_read_varint(r);
            if (r->err)
                return r->err;
            if (count == 0) {
                ntcp_reader_fail(r, NTCP_E_MALFORMED);
                return r->err;
            }
            if (count > x->lim.max_array_len) {
                ntcp_reader_fail(r, NTCP_E_XML_ARRAY_TOO_LONG);
                return r->err;
            }
            n->array_data = ntcp_read_bytes(r, (size_t)count * size);
            if (r->err)
                return r->err;
            n->type = NTCP_XML_NODE_ARRAY;
            n->depth = x->depth + 1;
            n->array_record = rec;
            n->array_count = count;
            ntcp_xml_value first;
            ntcp_xml_array_item(n, 0, &first);
            n->array_type = first.type;
            /* decimals and datetimes must be valid in every item */
            if (rec == 0x95 || rec == 0x97)
                for (uint32_t i = 0; i < count; i++) {
                    ntcp_reader ir;
                    ntcp_xml_value v;
                    bool we;
                    ntcp_reader_init(&ir, n->array_data + (size_t)i * size, size);
                    ntcp_xml__read_text(&ir, rec, NULL, &x->lim, &v, &we);
                    if (ir.err) {
                        ntcp_reader_fail(r, ir.err);
                        return r->err;
                    }
                }
            return NTCP_OK;
        }
        if (b >= 0x80 && b <= 0xBD) {
            if (x->depth == 0) {
                r->p--;
                ntcp_reader_fail(r, NTCP_E_XML_RECORD);
                return r->err;
            }
            bool we;
            ntcp_xml__read_text(r, b, x->sess, &x->lim, &n->value, &we);
            if (r->err)
                return r->err;
            n->type = NTCP_XML_NODE_TEXT;
            n->depth = x->depth;
            n->with_end = we;
            x->pending_end = we;
            return NTCP_OK;
        }
        /* attributes out of place, 0x00, 0x78-0x7F, 0xBE-0xFF */
        r->p--;
        ntcp_reader_fail(r, NTCP_E_XML_RECORD);
        return r->err;
    }
}
