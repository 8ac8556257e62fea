/* SPDX-License-Identifier: MIT */
/*
 * hmap_native.h — the native binary trace format ("hmtrace"), derived from
 * the schema in hmap_events.h.  Written by the in-process recorder (libhmap,
 * HMAP_TRACE=FILE) and by `bucketscope record` (BPF); read by
 * `bucketscope report`.  Full description: docs/native-format.md.
 *
 * Layout: one file header, then records back to back until end of file.
 * All integers are little-endian.  Every record starts with the same 24-byte
 * header; its payload is the event's fields packed in schema order with no
 * padding, and the record is padded with zero bytes to a multiple of 8.
 * Record sizes are therefore fixed per event id and known from the schema
 * alone, so a reader can validate `size` against the id.
 *
 * Record id 0 is `lost`: events that a producer had to drop.  It is never
 * emitted by the map; producers write it (as soon as they can) after a drop.
 *
 * Version 2 adds two more records that are not events either, so that a
 * trace cut short is always recognisable (docs/native-format.md, "Crash
 * guarantees"): `chunk` opens every block of records a producer writes at
 * once (sequence number, time range, length), and `end` is the last record
 * of a trace that was stopped cleanly (totals).  Readers take them out of
 * the event stream; version 1 files have neither and are still read.
 *
 * Version 3 keeps the file header, chunk and end records, and packs the
 * events inside each chunk (base time, deltas, varints): the encoding is
 * hmap_native_pack.h.  The fixed record layouts below remain what readers
 * hand on, whatever the version of the file.
 */
#ifndef HMAP_NATIVE_H
#define HMAP_NATIVE_H

#include <stdint.h>
#include "hmap_events.h"

#define HMAP_NATIVE_MAGIC "HMTRACE\0" /* 8 bytes, including the NUL */
#define HMAP_NATIVE_VERSION 3         /* packed chunks (hmap_native_pack.h) */
#define HMAP_NATIVE_VERSION_FIXED 2   /* the newest with fixed-size records everywhere */
#define HMAP_NATIVE_VERSION_MIN 1     /* oldest version readers still accept */
#define HMAP_NATIVE_CLOCK_MONOTONIC 1 /* timestamps are CLOCK_MONOTONIC ns */

/* File header: 64 bytes. */
struct hmap_native_file_header {
    char magic[8];         /* HMAP_NATIVE_MAGIC */
    uint16_t version;      /* HMAP_NATIVE_VERSION */
    uint16_t header_size;  /* sizeof(struct hmap_native_file_header) */
    uint16_t clock;        /* HMAP_NATIVE_CLOCK_* */
    uint16_t max_event_id; /* HMAP_EVENT_MAX_ID of the writer */
    uint32_t pid;          /* producing process (in-process recorder), 0 if many */
    uint32_t flags;        /* HMAP_NATIVE_FLAG_* (version 2), 0 in version 1 */
    uint64_t start_ns;     /* clock value when the file was opened */
    char producer[32];     /* NUL-terminated, e.g. "libhmap 0.1.0 in-process" */
};

/* flags: every record after the file header lies in a chunk (opened by a
 * chunk record), except the end record. */
#define HMAP_NATIVE_FLAG_CHUNKED 1u

/* Record header: 24 bytes. */
struct hmap_native_rec_header {
    uint64_t ts_ns;    /* clock value at the event */
    uint32_t pid;      /* process id */
    uint32_t tid;      /* thread id */
    uint16_t id;       /* event id (hmap_event_id), or 0 for lost */
    uint16_t size;     /* whole record size in bytes, header included */
    uint32_t reserved; /* 0 */
};

#define HMAP_NATIVE_LOST_ID 0
/* Payload of a lost record. */
struct hmap_native_lost {
    uint64_t count;    /* events dropped */
    uint64_t first_ns; /* earliest time a dropped event may have had */
    uint64_t last_ns;  /* latest time */
} __attribute__((packed));

/* Format records (version 2): ids from the top of the range, which the
 * schema's event ids never reach (they grow from 1). */
#define HMAP_NATIVE_CHUNK_ID 0xfffe
#define HMAP_NATIVE_END_ID 0xffff
#define HMAP_NATIVE_IS_FORMAT_ID(id) ((id) == HMAP_NATIVE_CHUNK_ID || (id) == HMAP_NATIVE_END_ID)

/* Payload of a chunk record: the `bytes` bytes after this record are one
 * block written at once (whole records).  Chunks are numbered from 0 in
 * file order; a gap in the numbers means chunks that never reached the file
 * although later ones did. */
struct hmap_native_chunk {
    uint64_t seq;      /* 0, 1, 2, ... */
    uint64_t first_ns; /* smallest timestamp of the chunk's records, 0 if none */
    uint64_t last_ns;  /* largest */
    uint32_t bytes;    /* length of the chunk after this record */
    uint32_t records;  /* number of records in it */
} __attribute__((packed));

/* Payload of an end record: the trace was stopped cleanly, and this is the
 * last record of the file.  A version 2 file without one was cut short. */
struct hmap_native_end {
    uint64_t events; /* event records in the file (neither lost nor format records) */
    uint64_t lost;   /* events the producer dropped during the trace, in total */
    uint64_t chunks; /* chunk records in the file (0 if not chunked) */
} __attribute__((packed));

/* Packed payload structs, one per event: struct hmap_native_<event>. */
#define HMAP_NATIVE_F_(t, n, d) HMAP_FIELD_CTYPE_##t n;
#define HMAP_NATIVE_E_(t, n, e, d) HMAP_FIELD_CTYPE_##t n;
#define HMAP_NATIVE_S_(n, l, d) char n[l];
#define HMAP_NATIVE_EV_(id, name, desc, fields)                                                    \
    struct hmap_native_##name {                                                                    \
        fields                                                                                     \
    } __attribute__((packed));
HMAP_EVENTS(HMAP_NATIVE_EV_, HMAP_NATIVE_F_, HMAP_NATIVE_E_, HMAP_NATIVE_S_)
#undef HMAP_NATIVE_EV_
#undef HMAP_NATIVE_F_
#undef HMAP_NATIVE_E_
#undef HMAP_NATIVE_S_

/* Whole record size for a payload of n bytes. */
#define HMAP_NATIVE_REC_SIZE(n) ((sizeof(struct hmap_native_rec_header) + (n) + 7u) & ~7u)

/* Every payload, for readers that build records: HMAP_NATIVE_MAX_PAYLOAD is
 * the largest one, padded as in a record. */
#define HMAP_NATIVE_U_(id, name, desc, fields) struct hmap_native_##name name;
union hmap_native_any_payload {
    struct hmap_native_lost lost;
    struct hmap_native_chunk chunk;
    struct hmap_native_end end;
    HMAP_EVENTS(HMAP_NATIVE_U_, HMAP_IGNORE_F_, HMAP_IGNORE_E_, HMAP_IGNORE_S_)
};
#undef HMAP_NATIVE_U_
#define HMAP_NATIVE_MAX_PAYLOAD                                                                    \
    (HMAP_NATIVE_REC_SIZE(sizeof(union hmap_native_any_payload)) -                                 \
     sizeof(struct hmap_native_rec_header))

/* Record size by event id (0 = lost, and the format records); 0 for an
 * unknown id. */
static inline uint16_t hmap_native_rec_size(uint16_t id)
{
    switch (id) {
    case HMAP_NATIVE_LOST_ID:
        return HMAP_NATIVE_REC_SIZE(sizeof(struct hmap_native_lost));
    case HMAP_NATIVE_CHUNK_ID:
        return HMAP_NATIVE_REC_SIZE(sizeof(struct hmap_native_chunk));
    case HMAP_NATIVE_END_ID:
        return HMAP_NATIVE_REC_SIZE(sizeof(struct hmap_native_end));
#define HMAP_NATIVE_SZ_(id_, name, desc, fields)                                                   \
    case id_:                                                                                      \
        return HMAP_NATIVE_REC_SIZE(sizeof(struct hmap_native_##name));
        HMAP_EVENTS(HMAP_NATIVE_SZ_, HMAP_IGNORE_F_, HMAP_IGNORE_E_, HMAP_IGNORE_S_)
#undef HMAP_NATIVE_SZ_
    default:
        return 0;
    }
}

_Static_assert(sizeof(struct hmap_native_file_header) == 64, "file header is 64 bytes");
_Static_assert(sizeof(struct hmap_native_rec_header) == 24, "record header is 24 bytes");
_Static_assert(HMAP_EVENT_MAX_ID < HMAP_NATIVE_CHUNK_ID, "event ids stay below the format records");
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the native trace format is little-endian; add byte swapping for this host"
#endif

#endif /* HMAP_NATIVE_H */
