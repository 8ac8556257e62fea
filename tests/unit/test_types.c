/* SPDX-License-Identifier: MIT */
/*
 * test_types.c — type descriptors and options (docs/go-map-model.md §1, §11):
 * what is refused, indirect keys and values, string key update, generic
 * keys with their own equality, and non-reflexive (NaN-like) keys.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "unit.h"

static void expect_einval(const hmap_type *t, const hmap_options *o, const char *what)
{
    errno = 0;
    hmap *m = hmap_new(t, o);
    if (m || errno != EINVAL)
        FAILF("%s: hmap_new gave %p errno %d, want NULL/EINVAL", what, (void *)m, errno);
    hmap_free(m);
}

/* Unknown reclaim policies and bad descriptors are refused; the three
 * policies exist (EAGER and SHRINK are tested in tests/reclaim and by the
 * differential test). */
static void test_refused(void)
{
    hmap_options o = {0};
    for (int r = HMAP_RECLAIM_GO; r <= HMAP_RECLAIM_SHRINK; r++) {
        o.reclaim = (hmap_reclaim)r;
        hmap *m = hmap_new(&hmap_type_u64, &o);
        CU_ASSERT_PTR_NOT_NULL(m);
        hmap_free(m);
    }
    o.reclaim = (hmap_reclaim)3;
    expect_einval(&hmap_type_u64, &o, "reclaim 3");
    o.reclaim = (hmap_reclaim)7;
    expect_einval(&hmap_type_u64, &o, "reclaim 7");
    expect_einval(NULL, NULL, "NULL type");

    hmap_type t;
    t = hmap_type_u64, t.key_size = 0;
    expect_einval(&t, NULL, "key size 0");
    t = hmap_type_u64, t.key_align = 3;
    expect_einval(&t, NULL, "key alignment 3");
    t = hmap_type_u64, t.key_align = 16, t.key_size = 16, t.kind = HMAP_KIND_GENERIC;
    expect_einval(&t, NULL, "key alignment 16 (Go allows at most 8)");
    t = hmap_type_u64, t.key_size = 12, t.kind = HMAP_KIND_GENERIC;
    expect_einval(&t, NULL, "key size 12 with alignment 8");
    t = hmap_type_u64, t.val_align = 0;
    expect_einval(&t, NULL, "value alignment 0");
    t = hmap_type_u64, t.val_size = 6;
    expect_einval(&t, NULL, "value size 6 with alignment 8");
    t = hmap_type_u64, t.key_size = 4, t.key_align = 4;
    expect_einval(&t, NULL, "kind U64 with a 4-byte key");
    t = hmap_type_u32, t.key_size = 8, t.key_align = 8;
    expect_einval(&t, NULL, "kind U32 with an 8-byte key");
    t = hmap_type_str, t.key_size = 8;
    expect_einval(&t, NULL, "kind STR with an 8-byte key");
    t = hmap_type_u64, t.kind = (hmap_key_kind)9;
    expect_einval(&t, NULL, "unknown kind");
    t = hmap_type_u64, t.kind = HMAP_KIND_GENERIC, t.hash = NULL;
    expect_einval(&t, NULL, "custom equality without a hash");
    hmap_allocator half = {.alloc = NULL, .free = NULL};
    hmap_options ao = {.allocator = &half};
    expect_einval(&hmap_type_u64, &ao, "allocator without functions");

    CU_ASSERT_EQUAL(hmap_set(NULL, "k", NULL), -EINVAL);
    CU_ASSERT_PTR_NULL(hmap_get(NULL, "k"));
    CU_ASSERT_FALSE(hmap_delete(NULL, "k"));
    CU_ASSERT_EQUAL(hmap_len(NULL), 0);
    hmap_clear(NULL);
    hmap_free(NULL);
}

/* §1: keys and values over 128 bytes are stored indirectly (the slot holds
 * a pointer); 128 bytes stays inline.  Both work through growth. */
static void test_indirect(void)
{
    hmap_type inl = {
        .name = "k128", .key_size = 128, .key_align = 8, .val_size = 128, .val_align = 8};
    hmap *m = hmap_new(&inl, NULL);
    CU_ASSERT_FALSE(has_indirect_key(m));
    CU_ASSERT_EQUAL(stats_of(m).bucket_size, 8 + 8 * 128 + 8 * 128 + 8);
    hmap_free(m);

    hmap_type big = {
        .name = "k129", .key_size = 136, .key_align = 8, .val_size = 1000, .val_align = 8};
    hmap_options o = {.seed = 71};
    m = hmap_new(&big, &o);
    CU_ASSERT_TRUE(has_indirect_key(m));
    CU_ASSERT_TRUE(has_indirect_val(m));
    CU_ASSERT_EQUAL(stats_of(m).bucket_size, 8 + 8 * 8 + 8 * 8 + 8);
    uint8_t key[136], val[1000];
    for (uint32_t i = 0; i < 2000; i++) {
        memset(key, (int)(i & 0xff), sizeof key);
        memcpy(key, &i, 4);
        memset(val, (int)(i * 7 & 0xff), sizeof val);
        CU_ASSERT_EQUAL_FATAL(hmap_set(m, key, val), 0);
    }
    CU_ASSERT_EQUAL(hmap_len(m), 2000);
    for (uint32_t i = 0; i < 2000; i++) {
        memset(key, (int)(i & 0xff), sizeof key);
        memcpy(key, &i, 4);
        const uint8_t *v = hmap_get(m, key);
        CU_ASSERT_PTR_NOT_NULL_FATAL(v);
        CU_ASSERT(v[0] == (uint8_t)(i * 7) && v[999] == (uint8_t)(i * 7));
        if (i % 2) CU_ASSERT_TRUE(hmap_delete(m, key));
    }
    CU_ASSERT_EQUAL(hmap_len(m), 1000);
    hmap_free(m);
}

/* §1, §11.3: string keys are updated on overwrite (the map holds the
 * pointer passed last) and found through any equal copy. */
static void test_string_key_update(void)
{
    char a[] = "payload-key", b[] = "payload-key", c[] = "payload-key";
    hmap_options o = {.seed = 72};
    hmap *m = hmap_new(&hmap_type_str, &o);
    hmap_str ka = {a, 11}, kb = {b, 11}, kc = {c, 11};
    uint64_t v1 = 1, v2 = 2;
    hmap_set(m, &ka, &v1);
    hmap_set(m, &kb, &v2);
    CU_ASSERT_EQUAL(hmap_len(m), 1);
    const uint64_t *v = hmap_get(m, &kc);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT_EQUAL(*v, 2);
    hmap_iter it;
    const void *k;
    hmap_iter_init(&it, m);
    CU_ASSERT_TRUE_FATAL(hmap_iter_next(&it, &k, NULL));
    CU_ASSERT_PTR_EQUAL(((const hmap_str *)k)->ptr, b);
    hmap_iter_stop(&it);
    /* Empty string is a key like any other. */
    hmap_str empty = {"", 0};
    hmap_set(m, &empty, &v1);
    CU_ASSERT_PTR_NOT_NULL(hmap_get(m, &empty));
    CU_ASSERT_EQUAL(hmap_len(m), 2);
    hmap_free(m);
}

/* A generic 24-byte key whose equality ignores its third word: lookups
 * find equal keys; the stored copy is replaced only with KEY_UPDATE. */
typedef struct trio {
    uint64_t a, b, note;
} trio;
static uint64_t trio_hash(const void *k, uint64_t seed)
{
    return hmap_hash_bytes(k, 16, seed);
}
static bool trio_equal(const void *x, const void *y)
{
    return memcmp(x, y, 16) == 0;
}

static void test_generic_key(void)
{
    for (int update = 0; update < 2; update++) {
        hmap_type t = {.name = "trio",
                       .key_size = 24,
                       .key_align = 8,
                       .val_size = 8,
                       .val_align = 8,
                       .flags = update ? HMAP_TYPE_KEY_UPDATE : 0,
                       .hash = trio_hash,
                       .equal = trio_equal};
        hmap_options o = {.seed = 73};
        hmap *m = hmap_new(&t, &o);
        for (uint64_t i = 0; i < 500; i++) {
            trio k = {i, i * 3, 1};
            CU_ASSERT_EQUAL(hmap_set(m, &k, &i), 0);
        }
        for (uint64_t i = 0; i < 500; i++) {
            trio k = {i, i * 3, 2};
            uint64_t v = i + 1000;
            CU_ASSERT_EQUAL(hmap_set(m, &k, &v), 0);
        }
        CU_ASSERT_EQUAL(hmap_len(m), 500);
        hmap_iter it;
        const void *kp;
        void *vp;
        unsigned n = 0;
        hmap_iter_init(&it, m);
        while (hmap_iter_next(&it, &kp, &vp)) {
            const trio *k = kp;
            CU_ASSERT_EQUAL(k->note, update ? 2u : 1u);
            CU_ASSERT_EQUAL(*(uint64_t *)vp, k->a + 1000);
            n++;
        }
        CU_ASSERT_EQUAL(n, 500);
        hmap_free(m);
    }
}

/* u32 keys (fast32) and a set (value size 0). */
static void test_u32_and_set(void)
{
    hmap_options o = {.seed = 74};
    hmap *m = hmap_new(&hmap_type_u32, &o);
    for (uint32_t i = 0; i < 20000; i++) {
        uint32_t v = ~i;
        CU_ASSERT_EQUAL_FATAL(hmap_set(m, &i, &v), 0);
    }
    for (uint32_t i = 0; i < 20000; i++) {
        const uint32_t *v = hmap_get(m, &i);
        CU_ASSERT_FATAL(v && *v == ~i);
    }
    hmap_free(m);

    hmap_type set = hmap_type_u64;
    set.val_size = 0;
    set.val_align = 1;
    m = hmap_new(&set, &o);
    for (uint64_t i = 0; i < 100; i++)
        CU_ASSERT_EQUAL(hmap_set(m, &i, NULL), 0);
    uint64_t in = 42, out = 4242;
    CU_ASSERT_PTR_NOT_NULL(hmap_get(m, &in));
    CU_ASSERT_PTR_NULL(hmap_get(m, &out));
    CU_ASSERT_EQUAL(hmap_len(m), 100);
    hmap_free(m);
}

/* A NULL value stores the zero value, on insert and on update; a type
 * without a name works; statistics of no map are all zero. */
static void test_null_value_and_name(void)
{
    hmap_type t = hmap_type_u64;
    t.name = NULL;
    hmap_options o = {.seed = 76};
    hmap *m = hmap_new(&t, &o);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    uint64_t k = 3, v = 99;
    hmap_set(m, &k, &v);
    CU_ASSERT_EQUAL(get_u64(m, k), 99);
    CU_ASSERT_EQUAL(hmap_set(m, &k, NULL), 0);
    CU_ASSERT_EQUAL(get_u64(m, k), 0);
    k = 4;
    CU_ASSERT_EQUAL(hmap_set(m, &k, NULL), 0);
    CU_ASSERT_EQUAL(get_u64(m, k), 0);
    hmap_free(m);
    hmap_stats s;
    memset(&s, 0xff, sizeof s);
    hmap_get_stats(NULL, &s);
    CU_ASSERT_EQUAL(s.count, 0);
    CU_ASSERT_EQUAL(s.bytes_allocated, 0);
}

/* Non-reflexive keys (§8.3, §9.3, §10.3): doubles with IEEE equality.  NaN
 * keys can be inserted (each is a new entry), are never found, updated or
 * deleted, are returned by iteration exactly once each (also across a
 * growth with an iterator running, where evacuation uses the tophash low
 * bit), and clear removes them.  +0 and -0 are one key (key update keeps
 * the newest sign). */
static uint64_t dbl_hash(const void *k, uint64_t seed)
{
    double d;
    memcpy(&d, k, 8);
    if (d == 0) d = 0; /* +0 and -0 hash alike */
    if (isnan(d))      /* Go: NaN hashes randomly; any value is allowed */
        return hmap_hash_u64((uint64_t)(uintptr_t)k ^ 0x5555, seed);
    return hmap_hash_bytes(&d, 8, seed);
}
static bool dbl_equal(const void *a, const void *b)
{
    double x, y;
    memcpy(&x, a, 8);
    memcpy(&y, b, 8);
    return x == y;
}

static void test_nonreflexive_keys(void)
{
    hmap_type t = {.name = "f64",
                   .key_size = 8,
                   .key_align = 8,
                   .val_size = 8,
                   .val_align = 8,
                   .flags = HMAP_TYPE_NONREFLEXIVE | HMAP_TYPE_KEY_UPDATE,
                   .hash = dbl_hash,
                   .equal = dbl_equal};
    hmap_options o = {.seed = 75};
    hmap *m = hmap_new(&t, &o);
    double nan = NAN;
    uint64_t v = 7;
    for (int i = 0; i < 3; i++)
        CU_ASSERT_EQUAL(hmap_set(m, &nan, &v), 0);
    CU_ASSERT_EQUAL(hmap_len(m), 3);
    CU_ASSERT_PTR_NULL(hmap_get(m, &nan));
    CU_ASSERT_FALSE(hmap_delete(m, &nan));
    CU_ASSERT_EQUAL(hmap_len(m), 3);

    double pz = 0.0, nz = -0.0;
    hmap_set(m, &pz, &v);
    hmap_set(m, &nz, &v);
    CU_ASSERT_EQUAL(hmap_len(m), 4);

    /* Iterate across a growth with interleaved inserts of NaNs and numbers. */
    hmap_iter it;
    const void *kp;
    hmap_iter_init(&it, m);
    unsigned nans = 0, zeros = 0, inserted_nans = 0;
    bool neg_zero = false;
    for (int i = 0; i < 400; i++) {
        double d = i % 3 ? (double)i + 0.5 : NAN;
        inserted_nans += isnan(d);
        hmap_set(m, &d, &v);
        if (i % 2 && hmap_iter_next(&it, &kp, NULL)) {
            double k;
            memcpy(&k, kp, 8);
            nans += isnan(k);
            if (k == 0) zeros++, neg_zero = signbit(k);
        }
    }
    while (hmap_iter_next(&it, &kp, NULL)) {
        double k;
        memcpy(&k, kp, 8);
        nans += isnan(k);
        if (k == 0) zeros++, neg_zero = signbit(k);
    }
    CU_ASSERT_EQUAL(zeros, 1);
    CU_ASSERT_TRUE(neg_zero);
    /* The 3 NaNs present throughout come exactly once; NaNs inserted during
     * the iteration may or may not. */
    CU_ASSERT(nans >= 3 && nans <= 3 + inserted_nans);
    CU_ASSERT_EQUAL(hmap_len(m), 4 + 400);

    /* A full iteration now returns every NaN exactly once. */
    nans = 0;
    unsigned total = 0;
    hmap_iter_init(&it, m);
    while (hmap_iter_next(&it, &kp, NULL)) {
        double k;
        memcpy(&k, kp, 8);
        nans += isnan(k);
        total++;
    }
    CU_ASSERT_EQUAL(nans, 3 + inserted_nans);
    CU_ASSERT_EQUAL(total, 404);

    hmap_clear(m);
    CU_ASSERT_EQUAL(hmap_len(m), 0);
    hmap_iter_init(&it, m);
    CU_ASSERT_FALSE(hmap_iter_next(&it, &kp, NULL));
    hmap_free(m);
}

/* §8.3/§9.3: an iterator started during a doubling growth sees each NaN
 * exactly once although NaNs cannot be rehashed: evacuation (iterator flag
 * set) sends a NaN to X or Y by its old tophash's low bit, and the iterator
 * walking an unevacuated old bucket makes the same choice. */
static void test_nan_iteration_during_growth(void)
{
    hmap_type t = {.name = "f64",
                   .key_size = 8,
                   .key_align = 8,
                   .val_size = 8,
                   .val_align = 8,
                   .flags = HMAP_TYPE_NONREFLEXIVE,
                   .hash = dbl_hash,
                   .equal = dbl_equal};
    for (uint64_t seed = 1; seed <= 8; seed++) {
        hmap_options o = {.seed = seed};
        hmap *m = hmap_new(&t, &o);
        uint64_t v = 1;
        unsigned nans = 0;
        for (int i = 0; i < 13 * 64; i++) { /* B = 7 at full load, half NaN */
            double d = i % 2 ? NAN : (double)i;
            nans += i % 2;
            hmap_set(m, &d, &v);
        }
        double d = 1e9;
        hmap_set(m, &d, &v); /* growth 7 -> 8 */
        CU_ASSERT_FATAL(oldbuckets_of(m) != NULL);
        hmap_iter it;
        const void *kp;
        hmap_iter_init(&it, m);
        unsigned seen = 0, step = 0;
        while (hmap_iter_next(&it, &kp, NULL)) {
            double k;
            memcpy(&k, kp, 8);
            seen += isnan(k);
            if (step++ % 3 == 0) { /* numbers only: drives the growth */
                d += 1;
                hmap_set(m, &d, &v);
            }
        }
        if (seen != nans)
            FAILF("seed %llu: %u NaN keys returned, %u in the map", (unsigned long long)seed, seen,
                  nans);
        hmap_free(m);
    }
}

/* String keys compare in registers up to 16 bytes (internal.h,
 * short_bytes_equal): keys of every length 0..24 that differ in exactly one
 * byte, at every position, are different keys; equal bytes at another
 * address are the same key. */
static void test_str_keys_every_length(void)
{
    hmap_options o = {.seed = 5};
    hmap *m = hmap_new(&hmap_type_str, &o);
    static char base[25], var[25][25], copy[25][25];
    memset(base, 'a', sizeof base);
    uint64_t v = 1, n = 0;
    for (size_t len = 0; len <= 24; len++) {
        hmap_str k = {base, len};
        CU_ASSERT_EQUAL_FATAL(hmap_set(m, &k, &v), 0);
        n++;
        memcpy(copy[len], base, len);
        hmap_str c = {copy[len], len};
        CU_ASSERT_PTR_NOT_NULL(hmap_get(m, &c));
        for (size_t pos = 0; pos < len; pos++) {
            memcpy(var[pos], base, len);
            var[pos][pos] = 'b';
            hmap_str d = {var[pos], len};
            if (hmap_get(m, &d)) FAILF("len %zu: key differing at byte %zu found", len, pos);
        }
    }
    CU_ASSERT_EQUAL(hmap_len(m), n);
    hmap_free(m);
}

void suite_types(void)
{
    CU_pSuite s = CU_add_suite("types", NULL, NULL);
    CU_add_test(s, "unknown reclaim policies and bad descriptors refused (EINVAL)", test_refused);
    CU_add_test(s, "keys and values over 128 bytes stored indirectly", test_indirect);
    CU_add_test(s, "string keys: newest pointer kept, equal copies found", test_string_key_update);
    CU_add_test(s, "generic key with own equality; key update only when flagged", test_generic_key);
    CU_add_test(s, "u32 keys and value size 0", test_u32_and_set);
    CU_add_test(s, "NULL value is the zero value; unnamed type; stats of NULL",
                test_null_value_and_name);
    CU_add_test(s, "non-reflexive (NaN) keys: inserted, never found, iterated, cleared",
                test_nonreflexive_keys);
    CU_add_test(s, "string keys of every length 0..24: one differing byte is another key",
                test_str_keys_every_length);
    CU_add_test(s, "NaN keys seen once by an iterator started during growth",
                test_nan_iteration_during_growth);
}
