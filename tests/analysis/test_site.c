/* SPDX-License-Identifier: MIT */
/*
 * test_site.c — bs_site_describe (analysis/report/site.h) on real objects:
 * site_probe.c prints the sites it recorded at known lines, from a PIE
 * executable, a non-PIE one and a shared library; the answer must name the
 * calling function and its file:line exactly.  Copies of the PIE without
 * debug info (separate debug file, symbols only, nothing) and objects that
 * cannot be read must give the documented fallbacks.
 *
 * Paths come from CMake: SITE_PROBE_PIE, SITE_PROBE_NOPIE ("" when the
 * toolchain cannot link -no-pie), SITE_PROBE_DIR (the stripped copies),
 * SITE_NOT_ELF (a source file).
 */
#include <CUnit/CUnit.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cunit_util.h"
#include "site.h"

/* One line of site_probe's output. */
struct probe_site {
    char object[4096];
    uint64_t off;
    int line;
    char func[64];
};

/* Runs a probe program; its two sites, the executable's then the library's. */
static int run_probe(const char *prog, struct probe_site s[2])
{
    FILE *p = popen(prog, "r");
    if (!p) return -1;
    int n = 0;
    while (n < 2 && fscanf(p, "%4095s %" SCNx64 " %d %63s", s[n].object, &s[n].off, &s[n].line,
                           s[n].func) == 4)
        n++;
    int st = pclose(p);
    return n == 2 && st == 0 ? 0 : -1;
}

/* e_type of an ELF file: 2 ET_EXEC, 3 ET_DYN (little-endian hosts). */
static int elf_type(const char *path)
{
    unsigned char h[18];
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    size_t n = fread(h, 1, sizeof h, f);
    fclose(f);
    return n == sizeof h && memcmp(h, "\177ELF", 4) == 0 ? h[16] | h[17] << 8 : -1;
}

static const char *base_of(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static void expect_line(const char *object, uint64_t off, const char *func, const char *file,
                        int line)
{
    char want[256], got[256];
    snprintf(want, sizeof want, "%s (%s:%d)", func, file, line);
    int rc = bs_site_describe(object, off, got, sizeof got);
    if (rc != 0 || strcmp(got, want) != 0)
        FAILF("%.60s+0x%" PRIx64 ": got \"%.60s\" rc %d, want \"%.60s\" rc 0", object, off, got, rc,
              want);
}

static void expect_fallback(const char *object, uint64_t off, const char *want)
{
    char got[256];
    int rc = bs_site_describe(object, off, got, sizeof got);
    if (rc != 1 || strcmp(got, want) != 0)
        FAILF("%.60s+0x%" PRIx64 ": got \"%.60s\" rc %d, want \"%.60s\" rc 1", object, off, got, rc,
              want);
}

static struct probe_site pie[2];
static int have_pie;

static int suite_init(void)
{
    have_pie = run_probe(SITE_PROBE_PIE, pie) == 0;
    return 0;
}

static int suite_cleanup(void)
{
    bs_site_cache_free();
    return 0;
}

static void test_pie(void)
{
    if (!have_pie) FAILF("%s did not print two sites", SITE_PROBE_PIE);
    if (!have_pie) return;
    CU_ASSERT_EQUAL(elf_type(pie[0].object), 3);
    CU_ASSERT_STRING_EQUAL(pie[0].func, "site_probe_caller");
    expect_line(pie[0].object, pie[0].off, "site_probe_caller", "site_probe.c", pie[0].line);
    /* Again, from the cache. */
    expect_line(pie[0].object, pie[0].off, "site_probe_caller", "site_probe.c", pie[0].line);
}

static void test_shared_lib(void)
{
    if (!have_pie) return;
    if (strcmp(base_of(pie[1].object), "libsite_probe_lib.so") != 0)
        FAILF("library site in %.200s", pie[1].object);
    expect_line(pie[1].object, pie[1].off, "site_lib_call", "site_probe_lib.c", pie[1].line);
}

static void test_nopie(void)
{
    struct probe_site s[2];
    if (!SITE_PROBE_NOPIE[0]) return; /* the toolchain cannot link -no-pie */
    if (run_probe(SITE_PROBE_NOPIE, s) != 0) {
        FAILF("%s did not print two sites", SITE_PROBE_NOPIE);
        return;
    }
    /* A classic executable: linked at its first PT_LOAD's vaddr (0x400000
     * on x86-64), which site_off does not include. */
    CU_ASSERT_EQUAL(elf_type(s[0].object), 2);
    expect_line(s[0].object, s[0].off, "site_probe_caller", "site_probe.c", s[0].line);
    expect_line(s[1].object, s[1].off, "site_lib_call", "site_probe_lib.c", s[1].line);
}

/* The same offset in copies of the PIE (objcopy does not move code). */
static void test_debuglink(void)
{
    if (!have_pie) return;
    expect_line(SITE_PROBE_DIR "/site_probe.linked", pie[0].off, "site_probe_caller",
                "site_probe.c", pie[0].line);
}

static void test_symbols_only(void)
{
    if (!have_pie) return;
    char got[256];
    int rc = bs_site_describe(SITE_PROBE_DIR "/site_probe.nodebug", pie[0].off, got, sizeof got);
    const char *suffix = " (site_probe.nodebug)";
    size_t n = strlen(got), ns = strlen(suffix);
    if (rc != 1 || strncmp(got, "site_probe_caller+0x", 20) != 0 || n < ns ||
        strcmp(got + n - ns, suffix) != 0)
        FAILF("got \"%.100s\" rc %d, want \"site_probe_caller+0x...%s\" rc 1", got, rc, suffix);
}

static void test_stripped(void)
{
    if (!have_pie) return;
    char got[256], bare[64];
    int rc = bs_site_describe(SITE_PROBE_DIR "/site_probe.stripped", pie[0].off, got, sizeof got);
    snprintf(bare, sizeof bare, "site_probe.stripped+0x%" PRIx64, pie[0].off);
    /* Only .dynsym is left: a dynamic symbol's name, or the bare offset. */
    const char *suffix = " (site_probe.stripped)";
    size_t n = strlen(got), ns = strlen(suffix);
    int sym_form = n > ns && strcmp(got + n - ns, suffix) == 0 && strstr(got, "+0x");
    if (rc != 1 || (!sym_form && strcmp(got, bare) != 0))
        FAILF("got \"%.100s\" rc %d, want \"%s\" or \"sym+0x...%s\" rc 1", got, rc, bare, suffix);
}

static void test_unreadable(void)
{
    expect_fallback("/nonexistent/dir/libgone.so", 0x1234, "libgone.so+0x1234");
    expect_fallback(SITE_NOT_ELF, 0x40, "site_probe.c+0x40");
    expect_fallback("/", 0x10, "?+0x10"); /* a directory, and no basename */
    expect_fallback("", 0x1c0, "?+0x1c0");
    expect_fallback(NULL, 0x1c0, "?+0x1c0");
    char empty[] = "/tmp/bs-site-XXXXXX";
    int fd = mkstemp(empty);
    if (fd < 0) return;
    close(fd);
    char want[64];
    snprintf(want, sizeof want, "%s+0x8", base_of(empty));
    expect_fallback(empty, 0x8, want);
    unlink(empty);
    /* Offsets outside the object's code: no line, no crash. */
    if (have_pie) {
        char got[256];
        CU_ASSERT_EQUAL(bs_site_describe(pie[0].object, 0, got, sizeof got), 1);
        CU_ASSERT_EQUAL(bs_site_describe(pie[0].object, 1, got, sizeof got), 1);
        CU_ASSERT_EQUAL(bs_site_describe(pie[0].object, UINT64_MAX, got, sizeof got), 1);
        CU_ASSERT_EQUAL(bs_site_describe(pie[0].object, 1u << 30, got, sizeof got), 1);
    }
}

/* More objects than the cache holds: entries are closed and reopened. */
static void test_cache_bound(void)
{
    for (int i = 0; i < 150; i++) {
        char path[64], want[64];
        snprintf(path, sizeof path, "/nonexistent/o%d", i);
        snprintf(want, sizeof want, "o%d+0x%x", i, i + 1);
        expect_fallback(path, (uint64_t)i + 1, want);
        if (have_pie && i % 40 == 0) {
            expect_line(pie[0].object, pie[0].off, "site_probe_caller", "site_probe.c",
                        pie[0].line);
            expect_line(pie[1].object, pie[1].off, "site_lib_call", "site_probe_lib.c",
                        pie[1].line);
        }
    }
    bs_site_cache_free();
    if (have_pie)
        expect_line(pie[0].object, pie[0].off, "site_probe_caller", "site_probe.c", pie[0].line);
}

static void test_small_buffer(void)
{
    char got[8];
    expect_fallback("/nonexistent/x", 0x10, "x+0x10");
    CU_ASSERT_EQUAL(bs_site_describe("/nonexistent/abcdefgh", 0x10, got, sizeof got), 1);
    CU_ASSERT_STRING_EQUAL(got, "abcdefg");
    CU_ASSERT_EQUAL(bs_site_describe("/nonexistent/x", 0x10, NULL, 0), 1);
    if (have_pie) {
        CU_ASSERT_EQUAL(bs_site_describe(pie[0].object, pie[0].off, got, sizeof got), 0);
        CU_ASSERT_STRING_EQUAL(got, "site_pr");
    }
}

static void add_suites(void)
{
    CU_pSuite s = CU_add_suite("site", suite_init, suite_cleanup);
    CU_add_test(s, "PIE executable: function and file:line of the call", test_pie);
    CU_add_test(s, "shared library", test_shared_lib);
    CU_add_test(s, "non-PIE executable (linked at 0x400000)", test_nopie);
    CU_add_test(s, "separate debug file (.gnu_debuglink)", test_debuglink);
    CU_add_test(s, "symbol table only: func+0x (basename)", test_symbols_only);
    CU_add_test(s, "fully stripped: fallback, no crash", test_stripped);
    CU_add_test(s, "missing, non-ELF, empty and unnamed objects: basename+0xOFF", test_unreadable);
    CU_add_test(s, "cache bound: more objects than cached", test_cache_bound);
    CU_add_test(s, "output truncated to cap", test_small_buffer);
}

int main(int argc, char **argv)
{
    return cunit_main(argc, argv, "test_analysis_site", add_suites);
}
