/* nettcp call --wsdl SOURCE --op NAME --args JSON: the request body built
 * from the operation's schema, the endpoint's security and identity taken
 * from the WSDL unless options say otherwise, and the reply printed as JSON
 * typed by the schema. JSON through jansson (parsing and string escaping);
 * numbers are printed as the text the reply carried, so a decimal keeps
 * every digit. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <nettcp/wsdl.h>
#include "cli.h"
#include "call_schema.h"

struct cli_schema {
    ntcp_wsdl *w;
    const ntcp_wsdl_operation *op;
    const ntcp_wsdl_endpoint *ep;
    char identity[4096];
    const char *identity_from; /* "wsdl", "option" or "default" */
    const char *security_from; /* "wsdl" or "option" */
    char url[1024];
};

void cli_schema_args_init(struct cli_schema_args *a) { memset(a, 0, sizeof *a); }

int cli_schema_option(int c, const char *arg, struct cli_schema_args *a)
{
    switch (c) {
    case CLI_OPT_WSDL: a->wsdl = arg; return 0;
    case CLI_OPT_OP: a->op = arg; return 0;
    case CLI_OPT_ARGS: a->args = arg; return 0;
    case CLI_OPT_ENDPOINT_NAME: a->endpoint_name = arg; return 0;
    case 's': a->given_security = 1; break;
    case 'i': a->given_identity = 1; break;
    case 'P': a->given_protection = 1; break;
    case CLI_OPT_CREDENTIAL: a->given_credential = 1; break;
    case 'm': a->given_mode = 1; break;
    default: break;
    }
    return -1;
}

/* ---- JSON <-> values ---- */

static ntcp_value *from_json(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_NULL: return ntcp_value_new(NTCP_VALUE_NULL);
    case JSON_TRUE: return ntcp_value_bool(1);
    case JSON_FALSE: return ntcp_value_bool(0);
    case JSON_STRING: return ntcp_value_string(json_string_value(j), json_string_length(j));
    case JSON_INTEGER: {
        char b[32];
        snprintf(b, sizeof b, "%" JSON_INTEGER_FORMAT, json_integer_value(j));
        return ntcp_value_number(b);
    }
    case JSON_REAL: {
        /* the shortest text that reads back as the same double */
        double d = json_real_value(j);
        char b[40];
        for (int p = 1; p <= 17; p++) {
            snprintf(b, sizeof b, "%.*g", p, d);
            if (strtod(b, NULL) == d)
                break;
        }
        return ntcp_value_number(b);
    }
    case JSON_ARRAY: {
        ntcp_value *a = ntcp_value_new(NTCP_VALUE_ARRAY);
        size_t i;
        const json_t *x;
        json_array_foreach(j, i, x)
        {
            if (!a || ntcp_value_append(a, from_json(x))) {
                ntcp_value_free(a);
                return NULL;
            }
        }
        return a;
    }
    case JSON_OBJECT: {
        ntcp_value *o = ntcp_value_new(NTCP_VALUE_OBJECT);
        const char *k;
        const json_t *x;
        json_object_foreach((json_t *)j, k, x)
        {
            if (!o || ntcp_value_set(o, k, from_json(x))) {
                ntcp_value_free(o);
                return NULL;
            }
        }
        return o;
    }
    }
    return NULL;
}

static void put_json_string(FILE *f, const char *s, size_t n)
{
    json_t *j = cli_json_bytes(s, n); /* checked: ill-formed UTF-8 becomes U+FFFD, never invalid JSON */
    char *t = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
    fputs(t ? t : "null", f);
    free(t);
    json_decref(j);
}

static void to_json(FILE *f, const ntcp_value *v)
{
    size_t n;
    const char *s;
    switch (ntcp_value_kind_of(v)) {
    case NTCP_VALUE_NULL: fputs("null", f); break;
    case NTCP_VALUE_BOOL: fputs(ntcp_value_is_true(v) ? "true" : "false", f); break;
    case NTCP_VALUE_NUMBER: fputs(ntcp_value_text(v, NULL), f); break; /* JSON's grammar (ntcp_value_number) */
    case NTCP_VALUE_STRING:
        s = ntcp_value_text(v, &n);
        put_json_string(f, s, n);
        break;
    case NTCP_VALUE_ARRAY:
        fputc('[', f);
        for (size_t i = 0; i < ntcp_value_count(v); i++) {
            if (i)
                fputc(',', f);
            to_json(f, ntcp_value_at(v, i));
        }
        fputc(']', f);
        break;
    case NTCP_VALUE_OBJECT:
        fputc('{', f);
        for (size_t i = 0; i < ntcp_value_count(v); i++) {
            if (i)
                fputc(',', f);
            const char *k = ntcp_value_key_at(v, i);
            put_json_string(f, k, strlen(k));
            fputc(':', f);
            to_json(f, ntcp_value_at(v, i));
        }
        fputc('}', f);
        break;
    }
}

/* ---- the endpoint ---- */

static int same_url(const char *a, const char *b) { return a && b && !strcasecmp(a, b); }

/* The WSDL endpoint to take settings from: --endpoint-name, the one at URL,
 * else the only net.tcp one of the operation's contract (or of the WSDL). */
static const ntcp_wsdl_endpoint *pick_endpoint(const ntcp_wsdl *w, const struct cli_schema_args *a, const char *url,
                                               const char *contract, int *count)
{
    size_t n = ntcp_wsdl_endpoint_count(w);
    *count = 0;
    if (a->endpoint_name) {
        for (size_t i = 0; i < n; i++)
            if (!strcmp(ntcp_wsdl_endpoint_at(w, i)->name ? ntcp_wsdl_endpoint_at(w, i)->name : "", a->endpoint_name))
                return *count = 1, ntcp_wsdl_endpoint_at(w, i);
        return NULL;
    }
    const ntcp_wsdl_endpoint *found = NULL;
    if (url)
        for (size_t i = 0; i < n; i++) {
            const ntcp_wsdl_endpoint *e = ntcp_wsdl_endpoint_at(w, i);
            if (same_url(e->address, url) && (!contract || (e->contract && !strcmp(e->contract, contract))))
                return *count = 1, e;
        }
    for (int pass = 0; pass < 2 && !*count; pass++)
        for (size_t i = 0; i < n; i++) {
            const ntcp_wsdl_endpoint *e = ntcp_wsdl_endpoint_at(w, i);
            if (!e->transport || strcmp(e->transport, "tcp"))
                continue;
            if (pass == 0 && contract && (!e->contract || strcmp(e->contract, contract)))
                continue;
            if (!*count)
                found = e;
            ++*count;
        }
    return *count == 1 ? found : NULL;
}

static void fail_msg(const char *cmd, ntcp_error *e, ntcp_status st, ntcp_cause cause, const char *fmt, const char *a1,
                     const char *a2)
{
    (void)cmd;
    ntcp_error_set(e, st, cause, NTCP_STEP_OPTIONS, fmt, a1 ? a1 : "", a2 ? a2 : "");
}

/* The endpoint's settings into the options where no option set them. */
static int apply_endpoint(struct cli_schema *s, const struct cli_schema_args *a, ntcp_client_options *o,
                          ntcp_error *e)
{
    const ntcp_wsdl_endpoint *ep = s->ep;
    s->security_from = "option";
    s->identity_from = a->given_identity ? "option" : "default";
    if (!ep)
        return 0;
    if (ep->transport && strcmp(ep->transport, "tcp")) {
        fail_msg("call", e, NTCP_E_UNSUPPORTED, NTCP_CAUSE_WSDL_UNSUPPORTED,
                 "endpoint %s: transport %s, not net.tcp", ep->name, ep->transport);
        return 1;
    }
    if (!a->given_security && !a->given_credential) {
        if (!strcmp(ep->security, "None"))
            o->security = NTCP_SECURITY_NONE;
        else if (!strcmp(ep->security, "Transport")) {
            o->security = NTCP_SECURITY_TRANSPORT;
            o->credential = !strcmp(ep->credential, "Certificate") ? NTCP_CREDENTIAL_CERTIFICATE
                            : !strcmp(ep->credential, "None")      ? NTCP_CREDENTIAL_NONE
                                                                   : NTCP_CREDENTIAL_WINDOWS;
        } else {
            fail_msg("call", e, NTCP_E_UNSUPPORTED, NTCP_CAUSE_WSDL_UNSUPPORTED,
                     "endpoint %s: security mode %s is not supported (None and Transport are); --security overrides",
                     ep->name, ep->security);
            return 1;
        }
        s->security_from = "wsdl";
    }
    if (!a->given_protection && o->security == NTCP_SECURITY_TRANSPORT && o->credential == NTCP_CREDENTIAL_WINDOWS) {
        if (!strcmp(ep->protection, "Sign"))
            o->nns.protection = NTCP_PROTECTION_SIGN;
        else if (!strcmp(ep->protection, "None"))
            o->nns.protection = NTCP_PROTECTION_NONE;
        else
            o->nns.protection = NTCP_PROTECTION_ENCRYPT_AND_SIGN;
    }
    if (!a->given_mode && ep->mode && !strcmp(ep->mode, "streamed")) {
        o->channel.mode = NTCP_MODE_SINGLETON_UNSIZED;
        o->channel.encoding = NTCP_ENC_BINARY;
    }
    if (!a->given_identity && ep->identity_kind && ep->identity_value) {
        const char *k = ep->identity_kind;
        const char *prefix = !strcmp(k, "spn") ? "spn" : !strcmp(k, "upn") ? "upn" : !strcmp(k, "dns") ? "dns"
                             : !strcmp(k, "x509") ? "cert" : !strcmp(k, "rsa") ? "rsa" : NULL;
        if (prefix) {
            snprintf(s->identity, sizeof s->identity, "%s:%s", prefix, ep->identity_value);
            o->nns.identity = s->identity;
            o->tls.identity = s->identity;
            s->identity_from = "wsdl";
        }
    }
    return 0;
}

int cli_schema_prepare(const struct cli_schema_args *a, const char **url, ntcp_client_options *o, char **action,
                       uint8_t **body, size_t *body_len, struct cli_schema **out, ntcp_error *err)
{
    *out = NULL;
    ntcp_error_clear(err);
    ntcp_error e;
    struct cli_schema *s = calloc(1, sizeof *s);
    if (!s)
        return 1;
    ntcp_wsdl_options wo;
    ntcp_wsdl_options_init(&wo);
    if (ntcp_wsdl_load(a->wsdl, &wo, &s->w, err)) {
        free(s);
        return 1;
    }
    s->op = a->op ? ntcp_wsdl_operation_find(s->w, a->op) : NULL;
    if (a->op && !s->op) {
        fail_msg("call", &e, NTCP_E_INVALID_ARG, NTCP_CAUSE_WSDL_NO_OPERATION, "--op %s: %s", a->op,
                 "no such operation in the WSDL, or several contracts have one (then give Contract.Name)");
        *err = e;
        cli_schema_free(s);
        return 1;
    }
    if (s->op && !s->op->reply_action) {
        fail_msg("call", &e, NTCP_E_UNSUPPORTED, NTCP_CAUSE_WSDL_UNSUPPORTED,
                 "--op %s: a one-way operation (no wsdl:output)%s", a->op, "; send it with --mode simplex "
                 "--action --body");
        cli_schema_free(s);
        return 1;
    }
    int count;
    s->ep = pick_endpoint(s->w, a, *url, s->op ? s->op->contract : NULL, &count);
    if (a->endpoint_name && !s->ep) {
        fail_msg("call", &e, NTCP_E_INVALID_ARG, NTCP_CAUSE_WSDL_NO_ENDPOINT, "--endpoint-name %s: %s",
                 a->endpoint_name, "no wsdl:port of that name");
        *err = e;
        cli_schema_free(s);
        return 1;
    }
    if (!*url) {
        if (!s->ep || !s->ep->address) {
            fail_msg("call", &e, NTCP_E_INVALID_ARG, NTCP_CAUSE_WSDL_NO_ENDPOINT, "no URL given, and %s%s",
                     count ? "the WSDL has several net.tcp endpoints" : "the WSDL has no net.tcp endpoint",
                     count ? " (name one with --endpoint-name)" : "");
            *err = e;
            cli_schema_free(s);
            return 1;
        }
        snprintf(s->url, sizeof s->url, "%s", s->ep->address);
        *url = s->url;
    }
    if (apply_endpoint(s, a, o, &e)) {
        *err = e;
        cli_schema_free(s);
        return 1;
    }
    if (!s->op) { /* doctor without --op: the endpoint's settings only */
        *out = s;
        return 0;
    }
    /* the arguments */
    uint8_t *text = NULL;
    size_t tlen = 0;
    if (a->args && cli_body(a->args, &text, &tlen)) {
        cli_schema_free(s);
        return 1;
    }
    json_error_t je;
    json_t *j = text ? json_loadb((const char *)text, tlen, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je) : NULL;
    free(text);
    if (a->args && !j) {
        char msg[300];
        snprintf(msg, sizeof msg, "--args: not JSON: %s (line %d, column %d)%s", je.text, je.line, je.column,
                 strstr(je.text, "too big") ? "; give a number of many digits (a decimal) as a string" : "");
        ntcp_error_set(&e, NTCP_E_MALFORMED, NTCP_CAUSE_WSDL_BAD_ARGS, NTCP_STEP_OPTIONS, "%s", msg);
        *err = e;
        cli_schema_free(s);
        return 1;
    }
    ntcp_value *v = j ? from_json(j) : NULL;
    json_decref(j);
    if (a->args && !v) {
        fprintf(stderr, "nettcp call: out of memory\n");
        cli_schema_free(s);
        return 1;
    }
    char *xml = NULL;
    size_t n = 0;
    ntcp_status st = ntcp_wsdl_build_body(s->w, s->op, v, &xml, &n, &e);
    ntcp_value_free(v);
    if (st) {
        *err = e;
        cli_schema_free(s);
        return 1;
    }
    /* the CLI frees with free(): copy out of the library's allocator */
    *body = malloc(n + 1);
    if (!*body) {
        ntcp_free(xml);
        cli_schema_free(s);
        return 1;
    }
    memcpy(*body, xml, n + 1);
    ntcp_free(xml);
    *body_len = n;
    *action = (char *)s->op->action;
    *out = s;
    return 0;
}

void cli_schema_verbose(const struct cli_schema *s, FILE *f)
{
    char op[300] = "";
    if (s->op)
        snprintf(op, sizeof op, "operation %s.%s, ", s->op->contract, s->op->name);
    if (s->ep)
        fprintf(f, "wsdl: %sendpoint %s (%s)\n", op, s->ep->name ? s->ep->name : "",
                s->ep->address ? s->ep->address : "");
    else
        fprintf(f, "wsdl: %sno endpoint of the WSDL matches: options and defaults only\n", op);
    fprintf(f, "wsdl: security from the %s; identity from the %s%s%s\n", s->security_from,
            s->identity_from, strcmp(s->identity_from, "default") ? ": " : " (host/<host of the URL>)",
            !strcmp(s->identity_from, "wsdl") ? s->identity : "");
}

const char *cli_schema_identity_from(const struct cli_schema *s) { return s ? s->identity_from : NULL; }

char *cli_schema_reply(const struct cli_schema *s, const uint8_t *body, size_t len, ntcp_error *e)
{
    ntcp_value *v = NULL;
    if (ntcp_wsdl_read_body(s->w, s->op, body, len, &v, e))
        return NULL;
    char *out = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&out, &n);
    if (!f) {
        ntcp_value_free(v);
        ntcp_error_set(e, NTCP_E_NOMEM, NTCP_CAUSE_OUT_OF_MEMORY, NTCP_STEP_DECODE, "out of memory");
        return NULL;
    }
    to_json(f, v);
    fclose(f);
    ntcp_value_free(v);
    return out;
}

void cli_schema_free(struct cli_schema *s)
{
    if (!s)
        return;
    ntcp_wsdl_free(s->w);
    free(s);
}
