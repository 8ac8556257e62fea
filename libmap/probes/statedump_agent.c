/* SPDX-License-Identifier: MIT */
/*
 * statedump_agent.c — notices a tracer attaching to this running process
 * and starts a state dump (docs/statedump.md).
 *
 * Neither a uprobe nor an LTTng session runs code in the traced process
 * when it attaches, and maps that stay idle after the attach never reach a
 * probe site.  So, like LTTng-UST's listener threads, libhmap keeps one
 * small thread ("hmap-statedump"), started with the first map, that looks
 * every HMAP_AGENT_PERIOD_MS at two words:
 *   - the USDT semaphore of hmap:statedump_done, which the kernel raises
 *     when a uprobe attaches to it (`bucketscope record` attaches it last,
 *     after every other probe, docs/record.md);
 *   - LTTng's enabled state of hmap:statedump_done (0 -> 1 when a session
 *     enables it).
 * A rise of either starts a pass.  It costs one wakeup per period and two
 * loads; HMAP_STATEDUMP=0 in the environment disables it.  The thread does
 * not survive fork(): the child starts its own with its next map.  At exit
 * it is woken and joined, so that it leaves nothing behind (valgrind).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hmap_events.h"
#include "hmap_tp_gate.h"

#if !HMAP_PROBES_LTTNG
int hmap_tp_lttng_statedump_enabled(void)
{
    return 0;
}
#endif

#if HMAP_PROBES_USDT || HMAP_PROBES_LTTNG

#define HMAP_AGENT_PERIOD_MS 100

static pthread_mutex_t agent_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t agent_wake; /* CLOCK_MONOTONIC; signalled at exit */
static int agent_started;         /* under agent_lock */
static int agent_stop;            /* under agent_lock */
static int agent_running;         /* agent_thread exists; under agent_lock */
static pthread_t agent_thread;
static _Atomic int agent_done; /* fast path once started (or refused) */

/* Sleep one period; 0 when the process is exiting. */
static int agent_sleep(void)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_nsec += HMAP_AGENT_PERIOD_MS * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&agent_lock);
    while (!agent_stop && pthread_cond_timedwait(&agent_wake, &agent_lock, &until) == 0)
        ;
    int go_on = !agent_stop;
    pthread_mutex_unlock(&agent_lock);
    return go_on;
}

static void *agent_main(void *arg)
{
    (void)arg;
    /* A tracer already there when the first map was made sees every map
     * born: only a later attach needs a dump. */
    uint16_t usdt_seen = HMAP_TP_GATE(statedump_done).f.usdt;
    int lttng_seen = hmap_tp_lttng_statedump_enabled();
    while (agent_sleep()) {
        uint16_t usdt = HMAP_TP_GATE(statedump_done).f.usdt;
        int lttng = hmap_tp_lttng_statedump_enabled();
        void (*pass)(uint8_t) = hmap_tp_statedump_hook;
        if (pass && usdt > usdt_seen)
            pass(HMAP_STATE_BY_USDT);
        else if (pass && lttng && !lttng_seen)
            pass(HMAP_STATE_BY_LTTNG);
        usdt_seen = usdt;
        lttng_seen = lttng;
    }
    return NULL;
}

static void agent_after_fork_child(void)
{
    agent_started = 0;
    agent_running = 0;
    atomic_store(&agent_done, 0);
    pthread_mutex_init(&agent_lock, NULL);
}

void hmap_tp_agent_ensure(void)
{
    if (atomic_load_explicit(&agent_done, memory_order_acquire)) return;
    pthread_mutex_lock(&agent_lock);
    if (!agent_started) {
        static int atfork_registered;
        agent_started = 1;
        if (!atfork_registered) {
            pthread_atfork(NULL, NULL, agent_after_fork_child);
            atfork_registered = 1;
        }
        const char *env = getenv("HMAP_STATEDUMP");
        if (!env || strcmp(env, "0") != 0) {
            /* The agent takes no signal meant for the application. */
            sigset_t all, old;
            sigfillset(&all);
            pthread_sigmask(SIG_SETMASK, &all, &old);
            pthread_condattr_t ca;
            pthread_condattr_init(&ca);
            pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
            pthread_cond_init(&agent_wake, &ca);
            pthread_condattr_destroy(&ca);
            pthread_attr_t attr;
            pthread_attr_init(&attr);
            pthread_attr_setstacksize(&attr, 64 * 1024);
            if (pthread_create(&agent_thread, &attr, agent_main, NULL) == 0) {
                agent_running = 1;
                pthread_setname_np(agent_thread, "hmap-statedump");
            }
            pthread_attr_destroy(&attr);
            pthread_sigmask(SIG_SETMASK, &old, NULL);
        }
    }
    atomic_store_explicit(&agent_done, 1, memory_order_release);
    pthread_mutex_unlock(&agent_lock);
}

/* Wake the agent and wait for it: a pass in progress finishes first. */
__attribute__((destructor)) static void agent_stop_at_exit(void)
{
    pthread_mutex_lock(&agent_lock);
    int running = agent_running;
    agent_stop = 1;
    agent_running = 0;
    if (running) pthread_cond_signal(&agent_wake);
    pthread_mutex_unlock(&agent_lock);
    if (running) pthread_join(agent_thread, NULL);
}

#else /* no tracer can attach from outside: the recorder dumps by itself */

void hmap_tp_agent_ensure(void) {}

#endif
