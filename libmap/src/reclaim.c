/* SPDX-License-Identifier: MIT */
/*
 * reclaim.c — HMAP_RECLAIM_EAGER: give overflow memory back as soon as
 * deletes empty it, which Go never does (golang/go#20135).
 *
 * Rules (docs/architecture.md "Reclaim policies"):
 *   - an overflow bucket of the current array that deletes leave entirely
 *     empty is unlinked from its chain at once; an individually allocated
 *     one is freed, a preallocated one (inside the array block) goes to the
 *     array's free list and is handed out again before the untouched tail;
 *   - while an iterator is live it may be standing in that bucket or about
 *     to walk into it, so nothing is unlinked: the map notes that a sweep is
 *     owed and the next write after the last iterator stopped does it (a
 *     reader cannot restructure chains, other readers may be walking them);
 *   - an old overflow chain is dropped as soon as it is evacuated when no
 *     iterator is live (grow.c), whatever the bucket kind.
 *
 * Invariant kept: the emptyRest suffix.  An all-empty overflow bucket is
 * either inside the suffix (all emptyRest, and so is everything after it)
 * or followed by live entries; cutting it out preserves both cases.
 */
#include "internal.h"

/* The public enum hmap_reclaim (hmap.h, which must stay self-contained)
 * and the schema's reclaim enumeration (the `reclaim` field of map_create)
 * are the same list: each value equal, and no policy missing on either
 * side. */
_Static_assert((int)HMAP_RECLAIM_GO == (int)HMAP_RECLAIM_GO_ID, "reclaim: go");
_Static_assert((int)HMAP_RECLAIM_EAGER == (int)HMAP_RECLAIM_EAGER_ID, "reclaim: eager");
_Static_assert((int)HMAP_RECLAIM_SHRINK == (int)HMAP_RECLAIM_SHRINK_ID, "reclaim: shrink");
/* SHRINK is the last public policy (a new one goes after it, and here). */
_Static_assert(HMAP_ENUM_COUNT(reclaim) == HMAP_RECLAIM_SHRINK + 1,
               "the schema has as many reclaim policies as hmap_reclaim");

/* Every slot emptyOne or emptyRest: no byte has a bit above bit 0. */
static bool all_empty(const uint8_t *b)
{
    return (tophash_word(b) & ~BYTES_01) == 0;
}

/* noverflow counts overflow buckets to trigger same-size growth; one that
 * is given back no longer counts (sampled like incr_noverflow above B=15). */
static void decr_noverflow(hmap *m)
{
    if (m->noverflow == 0) return;
    if (m->B < 16 || ((uint32_t)hmap__map_rand(m) & ((1u << (m->B - 15)) - 1)) == 0) m->noverflow--;
}

/* Cut b out of its chain (prev links to it) and give its memory back. */
static void unlink_bucket(hmap *m, uint8_t *prev, uint8_t *b)
{
    bool prealloc = in_block(b, m->buckets, map_nalloc(m), m->bucketsize);
    set_overflow(m, prev, overflow_of(m, b));
    HMAP_TP(overflow_unlink, m, b, prev, HMAP_UNLINK_EMPTIED, (uint8_t)prealloc);
    decr_noverflow(m);
    if (!prealloc) {
        hmap__bucket_free(m, b, m->bucketsize, HMAP_MEM_OVERFLOW, HMAP_FREE_UNLINK);
        return;
    }
    /* Back to the array's free list, reset to the state of a fresh bucket:
     * all emptyRest (its values are zero already). */
    for (unsigned i = 0; i < BUCKET_CNT; i++)
        if (b[i] != EMPTY_REST) th_write(m, b, i, EMPTY_REST, HMAP_TH_EMPTY_REST);
    set_overflow(m, b, m->ext->free_overflow); /* EAGER and SHRINK maps have ext */
    m->ext->free_overflow = b;
    m->ext->nfree_overflow++;
}

/* Unlink every all-empty overflow bucket of one chain. */
static void reclaim_chain(hmap *m, uint8_t *head)
{
    uint8_t *prev = head, *b = overflow_of(m, head);
    while (b) {
        uint8_t *next = overflow_of(m, b);
        if (all_empty(b))
            unlink_bucket(m, prev, b);
        else
            prev = b;
        b = next;
    }
}

/* Called by delete after it emptied slot(s) of bucket b in the chain that
 * starts at head (current array).  Writers only. */
void hmap__reclaim_after_delete(hmap *m, uint8_t *head, uint8_t *b)
{
    if (b == head || !all_empty(b)) return;
    if (atomic_load_explicit(&m->live_iters, memory_order_acquire) != 0) {
        m->ext->sweep_owed = true;
        return;
    }
    uint8_t *prev = head;
    while (overflow_of(m, prev) != b)
        prev = overflow_of(m, prev);
    unlink_bucket(m, prev, b);
}

/* The sweep owed since an iterator blocked an unlink: run by the first
 * write once no iterator is live.  O(buckets), and only after a delete
 * emptied an overflow bucket during an iteration. */
void hmap__reclaim_owed_sweep(hmap *m)
{
    if (atomic_load_explicit(&m->live_iters, memory_order_acquire) != 0) return;
    m->ext->sweep_owed = false;
    if (!m->buckets) return;
    for (uint64_t i = 0; i < bucket_shift(m->B); i++)
        reclaim_chain(m, bucket_at(m, m->buckets, i));
}
