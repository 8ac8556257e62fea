/* SPDX-License-Identifier: MIT */
/*
 * map_util.c — see map_util.h.
 */
#include <CUnit/CUnit.h>

#include "map_util.h"

hmap *new_u64_map_reclaim(uint64_t seed, size_t hint, hmap_reclaim reclaim)
{
    hmap_options o = {.seed = seed, .hint = hint, .reclaim = reclaim};
    hmap *m = hmap_new(&hmap_type_u64, &o);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    return m;
}

hmap *new_u64_map(uint64_t seed, size_t hint)
{
    return new_u64_map_reclaim(seed, hint, HMAP_RECLAIM_GO);
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
