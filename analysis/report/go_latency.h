/* SPDX-License-Identifier: MIT */
/*
 * go_latency.h — what a trace of a Go program (bucketscope gorecord, maps
 * with the "go" reclaim policy) says beyond the common report: per delete,
 * delete -> unreachable and delete -> freed by the GC; the maps that died
 * (swept) with no destroy of their own; and what Go hides
 * (docs/go.md, "The report").
 *
 * A pass of its own next to the engine, fed the same records (after
 * --pid / --map) and given the same window; its figures are summed up once
 * (bs_go_report_build) for the text section and the JSON "go" object
 * (docs/report.md, "JSON schema").
 */
#ifndef BUCKETSCOPE_GO_LATENCY_H
#define BUCKETSCOPE_GO_LATENCY_H

#include <stdio.h>

#include "hmap_native.h"
#include "model.h" /* struct bs_latency */

struct bs_go;

struct bs_go *bs_go_new(void);
/* The window, absolute trace time (until 0: none), as the engine's
 * (bs_engine_set_window): only deletes made at or after since are counted,
 * and records at or after until are not read. */
void bs_go_set_window(struct bs_go *g, uint64_t since_ns, uint64_t until_ns);
/* One record, in trace order (lost records are ignored). */
void bs_go_feed(struct bs_go *g, const struct hmap_native_rec_header *h);
/* Whether bs_go_feed needs more than the map_create records: not until a
 * Go map is announced (a trace of libhmap's maps alone never is). */
int bs_go_listening(const struct bs_go *g);
void bs_go_free(struct bs_go *g);

/* A Go map that died unseen: a sweep freed a block it still used. */
struct bs_go_died {
    uint32_t pid;
    uint64_t addr, bytes, ns_abs; /* bytes it held; the sweep's time */
    char type_name[25];           /* map_create's 24 bytes, NUL-terminated */
};

/* The Go figures, once the trace is read.  maps == 0: the trace had no Go
 * map, and there is no section. */
struct bs_go_report {
    uint64_t maps, unseen; /* Go maps seen created (whole trace); never seen created */
    uint64_t deletes, reused, freed, pending, pending_unreachable;
    uint64_t freed_by_reason[HMAP_ENUM_COUNT(free_reason)];
    uint64_t freed_no_unreachable; /* freed with their map: no unreachable moment */
    struct bs_latency to_unreachable, to_free, gc_lag; /* gc_lag: per block */
    uint64_t died, died_bytes;
    const struct bs_go_died *died_maps; /* in order of death; ndied_maps < died */
    size_t ndied_maps;                  /* only when memory ran out */
    int incomplete;                     /* memory ran out: figures are short */
};

/* Fill r from g (which must outlive r: died_maps points into it). */
void bs_go_report_build(struct bs_go *g, struct bs_go_report *r);
/* The text section; nothing when r->maps is 0.  msecs: the histograms in
 * milliseconds (report -m). */
void bs_go_report_text(FILE *out, const struct bs_go_report *r, int msecs);

#endif /* BUCKETSCOPE_GO_LATENCY_H */
