/* SPDX-License-Identifier: MIT */
/*
 * options.c — the command line of bucketscope-report (options.h): usage,
 * help text and option parsing; nothing here reads a trace.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "options.h"
#include "bs_prog.h"
#include "prog.h"
#include "outfile.h"
#include "reader.h" /* bs_is_live_url */
#include "report.h"

const char bs_usage_line[] =
    "usage: bucketscope-report [--format text|json|csv] [--csv-timeline FILE [--tick DUR]]\n"
    "                          [--csv-deletes FILE] [--svg FILE] [--pid PID] [--map ADDR]\n"
    "                          [--since DUR] [--until DUR] [--top N] [--allow-truncated]\n"
    "                          [--ctf-timeout SECONDS] [--no-progress] [--stats] [--raw] [-m]\n"
    "                          [-j N] [--follow] [-i INTERVAL] [-T] [--json] TRACE...\n";

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
    "  --ctf-timeout SECONDS\n"
    "                      stop decoding a CTF trace when libbabeltrace2 makes no\n"
    "                      progress for this long (default 10)\n"
    "  --no-progress       no progress line on stderr (default: shown on a terminal)\n"
    "  --stats             print the analyzer's own memory and speed on stderr\n"
    "  --raw               text report in exact numbers: bytes, counts, ns (default:\n"
    "                      KiB/MiB/GiB, 1,234,567, ns/us/ms/s)\n"
    "  -m, --milliseconds  text histograms binned in msecs (default usecs)\n"
    "  -j, --jobs N        analyse on N threads, the maps shared out among them\n"
    "                      (default: the CPUs this process may run on, at most 64;\n"
    "                      1: one thread); the report is the same for every N\n"
    "Live (docs/live.md):\n"
    "  TRACE may be net://HOST[:PORT]/host/HOSTNAME/SESSION, an LTTng live session of an\n"
    "  lttng-relayd (several: merged by time): tables every -i while it runs, the report\n"
    "  when it ends (or on Ctrl-C); a relayd lost mid-session is said, exit 1, and what\n"
    "  came is reported\n"
    "  --follow            TRACE is a native trace still being written (HMAP_TRACE of a\n"
    "                      running program): read its complete chunks as they come, until\n"
    "                      its end record, its writer is gone, or Ctrl-C; then the report\n"
    "  -i, --interval DUR  every DUR (a number of seconds, or with ns/us/ms/s), one table\n"
    "                      per map: bytes held, empty bytes, deletes in the interval and\n"
    "                      in all, reused, reclaimed while running, retained, delete->reuse\n"
    "                      and delete->reclaim p50/p99 of the interval, growths; the header\n"
    "                      line counts events and lost events (default with --follow: 1s)\n"
    "  -T, --timestamp     a wall-clock time on each interval's header line\n"
    "  --json              short for --format json: interval tables as one JSON object per\n"
    "                      line, then the JSON report\n"
    "  --live-ticks FD     a table each time a byte arrives on FD, the end when it closes\n"
    "                      (how `bucketscope record -i` drives its report)\n"
    "  -V, --version       print \"bucketscope-report VERSION\" and exit\n"
    "Exit status: 0 ok, 1 unreadable input, 2 usage error (including an output that\n"
    "is one of the inputs, or a directory), 3 nothing to report: the trace holds no\n"
    "event, or --pid/--map/--since/--until select none (one line on stderr says which;\n"
    "the empty report is still written), 4 an output could not be written (one line\n"
    "names it and why; a file output is only replaced once complete).\n"
    "\n"
    "Examples:\n"
    "  bucketscope report app.hmtrace               # post-mortem report\n"
    "  bucketscope report --format json app.hmtrace # the same as JSON\n"
    "  bucketscope report -j 4 big.hmtrace          # on 4 threads, the same report\n"
    "  HMAP_TRACE=/tmp/app.hmtrace ./app & bucketscope report --follow -i 1 -T /tmp/app.hmtrace\n"
    "                                               # a table every second while app runs\n"
    "  bucketscope report -i 5 net://relay.example/host/web1/live\n"
    "                                               # an LTTng live session via lttng-relayd\n";

/* The usage synopsis, under the name as typed ("bucketscope report" is as
 * long as "bucketscope-report", so its continuation lines stay aligned). */
static void print_usage(FILE *f)
{
    static const char lead[] = "usage: bucketscope-report";
    fprintf(f, "usage: %s%s", bs_prog, bs_usage_line + sizeof(lead) - 1);
}

/* After a usage error: one usage line and where the rest is, not the whole
 * synopsis, so that the error itself stays in view. */
void bs_usage_hint(void)
{
    fprintf(stderr, "usage: %s [OPTIONS] TRACE...\nTry '%s --help'.\n", bs_prog, bs_prog);
}

_Noreturn static void usage_error(const char *msg)
{
    bs_err("%s\n", msg);
    bs_usage_hint();
    exit(EXIT_USAGE);
}

/* --help and --version: their output is checked like the report's
 * (docs/report.md, "Outputs and write errors"). */
_Noreturn static void exit_after_stdout(void)
{
    errno = 0;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        bs_err("writing standard output: %s\n", strerror(errno ? errno : EIO));
        exit(EXIT_OUTPUT);
    }
    exit(0);
}

/* "1.5s", "200ms", "10us", "100ns" -> ns; a bare 0 is allowed.  A decimal
 * number only: strtod alone would also take "nan", "inf", hex floats, a
 * sign and leading blanks ("nans" is NaN seconds), none of them a time. */
static uint64_t parse_duration(const char *opt, const char *s)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (!((s[0] >= '0' && s[0] <= '9') || s[0] == '.') || memchr(s, 'x', (size_t)(end - s)) ||
        memchr(s, 'X', (size_t)(end - s)) || !isfinite(v))
        end = (char *)s; /* refused below */
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

/* Whether a and b name one file: by (st_dev, st_ino), so that another path,
 * a hard link or a symlink to it is seen as the same. */
static int same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* The input i as a file: stdin for "-" (when it is redirected from one). */
static int stat_input(const char *trace, struct stat *st)
{
    return strcmp(trace, "-") == 0 ? fstat(STDIN_FILENO, st) : stat(trace, st);
}

/*
 * Before anything is read or created: no output may be one of the inputs
 * (writing it would destroy the trace, and a CSV stream would truncate it
 * before it is even read), nor a directory, nor another output.  Identity
 * is compared when the output exists, the path text otherwise (an input
 * that does not exist yet fails to open anyway, but must not be created
 * first).  Standard output counts when it is a regular file: `report T >>T`.
 */
static void check_outputs(const struct bs_options *o)
{
    const struct {
        const char *opt, *path;
    } outs[] = {
        {"--csv-timeline", o->csv_timeline}, {"--csv-deletes", o->csv_deletes}, {"--svg", o->svg}};
    const size_t nouts = sizeof(outs) / sizeof(outs[0]);
    struct stat so, si;
    char msg[3 * PATH_MAX];
    for (size_t k = 0; k <= nouts; k++) {
        const char *opt = k < nouts ? outs[k].opt : NULL, *path = k < nouts ? outs[k].path : NULL;
        int exists;
        if (k < nouts) {
            if (!path) continue;
            exists = stat(path, &so) == 0;
            if (exists && S_ISDIR(so.st_mode)) {
                snprintf(msg, sizeof(msg), "%s %s is a directory: name a file to write", opt, path);
                usage_error(msg);
            }
        } else {
            exists = fstat(STDOUT_FILENO, &so) == 0 && S_ISREG(so.st_mode);
            if (!exists) continue;
        }
        /* Identity only for a regular output: a device (/dev/null in and
         * out) or a FIFO cannot overwrite a trace. */
        int by_id = exists && S_ISREG(so.st_mode);
        for (int i = 0; i < o->ntraces; i++) {
            const char *t = o->traces[i];
            int hit = by_id ? stat_input(t, &si) == 0 && same_file(&so, &si)
                            : !exists && strcmp(t, path) == 0;
            if (!hit) continue;
            const char *as = strcmp(t, "-") == 0 ? "standard input" : t;
            if (!path)
                snprintf(msg, sizeof(msg),
                         "standard output is an input (%s): it would be overwritten", as);
            else if (strcmp(as, path) != 0)
                snprintf(msg, sizeof(msg),
                         "%s %s is an input (%s): it would be overwritten; "
                         "write the output elsewhere",
                         opt, path, as);
            else
                snprintf(msg, sizeof(msg),
                         "%s %s is an input: it would be overwritten; write "
                         "the output elsewhere",
                         opt, path);
            usage_error(msg);
        }
        for (size_t j = 0; path && j < k; j++) {
            struct stat sj;
            if (!outs[j].path) continue;
            int hit = by_id ? stat(outs[j].path, &sj) == 0 && same_file(&so, &sj)
                            : !exists && strcmp(outs[j].path, path) == 0;
            if (!hit) continue;
            snprintf(msg, sizeof(msg), "%s %s is also %s %s: give each output its own file", opt,
                     path, outs[j].opt, outs[j].path);
            usage_error(msg);
        }
    }
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
        O_CTF_TIMEOUT,
        O_NOPROG,
        O_STATS,
        O_RAW,
        O_HELP,
        O_VERSION,
        O_FOLLOW,
        O_JSON,
        O_LIVE_TICKS,
        O_JOBS
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
                                         {"ctf-timeout", required_argument, 0, O_CTF_TIMEOUT},
                                         {"no-progress", no_argument, 0, O_NOPROG},
                                         {"stats", no_argument, 0, O_STATS},
                                         {"raw", no_argument, 0, O_RAW},
                                         {"milliseconds", no_argument, 0, 'm'},
                                         {"follow", no_argument, 0, O_FOLLOW},
                                         {"interval", required_argument, 0, 'i'},
                                         {"timestamp", no_argument, 0, 'T'},
                                         {"json", no_argument, 0, O_JSON},
                                         {"live-ticks", required_argument, 0, O_LIVE_TICKS},
                                         {"jobs", required_argument, 0, 'j'},
                                         {"help", no_argument, 0, O_HELP},
                                         {"version", no_argument, 0, O_VERSION},
                                         {0, 0, 0, 0}};
    *o = (struct bs_options){.format = "text",
                             .show_progress = isatty(2),
                             .top = 10,
                             .filter_pid = -1,
                             .live_ticks_fd = -1};
    int have_tick = 0, c;
    bs_prog = bs_prog_name(argv[0], "bucketscope-report");
    opterr = 0;
    while ((c = getopt_long(argc, argv, "hmVi:Tj:", opts, NULL)) != -1) {
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
        case O_CTF_TIMEOUT: {
            char *end;
            o->ctf_timeout_s = strtod(optarg, &end);
            if (end == optarg || *end || !(o->ctf_timeout_s > 0 && o->ctf_timeout_s <= 86400))
                usage_error("--ctf-timeout must be a number of seconds, above 0 and at most 86400");
            break;
        }
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
        case O_FOLLOW:
            o->follow = 1;
            break;
        case 'i': { /* bcc tools take whole seconds: a bare number is seconds */
            char *end;
            double s = strtod(optarg, &end);
            if (end != optarg && !*end && optarg[0] >= '0' && optarg[0] <= '9' && s > 0 &&
                s <= 86400)
                o->interval_ns = (uint64_t)(s * 1e9 + 0.5);
            else
                o->interval_ns = parse_duration("-i", optarg);
            if (!o->interval_ns) usage_error("-i must be positive");
            break;
        }
        case 'T':
            o->timestamps = 1;
            break;
        case O_JSON:
            o->format = "json";
            break;
        case 'j':
            o->jobs = (int)parse_number("-j", optarg, 10, 64);
            if (!o->jobs) usage_error("-j must be 1 to 64");
            break;
        case O_LIVE_TICKS:
            o->live_ticks_fd = (int)parse_number("--live-ticks", optarg, 10, INT_MAX);
            break;
        case 'h':
        case O_HELP: {
            /* One write at exit_after_stdout's flush, as for a shorter text:
             * a reader that stops early (grep -q) then never makes this one
             * die of SIGPIPE halfway; a write error keeps its errno. */
            static char help_buf[1 << 16]; /* glibc ignores the size of a NULL buffer */
            setvbuf(stdout, help_buf, _IOFBF, sizeof(help_buf));
            errno = 0;
            print_usage(stdout);
            fputs(help_text, stdout);
            if (ferror(stdout)) {
                bs_err("writing standard output: %s\n", strerror(errno ? errno : EIO));
                exit(EXIT_OUTPUT);
            }
            exit_after_stdout();
        }
        case 'V':
        case O_VERSION:
            /* "<command> <version>", the project's, as every command. */
            printf("%s " BS_VERSION "\n", bs_prog);
            exit_after_stdout();
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
    if (!o->jobs) {
        cpu_set_t set;
        int n = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 1;
        o->jobs = n < 1 ? 1 : n > 64 ? 64 : n;
    }
    o->lttng_live = bs_is_live_url(argv[optind]);
    for (int i = optind; i < argc; i++)
        if (bs_is_live_url(argv[i]) != o->lttng_live)
            usage_error("net:// sessions and files cannot be mixed: their clocks differ");
    if (o->lttng_live && o->follow)
        usage_error("--follow is for files; a net:// session is always followed");
    if (o->lttng_live && !o->interval_ns) o->interval_ns = 1000000000;
    if (o->lttng_live) o->show_progress = 0;
    if (o->follow && argc - optind != 1) usage_error("--follow reads one TRACE");
    if (o->follow && strcmp(argv[optind], "-") == 0)
        usage_error("--follow needs a file: standard input is already read as it comes");
    if (o->follow && !o->interval_ns && o->live_ticks_fd < 0) o->interval_ns = 1000000000;
    if (o->follow) o->show_progress = 0; /* the tables are the progress */
    if ((o->interval_ns || o->live_ticks_fd >= 0) && !o->follow && !o->lttng_live)
        usage_error("-i needs --follow FILE or a net:// session: a finished trace has no "
                    "intervals");
    if (o->live_ticks_fd >= 0 && !o->follow) usage_error("--live-ticks needs --follow");
    if (o->live_ticks_fd >= 0 && o->interval_ns)
        usage_error("-i and --live-ticks are exclusive: the ticks say when");
    o->traces = argv + optind;
    o->ntraces = argc - optind;
    check_outputs(o);
}
