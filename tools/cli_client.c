/* The client options `call` and `doctor` share: security, package,
 * protection, identity, credentials, impersonation, timeout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "cli.h"

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

static char *read_password(void)
{
    const char *env = getenv("NETTCP_PASSWORD");
    if (env)
        return strdup(env);
    if (!isatty(STDIN_FILENO))
        return NULL;
    struct termios old, quiet;
    fprintf(stderr, "password: ");
    fflush(stderr);
    tcgetattr(STDIN_FILENO, &old);
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    char buf[512];
    char *r = fgets(buf, sizeof buf, stdin);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    fputc('\n', stderr);
    if (!r)
        return NULL;
    buf[strcspn(buf, "\r\n")] = 0;
    char *p = strdup(buf);
    memset(buf, 0, sizeof buf);
    return p;
}

int cli_client_password(const char *cmd, ntcp_client_options *o, char **password)
{
    *password = NULL;
    if (o->nns.user && !o->nns.client_keytab && o->security == NTCP_SECURITY_TRANSPORT) {
        *password = read_password();
        if (!*password) {
            fprintf(stderr, "nettcp %s: --user needs a password: set NETTCP_PASSWORD or run on a terminal\n", cmd);
            return 2;
        }
        o->nns.password = *password;
    }
    return 0;
}

void cli_client_password_free(char *password)
{
    if (password) {
        memset(password, 0, strlen(password));
        free(password);
    }
}

int cli_body(const char *arg, uint8_t **body, size_t *len)
{
    if (arg[0] == '@')
        return cli_read_file(arg + 1, body, len) ? 1 : 0;
    *body = (uint8_t *)strdup(arg);
    *len = strlen(arg);
    return *body ? 0 : 1;
}

const char *cli_cause_of(ntcp_status st, const char *err)
{
    static char cause[64];
    const char *p = err ? strstr(err, "cause: ") : NULL;
    if (p) {
        p += 7;
        size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz_");
        if (n && n < sizeof cause) {
            memcpy(cause, p, n);
            cause[n] = 0;
            return cause;
        }
    }
    return ntcp_status_name(st);
}
