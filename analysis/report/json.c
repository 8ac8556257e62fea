/* SPDX-License-Identifier: MIT */
/*
 * json.c — the machine-readable report, schema BS_JSON_SCHEMA (report.h;
 * field by field in docs/report.md, "JSON schema").  Integers are exact; times are ns; a new field
 * may be added within a schema version, a changed or removed one bumps it. Formats the report model
 * only.
 */
#include <inttypes.h>

#include "go_latency.h"
#include "report.h"

/* Lost spans listed at most; the counts cover all of them. */
#define MAX_LOST_SPANS 1000

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

static void latency(FILE *out, const char *name, const struct bs_latency *l, const char *tail)
{
    fprintf(out,
            "    \"%s\": {\"count\": %" PRIu64 ", \"p50_ns\": %" PRIu64 ", \"p90_ns\": %" PRIu64
            ", \"p99_ns\": %" PRIu64 ", \"p999_ns\": %" PRIu64 ", \"max_ns\": %" PRIu64
            ", \"mean_ns\": %.0f, \"log2_usecs\": [",
            name, l->count, l->p50, l->p90, l->p99, l->p999, l->max, l->mean);
    for (int i = 0; i < l->nlog2; i++)
        fprintf(out, "%s%" PRIu64, i ? ", " : "", l->log2_usecs[i]);
    fprintf(out, "]}%s\n", tail);
}

/* "reclaimed_bytes": bytes given back, buckets and indirect objects by class. */
static void reclaimed(FILE *out, const struct bs_reclaimed *r)
{
    fprintf(out,
            "\"reclaimed_bytes\": {\"buckets\": {\"while_running\": %" PRIu64
            ", \"teardown\": %" PRIu64 "}, \"indirect\": {\"while_running\": %" PRIu64
            ", \"teardown\": %" PRIu64 ", \"unused\": %" PRIu64 "}}",
            r->bucket[BS_FREE_RUNNING], r->bucket[BS_FREE_TEARDOWN], r->indirect[BS_FREE_RUNNING],
            r->indirect[BS_FREE_TEARDOWN], r->indirect_unused);
}

/* "indirect_objects": allocated, freed by reason, listed at attach, live. */
static void objects(FILE *out, const struct bs_objects *o, int64_t live,
                    const char *const *reason_name)
{
    fprintf(out,
            "\"indirect_objects\": {\"allocated\": %" PRIu64 ", \"allocated_bytes\": %" PRIu64
            ", \"at_attach\": %" PRIu64 ", \"at_attach_bytes\": %" PRIu64 ", \"live\": %" PRId64
            ", \"freed_by_reason\": {",
            o->alloc, o->alloc_bytes, o->attach, o->attach_bytes, live);
    for (unsigned r = 0; r < BS_OBJ_REASONS; r++)
        fprintf(out, "%s\"%s\": %" PRIu64, r ? ", " : "", reason_name[r], o->freed[r]);
    fprintf(out, "}}");
}

/* A map's site and state dump: "name", "site" (null without map_info),
 * "attached" (null without a bracket). */
static void map_who(FILE *out, const struct bs_map_row *row)
{
    const struct bs_map *m = row->map;
    fprintf(out, "     \"name\": ");
    jstr(out, m->name);
    if (m->has_info) {
        fprintf(out, ", \"site\": {\"object\": ");
        jstr(out, m->object);
        fprintf(out, ", \"offset\": \"0x%" PRIx64 "\", \"where\": ", m->site_off);
        jstr(out, row->where);
        fprintf(out, ", \"symbolized\": %s}", row->symbolized ? "true" : "false");
    } else {
        fprintf(out, ", \"site\": null");
    }
    if (row->state_status)
        fprintf(out,
                ",\n     \"attached\": {\"ok\": %s, \"ns\": %" PRIu64
                ", \"trigger\": \"%s\", \"status\": \"%s\", \"bucket_bytes\": %" PRIu64
                ", \"indirect_bytes\": %" PRIu64 ", \"arrays\": %" PRIu64 ", \"overflow\": %" PRIu64
                ", \"objects\": %" PRIu64 "},\n",
                m->st.attached ? "true" : "false", row->state_rel, row->state_trigger,
                row->state_status, m->st.bucket_bytes, m->st.indirect_bytes, m->st.arrays,
                m->st.ovf, m->obj.attach);
    else
        fprintf(out, ", \"attached\": null,\n");
    fprintf(out,
            "     \"bucket_bytes_peak\": %" PRIu64 ", \"bucket_bytes_final\": %" PRIu64
            ", \"indirect_bytes_peak\": %" PRIu64 ", \"indirect_bytes_final\": %" PRIu64
            ", \"before_state\": %" PRIu64 ",\n     ",
            m->g.peak_bucket, bs_bucket_bytes(&m->g), m->g.peak_indirect, m->g.indirect_held,
            m->before_state);
}

static void map_entry(FILE *out, const struct bs_map_row *row, const char *const *obj_reason,
                      const char *tail)
{
    const struct bs_map *m = row->map;
    fprintf(out,
            "    {\"pid\": %u, \"addr\": \"0x%" PRIx64 "\", \"seq\": %u, \"type_name\": ", m->pid,
            m->addr, m->seq);
    jstr(out, m->type_name);
    fprintf(out,
            ", \"reclaim\": \"%s\", \"pointerful\": %u, \"bucket_size\": %u, \"implicit\": %s, "
            "\"destroyed\": %s,\n     \"bytes_held_peak\": %" PRIu64
            ", \"bytes_held_final\": %" PRIu64 ", \"empty_bytes_peak\": %" PRIu64
            ", \"empty_bytes_final\": %" PRIu64 ", \"empty_byte_seconds\": %.6f,\n",
            row->reclaim ? row->reclaim : "unknown", m->pointerful, m->bucket_size,
            m->implicit ? "true" : "false", m->destroyed ? "true" : "false", m->g.peak_held,
            m->g.bytes_held, m->g.peak_empty, row->empty_bytes_final, row->empty_byte_seconds);
    fprintf(out,
            "     \"deletes\": %" PRIu64 ", \"reused\": %" PRIu64 ", \"freed\": %" PRIu64
            ", \"retained\": %" PRIu64 ", \"unresolved\": %" PRIu64 ", \"cleared\": %" PRIu64
            ",\n     \"arrays_allocated\": %" PRIu64 ", \"arrays_freed\": %" PRIu64
            ", \"overflow_allocated\": %" PRIu64 ", \"overflow_freed\": %" PRIu64
            ", \"grows\": %" PRIu64 ", \"evacuations\": %" PRIu64 ", \"entries_moved\": %" PRIu64
            ", \"live_entries_final\": %" PRId64 ", \"B_final\": %u,\n"
            "     \"freed_while_running\": %" PRIu64 ", \"freed_at_teardown\": %" PRIu64 ",\n",
            m->deletes, m->outcome[BS_REUSED], m->outcome[BS_FREED], m->outcome[BS_RETAINED],
            m->outcome[BS_UNRESOLVED], m->cleared, m->arrays_alloc, m->arrays_freed, m->ovf_alloc,
            m->ovf_freed, m->grows, m->evacuations, m->moved, m->g.live_slots, m->B,
            m->freed_class[BS_FREE_RUNNING], m->freed_class[BS_FREE_TEARDOWN]);
    map_who(out, row);
    reclaimed(out, &m->reclaimed);
    fprintf(out, ",\n     ");
    objects(out, &m->obj, m->g.objects, obj_reason);
    fprintf(out, "}%s\n", tail);
}

/* "attach": what the state dumps said (docs/report.md, "Definitions", attach). */
static void attach(FILE *out, const struct bs_report_model *m)
{
    fprintf(out, "  \"attach\": {\"state\": %s, \"first_ns\": ", m->have_state ? "true" : "false");
    if (m->have_state)
        fprintf(out, "%" PRIu64, m->state_rel);
    else
        fprintf(out, "null");
    fprintf(out,
            ", \"maps_attached\": %" PRIu64 ", \"brackets\": {\"ok\": %" PRIu64
            ", \"busy\": %" PRIu64 ", \"unsafe\": %" PRIu64 "}, \"maps_state_unknown\": %u,\n"
            "    \"arrays_at_attach\": %" PRIu64 ", \"overflow_at_attach\": %" PRIu64
            ", \"bucket_bytes\": %" PRIu64 ", \"indirect_bytes\": %" PRIu64
            ",\n    \"before_state\": %" PRIu64 ", \"redundant_dumps\": %" PRIu64
            ",\n    \"statedump_done\": {\"passes\": %" PRIu64 ", \"maps\": %" PRIu64
            ", \"deferred\": %" PRIu64 ", \"unsafe\": %" PRIu64 "}},\n",
            m->maps_attached, m->brackets[HMAP_STATE_OK], m->brackets[HMAP_STATE_BUSY],
            m->brackets[HMAP_STATE_UNSAFE], m->maps_not_dumped, m->arrays_attach, m->ovf_attach,
            m->attach_bucket_bytes, m->attach_indirect_bytes, m->before_state, m->redundant_dumps,
            m->dump_passes, m->dump_maps, m->dump_deferred, m->dump_unsafe);
}

/* "name": ["reason", ...] for one class of free reasons. */
static void class_reasons(FILE *out, const struct bs_free_class_row *c, const char *tail)
{
    fprintf(out, "\"%s\": [", c->name);
    for (unsigned r = 0; r < BS_FREE_REASONS && c->reason[r]; r++)
        fprintf(out, "%s\"%s\"", r ? ", " : "", c->reason[r]);
    fprintf(out, "]%s", tail);
}

static void policy_entry(FILE *out, const struct bs_policy_row *p, const char *tail)
{
    fprintf(out,
            "    {\"reclaim\": \"%s\", \"maps\": %u, \"deletes\": %" PRIu64
            ", \"freed_while_running\": %" PRIu64 ", \"freed_at_teardown\": %" PRIu64
            ", \"reused\": %" PRIu64 ", \"retained\": %" PRIu64 ", \"unresolved\": %" PRIu64
            "}%s\n",
            p->reclaim, p->maps, p->deletes, p->freed_class[BS_FREE_RUNNING],
            p->freed_class[BS_FREE_TEARDOWN], p->outcome[BS_REUSED], p->outcome[BS_RETAINED],
            p->outcome[BS_UNRESOLVED], tail);
}

/* "go": the Go section (go_latency.h; docs/report.md, "JSON schema", "go"),
 * present only for a trace with Go maps.  Its counts are the text
 * section's; its latencies are LAT objects like the engine's. */
static void go_object(FILE *out, const struct bs_report_model *m)
{
    const struct bs_go_report *g = m->go;
    fprintf(out,
            "  \"go\": {\"maps\": %" PRIu64 ", \"maps_unseen\": %" PRIu64 ", \"deletes\": %" PRIu64
            ", \"reused\": %" PRIu64 ", \"freed\": %" PRIu64 ", \"pending\": %" PRIu64
            ", \"pending_unreachable\": %" PRIu64 ",\n    \"freed_by_reason\": {",
            g->maps, g->unseen, g->deletes, g->reused, g->freed, g->pending,
            g->pending_unreachable);
    for (unsigned r = 0; r < BS_FREE_REASONS; r++)
        fprintf(out, "%s\"%s\": %" PRIu64, r ? ", " : "", m->reason_name[r], g->freed_by_reason[r]);
    fprintf(out, "}, \"freed_without_unreachable\": %" PRIu64 ",\n", g->freed_no_unreachable);
    latency(out, "delete_to_unreachable", &g->to_unreachable, ",");
    latency(out, "delete_to_gc_free", &g->to_free, ",");
    latency(out, "unreachable_to_gc_free", &g->gc_lag, ",");
    fprintf(out, "    \"maps_died\": {\"count\": %" PRIu64 ", \"bytes\": %" PRIu64 ", \"maps\": [",
            g->died, g->died_bytes);
    for (size_t i = 0; i < g->ndied_maps; i++) {
        const struct bs_go_died *d = &g->died_maps[i];
        fprintf(out, "%s\n      {\"pid\": %u, \"addr\": \"0x%" PRIx64 "\", \"type_name\": ",
                i ? "," : "", d->pid, d->addr);
        jstr(out, d->type_name);
        fprintf(out, ", \"bytes\": %" PRIu64 ", \"swept_ns\": %" PRIu64 "}", d->bytes,
                d->ns_abs >= m->first_ns_abs ? d->ns_abs - m->first_ns_abs : 0);
    }
    fprintf(out, "]},\n    \"incomplete\": %s}\n", g->incomplete ? "true" : "false");
}

void bs_report_json(FILE *out, const struct bs_report_model *m)
{
    const struct bs_report_input *in = &m->in;
    fprintf(out, "{\n  \"schema\": \"%s\",\n  \"inputs\": [", BS_JSON_SCHEMA);
    for (int i = 0; i < in->n; i++) {
        fprintf(out, "%s{\"path\": ", i ? ", " : "");
        jstr(out, in->paths[i]);
        fprintf(out, ", \"kind\": \"%s\"}", bs_input_kind_name[in->kind]);
    }
    fprintf(out, "],\n  \"filters\": {\"pid\": ");
    if (in->filter_pid >= 0)
        fprintf(out, "%lld", in->filter_pid);
    else
        fprintf(out, "null");
    if (in->filter_map_set)
        fprintf(out, ", \"map\": \"0x%" PRIx64 "\"", in->filter_map);
    else
        fprintf(out, ", \"map\": null");
    fprintf(out, ", \"since_ns\": %" PRIu64 ", \"until_ns\": %" PRIu64 "},\n", in->since_rel,
            in->until_rel);
    fprintf(out,
            "  \"time\": {\"first_ns_abs\": %" PRIu64 ", \"last_ns_abs\": %" PRIu64
            ", \"span_ns\": %" PRIu64 ", \"events\": %" PRIu64 "},\n",
            m->first_ns_abs, m->last_ns_abs, m->span_ns, m->events);
    fprintf(out,
            "  \"summary\": {\"maps_created\": %" PRIu64 ", \"maps_destroyed\": %" PRIu64
            ", \"maps_live\": %u,\n    \"arrays_allocated\": %" PRIu64
            ", \"arrays_freed\": %" PRIu64 ", \"arrays_live\": %u,\n"
            "    \"overflow_allocated\": %" PRIu64 ", \"overflow_freed\": %" PRIu64
            ", \"overflow_live\": %u, \"overflow_linked_final\": %" PRId64 ",\n"
            "    \"bytes_held_peak\": %" PRIu64 ", \"bytes_held_final\": %" PRIu64
            ", \"empty_bytes_peak\": %" PRIu64 ", \"empty_bytes_final\": %" PRIu64
            ", \"empty_byte_seconds\": %.6f,\n    \"bucket_bytes_peak\": %" PRIu64
            ", \"bucket_bytes_final\": %" PRIu64 ", \"indirect_bytes_peak\": %" PRIu64
            ", \"indirect_bytes_final\": %" PRIu64 ", \"maps_attached\": %" PRIu64 ",\n    ",
            m->maps_created, m->maps_destroyed, m->maps_live, m->arrays_alloc, m->arrays_freed,
            m->arrays_live, m->ovf_alloc, m->ovf_freed, m->ovf_live, m->ovf_linked_final,
            m->bytes_held_peak, m->bytes_held_final, m->empty_bytes_peak, m->empty_bytes_final,
            m->empty_byte_seconds, m->bucket_bytes_peak, m->bucket_bytes_final,
            m->indirect_bytes_peak, m->indirect_bytes_final, m->maps_attached);
    reclaimed(out, &m->reclaimed);
    fprintf(out, ",\n    ");
    objects(out, &m->obj, m->objects_live, m->obj_reason_name);
    fprintf(out, "},\n");
    attach(out, m);
    fprintf(out,
            "  \"deletes\": {\"total\": %" PRIu64 ", \"reused\": %" PRIu64 ", \"freed\": %" PRIu64
            ", \"retained\": %" PRIu64 ", \"unresolved\": %" PRIu64 ", \"cleared\": %" PRIu64 ",\n",
            m->deletes, m->outcome[BS_REUSED], m->outcome[BS_FREED], m->outcome[BS_RETAINED],
            m->outcome[BS_UNRESOLVED], m->cleared);
    fprintf(out,
            "    \"freed_while_running\": %" PRIu64 ", \"freed_at_teardown\": %" PRIu64
            ",\n    \"freed_by_reason\": {",
            m->free_class[BS_FREE_RUNNING].freed, m->free_class[BS_FREE_TEARDOWN].freed);
    for (unsigned r = 0; r < BS_FREE_REASONS; r++)
        fprintf(out, "%s\"%s\": %" PRIu64, r ? ", " : "", m->reason_name[r], m->freed_reason[r]);
    fprintf(out, "},\n");
    latency(out, "delete_to_free_while_running", &m->free_class[BS_FREE_RUNNING].to_free, ",");
    latency(out, "delete_to_free_at_teardown", &m->free_class[BS_FREE_TEARDOWN].to_free, ",");
    latency(out, "delete_to_free", &m->to_free, ",");
    latency(out, "delete_to_reuse", &m->to_reuse, ",");
    latency(out, "retained_age", &m->retained_age, ",");
    if (m->km_reached)
        fprintf(out, "    \"km_median_ns\": %" PRIu64 "\n  },\n", m->km_median);
    else
        fprintf(out, "    \"km_median_ns\": null\n  },\n");
    fprintf(out, "  \"free_classes\": {");
    class_reasons(out, &m->free_class[BS_FREE_RUNNING], ", ");
    class_reasons(out, &m->free_class[BS_FREE_TEARDOWN], "},\n");
    fprintf(out, "  \"policies\": [\n");
    for (uint32_t i = 0; i < m->npolicies; i++)
        policy_entry(out, &m->policies[i], i + 1 < m->npolicies ? "," : "");
    fprintf(out, "  ],\n");
    fprintf(out, "  \"maps\": [\n");
    for (uint32_t i = 0; i < m->nmaps; i++)
        map_entry(out, &m->maps[i], m->obj_reason_name, i + 1 < m->nmaps ? "," : "");
    fprintf(out,
            "  ],\n  \"data_quality\": {\"lost_events\": %" PRIu64 ", \"lost_records\": %" PRIu64
            ", \"lost_spans_ns_abs\": [",
            m->lost_events, m->lost_records);
    for (uint32_t i = 0; i < m->nlost && i < MAX_LOST_SPANS; i++)
        fprintf(out, "%s[%" PRIu64 ", %" PRIu64 "]", i ? ", " : "", m->lost[i].first_ns,
                m->lost[i].last_ns);
    fprintf(out,
            "],\n    \"deletes_maybe_affected_by_loss\": %" PRIu64
            ", \"discarded_events\": %" PRIu64 ", \"discarded_packets\": %" PRIu64
            ", \"before_state\": %" PRIu64 ",\n    \"truncated\": %s, \"truncated_at\": ",
            m->maybe_lost, in->discarded_events, in->discarded_packets, m->before_state,
            in->truncated ? "true" : "false");
    if (in->truncated)
        jstr(out, in->truncated_at);
    else
        fprintf(out, "null");
    fprintf(out, ",\n    \"unmatched\": {");
    for (int i = 0; i < BS_UM_COUNT; i++)
        fprintf(out, "%s\"%s\": %" PRIu64, i ? ", " : "", bs_unmatched_name[i], m->unmatched[i]);
    fprintf(out, "}}%s\n", m->go && m->go->maps ? "," : "");
    if (m->go && m->go->maps) go_object(out, m);
    fprintf(out, "}\n");
}
