/* SPDX-License-Identifier: MIT */
/*
 * go_latency.h — what a trace of a Go program (bucketscope gorecord, maps
 * with the "go" reclaim policy) says beyond the common report: per delete,
 * delete -> unreachable and delete -> freed by the GC; the maps that died
 * (swept) with no destroy of their own; and what Go hides
 * (docs/go.md, "The report").
 *
 * A pass of its own next to the engine, fed the same records; it prints
 * nothing for a trace without Go maps.
 */
#ifndef BUCKETSCOPE_GO_LATENCY_H
#define BUCKETSCOPE_GO_LATENCY_H

#include <stdio.h>

#include "hmap_native.h"

struct bs_go;

struct bs_go *bs_go_new(void);
/* One record, in trace order (lost records are ignored). */
void bs_go_feed(struct bs_go *g, const struct hmap_native_rec_header *h);
/* The text section; nothing when the trace had no Go map.  msecs: the
 * histograms in milliseconds (report -m). */
void bs_go_report_text(FILE *out, const struct bs_go *g, int msecs);
void bs_go_free(struct bs_go *g);

#endif /* BUCKETSCOPE_GO_LATENCY_H */
