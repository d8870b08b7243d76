/* nettcp — a service's metadata: its operations described per contract,
 * the WSDL 1.1 made from them as WCF emits it for NetTcpBinding (binary
 * encoding, the transport security policy, the identity in the
 * EndpointReference), published over HTTP (?wsdl, ?singleWsdl, ?wsdl=wsdlN,
 * ?xsd=xsdN) and over net.tcp as WS-MetadataExchange at <path>/mex (as
 * WCF's mexTcpBinding: binary encoding, no security). See docs/api.md. */
#ifndef NETTCP_METADATA_H
#define NETTCP_METADATA_H

#include <stdbool.h>
#include <stddef.h>
#include <nettcp/service.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One parameter (or result) of an operation described by a list. type is
 * an XML Schema built-in type without prefix ("int", "double", "string",
 * "boolean", "long", "dateTime", "base64Binary", "decimal", ...) or one of
 * WCF's serialization types "guid", "char", "duration"; NULL means string.
 * array: a WCF array (ArrayOf<type> in
 * http://schemas.microsoft.com/2003/10/Serialization/Arrays). */
typedef struct ntcp_param {
    const char *name;
    const char *type;
    bool array;
} ntcp_param;

/* A fault an operation declares (WCF's [FaultContract(typeof(T))]): its
 * name ("StringFault"), its action (NULL: <ns>[/]<contract>/<op><name>, as
 * WCF forms it) and the detail's type, as ntcp_param's (the detail is
 * WCF's element of that name in http://schemas.microsoft.com/2003/10/Serialization/). */
typedef struct ntcp_fault_info {
    const char *name;
    const char *action;
    const char *type;
} ntcp_fault_info;

/* One operation. Either a parameter list (in/out: the children of the
 * wrapper elements <Name> and <NameResponse> in the contract's namespace,
 * as WCF's DataContractSerializer words a method's parameters), or
 * input_element / output_element: the local names of elements that schema
 * (an xs:schema document, its targetNamespace the elements' namespace)
 * declares. */
typedef struct ntcp_operation_info {
    const char *name;         /* "Add" */
    const char *action;       /* NULL: <contract ns>[/]<contract>/<name>, WCF's default */
    const char *reply_action; /* NULL: action + "Response" */
    bool one_way;             /* no reply */
    const ntcp_param *in;
    size_t nin;
    const ntcp_param *out;    /* usually one: <Name>Result */
    size_t nout;
    const char *input_element, *output_element;
    const char *schema;
    const ntcp_fault_info *faults; /* wsdl:fault, in either form */
    size_t nfaults;
} ntcp_operation_info;

/* A contract (WSDL portType): its name and namespace, and its operations. */
typedef struct ntcp_contract_info {
    const char *name; /* "ICalculator" */
    const char *ns;   /* "http://tempuri.org/" */
    const ntcp_operation_info *ops;
    size_t nops;
} ntcp_contract_info;

/* Describes one contract served at an endpoint (copied). An endpoint may
 * serve several contracts; a contract's operations should have been added
 * (ntcp_endpoint_add_operation) with the same actions. NTCP_E_INVALID_ARG
 * for a missing name or namespace, an operation without a name, or a
 * schema that is not a well-formed xs:schema. */
NTCP_MUST_CHECK ntcp_status ntcp_endpoint_describe(ntcp_endpoint *ep, const ntcp_contract_info *c);
/* The same for the service's first endpoint (as ntcp_service_add_operation). */
NTCP_MUST_CHECK ntcp_status ntcp_service_describe(ntcp_service *s, const ntcp_contract_info *c);

typedef struct ntcp_metadata_options {
    const char *name;          /* wsdl:service name ("Service") */
    const char *ns;            /* the service's namespace ("http://tempuri.org/") */
    /* the identity published for transport security: "spn:host/app",
     * "upn:svc@REALM", "dns:name". NULL: with Windows credentials the
     * service's own principal (the acceptor name, else the keytab's first
     * principal: an SPN when it has two components, else a UPN; without
     * either, host/<host>); with TLS Dns: the certificate's first DNS name,
     * else its common name (a PKCS#12 file: the address's host). */
    const char *identity;
    bool mex;                  /* an MEX endpoint at <path>/mex for each described endpoint (true) */
    const char *http_host;     /* the HTTP responder's address ("0.0.0.0") */
    const char *http_port;     /* NULL: no HTTP; "0": any free port */
    size_t max_request;        /* the request line and headers, bytes (8192) */
    size_t max_connections;    /* HTTP connections at once (32); more are closed at once */
    long request_timeout_ms;   /* one HTTP request and its answer (10000) */
} ntcp_metadata_options;

void ntcp_metadata_options_init(ntcp_metadata_options *o);

/* Publishes the metadata of the endpoints described so far (call after
 * they listen, before or while ntcp_service_run serves): the MEX endpoints
 * (on the endpoints' listeners) and the HTTP responder (its own thread,
 * stopped by ntcp_service_free); *http_port (may be NULL) gets its port.
 * Once per service. Failure: the status, and ntcp_service_error says why. */
NTCP_MUST_CHECK ntcp_status ntcp_service_publish_metadata(ntcp_service *s, const ntcp_metadata_options *o,
                                                          int *http_port);

/* One metadata document as text, as HTTP serves it: doc "singleWsdl" (all
 * in one), "wsdl" (the service's WSDL, importing the others), "wsdl=wsdlN"
 * or "xsd=xsdN". base_url: the prefix of the imports' locations
 * ("http://host:port/path"); host: the endpoints' host when they listen on a
 * wildcard address (NULL: the system's host name). Uses o's name, ns and
 * identity (NULL: the defaults). *xml is ntcp_malloc'd. NTCP_E_INVALID_ARG
 * (no such document). */
NTCP_MUST_CHECK ntcp_status ntcp_service_metadata(ntcp_service *s, const ntcp_metadata_options *o, const char *doc,
                                                  const char *base_url, const char *host, char **xml, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
