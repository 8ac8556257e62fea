/* SPDX-License-Identifier: MIT */
/*
 * options.c — the command line of bucketscope-report (options.h): usage,
 * help text and option parsing; nothing here reads a trace.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "options.h"
#include "report.h"

const char bs_usage_line[] =
    "usage: bucketscope-report [--format text|json|csv] [--csv-timeline FILE [--tick DUR]]\n"
    "                          [--csv-deletes FILE] [--svg FILE] [--pid PID] [--map ADDR]\n"
    "                          [--since DUR] [--until DUR] [--top N] [--allow-truncated]\n"
    "                          [--no-progress] [--stats] [--raw] [-m] TRACE...\n";

static const char help_text[] =
    "\n"
    "Reads bucketscope traces and reports, for every delete from a Go-style map,\n"
    "when the memory that held the deleted entry was reused or freed.\n"
    "\n"
    "TRACE is a native trace file (\"HMTRACE\" magic), a file of bpftrace HMEV lines\n"
    "(or - for stdin), or a directory holding LTTng CTF traces (every directory with a\n"
    "'metadata' file below it is read; traces are merged by time).  The format is\n"
    "detected.  Several TRACEs must be of one kind: CTF timestamps count from the Unix\n"
    "epoch, native ones are CLOCK_MONOTONIC, and the two cannot be compared.\n"
    "\n"
    "Definitions.  A delete is a tophash_write with cause delete (live -> emptyOne)\n"
    "at t_d of slot i in bucket b.  Its outcome is:\n"
    "  reused    a later write in the same bucket generation makes slot i live again\n"
    "            at t_r before b's memory is freed: latency t_r - t_d;\n"
    "  freed     the allocation containing b (old array after growth, overflow bucket\n"
    "            unlinked or evacuated, clear, destroy, shrink) is freed at t_f:\n"
    "            latency t_f - t_d;\n"
    "  retained  neither happened before the trace ended: censored, reported with its\n"
    "            age at the end; the Kaplan-Meier median uses these.\n"
    "A bucket generation begins at the allocation that contains the bucket and ends\n"
    "at its free; allocations are keyed by (pid, address range), so an address the\n"
    "allocator hands out again starts a new generation.  emptyRest folding, evacuation\n"
    "marks and clear are not deletes; entries removed by clear are counted apart.\n"
    "Bytes held = live allocations; empty-slot bytes = bytes held minus live entries\n"
    "times bucket_size/8; empty retention = empty-slot bytes integrated over time.\n"
    "\n"
    "Options:\n"
    "  --format F          text (default), json (schema " BS_JSON_SCHEMA ") or csv\n"
    "                      (one row per map)\n"
    "  --csv-timeline FILE one row per map per tick: B, count, tombstones, live and empty\n"
    "                      buckets, bytes, empty bytes, overflow buckets, growing\n"
    "  --tick DUR          timeline tick (default 1ms)\n"
    "  --csv-deletes FILE  one row per delete: outcome and latency\n"
    "  --svg FILE          bytes held / live / empty over time and the delete->free\n"
    "                      histogram as a self-contained SVG\n"
    "  --pid PID           only this process\n"
    "  --map ADDR          only the map at this address (hex)\n"
    "  --since DUR, --until DUR\n"
    "                      count deletes and gauges only from/until this time after the\n"
    "                      first event (state is still rebuilt from the trace start);\n"
    "                      DUR is a number with ns, us, ms or s\n"
    "  --top N             rows of the per-map table (default 10)\n"
    "  --allow-truncated   analyse a truncated or partly corrupt input up to the\n"
    "                      first bad offset (the report says so)\n"
    "  --no-progress       no progress line on stderr (default: shown on a terminal)\n"
    "  --stats             print the analyzer's own memory and speed on stderr\n"
    "  --raw               text report in exact numbers: bytes, counts, ns (default:\n"
    "                      KiB/MiB/GiB, 1,234,567, ns/us/ms/s)\n"
    "  -m, --milliseconds  text histograms binned in msecs (default usecs)\n"
    "Exit status: 0 ok, 1 unreadable input, 2 usage error, 3 nothing to report: the\n"
    "trace holds no event, or --pid/--map/--since/--until select none (one line on\n"
    "stderr says which; the empty report is still written).\n";

_Noreturn static void usage_error(const char *msg)
{
    fprintf(stderr, "bucketscope-report: %s\n%s", msg, bs_usage_line);
    exit(EXIT_USAGE);
}

/* "1.5s", "200ms", "10us", "100ns" -> ns; a bare 0 is allowed. */
static uint64_t parse_duration(const char *opt, const char *s)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    double mult = 0;
    if (strcmp(end, "ns") == 0)
        mult = 1;
    else if (strcmp(end, "us") == 0)
        mult = 1e3;
    else if (strcmp(end, "ms") == 0)
        mult = 1e6;
    else if (strcmp(end, "s") == 0)
        mult = 1e9;
    else if (*end == 0 && end != s && v == 0)
        mult = 1;
    if (errno || end == s || mult == 0 || v < 0 || v * mult > 1.8e19) {
        char msg[128];
        snprintf(msg, sizeof(msg), "%s: bad duration '%s' (use e.g. 250ms, 2s, 100us)", opt, s);
        usage_error(msg);
    }
    return (uint64_t)(v * mult + 0.5);
}

static uint64_t parse_number(const char *opt, const char *s, int base, uint64_t max)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, base);
    if (errno || end == s || *end || s[0] == '-' || v > max) {
        char msg[128];
        snprintf(msg, sizeof(msg), "%s: bad value '%s'", opt, s);
        usage_error(msg);
    }
    return v;
}

void bs_parse_options(int argc, char **argv, struct bs_options *o)
{
    enum {
        O_FORMAT = 256,
        O_CSV_TL,
        O_CSV_DEL,
        O_TICK,
        O_SVG,
        O_PID,
        O_MAP,
        O_SINCE,
        O_UNTIL,
        O_TOP,
        O_TRUNC,
        O_NOPROG,
        O_STATS,
        O_RAW,
        O_HELP,
        O_VERSION
    };
    static const struct option opts[] = {{"format", required_argument, 0, O_FORMAT},
                                         {"csv-timeline", required_argument, 0, O_CSV_TL},
                                         {"csv-deletes", required_argument, 0, O_CSV_DEL},
                                         {"tick", required_argument, 0, O_TICK},
                                         {"svg", required_argument, 0, O_SVG},
                                         {"pid", required_argument, 0, O_PID},
                                         {"map", required_argument, 0, O_MAP},
                                         {"since", required_argument, 0, O_SINCE},
                                         {"until", required_argument, 0, O_UNTIL},
                                         {"top", required_argument, 0, O_TOP},
                                         {"allow-truncated", no_argument, 0, O_TRUNC},
                                         {"no-progress", no_argument, 0, O_NOPROG},
                                         {"stats", no_argument, 0, O_STATS},
                                         {"raw", no_argument, 0, O_RAW},
                                         {"milliseconds", no_argument, 0, 'm'},
                                         {"help", no_argument, 0, O_HELP},
                                         {"version", no_argument, 0, O_VERSION},
                                         {0, 0, 0, 0}};
    *o = (struct bs_options){
        .format = "text", .show_progress = isatty(2), .top = 10, .filter_pid = -1};
    int have_tick = 0, c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "hm", opts, NULL)) != -1) {
        switch (c) {
        case O_FORMAT:
            o->format = optarg;
            if (strcmp(o->format, "text") && strcmp(o->format, "json") && strcmp(o->format, "csv"))
                usage_error("--format must be text, json or csv");
            break;
        case O_CSV_TL:
            o->csv_timeline = optarg;
            break;
        case O_CSV_DEL:
            o->csv_deletes = optarg;
            break;
        case O_TICK:
            o->tick_ns = parse_duration("--tick", optarg);
            have_tick = 1;
            if (!o->tick_ns) usage_error("--tick must be positive");
            break;
        case O_SVG:
            o->svg = optarg;
            break;
        case O_PID:
            o->filter_pid = (long long)parse_number("--pid", optarg, 10, UINT32_MAX);
            break;
        case O_MAP:
            o->filter_map = parse_number("--map", optarg, 16, UINT64_MAX);
            o->filter_map_set = 1;
            break;
        case O_SINCE:
            o->since_ns = parse_duration("--since", optarg);
            break;
        case O_UNTIL:
            o->until_ns = parse_duration("--until", optarg);
            o->have_until = 1;
            break;
        case O_TOP:
            o->top = (int)parse_number("--top", optarg, 10, 1000000);
            break;
        case O_TRUNC:
            o->allow_truncated = 1;
            break;
        case O_NOPROG:
            o->show_progress = 0;
            break;
        case O_STATS:
            o->show_stats = 1;
            break;
        case O_RAW:
            o->raw = 1;
            break;
        case 'm':
            o->msecs = 1;
            break;
        case 'h':
        case O_HELP:
            printf("%s%s", bs_usage_line, help_text);
            exit(0);
        case O_VERSION:
            printf("bucketscope-report " BS_VERSION " (%s)\n", BS_JSON_SCHEMA);
            exit(0);
        default: {
            char msg[128];
            snprintf(msg, sizeof(msg), "unknown or incomplete option '%s'", argv[optind - 1]);
            usage_error(msg);
        }
        }
    }
    if (optind >= argc) usage_error("no TRACE given");
    if (have_tick && !o->csv_timeline) usage_error("--tick only applies to --csv-timeline");
    if (o->have_until && o->until_ns <= o->since_ns)
        usage_error("--until must be later than --since");
    if (!o->tick_ns) o->tick_ns = 1000000;
    o->traces = argv + optind;
    o->ntraces = argc - optind;
}
