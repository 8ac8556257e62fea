/* SPDX-License-Identifier: MIT */
/*
 * invariants.h — white-box check of the map's structure (internal.h), the
 * C counterpart of the consistency checks in Go's runtime map tests:
 *   - every live slot sits in the chain its hash selects, with the tophash
 *     derived from that hash (keys equal to themselves);
 *   - within every chain the emptyRest slots form a suffix, and the slot
 *     just before that suffix is not emptyOne;
 *   - evacuation marks appear only in the old array, every old bucket below
 *     nevacuate is evacuated, and a new bucket holds entries only after its
 *     source old bucket was evacuated;
 *   - live slots (current array + unevacuated old chains) add up to count;
 *   - hashWriting is clear between operations.
 */
#ifndef INVARIANTS_H
#define INVARIANTS_H

#include "harness.h"
#include "hmap.h"

/* NULL if the map is consistent, else a static description of the first
 * violation found. */
const char *map_invariant_violation(const hmap *m);

/* The same for a harness's map, failing the harness on a violation. */
void harness_check_invariants(harness *h);

#endif /* INVARIANTS_H */
