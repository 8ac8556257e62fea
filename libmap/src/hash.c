/* SPDX-License-Identifier: MIT */
/*
 * hash.c — the exported entry points of the keyed hash (hash_inline.h).
 */
#include "internal.h"

HMAP_API uint64_t hmap_hash_u64(uint64_t k, uint64_t seed)
{
    uint64_t hs0, hs1;
    hmap_derive_seed(seed, &hs0, &hs1);
    return hash_u64_derived(k, hs0, hs1);
}

HMAP_API uint64_t hmap_hash_bytes(const void *key, size_t n, uint64_t seed)
{
    uint64_t hs0, hs1;
    hmap_derive_seed(seed, &hs0, &hs1);
    return hash_bytes_derived(key, n, hs0, hs1);
}
