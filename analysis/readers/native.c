/* SPDX-License-Identifier: MIT */
/*
 * native.c — reader for native trace files (hmap_native.h,
 * docs/native-format.md).
 *
 * Records are not globally time-ordered: the in-process recorder writes each
 * thread's buffer as one chunk, so a file is a sequence of time-ordered runs.
 * A regular file is therefore read twice.  The first pass validates every
 * record (a corrupt file is reported at its first bad offset before any
 * event is analysed) and lists the maximal non-decreasing runs: one for a
 * single-threaded program, which the second pass then simply streams.  With
 * several runs the second pass merges them by time, each run read through
 * its own buffer with pread(2); a run is started only when the merge reaches
 * its first timestamp, so the heap and the buffers are those of the runs
 * that overlap in time (about one per thread), not every run of the file.
 * Equal times keep file order.  Plain reads, no mapping: the reader's memory
 * does not grow with the file.
 *
 * Pipes cannot be read twice: they are streamed once and must be in time
 * order (records that go back in time are counted as out_of_order).
 *
 * Version 2 files also say whether they are whole (docs/native-format.md,
 * "Crash guarantees"): the chunk and end records are checked in file order
 * while streaming (the first pass, or the only one for a pipe) and never
 * handed on.  A file without its end record, with a chunk cut short or
 * with chunks missing is truncated: an error, or with --allow-truncated a
 * report that says up to when.  Losses the end record counts but no lost
 * record lists come out as one lost record at the end.
 *
 * Version 3 packs the events inside each chunk (schema/hmap_native_pack.h):
 * they are decoded into the fixed layout as they are read, so what the
 * engine sees is the same for every version.  The first pass reads only
 * their framing (tag, length, time; lost records whole), the second
 * decodes and checks their fields: a corrupt field is reported there, at
 * its offset, still before any output.  A chunk decodes alone (its
 * deltas start at its chunk record) and is in time order, so runs begin
 * at chunk records, where a merge cursor can start decoding.  In the
 * second pass of a regular file (one run or many) each cursor decodes a
 * batch of events ahead with the fast decoder, and the merge takes them
 * from one cursor while they come first (see "second pass, version 3").
 */
#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "prog.h"
#include "format.h"
#include "hmap_native_pack.h"
#include "time_heap.h"

#define HDR_SIZE sizeof(struct hmap_native_rec_header)
#define RUN_BUFFER (128u << 10) /* per merged run; a record is at most 64 KiB */
/* What the fast decoder may read beyond the bytes it is given
 * (hmap_native_unpack_fast): it is given only events that leave this much
 * of the run buffer after them, so the buffer needs no slack of its own. */
#define RUN_SLACK HMAP_NATIVE_UNPACK_SLACK
/* Records are padded to this (HMAP_NATIVE_REC_SIZE rounds up to it). */
#define REC_ALIGN (HMAP_NATIVE_REC_SIZE(1) - HMAP_NATIVE_REC_SIZE(0))
/* Bytes made available before a record is looked at: more than any record
 * of this schema, so a known record needs no second fill. */
#define READ_AHEAD 512
_Static_assert(READ_AHEAD >= sizeof(struct bs_record), "read-ahead holds a whole record");
_Static_assert(READ_AHEAD >= HMAP_NATIVE_PACK_MAX + 3, "read-ahead holds a whole packed event");

/* Where a version 3 decoder stands: inside the chunk that ends at end, or
 * (off >= end) before a chunk or end record. */
struct packed {
    struct hmap_native_pack_state ps;
    uint64_t end;
    uint32_t left;    /* events the chunk record announces that are still to come */
    uint64_t last_ns; /* the chunk record's: the time of its last event */
};

struct run {
    uint64_t off, end, first_ts;
};

struct cursor {        /* a run being merged */
    uint64_t off, end; /* next record (version 3: next byte to decode), end of run */
    uint8_t *buf;      /* file bytes [boff, boff + blen) */
    uint64_t boff;
    uint32_t blen, cap;
    uint32_t size; /* versions 1, 2: bytes in the file of the record at off, once peeked */
    /* Version 3: the decoder, and the events decoded ahead of the merge,
     * recs[at..nrec) still to hand on (at most nmax). */
    struct packed pk;
    struct bs_record *recs;
    uint32_t at, nrec, nmax;
    uint64_t tie; /* the run's first offset: orders equal times as file order */
};

struct native_reader {
    struct bs_reader r;
    struct bs_input in; /* streaming (pipes, single run) */
    uint16_t writer_max_id;
    uint16_t header_size;
    uint64_t limit; /* streaming stops here: end of the valid data */
    struct run *runs;
    uint32_t nruns, next_run;
    struct cursor *cursors;   /* one per run, in the order of runs */
    struct bs_time_heap heap; /* started runs with records left */
    int advance_top;          /* the top cursor's record was returned: move it on first */
    /* Version 3: the cursor events are taken from, outside the heap, and
     * the key they must stay before (the heap's top or the next run to
     * start, whichever is first): (lim_ts, tie) with lim_after = 1 when
     * the cursor's tie is before the limit's, so its events at lim_ts
     * still come first. */
    struct cursor *cur;
    uint64_t lim_ts;
    int lim_after;
    /* Format records (version 2), checked once, in file order. */
    int (*inner)(struct bs_reader *r, const struct hmap_native_rec_header **rec);
    uint16_t version;
    int chunked, checked, ended, lost_saturated, tail_lost_done;
    uint64_t start_ns;
    uint32_t pid;                   /* of the file header */
    uint64_t chunk_end, next_seq;   /* end of the open chunk, next chunk number */
    uint64_t events, lost, last_ts; /* event records, lost events, latest event */
    struct hmap_native_end end;     /* the end record, once seen */
    uint64_t end_ts;
    struct bs_record tail_lost; /* losses only the end record counts */
    /* Version 3, streaming: the decoder, the open chunk's record and the
     * events decoded from it (checked against the record at its end). */
    struct packed pk;
    struct hmap_native_chunk chunk;
    uint32_t chunk_events;
    struct bs_record rec;   /* the last packed event decoded */
    struct bs_record fixed; /* the last chunk or end record, aligned */
    int frame_only;         /* the first pass: packed events' framing only */
    /* Version 3: the first pass stepped over the bodies of the chunks
     * before hop_end (whole in the file) by their records alone; their
     * lost records are counted, and the end record's totals checked, when
     * the second pass decodes them (totals_pending). */
    uint64_t hop_end;
    int totals_pending;
};

/* End of valid data at `off`: an error, or with --allow-truncated a note for
 * the report and a clean end. */
static int stop_at(struct native_reader *nr, uint64_t off, const char *what)
{
    if (nr->r.allow_truncated) {
        nr->r.truncated = 1;
        snprintf(nr->r.truncated_at, sizeof(nr->r.truncated_at), "%s: %s at offset %" PRIu64,
                 nr->r.path, what, off);
        return 0;
    }
    snprintf(nr->r.err, sizeof(nr->r.err),
             "%s: %s at offset %" PRIu64 " (use --allow-truncated to analyse up to there)",
             nr->r.path, what, off);
    return -1;
}

static int read_error(struct native_reader *nr)
{
    snprintf(nr->r.err, sizeof(nr->r.err), "%s: read error: %s", nr->r.path, strerror(errno));
    return -1;
}

/* Size of the record with header h, or 0 with a message in *what. */
static uint16_t record_size(const struct native_reader *nr, const struct hmap_native_rec_header *h,
                            char *what, size_t len)
{
    uint16_t want = hmap_native_rec_size(h->id);
    if (!want) {
        /* An id from a newer writer: accept a sane size, refuse garbage. */
        if (h->id > nr->writer_max_id || h->size < HDR_SIZE || h->size % REC_ALIGN) {
            snprintf(what, len, "corrupt record (unknown event id %u)", h->id);
            return 0;
        }
        return h->size;
    }
    if (h->size != want) {
        snprintf(what, len, "corrupt record (id %u has size %u, expected %u)", h->id, h->size,
                 want);
        return 0;
    }
    return want;
}

/* ---- chunk and end records (version 2) ------------------------------------- */

/* Latest event time, for the messages: relative to the trace's start. */
static void when(const struct native_reader *nr, char *buf, size_t len)
{
    if (!nr->events)
        snprintf(buf, len, "no event recorded");
    else
        snprintf(buf, len, "last event %.6f s after the start, ts %" PRIu64,
                 nr->last_ts >= nr->start_ns ? (nr->last_ts - nr->start_ns) / 1e9 : 0.0,
                 nr->last_ts);
}

static int corrupt(struct native_reader *nr, uint64_t off, const char *what)
{
    snprintf(nr->r.err, sizeof(nr->r.err), "%s: corrupt file (%s) at offset %" PRIu64, nr->r.path,
             what, off);
    return -1;
}

/* Add n to the lost total, saturating: a sum that does not fit in 64 bits
 * is reported as the largest value, and said once. */
static void add_lost(struct native_reader *nr, uint64_t n)
{
    if (__builtin_add_overflow(nr->lost, n, &nr->lost)) {
        nr->lost = UINT64_MAX;
        if (!nr->lost_saturated)
            bs_err("warning: %s: lost counts add up to more than %" PRIu64
                   "; counted as that many\n",
                   nr->r.path, UINT64_MAX);
        nr->lost_saturated = 1;
    }
}

/* Add the count of a lost record, given its payload. */
static void add_lost_record(struct native_reader *nr, const void *payload)
{
    struct hmap_native_lost l;
    memcpy(&l, payload, sizeof(l));
    add_lost(nr, l.count);
}

/* The record h at file offset off, in file order: 1 to hand it on, 0 to
 * drop it (a format record), -1 on an error (r->err set). */
static int frame_check(struct native_reader *nr, const struct hmap_native_rec_header *h,
                       uint64_t off, uint32_t size)
{
    if (nr->checked) return !HMAP_NATIVE_IS_FORMAT_ID(h->id);
    if (nr->ended) return corrupt(nr, off, "record after the end record");
    if (nr->version >= 3 && off >= nr->chunk_end && !HMAP_NATIVE_IS_FORMAT_ID(h->id))
        return corrupt(nr, off, "record outside any chunk");
    if (nr->version < 2) {
        if (HMAP_NATIVE_IS_FORMAT_ID(h->id))
            return corrupt(nr, off, "chunk or end record in a version 1 file");
    } else if (h->id == HMAP_NATIVE_CHUNK_ID) {
        struct hmap_native_chunk c;
        memcpy(&c, h + 1, sizeof(c));
        if (!nr->chunked) return corrupt(nr, off, "chunk record in a file without chunks");
        if (off < nr->chunk_end) return corrupt(nr, off, "chunk record inside a chunk");
        if (c.seq != nr->next_seq) {
            char what[160], t[80];
            when(nr, t, sizeof(t));
            snprintf(what, sizeof(what),
                     "chunks %" PRIu64 "..%" PRIu64 " missing (trace incomplete; %s)", nr->next_seq,
                     c.seq - 1, t);
            return stop_at(nr, off, what) < 0 ? -1 : 2;
        }
        if (nr->version >= 3 && (h->ts_ns != c.first_ns || c.first_ns > c.last_ns ||
                                 (c.bytes == 0) != (c.records == 0)))
            return corrupt(nr, off, "chunk record's times or counts disagree");
        nr->next_seq++;
        nr->chunk_end = off + h->size + c.bytes;
        nr->chunk = c;
        nr->chunk_events = 0;
        return 0;
    } else if (h->id == HMAP_NATIVE_END_ID) {
        if (off < nr->chunk_end) return corrupt(nr, off, "end record inside a chunk");
        memcpy(&nr->end, h + 1, sizeof(nr->end));
        nr->end_ts = h->ts_ns;
        nr->ended = 1;
        return 0;
    } else if (nr->chunked && off + size > nr->chunk_end) {
        return corrupt(nr, off,
                       off < nr->chunk_end ? "record crosses the end of its chunk"
                                           : "record outside any chunk");
    }
    if (h->id == HMAP_NATIVE_LOST_ID) {
        add_lost_record(nr, h + 1);
    } else {
        nr->events++;
        if (h->ts_ns > nr->last_ts) nr->last_ts = h->ts_ns;
    }
    if (nr->version >= 3) {
        nr->chunk_events++;
        if (off + size == nr->chunk_end &&
            (nr->chunk_events != nr->chunk.records || h->ts_ns != nr->chunk.last_ns)) {
            char what[160];
            snprintf(what, sizeof(what),
                     "chunk %" PRIu64 " holds %u events up to ts %" PRIu64
                     ", its record says %u up to %" PRIu64,
                     nr->chunk.seq, nr->chunk_events, h->ts_ns, nr->chunk.records,
                     nr->chunk.last_ns);
            return corrupt(nr, off, what);
        }
        if (h->ts_ns > nr->chunk.last_ns)
            return corrupt(nr, off, "event later than its chunk record's last_ns");
    }
    return 1;
}

/* Version 3: the packed event at p (avail bytes, at file offset off) of
 * the chunk pk is in, decoded into rec.  Its length in the file, or 0 when
 * avail ends inside it (*what: why), or -1 with r->err set. */
static long unpack_at(struct native_reader *nr, struct packed *pk, const uint8_t *p, size_t avail,
                      uint64_t off, struct bs_record *rec, const char **what)
{
    if (avail > pk->end - off) avail = pk->end - off;
    long n = hmap_native_unpack(&pk->ps, p, avail, &rec->h, rec->payload, what);
    if (n > 0) {
        /* The chunk's events against its record (the first pass counted
         * them; times are known only now). */
        int last = off + (uint64_t)n == pk->end;
        if (pk->left == 0 || (--pk->left == 0) != last ||
            (last ? rec->h.ts_ns != pk->last_ns : rec->h.ts_ns > pk->last_ns)) {
            *what = "chunk's events disagree with its record (count or last_ns)";
            return corrupt(nr, off, *what);
        }
        if (rec->h.id == HMAP_NATIVE_LOST_ID && off < nr->hop_end) {
            add_lost_record(nr, rec->payload); /* counted as an event by hop_chunk */
            nr->events--;
        }
        return n;
    }
    if (n == HMAP_NATIVE_UNPACK_SHORT) {
        if (off + avail < pk->end) return 0; /* the file ends first */
        *what = "packed event crosses its chunk's end";
    }
    char msg[120];
    snprintf(msg, sizeof(msg), "%s%s", *what,
             n == HMAP_NATIVE_UNPACK_UNKNOWN ? " (written by a newer bucketscope?)" : "");
    return corrupt(nr, off, msg);
}

/* Version 3: a chunk record h at file offset off starts decoding. */
static void packed_enter(struct packed *pk, const struct hmap_native_rec_header *h, uint64_t off)
{
    struct hmap_native_chunk c;
    memcpy(&c, h + 1, sizeof(c));
    hmap_native_pack_begin(&pk->ps, c.first_ns, h->pid, h->tid);
    pk->end = off + h->size + c.bytes;
    pk->left = c.records;
    pk->last_ns = c.last_ns;
}

/*
 * Version 3, first pass over a regular file: the body of a chunk that lies
 * whole in the file is not walked but stepped over, its record trusted for
 * now: its events count as its records, and the second pass, which decodes
 * every event and checks the chunk's count and last time against the
 * record, takes the lost records back out (unpack_at) before the end
 * record's totals are checked (end_totals).  This keeps the first pass,
 * which nothing runs beside, to a step per chunk instead of one per event
 * (docs/report.md, "Trace format").  0: the stream stands after the chunk;
 * -1 on a read error.
 */
static int hop_chunk(struct native_reader *nr)
{
    struct bs_input *in = &nr->in;
    uint64_t skip = nr->pk.end - (in->base + in->pos);
    if (skip <= in->end - in->pos) {
        in->pos += (size_t)skip;
    } else {
        if (lseek(in->fd, (off_t)nr->pk.end, SEEK_SET) < 0) return read_error(nr);
        in->base = nr->pk.end;
        in->pos = in->end = 0;
        in->eof = 0;
    }
    nr->events += nr->chunk.records;
    nr->chunk_events = nr->chunk.records;
    if (nr->chunk.records && nr->chunk.last_ns > nr->last_ts) nr->last_ts = nr->chunk.last_ns;
    nr->hop_end = nr->pk.end;
    nr->r.bytes_done = nr->pk.end;
    return 0;
}

/*
 * Version 3, first pass over a file: the body of the chunk that starts at
 * the stream's position, walked rather than decoded: an event's tag and
 * length say what it is and where the next begins; only lost records are
 * decoded (for their counts).  The times and fields are decoded and
 * checked in the second pass.  0 when the stream stands after the chunk,
 * 1 when the file ends inside it (at the last whole event), -1 on an
 * error.
 */
static int walk_chunk(struct native_reader *nr)
{
    struct bs_input *in = &nr->in;
    uint32_t events = 0;
    if (nr->pk.end <= in->size) return hop_chunk(nr); /* whole in the file */
    for (;;) {
        uint64_t off = in->base + in->pos;
        if (off >= nr->pk.end) break;
        /* READ_AHEAD holds any event: one that does not fit is cut by the
         * end of the file */
        if (in->end - in->pos < READ_AHEAD && bs_input_fill(in, READ_AHEAD) < 0)
            return read_error(nr);
        const uint8_t *p = in->buf + in->pos, *q = p + 1;
        uint64_t left = nr->pk.end - off, avail = in->end - in->pos, body;
        if (avail > left) avail = left;
        /* Most events: a one-byte len and a known id other than lost, with
         * more than the longest such event left in the buffer and the
         * chunk: stepped over with no other check.  The rest (and any
         * error) take the careful path below. */
        const uint8_t *s = p, *stop = p + avail;
        uint32_t stepped = 0;
        while (stop - s > 2 + 0x7f) {
            unsigned tag = s[0], len = s[1];
            if (((tag | len) & 0x80) || (tag & HMAP_NATIVE_PACK_ID_MASK) - 1u >= HMAP_EVENT_MAX_ID)
                break;
            s += 2 + len;
            stepped++;
        }
        if (stepped) {
            events += stepped;
            nr->events += stepped;
            in->pos += (size_t)(s - p);
            nr->r.bytes_done = in->base + in->pos;
            continue;
        }
        const uint8_t *end = p + avail;
        if (avail < 2 || !hmap_native_get_varint(&q, end, &body) || body > (uint64_t)(end - q)) {
            if (avail < left && in->eof) return 1; /* cut */
            return corrupt(nr, off,
                           avail < left ? "bad event length"
                                        : "packed event crosses its chunk's end");
        }
        unsigned id = *p & HMAP_NATIVE_PACK_ID_MASK;
        if ((*p & HMAP_NATIVE_PACK_RESERVED) || body > HMAP_NATIVE_PACK_MAX)
            return corrupt(nr, off, "bad event tag or length");
        if (id > HMAP_EVENT_MAX_ID)
            return corrupt(nr, off,
                           "event id unknown to this reader (written by a newer "
                           "bucketscope?)");
        if (id == HMAP_NATIVE_LOST_ID) {
            struct hmap_native_pack_state ps = nr->pk.ps; /* only the lost count matters */
            struct bs_record rec;
            const char *what = "";
            if (hmap_native_unpack(&ps, p, avail, &rec.h, rec.payload, &what) <= 0)
                return corrupt(nr, off, what);
            add_lost_record(nr, rec.payload);
        } else {
            nr->events++;
        }
        events++;
        in->pos += (size_t)(q + body - p);
        nr->r.bytes_done = in->base + in->pos;
    }
    nr->chunk_events = events;
    if (events != nr->chunk.records) {
        char what[120];
        snprintf(what, sizeof(what), "chunk %" PRIu64 " holds %u events, its record says %u",
                 nr->chunk.seq, events, nr->chunk.records);
        return corrupt(nr, nr->pk.end, what);
    }
    if (events && nr->chunk.last_ns > nr->last_ts) nr->last_ts = nr->chunk.last_ns;
    return 0;
}

/* The end record's totals against the file's events and losses: an error,
 * or the losses only the end record counts, handed on last. */
static int end_totals(struct native_reader *nr, uint64_t off)
{
    char what[160];
    if (nr->end.events != nr->events || (nr->chunked && nr->end.chunks != nr->next_seq)) {
        snprintf(what, sizeof(what),
                 "the end record counts %" PRIu64 " events in %" PRIu64
                 " chunks, the file holds %" PRIu64 " in %" PRIu64,
                 nr->end.events, nr->end.chunks, nr->events, nr->next_seq);
        return corrupt(nr, off, what);
    }
    if (nr->end.lost > nr->lost) {
        /* Losses the producer knew of but could not write as lost records
         * (a full disk): when they happened is known only as "during the
         * trace". */
        struct bs_record *lr = &nr->tail_lost;
        lr->h = (struct hmap_native_rec_header){.ts_ns = nr->end_ts,
                                                .pid = nr->pid,
                                                .id = HMAP_NATIVE_LOST_ID,
                                                .size = hmap_native_rec_size(0)};
        struct hmap_native_lost l = {nr->end.lost - nr->lost, nr->start_ns, nr->end_ts};
        memcpy(lr->payload, &l, sizeof(l));
        nr->tail_lost_done = 0;
    } else {
        nr->tail_lost_done = 1;
    }
    return 0;
}

/* The end of the data at offset off, reached in file order: is the file
 * whole?  0 (also when --allow-truncated lets a cut pass), -1 on an error. */
static int frame_finish(struct native_reader *nr, uint64_t off)
{
    if (nr->checked || nr->version < 2) return 0;
    nr->checked = 1;
    char what[160], t[80];
    when(nr, t, sizeof(t));
    if (nr->r.truncated) return 0; /* already cut earlier */
    if (off < nr->chunk_end) {
        snprintf(what, sizeof(what),
                 "trace cut inside chunk %" PRIu64 " (%" PRIu64 " bytes missing; %s)",
                 nr->next_seq - 1, nr->chunk_end - off, t);
        return stop_at(nr, off, what);
    }
    if (!nr->ended) {
        snprintf(what, sizeof(what), "no end record (trace cut short: %s); file ends", t);
        return stop_at(nr, off, what);
    }
    if (nr->hop_end) { /* the hopped chunks' lost records are counted in the second pass */
        nr->totals_pending = 1;
        return 0;
    }
    return end_totals(nr, off);
}

/* What readers of this reader see: the records, format records left out,
 * then the losses that only the end record counts. */
static int native_next(struct bs_reader *r, const struct hmap_native_rec_header **rec)
{
    struct native_reader *nr = (struct native_reader *)r;
    int st;
    while ((st = nr->inner(r, rec)) == 1)
        if (!HMAP_NATIVE_IS_FORMAT_ID((*rec)->id)) return 1;
    if (st == 0 && nr->checked && !nr->tail_lost_done) {
        nr->tail_lost_done = 1;
        *rec = &nr->tail_lost.h;
        return 1;
    }
    return st;
}

/* ---- streaming ------------------------------------------------------------- */

/* Next record of the stream: 1, 0 at the end (or at nr->limit), -1 on error. */
static int stream_next(struct bs_reader *r, const struct hmap_native_rec_header **rec)
{
    struct native_reader *nr = (struct native_reader *)r;
    struct bs_input *in = &nr->in;
    if (nr->r.truncated && !nr->checked) return 0; /* stopped at a chunk gap */
    if (in->base + in->pos >= nr->limit) return 0;
    if (in->end - in->pos < READ_AHEAD) {
        long n = bs_input_fill(in, READ_AHEAD);
        if (n < 0) return read_error(nr);
        if (n == 0) return frame_finish(nr, in->base + in->pos);
        if ((size_t)n < HDR_SIZE && !(nr->version >= 3 && in->base + in->pos < nr->pk.end))
            return stop_at(nr, in->base + in->pos, "truncated record header");
    }
    uint64_t off = in->base + in->pos;
    if (nr->frame_only && off < nr->pk.end) { /* the first pass skips a chunk's events */
        int st = walk_chunk(nr);
        if (st < 0) return -1;
        if (st == 1) return frame_finish(nr, in->base + in->pos);
        return stream_next(r, rec);
    }
    if (nr->version >= 3 && off < nr->pk.end) { /* a packed event */
        const char *what = "";
        long n = unpack_at(nr, &nr->pk, in->buf + in->pos, in->end - in->pos, off, &nr->rec, &what);
        if (n < 0) return -1;
        if (n == 0) return frame_finish(nr, off); /* cut inside the chunk */
        int keep = frame_check(nr, &nr->rec.h, off, (uint32_t)n);
        if (keep < 0) return -1;
        *rec = &nr->rec.h;
        in->pos += (size_t)n;
        r->bytes_done = in->base + in->pos;
        return 1;
    }
    const struct hmap_native_rec_header *h = (const void *)(in->buf + in->pos);
    if (nr->version >= 3) {
        /* After packed events a record may lie at any offset: read it from
         * an aligned copy.  Only chunk and end records lie outside chunks. */
        memcpy(&nr->fixed, in->buf + in->pos, HDR_SIZE);
        if (!HMAP_NATIVE_IS_FORMAT_ID(nr->fixed.h.id))
            return corrupt(nr, off, "record outside any chunk");
        h = &nr->fixed.h;
    }
    char what[96];
    uint16_t want = record_size(nr, h, what, sizeof(what));
    if (!want) return stop_at(nr, in->base + in->pos, what);
    if (in->end - in->pos < want) {
        long n = bs_input_fill(in, want);
        if (n < 0) return read_error(nr);
        if ((size_t)n < want) return stop_at(nr, in->base + in->pos, "truncated record");
        h = (const void *)(in->buf + in->pos);
    }
    if (nr->version >= 3) { /* format records are at most READ_AHEAD bytes */
        memcpy(&nr->fixed, in->buf + in->pos, want);
        h = &nr->fixed.h;
    }
    int keep = frame_check(nr, h, in->base + in->pos, want);
    if (keep < 0) return -1;
    if (keep == 2) return 0; /* a gap: analysed up to there */
    if (nr->version >= 3 && h->id == HMAP_NATIVE_CHUNK_ID) packed_enter(&nr->pk, h, off);
    *rec = h;
    in->pos += want;
    r->bytes_done = in->base + in->pos;
    return 1;
}

/* ---- first pass: validate and find the runs -------------------------------- */

static int add_run(struct native_reader *nr, uint32_t *cap, uint64_t off, uint64_t ts)
{
    if (nr->nruns == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        struct run *n = realloc(nr->runs, *cap * sizeof(*n));
        if (!n) {
            snprintf(nr->r.err, sizeof(nr->r.err), "%s: out of memory", nr->r.path);
            return -1;
        }
        nr->runs = n;
    }
    if (nr->nruns) nr->runs[nr->nruns - 1].end = off;
    nr->runs[nr->nruns++] = (struct run){off, 0, ts};
    return 0;
}

/* At most this many runs (or one per 32 KiB of file, if more): a recorder
 * writes runs of whole buffers (64 KiB per thread flush), so real traces stay
 * far below; a crafted file whose timestamps alternate would otherwise cost
 * a run, a cursor and a buffer per record.  Past the cap a record that goes
 * back in time stays in the current run: the merge delivers it late and the
 * engine applies it at the latest time, counted as out_of_order (data
 * quality, docs/report.md "Memory and limits"). */
#define RUNS_MIN_CAP 65536u
#define RUN_BYTES_PER_RUN (32u << 10)

/* Stream the whole file once; on return nr->limit is the end of the valid
 * records and nr->runs lists the time-ordered runs.  0, or -1 with r->err. */
static int build_index(struct native_reader *nr)
{
    const struct hmap_native_rec_header *h;
    uint64_t prev_ts = 0;
    uint32_t cap = 0;
    uint64_t by_size = nr->in.size / RUN_BYTES_PER_RUN;
    uint32_t max_runs = by_size > RUNS_MIN_CAP
                            ? (by_size > UINT32_MAX ? UINT32_MAX : (uint32_t)by_size)
                            : RUNS_MIN_CAP;
    int st;
    nr->limit = UINT64_MAX;
    nr->frame_only = nr->version >= 3; /* packed events are decoded in the second pass */
    while ((st = stream_next(&nr->r, &h)) == 1) {
        /* Version 3: runs start at chunk records, where decoding can; a
         * chunk is in time order from its record's time on, so its packed
         * events never go back. */
        int packed = h == &nr->rec.h;
        uint64_t off = nr->in.base + nr->in.pos - (packed ? 0 : h->size);
        if ((nr->nruns == 0 || (h->ts_ns < prev_ts && !packed && nr->nruns < max_runs)) &&
            add_run(nr, &cap, off, h->ts_ns) < 0)
            return -1;
        prev_ts = h->ts_ns;
        if (nr->frame_only && h->id == HMAP_NATIVE_CHUNK_ID) {
            /* Its events are walked, not returned: the run goes on from the
             * chunk's last time (checked against its events in the second
             * pass). */
            struct hmap_native_chunk c;
            memcpy(&c, h + 1, sizeof(c));
            if (c.records) prev_ts = c.last_ns;
        }
    }
    nr->frame_only = 0;
    if (st < 0) return -1;
    nr->checked = 1; /* a chunk gap ends the valid data too */
    nr->limit = nr->in.base + nr->in.pos;
    if (nr->nruns) nr->runs[nr->nruns - 1].end = nr->limit;
    nr->r.bytes_done = 0;
    return 0;
}

/* ---- second pass, several runs: merge by time --------------------------------- */

static int run_before(const struct run *a, const struct run *b)
{
    return a->first_ts != b->first_ts ? a->first_ts < b->first_ts : a->off < b->off;
}

static int by_first_ts(const void *a, const void *b)
{
    return run_before(a, b) ? -1 : run_before(b, a) ? 1 : 0;
}

/* Read the cursor's buffer afresh from its offset (as much as it holds, up
 * to the run's end).  0, or -1 with r->err set: the first pass saw these
 * bytes, so a short read means the file shrank under us. */
static int refill(struct native_reader *nr, struct cursor *c)
{
    uint64_t want = c->end - c->off < c->cap ? c->end - c->off : c->cap;
    ssize_t n = pread(nr->in.fd, c->buf, want, (off_t)c->off);
    if (n < 0 || (uint64_t)n < want) {
        if (n >= 0) errno = EIO;
        read_error(nr);
        return -1;
    }
    c->boff = c->off;
    c->blen = (uint32_t)n;
    return 0;
}

/* The header of the cursor's next record, read into its buffer if needed
 * (whole record included); NULL with r->err set on a read error. */
static const struct hmap_native_rec_header *peek(struct native_reader *nr, struct cursor *c)
{
    uint64_t have = c->boff + c->blen;
    if (c->off < c->boff || c->off + HDR_SIZE > have ||
        c->off + ((const struct hmap_native_rec_header *)(c->buf + (c->off - c->boff)))->size >
            have) {
        if (refill(nr, c) < 0) return NULL;
    }
    const struct hmap_native_rec_header *h = (const void *)(c->buf + (c->off - c->boff));
    c->size = h->size;
    return h;
}

/* The heap holds, keyed by (time, file offset) of its next record, every
 * started run with records left; runs start in (first time, offset) order,
 * each only once the merge reaches its first record, so a record never comes
 * out before an earlier one of a run not yet started. */
static int merge_next(struct bs_reader *r, const struct hmap_native_rec_header **rec)
{
    struct native_reader *nr = (struct native_reader *)r;
    struct bs_time_heap *heap = &nr->heap;
    if (nr->advance_top) { /* move past the record returned last time */
        struct cursor *top = &nr->cursors[bs_time_heap_top(heap)->slot];
        nr->advance_top = 0;
        top->off += top->size;
        if (top->off < top->end) {
            const struct hmap_native_rec_header *h = peek(nr, top);
            if (!h) return -1;
            bs_time_heap_replace_top(heap, h->ts_ns, top->off);
        } else {
            free(top->buf);
            top->buf = NULL;
            bs_time_heap_pop(heap);
        }
    }
    /* Start every run that could hold the smallest next record. */
    while (nr->next_run < nr->nruns) {
        const struct run *run = &nr->runs[nr->next_run];
        struct bs_time_key first = {run->first_ts, run->off, nr->next_run};
        if (heap->n && !bs_time_key_before(&first, bs_time_heap_top(heap))) break;
        struct cursor *c = &nr->cursors[nr->next_run];
        *c = (struct cursor){.off = run->off, .end = run->end, .boff = run->off};
        c->cap = c->end - c->off < RUN_BUFFER ? (uint32_t)(c->end - c->off) : RUN_BUFFER;
        c->buf = malloc(c->cap);
        if (!c->buf) {
            snprintf(r->err, sizeof(r->err), "%s: out of memory", r->path);
            return -1;
        }
        bs_time_heap_push(heap, first.ts, first.tie, first.slot);
        nr->next_run++;
    }
    if (!heap->n) return 0;
    struct cursor *c = &nr->cursors[bs_time_heap_top(heap)->slot];
    const struct hmap_native_rec_header *h = peek(nr, c);
    if (!h) return -1;
    r->bytes_done += c->size;
    nr->advance_top = 1;
    *rec = h;
    return 1;
}

/* ---- second pass, version 3: decoded ahead, merged by time -------------------
 *
 * A cursor decodes up to BATCH events of its run at once into recs, in a
 * tight loop (hmap_native_unpack_fast: no bounds check per field, its
 * read-ahead stays inside the run buffer); an event the fast path
 * does not take is decoded by unpack_at, which reports it exactly.  A
 * failing event ends the batch before it: it is decoded again, and its
 * error reported, only when the merge reaches it, so errors come out at
 * the same point of the stream as when events were decoded one by one.
 *
 * The merge takes events from one cursor (nr->cur, outside the heap) while
 * they come before the limit (the heap's top or the next run to start):
 * one comparison per event, the heap touched only when another run comes
 * first.  The output is the heap merge's: every event in (time, file
 * offset) order within and across runs.  Chunk and end records are read
 * by the cursors, never handed on: a chunk record's time is never after
 * its first event's, so leaving it out of the merge changes no order. */

/* Decoded events a cursor holds at most.  A cursor starts with room for
 * one and doubles it each time a batch fills it: a file of many small
 * runs keeps many cursors started at once, each holding a few events, so
 * their memory stays that of one record each, as with one-by-one
 * decoding. */
#define BATCH 64

static int changed(struct native_reader *nr, uint64_t off)
{
    return corrupt(nr, off, "file changed while read");
}

/* Decode c's next events into c->recs.  1: some (c->at = 0), 0: the run
 * has none left, -1: an error (r->err set). */
static int fill_batch(struct native_reader *nr, struct cursor *c)
{
    uint64_t start = c->off;
    uint32_t n = 0;
    if (c->nrec == c->nmax && c->nmax < BATCH) { /* the last batch was full: more room */
        struct bs_record *r = realloc(c->recs, 2 * c->nmax * sizeof(*r));
        if (r) { /* else the same room: slower, not wrong */
            c->recs = r;
            c->nmax *= 2;
        }
    }
    while (n < c->nmax && c->off < c->end) {
        uint64_t need = c->end - c->off < READ_AHEAD ? c->end - c->off : READ_AHEAD;
        if (c->off < c->boff || c->off + need > c->boff + c->blen) {
            if (refill(nr, c) < 0) return -1;
        }
        const uint8_t *p = c->buf + (c->off - c->boff);
        uint64_t avail = c->boff + c->blen - c->off;
        if (c->off >= c->pk.end) { /* a chunk or end record (the first pass checked it) */
            struct bs_record f;
            if (avail < HDR_SIZE) return changed(nr, c->off);
            memcpy(&f.h, p, HDR_SIZE);
            if (!HMAP_NATIVE_IS_FORMAT_ID(f.h.id) || f.h.size != hmap_native_rec_size(f.h.id) ||
                f.h.size > avail)
                return changed(nr, c->off);
            memcpy(&f, p, f.h.size);
            if (f.h.id == HMAP_NATIVE_CHUNK_ID) packed_enter(&c->pk, &f.h, c->off);
            c->off += f.h.size;
            continue;
        }
        /* The fast path: events before the chunk's last one (which, like
         * any the fast path refuses, unpack_at checks against the chunk
         * record), whole in the buffer with RUN_SLACK bytes after them
         * (a refill comes before the last READ_AHEAD bytes, so only a
         * run's last RUN_SLACK bytes take the exact path). */
        uint64_t in_chunk = c->pk.end - c->off;
        size_t lim = avail > RUN_SLACK ? avail - RUN_SLACK : 0;
        if (lim > in_chunk - 1) lim = in_chunk - 1;
        const uint8_t *q = p;
        uint32_t left = c->pk.left;
        struct bs_record *e = c->recs + n;
        struct hmap_native_pack_state ps = c->pk.ps; /* a local: kept in registers */
        while (left > 1 && n < c->nmax) {
            long len = hmap_native_unpack_fast(&ps, q, lim, c->pk.last_ns, &e->h, e->payload);
            if (len <= 0) break;
            q += len;
            lim -= (size_t)len;
            left--;
            n++;
            e++;
        }
        if (q != p) {
            c->pk.ps = ps;
            c->pk.left = left;
            c->off += (uint64_t)(q - p);
            continue;
        }
        /* One event, exactly, on a copy of the decoder: a failure leaves
         * the cursor before the event. */
        struct packed pk = c->pk;
        const char *what = "";
        long len = unpack_at(nr, &pk, p, avail, c->off, e, &what);
        if (len <= 0) {
            if (n) break; /* hand on the batch first; the error comes after it */
            if (len == 0) changed(nr, c->off);
            return -1;
        }
        c->pk = pk;
        c->off += (uint64_t)len;
        n++;
    }
    nr->r.bytes_done += c->off - start;
    c->at = 0;
    c->nrec = n;
    return n > 0;
}

static void cursor_free(struct cursor *c)
{
    free(c->buf);
    c->buf = NULL;
    free(c->recs);
    c->recs = NULL;
}

static inline struct bs_time_key cursor_key(const struct cursor *c, uint32_t slot)
{
    return (struct bs_time_key){c->recs[c->at].h.ts_ns, c->tie, slot};
}

/* Start run i: its cursor decodes its first events.  1: in the heap, 0:
 * the run holds no event, -1: an error. */
static int cursor_start(struct native_reader *nr, uint32_t i)
{
    const struct run *run = &nr->runs[i];
    struct cursor *c = &nr->cursors[i];
    uint64_t len = run->end - run->off;
    *c = (struct cursor){.off = run->off, .end = run->end, .boff = run->off, .tie = run->off};
    c->cap = len < RUN_BUFFER ? (uint32_t)len : RUN_BUFFER;
    c->nmax = 1;
    c->buf = malloc(c->cap);
    c->recs = malloc(c->nmax * sizeof(*c->recs));
    if (!c->buf || !c->recs) {
        cursor_free(c);
        snprintf(nr->r.err, sizeof(nr->r.err), "%s: out of memory", nr->r.path);
        return -1;
    }
    int st = fill_batch(nr, c);
    if (st <= 0) {
        cursor_free(c);
        return st;
    }
    struct bs_time_key k = cursor_key(c, i);
    bs_time_heap_push(&nr->heap, k.ts, k.tie, k.slot);
    return 1;
}

/* The first of the heap's top and the next run to start, as nr->cur's
 * limit. */
static void set_limit(struct native_reader *nr)
{
    const struct bs_time_key *lim = nr->heap.n ? bs_time_heap_top(&nr->heap) : NULL;
    struct bs_time_key first;
    if (nr->next_run < nr->nruns) {
        const struct run *run = &nr->runs[nr->next_run];
        first = (struct bs_time_key){run->first_ts, run->off, nr->next_run};
        if (!lim || bs_time_key_before(&first, lim)) lim = &first;
    }
    if (!lim) {
        nr->lim_ts = UINT64_MAX;
        nr->lim_after = 1;
    } else {
        nr->lim_ts = lim->ts;
        nr->lim_after = nr->cur->tie < lim->tie;
    }
}

/* merge3_next's slow part: nr->cur has no decoded event left, or its next
 * one does not come first. */
static __attribute__((noinline)) int merge3_switch(struct native_reader *nr,
                                                   const struct hmap_native_rec_header **rec)
{
    struct bs_time_heap *heap = &nr->heap;
    struct cursor *c = nr->cur;
    if (c && c->at == c->nrec) {
        int st = fill_batch(nr, c);
        if (st < 0) return -1;
        if (st == 0) {
            cursor_free(c);
            c = nr->cur = NULL;
        } else {
            uint64_t ts = c->recs[0].h.ts_ns;
            if (ts < nr->lim_ts || (ts == nr->lim_ts && nr->lim_after)) {
                c->at++;
                *rec = &c->recs[0].h;
                return 1;
            }
        }
    }
    if (c) { /* another run comes first: c goes back into the heap */
        struct bs_time_key k = cursor_key(c, (uint32_t)(c - nr->cursors));
        bs_time_heap_push(heap, k.ts, k.tie, k.slot);
        nr->cur = NULL;
    }
    /* Start every run that could hold the smallest next event. */
    while (nr->next_run < nr->nruns) {
        const struct run *run = &nr->runs[nr->next_run];
        struct bs_time_key first = {run->first_ts, run->off, nr->next_run};
        if (heap->n && !bs_time_key_before(&first, bs_time_heap_top(heap))) break;
        if (cursor_start(nr, nr->next_run++) < 0) return -1;
    }
    if (!heap->n) { /* the end: the losses only the end record counts */
        if (nr->totals_pending) {
            nr->totals_pending = 0;
            if (end_totals(nr, nr->limit) < 0) return -1;
        }
        if (nr->checked && !nr->tail_lost_done) {
            nr->tail_lost_done = 1;
            *rec = &nr->tail_lost.h;
            return 1;
        }
        return 0;
    }
    c = nr->cur = &nr->cursors[bs_time_heap_top(heap)->slot];
    bs_time_heap_pop(heap);
    set_limit(nr);
    *rec = &c->recs[c->at++].h;
    return 1;
}

/* The reader's next() once a version 3 file is indexed. */
static int merge3_next(struct bs_reader *r, const struct hmap_native_rec_header **rec)
{
    struct native_reader *nr = (struct native_reader *)r;
    struct cursor *c = nr->cur;
    if (__builtin_expect(c && c->at < c->nrec, 1)) {
        const struct bs_record *e = &c->recs[c->at];
        if (__builtin_expect(e->h.ts_ns < nr->lim_ts || (e->h.ts_ns == nr->lim_ts && nr->lim_after),
                             1)) {
            c->at++;
            *rec = &e->h;
            return 1;
        }
    }
    return merge3_switch(nr, rec);
}

/* ---- opening -------------------------------------------------------------------- */

/* The deferred part of opening a regular file: the first pass runs on the
 * first next() so that --allow-truncated (set after open) applies to it. */
static int first_next(struct bs_reader *r, const struct hmap_native_rec_header **rec)
{
    struct native_reader *nr = (struct native_reader *)r;
    if (build_index(nr) < 0) return -1;
    if (nr->nruns <= 1 &&
        (nr->version < 3 || nr->nruns == 0)) { /* stream again, up to the end of the valid data */
        if (lseek(nr->in.fd, nr->header_size, SEEK_SET) < 0) return read_error(nr);
        nr->in.pos = nr->in.end = 0;
        nr->in.base = nr->header_size;
        nr->in.eof = 0;
        nr->pk.end = 0;
        nr->inner = stream_next;
        return stream_next(r, rec);
    }
    qsort(nr->runs, nr->nruns, sizeof(*nr->runs), by_first_ts);
    nr->cursors = calloc(nr->nruns, sizeof(*nr->cursors));
    if (!nr->cursors || bs_time_heap_init(&nr->heap, nr->nruns) < 0) {
        snprintf(r->err, sizeof(r->err), "%s: out of memory", r->path);
        return -1;
    }
    free(nr->in.buf); /* the runs have their own buffers */
    nr->in.buf = NULL;
    if (nr->version >= 3) { /* also for one run: decoded ahead */
        nr->r.next = merge3_next;
        return merge3_switch(nr, rec);
    }
    nr->inner = merge_next;
    return merge_next(r, rec);
}

static void native_close(struct bs_reader *r)
{
    struct native_reader *nr = (struct native_reader *)r;
    for (uint32_t i = 0; nr->cursors && i < nr->nruns; i++) {
        free(nr->cursors[i].buf);
        free(nr->cursors[i].recs);
    }
    bs_input_close(&nr->in);
    free(nr->runs);
    free(nr->cursors);
    bs_time_heap_free(&nr->heap);
    free(nr);
}

int bs_native_header_check(const char *path, const struct hmap_native_file_header *fh, char *err,
                           size_t errlen)
{
    if (fh->version < HMAP_NATIVE_VERSION_MIN || fh->version > HMAP_NATIVE_VERSION) {
        snprintf(err, errlen,
                 "%s: unsupported native format version %u at offset %zu (this reader: %u)", path,
                 fh->version, offsetof(struct hmap_native_file_header, version),
                 HMAP_NATIVE_VERSION);
        return -1;
    }
    if (fh->header_size < sizeof(*fh) || fh->header_size % REC_ALIGN) {
        snprintf(err, errlen, "%s: corrupt file header at offset %zu (header_size %u)", path,
                 offsetof(struct hmap_native_file_header, header_size), fh->header_size);
        return -1;
    }
    if (fh->version >= 3 && !(fh->flags & HMAP_NATIVE_FLAG_CHUNKED)) {
        snprintf(err, errlen, "%s: corrupt file header at offset %zu (version 3 without chunks)",
                 path, offsetof(struct hmap_native_file_header, flags));
        return -1;
    }
    return 0;
}

struct bs_reader *bs_native_open(const char *path, struct bs_input *in, char *err, size_t errlen)
{
    long n = bs_input_fill(in, sizeof(struct hmap_native_file_header));
    if (n < (long)sizeof(struct hmap_native_file_header)) {
        snprintf(err, errlen, "%s: truncated file header at offset 0 (%ld of %zu bytes)", path,
                 n < 0 ? 0 : n, sizeof(struct hmap_native_file_header));
        return NULL;
    }
    struct hmap_native_file_header fh;
    memcpy(&fh, in->buf, sizeof(fh));
    if (bs_native_header_check(path, &fh, err, errlen) < 0) return NULL;
    n = bs_input_fill(in, fh.header_size);
    if (n < fh.header_size) {
        snprintf(err, errlen, "%s: truncated file header at offset 0", path);
        return NULL;
    }
    struct native_reader *nr = calloc(1, sizeof(*nr));
    if (!nr) {
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    nr->in = *in;
    nr->in.pos = fh.header_size;
    nr->header_size = fh.header_size;
    nr->writer_max_id = fh.max_event_id;
    nr->limit = UINT64_MAX;
    nr->r.path = path;
    nr->r.kind = BS_INPUT_NATIVE;
    nr->r.close = native_close;
    nr->r.bytes_total = in->size;
    struct stat st;
    int regular = fstat(in->fd, &st) == 0 && S_ISREG(st.st_mode);
    nr->inner = regular ? first_next : stream_next;
    nr->r.next = native_next;
    nr->version = nr->r.native_version = fh.version;
    nr->chunked = fh.version >= 2 && (fh.flags & HMAP_NATIVE_FLAG_CHUNKED);
    nr->start_ns = fh.start_ns;
    nr->pid = fh.pid;
    nr->tail_lost_done = 1; /* until the end record asks for one */
    return &nr->r;
}
