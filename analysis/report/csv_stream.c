/* SPDX-License-Identifier: MIT */
/* csv_stream.c — timeline and delete rows as the engine runs (csv_stream.h). */
#include <inttypes.h>

#include "prog.h"
#include "csv_stream.h"
#include "schema_table.h"
#include "spell.h"

void bs_csv_timeline_header(FILE *out)
{
    fprintf(out, "t_ns,pid,map,seq,B,count,tombstones,live_buckets,empty_buckets,bytes_held,"
                 "empty_bytes,overflow_buckets,growing,indirect_bytes,indirect_objects\n");
}

/* The share of the budgets used, the larger of the two, from 0 to 1. */
static double used(const struct bs_csv_stream *cs)
{
    double r = (double)cs->rows / BS_TIMELINE_MAX_ROWS,
           s = (double)cs->scanned / BS_TIMELINE_MAX_SCAN;
    return r > s ? r : s;
}

/* Rows for every map alive at the tick: the state just before the first
 * event at or after tick_ns.  Then the tick for the rest: widened four
 * times each time half of the budget left is used (the k-th widening at
 * 1 - 2^-(k+1) of it), so that the budgets last over a trace of any length
 * at any tick; 0 once they are used up. */
uint64_t bs_csv_timeline_tick(void *ctx, uint64_t tick_ns, uint64_t tick)
{
    struct bs_csv_stream *cs = ctx;
    if (!cs->timeline) return tick;
    uint64_t t0 = bs_engine_totals(cs->e)->first_ns;
    uint32_t n;
    const struct bs_map *maps = bs_engine_maps(cs->e, &n);
    for (uint32_t i = 0; i < n; i++) {
        const struct bs_map *m = &maps[i];
        if (m->destroyed) continue;
        int64_t empty_buckets = m->g.in_use_buckets - m->g.live_buckets;
        fprintf(cs->timeline,
                "%" PRIu64 ",%u,0x%" PRIx64 ",%u,%u,%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64
                ",%" PRIu64 ",%" PRIu64 ",%" PRId64 ",%u,%" PRIu64 ",%" PRId64 "\n",
                tick_ns - t0, m->pid, m->addr, m->seq, m->B, m->g.live_slots, m->g.tombstones,
                m->g.live_buckets, empty_buckets < 0 ? 0 : empty_buckets, m->g.bytes_held,
                bs_empty_bytes(&m->g), m->g.ovf_buckets, m->growing, m->g.indirect_held,
                m->g.objects);
        cs->rows++;
    }
    cs->scanned += n ? n : 1;
    char a[32], b[32];
    if (used(cs) >= 1) {
        bs_err("--csv-timeline: stopped at +%s, after %" PRIu64
               " rows (at most %u rows, %u map records looked at)\n",
               bs_fmt_ns(tick_ns - t0, a, sizeof(a)), cs->rows, BS_TIMELINE_MAX_ROWS,
               BS_TIMELINE_MAX_SCAN);
        return 0;
    }
    int widen = 0;
    while (used(cs) >= 1 - 1.0 / (double)(2ull << (cs->widened < 62 ? cs->widened : 62)) &&
           tick <= UINT64_MAX / 4) {
        tick *= 4;
        cs->widened++;
        widen = 1;
    }
    if (widen && ++cs->notes <= 3)
        bs_err("--csv-timeline: tick widened to %s from +%s on, after %" PRIu64
               " rows (the timeline is kept under %u rows)%s\n",
               bs_fmt_ns(tick, a, sizeof(a)), bs_fmt_ns(tick_ns - t0, b, sizeof(b)), cs->rows,
               BS_TIMELINE_MAX_ROWS, cs->notes == 3 ? "; later widenings not shown" : "");
    return tick;
}

void bs_csv_deletes_header(FILE *out)
{
    fprintf(out, "pid,map,seq,bucket,slot,delete_ns,outcome,end_ns,latency_ns,free_reason,"
                 "maybe_lost,free_class\n");
}

void bs_csv_delete_row(void *ctx, const struct bs_delete_row *row)
{
    const struct bs_csv_stream *cs = ctx;
    if (!cs->deletes) return;
    uint64_t t0 = bs_engine_totals(cs->e)->first_ns;
    const char *reason =
        row->free_reason >= 0 ? bs_enum_name("free_reason", (unsigned)row->free_reason) : "";
    fprintf(cs->deletes,
            "%u,0x%" PRIx64 ",%u,0x%" PRIx64 ",%u,%" PRIu64 ",%s,%" PRIu64 ",%" PRIu64
            ",%s,%d,%s\n",
            row->map->pid, row->map->addr, row->map->seq, row->bucket, row->slot,
            row->delete_ns - t0, bs_outcome_name[row->outcome], row->end_ns - t0,
            row->end_ns - row->delete_ns, reason ? reason : "?", row->maybe_lost,
            row->outcome == BS_FREED ? bs_free_class_name[bs_free_class(row->free_reason)] : "");
}
