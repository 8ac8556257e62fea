/* SPDX-License-Identifier: MIT */
/*
 * grow.c — incremental growth: hashGrow, growWork, evacuate and
 * advanceEvacuationMark (docs/go-map-model.md §8).
 *
 * Invariant: while oldbuckets != NULL, every old bucket with index below
 * nevacuate is evacuated, and each entry lives in exactly one place that
 * lookups find: its old chain if that chain is not evacuated, else the new
 * array.  Evacuation copies (never moves) entries, marking each old slot.
 */
#include "internal.h"
#include "evacuate.h"

/* hashGrow: doubling when the load factor demands it, else same-size (too
 * many overflow buckets). */
int hmap__hash_grow(hmap *m)
{
    if (over_load_factor(m->count + 1, m->B))
        return hmap__start_growth(m, m->B + 1, HMAP_GROW_DOUBLE);
    return hmap__start_growth(m, m->B, HMAP_GROW_SAME_SIZE);
}

/* Where an old entry goes: 0 = X, 1 = Y.  *newtop is its tophash in the
 * destination.  A key unequal to itself (NaN) cannot be rehashed to the same
 * value, so while an iterator may be running its choice is the low bit of
 * its old tophash, which iterators replicate (§8.3). */
static unsigned destination(hmap *m, uint8_t *b, unsigned i, bool doubling, uint64_t newbit,
                            uint8_t *newtop)
{
    *newtop = b[i];
    if (!doubling) return 0;
    const void *k = key_of(m, b, i);
    uint64_t hash = key_hash(m, k);
    if (!is_reflexive(m) && (flags_load(m) & F_ITERATOR) && !key_equal(m, k, k)) {
        *newtop = tophash(hash);
        return b[i] & 1;
    }
    return (hash & newbit) != 0;
}

/* Overflow buckets a destination needs for n entries (its head holds 8). */
static uint64_t ovf_needed(uint64_t n)
{
    return n > BUCKET_CNT ? (n - 1) / BUCKET_CNT : 0;
}

/* Reserve, before touching anything, every overflow bucket the evacuation
 * of the chain at b will link.  A single-bucket chain never needs one; a
 * longer chain needs none when the preallocated tail is large enough. */
static int reserve_for_chain(hmap *m, uint8_t *b, bool doubling, uint64_t newbit, ovf_reserve *r)
{
    uint64_t chainlen = 0;
    for (uint8_t *c = b; c; c = overflow_of(m, c))
        chainlen++;
    if (chainlen <= 1 || hmap__prealloc_remaining(m) >= chainlen - 1) return 0;
    uint64_t n[2] = {0, 0};
    for (uint8_t *c = b; c; c = overflow_of(m, c)) {
        for (unsigned i = 0; i < BUCKET_CNT; i++) {
            uint8_t top;
            if (!is_empty(c[i])) n[destination(m, c, i, doubling, newbit, &top)]++;
        }
    }
    return hmap__ovf_reserve_take(m, r, ovf_needed(n[0]) + ovf_needed(n[1]));
}

/* Drop the overflow chain behind an evacuated old head: the map can no
 * longer reach it once the head's link is scrubbed. */
static void drop_old_chain(hmap *m, uint8_t *head, uint8_t *ovf)
{
    uint8_t *prev = head;
    while (ovf) {
        uint8_t *next = overflow_of(m, ovf);
        bool prealloc = in_block(ovf, oldbuckets_of(m), map_old_nalloc(m), m->bucketsize);
        HMAP_TP(overflow_unlink, m, ovf, prev, HMAP_UNLINK_EVACUATED, 0);
        /* Freed at once: scrubbing happens only without oldIterator and
         * EAGER drops only without a live iterator, so no iterator can
         * reach the chain (every iterator sets oldIterator, docs/go-map-
         * model.md §9, and a growth keeps it for the old array). */
        if (!prealloc)
            hmap__bucket_free(m, ovf, m->bucketsize, HMAP_MEM_OVERFLOW, HMAP_FREE_EVACUATED);
        prev = ovf;
        ovf = next;
    }
}

/* advanceEvacuationMark: the only normal way a growth ends.  The mark moves
 * past the bucket just evacuated and past up to 1024 more that already
 * are; when it reaches the old bucket count the old array is released. */
static void advance_evacuation_mark(hmap *m, uint64_t newbit)
{
    struct hmap_ext *x = m->ext; /* a growth runs: ext exists */
    x->nevacuate++;
    uint64_t stop = x->nevacuate + EVAC_SCAN_LIMIT;
    if (stop > newbit) stop = newbit;
    while (x->nevacuate != stop && evacuated(bucket_at(m, x->old_rec->arr, x->nevacuate)))
        x->nevacuate++;
    if (x->nevacuate != newbit) return;

    uint8_t *old = x->old_rec->arr;
    uint8_t kind = same_size_grow(m) ? HMAP_GROW_SAME_SIZE
                   : shrinking(m)    ? HMAP_GROW_SHRINK
                                     : HMAP_GROW_DOUBLE;
    HMAP_TP(grow_done, m, old, m->B, kind, m->count);
    uint8_t last = kind == HMAP_GROW_SAME_SIZE ? LAST_SAME
                   : kind == HMAP_GROW_SHRINK  ? LAST_SHRINK
                                               : LAST_DOUBLE;
    flags_store(m, (flags_load(m) & ~(F_SAME_SIZE_GROW | F_SHRINK | F_GROWING)) |
                       (uint8_t)(last << F_LAST_SHIFT));
    /* Old chains that were not scrubbed still hold their overflow buckets. */
    hmap__old_array_release(m, kind == HMAP_GROW_SHRINK ? HMAP_FREE_SHRINK : HMAP_FREE_GROW_DONE);
    hmap__ext_trim(m);
}

/* hmap__evacuate(oldbucket): copy the live entries of one old chain into X (same
 * index) or Y (index + old count), mark every old slot, scrub the old head
 * when Go would, then maybe advance the mark.  All-or-nothing: returns -1
 * with nothing changed if an overflow bucket cannot be reserved. */
int hmap__evacuate(hmap *m, uint64_t oldbucket)
{
    uint64_t newbit = noldbuckets(m);
    uint8_t *b = bucket_at(m, oldbuckets_of(m), oldbucket);
    if (!evacuated(b) && shrinking(m)) {
        if (hmap__shrink_evacuate(m, oldbucket, b) < 0) return -1;
    } else if (!evacuated(b)) {
        bool doubling = !same_size_grow(m);
        ovf_reserve r = {0};
        if (reserve_for_chain(m, b, doubling, newbit, &r) < 0) return -1;

        evac_dst dst[2] = {{bucket_at(m, m->buckets, oldbucket), 0, 0},
                           {doubling ? bucket_at(m, m->buckets, oldbucket + newbit) : NULL, 0, 0}};

        for (uint8_t *ob = b; ob; ob = overflow_of(m, ob)) {
            for (unsigned i = 0; i < BUCKET_CNT; i++) {
                if (evac_mark_empty(m, ob, i)) continue;
                uint8_t top;
                unsigned useY = destination(m, ob, i, doubling, newbit, &top);
                evac_move(m, ob, i, EVACUATED_X + useY, top, &dst[useY], &r);
            }
        }
        hmap__ovf_reserve_drop(m, &r);

        /* Scrub: only for pointerful kinds and when no iterator may walk
         * old buckets.  Zeroing from offset 8 keeps the marks and cuts the
         * overflow link, which makes the old overflow chain unreachable. */
        if (is_pointerful(m) && !(flags_load(m) & F_OLD_ITERATOR)) {
            uint8_t *ovf = overflow_of(m, b);
            memset(b + DATA_OFFSET, 0, m->bucketsize - DATA_OFFSET);
            drop_old_chain(m, b, ovf);
        } else if (m->reclaim != HMAP_RECLAIM_GO &&
                   atomic_load_explicit(&m->live_iters, memory_order_acquire) == 0) {
            /* EAGER: nobody can walk the old chain any more (lookups see the
             * evacuation mark, no iterator is live): drop it now. */
            uint8_t *ovf = overflow_of(m, b);
            set_overflow(m, b, NULL);
            drop_old_chain(m, b, ovf);
        }
        HMAP_TP(evacuate, m, oldbucket, b, bucket_at(m, m->buckets, oldbucket),
                doubling ? bucket_at(m, m->buckets, oldbucket + newbit) : NULL, dst[0].moved,
                dst[1].moved);
    }
    if (oldbucket == m->ext->nevacuate) advance_evacuation_mark(m, newbit);
    return 0;
}

/* growWork: evacuate the old bucket feeding the bucket about to be written,
 * then one more at the mark so the growth always finishes.  Only the first
 * is required for correctness; if memory runs out on the second, growth
 * just advances later. */
/* Ask for every bucket a doubling or same-size evacuation of old bucket
 * `ob` reads or writes: the old head and its destinations X and Y.  Their
 * misses then overlap instead of coming one after another (the old head's
 * load, then X's on the first copy, then Y's). */
static ALWAYS_INLINE void prefetch_evacuation(const hmap *m, uint64_t ob)
{
    const uint8_t *b = bucket_at(m, oldbuckets_of(m), ob);
    __builtin_prefetch(b);
    prefetch_bucket(m, b);
    const uint8_t *x = bucket_at(m, m->buckets, ob);
    __builtin_prefetch(x, 1);
    prefetch_bucket(m, x);
    if (!same_size_grow(m)) {
        const uint8_t *y = bucket_at(m, m->buckets, ob + noldbuckets(m));
        __builtin_prefetch(y, 1);
        prefetch_bucket(m, y);
    }
}

int hmap__grow_work(hmap *m, uint64_t bucket)
{
    if (!shrinking(m)) {
        uint64_t ob = bucket & oldbucketmask(m), mark = m->ext->nevacuate;
        prefetch_evacuation(m, ob);
        if (mark != ob) prefetch_evacuation(m, mark);
    }
    if (shrinking(m)) {
        /* Two old buckets feed new bucket `bucket`: both must be evacuated
         * before it is written. */
        if (hmap__evacuate(m, bucket) < 0 ||
            (growing(m) && hmap__evacuate(m, bucket + bucket_shift(m->B)) < 0))
            return -1;
    } else if (hmap__evacuate(m, bucket & oldbucketmask(m)) < 0) {
        return -1;
    }
    /* A shrink advances the mark 16 times per write.  Deletes alone must
     * finish it, and a workload that deletes down to its final size and
     * then goes idle would otherwise leave both arrays held (the shrink to
     * the last size starts only a few thousand deletes before the end).
     * The map is sparse then (<= 1.6 entries per old bucket), so 16 old
     * buckets are about 26 entries' worth of copying. */
    for (int i = shrinking(m) ? 16 : 1; i > 0 && growing(m); i--)
        (void)hmap__evacuate(m, m->ext->nevacuate);
    return 0;
}
