/* SPDX-License-Identifier: MIT */
/*
 * reorder.c — a bounded reorder window in front of a reader whose input is
 * only nearly time-ordered.
 *
 * bpftrace prints events from per-CPU buffers as it polls them, so a thread
 * that migrates between CPUs can have its events printed out of order, by at
 * most a few buffers' worth.  The window holds up to `window` records, keyed
 * in the time heap by (time, arrival order), and always returns the earliest
 * (ties in input order); a record that arrives later than one already
 * returned still goes out, and the engine counts it as out_of_order.  Memory
 * is fixed: window + 1 records.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "time_heap.h"

struct reorder_reader {
    struct bs_reader r;
    struct bs_reader *in;
    struct bs_record *slots; /* window + 1: the held records and the one returned */
    uint32_t *free_slots;    /* stack of unused slots */
    uint32_t nfree, window, out;
    struct bs_time_heap heap;
    uint64_t seq;
    int in_done;
};

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

/* Every slot is either free, held in the heap, or rr->out (the record the
 * caller may still be reading); out is released at the start of the next
 * call, before the window refills. */
static int reorder_next(struct bs_reader *r, const struct hmap_native_rec_header **rec)
{
    struct reorder_reader *rr = (struct reorder_reader *)r;
    rr->in->allow_truncated = r->allow_truncated;
    if (rr->out != UINT32_MAX) {
        rr->free_slots[rr->nfree++] = rr->out;
        rr->out = UINT32_MAX;
    }
    while (!rr->in_done && rr->heap.n < rr->window) {
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
        uint32_t slot = rr->free_slots[--rr->nfree];
        memcpy(&rr->slots[slot], h, h->size);
        bs_time_heap_push(&rr->heap, h->ts_ns, rr->seq++, slot);
    }
    copy_state(rr);
    if (!rr->heap.n) return 0;
    rr->out = bs_time_heap_top(&rr->heap)->slot;
    bs_time_heap_pop(&rr->heap);
    *rec = &rr->slots[rr->out].h;
    return 1;
}

static void reorder_close(struct bs_reader *r)
{
    struct reorder_reader *rr = (struct reorder_reader *)r;
    bs_reader_close(rr->in);
    bs_time_heap_free(&rr->heap);
    free(rr->slots);
    free(rr->free_slots);
    free(rr);
}

struct bs_reader *bs_reorder_wrap(struct bs_reader *in, uint32_t window, char *err, size_t errlen)
{
    struct reorder_reader *rr = calloc(1, sizeof(*rr));
    if (rr) {
        rr->slots = malloc(((size_t)window + 1) * sizeof(*rr->slots));
        rr->free_slots = malloc(((size_t)window + 1) * sizeof(*rr->free_slots));
    }
    if (!rr || !rr->slots || !rr->free_slots || bs_time_heap_init(&rr->heap, window) < 0) {
        snprintf(err, errlen, "%s: out of memory", in->path);
        if (rr) {
            free(rr->slots);
            free(rr->free_slots);
        }
        free(rr);
        bs_reader_close(in);
        return NULL;
    }
    for (uint32_t i = 0; i <= window; i++)
        rr->free_slots[rr->nfree++] = window - i; /* slot 0 on top: low addresses first */
    rr->in = in;
    rr->window = window;
    rr->out = UINT32_MAX;
    rr->r.path = in->path;
    rr->r.kind = in->kind;
    rr->r.next = reorder_next;
    rr->r.close = reorder_close;
    copy_state(rr);
    return &rr->r;
}
