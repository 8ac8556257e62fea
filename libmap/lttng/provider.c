/* SPDX-License-Identifier: MIT */
/*
 * provider.c — the LTTng-UST probe provider, built alone as
 * libhmap-lttng.so (linked with liblttng-ust).  libhmap never links it: it
 * is loaded with LD_PRELOAD or, when HMAP_LTTNG=1, by libhmap itself
 * (libmap/probes/lttng_sites.c).  Once loaded, `lttng list -u` shows every hmap:*
 * event.
 */
#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#include "hmap_lttng_tp.h"

/* Tell libhmap that its probe sites must now look at LTTng's state (see
 * libmap/probes/lttng_sites.c).  Weak: the provider does not depend on libhmap, and
 * in a program linked with libhmap.a the symbol is not exported (libhmap
 * then finds the provider itself at load time). */
extern void hmap__lttng_provider_loaded(void) __attribute__((weak));

__attribute__((constructor)) static void hmap_lttng_provider_announce(void)
{
    if (hmap__lttng_provider_loaded) hmap__lttng_provider_loaded();
}
