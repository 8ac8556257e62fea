/*
 * unit.c — helpers shared by the rule tests (unit.h).
 */
#include "unit.h"

hmap *new_u64_map(uint64_t seed, size_t hint)
{
    hmap_options o = {.seed = seed, .hint = hint};
    hmap *m = hmap_new(&hmap_type_u64, &o);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    return m;
}

uint64_t bucket_of_u64(const hmap *m, uint64_t key)
{
    keybuf k = {.u64 = key};
    return key_hash(m, &k) & bucket_mask(m->B);
}

uint64_t key_for_bucket(const hmap *m, uint64_t bucket, uint64_t *from)
{
    uint64_t k = *from;
    while (bucket_of_u64(m, k) != bucket)
        k++;
    *from = k + 1;
    return k;
}

bool set_u64(hmap *m, uint64_t k, uint64_t v)
{
    return hmap_set(m, &k, &v) == 0;
}

uint64_t get_u64(const hmap *m, uint64_t k)
{
    const uint64_t *v = hmap_get(m, &k);
    return v ? *v : UINT64_MAX;
}

hmap_stats stats_of(const hmap *m)
{
    hmap_stats s;
    hmap_get_stats(m, &s);
    return s;
}

bool go_over_load_factor(uint64_t count, unsigned B)
{
    return count > 8 && count > 13 * (((uint64_t)1 << B) / 2);
}

bool old_evacuated(const hmap *m, uint64_t i)
{
    uint8_t th = bucket_at(m, m->oldbuckets, i)[0];
    return th == EVACUATED_X || th == EVACUATED_Y || th == EVACUATED_EMPTY;
}
