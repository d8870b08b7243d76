#include <stdio.h>
#include "cli.h"
int cmd_frames(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "frames: not yet\n"); return 1; }
