#ifndef NTCP_CLI_H
#define NTCP_CLI_H
#include <stddef.h>
#include <stdint.h>

struct ntcp_cli_command {
    const char *name;
    const char *summary;
    int (*fn)(int argc, char **argv); /* argv[0] is the command name */
};

int cmd_frames(int argc, char **argv);
int cmd_xml(int argc, char **argv);

/* Reads a whole file ("-" = stdin) into a malloc'd buffer (NUL-terminated);
 * returns 0 on success, prints an error and returns -1 otherwise. */
int cli_read_file(const char *path, uint8_t **data, size_t *len);
#endif
