/* Between the service (service.c) and its metadata (metadata.c). */
#ifndef NETTCP_METADATA_INT_H
#define NETTCP_METADATA_INT_H

#include <stdbool.h>
#include <nettcp/service.h>

struct ntcp__metadata;
void ntcp__metadata_free(struct ntcp__metadata *m);

struct ntcp__metadata **ntcp__service_meta(ntcp_service *s);
ntcp_endpoint *ntcp__service_first_endpoint(ntcp_service *s);
size_t ntcp__service_endpoint_count(const ntcp_service *s);
ntcp_endpoint *ntcp__service_endpoint(const ntcp_service *s, size_t i);
ntcp_service *ntcp__endpoint_service(const ntcp_endpoint *ep);
/* false when the endpoint does not listen yet; o: a copy of its options */
bool ntcp__endpoint_info(ntcp_endpoint *ep, const char **host, int *port, const char **path, ntcp_endpoint_options *o);
/* the endpoint whose operations this one serves (ntcp_service_listen again), or NULL */
ntcp_endpoint *ntcp__endpoint_shares(const ntcp_endpoint *ep);

#endif
