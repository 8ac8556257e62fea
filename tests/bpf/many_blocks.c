/* SPDX-License-Identifier: MIT */
/*
 * many_blocks.c — N bucket arrays holding a delete at the same time, for the
 * map-size test of d2f_hist.bt (tests/bpf/test_d2f_saturation.sh):
 *
 *   bpf_many_blocks N
 *
 *   N maps (u64 -> u64, one bucket each), one insert and one delete in
 *   each, and only then hmap_free of every map: N blocks hold a pending
 *   delete at once, and each is freed with exactly one delete in it (no
 *   slot is reused), so delete -> free has exactly N samples.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "hmap.h"

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000;
    hmap **maps = calloc(n, sizeof(*maps));
    if (!maps) return 1;
    for (size_t i = 0; i < n; i++) {
        uint64_t k = i, v = i;
        maps[i] = hmap_new(&hmap_type_u64, NULL);
        if (!maps[i] || hmap_set(maps[i], &k, &v) != 0) {
            perror("hmap");
            return 1;
        }
        hmap_delete(maps[i], &k);
    }
    for (size_t i = 0; i < n; i++)
        hmap_free(maps[i]);
    free(maps);
    printf("done %zu\n", n);
    return 0;
}
