/* SPDX-License-Identifier: MIT */
/*
 * concurrent_writes.c — two threads writing to one map without a lock.
 * Like Go, libhmap detects this on a best-effort basis (a "writing" flag
 * toggled around every write) and kills the process with
 *   fatal error: concurrent map writes
 * Because that ends the process, the racing writers run in a child; the
 * parent collects the child's stderr and exit status, explains what
 * happened, and itself exits 0.  It exits 1 only if the race went
 * undetected in every attempt (detection is best effort, but two threads
 * doing 10^6 writes each on two CPUs are caught at once in practice).
 *
 * Run:    build/examples/concurrent_writes
 * Trace it (from the repository root; BPF and LTTng need root):
 *   in-process recorder:
 *     HMAP_TRACE=/tmp/concurrent_writes.hmtrace build/examples/concurrent_writes
 *     bucketscope report /tmp/concurrent_writes.hmtrace
 *   BPF recorder (USDT probes of libhmap.so):
 *     bucketscope record -o /tmp/concurrent_writes.hmtrace -- build/examples/concurrent_writes
 *     bucketscope report /tmp/concurrent_writes.hmtrace
 *   LTTng-UST (forking without exec needs liblttng-ust-fork):
 *     lttng create; lttng enable-event -u 'hmap:*'; lttng start
 *     HMAP_LTTNG=1 LD_PRELOAD=liblttng-ust-fork.so build/examples/concurrent_writes
 *     lttng stop; bucketscope report ~/lttng-traces/<session directory>
 *   bpftrace (event counts):
 *     bpftrace bpf/scripts/count.bt $PWD/build/libmap/libhmap.so   (then run the example)
 * The aborted child's trace simply ends: its map is never destroyed, so the
 * report shows its deleted slots as retained at trace end.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hmap.h>

#define WRITES 1000000
#define ATTEMPTS 5

static hmap *shared;

/* One racing writer: inserts and deletes its own keys (odd or even). */
static void *writer(void *arg)
{
    uint64_t parity = (uint64_t)(uintptr_t)arg;
    for (uint64_t i = 0; i < WRITES; i++) {
        uint64_t k = (i * 2 + parity) % 4096;
        hmap_set(shared, &k, &i);
        if (i & 1) hmap_delete(shared, &k);
    }
    return NULL;
}

/* The child: two threads, one map, no lock.  Exits 0 if nothing was caught. */
static void run_child(void)
{
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core); /* the expected abort needs no core dump */
    shared = hmap_new(&hmap_type_u64, NULL);
    if (!shared) {
        perror("hmap_new");
        _exit(3);
    }
    pthread_t t[2];
    for (uintptr_t i = 0; i < 2; i++)
        if (pthread_create(&t[i], NULL, writer, (void *)i) != 0) {
            fprintf(stderr, "pthread_create failed\n");
            _exit(3);
        }
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    _exit(0);
}

int main(void)
{
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
        int pipefd[2];
        if (pipe(pipefd) != 0) {
            perror("pipe");
            return 1;
        }
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 1;
        }
        if (pid == 0) {
            close(pipefd[0]);
            dup2(pipefd[1], STDERR_FILENO);
            close(pipefd[1]);
            run_child();
        }
        close(pipefd[1]);
        char err[4096];
        size_t len = 0;
        ssize_t r;
        while ((r = read(pipefd[0], err + len, sizeof err - 1 - len)) > 0 ||
               (r < 0 && errno == EINTR))
            if (r > 0) len += (size_t)r;
        close(pipefd[0]);
        err[len] = 0;
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;

        printf("attempt %d: child with two unsynchronised writers ", attempt);
        if (WIFSIGNALED(status))
            printf("was killed by signal %d (%s)\n", WTERMSIG(status), strsignal(WTERMSIG(status)));
        else
            printf("exited with status %d\n", WEXITSTATUS(status));
        if (len) printf("child's stderr: %s%s", err, err[len - 1] == '\n' ? "" : "\n");

        const char *line = strstr(err, "fatal error: concurrent map ");
        if (line && WIFSIGNALED(status)) {
            printf("detected: the map stopped the process as Go does (\"%.*s\")\n",
                   (int)strcspn(line, "\n"), line);
            printf("In Go this is not a recoverable panic; the fix is a mutex (or one writer).\n");
            return 0;
        }
        if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
            return 1; /* could not even set up the child */
        printf("not detected this time (detection is best effort); retrying\n");
    }
    printf("the race went undetected in %d attempts\n", ATTEMPTS);
    return 1;
}
