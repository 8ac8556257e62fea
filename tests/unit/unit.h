/*
 * unit.h — shared helpers of the rule tests (one CUnit suite per file, one
 * test per rule of shared/design/go-map-model.md).
 *
 * The tests are white-box where the public API cannot see a rule (tophash
 * bytes, the evacuation mark, which old bucket is evacuated): they include
 * libmap/src/internal.h and read the map's own fields.
 */
#ifndef UNIT_H
#define UNIT_H

#include <CUnit/CUnit.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "hmap.h"
#include "internal.h"

/* A u64 -> u64 map with a fixed seed (reproducible placement). */
hmap *new_u64_map(uint64_t seed, size_t hint);
/* Smallest key >= *from whose hash selects `bucket` in the current array;
 * *from is left past it, so repeated calls give distinct keys. */
uint64_t key_for_bucket(const hmap *m, uint64_t bucket, uint64_t *from);
/* Current bucket index of a u64 key. */
uint64_t bucket_of_u64(const hmap *m, uint64_t key);
bool set_u64(hmap *m, uint64_t k, uint64_t v);
/* The value stored for k, or UINT64_MAX if absent. */
uint64_t get_u64(const hmap *m, uint64_t k);
hmap_stats stats_of(const hmap *m);
/* Go's overLoadFactor, written out independently of the core's copy. */
bool go_over_load_factor(uint64_t count, unsigned B);
/* Old bucket i is evacuated (its first tophash is 2, 3 or 4). */
bool old_evacuated(const hmap *m, uint64_t i);

/* Suites, registered by main.c. */
void suite_sizing(void);
void suite_delete(void);
void suite_growth(void);
void suite_iteration(void);
void suite_clear(void);
void suite_misuse(void);
void suite_types(void);
void suite_release(void);
void suite_aliasing(void);

/* Report a mismatch with context and fail the current test. */
/* Room for one key of any kind the tests use, aligned for all of them
 * (the core's inline hash reads a key by its kind). */
typedef union keybuf {
    uint64_t u64;
    hmap_str str;
    uint8_t bytes[16];
} keybuf;

#define UNIT_FAILF(...)                                                                            \
    do {                                                                                           \
        char msg_[256];                                                                            \
        snprintf(msg_, sizeof msg_, __VA_ARGS__);                                                  \
        fprintf(stderr, "\n    %s:%d: %s\n", __FILE__, __LINE__, msg_);                            \
        CU_FAIL(msg_);                                                                             \
    } while (0)

#endif /* UNIT_H */
