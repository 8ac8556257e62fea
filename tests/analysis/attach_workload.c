/* SPDX-License-Identifier: MIT */
/*
 * attach_workload.c — a running service a tracer attaches to, for the
 * state-at-attach tests (attach_e2e.sh; docs/statedump.md).
 *
 *   attach_workload SECONDS [TRACE]
 *
 * Two maps exist before any tracer: "idle" (filled, a quarter deleted, then
 * never touched: retained memory nobody writes) and "churn" (inserts new
 * keys and deletes old ones for SECONDS, about 40 000 live).  The program
 * prints, for the test to compare with the report:
 *   ready PID                      once both maps exist
 *   stats NAME BUCKET_BYTES INDIRECT_BYTES COUNT   (hmap_get_stats), for
 *                                  both maps, after "ready" and at each pause
 *   paused / resumed
 * SIGUSR1 toggles a pause of the churn (the program then writes nothing);
 * SIGUSR2 toggles the in-process recorder on TRACE (hmap_trace_start /
 * hmap_trace_stop, called from the main loop: a signal handler may only set
 * a flag).  Stats are printed while paused, so they are the state the trace
 * must end with when the tracer stops during the pause.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hmap.h"
#include "hmap_trace.h"

static volatile sig_atomic_t pause_requests, trace_requests;

static void on_usr1(int sig)
{
    (void)sig;
    pause_requests++;
}
static void on_usr2(int sig)
{
    (void)sig;
    trace_requests++;
}

static void print_stats(const char *name, const hmap *m)
{
    hmap_stats s;
    hmap_get_stats(m, &s);
    printf("stats %s %llu %llu %llu\n", name, (unsigned long long)s.bucket_bytes,
           (unsigned long long)s.indirect_bytes, (unsigned long long)s.count);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void must(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "attach_workload: %s failed\n", what);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3 || atof(argv[1]) <= 0) {
        fprintf(stderr, "usage: attach_workload SECONDS [TRACE]\n");
        return 2;
    }
    double end = now_s() + atof(argv[1]);
    const char *trace = argc == 3 ? argv[2] : NULL;
    signal(SIGUSR1, on_usr1);
    signal(SIGUSR2, on_usr2);

    hmap_options io = {.name = "idle"}, co = {.name = "churn"};
    hmap *idle = hmap_new(&hmap_type_u64, &io);
    hmap *churn = hmap_new(&hmap_type_u64, &co);
    must(idle && churn, "hmap_new");
    for (uint64_t k = 0; k < 20000; k++)
        must(hmap_set(idle, &k, &k) == 0, "insert");
    for (uint64_t k = 0; k < 20000; k += 4)
        must(hmap_delete(idle, &k), "delete");
    printf("ready %d\n", (int)getpid());
    print_stats("idle", idle);
    print_stats("churn", churn);
    fflush(stdout);

    uint64_t next = 0;
    int paused = 0, tracing = 0;
    sig_atomic_t pauses_seen = 0, traces_seen = 0;
    while (now_s() < end) {
        if (pause_requests != pauses_seen) {
            pauses_seen = pause_requests;
            paused = !paused;
            if (paused) {
                print_stats("idle", idle);
                print_stats("churn", churn);
            }
            printf(paused ? "paused\n" : "resumed\n");
            fflush(stdout);
        }
        if (trace_requests != traces_seen) {
            traces_seen = trace_requests;
            tracing = !tracing;
            int err = tracing ? hmap_trace_start(trace) : hmap_trace_stop();
            printf("trace %s %d\n", tracing ? "started" : "stopped", err);
            fflush(stdout);
        }
        if (paused) {
            usleep(1000);
            continue;
        }
        for (int i = 0; i < 200; i++, next++) { /* insert one, delete one 40 000 older */
            must(hmap_set(churn, &next, &next) == 0, "insert");
            if (next >= 40000) {
                uint64_t old = next - 40000;
                must(hmap_delete(churn, &old), "delete");
            }
        }
        usleep(1000); /* about 200 000 writes per second: a steady service */
    }
    hmap_free(churn);
    hmap_free(idle);
    printf("done\n");
    return 0;
}
