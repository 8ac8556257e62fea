/* SPDX-License-Identifier: MIT */
/*
 * test_block_cache.c — the default allocator's per-thread cache of small
 * blocks (docs/libhmap.md, "Small maps"): a block it hands out is zeroed
 * and as large as asked, whatever size it was cached from; maps made in
 * one thread and freed in another stay correct; a thread's cache goes back
 * at its exit, and a map made or freed by a destructor that runs after
 * that still works.
 *
 * Run natively (the cache on) and under valgrind with HMAP_BLOCK_CACHE=1
 * (tests/unit/CMakeLists.txt), where a block cached too small is an
 * invalid write and a cache left behind by an exited thread is a leak.
 * Under AddressSanitizer the cache is compiled out and the same checks
 * hold of plain malloc.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

/* Every size from 16 to 256 bytes, multiples of 8 and not: freed dirty,
 * then each size of the same and the next 8-byte class asked again. */
static void test_reuse_zeroed_and_large_enough(void)
{
    const hmap_allocator *a = &hmap_default_allocator;
    for (size_t size = 16; size <= 256; size += 4) {
        for (size_t again = size; again <= size + 8 && again <= 256; again += 4) {
            uint8_t *p = a->alloc(a->ctx, size, 16);
            CU_ASSERT_PTR_NOT_NULL_FATAL(p);
            memset(p, 0xab, size);
            a->free(a->ctx, p, size);
            uint8_t *q = a->alloc(a->ctx, again, 16);
            CU_ASSERT_PTR_NOT_NULL_FATAL(q);
            CU_ASSERT_EQUAL((uintptr_t)q % 16, 0);
            for (size_t i = 0; i < again; i++)
                if (q[i] != 0) {
                    FAILF("size %zu then %zu: byte %zu is 0x%02x, not zeroed", size, again, i,
                          q[i]);
                    break;
                }
            memset(q, 0xcd, again); /* all of it is ours: valgrind checks */
            a->free(a->ctx, q, again);
        }
    }
}

/* More blocks of one size than a thread caches: the rest go to free. */
static void test_more_than_the_cache_holds(void)
{
    const hmap_allocator *a = &hmap_default_allocator;
    enum { N = 100 };
    void *p[N];
    for (int i = 0; i < N; i++) {
        p[i] = a->alloc(a->ctx, 144, 16);
        CU_ASSERT_PTR_NOT_NULL_FATAL(p[i]);
    }
    for (int i = 0; i < N; i++)
        a->free(a->ctx, p[i], 144);
}

#define THREADS 4
#define MAPS_PER_THREAD 300
static hmap *handed[THREADS][MAPS_PER_THREAD]; /* made by thread t, freed by main */
static atomic_int thread_failures;

/* Entries of map j: 1..9 keys, so one bucket, a full bucket, and a grown
 * array with its first overflow-free chains. */
static uint64_t entries_of(int j)
{
    return 1 + (uint64_t)j % 9;
}

static bool holds_exactly(const hmap *m, uint64_t base, uint64_t n)
{
    if (hmap_len(m) != n) return false;
    for (uint64_t k = 0; k < n; k++)
        if (get_u64(m, base + k) != k) return false;
    return get_u64(m, base + n) == UINT64_MAX;
}

static void *make_maps(void *arg)
{
    int t = (int)(intptr_t)arg;
    hmap_type ty = {
        .key_size = 8, .key_align = 8, .val_size = 8, .val_align = 8, .kind = HMAP_KIND_U64};
    for (int j = 0; j < MAPS_PER_THREAD; j++) {
        hmap *m = hmap_new(&ty, NULL);
        uint64_t base = ((uint64_t)t << 32) | ((uint64_t)j << 8);
        for (uint64_t k = 0; m && k < entries_of(j); k++)
            if (!set_u64(m, base + k, k)) atomic_fetch_add(&thread_failures, 1);
        if (!m || !holds_exactly(m, base, entries_of(j))) atomic_fetch_add(&thread_failures, 1);
        if (j % 2) {
            handed[t][j] = m;
        } else {
            hmap_free(m); /* into this thread's cache, reused by the next maps */
        }
    }
    return NULL;
}

/* Maps made in four threads, half freed there and half, after the
 * threads have exited (their caches released), by the main thread. */
static void test_maps_across_threads(void)
{
    pthread_t th[THREADS];
    atomic_store(&thread_failures, 0);
    for (int t = 0; t < THREADS; t++)
        CU_ASSERT_EQUAL_FATAL(pthread_create(&th[t], NULL, make_maps, (void *)(intptr_t)t), 0);
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    CU_ASSERT_EQUAL(atomic_load(&thread_failures), 0);
    for (int t = 0; t < THREADS; t++)
        for (int j = 1; j < MAPS_PER_THREAD; j += 2) {
            uint64_t base = ((uint64_t)t << 32) | ((uint64_t)j << 8);
            if (!holds_exactly(handed[t][j], base, entries_of(j)))
                FAILF("map %d of thread %d changed after its thread exited", j, t);
            hmap_free(handed[t][j]);
        }
}

/* A thread-specific destructor made after the cache's key runs after the
 * cache has gone back: the map it frees, and one it makes and frees, go to
 * malloc directly. */
static pthread_key_t late_key;
static atomic_int late_ok;

static void late_destructor(void *arg)
{
    hmap *m = arg;
    bool ok = holds_exactly(m, 1000, 5);
    hmap_free(m);
    hmap *n = new_u64_map(3, 0);
    for (uint64_t k = 0; k < 5; k++)
        ok = ok && set_u64(n, 2000 + k, k);
    ok = ok && holds_exactly(n, 2000, 5);
    hmap_free(n);
    atomic_store(&late_ok, ok ? 1 : -1);
}

static void *thread_with_late_destructor(void *arg)
{
    (void)arg;
    hmap *m = new_u64_map(2, 0);
    for (uint64_t k = 0; k < 5; k++)
        set_u64(m, 1000 + k, k);
    hmap *scratch = new_u64_map(4, 0); /* the thread's cache holds its blocks */
    set_u64(scratch, 1, 1);
    hmap_free(scratch);
    pthread_setspecific(late_key, m);
    return NULL;
}

static void test_destructor_after_cache_release(void)
{
    /* The main thread has made maps by now, so the cache's key exists and
     * this one comes after it. */
    hmap_free(new_u64_map(1, 0));
    CU_ASSERT_EQUAL_FATAL(pthread_key_create(&late_key, late_destructor), 0);
    atomic_store(&late_ok, 0);
    pthread_t th;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, thread_with_late_destructor, NULL), 0);
    pthread_join(th, NULL);
    CU_ASSERT_EQUAL(atomic_load(&late_ok), 1);
    pthread_key_delete(late_key);
}

void suite_block_cache(void)
{
    CU_pSuite s = CU_add_suite("block_cache", NULL, NULL);
    CU_add_test(s, "a cached block comes back zeroed and as large as asked",
                test_reuse_zeroed_and_large_enough);
    CU_add_test(s, "more blocks than the cache holds", test_more_than_the_cache_holds);
    CU_add_test(s, "maps made and freed across threads", test_maps_across_threads);
    CU_add_test(s, "a destructor after the cache went back", test_destructor_after_cache_release);
}
