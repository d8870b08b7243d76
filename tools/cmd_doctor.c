/* nettcp doctor: walk a connection step by step, time each, and on failure
 * name the step, the cause and what to change. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nettcp/doctor.h>
#include "cli.h"
#include "call_schema.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: nettcp doctor URL [--security none|transport] [--package negotiate|kerberos|ntlm]\n"
            "                     [--protection none|sign|encrypt] [--identity dns:NAME|spn:NAME|upn:NAME]\n"
            "                     [--user NAME] [--ccache NAME] [--client-keytab FILE] [--anonymous]\n"
            "                     [--no-require-server-auth] [--impersonation identify|impersonate|delegate]\n"
            "                     [--timeout SECONDS] [--action URI [--body XML|@FILE]]\n"
            "                     [--mode duplex|streamed|simplex|singleton] [--encoding binary-session|binary|soap12|soap11|mtom]\n"
            "                     [--ldap URL | --no-ldap] [--service-keytab FILE]\n"
            "                     [--credential windows|certificate|none] [--ca FILE]\n"
            "                     [--client-cert FILE --client-key FILE] [--validation chain|peer|none]\n"
            "                     [--revocation nocheck|online|offline] [--tls-min 1.2|1.3] [--tls-max 1.2|1.3]\n"
            "                     [--json] [--trace FILE [--trace-format json|svclog] [--log-messages transport|service]\n"
            "                      [--log-entire-message] [--max-logged-size N] [--propagate-activity]]\n"
            "       nettcp doctor [URL] --wsdl SOURCE [--endpoint-name NAME] [--op NAME [--args JSON|@FILE]] [options]\n"
            "\n"
            "Opens a connection to URL the way 'nettcp call' does, with the same client options, and\n"
            "reports each step with its time and outcome: resolve (host -> addresses), connect (TCP),\n"
            "preamble (via, mode, encoding), upgrade (the service's answer to the security upgrade),\n"
            "target (which identity, which SPN and why), credentials (which principal, from where, until\n"
            "when), kdc (is a service ticket issued, with which key version), directory (which account\n"
            "holds the target name, its encryption types and account flags, read from Active Directory),\n"
            "handshake (NegotiateStream:\n"
            "package, protection, mutual authentication), identity (who the service proved to be),\n"
            "preamble_ack, request (with --action) and close. On failure it names the cause (a stable id),\n"
            "what was tried (target, principal, package) and what to change.\n"
            "\n"
            "%s"
            "  --action URI       send a test request with this SOAP Action (body from --body, or empty)\n"
            "  --body XML|@FILE   the test request's body\n"
            "  --mode M           the framing mode to offer: duplex (default, as NetTcpBinding), streamed\n"
            "                     (singleton-unsized), simplex or singleton (singleton-sized; one way)\n"
            "  --encoding E       the message encoding to offer (default binary-session, as NetTcpBinding)\n"
            "  --ldap URL         the directory to read (LDAP, SASL GSSAPI bind with the client's Kerberos\n"
            "                     tickets); default ldap://<the realm's first KDC in krb5.conf>\n"
            "  --no-ldap          do not read the directory\n"
            "  --service-keytab F the service's keytab, when readable here: its keys are compared with the\n"
            "                     ticket and the directory (spn_wrong_account, enctype_mismatch)\n"
            "  --wsdl SOURCE      take the security, protection and identity from a WSDL's endpoint (options\n"
            "                     given win); the report says where the identity came from; --op NAME and\n"
            "                     --args JSON make the test request from the schema; --endpoint-name N picks\n"
            "                     the endpoint (without URL: its address)\n"
            "  --json             the report as one JSON object: ok, url, steps [name, outcome, ms, detail],\n"
            "                     directory {checked, url, note, accounts}, and on failure cause, advice and\n"
            "                     tried {target, principal, package}\n"
            "%s"
            "\n"
            "Cause ids: default_spn_not_service, spn_unknown, service_key_mismatch, clock_skew,\n"
            "ntlm_without_server_auth, bad_password, unknown_user, no_credentials, credentials_expired,\n"
            "kdc_unreachable, anonymous_refused, anonymous_unavailable, security_mode_mismatch,\n"
            "encoding_refused, mode_refused, endpoint_not_found, connection_refused, connection_reset,\n"
            "host_unknown, timeout, server_too_busy, protection_not_granted, identity_mismatch,\n"
            "message_altered, action_not_supported, service_fault, spn_wrong_account, spn_duplicate,\n"
            "enctype_mismatch, account_disabled, password_expired, ntlm_fallback, ntlm_forced,\n"
            "identity_invalid, cert_expired, cert_not_yet_valid, cert_untrusted, cert_name_mismatch,\n"
            "cert_revoked, revocation_unknown, client_cert_required, client_cert_rejected,\n"
            "tls_protocol_mismatch, ... (docs/troubleshooting.md).\n"
            "With TLS (--credential certificate or none) the handshake step names the check that failed\n"
            "(chain, revocation, identity, client certificate, protocol) and the report prints the chain\n"
            "the service sent: subject, issuer, validity, SANs, SHA-1 thumbprint, key.\n"
            "\n"
            "exit status: 0 every step passed, 1 a step failed, 2 usage error.\n",
            cli_client_options_help, cli_trace_options_help);
}

static void print_json(const char *url, const ntcp_doctor_report *r, const char *identity_from)
{
    json_t *o = json_object(), *steps = json_array();
    json_object_set_new(o, "ok", json_boolean(r->ok));
    json_object_set_new(o, "url", cli_json_str(url));
    for (size_t i = 0; i < r->n_steps; i++) {
        const ntcp_doctor_step *s = &r->steps[i];
        json_array_append_new(steps, json_pack("{s:o,s:o,s:f,s:o}", "name", cli_json_str(s->name), "outcome",
                                               cli_json_str(ntcp_doctor_outcome_name(s->outcome)), "ms",
                                               round(s->ms * 1000.0) / 1000.0, "detail", cli_json_str(s->detail)));
    }
    json_object_set_new(o, "steps", steps);
    if (!r->ok) {
        json_object_set_new(o, "status", cli_json_str(ntcp_status_name(r->error.status)));
        json_object_set_new(o, "cause", cli_json_str(ntcp_error_id(&r->error)));
        json_object_set_new(o, "advice", cli_json_str(r->advice));
        json_object_set_new(o, "error", cli_json_str(ntcp_error_text(&r->error)));
    }
    if (r->tls) {
        json_t *chain = json_array();
        for (size_t i = 0; i < r->tls_result.chain_len; i++) {
            const ntcp_tls_cert_info *c = &r->tls_result.chain[i];
            json_array_append_new(chain, json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "subject", cli_json_str(c->subject),
                                                   "issuer", cli_json_str(c->issuer), "not_before",
                                                   cli_json_str(c->not_before), "not_after", cli_json_str(c->not_after),
                                                   "sans", cli_json_str(c->sans), "thumbprint",
                                                   cli_json_str(c->thumbprint), "key", cli_json_str(c->key)));
        }
        json_object_set_new(o, "tls", json_pack("{s:o,s:o,s:o}", "version", cli_json_str(r->tls_result.version),
                                                 "check_failed", cli_json_str(r->tls_check), "chain", chain));
    }
    json_t *accts = json_array();
    for (size_t i = 0; r->dir_checked && i < r->dir.n && i < NTCP_DIR_MAX_ACCOUNTS; i++) {
        const ntcp_dir_account *a = &r->dir.acct[i];
        json_array_append_new(accts, json_pack("{s:o,s:o,s:o,s:b,s:I,s:I,s:i}", "dn", cli_json_str(a->dn),
                                               "sam_account_name", cli_json_str(a->sam), "user_principal_name",
                                               cli_json_str(a->upn), "computer", a->computer ? 1 : 0,
                                               "user_account_control", (json_int_t)a->uac,
                                               "supported_encryption_types", (json_int_t)a->enctypes, "key_version",
                                               a->kvno));
    }
    json_object_set_new(o, "directory", json_pack("{s:b,s:o,s:o,s:o}", "checked", r->dir_checked ? 1 : 0, "url",
                                                  cli_json_str(r->dir.url), "note", cli_json_str(r->dir_note),
                                                  "accounts", accts));
    json_object_set_new(o, "tried", json_pack("{s:o,s:o,s:o}", "target", cli_json_str(r->tried_target), "principal",
                                              cli_json_str(r->tried_principal), "package",
                                              cli_json_str(r->tried_package)));
    if (identity_from) /* --wsdl: "wsdl", "option" or "default" */
        json_object_set_new(o, "identity_from", cli_json_str(identity_from));
    cli_json_print(o);
}

static void print_chain(const ntcp_doctor_report *r)
{
    const ntcp_tls_result *t = &r->tls_result;
    if (!r->tls || !t->chain_len)
        return;
    printf("the service's certificate chain, as received:\n");
    for (size_t i = 0; i < t->chain_len; i++) {
        const ntcp_tls_cert_info *c = &t->chain[i];
        printf("  [%zu] subject    %s\n      issuer     %s\n      valid      %s to %s\n      SANs       %s\n"
               "      thumbprint %s\n      key        %s\n",
               i, c->subject, c->issuer, c->not_before, c->not_after, c->sans[0] ? c->sans : "(none)", c->thumbprint,
               c->key);
    }
    if (r->tls_check[0])
        printf("the check that failed: %s\n", r->tls_check);
}

static void print_text(const char *url, const ntcp_doctor_report *r)
{
    printf("nettcp doctor %s\n", url);
    const char *failed_at = NULL;
    for (size_t i = 0; i < r->n_steps; i++) {
        const ntcp_doctor_step *s = &r->steps[i];
        if (s->outcome == NTCP_DOCTOR_FAILED && !failed_at)
            failed_at = s->name;
        printf("  [%9.1f ms] %-12s %-8s %s\n", s->ms, s->name, ntcp_doctor_outcome_name(s->outcome), s->detail);
    }
    print_chain(r);
    if (r->ok) {
        size_t warnings = 0;
        for (size_t i = 0; i < r->n_steps; i++)
            warnings += r->steps[i].outcome == NTCP_DOCTOR_WARNING;
        if (warnings)
            printf("result: ok, every step passed (%zu with a warning above)\n", warnings);
        else
            printf("result: ok, every step passed\n");
        return;
    }
    printf("result: FAILED%s%s\n", failed_at ? " at " : "", failed_at ? failed_at : "");
    printf("cause:  %s\n", ntcp_error_id(&r->error));
    if (r->tried_target[0] || r->tried_principal[0])
        printf("tried:  target %s, principal %s, package %s\n", r->tried_target[0] ? r->tried_target : "-",
               r->tried_principal[0] ? r->tried_principal : "-", r->tried_package);
    printf("advice: %s\n", r->advice);
}

int cmd_doctor(int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_CLIENT_LONG_OPTIONS,
        { "action", required_argument, NULL, 'A' }, { "body", required_argument, NULL, 'B' },
        { "json", no_argument, NULL, 'j' },         { "help", no_argument, NULL, 'h' },
        CLI_TRACE_LONG_OPTIONS,                     { "mode", required_argument, NULL, 'M' },
        { "encoding", required_argument, NULL, 'E' }, { "ldap", required_argument, NULL, 'L' },
        { "no-ldap", no_argument, NULL, 'N' },        { "service-keytab", required_argument, NULL, 'K' },
        CLI_SCHEMA_LONG_OPTIONS,                      { NULL, 0, NULL, 0 },
    };
    ntcp_doctor_options o;
    ntcp_doctor_options_init(&o);
    const char *body_arg = NULL;
    struct cli_trace_args ta;
    cli_trace_args_init(&ta);
    bool json = false;
    int c;
    optind = 1;
    bool enc_given = false;
    struct cli_schema_args sa;
    cli_schema_args_init(&sa);
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (cli_schema_option(c == 'M' ? 'm' : c, optarg, &sa) == 0)
            continue;
        int r = cli_client_option("doctor", c, optarg, &o.client);
        if (r == 2)
            return 2;
        if (r == 0)
            continue;
        r = cli_trace_option("doctor", c, optarg, &ta);
        if (r == 2)
            return 2;
        if (r == 0)
            continue;
        if (cli_directory_option(c, optarg, &o) == 0)
            continue;
        switch (c) {
        case 'A': o.action = optarg; break;
        case 'B': body_arg = optarg; break;
        case 'j': json = true; break;
        case 'M':
            if (cli_parse_mode("doctor", optarg, &o.client.channel.mode))
                return 2;
            break;
        case 'E':
            enc_given = true;
            if (cli_parse_encoding("doctor", optarg, &o.client.channel.encoding))
                return 2;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!enc_given && o.client.channel.mode != NTCP_MODE_DUPLEX)
        o.client.channel.encoding = NTCP_ENC_BINARY; /* as WCF: msbin1 outside duplex sessions */
    if ((sa.op || sa.args || sa.endpoint_name) && !sa.wsdl) {
        fprintf(stderr, "nettcp doctor: --op, --args and --endpoint-name go with --wsdl\n");
        return 2;
    }
    if (sa.args && !sa.op) {
        fprintf(stderr, "nettcp doctor: --args goes with --op\n");
        return 2;
    }
    if (sa.op && (o.action || body_arg)) {
        fprintf(stderr, "nettcp doctor: --op makes the test request: not with --action or --body\n");
        return 2;
    }
    if (optind != argc - 1 && !(sa.wsdl && optind == argc)) {
        fprintf(stderr, "nettcp doctor: one URL is required\n");
        usage(stderr);
        return 2;
    }
    if (body_arg && !o.action) {
        fprintf(stderr, "nettcp doctor: --body goes with --action\n");
        return 2;
    }
    if (o.action && (o.client.channel.mode != NTCP_MODE_DUPLEX || o.client.channel.encoding != NTCP_ENC_BINARY_SESSION)) {
        fprintf(stderr, "nettcp doctor: the test request (--action) needs duplex mode and binary-session encoding\n");
        return 2;
    }
    const char *url = optind < argc ? argv[optind] : NULL;
    uint8_t *body = NULL;
    size_t body_len = 0;
    struct cli_schema *schema = NULL;
    if (sa.wsdl) {
        char *op_action = NULL;
        ntcp_error perr;
        if (cli_schema_prepare(&sa, &url, &o.client, &op_action, &body, &body_len, &schema, &perr)) {
            if (perr.status)
                cli_print_error("doctor", &perr);
            return 1;
        }
        if (op_action)
            o.action = op_action;
    } else if (body_arg && cli_body(body_arg, &body, &body_len))
        return 1;
    o.body = (const char *)body;
    o.body_len = body_len;
    char *password = NULL;
    if (cli_client_password("doctor", &o.client, &password)) {
        free(body);
        cli_schema_free(schema);
        return 2;
    }
    o.client.channel.limits.max_message = 64u << 20;
    o.client.xml.max_size = 64u << 20;
    o.client.xml.max_string_len = 64u << 20;
    int rc = 1;
    if (cli_trace_open("doctor", &ta, "client", &o.trace))
        goto out;
    ntcp_doctor_report *r = malloc(sizeof *r);
    if (!r)
        goto out;
    ntcp_status st = ntcp_doctor_run(url, &o, r);
    if (st == NTCP_E_INVALID_ARG && r->error.cause == NTCP_CAUSE_BAD_ADDRESS) {
        fprintf(stderr, "nettcp doctor: %s\n", ntcp_error_text(&r->error));
        rc = 2;
    } else {
        if (json)
            print_json(url, r, cli_schema_identity_from(schema));
        else {
            if (schema)
                cli_schema_verbose(schema, stdout);
            print_text(url, r);
        }
        rc = r->ok ? 0 : 1;
    }
    free(r);
out:
    ntcp_trace_close(o.trace);
    cli_client_password_free(password);
    cli_schema_free(schema);
    free(body);
    return rc;
}
