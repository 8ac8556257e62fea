/* SPDX-License-Identifier: MIT */
/*
 * live_ranges.h — a set of disjoint address ranges [lo, hi), each in a
 * process, that refuses a range overlapping a live one.  `-j N`
 * (shards.c) keeps every live allocation and indirect object of all shards
 * in one, because the shards' results are exact only while no two of them
 * overlap (docs/report.md, "Parallel analysis").
 *
 * A treap ordered by (pid, lo), heap-ordered by a random priority, its
 * nodes in one pool, with a hash from (pid, lo) to each node: a new range
 * finds both neighbours (the only ranges it could overlap, the live ones
 * being disjoint) and its place in one walk down, then rotates up; a range
 * given back starts at its node, found by the hash, and rotates down to a
 * leaf.  Expected O(log n) either way.
 */
#ifndef BS_LIVE_RANGES_H
#define BS_LIVE_RANGES_H

#include <stdint.h>

#include "addr_table.h"

struct bs_range {
    uint32_t pid, prio;
    uint64_t lo, hi;
    uint32_t l, r, up; /* children and parent; BS_NONE: none */
};

struct bs_ranges {
    struct bs_range *node;
    uint32_t cap, used, free; /* pool: nodes handed out so far, free list (through l) */
    uint32_t root;
    uint64_t rng; /* xorshift64 state of the priorities */
    struct bs_addr_table at;
};

void bs_ranges_init(struct bs_ranges *t);
void bs_ranges_free(struct bs_ranges *t);
/* Take [start, start + len) in pid (len 0 counts as 1; the end is capped
 * at 2^64 - 1); 0, or -1 if it overlaps a live range (nothing taken).
 * Out of memory ends the process (memory.h bs_oom). */
int bs_ranges_take(struct bs_ranges *t, uint32_t pid, uint64_t start, uint64_t len);
/* Give back the live range that starts at start; -1 if none does. */
int bs_ranges_give(struct bs_ranges *t, uint32_t pid, uint64_t start);

#endif /* BS_LIVE_RANGES_H */
