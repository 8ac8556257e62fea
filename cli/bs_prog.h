/* SPDX-License-Identifier: MIT */
/*
 * bs_prog.h — the name a command gives itself in its usage line and its
 * messages: as the user typed it.  The dispatcher (cli/bucketscope.c) runs
 * `bucketscope record` as bucketscope-record with argv[0] "bucketscope
 * record"; run directly, from any path, the command is its program name.
 */
#ifndef BS_PROG_H
#define BS_PROG_H
#include <string.h>

static inline const char *bs_prog_name(const char *argv0, const char *fallback)
{
    return argv0 && strncmp(argv0, "bucketscope ", 12) == 0 ? argv0 : fallback;
}
#endif
