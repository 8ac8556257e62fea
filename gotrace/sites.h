/* SPDX-License-Identifier: MIT */
/*
 * sites.h — the probe sites of a Go binary's map runtime: function entries,
 * RET instructions and one-byte stores, found by disassembling the functions
 * named in gorecord.h (docs/go.md, "Probe sites").
 */
#ifndef BUCKETSCOPE_SITES_H
#define BUCKETSCOPE_SITES_H

#include <stddef.h>
#include <stdint.h>

#include "gobin.h"
#include "gorecord.h"

struct go_site_ex {
    struct go_site s;
    uint64_t vaddr;   /* the instruction the site stands for */
    uint64_t probe;   /* where the uprobe goes: vaddr, or a later emulated branch */
    int64_t file_off; /* of probe */
    uint8_t emulated; /* probe is a branch the kernel emulates (no single-step) */
    char text[64];    /* the instruction at vaddr, for listings */
    char probe_text[32];
};

struct go_sites {
    const struct gobin_func *fn[GOFN_COUNT]; /* NULL: not in this binary */
    size_t n;
    size_t frame_stores; /* one-byte stores to the function's own frame: not probed */
    struct go_site_ex site[GO_MAX_SITES];
};

extern const char *const go_fn_names[GOFN_COUNT];

/* Find every site.  0, or -1 with one line in why. */
int go_sites_find(const struct gobin *b, struct go_sites *out, char *why, size_t whylen);

#endif /* BUCKETSCOPE_SITES_H */
