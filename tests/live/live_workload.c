/* SPDX-License-Identifier: MIT */
/*
 * live_workload.c — a libhmap program for the live tests: it churns one map
 * (inserts and deletes around a window of N keys, growths included) in
 * rounds of R operations with a 10 ms pause between rounds, until the file
 * STOP exists (then it frees the map and exits 0), or MAX_SECONDS pass
 * (exit 3: the test forgot it).
 *
 *   live_workload STOP [N [R [MAX_SECONDS]]]   (defaults 2000, 2000, 300)
 *
 * It prints "ready PID" once started, so that a test waits on that and
 * never on time.  With LIVE_WORKLOAD_GO=FILE in the environment it then
 * waits for FILE to exist before it creates its map (a live viewer that
 * attaches first sees every event; bounded by MAX_SECONDS too).  Pauses make its trace grow while a
 * test watches it: each round is one piece of the file a follower reads.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "hmap.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: live_workload STOP [N [R [MAX_SECONDS]]]\n");
        return 2;
    }
    const char *stop = argv[1];
    uint64_t n = argc > 2 ? strtoull(argv[2], NULL, 10) : 2000;
    uint64_t r = argc > 3 ? strtoull(argv[3], NULL, 10) : 2000;
    double max_s = argc > 4 ? strtod(argv[4], NULL) : 300;
    printf("ready %d\n", (int)getpid());
    fflush(stdout);
    struct timespec t0, now, pause = {0, 10 * 1000 * 1000};
    clock_gettime(CLOCK_MONOTONIC, &t0);
    const char *go = getenv("LIVE_WORKLOAD_GO");
    while (go && access(go, F_OK) != 0) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((double)(now.tv_sec - t0.tv_sec) > max_s) return 3;
        nanosleep(&pause, NULL);
    }
    hmap_options opts = {.seed = 42};
    hmap *m = hmap_new(&hmap_type_u64, &opts);
    if (!m) return 1;
    uint64_t k = 0;
    for (;;) {
        for (uint64_t i = 0; i < r; i++, k++) {
            uint64_t old = k - n;
            hmap_set(m, &k, &k);
            if (k >= n) hmap_delete(m, &old);
        }
        if (access(stop, F_OK) == 0) break;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((double)(now.tv_sec - t0.tv_sec) > max_s) {
            hmap_free(m);
            return 3;
        }
        nanosleep(&pause, NULL);
    }
    hmap_free(m);
    return 0;
}
