/* SPDX-License-Identifier: MIT */
/*
 * bench_probes.c — cost of the probes on an insert/delete churn workload.
 *
 * A u64 map holds `live` keys; each iteration deletes the oldest key and
 * inserts a new one (two operations).  After a warm-up of one full turnover
 * the timed loop runs `ops` operations and prints
 *     ns_per_op <float> ops <n>
 * The probe configuration is chosen from outside: which libhmap build is
 * loaded (probes compiled in or out), HMAP_TRACE, HMAP_LTTNG with a session,
 * or bpftrace attached; --record FILE runs the in-process recorder around
 * the timed loop only (so FILE holds exactly the timed events).  run.sh
 * drives it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hmap.h"
#include "hmap_trace.h"

/* CPU time of this thread (user + system, so uprobe traps count too): on a
 * shared, oversubscribed machine wall time mostly measures the neighbours. */
static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    uint64_t ops = 2000000, live = 4096;
    const char *record = NULL;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "--ops") == 0)
            ops = strtoull(argv[++i], NULL, 10);
        else if (i + 1 < argc && strcmp(argv[i], "--live") == 0)
            live = strtoull(argv[++i], NULL, 10);
        else if (i + 1 < argc && strcmp(argv[i], "--record") == 0)
            record = argv[++i];
        else {
            fprintf(stderr, "usage: %s [--ops N] [--live K] [--record FILE]\n", argv[0]);
            return 2;
        }
    }
    if (ops < 2 || live < 1) {
        fprintf(stderr, "usage: %s [--ops N>=2] [--live K>=1]\n", argv[0]);
        return 2;
    }
    hmap_options o = {.seed = 7, .hint = live};
    hmap *m = hmap_new(&hmap_type_u64, &o);
    if (!m) return 1;
    uint64_t lo = 0, hi = 0;
    while (hi < live) {
        hmap_set(m, &hi, &hi);
        hi++;
    }
    for (uint64_t i = 0; i < live; i++, lo++, hi++) { /* warm-up turnover */
        hmap_delete(m, &lo);
        hmap_set(m, &hi, &hi);
    }
    if (record && hmap_trace_start(record) != 0) {
        fprintf(stderr, "bench_probes: cannot record to %s\n", record);
        return 1;
    }
    double t0 = now_ns();
    for (uint64_t i = 0; i < ops / 2; i++, lo++, hi++) {
        hmap_delete(m, &lo);
        hmap_set(m, &hi, &hi);
    }
    double t1 = now_ns();
    if (record && hmap_trace_stop() != 0) {
        fprintf(stderr, "bench_probes: the recorder lost events\n");
        return 1;
    }
    if (hmap_len(m) != live) {
        fprintf(stderr, "bench_probes: map length %zu, expected %llu\n", hmap_len(m),
                (unsigned long long)live);
        return 1;
    }
    hmap_free(m);
    printf("ns_per_op %.3f ops %llu\n", (t1 - t0) / (double)(ops / 2 * 2),
           (unsigned long long)(ops / 2 * 2));
    return 0;
}
