/* SPDX-License-Identifier: MIT */
/*
 * live.h — the interval table of a report that runs while its trace is
 * still being written (docs/live.md): every interval, one bcc-style header
 * line and one row per map, or one JSON object per line.  It reads the
 * engine mid-run through lifetime.h only and keeps its own per-interval
 * state (the previous counts of each map and the latencies of the deletes
 * resolved in the interval); the final report is the ordinary one.
 */
#ifndef BS_REPORT_LIVE_H
#define BS_REPORT_LIVE_H

#include <stdint.h>
#include <stdio.h>

#include "lifetime.h"

struct bs_live;

struct bs_live_opts {
    FILE *out;
    int json;       /* one JSON object per interval, one line each */
    int timestamps; /* -T: wall-clock time on each header line */
    int top;        /* rows per table (maps with the most deletes in the interval first) */
    /* The host of a process (LTTng live): a HOST column when set. */
    const char *(*host_of)(const void *ctx, uint32_t pid);
    const void *host_ctx;
};

struct bs_live *bs_live_new(const struct bs_live_opts *o);
void bs_live_free(struct bs_live *l);
/* The engine's on_delete hook (struct bs_engine_opts), ctx a bs_live: adds
 * the latency of one resolved delete to its map's interval histograms. */
void bs_live_on_delete(void *ctx, const struct bs_delete_row *row);
/* One interval's table from the engine as it is now (not finished); starts
 * the next interval. */
void bs_live_table(struct bs_live *l, const struct bs_engine *e);
/* Tables printed so far. */
uint64_t bs_live_tables(const struct bs_live *l);

#endif /* BS_REPORT_LIVE_H */
