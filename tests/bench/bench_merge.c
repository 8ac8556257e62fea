/* SPDX-License-Identifier: MIT */
/*
 * bench_merge.c — merges the lines printed by bench_hmap, bench_go and
 * bench_absl (format in bench_common.h) into one Markdown report: a time
 * table (ns/op, median with min–max, and the libhmap/Go and libhmap/Abseil
 * ratios per row; a row printed by several processes of one program is the
 * median of their medians, with the min and max of all their runs) and a
 * memory table (bytes per entry and bytes still held after deleting every
 * key).  Each row is checked against the project's targets: libhmap at
 * least 1.5x faster than Go (ratio <= 0.67), within 1.5x of Abseil
 * (ratio <= 1.5), and bytes per entry not above Go's.  "mapmem" lines
 * (bytes per map at small N) make a third table.
 *
 *   bench_merge [-o results.md] raw-file...
 *
 * Lines that start with neither "bench " nor "mem " are ignored (the raw
 * files also carry headers); a malformed bench/mem line is an error naming
 * the file and line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { IMPL_HMAP, IMPL_GO, IMPL_ABSL, NIMPL };
static const char *const impl_names[NIMPL] = {"libhmap", "go", "abseil"};

#define OP_NAME(name, desc) #name,
#define OP_DESC(name, desc) desc,
#include "bench_common.h"
static const char *const op_names[] = {BENCH_OPS(OP_NAME)};
static const char *const op_descs[] = {BENCH_OPS(OP_DESC)};
#define NOPS (sizeof op_names / sizeof op_names[0])

#define TARGET_VS_GO (1 / 1.5)
#define TARGET_VS_ABSL 1.5

/* Processes of one program that may print the same row (bench.sh,
 * BENCH_PROCS). */
#define MAX_PROCS 16

/* One (key type, N) group of the report: every impl's numbers for it. */
struct group {
    char keys[8];
    unsigned long n;
    int have_time[NIMPL][NOPS];                                  /* lines read for the row */
    double proc_med[NIMPL][NOPS][MAX_PROCS];                     /* each line's median */
    double med[NIMPL][NOPS], min[NIMPL][NOPS], max[NIMPL][NOPS]; /* med: set by finish */
    int have_mem[NIMPL];
    double bpe[NIMPL], after[NIMPL];
};

static struct group groups[64];
static int ngroups;

/* Bytes per map at small N (mapmem lines), by key type and N. */
#define MAPMEM_MAX 16
static struct {
    char keys[8];
    unsigned long n;
    int have[NIMPL];
    double bytes[NIMPL];
} mapmem[MAPMEM_MAX];
static int nmapmem;

static struct group *group_for(const char *keys, unsigned long n)
{
    for (int i = 0; i < ngroups; i++)
        if (!strcmp(groups[i].keys, keys) && groups[i].n == n) return &groups[i];
    if (ngroups == (int)(sizeof groups / sizeof groups[0])) return NULL;
    struct group *g = &groups[ngroups++];
    memset(g, 0, sizeof *g);
    snprintf(g->keys, sizeof g->keys, "%s", keys);
    g->n = n;
    return g;
}

static int index_of(const char *const *names, int count, const char *s)
{
    for (int i = 0; i < count; i++)
        if (!strcmp(names[i], s)) return i;
    return -1;
}

/* Value of field `name` in a "k=v k=v" line, copied to out; 0 if absent. */
static int field(const char *line, const char *name, char *out, size_t outsz)
{
    size_t nl = strlen(name);
    for (const char *p = line; (p = strstr(p, name)) != NULL; p += nl) {
        if ((p == line || p[-1] == ' ') && p[nl] == '=') {
            size_t len = strcspn(p + nl + 1, " \n");
            if (len == 0 || len >= outsz) return 0;
            memcpy(out, p + nl + 1, len);
            out[len] = 0;
            return 1;
        }
    }
    return 0;
}

static int number(const char *line, const char *name, double *out)
{
    char buf[64], *end;
    if (!field(line, name, buf, sizeof buf)) return 0;
    errno = 0;
    *out = strtod(buf, &end);
    return !*end && !errno && *out >= 0;
}

/* Parses one bench/mem line into its group; returns an error text or NULL. */
static const char *parse_line(const char *line)
{
    char impl[16], keys[8], op[32];
    double n, med, mn, mx, bpe, after;
    int is_mem = !strncmp(line, "mem ", 4);
    if (!strncmp(line, "mapmem ", 7)) {
        double bytes;
        if (!field(line, "impl", impl, sizeof impl) || !field(line, "keys", keys, sizeof keys) ||
            !number(line, "n", &n) || !number(line, "bytes_per_map", &bytes))
            return "mapmem line needs impl=, keys=, n= and bytes_per_map=";
        int im = index_of(impl_names, NIMPL, impl);
        if (im < 0) return "unknown impl (expected libhmap, go or abseil)";
        int i = 0;
        while (i < nmapmem && (strcmp(mapmem[i].keys, keys) || mapmem[i].n != (unsigned long)n))
            i++;
        if (i == nmapmem) {
            if (nmapmem == MAPMEM_MAX) return "too many mapmem rows";
            memset(&mapmem[i], 0, sizeof mapmem[i]);
            snprintf(mapmem[i].keys, sizeof mapmem[i].keys, "%s", keys);
            mapmem[i].n = (unsigned long)n;
            nmapmem++;
        }
        mapmem[i].have[im] = 1;
        mapmem[i].bytes[im] = bytes;
        return NULL;
    }
    if (!field(line, "impl", impl, sizeof impl) || !field(line, "keys", keys, sizeof keys) ||
        !number(line, "n", &n) || n < 1)
        return "missing or bad impl=, keys= or n=";
    int im = index_of(impl_names, NIMPL, impl);
    if (im < 0) return "unknown impl (expected libhmap, go or abseil)";
    if (strcmp(keys, "u64") && strcmp(keys, "str")) return "unknown keys (expected u64 or str)";
    struct group *g = group_for(keys, (unsigned long)n);
    if (!g) return "too many (keys, n) groups";
    if (is_mem) {
        if (!number(line, "bytes_per_entry", &bpe) || !number(line, "bytes_after_delete", &after))
            return "mem line needs bytes_per_entry= and bytes_after_delete=";
        g->have_mem[im] = 1;
        g->bpe[im] = bpe;
        g->after[im] = after;
        return NULL;
    }
    if (!field(line, "op", op, sizeof op)) return "bench line needs op=";
    int o = index_of(op_names, (int)NOPS, op);
    if (o < 0) return "unknown op";
    if (!number(line, "ns_med", &med) || !number(line, "ns_min", &mn) ||
        !number(line, "ns_max", &mx) || mn > med || med > mx)
        return "bench line needs ns_min <= ns_med <= ns_max";
    int k = g->have_time[im][o];
    if (k == MAX_PROCS) return "more than 16 lines for one row";
    g->proc_med[im][o][k] = med;
    g->min[im][o] = k == 0 || mn < g->min[im][o] ? mn : g->min[im][o];
    g->max[im][o] = k == 0 || mx > g->max[im][o] ? mx : g->max[im][o];
    g->have_time[im][o] = k + 1;
    return NULL;
}

/* Each row's median: of its processes' medians. */
static void finish(void)
{
    for (int i = 0; i < ngroups; i++)
        for (int im = 0; im < NIMPL; im++)
            for (size_t o = 0; o < NOPS; o++) {
                struct group *g = &groups[i];
                int k = g->have_time[im][o];
                if (k) g->med[im][o] = bench_median(g->proc_med[im][o], k);
            }
}

static int read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "bench_merge: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[1024];
    int lineno = 0, bad = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (strncmp(line, "bench ", 6) && strncmp(line, "mem ", 4) && strncmp(line, "mapmem ", 7))
            continue;
        const char *err = parse_line(line);
        if (err) {
            fprintf(stderr, "bench_merge: %s:%d: %s: %s", path, lineno, err, line);
            bad = 1;
        }
    }
    fclose(f);
    return bad ? -1 : 0;
}

/* "12.3 (11.9–13.0)" or "—". */
static void cell_time(FILE *out, const struct group *g, int im, int o)
{
    if (!g->have_time[im][o])
        fprintf(out, " — |");
    else
        fprintf(out, " %.1f (%.1f–%.1f) |", g->med[im][o], g->min[im][o], g->max[im][o]);
}

static void cell_ratio(FILE *out, int have, double a, double b, double target, int *misses)
{
    if (!have || b <= 0) {
        fprintf(out, " — |");
        return;
    }
    int ok = a / b <= target;
    if (!ok) (*misses)++;
    fprintf(out, " %.2f%s |", a / b, ok ? "" : " ✗");
}

static void write_report(FILE *out)
{
    int miss_go = 0, miss_absl = 0, miss_mem = 0, rows = 0;
    fprintf(out, "### Time (ns per operation: median of the runs, min–max in brackets)\n\n");
    fprintf(out, "A row measured by several processes of a program shows the median of their "
                 "medians and the min–max of all their runs.\n\n");
    fprintf(out, "Ratios are libhmap / other (lower is better for libhmap); ✗ marks a missed "
                 "target (libhmap/Go ≤ 0.67, i.e. ≥ 1.5× faster; libhmap/Abseil ≤ 1.5).\n\n");
    fprintf(out,
            "| keys | N | workload | libhmap | Go 1.19 | Abseil | libhmap/Go | libhmap/Abseil |\n");
    fprintf(out, "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |\n");
    for (int i = 0; i < ngroups; i++) {
        const struct group *g = &groups[i];
        for (size_t o = 0; o < NOPS; o++) {
            if (!g->have_time[IMPL_HMAP][o] && !g->have_time[IMPL_GO][o] &&
                !g->have_time[IMPL_ABSL][o])
                continue;
            rows++;
            fprintf(out, "| %s | %lu | %s |", g->keys, g->n, op_descs[o]);
            for (int im = 0; im < NIMPL; im++)
                cell_time(out, g, im, (int)o);
            int h = g->have_time[IMPL_HMAP][o];
            cell_ratio(out, h && g->have_time[IMPL_GO][o], g->med[IMPL_HMAP][o], g->med[IMPL_GO][o],
                       TARGET_VS_GO, &miss_go);
            cell_ratio(out, h && g->have_time[IMPL_ABSL][o], g->med[IMPL_HMAP][o],
                       g->med[IMPL_ABSL][o], TARGET_VS_ABSL, &miss_absl);
            fprintf(out, "\n");
        }
    }
    fprintf(out, "\n### Memory (bytes held from the allocator)\n\n");
    fprintf(out, "Per entry after N inserts without hint; then what is still held after "
                 "deleting every key. ✗ marks libhmap above Go.\n\n");
    fprintf(out, "| keys | N | libhmap B/entry | Go B/entry | Abseil B/entry | libhmap/Go "
                 "| libhmap/Abseil | after delete: libhmap | Go | Abseil |\n");
    fprintf(out, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for (int i = 0; i < ngroups; i++) {
        const struct group *g = &groups[i];
        if (!g->have_mem[IMPL_HMAP] && !g->have_mem[IMPL_GO] && !g->have_mem[IMPL_ABSL]) continue;
        fprintf(out, "| %s | %lu |", g->keys, g->n);
        for (int im = 0; im < NIMPL; im++)
            g->have_mem[im] ? fprintf(out, " %.1f |", g->bpe[im]) : fprintf(out, " — |");
        int h = g->have_mem[IMPL_HMAP];
        cell_ratio(out, h && g->have_mem[IMPL_GO], g->bpe[IMPL_HMAP], g->bpe[IMPL_GO], 1.0,
                   &miss_mem);
        int ignored = 0;
        cell_ratio(out, h && g->have_mem[IMPL_ABSL], g->bpe[IMPL_HMAP], g->bpe[IMPL_ABSL], 1e9,
                   &ignored);
        for (int im = 0; im < NIMPL; im++)
            g->have_mem[im] ? fprintf(out, " %.0f |", g->after[im]) : fprintf(out, " — |");
        fprintf(out, "\n");
    }
    if (nmapmem) {
        fprintf(out, "\n### Memory per map at small N (bytes)\n\n");
        fprintf(out,
                "A map of N entries made without hint, averaged over many maps: libhmap "
                "hmap_stats.bytes_allocated, Go runtime.MemStats.HeapAlloc, Abseil its "
                "allocator's bytes plus the map object. ✗ marks libhmap more than 0.5 %% above Go "
                "(the resolution of Go's measurement).\n\n");
        fprintf(out, "| keys | N | libhmap | Go 1.19 | Abseil | libhmap/Go | libhmap/Abseil |\n");
        fprintf(out, "| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (int i = 0; i < nmapmem; i++) {
            fprintf(out, "| %s | %lu |", mapmem[i].keys, mapmem[i].n);
            for (int im = 0; im < NIMPL; im++)
                mapmem[i].have[im] ? fprintf(out, " %.1f |", mapmem[i].bytes[im])
                                   : fprintf(out, " — |");
            int h = mapmem[i].have[IMPL_HMAP], ignored = 0;
            /* 0.5 %: a HeapAlloc delta over 10^4 maps wanders by a few
             * hundred bytes (other objects freed between the readings). */
            cell_ratio(out, h && mapmem[i].have[IMPL_GO], mapmem[i].bytes[IMPL_HMAP],
                       mapmem[i].bytes[IMPL_GO], 1.005, &miss_mem);
            cell_ratio(out, h && mapmem[i].have[IMPL_ABSL], mapmem[i].bytes[IMPL_HMAP],
                       mapmem[i].bytes[IMPL_ABSL], 1e9, &ignored);
            fprintf(out, "\n");
        }
    }
    fprintf(out,
            "\nTargets missed: %d of %d time rows vs Go, %d vs Abseil, %d memory rows vs Go.\n",
            miss_go, rows, miss_absl, miss_mem);
}

static void usage(void)
{
    fprintf(stderr, "usage: bench_merge [-o results.md] raw-file...\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *out_path = NULL;
    int first = 1;
    if (argc > 2 && !strcmp(argv[1], "-o")) {
        out_path = argv[2];
        first = 3;
    }
    if (first >= argc) usage();
    for (int i = first; i < argc; i++)
        if (argv[i][0] == '-') usage();
    int bad = 0;
    for (int i = first; i < argc; i++)
        bad |= read_file(argv[i]) != 0;
    if (bad) return 1;
    if (ngroups == 0) {
        fprintf(stderr, "bench_merge: no bench/mem lines in the input\n");
        return 1;
    }
    finish();
    write_report(stdout);
    if (out_path) {
        FILE *f = fopen(out_path, "w");
        if (!f) {
            fprintf(stderr, "bench_merge: %s: %s\n", out_path, strerror(errno));
            return 1;
        }
        write_report(f);
        if (fclose(f) != 0) {
            fprintf(stderr, "bench_merge: %s: %s\n", out_path, strerror(errno));
            return 1;
        }
    }
    return 0;
}
