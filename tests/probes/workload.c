/* SPDX-License-Identifier: MIT */
/*
 * workload.c — one deterministic map workload that exercises every probe.
 *
 * Fixed seeds, so the same sequence of events (up to addresses) comes out on
 * every run.  Three maps:
 *   "wl-u64"   u64 -> u64, GO reclaim: inserts until overflow buckets exist,
 *              deletes that empty those overflow buckets, a doubling growth
 *              driven to completion, hmap_clear, a few reinserts, destroy;
 *   "wl-churn" u64 -> u64 marked pointerful: insert/delete churn at constant
 *              size until a same-size growth starts (Go's "too many overflow
 *              buckets"), then more churn until it is done, destroy;
 *   "wl-eager" u64 -> u64 with EAGER reclaim: deletes that empty overflow
 *              buckets unlink and free them, reinserts take new ones.
 * Before destroying a map it prints   final <type-name> <hmap_len>
 * which the invariant checker compares with the recorded stream.
 *
 * `workload --repeat N` runs it N times (used as a warm-up by tests).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"

static void die(const char *what)
{
    fprintf(stderr, "workload: %s failed\n", what);
    exit(1);
}

static void put(hmap *m, uint64_t k)
{
    uint64_t v = k * 3;
    if (hmap_set(m, &k, &v) != 0) die("hmap_set");
}

static hmap_stats stats(hmap *m)
{
    hmap_stats s;
    hmap_get_stats(m, &s);
    return s;
}

static void finish(hmap *m, const char *name)
{
    printf("final %s %zu\n", name, hmap_len(m));
    hmap_free(m);
}

/* Overflow buckets, their emptying by deletes, a doubling growth, clear. */
static void run_u64(void)
{
    hmap_type t = hmap_type_u64;
    t.name = "wl-u64";
    hmap_options o = {.seed = 0x5eed0001, .hint = 16};
    hmap *m = hmap_new(&t, &o);
    if (!m) die("hmap_new");

    /* Fill to just under the load factor: collisions make overflow buckets. */
    uint64_t k = 1;
    while (stats(m).overflow_buckets == 0 || hmap_len(m) < 24) {
        put(m, k++);
        if (k > 10000) die("no overflow bucket appeared");
    }
    /* Delete every key: the overflow buckets empty out (GO keeps them). */
    for (uint64_t d = 1; d < k; d++)
        if (!hmap_delete(m, &d)) die("hmap_delete");

    /* Grow: doubling growth, completed by further writes. */
    uint8_t B0 = stats(m).B;
    uint64_t next = 1000;
    while (stats(m).B == B0 || stats(m).growing) {
        put(m, next++);
        if (next > 100000) die("no doubling growth");
    }
    /* A few deletes after growth, then clear, then reinserts. */
    for (uint64_t d = 1000; d < 1010; d++)
        hmap_delete(m, &d);
    hmap_clear(m);
    for (uint64_t i = 0; i < 5; i++)
        put(m, 50000 + i);
    finish(m, t.name);
}

/* EAGER reclaim: overflow buckets that deletes empty are unlinked at once
 * (allocator-sourced ones freed, preallocated ones to the free list), then
 * reused by new inserts. */
static void run_eager(void)
{
    hmap_type t = hmap_type_u64;
    t.name = "wl-eager";
    hmap_options o = {.seed = 0x5eed0003, .hint = 8, .reclaim = HMAP_RECLAIM_EAGER};
    hmap *m = hmap_new(&t, &o);
    if (!m) die("hmap_new(EAGER)");
    uint64_t k = 1;
    while (stats(m).overflow_buckets < 2) {
        put(m, k++);
        if (k > 10000) die("no overflow buckets under EAGER");
    }
    for (uint64_t d = 1; d < k; d += 2) /* half the keys: some buckets empty out */
        hmap_delete(m, &d);
    for (uint64_t d = 2; d < k; d += 2) /* the rest: every overflow bucket goes */
        hmap_delete(m, &d);
    if (stats(m).overflow_buckets != 0)
        die("EAGER left overflow buckets linked after deleting every key");
    for (uint64_t i = 0; i < k; i++) /* refill: overflow buckets come back */
        put(m, 90000 + i);
    finish(m, t.name);
}

/* Churn at constant size until a same-size growth has run to completion. */
static void run_churn(void)
{
    hmap_type t = hmap_type_u64;
    t.name = "wl-churn";
    t.flags |= HMAP_TYPE_POINTERFUL;
    hmap_options o = {.seed = 0x5eed0002, .hint = 40};
    hmap *m = hmap_new(&t, &o);
    if (!m) die("hmap_new");

    const uint64_t live = 40;
    uint64_t lo = 0, hi = 0;
    while (hi < live)
        put(m, hi++);
    int seen_same_size = 0;
    for (int step = 0; step < 200000; step++) {
        if (!hmap_delete(m, &lo)) die("churn delete");
        lo++;
        put(m, hi++);
        hmap_stats s = stats(m);
        if (s.growing && s.same_size_grow) seen_same_size = 1;
        if (seen_same_size && !s.growing) break;
    }
    if (!seen_same_size || stats(m).growing) die("same-size growth did not happen");
    finish(m, t.name);
}

int main(int argc, char **argv)
{
    int repeat = 1;
    if (argc == 3 && strcmp(argv[1], "--repeat") == 0)
        repeat = atoi(argv[2]);
    else if (argc != 1) {
        fprintf(stderr, "usage: %s [--repeat N]\n", argv[0]);
        return 2;
    }
    for (int i = 0; i < repeat; i++) {
        run_u64();
        run_churn();
        run_eager();
    }
    return 0;
}
