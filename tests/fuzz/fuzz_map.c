/* SPDX-License-Identifier: MIT */
/*
 * fuzz_map.c — libFuzzer target: operation sequences decoded from the input
 * run against libhmap and the reference model in lockstep (the harness of
 * tests/differential), so any wrong answer, broken iteration guarantee,
 * broken structural invariant (invariants.h), leak, double free or memory
 * error is a crash with a reproducer.
 *
 * Input layout:
 *   byte 0      test type (u32, u64, str, generic, indirect)
 *   byte 1      bit 0: checking allocator with failure injection;
 *               bits 1-3: size hint 0, 8, 13, 27, 100, 500, 1000, 5000;
 *               bits 4-5: reclaim policy GO, GO, EAGER, SHRINK
 *   bytes 2-3   hash seed
 *   then ops    one opcode byte, low 4 bits the operation, high 4 bits a
 *               small argument; most operations take one more byte.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "failalloc.h"
#include "harness.h"
#include "invariants.h"

#define SMALL_IDS 4096 /* ids operations name: small, so they collide */
#define BULK_BASE 8192 /* bulk inserts use fresh ids from here */
#define BULK_MAX 20000 /* ... up to here (bigger maps only slow the fuzzer) */

typedef struct reader {
    const uint8_t *p;
    size_t n;
} reader;

static uint8_t next_byte(reader *r)
{
    if (r->n == 0) return 0;
    r->n--;
    return *r->p++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t hints[8] = {0, 8, 13, 27, 100, 500, 1000, 5000};
    if (size < 4) return 0;
    reader r = {data, size};
    int type = next_byte(&r) % TT_COUNT;
    uint8_t conf = next_byte(&r);
    uint64_t seed = ((uint64_t)next_byte(&r) << 8 | next_byte(&r)) + 1;

    bool checking = conf & 1;
    failalloc fa;
    failalloc_init(&fa, 0);
    static const hmap_reclaim policies[4] = {HMAP_RECLAIM_GO, HMAP_RECLAIM_GO, HMAP_RECLAIM_EAGER,
                                             HMAP_RECLAIM_SHRINK};
    hmap_options o = {
        .seed = seed, .hint = hints[(conf >> 1) & 7], .reclaim = policies[(conf >> 4) & 3]};
    if (checking) o.allocator = &fa.a;

    harness h;
    if (!harness_init(&h, type, &o)) {
        fprintf(stderr, "hmap_new failed: errno %d\n", errno);
        abort();
    }
    snprintf(h.ctx, sizeof h.ctx, "fuzz_map");
    h.enomem_ok = checking;

    uint64_t bulk_next = BULK_BASE, val = 0;
    while (r.n > 0) {
        uint8_t op = next_byte(&r);
        unsigned arg = op >> 4;
        uint64_t id = ((uint64_t)(arg & 0xf) << 8 | next_byte(&r)) % SMALL_IDS;
        val++;
        switch (op & 15) {
        case 0:
        case 1:
        case 2:
        case 3:
        case 4:
            harness_set(&h, id, val, op & 1);
            break;
        case 5:
        case 6:
        case 7:
            harness_delete(&h, id);
            break;
        case 8:
            harness_get(&h, id);
            break;
        case 9:
            harness_clear(&h);
            break;
        case 10:
            harness_iter_start(&h, arg % HARNESS_ITERS);
            break;
        case 11:
        case 12:
            harness_iter_step(&h, arg % HARNESS_ITERS, 1 + (unsigned)(id & 15));
            break;
        case 13:
            harness_iter_stop(&h, arg % HARNESS_ITERS);
            break;
        case 14: /* bulk insert of fresh keys: reach large B quickly */
            for (uint64_t n = 4 * (id & 255); n > 0 && bulk_next < BULK_MAX; n--)
                harness_set(&h, bulk_next++, ++val, 0);
            break;
        case 15: /* make one of the next few allocations fail */
            if (checking) fa.fail_at = fa.calls + 1 + (id & 15);
            break;
        }
        /* The structure: after every operation while small, else now and then. */
        if (h.ref.len < 256 || (val & 63) == 0) harness_check_invariants(&h);
    }
    for (unsigned i = 0; i < HARNESS_ITERS; i++)
        while (h.iters[i].live)
            harness_iter_step(&h, i, 64);
    harness_verify_all(&h, true);
    harness_check_invariants(&h);
    harness_destroy(&h);
    if (checking && fa.live.len != 0) {
        fprintf(stderr, "FAIL [fuzz_map]: %zu blocks leaked after hmap_free\n", fa.live.len);
        abort();
    }
    failalloc_destroy(&fa);
    return 0;
}
