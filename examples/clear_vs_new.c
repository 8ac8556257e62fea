/* SPDX-License-Identifier: MIT */
/*
 * clear_vs_new.c — emptying a map with hmap_clear (Go 1.21's clear(m), or
 * the Go 1.19 range-delete idiom) versus dropping it and making a new one.
 *
 *   clear    keeps B and the bucket array (zeroed, reused at the same size)
 *            and frees every individually allocated overflow bucket;
 *   new map  frees everything and starts again at B = 0, so refilling it
 *            grows (allocates and evacuates) all over again.
 *
 * Run:    build/examples/clear_vs_new
 * Trace it (from the repository root; BPF and LTTng need root):
 *   in-process recorder:
 *     HMAP_TRACE=/tmp/clear_vs_new.hmtrace build/examples/clear_vs_new
 *     bucketscope report /tmp/clear_vs_new.hmtrace
 *   BPF recorder (USDT probes of libhmap.so):
 *     bucketscope record -o /tmp/clear_vs_new.hmtrace -- build/examples/clear_vs_new
 *     bucketscope report /tmp/clear_vs_new.hmtrace
 *   LTTng-UST:
 *     lttng create; lttng enable-event -u 'hmap:*'; lttng start
 *     HMAP_LTTNG=1 build/examples/clear_vs_new
 *     lttng stop; bucketscope report ~/lttng-traces/<session directory>
 *   bpftrace (event counts):
 *     bpftrace bpf/scripts/count.bt $PWD/build/libmap/libhmap.so   (then run the example)
 * In the trace: at the clear, tophash_write cause clear for every slot,
 * overflow_unlink + bucket_free (why clear) for each overflow bucket, and
 * no bucket_array_alloc; for the new map, map_destroy with bucket_free (why
 * destroy) for everything, then a fresh series of grow_start/grow_done.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <hmap.h>

#define N 100000

static void print_row(const char *phase, const hmap_stats *s)
{
    printf("%-28s B %2u  count %6" PRIu64 "  buckets %6" PRIu64 "  overflow %5" PRIu64
           "  bytes_allocated %9" PRIu64 "\n",
           phase, s->B, s->count, s->buckets, s->overflow_buckets, s->bytes_allocated);
}

static hmap *new_map(void)
{
    hmap *m = hmap_new(&hmap_type_u64, NULL);
    if (!m) {
        perror("hmap_new");
        exit(1);
    }
    return m;
}

/* Inserts N keys; returns how many doublings that took (each adds 1 to B). */
static int fill(hmap *m, uint64_t salt)
{
    hmap_stats s;
    hmap_get_stats(m, &s);
    uint8_t B0 = s.B;
    for (uint64_t i = 0; i < N; i++) {
        uint64_t k = (i + salt) * 0x9e3779b97f4a7c15ull, v = i;
        if (hmap_set(m, &k, &v) != 0) {
            perror("hmap_set");
            exit(1);
        }
    }
    hmap_get_stats(m, &s);
    return s.B - B0;
}

int main(void)
{
    hmap_stats full, cleared, refilled, fresh, fresh_full;

    hmap *a = new_map();
    fill(a, 0);
    hmap_get_stats(a, &full);
    print_row("full (100000 entries):", &full);

    hmap_clear(a);
    hmap_get_stats(a, &cleared);
    print_row("after hmap_clear:", &cleared);
    int clear_doublings = fill(a, 1000000);
    hmap_get_stats(a, &refilled);
    print_row("cleared map refilled:", &refilled);

    hmap_free(a);
    hmap *b = new_map();
    hmap_get_stats(b, &fresh);
    print_row("new map instead:", &fresh);
    int new_doublings = fill(b, 1000000);
    hmap_get_stats(b, &fresh_full);
    print_row("new map refilled:", &fresh_full);
    hmap_free(b);

    printf("\nclear: B %s (%u), bucket array kept (%" PRIu64 " buckets), %" PRIu64
           " overflow buckets freed, %" PRIu64 " bytes freed, %" PRIu64 " bytes kept\n",
           cleared.B == full.B ? "unchanged" : "CHANGED", cleared.B, cleared.buckets,
           full.overflow_buckets - cleared.overflow_buckets,
           full.bytes_allocated - cleared.bytes_allocated, cleared.bytes_allocated);
    printf("new map: starts at B %u with %" PRIu64 " bytes\n", fresh.B, fresh.bytes_allocated);
    printf("refilling: the cleared map doubled %d times, the new map %d times\n", clear_doublings,
           new_doublings);
    return cleared.B == full.B && cleared.count == 0 && cleared.overflow_buckets == 0 ? 0 : 1;
}
