/* SPDX-License-Identifier: MIT */
/*
 * typeset.c — key and value encodings of the test types (see typeset.h).
 *
 * Every encoding is reversible and self-checking: a key or value the map
 * returns is decoded and compared with what the reference model says, so a
 * corrupted slot, a wrong pointer or a stale copy cannot go unnoticed.
 */
#include "typeset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XOR32 0x5bd1e995u
#define XOR64 0xc2b2ae3d27d4eb4full
#define MIX 0x9e3779b97f4a7c15ull

/* ---- u32 / u64 ---------------------------------------------------------- */

static void u32_key(uint64_t id, unsigned variant, void *out)
{
    uint32_t k = (uint32_t)id ^ XOR32;
    memcpy(out, &k, 4);
}
static bool u32_read(const void *key, uint64_t *id, unsigned *variant)
{
    uint32_t k;
    memcpy(&k, key, 4);
    *id = k ^ XOR32;
    *variant = 0;
    return *id < TT_MAX_ID;
}
static void u32_val(uint64_t v, void *out)
{
    uint32_t x = (uint32_t)v;
    memcpy(out, &x, 4);
}
static bool u32_val_ok(const void *val, uint64_t v)
{
    uint32_t x;
    memcpy(&x, val, 4);
    return x == (uint32_t)v;
}

static void u64_key(uint64_t id, unsigned variant, void *out)
{
    uint64_t k = id ^ XOR64;
    memcpy(out, &k, 8);
}
static bool u64_read(const void *key, uint64_t *id, unsigned *variant)
{
    uint64_t k;
    memcpy(&k, key, 8);
    *id = k ^ XOR64;
    *variant = 0;
    return *id < TT_MAX_ID;
}
static void u64_val(uint64_t v, void *out)
{
    memcpy(out, &v, 8);
}
static bool u64_val_ok(const void *val, uint64_t v)
{
    return memcmp(val, &v, 8) == 0;
}

/* ---- str ---------------------------------------------------------------- */

/* Two separately allocated copies of each id's string, made on first use
 * and kept until typeset_cleanup: the map never owns string bytes. */
static char *str_pool[2][TT_MAX_ID];

static size_t str_len_of(uint64_t id)
{
    return 8 + (size_t)(id * 7 % 41);
}

static void str_fill(uint64_t id, char *s)
{
    size_t n = str_len_of(id);
    int w = snprintf(s, n + 1, "k%07llu", (unsigned long long)id);
    for (size_t i = (size_t)w; i < n; i++)
        s[i] = (char)('a' + (id + i) % 26);
}

static void str_key(uint64_t id, unsigned variant, void *out)
{
    char **slot = &str_pool[variant][id];
    if (!*slot) {
        *slot = malloc(str_len_of(id) + 1);
        if (!*slot) abort();
        str_fill(id, *slot);
    }
    hmap_str k = {*slot, str_len_of(id)};
    memcpy(out, &k, sizeof k);
}
static bool str_read(const void *key, uint64_t *id, unsigned *variant)
{
    hmap_str k;
    memcpy(&k, key, sizeof k);
    if (!k.ptr || k.len < 8 || k.ptr[0] != 'k') return false;
    char digits[8];
    memcpy(digits, k.ptr + 1, 7);
    digits[7] = 0;
    *id = strtoull(digits, NULL, 10);
    if (*id >= TT_MAX_ID || k.len != str_len_of(*id)) return false;
    for (*variant = 0; *variant < 2; (*variant)++)
        if (k.ptr == str_pool[*variant][*id]) return true;
    return false; /* a pointer the test never passed */
}

/* ---- generic: 24-byte struct, equality on the first two words ------------ */

typedef struct gkey {
    uint64_t a, b;
    uint64_t tag; /* not part of equality: tells equal keys apart */
} gkey;

static uint64_t gkey_hash(const void *key, uint64_t seed)
{
    return hmap_hash_bytes(key, 16, seed);
}
static bool gkey_equal(const void *x, const void *y)
{
    return memcmp(x, y, 16) == 0;
}

static const hmap_type generic_type = {
    .name = "gkey->pair",
    .key_size = sizeof(gkey),
    .key_align = 8,
    .val_size = 16,
    .val_align = 8,
    .flags = HMAP_TYPE_KEY_UPDATE,
    .kind = HMAP_KIND_GENERIC,
    .hash = gkey_hash,
    .equal = gkey_equal,
};

static void g_key(uint64_t id, unsigned variant, void *out)
{
    gkey k = {id, ~id * MIX, 0x7a6700 + variant};
    memcpy(out, &k, sizeof k);
}
static bool g_read(const void *key, uint64_t *id, unsigned *variant)
{
    gkey k;
    memcpy(&k, key, sizeof k);
    *id = k.a;
    *variant = (unsigned)(k.tag - 0x7a6700);
    return k.a < TT_MAX_ID && k.b == ~k.a * MIX && *variant < 2;
}
static void g_val(uint64_t v, void *out)
{
    uint64_t w[2] = {v, v ^ MIX};
    memcpy(out, w, sizeof w);
}
static bool g_val_ok(const void *val, uint64_t v)
{
    uint64_t w[2] = {v, v ^ MIX};
    return memcmp(val, w, sizeof w) == 0;
}

/* ---- indirect: 160-byte key, 200-byte value ------------------------------ */

static const hmap_type indirect_type = {
    .name = "big160->big200",
    .key_size = 160,
    .key_align = 8,
    .val_size = 200,
    .val_align = 8,
    .flags = 0,
    .kind = HMAP_KIND_GENERIC,
    .hash = NULL, /* hmap_hash_bytes over the 160 bytes */
    .equal = NULL,
};

static void words(uint64_t seed, uint64_t *w, size_t n)
{
    w[0] = seed;
    for (size_t i = 1; i < n; i++)
        w[i] = seed * MIX + i;
}
static void ind_key(uint64_t id, unsigned variant, void *out)
{
    words(id, out, 160 / 8);
}
static bool ind_read(const void *key, uint64_t *id, unsigned *variant)
{
    uint64_t w[160 / 8];
    memcpy(id, key, 8);
    *variant = 0;
    words(*id, w, 160 / 8);
    return *id < TT_MAX_ID && memcmp(key, w, sizeof w) == 0;
}
static void ind_val(uint64_t v, void *out)
{
    words(v ^ XOR64, out, 200 / 8);
}
static bool ind_val_ok(const void *val, uint64_t v)
{
    uint64_t w[200 / 8];
    words(v ^ XOR64, w, 200 / 8);
    return memcmp(val, w, sizeof w) == 0;
}

const test_type test_types[TT_COUNT] = {
    [TT_U32] = {"u32", &hmap_type_u32, false, u32_key, u32_read, u32_val, u32_val_ok},
    [TT_U64] = {"u64", &hmap_type_u64, false, u64_key, u64_read, u64_val, u64_val_ok},
    [TT_STR] = {"str", &hmap_type_str, true, str_key, str_read, u64_val, u64_val_ok},
    [TT_GENERIC] = {"generic", &generic_type, true, g_key, g_read, g_val, g_val_ok},
    [TT_INDIRECT] = {"indirect", &indirect_type, false, ind_key, ind_read, ind_val, ind_val_ok},
};

int test_type_by_name(const char *name)
{
    for (int i = 0; i < TT_COUNT; i++)
        if (strcmp(test_types[i].name, name) == 0) return i;
    return -1;
}

void typeset_cleanup(void)
{
    for (int v = 0; v < 2; v++)
        for (size_t i = 0; i < TT_MAX_ID; i++) {
            free(str_pool[v][i]);
            str_pool[v][i] = NULL;
        }
}
