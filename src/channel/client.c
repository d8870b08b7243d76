/* Calling a net.tcp service (see include/nettcp/client.h). */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <nettcp/client.h>

void ntcp__writer_options_for(ntcp_xml_writer_options *wo, uint32_t max_message);

struct ntcp_client {
    ntcp_client_options o;
    ntcp_nns *nns;
    ntcp_stream_upgrade up;
    ntcp_channel *ch;
    ntcp_xml_session *in, *out;
    ntcp_xml_writer *w;
    char url[2048];
    char err[2048];
};

void ntcp_client_options_init(ntcp_client_options *o)
{
    static const ntcp_nns_options nn = NTCP_NNS_OPTIONS_INIT;
    static const ntcp_channel_options co = NTCP_CHANNEL_OPTIONS_INIT;
    static const ntcp_xml_limits xl = NTCP_XML_LIMITS_DEFAULT;
    memset(o, 0, sizeof *o);
    o->security = NTCP_SECURITY_TRANSPORT;
    o->nns = nn;
    o->channel = co;
    o->xml = xl;
}

static void client_free(ntcp_client *c)
{
    ntcp_xml_writer_free(c->w);
    ntcp_xml_session_free(c->in);
    ntcp_xml_session_free(c->out);
    ntcp_nns_free(c->nns);
    ntcp_free(c);
}

ntcp_status ntcp_client_open(ntcp_client **out, const char *url, const ntcp_client_options *o, char *err, size_t cap)
{
    *out = NULL;
    ntcp_client *c = ntcp_calloc(1, sizeof *c);
    if (!c)
        return NTCP_E_NOMEM;
    if (o)
        c->o = *o;
    else
        ntcp_client_options_init(&c->o);
    snprintf(c->url, sizeof c->url, "%s", url);
    ntcp_status st = NTCP_OK;
    ntcp_url u;
    const char *why = NULL;
    if ((st = ntcp_url_parse(url, &u, &why))) {
        snprintf(c->err, sizeof c->err, "the address: %s", why);
        goto fail;
    }
    ntcp_xml_writer_options wo;
    ntcp__writer_options_for(&wo, 64u << 20);
    if (ntcp_xml_session_new(&c->in, 0) || ntcp_xml_session_new(&c->out, 0) ||
        ntcp_xml_writer_new(&c->w, &wo, c->out)) {
        st = NTCP_E_NOMEM;
        goto fail;
    }
    ntcp_channel_options co = c->o.channel;
    co.record_cb = c->o.record_cb;
    co.record_ctx = c->o.record_ctx;
    if (c->o.security == NTCP_SECURITY_TRANSPORT) {
        ntcp_nns_options no = c->o.nns;
        if (!no.address_host)
            no.address_host = u.host;
        if ((st = ntcp_nns_new_initiator(&c->nns, &no, ntcp_gss_provider()))) {
            snprintf(c->err, sizeof c->err, "security options: %s", ntcp_nns_last_error(c->nns));
            goto fail;
        }
        ntcp_nns_as_upgrade(c->nns, &c->up);
        co.upgrade = &c->up;
    }
    ntcp_channel_step step;
    char detail[1024] = "";
    st = ntcp_channel_open(&c->ch, url, &co, &step, detail, sizeof detail);
    if (st) {
        const ntcp_nns_error *e = c->nns ? ntcp_nns_error_info(c->nns) : NULL;
        if (e && e->status) {
            char buf[1500];
            ntcp_nns_error_format(e, buf, sizeof buf);
            snprintf(c->err, sizeof c->err, "opening %s: security negotiation: %s", url, buf);
            st = e->status;
        } else {
            snprintf(c->err, sizeof c->err, "opening %s: %s%s%s", url, detail,
                     *ntcp_status_advice(st) ? "\nadvice: " : "", ntcp_status_advice(st));
        }
        goto fail;
    }
    *out = c;
    return NTCP_OK;
fail:
    if (err && cap)
        snprintf(err, cap, "%s", c->err);
    client_free(c);
    return st ? st : NTCP_E_IO;
}

const ntcp_nns_result *ntcp_client_security(const ntcp_client *c)
{
    return c->nns ? ntcp_nns_get_result(c->nns) : NULL;
}

const char *ntcp_client_last_error(const ntcp_client *c) { return c->err; }

/* One request envelope: with a MessageID (and ReplyTo anonymous) when a
 * reply is expected, without for one-way messages. On failure out is freed
 * and c->err says why. */
static ntcp_status write_message(ntcp_client *c, const char *action, const char *id, const char *body,
                                 size_t body_len, ntcp_buf *out)
{
    ntcp_soap_out m = { 0 };
    m.action = action;
    m.message_id = id;
    m.reply_to_anonymous = id != NULL;
    m.to = c->url;
    m.body = body;
    m.body_len = body ? body_len : 0;
    ntcp_buf_init(out, (size_t)64 << 20);
    ntcp_status st = ntcp_soap_write(c->w, &m, out);
    if (st) {
        snprintf(c->err, sizeof c->err, "writing the request: %s (%s)%s", ntcp_status_str(st), ntcp_status_name(st),
                 st == NTCP_E_XML_SYNTAX ? ": the body is not well-formed XML" : "");
        ntcp_buf_free(out);
    }
    return st;
}

ntcp_status ntcp_client_call(ntcp_client *c, const char *action, const char *body, size_t body_len,
                             ntcp_soap_msg *reply)
{
    ntcp_soap_msg_init(reply);
    uint8_t rnd[16];
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
        return NTCP_E_IO;
    char id[46];
    ntcp_soap_message_id(rnd, id);
    ntcp_buf out;
    ntcp_status st = write_message(c, action, id, body, body_len, &out);
    if (st)
        return st;
    const uint8_t *r;
    size_t rl;
    st = ntcp_channel_request(c->ch, out.data, out.len, &r, &rl);
    ntcp_buf_free(&out);
    if (st) {
        snprintf(c->err, sizeof c->err, "%s%s%s", ntcp_channel_last_error(c->ch),
                 *ntcp_status_advice(st) ? "\nadvice: " : "", ntcp_status_advice(st));
        return st;
    }
    st = ntcp_soap_read_session(r, rl, c->in, &c->o.xml, NULL, 2, reply);
    if (st) {
        snprintf(c->err, sizeof c->err, "reading the reply: %s (%s)", ntcp_status_str(st), ntcp_status_name(st));
        return st;
    }
    if (reply->relates_to && strcmp(reply->relates_to, id) != 0) {
        snprintf(c->err, sizeof c->err, "the reply relates to %s, not to the request %s", reply->relates_to, id);
        return NTCP_E_RECORD_SEQUENCE;
    }
    if (reply->is_fault) {
        snprintf(c->err, sizeof c->err, "the service answered with a fault: %s%s%s: %s",
                 reply->fault_code ? reply->fault_code : "", reply->fault_subcode ? "/" : "",
                 reply->fault_subcode ? reply->fault_subcode : "", reply->fault_reason ? reply->fault_reason : "");
        return NTCP_E_FAULT;
    }
    return NTCP_OK;
}

ntcp_status ntcp_client_send(ntcp_client *c, const char *action, const char *body, size_t body_len)
{
    ntcp_buf out;
    ntcp_status st = write_message(c, action, NULL, body, body_len, &out);
    if (st)
        return st;
    st = ntcp_channel_send(c->ch, out.data, out.len);
    if (st)
        snprintf(c->err, sizeof c->err, "%s", ntcp_channel_last_error(c->ch));
    ntcp_buf_free(&out);
    return st;
}

ntcp_status ntcp_client_close(ntcp_client *c)
{
    if (!c)
        return NTCP_OK;
    ntcp_status st = ntcp_channel_close(c->ch);
    client_free(c);
    return st;
}

void ntcp_client_abort(ntcp_client *c)
{
    if (!c)
        return;
    ntcp_channel_abort(c->ch);
    client_free(c);
}
