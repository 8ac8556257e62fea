/* SPDX-License-Identifier: MIT */
/*
 * churn.c — a map of constant size under high-frequency churn: every tick
 * deletes the 5000 oldest keys and inserts 5000 new ones, for a fixed number
 * of ticks.  How long does the memory of a deleted key stay resident?
 *
 * In Go 1.19 nothing is freed on delete.  A new key reuses a tombstone only
 * if it hashes to the same chain; otherwise it may need an overflow bucket.
 * Overflow buckets pile up until a same-size growth (triggered by the
 * overflow count, docs/go-map-model.md §6.3) copies the live entries into a fresh
 * array and the old one, with its chains, is freed.  With 100000 live keys
 * (B = 14) the overflow count reaches 2^14 after about 200 ticks.  (Smaller
 * maps churned this hard approach their threshold much more slowly: deleted
 * slots in overflow buckets get reused.)  The table shows B, the overflow
 * buckets and the bytes held every 10 ticks; the trace shows each deleted
 * slot's fate (reused, freed by a growth, or still retained at the end).
 *
 * Run:    build/examples/churn [TICKS [LIVE]]   (default 250 ticks, 100000 live keys)
 * Trace it (from the repository root; BPF and LTTng need root):
 *   in-process recorder:
 *     HMAP_TRACE=/tmp/churn.hmtrace build/examples/churn
 *     bucketscope report /tmp/churn.hmtrace
 *   BPF recorder (USDT probes of libhmap.so):
 *     bucketscope record -o /tmp/churn.hmtrace -- build/examples/churn
 *     bucketscope report /tmp/churn.hmtrace
 *   LTTng-UST:
 *     lttng create; lttng enable-event -u 'hmap:*'; lttng start
 *     HMAP_LTTNG=1 build/examples/churn
 *     lttng stop; bucketscope report ~/lttng-traces/<session directory>
 *   bpftrace (event counts):
 *     bpftrace bpf/scripts/count.bt $PWD/build/libmap/libhmap.so   (then run the example)
 * `make demo` runs this example under the best recorder available.  The
 * default run makes ~180 MB of trace with the in-process recorder.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hmap.h>

#define PER_TICK 5000

/* Key number i: distinct for every i, spread over the whole 64-bit range. */
static uint64_t key_of(uint64_t i)
{
    return i * 0x9e3779b97f4a7c15ull + 1;
}

/* A decimal count in 1..max, digits only. */
static bool parse_count(const char *s, unsigned long max, unsigned long *out)
{
    if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 9) return false;
    *out = strtoul(s, NULL, 10);
    return *out >= 1 && *out <= max;
}

static void print_row(unsigned long tick, const hmap_stats *s, int same_size_grows)
{
    printf("%5lu %7" PRIu64 " %3u %8" PRIu64 " %9" PRIu64 " %15" PRIu64 " %11" PRIu64 " %8s %5d\n",
           tick, s->count, s->B, s->buckets, s->overflow_buckets, s->bytes_allocated,
           s->empty_slots, s->growing ? (s->same_size_grow ? "same" : "double") : "-",
           same_size_grows);
}

int main(int argc, char **argv)
{
    unsigned long ticks = 250, live = 100000; /* live: keys in the map throughout */
    if (argc > 3 || (argc > 1 && !parse_count(argv[1], 100000, &ticks)) ||
        (argc > 2 && !parse_count(argv[2], 100000000, &live)) || live < PER_TICK) {
        fprintf(stderr,
                "usage: %s [TICKS [LIVE]]   (TICKS 1..100000, default 250; "
                "LIVE %d..100000000, default 100000)\n",
                argv[0], PER_TICK);
        return 2;
    }
    hmap *m = hmap_new(&hmap_type_u64, NULL);
    if (!m) {
        perror("hmap_new");
        return 1;
    }
    uint64_t oldest = 0, next = 0;
    for (; next < live; next++) {
        uint64_t k = key_of(next);
        if (hmap_set(m, &k, &next) != 0) {
            perror("hmap_set");
            return 1;
        }
    }
    hmap_stats s, start;
    hmap_get_stats(m, &start);
    uint64_t max_bytes = start.bytes_allocated, min_bytes = start.bytes_allocated;
    int same_size_grows = 0;
    bool was_same_size = false;
    printf("%5s %7s %3s %8s %9s %15s %11s %8s %5s\n", "tick", "count", "B", "buckets", "overflow",
           "bytes_allocated", "empty_slots", "growing", "ssg");
    print_row(0, &start, 0);

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (unsigned long t = 1; t <= ticks; t++) {
        for (int i = 0; i < PER_TICK; i++, oldest++) {
            uint64_t k = key_of(oldest);
            if (!hmap_delete(m, &k)) {
                fprintf(stderr, "churn: key number %" PRIu64 " missing\n", oldest);
                return 1;
            }
        }
        for (int i = 0; i < PER_TICK; i++, next++) {
            uint64_t k = key_of(next);
            if (hmap_set(m, &k, &next) != 0) {
                perror("hmap_set");
                return 1;
            }
            /* Count same-size growths as they start.  hmap_get_stats walks
             * every bucket, so sample it every 256 inserts. */
            if ((i & 255) == 0) {
                hmap_get_stats(m, &s);
                if (s.same_size_grow && !was_same_size) same_size_grows++;
                was_same_size = s.same_size_grow;
            }
        }
        hmap_get_stats(m, &s);
        if (s.bytes_allocated > max_bytes) max_bytes = s.bytes_allocated;
        if (s.bytes_allocated < min_bytes) min_bytes = s.bytes_allocated;
        if (t % 10 == 0 || t == ticks) print_row(t, &s, same_size_grows);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

    hmap_get_stats(m, &s);
    printf("\nchurn: %lu ticks of %d deletes + %d inserts in %.2f s; count constant at %" PRIu64
           "\n",
           ticks, PER_TICK, PER_TICK, secs, s.count);
    printf("bucket memory: %" PRIu64 " bytes at start, %" PRIu64 "..%" PRIu64
           " during churn, %" PRIu64 " at the end (%.1f bytes per live entry)\n",
           start.bytes_allocated, min_bytes, max_bytes, s.bytes_allocated,
           (double)s.bytes_allocated / (double)s.count);
    printf("B %u -> %u; overflow buckets %" PRIu64 " -> %" PRIu64
           "; same-size growths seen (sampled): %d\n",
           start.B, s.B, start.overflow_buckets, s.overflow_buckets, same_size_grows);
    hmap_free(m);
    return s.count == live ? 0 : 1;
}
