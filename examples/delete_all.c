/* SPDX-License-Identifier: MIT */
/*
 * delete_all.c — the question bucketscope started from: insert 1M uint64
 * keys, delete them all, and look at what the map still holds; then insert
 * 1M keys again.  In Go 1.19 (and in libhmap's GO policy) deleting never
 * shrinks the map: B, the bucket array and every overflow bucket stay, and
 * all their slots become empty.  Re-inserting reuses that memory.
 *
 * Run:    build/examples/delete_all [N]        (N keys, default 1000000)
 * Trace it (from the repository root; BPF and LTTng need root):
 *   in-process recorder:
 *     HMAP_TRACE=/tmp/delete_all.hmtrace build/examples/delete_all
 *     bucketscope report /tmp/delete_all.hmtrace
 *   BPF recorder (USDT probes of libhmap.so):
 *     bucketscope record -o /tmp/delete_all.hmtrace -- build/examples/delete_all
 *     bucketscope report /tmp/delete_all.hmtrace
 *   LTTng-UST:
 *     lttng create; lttng enable-event -u 'hmap:*'; lttng start
 *     HMAP_LTTNG=1 build/examples/delete_all
 *     lttng stop; bucketscope report ~/lttng-traces/<session directory>
 *   bpftrace (event counts):
 *     bpftrace bpf/scripts/count.bt $PWD/build/libmap/libhmap.so   (then run the example)
 * In the trace: after the inserts' growths, 1M deletes (tophash_write cause
 * delete) and no bucket_free until map_destroy; the report shows most deleted
 * slots reused by the re-inserts and the rest freed only with the map.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hmap.h>

static void print_header(void)
{
    printf("%-26s %3s %8s %8s %9s %15s %11s\n", "", "B", "count", "buckets", "overflow",
           "bytes_allocated", "empty_slots");
}

static void print_row(const char *phase, const hmap_stats *s)
{
    printf("%-26s %3u %8" PRIu64 " %8" PRIu64 " %9" PRIu64 " %15" PRIu64 " %11" PRIu64 "\n", phase,
           s->B, s->count, s->buckets, s->overflow_buckets, s->bytes_allocated, s->empty_slots);
}

static uint64_t key_of(uint64_t i)
{
    return i * 0x9e3779b97f4a7c15ull;
} /* distinct, spread */

static int insert_all(hmap *m, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        uint64_t k = key_of(i), v = i;
        if (hmap_set(m, &k, &v) != 0) return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t n = 1000000;
    if (argc > 2 || (argc == 2 && (sscanf(argv[1], "%" SCNu64, &n) != 1 || n == 0 ||
                                   strspn(argv[1], "0123456789") != strlen(argv[1])))) {
        fprintf(stderr, "usage: %s [N]   (N keys to insert and delete, N >= 1)\n", argv[0]);
        return 2;
    }
    hmap *m = hmap_new(&hmap_type_u64, NULL);
    if (!m) {
        perror("hmap_new");
        return 1;
    }
    hmap_stats empty, full, deleted, again;
    hmap_get_stats(m, &empty);
    if (insert_all(m, n) != 0) {
        perror("hmap_set");
        return 1;
    }
    hmap_get_stats(m, &full);
    for (uint64_t i = 0; i < n; i++) {
        uint64_t k = key_of(i);
        hmap_delete(m, &k);
    }
    hmap_get_stats(m, &deleted);
    if (insert_all(m, n) != 0) {
        perror("hmap_set");
        return 1;
    }
    hmap_get_stats(m, &again);

    print_header();
    print_row("new map", &empty);
    printf("\n");
    char phase[64];
    snprintf(phase, sizeof phase, "after %" PRIu64 " inserts", n);
    print_row(phase, &full);
    print_row("after deleting all", &deleted);
    snprintf(phase, sizeof phase, "after %" PRIu64 " re-inserts", n);
    print_row(phase, &again);

    bool kept = deleted.bytes_allocated == full.bytes_allocated && deleted.B == full.B;
    printf("\ndeleting all %" PRIu64 " keys: count %" PRIu64
           ", B %u -> %u, bytes_allocated %" PRIu64 " -> %" PRIu64 " (%s)\n",
           n, deleted.count, full.B, deleted.B, full.bytes_allocated, deleted.bytes_allocated,
           kept ? "nothing returned to the allocator" : "memory was returned");
    printf("re-inserting %" PRIu64 " keys: bytes_allocated %" PRIu64 " -> %" PRIu64
           " (%+.1f%%), B %u -> %u\n",
           n, deleted.bytes_allocated, again.bytes_allocated,
           100.0 * ((double)again.bytes_allocated - (double)deleted.bytes_allocated) /
               (double)deleted.bytes_allocated,
           deleted.B, again.B);
    hmap_free(m);
    return 0;
}
