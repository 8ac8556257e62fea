/* SPDX-License-Identifier: MIT */
/*
 * test_release.c — when bucket memory goes back to the allocator
 * (docs/go-map-model.md §8.5, §12): the question bucketscope exists to answer.
 *
 * An allocator with a ledger of live blocks lets each test ask "is this
 * overflow bucket freed yet?" at every step.
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#define LEDGER_MAX 4096

static struct {
    void *blocks[LEDGER_MAX];
    size_t sizes[LEDGER_MAX];
    unsigned n;
} ledger;

static void *ledger_alloc(void *ctx, size_t size, size_t align)
{
    void *p = calloc(1, size);
    if (p && ledger.n < LEDGER_MAX) {
        ledger.sizes[ledger.n] = size;
        ledger.blocks[ledger.n++] = p;
    }
    return p;
}

static void ledger_free(void *ctx, void *p, size_t size)
{
    for (unsigned i = 0; i < ledger.n; i++)
        if (ledger.blocks[i] == p) {
            ledger.sizes[i] = ledger.sizes[ledger.n - 1];
            ledger.blocks[i] = ledger.blocks[--ledger.n];
            break;
        }
    free(p);
}

static const hmap_allocator ledger_allocator = {ledger_alloc, ledger_free, NULL};

/* Is the overflow bucket at p (inside a map block) still allocated? */
static bool live(const uint8_t *p)
{
    for (unsigned i = 0; i < ledger.n; i++)
        if (ledger.blocks[i] == p) return true; /* bucket memory has no header */
    return false;
}

/* Bytes the allocator holds for the map: what bytes_allocated must say. */
static size_t ledger_bytes(void)
{
    size_t n = 0;
    for (unsigned i = 0; i < ledger.n; i++)
        n += ledger.sizes[i];
    return n;
}

/* Keys of either kind made from a number; strings come from a pool that
 * outlives every map. */
static char str_pool[4096][12];

static void make_key(bool str, uint64_t n, void *out)
{
    if (!str) {
        memcpy(out, &n, 8);
        return;
    }
    snprintf(str_pool[n], sizeof str_pool[n], "key%06llu", (unsigned long long)n);
    hmap_str s = {str_pool[n], strlen(str_pool[n])};
    memcpy(out, &s, sizeof s);
}

/* The next key number >= *from whose key lands in a bucket in [lo, hi]. */
static uint64_t next_key(const hmap *m, bool str, uint64_t *from, uint64_t lo, uint64_t hi)
{
    for (;; (*from)++) {
        keybuf k;
        make_key(str, *from, &k);
        uint64_t b = key_hash(m, &k) & bucket_mask(m->B);
        if (b >= lo && b <= hi) return (*from)++;
    }
}

/* The life of an old overflow bucket across a doubling growth.
 *   str (pointerful), no iteration: freed when its chain is evacuated.
 *   u64 (pointer-free), or any map iterated since the last growth: kept
 *   until the growth completes, then freed. */
static void check_overflow_release(bool str, bool iterate)
{
    ledger.n = 0;
    hmap_options o = {.seed = 81, .hint = 53, .allocator = &ledger_allocator};
    hmap *m = hmap_new(str ? &hmap_type_str : &hmap_type_u64, &o);
    CU_ASSERT_EQUAL_FATAL(m->B, 4);
    uint64_t from = 0, v = 1, chain_p[9];
    keybuf kb;
    void *k = &kb;
    /* Chains 0 .. P-1 take the P preallocated buckets (P = 2 for 144-byte,
     * 3 for 208-byte buckets), chain P an allocated one. */
    uint64_t P = stats_of(m).prealloc_total;
    CU_ASSERT_FATAL(P >= 2 && P <= 3);
    for (uint64_t b = 0; b <= P; b++)
        for (int i = 0; i < 9; i++) {
            uint64_t n = next_key(m, str, &from, b, b);
            if (b == P) chain_p[i] = n;
            make_key(str, n, k);
            CU_ASSERT_EQUAL_FATAL(hmap_set(m, k, &v), 0);
        }
    uint8_t *ovf = overflow_of(m, bucket_at(m, m->buckets, P));
    CU_ASSERT_FATAL(ovf && !in_block(ovf, m->buckets, map_nalloc(m), m->bucketsize));
    if (iterate) {
        hmap_iter it;
        hmap_iter_init(&it, m);
        while (hmap_iter_next(&it, NULL, NULL))
            ;
    }
    /* Fill buckets P+2 .. 15 until the doubling starts; its first growWork
     * touches old bucket 0, maybe 1, and the target, never P. */
    while (!oldbuckets_of(m)) {
        make_key(str, next_key(m, str, &from, P + 2, 15), k);
        CU_ASSERT_EQUAL_FATAL(hmap_set(m, k, &v), 0);
    }
    CU_ASSERT_FALSE_FATAL(old_evacuated(m, P));
    CU_ASSERT_TRUE(live(ovf));

    /* An update of a chain-P key evacuates old bucket P. */
    make_key(str, chain_p[0], k);
    CU_ASSERT_EQUAL(hmap_set(m, k, &v), 0);
    CU_ASSERT_TRUE_FATAL(oldbuckets_of(m) != NULL);
    CU_ASSERT_TRUE(old_evacuated(m, P));
    bool freed_at_evacuation = !live(ovf);
    if (freed_at_evacuation != (str && !iterate))
        FAILF("%s map%s: old overflow bucket %s at its chain's evacuation",
              str ? "pointerful" : "pointer-free", iterate ? " (iterated)" : "",
              freed_at_evacuation ? "freed" : "not freed");

    /* Deletes of absent keys finish the growth: now it is gone in all cases. */
    for (uint64_t q = 100000; oldbuckets_of(m); q++) {
        make_key(false, q, k); /* u64 bytes; for str maps a short absent key */
        if (str) {
            hmap_str s = {"absent-key", 10 - (q % 10)};
            memcpy(k, &s, sizeof s);
        }
        hmap_delete(m, k);
    }
    CU_ASSERT_FALSE(live(ovf));
    hmap_free(m);
    CU_ASSERT_EQUAL(ledger.n, 0);
}

static void test_pointerful_freed_at_evacuation(void)
{
    check_overflow_release(true, false);
}
static void test_pointer_free_freed_at_end(void)
{
    check_overflow_release(false, false);
}
static void test_iterated_freed_at_end(void)
{
    check_overflow_release(true, true);
}

/* §12, §13(c): deletes free nothing but indirect objects: an overflow
 * bucket emptied by deletes stays linked and allocated; the array stays. */
static void test_delete_frees_nothing(void)
{
    ledger.n = 0;
    hmap_options o = {.seed = 82, .hint = 53, .allocator = &ledger_allocator};
    hmap *m = hmap_new(&hmap_type_u64, &o);
    uint64_t from = 0, keys[40];
    for (int i = 0; i < 40; i++) { /* chain 7: head + 4 overflow buckets */
        keys[i] = key_for_bucket(m, 7, &from);
        set_u64(m, keys[i], 1);
    }
    unsigned blocks = ledger.n;
    size_t bytes = stats_of(m).bytes_allocated;
    for (int i = 0; i < 40; i++)
        CU_ASSERT_TRUE(hmap_delete(m, &keys[i]));
    CU_ASSERT_EQUAL(ledger.n, blocks);
    CU_ASSERT_EQUAL(stats_of(m).bytes_allocated, bytes);
    CU_ASSERT_EQUAL(stats_of(m).overflow_buckets, 4);
    CU_ASSERT_EQUAL(m->B, 4);
    hmap_free(m);
    CU_ASSERT_EQUAL(ledger.n, 0);
}

/* §10.4: memory a write drops while an iterator lives stays allocated until
 * the last iterator ends, although bucket memory has no block header: the
 * old array of a growth that completes (its record was taken when the
 * growth started) and the overflow buckets a clear drops (linked through
 * their overflow words).  bytes_allocated matches the allocator at every
 * step. */
static void test_retired_without_header(void)
{
    ledger.n = 0;
    hmap_options o = {.seed = 83, .hint = 53, .allocator = &ledger_allocator};
    hmap *m = hmap_new(&hmap_type_u64, &o);
    uint64_t from = 0;
    for (int i = 0; i < 40; i++) /* chain 7: head, 2 preallocated, 2 allocated */
        set_u64(m, key_for_bucket(m, 7, &from), 1);
    uint8_t *ovf = overflow_of(m, bucket_at(m, m->buckets, 7));
    while (ovf && in_block(ovf, m->buckets, map_nalloc(m), m->bucketsize))
        ovf = overflow_of(m, ovf);
    CU_ASSERT_FATAL(ovf != NULL);

    hmap_iter it;
    hmap_iter_init(&it, m);
    CU_ASSERT_TRUE(hmap_iter_next(&it, NULL, NULL));
    hmap_clear(m);
    CU_ASSERT_TRUE(live(ovf)); /* an iterator may stand on it */
    hmap_stats s = stats_of(m);
    CU_ASSERT(s.retained_blocks >= 1);
    CU_ASSERT_EQUAL(s.bytes_allocated, ledger_bytes());

    /* A growth that completes while the iterator lives: the old array waits. */
    uint8_t *first = m->buckets;
    for (uint64_t k = 1000; !oldbuckets_of(m); k++)
        set_u64(m, k, k);
    for (uint64_t k = 1000000; oldbuckets_of(m); k++)
        set_u64(m, k, k);
    CU_ASSERT_TRUE(live(first));
    CU_ASSERT_EQUAL(stats_of(m).bytes_allocated, ledger_bytes());

    while (hmap_iter_next(&it, NULL, NULL))
        ;
    CU_ASSERT_FALSE(live(ovf));
    CU_ASSERT_FALSE(live(first));
    s = stats_of(m);
    CU_ASSERT_EQUAL(s.retained_blocks, 0);
    CU_ASSERT_EQUAL(s.bytes_allocated, ledger_bytes());
    hmap_free(m);
    CU_ASSERT_EQUAL(ledger.n, 0);
}

void suite_release(void)
{
    CU_pSuite s = CU_add_suite("release", NULL, NULL);
    CU_add_test(s, "pointerful: old overflow freed when its chain is evacuated",
                test_pointerful_freed_at_evacuation);
    CU_add_test(s, "pointer-free: old overflow freed when the growth completes",
                test_pointer_free_freed_at_end);
    CU_add_test(s, "after an iteration (oldIterator): freed when the growth completes",
                test_iterated_freed_at_end);
    CU_add_test(s, "delete frees nothing; emptied overflow buckets stay",
                test_delete_frees_nothing);
    CU_add_test(s, "iterator keeps dropped bucket memory without block headers",
                test_retired_without_header);
}
