/* SPDX-License-Identifier: MIT */
/*
 * engine.c — the life cycle of the lifetime engine and the reading of its
 * results (lifetime.h).  Feeding records is lifetime_rules.c.
 */
#include <stdlib.h>
#include <string.h>

#include "engine_impl.h"
#include "memory.h"

const char *const bs_outcome_name[BS_OUTCOMES] = {"reused", "freed", "retained", "unresolved"};
#define BS_UM_NAME_(sym, name, desc) name,
#define BS_UM_DESC_(sym, name, desc) desc,
const char *const bs_unmatched_name[BS_UM_COUNT] = {BS_UNMATCHED(BS_UM_NAME_)};
const char *const bs_unmatched_desc[BS_UM_COUNT] = {BS_UNMATCHED(BS_UM_DESC_)};

/* The classification of free reasons (docs/report.md, "Definitions"): one
 * line per value of the schema's free_reason enumeration
 * (schema/hmap_events.h).  A reason added to the schema without a line here
 * does not compile (BS_CLASS_<reason> undeclared). */
#define BS_CLASS_HMAP_FREE_GROW_DONE BS_FREE_RUNNING /* old array after a growth */
#define BS_CLASS_HMAP_FREE_EVACUATED BS_FREE_RUNNING /* old chain dropped at evacuation */
#define BS_CLASS_HMAP_FREE_UNLINK BS_FREE_RUNNING    /* overflow bucket emptied by deletes */
#define BS_CLASS_HMAP_FREE_SHRINK BS_FREE_RUNNING    /* old array after a shrinking growth */
#define BS_CLASS_HMAP_FREE_CLEAR BS_FREE_TEARDOWN    /* hmap_clear */
#define BS_CLASS_HMAP_FREE_DESTROY BS_FREE_TEARDOWN  /* hmap_free */
#define BS_FREE_CLASS_ITEM_(sym, val, str) [sym] = BS_CLASS_##sym,
const uint8_t bs_free_class_of[BS_FREE_REASONS] = {HMAP_ENUM_FREE_REASON(BS_FREE_CLASS_ITEM_)};
#undef BS_FREE_CLASS_ITEM_
const char *const bs_free_class_name[BS_FREE_CLASSES] = {"while_running", "teardown"};

/* The classification of indirect-object free reasons (docs/report.md,
 * "Definitions"), one line per value of the schema's obj_free_reason: a
 * reason added there does not compile until it is classed here. */
#define BS_OBJ_CLASS_HMAP_OBJ_DELETE BS_OBJ_RUNNING   /* its entry was deleted */
#define BS_OBJ_CLASS_HMAP_OBJ_CLEAR BS_OBJ_TEARDOWN   /* hmap_clear */
#define BS_OBJ_CLASS_HMAP_OBJ_DESTROY BS_OBJ_TEARDOWN /* hmap_free */
#define BS_OBJ_CLASS_HMAP_OBJ_UNUSED BS_OBJ_UNUSED    /* a failed insert gave it back */
#define BS_OBJ_CLASS_ITEM_(sym, val, str) [sym] = BS_OBJ_CLASS_##sym,
const uint8_t bs_obj_class_of[BS_OBJ_REASONS] = {HMAP_ENUM_OBJ_FREE_REASON(BS_OBJ_CLASS_ITEM_)};
#undef BS_OBJ_CLASS_ITEM_

struct bs_engine *bs_engine_new(const struct bs_engine_opts *opt)
{
    struct bs_engine *e = calloc(1, sizeof(*e));
    if (!e) return NULL;
    e->opt = *opt;
    bs_mem_setup(opt->name, opt->max_state_bytes);
    bs_addr_table_init(&e->map_ix);
    bs_addr_table_init(&e->objects);
    e->dump = BS_NONE;
    e->fold_at = 2 * BS_MAX_IDLE_MAPS;
    e->cap_share = 1;
    for (size_t c = 0; c < sizeof(e->agg) / sizeof(e->agg[0]); c++)
        e->agg[c] = BS_NONE;
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
    for (int c = 0; c < BS_FREE_CLASSES; c++)
        bs_hist_free(&e->tot.freed_class[c]);
    bs_addr_table_free(&e->map_ix);
    bs_addr_table_free(&e->objects);
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
    /* The freed deletes were added by class only (one histogram update per
     * delete, as before); all of them together are the merge of the two. */
    for (int c = 0; c < BS_FREE_CLASSES; c++) {
        bs_hist_merge(&e->tot.freed, &e->tot.freed_class[c]);
        bs_hist_seal(&e->tot.freed_class[c]);
    }
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

const struct bs_markers *bs_engine_markers(const struct bs_engine *e)
{
    return &e->ts.marks;
}

struct bs_engine_stats bs_engine_stats(const struct bs_engine *e)
{
    return (struct bs_engine_stats){e->tot.events, e->ix.peak_states_live, e->ix.peak_pending_live,
                                    e->shards_peak_bytes ? e->shards_peak_bytes
                                                         : bs_engine_peak_state_bytes(e)};
}

size_t bs_engine_state_bytes(const struct bs_engine *e)
{
    return bs_addr_table_bytes(&e->map_ix) + bs_addr_table_bytes(&e->objects) +
           (size_t)e->maps_cap * sizeof(struct bs_map) + bs_alloc_index_bytes(&e->ix) +
           (size_t)e->lost.cap * sizeof(struct bs_lost_span);
}

static size_t hist_bytes(const struct bs_engine *e)
{
    const struct bs_hist *h[] = {&e->tot.reuse,
                                 &e->tot.freed,
                                 &e->tot.retained,
                                 &e->tot.resolved,
                                 &e->tot.freed_class[BS_FREE_RUNNING],
                                 &e->tot.freed_class[BS_FREE_TEARDOWN]};
    size_t n = 0;
    for (size_t i = 0; i < sizeof(h) / sizeof(h[0]); i++)
        n += sizeof(*h[i]) + (size_t)h[i]->exact_cap * sizeof(uint64_t);
    return n;
}

size_t bs_engine_peak_state_bytes(const struct bs_engine *e)
{
    return bs_addr_table_bytes(&e->map_ix) + bs_addr_table_bytes(&e->objects) +
           (size_t)e->maps_cap * sizeof(struct bs_map) + bs_alloc_index_peak_bytes(&e->ix) +
           hist_bytes(e) + (size_t)e->lost.cap * sizeof(struct bs_lost_span);
}
