/* SPDX-License-Identifier: MIT */
/*
 * addr_table.c — linear probing keyed by (pid, address).
 *
 * Invariant: every key sits at or after its home slot with no empty slot in
 * between (probe sequences are unbroken); deletion shifts later entries back
 * instead of leaving tombstones, so lookups stay short whatever the churn.
 */
#include <stdlib.h>

#include "addr_table.h"
#include "memory.h"

#define INITIAL_CAPACITY 64

/* Every bit of the key reaches the bits the mask keeps (a full 64-bit mix,
 * MurmurHash3's finalizer), so that keys that differ only in high bits --
 * arrays 2^k bytes apart, allocation or leaf numbers in the pid -- do not
 * share a home slot: a probe stays O(1) whatever the addresses. */
static size_t home(const struct bs_addr_table *t, uint32_t pid, uint64_t addr)
{
    uint64_t h = addr ^ ((uint64_t)pid << 32 | pid) * 0x9E3779B97F4A7C15ull;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return (size_t)h & t->mask;
}

void bs_addr_table_init(struct bs_addr_table *t)
{
    t->slots = NULL;
    t->mask = 0;
    t->used = 0;
}

void bs_addr_table_free(struct bs_addr_table *t)
{
    free(t->slots);
    bs_addr_table_init(t);
}

uint32_t bs_addr_get(const struct bs_addr_table *t, uint32_t pid, uint64_t addr)
{
    if (!t->slots) return BS_NONE;
    for (size_t i = home(t, pid, addr);; i = (i + 1) & t->mask) {
        const struct bs_addr_slot *s = &t->slots[i];
        if (s->val == BS_NONE) return BS_NONE;
        if (s->addr == addr && s->pid == pid) return s->val;
    }
}

static int grow(struct bs_addr_table *t)
{
    size_t cap = t->slots ? (t->mask + 1) * 2 : INITIAL_CAPACITY;
    struct bs_addr_slot *old = t->slots;
    size_t old_cap = old ? t->mask + 1 : 0;
    if (cap * sizeof(*old) > bs_mem_cap()) bs_over_cap(cap * sizeof(*old));
    struct bs_addr_slot *slots = malloc(cap * sizeof(*slots));
    if (!slots) return -1;
    for (size_t i = 0; i < cap; i++)
        slots[i].val = BS_NONE;
    t->slots = slots;
    t->mask = cap - 1;
    t->used = 0;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].val != BS_NONE) bs_addr_put(t, old[i].pid, old[i].addr, old[i].val);
    free(old);
    return 0;
}

int bs_addr_put(struct bs_addr_table *t, uint32_t pid, uint64_t addr, uint32_t val)
{
    if (!t->slots || (t->used + 1) * 4 > (t->mask + 1) * 3)
        if (grow(t) < 0) return -1;
    for (size_t i = home(t, pid, addr);; i = (i + 1) & t->mask) {
        struct bs_addr_slot *s = &t->slots[i];
        if (s->val == BS_NONE) {
            *s = (struct bs_addr_slot){addr, pid, val};
            t->used++;
            return 0;
        }
        if (s->addr == addr && s->pid == pid) {
            s->val = val;
            return 0;
        }
    }
}

void bs_addr_del(struct bs_addr_table *t, uint32_t pid, uint64_t addr)
{
    if (!t->slots) return;
    size_t i = home(t, pid, addr);
    for (;; i = (i + 1) & t->mask) {
        if (t->slots[i].val == BS_NONE) return;
        if (t->slots[i].addr == addr && t->slots[i].pid == pid) break;
    }
    /* Backward shift: move each later entry of the run into the hole if its
     * home slot does not lie (cyclically) between the hole and itself. */
    size_t hole = i;
    for (size_t j = (i + 1) & t->mask; t->slots[j].val != BS_NONE; j = (j + 1) & t->mask) {
        size_t h = home(t, t->slots[j].pid, t->slots[j].addr);
        if (((j - h) & t->mask) >= ((j - hole) & t->mask)) {
            t->slots[hole] = t->slots[j];
            hole = j;
        }
    }
    t->slots[hole].val = BS_NONE;
    t->used--;
}

int bs_addr_table_map(struct bs_addr_table *t, uint32_t (*f)(void *ctx, uint32_t v), void *ctx)
{
    struct bs_addr_table n;
    bs_addr_table_init(&n);
    for (size_t i = 0; t->slots && i <= t->mask; i++) {
        const struct bs_addr_slot *s = &t->slots[i];
        if (s->val == BS_NONE) continue;
        uint32_t v = f(ctx, s->val);
        if (v != BS_NONE && bs_addr_put(&n, s->pid, s->addr, v) < 0) {
            bs_addr_table_free(&n);
            return -1;
        }
    }
    bs_addr_table_free(t);
    *t = n;
    return 0;
}
