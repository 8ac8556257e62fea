/* SPDX-License-Identifier: MIT */
/*
 * test_live_ranges.c — the live-range set of `-j` (analysis/engine/
 * live_ranges.h) against a plain list: 200 000 random takes and gives, in
 * two processes, dense (most takes overlap) and sparse; every answer must
 * be the list's, and after each run the treap must be a treap (parent
 * links, order, priorities).  Exit 0 if so.
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

/* Nodes below x, checked; -1 on a broken link, order or priority. */
static long check(const struct bs_ranges *t, uint32_t x, uint32_t up)
{
    if (x == BS_NONE) return 0;
    const struct bs_range *n = &t->node[x];
    if (n->up != up) return -1;
    if (up != BS_NONE && t->node[up].prio < n->prio) return -1;
    if (n->l != BS_NONE &&
        (t->node[n->l].pid > n->pid || (t->node[n->l].pid == n->pid && t->node[n->l].lo >= n->lo)))
        return -1;
    if (n->r != BS_NONE &&
        (t->node[n->r].pid < n->pid || (t->node[n->r].pid == n->pid && t->node[n->r].lo <= n->lo)))
        return -1;
    long a = check(t, n->l, x), b = check(t, n->r, x);
    return a < 0 || b < 0 ? -1 : a + b + 1;
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
            int got = bs_ranges_take(&t, pid, lo, len), want = list_take(pid, lo, len);
            if (got != want) {
                printf("FAIL: step %d: take %u [%llu, +%llu): %d, the list says %d\n", step, pid,
                       (unsigned long long)lo, (unsigned long long)len, got, want);
                return 1;
            }
            takes++, refused += got < 0;
        } else {
            /* Half of the gives name a live range's start. */
            if (nlive && (x & 4))
                pid = live[(x >> 20) % nlive].pid, lo = live[(x >> 20) % nlive].lo;
            int got = bs_ranges_give(&t, pid, lo), want = list_give(pid, lo);
            if (got != want) {
                printf("FAIL: step %d: give %u %llu: %d, the list says %d\n", step, pid,
                       (unsigned long long)lo, got, want);
                return 1;
            }
            gives += got == 0;
        }
    }
    long n = check(&t, t.root, BS_NONE);
    if (n != nlive) {
        printf("FAIL: the treap holds %ld nodes (-1: broken), the list %d\n", n, nlive);
        return 1;
    }
    printf("ok: span %llu: %ld takes (%ld refused), %ld gives, %d live\n", (unsigned long long)span,
           takes, refused, gives, nlive);
    bs_ranges_free(&t);
    return 0;
}

int main(void)
{
    return run(4000, 88172645463325252ull) | run(400000, 0x2545f4914f6cdd1dull);
}
