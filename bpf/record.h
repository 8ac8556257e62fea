/* SPDX-License-Identifier: MIT */
/*
 * record.h — what the BPF side (record.bpf.c) and the loader (record.c) of
 * `bucketscope record` share.
 *
 * The ring buffer carries finished native trace records: the BPF program
 * writes a `struct hmap_native_rec_header` followed by the event's packed
 * payload (hmap_native.h, generated from the schema), padded to 8 bytes.  The
 * loader therefore copies each ring record to the output file unchanged; the
 * only layout knowledge lives in the schema headers.
 */
#ifndef BUCKETSCOPE_RECORD_H
#define BUCKETSCOPE_RECORD_H

#include "hmap_native.h"

/* Default ring buffer size: 4 MiB holds ~60k records, several poll periods
 * at the highest rate a uprobe-trapped process can produce. */
#define RECORD_DEFAULT_RING_BYTES (4u << 20)

/* The loader drains the ring at least this often (ms); the BPF side only
 * wakes it earlier when the ring is a quarter full (adaptive wakeup). */
#define RECORD_POLL_MS 10

/*
 * Per-CPU loss counters, one element per CPU in the `losses` map.  The BPF
 * side only ever adds; the loader sums over CPUs and writes the growth since
 * its previous look as `lost` records.
 */
struct record_losses {
    uint64_t ring_full;         /* bpf_ringbuf_reserve() failed: ring full */
    uint64_t ring_full_last_ns; /* time of the latest such failure */
    uint64_t unarmed;           /* hits while the recorder was still attaching */
    uint64_t unarmed_last_ns;   /* time of the latest such hit */
};

#endif /* BUCKETSCOPE_RECORD_H */
