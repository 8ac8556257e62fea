/* SPDX-License-Identifier: MIT */
/*
 * alloc_index.c — taking, indexing and releasing allocation records, and the
 * storage of bucket states and pending blocks (alloc_index.h).
 *
 * Invariants: ix->arrays lists exactly the live array allocations, sorted by
 * (pid, start); by_start maps exactly the live overflow allocations; every
 * slab record not in use is on the alloc_free list, every pending block not
 * in use on the pending_free list (linked through ns[0]).
 */
#include <stdlib.h>
#include <string.h>

#include "alloc_index.h"
#include "hmap_events.h"
#include "memory.h"

void bs_alloc_index_init(struct bs_alloc_index *ix)
{
    memset(ix, 0, sizeof(*ix));
    bs_addr_table_init(&ix->by_start);
    ix->alloc_free = ix->pending_free = ix->last_alloc = BS_NONE;
}

static void free_states(struct bs_alloc_index *ix, struct bs_alloc *a)
{
    if (a->nstates == 1) {
        ix->nstates_live--;
        return;
    }
    for (uint32_t c = 0; c < bs_alloc_nchunks(a); c++)
        if (a->chunk[c]) {
            ix->nstates_live -= bs_alloc_chunk_len(a, c);
            free(a->chunk[c]);
        }
    ix->nchunks_live -= bs_alloc_nchunks(a);
    free(a->chunk);
    a->chunk = NULL;
}

void bs_alloc_index_free(struct bs_alloc_index *ix)
{
    bs_addr_table_free(&ix->by_start);
    for (uint32_t i = 0; i < ix->allocs_cap; i++)
        if (ix->allocs[i].in_use) free_states(ix, &ix->allocs[i]);
    free(ix->allocs);
    free(ix->arrays);
    free(ix->pending);
}

int bs_alloc_index_room(const struct bs_alloc_index *ix, uint64_t nstates)
{
    return ix->nchunks_live + ((nstates + BS_CHUNK - 1) >> BS_CHUNK_SHIFT) <= BS_MAX_CHUNKS;
}

struct bs_bstate *bs_alloc_new_chunk(struct bs_alloc_index *ix, struct bs_alloc *a, uint32_t c)
{
    uint32_t n = bs_alloc_chunk_len(a, c);
    struct bs_bstate *st = malloc(n * sizeof(*st));
    if (!st) bs_oom();
    for (uint32_t i = 0; i < n; i++)
        st[i] = (struct bs_bstate){0, 0, 0, BS_NONE};
    if ((ix->nstates_live += n) > ix->peak_states_live) ix->peak_states_live = ix->nstates_live;
    a->chunk[c] = st;
    return st;
}

void bs_pending_grow(struct bs_alloc_index *ix)
{
    uint32_t old = ix->pending_cap;
    ix->pending = bs_grow_array(ix->pending, &ix->pending_cap, sizeof(*ix->pending));
    for (uint32_t i = ix->pending_cap; i-- > old;) {
        ix->pending[i].ns[0] = ix->pending_free;
        ix->pending_free = i;
    }
}

uint32_t bs_alloc_take(struct bs_alloc_index *ix, uint32_t map, uint32_t pid, uint64_t start,
                       uint64_t bytes, uint8_t kind, uint32_t nstates, uint32_t bucket_size)
{
    uint32_t ai = ix->alloc_free;
    if (ai == BS_NONE) {
        uint32_t oldcap = ix->allocs_cap;
        ix->allocs = bs_grow_aligned(ix->allocs, &ix->allocs_cap, sizeof(*ix->allocs));
        for (uint32_t i = ix->allocs_cap; i-- > oldcap;) {
            ix->allocs[i].next_free = ix->alloc_free;
            ix->allocs[i].in_use = 0;
            ix->allocs[i].chunk = NULL;
            ix->alloc_free = i;
        }
        ai = ix->alloc_free;
    }
    struct bs_alloc *a = &ix->allocs[ai];
    ix->alloc_free = a->next_free;
    memset(a, 0, sizeof(*a));
    a->nstates = nstates;
    if (nstates > 1) {
        ix->nchunks_live += bs_alloc_nchunks(a);
        a->chunk = calloc(bs_alloc_nchunks(a), sizeof(*a->chunk));
        if (!a->chunk) bs_oom();
    } else {
        a->one = (struct bs_bstate){0, 0, 0, BS_NONE};
        if ((ix->nstates_live += 1) > ix->peak_states_live) ix->peak_states_live = ix->nstates_live;
    }
    a->start = start;
    a->bytes = bytes;
    a->pid = pid;
    a->map = map;
    a->kind = kind;
    a->in_use = 1;
    a->bucket_size = bucket_size;
    ix->nallocs_live++;
    if (kind == HMAP_MEM_ARRAY) {
        if (ix->narrays == ix->arrays_cap)
            ix->arrays = bs_grow_array(ix->arrays, &ix->arrays_cap, sizeof(uint32_t));
        long pos = bs_array_floor(ix, pid, start) + 1;
        memmove(&ix->arrays[pos + 1], &ix->arrays[pos],
                (ix->narrays - (uint32_t)pos) * sizeof(uint32_t));
        ix->arrays[pos] = ai;
        ix->narrays++;
    } else if (bs_addr_put(&ix->by_start, pid, start, ai) < 0) {
        bs_oom();
    }
    return ai;
}

void bs_alloc_release(struct bs_alloc_index *ix, uint32_t ai)
{
    struct bs_alloc *a = &ix->allocs[ai];
    if (a->kind == HMAP_MEM_ARRAY) {
        long pos = bs_array_floor(ix, a->pid, a->start);
        if (pos >= 0 && ix->arrays[pos] == ai) {
            memmove(&ix->arrays[pos], &ix->arrays[pos + 1],
                    (ix->narrays - (uint32_t)pos - 1) * sizeof(uint32_t));
            ix->narrays--;
        }
    } else {
        bs_addr_del(&ix->by_start, a->pid, a->start);
    }
    if (ix->last_alloc == ai) ix->last_alloc = BS_NONE;
    free_states(ix, a);
    a->in_use = 0;
    a->next_free = ix->alloc_free;
    ix->alloc_free = ai;
    ix->nallocs_live--;
}

size_t bs_alloc_index_bytes(const struct bs_alloc_index *ix)
{
    return bs_addr_table_bytes(&ix->by_start) + (size_t)ix->allocs_cap * sizeof(struct bs_alloc) +
           (size_t)ix->arrays_cap * sizeof(uint32_t) +
           (size_t)ix->nstates_live * sizeof(struct bs_bstate) +
           (size_t)ix->pending_cap * sizeof(struct bs_pending);
}

size_t bs_alloc_index_peak_bytes(const struct bs_alloc_index *ix)
{
    return bs_addr_table_bytes(&ix->by_start) + (size_t)ix->allocs_cap * sizeof(struct bs_alloc) +
           (size_t)ix->arrays_cap * sizeof(uint32_t) +
           (size_t)ix->peak_states_live * sizeof(struct bs_bstate) +
           (size_t)ix->peak_pending_live * sizeof(struct bs_pending) +
           (size_t)ix->nchunks_live * sizeof(struct bs_bstate *);
}
