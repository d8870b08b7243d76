/* The CLI's loader of recorded connections (decode, frames; the tests use it
 * too): the byte streams: raw bytes, or
 * the hex trace formats (one record or segment per line):
 *   "<time>\t<endpoint>\tc>s\t<hex>"  (and s>c)
 *   "C->S <hex>" / "S->C <hex>"
 *   plain hex digits (one direction).
 * The format is detected. A single-direction input is assigned to the
 * initiator when it starts with Version (0x00) or PreambleEnd (0x0C), to the
 * receiver otherwise. */
#ifndef NETTCP_CAPTURE_H
#define NETTCP_CAPTURE_H

#include <stdbool.h>
#include <nettcp/util.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ntcp_capture_format {
    NTCP_CAPTURE_RAW = 0,
    NTCP_CAPTURE_HEX_TRACE = 1,   /* timestamped, tab-separated, c>s / s>c */
    NTCP_CAPTURE_HEX_ARROWS = 2,  /* C->S / S->C */
    NTCP_CAPTURE_HEX_PLAIN = 3
} ntcp_capture_format;

typedef struct ntcp_capture {
    ntcp_capture_format format;
    ntcp_buf dir[2];   /* [0] initiator -> receiver, [1] receiver -> initiator */
    bool has[2];
    size_t error_line; /* 1-based line of a hex error, 0 if none */
} ntcp_capture;

/* Loads a capture; each direction is limited to max_bytes. On a malformed
 * hex line returns NTCP_E_MALFORMED with error_line set. */
NTCP_MUST_CHECK ntcp_status ntcp_capture_load(ntcp_capture *cap, const uint8_t *data, size_t len, size_t max_bytes);
void ntcp_capture_free(ntcp_capture *cap);
const char *ntcp_capture_format_name(ntcp_capture_format f);

#ifdef __cplusplus
}
#endif
#endif
