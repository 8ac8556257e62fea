/* SPDX-License-Identifier: MIT */
/*
 * hmap_recorder.h — libhmap-internal side of the in-process recorder
 * (libmap/probes/recorder.c; public API in libmap/include/hmap_trace.h).
 *
 * hmap_rec_active is nonzero while a native trace file is open; HMAP_TP
 * reads it (relaxed) on every probe site, then calls hmap_rec_emit_<event>
 * with the fields in schema order.
 */
#ifndef HMAP_RECORDER_H
#define HMAP_RECORDER_H

#include "hmap_schema_seq.h"

extern int hmap_rec_active __attribute__((visibility("hidden")));

static inline int hmap_rec_on(void)
{
    return __atomic_load_n(&hmap_rec_active, __ATOMIC_RELAXED);
}

#define HMAP_REC_EMIT_DECLARE_(id, name, desc, seq)                                                \
    __attribute__((visibility("hidden"))) void hmap_rec_emit_##name(HMAP_SEQ_PARAMS(seq));
HMAP_EVENTS_SEQ(HMAP_REC_EMIT_DECLARE_)
#undef HMAP_REC_EMIT_DECLARE_

#endif /* HMAP_RECORDER_H */
