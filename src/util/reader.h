/* The one bounded reader. A cursor over [p, end) that remembers its first
 * error: after an error every read returns 0 / NULL and the error sticks, so
 * a decoder can read a whole structure and check once (MIT krb5 k5-input.h).
 * A sub-reader covers the next n bytes of its parent and must be consumed
 * exactly (ntcp_reader_close_sub). */
#ifndef NTCP_READER_H
#define NTCP_READER_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <nettcp/status.h>

typedef struct ntcp_reader {
    const uint8_t *base; /* start of the outermost buffer, for offsets */
    const uint8_t *p;
    const uint8_t *end;
    ntcp_status err;     /* first error, NTCP_OK if none */
    size_t err_offset;   /* offset from base where the first error happened */
} ntcp_reader;

void ntcp_reader_init(ntcp_reader *r, const uint8_t *data, size_t len);
static inline size_t ntcp_reader_remaining(const ntcp_reader *r) { return r->err ? 0 : (size_t)(r->end - r->p); }
static inline size_t ntcp_reader_offset(const ntcp_reader *r) { return (size_t)(r->p - r->base); }
static inline bool ntcp_reader_ok(const ntcp_reader *r) { return r->err == NTCP_OK; }
/* Records err at the current position unless an error is already recorded. */
void ntcp_reader_fail(ntcp_reader *r, ntcp_status err);

uint8_t ntcp__read_u8_slow(ntcp_reader *r);
/* Inline: the decoders read most of their input a byte at a time. */
static inline uint8_t ntcp_read_u8(ntcp_reader *r)
{
    if (!r->err && r->p < r->end)
        return *r->p++;
    return ntcp__read_u8_slow(r);
}
uint16_t ntcp_read_u16le(ntcp_reader *r);
uint16_t ntcp_read_u16be(ntcp_reader *r);
uint32_t ntcp_read_u32le(ntcp_reader *r);
uint64_t ntcp_read_u64le(ntcp_reader *r);
uint64_t ntcp_read_u64be(ntcp_reader *r);
/* Pointer to the next n bytes (advances), NULL on truncation. */
const uint8_t *ntcp_read_bytes(ntcp_reader *r, size_t n);
/* MultiByteInt31 (one implementation: ntcp_varint_decode). */
uint32_t ntcp__read_varint_slow(ntcp_reader *r);
static inline uint32_t ntcp_read_varint(ntcp_reader *r)
{
    if (!r->err && r->p < r->end && *r->p < 0x80) /* one byte: most lengths and keys */
        return *r->p++;
    return ntcp__read_varint_slow(r);
}
/* Peek at the next byte without consuming; -1 at end or on error. */
int ntcp_reader_peek(const ntcp_reader *r);

/* Opens a sub-reader over the next n bytes of r (r advances past them). */
ntcp_reader ntcp_reader_sub(ntcp_reader *r, size_t n);
/* Checks that sub was consumed exactly; propagates its error (or
 * NTCP_E_TRAILING) to the parent. Returns the parent's error state. */
ntcp_status ntcp_reader_close_sub(ntcp_reader *parent, ntcp_reader *sub);

#endif
