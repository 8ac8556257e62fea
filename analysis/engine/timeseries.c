/* SPDX-License-Identifier: MIT */
/* timeseries.c — samples for the SVG curves and timeline ticks (timeseries.h). */
#include <string.h>

#include "timeseries.h"

void bs_timeseries_init(struct bs_timeseries *ts, uint64_t sample_tick_ns)
{
    ts->nsamples = 0;
    ts->sample_tick = sample_tick_ns ? sample_tick_ns : 1000;
    ts->next_sample = ts->next_tick = 0;
}

void bs_timeseries_start(struct bs_timeseries *ts, uint64_t t0, uint64_t tick_ns)
{
    ts->next_tick = t0 + tick_ns;
    ts->next_sample = t0;
}

/* Keep at most BS_MAX_SAMPLES global samples: when full, drop every other one
 * and double the tick, so the curve covers the whole trace at even spacing. */
void bs_timeseries_sample(struct bs_timeseries *ts, uint64_t t, uint64_t t0,
                          const struct bs_gauges *all, int force)
{
    if (!force && t < ts->next_sample) return;
    if (ts->nsamples == BS_MAX_SAMPLES) {
        for (uint32_t i = 0; i < BS_MAX_SAMPLES / 2; i++)
            ts->samples[i] = ts->samples[2 * i + 1];
        ts->nsamples = BS_MAX_SAMPLES / 2;
        if (ts->sample_tick < UINT64_MAX / 4) ts->sample_tick *= 2;
    }
    ts->samples[ts->nsamples++] = (struct bs_sample){t, all->bytes_held, all->live_bytes8 / 8,
                                                     bs_empty_bytes(all), all->indirect_held};
    uint64_t base = t - (t - t0) % ts->sample_tick;
    ts->next_sample = base > UINT64_MAX - ts->sample_tick ? UINT64_MAX : base + ts->sample_tick;
}

/* Timeline ticks up to t.  Nothing changes between two events, so across a
 * gap of more than BS_MAX_TICK_GAP ticks only the first and the last tick
 * are emitted: a stalled or bogus timestamp cannot flood the output.  The
 * callback may widen the tick (or stop it) to bound the timeline as a
 * whole. */
#define BS_MAX_TICK_GAP 10000
static int fire(struct bs_timeseries *ts, struct bs_engine_opts *opt)
{
    uint64_t w = opt->on_tick(opt->ctx, ts->next_tick, opt->tick_ns);
    if (!w || ts->next_tick > UINT64_MAX - w) { /* stopped, or the clock ran out */
        opt->on_tick = NULL;
        return 0;
    }
    opt->tick_ns = w;
    ts->next_tick += w;
    return 1;
}

void bs_timeseries_ticks(struct bs_timeseries *ts, uint64_t t, struct bs_engine_opts *opt)
{
    if (t < ts->next_tick) return;
    if ((t - ts->next_tick) / opt->tick_ns > BS_MAX_TICK_GAP) {
        uint64_t gap = (t - ts->next_tick) / opt->tick_ns * opt->tick_ns;
        if (!fire(ts, opt)) return;
        ts->next_tick += gap - (gap >= opt->tick_ns ? opt->tick_ns : gap);
    }
    while (t >= ts->next_tick)
        if (!fire(ts, opt)) return;
}

/* Marker bins (lifetime.h, struct bs_markers): the first width is the
 * samples' first tick; an event past the last bin halves the bin count by
 * merging neighbours until it fits, so memory stays fixed. */
void bs_timeseries_mark(struct bs_timeseries *ts, enum bs_marker_kind k, uint64_t t, uint64_t t0)
{
    struct bs_markers *mk = &ts->marks;
    if (!mk->width) {
        mk->t0 = t0;
        mk->width = ts->sample_tick ? ts->sample_tick : 1000;
    }
    uint64_t off = t > mk->t0 ? t - mk->t0 : 0;
    while (off / mk->width >= BS_MARKER_BINS && mk->width < UINT64_MAX / 4) {
        for (uint32_t i = 0; i < BS_MARKER_BINS / 2; i++)
            for (int j = 0; j < BS_MARK_KINDS; j++) {
                uint64_t s = (uint64_t)mk->count[2 * i][j] + mk->count[2 * i + 1][j];
                mk->count[i][j] = s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
            }
        memset(mk->count[BS_MARKER_BINS / 2], 0, sizeof(mk->count) / 2);
        mk->width *= 2;
        mk->nbins = (mk->nbins + 1) / 2;
    }
    uint64_t b = off / mk->width;
    if (b >= BS_MARKER_BINS) b = BS_MARKER_BINS - 1;
    if (mk->count[b][k] < UINT32_MAX) mk->count[b][k]++;
    if (b + 1 > mk->nbins) mk->nbins = (uint32_t)b + 1;
}
