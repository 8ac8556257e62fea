/* SPDX-License-Identifier: MIT */
/*
 * fire.c — hmap_tp_fire_<event>(): the out-of-line half of HMAP_TP.
 *
 * HMAP_TP calls it only when some backend listens, with the arguments
 * already computed; each backend re-checks its own gate here, because
 * several may be compiled in and only one may be listening.  Keeping the
 * probe sites here (not inlined into the core) gives one USDT note per
 * event and keeps the map's hot paths small.
 */
#include "hmap_probes.h"

#if HMAP_PROBES_USDT
#define HMAP_FIRE_USDT_(name, seq)                                                                 \
    if (HMAP_USDT_ON(name)) HMAP_USDT_FIRE(name, seq);
#else
#define HMAP_FIRE_USDT_(name, seq)
#endif

#if HMAP_PROBES_RECORDER
#define HMAP_FIRE_REC_(name, seq)                                                                  \
    if (hmap_rec_on()) hmap_rec_emit_##name(HMAP_SEQ_NAMES(seq));
#else
#define HMAP_FIRE_REC_(name, seq)
#endif

#if HMAP_PROBES_LTTNG
/* lttng_ust_do_tracepoint, never lttng_ust_tracepoint: the state was just
 * checked, and the arguments are ready.  The LTTng call and what follows
 * it are out of line (hmap_fire_lttng_<event>, reached by a tail call):
 * the registers that hold the arguments across that call are then saved
 * only when LTTng listens, not on every event the recorder takes. */
#define HMAP_LTTNG_DO_(...) lttng_ust_do_tracepoint(__VA_ARGS__)
#define HMAP_FIRE_LTTNG_DEFINE_(id, name, desc, seq)                                               \
    static __attribute__((noinline, cold)) void hmap_fire_lttng_##name(HMAP_SEQ_PARAMS(seq))       \
    {                                                                                              \
        HMAP_LTTNG_DO_(hmap, name, HMAP_SEQ_NAMES(seq));                                           \
        HMAP_FIRE_REC_(name, seq)                                                                  \
    }
HMAP_EVENTS_SEQ(HMAP_FIRE_LTTNG_DEFINE_)
#undef HMAP_FIRE_LTTNG_DEFINE_
#define HMAP_FIRE_LTTNG_(name, seq)                                                                \
    if (lttng_ust_tracepoint_enabled(hmap, name)) {                                                \
        hmap_fire_lttng_##name(HMAP_SEQ_NAMES(seq));                                               \
        return;                                                                                    \
    }
#else
#define HMAP_FIRE_LTTNG_(name, seq)
#endif

#define HMAP_FIRE_DEFINE_(id, name, desc, seq)                                                     \
    void hmap_tp_fire_##name(HMAP_SEQ_PARAMS(seq))                                                 \
    {                                                                                              \
        HMAP_FIRE_USDT_(name, seq)                                                                 \
        HMAP_FIRE_LTTNG_(name, seq)                                                                \
        HMAP_FIRE_REC_(name, seq)                                                                  \
    }
HMAP_EVENTS_SEQ(HMAP_FIRE_DEFINE_)
