/*
 * read_reorder.c — a bounded reorder window in front of a reader whose input
 * is only nearly time-ordered.
 *
 * bpftrace prints events from per-CPU buffers as it polls them, so a thread
 * that migrates between CPUs can have its events printed out of order, by at
 * most a few buffers' worth.  The window holds up to `window` records in a
 * heap and always returns the earliest (ties in input order); a record that
 * arrives later than one already returned still goes out, and the engine
 * counts it as out_of_order.  Memory is fixed: window * 128 bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reader.h"

struct held {
    uint64_t ts, seq;
    struct bs_record rec;
};

struct reorder_reader {
    struct bs_reader r;
    struct bs_reader *in;
    struct held *heap, out;
    uint32_t n, window;
    uint64_t seq;
    int in_done;
};

static int before(const struct held *a, const struct held *b)
{
    return a->ts != b->ts ? a->ts < b->ts : a->seq < b->seq;
}

static void swap(struct held *a, struct held *b)
{
    struct held t = *a;
    *a = *b;
    *b = t;
}

static void push(struct reorder_reader *rr, const struct hmap_native_rec_header *h)
{
    struct held *x = &rr->heap[rr->n];
    x->ts = h->ts_ns;
    x->seq = rr->seq++;
    memcpy(&x->rec, h, h->size);
    for (uint32_t i = rr->n++; i && before(&rr->heap[i], &rr->heap[(i - 1) / 2]); i = (i - 1) / 2)
        swap(&rr->heap[i], &rr->heap[(i - 1) / 2]);
}

static void pop(struct reorder_reader *rr)
{
    rr->out = rr->heap[0];
    rr->heap[0] = rr->heap[--rr->n];
    for (uint32_t i = 0;;) {
        uint32_t l = 2 * i + 1, m = i;
        if (l < rr->n && before(&rr->heap[l], &rr->heap[m])) m = l;
        if (l + 1 < rr->n && before(&rr->heap[l + 1], &rr->heap[m])) m = l + 1;
        if (m == i) break;
        swap(&rr->heap[i], &rr->heap[m]);
        i = m;
    }
}

static void copy_state(struct reorder_reader *rr)
{
    struct bs_reader *r = &rr->r, *in = rr->in;
    r->truncated = in->truncated;
    memcpy(r->truncated_at, in->truncated_at, sizeof(r->truncated_at));
    r->bytes_done = in->bytes_done;
    r->bytes_total = in->bytes_total;
    r->discarded_events = in->discarded_events;
    r->discarded_packets = in->discarded_packets;
}

static int reorder_next(struct bs_reader *r, const struct hmap_native_rec_header **rec)
{
    struct reorder_reader *rr = (struct reorder_reader *)r;
    rr->in->allow_truncated = r->allow_truncated;
    while (!rr->in_done && rr->n < rr->window) {
        const struct hmap_native_rec_header *h;
        int st = rr->in->next(rr->in, &h);
        if (st < 0) {
            memcpy(r->err, rr->in->err, sizeof(r->err));
            return -1;
        }
        if (st == 0) {
            rr->in_done = 1;
            break;
        }
        if (h->size > sizeof(struct bs_record)) {
            snprintf(r->err, sizeof(r->err), "%s: record of %u bytes is too large", r->path,
                     h->size);
            return -1;
        }
        push(rr, h);
    }
    copy_state(rr);
    if (!rr->n) return 0;
    pop(rr);
    *rec = &rr->out.rec.h;
    return 1;
}

static void reorder_close(struct bs_reader *r)
{
    struct reorder_reader *rr = (struct reorder_reader *)r;
    bs_reader_close(rr->in);
    free(rr->heap);
    free(rr);
}

struct bs_reader *bs_reorder_wrap(struct bs_reader *in, uint32_t window, char *err, size_t errlen)
{
    struct reorder_reader *rr = calloc(1, sizeof(*rr));
    if (rr) rr->heap = malloc((size_t)window * sizeof(*rr->heap));
    if (!rr || !rr->heap) {
        snprintf(err, errlen, "%s: out of memory", in->path);
        free(rr);
        bs_reader_close(in);
        return NULL;
    }
    rr->in = in;
    rr->window = window;
    rr->r.path = in->path;
    rr->r.kind = in->kind;
    rr->r.next = reorder_next;
    rr->r.close = reorder_close;
    copy_state(rr);
    return &rr->r;
}
