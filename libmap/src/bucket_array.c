/* SPDX-License-Identifier: MIT */
/*
 * bucket_array.c — bucket arrays and overflow buckets
 * (docs/go-map-model.md §5.2 makeBucketArray, §5.3 newoverflow, §6.4 noverflow).
 */
#include "internal.h"

/* Go 1.19's malloc size classes up to 32 KiB (runtime/sizeclasses.go).
 * makeBucketArray rounds the array up to one of these, and the rounding is
 * what decides how many overflow buckets are preallocated for B = 4..12. */
static const uint32_t go_size_classes[] = {
    8,     16,    24,    32,    48,    64,    80,    96,    112,   128,   144,  160,   176,   192,
    208,   224,   240,   256,   288,   320,   352,   384,   416,   448,   480,  512,   576,   640,
    704,   768,   896,   1024,  1152,  1280,  1408,  1536,  1792,  2048,  2304, 2688,  3072,  3200,
    3456,  4096,  4864,  5376,  6144,  6528,  6784,  6912,  8192,  9472,  9728, 10240, 10880, 12288,
    13568, 14336, 16384, 18432, 19072, 20480, 21760, 24576, 27264, 28672, 32768};
#define GO_PAGE_SIZE 8192

static uint64_t go_roundupsize(uint64_t size)
{
    if (size <= 32768) {
        for (size_t i = 0; i < sizeof go_size_classes / sizeof go_size_classes[0]; i++)
            if (go_size_classes[i] >= size) return go_size_classes[i];
    }
    return (size + GO_PAGE_SIZE - 1) & ~(uint64_t)(GO_PAGE_SIZE - 1);
}

/* Buckets in the block for a given B: 2^B, plus for B >= 4 an estimate of
 * 2^(B-4) overflow buckets, rounded up to whatever fits Go's size class. */
static uint64_t array_nalloc(const hmap *m, uint8_t B)
{
    uint64_t base = bucket_shift(B), n = base;
    if (B >= 4) {
        n += bucket_shift(B - 4);
        n = go_roundupsize(n * m->bucketsize) / m->bucketsize;
    }
    return n;
}

/* Lay out the preallocated tail: the last bucket's overflow pointer holds a
 * non-NULL sentinel (the array itself) so newoverflow knows where it ends. */
static uint8_t *plant_tail(hmap *m, uint8_t *arr, uint8_t B, uint64_t nalloc)
{
    uint64_t base = bucket_shift(B);
    if (nalloc == base) return NULL;
    set_overflow(m, bucket_at(m, arr, nalloc - 1), arr);
    return bucket_at(m, arr, base);
}

/* makeBucketArray(B): one zeroed block of 2^B buckets plus the tail. */
int hmap__make_bucket_array(hmap *m, uint8_t B, uint8_t **out, uint8_t **next_ovf, uint64_t *nalloc)
{
    uint64_t n = array_nalloc(m, B);
    /* A tail needs ext (next_overflow, nalloc), like Go's mapextra. */
    if (n != bucket_shift(B) && hmap__ensure_ext(m) < 0) return -1;
    uint8_t *arr = hmap__bucket_alloc(m, n * m->bucketsize);
    if (!arr) return -1;
    *out = arr;
    *nalloc = n;
    *next_ovf = plant_tail(m, arr, B, n);
    HMAP_TP(bucket_array_alloc, m, arr, B, bucket_shift(B), (uint32_t)(n - bucket_shift(B)),
            (uint64_t)n * m->bucketsize);
    return 0;
}

/* mapclear's makeBucketArray(B, h.buckets): zero the current array in place
 * and plant the tail again (the block is reused, not reallocated). */
void hmap__reset_bucket_array(hmap *m)
{
    uint64_t nalloc = map_nalloc(m);
    memset(m->buckets, 0, nalloc * m->bucketsize);
    uint8_t *next = plant_tail(m, m->buckets, m->B, nalloc);
    if (m->ext) {
        m->ext->next_overflow = next;
        m->ext->free_overflow = NULL;
        m->ext->nfree_overflow = 0;
    }
}

/* Preallocated buckets still available in the current array (the untouched
 * tail plus, under EAGER, the ones given back). */
uint64_t hmap__prealloc_remaining(const hmap *m)
{
    const struct hmap_ext *x = m->ext;
    if (!x) return 0;
    if (!x->next_overflow) return x->nfree_overflow;
    uint8_t *end = m->buckets + x->nalloc * m->bucketsize;
    return (uint64_t)(end - x->next_overflow) / m->bucketsize + x->nfree_overflow;
}

/* Make sure `needed` overflow buckets can be handed out without failing:
 * the preallocated tail covers some, the allocator the rest, now.  On
 * failure nothing is kept and the map is untouched. */
int hmap__ovf_reserve_take(hmap *m, ovf_reserve *r, uint64_t needed)
{
    uint64_t have = hmap__prealloc_remaining(m) + r->nfresh;
    /* A map with allocator overflow buckets has ext (where a clear under
     * an iterator retires them). */
    if (have < needed && hmap__ensure_ext(m) < 0) return -1;
    while (have < needed) {
        uint8_t *b = hmap__bucket_alloc(m, m->bucketsize);
        if (!b) {
            hmap__ovf_reserve_drop(m, r);
            return -1;
        }
        set_overflow(m, b, r->fresh);
        r->fresh = b;
        r->nfresh++;
        have++;
    }
    return 0;
}

/* Give back reserved allocator buckets that were not used. */
void hmap__ovf_reserve_drop(hmap *m, ovf_reserve *r)
{
    while (r->fresh) {
        uint8_t *b = r->fresh;
        r->fresh = overflow_of(m, b);
        hmap__bucket_free_now(m, b, m->bucketsize);
    }
    r->nfresh = 0;
}

/* incrnoverflow: exact below B = 16; above, counted with probability
 * 1/2^(B-15) so that the 16-bit counter reaching 2^15 means ~2^B buckets. */
void hmap__incr_noverflow(hmap *m)
{
    if (m->B < 16) {
        m->noverflow++;
        return;
    }
    uint32_t mask = (1u << (m->B - 15)) - 1;
    if (((uint32_t)hmap__map_rand(m) & mask) == 0) m->noverflow++;
}

/* hmap__newoverflow(b): link an overflow bucket behind b, the last bucket of its
 * chain.  Preallocated buckets go first, in address order; otherwise one
 * from the reserve (r may be NULL when the tail is known to suffice). */
uint8_t *hmap__newoverflow(hmap *m, uint8_t *b, ovf_reserve *r)
{
    uint8_t *ovf;
    uint8_t source;
    struct hmap_ext *x = m->ext; /* non-NULL: a tail or a reserve from the allocator */
    if (x->free_overflow) {
        ovf = x->free_overflow; /* given back by an EAGER unlink */
        x->free_overflow = overflow_of(m, ovf);
        x->nfree_overflow--;
        set_overflow(m, ovf, NULL);
        source = HMAP_OVF_PREALLOC;
    } else if (x->next_overflow) {
        ovf = x->next_overflow;
        if (overflow_of(m, ovf) == NULL) {
            x->next_overflow = ovf + m->bucketsize;
        } else {
            /* The last preallocated bucket: drop the sentinel. */
            set_overflow(m, ovf, NULL);
            x->next_overflow = NULL;
        }
        source = HMAP_OVF_PREALLOC;
    } else {
        ovf = r->fresh;
        r->fresh = overflow_of(m, ovf);
        r->nfresh--;
        set_overflow(m, ovf, NULL);
        source = HMAP_OVF_ALLOCATOR;
    }
    hmap__incr_noverflow(m);
    set_overflow(m, b, ovf);
    HMAP_TP(overflow_alloc, m, ovf, b, source, m->bucketsize);
    return ovf;
}
