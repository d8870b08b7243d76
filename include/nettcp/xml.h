/* nettcp — .NET Binary XML: MC-NBFX records, the MC-NBFS static dictionary,
 * the MC-NBFSE in-band session dictionary, a text XML writer and a
 * text-to-binary path. Sans-I/O: everything works on caller buffers.
 *
 *  - ntcp_xml_reader: a pull reader over one NBFX document held in memory.
 *    Strings are slices into the input (or into a dictionary); no per-node
 *    allocation. Typed text records keep their type (ntcp_xml_value) and
 *    render to text as .NET's XmlDictionaryReader does (ntcp_xml_value_format).
 *  - ntcp_xml_writer: writes NBFX from a node stream, choosing the records
 *    WCF chooses; with a session dictionary it also writes the NBFSE table.
 *  - ntcp_xml_session: one direction's session dictionary (MC-NBFSE).
 *  - ntcp_xml_to_text / ntcp_xml_from_text: binary <-> text XML.
 */
#ifndef NETTCP_XML_H
#define NETTCP_XML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <nettcp/status.h>
#include <nettcp/util.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- limits: WCF's XmlDictionaryReaderQuotas and encoder defaults -------- */
typedef struct ntcp_xml_limits {
    uint32_t max_depth;          /* element nesting (MaxDepth 32) -> NTCP_E_XML_DEPTH */
    uint32_t max_string_len;     /* bytes of one text/comment/attribute value (MaxStringContentLength 8192) */
    uint32_t max_array_len;      /* items of one array record (MaxArrayLength 16384) */
    uint32_t max_name_chars;     /* bytes of one name, prefix or namespace (MaxNameTableCharCount 16384,
                                    applied per name: no single name may be longer) */
    uint32_t max_attributes;     /* attributes of one element (not a WCF quota; 256) */
    uint32_t max_size;           /* bytes of one document/payload (MaxReceivedMessageSize 65536) */
    uint32_t max_session_size;   /* MC-NBFSE session bytes incl. length prefixes (MaxSessionSize 2048);
                                    the value to pass to ntcp_xml_session_new, which enforces it */
} ntcp_xml_limits;

/* WCF's defaults: MaxDepth 32, MaxStringContentLength 8192, MaxArrayLength 16384,
 * MaxNameTableCharCount 16384, 256 attributes, 65536 bytes, MaxSessionSize 2048. */
void ntcp_xml_limits_init(ntcp_xml_limits *l);

/* ---- strings, names, values -------------------------------------------- */
typedef struct ntcp_xml_str {
    const char *p; /* not NUL-terminated */
    uint32_t len;
} ntcp_xml_str;

/* Dictionary key of a name: >= 0 a DictionaryString key (even = static
 * MC-NBFS, odd = session MC-NBFSE); NTCP_XML_INLINE = written as a String;
 * NTCP_XML_KEY_AUTO (writer only) = let the writer choose. */
#define NTCP_XML_INLINE (-1)
#define NTCP_XML_KEY_AUTO (-2)

typedef enum ntcp_xml_vtype {
    NTCP_XV_NONE = 0,
    NTCP_XV_CHARS,     /* UTF-8 text: s (Chars8/16/32) */
    NTCP_XV_UTF16,     /* UTF-16LE text: s holds the raw bytes (UnicodeChars8/16/32) */
    NTCP_XV_BYTES,     /* binary: s holds the bytes, rendered base64 (Bytes8/16/32) */
    NTCP_XV_EMPTY,     /* EmptyText */
    NTCP_XV_BOOL,      /* u.i = 0/1 (False/True/BoolText; `record` says which) */
    NTCP_XV_INT,       /* u.i (Zero/One/Int8/16/32/64) */
    NTCP_XV_UINT64,    /* u.u */
    NTCP_XV_FLOAT,     /* u.f */
    NTCP_XV_DOUBLE,    /* u.d */
    NTCP_XV_DECIMAL,   /* u.raw: 16 bytes as on the wire (MC-NBFX 2.2.3.13) */
    NTCP_XV_DATETIME,  /* u.u: DateTime.ToBinary (kind in the top 2 bits) */
    NTCP_XV_TIMESPAN,  /* u.i: ticks */
    NTCP_XV_UUID,      /* u.raw[16]: .NET Guid byte order */
    NTCP_XV_UNIQUEID,  /* u.raw[16]: rendered urn:uuid:... */
    NTCP_XV_DICT,      /* key + s = the dictionary string */
    NTCP_XV_QNAME,     /* u.i = prefix index 0-25, key + s = local name */
    NTCP_XV_LIST       /* s = the raw item records between StartList and EndList */
} ntcp_xml_vtype;

typedef struct ntcp_xml_value {
    ntcp_xml_vtype type;
    uint8_t record;    /* the text record it came from (even code), 0 if built by hand; the
                          writer keeps it when it can hold the value, so decoded input
                          re-encodes to the same bytes */
    int32_t key;       /* DICT / QNAME */
    ntcp_xml_str s;
    union {
        int64_t i;
        uint64_t u;
        double d;
        float f;
        uint8_t raw[16];
    } u;
} ntcp_xml_value;

typedef struct ntcp_xml_name {
    ntcp_xml_str prefix; /* len 0 = no prefix */
    ntcp_xml_str local;  /* local name; for an xmlns attribute, the namespace URI */
    int32_t key;         /* dictionary key of `local`, or NTCP_XML_INLINE / NTCP_XML_KEY_AUTO */
    uint8_t record;      /* the element/attribute record it came from; 0 = let the writer choose */
} ntcp_xml_name;

typedef struct ntcp_xml_attr {
    bool is_xmlns;       /* xmlns[:prefix]="name.local" */
    ntcp_xml_name name;
    ntcp_xml_value value; /* unused for xmlns */
} ntcp_xml_attr;

typedef enum ntcp_xml_node_type {
    NTCP_XML_NODE_NONE = 0,
    NTCP_XML_NODE_START, /* name, attrs */
    NTCP_XML_NODE_END,   /* name of the element it closes */
    NTCP_XML_NODE_TEXT,  /* value */
    NTCP_XML_NODE_COMMENT, /* value.s */
    NTCP_XML_NODE_ARRAY, /* name, attrs, array_type, array_count, array_data: count x <name>item</name> */
    NTCP_XML_NODE_EOF
} ntcp_xml_node_type;

typedef struct ntcp_xml_node {
    ntcp_xml_node_type type;
    uint32_t depth;       /* of the element (START/END/ARRAY) or of the text's parent */
    ntcp_xml_name name;
    const ntcp_xml_attr *attrs;
    uint32_t nattrs;
    ntcp_xml_value value;
    bool with_end;        /* TEXT came as a ...WithEndElement record (an END node follows) */
    ntcp_xml_vtype array_type;
    uint8_t array_record; /* the array's ...WithEndElement record code */
    uint32_t array_count;
    const uint8_t *array_data;
} ntcp_xml_node;

/* Array item i as a value (NTCP_XV_BOOL ... NTCP_XV_UUID). */
void ntcp_xml_array_item(const ntcp_xml_node *array, uint32_t i, ntcp_xml_value *out);

/* ---- rendering typed values as .NET does -------------------------------- */
typedef struct ntcp_xml_format_options {
    /* DateTime values of kind Local carry a UTC instant (DateTime.ToBinary);
     * .NET renders them in the reading machine's zone. We render them at this
     * fixed offset from UTC, in minutes, with a "+hh:mm" suffix (default 0:
     * "+00:00"). */
    int local_offset_minutes;
} ntcp_xml_format_options;
/* Everything off. */
void ntcp_xml_format_options_init(ntcp_xml_format_options *o);

/* Appends the text of v (UTF-8, not escaped) to out. Doubles and floats in
 * .NET Core's shortest round-trip "R" form (INF, -INF, NaN, -0), decimals
 * with their scale, DateTime as XmlConvert RoundtripKind (UTC "Z", local
 * "+hh:mm", unspecified no suffix), TimeSpan as an xs:duration ("PT1H"),
 * Guid lowercase, UniqueId "urn:uuid:...", bytes base64, UTF-16 as UTF-8.
 * `opt` may be NULL. */
NTCP_MUST_CHECK ntcp_status ntcp_xml_value_format(const ntcp_xml_value *v, const ntcp_xml_format_options *opt,
                                                  ntcp_buf *out);

/* ---- static dictionary (MC-NBFS) -------------------------------------- */
#define NTCP_XML_STATIC_COUNT 487
/* String of static key (even, 0..0x3CC); NULL if none. */
const char *ntcp_xml_static_string(uint32_t key, uint32_t *len);
/* Key (2*index) of s in the static dictionary, or -1. */
int32_t ntcp_xml_static_key(const char *s, size_t len);

/* ---- session dictionary (MC-NBFSE), one per direction --------------------- */
typedef struct ntcp_xml_session ntcp_xml_session;

/* max_size: MaxSessionSize (0 = 2048). */
NTCP_MUST_CHECK ntcp_status ntcp_xml_session_new(ntcp_xml_session **out, uint32_t max_size);
void ntcp_xml_session_free(ntcp_xml_session *s);
/* Back to empty (a new framing session on the same connection). */
void ntcp_xml_session_reset(ntcp_xml_session *s);
uint32_t ntcp_xml_session_count(const ntcp_xml_session *s);
/* Bytes used so far, length prefixes included. */
uint32_t ntcp_xml_session_used(const ntcp_xml_session *s);
/* String of odd key (2*i+1); NULL if not defined. */
const char *ntcp_xml_session_string(const ntcp_xml_session *s, uint32_t key, uint32_t *len);
/* Key of s (odd), or -1. */
int32_t ntcp_xml_session_key(const ntcp_xml_session *s, const char *str, size_t len);
/* Reader side: reads the string table at the start of one NBFSE payload,
 * adds its strings and sets *doc_offset to the start of the NBFX document.
 * Errors: NTCP_E_XML_SESSION_TOO_LARGE (cumulative size over the maximum),
 * NTCP_E_MALFORMED (table larger than the payload, string past the table),
 * NTCP_E_TRUNCATED (no size). On error the dictionary is unchanged. */
NTCP_MUST_CHECK ntcp_status ntcp_xml_session_read_table(ntcp_xml_session *s, const uint8_t *payload, size_t len,
                                                        size_t *doc_offset);
/* Writer side: returns the key of str, adding it when it is new and fits the
 * budget (it then goes into the next table written); -1 when the budget is
 * used up (write the string inline). */
int32_t ntcp_xml_session_add(ntcp_xml_session *s, const char *str, size_t len);
/* Writer side: appends the table of strings added since the last call
 * (MC-NBFSE: varint total size, then varint-prefixed strings) to out. */
NTCP_MUST_CHECK ntcp_status ntcp_xml_session_write_table(ntcp_xml_session *s, ntcp_buf *out);

/* ---- pull reader (MC-NBFX) ---------------------------------------------- */
typedef struct ntcp_xml_reader ntcp_xml_reader;

/* limits NULL = defaults; session may be NULL (odd keys are then unknown). */
NTCP_MUST_CHECK ntcp_status ntcp_xml_reader_new(ntcp_xml_reader **out, const ntcp_xml_limits *limits,
                                                const ntcp_xml_session *session);
void ntcp_xml_reader_free(ntcp_xml_reader *r);
/* Starts reading one document in [data, data+len); the buffer must outlive
 * the nodes. */
NTCP_MUST_CHECK ntcp_status ntcp_xml_reader_reset(ntcp_xml_reader *r, const uint8_t *data, size_t len);
/* Next node. NTCP_OK with node->type NTCP_XML_NODE_EOF at the end of a
 * complete document. Errors stick: NTCP_E_TRUNCATED, NTCP_E_MALFORMED,
 * NTCP_E_VARINT, NTCP_E_XML_* . The node's strings stay valid until the
 * reader is reset. */
NTCP_MUST_CHECK ntcp_status ntcp_xml_reader_next(ntcp_xml_reader *r, ntcp_xml_node *node);
/* The session dictionary for the next document read (one reader reused
 * across framing sessions); set it before ntcp_xml_reader_reset. */
void ntcp_xml_reader_set_session(ntcp_xml_reader *r, const ntcp_xml_session *session);
/* Starts reading content rather than a document: zero or more top-level
 * elements (e.g. the children of a SOAP Body, or one header block). */
NTCP_MUST_CHECK ntcp_status ntcp_xml_reader_reset_fragment(ntcp_xml_reader *r, const uint8_t *data, size_t len);
/* After a START node: reads up to the element's END and appends the text
 * inside it (descendants' text included, rendered as .NET renders typed
 * values) to out. */
NTCP_MUST_CHECK ntcp_status ntcp_xml_reader_element_text(ntcp_xml_reader *r, ntcp_buf *out);
/* Byte offset of the reader in its input (of the error after a failure). */
size_t ntcp_xml_reader_offset(const ntcp_xml_reader *r);

/* ---- binary writer (MC-NBFX / MC-NBFSE) ------------------------------------ */
typedef struct ntcp_xml_writer ntcp_xml_writer;

/* Which strings a writer with a session dictionary adds to it (MC-NBFSE).
 * WCF adds the XmlDictionaryStrings of the contract; from a plain node stream
 * we add, when the flag is set and the string is not in the static
 * dictionary: */
enum {
    NTCP_XML_SESSION_NAMES = 1,      /* element and attribute local names */
    NTCP_XML_SESSION_NAMESPACES = 2, /* namespace URIs of xmlns declarations */
    NTCP_XML_SESSION_ADDRESSING = 4, /* the text of the WS-Addressing Action and To headers */
    NTCP_XML_SESSION_DEFAULT = 7
};

typedef struct ntcp_xml_writer_options {
    ntcp_xml_limits limits;
    unsigned session_policy; /* NTCP_XML_SESSION_* bits */
    /* Optional: called for every candidate string not in the static
     * dictionary; return true to add it to the session dictionary. Replaces
     * session_policy when set. kind: 0 name, 1 namespace, 2 text. */
    bool (*is_candidate)(void *ctx, int kind, const char *s, size_t len);
    void *candidate_ctx;
} ntcp_xml_writer_options;
/* The default limits, NTCP_XML_SESSION_DEFAULT, no candidate callback. */
void ntcp_xml_writer_options_init(ntcp_xml_writer_options *o);

/* opt NULL = defaults; session may be NULL (static dictionary only: msbin1). */
NTCP_MUST_CHECK ntcp_status ntcp_xml_writer_new(ntcp_xml_writer **out, const ntcp_xml_writer_options *opt,
                                                ntcp_xml_session *session);
void ntcp_xml_writer_free(ntcp_xml_writer *w);
/* Starts a new document (discards anything written). */
void ntcp_xml_writer_reset(ntcp_xml_writer *w);
/* Names with key NTCP_XML_KEY_AUTO are looked up (static, then session, then
 * added to the session when they are candidates); a given key is written as
 * is; NTCP_XML_INLINE writes the string. Single-letter a-z prefixes use the
 * prefix-letter records. */
NTCP_MUST_CHECK ntcp_status ntcp_xml_writer_start_element(ntcp_xml_writer *w, const ntcp_xml_name *name);
NTCP_MUST_CHECK ntcp_status ntcp_xml_writer_attribute(ntcp_xml_writer *w, const ntcp_xml_attr *a);
/* A typed value, written with the record of its type (integers with the
 * smallest of Zero/One/Int8/16/32/64; chars with Chars8/16/32 by length). */
NTCP_MUST_CHECK ntcp_status ntcp_xml_writer_value(ntcp_xml_writer *w, const ntcp_xml_value *v);
/* Conveniences: <prefix:local [xmlns[:prefix]="ns"]> (prefix NULL or ""
 * = none; ns NULL = no declaration), and a whole element holding text. */
NTCP_MUST_CHECK ntcp_status ntcp_xml_writer_start(ntcp_xml_writer *w, const char *prefix, const char *local,
                                                  const char *ns);
NTCP_MUST_CHECK ntcp_status ntcp_xml_writer_text_element(ntcp_xml_writer *w, const char *prefix, const char *local,
                                                         const char *text);
/* Plain text; the writer picks the compact record: Zero/One/Int8..Int64 for
 * a canonical integer, True/False for "true"/"false", UniqueId for
 * "urn:uuid:" + a lowercase GUID, DictionaryText for a dictionary string,
 * EmptyText for "", otherwise Chars8/16/32. */
NTCP_MUST_CHECK ntcp_status ntcp_xml_writer_text(ntcp_xml_writer *w, const char *s, size_t len);
NTCP_MUST_CHECK ntcp_status ntcp_xml_writer_comment(ntcp_xml_writer *w, const char *s, size_t len);
/* Ends the open element; a text record immediately before becomes its
 * ...WithEndElement variant, as WCF writes it. */
NTCP_MUST_CHECK ntcp_status ntcp_xml_writer_end_element(ntcp_xml_writer *w);
/* One node of a stream as the reader returns it (ARRAY included). The
 * records the nodes came from are kept (name.record, value.record,
 * with_end), so re-encoding a decoded stream gives the input bytes back. */
NTCP_MUST_CHECK ntcp_status ntcp_xml_writer_node(ntcp_xml_writer *w, const ntcp_xml_node *n);
/* One node read from another document (another session dictionary) into
 * w: dictionary keys are dropped for the strings they stand for, which w
 * looks up again. */
NTCP_MUST_CHECK ntcp_status ntcp_xml_writer_copy_node(ntcp_xml_writer *w, const ntcp_xml_node *n);
/* The document so far; valid until the next write or reset. */
const uint8_t *ntcp_xml_writer_data(const ntcp_xml_writer *w, size_t *len);
/* Appends the finished output to out: with a session dictionary the NBFSE
 * payload (string table + document), without one the NBFX document. Fails
 * with NTCP_E_STATE if elements are still open. Then resets the writer. */
NTCP_MUST_CHECK ntcp_status ntcp_xml_writer_finish(ntcp_xml_writer *w, ntcp_buf *out);

/* ---- binary -> text ------------------------------------------------------ */
typedef struct ntcp_xml_text_options {
    unsigned indent;            /* spaces per level; 0 = no added white space */
    ntcp_xml_format_options format;
    ntcp_xml_limits limits;
} ntcp_xml_text_options;

/* indent 2, no format options, the default limits. */
void ntcp_xml_text_options_init(ntcp_xml_text_options *o);

/* One NBFX document -> text XML (UTF-8, escaped). session may be NULL.
 * opt NULL = defaults (indent 2). */
NTCP_MUST_CHECK ntcp_status ntcp_xml_to_text(const uint8_t *doc, size_t len, const ntcp_xml_session *session,
                                             const ntcp_xml_text_options *opt, ntcp_buf *out);

/* One NBFSE payload (string table + document) with the receiving direction's
 * session dictionary: adds the table's strings and writes text XML to out.
 * What the XML means as SOAP is the SOAP reader's (soap.h). */
NTCP_MUST_CHECK ntcp_status ntcp_xml_session_decode_to_text(const uint8_t *payload, size_t len,
                                                            ntcp_xml_session *session,
                                                            const ntcp_xml_text_options *opt, ntcp_buf *out);

/* ---- text -> binary ---------------------------------------------------------
 * Parses text XML with libxml2 (no network, no DTD, no entity expansion) and
 * writes it with w (ntcp_xml_writer_text for text, KEY_AUTO names), then
 * ntcp_xml_writer_finish into out. Errors: NTCP_E_XML_SYNTAX, writer errors. */
NTCP_MUST_CHECK ntcp_status ntcp_xml_from_text(const char *text, size_t len, ntcp_xml_writer *w, ntcp_buf *out);

/* Writes text XML content -- zero or more elements and text, such as a SOAP
 * body -- into w at its current position (libxml2, same rules as
 * ntcp_xml_from_text). The content must declare the namespaces it uses; a
 * leading XML declaration is ignored. */
NTCP_MUST_CHECK ntcp_status ntcp_xml_writer_text_xml(ntcp_xml_writer *w, const char *text, size_t len);

/* ---- node stream -> text XML, for part of a document --------------------
 * Renders the nodes of a reader below base_depth (e.g. the children of a SOAP
 * Body at depth 2: base_depth 2 makes them top-level) as text into dest. The
 * caller adds any xmlns declarations the part needs to its top elements. */
typedef struct ntcp_xml_text_writer ntcp_xml_text_writer;
NTCP_MUST_CHECK ntcp_status ntcp_xml_text_writer_new(ntcp_xml_text_writer **out, const ntcp_xml_text_options *opt,
                                                     const ntcp_xml_session *session, uint32_t base_depth,
                                                     ntcp_buf *dest);
NTCP_MUST_CHECK ntcp_status ntcp_xml_text_writer_node(ntcp_xml_text_writer *w, const ntcp_xml_node *n);
void ntcp_xml_text_writer_free(ntcp_xml_text_writer *w);

#ifdef __cplusplus
}
#endif
#endif
