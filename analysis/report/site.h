/* SPDX-License-Identifier: MIT */
/*
 * site.h — a map's creation site (event map_info: object, site_off) as the
 * report prints it (docs/report.md, "Terminal report", item 1).
 *
 * This is the stand-in that names a site by its object and offset only; the
 * symbolizing implementation (function and source line from the object's
 * debug info) replaces it behind the same two functions.
 */
#ifndef BS_REPORT_SITE_H
#define BS_REPORT_SITE_H

#include <stddef.h>
#include <stdint.h>

/* Writes "func (file.c:123)" when the site can be symbolized, else
 * "basename(object)+0xOFF"; returns 0 if symbolized, 1 for the fallback.
 * Never fails: an empty or unreadable object gives the fallback. */
int bs_site_describe(const char *object, uint64_t site_off, char *out, size_t cap);
/* Frees whatever the lookups cached (call at exit). */
void bs_site_cache_free(void);

#endif /* BS_REPORT_SITE_H */
