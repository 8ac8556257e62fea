/* SPDX-License-Identifier: MIT */
/*
 * refmodel.c — reference table for the differential tests (see refmodel.h).
 *
 * Invariant: every used slot is reachable from its home slot (id's hash)
 * by probing forward over used slots only.  Insert keeps it trivially;
 * delete keeps it by shifting later members of the probe run back into the
 * hole (no tombstones, so the table never degrades).
 */
#include "refmodel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t home(const refmodel *r, uint64_t id)
{
    uint64_t z = id + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return (size_t)(z ^ (z >> 31)) & (r->cap - 1);
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    if (!p) {
        fprintf(stderr, "refmodel: out of memory\n");
        abort();
    }
    return p;
}

void ref_init(refmodel *r)
{
    r->cap = 64;
    r->len = 0;
    r->slots = xcalloc(r->cap, sizeof *r->slots);
}

void ref_destroy(refmodel *r)
{
    free(r->slots);
    r->slots = NULL;
    r->cap = r->len = 0;
}

static size_t probe(const refmodel *r, uint64_t id)
{
    size_t i = home(r, id);
    while (r->slots[i].used && r->slots[i].id != id)
        i = (i + 1) & (r->cap - 1);
    return i;
}

ref_entry *ref_find(const refmodel *r, uint64_t id)
{
    ref_entry *e = &r->slots[probe(r, id)];
    return e->used ? e : NULL;
}

static void grow(refmodel *r)
{
    ref_entry *old = r->slots;
    size_t oldcap = r->cap;
    r->cap *= 2;
    r->slots = xcalloc(r->cap, sizeof *r->slots);
    for (size_t i = 0; i < oldcap; i++)
        if (old[i].used) r->slots[probe(r, old[i].id)] = old[i];
    free(old);
}

ref_entry *ref_put(refmodel *r, uint64_t id, bool *is_new)
{
    if (2 * (r->len + 1) > r->cap) grow(r);
    ref_entry *e = &r->slots[probe(r, id)];
    *is_new = !e->used;
    if (!e->used) {
        memset(e, 0, sizeof *e);
        e->id = id;
        e->used = true;
        r->len++;
    }
    return e;
}

bool ref_remove(refmodel *r, uint64_t id)
{
    size_t hole = probe(r, id);
    if (!r->slots[hole].used) return false;
    r->slots[hole].used = false;
    r->len--;
    /* Backward shift: move a later run member into the hole when the hole
     * lies on its probe path (between its home and its position). */
    for (size_t i = (hole + 1) & (r->cap - 1); r->slots[i].used; i = (i + 1) & (r->cap - 1)) {
        size_t h = home(r, r->slots[i].id);
        bool on_path = (hole <= i) ? (h <= hole || h > i) : (h <= hole && h > i);
        if (on_path) {
            r->slots[hole] = r->slots[i];
            r->slots[i].used = false;
            hole = i;
        }
    }
    return true;
}

void ref_clear(refmodel *r)
{
    memset(r->slots, 0, r->cap * sizeof *r->slots);
    r->len = 0;
}
