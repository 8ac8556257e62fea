/* SPDX-License-Identifier: MIT */
/*
 * own_names.c — a program whose own functions carry names that libhmap
 * uses inside (evacuate, newoverflow, map_rand), linked statically against
 * libhmap.a.  It links only if the archive keeps its internals to itself,
 * and it checks that each side still calls its own function.
 */
#include <stdint.h>
#include <stdio.h>

#include "hmap.h"

static int calls;

int evacuate(void)
{
    return ++calls;
}

void *newoverflow(void *p)
{
    calls++;
    return p;
}

uint64_t map_rand(void)
{
    calls++;
    return 42;
}

int main(void)
{
    hmap *m = hmap_new(&hmap_type_u64, NULL);
    if (!m) {
        fprintf(stderr, "FAIL: hmap_new\n");
        return 1;
    }
    /* Enough keys for several growths: the map's own evacuate runs. */
    for (uint64_t k = 0; k < 10000; k++)
        if (hmap_set(m, &k, &k) != 0) {
            fprintf(stderr, "FAIL: hmap_set %llu\n", (unsigned long long)k);
            return 1;
        }
    uint64_t k = 1234;
    const uint64_t *v = hmap_get(m, &k);
    int ok = v && *v == 1234 && hmap_len(m) == 10000 && calls == 0;
    evacuate();
    (void)newoverflow(&k);
    ok = ok && map_rand() == 42 && calls == 3;
    hmap_free(m);
    if (!ok) {
        fprintf(stderr, "FAIL: the program's own functions and libhmap's got mixed up\n");
        return 1;
    }
    printf("ok: evacuate, newoverflow and map_rand of the program and libhmap.a coexist\n");
    return 0;
}
