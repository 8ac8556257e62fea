/* SPDX-License-Identifier: MIT */
/*
 * differential.c — random operation sequences against libhmap and the
 * reference model, over every test type (typeset.h), with several live
 * iterators interleaved with inserts, deletes and clears.
 *
 * The run is a list of rounds; each round has its own seed, from which its
 * workload profile (key space, operation mix, size hint) and every operation
 * are drawn.  A failure prints the round's context, e.g.
 *   FAIL [seed=7 round=12 ...]
 * and `differential --seed 7 --type str --round 12` replays exactly it.
 *
 * Usage: differential [--ops N] [--seed S] [--type NAME] [--round R] [--iter-writes]
 *   --ops          total operations over all types (default 2000000, or the
 *                  environment variable BS_DIFF_OPS)
 *   --iter-writes  also delete and update through the key pointers the
 *                  iterators return (Go's range-delete idiom in C).  Off by
 *                  default: the current core fails it (a write's growth work
 *                  may scrub the very key it was passed; see
 *                  tests/unit/test_aliasing.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "internal.h" /* white-box: watch growths start without a full walk */
#include "invariants.h"

#define ROUND_OPS 50000

static bool iter_writes; /* --iter-writes */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static uint64_t rng_below(uint64_t *s, uint64_t n)
{
    return rng_next(s) % n;
}

/* Workload profiles: key space, weights of set/delete/get/iterate, and for
 * steady profiles a target size: sets and deletes then keep the map at that
 * size with ever new keys (golang/go#16070's churn), just under the load
 * factor, which piles up overflow buckets until a same-size growth. */
typedef struct profile {
    const char *name;
    uint64_t keyspace;
    unsigned w_set, w_del, w_get, w_iter;
    size_t steady;
    bool long_iters; /* iterators rarely restarted: they live across growths */
} profile;

static const profile profiles[] = {
    {"tiny", 12, 40, 30, 10, 20, 0, false},         /* B = 0..1, tombstone folding */
    {"small-churn", 60, 35, 35, 10, 20, 0, false},  /* growth 0 -> 3 and back to empty */
    {"fill", 3000, 70, 10, 10, 10, 0, false},       /* doubling growth with iterators */
    {"fill-noiter", 6000, 70, 10, 20, 0, 0, false}, /* no iterator: old heads scrubbed */
    {"churn", 400, 40, 40, 5, 15, 0, false},
    {"wide-churn", 20000, 45, 40, 5, 10, 0, false},
    {"drain", 2000, 25, 60, 5, 10, 0, false},
    {"steady-B4", TT_MAX_ID, 45, 45, 5, 5, 100, false},
    {"steady-B5", TT_MAX_ID, 45, 45, 5, 5, 200, false},
    {"steady-B7-noiter", TT_MAX_ID, 45, 45, 10, 0, 820, false},
    {"iter-heavy", 5000, 50, 10, 0, 40, 0, false}, /* iterators advance as fast as growth */
    {"fill-long-iters", 30000, 70, 5, 5, 20, 0, true},
};
#define NPROFILES (sizeof profiles / sizeof profiles[0])

typedef struct totals {
    uint64_t ops, rounds, same_size_growths, doubling_growths, shrinks;
} totals;

/* The full comparison plus the map's structural invariants. */
static void full_check(harness *h, bool iterate)
{
    harness_verify_all(h, iterate);
    harness_check_invariants(h);
}

/* A key id the model holds (the model must not be empty). */
static uint64_t random_present(const harness *h, uint64_t *s)
{
    size_t i = (size_t)rng_below(s, h->ref.cap);
    while (!h->ref.slots[i].used)
        i = (i + 1) & (h->ref.cap - 1);
    return h->ref.slots[i].id;
}

/* One round: a fresh map, ROUND_OPS operations (or fewer), full checks. */
static void run_round(int type, uint64_t base_seed, uint64_t round, uint64_t nops, totals *t)
{
    uint64_t s = base_seed * 0x100000001b3ull + round * 0x9e3779b97f4a7c15ull + (uint64_t)type;
    const profile *p = &profiles[rng_below(&s, NPROFILES)];
    hmap_options o = {0};
    o.seed = rng_next(&s) | 1;
    if (rng_below(&s, 4) == 0) o.hint = rng_below(&s, p->keyspace + 1);
    /* Half the rounds run Go's policy, a quarter each EAGER and SHRINK. */
    static const char *const policy_names[] = {"GO", "EAGER", "SHRINK"};
    unsigned policy = (unsigned)rng_below(&s, 4);
    o.reclaim = policy < 2    ? HMAP_RECLAIM_GO
                : policy == 2 ? HMAP_RECLAIM_EAGER
                              : HMAP_RECLAIM_SHRINK;

    harness h;
    if (!harness_init(&h, type, &o)) {
        fprintf(stderr, "hmap_new failed: %s\n", strerror(errno));
        exit(1);
    }
    snprintf(h.ctx, sizeof h.ctx, "seed=%llu round=%llu profile=%s reclaim=%s%s",
             (unsigned long long)base_seed, (unsigned long long)round, p->name,
             policy_names[o.reclaim], iter_writes ? " --iter-writes" : "");

    unsigned wsum = p->w_set + p->w_del + p->w_get + p->w_iter;
    const uint8_t *last_old = NULL;
    uint64_t check_in = 0; /* ops until a full check inside the current growth */
    for (uint64_t n = 0; n < nops; n++) {
        unsigned r = (unsigned)rng_below(&s, wsum);
        uint64_t id = rng_below(&s, p->keyspace);
        if (p->steady && r < p->w_set + p->w_del) {
            if (h.ref.len < p->steady)
                harness_set(&h, id, rng_next(&s), (unsigned)rng_below(&s, 2));
            else
                harness_delete(&h, random_present(&h, &s));
        } else if (r < p->w_set) {
            harness_set(&h, id, rng_next(&s), (unsigned)rng_below(&s, 2));
        } else if ((r -= p->w_set) < p->w_del) {
            harness_delete(&h, id);
        } else if ((r -= p->w_del) < p->w_get) {
            harness_get(&h, id);
        } else {
            unsigned slot = (unsigned)rng_below(&s, HARNESS_ITERS);
            unsigned what = (unsigned)rng_below(&s, p->long_iters ? 4096 : 16);
            if (!h.iters[slot].live || what == 0)
                harness_iter_start(&h, slot);
            else if (what == 1)
                harness_iter_stop(&h, slot);
            else if (iter_writes && ((what & 7) == 2 || (what & 7) == 3)) /* via its pointers */
                harness_iter_write(&h, slot, (what & 7) == 2, rng_next(&s));
            else
                harness_iter_step(&h, slot, 1 + (unsigned)rng_below(&s, p->w_iter > 20 ? 64 : 8));
        }
        if (rng_below(&s, 5000) == 0) harness_clear(&h);
        if (oldbuckets_of(h.m) && oldbuckets_of(h.m) != last_old) {
            if (h.m->flags & F_SAME_SIZE_GROW)
                t->same_size_growths++;
            else if (shrinking(h.m))
                t->shrinks++;
            else
                t->doubling_growths++;
            check_in = 1 + rng_below(&s, 64);
        }
        last_old = oldbuckets_of(h.m);
        /* A full check some writes into each growth: a fresh iteration
         * over a half-evacuated map must return exactly the model's set. */
        if (check_in && --check_in == 0 && oldbuckets_of(h.m)) full_check(&h, p->w_iter != 0);
        /* A full check iterates, which sets the sticky iterator flags and
         * so turns off the scrub of old buckets: not in no-iterator rounds. */
        if ((n & 4095) == 4095) full_check(&h, p->w_iter != 0);
        /* Small maps: the structure after every operation. */
        const char *err = h.ref.len < 40 ? map_invariant_violation(h.m) : NULL;
        if (err) harness_fail(&h, "map invariant broken: %s", err);
    }
    /* Run the live iterators to their end (completeness is checked there),
     * except the last one, which harness_destroy leaves unfinished. */
    for (unsigned i = 0; i + 1 < HARNESS_ITERS; i++)
        while (h.iters[i].live)
            harness_iter_step(&h, i, 64);
    full_check(&h, true);
    harness_destroy(&h);
    t->ops += nops;
    t->rounds++;
}

static void usage(void)
{
    fprintf(stderr, "usage: differential [--ops N] [--seed S] [--type u32|u64|str|generic|"
                    "indirect] [--round R] [--iter-writes]\n");
    exit(2);
}

static uint64_t num_arg(const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || end == s) usage();
    return v;
}

int main(int argc, char **argv)
{
    uint64_t total = 2000000, seed = 1, only_round = UINT64_MAX;
    int only_type = -1;
    const char *env = getenv("BS_DIFF_OPS");
    if (env) total = num_arg(env);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--iter-writes") == 0) {
            iter_writes = true;
            continue;
        }
        if (i + 1 >= argc) usage();
        if (strcmp(argv[i], "--ops") == 0)
            total = num_arg(argv[++i]);
        else if (strcmp(argv[i], "--seed") == 0)
            seed = num_arg(argv[++i]);
        else if (strcmp(argv[i], "--round") == 0)
            only_round = num_arg(argv[++i]);
        else if (strcmp(argv[i], "--type") == 0) {
            only_type = test_type_by_name(argv[++i]);
            if (only_type < 0) usage();
        } else
            usage();
    }
    if (total == 0) usage();

    int ntypes = only_type < 0 ? TT_COUNT : 1;
    uint64_t per_type = total / (uint64_t)ntypes;
    for (int ti = 0; ti < TT_COUNT; ti++) {
        if (only_type >= 0 && ti != only_type) continue;
        totals t = {0};
        if (only_round != UINT64_MAX) {
            run_round(ti, seed, only_round, ROUND_OPS, &t);
        } else {
            for (uint64_t round = 0; t.ops < per_type; round++) {
                uint64_t n = per_type - t.ops < ROUND_OPS ? per_type - t.ops : ROUND_OPS;
                run_round(ti, seed, round, n, &t);
            }
        }
        printf("differential: type %-8s %8llu ops in %3llu rounds, growths: %llu doubling, "
               "%llu same-size, %llu shrinking: OK\n",
               test_types[ti].name, (unsigned long long)t.ops, (unsigned long long)t.rounds,
               (unsigned long long)t.doubling_growths, (unsigned long long)t.same_size_growths,
               (unsigned long long)t.shrinks);
    }
    typeset_cleanup();
    return 0;
}
