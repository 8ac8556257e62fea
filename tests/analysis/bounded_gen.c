/* SPDX-License-Identifier: MIT */
/*
 * bounded_gen.c — crafted traces for the bounded-resources test
 * (bounded_resources.sh): each shape makes one kind of engine state grow
 * with the input when it is not bounded, at a size given by n.
 *
 *   bounded_gen SHAPE N OUT.hmt
 *
 *   sparse     one write in each of n chunks of 4096 buckets, spread over
 *              arrays of 2^20 buckets (state that is claimed, not touched)
 *   descending n live arrays allocated at descending addresses, one write
 *              each (mmap hands large blocks out top-down)
 *   alternating n events whose timestamps go back and forth, with lost
 *              records between them
 *   destroys   n map_destroy of maps never created
 *   unknown    n writes to unknown buckets of n unknown maps
 *   timeline   a few maps, then n events 9999 ticks of 1 ms apart: a tiny
 *              trace with a huge time span for --csv-timeline
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_builder.h"

#define BSZ 144

static void th(struct tb *t, uint64_t ts, uint64_t map, uint64_t b, int slot)
{
    TB(t, ts, tophash_write, .map = map, .bucket = b, .slot = (uint8_t)slot, .old_th = 0,
       .new_th = 200, .cause = HMAP_TH_INSERT);
}

static void create(struct tb *t, uint64_t ts, uint64_t map)
{
    TB(t, ts, map_create, .map = map, .key_size = 8, .val_size = 8, .bucket_size = BSZ);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: bounded_gen SHAPE N OUT.hmt\n");
        return 2;
    }
    const char *shape = argv[1];
    uint64_t n = strtoull(argv[2], NULL, 0);
    struct tb *t = tb_open(argv[3], NULL);
    const uint64_t map = 0x7f0000001000;
    uint64_t ts = 1000;
    if (strcmp(shape, "sparse") == 0) {
        create(t, ts++, map);
        const uint64_t nb = 1u << 20, per = nb / 4096;
        for (uint64_t i = 0; i < n; i++) {
            uint64_t arr = 0x100000000000ull + (i / per) * (nb * BSZ);
            if (i % per == 0)
                TB(t, ts++, bucket_array_alloc, .map = map, .addr = arr, .B = 20, .nbuckets = nb,
                   .bytes = nb * BSZ);
            th(t, ts++, map, arr + (i % per) * 4096 * BSZ, 0);
        }
    } else if (strcmp(shape, "descending") == 0) {
        create(t, ts++, map);
        for (uint64_t i = 0; i < n; i++) {
            uint64_t arr = 0x7e0000000000ull - (i + 1) * 0x10000;
            TB(t, ts++, bucket_array_alloc, .map = map, .addr = arr, .B = 3, .nbuckets = 8,
               .bytes = 8 * BSZ);
            th(t, ts++, map, arr, 0);
        }
    } else if (strcmp(shape, "alternating") == 0) {
        tb_keep_order(t);
        create(t, ts, map);
        for (uint64_t i = 0; i < n; i++) {
            uint64_t when = i % 2 ? 1000 + i * 1000 : 1000 + i;
            TB(t, when, grow_done, .map = map, .B = 3);
            tb_lost(t, when, 1, 2000 + 10 * i, 2000 + 10 * i + 1);
        }
    } else if (strcmp(shape, "destroys") == 0) {
        for (uint64_t i = 0; i < n; i++)
            TB(t, ts++, map_destroy, .map = 0x200000000000ull + i * 64);
    } else if (strcmp(shape, "unknown") == 0) {
        for (uint64_t i = 0; i < n; i++)
            th(t, ts++, 0x200000000000ull + i * 64, 0x300000000000ull + i * 4096, 0);
    } else if (strcmp(shape, "timeline") == 0) {
        for (uint64_t m = 0; m < 40; m++)
            create(t, ts, map + m * 64);
        for (uint64_t i = 0; i < n; i++) {
            ts += 9999ull * 1000000;
            TB(t, ts, grow_done, .map = map, .B = 3);
        }
    } else {
        fprintf(stderr, "bounded_gen: unknown shape %s\n", shape);
        return 2;
    }
    return tb_close(t) == 0 ? 0 : 1;
}
