/* SPDX-License-Identifier: MIT */
/*
 * stats.c — hmap_get_stats: a full walk of everything the map holds.  O(size
 * of the map); meant for tests, examples and occasional monitoring.
 */
#include "internal.h"

/* Count overflow buckets linked in an array's chains. */
static uint64_t count_overflow(const hmap *m, uint8_t *arr, uint64_t nbuckets, uint64_t nalloc,
                               uint64_t *individual)
{
    uint64_t n = 0;
    for (uint64_t i = 0; i < nbuckets; i++) {
        for (uint8_t *o = overflow_of(m, bucket_at(m, arr, i)); o; o = overflow_of(m, o)) {
            n++;
            if (!in_block(o, arr, nalloc, m->bucketsize)) (*individual)++;
        }
    }
    return n;
}

HMAP_API void hmap_get_stats(const hmap *m, hmap_stats *out)
{
    memset(out, 0, sizeof *out);
    if (!m) return;
    out->B = m->B;
    out->growing = growing(m);
    out->same_size_grow = same_size_grow(m);
    out->shrinking = shrinking(m);
    out->count = m->count;
    out->noverflow = m->noverflow;
    out->nevacuate = map_nevacuate(m);
    out->buckets = bucket_shift(m->B);
    out->flags = flags_load(m) & F_SHOWN;
    out->bucket_size = m->bucketsize;
    out->seed = m->seed;

    /* Slots that exist in memory: whole blocks (arrays with their tails)
     * plus individually allocated overflow buckets. */
    uint64_t individual = 0, slots_buckets = 0;
    if (m->buckets) {
        out->overflow_buckets +=
            count_overflow(m, m->buckets, bucket_shift(m->B), map_nalloc(m), &individual);
        out->prealloc_total = map_nalloc(m) - bucket_shift(m->B);
        out->prealloc_free = hmap__prealloc_remaining(m); /* EAGER: given-back ones too */
        slots_buckets += map_nalloc(m);
    }
    if (growing(m)) {
        out->overflow_buckets +=
            count_overflow(m, oldbuckets_of(m), noldbuckets(m), map_old_nalloc(m), &individual);
        slots_buckets += map_old_nalloc(m);
    }
    slots_buckets += individual;
    out->empty_slots = slots_buckets * BUCKET_CNT - m->count;
    out->bucket_bytes = slots_buckets * m->bucketsize;
    /* Every live entry owns its objects once, wherever it lives (current or
     * unevacuated old chain; an evacuated slot is a mark, not an owner). */
    uint32_t per_entry = (has_indirect_key(m) ? 1 : 0) + (has_indirect_val(m) ? 1 : 0);
    out->indirect_objects = m->count * per_entry;
    out->indirect_bytes = m->count * ((has_indirect_key(m) ? key_size_of(m) : 0) +
                                      (has_indirect_val(m) ? val_size_of(m) : 0));
    /* Memory kept for live iterators (alloc.c), and the bookkeeping
     * blocks: the header, ext and its cold part, growth records. */
    uint64_t records = 0;
    struct hmap_ext *x = m->ext;
    if (x) {
        if (x->old_rec) records++;
        for (blk *h = atomic_load(&x->retired); h; h = h->next_retired) {
            out->retained_blocks++;
            out->indirect_objects++;
            out->indirect_bytes += h->size;
        }
        for (old_array *r = atomic_load(&x->retired_arrays); r; r = r->next) {
            uint64_t ind = 0;
            (void)count_overflow(m, r->arr, r->nbuckets, r->nalloc, &ind);
            out->retained_blocks += 1 + ind;
            out->bucket_bytes += (r->nalloc + ind) * m->bucketsize;
            records++;
        }
        for (uint8_t *b = atomic_load(&x->retired_ovf); b; b = overflow_of(m, b)) {
            out->retained_blocks++;
            out->bucket_bytes += m->bucketsize;
        }
    }
    out->bytes_allocated = sizeof *m + (x ? sizeof *x : 0) + (x && x->cold ? sizeof *x->cold : 0) +
                           records * sizeof(old_array) + out->bucket_bytes + out->indirect_bytes +
                           out->indirect_objects * BLK_HDR;
}

/* What the map holds from its allocator (for map_destroy's field). */
uint64_t hmap__bytes_held(const hmap *m)
{
    hmap_stats s;
    hmap_get_stats(m, &s);
    return s.bytes_allocated;
}
