/* What `call` and `doctor` share beyond their options: the password
 * prompt, the request body, printing an error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "cli.h"

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

void cli_print_error(const char *cmd, const ntcp_error *e)
{
    char buf[4096];
    ntcp_error_format(e, buf, sizeof buf);
    fprintf(stderr, "nettcp %s: %s\n", cmd, buf);
}
