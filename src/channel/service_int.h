/* What the tests observe of the service's dispatch (not public API). */
#ifndef NTCP_SERVICE_INT_H
#define NTCP_SERVICE_INT_H
#include <nettcp/service.h>

/* Requests read and queued (counted once each was dispatched or set to
 * wait for its session's running handler). */
unsigned long ntcp__service_requests(const ntcp_service *s);
/* Requests handed to their handler so far. */
unsigned long ntcp__service_dispatched(const ntcp_service *s);
/* Handlers run on the thread of the loop that read their request. */
unsigned long ntcp__service_inlined(const ntcp_service *s);
/* The service's connection engine. */
ntcp_server *ntcp__service_server(const ntcp_service *s);
#endif
