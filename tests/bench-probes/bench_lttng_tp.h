/* SPDX-License-Identifier: MIT */
/*
 * bench_lttng_tp.h — one bare LTTng-UST event with the payload of
 * hmap:tophash_write (two hex addresses, four bytes), provider hmap_bench:
 * the yardstick for "LTTng recording costs at most 1.2x a bare event".
 */
#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER hmap_bench
#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE "bench_lttng_tp.h"
#if !defined(BENCH_LTTNG_TP_H) || defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define BENCH_LTTNG_TP_H
#include <lttng/tracepoint.h>
LTTNG_UST_TRACEPOINT_EVENT(
    hmap_bench, bare,
    LTTNG_UST_TP_ARGS(const void *, map, const void *, bucket, uint8_t, slot, uint8_t, old_th,
                      uint8_t, new_th, uint8_t, cause),
    LTTNG_UST_TP_FIELDS(lttng_ust_field_integer_hex(uint64_t, map, (uintptr_t)map)
                            lttng_ust_field_integer_hex(uint64_t, bucket, (uintptr_t)bucket)
                                lttng_ust_field_integer(uint8_t, slot, slot)
                                    lttng_ust_field_integer(uint8_t, old_th, old_th)
                                        lttng_ust_field_integer(uint8_t, new_th, new_th)
                                            lttng_ust_field_integer(uint8_t, cause, cause)))
#endif
#include <lttng/tracepoint-event.h>
