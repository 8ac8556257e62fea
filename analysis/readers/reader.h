/* SPDX-License-Identifier: MIT */
/*
 * reader.h — every trace format behind one interface: a time-ordered stream
 * of records in the native layout (struct hmap_native_rec_header followed by
 * the event's packed payload, hmap_native.h).  Readers of other formats
 * translate into that layout, so the lifetime engine knows one format only.
 *
 * This header is what callers of the readers use.  The readers themselves
 * share format.h.  Layers, each .c using only the ones below it:
 *   detect.c            which format a path holds; opens the right reader
 *   merge.c, reorder.c  readers made of readers (several inputs, bpftrace)
 *   native.c, bpftrace.c, ctf.c   one format each
 *   input.c, time_heap.c          the buffered input and the time-merge heap
 */
#ifndef BS_READER_H
#define BS_READER_H

#include <stddef.h>
#include <stdint.h>

#include "hmap_native.h"

enum bs_input_kind { BS_INPUT_NATIVE, BS_INPUT_BPFTRACE, BS_INPUT_CTF, BS_INPUT_KINDS };
extern const char *const bs_input_kind_name[BS_INPUT_KINDS];

struct bs_reader {
    const char *path;
    enum bs_input_kind kind;
    /* 1: *rec is the next record (valid until the next call); 0: end of
     * input; -1: error, message in err. */
    int (*next)(struct bs_reader *r, const struct hmap_native_rec_header **rec);
    void (*close)(struct bs_reader *r);
    int allow_truncated;
    int truncated;          /* input ended early and allow_truncated let it pass */
    char truncated_at[200]; /* where, for the report */
    uint64_t discarded_events, discarded_packets; /* reported by the trace (CTF) */
    uint64_t bytes_done, bytes_total;             /* progress, 0 total if unknown */
    uint64_t events_done;
    char err[512];
};

/* Open one input (a file, "-" for stdin, or a directory of CTF traces) in
 * the format its contents show (detect.c).  Returns NULL with a message in
 * err on failure. */
struct bs_reader *bs_reader_open(const char *path, int allow_truncated, char *err, size_t errlen);
/* CTF traces are decoded in a child process (readers/ctf.c): it is
 * stopped when it makes no progress for this many seconds (default 10,
 * --ctf-timeout). */
extern double bs_ctf_timeout_s;
/* Merge several readers of the same kind by time; takes ownership. */
struct bs_reader *bs_reader_merge(struct bs_reader **readers, int n);

static inline void bs_reader_close(struct bs_reader *r)
{
    if (r) r->close(r);
}

#endif /* BS_READER_H */
