/* SPDX-License-Identifier: MIT */
/*
 * text.c — the terminal report: summary, latency histograms in the layout of
 * libbpf-tools' print_log2_hist, per-map table, data quality.  Formats the
 * report model only.
 */
#include <ctype.h>
#include <inttypes.h>

#include "spell.h"
#include "report.h"

static void percentiles(FILE *out, const struct bs_latency *l)
{
    char a[32], b[32], c[32], d[32], m[32];
    if (!l->count) return;
    fprintf(out, "  p50 %s   p90 %s   p99 %s   p99.9 %s   max %s\n",
            bs_fmt_ns(l->p50, a, sizeof(a)), bs_fmt_ns(l->p90, b, sizeof(b)),
            bs_fmt_ns(l->p99, c, sizeof(c)), bs_fmt_ns(l->p999, d, sizeof(d)),
            bs_fmt_ns(l->max, m, sizeof(m)));
}

static void latency_section(FILE *out, const char *title, const char *detail,
                            const struct bs_latency *l)
{
    fprintf(out, "\n%s%s: %" PRIu64 " deletes\n", title, detail, l->count);
    if (!l->count) return;
    bs_print_log2_hist(out, l->log2_usecs, l->nlog2, "usecs");
    percentiles(out, l);
}

/* The answer first: per reclaim policy, how many deleted slots had their
 * memory given back while the program ran, and how many only at teardown
 * (docs/report.md, "Terminal report"). */
static void answer(FILE *out, const struct bs_report_model *m)
{
    const struct bs_free_class_row *run = &m->free_class[BS_FREE_RUNNING],
                                   *end = &m->free_class[BS_FREE_TEARDOWN];
    if (!m->npolicies) fprintf(out, "no maps in the trace\n");
    for (uint32_t i = 0; i < m->npolicies; i++) {
        const struct bs_policy_row *p = &m->policies[i];
        char name[24];
        size_t k = 0;
        for (; p->reclaim[k] && k + 1 < sizeof(name); k++)
            name[k] = (char)toupper((unsigned char)p->reclaim[k]);
        name[k] = 0;
        fprintf(out,
                "%s maps (%u): %" PRIu64 " of %" PRIu64
                " deleted slots given back while running (%s); %" PRIu64
                " freed at teardown (%s), %" PRIu64 " reused, %" PRIu64
                " retained at trace end, %" PRIu64 " unresolved\n",
                name, p->maps, p->freed_class[BS_FREE_RUNNING], p->deletes, run->reasons,
                p->freed_class[BS_FREE_TEARDOWN], end->reasons, p->outcome[BS_REUSED],
                p->outcome[BS_RETAINED], p->outcome[BS_UNRESOLVED]);
    }
}

/* "freed while running N (grow_done n, ...)" for one class. */
static void class_counts(FILE *out, const struct bs_report_model *m, int c, const char *label)
{
    const struct bs_free_class_row *row = &m->free_class[c];
    fprintf(out, "%s %" PRIu64 " (", label, row->freed);
    for (unsigned r = 0, n = 0; r < BS_FREE_REASONS; r++)
        if (bs_free_class_of[r] == c)
            fprintf(out, "%s%s %" PRIu64, n++ ? ", " : "", m->reason_name[r], m->freed_reason[r]);
    fputc(')', out);
}

/* One attached or undumped map: who it is (name, site) and what its dump
 * gave, or why it gave nothing. */
static void attach_map(FILE *out, const struct bs_map_row *row)
{
    const struct bs_map *m = row->map;
    char a[32], b[32], t[32];
    fprintf(out, "  %u 0x%" PRIx64 " %s %s: ", m->pid, m->addr, m->name[0] ? m->name : "-",
            row->where[0] ? row->where : "-");
    if (m->st.attached)
        fprintf(out, "%s buckets + %s indirect held at +%s (%s)\n",
                bs_fmt_bytes(m->st.bucket_bytes, a, sizeof(a)),
                bs_fmt_bytes(m->st.indirect_bytes, b, sizeof(b)),
                bs_fmt_ns(row->state_rel, t, sizeof(t)), row->state_trigger);
    else if (m->st.status == HMAP_STATE_UNSAFE)
        fprintf(out, "state unknown: unsafe (no safe way to read it: membarrier unavailable)\n");
    else if (m->st.status == HMAP_STATE_BUSY)
        fprintf(out, "state unknown: busy at the dump, and it did not dump itself later\n");
    else
        fprintf(out, "state unknown: %s\n", row->state_status);
}

/* When the trace holds a state dump: when the tracer attached, how many
 * maps it had the state of, what they held then, and each such map. */
static void attach_section(FILE *out, const struct bs_report_model *m)
{
    char a[32], b[32], t[32];
    if (!m->have_state) return;
    fprintf(out,
            "attached at +%s: state of %" PRIu64 " maps (%" PRIu64 " deferred, %" PRIu64
            " unsafe): %s buckets + %s indirect held\n",
            bs_fmt_ns(m->state_rel, t, sizeof(t)), m->maps_attached, m->brackets[HMAP_STATE_BUSY],
            m->brackets[HMAP_STATE_UNSAFE], bs_fmt_bytes(m->attach_bucket_bytes, a, sizeof(a)),
            bs_fmt_bytes(m->attach_indirect_bytes, b, sizeof(b)));
    uint32_t shown = 0;
    for (uint32_t i = 0; i < m->nmaps; i++) {
        const struct bs_map *mp = m->maps[i].map;
        if (mp->st.status == BS_NO_STATE) continue;
        if (!mp->st.attached || shown++ < (uint32_t)m->in.top) attach_map(out, &m->maps[i]);
    }
    if (shown > (uint32_t)m->in.top)
        fprintf(out, "  (%u more attached maps, --top)\n", shown - (uint32_t)m->in.top);
    fprintf(out,
            "  at attach: %" PRIu64 " bucket arrays, %" PRIu64 " overflow buckets, %" PRIu64
            " indirect objects; %" PRIu64
            " events before their map's state (not unmatched), %" PRIu64
            " redundant dumps ignored\n",
            m->arrays_attach, m->ovf_attach, m->obj.attach, m->before_state, m->redundant_dumps);
}

/* Bytes held, split into buckets and indirect objects. */
static void bytes_split(FILE *out, const struct bs_report_model *m)
{
    fprintf(out, "%-18s %12" PRIu64 " %12" PRIu64 "\n", "  buckets", m->bucket_bytes_peak,
            m->bucket_bytes_final);
    fprintf(out, "%-18s %12" PRIu64 " %12" PRIu64 "\n", "  indirect objects",
            m->indirect_bytes_peak, m->indirect_bytes_final);
}

/* Bytes given back, split the same way and by class. */
static void bytes_reclaimed(FILE *out, const struct bs_report_model *m)
{
    const struct bs_reclaimed *r = &m->reclaimed;
    fprintf(out,
            "bytes given back: buckets %" PRIu64 " while running, %" PRIu64
            " at teardown; indirect objects %" PRIu64 " while running, %" PRIu64
            " at teardown, %" PRIu64 " unused (failed inserts)\n",
            r->bucket[BS_FREE_RUNNING], r->bucket[BS_FREE_TEARDOWN], r->indirect[BS_FREE_RUNNING],
            r->indirect[BS_FREE_TEARDOWN], r->indirect_unused);
}

/* Indirect objects allocated in the trace, freed (by reason), live. */
static void objects_line(FILE *out, const struct bs_report_model *m)
{
    uint64_t freed = 0;
    for (unsigned r = 0; r < BS_OBJ_REASONS; r++)
        freed += m->obj.freed[r];
    fprintf(out, "%-18s %12" PRIu64 " %12" PRIu64 " %12" PRId64 "\n", "indirect objects",
            m->obj.alloc, freed, m->objects_live);
}

static void summary(FILE *out, const struct bs_report_model *m)
{
    const struct bs_report_input *in = &m->in;
    char a[32];
    fprintf(out, "bucketscope report: %d %s input%s:", in->n, bs_input_kind_name[in->kind],
            in->n == 1 ? "" : "s");
    for (int i = 0; i < in->n; i++)
        fprintf(out, " %s", in->paths[i]);
    /* The window's own length: from --since (relative to the first event)
     * to its end (--until, or the last event), not from the first event. */
    uint64_t window_ns = m->span_ns > in->since_rel ? m->span_ns - in->since_rel : 0;
    fprintf(out, "\n%" PRIu64 " events over %s", m->events, bs_fmt_ns(window_ns, a, sizeof(a)));
    if (in->filter_pid >= 0) fprintf(out, ", pid %lld only", in->filter_pid);
    if (in->filter_map_set) fprintf(out, ", map 0x%" PRIx64 " only", in->filter_map);
    if (in->since_rel) fprintf(out, ", since +%s", bs_fmt_ns(in->since_rel, a, sizeof(a)));
    if (in->until_rel) fprintf(out, ", until +%s", bs_fmt_ns(in->until_rel, a, sizeof(a)));
    fprintf(out, "\n");
    attach_section(out, m);
    fprintf(out, "\n");
    answer(out, m);
    fprintf(out, "\n");
    fprintf(out, "%-18s %12s %12s %12s\n", "", "allocated", "freed", "live at end");
    fprintf(out, "%-18s %12" PRIu64 " %12" PRIu64 " %12u\n", "maps", m->maps_created,
            m->maps_destroyed, m->maps_live);
    fprintf(out, "%-18s %12" PRIu64 " %12" PRIu64 " %12u\n", "bucket arrays", m->arrays_alloc,
            m->arrays_freed, m->arrays_live);
    fprintf(out, "%-18s %12" PRIu64 " %12" PRIu64 " %12u\n", "overflow buckets", m->ovf_alloc,
            m->ovf_freed, m->ovf_live);
    objects_line(out, m);
    fprintf(out,
            "  (overflow buckets: individually allocated ones; %" PRId64
            " overflow buckets linked at end, preallocated included)\n\n",
            m->ovf_linked_final);
    fprintf(out, "%-18s %12s %12s\n", "", "peak", "final");
    fprintf(out, "%-18s %12" PRIu64 " %12" PRIu64 "\n", "bytes held", m->bytes_held_peak,
            m->bytes_held_final);
    bytes_split(out, m);
    fprintf(out, "%-18s %12" PRIu64 " %12" PRIu64 "\n", "empty-slot bytes", m->empty_bytes_peak,
            m->empty_bytes_final);
    fprintf(out, "empty retention: %.6f byte-seconds\n", m->empty_byte_seconds);
    bytes_reclaimed(out, m);
    fprintf(out,
            "\ndeletes: %" PRIu64 "   reused %" PRIu64 "   freed %" PRIu64
            "   retained (censored) %" PRIu64 "   unresolved %" PRIu64 "\n",
            m->deletes, m->outcome[BS_REUSED], m->outcome[BS_FREED], m->outcome[BS_RETAINED],
            m->outcome[BS_UNRESOLVED]);
    class_counts(out, m, BS_FREE_RUNNING, "  freed while running");
    class_counts(out, m, BS_FREE_TEARDOWN, ";  freed at teardown");
    fputc('\n', out);
    fprintf(out, "entries removed by clear (not deletes): %" PRIu64 "\n", m->cleared);
}

static void censored(FILE *out, const struct bs_report_model *m)
{
    char a[32], b[32];
    const struct bs_latency *age = &m->retained_age;
    fprintf(out, "\nretained deletes (censored at trace end): %" PRIu64 "\n", age->count);
    if (age->count)
        fprintf(out, "  age at end: p50 %s   max %s\n", bs_fmt_ns(age->p50, a, sizeof(a)),
                bs_fmt_ns(age->max, b, sizeof(b)));
    if (m->km_reached)
        fprintf(out, "Kaplan-Meier median time to reuse or free while running (retained and teardown frees censored): %s\n",
                bs_fmt_ns(m->km_median, a, sizeof(a)));
    else if (m->km_samples)
        fprintf(out, "Kaplan-Meier median time to reuse or free while running (retained and teardown frees censored): not reached "
                     "(over half of the deletes still retained)\n");
}

static void per_map(FILE *out, const struct bs_report_model *rm)
{
    uint32_t n = rm->nmaps < (uint32_t)rm->in.top ? rm->nmaps : (uint32_t)rm->in.top;
    fprintf(out, "\ntop %u of %u maps by empty byte-seconds\n", n, rm->nmaps);
    fprintf(out, "%-8s %-18s %-16s %-7s %12s %12s %14s %8s %8s %9s %8s %8s %12s %-16s %s\n", "PID",
            "MAP", "TYPE", "POLICY", "PEAK-HELD", "FINAL-HELD", "EMPTY-B*S", "DELETES", "REUSED",
            "FREED-RUN", "TEARDOWN", "RETAINED", "INDIRECT", "NAME", "SITE");
    for (uint32_t i = 0; i < n; i++) {
        const struct bs_map_row *row = &rm->maps[i];
        const struct bs_map *m = row->map;
        char addr[24];
        snprintf(addr, sizeof(addr), "0x%" PRIx64 "%s", m->addr, m->seq ? "'" : "");
        fprintf(out,
                "%-8u %-18s %-16.16s %-7s %12" PRIu64 " %12" PRIu64 " %14.6f %8" PRIu64 " %8" PRIu64
                " %9" PRIu64 " %8" PRIu64 " %8" PRIu64 " %12" PRIu64 " %-16.31s %s\n",
                m->pid, addr, m->type_name[0] ? m->type_name : "?",
                row->reclaim ? row->reclaim : "?", m->g.peak_held, m->g.bytes_held,
                row->empty_byte_seconds, m->deletes, m->outcome[BS_REUSED],
                m->freed_class[BS_FREE_RUNNING], m->freed_class[BS_FREE_TEARDOWN],
                m->outcome[BS_RETAINED], m->g.indirect_held, m->name[0] ? m->name : "-",
                row->where[0] ? row->where : "-");
    }
}

static void data_quality(FILE *out, const struct bs_report_model *m)
{
    const struct bs_report_input *in = &m->in;
    char a[32], b[32];
    fprintf(out, "\ndata quality\n");
    fprintf(out, "  lost events: %" PRIu64 " (%" PRIu64 " lost records, %u time spans)",
            m->lost_events, m->lost_records, m->nlost);
    if (m->nlost)
        fprintf(out, "; first span +%s .. +%s", bs_fmt_ns(m->lost_first_rel, a, sizeof(a)),
                bs_fmt_ns(m->lost_first_end_rel, b, sizeof(b)));
    fprintf(out, "\n  deletes whose interval overlaps a lost span (may be wrong): %" PRIu64 "\n",
            m->maybe_lost);
    if (in->kind == BS_INPUT_CTF)
        fprintf(out,
                "  discarded events (reported by the trace): %" PRIu64
                ", discarded packets: %" PRIu64 "\n",
                in->discarded_events, in->discarded_packets);
    fprintf(out, "  unmatched events: %" PRIu64 "\n", m->unmatched_total);
    if (m->before_state)
        fprintf(out,
                "  events before their map's state was known (not unmatched: the state dump "
                "holds their effect): %" PRIu64 "\n",
                m->before_state);
    for (int i = 0; i < BS_UM_COUNT; i++)
        if (m->unmatched[i])
            fprintf(out, "    %-22s %10" PRIu64 "  %s\n", bs_unmatched_name[i], m->unmatched[i],
                    bs_unmatched_desc[i]);
    if (in->truncated)
        fprintf(out, "  INPUT TRUNCATED (--allow-truncated): analysed up to %s\n",
                in->truncated_at);
}

void bs_report_text(FILE *out, const struct bs_report_model *m)
{
    summary(out, m);
    char detail[BS_FREE_CLASSES][sizeof(m->free_class[0].reasons) + 32];
    snprintf(detail[BS_FREE_RUNNING], sizeof(detail[0]), ", freed while running (%s)",
             m->free_class[BS_FREE_RUNNING].reasons);
    snprintf(detail[BS_FREE_TEARDOWN], sizeof(detail[0]), ", freed at teardown (%s)",
             m->free_class[BS_FREE_TEARDOWN].reasons);
    for (int c = 0; c < BS_FREE_CLASSES; c++)
        latency_section(out, "delete -> free latency", detail[c], &m->free_class[c].to_free);
    latency_section(out, "delete -> reuse latency", "", &m->to_reuse);
    censored(out, m);
    per_map(out, m);
    data_quality(out, m);
}
