/*
 * hmap_probes.h — the only probe interface the map core sees.
 *
 * The core writes   HMAP_TP(event, arg, ...);   with the arguments in schema
 * order (hmap_events.h).  Pointer fields take pointers, string fields take a
 * `const char *`.  The macro guards everything: when no backend is listening,
 * no argument is evaluated.
 *
 * Backends (USDT, LTTng-UST, in-process recorder) are selected at build time
 * with HMAP_PROBES_USDT / HMAP_PROBES_LTTNG / HMAP_PROBES_RECORDER (0 or 1).
 * This version only type-checks the calls; the backends land with the probes
 * issue.
 */
#ifndef HMAP_PROBES_H
#define HMAP_PROBES_H

#include <stdint.h>
#include "hmap_events.h"

/* Parameter type of each field type in the emit prototypes. */
#define HMAP_PARAM_ptr const void *
#define HMAP_PARAM_u8 uint8_t
#define HMAP_PARAM_u16 uint16_t
#define HMAP_PARAM_u32 uint32_t
#define HMAP_PARAM_u64 uint64_t

/* Prototype helpers: the field list becomes ", type name, type name"; the
 * leading dummy int absorbs the first comma. */
#define HMAP_PROTO_F_(t, n, d) , HMAP_PARAM_##t n
#define HMAP_PROTO_E_(t, n, e, d) , HMAP_PARAM_##t n
#define HMAP_PROTO_S_(n, l, d) , const char *n
#define HMAP_PROTO_EV_(id, name, desc, fields)                                                     \
    static inline void hmap_tp_check_##name(int dummy_ fields) { (void)dummy_; }
HMAP_EVENTS(HMAP_PROTO_EV_, HMAP_PROTO_F_, HMAP_PROTO_E_, HMAP_PROTO_S_)
#undef HMAP_PROTO_EV_

/* No backend yet: the call is type-checked and compiled out. */
#define HMAP_TP(name, ...)                                                                         \
    do {                                                                                           \
        if (0)                                                                                     \
            hmap_tp_check_##name(0, __VA_ARGS__);                                                  \
    } while (0)

#endif /* HMAP_PROBES_H */
