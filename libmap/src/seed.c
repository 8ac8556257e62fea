/* SPDX-License-Identifier: MIT */
/*
 * seed.c — the map's hash seed and its writer-side PRNG.  A leaf: map.c
 * (creation), clear.c (reseed) and bucket_array.c (noverflow sampling) use
 * it, it uses nothing of theirs.
 */
#include "internal.h"

/* splitmix64 step: the writer-side PRNG (noverflow sampling, reseeds). */
static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* The next number of the map's own PRNG; writers only (m->rng is not
 * shared with readers). */
uint64_t hmap__map_rand(hmap *m)
{
    return splitmix(&m->rng);
}

/* The hash seed and the two hash keys derived from it, set together so
 * that they never disagree. */
void hmap__set_seed(hmap *m, uint64_t seed)
{
    m->seed = seed;
    hmap_derive_seed(seed, &m->hs0, &m->hs1);
}

/* A fresh hash seed (Go: hash0 = fastrand() when the map empties,
 * golang/go#25237).  The PRNG state came from getrandom(), so seeds stay secret; with
 * a fixed creation seed the sequence is reproducible. */
void hmap__map_reseed(hmap *m)
{
    hmap__set_seed(m, hmap__map_rand(m));
}
