/* nettcp WWSAPI extensions: what Linux programs need beside webservices.h. */
#ifndef NETTCP_WWS_NETTCP_WWS_H
#define NETTCP_WWS_NETTCP_WWS_H

#include "webservices.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The TCP port an open listener listens on (0 when it is not open): for a
 * listener opened on port 0, which takes any free port. */
USHORT ntcp_wws_listener_port(WS_LISTENER *listener);

#ifdef __cplusplus
}
#endif
#endif
