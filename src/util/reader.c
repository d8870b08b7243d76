#include <nettcp/util.h>
#include "reader.h"

void ntcp_reader_init(ntcp_reader *r, const uint8_t *data, size_t len)
{
    r->base = data;
    r->p = data;
    r->end = data + len;
    r->err = NTCP_OK;
    r->err_offset = 0;
}

void ntcp_reader_fail(ntcp_reader *r, ntcp_status err)
{
    if (r->err == NTCP_OK) {
        r->err = err;
        r->err_offset = (size_t)(r->p - r->base);
    }
}

const uint8_t *ntcp_read_bytes(ntcp_reader *r, size_t n)
{
    if (r->err)
        return NULL;
    if ((size_t)(r->end - r->p) < n) {
        ntcp_reader_fail(r, NTCP_E_TRUNCATED);
        return NULL;
    }
    const uint8_t *p = r->p;
    r->p += n;
    return p;
}

uint8_t ntcp__read_u8_slow(ntcp_reader *r)
{
    const uint8_t *p = ntcp_read_bytes(r, 1);
    return p ? p[0] : 0;
}

uint16_t ntcp_read_u16le(ntcp_reader *r)
{
    const uint8_t *p = ntcp_read_bytes(r, 2);
    return p ? (uint16_t)(p[0] | p[1] << 8) : 0;
}

uint16_t ntcp_read_u16be(ntcp_reader *r)
{
    const uint8_t *p = ntcp_read_bytes(r, 2);
    return p ? (uint16_t)(p[0] << 8 | p[1]) : 0;
}

uint32_t ntcp_read_u32le(ntcp_reader *r)
{
    const uint8_t *p = ntcp_read_bytes(r, 4);
    return p ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24 : 0;
}

uint64_t ntcp_read_u64le(ntcp_reader *r)
{
    const uint8_t *p = ntcp_read_bytes(r, 8);
    uint64_t v = 0;
    if (p)
        for (int i = 7; i >= 0; i--)
            v = v << 8 | p[i];
    return v;
}

uint64_t ntcp_read_u64be(ntcp_reader *r)
{
    const uint8_t *p = ntcp_read_bytes(r, 8);
    uint64_t v = 0;
    if (p)
        for (int i = 0; i < 8; i++)
            v = v << 8 | p[i];
    return v;
}

uint32_t ntcp__read_varint_slow(ntcp_reader *r)
{
    if (r->err)
        return 0;
    uint32_t v;
    size_t used;
    ntcp_status s = ntcp_varint_decode(r->p, (size_t)(r->end - r->p), &v, &used);
    if (s == NTCP_AGAIN) {
        ntcp_reader_fail(r, NTCP_E_TRUNCATED);
        return 0;
    }
    if (s != NTCP_OK) {
        ntcp_reader_fail(r, s);
        return 0;
    }
    r->p += used;
    return v;
}

int ntcp_reader_peek(const ntcp_reader *r)
{
    if (r->err || r->p >= r->end)
        return -1;
    return r->p[0];
}

ntcp_reader ntcp_reader_sub(ntcp_reader *r, size_t n)
{
    ntcp_reader sub;
    const uint8_t *p = ntcp_read_bytes(r, n);
    sub.base = r->base;
    sub.p = p ? p : r->p;
    sub.end = p ? p + n : r->p;
    sub.err = r->err;
    sub.err_offset = r->err_offset;
    return sub;
}

ntcp_status ntcp_reader_close_sub(ntcp_reader *parent, ntcp_reader *sub)
{
    if (sub->err) {
        if (parent->err == NTCP_OK) {
            parent->err = sub->err;
            parent->err_offset = sub->err_offset;
        }
    } else if (sub->p != sub->end) {
        if (parent->err == NTCP_OK) {
            parent->err = NTCP_E_TRAILING;
            parent->err_offset = (size_t)(sub->p - sub->base);
        }
    }
    return parent->err;
}
