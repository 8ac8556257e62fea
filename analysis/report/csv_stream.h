/* SPDX-License-Identifier: MIT */
/*
 * csv_stream.h — the CSV outputs written while the engine runs, driven by
 * its callbacks: the per-map timeline (--csv-timeline, one row per map per
 * tick) and one row per delete (--csv-deletes).  Times are ns since the
 * first event.
 *
 * The timeline is bounded whatever the trace (docs/report.md, "Memory and
 * limits"): it writes at most BS_TIMELINE_MAX_ROWS rows and looks at most
 * BS_TIMELINE_MAX_SCAN map records over all its ticks.  Half of either
 * budget goes at the asked tick; each time half of what is left is used the
 * tick is widened four times (a note on stderr), and when it is used up the
 * timeline stops (a note on stderr).
 */
#ifndef BS_CSV_STREAM_H
#define BS_CSV_STREAM_H

#include <stdint.h>
#include <stdio.h>

#include "lifetime.h"

#define BS_TIMELINE_MAX_ROWS 1000000u
#define BS_TIMELINE_MAX_SCAN 200000000u

struct bs_csv_stream {
    FILE *timeline, *deletes; /* NULL: not written */
    const struct bs_engine *e;
    uint64_t rows, scanned;  /* timeline rows written, map records looked at */
    unsigned widened, notes; /* times the tick was widened; notes of it printed */
};

void bs_csv_timeline_header(FILE *out);
/* on_tick callback; ctx is a struct bs_csv_stream.  Returns the tick to go
 * on with (lifetime.h, bs_engine_opts). */
uint64_t bs_csv_timeline_tick(void *ctx, uint64_t tick_ns, uint64_t tick);
void bs_csv_deletes_header(FILE *out);
/* on_delete callback; ctx is a struct bs_csv_stream. */
void bs_csv_delete_row(void *ctx, const struct bs_delete_row *row);

#endif /* BS_CSV_STREAM_H */
