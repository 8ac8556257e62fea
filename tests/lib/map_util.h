/* SPDX-License-Identifier: MIT */
/*
 * map_util.h — small libhmap helpers of the CUnit tests, through the public
 * API only, so that black-box tests (linking libhmap.a) and white-box tests
 * (linking bs_whitebox) can both use them.  A failed creation fails the
 * current test (CU_ASSERT_PTR_NOT_NULL_FATAL).
 */
#ifndef BS_MAP_UTIL_H
#define BS_MAP_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hmap.h"

/* A u64 -> u64 map with a fixed seed (reproducible placement) under the
 * given reclaim policy; new_u64_map is the Go policy. */
hmap *new_u64_map_reclaim(uint64_t seed, size_t hint, hmap_reclaim reclaim);
hmap *new_u64_map(uint64_t seed, size_t hint);
/* hmap_set of a u64 key and value: true on success. */
bool set_u64(hmap *m, uint64_t k, uint64_t v);
/* The value stored for k, or UINT64_MAX if absent. */
uint64_t get_u64(const hmap *m, uint64_t k);
/* hmap_get_stats by value. */
hmap_stats stats_of(const hmap *m);

#endif /* BS_MAP_UTIL_H */
