/* SPDX-License-Identifier: MIT */
/*
 * xorshift.h — the one pseudo-random generator of the tests and trace
 * generators: Marsaglia's xorshift64 (shifts 13, 7, 17).  The caller owns
 * and seeds the state, so every run of a test or generator draws the same
 * sequence.  The state must not be 0.
 */
#ifndef BS_XORSHIFT_H
#define BS_XORSHIFT_H

#include <stdint.h>

static inline uint64_t xorshift64(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

#endif /* BS_XORSHIFT_H */
