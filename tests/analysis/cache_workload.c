/* SPDX-License-Identifier: MIT */
/*
 * cache_workload.c — a cache's life, for the end-to-end test of "freed, by
 * reason" (reclaim_e2e.sh; definitions in docs/report.md): fill N entries,
 * churn (each round expires a tenth of the keys and fetches them again:
 * delete, then insert the same key), evict 90 % of the keys, then
 * hmap_free.  Run it with HMAP_TRACE=FILE: the in-process recorder starts
 * when libhmap is loaded and stops at exit, so the trace ends after the
 * destroy and every delete is either reused or freed.
 *
 *   cache_workload go|eager|shrink N
 *
 * Under GO nothing a delete empties is given back while the program runs
 * (the fill's growths all end before the first delete, and re-inserting
 * the same keys never grows the map), so every delete not reused is freed
 * by hmap_free; SHRINK's shrinking growths give memory back after the
 * eviction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"

#define ROUNDS 10

static uint64_t key(uint64_t i)
{
    return i * 0x9e3779b97f4a7c15ull;
}

static void must(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "cache_workload: %s failed\n", what);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    static const char *const names[] = {"go", "eager", "shrink"};
    static const hmap_reclaim policy[] = {HMAP_RECLAIM_GO, HMAP_RECLAIM_EAGER, HMAP_RECLAIM_SHRINK};
    int p = -1;
    for (int i = 0; argc == 3 && i < 3; i++)
        if (!strcmp(argv[1], names[i])) p = i;
    uint64_t n = argc == 3 ? strtoull(argv[2], NULL, 10) : 0;
    if (p < 0 || n < 100) {
        fprintf(stderr, "usage: cache_workload go|eager|shrink N (N >= 100)\n");
        return 2;
    }
    hmap_options o = {.seed = 1, .reclaim = policy[p]};
    hmap *m = hmap_new(&hmap_type_u64, &o);
    must(m != NULL, "hmap_new");
    for (uint64_t i = 0; i < n; i++) { /* fill */
        uint64_t k = key(i);
        must(hmap_set(m, &k, &i) == 0, "insert");
    }
    for (uint64_t r = 0; r < ROUNDS; r++) /* churn: expire a tenth, fetch it again */
        for (uint64_t i = r % 10; i < n; i += 10) {
            uint64_t k = key(i), v = i + r;
            must(hmap_delete(m, &k), "expire");
            must(hmap_set(m, &k, &v) == 0, "refetch");
        }
    for (uint64_t i = 0; i < n; i++) /* evict 90 % */
        if (i % 10) {
            uint64_t k = key(i);
            must(hmap_delete(m, &k), "evict");
        }
    printf("cache_workload %s: %llu entries left\n", names[p], (unsigned long long)hmap_len(m));
    hmap_free(m);
    return 0;
}
