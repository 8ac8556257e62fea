/* SPDX-License-Identifier: MIT */
/*
 * seed.c — the map's hash seed and its writer-side PRNG.  A leaf: map.c
 * (creation), clear.c (reseed) and bucket_array.c (noverflow sampling) use
 * it, it uses nothing of theirs.
 */
#include <pthread.h>
#include <sys/random.h>

#include "internal.h"

/* splitmix64 step: the writer-side PRNG. */
static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* A seed for a new map.  A getrandom() per map cost more than creating a
 * small map (a system call, ~0.3 us), so each thread draws 128 secret bits
 * from getrandom() once and steps them with splitmix64, whose outputs do
 * not reveal the state (Go's fastrand does the same per M).  -1 when the
 * kernel gives no randomness. */
static HMAP_TLS uint64_t seed_state[2];
static HMAP_TLS bool seeded;

/* A child of fork() must not repeat its parent's seeds: it draws anew. */
static void reseed_child(void)
{
    seeded = false;
}
__attribute__((constructor)) static void seed_atfork(void)
{
    pthread_atfork(NULL, NULL, reseed_child);
}

int hmap__fresh_seed(uint64_t *out)
{
    uint64_t *state = seed_state;
    if (!seeded) {
        if (getrandom(seed_state, sizeof seed_state, 0) != sizeof seed_state) return -1;
        seeded = true;
    }
    *out = splitmix(&state[0]) ^ state[1];
    return 0;
}

/* A random number for writers (noverflow sampling above B = 15).  The map
 * keeps no PRNG state of its own: each draw mixes the seed with a
 * per-thread counter; noverflow is an estimate, so only its distribution
 * matters, not the sequence. */
uint64_t hmap__map_rand(hmap *m)
{
    static HMAP_TLS uint64_t counter;
    uint64_t s = m->seed ^ (counter++ * 0xd1342543de82ef95ull);
    return splitmix(&s);
}

/* The map keeps 32 bits, as Go's hash0; HASH_KEY0 folds a 64-bit seed the
 * same way, so hmap_hash_*(k, seed) agrees with the map for any seed. */
void hmap__set_seed(hmap *m, uint64_t seed)
{
    /* A map can only be hashed after its seed is set: the byte hash is
     * decided by now even if a program constructor ran before hash.c's. */
    if (UNLIKELY(__atomic_load_n(&hmap__hash_impl, __ATOMIC_RELAXED) == HASH_IMPL_UNSET))
        (void)hmap__hash_choose();
    m->seed = (uint32_t)(seed ^ (seed >> 32));
}

/* A fresh hash seed (Go: hash0 = fastrand() when the map empties,
 * golang/go#25237).  Drawn from the previous one through splitmix64's
 * output function, which an observer of hash values cannot run backwards
 * without the seed; with a fixed creation seed the sequence is
 * reproducible. */
void hmap__map_reseed(hmap *m)
{
    uint64_t s = m->seed ^ 0x6a09e667f3bcc909ull;
    hmap__set_seed(m, splitmix(&s));
}
