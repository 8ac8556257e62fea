/* SPDX-License-Identifier: MIT */
/*
 * harness.h — drive one map and the reference model with the same
 * operations and check, after every step, that the map behaves as the
 * model says (values, key update, lengths, Go's iteration guarantees).
 *
 * Any disagreement prints "FAIL [context]: what" on stderr and aborts, so
 * the differential test, the allocation-failure test and the fuzzer all
 * stop at the first wrong answer with the context needed to replay it.
 */
#ifndef HARNESS_H
#define HARNESS_H

#include <stdbool.h>
#include <stdint.h>

#include "hmap.h"
#include "refmodel.h"
#include "typeset.h"

#define HARNESS_ITERS 3 /* iterators that can be live at once */

typedef struct harness_iter {
    hmap_iter it;
    bool live;
    uint64_t started; /* operation number when the iteration began */
    refmodel seen;    /* ids returned while present since before `started` */
} harness_iter;

typedef struct harness {
    const test_type *tt;
    int type_index;
    hmap *m;
    refmodel ref;
    uint64_t now;   /* operation counter (entries' birth times) */
    bool enomem_ok; /* hmap_set may fail with -ENOMEM (injected) */
    harness_iter iters[HARNESS_ITERS];
    char ctx[160]; /* printed with every failure: seed, type, op number */
} harness;

/* Make the map (opts may be NULL).  Returns false if hmap_new failed
 * (errno set), which only the allocation-failure test expects. */
bool harness_init(harness *h, int type_index, const hmap_options *opts);
void harness_destroy(harness *h);

/* Operations; each one checks the map's answer against the model.
 * harness_set returns hmap_set's result (0, or -ENOMEM when allowed). */
int harness_set(harness *h, uint64_t id, uint64_t v, unsigned variant);
void harness_get(harness *h, uint64_t id);
void harness_delete(harness *h, uint64_t id);
void harness_clear(harness *h);
void harness_iter_start(harness *h, unsigned slot);
/* Advance a live iterator by up to n entries (ends it when exhausted). */
void harness_iter_step(harness *h, unsigned slot, unsigned n);
/* Advance a live iterator by one entry, then write through the pointer it
 * returned: delete that key (Go's range-delete), or update its value. */
void harness_iter_write(harness *h, unsigned slot, bool del, uint64_t newval);
void harness_iter_stop(harness *h, unsigned slot);

/* Full comparison: length, every model entry found with its value and,
 * if `iterate`, a fresh iteration returning exactly the model's set with
 * the newest keys (iterating sets Go's sticky iterator flags, which changes
 * how the next growth treats old buckets). */
void harness_verify_all(harness *h, bool iterate);

_Noreturn void harness_fail(const harness *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* HARNESS_H */
