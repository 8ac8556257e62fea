/* SPDX-License-Identifier: MIT */
/*
 * svg.c — a self-contained SVG: bytes held, bytes in live entries and
 * empty-slot bytes over time (from the engine's evenly spaced samples), and
 * the delete->free log2 histograms, one per class of free reason.  No scripts, no external
 * references. Formats the report model only.
 */
#include <inttypes.h>
#include <math.h>

#include "report.h"

#define W 960
#define PLOT_X 90
#define PLOT_W 820
#define CURVE_Y 60
#define CURVE_H 260
#define HIST_Y 420
#define HIST_H 180
#define HIST_STEP 280 /* from one histogram to the next */
#define H (HIST_Y + BS_FREE_CLASSES * HIST_STEP - 40)

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

static void curve(FILE *out, const struct bs_report_model *m, int which, const char *color,
                  const char *name, double tmax, double ymax)
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
        double x = PLOT_X + PLOT_W * ((double)(s->t_ns - m->first_ns_abs) / 1e9) / tmax;
        double y = CURVE_Y + CURVE_H - CURVE_H * v / ymax;
        fprintf(out, "%s%.1f,%.1f", i ? " " : "", x, y);
    }
    fprintf(out, "\"><title>%s</title></polyline>\n", name);
}

/* A dashed vertical line at the attach time (the first state dump): what
 * the curves show before it is the trace's, not the maps' whole state. */
static void attach_marker(FILE *out, const struct bs_report_model *m, double tmax)
{
    if (!m->have_state) return;
    double x = PLOT_X + PLOT_W * ((double)m->state_rel / 1e9) / tmax;
    fprintf(out,
            "<g id=\"attach_marker\"><line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
            "stroke=\"#555\" stroke-dasharray=\"4,3\"/><text x=\"%.1f\" y=\"%d\" "
            "class=\"small\">attach (state of %" PRIu64 " maps)</text></g>\n",
            x, CURVE_Y, x, CURVE_Y + CURVE_H, x + 3, CURVE_Y + 12, m->maps_attached);
}

static void curves(FILE *out, const struct bs_report_model *m)
{
    double tmax = (double)m->span_ns / 1e9, ymax = 0;
    if (tmax <= 0) tmax = 1e-9;
    for (uint32_t i = 0; i < m->nsamples; i++)
        if ((double)m->samples[i].held > ymax) ymax = (double)m->samples[i].held;
    double unit = 1; /* round steps in the unit the labels use */
    while (ymax / unit >= 1024 && unit < (double)(1ull << 40))
        unit *= 1024;
    double ystep = nice_step(ymax / unit, 5) * unit, xstep = nice_step(tmax, 8);
    ymax = ystep * ceil(ymax / ystep);
    if (ymax <= 0) ymax = ystep;
    char buf[32];
    fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"h\">Bucket memory over time</text>\n", PLOT_X,
            CURVE_Y - 20);
    for (double v = 0; v <= ymax * 1.0001; v += ystep) {
        double y = CURVE_Y + CURVE_H - CURVE_H * v / ymax;
        fprintf(out,
                "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" class=\"grid\"/>"
                "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                PLOT_X, y, PLOT_X + PLOT_W, y, PLOT_X - 6, y + 4, bytes_label(v, buf, sizeof(buf)));
    }
    for (double t = 0; t <= tmax * 1.0001; t += xstep) {
        double x = PLOT_X + PLOT_W * t / tmax;
        fprintf(out,
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" class=\"axis\"/>"
                "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.6g</text>\n",
                x, CURVE_Y + CURVE_H, x, CURVE_Y + CURVE_H + 5, x, CURVE_Y + CURVE_H + 18, t);
    }
    fprintf(out,
            "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">time since first event (s)</text>\n",
            PLOT_X + PLOT_W / 2, CURVE_Y + CURVE_H + 36);
    fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"axis\"/>\n", PLOT_X,
            CURVE_Y, PLOT_X, CURVE_Y + CURVE_H);
    fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"axis\"/>\n", PLOT_X,
            CURVE_Y + CURVE_H, PLOT_X + PLOT_W, CURVE_Y + CURVE_H);
    curve(out, m, 0, "#1f5fbf", "bytes_held", tmax, ymax);
    curve(out, m, 1, "#2a9d3a", "bytes_live", tmax, ymax);
    curve(out, m, 2, "#d62728", "empty_bytes", tmax, ymax);
    curve(out, m, 3, "#9467bd", "indirect_bytes", tmax, ymax);
    static const char *names[] = {"bytes held (buckets + indirect)", "bytes in live entries",
                                  "empty-slot bytes", "of held: indirect objects"};
    static const char *colors[] = {"#1f5fbf", "#2a9d3a", "#d62728", "#9467bd"};
    for (int i = 0; i < 4; i++)
        fprintf(out,
                "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"4\" fill=\"%s\"/>"
                "<text x=\"%d\" y=\"%d\">%s</text>\n",
                PLOT_X + 20 + 205 * i, CURVE_Y - 12, colors[i], PLOT_X + 40 + 205 * i, CURVE_Y - 6,
                names[i]);
    attach_marker(out, m, tmax);
}

/* One delete -> free histogram per class of free reason, reclaim while
 * running above teardown, on the same slots and count scale so that their
 * bars compare (docs/report.md, "Options", --svg). */
static void histogram(FILE *out, const struct bs_report_model *m, int c, int y0, uint64_t max,
                      int n)
{
    static const char *const id[BS_FREE_CLASSES] = {"reclaim_histogram", "teardown_histogram"};
    static const char *const title[BS_FREE_CLASSES] = {"freed while running", "freed at teardown"};
    const struct bs_free_class_row *row = &m->free_class[c];
    const uint64_t *slots = row->to_free.log2_usecs;
    fprintf(out,
            "<text x=\"%d\" y=\"%d\" class=\"h\">delete -&gt; free latency, %s (%s): %" PRIu64
            " deletes</text>\n",
            PLOT_X, y0 - 20, title[c], row->reasons, row->freed);
    fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"axis\"/>\n", PLOT_X,
            y0 + HIST_H, PLOT_X + PLOT_W, y0 + HIST_H);
    fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"axis\"/>\n", PLOT_X, y0,
            PLOT_X, y0 + HIST_H);
    fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%" PRIu64 "</text>\n", PLOT_X - 6,
            y0 + 4, max);
    fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>\n", PLOT_X - 6,
            y0 + HIST_H + 4);
    fprintf(out, "<g id=\"%s\">\n", id[c]);
    double bw = n ? (double)PLOT_W / n : PLOT_W;
    for (int i = 0; i < n; i++) {
        unsigned long long low = (1ULL << (i + 1)) >> 1, high = (1ULL << (i + 1)) - 1;
        if (low == high) low -= 1;
        uint64_t v = i < row->to_free.nlog2 ? slots[i] : 0;
        double h = max ? (double)HIST_H * (double)v / (double)max : 0;
        double x = PLOT_X + bw * i;
        fprintf(out,
                "<rect class=\"bar %s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">"
                "<title>%llu-%llu us: %" PRIu64 "</title></rect>"
                "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" class=\"small\">%llu</text>\n",
                bs_free_class_name[c], x + 1, y0 + HIST_H - h, bw - 2, h, low, high, v, x + bw / 2,
                y0 + HIST_H + 14, low);
    }
    fprintf(out,
            "</g>\n<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">latency, usecs (log2 "
            "buckets, lower bound)</text>\n",
            PLOT_X + PLOT_W / 2, y0 + HIST_H + 34);
}

static void histograms(FILE *out, const struct bs_report_model *m)
{
    uint64_t max = 0;
    int n = 0;
    for (int c = 0; c < BS_FREE_CLASSES; c++) {
        const struct bs_latency *l = &m->free_class[c].to_free;
        if (l->nlog2 > n) n = l->nlog2;
        for (int i = 0; i < l->nlog2; i++)
            if (l->log2_usecs[i] > max) max = l->log2_usecs[i];
    }
    for (int c = 0; c < BS_FREE_CLASSES; c++)
        histogram(out, m, c, HIST_Y + c * HIST_STEP, max, n);
}

int bs_report_svg(FILE *out, const struct bs_report_model *m)
{
    fprintf(out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n"
            "<title>bucketscope report</title>\n"
            "<style>.axis{stroke:#333}.grid{stroke:#ddd}.bar{fill:#d62728}"
            ".h{font-size:15px;font-weight:bold}.small{font-size:10px}</style>\n"
            "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            W, H, W, H);
    curves(out, m);
    histograms(out, m);
    fprintf(out, "</svg>\n");
    return 0;
}
