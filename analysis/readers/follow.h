/* SPDX-License-Identifier: MIT */
/*
 * follow.h — a native trace file read while its writer still appends to it
 * (`bucketscope report --follow`, docs/live.md).
 *
 * The reader's next() returns BS_READER_AGAIN when no complete record is in
 * the file yet: the caller waits and asks again.  Only complete units are
 * handed on (whole chunks in chunked files, whole records in unchunked
 * ones), each poll's records sorted by time.  It ends at the end record, or
 * after bs_follow_last() once the bytes there are read: then a trace
 * without its end record is reported as truncated, up to where it stops.
 */
#ifndef BS_FOLLOW_H
#define BS_FOLLOW_H

#include <stddef.h>
#include <stdint.h>

#include "reader.h"

#define BS_READER_AGAIN 2

/* Open path for following; waits for nothing (the file header must be in
 * the file already).  NULL with a message in err on failure. */
struct bs_reader *bs_follow_open(const char *path, char *err, size_t errlen);
/* The writer is gone (or the user stopped): read what is there, then end. */
void bs_follow_last(struct bs_reader *r, const char *why);
/* The producing process named by the file header, 0 if none (BPF recorder). */
uint32_t bs_follow_writer_pid(const struct bs_reader *r);

#endif /* BS_FOLLOW_H */
