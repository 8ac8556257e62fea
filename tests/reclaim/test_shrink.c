/* SPDX-License-Identifier: MIT */
/*
 * test_shrink.c — HMAP_RECLAIM_SHRINK: the map returns to a small B when it
 * becomes sparse, never below its hint, without thrashing, and survives
 * allocation failure mid-shrink.
 */
#include <CUnit/CUnit.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cunit_util.h"
#include "hmap.h"
#include "map_util.h"

/* Writes that change nothing but drive an unfinished growth to its end. */
static void finish_growth(hmap *m)
{
    uint64_t absent = UINT64_MAX;
    for (int i = 0; i < 1 << 22 && stats_of(m).growing; i++)
        hmap_delete(m, &absent);
}

/* 1M entries, then delete all but 1000: SHRINK comes back to the B that
 * 1000 entries need at most 4x over, GO stays at B = 18. */
static void test_fill_then_empty(void)
{
    for (int pol = 0; pol < 2; pol++) {
        hmap_options o = {.seed = 7, .reclaim = pol ? HMAP_RECLAIM_SHRINK : HMAP_RECLAIM_GO};
        hmap *m = hmap_new(&hmap_type_u64, &o);
        CU_ASSERT_PTR_NOT_NULL_FATAL(m);
        for (uint64_t k = 0; k < 1000000; k++)
            CU_ASSERT_EQUAL_FATAL(hmap_set(m, &k, &k), 0);
        finish_growth(m);
        hmap_stats full = stats_of(m);
        CU_ASSERT_EQUAL(full.B, 18);
        for (uint64_t k = 1000; k < 1000000; k++)
            CU_ASSERT_FATAL(hmap_delete(m, &k));
        finish_growth(m);
        hmap_stats small = stats_of(m);
        fprintf(stderr, "policy %d: full B=%u bytes=%lu; after B=%u bytes=%lu\n", pol, full.B,
                (unsigned long)full.bytes_allocated, small.B, (unsigned long)small.bytes_allocated);
        CU_ASSERT_EQUAL(small.count, 1000);
        if (pol) {
            /* 1000 entries need B = 8 (6.5 per bucket); the shrink stops
             * once the load is above 13/8 per bucket: B = 9. */
            CU_ASSERT(small.B <= 10);
            CU_ASSERT(small.B >= 8);
            CU_ASSERT(small.bytes_allocated * 50 < full.bytes_allocated);
        } else {
            CU_ASSERT_EQUAL(small.B, 18);
            CU_ASSERT_EQUAL(small.bytes_allocated, full.bytes_allocated);
        }
        for (uint64_t k = 0; k < 1000; k++) {
            uint64_t *v = hmap_get(m, &k);
            CU_ASSERT_FATAL(v != NULL && *v == k);
        }
        hmap_free(m);
    }
}

/* Never below the B the creation hint asked for. */
static void test_hint_floor(void)
{
    hmap_options o = {.seed = 9, .hint = 5000, .reclaim = HMAP_RECLAIM_SHRINK};
    hmap *m = hmap_new(&hmap_type_u64, &o);
    uint8_t hintB = stats_of(m).B;
    for (uint64_t k = 0; k < 20000; k++)
        hmap_set(m, &k, NULL);
    for (uint64_t k = 0; k < 20000; k++)
        hmap_delete(m, &k);
    finish_growth(m);
    CU_ASSERT_EQUAL(stats_of(m).count, 0);
    CU_ASSERT_EQUAL(stats_of(m).B, hintB);
    hmap_free(m);
}

/* Steady churn around the shrink threshold: at most one shrink, no
 * grow/shrink flip-flop (count growths started by watching `growing`). */
static void test_no_thrash(void)
{
    hmap_options o = {.seed = 11, .reclaim = HMAP_RECLAIM_SHRINK};
    hmap *m = hmap_new(&hmap_type_u64, &o);
    for (uint64_t k = 0; k < 4096; k++)
        hmap_set(m, &k, NULL);
    finish_growth(m);
    uint8_t B = stats_of(m).B; /* 10: 4096 > 13*2^9 */
    /* Threshold for shrinking from B: count <= 13/8 * 2^B = 1664. */
    uint64_t lo = 13 * (1u << B) / 8;
    for (uint64_t k = lo + 10; k < 4096; k++)
        hmap_delete(m, &k);
    int growths = 0;
    bool was = stats_of(m).growing;
    uint64_t next = 1 << 20;
    for (int round = 0; round < 2000; round++) {
        /* 40 out, 40 in, straddling the threshold. */
        for (uint64_t k = lo - 30 + (uint64_t)round * 40 % 40; k < lo + 10; k++)
            hmap_delete(m, &k);
        for (int i = 0; i < 40; i++, next++)
            hmap_set(m, &next, NULL);
        for (uint64_t k = next - 40; k < next; k++)
            hmap_delete(m, &k);
        for (uint64_t k = lo - 30; k < lo + 10; k++)
            hmap_set(m, &k, NULL);
        bool now = stats_of(m).growing;
        if (now && !was) growths++;
        was = now;
    }
    CU_ASSERT(growths <= 2);
    CU_ASSERT(stats_of(m).B >= B - 1);
    hmap_free(m);
}

/* A counting allocator that fails allocation number `fail_at`. */
struct failing {
    long n, fail_at;
};
static void *f_alloc(void *ctx, size_t size, size_t align)
{
    struct failing *f = ctx;
    (void)align;
    if (++f->n == f->fail_at) return NULL;
    return calloc(1, size);
}
static void f_free(void *ctx, void *p, size_t size)
{
    (void)ctx;
    (void)size;
    free(p);
}

/* Every allocation of a fill/empty workload fails once in turn: the map
 * stays complete (every present key found, len right). */
static void test_alloc_failure_during_shrink(void)
{
    for (long fail = 1; fail < 400; fail++) {
        struct failing f = {0, fail};
        hmap_allocator a = {f_alloc, f_free, &f};
        hmap_options o = {.seed = 13, .allocator = &a, .reclaim = HMAP_RECLAIM_SHRINK};
        hmap *m = hmap_new(&hmap_type_u64, &o);
        if (!m) continue;
        static bool present[3000];
        for (uint64_t k = 0; k < 3000; k++)
            present[k] = hmap_set(m, &k, &k) == 0;
        for (uint64_t k = 0; k < 2950; k++) {
            if (hmap_delete(m, &k) != present[k]) {
                CU_FAIL("delete result differs from the model");
            }
            present[k] = false;
        }
        size_t n = 0;
        for (uint64_t k = 0; k < 3000; k++) {
            uint64_t *v = hmap_get(m, &k);
            CU_ASSERT((v != NULL) == present[k]);
            n += present[k];
        }
        CU_ASSERT_EQUAL(hmap_len(m), n);
        hmap_free(m);
    }
}

static void add_suites(void)
{
    CU_pSuite s = CU_add_suite("reclaim SHRINK", NULL, NULL);
    CU_add_test(s, "1M then 1k: small B under SHRINK, B 18 kept under GO", test_fill_then_empty);
    CU_add_test(s, "never below the hint's B", test_hint_floor);
    CU_add_test(s, "churn around the threshold does not thrash", test_no_thrash);
    CU_add_test(s, "allocation failure during a shrink: map valid and complete",
                test_alloc_failure_during_shrink);
}

int main(int argc, char **argv)
{
    return cunit_main(argc, argv, "test_reclaim_shrink", add_suites);
}
