/* SPDX-License-Identifier: MIT */
/*
 * live_ranges.h — a set of disjoint address ranges [lo, hi), each in a
 * process, that refuses a range overlapping a live one.  `-j N`
 * (shards.c) keeps every live allocation and indirect object of all shards
 * in one, because the shards' results are exact only while no two of them
 * overlap (docs/report.md, "Parallel analysis").
 *
 * A B+ tree of height two: the ranges in order of (pid, lo), in chunks of
 * up to BS_RANGE_CHUNK, and one array of the chunks in order, each with
 * the key of its first range.  A take or a give is a binary search of that
 * array (small, touched by every call, so it stays in the cache), one of
 * the chunk, and a move of the chunk's tail; a new range's only possible
 * overlaps are its two neighbours in the order, the live ones being
 * disjoint.  A full chunk splits in two; a chunk that a give leaves with a
 * neighbour holding half a chunk or less between them is merged into it,
 * so the chunks stay more than a quarter full on average.
 */
#ifndef BS_LIVE_RANGES_H
#define BS_LIVE_RANGES_H

#include <stdint.h>

#define BS_RANGE_CHUNK 128 /* ranges per chunk (even) */

struct bs_range {
    uint64_t lo, hi;
    uint32_t pid;
};

struct bs_range_chunk {
    uint32_t n;
    struct bs_range r[BS_RANGE_CHUNK];
};

struct bs_range_slot { /* one chunk, with its first range's key for the search */
    uint64_t lo;
    uint32_t pid;
    struct bs_range_chunk *chunk;
};

struct bs_ranges {
    struct bs_range_slot *slot; /* the chunks in order: none before the first take, one
                                   (empty) once every range is given back */
    uint32_t n, cap;            /* chunks, room in slot */
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
