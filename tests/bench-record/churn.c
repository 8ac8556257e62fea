/* SPDX-License-Identifier: MIT */
/*
 * churn.c — the traced program of the recorder benchmark: THREADS threads,
 * each with its own u64 -> u64 map of fixed seed, doing OPS insert+delete
 * pairs on a sliding window of WINDOW live keys (so the map stops growing and
 * every op fires the same few tophash_write probes).  Prints the time the
 * loop took as seen by the program itself:
 *
 *   churn OPS THREADS  ->  "ops=N threads=T ns_per_op=X seconds=S cpu_ns_per_op=C"
 *
 * Deterministic: the same arguments fire the same probes in the same order,
 * so probe hits counted in one run hold for another.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "hmap.h"

#define WINDOW 4096

static uint64_t ops;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU time of the whole process (user + system: the trap and the BPF program
 * run in the traced thread's context), less noisy than wall time on a shared
 * machine. */
static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void *churn(void *arg)
{
    hmap_options opts = {.seed = 1 + (uintptr_t)arg};
    hmap *m = hmap_new(&hmap_type_u64, &opts);
    if (!m) abort();
    for (uint64_t k = 0; k < WINDOW; k++)
        hmap_set(m, &k, &k);
    for (uint64_t k = WINDOW; k < WINDOW + ops; k++) {
        uint64_t old = k - WINDOW;
        hmap_set(m, &k, &k);
        hmap_delete(m, &old);
    }
    hmap_free(m);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: churn OPS THREADS\n");
        return 2;
    }
    ops = strtoull(argv[1], NULL, 10);
    int threads = atoi(argv[2]);
    if (threads < 1 || threads > 64 || ops == 0) {
        fprintf(stderr, "usage: churn OPS THREADS\n");
        return 2;
    }
    pthread_t tid[64];
    double t0 = now_s(), c0 = cpu_s();
    for (int i = 0; i < threads; i++)
        pthread_create(&tid[i], NULL, churn, (void *)(uintptr_t)i);
    for (int i = 0; i < threads; i++)
        pthread_join(tid[i], NULL);
    double t = now_s() - t0, c = cpu_s() - c0;
    printf("ops=%llu threads=%d ns_per_op=%.1f seconds=%.3f cpu_ns_per_op=%.1f\n",
           (unsigned long long)ops, threads, t * 1e9 / (double)(ops * threads), t,
           c * 1e9 / (double)(ops * threads));
    return 0;
}
