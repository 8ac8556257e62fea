/* SPDX-License-Identifier: MIT */
/*
 * text.c — the terminal report: summary, latency histograms in the layout of
 * libbpf-tools' print_log2_hist, per-map table, data quality.  Formats the
 * report model only.
 *
 * Numbers are for a person by default (docs/report.md, "Terminal report",
 * units): bytes in KiB/MiB/GiB with one decimal, counts with thousands
 * separated by commas, durations in ns/µs/ms/s, empty retention in MiB·s.
 * --raw prints them exact (bytes, plain counts, ns) as JSON and CSV always
 * do.
 */
#include <ctype.h>
#include <inttypes.h>
#include <string.h>

#include "spell.h"
#include "report.h"

/* The formatted numbers of one line live in a small ring of buffers, so
 * that one fprintf can take several; the report is written by one thread,
 * and no line takes more than BS_RING numbers. */
#define BS_RING 16
static char *ring(void)
{
    static char buf[BS_RING][48];
    static unsigned next;
    return buf[next++ % BS_RING];
}

static int raw_mode; /* --raw, set by bs_report_text for the whole report */

/* v spelled by `human`, or as a plain integer with --raw. */
static const char *human_or_raw(uint64_t v, const char *(*human)(uint64_t, char *, size_t))
{
    char *b = ring();
    if (raw_mode)
        snprintf(b, 48, "%" PRIu64, v);
    else
        human(v, b, 48);
    return b;
}

/* Bytes: "27.4 MiB", or exact with --raw. */
static const char *B(uint64_t v)
{
    return human_or_raw(v, bs_fmt_bytes);
}

/* A count: "1,190,000", or plain with --raw. */
static const char *N(uint64_t v)
{
    return human_or_raw(v, bs_fmt_count);
}

static const char *Ns(int64_t v)
{
    if (v >= 0) return N((uint64_t)v);
    char *b = ring();
    snprintf(b, 48, "%" PRId64, v);
    return b;
}

/* A duration: "1.895 ms", or "1895000 ns" with --raw. */
static const char *D(uint64_t ns)
{
    char *b = ring();
    if (raw_mode)
        snprintf(b, 48, "%" PRIu64 " ns", ns);
    else
        bs_fmt_dur(ns, b, 48);
    return b;
}

/* Empty-slot byte-seconds: "41.9 MiB·s", or the figure with --raw. */
static const char *BS(double v)
{
    char *b = ring();
    if (raw_mode)
        snprintf(b, 48, "%.6f", v);
    else
        bs_fmt_byte_seconds(v, b, 48);
    return b;
}

/* Characters as a terminal shows them: UTF-8 continuation bytes take no
 * column (the units µ and · are two bytes wide in printf's count). */
static int columns(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

/* s in a column of width w: right-aligned, or left-aligned when w < 0;
 * never cut. */
static void col(FILE *out, const char *s, int w)
{
    int pad = (w < 0 ? -w : w) - columns(s);
    if (w > 0)
        for (int i = 0; i < pad; i++)
            fputc(' ', out);
    fputs(s, out);
    if (w < 0)
        for (int i = 0; i < pad; i++)
            fputc(' ', out);
}

static void print_stars(FILE *out, uint64_t val, uint64_t val_max, int width)
{
    int stars = val_max ? (int)((val < val_max ? val : val_max) * (uint64_t)width / val_max) : 0;
    for (int i = 0; i < width; i++)
        fputc(i < stars ? '*' : ' ', out);
}

/* The log2 histogram in the layout of libbpf-tools' print_log2_hist plus a
 * cumulative column, from the first non-empty row (as bcc's print_log2_hist
 * does with strip_leading_zero) to the last; counts spelt like every count
 * of the report. */
static void log2_hist(FILE *out, const uint64_t *slots, int nslots, const char *unit_name)
{
    uint64_t val_max = 0, total = 0, cum = 0;
    int first = -1, last = -1, cw = 8;
    for (int i = 0; i < nslots; i++) {
        if (!slots[i]) continue;
        if (first < 0) first = i;
        last = i;
        if (slots[i] > val_max) val_max = slots[i];
        total += slots[i];
        int w = columns(N(slots[i]));
        if (w > cw) cw = w;
    }
    if (first < 0) {
        fprintf(out, "     (no samples)\n");
        return;
    }
    int wide = last > 32;
    int stars = wide ? 20 : 40, width = wide ? 20 : 10;
    fprintf(out, "%*s%-*s : ", wide ? 15 : 5, "", wide ? 29 : 19, unit_name);
    col(out, "count", -cw);
    fprintf(out, " distribution%*s cumulative\n", stars - 10, "");
    for (int i = first; i <= last; i++) {
        unsigned long long low = (1ULL << (i + 1)) >> 1, high = (1ULL << (i + 1)) - 1;
        if (low == high) low -= 1;
        cum += slots[i];
        fprintf(out, "%*llu -> %-*llu : ", width, low, width, high);
        col(out, N(slots[i]), -cw);
        fputs(" |", out);
        print_stars(out, slots[i], val_max, stars);
        fprintf(out, "| %6.2f%%\n", 100.0 * (double)cum / (double)total);
    }
}

static void percentiles(FILE *out, const struct bs_latency *l)
{
    if (!l->count) return;
    fprintf(out, "  p50 %s   p90 %s   p99 %s   p99.9 %s   max %s\n", D(l->p50), D(l->p90),
            D(l->p99), D(l->p999), D(l->max));
}

static void latency_section(FILE *out, const struct bs_report_model *m, const char *title,
                            const char *detail, const struct bs_latency *l)
{
    fprintf(out, "\n%s%s: %s deletes\n", title, detail, N(l->count));
    if (!l->count) return;
    if (m->in.msecs)
        log2_hist(out, l->log2_msecs, l->nlog2_ms, "msecs");
    else
        log2_hist(out, l->log2_usecs, l->nlog2, "usecs");
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
                "%s maps (%s): %s of %s deleted slots given back while running (%s); %s freed at "
                "teardown (%s), %s reused, %s retained at trace end, %s unresolved\n",
                name, N(p->maps), N(p->freed_class[BS_FREE_RUNNING]), N(p->deletes), run->reasons,
                N(p->freed_class[BS_FREE_TEARDOWN]), end->reasons, N(p->outcome[BS_REUSED]),
                N(p->outcome[BS_RETAINED]), N(p->outcome[BS_UNRESOLVED]));
    }
}

/* "freed while running N (grow_done n, ...)" for one class. */
static void class_counts(FILE *out, const struct bs_report_model *m, int c, const char *label)
{
    const struct bs_free_class_row *row = &m->free_class[c];
    fprintf(out, "%s %s (", label, N(row->freed));
    for (unsigned r = 0, n = 0; r < BS_FREE_REASONS; r++)
        if (bs_free_class_of[r] == c)
            fprintf(out, "%s%s %s", n++ ? ", " : "", m->reason_name[r], N(m->freed_reason[r]));
    fputc(')', out);
}

/* One attached or undumped map: who it is (name, site) and what its dump
 * gave, or why it gave nothing. */
static void attach_map(FILE *out, const struct bs_map_row *row)
{
    const struct bs_map *m = row->map;
    fprintf(out, "  %u 0x%" PRIx64 " %s %s: ", m->pid, m->addr, m->name[0] ? m->name : "-",
            row->where[0] ? row->where : "-");
    if (m->st.attached)
        fprintf(out, "%s buckets + %s indirect held at +%s (%s)\n", B(m->st.bucket_bytes),
                B(m->st.indirect_bytes), D(row->state_rel), row->state_trigger);
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
    if (!m->have_state) return;
    fprintf(out,
            "attached at +%s: state of %s maps (%s deferred, %s unsafe): %s buckets + %s "
            "indirect held\n",
            D(m->state_rel), N(m->maps_attached), N(m->brackets[HMAP_STATE_BUSY]),
            N(m->brackets[HMAP_STATE_UNSAFE]), B(m->attach_bucket_bytes),
            B(m->attach_indirect_bytes));
    uint32_t shown = 0;
    for (uint32_t i = 0; i < m->nmaps; i++) {
        const struct bs_map *mp = m->maps[i].map;
        if (mp->st.status == BS_NO_STATE) continue;
        if (!mp->st.attached || shown++ < (uint32_t)m->in.top) attach_map(out, &m->maps[i]);
    }
    if (shown > (uint32_t)m->in.top)
        fprintf(out, "  (%u more attached maps, --top)\n", shown - (uint32_t)m->in.top);
    fprintf(out,
            "  at attach: %s bucket arrays, %s overflow buckets, %s indirect objects; %s events "
            "before their map's state (not unmatched), %s redundant dumps ignored\n",
            N(m->arrays_attach), N(m->ovf_attach), N(m->obj.attach), N(m->before_state),
            N(m->redundant_dumps));
}

/* One row of a table: a left-aligned label and right-aligned figures. */
static void row(FILE *out, const char *label, const char *a, const char *b, const char *c)
{
    col(out, label, -18);
    fputc(' ', out);
    col(out, a, 12);
    fputc(' ', out);
    col(out, b, 12);
    if (c) {
        fputc(' ', out);
        col(out, c, 12);
    }
    fputc('\n', out);
}

/* Bytes given back, split the same way as bytes held and by class. */
static void bytes_reclaimed(FILE *out, const struct bs_report_model *m)
{
    const struct bs_reclaimed *r = &m->reclaimed;
    fprintf(out,
            "bytes given back: buckets %s while running, %s at teardown; indirect objects %s while "
            "running, %s at teardown, %s unused (failed inserts)\n",
            B(r->bucket[BS_FREE_RUNNING]), B(r->bucket[BS_FREE_TEARDOWN]),
            B(r->indirect[BS_FREE_RUNNING]), B(r->indirect[BS_FREE_TEARDOWN]),
            B(r->indirect_unused));
}

/* The verdict of the data quality section, said first when it is poor:
 * whoever reads only the top must not take the figures as sound. */
static void warning(FILE *out, const struct bs_report_model *m)
{
    if (m->poor)
        fprintf(out, "WARNING: poor data quality: %s; see \"data quality\" below\n", m->poor_why);
}

static void summary(FILE *out, const struct bs_report_model *m)
{
    const struct bs_report_input *in = &m->in;
    fprintf(out, "bucketscope report: %d %s input%s:", in->n, bs_input_kind_name[in->kind],
            in->n == 1 ? "" : "s");
    for (int i = 0; i < in->n; i++)
        fprintf(out, " %s", in->paths[i]);
    /* The window's own length: from --since (relative to the first event)
     * to its end (--until, or the last event), not from the first event. */
    uint64_t window_ns = m->span_ns > in->since_rel ? m->span_ns - in->since_rel : 0;
    fprintf(out, "\n%s events over %s", N(m->events), D(window_ns));
    if (in->filter_pid >= 0) fprintf(out, ", pid %lld only", in->filter_pid);
    if (in->filter_map_set) fprintf(out, ", map 0x%" PRIx64 " only", in->filter_map);
    if (in->since_rel) fprintf(out, ", since +%s", D(in->since_rel));
    if (in->until_rel) fprintf(out, ", until +%s", D(in->until_rel));
    fprintf(out, "\n");
    warning(out, m);
    attach_section(out, m);
    fprintf(out, "\n");
    answer(out, m);
    fprintf(out, "\n");
    uint64_t obj_freed = 0;
    for (unsigned r = 0; r < BS_OBJ_REASONS; r++)
        obj_freed += m->obj.freed[r];
    row(out, "", "allocated", "freed", "live at end");
    row(out, "maps", N(m->maps_created), N(m->maps_destroyed), N(m->maps_live));
    row(out, "bucket arrays", N(m->arrays_alloc), N(m->arrays_freed), N(m->arrays_live));
    row(out, "overflow buckets", N(m->ovf_alloc), N(m->ovf_freed), N(m->ovf_live));
    row(out, "indirect objects", N(m->obj.alloc), N(obj_freed), Ns(m->objects_live));
    fprintf(out,
            "  (overflow buckets: individually allocated ones; %s overflow buckets linked at end, "
            "preallocated included)\n\n",
            Ns(m->ovf_linked_final));
    row(out, "", "peak", "final", NULL);
    row(out, "bytes held", B(m->bytes_held_peak), B(m->bytes_held_final), NULL);
    row(out, "  buckets", B(m->bucket_bytes_peak), B(m->bucket_bytes_final), NULL);
    row(out, "  indirect objects", B(m->indirect_bytes_peak), B(m->indirect_bytes_final), NULL);
    row(out, "empty-slot bytes", B(m->empty_bytes_peak), B(m->empty_bytes_final), NULL);
    fprintf(out, "empty retention: %s%s (empty-slot bytes integrated over time)\n",
            BS(m->empty_byte_seconds), raw_mode ? " byte-seconds" : "");
    bytes_reclaimed(out, m);
    fprintf(out, "\ndeletes: %s   reused %s   freed %s   retained (censored) %s   unresolved %s\n",
            N(m->deletes), N(m->outcome[BS_REUSED]), N(m->outcome[BS_FREED]),
            N(m->outcome[BS_RETAINED]), N(m->outcome[BS_UNRESOLVED]));
    class_counts(out, m, BS_FREE_RUNNING, "  freed while running");
    class_counts(out, m, BS_FREE_TEARDOWN, ";  freed at teardown");
    fputc('\n', out);
    fprintf(out, "entries removed by clear (not deletes): %s\n", N(m->cleared));
}

static void censored(FILE *out, const struct bs_report_model *m)
{
    const struct bs_latency *age = &m->retained_age;
    static const char km[] = "Kaplan-Meier median time to reuse or free while running (retained "
                             "and teardown frees censored)";
    fprintf(out, "\nretained deletes (censored at trace end): %s\n", N(age->count));
    if (age->count) fprintf(out, "  age at end: p50 %s   max %s\n", D(age->p50), D(age->max));
    if (m->km_reached)
        fprintf(out, "%s: %s\n", km, D(m->km_median));
    else if (m->km_samples)
        fprintf(out, "%s: not reached (over half of the deletes still retained)\n", km);
}

static void per_map(FILE *out, const struct bs_report_model *rm)
{
    /* Column widths; negative: left-aligned.  SITE, last, is not padded. */
    static const int w[] = {-8, -18, -16, -7, 12, 12, 14, 10, 10, 10, 10, 10, 12, -16, 0};
    static const char *const head[] = {"PID",        "MAP",       "TYPE",     "POLICY", "PEAK-HELD",
                                       "FINAL-HELD", "EMPTY-RET", "DELETES",  "REUSED", "FREED-RUN",
                                       "TEARDOWN",   "RETAINED",  "INDIRECT", "NAME",   "SITE"};
    enum { NCOL = sizeof(w) / sizeof(w[0]) };
    uint32_t n = rm->nmaps < (uint32_t)rm->in.top ? rm->nmaps : (uint32_t)rm->in.top;
    fprintf(out, "\ntop %u of %u maps by empty retention (empty-slot bytes x time)\n", n,
            rm->nmaps);
    for (int c = 0; c < NCOL; c++) {
        if (c) fputc(' ', out);
        col(out, head[c], w[c]);
    }
    fputc('\n', out);
    for (uint32_t i = 0; i < n; i++) {
        const struct bs_map_row *r = &rm->maps[i];
        const struct bs_map *m = r->map;
        char pid[16], addr[24], type[17], name[32];
        snprintf(pid, sizeof(pid), "%u", m->pid);
        snprintf(addr, sizeof(addr), "0x%" PRIx64 "%s", m->addr, m->seq ? "'" : "");
        snprintf(type, sizeof(type), "%.16s", m->type_name[0] ? m->type_name : "?");
        snprintf(name, sizeof(name), "%.31s", m->name[0] ? m->name : "-");
        const char *cell[NCOL] = {pid,
                                  addr,
                                  type,
                                  r->reclaim ? r->reclaim : "?",
                                  B(m->g.peak_held),
                                  B(m->g.bytes_held),
                                  BS(r->empty_byte_seconds),
                                  N(m->deletes),
                                  N(m->outcome[BS_REUSED]),
                                  N(m->freed_class[BS_FREE_RUNNING]),
                                  N(m->freed_class[BS_FREE_TEARDOWN]),
                                  N(m->outcome[BS_RETAINED]),
                                  B(m->g.indirect_held),
                                  name,
                                  r->where[0] ? r->where : "-"};
        for (int c = 0; c < NCOL; c++) {
            if (c) fputc(' ', out);
            col(out, cell[c], w[c]);
        }
        fputc('\n', out);
    }
}

static void data_quality(FILE *out, const struct bs_report_model *m)
{
    const struct bs_report_input *in = &m->in;
    fprintf(out, "\ndata quality: %s\n", m->poor ? "POOR" : "good");
    if (m->poor) fprintf(out, "  %s\n", m->poor_why);
    fprintf(out, "  lost events: %s (%s lost records, %s time spans)", N(m->lost_events),
            N(m->lost_records), N(m->nlost));
    if (m->nlost)
        fprintf(out, "; first span +%s .. +%s", D(m->lost_first_rel), D(m->lost_first_end_rel));
    fprintf(out, "\n  deletes whose interval overlaps a lost span (may be wrong): %s\n",
            N(m->maybe_lost));
    if (in->kind == BS_INPUT_CTF)
        fprintf(out, "  discarded events (reported by the trace): %s, discarded packets: %s\n",
                N(in->discarded_events), N(in->discarded_packets));
    fprintf(out, "  unmatched events: %s\n", N(m->unmatched_total));
    if (m->before_state)
        fprintf(out,
                "  events before their map's state was known (not unmatched: the state dump "
                "holds their effect): %s\n",
                N(m->before_state));
    for (int i = 0; i < BS_UM_COUNT; i++)
        if (m->unmatched[i]) {
            fprintf(out, "    %-22s ", bs_unmatched_name[i]);
            col(out, N(m->unmatched[i]), 10);
            fprintf(out, "  %s\n", bs_unmatched_desc[i]);
        }
    if (in->truncated)
        fprintf(out, "  INPUT TRUNCATED (--allow-truncated): analysed up to %s\n",
                in->truncated_at);
}

void bs_report_text(FILE *out, const struct bs_report_model *m)
{
    raw_mode = m->in.raw;
    summary(out, m);
    char detail[BS_FREE_CLASSES][sizeof(m->free_class[0].reasons) + 32];
    snprintf(detail[BS_FREE_RUNNING], sizeof(detail[0]), ", freed while running (%s)",
             m->free_class[BS_FREE_RUNNING].reasons);
    snprintf(detail[BS_FREE_TEARDOWN], sizeof(detail[0]), ", freed at teardown (%s)",
             m->free_class[BS_FREE_TEARDOWN].reasons);
    for (int c = 0; c < BS_FREE_CLASSES; c++)
        latency_section(out, m, "delete -> free latency", detail[c], &m->free_class[c].to_free);
    latency_section(out, m, "delete -> reuse latency", "", &m->to_reuse);
    censored(out, m);
    per_map(out, m);
    data_quality(out, m);
}
