/* SPDX-License-Identifier: MIT */
/*
 * shrink.c — HMAP_RECLAIM_SHRINK: EAGER plus an incremental shrinking
 * growth, B -> B-1, that Go does not have (golang/go#20135, #54454).
 *
 * It reuses the growth machinery (evacuate.c, grow.c): a new array, an evacuation mark,
 * growWork on every write.  What differs:
 *   - old buckets i and i + 2^(B-1) both feed new bucket i (the X and Y
 *     halves merge), so growWork evacuates both before a write touches i,
 *     and an evacuation appends to a destination that may already hold
 *     entries (after the emptyRest-suffix start, so the invariant holds);
 *   - old chains keep their keys and links until the shrink completes (no
 *     scrub, no early drop): an iterator started during a shrink walks the
 *     old, larger array and resolves moved entries by lookup (iter.c).
 *
 * Trigger, with hysteresis: a delete that leaves count <= 13/8 * 2^B
 * (a quarter of the 6.5 load factor) starts a shrink when no growth runs and
 * B is above what the creation hint implies.  After it the load is at most
 * half the load factor, so the count must double before the map doubles
 * again, and halve again before the next shrink: churn around either
 * threshold cannot flip-flop.  Redis shrinks its dict below 10 % fill, to
 * the smallest power of two that fits; one step at a time here keeps each
 * growth incremental.
 */
#include "internal.h"
#include "evacuate.h"

/* Shrink when count <= 13/8 * 2^B, i.e. load <= 6.5/4. */
static bool sparse(const hmap *m)
{
    return m->count * 8 <= (uint64_t)LOAD_FACTOR_NUM * bucket_shift(m->B);
}

/* Called by delete (inside the write bracket) after an entry went. */
void hmap__maybe_shrink(hmap *m)
{
    if (m->reclaim == HMAP_RECLAIM_SHRINK && !growing(m) && m->B > m->ext->min_B && sparse(m))
        (void)hmap__start_growth(m, m->B - 1,
                                 HMAP_GROW_SHRINK); /* on ENOMEM, a later delete retries */
}

/* Where appending to the chain at head starts: the first emptyRest slot
 * (everything after it is empty), or past the end of the last bucket. */
static uint8_t *append_point(hmap *m, uint8_t *head, unsigned *slot, uint64_t *free_slots)
{
    uint8_t *b = head;
    for (;;) {
        slotmask rest = rest_mask(b);
        if (slot_any(rest)) {
            *slot = slot_first(rest);
            uint64_t n = BUCKET_CNT - *slot;
            for (uint8_t *c = overflow_of(m, b); c; c = overflow_of(m, c))
                n += BUCKET_CNT;
            *free_slots = n;
            return b;
        }
        uint8_t *next = overflow_of(m, b);
        if (!next) {
            *slot = BUCKET_CNT;
            *free_slots = 0;
            return b;
        }
        b = next;
    }
}

/* Evacuate old chain `oldbucket` (head b) into new bucket oldbucket & mask,
 * appending after what is there.  All or nothing, like hmap__evacuate(). */
int hmap__shrink_evacuate(hmap *m, uint64_t oldbucket, uint8_t *b)
{
    uint8_t *dhead = bucket_at(m, m->buckets, oldbucket & bucket_mask(m->B));
    evac_dst d = {0};
    uint64_t free_slots, n = 0;
    d.b = append_point(m, dhead, &d.i, &free_slots);
    for (uint8_t *c = b; c; c = overflow_of(m, c))
        n += BUCKET_CNT - slot_count(empty_mask(c)); /* slots !is_empty() */
    ovf_reserve r = {0};
    if (n > free_slots &&
        hmap__ovf_reserve_take(m, &r, (n - free_slots + BUCKET_CNT - 1) / BUCKET_CNT) < 0)
        return -1;

    /* Free slots after the append point may lie in later buckets of the
     * chain: evac_move walks into them before linking new ones.  The X and
     * Y halves merge, so every moved slot is marked evacuatedX. */
    for (uint8_t *ob = b; ob; ob = overflow_of(m, ob))
        for (unsigned i = 0; i < BUCKET_CNT; i++)
            if (!evac_mark_empty(m, ob, i)) evac_move(m, ob, i, EVACUATED_X, ob[i], &d, &r);
    hmap__ovf_reserve_drop(m, &r);
    HMAP_TP(evacuate, m, oldbucket, b, dhead, NULL, (uint32_t)n, 0);
    return 0;
}
