/* SPDX-License-Identifier: MIT */
/*
 * hmtrace_dump.c — validate a native trace file (hmap_native.h, with the
 * strict reader hmtrace_read.h) and print it as text, one line per record,
 * so that recorders can be compared with diff.
 *
 *   hmtrace_dump [--fields [--ts]] [--norm] [--summary] FILE
 *
 * Default: the bpftrace line format (docs/bpftrace-format.md), what the
 * probe tests compare the three recorders in:
 *     HMEV <ts_ns> <pid> <tid> <event> <field>=<value> ...
 * and a lost record as   LOST <count> <first_ns> <last_ns>.
 * --fields: the BPF recorder tests' format,   <event> <field>=<value> ...
 * and a lost record as   lost count=<count>;  --ts prefixes
 * "<ts_ns> <pid> <tid> " (HMEV lines always carry them).
 * In both, fields come in schema order; ptr fields 0x-hex, other integers
 * decimal, the string field raw.
 * --norm rewrites every non-zero address to "@k", k = order of first
 * appearance, so that two runs of a deterministic program compare equal
 * although their heap addresses differ.
 * --summary prints only "records=R events=E lost=L lost_records=K".
 * --cut-ok accepts a version 2 or 3 file cut at a record (or chunk) boundary (a partial
 * trace kept after a write error) and says so on stderr.
 *
 * Exit status 1 (with "FILE: offset N: what") on a malformed file, 2 on a
 * usage error.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hmtrace_read.h"

static bool opt_fields, opt_ts, opt_norm, opt_summary, opt_cut_ok;

/* Addresses seen so far, in order of first appearance (linear: test files
 * are small). */
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
            perror("hmtrace_dump");
            exit(1);
        }
    }
    seen[nseen++] = v;
    printf(" %s=@%zu", name, nseen);
}

/* print_<event>(payload): " field=value" for each field, from the schema. */
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
        fields                                                                                     \
    }
HMAP_EVENTS(PR_EV_, PR_F_, PR_E_, PR_S_)

static void print_fields(uint16_t id, const void *payload)
{
    switch (id) {
#define CASE_EV_(id_, name, desc, fields)                                                          \
    case id_:                                                                                      \
        print_##name(payload);                                                                     \
        break;
        HMAP_EVENTS(CASE_EV_, HMAP_IGNORE_F_, HMAP_IGNORE_E_, HMAP_IGNORE_S_)
    }
}

static void print_record(const struct hmtrace_rec *r)
{
    const struct hmap_native_rec_header *h = &r->h;
    if (!opt_fields) {
        if (h->id == HMAP_NATIVE_LOST_ID) {
            const struct hmap_native_lost *l = (const void *)r->payload;
            printf("LOST %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", l->count, l->first_ns, l->last_ns);
            return;
        }
        printf("HMEV %" PRIu64 " %u %u %s", h->ts_ns, h->pid, h->tid, hmtrace_event_name(h->id));
    } else {
        if (opt_ts) printf("%" PRIu64 " %u %u ", h->ts_ns, h->pid, h->tid);
        if (h->id == HMAP_NATIVE_LOST_ID) {
            const struct hmap_native_lost *l = (const void *)r->payload;
            printf("lost count=%" PRIu64 "\n", l->count);
            return;
        }
        printf("%s", hmtrace_event_name(h->id));
    }
    print_fields(h->id, r->payload);
    putchar('\n');
}

static int usage(void)
{
    fprintf(stderr, "usage: hmtrace_dump [--fields [--ts]] [--norm] [--summary] [--cut-ok] FILE\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--fields"))
            opt_fields = true;
        else if (!strcmp(argv[i], "--ts"))
            opt_ts = true;
        else if (!strcmp(argv[i], "--norm"))
            opt_norm = true;
        else if (!strcmp(argv[i], "--summary"))
            opt_summary = true;
        else if (!strcmp(argv[i], "--cut-ok"))
            opt_cut_ok = true;
        else if (argv[i][0] == '-' || path)
            return usage();
        else
            path = argv[i];
    }
    if (!path || (opt_ts && !opt_fields)) return usage();

    struct hmtrace t;
    if (hmtrace_open(&t, path) < 0) return 1;
    t.cut_ok = opt_cut_ok;
    uint64_t records = 0, events = 0, lost = 0, lost_records = 0;
    struct hmtrace_rec r;
    int st;
    while ((st = hmtrace_next(&t, &r)) == 1) {
        records++;
        if (r.h.id == HMAP_NATIVE_LOST_ID) {
            lost += ((const struct hmap_native_lost *)r.payload)->count;
            lost_records++;
        } else {
            events++;
        }
        if (!opt_summary) print_record(&r);
    }
    hmtrace_close(&t);
    free(seen);
    if (st < 0) return 1;
    if (t.cut)
        fprintf(stderr, "hmtrace_dump: %s: no end record: cut short at a record boundary\n", path);
    if (opt_summary)
        printf("records=%" PRIu64 " events=%" PRIu64 " lost=%" PRIu64 " lost_records=%" PRIu64 "\n",
               records, events, lost, lost_records);
    return 0;
}
