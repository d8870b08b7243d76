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

/* The TCP port endpoint endpointIndex of an open service host listens on
 * (0 when the host is not open): for an endpoint at port 0. */
USHORT ntcp_wws_service_host_port(WS_SERVICE_HOST *serviceHost, USHORT endpointIndex);

/* The caller's identity behind a WS_MESSAGE_PROPERTY_TRANSPORT_SECURITY_WINDOWS_TOKEN
 * handle (there are no Windows tokens on Linux: the handle is opaque and valid
 * while the operation runs). The principal ("alice@REALM", "DOMAIN\\user";
 * "" when the caller is not authenticated) and the package ("Kerberos",
 * "NTLM", ""); NULL for a NULL handle. */
const char *ntcp_wws_token_principal(HANDLE token);
const char *ntcp_wws_token_package(HANDLE token);

#ifdef __cplusplus
}
#endif
#endif
