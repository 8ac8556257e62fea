/* SPDX-License-Identifier: MIT */
/*
 * hmtrace_read.h — the strict reader of native trace files (hmap_native.h,
 * docs/native-format.md) that every test tool uses.  Every malformed input
 * is reported on stderr as "FILE: offset N: what" and ends the read;
 * nothing is guessed.
 */
#ifndef HMTRACE_READ_H
#define HMTRACE_READ_H

#include <stdint.h>
#include <stdio.h>

#include "hmap_native.h"

struct hmtrace {
    FILE *f;
    const char *path;
    uint64_t off; /* file offset of the next record */
    struct hmap_native_file_header fh;
};

/* A record: header plus its payload (the largest payload is < 256 bytes). */
struct hmtrace_rec {
    struct hmap_native_rec_header h;
    unsigned char payload[256];
};

/* 0, or -1 after printing why. */
int hmtrace_open(struct hmtrace *t, const char *path);
/* 1: *r holds the next record; 0: clean end of file; -1: error printed. */
int hmtrace_next(struct hmtrace *t, struct hmtrace_rec *r);
void hmtrace_close(struct hmtrace *t);

/* Name of event id, or NULL for an unknown id (0 is "lost"). */
const char *hmtrace_event_name(uint16_t id);

#endif
