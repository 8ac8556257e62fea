/* SPDX-License-Identifier: MIT */
/*
 * svg.c — a self-contained SVG for a postmortem (docs/report.md, "SVG"):
 *
 *   title       the traces, pids, maps and policies, the time span, the answer
 *   warning     a red band when the data quality is poor (model.h, verdict)
 *   timeline    bytes held (buckets + indirect), live, empty, indirect over
 *               time, with markers: trace start, growths, same-size growths,
 *               shrinks, clears, destroys, attach, lost spans, truncation
 *   histograms  delete -> reuse and delete -> reclaim side by side, reclaim
 *               stacked by class (while running, at teardown), human units
 *   per map     small multiples of the top maps by empty retention, when
 *               there are several: life span on the trace's time axis,
 *               delete outcomes, bytes
 *
 * Every label is measured with the fixed per-character estimate of
 * svg_text.h; labels that would collide are skipped, long ones cut with an
 * ellipsis, so no two text boxes overlap (tests/analysis/svg_text_boxes.c
 * checks it).  No scripts, no external references.  Formats the report
 * model only.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "spell.h"
#include "svg_text.h"

#define W 1200
#define M 40       /* left and right margin */
#define PLOT_X 100 /* timeline plot area */
#define PLOT_W (W - PLOT_X - M)
#define CURVE_H 260
#define HIST_GAP 60 /* between the two histograms */
#define HIST_W ((W - 2 * M - HIST_GAP) / 2 - 50)
#define HIST_H 170
#define CARD_COLS 3
#define CARD_GAP 20
#define CARD_W ((W - 2 * M - (CARD_COLS - 1) * CARD_GAP) / CARD_COLS)
#define CARD_H 134
#define CARDS_MAX 9
#define LABEL_GAP 6 /* least space between two tick labels */

/* Colours (one place, so that legends and marks agree). */
#define C_HELD "#1f5fbf"
#define C_LIVE "#2a9d3a"
#define C_EMPTY "#d62728"
#define C_INDIRECT "#9467bd"
#define C_REUSE "#1f77b4"
#define C_RUN "#2a9d3a"
#define C_TEARDOWN "#8c8c8c"
#define C_RETAINED "#d62728"
#define C_UNRESOLVED "#222222"
#define C_LOST "#d62728"

/* ---- text ------------------------------------------------------------------ */

/* Width of s at this size by the estimate of svg_text.h. */
static double tw(const char *s, double fs, int bold)
{
    return bs_svg_width(bs_svg_chars(s, strlen(s)), fs, bold);
}

/* Cut s (in place) to at most maxw wide, ending it with an ellipsis. */
static void fit(char *s, double maxw, double fs, int bold)
{
    if (maxw <= 0 || tw(s, fs, bold) <= maxw) return;
    size_t keep = (size_t)(maxw / bs_svg_width(1, fs, bold));
    keep = keep > 1 ? keep - 1 : 0; /* room for the ellipsis */
    size_t i = 0, c = 0;
    for (; s[i] && c < keep; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80) c++;
    while (s[i] && ((unsigned char)s[i] & 0xc0) == 0x80)
        i++;
    strcpy(s + i, "…");
}

static void xml_escaped(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        default:
            /* control bytes are not XML characters: a trace's type name
             * could hold one */
            fputc((unsigned char)*s < 0x20 ? '?' : *s, out);
        }
    }
}

enum anchor { START, MIDDLE, END };

/* One <text>, always with its own font-size (and font-weight, text-anchor)
 * so that the checker needs no style sheet; cut to maxw when maxw > 0.
 * Returns the width it takes. */
static double text(FILE *out, double x, double y, double fs, int bold, enum anchor a,
                   const char *fill, double maxw, const char *fmt, ...)
    __attribute__((format(printf, 9, 10)));
static double text(FILE *out, double x, double y, double fs, int bold, enum anchor a,
                   const char *fill, double maxw, const char *fmt, ...)
{
    char s[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s, sizeof(s) - 4, fmt, ap);
    va_end(ap);
    fit(s, maxw, fs, bold);
    static const char *const anchor[] = {"start", "middle", "end"};
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%g\"", x, y, fs);
    if (bold) fputs(" font-weight=\"bold\"", out);
    if (a != START) fprintf(out, " text-anchor=\"%s\"", anchor[a]);
    if (fill) fprintf(out, " fill=\"%s\"", fill);
    fputc('>', out);
    xml_escaped(out, s);
    fputs("</text>\n", out);
    return tw(s, fs, bold);
}

/* Left edge of a label of width w at x under anchor a. */
static double left_of(double x, double w, enum anchor a)
{
    return a == START ? x : a == MIDDLE ? x - w / 2 : x - w;
}

/* ---- scales -------------------------------------------------------------------- */

/* A round step giving about n ticks up to max: 1, 2 or 5 times 10^k. */
static double nice_step(double max, int n)
{
    if (max <= 0) return 1;
    double raw = max / n, p = pow(10, floor(log10(raw)));
    double f = raw / p;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

static const char *bytes_label(double v, char *buf, size_t len)
{
    if (v >= 1 << 30)
        snprintf(buf, len, "%.4g GiB", v / (1 << 30));
    else if (v >= 1 << 20)
        snprintf(buf, len, "%.4g MiB", v / (1 << 20));
    else if (v >= 1 << 10)
        snprintf(buf, len, "%.4g KiB", v / (1 << 10));
    else
        snprintf(buf, len, "%.4g B", v);
    return buf;
}

/* The unit of the time axis: the largest in which the span is at least 2. */
static void time_unit(double span_ns, double *div, const char **name)
{
    *div = span_ns >= 2e9 ? 1e9 : span_ns >= 2e6 ? 1e6 : span_ns >= 2e3 ? 1e3 : 1;
    *name = *div == 1e9 ? "s" : *div == 1e6 ? "ms" : *div == 1e3 ? "µs" : "ns";
}

/* ---- title, answer, warning ---------------------------------------------- */

static double title(FILE *out, const struct bs_report_model *m, double y)
{
    const struct bs_report_input *in = &m->in;
    char files[768] = "", pids[160] = "", pol[160] = "", a[32], b[32];
    for (int i = 0; i < in->n; i++) {
        const char *p = in->paths[i], *base = strrchr(p, '/');
        /* a CTF directory ends in '/': keep its last component */
        base = base && base[1] ? base + 1 : p;
        size_t len = strlen(files);
        snprintf(files + len, sizeof(files) - len, "%s%s", i ? ", " : "", base);
    }
    for (uint32_t i = 0; i < m->npids && i < BS_TITLE_PIDS; i++) {
        size_t len = strlen(pids);
        snprintf(pids + len, sizeof(pids) - len, "%s%u", i ? ", " : "", m->pids[i]);
    }
    if (m->npids > BS_TITLE_PIDS) {
        size_t len = strlen(pids);
        snprintf(pids + len, sizeof(pids) - len, ", … (%s pids)", bs_fmt_count(m->npids, a, 32));
    }
    for (uint32_t i = 0; i < m->npolicies; i++) {
        size_t len = strlen(pol);
        snprintf(pol + len, sizeof(pol) - len, "%s%u %s", i ? ", " : "", m->policies[i].maps,
                 m->policies[i].reclaim);
    }
    text(out, M, y, 18, 1, START, NULL, W - 2 * M, "bucketscope: %s", files);
    y += 22;
    uint64_t window = m->span_ns > in->since_rel ? m->span_ns - in->since_rel : 0;
    char sel[160] = "";
    if (in->filter_map_set) snprintf(sel, sizeof(sel), " · only map 0x%" PRIx64, in->filter_map);
    if (in->since_rel || in->until_rel) {
        char c[32], d[32];
        size_t len = strlen(sel);
        snprintf(sel + len, sizeof(sel) - len, " · window +%s .. +%s",
                 bs_fmt_dur(in->since_rel, c, sizeof(c)),
                 bs_fmt_dur(in->since_rel + window, d, sizeof(d)));
    }
    text(out, M, y, 12, 0, START, "#333", W - 2 * M,
         "%s trace · pid%s %s · %u map%s (%s) · %s events over %s%s", bs_input_kind_name[in->kind],
         m->npids == 1 ? "" : "s", m->npids ? pids : "none", m->nmaps, m->nmaps == 1 ? "" : "s",
         m->npolicies ? pol : "none", bs_fmt_count(m->events, a, sizeof(a)),
         bs_fmt_dur(window, b, sizeof(b)), sel);
    y += 18;
    /* the answer, one line per policy, as the text report's first lines */
    for (uint32_t i = 0; i < m->npolicies; i++) {
        const struct bs_policy_row *p = &m->policies[i];
        char c[32], d[32], e[32], f[32], g[32];
        text(out, M, y, 12, 0, START, NULL, W - 2 * M,
             "%s maps: %s of %s deleted slots given back while running, %s at teardown, %s "
             "reused, %s retained at trace end",
             p->reclaim, bs_fmt_count(p->freed_class[BS_FREE_RUNNING], c, 32),
             bs_fmt_count(p->deletes, d, 32), bs_fmt_count(p->freed_class[BS_FREE_TEARDOWN], e, 32),
             bs_fmt_count(p->outcome[BS_REUSED], f, 32),
             bs_fmt_count(p->outcome[BS_RETAINED], g, 32));
        y += 16;
    }
    return y;
}

/* A band that cannot be missed: the figures below may be wrong, and why. */
static double warning(FILE *out, const struct bs_report_model *m, double y)
{
    if (!m->poor) return y;
    fprintf(out,
            "<g id=\"quality_warning\"><rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"44\" "
            "fill=\"#fdecea\" stroke=\"%s\" stroke-width=\"2\"/>\n",
            M, y, W - 2 * M, C_LOST);
    text(out, M + 10, y + 18, 13, 1, START, "#a01010", W - 2 * M - 20,
         "POOR DATA QUALITY: the figures below may be wrong");
    text(out, M + 10, y + 36, 11, 0, START, "#a01010", W - 2 * M - 20, "%s", m->poor_why);
    fputs("</g>\n", out);
    return y + 58;
}

/* ---- timeline -------------------------------------------------------------------- */

struct legend {
    FILE *out;
    double x, y, x0, xmax;
};

/* One legend entry (a swatch drawn by the caller's kind, then its label),
 * wrapping to a new row rather than overlapping. */
static void legend_entry(struct legend *l, const char *swatch_kind, const char *color,
                         const char *label)
{
    double w = 22 + tw(label, 11, 0) + 16;
    if (l->x + w > l->xmax && l->x > l->x0) {
        l->x = l->x0;
        l->y += 16;
    }
    if (strcmp(swatch_kind, "line") == 0)
        fprintf(l->out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"16\" height=\"3\" fill=\"%s\"/>\n",
                l->x, l->y - 5, color);
    else if (strcmp(swatch_kind, "dash") == 0)
        fprintf(l->out,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                "stroke-width=\"2\" stroke-dasharray=\"4,3\"/>\n",
                l->x, l->y - 4, l->x + 16, l->y - 4, color);
    else if (strcmp(swatch_kind, "box") == 0)
        fprintf(l->out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"10\" fill=\"%s\"/>\n",
                l->x, l->y - 9, color);
    else if (strcmp(swatch_kind, "band") == 0)
        fprintf(l->out,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"16\" height=\"10\" fill=\"%s\" "
                "fill-opacity=\"0.25\"/>\n",
                l->x, l->y - 9, color);
    else /* a marker glyph */
        fprintf(l->out, "<use xlink:href=\"#mk_%s\" x=\"%.1f\" y=\"%.1f\" fill=\"%s\"/>\n",
                swatch_kind, l->x + 8, l->y - 4, color);
    text(l->out, l->x + 22, l->y, 11, 0, START, NULL, 0, "%s", label);
    l->x += w;
}

static const struct {
    const char *glyph, *color, *one, *many;
} mark_kind[BS_MARK_KINDS] = {
    [BS_MARK_GROW] = {"up", "#1f5fbf", "growth", "growths"},
    [BS_MARK_SAMESIZE] = {"diamond", "#17becf", "same-size growth", "same-size growths"},
    [BS_MARK_SHRINK] = {"down", "#ff7f0e", "shrink", "shrinks"},
    [BS_MARK_CLEAR] = {"square", "#9467bd", "slot cleared", "slots cleared"},
    [BS_MARK_DESTROY] = {"cross", "#222222", "map destroyed", "maps destroyed"},
};

/* Glyphs the markers use, defined once. */
static void defs(FILE *out)
{
    fputs("<defs>"
          "<path id=\"mk_up\" d=\"M0,-5 L5,4 L-5,4 Z\"/>"
          "<path id=\"mk_down\" d=\"M0,5 L5,-4 L-5,-4 Z\"/>"
          "<path id=\"mk_diamond\" d=\"M0,-5 L5,0 L0,5 L-5,0 Z\"/>"
          "<path id=\"mk_square\" d=\"M-4,-4 H4 V4 H-4 Z\"/>"
          "<path id=\"mk_cross\" d=\"M-4,-5 L0,-1 L4,-5 L5,-4 L1,0 L5,4 L4,5 L0,1 L-4,5 L-5,4 "
          "L-1,0 L-5,-4 Z\"/>"
          "<path id=\"mk_flag\" d=\"M0,-6 L7,-3 L0,0 Z\"/>"
          "</defs>\n",
          out);
}

static double tx(double rel_ns, double span)
{
    double f = span > 0 ? rel_ns / span : 0;
    return PLOT_X + PLOT_W * (f < 0 ? 0 : f > 1 ? 1 : f);
}

/* Markers: one lane per kind present above the plot (so glyphs of
 * different kinds never sit on one another), a faint guide line down
 * through the curves, a tooltip with the count and time. */
static double marker_lanes(FILE *out, const struct bs_report_model *m, double lane_y, double plot_y,
                           double span, int present[BS_MARK_KINDS])
{
    const struct bs_markers *mk = m->markers;
    int lane = 0;
    for (int k = 0; k < BS_MARK_KINDS; k++) {
        present[k] = 0;
        if (!mk || !mk->width) continue;
        for (uint32_t i = 0; i < mk->nbins; i++)
            present[k] |= mk->count[i][k] != 0;
        if (!present[k]) continue;
        double y = lane_y + 12 * lane++;
        fprintf(out, "<g id=\"markers_%s\" fill=\"%s\">\n", mark_kind[k].many, mark_kind[k].color);
        for (uint32_t i = 0; i < mk->nbins; i++) {
            uint32_t n = mk->count[i][k];
            if (!n) continue;
            double lo = (double)(mk->t0 + i * mk->width - m->first_ns_abs);
            double x = tx(lo + (double)mk->width / 2, span);
            char a[32], b[32], c[32];
            fprintf(out,
                    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                    "stroke-opacity=\"0.25\"/><use xlink:href=\"#mk_%s\" x=\"%.1f\" y=\"%.1f\">"
                    "<title>%s %s at +%s .. +%s</title></use>\n",
                    x, y + 5, x, plot_y + CURVE_H, mark_kind[k].color, mark_kind[k].glyph, x, y,
                    bs_fmt_count(n, a, sizeof(a)), n == 1 ? mark_kind[k].one : mark_kind[k].many,
                    bs_fmt_dur((uint64_t)lo, b, sizeof(b)),
                    bs_fmt_dur((uint64_t)lo + mk->width, c, sizeof(c)));
        }
        fputs("</g>\n", out);
    }
    return lane;
}

static void curve(FILE *out, const struct bs_report_model *m, int which, const char *color,
                  const char *name, double plot_y, double span, double ymax)
{
    fprintf(out,
            "<polyline class=\"series\" id=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" "
            "points=\"",
            name, color);
    for (uint32_t i = 0; i < m->nsamples; i++) {
        const struct bs_sample *s = &m->samples[i];
        double v = which == 0   ? (double)s->held
                   : which == 1 ? (double)s->live
                   : which == 2 ? (double)s->empty
                                : (double)s->indirect;
        double x = tx((double)(s->t_ns - m->first_ns_abs), span);
        double y = plot_y + CURVE_H - CURVE_H * v / ymax;
        fprintf(out, "%s%.1f,%.1f", i ? " " : "", x, y);
    }
    fprintf(out, "\"><title>%s</title></polyline>\n", name);
}

/* Tick labels along an axis, skipping any that would touch the last one
 * drawn (widths by the estimate of svg_text.h). */
struct ticks {
    double last_right;
};

static int tick_fits(struct ticks *t, double x, const char *label, double fs, enum anchor a,
                     double lo, double hi)
{
    double w = tw(label, fs, 0), l = left_of(x, w, a);
    if (l < t->last_right + LABEL_GAP || l < lo || l + w > hi) return 0;
    t->last_right = l + w;
    return 1;
}

static double timeline(FILE *out, const struct bs_report_model *m, double y)
{
    double span = (double)m->span_ns, ymax = 0;
    if (span <= 0) span = 1;
    for (uint32_t i = 0; i < m->nsamples; i++)
        if ((double)m->samples[i].held > ymax) ymax = (double)m->samples[i].held;
    double unit = 1; /* round steps in the unit the labels use */
    while (ymax / unit >= 1024 && unit < (double)(1ull << 40))
        unit *= 1024;
    double ystep = nice_step(ymax / unit, 5) * unit;
    ymax = ystep * ceil(ymax / ystep);
    if (ymax <= 0) ymax = ystep;

    text(out, M, y, 15, 1, START, NULL, 0, "Memory held over time");
    y += 22;
    struct legend lg = {out, PLOT_X, y, PLOT_X, W - M};
    legend_entry(&lg, "line", C_HELD, "bytes held (buckets + indirect)");
    legend_entry(&lg, "line", C_LIVE, "bytes in live entries");
    legend_entry(&lg, "line", C_EMPTY, "empty-slot bytes");
    legend_entry(&lg, "line", C_INDIRECT, "of held: indirect objects");
    lg.x = PLOT_X; /* markers on a row of their own */
    lg.y += 16;
    legend_entry(&lg, "flag", C_LIVE, "trace start");
    int present[BS_MARK_KINDS], nlanes = 0;
    const struct bs_markers *mk = m->markers;
    for (int k = 0; k < BS_MARK_KINDS; k++) {
        uint64_t n = 0;
        for (uint32_t i = 0; mk && i < mk->nbins; i++)
            n += mk->count[i][k];
        if (!n) continue;
        char label[64], a[32];
        snprintf(label, sizeof(label), "%s (%s)", mark_kind[k].many, bs_fmt_count(n, a, sizeof(a)));
        legend_entry(&lg, mark_kind[k].glyph, mark_kind[k].color, label);
        nlanes++;
    }
    if (m->have_state) {
        char label[96], a[32];
        snprintf(label, sizeof(label), "attach +%s (state of %" PRIu64 " maps)",
                 bs_fmt_dur(m->state_rel, a, sizeof(a)), m->maps_attached);
        legend_entry(&lg, "dash", "#555", label);
    }
    if (m->nlost) {
        char label[96], a[32];
        snprintf(label, sizeof(label), "lost events (%s in %u spans)",
                 bs_fmt_count(m->lost_events, a, sizeof(a)), m->nlost);
        legend_entry(&lg, "band", C_LOST, label);
    }
    if (m->in.truncated) legend_entry(&lg, "dash", C_LOST, "input truncated here");
    y = lg.y + 14;
    double lane_y = y + 6;
    double plot_y = lane_y + 12 * (nlanes ? nlanes : 0) + 4;

    /* lost spans first, under everything */
    if (m->nlost) {
        fputs("<g id=\"lost_spans\">\n", out);
        for (uint32_t i = 0; i < m->nlost; i++) {
            double a = tx((double)m->lost[i].first_ns - (double)m->first_ns_abs, span),
                   b = tx((double)m->lost[i].last_ns - (double)m->first_ns_abs, span);
            char s[32], e[32];
            fprintf(out,
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"%s\" "
                    "fill-opacity=\"0.25\"><title>events lost +%s .. +%s</title></rect>\n",
                    a, plot_y, b - a < 2 ? 2 : b - a, CURVE_H, C_LOST,
                    bs_fmt_dur(m->lost[i].first_ns > m->first_ns_abs
                                   ? m->lost[i].first_ns - m->first_ns_abs
                                   : 0,
                               s, sizeof(s)),
                    bs_fmt_dur(m->lost[i].last_ns > m->first_ns_abs
                                   ? m->lost[i].last_ns - m->first_ns_abs
                                   : 0,
                               e, sizeof(e)));
        }
        fputs("</g>\n", out);
    }
    char buf[48];
    /* y axis */
    for (double v = 0; v <= ymax * 1.0001; v += ystep) {
        double yy = plot_y + CURVE_H - CURVE_H * v / ymax;
        fprintf(out, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>\n",
                PLOT_X, yy, PLOT_X + PLOT_W, yy);
        text(out, PLOT_X - 6, yy + 4, 11, 0, END, NULL, PLOT_X - M, "%s",
             bytes_label(v, buf, sizeof(buf)));
    }
    /* x axis in the unit that suits the span */
    double div;
    const char *uname;
    time_unit(span, &div, &uname);
    double xstep = nice_step(span / div, 10);
    struct ticks tk = {-1e9};
    for (double t = 0; t <= span / div * 1.0001; t += xstep) {
        double x = tx(t * div, span);
        char label[32];
        snprintf(label, sizeof(label), "%.6g %s", t, uname);
        if (t == 0) snprintf(label, sizeof(label), "0");
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n", x,
                plot_y + CURVE_H, x, plot_y + CURVE_H + 5);
        if (tick_fits(&tk, x, label, 11, MIDDLE, M, W))
            text(out, x, plot_y + CURVE_H + 18, 11, 0, MIDDLE, NULL, 0, "%s", label);
    }
    fprintf(out,
            "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#333\"/>\n"
            "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#333\"/>\n",
            PLOT_X, plot_y, PLOT_X, plot_y + CURVE_H, PLOT_X, plot_y + CURVE_H, PLOT_X + PLOT_W,
            plot_y + CURVE_H);
    curve(out, m, 0, C_HELD, "bytes_held", plot_y, span, ymax);
    curve(out, m, 1, C_LIVE, "bytes_live", plot_y, span, ymax);
    curve(out, m, 2, C_EMPTY, "empty_bytes", plot_y, span, ymax);
    curve(out, m, 3, C_INDIRECT, "indirect_bytes", plot_y, span, ymax);

    /* trace start: a flag over the first event, its absolute time said below */
    fprintf(
        out,
        "<g id=\"trace_start\"><line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\" "
        "stroke-width=\"2\"/><use xlink:href=\"#mk_flag\" x=\"%d\" y=\"%.1f\" fill=\"%s\"/></g>\n",
        PLOT_X, lane_y - 8, PLOT_X, plot_y + CURVE_H, C_LIVE, PLOT_X, lane_y - 2, C_LIVE);
    marker_lanes(out, m, lane_y, plot_y, span, present);
    if (m->have_state) {
        double x = tx((double)m->state_rel, span);
        fprintf(out,
                "<g id=\"attach_marker\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                "stroke=\"#555\" stroke-width=\"2\" stroke-dasharray=\"4,3\"><title>attach: state "
                "of %" PRIu64 " maps</title></line></g>\n",
                x, plot_y, x, plot_y + CURVE_H, m->maps_attached);
    }
    if (m->in.truncated)
        fprintf(out,
                "<g id=\"truncated_marker\"><line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
                "stroke=\"%s\" stroke-width=\"2\" stroke-dasharray=\"4,3\"/></g>\n",
                PLOT_X + PLOT_W, plot_y, PLOT_X + PLOT_W, plot_y + CURVE_H, C_LOST);
    double ay = plot_y + CURVE_H + 36;
    char first[48];
    snprintf(first, sizeof(first), "%.6f s", (double)m->first_ns_abs / 1e9);
    double aw = text(out, PLOT_X + PLOT_W, ay, 11, 0, END, NULL, PLOT_W / 2,
                     "time since first event (%s)", uname);
    text(out, PLOT_X, ay, 11, 0, START, "#555", PLOT_W - aw - 3 * LABEL_GAP,
         "trace start: first event at %s on the trace's clock (%s)", first,
         m->in.kind == BS_INPUT_CTF ? "Unix epoch" : "CLOCK_MONOTONIC");
    return ay + 30;
}

/* ---- histograms ------------------------------------------------------------------ */

/* Lower bound of log2 slot i in ns: bcc's slots of the value in µs, slot 0
 * holding 0 and 1, slot i >= 1 holding [2^i, 2^(i+1)) (hist.h, bs_hist_log2). */
static double slot_low_ns(int i)
{
    return i == 0 ? 0 : (double)(1ULL << i) * 1e3;
}

struct hist_range {
    int first, last; /* slots shown, the same in both panels so that they compare */
};

static void range_of(struct hist_range *r, const struct bs_latency *l)
{
    for (int i = 0; i < l->nlog2; i++)
        if (l->log2_usecs[i]) {
            if (r->first < 0 || i < r->first) r->first = i;
            if (i > r->last) r->last = i;
        }
}

/* Axes, count ticks and latency tick labels of one histogram panel. */
static void hist_axes(FILE *out, double x0, double y0, const struct hist_range *r, uint64_t max)
{
    char a[32];
    fprintf(out,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>"
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n",
            x0, y0 + HIST_H, x0 + HIST_W, y0 + HIST_H, x0, y0, x0, y0 + HIST_H);
    text(out, x0 - 6, y0 + 4, 11, 0, END, NULL, 60, "%s", bs_fmt_count(max, a, sizeof(a)));
    if (max >= 2) {
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n",
                x0, y0 + HIST_H / 2.0, x0 + HIST_W, y0 + HIST_H / 2.0);
        text(out, x0 - 6, y0 + HIST_H / 2.0 + 4, 11, 0, END, NULL, 60, "%s",
             bs_fmt_count(max / 2, a, sizeof(a)));
    }
    text(out, x0 - 6, y0 + HIST_H + 4, 11, 0, END, NULL, 60, "0");
    int n = r->last - r->first + 1;
    double bw = (double)HIST_W / n;
    struct ticks tk = {-1e9};
    for (int i = r->first; i <= r->last; i++) {
        double x = x0 + bw * (i - r->first);
        char label[32];
        bs_fmt_dur_short(slot_low_ns(i), label, sizeof(label));
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n", x,
                y0 + HIST_H, x, y0 + HIST_H + 4);
        if (tick_fits(&tk, x, label, 10, MIDDLE, x0 - 30, x0 + HIST_W + 30))
            text(out, x, y0 + HIST_H + 16, 10, 0, MIDDLE, NULL, 0, "%s", label);
    }
    /* the right edge: the upper bound of the last slot */
    char label[32];
    bs_fmt_dur_short(slot_low_ns(r->last + 1), label, sizeof(label));
    if (tick_fits(&tk, x0 + HIST_W, label, 10, MIDDLE, x0 - 30, x0 + HIST_W + 30))
        text(out, x0 + HIST_W, y0 + HIST_H + 16, 10, 0, MIDDLE, NULL, 0, "%s", label);
    text(out, x0 + HIST_W / 2.0, y0 + HIST_H + 34, 11, 0, MIDDLE, "#555", HIST_W,
         "latency from delete (log2 buckets, lower bound)");
}

/* Bars of one series, stacked on `base` (the counts under them). */
static void bars(FILE *out, const char *id, const char *cls, const char *color, double x0,
                 double y0, const struct hist_range *r, const struct bs_latency *l,
                 const struct bs_latency *base, uint64_t max)
{
    int n = r->last - r->first + 1;
    double bw = (double)HIST_W / n;
    fprintf(out, "<g id=\"%s\">\n", id);
    for (int i = r->first; i <= r->last; i++) {
        uint64_t v = i < l->nlog2 ? l->log2_usecs[i] : 0;
        uint64_t under = base && i < base->nlog2 ? base->log2_usecs[i] : 0;
        double h = max ? (double)HIST_H * (double)v / (double)max : 0;
        double hb = max ? (double)HIST_H * (double)under / (double)max : 0;
        double x = x0 + bw * (i - r->first);
        char lo[32], hi[32], c[32];
        bs_fmt_dur_short(slot_low_ns(i), lo, sizeof(lo));
        bs_fmt_dur_short(slot_low_ns(i + 1), hi, sizeof(hi));
        fprintf(out,
                "<rect class=\"bar %s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                "fill=\"%s\"><title>%s .. %s: %s</title></rect>\n",
                cls, x + 1, y0 + HIST_H - hb - h, bw > 3 ? bw - 2 : bw, h, color, lo, hi,
                bs_fmt_count(v, c, sizeof(c)));
    }
    fputs("</g>\n", out);
}

static double histograms(FILE *out, const struct bs_report_model *m, double y)
{
    const struct bs_latency *reuse = &m->to_reuse, *run = &m->free_class[BS_FREE_RUNNING].to_free,
                            *end = &m->free_class[BS_FREE_TEARDOWN].to_free;
    struct hist_range r = {-1, -1};
    range_of(&r, reuse);
    range_of(&r, run);
    range_of(&r, end);
    double xl = M + 60, xr = M + 60 + HIST_W + HIST_GAP + 50;
    char a[32], b[32], c[32];
    text(out, xl - 60, y, 15, 1, START, NULL, HIST_W + 50, "Delete → reuse latency");
    text(out, xr - 60, y, 15, 1, START, NULL, HIST_W + 50,
         "Delete → reclaim latency (memory freed)");
    y += 20;
    text(out, xl - 60, y, 11, 0, START, NULL, HIST_W + 50, "reused: %s deletes%s%s%s%s",
         bs_fmt_count(reuse->count, a, sizeof(a)), reuse->count ? "; p50 " : "",
         reuse->count ? bs_fmt_dur(reuse->p50, b, sizeof(b)) : "", reuse->count ? ", p99 " : "",
         reuse->count ? bs_fmt_dur(reuse->p99, c, sizeof(c)) : "");
    /* the reclaim legend: one line per class, its reasons and count */
    for (int k = 0; k < BS_FREE_CLASSES; k++) {
        const struct bs_free_class_row *row = &m->free_class[k];
        double ly = y + 16 * k;
        fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"10\" fill=\"%s\"/>\n",
                xr - 60, ly - 9, k == BS_FREE_RUNNING ? C_RUN : C_TEARDOWN);
        text(out, xr - 44, ly, 11, 0, START, NULL, HIST_W + 34, "%s (%s): %s deletes",
             k == BS_FREE_RUNNING ? "freed while running" : "freed at teardown", row->reasons,
             bs_fmt_count(row->freed, a, sizeof(a)));
    }
    y += 16 * BS_FREE_CLASSES + 8;
    if (r.first < 0) {
        text(out, W / 2.0, y + HIST_H / 2.0, 12, 0, MIDDLE, "#555", 0,
             "no delete was reused or freed in the window");
        return y + HIST_H + 20;
    }
    uint64_t max_reuse = 0, max_reclaim = 0;
    for (int i = r.first; i <= r.last; i++) {
        uint64_t u = i < reuse->nlog2 ? reuse->log2_usecs[i] : 0;
        uint64_t s =
            (i < run->nlog2 ? run->log2_usecs[i] : 0) + (i < end->nlog2 ? end->log2_usecs[i] : 0);
        if (u > max_reuse) max_reuse = u;
        if (s > max_reclaim) max_reclaim = s;
    }
    hist_axes(out, xl, y, &r, max_reuse);
    bars(out, "reuse_histogram", "reused", C_REUSE, xl, y, &r, reuse, NULL, max_reuse);
    hist_axes(out, xr, y, &r, max_reclaim);
    bars(out, "reclaim_histogram", bs_free_class_name[BS_FREE_RUNNING], C_RUN, xr, y, &r, run, NULL,
         max_reclaim);
    bars(out, "teardown_histogram", bs_free_class_name[BS_FREE_TEARDOWN], C_TEARDOWN, xr, y, &r,
         end, run, max_reclaim);
    return y + HIST_H + 56;
}

/* ---- per-map small multiples --------------------------------------------------- */

static const struct {
    const char *name, *color;
} outcome_part[] = {{"reused", C_REUSE},
                    {"freed while running", C_RUN},
                    {"freed at teardown", C_TEARDOWN},
                    {"retained", C_RETAINED},
                    {"unresolved", C_UNRESOLVED}};

static void card(FILE *out, const struct bs_report_model *rm, const struct bs_map_row *row,
                 double x, double y)
{
    const struct bs_map *m = row->map;
    char a[32], b[32], c[32], d[32];
    double span = rm->span_ns ? (double)rm->span_ns : 1;
    fprintf(out,
            "<g class=\"map\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%d\" fill=\"none\" "
            "stroke=\"#ccc\"/>\n",
            x, y, CARD_W, CARD_H);
    double ix = x + 8, iw = CARD_W - 16;
    text(out, ix, y + 16, 12, 1, START, NULL, iw, "0x%" PRIx64 "%s %s", m->addr, m->seq ? "'" : "",
         m->type_name[0] ? m->type_name : "?");
    text(out, ix, y + 31, 10, 0, START, "#555", iw, "pid %u · %s · %s · %s", m->pid,
         row->reclaim ? row->reclaim : "policy unknown", m->name[0] ? m->name : "unnamed",
         row->where[0] ? row->where : "site unknown");
    /* its life on the trace's time axis (the card's width is the span) */
    uint64_t born = m->created_ns > rm->first_ns_abs ? m->created_ns - rm->first_ns_abs : 0;
    uint64_t gone =
        m->destroyed ? (m->destroyed_ns > rm->first_ns_abs ? m->destroyed_ns - rm->first_ns_abs : 0)
                     : rm->span_ns;
    double lx0 = ix + iw * (double)born / span, lx1 = ix + iw * (double)gone / span;
    fprintf(out,
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"4\" fill=\"#eee\"/>"
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"4\" fill=\"%s\"><title>alive +%s "
            ".. +%s</title></rect>\n",
            ix, y + 38, iw, lx0, y + 38, lx1 - lx0 < 1 ? 1 : lx1 - lx0, C_HELD,
            bs_fmt_dur(born, a, sizeof(a)), bs_fmt_dur(gone, b, sizeof(b)));
    text(out, ix, y + 56, 10, 0, START, NULL, iw, "alive +%s .. +%s%s · %s growths",
         bs_fmt_dur(born, a, sizeof(a)), bs_fmt_dur(gone, b, sizeof(b)),
         m->destroyed ? " (destroyed)" : " (trace end)", bs_fmt_count(m->grows, c, sizeof(c)));
    /* its deletes by outcome, as shares of its own deletes */
    uint64_t part[] = {m->outcome[BS_REUSED], m->freed_class[BS_FREE_RUNNING],
                       m->freed_class[BS_FREE_TEARDOWN], m->outcome[BS_RETAINED],
                       m->outcome[BS_UNRESOLVED]};
    double bx = ix;
    fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"10\" fill=\"#f4f4f4\"/>\n",
            ix, y + 63, iw);
    for (size_t k = 0; k < sizeof(part) / sizeof(part[0]) && m->deletes; k++) {
        double w = iw * (double)part[k] / (double)m->deletes;
        if (w <= 0) continue;
        fprintf(out,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"10\" fill=\"%s\">"
                "<title>%s: %s</title></rect>\n",
                bx, y + 63, w, outcome_part[k].color, outcome_part[k].name,
                bs_fmt_count(part[k], a, sizeof(a)));
        bx += w;
    }
    text(out, ix, y + 88, 10, 0, START, NULL, iw,
         "%s deletes · %s reused · %s retained · %s unresolved",
         bs_fmt_count(m->deletes, a, sizeof(a)), bs_fmt_count(part[0], b, sizeof(b)),
         bs_fmt_count(part[3], c, sizeof(c)), bs_fmt_count(part[4], d, sizeof(d)));
    text(out, ix, y + 104, 10, 0, START, NULL, iw, "freed %s while running, %s at teardown",
         bs_fmt_count(part[1], a, sizeof(a)), bs_fmt_count(part[2], b, sizeof(b)));
    text(out, ix, y + 120, 10, 0, START, NULL, iw, "held peak %s, final %s · empty retention %s",
         bs_fmt_bytes(m->g.peak_held, a, sizeof(a)), bs_fmt_bytes(m->g.bytes_held, b, sizeof(b)),
         bs_fmt_byte_seconds(row->empty_byte_seconds, c, sizeof(c)));
    fputs("</g>\n", out);
}

static double per_map(FILE *out, const struct bs_report_model *m, double y)
{
    if (m->nmaps < 2) return y;
    uint32_t n = m->nmaps < (uint32_t)m->in.top ? m->nmaps : (uint32_t)m->in.top;
    if (n > CARDS_MAX) n = CARDS_MAX;
    if (!n) return y;
    text(out, M, y, 15, 1, START, NULL, W - 2 * M,
         "Per map: the top %u of %u by empty retention (empty-slot bytes × time)", n, m->nmaps);
    y += 20;
    struct legend lg = {out, M, y, M, W - M};
    for (size_t k = 0; k < sizeof(outcome_part) / sizeof(outcome_part[0]); k++)
        legend_entry(&lg, "box", outcome_part[k].color, outcome_part[k].name);
    y = lg.y + 10;
    fputs("<g id=\"per_map\">\n", out);
    for (uint32_t i = 0; i < n; i++)
        card(out, m, &m->maps[i], M + (CARD_W + CARD_GAP) * (i % CARD_COLS),
             y + (CARD_H + CARD_GAP) * (i / CARD_COLS));
    fputs("</g>\n", out);
    return y + (CARD_H + CARD_GAP) * ((n + CARD_COLS - 1) / CARD_COLS) + 10;
}

/* ---- the page ------------------------------------------------------------------ */

static double footer(FILE *out, const struct bs_report_model *m, double y)
{
    char a[32], b[32], c[32], d[32];
    text(out, M, y, 11, 0, START, m->poor ? "#a01010" : "#555", W - 2 * M,
         "data quality: %s · lost events %s · unmatched events %s · deletes touched by loss %s · "
         "discarded %s%s",
         m->poor ? "POOR" : "good", bs_fmt_count(m->lost_events, a, sizeof(a)),
         bs_fmt_count(m->unmatched_total, b, sizeof(b)), bs_fmt_count(m->maybe_lost, c, sizeof(c)),
         bs_fmt_count(m->in.discarded_events, d, sizeof(d)),
         m->in.truncated ? " · input truncated" : "");
    return y + 20;
}

int bs_report_svg(FILE *out, const struct bs_report_model *m)
{
    /* The page's height is known once its parts are laid out: write them to
     * memory first, then the header with the height, then the parts. */
    char *body = NULL;
    size_t len = 0;
    FILE *b = open_memstream(&body, &len);
    if (!b) return -1;
    defs(b);
    double y = 34;
    y = title(b, m, y);
    y = warning(b, m, y + 6);
    y = timeline(b, m, y + 10);
    y = histograms(b, m, y + 10);
    y = per_map(b, m, y + 6);
    y = footer(b, m, y + 6);
    if (fclose(b) != 0) {
        free(body);
        return -1;
    }
    int h = (int)ceil(y);
    fprintf(out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" "
            "xmlns:xlink=\"http://www.w3.org/1999/xlink\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\" font-family=\"%s\" font-size=\"12\">\n"
            "<title>bucketscope report</title>\n"
            "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            W, h, W, h, BS_SVG_FONT);
    fwrite(body, 1, len, out);
    fputs("</svg>\n", out);
    free(body);
    return 0;
}
