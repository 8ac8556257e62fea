/* SPDX-License-Identifier: MIT */
/*
 * test_memory.c — where the default allocator puts bucket memory
 * (docs/libhmap.md, "Memory"): a block of 2 MiB or more is a mapping of its
 * own on a 2 MiB boundary, advised for transparent huge pages, and kept for
 * reuse or unmapped when freed; smaller blocks come from malloc.  The map built on such an
 * array must behave exactly as any other.
 *
 * Read through /proc/self/maps and /proc/self/smaps (Linux); without them
 * the tests print SKIPPED and check only what the addresses show.
 */
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

static bool huge_path_expected(void)
{
    return sysconf(_SC_PAGESIZE) == 4096;
}

/* The default allocator itself, at the boundary: 2 MiB - 1 bytes from
 * malloc, 2 MiB and a size that is no multiple of a page as mappings of
 * their own; each zeroed and writable to its last byte; freed mappings are
 * gone from the address space. */
static void test_default_allocator_boundary(void)
{
    const hmap_allocator *a = &hmap_default_allocator;
    if (!huge_path_expected()) {
        printf("SKIPPED: base page is not 4 KiB, the huge-page path is off\n");
        return;
    }
    const size_t sizes[] = {(size_t)TWO_MIB - 1, (size_t)TWO_MIB, (size_t)TWO_MIB * 3 + 100};
    for (size_t t = 0; t < sizeof sizes / sizeof sizes[0]; t++) {
        size_t size = sizes[t];
        uint8_t *p = a->alloc(a->ctx, size, 16);
        CU_ASSERT_PTR_NOT_NULL_FATAL(p);
        size_t nonzero = 0;
        for (size_t i = 0; i < size; i += 4096)
            nonzero += p[i] != 0;
        nonzero += p[size - 1] != 0;
        if (nonzero) FAILF("size %zu: %zu sampled bytes not zero", size, nonzero);
        p[0] = 1;
        p[size - 1] = 2; /* the last byte is ours */
        bool big = size >= TWO_MIB;
        bool aligned = ((uintptr_t)p & (TWO_MIB - 1)) == 0;
        if (big && !aligned) FAILF("size %zu: block %p is not 2 MiB aligned", size, (void *)p);
        struct vma_info v;
        if (!vma_of(p, &v)) {
            printf("SKIPPED: /proc/self/smaps unreadable, mapping checks left out\n");
            a->free(a->ctx, p, size);
            continue;
        }
        CU_ASSERT_TRUE(v.found);
        if (big && !v.starts_at)
            FAILF("size %zu: block %p is not a mapping of its own (in %#lx-%#lx)", size, (void *)p,
                  (unsigned long)v.start, (unsigned long)v.end);
        if (!big && v.starts_at) FAILF("size %zu: a malloc block should not start a mapping", size);
        if (big && thp_available() && !v.hugepage)
            FAILF("size %zu: mapping not advised MADV_HUGEPAGE", size);
        if (big && v.end - v.start != ((size + 4095) & ~(size_t)4095))
            FAILF("size %zu: mapping is %lu bytes, want the size rounded to 4 KiB", size,
                  (unsigned long)(v.end - v.start));
        a->free(a->ctx, p, size);
        /* Freed big blocks may be kept for reuse: whatever comes back for
         * the same size is zeroed again. */
        uint8_t *q = a->alloc(a->ctx, size, 16);
        CU_ASSERT_PTR_NOT_NULL_FATAL(q);
        if (q[0] != 0 || q[size - 1] != 0) FAILF("size %zu: reused block not zeroed", size);
        a->free(a->ctx, q, size);
    }
}

/* Freed huge blocks: at most 4 kept mapped for reuse (64 MiB in all), the
 * rest unmapped at once; a block over the cap is never kept.  Blocks come
 * back zeroed whether reused or fresh. */
static void test_huge_block_cache(void)
{
    const hmap_allocator *a = &hmap_default_allocator;
    if (!huge_path_expected()) {
        printf("SKIPPED: base page is not 4 KiB, the huge-page path is off\n");
        return;
    }
    enum { NBLK = 7 };
    const size_t size = (size_t)3 << 20; /* a size no other test uses */
    uint8_t *p[NBLK];
    for (int i = 0; i < NBLK; i++) {
        p[i] = a->alloc(a->ctx, size, 16);
        CU_ASSERT_PTR_NOT_NULL_FATAL(p[i]);
        memset(p[i], 0xa5, 4096);
        p[i][size - 1] = 0xa5;
    }
    for (int i = 0; i < NBLK; i++)
        a->free(a->ctx, p[i], size);
    struct vma_info v;
    if (vma_of(p[0], &v)) {
        int mapped = 0;
        for (int i = 0; i < NBLK; i++) {
            CU_ASSERT_TRUE(vma_of(p[i], &v));
            mapped += v.found && v.starts_at;
        }
        if (mapped > 4)
            FAILF("%d of %d freed 3 MiB blocks still mapped, at most 4 kept", mapped, NBLK);
    } else {
        printf("SKIPPED: /proc/self/smaps unreadable, mapping checks left out\n");
    }
    for (int i = 0; i < NBLK; i++) {
        p[i] = a->alloc(a->ctx, size, 16);
        CU_ASSERT_PTR_NOT_NULL_FATAL(p[i]);
        size_t nonzero = 0;
        for (size_t off = 0; off < 4096; off++)
            nonzero += p[i][off] != 0;
        nonzero += p[i][size - 1] != 0;
        if (nonzero) FAILF("block %d back with %zu nonzero bytes", i, nonzero);
    }
    for (int i = 0; i < NBLK; i++)
        a->free(a->ctx, p[i], size);
    /* Over the cap: unmapped at free. */
    const size_t big = (size_t)65 << 20;
    uint8_t *b = a->alloc(a->ctx, big, 16);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    b[0] = 1;
    a->free(a->ctx, b, big);
    if (vma_of(b, &v) && v.found && v.starts_at && v.end - v.start == big)
        FAILF("a 65 MiB block was kept after free");
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
    if (!huge_path_expected()) {
        printf("SKIPPED: base page is not 4 KiB, the huge-page path is off\n");
        return;
    }
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
        CU_ASSERT_TRUE(v.found && v.starts_at);
        if (thp_available() && !v.hugepage) FAILF("array mapping not advised MADV_HUGEPAGE");
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

/* A small map's array stays a malloc block: not a mapping of its own, not
 * advised. */
static void test_small_array_from_malloc(void)
{
    const size_t hints[] = {1000, 50000}; /* 26 KB and 1.2 MB arrays */
    for (size_t t = 0; t < sizeof hints / sizeof hints[0]; t++) {
        hmap *m = new_u64_map(9, hints[t]);
        CU_ASSERT_TRUE(map_nalloc(m) * m->bucketsize < TWO_MIB);
        struct vma_info v;
        if (!vma_of(m->buckets, &v)) {
            printf("SKIPPED: /proc/self/smaps unreadable\n");
            hmap_free(m);
            return;
        }
        CU_ASSERT_TRUE(v.found);
        if (v.starts_at) FAILF("hint %zu: small array %p starts a mapping", hints[t], m->buckets);
        fill(m, 0, hints[t]);
        check(m, 0, hints[t]);
        hmap_free(m);
    }
}

void suite_memory(void)
{
    CU_pSuite s = CU_add_suite("memory", NULL, NULL);
    CU_add_test(s, "default allocator: >= 2 MiB is an aligned, advised mapping of its own",
                test_default_allocator_boundary);
    CU_add_test(s, "freed huge blocks: at most 4 (64 MiB) kept, reused zeroed",
                test_huge_block_cache);
    CU_add_test(s, "an array >= 2 MiB on huge pages: correct through growth and deletes",
                test_large_array_on_huge_pages);
    CU_add_test(s, "a small array stays a malloc block", test_small_array_from_malloc);
}
