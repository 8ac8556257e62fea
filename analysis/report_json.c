/*
 * report_json.c — the machine-readable report, schema "bucketscope-report/1"
 * (docs/report.md).  Integers are exact; times are ns; a new field may be
 * added within a schema version, a changed or removed one bumps it.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "report.h"

static void jstr(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

static void latency(FILE *out, const char *name, const struct bs_hist *h, const char *tail)
{
    uint64_t slots[BS_LOG2_SLOTS];
    int n = bs_hist_log2(h, 1000, slots);
    fprintf(out,
            "    \"%s\": {\"count\": %" PRIu64 ", \"p50_ns\": %" PRIu64 ", \"p90_ns\": %" PRIu64
            ", \"p99_ns\": %" PRIu64 ", \"p999_ns\": %" PRIu64 ", \"max_ns\": %" PRIu64
            ", \"mean_ns\": %.0f, \"log2_usecs\": [",
            name, h->count, bs_hist_quantile(h, 0.5), bs_hist_quantile(h, 0.9),
            bs_hist_quantile(h, 0.99), bs_hist_quantile(h, 0.999), h->max,
            h->count ? h->sum / (double)h->count : 0.0);
    for (int i = 0; i < n; i++)
        fprintf(out, "%s%" PRIu64, i ? ", " : "", slots[i]);
    fprintf(out, "]}%s\n", tail);
}

static void map_entry(FILE *out, const struct bs_map *m, const char *tail)
{
    fprintf(out,
            "    {\"pid\": %u, \"addr\": \"0x%" PRIx64 "\", \"seq\": %u, \"type_name\": ", m->pid,
            m->addr, m->seq);
    jstr(out, m->type_name);
    fprintf(out,
            ", \"reclaim\": \"%s\", \"pointerful\": %u, \"bucket_size\": %u, \"implicit\": %s, "
            "\"destroyed\": %s,\n     \"bytes_held_peak\": %" PRIu64
            ", \"bytes_held_final\": %" PRIu64 ", \"empty_bytes_peak\": %" PRIu64
            ", \"empty_bytes_final\": %" PRIu64 ", \"empty_byte_seconds\": %.6f,\n",
            m->implicit ? "unknown" : bs_reclaim_name(m->reclaim), m->pointerful, m->bucket_size,
            m->implicit ? "true" : "false", m->destroyed ? "true" : "false", m->g.peak_held,
            m->g.bytes_held, m->g.peak_empty, bs_empty_bytes(&m->g), m->g.empty_byte_ns / 1e9);
    fprintf(out,
            "     \"deletes\": %" PRIu64 ", \"reused\": %" PRIu64 ", \"freed\": %" PRIu64
            ", \"retained\": %" PRIu64 ", \"unresolved\": %" PRIu64 ", \"cleared\": %" PRIu64
            ",\n     \"arrays_allocated\": %" PRIu64 ", \"arrays_freed\": %" PRIu64
            ", \"overflow_allocated\": %" PRIu64 ", \"overflow_freed\": %" PRIu64
            ", \"grows\": %" PRIu64 ", \"evacuations\": %" PRIu64 ", \"entries_moved\": %" PRIu64
            ", \"live_entries_final\": %" PRId64 ", \"B_final\": %u}%s\n",
            m->deletes, m->outcome[BS_REUSED], m->outcome[BS_FREED], m->outcome[BS_RETAINED],
            m->outcome[BS_UNRESOLVED], m->cleared, m->arrays_alloc, m->arrays_freed, m->ovf_alloc,
            m->ovf_freed, m->grows, m->evacuations, m->moved, m->g.live_slots, m->B, tail);
}

void bs_report_json(FILE *out, const struct bs_report *r)
{
    const struct bs_engine *e = r->e;
    uint32_t live_maps = 0;
    for (uint32_t i = 0; i < e->nmaps; i++)
        live_maps += !e->maps[i].destroyed;
    fprintf(out, "{\n  \"schema\": \"%s\",\n  \"inputs\": [", BS_JSON_SCHEMA);
    for (int i = 0; i < r->ninputs; i++) {
        fprintf(out, "%s{\"path\": ", i ? ", " : "");
        jstr(out, r->inputs[i]);
        fprintf(out, ", \"kind\": \"%s\"}", bs_input_kind_name[r->kind]);
    }
    fprintf(out, "],\n  \"filters\": {\"pid\": ");
    if (r->filter_pid >= 0)
        fprintf(out, "%lld", r->filter_pid);
    else
        fprintf(out, "null");
    if (r->filter_map_set)
        fprintf(out, ", \"map\": \"0x%" PRIx64 "\"", r->filter_map);
    else
        fprintf(out, ", \"map\": null");
    fprintf(out, ", \"since_ns\": %" PRIu64 ", \"until_ns\": %" PRIu64 "},\n", r->since_rel,
            r->until_rel);
    fprintf(out,
            "  \"time\": {\"first_ns_abs\": %" PRIu64 ", \"last_ns_abs\": %" PRIu64
            ", \"span_ns\": %" PRIu64 ", \"events\": %" PRIu64 "},\n",
            e->first_ns, e->last_ns, e->last_ns - e->first_ns, e->events);
    fprintf(out,
            "  \"summary\": {\"maps_created\": %" PRIu64 ", \"maps_destroyed\": %" PRIu64
            ", \"maps_live\": %u,\n    \"arrays_allocated\": %" PRIu64
            ", \"arrays_freed\": %" PRIu64 ", \"arrays_live\": %u,\n"
            "    \"overflow_allocated\": %" PRIu64 ", \"overflow_freed\": %" PRIu64
            ", \"overflow_live\": %u, \"overflow_linked_final\": %" PRId64 ",\n"
            "    \"bytes_held_peak\": %" PRIu64 ", \"bytes_held_final\": %" PRIu64
            ", \"empty_bytes_peak\": %" PRIu64 ", \"empty_bytes_final\": %" PRIu64
            ", \"empty_byte_seconds\": %.6f},\n",
            e->maps_created, e->maps_destroyed, live_maps, e->arrays_alloc, e->arrays_freed,
            e->narrays, e->ovf_alloc, e->ovf_freed, e->nallocs_live - e->narrays,
            e->all.ovf_buckets, e->all.peak_held, e->all.bytes_held, e->all.peak_empty,
            bs_empty_bytes(&e->all), e->all.empty_byte_ns / 1e9);
    fprintf(out,
            "  \"deletes\": {\"total\": %" PRIu64 ", \"reused\": %" PRIu64 ", \"freed\": %" PRIu64
            ", \"retained\": %" PRIu64 ", \"unresolved\": %" PRIu64 ", \"cleared\": %" PRIu64 ",\n",
            e->deletes, e->outcome[BS_REUSED], e->outcome[BS_FREED], e->outcome[BS_RETAINED],
            e->outcome[BS_UNRESOLVED], e->cleared);
    latency(out, "delete_to_free", &e->freed, ",");
    latency(out, "delete_to_reuse", &e->reuse, ",");
    latency(out, "retained_age", &e->retained, ",");
    uint64_t km;
    if (bs_km_median(&e->resolved, &e->retained, &km))
        fprintf(out, "    \"km_median_ns\": %" PRIu64 "\n  },\n", km);
    else
        fprintf(out, "    \"km_median_ns\": null\n  },\n");
    fprintf(out, "  \"maps\": [\n");
    const struct bs_map **v = bs_sorted_maps(e);
    for (uint32_t i = 0; v && i < e->nmaps; i++)
        map_entry(out, v[i], i + 1 < e->nmaps ? "," : "");
    free(v);
    fprintf(out,
            "  ],\n  \"data_quality\": {\"lost_events\": %" PRIu64 ", \"lost_records\": %" PRIu64
            ", \"lost_spans_ns_abs\": [",
            e->lost_events, e->lost_records);
    for (uint32_t i = 0; i < e->nlost && i < 1000; i++)
        fprintf(out, "%s[%" PRIu64 ", %" PRIu64 "]", i ? ", " : "", e->lost[i].first_ns,
                e->lost[i].last_ns);
    fprintf(
        out,
        "],\n    \"deletes_maybe_affected_by_loss\": %" PRIu64 ", \"discarded_events\": %" PRIu64
        ", \"discarded_packets\": %" PRIu64 ",\n    \"truncated\": %s, \"truncated_at\": ",
        e->maybe_lost, r->discarded_events, r->discarded_packets, r->truncated ? "true" : "false");
    if (r->truncated)
        jstr(out, r->truncated_at);
    else
        fprintf(out, "null");
    fprintf(out, ",\n    \"unmatched\": {");
    for (int i = 0; i < BS_UM_COUNT; i++)
        fprintf(out, "%s\"%s\": %" PRIu64, i ? ", " : "", bs_unmatched_name[i], e->unmatched[i]);
    fprintf(out, "}}\n}\n");
}
