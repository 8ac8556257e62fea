/* SPDX-License-Identifier: MIT */
/*
 * stages.c — where bucketscope-report's time goes on a native trace: the
 * reader alone (index + time merge), then reader + lifetime engine, each
 * timed in CPU seconds, best of three runs.
 *
 *   bench_report_stages NATIVE_TRACE
 *   bench_report_stages --reader-once|--engine-once NATIVE_TRACE
 *
 * --reader-once, --engine-once: a single pass (reader alone, or reader +
 * engine) and nothing else, for counting instructions per event (valgrind
 * --tool=callgrind).
 * --hash: a hash of every record the reader hands on, header and payload,
 * in order: two readers (before and after a change) must agree.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lifetime.h"
#include "reader.h"

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* One pass; with_engine 0: only read.  Returns CPU seconds, -1 on error. */
static double pass(const char *path, int with_engine, uint64_t *events)
{
    char err[600];
    double t0 = cpu_now();
    struct bs_reader *r = bs_reader_open(path, 0, err, sizeof(err));
    if (!r) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    struct bs_engine_opts o = {0};
    struct bs_engine *e = with_engine ? bs_engine_new(&o) : NULL;
    const struct hmap_native_rec_header *h;
    uint64_t n = 0, sum = 0;
    while (r->next(r, &h) == 1) {
        n++;
        if (e)
            bs_engine_feed(e, h);
        else
            sum += h->id;
    }
    if (e) {
        bs_engine_finish(e);
        bs_engine_free(e);
    }
    bs_reader_close(r);
    *events = n + (sum & 0); /* sum keeps the read loop honest */
    return cpu_now() - t0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--hash")) {
        char err[600];
        struct bs_reader *r = bs_reader_open(argv[2], 1, err, sizeof(err));
        if (!r) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        const struct hmap_native_rec_header *h;
        uint64_t n = 0, hash = 14695981039346656037ull; /* FNV-1a */
        int st;
        while ((st = r->next(r, &h)) == 1) {
            const unsigned char *b = (const unsigned char *)h;
            for (unsigned i = 0; i < h->size; i++)
                hash = (hash ^ b[i]) * 1099511628211ull;
            n++;
        }
        printf("%llu records, hash %016llx, end %d%s%s\n", (unsigned long long)n,
               (unsigned long long)hash, st, st < 0 ? ": " : "", st < 0 ? r->err : "");
        bs_reader_close(r);
        return st < 0;
    }
    if (argc == 3 && (!strcmp(argv[1], "--reader-once") || !strcmp(argv[1], "--engine-once"))) {
        int engine = !strcmp(argv[1], "--engine-once");
        uint64_t n = 0;
        double t = pass(argv[2], engine, &n);
        if (t < 0) return 1;
        printf("%s once      %llu events, %.3f s cpu\n", engine ? "engine" : "reader",
               (unsigned long long)n, t);
        return 0;
    }
    if (argc != 2) {
        fprintf(stderr,
                "usage: bench_report_stages [--reader-once|--engine-once|--hash] NATIVE_TRACE\n");
        return 2;
    }
    const char *name[2] = {"reader only", "reader + engine"};
    for (int stage = 0; stage < 2; stage++) {
        double best = 1e30;
        uint64_t n = 0;
        for (int rep = 0; rep < 3; rep++) {
            double t = pass(argv[1], stage, &n);
            if (t < 0) return 1;
            if (t < best) best = t;
        }
        printf("%-16s %llu events, best %.3f s cpu: %.2f M events/s\n", name[stage],
               (unsigned long long)n, best, (double)n / best / 1e6);
    }
    return 0;
}
