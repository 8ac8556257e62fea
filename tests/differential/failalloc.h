/* SPDX-License-Identifier: MIT */
/*
 * failalloc.h — an hmap_allocator that counts allocations, can fail the
 * k-th one, and keeps a ledger of live blocks so that every free is checked
 * (known block, size given at allocation) and leaks are visible at the end.
 */
#ifndef FAILALLOC_H
#define FAILALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hmap.h"
#include "refmodel.h"

typedef struct failalloc {
    hmap_allocator a; /* pass &fa.a in hmap_options.allocator */
    uint64_t calls;   /* allocation calls so far */
    uint64_t fail_at; /* fail call number fail_at (1-based); 0: never */
    uint64_t failures;
    refmodel live; /* block address -> size */
    uint64_t live_bytes;
} failalloc;

void failalloc_init(failalloc *fa, uint64_t fail_at);
void failalloc_destroy(failalloc *fa);

#endif /* FAILALLOC_H */
