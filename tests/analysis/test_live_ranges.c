/* SPDX-License-Identifier: MIT */
/*
 * test_live_ranges.c — the live-range set of `-j` (analysis/engine/
 * live_ranges.h) against a plain list: 200 000 random takes and gives, in
 * two processes, dense (most takes overlap) and sparse; then 20 000 takes
 * in increasing address order (the chunks split) given back in a random
 * order (they merge, down to none) and taken again.  Every answer must be
 * the list's, and after each phase the chunks must keep their invariants
 * (live_ranges.c).  Exit 0 if so.
 */
#include <stdio.h>
#include <stdlib.h>

#include "live_ranges.h"
#include "xorshift.h"

#define MAX_LIVE 20000

static struct {
    uint32_t pid;
    uint64_t lo, hi;
} live[MAX_LIVE];
static int nlive;

static int list_take(uint32_t pid, uint64_t lo, uint64_t len)
{
    uint64_t hi = lo + (len ? len : 1);
    for (int i = 0; i < nlive; i++)
        if (live[i].pid == pid && live[i].lo < hi && live[i].hi > lo) return -1;
    live[nlive].pid = pid, live[nlive].lo = lo, live[nlive].hi = hi;
    nlive++;
    return 0;
}

static int list_give(uint32_t pid, uint64_t lo)
{
    for (int i = 0; i < nlive; i++)
        if (live[i].pid == pid && live[i].lo == lo) {
            live[i] = live[--nlive];
            return 0;
        }
    return -1;
}

static int before(const struct bs_range *a, const struct bs_range *b)
{
    return a->pid < b->pid || (a->pid == b->pid && a->lo < b->lo);
}

/* The ranges held, or -1 if an invariant of live_ranges.c is broken:
 * order and disjointness across chunks, first keys, no empty chunk but a
 * sole one, neighbours together over half a chunk. */
static long check(const struct bs_ranges *t, const char **why)
{
    long total = 0;
    const struct bs_range *prev = NULL;
    for (uint32_t c = 0; c < t->n; c++) {
        const struct bs_range_chunk *k = t->slot[c].chunk;
        if (k->n > BS_RANGE_CHUNK) return *why = "a chunk past its size", -1;
        if (!k->n && t->n > 1) return *why = "an empty chunk among others", -1;
        if (k->n && (t->slot[c].pid != k->r[0].pid || t->slot[c].lo != k->r[0].lo))
            return *why = "a first key not its chunk's", -1;
        if (c && t->slot[c - 1].chunk->n + k->n <= BS_RANGE_CHUNK / 2)
            return *why = "two neighbours at half a chunk or less", -1;
        for (uint32_t i = 0; i < k->n; i++) {
            const struct bs_range *r = &k->r[i];
            if (r->hi <= r->lo) return *why = "an empty range", -1;
            if (prev && !before(prev, r)) return *why = "out of order", -1;
            if (prev && prev->pid == r->pid && prev->hi > r->lo) return *why = "an overlap", -1;
            prev = r;
            total++;
        }
    }
    return total;
}

static int checked(const struct bs_ranges *t, const char *phase)
{
    const char *why = "";
    long n = check(t, &why);
    if (n != nlive) {
        printf("FAIL: %s: the set holds %ld ranges (-1: %s), the list %d\n", phase, n, why, nlive);
        return 1;
    }
    return 0;
}

static int take(struct bs_ranges *t, uint32_t pid, uint64_t lo, uint64_t len, int step)
{
    int got = bs_ranges_take(t, pid, lo, len), want = list_take(pid, lo, len);
    if (got != want)
        printf("FAIL: step %d: take %u [%llu, +%llu): %d, the list says %d\n", step, pid,
               (unsigned long long)lo, (unsigned long long)len, got, want);
    return got != want ? -2 : got;
}

static int give(struct bs_ranges *t, uint32_t pid, uint64_t lo, int step)
{
    int got = bs_ranges_give(t, pid, lo), want = list_give(pid, lo);
    if (got != want)
        printf("FAIL: step %d: give %u %llu: %d, the list says %d\n", step, pid,
               (unsigned long long)lo, got, want);
    return got != want ? -2 : got;
}

static int run(uint64_t span, uint64_t seed)
{
    struct bs_ranges t;
    bs_ranges_init(&t);
    nlive = 0;
    uint64_t x = seed;
    long takes = 0, refused = 0, gives = 0;
    for (int step = 0; step < 200000 && nlive < MAX_LIVE; step++) {
        xorshift64(&x);
        uint32_t pid = (uint32_t)(x >> 62) & 1;
        uint64_t lo = (x >> 8) % span, len = (x >> 40) % 40;
        if (x & 3) {
            int got = take(&t, pid, lo, len, step);
            if (got == -2) return 1;
            takes++, refused += got < 0;
        } else {
            /* Half of the gives name a live range's start. */
            if (nlive && (x & 4))
                pid = live[(x >> 20) % nlive].pid, lo = live[(x >> 20) % nlive].lo;
            int got = give(&t, pid, lo, step);
            if (got == -2) return 1;
            gives += got == 0;
        }
        if (step % 50000 == 0 && checked(&t, "random")) return 1;
    }
    if (checked(&t, "random")) return 1;
    printf("ok: span %llu: %ld takes (%ld refused), %ld gives, %d live in %u chunks\n",
           (unsigned long long)span, takes, refused, gives, nlive, t.n);
    bs_ranges_free(&t);
    return 0;
}

/* Ranges as a bump allocator hands them out, each taken twice (the second
 * refused), given back in a random order and taken again. */
static int grow_and_drain(uint64_t seed)
{
    struct bs_ranges t;
    bs_ranges_init(&t);
    nlive = 0;
    uint64_t x = seed, at = 1 << 20;
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < MAX_LIVE; i++) {
            xorshift64(&x);
            uint64_t len = 16 + (x >> 58);
            if (take(&t, 7, at, len, i) != 0 || take(&t, 7, at + len - 1, 1, i) != -1) return 1;
            at += len + (x & 1) * 8;
        }
        uint32_t peak = t.n;
        if (checked(&t, "grown")) return 1;
        while (nlive) {
            xorshift64(&x);
            int j = (int)(x % (uint64_t)nlive);
            if (give(&t, live[j].pid, live[j].lo, nlive) != 0) return 1;
            if (nlive % 4096 == 0 && checked(&t, "draining")) return 1;
        }
        if (checked(&t, "drained") || t.n > 1 || bs_ranges_give(&t, 7, 1 << 20) != -1) {
            printf("FAIL: drained: %u chunks left, or a give of nothing taken\n", t.n);
            return 1;
        }
        printf("ok: round %d: %d ranges in %u chunks, all given back\n", round, MAX_LIVE, peak);
    }
    bs_ranges_free(&t);
    return 0;
}

int main(void)
{
    return run(4000, 88172645463325252ull) | run(400000, 0x2545f4914f6cdd1dull) |
           grow_and_drain(0x9e3779b97f4a7c15ull);
}
