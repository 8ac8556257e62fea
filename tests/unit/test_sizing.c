/* SPDX-License-Identifier: MIT */
/*
 * test_sizing.c — how big the bucket array is (docs/go-map-model.md §5, §6.3):
 * B from a size hint, B after every insert, the preallocated overflow tail.
 */
#include <string.h>

#include "unit.h"

/* Go's makemap: the smallest B that the hint does not overload. */
static unsigned expected_B(uint64_t n)
{
    unsigned B = 0;
    while (go_over_load_factor(n, B))
        B++;
    return B;
}

/* §6.3: after n inserts of new keys (no hint), B is the smallest B not
 * overloaded by n; growth starts at the 9th, 14th, 27th, 53rd ... key and B
 * is already the new one while the growth runs. */
static void test_B_after_every_insert(void)
{
    hmap *m = new_u64_map(11, 0);
    unsigned growths = 0;
    for (uint64_t n = 1; n <= 100000; n++) {
        uint8_t before = m->B;
        CU_ASSERT_FATAL(set_u64(m, n * 0x9e3779b97f4a7c15ull, n));
        if (m->B != expected_B(n)) {
            FAILF("after %llu inserts B = %u, Go's rule gives %u", (unsigned long long)n, m->B,
                  expected_B(n));
            break;
        }
        if (m->B != before) {
            growths++;
            /* The growth starts on exactly this insert, as a doubling (with 1
             * or 2 old buckets the insert's own growWork already ends it). */
            if (m->B >= 3) CU_ASSERT_PTR_NOT_NULL(oldbuckets_of(m));
            CU_ASSERT_FALSE(same_size_grow(m));
        }
    }
    CU_ASSERT_EQUAL(m->B, 14); /* 100000 entries: B = 14, as observed in Go */
    CU_ASSERT_EQUAL(growths, 14);
    hmap_free(m);

    /* The first four trigger points, spelled out. */
    static const struct {
        uint64_t nth;
        unsigned B;
    } starts[] = {{9, 1}, {14, 2}, {27, 3}, {53, 4}};
    m = new_u64_map(12, 0);
    for (size_t i = 0; i < 4; i++) {
        while (hmap_len(m) + 1 < starts[i].nth)
            set_u64(m, hmap_len(m) + 1000, 0);
        CU_ASSERT_EQUAL(m->B, starts[i].B - 1);
        set_u64(m, hmap_len(m) + 1000, 0);
        CU_ASSERT_EQUAL(m->B, starts[i].B);
    }
    hmap_free(m);
}

/* §6.3: updates of existing keys never start a growth. */
static void test_update_never_grows(void)
{
    hmap *m = new_u64_map(13, 0);
    for (uint64_t k = 0; k < 8; k++)
        set_u64(m, k, k);
    for (int round = 0; round < 100; round++)
        for (uint64_t k = 0; k < 8; k++)
            set_u64(m, k, k + (uint64_t)round);
    CU_ASSERT_EQUAL(m->B, 0);
    CU_ASSERT_PTR_NULL(oldbuckets_of(m));
    set_u64(m, 8, 8); /* the 9th distinct key grows */
    CU_ASSERT_EQUAL(m->B, 1);
    hmap_free(m);
}

/* §5.1: hint -> B, the table and the rule; the array exists at creation
 * only for B >= 1; a hint whose bytes overflow acts as 0. */
static void test_hint_to_B(void)
{
    static const struct {
        size_t lo, hi;
        unsigned B;
    } table[] = {{0, 8, 0}, {9, 13, 1}, {14, 26, 2}, {27, 52, 3}, {53, 104, 4}};
    for (size_t i = 0; i < 5; i++) {
        for (size_t h = table[i].lo; h <= table[i].hi; h++) {
            hmap *m = new_u64_map(1, h);
            hmap_stats s = stats_of(m);
            if (s.B != table[i].B) FAILF("hint %zu: B %u, want %u", h, s.B, table[i].B);
            CU_ASSERT_EQUAL(s.buckets, (uint64_t)1 << table[i].B);
            /* B = 0 allocates no bucket until the first insert. */
            CU_ASSERT_EQUAL(m->buckets == NULL, table[i].B == 0);
            hmap_free(m);
        }
    }
    for (size_t h = 105; h <= 2000000; h = h * 3 / 2 + 1) {
        hmap *m = new_u64_map(1, h);
        if (m->B != expected_B(h)) FAILF("hint %zu: B %u, want %u", h, m->B, expected_B(h));
        hmap_free(m);
    }
    hmap *m = new_u64_map(1, SIZE_MAX);
    CU_ASSERT_EQUAL(m->B, 0);
    hmap_free(m);
}

/* §5.2: preallocated overflow buckets.  144-byte buckets (u64 -> u64):
 * 2, 5, 7, 14, 28 for B = 4..8 (Go's size classes), 113 at B = 10, 284 at
 * B = 12, and 2^(B-4) from B = 13 on; none below B = 4. */
static void test_prealloc_tail(void)
{
    static const struct {
        unsigned B;
        uint64_t prealloc;
    } want[] = {{0, 0},    {1, 0},    {2, 0},     {3, 0},     {4, 2},
                {5, 5},    {6, 7},    {7, 14},    {8, 28},    {10, 113},
                {12, 284}, {13, 512}, {14, 1024}, {15, 2048}, {16, 4096}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        /* The largest hint for B: 13 * 2^(B-1) (8 for B = 0). */
        size_t hint = want[i].B == 0 ? 8 : 13 * ((size_t)1 << (want[i].B - 1));
        hmap *m = new_u64_map(1, hint);
        hmap_stats s = stats_of(m);
        CU_ASSERT_EQUAL(s.bucket_size, 144);
        CU_ASSERT_EQUAL(s.B, want[i].B);
        if (want[i].B == 0) set_u64(m, 1, 1), s = stats_of(m); /* the first bucket appears */
        if (s.prealloc_total != want[i].prealloc)
            FAILF("B = %u: %llu preallocated overflow buckets, want %llu", want[i].B,
                  (unsigned long long)s.prealloc_total, (unsigned long long)want[i].prealloc);
        CU_ASSERT_EQUAL(s.prealloc_free, s.prealloc_total);
        hmap_free(m);
    }
}

/* §5.3, §6.4: overflow buckets come from the tail first, in address order,
 * then from the allocator; noverflow counts each one (B < 16). */
static void test_overflow_from_tail_first(void)
{
    hmap *m = new_u64_map(5, 53); /* B = 4, tail of 2 */
    uint64_t from = 0;
    uint8_t *tail = bucket_at(m, m->buckets, 16);
    hmap_stats s0 = stats_of(m);
    for (uint64_t bucket = 0; bucket < 3; bucket++)
        for (int i = 0; i < 9; i++) /* 9 keys: one overflow bucket per chain */
            set_u64(m, key_for_bucket(m, bucket, &from), 1);
    hmap_stats s = stats_of(m);
    CU_ASSERT_FALSE(s.growing);
    CU_ASSERT_EQUAL(s.overflow_buckets, 3);
    CU_ASSERT_EQUAL(s.noverflow, 3);
    CU_ASSERT_EQUAL(s.prealloc_free, 0);
    /* Chains 0 and 1 got the two tail buckets in address order. */
    CU_ASSERT_PTR_EQUAL(overflow_of(m, bucket_at(m, m->buckets, 0)), tail);
    CU_ASSERT_PTR_EQUAL(overflow_of(m, bucket_at(m, m->buckets, 1)), tail + m->bucketsize);
    /* Chain 2's came from the allocator: one more block of one bucket. */
    CU_ASSERT_FALSE(in_block(overflow_of(m, bucket_at(m, m->buckets, 2)), m->buckets, map_nalloc(m),
                             m->bucketsize));
    CU_ASSERT_EQUAL(s.bytes_allocated - s0.bytes_allocated, 144); /* no block header */
    hmap_free(m);
}

/* §6.4: from B = 16 on, noverflow counts an overflow bucket with
 * probability 1/2^(B-15), so the 16-bit counter stands for ~2^B buckets.
 * At B = 16, 2000 overflow buckets must count about 1000 (binomial,
 * standard deviation ~22: the bounds are 6 sigma). */
static void test_noverflow_sampling(void)
{
    hmap *m = new_u64_map(14, 13 * ((size_t)1 << 15)); /* B = 16 */
    CU_ASSERT_EQUAL_FATAL(m->B, 16);
    enum { NB = 1 << 16, WANT = 2000, SCAN = 1 << 19 };
    static uint8_t load[NB];
    memset(load, 0, sizeof load);
    for (uint64_t k = 0; k < SCAN; k++)
        if (load[bucket_of_u64(m, k)] < 255) load[bucket_of_u64(m, k)]++;
    /* Insert the keys of the first WANT buckets holding 9 or more: each
     * such chain takes exactly one overflow bucket. */
    static uint8_t chosen[NB];
    memset(chosen, 0, sizeof chosen);
    unsigned nchosen = 0;
    for (uint64_t b = 0; b < NB && nchosen < WANT; b++)
        if (load[b] >= 9 && load[b] <= 16) chosen[b] = 1, nchosen++;
    CU_ASSERT_EQUAL_FATAL(nchosen, WANT);
    for (uint64_t k = 0; k < SCAN; k++)
        if (chosen[bucket_of_u64(m, k)]) CU_ASSERT_FATAL(set_u64(m, k, k));
    hmap_stats s = stats_of(m);
    CU_ASSERT_FALSE(s.growing);
    CU_ASSERT_EQUAL(s.overflow_buckets, WANT);
    if (s.noverflow < 870 || s.noverflow > 1130)
        FAILF("B = 16: %u of %d overflow buckets counted, want about half", s.noverflow, WANT);
    hmap_free(m);
}

/* docs/libhmap.md "Memory": a small map holds what Go 1.19's holds — a
 * 48-byte header and its buckets, nothing else (no block header, no
 * out-of-line part once a growth to B < 4 has finished).  For u64 -> u64
 * (144-byte buckets) and string -> u64 (208): N = 0 holds the header; 1..8
 * one bucket; 9 (B = 1, reached by growing) two. */
static void test_small_map_bytes(void)
{
    static const struct {
        size_t n, buckets;
    } rows[] = {{0, 0}, {1, 1}, {8, 1}, {9, 2}, {13, 2}, {14, 4}};
    static char text[32][24];
    for (int str = 0; str < 2; str++) {
        for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
            hmap_options o = {.seed = 7};
            hmap *m = hmap_new(str ? &hmap_type_str : &hmap_type_u64, &o);
            for (size_t i = 0; i < rows[r].n; i++) {
                uint64_t k = i * 7919, v = 1;
                snprintf(text[i], sizeof text[i], "k%zu", i);
                hmap_str ks = {text[i], strlen(text[i])};
                CU_ASSERT_EQUAL_FATAL(hmap_set(m, str ? (void *)&ks : (void *)&k, &v), 0);
            }
            hmap_stats s = stats_of(m);
            uint64_t want = 48 + rows[r].buckets * (str ? 208 : 144);
            if (s.bytes_allocated != want)
                FAILF("%s map of %zu entries holds %llu bytes, Go's holds %llu",
                      str ? "str" : "u64", rows[r].n, (unsigned long long)s.bytes_allocated,
                      (unsigned long long)want);
            hmap_free(m);
        }
    }
    CU_ASSERT_EQUAL(sizeof(struct hmap), 48);
}

void suite_sizing(void)
{
    CU_pSuite s = CU_add_suite("sizing", NULL, NULL);
    CU_add_test(s, "B after every insert up to 10^5 follows overLoadFactor",
                test_B_after_every_insert);
    CU_add_test(s, "updates never start a growth", test_update_never_grows);
    CU_add_test(s, "hint -> B (section 5.1 table)", test_hint_to_B);
    CU_add_test(s, "small maps hold Go's bytes: 48-byte header + buckets", test_small_map_bytes);
    CU_add_test(s, "preallocated overflow tail 2,5,7,14,28 / 2^(B-4)", test_prealloc_tail);
    CU_add_test(s, "noverflow sampled with probability 1/2^(B-15) at B >= 16",
                test_noverflow_sampling);
    CU_add_test(s, "overflow buckets: tail first, then allocator; noverflow",
                test_overflow_from_tail_first);
}
