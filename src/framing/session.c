/* MC-NMF initiator and acceptor state machines (sans-I/O).
 *
 * Raw bytes in -> (through the stream upgrade once active) -> plaintext ->
 * record decoder -> events. Records out -> (through the upgrade) -> output
 * buffer. The acceptor validates like WCF's server (PROTOCOLS.md 1.5, 1.7):
 * version, mode, via, encoding, upgrade, preamble end, message size; each
 * refusal is a named status and, where WCF has one, a fault record written
 * the way WCF writes it (then half-close and drain). */
#include <stdio.h>
#include <string.h>
#include <nettcp/framing.h>
#include "framing/internal.h"
#include "util/outq.h"

#define OUT_MAX ((size_t)256 << 20)

enum state {
    ST_IDLE,          /* initiator before start / acceptor before Version */
    ST_PREAMBLE,      /* preamble records flowing */
    ST_UPGRADING,     /* upgrade handshake in progress */
    ST_WAIT_ACK,      /* initiator: PreambleEnd sent */
    ST_OPEN,          /* envelopes may flow */
    ST_CLOSED,        /* both End records exchanged */
    ST_FAULTED,       /* a fault was sent or received */
    ST_FAILED         /* a fatal error: abort */
};

struct ntcp_framing {
    ntcp_framing_role role;
    ntcp_framing_limits lim;
    ntcp_framing_acceptor_config acfg;
    ntcp_framing_initiator_config icfg;
    char *via;           /* initiator: configured; acceptor: received */
    char *content_type;  /* acceptor: received encoding / upgrade name */
    int mode;
    enum state state;
    ntcp_nmf_decoder *dec;
    const ntcp_stream *up;  /* set by the caller */
    bool up_active;                 /* bytes now travel through `up` */
    bool up_done_reported;
    unsigned upgrades;
    bool sent_end, got_end;
    ntcp_outq out;       /* bytes for the socket, in chunks (a partial write moves nothing) */
    const uint8_t *pend; /* ntcp_framing_begin_envelope: payload bytes still to queue */
    size_t pend_left, pend_part;
    ntcp_buf plain;      /* upgraded plaintext not yet decoded */
    size_t plain_off;
    ntcp_buf tmp;        /* record encoding scratch before wrapping */
    ntcp_framing_close close;
    size_t drained;
    ntcp_framing_record_cb cb;
    void *cb_ctx;
    char errbuf[512];
    ntcp_status errst; /* the status errbuf explains */
    int64_t erroff;    /* the stream offset it was found at, -1 when none */
};

static ntcp_status common_new(ntcp_framing **out, ntcp_framing_role role, const ntcp_framing_limits *limits)
{
    ntcp_framing *f = ntcp_calloc(1, sizeof *f);
    if (!f)
        return NTCP_E_NOMEM;
    f->role = role;
    if (limits)
        f->lim = *limits;
    else
        ntcp_framing_limits_init(&f->lim);
    ntcp_outq_init(&f->out, OUT_MAX);
    ntcp_buf_init(&f->plain, (size_t)f->lim.max_message + 2 * 65536u);
    ntcp_buf_init(&f->tmp, OUT_MAX);
    ntcp_status st = ntcp_nmf_decoder_new(&f->dec, role == NTCP_ACCEPTOR ? NTCP_FROM_INITIATOR : NTCP_FROM_RECEIVER,
                                          NTCP_START_PREAMBLE, &f->lim);
    if (st) {
        ntcp_free(f);
        return st;
    }
    *out = f;
    return NTCP_OK;
}

ntcp_status ntcp_framing_new_initiator(ntcp_framing **out, const ntcp_framing_initiator_config *cfg,
                                       const ntcp_framing_limits *limits)
{
    if (!out || !cfg || !cfg->via)
        return NTCP_E_INVALID_ARG;
    if (cfg->encoding < 0 ? !cfg->content_type : cfg->encoding > 0xFF)
        return NTCP_E_INVALID_ARG;
    ntcp_framing *f;
    ntcp_status st = common_new(&f, NTCP_INITIATOR, limits);
    if (st)
        return st;
    f->icfg = *cfg;
    f->mode = cfg->mode;
    f->via = ntcp_strndup(cfg->via, strlen(cfg->via));
    f->content_type = cfg->content_type ? ntcp_strndup(cfg->content_type, strlen(cfg->content_type)) : NULL;
    if (!f->via || (cfg->content_type && !f->content_type)) {
        ntcp_framing_free(f);
        return NTCP_E_NOMEM;
    }
    f->icfg.via = f->via;
    f->icfg.content_type = f->content_type;
    ntcp_nmf__decoder_set_mode(f->dec, f->mode);
    *out = f;
    return NTCP_OK;
}

ntcp_status ntcp_framing_new_acceptor(ntcp_framing **out, const ntcp_framing_acceptor_config *cfg,
                                      const ntcp_framing_limits *limits)
{
    ntcp_framing_acceptor_config defaults;
    ntcp_framing_acceptor_config_init(&defaults);
    if (!out)
        return NTCP_E_INVALID_ARG;
    ntcp_framing *f;
    ntcp_status st = common_new(&f, NTCP_ACCEPTOR, limits);
    if (st)
        return st;
    f->acfg = cfg ? *cfg : defaults;
    *out = f;
    return NTCP_OK;
}

void ntcp_framing_free(ntcp_framing *f)
{
    if (!f)
        return;
    ntcp_nmf_decoder_free(f->dec);
    ntcp_outq_free(&f->out);
    ntcp_buf_free(&f->plain);
    ntcp_buf_free(&f->tmp);
    ntcp_free(f->via);
    ntcp_free(f->content_type);
    ntcp_free(f);
}

void ntcp_framing_set_record_cb(ntcp_framing *f, ntcp_framing_record_cb cb, void *ctx)
{
    f->cb = cb;
    f->cb_ctx = ctx;
}

void ntcp_framing_set_upgrade(ntcp_framing *f, const ntcp_stream *up) { f->up = up; }

ntcp_status ntcp_stream_query(const ntcp_stream *s, ntcp_stream_query_what what, void *out)
{
    return s && s->query ? s->query(s->ctx, what, out) : NTCP_E_UNSUPPORTED;
}

void ntcp_stream_free(ntcp_stream *s)
{
    if (s && s->destroy)
        s->destroy(s);
}

/* One piece: the chunks are joined when there are several (a copy; the I/O
 * loops take ntcp_framing_output_iov instead). Out of memory for the join,
 * the first chunk alone. */
void ntcp_framing_output(ntcp_framing *f, const uint8_t **data, size_t *len)
{
    if (ntcp_outq_join(&f->out, data, len) != NTCP_OK) {
        struct iovec v;
        ntcp_outq_iov(&f->out, &v, 1);
        *data = v.iov_base;
        *len = v.iov_len;
    }
}

size_t ntcp_framing_output_iov(const ntcp_framing *f, struct iovec *iov, size_t max)
{
    return ntcp_outq_iov(&f->out, iov, max);
}

size_t ntcp_framing_output_pending(const ntcp_framing *f) { return ntcp_outq_pending(&f->out); }

/* A partial write moves an offset; written chunks are freed. */
void ntcp_framing_output_consumed(ntcp_framing *f, size_t n) { ntcp_outq_consume(&f->out, n); }

/* The stream's send into the output queue (hint: the bytes to protect). */
static ntcp_status up_send_q(ntcp_framing *f, const uint8_t *p, size_t n)
{
    ntcp_buf *b = ntcp_outq_begin(&f->out, n + n / 64 + 256);
    if (!b)
        return NTCP_E_NOMEM;
    ntcp_status st = f->up->send(f->up->ctx, p, n, b);
    ntcp_outq_end(&f->out);
    return st;
}
ntcp_framing_close ntcp_framing_close_action(const ntcp_framing *f) { return f->close; }
bool ntcp_framing_is_open(const ntcp_framing *f) { return f->state == ST_OPEN; }
bool ntcp_framing_is_closed(const ntcp_framing *f) { return f->state == ST_CLOSED; }
const char *ntcp_framing_last_error(const ntcp_framing *f) { return f->errbuf; }
ntcp_status ntcp_framing_last_error_status(const ntcp_framing *f) { return f->errst; }
int64_t ntcp_framing_last_error_offset(const ntcp_framing *f) { return f->errst ? f->erroff : -1; }
const char *ntcp_framing_via(const ntcp_framing *f) { return f->via; }
const char *ntcp_framing_content_type(const ntcp_framing *f) { return f->content_type; }
int ntcp_framing_mode(const ntcp_framing *f) { return f->mode; }

static ntcp_status set_error(ntcp_framing *f, ntcp_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#include <stdarg.h>
static ntcp_status set_error(ntcp_framing *f, ntcp_status st, const char *fmt, ...)
{
    va_list ap;
    f->errst = st;
    f->erroff = -1;
    int n = snprintf(f->errbuf, sizeof f->errbuf, "%s (%s): ", ntcp_status_str(st), ntcp_status_name(st));
    if (n < 0 || (size_t)n >= sizeof f->errbuf)
        return st;
    va_start(ap, fmt);
    vsnprintf(f->errbuf + n, sizeof f->errbuf - (size_t)n, fmt, ap);
    va_end(ap);
    return st;
}

/* A failure of the stream (the security layer), in its own words. */
static void stream_error(ntcp_framing *f, ntcp_status code, const char *what, ntcp_status st)
{
    ntcp_error e;
    ntcp_error_clear(&e);
    bool told = ntcp_stream_query(f->up, NTCP_STREAM_QUERY_ERROR, &e) == NTCP_OK && e.status;
    set_error(f, code, "%s%s: %s", what, f->up->name ? f->up->name : "the upgrade",
              told ? e.text : ntcp_status_str(st));
}

/* A failure the session cannot recover from: the connection is aborted. */
static ntcp_status fatal(ntcp_framing *f, ntcp_status st)
{
    f->state = ST_FAILED;
    f->close = NTCP_CLOSE_ABORT;
    return st;
}

static void notify(ntcp_framing *f, bool sent, const ntcp_nmf_record *rec)
{
    if (f->cb)
        f->cb(f->cb_ctx, sent, rec);
}

/* Appends the record bytes in f->tmp to the output, through the upgrade when
 * it is active. */
static ntcp_status emit_tmp(ntcp_framing *f, int type, size_t payload_size)
{
    ntcp_status st;
    if (f->up_active) {
        st = up_send_q(f, f->tmp.data, f->tmp.len);
    } else {
        st = ntcp_outq_append(&f->out, f->tmp.data, f->tmp.len);
    }
    if (st == NTCP_OK && f->cb) {
        ntcp_nmf_record rec;
        memset(&rec, 0, sizeof rec);
        rec.type = (ntcp_nmf_record_type)type;
        rec.wire_size = f->tmp.len;
        rec.size = payload_size;
        rec.data = f->tmp.data + (f->tmp.len - payload_size);
        notify(f, true, &rec);
    }
    ntcp_buf_reset(&f->tmp);
    return st;
}

/* A SizedEnvelope's header and its first `first` payload bytes (all of them
 * when first == len), the payload taken where the caller has it: through an
 * upgrade's send_parts, else joined with the header only when an upgrade
 * must see them in one call. The trace sees the whole record. */
static ntcp_status emit_sized(ntcp_framing *f, const uint8_t *p, size_t len, size_t first)
{
    ntcp_buf_reset(&f->tmp);
    ntcp_status st = ntcp_nmf_put_sized_envelope_header(&f->tmp, len);
    size_t hlen = f->tmp.len;
    if (st) {
        /* nothing queued */
    } else if (f->up_active && f->up->send_parts) {
        ntcp_buf *b = ntcp_outq_begin(&f->out, hlen + first + first / 64 + 256);
        st = b ? f->up->send_parts(f->up->ctx, f->tmp.data, f->tmp.len, p, first, b) : NTCP_E_NOMEM;
        ntcp_outq_end(&f->out);
    } else if (f->up_active) {
        st = ntcp_buf_append(&f->tmp, p, first);
        if (!st)
            st = up_send_q(f, f->tmp.data, f->tmp.len);
    } else {
        ntcp_buf *b = ntcp_outq_begin(&f->out, hlen + first);
        if (!b) {
            st = NTCP_E_NOMEM;
        } else {
            size_t save = b->len;
            st = ntcp_buf_append(b, f->tmp.data, f->tmp.len);
            if (!st)
                st = ntcp_buf_append(b, p, first);
            if (st)
                b->len = save;
            ntcp_outq_end(&f->out);
        }
    }
    if (st == NTCP_OK && f->cb) {
        ntcp_nmf_record rec;
        memset(&rec, 0, sizeof rec);
        rec.type = NTCP_NMF_SIZED_ENVELOPE;
        rec.wire_size = hlen + len;
        rec.size = len;
        rec.data = p;
        notify(f, true, &rec);
    }
    ntcp_buf_reset(&f->tmp);
    return st;
}

static ntcp_status emit_simple(ntcp_framing *f, ntcp_nmf_record_type t)
{
    ntcp_buf_reset(&f->tmp);
    ntcp_status st = ntcp_nmf_put_simple(&f->tmp, t);
    return st ? st : emit_tmp(f, t, 0);
}

/* Acceptor refusal: queue WCF's fault (or abort where WCF aborts). */
static ntcp_status refuse(ntcp_framing *f, ntcp_status st, ntcp_framing_event *ev)
{
    const char *fault = ntcp_nmf_status_fault(st);
    if (st == NTCP_E_UPGRADE_REQUIRED && !f->acfg.fault_on_missing_upgrade)
        fault = NULL;
    if (f->role == NTCP_ACCEPTOR && fault && (!f->up_active || f->up->established(f->up->ctx))) {
        ntcp_buf_reset(&f->tmp);
        if (ntcp_nmf_put_fault(&f->tmp, fault) == NTCP_OK &&
            emit_tmp(f, NTCP_NMF_FAULT, strlen(fault)) == NTCP_OK) {
            f->state = ST_FAULTED;
            f->close = NTCP_CLOSE_AFTER_WRITE_DRAIN;
            f->drained = 0;
            if (ev) {
                ev->type = NTCP_FEV_FAULT;
                ev->data = (const uint8_t *)fault;
                ev->len = strlen(fault);
                ev->fault_status = st;
            }
            return st;
        }
    }
    return fatal(f, st);
}

ntcp_status ntcp_framing_start(ntcp_framing *f)
{
    if (f->role != NTCP_INITIATOR || (f->state != ST_IDLE && f->state != ST_CLOSED))
        return NTCP_E_STATE;
    const ntcp_framing_initiator_config *c = &f->icfg;
    if (strlen(c->via) > f->lim.max_via)
        return set_error(f, NTCP_E_VIA_TOO_LONG, "the via is %zu bytes", strlen(c->via));
    f->up_active = false;
    f->up_done_reported = false;
    f->sent_end = f->got_end = false;
    f->close = NTCP_CLOSE_NONE;
    f->plain.len = f->plain_off = 0;
    ntcp_nmf__decoder_reset(f->dec);
    ntcp_nmf__decoder_set_mode(f->dec, c->mode);
    /* MC-NMF 2.2.3: Version, Mode, Via, Encoding — one write, as WCF does */
    struct pre_rec {
        int type;
        ntcp_status st;
        size_t payload;
        const char *data;
    } recs[6];
    int n = 0;
    ntcp_buf_reset(&f->tmp);
    recs[n++] = (struct pre_rec){ NTCP_NMF_VERSION, ntcp_nmf_put_version(&f->tmp), 0, NULL };
    recs[n++] = (struct pre_rec){ NTCP_NMF_MODE, ntcp_nmf_put_mode(&f->tmp, c->mode), 0, NULL };
    recs[n++] = (struct pre_rec){ NTCP_NMF_VIA, ntcp_nmf_put_via(&f->tmp, c->via, strlen(c->via)), strlen(c->via), c->via };
    if (c->encoding >= 0)
        recs[n++] = (struct pre_rec){ NTCP_NMF_KNOWN_ENCODING,
                                       ntcp_nmf_put_known_encoding(&f->tmp, (ntcp_nmf_encoding)c->encoding), 0, NULL };
    else
        recs[n++] = (struct pre_rec){ NTCP_NMF_EXTENSIBLE_ENCODING,
                                       ntcp_nmf_put_extensible_encoding(&f->tmp, c->content_type,
                                                                        strlen(c->content_type)),
                                       strlen(c->content_type), c->content_type };
    bool preamble_modes = c->mode == NTCP_MODE_DUPLEX || c->mode == NTCP_MODE_SINGLETON_UNSIZED;
    if (preamble_modes && c->upgrade_name)
        recs[n++] = (struct pre_rec){ NTCP_NMF_UPGRADE_REQUEST,
                                       ntcp_nmf_put_upgrade_request(&f->tmp, c->upgrade_name,
                                                                    strlen(c->upgrade_name)),
                                       strlen(c->upgrade_name), c->upgrade_name };
    else if (preamble_modes)
        recs[n++] = (struct pre_rec){ NTCP_NMF_PREAMBLE_END, ntcp_nmf_put_simple(&f->tmp, NTCP_NMF_PREAMBLE_END), 0, NULL };
    for (int i = 0; i < n; i++)
        if (recs[i].st)
            return set_error(f, recs[i].st, "encoding the preamble");
    ntcp_status st = ntcp_outq_append(&f->out, f->tmp.data, f->tmp.len);
    if (st)
        return st;
    if (f->cb) {
        ntcp_nmf_record rec;
        for (int i = 0; i < n; i++) {
            memset(&rec, 0, sizeof rec);
            rec.type = (ntcp_nmf_record_type)recs[i].type;
            rec.size = recs[i].payload;
            rec.data = (const uint8_t *)(recs[i].data ? recs[i].data : "");
            rec.mode = (uint8_t)c->mode;
            rec.encoding = (uint8_t)(c->encoding >= 0 ? c->encoding : 0);
            rec.major = 1;
            notify(f, true, &rec);
        }
    }
    ntcp_buf_reset(&f->tmp);
    if (!preamble_modes)
        f->state = ST_OPEN; /* simplex / singleton-sized: no acknowledgement */
    else
        f->state = c->upgrade_name ? ST_PREAMBLE : ST_WAIT_ACK;
    return NTCP_OK;
}

/* Simplex and singleton-sized connections carry records one way only
 * (PROTOCOLS.md 1.3): their receiver sends nothing but a fault. */
static bool one_way_receiver(const ntcp_framing *f)
{
    return f->role == NTCP_ACCEPTOR && (f->mode == NTCP_MODE_SIMPLEX || f->mode == NTCP_MODE_SINGLETON_SIZED);
}

ntcp_status ntcp_framing_send_envelope(ntcp_framing *f, const uint8_t *p, size_t len)
{
    if (f->state != ST_OPEN || f->sent_end || f->pend_left || one_way_receiver(f))
        return NTCP_E_STATE;
    if (len == 0 || len > NTCP_VARINT_MAX_VALUE)
        return NTCP_E_INVALID_ARG;
    if (f->mode != NTCP_MODE_SINGLETON_UNSIZED && f->mode != NTCP_MODE_SINGLETON_SIZED)
        return emit_sized(f, p, len, len);
    ntcp_buf_reset(&f->tmp);
    ntcp_status st;
    int type = NTCP_NMF_SIZED_ENVELOPE;
    if (f->mode == NTCP_MODE_SINGLETON_UNSIZED) {
        type = NTCP_NMF_UNSIZED_ENVELOPE;
        st = ntcp_nmf_put_unsized_envelope(&f->tmp, p, len, 65536);
    } else {
        st = ntcp_buf_append(&f->tmp, p, len); /* the message is the rest of the stream */
    }
    if (st)
        return st;
    return emit_tmp(f, type, len);
}

static void closed(ntcp_framing *f)
{
    f->state = ST_CLOSED;
    f->close = NTCP_CLOSE_GRACEFUL;
    /* A pooled connection continues with a fresh preamble on the raw
     * stream (PROTOCOLS.md 1.9); the upgrade belongs to this session only. */
    f->up_active = false;
    f->up_done_reported = false;
    f->up = NULL;
    f->upgrades = 0;
    if (f->role == NTCP_ACCEPTOR)
        ntcp_nmf__decoder_reset(f->dec);
}

/* Queues payload bytes of the envelope begun by ntcp_framing_begin_envelope:
 * through the upgrade when active, else as they are. */
static ntcp_status queue_payload(ntcp_framing *f, const uint8_t *p, size_t n)
{
    return f->up_active ? up_send_q(f, p, n) : ntcp_outq_append(&f->out, p, n);
}

ntcp_status ntcp_framing_begin_envelope(ntcp_framing *f, const uint8_t *p, size_t len, size_t part)
{
    if (f->state != ST_OPEN || f->sent_end || f->pend_left || one_way_receiver(f))
        return NTCP_E_STATE;
    if (len == 0 || len > NTCP_VARINT_MAX_VALUE || part == 0)
        return NTCP_E_INVALID_ARG;
    if (len <= part || f->mode == NTCP_MODE_SINGLETON_UNSIZED || f->mode == NTCP_MODE_SINGLETON_SIZED)
        return ntcp_framing_send_envelope(f, p, len);
    ntcp_status st = emit_sized(f, p, len, part);
    if (st)
        return set_error(f, st, "sending a %zu-byte envelope", len);
    f->pend = p + part;
    f->pend_left = len - part;
    f->pend_part = part;
    return NTCP_OK;
}

size_t ntcp_framing_envelope_pending(const ntcp_framing *f) { return f->pend_left; }

ntcp_status ntcp_framing_continue_envelope(ntcp_framing *f)
{
    if (!f->pend_left)
        return NTCP_OK;
    if (f->state != ST_OPEN)
        return NTCP_E_STATE;
    size_t n = f->pend_left < f->pend_part ? f->pend_left : f->pend_part;
    ntcp_status st = queue_payload(f, f->pend, n);
    if (st) {
        f->pend_left = 0; /* the record cannot be completed: the session fails */
        return fatal(f, set_error(f, st, "sending the rest of an envelope"));
    }
    f->pend += n;
    f->pend_left -= n;
    return NTCP_OK;
}

ntcp_status ntcp_framing_send_end(ntcp_framing *f)
{
    if (f->sent_end || f->state != ST_OPEN || f->pend_left || one_way_receiver(f))
        return NTCP_E_STATE;
    if (f->mode == NTCP_MODE_SINGLETON_SIZED)
        return NTCP_E_STATE; /* the message ends with the stream */
    ntcp_status st = emit_simple(f, NTCP_NMF_END);
    if (st)
        return st;
    f->sent_end = true;
    if (f->got_end || f->mode == NTCP_MODE_SIMPLEX)
        closed(f);
    return NTCP_OK;
}

ntcp_status ntcp_framing_send_fault(ntcp_framing *f, const char *fault)
{
    if (f->role != NTCP_ACCEPTOR || f->state == ST_FAULTED || f->state == ST_FAILED)
        return NTCP_E_STATE;
    ntcp_buf_reset(&f->tmp);
    ntcp_status st = ntcp_nmf_put_fault(&f->tmp, fault);
    if (st)
        return st;
    uint32_t flen = 0;
    size_t used = 0;
    if (ntcp_varint_decode(f->tmp.data + 1, f->tmp.len - 1, &flen, &used) != NTCP_OK)
        return NTCP_E_INVALID_ARG;
    st = emit_tmp(f, NTCP_NMF_FAULT, flen);
    if (st)
        return st;
    f->state = ST_FAULTED;
    f->close = NTCP_CLOSE_AFTER_WRITE_DRAIN;
    f->drained = 0;
    return NTCP_OK;
}

static bool content_type_accepted(ntcp_framing *f, const ntcp_nmf_record *rec)
{
    if (rec->type == NTCP_NMF_KNOWN_ENCODING)
        return rec->encoding < 32 && (f->acfg.encodings & (1u << rec->encoding));
    for (const char *const *ct = f->acfg.extensible_content_types; ct && *ct; ct++)
        if (strlen(*ct) == rec->size && memcmp(*ct, rec->data, rec->size) == 0)
            return true;
    return false;
}

/* Acceptor: one decoded record. */
static ntcp_status acceptor_record(ntcp_framing *f, const ntcp_nmf_record *rec, ntcp_framing_event *ev)
{
    switch (rec->type) {
    case NTCP_NMF_VERSION:
        f->state = ST_PREAMBLE;
        f->sent_end = f->got_end = false;
        f->close = NTCP_CLOSE_NONE;
        ntcp_free(f->via);
        f->via = NULL;
        return NTCP_OK;
    case NTCP_NMF_MODE:
        f->mode = rec->mode;
        if (!(f->acfg.modes & (1u << rec->mode))) {
            set_error(f, NTCP_E_UNSUPPORTED_MODE, "mode %s (%u) at offset %zu is not served by this endpoint",
                      ntcp_nmf_mode_name(rec->mode), rec->mode, rec->offset);
            return refuse(f, NTCP_E_UNSUPPORTED_MODE, ev);
        }
        return NTCP_OK;
    case NTCP_NMF_VIA: {
        /* WCF parses the Via with System.Uri: a NUL in the path is escaped
         * (%00) and the Via is then looked up like any other (EndpointNotFound);
         * one in the scheme or host is no URI, and WCF aborts without a fault
         * (docs/protocols-notes.md). */
        const uint8_t *nul = memchr(rec->data, 0, rec->size);
        if (nul) {
            const uint8_t *sep = rec->size > 3 ? memmem(rec->data, rec->size, "://", 3) : NULL;
            const uint8_t *path = sep ? memchr(sep + 3, '/', rec->size - (size_t)(sep + 3 - rec->data)) : NULL;
            if (!path || nul < path) {
                set_error(f, NTCP_E_MALFORMED, "the via at offset %zu has a NUL byte before its path: not a URI",
                          rec->offset);
                return refuse(f, NTCP_E_MALFORMED, ev);
            }
        }
        size_t nuls = 0;
        for (const uint8_t *q = nul; q; q = memchr(q + 1, 0, rec->size - (size_t)(q + 1 - rec->data)))
            nuls++;
        f->via = ntcp_malloc(rec->size + 2 * nuls + 1);
        if (!f->via)
            return refuse(f, NTCP_E_NOMEM, ev);
        char *w = f->via;
        for (size_t i = 0; i < rec->size; i++) {
            if (rec->data[i]) {
                *w++ = (char)rec->data[i];
            } else {
                memcpy(w, "%00", 3);
                w += 3;
            }
        }
        *w = 0;
        return NTCP_OK;
    }
    case NTCP_NMF_KNOWN_ENCODING:
    case NTCP_NMF_EXTENSIBLE_ENCODING: {
        ntcp_free(f->content_type);
        f->content_type = rec->type == NTCP_NMF_KNOWN_ENCODING
                              ? (ntcp_nmf_encoding_content_type(rec->encoding)
                                     ? ntcp_strndup(ntcp_nmf_encoding_content_type(rec->encoding),
                                                    strlen(ntcp_nmf_encoding_content_type(rec->encoding)))
                                     : ntcp_strndup("unknown", 7))
                              : ntcp_strndup((const char *)rec->data, rec->size);
        if (!f->content_type)
            return refuse(f, NTCP_E_NOMEM, ev);
        /* WCF order: endpoint lookup, then the content type (PROTOCOLS.md 1.5) */
        if (f->acfg.via_served && !f->acfg.via_served(f->acfg.via_ctx, f->via)) {
            set_error(f, NTCP_E_ENDPOINT_NOT_FOUND, "no endpoint is listening at %s", f->via);
            return refuse(f, NTCP_E_ENDPOINT_NOT_FOUND, ev);
        }
        if (f->acfg.via_security)
            f->acfg.via_security(f->acfg.via_ctx, f->via, &f->acfg.upgrade_name, &f->acfg.require_upgrade);
        if (!content_type_accepted(f, rec)) {
            set_error(f, NTCP_E_CONTENT_TYPE_INVALID, "content type '%s' is not accepted at %s", f->content_type,
                      f->via);
            return refuse(f, NTCP_E_CONTENT_TYPE_INVALID, ev);
        }
        if (f->acfg.require_upgrade &&
            (f->mode == NTCP_MODE_SIMPLEX || f->mode == NTCP_MODE_SINGLETON_SIZED)) {
            set_error(f, NTCP_E_UPGRADE_REQUIRED, "mode %s cannot carry the required security upgrade",
                      ntcp_nmf_mode_name(f->mode));
            return refuse(f, NTCP_E_UPGRADE_REQUIRED, ev);
        }
        if (f->mode == NTCP_MODE_SIMPLEX || f->mode == NTCP_MODE_SINGLETON_SIZED)
            f->state = ST_OPEN;
        ev->type = NTCP_FEV_PREAMBLE;
        ev->via = f->via;
        ev->content_type = f->content_type;
        ev->mode = f->mode;
        return NTCP_OK;
    }
    case NTCP_NMF_UPGRADE_REQUEST: {
        const char *want = f->acfg.upgrade_name;
        if (!want || strlen(want) != rec->size || memcmp(want, rec->data, rec->size) != 0 || !f->up ||
            ++f->upgrades > f->lim.max_upgrades || f->up_active) {
            set_error(f, NTCP_E_UPGRADE_INVALID, "upgrade '%.*s' requested at offset %zu; this endpoint %s%s",
                      (int)(rec->size > 64 ? 64 : rec->size), (const char *)rec->data, rec->offset,
                      want ? "supports only " : "has no transport security", want ? want : "");
            return refuse(f, NTCP_E_UPGRADE_INVALID, ev);
        }
        /* MC-NMF 2.2.3.6: UpgradeResponse, then the upgrade owns the stream */
        ntcp_status st = emit_simple(f, NTCP_NMF_UPGRADE_RESPONSE);
        if (st)
            return refuse(f, st, ev);
        f->up_active = true;
        f->state = ST_UPGRADING;
        ntcp_nmf_decoder_resume_after_upgrade(f->dec);
        ev->type = NTCP_FEV_UPGRADE_REQUEST;
        ev->content_type = want;
        return NTCP_OK;
    }
    case NTCP_NMF_PREAMBLE_END: {
        bool secured = f->up_active && f->up->established(f->up->ctx);
        if (f->up_active && !secured) {
            set_error(f, NTCP_E_RECORD_SEQUENCE, "PreambleEnd before the upgrade handshake completed");
            return refuse(f, NTCP_E_RECORD_SEQUENCE, ev);
        }
        if (f->acfg.require_upgrade && !secured) {
            set_error(f, NTCP_E_UPGRADE_REQUIRED,
                      "the client sent PreambleEnd at offset %zu without upgrading the stream to %s", rec->offset,
                      f->acfg.upgrade_name ? f->acfg.upgrade_name : "transport security");
            return refuse(f, NTCP_E_UPGRADE_REQUIRED, ev);
        }
        ntcp_status st = emit_simple(f, NTCP_NMF_PREAMBLE_ACK);
        if (st)
            return refuse(f, st, ev);
        f->state = ST_OPEN;
        ev->type = NTCP_FEV_PREAMBLE_COMPLETE;
        return NTCP_OK;
    }
    default:
        return NTCP_OK;
    }
}

/* Initiator: one decoded record. */
static ntcp_status initiator_record(ntcp_framing *f, const ntcp_nmf_record *rec, ntcp_framing_event *ev)
{
    switch (rec->type) {
    case NTCP_NMF_UPGRADE_RESPONSE: {
        if (f->state != ST_PREAMBLE || !f->icfg.upgrade_name) {
            set_error(f, NTCP_E_RECORD_SEQUENCE, "UpgradeResponse at offset %zu without an UpgradeRequest",
                      rec->offset);
            return fatal(f, NTCP_E_RECORD_SEQUENCE);
        }
        if (!f->up) {
            set_error(f, NTCP_E_UPGRADE, "the service accepted the upgrade but no upgrade provider is set");
            return fatal(f, NTCP_E_UPGRADE);
        }
        f->up_active = true;
        f->state = ST_UPGRADING;
        ntcp_nmf_decoder_resume_after_upgrade(f->dec);
        ntcp_status st = NTCP_OK;
        if (f->up->start) {
            ntcp_buf *b = ntcp_outq_begin(&f->out, 0);
            st = b ? f->up->start(f->up->ctx, b) : NTCP_E_NOMEM;
            ntcp_outq_end(&f->out);
        }
        if (st) {
            stream_error(f, NTCP_E_UPGRADE, "starting ", st);
            return fatal(f, st);
        }
        ev->type = NTCP_FEV_UPGRADE_RESPONSE;
        ev->content_type = f->icfg.upgrade_name;
        return NTCP_OK;
    }
    case NTCP_NMF_PREAMBLE_ACK:
        if (f->state != ST_WAIT_ACK) {
            set_error(f, NTCP_E_RECORD_SEQUENCE, "PreambleAck at offset %zu before PreambleEnd was sent",
                      rec->offset);
            return fatal(f, NTCP_E_RECORD_SEQUENCE);
        }
        f->state = ST_OPEN;
        ev->type = NTCP_FEV_PREAMBLE_COMPLETE;
        return NTCP_OK;
    case NTCP_NMF_FAULT: {
        ntcp_status fs = ntcp_nmf_fault_status((const char *)rec->data, rec->size);
        set_error(f, fs, "the service sent the fault '%.*s'", (int)rec->size, (const char *)rec->data);
        f->state = ST_FAULTED;
        f->close = NTCP_CLOSE_AFTER_WRITE_DRAIN; /* stop sending, read to EOF */
        ev->type = NTCP_FEV_FAULT;
        ev->data = rec->data;
        ev->len = rec->size;
        ev->fault_status = fs;
        return NTCP_OK;
    }
    default:
        return NTCP_OK;
    }
}

static ntcp_status on_record(ntcp_framing *f, const ntcp_nmf_record *rec, ntcp_framing_event *ev)
{
    notify(f, false, rec);
    switch (rec->type) {
    case NTCP_NMF_SIZED_ENVELOPE:
    case NTCP_NMF_UNSIZED_ENVELOPE:
        if (f->state != ST_OPEN || f->got_end) {
            set_error(f, NTCP_E_RECORD_SEQUENCE, "envelope at offset %zu before the preamble completed",
                      rec->offset);
            return refuse(f, NTCP_E_RECORD_SEQUENCE, ev);
        }
        ev->type = NTCP_FEV_ENVELOPE;
        ev->data = rec->data;
        ev->len = rec->size;
        return NTCP_OK;
    case NTCP_NMF_END:
        if (f->state != ST_OPEN) {
            set_error(f, NTCP_E_RECORD_SEQUENCE, "End at offset %zu before the preamble completed", rec->offset);
            return refuse(f, NTCP_E_RECORD_SEQUENCE, ev);
        }
        f->got_end = true;
        if (f->sent_end || f->mode == NTCP_MODE_SIMPLEX) {
            closed(f);
            ev->type = NTCP_FEV_CLOSED;
        } else {
            ev->type = NTCP_FEV_END;
        }
        return NTCP_OK;
    default:
        return f->role == NTCP_ACCEPTOR ? acceptor_record(f, rec, ev) : initiator_record(f, rec, ev);
    }
}

static ntcp_status decode_error(ntcp_framing *f, ntcp_status st, ntcp_framing_event *ev)
{
    size_t off = ntcp_nmf_decoder_offset(f->dec);
    set_error(f, st, "%s stream offset %zu", f->up_active ? "upgraded (plaintext)" : "framing", off);
    f->erroff = (int64_t)off;
    if (f->role == NTCP_ACCEPTOR)
        return refuse(f, st, ev);
    return fatal(f, st);
}

/* Decodes records from src; returns OK with an event, AGAIN, or an error. */
static ntcp_status decode_from(ntcp_framing *f, const uint8_t *src, size_t len, size_t *used, ntcp_framing_event *ev)
{
    *used = 0;
    while (*used < len) {
        ntcp_nmf_record rec;
        size_t c = 0;
        ntcp_status st = ntcp_nmf_decoder_feed(f->dec, src + *used, len - *used, &c, &rec);
        *used += c;
        if (st == NTCP_AGAIN || (st == NTCP_E_STATE && ntcp_nmf_decoder_at_upgrade(f->dec)))
            return NTCP_AGAIN;
        if (st)
            return decode_error(f, st, ev);
        st = on_record(f, &rec, ev);
        if (st || ev->type != NTCP_FEV_NONE)
            return st;
        if (f->state == ST_FAILED || f->state == ST_FAULTED)
            return NTCP_AGAIN;
    }
    return NTCP_AGAIN;
}

ntcp_status ntcp_framing_feed(ntcp_framing *f, const uint8_t *data, size_t len, size_t *consumed,
                              ntcp_framing_event *ev)
{
    memset(ev, 0, sizeof *ev);
    *consumed = 0;
    if (f->state == ST_FAILED)
        return NTCP_E_STATE;
    if (f->state == ST_FAULTED) {
        /* after a fault: discard what arrives, up to the drain limit */
        f->drained += len;
        *consumed = len;
        if (f->drained > f->lim.max_drain) {
            f->close = NTCP_CLOSE_ABORT;
            return set_error(f, NTCP_E_LIMIT, "more than %u bytes arrived after the fault", f->lim.max_drain);
        }
        return NTCP_AGAIN;
    }
    if (f->role == NTCP_INITIATOR && f->state == ST_IDLE)
        return len ? set_error(f, NTCP_E_STATE, "bytes arrived before the preamble was sent") : NTCP_AGAIN;

    if (!f->up_active) {
        size_t used;
        if (len == 0)
            return NTCP_AGAIN;
        ntcp_status st = decode_from(f, data, len, &used, ev);
        *consumed = used;
        return st == NTCP_AGAIN && ev->type != NTCP_FEV_NONE ? NTCP_OK : st;
    }

    /* upgraded: drop what was decoded last time, then pass raw bytes
     * through the upgrade and decode its plaintext. The plaintext buffer
     * keeps a large envelope's payload until it is whole (the decoder
     * retains it, see ntcp_nmf_decoder_set_retain), so it is compacted only
     * when that moves little, and the raw bytes taken per call are bounded
     * by its room (plaintext is never longer than the bytes it came from). */
    if (f->plain_off == f->plain.len) {
        f->plain.len = f->plain_off = 0;
    } else if (f->plain_off && (f->plain_off >= f->plain.len - f->plain_off || f->plain.len - f->plain_off <= 4096)) {
        ntcp_buf_consume(&f->plain, f->plain_off);
        f->plain_off = 0;
    }
    if (len) {
        size_t c = 0, room = f->plain.max - f->plain.len;
        if (!room) /* cannot happen: a retained payload leaves at least the 128 KiB margin */
            return fatal(f, set_error(f, NTCP_E_LIMIT, "no room for upgraded plaintext"));
        ntcp_buf *ob = ntcp_outq_begin(&f->out, 0);
        ntcp_status st = ob ? f->up->recv(f->up->ctx, data, len < room ? len : room, &c, &f->plain, ob) : NTCP_E_NOMEM;
        ntcp_outq_end(&f->out);
        *consumed = c;
        if (st && st != NTCP_AGAIN) {
            stream_error(f, st, "", st);
            return fatal(f, st);
        }
    }
    if (!f->up_done_reported && f->up->established(f->up->ctx)) {
        f->up_done_reported = true;
        if (f->role == NTCP_INITIATOR) {
            /* MC-NMF 2.2.3.7: PreambleEnd travels through the upgraded stream */
            ntcp_status st = emit_simple(f, NTCP_NMF_PREAMBLE_END);
            if (st)
                return set_error(f, st, "sending PreambleEnd");
            f->state = ST_WAIT_ACK;
        } else {
            f->state = ST_PREAMBLE;
        }
        ev->type = NTCP_FEV_UPGRADE_COMPLETE;
        return NTCP_OK;
    }
    size_t avail = f->plain.len - f->plain_off;
    if (avail == 0)
        return NTCP_AGAIN;
    if (!f->up_done_reported) {
        set_error(f, NTCP_E_RECORD_SEQUENCE, "application bytes before the upgrade handshake completed");
        return fatal(f, NTCP_E_RECORD_SEQUENCE);
    }
    size_t used;
    ntcp_nmf_decoder_set_retain(f->dec, true);
    ntcp_status st = decode_from(f, f->plain.data + f->plain_off, avail, &used, ev);
    ntcp_nmf_decoder_set_retain(f->dec, false);
    f->plain_off += used;
    if (st == NTCP_AGAIN && ev->type != NTCP_FEV_NONE)
        st = NTCP_OK;
    /* the peer's next preamble starts on the raw stream (acceptor reuse) */
    if (f->state == ST_CLOSED && f->plain_off < f->plain.len) {
        set_error(f, NTCP_E_RECORD_SEQUENCE, "bytes after End inside the upgraded stream");
        return fatal(f, NTCP_E_RECORD_SEQUENCE);
    }
    return st;
}

ntcp_status ntcp_framing_feed_eof(ntcp_framing *f, ntcp_framing_event *ev)
{
    memset(ev, 0, sizeof *ev);
    if (f->state == ST_CLOSED || f->state == ST_FAULTED || f->state == ST_FAILED)
        return NTCP_OK;
    if (f->role == NTCP_ACCEPTOR && f->mode == NTCP_MODE_SINGLETON_SIZED && f->state == ST_OPEN) {
        /* singleton-sized: the message is everything up to the end of the stream */
        ntcp_nmf_record rec;
        bool have = false;
        ntcp_status st = ntcp_nmf_decoder_finish(f->dec, &rec, &have);
        if (st)
            return decode_error(f, st, ev);
        f->state = ST_CLOSED;
        f->close = NTCP_CLOSE_GRACEFUL;
        if (have) {
            notify(f, false, &rec);
            ev->type = NTCP_FEV_ENVELOPE;
            ev->data = rec.data;
            ev->len = rec.size;
        }
        return NTCP_OK;
    }
    if (f->role == NTCP_ACCEPTOR && f->state == ST_IDLE)
        return NTCP_OK; /* a pooled connection closed between sessions */
    return set_error(f, NTCP_E_CONNECTION_RESET, "the peer closed the connection %s",
                     f->state == ST_OPEN ? "without the End exchange" : "during the preamble");
}
