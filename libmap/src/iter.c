/* SPDX-License-Identifier: MIT */
/*
 * iter.c — Go's map iteration (docs/go-map-model.md §9).
 *
 * Guarantees: each entry present for the whole iteration is returned exactly
 * once; an entry deleted before it is reached is not returned; an entry
 * updated before it is reached is returned with its new value.  They hold
 * under concurrent inserts, deletes and growth because old slots keep their
 * bytes while oldIterator is set, and because memory the map drops while an
 * iterator lives is retired, not freed (alloc.c).
 */
/* This file defines the out-of-line hmap_iter_next: hide the header's
 * inline definition of the same function. */
#define HMAP_ITER_NEXT_OUT_OF_LINE 1
#include "internal.h"

#define NO_CHECK UINT64_MAX

/* The inline step of hmap.h reads the iterator and the bucket layout
 * directly (docs/libhmap.md, "Iteration: the inline step"). */
_Static_assert(sizeof(hmap_iter) == 80, "hmap_iter keeps its size (ABI)");
_Static_assert(DATA_OFFSET == 8, "keys start after the 8 tophash bytes");
_Static_assert(F_HASH_WRITING == 4, "the inline step tests bit 4 of the flags");
_Static_assert(MIN_TOP_HASH == 5 && EVACUATED_X == 2 && EVACUATED_EMPTY == 4,
               "the inline step's tophash ranges");

/* An iterator counts as live from init until it returns false or is stopped:
 * frees the map would do meanwhile wait in the retired list. */
static void iter_release(hmap_iter *it)
{
    if (!it->active) return;
    it->active = 0;
    it->fast = 0; /* the inline step now ends in iter_next, which returns false */
    hmap *m = it->m;
    if (atomic_fetch_sub_explicit(&m->live_iters, 1, memory_order_acq_rel) == 1)
        hmap__retired_flush(m);
}

HMAP_API void hmap_iter_stop(hmap_iter *it)
{
    iter_release(it);
}

HMAP_API void hmap_iter_init(hmap_iter *it, hmap *m)
{
    memset(it, 0, sizeof *it);
    it->m = m;
    if (m == NULL || m->count == 0) return; /* finished at once */
    it->active = 1;
    atomic_fetch_add_explicit(&m->live_iters, 1, memory_order_acq_rel);
    it->map_flags = (const unsigned char *)&m->flags;
    it->keyslot = m->keyslot;
    it->valslot = m->valslot;
    it->valbase = (uint16_t)(DATA_OFFSET + BUCKET_CNT * m->keyslot);
    it->B = m->B;
    it->buckets = m->buckets;
    if (shrinking(m)) {
        /* During a shrink, walk old bucket indices (the larger space): an
         * unevacuated old chain holds its entries; once evacuated, they and
         * any entry inserted since are in new bucket idx & newmask, mixed
         * with its sibling's, so that bucket is walked filtered to idx. */
        it->shrink_mode = 1;
        it->B = m->B + 1;
        it->buckets = oldbuckets_of(m);
        it->newB = m->B;
        it->newbuckets = m->buckets;
    }
    /* Random start bucket and slot rotation.  Readers may start iterators
     * concurrently, so the randomness comes from an atomic counter mixed
     * with the (secret) seed rather than from writer-side state. */
    static HMAP_TLS uint64_t iter_count;
    uint64_t n = iter_count++ ^ (uint64_t)(uintptr_t)m;
    uint64_t r = hmap_hash_u64(n, m->seed ^ 0x5851f42d4c957f2dull);
    if (it->B <= 28) r &= 0xffffffffu;
    it->startbucket = r & bucket_mask(it->B);
    it->offset = (uint8_t)((r >> it->B) & (BUCKET_CNT - 1));
    it->bucket = it->startbucket;
    it->checkbucket = NO_CHECK;
    atomic_fetch_or_explicit(&m->flags, F_ITERATOR | F_OLD_ITERATOR, memory_order_relaxed);
}

/* A bucket reached with checkbucket == NO_CHECK in a map whose slots hold
 * keys and values directly can be walked by hmap_iter__scan (hmap.h): its
 * live slots are returned as they are, only evacuatedX/Y slots need the
 * full step below. */
static ALWAYS_INLINE bool scan_applies(const hmap *m, uint64_t checkbucket)
{
    return checkbucket == NO_CHECK && !has_indirect_key(m) && !has_indirect_val(m);
}

/* Ask for the buckets the next steps will read: b's overflow bucket (chains
 * are scattered in memory) and the next head bucket of the array walked.
 * (Prefetching 4 head buckets ahead measured no better at 10^5 entries.) */
static ALWAYS_INLINE void prefetch_next(const hmap_iter *it, const hmap *m, const uint8_t *b,
                                        uint64_t bucket)
{
    const uint8_t *o = overflow_of(m, b);
    if (o) prefetch_bucket(m, o);
    if (!it->shrink_mode && bucket != it->startbucket) {
        const uint8_t *nb = bucket_at(m, it->buckets, bucket);
        __builtin_prefetch(nb);
        prefetch_bucket(m, nb);
    }
}

/* mapiternext.  The iterator's state between calls is (bucket, bptr, i,
 * checkbucket, wrapped): the next head bucket index, the bucket being
 * walked and how many of its slots were visited.  The inline step of
 * hmap.h advances i within bptr when fast is set; everything else (a new
 * bucket, filtering during growth, stale slots, the end) happens here. */
static bool iter_next(hmap_iter *it, const void **key, void **val)
{
    hmap *m = it->m;
    if (!it->active) return false;
    if (flags_load(m) & F_HASH_WRITING) hmap_fatal("concurrent map iteration and map write");
    uint64_t bucket = it->bucket;
    uint8_t *b = it->bptr;
    unsigned i = it->i;
    uint64_t checkbucket = it->checkbucket;
    /* The caller's inline step already scanned bptr from i (or bptr is
     * NULL): resume with the full slot loop, which handles marks. */
    bool resumed = true;

    for (;;) {
        if (b == NULL) {
            if (bucket == it->startbucket && it->wrapped) {
                iter_release(it);
                return false;
            }
            if (it->shrink_mode) {
                uint8_t *ob = bucket_at(m, it->buckets, bucket);
                if (!evacuated(ob)) {
                    b = ob;
                    checkbucket = NO_CHECK;
                } else {
                    b = bucket_at(m, it->newbuckets, bucket & bucket_mask(it->newB));
                    checkbucket = bucket;
                }
            } else if (growing(m) && it->B == m->B &&
                       (m->reclaim != HMAP_RECLAIM_SHRINK || it->buckets == m->buckets ||
                        it->buckets == oldbuckets_of(m))) {
                /* Started during this growth, which is not done: if the old
                 * bucket feeding this index is not evacuated yet, walk it and
                 * keep only the entries that will land at this index. */
                uint64_t oldbucket = bucket & oldbucketmask(m);
                b = bucket_at(m, oldbuckets_of(m), oldbucket);
                if (!evacuated(b)) {
                    checkbucket = bucket;
                } else {
                    b = bucket_at(m, it->buckets, bucket);
                    checkbucket = NO_CHECK;
                }
            } else {
                b = bucket_at(m, it->buckets, bucket);
                checkbucket = NO_CHECK;
            }
            bucket++;
            if (bucket == bucket_shift(it->B)) {
                bucket = 0;
                it->wrapped = 1;
            }
            i = 0;
            resumed = false;
            prefetch_next(it, m, b, bucket);
        }
        it->bucket = bucket;
        it->bptr = b;
        it->i = (uint8_t)i;
        it->checkbucket = checkbucket;
        it->fast = scan_applies(m, checkbucket);
        if (it->fast && !resumed) {
            int r = hmap_iter__scan(it, key, val);
            if (r > 0) return true;
            i = it->i; /* 8: on to the overflow bucket; else the slots left hold a mark */
        }
        for (; i < BUCKET_CNT; i++) {
            unsigned offi = (i + it->offset) & (BUCKET_CNT - 1);
            uint8_t th = b[offi];
            if (is_empty(th) || th == EVACUATED_EMPTY) continue;
            const void *k = key_of(m, b, offi);
            bool self_equal = is_reflexive(m) || key_equal(m, k, k);
            if (checkbucket != NO_CHECK && (it->shrink_mode || !same_size_grow(m))) {
                if (self_equal) {
                    if ((key_hash(m, k) & bucket_mask(it->B)) != checkbucket) continue;
                } else if ((checkbucket >> (it->B - 1)) != (uint64_t)(th & 1)) {
                    continue;
                }
            }
            const void *rk;
            void *rv;
            if ((th != EVACUATED_X && th != EVACUATED_Y) || !self_equal) {
                /* Golden data: the slot is current. */
                rk = k;
                rv = val_of(m, b, offi);
            } else {
                /* The map grew since: the entry may have moved, changed or
                 * gone; ask the map. */
                if (!hmap__lookup_kv(m, k, &rk, &rv)) continue;
            }
            it->i = (uint8_t)(i + 1);
            if (key) *key = rk;
            if (val) *val = rv;
            return true;
        }
        b = overflow_of(m, b);
        i = 0;
        resumed = false;
    }
}

/* The same step as the header's inline hmap_iter_next, out of line. */
HMAP_API bool hmap_iter_next(hmap_iter *it, const void **key, void **val)
{
    if (it->fast && !(flags_load(it->m) & F_HASH_WRITING) && hmap_iter__scan(it, key, val) > 0)
        return true;
    return iter_next(it, key, val);
}

HMAP_API bool hmap_iter_next_slow(hmap_iter *it, const void **key, void **val)
{
    return iter_next(it, key, val);
}
