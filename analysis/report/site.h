/* SPDX-License-Identifier: MIT */
/*
 * site.h — a map's creation site (event map_info: object, site_off) as a
 * function and source line, read with elfutils' libdw from the object's
 * debug info (docs/report.md, "Creation site").
 */
#ifndef BS_REPORT_SITE_H
#define BS_REPORT_SITE_H

#include <stddef.h>
#include <stdint.h>

/* Writes "func (file.c:123)" when the object's debug info says, else
 * "func+0x1c (basename)" from the symbol table, else "basename+0xOFF";
 * returns 0 if symbolized with a source line, 1 otherwise.  Never fails:
 * a missing or unreadable object gives the fallback. */
int bs_site_describe(const char *object, uint64_t site_off, char *out, size_t cap);
/* Frees the per-object cache (call at exit; valgrind-clean). */
void bs_site_cache_free(void);

#endif /* BS_REPORT_SITE_H */
