/*
 * hash.c — the keyed hash behind every built-in key type.
 *
 * Construction: 128-bit multiply-and-fold mixing ("mum") of the input words
 * with secret words derived from the map's 64-bit seed, as in the wyhash
 * family (which Go's runtime itself uses when AES hardware is absent).  The
 * seed is random per map and replaced whenever the map becomes empty, so an
 * attacker who does not know it cannot precompute colliding keys.  It is not
 * a cryptographic MAC; it is a flooding-resistant table hash.
 */
#include "internal.h"

/* Odd constants with balanced bits (chosen for this file). */
#define K0 0x9e3779b97f4a7c15ull
#define K1 0xd6e8feb86659fd93ull
#define K2 0xa0761d6478bd642full
#define K3 0xe7037ed1a0b428dbull

static ALWAYS_INLINE uint64_t mum(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static ALWAYS_INLINE uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}
static ALWAYS_INLINE uint64_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Two secret words per seed, so the per-key work is two multiplies. */
uint64_t hmap_derive_seed(uint64_t seed, uint64_t *hs0, uint64_t *hs1)
{
    *hs0 = mum(seed ^ K0, K1) ^ seed;
    *hs1 = mum(seed ^ K2, K3) ^ (seed >> 1);
    return *hs0;
}

uint64_t hash_u64_derived(uint64_t k, uint64_t hs0, uint64_t hs1)
{
    uint64_t a = k ^ hs0;
    uint64_t b = ((k << 32) | (k >> 32)) ^ hs1;
    __uint128_t r = (__uint128_t)a * b;
    return mum((uint64_t)r ^ K0 ^ 8, (uint64_t)(r >> 64) ^ hs1);
}

HMAP_API uint64_t hmap_hash_u64(uint64_t k, uint64_t seed)
{
    uint64_t hs0, hs1;
    hmap_derive_seed(seed, &hs0, &hs1);
    return hash_u64_derived(k, hs0, hs1);
}

/* Byte strings: inputs up to 16 bytes are read as two overlapping words,
 * longer ones are absorbed 16 (or 48) bytes per step; the length enters the
 * final mix so that zero-padded inputs of different length differ. */
uint64_t hash_bytes_derived(const void *key, size_t n, uint64_t hs0, uint64_t hs1)
{
    const uint8_t *p = key;
    uint64_t a, b, s = hs0;

    if (n <= 16) {
        if (n >= 4) {
            size_t q = (n >> 3) << 2;
            a = (rd32(p) << 32) | rd32(p + q);
            b = (rd32(p + n - 4) << 32) | rd32(p + n - 4 - q);
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
                s = mum(rd64(p) ^ K1, rd64(p + 8) ^ s);
                s1 = mum(rd64(p + 16) ^ K2, rd64(p + 24) ^ s1);
                s2 = mum(rd64(p + 32) ^ K3, rd64(p + 40) ^ s2);
                p += 48;
                i -= 48;
            } while (i > 48);
            s ^= s1 ^ s2;
        }
        while (i > 16) {
            s = mum(rd64(p) ^ K1, rd64(p + 8) ^ s);
            p += 16;
            i -= 16;
        }
        a = rd64(p + i - 16);
        b = rd64(p + i - 8);
    }
    a ^= K1 ^ hs1;
    b ^= s;
    __uint128_t r = (__uint128_t)a * b;
    return mum((uint64_t)r ^ K0 ^ n, (uint64_t)(r >> 64) ^ K1);
}

HMAP_API uint64_t hmap_hash_bytes(const void *key, size_t n, uint64_t seed)
{
    uint64_t hs0, hs1;
    hmap_derive_seed(seed, &hs0, &hs1);
    return hash_bytes_derived(key, n, hs0, hs1);
}
