/* SPDX-License-Identifier: MIT */
/*
 * lost_spans.h — the time spans that lost events may have touched, so that a
 * delete whose interval overlaps one can be flagged as maybe wrong.
 *
 * Invariant: spans are sorted and disjoint.  Lost records arrive in time
 * order of their end (a producer writes one when it can), so a new span
 * either overlaps the last one (and is merged into it) or follows it.
 * At most BS_MAX_LOST_SPANS are kept: when a new one would pass it, every
 * two neighbours are merged into the span covering both, so a delete may be
 * flagged maybe_lost for a gap between two losses, never the reverse.
 */
#ifndef BS_LOST_SPANS_H
#define BS_LOST_SPANS_H

#include <stdint.h>

#include "lifetime.h"

#define BS_MAX_LOST_SPANS 65536
struct bs_lost_list {
    struct bs_lost_span *span;
    uint32_t n, cap;
};

/* Add [first, last], merged with the last span when they overlap. */
void bs_lost_add(struct bs_lost_list *l, uint64_t first, uint64_t last);

/* 1 if a span overlaps [from, to]; runs at every resolved delete, and is
 * one comparison while nothing was lost after `from`. */
static inline int bs_lost_overlaps(const struct bs_lost_list *l, uint64_t from, uint64_t to)
{
    if (!l->n || l->span[l->n - 1].last_ns < from) return 0;
    /* Find the first span ending at or after from. */
    uint32_t lo = 0, hi = l->n;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (l->span[mid].last_ns < from)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < l->n && l->span[lo].first_ns <= to;
}

#endif /* BS_LOST_SPANS_H */
