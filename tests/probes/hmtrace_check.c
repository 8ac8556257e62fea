/* SPDX-License-Identifier: MIT */
/*
 * hmtrace_check.c — invariants of a recorded event stream (native file):
 *
 *   1. every bucket_free frees a live allocation of the same address, size
 *      and kind: a bucket_array_alloc, or an overflow_alloc whose source is
 *      the allocator (a preallocated overflow bucket is not an allocation);
 *      no allocation starts at an address that is still live;
 *   2. every tophash_write refers to a bucket lying inside a live allocation
 *      of its map;
 *   3. per map, (tophash inserts) - (deletes) - (live slots cleared) equals
 *      the entry count that map_destroy reports, and equals the length the
 *      workload printed for that map (--expect NAME=LEN, from its
 *      "final NAME LEN" lines);
 *   4. when a map is destroyed, all its allocations are freed by the end.
 * A trace with lost records cannot be checked and fails.  Records are put in
 * timestamp order first (the recorder writes per-thread chunks).
 *
 * usage: hmtrace_check TRACE [--expect NAME=LEN]...
 * Exit 0 and a summary line, or 1 with the first violation.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hmtrace_read.h"

#define MIN_TOP_HASH 5 /* tophash values below are empty/evacuated marks */

struct alloc {
    uint32_t pid;
    uint64_t map, addr, bytes;
    uint8_t kind; /* hmap_mem_kind */
    int map_destroyed;
};

struct map {
    uint32_t pid;
    uint64_t addr;
    char name[24];
    int64_t live; /* inserts - deletes - cleared live slots */
    int destroyed;
};

static struct alloc *allocs;
static size_t nallocs, cap_allocs;
static struct map *maps;
static size_t nmaps, cap_maps;
static const char *trace_path;

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return p;
    *cap = *cap ? *cap * 2 : 64;
    p = realloc(p, *cap * elem);
    if (!p) {
        perror("hmtrace_check");
        exit(1);
    }
    return p;
}

static void violation(size_t i, const struct hmtrace_rec *r, const char *fmt, const char *detail)
{
    fprintf(stderr, "%s: record %zu (ts %" PRIu64 ", %s): ", trace_path, i, r->h.ts_ns,
            hmtrace_event_name(r->h.id));
    fprintf(stderr, fmt, detail);
    fputc('\n', stderr);
    exit(1);
}

/* The live map with this address, created last. */
static struct map *find_map(uint32_t pid, uint64_t addr)
{
    for (size_t i = nmaps; i-- > 0;)
        if (maps[i].pid == pid && maps[i].addr == addr && !maps[i].destroyed) return &maps[i];
    return NULL;
}

static struct alloc *find_alloc_at(uint32_t pid, uint64_t addr)
{
    for (size_t i = 0; i < nallocs; i++)
        if (allocs[i].pid == pid && allocs[i].addr == addr) return &allocs[i];
    return NULL;
}

static struct alloc *find_alloc_containing(uint32_t pid, uint64_t addr)
{
    for (size_t i = 0; i < nallocs; i++)
        if (allocs[i].pid == pid && addr >= allocs[i].addr &&
            addr < allocs[i].addr + allocs[i].bytes)
            return &allocs[i];
    return NULL;
}

static void add_alloc(size_t i, const struct hmtrace_rec *r, uint64_t map, uint64_t addr,
                      uint64_t bytes, uint8_t kind)
{
    if (find_alloc_at(r->h.pid, addr))
        violation(i, r, "allocation at an address that is still live%s", "");
    allocs = grow(allocs, &cap_allocs, nallocs + 1, sizeof *allocs);
    allocs[nallocs++] =
        (struct alloc){.pid = r->h.pid, .map = map, .addr = addr, .bytes = bytes, .kind = kind};
}

/* A record and its position in the file, to sort stably by time. */
struct item {
    size_t seq;
    struct hmtrace_rec r;
};

static int by_time(const void *a, const void *b)
{
    const struct item *x = a, *y = b;
    if (x->r.h.ts_ns != y->r.h.ts_ns) return x->r.h.ts_ns < y->r.h.ts_ns ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s TRACE [--expect NAME=LEN]...\n", argv[0]);
        return 2;
    }
    trace_path = argv[1];
    for (int a = 2; a < argc; a++)
        if (strcmp(argv[a], "--expect") != 0 || a + 1 >= argc || !strchr(argv[a + 1], '=')) {
            fprintf(stderr, "usage: %s TRACE [--expect NAME=LEN]...\n", argv[0]);
            return 2;
        } else
            a++;

    struct hmtrace t;
    if (hmtrace_open(&t, trace_path) < 0) return 1;
    struct item *recs = NULL;
    size_t nrecs = 0, cap_recs = 0;
    int st;
    for (;;) {
        recs = grow(recs, &cap_recs, nrecs + 1, sizeof *recs);
        recs[nrecs].seq = nrecs;
        if ((st = hmtrace_next(&t, &recs[nrecs].r)) != 1) break;
        if (recs[nrecs].r.h.id == HMAP_NATIVE_LOST_ID) {
            fprintf(stderr,
                    "%s: offset %" PRIu64
                    ": the trace has lost events; invariants cannot be checked\n",
                    trace_path, t.off - recs[nrecs].r.h.size);
            return 1;
        }
        nrecs++;
    }
    hmtrace_close(&t);
    if (st < 0) return 1;
    /* Stable order by time: the recorder writes per-thread chunks. */
    qsort(recs, nrecs, sizeof *recs, by_time);

    size_t checked_frees = 0, checked_writes = 0;
    for (size_t i = 0; i < nrecs; i++) {
        const struct hmtrace_rec *r = &recs[i].r;
        const void *pl = r->payload;
        switch (r->h.id) {
        case HMAP_EV_map_create: {
            const struct hmap_native_map_create *e = pl;
            maps = grow(maps, &cap_maps, nmaps + 1, sizeof *maps);
            maps[nmaps] = (struct map){.pid = r->h.pid, .addr = e->map};
            memcpy(maps[nmaps].name, e->type_name, sizeof e->type_name);
            maps[nmaps].name[sizeof maps[nmaps].name - 1] = 0;
            nmaps++;
            break;
        }
        case HMAP_EV_bucket_array_alloc: {
            const struct hmap_native_bucket_array_alloc *e = pl;
            add_alloc(i, r, e->map, e->addr, e->bytes, HMAP_MEM_ARRAY);
            break;
        }
        case HMAP_EV_overflow_alloc: {
            const struct hmap_native_overflow_alloc *e = pl;
            if (e->source == HMAP_OVF_ALLOCATOR)
                add_alloc(i, r, e->map, e->addr, e->bytes, HMAP_MEM_OVERFLOW);
            else if (!find_alloc_containing(r->h.pid, e->addr))
                violation(i, r, "preallocated overflow bucket outside any live array%s", "");
            break;
        }
        case HMAP_EV_bucket_free: {
            const struct hmap_native_bucket_free *e = pl;
            struct alloc *al = find_alloc_at(r->h.pid, e->addr);
            if (!al) violation(i, r, "frees an address with no live allocation%s", "");
            if (al->bytes != e->bytes)
                violation(i, r, "frees a different size than was allocated%s", "");
            if (al->kind != e->kind)
                violation(i, r, "frees a block of another kind than was allocated%s", "");
            *al = allocs[--nallocs];
            checked_frees++;
            break;
        }
        case HMAP_EV_tophash_write: {
            const struct hmap_native_tophash_write *e = pl;
            struct alloc *al = find_alloc_containing(r->h.pid, e->bucket);
            if (!al || al->map != e->map)
                violation(i, r, "bucket is not inside a live allocation of its map%s", "");
            struct map *m = find_map(r->h.pid, e->map);
            if (!m) violation(i, r, "write to a map that was never created%s", "");
            if (e->cause == HMAP_TH_INSERT)
                m->live++;
            else if (e->cause == HMAP_TH_DELETE)
                m->live--;
            else if (e->cause == HMAP_TH_CLEAR && e->old_th >= MIN_TOP_HASH)
                m->live--;
            checked_writes++;
            break;
        }
        case HMAP_EV_map_destroy: {
            const struct hmap_native_map_destroy *e = pl;
            struct map *m = find_map(r->h.pid, e->map);
            if (!m) violation(i, r, "destroys a map that was never created%s", "");
            if ((int64_t)e->count != m->live) {
                char d[96];
                snprintf(d, sizeof d, "count=%" PRIu64 " but inserts-deletes-cleared=%" PRId64,
                         e->count, m->live);
                violation(i, r, "%s", d);
            }
            for (int a = 2; a + 1 < argc; a += 2) {
                const char *kv = argv[a + 1], *eq = strchr(kv, '=');
                if ((size_t)(eq - kv) == strlen(m->name) && !strncmp(kv, m->name, eq - kv) &&
                    strtoll(eq + 1, NULL, 10) != m->live)
                    violation(i, r, "map %s: length differs from the workload's --expect", m->name);
            }
            m->destroyed = 1;
            for (size_t k = 0; k < nallocs; k++)
                if (allocs[k].pid == r->h.pid && allocs[k].map == e->map)
                    allocs[k].map_destroyed = 1;
            break;
        }
        default:
            break;
        }
    }
    for (size_t k = 0; k < nallocs; k++)
        if (allocs[k].map_destroyed) {
            fprintf(stderr,
                    "%s: allocation 0x%" PRIx64 " (%" PRIu64
                    " bytes) of a destroyed map is never freed\n",
                    trace_path, allocs[k].addr, allocs[k].bytes);
            return 1;
        }
    /* Every --expect must have matched a destroyed map. */
    for (int a = 2; a + 1 < argc; a += 2) {
        const char *kv = argv[a + 1], *eq = strchr(kv, '=');
        int found = 0;
        for (size_t k = 0; k < nmaps; k++)
            found |= maps[k].destroyed && (size_t)(eq - kv) == strlen(maps[k].name) &&
                     !strncmp(kv, maps[k].name, eq - kv);
        if (!found) {
            fprintf(stderr, "%s: no destroyed map named %.*s in the trace\n", trace_path,
                    (int)(eq - kv), kv);
            return 1;
        }
    }
    printf("ok: %zu events, %zu maps, %zu frees and %zu tophash writes checked\n", nrecs, nmaps,
           checked_frees, checked_writes);
    free(recs);
    free(allocs);
    free(maps);
    return 0;
}
