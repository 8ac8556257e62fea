/* SPDX-License-Identifier: MIT */
/*
 * gen_lost_wrap.c — a trace whose lost counts add up to more than 64 bits
 * hold: one map created and destroyed, and between them two lost records of
 * 2^63 events each (a native file and its bpftrace twin), for
 * lost_saturate.sh.
 *
 *   gen_lost_wrap OUT.hmt OUT.bt
 */
#include <stdio.h>

#include "trace_builder.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: gen_lost_wrap OUT.hmt OUT.bt\n");
        return 2;
    }
    struct tb *t = tb_open(argv[1], argv[2]);
    const uint64_t map = 0x1000, half = 1ull << 63;
    TB(t, 1000, map_create, .map = map, .key_size = 8, .val_size = 8, .bucket_size = 144);
    tb_lost(t, 2000, half, 1500, 2000);
    TB(t, 3000, map_info, .map = map);
    tb_lost(t, 4000, half, 3500, 4000);
    TB(t, 5000, map_destroy, .map = map);
    return tb_close(t) == 0 ? 0 : 1;
}
