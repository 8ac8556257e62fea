/* SPDX-License-Identifier: MIT */
/*
 * bench_lttng_bare.c — ns per bare LTTng-UST event (bench_lttng_tp.h) in a
 * tight loop, the same way lttng-ust users write it:
 *     lttng_ust_tracepoint(hmap_bench, bare, ...)
 * Prints   ns_per_event <float> events <n>   (run it inside a session that
 * enables hmap_bench:*, or without one for the disabled cost).
 */
#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#define LTTNG_UST_TRACEPOINT_DEFINE
#include "bench_lttng_tp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv)
{
    unsigned long n = 2000000;
    if (argc == 3 && strcmp(argv[1], "--events") == 0)
        n = strtoul(argv[2], NULL, 10);
    else if (argc != 1) {
        fprintf(stderr, "usage: %s [--events N]\n", argv[0]);
        return 2;
    }
    static unsigned char buckets[1 << 16];
    struct timespec a, b;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a); /* CPU time: see bench_probes.c */
    for (unsigned long i = 0; i < n; i++)
        lttng_ust_tracepoint(hmap_bench, bare, buckets, buckets + (i & 0xff80), (uint8_t)(i & 7),
                             (uint8_t)i, (uint8_t)(i >> 8), 0);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
    double ns = (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
    printf("ns_per_event %.3f events %lu\n", ns / (double)n, n);
    return 0;
}
