/* SPDX-License-Identifier: MIT */
/*
 * test_slots.c — the tophash slot masks of internal.h ("Slot masks") and
 * the map operations built on them.
 *
 * Compiled twice (tests/unit/CMakeLists.txt): unit_slots with the build's
 * own implementation (SSE2 on x86-64) against bs_whitebox, and
 * unit_slots_swar with -DHMAP_SWAR_SLOTS against a core whose slot loops
 * (access.c, shrink.c) are compiled with it too, so the SWAR fallback is
 * tested on x86-64 as well.
 *
 * Every mask is checked against a byte-by-byte reference: a mask bit must
 * be set exactly for the slots whose byte passes the test (no false
 * positives, no misses), for every byte value at every position, for all
 * words over the special tophash values (0..5 and the high-bit edges), and
 * for random words.
 */
#include <stdlib.h>

#include "unit.h"
#include "xorshift.h"

/* The slots of s as a byte (bit i: slot i), read through slot_first and
 * slot_next only; checks on the way that slots come in increasing order,
 * below 8, and that slot_count agrees. */
static unsigned canon(slotmask s, bool *ok)
{
    unsigned out = 0, n = 0;
    int last = -1;
    for (slotmask c = s; slot_any(c); c = slot_next(c)) {
        unsigned i = slot_first(c);
        if (i >= BUCKET_CNT || (int)i <= last || n >= BUCKET_CNT) {
            *ok = false;
            return out;
        }
        last = (int)i;
        out |= 1u << i;
        n++;
    }
    if (slot_count(s) != n) *ok = false;
    return out;
}

static unsigned ref_match(const uint8_t *b, uint8_t v)
{
    unsigned r = 0;
    for (unsigned i = 0; i < BUCKET_CNT; i++)
        r |= (unsigned)(b[i] == v) << i;
    return r;
}
static unsigned ref_empty(const uint8_t *b)
{
    unsigned r = 0;
    for (unsigned i = 0; i < BUCKET_CNT; i++)
        r |= (unsigned)is_empty(b[i]) << i;
    return r;
}
static unsigned ref_live(const uint8_t *b)
{
    unsigned r = 0;
    for (unsigned i = 0; i < BUCKET_CNT; i++)
        r |= (unsigned)(b[i] >= MIN_TOP_HASH) << i;
    return r;
}
/* The slots before the first emptyRest (all 8 if none): what Go scans. */
static unsigned ref_before_rest(const uint8_t *b)
{
    unsigned r = 0;
    for (unsigned i = 0; i < BUCKET_CNT && b[i] != EMPTY_REST; i++)
        r |= 1u << i;
    return r;
}

static unsigned long long checks, failures;

static void report(const char *what, const uint8_t *b, unsigned v, unsigned got, unsigned want)
{
    if (failures++ < 10)
        FAILF("%s(v=%u) on bytes %02x %02x %02x %02x %02x %02x %02x %02x: mask %02x, want %02x",
              what, v, b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], got, want);
}

/* One word: the match against v and every other mask. */
static void check_word(const uint8_t *b, uint8_t v)
{
    bool ok = true;
    th_group g = th_load(b);
    unsigned got = canon(th_match(g, v), &ok), want = ref_match(b, v);
    if (!ok || got != want) report("th_match", b, v, got, want);
    if (canon(tophash_match_mask(b, v), &ok) != want || !ok)
        report("tophash_match_mask", b, v, canon(tophash_match_mask(b, v), &ok), want);
    checks++;
}
static void check_word_kinds(const uint8_t *b)
{
    bool ok = true;
    th_group g = th_load(b);
    unsigned got;
    if ((got = canon(th_empty(g), &ok)) != ref_empty(b) || !ok)
        report("th_empty", b, 0, got, ref_empty(b));
    if ((got = canon(empty_mask(b), &ok)) != ref_empty(b) || !ok)
        report("empty_mask", b, 0, got, ref_empty(b));
    if ((got = canon(th_rest(g), &ok)) != ref_match(b, EMPTY_REST) || !ok)
        report("th_rest", b, 0, got, ref_match(b, EMPTY_REST));
    if ((got = canon(rest_mask(b), &ok)) != ref_match(b, EMPTY_REST) || !ok)
        report("rest_mask", b, 0, got, ref_match(b, EMPTY_REST));
    if ((got = canon(th_live(g), &ok)) != ref_live(b) || !ok)
        report("th_live", b, 0, got, ref_live(b));
    if ((got = canon(slot_before(th_rest(g)) & SLOTS_ALL, &ok)) != ref_before_rest(b) || !ok)
        report("slot_before(th_rest)", b, 0, got, ref_before_rest(b));
    checks++;
}

static void test_impl(void)
{
#if defined(HMAP_SWAR_SLOTS)
    CU_ASSERT_STRING_EQUAL(HMAP_SLOTS_IMPL, "swar");
#elif defined(__SSE2__)
    CU_ASSERT_STRING_EQUAL(HMAP_SLOTS_IMPL, "sse2");
#endif
    printf("(%s) ", HMAP_SLOTS_IMPL);
}

/* The edge bytes: the special tophash values 0..4, the first live one,
 * and the values around the high bit and the byte's ends. */
static const uint8_t edges[] = {0, 1, 2, 3, 4, 5, 6, 0x7e, 0x7f, 0x80, 0x81, 0xfe, 0xff};
#define NEDGES (sizeof edges / sizeof edges[0])

/* Every byte value at every position, the other seven bytes all one edge
 * value; matched against every value. */
static void test_every_byte_every_position(void)
{
    failures = 0;
    uint8_t b[8];
    for (unsigned pos = 0; pos < BUCKET_CNT; pos++)
        for (unsigned e = 0; e < NEDGES; e++)
            for (unsigned x = 0; x < 256; x++) {
                memset(b, edges[e], sizeof b);
                b[pos] = (uint8_t)x;
                check_word_kinds(b);
                for (unsigned v = 0; v < 256; v++)
                    check_word(b, (uint8_t)v);
            }
    CU_ASSERT_EQUAL(failures, 0);
}

/* Every word over {0, 1, 4, 5, 0x80, 0xff} (6^8 words): all runs of the
 * special values, emptyRest inside and at the ends. */
static void test_all_special_words(void)
{
    static const uint8_t alpha[] = {0, 1, 4, 5, 0x80, 0xff};
    static const uint8_t vs[] = {0, 1, 2, 4, 5, 0x80, 0xff};
    failures = 0;
    uint8_t b[8];
    for (uint32_t code = 0; code < 6u * 6 * 6 * 6 * 6 * 6 * 6 * 6; code++) {
        uint32_t c = code;
        for (unsigned i = 0; i < BUCKET_CNT; i++, c /= 6)
            b[i] = alpha[c % 6];
        check_word_kinds(b);
        for (unsigned v = 0; v < sizeof vs; v++)
            check_word(b, vs[v]);
    }
    CU_ASSERT_EQUAL(failures, 0);
}

static uint64_t xs = 0x9e3779b97f4a7c15ull;
static uint64_t next_rand(void)
{
    return xorshift64(&xs);
}

/* Random words, half their bytes edge values; matched against a byte of
 * the word, that byte with its low bit flipped, an edge value, or any. */
static void test_random_words(void)
{
    failures = 0;
    uint8_t b[8];
    for (unsigned n = 0; n < 400000; n++) {
        uint64_t r = next_rand();
        for (unsigned i = 0; i < BUCKET_CNT; i++)
            b[i] =
                (r >> (8 * i)) & 1 ? edges[(r >> (8 * i + 1)) % NEDGES] : (uint8_t)(r >> (8 * i));
        check_word_kinds(b);
        uint64_t s = next_rand();
        check_word(b, b[s & 7]);
        check_word(b, (uint8_t)(b[(s >> 3) & 7] ^ 1));
        check_word(b, edges[(s >> 6) % NEDGES]);
        check_word(b, (uint8_t)(s >> 16));
    }
    CU_ASSERT_EQUAL(failures, 0);
}

/* The case the classic SWAR zero-byte test gets wrong: a matching byte
 * followed by one that differs from it only in bit 0.  The borrow of the
 * subtraction out of the matching byte flags the next one too, so a match
 * against 5 on bytes (5, 4) reported slots 0 and 1.  Exact masks report 0. */
static void test_no_borrow_false_positive(void)
{
    failures = 0;
    uint8_t b[8];
    for (unsigned v = 0; v < 256; v++)
        for (unsigned pos = 0; pos + 1 < BUCKET_CNT; pos++) {
            memset(b, (uint8_t)(v + 0x40), sizeof b);
            b[pos] = (uint8_t)v;
            b[pos + 1] = (uint8_t)(v ^ 1);
            bool ok = true;
            unsigned got = canon(th_match(th_load(b), (uint8_t)v), &ok);
            if (!ok || got != 1u << pos) report("th_match", b, v, got, 1u << pos);
        }
    /* emptyRest followed by emptyOne: only the emptyRest is emptyRest. */
    memset(b, 9, sizeof b);
    b[2] = EMPTY_REST;
    b[3] = EMPTY_ONE;
    bool ok = true;
    CU_ASSERT_EQUAL(canon(th_rest(th_load(b)), &ok), 1u << 2);
    CU_ASSERT_EQUAL(canon(th_empty(th_load(b)), &ok), 3u << 2);
    CU_ASSERT(ok);
    CU_ASSERT_EQUAL(failures, 0);
}

/* slot_first, slot_next, slot_count and slot_before on all 256 slot sets
 * (built as th_match of a word with 7 in the chosen slots). */
static void test_mask_algebra(void)
{
    for (unsigned set = 0; set < 256; set++) {
        uint8_t b[8];
        for (unsigned i = 0; i < BUCKET_CNT; i++)
            b[i] = set >> i & 1 ? 7 : 9;
        slotmask s = th_match(th_load(b), 7);
        bool ok = true;
        CU_ASSERT_EQUAL(canon(s, &ok), set);
        CU_ASSERT(ok);
        CU_ASSERT_EQUAL(slot_any(s), set != 0);
        CU_ASSERT_EQUAL(slot_count(s), (unsigned)__builtin_popcount(set));
        if (set) CU_ASSERT_EQUAL(slot_first(s), (unsigned)__builtin_ctz(set));
        unsigned below = set ? (1u << __builtin_ctz(set)) - 1 : 0xffu;
        /* slot_before may keep bits that name no slot (above slot 7 or
         * between SWAR's slot bits): ANDed with a slot mask they vanish. */
        CU_ASSERT_EQUAL(canon(slot_before(s) & SLOTS_ALL, &ok), below);
        CU_ASSERT_EQUAL(canon(SLOTS_ALL, &ok), 0xffu);
        CU_ASSERT(ok);
    }
}

/* String keys: equal bytes at other addresses are equal, one differing
 * byte anywhere (first, last, middle: the screened and memcmp parts of
 * long keys) or another length is not. */
static void test_str_equal_lengths(void)
{
    static char a[80], c[80];
    for (size_t i = 0; i < sizeof a; i++)
        a[i] = (char)('a' + i % 23);
    for (size_t len = 0; len <= 72; len++) {
        memcpy(c, a, sizeof c);
        hmap_str x = {a, len}, y = {c, len}, same = {a, len};
        CU_ASSERT(str_equal(&x, &y));
        CU_ASSERT(str_equal(&x, &same));
        for (size_t pos = 0; pos < len; pos++) {
            c[pos] ^= 0x20;
            if (str_equal(&x, &y)) FAILF("len %zu: keys differing at byte %zu equal", len, pos);
            c[pos] ^= 0x20;
        }
        hmap_str longer = {c, len + 1};
        CU_ASSERT(!str_equal(&x, &longer));
    }
}

/* Keys that share a bucket and a tophash: several candidates per bucket,
 * only one of them the key.  Found, deleted and found again correctly. */
static void test_tophash_collisions(void)
{
    hmap *m = new_u64_map(77, 50); /* B = 3 */
    CU_ASSERT_EQUAL_FATAL(m->B, 3);
    uint64_t keys[6], n = 0, k = 1;
    uint8_t top = 0;
    while (n < 6) {
        keybuf kb = {.u64 = k};
        uint64_t h = key_hash(m, &kb);
        if ((h & bucket_mask(m->B)) == 2 && (n == 0 || tophash(h) == top)) {
            top = tophash(h);
            keys[n++] = k;
        }
        k++;
    }
    /* Interleave with keys of other tophashes in the same bucket chain. */
    uint64_t from = k, other[6];
    for (unsigned i = 0; i < 6; i++) {
        other[i] = key_for_bucket(m, 2, &from);
        CU_ASSERT_FATAL(set_u64(m, keys[i], 100 + i));
        CU_ASSERT_FATAL(set_u64(m, other[i], 200 + i));
    }
    for (unsigned i = 0; i < 6; i++)
        CU_ASSERT_EQUAL(get_u64(m, keys[i]), 100 + i);
    CU_ASSERT(hmap_delete(m, &keys[2]));
    CU_ASSERT(hmap_delete(m, &keys[4]));
    for (unsigned i = 0; i < 6; i++) {
        uint64_t want = (i == 2 || i == 4) ? UINT64_MAX : 100 + i;
        CU_ASSERT_EQUAL(get_u64(m, other[i]), 200 + i);
        CU_ASSERT_EQUAL(get_u64(m, keys[i]), want);
    }
    /* The insert reuses the first empty slot of the chain (Go's rule). */
    uint8_t *b = bucket_at(m, m->buckets, 2);
    unsigned first_empty = slot_first(empty_mask(b));
    CU_ASSERT_FATAL(set_u64(m, keys[4], 404));
    CU_ASSERT_EQUAL(b[first_empty], top);
    CU_ASSERT_EQUAL(get_u64(m, keys[4]), 404);
    hmap_free(m);
}

/* Lookups, inserts and deletes of u64 and string keys against a plain
 * array: one-bucket maps (the hash-free path), then maps that grow,
 * shrink (SHRINK policy) and carry tombstones. */
static void workout(hmap_reclaim reclaim, size_t nkeys, bool str)
{
    hmap_options o = {.seed = 11, .reclaim = reclaim};
    hmap *m = hmap_new(str ? &hmap_type_str : &hmap_type_u64, &o);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    size_t universe = 2 * nkeys;
    bool *in = calloc(universe, 1);
    char(*names)[24] = malloc(universe * sizeof *names);
    CU_ASSERT_FATAL(in && names);
    for (size_t i = 0; i < universe; i++)
        snprintf(names[i], sizeof names[i], i % 3 ? "key-%zu" : "a-much-longer-key-%zu", i);
    for (unsigned round = 0; round < 4; round++) {
        for (size_t i = 0; i < universe; i++) {
            uint64_t r = next_rand() % 4;
            keybuf k;
            if (str)
                k.str = (hmap_str){names[i], strlen(names[i])};
            else
                k.u64 = i * 0x9e3779b97f4a7c15ull;
            if (r == 0 && !in[i]) {
                uint64_t v = i;
                CU_ASSERT_EQUAL_FATAL(hmap_set(m, &k, &v), 0);
                in[i] = true;
            } else if (r == 1) {
                CU_ASSERT_EQUAL(hmap_delete(m, &k), in[i]);
                in[i] = false;
            }
        }
        size_t count = 0;
        for (size_t i = 0; i < universe; i++) {
            keybuf k;
            if (str)
                k.str = (hmap_str){names[i], strlen(names[i])};
            else
                k.u64 = i * 0x9e3779b97f4a7c15ull;
            const uint64_t *v = hmap_get(m, &k);
            if (in[i] != (v != NULL) || (v && *v != i))
                FAILF("round %u key %zu: %s", round, i, v ? "wrong or unexpected" : "missing");
            count += in[i];
        }
        CU_ASSERT_EQUAL(hmap_len(m), count);
    }
    free(in);
    free(names);
    hmap_free(m);
}

static void test_workout(void)
{
    for (int str = 0; str < 2; str++) {
        workout(HMAP_RECLAIM_GO, 4, str); /* one bucket */
        workout(HMAP_RECLAIM_GO, 3000, str);
        workout(HMAP_RECLAIM_SHRINK, 3000, str);
    }
}

static void add_suites(void)
{
    CU_pSuite s = CU_add_suite("slots", NULL, NULL);
    CU_add_test(s, "the implementation the build asked for", test_impl);
    CU_add_test(s, "every byte value at every position, against every value",
                test_every_byte_every_position);
    CU_add_test(s, "every word over the special tophash values", test_all_special_words);
    CU_add_test(s, "random words", test_random_words);
    CU_add_test(s, "no false positive after a match (the borrow case)",
                test_no_borrow_false_positive);
    CU_add_test(s, "slot_first / slot_next / slot_count / slot_before", test_mask_algebra);
    CU_add_test(s, "string equality: every length 0..72, every differing byte",
                test_str_equal_lengths);
    CU_add_test(s, "keys sharing a bucket and a tophash", test_tophash_collisions);
    CU_add_test(s, "lookup/insert/delete against an array (GO, SHRINK; u64, str)", test_workout);
}

int main(int argc, char **argv)
{
    return cunit_main(argc, argv, "unit_slots", add_suites);
}
