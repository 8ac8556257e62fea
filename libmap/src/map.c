/* SPDX-License-Identifier: MIT */
/*
 * map.c — creating and destroying maps, and Go's misuse detection (the
 * fatal error).  Seeds and the writer-side PRNG are seed.c's.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <unistd.h>

#include "internal.h"

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
/* Read once, not per thread: a thread-local buffer of this size made the
 * library's thread-local block too large for the static TLS that glibc
 * keeps for libraries loaded after start, and dlopen refused libhmap.so
 * ("cannot allocate memory in static TLS block"; see HMAP_TLS). */
static char exe_path[4096];
static pthread_once_t exe_once = PTHREAD_ONCE_INIT;
static void read_exe_path(void)
{
    ssize_t n = readlink("/proc/self/exe", exe_path, sizeof exe_path - 1);
    exe_path[n > 0 ? n : 0] = 0;
}
static const char *site_object(const void *site)
{
    Dl_info info;
    if (!site || !dladdr(site, &info) || !info.dli_fname) return "";
    if (info.dli_fname[0] == '/') return info.dli_fname;
    /* The main program is named as it was invoked (relative, or empty):
     * the kernel knows its real path, the same for the whole process. */
    pthread_once(&exe_once, read_exe_path);
    return exe_path[0] ? exe_path : info.dli_fname;
}

/* map_create and map_info: who the map is, at its creation and in every
 * state dump. */
void hmap__tp_identity(hmap *m)
{
    const void *site;
    const char *type_name;
    uint32_t hint;
    hmap__identity(m, &site, &type_name, &hint);
    const struct hmap_cold *c = cold_of(m);
    HMAP_TP(map_create, m, key_size_of(m), val_size_of(m), m->bucketsize, (uint8_t)is_pointerful(m),
            m->reclaim, hint, type_name);
    HMAP_TP(map_info, m, site, site_offset(site), site_object(site), c ? c->name : "");
}

int hmap__ensure_ext(hmap *m)
{
    if (LIKELY(m->ext != NULL)) return 0;
    const hmap_allocator *a = alloc_of(m); /* no ext: the default allocator */
    struct hmap_ext *x = a->alloc(a->ctx, sizeof *x, 16);
    if (!x) return -1;
    memset(x, 0, sizeof *x);
    x->nalloc = bucket_shift(m->B); /* B < 4 here: no tail */
    m->ext = x;
    return 0;
}

/* After a growth: a small map back to what the header describes alone (no
 * tail, no cold part, GO policy, no allocator overflow bucket, nothing
 * kept for iterators) gives ext back, so that it holds what Go's holds:
 * nevacuate then reads from the flags (map_nevacuate). */
void hmap__ext_trim(hmap *m)
{
    struct hmap_ext *x = m->ext;
    if (!x || x->cold || m->reclaim != HMAP_RECLAIM_GO || m->B >= 4 || growing(m) ||
        atomic_load_explicit(&m->live_iters, memory_order_acquire) != 0 || x->retired ||
        x->retired_arrays || x->retired_ovf)
        return;
    for (uint64_t i = 0; m->buckets && i < bucket_shift(m->B); i++)
        if (overflow_of(m, bucket_at(m, m->buckets, i))) return; /* B < 4: allocator's */
    m->ext = NULL;
    hmap_default_allocator.free(hmap_default_allocator.ctx, x, sizeof *x);
}

/* A type the header describes alone: built-in shape, no hash or equality
 * function of its own, nothing stored indirectly. */
static bool needs_cold(const hmap_type *t, const hmap_options *o)
{
    bool own_fn = t->kind == HMAP_KIND_GENERIC && (t->hash || t->equal);
    return own_fn || t->key_size > MAX_KEY_SIZE || t->val_size > MAX_ELEM_SIZE || o->allocator ||
           (o->name && o->name[0]);
}

static void free_header(hmap *m, const hmap_allocator *a)
{
    if (m->ext) {
        struct hmap_cold *c = m->ext->cold;
        a->free(a->ctx, m->ext, sizeof *m->ext);
        if (c) a->free(a->ctx, c, sizeof *c);
    }
    a->free(a->ctx, m, sizeof *m);
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
    bool ik = type->key_size > MAX_KEY_SIZE, iv = type->val_size > MAX_ELEM_SIZE;
    m->keyslot = (uint8_t)(ik ? sizeof(void *) : type->key_size);
    m->valslot = (uint8_t)(iv ? sizeof(void *) : type->val_size);
    m->bucketsize =
        (uint16_t)(DATA_OFFSET + BUCKET_CNT * (m->keyslot + m->valslot) + sizeof(void *));
    m->kind = (uint8_t)type->kind;
    m->reclaim = (uint8_t)o.reclaim;
    /* An indirect key or value is a pointer: the bucket kind is pointerful. */
    m->props = (ik ? P_INDIRECT_KEY : 0) | (iv ? P_INDIRECT_VAL : 0) |
               ((type->flags & HMAP_TYPE_POINTERFUL) || ik || iv ? P_POINTERFUL : 0) |
               (type->flags & HMAP_TYPE_NONREFLEXIVE ? 0 : P_REFLEXIVE) |
               (type->flags & HMAP_TYPE_KEY_UPDATE ? P_KEY_UPDATE : 0) |
               (o.seed ? P_FIXED_SEED : 0);
    bool pointerful_generic_key = m->kind == HMAP_KIND_GENERIC && (m->props & P_POINTERFUL);
    if (o.reclaim == HMAP_RECLAIM_GO && !ik && !iv && !pointerful_generic_key &&
        (m->valslot == 4 || m->valslot == 8 || m->valslot == 16))
        m->props |= P_QUICK_DELETE;
    m->B = b_for_hint(o.hint, m->bucketsize);

    /* The out-of-line parts, when this map needs them from the start. */
    if (needs_cold(type, &o) || o.reclaim != HMAP_RECLAIM_GO || m->B >= 4) {
        bool cold = needs_cold(type, &o);
        struct hmap_ext *x = a->alloc(a->ctx, sizeof *x, 16);
        struct hmap_cold *c = x && cold ? a->alloc(a->ctx, sizeof *c, 16) : NULL;
        if (!x || (cold && !c)) {
            if (x) a->free(a->ctx, x, sizeof *x);
            a->free(a->ctx, m, sizeof *m);
            errno = ENOMEM;
            return NULL;
        }
        memset(x, 0, sizeof *x);
        x->nalloc = bucket_shift(m->B);
        x->min_B = m->B;
        if (c) {
            memset(c, 0, sizeof *c);
            c->type = *type;
            c->alloc = *a;
            if (o.name) snprintf(c->name, sizeof c->name, "%s", o.name);
        }
        x->cold = c;
        m->ext = x;
    }

    if (o.seed) {
        hmap__set_seed(m, o.seed);
    } else {
        uint64_t r;
        if (hmap__fresh_seed(&r) < 0) {
            free_header(m, a);
            errno = EIO;
            return NULL;
        }
        hmap__set_seed(m, r);
    }

    const void *site = __builtin_extract_return_addr(__builtin_return_address(0));
    if (hmap__registry_add(m, site, type->name ? type->name : "anonymous", o.hint) < 0) {
        free_header(m, a);
        errno = ENOMEM;
        return NULL;
    }
    hmap__tp_identity_if_listening(m);

    if (m->B != 0) {
        uint8_t *next_ovf;
        uint64_t nalloc;
        if (hmap__make_bucket_array(m, m->B, &m->buckets, &next_ovf, &nalloc) < 0) {
            HMAP_TP(map_destroy, m, 0, hmap__bytes_held(m));
            hmap__registry_remove(m);
            free_header(m, a);
            errno = ENOMEM;
            return NULL;
        }
        if (m->ext) {
            m->ext->nalloc = nalloc;
            m->ext->next_overflow = next_ovf;
        }
    }
    hmap__registry_publish(m); /* complete: a state dump may read it now */
    return m;
}

/* Free the separately allocated keys and values of b's live slots. */
static void free_indirect_live(hmap *m, uint8_t *b)
{
    for (unsigned i = 0; i < BUCKET_CNT; i++) {
        if (b[i] < MIN_TOP_HASH) continue;
        if (has_indirect_key(m)) hmap__blk_release(m, key_of(m, b, i), HMAP_OBJ_DESTROY);
        if (has_indirect_val(m)) hmap__blk_release(m, val_of(m, b, i), HMAP_OBJ_DESTROY);
    }
}

/* Free an array and the individually allocated overflow buckets of its
 * chains (preallocated ones live inside the block and go with it), now:
 * the caller knows no iterator can reach them.  Live indirect objects are
 * released too when the map is destroyed (the slots own them; evacuated
 * copies do not). */
void hmap__free_chains(hmap *m, uint8_t *arr, uint64_t nbuckets, uint64_t nalloc, uint8_t reason)
{
    bool with_indirect =
        reason == HMAP_FREE_DESTROY && (has_indirect_key(m) || has_indirect_val(m));
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
    HMAP_TP(map_destroy, m, m->count, hmap__bytes_held(m));
    /* Iterators still open are invalid from here on: free, don't retire. */
    atomic_store(&m->live_iters, 0);
    if (m->ext) hmap__retired_flush(m);
    if (growing(m)) {
        hmap__free_chains(m, oldbuckets_of(m), noldbuckets(m), map_old_nalloc(m),
                          HMAP_FREE_DESTROY);
        hmap__old_record_free(m, m->ext->old_rec);
    }
    if (m->buckets)
        hmap__free_chains(m, m->buckets, bucket_shift(m->B), map_nalloc(m), HMAP_FREE_DESTROY);
    hmap_allocator a = *alloc_of(m);
    free_header(m, &a);
}

HMAP_API size_t hmap_len(const hmap *m)
{
    return m ? (size_t)m->count : 0;
}
