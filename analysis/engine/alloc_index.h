/* SPDX-License-Identifier: MIT */
/*
 * alloc_index.h — the live allocations of the traced processes and the state
 * of their buckets, found by address.
 *
 * Every bucket of a live allocation has an 8-byte state (live slots,
 * pending-delete mask) held in a dense array owned by the allocation, so that
 * a tophash write costs an address-range lookup and a division, not a hash
 * probe.  Pending-delete times live in 64-byte blocks taken only while a
 * bucket has pending deletes.  A bucket's state belongs to the allocation
 * that contains it and dies with it: that is what makes a bucket generation,
 * and why an address the allocator hands out again can never be mistaken for
 * the old bucket.
 *
 * Lookups (bs_find_alloc, bs_find_bucket) run for nearly every event and are
 * inline; taking and releasing allocations is in alloc_index.c.  What the
 * allocations mean (gauges, pending deletes) is lifetime_rules.c's business.
 */
#ifndef BS_ALLOC_INDEX_H
#define BS_ALLOC_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "addr_table.h"

/* Slots per bucket (Go's bucketCnt, docs/go-map-model.md §1; the schema
 * carries slot indices only): the pending mask is one bit per slot. */
#define BS_BUCKET_SLOTS 8

struct bs_bstate {   /* one bucket of a live allocation */
    uint8_t live;    /* live slots */
    uint8_t pending; /* slots with a pending delete */
    uint16_t unused;
    uint32_t times; /* pending block with the delete times, BS_NONE if none */
};
_Static_assert(BS_BUCKET_SLOTS <= 8 * sizeof(((struct bs_bstate *)0)->pending),
               "one pending bit per slot");

struct bs_pending {
    uint64_t ns[BS_BUCKET_SLOTS]; /* delete time per slot; ns[0] links the free list */
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
    uint8_t pre;     /* taken while its map's state was unknown, not yet listed by a dump */
    uint8_t adopted; /* known before its map's dump listed it: the dump's slots are not applied */
} __attribute__((aligned(64)));
_Static_assert(sizeof(struct bs_alloc) == 128, "two cache lines per allocation record");

/* Bucket states come in chunks of up to BS_CHUNK, allocated when a bucket of
 * the chunk is first written, so state follows the buckets a trace touches,
 * not the sizes it claims.  The chunk tables of all live allocations are
 * capped (BS_MAX_CHUNKS, i.e. 2^35 buckets): a bigger claim is a corrupt
 * trace (bs_alloc_index_room says no). */
#define BS_CHUNK_SHIFT 12
#define BS_CHUNK (1u << BS_CHUNK_SHIFT)
#define BS_MAX_CHUNKS (8u << 20)

struct bs_alloc_index {
    /* allocations: a slab with a free list, found through two indexes */
    struct bs_alloc *allocs;
    uint32_t allocs_cap, alloc_free, nallocs_live;
    struct bs_addr_table by_start; /* overflow buckets: (pid, start) -> alloc */
    uint32_t *arrays;              /* live array allocs sorted by (pid, start) */
    uint32_t narrays, arrays_cap;
    uint32_t last_alloc; /* one-entry lookup cache */
    /* pending-delete times, one block per bucket with pending deletes */
    struct bs_pending *pending;
    uint32_t pending_cap, pending_free, npending_live, peak_pending_live;
    uint64_t nstates_live, peak_states_live; /* bucket states of live allocations */
    uint64_t nchunks_live;                   /* entries of their chunk tables */
};

void bs_alloc_index_init(struct bs_alloc_index *ix);
void bs_alloc_index_free(struct bs_alloc_index *ix);
/* 1 if an allocation of nstates buckets keeps the chunk tables under their cap. */
int bs_alloc_index_room(const struct bs_alloc_index *ix, uint64_t nstates);
/* A new live allocation record, indexed (arrays by range, others by start),
 * with every bucket state empty; the caller has made sure it overlaps no
 * live one.  Returns its index; the slab may move. */
uint32_t bs_alloc_take(struct bs_alloc_index *ix, uint32_t map, uint32_t pid, uint64_t start,
                       uint64_t bytes, uint8_t kind, uint32_t nstates, uint32_t bucket_size);
/* Forget allocation ai: out of the indexes, its states freed, its record
 * back on the free list. */
void bs_alloc_release(struct bs_alloc_index *ix, uint32_t ai);
/* Bytes held now by the slabs, indexes and live states. */
size_t bs_alloc_index_bytes(const struct bs_alloc_index *ix);
/* The same at the peaks of live states and pending blocks. */
size_t bs_alloc_index_peak_bytes(const struct bs_alloc_index *ix);

/* Cold halves of the inline functions below. */
struct bs_bstate *bs_alloc_new_chunk(struct bs_alloc_index *ix, struct bs_alloc *a, uint32_t c);
void bs_pending_grow(struct bs_alloc_index *ix);

static inline uint32_t bs_alloc_nchunks(const struct bs_alloc *a)
{
    return (a->nstates + BS_CHUNK - 1) >> BS_CHUNK_SHIFT;
}

static inline uint32_t bs_alloc_chunk_len(const struct bs_alloc *a, uint32_t c)
{
    uint32_t left = a->nstates - (c << BS_CHUNK_SHIFT);
    return left < BS_CHUNK ? left : BS_CHUNK;
}

/* State of bucket idx (< nstates) of a, made on first use. */
static inline struct bs_bstate *bs_state_at(struct bs_alloc_index *ix, struct bs_alloc *a,
                                            uint32_t idx)
{
    if (a->nstates == 1) return &a->one;
    struct bs_bstate *c = a->chunk[idx >> BS_CHUNK_SHIFT];
    if (!c) c = bs_alloc_new_chunk(ix, a, idx >> BS_CHUNK_SHIFT);
    return &c[idx & (BS_CHUNK - 1)];
}

static inline int bs_array_cmp(const struct bs_alloc_index *ix, uint32_t ai, uint32_t pid,
                               uint64_t addr)
{
    const struct bs_alloc *a = &ix->allocs[ai];
    if (a->pid != pid) return a->pid < pid ? -1 : 1;
    return a->start < addr ? -1 : a->start > addr ? 1 : 0;
}

/* Position of the last array whose (pid, start) <= (pid, addr), or -1. */
static inline long bs_array_floor(const struct bs_alloc_index *ix, uint32_t pid, uint64_t addr)
{
    long lo = 0, hi = (long)ix->narrays - 1, found = -1;
    while (lo <= hi) {
        long mid = (lo + hi) / 2;
        if (bs_array_cmp(ix, ix->arrays[mid], pid, addr) <= 0) {
            found = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return found;
}

static inline int bs_alloc_contains(const struct bs_alloc *a, uint32_t pid, uint64_t addr)
{
    return a->pid == pid && addr >= a->start && addr - a->start < a->bytes;
}

/* The live allocation holding addr: a recent hit, the array whose range
 * covers it (few, searched in a sorted vector), or an exact start (overflow
 * buckets).  BS_NONE if none. */
static inline uint32_t bs_find_alloc(struct bs_alloc_index *ix, uint32_t pid, uint64_t addr)
{
    if (ix->last_alloc != BS_NONE && bs_alloc_contains(&ix->allocs[ix->last_alloc], pid, addr))
        return ix->last_alloc;
    uint32_t a = BS_NONE;
    long pos = bs_array_floor(ix, pid, addr);
    if (pos >= 0 && bs_alloc_contains(&ix->allocs[ix->arrays[pos]], pid, addr))
        a = ix->arrays[pos];
    else
        a = bs_addr_get(&ix->by_start, pid, addr);
    if (a != BS_NONE) ix->last_alloc = a;
    return a;
}

/* The state of the bucket at addr, or NULL if addr is not a bucket of a live
 * allocation; *ai receives the allocation. */
static inline struct bs_bstate *bs_find_bucket(struct bs_alloc_index *ix, uint32_t pid,
                                               uint64_t addr, uint32_t *ai)
{
    *ai = bs_find_alloc(ix, pid, addr);
    if (*ai == BS_NONE) return NULL;
    struct bs_alloc *a = &ix->allocs[*ai];
    uint64_t off = addr - a->start, idx;
    if (a->nstates == 1)
        idx = 0;
    else if (off >> 32 == 0) /* the common case: a 32-bit division is cheaper */
        idx = (uint32_t)off / a->bucket_size;
    else
        idx = off / a->bucket_size;
    if (idx >= a->nstates || idx * a->bucket_size != off) return NULL;
    return bs_state_at(ix, a, (uint32_t)idx);
}

/* A pending block for a bucket that gets its first pending delete. */
static inline uint32_t bs_pending_take(struct bs_alloc_index *ix)
{
    if (ix->pending_free == BS_NONE) bs_pending_grow(ix);
    uint32_t i = ix->pending_free;
    ix->pending_free = (uint32_t)ix->pending[i].ns[0];
    if (++ix->npending_live > ix->peak_pending_live) ix->peak_pending_live = ix->npending_live;
    return i;
}

static inline void bs_pending_give(struct bs_alloc_index *ix, uint32_t i)
{
    ix->pending[i].ns[0] = ix->pending_free;
    ix->pending_free = i;
    ix->npending_live--;
}

#endif /* BS_ALLOC_INDEX_H */
