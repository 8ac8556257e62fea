/* SPDX-License-Identifier: MIT */
/*
 * gen_shards.c — traces for jobs_identical.sh, which checks that
 * `bucketscope-report -j N` writes what -j 1 writes (docs/report.md,
 * "Parallel analysis").
 *
 *   gen_shards SHAPE N OUT.hmt
 *
 *   mixed    N steps of 48 maps in two processes: inserts, deletes and
 *            reuses, overflow buckets linked, unlinked and freed, clears,
 *            growths of the three kinds with evacuation, indirect keys,
 *            map_info (some of it a little out of order), lost records (some
 *            without a span), maps destroyed and created again at the
 *            same address; every record is one the shards can apply
 *            exactly, so -j N shards it
 *   overlap  the mixed trace, then a map allocates an array over another
 *            map's live array (a lost free): the shards must refuse
 *   bigsum   two maps whose deletes are retained for 2^52 ns each: the sum
 *            of ages passes 2^53, the shards must refuse
 *   late     (N unused; OUT.bt, the bpftrace twin, is the trace that
 *            matters) the first map made deletes a slot, the delete comes
 *            after N_LATE records of the second map, too late for the
 *            reader's reorder window to put it back, then the slot is
 *            reused: the delete is applied at the latest time of all maps,
 *            not of its own map, in every shard as in one engine
 *
 *   gen_shards SHAPE N OUT.hmt [OUT.bt]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_builder.h"
#include "xorshift.h"

#define NMAPS 48
#define NB 8     /* buckets of an array */
#define MAXOVF 4 /* overflow buckets of a map */
#define BSZ 144
#define N_LATE 70000 /* more records than the bpftrace reader's reorder window */

struct map {
    uint32_t pid;
    uint64_t addr, array;
    int live, indirect, B, gen;
    uint64_t created_ns;
    uint8_t th[NB + MAXOVF][8];
    uint64_t ovf[MAXOVF]; /* 0: none */
    uint64_t obj[8];      /* live indirect keys, 0: none */
};

static struct map maps[NMAPS];
static uint64_t rng = 0x9e3779b97f4a7c15ull, now = 1000000, next_addr[2];
static struct tb *t;

static uint64_t rnd(void)
{
    return xorshift64(&rng);
}

static uint64_t ts(void)
{
    now += 1 + rnd() % 2000;
    return now;
}

static uint64_t take(struct map *m, uint64_t bytes)
{
    uint64_t *n = &next_addr[m->pid & 1], a = *n;
    *n += (bytes + 4095) & ~4095ull;
    return a;
}

static uint64_t bucket_addr(const struct map *m, int b)
{
    return b < NB ? m->array + (uint64_t)b * BSZ : m->ovf[b - NB];
}

static void pid_of(const struct map *m)
{
    tb_set_pid(t, m->pid);
}

static void create(struct map *m)
{
    pid_of(m);
    m->live = 1;
    m->B = 3;
    m->created_ns = now;
    memset(m->th, 0, sizeof(m->th));
    memset(m->ovf, 0, sizeof(m->ovf));
    memset(m->obj, 0, sizeof(m->obj));
    uint32_t key = m->indirect ? 200 : 8;
    TB(t, ts(), map_create, .map = m->addr, .key_size = key, .val_size = 8, .bucket_size = BSZ,
       .reclaim = (uint8_t)(m->gen % 3), .type_name = "shard_test");
    TB(t, ts(), map_info, .map = m->addr, .site = 0x400000 + m->addr % 977, .name = "m");
    m->array = take(m, NB * BSZ);
    TB(t, ts(), bucket_array_alloc, .map = m->addr, .addr = m->array, .B = 3, .nbuckets = NB,
       .bytes = NB * BSZ);
}

static void write_th_at(struct map *m, int b, int s, uint8_t nw, uint8_t cause, uint64_t at)
{
    TB(t, at, tophash_write, .map = m->addr, .bucket = bucket_addr(m, b), .slot = (uint8_t)s,
       .old_th = m->th[b][s], .new_th = nw, .cause = cause);
    m->th[b][s] = nw;
}

static void write_th(struct map *m, int b, int s, uint8_t nw, uint8_t cause)
{
    write_th_at(m, b, s, nw, cause, ts());
}

static void destroy(struct map *m, uint8_t reason)
{
    pid_of(m);
    TB(t, ts(), map_destroy, .map = m->addr);
    for (int k = 0; k < MAXOVF; k++)
        if (m->ovf[k])
            TB(t, ts(), bucket_free, .map = m->addr, .addr = m->ovf[k], .bytes = BSZ,
               .kind = HMAP_MEM_OVERFLOW, .reason = reason);
    TB(t, ts(), bucket_free, .map = m->addr, .addr = m->array, .bytes = NB * BSZ,
       .kind = HMAP_MEM_ARRAY, .reason = reason);
    for (int k = 0; k < 8; k++)
        if (m->obj[k])
            TB(t, ts(), indirect_free, .map = m->addr, .addr = m->obj[k], .bytes = 200,
               .kind = HMAP_INDIRECT_KEY, .reason = HMAP_OBJ_DESTROY);
    m->live = 0;
    m->gen++;
}

static void step(struct map *m)
{
    pid_of(m);
    int nbk = NB;
    for (int k = 0; k < MAXOVF; k++)
        if (m->ovf[k]) nbk = NB + k + 1;
    int b = (int)(rnd() % (uint64_t)nbk), s = (int)(rnd() % 8);
    if (b >= NB && !m->ovf[b - NB]) b = 0;
    switch (rnd() % 16) {
    case 0: /* an overflow bucket linked */
        for (int k = 0; k < MAXOVF; k++)
            if (!m->ovf[k]) {
                m->ovf[k] = take(m, BSZ);
                memset(m->th[NB + k], 0, 8);
                TB(t, ts(), overflow_alloc, .map = m->addr, .addr = m->ovf[k], .parent = m->array,
                   .source = HMAP_OVF_ALLOCATOR, .bytes = BSZ);
                break;
            }
        break;
    case 1: /* the last overflow bucket emptied, unlinked and freed */
        for (int k = MAXOVF - 1; k >= 0; k--)
            if (m->ovf[k]) {
                for (int j = 0; j < 8; j++)
                    if (m->th[NB + k][j] >= HMAP_TOPHASH_MIN_LIVE)
                        write_th(m, NB + k, j, HMAP_TOPHASH_EMPTY_ONE, HMAP_TH_DELETE);
                TB(t, ts(), overflow_unlink, .map = m->addr, .addr = m->ovf[k], .prev = m->array,
                   .cause = HMAP_UNLINK_EMPTIED);
                TB(t, ts(), bucket_free, .map = m->addr, .addr = m->ovf[k], .bytes = BSZ,
                   .kind = HMAP_MEM_OVERFLOW, .reason = HMAP_FREE_UNLINK);
                m->ovf[k] = 0;
                break;
            }
        break;
    case 2: /* a growth: new array, evacuation, old array freed */
        if (rnd() % 4) break;
        {
            uint8_t kind = (uint8_t)(rnd() % 3);
            uint64_t old = m->array;
            TB(t, ts(), grow_start, .map = m->addr, .old_B = 3, .new_B = 3, .kind = kind);
            m->array = take(m, NB * BSZ);
            TB(t, ts(), bucket_array_alloc, .map = m->addr, .addr = m->array, .B = 3,
               .nbuckets = NB, .bytes = NB * BSZ);
            for (int j = 0; j < NB; j++) {
                TB(t, ts(), evacuate, .map = m->addr, .old_index = (uint64_t)j,
                   .old_addr = old + (uint64_t)j * BSZ, .x_addr = m->array + (uint64_t)j * BSZ);
                memset(m->th[j], 0, 8);
            }
            TB(t, ts(), grow_done, .map = m->addr, .old_addr = old, .B = 3, .kind = kind);
            TB(t, ts(), bucket_free, .map = m->addr, .addr = old, .bytes = NB * BSZ,
               .kind = HMAP_MEM_ARRAY,
               .reason = kind == HMAP_GROW_SHRINK ? HMAP_FREE_SHRINK : HMAP_FREE_GROW_DONE);
        }
        break;
    case 3: /* clear of one bucket's live slots */
        if (rnd() % 3) break;
        for (int j = 0; j < 8; j++)
            if (m->th[b][j] >= HMAP_TOPHASH_MIN_LIVE)
                write_th(m, b, j, HMAP_TOPHASH_EMPTY_REST, HMAP_TH_CLEAR);
        break;
    case 4: /* an indirect key taken or given back */
        if (!m->indirect) break;
        {
            int k = (int)(rnd() % 8);
            if (m->obj[k]) {
                TB(t, ts(), indirect_free, .map = m->addr, .addr = m->obj[k], .bytes = 200,
                   .kind = HMAP_INDIRECT_KEY, .reason = HMAP_OBJ_DELETE);
                m->obj[k] = 0;
            } else {
                m->obj[k] = take(m, 200);
                TB(t, ts(), indirect_alloc, .map = m->addr, .addr = m->obj[k], .bytes = 200,
                   .kind = HMAP_INDIRECT_KEY);
            }
        }
        break;
    case 5: /* map_info 1-3 us in the past: out of order */
        if (now - m->created_ns > 20000)
            TB(t, now - 1000 * (1 + rnd() % 3), map_info, .map = m->addr, .name = "late");
        break;
    default: /* insert into an empty slot (a reuse if it was deleted), or delete */
        if (m->th[b][s] >= HMAP_TOPHASH_MIN_LIVE)
            write_th(m, b, s, HMAP_TOPHASH_EMPTY_ONE, HMAP_TH_DELETE);
        else
            write_th(m, b, s, (uint8_t)(HMAP_TOPHASH_MIN_LIVE + rnd() % 200), HMAP_TH_INSERT);
        break;
    }
}

int main(int argc, char **argv)
{
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: gen_shards mixed|overlap|bigsum|late N OUT.hmt [OUT.bt]\n");
        return 2;
    }
    const char *shape = argv[1];
    long n = atol(argv[2]);
    t = tb_open(argv[3], argc == 5 ? argv[4] : NULL);
    if (!t) return 1;
    if (strcmp(shape, "late") == 0) {
        struct map *a = &maps[0], *b = &maps[1]; /* a: shard 0 of any -j */
        tb_keep_order(t);
        next_addr[0] = 0x7f0000000000ull;
        a->pid = b->pid = 100;
        a->addr = 0xc000010000ull, b->addr = 0xc000010040ull;
        create(a);
        create(b);
        write_th(a, 0, 0, 200, HMAP_TH_INSERT);
        uint64_t deleted = ts();
        for (int i = 0; i < N_LATE; i++) {
            int s = i % 8;
            if (b->th[1][s] >= HMAP_TOPHASH_MIN_LIVE)
                write_th(b, 1, s, HMAP_TOPHASH_EMPTY_ONE, HMAP_TH_DELETE);
            else
                write_th(b, 1, s, 200, HMAP_TH_INSERT);
        }
        write_th_at(a, 0, 0, HMAP_TOPHASH_EMPTY_ONE, HMAP_TH_DELETE, deleted);
        write_th(a, 0, 0, 201, HMAP_TH_INSERT);
        return tb_close(t) == 0 ? 0 : 1;
    }
    if (strcmp(shape, "bigsum") == 0) {
        for (int i = 0; i < 2; i++) {
            struct map *m = &maps[i];
            m->pid = 100;
            m->addr = 0x1000 + 0x100 * (uint64_t)i;
            next_addr[0] = 0x7f0000000000ull;
            next_addr[0] += (uint64_t)i << 24;
            create(m);
            for (int s = 0; s < 8; s++) {
                write_th(m, 0, s, 200, HMAP_TH_INSERT);
                write_th(m, 0, s, HMAP_TOPHASH_EMPTY_ONE, HMAP_TH_DELETE);
            }
        }
        now += 1ull << 52;
        TB(t, ts(), map_info, .map = maps[0].addr);
        return tb_close(t) == 0 ? 0 : 1;
    }
    tb_keep_order(t);
    next_addr[0] = 0x7f0000000000ull;
    next_addr[1] = 0x7e0000000000ull;
    for (int i = 0; i < NMAPS; i++) {
        maps[i].pid = 100 + (uint32_t)(i % 2);
        maps[i].addr = 0xc000010000ull + 0x40 * (uint64_t)i;
        maps[i].indirect = i % 5 == 0;
        create(&maps[i]);
    }
    for (long i = 0; i < n; i++) {
        struct map *m = &maps[rnd() % NMAPS];
        if (!m->live) {
            create(m);
            continue;
        }
        if (rnd() % 4000 == 0) {
            destroy(m, rnd() % 2 ? HMAP_FREE_DESTROY : HMAP_FREE_CLEAR);
            continue;
        }
        if (rnd() % 3000 == 0) {
            uint64_t at = ts();
            if (rnd() % 2)
                tb_lost(t, at, 1 + rnd() % 5, 0, 0);
            else
                tb_lost(t, at, 1 + rnd() % 5, at - 5000, at - 100);
        }
        step(m);
    }
    if (strcmp(shape, "overlap") == 0) {
        /* map 1 allocates over map 0's array: map 0's free was lost */
        struct map *a = &maps[0], *b = &maps[2];
        if (!a->live) create(a);
        if (!b->live) create(b);
        pid_of(b);
        TB(t, ts(), bucket_array_alloc, .map = b->addr, .addr = a->array, .B = 3, .nbuckets = NB,
           .bytes = NB * BSZ);
        b->array = a->array;
        for (int i = 0; i < 200; i++)
            step(&maps[rnd() % 4]);
    }
    return tb_close(t) == 0 ? 0 : 1;
}
