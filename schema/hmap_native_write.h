/* SPDX-License-Identifier: MIT */
/*
 * hmap_native_write.h — the parts of a native trace (hmap_native.h) that
 * every producer writes the same way: the file header, the `lost` record
 * and the format records `chunk` and `end`.  One definition here, so the in-process recorder
 * (libhmap) and `bucketscope record` (bpf/record.c) cannot drift apart on them.
 *
 * Only builders: each function fills a struct in memory and returns it.
 * How and when the bytes reach a file (pwrite, stdio, retry, truncation on
 * failure) is the producer's policy and stays with the producer.
 */
#ifndef HMAP_NATIVE_WRITE_H
#define HMAP_NATIVE_WRITE_H

#include <stdint.h>
#include <string.h>
#include "hmap_native.h"

/* A `lost` record exactly as it lies in the file: header, then payload. */
struct hmap_native_lost_record {
    struct hmap_native_rec_header h;
    struct hmap_native_lost l;
};
_Static_assert(sizeof(struct hmap_native_lost_record) ==
                   HMAP_NATIVE_REC_SIZE(sizeof(struct hmap_native_lost)),
               "a lost record needs no padding");

struct hmap_native_chunk_record {
    struct hmap_native_rec_header h;
    struct hmap_native_chunk c;
};
_Static_assert(sizeof(struct hmap_native_chunk_record) ==
                   HMAP_NATIVE_REC_SIZE(sizeof(struct hmap_native_chunk)),
               "a chunk record needs no padding");

struct hmap_native_end_record {
    struct hmap_native_rec_header h;
    struct hmap_native_end e;
};
_Static_assert(sizeof(struct hmap_native_end_record) ==
                   HMAP_NATIVE_REC_SIZE(sizeof(struct hmap_native_end)),
               "an end record needs no padding");

/*
 * The file header of a trace opened at start_ns (CLOCK_MONOTONIC ns) by
 * `producer` for process pid (0: several processes), with HMAP_NATIVE_FLAG_*
 * flags, in format `version`.  Every byte is set: the producer name is cut to 31 bytes and
 * zero-filled, so two producers given the same inputs write the same bytes.
 */
static inline struct hmap_native_file_header
hmap_native_file_header_make_version(const char *producer, uint32_t pid, uint64_t start_ns,
                                     uint32_t flags, uint16_t version)
{
    struct hmap_native_file_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, HMAP_NATIVE_MAGIC, sizeof h.magic);
    h.version = version;
    h.header_size = sizeof h;
    h.clock = HMAP_NATIVE_CLOCK_MONOTONIC;
    h.max_event_id = HMAP_EVENT_MAX_ID;
    h.pid = pid;
    h.flags = flags;
    h.start_ns = start_ns;
    size_t n = 0; /* strnlen, without reading past a shorter literal */
    while (n < sizeof h.producer - 1 && producer[n])
        n++;
    memcpy(h.producer, producer, n);
    return h;
}

/* A version 2 file header (fixed-size records). */
static inline struct hmap_native_file_header
hmap_native_file_header_make_flags(const char *producer, uint32_t pid, uint64_t start_ns,
                                   uint32_t flags)
{
    return hmap_native_file_header_make_version(producer, pid, start_ns, flags,
                                                HMAP_NATIVE_VERSION_FIXED);
}

/* The header of a version 3 file: packed chunks (hmap_native_pack.h). */
static inline struct hmap_native_file_header
hmap_native_file_header_make_packed(const char *producer, uint32_t pid, uint64_t start_ns)
{
    return hmap_native_file_header_make_version(producer, pid, start_ns, HMAP_NATIVE_FLAG_CHUNKED,
                                                HMAP_NATIVE_VERSION);
}

/* The same, unchunked: every record is written in file order as it comes
 * (the BPF recorder); the end record is still required. */
static inline struct hmap_native_file_header
hmap_native_file_header_make(const char *producer, uint32_t pid, uint64_t start_ns)
{
    return hmap_native_file_header_make_flags(producer, pid, start_ns, 0);
}

/*
 * The chunk record that opens chunk number seq: `records` records, `bytes`
 * bytes after this record, timestamps first_ns..last_ns.  Stamped first_ns
 * so that it sorts with its records.
 */
static inline struct hmap_native_chunk_record
hmap_native_chunk_record_make(uint32_t pid, uint32_t tid, uint64_t seq, uint64_t first_ns,
                              uint64_t last_ns, uint32_t bytes, uint32_t records)
{
    struct hmap_native_chunk_record r;
    memset(&r, 0, sizeof r);
    r.h.ts_ns = first_ns;
    r.h.pid = pid;
    r.h.tid = tid;
    r.h.id = HMAP_NATIVE_CHUNK_ID;
    r.h.size = sizeof r;
    r.c.seq = seq;
    r.c.first_ns = first_ns;
    r.c.last_ns = last_ns;
    r.c.bytes = bytes;
    r.c.records = records;
    return r;
}

/* The end record of a trace stopped cleanly at ts_ns (struct hmap_native_end). */
static inline struct hmap_native_end_record
hmap_native_end_record_make(uint64_t ts_ns, uint32_t pid, uint64_t events, uint64_t lost,
                            uint64_t chunks)
{
    struct hmap_native_end_record r;
    memset(&r, 0, sizeof r);
    r.h.ts_ns = ts_ns;
    r.h.pid = pid;
    r.h.id = HMAP_NATIVE_END_ID;
    r.h.size = sizeof r;
    r.e.events = events;
    r.e.lost = lost;
    r.e.chunks = chunks;
    return r;
}

/*
 * A `lost` record stamped ts_ns for pid/tid: count events were dropped,
 * the earliest of them no sooner than first_ns, the latest no later than
 * last_ns.  The reserved header word is zero.
 */
static inline struct hmap_native_lost_record
hmap_native_lost_record_make(uint64_t ts_ns, uint32_t pid, uint32_t tid, uint64_t count,
                             uint64_t first_ns, uint64_t last_ns)
{
    struct hmap_native_lost_record r;
    memset(&r, 0, sizeof r);
    r.h.ts_ns = ts_ns;
    r.h.pid = pid;
    r.h.tid = tid;
    r.h.id = HMAP_NATIVE_LOST_ID;
    r.h.size = sizeof r;
    r.l.count = count;
    r.l.first_ns = first_ns;
    r.l.last_ns = last_ns;
    return r;
}

#endif /* HMAP_NATIVE_WRITE_H */
