/* SPDX-License-Identifier: MIT */
/*
 * model.h — the report model: every figure any report prints, computed once
 * from the finished engine (model.c).  The writers (text.c, json.c, csv.c,
 * svg.c) only format it; docs/report.md defines each figure.
 *
 * Times are relative to the first event of the trace unless named *_abs.
 */
#ifndef BS_REPORT_MODEL_H
#define BS_REPORT_MODEL_H

#include <stdint.h>

#include "hist.h"
#include "lifetime.h"
#include "reader.h"

struct bs_go_report;

/* What the driver knows that the engine does not: the inputs and the
 * options that shaped the analysis. */
struct bs_report_input {
    char *const *paths;
    int n;
    enum bs_input_kind kind;
    uint64_t discarded_events, discarded_packets; /* reported by the trace (CTF) */
    int truncated;
    const char *truncated_at;
    int top;              /* rows of the per-map table */
    int raw;              /* --raw: exact numbers in the text report */
    int msecs;            /* -m: text histograms in msecs */
    long long filter_pid; /* -1: none */
    int filter_map_set;
    uint64_t filter_map;
    uint64_t since_rel, until_rel; /* 0: none */
};

/* Above this fraction of unmatched or lost events (or of deletes touched by
 * a lost span) the data quality is poor (docs/report.md, "Data quality"). */
#define BS_POOR_FRACTION 0.01
#define BS_TITLE_PIDS 8

/* One latency distribution. */
struct bs_latency {
    uint64_t count, p50, p90, p99, p999, max; /* ns; 0 when empty */
    double mean;                              /* ns; 0 when empty */
    uint64_t log2_usecs[BS_LOG2_SLOTS];       /* bcc log2 slots of the values in us */
    int nlog2;                                /* slots used */
    uint64_t log2_msecs[BS_LOG2_SLOTS];       /* the same in ms (text -m) */
    int nlog2_ms;
};
/* l from a sealed histogram: the one definition of every LAT figure. */
void bs_latency_of(struct bs_latency *l, const struct bs_hist *h);

/* One class of freed deletes (lifetime.h, enum bs_free_class). */
struct bs_free_class_row {
    const char *name;                    /* bs_free_class_name: "while_running", "teardown" */
    char reasons[BS_FREE_REASONS * 24];  /* its free reasons in schema order, ", "-separated */
    const char *reason[BS_FREE_REASONS]; /* the same, one by one; NULL after the last */
    uint64_t freed;                      /* deletes freed by a reason of this class */
    struct bs_latency to_free;
};

/* The maps of one reclaim policy, together (the answer lines). */
struct bs_policy_row {
    const char *reclaim; /* schema name; "unknown" for maps never announced */
    uint32_t maps;
    uint64_t deletes, outcome[BS_OUTCOMES], freed_class[BS_FREE_CLASSES];
};

/* One map of the per-map tables. */
struct bs_map_row {
    const struct bs_map *map;
    const char *reclaim; /* policy name; NULL if the map was never announced */
    uint64_t empty_bytes_final;
    double empty_byte_seconds;
    /* creation site through bs_site_describe (site.h); "" without map_info */
    char where[192];
    int symbolized;
    /* its state dump: names of the last bracket's status and trigger (NULL
     * when it had none), time relative to the first event */
    const char *state_status, *state_trigger;
    uint64_t state_rel;
};

struct bs_report_model {
    struct bs_report_input in;
    /* time */
    uint64_t first_ns_abs, last_ns_abs, span_ns, events;
    /* allocations and bytes */
    uint64_t maps_created, maps_destroyed, arrays_alloc, arrays_freed, ovf_alloc, ovf_freed;
    uint32_t maps_live, arrays_live, ovf_live;
    int64_t ovf_linked_final; /* overflow buckets linked at end, preallocated included */
    uint64_t bytes_held_peak, bytes_held_final, empty_bytes_peak, empty_bytes_final;
    double empty_byte_seconds;
    /* bytes held split: bucket memory and indirect objects */
    uint64_t bucket_bytes_peak, bucket_bytes_final, indirect_bytes_peak, indirect_bytes_final;
    int64_t objects_live;
    struct bs_objects obj; /* indirect objects: allocated, freed by reason, at attach */
    const char *obj_reason_name[BS_OBJ_REASONS];
    struct bs_reclaimed reclaimed; /* bytes given back, split */
    /* attach (state dumps): docs/report.md, "Definitions", attach */
    int have_state;
    uint64_t state_rel; /* first state_begin, relative */
    uint64_t maps_attached, arrays_attach, ovf_attach;
    uint64_t brackets[HMAP_ENUM_COUNT(state_status)];
    uint64_t redundant_dumps, before_state;
    uint64_t attach_bucket_bytes, attach_indirect_bytes; /* over the attached maps */
    uint64_t dump_passes, dump_maps, dump_deferred, dump_unsafe;
    uint32_t maps_not_dumped; /* maps whose last bracket was not ok */
    /* deletes */
    uint64_t deletes, outcome[BS_OUTCOMES], cleared;
    struct bs_latency to_free, to_reuse, retained_age; /* to_free: both classes */
    struct bs_free_class_row free_class[BS_FREE_CLASSES];
    const char *reason_name[BS_FREE_REASONS]; /* schema names of the free reasons */
    uint64_t freed_reason[BS_FREE_REASONS];   /* freed deletes by reason */
    /* per reclaim policy, in schema order, then the unannounced maps; only
     * policies with at least one map */
    struct bs_policy_row policies[HMAP_ENUM_COUNT(reclaim) + 1];
    uint32_t npolicies;
    int km_reached;      /* the Kaplan-Meier survival fell to 1/2 ... */
    uint64_t km_median;  /* ... at this time to reuse or free */
    uint64_t km_samples; /* resolved + retained deletes behind it */
    /* per map, by empty byte-seconds descending (ties: pid, address, seq) */
    struct bs_map_row *maps;
    uint32_t nmaps;
    /* data quality */
    uint64_t lost_events, lost_records, maybe_lost;
    const struct bs_lost_span *lost; /* absolute times */
    uint32_t nlost;
    uint64_t lost_first_rel, lost_first_end_rel; /* the first span, if any */
    uint64_t unmatched[BS_UM_COUNT], unmatched_total;
    /* curves: global gauges over time, absolute times */
    const struct bs_sample *samples;
    uint32_t nsamples;
    /* growth, shrink, clear, destroy events binned over the trace (SVG) */
    const struct bs_markers *markers;
    /* who the trace is of: distinct pids, ascending (the first BS_TITLE_PIDS) */
    uint32_t pids[BS_TITLE_PIDS], npids;
    /* Data quality in one verdict, for the warning of the text report and of
     * the SVG: poor when unmatched, lost or discarded events, or deletes whose
     * outcome a lost span may have changed, exceed BS_POOR_FRACTION of their
     * whole, or when the input was truncated.  why: what made it poor. */
    int poor;
    char poor_why[320];
    /* The Go section (go_latency.h), set by the driver after the build;
     * NULL, or maps == 0, when the trace has no Go map. */
    const struct bs_go_report *go;
};

/* Fill m from the finished engine e (which must outlive m) and the inputs.
 * 0, or -1 when memory runs out. */
int bs_report_model_build(struct bs_report_model *m, const struct bs_engine *e,
                          const struct bs_report_input *in);
void bs_report_model_free(struct bs_report_model *m);

#endif /* BS_REPORT_MODEL_H */
