/* nettcp WWSAPI: what the objects hold and the helpers the files share. */
#ifndef NETTCP_WWS_INT_H
#define NETTCP_WWS_INT_H

#include <stdbool.h>
#include <nettcp/client.h>
#include <nettcp/error.h>
#include <nettcp/util.h>
#include <nettcp/wws/webservices.h>

/* ---- errors -------------------------------------------------------------- */
struct _WS_ERROR {
    WS_STRING *strings; /* in the order added; WsGetErrorString index 0 is the last */
    ULONG count, cap;
    HRESULT original;
    LANGID langid;
    /* the last SOAP fault received (WsGetFaultErrorProperty / Detail); its
     * strings and detail live in fault_heap */
    WS_HEAP *fault_heap;
    WS_FAULT *fault;
    WS_XML_STRING fault_action;
};
/* Keeps a received SOAP fault in error (no-op when error is NULL). */
HRESULT ntcp__wws_error_set_fault(WS_ERROR *error, const WS_MESSAGE *m);

/* The HRESULT a nettcp failure means. */
HRESULT ntcp__wws_hresult(const ntcp_error *e);
/* Adds e to error as three strings (advice, cause, explanation: index 0 is
 * the explanation); returns hr. error may be NULL. */
HRESULT ntcp__wws_fail_error(WS_ERROR *error, HRESULT hr, const ntcp_error *e);
/* A failure of this layer: the cause's advice, the cause, and the text. */
HRESULT ntcp__wws_fail(WS_ERROR *error, HRESULT hr, ntcp_cause cause, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
/* E_NOTIMPL, saying which function is not implemented. */
HRESULT ntcp__wws_notimpl(WS_ERROR *error, const char *what);

/* UTF-8 <-> WCHAR. to_utf8: NUL-terminated, ntcp_malloc'ed (NULL: out of
 * memory or not valid); chars == NULL with length 0 is "". */
char *ntcp__wws_to_utf8(const WCHAR *chars, ULONG length);
/* UTF-8 to WCHARs into a ntcp_malloc'ed array; *len the count. */
WCHAR *ntcp__wws_from_utf8(const char *s, size_t n, ULONG *len);
/* A WS_XML_STRING as a NUL-terminated ntcp_malloc'ed string. */
char *ntcp__wws_xml_str(const WS_XML_STRING *s);

/* ---- heaps --------------------------------------------------------------- */
struct _WS_HEAP {
    SIZE_T max_size, trim_size;
    SIZE_T requested; /* bytes given out since the last reset */
    SIZE_T actual;    /* bytes held, bookkeeping included */
    struct wws_block *blocks;
};
/* WsAlloc without an error object: NULL when over the quota or out of memory. */
void *ntcp__wws_heap_alloc(WS_HEAP *h, SIZE_T size, HRESULT *hr);

/* ---- XML buffers (UTF-8 text XML: a sequence of nodes) -------------------- */
struct _WS_XML_BUFFER {
    WS_HEAP *heap;
    BYTE *data;
    ULONG len, cap;
};
HRESULT ntcp__wws_buffer_append(WS_XML_BUFFER *b, const void *p, size_t n, WS_ERROR *error);
/* Text XML written as it is at the writer's position (after closing a start tag). */
HRESULT ntcp__wws_writer_raw(WS_XML_WRITER *writer, const void *p, size_t n, WS_ERROR *error);
/* ' name="value"...' into the start tag the writer has open (WsWriteType). */
HRESULT ntcp__wws_writer_attrs_raw(WS_XML_WRITER *writer, const void *p, size_t n, WS_ERROR *error);

/* ---- messages ------------------------------------------------------------ */
struct _WS_MESSAGE {
    WS_ENVELOPE_VERSION envelope;
    WS_ADDRESSING_VERSION addressing;
    WS_MESSAGE_STATE state;
    WS_HEAP *heap;            /* the message's own heap */
    char *action;             /* ntcp_malloc'ed */
    char *relates_to, *message_id;
    ntcp_buf body;            /* body content as text XML */
    bool is_fault;
    bool body_read;
    char *fault_code, *fault_reason; /* for a received fault: "Code/Subcode" and the reason */
    char *fault_code_local, *fault_sub_ns, *fault_sub_local; /* its code and first subcode apart */
    ntcp_buf fault_detail;
    /* a service host's request: the caller (an ntcp_caller) behind
     * WS_MESSAGE_PROPERTY_TRANSPORT_SECURITY_WINDOWS_TOKEN; NULL otherwise */
    const void *windows_token;
};
/* Writes one body element (description, option, value) as text XML to out. */
HRESULT ntcp__wws_write_element(ntcp_buf *out, const WS_ELEMENT_DESCRIPTION *d, WS_WRITE_OPTION opt,
                                const void *value, ULONG size, WS_ERROR *error);
/* Reads the body's element into value (allocating from heap). */
HRESULT ntcp__wws_read_element(const char *xml, size_t len, const WS_ELEMENT_DESCRIPTION *d, WS_READ_OPTION opt,
                               WS_HEAP *heap, void *value, ULONG size, WS_ERROR *error);
/* The text of an element as a value of simple type t (WSZ and STRING
 * allocated from heap; dst is a WCHAR**, a WS_STRING or the value). */
HRESULT ntcp__wws_read_text(const char *text, WS_TYPE t, WS_HEAP *heap, void *dst, WS_ERROR *error);
/* The serializer so far: simple types and structs of element fields
 * (WS_FIELD_POINTER, WS_FIELD_OPTIONAL). write_typed writes <local
 * xmlns="ns">...</local> for the value at v; read_typed reads the libxml2
 * element node into dst; read_field reads field f of a struct element into
 * its place fp (allocating from heap for WS_FIELD_POINTER). */
HRESULT ntcp__wws_write_typed(ntcp_buf *out, const WS_XML_STRING *local, const WS_XML_STRING *ns, WS_TYPE t,
                              const void *desc, const void *v, unsigned depth, WS_ERROR *error);
HRESULT ntcp__wws_read_typed(const void *node, WS_TYPE t, const void *desc, WS_HEAP *heap, void *dst, unsigned depth,
                             WS_ERROR *error);
HRESULT ntcp__wws_read_field(const void *node, const WS_FIELD_DESCRIPTION *f, WS_HEAP *heap, void *fp,
                             unsigned depth, WS_ERROR *error);
HRESULT ntcp__wws_field_supported(const WS_FIELD_DESCRIPTION *f, WS_ERROR *error);
/* Whether the libxml2 element node is {ns}local (NULL: any). */
bool ntcp__wws_name_is(const void *node, const WS_XML_STRING *local, const WS_XML_STRING *ns);
/* The parameter of op carried by field i of its input (in) or output message, or -1. */
int ntcp__wws_param_for(const WS_OPERATION_DESCRIPTION *op, ULONG field, bool in);
/* Parses a message body (xml, len: its child elements) and finds its first
 * element, which must be d's; *doc (a libxml2 xmlDocPtr, freed by the caller
 * with xmlFreeDoc) and *elem are set on success. what names the body in
 * errors ("the request body"). */
HRESULT ntcp__wws_body_element(const char *xml, size_t len, const WS_ELEMENT_DESCRIPTION *d, const char *what,
                               void **doc, const void **elem, WS_ERROR *error);
/* A WS_REPEATING_ELEMENT_FIELD_MAPPING field of the struct at base (items
 * pointer at f->offset, ULONG count at f->countOffset): written, or read from
 * the libxml2 struct element node with the items allocated from heap. */
HRESULT ntcp__wws_write_array(ntcp_buf *out, const WS_FIELD_DESCRIPTION *f, const void *base, unsigned depth,
                              WS_ERROR *error);
HRESULT ntcp__wws_read_array(const void *node, const WS_FIELD_DESCRIPTION *f, WS_HEAP *heap, void *base, unsigned depth,
                             WS_ERROR *error);
/* The value types of types.c (float, datetime, timespan, guid, unique id,
 * bytes, XML string, enum): their size (0: not one of them), their text as
 * DataContractSerializer writes it (ntcp_malloc'ed), and the text read back
 * into dst (bytes, strings allocated from heap). desc: the enum's. */
size_t ntcp__wws_type_size(WS_TYPE t);
HRESULT ntcp__wws_type_text(WS_TYPE t, const void *desc, const void *v, char **out, WS_ERROR *error);
HRESULT ntcp__wws_type_parse(const char *text, WS_TYPE t, const void *desc, WS_HEAP *heap, void *dst, WS_ERROR *error);
/* The size of a simple type's value; 0 for the others. */
size_t ntcp__wws_value_size(WS_TYPE t);
HRESULT ntcp__wws_message_set_action(WS_MESSAGE *m, const WS_XML_STRING *action, WS_ERROR *error);
/* WsCall's request body from its arguments, and its reply body into them
 * (proxy.c; for tests). */
HRESULT ntcp__wws_call_write_input(ntcp_buf *body, const WS_OPERATION_DESCRIPTION *op, const void **args, WS_ERROR *error);
HRESULT ntcp__wws_call_read_output(const char *xml, size_t len, const WS_OPERATION_DESCRIPTION *op, const void **args,
                                   WS_HEAP *heap, WS_ERROR *error);
/* Fills m (state DONE) from a received SOAP message. */
HRESULT ntcp__wws_message_from_soap(WS_MESSAGE *m, const ntcp_soap_msg *s, WS_ERROR *error);

#endif
