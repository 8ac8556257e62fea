/* SPDX-License-Identifier: MIT */
/*
 * csv_stream.h — the CSV outputs written while the engine runs, driven by
 * its callbacks: the per-map timeline (--csv-timeline, one row per map per
 * tick) and one row per delete (--csv-deletes).  Times are ns since the
 * first event.
 */
#ifndef BS_CSV_STREAM_H
#define BS_CSV_STREAM_H

#include <stdint.h>
#include <stdio.h>

#include "lifetime.h"

struct bs_csv_stream {
    FILE *timeline, *deletes; /* NULL: not written */
    const struct bs_engine *e;
};

void bs_csv_timeline_header(FILE *out);
/* on_tick callback; ctx is a struct bs_csv_stream. */
void bs_csv_timeline_tick(void *ctx, uint64_t tick_ns);
void bs_csv_deletes_header(FILE *out);
/* on_delete callback; ctx is a struct bs_csv_stream. */
void bs_csv_delete_row(void *ctx, const struct bs_delete_row *row);

#endif /* BS_CSV_STREAM_H */
