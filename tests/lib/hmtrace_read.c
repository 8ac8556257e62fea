/* SPDX-License-Identifier: MIT */
/*
 * hmtrace_read.c — see hmtrace_read.h.  Checks, in order: magic, version,
 * header size, clock; then for every record that its id is known, that the
 * size matches the id's fixed size (hmap_native_rec_size), that the
 * reserved word is zero, that the file does not end inside it, and for a
 * lost record that it counts something over a span that does not run
 * backwards (docs/native-format.md).  Version 2: chunks numbered from 0
 * without gaps, every record inside its chunk in a chunked file, and an end
 * record last whose totals are the file's.  Version 3: every record but the
 * end record in a chunk, whose packed events (hmap_native_pack.h) decode
 * exactly to its `bytes`, number `records`, and lie in first_ns..last_ns
 * with the last at last_ns.
 */
#include <stdlib.h>
#include <errno.h>
#include <string.h>

#include "hmtrace_read.h"

const char *hmtrace_event_name(uint16_t id)
{
    switch (id) {
    case HMAP_NATIVE_LOST_ID:
        return "lost";
    case HMAP_NATIVE_CHUNK_ID:
        return "chunk";
    case HMAP_NATIVE_END_ID:
        return "end";
#define NAME_(id_, name, desc, fields)                                                             \
    case id_:                                                                                      \
        return #name;
        HMAP_EVENTS(NAME_, HMAP_IGNORE_F_, HMAP_IGNORE_E_, HMAP_IGNORE_S_)
#undef NAME_
    default:
        return NULL;
    }
}

/* Whatever a tool printed before the error comes out before the message. */
static int malformed(const char *path, uint64_t off, const char *what)
{
    fflush(stdout);
    fprintf(stderr, "%s: offset %llu: %s\n", path, (unsigned long long)off, what);
    return -1;
}

int hmtrace_open(struct hmtrace *t, const char *path)
{
    memset(t, 0, sizeof *t);
    t->path = path;
    t->f = fopen(path, "rb");
    if (!t->f) {
        fflush(stdout);
        fprintf(stderr, "%s: cannot open: %s\n", path, strerror(errno));
        return -1;
    }
    size_t n = fread(&t->fh, 1, sizeof t->fh, t->f);
    const char *bad = NULL;
    if (n != sizeof t->fh)
        bad = "file shorter than the 64-byte header";
    else if (memcmp(t->fh.magic, HMAP_NATIVE_MAGIC, 8) != 0)
        bad = "bad magic (not an hmtrace file)";
    else if (t->fh.version < HMAP_NATIVE_VERSION_MIN || t->fh.version > HMAP_NATIVE_VERSION)
        bad = "unsupported version";
    else if (t->fh.header_size < sizeof t->fh)
        bad = "header_size smaller than 64";
    else if (t->fh.clock != HMAP_NATIVE_CLOCK_MONOTONIC)
        bad = "unknown clock";
    if (bad) {
        malformed(path, 0, bad);
        hmtrace_close(t);
        return -1;
    }
    /* A newer writer may have a longer header: skip what we do not know. */
    if (fseek(t->f, t->fh.header_size, SEEK_SET) != 0) {
        malformed(path, 0, "cannot skip the header");
        hmtrace_close(t);
        return -1;
    }
    t->off = t->fh.header_size;
    return 0;
}

/* End of file at t->off: whole, or cut short? */
static int at_end(struct hmtrace *t)
{
    char what[160];
    if (t->fh.version < 2) return 0;
    if (t->off < t->chunk_end) {
        snprintf(what, sizeof what, "file ends inside chunk %llu (last event ts %llu)",
                 (unsigned long long)t->chunks - 1, (unsigned long long)t->last_ts);
        return malformed(t->path, t->off, what);
    }
    if (!t->ended && t->cut_ok) {
        t->cut = 1; /* a kept partial trace: every record whole, the tail missing */
        return 0;
    }
    if (!t->ended) {
        snprintf(what, sizeof what, "no end record: trace cut short (last event ts %llu)",
                 (unsigned long long)t->last_ts);
        return malformed(t->path, t->off, what);
    }
    if (t->end.events != t->events || t->end.lost != t->lost ||
        ((t->fh.flags & HMAP_NATIVE_FLAG_CHUNKED) && t->end.chunks != t->chunks)) {
        snprintf(what, sizeof what,
                 "end record counts %llu events, %llu lost, %llu chunks; the file has %llu, %llu, "
                 "%llu",
                 (unsigned long long)t->end.events, (unsigned long long)t->end.lost,
                 (unsigned long long)t->end.chunks, (unsigned long long)t->events,
                 (unsigned long long)t->lost, (unsigned long long)t->chunks);
        return malformed(t->path, t->off, what);
    }
    return 0;
}

static int packed_chunk_done(struct hmtrace *t, uint64_t off);

/* Version 3: read the chunk whose record r (at t->off) is c whole. */
static int open_packed_chunk(struct hmtrace *t, const struct hmtrace_rec *r,
                             const struct hmap_native_chunk *c)
{
    enum { CAP = 16 << 20 };
    if (c->bytes > CAP) return malformed(t->path, t->off, "chunk larger than 16 MiB");
    if (c->bytes > t->body_cap) {
        unsigned char *nb = realloc(t->body, c->bytes);
        if (!nb) return malformed(t->path, t->off, "out of memory for a chunk");
        t->body = nb;
        t->body_cap = c->bytes;
    }
    size_t got = fread(t->body, 1, c->bytes, t->f);
    if (got != c->bytes) {
        char what[120];
        snprintf(what, sizeof what, "file ends inside chunk %llu (%zu of its %u bytes)",
                 (unsigned long long)c->seq, got, c->bytes);
        return malformed(t->path, t->off + r->h.size + got, what);
    }
    t->chunk = *c;
    t->body_len = c->bytes;
    t->body_pos = 0;
    t->chunk_events = 0;
    hmap_native_pack_begin(&t->ps, c->first_ns, r->h.pid, r->h.tid);
    return c->bytes ? 0 : packed_chunk_done(t, t->off + r->h.size);
}

/* Version 3: the open chunk, all of it decoded, against its record (at
 * offset off). */
static int packed_chunk_done(struct hmtrace *t, uint64_t off)
{
    char what[160];
    if (t->chunk_events != t->chunk.records || (t->chunk_events && t->ps.ts != t->chunk.last_ns)) {
        snprintf(what, sizeof what,
                 "chunk %llu holds %u events ending at ts %llu; its record says %u ending at %llu",
                 (unsigned long long)t->chunk.seq, t->chunk_events, (unsigned long long)t->ps.ts,
                 t->chunk.records, (unsigned long long)t->chunk.last_ns);
        return malformed(t->path, off, what);
    }
    return 0;
}

/* Version 3: the next packed event of the open chunk into r, at t->off:
 * its length, or -1 after printing why. */
static int next_packed(struct hmtrace *t, struct hmtrace_rec *r)
{
    char what[160];
    const char *why = "";
    long n = hmap_native_unpack(&t->ps, t->body + t->body_pos, t->body_len - t->body_pos, &r->h,
                                r->payload, &why);
    if (n == HMAP_NATIVE_UNPACK_SHORT) why = "event crosses its chunk's end";
    if (n <= 0) {
        snprintf(what, sizeof what, "packed event: %s", why);
        return malformed(t->path, t->off, what);
    }
    if (r->h.ts_ns > t->chunk.last_ns)
        return malformed(t->path, t->off, "packed event later than its chunk's last_ns");
    t->body_pos += (uint32_t)n;
    t->chunk_events++;
    if (t->body_pos == t->body_len && packed_chunk_done(t, t->off + (uint64_t)n) < 0) return -1;
    return (int)n;
}

/* A record of version 2 read at t->off: 1 to return it, 0 for a chunk or
 * end record, -1 if it is out of place. */
/* A lost record must count something over a span that does not run back. */
static int lost_check(struct hmtrace *t, const struct hmtrace_rec *r)
{
    if (r->h.id != HMAP_NATIVE_LOST_ID) return 0;
    struct hmap_native_lost l;
    memcpy(&l, r->payload, sizeof l);
    if (l.count == 0) return malformed(t->path, t->off, "lost record with count 0");
    if (l.first_ns > l.last_ns)
        return malformed(t->path, t->off, "lost record with first_ns > last_ns");
    return 0;
}

static int framing(struct hmtrace *t, const struct hmtrace_rec *r, uint32_t size)
{
    int chunked = t->fh.flags & HMAP_NATIVE_FLAG_CHUNKED;
    if (t->ended) return malformed(t->path, t->off, "record after the end record");
    if (HMAP_NATIVE_IS_FORMAT_ID(r->h.id) && t->fh.version < 2)
        return malformed(t->path, t->off, "chunk or end record in a version 1 file");
    if (r->h.id == HMAP_NATIVE_CHUNK_ID) {
        struct hmap_native_chunk c;
        memcpy(&c, r->payload, sizeof c);
        if (!chunked) return malformed(t->path, t->off, "chunk record in an unchunked file");
        if (t->off < t->chunk_end) return malformed(t->path, t->off, "chunk inside a chunk");
        if (c.seq != t->chunks) {
            char what[80];
            snprintf(what, sizeof what, "chunk %llu follows chunk %llu", (unsigned long long)c.seq,
                     (unsigned long long)t->chunks - 1);
            return malformed(t->path, t->off, what);
        }
        if (c.first_ns > c.last_ns)
            return malformed(t->path, t->off, "chunk with first_ns > last_ns");
        t->chunks++;
        t->chunk_end = t->off + r->h.size + c.bytes;
        if (t->fh.version >= 3) return open_packed_chunk(t, r, &c);
        return 0;
    }
    if (r->h.id == HMAP_NATIVE_END_ID) {
        if (t->off < t->chunk_end) return malformed(t->path, t->off, "end record inside a chunk");
        memcpy(&t->end, r->payload, sizeof t->end);
        t->ended = 1;
        return 0;
    }
    if (chunked && t->off + size > t->chunk_end)
        return malformed(t->path, t->off,
                         t->off < t->chunk_end ? "record crosses its chunk's end"
                                               : "record outside any chunk");
    if (r->h.id == HMAP_NATIVE_LOST_ID) {
        struct hmap_native_lost l;
        memcpy(&l, r->payload, sizeof l);
        t->lost += l.count;
    } else {
        t->events++;
        if (r->h.ts_ns > t->last_ts) t->last_ts = r->h.ts_ns;
    }
    return 1;
}

int hmtrace_next(struct hmtrace *t, struct hmtrace_rec *r)
{
again:;
    if (t->fh.version >= 3 && t->off < t->chunk_end) {
        int n = next_packed(t, r);
        if (n < 0 || lost_check(t, r) < 0 || framing(t, r, (uint32_t)n) < 0) return -1;
        t->off += (uint32_t)n;
        return 1;
    }
    size_t n = fread(&r->h, 1, sizeof r->h, t->f);
    if (n == 0 && feof(t->f)) return at_end(t);
    if (n != sizeof r->h) return malformed(t->path, t->off, "file ends inside a record header");
    uint16_t want = hmap_native_rec_size(r->h.id);
    if (want == 0) {
        char what[48];
        snprintf(what, sizeof what, "unknown event id %u", r->h.id);
        return malformed(t->path, t->off, what);
    }
    if (r->h.size != want) {
        char what[80];
        snprintf(what, sizeof what, "record of id %u has size %u, expected %u", r->h.id, r->h.size,
                 want);
        return malformed(t->path, t->off, what);
    }
    if (r->h.reserved != 0) return malformed(t->path, t->off, "reserved field is not zero");
    size_t body = want - sizeof r->h;
    if (body > sizeof r->payload || fread(r->payload, 1, body, t->f) != body) {
        char what[80];
        snprintf(what, sizeof what, "file ends inside a %s record", hmtrace_event_name(r->h.id));
        return malformed(t->path, t->off, what);
    }
    if (lost_check(t, r) < 0) return -1;
    if (t->fh.version >= 3 && !HMAP_NATIVE_IS_FORMAT_ID(r->h.id))
        return malformed(t->path, t->off, "fixed-size event record in a version 3 file");
    int keep = framing(t, r, want);
    if (keep < 0) return -1;
    t->off += want; /* a version 3 chunk's body was read with its record: its events follow */
    if (!keep) goto again;
    return 1;
}

void hmtrace_close(struct hmtrace *t)
{
    if (t->f) fclose(t->f);
    t->f = NULL;
    free(t->body);
    t->body = NULL;
}
