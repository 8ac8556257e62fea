/* SPDX-License-Identifier: MIT */
/* Uses the installed header and library the way the README shows. */
#include <hmap.h>
#include <stdio.h>

int main(void)
{
    hmap *m = hmap_new(&hmap_type_u64, NULL);
    for (uint64_t k = 0; k < 1000; k++)
        if (hmap_set(m, &k, &k) != 0) return 1;
    uint64_t k = 500;
    uint64_t *v = hmap_get(m, &k);
    int ok = v && *v == 500 && hmap_len(m) == 1000;
    hmap_free(m);
    printf("consumer: %s\n", ok ? "ok" : "WRONG");
    return !ok;
}
