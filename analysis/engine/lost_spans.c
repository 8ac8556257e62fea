/* SPDX-License-Identifier: MIT */
/* lost_spans.c — the list of lost-event spans (lost_spans.h). */
#include "lost_spans.h"
#include "memory.h"

void bs_lost_add(struct bs_lost_list *l, uint64_t first, uint64_t last)
{
    if (l->n && first <= l->span[l->n - 1].last_ns) {
        struct bs_lost_span *sp = &l->span[l->n - 1];
        if (first < sp->first_ns) sp->first_ns = first;
        if (last > sp->last_ns) sp->last_ns = last;
        return;
    }
    if (l->n == BS_MAX_LOST_SPANS) { /* widen: every two spans become one */
        for (uint32_t i = 0; i < l->n / 2; i++)
            l->span[i] = (struct bs_lost_span){l->span[2 * i].first_ns, l->span[2 * i + 1].last_ns};
        l->n /= 2;
    }
    if (l->n == l->cap) l->span = bs_grow_array(l->span, &l->cap, sizeof(*l->span));
    l->span[l->n++] = (struct bs_lost_span){first, last};
}
