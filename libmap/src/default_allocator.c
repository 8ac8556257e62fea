/* SPDX-License-Identifier: MIT */
/*
 * default_allocator.c — the allocator of maps made without
 * hmap_options.allocator: malloc, huge pages for large bucket arrays, and a
 * per-thread cache of small blocks.  A leaf: it knows nothing of maps.
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif

#include "internal.h"

/*
 * Large blocks.  Invariant: a block of HUGE_BLOCK bytes or more starts on a
 * 2 MiB boundary and was advised MADV_HUGEPAGE before anything in it was
 * touched by this allocation; every block comes from malloc, so freeing and
 * reuse follow glibc's policy (its mmap and trim thresholds) exactly as for
 * any other block.
 *
 * Why: a large bucket array is probed at random, one bucket per operation,
 * so with 4 KiB pages nearly every access is also a TLB miss and a page
 * walk; the Go runtime asks for transparent huge pages on its heap arenas,
 * so a Go map of the same size gets 2 MiB pages.  calloc followed by advice
 * is not enough: calloc zeroes reused heap memory by touching it, so the
 * kernel has already given it 4 KiB pages when the advice comes, and an
 * unaligned block loses a huge page at either end (a 2.5 MB array may hold
 * none).  Advising first and zeroing after lets every 2 MiB page of the
 * block that is not yet resident fault in whole.
 *
 * Memory: the block is the requested size; glibc keeps the alignment slack
 * in front of it as a free chunk for other requests.  hmap_stats counts the
 * requested bytes as before.  (A mapping of the map's own per block, tried
 * first, made every new map fault its array in afresh and cost 1.6x on the
 * make-and-drop insert rows at 4*10^6 entries.)
 */
#define HUGE_PAGE ((size_t)2 << 20)
#define HUGE_BLOCK HUGE_PAGE
#define SMALL_MAX ((size_t)1024) /* glibc's tcache serves up to 1032 bytes */

/* A zeroed block of `size` bytes on a 2 MiB boundary, advised for huge
 * pages before it is zeroed, or NULL. */
static void *huge_alloc(size_t size)
{
    void *p = NULL;
    if (posix_memalign(&p, HUGE_PAGE, size) != 0) return NULL;
#ifdef MADV_HUGEPAGE
    /* madvise takes whole base pages: the block's 4 KiB-rounded end may
     * reach into the next chunk, which only asks huge pages for it too. */
    size_t len = (size + 4095) & ~(size_t)4095;
    (void)madvise(p, len, MADV_HUGEPAGE); /* advisory: 4 KiB pages if refused */
#endif
    memset(p, 0, size);
    return p;
}

/*
 * Small blocks: a per-thread cache in front of malloc, as Go's per-P
 * mcache sits in front of its heap.  Invariant: a cached block of class c
 * came from malloc of at least class_bytes(c) bytes, and a thread's cache
 * holds at most CACHE_DEPTH blocks of each class (so at most 64 KiB).
 *
 * Why: a small map's life is two blocks (its header and its one bucket),
 * and glibc's malloc and free cost it ~260 instructions of ~1200, more than
 * its insert and lookup together (docs/libhmap.md, "Small maps").  A cached
 * block costs a pop, a push and the zeroing.
 *
 * Classes are 8 bytes wide: every size the map asks for is a multiple of
 * 8, and glibc rounds a request of n bytes to a chunk of
 * roundup(n + 8, 16) bytes whether n is rounded up to 8 first or not, so
 * taking class_bytes(c) from malloc holds no byte more than the request
 * did.  hmap_stats still counts the bytes requested.
 *
 * A block freed by one thread may have been allocated by another: the
 * cache holds memory, not ownership.  At thread exit the cache goes back
 * to malloc (a pthread key's destructor); a map freed after that, by a
 * later destructor, goes straight to free.  Memory checkers must see every
 * block come and go: the cache is compiled out under AddressSanitizer and
 * off under valgrind.
 */
#if defined(__SANITIZE_ADDRESS__)
#define HMAP_BLOCK_CACHE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HMAP_BLOCK_CACHE 0
#endif
#endif
#ifndef HMAP_BLOCK_CACHE
#define HMAP_BLOCK_CACHE 1
#endif

#if HMAP_BLOCK_CACHE
#define CACHE_GRAIN 8
#define CACHE_MAX                                                                                  \
    ((size_t)256) /* largest cached size: one bucket of 8-byte keys and values                     \
                     is 144, of string keys 208 */
#define CACHE_CLASSES (CACHE_MAX / CACHE_GRAIN - 1)
#define CACHE_DEPTH 8

struct cached { /* a free block in the cache; every class is at least 16 bytes */
    struct cached *next;
};
struct blk_cache {
    struct cached *head[CACHE_CLASSES];
    uint8_t n[CACHE_CLASSES];
};
#define CACHE_DEAD ((struct blk_cache *)1) /* the thread's cache was released */

static HMAP_TLS struct blk_cache *tcache;
static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static bool cache_off; /* under valgrind, or HMAP_BLOCK_CACHE=0 */

/* HMAP_BLOCK_CACHE=0 turns the cache off, =1 on even under valgrind (to
 * count its instructions with callgrind). */
__attribute__((constructor)) static void cache_setup(void)
{
    const char *env = getenv("HMAP_BLOCK_CACHE");
    if (env && (env[0] == '0' || env[0] == '1') && env[1] == 0) {
        cache_off = env[0] == '0';
        return;
    }
#ifdef RUNNING_ON_VALGRIND
    cache_off = RUNNING_ON_VALGRIND != 0;
#endif
}

/* Sizes the cache serves. */
static inline bool cacheable(size_t size)
{
    return size >= 2 * CACHE_GRAIN && size <= CACHE_MAX;
}
/* Class of a size in [16, CACHE_MAX]: 0 for 9..16 bytes, and so on. */
static inline unsigned class_of(size_t size)
{
    return (unsigned)((size - 1) / CACHE_GRAIN) - 1;
}
static inline size_t class_bytes(unsigned c)
{
    return ((size_t)c + 2) * CACHE_GRAIN;
}

static void cache_release(void *arg)
{
    struct blk_cache *c = arg;
    for (unsigned k = 0; k < CACHE_CLASSES; k++)
        for (struct cached *b = c->head[k], *next; b; b = next) {
            next = b->next;
            free(b);
        }
    free(c);
    tcache = CACHE_DEAD;
}
static void cache_key_make(void)
{
    (void)pthread_key_create(&cache_key, cache_release);
}

/* The calling thread's cache made now, or NULL: off, released, or no
 * memory for it. */
static __attribute__((noinline)) struct blk_cache *cache_make(void)
{
    if (tcache == CACHE_DEAD || cache_off) return NULL;
    struct blk_cache *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    pthread_once(&cache_once, cache_key_make);
    if (pthread_setspecific(cache_key, c) != 0) {
        free(c);
        tcache = CACHE_DEAD;
        return NULL;
    }
    tcache = c;
    return c;
}

/* The calling thread's cache, made on first use; NULL when there is none. */
static inline struct blk_cache *cache_get(void)
{
    struct blk_cache *c = tcache;
    if (LIKELY((uintptr_t)c > (uintptr_t)CACHE_DEAD)) return c;
    return cache_make();
}
#endif

static void *default_alloc(void *ctx, size_t size, size_t align)
{
    (void)ctx;
    (void)align; /* 16 is all the map asks; every path gives at least that */
    if (size >= HUGE_BLOCK) return huge_alloc(size);
    if (size > SMALL_MAX) return calloc(1, size);
    /* Small blocks through malloc and memset: glibc's calloc skips its
     * per-thread cache, and a small map's life (header, one bucket) cost
     * twice as much through calloc's arena path. */
    void *p = NULL;
    size_t take = size;
#if HMAP_BLOCK_CACHE
    if (cacheable(size)) {
        struct blk_cache *c = cache_get();
        unsigned k = class_of(size);
        take = class_bytes(k);
        if (c && c->head[k]) {
            struct cached *b = c->head[k];
            c->head[k] = b->next;
            c->n[k]--;
            p = b;
        }
    }
#endif
    if (!p) p = malloc(take);
    __asm__("" : "+r"(p)); /* or the compiler fuses malloc and memset into calloc */
    if (p) memset(p, 0, size);
    return p;
}

static void default_free(void *ctx, void *p, size_t size)
{
    (void)ctx;
#if HMAP_BLOCK_CACHE
    if (cacheable(size)) {
        struct blk_cache *c = cache_get();
        unsigned k = class_of(size);
        if (c && c->n[k] < CACHE_DEPTH) {
            struct cached *b = p;
            b->next = c->head[k];
            c->head[k] = b;
            c->n[k]++;
            return;
        }
    }
#else
    (void)size;
#endif
    free(p);
}
const hmap_allocator hmap_default_allocator = {default_alloc, default_free, NULL};
