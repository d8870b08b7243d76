/* Every option parser of the CLI: security, package, protection, byte
 * counts, framing modes and encodings, the client options `call` and
 * `doctor` share (identity, credentials, impersonation, timeout), call's
 * headers, doctor's directory options, and the trace options of serve,
 * call and doctor. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

int cli_parse_package(const char *s, ntcp_package *p)
{
    if (!strcmp(s, "negotiate"))
        *p = NTCP_PACKAGE_NEGOTIATE;
    else if (!strcmp(s, "kerberos"))
        *p = NTCP_PACKAGE_KERBEROS;
    else if (!strcmp(s, "ntlm"))
        *p = NTCP_PACKAGE_NTLM;
    else
        return -1;
    return 0;
}

int cli_parse_protection(const char *s, ntcp_protection *p)
{
    if (!strcmp(s, "encrypt") || !strcmp(s, "encryptandsign"))
        *p = NTCP_PROTECTION_ENCRYPT_AND_SIGN;
    else if (!strcmp(s, "sign"))
        *p = NTCP_PROTECTION_SIGN;
    else if (!strcmp(s, "none"))
        *p = NTCP_PROTECTION_NONE;
    else
        return -1;
    return 0;
}

int cli_parse_bytes(const char *cmd, const char *opt, const char *arg, uint32_t *out)
{
    char *end;
    unsigned long v = strtoul(arg, &end, 10);
    if (*end || v == 0 || v > 0x7FFFFFFFul) {
        fprintf(stderr, "nettcp %s: --%s takes a number of bytes from 1 to 2147483647\n", cmd, opt);
        return 2;
    }
    *out = (uint32_t)v;
    return 0;
}

int cli_parse_security(const char *cmd, int opt, const char *arg, ntcp_security_mode *mode, ntcp_nns_options *nns)
{
    switch (opt) {
    case 's':
        if (!strcmp(arg, "none"))
            *mode = NTCP_SECURITY_NONE;
        else if (!strcmp(arg, "transport"))
            *mode = NTCP_SECURITY_TRANSPORT;
        else
            break;
        return 0;
    case 'p':
        if (cli_parse_package(arg, &nns->package))
            break;
        return 0;
    case 'P':
        if (cli_parse_protection(arg, &nns->protection))
            break;
        return 0;
    default:
        return -1;
    }
    fprintf(stderr, "nettcp %s: %s\n", cmd,
            opt == 's' ? "--security is none or transport"
            : opt == 'p' ? "--package is negotiate, kerberos or ntlm"
                         : "--protection is none, sign or encrypt");
    return 2;
}

int cli_parse_mode(const char *cmd, const char *arg, ntcp_nmf_mode *mode)
{
    if (!strcmp(arg, "duplex"))
        *mode = NTCP_MODE_DUPLEX;
    else if (!strcmp(arg, "simplex"))
        *mode = NTCP_MODE_SIMPLEX;
    else if (!strcmp(arg, "singleton"))
        *mode = NTCP_MODE_SINGLETON_SIZED;
    else if (!strcmp(arg, "streamed"))
        *mode = NTCP_MODE_SINGLETON_UNSIZED;
    else {
        fprintf(stderr, "nettcp %s: --mode takes duplex, simplex, singleton or streamed, not '%s'\n", cmd, arg);
        return 2;
    }
    return 0;
}

int cli_parse_mode_list(const char *cmd, const char *arg, ntcp_framing_acceptor_config *f)
{
    unsigned modes = 0;
    char list[128];
    snprintf(list, sizeof list, "%s", arg);
    for (char *save = NULL, *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        ntcp_nmf_mode m;
        if (cli_parse_mode(cmd, t, &m))
            return 2;
        modes |= 1u << m;
    }
    if (!modes) {
        fprintf(stderr, "nettcp %s: --mode takes a comma-separated list of duplex, simplex, singleton, streamed\n",
                cmd);
        return 2;
    }
    f->modes = modes;
    /* the modes other than duplex carry msbin1 (no session dictionaries), as WCF sends them */
    if (modes & ~(1u << NTCP_MODE_DUPLEX))
        f->encodings |= 1u << NTCP_ENC_BINARY;
    return 0;
}

int cli_parse_encoding(const char *cmd, const char *arg, int *enc)
{
    static const struct {
        const char *name;
        int enc;
    } t[] = { { "binary-session", NTCP_ENC_BINARY_SESSION }, { "binary", NTCP_ENC_BINARY },
              { "soap12", NTCP_ENC_SOAP12_UTF8 },           { "soap11", NTCP_ENC_SOAP11_UTF8 },
              { "mtom", NTCP_ENC_MTOM } };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (!strcmp(arg, t[i].name)) {
            *enc = t[i].enc;
            return 0;
        }
    fprintf(stderr, "nettcp %s: --encoding is binary-session, binary, soap12, soap11 or mtom\n", cmd);
    return 2;
}

int cli_header_option(const char *cmd, int c, const char *arg, struct cli_headers *h)
{
    if (c != 'H' && c != 'U')
        return -1;
    if (h->n == CLI_MAX_HEADERS) {
        fprintf(stderr, "nettcp %s: at most %d headers\n", cmd, CLI_MAX_HEADERS);
        return 2;
    }
    h->h[h->n].xml = arg;
    h->h[h->n++].must_understand = c == 'U';
    return 0;
}

int cli_directory_option(int c, const char *arg, ntcp_doctor_options *o)
{
    switch (c) {
    case 'L': o->ldap_url = arg; return 0;
    case 'N': o->no_ldap = true; return 0;
    case 'K': o->service_keytab = arg; return 0;
    default: return -1;
    }
}

const char cli_client_options_help[] =
    "  --security M       none or transport (default transport: NegotiateStream, as NetTcpBinding)\n"
    "  --package P        negotiate (default), kerberos or ntlm\n"
    "  --protection L     none, sign or encrypt (default: EncryptAndSign)\n"
    "  --identity ID      the service's identity: dns:NAME (SPN host/NAME), spn:SPN, upn:USER@DOMAIN;\n"
    "                     default: host/<host of URL>. With TLS: dns:NAME (a SAN DNS name, or the CN when\n"
    "                     there is none), cert:BASE64 (exactly that DER certificate), thumbprint:HEX (SHA-1),\n"
    "                     rsa:BASE64 (exactly that public key); default dns:<host of URL>\n"
    "  --user NAME        log on as NAME; the password comes from NETTCP_PASSWORD or a prompt on a\n"
    "                     terminal (never from the command line). Default: the credential cache\n"
    "  --ccache NAME      the credential cache to use (default KRB5CCNAME)\n"
    "  --client-keytab F  client credentials from a keytab (with --user naming the principal)\n"
    "  --anonymous        log on anonymously (an anonymous Kerberos ticket by anonymous PKINIT)\n"
    "  --no-require-server-auth  accept NTLM, which cannot authenticate the service\n"
    "  --impersonation L  what the service may do with the identity: identify (default), impersonate,\n"
    "                     delegate (forwards credentials to a service trusted for delegation,\n"
    "                     as Windows does)\n"
    "  --timeout S        deadline in seconds for each phase: open (connect, preamble, handshake),\n"
    "                     request (send and reply), close (End) (default 60); see docs/cli.md\n"
    "  --credential C     transport security's client credential: windows (default: NegotiateStream),\n"
    "                     certificate (TLS with a client certificate) or none (TLS, server certificate only)\n"
    "  --ca FILE          PEM CA certificates trusted for the service's certificate (default: the system's);\n"
    "                     CRLs in it serve --revocation offline\n"
    "  --client-cert FILE --client-key FILE   the client certificate (PEM), or --client-cert FILE.p12 alone\n"
    "  --validation V     chain (default, ChainTrust), peer (the certificate itself is in --ca) or none\n"
    "  --revocation R     nocheck (default), online (CRLs from the certificate's distribution points over\n"
    "                     HTTP; OCSP when it names a responder and no CRL could be had) or offline (CRLs in --ca)\n"
    "  --tls-min V, --tls-max V   TLS versions allowed: 1.2 (default lowest) or 1.3 (default highest)\n";

int cli_client_option(const char *cmd, int c, const char *arg, ntcp_client_options *o)
{
    switch (c) {
    case 's':
    case 'p':
    case 'P': return cli_parse_security(cmd, c, arg, &o->security, &o->nns);
    case 'i': o->nns.identity = arg; o->tls.identity = arg; return 0;
    case 'u': o->nns.user = arg; return 0;
    case 'c': o->nns.ccache = arg; return 0;
    case 'k': o->nns.client_keytab = arg; return 0;
    case 'n': o->nns.require_server_auth = false; return 0;
    case 'a': o->nns.anonymous = true; return 0;
    case 'I':
        if (!strcmp(arg, "identify"))
            o->nns.allowed_impersonation = NTCP_IMPERSONATION_IDENTIFICATION;
        else if (!strcmp(arg, "impersonate"))
            o->nns.allowed_impersonation = NTCP_IMPERSONATION_IMPERSONATION;
        else if (!strcmp(arg, "delegate"))
            o->nns.allowed_impersonation = NTCP_IMPERSONATION_DELEGATION;
        else {
            fprintf(stderr, "nettcp %s: --impersonation is identify, impersonate or delegate\n", cmd);
            return 2;
        }
        return 0;
    case 't': {
        char *end;
        double s = strtod(arg, &end);
        if (*end || s <= 0 || s > 86400) {
            fprintf(stderr, "nettcp %s: --timeout takes seconds (0 < S <= 86400)\n", cmd);
            return 2;
        }
        o->channel.open_timeout_ms = o->channel.send_timeout_ms = o->channel.receive_timeout_ms =
            o->channel.close_timeout_ms = (int)(s * 1000);
        return 0;
    }
    default: return cli_parse_tls(cmd, c, arg, &o->credential, &o->tls);
    }
}

/* ---- the trace options of serve, call and doctor ---- */
const char cli_trace_options_help[] =
    "  --trace FILE       write a trace of the connection: steps, framing records with their sizes,\n"
    "                     handshake messages (sizes only), negotiated security, errors with their cause;\n"
    "                     never secrets; 'nettcp trace view FILE' shows it\n"
    "  --trace-format json|svclog\n"
    "                     json: one JSON object per line (default); svclog: E2ETraceEvent XML as WCF's\n"
    "                     XmlWriterTraceListener writes, for Service Trace Viewer\n"
    "  --log-messages transport|service\n"
    "                     also log the SOAP envelopes (as text XML, headers; the body only with\n"
    "                     --log-entire-message) at WCF's transport or service level\n"
    "  --log-entire-message  log message bodies too\n"
    "  --max-logged-size N   larger messages are not logged (default 262144, WCF's)\n"
    "  --propagate-activity  a client sends its call's ActivityId header and a service adopts the one\n"
    "                     it receives, so both traces share the call's activity (WCF's propagateActivity)\n";

void cli_trace_args_init(struct cli_trace_args *a)
{
    a->path = NULL;
    ntcp_trace_config_init(&a->cfg);
}

int cli_trace_option(const char *cmd, int c, const char *arg, struct cli_trace_args *a)
{
    switch (c) {
    case 'T': a->path = arg; return 0;
    case 0x101:
        if (!strcmp(arg, "json"))
            a->cfg.format = NTCP_TRACE_JSON;
        else if (!strcmp(arg, "svclog"))
            a->cfg.format = NTCP_TRACE_SVCLOG;
        else {
            fprintf(stderr, "nettcp %s: --trace-format is json or svclog, not '%s'\n", cmd, arg);
            return 2;
        }
        return 0;
    case 0x102:
        if (!strcmp(arg, "transport"))
            a->cfg.log_messages = NTCP_LOG_MESSAGES_TRANSPORT;
        else if (!strcmp(arg, "service"))
            a->cfg.log_messages = NTCP_LOG_MESSAGES_SERVICE;
        else {
            fprintf(stderr, "nettcp %s: --log-messages is transport or service, not '%s'\n", cmd, arg);
            return 2;
        }
        return 0;
    case 0x103: a->cfg.log_entire_message = true; return 0;
    case 0x104: {
        uint32_t n;
        if (cli_parse_bytes(cmd, "max-logged-size", arg, &n))
            return 2;
        a->cfg.max_logged_size = n;
        return 0;
    }
    case 0x105: a->cfg.propagate_activity = true; return 0;
    default: return -1;
    }
}

int cli_trace_open(const char *cmd, const struct cli_trace_args *a, const char *role, ntcp_trace **t)
{
    *t = NULL;
    if (!a->path) {
        if (a->cfg.log_messages || a->cfg.propagate_activity || a->cfg.log_entire_message ||
            a->cfg.format != NTCP_TRACE_JSON)
            fprintf(stderr, "nettcp %s: the trace options take effect with --trace FILE\n", cmd);
        return 0;
    }
    ntcp_trace_config c = a->cfg;
    c.role = role;
    if (ntcp_trace_open_config(t, a->path, &c)) {
        fprintf(stderr, "nettcp %s: cannot write the trace %s\n", cmd, a->path);
        return 1;
    }
    return 0;
}
