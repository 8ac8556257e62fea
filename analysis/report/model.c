/* SPDX-License-Identifier: MIT */
/*
 * model.c — the report model computed from the finished engine (model.h).
 * The one place where report figures are derived: percentiles, histograms,
 * the Kaplan-Meier median, live counts, the order of the per-map rows.
 */
#include <stdlib.h>
#include <string.h>

#include "spell.h"
#include "model.h"
#include "schema_table.h"
#include "site.h"

void bs_latency_of(struct bs_latency *l, const struct bs_hist *h)
{
    l->count = h->count;
    l->p50 = bs_hist_quantile(h, 0.50);
    l->p90 = bs_hist_quantile(h, 0.90);
    l->p99 = bs_hist_quantile(h, 0.99);
    l->p999 = bs_hist_quantile(h, 0.999);
    l->max = h->max;
    l->mean = h->count ? h->sum / (double)h->count : 0.0;
    l->nlog2 = bs_hist_log2(h, 1000, l->log2_usecs);
    l->nlog2_ms = bs_hist_log2(h, 1000000, l->log2_msecs);
}

/* Freed deletes by class, the classes' reasons named from the engine's one
 * table (bs_free_class_of), and the counts by reason. */
static void free_classes(struct bs_report_model *m, const struct bs_engine_totals *t)
{
    for (int c = 0; c < BS_FREE_CLASSES; c++) {
        struct bs_free_class_row *row = &m->free_class[c];
        row->name = bs_free_class_name[c];
        row->freed = t->freed_class[c].count;
        bs_latency_of(&row->to_free, &t->freed_class[c]);
        row->reasons[0] = 0;
        int n = 0;
        for (unsigned r = 0; r < BS_FREE_REASONS; r++) {
            if (bs_free_class_of[r] != c) continue;
            const char *name = bs_enum_name("free_reason", r);
            if (!name) name = "?";
            row->reason[n++] = name;
            size_t len = strlen(row->reasons);
            snprintf(row->reasons + len, sizeof(row->reasons) - len, "%s%s", len ? ", " : "", name);
        }
    }
    for (unsigned r = 0; r < BS_FREE_REASONS; r++) {
        m->reason_name[r] = bs_enum_name("free_reason", r);
        m->freed_reason[r] = t->freed_reason[r];
    }
}

/* Maps summed by reclaim policy; a map never announced, or with a policy
 * outside the schema, counts as "unknown". */
static void policies(struct bs_report_model *m, const struct bs_map *maps, uint32_t n)
{
    enum { UNKNOWN = HMAP_ENUM_COUNT(reclaim) };
    struct bs_policy_row all[UNKNOWN + 1];
    memset(all, 0, sizeof(all));
    for (uint32_t i = 0; i < n; i++) {
        const struct bs_map *mp = &maps[i];
        struct bs_policy_row *p =
            &all[mp->implicit || mp->reclaim >= UNKNOWN ? UNKNOWN : mp->reclaim];
        p->maps++;
        p->deletes += mp->deletes;
        for (int o = 0; o < BS_OUTCOMES; o++)
            p->outcome[o] += mp->outcome[o];
        for (int c = 0; c < BS_FREE_CLASSES; c++)
            p->freed_class[c] += mp->freed_class[c];
    }
    for (unsigned r = 0; r <= UNKNOWN; r++) {
        if (!all[r].maps) continue;
        all[r].reclaim = r == UNKNOWN ? "unknown" : bs_reclaim_name(r);
        m->policies[m->npolicies++] = all[r];
    }
}

static int by_empty_retention(const void *a, const void *b)
{
    const struct bs_map *x = ((const struct bs_map_row *)a)->map,
                        *y = ((const struct bs_map_row *)b)->map;
    if (x->g.empty_byte_ns != y->g.empty_byte_ns)
        return x->g.empty_byte_ns > y->g.empty_byte_ns ? -1 : 1;
    if (x->pid != y->pid) return x->pid < y->pid ? -1 : 1;
    if (x->addr != y->addr) return x->addr < y->addr ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Time relative to the first event (lost spans may start before it). */
static uint64_t rel(const struct bs_report_model *m, uint64_t t)
{
    return t > m->first_ns_abs ? t - m->first_ns_abs : 0;
}

/* A map's row: its figures, its site named, its dump's status spelt. */
static struct bs_map_row map_row(const struct bs_report_model *m, const struct bs_map *mp)
{
    struct bs_map_row row;
    memset(&row, 0, sizeof(row));
    row.map = mp;
    row.reclaim = mp->implicit ? NULL : bs_reclaim_name(mp->reclaim);
    row.empty_bytes_final = bs_empty_bytes(&mp->g);
    row.empty_byte_seconds = mp->g.empty_byte_ns / 1e9;
    if (mp->has_info)
        row.symbolized =
            bs_site_describe(mp->object, mp->site_off, row.where, sizeof(row.where)) == 0;
    if (mp->st.status != BS_NO_STATE) {
        row.state_status = bs_enum_or("state_status", mp->st.status, "?");
        row.state_trigger = bs_enum_or("state_trigger", mp->st.trigger, "?");
        row.state_rel = mp->st.ns > m->first_ns_abs ? mp->st.ns - m->first_ns_abs : 0;
    }
    return row;
}

/* What the state dumps said, over all maps: attach time and counts from
 * the engine, the bytes held at attach summed over the attached maps, and
 * the maps whose last bracket left their state unknown. */
static void attach(struct bs_report_model *m, const struct bs_engine_totals *t,
                   const struct bs_map *maps, uint32_t n)
{
    m->have_state = t->have_state;
    m->state_rel = t->have_state && t->state_ns > t->first_ns ? t->state_ns - t->first_ns : 0;
    m->maps_attached = t->maps_attached;
    m->arrays_attach = t->arrays_attach;
    m->ovf_attach = t->ovf_attach;
    memcpy(m->brackets, t->brackets, sizeof(m->brackets));
    m->redundant_dumps = t->redundant_dumps;
    m->before_state = t->before_state;
    m->dump_passes = t->dump_passes;
    m->dump_maps = t->dump_maps;
    m->dump_deferred = t->dump_deferred;
    m->dump_unsafe = t->dump_unsafe;
    for (uint32_t i = 0; i < n; i++) {
        const struct bs_map *mp = &maps[i];
        if (mp->st.attached) {
            m->attach_bucket_bytes += mp->st.bucket_bytes;
            m->attach_indirect_bytes += mp->st.indirect_bytes;
        } else if (mp->st.status != BS_NO_STATE) {
            m->maps_not_dumped++;
        }
    }
}

/* The Kaplan-Meier median of the time until a deleted slot's memory is used
 * again or given back while the program runs.  A free at teardown (clear,
 * destroy) is not that event: like a delete still retained at the end, it is
 * censored at its time -- the slot was still held when the map went away
 * (docs/report.md, "Definitions"). */
static void km(struct bs_report_model *m, const struct bs_engine_totals *t)
{
    struct bs_hist ev = {0}, cens = {0};
    bs_hist_merge(&ev, &t->reuse);
    bs_hist_merge(&ev, &t->freed_class[BS_FREE_RUNNING]);
    bs_hist_merge(&cens, &t->retained);
    bs_hist_merge(&cens, &t->freed_class[BS_FREE_TEARDOWN]);
    bs_hist_seal(&ev);
    bs_hist_seal(&cens);
    m->km_reached = bs_km_median(&ev, &cens, &m->km_median);
    m->km_samples = ev.count + cens.count;
    bs_hist_free(&ev);
    bs_hist_free(&cens);
}

/* Bytes held split into buckets and indirect objects, the objects' counts
 * and the bytes given back. */
static void held_split(struct bs_report_model *m, const struct bs_engine_totals *t)
{
    m->bucket_bytes_peak = t->all.peak_bucket;
    m->bucket_bytes_final = bs_bucket_bytes(&t->all);
    m->indirect_bytes_peak = t->all.peak_indirect;
    m->indirect_bytes_final = t->all.indirect_held;
    m->objects_live = t->all.objects;
    m->obj = t->obj;
    m->reclaimed = t->reclaimed;
    for (unsigned r = 0; r < BS_OBJ_REASONS; r++)
        m->obj_reason_name[r] = bs_enum_or("obj_free_reason", r, "?");
}

/* The distinct pids of the maps, ascending; npids counts them all, pids[]
 * holds the first BS_TITLE_PIDS. */
static void pids(struct bs_report_model *m, const struct bs_map *maps, uint32_t n)
{
    uint64_t prev = UINT64_MAX;
    for (;;) { /* selection by rounds: maps are few next to events */
        uint64_t next = UINT64_MAX;
        for (uint32_t i = 0; i < n; i++)
            if ((prev == UINT64_MAX || maps[i].pid > prev) && maps[i].pid < next)
                next = maps[i].pid;
        if (next == UINT64_MAX) return;
        if (m->npids < BS_TITLE_PIDS) m->pids[m->npids] = (uint32_t)next;
        m->npids++;
        prev = next;
        if (m->npids > BS_TITLE_PIDS) return; /* "and more" is all a title says */
    }
}

/* One part of the verdict: part of whole above BS_POOR_FRACTION. */
static void poor_if(struct bs_report_model *m, uint64_t part, uint64_t whole, const char *what)
{
    if (!part || !whole || (double)part <= BS_POOR_FRACTION * (double)whole) return;
    char a[32], b[32];
    size_t len = strlen(m->poor_why);
    snprintf(m->poor_why + len, sizeof(m->poor_why) - len, "%s%s of %s %s (%.1f %%)",
             len ? "; " : "", bs_fmt_count(part, a, sizeof(a)), bs_fmt_count(whole, b, sizeof(b)),
             what, 100.0 * (double)part / (double)whole);
    m->poor = 1;
}

/* The data-quality verdict (model.h): every source of doubt the data
 * quality section lists, each against its own whole. */
static void verdict(struct bs_report_model *m)
{
    uint64_t seen = m->events + m->lost_events;
    poor_if(m, m->unmatched_total, m->events, "events unmatched");
    poor_if(m, m->lost_events, seen < m->events ? UINT64_MAX : seen, "events lost");
    poor_if(m, m->in.discarded_events, m->events + m->in.discarded_events,
            "events discarded by the tracer");
    poor_if(m, m->maybe_lost, m->deletes, "deletes overlap a lost span");
    if (m->in.truncated) {
        size_t len = strlen(m->poor_why);
        snprintf(m->poor_why + len, sizeof(m->poor_why) - len, "%sinput truncated at %s",
                 len ? "; " : "", m->in.truncated_at ? m->in.truncated_at : "?");
        m->poor = 1;
    }
}

int bs_report_model_build(struct bs_report_model *m, const struct bs_engine *e,
                          const struct bs_report_input *in)
{
    const struct bs_engine_totals *t = bs_engine_totals(e);
    memset(m, 0, sizeof(*m));
    m->in = *in;
    m->first_ns_abs = t->first_ns;
    m->last_ns_abs = t->last_ns;
    m->span_ns = t->last_ns - t->first_ns;
    m->events = t->events;

    uint32_t n;
    const struct bs_map *maps = bs_engine_maps(e, &n);
    m->maps = malloc(((size_t)n + 1) * sizeof(*m->maps));
    if (!m->maps) return -1;
    for (uint32_t i = 0; i < n; i++) {
        const struct bs_map *mp = &maps[i];
        m->maps_live += !mp->destroyed;
        m->maps[i] = map_row(m, mp);
    }
    qsort(m->maps, n, sizeof(*m->maps), by_empty_retention);
    m->nmaps = n;
    policies(m, maps, n);

    m->maps_created = t->maps_created;
    m->maps_destroyed = t->maps_destroyed;
    m->arrays_alloc = t->arrays_alloc;
    m->arrays_freed = t->arrays_freed;
    m->arrays_live = t->arrays_live;
    m->ovf_alloc = t->ovf_alloc;
    m->ovf_freed = t->ovf_freed;
    m->ovf_live = t->ovf_live;
    m->ovf_linked_final = t->all.ovf_buckets;
    m->bytes_held_peak = t->all.peak_held;
    m->bytes_held_final = t->all.bytes_held;
    m->empty_bytes_peak = t->all.peak_empty;
    m->empty_bytes_final = bs_empty_bytes(&t->all);
    m->empty_byte_seconds = t->all.empty_byte_ns / 1e9;
    held_split(m, t);
    attach(m, t, maps, n);

    m->deletes = t->deletes;
    memcpy(m->outcome, t->outcome, sizeof(m->outcome));
    m->cleared = t->cleared;
    bs_latency_of(&m->to_free, &t->freed);
    bs_latency_of(&m->to_reuse, &t->reuse);
    bs_latency_of(&m->retained_age, &t->retained);
    free_classes(m, t);
    km(m, t);

    m->lost_events = t->lost_events;
    m->lost_records = t->lost_records;
    m->maybe_lost = t->maybe_lost;
    m->lost = bs_engine_lost_spans(e, &m->nlost);
    if (m->nlost) {
        m->lost_first_rel = rel(m, m->lost[0].first_ns);
        m->lost_first_end_rel = rel(m, m->lost[0].last_ns);
    }
    memcpy(m->unmatched, t->unmatched, sizeof(m->unmatched));
    for (int i = 0; i < BS_UM_COUNT; i++)
        m->unmatched_total += t->unmatched[i];
    m->samples = bs_engine_samples(e, &m->nsamples);
    m->markers = bs_engine_markers(e);
    pids(m, maps, n);
    verdict(m);
    return 0;
}

void bs_report_model_free(struct bs_report_model *m)
{
    free(m->maps);
    m->maps = NULL;
}
