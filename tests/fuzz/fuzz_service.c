/* libFuzzer target: whole requests through a service's dispatch: a real
 * ntcp_service (security None, four operations) on a loopback port, one
 * connection per input with a proper preamble, then the input's envelopes
 * as sent (each [u16 little-endian length][NBFSE payload], the session
 * dictionary carried), then End. Every reply the service sends must read as
 * a SOAP envelope with the client's receiving dictionary; the service must
 * keep serving (each input opens a new connection to it).
 * service_exchange() is the only part that knows the service API. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <nettcp/service.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- the service ---------------------------------------------------------- */
/* Echo: the body read back through the call's reader and its text, each
 * header looked at, the text sent as the reply. */
static ntcp_status op_echo(void *ctx, ntcp_call *call)
{
    ntcp_xml_reader *r = ntcp_call_body(call);
    ntcp_xml_node n;
    for (int i = 0; r && i < 100000 && ntcp_xml_reader_next(r, &n) == NTCP_OK && n.type != NTCP_XML_NODE_EOF; i++)
        ;
    for (size_t i = 0; i < ntcp_call_header_count(call); i++) {
        const char *ns, *name;
        ntcp_xml_reader *hr;
        (void)!ntcp_call_header(call, i, &ns, &name, &hr);
    }
    const char *xml;
    size_t len;
    ntcp_status st = ntcp_call_body_text(call, &xml, &len);
    return st ? st : ntcp_call_reply_text(call, xml, len);
}
static ntcp_status op_fault(void *ctx, ntcp_call *call)
{
    static const char *const sub[] = { "{urn:fuzz}Refused", NULL };
    return ntcp_call_fault(call, "Sender", sub, "refused", "<d xmlns=\"urn:fuzz\">1</d>");
}
static ntcp_status op_fail(void *ctx, ntcp_call *call) { return NTCP_E_INVALID_ARG; }
/* Deferred, then completed at once (as a handler handing work to a thread would). */
static ntcp_status op_defer(void *ctx, ntcp_call *call)
{
    ntcp_status st = ntcp_call_reply_text(call, "<ok xmlns=\"urn:fuzz\"/>", 22);
    ntcp_call_defer(call);
    ntcp_call_complete(call, st);
    return NTCP_OK;
}

static ntcp_service *svc;
static int svc_port;

static void *svc_run(void *arg)
{
    (void)!ntcp_service_run(svc);
    return NULL;
}

static void service_start(void)
{
    ntcp_service_options o;
    ntcp_service_options_init(&o);
    o.security = NTCP_SECURITY_NONE;
    o.server.limits.max_message = 16384;
    pthread_t t;
    if (ntcp_service_new(&svc, &o) || ntcp_service_add_operation(svc, "urn:fuzz/Echo", NULL, op_echo, NULL) ||
        ntcp_service_add_operation(svc, "urn:fuzz/Fault", NULL, op_fault, NULL) ||
        ntcp_service_add_operation(svc, "urn:fuzz/Fail", "urn:fuzz/FailReply", op_fail, NULL) ||
        ntcp_service_add_operation(svc, "urn:fuzz/Defer", NULL, op_defer, NULL) ||
        ntcp_service_listen(svc, "net.tcp://127.0.0.1:0/fuzz", &svc_port) || pthread_create(&t, NULL, svc_run, NULL))
        abort();
    pthread_detach(t);
}

/* ---- the client: raw framing over a socket -------------------------------- */
static long ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static bool write_all(int fd, ntcp_framing *f)
{
    const uint8_t *o;
    size_t n;
    ntcp_framing_output(f, &o, &n);
    size_t done = 0;
    while (done < n) {
        ssize_t w = send(fd, o + done, n - done, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        done += (size_t)w;
    }
    ntcp_framing_output_consumed(f, n);
    return true;
}

typedef void (*reply_fn)(void *ctx, const uint8_t *p, size_t n);

/* Connects, sends the preamble, each envelope, End; hands every envelope
 * the service answers to on_reply; returns when the service closed the
 * session or after deadline_ms. */
static void service_exchange(int port, const ntcp_buf *envs, size_t n, reply_fn on_reply, void *ctx,
                             int deadline_ms)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int rc = fd < 0 ? -1 : connect(fd, (struct sockaddr *)&a, sizeof a);
    if (rc && errno == EINTR) { /* libFuzzer's timers: the connection goes on; wait for its outcome */
        struct pollfd p = { fd, POLLOUT, 0 };
        int err = 0;
        socklen_t el = sizeof err;
        while ((rc = poll(&p, 1, deadline_ms)) < 0 && errno == EINTR)
            ;
        rc = rc == 1 && !getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) && !err ? 0 : -1;
        if (err)
            errno = err;
    }
    if (rc) {
        fprintf(stderr, "fuzz_service: connect: %s\n", strerror(errno));
        abort(); /* the service stopped serving */
    }
    char via[64];
    snprintf(via, sizeof via, "net.tcp://127.0.0.1:%d/fuzz", port);
    ntcp_framing_initiator_config ic;
    ntcp_framing_initiator_config_init(&ic);
    ic.via = via;
    ntcp_framing_limits lim;
    ntcp_framing_limits_init(&lim);
    ntcp_framing *f;
    if (ntcp_framing_new_initiator(&f, &ic, &lim) || ntcp_framing_start(f))
        abort();
    size_t next = 0;
    bool open = false, end_sent = false, over = false;
    long deadline = ms_now() + deadline_ms;
    uint8_t buf[16384];
    while (!over && ms_now() < deadline) {
        if (open) {
            while (next < n)
                if (ntcp_framing_send_envelope(f, envs[next].data, envs[next].len) != NTCP_OK) {
                    next = n;
                } else {
                    next++;
                }
            if (!end_sent) {
                end_sent = true;
                (void)!ntcp_framing_send_end(f);
            }
        }
        if (!write_all(fd, f))
            break;
        struct pollfd p = { fd, POLLIN, 0 };
        int r = poll(&p, 1, (int)(deadline - ms_now() > 0 ? deadline - ms_now() : 0));
        if (r <= 0)
            continue;
        ssize_t got = recv(fd, buf, sizeof buf, 0);
        if (got < 0 && errno == EINTR)
            continue;
        ntcp_framing_event ev;
        if (got <= 0) {
            (void)!ntcp_framing_feed_eof(f, &ev);
            break;
        }
        for (size_t off = 0; off < (size_t)got && !over;) {
            size_t used = 0;
            ntcp_status st = ntcp_framing_feed(f, buf + off, (size_t)got - off, &used, &ev);
            off += used;
            if (st == NTCP_AGAIN)
                break;
            if (st != NTCP_OK) {
                over = true;
                break;
            }
            if (ev.type == NTCP_FEV_PREAMBLE_COMPLETE)
                open = true;
            else if (ev.type == NTCP_FEV_ENVELOPE)
                on_reply(ctx, ev.data, ev.len);
            else if (ev.type == NTCP_FEV_CLOSED || ev.type == NTCP_FEV_FAULT)
                over = true;
        }
    }
    ntcp_framing_free(f);
    close(fd);
}

/* ---- the checks -------------------------------------------------------------- */
typedef struct replies {
    ntcp_xml_session *in;
    size_t count;
} replies;

static void on_reply(void *ctx, const uint8_t *p, size_t n)
{
    replies *r = ctx;
    ntcp_soap_msg m;
    ntcp_soap_msg_init(&m);
    ntcp_xml_limits lim;
    ntcp_xml_limits_init(&lim);
    lim.max_size = 1 << 20;
    ntcp_status st = ntcp_soap_read_session(p, n, r->in, &lim, NULL, 0, &m);
    if (st != NTCP_OK || !m.action || !m.relates_to) {
        fprintf(stderr, "fuzz_service: the service's reply does not read: %s\n", ntcp_status_name(st));
        __builtin_trap();
    }
    ntcp_soap_msg_clear(&m);
    r->count++;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    service_start();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ntcp_buf envs[16];
    size_t n = 0, off = 0;
    while (off + 2 <= size && n < 16) {
        size_t len = (size_t)data[off] | (size_t)data[off + 1] << 8;
        off += 2;
        if (len > size - off)
            len = size - off;
        ntcp_buf_init(&envs[n], 1 << 20);
        (void)!ntcp_buf_append(&envs[n], data + off, len);
        n++;
        off += len;
    }
    replies r = { NULL, 0 };
    if (ntcp_xml_session_new(&r.in, 2048))
        abort();
    service_exchange(svc_port, envs, n, on_reply, &r, 5000);
    if (r.count > n)
        __builtin_trap(); /* more replies than requests */
    ntcp_xml_session_free(r.in);
    for (size_t i = 0; i < n; i++)
        ntcp_buf_free(&envs[i]);
    return 0;
}
