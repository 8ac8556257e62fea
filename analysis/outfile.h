/* SPDX-License-Identifier: MIT */
/*
 * outfile.h — the outputs of bucketscope-report (stdout and the --csv-*,
 * --svg files), written so that a failure is always said and never leaves a
 * half-written file in place of an older one (docs/report.md, "Outputs and
 * write errors").
 */
#ifndef BS_OUTFILE_H
#define BS_OUTFILE_H

#include <stdio.h>

/* An output could not be written: one message naming it and the errno
 * (docs/report.md, "Exit status"). */
#define EXIT_OUTPUT 4

/* A stream for the output file path: a regular file (or a new one) is
 * written to a temporary in its directory and renamed onto it by
 * bs_out_commit(); a device or FIFO is written in place.  Exits with
 * EXIT_OUTPUT and a message if it cannot be created.  Temporaries not
 * committed are removed at exit, whatever the exit path. */
FILE *bs_out_open(const char *path);

/* A stream for standard output, whose write errors are kept like a file's. */
FILE *bs_out_stdout(void);

/* Flush and close every output opened, renaming each temporary onto its
 * name; an output that failed gets one message (its name and errno) and
 * its temporary removed.  0, or -1 if any failed. */
int bs_out_commit_all(void);

#endif /* BS_OUTFILE_H */
