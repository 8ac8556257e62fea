/* SPDX-License-Identifier: MIT */
/* memory.c — growth of the engine's arrays (memory.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memory.h"

void bs_oom(void)
{
    fprintf(stderr, "bucketscope-report: out of memory\n");
    exit(1);
}

void *bs_grow_array(void *p, uint32_t *cap, size_t elem)
{
    if (*cap >= UINT32_MAX / 4) bs_oom();
    uint32_t n = *cap ? *cap * 2 : 64;
    void *q = realloc(p, (size_t)n * elem);
    if (!q) bs_oom();
    *cap = n;
    return q;
}

void *bs_grow_aligned(void *p, uint32_t *cap, size_t elem)
{
    if (*cap >= UINT32_MAX / 4) bs_oom();
    uint32_t n = *cap ? *cap * 2 : 64;
    void *q = aligned_alloc(64, (size_t)n * elem);
    if (!q) bs_oom();
    if (p) memcpy(q, p, (size_t)*cap * elem);
    free(p);
    *cap = n;
    return q;
}
