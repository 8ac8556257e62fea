/* SPDX-License-Identifier: MIT */
/*
 * csv.c — the per-map table as CSV (--format csv), from the report model;
 * new columns are appended (docs/report.md, "Options").
 * The streaming CSV outputs are csv_stream.c.
 */
#include <inttypes.h>

#include "report.h"

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

/* The appended columns of a map's site and state dump (empty when none). */
static void who(FILE *out, const struct bs_map_row *row)
{
    const struct bs_map *m = row->map;
    csv_str(out, m->name);
    fputc(',', out);
    csv_str(out, m->object);
    if (m->has_info)
        fprintf(out, ",0x%" PRIx64 ",", m->site_off);
    else
        fprintf(out, ",,");
    csv_str(out, row->where);
    if (row->state_status)
        fprintf(out, ",%d,%" PRIu64 ",%s,%s,%" PRIu64 ",%" PRIu64 ",", m->st.attached,
                row->state_rel, row->state_trigger, row->state_status, m->st.bucket_bytes,
                m->st.indirect_bytes);
    else
        fprintf(out, ",0,,,,,,");
}

/* The appended columns of held bytes split and bytes given back. */
static void held(FILE *out, const struct bs_map *m)
{
    const struct bs_reclaimed *r = &m->reclaimed;
    fprintf(out,
            "%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRId64 ",%" PRIu64 ",%" PRIu64
            ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n",
            m->g.peak_bucket, bs_bucket_bytes(&m->g), m->g.peak_indirect, m->g.indirect_held,
            m->g.objects, r->bucket[BS_FREE_RUNNING], r->bucket[BS_FREE_TEARDOWN],
            r->indirect[BS_FREE_RUNNING], r->indirect[BS_FREE_TEARDOWN], r->indirect_unused,
            m->before_state);
}

void bs_report_csv_maps(FILE *out, const struct bs_report_model *rm)
{
    fprintf(out, "pid,map,seq,type_name,reclaim,bytes_held_peak,bytes_held_final,"
                 "empty_bytes_peak,empty_bytes_final,empty_byte_seconds,deletes,reused,freed,"
                 "retained,unresolved,cleared,arrays_allocated,arrays_freed,overflow_allocated,"
                 "overflow_freed,grows,freed_while_running,freed_at_teardown,name,site_object,"
                 "site_offset,site,attached,state_ns,state_trigger,state_status,"
                 "state_bucket_bytes,state_indirect_bytes,bucket_bytes_peak,bucket_bytes_final,"
                 "indirect_bytes_peak,indirect_bytes_final,indirect_objects_live,"
                 "bucket_bytes_freed_while_running,bucket_bytes_freed_at_teardown,"
                 "indirect_bytes_freed_while_running,indirect_bytes_freed_at_teardown,"
                 "indirect_bytes_unused,before_state\n");
    for (uint32_t i = 0; i < rm->nmaps; i++) {
        const struct bs_map_row *row = &rm->maps[i];
        const struct bs_map *m = row->map;
        fprintf(out, "%u,0x%" PRIx64 ",%u,", m->pid, m->addr, m->seq);
        csv_str(out, m->type_name);
        fprintf(out,
                ",%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.6f,%" PRIu64 ",%" PRIu64
                ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
                ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",",
                row->reclaim ? row->reclaim : "unknown", m->g.peak_held, m->g.bytes_held,
                m->g.peak_empty, row->empty_bytes_final, row->empty_byte_seconds, m->deletes,
                m->outcome[BS_REUSED], m->outcome[BS_FREED], m->outcome[BS_RETAINED],
                m->outcome[BS_UNRESOLVED], m->cleared, m->arrays_alloc, m->arrays_freed,
                m->ovf_alloc, m->ovf_freed, m->grows, m->freed_class[BS_FREE_RUNNING],
                m->freed_class[BS_FREE_TEARDOWN]);
        who(out, row);
        held(out, m);
    }
}
