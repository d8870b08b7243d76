/* nettcp — utilities shared by every layer: allocator hook, growable byte
 * buffer with a maximum, the 7-bit varint of MC-NMF / MC-NBFX, hex helpers. */
#ifndef NETTCP_UTIL_H
#define NETTCP_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <nettcp/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- allocator hook ------------------------------------------------------
 * Every allocation the library makes goes through these. Set them once,
 * before any other call; NULL restores the C library's malloc family. */
/* Threads the library left running after giving up on them (an open whose
 * deadline passed while GSSAPI still waited for a KDC). They finish on their
 * own; a program that exits while one runs should leave with _exit, since
 * exit() tears down OpenSSL and krb5 under them. Such an open runs on a
 * helper thread the library keeps afterwards (up to 4 idle ones, 30 s
 * each) for the next opens; idle helpers are not counted here. */
size_t ntcp_background_threads(void);

typedef struct ntcp_allocator {
    void *(*malloc_fn)(size_t size, void *ctx);
    void *(*realloc_fn)(void *ptr, size_t size, void *ctx);
    void (*free_fn)(void *ptr, void *ctx);
    void *ctx;
} ntcp_allocator;

void ntcp_set_allocator(const ntcp_allocator *a);
/* The allocator in use now: what must free a block that outlives a later
 * ntcp_set_allocator (the library's process-wide caches keep it). */
void ntcp_get_allocator(ntcp_allocator *a);
void *ntcp_malloc(size_t n);
void *ntcp_calloc(size_t count, size_t size);
void *ntcp_realloc(void *p, size_t n);
void ntcp_free(void *p);
char *ntcp_strndup(const char *s, size_t n);

/* ---- growable byte buffer with a maximum ---------------------------------
 * Like curl's dynbuf: grows on demand up to `max` bytes; a write past the
 * maximum fails with NTCP_E_LIMIT and leaves the buffer unchanged. */
typedef struct ntcp_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
    size_t max;
} ntcp_buf;

void ntcp_buf_init(ntcp_buf *b, size_t max);
void ntcp_buf_free(ntcp_buf *b);
void ntcp_buf_reset(ntcp_buf *b); /* len = 0, keeps memory */
NTCP_MUST_CHECK ntcp_status ntcp_buf_reserve(ntcp_buf *b, size_t extra);
NTCP_MUST_CHECK ntcp_status ntcp_buf_append(ntcp_buf *b, const void *p, size_t n);
NTCP_MUST_CHECK ntcp_status ntcp_buf_put_u8(ntcp_buf *b, uint8_t v);
NTCP_MUST_CHECK ntcp_status ntcp_buf_put_u16le(ntcp_buf *b, uint16_t v);
NTCP_MUST_CHECK ntcp_status ntcp_buf_put_u16be(ntcp_buf *b, uint16_t v);
NTCP_MUST_CHECK ntcp_status ntcp_buf_put_u32le(ntcp_buf *b, uint32_t v);
NTCP_MUST_CHECK ntcp_status ntcp_buf_put_u64le(ntcp_buf *b, uint64_t v);
NTCP_MUST_CHECK ntcp_status ntcp_buf_put_varint(ntcp_buf *b, uint32_t v);
/* varint length + bytes */
NTCP_MUST_CHECK ntcp_status ntcp_buf_put_string(ntcp_buf *b, const void *p, size_t n);
/* Remove the first n bytes. */
void ntcp_buf_consume(ntcp_buf *b, size_t n);
/* Hand the buffer's memory to the caller (free with ntcp_free); buffer is reset. */
uint8_t *ntcp_buf_detach(ntcp_buf *b, size_t *len);

/* ---- multi-byte integer: MC-NMF 2.2.2 / MC-NBFX 2.1.2 MultiByteInt31 -------
 * 7 value bits per byte, least significant group first, bit 7 = more bytes.
 * At most 5 bytes; the 5th may only use bits 0-2, so the range is 0..2^31-1.
 * Non-minimal (padded) encodings are accepted, as .NET's decoders do. */
#define NTCP_VARINT_MAX_BYTES 5
#define NTCP_VARINT_MAX_VALUE 0x7FFFFFFFu

/* Returns NTCP_OK (value in *out, bytes used in *used), NTCP_AGAIN when the
 * encoding continues past `len`, NTCP_E_VARINT for a 6th byte or an
 * over-range 5th byte. */
NTCP_MUST_CHECK ntcp_status ntcp_varint_decode(const uint8_t *p, size_t len, uint32_t *out, size_t *used);
/* Writes the shortest encoding of v (must be <= 2^31-1) into out[5]; returns
 * the number of bytes, or 0 when v is out of range. */
size_t ntcp_varint_encode(uint32_t v, uint8_t out[NTCP_VARINT_MAX_BYTES]);
size_t ntcp_varint_size(uint32_t v);

/* ---- UTF-8 ----------------------------------------------------------------
 * Well-formed UTF-8 as Unicode defines it (chapter 3, table 3-7): no overlong
 * forms, no surrogates (U+D800..U+DFFF), nothing past U+10FFFF. */
int ntcp_utf8_valid(const uint8_t *p, size_t n);
/* Appends p[0..n) to out with each maximal ill-formed subpart replaced by one
 * U+FFFD (Unicode chapter 3, "U+FFFD substitution of maximal subparts", as
 * WHATWG's decoder and Python's errors="replace" do); valid input is copied
 * unchanged, NUL bytes included. NTCP_E_LIMIT / NTCP_E_NOMEM from the buffer. */
NTCP_MUST_CHECK ntcp_status ntcp_utf8_repair(const uint8_t *p, size_t n, ntcp_buf *out);
/* The length of the well-formed sequence at p (1..4, p[0] < 0x80 is 1), or 0
 * with *bad = the length of the maximal ill-formed subpart there (1..3). n > 0. */
size_t ntcp_utf8_sequence(const uint8_t *p, size_t n, size_t *bad);

/* ---- hex ----------------------------------------------------------------- */
/* Lower-case hex of n bytes into out (2n+1 bytes with the NUL). */
void ntcp_hex_encode(const uint8_t *p, size_t n, char *out);
/* Decodes hex digits, ignoring ASCII white space; returns NTCP_E_MALFORMED on
 * a non-hex character or an odd digit count. */
NTCP_MUST_CHECK ntcp_status ntcp_hex_decode(const char *s, size_t slen, ntcp_buf *out);
/* A classic hex dump (offset, 16 bytes, ASCII) appended to out as text. */
NTCP_MUST_CHECK ntcp_status ntcp_hex_dump(const uint8_t *p, size_t n, ntcp_buf *out);

#ifdef __cplusplus
}
#endif
#endif
