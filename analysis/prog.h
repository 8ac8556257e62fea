/* SPDX-License-Identifier: MIT */
/*
 * prog.h — every message of bucketscope-report starts with the command's
 * name as typed: "bucketscope report" through the dispatcher, else
 * "bucketscope-report" (cli/bs_prog.h).  The option parser sets it.
 */
#ifndef BS_PROG_REPORT_H
#define BS_PROG_REPORT_H

extern const char *bs_prog;

/* fprintf(stderr, "<bs_prog>: " fmt, ...). */
__attribute__((format(printf, 1, 2))) void bs_err(const char *fmt, ...);
#endif
