/* SPDX-License-Identifier: MIT */
/*
 * gen_golden.c — writes the synthetic trace behind the golden-output tests
 * (and the fuzzers' seed corpus): three maps exercising growth with
 * evacuation, an overflow chain, an EAGER unlink, clear, destroy, censored
 * deletes and a lost record, as a native file and as bpftrace lines.
 *
 *   gen_golden OUT.hmt OUT.bt
 *   gen_golden --dump OUT.hmt     a trace that starts with a state dump
 *                                 (tests/analysis/cli_test.sh, "state dump")
 */
#include <stdio.h>
#include <string.h>

#include "trace_builder.h"

#define BS 144
#define US 1000ull

static void th(struct tb *t, uint64_t ts, uint64_t map, uint64_t b, int slot, int o, int n, int c)
{
    TB(t, ts, tophash_write, .map = map, .bucket = b, .slot = (uint8_t)slot, .old_th = (uint8_t)o,
       .new_th = (uint8_t)n, .cause = (uint8_t)c);
}

static void create(struct tb *t, uint64_t ts, uint64_t map, int reclaim, int ptrful, const char *ty)
{
    struct hmap_native_map_create p = {.map = map,
                                       .key_size = 8,
                                       .val_size = 8,
                                       .bucket_size = BS,
                                       .pointerful = (uint8_t)ptrful,
                                       .reclaim = (uint8_t)reclaim};
    snprintf(p.type_name, sizeof(p.type_name), "%s", ty);
    tb_emit(t, ts, HMAP_EV_map_create, &p, sizeof(p));
}

static void array(struct tb *t, uint64_t ts, uint64_t map, uint64_t addr, int B)
{
    TB(t, ts, bucket_array_alloc, .map = map, .addr = addr, .B = (uint8_t)B, .nbuckets = 1u << B,
       .nprealloc = 0, .bytes = (1u << B) * BS);
}

static void release(struct tb *t, uint64_t ts, uint64_t map, uint64_t addr, uint64_t bytes,
                    int kind, int reason)
{
    TB(t, ts, bucket_free, .map = map, .addr = addr, .bytes = bytes, .kind = (uint8_t)kind,
       .reason = (uint8_t)reason);
}

/* A tracer attaching to a running process (pid 7000): map P's probe fires
 * at 1 us, before its state (a write to an unknown bucket); the dump at 3
 * us gives P (an array of 2 buckets, one live slot with a 200-byte
 * indirect value: 288 + 200 bytes) and finds Q unsafe; R is created in the
 * trace at 5 us.  At 10 us P's entry is deleted (its value freed, reason
 * delete), at 20 us R's array is freed by destroy. */
static int write_dump(const char *path)
{
    struct tb *t = tb_open(path, NULL);
    const uint64_t p = 0x55550000d000, q = 0x55550000e000, r = 0x55550000f000;
    const uint64_t ap = 0x7f4000000000, xp = 0x7f4000100000, ar = 0x7f5000000000;
    tb_set_pid(t, 7000);
    th(t, 1 * US, p, 0x7f4000200000, 0, 50, 1, HMAP_TH_DELETE);
    TB(t, 3 * US, state_begin, .map = p, .count = 1, .B = 1, .trigger = HMAP_STATE_BY_RECORDER);
    TB(t, 3 * US, map_create, .map = p, .key_size = 8, .val_size = 200, .bucket_size = BS,
       .reclaim = HMAP_RECLAIM_GO_ID, .type_name = "map[int64]big");
    TB(t, 3 * US, map_info, .map = p, .site = 0x401234, .site_off = 0x1234,
       .object = "/usr/bin/app", .name = "sessions");
    array(t, 3 * US, p, ap, 1);
    th(t, 3 * US, p, ap, 0, 0, 77, HMAP_TH_STATE);
    TB(t, 3 * US, indirect_alloc, .map = p, .addr = xp, .bytes = 200, .kind = HMAP_INDIRECT_VALUE);
    TB(t, 3 * US, state_end, .map = p, .blocks = 1, .slots = 1, .objects = 1,
       .status = HMAP_STATE_OK);
    TB(t, 3 * US, state_begin, .map = q, .trigger = HMAP_STATE_BY_RECORDER);
    TB(t, 3 * US, state_end, .map = q, .status = HMAP_STATE_UNSAFE);
    TB(t, 3 * US, statedump_done, .maps = 1, .deferred = 0, .unsafe = 1,
       .trigger = HMAP_STATE_BY_RECORDER);
    create(t, 5 * US, r, HMAP_RECLAIM_GO_ID, 0, "map[int32]int32");
    array(t, 5 * US, r, ar, 0);
    th(t, 10 * US, p, ap, 0, 77, 1, HMAP_TH_DELETE);
    TB(t, 10 * US, indirect_free, .map = p, .addr = xp, .bytes = 200, .kind = HMAP_INDIRECT_VALUE,
       .reason = HMAP_OBJ_DELETE);
    TB(t, 20 * US, map_destroy, .map = r, .count = 0, .bytes = BS);
    release(t, 20 * US, r, ar, BS, HMAP_MEM_ARRAY, HMAP_FREE_DESTROY);
    return tb_close(t) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--dump") == 0) return write_dump(argv[2]);
    if (argc != 3) {
        fprintf(stderr, "usage: gen_golden OUT.hmt OUT.bt\n");
        return 2;
    }
    struct tb *t = tb_open(argv[1], argv[2]);
    const uint64_t m1 = 0x55550000a000, a1 = 0x7f1000000000, n1 = 0x7f1000100000,
                   o1 = 0x7f1000200000;
    const uint64_t m2 = 0x55550000b000, a2 = 0x7f2000000000, o2 = 0x7f2000200000;
    const uint64_t m3 = 0x55550000c000, a3 = 0x7f3000000000, o3 = 0x7f3000200000;

    /* Map 1 (go): B=1, fill bucket 0 and an overflow bucket, churn, grow. */
    create(t, 0, m1, HMAP_RECLAIM_GO_ID, 1, "map[int64]*T");
    array(t, 0, m1, a1, 1);
    for (int s = 0; s < 8; s++)
        th(t, 10 * US + s, m1, a1, s, 0, 10 + s, HMAP_TH_INSERT);
    TB(t, 20 * US, overflow_alloc, .map = m1, .addr = o1, .parent = a1,
       .source = HMAP_OVF_ALLOCATOR, .bytes = BS);
    for (int s = 0; s < 4; s++)
        th(t, 21 * US + s, m1, o1, s, 0, 30 + s, HMAP_TH_INSERT);
    for (int s = 0; s < 6; s++) /* deletes at 100..105 us */
        th(t, (100 + s) * US, m1, a1, s, 10 + s, 1, HMAP_TH_DELETE);
    for (int s = 0; s < 3; s++) /* three reused after ~1..4 us */
        th(t, (101 + 2 * s) * US + 500, m1, a1, s, 1, 40 + s, HMAP_TH_INSERT);
    th(t, 200 * US, m1, o1, 3, 33, 1, HMAP_TH_DELETE);
    th(t, 200 * US, m1, o1, 3, 1, 0, HMAP_TH_EMPTY_REST);
    array(t, 300 * US, m1, n1, 2);
    TB(t, 300 * US, grow_start, .map = m1, .old_B = 1, .new_B = 2, .kind = HMAP_GROW_DOUBLE,
       .count = 8);
    int d = 0;
    for (int s = 0; s < 8; s++) { /* evacuate chain 0: head a1 + o1 */
        int live = s < 3 || s >= 6;
        th(t, 310 * US, m1, a1, s, live ? (s < 3 ? 40 + s : 10 + s) : 1, live ? 2 : 4,
           HMAP_TH_EVAC_MARK);
        if (live) th(t, 310 * US, m1, n1, d++, 0, 50 + s, HMAP_TH_EVAC_COPY);
    }
    for (int s = 0; s < 4; s++) {
        th(t, 310 * US, m1, o1, s, s < 3 ? 30 + s : 0, s < 3 ? 2 : 4, HMAP_TH_EVAC_MARK);
        if (s < 3) th(t, 310 * US, m1, n1, d++, 0, 60 + s, HMAP_TH_EVAC_COPY);
    }
    TB(t, 310 * US, evacuate, .map = m1, .old_index = 0, .old_addr = a1, .x_addr = n1,
       .y_addr = n1 + 2 * BS, .moved_x = 8, .moved_y = 0);
    TB(t, 310 * US, overflow_unlink, .map = m1, .addr = o1, .prev = a1,
       .cause = HMAP_UNLINK_EVACUATED, .to_freelist = 0);
    release(t, 310 * US, m1, o1, BS, HMAP_MEM_OVERFLOW, HMAP_FREE_EVACUATED);
    TB(t, 2000 * US, evacuate, .map = m1, .old_index = 1, .old_addr = a1 + BS, .x_addr = n1 + BS,
       .y_addr = n1 + 3 * BS);
    TB(t, 2000 * US, grow_done, .map = m1, .old_addr = a1, .B = 2, .kind = HMAP_GROW_DOUBLE,
       .count = 8);
    release(t, 2000 * US, m1, a1, 2 * BS, HMAP_MEM_ARRAY, HMAP_FREE_GROW_DONE);
    th(t, 2100 * US, m1, n1, 2, 52, 1, HMAP_TH_DELETE); /* retained */
    th(t, 2200 * US, m1, n1, 3, 0, 70, HMAP_TH_INSERT);

    /* Map 2 (eager, another process): an overflow bucket emptied by deletes
     * is unlinked and freed at once. */
    tb_set_pid(t, 5151);
    create(t, 50 * US, m2, HMAP_RECLAIM_EAGER_ID, 0, "map[uint64]uint64");
    array(t, 50 * US, m2, a2, 0);
    for (int s = 0; s < 8; s++)
        th(t, 60 * US, m2, a2, s, 0, 70 + s, HMAP_TH_INSERT);
    TB(t, 61 * US, overflow_alloc, .map = m2, .addr = o2, .parent = a2,
       .source = HMAP_OVF_ALLOCATOR, .bytes = BS);
    th(t, 61 * US, m2, o2, 0, 0, 90, HMAP_TH_INSERT);
    th(t, 61 * US, m2, o2, 1, 0, 91, HMAP_TH_INSERT);
    th(t, 400 * US, m2, o2, 0, 90, 1, HMAP_TH_DELETE);
    th(t, 450 * US, m2, o2, 1, 91, 1, HMAP_TH_DELETE);
    th(t, 450 * US, m2, o2, 1, 1, 0, HMAP_TH_EMPTY_REST);
    th(t, 450 * US, m2, o2, 0, 1, 0, HMAP_TH_EMPTY_REST);
    TB(t, 450 * US, overflow_unlink, .map = m2, .addr = o2, .prev = a2,
       .cause = HMAP_UNLINK_EMPTIED, .to_freelist = 0);
    release(t, 450 * US, m2, o2, BS, HMAP_MEM_OVERFLOW, HMAP_FREE_UNLINK);
    th(t, 700 * US, m2, a2, 4, 74, 1, HMAP_TH_DELETE); /* retained */
    tb_lost(t, 800 * US, 3, 790 * US, 800 * US);

    /* Map 3 (go): clear, then destroy. */
    tb_set_pid(t, 4242);
    create(t, 900 * US, m3, HMAP_RECLAIM_GO_ID, 0, "map[int32]int32");
    array(t, 900 * US, m3, a3, 0);
    for (int s = 0; s < 8; s++)
        th(t, 901 * US, m3, a3, s, 0, 100 + s, HMAP_TH_INSERT);
    TB(t, 902 * US, overflow_alloc, .map = m3, .addr = o3, .parent = a3,
       .source = HMAP_OVF_ALLOCATOR, .bytes = BS);
    th(t, 902 * US, m3, o3, 0, 0, 120, HMAP_TH_INSERT);
    th(t, 950 * US, m3, a3, 7, 107, 1, HMAP_TH_DELETE);
    for (int s = 0; s < 8; s++)
        th(t, 1000 * US, m3, a3, s, s == 7 ? 1 : 100 + s, 0, HMAP_TH_CLEAR);
    th(t, 1000 * US, m3, o3, 0, 120, 0, HMAP_TH_CLEAR);
    TB(t, 1000 * US, overflow_unlink, .map = m3, .addr = o3, .prev = a3, .cause = HMAP_UNLINK_CLEAR,
       .to_freelist = 0);
    release(t, 1000 * US, m3, o3, BS, HMAP_MEM_OVERFLOW, HMAP_FREE_CLEAR);
    th(t, 1100 * US, m3, a3, 0, 0, 130, HMAP_TH_INSERT);
    th(t, 1200 * US, m3, a3, 0, 130, 1, HMAP_TH_DELETE);
    TB(t, 1500 * US, map_destroy, .map = m3, .count = 0, .bytes = BS);
    release(t, 1500 * US, m3, a3, BS, HMAP_MEM_ARRAY, HMAP_FREE_DESTROY);
    return tb_close(t) == 0 ? 0 : 1;
}
