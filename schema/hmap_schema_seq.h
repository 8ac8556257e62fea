/* SPDX-License-Identifier: MIT */
/*
 * hmap_schema_seq.h — every event's field list as a preprocessor sequence,
 * so that the probe layer can take several views of one list.
 *
 * hmap_events.h hands an event's fields to the EV callback already expanded
 * by one F/E/S callback: a generator gets exactly one view of the list.  A
 * probe backend needs several views of the same list inside one definition
 * (a parameter list, an argument list, LTTng's TP_ARGS and TP_FIELDS, the
 * recorder's stores).  So the fields are first turned into a sequence of
 * 4-tuples
 *
 *     (type, name, enum, kind)(type, name, enum, kind)...
 *
 *   type  ptr u8 u16 u32 u64, or str for a string field
 *   enum  the enumeration of an E field, `none` otherwise
 *   kind  int (F), enum (E) or str (S)
 *
 * and each view walks the sequence with two macros that call each other:
 * VIEW_A expands one tuple and ends with the name VIEW_B, which picks up the
 * next tuple, and so on; the last VIEW_A or VIEW_B, glued to _END, expands
 * to nothing.  (The usual preprocessor "sequence" loop; GCC and clang.)
 */
#ifndef HMAP_SCHEMA_SEQ_H
#define HMAP_SCHEMA_SEQ_H

#include <stdint.h>
#include "hmap_events.h"

#define HMAP_SEQ_F_(t, n, d) (t, n, none, int)
#define HMAP_SEQ_E_(t, n, e, d) (t, n, e, enum)
#define HMAP_SEQ_S_(n, l, d) (str, n, none, str)

/* EV(id, name, description, seq) for every event of the schema. */
#define HMAP_EVENTS_SEQ(EV) HMAP_EVENTS(EV, HMAP_SEQ_F_, HMAP_SEQ_E_, HMAP_SEQ_S_)

#define HMAP_CAT_(a, b) a##b
#define HMAP_CAT(a, b) HMAP_CAT_(a, b)

/* Walk seq with the macro pair VIEW_A / VIEW_B (and VIEW_A_END, VIEW_B_END
 * defined empty).  Each step emits HMAP_DEFER(ITEM)(args): the item macro is
 * expanded only after the walk is complete, because its output (commas,
 * or whatever an LTTng pass makes of it) must not reach HMAP_CAT as extra
 * macro arguments. */
#define HMAP_SEQ_WALK(view, seq) HMAP_CAT(view##_A seq, _END)
#define HMAP_EMPTY()
#define HMAP_DEFER(m) m HMAP_EMPTY()

/* ", a, b, c" -> "a, b, c": views that build comma lists start every item
 * with a comma; this drops the first one. */
#define HMAP_TAIL_(dummy, ...) __VA_ARGS__
#define HMAP_TAIL(...) HMAP_TAIL_(__VA_ARGS__)

/* Parameter type of each field type in generated prototypes. */
#define HMAP_PARAM_ptr const void *
#define HMAP_PARAM_u8 uint8_t
#define HMAP_PARAM_u16 uint16_t
#define HMAP_PARAM_u32 uint32_t
#define HMAP_PARAM_u64 uint64_t
#define HMAP_PARAM_str const char *

/* View: parameter declarations  ", const void *map, uint32_t key_size, ..." */
#define HMAP_SEQ_PARAM_(t, n) , HMAP_PARAM_##t n
#define HMAP_SEQ_PARAMS_A(t, n, e, k) HMAP_DEFER(HMAP_SEQ_PARAM_)(t, n) HMAP_SEQ_PARAMS_B
#define HMAP_SEQ_PARAMS_B(t, n, e, k) HMAP_DEFER(HMAP_SEQ_PARAM_)(t, n) HMAP_SEQ_PARAMS_A
#define HMAP_SEQ_PARAMS_A_END
#define HMAP_SEQ_PARAMS_B_END
#define HMAP_SEQ_PARAMS(seq) HMAP_TAIL(HMAP_SEQ_WALK(HMAP_SEQ_PARAMS, seq))

/* View: argument names  ", map, key_size, ..." */
#define HMAP_SEQ_NAME_(n) , n
#define HMAP_SEQ_NAMES_A(t, n, e, k) HMAP_DEFER(HMAP_SEQ_NAME_)(n) HMAP_SEQ_NAMES_B
#define HMAP_SEQ_NAMES_B(t, n, e, k) HMAP_DEFER(HMAP_SEQ_NAME_)(n) HMAP_SEQ_NAMES_A
#define HMAP_SEQ_NAMES_A_END
#define HMAP_SEQ_NAMES_B_END
#define HMAP_SEQ_NAMES(seq) HMAP_TAIL(HMAP_SEQ_WALK(HMAP_SEQ_NAMES, seq))

#endif /* HMAP_SCHEMA_SEQ_H */
