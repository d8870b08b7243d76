/* Runs MC-NMF sessions between our initiator and our acceptor over loopback
 * TCP, for an independent reader (tshark's mc-nmf dissector) to check.
 * usage: nmf_loopback PORT RECORDS_FILE
 * Writes every record each side sent, as "c>s Type" / "s>c Type" lines, to
 * RECORDS_FILE, and prints "N passed, N failed" for its own checks. */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "channel/conn.h"

static FILE *records;
static int passed, failed;

#define EXPECT(cond, what)                                                                       \
    do {                                                                                         \
        if (cond) {                                                                              \
            passed++;                                                                            \
        } else {                                                                                 \
            failed++;                                                                            \
            fprintf(stderr, "FAIL %s (%s:%d)\n", what, __FILE__, __LINE__);                      \
        }                                                                                        \
    } while (0)

static void record_cb(void *ctx, bool sent, const ntcp_nmf_record *rec)
{
    if (sent && records) {
        fprintf(records, "%s %s\n", (const char *)ctx, ntcp_nmf_record_name(rec->type));
        fflush(records);
    }
}

static bool served(void *ctx, const char *via)
{
    (void)ctx;
    const char *path = strrchr(via, '/');
    return path && strcmp(path, "/echo") == 0;
}

static void serve_connection(int fd)
{
    ntcp_framing_acceptor_config ac;
    ntcp_framing_acceptor_config_init(&ac);
    ac.modes = 1u << NTCP_MODE_DUPLEX | 1u << NTCP_MODE_SINGLETON_UNSIZED;
    ac.encodings = 1u << NTCP_ENC_BINARY_SESSION | 1u << NTCP_ENC_BINARY;
    ac.via_served = served;
    ntcp_framing_limits lim;
    ntcp_framing_limits_init(&lim);
    lim.max_message = 4096; /* a service configured with maxReceivedMessageSize=4096 */
    ntcp_framing *f;
    if (ntcp_framing_new_acceptor(&f, &ac, &lim))
        exit(3);
    ntcp_framing_set_record_cb(f, record_cb, "s>c");
    ntcp_conn c;
    if (ntcp_conn_init(&c, fd, f))
        exit(3);
    for (;;) {
        ntcp_framing_event ev;
        ntcp_status st = ntcp_conn_next_event(&c, 10000, &ev);
        if (st != NTCP_OK)
            break;
        if (ev.type == NTCP_FEV_ENVELOPE) {
            uint8_t reply[128];
            int n = snprintf((char *)reply, sizeof reply, "reply:%.*s", (int)(ev.len > 100 ? 100 : ev.len),
                             (const char *)ev.data);
            if (ntcp_framing_send_envelope(f, reply, (size_t)n))
                break;
        } else if (ev.type == NTCP_FEV_END) {
            if (ntcp_framing_send_end(f))
                break;
            if (ntcp_conn_flush(&c, 10000))
                break;
        } else if (ev.type == NTCP_FEV_NONE) {
            break; /* EOF */
        }
    }
    ntcp_conn_close(&c, 2000);
    ntcp_conn_free(&c);
    ntcp_framing_free(f);
}

static void server(int lfd)
{
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
            struct pollfd p = { lfd, POLLIN, 0 };
            (void)poll(&p, 1, 1000);
            continue;
        }
        serve_connection(fd);
    }
}

/* One client session on an open connection: preamble, requests, End. */
static void client_session(ntcp_conn *c, ntcp_framing *f, int requests)
{
    ntcp_framing_event ev;
    EXPECT(ntcp_framing_start(f) == NTCP_OK, "start");
    EXPECT(ntcp_conn_next_event(c, 5000, &ev) == NTCP_OK && ev.type == NTCP_FEV_PREAMBLE_COMPLETE, "PreambleAck");
    for (int i = 0; i < requests; i++) {
        char msg[32];
        int n = snprintf(msg, sizeof msg, "request-%d", i);
        EXPECT(ntcp_framing_send_envelope(f, (const uint8_t *)msg, (size_t)n) == NTCP_OK, "send");
        ntcp_status st = ntcp_conn_next_event(c, 5000, &ev);
        char want[64];
        int wn = snprintf(want, sizeof want, "reply:%s", msg);
        EXPECT(st == NTCP_OK && ev.type == NTCP_FEV_ENVELOPE && ev.len == (size_t)wn && !memcmp(ev.data, want, (size_t)wn),
               "reply");
    }
    EXPECT(ntcp_framing_send_end(f) == NTCP_OK, "send End");
    EXPECT(ntcp_conn_next_event(c, 5000, &ev) == NTCP_OK && ev.type == NTCP_FEV_CLOSED, "server End");
}

static ntcp_framing *client_framing(const char *via, ntcp_nmf_mode mode, int enc)
{
    ntcp_framing_initiator_config ic;
    ntcp_framing_initiator_config_init(&ic);
    ic.via = via;
    ic.mode = mode;
    ic.encoding = enc;
    ntcp_framing *f;
    if (ntcp_framing_new_initiator(&f, &ic, NULL))
        exit(3);
    ntcp_framing_set_record_cb(f, record_cb, "c>s");
    return f;
}

static void client(const char *port)
{
    char via[128];
    snprintf(via, sizeof via, "net.tcp://127.0.0.1:%s/echo", port);
    int fd;
    ntcp_conn c;
    ntcp_framing_event ev;

    /* 1. duplex, two requests, End/End; then a second session on the same connection */
    EXPECT(ntcp_tcp_connect("127.0.0.1", port, 5000, &fd) == NTCP_OK, "connect");
    ntcp_framing *f = client_framing(via, NTCP_MODE_DUPLEX, NTCP_ENC_BINARY_SESSION);
    EXPECT(ntcp_conn_init(&c, fd, f) == NTCP_OK, "conn");
    client_session(&c, f, 2);
    client_session(&c, f, 1); /* pooled connection reuse */
    ntcp_conn_close(&c, 2000);
    ntcp_conn_free(&c);
    ntcp_framing_free(f);

    /* 2. singleton-unsized (streamed transfer) */
    EXPECT(ntcp_tcp_connect("127.0.0.1", port, 5000, &fd) == NTCP_OK, "connect");
    f = client_framing(via, NTCP_MODE_SINGLETON_UNSIZED, NTCP_ENC_BINARY);
    EXPECT(ntcp_conn_init(&c, fd, f) == NTCP_OK, "conn");
    client_session(&c, f, 1);
    ntcp_conn_close(&c, 2000);
    ntcp_conn_free(&c);
    ntcp_framing_free(f);

    /* 3. wrong path: EndpointNotFound fault, then the service half-closes */
    char bad[128];
    snprintf(bad, sizeof bad, "net.tcp://127.0.0.1:%s/nothing-here", port);
    EXPECT(ntcp_tcp_connect("127.0.0.1", port, 5000, &fd) == NTCP_OK, "connect");
    f = client_framing(bad, NTCP_MODE_DUPLEX, NTCP_ENC_BINARY_SESSION);
    EXPECT(ntcp_conn_init(&c, fd, f) == NTCP_OK, "conn");
    EXPECT(ntcp_framing_start(f) == NTCP_OK, "start");
    ntcp_status st = ntcp_conn_next_event(&c, 5000, &ev);
    EXPECT(st == NTCP_OK && ev.type == NTCP_FEV_FAULT && ev.fault_status == NTCP_E_ENDPOINT_NOT_FOUND,
           "EndpointNotFound fault");
    st = ntcp_conn_next_event(&c, 5000, &ev); /* the service's FIN after its fault */
    EXPECT(st == NTCP_OK && c.eof, "service closed after the fault");
    ntcp_conn_close(&c, 2000);
    ntcp_conn_free(&c);
    ntcp_framing_free(f);

    /* 4. text encoding to a binary endpoint: ContentTypeInvalid */
    EXPECT(ntcp_tcp_connect("127.0.0.1", port, 5000, &fd) == NTCP_OK, "connect");
    f = client_framing(via, NTCP_MODE_DUPLEX, NTCP_ENC_SOAP12_UTF8);
    EXPECT(ntcp_conn_init(&c, fd, f) == NTCP_OK, "conn");
    EXPECT(ntcp_framing_start(f) == NTCP_OK, "start");
    st = ntcp_conn_next_event(&c, 5000, &ev);
    EXPECT(st == NTCP_OK && ev.type == NTCP_FEV_FAULT && ev.fault_status == NTCP_E_CONTENT_TYPE_INVALID,
           "ContentTypeInvalid fault");
    ntcp_conn_close(&c, 2000);
    ntcp_conn_free(&c);
    ntcp_framing_free(f);

    /* 5. a message over the service's 4096-byte quota */
    EXPECT(ntcp_tcp_connect("127.0.0.1", port, 5000, &fd) == NTCP_OK, "connect");
    f = client_framing(via, NTCP_MODE_DUPLEX, NTCP_ENC_BINARY_SESSION);
    EXPECT(ntcp_conn_init(&c, fd, f) == NTCP_OK, "conn");
    EXPECT(ntcp_framing_start(f) == NTCP_OK, "start");
    EXPECT(ntcp_conn_next_event(&c, 5000, &ev) == NTCP_OK && ev.type == NTCP_FEV_PREAMBLE_COMPLETE, "PreambleAck");
    static uint8_t big[5000];
    memset(big, 'b', sizeof big);
    EXPECT(ntcp_framing_send_envelope(f, big, sizeof big) == NTCP_OK, "send big");
    st = ntcp_conn_next_event(&c, 5000, &ev);
    EXPECT(st == NTCP_OK && ev.type == NTCP_FEV_FAULT && ev.fault_status == NTCP_E_MESSAGE_TOO_LARGE,
           "MaxMessageSizeExceededFault");
    ntcp_conn_close(&c, 2000);
    ntcp_conn_free(&c);
    ntcp_framing_free(f);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: nmf_loopback PORT RECORDS_FILE\n");
        return 2;
    }
    records = fopen(argv[2], "w");
    if (!records)
        return 2;
    int lfd, port;
    if (ntcp_tcp_listen("127.0.0.1", argv[1], 16, &lfd, &port)) {
        fprintf(stderr, "cannot listen on port %s\n", argv[1]);
        return 2;
    }
    pid_t pid = fork();
    if (pid == 0) {
        server(lfd);
        _exit(0);
    }
    close(lfd);
    client(argv[1]);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    fclose(records);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
