/* nettcp — WSDL import: a service's endpoints (address, binding, security
 * read from WS-Policy, identity from the EndpointReference) and operations
 * (actions, input and output elements with their schema types), read from a
 * WSDL and everything it imports (wsdl:import, xsd:import, xsd:include).
 *
 * Errors are an ntcp_error: a wsdl_* cause (docs/troubleshooting.md), step
 * resolve, connect or receive (fetching a document) or decode (reading what
 * it says), and a text naming the element or document that failed. */
#ifndef NETTCP_WSDL_H
#define NETTCP_WSDL_H

#include <stddef.h>
#include <stdint.h>
#include <nettcp/error.h>
#include <nettcp/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Reads one document: fills *data (ntcp_malloc'd, freed by the loader) and
 * *len; at most max bytes (else NTCP_E_LIMIT). On failure sets err (may be
 * NULL) with a short reason as its text ("HTTP 404", "No such file or
 * directory"); the loader names the document and the import around it. */
typedef ntcp_status (*ntcp_wsdl_fetch_fn)(void *ctx, const char *url, size_t max, uint8_t **data, size_t *len,
                                          ntcp_error *err);

typedef struct ntcp_wsdl_options {
    size_t max_documents;  /* documents loaded in all (32) */
    size_t max_depth;      /* import nesting (8) */
    size_t max_bytes;      /* one document (4 MiB) */
    size_t max_total;      /* all documents together (16 MiB) */
    long timeout_ms;       /* each HTTP request (30000) */
    int negotiate;         /* HTTP Negotiate (Kerberos/SPNEGO) with the default credentials (1) */
    ntcp_wsdl_fetch_fn fetch; /* NULL: files and http(s) URLs (ntcp_wsdl_fetch_default) */
    void *fetch_ctx;
} ntcp_wsdl_options;

void ntcp_wsdl_options_init(ntcp_wsdl_options *o);

/* The default fetcher: a file path or file:// URL, or http(s):// through
 * libcurl (ctx: the options, for the timeout and Negotiate). */
ntcp_status ntcp_wsdl_fetch_default(void *ctx, const char *url, size_t max, uint8_t **data, size_t *len,
                                    ntcp_error *err);

typedef struct ntcp_wsdl ntcp_wsdl;

typedef struct ntcp_wsdl_endpoint {
    const char *name;       /* wsdl:port name */
    const char *address;    /* soap12:address location */
    const char *binding;    /* binding name */
    const char *contract;   /* portType name */
    const char *transport;  /* "tcp", "http", or the soap binding's transport URI */
    const char *encoding;   /* "binary" (msb:BinaryEncoding), "mtom" or "text" */
    const char *mode;       /* framing: "duplex" (buffered) or "streamed" (msf:Streamed) */
    const char *security;   /* "None", "Transport", "TransportWithMessageCredential", "Message" */
    const char *credential; /* "None", "Windows", "Certificate" */
    const char *protection; /* "None", "Sign", "EncryptAndSign" */
    const char *identity_kind;  /* "spn", "upn", "dns", "x509", "rsa", or NULL */
    const char *identity_value; /* the name, or the base64 certificate / key */
} ntcp_wsdl_endpoint;

typedef struct ntcp_wsdl_field {
    const char *name;
    const char *type; /* "xs:int" for XML Schema's types, "{ns}Name" for others, "anonymous" */
    int min_occurs;
    int max_occurs;   /* -1 = unbounded */
    int nillable;
} ntcp_wsdl_field;

typedef struct ntcp_wsdl_message {
    const char *element;   /* local name, NULL when the operation has no such message */
    const char *ns;        /* its namespace */
    const char *type;      /* the element's type, as in ntcp_wsdl_field */
    size_t nfields;        /* the type's sequence, one level */
    const ntcp_wsdl_field *fields;
} ntcp_wsdl_message;

typedef struct ntcp_wsdl_operation {
    const char *name;
    const char *contract;     /* portType name */
    const char *action;       /* wsaw:Action, else {targetNamespace}/{portType}/{op} as WCF forms it */
    const char *reply_action; /* NULL for a one-way operation */
    ntcp_wsdl_message input, output;
} ntcp_wsdl_operation;

/* SOURCE: a file path, file://, http:// or https:// URL, or a net.tcp://
 * metadata exchange address (ntcp_wsdl_load_mex with mexTcpBinding's
 * options). err (may be NULL) is cleared, and set on failure. */
NTCP_MUST_CHECK ntcp_status ntcp_wsdl_load(const char *source, const ntcp_wsdl_options *o, ntcp_wsdl **out,
                                           ntcp_error *err);
/* A document in memory; base_url (may be NULL) resolves its relative imports. */
NTCP_MUST_CHECK ntcp_status ntcp_wsdl_load_memory(const void *data, size_t len, const char *base_url,
                                                  const ntcp_wsdl_options *o, ntcp_wsdl **out, ntcp_error *err);
/* A WS-MetadataExchange GetResponse body (text XML: wsx:Metadata holding
 * wsx:MetadataSection elements), as ntcp_wsdl_load_mex receives it: every
 * WSDL and XML Schema section is loaded (documents "SOURCE#wsdlN" /
 * "SOURCE#xsdN", N the section's position); imports resolve by namespace
 * among the sections and nothing is fetched (a section by reference is not
 * followed). A reply that is not such a body: cause mex_bad_reply. */
NTCP_MUST_CHECK ntcp_status ntcp_wsdl_load_metadata(const void *data, size_t len, const char *source,
                                                    const ntcp_wsdl_options *o, ntcp_wsdl **out, ntcp_error *err);
/* WS-MetadataExchange over net.tcp, as WCF's mexTcpBinding does it: a
 * session with the binary session encoding, SOAP 1.2 and WS-Addressing 1.0,
 * one WS-Transfer Get (Action http://schemas.xmlsoap.org/ws/2004/09/transfer/Get,
 * empty body) answered by GetResponse. client: the session's options (NULL:
 * mexTcpBinding's, security None; the channel's timeouts then come from
 * o->timeout_ms); the reply may be as large as o->max_total. Failures to
 * connect or secure the session carry the client's cause. */
struct ntcp_client_options;
NTCP_MUST_CHECK ntcp_status ntcp_wsdl_load_mex(const char *url, const struct ntcp_client_options *client,
                                               const ntcp_wsdl_options *o, ntcp_wsdl **out, ntcp_error *err);
#define NTCP_WSX_GET_ACTION "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get"
#define NTCP_WSX_GET_RESPONSE_ACTION "http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse"
size_t ntcp_wsdl_endpoint_count(const ntcp_wsdl *w);
const ntcp_wsdl_endpoint *ntcp_wsdl_endpoint_at(const ntcp_wsdl *w, size_t i);
size_t ntcp_wsdl_operation_count(const ntcp_wsdl *w);
const ntcp_wsdl_operation *ntcp_wsdl_operation_at(const ntcp_wsdl *w, size_t i);
/* The documents loaded, the first being SOURCE. */
size_t ntcp_wsdl_document_count(const ntcp_wsdl *w);
const char *ntcp_wsdl_document_at(const ntcp_wsdl *w, size_t i);
void ntcp_wsdl_free(ntcp_wsdl *w);

/* ---- calls from the schema ----------------------------------------------
 * A small value tree (JSON's shapes) and the two directions between values
 * and the XML body of an operation, driven by the XSD of its input or output
 * element: sequences, nested complex types (complexContent extension
 * included), arrays (maxOccurs > 1; a type whose only member repeats, as
 * WCF's ArrayOfX, is the array itself), nillable (null = i:nil), minOccurs=0
 * (an absent member), enumerations, and the DataContractSerializer's forms
 * of xs:dateTime, decimal, duration, base64Binary and the Serialization
 * namespace's guid, char and duration. Numbers keep their text (a decimal
 * keeps every digit). */
typedef enum ntcp_value_kind {
    NTCP_VALUE_NULL, NTCP_VALUE_BOOL, NTCP_VALUE_NUMBER, NTCP_VALUE_STRING, NTCP_VALUE_ARRAY, NTCP_VALUE_OBJECT
} ntcp_value_kind;
typedef struct ntcp_value ntcp_value;

/* NULL when out of memory; ntcp_value_number also when text is not a JSON number. */
ntcp_value *ntcp_value_new(ntcp_value_kind kind); /* null, an empty array or object (false, 0, "") */
ntcp_value *ntcp_value_bool(int b);
ntcp_value *ntcp_value_number(const char *text);
ntcp_value *ntcp_value_string(const char *s, size_t len);
/* Take item (freed on failure, NULL = out of memory). Setting a key again replaces its value. */
NTCP_MUST_CHECK ntcp_status ntcp_value_append(ntcp_value *array, ntcp_value *item);
NTCP_MUST_CHECK ntcp_status ntcp_value_set(ntcp_value *object, const char *key, ntcp_value *item);
ntcp_value_kind ntcp_value_kind_of(const ntcp_value *v);
int ntcp_value_is_true(const ntcp_value *v);
/* A string's bytes or a number's text (NUL-terminated); NULL for the other kinds. */
const char *ntcp_value_text(const ntcp_value *v, size_t *len);
size_t ntcp_value_count(const ntcp_value *v); /* items of an array, members of an object */
const ntcp_value *ntcp_value_at(const ntcp_value *v, size_t i);
const char *ntcp_value_key_at(const ntcp_value *v, size_t i); /* objects keep their order */
const ntcp_value *ntcp_value_get(const ntcp_value *object, const char *key);
void ntcp_value_free(ntcp_value *v);

/* "Name", or "Contract.Name" when several contracts have one; NULL if none
 * or (for a bare name) several. */
const ntcp_wsdl_operation *ntcp_wsdl_operation_find(const ntcp_wsdl *w, const char *name);

/* The request body (text XML, ntcp_malloc'd, NUL-terminated) for op from
 * args, the value of its input element (for WCF's wrapped operations an
 * object of the parameters). Errors: wsdl_bad_args naming the member and
 * what it takes (a wrong type, a missing required member, an unknown one),
 * wsdl_unsupported naming the schema construct. */
NTCP_MUST_CHECK ntcp_status ntcp_wsdl_build_body(const ntcp_wsdl *w, const ntcp_wsdl_operation *op,
                                                 const ntcp_value *args, char **xml, size_t *len, ntcp_error *err);
/* The reply body (text XML) read into the value of op's output element
 * (free with ntcp_value_free). Errors: wsdl_bad_reply naming the element,
 * wsdl_unsupported. */
NTCP_MUST_CHECK ntcp_status ntcp_wsdl_read_body(const ntcp_wsdl *w, const ntcp_wsdl_operation *op,
                                                const void *xml, size_t len, ntcp_value **out, ntcp_error *err);

#ifdef __cplusplus
}
#endif
#endif
