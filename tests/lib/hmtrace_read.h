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
#include "hmap_native_pack.h"

struct hmtrace {
    FILE *f;
    const char *path;
    uint64_t off; /* file offset of the next record */
    struct hmap_native_file_header fh;
    /* Version 2 framing, checked as records are read (docs/native-format.md):
     * chunk and end records are consumed here, never returned. */
    uint64_t chunk_end, chunks;     /* end of the open chunk; chunks seen */
    uint64_t events, lost, last_ts; /* event records, lost events, latest event */
    int ended;                      /* the end record was read */
    int cut_ok;                     /* set by the caller: a file cut at a record boundary
                                       (no end record) ends cleanly, with cut = 1 */
    int cut;
    struct hmap_native_end end;
    /* Version 3: the open chunk's packed events, read whole when its chunk
     * record is, and decoded from here (hmap_native_pack.h). */
    unsigned char *body;
    uint32_t body_len, body_pos, body_cap;
    struct hmap_native_chunk chunk;   /* its chunk record */
    uint32_t chunk_events;            /* decoded so far */
    struct hmap_native_pack_state ps; /* the decoder's */
};

/* A record: header plus its payload (the largest payload is < 256 bytes). */
struct hmtrace_rec {
    struct hmap_native_rec_header h;
    unsigned char payload[256];
};

/* 0, or -1 after printing why. */
int hmtrace_open(struct hmtrace *t, const char *path);
/* 1: *r holds the next record (an event or a lost record); 0: clean end
 * of file (for versions 2 and 3: after the end record, whose totals agree with
 * the file); -1: error printed, including a version 2 file cut short. */
int hmtrace_next(struct hmtrace *t, struct hmtrace_rec *r);
void hmtrace_close(struct hmtrace *t);

/* Name of event id, or NULL for an unknown id (0 is "lost"). */
const char *hmtrace_event_name(uint16_t id);

#endif
