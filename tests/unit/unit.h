/* SPDX-License-Identifier: MIT */
/*
 * unit.h — white-box helpers of the rule tests (one CUnit suite per file,
 * one test per rule of docs/go-map-model.md).  The helpers every CUnit
 * test shares (FAILF, new_u64_map, set_u64, get_u64, stats_of) are in
 * tests/lib.
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

#include "cunit_util.h"
#include "hmap.h"
#include "internal.h"
#include "map_util.h"

/* Smallest key >= *from whose hash selects `bucket` in the current array;
 * *from is left past it, so repeated calls give distinct keys. */
uint64_t key_for_bucket(const hmap *m, uint64_t bucket, uint64_t *from);
/* Current bucket index of a u64 key. */
uint64_t bucket_of_u64(const hmap *m, uint64_t key);
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
void suite_hash(void);
void suite_memory(void);
void suite_block_cache(void);

/* Room for one key of any kind the tests use, aligned for all of them
 * (the core's inline hash reads a key by its kind). */
typedef union keybuf {
    uint64_t u64;
    hmap_str str;
    uint8_t bytes[16];
} keybuf;

#endif /* UNIT_H */
