/* SPDX-License-Identifier: MIT */
/*
 * test_live_table.c — the interval table (analysis/report/live.c) on
 * records fed by hand to the lifetime engine, read mid-run: two intervals,
 * each checked field by field in its JSON line, and the text layout once.
 *
 * One map (8-byte keys and values, 144-byte buckets), one B=0 array (one
 * bucket).  Interval 1: slots 0 and 1 inserted, slot 0 deleted at 1000 and
 * reused at 2000 (latency 1000 ns), slot 1 deleted at 3000 (pending).
 * Interval 2: slot 0 deleted at 4000 and reused at 4500 (500 ns).  A
 * percentile is the lower edge of its 1/16-of-a-power-of-two step: 1000 ->
 * 992 (512 + 15 * 32), 500 -> 496 (256 + 15 * 16).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lifetime.h"
#include "live.h"

#define M 0x7f0000001000ull
#define A 0x7f0000010000ull
#define BS 144

static int failures;
#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                        \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static void feed(struct bs_engine *e, uint64_t ts, uint16_t id, const void *p, size_t n)
{
    uint8_t rec[256] = {0};
    struct hmap_native_rec_header h = {
        .ts_ns = ts, .pid = 42, .tid = 42, .id = id, .size = HMAP_NATIVE_REC_SIZE(n)};
    memcpy(rec, &h, sizeof(h));
    memcpy(rec + sizeof(h), p, n);
    bs_engine_feed(e, (const void *)rec);
}
#define EV(e, ts, name, ...)                                                                       \
    do {                                                                                           \
        struct hmap_native_##name p_ = {__VA_ARGS__};                                              \
        feed(e, ts, HMAP_EV_##name, &p_, sizeof(p_));                                              \
    } while (0)
#define TH(e, ts, slot_, o, n, c)                                                                  \
    EV(e, ts, tophash_write, .map = M, .bucket = A, .slot = slot_, .old_th = o, .new_th = n,       \
       .cause = c)

/* One table of e as JSON (or text), in a string the caller frees. */
static char *table(struct bs_live *l, const struct bs_engine *e, FILE **outp, char **buf,
                   size_t *len)
{
    fflush(*outp);
    size_t from = *len;
    bs_live_table(l, e);
    fflush(*outp);
    return strndup(*buf + from, *len - from);
}

int main(void)
{
    struct bs_live_opts lo = {.json = 1, .top = 10};
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    lo.out = out;
    struct bs_live *l = bs_live_new(&lo);
    struct bs_engine_opts eo = {.on_delete = bs_live_on_delete, .ctx = l, .name = "test"};
    struct bs_engine *e = bs_engine_new(&eo);
    CHECK(l && e);

    EV(e, 10, map_create, .map = M, .key_size = 8, .val_size = 8, .bucket_size = BS,
       .reclaim = HMAP_RECLAIM_GO_ID, .type_name = "u64->u64");
    EV(e, 20, bucket_array_alloc, .map = M, .addr = A, .B = 0, .nbuckets = 1, .bytes = BS);
    TH(e, 100, 0, 0, 200, HMAP_TH_INSERT);
    TH(e, 200, 1, 0, 201, HMAP_TH_INSERT);
    TH(e, 1000, 0, 200, 1, HMAP_TH_DELETE);
    TH(e, 2000, 0, 1, 202, HMAP_TH_INSERT);
    TH(e, 3000, 1, 201, 1, HMAP_TH_DELETE);
    char *t1 = table(l, e, &out, &buf, &len);
    CHECK(strstr(t1, "{\"interval\":1,") == t1);
    CHECK(strstr(t1, "\"events\":7,\"events_total\":7,\"lost_events\":0"));
    CHECK(strstr(t1, "\"pid\":42,\"map\":\"0x7f0000001000\",\"seq\":0,\"type\":\"u64->u64\""));
    CHECK(strstr(t1, "\"bytes_held\":144,"));
    CHECK(strstr(t1, "\"deletes_interval\":2,\"deletes\":2,\"reused\":1,"));
    CHECK(strstr(t1, "\"reclaimed_running\":0,\"freed_teardown\":0,\"retained\":1,"));
    CHECK(strstr(t1, "\"reuse_p50_ns\":992,\"reuse_p99_ns\":992,\"reclaim_p50_ns\":0"));
    CHECK(t1[strlen(t1) - 1] == '\n' && !strchr(t1, '\n')[1]); /* one line */

    TH(e, 4000, 0, 202, 1, HMAP_TH_DELETE);
    TH(e, 4500, 0, 1, 203, HMAP_TH_INSERT);
    char *t2 = table(l, e, &out, &buf, &len);
    CHECK(strstr(t2, "{\"interval\":2,") == t2);
    CHECK(strstr(t2, "\"events\":2,\"events_total\":9,"));
    CHECK(strstr(t2, "\"deletes_interval\":1,\"deletes\":3,\"reused\":2,"));
    CHECK(strstr(t2, "\"retained\":1,"));
    CHECK(strstr(t2, "\"reuse_p50_ns\":496,\"reuse_p99_ns\":496,"));

    /* An interval with no resolved delete: no percentile, none carried over. */
    char *t3 = table(l, e, &out, &buf, &len);
    CHECK(strstr(t3, "\"deletes_interval\":0,\"deletes\":3,"));
    CHECK(strstr(t3, "\"reuse_p50_ns\":0,\"reuse_p99_ns\":0,"));
    CHECK(bs_live_tables(l) == 3);

    /* The text layout: header line, column header, the row. */
    struct bs_live_opts to = {.out = out, .top = 10};
    struct bs_live *lt = bs_live_new(&to);
    char *tx = table(lt, e, &out, &buf, &len);
    CHECK(strstr(tx, "interval 1 (") == tx);
    CHECK(strstr(tx, "9 events (9 total), 1 maps, lost 0 (0 total)\nPID "));
    CHECK(strstr(tx, "\n42      0x7f0000001000 u64->u64 "));
    CHECK(strstr(tx, "REUSE_p50  REUSE_p99   RECL_p50   RECL_p99  GROW\n"));

    /* Many short-lived maps: the engine folds the idle ones into "other
     * maps" records; the table follows (its rows of folded maps go), and
     * the two policies' records are two rows. */
    struct bs_live_opts fo = {.out = out, .json = 1, .top = 1000000};
    struct bs_live *lf = bs_live_new(&fo);
    struct bs_engine_opts feo = {.on_delete = bs_live_on_delete, .ctx = lf, .name = "fold"};
    struct bs_engine *ef = bs_engine_new(&feo);
    char *tf = NULL;
    for (uint64_t i = 0; i < 3 * BS_MAX_IDLE_MAPS; i++) {
        uint64_t map = 0x100000 + 64 * i;
        EV(ef, 10 + 2 * i, map_create, .map = map, .key_size = 8, .val_size = 8, .bucket_size = BS,
           .reclaim = i % 2 ? HMAP_RECLAIM_EAGER_ID : HMAP_RECLAIM_GO_ID, .type_name = "u64->u64");
        EV(ef, 11 + 2 * i, map_destroy, .map = map);
        if (i % 8192 == 8191) {
            free(tf);
            tf = table(lf, ef, &out, &buf, &len);
        }
    }
    uint32_t nmaps;
    const struct bs_map *maps = bs_engine_maps(ef, &nmaps);
    CHECK(nmaps < 3 * BS_MAX_IDLE_MAPS); /* folded */
    uint32_t folded = 0;
    for (uint32_t i = 0; i < nmaps; i++)
        folded += maps[i].folded != 0;
    CHECK(folded == 2); /* one per policy */
    /* Both records listed, each once (their keys differ by policy). */
    const char *o1 = tf ? strstr(tf, "\"type\":\"(other maps)\"") : NULL;
    const char *o2 = o1 ? strstr(o1 + 1, "\"type\":\"(other maps)\"") : NULL;
    CHECK(o1 && o2 && !strstr(o2 + 1, "\"type\":\"(other maps)\""));
    free(tf);
    bs_live_free(lf);
    bs_engine_free(ef);

    bs_engine_finish(e);
    free(t1), free(t2), free(t3), free(tx);
    bs_live_free(lt);
    bs_live_free(l);
    bs_engine_free(e);
    fclose(out);
    free(buf);
    if (failures) return 1;
    printf("PASS: live table (3 JSON intervals, text layout)\n");
    return 0;
}
