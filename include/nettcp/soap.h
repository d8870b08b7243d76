/* nettcp — SOAP 1.2 envelopes with WS-Addressing 1.0, written and read
 * through the binary XML layer (sans-I/O). The envelope is laid out as WCF
 * lays it out, so a WCF peer sees the records it would write itself:
 *   <s:Envelope xmlns:s xmlns:a><s:Header>
 *     <a:Action s:mustUnderstand="1"> [<s:NotUnderstood> of a MustUnderstand fault] [<a:RelatesTo>]
 *     [<a:MessageID>] [<a:ReplyTo><a:Address>anonymous] [<a:To s:mustUnderstand="1">] custom headers
 *   </s:Header><s:Body> body | s:Fault </s:Body></s:Envelope> */
#ifndef NETTCP_SOAP_H
#define NETTCP_SOAP_H

#include <stdbool.h>
#include <nettcp/xml.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NTCP_SOAP12_NS "http://www.w3.org/2003/05/soap-envelope"
#define NTCP_WSA10_NS "http://www.w3.org/2005/08/addressing"
#define NTCP_WSA10_ANONYMOUS "http://www.w3.org/2005/08/addressing/anonymous"
#define NTCP_WSA10_FAULT_ACTION "http://www.w3.org/2005/08/addressing/fault"
#define NTCP_WCF_DISPATCHER_NS "http://schemas.microsoft.com/net/2005/12/windowscommunicationfoundation/dispatcher"
#define NTCP_WCF_DISPATCHER_FAULT_ACTION NTCP_WCF_DISPATCHER_NS "/fault"

#define NTCP_WSA10_SOAP_FAULT_ACTION "http://www.w3.org/2005/08/addressing/soap/fault"

/* A SOAP 1.2 fault: Code/Value (s:Sender or s:Receiver), optional nested
 * Subcode/Value in their namespaces, Reason/Text, an optional Detail (as
 * WCF's FaultException<T> writes it: one element, the serialized T). */
typedef struct ntcp_soap_fault {
    const char *code;         /* "Sender" | "Receiver" | "MustUnderstand" | ... (in the SOAP namespace) */
    const char *subcode_ns;   /* e.g. NTCP_WSA10_NS; NULL: no subcode */
    const char *subcode;      /* e.g. "ActionNotSupported" */
    const char *reason;
    const char *lang;         /* xml:lang of the reason, default "en-US" */
    /* further subcodes nested in the first, outermost first, each
     * "{namespace}local"; NULL-terminated list, or NULL */
    const char *const *more_subcodes;
    const char *detail;       /* the Detail's content as text XML; NULL: no Detail */
    size_t detail_len;
} ntcp_soap_fault;

/* The faults WCF's dispatcher sends. */
void ntcp_soap_fault_action_not_supported(ntcp_soap_fault *f, const char *action, char *reason_buf, size_t cap);
void ntcp_soap_fault_destination_unreachable(ntcp_soap_fault *f, const char *to, char *reason_buf, size_t cap);
void ntcp_soap_fault_internal(ntcp_soap_fault *f, const char *reason);

typedef struct ntcp_soap_out {
    const char *action;        /* required */
    const char *relates_to;    /* replies */
    const char *message_id;    /* "urn:uuid:..." (requests that expect a reply) */
    bool reply_to_anonymous;   /* requests: <a:ReplyTo><a:Address>anonymous</a:Address></a:ReplyTo> */
    const char *to;            /* the endpoint address (mustUnderstand) */
    const char *const *headers; /* extra header elements as text XML (each declares its namespaces) */
    size_t nheaders;
    const bool *headers_mu;    /* NULL, or per header: add s:mustUnderstand="1" to it */
    /* the body as binary XML instead of text: an NBFX document (no session
     * strings) whose root element's children are the body content */
    const uint8_t *body_nbfx;
    size_t body_nbfx_len;
    ntcp_xml_reader *scratch;  /* optional: a reader (no session, limits at least the document's) to reuse for it */
    const char *body;          /* body content as text XML; NULL or "" = empty body */
    size_t body_len;
    const ntcp_soap_fault *fault; /* instead of body */
    /* a MustUnderstand fault's <s:NotUnderstood qname="..."/> header, as WCF writes it */
    const char *not_understood_ns, *not_understood_name;
} ntcp_soap_out;

/* Writes one envelope with w (whose session dictionary, if any, is the
 * sending direction's) and appends the finished payload to out. */
NTCP_MUST_CHECK ntcp_status ntcp_soap_write(ntcp_xml_writer *w, const ntcp_soap_out *m, ntcp_buf *out);

/* One header block of a received envelope: its name (slices into the
 * document or its dictionaries) and its bytes in the document. */
typedef struct ntcp_soap_header {
    ntcp_xml_str ns, local;
    size_t offset, len;        /* the element's records within the document */
    bool must_understand;
} ntcp_soap_header;

typedef struct ntcp_soap_qname {
    char *ns, *local;
} ntcp_soap_qname;

/* A parsed envelope. Strings are NUL-terminated copies (NULL when absent);
 * release with ntcp_soap_msg_clear. */
typedef struct ntcp_soap_msg {
    char *action, *message_id, *relates_to, *to, *reply_to;
    bool is_fault;
    char *fault_code, *fault_subcode, *fault_reason; /* local names of the code values, reason text */
    ntcp_soap_qname *fault_subcodes; /* every subcode, outermost first */
    size_t fault_nsubcodes;
    bool has_detail;
    ntcp_buf fault_detail;     /* the Detail's content as text XML */
    /* every header block in order (addressing ones included); their names
     * and the body slice point into the document read: valid while it is */
    ntcp_soap_header *headers;
    size_t nheaders;
    const uint8_t *body_doc;   /* the Body's content records (read with ntcp_xml_reader_reset_fragment) */
    size_t body_doc_len;
    /* the first header with mustUnderstand="1" that is not addressing and
     * not in the `understood` list given to ntcp_soap_read */
    char *not_understood;
    ntcp_buf body;             /* body content as text XML (each top element declares what it uses) */
} ntcp_soap_msg;

void ntcp_soap_msg_init(ntcp_soap_msg *m);
void ntcp_soap_msg_clear(ntcp_soap_msg *m);

/* Reads one NBFX document (with the receiving direction's session
 * dictionary, already fed this message's table, or NULL). understood: a
 * NULL-terminated list of "{ns}local" header names the caller processes.
 * Errors: the xml layer's, or NTCP_E_MALFORMED when it is not a SOAP 1.2
 * envelope. */
NTCP_MUST_CHECK ntcp_status ntcp_soap_read(const uint8_t *doc, size_t len, const ntcp_xml_session *session,
                                           const ntcp_xml_limits *limits, const char *const *understood,
                                           unsigned indent, ntcp_soap_msg *m);
/* The same without rendering the body as text (m->body stays empty):
 * for readers of m->body_doc. */
NTCP_MUST_CHECK ntcp_status ntcp_soap_read_envelope(const uint8_t *doc, size_t len, const ntcp_xml_session *session,
                                                    const ntcp_xml_limits *limits, ntcp_soap_msg *m);
/* The same for one NBFSE payload: reads its string table into session first. */
NTCP_MUST_CHECK ntcp_status ntcp_soap_read_session(const uint8_t *payload, size_t len, ntcp_xml_session *session,
                                                   const ntcp_xml_limits *limits, const char *const *understood,
                                                   unsigned indent, ntcp_soap_msg *m);

/* "urn:uuid:" + a version 4 UUID from the 16 random bytes given (the caller
 * supplies the randomness). out must hold 46 bytes. */
void ntcp_soap_message_id(const uint8_t random16[16], char out[46]);

#ifdef __cplusplus
}
#endif
#endif
