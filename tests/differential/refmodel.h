/* SPDX-License-Identifier: MIT */
/*
 * refmodel.h — the reference the map is compared with: a deliberately plain
 * table from a key id (uint64_t) to what the test last stored for it.
 *
 * Open addressing with linear probing and backward-shift deletion: short
 * enough to be obviously right, fast enough for millions of operations.
 * Shared by the differential test, the allocation-failure test and the
 * fuzzer.
 */
#ifndef REFMODEL_H
#define REFMODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ref_entry {
    uint64_t id;      /* key id (see typeset.h for the key bytes it stands for) */
    uint64_t val;     /* value seed: the bytes stored are derived from it */
    uint64_t born;    /* operation number of the insert that created the entry */
    uint32_t variant; /* which of equal keys was stored last (key update) */
    bool used;
} ref_entry;

typedef struct refmodel {
    ref_entry *slots;
    size_t cap; /* power of two */
    size_t len;
} refmodel;

void ref_init(refmodel *r);
void ref_destroy(refmodel *r);
/* The entry for id, or NULL. */
ref_entry *ref_find(const refmodel *r, uint64_t id);
/* The entry for id, created (zeroed but for id) if absent; *is_new says so. */
ref_entry *ref_put(refmodel *r, uint64_t id, bool *is_new);
/* True if id was present. */
bool ref_remove(refmodel *r, uint64_t id);
void ref_clear(refmodel *r);

#endif /* REFMODEL_H */
