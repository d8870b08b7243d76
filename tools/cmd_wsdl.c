/* nettcp wsdl: a service's endpoints and operations from its WSDL (a file or
 * an http(s) URL, imports followed), as text or JSON (jansson). */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <nettcp/client.h>
#include <nettcp/wsdl.h>
#include "cli.h"

static void usage(FILE *f)
{
    fprintf(f,
    "usage: nettcp wsdl SOURCE [--json] [--no-negotiate] [--timeout SECONDS]\n"
    "       nettcp wsdl net.tcp://HOST:PORT/PATH/mex [--security none|transport] [client options] [--json]\n"
    "\n"
    "Reads a WSDL and everything it imports (wsdl:import, xsd:import, xsd:include) and prints each\n"
    "endpoint (address, binding, transport, encoding, framing mode, security, client credential,\n"
    "protection level, identity) and each operation (action, reply action, input and output elements).\n"
    "\n"
    "  SOURCE            a file, or http(s)://HOST/PATH?wsdl (also ?singleWsdl), or a net.tcp mex\n"
    "                    address: WS-MetadataExchange Get as WCF's mexTcpBinding sends it (binary\n"
    "                    session encoding, security None); imports resolve inside the reply\n"
    "  --security M      for a net.tcp mex address: none (default, mexTcpBinding) or transport (Windows\n"
    "                    transport security, as 'nettcp call' opens it, with the client options below)\n"
    "  --json            one JSON document: {\"endpoints\":[...],\"operations\":[...]}\n"
    "  --no-negotiate    do not answer HTTP Negotiate (Kerberos) challenges\n"
    "  --timeout S       each HTTP request (default 30)\n"
    "\n"
    "%s"
    "Exit status: 0 read, 1 the WSDL could not be read (the error names the element and a cause id), 2 usage.\n",
    cli_client_options_help);
}

static json_t *str_or_null(const char *s) { return s ? cli_json_str(s) : json_null(); }

static json_t *message_json(const ntcp_wsdl_message *m)
{
    if (!m->element)
        return json_null();
    json_t *fields = json_array();
    for (size_t i = 0; i < m->nfields; i++) {
        const ntcp_wsdl_field *f = &m->fields[i];
        json_array_append_new(fields, json_pack("{s:o,s:o,s:i,s:i,s:b}", "name", str_or_null(f->name), "type",
                                                str_or_null(f->type), "min", f->min_occurs, "max", f->max_occurs,
                                                "nillable", f->nillable));
    }
    return json_pack("{s:s,s:s,s:o,s:o}", "element", m->element, "namespace", m->ns ? m->ns : "", "type",
                     str_or_null(m->type), "fields", fields);
}

static int print_json(const ntcp_wsdl *w)
{
    json_t *eps = json_array(), *ops = json_array();
    for (size_t i = 0; i < ntcp_wsdl_endpoint_count(w); i++) {
        const ntcp_wsdl_endpoint *e = ntcp_wsdl_endpoint_at(w, i);
        json_t *id = e->identity_kind ? json_pack("{s:s,s:o}", "kind", e->identity_kind, "value",
                                                  str_or_null(e->identity_value))
                                      : json_null();
        json_array_append_new(
            eps, json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "name", str_or_null(e->name), "address",
                           str_or_null(e->address), "binding", str_or_null(e->binding), "contract",
                           str_or_null(e->contract), "transport", str_or_null(e->transport), "encoding",
                           str_or_null(e->encoding), "mode", str_or_null(e->mode), "security",
                           str_or_null(e->security), "credential", str_or_null(e->credential), "protection",
                           str_or_null(e->protection), "identity", id));
    }
    for (size_t i = 0; i < ntcp_wsdl_operation_count(w); i++) {
        const ntcp_wsdl_operation *o = ntcp_wsdl_operation_at(w, i);
        json_array_append_new(ops, json_pack("{s:o,s:o,s:o,s:o,s:o,s:o}", "name", str_or_null(o->name), "contract",
                                             str_or_null(o->contract), "action", str_or_null(o->action),
                                             "reply_action", str_or_null(o->reply_action), "input",
                                             message_json(&o->input), "output", message_json(&o->output)));
    }
    json_t *doc = json_pack("{s:o,s:o}", "endpoints", eps, "operations", ops);
    int rc = json_dumpf(doc, stdout, JSON_PRESERVE_ORDER | JSON_COMPACT) ? 1 : 0;
    putchar('\n');
    json_decref(doc);
    return rc;
}

static void print_message(const char *what, const ntcp_wsdl_message *m)
{
    if (!m->element)
        return;
    printf("    %s {%s}%s (%s)\n", what, m->ns, m->element, m->type);
    for (size_t i = 0; i < m->nfields; i++) {
        const ntcp_wsdl_field *f = &m->fields[i];
        char occ[32];
        if (f->max_occurs < 0)
            snprintf(occ, sizeof occ, "[%d..*]", f->min_occurs);
        else
            snprintf(occ, sizeof occ, "[%d..%d]", f->min_occurs, f->max_occurs);
        printf("      %s: %s %s%s\n", f->name, f->type, occ, f->nillable ? " nillable" : "");
    }
}

static void print_text(const ntcp_wsdl *w)
{
    for (size_t i = 0; i < ntcp_wsdl_endpoint_count(w); i++) {
        const ntcp_wsdl_endpoint *e = ntcp_wsdl_endpoint_at(w, i);
        printf("endpoint %s\n  address    %s\n  binding    %s (contract %s)\n  transport  %s, encoding %s, mode %s\n"
               "  security   %s, credential %s, protection %s\n  identity   %s%s%s\n",
               e->name ? e->name : "", e->address ? e->address : "-", e->binding ? e->binding : "-",
               e->contract ? e->contract : "-", e->transport ? e->transport : "-", e->encoding, e->mode, e->security,
               e->credential, e->protection, e->identity_kind ? e->identity_kind : "none (WCF uses the default: "
               "host/<host of the address>)", e->identity_kind ? ":" : "", e->identity_kind ? e->identity_value : "");
    }
    for (size_t i = 0; i < ntcp_wsdl_operation_count(w); i++) {
        const ntcp_wsdl_operation *o = ntcp_wsdl_operation_at(w, i);
        printf("operation %s.%s\n  action       %s\n  reply action %s\n", o->contract, o->name, o->action,
               o->reply_action ? o->reply_action : "(one-way)");
        print_message("input ", &o->input);
        print_message("output", &o->output);
    }
}

int cmd_wsdl(int argc, char **argv)
{
    /* "timeout" first: getopt takes the first exact match, this command's own */
    static const struct option longopts[] = { { "json", no_argument, NULL, 'j' },
                                              { "no-negotiate", no_argument, NULL, 'N' },
                                              { "timeout", required_argument, NULL, 't' },
                                              { "help", no_argument, NULL, 'h' },
                                              CLI_CLIENT_LONG_OPTIONS,
                                              { NULL, 0, NULL, 0 } };
    int json = 0, c;
    ntcp_wsdl_options o;
    ntcp_wsdl_options_init(&o);
    ntcp_client_options co; /* a net.tcp mex address: mexTcpBinding (security None) unless --security */
    ntcp_client_options_init(&co);
    co.security = NTCP_SECURITY_NONE;
    bool client_set = false;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (c != 't') {
            int r = cli_client_option("wsdl", c, optarg, &co);
            if (r == 2)
                return 2;
            if (r == 0) {
                client_set = true;
                continue;
            }
        }
        switch (c) {
        case 'j': json = 1; break;
        case 'N': o.negotiate = 0; break;
        case 't': {
            char *end;
            long s = strtol(optarg, &end, 10);
            if (*end || s <= 0 || s > 86400) {
                fprintf(stderr, "nettcp wsdl: --timeout takes seconds (1-86400)\n");
                return 2;
            }
            o.timeout_ms = s * 1000;
            co.channel.open_timeout_ms = co.channel.send_timeout_ms = co.channel.receive_timeout_ms =
                co.channel.close_timeout_ms = (int)(s * 1000);
            break;
        }
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc - 1) {
        usage(stderr);
        return 2;
    }
    const char *src = argv[optind];
    bool mex = !strncmp(src, "net.tcp://", 10);
    if (client_set && !mex) {
        fprintf(stderr, "nettcp wsdl: --security and the client options apply to a net.tcp mex address\n");
        return 2;
    }
    char *password = NULL;
    if (mex && cli_client_password("wsdl", &co, &password))
        return 2;
    ntcp_error err;
    ntcp_wsdl *w;
    ntcp_status st = mex ? ntcp_wsdl_load_mex(src, &co, &o, &w, &err) : ntcp_wsdl_load(src, &o, &w, &err);
    cli_client_password_free(password);
    if (st) {
        cli_print_error("wsdl", &err);
        if (json) {
            cli_json_print(json_pack("{s:o,s:o}", "error", cli_json_str(ntcp_error_text(&err)), "cause",
                                     cli_json_str(ntcp_error_id(&err))));
        }
        return 1;
    }
    int rc = json ? print_json(w) : (print_text(w), 0);
    ntcp_wsdl_free(w);
    return rc;
}
