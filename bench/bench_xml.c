/* Binary XML speed beside libxml2 parsing the same documents as text.
 *
 * For each document of the corpus (small SOAP calls and one large response
 * with a few thousand elements):
 *   decode  = ntcp_xml_reader over the binary form, every node visited
 *   encode  = ntcp_xml_writer writing the binary form from a node list
 *   libxml2 = xmlReadMemory of the text form (+ xmlFreeDoc)
 * and prints MB/s (of each side's own input/output) and the ratio of
 * documents per second against libxml2. Floors: decode >= 3x, encode >= 2x.
 * Run the release build: build/bench/bench_xml [seconds-per-measure]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libxml/parser.h>
#include <nettcp/xml.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct doc {
    const char *name;
    char *text;
    size_t text_len;
    uint8_t *bin;
    size_t bin_len;
    /* a node list for the encoder (attributes copied out of the reader) */
    ntcp_xml_node *nodes;
    size_t nnodes;
    ntcp_xml_attr *attrs;
} doc;

static const char *small_request =
    "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:a=\"http://www.w3.org/2005/08/addressing\">"
    "<s:Header><a:Action s:mustUnderstand=\"1\">http://tempuri.org/IService1/GetData</a:Action>"
    "<a:MessageID>urn:uuid:5eb6df4b-aefd-457f-bbfa-26446daf42e0</a:MessageID>"
    "<a:ReplyTo><a:Address>http://www.w3.org/2005/08/addressing/anonymous</a:Address></a:ReplyTo>"
    "<a:To s:mustUnderstand=\"1\">net.tcp://192.168.56.1:8523/Service1</a:To></s:Header>"
    "<s:Body><GetData xmlns=\"http://tempuri.org/\"><value>1337</value></GetData></s:Body></s:Envelope>";

static const char *small_response =
    "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:a=\"http://www.w3.org/2005/08/addressing\">"
    "<s:Header><a:Action s:mustUnderstand=\"1\">http://tempuri.org/IService1/GetDataResponse</a:Action>"
    "<ActivityId CorrelationId=\"97469b4b-7b74-4d03-ae08-eae4a55d8f53\" "
    "xmlns=\"http://schemas.microsoft.com/2004/09/ServiceModel/Diagnostics\">5fc1582c-facd-4cf4-bbac-c0dd8f5641d5</ActivityId>"
    "<a:RelatesTo>urn:uuid:5eb6df4b-aefd-457f-bbfa-26446daf42e0</a:RelatesTo>"
    "<a:To s:mustUnderstand=\"1\">http://www.w3.org/2005/08/addressing/anonymous</a:To></s:Header>"
    "<s:Body><GetDataResponse xmlns=\"http://tempuri.org/\"><GetDataResult>You entered: 1337</GetDataResult>"
    "</GetDataResponse></s:Body></s:Envelope>";

/* a directory-search style response: `items` entries of 5 child elements */
static char *large_response(int items, size_t *len)
{
    size_t cap = (size_t)items * 400 + 4096, n = 0;
    char *t = malloc(cap);
    n += (size_t)sprintf(t + n,
                         "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
                         "xmlns:a=\"http://www.w3.org/2005/08/addressing\"><s:Header>"
                         "<a:Action s:mustUnderstand=\"1\">http://tempuri.org/IDirectory/SearchResponse</a:Action>"
                         "<a:RelatesTo>urn:uuid:61dfd633-8f3b-40e1-9ea9-3879d62449a7</a:RelatesTo></s:Header>"
                         "<s:Body><SearchResponse xmlns=\"http://tempuri.org/\"><SearchResult "
                         "xmlns:b=\"http://schemas.datacontract.org/2004/07/Directory\" "
                         "xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\">");
    for (int i = 0; i < items; i++)
        n += (size_t)sprintf(t + n,
                             "<b:Entry><b:Id>%d</b:Id><b:Name>user%05d</b:Name>"
                             "<b:DistinguishedName>CN=user%05d,OU=People,DC=example,DC=com</b:DistinguishedName>"
                             "<b:Enabled>%s</b:Enabled><b:Manager i:nil=\"true\"/></b:Entry>",
                             i * 7919, i, i, i % 3 ? "true" : "false");
    n += (size_t)sprintf(t + n, "</SearchResult></SearchResponse></s:Body></s:Envelope>");
    *len = n;
    return t;
}

static ntcp_xml_limits big_limits(void)
{
    ntcp_xml_limits l;
    ntcp_xml_limits_init(&l);
    l.max_size = 1u << 30;
    return l;
}

static int prepare(doc *d, const char *name, char *text, size_t len)
{
    d->name = name;
    d->text = text;
    d->text_len = len;
    ntcp_xml_writer_options wo = { big_limits(), NTCP_XML_SESSION_DEFAULT, NULL, NULL };
    ntcp_xml_writer *w;
    ntcp_buf b;
    ntcp_buf_init(&b, SIZE_MAX);
    if (ntcp_xml_writer_new(&w, &wo, NULL) || ntcp_xml_from_text(text, len, w, &b))
        return -1;
    ntcp_xml_writer_free(w);
    d->bin = ntcp_buf_detach(&b, &d->bin_len);
    /* node list */
    ntcp_xml_limits lim = big_limits();
    ntcp_xml_reader *r;
    if (ntcp_xml_reader_new(&r, &lim, NULL) || ntcp_xml_reader_reset(r, d->bin, d->bin_len))
        return -1;
    size_t cap = 1024, acap = 1024, na = 0;
    d->nodes = malloc(cap * sizeof *d->nodes);
    d->attrs = malloc(acap * sizeof *d->attrs);
    size_t *attr_index = malloc(cap * sizeof *attr_index);
    ntcp_xml_node n;
    while (ntcp_xml_reader_next(r, &n) == NTCP_OK && n.type != NTCP_XML_NODE_EOF) {
        if (d->nnodes == cap) {
            cap *= 2;
            d->nodes = realloc(d->nodes, cap * sizeof *d->nodes);
            attr_index = realloc(attr_index, cap * sizeof *attr_index);
        }
        while (na + n.nattrs > acap) {
            acap *= 2;
            d->attrs = realloc(d->attrs, acap * sizeof *d->attrs);
        }
        if (n.nattrs)
            memcpy(d->attrs + na, n.attrs, n.nattrs * sizeof *n.attrs);
        attr_index[d->nnodes] = na;
        na += n.nattrs;
        d->nodes[d->nnodes++] = n;
    }
    for (size_t i = 0; i < d->nnodes; i++)
        d->nodes[i].attrs = d->attrs + attr_index[i];
    free(attr_index);
    ntcp_xml_reader_free(r);
    return 0;
}

static volatile size_t sink;

static size_t run_decode(const doc *d, ntcp_xml_reader *r)
{
    size_t acc = 0;
    ntcp_xml_node n;
    if (ntcp_xml_reader_reset(r, d->bin, d->bin_len))
        abort();
    while (ntcp_xml_reader_next(r, &n) == NTCP_OK && n.type != NTCP_XML_NODE_EOF)
        acc += n.name.local.len + n.value.s.len + n.nattrs;
    return acc;
}

static size_t run_encode(const doc *d, ntcp_xml_writer *w, ntcp_buf *out)
{
    ntcp_buf_reset(out);
    for (size_t i = 0; i < d->nnodes; i++)
        if (ntcp_xml_writer_node(w, &d->nodes[i]))
            abort();
    if (ntcp_xml_writer_finish(w, out))
        abort();
    return out->len;
}

static size_t run_libxml2(const doc *d)
{
    xmlDocPtr x = xmlReadMemory(d->text, (int)d->text_len, NULL, NULL, XML_PARSE_NONET);
    if (!x)
        abort();
    xmlFreeDoc(x);
    return 1;
}

/* seconds per iteration of fn, measured over ~budget seconds */
#define MEASURE(result, budget, expr)                                                                  \
    do {                                                                                               \
        size_t iters = 0;                                                                              \
        double t0 = now(), t;                                                                          \
        do {                                                                                           \
            for (int k_ = 0; k_ < 64; k_++)                                                            \
                sink += (expr);                                                                        \
            iters += 64;                                                                               \
            t = now();                                                                                 \
        } while (t - t0 < (budget));                                                                   \
        (result) = (t - t0) / (double)iters;                                                           \
    } while (0)

int main(int argc, char **argv)
{
    double budget = argc > 1 ? atof(argv[1]) : 0.5;
    xmlInitParser();
    doc docs[3];
    memset(docs, 0, sizeof docs);
    size_t large_len;
    char *large = large_response(3000, &large_len);
    if (prepare(&docs[0], "small request", strdup(small_request), strlen(small_request)) ||
        prepare(&docs[1], "small response", strdup(small_response), strlen(small_response)) ||
        prepare(&docs[2], "large response (3000 entries)", large, large_len)) {
        fprintf(stderr, "bench_xml: preparing the corpus failed\n");
        return 1;
    }
    ntcp_xml_limits lim = big_limits();
    ntcp_xml_reader *r;
    ntcp_xml_writer *w;
    ntcp_xml_writer_options wo = { big_limits(), 0, NULL, NULL };
    if (ntcp_xml_reader_new(&r, &lim, NULL) || ntcp_xml_writer_new(&w, &wo, NULL))
        return 1;
    ntcp_buf out;
    ntcp_buf_init(&out, SIZE_MAX);
    printf("%-32s %8s %8s %6s | %10s %10s %10s | %7s %7s\n", "document", "text B", "binary B", "nodes",
           "decode", "encode", "libxml2", "dec x", "enc x");
    double worst_dec = 1e9, worst_enc = 1e9;
    for (int i = 0; i < 3; i++) {
        const doc *d = &docs[i];
        double td, te, tx;
        MEASURE(td, budget, run_decode(d, r));
        MEASURE(te, budget, run_encode(d, w, &out));
        MEASURE(tx, budget, run_libxml2(d));
        double rd = tx / td, re = tx / te;
        if (rd < worst_dec)
            worst_dec = rd;
        if (re < worst_enc)
            worst_enc = re;
        printf("%-32s %8zu %8zu %6zu | %6.0f MB/s %6.0f MB/s %6.0f MB/s | %6.1fx %6.1fx\n", d->name, d->text_len,
               d->bin_len, d->nnodes, (double)d->bin_len / td / 1e6, (double)d->bin_len / te / 1e6,
               (double)d->text_len / tx / 1e6, rd, re);
    }
    printf("\nratios are documents per second against libxml2 xmlReadMemory of the same document as text\n");
    printf("lowest: decode %.1fx (floor 3x) %s, encode %.1fx (floor 2x) %s\n", worst_dec,
           worst_dec >= 3 ? "ok" : "BELOW FLOOR", worst_enc, worst_enc >= 2 ? "ok" : "BELOW FLOOR");
    ntcp_buf_free(&out);
    ntcp_xml_reader_free(r);
    ntcp_xml_writer_free(w);
    for (int i = 0; i < 3; i++) {
        free(docs[i].text);
        ntcp_free(docs[i].bin);
        free(docs[i].nodes);
        free(docs[i].attrs);
    }
    xmlCleanupParser();
    return 0;
}
