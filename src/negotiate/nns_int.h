/* Internal to src/negotiate. */
#ifndef NTCP_NNS_INT_H
#define NTCP_NNS_INT_H
#include <nettcp/negotiate.h>
#include "negotiate/frames.h"

/* The code to put in a HandshakeError for a local failure, chosen so a
 * Windows peer shows a meaningful message (PROTOCOLS 2.3, 8). */
uint32_t ntcp_nns_wire_code(const ntcp_nns_error *e);

/* GSS routine error numbers (RFC 2744 3.9.1), without a GSSAPI header. */
#define NTCP_GSS_ROUTINE(major) (((major) >> 16) & 0xFFu)
enum {
    NTCP_GSS_BAD_MECH = 1, NTCP_GSS_BAD_NAME = 2, NTCP_GSS_BAD_NAMETYPE = 3, NTCP_GSS_BAD_BINDINGS = 4,
    NTCP_GSS_BAD_STATUS = 5, NTCP_GSS_BAD_SIG = 6, NTCP_GSS_NO_CRED = 7, NTCP_GSS_NO_CONTEXT = 8,
    NTCP_GSS_DEFECTIVE_TOKEN = 9, NTCP_GSS_DEFECTIVE_CREDENTIAL = 10, NTCP_GSS_CREDENTIALS_EXPIRED = 11,
    NTCP_GSS_CONTEXT_EXPIRED = 12, NTCP_GSS_FAILURE = 13, NTCP_GSS_BAD_QOP = 14, NTCP_GSS_UNAUTHORIZED = 15,
    NTCP_GSS_UNAVAILABLE = 16
};
#endif
