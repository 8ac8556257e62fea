/* SPDX-License-Identifier: MIT */
/*
 * gen_churn.c — writes a large native trace of a realistic churn workload,
 * synthesized from the schema (no libhmap): the analyzer's benchmark input.
 *
 * Model (docs/go-map-model.md, simplified): MAPS maps (default 64) of 8-byte keys and values
 * (144-byte buckets), each filled to ~80 % of 6.5 entries per bucket, then
 * steady churn: delete a random entry (with emptyRest folding), insert a new
 * one at the first empty slot of a random chain, taking an overflow bucket
 * when the chain is full.  When a map has as many overflow buckets as
 * buckets, a same-size growth evacuates every chain into a fresh array and
 * frees the old array and overflow buckets, as Go would.  Maps are spread
 * over NTHREADS threads whose events are written in 64 KiB per-thread chunks,
 * like the in-process recorder, so the reader's run merge is exercised.
 *
 *   gen_churn OUT.hmt [EVENTS [MAPS]]    (default 50 000 000 events, 64 maps)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hmap_native.h"
#include "hmap_native_write.h"
#include "xorshift.h"

#define MAX_MAPS 1024
#define NTHREADS 4
#define B_INIT 10
#define BS 144
#define CHUNK (64 * 1024)
#define MAXOVF 4 /* overflow buckets per chain at most */

struct chain {
    uint8_t th[1 + MAXOVF][8]; /* head + overflow buckets */
    uint64_t addr[1 + MAXOVF];
    int nb; /* buckets in the chain */
};

struct map {
    uint64_t addr, array;
    int B, noverflow, count, tid;
    struct chain *chains;
};

struct thread_buf {
    uint8_t data[CHUNK];
    size_t len;
};

static FILE *out;
static struct thread_buf bufs[NTHREADS];
static uint64_t now = 1000000000, events, target, next_block = 0x7f0000000000;
static uint64_t rng = 88172645463325252ull;

static uint64_t rnd(void)
{
    return xorshift64(&rng);
}

static void emit(int tid, uint16_t id, const void *p, size_t n)
{
    struct thread_buf *b = &bufs[tid];
    uint16_t size = hmap_native_rec_size(id);
    if (b->len + size > CHUNK) {
        fwrite(b->data, 1, b->len, out);
        b->len = 0;
    }
    now += 15 + rnd() % 20;
    struct hmap_native_rec_header h = {
        .ts_ns = now, .pid = 777, .tid = 1000 + tid, .id = id, .size = size};
    memset(b->data + b->len, 0, size);
    memcpy(b->data + b->len, &h, sizeof(h));
    memcpy(b->data + b->len + sizeof(h), p, n);
    b->len += size;
    events++;
}

#define EMIT(tid, name, ...)                                                                       \
    do {                                                                                           \
        struct hmap_native_##name p_ = {__VA_ARGS__};                                              \
        emit(tid, HMAP_EV_##name, &p_, sizeof(p_));                                                \
    } while (0)

static uint64_t block(uint64_t bytes)
{
    uint64_t a = next_block;
    next_block += (bytes + 4095) & ~4095ull;
    return a;
}

static void th(struct map *m, struct chain *c, int b, int s, int v, int cause)
{
    EMIT(m->tid, tophash_write, .map = m->addr, .bucket = c->addr[b], .slot = (uint8_t)s,
         .old_th = c->th[b][s], .new_th = (uint8_t)v, .cause = (uint8_t)cause);
    c->th[b][s] = (uint8_t)v;
}

static void new_array(struct map *m)
{
    uint64_t n = 1ull << m->B;
    m->array = block(n * BS);
    EMIT(m->tid, bucket_array_alloc, .map = m->addr, .addr = m->array, .B = (uint8_t)m->B,
         .nbuckets = n, .nprealloc = 0, .bytes = n * BS);
    m->chains = calloc(n, sizeof(*m->chains));
    for (uint64_t i = 0; i < n; i++) {
        m->chains[i].nb = 1;
        m->chains[i].addr[0] = m->array + i * BS;
    }
}

/* Insert at the first empty slot of a random chain; 0 if the chain is full. */
static int insert(struct map *m, struct chain *c, int cause)
{
    for (int b = 0; b < c->nb; b++)
        for (int s = 0; s < 8; s++)
            if (c->th[b][s] <= 1) {
                th(m, c, b, s, 5 + (int)(rnd() % 251), cause);
                return 1;
            }
    if (c->nb == 1 + MAXOVF) return 0;
    int b = c->nb++;
    c->addr[b] = block(BS);
    memset(c->th[b], 0, 8);
    EMIT(m->tid, overflow_alloc, .map = m->addr, .addr = c->addr[b], .parent = c->addr[b - 1],
         .source = HMAP_OVF_ALLOCATOR, .bytes = BS);
    m->noverflow++;
    th(m, c, b, 0, 5 + (int)(rnd() % 251), cause);
    return 1;
}

/* Go's delete: emptyOne, then fold trailing emptyOnes into emptyRest. */
static int delete_one(struct map *m, struct chain *c)
{
    int b, s, found = 0;
    for (b = c->nb - 1; b >= 0 && !found; b--)
        for (s = 7; s >= 0; s--)
            if (c->th[b][s] >= 5) {
                found = 1;
                break;
            }
    if (!found) return 0;
    b++;
    th(m, c, b, s, 1, HMAP_TH_DELETE);
    int last = s == 7 && b == c->nb - 1;
    if (!last && !(s < 7 ? c->th[b][s + 1] == 0 : c->th[b + 1][0] == 0)) return 1;
    for (;;) {
        th(m, c, b, s, 0, HMAP_TH_EMPTY_REST);
        if (s == 0 && b == 0) break;
        if (--s < 0) {
            s = 7;
            b--;
        }
        if (c->th[b][s] != 1) break;
    }
    return 1;
}

/* Same-size growth, all chains evacuated at once. */
static void grow(struct map *m)
{
    struct chain *old = m->chains;
    uint64_t old_array = m->array, n = 1ull << m->B;
    EMIT(m->tid, grow_start, .map = m->addr, .old_B = (uint8_t)m->B, .new_B = (uint8_t)m->B,
         .kind = HMAP_GROW_SAME_SIZE, .count = (uint64_t)m->count,
         .noverflow = (uint32_t)m->noverflow);
    new_array(m);
    m->noverflow = 0;
    for (uint64_t i = 0; i < n; i++) {
        struct chain *oc = &old[i], *nc = &m->chains[i];
        uint32_t moved = 0;
        for (int b = 0; b < oc->nb; b++)
            for (int s = 0; s < 8; s++) {
                int live = oc->th[b][s] >= 5;
                if (live) {
                    insert(m, nc, HMAP_TH_EVAC_COPY);
                    moved++;
                }
                th(m, oc, b, s, live ? 2 : 4, HMAP_TH_EVAC_MARK);
            }
        EMIT(m->tid, evacuate, .map = m->addr, .old_index = i, .old_addr = oc->addr[0],
             .x_addr = nc->addr[0], .y_addr = 0, .moved_x = moved);
        for (int b = 1; b < oc->nb; b++) {
            EMIT(m->tid, overflow_unlink, .map = m->addr, .addr = oc->addr[b],
                 .prev = oc->addr[b - 1], .cause = HMAP_UNLINK_EVACUATED);
            EMIT(m->tid, bucket_free, .map = m->addr, .addr = oc->addr[b], .bytes = BS,
                 .kind = HMAP_MEM_OVERFLOW, .reason = HMAP_FREE_EVACUATED);
        }
    }
    EMIT(m->tid, grow_done, .map = m->addr, .old_addr = old_array, .B = (uint8_t)m->B,
         .kind = HMAP_GROW_SAME_SIZE, .count = (uint64_t)m->count);
    EMIT(m->tid, bucket_free, .map = m->addr, .addr = old_array, .bytes = n * BS,
         .kind = HMAP_MEM_ARRAY, .reason = HMAP_FREE_GROW_DONE);
    free(old);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: gen_churn OUT.hmt [EVENTS [MAPS]]\n");
        return 2;
    }
    target = argc > 2 ? strtoull(argv[2], NULL, 10) : 50000000;
    int nmaps = argc > 3 ? atoi(argv[3]) : 64;
    if (nmaps < 1 || nmaps > MAX_MAPS) {
        fprintf(stderr, "gen_churn: MAPS must be 1..%d\n", MAX_MAPS);
        return 2;
    }
    out = fopen(argv[1], "wb");
    if (!out) {
        perror(argv[1]);
        return 1;
    }
    /* A synthetic process 777 whose clock starts at 0. */
    struct hmap_native_file_header fh = hmap_native_file_header_make("gen_churn (bench)", 777, 0);
    fh.version = 1; /* records only: no chunk or end record (docs/native-format.md) */
    fwrite(&fh, sizeof(fh), 1, out);
    static struct map maps[MAX_MAPS];
    for (int i = 0; i < nmaps; i++) {
        struct map *m = &maps[i];
        m->addr = 0x555500000000 + 0x1000 * (uint64_t)i;
        m->B = B_INIT;
        m->tid = i % NTHREADS;
        struct hmap_native_map_create p = {.map = m->addr,
                                           .key_size = 8,
                                           .val_size = 8,
                                           .bucket_size = BS,
                                           .reclaim = HMAP_RECLAIM_GO_ID,
                                           .hint = 5000};
        snprintf(p.type_name, sizeof(p.type_name), "map[int64]int64");
        emit(m->tid, HMAP_EV_map_create, &p, sizeof(p));
        new_array(m);
        int fill = (int)((13 << B_INIT) / 2 * 8 / 10);
        for (int k = 0; k < fill; k++)
            m->count += insert(m, &m->chains[rnd() & ((1u << m->B) - 1)], HMAP_TH_INSERT);
    }
    while (events < target) {
        struct map *m = &maps[rnd() % (uint64_t)nmaps];
        uint64_t mask = (1u << m->B) - 1;
        for (int op = 0; op < 64; op++) {
            if (rnd() & 1)
                m->count -= delete_one(m, &m->chains[rnd() & mask]);
            else
                m->count += insert(m, &m->chains[rnd() & mask], HMAP_TH_INSERT);
            if (m->noverflow >= (1 << m->B)) grow(m);
        }
    }
    for (int i = 0; i < nmaps; i++)
        free(maps[i].chains);
    for (int t = 0; t < NTHREADS; t++)
        fwrite(bufs[t].data, 1, bufs[t].len, out);
    if (fclose(out) != 0) {
        perror(argv[1]);
        return 1;
    }
    printf("%" PRIu64 " events\n", events);
    return 0;
}
