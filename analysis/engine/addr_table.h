/* SPDX-License-Identifier: MIT */
/*
 * addr_table.h — open-addressing hash from (pid, address) to a 32-bit index.
 *
 * The lifetime engine keys maps, allocations and buckets this way: an address
 * means nothing without the process it lives in.  Linear probing with
 * backward-shift deletion, so the table never fills with tombstones under
 * churn and its size follows the live set, not history.
 */
#ifndef BS_ADDR_TABLE_H
#define BS_ADDR_TABLE_H

#include <stddef.h>
#include <stdint.h>

#define BS_NONE UINT32_MAX

struct bs_addr_slot {
    uint64_t addr;
    uint32_t pid;
    uint32_t val; /* BS_NONE: empty */
};

struct bs_addr_table {
    struct bs_addr_slot *slots;
    size_t mask; /* capacity - 1, capacity a power of two */
    size_t used;
};

void bs_addr_table_init(struct bs_addr_table *t);
void bs_addr_table_free(struct bs_addr_table *t);
/* Index stored for (pid, addr), or BS_NONE. */
uint32_t bs_addr_get(const struct bs_addr_table *t, uint32_t pid, uint64_t addr);
/* Insert or overwrite; returns -1 only when memory runs out. */
int bs_addr_put(struct bs_addr_table *t, uint32_t pid, uint64_t addr, uint32_t val);
/* Remove (pid, addr) if present. */
void bs_addr_del(struct bs_addr_table *t, uint32_t pid, uint64_t addr);
/* Replace every value v by f(ctx, v), dropping entries where it is BS_NONE;
 * the table is rebuilt to fit what is left.  -1 only when memory runs out. */
int bs_addr_table_map(struct bs_addr_table *t, uint32_t (*f)(void *ctx, uint32_t v), void *ctx);
/* Bytes of memory the table holds. */
static inline size_t bs_addr_table_bytes(const struct bs_addr_table *t)
{
    return t->slots ? (t->mask + 1) * sizeof(struct bs_addr_slot) : 0;
}

#endif /* BS_ADDR_TABLE_H */
