/* SPDX-License-Identifier: MIT */
/*
 * test_hash.c — the byte hash (docs/libhmap.md, "Hash"): both
 * implementations, the AES-NI one and the portable one, read no byte
 * outside the key, hash equal keys equal, depend on the seed, the length
 * and every input bit, and spread structured keys evenly over buckets and
 * tophash values; and the process uses the one HMAP_HASH and the CPU call
 * for.  ctest runs the suite twice, the second time with
 * HMAP_HASH=portable, so that maps run on each implementation.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "unit.h"

#define MAXLEN 256

typedef uint64_t (*hash_fn)(const void *p, size_t n, uint32_t seed);

static uint64_t portable(const void *p, size_t n, uint32_t seed)
{
    return hash_bytes_derived(p, n, HASH_KEY0(seed), HASH_KEY1(seed));
}

#if HMAP_HAVE_AES_HASH
static uint64_t aes(const void *p, size_t n, uint32_t seed)
{
    return hmap__hash_bytes_aes(p, n, seed);
}
static bool cpu_aes(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("aes") && __builtin_cpu_supports("sse4.1");
}
#endif

/* The implementations this machine can run, by name. */
static int impls(hash_fn *fn, const char **name)
{
    int k = 0;
    fn[k] = portable, name[k++] = "portable";
#if HMAP_HAVE_AES_HASH
    if (cpu_aes())
        fn[k] = aes, name[k++] = "aes";
    else
        printf("\n    SKIPPED: the CPU has no AES-NI; only the portable hash is tested\n");
#else
    printf("\n    SKIPPED: no AES-NI hash on this architecture; only the portable hash\n");
#endif
    return k;
}

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void fill(uint8_t *p, size_t n, uint64_t *s)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)rng_next(s);
}

/* The implementation hmap__hash_impl names. */
static uint64_t selected(const void *p, size_t n, uint32_t seed)
{
#if HMAP_HAVE_AES_HASH
    if (hmap__hash_impl == HASH_IMPL_AES) return aes(p, n, seed);
#endif
    return portable(p, n, seed);
}

/* The process hashes with the implementation HMAP_HASH and the CPU select,
 * and a map's string hash is that implementation's, equal to
 * hmap_hash_bytes() under the map's seed. */
static void test_dispatch(void)
{
    const char *env = getenv("HMAP_HASH");
    int want = HASH_IMPL_PORTABLE;
#if HMAP_HAVE_AES_HASH
    if (!(env && strcmp(env, "portable") == 0) && cpu_aes()) want = HASH_IMPL_AES;
#endif
    hmap_options o = {.seed = 0x1234567};
    hmap *m = hmap_new(&hmap_type_str, &o);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    if (hmap__hash_impl != want)
        FAILF("HMAP_HASH=%s: implementation %d, want %d", env ? env : "(unset)", hmap__hash_impl,
              want);
    printf("\n    byte hash in use: %s\n", hmap__hash_impl == HASH_IMPL_AES ? "aes" : "portable");

    uint64_t s = 1;
    uint8_t buf[MAXLEN];
    for (size_t n = 0; n <= MAXLEN; n++) {
        fill(buf, n, &s);
        hmap_str k = {(const char *)buf, n};
        uint64_t h = key_hash(m, &k);
        uint64_t want_h = selected(buf, n, m->seed);
        if (h != want_h) FAILF("len %zu: the map's hash is not the selected implementation's", n);
        if (h != hmap_hash_bytes(buf, n, m->seed))
            FAILF("len %zu: hmap_hash_bytes disagrees with the map", n);
        /* A 64-bit seed is folded to the map's 32 bits. */
        uint64_t wide = ((uint64_t)0xabcdef01 << 32) | (m->seed ^ 0xabcdef01u);
        if (hmap_hash_bytes(buf, n, wide) != h) FAILF("len %zu: 64-bit seed not folded", n);
    }
    hmap_free(m);
}

/* Keys of every length 0..256 laid against a PROT_NONE page on either
 * side: a load of one byte before or after the key faults.  Each key is
 * hashed at the end and at the start of the page, and from an ordinary
 * buffer at two alignments: all four hashes must agree. */
static void test_no_overread(void)
{
    hash_fn fn[2];
    const char *name[2];
    int nf = impls(fn, name);
    long pg = sysconf(_SC_PAGESIZE);
    uint8_t *map =
        mmap(NULL, 3 * (size_t)pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CU_ASSERT_FATAL(map != MAP_FAILED);
    CU_ASSERT_FATAL(mprotect(map, (size_t)pg, PROT_NONE) == 0);
    CU_ASSERT_FATAL(mprotect(map + 2 * pg, (size_t)pg, PROT_NONE) == 0);
    uint8_t *page = map + pg, *end = map + 2 * pg;
    uint8_t copy[MAXLEN + 16];
    uint64_t s = 2;
    for (int f = 0; f < nf; f++)
        for (size_t n = 0; n <= MAXLEN; n++) {
            uint8_t *at_end = end - n;
            fill(at_end, n, &s);
            memmove(page, at_end, n);
            for (uint32_t seed = 1; seed <= 3; seed++) {
                uint64_t h = fn[f](at_end, n, seed);
                if (fn[f](page, n, seed) != h)
                    FAILF("%s len %zu: page start and page end differ", name[f], n);
                for (size_t a = 0; a < 2; a++) {
                    memcpy(copy + a * 7, at_end, n);
                    if (fn[f](copy + a * 7, n, seed) != h)
                        FAILF("%s len %zu: equal keys hash differently", name[f], n);
                }
            }
        }
    munmap(map, 3 * (size_t)pg);
}

/* Different seeds give different hashes (64 seeds, every length, also the
 * empty key), and keys of zeros that differ only in length differ. */
static void test_seed_and_length(void)
{
    hash_fn fn[2];
    const char *name[2];
    int nf = impls(fn, name);
    static const uint8_t zeros[MAXLEN];
    uint8_t buf[MAXLEN];
    uint64_t s = 3;
    for (int f = 0; f < nf; f++) {
        for (size_t n = 0; n <= MAXLEN; n++) {
            fill(buf, n, &s);
            uint64_t h[64];
            for (uint32_t i = 0; i < 64; i++) {
                h[i] = fn[f](buf, n, i * 0x9e3779b9u + 1);
                for (uint32_t j = 0; j < i; j++)
                    if (h[j] == h[i])
                        FAILF("%s len %zu: seeds %u and %u collide", name[f], n, j, i);
            }
        }
        uint64_t hz[MAXLEN + 1];
        for (size_t n = 0; n <= MAXLEN; n++) {
            hz[n] = fn[f](zeros, n, 77);
            for (size_t j = 0; j < n; j++)
                if (hz[j] == hz[n])
                    FAILF("%s: zero keys of length %zu and %zu collide", name[f], j, n);
        }
    }
}

/* Avalanche: flipping one input bit flips each output bit with probability
 * about 1/2.  Per length, over KEYS random keys: for every input bit the
 * mean fraction of the 64 output bits that flip lies in [0.4, 0.6] (that
 * mean has a standard deviation near 0.01), and no (input bit, output bit)
 * pair flips never or always (a chance of 2^-47 per pair for a good hash). */
#define KEYS 48
static void test_avalanche(void)
{
    static const size_t lens[] = {1,  2,  3,  4,  5,  7,  8,  9,  12,  15,  16,  17,  24,
                                  31, 32, 33, 48, 63, 64, 65, 96, 127, 128, 129, 200, 256};
    hash_fn fn[2];
    const char *name[2];
    int nf = impls(fn, name);
    static uint16_t flips[MAXLEN * 8][64];
    uint8_t key[MAXLEN];
    for (int f = 0; f < nf; f++)
        for (size_t li = 0; li < sizeof lens / sizeof *lens; li++) {
            size_t n = lens[li], nbits = n * 8;
            uint64_t s = 4 + n;
            memset(flips, 0, sizeof flips);
            for (int t = 0; t < KEYS; t++) {
                fill(key, n, &s);
                uint32_t seed = (uint32_t)rng_next(&s);
                uint64_t h = fn[f](key, n, seed);
                for (size_t b = 0; b < nbits; b++) {
                    key[b >> 3] ^= (uint8_t)(1u << (b & 7));
                    uint64_t d = h ^ fn[f](key, n, seed);
                    key[b >> 3] ^= (uint8_t)(1u << (b & 7));
                    for (int o = 0; o < 64; o++)
                        flips[b][o] += (uint16_t)((d >> o) & 1);
                }
            }
            int reported = 0;
            for (size_t b = 0; b < nbits && reported < 3; b++) {
                unsigned sum = 0;
                for (int o = 0; o < 64; o++) {
                    sum += flips[b][o];
                    if ((flips[b][o] == 0 || flips[b][o] == KEYS) && reported++ < 3)
                        FAILF("%s len %zu: input bit %zu flips output bit %d in %u of %d keys",
                              name[f], n, b, o, flips[b][o], KEYS);
                }
                double mean = (double)sum / (64.0 * KEYS);
                if ((mean < 0.4 || mean > 0.6) && reported++ < 3)
                    FAILF("%s len %zu: input bit %zu flips %.3f of the output bits", name[f], n, b,
                          mean);
            }
        }
}

/* Chi-square of counts[0..k) against a uniform spread of total. */
static double chi2(const uint32_t *counts, size_t k, size_t total)
{
    double e = (double)total / (double)k, x = 0;
    for (size_t i = 0; i < k; i++)
        x += ((double)counts[i] - e) * ((double)counts[i] - e) / e;
    return x;
}

/* Structured keys, as real maps see them, spread evenly over 1024 buckets
 * (the low bits) and over the tophash byte (the top bits): chi-square
 * below its mean plus 6 standard deviations (1023 + 6 * 45 and
 * 255 + 6 * 23 degrees of freedom), seed fixed so the test is repeatable. */
static void test_distribution(void)
{
    enum { NKEYS = 1 << 16, B = 10 };
    hash_fn fn[2];
    const char *name[2];
    int nf = impls(fn, name);
    static uint32_t low[1 << B], top[256];
    char key[64];
    for (int f = 0; f < nf; f++)
        for (int shape = 0; shape < 4; shape++) {
            memset(low, 0, sizeof low);
            memset(top, 0, sizeof top);
            for (uint32_t i = 0; i < NKEYS; i++) {
                size_t n;
                if (shape == 0) { /* decimal ids */
                    n = (size_t)snprintf(key, sizeof key, "user:%u", i);
                } else if (shape == 1) { /* a counter's bytes: 8-byte keys */
                    uint64_t v = i;
                    memcpy(key, &v, 8), n = 8;
                } else if (shape == 2) { /* 16-byte keys, one word varies */
                    memset(key, 'x', 16), memcpy(key + 6, &i, 4), n = 16;
                } else { /* 40-byte paths, counter at the end */
                    n = (size_t)snprintf(key, sizeof key, "/srv/data/volume/segment/%015u", i);
                }
                uint64_t h = fn[f](key, n, 0x5eed);
                low[h & ((1u << B) - 1)]++;
                top[h >> 56]++;
            }
            double xl = chi2(low, 1u << B, NKEYS), xt = chi2(top, 256, NKEYS);
            if (xl > 1023 + 6 * 45.2)
                FAILF("%s shape %d: bucket chi-square %.0f (1023 dof)", name[f], shape, xl);
            if (xt > 255 + 6 * 22.6)
                FAILF("%s shape %d: tophash chi-square %.0f (255 dof)", name[f], shape, xt);
        }
}

void suite_hash(void)
{
    CU_pSuite s = CU_add_suite("hash", NULL, NULL);
    CU_add_test(s, "HMAP_HASH and the CPU select the byte hash; maps use it", test_dispatch);
    CU_add_test(s, "no byte outside the key is read; equal keys hash equal", test_no_overread);
    CU_add_test(s, "seed and length change the hash", test_seed_and_length);
    CU_add_test(s, "every input bit reaches every output bit", test_avalanche);
    CU_add_test(s, "structured keys spread over buckets and tophash", test_distribution);
}
