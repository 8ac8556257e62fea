/* SPDX-License-Identifier: MIT */
/*
 * test_misuse.c — Go's best-effort concurrent-use detection (docs/go-map-model.md
 * §10.1).  Each case runs in a forked child with the hashWriting flag set
 * behind the map's back (as a concurrent writer would leave it); the child
 * must die by abort() after printing Go's exact message.
 */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"

typedef void (*misuse_fn)(hmap *m);

/* Run fn in a child whose stderr goes to a pipe; returns the wait status
 * and fills msg with what the child printed. */
static int run_child(misuse_fn fn, bool set_flag, char *msg, size_t msgsize)
{
    int p[2];
    CU_ASSERT_FATAL(pipe(p) == 0);
    fflush(NULL);
    pid_t pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        dup2(p[1], 2);
        signal(SIGABRT, SIG_DFL);
        hmap_options o = {.seed = 61};
        hmap *m = hmap_new(&hmap_type_u64, &o);
        for (uint64_t k = 0; k < 100; k++)
            hmap_set(m, &k, &k);
        if (set_flag) m->flags |= F_HASH_WRITING;
        fn(m);
        _exit(0);
    }
    close(p[1]);
    size_t n = 0;
    ssize_t r;
    while (n + 1 < msgsize && (r = read(p[0], msg + n, msgsize - 1 - n)) > 0)
        n += (size_t)r;
    msg[n] = 0;
    close(p[0]);
    int status;
    CU_ASSERT_FATAL(waitpid(pid, &status, 0) == pid);
    return status;
}

static void expect_fatal(misuse_fn fn, const char *want, const char *what)
{
    char msg[4096];
    int status = run_child(fn, true, msg, sizeof msg);
    char line[128];
    snprintf(line, sizeof line, "fatal error: %s\n", want);
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT) {
        fprintf(stderr, "\n    child stderr: %s", msg);
        FAILF("%s: child was not aborted (status 0x%x)", what, status);
    }
    if (strncmp(msg, line, strlen(line)) != 0) {
        fprintf(stderr, "\n    child stderr: %s", msg);
        FAILF("%s: stderr does not start with \"%s\"", what, want);
    }
}

static void do_set(hmap *m)
{
    uint64_t k = 1000, v = 1;
    hmap_set(m, &k, &v);
}
static void do_update(hmap *m)
{
    uint64_t k = 5, v = 1;
    hmap_set(m, &k, &v);
}
static void do_delete(hmap *m)
{
    uint64_t k = 5;
    hmap_delete(m, &k);
}
static void do_clear(hmap *m)
{
    hmap_clear(m);
}
static void do_get(hmap *m)
{
    uint64_t k = 5;
    (void)hmap_get(m, &k);
}
static void do_iter(hmap *m)
{
    hmap_iter it;
    /* The flag goes up after the iterator started (a writer came in). */
    m->flags &= (uint8_t)~F_HASH_WRITING;
    hmap_iter_init(&it, m);
    m->flags |= F_HASH_WRITING;
    hmap_iter_next(&it, NULL, NULL);
}

static void test_write_while_writing(void)
{
    expect_fatal(do_set, "concurrent map writes", "insert");
    expect_fatal(do_update, "concurrent map writes", "update");
    expect_fatal(do_delete, "concurrent map writes", "delete");
    expect_fatal(do_clear, "concurrent map writes", "clear");
}

static void test_read_while_writing(void)
{
    expect_fatal(do_get, "concurrent map read and map write", "lookup");
}

static void test_iterate_while_writing(void)
{
    expect_fatal(do_iter, "concurrent map iteration and map write", "iterator next");
}

/* A writer that finds the flag cleared at its end (another writer toggled
 * it meanwhile) dies too.  The other writer is simulated by a key equality
 * function, which runs after the writer set the flag. */
static hmap *toggled_map;
static bool toggling_equal(const void *a, const void *b)
{
    toggled_map->flags ^= F_HASH_WRITING;
    return memcmp(a, b, 8) == 0;
}
static void do_toggled_write(hmap *unused)
{
    hmap_type t = hmap_type_u64;
    t.kind = HMAP_KIND_GENERIC;
    t.equal = toggling_equal;
    hmap_options o = {.seed = 62};
    toggled_map = hmap_new(&t, &o);
    uint64_t k = 1, v = 1;
    hmap_set(toggled_map, &k, &v); /* empty chain: equal not called */
    hmap_set(toggled_map, &k, &v); /* equal toggles the flag off */
}

static void test_flag_cleared_during_write(void)
{
    char msg[4096];
    int status = run_child(do_toggled_write, false, msg, sizeof msg);
    CU_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
    CU_ASSERT_STRING_EQUAL(msg, "fatal error: concurrent map writes\n");
}

/* Control: the same operations without the flag run to completion. */
static void test_no_false_alarm(void)
{
    misuse_fn fns[] = {do_set, do_update, do_delete, do_clear, do_get};
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        char msg[4096];
        int status = run_child(fns[i], false, msg, sizeof msg);
        CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        CU_ASSERT_STRING_EQUAL(msg, "");
    }
}

void suite_misuse(void)
{
    CU_pSuite s = CU_add_suite("misuse", NULL, NULL);
    CU_add_test(s, "write while hashWriting: concurrent map writes", test_write_while_writing);
    CU_add_test(s, "lookup while hashWriting: concurrent map read and map write",
                test_read_while_writing);
    CU_add_test(s, "iterator while hashWriting: concurrent map iteration and map write",
                test_iterate_while_writing);
    CU_add_test(s, "flag cleared under a writer: concurrent map writes",
                test_flag_cleared_during_write);
    CU_add_test(s, "no alarm without misuse", test_no_false_alarm);
}
