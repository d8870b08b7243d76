/* Call traces (see include/nettcp/trace.h). */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <nettcp/trace.h>

struct ntcp_trace {
    FILE *f;
    bool own;
    struct timespec t0;
    pthread_mutex_t mu;
};

ntcp_status ntcp_trace_open(ntcp_trace **out, const char *path)
{
    ntcp_trace *t = ntcp_calloc(1, sizeof *t);
    if (!t)
        return NTCP_E_NOMEM;
    if (!strcmp(path, "-")) {
        t->f = stderr;
    } else {
        t->f = fopen(path, "w");
        t->own = true;
    }
    if (!t->f) {
        ntcp_free(t);
        return NTCP_E_IO;
    }
    clock_gettime(CLOCK_MONOTONIC, &t->t0);
    pthread_mutex_init(&t->mu, NULL);
    *out = t;
    return NTCP_OK;
}

void ntcp_trace_close(ntcp_trace *t)
{
    if (!t)
        return;
    if (t->own)
        fclose(t->f);
    else
        fflush(t->f);
    pthread_mutex_destroy(&t->mu);
    ntcp_free(t);
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void head(ntcp_trace *t, const char *event, const char *conn)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double ms = (double)(now.tv_sec - t->t0.tv_sec) * 1e3 + (double)(now.tv_nsec - t->t0.tv_nsec) / 1e6;
    fprintf(t->f, "{\"ms\":%.3f,\"event\":", ms);
    json_str(t->f, event);
    if (conn) {
        fprintf(t->f, ",\"conn\":");
        json_str(t->f, conn);
    }
}

void ntcp_trace_event(ntcp_trace *t, const char *event, const char *conn, ...)
{
    if (!t)
        return;
    pthread_mutex_lock(&t->mu);
    head(t, event, conn);
    va_list ap;
    va_start(ap, conn);
    const char *k;
    while ((k = va_arg(ap, const char *)) != NULL) {
        const char *v = va_arg(ap, const char *);
        fputc(',', t->f);
        json_str(t->f, k);
        fputc(':', t->f);
        json_str(t->f, v ? v : "");
    }
    va_end(ap);
    fputs("}\n", t->f);
    fflush(t->f);
    pthread_mutex_unlock(&t->mu);
}

void ntcp_trace_record_conn(ntcp_trace *t, const char *conn, bool sent, const ntcp_nmf_record *rec)
{
    if (!t)
        return;
    pthread_mutex_lock(&t->mu);
    head(t, "record", conn);
    fprintf(t->f, ",\"dir\":\"%s\",\"type\":\"%s\",\"size\":%zu", sent ? "sent" : "received",
            ntcp_nmf_record_name(rec->type) ? ntcp_nmf_record_name(rec->type) : "?", rec->size);
    /* the preamble's fields are not secret; envelope contents are never written */
    if (rec->type == NTCP_NMF_VIA || rec->type == NTCP_NMF_UPGRADE_REQUEST || rec->type == NTCP_NMF_FAULT ||
        rec->type == NTCP_NMF_EXTENSIBLE_ENCODING) {
        char buf[2100];
        snprintf(buf, sizeof buf, "%.*s", (int)(rec->size < 2048 ? rec->size : 2048), (const char *)rec->data);
        fprintf(t->f, ",\"value\":");
        json_str(t->f, buf);
    }
    if (rec->type == NTCP_NMF_MODE)
        fprintf(t->f, ",\"mode\":\"%s\"", ntcp_nmf_mode_name(rec->mode) ? ntcp_nmf_mode_name(rec->mode) : "?");
    if (rec->type == NTCP_NMF_KNOWN_ENCODING)
        fprintf(t->f, ",\"encoding\":%u", rec->encoding);
    fputs("}\n", t->f);
    fflush(t->f);
    pthread_mutex_unlock(&t->mu);
}

void ntcp_trace_record(void *ctx, bool sent, const ntcp_nmf_record *rec)
{
    ntcp_trace_record_conn(ctx, NULL, sent, rec);
}

void ntcp_trace_leg(void *ctx, bool sent, uint8_t id, size_t len)
{
    ntcp_trace_leg_conn(ctx, NULL, sent, id, len);
}

void ntcp_trace_leg_conn(ntcp_trace *t, const char *conn, bool sent, uint8_t id, size_t len)
{
    if (!t)
        return;
    pthread_mutex_lock(&t->mu);
    head(t, "handshake", conn);
    /* the message kind and the token's size; never the token */
    fprintf(t->f, ",\"dir\":\"%s\",\"message\":\"%s\",\"size\":%zu}\n", sent ? "sent" : "received",
            id == 0x14 ? "HandshakeDone" : id == 0x15 ? "HandshakeError" : id == 0x16 ? "HandshakeInProgress" : "?",
            len);
    fflush(t->f);
    pthread_mutex_unlock(&t->mu);
}
