/* SPDX-License-Identifier: MIT */
/*
 * typeset.h — the key/value types the differential tests run over, and the
 * mapping from a key id / value seed (what the reference model stores) to
 * the bytes handed to the map, and back.
 *
 *   u32       hmap_type_u32 (fast32 path)
 *   u64       hmap_type_u64 (fast64 path)
 *   str       hmap_type_str (faststr path, key update: two copies of every
 *             string exist, the map must hold the pointer passed last)
 *   generic   24-byte struct key {a, b, tag}, custom hash/equal over a and b
 *             only, key update on, 16-byte value (generic path)
 *   indirect  160-byte key, 200-byte value: both stored out of line
 */
#ifndef TYPESET_H
#define TYPESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hmap.h"

enum { TT_U32, TT_U64, TT_STR, TT_GENERIC, TT_INDIRECT, TT_COUNT };

#define TT_MAX_KEY 160
#define TT_MAX_VAL 200
/* Key ids must stay below this (the string pool is sized by it). */
#define TT_MAX_ID (1u << 17)

typedef struct test_type {
    const char *name;
    const hmap_type *type;
    bool key_update; /* the map keeps the newest of equal keys */
    /* Key bytes for id; `variant` (0 or 1) picks one of two equal keys. */
    void (*make_key)(uint64_t id, unsigned variant, void *out);
    /* Decode a key the map returned: its id and variant; false if the
     * bytes are not a key this module made. */
    bool (*read_key)(const void *key, uint64_t *id, unsigned *variant);
    void (*make_val)(uint64_t v, void *out);
    bool (*val_ok)(const void *val, uint64_t v);
} test_type;

extern const test_type test_types[TT_COUNT];

/* Index of a type by name, or -1. */
int test_type_by_name(const char *name);
/* Free the string pool (call once at exit, for leak checkers). */
void typeset_cleanup(void);

#endif /* TYPESET_H */
