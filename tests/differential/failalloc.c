/* SPDX-License-Identifier: MIT */
/*
 * failalloc.c — counting, failing, checking allocator (failalloc.h).
 *
 * Any misuse the map makes of its allocator (free of a block it never got,
 * a second free, a wrong size, a misaligned or non-zeroed block) aborts at
 * once with a message: these are exactly the bugs an -ENOMEM path breeds.
 */
#include "failalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Noreturn void fa_fatal(const char *what, const void *p, size_t size)
{
    fprintf(stderr, "FAIL failalloc: %s (block %p, size %zu)\n", what, p, size);
    fflush(stderr);
    abort();
}

static void *fa_alloc(void *ctx, size_t size, size_t align)
{
    failalloc *fa = ctx;
    fa->calls++;
    if (fa->calls == fa->fail_at) {
        fa->failures++;
        return NULL;
    }
    if (size == 0 || align == 0 || (align & (align - 1)))
        fa_fatal("bad allocation request", NULL, size);
    void *p = NULL;
    if (posix_memalign(&p, align < sizeof(void *) ? sizeof(void *) : align, size) != 0)
        fa_fatal("test allocator out of memory", NULL, size);
    memset(p, 0, size); /* the contract: zeroed, like calloc */
    bool is_new;
    ref_entry *e = ref_put(&fa->live, (uint64_t)(uintptr_t)p, &is_new);
    if (!is_new) fa_fatal("allocator returned a live block twice", p, size);
    e->val = size;
    fa->live_bytes += size;
    return p;
}

static void fa_free(void *ctx, void *p, size_t size)
{
    failalloc *fa = ctx;
    ref_entry *e = ref_find(&fa->live, (uint64_t)(uintptr_t)p);
    if (!e) fa_fatal("free of a block that is not live (double free or foreign pointer)", p, size);
    if (e->val != size) fa_fatal("free with a size other than the allocated one", p, size);
    ref_remove(&fa->live, (uint64_t)(uintptr_t)p);
    fa->live_bytes -= size;
    free(p);
}

void failalloc_init(failalloc *fa, uint64_t fail_at)
{
    memset(fa, 0, sizeof *fa);
    fa->a.alloc = fa_alloc;
    fa->a.free = fa_free;
    fa->a.ctx = fa;
    fa->fail_at = fail_at;
    ref_init(&fa->live);
}

void failalloc_destroy(failalloc *fa)
{
    /* Blocks still live are a leak; the caller checks live.len first. */
    for (size_t i = 0; i < fa->live.cap; i++)
        if (fa->live.slots[i].used) free((void *)(uintptr_t)fa->live.slots[i].id);
    ref_destroy(&fa->live);
}
