/* SPDX-License-Identifier: MIT */
/*
 * bench_report_mem_latency — what one random cache-line load costs on this
 * machine, by working-set size: the floor under an engine that touches a
 * random allocation record, bucket state or delete-time block per event
 * (docs/report.md, "What bounds the engine").
 *
 *   bench_report_mem_latency [MAX_MIB]
 *
 * For each size from 32 KiB to MAX_MIB (default 256) MiB: the lines of the
 * set are linked in one random cycle, and
 *   - latency: one chain is followed (each load needs the one before):
 *     ns per load with nothing to overlap;
 *   - 4, 8, 16 chains: that many chains through the same cycle are followed
 *     at once (independent loads, as a perfect software pipeline would issue
 *     them): ns per load when the core overlaps as many misses as it can.
 * Median of 5 timed passes; the set is walked once before timing.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench_common.h" /* bench_median */
#include "xorshift.h"

#define LINE 64
#define CHAINS 16

static volatile uintptr_t sink;

struct line {
    struct line *next;
    char pad[LINE - sizeof(struct line *)];
};

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* One random cycle through all n lines (Sattolo's shuffle). */
static void link_cycle(struct line *v, size_t n)
{
    static uint64_t rng = 88172645463325252ull;
    size_t *perm = malloc(n * sizeof *perm);
    if (!perm) {
        fprintf(stderr, "bench_report_mem_latency: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = xorshift64(&rng) % i, t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (size_t i = 0; i < n; i++)
        v[perm[i]].next = &v[perm[(i + 1) % n]];
    free(perm);
}

/* ns per load over `loads` loads, following `chains` chains at once. */
static double walk(struct line *v, size_t n, size_t loads, int chains)
{
    struct line *p[CHAINS];
    for (int c = 0; c < chains; c++)
        p[c] = &v[(n / chains) * c];
    size_t steps = loads / chains;
    double t0 = now_ns();
    for (size_t i = 0; i < steps; i++)
        for (int c = 0; c < chains; c++)
            p[c] = p[c]->next;
    double t = now_ns() - t0;
    /* the chains' ends are stored, so the loads cannot be dropped */
    for (int c = 0; c < chains; c++)
        sink ^= (uintptr_t)p[c];
    return t / (double)(steps * chains);
}

static double median_walk(struct line *v, size_t n, size_t loads, int chains)
{
    double r[5];
    walk(v, n, n, chains);
    for (int i = 0; i < 5; i++)
        r[i] = walk(v, n, loads, chains);
    return bench_median(r, 5);
}

int main(int argc, char **argv)
{
    size_t max_mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 256;
    if (!max_mib) {
        fprintf(stderr, "usage: bench_report_mem_latency [MAX_MIB]\n");
        return 2;
    }
    printf("| working set | 1 chain (latency) | 4 chains | 8 chains | 16 chains |\n");
    printf("| ---: | ---: | ---: | ---: | ---: |\n");
    for (size_t kib = 32; kib <= max_mib * 1024; kib *= 2) {
        size_t n = kib * 1024 / LINE;
        struct line *v = aligned_alloc(LINE, n * LINE);
        if (!v) {
            fprintf(stderr, "bench_report_mem_latency: out of memory for %zu KiB\n", kib);
            return 1;
        }
        link_cycle(v, n);
        size_t loads = 4u << 20;
        if (kib < 1024)
            printf("| %zu KiB |", kib);
        else
            printf("| %zu MiB |", kib / 1024);
        for (int chains = 1; chains <= CHAINS; chains *= chains == 1 ? 4 : 2)
            printf(" %.1f |", median_walk(v, n, loads, chains));
        printf("\n");
        fflush(stdout);
        free(v);
    }
    return 0;
}
