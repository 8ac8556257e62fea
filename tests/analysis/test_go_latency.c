/* SPDX-License-Identifier: MIT */
/*
 * test_go_latency.c — the Go pass of the report (analysis/report/
 * go_latency.h) on a hand-made record sequence whose figures are known to
 * the nanosecond: one Go map of two arrays (the first freed by the GC after
 * a growth, the second with the map when it died), deletes before and
 * inside the window, a reuse, and the same sequence from a second process
 * at the same addresses (docs/go.md, "The report").
 */
#include <CUnit/CUnit.h>
#include <string.h>

#include "cunit_util.h"
#include "go_latency.h"

#define MAP 0xc000010000ull
#define A0 0xc000100000ull /* the first array, freed after the growth */
#define A1 0xc000200000ull /* the second, freed with the dead map */

/* The records of a test, fed in time order (stable) by feed_all. */
#define MAX_RECS 64
static union rec {
    struct hmap_native_rec_header h;
    unsigned char b[128];
} recs[MAX_RECS];
static size_t nrecs;

static void rec(uint32_t pid, uint64_t ts, uint16_t id, const void *p, size_t n)
{
    CU_ASSERT_FATAL(nrecs < MAX_RECS && sizeof(struct hmap_native_rec_header) + n <= 128);
    union rec *r = &recs[nrecs++];
    memset(r, 0, sizeof *r);
    r->h.ts_ns = ts, r->h.pid = pid, r->h.id = id, r->h.size = hmap_native_rec_size(id);
    memcpy(r->b + sizeof r->h, p, n);
}

static void feed_all(struct bs_go *g)
{
    for (size_t i = 1; i < nrecs; i++) /* insertion sort: stable */
        for (size_t j = i; j > 0 && recs[j - 1].h.ts_ns > recs[j].h.ts_ns; j--) {
            union rec t = recs[j];
            recs[j] = recs[j - 1], recs[j - 1] = t;
        }
    for (size_t i = 0; i < nrecs; i++)
        bs_go_feed(g, &recs[i].h);
    nrecs = 0;
}

static void th(uint32_t pid, uint64_t ts, uint64_t bucket, uint8_t slot, uint8_t cause)
{
    struct hmap_native_tophash_write e = {.map = MAP,
                                          .bucket = bucket,
                                          .slot = slot,
                                          .old_th = cause == HMAP_TH_DELETE ? 0x80 : 0,
                                          .new_th = cause == HMAP_TH_DELETE ? 1 : 0x80,
                                          .cause = cause};
    rec(pid, ts, HMAP_EV_tophash_write, &e, sizeof e);
}

/* The map's life, shifted by dt: deletes at 50 and 150 in A0 (freed at 500,
 * unreachable at the grow_done at 300; the new array comes before the
 * grow_start, as gorecord writes them), at 610 in A1 (freed at 700 with the
 * dead map: no unreachable moment) and at 620 (reused at 630). */
static void life(uint32_t pid, uint64_t dt)
{
    struct hmap_native_map_create mc = {.map = MAP,
                                        .key_size = 8,
                                        .val_size = 8,
                                        .bucket_size = 144,
                                        .reclaim = HMAP_RECLAIM_GO_ID};
    memcpy(mc.type_name, "go:k8/v8", 8);
    rec(pid, 10 + dt, HMAP_EV_map_create, &mc, sizeof mc);
    struct hmap_native_bucket_array_alloc a0 = {
        .map = MAP, .addr = A0, .nbuckets = 1, .bytes = 144};
    rec(pid, 20 + dt, HMAP_EV_bucket_array_alloc, &a0, sizeof a0);
    th(pid, 30 + dt, A0, 0, HMAP_TH_INSERT);
    th(pid, 40 + dt, A0, 1, HMAP_TH_INSERT);
    th(pid, 50 + dt, A0, 0, HMAP_TH_DELETE);
    th(pid, 150 + dt, A0, 1, HMAP_TH_DELETE);
    struct hmap_native_grow_start gs = {.map = MAP, .old_B = 0, .new_B = 1};
    rec(pid, 210 + dt, HMAP_EV_grow_start, &gs, sizeof gs);
    struct hmap_native_bucket_array_alloc a1 = {
        .map = MAP, .addr = A1, .B = 1, .nbuckets = 2, .bytes = 288};
    rec(pid, 200 + dt, HMAP_EV_bucket_array_alloc, &a1, sizeof a1);
    struct hmap_native_grow_done gd = {.map = MAP, .old_addr = A0, .B = 1};
    rec(pid, 300 + dt, HMAP_EV_grow_done, &gd, sizeof gd);
    struct hmap_native_bucket_free f0 = {
        .map = MAP, .addr = A0, .bytes = 144, .reason = HMAP_FREE_GROW_DONE};
    rec(pid, 500 + dt, HMAP_EV_bucket_free, &f0, sizeof f0);
    th(pid, 600 + dt, A1, 2, HMAP_TH_INSERT);
    th(pid, 605 + dt, A1, 3, HMAP_TH_INSERT);
    th(pid, 610 + dt, A1, 2, HMAP_TH_DELETE);
    th(pid, 620 + dt, A1, 3, HMAP_TH_DELETE);
    th(pid, 630 + dt, A1, 3, HMAP_TH_INSERT);
    struct hmap_native_map_destroy md = {.map = MAP, .bytes = 288};
    rec(pid, 700 + dt, HMAP_EV_map_destroy, &md, sizeof md);
    struct hmap_native_bucket_free f1 = {
        .map = MAP, .addr = A1, .bytes = 288, .reason = HMAP_FREE_DESTROY};
    rec(pid, 700 + dt, HMAP_EV_bucket_free, &f1, sizeof f1);
}

#define EQ(what, got, want)                                                                        \
    do {                                                                                           \
        unsigned long long g_ = (got), w_ = (want);                                                \
        if (g_ != w_) FAILF("%s: %llu, want %llu", what, g_, w_);                                  \
    } while (0)

static void check(struct bs_go *g, uint64_t since, uint64_t until, int pids, const uint64_t want[9])
{
    bs_go_set_window(g, since, until);
    life(100, 0);
    if (pids == 2) life(200, 5);
    feed_all(g);
    struct bs_go_report r;
    bs_go_report_build(g, &r);
    EQ("maps", r.maps, pids);
    EQ("deletes", r.deletes, want[0]);
    EQ("reused", r.reused, want[1]);
    EQ("freed", r.freed, want[2]);
    EQ("pending", r.pending, want[3]);
    EQ("delete -> unreachable count", r.to_unreachable.count, want[4]);
    EQ("delete -> unreachable max", r.to_unreachable.max, want[5]);
    EQ("delete -> freed max", r.to_free.max, want[6]);
    EQ("unreachable -> freed count", r.gc_lag.count, want[7]);
    EQ("maps died", r.died, want[8]);
    EQ("maps died listed", r.ndied_maps, want[8]);
    EQ("reused + freed + pending", r.reused + r.freed + r.pending, r.deletes);
    if (r.ndied_maps) {
        EQ("died map pid", r.died_maps[0].pid, 100);
        EQ("died map addr", r.died_maps[0].addr, MAP);
        EQ("died map bytes", r.died_maps[0].bytes, 288);
        CU_ASSERT_STRING_EQUAL(r.died_maps[0].type_name, "go:k8/v8");
    }
    bs_go_free(g);
}

static void test_whole(void)
{
    /* 50 and 150 freed at 500 (unreachable at 300: 250 and 150 before it),
     * 610 freed at 700 with the dead map, 620 reused. */
    const uint64_t w[9] = {4, 1, 3, 0, 2, 250, 450, 1, 1};
    check(bs_go_new(), 0, 0, 1, w);
}

static void test_since(void)
{
    /* The delete at 50 is before the window: not followed. */
    const uint64_t w[9] = {3, 1, 2, 0, 1, 150, 350, 1, 1};
    check(bs_go_new(), 100, 0, 1, w);
}

static void test_until(void)
{
    /* Reading ends at 650: 610 is still pending, the map has not died. */
    const uint64_t w[9] = {4, 1, 2, 1, 2, 250, 450, 1, 0};
    check(bs_go_new(), 0, 650, 1, w);
}

static void test_window_after_deaths(void)
{
    /* Every delete and the death are before the window: the block freed
     * at 700 holds no followed delete. */
    const uint64_t w[9] = {0, 0, 0, 0, 0, 0, 0, 0, 0};
    check(bs_go_new(), 701, 0, 1, w);
}

static void test_two_processes(void)
{
    /* The same life in a second process at the same addresses, 5 ns later,
     * interleaved: every figure doubles; the first to die is pid 100. */
    const uint64_t w[9] = {8, 2, 6, 0, 4, 250, 450, 2, 2};
    check(bs_go_new(), 0, 0, 2, w);
}

static void test_no_go_map(void)
{
    struct bs_go *g = bs_go_new();
    struct hmap_native_map_create mc = {.map = MAP, .reclaim = HMAP_RECLAIM_GO_ID};
    memcpy(mc.type_name, "u64_u64", 7); /* libhmap's map with the go policy */
    rec(1, 10, HMAP_EV_map_create, &mc, sizeof mc);
    th(1, 20, A0, 0, HMAP_TH_DELETE);
    feed_all(g);
    struct bs_go_report r;
    bs_go_report_build(g, &r);
    EQ("maps", r.maps, 0);
    EQ("deletes", r.deletes, 0);
    bs_go_free(g);
}

static void add_suites(void)
{
    CU_pSuite s = CU_add_suite("go_latency", NULL, NULL);
    CU_add_test(s, "whole trace: both latencies, the dead map", test_whole);
    CU_add_test(s, "--since: a delete before the window is not followed", test_since);
    CU_add_test(s, "--until: reading ends, pending stays pending", test_until);
    CU_add_test(s, "a window after every delete", test_window_after_deaths);
    CU_add_test(s, "two processes at the same addresses", test_two_processes);
    CU_add_test(s, "no Go map: no section", test_no_go_map);
}

int main(int argc, char **argv)
{
    return cunit_main(argc, argv, "test_analysis_go_latency", add_suites);
}
