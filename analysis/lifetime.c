/*
 * lifetime.c — the lifetime engine (definitions in lifetime.h).
 *
 * State: maps (kept for the report), live allocations, and for every bucket
 * of a live allocation an 8-byte state (live slots, pending-delete mask) held
 * in a dense array owned by the allocation, so that a tophash write costs an
 * address-range lookup and a division, not a hash probe.  Pending-delete
 * times live in 64-byte blocks taken only while a bucket has pending deletes.
 * A bucket's state belongs to the allocation that contains it and dies with
 * it: that is what makes a bucket generation, and why an address the
 * allocator hands out again can never be mistaken for the old bucket.
 */
#include <stdlib.h>
#include <string.h>

#include "lifetime.h"

const char *const bs_outcome_name[BS_OUTCOMES] = {"reused", "freed", "retained", "unresolved"};
#define BS_UM_NAME_(sym, name, desc) name,
#define BS_UM_DESC_(sym, name, desc) desc,
const char *const bs_unmatched_name[BS_UM_COUNT] = {BS_UNMATCHED(BS_UM_NAME_)};
const char *const bs_unmatched_desc[BS_UM_COUNT] = {BS_UNMATCHED(BS_UM_DESC_)};

struct bs_bstate {   /* one bucket of a live allocation */
    uint8_t live;    /* live slots */
    uint8_t pending; /* slots with a pending delete */
    uint16_t unused;
    uint32_t times; /* pending block with the delete times, BS_NONE if none */
};

struct bs_pending {
    uint64_t ns[8]; /* delete time per slot; ns[0] links the free list */
};

/* The first 64 bytes hold what a tophash write touches, and records are
 * 128 bytes in a 64-byte aligned slab: one cache line per lookup. */
struct bs_alloc {
    uint64_t start, bytes;
    uint32_t pid, map;
    uint32_t nstates; /* buckets in the block: 2^B + preallocated, or 1 */
    uint32_t bucket_size;
    struct bs_bstate one;     /* the state of a one-bucket allocation */
    struct bs_bstate **chunk; /* nstates > 1: states in chunks, made when first touched */
    int64_t live_slots, tombstones;
    /* -- second cache line -- */
    uint32_t live_buckets; /* states with live > 0 */
    uint32_t nbuckets;     /* buckets in use from the start: 2^B (array) or 1 */
    uint32_t ovf_linked;   /* array: linked preallocated overflow buckets; overflow: 0/1 */
    uint32_t next_free;
    uint8_t kind, in_use;
} __attribute__((aligned(64)));
_Static_assert(sizeof(struct bs_alloc) == 128, "two cache lines per allocation record");

/* Bucket states come in chunks of up to BS_CHUNK, allocated when a bucket of
 * the chunk is first written, so state follows the buckets a trace touches,
 * not the sizes it claims.  The chunk tables of all live allocations are
 * capped (BS_MAX_CHUNKS, i.e. 2^35 buckets): a bigger claim is a corrupt
 * trace, counted as bad_field. */
static void oom(void);

#define BS_CHUNK_SHIFT 12
#define BS_CHUNK (1u << BS_CHUNK_SHIFT)
#define BS_MAX_CHUNKS (8u << 20)

static uint32_t nchunks(const struct bs_alloc *a)
{
    return (a->nstates + BS_CHUNK - 1) >> BS_CHUNK_SHIFT;
}

static uint32_t chunk_len(const struct bs_alloc *a, uint32_t c)
{
    uint32_t left = a->nstates - (c << BS_CHUNK_SHIFT);
    return left < BS_CHUNK ? left : BS_CHUNK;
}

/* State of bucket idx (< nstates) of a, made on first use. */
static struct bs_bstate *state_at(struct bs_engine *e, struct bs_alloc *a, uint32_t idx)
{
    if (a->nstates == 1) return &a->one;
    struct bs_bstate **c = &a->chunk[idx >> BS_CHUNK_SHIFT];
    if (!*c) {
        uint32_t n = chunk_len(a, idx >> BS_CHUNK_SHIFT);
        *c = malloc(n * sizeof(**c));
        if (!*c) oom();
        for (uint32_t i = 0; i < n; i++)
            (*c)[i] = (struct bs_bstate){0, 0, 0, BS_NONE};
        if ((e->nstates_live += n) > e->peak_states_live) e->peak_states_live = e->nstates_live;
    }
    return &(*c)[idx & (BS_CHUNK - 1)];
}

/* ---- small helpers --------------------------------------------------------- */

static void oom(void)
{
    fprintf(stderr, "bucketscope-report: out of memory\n");
    exit(1);
}

static void *grow_array(void *p, uint32_t *cap, size_t elem)
{
    if (*cap >= UINT32_MAX / 4) oom();
    uint32_t n = *cap ? *cap * 2 : 64;
    void *q = realloc(p, (size_t)n * elem);
    if (!q) oom();
    *cap = n;
    return q;
}

/* As grow_array, for elements that want 64-byte alignment (realloc gives 16). */
static void *grow_aligned(void *p, uint32_t *cap, size_t elem)
{
    if (*cap >= UINT32_MAX / 4) oom();
    uint32_t n = *cap ? *cap * 2 : 64;
    void *q = aligned_alloc(64, (size_t)n * elem);
    if (!q) oom();
    if (p) memcpy(q, p, (size_t)*cap * elem);
    free(p);
    *cap = n;
    return q;
}

static void put_or_die(struct bs_addr_table *t, uint32_t pid, uint64_t addr, uint32_t v)
{
    if (bs_addr_put(t, pid, addr, v) < 0) oom();
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
        (e)->all.field += (d);                                                                     \
    } while (0)

/* ---- maps ------------------------------------------------------------------ */

static uint32_t new_map(struct bs_engine *e, uint32_t pid, uint64_t addr, uint64_t t)
{
    uint32_t prev = bs_addr_get(&e->map_ix, pid, addr);
    if (e->nmaps == e->maps_cap) e->maps = grow_array(e->maps, &e->maps_cap, sizeof(*e->maps));
    struct bs_map *m = &e->maps[e->nmaps];
    memset(m, 0, sizeof(*m));
    m->pid = pid;
    m->addr = addr;
    m->seq = prev == BS_NONE ? 0 : e->maps[prev].seq + 1;
    m->created_ns = t;
    m->g.last_ns = t;
    put_or_die(&e->map_ix, pid, addr, e->nmaps);
    if (counting(e, t)) e->maps_created++;
    return e->nmaps++;
}

/* The map a record names; a map never announced is created on the spot
 * (the trace may have started after map_create) and counted. */
static struct bs_map *get_map(struct bs_engine *e, uint32_t pid, uint64_t addr, uint64_t t)
{
    uint32_t i = bs_addr_get(&e->map_ix, pid, addr);
    if (i == BS_NONE || e->maps[i].destroyed) {
        e->unmatched[BS_UM_UNKNOWN_MAP]++;
        i = new_map(e, pid, addr, t);
        e->maps[i].implicit = 1;
    }
    struct bs_map *m = &e->maps[i];
    advance(e, &m->g, t);
    return m;
}

/* ---- allocations ----------------------------------------------------------- */

static int array_cmp(const struct bs_engine *e, uint32_t ai, uint32_t pid, uint64_t addr)
{
    const struct bs_alloc *a = &e->allocs[ai];
    if (a->pid != pid) return a->pid < pid ? -1 : 1;
    return a->start < addr ? -1 : a->start > addr ? 1 : 0;
}

/* Position of the last array whose (pid, start) <= (pid, addr), or -1. */
static long array_floor(const struct bs_engine *e, uint32_t pid, uint64_t addr)
{
    long lo = 0, hi = (long)e->narrays - 1, found = -1;
    while (lo <= hi) {
        long mid = (lo + hi) / 2;
        if (array_cmp(e, e->arrays[mid], pid, addr) <= 0) {
            found = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return found;
}

static int contains(const struct bs_alloc *a, uint32_t pid, uint64_t addr)
{
    return a->pid == pid && addr >= a->start && addr - a->start < a->bytes;
}

/* The live allocation holding addr: a recent hit, the array whose range
 * covers it (few, searched in a sorted vector), or an exact start (overflow
 * buckets). */
static uint32_t find_alloc(struct bs_engine *e, uint32_t pid, uint64_t addr)
{
    if (e->last_alloc != BS_NONE && contains(&e->allocs[e->last_alloc], pid, addr))
        return e->last_alloc;
    uint32_t a = BS_NONE;
    long pos = array_floor(e, pid, addr);
    if (pos >= 0 && contains(&e->allocs[e->arrays[pos]], pid, addr))
        a = e->arrays[pos];
    else
        a = bs_addr_get(&e->alloc_ix, pid, addr);
    if (a != BS_NONE) e->last_alloc = a;
    return a;
}

/* The state of the bucket at addr, or NULL if addr is not a bucket of a live
 * allocation; *ai receives the allocation. */
static struct bs_bstate *find_bucket(struct bs_engine *e, uint32_t pid, uint64_t addr, uint32_t *ai)
{
    *ai = find_alloc(e, pid, addr);
    if (*ai == BS_NONE) return NULL;
    struct bs_alloc *a = &e->allocs[*ai];
    uint64_t off = addr - a->start, idx;
    if (a->nstates == 1)
        idx = 0;
    else if (off >> 32 == 0) /* the common case: a 32-bit division is cheaper */
        idx = (uint32_t)off / a->bucket_size;
    else
        idx = off / a->bucket_size;
    if (idx >= a->nstates || idx * a->bucket_size != off) return NULL;
    return state_at(e, a, (uint32_t)idx);
}

static uint32_t take_pending(struct bs_engine *e)
{
    if (e->pending_free == BS_NONE) {
        uint32_t old = e->pending_cap;
        e->pending = grow_array(e->pending, &e->pending_cap, sizeof(*e->pending));
        for (uint32_t i = e->pending_cap; i-- > old;) {
            e->pending[i].ns[0] = e->pending_free;
            e->pending_free = i;
        }
    }
    uint32_t i = e->pending_free;
    e->pending_free = (uint32_t)e->pending[i].ns[0];
    if (++e->npending_live > e->peak_pending_live) e->peak_pending_live = e->npending_live;
    return i;
}

static void give_pending(struct bs_engine *e, uint32_t i)
{
    e->pending[i].ns[0] = e->pending_free;
    e->pending_free = i;
    e->npending_live--;
}

static int lost_overlaps(const struct bs_engine *e, uint64_t from, uint64_t to)
{
    if (!e->nlost || e->lost[e->nlost - 1].last_ns < from) return 0;
    /* Spans are sorted and disjoint: find the first ending at or after from. */
    uint32_t lo = 0, hi = e->nlost;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (e->lost[mid].last_ns < from)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < e->nlost && e->lost[lo].first_ns <= to;
}

/* The pending delete of slot s in bucket b of allocation a ends with
 * `outcome` at t. */
static void resolve(struct bs_engine *e, struct bs_alloc *a, struct bs_bstate *b, uint64_t baddr,
                    unsigned s, uint64_t t, enum bs_outcome outcome, int free_reason)
{
    uint64_t td = e->pending[b->times].ns[s];
    b->pending &= (uint8_t) ~(1u << s);
    if (!b->pending) {
        give_pending(e, b->times);
        b->times = BS_NONE;
    }
    if (!counting(e, td)) return;
    struct bs_map *m = &e->maps[a->map];
    uint64_t lat = t >= td ? t - td : 0;
    e->outcome[outcome]++;
    m->outcome[outcome]++;
    switch (outcome) {
    case BS_REUSED:
        bs_hist_add(&e->reuse, lat);
        bs_hist_add(&e->resolved, lat);
        m->reuse_sum_ns += (double)lat;
        break;
    case BS_FREED:
        bs_hist_add(&e->freed, lat);
        bs_hist_add(&e->resolved, lat);
        m->free_sum_ns += (double)lat;
        break;
    case BS_RETAINED:
        bs_hist_add(&e->retained, lat);
        break;
    default:
        break;
    }
    int maybe = lost_overlaps(e, td, t);
    if (maybe) e->maybe_lost++;
    if (e->opt.on_delete) {
        struct bs_delete_row row = {m, baddr, s, td, t, outcome, free_reason, maybe};
        e->opt.on_delete(e->opt.ctx, &row);
    }
}

static void resolve_all(struct bs_engine *e, struct bs_alloc *a, struct bs_bstate *b,
                        uint64_t baddr, uint64_t t, enum bs_outcome outcome, int reason)
{
    for (unsigned s = 0; s < 8 && b->pending; s++)
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
    for (uint32_t c = 0; c < nchunks(a); c++) {
        struct bs_bstate *st = a->chunk[c];
        for (uint32_t i = 0; st && i < chunk_len(a, c); i++)
            if (st[i].pending) {
                uint64_t idx = ((uint64_t)c << BS_CHUNK_SHIFT) + i;
                resolve_all(e, a, &st[i], a->start + idx * a->bucket_size, t, outcome, reason);
            }
    }
}

static void free_states(struct bs_engine *e, struct bs_alloc *a)
{
    if (a->nstates == 1) {
        e->nstates_live--;
        return;
    }
    for (uint32_t c = 0; c < nchunks(a); c++)
        if (a->chunk[c]) {
            e->nstates_live -= chunk_len(a, c);
            free(a->chunk[c]);
        }
    e->nchunks_live -= nchunks(a);
    free(a->chunk);
    a->chunk = NULL;
}

/* Forget allocation ai: its pending deletes end with `outcome` at t, its
 * buckets and bytes leave the gauges. */
static void drop_alloc(struct bs_engine *e, uint32_t ai, uint64_t t, enum bs_outcome outcome,
                       int reason)
{
    struct bs_alloc *a = &e->allocs[ai];
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
    if (a->kind == HMAP_MEM_ARRAY) {
        long pos = array_floor(e, a->pid, a->start);
        if (pos >= 0 && e->arrays[pos] == ai) {
            memmove(&e->arrays[pos], &e->arrays[pos + 1],
                    (e->narrays - (uint32_t)pos - 1) * sizeof(uint32_t));
            e->narrays--;
        }
    } else {
        bs_addr_del(&e->alloc_ix, a->pid, a->start);
    }
    if (e->last_alloc == ai) e->last_alloc = BS_NONE;
    free_states(e, a);
    a->in_use = 0;
    a->next_free = e->alloc_free;
    e->alloc_free = ai;
    e->nallocs_live--;
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
        uint32_t old = find_alloc(e, pid, end ? start + bytes - 1 : start);
        if (old != BS_NONE) {
            e->unmatched[BS_UM_DOUBLE_ALLOC]++;
            drop_alloc(e, old, t, BS_UNRESOLVED, -1);
        }
    }
    uint32_t ai = e->alloc_free;
    if (ai == BS_NONE) {
        uint32_t oldcap = e->allocs_cap;
        e->allocs = grow_aligned(e->allocs, &e->allocs_cap, sizeof(*e->allocs));
        for (uint32_t i = e->allocs_cap; i-- > oldcap;) {
            e->allocs[i].next_free = e->alloc_free;
            e->allocs[i].in_use = 0;
            e->allocs[i].chunk = NULL;
            e->alloc_free = i;
        }
        ai = e->alloc_free;
    }
    struct bs_alloc *a = &e->allocs[ai];
    e->alloc_free = a->next_free;
    memset(a, 0, sizeof(*a));
    a->nstates = nstates;
    if (nstates > 1) {
        e->nchunks_live += nchunks(a);
        a->chunk = calloc(nchunks(a), sizeof(*a->chunk));
        if (!a->chunk) oom();
    } else {
        a->one = (struct bs_bstate){0, 0, 0, BS_NONE};
        if ((e->nstates_live += 1) > e->peak_states_live) e->peak_states_live = e->nstates_live;
    }
    a->start = start;
    a->bytes = bytes;
    a->pid = pid;
    a->map = mi;
    a->kind = kind;
    a->in_use = 1;
    a->nstates = nstates;
    a->bucket_size = bucket_size;
    e->nallocs_live++;
    struct bs_map *m = &e->maps[mi];
    GADD(e, m, bytes_held, bytes);
    if (kind == HMAP_MEM_ARRAY) {
        if (e->narrays == e->arrays_cap)
            e->arrays = grow_array(e->arrays, &e->arrays_cap, sizeof(uint32_t));
        long pos = array_floor(e, pid, start) + 1;
        memmove(&e->arrays[pos + 1], &e->arrays[pos],
                (e->narrays - (uint32_t)pos) * sizeof(uint32_t));
        e->arrays[pos] = ai;
        e->narrays++;
    } else {
        put_or_die(&e->alloc_ix, pid, start, ai);
    }
    return ai;
}

/* ---- event handlers ---------------------------------------------------------- */

static struct bs_map *on_map_create(struct bs_engine *e, const struct hmap_native_rec_header *h,
                                    const struct hmap_native_map_create *p)
{
    uint32_t i = bs_addr_get(&e->map_ix, h->pid, p->map);
    if (i != BS_NONE && !e->maps[i].destroyed) {
        e->unmatched[BS_UM_DOUBLE_CREATE]++;
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
    if (p->reclaim > HMAP_RECLAIM_SHRINK_ID) e->unmatched[BS_UM_BAD_FIELD]++;
    return m;
}

static struct bs_map *on_map_destroy(struct bs_engine *e, const struct hmap_native_rec_header *h,
                                     const struct hmap_native_map_destroy *p)
{
    struct bs_map *m = get_map(e, h->pid, p->map, h->ts_ns);
    m->destroyed = 1;
    m->destroyed_ns = h->ts_ns;
    if (counting(e, h->ts_ns)) e->maps_destroyed++;
    return m;
}

static struct bs_map *on_array_alloc(struct bs_engine *e, const struct hmap_native_rec_header *h,
                                     const struct hmap_native_bucket_array_alloc *p)
{
    struct bs_map *m = get_map(e, h->pid, p->map, h->ts_ns);
    uint64_t nb = p->nbuckets + p->nprealloc;
    if (!m->bucket_size && nb) m->bucket_size = (uint32_t)(p->bytes / nb);
    if (!p->nbuckets || p->nbuckets > (1u << 30) || nb > (1u << 30) || p->B > 63 ||
        !m->bucket_size || p->bytes < nb * m->bucket_size ||
        e->nchunks_live + ((nb + BS_CHUNK - 1) >> BS_CHUNK_SHIFT) > BS_MAX_CHUNKS) {
        e->unmatched[BS_UM_BAD_FIELD]++;
        return m;
    }
    uint32_t mi = (uint32_t)(m - e->maps);
    uint32_t ai = new_alloc(e, mi, h->pid, p->addr, p->bytes, HMAP_MEM_ARRAY, (uint32_t)nb,
                            m->bucket_size, h->ts_ns);
    m = &e->maps[mi];
    e->allocs[ai].nbuckets = (uint32_t)p->nbuckets;
    GADD(e, m, in_use_buckets, (int64_t)p->nbuckets);
    m->B = p->B;
    if (counting(e, h->ts_ns)) {
        m->arrays_alloc++;
        e->arrays_alloc++;
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
        ai = find_alloc(e, h->pid, p->addr);
        if (ai == BS_NONE || e->allocs[ai].kind != HMAP_MEM_ARRAY) {
            e->unmatched[BS_UM_WRITE_UNKNOWN_BUCKET]++;
            return m;
        }
    } else if (p->source == HMAP_OVF_ALLOCATOR && p->bytes) {
        uint32_t mi = (uint32_t)(m - e->maps);
        ai = new_alloc(e, mi, h->pid, p->addr, p->bytes, HMAP_MEM_OVERFLOW, 1, p->bytes, h->ts_ns);
        m = &e->maps[mi];
        if (counting(e, h->ts_ns)) {
            m->ovf_alloc++;
            e->ovf_alloc++;
        }
    } else {
        e->unmatched[BS_UM_BAD_FIELD]++;
        return m;
    }
    e->allocs[ai].ovf_linked++;
    GADD(e, m, in_use_buckets, 1);
    GADD(e, m, ovf_buckets, 1);
    return m;
}

static struct bs_map *on_overflow_unlink(struct bs_engine *e,
                                         const struct hmap_native_rec_header *h,
                                         const struct hmap_native_overflow_unlink *p)
{
    struct bs_map *m = get_map(e, h->pid, p->map, h->ts_ns);
    uint32_t ai = find_alloc(e, h->pid, p->addr);
    if (ai == BS_NONE || e->allocs[ai].ovf_linked == 0) {
        e->unmatched[BS_UM_WRITE_UNKNOWN_BUCKET]++;
        return m;
    }
    struct bs_map *owner = &e->maps[e->allocs[ai].map];
    advance(e, &owner->g, h->ts_ns);
    e->allocs[ai].ovf_linked--;
    GADD(e, owner, in_use_buckets, -1);
    GADD(e, owner, ovf_buckets, -1);
    return owner;
}

static struct bs_map *on_bucket_free(struct bs_engine *e, const struct hmap_native_rec_header *h,
                                     const struct hmap_native_bucket_free *p)
{
    uint32_t ai = find_alloc(e, h->pid, p->addr);
    if (ai == BS_NONE || e->allocs[ai].start != p->addr) {
        e->unmatched[ai == BS_NONE ? BS_UM_FREE_WITHOUT_ALLOC : BS_UM_FREE_INTERIOR]++;
        return NULL;
    }
    struct bs_alloc *a = &e->allocs[ai];
    if (a->bytes != p->bytes) e->unmatched[BS_UM_FREE_SIZE_MISMATCH]++;
    if (p->reason > HMAP_FREE_SHRINK || p->kind > HMAP_MEM_OVERFLOW)
        e->unmatched[BS_UM_BAD_FIELD]++;
    struct bs_map *m = &e->maps[a->map];
    if (counting(e, h->ts_ns)) {
        if (a->kind == HMAP_MEM_ARRAY) {
            m->arrays_freed++;
            e->arrays_freed++;
        } else {
            m->ovf_freed++;
            e->ovf_freed++;
        }
    }
    drop_alloc(e, ai, h->ts_ns, BS_FREED, p->reason);
    return m;
}

/* The heart of the engine: one tophash byte changed. */
static struct bs_map *on_tophash(struct bs_engine *e, const struct hmap_native_rec_header *h,
                                 const struct hmap_native_tophash_write *p)
{
    uint64_t t = h->ts_ns;
    if (p->slot > 7 || p->cause > HMAP_TH_CLEAR) {
        e->unmatched[BS_UM_BAD_FIELD]++;
        return NULL;
    }
    uint32_t ai;
    struct bs_bstate *b = find_bucket(e, h->pid, p->bucket, &ai);
    if (!b) {
        e->unmatched[BS_UM_WRITE_UNKNOWN_BUCKET]++;
        return NULL;
    }
    struct bs_alloc *a = &e->allocs[ai];
    struct bs_map *m = &e->maps[a->map];
    advance(e, &m->g, t);
    int was = p->old_th >= 5, is = p->new_th >= 5;
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
        if (!(p->old_th >= 5)) e->unmatched[BS_UM_DELETE_NOT_LIVE]++;
        if (b->pending & bit) {
            e->unmatched[BS_UM_DELETE_PENDING]++;
            resolve(e, a, b, p->bucket, s, t, BS_UNRESOLVED, -1);
        }
        if (!b->pending) b->times = take_pending(e);
        b->pending |= (uint8_t)bit;
        e->pending[b->times].ns[s] = t;
        if (counting(e, t)) {
            e->deletes++;
            m->deletes++;
        }
    } else if (p->cause == HMAP_TH_CLEAR && was && counting(e, t)) {
        e->cleared++;
        m->cleared++;
    }
    if ((p->new_th == 1) != (p->old_th == 1)) {
        int d = p->new_th == 1 ? 1 : -1;
        if (d > 0 || a->tombstones > 0) {
            a->tombstones += d;
            GADD(e, m, tombstones, d);
        }
    }
    return m;
}

/* Lost records: count, and remember the span they may have touched, merged
 * with the previous span when they overlap so the list stays sorted. */
static void on_lost(struct bs_engine *e, const struct hmap_native_rec_header *h,
                    const struct hmap_native_lost *p)
{
    e->lost_records++;
    e->lost_events += p->count;
    uint64_t first = p->first_ns, last = p->last_ns;
    if (!first && !last) {
        first = e->last_ns;
        last = h->ts_ns;
    }
    if (last < first) last = first;
    if (e->nlost && first <= e->lost[e->nlost - 1].last_ns) {
        struct bs_lost_span *sp = &e->lost[e->nlost - 1];
        if (first < sp->first_ns) sp->first_ns = first;
        if (last > sp->last_ns) sp->last_ns = last;
        return;
    }
    if (e->nlost == e->lost_cap) e->lost = grow_array(e->lost, &e->lost_cap, sizeof(*e->lost));
    e->lost[e->nlost++] = (struct bs_lost_span){first, last};
}

/* ---- samples for the SVG curves --------------------------------------------- */

/* Keep at most BS_MAX_SAMPLES global samples: when full, drop every other one
 * and double the tick, so the curve covers the whole trace at even spacing. */
static void sample(struct bs_engine *e, uint64_t t, int force)
{
    if (!force && t < e->next_sample) return;
    if (e->nsamples == BS_MAX_SAMPLES) {
        for (uint32_t i = 0; i < BS_MAX_SAMPLES / 2; i++)
            e->samples[i] = e->samples[2 * i + 1];
        e->nsamples = BS_MAX_SAMPLES / 2;
        if (e->sample_tick < UINT64_MAX / 4) e->sample_tick *= 2;
    }
    e->samples[e->nsamples++] =
        (struct bs_sample){t, e->all.bytes_held, e->all.live_bytes8 / 8, bs_empty_bytes(&e->all)};
    uint64_t base = t - (t - e->first_ns) % e->sample_tick;
    e->next_sample = base > UINT64_MAX - e->sample_tick ? UINT64_MAX : base + e->sample_tick;
}

/* Timeline ticks up to t.  Nothing changes between two events, so across a
 * gap of more than BS_MAX_TICK_GAP ticks only the first and the last tick
 * are emitted: a stalled or bogus timestamp cannot flood the output. */
#define BS_MAX_TICK_GAP 10000
static void ticks(struct bs_engine *e, uint64_t t)
{
    uint64_t tick = e->opt.tick_ns;
    if (t < e->next_tick) return;
    if ((t - e->next_tick) / tick > BS_MAX_TICK_GAP) {
        e->opt.on_tick(e->opt.ctx, e->next_tick);
        e->next_tick += (t - e->next_tick) / tick * tick;
    }
    while (t >= e->next_tick) {
        e->opt.on_tick(e->opt.ctx, e->next_tick);
        if (e->next_tick > UINT64_MAX - tick) { /* the clock ran out: no more ticks */
            e->opt.on_tick = NULL;
            return;
        }
        e->next_tick += tick;
    }
}

/* ---- public ------------------------------------------------------------------ */

struct bs_engine *bs_engine_new(const struct bs_engine_opts *opt)
{
    struct bs_engine *e = calloc(1, sizeof(*e));
    if (!e) return NULL;
    e->opt = *opt;
    bs_addr_table_init(&e->map_ix);
    bs_addr_table_init(&e->alloc_ix);
    e->alloc_free = e->pending_free = e->last_alloc = BS_NONE;
    e->sample_tick = opt->sample_tick_ns ? opt->sample_tick_ns : 1000;
    return e;
}

void bs_engine_free(struct bs_engine *e)
{
    if (!e) return;
    bs_hist_free(&e->reuse);
    bs_hist_free(&e->freed);
    bs_hist_free(&e->retained);
    bs_hist_free(&e->resolved);
    bs_addr_table_free(&e->map_ix);
    bs_addr_table_free(&e->alloc_ix);
    for (uint32_t i = 0; i < e->allocs_cap; i++)
        if (e->allocs[i].in_use) free_states(e, &e->allocs[i]);
    free(e->maps);
    free(e->allocs);
    free(e->arrays);
    free(e->pending);
    free(e->lost);
    free(e);
}

size_t bs_engine_state_bytes(const struct bs_engine *e)
{
    return bs_addr_table_bytes(&e->map_ix) + bs_addr_table_bytes(&e->alloc_ix) +
           (size_t)e->maps_cap * sizeof(struct bs_map) +
           (size_t)e->allocs_cap * sizeof(struct bs_alloc) + (size_t)e->arrays_cap * 4 +
           (size_t)e->nstates_live * sizeof(struct bs_bstate) +
           (size_t)e->pending_cap * sizeof(struct bs_pending) +
           (size_t)e->lost_cap * sizeof(struct bs_lost_span);
}

void bs_engine_feed(struct bs_engine *e, const struct hmap_native_rec_header *h)
{
    const void *payload = h + 1;
    struct hmap_native_rec_header fixed;
    if (h->id == HMAP_NATIVE_LOST_ID) {
        /* Not an event: a span of missing ones, written when the producer could
         * (possibly after later records), so it does not move the clock. */
        on_lost(e, h, payload);
        return;
    }
    if (!e->started) {
        e->started = 1;
        e->first_ns = e->last_ns = h->ts_ns;
        e->all.last_ns = h->ts_ns;
        e->next_tick = h->ts_ns + e->opt.tick_ns;
        e->next_sample = h->ts_ns;
    }
    if (h->ts_ns < e->last_ns) {
        /* Applied at the latest time so that no latency is negative. */
        e->unmatched[BS_UM_OUT_OF_ORDER]++;
        fixed = *h;
        fixed.ts_ns = e->last_ns;
        h = &fixed;
    }
    if (e->opt.until_ns && h->ts_ns >= e->opt.until_ns) {
        e->past_until = 1;
        return;
    }
    uint64_t t = h->ts_ns;
    if (e->opt.tick_ns && e->opt.on_tick) ticks(e, t);
    advance(e, &e->all, t);
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
    case HMAP_EV_grow_start: {
        const struct hmap_native_grow_start *p = payload;
        m = get_map(e, h->pid, p->map, t);
        m->growing = 1;
        m->B = p->new_B;
        if (counting(e, t)) m->grows++;
        if (p->kind > HMAP_GROW_SHRINK) e->unmatched[BS_UM_BAD_FIELD]++;
        break;
    }
    case HMAP_EV_evacuate: {
        const struct hmap_native_evacuate *p = payload;
        m = get_map(e, h->pid, p->map, t);
        if (find_alloc(e, h->pid, p->old_addr) == BS_NONE)
            e->unmatched[BS_UM_WRITE_UNKNOWN_BUCKET]++;
        if (counting(e, t)) {
            m->evacuations++;
            m->moved += (uint64_t)p->moved_x + p->moved_y;
        }
        break;
    }
    case HMAP_EV_grow_done: {
        const struct hmap_native_grow_done *p = payload;
        m = get_map(e, h->pid, p->map, t);
        m->growing = 0;
        m->B = p->B;
        break;
    }
    case HMAP_EV_overflow_unlink:
        m = on_overflow_unlink(e, h, payload);
        break;
    case HMAP_EV_bucket_free:
        m = on_bucket_free(e, h, payload);
        break;
    default:
        e->unmatched[BS_UM_UNKNOWN_EVENT]++;
        break;
    }
    if (m) settle(e, &m->g, t);
    settle(e, &e->all, t);
    e->last_ns = t;
    e->events++;
    if (t >= e->next_sample) sample(e, t, 0);
}

void bs_engine_finish(struct bs_engine *e)
{
    uint64_t end = e->past_until ? e->opt.until_ns : e->last_ns;
    size_t state = bs_engine_state_bytes(e);
    if (state > e->peak_state_bytes) e->peak_state_bytes = state;
    advance(e, &e->all, end);
    for (uint32_t i = 0; i < e->nmaps; i++)
        advance(e, &e->maps[i].g, e->maps[i].destroyed ? e->maps[i].g.last_ns : end);
    /* Every delete still pending: retained, aged at the end. */
    for (uint32_t ai = 0; ai < e->allocs_cap; ai++) {
        struct bs_alloc *a = &e->allocs[ai];
        if (!a->in_use) continue;
        resolve_pending(e, a, end, BS_RETAINED, -1);
    }
    if (e->started) sample(e, end, 1);
    e->last_ns = end;
    bs_hist_seal(&e->reuse);
    bs_hist_seal(&e->freed);
    bs_hist_seal(&e->retained);
    bs_hist_seal(&e->resolved);
}

static size_t hist_bytes(const struct bs_engine *e)
{
    const struct bs_hist *h[] = {&e->reuse, &e->freed, &e->retained, &e->resolved};
    size_t n = 0;
    for (int i = 0; i < 4; i++)
        n += sizeof(*h[i]) + (size_t)h[i]->exact_cap * sizeof(uint64_t);
    return n;
}

size_t bs_engine_peak_state_bytes(const struct bs_engine *e)
{
    return bs_addr_table_bytes(&e->map_ix) + bs_addr_table_bytes(&e->alloc_ix) +
           (size_t)e->maps_cap * sizeof(struct bs_map) +
           (size_t)e->allocs_cap * sizeof(struct bs_alloc) + (size_t)e->arrays_cap * 4 +
           (size_t)e->peak_states_live * sizeof(struct bs_bstate) +
           (size_t)e->peak_pending_live * sizeof(struct bs_pending) +
           (size_t)e->nchunks_live * sizeof(struct bs_bstate *) + hist_bytes(e) +
           (size_t)e->lost_cap * sizeof(struct bs_lost_span);
}
