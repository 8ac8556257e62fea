/*
 * report_csv.c — CSV outputs: the per-map table (--format csv), the
 * per-map timeline (--csv-timeline, one row per map per tick) and one row
 * per delete (--csv-deletes).  Times are ns since the first event.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "report.h"
#include "schema_table.h"

/* type names come from the traced program: keep CSV cells unambiguous. */
static void csv_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"') fputc('"', out);
        fputc((unsigned char)*s >= 0x20 ? *s : '?', out);
    }
    fputc('"', out);
}

void bs_report_csv_maps(FILE *out, const struct bs_report *r)
{
    const struct bs_engine *e = r->e;
    fprintf(out, "pid,map,seq,type_name,reclaim,bytes_held_peak,bytes_held_final,"
                 "empty_bytes_peak,empty_bytes_final,empty_byte_seconds,deletes,reused,freed,"
                 "retained,unresolved,cleared,arrays_allocated,arrays_freed,overflow_allocated,"
                 "overflow_freed,grows\n");
    const struct bs_map **v = bs_sorted_maps(e);
    for (uint32_t i = 0; v && i < e->nmaps; i++) {
        const struct bs_map *m = v[i];
        fprintf(out, "%u,0x%" PRIx64 ",%u,", m->pid, m->addr, m->seq);
        csv_str(out, m->type_name);
        fprintf(out,
                ",%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.6f,%" PRIu64 ",%" PRIu64
                ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
                ",%" PRIu64 ",%" PRIu64 "\n",
                m->implicit ? "unknown" : bs_reclaim_name(m->reclaim), m->g.peak_held,
                m->g.bytes_held, m->g.peak_empty, bs_empty_bytes(&m->g), m->g.empty_byte_ns / 1e9,
                m->deletes, m->outcome[BS_REUSED], m->outcome[BS_FREED], m->outcome[BS_RETAINED],
                m->outcome[BS_UNRESOLVED], m->cleared, m->arrays_alloc, m->arrays_freed,
                m->ovf_alloc, m->ovf_freed, m->grows);
    }
    free(v);
}

void bs_csv_timeline_header(FILE *out)
{
    fprintf(out, "t_ns,pid,map,seq,B,count,tombstones,live_buckets,empty_buckets,bytes_held,"
                 "empty_bytes,overflow_buckets,growing\n");
}

/* Rows for every map alive at the tick: the state just before the first
 * event at or after tick_ns. */
void bs_csv_timeline_tick(void *ctx, uint64_t tick_ns)
{
    const struct bs_csv_stream *cs = ctx;
    const struct bs_engine *e = cs->e;
    if (!cs->timeline) return;
    for (uint32_t i = 0; i < e->nmaps; i++) {
        const struct bs_map *m = &e->maps[i];
        if (m->destroyed) continue;
        int64_t empty_buckets = m->g.in_use_buckets - m->g.live_buckets;
        fprintf(cs->timeline,
                "%" PRIu64 ",%u,0x%" PRIx64 ",%u,%u,%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64
                ",%" PRIu64 ",%" PRIu64 ",%" PRId64 ",%u\n",
                tick_ns - e->first_ns, m->pid, m->addr, m->seq, m->B, m->g.live_slots,
                m->g.tombstones, m->g.live_buckets, empty_buckets < 0 ? 0 : empty_buckets,
                m->g.bytes_held, bs_empty_bytes(&m->g), m->g.ovf_buckets, m->growing);
    }
}

void bs_csv_deletes_header(FILE *out)
{
    fprintf(out, "pid,map,seq,bucket,slot,delete_ns,outcome,end_ns,latency_ns,free_reason,"
                 "maybe_lost\n");
}

void bs_csv_delete_row(void *ctx, const struct bs_delete_row *row)
{
    const struct bs_csv_stream *cs = ctx;
    if (!cs->deletes) return;
    uint64_t t0 = cs->e->first_ns;
    const char *reason =
        row->free_reason >= 0 ? bs_enum_name("free_reason", (unsigned)row->free_reason) : "";
    fprintf(cs->deletes,
            "%u,0x%" PRIx64 ",%u,0x%" PRIx64 ",%u,%" PRIu64 ",%s,%" PRIu64 ",%" PRIu64 ",%s,%d\n",
            row->map->pid, row->map->addr, row->map->seq, row->bucket, row->slot,
            row->delete_ns - t0, bs_outcome_name[row->outcome], row->end_ns - t0,
            row->end_ns - row->delete_ns, reason ? reason : "?", row->maybe_lost);
}
