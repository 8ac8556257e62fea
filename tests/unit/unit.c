/* SPDX-License-Identifier: MIT */
/*
 * unit.c — white-box helpers of the rule tests (unit.h).
 */
#include "unit.h"

uint64_t bucket_of_u64(const hmap *m, uint64_t key)
{
    keybuf k = {.u64 = key};
    return key_hash(m, &k) & bucket_mask(m->B);
}

uint64_t key_for_bucket(const hmap *m, uint64_t bucket, uint64_t *from)
{
    uint64_t k = *from;
    while (bucket_of_u64(m, k) != bucket)
        k++;
    *from = k + 1;
    return k;
}

bool go_over_load_factor(uint64_t count, unsigned B)
{
    return count > 8 && count > 13 * (((uint64_t)1 << B) / 2);
}

bool old_evacuated(const hmap *m, uint64_t i)
{
    uint8_t th = bucket_at(m, oldbuckets_of(m), i)[0];
    return th == EVACUATED_X || th == EVACUATED_Y || th == EVACUATED_EMPTY;
}
