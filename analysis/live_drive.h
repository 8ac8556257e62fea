/* SPDX-License-Identifier: MIT */
/*
 * live_drive.h — when a live report prints its interval tables and when it
 * stops following (docs/live.md).  main.c's engine loop calls it when the
 * reader has nothing new (BS_READER_AGAIN) and every few thousand records.
 */
#ifndef BS_LIVE_DRIVE_H
#define BS_LIVE_DRIVE_H

#include "lifetime.h"
#include "live.h"
#include "options.h"
#include "reader.h"

struct bs_live_drive;

/* NULL when o asks for no live output; exits with a message on failure.
 * rd gives the host names of an LTTng live reader (a HOST column).
 * Installs the SIGINT/SIGTERM handlers that end following (unless SIGINT is
 * ignored, as for a report `bucketscope record -i` runs). */
struct bs_live_drive *bs_live_drive_new(const struct bs_options *o, FILE *out,
                                        const struct bs_reader *rd);
void bs_live_drive_free(struct bs_live_drive *d);
struct bs_live *bs_live_drive_table(struct bs_live_drive *d);
/* The reader has no complete record now: wait (at most 100 ms, less when a
 * tick or the interval comes), print a table if one is due, and tell the
 * reader when following must end (a signal, the writer gone, the ticks
 * closed). */
void bs_live_drive_idle(struct bs_live_drive *d, struct bs_reader *rd, const struct bs_engine *e);
/* Records are coming: print a table if the interval is over. */
void bs_live_drive_busy(struct bs_live_drive *d, struct bs_reader *rd, const struct bs_engine *e);
/* The input ended: the tables of ticks that came but were not printed yet
 * (so that `record -i 1 3` prints three). */
void bs_live_drive_end(struct bs_live_drive *d, const struct bs_engine *e);

#endif /* BS_LIVE_DRIVE_H */
