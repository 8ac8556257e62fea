/* SPDX-License-Identifier: MIT */
/*
 * engine_impl.h — the engine behind the opaque handle of lifetime.h, shared
 * by its files only: engine.c (life cycle and results), lifetime_rules.c
 * (what each event means) and statedump_rules.c (what a state dump adds;
 * both through rules.h), alloc_index.c, lost_spans.c, timeseries.c.
 */
#ifndef BS_ENGINE_IMPL_H
#define BS_ENGINE_IMPL_H

#include "addr_table.h"
#include "alloc_index.h"
#include "lifetime.h"
#include "lost_spans.h"
#include "timeseries.h"

struct bs_engine {
    struct bs_engine_opts opt;
    int started, past_until;
    struct bs_engine_totals tot;
    /* maps, kept for the report */
    struct bs_map *maps;
    uint32_t nmaps, maps_cap;
    struct bs_addr_table map_ix; /* (pid, map addr) -> current map */
    struct bs_alloc_index ix;
    struct bs_lost_list lost;
    struct bs_timeseries ts;
    size_t peak_state_bytes;
    /* live indirect objects: (pid, addr) -> map index << 1 | kind (their size
     * is the map's obj_size[kind]), 16 bytes a slot */
    struct bs_addr_table objects;
    /* state dumps: brackets open (of any map), and the map whose bracket the
     * record being applied belongs to (BS_NONE: not a dump record) */
    uint32_t brackets_open, dump;
    /* idle maps are folded (bs_rules_fold_idle) when nmaps reaches fold_at;
     * agg: the "other maps" record by reclaim policy (last: unannounced) */
    uint32_t fold_at;
    uint32_t agg[HMAP_ENUM_COUNT(reclaim) + 1];
    /* Sharded (shards.c): a shard's engine holds at most 1/cap_share of
     * the state cap (1 otherwise); the merged engine's --stats peak is the
     * shards' together (0 otherwise). */
    uint32_t cap_share;
    size_t shards_peak_bytes;
    /* A shard's engine: its totals' integral, peaks and samples are not
     * kept (shards.c replays them in global order). */
    int shard;
};

/* lifetime_rules.c: the end of the trace at `end`: every delete still
 * pending is retained, aged at end. */
void bs_rules_retain_pending(struct bs_engine *e, uint64_t end);
/* lifetime_rules.c: fold idle maps past BS_MAX_IDLE_MAPS into the "other
 * maps" records, renumbering the maps; only between records. */
void bs_rules_fold_idle(struct bs_engine *e);
/* lifetime_rules.c: move a gauge's integral to t (only inside the window). */
void bs_rules_advance(const struct bs_engine *e, struct bs_gauges *g, uint64_t t);

#endif /* BS_ENGINE_IMPL_H */
