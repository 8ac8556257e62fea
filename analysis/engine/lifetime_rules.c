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
 * write costs no call but its histogram update.
 */
#include <string.h>

#include "engine_impl.h"
#include "memory.h"

static int is_live(uint8_t tophash)
{
    return tophash >= HMAP_TOPHASH_MIN_LIVE;
}

static int counting(const struct bs_engine *e, uint64_t t)
{
    return t >= e->opt.since_ns;
}

/* Integrate empty bytes up to t (only inside the window), then move the
 * gauge's clock to t.  Called before every change of a gauge. */
static void advance(const struct bs_engine *e, struct bs_gauges *g, uint64_t t)
{
    if (t > g->last_ns) {
        uint64_t from = g->last_ns > e->opt.since_ns ? g->last_ns : e->opt.since_ns;
        if (t > from) g->empty_byte_ns += (double)bs_empty_bytes(g) * (double)(t - from);
        g->last_ns = t;
    }
}

void bs_rules_advance(const struct bs_engine *e, struct bs_gauges *g, uint64_t t)
{
    advance(e, g, t);
}

/* After a change of the gauges at t: raise their peaks (inside the window). */
static void settle(const struct bs_engine *e, struct bs_gauges *g, uint64_t t)
{
    if (!counting(e, t)) return;
    if (g->bytes_held > g->peak_held) g->peak_held = g->bytes_held;
    uint64_t empty = bs_empty_bytes(g);
    if (empty > g->peak_empty) g->peak_empty = empty;
}

/* Both the map's and the global gauges move together. */
#define GADD(e, m, field, d)                                                                       \
    do {                                                                                           \
        (m)->g.field += (d);                                                                       \
        (e)->tot.all.field += (d);                                                                 \
    } while (0)

/* ---- maps ------------------------------------------------------------------ */

static uint32_t new_map(struct bs_engine *e, uint32_t pid, uint64_t addr, uint64_t t)
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
    if (bs_addr_put(&e->map_ix, pid, addr, e->nmaps) < 0) bs_oom();
    if (counting(e, t)) e->tot.maps_created++;
    return e->nmaps++;
}

/* The map a record names; a map never announced is created on the spot
 * (the trace may have started after map_create) and counted. */
static struct bs_map *get_map(struct bs_engine *e, uint32_t pid, uint64_t addr, uint64_t t)
{
    uint32_t i = bs_addr_get(&e->map_ix, pid, addr);
    if (i == BS_NONE || e->maps[i].destroyed) {
        e->tot.unmatched[BS_UM_UNKNOWN_MAP]++;
        i = new_map(e, pid, addr, t);
        e->maps[i].implicit = 1;
    }
    struct bs_map *m = &e->maps[i];
    advance(e, &m->g, t);
    return m;
}

/* ---- pending deletes -------------------------------------------------------- */

/* The pending delete of slot s in bucket b of allocation a ends with
 * `outcome` at t. */
static void resolve(struct bs_engine *e, struct bs_alloc *a, struct bs_bstate *b, uint64_t baddr,
                    unsigned s, uint64_t t, enum bs_outcome outcome, int free_reason)
{
    uint64_t td = e->ix.pending[b->times].ns[s];
    b->pending &= (uint8_t) ~(1u << s);
    if (!b->pending) {
        bs_pending_give(&e->ix, b->times);
        b->times = BS_NONE;
    }
    if (!counting(e, td)) return;
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
        if (a->one.pending) resolve_all(e, a, &a->one, a->start, t, outcome, reason);
        return;
    }
    for (uint32_t c = 0; c < bs_alloc_nchunks(a); c++) {
        struct bs_bstate *st = a->chunk[c];
        for (uint32_t i = 0; st && i < bs_alloc_chunk_len(a, c); i++)
            if (st[i].pending) {
                uint64_t idx = ((uint64_t)c << BS_CHUNK_SHIFT) + i;
                resolve_all(e, a, &st[i], a->start + idx * a->bucket_size, t, outcome, reason);
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
static void drop_alloc(struct bs_engine *e, uint32_t ai, uint64_t t, enum bs_outcome outcome,
                       int reason)
{
    struct bs_alloc *a = &e->ix.allocs[ai];
    struct bs_map *m = &e->maps[a->map];
    advance(e, &m->g, t);
    resolve_pending(e, a, t, outcome, reason);
    GADD(e, m, live_buckets, -(int64_t)a->live_buckets);
    GADD(e, m, bytes_held, -a->bytes);
    GADD(e, m, live_slots, -a->live_slots);
    GADD(e, m, live_bytes8, -(uint64_t)a->live_slots * m->bucket_size);
    GADD(e, m, tombstones, -a->tombstones);
    GADD(e, m, in_use_buckets, -(int64_t)(a->nbuckets + a->ovf_linked));
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
            e->tot.unmatched[BS_UM_DOUBLE_ALLOC]++;
            drop_alloc(e, old, t, BS_UNRESOLVED, -1);
        }
    }
    uint32_t ai = bs_alloc_take(&e->ix, mi, pid, start, bytes, kind, nstates, bucket_size);
    struct bs_map *m = &e->maps[mi];
    GADD(e, m, bytes_held, bytes);
    return ai;
}

/* ---- event handlers ---------------------------------------------------------- */

static struct bs_map *on_map_create(struct bs_engine *e, const struct hmap_native_rec_header *h,
                                    const struct hmap_native_map_create *p)
{
    uint32_t i = bs_addr_get(&e->map_ix, h->pid, p->map);
    if (i != BS_NONE && !e->maps[i].destroyed) {
        e->tot.unmatched[BS_UM_DOUBLE_CREATE]++;
        e->maps[i].destroyed = 1;
        e->maps[i].destroyed_ns = h->ts_ns;
    }
    uint32_t mi = new_map(e, h->pid, p->map, h->ts_ns); /* may move e->maps */
    struct bs_map *m = &e->maps[mi];
    memcpy(m->type_name, p->type_name, sizeof(m->type_name));
    m->type_name[sizeof(m->type_name) - 1] = 0;
    m->key_size = p->key_size;
    m->val_size = p->val_size;
    m->bucket_size = p->bucket_size;
    m->pointerful = p->pointerful;
    m->reclaim = p->reclaim;
    if (p->reclaim >= HMAP_ENUM_COUNT(reclaim)) e->tot.unmatched[BS_UM_BAD_FIELD]++;
    return m;
}

static struct bs_map *on_map_destroy(struct bs_engine *e, const struct hmap_native_rec_header *h,
                                     const struct hmap_native_map_destroy *p)
{
    struct bs_map *m = get_map(e, h->pid, p->map, h->ts_ns);
    m->destroyed = 1;
    m->destroyed_ns = h->ts_ns;
    if (counting(e, h->ts_ns)) e->tot.maps_destroyed++;
    return m;
}

/* Sizes past these are a corrupt trace, not a map (counted as bad_field). */
#define BS_MAX_ARRAY_BUCKETS (1u << 30)
#define BS_MAX_B 63

static struct bs_map *on_array_alloc(struct bs_engine *e, const struct hmap_native_rec_header *h,
                                     const struct hmap_native_bucket_array_alloc *p)
{
    struct bs_map *m = get_map(e, h->pid, p->map, h->ts_ns);
    uint64_t nb = p->nbuckets + p->nprealloc;
    if (!m->bucket_size && nb) m->bucket_size = (uint32_t)(p->bytes / nb);
    if (!p->nbuckets || p->nbuckets > BS_MAX_ARRAY_BUCKETS || nb > BS_MAX_ARRAY_BUCKETS ||
        p->B > BS_MAX_B || !m->bucket_size || p->bytes < nb * m->bucket_size ||
        !bs_alloc_index_room(&e->ix, nb)) {
        e->tot.unmatched[BS_UM_BAD_FIELD]++;
        return m;
    }
    uint32_t mi = (uint32_t)(m - e->maps);
    uint32_t ai = new_alloc(e, mi, h->pid, p->addr, p->bytes, HMAP_MEM_ARRAY, (uint32_t)nb,
                            m->bucket_size, h->ts_ns);
    m = &e->maps[mi];
    e->ix.allocs[ai].nbuckets = (uint32_t)p->nbuckets;
    GADD(e, m, in_use_buckets, (int64_t)p->nbuckets);
    m->B = p->B;
    if (counting(e, h->ts_ns)) {
        m->arrays_alloc++;
        e->tot.arrays_alloc++;
    }
    return m;
}

static struct bs_map *on_overflow_alloc(struct bs_engine *e, const struct hmap_native_rec_header *h,
                                        const struct hmap_native_overflow_alloc *p)
{
    struct bs_map *m = get_map(e, h->pid, p->map, h->ts_ns);
    if (!m->bucket_size) m->bucket_size = p->bytes;
    uint32_t ai;
    if (p->source == HMAP_OVF_PREALLOC) {
        ai = bs_find_alloc(&e->ix, h->pid, p->addr);
        if (ai == BS_NONE || e->ix.allocs[ai].kind != HMAP_MEM_ARRAY) {
            e->tot.unmatched[BS_UM_WRITE_UNKNOWN_BUCKET]++;
            return m;
        }
    } else if (p->source == HMAP_OVF_ALLOCATOR && p->bytes) {
        uint32_t mi = (uint32_t)(m - e->maps);
        ai = new_alloc(e, mi, h->pid, p->addr, p->bytes, HMAP_MEM_OVERFLOW, 1, p->bytes, h->ts_ns);
        m = &e->maps[mi];
        if (counting(e, h->ts_ns)) {
            m->ovf_alloc++;
            e->tot.ovf_alloc++;
        }
    } else {
        e->tot.unmatched[BS_UM_BAD_FIELD]++;
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
    struct bs_map *m = get_map(e, h->pid, p->map, h->ts_ns);
    uint32_t ai = bs_find_alloc(&e->ix, h->pid, p->addr);
    if (ai == BS_NONE || e->ix.allocs[ai].ovf_linked == 0) {
        e->tot.unmatched[BS_UM_WRITE_UNKNOWN_BUCKET]++;
        return m;
    }
    struct bs_map *owner = &e->maps[e->ix.allocs[ai].map];
    advance(e, &owner->g, h->ts_ns);
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
        e->tot.unmatched[ai == BS_NONE ? BS_UM_FREE_WITHOUT_ALLOC : BS_UM_FREE_INTERIOR]++;
        return NULL;
    }
    struct bs_alloc *a = &e->ix.allocs[ai];
    if (a->bytes != p->bytes) e->tot.unmatched[BS_UM_FREE_SIZE_MISMATCH]++;
    if (p->reason >= HMAP_ENUM_COUNT(free_reason) || p->kind >= HMAP_ENUM_COUNT(mem_kind))
        e->tot.unmatched[BS_UM_BAD_FIELD]++;
    struct bs_map *m = &e->maps[a->map];
    if (counting(e, h->ts_ns)) {
        if (a->kind == HMAP_MEM_ARRAY) {
            m->arrays_freed++;
            e->tot.arrays_freed++;
        } else {
            m->ovf_freed++;
            e->tot.ovf_freed++;
        }
    }
    drop_alloc(e, ai, h->ts_ns, BS_FREED, p->reason);
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
        e->tot.unmatched[BS_UM_WRITE_UNKNOWN_BUCKET]++;
        return NULL;
    }
    struct bs_alloc *a = &e->ix.allocs[ai];
    struct bs_map *m = &e->maps[a->map];
    advance(e, &m->g, t);
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
        if (!is_live(p->old_th)) e->tot.unmatched[BS_UM_DELETE_NOT_LIVE]++;
        if (b->pending & bit) {
            e->tot.unmatched[BS_UM_DELETE_PENDING]++;
            resolve(e, a, b, p->bucket, s, t, BS_UNRESOLVED, -1);
        }
        if (!b->pending) b->times = bs_pending_take(&e->ix);
        b->pending |= (uint8_t)bit;
        e->ix.pending[b->times].ns[s] = t;
        if (counting(e, t)) {
            e->tot.deletes++;
            m->deletes++;
        }
    } else if (p->cause == HMAP_TH_CLEAR && was && counting(e, t)) {
        e->tot.cleared++;
        m->cleared++;
    }
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
    e->tot.lost_events += p->count;
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
    struct bs_map *m = get_map(e, h->pid, p->map, h->ts_ns);
    m->growing = 1;
    m->B = p->new_B;
    if (counting(e, h->ts_ns)) m->grows++;
    if (p->kind >= HMAP_ENUM_COUNT(grow_kind)) e->tot.unmatched[BS_UM_BAD_FIELD]++;
    return m;
}

/* An evacuation moves entries but frees nothing: the slots it empties are
 * marked evacuated (not live, not deletes) by their own tophash writes. */
static struct bs_map *on_evacuate(struct bs_engine *e, const struct hmap_native_rec_header *h,
                                  const struct hmap_native_evacuate *p)
{
    struct bs_map *m = get_map(e, h->pid, p->map, h->ts_ns);
    if (bs_find_alloc(&e->ix, h->pid, p->old_addr) == BS_NONE)
        e->tot.unmatched[BS_UM_WRITE_UNKNOWN_BUCKET]++;
    if (counting(e, h->ts_ns)) {
        m->evacuations++;
        m->moved += (uint64_t)p->moved_x + p->moved_y;
    }
    return m;
}

static struct bs_map *on_grow_done(struct bs_engine *e, const struct hmap_native_rec_header *h,
                                   const struct hmap_native_grow_done *p)
{
    struct bs_map *m = get_map(e, h->pid, p->map, h->ts_ns);
    m->growing = 0;
    m->B = p->B;
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
    advance(e, &e->tot.all, t);
    struct bs_map *m = NULL;
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
    default:
        e->tot.unmatched[BS_UM_UNKNOWN_EVENT]++;
        break;
    }
    if (m) settle(e, &m->g, t);
    settle(e, &e->tot.all, t);
    e->tot.last_ns = t;
    e->tot.events++;
    if (t >= e->ts.next_sample) bs_timeseries_sample(&e->ts, t, e->tot.first_ns, &e->tot.all, 0);
    return 0;
}
