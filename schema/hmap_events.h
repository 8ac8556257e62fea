/* SPDX-License-Identifier: MIT */
/*
 * hmap_events.h — the bucketscope event schema, written once.
 *
 * Every layer that emits or reads events is derived from the X-macro lists
 * below: the probe calls in libhmap (hmap_probes.h), the USDT notes, the
 * LTTng-UST event definitions, the native trace format (hmap_native.h), the
 * BPF decoder and the analyzers' readers.  Adding a field here changes all of
 * them at once; a test checks the layers that cannot be generated.
 *
 * An event is   EV(id, name, description, FIELDS)
 * FIELDS is a sequence of
 *   F(type, name, description)            an integer field
 *   E(type, name, enum, description)      an integer field whose values come
 *                                         from one of the enumerations below
 *   S(name, maxlen, description)          a NUL-terminated string, truncated to
 *                                         maxlen-1 bytes in fixed-size formats
 * type is one of: ptr u8 u16 u32 u64 (see HMAP_FIELD_CTYPE_*).
 *
 * Ids are stable: they are written into native trace files.  Never reuse or
 * renumber an id; append new events with new ids.
 *
 * Nothing here may ever carry key or value bytes: a trace can leave the
 * machine.  Addresses, sizes, slot indices and tophash bytes only.
 */
#ifndef HMAP_EVENTS_H
#define HMAP_EVENTS_H

#include <stdint.h>

/* C type of each field type, for generated structs and prototypes. */
#define HMAP_FIELD_CTYPE_ptr uint64_t
#define HMAP_FIELD_CTYPE_u8 uint8_t
#define HMAP_FIELD_CTYPE_u16 uint16_t
#define HMAP_FIELD_CTYPE_u32 uint32_t
#define HMAP_FIELD_CTYPE_u64 uint64_t

/* ---- Enumerations used as field values -------------------------------- */

/* Why a tophash byte changed. */
#define HMAP_ENUM_TH_CAUSE(X)                                                                      \
    X(HMAP_TH_INSERT, 0, "insert")         /* a new key took the slot */                           \
    X(HMAP_TH_DELETE, 1, "delete")         /* live -> emptyOne */                                  \
    X(HMAP_TH_EMPTY_REST, 2, "empty_rest") /* emptyOne -> emptyRest folding */                     \
    X(HMAP_TH_EVAC_MARK, 3, "evac_mark")   /* old slot -> evacuatedX/Y/Empty */                    \
    X(HMAP_TH_EVAC_COPY, 4, "evac_copy")   /* entry copied into a new bucket */                    \
    X(HMAP_TH_CLEAR, 5, "clear")           /* hmap_clear set the slot to emptyRest */              \
    X(HMAP_TH_STATE, 6, "state")           /* the slot as it was when a tracer attached */

/* What a block of bucket memory is. */
#define HMAP_ENUM_MEM_KIND(X)                                                                      \
    X(HMAP_MEM_ARRAY, 0, "bucket_array")       /* 2^B buckets + preallocated tail */               \
    X(HMAP_MEM_OVERFLOW, 1, "overflow_bucket") /* one individually allocated bucket */

/* Where an overflow bucket came from. */
#define HMAP_ENUM_OVF_SOURCE(X)                                                                    \
    X(HMAP_OVF_PREALLOC, 0, "prealloc")   /* the array's preallocated tail */                      \
    X(HMAP_OVF_ALLOCATOR, 1, "allocator") /* a fresh block from the allocator */

/* Why memory went back to the allocator. */
#define HMAP_ENUM_FREE_REASON(X)                                                                   \
    X(HMAP_FREE_GROW_DONE, 0, "grow_done") /* old array (and chains) after growth */               \
    X(HMAP_FREE_EVACUATED, 1, "evacuated") /* old overflow chain dropped at its evacuation */      \
    X(HMAP_FREE_UNLINK, 2, "unlink")       /* overflow bucket emptied by deletes */                \
    X(HMAP_FREE_CLEAR, 3, "clear")         /* hmap_clear */                                        \
    X(HMAP_FREE_DESTROY, 4, "destroy")     /* hmap_free */                                         \
    X(HMAP_FREE_SHRINK, 5, "shrink")       /* old array after a shrinking growth */

/* Kind of growth. */
#define HMAP_ENUM_GROW_KIND(X)                                                                     \
    X(HMAP_GROW_DOUBLE, 0, "double")                                                               \
    X(HMAP_GROW_SAME_SIZE, 1, "same_size")                                                         \
    X(HMAP_GROW_SHRINK, 2, "shrink")

/* Why an overflow bucket left its chain. */
#define HMAP_ENUM_UNLINK_CAUSE(X)                                                                  \
    X(HMAP_UNLINK_EMPTIED, 0, "emptied")     /* deletes left it empty (EAGER/SHRINK) */            \
    X(HMAP_UNLINK_EVACUATED, 1, "evacuated") /* its old chain was evacuated and dropped */         \
    X(HMAP_UNLINK_CLEAR, 2, "clear")         /* hmap_clear */

/* Reclaim policy of a map (mirrors hmap_reclaim in hmap.h). */
#define HMAP_ENUM_RECLAIM(X)                                                                       \
    X(HMAP_RECLAIM_GO_ID, 0, "go")                                                                 \
    X(HMAP_RECLAIM_EAGER_ID, 1, "eager")                                                           \
    X(HMAP_RECLAIM_SHRINK_ID, 2, "shrink")

/* Which half of an entry a separately allocated object holds (a key or a
 * value over 128 bytes lives outside the bucket, as in Go). */
#define HMAP_ENUM_INDIRECT_KIND(X)                                                                 \
    X(HMAP_INDIRECT_KEY, 0, "key")                                                                 \
    X(HMAP_INDIRECT_VALUE, 1, "value")

/* Why a separately allocated key or value went back to the allocator. */
#define HMAP_ENUM_OBJ_FREE_REASON(X)                                                               \
    X(HMAP_OBJ_DELETE, 0, "delete")   /* its entry was deleted */                                  \
    X(HMAP_OBJ_CLEAR, 1, "clear")     /* hmap_clear */                                             \
    X(HMAP_OBJ_DESTROY, 2, "destroy") /* hmap_free */                                              \
    X(HMAP_OBJ_UNUSED, 3, "unused")   /* an insert that failed later gave it back */

/* How the state of a map was had when a tracer attached. */
#define HMAP_ENUM_STATE_STATUS(X)                                                                  \
    X(HMAP_STATE_OK, 0, "ok")     /* complete: every block, slot and object above */               \
    X(HMAP_STATE_BUSY, 1, "busy") /* a writer held the map: it dumps itself at its next write */   \
    X(HMAP_STATE_UNSAFE, 2, "unsafe") /* no safe way to read it (membarrier unavailable) */   \
    X(HMAP_STATE_UNSEEN, 3, "unseen") /* Go: created unseen (before the attach, or on a stack) */

/* What started a state dump. */
#define HMAP_ENUM_STATE_TRIGGER(X)                                                                 \
    X(HMAP_STATE_BY_RECORDER, 0, "recorder") /* hmap_trace_start */                                \
    X(HMAP_STATE_BY_USDT, 1, "usdt")         /* a uprobe attached to hmap:statedump_done */        \
    X(HMAP_STATE_BY_LTTNG, 2, "lttng")       /* an LTTng session enabled hmap:statedump_done */    \
    X(HMAP_STATE_BY_WRITER, 3, "writer")     /* a map busy at the dump, at its next write */

/* All enumerations, for generators that need every one: EN(enum, list) */
#define HMAP_ENUMS(EN)                                                                             \
    EN(th_cause, HMAP_ENUM_TH_CAUSE)                                                               \
    EN(mem_kind, HMAP_ENUM_MEM_KIND)                                                               \
    EN(ovf_source, HMAP_ENUM_OVF_SOURCE)                                                           \
    EN(free_reason, HMAP_ENUM_FREE_REASON)                                                         \
    EN(grow_kind, HMAP_ENUM_GROW_KIND)                                                             \
    EN(unlink_cause, HMAP_ENUM_UNLINK_CAUSE)                                                       \
    EN(reclaim, HMAP_ENUM_RECLAIM)                                                                 \
    EN(indirect_kind, HMAP_ENUM_INDIRECT_KIND)                                                     \
    EN(obj_free_reason, HMAP_ENUM_OBJ_FREE_REASON)                                                 \
    EN(state_status, HMAP_ENUM_STATE_STATUS)                                                       \
    EN(state_trigger, HMAP_ENUM_STATE_TRIGGER)

/* C enums generated from the lists above. */
#define HMAP_ENUM_ITEM_(sym, val, str) sym = val,
enum hmap_th_cause { HMAP_ENUM_TH_CAUSE(HMAP_ENUM_ITEM_) };
enum hmap_mem_kind { HMAP_ENUM_MEM_KIND(HMAP_ENUM_ITEM_) };
enum hmap_ovf_source { HMAP_ENUM_OVF_SOURCE(HMAP_ENUM_ITEM_) };
enum hmap_free_reason { HMAP_ENUM_FREE_REASON(HMAP_ENUM_ITEM_) };
enum hmap_grow_kind { HMAP_ENUM_GROW_KIND(HMAP_ENUM_ITEM_) };
enum hmap_unlink_cause { HMAP_ENUM_UNLINK_CAUSE(HMAP_ENUM_ITEM_) };
enum hmap_reclaim_id { HMAP_ENUM_RECLAIM(HMAP_ENUM_ITEM_) };
enum hmap_indirect_kind { HMAP_ENUM_INDIRECT_KIND(HMAP_ENUM_ITEM_) };
enum hmap_obj_free_reason { HMAP_ENUM_OBJ_FREE_REASON(HMAP_ENUM_ITEM_) };
enum hmap_state_status { HMAP_ENUM_STATE_STATUS(HMAP_ENUM_ITEM_) };
enum hmap_state_trigger { HMAP_ENUM_STATE_TRIGGER(HMAP_ENUM_ITEM_) };
#undef HMAP_ENUM_ITEM_

/* ---- Tophash byte values ---------------------------------------------- */

/* The values a slot's tophash byte takes that are not a hash: Go's emptyRest,
 * emptyOne, evacuatedX/Y/Empty.  Any byte >= HMAP_TOPHASH_MIN_LIVE is the top
 * byte of a live key's hash (Go's minTopHash); tophash_write carries these
 * bytes raw (docs/go-map-model.md, "tophash"). */
#define HMAP_ENUM_TOPHASH(X)                                                                       \
    X(HMAP_TOPHASH_EMPTY_REST, 0, "empty_rest")   /* empty, and so is every later slot */          \
    X(HMAP_TOPHASH_EMPTY_ONE, 1, "empty_one")     /* empty */                                      \
    X(HMAP_TOPHASH_EVACUATED_X, 2, "evacuated_x") /* old slot, entry moved to the X half */        \
    X(HMAP_TOPHASH_EVACUATED_Y, 3, "evacuated_y") /* old slot, entry moved to the Y half */        \
    X(HMAP_TOPHASH_EVACUATED_EMPTY, 4, "evacuated_empty") /* old slot, was empty */
#define HMAP_ENUM_ITEM_(sym, val, str) sym = val,
enum hmap_tophash { HMAP_ENUM_TOPHASH(HMAP_ENUM_ITEM_) HMAP_TOPHASH_MIN_LIVE };
#undef HMAP_ENUM_ITEM_

/* ---- Events ------------------------------------------------------------ */
/* Field order is the argument order of the probe call, the USDT argument
 * order (arg0 = first field) and the native record layout.  One field per
 * line: this table is the first thing a reader of the project reads. */
// clang-format off
#define HMAP_EVENTS(EV, F, E, S)                                                                \
    EV(1, map_create, "a map was created",                                                      \
       F(ptr, map, "map address")                                                               \
       F(u32, key_size, "key size in bytes (as given by the type)")                             \
       F(u32, val_size, "value size in bytes")                                                  \
       F(u32, bucket_size, "bytes per bucket")                                                  \
       F(u8, pointerful, "1 if the type holds pointers (Go's scanned bucket kind)")             \
       E(u8, reclaim, reclaim, "reclaim policy")                                                \
       F(u32, hint, "creation size hint (saturated to 2^32-1)")                                 \
       S(type_name, 24, "type descriptor name"))                                                \
    EV(2, map_destroy, "a map was freed (its memory frees follow as bucket_free)",              \
       F(ptr, map, "map address")                                                               \
       F(u64, count, "live entries at destruction")                                             \
       F(u64, bytes, "bytes held from the allocator just before destruction"))                  \
    EV(3, bucket_array_alloc, "a bucket array was allocated (one block)",                       \
       F(ptr, map, "map address")                                                               \
       F(ptr, addr, "address of bucket 0")                                                      \
       F(u8, B, "log2 of the number of buckets")                                                \
       F(u64, nbuckets, "2^B")                                                                  \
       F(u32, nprealloc, "preallocated overflow buckets at the end of the block")               \
       F(u64, bytes, "block size in bytes"))                                                    \
    EV(4, overflow_alloc, "an overflow bucket was linked behind a chain's last bucket",         \
       F(ptr, map, "map address")                                                               \
       F(ptr, addr, "the overflow bucket")                                                      \
       F(ptr, parent, "the bucket it was linked behind")                                        \
       E(u8, source, ovf_source, "preallocated tail or allocator")                              \
       F(u32, bytes, "bucket size in bytes"))                                                   \
    EV(5, tophash_write, "a slot's tophash byte changed",                                       \
       F(ptr, map, "map address")                                                               \
       F(ptr, bucket, "bucket address")                                                         \
       F(u8, slot, "slot index 0..7")                                                           \
       F(u8, old_th, "previous tophash (enum hmap_tophash, or a hash byte)")                    \
       F(u8, new_th, "new tophash (enum hmap_tophash, or a hash byte)")                         \
       E(u8, cause, th_cause, "why it changed"))                                                \
    EV(6, grow_start, "a growth began: a new array exists, nothing is moved yet",               \
       F(ptr, map, "map address")                                                               \
       F(u8, old_B, "B of the old array")                                                       \
       F(u8, new_B, "B of the new array")                                                       \
       E(u8, kind, grow_kind, "doubling, same-size or shrink")                                  \
       F(u64, count, "live entries")                                                            \
       F(u32, noverflow, "noverflow before the reset"))                                         \
    EV(7, evacuate, "one old chain was evacuated into the new array",                           \
       F(ptr, map, "map address")                                                               \
       F(u64, old_index, "old bucket index")                                                    \
       F(ptr, old_addr, "old head bucket address")                                              \
       F(ptr, x_addr, "destination X head bucket")                                              \
       F(ptr, y_addr, "destination Y head bucket (0 when there is no Y)")                       \
       F(u32, moved_x, "entries copied to X")                                                   \
       F(u32, moved_y, "entries copied to Y"))                                                  \
    EV(8, grow_done, "the evacuation mark reached the old bucket count",                        \
       F(ptr, map, "map address")                                                               \
       F(ptr, old_addr, "old array address")                                                    \
       F(u8, B, "B of the current array")                                                       \
       E(u8, kind, grow_kind, "kind of the growth that ended")                                  \
       F(u64, count, "live entries"))                                                           \
    EV(9, overflow_unlink, "an overflow bucket was removed from its chain",                     \
       F(ptr, map, "map address")                                                               \
       F(ptr, addr, "the overflow bucket")                                                      \
       F(ptr, prev, "bucket that linked to it (0 if its chain head was dropped)")               \
       E(u8, cause, unlink_cause, "why")                                                        \
       F(u8, to_freelist, "1: preallocated, returned to the array's free list, not freed"))     \
    EV(10, bucket_free, "bucket memory went back to the allocator",                             \
       F(ptr, map, "map address")                                                               \
       F(ptr, addr, "block address")                                                            \
       F(u64, bytes, "block size in bytes")                                                     \
       E(u8, kind, mem_kind, "bucket array or overflow bucket")                                 \
       E(u8, reason, free_reason, "why"))                                                        \
    EV(11, map_info, "who a map is: follows every map_create",                                  \
       F(ptr, map, "map address")                                                               \
       F(ptr, site, "return address of the hmap_new call that created it")                      \
       F(u64, site_off, "site minus the load address of the object holding it")                 \
       S(object, 96, "path of the ELF object holding site (empty if unknown)")                  \
       S(name, 32, "hmap_options.name, empty when none was given"))                             \
    EV(12, indirect_alloc, "a key or value over 128 bytes got its own allocation",              \
       F(ptr, map, "map address")                                                               \
       F(ptr, addr, "the object")                                                               \
       F(u32, bytes, "object size in bytes")                                                    \
       E(u8, kind, indirect_kind, "key or value"))                                              \
    EV(13, indirect_free, "a separately allocated key or value went back to the allocator",     \
       F(ptr, map, "map address")                                                               \
       F(ptr, addr, "the object")                                                               \
       F(u32, bytes, "object size in bytes")                                                    \
       E(u8, kind, indirect_kind, "key or value")                                               \
       E(u8, reason, obj_free_reason, "why"))                                                   \
    EV(14, state_begin, "the state of a map that existed before the tracer attached follows",   \
       F(ptr, map, "map address")                                                               \
       F(u64, count, "live entries")                                                            \
       F(u8, B, "B of the current array")                                                       \
       F(u8, flags, "Go's flags byte (8 same-size growth, 16 shrink)")                          \
       F(ptr, old_addr, "old array while growing, else 0")                                      \
       F(u64, nevacuate, "evacuation mark while growing")                                       \
       F(u32, noverflow, "Go's overflow counter")                                               \
       E(u8, trigger, state_trigger, "what started the dump"))                                  \
    EV(15, state_end, "end of a map's state: what was dumped since its state_begin",            \
       F(ptr, map, "map address")                                                               \
       F(u64, blocks, "bucket arrays and allocator overflow buckets dumped")                    \
       F(u64, slots, "live slots dumped")                                                       \
       F(u64, objects, "separately allocated keys and values dumped")                           \
       E(u8, status, state_status, "complete, or why not"))                                     \
    EV(16, statedump_done, "every map that existed was dumped (or said why not)",               \
       F(u32, maps, "maps whose state was dumped")                                              \
       F(u32, deferred, "maps busy at the time: each dumps itself at its next write")           \
       F(u32, unsafe, "maps whose state could not be had safely")                               \
       E(u8, trigger, state_trigger, "what started the dump"))
// clang-format on

/* Event ids as an enum: HMAP_EV_map_create, ... */
#define HMAP_EV_ID_(id, name, desc, fields) HMAP_EV_##name = id,
#define HMAP_IGNORE_F_(t, n, d)
#define HMAP_IGNORE_E_(t, n, e, d)
#define HMAP_IGNORE_S_(n, l, d)
enum hmap_event_id { HMAP_EVENTS(HMAP_EV_ID_, HMAP_IGNORE_F_, HMAP_IGNORE_E_, HMAP_IGNORE_S_) };
#undef HMAP_EV_ID_

/*
 * Counts derived from the lists, so that no layer keeps a number by hand:
 * HMAP_EVENT_MAX_ID (ids are 1..HMAP_EVENT_MAX_ID) and, per enumeration,
 * HMAP_ENUM_COUNT(th_cause) etc. (values are 0..count-1).  The checks below
 * make those ranges true: ids and values are distinct (duplicate case labels
 * do not compile), not below their first value, and sum to what a gap-free
 * range sums to -- n distinct integers >= 1 summing to n(n+1)/2 are 1..n.
 */
#define HMAP_COUNT_EV_(id, name, desc, fields) +1
#define HMAP_SUM_EV_(id, name, desc, fields) +(id)
enum {
    HMAP_EVENT_MAX_ID =
        0 HMAP_EVENTS(HMAP_COUNT_EV_, HMAP_IGNORE_F_, HMAP_IGNORE_E_, HMAP_IGNORE_S_)
};
_Static_assert((0 HMAP_EVENTS(HMAP_SUM_EV_, HMAP_IGNORE_F_, HMAP_IGNORE_E_, HMAP_IGNORE_S_)) ==
                   HMAP_EVENT_MAX_ID * (HMAP_EVENT_MAX_ID + 1) / 2,
               "event ids must be 1..HMAP_EVENT_MAX_ID without gaps");
#undef HMAP_COUNT_EV_
#undef HMAP_SUM_EV_

#define HMAP_ENUM_COUNT(name) HMAP_ENUM_COUNT_##name
#define HMAP_COUNT_ITEM_(sym, val, str) +1
#define HMAP_SUM_ITEM_(sym, val, str) +(val)
#define HMAP_ENUM_COUNT_DEF_(name, list) HMAP_ENUM_COUNT_##name = 0 list(HMAP_COUNT_ITEM_),
enum { HMAP_ENUMS(HMAP_ENUM_COUNT_DEF_) };
#define HMAP_ENUM_SUM_CHECK_(name, list)                                                           \
    _Static_assert((0 list(HMAP_SUM_ITEM_)) ==                                                     \
                       HMAP_ENUM_COUNT_##name * (HMAP_ENUM_COUNT_##name - 1) / 2,                  \
                   "values of " #name " must be 0..count-1 without gaps");
HMAP_ENUMS(HMAP_ENUM_SUM_CHECK_)
#undef HMAP_ENUM_COUNT_DEF_
#undef HMAP_ENUM_SUM_CHECK_
#undef HMAP_COUNT_ITEM_
#undef HMAP_SUM_ITEM_

/* Never called: compiling it is the distinctness check. */
#define HMAP_CASE_EV_(id, name, desc, fields)                                                      \
    case id: {                                                                                     \
        _Static_assert((id) >= 1, #name ": event ids start at 1");                                 \
    } break;
#define HMAP_CASE_ITEM_(sym, val, str)                                                             \
    case val: {                                                                                    \
        _Static_assert((val) >= 0, #sym ": enumeration values start at 0");                        \
    } break;
#define HMAP_SWITCH_ENUM_(name, list)                                                              \
    switch (v) {                                                                                   \
        list(HMAP_CASE_ITEM_)                                                                      \
    }
static inline void hmap_schema_distinct_(int v)
{
    switch (v) {
        HMAP_EVENTS(HMAP_CASE_EV_, HMAP_IGNORE_F_, HMAP_IGNORE_E_, HMAP_IGNORE_S_)
    }
    HMAP_ENUMS(HMAP_SWITCH_ENUM_)
}
#undef HMAP_CASE_EV_
#undef HMAP_CASE_ITEM_
#undef HMAP_SWITCH_ENUM_

#endif /* HMAP_EVENTS_H */
