/* nettcp command-line tool: dispatches to one function per subcommand. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <nettcp/nettcp.h>
#include "cli.h"

static const struct ntcp_cli_command commands[] = {
    { "serve", "host the sample calculator and echo contracts on a net.tcp address", cmd_serve },
    { "call", "call a net.tcp service: one request, the reply body printed", cmd_call },
    { "doctor", "diagnose a connection step by step: which step fails, why, and what to change", cmd_doctor },
    { "frames", "decode the .NET Message Framing records of a connection", cmd_frames },
    { "decode", "decode recorded connections (pcap/pcapng with keys, or traces): records and envelopes as XML", cmd_decode },
    { "xml", "convert .NET Binary XML to text XML and back", cmd_xml },
    { "wsdl", "read a service's WSDL (file or http(s) URL): endpoints, security, identity, operations", cmd_wsdl },
    { "trace", "view traces (JSON or svclog, several merged by activity) or convert between them", cmd_trace },
};

static void usage(FILE *f)
{
    fprintf(f, "usage: nettcp COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'nettcp COMMAND --help' describes each command; 'nettcp --version' prints the version.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("nettcp %s\n", ntcp_version());
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) {
            int rc = commands[i].fn(argc - 1, argv + 1);
            if (ntcp_background_threads()) { /* exit() would free OpenSSL and krb5 under them */
                fflush(NULL);
                _exit(rc);
            }
            return rc;
        }
    fprintf(stderr, "nettcp: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
