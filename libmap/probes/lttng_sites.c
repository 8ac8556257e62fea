/* SPDX-License-Identifier: MIT */
/*
 * lttng_sites.c — libhmap's side of the LTTng-UST provider.
 *
 * Defines the tracepoint sites hmap:* with dynamic linkage: libhmap does not
 * link liblttng-ust.  At load time LTTng's constructor dlopen()s
 * liblttng-ust-tracepoint.so.1 if it exists and registers the sites; the
 * events become available once the probe provider libhmap-lttng.so is loaded,
 * by LD_PRELOAD or by the auto-loader below.  Without any LTTng library the
 * sites simply stay disabled.
 *
 * The probe sites look at LTTng's per-event state only once the provider is
 * known to be loaded (HMAP_GATE_LTTNG in every gate, hmap_tp_gate.h): libhmap
 * notices it at load time (dlsym of the provider's symbol), after loading it
 * itself, or when the provider's constructor calls
 * hmap__lttng_provider_loaded() (an application dlopen()ing it later; shared
 * libhmap only).
 *
 * Auto-loader: HMAP_LTTNG=1 makes libhmap dlopen() libhmap-lttng.so, first
 * from the directory libhmap itself was loaded from (for a program linked
 * with libhmap.a: the program's directory), then through the normal loader
 * search path.  RTLD_NODELETE and no dlclose(): liblttng-ust keeps no
 * reference count on providers.  If it cannot be loaded, one warning on
 * stderr and the program continues without LTTng events.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LTTNG_UST_TRACEPOINT_DEFINE
#define LTTNG_UST_TRACEPOINT_PROBE_DYNAMIC_LINKAGE
#include "hmap_lttng_tp.h"
#include "hmap_tp_gate.h"

#define HMAP_LTTNG_PROVIDER "libhmap-lttng.so"

/* From now on the probe sites also read LTTng's per-event state. */
static void hmap_lttng_provider_present(void)
{
    hmap_tp_gates_set(HMAP_GATE_LTTNG, 1);
}

/* Called by libhmap-lttng.so's constructor, however it was loaded (a weak
 * reference there; resolved when libhmap is a shared library). */
__attribute__((visibility("default"))) void hmap__lttng_provider_loaded(void)
{
    hmap_lttng_provider_present();
}

static void hmap_lttng_autoload(void);

/* dlopen the provider next to libhmap.  NULL, with why[] set when the file is
 * there but cannot be loaded (typically: liblttng-ust is missing). */
static void *hmap_lttng_open_next_to_self(char *why, size_t cap)
{
    Dl_info info;
    if (!dladdr((void *)hmap_lttng_autoload, &info) || !info.dli_fname) return NULL;
    char self[4096], path[4200];
    snprintf(self, sizeof self, "%s", info.dli_fname);
    snprintf(path, sizeof path, "%s/" HMAP_LTTNG_PROVIDER, dirname(self));
    if (access(path, F_OK) != 0) return NULL;
    void *h = dlopen(path, RTLD_NOW | RTLD_GLOBAL | RTLD_NODELETE);
    if (!h) snprintf(why, cap, "%s", dlerror());
    return h;
}

/* At load: notice a provider that is already there (LD_PRELOAD, or loaded
 * before libhmap), else load it if HMAP_LTTNG=1 asks. */
__attribute__((constructor)) static void hmap_lttng_autoload(void)
{
    if (dlsym(RTLD_DEFAULT, "lttng_ust_tracepoint_provider_hmap")) {
        hmap_lttng_provider_present();
        return;
    }
    const char *want = getenv("HMAP_LTTNG");
    if (!want || strcmp(want, "1") != 0) return;
    char why[512] = "";
    void *h = hmap_lttng_open_next_to_self(why, sizeof why);
    if (!h && !why[0]) {
        h = dlopen(HMAP_LTTNG_PROVIDER, RTLD_NOW | RTLD_GLOBAL | RTLD_NODELETE);
        if (!h) snprintf(why, sizeof why, "%s", dlerror());
    }
    if (h) {
        hmap_lttng_provider_present();
        return;
    }
    fprintf(stderr,
            "hmap: HMAP_LTTNG=1 but the LTTng-UST provider " HMAP_LTTNG_PROVIDER
            " could not be loaded (%s); continuing without LTTng events\n",
            why);
}

int hmap_tp_lttng_statedump_enabled(void)
{
    return CMM_LOAD_SHARED(lttng_ust_tracepoint_hmap___statedump_done.state) != 0;
}
