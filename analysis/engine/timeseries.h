/* SPDX-License-Identifier: MIT */
/*
 * timeseries.h — the engine's view of time for the curves and the timeline:
 * evenly spaced samples of the global gauges (for the SVG) and the --tick
 * boundaries at which the timeline callback fires.
 *
 * Both are checked once per event with one comparison (the callers test
 * t >= next_sample / next_tick inline); the work is done here.
 */
#ifndef BS_TIMESERIES_H
#define BS_TIMESERIES_H

#include <stdint.h>

#include "lifetime.h"

struct bs_timeseries {
    struct bs_sample samples[BS_MAX_SAMPLES];
    uint32_t nsamples;
    uint64_t sample_tick, next_sample;
    uint64_t next_tick; /* next --tick boundary */
    struct bs_markers marks;
};

/* First tick of the samples (0: 1 us). */
void bs_timeseries_init(struct bs_timeseries *ts, uint64_t sample_tick_ns);
/* The trace starts at t0: first sample and first tick from there. */
void bs_timeseries_start(struct bs_timeseries *ts, uint64_t t0, uint64_t tick_ns);
/* Sample the global gauges at t if t reached the next sample time, or
 * always if force.  t0: the first event's time (the samples' grid). */
void bs_timeseries_sample(struct bs_timeseries *ts, uint64_t t, uint64_t t0,
                          const struct bs_gauges *all, int force);
/* Count one marker event of kind k at t (t0: the first event's time). */
void bs_timeseries_mark(struct bs_timeseries *ts, enum bs_marker_kind k, uint64_t t, uint64_t t0);
/* Fire opt->on_tick for every tick boundary up to t; clears opt->on_tick
 * when the clock runs out. */
void bs_timeseries_ticks(struct bs_timeseries *ts, uint64_t t, struct bs_engine_opts *opt);

#endif /* BS_TIMESERIES_H */
