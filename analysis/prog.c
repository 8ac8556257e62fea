/* SPDX-License-Identifier: MIT */
/*
 * prog.c — the name bucketscope-report's messages start with (prog.h).
 */
#include <stdarg.h>
#include <stdio.h>

#include "bs_prog.h"
#include "prog.h"

const char *bs_prog = "bucketscope-report";

void bs_err(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bs_vsay(bs_prog, fmt, ap);
    va_end(ap);
}
