/* SPDX-License-Identifier: MIT */
/*
 * lifetime_rules.c — what each event means for maps, allocations, slots and
 * pending deletes (definitions in lifetime.h and docs/architecture.md; the Go
 * map's tophash values in docs/go-map-model.md §1, delete in §7, growth and
 * evacuation in §8).
 *
 * A slot is live while its tophash is a hash byte (>= HMAP_TOPHASH_MIN_LIVE).
 * A tophash write with cause delete leaves a pending delete on its slot; the
 * pending delete ends as reused when a later write makes that slot live
 * again, as freed when the allocation holding the bucket is freed, as
 * unresolved when the trace makes it unknowable, and as retained when the
 * trace ends.  Evacuation marks (evacuatedX/Y/Empty) and emptyRest folding
 * are not live, so they neither reuse a slot nor count as deletes.
 *
 * This file holds the per-event path: bs_engine_feed and the handlers are
 * static here, the lookups inline from alloc_index.h, so that a tophash
 * write costs no call but its histogram update.  What the records of a
 * state dump add to these rules is statedump_rules.c; the helpers both use
 * are in rules.h.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memory.h"
#include "rules.h"

static int is_live(uint8_t tophash)
{
    return tophash >= HMAP_TOPHASH_MIN_LIVE;
}

void bs_rules_advance(const struct bs_engine *e, struct bs_gauges *g, uint64_t t)
{
    bs_advance(e, g, t);
}

/* After a change of the gauges at t: raise their peaks (inside the window). */
static void settle(const struct bs_engine *e, struct bs_gauges *g, uint64_t t)
{
    if (!bs_counting(e, t)) return;
    if (g->bytes_held > g->peak_held) g->peak_held = g->bytes_held;
    if (bs_bucket_bytes(g) > g->peak_bucket) g->peak_bucket = bs_bucket_bytes(g);
    if (g->indirect_held > g->peak_indirect) g->peak_indirect = g->indirect_held;
    uint64_t empty = bs_empty_bytes(g);
    if (empty > g->peak_empty) g->peak_empty = empty;
}

/* ---- maps ------------------------------------------------------------------ */

/* A new map record at (pid, addr); `created` (a map_create in the window,
 * or an implicit map) counts it in maps_created. */
uint32_t bs_rules_new_map(struct bs_engine *e, uint32_t pid, uint64_t addr, uint64_t t, int created)
{
    uint32_t prev = bs_addr_get(&e->map_ix, pid, addr);
    if (e->nmaps == e->maps_cap) e->maps = bs_grow_array(e->maps, &e->maps_cap, sizeof(*e->maps));
    struct bs_map *m = &e->maps[e->nmaps];
    memset(m, 0, sizeof(*m));
    m->pid = pid;
    m->addr = addr;
    m->seq = prev == BS_NONE ? 0 : e->maps[prev].seq + 1;
    m->created_ns = t;
    m->g.last_ns = t;
    m->st.status = BS_NO_STATE;
    if (bs_addr_put(&e->map_ix, pid, addr, e->nmaps) < 0) bs_oom();
    if (created && bs_counting(e, t)) {
        e->tot.maps_created++;
        m->counted_created = 1;
    }
    return e->nmaps++;
}

/* The map a record names; a map never announced is created on the spot
 * (the trace may have started after map_create, or before its state dump)
 * and counted. */
struct bs_map *bs_rules_get_map(struct bs_engine *e, uint32_t pid, uint64_t addr, uint64_t t)
{
    uint32_t i = bs_addr_get(&e->map_ix, pid, addr);
    if (i == BS_NONE || e->maps[i].destroyed) {
        i = bs_rules_new_map(e, pid, addr, t, 1);
        e->maps[i].implicit = 1;
        bs_unmatched(e, &e->maps[i], BS_UM_UNKNOWN_MAP);
    }
    struct bs_map *m = &e->maps[i];
    bs_advance(e, &m->g, t);
    return m;
}

/* The map an unmatched record names, for attributing it: its record, even
 * destroyed (frees follow map_destroy), or an implicit one made on the spot. */
struct bs_map *bs_rules_map_of_unmatched(struct bs_engine *e, uint32_t pid, uint64_t addr,
                                         uint64_t t)
{
    uint32_t i = bs_addr_get(&e->map_ix, pid, addr);
    return i == BS_NONE ? bs_rules_get_map(e, pid, addr, t) : &e->maps[i];
}

/* ---- idle maps --------------------------------------------------------------- */

/* A map that holds nothing and that no later record can add to: destroyed,
 * or never announced and never dumped.  Only its counts remain to report. */
static int idle(const struct bs_map *m)
{
    return !m->folded && !m->g.bytes_held && !m->g.objects && !m->st.in_bracket && !m->st.skip &&
           !m->pre_allocs &&
           (m->destroyed || (m->implicit && !m->st.attached && m->st.status == BS_NO_STATE));
}

static uint32_t agg_class(const struct bs_map *m)
{
    return m->implicit || m->reclaim >= HMAP_ENUM_COUNT(reclaim) ? HMAP_ENUM_COUNT(reclaim)
                                                                 : m->reclaim;
}

static void fold_into(struct bs_map *a, const struct bs_map *m)
{
#define SUM_(f) a->f += m->f
#define MAX_(f) a->f = a->f > m->f ? a->f : m->f
    SUM_(arrays_alloc), SUM_(arrays_freed), SUM_(ovf_alloc), SUM_(ovf_freed), SUM_(grows);
    SUM_(evacuations), SUM_(moved), SUM_(deletes), SUM_(cleared), SUM_(reuse_sum_ns);
    SUM_(free_sum_ns), SUM_(before_state), SUM_(g.empty_byte_ns);
    for (int o = 0; o < BS_OUTCOMES; o++)
        SUM_(outcome[o]);
    for (int c = 0; c < BS_FREE_CLASSES; c++)
        SUM_(freed_class[c]), SUM_(reclaimed.bucket[c]), SUM_(reclaimed.indirect[c]);
    SUM_(reclaimed.indirect_unused);
    SUM_(obj.alloc), SUM_(obj.alloc_bytes), SUM_(obj.attach), SUM_(obj.attach_bytes);
    for (int r = 0; r < BS_OBJ_REASONS; r++)
        SUM_(obj.freed[r]);
    MAX_(g.peak_held), MAX_(g.peak_empty), MAX_(g.peak_bucket), MAX_(g.peak_indirect);
    MAX_(destroyed_ns);
    if (m->st.attached) {
        a->st.attached = 1;
        SUM_(st.bucket_bytes), SUM_(st.indirect_bytes), SUM_(st.arrays), SUM_(st.ovf);
        SUM_(st.objects);
    }
    if (!a->folded++ || m->created_ns < a->created_ns) a->created_ns = m->created_ns;
    snprintf(a->name, sizeof(a->name), "%u maps folded", a->folded);
#undef SUM_
#undef MAX_
}

struct fold_ctx {
    const uint32_t *remap;
};

static uint32_t remap_map(void *ctx, uint32_t v)
{
    return ((struct fold_ctx *)ctx)->remap[v];
}

static uint32_t remap_object(void *ctx, uint32_t v)
{
    return ((struct fold_ctx *)ctx)->remap[v >> 1] << 1 | (v & 1);
}

static int by_retention(const void *x, const void *y, void *ctx)
{
    const struct bs_map *maps = ctx, *a = &maps[*(const uint32_t *)x],
                        *b = &maps[*(const uint32_t *)y];
    if (a->g.empty_byte_ns != b->g.empty_byte_ns)
        return a->g.empty_byte_ns > b->g.empty_byte_ns ? -1 : 1;
    return *(const uint32_t *)x < *(const uint32_t *)y ? -1 : 1;
}

/* Invariant: at most BS_MAX_IDLE_MAPS idle maps are kept after a fold; the
 * ones kept have the most empty byte-seconds (the report's order), ties to
 * the first seen.  A fold costs O(maps + allocations + objects) and runs
 * when the maps have doubled since the last one: O(1) amortized per map. */
void bs_rules_fold_idle(struct bs_engine *e)
{
    uint32_t n = e->nmaps, nidle = 0;
    uint32_t *idx = malloc((size_t)n * sizeof(*idx));
    uint32_t *remap = malloc((size_t)n * sizeof(*remap));
    if (!idx || !remap) bs_oom();
    for (uint32_t i = 0; i < n; i++)
        if (idle(&e->maps[i])) idx[nidle++] = i;
    if (nidle > BS_MAX_IDLE_MAPS) {
        qsort_r(idx, nidle, sizeof(*idx), by_retention, e->maps);
        for (uint32_t i = 0; i < n; i++)
            remap[i] = i;
        for (uint32_t k = BS_MAX_IDLE_MAPS; k < nidle; k++) {
            uint32_t c = agg_class(&e->maps[idx[k]]);
            if (e->agg[c] == BS_NONE) { /* appended: not among the maps folded */
                if (e->nmaps == e->maps_cap)
                    e->maps = bs_grow_array(e->maps, &e->maps_cap, sizeof(*e->maps));
                struct bs_map *a = &e->maps[e->agg[c] = e->nmaps++];
                memset(a, 0, sizeof(*a));
                snprintf(a->type_name, sizeof(a->type_name), "(other maps)");
                a->implicit = c == HMAP_ENUM_COUNT(reclaim);
                a->reclaim = (uint8_t)(a->implicit ? 0 : c);
                a->destroyed = 1;
                a->st.status = BS_NO_STATE;
            }
            fold_into(&e->maps[e->agg[c]], &e->maps[idx[k]]);
            remap[idx[k]] = BS_NONE;
        }
        uint32_t *full = realloc(remap, (size_t)e->nmaps * sizeof(*remap));
        if (!full) bs_oom();
        remap = full;
        for (uint32_t i = n; i < e->nmaps; i++)
            remap[i] = i;
        uint32_t j = 0;
        for (uint32_t i = 0; i < e->nmaps; i++) {
            if (remap[i] == BS_NONE) continue;
            if (j != i) e->maps[j] = e->maps[i];
            remap[i] = j++;
        }
        e->nmaps = j;
        for (size_t c = 0; c < sizeof(e->agg) / sizeof(e->agg[0]); c++)
            if (e->agg[c] != BS_NONE) e->agg[c] = remap[e->agg[c]];
        for (uint32_t ai = 0; ai < e->ix.allocs_cap; ai++)
            if (e->ix.allocs[ai].in_use) e->ix.allocs[ai].map = remap[e->ix.allocs[ai].map];
        struct fold_ctx ctx = {remap};
        if (bs_addr_table_map(&e->map_ix, remap_map, &ctx) < 0 ||
            bs_addr_table_map(&e->objects, remap_object, &ctx) < 0)
            bs_oom();
    }
    free(idx);
    free(remap);
    e->fold_at = e->nmaps > BS_MAX_IDLE_MAPS ? 2 * e->nmaps : 2 * BS_MAX_IDLE_MAPS;
}

/* ---- pending deletes -------------------------------------------------------- */

/* The pending delete of slot s in bucket b of allocation a ends with
 * `outcome` at t. */
static void resolve(struct bs_engine *e, struct bs_alloc *a, struct bs_bstate *b, uint64_t baddr,
                    unsigned s, uint64_t t, enum bs_outcome outcome, int free_reason)
{
    uint64_t td = bs_pending_remove(&e->ix, b, s);
    if (!bs_counting(e, td)) return;
    struct bs_engine_totals *tot = &e->tot;
    struct bs_map *m = &e->maps[a->map];
    uint64_t lat = t >= td ? t - td : 0;
    tot->outcome[outcome]++;
    m->outcome[outcome]++;
    switch (outcome) {
    case BS_REUSED:
        bs_hist_add(&tot->reuse, lat);
        bs_hist_add(&tot->resolved, lat);
        m->reuse_sum_ns += (double)lat;
        break;
    case BS_FREED: { /* by class of the free reason; tot->freed is their merge at the end */
        enum bs_free_class c = bs_free_class(free_reason);
        bs_hist_add(&tot->freed_class[c], lat);
        bs_hist_add(&tot->resolved, lat);
        if ((unsigned)free_reason < BS_FREE_REASONS) tot->freed_reason[free_reason]++;
        m->freed_class[c]++;
        m->free_sum_ns += (double)lat;
        break;
    }
    case BS_RETAINED:
        bs_hist_add(&tot->retained, lat);
        break;
    default:
        break;
    }
    int maybe = bs_lost_overlaps(&e->lost, td, t);
    if (maybe) tot->maybe_lost++;
    if (e->opt.on_delete) {
        struct bs_delete_row row = {m, baddr, s, td, t, outcome, free_reason, maybe};
        e->opt.on_delete(e->opt.ctx, &row);
    }
}

static void resolve_all(struct bs_engine *e, struct bs_alloc *a, struct bs_bstate *b,
                        uint64_t baddr, uint64_t t, enum bs_outcome outcome, int reason)
{
    for (unsigned s = 0; s < BS_BUCKET_SLOTS && b->pending; s++)
        if (b->pending & (1u << s)) resolve(e, a, b, baddr, s, t, outcome, reason);
}

/* Every pending delete of allocation a ends with `outcome` at t. */
static void resolve_pending(struct bs_engine *e, struct bs_alloc *a, uint64_t t,
                            enum bs_outcome outcome, int reason)
{
    if (a->nstates == 1) {
        struct bs_bstate *one = bs_alloc_one(&e->ix, a);
        if (one->pending) resolve_all(e, a, one, a->start, t, outcome, reason);
        return;
    }
    /* Leaves by ascending bucket, so that --csv-deletes lists a free's
     * deletes in bucket order. */
    uint32_t n;
    const uint32_t *leaves = bs_alloc_leaves(&e->ix, a, &n);
    for (uint32_t k = 0; k < n; k++) {
        struct bs_leaf *lf = &e->ix.leaf[leaves[k]];
        for (uint32_t i = 0; i < bs_leaf_len(a, lf->chunk); i++)
            if (lf->st[i].pending) {
                uint64_t idx = ((uint64_t)lf->chunk << BS_LEAF_SHIFT) + i;
                resolve_all(e, a, &lf->st[i], a->start + idx * bs_alloc_bucket_size(&e->ix, a), t,
                            outcome, reason);
            }
    }
}

void bs_rules_retain_pending(struct bs_engine *e, uint64_t end)
{
    for (uint32_t ai = 0; ai < e->ix.allocs_cap; ai++) {
        struct bs_alloc *a = &e->ix.allocs[ai];
        if (a->in_use) resolve_pending(e, a, end, BS_RETAINED, -1);
    }
}

/* ---- allocations ------------------------------------------------------------- */

/* Forget allocation ai: its pending deletes end with `outcome` at t, its
 * buckets and bytes leave the gauges. */
void bs_rules_drop_alloc(struct bs_engine *e, uint32_t ai, uint64_t t, enum bs_outcome outcome,
                         int reason)
{
    struct bs_alloc *a = &e->ix.allocs[ai];
    struct bs_map *m = &e->maps[a->map];
    bs_advance(e, &m->g, t);
    resolve_pending(e, a, t, outcome, reason);
    GADD(e, m, live_buckets, -(int64_t)a->live_buckets);
    GADD(e, m, bytes_held, -a->bytes);
    GADD(e, m, live_slots, -a->live_slots);
    GADD(e, m, live_bytes8, -(uint64_t)a->live_slots * m->bucket_size);
    GADD(e, m, tombstones, -a->tombstones);
    GADD(e, m, in_use_buckets, -(int64_t)(bs_alloc_nbuckets(&e->ix, a) + a->ovf_linked));
    GADD(e, m, ovf_buckets, -(int64_t)a->ovf_linked);
    bs_alloc_release(&e->ix, ai);
    settle(e, &m->g, t);
}

/* A new allocation of nstates buckets of bucket_size bytes.  One overlapping
 * a live allocation means the trace lost that allocation's free: the old one
 * is dropped, its pending deletes unresolved. */
static uint32_t new_alloc(struct bs_engine *e, uint32_t mi, uint32_t pid, uint64_t start,
                          uint64_t bytes, uint8_t kind, uint32_t nstates, uint32_t bucket_size,
                          uint64_t t)
{
    for (int end = 0; end < 2; end++) {
        uint32_t old = bs_find_alloc(&e->ix, pid, end ? start + bytes - 1 : start);
        if (old != BS_NONE) {
            bs_unmatched(e, &e->maps[mi], BS_UM_DOUBLE_ALLOC);
            bs_rules_drop_alloc(e, old, t, BS_UNRESOLVED, -1);
        }
    }
    uint32_t ai = bs_alloc_take(&e->ix, mi, pid, start, bytes, kind, nstates, bucket_size);
    struct bs_map *m = &e->maps[mi];
    GADD(e, m, bytes_held, bytes);
    if (bs_pre_state(m)) {
        e->ix.allocs[ai].pre = 1;
        m->pre_allocs++;
    }
    return ai;
}

/* ---- event handlers ---------------------------------------------------------- */

/* Keys and values over this many bytes live in their own allocation
 * (docs/go-map-model.md §1, "max inline key size"; the schema's indirect_alloc). */
#define BS_INDIRECT_OVER 128

static struct bs_map *on_map_create(struct bs_engine *e, const struct hmap_native_rec_header *h,
                                    const struct hmap_native_map_create *p)
{
    uint32_t mi = e->dump; /* in a dump: the bracket's record, no new map */
    if (mi == BS_NONE) {
        uint32_t i = bs_addr_get(&e->map_ix, h->pid, p->map);
        if (i != BS_NONE && !e->maps[i].destroyed) {
            bs_unmatched(e, &e->maps[i], BS_UM_DOUBLE_CREATE);
            e->maps[i].destroyed = 1;
            e->maps[i].destroyed_ns = h->ts_ns;
        }
        mi = bs_rules_new_map(e, h->pid, p->map, h->ts_ns, 1); /* may move e->maps */
    } else {
        e->maps[mi].st.created = 1;
    }
    struct bs_map *m = &e->maps[mi];
    for (int k = 0; k < HMAP_ENUM_COUNT(indirect_kind); k++) {
        uint32_t size = k == HMAP_INDIRECT_KEY ? p->key_size : p->val_size;
        if (size > BS_INDIRECT_OVER) m->obj_size[k] = size;
    }
    memcpy(m->type_name, p->type_name, sizeof(m->type_name));
    m->type_name[sizeof(m->type_name) - 1] = 0;
    m->key_size = p->key_size;
    m->val_size = p->val_size;
    m->bucket_size = p->bucket_size;
    m->pointerful = p->pointerful;
    m->reclaim = p->reclaim;
    if (p->reclaim >= HMAP_ENUM_COUNT(reclaim)) bs_unmatched(e, m, BS_UM_BAD_FIELD);
    return m;
}

static struct bs_map *on_map_destroy(struct bs_engine *e, const struct hmap_native_rec_header *h,
                                     const struct hmap_native_map_destroy *p)
{
    struct bs_map *m = bs_rules_get_map(e, h->pid, p->map, h->ts_ns);
    m->destroyed = 1;
    m->destroyed_ns = h->ts_ns;
    if (bs_counting(e, h->ts_ns)) e->tot.maps_destroyed++;
    bs_timeseries_mark(&e->ts, BS_MARK_DESTROY, h->ts_ns, e->tot.first_ns);
    return m;
}

/* Sizes past these are a corrupt trace, not a map (counted as bad_field). */
#define BS_MAX_ARRAY_BUCKETS (1u << 30)
#define BS_MAX_B 63

static struct bs_map *on_array_alloc(struct bs_engine *e, const struct hmap_native_rec_header *h,
                                     const struct hmap_native_bucket_array_alloc *p)
{
    struct bs_map *m = bs_rules_get_map(e, h->pid, p->map, h->ts_ns);
    uint64_t nb = p->nbuckets + p->nprealloc;
    if (!m->bucket_size && nb) m->bucket_size = (uint32_t)(p->bytes / nb);
    if (!p->nbuckets || p->nbuckets > BS_MAX_ARRAY_BUCKETS || nb > BS_MAX_ARRAY_BUCKETS ||
        p->B > BS_MAX_B || !m->bucket_size || p->bytes < nb * m->bucket_size) {
        bs_unmatched(e, m, BS_UM_BAD_FIELD);
        return m;
    }
    uint32_t mi = (uint32_t)(m - e->maps);
    m->B = p->B;
    if (e->dump != BS_NONE &&
        bs_rules_adopt_alloc(e, mi, h->pid, p->addr, p->bytes, HMAP_MEM_ARRAY) != BS_NONE)
        return m;
    uint32_t ai = new_alloc(e, mi, h->pid, p->addr, p->bytes, HMAP_MEM_ARRAY, (uint32_t)nb,
                            m->bucket_size, h->ts_ns);
    m = &e->maps[mi];
    bs_alloc_set_nbuckets(&e->ix, ai, (uint32_t)p->nbuckets);
    GADD(e, m, in_use_buckets, (int64_t)p->nbuckets);
    if (e->dump != BS_NONE) { /* state, not activity */
        m->st.arrays++;
        e->tot.arrays_attach++;
    } else if (bs_counting(e, h->ts_ns)) {
        m->arrays_alloc++;
        e->tot.arrays_alloc++;
    }
    return m;
}

static struct bs_map *on_overflow_alloc(struct bs_engine *e, const struct hmap_native_rec_header *h,
                                        const struct hmap_native_overflow_alloc *p)
{
    struct bs_map *m = bs_rules_get_map(e, h->pid, p->map, h->ts_ns);
    if (!m->bucket_size) m->bucket_size = p->bytes;
    uint32_t ai;
    if (p->source == HMAP_OVF_PREALLOC) {
        ai = bs_find_alloc(&e->ix, h->pid, p->addr);
        if (ai == BS_NONE || e->ix.allocs[ai].kind != HMAP_MEM_ARRAY) {
            bs_unmatched(e, m, BS_UM_WRITE_UNKNOWN_BUCKET);
            return m;
        }
        /* a dump relinks the preallocated buckets of an array known before it */
        if (e->dump != BS_NONE && e->ix.allocs[ai].adopted) return m;
    } else if (p->source == HMAP_OVF_ALLOCATOR && p->bytes) {
        uint32_t mi = (uint32_t)(m - e->maps);
        if (e->dump != BS_NONE &&
            bs_rules_adopt_alloc(e, mi, h->pid, p->addr, p->bytes, HMAP_MEM_OVERFLOW) != BS_NONE)
            return m;
        ai = new_alloc(e, mi, h->pid, p->addr, p->bytes, HMAP_MEM_OVERFLOW, 1, p->bytes, h->ts_ns);
        m = &e->maps[mi];
        if (e->dump != BS_NONE) {
            m->st.ovf++;
            e->tot.ovf_attach++;
        } else if (bs_counting(e, h->ts_ns)) {
            m->ovf_alloc++;
            e->tot.ovf_alloc++;
        }
    } else {
        bs_unmatched(e, m, BS_UM_BAD_FIELD);
        return m;
    }
    e->ix.allocs[ai].ovf_linked++;
    GADD(e, m, in_use_buckets, 1);
    GADD(e, m, ovf_buckets, 1);
    return m;
}

static struct bs_map *on_overflow_unlink(struct bs_engine *e,
                                         const struct hmap_native_rec_header *h,
                                         const struct hmap_native_overflow_unlink *p)
{
    struct bs_map *m = bs_rules_get_map(e, h->pid, p->map, h->ts_ns);
    uint32_t ai = bs_find_alloc(&e->ix, h->pid, p->addr);
    if (ai == BS_NONE || e->ix.allocs[ai].ovf_linked == 0) {
        bs_unmatched(e, m, BS_UM_WRITE_UNKNOWN_BUCKET);
        return m;
    }
    struct bs_map *owner = &e->maps[e->ix.allocs[ai].map];
    bs_advance(e, &owner->g, h->ts_ns);
    e->ix.allocs[ai].ovf_linked--;
    GADD(e, owner, in_use_buckets, -1);
    GADD(e, owner, ovf_buckets, -1);
    return owner;
}

static struct bs_map *on_bucket_free(struct bs_engine *e, const struct hmap_native_rec_header *h,
                                     const struct hmap_native_bucket_free *p)
{
    uint32_t ai = bs_find_alloc(&e->ix, h->pid, p->addr);
    if (ai == BS_NONE || e->ix.allocs[ai].start != p->addr) {
        struct bs_map *m = bs_rules_map_of_unmatched(e, h->pid, p->map, h->ts_ns);
        bs_unmatched(e, m, ai == BS_NONE ? BS_UM_FREE_WITHOUT_ALLOC : BS_UM_FREE_INTERIOR);
        return m;
    }
    struct bs_alloc *a = &e->ix.allocs[ai];
    struct bs_map *m = &e->maps[a->map];
    if (a->bytes != p->bytes) bs_unmatched(e, m, BS_UM_FREE_SIZE_MISMATCH);
    if (p->reason >= HMAP_ENUM_COUNT(free_reason) || p->kind >= HMAP_ENUM_COUNT(mem_kind))
        bs_unmatched(e, m, BS_UM_BAD_FIELD);
    if (bs_counting(e, h->ts_ns)) {
        if (a->kind == HMAP_MEM_ARRAY) {
            m->arrays_freed++;
            e->tot.arrays_freed++;
        } else {
            m->ovf_freed++;
            e->tot.ovf_freed++;
        }
        enum bs_free_class c = bs_free_class(p->reason);
        m->reclaimed.bucket[c] += a->bytes;
        e->tot.reclaimed.bucket[c] += a->bytes;
    }
    bs_rules_drop_alloc(e, ai, h->ts_ns, BS_FREED, p->reason);
    return m;
}

/* The heart of the engine: one tophash byte changed.  Keeps, per bucket,
 * live = the slots counted live since the trace began, and per allocation
 * and map the live-slot, live-bucket and tombstone gauges in step with it;
 * a slot live before the trace began is never counted, so it never goes
 * negative. */
static struct bs_map *on_tophash(struct bs_engine *e, const struct hmap_native_rec_header *h,
                                 const struct hmap_native_tophash_write *p)
{
    uint64_t t = h->ts_ns;
    if (p->slot >= BS_BUCKET_SLOTS || p->cause >= HMAP_ENUM_COUNT(th_cause)) {
        e->tot.unmatched[BS_UM_BAD_FIELD]++;
        return NULL;
    }
    uint32_t ai;
    struct bs_bstate *b = bs_find_bucket(&e->ix, h->pid, p->bucket, &ai);
    if (!b) {
        struct bs_map *m = bs_rules_map_of_unmatched(e, h->pid, p->map, t);
        bs_unmatched(e, m, BS_UM_WRITE_UNKNOWN_BUCKET);
        return m;
    }
    struct bs_alloc *a = &e->ix.allocs[ai];
    struct bs_map *m = &e->maps[a->map];
    /* A dump's slots of an allocation the trace already showed are known. */
    if (e->dump != BS_NONE && a->adopted) return m;
    bs_advance(e, &m->g, t);
    int was = is_live(p->old_th), is = is_live(p->new_th);
    unsigned s = p->slot, bit = 1u << s;
    if (was && !b->live) was = 0; /* live before the trace began: it was never counted */
    if (is != was) {
        int d = is ? 1 : -1;
        if (is && b->live == 0) {
            a->live_buckets++;
            GADD(e, m, live_buckets, 1);
        }
        b->live = (uint8_t)(b->live + d);
        if (!is && b->live == 0) {
            a->live_buckets--;
            GADD(e, m, live_buckets, -1);
        }
        a->live_slots += d;
        GADD(e, m, live_slots, d);
        GADD(e, m, live_bytes8, (uint64_t)(int64_t)d * m->bucket_size);
    }
    if (is && (b->pending & bit)) resolve(e, a, b, p->bucket, s, t, BS_REUSED, -1);
    if (p->cause == HMAP_TH_DELETE) {
        if (!is_live(p->old_th)) bs_unmatched(e, m, BS_UM_DELETE_NOT_LIVE);
        if (b->pending & bit) {
            bs_unmatched(e, m, BS_UM_DELETE_PENDING);
            resolve(e, a, b, p->bucket, s, t, BS_UNRESOLVED, -1);
        }
        bs_pending_add(&e->ix, b, s, t);
        if (bs_counting(e, t)) {
            e->tot.deletes++;
            m->deletes++;
        }
    } else if (p->cause == HMAP_TH_CLEAR && was && bs_counting(e, t)) {
        e->tot.cleared++;
        m->cleared++;
    }
    if (p->cause == HMAP_TH_CLEAR) bs_timeseries_mark(&e->ts, BS_MARK_CLEAR, t, e->tot.first_ns);
    /* Tombstones: slots at emptyOne, counted like live slots from the trace's
     * start (never below zero). */
    int tomb_was = p->old_th == HMAP_TOPHASH_EMPTY_ONE,
        tomb_is = p->new_th == HMAP_TOPHASH_EMPTY_ONE;
    if (tomb_is != tomb_was) {
        int d = tomb_is ? 1 : -1;
        if (d > 0 || a->tombstones > 0) {
            a->tombstones += d;
            GADD(e, m, tombstones, d);
        }
    }
    return m;
}

/* Lost records: count, and remember the span they may have touched (between
 * the previous event and this record when the record does not say). */
static void on_lost(struct bs_engine *e, const struct hmap_native_rec_header *h,
                    const struct hmap_native_lost *p)
{
    e->tot.lost_records++;
    /* Saturating: a sum past 64 bits must not wrap to a small count (the
     * readers warn when it does not fit). */
    if (__builtin_add_overflow(e->tot.lost_events, p->count, &e->tot.lost_events))
        e->tot.lost_events = UINT64_MAX;
    uint64_t first = p->first_ns, last = p->last_ns;
    if (!first && !last) {
        first = e->tot.last_ns;
        last = h->ts_ns;
    }
    if (last < first) last = first;
    bs_lost_add(&e->lost, first, last);
}

static struct bs_map *on_grow_start(struct bs_engine *e, const struct hmap_native_rec_header *h,
                                    const struct hmap_native_grow_start *p)
{
    struct bs_map *m = bs_rules_get_map(e, h->pid, p->map, h->ts_ns);
    m->growing = 1;
    m->B = p->new_B;
    if (bs_counting(e, h->ts_ns)) m->grows++;
    if (p->kind >= HMAP_ENUM_COUNT(grow_kind))
        bs_unmatched(e, m, BS_UM_BAD_FIELD);
    else
        bs_timeseries_mark(&e->ts,
                           p->kind == HMAP_GROW_SHRINK      ? BS_MARK_SHRINK
                           : p->kind == HMAP_GROW_SAME_SIZE ? BS_MARK_SAMESIZE
                                                            : BS_MARK_GROW,
                           h->ts_ns, e->tot.first_ns);
    return m;
}

/* An evacuation moves entries but frees nothing: the slots it empties are
 * marked evacuated (not live, not deletes) by their own tophash writes. */
static struct bs_map *on_evacuate(struct bs_engine *e, const struct hmap_native_rec_header *h,
                                  const struct hmap_native_evacuate *p)
{
    struct bs_map *m = bs_rules_get_map(e, h->pid, p->map, h->ts_ns);
    if (bs_find_alloc(&e->ix, h->pid, p->old_addr) == BS_NONE)
        bs_unmatched(e, m, BS_UM_WRITE_UNKNOWN_BUCKET);
    if (bs_counting(e, h->ts_ns)) {
        m->evacuations++;
        m->moved += (uint64_t)p->moved_x + p->moved_y;
    }
    return m;
}

static struct bs_map *on_grow_done(struct bs_engine *e, const struct hmap_native_rec_header *h,
                                   const struct hmap_native_grow_done *p)
{
    struct bs_map *m = bs_rules_get_map(e, h->pid, p->map, h->ts_ns);
    m->growing = 0;
    m->B = p->B;
    return m;
}

/* ---- who a map is ------------------------------------------------------------- */

/* map_info follows map_create (in a dump too): the map keeps the last one. */
static struct bs_map *on_map_info(struct bs_engine *e, const struct hmap_native_rec_header *h,
                                  const struct hmap_native_map_info *p)
{
    struct bs_map *m = bs_rules_get_map(e, h->pid, p->map, h->ts_ns);
    m->has_info = 1;
    m->site = p->site;
    m->site_off = p->site_off;
    memcpy(m->name, p->name, sizeof(m->name));
    m->name[sizeof(m->name) - 1] = 0;
    memcpy(m->object, p->object, sizeof(m->object));
    m->object[sizeof(m->object) - 1] = 0;
    return m;
}

/* ---- indirect objects ------------------------------------------------------------ */

/* Invariant: e->objects holds exactly the live indirect objects, each as
 * map index << 1 | kind; every one is counted in its map's and the global
 * indirect_held, bytes_held and objects gauges with its map's
 * obj_size[kind] bytes.  An object whose size disagrees with its map's is
 * not tracked (bad_field): its bytes could not be given back exactly. */
#define BS_OBJ_VAL(mi, kind) ((mi) << 1 | (kind))

/* Take object (pid, addr) out of the table and the gauges; its map. */
static struct bs_map *drop_object(struct bs_engine *e, uint32_t pid, uint64_t addr, uint32_t v,
                                  uint64_t t, uint32_t *bytes)
{
    struct bs_map *m = &e->maps[v >> 1];
    *bytes = m->obj_size[v & 1];
    bs_advance(e, &m->g, t);
    bs_addr_del(&e->objects, pid, addr);
    GADD(e, m, bytes_held, -(uint64_t)*bytes);
    GADD(e, m, indirect_held, -(uint64_t)*bytes);
    GADD(e, m, objects, -1);
    return m;
}

static struct bs_map *on_indirect_alloc(struct bs_engine *e, const struct hmap_native_rec_header *h,
                                        const struct hmap_native_indirect_alloc *p)
{
    struct bs_map *m = bs_rules_get_map(e, h->pid, p->map, h->ts_ns);
    uint32_t mi = (uint32_t)(m - e->maps), bytes;
    if (p->kind >= HMAP_ENUM_COUNT(indirect_kind) || !p->bytes) {
        bs_unmatched(e, m, BS_UM_BAD_FIELD);
        return m;
    }
    if (!m->obj_size[p->kind]) m->obj_size[p->kind] = p->bytes; /* learnt: no map_create */
    if (m->obj_size[p->kind] != p->bytes) {
        bs_unmatched(e, m, BS_UM_BAD_FIELD);
        return m;
    }
    uint32_t old = bs_addr_get(&e->objects, h->pid, p->addr);
    if (old == BS_OBJ_VAL(mi, p->kind) && e->dump != BS_NONE) return m; /* adopted */
    if (old != BS_NONE) {                                               /* its free was lost */
        bs_unmatched(e, m, BS_UM_DOUBLE_ALLOC);
        settle(e, &drop_object(e, h->pid, p->addr, old, h->ts_ns, &bytes)->g, h->ts_ns);
    }
    if (bs_addr_put(&e->objects, h->pid, p->addr, BS_OBJ_VAL(mi, p->kind)) < 0) bs_oom();
    GADD(e, m, bytes_held, p->bytes);
    GADD(e, m, indirect_held, p->bytes);
    GADD(e, m, objects, 1);
    struct bs_objects *om = &m->obj, *ot = &e->tot.obj;
    if (e->dump != BS_NONE) {
        om->attach++, ot->attach++;
        om->attach_bytes += p->bytes, ot->attach_bytes += p->bytes;
    } else if (bs_counting(e, h->ts_ns)) {
        om->alloc++, ot->alloc++;
        om->alloc_bytes += p->bytes, ot->alloc_bytes += p->bytes;
    }
    return m;
}

/* Bytes of an indirect object given back, by the class of its reason. */
static void object_reclaimed(struct bs_reclaimed *r, int reason, uint64_t bytes)
{
    enum bs_obj_class c = bs_obj_class(reason);
    if (c == BS_OBJ_UNUSED)
        r->indirect_unused += bytes;
    else
        r->indirect[c] += bytes;
}

static struct bs_map *on_indirect_free(struct bs_engine *e, const struct hmap_native_rec_header *h,
                                       const struct hmap_native_indirect_free *p)
{
    uint32_t v = bs_addr_get(&e->objects, h->pid, p->addr), bytes;
    if (v == BS_NONE) {
        struct bs_map *m = bs_rules_map_of_unmatched(e, h->pid, p->map, h->ts_ns);
        bs_unmatched(e, m, BS_UM_FREE_UNKNOWN_OBJECT);
        return m;
    }
    struct bs_map *m = drop_object(e, h->pid, p->addr, v, h->ts_ns, &bytes);
    if (p->bytes != bytes) bs_unmatched(e, m, BS_UM_FREE_SIZE_MISMATCH);
    if (p->reason >= BS_OBJ_REASONS || p->kind != (v & 1)) bs_unmatched(e, m, BS_UM_BAD_FIELD);
    if (bs_counting(e, h->ts_ns)) {
        if (p->reason < BS_OBJ_REASONS) {
            m->obj.freed[p->reason]++;
            e->tot.obj.freed[p->reason]++;
        }
        object_reclaimed(&m->reclaimed, p->reason, bytes);
        object_reclaimed(&e->tot.reclaimed, p->reason, bytes);
    }
    return m;
}

/* ---- the per-record entry point ----------------------------------------------- */

int bs_engine_feed(struct bs_engine *e, const struct hmap_native_rec_header *h)
{
    const void *payload = h + 1;
    struct hmap_native_rec_header fixed;
    if (h->id == HMAP_NATIVE_LOST_ID) {
        /* Not an event: a span of missing ones, written when the producer could
         * (possibly after later records), so it does not move the clock. */
        on_lost(e, h, payload);
        return 0;
    }
    if (!e->started) {
        e->started = 1;
        e->tot.first_ns = e->tot.last_ns = h->ts_ns;
        e->tot.all.last_ns = h->ts_ns;
        bs_timeseries_start(&e->ts, h->ts_ns, e->opt.tick_ns);
    }
    if (h->ts_ns < e->tot.last_ns) {
        /* Applied at the latest time so that no latency is negative. */
        e->tot.unmatched[BS_UM_OUT_OF_ORDER]++;
        fixed = *h;
        fixed.ts_ns = e->tot.last_ns;
        h = &fixed;
    }
    if (e->opt.until_ns && h->ts_ns >= e->opt.until_ns) {
        e->past_until = 1;
        return 1;
    }
    uint64_t t = h->ts_ns;
    if (e->opt.tick_ns && e->opt.on_tick && t >= e->ts.next_tick)
        bs_timeseries_ticks(&e->ts, t, &e->opt);
    /* A shard's totals are summed and replayed in global order by
     * shards.c: its own integral, peaks and samples of them would be
     * thrown away. */
    if (!e->shard) bs_advance(e, &e->tot.all, t);
    struct bs_map *m = NULL;
    if (bs_rules_in_brackets(e, h)) goto applied; /* a redundant dump: nothing to learn */
    switch (h->id) {
    case HMAP_EV_map_create:
        m = on_map_create(e, h, payload);
        break;
    case HMAP_EV_map_destroy:
        m = on_map_destroy(e, h, payload);
        break;
    case HMAP_EV_bucket_array_alloc:
        m = on_array_alloc(e, h, payload);
        break;
    case HMAP_EV_overflow_alloc:
        m = on_overflow_alloc(e, h, payload);
        break;
    case HMAP_EV_tophash_write:
        m = on_tophash(e, h, payload);
        break;
    case HMAP_EV_grow_start:
        m = on_grow_start(e, h, payload);
        break;
    case HMAP_EV_evacuate:
        m = on_evacuate(e, h, payload);
        break;
    case HMAP_EV_grow_done:
        m = on_grow_done(e, h, payload);
        break;
    case HMAP_EV_overflow_unlink:
        m = on_overflow_unlink(e, h, payload);
        break;
    case HMAP_EV_bucket_free:
        m = on_bucket_free(e, h, payload);
        break;
    case HMAP_EV_map_info:
        m = on_map_info(e, h, payload);
        break;
    case HMAP_EV_indirect_alloc:
        m = on_indirect_alloc(e, h, payload);
        break;
    case HMAP_EV_indirect_free:
        m = on_indirect_free(e, h, payload);
        break;
    case HMAP_EV_state_begin:
        m = bs_rules_state_begin(e, h, payload);
        break;
    case HMAP_EV_state_end:
        m = bs_rules_state_end(e, h, payload);
        break;
    case HMAP_EV_statedump_done:
        bs_rules_statedump_done(e, payload);
        break;
    default:
        e->tot.unmatched[BS_UM_UNKNOWN_EVENT]++;
        break;
    }
    e->dump = BS_NONE;
    if (m) settle(e, &m->g, t);
    if (!e->shard) settle(e, &e->tot.all, t);
    if (e->nmaps >= e->fold_at) bs_rules_fold_idle(e);
applied:
    e->tot.last_ns = t;
    /* The cap (memory.h): every 64 records, a record adds at most a leaf,
     * an allocation, a map and a pending block, and tables that double are
     * checked as they grow. */
    if ((++e->tot.events & 63) == 0) {
        size_t state = bs_engine_state_bytes(e);
        if (state > bs_mem_cap() / e->cap_share) bs_over_cap(state * e->cap_share);
    }
    if (t >= e->ts.next_sample && !e->shard)
        bs_timeseries_sample(&e->ts, t, e->tot.first_ns, &e->tot.all, 0);
    return 0;
}
