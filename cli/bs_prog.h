/* SPDX-License-Identifier: MIT */
/*
 * bs_prog.h — the name a command gives itself in its usage line and its
 * messages: as the user typed it.  The dispatcher (cli/bucketscope.c) runs
 * `bucketscope record` as bucketscope-record with argv[0] "bucketscope
 * record"; run directly, from any path, the command is its program name.
 * bs_say() writes a message under that name.
 */
#ifndef BS_PROG_H
#define BS_PROG_H
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static inline const char *bs_prog_name(const char *argv0, const char *fallback)
{
    return argv0 && strncmp(argv0, "bucketscope ", 12) == 0 ? argv0 : fallback;
}

/* Every message a command writes starts with its name, as typed:
 * fprintf(stderr, "<prog>: " fmt, ...). */
static inline void bs_vsay(const char *prog, const char *fmt, va_list ap)
{
    fprintf(stderr, "%s: ", prog);
    vfprintf(stderr, fmt, ap);
}

__attribute__((format(printf, 2, 3))) static inline void bs_say(const char *prog, const char *fmt,
                                                                ...)
{
    va_list ap;
    va_start(ap, fmt);
    bs_vsay(prog, fmt, ap);
    va_end(ap);
}
#endif
