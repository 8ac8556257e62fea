// SPDX-License-Identifier: MIT
/*
 * A stall in CLOCK_MONOTONIC reads, for the recorder-clock test: preloaded
 * (LD_PRELOAD), it delays one clock_gettime(CLOCK_MONOTONIC) by
 * CLOCK_STALL_NS nanoseconds of busy waiting, the first call made at least
 * CLOCK_STALL_AFTER_NS after the process's first such call.  To the caller
 * that is a preemption between its TSC read and its clock read, the case
 * the recorder's TSC calibration must survive (docs/probes.md, "Recorder
 * clock").  The TSC runs on through the wait, as it does while a thread
 * is preempted.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

typedef int (*clock_fn)(clockid_t, struct timespec *);

static uint64_t ns_of(const struct timespec *ts)
{
    return (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
}

static uint64_t env_ns(const char *name)
{
    const char *v = getenv(name);
    return v ? strtoull(v, NULL, 10) : 0;
}

int clock_gettime(clockid_t clk, struct timespec *ts)
{
    static clock_fn real;
    static uint64_t first; /* the first monotonic read; 0 before it */
    static uint64_t after, stall;
    static int stalled;
    if (!real) {
        real = (clock_fn)dlsym(RTLD_NEXT, "clock_gettime");
        after = env_ns("CLOCK_STALL_AFTER_NS");
        stall = env_ns("CLOCK_STALL_NS");
    }
    int rc = real(clk, ts);
    if (rc != 0 || clk != CLOCK_MONOTONIC || stalled) return rc;
    uint64_t now = ns_of(ts);
    if (!first) first = now;
    if (now - first < after) return rc;
    stalled = 1;
    uint64_t until = now + stall;
    do
        rc = real(clk, ts);
    while (rc == 0 && ns_of(ts) < until);
    return rc;
}
