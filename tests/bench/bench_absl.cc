/* SPDX-License-Identifier: MIT */
/*
 * bench_absl.cc — Abseil absl::flat_hash_map side of `make bench`, the
 * Swiss-table anchor.  Same keys, workloads and output lines as
 * bench_hmap.c (see bench_common.h).
 *
 *   bench_absl --keys u64|str --n N --runs R
 *
 * String rows use std::string_view keys pointing at the pre-generated
 * 16-byte strings, so all three maps store a pointer+length per key and none
 * owns key bytes.  Memory is measured with a counting allocator: the bytes
 * currently obtained from it.
 */
#include "bench_common.h"

#include <absl/container/flat_hash_map.h>

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

// Bytes currently held by every map using CountingAllocator.
static size_t g_bytes_held;

template <class T> struct CountingAllocator {
    using value_type = T;
    CountingAllocator() = default;
    template <class U> CountingAllocator(const CountingAllocator<U> &) {}
    T *allocate(size_t n)
    {
        g_bytes_held += n * sizeof(T);
        return std::allocator<T>().allocate(n);
    }
    void deallocate(T *p, size_t n)
    {
        g_bytes_held -= n * sizeof(T);
        std::allocator<T>().deallocate(p, n);
    }
    template <class U> bool operator==(const CountingAllocator<U> &) const { return true; }
    template <class U> bool operator!=(const CountingAllocator<U> &) const { return false; }
};

template <class K>
using Map = absl::flat_hash_map<K, uint64_t, absl::Hash<K>, std::equal_to<K>,
                                CountingAllocator<std::pair<const K, uint64_t>>>;

static volatile uint64_t sink;

// All workloads for one key type; keys[0..n) present, keys[n..2n) absent.
template <class K>
static void run_all(const char *kname, const std::vector<K> &keys, const bench_args &a)
{
    size_t n = a.n;
    int runs = a.runs;
    std::vector<double> ns(runs);
    size_t passes = bench_passes(n), span = bench_span(n);
    auto fill = [&](Map<K> &m) {
        for (size_t i = 0; i < n; i++)
            m.insert_or_assign(keys[i], (uint64_t)i);
    };
    auto report = [&](const char *op) { bench_report("abseil", kname, op, n, ns.data(), runs); };

    for (int hint = 0; hint <= 1; hint++) {
        if (!bench_wants(&a, hint ? "insert_hint" : "insert")) continue;
        for (int r = 0; r < runs; r++) {
            uint64_t total = 0;
            for (size_t p = 0; p < passes; p++) {
                uint64_t t0 = bench_now_ns();
                auto *m = new Map<K>();
                if (hint) m->reserve(n);
                fill(*m);
                total += bench_now_ns() - t0;
                delete m;
            }
            ns[r] = (double)total / (double)(passes * n);
        }
        report(hint ? "insert_hint" : "insert");
    }

    Map<K> m; // one full map for the read workloads, then churned
    if (bench_wants(&a, "lookup_hit") || bench_wants(&a, "lookup_miss") ||
        bench_wants(&a, "iterate") || bench_wants(&a, "churn"))
        fill(m);
    for (size_t first = 0; first <= n; first += n) {
        if (!bench_wants(&a, first ? "lookup_miss" : "lookup_hit")) continue;
        for (int r = 0; r < runs; r++) {
            uint64_t sum = 0, t0 = bench_now_ns();
            for (size_t p = 0; p < passes; p++)
                for (size_t i = first; i < first + span; i++) {
                    auto it = m.find(keys[i]);
                    sum += it != m.end() ? it->second : 1;
                }
            ns[r] = (double)(bench_now_ns() - t0) / (double)(passes * span);
            sink += sum;
        }
        report(first ? "lookup_miss" : "lookup_hit");
    }
    for (int r = 0; r < runs && bench_wants(&a, "iterate"); r++) {
        uint64_t sum = 0, seen = 0, t0 = bench_now_ns();
        for (size_t p = 0; p < passes; p++)
            for (const auto &kv : m) {
                sum += kv.second;
                seen++;
            }
        ns[r] = (double)(bench_now_ns() - t0) / (double)seen;
        sink += sum;
    }
    if (bench_wants(&a, "iterate")) report("iterate");
    uint64_t step = 0;
    for (int r = 0; r < runs && bench_wants(&a, "churn"); r++) {
        size_t ops = passes * span;
        uint64_t t0 = bench_now_ns();
        for (size_t o = 0; o < ops; o++, step++) {
            m.erase(keys[step % (2 * n)]);
            m.insert_or_assign(keys[(step + n) % (2 * n)], step);
        }
        ns[r] = (double)(bench_now_ns() - t0) / (double)ops;
    }
    if (bench_wants(&a, "churn")) report("churn");

    for (int r = 0; r < runs && bench_wants(&a, "delete_all"); r++) {
        uint64_t total = 0;
        for (size_t p = 0; p < passes; p++) {
            Map<K> d;
            fill(d);
            uint64_t t0 = bench_now_ns();
            for (size_t i = 0; i < n; i++)
                d.erase(keys[i]);
            total += bench_now_ns() - t0;
        }
        ns[r] = (double)total / (double)(passes * n);
    }
    if (bench_wants(&a, "delete_all")) report("delete_all");

    for (int r = 0; r < runs && bench_wants(&a, "small"); r++) {
        size_t p2 = bench_passes(2 * n);
        uint64_t sum = 0, t0 = bench_now_ns();
        for (size_t p = 0; p < p2; p++) {
            auto *d = new Map<K>();
            fill(*d);
            for (size_t i = 0; i < n; i++) {
                auto it = d->find(keys[i]);
                sum += it != d->end() ? it->second : 1;
            }
            delete d;
        }
        ns[r] = (double)(bench_now_ns() - t0) / (double)p2;
        sink += sum;
    }
    if (bench_wants(&a, "small")) report("small");
    if (bench_wants(&a, "many")) {
        std::vector<Map<K>> maps(BENCH_MANY_MAPS);
        for (auto &d : maps)
            fill(d);
        size_t p2 = bench_passes(BENCH_MANY_MAPS);
        for (int r = 0; r < runs; r++) {
            uint64_t sum = 0, t0 = bench_now_ns();
            for (size_t p = 0; p < p2; p++)
                for (size_t j = 0; j < BENCH_MANY_MAPS; j++) {
                    auto it = maps[j].find(keys[(j + p) % n]);
                    sum += it != maps[j].end() ? it->second : 1;
                }
            ns[r] = (double)(bench_now_ns() - t0) / (double)(p2 * BENCH_MANY_MAPS);
            sink += sum;
        }
        report("many");
    }
    if (bench_wants(&a, "mapmem")) {
        if (n < BENCH_MAPMEM_KEYS) bench_usage("bench_absl");
        // The allocator's bytes plus the map object itself (Go's and
        // libhmap's headers are heap memory; Abseil's object lives wherever
        // its owner puts it).
        for (size_t t = 0; t < sizeof bench_mapmem_n / sizeof bench_mapmem_n[0]; t++) {
            size_t mn = bench_mapmem_n[t], count = bench_mapmem_maps(mn);
            size_t b0 = g_bytes_held;
            std::vector<Map<K>> maps(count);
            for (auto &d : maps)
                for (size_t i = 0; i < mn; i++)
                    d.insert_or_assign(keys[i], (uint64_t)i);
            double per = (double)(g_bytes_held - b0) / (double)count + (double)sizeof(Map<K>);
            bench_report_mapmem("abseil", kname, mn, per);
        }
    }

    size_t before = g_bytes_held;
    if (bench_wants(&a, "mem")) {
        Map<K> d;
        fill(d);
        double held = (double)(g_bytes_held - before);
        for (size_t i = 0; i < n; i++)
            d.erase(keys[i]);
        bench_report_mem("abseil", kname, n, held, (double)(g_bytes_held - before));
    }
}

int main(int argc, char **argv)
{
    bench_args a = bench_parse_args(argc, argv);
    uint64_t *u64 = bench_u64_keys(a.n);
    if (!a.str_keys) {
        std::vector<uint64_t> keys(u64, u64 + 2 * a.n);
        run_all<uint64_t>("u64", keys, a);
    } else {
        char *bytes = bench_str_bytes(u64, 2 * a.n);
        std::vector<std::string_view> keys;
        keys.reserve(2 * a.n);
        for (size_t i = 0; i < 2 * a.n; i++)
            keys.emplace_back(bytes + i * BENCH_STR_LEN, BENCH_STR_LEN);
        run_all<std::string_view>("str", keys, a);
        free(bytes);
    }
    free(u64);
    return 0;
}
