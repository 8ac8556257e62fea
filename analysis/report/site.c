/* SPDX-License-Identifier: MIT */
/* site.c — the stand-in site namer (site.h): basename(object)+0xOFF. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "site.h"

int bs_site_describe(const char *object, uint64_t site_off, char *out, size_t cap)
{
    const char *base = object ? strrchr(object, '/') : NULL;
    base = base ? base + 1 : object ? object : "";
    snprintf(out, cap, "%s+0x%" PRIx64, *base ? base : "?", site_off);
    return 1;
}

void bs_site_cache_free(void) {}
