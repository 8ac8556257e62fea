/* SPDX-License-Identifier: MIT */
/*
 * policies.c — example 7: the same workload under the three reclaim
 * policies, GO (Go 1.19 exactly), EAGER (emptied overflow buckets freed at
 * once) and SHRINK (EAGER plus an incremental B-1 growth when sparse).
 *
 * What it shows: with GO, deleted entries leave their memory allocated until
 * a growth happens to move it, which after "delete 90 %" never comes; EAGER
 * returns overflow buckets; SHRINK returns the arrays themselves.
 *
 *   policies WORKLOAD POLICY [N] [--trace FILE]   run one workload, print stats
 *   policies churn-bench [N] [RUNS]               churn throughput, 3 policies
 *                                                 interleaved in one process
 * WORKLOAD: delete-all | delete-90 | churn | grow-shrink;  POLICY: go | eager | shrink
 * N: entries (default 1000000; churn uses N/10 live entries, 5k+5k per tick).
 *
 * The numbers in docs/reclaim.md come from scripts/policies.sh, which traces
 * each run with the in-process recorder (--trace) and reads the trace back
 * with `bucketscope report` — not from counters in the library.  By hand:
 *   in-process:  ./policies delete-90 shrink --trace /tmp/p.hmtrace
 *                bucketscope report /tmp/p.hmtrace
 *   BPF:         bucketscope record -o /tmp/p.hmtrace -- ./policies delete-90 go
 *   lttng:       lttng create p; lttng enable-event -u 'hmap:*'; lttng start
 *                HMAP_LTTNG=1 ./policies delete-90 eager; lttng stop
 *                bucketscope report ~/lttng-traces/p-*
 *   bpftrace:    bpftrace bpf/scripts/count.bt $PWD/build/libmap/libhmap.so
 * The trace stops before the map is destroyed, so what the map still holds
 * shows up as retained (censored) deletes and final bytes held.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hmap.h"
#include "hmap_trace.h"

static hmap_reclaim parse_policy(const char *s)
{
    if (!strcmp(s, "go")) return HMAP_RECLAIM_GO;
    if (!strcmp(s, "eager")) return HMAP_RECLAIM_EAGER;
    if (!strcmp(s, "shrink")) return HMAP_RECLAIM_SHRINK;
    return (hmap_reclaim)-1;
}
static const char *policy_name[] = {"go", "eager", "shrink"};

/* Keys are a bijection of 0..n-1 so that deletes hit random buckets. */
static uint64_t key(uint64_t i)
{
    return i * 0x9e3779b97f4a7c15ull;
}

static void must(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "policies: %s failed\n", what);
        exit(1);
    }
}

static void insert_range(hmap *m, uint64_t lo, uint64_t hi)
{
    for (uint64_t i = lo; i < hi; i++) {
        uint64_t k = key(i);
        must(hmap_set(m, &k, &i) == 0, "insert");
    }
}
static void delete_range(hmap *m, uint64_t lo, uint64_t hi)
{
    for (uint64_t i = lo; i < hi; i++) {
        uint64_t k = key(i);
        must(hmap_delete(m, &k), "delete");
    }
}

/* Steady churn at constant size: each tick deletes the oldest keys and
 * inserts as many new ones, 5k + 5k per tick (the seed's workload) when the
 * map holds at least 20k entries. */
static void churn(hmap *m, uint64_t live, int ticks)
{
    uint64_t per = live / 4 < 5000 ? live / 4 : 5000;
    insert_range(m, 0, live);
    for (uint64_t t = 0; t < (uint64_t)ticks; t++) {
        delete_range(m, t * per, t * per + per);
        insert_range(m, live + t * per, live + t * per + per);
    }
}

static void run(hmap *m, const char *w, uint64_t n)
{
    if (!strcmp(w, "delete-all")) {
        insert_range(m, 0, n);
        delete_range(m, 0, n);
    } else if (!strcmp(w, "delete-90")) {
        insert_range(m, 0, n);
        delete_range(m, 0, n - n / 10);
    } else if (!strcmp(w, "churn")) {
        churn(m, n / 10, 200);
    } else if (!strcmp(w, "grow-shrink")) {
        /* Cycles between n/5 and n/500 entries. */
        for (int c = 0; c < 5; c++) {
            insert_range(m, (uint64_t)c * n, (uint64_t)c * n + n / 5);
            delete_range(m, (uint64_t)c * n, (uint64_t)c * n + n / 5 - n / 500);
        }
    } else {
        fprintf(stderr, "policies: unknown workload '%s'\n", w);
        exit(2);
    }
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Churn throughput of the three policies, interleaved so that machine noise
 * hits them alike; medians and spread of RUNS runs, ratio to GO. */
static int churn_bench(uint64_t n, int runs)
{
    double t[3][64];
    uint64_t per = n / 40 < 5000 ? n / 40 : 5000;
    uint64_t ops = n / 10 + 200ull * 2 * per;
    if (runs > 64) runs = 64;
    for (int r = 0; r < runs; r++) {
        for (int p = 0; p < 3; p++) {
            hmap_options o = {.seed = 1, .reclaim = (hmap_reclaim)p};
            hmap *m = hmap_new(&hmap_type_u64, &o);
            must(m != NULL, "hmap_new");
            double t0 = now_s();
            churn(m, n / 10, 200);
            t[p][r] = (now_s() - t0) * 1e9 / (double)ops;
            hmap_free(m);
        }
    }
    double med[3];
    for (int p = 0; p < 3; p++) {
        qsort(t[p], (size_t)runs, sizeof(double), cmp_double);
        med[p] = t[p][runs / 2];
        printf("churn %-6s %.1f ns/op (min %.1f, max %.1f) throughput vs go %.3f\n", policy_name[p],
               med[p], t[p][0], t[p][runs - 1], med[0] / med[p]);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "churn-bench")) {
        uint64_t n = argc > 2 ? strtoull(argv[2], NULL, 10) : 1000000;
        int runs = argc > 3 ? atoi(argv[3]) : 5;
        return churn_bench(n, runs < 1 ? 1 : runs);
    }
    if (argc < 3 || (int)parse_policy(argv[2]) < 0) {
        fprintf(stderr, "usage: policies WORKLOAD go|eager|shrink [N] [--trace FILE]\n"
                        "       policies churn-bench [N] [RUNS]\n");
        return 2;
    }
    uint64_t n = 1000000;
    const char *trace = NULL;
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "--trace") && i + 1 < argc)
            trace = argv[++i];
        else
            n = strtoull(argv[i], NULL, 10);
    }
    if (n < 1000) {
        fprintf(stderr, "policies: N must be at least 1000\n");
        return 2;
    }
    if (trace && hmap_trace_start(trace) != 0) {
        fprintf(stderr, "policies: cannot record to %s\n", trace);
        return 1;
    }
    hmap_options o = {.seed = 1, .reclaim = parse_policy(argv[2])};
    hmap *m = hmap_new(&hmap_type_u64, &o);
    must(m != NULL, "hmap_new");
    run(m, argv[1], n);
    if (trace && hmap_trace_stop() != 0) fprintf(stderr, "policies: the trace lost events\n");
    hmap_stats s;
    hmap_get_stats(m, &s);
    printf("%s %s: count %llu B %u bytes_allocated %llu overflow_buckets %llu empty_slots %llu\n",
           argv[1], argv[2], (unsigned long long)s.count, s.B,
           (unsigned long long)s.bytes_allocated, (unsigned long long)s.overflow_buckets,
           (unsigned long long)s.empty_slots);
    hmap_free(m);
    return 0;
}
