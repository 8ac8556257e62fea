/* SPDX-License-Identifier: MIT */
/*
 * hash.c — the exported entry points of the keyed hash (hash_inline.h), the
 * AES-NI byte hash, and the once-per-process choice between it and the
 * portable one.
 *
 * Invariant: within a process every byte string is hashed by one function
 * of (bytes, length, 32-bit seed).  hmap__hash_impl is decided before the
 * first map exists (constructor below, and again lazily by hmap__set_seed
 * and the exported functions in case a constructor of the program runs
 * first) and is never changed afterwards, so equal keys hash equal for the
 * life of the process and hmap_hash_bytes() agrees with the maps.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int hmap__hash_impl = HASH_IMPL_UNSET;

#if HMAP_HAVE_AES_HASH
#include <immintrin.h>

#define AES_TARGET __attribute__((target("aes,sse4.1")))

/* Round-key constants for the seed vector and the lanes of long keys:
 * arbitrary words with balanced bits (fractional digits of sqrt(2..9)),
 * one per lane so that equal blocks in different lanes differ. */
static const uint64_t aes_lane_key[8][2] = {
    {0x6a09e667f3bcc908ull, 0xbb67ae8584caa73bull}, {0x3c6ef372fe94f82bull, 0xa54ff53a5f1d36f1ull},
    {0x510e527fade682d1ull, 0x9b05688c2b3e6c1full}, {0x1f83d9abfb41bd6bull, 0x5be0cd19137e2179ull},
    {0xcbbb9d5dc1059ed8ull, 0x629a292a367cd507ull}, {0x9159015a3070dd17ull, 0x152fecd8f70e5939ull},
    {0x67332667ffc00b31ull, 0x8eb44a8768581511ull}, {0xdb0c2e0d64f98fa7ull, 0x47b5481dbefa4fa4ull},
};

static AES_TARGET inline __m128i aes_k(int i)
{
    return _mm_loadu_si128((const __m128i *)aes_lane_key[i]);
}

/* One AES round (SubBytes, ShiftRows, MixColumns, xor key).  With a fixed
 * key it is a permutation of the 128-bit state, so distinct inputs of one
 * length never collide before the final truncation to 64 bits. */
static AES_TARGET inline __m128i aes_round(__m128i x, __m128i k)
{
    return _mm_aesenc_si128(x, k);
}

/* Three rounds: after the second every state byte depends on every input
 * byte (ShiftRows moves each column's bytes to four columns, MixColumns
 * mixes a column), the third mixes that non-linearly once more. */
static AES_TARGET inline __m128i aes_mix3(__m128i x, __m128i k)
{
    return aes_round(aes_round(aes_round(x, k), k), k);
}

static AES_TARGET inline __m128i aes_ld(const uint8_t *p)
{
    return _mm_loadu_si128((const __m128i *)p);
}

/* Keys of 0..16 bytes as one 128-bit block, read only from inside the key:
 * 8..16 bytes as two overlapping 8-byte words, 4..7 as two overlapping
 * 4-byte words, 1..3 bytewise.  For a given length the block determines the
 * bytes, and the length itself enters the seed vector, so no two keys share
 * an input.  Never touching a byte past p + n means no load can cross into
 * an unmapped page (Go's aeshash instead over-reads within a page), and
 * memory checkers see no out-of-bounds read either. */
static AES_TARGET inline __m128i aes_short_block(const uint8_t *p, size_t n)
{
    if (n >= 8) return _mm_set_epi64x((long long)hash_rd64(p + n - 8), (long long)hash_rd64(p));
    if (n >= 4) return _mm_cvtsi64_si128((long long)((hash_rd32(p + n - 4) << 32) | hash_rd32(p)));
    if (n > 0)
        return _mm_cvtsi32_si128(
            (int)(((uint32_t)p[0] << 16) | ((uint32_t)p[n >> 1] << 8) | p[n - 1]));
    return _mm_setzero_si128();
}

/* The AES-NI byte hash, under a 32-bit seed (the map's; hmap_hash_bytes
 * folds a 64-bit one first).  The seed vector holds the seed and the
 * length, xored with a constant and run through one round (ShiftRows sends
 * the four seed bytes to four columns, so every byte of the vector depends
 * on every seed bit; the round is a permutation, so distinct (seed, length)
 * pairs give distinct vectors); it is the round key of the key's rounds.
 * Lane i of a long key uses that vector
 * with lane constant i.  Up to 128 bytes the key is covered by 1, 2, 4 or
 * 8 possibly overlapping 16-byte loads, first and last blocks, each mixed
 * in its own lane; longer keys keep 8 lanes, start them from the last 128
 * bytes and absorb every earlier 128-byte block with two rounds per lane.
 * All loads lie inside [p, p + n). */
AES_TARGET uint64_t hmap__hash_bytes_aes(const void *key, size_t n, uint64_t seed)
{
    const uint8_t *p = key;
    __m128i sv = _mm_set_epi64x((long long)n, (long long)(uint32_t)seed);
    __m128i s = aes_round(_mm_xor_si128(sv, aes_k(0)), aes_k(1));

    if (n <= 16) {
        __m128i x = _mm_xor_si128(aes_short_block(p, n), s);
        return (uint64_t)_mm_cvtsi128_si64(aes_mix3(x, s));
    }
    if (n <= 32) {
        __m128i s1 = aes_round(s, aes_k(2));
        __m128i a = aes_mix3(_mm_xor_si128(aes_ld(p), s), s);
        __m128i b = aes_mix3(_mm_xor_si128(aes_ld(p + n - 16), s1), s1);
        return (uint64_t)_mm_cvtsi128_si64(_mm_xor_si128(a, b));
    }

    __m128i ls[8];
    for (int i = 0; i < 8; i++)
        ls[i] = aes_round(s, aes_k(i));
    if (n <= 64) {
        __m128i a = aes_mix3(_mm_xor_si128(aes_ld(p), ls[0]), ls[0]);
        __m128i b = aes_mix3(_mm_xor_si128(aes_ld(p + 16), ls[1]), ls[1]);
        __m128i c = aes_mix3(_mm_xor_si128(aes_ld(p + n - 32), ls[2]), ls[2]);
        __m128i d = aes_mix3(_mm_xor_si128(aes_ld(p + n - 16), ls[3]), ls[3]);
        return (uint64_t)_mm_cvtsi128_si64(_mm_xor_si128(_mm_xor_si128(a, b), _mm_xor_si128(c, d)));
    }

    __m128i v[8];
    if (n <= 128) {
        for (int i = 0; i < 4; i++) {
            v[i] = _mm_xor_si128(aes_ld(p + 16 * i), ls[i]);
            v[i + 4] = _mm_xor_si128(aes_ld(p + n - 64 + 16 * i), ls[i + 4]);
        }
    } else {
        /* Start from the last 128 bytes, then absorb the blocks before
         * them from the front; the last absorbed block may overlap the
         * tail, which is harmless (the bytes are mixed twice). */
        const uint8_t *tail = p + n - 128;
        for (int i = 0; i < 8; i++)
            v[i] = _mm_xor_si128(aes_ld(tail + 16 * i), ls[i]);
        for (size_t left = (n - 1) / 128; left > 0; left--, p += 128)
            for (int i = 0; i < 8; i++)
                v[i] = aes_round(aes_round(v[i], ls[i]), aes_ld(p + 16 * i));
    }
    for (int i = 0; i < 8; i++)
        v[i] = aes_mix3(v[i], ls[i]);
    __m128i r = _mm_xor_si128(_mm_xor_si128(_mm_xor_si128(v[0], v[1]), _mm_xor_si128(v[2], v[3])),
                              _mm_xor_si128(_mm_xor_si128(v[4], v[5]), _mm_xor_si128(v[6], v[7])));
    return (uint64_t)_mm_cvtsi128_si64(r);
}

static int cpu_has_aes(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("aes") && __builtin_cpu_supports("sse4.1");
}
#else
static int cpu_has_aes(void)
{
    return 0;
}
#endif /* HMAP_HAVE_AES_HASH */

/* The process's choice: AES-NI when the CPU has it, unless the environment
 * says HMAP_HASH=portable (reproducible layouts across machines, or to
 * compare the two).  Racing first callers compute the same answer. */
int hmap__hash_choose(void)
{
    int impl = __atomic_load_n(&hmap__hash_impl, __ATOMIC_RELAXED);
    if (impl != HASH_IMPL_UNSET) return impl;
    const char *env = getenv("HMAP_HASH");
    impl = HASH_IMPL_PORTABLE;
    if (!(env && strcmp(env, "portable") == 0) && cpu_has_aes()) impl = HASH_IMPL_AES;
    __atomic_store_n(&hmap__hash_impl, impl, __ATOMIC_RELAXED);
    return impl;
}

/* Decide before main() so that no later getenv() races a setenv(). */
__attribute__((constructor)) static void hash_choose_at_load(void)
{
    (void)hmap__hash_choose();
}

HMAP_API uint64_t hmap_hash_u64(uint64_t k, uint64_t seed)
{
    uint64_t hs0, hs1;
    hmap_derive_seed(seed, &hs0, &hs1);
    return hash_u64_derived(k, hs0, hs1);
}

HMAP_API uint64_t hmap_hash_bytes(const void *key, size_t n, uint64_t seed)
{
    if (UNLIKELY(__atomic_load_n(&hmap__hash_impl, __ATOMIC_RELAXED) == HASH_IMPL_UNSET))
        (void)hmap__hash_choose();
    return hash_bytes_seeded(key, n, HASH_FOLD(seed));
}
