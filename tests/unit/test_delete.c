/* SPDX-License-Identifier: MIT */
/*
 * test_delete.c — delete (docs/go-map-model.md §7): tombstones, emptyRest
 * folding across overflow buckets, what a deleted slot keeps, slot reuse,
 * reseed when the map empties.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hmap_trace.h"
#include "unit.h"

static void expect_tophash(const uint8_t *b, const char *want, const char *when)
{
    /* want: 8 chars, '0' emptyRest, '1' emptyOne, 'L' live (>= 5). */
    for (int i = 0; i < 8; i++) {
        bool ok = want[i] == 'L' ? b[i] >= MIN_TOP_HASH : b[i] == want[i] - '0';
        if (!ok) {
            FAILF("%s: tophash[%d] = %u, want %c (all: %u %u %u %u %u %u %u %u)", when, i, b[i],
                  want[i], b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]);
            return;
        }
    }
}

/* §7, observed in Go on one bucket: deleting slots 3, 7, 6, 4, 5 of 8 gives
 * 1 at 3, then 0 at 7, 0 at 6, 1 at 4, and all of 3..7 become 0 when 5 goes. */
static void test_empty_rest_single_bucket(void)
{
    hmap *m = new_u64_map(21, 0); /* B = 0: every key in bucket 0 */
    for (uint64_t k = 0; k < 8; k++)
        set_u64(m, k, k + 100); /* key k lands in slot k (first empty slot) */
    uint8_t *b = m->buckets;
    expect_tophash(b, "LLLLLLLL", "full");
    uint64_t k = 3;
    hmap_delete(m, &k);
    expect_tophash(b, "LLL1LLLL", "after deleting slot 3");
    k = 7;
    hmap_delete(m, &k);
    expect_tophash(b, "LLL1LLL0", "after deleting slot 7");
    k = 6;
    hmap_delete(m, &k);
    expect_tophash(b, "LLL1LL00", "after deleting slot 6");
    k = 4;
    hmap_delete(m, &k);
    expect_tophash(b, "LLL11L00", "after deleting slot 4");
    k = 5;
    hmap_delete(m, &k);
    expect_tophash(b, "LLL00000", "after deleting slot 5");
    for (k = 0; k < 3; k++)
        CU_ASSERT_EQUAL(get_u64(m, k), k + 100);
    hmap_free(m);
}

/* §7 step 6 across a chain: a tombstone in the last slot of a bucket folds
 * only when the next bucket starts with emptyRest, and folding walks back
 * from an overflow bucket into the bucket before it.  The emptied overflow
 * bucket stays linked (delete never unlinks). */
static void test_empty_rest_across_overflow(void)
{
    hmap *m = new_u64_map(22, 53); /* B = 4 */
    uint64_t from = 0, keys[10];
    for (int i = 0; i < 10; i++) {
        keys[i] = key_for_bucket(m, 0, &from);
        set_u64(m, keys[i], (uint64_t)i);
    }
    uint8_t *head = m->buckets, *ovf = overflow_of(m, head);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ovf);
    expect_tophash(head, "LLLLLLLL", "head full");
    expect_tophash(ovf, "LL000000", "overflow with 2");

    hmap_delete(m, &keys[7]); /* next bucket's slot 0 is live: stays 1 */
    expect_tophash(head, "LLLLLLL1", "head after deleting slot 7");
    hmap_delete(m, &keys[9]); /* overflow slot 1, followed by emptyRest */
    expect_tophash(ovf, "L0000000", "overflow after deleting its slot 1");
    hmap_delete(m, &keys[8]); /* overflow slot 0: folds back into the head */
    expect_tophash(ovf, "00000000", "overflow after deleting its slot 0");
    expect_tophash(head, "LLLLLLL0", "head after the fold reached it");
    CU_ASSERT_PTR_EQUAL(overflow_of(m, head), ovf);

    /* Deleting everything leaves the whole chain emptyRest, still linked. */
    for (int i = 0; i < 7; i++)
        hmap_delete(m, &keys[i]);
    expect_tophash(head, "00000000", "head after deleting all");
    CU_ASSERT_PTR_EQUAL(overflow_of(m, head), ovf);
    hmap_stats s = stats_of(m);
    CU_ASSERT_EQUAL(s.overflow_buckets, 1);
    CU_ASSERT_EQUAL(s.noverflow, 1); /* never decremented */
    hmap_free(m);
}

/* §6.2, §13(b): an insert reuses the earliest empty slot of its chain,
 * tombstone or emptyRest, and a NULL value stores zero (empty slots keep
 * zero value bytes). */
static void test_insert_reuses_first_empty_slot(void)
{
    hmap *m = new_u64_map(23, 53);
    uint64_t from = 0, keys[10];
    for (int i = 0; i < 10; i++) {
        keys[i] = key_for_bucket(m, 5, &from);
        set_u64(m, keys[i], 0xabcdefull);
    }
    uint8_t *head = bucket_at(m, m->buckets, 5);
    hmap_delete(m, &keys[2]);
    hmap_delete(m, &keys[6]);
    uint64_t nk = key_for_bucket(m, 5, &from);
    CU_ASSERT_EQUAL(hmap_set(m, &nk, NULL), 0);
    CU_ASSERT(head[2] >= MIN_TOP_HASH);
    CU_ASSERT(memcmp(slot_key(m, head, 2), &nk, 8) == 0);
    CU_ASSERT_EQUAL(get_u64(m, nk), 0); /* NULL value: zero */
    nk = key_for_bucket(m, 5, &from);
    set_u64(m, nk, 1);
    CU_ASSERT(memcmp(slot_key(m, head, 6), &nk, 8) == 0);
    CU_ASSERT_EQUAL(stats_of(m).overflow_buckets, 1);
    hmap_free(m);
}

/* §7 step 5 and §11.3: what a deleted slot keeps.  fast64 (pointer-free):
 * key bytes stay, value zeroed.  faststr: data pointer cleared, length
 * kept, value zeroed.  Generic pointerful: key zeroed too.  Indirect: the
 * slot's pointers become NULL. */
static void test_deleted_slot_contents(void)
{
    hmap *m = new_u64_map(24, 0);
    uint64_t k = 77, v = 99;
    hmap_set(m, &k, &v);
    hmap_delete(m, &k);
    uint64_t sk, sv;
    memcpy(&sk, slot_key(m, m->buckets, 0), 8);
    memcpy(&sv, slot_val(m, m->buckets, 0), 8);
    CU_ASSERT_EQUAL(sk, 77);
    CU_ASSERT_EQUAL(sv, 0);
    hmap_free(m);

    hmap_options o = {.seed = 24};
    m = hmap_new(&hmap_type_str, &o);
    hmap_str s = {"hello", 5};
    hmap_set(m, &s, &v);
    hmap_delete(m, &s);
    hmap_str ss;
    memcpy(&ss, slot_key(m, m->buckets, 0), sizeof ss);
    memcpy(&sv, slot_val(m, m->buckets, 0), 8);
    CU_ASSERT_PTR_NULL(ss.ptr);
    CU_ASSERT_EQUAL(ss.len, 5);
    CU_ASSERT_EQUAL(sv, 0);
    hmap_free(m);

    hmap_type t = hmap_type_u64;
    t.kind = HMAP_KIND_GENERIC;
    t.flags = HMAP_TYPE_POINTERFUL;
    m = hmap_new(&t, &o);
    hmap_set(m, &k, &v);
    hmap_delete(m, &k);
    memcpy(&sk, slot_key(m, m->buckets, 0), 8);
    CU_ASSERT_EQUAL(sk, 0);
    hmap_free(m);

    hmap_type big = {
        .name = "big", .key_size = 136, .key_align = 8, .val_size = 200, .val_align = 8};
    m = hmap_new(&big, &o);
    uint8_t bk[136] = {1, 2, 3}, bv[200] = {4, 5, 6};
    size_t before = stats_of(m).bytes_allocated;
    CU_ASSERT_EQUAL(hmap_set(m, bk, bv), 0);
    CU_ASSERT(stats_of(m).bytes_allocated > before + 136 + 200);
    CU_ASSERT_TRUE(hmap_delete(m, bk));
    void *pk, *pv;
    memcpy(&pk, slot_key(m, m->buckets, 0), 8);
    memcpy(&pv, slot_val(m, m->buckets, 0), 8);
    CU_ASSERT_PTR_NULL(pk);
    CU_ASSERT_PTR_NULL(pv);
    /* The key and value objects went back to the allocator at the delete. */
    CU_ASSERT_EQUAL(stats_of(m).bytes_allocated, before + map_nalloc(m) * m->bucketsize);
    hmap_free(m);
}

/* §7 step 7 (golang/go#25237): the seed changes when a delete empties the
 * map; a delete on an empty map changes nothing. */
static void test_reseed_at_empty(void)
{
    hmap *m = new_u64_map(25, 0);
    for (uint64_t k = 0; k < 5; k++)
        set_u64(m, k, k);
    uint64_t seed0 = stats_of(m).seed;
    for (uint64_t k = 0; k < 4; k++)
        hmap_delete(m, &k);
    CU_ASSERT_EQUAL(stats_of(m).seed, seed0);
    uint64_t k = 4;
    CU_ASSERT_TRUE(hmap_delete(m, &k));
    uint64_t seed1 = stats_of(m).seed;
    CU_ASSERT_NOT_EQUAL(seed1, seed0);
    CU_ASSERT_FALSE(hmap_delete(m, &k)); /* empty: no reseed */
    CU_ASSERT_EQUAL(stats_of(m).seed, seed1);
    /* The map works with its new seed. */
    for (k = 0; k < 50; k++)
        set_u64(m, k, k * 2);
    for (k = 0; k < 50; k++)
        CU_ASSERT_EQUAL(get_u64(m, k), k * 2);
    hmap_free(m);
}

/* The chain of bucket 0 (at most 3 buckets) as 24 tophash bytes, 0xff past
 * its end. */
static void chain_bytes(const hmap *m, uint8_t out[24])
{
    memset(out, 0xff, 24);
    const uint8_t *b = m->buckets;
    for (int n = 0; b && n < 3; n++, b = overflow_of(m, b))
        memcpy(out + 8 * n, b, 8);
}

#define FOLD_KEYS 24
#define FOLD_OPS 6000

/* One run of the same random inserts and deletes on the keys of bucket 0
 * (a chain of up to 3 buckets); the chain's bytes after each step. */
static void fold_run(hmap *m, const uint64_t *keys, uint8_t (*snap)[24])
{
    bool present[FOLD_KEYS] = {false};
    uint64_t r = 0x2545f4914f6cdd1dull;
    for (int op = 0; op < FOLD_OPS; op++) {
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        unsigned k = (unsigned)(r >> 33) % FOLD_KEYS;
        if (present[k]) {
            CU_ASSERT_TRUE(hmap_delete(m, &keys[k]));
        } else {
            set_u64(m, keys[k], k);
        }
        present[k] = !present[k];
        chain_bytes(m, snap[op]);
    }
}

/* A delete nobody traces folds tombstones with no branch on the bucket's
 * bytes (access.c, mark_deleted); a traced one writes slot by slot, as Go's
 * loop does.  Both must leave every chain byte for byte alike: the same
 * steps on two maps with the same seed, the second while the in-process
 * recorder listens. */
static void test_quick_fold_matches_traced(void)
{
    hmap *quick = new_u64_map(24, 53), *traced = new_u64_map(24, 53); /* B = 4 */
    uint64_t from = 0, keys[FOLD_KEYS];
    for (int i = 0; i < FOLD_KEYS; i++)
        keys[i] = key_for_bucket(quick, 0, &from);
    uint8_t(*want)[24] = calloc(FOLD_OPS, 24), (*got)[24] = calloc(FOLD_OPS, 24);
    CU_ASSERT_PTR_NOT_NULL_FATAL(want);
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    fold_run(quick, keys, want);

    const char *tmp = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/unit-fold-%d.hmt", tmp && *tmp ? tmp : "/tmp", (int)getpid());
    int rc = hmap_trace_start(path);
    if (rc == -ENOTSUP) {
        printf("\n    SKIPPED: the in-process recorder is compiled out, no traced path to "
               "compare with\n");
    } else {
        CU_ASSERT_EQUAL_FATAL(rc, 0);
        fold_run(traced, keys, got);
        CU_ASSERT_EQUAL(hmap_trace_stop(), 0);
        unlink(path);
        int bad = -1;
        for (int op = 0; op < FOLD_OPS && bad < 0; op++)
            if (memcmp(want[op], got[op], 24) != 0) bad = op;
        if (bad >= 0) FAILF("step %d: the untraced and traced chains differ", bad);
    }
    CU_ASSERT_TRUE(stats_of(quick).overflow_buckets >= 2); /* the chain was 3 buckets long */
    free(want);
    free(got);
    hmap_free(quick);
    hmap_free(traced);
}

void suite_delete(void)
{
    CU_pSuite s = CU_add_suite("delete", NULL, NULL);
    CU_add_test(s, "emptyRest folding in one bucket (slots 3,7,6,4,5)",
                test_empty_rest_single_bucket);
    CU_add_test(s, "emptyRest folding across an overflow bucket", test_empty_rest_across_overflow);
    CU_add_test(s, "insert reuses the first empty slot; NULL value is zero",
                test_insert_reuses_first_empty_slot);
    CU_add_test(s, "what a deleted slot keeps, per kind", test_deleted_slot_contents);
    CU_add_test(s, "reseed when a delete empties the map", test_reseed_at_empty);
    CU_add_test(s, "untraced and traced deletes fold alike", test_quick_fold_matches_traced);
}
