/* SPDX-License-Identifier: MIT */
/*
 * prog.c — the name bucketscope-report's messages start with (prog.h).
 */
#include <stdarg.h>
#include <stdio.h>

#include "prog.h"

const char *bs_prog = "bucketscope-report";

void bs_err(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", bs_prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}
