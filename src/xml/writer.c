/* MC-NBFX writer, choosing the records WCF's XmlBinaryWriter chooses:
 * dictionary strings (static, then session), prefix-letter records for
 * single-letter prefixes, the smallest integer record, Chars8/16/32 by
 * length, and the ...WithEndElement variant for a text record directly
 * before its element's end. With a session dictionary the output is one
 * MC-NBFSE payload (string table + document). */
#include <stdio.h>
#include <string.h>
#include "xml/internal.h"

struct ntcp_xml_writer {
    ntcp_xml_writer_options opt;
    ntcp_xml_session *sess;
    ntcp_buf doc;
    size_t last_text; /* offset of the last content text record, SIZE_MAX if the last record was not one */
    uint32_t depth;
    uint32_t nattrs;
    bool in_start;    /* attributes may follow */
    uint8_t *addr;    /* per depth: element is a WS-Addressing Action/To header */
};

#define NO_TEXT ((size_t)-1)

ntcp_status ntcp_xml_writer_new(ntcp_xml_writer **out, const ntcp_xml_writer_options *opt,
                                ntcp_xml_session *session)
{
    if (!out)
        return NTCP_E_INVALID_ARG;
    ntcp_xml_writer_options o;
    if (opt)
        o = *opt;
    else {
        memset(&o, 0, sizeof o);
        ntcp_xml_limits_init(&o.limits);
        o.session_policy = NTCP_XML_SESSION_DEFAULT;
    }
    if (o.limits.max_depth > 4096)
        return NTCP_E_INVALID_ARG;
    /* one allocation: the writer and its per-depth flags after it */
    ntcp_xml_writer *w = ntcp_calloc(1, sizeof *w + (size_t)o.limits.max_depth + 2);
    if (!w)
        return NTCP_E_NOMEM;
    w->opt = o;
    w->sess = session;
    w->addr = (uint8_t *)(w + 1);
    ntcp_buf_init(&w->doc, w->opt.limits.max_size);
    ntcp_xml_writer_reset(w);
    *out = w;
    return NTCP_OK;
}

void ntcp_xml_writer_free(ntcp_xml_writer *w)
{
    if (!w)
        return;
    ntcp_buf_free(&w->doc);
    ntcp_free(w);
}

void ntcp_xml_writer_reset(ntcp_xml_writer *w)
{
    ntcp_buf_reset(&w->doc);
    w->last_text = NO_TEXT;
    w->depth = 0;
    w->nattrs = 0;
    w->in_start = false;
}

const uint8_t *ntcp_xml_writer_data(const ntcp_xml_writer *w, size_t *len)
{
    *len = w->doc.len;
    return w->doc.data;
}

static ntcp_status lim(ntcp_status st) { return st == NTCP_E_LIMIT ? NTCP_E_XML_TOO_LARGE : st; }

static ntcp_status put_u8(ntcp_xml_writer *w, uint8_t b) { return lim(ntcp_buf_put_u8(&w->doc, b)); }

static ntcp_status put_varint(ntcp_xml_writer *w, uint32_t v) { return lim(ntcp_buf_put_varint(&w->doc, v)); }

static ntcp_status put_string(ntcp_xml_writer *w, const ntcp_xml_str *s, uint32_t max, ntcp_status too_long)
{
    if (s->len > max)
        return too_long;
    return lim(ntcp_buf_put_string(&w->doc, s->p, s->len));
}

static ntcp_status put_name(ntcp_xml_writer *w, const ntcp_xml_str *s)
{
    return put_string(w, s, w->opt.limits.max_name_chars, NTCP_E_XML_NAME_TOO_LONG);
}

static bool is_candidate(ntcp_xml_writer *w, int kind, const char *s, size_t len)
{
    if (w->opt.is_candidate)
        return w->opt.is_candidate(w->opt.candidate_ctx, kind, s, len);
    unsigned bit = kind == 0 ? NTCP_XML_SESSION_NAMES : kind == 1 ? NTCP_XML_SESSION_NAMESPACES
                                                                  : NTCP_XML_SESSION_ADDRESSING;
    return (w->opt.session_policy & bit) != 0;
}

/* Key for a string: static, then session, then a new session string when it
 * is a candidate and fits the budget; NTCP_XML_INLINE otherwise. */
static int32_t choose_key(ntcp_xml_writer *w, int kind, const char *s, size_t len)
{
    if (len == 0)
        return NTCP_XML_INLINE;
    int32_t k = ntcp_xml_static_key(s, len);
    if (k >= 0)
        return k;
    if (!w->sess)
        return NTCP_XML_INLINE;
    k = ntcp_xml_session_key(w->sess, s, len);
    if (k >= 0)
        return k;
    if (!is_candidate(w, kind, s, len))
        return NTCP_XML_INLINE;
    k = ntcp_xml_session_add(w->sess, s, len); /* MC-NBFSE: inline once the budget is used */
    return k >= 0 ? k : NTCP_XML_INLINE;
}

static int32_t name_key(ntcp_xml_writer *w, const ntcp_xml_name *n, int kind)
{
    return n->key == NTCP_XML_KEY_AUTO ? choose_key(w, kind, n->local.p, n->local.len) : n->key;
}

static int letter(const ntcp_xml_str *p)
{
    return p->len == 1 && p->p[0] >= 'a' && p->p[0] <= 'z' ? p->p[0] - 'a' : -1;
}

ntcp_status ntcp_xml_writer_start_element(ntcp_xml_writer *w, const ntcp_xml_name *n)
{
    if (!n || n->local.len == 0)
        return NTCP_E_INVALID_ARG;
    if (w->depth + 1 > w->opt.limits.max_depth)
        return NTCP_E_XML_DEPTH;
    int32_t key = name_key(w, n, 0);
    int l = letter(&n->prefix);
    bool explicit_prefix = n->record == 0x41 || n->record == 0x43; /* kept from the input */
    ntcp_status st;
    /* MC-NBFX 2.2.2: element records */
    if (n->prefix.len == 0 && !explicit_prefix)
        st = put_u8(w, key >= 0 ? 0x42 : 0x40);
    else if (l >= 0 && !explicit_prefix)
        st = put_u8(w, (uint8_t)((key >= 0 ? 0x44 : 0x5E) + l));
    else {
        st = put_u8(w, key >= 0 ? 0x43 : 0x41);
        if (!st)
            st = put_name(w, &n->prefix);
    }
    if (!st)
        st = key >= 0 ? put_varint(w, (uint32_t)key) : put_name(w, &n->local);
    if (st)
        return st;
    w->depth++;
    w->addr[w->depth] = w->depth == 3 && ((n->local.len == 6 && !memcmp(n->local.p, "Action", 6)) ||
                                          (n->local.len == 2 && !memcmp(n->local.p, "To", 2)));
    w->in_start = true;
    w->nattrs = 0;
    w->last_text = NO_TEXT;
    return NTCP_OK;
}

/* One text record; `content` = element content (may get the end bit). */
static ntcp_status put_value(ntcp_xml_writer *w, const ntcp_xml_value *v, bool content)
{
    size_t off = w->doc.len;
    ntcp_status st;
    uint8_t rec = v->record;
    uint32_t maxs = w->opt.limits.max_string_len;
    switch (v->type) {
    case NTCP_XV_CHARS:
    case NTCP_XV_UTF16:
    case NTCP_XV_BYTES: { /* MC-NBFX 2.2.3.15-20, 2.2.3.28-29: 8/16/32-bit length by size */
        uint8_t b8 = v->type == NTCP_XV_CHARS ? 0x98 : v->type == NTCP_XV_BYTES ? 0x9E : 0xB6;
        uint32_t n = v->s.len;
        if (n > maxs)
            return NTCP_E_XML_STRING_TOO_LONG;
        /* the input's length class when it was wider than needed */
        int cls = rec == b8 + 4 ? 2 : rec == b8 + 2 ? 1 : 0;
        if (n < 0x100 && cls == 0) {
            st = put_u8(w, b8);
            if (!st)
                st = put_u8(w, (uint8_t)n);
        } else if (n < 0x10000 && cls <= 1) {
            st = put_u8(w, (uint8_t)(b8 + 2));
            if (!st)
                st = lim(ntcp_buf_put_u16le(&w->doc, (uint16_t)n));
        } else {
            st = put_u8(w, (uint8_t)(b8 + 4));
            if (!st)
                st = lim(ntcp_buf_put_u32le(&w->doc, n));
        }
        if (!st)
            st = lim(ntcp_buf_append(&w->doc, v->s.p, n));
        break;
    }
    case NTCP_XV_EMPTY: st = put_u8(w, 0xA8); break;
    case NTCP_XV_BOOL:
        if (rec == 0xB4) {
            st = put_u8(w, 0xB4);
            if (!st)
                st = put_u8(w, v->u.i ? 1 : 0);
        } else
            st = put_u8(w, v->u.i ? 0x86 : 0x84);
        break;
    case NTCP_XV_INT: {
        int64_t i = v->u.i;
        /* the record it came from when it can hold the value, else the smallest */
        if (!((rec == 0x88 && i >= INT8_MIN && i <= INT8_MAX) || (rec == 0x8A && i >= INT16_MIN && i <= INT16_MAX) ||
              (rec == 0x8C && i >= INT32_MIN && i <= INT32_MAX) || rec == 0x8E || (rec == 0x80 && i == 0) ||
              (rec == 0x82 && i == 1)))
            rec = i == 0 ? 0x80 : i == 1 ? 0x82 : (i >= INT8_MIN && i <= INT8_MAX) ? 0x88
                : (i >= INT16_MIN && i <= INT16_MAX) ? 0x8A : (i >= INT32_MIN && i <= INT32_MAX) ? 0x8C : 0x8E;
        st = put_u8(w, rec);
        if (!st && rec == 0x88)
            st = put_u8(w, (uint8_t)i);
        else if (!st && rec == 0x8A)
            st = lim(ntcp_buf_put_u16le(&w->doc, (uint16_t)i));
        else if (!st && rec == 0x8C)
            st = lim(ntcp_buf_put_u32le(&w->doc, (uint32_t)i));
        else if (!st && rec == 0x8E)
            st = lim(ntcp_buf_put_u64le(&w->doc, (uint64_t)i));
        break;
    }
    case NTCP_XV_UINT64:
        st = put_u8(w, 0xB2);
        if (!st)
            st = lim(ntcp_buf_put_u64le(&w->doc, v->u.u));
        break;
    case NTCP_XV_FLOAT: {
        uint32_t b;
        memcpy(&b, &v->u.f, 4);
        st = put_u8(w, 0x90);
        if (!st)
            st = lim(ntcp_buf_put_u32le(&w->doc, b));
        break;
    }
    case NTCP_XV_DOUBLE: {
        uint64_t b;
        memcpy(&b, &v->u.d, 8);
        st = put_u8(w, 0x92);
        if (!st)
            st = lim(ntcp_buf_put_u64le(&w->doc, b));
        break;
    }
    case NTCP_XV_DECIMAL:
    case NTCP_XV_UUID:
    case NTCP_XV_UNIQUEID:
        st = put_u8(w, v->type == NTCP_XV_DECIMAL ? 0x94 : v->type == NTCP_XV_UUID ? 0xB0 : 0xAC);
        if (!st)
            st = lim(ntcp_buf_append(&w->doc, v->u.raw, 16));
        break;
    case NTCP_XV_DATETIME:
    case NTCP_XV_TIMESPAN:
        st = put_u8(w, v->type == NTCP_XV_DATETIME ? 0x96 : 0xAE);
        if (!st)
            st = lim(ntcp_buf_put_u64le(&w->doc, v->u.u));
        break;
    case NTCP_XV_DICT:
    case NTCP_XV_QNAME: {
        int32_t key = v->key;
        if (key == NTCP_XML_KEY_AUTO)
            key = choose_key(w, 2, v->s.p, v->s.len);
        if (key < 0) {
            if (v->type == NTCP_XV_QNAME)
                return NTCP_E_INVALID_ARG;
            ntcp_xml_value c = *v;
            c.type = NTCP_XV_CHARS;
            return put_value(w, &c, content);
        }
        if (v->type == NTCP_XV_QNAME) {
            if (v->u.i < 0 || v->u.i > 25)
                return NTCP_E_INVALID_ARG;
            st = put_u8(w, 0xBC);
            if (!st)
                st = put_u8(w, (uint8_t)v->u.i);
        } else
            st = put_u8(w, 0xAA);
        if (!st)
            st = put_varint(w, (uint32_t)key);
        break;
    }
    case NTCP_XV_LIST:
        /* the item records are copied as they are */
        st = put_u8(w, 0xA4);
        if (!st)
            st = lim(ntcp_buf_append(&w->doc, v->s.p, v->s.len));
        if (!st)
            st = put_u8(w, 0xA6);
        off = w->doc.len - 1;
        break;
    default:
        return NTCP_E_INVALID_ARG;
    }
    if (st)
        return st;
    w->last_text = content ? off : NO_TEXT;
    return NTCP_OK;
}

ntcp_status ntcp_xml_writer_attribute(ntcp_xml_writer *w, const ntcp_xml_attr *a)
{
    if (!w->in_start || !a)
        return NTCP_E_STATE;
    if (w->nattrs >= w->opt.limits.max_attributes)
        return NTCP_E_XML_TOO_MANY_ATTRIBUTES;
    const ntcp_xml_name *n = &a->name;
    int32_t key = name_key(w, n, a->is_xmlns ? 1 : 0);
    int l = letter(&n->prefix);
    bool explicit_prefix = n->record == 0x05 || n->record == 0x07; /* kept from the input */
    ntcp_status st;
    if (a->is_xmlns) { /* MC-NBFX 2.2.1.5-8: no prefix-letter forms for xmlns */
        if (n->prefix.len == 0)
            st = put_u8(w, key >= 0 ? 0x0A : 0x08);
        else {
            st = put_u8(w, key >= 0 ? 0x0B : 0x09);
            if (!st)
                st = put_name(w, &n->prefix);
        }
    } else {
        if (n->local.len == 0)
            return NTCP_E_INVALID_ARG;
        if (n->prefix.len == 0 && !explicit_prefix)
            st = put_u8(w, key >= 0 ? 0x06 : 0x04);
        else if (l >= 0 && !explicit_prefix)
            st = put_u8(w, (uint8_t)((key >= 0 ? 0x0C : 0x26) + l));
        else {
            st = put_u8(w, key >= 0 ? 0x07 : 0x05);
            if (!st)
                st = put_name(w, &n->prefix);
        }
    }
    if (!st)
        st = key >= 0 ? put_varint(w, (uint32_t)key) : put_name(w, &n->local);
    if (!st && !a->is_xmlns)
        st = put_value(w, &a->value, false);
    if (!st)
        w->nattrs++;
    return st;
}

ntcp_status ntcp_xml_writer_value(ntcp_xml_writer *w, const ntcp_xml_value *v)
{
    if (w->depth == 0)
        return NTCP_E_STATE;
    w->in_start = false;
    return put_value(w, v, true);
}

static bool parse_int(const char *s, size_t n, int64_t *out)
{
    /* canonical: 0 | -?[1-9][0-9]* within int64 */
    size_t i = 0;
    bool neg = false;
    if (n && s[0] == '-') {
        neg = true;
        i = 1;
    }
    if (i >= n || n - i > 19 || (s[i] == '0' && (n - i > 1 || neg)))
        return false;
    uint64_t v = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX)
        return false;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* "urn:uuid:" + lowercase 8-4-4-4-12 -> .NET Guid bytes */
static bool parse_uniqueid(const char *s, size_t n, uint8_t g[16])
{
    static const int order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };
    if (n != 45 || memcmp(s, "urn:uuid:", 9) != 0)
        return false;
    s += 9;
    int k = 0;
    for (int i = 0; i < 36;) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i++] != '-')
                return false;
            continue;
        }
        int h = hexval(s[i]), l = hexval(s[i + 1]);
        if (h < 0 || l < 0)
            return false;
        g[order[k++]] = (uint8_t)(h << 4 | l);
        i += 2;
    }
    return true;
}

ntcp_status ntcp_xml_writer_text(ntcp_xml_writer *w, const char *s, size_t len)
{
    if (w->depth == 0)
        return NTCP_E_STATE;
    if (len > w->opt.limits.max_string_len)
        return NTCP_E_XML_STRING_TOO_LONG;
    ntcp_xml_value v;
    memset(&v, 0, sizeof v);
    v.key = NTCP_XML_INLINE;
    if (len == 0)
        v.type = NTCP_XV_EMPTY;
    else if (parse_int(s, len, &v.u.i))
        v.type = NTCP_XV_INT;
    else if (len == 4 && !memcmp(s, "true", 4))
        v.type = NTCP_XV_BOOL, v.u.i = 1;
    else if (len == 5 && !memcmp(s, "false", 5))
        v.type = NTCP_XV_BOOL, v.u.i = 0;
    else if (parse_uniqueid(s, len, v.u.raw))
        v.type = NTCP_XV_UNIQUEID;
    else {
        int32_t key = ntcp_xml_static_key(s, len);
        if (key < 0 && w->sess) {
            key = ntcp_xml_session_key(w->sess, s, len);
            if (key < 0 && w->addr[w->depth] && is_candidate(w, 2, s, len))
                key = ntcp_xml_session_add(w->sess, s, len);
        }
        v.type = key >= 0 ? NTCP_XV_DICT : NTCP_XV_CHARS;
        v.key = key;
        v.s.p = s;
        v.s.len = (uint32_t)len;
    }
    w->in_start = false;
    return put_value(w, &v, true);
}

/* Attribute values from text: the same choices as element text. */
static ntcp_status attr_text_value(const char *s, size_t len, ntcp_xml_value *v)
{
    memset(v, 0, sizeof *v);
    v->key = NTCP_XML_INLINE;
    if (len == 0)
        v->type = NTCP_XV_EMPTY;
    else if (parse_int(s, len, &v->u.i))
        v->type = NTCP_XV_INT;
    else if (len == 4 && !memcmp(s, "true", 4))
        v->type = NTCP_XV_BOOL, v->u.i = 1;
    else if (len == 5 && !memcmp(s, "false", 5))
        v->type = NTCP_XV_BOOL, v->u.i = 0;
    else if (parse_uniqueid(s, len, v->u.raw))
        v->type = NTCP_XV_UNIQUEID;
    else {
        int32_t key = ntcp_xml_static_key(s, len);
        v->type = key >= 0 ? NTCP_XV_DICT : NTCP_XV_CHARS;
        v->key = key;
        v->s.p = s;
        v->s.len = (uint32_t)len;
    }
    return NTCP_OK;
}

ntcp_status ntcp_xml__attr_text_value(const char *s, size_t len, ntcp_xml_value *v)
{
    return attr_text_value(s, len, v);
}

ntcp_status ntcp_xml_writer_comment(ntcp_xml_writer *w, const char *s, size_t len)
{
    ntcp_xml_str c = { s, (uint32_t)len };
    if (len > UINT32_MAX)
        return NTCP_E_XML_STRING_TOO_LONG;
    ntcp_status st = put_u8(w, 0x02);
    if (!st)
        st = put_string(w, &c, w->opt.limits.max_string_len, NTCP_E_XML_STRING_TOO_LONG);
    w->in_start = false;
    w->last_text = NO_TEXT;
    return st;
}

ntcp_status ntcp_xml_writer_end_element(ntcp_xml_writer *w)
{
    if (w->depth == 0)
        return NTCP_E_STATE;
    ntcp_status st = NTCP_OK;
    if (w->last_text != NO_TEXT)
        w->doc.data[w->last_text] |= 1; /* MC-NBFX 2.2.3: ...WithEndElement = code + 1 */
    else
        st = put_u8(w, 0x01);
    if (st)
        return st;
    w->depth--;
    w->in_start = false;
    w->last_text = NO_TEXT;
    return NTCP_OK;
}

ntcp_status ntcp_xml_writer_node(ntcp_xml_writer *w, const ntcp_xml_node *n)
{
    ntcp_status st = NTCP_OK;
    switch (n->type) {
    case NTCP_XML_NODE_START:
    case NTCP_XML_NODE_ARRAY: {
        if (n->type == NTCP_XML_NODE_ARRAY) {
            uint32_t size = ntcp_xml__array_item_size(n->array_record);
            if (!size || n->array_count == 0)
                return NTCP_E_INVALID_ARG;
            if (n->array_count > w->opt.limits.max_array_len)
                return NTCP_E_XML_ARRAY_TOO_LONG;
            st = put_u8(w, 0x03); /* MC-NBFX 2.3.3 */
        }
        if (!st)
            st = ntcp_xml_writer_start_element(w, &n->name);
        for (uint32_t i = 0; !st && i < n->nattrs; i++)
            st = ntcp_xml_writer_attribute(w, &n->attrs[i]);
        if (!st && n->type == NTCP_XML_NODE_ARRAY) {
            uint32_t size = ntcp_xml__array_item_size(n->array_record);
            st = put_u8(w, 0x01);
            if (!st)
                st = put_u8(w, n->array_record);
            if (!st)
                st = put_varint(w, n->array_count);
            if (!st)
                st = lim(ntcp_buf_append(&w->doc, n->array_data, (size_t)n->array_count * size));
            if (!st) {
                w->depth--;
                w->in_start = false;
                w->last_text = NO_TEXT;
            }
        }
        return st;
    }
    case NTCP_XML_NODE_END: return ntcp_xml_writer_end_element(w);
    case NTCP_XML_NODE_TEXT:
        st = ntcp_xml_writer_value(w, &n->value);
        if (!st && !n->with_end)
            w->last_text = NO_TEXT; /* the input had an explicit EndElement */
        return st;
    case NTCP_XML_NODE_COMMENT: return ntcp_xml_writer_comment(w, n->value.s.p, n->value.s.len);
    case NTCP_XML_NODE_EOF: return NTCP_OK;
    default: return NTCP_E_INVALID_ARG;
    }
}

ntcp_status ntcp_xml_writer_finish(ntcp_xml_writer *w, ntcp_buf *out)
{
    if (w->depth != 0 || w->doc.len == 0)
        return NTCP_E_STATE;
    ntcp_status st = NTCP_OK;
    /* room for the document (and a small table) at once rather than by
     * doubling from 64 bytes; a refusal here changes nothing, the appends
     * below meet the same limit */
    if (ntcp_buf_reserve(out, w->doc.len + 64) != NTCP_OK) {
        /* nothing reserved: the appends below meet the same limit */
    }
    if (w->sess)
        st = ntcp_xml_session_write_table(w->sess, out); /* MC-NBFSE 2.1 */
    if (!st)
        st = ntcp_buf_append(out, w->doc.data, w->doc.len);
    if (!st)
        ntcp_xml_writer_reset(w);
    return st;
}

static ntcp_xml_name plain_name(const char *prefix, const char *local)
{
    ntcp_xml_name n;
    memset(&n, 0, sizeof n);
    n.prefix.p = prefix ? prefix : "";
    n.prefix.len = (uint32_t)strlen(n.prefix.p);
    n.local.p = local;
    n.local.len = (uint32_t)strlen(local);
    n.key = NTCP_XML_KEY_AUTO;
    return n;
}

ntcp_status ntcp_xml_writer_start(ntcp_xml_writer *w, const char *prefix, const char *local, const char *ns)
{
    if (!w || !local)
        return NTCP_E_INVALID_ARG;
    ntcp_xml_name n = plain_name(prefix, local);
    ntcp_status st = ntcp_xml_writer_start_element(w, &n);
    if (!st && ns) {
        ntcp_xml_attr a;
        memset(&a, 0, sizeof a);
        a.is_xmlns = true;
        a.name = plain_name(prefix, ns);
        st = ntcp_xml_writer_attribute(w, &a);
    }
    return st;
}

ntcp_status ntcp_xml_writer_text_element(ntcp_xml_writer *w, const char *prefix, const char *local, const char *text)
{
    ntcp_status st = ntcp_xml_writer_start(w, prefix, local, NULL);
    if (!st && text && *text)
        st = ntcp_xml_writer_text(w, text, strlen(text));
    return st ? st : ntcp_xml_writer_end_element(w);
}

/* A value read elsewhere, without its dictionary key. */
static void detach_value(ntcp_xml_value *v, char qbuf[512])
{
    if (v->type == NTCP_XV_DICT) {
        v->type = NTCP_XV_CHARS;
        v->record = 0;
        v->key = 0;
    } else if (v->type == NTCP_XV_QNAME) {
        int k = snprintf(qbuf, 512, "%c:%.*s", (char)('a' + v->u.i), (int)v->s.len, v->s.p);
        v->type = NTCP_XV_CHARS;
        v->record = 0;
        v->key = 0;
        v->s.p = qbuf;
        v->s.len = (uint32_t)(k < 512 ? k : 511);
    }
}

ntcp_status ntcp_xml_writer_copy_node(ntcp_xml_writer *w, const ntcp_xml_node *in)
{
    ntcp_xml_node n = *in;
    char qbuf[512];
    if (n.type == NTCP_XML_NODE_START || n.type == NTCP_XML_NODE_ARRAY) {
        if (n.name.key >= 0 || n.name.key == NTCP_XML_INLINE) {
            n.name.key = NTCP_XML_KEY_AUTO;
            n.name.record = 0;
        }
        ntcp_status st = NTCP_OK;
        if (n.type == NTCP_XML_NODE_ARRAY)
            return ntcp_xml_writer_node(w, &n); /* arrays carry no keys in their items */
        st = ntcp_xml_writer_start_element(w, &n.name);
        for (uint32_t i = 0; !st && i < n.nattrs; i++) {
            ntcp_xml_attr a = n.attrs[i];
            if (a.name.key >= 0 || a.name.key == NTCP_XML_INLINE) {
                a.name.key = NTCP_XML_KEY_AUTO;
                a.name.record = 0;
            }
            char aq[512];
            detach_value(&a.value, aq);
            st = ntcp_xml_writer_attribute(w, &a);
        }
        return st;
    }
    if (n.type == NTCP_XML_NODE_TEXT)
        detach_value(&n.value, qbuf);
    return ntcp_xml_writer_node(w, &n);
}
