/* SPDX-License-Identifier: MIT */
/*
 * format.h — what the per-format readers share and offer to detect.c: the
 * record they build, their openers, and the reorder window.
 *
 * The format of an input is detected, never flagged (detect.c): "HMTRACE\0"
 * magic for native files, a directory with a CTF `metadata` file somewhere
 * below for LTTng, text starting with HMEV or bpftrace's "Attaching" line for
 * bpftrace.
 */
#ifndef BS_FORMAT_H
#define BS_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "hmap_native.h"
#include "input.h"
#include "reader.h"

/* What starts an event line of bpftrace output (the programs that
 * tracepoints/gen_bpftrace.c writes print it). */
#define BS_BPFTRACE_EVENT_PREFIX "HMEV "

/* One record with room for the largest payload, for readers that build
 * records instead of pointing into their input. */
struct bs_record {
    struct hmap_native_rec_header h;
    uint8_t payload[HMAP_NATIVE_MAX_PAYLOAD];
};

/* Lost and discarded counts add up saturating at UINT64_MAX, never wrapping
 * (docs/report.md, "Lost events: counts that cannot be true"). */
static inline void bs_add_saturating(uint64_t *sum, uint64_t n)
{
    if (__builtin_add_overflow(*sum, n, sum)) *sum = UINT64_MAX;
}

/* Per-format openers.  The native and bpftrace readers take over `in` when
 * they succeed; on failure the caller still owns it. */
struct bs_reader *bs_native_open(const char *path, struct bs_input *in, char *err, size_t errlen);
struct bs_reader *bs_bpftrace_open(const char *path, struct bs_input *in, char *err, size_t errlen);
struct bs_reader *bs_ctf_open(const char *path, char *err, size_t errlen);

/* The checks of a native file header's version, header_size and flags
 * that every native reader makes (native.c, follow.c): 0, or -1 with err
 * saying what is wrong, naming path and the field's offset. */
int bs_native_header_check(const char *path, const struct hmap_native_file_header *fh, char *err,
                           size_t errlen);

/* Put a reorder window of `window` records in front of a nearly ordered
 * reader (bpftrace output); takes ownership of `in`. */
struct bs_reader *bs_reorder_wrap(struct bs_reader *in, uint32_t window, char *err, size_t errlen);

#endif /* BS_FORMAT_H */
