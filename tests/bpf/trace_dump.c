/*
 * trace_dump.c — validate a native trace file (tracepoints/hmap_native.h)
 * and print it as one text line per record, for the recorder's tests.
 *
 *   bpf_trace_dump [--norm] [--ts] [--summary] FILE
 *
 * Line format:  <event> <field>=<value> ...   fields in schema order; ptr
 * fields as 0x-hex, other integers in decimal, strings raw.  A lost record
 * prints as "lost count=N".  --ts prefixes "ts pid tid".  --norm rewrites every
 * non-zero address to "@k", k = order of first appearance, so that two runs of
 * a deterministic program compare equal although their heap addresses differ.
 * --summary prints only "records=R events=E lost=L lost_records=K".
 *
 * Any structural error (bad magic or version, unknown id, a size that does not
 * match the schema, a truncated record, a lost record with first > last) is
 * reported as "FILE: offset N: what" with exit status 1.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hmap_native.h"

static bool opt_norm, opt_ts, opt_summary;

/* Addresses seen so far, in order of first appearance (linear: test files are small). */
static uint64_t *seen;
static size_t nseen, capseen;

static void print_ptr(const char *name, uint64_t v)
{
    if (!opt_norm || v == 0) {
        printf(" %s=0x%" PRIx64, name, v);
        return;
    }
    for (size_t i = 0; i < nseen; i++)
        if (seen[i] == v) {
            printf(" %s=@%zu", name, i + 1);
            return;
        }
    if (nseen == capseen) {
        capseen = capseen ? 2 * capseen : 1024;
        seen = realloc(seen, capseen * sizeof(*seen));
        if (!seen) {
            perror("bpf_trace_dump");
            exit(1);
        }
    }
    seen[nseen++] = v;
    printf(" %s=@%zu", name, nseen);
}

/* print_<event>(payload): generated from the schema. */
#define PRINT_FIELD_ptr(p, n) print_ptr(#n, (p)->n)
#define PRINT_FIELD_u8(p, n) printf(" %s=%u", #n, (unsigned)(p)->n)
#define PRINT_FIELD_u16(p, n) printf(" %s=%u", #n, (unsigned)(p)->n)
#define PRINT_FIELD_u32(p, n) printf(" %s=%" PRIu32, #n, (uint32_t)(p)->n)
#define PRINT_FIELD_u64(p, n) printf(" %s=%" PRIu64, #n, (uint64_t)(p)->n)
#define PR_F_(t, n, d) PRINT_FIELD_##t(&ev, n);
#define PR_E_(t, n, e, d) PRINT_FIELD_##t(&ev, n);
#define PR_S_(n, l, d) printf(" %s=%.*s", #n, (int)strnlen(ev.n, l), ev.n);
#define PR_EV_(id_, name, desc, fields)                                                            \
    static void print_##name(const void *payload)                                                  \
    {                                                                                              \
        struct hmap_native_##name ev;                                                              \
        memcpy(&ev, payload, sizeof(ev));                                                          \
        printf("%s", #name);                                                                       \
        fields printf("\n");                                                                       \
    }
HMAP_EVENTS(PR_EV_, PR_F_, PR_E_, PR_S_)

static void print_event(uint16_t id, const void *payload)
{
    switch (id) {
#define CASE_EV_(id_, name, desc, fields)                                                          \
    case id_:                                                                                      \
        print_##name(payload);                                                                     \
        break;
        HMAP_EVENTS(CASE_EV_, HMAP_IGNORE_F_, HMAP_IGNORE_E_, HMAP_IGNORE_S_)
    }
}

static int fail(const char *path, long off, const char *what)
{
    fflush(stdout);
    fprintf(stderr, "%s: offset %ld: %s\n", path, off, what);
    return 1;
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--norm"))
            opt_norm = true;
        else if (!strcmp(argv[i], "--ts"))
            opt_ts = true;
        else if (!strcmp(argv[i], "--summary"))
            opt_summary = true;
        else if (argv[i][0] == '-' || path) {
            fprintf(stderr, "usage: bpf_trace_dump [--norm] [--ts] [--summary] FILE\n");
            return 2;
        } else
            path = argv[i];
    }
    if (!path) {
        fprintf(stderr, "usage: bpf_trace_dump [--norm] [--ts] [--summary] FILE\n");
        return 2;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return 1;
    }

    struct hmap_native_file_header fh;
    if (fread(&fh, sizeof(fh), 1, f) != 1)
        return fail(path, 0, "file shorter than the 64-byte header");
    if (memcmp(fh.magic, HMAP_NATIVE_MAGIC, 8) != 0)
        return fail(path, 0, "bad magic (not a native hmap trace)");
    if (fh.version != HMAP_NATIVE_VERSION) return fail(path, 8, "unsupported version");
    if (fh.header_size < sizeof(fh) || fseek(f, fh.header_size, SEEK_SET) != 0)
        return fail(path, 10, "bad header size");
    if (fh.clock != HMAP_NATIVE_CLOCK_MONOTONIC) return fail(path, 12, "unknown clock");

    uint64_t records = 0, events = 0, lost = 0, lost_records = 0;
    unsigned char buf[1 << 16];
    for (;;) {
        long off = ftell(f);
        struct hmap_native_rec_header h;
        size_t n = fread(&h, 1, sizeof(h), f);
        if (n == 0) break;
        if (n != sizeof(h)) return fail(path, off, "truncated record header");
        uint16_t want = hmap_native_rec_size(h.id);
        if (want == 0) return fail(path, off, "unknown event id");
        if (h.size != want)
            return fail(path, off, "record size does not match the schema for its id");
        if (h.reserved != 0) return fail(path, off, "reserved field is not zero");
        if (fread(buf, 1, h.size - sizeof(h), f) != h.size - sizeof(h))
            return fail(path, off, "truncated record payload");
        records++;
        if (h.id == HMAP_NATIVE_LOST_ID) {
            struct hmap_native_lost l;
            memcpy(&l, buf, sizeof(l));
            if (l.first_ns > l.last_ns)
                return fail(path, off, "lost record with first_ns > last_ns");
            if (l.count == 0) return fail(path, off, "lost record with count 0");
            lost += l.count;
            lost_records++;
            if (!opt_summary) {
                if (opt_ts) printf("%" PRIu64 " %u %u ", h.ts_ns, h.pid, h.tid);
                printf("lost count=%" PRIu64 "\n", l.count);
            }
            continue;
        }
        events++;
        if (!opt_summary) {
            if (opt_ts) printf("%" PRIu64 " %u %u ", h.ts_ns, h.pid, h.tid);
            print_event(h.id, buf);
        }
    }
    if (opt_summary)
        printf("records=%" PRIu64 " events=%" PRIu64 " lost=%" PRIu64 " lost_records=%" PRIu64 "\n",
               records, events, lost, lost_records);
    fclose(f);
    free(seen);
    return 0;
}
