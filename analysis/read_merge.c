/*
 * read_merge.c — several readers of one kind merged into one stream by time.
 *
 * Each input is already in time order; the merge keeps one head record per
 * input and always returns the smallest.  The record returned last stays
 * valid until the next call, because only its reader is advanced then.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reader.h"

struct merge_reader {
    struct bs_reader r;
    int n, last; /* last: input whose head was returned, -1 before the first */
    struct bs_reader **in;
    const struct hmap_native_rec_header **head; /* NULL: input ended */
};

static int advance(struct merge_reader *mr, int i)
{
    int st = mr->in[i]->next(mr->in[i], &mr->head[i]);
    if (st < 0) {
        snprintf(mr->r.err, sizeof(mr->r.err), "%s", mr->in[i]->err);
        return -1;
    }
    if (st == 0) mr->head[i] = NULL;
    return 0;
}

static void sum_progress(struct merge_reader *mr)
{
    struct bs_reader *r = &mr->r;
    r->bytes_done = r->bytes_total = r->discarded_events = r->discarded_packets = 0;
    for (int i = 0; i < mr->n; i++) {
        r->bytes_done += mr->in[i]->bytes_done;
        r->bytes_total += mr->in[i]->bytes_total;
        r->discarded_events += mr->in[i]->discarded_events;
        r->discarded_packets += mr->in[i]->discarded_packets;
        if (mr->in[i]->truncated && !r->truncated) {
            r->truncated = 1;
            memcpy(r->truncated_at, mr->in[i]->truncated_at, sizeof(r->truncated_at));
        }
    }
}

static int merge_next(struct bs_reader *r, const struct hmap_native_rec_header **rec)
{
    struct merge_reader *mr = (struct merge_reader *)r;
    if (mr->last == -1) {
        for (int i = 0; i < mr->n; i++)
            if (advance(mr, i) < 0) return -1;
    } else if (advance(mr, mr->last) < 0) {
        return -1;
    }
    int best = -1;
    for (int i = 0; i < mr->n; i++)
        if (mr->head[i] && (best < 0 || mr->head[i]->ts_ns < mr->head[best]->ts_ns)) best = i;
    if ((r->events_done++ & 0xffff) == 0 || best < 0) sum_progress(mr);
    if (best < 0) return 0;
    mr->last = best;
    *rec = mr->head[best];
    return 1;
}

static void merge_close(struct bs_reader *r)
{
    struct merge_reader *mr = (struct merge_reader *)r;
    for (int i = 0; i < mr->n; i++)
        bs_reader_close(mr->in[i]);
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
    if (!mr->in || !mr->head) {
        free(mr->in);
        free(mr->head);
        free(mr);
        return NULL;
    }
    memcpy(mr->in, readers, (size_t)n * sizeof(*readers));
    mr->n = n;
    mr->last = -1;
    mr->r.path = "(merged inputs)";
    mr->r.kind = readers[0]->kind;
    mr->r.next = merge_next;
    mr->r.close = merge_close;
    sum_progress(mr);
    return &mr->r;
}
