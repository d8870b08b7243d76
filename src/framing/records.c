/* MC-NMF record names, encoders and the fault catalogue. */
#include <string.h>
#include <nettcp/framing.h>

static const char *const record_names[] = {
    "Version", "Mode", "Via", "KnownEncoding", "ExtensibleEncoding", "UnsizedEnvelope", "SizedEnvelope",
    "End", "Fault", "UpgradeRequest", "UpgradeResponse", "PreambleAck", "PreambleEnd",
};

const char *ntcp_nmf_record_name(int type)
{
    return type >= 0 && type <= NTCP_NMF_PREAMBLE_END ? record_names[type] : NULL;
}

const char *ntcp_nmf_mode_name(int mode)
{
    switch (mode) {
    case NTCP_MODE_SINGLETON_UNSIZED: return "singleton-unsized";
    case NTCP_MODE_DUPLEX: return "duplex";
    case NTCP_MODE_SIMPLEX: return "simplex";
    case NTCP_MODE_SINGLETON_SIZED: return "singleton-sized";
    }
    return NULL;
}

/* MC-NMF 2.2.3.4.1: the content types as WCF compares them (exact strings). */
static const char *const content_types[] = {
    "text/xml; charset=utf-8",
    "text/xml; charset=utf16",
    "text/xml; charset=unicodeFFFE",
    "application/soap+xml; charset=utf-8",
    "application/soap+xml; charset=utf16",
    "application/soap+xml; charset=unicodeFFFE",
    "multipart/related",
    "application/soap+msbin1",
    "application/soap+msbinsession1",
};
#define N_CONTENT_TYPES (int)(sizeof content_types / sizeof content_types[0])

const char *ntcp_nmf_encoding_content_type(int enc)
{
    return enc >= 0 && enc < N_CONTENT_TYPES ? content_types[enc] : NULL;
}

int ntcp_nmf_encoding_from_content_type(const char *ct, size_t len)
{
    for (int i = 0; i < N_CONTENT_TYPES; i++)
        if (strlen(content_types[i]) == len && memcmp(content_types[i], ct, len) == 0)
            return i;
    return -1;
}

/* MC-NMF 2.2.5 fault strings and the statuses they stand for. */
static const struct {
    const char *name;
    ntcp_status status;
} faults[] = {
    { "EndpointNotFound", NTCP_E_ENDPOINT_NOT_FOUND },
    { "ContentTypeInvalid", NTCP_E_CONTENT_TYPE_INVALID },
    { "ContentTypeTooLong", NTCP_E_CONTENT_TYPE_TOO_LONG },
    { "MaxMessageSizeExceededFault", NTCP_E_MESSAGE_TOO_LARGE },
    { "UnsupportedMode", NTCP_E_UNSUPPORTED_MODE },
    { "UnsupportedVersion", NTCP_E_UNSUPPORTED_VERSION },
    { "UpgradeInvalid", NTCP_E_UPGRADE_INVALID },
    { "ViaTooLong", NTCP_E_VIA_TOO_LONG },
    { "InvalidRecordSequence", NTCP_E_RECORD_SEQUENCE },
    { "EndpointAccessDenied", NTCP_E_ACCESS_DENIED },
    { "ServerTooBusy", NTCP_E_SERVER_TOO_BUSY },
    { "ServiceActivationFailed", NTCP_E_ENDPOINT_UNAVAILABLE },
    { "EndpointUnavailable", NTCP_E_ENDPOINT_UNAVAILABLE },
    { "EndpointPaused", NTCP_E_ENDPOINT_UNAVAILABLE },
    { "ConnectionDispatchFailed", NTCP_E_ENDPOINT_UNAVAILABLE },
};

ntcp_status ntcp_nmf_fault_status(const char *fault, size_t len)
{
    size_t blen = strlen(NTCP_FAULT_BASE);
    if (len >= blen && memcmp(fault, NTCP_FAULT_BASE, blen) == 0) {
        fault += blen;
        len -= blen;
    }
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++)
        if (strlen(faults[i].name) == len && memcmp(faults[i].name, fault, len) == 0)
            return faults[i].status;
    return NTCP_E_FAULT;
}

const char *ntcp_nmf_status_fault(ntcp_status st)
{
    switch (st) {
    case NTCP_E_UNSUPPORTED_VERSION: return NTCP_FAULT_BASE "UnsupportedVersion";
    case NTCP_E_UNSUPPORTED_MODE: return NTCP_FAULT_BASE "UnsupportedMode";
    case NTCP_E_VIA_TOO_LONG: return NTCP_FAULT_BASE "ViaTooLong";
    case NTCP_E_CONTENT_TYPE_TOO_LONG: return NTCP_FAULT_BASE "ContentTypeTooLong";
    case NTCP_E_ENDPOINT_NOT_FOUND: return NTCP_FAULT_BASE "EndpointNotFound";
    case NTCP_E_CONTENT_TYPE_INVALID: return NTCP_FAULT_BASE "ContentTypeInvalid";
    case NTCP_E_UPGRADE_INVALID: return NTCP_FAULT_BASE "UpgradeInvalid";
    case NTCP_E_MESSAGE_TOO_LARGE: return NTCP_FAULT_BASE "MaxMessageSizeExceededFault";
    case NTCP_E_UPGRADE_REQUIRED: return NTCP_FAULT_BASE "EndpointAccessDenied";
    case NTCP_E_SERVER_TOO_BUSY: return NTCP_FAULT_BASE "ServerTooBusy";
    case NTCP_E_RECORD_SEQUENCE:
    case NTCP_E_UNKNOWN_RECORD:
    case NTCP_E_ZERO_SIZE:
    case NTCP_E_VARINT:
        return NTCP_FAULT_BASE "InvalidRecordSequence";
    default:
        return NULL;
    }
}

/* ---- encoders: MC-NMF 2.2.3 / 2.2.4 / 2.2.5 ---- */

ntcp_status ntcp_nmf_put_version(ntcp_buf *out)
{
    static const uint8_t v[] = { NTCP_NMF_VERSION, 1, 0 };
    return ntcp_buf_append(out, v, sizeof v);
}

ntcp_status ntcp_nmf_put_mode(ntcp_buf *out, ntcp_nmf_mode mode)
{
    if (mode < NTCP_MODE_SINGLETON_UNSIZED || mode > NTCP_MODE_SINGLETON_SIZED)
        return NTCP_E_INVALID_ARG;
    uint8_t v[] = { NTCP_NMF_MODE, (uint8_t)mode };
    return ntcp_buf_append(out, v, sizeof v);
}

static ntcp_status put_typed_string(ntcp_buf *out, uint8_t type, const void *s, size_t len)
{
    size_t save = out->len;
    ntcp_status st = ntcp_buf_put_u8(out, type);
    if (!st)
        st = ntcp_buf_put_string(out, s, len);
    if (st)
        out->len = save;
    return st;
}

ntcp_status ntcp_nmf_put_via(ntcp_buf *out, const char *via, size_t len)
{
    return put_typed_string(out, NTCP_NMF_VIA, via, len);
}

ntcp_status ntcp_nmf_put_known_encoding(ntcp_buf *out, ntcp_nmf_encoding enc)
{
    if ((unsigned)enc > 0xFF)
        return NTCP_E_INVALID_ARG;
    uint8_t v[] = { NTCP_NMF_KNOWN_ENCODING, (uint8_t)enc };
    return ntcp_buf_append(out, v, sizeof v);
}

ntcp_status ntcp_nmf_put_extensible_encoding(ntcp_buf *out, const char *ct, size_t len)
{
    return put_typed_string(out, NTCP_NMF_EXTENSIBLE_ENCODING, ct, len);
}

ntcp_status ntcp_nmf_put_upgrade_request(ntcp_buf *out, const char *name, size_t len)
{
    if (len == 0) /* MC-NMF 2.2.3.5: the length must not be 0 */
        return NTCP_E_INVALID_ARG;
    return put_typed_string(out, NTCP_NMF_UPGRADE_REQUEST, name, len);
}

ntcp_status ntcp_nmf_put_simple(ntcp_buf *out, ntcp_nmf_record_type type)
{
    switch (type) {
    case NTCP_NMF_UPGRADE_RESPONSE:
    case NTCP_NMF_PREAMBLE_ACK:
    case NTCP_NMF_PREAMBLE_END:
    case NTCP_NMF_END:
        return ntcp_buf_put_u8(out, (uint8_t)type);
    default:
        return NTCP_E_INVALID_ARG;
    }
}

ntcp_status ntcp_nmf_put_sized_envelope(ntcp_buf *out, const uint8_t *p, size_t len)
{
    if (len == 0) /* MC-NMF 2.2.4.1: size is never 0 */
        return NTCP_E_INVALID_ARG;
    return put_typed_string(out, NTCP_NMF_SIZED_ENVELOPE, p, len);
}

ntcp_status ntcp_nmf_put_sized_envelope_header(ntcp_buf *out, size_t len)
{
    if (len == 0 || len > NTCP_VARINT_MAX_VALUE)
        return NTCP_E_INVALID_ARG;
    size_t save = out->len;
    ntcp_status st = ntcp_buf_put_u8(out, NTCP_NMF_SIZED_ENVELOPE);
    if (!st)
        st = ntcp_buf_put_varint(out, (uint32_t)len);
    if (st)
        out->len = save;
    return st;
}

ntcp_status ntcp_nmf_put_unsized_envelope(ntcp_buf *out, const uint8_t *p, size_t len, size_t chunk_size)
{
    if (len == 0 || chunk_size == 0)
        return NTCP_E_INVALID_ARG;
    if (chunk_size > NTCP_VARINT_MAX_VALUE)
        chunk_size = NTCP_VARINT_MAX_VALUE;
    size_t save = out->len;
    ntcp_status st = ntcp_buf_put_u8(out, NTCP_NMF_UNSIZED_ENVELOPE);
    /* MC-NMF 2.2.4.2 / 2.2.4.3: data chunks, then a 0x00 terminator */
    for (size_t off = 0; !st && off < len; off += chunk_size) {
        size_t n = len - off < chunk_size ? len - off : chunk_size;
        st = ntcp_buf_put_string(out, p + off, n);
    }
    if (!st)
        st = ntcp_buf_put_u8(out, 0);
    if (st)
        out->len = save;
    return st;
}

ntcp_status ntcp_nmf_put_fault(ntcp_buf *out, const char *fault)
{
    if (!fault || !*fault)
        return NTCP_E_INVALID_ARG;
    if (strncmp(fault, "http", 4) == 0)
        return put_typed_string(out, NTCP_NMF_FAULT, fault, strlen(fault));
    size_t blen = strlen(NTCP_FAULT_BASE), flen = strlen(fault);
    char tmp[512];
    if (blen + flen >= sizeof tmp)
        return NTCP_E_LIMIT;
    memcpy(tmp, NTCP_FAULT_BASE, blen);
    memcpy(tmp + blen, fault, flen);
    return put_typed_string(out, NTCP_NMF_FAULT, tmp, blen + flen);
}
