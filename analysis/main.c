/* SPDX-License-Identifier: MIT */
/*
 * main.c — bucketscope-report: read traces, rebuild bucket lifetimes, report.
 *
 * The steps, in order: parse the options (options.c), open the inputs
 * (readers/), run the lifetime engine over them (engine/), build the report
 * model once (report/model.c) and write every output asked for from it.
 * Every output goes through outfile.c: a write error anywhere is reported
 * with its output's name and errno, and files are only renamed into place
 * once complete.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "prog.h"
#include "csv_stream.h"
#include "go_latency.h"
#include "live_drive.h"
#include "spell.h" /* bs_fmt_ns */
#include "lifetime.h"
#include "options.h"
#include "outfile.h"
#include "reader.h"
#include "report.h"
#include "schema_table.h"
#include "shards.h"
#include "site.h"

static void close_all(struct bs_reader **readers, int n)
{
    for (int i = 0; i < n; i++)
        bs_reader_close(readers[i]);
    free(readers);
}

/* Every TRACE opened and merged into one reader; all must be of one kind
 * (their clocks are not comparable otherwise).  Exits on failure. */
static struct bs_reader *open_inputs(const struct bs_options *o)
{
    if (o->follow || o->lttng_live) { /* still being written (docs/live.md) */
        char ferr[600];
        struct bs_reader *rd = o->follow
                                   ? bs_follow_open(o->traces[0], ferr, sizeof(ferr))
                                   : bs_ctf_live_open(o->traces, o->ntraces, ferr, sizeof(ferr));
        if (!rd) {
            bs_err("%s\n", ferr);
            exit(1);
        }
        return rd;
    }
    struct bs_reader **readers = calloc((size_t)o->ntraces, sizeof(*readers));
    char err[600];
    for (int i = 0; i < o->ntraces; i++) {
        readers[i] = bs_reader_open(o->traces[i], o->allow_truncated, err, sizeof(err));
        if (!readers[i]) {
            bs_err("%s\n", err);
            close_all(readers, i);
            exit(1);
        }
        if (readers[i]->kind != readers[0]->kind) {
            bs_err("%s is a %s trace but %s is a %s trace: their clocks "
                   "cannot be compared; report them separately\n",
                   o->traces[i], bs_input_kind_name[readers[i]->kind], o->traces[0],
                   bs_input_kind_name[readers[0]->kind]);
            bs_usage_hint();
            close_all(readers, i + 1);
            exit(EXIT_USAGE);
        }
    }
    struct bs_reader *rd = bs_reader_merge(readers, o->ntraces);
    free(readers);
    return rd;
}

static void progress(const struct bs_reader *r, uint64_t events, int done)
{
    if (done) {
        fprintf(stderr, "\r%60s\r", "");
        return;
    }
    if (r->bytes_total)
        fprintf(stderr, "\r%s: %5.1f%%  %.1fM events", bs_prog,
                100.0 * (double)r->bytes_done / (double)r->bytes_total, (double)events / 1e6);
    else
        fprintf(stderr, "\r%s: %.1fM events", bs_prog, (double)events / 1e6);
}

/* The map a record names: 1 with *map set when its event's first field is
 * the map (schema/hmap_events.h), 0 for an event of no map (statedump_done
 * ends a dump pass of the whole process) or an unknown one. */
static int record_map(const struct hmap_native_rec_header *h, uint64_t *map)
{
    const struct bs_event_desc *ev = bs_event_by_id(h->id);
    if (!ev || !ev->nfields || strcmp(ev->fields[0].name, "map") != 0 ||
        ev->fields[0].kind != BS_FIELD_PTR || h->size < sizeof(*h) + sizeof(*map))
        return 0;
    memcpy(map, h + 1, sizeof(*map));
    return 1;
}

/* 1 if --pid / --map leave the record out (lost records always count, and
 * --map keeps the records of no map: they are about every map). */
static int filtered_out(const struct bs_options *o, const struct hmap_native_rec_header *h)
{
    uint64_t map;
    if (h->id == HMAP_NATIVE_LOST_ID) return 0;
    if (o->filter_pid >= 0 && h->pid != (uint64_t)o->filter_pid) return 1;
    return o->filter_map_set && record_map(h, &map) && map != o->filter_map;
}

/* What the filters and the window let through, for the "nothing selected"
 * check (docs/report.md, "Exit status"). */
struct selection {
    uint64_t events;            /* event records read (lost records not counted) */
    uint64_t matching;          /* of those, kept by --pid / --map */
    uint64_t selected;          /* of those, inside [--since, --until] */
    uint64_t first_ns, last_ns; /* first and last event record read */
    uint64_t last_match_ns;     /* last one kept by --pid / --map */
};

/* Where the records go: one engine, or the shards (-j) until they finish
 * into one engine's result. */
struct sink {
    struct bs_engine *e;
    struct bs_shards *sh;
};

/* bs_shards_feed / bs_shards_finish refused: run one engine instead. */
#define RUN_AGAIN 2

/* Feed every record of rd to the sink; the window is relative to the first
 * record read, filtered or not.  0, or -1 with the reader's message printed;
 * live, 1 after such a message when events came before it: they are still
 * reported (docs/live.md); RUN_AGAIN when the shards refused (nothing
 * printed; the input is to be read again by one engine).  Sets k->e once
 * the shards finish. */
static int run_engine(struct sink *k, struct bs_go *go, struct bs_reader *rd,
                      const struct bs_options *o, struct selection *sel, struct bs_live_drive *live)
{
    const struct hmap_native_rec_header *h;
    int st, have_first = 0, filtering = o->filter_pid >= 0 || o->filter_map_set, go_on = 0;
    uint64_t nrec = 0, since_abs = 0, until_abs = 0;
    struct bs_engine *e = k->e;
    /* The counts live in locals while reading: this loop runs once per
     * record, and the calls in it could otherwise alias *sel. */
    struct selection s = *sel;
    while ((st = rd->next(rd, &h)) == 1 || (live && st == BS_READER_AGAIN)) {
        if (st == BS_READER_AGAIN) {
            bs_live_drive_idle(live, rd, e);
            continue;
        }
        if (live && (s.events & 4095) == 0) bs_live_drive_busy(live, rd, e);
        if (!have_first) {
            have_first = 1;
            since_abs = h->ts_ns + o->since_ns;
            until_abs = o->have_until ? h->ts_ns + o->until_ns : 0;
            if (k->sh)
                bs_shards_set_window(k->sh, since_abs, until_abs);
            else
                bs_engine_set_window(e, since_abs, until_abs);
            if (go) bs_go_set_window(go, since_abs, until_abs);
        }
        /* Asked once per record, and not at all without --pid or --map. */
        int out = filtering && filtered_out(o, h);
        if (h->id != HMAP_NATIVE_LOST_ID) {
            uint64_t ts = h->ts_ns;
            if (!s.events++) s.first_ns = ts;
            s.last_ns = ts;
            if (!out) {
                s.matching++;
                s.last_match_ns = ts;
                s.selected += ts >= since_abs && (!until_abs || ts <= until_abs);
            }
        }
        if (out) continue;
        if (k->sh) {
            int r = bs_shards_feed(k->sh, h);
            if (r < 0) {
                *sel = s;
                return RUN_AGAIN;
            }
            if (r) break;
        } else if (bs_engine_feed(e, h)) {
            break;
        }
        /* The Go section (docs/go.md, "The report"): until a Go map is
         * announced only a map_create can matter to it. */
        if (go && (go_on || h->id == HMAP_EV_map_create)) {
            bs_go_feed(go, h);
            go_on = bs_go_listening(go);
        }
        if (o->show_progress && (++nrec & 0xfffff) == 0) progress(rd, nrec, 0);
    }
    *sel = s;
    if (o->show_progress) progress(rd, nrec, 1);
    if (live) bs_live_drive_end(live, e);
    if (st < 0) {
        bs_err("%s\n", rd->err);
        if (!live || !sel->events) return -1; /* nothing came: nothing to report */
    }
    if (k->sh) {
        if (!(k->e = bs_shards_finish(k->sh))) return RUN_AGAIN;
    } else {
        bs_engine_finish(e);
    }
    return st < 0;
}

/* -j N shards the engine only where nothing needs one engine's callbacks
 * as the records come (the CSV streams, the live tables) and the input can
 * be read again if the shards refuse (not standard input). */
static int shardable(const struct bs_options *o, const struct bs_live_drive *live)
{
    if (o->jobs < 2 || o->follow || o->lttng_live || live || o->csv_deletes || o->csv_timeline)
        return 0;
    for (int i = 0; i < o->ntraces; i++)
        if (strcmp(o->traces[i], "-") == 0) return 0;
    return 1;
}

/* -j: bs_shards_new's home_weight, from what reading a record costs the
 * caller's thread against the engine's work on it, as measured
 * (docs/report.md, "Parallel analysis"): packed native records (version
 * 3) are cheap to read, versions 1 and 2 and CTF's decoded stream take 48
 * bytes a record, and a bpftrace line costs more to parse than the engine
 * spends on it, so that shard 0 takes little. */
static int home_weight(const struct bs_reader *rd)
{
    if (rd->kind == BS_INPUT_BPFTRACE) return 64;
    if (rd->kind == BS_INPUT_NATIVE && rd->native_version >= 3) return 10;
    return 12;
}

/* One line on stderr when there is nothing to report; 1 if so. */
static int say_if_nothing(const struct bs_options *o, const struct selection *sel)
{
    char a[32], b[32], c[32], what[160] = "";
    const char *trace = o->ntraces == 1 ? o->traces[0] : "the traces";
    if (!sel->events) {
        bs_err("%s holds no hmap event: nothing to report\n", trace);
        return 1;
    }
    if (sel->selected) return 0;
    if (o->filter_pid >= 0)
        snprintf(what + strlen(what), sizeof(what) - strlen(what), " --pid %lld",
                 (long long)o->filter_pid);
    if (o->filter_map_set)
        snprintf(what + strlen(what), sizeof(what) - strlen(what), " --map 0x%" PRIx64,
                 o->filter_map);
    if (!sel->matching)
        bs_err("nothing selected: no event of %s matches%s (%" PRIu64 " events read)\n", trace,
               what, sel->events);
    else
        bs_err("nothing selected: the window --since %s%s%s holds no "
               "event%s%s (the last one is at +%s)\n",
               bs_fmt_ns(o->since_ns, a, sizeof(a)), o->have_until ? " --until " : "",
               o->have_until ? bs_fmt_ns(o->until_ns, b, sizeof(b)) : "", *what ? " of" : "", what,
               bs_fmt_ns(sel->last_match_ns - sel->first_ns, c, sizeof(c)));
    return 1;
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
    struct bs_engine_stats s = bs_engine_stats(e);
    fprintf(stderr,
            "stats: %" PRIu64 " events (%s) in %.3f s wall, %.3f s cpu: %.2f M events/s wall, "
            "%.2f M events/s cpu\n"
            "stats: peak bucket states %" PRIu64 ", peak buckets with pending deletes %u, "
            "engine state at most %zu bytes (%.1f bytes per bucket of live allocations), "
            "max RSS %ld KiB\n",
            s.events, bs_input_kind_name[rd->kind], wall, cpu, (double)s.events / wall / 1e6,
            (double)s.events / cpu / 1e6, s.peak_states_live, s.peak_pending_live,
            s.peak_state_bytes,
            s.peak_states_live ? (double)s.peak_state_bytes / (double)s.peak_states_live : 0.0,
            ru.ru_maxrss);
}

static struct bs_report_input report_input(const struct bs_options *o, const struct bs_reader *rd)
{
    return (struct bs_report_input){.paths = o->traces,
                                    .n = o->ntraces,
                                    .kind = rd->kind,
                                    .discarded_events = rd->discarded_events,
                                    .discarded_packets = rd->discarded_packets,
                                    .truncated = rd->truncated,
                                    .truncated_at = rd->truncated_at,
                                    .top = o->top,
                                    .raw = o->raw,
                                    .msecs = o->msecs,
                                    .filter_pid = o->filter_pid,
                                    .filter_map_set = o->filter_map_set,
                                    .filter_map = o->filter_map,
                                    .since_rel = o->since_ns,
                                    .until_rel = o->have_until ? o->until_ns : 0};
}

/* The engine's callbacks: the CSV streams and the live tables.  cs comes
 * first: the CSV callbacks take the whole as their bs_csv_stream. */
struct hooks {
    struct bs_csv_stream cs;
    struct bs_live *live;
};

static void on_delete(void *ctx, const struct bs_delete_row *row)
{
    struct hooks *k = ctx;
    if (k->cs.deletes) bs_csv_delete_row(&k->cs, row);
    if (k->live) bs_live_on_delete(k->live, row);
}

/* The report on stdout in the chosen format, and the SVG if asked; their
 * write errors are kept by outfile.c and said by bs_out_commit_all(). */
static void write_outputs(const struct bs_report_model *m, const struct bs_options *o)
{
    FILE *out = bs_out_stdout();
    if (strcmp(o->format, "json") == 0)
        bs_report_json(out, m);
    else if (strcmp(o->format, "csv") == 0)
        bs_report_csv_maps(out, m);
    else {
        bs_report_text(out, m);
        bs_go_report_text(out, m->go, m->in.msecs);
    }
    if (o->svg) bs_report_svg(bs_out_open(o->svg), m);
}

int main(int argc, char **argv)
{
    struct bs_options o;
    bs_parse_options(argc, argv, &o);
    if (o.ctf_timeout_s > 0) bs_ctf_timeout_s = o.ctf_timeout_s;
    struct bs_reader *rd = open_inputs(&o);

    struct hooks k = {0};
    struct bs_csv_stream *cs = &k.cs;
    struct bs_live_drive *live = bs_live_drive_new(&o, bs_out_stdout(), rd);
    k.live = bs_live_drive_table(live);
    if (o.csv_timeline) bs_csv_timeline_header(cs->timeline = bs_out_open(o.csv_timeline));
    if (o.csv_deletes) bs_csv_deletes_header(cs->deletes = bs_out_open(o.csv_deletes));
    struct bs_engine_opts eo = {.ctx = &k,
                                .on_delete = o.csv_deletes || k.live ? on_delete : NULL,
                                .on_tick = o.csv_timeline ? bs_csv_timeline_tick : NULL,
                                .tick_ns = o.csv_timeline ? o.tick_ns : 0,
                                .name = o.ntraces == 1 ? o.traces[0] : "the traces"};
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    struct selection sel;
    int input_failed = 0, sharded = shardable(&o, live);
    const char *refused = NULL;
    struct bs_go *go;
    struct sink sink;
    for (;;) {
        sink = (struct sink){0};
        if (sharded && !(sink.sh = bs_shards_new(&eo, o.jobs, home_weight(rd)))) sharded = 0;
        if (!sharded) cs->e = sink.e = bs_engine_new(&eo); /* the CSV streams read it */
        sel = (struct selection){0};
        /* The Go section: text and JSON (docs/go.md, "The report"). */
        go = strcmp(o.format, "csv") != 0 ? bs_go_new() : NULL;
        if ((sink.sh || sink.e) &&
            (input_failed = run_engine(&sink, go, rd, &o, &sel, live)) == RUN_AGAIN) {
            /* The shards could not give one engine's answer: from the
             * start again, on one engine. */
            refused = bs_shards_refusal(sink.sh);
            bs_shards_free(sink.sh);
            bs_go_free(go);
            bs_reader_close(rd);
            rd = open_inputs(&o);
            sharded = 0;
            continue;
        }
        break;
    }
    struct bs_engine *e = sink.e;
    cs->e = e;
    if (!e || input_failed < 0) {
        bs_shards_free(sink.sh);
        bs_go_free(go);
        bs_engine_free(e);
        bs_reader_close(rd);
        bs_live_drive_free(live);
        return 1;
    }
    if (o.show_stats) {
        print_stats(e, rd, start);
        if (o.jobs > 1)
            fprintf(stderr, "stats: -j %d: %s%s%s\n", o.jobs, sharded ? "sharded" : "one engine",
                    refused ? ", the shards refused: " : "", refused ? refused : "");
        if (sink.sh) {
            double cpu[BS_MAX_JOBS + 1], spin[BS_MAX_JOBS + 1];
            int n = bs_shards_cpu(sink.sh, cpu, spin, BS_MAX_JOBS + 1);
            fprintf(stderr, "stats: cpu s by thread: reader and shard 0 %.3f, others", cpu[0]);
            for (int i = 1; i < n; i++)
                fprintf(stderr, " %.3f", cpu[i]);
            fprintf(stderr, "\nstats: of it spinning at hand-offs: %.3f, others", spin[0]);
            for (int i = 1; i < n; i++)
                fprintf(stderr, " %.3f", spin[i]);
            fputc('\n', stderr);
        }
    }
    bs_shards_free(sink.sh);

    struct bs_report_input in = report_input(&o, rd);
    struct bs_report_model model;
    if (bs_report_model_build(&model, e, &in) < 0) {
        bs_err("out of memory\n");
        return 1;
    }
    struct bs_go_report go_report;
    bs_go_report_build(go, &go_report);
    model.go = &go_report;
    write_outputs(&model, &o);
    int rc = bs_out_commit_all() != 0 ? EXIT_OUTPUT : input_failed ? 1 : 0;
    if (rd->truncated) bs_err("warning: input truncated, analysed up to %s\n", rd->truncated_at);
    bs_report_model_free(&model);
    bs_site_cache_free();
    bs_go_free(go);
    bs_engine_free(e);
    bs_reader_close(rd);
    bs_live_drive_free(live);
    if (rc == 0 && say_if_nothing(&o, &sel)) rc = EXIT_NOTHING;
    return rc;
}
