/* SPDX-License-Identifier: MIT */
/*
 * alloc.c — every byte the map holds comes from its allocator through here.
 *
 * Bucket memory (arrays, overflow buckets) is exactly what Go allocates: no
 * header.  Its size follows from where it is released (an array's bucket
 * count, the bucket size), and what is needed to keep it alive for an
 * iterator (docs/go-map-model.md §10.4: Go's GC keeps such memory; we must
 * defer the free explicitly) was obtained earlier, when failing was still
 * allowed: an old array's record (struct old_array) is allocated when its
 * growth starts, and an overflow bucket dropped by a clear is linked
 * through its own overflow word.  Separately allocated keys and values keep
 * a 16-byte header (struct blk) that links them when retired.  So freeing
 * never fails.  The bucket_free and indirect_free tracepoints fire when
 * memory really goes back to the allocator, not when the map drops it.
 */
#include "internal.h"

static bool iterators_live(const hmap *m)
{
    return atomic_load_explicit(&m->live_iters, memory_order_acquire) != 0;
}

/* Zeroed bucket memory of `size` bytes, or NULL. */
void *hmap__bucket_alloc(hmap *m, size_t size)
{
    const hmap_allocator *a = alloc_of(m);
    return a->alloc(a->ctx, size, 16);
}

void hmap__bucket_free_now(hmap *m, void *p, size_t size)
{
    const hmap_allocator *a = alloc_of(m);
    a->free(a->ctx, p, size);
}

void hmap__bucket_free(hmap *m, void *p, size_t size, uint8_t kind, uint8_t reason)
{
    HMAP_TP(bucket_free, m, p, (uint64_t)size, kind, reason);
    hmap__bucket_free_now(m, p, size);
}

void hmap__overflow_release(hmap *m, uint8_t *b, uint8_t reason)
{
    if (!iterators_live(m)) {
        hmap__bucket_free(m, b, m->bucketsize, HMAP_MEM_OVERFLOW, reason);
        return;
    }
    /* Only clear retires overflow buckets (reason clear), after marking
     * every slot emptyRest: the list link is harmless to an iterator. */
    set_overflow(m, b, atomic_load_explicit(&m->ext->retired_ovf, memory_order_relaxed));
    atomic_store_explicit(&m->ext->retired_ovf, b, memory_order_release);
}

int hmap__old_record_alloc(hmap *m, old_array **out)
{
    const hmap_allocator *a = alloc_of(m);
    *out = a->alloc(a->ctx, sizeof **out, 16);
    return *out ? 0 : -1;
}

void hmap__old_record_free(hmap *m, old_array *r)
{
    const hmap_allocator *a = alloc_of(m);
    a->free(a->ctx, r, sizeof *r);
}

/* Free an old array and the individually allocated overflow buckets of its
 * chains, then its record. */
static void old_array_free(hmap *m, old_array *r)
{
    hmap__free_chains(m, r->arr, r->nbuckets, r->nalloc, r->reason);
    hmap__old_record_free(m, r);
}

void hmap__old_array_release(hmap *m, uint8_t reason)
{
    old_array *r = m->ext->old_rec;
    m->ext->old_rec = NULL;
    r->reason = reason;
    if (!iterators_live(m)) {
        old_array_free(m, r);
        return;
    }
    r->next = atomic_load_explicit(&m->ext->retired_arrays, memory_order_relaxed);
    atomic_store_explicit(&m->ext->retired_arrays, r, memory_order_release);
}

static blk *hdr_of(const void *p)
{
    return (blk *)((uint8_t *)p - BLK_HDR);
}

/* Zeroed object of `size` usable bytes behind its header, or NULL. */
void *hmap__blk_alloc(hmap *m, size_t size, uint8_t kind)
{
    const hmap_allocator *a = alloc_of(m);
    blk *h = a->alloc(a->ctx, size + BLK_HDR, 16);
    if (!h) return NULL;
    h->next_retired = NULL;
    h->size = (uint32_t)size;
    h->kind = kind;
    h->reason = 0;
    return (uint8_t *)h + BLK_HDR;
}

/* Return an object to the allocator now, announcing it. */
static void free_object(hmap *m, blk *h, uint8_t reason)
{
    size_t size = h->size;
    void *p = (uint8_t *)h + BLK_HDR;
    HMAP_TP(indirect_free, m, p, (uint32_t)size, (uint8_t)(h->kind - BLK_INDIRECT), reason);
    const hmap_allocator *a = alloc_of(m);
    a->free(a->ctx, h, size + BLK_HDR);
}

/* The map no longer references object p.  If an iterator is alive it might
 * still read p, so p waits in the retired list; otherwise it is freed now. */
void hmap__blk_release(hmap *m, void *p, uint8_t reason)
{
    blk *h = hdr_of(p);
    if (!iterators_live(m)) {
        free_object(m, h, reason);
        return;
    }
    h->reason = reason;
    h->next_retired = atomic_load_explicit(&m->ext->retired, memory_order_relaxed);
    atomic_store_explicit(&m->ext->retired, h, memory_order_release);
}

/* Free everything retired.  Called when the live-iterator count drops to
 * zero (possibly from several reader threads at once: each exchange hands
 * a list to exactly one of them) and at destruction. */
void hmap__retired_flush(hmap *m)
{
    struct hmap_ext *x = m->ext;
    if (!x) return; /* nothing can have been retired */
    blk *h = atomic_exchange_explicit(&x->retired, NULL, memory_order_acq_rel);
    while (h) {
        blk *next = h->next_retired;
        free_object(m, h, h->reason);
        h = next;
    }
    old_array *r = atomic_exchange_explicit(&x->retired_arrays, NULL, memory_order_acq_rel);
    while (r) {
        old_array *next = r->next;
        old_array_free(m, r);
        r = next;
    }
    uint8_t *b = atomic_exchange_explicit(&x->retired_ovf, NULL, memory_order_acq_rel);
    while (b) {
        uint8_t *next = overflow_of(m, b);
        hmap__bucket_free(m, b, m->bucketsize, HMAP_MEM_OVERFLOW, HMAP_FREE_CLEAR);
        b = next;
    }
}

/* A separately allocated key or value (> 128 bytes), zeroed; kind is
 * BLK_INDIRECT_KEY or BLK_INDIRECT_VAL. */
int hmap__indirect_alloc(hmap *m, uint8_t kind, void **out)
{
    uint32_t size = kind == BLK_INDIRECT_KEY ? key_size_of(m) : val_size_of(m);
    *out = hmap__blk_alloc(m, size, kind);
    if (!*out) return -1;
    HMAP_TP(indirect_alloc, m, *out, size, (uint8_t)(kind - BLK_INDIRECT));
    return 0;
}

/* The object was announced (indirect_alloc) but never reachable from the
 * map: free it now, saying why. */
void hmap__indirect_unused(hmap *m, void *p)
{
    free_object(m, hdr_of(p), HMAP_OBJ_UNUSED);
}
