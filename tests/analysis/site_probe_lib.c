/* SPDX-License-Identifier: MIT */
/* site_probe_lib.c — the creation site in a shared library (site_probe.c). */
#include "site_probe.h"

__attribute__((noinline)) int site_lib_call(site_record_fn *rec)
{
    return rec(__LINE__, __func__) + 1;
}
