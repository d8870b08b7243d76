/* nettcp — the whole public API: include this one header.
 *
 * WCF's net.tcp stack on Linux: MC-NMF framing, .NET Binary XML, SOAP 1.2
 * with WS-Addressing, and NegotiateStream (Kerberos / NTLM through GSSAPI).
 * Errors: error.h; client: client.h; service: service.h; diagnosis: doctor.h. */
#ifndef NETTCP_NETTCP_H
#define NETTCP_NETTCP_H

#define NETTCP_VERSION_MAJOR 0
#define NETTCP_VERSION_MINOR 1
#define NETTCP_VERSION_PATCH 0

#include <nettcp/status.h>
#include <nettcp/error.h>
#include <nettcp/util.h>
#include <nettcp/framing.h>
#include <nettcp/xml.h>
#include <nettcp/soap.h>
#include <nettcp/negotiate.h>
#include <nettcp/channel.h>
#include <nettcp/server.h>
#include <nettcp/trace.h>
#include <nettcp/service.h>
#include <nettcp/client.h>
#include <nettcp/doctor.h>
#include <nettcp/pcap.h>
#include <nettcp/wsdl.h>
#include <nettcp/metadata.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library's version, "MAJOR.MINOR.PATCH": the one it was built as,
 * which may differ from the NETTCP_VERSION_* of the headers a program was
 * compiled with. */
const char *ntcp_version(void);

#ifdef __cplusplus
}
#endif
#endif
