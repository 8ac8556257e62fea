/* SPDX-License-Identifier: MIT */
/*
 * bench_common.h — what the three benchmark programs (libhmap in C, Abseil in
 * C++, Go) must agree on so their numbers can sit in one table: the keys, the
 * workloads, the repetition rule and the output line.  The Go program
 * (go/main.go) re-implements exactly this; keep the two in step.
 *
 * Keys: splitmix64 from seed BENCH_SEED.  For N entries the programs draw 2N
 * values: the first N are inserted ("present"), the next N are never inserted
 * before the churn workload ("absent", used for lookup misses and as the
 * fresh keys of churn).  String keys are the 16 lowercase hex digits of the
 * same values, so the u64 and string rows use the same key population.
 *
 * Output (one line per measurement, space-separated key=value):
 *   bench impl=I keys=K op=O n=N runs=R ns_med=X ns_min=X ns_max=X
 *   mem impl=I keys=K n=N bytes_per_entry=X bytes_after_delete=X
 * ns values are nanoseconds of process CPU time per operation; bytes_per_entry is what
 * the map holds from its allocator after N inserts (no hint) divided by N;
 * bytes_after_delete is what it still holds after deleting every key.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_SEED 0x9e3779b97f4a7c15ull
#define BENCH_STR_LEN 16
/* Each timed workload stays a function of its own, so that a profile or
 * `valgrind --tool=callgrind --toggle-collect='run_iterate*'` counts exactly
 * one workload's instructions (docs/benchmarks.md, "Reproducing one row"). */
#define BENCH_NOINLINE __attribute__((noinline))
/* Small maps are timed over repeated passes until at least this many
 * operations ran, so one run lasts long enough for the clock. */
#define BENCH_MIN_OPS 1000000ull

/* The workloads, in table order. */
#define BENCH_OPS(X)                                                                               \
    X(insert, "insert N, no hint")                                                                 \
    X(insert_hint, "insert N, hint N")                                                             \
    X(lookup_hit, "lookup, key present")                                                           \
    X(lookup_miss, "lookup, key absent")                                                           \
    X(delete_all, "delete every key")                                                              \
    X(churn, "delete 1 + insert 1, size N")                                                        \
    X(iterate, "iterate, per entry")                                                               \
    X(small, "small map: create + N inserts + N lookups + free, ns per map")                       \
    X(many, "10^5 maps of N entries live at once: one lookup per map, ns per lookup")

/* Only with --only: the small-map rows run at N = 1, 8, 64 (bench.sh), and
 * mapmem measures several N at once. */
#define BENCH_MANY_MAPS 100000
static const size_t bench_mapmem_n[] = {0, 1, 8, 9, 64, 1000};
#define BENCH_MAPMEM_KEYS 1000 /* mapmem needs --n 1000: the keys it uses */
static inline size_t bench_mapmem_maps(size_t n)
{
    return n >= 1000 ? 200 : 10000;
}

static inline uint64_t splitmix64_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* 2n keys as described above; the caller frees. */
static inline uint64_t *bench_u64_keys(size_t n)
{
    uint64_t *k = (uint64_t *)malloc(2 * n * sizeof *k);
    uint64_t s = BENCH_SEED;
    if (!k) {
        perror("bench: keys");
        exit(1);
    }
    for (size_t i = 0; i < 2 * n; i++)
        k[i] = splitmix64_next(&s);
    return k;
}

/* The 16-byte string form of each u64 key, packed back to back (no NUL). */
static inline char *bench_str_bytes(const uint64_t *k, size_t count)
{
    static const char hex[] = "0123456789abcdef";
    char *b = (char *)malloc(count * BENCH_STR_LEN);
    if (!b) {
        perror("bench: string keys");
        exit(1);
    }
    for (size_t i = 0; i < count; i++)
        for (int d = 0; d < BENCH_STR_LEN; d++)
            b[i * BENCH_STR_LEN + d] = hex[(k[i] >> (60 - 4 * d)) & 15];
    return b;
}

/* CPU time of the whole process in ns (CLOCK_PROCESS_CPUTIME_ID; the Go
 * program uses the same clock, so its GC threads count).  On a shared machine
 * time spent descheduled does not count, unlike wall time. */
static inline uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Keys a lookup pass touches, and churn steps per pass: all N, or only
 * BENCH_MIN_OPS of them for bigger maps (the hash spreads those over the
 * whole map, so they see its cache behaviour) to keep `make bench` short. */
static inline size_t bench_span(size_t n)
{
    return n < BENCH_MIN_OPS ? n : (size_t)BENCH_MIN_OPS;
}

/* Passes over N keys needed to reach BENCH_MIN_OPS operations. */
static inline size_t bench_passes(size_t n)
{
    return n >= BENCH_MIN_OPS ? 1 : (size_t)((BENCH_MIN_OPS + n - 1) / n);
}

static int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of v[0..n) (n > 0); sorts v in place. */
static inline double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, bench_cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Prints one bench line; sorts ns[] in place to take the median. */
static inline void bench_report(const char *impl, const char *keys, const char *op, size_t n,
                                double *ns, int runs)
{
    double med = bench_median(ns, runs);
    printf("bench impl=%s keys=%s op=%s n=%zu runs=%d ns_med=%.2f ns_min=%.2f ns_max=%.2f\n", impl,
           keys, op, n, runs, med, ns[0], ns[runs - 1]);
    fflush(stdout);
}

/* Bytes one map of n entries holds, averaged over many maps. */
static inline void bench_report_mapmem(const char *impl, const char *keys, size_t n, double per_map)
{
    printf("mapmem impl=%s keys=%s n=%zu bytes_per_map=%.1f\n", impl, keys, n, per_map);
    fflush(stdout);
}

static inline void bench_report_mem(const char *impl, const char *keys, size_t n, double held,
                                    double after_delete)
{
    printf("mem impl=%s keys=%s n=%zu bytes_per_entry=%.2f bytes_after_delete=%.0f\n", impl, keys,
           n, held / (double)n, after_delete);
    fflush(stdout);
}

/* Command line shared by the programs: --keys u64|str --n N --runs R. */
struct bench_args {
    int str_keys;
    size_t n;
    int runs;
    const char *only; /* --only OP: run just that workload (or "mem"), for profiling */
};

static inline void bench_usage(const char *prog)
{
    fprintf(stderr,
            "usage: %s --keys u64|str --n N --runs R [--only OP|mem]   (N >= 1, 1 <= R <= 100)\n",
            prog);
    exit(2);
}

static inline struct bench_args bench_parse_args(int argc, char **argv)
{
    struct bench_args a = {0, 0, 0, NULL};
    for (int i = 1; i < argc; i += 2) { /* --flag value pairs */
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (!v) bench_usage(argv[0]);
        if (!strcmp(argv[i], "--keys")) {
            if (!strcmp(v, "u64"))
                a.str_keys = 0;
            else if (!strcmp(v, "str"))
                a.str_keys = 1;
            else
                bench_usage(argv[0]);
        } else if (!strcmp(argv[i], "--n")) {
            unsigned long long x = strtoull(v, &end, 10);
            if (*v == '-' || *end || x == 0 || x > (1ull << 32)) bench_usage(argv[0]);
            a.n = (size_t)x;
        } else if (!strcmp(argv[i], "--only")) {
            a.only = v;
        } else if (!strcmp(argv[i], "--runs")) {
            long x = strtol(v, &end, 10);
            if (*end || x < 1 || x > 100) bench_usage(argv[0]);
            a.runs = (int)x;
        } else {
            bench_usage(argv[0]);
        }
    }
    if (a.n == 0 || a.runs == 0) bench_usage(argv[0]);
    if (a.only) {
#define BENCH_OP_NAME_(name, desc) #name,
        static const char *const names[] = {BENCH_OPS(BENCH_OP_NAME_) "mem", "mapmem"};
#undef BENCH_OP_NAME_
        int known = 0;
        for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
            known |= !strcmp(names[k], a.only);
        if (!known) bench_usage(argv[0]);
    }
    return a;
}

/* Whether workload `op` (or "mem") runs: all of them unless --only named
 * one; small, many and mapmem run only when named. */
static inline int bench_wants(const struct bench_args *a, const char *op)
{
    if (!strcmp(op, "small") || !strcmp(op, "many") || !strcmp(op, "mapmem"))
        return a->only && !strcmp(a->only, op);
    return !a->only || !strcmp(a->only, op);
}

#endif /* BENCH_COMMON_H */
