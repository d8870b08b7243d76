/* TCP reassembly for recorded connections (RFC 9293 sequence space): every
 * segment of a direction is kept until the end, then put in sequence order;
 * a byte range seen twice is a retransmission, a segment that fills a hole
 * left by a later one arrived out of order, and a hole nobody fills is a gap
 * reported with its stream offset. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nettcp/pcap.h>

#define MAX_CONNS 4096

typedef struct seg {
    int64_t rel;  /* sequence number relative to the first one seen (signed: may precede it) */
    size_t len;
    size_t arrival;
    int64_t usec;
    uint8_t *data;
} seg;

typedef struct half {
    uint8_t addr[16];
    uint16_t port;
    bool have_first, have_isn;
    uint32_t first_seq, isn;
    seg *segs;
    size_t nsegs, capsegs;
    size_t stored;
    bool syn_noack; /* this side opened the connection */
    bool fin, rst;
    bool synack;
    ntcp_tcp_stream *out;
} half;

typedef struct conn {
    uint8_t addr_len;
    half h[2];     /* in the order first seen */
    size_t arrival;
    bool closed;   /* FIN or RST seen from a side: a new SYN starts a new connection */
    int64_t first_usec, last_usec;
} conn;

struct ntcp_tcp_reasm {
    size_t max_bytes;
    conn *conns;
    size_t nconns, capconns;
    size_t arrival;
    ntcp_tcp_conn *out;
    size_t nout;
};

ntcp_status ntcp_tcp_reasm_new(ntcp_tcp_reasm **r, size_t max_bytes)
{
    *r = ntcp_calloc(1, sizeof **r);
    if (!*r)
        return NTCP_E_NOMEM;
    (*r)->max_bytes = max_bytes;
    return NTCP_OK;
}

static void free_stream(ntcp_tcp_stream *s)
{
    ntcp_buf_free(&s->data);
    ntcp_free(s->gaps);
    ntcp_free(s->marks);
}

void ntcp_tcp_reasm_free(ntcp_tcp_reasm *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nconns; i++)
        for (int d = 0; d < 2; d++) {
            for (size_t k = 0; k < r->conns[i].h[d].nsegs; k++)
                ntcp_free(r->conns[i].h[d].segs[k].data);
            ntcp_free(r->conns[i].h[d].segs);
        }
    ntcp_free(r->conns);
    for (size_t i = 0; i < r->nout; i++)
        for (int d = 0; d < 2; d++)
            free_stream(&r->out[i].dir[d]);
    ntcp_free(r->out);
    ntcp_free(r);
}

static bool same(const half *h, const uint8_t *addr, size_t alen, uint16_t port)
{
    return h->port == port && memcmp(h->addr, addr, alen) == 0;
}

/* The connection a segment belongs to, and which side sent it. */
static ntcp_status find_conn(ntcp_tcp_reasm *r, const ntcp_tcp_segment *s, conn **out, int *side)
{
    for (size_t i = r->nconns; i-- > 0;) {
        conn *c = &r->conns[i];
        if (c->addr_len != s->addr_len)
            continue;
        int sd = -1;
        if (same(&c->h[0], s->src, s->addr_len, s->sport) && same(&c->h[1], s->dst, s->addr_len, s->dport))
            sd = 0;
        else if (same(&c->h[1], s->src, s->addr_len, s->sport) && same(&c->h[0], s->dst, s->addr_len, s->dport))
            sd = 1;
        if (sd < 0)
            continue;
        /* a fresh SYN on a closed connection's ports opens a new one */
        bool reopen = s->syn && !s->ack && c->closed && (!c->h[sd].have_isn || c->h[sd].isn != s->seq);
        if (reopen)
            break;
        *out = c;
        *side = sd;
        return NTCP_OK;
    }
    if (r->nconns == MAX_CONNS)
        return NTCP_E_LIMIT;
    if (r->nconns == r->capconns) {
        size_t nc = r->capconns ? r->capconns * 2 : 16;
        conn *n = ntcp_realloc(r->conns, nc * sizeof *n);
        if (!n)
            return NTCP_E_NOMEM;
        r->conns = n;
        r->capconns = nc;
    }
    conn *c = &r->conns[r->nconns++];
    memset(c, 0, sizeof *c);
    c->addr_len = s->addr_len;
    memcpy(c->h[0].addr, s->src, s->addr_len);
    c->h[0].port = s->sport;
    memcpy(c->h[1].addr, s->dst, s->addr_len);
    c->h[1].port = s->dport;
    c->arrival = r->arrival;
    c->first_usec = s->usec;
    *out = c;
    *side = 0;
    return NTCP_OK;
}

ntcp_status ntcp_tcp_reasm_add(ntcp_tcp_reasm *r, const ntcp_tcp_segment *s)
{
    if (!r || !s || (s->addr_len != 4 && s->addr_len != 16) || (s->len && !s->payload))
        return NTCP_E_INVALID_ARG;
    conn *c;
    int sd;
    ntcp_status st = find_conn(r, s, &c, &sd);
    if (st)
        return st;
    r->arrival++;
    c->last_usec = s->usec;
    half *h = &c->h[sd];
    if (s->syn) {
        h->have_isn = true;
        h->isn = s->seq;
        if (!s->ack)
            h->syn_noack = true;
        else
            h->synack = true;
    }
    if (s->fin || s->rst)
        c->closed = true;
    h->fin |= s->fin;
    h->rst |= s->rst;
    if (!s->len)
        return NTCP_OK;
    /* data: the first byte after a SYN has seq ISN+1 */
    uint32_t seq = s->syn ? s->seq + 1 : s->seq;
    if (!h->have_first) {
        h->have_first = true;
        h->first_seq = h->have_isn ? h->isn + 1 : seq;
    }
    if (h->stored + s->len > 2 * r->max_bytes + 65536)
        return NTCP_OK; /* counted as over the limit when finished */
    if (h->nsegs == h->capsegs) {
        size_t nc = h->capsegs ? h->capsegs * 2 : 32;
        seg *n = ntcp_realloc(h->segs, nc * sizeof *n);
        if (!n)
            return NTCP_E_NOMEM;
        h->segs = n;
        h->capsegs = nc;
    }
    seg *g = &h->segs[h->nsegs];
    g->data = ntcp_malloc(s->len);
    if (!g->data)
        return NTCP_E_NOMEM;
    memcpy(g->data, s->payload, s->len);
    g->len = s->len;
    g->rel = (int32_t)(seq - h->first_seq);
    g->arrival = r->arrival;
    g->usec = s->usec;
    h->nsegs++;
    h->stored += s->len;
    return NTCP_OK;
}

static int seg_cmp(const void *a, const void *b)
{
    const seg *x = a, *y = b;
    if (x->rel != y->rel)
        return x->rel < y->rel ? -1 : 1;
    return x->arrival < y->arrival ? -1 : x->arrival > y->arrival;
}

static ntcp_status push_gap(ntcp_tcp_stream *o, uint64_t off, uint64_t len)
{
    ntcp_tcp_gap *g = ntcp_realloc(o->gaps, (o->ngaps + 1) * sizeof *g);
    if (!g)
        return NTCP_E_NOMEM;
    o->gaps = g;
    o->gaps[o->ngaps].offset = off;
    o->gaps[o->ngaps].len = len;
    o->ngaps++;
    return NTCP_OK;
}

/* One direction in sequence order. */
static ntcp_status assemble(half *h, ntcp_tcp_stream *o, size_t max_bytes)
{
    ntcp_buf_init(&o->data, max_bytes);
    o->segments = (unsigned)h->nsegs;
    if (!h->nsegs)
        return NTCP_OK;
    qsort(h->segs, h->nsegs, sizeof *h->segs, seg_cmp);
    /* without a SYN the stream starts at the lowest sequence number seen */
    int64_t base = h->have_isn ? 0 : h->segs[0].rel;
    int64_t cur = base;
    bool gap = false;
    size_t last_arrival = 0;
    o->marks = ntcp_calloc(h->nsegs, sizeof *o->marks);
    if (!o->marks)
        return NTCP_E_NOMEM;
    for (size_t i = 0; i < h->nsegs; i++) {
        seg *g = &h->segs[i];
        int64_t end = g->rel + (int64_t)g->len;
        if (end <= cur) {
            o->retransmitted++;
            continue;
        }
        if (g->rel > cur) {
            ntcp_status st = push_gap(o, (uint64_t)(cur - base), (uint64_t)(g->rel - cur));
            if (st)
                return st;
            gap = true;
        }
        if (g->rel < cur && !gap)
            o->retransmitted++; /* partly new: an overlapping retransmission */
        if (g->arrival < last_arrival)
            o->out_of_order++;
        last_arrival = g->arrival;
        size_t skip = g->rel < cur ? (size_t)(cur - g->rel) : 0;
        if (gap) {
            o->after_gap += g->len - skip;
        } else if (!o->over_limit) {
            if (o->data.len + g->len - skip > max_bytes) {
                o->over_limit = true;
            } else {
                ntcp_status st = ntcp_buf_append(&o->data, g->data + skip, g->len - skip);
                if (st)
                    return st;
                o->marks[o->nmarks].offset = (uint64_t)(cur - base);
                o->marks[o->nmarks].usec = g->usec;
                o->nmarks++;
            }
        }
        cur = end;
    }
    return NTCP_OK;
}

static void endpoint_name(const half *h, uint8_t alen, char *out, size_t cap)
{
    if (alen == 4) {
        snprintf(out, cap, "%u.%u.%u.%u:%u", h->addr[0], h->addr[1], h->addr[2], h->addr[3], h->port);
        return;
    }
    char a[48];
    size_t n = 0;
    for (int i = 0; i < 16; i += 2)
        n += (size_t)snprintf(a + n, sizeof a - n, "%s%x", i ? ":" : "", (unsigned)(h->addr[i] << 8 | h->addr[i + 1]));
    /* compress the longest run of zero groups as "::" (RFC 5952) */
    char groups[8][6];
    int ng = 0;
    for (char *p = a, *q; ng < 8; p = q + 1) {
        q = strchr(p, ':');
        size_t l = q ? (size_t)(q - p) : strlen(p);
        memcpy(groups[ng], p, l);
        groups[ng++][l] = 0;
        if (!q)
            break;
    }
    int best = -1, bestlen = 1;
    for (int i = 0; i < ng;) {
        int j = i;
        while (j < ng && !strcmp(groups[j], "0"))
            j++;
        if (j - i > bestlen) {
            best = i;
            bestlen = j - i;
        }
        i = j > i ? j : i + 1;
    }
    char s[48] = "";
    for (int i = 0; i < ng; i++) {
        if (i == best) {
            strcat(s, "::");
            i += bestlen - 1;
            continue;
        }
        if (i && !(best >= 0 && i == best + bestlen))
            strcat(s, ":");
        strcat(s, groups[i]);
    }
    snprintf(out, cap, "[%s]:%u", s, h->port);
}

static bool starts_preamble(const half *h)
{
    /* MC-NMF 2.2.3.1 Version 1.0 then Mode (1..4) */
    for (size_t i = 0; i < h->nsegs; i++)
        if (h->segs[i].rel == (h->have_isn ? 0 : h->segs[0].rel))
            return h->segs[i].len >= 4 && !memcmp(h->segs[i].data, "\x00\x01\x00\x01", 3) &&
                   h->segs[i].data[3] >= 1 && h->segs[i].data[3] <= 4;
    return false;
}

ntcp_status ntcp_tcp_reasm_finish(ntcp_tcp_reasm *r, ntcp_tcp_conn **conns, size_t *n)
{
    *conns = NULL;
    *n = 0;
    if (r->out)
        return NTCP_E_STATE;
    r->out = ntcp_calloc(r->nconns ? r->nconns : 1, sizeof *r->out);
    if (!r->out)
        return NTCP_E_NOMEM;
    for (size_t i = 0; i < r->nconns; i++) {
        conn *c = &r->conns[i];
        ntcp_tcp_conn *o = &r->out[r->nout++];
        /* sort the segments first: starts_preamble looks at the lowest */
        for (int d = 0; d < 2; d++)
            if (c->h[d].nsegs)
                qsort(c->h[d].segs, c->h[d].nsegs, sizeof *c->h[d].segs, seg_cmp);
        int client;
        if (c->h[0].syn_noack || c->h[1].synack)
            client = 0;
        else if (c->h[1].syn_noack || c->h[0].synack)
            client = 1;
        else {
            o->roles_guessed = true;
            if (starts_preamble(&c->h[0]))
                client = 0;
            else if (starts_preamble(&c->h[1]))
                client = 1;
            else
                client = c->h[0].port >= c->h[1].port ? 0 : 1;
        }
        for (int d = 0; d < 2; d++) {
            half *h = &c->h[d ? 1 - client : client];
            endpoint_name(h, c->addr_len, o->endpoint[d], sizeof o->endpoint[d]);
            o->port[d] = h->port;
            ntcp_tcp_stream *s = &o->dir[d];
            s->syn = h->have_isn;
            s->fin = h->fin;
            s->rst = h->rst;
            ntcp_status st = assemble(h, s, r->max_bytes);
            if (st)
                return st;
            if (h->stored > 2 * r->max_bytes)
                s->over_limit = true;
        }
        o->first_usec = c->first_usec;
        o->last_usec = c->last_usec;
        (void)c->closed;
    }
    *conns = r->out;
    *n = r->nout;
    return NTCP_OK;
}

int64_t ntcp_tcp_time_at(const ntcp_tcp_stream *s, uint64_t offset)
{
    int64_t t = 0;
    for (size_t i = 0; i < s->nmarks && s->marks[i].offset <= offset; i++)
        t = s->marks[i].usec;
    return t;
}
