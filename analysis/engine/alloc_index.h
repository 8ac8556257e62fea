/* SPDX-License-Identifier: MIT */
/*
 * alloc_index.h — the live allocations of the traced processes and the state
 * of their buckets, found by address.
 *
 * Every bucket of a live allocation that the trace has written to has an
 * 8-byte state (live slots, pending-delete mask), in leaves of 16 buckets
 * taken at the first write: an allocation that writes many of its buckets
 * finds them through a dense table (an address-range lookup and a division,
 * no hash probe), one that claims many buckets and writes few through a
 * hash, so that memory follows what the trace wrote.  Pending-delete times
 * live in blocks of 1 to 8 times, 8 bytes each, taken only while a bucket
 * has pending deletes.  An allocation is one 64-byte record (a bucket array
 * has a second, struct bs_array).  A bucket's state belongs to the
 * allocation that contains it and dies with it: that is what makes a bucket
 * generation, and why an address the allocator hands out again can never
 * be mistaken for the old bucket.
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
#include "hmap_events.h"

/* Slots per bucket (Go's bucketCnt, docs/go-map-model.md §1; the schema
 * carries slot indices only): the pending mask is one bit per slot. */
#define BS_BUCKET_SLOTS 8

struct bs_bstate {   /* one bucket of a live allocation */
    uint8_t live;    /* live slots */
    uint8_t pending; /* slots with a pending delete */
    uint16_t unused;
    uint32_t times; /* pending block with the delete times (BS_PEND_*), BS_NONE if none */
};
_Static_assert(BS_BUCKET_SLOTS <= 8 * sizeof(((struct bs_bstate *)0)->pending),
               "one pending bit per slot");

/* The delete times of a bucket's pending slots, packed in slot order (the
 * time of slot s at the number of pending slots below s) in a block of
 * 1, 2, 4 or 8 times: a bucket pays 8 bytes per pending delete, less than
 * three times that while its count falls (a block moves to the next size
 * up when full, down only when a quarter full, so that a slot deleted and
 * reused in turn moves nothing).  A block is named by its class (the
 * log2 of its size) in the top bits of bs_bstate.times and its number in
 * the class's slab below. */
#define BS_PEND_CLASSES 4
#define BS_PEND_SHIFT 30
#define BS_PEND_CLASS(times) ((times) >> BS_PEND_SHIFT)
#define BS_PEND_BLOCK(times) ((times) & ((1u << BS_PEND_SHIFT) - 1))
_Static_assert(1u << (BS_PEND_CLASSES - 1) == BS_BUCKET_SLOTS, "the largest block holds a bucket");
struct bs_pend_slab {
    uint64_t *ns;       /* blocks of 1 << class times; a free block's first links the free list */
    uint32_t cap, free; /* blocks, first free one */
};

/* Bucket states come in leaves of BS_LEAF buckets, made when a bucket of the
 * leaf is first written, so that state follows the buckets a trace touches,
 * not the sizes it claims: one write costs at most one leaf (136 bytes).  An
 * allocation finds its leaves through a dense table of leaf indices once it
 * has touched at least 1/BS_DENSE_RATIO of them (the table then costs at
 * most 128 bytes per leaf touched, less than the leaves), and before that
 * through the index's hash of (allocation, leaf number): a claimed 2^30
 * buckets with a handful written costs a handful of leaves. */
#define BS_LEAF_SHIFT 4
#define BS_LEAF (1u << BS_LEAF_SHIFT)
#define BS_DENSE_RATIO 32

struct bs_leaf {
    uint32_t next;  /* the allocation's next leaf, or the free list; BS_NONE ends */
    uint32_t chunk; /* leaf number in its allocation: buckets chunk * BS_LEAF.. */
    struct bs_bstate st[BS_LEAF];
};

/* One cache line per allocation: what a tophash write of any bucket
 * touches.  What only bucket arrays need -- their place in the tree, their
 * leaves, sizes -- is their struct bs_array, so that the many one-bucket
 * overflow allocations of a churning map cost 64 bytes each. */
struct bs_alloc {
    uint64_t start, bytes;
    uint32_t pid;
    union {
        uint32_t map;       /* in use: its map */
        uint32_t next_free; /* on the free list */
    };
    uint32_t nstates; /* buckets in the block: 2^B + preallocated, or 1 */
    uint8_t kind, in_use;
    uint8_t pre;     /* taken while its map's state was unknown, not yet listed by a dump */
    uint8_t adopted; /* known before its map's dump listed it: the dump's slots are not applied */
    union {
        struct bs_bstate one; /* not an array: the state of its one bucket */
        uint32_t arr;         /* an array: its struct bs_array */
    };
    int64_t live_slots, tombstones;
    uint32_t live_buckets; /* states with live > 0 */
    uint32_t ovf_linked;   /* array: linked preallocated overflow buckets; overflow: 0/1 */
} __attribute__((aligned(64)));
_Static_assert(sizeof(struct bs_alloc) == 64, "one cache line per allocation record");

/* A live bucket array: a node of the tree of arrays by (pid, start), with
 * the key copied so that a walk reads only these records, and its leaves. */
struct bs_array {
    uint64_t start;
    uint32_t pid;
    uint32_t ai;              /* its allocation; on the free list, the next free record */
    uint32_t left, right;     /* children in the tree */
    uint32_t *leaf_of;        /* dense: leaf index by leaf number (BS_NONE: untouched) */
    uint32_t leaves, nleaves; /* its leaves, linked through next; how many */
    uint32_t nbuckets;        /* buckets in use from the start: 2^B */
    uint32_t bucket_size;
    struct bs_bstate one; /* the state of a one-bucket array (nstates 1) */
    uint8_t height;       /* of its subtree, 1 for a leaf of the tree */
};

struct bs_alloc_index {
    /* allocations: a slab with a free list, found through two indexes */
    struct bs_alloc *allocs;
    uint32_t allocs_cap, alloc_free, nallocs_live;
    struct bs_addr_table by_start; /* overflow buckets: (pid, start) -> alloc */
    /* Live array allocations: an AVL tree of struct bs_array by (pid,
     * start), so that taking, releasing and finding one is O(log n) whatever
     * the order of the addresses (mmap hands large blocks out top-down). */
    struct bs_array *arr;
    uint32_t arr_cap, arr_free;
    uint32_t arrays_root, narrays;
    uint32_t last_alloc; /* one-entry lookup cache */
    /* bucket states: a slab of leaves with a free list; the leaves of
     * allocations without a dense table by (pid = alloc, addr = leaf number) */
    struct bs_leaf *leaf;
    uint32_t leaf_cap, leaf_free;
    struct bs_addr_table leaf_ix;
    uint32_t *scratch; /* one allocation's leaves in order (bs_alloc_leaves) */
    uint32_t scratch_cap;
    /* pending-delete times, one block per bucket with pending deletes */
    struct bs_pend_slab pend[BS_PEND_CLASSES];
    uint32_t npending_live, peak_pending_live; /* blocks in use */
    uint64_t pend_bytes_live, peak_pend_bytes; /* their bytes */
    uint64_t nstates_live, peak_states_live;   /* bucket states in leaves (and one-bucket states) */
    uint64_t dense_live;                       /* entries of the dense tables */
};

void bs_alloc_index_init(struct bs_alloc_index *ix);
void bs_alloc_index_free(struct bs_alloc_index *ix);
/* A new live allocation record, indexed (arrays by range, others by start),
 * with every bucket state empty; the caller has made sure it overlaps no
 * live one.  Returns its index; the slab may move. */
uint32_t bs_alloc_take(struct bs_alloc_index *ix, uint32_t map, uint32_t pid, uint64_t start,
                       uint64_t bytes, uint8_t kind, uint32_t nstates, uint32_t bucket_size);
/* The buckets an array allocation ai uses from the start (2^B). */
void bs_alloc_set_nbuckets(struct bs_alloc_index *ix, uint32_t ai, uint32_t nbuckets);
/* Forget allocation ai: out of the indexes, its states freed, its record
 * back on the free list. */
void bs_alloc_release(struct bs_alloc_index *ix, uint32_t ai);
/* The leaves of allocation a (nstates > 1) by ascending leaf number, in a
 * buffer of the index valid until the next call; *n receives the count. */
const uint32_t *bs_alloc_leaves(struct bs_alloc_index *ix, const struct bs_alloc *a, uint32_t *n);
/* Bytes held now by the slabs, indexes and live states. */
size_t bs_alloc_index_bytes(const struct bs_alloc_index *ix);
/* The same at the peaks of live states and pending blocks. */
size_t bs_alloc_index_peak_bytes(const struct bs_alloc_index *ix);

/* Cold halves of the inline functions below. */
struct bs_bstate *bs_alloc_new_leaf(struct bs_alloc_index *ix, uint32_t ai, uint32_t c);

/* Slot s of b (not pending) gets a pending delete at t. */
void bs_pending_add(struct bs_alloc_index *ix, struct bs_bstate *b, unsigned s, uint64_t t);
/* Slot s of b (pending) loses its pending delete; its time. */
uint64_t bs_pending_remove(struct bs_alloc_index *ix, struct bs_bstate *b, unsigned s);

static inline uint32_t bs_alloc_nleaves_max(const struct bs_alloc *a)
{
    return (a->nstates + BS_LEAF - 1) >> BS_LEAF_SHIFT;
}

/* Buckets of leaf c of a: BS_LEAF but for a short last one. */
static inline uint32_t bs_leaf_len(const struct bs_alloc *a, uint32_t c)
{
    uint32_t left = a->nstates - (c << BS_LEAF_SHIFT);
    return left < BS_LEAF ? left : BS_LEAF;
}

static inline int bs_alloc_is_array(const struct bs_alloc *a)
{
    return a->kind == HMAP_MEM_ARRAY;
}

/* The state of a one-bucket allocation (nstates 1). */
static inline struct bs_bstate *bs_alloc_one(struct bs_alloc_index *ix, struct bs_alloc *a)
{
    return bs_alloc_is_array(a) ? &ix->arr[a->arr].one : &a->one;
}

/* Buckets in use from the start: 2^B for an array, 0 for an overflow
 * bucket (counted by ovf_linked). */
static inline uint32_t bs_alloc_nbuckets(const struct bs_alloc_index *ix, const struct bs_alloc *a)
{
    return bs_alloc_is_array(a) ? ix->arr[a->arr].nbuckets : 0;
}

/* Bytes of one bucket of a (nstates > 1: an array). */
static inline uint32_t bs_alloc_bucket_size(const struct bs_alloc_index *ix,
                                            const struct bs_alloc *a)
{
    return ix->arr[a->arr].bucket_size;
}

/* State of bucket idx (< nstates) of allocation ai, made on first use. */
static inline struct bs_bstate *bs_state_at(struct bs_alloc_index *ix, uint32_t ai, uint32_t idx)
{
    struct bs_alloc *a = &ix->allocs[ai];
    if (a->nstates == 1) return bs_alloc_one(ix, a);
    const struct bs_array *r = &ix->arr[a->arr];
    uint32_t c = idx >> BS_LEAF_SHIFT,
             l = r->leaf_of ? r->leaf_of[c] : bs_addr_get(&ix->leaf_ix, ai, c);
    if (l == BS_NONE) return bs_alloc_new_leaf(ix, ai, c) + (idx & (BS_LEAF - 1));
    return &ix->leaf[l].st[idx & (BS_LEAF - 1)];
}

static inline int bs_array_cmp(const struct bs_alloc_index *ix, uint32_t n, uint32_t pid,
                               uint64_t addr)
{
    const struct bs_array *r = &ix->arr[n];
    if (r->pid != pid) return r->pid < pid ? -1 : 1;
    return r->start < addr ? -1 : r->start > addr ? 1 : 0;
}

/* The allocation of the live array with the greatest (pid, start) <=
 * (pid, addr), or BS_NONE. */
static inline uint32_t bs_array_floor(const struct bs_alloc_index *ix, uint32_t pid, uint64_t addr)
{
    uint32_t n = ix->arrays_root, found = BS_NONE;
    while (n != BS_NONE) {
        if (bs_array_cmp(ix, n, pid, addr) <= 0) {
            found = n;
            n = ix->arr[n].right;
        } else {
            n = ix->arr[n].left;
        }
    }
    return found == BS_NONE ? BS_NONE : ix->arr[found].ai;
}

static inline int bs_alloc_contains(const struct bs_alloc *a, uint32_t pid, uint64_t addr)
{
    return a->pid == pid && addr >= a->start && addr - a->start < a->bytes;
}

/* The live allocation holding addr: a recent hit, the array whose range
 * covers it (the tree), or an exact start (overflow buckets).  BS_NONE if
 * none. */
static inline uint32_t bs_find_alloc(struct bs_alloc_index *ix, uint32_t pid, uint64_t addr)
{
    if (ix->last_alloc != BS_NONE && bs_alloc_contains(&ix->allocs[ix->last_alloc], pid, addr))
        return ix->last_alloc;
    uint32_t a = bs_array_floor(ix, pid, addr);
    if (a == BS_NONE || !bs_alloc_contains(&ix->allocs[a], pid, addr))
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
    if (a->nstates == 1) return off ? NULL : bs_alloc_one(ix, a);
    uint32_t bucket_size = bs_alloc_bucket_size(ix, a);
    if (off >> 32 == 0) /* the common case: a 32-bit division is cheaper */
        idx = (uint32_t)off / bucket_size;
    else
        idx = off / bucket_size;
    if (idx >= a->nstates || idx * bucket_size != off) return NULL;
    return bs_state_at(ix, *ai, (uint32_t)idx);
}

#endif /* BS_ALLOC_INDEX_H */
