/* SPDX-License-Identifier: MIT */
/*
 * gates.c — the one definition of every event's gate word (USDT
 * semaphore + libhmap's own bits, see hmap_tp_gate.h), in section .probes.
 */
#include "hmap_tp_gate.h"

#define HMAP_TP_GATE_DEFINE_(id, name, desc, seq)                                                  \
    __attribute__((section(".probes"), visibility("hidden"),                                       \
                   aligned(4))) volatile union hmap_tp_gate HMAP_TP_GATE(name);
HMAP_EVENTS_SEQ(HMAP_TP_GATE_DEFINE_)

void hmap_tp_gates_set(uint16_t bit, int on)
{
#define HMAP_TP_GATE_SET_(id, name, desc, seq)                                                     \
    if (on)                                                                                        \
        __atomic_fetch_or(&HMAP_TP_GATE(name).f.slow, bit, __ATOMIC_SEQ_CST);                      \
    else                                                                                           \
        __atomic_fetch_and(&HMAP_TP_GATE(name).f.slow, (uint16_t)~bit, __ATOMIC_SEQ_CST);
    HMAP_EVENTS_SEQ(HMAP_TP_GATE_SET_)
}

void hmap_tp_gate_set(volatile union hmap_tp_gate *g, uint16_t bit, int on)
{
    if (on)
        __atomic_fetch_or(&g->f.slow, bit, __ATOMIC_SEQ_CST);
    else
        __atomic_fetch_and(&g->f.slow, (uint16_t)~bit, __ATOMIC_SEQ_CST);
}

void (*hmap_tp_statedump_hook)(uint8_t trigger);
