/* SPDX-License-Identifier: MIT */
/*
 * delete_lookup.c — delete a key, then look it up: the value is gone and the
 * lookup reports the key absent, yet the bucket that held it is still
 * allocated.  A Go 1.19 map never frees or shrinks anything on delete: the
 * slot only becomes a tombstone (tophash emptyOne/emptyRest) that a later
 * insert into the same chain may reuse.
 *
 * Run:    build/examples/delete_lookup
 * Trace it (from the repository root; BPF and LTTng need root):
 *   in-process recorder:
 *     HMAP_TRACE=/tmp/delete_lookup.hmtrace build/examples/delete_lookup
 *     bucketscope report /tmp/delete_lookup.hmtrace
 *   BPF recorder (USDT probes of libhmap.so):
 *     bucketscope record -o /tmp/delete_lookup.hmtrace -- build/examples/delete_lookup
 *     bucketscope report /tmp/delete_lookup.hmtrace
 *   LTTng-UST:
 *     lttng create; lttng enable-event -u 'hmap:*'; lttng start
 *     HMAP_LTTNG=1 build/examples/delete_lookup
 *     lttng stop; bucketscope report ~/lttng-traces/<session directory>
 *   bpftrace (event counts):
 *     bpftrace bpf/scripts/count.bt $PWD/build/libmap/libhmap.so   (then run the example)
 * In the trace: the inserts' growths free their old arrays (bucket_free, why
 * growth done); after that, the delete of key 42 is one tophash_write with
 * cause delete, and no bucket_free follows until map_destroy.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <hmap.h>

static void print_stats(const char *when, const hmap *m)
{
    hmap_stats s;
    hmap_get_stats(m, &s);
    printf("%-22s count %6" PRIu64 "  B %2u  buckets %5" PRIu64 "  overflow %4" PRIu64
           "  bytes_allocated %8" PRIu64 "  empty_slots %5" PRIu64 "\n",
           when, s.count, s.B, s.buckets, s.overflow_buckets, s.bytes_allocated, s.empty_slots);
}

int main(void)
{
    const uint64_t n = 1000, victim = 42;
    hmap *m = hmap_new(&hmap_type_u64, NULL);
    if (!m) {
        perror("hmap_new");
        return 1;
    }
    for (uint64_t k = 0; k < n; k++) {
        uint64_t v = k * 10;
        if (hmap_set(m, &k, &v) != 0) {
            perror("hmap_set");
            return 1;
        }
    }
    hmap_stats before, after;
    hmap_get_stats(m, &before);
    print_stats("after 1000 inserts:", m);

    const uint64_t *v = hmap_get(m, &victim);
    printf("lookup %" PRIu64 " before delete: %s (value %" PRIu64 ")\n", victim,
           v ? "present" : "absent", v ? *v : 0);
    bool was_there = hmap_delete(m, &victim);
    v = hmap_get(m, &victim);
    printf("delete %" PRIu64 ": %s\n", victim, was_there ? "removed" : "was not there");
    print_stats("after delete:", m);
    hmap_get_stats(m, &after);

    bool absent = v == NULL;
    bool still_allocated = after.bytes_allocated == before.bytes_allocated &&
                           after.buckets == before.buckets &&
                           after.overflow_buckets == before.overflow_buckets;
    printf("lookup after delete: %s\n", absent ? "absent" : "STILL PRESENT");
    printf("bucket memory after delete: %s (bytes_allocated %" PRIu64 " -> %" PRIu64
           ", one more empty slot: %s)\n",
           still_allocated ? "still allocated" : "CHANGED", before.bytes_allocated,
           after.bytes_allocated, after.empty_slots == before.empty_slots + 1 ? "yes" : "no");

    /* Delete everything: still nothing is returned to the allocator. */
    for (uint64_t k = 0; k < n; k++)
        hmap_delete(m, &k);
    print_stats("after deleting all:", m);
    hmap_get_stats(m, &after);
    printf("empty map holds %" PRIu64 " bytes (%s as when full)\n", after.bytes_allocated,
           after.bytes_allocated == before.bytes_allocated ? "the same" : "NOT the same");
    hmap_free(m);
    return absent && still_allocated ? 0 : 1;
}
