/* SPDX-License-Identifier: MIT */
/*
 * options.h — the command line of bucketscope-report, parsed (options.c).
 * A usage error prints the message and the usage line and exits with 2.
 */
#ifndef BS_OPTIONS_H
#define BS_OPTIONS_H

#include <stdint.h>

#define EXIT_USAGE 2
/* The input holds no event, or --pid/--map/--since/--until select none
 * (docs/report.md, "Exit status"); the (empty) report is still written. */
#define EXIT_NOTHING 3

struct bs_options {
    const char *format; /* text, json or csv */
    const char *csv_timeline, *csv_deletes, *svg;
    uint64_t tick_ns;            /* timeline tick, default 1 ms */
    uint64_t since_ns, until_ns; /* relative to the first record */
    int have_until, allow_truncated, show_progress, show_stats;
    double ctf_timeout_s; /* --ctf-timeout, 0: the reader's default */
    int raw;              /* --raw: text report in exact integers (bytes, counts, ns) */
    int msecs;            /* -m, --milliseconds: text histograms in msecs */
    int top;              /* rows of the per-map table */
    long long filter_pid; /* -1: none */
    int filter_map_set;
    uint64_t filter_map;
    /* Live (docs/live.md): --follow FILE, -i/--interval, -T, --json, and
     * --live-ticks FD (from `bucketscope record -i`: a byte per table). */
    int follow;           /* the TRACE is a native file still being written */
    int lttng_live;       /* the TRACEs are net:// URLs of lttng-relayd sessions */
    uint64_t interval_ns; /* a table every interval; 0: none */
    int timestamps;       /* -T */
    int live_ticks_fd;    /* -1: tables by the clock */
    int jobs;             /* -j: threads of the engine; default the CPUs this may run on */
    char **traces;        /* the TRACE arguments */
    int ntraces;
};

extern const char bs_usage_line[];
/* After a usage error: one usage line and a hint to --help, on stderr. */
void bs_usage_hint(void);

/* Fill o from argv; --help and --version print and exit 0. */
void bs_parse_options(int argc, char **argv, struct bs_options *o);

#endif /* BS_OPTIONS_H */
