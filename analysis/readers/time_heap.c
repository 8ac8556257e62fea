/* SPDX-License-Identifier: MIT */
/* time_heap.c — storage of the time-merge heap (time_heap.h). */
#include <stdlib.h>

#include "time_heap.h"

int bs_time_heap_init(struct bs_time_heap *h, uint32_t cap)
{
    h->n = 0;
    h->cap = cap;
    h->k = malloc((size_t)(cap ? cap : 1) * sizeof(*h->k));
    return h->k ? 0 : -1;
}

void bs_time_heap_free(struct bs_time_heap *h)
{
    free(h->k);
    h->k = NULL;
    h->n = h->cap = 0;
}
