/* SPDX-License-Identifier: MIT */
/*
 * test_lifetime.c — the lifetime engine and the readers on hand-built traces.
 *
 * Most tests are scenarios, rows of one table: a small trace written with
 * trace_builder (native, and where it matters the bpftrace twin), run through
 * the same reader + engine code as bucketscope-report, and the figures worked
 * out by hand in the comments, each checked by name.  Reader errors, merging
 * and histograms have tests of their own.  Bucket size is 144 bytes (8-byte
 * keys and values), so a live entry accounts for 18 bytes and a B=1 array
 * (2 buckets) is 288 bytes.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lifetime.h"
#include "reader.h"
#include "trace_builder.h"

#define M 0x7f0000001000ull
#define M2 0x7f0000002000ull
#define A 0x7f0000010000ull /* B=1 array: buckets A, A+144 */
#define N 0x7f0000020000ull /* B=2 array after growth */
#define O 0x7f0000030000ull /* an individually allocated overflow bucket */
#define BS 144

static char dir[] = "/tmp/bs-test-XXXXXX";
static char path_bin[256], path_txt[256];

#define CREATE(t, ts, ptrful)                                                                      \
    TB(t, ts, map_create, .map = M, .key_size = 8, .val_size = 8, .bucket_size = BS,               \
       .pointerful = ptrful, .reclaim = HMAP_RECLAIM_GO_ID, .hint = 0,                             \
       .type_name = "map[int64]int64")
#define ARRAY(t, ts, addr_, b, nb)                                                                 \
    TB(t, ts, bucket_array_alloc, .map = M, .addr = addr_, .B = b, .nbuckets = nb, .nprealloc = 0, \
       .bytes = (nb)*BS)
#define TH(t, ts, bucket_, slot_, o, n, c)                                                         \
    TB(t, ts, tophash_write, .map = M, .bucket = bucket_, .slot = slot_, .old_th = o, .new_th = n, \
       .cause = c)
#define FREE(t, ts, addr_, bytes_, kind_, reason_)                                                 \
    TB(t, ts, bucket_free, .map = M, .addr = addr_, .bytes = bytes_, .kind = kind_,                \
       .reason = reason_)

/* Deletes as the engine reports them, in resolution order. */
static struct bs_delete_row rows[64];
static int nrows;
static void collect(void *ctx, const struct bs_delete_row *r)
{
    if (nrows < 64) rows[nrows++] = *r;
}

/* A finished engine and what it found. */
struct result {
    struct bs_engine *e;
    const struct bs_engine_totals *t;
    const struct bs_map *maps;
    uint32_t nmaps;
    const struct bs_lost_span *lost;
    uint32_t nlost;
};

static struct result results(struct bs_engine *e)
{
    struct result r = {.e = e, .t = bs_engine_totals(e)};
    r.maps = bs_engine_maps(e, &r.nmaps);
    r.lost = bs_engine_lost_spans(e, &r.nlost);
    return r;
}

static void done(struct result r)
{
    bs_engine_free(r.e);
}

static struct result run_file(const char *path)
{
    char err[600];
    struct bs_reader *r = bs_reader_open(path, 0, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    struct bs_engine_opts o = {.on_delete = collect};
    struct bs_engine *e = bs_engine_new(&o);
    const struct hmap_native_rec_header *h;
    int st;
    nrows = 0;
    while ((st = r->next(r, &h)) == 1)
        bs_engine_feed(e, h);
    if (st < 0) fprintf(stderr, "reader: %s\n", r->err);
    CU_ASSERT_EQUAL(st, 0);
    bs_engine_finish(e);
    bs_reader_close(r);
    return results(e);
}

static struct result run(void)
{
    return run_file(path_bin);
}

static struct tb *start(int twin)
{
    return tb_open(path_bin, twin ? path_txt : NULL);
}

/* Delete of slot 0 at 1000, reinserted at 3000: reused after 2000 ns. */
static void write_slot_reuse(int twin)
{
    struct tb *t = start(twin);
    CREATE(t, 0, 0);
    ARRAY(t, 0, A, 1, 2);
    TH(t, 100, A, 0, 0, 200, HMAP_TH_INSERT);
    TH(t, 1000, A, 0, 200, 1, HMAP_TH_DELETE);
    TH(t, 3000, A, 0, 1, 201, HMAP_TH_INSERT);
    TH(t, 5000, A + BS, 0, 0, 50, HMAP_TH_INSERT);
    CU_ASSERT_EQUAL(tb_close(t), 0);
}

/* Delete at 1000 in the old array; growth evacuates it (the copy in the new
 * array is not a reuse); grow_done frees the old array at 4000: freed, 3000. */
static void write_growth_end(int twin)
{
    struct tb *t = start(twin);
    CREATE(t, 0, 0);
    ARRAY(t, 0, A, 1, 2);
    TH(t, 100, A, 0, 0, 200, HMAP_TH_INSERT);
    TH(t, 200, A, 1, 0, 201, HMAP_TH_INSERT);
    TH(t, 1000, A, 0, 200, 1, HMAP_TH_DELETE);
    ARRAY(t, 2000, N, 2, 4);
    TB(t, 2000, grow_start, .map = M, .old_B = 1, .new_B = 2, .kind = HMAP_GROW_DOUBLE, .count = 1);
    TH(t, 3000, N, 0, 0, 201, HMAP_TH_EVAC_COPY);
    TH(t, 3000, A, 0, 1, 4, HMAP_TH_EVAC_MARK);
    TH(t, 3000, A, 1, 201, 2, HMAP_TH_EVAC_MARK);
    TB(t, 3000, evacuate, .map = M, .old_index = 0, .old_addr = A, .x_addr = N,
       .y_addr = N + 2 * BS, .moved_x = 1, .moved_y = 0);
    TB(t, 3500, evacuate, .map = M, .old_index = 1, .old_addr = A + BS, .x_addr = N + BS,
       .y_addr = N + 3 * BS);
    TB(t, 4000, grow_done, .map = M, .old_addr = A, .B = 2, .kind = HMAP_GROW_DOUBLE, .count = 1);
    FREE(t, 4000, A, 2 * BS, HMAP_MEM_ARRAY, HMAP_FREE_GROW_DONE);
    TH(t, 6000, N, 1, 0, 99, HMAP_TH_INSERT);
    CU_ASSERT_EQUAL(tb_close(t), 0);
}

/* The allocator hands A out again after the map is destroyed: the insert at
 * 4000 is into a new generation, not a reuse of the delete at 1000. */
static void write_address_reuse(int twin)
{
    struct tb *t = start(twin);
    CREATE(t, 0, 0);
    ARRAY(t, 0, A, 1, 2);
    TH(t, 100, A, 3, 0, 200, HMAP_TH_INSERT);
    TH(t, 1000, A, 3, 200, 1, HMAP_TH_DELETE);
    TB(t, 2000, map_destroy, .map = M, .count = 0, .bytes = 2 * BS);
    FREE(t, 2000, A, 2 * BS, HMAP_MEM_ARRAY, HMAP_FREE_DESTROY);
    CREATE(t, 3000, 0);
    ARRAY(t, 3000, A, 1, 2);
    TH(t, 4000, A, 3, 0, 77, HMAP_TH_INSERT);
    TH(t, 5000, A, 3, 77, 1, HMAP_TH_DELETE);
    TH(t, 9000, A + BS, 0, 0, 80, HMAP_TH_INSERT);
    CU_ASSERT_EQUAL(tb_close(t), 0);
}

/* Pointerful map: the evacuated overflow bucket O is freed at its chain's
 * evacuation (3000), the old array at grow_done (5000). */
static void write_evacuation(int twin)
{
    struct tb *t = start(twin);
    CREATE(t, 0, 1);
    ARRAY(t, 0, A, 1, 2);
    for (int s = 0; s < 8; s++)
        TH(t, 100, A, s, 0, 100 + s, HMAP_TH_INSERT);
    TB(t, 150, overflow_alloc, .map = M, .addr = O, .parent = A, .source = HMAP_OVF_ALLOCATOR,
       .bytes = BS);
    TH(t, 160, O, 0, 0, 90, HMAP_TH_INSERT);
    TH(t, 1000, O, 0, 90, 1, HMAP_TH_DELETE);
    TH(t, 1500, A, 2, 102, 1, HMAP_TH_DELETE);
    ARRAY(t, 2000, N, 2, 4);
    TB(t, 2000, grow_start, .map = M, .old_B = 1, .new_B = 2, .kind = HMAP_GROW_DOUBLE, .count = 7);
    for (int s = 0, d = 0; s < 8; s++) {
        if (s == 2) {
            TH(t, 3000, A, s, 1, 4, HMAP_TH_EVAC_MARK);
            continue;
        }
        TH(t, 3000, A, s, 100 + s, 2, HMAP_TH_EVAC_MARK);
        TH(t, 3000, N, d, 0, 100 + s, HMAP_TH_EVAC_COPY);
        d++;
    }
    TH(t, 3000, O, 0, 1, 4, HMAP_TH_EVAC_MARK);
    TB(t, 3000, evacuate, .map = M, .old_index = 0, .old_addr = A, .x_addr = N,
       .y_addr = N + 2 * BS, .moved_x = 7, .moved_y = 0);
    TB(t, 3000, overflow_unlink, .map = M, .addr = O, .prev = A, .cause = HMAP_UNLINK_EVACUATED,
       .to_freelist = 0);
    FREE(t, 3000, O, BS, HMAP_MEM_OVERFLOW, HMAP_FREE_EVACUATED);
    TB(t, 5000, evacuate, .map = M, .old_index = 1, .old_addr = A + BS, .x_addr = N + BS,
       .y_addr = N + 3 * BS);
    TB(t, 5000, grow_done, .map = M, .old_addr = A, .B = 2, .kind = HMAP_GROW_DOUBLE, .count = 7);
    FREE(t, 5000, A, 2 * BS, HMAP_MEM_ARRAY, HMAP_FREE_GROW_DONE);
    TH(t, 6000, N + BS, 0, 0, 50, HMAP_TH_INSERT);
    CU_ASSERT_EQUAL(tb_close(t), 0);
}

/* clear: entries it removes are "cleared", not deletes; the pending delete in
 * the kept array is reused by a later insert into the same slot. */
static void write_clear(int twin)
{
    struct tb *t = start(twin);
    CREATE(t, 0, 0);
    ARRAY(t, 0, A, 1, 2);
    for (int s = 0; s < 3; s++)
        TH(t, 100, A, s, 0, 200 + s, HMAP_TH_INSERT);
    TB(t, 150, overflow_alloc, .map = M, .addr = O, .parent = A, .source = HMAP_OVF_ALLOCATOR,
       .bytes = BS);
    TH(t, 160, O, 0, 0, 90, HMAP_TH_INSERT);
    TH(t, 1000, A, 1, 201, 1, HMAP_TH_DELETE);
    TH(t, 2000, A, 0, 200, 0, HMAP_TH_CLEAR);
    TH(t, 2000, A, 1, 1, 0, HMAP_TH_CLEAR);
    TH(t, 2000, A, 2, 202, 0, HMAP_TH_CLEAR);
    TH(t, 2000, O, 0, 90, 0, HMAP_TH_CLEAR);
    TB(t, 2000, overflow_unlink, .map = M, .addr = O, .prev = A, .cause = HMAP_UNLINK_CLEAR);
    FREE(t, 2000, O, BS, HMAP_MEM_OVERFLOW, HMAP_FREE_CLEAR);
    TH(t, 3000, A, 0, 0, 55, HMAP_TH_INSERT);
    TH(t, 3500, A, 1, 0, 56, HMAP_TH_INSERT);
    CU_ASSERT_EQUAL(tb_close(t), 0);
}

/* Two deletes never resolved (censored at ages 4096 and 2048 ns), two reused
 * after 1024 and 1536: KM survival 3/4 at 1024, 1/2 at 1536 -> median 1536.
 * (Values with few significant bits are exact in the percentile histogram.) */
static void write_censored(int twin)
{
    struct tb *t = start(twin);
    CREATE(t, 0, 0);
    ARRAY(t, 0, A, 1, 2);
    for (int s = 0; s < 4; s++)
        TH(t, 100, A, s, 0, 200 + s, HMAP_TH_INSERT);
    TH(t, 1000, A, 0, 200, 1, HMAP_TH_DELETE);
    TH(t, 2500, A, 2, 202, 1, HMAP_TH_DELETE);
    TH(t, 2600, A, 3, 203, 1, HMAP_TH_DELETE);
    TH(t, 3048, A, 1, 201, 1, HMAP_TH_DELETE);
    TH(t, 3524, A, 2, 1, 210, HMAP_TH_INSERT);
    TH(t, 4136, A, 3, 1, 211, HMAP_TH_INSERT);
    TH(t, 5096, A + BS, 0, 0, 50, HMAP_TH_INSERT);
    CU_ASSERT_EQUAL(tb_close(t), 0);
}

/* A lost record covering [1500, 1600] touches the delete at 1000 reused at
 * 2000, not the one at 3000 reused at 4000. */
static void write_lost(int twin)
{
    struct tb *t = start(twin);
    CREATE(t, 0, 0);
    ARRAY(t, 0, A, 1, 2);
    TH(t, 100, A, 0, 0, 200, HMAP_TH_INSERT);
    TH(t, 1000, A, 0, 200, 1, HMAP_TH_DELETE);
    tb_lost(t, 1600, 5, 1500, 1600);
    TH(t, 2000, A, 0, 1, 201, HMAP_TH_INSERT);
    TH(t, 2100, A, 1, 0, 202, HMAP_TH_INSERT);
    TH(t, 3000, A, 1, 202, 1, HMAP_TH_DELETE);
    TH(t, 4000, A, 1, 1, 203, HMAP_TH_INSERT);
    CU_ASSERT_EQUAL(tb_close(t), 0);
}

/* Each class of unmatched event once; the delete whose allocation is
 * overwritten by a second allocation at the same address is unresolved. */
static void write_unmatched(int twin)
{
    struct tb *t = start(twin);
    CREATE(t, 0, 0);
    ARRAY(t, 0, A, 1, 2);
    FREE(t, 100, 0xdead000, BS, HMAP_MEM_OVERFLOW, HMAP_FREE_UNLINK);
    TH(t, 200, 0xbeef000, 0, 0, 5, HMAP_TH_INSERT);
    TH(t, 300, A, 0, 0, 9, HMAP_TH_INSERT);
    TH(t, 400, A, 0, 9, 1, HMAP_TH_DELETE);
    ARRAY(t, 500, A, 1, 2);
    TB(t, 600, bucket_array_alloc, .map = M2, .addr = N, .B = 0, .nbuckets = 1, .nprealloc = 0,
       .bytes = BS);
    TH(t, 700, A, 9, 0, 9, HMAP_TH_INSERT); /* slot 9 does not exist */
    CU_ASSERT_EQUAL(tb_close(t), 0);
}

/* One overflow bucket per free reason of the schema, r = 0..5 in schema
 * order (grow_done, evacuated, unlink, clear, destroy, shrink): bucket
 * O + r*4096 gets an entry at 100 + r, deleted at 1000 + 100r, and is freed
 * with reason r at 10000 + 1000r, so the delete's latency is 9000 + 900r.
 * While running (grow_done, evacuated, unlink, shrink): 9000, 9900, 10800,
 * 13500 -> 4 deletes, p50 9900, max 13500.  Teardown (clear, destroy):
 * 11700, 12600 -> 2 deletes, p50 11700, max 12600. */
static void write_free_reasons(int twin)
{
    struct tb *t = start(twin);
    CREATE(t, 0, 0);
    ARRAY(t, 0, A, 1, 2);
    for (int r = 0; r < HMAP_ENUM_COUNT(free_reason); r++) {
        uint64_t o = O + (uint64_t)r * 4096;
        TB(t, 50 + r, overflow_alloc, .map = M, .addr = o, .parent = A,
           .source = HMAP_OVF_ALLOCATOR, .bytes = BS);
        TH(t, 100 + r, o, 0, 0, 90, HMAP_TH_INSERT);
    }
    for (int r = 0; r < HMAP_ENUM_COUNT(free_reason); r++)
        TH(t, 1000 + 100 * r, O + (uint64_t)r * 4096, 0, 90, 1, HMAP_TH_DELETE);
    for (int r = 0; r < HMAP_ENUM_COUNT(free_reason); r++)
        FREE(t, 10000 + 1000 * r, O + (uint64_t)r * 4096, BS, HMAP_MEM_OVERFLOW, r);
    CU_ASSERT_EQUAL(tb_close(t), 0);
}

/* A bucket_free whose reason is outside the schema: bad_field, and its
 * delete counts as teardown, never as reclaim while running. */
static void write_free_reason_unknown(int twin)
{
    struct tb *t = start(twin);
    CREATE(t, 0, 0);
    ARRAY(t, 0, A, 1, 2);
    TB(t, 50, overflow_alloc, .map = M, .addr = O, .parent = A, .source = HMAP_OVF_ALLOCATOR,
       .bytes = BS);
    TH(t, 100, O, 0, 0, 90, HMAP_TH_INSERT);
    TH(t, 1000, O, 0, 90, 1, HMAP_TH_DELETE);
    FREE(t, 2000, O, BS, HMAP_MEM_OVERFLOW, 200);
    CU_ASSERT_EQUAL(tb_close(t), 0);
}

/* ---- state dumps and indirect objects ------------------------------------------ */

#define X1 0x7f0000050000ull /* indirect values of 200 bytes */
#define X2 0x7f0000051000ull
#define X3 0x7f0000052000ull
#define X4 0x7f0000053000ull
#define OBJ 200
#define BEGIN(t, ts, map_, b, old, trig)                                                           \
    TB(t, ts, state_begin, .map = map_, .count = 0, .B = b, .flags = 0, .old_addr = old,           \
       .nevacuate = 0, .noverflow = 0, .trigger = trig)
#define END(t, ts, map_, st)                                                                       \
    TB(t, ts, state_end, .map = map_, .blocks = 0, .slots = 0, .objects = 0, .status = st)
#define STATE(t, ts, bucket_, slot_, th) TH(t, ts, bucket_, slot_, 0, th, HMAP_TH_STATE)
#define OALLOC(t, ts, addr_)                                                                       \
    TB(t, ts, indirect_alloc, .map = M, .addr = addr_, .bytes = OBJ, .kind = HMAP_INDIRECT_VALUE)
#define OFREE(t, ts, addr_, why)                                                                   \
    TB(t, ts, indirect_free, .map = M, .addr = addr_, .bytes = OBJ, .kind = HMAP_INDIRECT_VALUE,   \
       .reason = why)
#define CREATE_BIG(t, ts)                                                                          \
    TB(t, ts, map_create, .map = M, .key_size = 8, .val_size = OBJ, .bucket_size = BS,             \
       .reclaim = HMAP_RECLAIM_GO_ID, .type_name = "map[int64]big")

/* A map that existed before the trace, dumped at 1000: a B=1 array with one
 * preallocated overflow bucket (3 * 144 bytes) whose chain 0 is A -> A+288
 * (prealloc) -> O (allocator); slots live in all three, a tombstone in A,
 * an indirect value per live slot (X1..X3, 200 bytes each).  Held at its
 * state_end: 576 bucket bytes + 600 indirect.  Then, in the trace: A slot
 * 0 deleted at 2000 (X1 freed, delete), reinserted at 3000 (X4), O's slot
 * deleted at 3500 and O unlinked and freed at 4000 (unlink: while
 * running), X2 freed by clear and X3 by a failed insert (unused), and a
 * free of an object never seen. */
static void write_state_dump(int twin)
{
    struct tb *t = start(twin);
    BEGIN(t, 1000, M, 1, 0, HMAP_STATE_BY_RECORDER);
    CREATE_BIG(t, 1000);
    TB(t, 1000, map_info, .map = M, .site = 0x401234, .site_off = 0x1234, .object = "/usr/bin/app",
       .name = "sessions");
    TB(t, 1000, bucket_array_alloc, .map = M, .addr = A, .B = 1, .nbuckets = 2, .nprealloc = 1,
       .bytes = 3 * BS);
    TB(t, 1000, overflow_alloc, .map = M, .addr = A + 2 * BS, .parent = A,
       .source = HMAP_OVF_PREALLOC, .bytes = BS);
    TB(t, 1000, overflow_alloc, .map = M, .addr = O, .parent = A + 2 * BS,
       .source = HMAP_OVF_ALLOCATOR, .bytes = BS);
    STATE(t, 1000, A, 0, 200);
    STATE(t, 1000, A, 1, HMAP_TOPHASH_EMPTY_ONE);
    STATE(t, 1000, A + 2 * BS, 0, 201);
    STATE(t, 1000, O, 0, 202);
    OALLOC(t, 1000, X1);
    OALLOC(t, 1000, X2);
    OALLOC(t, 1000, X3);
    END(t, 1000, M, HMAP_STATE_OK);
    TB(t, 1000, statedump_done, .maps = 1, .deferred = 0, .unsafe = 0,
       .trigger = HMAP_STATE_BY_RECORDER);
    TH(t, 2000, A, 0, 200, 1, HMAP_TH_DELETE);
    OFREE(t, 2000, X1, HMAP_OBJ_DELETE);
    TH(t, 3000, A, 0, 1, 203, HMAP_TH_INSERT);
    OALLOC(t, 3000, X4);
    TH(t, 3500, O, 0, 202, 1, HMAP_TH_DELETE);
    TB(t, 4000, overflow_unlink, .map = M, .addr = O, .prev = A + 2 * BS,
       .cause = HMAP_UNLINK_EMPTIED);
    FREE(t, 4000, O, BS, HMAP_MEM_OVERFLOW, HMAP_FREE_UNLINK);
    OFREE(t, 4500, X2, HMAP_OBJ_CLEAR);
    OFREE(t, 4600, X3, HMAP_OBJ_UNUSED);
    OFREE(t, 4700, 0xbad0000, HMAP_OBJ_DELETE);
    CU_ASSERT_EQUAL(tb_close(t), 0);
}

/* The probes went live before the dump: map M's events at 100..180 come
 * before its state.  A delete in an unknown bucket (unknown_map,
 * write_unknown_bucket), a free of unknown memory (free_without_alloc):
 * moved to before_state by the bracket.  The new array N of a growth
 * (allocated at 150, an entry copied into it at 160) is listed again by
 * the dump: adopted, its dumped slot not counted twice.  The overflow
 * bucket O taken at 180 is not listed: unlisted_alloc.  The old array A
 * comes from the dump; its slot deleted at 2000 is a delete. */
static void write_before_state(int twin)
{
    struct tb *t = start(twin);
    TH(t, 100, A, 2, 205, 1, HMAP_TH_DELETE);
    TB(t, 150, bucket_array_alloc, .map = M, .addr = N, .B = 2, .nbuckets = 4, .nprealloc = 0,
       .bytes = 4 * BS);
    TH(t, 160, N, 0, 0, 210, HMAP_TH_EVAC_COPY);
    FREE(t, 170, 0xdead000, BS, HMAP_MEM_OVERFLOW, HMAP_FREE_EVACUATED);
    TB(t, 180, overflow_alloc, .map = M, .addr = O, .parent = N, .source = HMAP_OVF_ALLOCATOR,
       .bytes = BS);
    BEGIN(t, 1000, M, 2, A, HMAP_STATE_BY_USDT);
    CREATE(t, 1000, 0);
    ARRAY(t, 1000, A, 1, 2);
    ARRAY(t, 1000, N, 2, 4);
    STATE(t, 1000, A, 0, HMAP_TOPHASH_EVACUATED_X);
    STATE(t, 1000, A + BS, 1, 207);
    STATE(t, 1000, N, 0, 210);
    END(t, 1000, M, HMAP_STATE_OK);
    TH(t, 2000, A + BS, 1, 207, 1, HMAP_TH_DELETE);
    CU_ASSERT_EQUAL(tb_close(t), 0);
}

/* A second bracket of a known map says nothing: M was created in the trace,
 * M2 was dumped at 1000 and again at 2000.  Both later brackets are ignored
 * (no double_create, no double_alloc, slots not counted twice). */
static void write_redundant_dump(int twin)
{
    struct tb *t = start(twin);
    CREATE(t, 0, 0);
    ARRAY(t, 0, A, 1, 2);
    TH(t, 100, A, 0, 0, 200, HMAP_TH_INSERT);
    BEGIN(t, 1000, M2, 0, 0, HMAP_STATE_BY_RECORDER);
    TB(t, 1000, map_create, .map = M2, .key_size = 8, .val_size = 8, .bucket_size = BS,
       .type_name = "m2");
    TB(t, 1000, bucket_array_alloc, .map = M2, .addr = N, .B = 0, .nbuckets = 1, .bytes = BS);
    TB(t, 1000, tophash_write, .map = M2, .bucket = N, .slot = 0, .new_th = 99,
       .cause = HMAP_TH_STATE);
    END(t, 1000, M2, HMAP_STATE_OK);
    BEGIN(t, 1500, M, 1, 0, HMAP_STATE_BY_USDT);
    CREATE(t, 1500, 0);
    ARRAY(t, 1500, A, 1, 2);
    TH(t, 1500, A + BS, 0, 0, 200, HMAP_TH_STATE); /* a bracket from another time */
    TH(t, 1500, A, 0, 0, 200, HMAP_TH_STATE);
    END(t, 1500, M, HMAP_STATE_OK);
    BEGIN(t, 2000, M2, 0, 0, HMAP_STATE_BY_LTTNG);
    TB(t, 2000, map_create, .map = M2, .key_size = 8, .val_size = 8, .bucket_size = BS,
       .type_name = "m2");
    TB(t, 2000, bucket_array_alloc, .map = M2, .addr = N, .B = 0, .nbuckets = 1, .bytes = BS);
    TB(t, 2000, tophash_write, .map = M2, .bucket = N, .slot = 0, .new_th = 99,
       .cause = HMAP_TH_STATE);
    END(t, 2000, M2, HMAP_STATE_OK);
    CU_ASSERT_EQUAL(tb_close(t), 0);
}

/* M is busy at the dump (an empty bracket at 1000), then dumps itself at
 * its next write (trigger writer, 2000); M2 cannot be read (unsafe). */
static void write_busy_dump(int twin)
{
    struct tb *t = start(twin);
    BEGIN(t, 1000, M, 0, 0, HMAP_STATE_BY_RECORDER);
    END(t, 1000, M, HMAP_STATE_BUSY);
    BEGIN(t, 1000, M2, 0, 0, HMAP_STATE_BY_RECORDER);
    END(t, 1000, M2, HMAP_STATE_UNSAFE);
    TB(t, 1000, statedump_done, .maps = 0, .deferred = 1, .unsafe = 1,
       .trigger = HMAP_STATE_BY_RECORDER);
    BEGIN(t, 2000, M, 1, 0, HMAP_STATE_BY_WRITER);
    CREATE(t, 2000, 0);
    ARRAY(t, 2000, A, 1, 2);
    STATE(t, 2000, A, 0, 200);
    END(t, 2000, M, HMAP_STATE_OK);
    TH(t, 2100, A, 1, 0, 201, HMAP_TH_INSERT);
    CU_ASSERT_EQUAL(tb_close(t), 0);
}

static void write_text(const char *s)
{
    FILE *f = fopen(path_txt, "w");
    fputs(s, f);
    fclose(f);
}

/* CPU 1's buffer printed before CPU 0's: the window restores time order. */
static void write_reordered_text(int twin)
{
    write_text(
        "HMEV 0 1 1 map_create map=0x10 key_size=8 val_size=8 bucket_size=144 pointerful=0 "
        "reclaim=0 hint=0 type_name=m\n"
        "HMEV 0 1 1 bucket_array_alloc map=0x10 addr=0x1000 B=0 nbuckets=1 nprealloc=0 bytes=144\n"
        "HMEV 300 1 1 tophash_write map=0x10 bucket=0x1000 slot=0 old_th=1 new_th=9 cause=0\n"
        "HMEV 100 1 1 tophash_write map=0x10 bucket=0x1000 slot=0 old_th=0 new_th=8 cause=0\n"
        "HMEV 200 1 1 tophash_write map=0x10 bucket=0x1000 slot=0 old_th=8 new_th=1 cause=1\n");
}

/* ---- scenarios: a trace, and the figures worked out by hand ---------------- */

/* Every figure a scenario can check: FIGURES(X) gives X(name, value), where
 * the value may use r (the result) and i (the check's index: an outcome, an
 * unmatched class, a map or a delete row). */
#define FIGURES(X)                                                                                 \
    X(EVENTS, r->t->events)                                                                        \
    X(DELETES, r->t->deletes)                                                                      \
    X(OUTCOME, r->t->outcome[i])                                                                   \
    X(CLEARED, r->t->cleared)                                                                      \
    X(REUSE_COUNT, r->t->reuse.count)                                                              \
    X(REUSE_MAX, r->t->reuse.max)                                                                  \
    X(REUSE_P50, bs_hist_quantile(&r->t->reuse, 0.5))                                              \
    X(FREED_MAX, r->t->freed.max)                                                                  \
    X(FREED_COUNT, r->t->freed.count)                                                              \
    X(FREED_P50, bs_hist_quantile(&r->t->freed, 0.5))                                              \
    X(RUNNING_COUNT, r->t->freed_class[BS_FREE_RUNNING].count)                                     \
    X(RUNNING_MAX, r->t->freed_class[BS_FREE_RUNNING].max)                                         \
    X(RUNNING_P50, bs_hist_quantile(&r->t->freed_class[BS_FREE_RUNNING], 0.5))                     \
    X(TEARDOWN_COUNT, r->t->freed_class[BS_FREE_TEARDOWN].count)                                   \
    X(TEARDOWN_MAX, r->t->freed_class[BS_FREE_TEARDOWN].max)                                       \
    X(TEARDOWN_P50, bs_hist_quantile(&r->t->freed_class[BS_FREE_TEARDOWN], 0.5))                   \
    X(FREED_REASON, r->t->freed_reason[i])                                                         \
    X(MAP_FREED_RUNNING, r->maps[i].freed_class[BS_FREE_RUNNING])                                  \
    X(MAP_FREED_TEARDOWN, r->maps[i].freed_class[BS_FREE_TEARDOWN])                                \
    X(RETAINED_COUNT, r->t->retained.count)                                                        \
    X(RETAINED_MAX, r->t->retained.max)                                                            \
    X(RETAINED_P50, bs_hist_quantile(&r->t->retained, 0.5))                                        \
    X(KM_REACHED, km_median(r, NULL))                                                              \
    X(KM_MEDIAN, km_median(r, &km))                                                                \
    X(BYTES_HELD, r->t->all.bytes_held)                                                            \
    X(PEAK_HELD, r->t->all.peak_held)                                                              \
    X(EMPTY_BYTES, bs_empty_bytes(&r->t->all))                                                     \
    X(PEAK_EMPTY, r->t->all.peak_empty)                                                            \
    X(EMPTY_BYTE_NS, r->t->all.empty_byte_ns)                                                      \
    X(TOMBSTONES, r->t->all.tombstones)                                                            \
    X(LIVE_BUCKETS, r->t->all.live_buckets)                                                        \
    X(LIVE_SLOTS, r->t->all.live_slots)                                                            \
    X(OVF_BUCKETS, r->t->all.ovf_buckets)                                                          \
    X(ARRAYS_ALLOC, r->t->arrays_alloc)                                                            \
    X(ARRAYS_FREED, r->t->arrays_freed)                                                            \
    X(ARRAYS_LIVE, r->t->arrays_live)                                                              \
    X(OVF_ALLOC, r->t->ovf_alloc)                                                                  \
    X(OVF_FREED, r->t->ovf_freed)                                                                  \
    X(MAPS_CREATED, r->t->maps_created)                                                            \
    X(MAPS_DESTROYED, r->t->maps_destroyed)                                                        \
    X(NMAPS, r->nmaps)                                                                             \
    X(MAP_SEQ, r->maps[i].seq)                                                                     \
    X(MAP_IMPLICIT, r->maps[i].implicit)                                                           \
    X(MAP_BUCKET_SIZE, r->maps[i].bucket_size)                                                     \
    X(MAP_EMPTY_BYTE_NS, r->maps[i].g.empty_byte_ns)                                               \
    X(MAP_GROWS, r->maps[i].grows)                                                                 \
    X(MAP_EVACUATIONS, r->maps[i].evacuations)                                                     \
    X(MAP_MOVED, r->maps[i].moved)                                                                 \
    X(MAP_GROWING, r->maps[i].growing)                                                             \
    X(MAP0_FREED, r->maps[0].outcome[BS_FREED])                                                    \
    X(MAP1_RETAINED, r->maps[1].outcome[BS_RETAINED])                                              \
    X(UNMATCHED, r->t->unmatched[i])                                                               \
    X(LOST_EVENTS, r->t->lost_events)                                                              \
    X(LOST_RECORDS, r->t->lost_records)                                                            \
    X(NLOST, r->nlost)                                                                             \
    X(MAYBE_LOST, r->t->maybe_lost)                                                                \
    X(ROWS, nrows)                                                                                 \
    X(ROW_DELETE_NS, rows[i].delete_ns)                                                            \
    X(ROW_END_NS, rows[i].end_ns)                                                                  \
    X(ROW_LATENCY, rows[i].end_ns - rows[i].delete_ns)                                             \
    X(ROW_BUCKET, rows[i].bucket)                                                                  \
    X(ROW_FREE_REASON, rows[i].free_reason)                                                        \
    X(ROW_FREE_CLASS, bs_free_class(rows[i].free_reason))                                          \
    X(ROW_MAYBE_LOST, rows[i].maybe_lost)                                                          \
    X(IN_USE_BUCKETS, r->t->all.in_use_buckets)                                                    \
    X(BUCKET_BYTES, bs_bucket_bytes(&r->t->all))                                                   \
    X(INDIRECT_HELD, r->t->all.indirect_held)                                                      \
    X(OBJECTS, r->t->all.objects)                                                                  \
    X(PEAK_BUCKET, r->t->all.peak_bucket)                                                          \
    X(PEAK_INDIRECT, r->t->all.peak_indirect)                                                      \
    X(OBJ_ALLOC, r->t->obj.alloc)                                                                  \
    X(OBJ_ATTACH, r->t->obj.attach)                                                                \
    X(OBJ_FREED, r->t->obj.freed[i])                                                               \
    X(RECL_BUCKET, r->t->reclaimed.bucket[i])                                                      \
    X(RECL_INDIRECT, r->t->reclaimed.indirect[i])                                                  \
    X(RECL_UNUSED, r->t->reclaimed.indirect_unused)                                                \
    X(MAP_RECL_INDIRECT, r->maps[0].reclaimed.indirect[i])                                         \
    X(MAPS_ATTACHED, r->t->maps_attached)                                                          \
    X(ARRAYS_ATTACH, r->t->arrays_attach)                                                          \
    X(OVF_ATTACH, r->t->ovf_attach)                                                                \
    X(HAVE_STATE, r->t->have_state)                                                                \
    X(STATE_NS, r->t->state_ns)                                                                    \
    X(BRACKETS, r->t->brackets[i])                                                                 \
    X(REDUNDANT, r->t->redundant_dumps)                                                            \
    X(BEFORE_STATE, r->t->before_state)                                                            \
    X(DUMP_DEFERRED, r->t->dump_deferred)                                                          \
    X(DUMP_PASSES, r->t->dump_passes)                                                              \
    X(MAP_BEFORE_STATE, r->maps[i].before_state)                                                   \
    X(MAP_ATTACHED, r->maps[i].st.attached)                                                        \
    X(MAP_STATUS, r->maps[i].st.status)                                                            \
    X(MAP_TRIGGER, r->maps[i].st.trigger)                                                          \
    X(MAP_STATE_NS, r->maps[i].st.ns)                                                              \
    X(MAP_STATE_BUCKET, r->maps[i].st.bucket_bytes)                                                \
    X(MAP_STATE_INDIRECT, r->maps[i].st.indirect_bytes)                                            \
    X(MAP_HAS_INFO, r->maps[i].has_info)                                                           \
    X(MAP_SITE_OFF, r->maps[i].site_off)                                                           \
    X(MAP_OBJ_SIZE_VAL, r->maps[i].obj_size[HMAP_INDIRECT_VALUE])

enum figure {
    F_NONE, /* ends a scenario's checks */
#define FIG_ENUM_(name, value) F_##name,
    FIGURES(FIG_ENUM_)
#undef FIG_ENUM_
};
static const char *const figure_name[] = {"NONE",
#define FIG_NAME_(name, value) #name,
                                          FIGURES(FIG_NAME_)
#undef FIG_NAME_
};

/* The Kaplan-Meier median: 1 if reached (and *out set), else 0; with out
 * given, returns the median itself. */
static uint64_t km_median(const struct result *r, uint64_t *out)
{
    uint64_t km = 0;
    int reached = bs_km_median(&r->t->resolved, &r->t->retained, &km);
    if (out) *out = km;
    return out ? km : (uint64_t)reached;
}

static double figure(const struct result *r, enum figure f, int i)
{
    uint64_t km;
    switch (f) {
    case F_NONE:
        break;
#define FIG_CASE_(name, value)                                                                     \
    case F_##name:                                                                                 \
        return (double)(value);
        FIGURES(FIG_CASE_)
#undef FIG_CASE_
    }
    return -1;
}

struct check {
    enum figure f;
    int i;       /* index for the figures that take one */
    double want; /* exact, unless tol */
    double tol;
};

/* Figure f (at index i) is exactly want, or within tol of it. */
#define EQ(f, i, want)                                                                             \
    {                                                                                              \
        F_##f, i, want, 0                                                                          \
    }
#define NEAR(f, i, want, tol)                                                                      \
    {                                                                                              \
        F_##f, i, want, tol                                                                        \
    }

#define MAX_CHECKS 48
struct scenario {
    const char *name;
    void (*write)(int twin);         /* the trace, into path_bin (or path_txt if text) */
    int text;                        /* read path_txt: a hand-written bpftrace file */
    int clean;                       /* also: every class of unmatched event is 0 */
    struct check checks[MAX_CHECKS]; /* up to the first F_NONE */
};

static const struct scenario scenarios[] = {
    {.name = "slot reuse",
     .write = write_slot_reuse,
     .checks = {EQ(DELETES, 0, 1), EQ(OUTCOME, BS_REUSED, 1), EQ(OUTCOME, BS_FREED, 0),
                EQ(OUTCOME, BS_RETAINED, 0), EQ(REUSE_COUNT, 0, 1), EQ(REUSE_MAX, 0, 2000),
                EQ(REUSE_P50, 0, 2000), EQ(ROWS, 0, 1), EQ(ROW_DELETE_NS, 0, 1000),
                EQ(ROW_END_NS, 0, 3000),
                /* 288 bytes held; 2 live entries of 18 bytes at the end. */
                EQ(BYTES_HELD, 0, 288), EQ(PEAK_HELD, 0, 288), EQ(EMPTY_BYTES, 0, 288 - 36),
                EQ(PEAK_EMPTY, 0, 288), EQ(TOMBSTONES, 0, 0), EQ(LIVE_BUCKETS, 0, 2),
                /* empty bytes over time: 288*100 + 270*900 + 288*2000 + 270*2000 */
                NEAR(EMPTY_BYTE_NS, 0, 1387800.0, 0.5),
                NEAR(MAP_EMPTY_BYTE_NS, 0, 1387800.0, 0.5)}},
    {.name = "free at growth end",
     .write = write_growth_end,
     .clean = 1,
     .checks = {EQ(DELETES, 0, 1), EQ(OUTCOME, BS_FREED, 1), EQ(OUTCOME, BS_REUSED, 0),
                EQ(FREED_MAX, 0, 3000), EQ(ROWS, 0, 1), EQ(ROW_FREE_REASON, 0, HMAP_FREE_GROW_DONE),
                /* grow_done gives memory back while the program runs */
                EQ(RUNNING_COUNT, 0, 1), EQ(RUNNING_MAX, 0, 3000), EQ(TEARDOWN_COUNT, 0, 0),
                EQ(MAP_FREED_RUNNING, 0, 1), EQ(ARRAYS_ALLOC, 0, 2), EQ(ARRAYS_FREED, 0, 1),
                EQ(ARRAYS_LIVE, 0, 1), EQ(BYTES_HELD, 0, 4 * BS), EQ(PEAK_HELD, 0, 6 * BS),
                EQ(LIVE_SLOTS, 0, 2), EQ(MAP_GROWS, 0, 1), EQ(MAP_EVACUATIONS, 0, 2),
                EQ(MAP_MOVED, 0, 1), EQ(MAP_GROWING, 0, 0)}},
    {.name = "address reuse after free",
     .write = write_address_reuse,
     .checks = {EQ(DELETES, 0, 2), EQ(OUTCOME, BS_FREED, 1), EQ(OUTCOME, BS_REUSED, 0),
                EQ(OUTCOME, BS_RETAINED, 1), EQ(FREED_MAX, 0, 1000), EQ(RETAINED_MAX, 0, 4000),
                EQ(NMAPS, 0, 2), EQ(MAP_SEQ, 1, 1), EQ(MAP0_FREED, 0, 1), EQ(MAP1_RETAINED, 0, 1),
                EQ(MAPS_CREATED, 0, 2), EQ(MAPS_DESTROYED, 0, 1),
                EQ(UNMATCHED, BS_UM_DOUBLE_ALLOC, 0), EQ(UNMATCHED, BS_UM_UNKNOWN_MAP, 0),
                /* freed by destroy: teardown, not reclaim while running */
                EQ(TEARDOWN_COUNT, 0, 1), EQ(TEARDOWN_MAX, 0, 1000), EQ(RUNNING_COUNT, 0, 0),
                EQ(MAP_FREED_TEARDOWN, 0, 1), EQ(MAP_FREED_RUNNING, 0, 0),
                EQ(ROW_FREE_CLASS, 0, BS_FREE_TEARDOWN)}},
    {.name = "evacuation frees overflow chain",
     .write = write_evacuation,
     .checks = {EQ(DELETES, 0, 2), EQ(OUTCOME, BS_FREED, 2), EQ(ROWS, 0, 2), EQ(ROW_BUCKET, 0, O),
                EQ(ROW_LATENCY, 0, 2000), EQ(ROW_FREE_REASON, 0, HMAP_FREE_EVACUATED),
                EQ(ROW_BUCKET, 1, A), EQ(ROW_LATENCY, 1, 3500), EQ(OVF_ALLOC, 0, 1),
                EQ(OVF_FREED, 0, 1), EQ(OVF_BUCKETS, 0, 0), EQ(LIVE_SLOTS, 0, 8),
                EQ(BYTES_HELD, 0, 4 * BS), EQ(PEAK_HELD, 0, 7 * BS), EQ(MAP_MOVED, 0, 7),
                /* evacuated and grow_done: both while running */
                EQ(RUNNING_COUNT, 0, 2), EQ(TEARDOWN_COUNT, 0, 0),
                EQ(FREED_REASON, HMAP_FREE_EVACUATED, 1),
                EQ(FREED_REASON, HMAP_FREE_GROW_DONE, 1)}},
    {.name = "clear",
     .write = write_clear,
     .checks = {EQ(DELETES, 0, 1), EQ(CLEARED, 0, 3), EQ(OUTCOME, BS_REUSED, 1),
                EQ(REUSE_MAX, 0, 2500), EQ(OUTCOME, BS_FREED, 0), EQ(TOMBSTONES, 0, 0),
                EQ(LIVE_SLOTS, 0, 2), EQ(OVF_FREED, 0, 1), EQ(BYTES_HELD, 0, 2 * BS)}},
    {.name = "censored deletes and KM median",
     .write = write_censored,
     .checks = {EQ(DELETES, 0, 4), EQ(OUTCOME, BS_REUSED, 2), EQ(OUTCOME, BS_RETAINED, 2),
                EQ(RETAINED_COUNT, 0, 2), EQ(RETAINED_MAX, 0, 4096), EQ(RETAINED_P50, 0, 2048),
                EQ(REUSE_MAX, 0, 1536), EQ(TOMBSTONES, 0, 2), EQ(KM_REACHED, 0, 1),
                EQ(KM_MEDIAN, 0, 1536)}},
    {.name = "lost-event record",
     .write = write_lost,
     .checks = {EQ(LOST_EVENTS, 0, 5), EQ(LOST_RECORDS, 0, 1), EQ(NLOST, 0, 1), EQ(DELETES, 0, 2),
                EQ(OUTCOME, BS_REUSED, 2), EQ(MAYBE_LOST, 0, 1), EQ(ROWS, 0, 2),
                EQ(ROW_MAYBE_LOST, 0, 1), EQ(ROW_MAYBE_LOST, 1, 0)}},
    {.name = "unmatched events",
     .write = write_unmatched,
     .checks = {EQ(UNMATCHED, BS_UM_FREE_WITHOUT_ALLOC, 1),
                EQ(UNMATCHED, BS_UM_WRITE_UNKNOWN_BUCKET, 1), EQ(UNMATCHED, BS_UM_DOUBLE_ALLOC, 1),
                EQ(UNMATCHED, BS_UM_UNKNOWN_MAP, 1), EQ(UNMATCHED, BS_UM_BAD_FIELD, 1),
                EQ(DELETES, 0, 1), EQ(OUTCOME, BS_UNRESOLVED, 1), EQ(BYTES_HELD, 0, 3 * BS),
                EQ(NMAPS, 0, 2), EQ(MAP_IMPLICIT, 1, 1), EQ(MAP_BUCKET_SIZE, 1, BS)}},
    {.name = "free reasons by class",
     .write = write_free_reasons,
     .clean = 1,
     .checks = {EQ(DELETES, 0, 6),
                EQ(OUTCOME, BS_FREED, 6),
                EQ(FREED_COUNT, 0, 6),
                EQ(FREED_MAX, 0, 13500),
                EQ(FREED_P50, 0, 10800),
                EQ(RUNNING_COUNT, 0, 4),
                EQ(RUNNING_P50, 0, 9900),
                EQ(RUNNING_MAX, 0, 13500),
                EQ(TEARDOWN_COUNT, 0, 2),
                EQ(TEARDOWN_P50, 0, 11700),
                EQ(TEARDOWN_MAX, 0, 12600),
                EQ(MAP_FREED_RUNNING, 0, 4),
                EQ(MAP_FREED_TEARDOWN, 0, 2),
                EQ(FREED_REASON, HMAP_FREE_CLEAR, 1),
                EQ(FREED_REASON, HMAP_FREE_SHRINK, 1),
                EQ(ROWS, 0, 6),
                EQ(ROW_FREE_CLASS, HMAP_FREE_GROW_DONE, BS_FREE_RUNNING),
                EQ(ROW_FREE_CLASS, HMAP_FREE_EVACUATED, BS_FREE_RUNNING),
                EQ(ROW_FREE_CLASS, HMAP_FREE_UNLINK, BS_FREE_RUNNING),
                EQ(ROW_FREE_CLASS, HMAP_FREE_CLEAR, BS_FREE_TEARDOWN),
                EQ(ROW_FREE_CLASS, HMAP_FREE_DESTROY, BS_FREE_TEARDOWN),
                EQ(ROW_FREE_CLASS, HMAP_FREE_SHRINK, BS_FREE_RUNNING),
                EQ(ROW_FREE_REASON, 5, HMAP_FREE_SHRINK),
                EQ(ROW_LATENCY, 5, 13500)}},
    {.name = "free reason outside the schema",
     .write = write_free_reason_unknown,
     .checks = {EQ(UNMATCHED, BS_UM_BAD_FIELD, 1), EQ(OUTCOME, BS_FREED, 1),
                EQ(TEARDOWN_COUNT, 0, 1), EQ(RUNNING_COUNT, 0, 0), EQ(MAP_FREED_TEARDOWN, 0, 1),
                EQ(ROW_FREE_CLASS, 0, BS_FREE_TEARDOWN)}},
    {.name = "state dump and indirect objects",
     .write = write_state_dump,
     .checks =
         {/* held at the dump: 576 bucket bytes + 600 indirect; at the end A's 432
           * and X4's 200 */
          EQ(MAP_STATE_BUCKET, 0, 576), EQ(MAP_STATE_INDIRECT, 0, 600), EQ(BYTES_HELD, 0, 632),
          EQ(BUCKET_BYTES, 0, 432), EQ(INDIRECT_HELD, 0, 200), EQ(OBJECTS, 0, 1),
          EQ(PEAK_HELD, 0, 1176), EQ(PEAK_BUCKET, 0, 576), EQ(PEAK_INDIRECT, 0, 600),
          /* the dump is state: attached, not created or allocated in the trace */
          EQ(MAPS_ATTACHED, 0, 1), EQ(MAPS_CREATED, 0, 0), EQ(ARRAYS_ATTACH, 0, 1),
          EQ(OVF_ATTACH, 0, 1), EQ(ARRAYS_ALLOC, 0, 0), EQ(OVF_ALLOC, 0, 0), EQ(OBJ_ATTACH, 0, 3),
          EQ(OBJ_ALLOC, 0, 1), EQ(MAP_IMPLICIT, 0, 0),
          /* slots live before the trace are counted: the delete of A's slot 0
           * leaves 2 live, its reuse 3, O's delete and free 2 */
          EQ(LIVE_SLOTS, 0, 2), EQ(TOMBSTONES, 0, 1), EQ(IN_USE_BUCKETS, 0, 3),
          EQ(OVF_BUCKETS, 0, 1), EQ(DELETES, 0, 2), EQ(OUTCOME, BS_REUSED, 1),
          EQ(OUTCOME, BS_FREED, 1), EQ(RUNNING_COUNT, 0, 1),
          /* bytes given back, split */
          EQ(RECL_BUCKET, BS_FREE_RUNNING, BS), EQ(RECL_BUCKET, BS_FREE_TEARDOWN, 0),
          EQ(RECL_INDIRECT, BS_FREE_RUNNING, OBJ), EQ(RECL_INDIRECT, BS_FREE_TEARDOWN, OBJ),
          EQ(RECL_UNUSED, 0, OBJ), EQ(MAP_RECL_INDIRECT, BS_FREE_RUNNING, OBJ),
          EQ(OBJ_FREED, HMAP_OBJ_DELETE, 1), EQ(OBJ_FREED, HMAP_OBJ_DESTROY, 0),
          EQ(UNMATCHED, BS_UM_FREE_UNKNOWN_OBJECT, 1), EQ(UNMATCHED, BS_UM_WRITE_UNKNOWN_BUCKET, 0),
          /* who and when */
          EQ(HAVE_STATE, 0, 1), EQ(STATE_NS, 0, 1000), EQ(MAP_ATTACHED, 0, 1),
          EQ(MAP_HAS_INFO, 0, 1), EQ(MAP_SITE_OFF, 0, 0x1234)}},
    {.name = "events before the state dump",
     .write = write_before_state,
     .checks = {EQ(BEFORE_STATE, 0, 3), EQ(MAP_BEFORE_STATE, 0, 3),
                EQ(UNMATCHED, BS_UM_UNKNOWN_MAP, 0), EQ(UNMATCHED, BS_UM_WRITE_UNKNOWN_BUCKET, 0),
                EQ(UNMATCHED, BS_UM_FREE_WITHOUT_ALLOC, 0), EQ(UNMATCHED, BS_UM_DOUBLE_ALLOC, 0),
                EQ(UNMATCHED, BS_UM_UNLISTED_ALLOC, 1), EQ(NMAPS, 0, 1), EQ(MAP_IMPLICIT, 0, 0),
                EQ(MAPS_CREATED, 0, 0), EQ(MAPS_ATTACHED, 0, 1), EQ(ARRAYS_ALLOC, 0, 1),
                EQ(ARRAYS_ATTACH, 0, 1), EQ(OVF_ALLOC, 0, 1), EQ(OVF_BUCKETS, 0, 0),
                /* N's slot once (adopted), A+144's from the dump, then deleted */
                EQ(LIVE_SLOTS, 0, 1), EQ(TOMBSTONES, 0, 1), EQ(BYTES_HELD, 0, 6 * BS),
                EQ(IN_USE_BUCKETS, 0, 6), EQ(DELETES, 0, 1), EQ(OUTCOME, BS_RETAINED, 1),
                EQ(MAP_TRIGGER, 0, HMAP_STATE_BY_USDT), EQ(MAP_GROWING, 0, 1)}},
    {.name = "redundant state dumps",
     .write = write_redundant_dump,
     .clean = 1,
     .checks = {EQ(REDUNDANT, 0, 2), EQ(MAPS_CREATED, 0, 1), EQ(MAPS_ATTACHED, 0, 1),
                EQ(NMAPS, 0, 2), EQ(LIVE_SLOTS, 0, 2), EQ(BYTES_HELD, 0, 3 * BS),
                EQ(ARRAYS_ALLOC, 0, 1), EQ(ARRAYS_ATTACH, 0, 1), EQ(BRACKETS, HMAP_STATE_OK, 1),
                EQ(MAP_TRIGGER, 1, HMAP_STATE_BY_RECORDER), EQ(MAP_STATE_NS, 1, 1000)}},
    {.name = "busy map dumps itself at its next write",
     .write = write_busy_dump,
     .clean = 1,
     .checks = {EQ(BRACKETS, HMAP_STATE_OK, 1), EQ(BRACKETS, HMAP_STATE_BUSY, 1),
                EQ(BRACKETS, HMAP_STATE_UNSAFE, 1), EQ(NMAPS, 0, 2),
                EQ(MAP_STATUS, 0, HMAP_STATE_OK), EQ(MAP_TRIGGER, 0, HMAP_STATE_BY_WRITER),
                EQ(MAP_ATTACHED, 0, 1), EQ(MAP_STATE_NS, 0, 2000), EQ(MAP_STATE_BUCKET, 0, 2 * BS),
                EQ(MAP_STATUS, 1, HMAP_STATE_UNSAFE), EQ(MAP_ATTACHED, 1, 0), EQ(STATE_NS, 0, 1000),
                EQ(MAPS_ATTACHED, 0, 1), EQ(MAPS_CREATED, 0, 0), EQ(DUMP_DEFERRED, 0, 1),
                EQ(DUMP_PASSES, 0, 1), EQ(LIVE_SLOTS, 0, 2), EQ(REDUNDANT, 0, 0)}},
    {.name = "bpftrace reorder window",
     .write = write_reordered_text,
     .text = 1,
     .checks = {EQ(UNMATCHED, BS_UM_OUT_OF_ORDER, 0), EQ(UNMATCHED, BS_UM_DELETE_NOT_LIVE, 0),
                EQ(OUTCOME, BS_REUSED, 1), EQ(REUSE_MAX, 0, 100)}},
};
#define NSCENARIOS (sizeof(scenarios) / sizeof(scenarios[0]))

/* Write the scenario's trace, run it, and check each of its figures. */
static void run_scenario(const struct scenario *sc)
{
    sc->write(0);
    struct result r = run_file(sc->text ? path_txt : path_bin);
    for (const struct check *c = sc->checks; c < sc->checks + MAX_CHECKS && c->f != F_NONE; c++) {
        double got = figure(&r, c->f, c->i);
        if (!(got >= c->want - c->tol && got <= c->want + c->tol))
            fprintf(stderr, "%s: %s[%d] = %.1f, want %.1f\n", sc->name, figure_name[c->f], c->i,
                    got, c->want);
        CU_ASSERT_DOUBLE_EQUAL(got, c->want, c->tol);
    }
    if (sc->clean)
        for (int i = 0; i < BS_UM_COUNT; i++)
            CU_ASSERT_EQUAL(r.t->unmatched[i], 0);
    done(r);
}

/* One CUnit test per scenario, so failures name it. */
#define SCENARIO_TEST(n)                                                                           \
    static void scenario_##n(void)                                                                 \
    {                                                                                              \
        run_scenario(&scenarios[n]);                                                               \
    }
SCENARIO_TEST(0)
SCENARIO_TEST(1)
SCENARIO_TEST(2)
SCENARIO_TEST(3)
SCENARIO_TEST(4)
SCENARIO_TEST(5)
SCENARIO_TEST(6)
SCENARIO_TEST(7)
SCENARIO_TEST(8)
SCENARIO_TEST(9)
SCENARIO_TEST(10)
SCENARIO_TEST(11)
SCENARIO_TEST(12)
SCENARIO_TEST(13)
SCENARIO_TEST(14)
static void (*const scenario_test[])(void) = {scenario_0,  scenario_1,  scenario_2,  scenario_3,
                                              scenario_4,  scenario_5,  scenario_6,  scenario_7,
                                              scenario_8,  scenario_9,  scenario_10, scenario_11,
                                              scenario_12, scenario_13, scenario_14};
_Static_assert(sizeof(scenario_test) / sizeof(scenario_test[0]) == NSCENARIOS,
               "one test function per scenario");

/* map_info's strings reach the map whole (the 152-byte payload is the
 * largest of the schema), and its site and object with them. */
static void test_map_info(void)
{
    write_state_dump(0);
    struct result r = run();
    CU_ASSERT_EQUAL_FATAL(r.nmaps, 1);
    CU_ASSERT_STRING_EQUAL(r.maps[0].name, "sessions");
    CU_ASSERT_STRING_EQUAL(r.maps[0].object, "/usr/bin/app");
    CU_ASSERT_STRING_EQUAL(r.maps[0].type_name, "map[int64]big");
    CU_ASSERT_EQUAL(r.maps[0].site, 0x401234);
    done(r);
}

/* ---- readers and histograms ---------------------------------------------------- */

/* The bpftrace twin of a trace gives the same results as the native file,
 * and bpftrace's "Lost N events" lines become a lost span between the events
 * around them. */
static void test_bpftrace_twin(void)
{
    write_censored(1);
    struct result a = run_file(path_bin), b = run_file(path_txt);
    CU_ASSERT_EQUAL(a.t->events, b.t->events);
    CU_ASSERT_EQUAL(a.t->deletes, b.t->deletes);
    for (int i = 0; i < BS_OUTCOMES; i++)
        CU_ASSERT_EQUAL(a.t->outcome[i], b.t->outcome[i]);
    CU_ASSERT_EQUAL(a.t->retained.max, b.t->retained.max);
    CU_ASSERT_EQUAL(a.t->reuse.max, b.t->reuse.max);
    CU_ASSERT_EQUAL(b.maps[0].bucket_size, BS);
    CU_ASSERT_STRING_EQUAL(b.maps[0].type_name, "map[int64]int64");
    CU_ASSERT_DOUBLE_EQUAL(a.t->all.empty_byte_ns, b.t->all.empty_byte_ns, 0.5);
    done(a);
    done(b);
    write_lost(1);
    b = run_file(path_txt);
    CU_ASSERT_EQUAL(b.t->lost_events, 5);
    CU_ASSERT_EQUAL(b.nlost, 1);
    CU_ASSERT_EQUAL(b.lost[0].first_ns, 1000);
    CU_ASSERT_EQUAL(b.lost[0].last_ns, 2000);
    CU_ASSERT_EQUAL(b.t->maybe_lost, 1);
    done(b);
}

/* Errors name the file, the line and the offset; nothing is half-read. */
static int reader_error(const char *path, int allow, char *err, size_t len)
{
    struct bs_reader *r = bs_reader_open(path, allow, err, len);
    if (!r) return -2;
    const struct hmap_native_rec_header *h;
    int st, n = 0;
    while ((st = r->next(r, &h)) == 1)
        n++;
    if (st < 0)
        snprintf(err, len, "%s", r->err);
    else if (r->truncated)
        snprintf(err, len, "TRUNCATED %d %s", n, r->truncated_at);
    else
        snprintf(err, len, "OK %d", n);
    bs_reader_close(r);
    return st;
}

static void test_bpftrace_errors(void)
{
    char err[600];
    write_text("Attaching 10 probes...\nsome chatter\n"
               "HMEV 10 1 1 tophash_write map=0x1 bucket=0x2 slot=3 old_th=0 new_th=9 cause=0\n"
               "HMEV 11 1 1 tophash_write map=0x1 bucket=0x2 slott=3 old_th=0 new_th=9 cause=0\n");
    CU_ASSERT_EQUAL(reader_error(path_txt, 0, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, ":4: expected field: slot"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, path_txt));
    write_text("HMEV 10 1 1 tophash_write map=0x1 bucket=0x2 slot=300 old_th=0 new_th=9 cause=0\n");
    CU_ASSERT_EQUAL(reader_error(path_txt, 0, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, ":1: value out of range for field: slot"));
    write_text("HMEV 10 1 1 no_such_event map=0x1\n");
    CU_ASSERT_EQUAL(reader_error(path_txt, 0, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown event: no_such_event"));
    /* An incomplete last line: an error, or the end with --allow-truncated. */
    write_text("HMEV 10 1 1 tophash_write map=0x1 bucket=0x2 slot=3 old_th=0 new_th=9 cause=0\n"
               "HMEV 11 1 1 tophash_wr");
    CU_ASSERT_EQUAL(reader_error(path_txt, 0, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, ":2: incomplete last line"));
    CU_ASSERT_EQUAL(reader_error(path_txt, 1, err, sizeof(err)), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "TRUNCATED 1 "));
    /* map_create's type name takes the rest of the line, spaces included. */
    write_text("HMEV 5 1 1 map_create map=0x10 key_size=8 val_size=8 bucket_size=144 pointerful=0 "
               "reclaim=0 hint=0 type_name=map[string] struct { a int }\n");
    CU_ASSERT_EQUAL(reader_error(path_txt, 0, err, sizeof(err)), 0);
    struct result e = run_file(path_txt);
    CU_ASSERT_STRING_EQUAL(e.maps[0].type_name, "map[string] struct { a ");
    done(e);
}

static void test_native_errors(void)
{
    char err[600];
    /* map_create record: 80 bytes; bucket_array_alloc: 64; so the third
     * record starts at 64 + 80 + 64 = 208. */
    struct tb *t = start(0);
    CREATE(t, 0, 0);
    ARRAY(t, 0, A, 1, 2);
    struct hmap_native_rec_header bad = {.ts_ns = 5, .id = HMAP_EV_tophash_write, .size = 16};
    tb_raw(t, &bad, sizeof(bad));
    tb_close(t);
    CU_ASSERT_EQUAL(reader_error(path_bin, 0, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(
        strstr(err, "corrupt record (id 5 has size 16, expected 48) at offset 208"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, path_bin));
    CU_ASSERT_EQUAL(reader_error(path_bin, 1, err, sizeof(err)), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "TRUNCATED 2 "));

    t = start(0);
    CREATE(t, 0, 0);
    ARRAY(t, 0, A, 1, 2);
    struct hmap_native_rec_header half = {.ts_ns = 5, .id = HMAP_EV_tophash_write, .size = 48};
    tb_raw(t, &half, sizeof(half));
    tb_raw(t, "\0\0\0\0\0\0", 6);
    tb_close(t);
    CU_ASSERT_EQUAL(reader_error(path_bin, 0, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "truncated record at offset 208"));

    FILE *f = fopen(path_bin, "wb");
    struct hmap_native_file_header fh = {
        .magic = HMAP_NATIVE_MAGIC, .version = 9, .header_size = 64};
    fwrite(&fh, sizeof(fh), 1, f);
    fclose(f);
    CU_ASSERT_EQUAL(reader_error(path_bin, 0, err, sizeof(err)), -2);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "unsupported native format version 9"));

    f = fopen(path_bin, "wb");
    fwrite("HMTRACE\0\1\0", 10, 1, f);
    fclose(f);
    CU_ASSERT_EQUAL(reader_error(path_bin, 0, err, sizeof(err)), -2);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "truncated file header at offset 0"));

    f = fopen(path_bin, "wb");
    fwrite("garbage!", 8, 1, f);
    fclose(f);
    CU_ASSERT_EQUAL(reader_error(path_bin, 0, err, sizeof(err)), -2);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown trace format at offset 0"));
}

/* Two processes may use the same addresses: (pid, address) keys keep them
 * apart, and two files are merged by time. */
static void test_merge_two_processes(void)
{
    char p1[300], p2[300];
    snprintf(p1, sizeof(p1), "%s/p1.hmt", dir);
    snprintf(p2, sizeof(p2), "%s/p2.hmt", dir);
    for (int i = 0; i < 2; i++) {
        struct tb *t = tb_open(i ? p2 : p1, NULL);
        tb_set_pid(t, 100 + i);
        uint64_t o = 10 * i; /* interleave the two timelines */
        CREATE(t, o, 0);
        ARRAY(t, o, A, 1, 2);
        TH(t, 100 + o, A, 0, 0, 200, HMAP_TH_INSERT);
        TH(t, 1000 + o, A, 0, 200, 1, HMAP_TH_DELETE);
        TH(t, 2000 + 1000 * i, A, 0, 1, 201, HMAP_TH_INSERT);
        tb_close(t);
    }
    char err[600];
    struct bs_reader *rs[2] = {bs_reader_open(p1, 0, err, sizeof(err)),
                               bs_reader_open(p2, 0, err, sizeof(err))};
    CU_ASSERT_PTR_NOT_NULL_FATAL(rs[0]);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rs[1]);
    struct bs_reader *r = bs_reader_merge(rs, 2);
    struct bs_engine_opts o = {0};
    struct bs_engine *e = bs_engine_new(&o);
    const struct hmap_native_rec_header *h;
    uint64_t last = 0;
    int ordered = 1;
    while (r->next(r, &h) == 1) {
        ordered &= h->ts_ns >= last;
        last = h->ts_ns;
        bs_engine_feed(e, h);
    }
    bs_engine_finish(e);
    struct result res = results(e);
    CU_ASSERT(ordered);
    CU_ASSERT_EQUAL(res.nmaps, 2);
    CU_ASSERT_EQUAL(res.t->deletes, 2);
    CU_ASSERT_EQUAL(res.t->outcome[BS_REUSED], 2);
    CU_ASSERT_EQUAL(res.t->reuse.max, 1990);
    CU_ASSERT_EQUAL(res.t->unmatched[BS_UM_DOUBLE_ALLOC], 0);
    CU_ASSERT_EQUAL(res.t->unmatched[BS_UM_OUT_OF_ORDER], 0);
    done(res);
    bs_reader_close(r);
    unlink(p1);
    unlink(p2);
}

/* The in-process recorder writes per-thread chunks: time order holds within
 * a chunk only.  The reader merges the chunks by time (ties in file order):
 * here thread 1's chunk (ts 0..3000) precedes thread 2's (ts 1500..2500) in
 * the file, and thread 2 deletes what thread 1 inserted at 1000. */
static void test_chunked_native_file(void)
{
    struct tb *t = start(0);
    tb_keep_order(t);
    tb_set_pid(t, 7);
    CREATE(t, 0, 0);
    ARRAY(t, 0, A, 1, 2);
    TH(t, 1000, A, 0, 0, 200, HMAP_TH_INSERT);
    TH(t, 2000, A, 1, 0, 201, HMAP_TH_INSERT); /* same time as thread 2's delete */
    TH(t, 3000, A, 0, 1, 202, HMAP_TH_INSERT); /* reuses the slot deleted at 1500 */
    TH(t, 1500, A, 0, 200, 1, HMAP_TH_DELETE); /* thread 2's chunk, later in the file */
    TH(t, 2000, A + BS, 0, 0, 203, HMAP_TH_INSERT);
    TH(t, 2500, A + BS, 0, 203, 1, HMAP_TH_DELETE);
    CU_ASSERT_EQUAL(tb_close(t), 0);
    char err[600];
    struct bs_reader *r = bs_reader_open(path_bin, 0, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    const struct hmap_native_rec_header *h;
    uint64_t ts[16];
    uint64_t bucket2000[2] = {0, 0};
    int n = 0;
    while (r->next(r, &h) == 1 && n < 16) {
        if (h->ts_ns == 2000 && h->id == HMAP_EV_tophash_write) {
            struct hmap_native_tophash_write p;
            memcpy(&p, h + 1, sizeof(p));
            bucket2000[bucket2000[0] ? 1 : 0] = p.bucket;
        }
        ts[n++] = h->ts_ns;
    }
    bs_reader_close(r);
    CU_ASSERT_EQUAL(n, 8);
    for (int i = 1; i < n; i++)
        CU_ASSERT(ts[i - 1] <= ts[i]);
    CU_ASSERT_EQUAL(bucket2000[0], A); /* equal times: file order */
    CU_ASSERT_EQUAL(bucket2000[1], A + BS);
    struct result e = run();
    CU_ASSERT_EQUAL(e.t->unmatched[BS_UM_OUT_OF_ORDER], 0);
    CU_ASSERT_EQUAL(e.t->deletes, 2);
    CU_ASSERT_EQUAL(e.t->outcome[BS_REUSED], 1);
    CU_ASSERT_EQUAL(e.t->reuse.max, 1500);
    CU_ASSERT_EQUAL(e.t->outcome[BS_RETAINED], 1);
    CU_ASSERT_EQUAL(e.t->retained.max, 500);
    done(e);
}

/* Engine state per bucket (docs/report.md, "Memory and speed"): n
 * overflow buckets, each with one pending delete, cost one 64-byte
 * allocation record, its hash slot and an 8-byte block of delete times.
 * Measured as the growth of the peak state from n to 2n buckets, so the
 * fixed cost (histograms, tables at their first size) cancels; with a
 * 128-byte record and a 64-byte block per bucket it was over 200 bytes. */
static size_t state_with_overflow_buckets(uint32_t n)
{
    struct tb *t = start(0);
    CREATE(t, 0, 0);
    ARRAY(t, 0, A, 1, 2);
    for (uint32_t i = 0; i < n; i++) {
        uint64_t o = O + (uint64_t)i * 4096, ts = 10 + 3ull * i;
        TB(t, ts, overflow_alloc, .map = M, .addr = o, .parent = A, .source = HMAP_OVF_ALLOCATOR,
           .bytes = BS);
        TH(t, ts + 1, o, 0, 0, 200, HMAP_TH_INSERT);
        TH(t, ts + 2, o, 0, 200, 1, HMAP_TH_DELETE);
    }
    CU_ASSERT_EQUAL(tb_close(t), 0);
    struct result r = run();
    CU_ASSERT_EQUAL(r.t->deletes, n);
    CU_ASSERT_EQUAL(r.t->outcome[BS_RETAINED], n);
    size_t bytes = bs_engine_stats(r.e).peak_state_bytes;
    done(r);
    return bytes;
}

static void test_state_per_bucket(void)
{
    /* n + 1 and 2n + 1 allocations fill their slabs to the same fraction,
     * so that no table doubles once more for one of them than the other. */
    uint32_t n = (1u << 14) - 16;
    size_t small = state_with_overflow_buckets(n), large = state_with_overflow_buckets(2 * n);
    double per_bucket = (double)(large - small) / n;
    CU_ASSERT(per_bucket <= 120); /* 64 + 32 (hash at its load) + 8 + 8 (exact sample) */
    if (per_bucket > 120) fprintf(stderr, "state per overflow bucket: %.1f bytes\n", per_bucket);
}

static void test_histogram(void)
{
    for (uint64_t v = 0; v < 5000000; v = v * 3 / 2 + 1) {
        unsigned i = bs_hist_index(v);
        CU_ASSERT(bs_hist_lower(i) <= v);
        CU_ASSERT(v - bs_hist_lower(i) <= v / 128);
        CU_ASSERT(bs_hist_index(bs_hist_lower(i)) == i);
    }
    static struct bs_hist h;
    for (uint64_t v = 1; v <= 1000; v++)
        bs_hist_add(&h, v);
    bs_hist_seal(&h);
    CU_ASSERT_EQUAL(bs_hist_quantile(&h, 0.5), 500);
    CU_ASSERT_EQUAL(bs_hist_quantile(&h, 0.9), 900);
    CU_ASSERT_EQUAL(bs_hist_quantile(&h, 1.0), 1000);
    uint64_t slots[BS_LOG2_SLOTS];
    int n = bs_hist_log2(&h, 1, slots);
    CU_ASSERT_EQUAL(n, 10);       /* 512..1000 is slot 9 */
    CU_ASSERT_EQUAL(slots[0], 1); /* bcc: 0 and 1 share slot 0 */
    CU_ASSERT_EQUAL(slots[1], 2); /* 2, 3 */
    CU_ASSERT_EQUAL(slots[9], 489);
    bs_hist_seal(&h);
    CU_ASSERT(bs_hist_exact(&h));
    bs_hist_free(&h);
    /* Past BS_EXACT_MAX samples the exact list is dropped: percentiles come
     * from the fine histogram, within 1/128 below the true value. */
    static struct bs_hist big;
    for (uint64_t v = 1; v <= BS_EXACT_MAX + 1000ull; v++)
        bs_hist_add(&big, v * 10);
    bs_hist_seal(&big);
    CU_ASSERT(!bs_hist_exact(&big));
    uint64_t p50 = bs_hist_quantile(&big, 0.5), truth = (BS_EXACT_MAX + 1000ull) / 2 * 10;
    CU_ASSERT(p50 <= truth && truth - p50 <= truth / 128);
    CU_ASSERT_EQUAL(big.max, (BS_EXACT_MAX + 1000ull) * 10);
    bs_hist_free(&big);

    /* A merge is the same histogram as adding every sample to one: exact
     * while the counts together allow it, the fine one past that. */
    static struct bs_hist a, b, one, merged;
    for (uint64_t v = 1; v <= 3000; v++) {
        bs_hist_add(v % 3 ? &a : &b, v * 7);
        bs_hist_add(&one, v * 7);
    }
    bs_hist_merge(&merged, &a);
    bs_hist_merge(&merged, &b);
    bs_hist_seal(&merged);
    bs_hist_seal(&one);
    CU_ASSERT(bs_hist_exact(&merged));
    CU_ASSERT_EQUAL(merged.count, 3000);
    CU_ASSERT_EQUAL(merged.max, one.max);
    CU_ASSERT_DOUBLE_EQUAL(merged.sum, one.sum, 0);
    CU_ASSERT_EQUAL(memcmp(merged.fine, one.fine, sizeof(one.fine)), 0);
    for (double q = 0.001; q <= 1.0; q += 0.0999)
        CU_ASSERT_EQUAL(bs_hist_quantile(&merged, q), bs_hist_quantile(&one, q));
    for (uint64_t v = 3001; v <= BS_EXACT_MAX; v++) /* a alone stays exact ... */
        bs_hist_add(&a, v * 7);
    bs_hist_merge(&merged, &a); /* ... but not merged with the 3000 already there */
    bs_hist_seal(&merged);
    CU_ASSERT(bs_hist_exact(&a));
    CU_ASSERT(!bs_hist_exact(&merged));
    CU_ASSERT_EQUAL(merged.count, 3000 + a.count);
    bs_hist_free(&a);
    bs_hist_free(&b);
    bs_hist_free(&one);
    bs_hist_free(&merged);
}

int main(void)
{
    if (!mkdtemp(dir)) return 1;
    snprintf(path_bin, sizeof(path_bin), "%s/t.hmt", dir);
    snprintf(path_txt, sizeof(path_txt), "%s/t.bt", dir);
    CU_initialize_registry();
    CU_pSuite s = CU_add_suite("lifetime", NULL, NULL);
    for (unsigned i = 0; i < NSCENARIOS; i++)
        CU_add_test(s, scenarios[i].name, scenario_test[i]);
    CU_add_test(s, "bpftrace twin", test_bpftrace_twin);
    CU_add_test(s, "bpftrace reader errors", test_bpftrace_errors);
    CU_add_test(s, "native reader errors", test_native_errors);
    CU_add_test(s, "merge two processes", test_merge_two_processes);
    CU_add_test(s, "chunked native file merged by time", test_chunked_native_file);
    CU_add_test(s, "histograms", test_histogram);
    CU_add_test(s, "engine state per bucket", test_state_per_bucket);
    CU_add_test(s, "map_info names a map", test_map_info);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    unlink(path_bin);
    unlink(path_txt);
    rmdir(dir);
    return failed ? 1 : 0;
}
