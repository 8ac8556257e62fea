/* SPDX-License-Identifier: MIT */
/*
 * types.c — built-in type descriptors and the checks every descriptor must
 * pass before a map is made from it.
 */
#include <errno.h>

#include "internal.h"

static uint64_t hash_u32(const void *k, uint64_t seed)
{
    uint32_t v;
    memcpy(&v, k, 4);
    return hmap_hash_u64(v, seed);
}
static uint64_t hash_u64(const void *k, uint64_t seed)
{
    uint64_t v;
    memcpy(&v, k, 8);
    return hmap_hash_u64(v, seed);
}
static uint64_t hash_str(const void *k, uint64_t seed)
{
    const hmap_str *s = k;
    return hmap_hash_bytes(s->ptr, s->len, seed);
}
static bool eq_u32(const void *a, const void *b)
{
    return memcmp(a, b, 4) == 0;
}
static bool eq_u64(const void *a, const void *b)
{
    return memcmp(a, b, 8) == 0;
}
static bool eq_str(const void *a, const void *b)
{
    return str_equal(a, b);
}

HMAP_API const hmap_type hmap_type_u32 = {
    .name = "u32->u32",
    .key_size = 4,
    .key_align = 4,
    .val_size = 4,
    .val_align = 4,
    .flags = 0,
    .kind = HMAP_KIND_U32,
    .hash = hash_u32,
    .equal = eq_u32,
};
HMAP_API const hmap_type hmap_type_u64 = {
    .name = "u64->u64",
    .key_size = 8,
    .key_align = 8,
    .val_size = 8,
    .val_align = 8,
    .flags = 0,
    .kind = HMAP_KIND_U64,
    .hash = hash_u64,
    .equal = eq_u64,
};
/* Strings hold a pointer, so the bucket kind is pointerful (as in Go), and
 * overwriting a key stores the newest pointer (Go's needkeyupdate). */
HMAP_API const hmap_type hmap_type_str = {
    .name = "str->u64",
    .key_size = sizeof(hmap_str),
    .key_align = 8,
    .val_size = 8,
    .val_align = 8,
    .flags = HMAP_TYPE_POINTERFUL | HMAP_TYPE_KEY_UPDATE,
    .kind = HMAP_KIND_STR,
    .hash = hash_str,
    .equal = eq_str,
};

static bool valid_align(uint32_t a)
{
    return a == 1 || a == 2 || a == 4 || a == 8;
}

/* The rules Go checks when it builds a map type (docs/go-map-model.md §1). */
int hmap__type_check(const hmap_type *t)
{
    if (!t || t->key_size == 0 || !valid_align(t->key_align) || t->key_size % t->key_align)
        return -EINVAL;
    if (!valid_align(t->val_align) || t->val_size % t->val_align) return -EINVAL;
    switch (t->kind) {
    case HMAP_KIND_GENERIC:
        break;
    case HMAP_KIND_U32:
        if (t->key_size != 4) return -EINVAL;
        break;
    case HMAP_KIND_U64:
        if (t->key_size != 8) return -EINVAL;
        break;
    case HMAP_KIND_STR:
        if (t->key_size != sizeof(hmap_str)) return -EINVAL;
        break;
    default:
        return -EINVAL;
    }
    /* Keys whose equality is not bytewise need a hash that agrees with it. */
    if (t->kind == HMAP_KIND_GENERIC && t->equal && !t->hash) return -EINVAL;
    return 0;
}
