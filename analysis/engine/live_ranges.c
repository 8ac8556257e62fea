/* SPDX-License-Identifier: MIT */
/*
 * live_ranges.c — disjoint address ranges, refusing overlaps
 * (live_ranges.h).
 */
#include "live_ranges.h"

#include <stdlib.h>

#include "memory.h"

void bs_ranges_init(struct bs_ranges *t)
{
    *t = (struct bs_ranges){.free = BS_NONE, .root = BS_NONE, .rng = 0x9e3779b97f4a7c15ull};
    bs_addr_table_init(&t->at);
}

void bs_ranges_free(struct bs_ranges *t)
{
    free(t->node);
    bs_addr_table_free(&t->at);
}

/* The live ranges are disjoint: one that overlaps [lo, hi) is the last
 * starting before lo or the first starting at or after it. */
static int before(const struct bs_range *n, uint32_t pid, uint64_t lo)
{
    return n->pid < pid || (n->pid == pid && n->lo < lo);
}

/* Where parent p (BS_NONE: the root) pointed to old, point to x. */
static void relink(struct bs_ranges *t, uint32_t p, uint32_t old, uint32_t x)
{
    if (p == BS_NONE)
        t->root = x;
    else if (t->node[p].l == old)
        t->node[p].l = x;
    else
        t->node[p].r = x;
}

/* Make child x take its parent's place (a rotation): the order of the
 * tree is kept, x moves up one level. */
static void rotate_up(struct bs_ranges *t, uint32_t x)
{
    struct bs_range *n = t->node;
    uint32_t p = n[x].up, g = n[p].up;
    if (n[p].l == x) {
        n[p].l = n[x].r;
        if (n[x].r != BS_NONE) n[n[x].r].up = p;
        n[x].r = p;
    } else {
        n[p].r = n[x].l;
        if (n[x].l != BS_NONE) n[n[x].l].up = p;
        n[x].l = p;
    }
    n[p].up = x;
    n[x].up = g;
    relink(t, g, p, x);
}

/* Take [start, start + len) in pid; 0, or -1 if it overlaps a live range.
 * One walk down finds both neighbours and the place of the new leaf, which
 * then rotates up to where its priority puts it. */
int bs_ranges_take(struct bs_ranges *t, uint32_t pid, uint64_t start, uint64_t len)
{
    uint64_t end = start + (len ? len : 1);
    if (end < start) end = UINT64_MAX;
    uint32_t pred = BS_NONE, succ = BS_NONE, parent = BS_NONE;
    for (uint32_t x = t->root; x != BS_NONE;) {
        parent = x;
        if (before(&t->node[x], pid, start)) {
            pred = x;
            x = t->node[x].r;
        } else {
            succ = x;
            x = t->node[x].l;
        }
    }
    if ((pred != BS_NONE && t->node[pred].pid == pid && t->node[pred].hi > start) ||
        (succ != BS_NONE && t->node[succ].pid == pid && t->node[succ].lo < end))
        return -1;
    uint32_t x = t->free;
    if (x != BS_NONE) {
        t->free = t->node[x].l;
    } else {
        if (t->used == t->cap) t->node = bs_grow_array(t->node, &t->cap, sizeof(*t->node));
        x = t->used++;
    }
    if (bs_addr_put(&t->at, pid, start, x) < 0) bs_oom();
    t->rng ^= t->rng << 13;
    t->rng ^= t->rng >> 7;
    t->rng ^= t->rng << 17;
    t->node[x] =
        (struct bs_range){pid, (uint32_t)(t->rng >> 32), start, end, BS_NONE, BS_NONE, parent};
    if (parent == BS_NONE)
        t->root = x;
    else if (parent == pred)
        t->node[parent].r = x; /* the walk went right at its last step */
    else
        t->node[parent].l = x;
    while (t->node[x].up != BS_NONE && t->node[t->node[x].up].prio < t->node[x].prio)
        rotate_up(t, x);
    return 0;
}

/* Give back the live range that starts at start; -1 if none does.  Its
 * node rotates down (the child of larger priority up) until it is a
 * leaf, and is cut off there. */
int bs_ranges_give(struct bs_ranges *t, uint32_t pid, uint64_t start)
{
    uint32_t x = bs_addr_get(&t->at, pid, start);
    if (x == BS_NONE) return -1;
    bs_addr_del(&t->at, pid, start);
    struct bs_range *n = t->node;
    while (n[x].l != BS_NONE || n[x].r != BS_NONE) {
        uint32_t c = n[x].l == BS_NONE                 ? n[x].r
                     : n[x].r == BS_NONE               ? n[x].l
                     : n[n[x].l].prio > n[n[x].r].prio ? n[x].l
                                                       : n[x].r;
        rotate_up(t, c);
    }
    relink(t, n[x].up, x, BS_NONE);
    n[x].l = t->free;
    t->free = x;
    return 0;
}
