/* SPDX-License-Identifier: MIT */
/*
 * shards.h — the lifetime engine on N threads (`bucketscope-report -j N`),
 * with a report identical to one engine's (docs/report.md, "Parallel
 * analysis").
 *
 * The caller's thread reads the records in time order and hands each to the
 * shard of its (pid, map); each shard runs an engine of its own over its
 * maps, shard 0 on the caller's thread, each other one on a worker thread
 * (N shards, N threads).  What depends on every map together is computed on the
 * caller's thread, in the global order of the records: the summed gauges
 * (their peaks, the integral of empty bytes, the SVG's samples, from the
 * change each record made in its shard), the SVG's markers, the order of
 * the maps, the clamp of records that go back in time.  At the end the
 * shards' results are merged into one engine handle that reads as one
 * engine's would.
 *
 * That is exact only while no record of one shard can touch what another
 * shard holds, and while the histograms' sums are exact integers in a
 * double.  The checks are made as the records come (live allocations and
 * indirect objects of different maps must not overlap, every record must
 * name a map announced by map_create, no state dump, fewer maps than the
 * engine folds) and at the end (no record that found no allocation, sums
 * under 2^53); when one fails the result is refused and the caller runs the
 * one engine over the input again.
 */
#ifndef BS_SHARDS_H
#define BS_SHARDS_H

#include "lifetime.h"

#define BS_MAX_JOBS 64

struct bs_shards;

/* n shards (2..BS_MAX_JOBS), each engine with opt but no callbacks (the
 * options that need them are never sharded); NULL if out of memory.  A new
 * map goes to the shard with the least load so far, shard 0's records (the
 * caller's thread's) counted home_weight / 4 times, as that thread also
 * reads every record: the larger the reader's cost against the engine's,
 * the larger the weight (at least 1). */
struct bs_shards *bs_shards_new(const struct bs_engine_opts *opt, int n, int home_weight);
/* As bs_engine_set_window, before the first record. */
void bs_shards_set_window(struct bs_shards *s, uint64_t since_ns, uint64_t until_ns);
/* One record, in time order.  0: go on; 1: past the window's end (as
 * bs_engine_feed); -1: the sharded result could not be exact, stop and run
 * one engine instead. */
int bs_shards_feed(struct bs_shards *s, const struct hmap_native_rec_header *rec);
/* End of input: the merged engine (finished, the caller frees it with
 * bs_engine_free), or NULL when the result would not be exact.  Either way
 * the threads are joined; then bs_shards_free. */
struct bs_engine *bs_shards_finish(struct bs_shards *s);
void bs_shards_free(struct bs_shards *s);
/* Why the last bs_shards_feed or bs_shards_finish refused (for --stats). */
const char *bs_shards_refusal(const struct bs_shards *s);
/* CPU seconds (for --stats): [0] the caller's thread (reading, dispatch,
 * the global replay, shard 0), [1..] each worker's, and of them the
 * seconds spent spinning while waiting for another thread; the count of
 * threads. */
int bs_shards_cpu(const struct bs_shards *s, double *cpu_s, double *spin_s, int n);

#endif /* BS_SHARDS_H */
