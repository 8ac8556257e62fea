/* SPDX-License-Identifier: MIT */
/*
 * record_live.h — `bucketscope record -i INTERVAL [COUNT]` (docs/live.md):
 * a live report of the recording while it runs.  The recorder does not
 * analyse: it runs `bucketscope-report --follow --live-ticks FD` on the
 * trace file it writes, flushes the file every interval and then writes
 * one byte to FD, and closes FD once the file is finished.  So the tables
 * are the report's, and the final report is `bucketscope report FILE`'s.
 */
#ifndef BS_RECORD_LIVE_H
#define BS_RECORD_LIVE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct record_live {
    double interval_s; /* 0: no live report */
    uint64_t count;    /* tables before the recording stops; 0: until stopped */
    bool timestamps, json;
    /* running */
    pid_t pid;
    int tick_fd;
    uint64_t next_ns, ticks;
};

/* Start the report on `trace` (the file being written); 0, or -1 said. */
int record_live_start(struct record_live *l, const char *trace, const char *prog);
/* Once per loop: at each interval flush `out` and tick.  1 when COUNT
 * ticks are done (the recording must stop), else 0. */
int record_live_tick(struct record_live *l, FILE *out, uint64_t now_ns);
/* The file is finished: let the report read to its end and print the
 * final report; waits for it.  0, or -1 when the report failed (said). */
int record_live_finish(struct record_live *l, const char *prog);

#endif /* BS_RECORD_LIVE_H */
