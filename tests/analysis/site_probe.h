/* SPDX-License-Identifier: MIT */
/* site_probe.h — what site_probe.c and site_probe_lib.c share (test_site.c). */
#ifndef BS_SITE_PROBE_H
#define BS_SITE_PROBE_H

/* Prints "object site_off line func" for its caller's return address and
 * returns 0 (-1 when dladdr knows no object).  line and func name the call. */
typedef int site_record_fn(int line, const char *func);

/* In libsite_probe_lib.so: calls rec from a known line, returns its result + 1. */
int site_lib_call(site_record_fn *rec);

#endif /* BS_SITE_PROBE_H */
