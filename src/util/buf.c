#include <string.h>
#include <nettcp/util.h>

void ntcp_buf_init(ntcp_buf *b, size_t max)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->max = max;
}

void ntcp_buf_free(ntcp_buf *b)
{
    ntcp_free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void ntcp_buf_reset(ntcp_buf *b) { b->len = 0; }

ntcp_status ntcp_buf_reserve(ntcp_buf *b, size_t extra)
{
    if (extra > b->max || b->len > b->max - extra)
        return NTCP_E_LIMIT;
    size_t need = b->len + extra;
    if (need <= b->cap)
        return NTCP_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap > b->max)
        cap = b->max;
    uint8_t *d = ntcp_realloc(b->data, cap);
    if (!d)
        return NTCP_E_NOMEM;
    b->data = d;
    b->cap = cap;
    return NTCP_OK;
}

ntcp_status ntcp_buf_append(ntcp_buf *b, const void *p, size_t n)
{
    if (n == 0)
        return NTCP_OK;
    if (n <= b->cap - b->len && b->len + n <= b->max) { /* room already */
        memcpy(b->data + b->len, p, n);
        b->len += n;
        return NTCP_OK;
    }
    ntcp_status s = ntcp_buf_reserve(b, n);
    if (s)
        return s;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return NTCP_OK;
}

ntcp_status ntcp_buf_put_u8(ntcp_buf *b, uint8_t v)
{
    if (b->len < b->cap && b->len < b->max) {
        b->data[b->len++] = v;
        return NTCP_OK;
    }
    return ntcp_buf_append(b, &v, 1);
}

ntcp_status ntcp_buf_put_u16le(ntcp_buf *b, uint16_t v)
{
    uint8_t x[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
    return ntcp_buf_append(b, x, 2);
}

ntcp_status ntcp_buf_put_u16be(ntcp_buf *b, uint16_t v)
{
    uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };
    return ntcp_buf_append(b, x, 2);
}

ntcp_status ntcp_buf_put_u32le(ntcp_buf *b, uint32_t v)
{
    uint8_t x[4];
    for (int i = 0; i < 4; i++)
        x[i] = (uint8_t)(v >> (8 * i));
    return ntcp_buf_append(b, x, 4);
}

ntcp_status ntcp_buf_put_u64le(ntcp_buf *b, uint64_t v)
{
    uint8_t x[8];
    for (int i = 0; i < 8; i++)
        x[i] = (uint8_t)(v >> (8 * i));
    return ntcp_buf_append(b, x, 8);
}

ntcp_status ntcp_buf_put_varint(ntcp_buf *b, uint32_t v)
{
    if (v < 0x80) /* one byte, most lengths and keys */
        return ntcp_buf_put_u8(b, (uint8_t)v);
    uint8_t x[NTCP_VARINT_MAX_BYTES];
    size_t n = ntcp_varint_encode(v, x);
    if (n == 0)
        return NTCP_E_LIMIT;
    return ntcp_buf_append(b, x, n);
}

ntcp_status ntcp_buf_put_string(ntcp_buf *b, const void *p, size_t n)
{
    if (n > NTCP_VARINT_MAX_VALUE)
        return NTCP_E_LIMIT;
    size_t save = b->len;
    ntcp_status s = ntcp_buf_put_varint(b, (uint32_t)n);
    if (s == NTCP_OK)
        s = ntcp_buf_append(b, p, n);
    if (s)
        b->len = save;
    return s;
}

void ntcp_buf_consume(ntcp_buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

uint8_t *ntcp_buf_detach(ntcp_buf *b, size_t *len)
{
    uint8_t *d = b->data;
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return d;
}
