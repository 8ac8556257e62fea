/* SPDX-License-Identifier: MIT */
/*
 * goshadow.h — turn the raw records of gorecord.bpf.c into native events
 * (schema/hmap_events.h), keeping a shadow of every bucket of every map so
 * that the old tophash of a store, the block a store lands in and the blocks
 * a sweep frees are known (docs/go.md, "What is exact, what is derived").
 */
#ifndef BUCKETSCOPE_GOSHADOW_H
#define BUCKETSCOPE_GOSHADOW_H

#include <stdint.h>
#include <stdio.h>

#include "gobin.h"
#include "sites.h"

struct go_shadow_stats {
    uint64_t raw, native, stores_ignored, events_unknown_map, sweeps, sweeps_unread;
    uint64_t maps_unseen; /* maps first seen at a hit: no creation, state unknown */
    uint64_t types_unread; /* maps whose type the binary did not hold: not traced */
};

struct go_shadow;

/* Native records go to OUT (the file header is the caller's).  B and SITES
 * stay owned by the caller and must outlive the shadow. */
struct go_shadow *go_shadow_new(const struct gobin *b, const struct go_sites *sites, FILE *out,
                                uint32_t pid);
/* Called when the last tracked block starting in heap page PAGE (address >>
 * GO_PAGE_SHIFT) was freed by a sweep at time TS. */
typedef void go_page_freed_fn(void *ctx, uint64_t page, uint64_t ts);
void go_shadow_on_page_freed(struct go_shadow *s, go_page_freed_fn *fn, void *ctx);
/* One ring record; -1 if it is malformed. */
int go_shadow_feed(struct go_shadow *s, const void *data, size_t size);
/* Bytes written so far; write errors are sticky. */
uint64_t go_shadow_bytes(const struct go_shadow *s, int *write_failed);
struct go_shadow_stats go_shadow_stats(const struct go_shadow *s);
void go_shadow_free(struct go_shadow *s);

#endif /* BUCKETSCOPE_GOSHADOW_H */
