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
#include <string.h>

#include "hmap_native.h"

enum bs_input_kind { BS_INPUT_NATIVE, BS_INPUT_BPFTRACE, BS_INPUT_CTF, BS_INPUT_KINDS };
extern const char *const bs_input_kind_name[BS_INPUT_KINDS];

struct bs_reader {
    const char *path;
    enum bs_input_kind kind;
    uint16_t native_version; /* one native file: its format version (3: packed), else 0 */
    /* 1: *rec is the next record (valid until the next call); 0: end of
     * input; -1: error, message in err; BS_READER_AGAIN (live readers
     * only): nothing yet, ask again. */
    int (*next)(struct bs_reader *r, const struct hmap_native_rec_header **rec);
    void (*close)(struct bs_reader *r);
    /* Live readers (docs/live.md): no more input is to be waited for (a
     * signal, the writer gone); next() then ends once what came is read.
     * NULL for the others. */
    void (*stop)(struct bs_reader *r, const char *why);
    uint32_t writer_pid; /* live: the producing process, 0 if unknown */
    /* LTTng live: the host a process is on (its trace's hostname), NULL if
     * not known; NULL for the other readers. */
    const char *(*host_of)(const struct bs_reader *r, uint32_t pid);
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
/* Live inputs (docs/live.md): a native file still being written, and the
 * sessions of an lttng-relayd, net://HOST[:PORT]/host/HOSTNAME/SESSION,
 * merged by time in one reader. */
#define BS_READER_AGAIN 2
struct bs_reader *bs_follow_open(const char *path, char *err, size_t errlen);
struct bs_reader *bs_ctf_live_open(char *const *urls, int n, char *err, size_t errlen);
static inline int bs_is_live_url(const char *s)
{
    return !strncmp(s, "net://", 6) || !strncmp(s, "net4://", 7) || !strncmp(s, "net6://", 7);
}

/* Merge several readers of the same kind by time; takes ownership. */
struct bs_reader *bs_reader_merge(struct bs_reader **readers, int n);

static inline void bs_reader_close(struct bs_reader *r)
{
    if (r) r->close(r);
}

#endif /* BS_READER_H */
