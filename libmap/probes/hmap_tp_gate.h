/* SPDX-License-Identifier: MIT */
/*
 * hmap_tp_gate.h — one 32-bit gate word per event, the only thing an idle
 * probe site reads.
 *
 *     union hmap_tp_gate hmap_<event>_semaphore = { .f = { usdt, slow } }
 *
 * `usdt` is the event's USDT semaphore: the symbol name, section and 16-bit
 * size are what <sys/sdt.h> and the kernel expect (the kernel increments it
 * while a uprobe is attached, hmap_usdt.h).  `slow` holds bits that libhmap
 * sets for every event: HMAP_GATE_REC while the in-process recorder records,
 * HMAP_GATE_LTTNG once the LTTng-UST provider is loaded (from then on the
 * probe site also reads LTTng's per-event state).  So while nobody listens
 * and no provider is loaded, a probe site is one load and one branch.  The
 * kernel writes only the low 16 bits, libhmap only the high 16 (atomically).
 *
 * Rules for the semaphore half, each learned from a failure
 * (docs/tracing-stack.md §2.1): in section .probes (a file-backed page the
 * kernel can update), defined exactly once (gates.c), volatile (loops re-read
 * it), hidden (one PC-relative load, never a GOT indirection).
 */
#ifndef HMAP_TP_GATE_H
#define HMAP_TP_GATE_H

#include <stdint.h>
#include "hmap_schema_seq.h"

union hmap_tp_gate {
    struct {
        uint16_t usdt; /* USDT semaphore: kernel-managed */
        uint16_t slow; /* HMAP_GATE_* bits, set by libhmap */
    } f;
    uint32_t any; /* nonzero: some backend may listen */
};

#define HMAP_GATE_REC 1u   /* the in-process recorder records */
#define HMAP_GATE_LTTNG 2u /* the LTTng provider is loaded: check its state */
/* A state dump is pending for some map (libmap/src/statedump.c); held up on
 * tophash_write's gate only, the word every write reads once. */
#define HMAP_GATE_DUMP 4u

#define HMAP_TP_GATE(name) hmap_##name##_semaphore

#define HMAP_TP_GATE_DECLARE_(id, name, desc, seq)                                                 \
    extern volatile union hmap_tp_gate HMAP_TP_GATE(name) __attribute__((visibility("hidden")));
HMAP_EVENTS_SEQ(HMAP_TP_GATE_DECLARE_)
#undef HMAP_TP_GATE_DECLARE_

/* Set (on != 0) or clear one HMAP_GATE_* bit in every event's gate, or in
 * one gate. */
__attribute__((visibility("hidden"))) void hmap_tp_gates_set(uint16_t bit, int on);
__attribute__((visibility("hidden"))) void hmap_tp_gate_set(volatile union hmap_tp_gate *g,
                                                            uint16_t bit, int on);

/* State at attach (docs/statedump.md).  The map core installs the pass
 * (libmap/src/statedump.c); a backend that starts listening to a running
 * process calls it with the schema's state_trigger. */
extern void (*hmap_tp_statedump_hook)(uint8_t trigger) __attribute__((visibility("hidden")));
/* Start, once per process, the agent that watches for tracers attaching
 * (statedump_agent.c); called by the core when a map is created. */
__attribute__((visibility("hidden"))) void hmap_tp_agent_ensure(void);
/* LTTng: is hmap:statedump_done enabled (lttng_sites.c)?  0 without LTTng. */
__attribute__((visibility("hidden"))) int hmap_tp_lttng_statedump_enabled(void);

#endif /* HMAP_TP_GATE_H */
