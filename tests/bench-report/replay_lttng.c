/* SPDX-License-Identifier: MIT */
/*
 * replay_lttng.c — fires the hmap LTTng-UST tracepoints for every record of
 * a native trace, so that the analyzer benchmark can compare the same events
 * read from a native file and from a CTF trace.  Timestamps are LTTng's own
 * (the replay time); every field is replayed as recorded.
 *
 *   bench_report_replay NATIVE_TRACE      (inside an LTTng session)
 */
#include <stdint.h>
#include <stdio.h>

#include "hmap_lttng_tp.h"
#include "reader.h"

#define RP_CAST_ptr(x) (const void *)(uintptr_t)(x)
#define RP_CAST_u8(x) (uint8_t)(x)
#define RP_CAST_u16(x) (uint16_t)(x)
#define RP_CAST_u32(x) (uint32_t)(x)
#define RP_CAST_u64(x) (uint64_t)(x)
#define RP_F_(t, n, d) , RP_CAST_##t(p->n)
#define RP_E_(t, n, e, d) , RP_CAST_##t(p->n)
#define RP_S_(n, l, d) , (const char *)p->n
#define RP_EV_(id, name, desc, fields)                                                             \
    case id: {                                                                                     \
        const struct hmap_native_##name *p = (const void *)(h + 1);                                \
        lttng_ust_tracepoint(hmap, name fields);                                                   \
        break;                                                                                     \
    }

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bench_report_replay NATIVE_TRACE\n");
        return 2;
    }
    char err[600];
    struct bs_reader *r = bs_reader_open(argv[1], 0, err, sizeof(err));
    if (!r || r->kind != BS_INPUT_NATIVE) {
        fprintf(stderr, "bench_report_replay: %s\n", r ? "not a native trace" : err);
        return 1;
    }
    const struct hmap_native_rec_header *h;
    uint64_t n = 0;
    int st;
    while ((st = r->next(r, &h)) == 1) {
        switch (h->id) {
            HMAP_EVENTS(RP_EV_, RP_F_, RP_E_, RP_S_)
        default:
            continue;
        }
        n++;
    }
    if (st < 0) fprintf(stderr, "bench_report_replay: %s\n", r->err);
    bs_reader_close(r);
    printf("%llu events replayed\n", (unsigned long long)n);
    return st < 0;
}
