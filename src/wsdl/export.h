/* WSDL export (src/wsdl/export.c): the documents WCF publishes for a
 * service's NetTcpBinding endpoints, made from their contracts. Sans-I/O:
 * the channel layer fills the model (addresses, security, identity). */
#ifndef NETTCP_WSDL_EXPORT_H
#define NETTCP_WSDL_EXPORT_H

#include <nettcp/metadata.h>
#include <nettcp/util.h>

typedef enum ntcp__xsec {
    NTCP__XSEC_NONE,        /* SecurityMode.None */
    NTCP__XSEC_WINDOWS,     /* Transport, Windows credentials (NegotiateStream) */
    NTCP__XSEC_CERTIFICATE, /* Transport, TLS, client certificate required */
    NTCP__XSEC_TLS          /* Transport, TLS, no client credential */
} ntcp__xsec;

typedef struct ntcp__xport {
    const char *address;            /* net.tcp://host:port/path */
    const ntcp_contract_info *contract;
    ntcp__xsec security;
    const char *protection;         /* "EncryptAndSign", "Sign", "None" (Windows) */
    const char *id_kind, *id_value; /* "Spn", "Upn", "Dns" or NULL */
} ntcp__xport;

typedef struct ntcp__xservice {
    const char *name, *ns;
    const ntcp__xport *ports;
    size_t nports;
    const ntcp_contract_info *const *contracts; /* each once */
    size_t ncontracts;
} ntcp__xservice;

/* doc: "singleWsdl", "wsdl", "wsdl=wsdlN", "xsd=xsdN"; "mex": the
 * wsx:Metadata element (every WSDL and schema as a MetadataSection, imports
 * by namespace). base_url prefixes the imports' locations ("?wsdl=…").
 * NTCP_E_INVALID_ARG: no such document. */
NTCP_MUST_CHECK ntcp_status ntcp__wsdl_export(const ntcp__xservice *s, const char *doc, const char *base_url,
                                              ntcp_buf *out);
/* true for the parameter types ntcp_param may name (NULL: string) */
bool ntcp__wsdl_type_known(const char *type);
/* NTCP_OK when schema is a well-formed xs:schema document. */
NTCP_MUST_CHECK ntcp_status ntcp__wsdl_schema_check(const char *schema);

#endif
