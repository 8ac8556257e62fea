/*
 * main.c — bucketscope-report: read traces, rebuild bucket lifetimes, report.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "lifetime.h"
#include "reader.h"
#include "report.h"

#define EXIT_USAGE 2

static const char usage_line[] =
    "usage: bucketscope-report [--format text|json|csv] [--csv-timeline FILE [--tick DUR]]\n"
    "                          [--csv-deletes FILE] [--svg FILE] [--pid PID] [--map ADDR]\n"
    "                          [--since DUR] [--until DUR] [--top N] [--allow-truncated]\n"
    "                          [--no-progress] [--stats] TRACE...\n";

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
    "  --format F          text (default), json (schema bucketscope-report/1) or csv\n"
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
    "Exit status: 0 ok, 1 unreadable input, 2 usage error.\n";

static void usage_error(const char *msg)
{
    fprintf(stderr, "bucketscope-report: %s\n%s", msg, usage_line);
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

static void close_all(struct bs_reader **readers, int n)
{
    for (int i = 0; i < n; i++)
        bs_reader_close(readers[i]);
    free(readers);
}

static FILE *open_out(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "bucketscope-report: %s: %s\n", path, strerror(errno));
        exit(1);
    }
    return f;
}

static void progress(const struct bs_reader *r, uint64_t events, int done)
{
    if (done) {
        fprintf(stderr, "\r%60s\r", "");
        return;
    }
    if (r->bytes_total)
        fprintf(stderr, "\rbucketscope-report: %5.1f%%  %.1fM events",
                100.0 * (double)r->bytes_done / (double)r->bytes_total, (double)events / 1e6);
    else
        fprintf(stderr, "\rbucketscope-report: %.1fM events", (double)events / 1e6);
}

/* --stats: what the analysis cost, for the benchmark (docs/report.md). */
static void print_stats(const struct bs_engine *e, const struct bs_reader *rd,
                        struct timespec start)
{
    struct timespec now;
    struct rusage ru;
    clock_gettime(CLOCK_MONOTONIC, &now);
    getrusage(RUSAGE_SELF, &ru);
    double wall = (double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9;
    double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                 (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    size_t state = bs_engine_peak_state_bytes(e);
    fprintf(stderr,
            "stats: %" PRIu64 " events (%s) in %.3f s wall, %.3f s cpu: %.2f M events/s wall, "
            "%.2f M events/s cpu\n"
            "stats: peak bucket states %" PRIu64 ", peak buckets with pending deletes %u, "
            "engine state at most %zu bytes (%.1f bytes per bucket of live allocations), "
            "max RSS %ld KiB\n",
            e->events, bs_input_kind_name[rd->kind], wall, cpu, (double)e->events / wall / 1e6,
            (double)e->events / cpu / 1e6, e->peak_states_live, e->peak_pending_live, state,
            e->peak_states_live ? (double)state / (double)e->peak_states_live : 0.0, ru.ru_maxrss);
}

/* First payload field of every event is the map address. */
static uint64_t record_map(const struct hmap_native_rec_header *h)
{
    uint64_t m;
    memcpy(&m, h + 1, sizeof(m));
    return m;
}

int main(int argc, char **argv)
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
                                         {"help", no_argument, 0, O_HELP},
                                         {"version", no_argument, 0, O_VERSION},
                                         {0, 0, 0, 0}};
    const char *format = "text", *csv_tl = NULL, *csv_del = NULL, *svg = NULL;
    uint64_t tick = 0, since = 0, until = 0;
    int have_tick = 0, have_until = 0, allow_trunc = 0, show_progress = isatty(2), show_stats = 0;
    struct bs_report rep = {.top = 10, .filter_pid = -1};
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case O_FORMAT:
            format = optarg;
            if (strcmp(format, "text") && strcmp(format, "json") && strcmp(format, "csv"))
                usage_error("--format must be text, json or csv");
            break;
        case O_CSV_TL:
            csv_tl = optarg;
            break;
        case O_CSV_DEL:
            csv_del = optarg;
            break;
        case O_TICK:
            tick = parse_duration("--tick", optarg);
            have_tick = 1;
            if (!tick) usage_error("--tick must be positive");
            break;
        case O_SVG:
            svg = optarg;
            break;
        case O_PID:
            rep.filter_pid = (long long)parse_number("--pid", optarg, 10, UINT32_MAX);
            break;
        case O_MAP:
            rep.filter_map = parse_number("--map", optarg, 16, UINT64_MAX);
            rep.filter_map_set = 1;
            break;
        case O_SINCE:
            since = parse_duration("--since", optarg);
            break;
        case O_UNTIL:
            until = parse_duration("--until", optarg);
            have_until = 1;
            break;
        case O_TOP:
            rep.top = (int)parse_number("--top", optarg, 10, 1000000);
            break;
        case O_TRUNC:
            allow_trunc = 1;
            break;
        case O_NOPROG:
            show_progress = 0;
            break;
        case O_STATS:
            show_stats = 1;
            break;
        case 'h':
        case O_HELP:
            printf("%s%s", usage_line, help_text);
            return 0;
        case O_VERSION:
            printf("bucketscope-report 0.1 (%s)\n", BS_JSON_SCHEMA);
            return 0;
        default: {
            char msg[128];
            snprintf(msg, sizeof(msg), "unknown or incomplete option '%s'", argv[optind - 1]);
            usage_error(msg);
        }
        }
    }
    if (optind >= argc) usage_error("no TRACE given");
    if (have_tick && !csv_tl) usage_error("--tick only applies to --csv-timeline");
    if (have_until && until <= since) usage_error("--until must be later than --since");
    if (!tick) tick = 1000000;

    /* Open every input; all must be of one kind. */
    int n = argc - optind;
    struct bs_reader **readers = calloc((size_t)n, sizeof(*readers));
    char err[600];
    for (int i = 0; i < n; i++) {
        readers[i] = bs_reader_open(argv[optind + i], allow_trunc, err, sizeof(err));
        if (!readers[i]) {
            fprintf(stderr, "bucketscope-report: %s\n", err);
            close_all(readers, i);
            return 1;
        }
        if (readers[i]->kind != readers[0]->kind) {
            fprintf(stderr,
                    "bucketscope-report: %s is a %s trace but %s is a %s trace: their clocks "
                    "cannot be compared; report them separately\n%s",
                    argv[optind + i], bs_input_kind_name[readers[i]->kind], argv[optind],
                    bs_input_kind_name[readers[0]->kind], usage_line);
            close_all(readers, i + 1);
            return EXIT_USAGE;
        }
    }
    struct bs_reader *rd = bs_reader_merge(readers, n);
    free(readers);

    struct bs_csv_stream cs = {0};
    if (csv_tl) {
        cs.timeline = open_out(csv_tl);
        bs_csv_timeline_header(cs.timeline);
    }
    if (csv_del) {
        cs.deletes = open_out(csv_del);
        bs_csv_deletes_header(cs.deletes);
    }
    struct bs_engine_opts eo = {.ctx = &cs,
                                .on_delete = csv_del ? bs_csv_delete_row : NULL,
                                .on_tick = csv_tl ? bs_csv_timeline_tick : NULL,
                                .tick_ns = csv_tl ? tick : 0};
    struct bs_engine *e = bs_engine_new(&eo);
    cs.e = e;

    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    const struct hmap_native_rec_header *h;
    int st;
    uint64_t nrec = 0;
    int have_first = 0;
    while ((st = rd->next(rd, &h)) == 1) {
        if (!have_first) { /* the window is relative to the first record */
            have_first = 1;
            e->opt.since_ns = h->ts_ns + since;
            e->opt.until_ns = have_until ? h->ts_ns + until : 0;
        }
        if (h->id != HMAP_NATIVE_LOST_ID) {
            if (rep.filter_pid >= 0 && h->pid != (uint64_t)rep.filter_pid) continue;
            if (rep.filter_map_set && h->size >= sizeof(*h) + 8 && record_map(h) != rep.filter_map)
                continue;
        }
        bs_engine_feed(e, h);
        if (e->past_until) break;
        if (show_progress && (++nrec & 0xfffff) == 0) progress(rd, nrec, 0);
    }
    if (show_progress) progress(rd, nrec, 1);
    if (st < 0) {
        fprintf(stderr, "bucketscope-report: %s\n", rd->err);
        bs_engine_free(e);
        bs_reader_close(rd);
        return 1;
    }
    bs_engine_finish(e);
    if (show_stats) print_stats(e, rd, start);

    rep.e = e;
    rep.inputs = argv + optind;
    rep.ninputs = n;
    rep.kind = rd->kind;
    rep.discarded_events = rd->discarded_events;
    rep.discarded_packets = rd->discarded_packets;
    rep.truncated = rd->truncated;
    rep.truncated_at = rd->truncated_at;
    rep.since_rel = since;
    rep.until_rel = have_until ? until : 0;
    if (strcmp(format, "json") == 0)
        bs_report_json(stdout, &rep);
    else if (strcmp(format, "csv") == 0)
        bs_report_csv_maps(stdout, &rep);
    else
        bs_report_text(stdout, &rep);
    int rc = 0;
    if (svg) {
        FILE *f = open_out(svg);
        bs_report_svg(f, &rep);
        if (fclose(f) != 0) rc = 1;
    }
    if (cs.timeline && fclose(cs.timeline) != 0) rc = 1;
    if (cs.deletes && fclose(cs.deletes) != 0) rc = 1;
    if (rd->truncated)
        fprintf(stderr, "bucketscope-report: warning: input truncated, analysed up to %s\n",
                rd->truncated_at);
    bs_engine_free(e);
    bs_reader_close(rd);
    if (fflush(stdout) != 0) rc = 1;
    return rc;
}
