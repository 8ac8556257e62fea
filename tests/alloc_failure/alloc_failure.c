/* SPDX-License-Identifier: MIT */
/*
 * alloc_failure.c — allocation failure injected at every allocation a
 * workload makes.
 *
 * For each test type a fixed workload (growth by doubling, same-size growth
 * from churn, overflow buckets, indirect keys and values, iterators that
 * keep retired memory alive, clear during a growth, deletes down to empty)
 * is run once to count its allocations N.  Then for k = 1..N it is run again
 * with an allocator that fails only the k-th allocation, and the test
 * asserts:
 *   - hmap_new failing returns NULL with errno ENOMEM and holds nothing;
 *   - hmap_set failing returns -ENOMEM and the entries are exactly the
 *     model's (the harness checks the key, the length, then a full
 *     comparison and a full iteration run right after the failure);
 *   - a failed allocation anywhere else (evacuation during a delete) is
 *     invisible: every answer still matches the model;
 *   - the map keeps working: the workload runs to its end, checked step by
 *     step, and the map's own byte count equals the allocator's;
 *   - the map's structure is consistent right after the failure and at the
 *     end (invariants.h);
 *   - after hmap_free the allocator holds no block (no leak), and no block
 *     was freed twice or with a wrong size (failalloc aborts on those).
 *
 * The same workload then runs with the EAGER and SHRINK reclaim policies.
 *
 * Usage: alloc_failure [--type NAME] [--scale N]   (scale 1..4, default 2)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "failalloc.h"
#include "invariants.h"
#include "harness.h"
#include "internal.h" /* white-box: which growths the workload reaches */

typedef enum { W_SET, W_DEL, W_CLEAR, W_ITER_START, W_ITER_STEP, W_ITER_STOP } wkind;

typedef struct wop {
    uint8_t kind;
    uint8_t slot;
    uint32_t id;
} wop;

typedef struct workload {
    wop *ops;
    size_t n, cap;
} workload;

static void emit(workload *w, wkind kind, uint32_t id, uint8_t slot)
{
    if (w->n == w->cap) {
        w->cap = w->cap ? 2 * w->cap : 1024;
        w->ops = realloc(w->ops, w->cap * sizeof *w->ops);
        if (!w->ops) abort();
    }
    w->ops[w->n++] = (wop){(uint8_t)kind, slot, id};
}

/* The workload, built from a model of its own count (no failures). */
static void build_workload(workload *w, unsigned scale)
{
    uint32_t next = 0;           /* next never-used key id */
    uint32_t fifo_lo = 0;        /* oldest live id in the churn phase */
    uint32_t fill = 100 * scale; /* phase 1 target count */
    uint32_t count = 0;

    /* 0. Churn at B = 2 just under the load factor (24 of 26 entries):
     *    delete the oldest key, insert a new one.  Overflow buckets pile up
     *    (4 are "too many" at B = 2) until a same-size growth starts. */
    while (count < 24) {
        emit(w, W_SET, next++, 0);
        count++;
    }
    for (uint32_t j = 0; j < 400 * scale; j++) {
        emit(w, W_DEL, fifo_lo++, 0);
        emit(w, W_SET, next++, 0);
    }

    /* 1. Fill: doublings up to B = 4..6, overflow buckets; an iterator runs
     *    across several growths, so old arrays are retired, not freed. */
    while (count < fill) {
        emit(w, W_SET, next++, 0);
        count++;
        if (count == 10) emit(w, W_ITER_START, 0, 0);
        if (count > 10 && count % 4 == 0) emit(w, W_ITER_STEP, 0, 0);
    }
    emit(w, W_ITER_STOP, 0, 0);

    /* 2. Churn at constant size just under the load factor of the B the
     *    fill reached: delete the oldest key, insert a new one.  Overflow
     *    buckets pile up until a same-size growth. */
    uint32_t B = 0;
    while (fill > 8 && fill > 13u * ((1u << B) / 2)) /* Go's overLoadFactor */
        B++;
    uint32_t steady = 13u * ((1u << B) / 2) - 2;
    while (count < steady) {
        emit(w, W_SET, next++, 0);
        count++;
    }
    for (uint32_t j = 0; j < 300 * scale; j++) {
        emit(w, W_DEL, fifo_lo++, 0);
        emit(w, W_SET, next++, 0);
        if (j == 50) emit(w, W_ITER_START, 0, 2);
        if (j > 50 && j < 80 && j % 3 == 0) emit(w, W_ITER_STEP, 0, 2); /* stays unfinished */
    }
    /* Iterator 2 is never stopped: it keeps retired memory through the
     * later growths and clear, and hmap_free must release all of it. */

    /* 3. Delete every other live key (tombstones, emptyRest folding). */
    for (uint32_t id = fifo_lo; id < next; id += 2) {
        emit(w, W_DEL, id, 0);
        count--;
    }

    /* 4. Insert past the load factor and clear while the growth runs. */
    uint32_t limit = 13u * ((1u << B) / 2);
    while (count <= limit) {
        emit(w, W_SET, next++, 0);
        count++;
    }
    emit(w, W_SET, next++, 0);
    emit(w, W_CLEAR, 0, 0);

    /* 5. Refill a little, delete all one by one (reseed at empty), reuse. */
    uint32_t first = next;
    for (uint32_t j = 0; j < 60; j++)
        emit(w, W_SET, next++, 0);
    emit(w, W_ITER_START, 0, 1);
    emit(w, W_ITER_STEP, 0, 1);
    for (uint32_t id = first; id < next; id++)
        emit(w, W_DEL, id, 0);
    emit(w, W_ITER_STEP, 0, 1);
    for (uint32_t j = 0; j < 20; j++)
        emit(w, W_SET, next++, 0);
    emit(w, W_ITER_STOP, 0, 1);
}

/* What the workload reached, seen through internal.h in the run without
 * failures: the test asserts it still covers every growth path. */
typedef struct coverage {
    unsigned doubling, same_size, shrinks, clear_while_growing;
    uint64_t retained_at_free; /* blocks an unfinished iterator kept, at hmap_free */
    const uint8_t *last_old;
} coverage;

static void observe(coverage *c, const hmap *m, const wop *op)
{
    if (op->kind == W_CLEAR && oldbuckets_of(m)) c->clear_while_growing++;
    if (oldbuckets_of(m) && oldbuckets_of(m) != c->last_old) {
        if (m->flags & F_SAME_SIZE_GROW)
            c->same_size++;
        else if (m->flags & F_SHRINK)
            c->shrinks++;
        else
            c->doubling++;
    }
    c->last_old = oldbuckets_of(m);
}

/* The reclaim policy of the maps under test: GO for the full matrix, then
 * EAGER and SHRINK (which free on delete and shrink) for some types. */
static hmap_reclaim policy = HMAP_RECLAIM_GO;
static const char *policy_name(void)
{
    return policy == HMAP_RECLAIM_GO ? "GO" : policy == HMAP_RECLAIM_EAGER ? "EAGER" : "SHRINK";
}

static uint64_t run_seed(int type)
{
    return 0x5eed0000u + (uint64_t)type;
}

/* A second workload for u64 keys, aimed at the one allocation that can fail
 * half-way: evacuating a long chain into an array without a preallocated
 * tail needs several fresh overflow buckets, reserved before anything moves.
 * At B = 3 (hint 27): chain 0 holds 24 entries (3 buckets); chains 1..6
 * each take an overflow bucket and are emptied again; the next new key sees
 * 8 overflow buckets and starts a same-size growth whose first growWork
 * evacuates chain 0 (2 fresh buckets reserved). */
#define LONG_CHAIN_HINT 27

static void build_long_chain_workload(workload *w)
{
    hmap_options o = {.seed = run_seed(TT_U64), .hint = LONG_CHAIN_HINT};
    hmap *probe = hmap_new(&hmap_type_u64, &o); /* same seed: same buckets */
    uint32_t next = 0;
    for (uint64_t b = 0; b < 8; b++) {
        unsigned want = b == 0 ? 24 : b == 7 ? 4 : 9;
        uint32_t ids[24];
        for (unsigned n = 0; n < want; next++) {
            union {
                uint64_t u64;
                hmap_str str; /* the inline hash reads by kind: keep it aligned */
            } key;
            test_types[TT_U64].make_key(next, 0, &key);
            if ((key_hash(probe, &key) & 7) == b) ids[n++] = next;
        }
        for (unsigned i = 0; i < want; i++)
            emit(w, W_SET, ids[i], 0);
        if (b >= 1 && b <= 6)
            for (unsigned i = 0; i < want; i++)
                emit(w, W_DEL, ids[i], 0);
        if (b == 0) emit(w, W_ITER_START, 0, 0);
    }
    /* Drive the growth to its end with deletes of chain 0 and lookups. */
    for (uint32_t id = 0; id < next; id++) {
        emit(w, W_DEL, id, 0);
        if (id % 5 == 0) emit(w, W_ITER_STEP, 0, 0);
    }
    hmap_free(probe);
}

/* A third workload for u64 keys under SHRINK, aimed at a shrink that merges
 * two chains into one that overflows.  At B = 4, 8 keys sit in bucket 2 and
 * 3 in bucket 10; 49 fillers sit elsewhere.  Deleting the fillers starts a
 * shrink 4 -> 3 (count <= 13), which appends old buckets 2 and 10 into new
 * bucket 2: 11 entries need an overflow bucket, and B = 3 has no
 * preallocated tail, so one is reserved from the allocator mid-shrink.  An
 * iterator runs across the shrink. */
static void build_shrink_merge_workload(workload *w)
{
    hmap_options o = {.seed = run_seed(TT_U64)};
    hmap *probe = hmap_new(&hmap_type_u64, &o); /* same seed: same buckets */
    uint32_t special[11], filler[49];
    unsigned ns = 0, nf = 0;
    for (uint32_t id = 0; ns < 11 || nf < 49; id++) {
        union {
            uint64_t u64;
            hmap_str str; /* the inline hash reads by kind: keep it aligned */
        } key;
        test_types[TT_U64].make_key(id, 0, &key);
        uint64_t b = key_hash(probe, &key) & 15;
        if ((b == 2 && ns < 8) || (b == 10 && ns >= 8 && ns < 11))
            special[ns++] = id;
        else if (b != 2 && b != 10 && nf < 49)
            filler[nf++] = id;
    }
    hmap_free(probe);
    for (unsigned i = 0; i < 11; i++)
        emit(w, W_SET, special[i], 0);
    for (unsigned i = 0; i < 49; i++)
        emit(w, W_SET, filler[i], 0);
    emit(w, W_ITER_START, 0, 0);
    for (unsigned i = 0; i < 49; i++) {
        emit(w, W_DEL, filler[i], 0);
        if (i % 4 == 0) emit(w, W_ITER_STEP, 0, 0);
    }
    for (unsigned i = 0; i < 11; i++)
        emit(w, W_DEL, special[i], 0);
    emit(w, W_ITER_STOP, 0, 0);
}

static hmap_stats stats_of_map(const hmap *m)
{
    hmap_stats st;
    hmap_get_stats(m, &st);
    return st;
}

/* The map's accounting agrees with what the allocator handed out. */
static void check_bytes(harness *h, const failalloc *fa)
{
    hmap_stats st;
    hmap_get_stats(h->m, &st);
    if (st.bytes_allocated != fa->live_bytes)
        harness_fail(h, "stats.bytes_allocated %llu, allocator holds %llu bytes",
                     (unsigned long long)st.bytes_allocated, (unsigned long long)fa->live_bytes);
}

/* Run the workload with the k-th allocation failing (k = 0: none).
 * Returns the number of allocation calls made. */
static uint64_t run(int type, const workload *w, size_t hint, uint64_t k, coverage *cov)
{
    failalloc fa;
    failalloc_init(&fa, k);
    hmap_options o = {.seed = run_seed(type), .hint = hint, .allocator = &fa.a, .reclaim = policy};
    harness h;
    bool ok = harness_init(&h, type, &o);
    snprintf(h.ctx, sizeof h.ctx, "alloc_failure reclaim=%s fail_at=%llu", policy_name(),
             (unsigned long long)k);
    if (!ok) {
        if (errno != ENOMEM || fa.failures != 1)
            harness_fail(&h, "hmap_new failed with errno %d, %llu injected failures", errno,
                         (unsigned long long)fa.failures);
        if (fa.live.len != 0) harness_fail(&h, "failed hmap_new leaked %zu blocks", fa.live.len);
        harness_destroy(&h);
        ok = harness_init(&h, type, &o); /* the k-th call is past: succeeds */
        snprintf(h.ctx, sizeof h.ctx, "alloc_failure reclaim=%s fail_at=%llu", policy_name(),
                 (unsigned long long)k);
        if (!ok) harness_fail(&h, "hmap_new failed without an injected failure");
    }
    h.enomem_ok = true;

    for (size_t i = 0; i < w->n; i++) {
        const wop *op = &w->ops[i];
        if (cov) observe(cov, h.m, op);
        uint64_t before = fa.failures;
        int rc = 0;
        switch (op->kind) {
        case W_SET:
            rc = harness_set(&h, op->id, op->id * 31 + i, (unsigned)(i & 1));
            break;
        case W_DEL:
            harness_delete(&h, op->id);
            break;
        case W_CLEAR:
            harness_clear(&h);
            break;
        case W_ITER_START:
            harness_iter_start(&h, op->slot);
            break;
        case W_ITER_STEP:
            harness_iter_step(&h, op->slot, 5);
            break;
        case W_ITER_STOP:
            harness_iter_stop(&h, op->slot);
            break;
        }
        if (rc == -ENOMEM && fa.failures == before)
            harness_fail(&h, "hmap_set returned -ENOMEM but no allocation failed");
        if (fa.failures != before) {
            /* Right after the failure: everything must still be exact. */
            harness_verify_all(&h, true);
            harness_check_invariants(&h);
            check_bytes(&h, &fa);
        }
    }
    harness_verify_all(&h, true);
    harness_check_invariants(&h);
    check_bytes(&h, &fa);
    if (k && fa.failures != 1)
        harness_fail(&h, "allocation %llu was never requested", (unsigned long long)k);
    if (cov) cov->retained_at_free = stats_of_map(h.m).retained_blocks;
    harness_destroy(&h);
    if (fa.live.len != 0) {
        fprintf(stderr,
                "FAIL [alloc_failure type=%s fail_at=%llu]: %zu blocks (%llu bytes) "
                "leaked after hmap_free\n",
                test_types[type].name, (unsigned long long)k, fa.live.len,
                (unsigned long long)fa.live_bytes);
        abort();
    }
    uint64_t calls = fa.calls;
    failalloc_destroy(&fa);
    return calls;
}

/* hmap_new with a size hint allocates the header and the array: fail each. */
static void new_with_hint(int type)
{
    for (uint64_t k = 1;; k++) {
        failalloc fa;
        failalloc_init(&fa, k);
        hmap_options o = {.hint = 5000, .allocator = &fa.a};
        errno = 0;
        hmap *m = hmap_new(test_types[type].type, &o);
        if (m) {
            hmap_free(m);
            if (fa.live.len) abort();
            failalloc_destroy(&fa);
            return;
        }
        if (errno != ENOMEM || fa.live.len != 0) {
            fprintf(stderr,
                    "FAIL [alloc_failure type=%s]: hmap_new(hint 5000) with allocation "
                    "%llu failing: errno %d, %zu blocks held\n",
                    test_types[type].name, (unsigned long long)k, errno, fa.live.len);
            abort();
        }
        failalloc_destroy(&fa);
    }
}

static void usage(void)
{
    fprintf(stderr, "usage: alloc_failure [--type u32|u64|str|generic|indirect] [--scale 1..4]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    int only = -1;
    unsigned scale = 2;
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc) usage();
        if (strcmp(argv[i], "--type") == 0) {
            if ((only = test_type_by_name(argv[++i])) < 0) usage();
        } else if (strcmp(argv[i], "--scale") == 0) {
            char *end;
            unsigned long v = strtoul(argv[++i], &end, 10);
            if (*end || v < 1 || v > 4) usage();
            scale = (unsigned)v;
        } else {
            usage();
        }
    }
    workload w = {0};
    build_workload(&w, scale);
    for (int t = 0; t < TT_COUNT; t++) {
        if (only >= 0 && t != only) continue;
        new_with_hint(t);
        coverage cov = {0};
        uint64_t n = run(t, &w, 0, 0, &cov);
        if (!cov.doubling || !cov.same_size || !cov.clear_while_growing || !cov.retained_at_free) {
            fprintf(stderr,
                    "FAIL [alloc_failure type=%s]: workload no longer reaches every path: "
                    "%u doublings, %u same-size growths, %u clears during growth, %llu blocks "
                    "retained by an unfinished iterator at hmap_free\n",
                    test_types[t].name, cov.doubling, cov.same_size, cov.clear_while_growing,
                    (unsigned long long)cov.retained_at_free);
            free(w.ops);
            return 1;
        }
        for (uint64_t k = 1; k <= n; k++)
            run(t, &w, 0, k, NULL);
        printf("alloc_failure: type %-8s %zu ops (%u doublings, %u same-size, clear in growth, "
               "%llu blocks retained at free), "
               "%llu allocations, each failed in turn: OK\n",
               test_types[t].name, w.n, cov.doubling, cov.same_size,
               (unsigned long long)cov.retained_at_free, (unsigned long long)n);
    }
    /* EAGER and SHRINK free on delete and shrink the array: the same workload,
     * every allocation failed in turn, for two types without per-entry
     * allocations (cheap) and, from scale 3 on, the indirect one. */
    static const int policy_types[] = {TT_U64, TT_STR, TT_INDIRECT};
    for (policy = HMAP_RECLAIM_EAGER; policy <= HMAP_RECLAIM_SHRINK; policy++) {
        for (size_t i = 0; i < sizeof policy_types / sizeof policy_types[0]; i++) {
            int t = policy_types[i];
            if ((only >= 0 && t != only) || (t == TT_INDIRECT && scale < 3)) continue;
            uint64_t n = run(t, &w, 0, 0, NULL);
            for (uint64_t k = 1; k <= n; k++)
                run(t, &w, 0, k, NULL);
            printf(
                "alloc_failure: reclaim %-6s type %-8s %llu allocations, each failed in turn: OK\n",
                policy_name(), test_types[t].name, (unsigned long long)n);
        }
    }
    policy = HMAP_RECLAIM_GO;
    free(w.ops);

    if (only < 0 || only == TT_U64) {
        workload lw = {0};
        build_long_chain_workload(&lw);
        coverage cov = {0};
        uint64_t n = run(TT_U64, &lw, LONG_CHAIN_HINT, 0, &cov);
        if (cov.same_size != 1) {
            fprintf(stderr, "FAIL [alloc_failure long chain]: %u same-size growths, want 1\n",
                    cov.same_size);
            free(lw.ops);
            return 1;
        }
        for (uint64_t k = 1; k <= n; k++)
            run(TT_U64, &lw, LONG_CHAIN_HINT, k, NULL);
        printf("alloc_failure: long chain evacuation, %zu ops, %llu allocations, each failed in "
               "turn: OK\n",
               lw.n, (unsigned long long)n);
        free(lw.ops);
    }

    if (only < 0 || only == TT_U64) {
        workload sw = {0};
        build_shrink_merge_workload(&sw);
        policy = HMAP_RECLAIM_SHRINK;
        coverage cov = {0};
        uint64_t n = run(TT_U64, &sw, 0, 0, &cov);
        if (cov.shrinks < 1) {
            fprintf(stderr, "FAIL [alloc_failure shrink merge]: the workload did not shrink\n");
            free(sw.ops);
            return 1;
        }
        for (uint64_t k = 1; k <= n; k++)
            run(TT_U64, &sw, 0, k, NULL);
        printf("alloc_failure: shrink merging two chains, %zu ops (%u shrinks), %llu allocations, "
               "each failed in turn: OK\n",
               sw.n, cov.shrinks, (unsigned long long)n);
        policy = HMAP_RECLAIM_GO;
        free(sw.ops);
    }
    typeset_cleanup();
    return 0;
}
