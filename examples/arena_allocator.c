/* SPDX-License-Identifier: MIT */
/*
 * arena_allocator.c — libhmap with an arena allocator plugged in through
 * hmap_options.allocator.  The arena hands out memory by bumping a pointer
 * and ignores frees; it gives memory back to the system only when it is
 * reset.  So the map's bucket frees (old arrays after growth, overflow
 * buckets at clear, everything at hmap_free) happen *logically* — they are
 * in the trace as bucket_free events and in hmap_stats.bytes_allocated — but
 * the process keeps the bytes until arena_reset().  A delete-to-free report
 * therefore measures when the map let go, not when the memory left the
 * process: with an arena the second moment is the reset.
 *
 * Run:    build/examples/arena_allocator
 * Trace it (from the repository root; BPF and LTTng need root):
 *   in-process recorder:
 *     HMAP_TRACE=/tmp/arena_allocator.hmtrace build/examples/arena_allocator
 *     bucketscope report /tmp/arena_allocator.hmtrace
 *   BPF recorder (USDT probes of libhmap.so):
 *     bucketscope record -o /tmp/arena_allocator.hmtrace -- build/examples/arena_allocator
 *     bucketscope report /tmp/arena_allocator.hmtrace
 *   LTTng-UST:
 *     lttng create; lttng enable-event -u 'hmap:*'; lttng start
 *     HMAP_LTTNG=1 build/examples/arena_allocator
 *     lttng stop; bucketscope report ~/lttng-traces/<session directory>
 *   bpftrace (event counts):
 *     bpftrace bpf/scripts/count.bt $PWD/build/libmap/libhmap.so   (then run the example)
 * In the trace: bucket_free events at every growth, at the clear and at
 * map_destroy, while the arena's footprint printed here only ever grows.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include <hmap.h>

/* A bump arena over one anonymous mapping.  Fresh pages are zero, and the
 * arena never reuses memory before reset, so every allocation is zeroed as
 * hmap_allocator requires. */
struct arena {
    char *base;
    size_t cap, used;
    uint64_t logical_frees, logically_freed; /* what the map gave back */
};

static void *arena_alloc(void *ctx, size_t size, size_t align)
{
    struct arena *a = ctx;
    size_t start = (a->used + align - 1) & ~(align - 1);
    if (start > a->cap || size > a->cap - start) return NULL; /* the map reports ENOMEM */
    a->used = start + size;
    return a->base + start;
}

static void arena_free(void *ctx, void *p, size_t size)
{
    struct arena *a = ctx;
    (void)p;
    a->logical_frees++;
    a->logically_freed += size;
}

static int arena_init(struct arena *a, size_t cap)
{
    a->base =
        mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (a->base == MAP_FAILED) return -1;
    a->cap = cap;
    a->used = a->logical_frees = a->logically_freed = 0;
    return 0;
}

/* Gives every page back to the kernel; the next allocation starts at 0. */
static size_t arena_reset(struct arena *a)
{
    size_t returned = a->used;
    madvise(a->base, a->cap, MADV_DONTNEED); /* pages read back as zero */
    a->used = 0;
    return returned;
}

static void print_row(const char *phase, const hmap_stats *s, const struct arena *a)
{
    printf("%-24s map bytes_allocated %9" PRIu64 "   arena holds %9zu   freed by the map %9" PRIu64
           " (%" PRIu64 " frees)\n",
           phase, s ? s->bytes_allocated : 0, a->used, a->logically_freed, a->logical_frees);
}

int main(void)
{
    struct arena arena;
    if (arena_init(&arena, (size_t)256 << 20) != 0) {
        perror("mmap");
        return 1;
    }
    hmap_allocator alloc = {arena_alloc, arena_free, &arena};
    hmap_options opts = {.allocator = &alloc};
    hmap *m = hmap_new(&hmap_type_u64, &opts);
    if (!m) {
        perror("hmap_new");
        return 1;
    }
    hmap_stats s;
    for (uint64_t i = 0; i < 200000; i++) {
        uint64_t k = i * 0x9e3779b97f4a7c15ull;
        if (hmap_set(m, &k, &i) != 0) {
            perror("hmap_set");
            return 1;
        }
    }
    hmap_get_stats(m, &s);
    print_row("200000 inserts:", &s, &arena);
    for (uint64_t i = 0; i < 100000; i++) {
        uint64_t k = i * 0x9e3779b97f4a7c15ull;
        hmap_delete(m, &k);
    }
    hmap_get_stats(m, &s);
    print_row("100000 deletes:", &s, &arena);
    hmap_clear(m);
    hmap_get_stats(m, &s);
    print_row("hmap_clear:", &s, &arena);
    hmap_free(m);
    print_row("hmap_free:", NULL, &arena);

    size_t held = arena.used;
    uint64_t freed = arena.logically_freed;
    size_t returned = arena_reset(&arena);
    printf("\narena: the map freed %" PRIu64 " bytes logically in %" PRIu64
           " frees; the arena still held %zu bytes until reset\n",
           freed, arena.logical_frees, held);
    printf("arena_reset returned %zu bytes to the system\n", returned);
    munmap(arena.base, arena.cap);
    return freed > 0 && freed <= held && returned == held ? 0 : 1;
}
