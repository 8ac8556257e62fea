/* SPDX-License-Identifier: MIT */
/*
 * evacuate.c — the growth machinery every growth kind shares: starting one
 * (a new array, the old one kept until evacuated).  The per-entry step of
 * an evacuation is evacuate.h's.  Used by grow.c (hashGrow) and shrink.c
 * (SHRINK); it calls neither, so the dependencies point one way:
 * grow.c -> shrink.c -> evacuate.c.
 */
#include "internal.h"

/* Allocate an array of 2^newB buckets and make it current, the current one
 * becoming the old array; no entry moves yet.  `kind` is the growth kind
 * (HMAP_GROW_*).  Fails (map untouched) only if the array cannot be
 * allocated.  Shared by hashGrow and the SHRINK policy's shrinking growth. */
int hmap__start_growth(hmap *m, uint8_t newB, uint8_t kind)
{
    uint8_t *arr, *next_ovf;
    uint64_t nalloc;
    old_array *rec; /* first: what releasing the old array will need */
    if (hmap__ensure_ext(m) < 0) return -1;
    if (hmap__old_record_alloc(m, &rec) < 0) return -1;
    if (hmap__make_bucket_array(m, newB, &arr, &next_ovf, &nalloc) < 0) {
        hmap__old_record_free(m, rec);
        return -1;
    }
    struct hmap_ext *x = m->ext;
    *rec = (old_array){NULL, m->buckets, bucket_shift(m->B), x->nalloc, 0};
    x->old_rec = rec;

    HMAP_TP(grow_start, m, m->B, newB, kind, m->count, m->noverflow);
    /* The iterator bit becomes oldIterator: an iterator started before now
     * may be walking what becomes the old array. */
    uint8_t f = flags_load(m);
    uint8_t nf = (f & ~(F_ITERATOR | F_OLD_ITERATOR | F_LAST_MASK)) | F_GROWING;
    if (f & F_ITERATOR) nf |= F_OLD_ITERATOR;
    if (kind == HMAP_GROW_SAME_SIZE) nf |= F_SAME_SIZE_GROW;
    if (kind == HMAP_GROW_SHRINK) nf |= F_SHRINK;
    flags_store(m, nf);

    m->B = newB;
    m->buckets = arr;
    x->nalloc = nalloc;
    x->nevacuate = 0;
    m->noverflow = 0;
    /* Unused preallocated buckets of the old array are abandoned in it. */
    x->next_overflow = next_ovf;
    x->free_overflow = NULL;
    x->nfree_overflow = 0;
    return 0;
}
