/* SPDX-License-Identifier: MIT */
/*
 * pid_workload.c — a libhmap program for the attach-by-pid test: it maps
 * libhmap, prints "ready", waits for SIGUSR1 (sent once the recorder says it
 * is recording; not with --now), then runs a known sequence and exits:
 *
 *   bpf_pid_workload N [--now | --forever]
 *
 *   one map (u64 -> u64, fixed seed), N inserts of distinct keys (growing it
 *   several times), N/2 deletes, hmap_free.
 *
 * The test checks that the recording holds exactly: 1 map_create, 1
 * map_destroy with count = N - N/2, N insert and N/2 delete tophash writes,
 * and a bucket_free for every bucket array and allocator overflow bucket.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"

static void on_usr1(int sig)
{
    (void)sig;
}

/* --forever: insert and delete around a window of n keys until killed, so
 * probes fire continuously while a recorder attaches. */
static int churn_forever(uint64_t n)
{
    hmap_options opts = {.seed = 42};
    hmap *m = hmap_new(&hmap_type_u64, &opts);
    if (!m) return 1;
    printf("ready\n");
    fflush(stdout);
    for (uint64_t k = 0;; k++) {
        uint64_t old = k - n;
        hmap_set(m, &k, &k);
        if (k >= n) hmap_delete(m, &old);
    }
}

int main(int argc, char **argv)
{
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000;
    int wait = !(argc > 2 && strcmp(argv[2], "--now") == 0);
    if (argc > 2 && strcmp(argv[2], "--forever") == 0) return churn_forever(n);
    sigset_t set, old;

    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    signal(SIGUSR1, on_usr1);
    sigprocmask(SIG_BLOCK, &set, &old);
    if (wait) {
        printf("ready\n");
        fflush(stdout);
        sigsuspend(&old);
    }

    hmap_options opts = {.seed = 42};
    hmap *m = hmap_new(&hmap_type_u64, &opts);
    if (!m) {
        perror("hmap_new");
        return 1;
    }
    for (uint64_t k = 0; k < n; k++) {
        uint64_t v = k * 3;
        if (hmap_set(m, &k, &v) != 0) {
            perror("hmap_set");
            return 1;
        }
    }
    for (uint64_t k = 0; k < n / 2; k++)
        hmap_delete(m, &k);
    printf("len=%zu\n", hmap_len(m));
    hmap_free(m);
    return 0;
}
