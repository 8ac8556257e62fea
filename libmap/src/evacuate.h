/* SPDX-License-Identifier: MIT */
/*
 * evacuate.h — moving entries from an old chain into the new array: the
 * one copy of the per-slot step that every growth kind runs (grow.c for
 * doubling and same-size growth, shrink.c for SHRINK's halving).  Inline:
 * it runs once per entry of every evacuation.  evacuate.c holds the rest
 * of the shared machinery (starting a growth).
 */
#ifndef HMAP_EVACUATE_H
#define HMAP_EVACUATE_H

#include "internal.h"

/* A destination of an evacuation: the bucket being filled, its next free
 * slot (BUCKET_CNT: full) and how many entries were moved into it. */
typedef struct evac_dst {
    uint8_t *b;
    unsigned i;
    uint32_t moved;
} evac_dst;

/* Old slot i of ob holds no entry: mark it evacuatedEmpty and say so.  A
 * live slot must hold a hash byte; anything else is a corrupted map. */
static ALWAYS_INLINE bool evac_mark_empty(hmap *m, uint8_t *ob, unsigned i)
{
    if (is_empty(ob[i])) {
        th_write(m, ob, i, EVACUATED_EMPTY, HMAP_TH_EVAC_MARK);
        return true;
    }
    if (ob[i] < MIN_TOP_HASH) hmap_fatal("bad map state");
    return false;
}

/*
 * Move the entry in old slot i of ob to d, with tophash top there, marking
 * the old slot `mark` (evacuatedX or Y) first.  Keeps: the old slot is
 * marked before the copy exists (a reader of the old chain then looks in
 * the new array), and a full destination continues into the next bucket of
 * its chain, else links an overflow bucket from r (reserved beforehand, so
 * this cannot fail).  The slot bytes are copied: for indirect keys and
 * values that is the pointer.
 */
static ALWAYS_INLINE void evac_move(hmap *m, uint8_t *ob, unsigned i, uint8_t mark, uint8_t top,
                                    evac_dst *d, ovf_reserve *r)
{
    th_write(m, ob, i, mark, HMAP_TH_EVAC_MARK);
    if (d->i == BUCKET_CNT) {
        uint8_t *next = overflow_of(m, d->b);
        d->b = next ? next : hmap__newoverflow(m, d->b, r);
        d->i = 0;
    }
    unsigned di = d->i++;
    th_write(m, d->b, di, top, HMAP_TH_EVAC_COPY);
    copy_slot(slot_key(m, d->b, di), slot_key(m, ob, i), m->keyslot);
    copy_slot(slot_val(m, d->b, di), slot_val(m, ob, i), m->valslot);
    d->moved++;
}

#endif /* HMAP_EVACUATE_H */
