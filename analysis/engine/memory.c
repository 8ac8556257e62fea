/* SPDX-License-Identifier: MIT */
/* memory.c — growth of the engine's arrays and its memory cap (memory.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "prog.h"
#include "memory.h"

static const char *input_name = "the trace";
static size_t state_cap;

static size_t default_cap(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    size_t cap = pages > 0 && page > 0 ? (size_t)pages * (size_t)page / 2 : (size_t)1 << 32;
    const int limits[] = {RLIMIT_AS, RLIMIT_DATA};
    for (int i = 0; i < 2; i++) {
        struct rlimit rl;
        if (getrlimit(limits[i], &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur / 2 < cap)
            cap = rl.rlim_cur / 2;
    }
    return cap;
}

void bs_mem_setup(const char *name, size_t cap)
{
    if (name) input_name = name;
    state_cap = cap ? cap : default_cap();
}

size_t bs_mem_cap(void)
{
    if (!state_cap) state_cap = default_cap();
    return state_cap;
}

void bs_oom(void)
{
    bs_err("%s: out of memory\n", input_name);
    exit(1);
}

void bs_over_cap(size_t bytes)
{
    bs_err("%s: the analysis needs more than %zu MiB for its state (%zu MiB "
           "and growing), its cap: half of the memory available (docs/report.md, \"Memory and "
           "limits\"); the trace proves more live state than this machine can follow\n",
           input_name, bs_mem_cap() >> 20, bytes >> 20);
    exit(1);
}

static size_t grown(uint32_t *cap, size_t elem, uint32_t *n)
{
    if (*cap >= UINT32_MAX / 4) bs_oom();
    *n = *cap ? *cap * 2 : 64;
    size_t bytes = (size_t)*n * elem;
    if (bytes > bs_mem_cap()) bs_over_cap(bytes);
    return bytes;
}

void *bs_grow_array(void *p, uint32_t *cap, size_t elem)
{
    uint32_t n;
    void *q = realloc(p, grown(cap, elem, &n));
    if (!q) bs_oom();
    *cap = n;
    return q;
}

void *bs_grow_aligned(void *p, uint32_t *cap, size_t elem)
{
    uint32_t n;
    void *q = aligned_alloc(64, grown(cap, elem, &n));
    if (!q) bs_oom();
    if (p) memcpy(q, p, (size_t)*cap * elem);
    free(p);
    *cap = n;
    return q;
}
