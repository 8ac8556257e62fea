/*
 * report.h — what the reports are drawn from, and the report writers.
 *
 * Every writer reads the finished engine; none changes it.  Times in reports
 * are relative to the first event of the trace unless named *_abs.
 */
#ifndef BS_REPORT_H
#define BS_REPORT_H

#include <stdio.h>

#include "lifetime.h"
#include "reader.h"

#define BS_JSON_SCHEMA "bucketscope-report/1"

struct bs_report {
    const struct bs_engine *e;
    char *const *inputs;
    int ninputs;
    enum bs_input_kind kind;
    uint64_t discarded_events, discarded_packets;
    int truncated;
    const char *truncated_at;
    int top;              /* rows of the per-map table */
    long long filter_pid; /* -1: none */
    int filter_map_set;
    uint64_t filter_map;
    uint64_t since_rel, until_rel; /* 0: none */
};

void bs_report_text(FILE *out, const struct bs_report *r);
void bs_report_json(FILE *out, const struct bs_report *r);
void bs_report_csv_maps(FILE *out, const struct bs_report *r);
int bs_report_svg(FILE *out, const struct bs_report *r);

/* Streaming CSV writers, driven by the engine's callbacks. */
struct bs_csv_stream {
    FILE *timeline, *deletes;
    const struct bs_engine *e;
};
void bs_csv_timeline_header(FILE *out);
void bs_csv_timeline_tick(void *ctx, uint64_t tick_ns);
void bs_csv_deletes_header(FILE *out);
void bs_csv_delete_row(void *ctx, const struct bs_delete_row *row);

/* Shared helpers. */
/* Maps ordered for the per-map tables: empty byte-seconds, descending;
 * ties by pid, address, sequence.  Caller frees. */
const struct bs_map **bs_sorted_maps(const struct bs_engine *e);
/* "12.345 ms" style, fixed precision so that output is reproducible. */
const char *bs_fmt_ns(uint64_t ns, char *buf, size_t len);
const char *bs_reclaim_name(unsigned v);

#endif /* BS_REPORT_H */
