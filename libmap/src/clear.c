/* SPDX-License-Identifier: MIT */
/*
 * clear.c — hmap_clear with Go 1.21 clear(m) semantics (docs/go-map-model.md
 * §10.2–10.3): every tophash of every reachable bucket (current and old
 * arrays, overflow chains included) becomes emptyRest so running iterators
 * stop seeing entries; the old array and every individually allocated
 * overflow bucket are released; the current array is zeroed and reused at
 * the same B with its preallocated tail planted again.
 */
#include "internal.h"

/* Mark all slots of one chain emptyRest, releasing indirect objects of live
 * slots first (`owns`: the slots are not evacuated copies). */
static void empty_chain(hmap *m, uint8_t *b, bool owns)
{
    for (; b; b = overflow_of(m, b)) {
        for (unsigned i = 0; i < BUCKET_CNT; i++) {
            if (b[i] == EMPTY_REST) continue;
            if (owns && b[i] >= MIN_TOP_HASH) {
                if (has_indirect_key(m)) hmap__blk_release(m, key_of(m, b, i), HMAP_OBJ_CLEAR);
                if (has_indirect_val(m)) hmap__blk_release(m, val_of(m, b, i), HMAP_OBJ_CLEAR);
            }
            th_write(m, b, i, EMPTY_REST, HMAP_TH_CLEAR);
        }
    }
}

/* Unlink every overflow bucket of the current array's chains.  Preallocated
 * ones return to the tail (re-planted below); the others are released. */
static void unlink_overflow(hmap *m)
{
    for (uint64_t i = 0; i < bucket_shift(m->B); i++) {
        uint8_t *prev = bucket_at(m, m->buckets, i);
        uint8_t *ovf = overflow_of(m, prev);
        while (ovf) {
            uint8_t *next = overflow_of(m, ovf);
            bool prealloc = in_block(ovf, m->buckets, map_nalloc(m), m->bucketsize);
            HMAP_TP(overflow_unlink, m, ovf, prev, HMAP_UNLINK_CLEAR, (uint8_t)prealloc);
            if (!prealloc) hmap__overflow_release(m, ovf, HMAP_FREE_CLEAR);
            prev = ovf;
            ovf = next;
        }
    }
}

HMAP_API void hmap_clear(hmap *m)
{
    if (m == NULL || m->count == 0) return;
    if (flags_load(m) & F_HASH_WRITING) hmap_fatal("concurrent map writes");
    write_begin(m);
    reclaim_before_write(m);

    for (uint64_t i = 0; i < bucket_shift(m->B); i++)
        empty_chain(m, bucket_at(m, m->buckets, i), true);
    if (growing(m)) {
        uint64_t n = noldbuckets(m);
        uint8_t *old = oldbuckets_of(m);
        for (uint64_t i = 0; i < n; i++)
            empty_chain(m, bucket_at(m, old, i), true);
        flags_store(m, flags_load(m) & ~F_GROWING);
        /* The growth is abandoned: the old array and its chains go now. */
        hmap__old_array_release(m, HMAP_FREE_CLEAR);
    }
    unlink_overflow(m);

    flags_store(m, flags_load(m) & ~(F_SAME_SIZE_GROW | F_SHRINK | F_LAST_MASK));
    if (m->ext) m->ext->nevacuate = 0;
    m->noverflow = 0;
    m->count = 0;
    hmap__map_reseed(m);
    hmap__reset_bucket_array(m);

    write_end(m);
}
