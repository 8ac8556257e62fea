/* SPDX-License-Identifier: MIT */
/*
 * engine.c — the life cycle of the lifetime engine and the reading of its
 * results (lifetime.h).  Feeding records is lifetime_rules.c.
 */
#include <stdlib.h>
#include <string.h>

#include "engine_impl.h"

const char *const bs_outcome_name[BS_OUTCOMES] = {"reused", "freed", "retained", "unresolved"};
#define BS_UM_NAME_(sym, name, desc) name,
#define BS_UM_DESC_(sym, name, desc) desc,
const char *const bs_unmatched_name[BS_UM_COUNT] = {BS_UNMATCHED(BS_UM_NAME_)};
const char *const bs_unmatched_desc[BS_UM_COUNT] = {BS_UNMATCHED(BS_UM_DESC_)};

struct bs_engine *bs_engine_new(const struct bs_engine_opts *opt)
{
    struct bs_engine *e = calloc(1, sizeof(*e));
    if (!e) return NULL;
    e->opt = *opt;
    bs_addr_table_init(&e->map_ix);
    bs_alloc_index_init(&e->ix);
    bs_timeseries_init(&e->ts, opt->sample_tick_ns);
    return e;
}

void bs_engine_free(struct bs_engine *e)
{
    if (!e) return;
    bs_hist_free(&e->tot.reuse);
    bs_hist_free(&e->tot.freed);
    bs_hist_free(&e->tot.retained);
    bs_hist_free(&e->tot.resolved);
    bs_addr_table_free(&e->map_ix);
    bs_alloc_index_free(&e->ix);
    free(e->maps);
    free(e->lost.span);
    free(e);
}

void bs_engine_set_window(struct bs_engine *e, uint64_t since_ns, uint64_t until_ns)
{
    e->opt.since_ns = since_ns;
    e->opt.until_ns = until_ns;
}

void bs_engine_finish(struct bs_engine *e)
{
    uint64_t end = e->past_until ? e->opt.until_ns : e->tot.last_ns;
    size_t state = bs_engine_state_bytes(e);
    if (state > e->peak_state_bytes) e->peak_state_bytes = state;
    bs_rules_advance(e, &e->tot.all, end);
    for (uint32_t i = 0; i < e->nmaps; i++)
        bs_rules_advance(e, &e->maps[i].g, e->maps[i].destroyed ? e->maps[i].g.last_ns : end);
    bs_rules_retain_pending(e, end);
    if (e->started) bs_timeseries_sample(&e->ts, end, e->tot.first_ns, &e->tot.all, 1);
    e->tot.last_ns = end;
    e->tot.arrays_live = e->ix.narrays;
    e->tot.ovf_live = e->ix.nallocs_live - e->ix.narrays;
    bs_hist_seal(&e->tot.reuse);
    bs_hist_seal(&e->tot.freed);
    bs_hist_seal(&e->tot.retained);
    bs_hist_seal(&e->tot.resolved);
}

const struct bs_engine_totals *bs_engine_totals(const struct bs_engine *e)
{
    return &e->tot;
}

const struct bs_map *bs_engine_maps(const struct bs_engine *e, uint32_t *n)
{
    *n = e->nmaps;
    return e->maps;
}

const struct bs_lost_span *bs_engine_lost_spans(const struct bs_engine *e, uint32_t *n)
{
    *n = e->lost.n;
    return e->lost.span;
}

const struct bs_sample *bs_engine_samples(const struct bs_engine *e, uint32_t *n)
{
    *n = e->ts.nsamples;
    return e->ts.samples;
}

struct bs_engine_stats bs_engine_stats(const struct bs_engine *e)
{
    return (struct bs_engine_stats){e->tot.events, e->ix.peak_states_live, e->ix.peak_pending_live,
                                    bs_engine_peak_state_bytes(e)};
}

size_t bs_engine_state_bytes(const struct bs_engine *e)
{
    return bs_addr_table_bytes(&e->map_ix) + (size_t)e->maps_cap * sizeof(struct bs_map) +
           bs_alloc_index_bytes(&e->ix) + (size_t)e->lost.cap * sizeof(struct bs_lost_span);
}

static size_t hist_bytes(const struct bs_engine *e)
{
    const struct bs_hist *h[] = {&e->tot.reuse, &e->tot.freed, &e->tot.retained, &e->tot.resolved};
    size_t n = 0;
    for (int i = 0; i < 4; i++)
        n += sizeof(*h[i]) + (size_t)h[i]->exact_cap * sizeof(uint64_t);
    return n;
}

size_t bs_engine_peak_state_bytes(const struct bs_engine *e)
{
    return bs_addr_table_bytes(&e->map_ix) + (size_t)e->maps_cap * sizeof(struct bs_map) +
           bs_alloc_index_peak_bytes(&e->ix) + hist_bytes(e) +
           (size_t)e->lost.cap * sizeof(struct bs_lost_span);
}
