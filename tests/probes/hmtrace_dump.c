/*
 * hmtrace_dump.c — print a native trace file as event lines in the bpftrace
 * line format (docs/bpftrace-format.md), so that the three recorders can be
 * compared with diff:
 *     HMEV <ts_ns> <pid> <tid> <event> <field>=<value> ...
 * Fields in schema order; ptr fields 0x-hex, integers decimal, the string
 * field raw.  A lost record prints as   LOST <count> <first_ns> <last_ns>.
 * Exit status 1 (with "FILE: offset N: ...") on a malformed file.
 */
#include <inttypes.h>
#include <stdio.h>

#include "hmtrace_read.h"

#define PRINT_ptr(n) printf(" %s=0x%" PRIx64, #n, (uint64_t)p->n);
#define PRINT_int(n) printf(" %s=%" PRIu64, #n, (uint64_t)p->n);
#define PRINT_F_(t, n, d) HMAP_CAT(PRINT_, HMAP_DUMP_KIND_##t)(n)
#define PRINT_E_(t, n, e, d) PRINT_int(n)
#define PRINT_S_(n, l, d) printf(" %s=%.*s", #n, (int)sizeof p->n, p->n);
#define HMAP_DUMP_KIND_ptr ptr
#define HMAP_DUMP_KIND_u8 int
#define HMAP_DUMP_KIND_u16 int
#define HMAP_DUMP_KIND_u32 int
#define HMAP_DUMP_KIND_u64 int
#define HMAP_CAT_(a, b) a##b
#define HMAP_CAT(a, b) HMAP_CAT_(a, b)

static void print_payload(const struct hmtrace_rec *r)
{
    switch (r->h.id) {
#define CASE_(id_, name, desc, fields)                                                             \
    case id_: {                                                                                    \
        const struct hmap_native_##name *p = (const void *)r->payload;                             \
        fields break;                                                                              \
    }
        HMAP_EVENTS(CASE_, PRINT_F_, PRINT_E_, PRINT_S_)
#undef CASE_
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s TRACE.hmtrace\n", argv[0]);
        return 2;
    }
    struct hmtrace t;
    if (hmtrace_open(&t, argv[1]) < 0) return 1;
    struct hmtrace_rec r;
    int st;
    while ((st = hmtrace_next(&t, &r)) == 1) {
        if (r.h.id == HMAP_NATIVE_LOST_ID) {
            const struct hmap_native_lost *l = (const void *)r.payload;
            printf("LOST %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", l->count, l->first_ns, l->last_ns);
            continue;
        }
        printf("HMEV %" PRIu64 " %u %u %s", r.h.ts_ns, r.h.pid, r.h.tid,
               hmtrace_event_name(r.h.id));
        print_payload(&r);
        putchar('\n');
    }
    hmtrace_close(&t);
    return st < 0 ? 1 : 0;
}
