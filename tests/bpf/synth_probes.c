/* SPDX-License-Identifier: MIT */
/*
 * synth_probes.c — a program with the same USDT probes as libhmap (provider
 * hmap, one probe per schema event, same names, arity and argument widths,
 * each behind its own semaphore in .probes), firing them with values chosen to
 * expose any packing error: full 64-bit words, u32 values with the top bit
 * set, u8 values above 127, strings longer than their fields (a type name,
 * a map name and an object path: the recording must hold their first
 * maxlen-1 bytes).
 *
 *   synth_probes --expect N        print the lines `hmtrace_dump --fields` must show for N rounds
 *   synth_probes --expect-dump     print the lines of the one state dump --dump-on-trigger fires
 *   synth_probes --events-per-round   print how many events a round fires (every schema event)
 *   synth_probes [--wait] [--dump-on-trigger] N
 *                                  fire N rounds of every schema event; with --wait, print
 *                                  "ready" and fire only after SIGUSR1
 *
 * A round fires each event once, in schema order, and only when its semaphore
 * says a tracer is attached, as libhmap does.
 *
 * --dump-on-trigger behaves like libhmap's state-dump agent for USDT
 * (docs/record.md, "State at attach"): a thread polls the semaphore of
 * hmap:statedump_done every 10 ms and, once it is nonzero, fires one state
 * dump of one map (state_begin, state_end, statedump_done with maps=1) and
 * prints "dumped".  The recorder attaches that probe last, after arming, so
 * the dump must arrive whole.
 */
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>

#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hmap_events.h"

/* One semaphore per probe, named <provider>_<probe>_semaphore, in .probes. */
#define SEMA_EV_(id, name, desc, fields)                                                           \
    __attribute__((section(".probes"), used)) volatile unsigned short hmap_##name##_semaphore;
HMAP_EVENTS(SEMA_EV_, HMAP_IGNORE_F_, HMAP_IGNORE_E_, HMAP_IGNORE_S_)
#define ON(name) (hmap_##name##_semaphore != 0)

static const char type_name[] = "synthetic_type_with_a_long_name"; /* > 23 chars */
/* > 31 chars, and an object path > 95 chars: both must come out truncated. */
static const char map_name[] = "synthetic_map_name_longer_than_31_bytes";
static const char object[] = "/opt/synthetic/a/very/long/installation/prefix/that/goes/on/and/on/"
                             "lib/x86_64-linux-gnu/libsynthetic_probes.so.0.1.0";

/*
 * The probes a state dump fires each have one site, here, shared by the rounds
 * and the dump.  The recorder attaches hmap:statedump_done last, one site after
 * another, and the semaphore rises with the first: were there a second site,
 * the agent could fire the dump there before it is attached and the recorder
 * would take a later round for the state (libhmap too has one site of each).
 */
#if defined(__GNUC__) && !defined(__clang__)
#define ONE_SITE __attribute__((noinline, noclone))
#else
#define ONE_SITE __attribute__((noinline))
#endif
static ONE_SITE void fire_state_begin(uint64_t map, uint64_t count, uint8_t B, uint8_t flags,
                                      uint64_t old, uint64_t nevac, uint32_t noverflow,
                                      uint8_t trigger)
{
    if (ON(state_begin))
        STAP_PROBE8(hmap, state_begin, map, count, B, flags, old, nevac, noverflow, trigger);
}
static ONE_SITE void fire_state_end(uint64_t map, uint64_t blocks, uint64_t slots, uint64_t objects,
                                    uint8_t status)
{
    if (ON(state_end)) STAP_PROBE5(hmap, state_end, map, blocks, slots, objects, status);
}
static ONE_SITE void fire_statedump_done(uint32_t maps, uint32_t deferred, uint32_t unsafe,
                                         uint8_t trigger)
{
    if (ON(statedump_done)) STAP_PROBE4(hmap, statedump_done, maps, deferred, unsafe, trigger);
}

/* Fire (or, with expect, print the expected dump of) round k. */
static void round_k(uint64_t k, bool expect)
{
    uint64_t map = 0x7f1234560000ull + k * 0x1000, addr = 0x55aa00000040ull + k * 0x90;
    uint64_t parent = addr - 0x90, big = 0x8000000000000001ull + k;
    uint32_t u32 = 0xfedcba98u - (uint32_t)k;
    uint8_t a8 = (uint8_t)(200 + k % 50), b8 = (uint8_t)(k % 8), c8 = (uint8_t)(130 + k % 7);
    uint8_t e8 = (uint8_t)(k % 3), e4 = (uint8_t)(k % 4);

    if (expect) {
        printf("map_create map=0x%" PRIx64 " key_size=%" PRIu32 " val_size=8 bucket_size=144 "
               "pointerful=1 reclaim=%u hint=4294967295 type_name=%.23s\n",
               map, u32, e8, type_name);
        printf("map_destroy map=0x%" PRIx64 " count=%" PRIu64 " bytes=%" PRIu64 "\n", map, k, big);
        printf("bucket_array_alloc map=0x%" PRIx64 " addr=0x%" PRIx64 " B=%u nbuckets=%" PRIu64
               " nprealloc=%" PRIu32 " bytes=%" PRIu64 "\n",
               map, addr, b8, big, u32, big + 1);
        printf("overflow_alloc map=0x%" PRIx64 " addr=0x%" PRIx64 " parent=0x%" PRIx64
               " source=%u bytes=%" PRIu32 "\n",
               map, addr, parent, e8 & 1, u32);
        printf("tophash_write map=0x%" PRIx64 " bucket=0x%" PRIx64 " slot=%u old_th=%u new_th=%u "
               "cause=%u\n",
               map, addr, b8, a8, c8, e8);
        printf("grow_start map=0x%" PRIx64 " old_B=%u new_B=%u kind=%u count=%" PRIu64
               " noverflow=%" PRIu32 "\n",
               map, b8, b8 + 1, e8, big, u32);
        printf("evacuate map=0x%" PRIx64 " old_index=%" PRIu64 " old_addr=0x%" PRIx64
               " x_addr=0x%" PRIx64 " y_addr=0x0 moved_x=%" PRIu32 " moved_y=%" PRIu64 "\n",
               map, big, parent, addr, u32, k);
        printf("grow_done map=0x%" PRIx64 " old_addr=0x%" PRIx64 " B=%u kind=%u count=%" PRIu64
               "\n",
               map, parent, a8, e8, big);
        printf("overflow_unlink map=0x%" PRIx64 " addr=0x%" PRIx64 " prev=0x%" PRIx64
               " cause=%u to_freelist=%u\n",
               map, addr, parent, e8, (unsigned)(k & 1));
        printf("bucket_free map=0x%" PRIx64 " addr=0x%" PRIx64 " bytes=%" PRIu64
               " kind=%u reason=%u\n",
               map, addr, big, (unsigned)(k & 1), c8);
        printf("map_info map=0x%" PRIx64 " site=0x%" PRIx64 " site_off=%" PRIu64
               " object=%.95s name=%.31s\n",
               map, parent, big, object, map_name);
        printf("indirect_alloc map=0x%" PRIx64 " addr=0x%" PRIx64 " bytes=%" PRIu32 " kind=%u\n",
               map, addr, u32, (unsigned)(k & 1));
        printf("indirect_free map=0x%" PRIx64 " addr=0x%" PRIx64 " bytes=%" PRIu32
               " kind=%u reason=%u\n",
               map, addr, u32, (unsigned)(k & 1), e4);
        printf("state_begin map=0x%" PRIx64 " count=%" PRIu64 " B=%u flags=%u old_addr=0x%" PRIx64
               " nevacuate=%" PRIu64 " noverflow=%" PRIu32 " trigger=%u\n",
               map, big, b8, c8, parent, big + 2, u32, e4);
        printf("state_end map=0x%" PRIx64 " blocks=%" PRIu64 " slots=%" PRIu64 " objects=%" PRIu64
               " status=%u\n",
               map, big, big + 1, k, e8);
        printf("statedump_done maps=%" PRIu32 " deferred=%" PRIu32 " unsafe=%" PRIu32
               " trigger=%u\n",
               u32, u32 - 1, (uint32_t)k, e4);
        return;
    }
    uint32_t val_size = 8, bucket_size = 144, hint = 0xffffffffu, moved_y = (uint32_t)k;
    uint8_t one = 1, b8p1 = b8 + 1, src = e8 & 1, odd = k & 1;
    const char *tn = type_name, *obj = object, *mn = map_name;
    uint64_t zero = 0, big2 = big + 2;
    uint32_t u32m1 = u32 - 1, k32 = (uint32_t)k;
    if (ON(map_create))
        STAP_PROBE8(hmap, map_create, map, u32, val_size, bucket_size, one, e8, hint, tn);
    if (ON(map_destroy)) STAP_PROBE3(hmap, map_destroy, map, k, big);
    if (ON(bucket_array_alloc))
        STAP_PROBE6(hmap, bucket_array_alloc, map, addr, b8, big, u32, big + 1);
    if (ON(overflow_alloc)) STAP_PROBE5(hmap, overflow_alloc, map, addr, parent, src, u32);
    if (ON(tophash_write)) STAP_PROBE6(hmap, tophash_write, map, addr, b8, a8, c8, e8);
    if (ON(grow_start)) STAP_PROBE6(hmap, grow_start, map, b8, b8p1, e8, big, u32);
    if (ON(evacuate)) STAP_PROBE7(hmap, evacuate, map, big, parent, addr, zero, u32, moved_y);
    if (ON(grow_done)) STAP_PROBE5(hmap, grow_done, map, parent, a8, e8, big);
    if (ON(overflow_unlink)) STAP_PROBE5(hmap, overflow_unlink, map, addr, parent, e8, odd);
    if (ON(bucket_free)) STAP_PROBE5(hmap, bucket_free, map, addr, big, odd, c8);
    if (ON(map_info)) STAP_PROBE5(hmap, map_info, map, parent, big, obj, mn);
    if (ON(indirect_alloc)) STAP_PROBE4(hmap, indirect_alloc, map, addr, u32, odd);
    if (ON(indirect_free)) STAP_PROBE5(hmap, indirect_free, map, addr, u32, odd, e4);
    fire_state_begin(map, big, b8, c8, parent, big2, u32, e4);
    fire_state_end(map, big, big + 1, k, e8);
    fire_statedump_done(u32, u32m1, k32, e4);
}

/* The one state dump of --dump-on-trigger: one map, complete, triggered by
 * USDT, as libhmap's agent would report it (values again with top bits set,
 * except the counts the recorder's summary shows). */
static void state_dump(bool expect)
{
    uint64_t map = 0xfff0123456789ab0ull, count = 0x8000000000000003ull, old = 0, nevac = 0;
    uint64_t blocks = 0x8000000000000005ull, slots = 0x8000000000000007ull, objects = 0;
    uint32_t noverflow = 0x80000001u, maps = 1, deferred = 0, unsafe = 0;
    uint8_t B = 200, flags = 0, by_usdt = HMAP_STATE_BY_USDT, ok = HMAP_STATE_OK;

    if (expect) {
        printf("state_begin map=0x%" PRIx64 " count=%" PRIu64 " B=%u flags=%u old_addr=0x%" PRIx64
               " nevacuate=%" PRIu64 " noverflow=%" PRIu32 " trigger=%u\n",
               map, count, B, flags, old, nevac, noverflow, by_usdt);
        printf("state_end map=0x%" PRIx64 " blocks=%" PRIu64 " slots=%" PRIu64 " objects=%" PRIu64
               " status=%u\n",
               map, blocks, slots, objects, ok);
        printf("statedump_done maps=%" PRIu32 " deferred=%" PRIu32 " unsafe=%" PRIu32
               " trigger=%u\n",
               maps, deferred, unsafe, by_usdt);
        return;
    }
    fire_state_begin(map, count, B, flags, old, nevac, noverflow, by_usdt);
    fire_state_end(map, blocks, slots, objects, ok);
    fire_statedump_done(maps, deferred, unsafe, by_usdt);
}

/* The agent: wait for a tracer on hmap:statedump_done, then dump once. */
static void *agent(void *arg)
{
    const struct timespec tick = {.tv_sec = 0, .tv_nsec = 10 * 1000 * 1000};
    (void)arg;
    while (!ON(statedump_done))
        nanosleep(&tick, NULL);
    state_dump(false);
    printf("dumped\n");
    fflush(stdout);
    return NULL;
}

static void on_usr1(int sig)
{
    (void)sig;
}

int main(int argc, char **argv)
{
    bool expect = false, wait = false, dump = false;
    int i = 1, status = 0;
    if (argc == 2 && !strcmp(argv[1], "--events-per-round")) {
        printf("%d\n", (int)HMAP_EVENT_MAX_ID);
        return 0;
    }
    if (argc == 2 && !strcmp(argv[1], "--expect-dump")) {
        state_dump(true);
        return 0;
    }
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--expect"))
            expect = true;
        else if (!strcmp(argv[i], "--wait"))
            wait = true;
        else if (!strcmp(argv[i], "--dump-on-trigger"))
            dump = true;
        else if (!strcmp(argv[i], "--exit") && i + 1 < argc) /* exit status, for the recorder's */
            status = atoi(argv[++i]);
        else
            break;
    }
    if (i != argc - 1 || (expect && (wait || dump))) {
        fprintf(stderr, "usage: synth_probes --expect ROUNDS | --expect-dump | "
                        "--events-per-round | [--wait] [--dump-on-trigger] [--exit N] ROUNDS\n");
        return 2;
    }
    uint64_t rounds = strtoull(argv[i], NULL, 10);
    sigset_t set, old;
    if (wait) {
        sigemptyset(&set);
        sigaddset(&set, SIGUSR1);
        signal(SIGUSR1, on_usr1);
        sigprocmask(SIG_BLOCK, &set, &old);
    }
    /* After blocking SIGUSR1 (the agent inherits the mask, so the signal can
     * only end main's sigsuspend) and before "ready" (a tracer attached right
     * after it must find the agent polling). */
    pthread_t agent_thread;
    if (dump && pthread_create(&agent_thread, NULL, agent, NULL) != 0) {
        fprintf(stderr, "synth_probes: cannot start the agent thread\n");
        return 1;
    }
    if (wait) {
        printf("ready\n");
        fflush(stdout);
        sigsuspend(&old);
    }
    for (uint64_t k = 0; k < rounds; k++)
        round_k(k, expect);
    /* A dump that was triggered is finished before exit, as the agent would
     * be given time to by a real process that keeps running. */
    if (dump && ON(statedump_done)) pthread_join(agent_thread, NULL);
    return status;
}
