/* SPDX-License-Identifier: MIT */
/*
 * synth_probes.c — a program with the same USDT probes as libhmap (provider
 * hmap, one probe per schema event, same names, arity and argument widths,
 * each behind its own semaphore in .probes), firing them with values chosen to
 * expose any packing error: full 64-bit words, u32 values with the top bit
 * set, u8 values above 127, a type name longer than its field.
 *
 *   synth_probes --expect N     print the lines `hmtrace_dump --fields` must show for N rounds
 *   synth_probes [--wait] N     fire N rounds of all ten events; with --wait,
 *                               print "ready" and fire only after SIGUSR1
 *
 * A round fires each event once, in schema order, and only when its semaphore
 * says a tracer is attached, as libhmap does.
 */
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>

#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hmap_events.h"

/* One semaphore per probe, named <provider>_<probe>_semaphore, in .probes. */
#define SEMA_EV_(id, name, desc, fields)                                                           \
    __attribute__((section(".probes"), used)) volatile unsigned short hmap_##name##_semaphore;
HMAP_EVENTS(SEMA_EV_, HMAP_IGNORE_F_, HMAP_IGNORE_E_, HMAP_IGNORE_S_)
#define ON(name) (hmap_##name##_semaphore != 0)

static const char type_name[] = "synthetic_type_with_a_long_name"; /* > 23 chars */

/* Fire (or, with expect, print the expected dump of) round k. */
static void round_k(uint64_t k, bool expect)
{
    uint64_t map = 0x7f1234560000ull + k * 0x1000, addr = 0x55aa00000040ull + k * 0x90;
    uint64_t parent = addr - 0x90, big = 0x8000000000000001ull + k;
    uint32_t u32 = 0xfedcba98u - (uint32_t)k;
    uint8_t a8 = (uint8_t)(200 + k % 50), b8 = (uint8_t)(k % 8), c8 = (uint8_t)(130 + k % 7);
    uint8_t e8 = (uint8_t)(k % 3);

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
        return;
    }
    uint32_t val_size = 8, bucket_size = 144, hint = 0xffffffffu, moved_y = (uint32_t)k;
    uint8_t one = 1, b8p1 = b8 + 1, src = e8 & 1, odd = k & 1;
    const char *tn = type_name;
    uint64_t zero = 0;
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
}

static void on_usr1(int sig)
{
    (void)sig;
}

int main(int argc, char **argv)
{
    bool expect = false, wait = false;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--expect"))
            expect = true;
        else if (!strcmp(argv[i], "--wait"))
            wait = true;
        else
            break;
    }
    if (i != argc - 1) {
        fprintf(stderr, "usage: synth_probes [--expect | --wait] ROUNDS\n");
        return 2;
    }
    uint64_t rounds = strtoull(argv[i], NULL, 10);
    if (wait) {
        sigset_t set, old;
        sigemptyset(&set);
        sigaddset(&set, SIGUSR1);
        signal(SIGUSR1, on_usr1);
        sigprocmask(SIG_BLOCK, &set, &old);
        printf("ready\n");
        fflush(stdout);
        sigsuspend(&old);
    }
    for (uint64_t k = 0; k < rounds; k++)
        round_k(k, expect);
    return 0;
}
