/*
 * hmtrace_read.c — see hmtrace_read.h.  Checks, in order: magic, version,
 * header size, then for every record that the size matches the id's fixed
 * size (hmap_native_rec_size) and that the file does not end inside it.
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

int hmtrace_open(struct hmtrace *t, const char *path)
{
    memset(t, 0, sizeof *t);
    t->path = path;
    t->f = fopen(path, "rb");
    if (!t->f) {
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
    if (bad) {
        fprintf(stderr, "%s: offset 0: %s\n", path, bad);
        hmtrace_close(t);
        return -1;
    }
    /* A newer writer may have a longer header: skip what we do not know. */
    if (fseek(t->f, t->fh.header_size, SEEK_SET) != 0) {
        fprintf(stderr, "%s: offset 0: cannot skip the header\n", path);
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
    if (n != sizeof r->h) {
        fprintf(stderr, "%s: offset %llu: file ends inside a record header\n", t->path,
                (unsigned long long)t->off);
        return -1;
    }
    uint16_t want = hmap_native_rec_size(r->h.id);
    if (want == 0) {
        fprintf(stderr, "%s: offset %llu: unknown event id %u\n", t->path,
                (unsigned long long)t->off, r->h.id);
        return -1;
    }
    if (r->h.size != want) {
        fprintf(stderr, "%s: offset %llu: record of id %u has size %u, expected %u\n", t->path,
                (unsigned long long)t->off, r->h.id, r->h.size, want);
        return -1;
    }
    size_t body = want - sizeof r->h;
    if (body > sizeof r->payload || fread(r->payload, 1, body, t->f) != body) {
        fprintf(stderr, "%s: offset %llu: file ends inside a %s record\n", t->path,
                (unsigned long long)t->off, hmtrace_event_name(r->h.id));
        return -1;
    }
    t->off += want;
    return 1;
}

void hmtrace_close(struct hmtrace *t)
{
    if (t->f) fclose(t->f);
    t->f = NULL;
}
