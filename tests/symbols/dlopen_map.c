/* SPDX-License-Identifier: MIT */
/*
 * dlopen_map.c — libhmap.so loaded after start, as a plugin or a language
 * binding loads it: dlopen must accept it (its thread-locals are
 * initial-exec, so they must fit the static TLS glibc keeps for such
 * libraries), a map made through it must work, and dlclose must leave
 * it loaded.
 *
 * Usage: dlopen_map PATH_TO_LIBHMAP_SO
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>

#include "hmap.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: dlopen_map LIBHMAP_SO\n");
        return 2;
    }
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "FAIL: dlopen: %s\n", dlerror());
        return 1;
    }
    hmap *(*new_map)(const hmap_type *, const hmap_options *) =
        (hmap * (*)(const hmap_type *, const hmap_options *)) dlsym(h, "hmap_new");
    int (*set)(hmap *, const void *, const void *) =
        (int (*)(hmap *, const void *, const void *))dlsym(h, "hmap_set");
    void *(*get)(const hmap *, const void *) =
        (void *(*)(const hmap *, const void *))dlsym(h, "hmap_get");
    void (*free_map)(hmap *) = (void (*)(hmap *))dlsym(h, "hmap_free");
    if (!new_map || !set || !get || !free_map) {
        fprintf(stderr, "FAIL: dlsym: %s\n", dlerror());
        return 1;
    }
    hmap_type ty = {
        .key_size = 8, .key_align = 8, .val_size = 8, .val_align = 8, .kind = HMAP_KIND_U64};
    hmap *m = new_map(&ty, NULL);
    if (!m) {
        fprintf(stderr, "FAIL: hmap_new\n");
        return 1;
    }
    for (uint64_t k = 0; k < 1000; k++)
        if (set(m, &k, &(uint64_t){k * 3}) != 0) {
            fprintf(stderr, "FAIL: hmap_set %llu\n", (unsigned long long)k);
            return 1;
        }
    for (uint64_t k = 0; k < 1001; k++) {
        const uint64_t *v = get(m, &k);
        if (k < 1000 ? !v || *v != k * 3 : v != NULL) {
            fprintf(stderr, "FAIL: hmap_get %llu\n", (unsigned long long)k);
            return 1;
        }
    }
    free_map(m);
    /* dlclose leaves it loaded (-z nodelete): its state-dump agent thread
     * and its registry of maps outlive any one user. */
    dlclose(h);
    if (!dlopen(argv[1], RTLD_NOW | RTLD_NOLOAD)) {
        fprintf(stderr, "FAIL: dlclose unloaded libhmap.so\n");
        return 1;
    }
    printf("ok: libhmap.so loaded by dlopen, a map of 1000 entries through it, kept at dlclose\n");
    return 0;
}
