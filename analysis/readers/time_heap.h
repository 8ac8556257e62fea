/* SPDX-License-Identifier: MIT */
/*
 * time_heap.h — the one time-merge heap of the readers: a binary min-heap of
 * keys (time, tie), each naming a slot of storage its user owns.
 *
 * Every reader that puts records in time order uses it: the native reader
 * merging a file's per-thread runs (tie: file offset), the merge of several
 * inputs (tie: input index) and the bpftrace reorder window (tie: arrival
 * order).  A unique tie makes the order total, so equal times come out in
 * the order the tie gives and the output is reproducible.  Only keys move
 * inside the heap; the records stay where their user put them.
 *
 * Push, pop and replace are inline: they run once per record.
 */
#ifndef BS_TIME_HEAP_H
#define BS_TIME_HEAP_H

#include <stdint.h>

struct bs_time_key {
    uint64_t ts, tie;
    uint32_t slot; /* the user's storage index */
};

struct bs_time_heap {
    struct bs_time_key *k;
    uint32_t n, cap;
};

/* Room for cap keys; 0, or -1 when memory runs out. */
int bs_time_heap_init(struct bs_time_heap *h, uint32_t cap);
void bs_time_heap_free(struct bs_time_heap *h);

static inline int bs_time_key_before(const struct bs_time_key *a, const struct bs_time_key *b)
{
    return a->ts != b->ts ? a->ts < b->ts : a->tie < b->tie;
}

/* Restores the heap order below i, the only key that may be out of place. */
static inline void bs_time_heap_sift_down(struct bs_time_heap *h, uint32_t i)
{
    struct bs_time_key *k = h->k;
    for (;;) {
        uint32_t l = 2 * i + 1, m = i;
        if (l < h->n && bs_time_key_before(&k[l], &k[m])) m = l;
        if (l + 1 < h->n && bs_time_key_before(&k[l + 1], &k[m])) m = l + 1;
        if (m == i) return;
        struct bs_time_key t = k[i];
        k[i] = k[m];
        k[m] = t;
        i = m;
    }
}

/* Needs h->n < h->cap. */
static inline void bs_time_heap_push(struct bs_time_heap *h, uint64_t ts, uint64_t tie,
                                     uint32_t slot)
{
    struct bs_time_key *k = h->k;
    uint32_t i = h->n++;
    k[i] = (struct bs_time_key){ts, tie, slot};
    while (i && bs_time_key_before(&k[i], &k[(i - 1) / 2])) {
        struct bs_time_key t = k[i];
        k[i] = k[(i - 1) / 2];
        k[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

/* The earliest key; needs h->n > 0. */
static inline const struct bs_time_key *bs_time_heap_top(const struct bs_time_heap *h)
{
    return &h->k[0];
}

static inline void bs_time_heap_pop(struct bs_time_heap *h)
{
    h->k[0] = h->k[--h->n];
    bs_time_heap_sift_down(h, 0);
}

/* The top slot's next record is at ts (same tie order as before: the tie
 * must still be unique, e.g. a file offset that only grows). */
static inline void bs_time_heap_replace_top(struct bs_time_heap *h, uint64_t ts, uint64_t tie)
{
    h->k[0].ts = ts;
    h->k[0].tie = tie;
    bs_time_heap_sift_down(h, 0);
}

#endif /* BS_TIME_HEAP_H */
