/* SPDX-License-Identifier: MIT */
/*
 * test_eager.c — HMAP_RECLAIM_EAGER against HMAP_RECLAIM_GO: what deletes
 * give back, when, and what a live iterator postpones.
 */
#include <CUnit/CUnit.h>
#include <errno.h>
#include <stdlib.h>

#include "cunit_util.h"
#include "hmap.h"
#include "map_util.h"

#define SEED 0x5eed5eedull

/* n keys whose hash selects bucket `want` of a map with 2^B buckets. */
static void keys_in_bucket(uint64_t *out, int n, uint8_t B, uint64_t want, uint64_t seed)
{
    uint64_t k = 1;
    for (int i = 0; i < n; k++)
        if ((hmap_hash_u64(k, seed) & ((1ull << B) - 1)) == want) out[i++] = k;
}

/* B = 1 (hint 13): 12 keys in bucket 0 need one allocator overflow bucket;
 * deleting the 4 that live in it frees it under EAGER, never under GO. */
static void test_emptied_overflow_freed(void)
{
    uint64_t k[12];
    keys_in_bucket(k, 12, 1, 0, SEED);
    for (int pol = 0; pol < 2; pol++) {
        hmap *m = new_u64_map_reclaim(SEED, 13, pol ? HMAP_RECLAIM_EAGER : HMAP_RECLAIM_GO);
        for (int i = 0; i < 12; i++)
            CU_ASSERT_EQUAL_FATAL(hmap_set(m, &k[i], &k[i]), 0);
        hmap_stats before = stats_of(m);
        CU_ASSERT_EQUAL(before.B, 1);
        CU_ASSERT_EQUAL(before.overflow_buckets, 1);
        for (int i = 8; i < 12; i++)
            CU_ASSERT(hmap_delete(m, &k[i]));
        hmap_stats after = stats_of(m);
        if (pol) {
            CU_ASSERT_EQUAL(after.overflow_buckets, 0);
            CU_ASSERT_EQUAL(before.bytes_allocated - after.bytes_allocated,
                            (uint64_t)before.bucket_size);
            CU_ASSERT_EQUAL(after.noverflow, 0);
        } else {
            CU_ASSERT_EQUAL(after.overflow_buckets, 1);
            CU_ASSERT_EQUAL(after.bytes_allocated, before.bytes_allocated);
        }
        for (int i = 0; i < 8; i++)
            CU_ASSERT(hmap_get(m, &k[i]) && *(uint64_t *)hmap_get(m, &k[i]) == k[i]);
        /* Inserting again links a fresh overflow bucket. */
        for (int i = 8; i < 12; i++)
            CU_ASSERT_EQUAL(hmap_set(m, &k[i], &k[i]), 0);
        CU_ASSERT_EQUAL(stats_of(m).overflow_buckets, 1);
        CU_ASSERT_EQUAL(hmap_len(m), 12);
        hmap_free(m);
    }
}

/* B = 4 has 2 preallocated overflow buckets.  An emptied one goes back to
 * the array's free list (bytes unchanged) and is handed out again. */
static void test_prealloc_back_to_free_list(void)
{
    uint64_t a[10], b[10];
    keys_in_bucket(a, 10, 4, 3, SEED);
    keys_in_bucket(b, 10, 4, 9, SEED);
    hmap *m = new_u64_map_reclaim(SEED, 60, HMAP_RECLAIM_EAGER);
    CU_ASSERT_EQUAL_FATAL(stats_of(m).B, 4);
    CU_ASSERT_EQUAL_FATAL(stats_of(m).prealloc_total, 2);
    for (int i = 0; i < 10; i++)
        CU_ASSERT_EQUAL_FATAL(hmap_set(m, &a[i], NULL), 0);
    hmap_stats s1 = stats_of(m);
    CU_ASSERT_EQUAL(s1.overflow_buckets, 1);
    CU_ASSERT_EQUAL(s1.prealloc_free, 1);
    CU_ASSERT(hmap_delete(m, &a[8]));
    CU_ASSERT(hmap_delete(m, &a[9]));
    hmap_stats s2 = stats_of(m);
    CU_ASSERT_EQUAL(s2.overflow_buckets, 0);
    CU_ASSERT_EQUAL(s2.prealloc_free, 2);
    CU_ASSERT_EQUAL(s2.bytes_allocated, s1.bytes_allocated);
    /* Another chain takes it back: still no allocation. */
    for (int i = 0; i < 10; i++)
        CU_ASSERT_EQUAL_FATAL(hmap_set(m, &b[i], NULL), 0);
    hmap_stats s3 = stats_of(m);
    CU_ASSERT_EQUAL(s3.overflow_buckets, 1);
    CU_ASSERT_EQUAL(s3.prealloc_free, 1);
    CU_ASSERT_EQUAL(s3.bytes_allocated, s1.bytes_allocated);
    hmap_free(m);
}

/* A live iterator might stand in the emptied bucket: the unlink waits, and
 * the first write after the iterator stopped performs it. */
static void test_unlink_deferred_by_iterator(void)
{
    uint64_t k[12];
    keys_in_bucket(k, 12, 1, 0, SEED);
    hmap *m = new_u64_map_reclaim(SEED, 13, HMAP_RECLAIM_EAGER);
    for (int i = 0; i < 12; i++)
        CU_ASSERT_EQUAL_FATAL(hmap_set(m, &k[i], &k[i]), 0);
    hmap_iter it;
    const void *key;
    void *val;
    hmap_iter_init(&it, m);
    CU_ASSERT(hmap_iter_next(&it, &key, &val));
    for (int i = 8; i < 12; i++)
        CU_ASSERT(hmap_delete(m, &k[i]));
    CU_ASSERT_EQUAL(stats_of(m).overflow_buckets, 1); /* still linked */
    /* The iterator still returns exactly the 8 survivors. */
    int seen = 1;
    while (hmap_iter_next(&it, &key, &val))
        seen++;
    CU_ASSERT_EQUAL(seen, 8);
    CU_ASSERT_EQUAL(stats_of(m).overflow_buckets, 1); /* readers never restructure */
    uint64_t probe = k[0];
    CU_ASSERT_EQUAL(hmap_set(m, &probe, &probe), 0); /* the next write sweeps */
    CU_ASSERT_EQUAL(stats_of(m).overflow_buckets, 0);
    CU_ASSERT_EQUAL(hmap_len(m), 8);
    hmap_free(m);
}

/* Old overflow chains of a pointer-free map: GO keeps them until the growth
 * completes, EAGER drops each as soon as its chain is evacuated.  The
 * insert that starts the growth evacuates old bucket 0 (the mark), which is
 * the chain holding the overflow bucket. */
static void test_old_chain_dropped_at_evacuation(void)
{
    /* B = 2: 12 keys in bucket 0 (one overflow bucket), 14 spread over
     * buckets 1..3, then a 27th key in bucket 1 doubles the map.  Its
     * growWork evacuates old buckets 1 and 0; 2 and 3 are left. */
    uint64_t k[12], b1[6], b2[5], b3[4];
    keys_in_bucket(k, 12, 2, 0, SEED);
    keys_in_bucket(b1, 6, 2, 1, SEED);
    keys_in_bucket(b2, 5, 2, 2, SEED);
    keys_in_bucket(b3, 4, 2, 3, SEED);
    hmap_stats g[2];
    for (int pol = 0; pol < 2; pol++) {
        hmap *m = new_u64_map_reclaim(SEED, 26, pol ? HMAP_RECLAIM_EAGER : HMAP_RECLAIM_GO);
        for (int i = 0; i < 12; i++)
            CU_ASSERT_EQUAL_FATAL(hmap_set(m, &k[i], NULL), 0);
        for (int i = 0; i < 5; i++)
            CU_ASSERT_EQUAL_FATAL(hmap_set(m, &b1[i], NULL), 0);
        for (int i = 0; i < 5; i++)
            CU_ASSERT_EQUAL_FATAL(hmap_set(m, &b2[i], NULL), 0);
        for (int i = 0; i < 4; i++)
            CU_ASSERT_EQUAL_FATAL(hmap_set(m, &b3[i], NULL), 0);
        CU_ASSERT_FALSE(stats_of(m).growing);
        CU_ASSERT_EQUAL_FATAL(hmap_set(m, &b1[5], NULL), 0); /* 27th: doubles */
        g[pol] = stats_of(m);
        CU_ASSERT_EQUAL(g[pol].B, 3);
        CU_ASSERT(g[pol].growing);
        CU_ASSERT_EQUAL(g[pol].nevacuate, 2);
        hmap_free(m);
    }
    CU_ASSERT_EQUAL(g[0].overflow_buckets, g[1].overflow_buckets + 1);
    CU_ASSERT_EQUAL(g[0].bytes_allocated - g[1].bytes_allocated, (uint64_t)g[0].bucket_size);
}

static void add_suites(void)
{
    CU_pSuite s = CU_add_suite("reclaim EAGER", NULL, NULL);
    CU_add_test(s, "emptied allocator overflow bucket: freed (EAGER), kept (GO)",
                test_emptied_overflow_freed);
    CU_add_test(s, "emptied preallocated bucket back to the free list, reused",
                test_prealloc_back_to_free_list);
    CU_add_test(s, "unlink deferred while an iterator lives, done by the next write",
                test_unlink_deferred_by_iterator);
    CU_add_test(s, "old overflow chain dropped at its evacuation",
                test_old_chain_dropped_at_evacuation);
}

int main(int argc, char **argv)
{
    return cunit_main(argc, argv, "test_reclaim_eager", add_suites);
}
