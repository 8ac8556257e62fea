/* SPDX-License-Identifier: MIT */
/*
 * crash_workload.c — a program that ends in every way a traced process can
 * end, for trace_safety.sh (the crash guarantees of docs/native-format.md).
 *
 *   crash_workload MODE N
 *
 * Inserts N keys into one map named "crash" in two threads (N/2 each, so
 * the trace has two per-thread buffers), then:
 *   normal  destroys the map and returns from main (the trace is stopped at
 *           exit and complete);
 *   abort   abort() with both buffers unflushed;
 *   term    raise(SIGTERM);
 *   exit    _exit(0): no exit handlers run;
 *   kill    raise(SIGKILL);
 *   exec    before the second half, fork and exec itself as "normal N" with
 *           the same environment (so the same HMAP_TRACE), wait for it, then
 *           continue as normal.
 * Prints "inserted N" before it ends, and the exec child's pid as
 * "child PID".
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hmap.h"

static hmap *m;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

struct range {
    uint64_t from, to;
};

static void *insert(void *p)
{
    const struct range *r = p;
    for (uint64_t k = r->from; k < r->to; k++) {
        uint64_t v = k;
        pthread_mutex_lock(&lock);
        int rc = hmap_set(m, &k, &v);
        pthread_mutex_unlock(&lock);
        if (rc != 0) {
            fprintf(stderr, "crash_workload: hmap_set failed\n");
            exit(1);
        }
    }
    return NULL;
}

/* Keys [from, to) inserted by this thread and one helper. */
static void insert_both(uint64_t from, uint64_t to)
{
    uint64_t mid = from + (to - from) / 2;
    struct range a = {from, mid}, b = {mid, to};
    pthread_t t;
    pthread_create(&t, NULL, insert, &b);
    insert(&a);
    pthread_join(t, NULL);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: crash_workload normal|abort|term|exit|kill|exec N\n");
        return 2;
    }
    const char *mode = argv[1];
    uint64_t n = strtoull(argv[2], NULL, 10);
    hmap_type t = hmap_type_u64;
    t.name = "crash";
    hmap_options o = {.seed = 7};
    m = hmap_new(&t, &o);
    if (!m) return 1;
    if (strcmp(mode, "exec") == 0) {
        insert_both(0, n / 2);
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            execl("/proc/self/exe", argv[0], "normal", argv[2], (char *)NULL);
            _exit(127);
        }
        int st;
        waitpid(pid, &st, 0);
        printf("child %d\n", (int)pid);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) return 1;
        insert_both(n / 2, n);
    } else {
        /* The helper's buffer is flushed when it exits; the main thread's
         * last records stay in its buffer until the end. */
        insert_both(0, n);
    }
    printf("inserted %llu\n", (unsigned long long)n);
    fflush(stdout);
    if (strcmp(mode, "abort") == 0) abort();
    if (strcmp(mode, "term") == 0) raise(SIGTERM);
    if (strcmp(mode, "exit") == 0) _exit(0);
    if (strcmp(mode, "kill") == 0) raise(SIGKILL);
    hmap_free(m);
    return 0;
}
