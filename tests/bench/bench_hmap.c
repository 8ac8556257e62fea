/* SPDX-License-Identifier: MIT */
/*
 * bench_hmap.c — libhmap side of `make bench`: the GO reclaim policy with
 * every probe backend compiled in and nobody listening (the production
 * configuration).  Keys, workloads and output lines are defined in
 * bench_common.h and shared with the Go and Abseil programs.
 *
 *   bench_hmap --keys u64|str --n N --runs R
 *
 * u64 rows use hmap_type_u64; string rows use hmap_type_str with hmap_str keys
 * pointing at pre-generated 16-byte strings (the map stores pointer+length,
 * like a Go string header; the bytes are owned here, as in the Go program).
 */
#include "bench_common.h"

#include <hmap.h>

/* The keys of one run: 2N of them, addressed as kbase + i * kstride so that
 * the u64 and string paths share every loop below. */
struct keyset {
    const hmap_type *type;
    const char *kbase;
    size_t kstride;
    size_t n;
};

static inline const void *key_at(const struct keyset *ks, size_t i)
{
    return ks->kbase + i * ks->kstride;
}

static volatile uint64_t sink; /* keeps lookups and iteration from being optimised away */

static hmap *new_map(const struct keyset *ks, size_t hint)
{
    hmap_options o = {.hint = hint, .reclaim = HMAP_RECLAIM_GO};
    hmap *m = hmap_new(ks->type, &o);
    if (!m) {
        perror("bench_hmap: hmap_new");
        exit(1);
    }
    return m;
}

static void insert_first_n(hmap *m, const struct keyset *ks)
{
    for (size_t i = 0; i < ks->n; i++) {
        uint64_t v = i;
        if (hmap_set(m, key_at(ks, i), &v) != 0) {
            fprintf(stderr, "bench_hmap: hmap_set failed at %zu\n", i);
            exit(1);
        }
    }
}

/* Insert N fresh keys into new maps; map creation is timed, freeing is not
 * (Abseil's destructor and Go's GC are outside their timers too, as far as
 * Go allows). */
static BENCH_NOINLINE double run_insert(const struct keyset *ks, size_t hint)
{
    size_t passes = bench_passes(ks->n);
    uint64_t total = 0;
    for (size_t p = 0; p < passes; p++) {
        uint64_t t0 = bench_now_ns();
        hmap *m = new_map(ks, hint);
        insert_first_n(m, ks);
        total += bench_now_ns() - t0;
        hmap_free(m);
    }
    return (double)total / (double)(passes * ks->n);
}

/* Look up keys starting at index `first` (0: present, N: absent). */
static BENCH_NOINLINE double run_lookup(hmap *m, const struct keyset *ks, size_t first)
{
    size_t passes = bench_passes(ks->n), span = bench_span(ks->n);
    uint64_t sum = 0, t0 = bench_now_ns();
    for (size_t p = 0; p < passes; p++)
        for (size_t i = first; i < first + span; i++) {
            const uint64_t *v = hmap_get(m, key_at(ks, i));
            sum += v ? *v : 1;
        }
    uint64_t t = bench_now_ns() - t0;
    sink += sum;
    return (double)t / (double)(passes * span);
}

static BENCH_NOINLINE double run_iterate(hmap *m, const struct keyset *ks)
{
    size_t passes = bench_passes(ks->n), seen = 0;
    uint64_t sum = 0, t0 = bench_now_ns();
    for (size_t p = 0; p < passes; p++) {
        hmap_iter it;
        const void *k;
        void *v;
        hmap_iter_init(&it, m);
        while (hmap_iter_next(&it, &k, &v)) {
            sum += *(const uint64_t *)v;
            seen++;
        }
    }
    uint64_t t = bench_now_ns() - t0;
    sink += sum;
    return (double)t / (double)seen;
}

/* Steady churn: step j deletes key j mod 2N and inserts key (j+N) mod 2N, so
 * the map always holds exactly N keys.  *step carries j across runs. */
static BENCH_NOINLINE double run_churn(hmap *m, const struct keyset *ks, uint64_t *step)
{
    size_t ops = bench_passes(ks->n) * bench_span(ks->n), n2 = 2 * ks->n;
    uint64_t t0 = bench_now_ns();
    for (size_t o = 0; o < ops; o++, (*step)++) {
        uint64_t v = *step;
        hmap_delete(m, key_at(ks, *step % n2));
        if (hmap_set(m, key_at(ks, (*step + ks->n) % n2), &v) != 0) {
            fprintf(stderr, "bench_hmap: hmap_set failed in churn\n");
            exit(1);
        }
    }
    return (double)(bench_now_ns() - t0) / (double)ops;
}

static BENCH_NOINLINE double run_delete_all(const struct keyset *ks)
{
    size_t passes = bench_passes(ks->n);
    uint64_t total = 0;
    for (size_t p = 0; p < passes; p++) {
        hmap *m = new_map(ks, 0);
        insert_first_n(m, ks);
        uint64_t t0 = bench_now_ns();
        for (size_t i = 0; i < ks->n; i++)
            hmap_delete(m, key_at(ks, i));
        total += bench_now_ns() - t0;
        hmap_free(m);
    }
    return (double)total / (double)(passes * ks->n);
}

/* Memory: what the map holds from its allocator, full and then emptied. */
static void report_mem(const struct keyset *ks, const char *kname)
{
    hmap_stats st;
    hmap *m = new_map(ks, 0);
    insert_first_n(m, ks);
    hmap_get_stats(m, &st);
    double held = (double)st.bytes_allocated;
    for (size_t i = 0; i < ks->n; i++)
        hmap_delete(m, key_at(ks, i));
    hmap_get_stats(m, &st);
    bench_report_mem("libhmap", kname, ks->n, held, (double)st.bytes_allocated);
    hmap_free(m);
}

/* The per-request pattern: a map made, filled, read and dropped. */
static BENCH_NOINLINE double run_small(const struct keyset *ks)
{
    size_t passes = bench_passes(2 * ks->n);
    uint64_t sum = 0, t0 = bench_now_ns();
    for (size_t p = 0; p < passes; p++) {
        hmap *m = new_map(ks, 0);
        insert_first_n(m, ks);
        for (size_t i = 0; i < ks->n; i++) {
            const uint64_t *v = hmap_get(m, key_at(ks, i));
            sum += v ? *v : 1;
        }
        hmap_free(m);
    }
    sink += sum;
    return (double)(bench_now_ns() - t0) / (double)passes;
}

/* Many small maps live at once: one lookup in each, round robin. */
static BENCH_NOINLINE double run_many(hmap **maps, const struct keyset *ks)
{
    size_t passes = bench_passes(BENCH_MANY_MAPS);
    uint64_t sum = 0, t0 = bench_now_ns();
    for (size_t p = 0; p < passes; p++)
        for (size_t j = 0; j < BENCH_MANY_MAPS; j++) {
            const uint64_t *v = hmap_get(maps[j], key_at(ks, (j + p) % ks->n));
            sum += v ? *v : 1;
        }
    sink += sum;
    return (double)(bench_now_ns() - t0) / (double)(passes * BENCH_MANY_MAPS);
}

/* Bytes per map for small N: hmap_stats.bytes_allocated (header, ext,
 * buckets: what the allocator handed out), averaged over many maps. */
static void report_mapmem(const struct keyset *ks, const char *kname)
{
    for (size_t t = 0; t < sizeof bench_mapmem_n / sizeof bench_mapmem_n[0]; t++) {
        size_t n = bench_mapmem_n[t], count = bench_mapmem_maps(n);
        struct keyset sub = *ks;
        sub.n = n;
        double total = 0;
        for (size_t j = 0; j < count; j++) {
            hmap *m = new_map(&sub, 0);
            insert_first_n(m, &sub);
            hmap_stats st;
            hmap_get_stats(m, &st);
            total += (double)st.bytes_allocated;
            hmap_free(m);
        }
        bench_report_mapmem("libhmap", kname, n, total / (double)count);
    }
}

int main(int argc, char **argv)
{
    struct bench_args a = bench_parse_args(argc, argv);
    const char *kname = a.str_keys ? "str" : "u64";
    uint64_t *u64 = bench_u64_keys(a.n);
    char *bytes = NULL;
    hmap_str *strs = NULL;
    struct keyset ks = {&hmap_type_u64, (const char *)u64, sizeof *u64, a.n};
    if (a.str_keys) {
        bytes = bench_str_bytes(u64, 2 * a.n);
        strs = malloc(2 * a.n * sizeof *strs);
        if (!strs) {
            perror("bench_hmap");
            return 1;
        }
        for (size_t i = 0; i < 2 * a.n; i++)
            strs[i] = (hmap_str){bytes + i * BENCH_STR_LEN, BENCH_STR_LEN};
        ks = (struct keyset){&hmap_type_str, (const char *)strs, sizeof *strs, a.n};
    }
    double *ns = malloc((size_t)a.runs * sizeof *ns);
    if (!ns) return 1;

#define RUNS(op, expr)                                                                             \
    do {                                                                                           \
        if (!bench_wants(&a, op)) break;                                                           \
        for (int r = 0; r < a.runs; r++)                                                           \
            ns[r] = (expr);                                                                        \
        bench_report("libhmap", kname, op, a.n, ns, a.runs);                                       \
    } while (0)

    RUNS("insert", run_insert(&ks, 0));
    RUNS("insert_hint", run_insert(&ks, a.n));

    /* One full map for the read workloads, then churned. */
    if (bench_wants(&a, "lookup_hit") || bench_wants(&a, "lookup_miss") ||
        bench_wants(&a, "iterate") || bench_wants(&a, "churn")) {
        hmap *m = new_map(&ks, 0);
        insert_first_n(m, &ks);
        RUNS("lookup_hit", run_lookup(m, &ks, 0));
        RUNS("lookup_miss", run_lookup(m, &ks, a.n));
        RUNS("iterate", run_iterate(m, &ks));
        uint64_t step = 0;
        RUNS("churn", run_churn(m, &ks, &step));
        hmap_free(m);
    }
    RUNS("delete_all", run_delete_all(&ks));
    RUNS("small", run_small(&ks));
    if (bench_wants(&a, "many")) {
        hmap **maps = malloc(BENCH_MANY_MAPS * sizeof *maps);
        if (!maps) return 1;
        for (size_t j = 0; j < BENCH_MANY_MAPS; j++) {
            maps[j] = new_map(&ks, 0);
            insert_first_n(maps[j], &ks);
        }
        RUNS("many", run_many(maps, &ks));
        for (size_t j = 0; j < BENCH_MANY_MAPS; j++)
            hmap_free(maps[j]);
        free(maps);
    }
    if (bench_wants(&a, "mapmem")) {
        if (a.n < BENCH_MAPMEM_KEYS) bench_usage(argv[0]);
        report_mapmem(&ks, kname);
    }

    if (bench_wants(&a, "mem")) report_mem(&ks, kname);
    free(ns);
    free(strs);
    free(bytes);
    free(u64);
    return 0;
}
