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
#include "internal.h"

#define NO_CHECK UINT64_MAX

/* An iterator counts as live from init until it returns false or is stopped:
 * frees the map would do meanwhile wait in the retired list. */
static void iter_release(hmap_iter *it)
{
    if (!it->active) return;
    it->active = 0;
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
    static __thread uint64_t iter_count;
    uint64_t n = iter_count++ ^ (uint64_t)(uintptr_t)m;
    uint64_t r = hmap_hash_u64(n, m->seed ^ 0x5851f42d4c957f2dull);
    if (it->B <= 28) r &= 0xffffffffu;
    it->startbucket = r & bucket_mask(it->B);
    it->offset = (uint8_t)((r >> it->B) & (BUCKET_CNT - 1));
    it->bucket = it->startbucket;
    it->checkbucket = NO_CHECK;
    atomic_fetch_or_explicit(&m->flags, F_ITERATOR | F_OLD_ITERATOR, memory_order_relaxed);
}

/* mapiternext. */
HMAP_API bool hmap_iter_next(hmap_iter *it, const void **key, void **val)
{
    hmap *m = it->m;
    if (!it->active) return false;
    if (flags_load(m) & F_HASH_WRITING) hmap_fatal("concurrent map iteration and map write");
    uint64_t bucket = it->bucket;
    uint8_t *b = it->bptr;
    unsigned i = it->i;
    uint64_t checkbucket = it->checkbucket;

next:
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
        if ((th != EVACUATED_X && th != EVACUATED_Y) || !self_equal) {
            /* Golden data: the slot is current. */
            it->key = k;
            it->val = val_of(m, b, offi);
        } else {
            /* The map grew since: the entry may have moved, changed or
             * gone; ask the map. */
            const void *rk;
            void *rv;
            if (!hmap__lookup_kv(m, k, &rk, &rv)) continue;
            it->key = rk;
            it->val = rv;
        }
        it->bucket = bucket;
        it->bptr = b;
        it->i = (uint8_t)(i + 1);
        it->checkbucket = checkbucket;
        if (key) *key = it->key;
        if (val) *val = it->val;
        return true;
    }
    b = overflow_of(m, b);
    i = 0;
    goto next;
}
