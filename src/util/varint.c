/* MC-NMF 2.2.2 and MC-NBFX 2.1.2 (MultiByteInt31): one implementation. */
#include <nettcp/util.h>

ntcp_status ntcp_varint_decode(const uint8_t *p, size_t len, uint32_t *out, size_t *used)
{
    uint32_t v = 0;
    for (size_t i = 0; i < NTCP_VARINT_MAX_BYTES; i++) {
        if (i >= len)
            return NTCP_AGAIN;
        uint8_t b = p[i];
        if (i == NTCP_VARINT_MAX_BYTES - 1) {
            /* 5th byte: only bits 0-2 may be set (.NET rejects b & 0xF8) */
            if (b & 0xF8)
                return NTCP_E_VARINT;
            v |= (uint32_t)b << 28;
            *out = v;
            *used = i + 1;
            return NTCP_OK;
        }
        v |= (uint32_t)(b & 0x7F) << (7 * i);
        if (!(b & 0x80)) {
            *out = v;
            *used = i + 1;
            return NTCP_OK;
        }
    }
    return NTCP_E_VARINT; /* not reached */
}

size_t ntcp_varint_encode(uint32_t v, uint8_t out[NTCP_VARINT_MAX_BYTES])
{
    if (v > NTCP_VARINT_MAX_VALUE)
        return 0;
    size_t n = 0;
    do {
        uint8_t b = v & 0x7F;
        v >>= 7;
        out[n++] = v ? (uint8_t)(b | 0x80) : b;
    } while (v);
    return n;
}

size_t ntcp_varint_size(uint32_t v)
{
    uint8_t tmp[NTCP_VARINT_MAX_BYTES];
    return ntcp_varint_encode(v, tmp);
}
