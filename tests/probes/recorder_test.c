/* SPDX-License-Identifier: MIT */
/*
 * recorder_test.c — the in-process recorder through its public API
 * (hmap_trace.h), reading back the files it writes with the strict reader.
 */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cunit_util.h"
#include "hmap.h"
#include "hmap_trace.h"
#include "hmtrace_read.h"

static char dir[] = "/tmp/hmap-rec-test.XXXXXX";

static const char *tpath(const char *name)
{
    static char p[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

/* What a trace file holds, per event id and per thread. */
struct summary {
    int ok;
    uint64_t n_by_id[HMAP_EVENT_MAX_ID + 1];
    uint64_t inserts, deletes, lost;
    uint64_t total;
    uint32_t pid;
    uint64_t start_ns;
    int monotonic_per_tid; /* timestamps never go back within a thread */
    int padding_zero;
    uint32_t tids[16];
    uint64_t inserts_by_tid[16];
    int ntids;
};

static struct summary read_trace(const char *path)
{
    struct summary s = {.monotonic_per_tid = 1, .padding_zero = 1};
    uint64_t last_ts[16] = {0};
    struct hmtrace t;
    if (hmtrace_open(&t, path) < 0) return s;
    s.pid = t.fh.pid;
    s.start_ns = t.fh.start_ns;
    struct hmtrace_rec r;
    int st;
    while ((st = hmtrace_next(&t, &r)) == 1) {
        if (r.h.id == HMAP_NATIVE_LOST_ID) {
            s.lost += ((struct hmap_native_lost *)r.payload)->count;
            continue;
        }
        s.total++;
        s.n_by_id[r.h.id]++;
        int k = 0;
        while (k < s.ntids && s.tids[k] != r.h.tid)
            k++;
        if (k == s.ntids && s.ntids < 16) s.tids[s.ntids++] = r.h.tid;
        if (k < 16) {
            if (r.h.ts_ns < last_ts[k]) s.monotonic_per_tid = 0;
            last_ts[k] = r.h.ts_ns;
        }
        /* Padding: the bytes between the packed payload and the record end. */
        size_t payload = 0;
        switch (r.h.id) {
#define SZ_(id_, name, desc, fields)                                                               \
    case id_:                                                                                      \
        payload = sizeof(struct hmap_native_##name);                                               \
        break;
            HMAP_EVENTS(SZ_, HMAP_IGNORE_F_, HMAP_IGNORE_E_, HMAP_IGNORE_S_)
#undef SZ_
        }
        for (size_t i = payload; i < r.h.size - sizeof r.h; i++)
            if (r.payload[i]) s.padding_zero = 0;
        if (r.h.id == HMAP_EV_tophash_write) {
            const struct hmap_native_tophash_write *e = (const void *)r.payload;
            if (e->cause == HMAP_TH_INSERT) {
                s.inserts++;
                if (k < 16) s.inserts_by_tid[k]++;
            }
            if (e->cause == HMAP_TH_DELETE) s.deletes++;
        }
    }
    hmtrace_close(&t);
    s.ok = st == 0;
    return s;
}

/* Deterministic map activity: n inserts then n/2 deletes, fixed seed. */
static void churn(uint64_t base, int n)
{
    hmap_options o = {.seed = 42};
    hmap *m = hmap_new(&hmap_type_u64, &o);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    for (int i = 0; i < n; i++) {
        uint64_t k = base + (uint64_t)i, v = (uint64_t)i;
        CU_ASSERT_EQUAL(hmap_set(m, &k, &v), 0);
    }
    for (int i = 0; i < n; i += 2) {
        uint64_t k = base + (uint64_t)i;
        CU_ASSERT_TRUE(hmap_delete(m, &k));
    }
    hmap_free(m);
}

static void test_start_stop(void)
{
    const char *p = tpath("basic.hmtrace");
    CU_ASSERT_EQUAL(hmap_trace_stop(), -EINVAL); /* nothing to stop */
    CU_ASSERT_EQUAL(hmap_trace_start(""), -EINVAL);
    CU_ASSERT_EQUAL(hmap_trace_start(tpath("no/such/dir/x")), -ENOENT);
    CU_ASSERT_EQUAL_FATAL(hmap_trace_start(p), 0);
    CU_ASSERT_EQUAL(hmap_trace_start(p), -EALREADY);
    churn(0, 1000);
    CU_ASSERT_EQUAL(hmap_trace_stop(), 0);
    CU_ASSERT_EQUAL(hmap_trace_lost(), 0);

    struct summary s = read_trace(p);
    CU_ASSERT_TRUE(s.ok);
    CU_ASSERT_EQUAL(s.pid, (uint32_t)getpid());
    CU_ASSERT_EQUAL(s.n_by_id[HMAP_EV_map_create], 1);
    CU_ASSERT_EQUAL(s.n_by_id[HMAP_EV_map_destroy], 1);
    CU_ASSERT_EQUAL(s.inserts, 1000);
    CU_ASSERT_EQUAL(s.deletes, 500);
    CU_ASSERT(s.n_by_id[HMAP_EV_grow_start] > 0);
    /* Destroy freed every array (and maybe overflow buckets). */
    CU_ASSERT(s.n_by_id[HMAP_EV_bucket_free] >= s.n_by_id[HMAP_EV_bucket_array_alloc]);
    CU_ASSERT_EQUAL(s.ntids, 1);
    CU_ASSERT_EQUAL(s.tids[0], (uint32_t)gettid());
    CU_ASSERT_TRUE(s.monotonic_per_tid);
    CU_ASSERT_TRUE(s.padding_zero);
    CU_ASSERT_EQUAL(s.lost, 0);

    /* Stopped: map activity leaves the file alone. */
    struct stat before, after;
    CU_ASSERT_EQUAL(stat(p, &before), 0);
    churn(0, 100);
    CU_ASSERT_EQUAL(stat(p, &after), 0);
    CU_ASSERT_EQUAL(before.st_size, after.st_size);
}

/* The same deterministic sequence twice gives the same events. */
static void test_restart_same_events(void)
{
    struct summary a, b;
    CU_ASSERT_EQUAL_FATAL(hmap_trace_start(tpath("r1.hmtrace")), 0);
    churn(7, 3000);
    CU_ASSERT_EQUAL(hmap_trace_stop(), 0);
    CU_ASSERT_EQUAL_FATAL(hmap_trace_start(tpath("r2.hmtrace")), 0);
    churn(7, 3000);
    CU_ASSERT_EQUAL(hmap_trace_stop(), 0);
    a = read_trace(tpath("r1.hmtrace"));
    b = read_trace(tpath("r2.hmtrace"));
    CU_ASSERT_TRUE(a.ok && b.ok);
    CU_ASSERT_EQUAL(a.total, b.total);
    CU_ASSERT_EQUAL(memcmp(a.n_by_id, b.n_by_id, sizeof a.n_by_id), 0);
}

/* ---- Threads: exit flush, flush of live threads at stop. -------------- */

static pthread_barrier_t bar;
#define NTHREADS 4
#define PER_THREAD 2000

static void *worker(void *arg)
{
    churn((uint64_t)(uintptr_t)arg * 1000000, PER_THREAD);
    return NULL;
}

static void *lingering_worker(void *arg)
{
    churn((uint64_t)(uintptr_t)arg * 1000000, PER_THREAD);
    pthread_barrier_wait(&bar); /* events done, thread still alive */
    pthread_barrier_wait(&bar); /* released after hmap_trace_stop */
    return NULL;
}

static void test_threads(void)
{
    const char *p = tpath("threads.hmtrace");
    pthread_t th[NTHREADS], lt;
    CU_ASSERT_EQUAL_FATAL(hmap_trace_start(p), 0);
    pthread_barrier_init(&bar, NULL, 2);
    for (uintptr_t i = 0; i < NTHREADS; i++)
        pthread_create(&th[i], NULL, worker, (void *)(i + 1));
    pthread_create(&lt, NULL, lingering_worker, (void *)(uintptr_t)99);
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(th[i], NULL); /* their buffers are flushed at thread exit */
    pthread_barrier_wait(&bar);
    CU_ASSERT_EQUAL(hmap_trace_stop(), 0); /* flushes the lingering thread's buffer */
    pthread_barrier_wait(&bar);
    pthread_join(lt, NULL);
    pthread_barrier_destroy(&bar);

    struct summary s = read_trace(p);
    CU_ASSERT_TRUE(s.ok);
    CU_ASSERT_EQUAL(s.ntids, NTHREADS + 1);
    for (int k = 0; k < s.ntids; k++)
        CU_ASSERT_EQUAL(s.inserts_by_tid[k], PER_THREAD);
    CU_ASSERT_EQUAL(s.n_by_id[HMAP_EV_map_create], NTHREADS + 1);
    CU_ASSERT_TRUE(s.monotonic_per_tid);
    CU_ASSERT_EQUAL(s.lost, 0);
}

/* ---- Losses are counted and written as a lost record. ----------------- */

static void test_lost_records(void)
{
    /* Reference: the full event count of a deterministic run. */
    CU_ASSERT_EQUAL_FATAL(hmap_trace_start(tpath("full.hmtrace")), 0);
    churn(5, 20000);
    CU_ASSERT_EQUAL(hmap_trace_stop(), 0);
    struct summary full = read_trace(tpath("full.hmtrace"));
    CU_ASSERT_TRUE_FATAL(full.ok);

    /* Same run with the file size capped: the writes past the cap fail. */
    struct rlimit old, cap;
    getrlimit(RLIMIT_FSIZE, &old);
    cap = old;
    cap.rlim_cur = 100 * 1024;
    signal(SIGXFSZ, SIG_IGN);
    CU_ASSERT_EQUAL_FATAL(hmap_trace_start(tpath("capped.hmtrace")), 0);
    CU_ASSERT_EQUAL_FATAL(setrlimit(RLIMIT_FSIZE, &cap), 0);
    churn(5, 20000);
    setrlimit(RLIMIT_FSIZE, &old); /* the next flush can report the loss */
    CU_ASSERT_EQUAL(hmap_trace_stop(), -EIO);
    signal(SIGXFSZ, SIG_DFL);
    uint64_t lost = hmap_trace_lost();

    struct summary s = read_trace(tpath("capped.hmtrace"));
    CU_ASSERT_TRUE(s.ok); /* no half record left behind */
    CU_ASSERT(lost > 0);
    CU_ASSERT_EQUAL(s.lost, lost); /* every loss is in the file */
    CU_ASSERT_EQUAL(s.total + s.lost, full.total);
}

static void add_suites(void)
{
    CU_pSuite su = CU_add_suite("recorder", NULL, NULL);
    CU_add_test(su, "start, stop, errors, file contents", test_start_stop);
    CU_add_test(su, "same workload, same events", test_restart_same_events);
    CU_add_test(su, "threads: exit flush and stop flush", test_threads);
    CU_add_test(su, "lost records when the file cannot grow", test_lost_records);
}

int main(int argc, char **argv)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    int status = cunit_main(argc, argv, "probes_recorder_test", add_suites);
    /* The traces stay behind for a look only when a test failed. */
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (status == 0 && system(cmd) != 0) return 1;
    return status;
}
