/* SPDX-License-Identifier: MIT */
/*
 * test_iteration.c — Go's iteration guarantees (docs/go-map-model.md §9) and the
 * memory an iterator keeps alive (§10.4).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#define NKEYS 4000

/* A tiny model for one u64 map: value, presence and birth time per key. */
typedef struct model {
    uint64_t val[NKEYS];
    uint64_t born[NKEYS];
    bool present[NKEYS];
    uint64_t now;
} model;

typedef struct checked_iter {
    hmap_iter it;
    uint64_t started;
    uint8_t returned[NKEYS];
    bool done;
} checked_iter;

static void m_set(hmap *m, model *md, uint64_t k, uint64_t v)
{
    md->now++;
    CU_ASSERT_FATAL(set_u64(m, k, v));
    if (!md->present[k]) md->born[k] = md->now;
    md->present[k] = true;
    md->val[k] = v;
}

static void m_del(hmap *m, model *md, uint64_t k)
{
    md->now++;
    CU_ASSERT_EQUAL(hmap_delete(m, &k), md->present[k]);
    md->present[k] = false;
}

static void it_start(hmap *m, model *md, checked_iter *ci)
{
    memset(ci, 0, sizeof *ci);
    md->now++;
    ci->started = md->now;
    hmap_iter_init(&ci->it, m);
}

/* How it_step advances: NULL for hmap_iter_next as callers compile it (its
 * inline step from hmap.h), or an out-of-line function (docs/libhmap.md,
 * "Iteration: the inline step"). */
typedef bool (*next_fn)(hmap_iter *, const void **, void **);
static next_fn step_with;
static unsigned step_count;

/* The step the library exports, called through a pointer: never inlined. */
static bool next_out_of_line(hmap_iter *it, const void **k, void **v)
{
    next_fn f = hmap_iter_next;
    return f(it, k, v);
}
/* Inline and out-of-line steps alternating on one iterator. */
static bool next_alternating(hmap_iter *it, const void **k, void **v)
{
    return (step_count & 1) ? hmap_iter_next(it, k, v) : hmap_iter_next_slow(it, k, v);
}

/* One step: whatever is returned is in the map now, with its current
 * value; entries present since the start come at most once. */
static bool it_step(model *md, checked_iter *ci)
{
    const void *kp;
    void *vp;
    if (ci->done) return false;
    step_count++;
    if (!(step_with ? step_with(&ci->it, &kp, &vp) : hmap_iter_next(&ci->it, &kp, &vp))) {
        ci->done = true;
        return false;
    }
    uint64_t k, v;
    memcpy(&k, kp, 8);
    memcpy(&v, vp, 8);
    if (k >= NKEYS || !md->present[k]) {
        FAILF("iterator returned key %llu, which is not in the map", (unsigned long long)k);
        return true;
    }
    if (v != md->val[k])
        FAILF("iterator returned key %llu with value %llu, current is %llu", (unsigned long long)k,
              (unsigned long long)v, (unsigned long long)md->val[k]);
    if (md->born[k] < ci->started && ci->returned[k]++)
        FAILF("iterator returned key %llu twice", (unsigned long long)k);
    return true;
}

/* At the end: every entry present throughout was returned exactly once. */
static void it_check_complete(const model *md, const checked_iter *ci, const char *name)
{
    unsigned missed = 0;
    for (uint64_t k = 0; k < NKEYS; k++)
        if (md->present[k] && md->born[k] < ci->started && ci->returned[k] != 1) missed++;
    if (missed) FAILF("%s: %u entries present throughout were not returned", name, missed);
}

/* §9.3: iterators started before and during a doubling growth, advancing
 * while deletes, inserts and updates drive the growth to its end. */
static void test_guarantees_during_growth(void)
{
    static model md;
    static checked_iter before, during, late;
    memset(&md, 0, sizeof md);
    hmap *m = new_u64_map(41, 0);
    uint64_t next = 0;
    while (next < 13 * 64) /* B = 7 at full load: 832 entries */
        m_set(m, &md, next, next), next++;
    it_start(m, &md, &before);
    for (int i = 0; i < 5; i++)
        it_step(&md, &before);
    m_set(m, &md, next, next), next++; /* starts growth 7 -> 8 */
    CU_ASSERT_FATAL(oldbuckets_of(m) != NULL);
    it_start(m, &md, &during);

    uint64_t r = 12345;
    unsigned failures_at_start = CU_get_number_of_failures();
    bool late_started = false;
    while (!before.done || !during.done || !late_started || !late.done) {
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        uint64_t pick = (r >> 33) % next;
        switch ((r >> 20) % 4) {
        case 0:
            m_del(m, &md, pick);
            break;
        case 1:
            if (next < NKEYS) m_set(m, &md, next, next), next++;
            break;
        case 2:
            if (md.present[pick]) m_set(m, &md, pick, r);
            break;
        default:
            break;
        }
        if (!late_started && (!oldbuckets_of(m) || map_nevacuate(m) > 40)) {
            it_start(m, &md, &late); /* started with the growth half done */
            late_started = true;
        }
        it_step(&md, &before);
        it_step(&md, &during);
        if (late_started) it_step(&md, &late);
        if (CU_get_number_of_failures() > failures_at_start) break;
    }
    CU_ASSERT_PTR_NULL(oldbuckets_of(m)); /* the growth finished meanwhile */
    it_check_complete(&md, &before, "iterator started before the growth");
    it_check_complete(&md, &during, "iterator started at the growth's start");
    it_check_complete(&md, &late, "iterator started half-way");
    hmap_free(m);
}

/* The inline step (hmap.h) and the out-of-line ones keep the same
 * guarantees, alone or mixed on one iterator: during growth with writes
 * between steps, over a full bucket (the last slot of a bucket, i = 8),
 * and when a write deletes a slot of the current bucket not reached yet. */
static void test_inline_and_out_of_line_steps(void)
{
    static const struct {
        next_fn fn;
        const char *name;
    } modes[] = {{NULL, "inline"},
                 {next_out_of_line, "out of line"},
                 {hmap_iter_next_slow, "hmap_iter_next_slow"},
                 {next_alternating, "alternating"}};
    for (size_t mi = 0; mi < sizeof modes / sizeof modes[0]; mi++) {
        step_with = modes[mi].fn;
        unsigned failures = CU_get_number_of_failures();
        test_guarantees_during_growth();

        static model md;
        static checked_iter ci;
        for (uint64_t n = 1; n <= 70; n++) {
            /* 1..8 keys: one full or partial bucket at B = 0; then more. */
            memset(&md, 0, sizeof md);
            hmap *m = new_u64_map(50 + n, 0);
            for (uint64_t k = 0; k < n; k++)
                m_set(m, &md, k, k * 7);
            it_start(m, &md, &ci);
            uint64_t steps = 0;
            while (it_step(&md, &ci)) {
                /* After the first entry, delete one not returned yet (it
                 * must then not come) and update another (it must come
                 * with its new value). */
                if (++steps != 1) continue;
                unsigned changed = 0;
                for (uint64_t k = 0; k < n && changed < 2; k++) {
                    if (ci.returned[k] || !md.present[k]) continue;
                    if (changed++ == 0)
                        m_del(m, &md, k);
                    else
                        m_set(m, &md, k, 1000 + k);
                }
            }
            it_check_complete(&md, &ci, modes[mi].name);
            CU_ASSERT_EQUAL(stats_of(m).retained_blocks, 0);
            hmap_free(m);
        }
        if (CU_get_number_of_failures() > failures) FAILF("step: %s", modes[mi].name);
    }
    step_with = NULL;
}

/* §9.1: an iterator over an empty (or NULL) map is finished at once; a
 * fresh map's iteration returns exactly its entries. */
static void test_empty_and_plain(void)
{
    hmap_iter it;
    const void *k;
    void *v;
    hmap_iter_init(&it, NULL);
    CU_ASSERT_FALSE(hmap_iter_next(&it, &k, &v));
    hmap *m = new_u64_map(42, 0);
    hmap_iter_init(&it, m);
    CU_ASSERT_FALSE(hmap_iter_next(&it, &k, &v));
    hmap_iter_stop(&it); /* after the end: harmless */
    for (uint64_t i = 0; i < 100; i++)
        set_u64(m, i, i * i);
    uint64_t sum = 0, n = 0;
    hmap_iter_init(&it, m);
    while (hmap_iter_next(&it, &k, &v)) {
        uint64_t kk, vv;
        memcpy(&kk, k, 8);
        memcpy(&vv, v, 8);
        CU_ASSERT_EQUAL(vv, kk * kk);
        sum += kk;
        n++;
    }
    CU_ASSERT_EQUAL(n, 100);
    CU_ASSERT_EQUAL(sum, 99 * 100 / 2);
    hmap_free(m);
}

/* §9.1: the start bucket and slot rotation are random per iteration. */
static void test_random_start(void)
{
    hmap *m = new_u64_map(43, 0);
    for (uint64_t i = 0; i < 200; i++)
        set_u64(m, i, i);
    uint64_t first[16];
    int distinct = 0;
    for (int j = 0; j < 16; j++) {
        hmap_iter it;
        const void *k;
        hmap_iter_init(&it, m);
        CU_ASSERT_TRUE(hmap_iter_next(&it, &k, NULL));
        memcpy(&first[j], k, 8);
        hmap_iter_stop(&it);
        bool seen = false;
        for (int i = 0; i < j; i++)
            seen |= first[i] == first[j];
        distinct += !seen;
    }
    CU_ASSERT(distinct >= 4);
    hmap_free(m);
}

/* §9.4 and §8.3 step 4: the iterator bits stay set after an iteration ends,
 * the next growth turns them into oldIterator, and with oldIterator set a
 * pointerful map does not scrub evacuated old buckets.  Without any
 * iteration it does: keys, values and the overflow link zeroed, tophash
 * marks kept. */
static void test_sticky_flags_and_scrub(void)
{
    static const char *words[64];
    static char buf[64][8];
    for (int i = 0; i < 64; i++) {
        snprintf(buf[i], sizeof buf[i], "w%02d", i);
        words[i] = buf[i];
    }
    for (int iterate = 0; iterate < 2; iterate++) {
        hmap_options o = {.seed = 44};
        hmap *m = hmap_new(&hmap_type_str, &o);
        uint64_t v = 1;
        for (int i = 0; i < 26; i++) { /* B = 2, full */
            hmap_str s = {words[i], 3};
            hmap_set(m, &s, &v);
        }
        if (iterate) {
            hmap_iter it;
            hmap_iter_init(&it, m);
            while (hmap_iter_next(&it, NULL, NULL))
                ;
            CU_ASSERT_EQUAL(stats_of(m).flags & 3, 3); /* sticky after the end */
        }
        hmap_str s = {words[26], 3};
        hmap_set(m, &s, &v); /* growth 2 -> 3 evacuates at least one bucket */
        CU_ASSERT_FATAL(oldbuckets_of(m) != NULL);
        CU_ASSERT_EQUAL(stats_of(m).flags & 3, iterate ? F_OLD_ITERATOR : 0);
        unsigned scrubbed = 0, evacuated = 0;
        for (uint64_t i = 0; i < 4; i++) {
            uint8_t *b = bucket_at(m, oldbuckets_of(m), i);
            if (!old_evacuated(m, i)) continue;
            evacuated++;
            hmap_str k;
            memcpy(&k, slot_key(m, b, 0), sizeof k);
            if (k.ptr == NULL && k.len == 0) scrubbed++;
            CU_ASSERT(b[0] >= EVACUATED_X && b[0] <= EVACUATED_EMPTY); /* marks kept */
        }
        CU_ASSERT(evacuated >= 1);
        CU_ASSERT_EQUAL(scrubbed, iterate ? 0 : evacuated);
        hmap_free(m);
    }
}

/* §10.4: memory the map drops while an iterator is live (the old array at
 * the end of a growth) is retained until the iterator stops, then freed. */
static void test_iterator_retains_memory(void)
{
    hmap *m = new_u64_map(45, 0);
    uint64_t k;
    for (k = 0; k < 52; k++)
        set_u64(m, k, k);
    hmap_iter it;
    hmap_iter_init(&it, m);
    CU_ASSERT_TRUE(hmap_iter_next(&it, NULL, NULL));
    set_u64(m, k++, 0); /* growth 3 -> 4 */
    while (oldbuckets_of(m))
        set_u64(m, k++, 0);
    hmap_stats s = stats_of(m);
    CU_ASSERT(s.retained_blocks >= 1);
    /* The iterator still works over the retired array. */
    unsigned n = 1;
    while (hmap_iter_next(&it, NULL, NULL))
        n++;
    CU_ASSERT(n >= 52);
    hmap_stats after = stats_of(m);
    CU_ASSERT_EQUAL(after.retained_blocks, 0); /* the end of the iteration frees */
    CU_ASSERT(after.bytes_allocated < s.bytes_allocated);
    hmap_free(m);
}

/* Thread safety is Go's: any number of concurrent readers.  Four threads
 * look up and iterate the same map at once (iterators set flag bits and
 * count themselves atomically); every answer must be right. */
#define READERS 4
static hmap *shared_map;

static void *reader(void *arg)
{
    uintptr_t bad = 0;
    for (int round = 0; round < 20; round++) {
        for (uint64_t k = 0; k < 3000; k++)
            bad += get_u64(shared_map, k) != k * 3;
        hmap_iter it;
        const void *kp;
        void *vp;
        uint64_t n = 0;
        hmap_iter_init(&it, shared_map);
        while (hmap_iter_next(&it, &kp, &vp)) {
            uint64_t k, v;
            memcpy(&k, kp, 8);
            memcpy(&v, vp, 8);
            bad += v != k * 3;
            n++;
        }
        bad += n != 3000;
    }
    (void)arg;
    return (void *)bad;
}

static void test_concurrent_readers(void)
{
    shared_map = new_u64_map(46, 0);
    for (uint64_t k = 0; k < 3000; k++)
        set_u64(shared_map, k, k * 3);
    pthread_t t[READERS];
    for (int i = 0; i < READERS; i++)
        CU_ASSERT_FATAL(pthread_create(&t[i], NULL, reader, NULL) == 0);
    for (int i = 0; i < READERS; i++) {
        void *bad;
        pthread_join(t[i], &bad);
        CU_ASSERT_EQUAL((uintptr_t)bad, 0);
    }
    CU_ASSERT_EQUAL(stats_of(shared_map).retained_blocks, 0);
    hmap_free(shared_map);
}

void suite_iteration(void)
{
    CU_pSuite s = CU_add_suite("iteration", NULL, NULL);
    CU_add_test(s, "guarantees during growth with interleaved writes",
                test_guarantees_during_growth);
    CU_add_test(s, "empty/NULL map, plain full iteration", test_empty_and_plain);
    CU_add_test(s, "inline and out-of-line steps keep the guarantees",
                test_inline_and_out_of_line_steps);
    CU_add_test(s, "random start position", test_random_start);
    CU_add_test(s, "sticky iterator flags; scrub only without oldIterator",
                test_sticky_flags_and_scrub);
    CU_add_test(s, "iterators retain dropped memory until they stop", test_iterator_retains_memory);
    CU_add_test(s, "concurrent readers: lookups and iterations", test_concurrent_readers);
}
