/* SPDX-License-Identifier: MIT */
/*
 * test_clear.c — hmap_clear, Go 1.21 clear(m) (docs/go-map-model.md §10.2-10.3).
 */
#include <string.h>

#include "unit.h"

/* Clear during a growth: the growth is abandoned, B kept, count 0, every
 * entry gone, the current array reused in place (same block, zeroed, tail
 * planted again), the old array and every allocator overflow bucket freed,
 * a new seed drawn; the map works normally afterwards. */
static void test_clear_during_growth(void)
{
    hmap *m = new_u64_map(51, 0);
    uint64_t k;
    for (k = 0; k < 13 * 64 + 1; k++) /* growth 7 -> 8 starts at the last */
        set_u64(m, k, k);
    CU_ASSERT_FATAL(oldbuckets_of(m) != NULL);
    /* Pile some allocator overflow buckets into the new array too. */
    uint64_t from = 1u << 20;
    for (int i = 0; i < 20; i++)
        set_u64(m, key_for_bucket(m, 3, &from), 1);
    hmap_stats before = stats_of(m);
    CU_ASSERT_TRUE(before.growing);
    CU_ASSERT(before.overflow_buckets >= 2);
    uint8_t *array = m->buckets;
    uint64_t nalloc = map_nalloc(m);

    hmap_clear(m);
    hmap_stats s = stats_of(m);
    CU_ASSERT_FALSE(s.growing);
    CU_ASSERT_FALSE(s.same_size_grow);
    CU_ASSERT_EQUAL(s.B, 8);
    CU_ASSERT_EQUAL(s.count, 0);
    CU_ASSERT_EQUAL(hmap_len(m), 0);
    CU_ASSERT_EQUAL(s.noverflow, 0);
    CU_ASSERT_EQUAL(s.nevacuate, 0);
    CU_ASSERT_EQUAL(s.overflow_buckets, 0);
    CU_ASSERT_EQUAL(s.prealloc_free, s.prealloc_total);
    CU_ASSERT_PTR_EQUAL(m->buckets, array); /* reused, not reallocated */
    CU_ASSERT_NOT_EQUAL(s.seed, before.seed);
    /* Only the header, its ext (B >= 4) and the array remain. */
    CU_ASSERT_EQUAL(s.bytes_allocated, sizeof(struct hmap) + sizeof(struct hmap_ext) + nalloc * m->bucketsize);
    for (uint64_t i = 0; i < nalloc; i++) {
        const uint8_t *b = bucket_at(m, m->buckets, i);
        for (int j = 0; j < 8; j++)
            if (b[j] != EMPTY_REST) {
                FAILF("bucket %llu slot %d tophash %u after clear", (unsigned long long)i, j, b[j]);
                i = nalloc;
                break;
            }
    }
    for (uint64_t q = 0; q < 13 * 64 + 1; q += 17)
        CU_ASSERT_EQUAL(get_u64(m, q), UINT64_MAX);
    hmap_iter it;
    hmap_iter_init(&it, m);
    CU_ASSERT_FALSE(hmap_iter_next(&it, NULL, NULL));

    for (k = 0; k < 1000; k++)
        set_u64(m, k, k + 1);
    for (k = 0; k < 1000; k++)
        CU_ASSERT_EQUAL(get_u64(m, k), k + 1);
    CU_ASSERT_EQUAL(hmap_len(m), 1000);
    hmap_free(m);
}

/* §10.3 (golang/go#59411): an iterator running when the map is cleared
 * stops seeing entries; clearing an empty map does nothing (no reseed). */
static void test_clear_with_running_iterator(void)
{
    hmap *m = new_u64_map(52, 0);
    for (uint64_t k = 0; k < 500; k++)
        set_u64(m, k, k);
    hmap_iter it;
    hmap_iter_init(&it, m);
    for (int i = 0; i < 10; i++)
        CU_ASSERT_TRUE(hmap_iter_next(&it, NULL, NULL));
    hmap_clear(m);
    CU_ASSERT_FALSE(hmap_iter_next(&it, NULL, NULL));
    CU_ASSERT_EQUAL(stats_of(m).flags & 3, 3); /* §10.2: iterator bits kept */
    uint64_t seed = stats_of(m).seed;
    hmap_clear(m);
    CU_ASSERT_EQUAL(stats_of(m).seed, seed);
    hmap_free(m);
}

/* clear releases indirect keys and values (no leak: checked by the
 * sanitizer and valgrind runs) and the map reuses its array afterwards. */
static void test_clear_indirect(void)
{
    hmap_type big = {
        .name = "big", .key_size = 160, .key_align = 8, .val_size = 144, .val_align = 8};
    hmap_options o = {.seed = 53};
    hmap *m = hmap_new(&big, &o);
    uint8_t key[160] = {0}, val[144] = {0};
    for (uint32_t i = 0; i < 300; i++) {
        memcpy(key, &i, 4);
        memcpy(val + 140, &i, 4);
        CU_ASSERT_EQUAL(hmap_set(m, key, val), 0);
    }
    hmap_stats full = stats_of(m);
    hmap_clear(m);
    hmap_stats s = stats_of(m);
    CU_ASSERT_EQUAL(s.count, 0);
    /* All 600 indirect objects went back. */
    CU_ASSERT(full.bytes_allocated - s.bytes_allocated >= 300 * (160 + 144));
    CU_ASSERT_EQUAL(s.bytes_allocated, sizeof(struct hmap) + sizeof(struct hmap_ext) + sizeof(struct hmap_cold) +
                                           map_nalloc(m) * m->bucketsize);
    hmap_free(m);
}

void suite_clear(void)
{
    CU_pSuite s = CU_add_suite("clear", NULL, NULL);
    CU_add_test(s, "clear during growth: abandoned, B kept, array reused, overflow freed, reseed",
                test_clear_during_growth);
    CU_add_test(s, "running iterator stops seeing entries; empty clear is a no-op",
                test_clear_with_running_iterator);
    CU_add_test(s, "clear frees indirect keys and values", test_clear_indirect);
}
