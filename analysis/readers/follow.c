/* SPDX-License-Identifier: MIT */
/*
 * follow.c — a native trace read while it is written (bs_follow_open in
 * reader.h; docs/live.md, docs/native-format.md).
 *
 * next() returns BS_READER_AGAIN when no complete unit is in the file yet;
 * stop() (the writer gone, a signal) makes it read what is there and end:
 * a trace without its end record is then reported as truncated, up to
 * where it stops.
 *
 * Each poll reads what the file gained since the last one and takes from it
 * the complete units only: in a chunked file (version 2, or 3 whose packed
 * events are decoded here to the fixed records of version 2) a chunk whose
 * `bytes` are all there, in an unchunked file a record whose `size` is.  A
 * unit cut by the end of the file stays for the next poll.  The records of
 * one poll are stably sorted by time before they are handed on: the
 * in-process recorder writes one thread's buffer per chunk, so the chunks
 * of a poll interleave as the post-mortem reader's runs do; a record older
 * than one handed on by an earlier poll is handed on anyway, and the engine
 * counts it as out_of_order (docs/live.md, "Order").  Nothing is mapped, the
 * memory is that of one poll (at most POLL_BYTES plus one unit).
 *
 * Checked on the way, as the post-mortem reader does: the file header, every
 * record's size against its id, chunk numbers without gaps, records inside
 * their chunk, nothing after the end record, the end record's counts; losses
 * the end record counts beyond the lost records come out as one lost record
 * at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format.h"
#include "hmap_native_pack.h"

#define HDR_SIZE sizeof(struct hmap_native_rec_header)
#define POLL_BYTES (4u << 20) /* read per poll at most (plus one unit) */
#define REC_ALIGN (HMAP_NATIVE_REC_SIZE(1) - HMAP_NATIVE_REC_SIZE(0))

struct follow_reader {
    struct bs_reader r;
    int fd;
    int have_header, chunked, packed, last, ended, done;
    uint16_t writer_max_id;
    uint32_t pid;
    uint64_t start_ns;
    uint64_t off; /* file offset of buf[0] */
    uint8_t *buf; /* bytes read and not yet taken as units */
    size_t len, cap;
    uint8_t *batch; /* the records of the last poll, copied */
    size_t batch_len, batch_cap;
    uint32_t *order; /* their offsets in batch, sorted by time */
    uint32_t norder, next, order_cap;
    uint64_t next_seq, events, lost;
    struct hmap_native_end end;
    uint64_t end_ts;
    struct bs_record tail_lost;
    int tail_lost_due;
};

static int fail(struct follow_reader *f, uint64_t off, const char *what)
{
    snprintf(f->r.err, sizeof(f->r.err), "%s: %s at offset %" PRIu64, f->r.path, what, off);
    return -1;
}

/* Read what the file gained, up to POLL_BYTES more than held. 0 or -1.
 * buf has HMAP_NATIVE_UNPACK_SLACK bytes after cap, defined from here on
 * (zeroed after what was read), for hmap_native_unpack_fast's read-ahead. */
static int fill(struct follow_reader *f)
{
    if (f->cap - f->len < POLL_BYTES) {
        size_t cap = f->len + POLL_BYTES;
        uint8_t *b = realloc(f->buf, cap + HMAP_NATIVE_UNPACK_SLACK);
        if (!b) return fail(f, f->off + f->len, "out of memory");
        f->buf = b;
        f->cap = cap;
    }
    ssize_t n = pread(f->fd, f->buf + f->len, f->cap - f->len, (off_t)(f->off + f->len));
    if (n < 0) {
        snprintf(f->r.err, sizeof(f->r.err), "%s: read error: %s", f->r.path, strerror(errno));
        return -1;
    }
    f->len += (size_t)n;
    memset(f->buf + f->len, 0, HMAP_NATIVE_UNPACK_SLACK);
    return 0;
}

/* Drop n bytes from the front of buf. */
static void consume(struct follow_reader *f, size_t n)
{
    memmove(f->buf, f->buf + n, f->len - n);
    f->len -= n;
    f->off += n;
    f->r.bytes_done = f->off;
}

/* The file header, once it is all there: 1, 0 not yet, -1 bad. */
static int take_header(struct follow_reader *f)
{
    struct hmap_native_file_header fh;
    if (f->len < sizeof(fh)) return 0;
    memcpy(&fh, f->buf, sizeof(fh));
    if (memcmp(fh.magic, HMAP_NATIVE_MAGIC, sizeof(fh.magic)) != 0)
        return fail(f, 0, "not a native trace (no HMTRACE magic)");
    if (bs_native_header_check(f->r.path, &fh, f->r.err, sizeof(f->r.err)) < 0) return -1;
    if (f->len < fh.header_size) return 0;
    f->chunked = fh.version >= 2 && (fh.flags & HMAP_NATIVE_FLAG_CHUNKED);
    f->packed = fh.version >= 3;
    f->writer_max_id = fh.max_event_id;
    f->pid = fh.pid;
    f->r.writer_pid = fh.pid;
    f->start_ns = fh.start_ns;
    f->have_header = 1;
    consume(f, fh.header_size);
    return 1;
}

/* Size of the record at p (its header complete), 0 if it cannot be one. */
static uint16_t rec_size(const struct follow_reader *f, const struct hmap_native_rec_header *h)
{
    uint16_t want = hmap_native_rec_size(h->id);
    if (want) return h->size == want ? want : 0;
    /* An id from a newer writer: a sane size is accepted, as native.c does. */
    return h->id <= f->writer_max_id && h->size >= HDR_SIZE && h->size % REC_ALIGN == 0 ? h->size
                                                                                        : 0;
}

static int append_record(struct follow_reader *f, const uint8_t *p, uint16_t size)
{
    if (f->batch_len + size > f->batch_cap) {
        size_t cap = f->batch_cap ? 2 * f->batch_cap : (1u << 16);
        while (cap < f->batch_len + size)
            cap *= 2;
        uint8_t *b = realloc(f->batch, cap);
        if (!b) return -1;
        f->batch = b;
        f->batch_cap = cap;
    }
    if (f->norder == f->order_cap) {
        uint32_t cap = f->order_cap ? 2 * f->order_cap : 1024;
        uint32_t *o = realloc(f->order, cap * sizeof(*o));
        if (!o) return -1;
        f->order = o;
        f->order_cap = cap;
    }
    memcpy(f->batch + f->batch_len, p, size);
    f->order[f->norder++] = (uint32_t)f->batch_len;
    f->batch_len += size;
    return 0;
}

/* One event or lost record at file offset off, into the batch. */
static int take_record(struct follow_reader *f, const uint8_t *p, uint16_t size, uint64_t off)
{
    const struct hmap_native_rec_header *h = (const void *)p;
    if (h->id == HMAP_NATIVE_LOST_ID) {
        struct hmap_native_lost l;
        memcpy(&l, h + 1, sizeof(l));
        bs_add_saturating(&f->lost, l.count);
    } else {
        f->events++;
    }
    return append_record(f, p, size) < 0 ? fail(f, off, "out of memory") : 0;
}

/* The end record: checked against what the file held, and the losses only
 * it counts made a lost record (as native.c's frame_finish). */
static int take_end(struct follow_reader *f, const struct hmap_native_rec_header *h, uint64_t off)
{
    memcpy(&f->end, h + 1, sizeof(f->end));
    f->end_ts = h->ts_ns;
    f->ended = 1;
    if (f->end.events != f->events || (f->chunked && f->end.chunks != f->next_seq)) {
        char what[200];
        snprintf(what, sizeof(what),
                 "corrupt file (the end record counts %" PRIu64 " events in %" PRIu64
                 " chunks, the file holds %" PRIu64 " in %" PRIu64 ")",
                 f->end.events, f->end.chunks, f->events, f->next_seq);
        return fail(f, off, what);
    }
    if (f->end.lost > f->lost) {
        struct bs_record *lr = &f->tail_lost;
        lr->h = (struct hmap_native_rec_header){.ts_ns = f->end_ts,
                                                .pid = f->pid,
                                                .id = HMAP_NATIVE_LOST_ID,
                                                .size = hmap_native_rec_size(0)};
        struct hmap_native_lost l = {f->end.lost - f->lost, f->start_ns, f->end_ts};
        memcpy(lr->payload, &l, sizeof(l));
        f->tail_lost_due = 1;
    }
    return 0;
}

/* Version 3: the packed events of the complete chunk h (payload c) at
 * buf[in..stop), decoded to fixed records (hmap_native_pack.h) and checked
 * against the chunk record as native.c checks them: their number and the
 * last one's time.  0 or -1. */
static int take_packed(struct follow_reader *f, const struct hmap_native_rec_header *h,
                       const struct hmap_native_chunk *c, size_t in, size_t stop)
{
    struct hmap_native_pack_state ps;
    struct bs_record rec;
    uint32_t n = 0;
    hmap_native_pack_begin(&ps, c->first_ns, h->pid, h->tid);
    while (in < stop) {
        const char *what = "packed event crosses its chunk's end";
        /* the fast path first; what it refuses is decoded (or reported)
         * exactly; the count and last time are checked at the chunk's end */
        long len =
            hmap_native_unpack_fast(&ps, f->buf + in, stop - in, UINT64_MAX, &rec.h, rec.payload);
        if (len <= 0)
            len = hmap_native_unpack(&ps, f->buf + in, stop - in, &rec.h, rec.payload, &what);
        if (len <= 0) {
            char msg[120];
            snprintf(msg, sizeof(msg), "corrupt packed event (%s%s)", what,
                     len == HMAP_NATIVE_UNPACK_UNKNOWN ? ", written by a newer bucketscope?" : "");
            return fail(f, f->off + in, msg);
        }
        n++;
        if (take_record(f, (const uint8_t *)&rec, rec.h.size, f->off + in) < 0) return -1;
        in += (size_t)len;
    }
    if (n != c->records || (n && rec.h.ts_ns != c->last_ns))
        return fail(f, f->off + stop - c->bytes,
                    "corrupt chunk (its events disagree with its record: count or last_ns)");
    return 0;
}

/* Take every complete unit of buf into the batch.  0 or -1. */
static int take_units(struct follow_reader *f)
{
    size_t at = 0;
    int rc = 0;
    while (!f->ended && f->len - at >= HDR_SIZE && f->batch_len < POLL_BYTES) {
        const uint8_t *p = f->buf + at;
        uint64_t off = f->off + at;
        struct hmap_native_rec_header h;
        memcpy(&h, p, sizeof(h));
        uint16_t size = rec_size(f, &h);
        if (!size) {
            char what[80];
            snprintf(what, sizeof(what), "corrupt record (event id %u, size %u)", h.id, h.size);
            rc = fail(f, off, what);
            break;
        }
        if (f->len - at < size) break; /* the rest of it is not written yet */
        if (h.id == HMAP_NATIVE_END_ID) {
            /* an aligned copy: after packed chunks (version 3) a record
             * may lie at any offset */
            struct bs_record e;
            memcpy(&e, p, size < sizeof(e) ? size : sizeof(e));
            rc = take_end(f, &e.h, off);
            at += size;
            break;
        }
        if (f->chunked) {
            if (h.id != HMAP_NATIVE_CHUNK_ID) {
                rc = fail(f, off, "corrupt file (record outside any chunk)");
                break;
            }
            struct hmap_native_chunk c;
            memcpy(&c, p + HDR_SIZE, sizeof(c));
            if (c.seq != f->next_seq) {
                char what[96];
                snprintf(what, sizeof(what), "chunks %" PRIu64 "..%" PRIu64 " missing", f->next_seq,
                         c.seq - 1);
                rc = fail(f, off, what);
                break;
            }
            if (f->len - at - size < c.bytes) break; /* chunk not complete yet */
            size_t in = at + size, stop = in + c.bytes;
            if (f->packed) {
                rc = take_packed(f, &h, &c, in, stop); /* h: the aligned copy */
                if (rc) break;
                f->next_seq++;
                at = stop;
                continue;
            }
            while (rc == 0 && in < stop) {
                struct hmap_native_rec_header r;
                if (stop - in < HDR_SIZE) {
                    rc = fail(f, f->off + in, "corrupt file (record crosses the end of its chunk)");
                    break;
                }
                memcpy(&r, f->buf + in, sizeof(r));
                uint16_t rs = rec_size(f, &r);
                if (!rs || HMAP_NATIVE_IS_FORMAT_ID(r.id) || rs > stop - in) {
                    rc = fail(f, f->off + in, "corrupt record inside a chunk");
                    break;
                }
                rc = take_record(f, f->buf + in, rs, f->off + in);
                in += rs;
            }
            if (rc) break;
            f->next_seq++;
            at = stop;
        } else {
            if (h.id == HMAP_NATIVE_CHUNK_ID) {
                rc = fail(f, off, "corrupt file (chunk record in a file without chunks)");
                break;
            }
            if ((rc = take_record(f, p, size, off)) != 0) break;
            at += size;
        }
    }
    consume(f, at);
    return rc;
}

static const struct follow_reader *sort_ctx;
static int by_time(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    uint64_t tx, ty;
    memcpy(&tx, sort_ctx->batch + x, sizeof(tx));
    memcpy(&ty, sort_ctx->batch + y, sizeof(ty));
    if (tx != ty) return tx < ty ? -1 : 1;
    return x < y ? -1 : x > y; /* offsets grow in file order: a stable sort */
}

/* The poll's records already in time order (one thread, the BPF
 * recorder): the common case, which needs no sort. */
static int in_order(const struct follow_reader *f)
{
    uint64_t prev = 0, t;
    for (uint32_t i = 0; i < f->norder; i++, prev = t) {
        memcpy(&t, f->batch + f->order[i], sizeof(t));
        if (t < prev) return 0;
    }
    return 1;
}

static int follow_next(struct bs_reader *r, const struct hmap_native_rec_header **rec)
{
    struct follow_reader *f = (struct follow_reader *)r;
    if (f->next < f->norder) {
        *rec = (const void *)(f->batch + f->order[f->next++]);
        return 1;
    }
    if (f->done) return 0;
    f->norder = f->next = 0;
    f->batch_len = 0;
    while (!f->ended) {
        int last = f->last; /* read after the writer was seen gone: nothing comes after */
        size_t had = f->len;
        if (fill(f) < 0) return -1;
        int gained = f->len > had;
        if (!f->have_header) {
            int st = take_header(f);
            if (st < 0) return -1;
            if (st == 0 && !last) return BS_READER_AGAIN;
        }
        if (f->have_header && take_units(f) < 0) return -1;
        if (f->norder) {
            sort_ctx = f;
            if (!in_order(f)) qsort(f->order, f->norder, sizeof(*f->order), by_time);
            f->r.events_done += f->norder;
            *rec = (const void *)(f->batch + f->order[f->next++]);
            return 1;
        }
        if (!last) {
            if (f->ended) break;
            return BS_READER_AGAIN;
        }
        if (!gained) break; /* the writer is gone and the file says no more */
    }
    if (f->ended) {
        char extra;
        if (pread(f->fd, &extra, 1, (off_t)f->off) == 1)
            return fail(f, f->off, "corrupt file (record after the end record)");
        f->done = 1;
        if (f->tail_lost_due) {
            f->tail_lost_due = 0;
            *rec = &f->tail_lost.h;
            return 1;
        }
        return 0;
    }
    /* Stopped before the end record: the report says up to where. */
    f->done = 1;
    f->r.truncated = 1;
    snprintf(f->r.truncated_at, sizeof(f->r.truncated_at),
             "%s: no end record (%.100s) at offset %" PRIu64 "%s", f->r.path,
             f->r.err[0] ? f->r.err : "following stopped", f->off,
             f->len ? ", a unit not yet complete left out" : "");
    f->r.err[0] = 0;
    return 0;
}

static void follow_stop(struct bs_reader *r, const char *why)
{
    struct follow_reader *f = (struct follow_reader *)r;
    if (f->last) return;
    f->last = 1;
    /* r.err is free until an error: it carries the reason to next(). */
    snprintf(f->r.err, sizeof(f->r.err), "%s", why);
}

static void follow_close(struct bs_reader *r)
{
    struct follow_reader *f = (struct follow_reader *)r;
    close(f->fd);
    free(f->buf);
    free(f->batch);
    free(f->order);
    free(f);
}

struct bs_reader *bs_follow_open(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct follow_reader *f = calloc(1, sizeof(*f));
    if (!f) {
        close(fd);
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    f->fd = fd;
    f->r.path = path;
    f->r.kind = BS_INPUT_NATIVE;
    f->r.next = follow_next;
    f->r.close = follow_close;
    f->r.stop = follow_stop;
    return &f->r;
}
