/* SPDX-License-Identifier: MIT */
/*
 * hmap_usdt.h — USDT (SystemTap SDT) probes hmap:<event>, one per event,
 * each gated by its own semaphore.
 *
 * The semaphore is what makes an idle probe free: the kernel increments it
 * (uprobe ref_ctr_offset) while a tracer is attached, and HMAP_TP computes
 * no argument while it is zero.  It is the low half of the event's gate word
 * (hmap_tp_gate.h), whose symbol is hmap_<event>_semaphore.
 *   - _SDT_HAS_SEMAPHORES before <sys/sdt.h>, so the note records the
 *     semaphore's address;
 *   - compiled with -DSTAP_SDT_ARG_CONSTRAINT=nr, so every argument spec is
 *     a register or an immediate (libbpf 1.1 rejects memory operands).
 */
#ifndef HMAP_USDT_H
#define HMAP_USDT_H

#define _SDT_HAS_SEMAPHORES 1
#define SDT_USE_VARIADIC 1
#include <sys/sdt.h>
#include "hmap_schema_seq.h"
#include "hmap_tp_gate.h"

#define HMAP_USDT_ON(name) (HMAP_TP_GATE(name).f.usdt != 0)

/*
 * Fire hmap:<name> with the arguments of seq.
 *
 * bpftrace 0.17 reads only arg0..arg5 of a USDT probe on x86-64 (its own
 * limit; libbpf reads 12).  So arguments 7 and 8 (map_create.hint and
 * .type_name, evacuate.moved_y) are pinned to r10 and r11: a local register
 * variable used as an asm operand is guaranteed to be in that register, and
 * bpf/scripts/events.bt reads them with reg("r10") / reg("r11").  The note
 * still lists them as ordinary arguments for every other tool.
 */
#define HMAP_USDT_NARG_(...) HMAP_USDT_NARG2_(__VA_ARGS__, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define HMAP_USDT_NARG2_(_1, _2, _3, _4, _5, _6, _7, _8, N, ...) N
#define HMAP_USDT_FIRE(name, seq) HMAP_USDT_FIRE_N_(name, HMAP_SEQ_NAMES(seq))
#define HMAP_USDT_FIRE_N_(name, ...)                                                               \
    HMAP_CAT(HMAP_USDT_FIRE_, HMAP_USDT_NARG_(__VA_ARGS__))(name, __VA_ARGS__)
#define HMAP_USDT_FIRE_1(name, ...) STAP_PROBEV(hmap, name, __VA_ARGS__)
#define HMAP_USDT_FIRE_2 HMAP_USDT_FIRE_1
#define HMAP_USDT_FIRE_3 HMAP_USDT_FIRE_1
#define HMAP_USDT_FIRE_4 HMAP_USDT_FIRE_1
#define HMAP_USDT_FIRE_5 HMAP_USDT_FIRE_1
#define HMAP_USDT_FIRE_6 HMAP_USDT_FIRE_1
#if defined(__x86_64__)
#define HMAP_USDT_FIRE_7(name, a0, a1, a2, a3, a4, a5, a6)                                         \
    do {                                                                                           \
        register uint64_t hmap_r10_ __asm__("r10") = (uint64_t)(uintptr_t)(a6);                    \
        STAP_PROBE7(hmap, name, a0, a1, a2, a3, a4, a5, hmap_r10_);                                \
    } while (0)
#define HMAP_USDT_FIRE_8(name, a0, a1, a2, a3, a4, a5, a6, a7)                                     \
    do {                                                                                           \
        register uint64_t hmap_r10_ __asm__("r10") = (uint64_t)(uintptr_t)(a6);                    \
        register uint64_t hmap_r11_ __asm__("r11") = (uint64_t)(uintptr_t)(a7);                    \
        STAP_PROBE8(hmap, name, a0, a1, a2, a3, a4, a5, hmap_r10_, hmap_r11_);                     \
    } while (0)
#else
#define HMAP_USDT_FIRE_7 HMAP_USDT_FIRE_1
#define HMAP_USDT_FIRE_8 HMAP_USDT_FIRE_1
#endif

#endif /* HMAP_USDT_H */
