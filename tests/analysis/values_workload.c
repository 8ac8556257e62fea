/* SPDX-License-Identifier: MIT */
/*
 * values_workload.c — a map of 1 KiB values, for the test that the report
 * splits memory into buckets and separately allocated values (values_e2e.sh;
 * docs/report.md).  Values over 128 bytes live in their own allocations, as
 * in Go, so a delete gives the value back at once and keeps the bucket.
 *
 *   values_workload N TRACE
 *
 * Records to TRACE with the in-process recorder from the start, inserts N
 * sessions, deletes every second one, prints hmap_get_stats after each
 * phase ("stats PHASE BUCKET_BYTES INDIRECT_BYTES COUNT") and stops the
 * trace with the map alive, so the trace ends with what the last line says.
 */
#include <stdio.h>
#include <stdlib.h>

#include "hmap.h"
#include "hmap_trace.h"

struct session {
    unsigned char bytes[1024];
};

static void print_stats(const char *phase, const hmap *m)
{
    hmap_stats s;
    hmap_get_stats(m, &s);
    printf("stats %s %llu %llu %llu\n", phase, (unsigned long long)s.bucket_bytes,
           (unsigned long long)s.indirect_bytes, (unsigned long long)s.count);
}

int main(int argc, char **argv)
{
    uint64_t n = argc == 3 ? strtoull(argv[1], NULL, 10) : 0;
    if (n < 2) {
        fprintf(stderr, "usage: values_workload N TRACE\n");
        return 2;
    }
    if (hmap_trace_start(argv[2]) != 0) {
        fprintf(stderr, "values_workload: cannot start the trace %s\n", argv[2]);
        return 1;
    }
    hmap_type t = {.name = "session",
                   .key_size = 8,
                   .key_align = 8,
                   .val_size = sizeof(struct session),
                   .val_align = 8,
                   .kind = HMAP_KIND_U64};
    hmap_options o = {.name = "sessions", .seed = 1};
    hmap *m = hmap_new(&t, &o);
    static struct session v;
    for (uint64_t k = 0; m && k < n; k++) {
        v.bytes[0] = (unsigned char)k;
        if (hmap_set(m, &k, &v) != 0) m = NULL;
    }
    if (!m) {
        fprintf(stderr, "values_workload: insert failed\n");
        return 1;
    }
    print_stats("filled", m);
    for (uint64_t k = 0; k < n; k += 2)
        hmap_delete(m, &k);
    print_stats("deleted", m);
    int err = hmap_trace_stop();
    hmap_free(m);
    return err ? 1 : 0;
}
