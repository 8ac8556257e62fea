/* SPDX-License-Identifier: MIT */
/*
 * live_drive.c — the pace of a live report (live_drive.h, docs/live.md).
 *
 * Two clocks: with -i, a table every interval of the wall clock, also while
 * records stream in faster than they are read; with --live-ticks FD (the
 * report `bucketscope record -i` runs), a table once the file has been read
 * to where it stood when a tick byte arrived (the recorder writes the byte
 * after flushing), so record's COUNT tables are exactly COUNT.  Following
 * ends on SIGINT/SIGTERM, when the file header's process is gone (-i), or
 * when FD is closed (--live-ticks): then the reader reads what is left.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "live_drive.h"
#include "prog.h"

struct bs_live_drive {
    struct bs_live *live;
    int ticks_fd; /* -1: by the clock */
    uint64_t interval_ns, next_ns;
    uint64_t ticks_pending; /* ticks come: one table each, once caught up */
    int stopping;
};

static volatile sig_atomic_t stop_signal;
static void on_stop(int sig)
{
    stop_signal = sig;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The reader's host names, for the table (LTTng live). */
static const char *reader_host_of(const void *ctx, uint32_t pid)
{
    const struct bs_reader *rd = ctx;
    return rd->host_of(rd, pid);
}

struct bs_live_drive *bs_live_drive_new(const struct bs_options *o, FILE *out,
                                        const struct bs_reader *rd)
{
    if (!o->follow && !o->lttng_live) return NULL;
    struct bs_live_drive *d = calloc(1, sizeof(*d));
    struct bs_live_opts lo = {.out = out,
                              .json = strcmp(o->format, "json") == 0,
                              .timestamps = o->timestamps,
                              .top = o->top,
                              .host_of = rd->host_of ? reader_host_of : NULL,
                              .host_ctx = rd};
    if (!d || !(d->live = bs_live_new(&lo))) {
        bs_err("out of memory\n");
        exit(1);
    }
    d->ticks_fd = o->live_ticks_fd;
    d->interval_ns = o->interval_ns;
    d->next_ns = now_ns() + d->interval_ns;
    struct sigaction old, sa = {.sa_handler = on_stop};
    sigemptyset(&sa.sa_mask);
    /* A report whose SIGINT is ignored belongs to a recorder that ends it
     * by its ticks (the shell's rule for background jobs, too). */
    if (sigaction(SIGINT, NULL, &old) == 0 && old.sa_handler != SIG_IGN)
        sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    return d;
}

void bs_live_drive_free(struct bs_live_drive *d)
{
    if (!d) return;
    bs_live_free(d->live);
    free(d);
}

struct bs_live *bs_live_drive_table(struct bs_live_drive *d)
{
    return d ? d->live : NULL;
}

static void stop(struct bs_live_drive *d, struct bs_reader *rd, const char *why)
{
    if (d->stopping) return;
    d->stopping = 1;
    if (rd->stop) rd->stop(rd, why);
}

/* The writer named by the file header is gone (kill(pid, 0) fails with
 * ESRCH); a writer of another user (EPERM) is still there. */
static int writer_gone(const struct bs_reader *rd)
{
    uint32_t pid = rd->writer_pid;
    return pid && kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

void bs_live_drive_idle(struct bs_live_drive *d, struct bs_reader *rd, const struct bs_engine *e)
{
    bs_live_drive_end(d, e); /* caught up with where the file stood at the ticks */
    if (stop_signal)
        stop(d, rd, stop_signal == SIGINT ? "stopped by SIGINT" : "stopped by SIGTERM");
    if (d->stopping) return;
    int wait_ms = 100;
    if (d->ticks_fd < 0) {
        uint64_t t = now_ns();
        if (t >= d->next_ns) {
            bs_live_table(d->live, e);
            while (d->next_ns <= t)
                d->next_ns += d->interval_ns;
        }
        uint64_t left = (d->next_ns - t) / 1000000u;
        if (left < (uint64_t)wait_ms) wait_ms = (int)left + 1;
        if (writer_gone(rd)) {
            stop(d, rd, "its writer is gone");
            return;
        }
    }
    struct pollfd p = {.fd = d->ticks_fd, .events = POLLIN};
    int n = poll(d->ticks_fd >= 0 ? &p : NULL, d->ticks_fd >= 0, wait_ms);
    if (n > 0) {
        char b[64];
        ssize_t got = read(d->ticks_fd, b, sizeof(b));
        if (got > 0)
            d->ticks_pending += (uint64_t)got;
        else if (got == 0 || (errno != EINTR && errno != EAGAIN))
            stop(d, rd, "the recorder stopped");
    }
}

void bs_live_drive_busy(struct bs_live_drive *d, struct bs_reader *rd, const struct bs_engine *e)
{
    (void)rd;
    if (d->ticks_fd >= 0) return;
    uint64_t t = now_ns();
    if (t < d->next_ns) return;
    bs_live_table(d->live, e);
    while (d->next_ns <= t)
        d->next_ns += d->interval_ns;
}

void bs_live_drive_end(struct bs_live_drive *d, const struct bs_engine *e)
{
    for (; d->ticks_pending; d->ticks_pending--)
        bs_live_table(d->live, e);
}
