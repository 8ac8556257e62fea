/* SPDX-License-Identifier: MIT */
/*
 * invariants.c — structural consistency of a map (invariants.h).
 */
#include "invariants.h"

#include <stdio.h>

#include "internal.h"

static char why[256];

static const char *violation(const char *fmt, unsigned long long a, unsigned long long b)
{
    snprintf(why, sizeof why, fmt, a, b);
    return why;
}

static bool self_equal(const hmap *m, const void *k)
{
    return is_reflexive(m) || key_equal(m, k, k);
}

/* Walk one chain of the current array (index i) or of the old array;
 * counts its live slots into *live. */
static const char *check_chain(const hmap *m, uint8_t *head, uint64_t i, uint64_t mask, bool old,
                               uint64_t *live)
{
    bool in_rest = false;
    uint8_t prev = 0xff; /* tophash of the previous slot in chain order */
    for (uint8_t *b = head; b; b = overflow_of(m, b)) {
        for (unsigned s = 0; s < BUCKET_CNT; s++) {
            uint8_t th = b[s];
            if (th >= EVACUATED_X && th < MIN_TOP_HASH)
                return violation("evacuation mark %llu in an unevacuated chain (bucket %llu)", th,
                                 i);
            if (th == EMPTY_REST) {
                if (!in_rest && prev == EMPTY_ONE)
                    return violation("emptyOne just before the emptyRest suffix (bucket %llu)", i,
                                     0);
                in_rest = true;
            } else if (in_rest) {
                return violation("slot %llu of bucket %llu's chain follows emptyRest but is not "
                                 "emptyRest",
                                 s, i);
            }
            prev = th;
            if (th < MIN_TOP_HASH) continue;
            (*live)++;
            void *k = key_of(m, b, s);
            if (!self_equal(m, k)) continue;
            uint64_t h = key_hash(m, k);
            if ((h & mask) != i)
                return violation("key in bucket %llu hashes to bucket %llu", i, h & mask);
            if (tophash(h) != th)
                return violation("tophash %llu stored, key's hash gives %llu", th, tophash(h));
        }
    }
    (void)old;
    return NULL;
}

const char *map_invariant_violation(const hmap *m)
{
    if (flags_load(m) & F_HASH_WRITING) return "hashWriting set between operations";
    if (!m->buckets) return m->count == 0 ? NULL : "entries but no bucket array";
    uint64_t live = 0, n = bucket_shift(m->B), mask = bucket_mask(m->B);
    uint64_t nold = oldbuckets_of(m) ? noldbuckets(m) : 0;
    for (uint64_t i = 0; i < n; i++) {
        uint8_t *head = bucket_at(m, m->buckets, i);
        if (nold) {
            uint64_t src = i & (nold - 1);
            bool src_done = evacuated(bucket_at(m, oldbuckets_of(m), src));
            /* A shrink (SHRINK policy) merges old buckets i and i + 2^B. */
            if (shrinking(m))
                src_done = src_done || evacuated(bucket_at(m, oldbuckets_of(m), i + n));
            if (!src_done && (head[0] != EMPTY_REST || overflow_of(m, head)))
                return violation("new bucket %llu used before its old bucket %llu was evacuated", i,
                                 src);
        }
        const char *err = check_chain(m, head, i, mask, false, &live);
        if (err) return err;
    }
    for (uint64_t i = 0; i < nold; i++) {
        uint8_t *head = bucket_at(m, oldbuckets_of(m), i);
        if (evacuated(head)) {
            for (unsigned s = 0; s < BUCKET_CNT; s++)
                if (head[s] < EVACUATED_X || head[s] > EVACUATED_EMPTY)
                    return violation("evacuated old bucket %llu has tophash %llu", i, head[s]);
            continue;
        }
        if (i < map_nevacuate(m))
            return violation("old bucket %llu below the mark %llu is not evacuated", i,
                             map_nevacuate(m));
        const char *err = check_chain(m, head, i, nold - 1, true, &live);
        if (err) return err;
    }
    if (live != m->count) return violation("%llu live slots, count says %llu", live, m->count);
    return NULL;
}

void harness_check_invariants(harness *h)
{
    const char *err = map_invariant_violation(h->m);
    if (err) harness_fail(h, "map invariant broken: %s", err);
}
