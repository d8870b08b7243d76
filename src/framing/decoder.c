/* Incremental MC-NMF record decoder for one direction of a connection.
 * It accepts input in pieces of any size (down to one byte), checks each
 * record against the limits and the record grammar of its direction
 * (MC-NMF 2.2 and 3.x, PROTOCOLS.md 1.3/1.5), and returns one record at a
 * time. */
#include <string.h>
#include <nettcp/framing.h>
#include "framing/internal.h"

enum phase {
    /* initiator -> receiver */
    P_VERSION,     /* Version (or, after End, a fresh preamble) */
    P_MODE,
    P_VIA,
    P_ENCODING,
    P_PREAMBLE,    /* UpgradeRequest* then PreambleEnd (duplex/singleton-unsized) */
    P_MESSAGES,    /* envelopes then End */
    P_RAW,         /* singleton-sized: message octets until EOF */
    /* receiver -> initiator */
    P_ANSWER,      /* UpgradeResponse / PreambleAck / Fault */
    P_REPLIES,     /* envelopes, End, Fault */
    /* both */
    P_UPGRADE,     /* stopped at an upgrade boundary */
    P_ENDED,       /* after End */
    P_FAULTED      /* after a Fault: nothing more is decoded */
};

enum sub {
    S_TYPE,        /* waiting for a record type byte */
    S_FIXED,       /* collecting a fixed-size body into hdr */
    S_LEN,         /* collecting a varint length into hdr */
    S_DATA,        /* collecting `need` payload bytes */
    S_CHUNK_LEN,   /* UnsizedEnvelope: next chunk size */
    S_CHUNK_DATA
};

struct ntcp_nmf_decoder {
    ntcp_nmf_direction dir;
    ntcp_framing_limits lim;
    enum phase phase;
    enum sub sub;
    int mode;            /* 0 = not known (stream started after an upgrade) */
    bool singleton_done; /* singleton-unsized: the one envelope was seen */
    int type;            /* record being decoded */
    size_t rec_off;      /* its offset */
    uint8_t hdr[8];
    size_t hlen, hneed;
    size_t need;         /* payload bytes still needed */
    uint32_t chunks;
    ntcp_buf payload;
    size_t pos;          /* stream offset of the next byte */
    bool retain;         /* ntcp_nmf_decoder_set_retain */
    ntcp_status err;
    size_t err_off;
};

ntcp_status ntcp_nmf_decoder_new(ntcp_nmf_decoder **out, ntcp_nmf_direction dir, ntcp_nmf_start start,
                                 const ntcp_framing_limits *limits)
{
    ntcp_framing_limits defaults;
    ntcp_framing_limits_init(&defaults);
    ntcp_nmf_decoder *d = ntcp_calloc(1, sizeof *d);
    if (!d)
        return NTCP_E_NOMEM;
    d->dir = dir;
    d->lim = limits ? *limits : defaults;
    size_t max = d->lim.max_message;
    if (d->lim.max_via > max)
        max = d->lim.max_via;
    if (d->lim.max_content_type > max)
        max = d->lim.max_content_type;
    if (d->lim.max_fault > max)
        max = d->lim.max_fault;
    ntcp_buf_init(&d->payload, max);
    if (dir == NTCP_FROM_INITIATOR)
        d->phase = start == NTCP_START_AFTER_UPGRADE ? P_PREAMBLE : P_VERSION;
    else
        d->phase = P_ANSWER;
    *out = d;
    return NTCP_OK;
}

void ntcp_nmf_decoder_free(ntcp_nmf_decoder *d)
{
    if (!d)
        return;
    ntcp_buf_free(&d->payload);
    ntcp_free(d);
}

bool ntcp_nmf_decoder_at_upgrade(const ntcp_nmf_decoder *d) { return d->phase == P_UPGRADE; }

void ntcp_nmf_decoder_resume_after_upgrade(ntcp_nmf_decoder *d)
{
    if (d->phase == P_UPGRADE)
        d->phase = d->dir == NTCP_FROM_INITIATOR ? P_PREAMBLE : P_ANSWER;
}

size_t ntcp_nmf_decoder_offset(const ntcp_nmf_decoder *d) { return d->err ? d->err_off : d->pos; }
int ntcp_nmf_decoder_mode(const ntcp_nmf_decoder *d) { return d->mode; }
void ntcp_nmf__decoder_set_mode(ntcp_nmf_decoder *d, int mode) { d->mode = mode; }

void ntcp_nmf__decoder_reset(ntcp_nmf_decoder *d)
{
    d->phase = d->dir == NTCP_FROM_INITIATOR ? P_VERSION : P_ANSWER;
    d->sub = S_TYPE;
    d->mode = 0;
    d->singleton_done = false;
    d->err = NTCP_OK;
    ntcp_buf_reset(&d->payload);
}

static ntcp_status fail(ntcp_nmf_decoder *d, ntcp_status st, size_t off)
{
    d->err = st;
    d->err_off = off;
    return st;
}

/* Is a record of this type allowed now? MC-NMF record grammar per mode. */
static ntcp_status check_sequence(ntcp_nmf_decoder *d, int t)
{
    if (t > NTCP_NMF_PREAMBLE_END)
        return NTCP_E_UNKNOWN_RECORD;
    bool ok = false;
    switch (d->phase) {
    case P_VERSION: ok = t == NTCP_NMF_VERSION; break;
    case P_MODE: ok = t == NTCP_NMF_MODE; break;
    case P_VIA: ok = t == NTCP_NMF_VIA; break;
    case P_ENCODING: ok = t == NTCP_NMF_KNOWN_ENCODING || t == NTCP_NMF_EXTENSIBLE_ENCODING; break;
    case P_PREAMBLE: ok = t == NTCP_NMF_UPGRADE_REQUEST || t == NTCP_NMF_PREAMBLE_END; break;
    case P_MESSAGES:
        if (d->mode == NTCP_MODE_SINGLETON_UNSIZED)
            ok = d->singleton_done ? t == NTCP_NMF_END : t == NTCP_NMF_UNSIZED_ENVELOPE;
        else if (d->mode == 0)
            ok = t == NTCP_NMF_SIZED_ENVELOPE || t == NTCP_NMF_UNSIZED_ENVELOPE || t == NTCP_NMF_END;
        else
            ok = t == NTCP_NMF_SIZED_ENVELOPE || t == NTCP_NMF_END;
        break;
    case P_ANSWER:
        ok = t == NTCP_NMF_UPGRADE_RESPONSE || t == NTCP_NMF_PREAMBLE_ACK || t == NTCP_NMF_FAULT;
        break;
    case P_REPLIES:
        ok = t == NTCP_NMF_SIZED_ENVELOPE || t == NTCP_NMF_UNSIZED_ENVELOPE || t == NTCP_NMF_END ||
             t == NTCP_NMF_FAULT;
        break;
    case P_ENDED:
        /* a pooled connection starts over with a fresh preamble (PROTOCOLS.md 1.9) */
        ok = d->dir == NTCP_FROM_INITIATOR
                 ? t == NTCP_NMF_VERSION
                 : (t == NTCP_NMF_UPGRADE_RESPONSE || t == NTCP_NMF_PREAMBLE_ACK || t == NTCP_NMF_FAULT);
        break;
    default:
        ok = false;
    }
    return ok ? NTCP_OK : NTCP_E_RECORD_SEQUENCE;
}

/* Record complete: fill *rec, advance the grammar. */
static void complete(ntcp_nmf_decoder *d, ntcp_nmf_record *rec, const uint8_t *data, size_t size)
{
    memset(rec, 0, sizeof *rec);
    rec->type = (ntcp_nmf_record_type)d->type;
    rec->offset = d->rec_off;
    rec->wire_size = d->pos - d->rec_off;
    rec->data = data ? data : (const uint8_t *)""; /* never NULL, even when empty */
    rec->size = size;
    rec->chunks = d->chunks;
    d->sub = S_TYPE;
    switch (d->type) {
    case NTCP_NMF_VERSION:
        rec->major = d->hdr[0];
        rec->minor = d->hdr[1];
        d->phase = P_MODE;
        d->mode = 0;
        d->singleton_done = false;
        break;
    case NTCP_NMF_MODE:
        rec->mode = d->hdr[0];
        d->mode = d->hdr[0];
        d->phase = P_VIA;
        break;
    case NTCP_NMF_VIA:
        d->phase = P_ENCODING;
        break;
    case NTCP_NMF_KNOWN_ENCODING:
    case NTCP_NMF_EXTENSIBLE_ENCODING:
        if (d->type == NTCP_NMF_KNOWN_ENCODING)
            rec->encoding = d->hdr[0];
        /* simplex: envelopes follow at once; singleton-sized: raw octets */
        d->phase = d->mode == NTCP_MODE_SIMPLEX         ? P_MESSAGES
                   : d->mode == NTCP_MODE_SINGLETON_SIZED ? P_RAW
                                                          : P_PREAMBLE;
        break;
    case NTCP_NMF_UPGRADE_REQUEST:
    case NTCP_NMF_UPGRADE_RESPONSE:
        d->phase = P_UPGRADE;
        break;
    case NTCP_NMF_PREAMBLE_END:
        d->phase = P_MESSAGES;
        break;
    case NTCP_NMF_PREAMBLE_ACK:
        d->phase = P_REPLIES;
        break;
    case NTCP_NMF_UNSIZED_ENVELOPE:
        d->singleton_done = true;
        break;
    case NTCP_NMF_END:
        d->phase = P_ENDED;
        break;
    case NTCP_NMF_FAULT:
        d->phase = P_FAULTED;
        break;
    default:
        break;
    }
}

/* Limit for a length-prefixed record; the status to report when exceeded. */
static ntcp_status check_length(ntcp_nmf_decoder *d, uint32_t n)
{
    switch (d->type) {
    case NTCP_NMF_VIA:
        return n > d->lim.max_via ? NTCP_E_VIA_TOO_LONG : NTCP_OK;
    case NTCP_NMF_EXTENSIBLE_ENCODING:
        return n > d->lim.max_content_type ? NTCP_E_CONTENT_TYPE_TOO_LONG : NTCP_OK;
    case NTCP_NMF_UPGRADE_REQUEST:
        if (n == 0) /* MC-NMF 2.2.3.5 */
            return NTCP_E_ZERO_SIZE;
        return n > d->lim.max_content_type ? NTCP_E_CONTENT_TYPE_TOO_LONG : NTCP_OK;
    case NTCP_NMF_FAULT:
        return n > d->lim.max_fault ? NTCP_E_LIMIT : NTCP_OK;
    case NTCP_NMF_SIZED_ENVELOPE:
        if (n == 0) /* MC-NMF 2.2.4.1 */
            return NTCP_E_ZERO_SIZE;
        return n > d->lim.max_message ? NTCP_E_MESSAGE_TOO_LARGE : NTCP_OK;
    default:
        return NTCP_OK;
    }
}

ntcp_status ntcp_nmf_decoder_feed(ntcp_nmf_decoder *d, const uint8_t *data, size_t len, size_t *consumed,
                                  ntcp_nmf_record *rec)
{
    size_t i = 0;
    *consumed = 0;
    if (d->err)
        return d->err;
    if (d->phase == P_UPGRADE && d->sub == S_TYPE)
        return len ? NTCP_E_STATE : NTCP_AGAIN;
    while (i < len) {
        switch (d->sub) {
        case S_TYPE: {
            if (d->phase == P_UPGRADE) {
                *consumed = i;
                return NTCP_E_STATE;
            }
            if (d->phase == P_FAULTED) {
                *consumed = i;
                return fail(d, NTCP_E_RECORD_SEQUENCE, d->pos);
            }
            if (d->phase == P_RAW) {
                size_t n = len - i;
                if (d->payload.len + n > d->lim.max_message) {
                    *consumed = i;
                    return fail(d, NTCP_E_MESSAGE_TOO_LARGE, d->pos);
                }
                ntcp_status st = ntcp_buf_append(&d->payload, data + i, n);
                if (st) {
                    *consumed = i;
                    return fail(d, st, d->pos);
                }
                d->pos += n;
                i += n;
                break;
            }
            int t = data[i];
            ntcp_status st = check_sequence(d, t);
            if (st) {
                *consumed = i;
                return fail(d, st, d->pos);
            }
            d->type = t;
            d->rec_off = d->pos;
            d->hlen = 0;
            d->chunks = 0;
            ntcp_buf_reset(&d->payload);
            i++;
            d->pos++;
            switch (t) {
            case NTCP_NMF_VERSION: d->sub = S_FIXED; d->hneed = 2; break;
            case NTCP_NMF_MODE:
            case NTCP_NMF_KNOWN_ENCODING: d->sub = S_FIXED; d->hneed = 1; break;
            case NTCP_NMF_VIA:
            case NTCP_NMF_EXTENSIBLE_ENCODING:
            case NTCP_NMF_UPGRADE_REQUEST:
            case NTCP_NMF_FAULT:
            case NTCP_NMF_SIZED_ENVELOPE: d->sub = S_LEN; break;
            case NTCP_NMF_UNSIZED_ENVELOPE: d->sub = S_CHUNK_LEN; break;
            default: /* End, UpgradeResponse, PreambleAck, PreambleEnd */
                complete(d, rec, NULL, 0);
                *consumed = i;
                return NTCP_OK;
            }
            break;
        }
        case S_FIXED:
            d->hdr[d->hlen++] = data[i++];
            d->pos++;
            if (d->hlen == d->hneed) {
                if (d->type == NTCP_NMF_VERSION && d->hdr[0] != 1) { /* MC-NMF 2.2.3.1: major 1 */
                    *consumed = i;
                    return fail(d, NTCP_E_UNSUPPORTED_VERSION, d->rec_off + 1);
                }
                if (d->type == NTCP_NMF_MODE &&
                    (d->hdr[0] < NTCP_MODE_SINGLETON_UNSIZED || d->hdr[0] > NTCP_MODE_SINGLETON_SIZED)) {
                    *consumed = i;
                    return fail(d, NTCP_E_UNSUPPORTED_MODE, d->rec_off + 1);
                }
                complete(d, rec, NULL, 0);
                *consumed = i;
                return NTCP_OK;
            }
            break;
        case S_LEN:
        case S_CHUNK_LEN: {
            size_t len_off = d->pos - d->hlen;
            d->hdr[d->hlen++] = data[i++];
            d->pos++;
            uint32_t n;
            size_t used;
            ntcp_status st = ntcp_varint_decode(d->hdr, d->hlen, &n, &used);
            if (st == NTCP_AGAIN)
                break;
            if (st) {
                *consumed = i;
                return fail(d, st, len_off);
            }
            d->hlen = 0;
            if (d->sub == S_LEN) {
                st = check_length(d, n);
                if (st) {
                    *consumed = i;
                    return fail(d, st, len_off);
                }
                d->need = n;
                d->sub = S_DATA;
                if (n == 0) { /* empty via / content type / fault */
                    complete(d, rec, NULL, 0);
                    *consumed = i;
                    return NTCP_OK;
                }
            } else if (n == 0) { /* MC-NMF 2.2.4.3: the terminator */
                if (d->chunks == 0) {
                    *consumed = i;
                    return fail(d, NTCP_E_ZERO_SIZE, len_off);
                }
                complete(d, rec, d->payload.data, d->payload.len);
                *consumed = i;
                return NTCP_OK;
            } else {
                if (n > d->lim.max_message || d->payload.len + n > d->lim.max_message) {
                    *consumed = i;
                    return fail(d, NTCP_E_MESSAGE_TOO_LARGE, len_off);
                }
                d->need = n;
                d->chunks++;
                d->sub = S_CHUNK_DATA;
            }
            break;
        }
        case S_DATA:
        case S_CHUNK_DATA: {
            size_t n = len - i < d->need ? len - i : d->need;
            if (d->sub == S_DATA && d->payload.len == 0 && n == d->need) {
                /* whole payload present in this input: no copy */
                i += n;
                d->pos += n;
                complete(d, rec, data + i - n, n);
                *consumed = i;
                return NTCP_OK;
            }
            if (d->sub == S_DATA && d->payload.len == 0 && d->retain) {
                /* the caller presents these bytes again with more */
                *consumed = i;
                return NTCP_AGAIN;
            }
            ntcp_status st = ntcp_buf_append(&d->payload, data + i, n);
            if (st) {
                *consumed = i;
                return fail(d, st, d->pos);
            }
            i += n;
            d->pos += n;
            d->need -= n;
            if (d->need == 0) {
                if (d->sub == S_DATA) {
                    complete(d, rec, d->payload.data, d->payload.len);
                    *consumed = i;
                    return NTCP_OK;
                }
                d->sub = S_CHUNK_LEN;
            }
            break;
        }
        }
    }
    *consumed = i;
    return NTCP_AGAIN;
}

ntcp_status ntcp_nmf_decoder_finish(ntcp_nmf_decoder *d, ntcp_nmf_record *rec, bool *have_rec)
{
    *have_rec = false;
    if (d->err)
        return d->err;
    if (d->phase == P_RAW && d->sub == S_TYPE) {
        if (d->payload.len == 0)
            return NTCP_OK;
        d->type = NTCP_NMF_SIZED_ENVELOPE;
        memset(rec, 0, sizeof *rec);
        rec->type = NTCP_NMF_SIZED_ENVELOPE;
        rec->offset = d->pos - d->payload.len;
        rec->wire_size = d->payload.len;
        rec->data = d->payload.data;
        rec->size = d->payload.len;
        d->phase = P_ENDED;
        *have_rec = true;
        return NTCP_OK;
    }
    if (d->sub != S_TYPE)
        return fail(d, NTCP_E_TRUNCATED, d->pos);
    return NTCP_OK;
}

void ntcp_nmf_decoder_set_retain(ntcp_nmf_decoder *d, bool retain) { d->retain = retain; }
