/* SPDX-License-Identifier: MIT */
/*
 * live_ranges.c — disjoint address ranges, refusing overlaps
 * (live_ranges.h).
 *
 * Invariants between calls: the ranges are in strictly increasing (pid, lo)
 * order across the chunks; slot[c] has chunk c's first key; no chunk is
 * empty unless it is the only one; any two neighbouring chunks hold more
 * than BS_RANGE_CHUNK / 2 ranges together.  The last one bounds the number
 * of chunks (and so the binary search and the moves of the chunk array) by
 * four times the live ranges over BS_RANGE_CHUNK.
 */
#include "live_ranges.h"

#include <stdlib.h>
#include <string.h>

#include "memory.h"

enum { HALF = BS_RANGE_CHUNK / 2 };

void bs_ranges_init(struct bs_ranges *t)
{
    *t = (struct bs_ranges){0};
}

void bs_ranges_free(struct bs_ranges *t)
{
    for (uint32_t c = 0; c < t->n; c++)
        free(t->slot[c].chunk);
    free(t->slot);
    *t = (struct bs_ranges){0};
}

static inline int before(uint32_t apid, uint64_t alo, uint32_t bpid, uint64_t blo)
{
    return apid < bpid || (apid == bpid && alo < blo);
}

/* The chunk where (pid, lo) belongs: the last whose first key is at or
 * before it, or chunk 0.  t->n > 0. */
static uint32_t find_chunk(const struct bs_ranges *t, uint32_t pid, uint64_t lo)
{
    uint32_t a = 1, b = t->n; /* the first chunk after it is in [a, b] */
    while (a < b) {
        uint32_t m = a + (b - a) / 2;
        if (before(pid, lo, t->slot[m].pid, t->slot[m].lo))
            b = m;
        else
            a = m + 1;
    }
    return a - 1;
}

/* How many ranges of chunk k are before (pid, lo). */
static uint32_t find_pos(const struct bs_range_chunk *k, uint32_t pid, uint64_t lo)
{
    uint32_t a = 0, b = k->n;
    while (a < b) {
        uint32_t m = a + (b - a) / 2;
        if (before(k->r[m].pid, k->r[m].lo, pid, lo))
            a = m + 1;
        else
            b = m;
    }
    return a;
}

/* After chunk c's first range changed. */
static void rekey(struct bs_ranges *t, uint32_t c)
{
    const struct bs_range *r = &t->slot[c].chunk->r[0];
    t->slot[c].lo = r->lo;
    t->slot[c].pid = r->pid;
}

/* A new, empty chunk at position c of the chunk array. */
static struct bs_range_chunk *insert_chunk(struct bs_ranges *t, uint32_t c)
{
    struct bs_range_chunk *k = malloc(sizeof(*k));
    if (!k) bs_oom();
    k->n = 0;
    if (t->n == t->cap) t->slot = bs_grow_array(t->slot, &t->cap, sizeof(*t->slot));
    memmove(t->slot + c + 1, t->slot + c, (t->n - c) * sizeof(*t->slot));
    t->slot[c].chunk = k;
    t->n++;
    return k;
}

static void remove_chunk(struct bs_ranges *t, uint32_t c)
{
    free(t->slot[c].chunk);
    t->n--;
    memmove(t->slot + c, t->slot + c + 1, (t->n - c) * sizeof(*t->slot));
}

/* Take [start, start + len) in pid; 0, or -1 if it overlaps a live range.
 * The only ranges it could overlap are the last one before it and the
 * first one after it, in this chunk or at the end of a neighbour. */
int bs_ranges_take(struct bs_ranges *t, uint32_t pid, uint64_t start, uint64_t len)
{
    uint64_t end = start + (len ? len : 1);
    if (end < start) end = UINT64_MAX;
    if (!t->n) insert_chunk(t, 0);
    uint32_t c = find_chunk(t, pid, start);
    struct bs_range_chunk *k = t->slot[c].chunk;
    uint32_t i = find_pos(k, pid, start);
    const struct bs_range *pred = i   ? &k->r[i - 1]
                                  : c ? &t->slot[c - 1].chunk->r[t->slot[c - 1].chunk->n - 1]
                                      : NULL;
    const struct bs_range *succ = i < k->n       ? &k->r[i]
                                  : c + 1 < t->n ? &t->slot[c + 1].chunk->r[0]
                                                 : NULL;
    if ((pred && pred->pid == pid && pred->hi > start) ||
        (succ && succ->pid == pid && succ->lo < end))
        return -1;
    if (k->n == BS_RANGE_CHUNK) { /* split: the upper half to a new chunk after it */
        struct bs_range_chunk *m = insert_chunk(t, c + 1);
        memcpy(m->r, k->r + HALF, HALF * sizeof(k->r[0]));
        m->n = k->n = HALF;
        rekey(t, c + 1);
        if (i > HALF) k = m, c++, i -= HALF;
    }
    memmove(&k->r[i + 1], &k->r[i], (k->n - i) * sizeof(k->r[0]));
    k->r[i] = (struct bs_range){start, end, pid};
    k->n++;
    /* i is 0 only before every range (chunk 0) or in the empty set: at the
     * start of any other chunk it would be that chunk's first range's
     * start, refused above. */
    if (i == 0) rekey(t, c);
    return 0;
}

/* Give back the live range that starts at start; -1 if none does.  A chunk
 * left empty goes; one left small enough is merged with a neighbour. */
int bs_ranges_give(struct bs_ranges *t, uint32_t pid, uint64_t start)
{
    if (!t->n) return -1;
    uint32_t c = find_chunk(t, pid, start);
    struct bs_range_chunk *k = t->slot[c].chunk;
    uint32_t i = find_pos(k, pid, start);
    if (i == k->n || k->r[i].pid != pid || k->r[i].lo != start) return -1;
    k->n--;
    memmove(&k->r[i], &k->r[i + 1], (k->n - i) * sizeof(k->r[0]));
    if (!k->n) {
        if (t->n > 1) remove_chunk(t, c);
        return 0;
    }
    if (i == 0) rekey(t, c);
    if (c > 0 && t->slot[c - 1].chunk->n + k->n <= HALF)
        c--; /* merge c into c - 1 */
    else if (!(c + 1 < t->n && t->slot[c + 1].chunk->n + k->n <= HALF))
        return 0;
    struct bs_range_chunk *a = t->slot[c].chunk, *b = t->slot[c + 1].chunk;
    memcpy(a->r + a->n, b->r, b->n * sizeof(b->r[0]));
    a->n += b->n;
    remove_chunk(t, c + 1);
    return 0;
}
