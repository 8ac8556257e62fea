/* SPDX-License-Identifier: MIT */
/*
 * hmtrace_read.c — see hmtrace_read.h.  Checks, in order: magic, version,
 * header size, clock; then for every record that its id is known, that the
 * size matches the id's fixed size (hmap_native_rec_size), that the
 * reserved word is zero, that the file does not end inside it, and for a
 * lost record that it counts something over a span that does not run
 * backwards (docs/native-format.md).
 */
#include <errno.h>
#include <string.h>

#include "hmtrace_read.h"

const char *hmtrace_event_name(uint16_t id)
{
    switch (id) {
    case HMAP_NATIVE_LOST_ID:
        return "lost";
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
    else if (t->fh.version != HMAP_NATIVE_VERSION)
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

int hmtrace_next(struct hmtrace *t, struct hmtrace_rec *r)
{
    size_t n = fread(&r->h, 1, sizeof r->h, t->f);
    if (n == 0 && feof(t->f)) return 0;
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
    if (r->h.id == HMAP_NATIVE_LOST_ID) {
        struct hmap_native_lost l;
        memcpy(&l, r->payload, sizeof l);
        if (l.count == 0) return malformed(t->path, t->off, "lost record with count 0");
        if (l.first_ns > l.last_ns)
            return malformed(t->path, t->off, "lost record with first_ns > last_ns");
    }
    t->off += want;
    return 1;
}

void hmtrace_close(struct hmtrace *t)
{
    if (t->f) fclose(t->f);
    t->f = NULL;
}
