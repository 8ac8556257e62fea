/* SPDX-License-Identifier: MIT */
/*
 * merge.c — several readers of one kind merged into one stream by time.
 *
 * Each input is already in time order; the time heap holds one head record
 * per input (tie: input index, so equal times come in command-line order) and
 * the merge always returns the earliest.  The record returned last stays
 * valid until the next call, because only its reader is advanced then.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "reader.h"
#include "time_heap.h"

struct merge_reader {
    struct bs_reader r;
    int n, started;
    struct bs_reader **in;
    const struct hmap_native_rec_header **head; /* per input: its next record */
    struct bs_time_heap heap;                   /* inputs that have one, by its time */
};

/* Read input i's next record into head[i] and put i back in the heap if it
 * has one.  0, or -1 with the input's message in err. */
static int advance(struct merge_reader *mr, int i)
{
    int st = mr->in[i]->next(mr->in[i], &mr->head[i]);
    if (st < 0) {
        snprintf(mr->r.err, sizeof(mr->r.err), "%s", mr->in[i]->err);
        return -1;
    }
    if (st > 0) bs_time_heap_push(&mr->heap, mr->head[i]->ts_ns, (uint64_t)i, (uint32_t)i);
    return 0;
}

static void sum_progress(struct merge_reader *mr)
{
    struct bs_reader *r = &mr->r;
    r->bytes_done = r->bytes_total = r->discarded_events = r->discarded_packets = 0;
    for (int i = 0; i < mr->n; i++) {
        r->bytes_done += mr->in[i]->bytes_done;
        r->bytes_total += mr->in[i]->bytes_total;
        bs_add_saturating(&r->discarded_events, mr->in[i]->discarded_events);
        bs_add_saturating(&r->discarded_packets, mr->in[i]->discarded_packets);
        if (mr->in[i]->truncated && !r->truncated) {
            r->truncated = 1;
            memcpy(r->truncated_at, mr->in[i]->truncated_at, sizeof(r->truncated_at));
        }
    }
}

/* Between calls the heap holds every input with a record still to return,
 * except the one whose record was returned last (it is at the top). */
static int merge_next(struct bs_reader *r, const struct hmap_native_rec_header **rec)
{
    struct merge_reader *mr = (struct merge_reader *)r;
    if (!mr->started) {
        mr->started = 1;
        for (int i = 0; i < mr->n; i++)
            if (advance(mr, i) < 0) return -1;
    } else if (mr->heap.n) {
        int last = (int)bs_time_heap_top(&mr->heap)->slot;
        bs_time_heap_pop(&mr->heap);
        if (advance(mr, last) < 0) return -1;
    }
    int done = mr->heap.n == 0;
    if ((r->events_done++ & 0xffff) == 0 || done) sum_progress(mr);
    if (done) return 0;
    *rec = mr->head[bs_time_heap_top(&mr->heap)->slot];
    return 1;
}

static void merge_close(struct bs_reader *r)
{
    struct merge_reader *mr = (struct merge_reader *)r;
    for (int i = 0; i < mr->n; i++)
        bs_reader_close(mr->in[i]);
    bs_time_heap_free(&mr->heap);
    free(mr->in);
    free(mr->head);
    free(mr);
}

struct bs_reader *bs_reader_merge(struct bs_reader **readers, int n)
{
    if (n == 1) return readers[0];
    struct merge_reader *mr = calloc(1, sizeof(*mr));
    if (!mr) return NULL;
    mr->in = calloc((size_t)n, sizeof(*mr->in));
    mr->head = calloc((size_t)n, sizeof(*mr->head));
    if (!mr->in || !mr->head || bs_time_heap_init(&mr->heap, (uint32_t)n) < 0) {
        free(mr->in);
        free(mr->head);
        free(mr);
        return NULL;
    }
    memcpy(mr->in, readers, (size_t)n * sizeof(*readers));
    mr->n = n;
    mr->r.path = "(merged inputs)";
    mr->r.kind = readers[0]->kind;
    mr->r.next = merge_next;
    mr->r.close = merge_close;
    sum_progress(mr);
    return &mr->r;
}
