/* SPDX-License-Identifier: MIT */
/*
 * hmap_lttng_tp.h — the LTTng-UST provider `hmap`, generated from the schema.
 *
 * One LTTNG_UST_TRACEPOINT_EVENT per event of hmap_events.h (event hmap:<name>,
 * fields in schema order) and one LTTNG_UST_TRACEPOINT_ENUM per enumeration.
 * Addresses are hex integers, E fields are CTF enumerations, the type name is
 * a string.
 *
 * LTTng includes this header many times (LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ),
 * redefining LTTNG_UST_TRACEPOINT_EVENT and the lttng_ust_field_* macros each
 * time.  That is why the generator below only *produces* those macro names:
 * they are expanded with whatever meaning the current pass gives them.  The
 * view macros themselves are defined once, outside the multi-read section.
 *
 * Who includes it:
 *   libmap/lttng/provider.c       LTTNG_UST_TRACEPOINT_CREATE_PROBES -> libhmap-lttng.so
 *   libmap/probes/lttng_sites.c   LTTNG_UST_TRACEPOINT_DEFINE + _PROBE_DYNAMIC_LINKAGE
 *                                 (inside libhmap, no link dependency on liblttng-ust)
 *   libmap/probes/hmap_probes.h   the tracepoint declarations used by HMAP_TP
 * All with -DLTTNG_UST_COMPAT_API_VERSION=1 (no pre-2.13 short macro names).
 */
#ifndef HMAP_LTTNG_VIEWS_H
#define HMAP_LTTNG_VIEWS_H
#include "hmap_schema_seq.h"

/* View: TP_ARGS  ", const void *, map, uint32_t, key_size, ..." */
#define HMAP_LT_ARG_(t, n) , HMAP_PARAM_##t, n
#define HMAP_LT_ARGS_A(t, n, e, k) HMAP_DEFER(HMAP_LT_ARG_)(t, n) HMAP_LT_ARGS_B
#define HMAP_LT_ARGS_B(t, n, e, k) HMAP_DEFER(HMAP_LT_ARG_)(t, n) HMAP_LT_ARGS_A
#define HMAP_LT_ARGS_A_END
#define HMAP_LT_ARGS_B_END

/* View: TP_FIELDS, one lttng_ust_field_* per field, chosen by kind/type. */
#define HMAP_LT_FIELDS_A(t, n, e, k) HMAP_DEFER(HMAP_LT_FIELD_##k##_##t)(n, e) HMAP_LT_FIELDS_B
#define HMAP_LT_FIELDS_B(t, n, e, k) HMAP_DEFER(HMAP_LT_FIELD_##k##_##t)(n, e) HMAP_LT_FIELDS_A
#define HMAP_LT_FIELDS_A_END
#define HMAP_LT_FIELDS_B_END
#define HMAP_LT_FIELD_int_ptr(n, e) lttng_ust_field_integer_hex(uint64_t, n, (uintptr_t)(n))
#define HMAP_LT_FIELD_int_u8(n, e) lttng_ust_field_integer(uint8_t, n, n)
#define HMAP_LT_FIELD_int_u16(n, e) lttng_ust_field_integer(uint16_t, n, n)
#define HMAP_LT_FIELD_int_u32(n, e) lttng_ust_field_integer(uint32_t, n, n)
#define HMAP_LT_FIELD_int_u64(n, e) lttng_ust_field_integer(uint64_t, n, n)
#define HMAP_LT_FIELD_enum_u8(n, e) lttng_ust_field_enum(hmap, e, uint8_t, n, n)
#define HMAP_LT_FIELD_enum_u16(n, e) lttng_ust_field_enum(hmap, e, uint16_t, n, n)
#define HMAP_LT_FIELD_enum_u32(n, e) lttng_ust_field_enum(hmap, e, uint32_t, n, n)
#define HMAP_LT_FIELD_str_str(n, e) lttng_ust_field_string(n, n)

#define HMAP_LT_EVENT_(id, name, desc, seq)                                                        \
    LTTNG_UST_TRACEPOINT_EVENT(hmap, name,                                                         \
                               LTTNG_UST_TP_ARGS(HMAP_TAIL(HMAP_SEQ_WALK(HMAP_LT_ARGS, seq))),     \
                               LTTNG_UST_TP_FIELDS(HMAP_SEQ_WALK(HMAP_LT_FIELDS, seq)))

#define HMAP_LT_ENUM_VALUE_(sym, val, str) lttng_ust_field_enum_value(str, val)
#define HMAP_LT_ENUM_(ename, list)                                                                 \
    LTTNG_UST_TRACEPOINT_ENUM(hmap, ename, LTTNG_UST_TP_ENUM_VALUES(list(HMAP_LT_ENUM_VALUE_)))
#endif /* HMAP_LTTNG_VIEWS_H */

/* The tracepoint sites are used only inside libhmap: hidden symbols, so that
 * lttng_ust_tracepoint_enabled() is a PC-relative load, not a GOT lookup. */
#ifndef LTTNG_UST_TRACEPOINT_HIDDEN_DEFINITION
#define LTTNG_UST_TRACEPOINT_HIDDEN_DEFINITION
#endif

#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER hmap

#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE "hmap_lttng_tp.h"

#if !defined(HMAP_LTTNG_TP_H) || defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define HMAP_LTTNG_TP_H

#include <lttng/tracepoint.h>

HMAP_ENUMS(HMAP_LT_ENUM_)
HMAP_EVENTS_SEQ(HMAP_LT_EVENT_)

#endif /* HMAP_LTTNG_TP_H */

#include <lttng/tracepoint-event.h>
