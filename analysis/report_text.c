/*
 * report_text.c — the terminal report: summary, latency histograms in the
 * layout of libbpf-tools' print_log2_hist, per-map table, data quality.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "report.h"
#include "schema_table.h"

static void percentiles(FILE *out, const struct bs_hist *h)
{
    char a[32], b[32], c[32], d[32], m[32];
    if (!h->count) return;
    fprintf(out, "  p50 %s   p90 %s   p99 %s   p99.9 %s   max %s\n",
            bs_fmt_ns(bs_hist_quantile(h, 0.50), a, sizeof(a)),
            bs_fmt_ns(bs_hist_quantile(h, 0.90), b, sizeof(b)),
            bs_fmt_ns(bs_hist_quantile(h, 0.99), c, sizeof(c)),
            bs_fmt_ns(bs_hist_quantile(h, 0.999), d, sizeof(d)), bs_fmt_ns(h->max, m, sizeof(m)));
}

static void latency_section(FILE *out, const char *title, const struct bs_hist *h)
{
    uint64_t slots[BS_LOG2_SLOTS];
    fprintf(out, "\n%s: %" PRIu64 " deletes\n", title, h->count);
    if (!h->count) return;
    int n = bs_hist_log2(h, 1000, slots);
    bs_print_log2_hist(out, slots, n, "usecs");
    percentiles(out, h);
}

static void summary(FILE *out, const struct bs_report *r)
{
    const struct bs_engine *e = r->e;
    char a[32];
    uint32_t live_maps = 0;
    for (uint32_t i = 0; i < e->nmaps; i++)
        live_maps += !e->maps[i].destroyed;
    fprintf(out, "bucketscope report: %d %s input%s:", r->ninputs, bs_input_kind_name[r->kind],
            r->ninputs == 1 ? "" : "s");
    for (int i = 0; i < r->ninputs; i++)
        fprintf(out, " %s", r->inputs[i]);
    fprintf(out, "\n%" PRIu64 " events over %s", e->events,
            bs_fmt_ns(e->last_ns - e->first_ns, a, sizeof(a)));
    if (r->filter_pid >= 0) fprintf(out, ", pid %lld only", r->filter_pid);
    if (r->filter_map_set) fprintf(out, ", map 0x%" PRIx64 " only", r->filter_map);
    if (r->since_rel) fprintf(out, ", since +%s", bs_fmt_ns(r->since_rel, a, sizeof(a)));
    if (r->until_rel) fprintf(out, ", until +%s", bs_fmt_ns(r->until_rel, a, sizeof(a)));
    fprintf(out, "\n\n");
    fprintf(out, "%-18s %12s %12s %12s\n", "", "allocated", "freed", "live at end");
    fprintf(out, "%-18s %12" PRIu64 " %12" PRIu64 " %12u\n", "maps", e->maps_created,
            e->maps_destroyed, live_maps);
    fprintf(out, "%-18s %12" PRIu64 " %12" PRIu64 " %12u\n", "bucket arrays", e->arrays_alloc,
            e->arrays_freed, e->narrays);
    fprintf(out, "%-18s %12" PRIu64 " %12" PRIu64 " %12u\n", "overflow buckets", e->ovf_alloc,
            e->ovf_freed, e->nallocs_live - e->narrays);
    fprintf(out,
            "  (overflow buckets: individually allocated ones; %" PRId64
            " overflow buckets linked at end, preallocated included)\n\n",
            e->all.ovf_buckets);
    fprintf(out, "%-18s %12s %12s\n", "", "peak", "final");
    fprintf(out, "%-18s %12" PRIu64 " %12" PRIu64 "\n", "bytes held", e->all.peak_held,
            e->all.bytes_held);
    fprintf(out, "%-18s %12" PRIu64 " %12" PRIu64 "\n", "empty-slot bytes", e->all.peak_empty,
            bs_empty_bytes(&e->all));
    fprintf(out, "empty retention: %.6f byte-seconds\n", e->all.empty_byte_ns / 1e9);
    fprintf(out,
            "\ndeletes: %" PRIu64 "   reused %" PRIu64 "   freed %" PRIu64
            "   retained (censored) %" PRIu64 "   unresolved %" PRIu64 "\n",
            e->deletes, e->outcome[BS_REUSED], e->outcome[BS_FREED], e->outcome[BS_RETAINED],
            e->outcome[BS_UNRESOLVED]);
    fprintf(out, "entries removed by clear (not deletes): %" PRIu64 "\n", e->cleared);
}

static void censored(FILE *out, const struct bs_engine *e)
{
    char a[32], b[32];
    fprintf(out, "\nretained deletes (censored at trace end): %" PRIu64 "\n", e->retained.count);
    if (e->retained.count)
        fprintf(out, "  age at end: p50 %s   max %s\n",
                bs_fmt_ns(bs_hist_quantile(&e->retained, 0.5), a, sizeof(a)),
                bs_fmt_ns(e->retained.max, b, sizeof(b)));
    uint64_t km;
    if (bs_km_median(&e->resolved, &e->retained, &km))
        fprintf(out, "Kaplan-Meier median time to reuse or free (censored included): %s\n",
                bs_fmt_ns(km, a, sizeof(a)));
    else if (e->resolved.count + e->retained.count)
        fprintf(out, "Kaplan-Meier median time to reuse or free (censored included): not reached "
                     "(over half of the deletes still retained)\n");
}

static void per_map(FILE *out, const struct bs_report *r)
{
    const struct bs_engine *e = r->e;
    const struct bs_map **v = bs_sorted_maps(e);
    if (!v) return;
    uint32_t n = e->nmaps < (uint32_t)r->top ? e->nmaps : (uint32_t)r->top;
    fprintf(out, "\ntop %u of %u maps by empty byte-seconds\n", n, e->nmaps);
    fprintf(out, "%-8s %-18s %-16s %-7s %12s %12s %14s %8s %8s %8s %8s\n", "PID", "MAP", "TYPE",
            "POLICY", "PEAK-HELD", "FINAL-HELD", "EMPTY-B*S", "DELETES", "REUSED", "FREED",
            "RETAINED");
    for (uint32_t i = 0; i < n; i++) {
        const struct bs_map *m = v[i];
        char addr[24];
        snprintf(addr, sizeof(addr), "0x%" PRIx64 "%s", m->addr, m->seq ? "'" : "");
        fprintf(out,
                "%-8u %-18s %-16.16s %-7s %12" PRIu64 " %12" PRIu64 " %14.6f %8" PRIu64 " %8" PRIu64
                " %8" PRIu64 " %8" PRIu64 "\n",
                m->pid, addr, m->type_name[0] ? m->type_name : "?",
                m->implicit ? "?" : bs_reclaim_name(m->reclaim), m->g.peak_held, m->g.bytes_held,
                m->g.empty_byte_ns / 1e9, m->deletes, m->outcome[BS_REUSED], m->outcome[BS_FREED],
                m->outcome[BS_RETAINED]);
    }
    free(v);
}

/* Time relative to the first event (lost spans may start before it). */
static uint64_t rel(const struct bs_engine *e, uint64_t t)
{
    return t > e->first_ns ? t - e->first_ns : 0;
}

static void data_quality(FILE *out, const struct bs_report *r)
{
    const struct bs_engine *e = r->e;
    char a[32], b[32];
    fprintf(out, "\ndata quality\n");
    fprintf(out, "  lost events: %" PRIu64 " (%" PRIu64 " lost records, %u time spans)",
            e->lost_events, e->lost_records, e->nlost);
    if (e->nlost)
        fprintf(out, "; first span +%s .. +%s",
                bs_fmt_ns(rel(e, e->lost[0].first_ns), a, sizeof(a)),
                bs_fmt_ns(rel(e, e->lost[0].last_ns), b, sizeof(b)));
    fprintf(out, "\n  deletes whose interval overlaps a lost span (may be wrong): %" PRIu64 "\n",
            e->maybe_lost);
    if (r->kind == BS_INPUT_CTF)
        fprintf(out,
                "  discarded events (reported by the trace): %" PRIu64
                ", discarded packets: %" PRIu64 "\n",
                r->discarded_events, r->discarded_packets);
    uint64_t total = 0;
    for (int i = 0; i < BS_UM_COUNT; i++)
        total += e->unmatched[i];
    fprintf(out, "  unmatched events: %" PRIu64 "\n", total);
    for (int i = 0; i < BS_UM_COUNT; i++)
        if (e->unmatched[i])
            fprintf(out, "    %-22s %10" PRIu64 "  %s\n", bs_unmatched_name[i], e->unmatched[i],
                    bs_unmatched_desc[i]);
    if (r->truncated)
        fprintf(out, "  INPUT TRUNCATED (--allow-truncated): analysed up to %s\n", r->truncated_at);
}

void bs_report_text(FILE *out, const struct bs_report *r)
{
    summary(out, r);
    latency_section(out, "delete -> free latency", &r->e->freed);
    latency_section(out, "delete -> reuse latency", &r->e->reuse);
    censored(out, r->e);
    per_map(out, r);
    data_quality(out, r);
}
