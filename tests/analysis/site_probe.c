/* SPDX-License-Identifier: MIT */
/*
 * site_probe.c — a creation site to symbolize (test_site.c): records, as
 * libhmap's map_info event does, the return address of a call made from a
 * known line, as the object holding it (dladdr's dli_fname) and the offset
 * from that object's load address (dli_fbase).  One line per call:
 *
 *     object site_off line func
 *
 * first from this executable (PIE or not, as built), then from a shared
 * library.  Built with -g; the callers are noinline and use the callee's
 * result, so that neither is inlined nor turned into a tail call (a tail
 * call would leave the caller's caller as the return address).
 */
#define _GNU_SOURCE /* dladdr */
#include <dlfcn.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "site_probe.h"

__attribute__((noinline)) int site_record(int line, const char *func)
{
    void *ra = __builtin_extract_return_addr(__builtin_return_address(0));
    Dl_info info;
    if (!dladdr(ra, &info) || !info.dli_fname || !info.dli_fbase) return -1;
    /* The main program's dli_fname is argv[0], maybe relative. */
    char path[PATH_MAX];
    const char *obj = realpath(info.dli_fname, path) ? path : info.dli_fname;
    printf("%s 0x%" PRIxPTR " %d %s\n", obj, (uintptr_t)ra - (uintptr_t)info.dli_fbase, line, func);
    return 0;
}

/* The call's result is used on the next line: the return address then
 * points at code of that line, which only the lookup at (address - 1)
 * attributes to the call's. */
__attribute__((noinline)) int site_probe_caller(void)
{
    int r = site_record(__LINE__, __func__);
    return r + 1;
}

int main(void)
{
    if (site_probe_caller() != 1) return 1;
    if (site_lib_call(site_record) != 1) return 1;
    return fflush(stdout) == 0 ? 0 : 1;
}
