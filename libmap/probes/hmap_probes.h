/* SPDX-License-Identifier: MIT */
/*
 * hmap_probes.h — the only probe interface the map core sees.
 *
 * The core writes   HMAP_TP(event, arg, ...);   with the arguments in schema
 * order (hmap_events.h).  Pointer fields take pointers, string fields take a
 * `const char *`.
 *
 * Backends, each compiled in or out by the build (HMAP_PROBES = usdt;lttng;
 * recorder, or none), which sets HMAP_PROBES_USDT / _LTTNG / _RECORDER:
 *   usdt      USDT probe hmap:<event>, gated by its semaphore (hmap_usdt.h)
 *   lttng     LTTng-UST tracepoint hmap:<event> (libmap/lttng/hmap_lttng_tp.h; the probe
 *             provider is the separate libhmap-lttng.so)
 *   recorder  the in-process recorder writing a native trace file
 *             (libmap/probes/recorder.c, HMAP_TRACE=FILE or hmap_trace_start())
 *
 * The invariant this header keeps: while nobody listens, a probe site costs
 * one load (the event's gate word) and one not-taken branch (plus LTTng's
 * state, once its provider is loaded), and evaluates NO argument.  Only
 * when some backend listens are the arguments computed, once, and handed to
 * the out-of-line hmap_tp_fire_<event>() (fire.c), which fires every
 * backend that is listening.
 */
#ifndef HMAP_PROBES_H
#define HMAP_PROBES_H

#include <stdint.h>
#include "hmap_events.h"
#include "hmap_schema_seq.h"

#ifndef HMAP_PROBES_USDT
#define HMAP_PROBES_USDT 0
#endif
#ifndef HMAP_PROBES_LTTNG
#define HMAP_PROBES_LTTNG 0
#endif
#ifndef HMAP_PROBES_RECORDER
#define HMAP_PROBES_RECORDER 0
#endif

/* The gate word of every event (hmap_tp_gate.h) is the first and, while
 * nobody listens and no LTTng provider is loaded, only thing a probe site
 * reads.  Once the provider is loaded, a nonzero gate whose only reason is
 * HMAP_GATE_LTTNG is confirmed with LTTng's own per-event state. */
#define HMAP_PROBES_ANY (HMAP_PROBES_USDT || HMAP_PROBES_LTTNG || HMAP_PROBES_RECORDER)
#if HMAP_PROBES_ANY
#include "hmap_tp_gate.h"
#endif
#if HMAP_PROBES_USDT
#include "hmap_usdt.h"
#endif
#if HMAP_PROBES_RECORDER
#include "hmap_recorder.h"
#endif
#if HMAP_PROBES_LTTNG
#include "hmap_lttng_tp.h"
/* The load lttng_ust_tracepoint_enabled(hmap, name) does. */
#define HMAP_TP_WANTED_(name, gate)                                                                \
    (((gate) & ~((uint32_t)HMAP_GATE_LTTNG << 16)) != 0 ||                                         \
     CMM_LOAD_SHARED(lttng_ust_tracepoint_hmap___##name.state) != 0)
#else
#define HMAP_TP_WANTED_(name, gate) 1
#endif

/* void hmap_tp_fire_<event>(<fields in schema order>); one per event.  Never
 * inlined or specialised (gcc: noipa): an argument propagated as a constant
 * into a clone would change the USDT argument specs. */
#if defined(__clang__)
#define HMAP_TP_FIRE_ATTRS_ __attribute__((visibility("hidden"), cold, noinline))
#else
#define HMAP_TP_FIRE_ATTRS_ __attribute__((visibility("hidden"), cold, noipa))
#endif
#define HMAP_TP_FIRE_DECLARE_(id, name, desc, seq)                                                 \
    HMAP_TP_FIRE_ATTRS_ void hmap_tp_fire_##name(HMAP_SEQ_PARAMS(seq));
HMAP_EVENTS_SEQ(HMAP_TP_FIRE_DECLARE_)
#undef HMAP_TP_FIRE_DECLARE_

#if HMAP_PROBES_ANY
#define HMAP_TP(name, ...)                                                                         \
    do {                                                                                           \
        uint32_t hmap_tp_gate_ = HMAP_TP_GATE(name).any;                                           \
        if (__builtin_expect(hmap_tp_gate_ != 0, 0) && HMAP_TP_WANTED_(name, hmap_tp_gate_))       \
            hmap_tp_fire_##name(__VA_ARGS__);                                                      \
    } while (0)
/* Nonzero when some backend may listen to the event: for work done only
 * to fill its fields. */
#define HMAP_TP_LISTENING(name) (HMAP_TP_GATE(name).any != 0)
#else
#define HMAP_TP_LISTENING(name) 0
/* No backend: the call is type-checked and compiled out. */
#define HMAP_TP(name, ...)                                                                         \
    do {                                                                                           \
        if (0) hmap_tp_fire_##name(__VA_ARGS__);                                                   \
    } while (0)
#endif

#endif /* HMAP_PROBES_H */
