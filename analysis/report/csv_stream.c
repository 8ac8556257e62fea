/* SPDX-License-Identifier: MIT */
/* csv_stream.c — timeline and delete rows as the engine runs (csv_stream.h). */
#include <inttypes.h>

#include "csv_stream.h"
#include "schema_table.h"

void bs_csv_timeline_header(FILE *out)
{
    fprintf(out, "t_ns,pid,map,seq,B,count,tombstones,live_buckets,empty_buckets,bytes_held,"
                 "empty_bytes,overflow_buckets,growing,indirect_bytes,indirect_objects\n");
}

/* Rows for every map alive at the tick: the state just before the first
 * event at or after tick_ns. */
void bs_csv_timeline_tick(void *ctx, uint64_t tick_ns)
{
    const struct bs_csv_stream *cs = ctx;
    if (!cs->timeline) return;
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
    }
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
