/* Client channel at the message level (see include/nettcp/channel.h). */
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <nettcp/channel.h>
#include "channel/conn.h"
#include "channel/channel_int.h"

struct ntcp_channel {
    ntcp_channel_options o;
    ntcp_framing *f;
    ntcp_conn conn;
    int fd;
    bool timed_out; /* a wait timed out: the session is aborted, not closed (as WCF faults it) */
    ntcp_error err;
};

/* One deadline per operation, computed once: each wait inside it gets what
 * is left (channel.h: the open timeout covers connect + preamble +
 * handshake). */
static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long deadline_in(int timeout_ms) { return now_ms() + timeout_ms; }

static int left(long long deadline)
{
    long long r = deadline - now_ms();
    return r < 0 ? 0 : r > 0x7fffffff ? 0x7fffffff : (int)r;
}

void ntcp_channel_options_init(ntcp_channel_options *o)
{
    memset(o, 0, sizeof *o);
    o->mode = NTCP_MODE_DUPLEX;
    o->encoding = NTCP_ENC_BINARY_SESSION;
    o->open_timeout_ms = 60000;
    o->send_timeout_ms = 60000;
    o->receive_timeout_ms = 600000;
    o->close_timeout_ms = 60000;
    ntcp_framing_limits_init(&o->limits);
}

ntcp_cause ntcp_failure_cause(ntcp_status st, ntcp_channel_step step, bool upgrade_requested)
{
    switch ((int)st) {
    case NTCP_E_CONNECTION_RESET:
    case NTCP_E_CLOSED:
        /* A WCF service that requires transport security aborts, without a
         * fault, a client whose preamble ends without an upgrade request. */
        return !upgrade_requested && (step == NTCP_STEP_PREAMBLE || step == NTCP_STEP_PREAMBLE_ACK)
                   ? NTCP_CAUSE_SECURITY_MODE_MISMATCH
                   : NTCP_CAUSE_CONNECTION_RESET;
    case NTCP_E_ACCESS_DENIED:
        /* the service's answer to a preamble without the upgrade it requires */
        return !upgrade_requested && step <= NTCP_STEP_PREAMBLE_ACK ? NTCP_CAUSE_SECURITY_MODE_MISMATCH
                                                                    : NTCP_CAUSE_ENDPOINT_ACCESS_DENIED;
    default: return ntcp_cause_of_status(st);
    }
}

ntcp_status ntcp_url_parse(const char *url, ntcp_url *out, const char **why)
{
    static const char scheme[] = "net.tcp://";
    const char *dummy;
    if (!why)
        why = &dummy;
    memset(out, 0, sizeof *out);
    if (strncasecmp(url, scheme, sizeof scheme - 1) != 0) {
        *why = "the address must start with net.tcp://";
        return NTCP_E_INVALID_ARG;
    }
    const char *p = url + sizeof scheme - 1, *host, *hend;
    if (*p == '[') {
        host = p + 1;
        hend = strchr(host, ']');
        if (!hend) {
            *why = "an IPv6 address must be closed with ]";
            return NTCP_E_INVALID_ARG;
        }
        p = hend + 1;
    } else {
        host = p;
        while (*p && *p != ':' && *p != '/')
            p++;
        hend = p;
    }
    size_t hl = (size_t)(hend - host);
    if (hl == 0 || hl >= sizeof out->host) {
        *why = "the address has no host, or a host name that is too long";
        return NTCP_E_INVALID_ARG;
    }
    memcpy(out->host, host, hl);
    strcpy(out->port, "808");
    if (*p == ':') {
        const char *ps = ++p;
        while (*p >= '0' && *p <= '9')
            p++;
        size_t pl = (size_t)(p - ps);
        long v = pl ? strtol(ps, NULL, 10) : 0;
        if (pl == 0 || pl > 5 || v < 0 || v > 65535 || (*p && *p != '/')) { /* 0: any free port (listening) */
            *why = "the port must be a number from 0 to 65535";
            return NTCP_E_INVALID_ARG;
        }
        memcpy(out->port, ps, pl);
        out->port[pl] = 0;
    } else if (*p && *p != '/') {
        *why = "unexpected character after the host";
        return NTCP_E_INVALID_ARG;
    }
    size_t pl = strlen(p);
    if (pl >= sizeof out->path) {
        *why = "the path is too long";
        return NTCP_E_INVALID_ARG;
    }
    memcpy(out->path, *p ? p : "/", *p ? pl + 1 : 2);
    return NTCP_OK;
}

static ntcp_status fail(ntcp_channel *ch, ntcp_channel_step step, ntcp_status st, const char *detail)
{
    ntcp_error_clear(&ch->err);
    return ntcp_error_set(&ch->err, st, ntcp_failure_cause(st, step, ch->o.upgrade != NULL), step, "%s: %s (%s)%s%s",
                          ntcp_channel_step_name(step), ntcp_status_str(st), ntcp_status_name(st),
                          detail && *detail ? ": " : "", detail ? detail : "");
}

/* A failure the framing session explained (in its text when it was about
 * this status). */
static ntcp_status fail_framing(ntcp_channel *ch, ntcp_channel_step step, ntcp_status st)
{
    if (!ch->f || ntcp_framing_last_error_status(ch->f) != st)
        return fail(ch, step, st, NULL);
    ntcp_error_clear(&ch->err);
    ch->err.offset = ntcp_framing_last_error_offset(ch->f);
    return ntcp_error_set(&ch->err, st, ntcp_failure_cause(st, step, ch->o.upgrade != NULL), step, "%s: %s",
                          ntcp_channel_step_name(step), ntcp_framing_last_error(ch->f));
}

static void enter(const ntcp_channel *ch, ntcp_channel_step *cur, ntcp_channel_step next)
{
    *cur = next;
    if (ch->o.step_cb)
        ch->o.step_cb(ch->o.step_ctx, next);
}

static void destroy(ntcp_channel *ch, bool abort_conn)
{
    if (ch->fd >= 0) {
        if (abort_conn)
            ntcp_tcp_abort(ch->fd);
        else
            ntcp_conn_close(&ch->conn, ch->o.close_timeout_ms);
    }
    ntcp_conn_free(&ch->conn);
    ntcp_framing_free(ch->f);
    ntcp_free(ch);
}

ntcp_status ntcp_channel_open(ntcp_channel **out, const char *url, const ntcp_channel_options *o,
                              ntcp_error *err)
{
    ntcp_channel_options defaults;
    ntcp_channel_options_init(&defaults);
    ntcp_channel_step step = NTCP_STEP_RESOLVE;
    *out = NULL;
    ntcp_channel *ch = ntcp_calloc(1, sizeof *ch);
    if (!ch) {
        ntcp_error_clear(err);
        return ntcp_error_set(err, NTCP_E_NOMEM, NTCP_CAUSE_OUT_OF_MEMORY, step, "out of memory");
    }
    ntcp_error_clear(&ch->err);
    ch->fd = -1;
    ch->o = o ? *o : defaults;
    if (ch->o.step_cb)
        ch->o.step_cb(ch->o.step_ctx, step);
    ntcp_url u;
    const char *why = NULL;
    ntcp_status st = ntcp_url_parse(url, &u, &why);
    if (st) {
        fail(ch, step, st, why);
        ch->err.cause = NTCP_CAUSE_BAD_ADDRESS;
        goto out;
    }
    if (ch->o.upgrade && (ch->o.mode == NTCP_MODE_SIMPLEX || ch->o.mode == NTCP_MODE_SINGLETON_SIZED)) {
        /* these modes have no preamble exchange to upgrade the stream in: never send in clear instead */
        st = NTCP_E_UPGRADE_REQUIRED;
        fail(ch, NTCP_STEP_PREAMBLE, st, "the simplex and singleton modes cannot carry transport security: "
                                         "use duplex or streamed, or security None");
        step = NTCP_STEP_PREAMBLE;
        goto out;
    }
    ntcp_framing_initiator_config ic;
    ntcp_framing_initiator_config_init(&ic);
    ic.via = url;
    ic.mode = ch->o.mode;
    ic.encoding = ch->o.encoding;
    ic.upgrade_name = ch->o.upgrade ? ch->o.upgrade->name : NULL;
    st = ntcp_framing_new_initiator(&ch->f, &ic, &ch->o.limits);
    if (st) {
        fail(ch, step, st, "creating the framing session");
        goto out;
    }
    if (ch->o.upgrade)
        ntcp_framing_set_upgrade(ch->f, ch->o.upgrade);
    if (ch->o.record_cb)
        ntcp_framing_set_record_cb(ch->f, ch->o.record_cb, ch->o.record_ctx);
    long long deadline = deadline_in(ch->o.open_timeout_ms);
    enter(ch, &step, NTCP_STEP_CONNECT);
    st = ntcp_tcp_connect(u.host, u.port, left(deadline), &ch->fd);
    if (st) {
        char d[320];
        snprintf(d, sizeof d, "%s port %s", u.host, u.port);
        fail(ch, st == NTCP_E_RESOLVE ? NTCP_STEP_RESOLVE : step, st, d);
        ch->fd = -1;
        goto out;
    }
    st = ntcp_conn_init(&ch->conn, ch->fd, ch->f);
    if (st)
        goto out;
    ch->conn.max_drain = ch->o.limits.max_drain;
    enter(ch, &step, NTCP_STEP_PREAMBLE);
    st = ntcp_framing_start(ch->f);
    if (st) {
        fail_framing(ch, step, st);
        goto out;
    }
    /* simplex and singleton-sized have no PreambleEnd/Ack (MC-NMF 2.2.3.2):
     * the preamble goes out with the first message */
    for (; !ntcp_framing_is_open(ch->f);) {
        ntcp_framing_event ev;
        st = ntcp_conn_next_event(&ch->conn, left(deadline), &ev);
        if (st == NTCP_OK && ev.type == NTCP_FEV_FAULT) {
            st = ev.fault_status;
            fail_framing(ch, step, st);
            goto out;
        }
        if (st) {
            if (st == NTCP_E_CONNECTION_RESET && step == NTCP_STEP_HANDSHAKE)
                fail(ch, step, st, "the service closed the connection during the security handshake");
            else
                fail_framing(ch, step, st);
            goto out;
        }
        if (ev.type == NTCP_FEV_NONE && ch->conn.eof) {
            st = NTCP_E_CONNECTION_RESET;
            fail(ch, step, st, "the service closed the connection");
            goto out;
        }
        if (ev.type == NTCP_FEV_UPGRADE_RESPONSE)
            enter(ch, &step, NTCP_STEP_HANDSHAKE);
        else if (ev.type == NTCP_FEV_UPGRADE_COMPLETE)
            enter(ch, &step, NTCP_STEP_PREAMBLE_ACK);
        else if (ev.type == NTCP_FEV_PREAMBLE_COMPLETE)
            break;
    }
    *out = ch;
    ntcp_error_clear(err);
    return NTCP_OK;
out:
    if (!ch->err.status) /* a failure without its own explanation */
        fail(ch, step, st ? st : NTCP_E_IO, NULL);
    if (err)
        *err = ch->err;
    /* after a fault: stop sending, read to the service's FIN, close (as WCF's client does) */
    destroy(ch, !ch->f || st == NTCP_E_TIMEOUT || ntcp_framing_close_action(ch->f) != NTCP_CLOSE_AFTER_WRITE_DRAIN);
    return st ? st : NTCP_E_IO;
}

ntcp_status ntcp_channel_send(ntcp_channel *ch, const uint8_t *msg, size_t len)
{
    ntcp_status st = ntcp_conn_send_envelope(&ch->conn, msg, len, ch->o.send_timeout_ms);
    if (st == NTCP_E_TIMEOUT)
        ch->timed_out = true;
    return st ? fail_framing(ch, NTCP_STEP_SEND, st) : NTCP_OK;
}

ntcp_status ntcp_channel_receive(ntcp_channel *ch, const uint8_t **msg, size_t *len)
{
    long long deadline = deadline_in(ch->o.receive_timeout_ms);
    for (;;) {
        ntcp_framing_event ev;
        ntcp_status st = ntcp_conn_next_event(&ch->conn, left(deadline), &ev);
        if (st == NTCP_E_TIMEOUT)
            ch->timed_out = true;
        if (st)
            return fail_framing(ch, NTCP_STEP_RECEIVE, st);
        switch (ev.type) {
        case NTCP_FEV_ENVELOPE:
            *msg = ev.data;
            *len = ev.len;
            return NTCP_OK;
        case NTCP_FEV_FAULT:
            return fail_framing(ch, NTCP_STEP_RECEIVE, ev.fault_status);
        case NTCP_FEV_END:
            return fail(ch, NTCP_STEP_RECEIVE, NTCP_E_CLOSED, "the service ended the session");
        case NTCP_FEV_NONE:
            if (ch->conn.eof)
                return fail(ch, NTCP_STEP_RECEIVE, NTCP_E_CONNECTION_RESET, "the service closed the connection");
            break;
        default:
            break;
        }
    }
}

ntcp_status ntcp_channel_request(ntcp_channel *ch, const uint8_t *msg, size_t len, const uint8_t **reply,
                                 size_t *reply_len)
{
    ntcp_status st = ntcp_channel_send(ch, msg, len);
    return st ? st : ntcp_channel_receive(ch, reply, reply_len);
}

ntcp_status ntcp_channel_close(ntcp_channel *ch)
{
    if (!ch)
        return NTCP_OK;
    if (ch->timed_out) { /* no End wait after a timeout: the session is faulted */
        destroy(ch, true);
        return NTCP_OK;
    }
    long long deadline = deadline_in(ch->o.close_timeout_ms);
    if (ch->o.mode == NTCP_MODE_SINGLETON_SIZED || ch->o.mode == NTCP_MODE_SIMPLEX) {
        /* one way: End (simplex; singleton-sized ends with the stream), FIN, then
         * read to the service's FIN: a framing fault (e.g. UnsupportedMode) is the
         * only answer these modes can get */
        ntcp_status st = ch->o.mode == NTCP_MODE_SIMPLEX ? ntcp_framing_send_end(ch->f) : NTCP_OK;
        if (st == NTCP_OK)
            st = ntcp_conn_flush(&ch->conn, left(deadline));
        if (st == NTCP_OK && shutdown(ch->fd, SHUT_WR) != 0)
            st = NTCP_E_IO;
        while (st == NTCP_OK) {
            ntcp_framing_event ev;
            st = ntcp_conn_next_event(&ch->conn, left(deadline), &ev);
            if (st != NTCP_OK && ch->conn.eof && (st == NTCP_E_CONNECTION_RESET || st == NTCP_E_CLOSED)) {
                st = NTCP_OK; /* the service's FIN, without End: how these modes end */
                break;
            }
            if (st == NTCP_OK && ev.type == NTCP_FEV_FAULT)
                st = fail_framing(ch, NTCP_STEP_CLOSE, ev.fault_status);
            else if (st == NTCP_OK && ev.type == NTCP_FEV_NONE && ch->conn.eof)
                break;
            else if (st)
                fail_framing(ch, NTCP_STEP_CLOSE, st);
        }
        if (st == NTCP_OK) {
            close(ch->fd);
            ch->fd = -1;
        }
        destroy(ch, st != NTCP_OK);
        return st;
    }
    ntcp_status st = ntcp_framing_send_end(ch->f);
    if (st == NTCP_OK) {
        for (;;) {
            ntcp_framing_event ev;
            st = ntcp_conn_next_event(&ch->conn, left(deadline), &ev);
            if (st)
                break;
            if (ev.type == NTCP_FEV_CLOSED)
                break;
            if (ev.type == NTCP_FEV_ENVELOPE) { /* a message instead of End */
                st = NTCP_E_RECORD_SEQUENCE;
                break;
            }
            if (ev.type == NTCP_FEV_NONE && ch->conn.eof) {
                st = NTCP_E_CONNECTION_RESET;
                break;
            }
        }
    }
    destroy(ch, st != NTCP_OK);
    return st;
}

void ntcp_channel_abort(ntcp_channel *ch)
{
    if (ch)
        destroy(ch, true);
}

const ntcp_error *ntcp_channel_error(const ntcp_channel *ch) { return &ch->err; }
ntcp_framing *ntcp_channel_framing(ntcp_channel *ch) { return ch->f; }

ntcp_conn *ntcp__channel_conn(ntcp_channel *ch) { return &ch->conn; }
void ntcp__channel_timed_out(ntcp_channel *ch) { ch->timed_out = true; }

ntcp_status ntcp__channel_fail(ntcp_channel *ch, ntcp_channel_step step, ntcp_status st, const char *detail)
{
    if (detail)
        return fail(ch, step, st, detail);
    return fail_framing(ch, step, st);
}
