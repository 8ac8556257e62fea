/* SPDX-License-Identifier: MIT */
/*
 * map.c — creating and destroying maps, and Go's misuse detection (the
 * fatal error).  Seeds and the writer-side PRNG are seed.c's.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <unistd.h>

#include "internal.h"

extern const hmap_allocator hmap_default_allocator;
int hmap__type_check(const hmap_type *t);

_Noreturn void hmap_fatal(const char *msg)
{
    fprintf(stderr, "fatal error: %s\n", msg);
    fflush(stderr);
    abort();
}

/* Go's makemap: B is the smallest with !overLoadFactor(hint, B); a hint
 * whose bucket bytes would overflow or exceed the allocation limit acts as
 * 0 (maxAlloc is 2^48 on linux/amd64). */
static uint8_t b_for_hint(uint64_t hint, uint32_t bucketsize)
{
    if (hint > ((uint64_t)1 << 48) / bucketsize) hint = 0;
    uint8_t B = 0;
    while (over_load_factor(hint, B))
        B++;
    return B;
}

/* Where site lies: the ELF object's path and site's offset from its load
 * address, so that the analyzer can symbolize it from the file (docs/
 * statedump.md, "Names and creation sites").  Only evaluated when a tracer
 * listens to map_info. */
static uint64_t site_offset(const void *site)
{
    Dl_info info;
    return site && dladdr(site, &info) && info.dli_fbase
               ? (uint64_t)((uintptr_t)site - (uintptr_t)info.dli_fbase)
               : 0;
}
static const char *site_object(const void *site)
{
    Dl_info info;
    if (!site || !dladdr(site, &info) || !info.dli_fname) return "";
    if (info.dli_fname[0] == '/') return info.dli_fname;
    /* The main program is named as it was invoked (relative, or empty):
     * the kernel knows its real path. */
    static __thread char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return info.dli_fname;
    exe[n] = 0;
    return exe;
}

/* map_create and map_info: who the map is, at its creation and in every
 * state dump. */
void hmap__tp_identity(hmap *m)
{
    HMAP_TP(map_create, m, m->type.key_size, m->type.val_size, m->bucketsize,
            (uint8_t)m->pointerful, (uint8_t)m->reclaim,
            (uint32_t)(m->hint > UINT32_MAX ? UINT32_MAX : m->hint), m->type.name);
    HMAP_TP(map_info, m, m->site, site_offset(m->site), site_object(m->site), m->name);
}

/* noinline: the return address is the caller's, never a caller's caller. */
HMAP_API __attribute__((noinline)) hmap *hmap_new(const hmap_type *type, const hmap_options *opts)
{
    hmap_options o = {0};
    if (opts) o = *opts;
    if (hmap__type_check(type) < 0 ||
        (o.allocator && (!o.allocator->alloc || !o.allocator->free))) {
        errno = EINVAL;
        return NULL;
    }
    if (o.reclaim != HMAP_RECLAIM_GO && o.reclaim != HMAP_RECLAIM_EAGER &&
        o.reclaim != HMAP_RECLAIM_SHRINK) {
        errno = EINVAL;
        return NULL;
    }
    const hmap_allocator *a = o.allocator ? o.allocator : &hmap_default_allocator;
    hmap *m = a->alloc(a->ctx, sizeof *m, 16);
    if (!m) {
        errno = ENOMEM;
        return NULL;
    }
    memset(m, 0, sizeof *m);
    m->alloc = *a;
    atomic_store(&m->bytes_allocated, sizeof *m);
    m->type = *type;
    if (!m->type.name) m->type.name = "anonymous";
    m->indirect_key = type->key_size > MAX_KEY_SIZE;
    m->indirect_val = type->val_size > MAX_ELEM_SIZE;
    m->keyslot = m->indirect_key ? sizeof(void *) : type->key_size;
    m->valslot = m->indirect_val ? sizeof(void *) : type->val_size;
    m->bucketsize = DATA_OFFSET + BUCKET_CNT * (m->keyslot + m->valslot) + sizeof(void *);
    /* An indirect key or value is a pointer: the bucket kind is pointerful. */
    m->pointerful = (type->flags & HMAP_TYPE_POINTERFUL) || m->indirect_key || m->indirect_val;
    m->reflexive = !(type->flags & HMAP_TYPE_NONREFLEXIVE);
    m->reclaim = o.reclaim;
    m->hint = o.hint;
    m->site = __builtin_extract_return_addr(__builtin_return_address(0));
    if (o.name) snprintf(m->name, sizeof m->name, "%s", o.name);

    if (o.seed) {
        m->fixed_seed = true;
        m->rng = o.seed ^ 0x6a09e667f3bcc909ull;
        hmap__set_seed(m, o.seed);
    } else {
        uint64_t r[2];
        if (getrandom(r, sizeof r, 0) != sizeof r) {
            a->free(a->ctx, m, sizeof *m);
            errno = EIO;
            return NULL;
        }
        m->rng = r[1];
        hmap__set_seed(m, r[0]);
    }

    hmap__tp_identity(m);

    m->B = b_for_hint(o.hint, m->bucketsize);
    m->min_B = m->B;
    if (m->B != 0 &&
        hmap__make_bucket_array(m, m->B, &m->buckets, &m->next_overflow, &m->nalloc) < 0) {
        HMAP_TP(map_destroy, m, 0, (uint64_t)atomic_load(&m->bytes_allocated));
        a->free(a->ctx, m, sizeof *m);
        errno = ENOMEM;
        return NULL;
    }
    hmap__registry_add(m);
    return m;
}

/* Free the separately allocated keys and values of b's live slots. */
static void free_indirect_live(hmap *m, uint8_t *b)
{
    for (unsigned i = 0; i < BUCKET_CNT; i++) {
        if (b[i] < MIN_TOP_HASH) continue;
        if (m->indirect_key) hmap__blk_release(m, key_of(m, b, i), HMAP_OBJ_DESTROY);
        if (m->indirect_val) hmap__blk_release(m, val_of(m, b, i), HMAP_OBJ_DESTROY);
    }
}

/* Free an array and the individually allocated overflow buckets of its
 * chains (preallocated ones live inside the block and go with it), now:
 * the caller knows no iterator can reach them.  Live indirect objects are
 * released too when the map is destroyed (the slots own them; evacuated
 * copies do not). */
void hmap__free_chains(hmap *m, uint8_t *arr, uint64_t nbuckets, uint64_t nalloc, uint8_t reason)
{
    bool with_indirect = reason == HMAP_FREE_DESTROY && (m->indirect_key || m->indirect_val);
    for (uint64_t i = 0; i < nbuckets; i++) {
        uint8_t *b = bucket_at(m, arr, i);
        uint8_t *ovf = overflow_of(m, b);
        if (with_indirect) free_indirect_live(m, b);
        while (ovf) {
            uint8_t *next = overflow_of(m, ovf);
            if (with_indirect) free_indirect_live(m, ovf);
            if (!in_block(ovf, arr, nalloc, m->bucketsize))
                hmap__bucket_free(m, ovf, m->bucketsize, HMAP_MEM_OVERFLOW, reason);
            ovf = next;
        }
    }
    hmap__bucket_free(m, arr, nalloc * m->bucketsize, HMAP_MEM_ARRAY, reason);
}

HMAP_API void hmap_free(hmap *m)
{
    if (!m) return;
    hmap__registry_remove(m);
    HMAP_TP(map_destroy, m, m->count, (uint64_t)atomic_load(&m->bytes_allocated));
    /* Iterators still open are invalid from here on: free, don't retire. */
    atomic_store(&m->live_iters, 0);
    hmap__retired_flush(m);
    if (m->oldbuckets) {
        hmap__free_chains(m, m->oldbuckets, noldbuckets(m), m->old_nalloc, HMAP_FREE_DESTROY);
        hmap__old_record_free(m, m->old_rec);
    }
    if (m->buckets)
        hmap__free_chains(m, m->buckets, bucket_shift(m->B), m->nalloc, HMAP_FREE_DESTROY);
    hmap_allocator a = m->alloc;
    a.free(a.ctx, m, sizeof *m);
}

HMAP_API size_t hmap_len(const hmap *m)
{
    return m ? (size_t)m->count : 0;
}
