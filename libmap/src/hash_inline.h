/* SPDX-License-Identifier: MIT */
/*
 * hash_inline.h — the keyed hash, inline so that the fast paths of
 * access.c and grow.c compile it into their loops (a call per key cost
 * more than the hash on small maps).  hash.c exports the same functions.
 *
 * Construction: 128-bit multiply-and-fold mixing ("mum") of the input words
 * with secret words derived from the map's 64-bit seed, as in the wyhash
 * family (which Go's runtime itself uses when AES hardware is absent).  The
 * seed is random per map and replaced whenever the map becomes empty, so an
 * attacker who does not know it cannot precompute colliding keys.  It is not
 * a cryptographic MAC; it is a flooding-resistant table hash.
 */
#ifndef HMAP_HASH_INLINE_H
#define HMAP_HASH_INLINE_H

#include <stdint.h>
#include <string.h>

/* Odd constants with balanced bits (chosen for this file). */
#define HASH_K0 0x9e3779b97f4a7c15ull
#define HASH_K1 0xd6e8feb86659fd93ull
#define HASH_K2 0xa0761d6478bd642full
#define HASH_K3 0xe7037ed1a0b428dbull

static inline __attribute__((always_inline)) uint64_t hash_mum(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline __attribute__((always_inline)) uint64_t hash_rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}
static inline __attribute__((always_inline)) uint64_t hash_rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Two secret words per seed, so the per-key work is two multiplies.  They
 * are derived from the seed on every hash (a multiply and an xor, off the
 * key's dependency chain) so that the map header holds the seed alone:
 * multiplying by an odd constant is a bijection that spreads small seeds
 * (tests fix seeds like 1) over every bit. */
/* A 64-bit seed is folded to 32 bits first (the map keeps 32, as Go's hash0). */
#define HASH_FOLD(seed) ((uint64_t)(uint32_t)((uint64_t)(seed) ^ ((uint64_t)(seed) >> 32)))
#define HASH_KEY0(seed) (HASH_FOLD(seed) * HASH_K0)
#define HASH_KEY1(seed) (HASH_KEY0(seed) ^ HASH_K2)
static inline uint64_t hmap_derive_seed(uint64_t seed, uint64_t *hs0, uint64_t *hs1)
{
    *hs0 = HASH_KEY0(seed);
    *hs1 = HASH_KEY1(seed);
    return *hs0;
}

static inline uint64_t hash_u64_derived(uint64_t k, uint64_t hs0, uint64_t hs1)
{
    uint64_t a = k ^ hs0;
    uint64_t b = ((k << 32) | (k >> 32)) ^ hs1;
    __uint128_t r = (__uint128_t)a * b;
    return hash_mum((uint64_t)r ^ HASH_K0 ^ 8, (uint64_t)(r >> 64) ^ hs1);
}

/* Byte strings: inputs up to 16 bytes are read as two overlapping words,
 * longer ones are absorbed 16 (or 48) bytes per step; the length enters the
 * final mix so that zero-padded inputs of different length differ. */
static inline uint64_t hash_bytes_derived(const void *key, size_t n, uint64_t hs0, uint64_t hs1)
{
    const uint8_t *p = key;
    uint64_t a, b, s = hs0;

    if (n <= 16) {
        if (n >= 4) {
            size_t q = (n >> 3) << 2;
            a = (hash_rd32(p) << 32) | hash_rd32(p + q);
            b = (hash_rd32(p + n - 4) << 32) | hash_rd32(p + n - 4 - q);
        } else if (n > 0) {
            a = ((uint64_t)p[0] << 16) | ((uint64_t)p[n >> 1] << 8) | p[n - 1];
            b = 0;
        } else {
            a = b = 0;
        }
    } else {
        size_t i = n;
        if (i > 48) {
            uint64_t s1 = s, s2 = s;
            do {
                s = hash_mum(hash_rd64(p) ^ HASH_K1, hash_rd64(p + 8) ^ s);
                s1 = hash_mum(hash_rd64(p + 16) ^ HASH_K2, hash_rd64(p + 24) ^ s1);
                s2 = hash_mum(hash_rd64(p + 32) ^ HASH_K3, hash_rd64(p + 40) ^ s2);
                p += 48;
                i -= 48;
            } while (i > 48);
            s ^= s1 ^ s2;
        }
        while (i > 16) {
            s = hash_mum(hash_rd64(p) ^ HASH_K1, hash_rd64(p + 8) ^ s);
            p += 16;
            i -= 16;
        }
        a = hash_rd64(p + i - 16);
        b = hash_rd64(p + i - 8);
    }
    a ^= HASH_K1 ^ hs1;
    b ^= s;
    __uint128_t r = (__uint128_t)a * b;
    return hash_mum((uint64_t)r ^ HASH_K0 ^ n, (uint64_t)(r >> 64) ^ HASH_K1);
}

/* ---- Which byte hash the process uses ------------------------------------
 * On x86-64 with AES-NI the byte hash is hmap__hash_bytes_aes (hash.c, a
 * call: it is compiled for the AES target, which baseline code cannot
 * inline); everywhere else, and when the environment sets
 * HMAP_HASH=portable, it is hash_bytes_derived above.  hash.c decides once,
 * before the first map; the fixed-size integer hash is the same on both. */
#ifndef HMAP_HAVE_AES_HASH /* -DHMAP_HAVE_AES_HASH=0 builds without it */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HMAP_HAVE_AES_HASH 1
#else
#define HMAP_HAVE_AES_HASH 0
#endif
#endif

enum { HASH_IMPL_UNSET = 0, HASH_IMPL_PORTABLE = 1, HASH_IMPL_AES = 2 };
extern int hmap__hash_impl;
int hmap__hash_choose(void);
uint64_t hmap__hash_bytes_aes(const void *key, size_t n, uint64_t seed);

/* Bytes under a 32-bit (folded) seed with the process's byte hash. */
static inline __attribute__((always_inline)) uint64_t hash_bytes_seeded(const void *key, size_t n,
                                                                        uint64_t seed)
{
#if HMAP_HAVE_AES_HASH
    if (__builtin_expect(__atomic_load_n(&hmap__hash_impl, __ATOMIC_RELAXED) == HASH_IMPL_AES, 1))
        return hmap__hash_bytes_aes(key, n, seed);
#endif
    return hash_bytes_derived(key, n, HASH_KEY0(seed), HASH_KEY1(seed));
}

#endif /* HMAP_HASH_INLINE_H */
