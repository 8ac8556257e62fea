/* SPDX-License-Identifier: MIT */
/*
 * test_memory.c — where the default allocator puts bucket memory
 * (docs/libhmap.md, "Memory"): a block of 2 MiB or more starts on a 2 MiB
 * boundary and lies in memory advised for transparent huge pages; smaller
 * blocks are plain malloc blocks.  The map built on such an array must
 * behave exactly as any other.
 *
 * Read through /proc/self/maps and /proc/self/smaps (Linux); without them
 * the tests print SKIPPED and check only what the addresses show.
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"

#define TWO_MIB ((uintptr_t)2 << 20)

/* What /proc/self/smaps says about the mapping that contains p. */
struct vma_info {
    bool found;      /* a mapping contains p */
    bool starts_at;  /* ... and begins exactly at p */
    bool hugepage;   /* its VmFlags include "hg" (MADV_HUGEPAGE) */
    uintptr_t start; /* its bounds */
    uintptr_t end;
};

/* False if /proc/self/smaps cannot be read. */
static bool vma_of(const void *p, struct vma_info *out)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen("/proc/self/smaps", "r");
    if (!f) return false;
    char line[512];
    bool inside = false;
    uintptr_t a = (uintptr_t)p;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        char dash;
        /* A mapping's first line: "lo-hi perms offset dev inode [path]". */
        if (sscanf(line, "%lx%c%lx ", &lo, &dash, &hi) == 3 && dash == '-' &&
            strchr(line, ' ') != NULL && strncmp(line, "VmFlags", 7) != 0) {
            inside = a >= lo && a < hi;
            if (inside) {
                out->found = true;
                out->starts_at = a == lo;
                out->start = lo;
                out->end = hi;
            }
            continue;
        }
        if (inside && strncmp(line, "VmFlags:", 8) == 0) {
            out->hugepage = strstr(line, " hg") != NULL;
            break;
        }
    }
    fclose(f);
    return true;
}

/* The kernel has transparent huge pages (MADV_HUGEPAGE is accepted). */
static bool thp_available(void)
{
    return access("/sys/kernel/mm/transparent_hugepage/enabled", R_OK) == 0;
}

/* The default allocator itself, at the boundary: 2 MiB - 1 bytes a plain
 * malloc block, 2 MiB and a size that is no multiple of a page 2 MiB
 * aligned and advised; each zeroed and writable to its last byte, and
 * zeroed again when a freed block is handed out anew.  (A malloc block is
 * 16-byte aligned; one that falls on a 2 MiB boundary by chance, about one
 * in 10^5, would fail the small case.) */
static void test_default_allocator_boundary(void)
{
    const hmap_allocator *a = &hmap_default_allocator;
    const size_t sizes[] = {(size_t)TWO_MIB - 1, (size_t)TWO_MIB, (size_t)TWO_MIB * 3 + 100};
    for (size_t t = 0; t < sizeof sizes / sizeof sizes[0]; t++) {
        size_t size = sizes[t];
        for (int round = 0; round < 2; round++) {
            uint8_t *p = a->alloc(a->ctx, size, 16);
            CU_ASSERT_PTR_NOT_NULL_FATAL(p);
            size_t nonzero = 0;
            for (size_t i = 0; i < size; i += 4096)
                nonzero += p[i] != 0;
            nonzero += p[size - 1] != 0;
            if (nonzero)
                FAILF("size %zu round %d: %zu sampled bytes not zero", size, round, nonzero);
            bool big = size >= TWO_MIB;
            bool aligned = ((uintptr_t)p & (TWO_MIB - 1)) == 0;
            if (big && !aligned) FAILF("size %zu: block %p is not 2 MiB aligned", size, (void *)p);
            if (!big && aligned)
                FAILF("size %zu: small block %p is 2 MiB aligned", size, (void *)p);
            struct vma_info v;
            if (big && thp_available() && vma_of(p, &v)) {
                CU_ASSERT_TRUE(v.found);
                if (!v.hugepage) FAILF("size %zu: block not advised MADV_HUGEPAGE", size);
            }
            for (size_t i = 0; i < size; i += 4096)
                p[i] = 0xa5; /* dirty it for the next round */
            p[size - 1] = 0xa5;
            a->free(a->ctx, p, size);
        }
    }
}

/* Fill keys [from, to) with value key * 3 + 1. */
static void fill(hmap *m, uint64_t from, uint64_t to)
{
    for (uint64_t k = from; k < to; k++)
        if (!set_u64(m, k * 0x9e3779b97f4a7c15u, k * 3 + 1)) {
            FAILF("set %llu failed", (unsigned long long)k);
            return;
        }
}

/* Keys [from, to) are present with their values; [to, to + 1000) absent. */
static void check(hmap *m, uint64_t from, uint64_t to)
{
    uint64_t bad = 0;
    for (uint64_t k = from; k < to; k++) {
        uint64_t key = k * 0x9e3779b97f4a7c15u;
        const uint64_t *v = hmap_get(m, &key);
        bad += !v || *v != k * 3 + 1;
    }
    for (uint64_t k = to; k < to + 1000; k++) {
        uint64_t key = k * 0x9e3779b97f4a7c15u;
        bad += hmap_get(m, &key) != NULL;
    }
    if (bad)
        FAILF("%llu wrong lookups in [%llu, %llu)", (unsigned long long)bad,
              (unsigned long long)from, (unsigned long long)to);
}

/* A map whose array is >= 2 MiB sits on a huge-page mapping; it grows
 * into another one,
 * answers every lookup, deletes, and counts the requested bytes only. */
static void test_large_array_on_huge_pages(void)
{
    /* hint 100000 -> B = 14: 2^14 + 2^10 buckets of 144 bytes = 2.5 MB. */
    hmap *m = new_u64_map(7, 100000);
    CU_ASSERT_EQUAL_FATAL(m->B, 14);
    uint8_t *arr = m->buckets;
    uint64_t bytes = map_nalloc(m) * m->bucketsize;
    CU_ASSERT_TRUE(bytes >= TWO_MIB);
    if (((uintptr_t)arr & (TWO_MIB - 1)) != 0) FAILF("array %p not 2 MiB aligned", (void *)arr);
    struct vma_info v;
    bool have_proc = vma_of(arr, &v);
    if (!have_proc) printf("SKIPPED: /proc/self/smaps unreadable, mapping checks left out\n");
    if (have_proc) {
        CU_ASSERT_TRUE(v.found);
        if (thp_available() && !v.hugepage) FAILF("array not advised MADV_HUGEPAGE");
    }
    /* Requested bytes, not the mapping's size. */
    hmap_stats st = stats_of(m);
    CU_ASSERT_EQUAL(st.bucket_bytes, bytes);

    fill(m, 0, 100000);
    check(m, 0, 100000);
    CU_ASSERT_EQUAL(m->buckets, arr); /* the hint was enough: no growth */

    /* Grow to B = 15 and finish the growth: the old array is unmapped. */
    fill(m, 100000, 250000);
    while (growing(m))
        fill(m, 250000, 250001); /* updates run growWork too */
    CU_ASSERT_TRUE(m->B >= 15);
    check(m, 0, 250000);
    if (((uintptr_t)m->buckets & (TWO_MIB - 1)) != 0)
        FAILF("grown array %p not 2 MiB aligned", (void *)m->buckets);
    for (uint64_t k = 0; k < 250000; k += 2) {
        uint64_t key = k * 0x9e3779b97f4a7c15u;
        CU_ASSERT_TRUE(hmap_delete(m, &key));
    }
    uint64_t bad = 0;
    for (uint64_t k = 0; k < 250000; k++) {
        uint64_t key = k * 0x9e3779b97f4a7c15u;
        const uint64_t *val = hmap_get(m, &key);
        bad += (k % 2 == 0) ? val != NULL : (!val || *val != k * 3 + 1);
    }
    CU_ASSERT_EQUAL(bad, 0);
    st = stats_of(m);
    CU_ASSERT_EQUAL(st.count, 125000);
    hmap_free(m);
}

/* A small map's array is a plain malloc block: not put on a 2 MiB
 * boundary (see the chance noted above). */
static void test_small_array_from_malloc(void)
{
    const size_t hints[] = {1000, 50000}; /* 26 KB and 1.2 MB arrays */
    for (size_t t = 0; t < sizeof hints / sizeof hints[0]; t++) {
        hmap *m = new_u64_map(9, hints[t]);
        CU_ASSERT_TRUE(map_nalloc(m) * m->bucketsize < TWO_MIB);
        if (((uintptr_t)m->buckets & (TWO_MIB - 1)) == 0)
            FAILF("hint %zu: small array %p is 2 MiB aligned", hints[t], (void *)m->buckets);
        fill(m, 0, hints[t]);
        check(m, 0, hints[t]);
        hmap_free(m);
    }
}

/* glibc raises its mmap threshold to the size of each mapped block freed;
 * from then on a freed 2 MiB-aligned array is heap memory, and the next
 * smaller request may be handed the same, aligned, address, so the small
 * cases would fail by the heap's history rather than by the allocator.  A
 * fixed threshold (mallopt turns the raising off) gives every block above
 * 64 KiB a mapping of its own; under a sanitizer's allocator it does
 * nothing. */
static int memory_init(void)
{
    (void)mallopt(M_MMAP_THRESHOLD, 64 * 1024);
    return 0;
}

void suite_memory(void)
{
    CU_pSuite s = CU_add_suite("memory", memory_init, NULL);
    CU_add_test(s, "default allocator: >= 2 MiB is 2 MiB aligned and advised, below is not",
                test_default_allocator_boundary);
    CU_add_test(s, "an array >= 2 MiB on huge pages: correct through growth and deletes",
                test_large_array_on_huge_pages);
    CU_add_test(s, "a small array stays a malloc block", test_small_array_from_malloc);
}
