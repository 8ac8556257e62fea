/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE /* pipe2 */
/*
 * record_live.c — the live report of `bucketscope record -i` (record_live.h).
 *
 * Why a second process and not the engine linked in: bpf/ links no part of
 * analysis/ (docs/architecture.md, "What each folder includes and links"),
 * the recorder stays free of libbabeltrace2 and libdw, and the report it
 * runs is the very program that reads the file afterwards, so the numbers
 * at the end are equal by construction.  The report's SIGINT is ignored:
 * Ctrl-C reaches the recorder, which finishes the file (its end record)
 * and closes the tick pipe; the report then reads to the end and prints.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "record_live.h"

#ifndef BS_REPORT_BUILD_PATH
#define BS_REPORT_BUILD_PATH ""
#endif

/* bucketscope-report next to this program when installed, else the build
 * tree's (as cli/bucketscope.c finds it). */
static int report_path(char *path, size_t len)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n > 0) {
        self[n] = 0;
        snprintf(path, len, "%s/bucketscope-report", dirname(self));
        if (access(path, X_OK) == 0) return 0;
    }
    snprintf(path, len, "%s", BS_REPORT_BUILD_PATH);
    return path[0] && access(path, X_OK) == 0 ? 0 : -1;
}

int record_live_start(struct record_live *l, const char *trace, const char *prog)
{
    char path[PATH_MAX], fdarg[16];
    int p[2];
    l->pid = 0;
    l->tick_fd = -1;
    if (report_path(path, sizeof(path)) < 0) {
        fprintf(stderr, "%s: -i needs bucketscope-report, not found next to this program\n", prog);
        return -1;
    }
    if (pipe2(p, O_CLOEXEC) != 0) {
        fprintf(stderr, "%s: pipe: %s\n", prog, strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "%s: fork: %s\n", prog, strerror(errno));
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (pid == 0) {
        /* The read end without O_CLOEXEC, under its own number. */
        int fd = dup(p[0]);
        if (fd < 0) _exit(127);
        snprintf(fdarg, sizeof(fdarg), "%d", fd);
        signal(SIGINT, SIG_IGN);
        char *argv[10];
        int n = 0;
        argv[n++] = "bucketscope report";
        argv[n++] = "--follow";
        argv[n++] = "--live-ticks";
        argv[n++] = fdarg;
        if (l->timestamps) argv[n++] = "-T";
        if (l->json) argv[n++] = "--json";
        argv[n++] = "--";
        argv[n++] = (char *)trace;
        argv[n] = NULL;
        execv(path, argv);
        fprintf(stderr, "%s: cannot run %s: %s\n", prog, path, strerror(errno));
        _exit(127);
    }
    close(p[0]);
    /* A report that died must not kill the recording with it: the tick
     * write then fails, and finish says how the report ended. */
    signal(SIGPIPE, SIG_IGN);
    l->pid = pid;
    l->tick_fd = p[1];
    l->ticks = 0;
    l->next_ns = 0;
    return 0;
}

int record_live_tick(struct record_live *l, FILE *out, uint64_t now_ns)
{
    uint64_t interval = (uint64_t)(l->interval_s * 1e9);
    if (l->tick_fd < 0) return 0;
    if (!l->next_ns) l->next_ns = now_ns + interval; /* the first call starts the clock */
    if (now_ns < l->next_ns) return 0;
    while (l->next_ns <= now_ns)
        l->next_ns += interval;
    /* What the table is to show must be in the file first. */
    fflush(out);
    if (write(l->tick_fd, "t", 1) != 1) return 0; /* the report is gone: finish says so */
    return l->count && ++l->ticks >= l->count;
}

int record_live_finish(struct record_live *l, const char *prog)
{
    if (l->pid <= 0) return 0;
    if (l->tick_fd >= 0) close(l->tick_fd);
    l->tick_fd = -1;
    int st;
    while (waitpid(l->pid, &st, 0) < 0 && errno == EINTR) {
    }
    l->pid = 0;
    /* The report's own "nothing to report" (3) is not a failure of it. */
    if (WIFEXITED(st) && (WEXITSTATUS(st) == 0 || WEXITSTATUS(st) == 3)) return 0;
    if (WIFEXITED(st))
        fprintf(stderr, "%s: the live report failed (exit status %d)\n", prog, WEXITSTATUS(st));
    else
        fprintf(stderr, "%s: the live report was killed by signal %d\n", prog,
                WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    return -1;
}
