/* SPDX-License-Identifier: MIT */
/*
 * test_aliasing.c — writes whose key or value argument points into the map
 * itself: hmap_set(m, &k2, hmap_get(m, &k1)), the C spelling of Go's
 * m[k2] = m[k1], and hmap_delete(m, k) with the key pointer an iterator
 * returned (Go's range-delete).  The write's own growWork may evacuate (and
 * scrub or free) the memory the argument refers to, so the map must take
 * its arguments before any growth work.
 *
 * NOT RUN BY CTEST YET: the core fails these (heap-use-after-free under
 * ASan, a zero value stored, deletes that miss); see
 * tests/unit/CMakeLists.txt.
 */
#include <string.h>

#include "unit.h"

/* Advance a growth (deletes of absent keys) until only one old bucket is
 * left unevacuated; returns its index, or UINT64_MAX if the growth ended. */
static uint64_t leave_one_old_bucket(hmap *m, uint64_t nold)
{
    uint64_t absent = 1ull << 50;
    for (;;) {
        if (!oldbuckets_of(m)) return UINT64_MAX;
        uint64_t left = 0, last = 0;
        for (uint64_t i = 0; i < nold; i++)
            if (!old_evacuated(m, i)) left++, last = i;
        if (left == 1) return last;
        hmap_delete(m, &absent);
        absent++;
    }
}

/* Pointer-free map: the value lives in the last unevacuated old bucket; the
 * write's growWork ends the growth and frees the old array. */
static void test_value_from_old_array(void)
{
    hmap *m = new_u64_map(3, 0);
    uint64_t k;
    for (k = 0; k <= 52; k++) /* the 53rd insert starts growth 3 -> 4 */
        set_u64(m, k, k * 10);
    uint64_t last = leave_one_old_bucket(m, 8);
    CU_ASSERT_FATAL(last != UINT64_MAX);
    uint64_t k1 = 0;
    while ((bucket_of_u64(m, k1) & 7) != last || get_u64(m, k1) == UINT64_MAX)
        k1++;
    uint64_t k2 = 1000;
    while ((bucket_of_u64(m, k2) & 7) != last)
        k2++;
    CU_ASSERT_EQUAL(hmap_set(m, &k2, hmap_get(m, &k1)), 0);
    CU_ASSERT_EQUAL(get_u64(m, k2), k1 * 10);
    hmap_free(m);
}

/* Pointerful map: the value lives in an old head bucket that the write's
 * growWork evacuates and scrubs (zeroes), or in an old overflow bucket it
 * frees.  Also the update of a key with its own value. */
static void test_value_from_scrubbed_bucket(void)
{
    static char pool[2048][8];
    hmap_options o = {.seed = 91};
    hmap *m = hmap_new(&hmap_type_str, &o);
    unsigned n = 0;
    for (; n <= 26; n++) { /* the 27th insert starts growth 2 -> 3 */
        snprintf(pool[n], sizeof pool[n], "s%04u", n);
        hmap_str s = {pool[n], 5};
        uint64_t v = 100 + n;
        hmap_set(m, &s, &v);
    }
    CU_ASSERT_FATAL(oldbuckets_of(m) != NULL);
    /* Every old bucket still unevacuated: copy from it, and update in it. */
    for (unsigned i = 0; i <= 26 && oldbuckets_of(m); i++) {
        hmap_str s1 = {pool[i], 5};
        uint64_t old = key_hash(m, &s1) & 3;
        if (old_evacuated(m, old)) continue;
        uint64_t want = *(const uint64_t *)hmap_get(m, &s1);
        if (i % 2) { /* m[k] = m[k] */
            CU_ASSERT_EQUAL(hmap_set(m, &s1, hmap_get(m, &s1)), 0);
            CU_ASSERT_EQUAL(*(const uint64_t *)hmap_get(m, &s1), want);
            continue;
        }
        hmap_str s2;
        do { /* a new key fed from the same old bucket */
            snprintf(pool[n], sizeof pool[n], "s%04u", n);
            s2 = (hmap_str){pool[n++], 5};
        } while ((key_hash(m, &s2) & 3) != old);
        CU_ASSERT_EQUAL(hmap_set(m, &s2, hmap_get(m, &s1)), 0);
        CU_ASSERT_EQUAL(*(const uint64_t *)hmap_get(m, &s2), want);
    }
    hmap_free(m);
}

/* Go's `for k := range m { delete(m, k) }` written in C with the key
 * pointer the iterator returns.  An iterator that has lived through two or
 * more growths gets keys of moved entries from a lookup in the current map; in
 * the second growth nothing disables the scrub any more (the iterator bits
 * are gone), so the delete's own growWork can zero the key it was passed
 * before comparing it: the delete misses. */
static void test_delete_through_iterator_key(void)
{
    static char pool[512][8];
    hmap_options o = {.seed = 92};
    hmap *m = hmap_new(&hmap_type_str, &o);
    unsigned n = 0;
    uint64_t v = 1;
    for (; n < 26; n++) { /* B = 2, full */
        snprintf(pool[n], sizeof pool[n], "t%04u", n);
        hmap_str s = {pool[n], 5};
        hmap_set(m, &s, &v);
    }
    hmap_iter it;
    const void *k;
    hmap_iter_init(&it, m);
    CU_ASSERT_TRUE_FATAL(hmap_iter_next(&it, &k, NULL));
    CU_ASSERT_TRUE(hmap_delete(m, k));
    /* Growths 2 -> 3 -> 4 -> 5 -> 6 while the iterator is open; the last
     * (32 old buckets) is left running. */
    for (; m->B < 6 || !oldbuckets_of(m); n++) {
        snprintf(pool[n], sizeof pool[n], "t%04u", n);
        hmap_str s = {pool[n], 5};
        hmap_set(m, &s, &v);
    }
    CU_ASSERT_EQUAL(stats_of(m).flags & 3, 0); /* no iterator bit left */
    unsigned missed = 0, deleted = 1;
    while (hmap_iter_next(&it, &k, NULL)) {
        hmap_str copy = *(const hmap_str *)k;
        if (hmap_delete(m, k))
            deleted++;
        else
            missed++;
        CU_ASSERT_PTR_NULL(hmap_get(m, &copy));
    }
    if (missed)
        FAILF("%u of %u deletes through the iterator's key pointer missed", missed,
              missed + deleted);
    hmap_free(m);
}

void suite_aliasing(void)
{
    CU_pSuite s = CU_add_suite("aliasing", NULL, NULL);
    CU_add_test(s, "value pointer into the old array the write frees", test_value_from_old_array);
    CU_add_test(s, "value pointer into an old bucket the write scrubs",
                test_value_from_scrubbed_bucket);
    CU_add_test(s, "delete through the iterator's key pointer after growths",
                test_delete_through_iterator_key);
}
