/* SPDX-License-Identifier: MIT */
/*
 * gorecord.h — what the BPF side (gorecord.bpf.c) and the loader
 * (gorecord.c) of `bucketscope gorecord` share: the probe sites found in the
 * binary (sites.c) and the raw records the BPF side sends.
 *
 * Unlike bpf/record.h, the ring does not carry finished native records: a
 * Go binary has no tophash_write probe, so the loader turns raw register
 * values at known instructions into native events, deriving the old tophash
 * from its shadow of every bucket (docs/go.md, "What is exact").
 */
#ifndef BUCKETSCOPE_GORECORD_H
#define BUCKETSCOPE_GORECORD_H

#include <stdint.h>

/* The Go runtime functions probed (docs/go-binaries.md §3). */
#define GO_FUNCS(X)                                                                                \
    X(GOFN_MAKEMAP, "runtime.makemap")                                                             \
    X(GOFN_MAKEMAP_SMALL, "runtime.makemap_small")                                                 \
    X(GOFN_HASHGROW, "runtime.hashGrow")                                                           \
    X(GOFN_NEWOVERFLOW, "runtime.(*hmap).newoverflow")                                             \
    X(GOFN_ADVANCE, "runtime.advanceEvacuationMark")                                               \
    X(GOFN_EVACUATE, "runtime.evacuate")                                                           \
    X(GOFN_EVACUATE_FAST32, "runtime.evacuate_fast32")                                             \
    X(GOFN_EVACUATE_FAST64, "runtime.evacuate_fast64")                                             \
    X(GOFN_EVACUATE_FASTSTR, "runtime.evacuate_faststr")                                           \
    X(GOFN_MAPASSIGN, "runtime.mapassign")                                                         \
    X(GOFN_MAPASSIGN_FAST32, "runtime.mapassign_fast32")                                           \
    X(GOFN_MAPASSIGN_FAST32PTR, "runtime.mapassign_fast32ptr")                                     \
    X(GOFN_MAPASSIGN_FAST64, "runtime.mapassign_fast64")                                           \
    X(GOFN_MAPASSIGN_FAST64PTR, "runtime.mapassign_fast64ptr")                                     \
    X(GOFN_MAPASSIGN_FASTSTR, "runtime.mapassign_faststr")                                         \
    X(GOFN_MAPDELETE, "runtime.mapdelete")                                                         \
    X(GOFN_MAPDELETE_FAST32, "runtime.mapdelete_fast32")                                           \
    X(GOFN_MAPDELETE_FAST64, "runtime.mapdelete_fast64")                                           \
    X(GOFN_MAPDELETE_FASTSTR, "runtime.mapdelete_faststr")                                         \
    X(GOFN_MAPCLEAR, "runtime.mapclear")                                                           \
    X(GOFN_SWEEP, "runtime.(*sweepLocked).sweep")

#define GO_FN_ENUM_(sym, name) sym,
enum go_fn { GO_FUNCS(GO_FN_ENUM_) GOFN_COUNT };
#undef GO_FN_ENUM_

enum go_site_kind {
    GO_SITE_ENTRY = 0, /* first instruction: arguments in RAX, RBX, RCX */
    GO_SITE_RET = 1,   /* a RET: results in RAX, RBX (uretprobes are unsafe in Go) */
    GO_SITE_STORE = 2, /* a one-byte MOV to memory: a tophash store candidate */
};

#define GO_REG_NONE 0xff

/* One probe site; its index in the sites map is the BPF cookie.  Registers
 * are indexes into the kernel's struct pt_regs seen as an array of u64. */
struct go_site {
    uint8_t kind; /* enum go_site_kind */
    uint8_t fn;   /* enum go_fn */
    uint8_t base, index, scale;
    uint8_t val_reg;   /* GO_REG_NONE: the value is imm */
    uint8_t val_shift; /* 8 for AH/BH/CH/DH */
    uint8_t imm;
    int32_t disp;
    uint8_t val_mem; /* read the stored byte back from memory: the probe is on a
                      * later branch and val_reg was overwritten on the way */
    uint8_t pad[3];
};

#define GO_MAX_SITES 1024
#define GO_PAGE_SHIFT 13 /* Go's heap pages: 8 KiB; spans start on one */
#define GO_MAX_PAGES (1u << 18)
#define GO_SPAN_MARK_BYTES 128 /* nelems <= 1024 for every span with more than one object */

enum go_raw_type { GO_RAW_SITE = 1, GO_RAW_SWEEP = 2 };

/* A hit of a site.  args: RAX, RBX, RCX at the entry of the function the
 * site is in (same goroutine), valid when has_args; hdr: the 48-byte
 * runtime.hmap the function works on, read at the hit, when has_hdr. */
struct go_raw_site {
    uint64_t ts_ns;
    uint32_t tid, type;
    uint32_t site;
    uint8_t has_args, has_hdr, val, pad;
    uint64_t g;
    uint64_t args[3];
    uint64_t caller; /* makemap*: the return address at the entry (the creation site) */
    uint64_t rax, rbx, rcx;
    uint64_t addr; /* store: effective address */
    uint8_t hdr[48];
};

/* A span about to be swept: its blocks whose mark bit is 0 are freed. */
struct go_raw_sweep {
    uint64_t ts_ns;
    uint32_t tid, type;
    uint64_t start, npages, elemsize;
    uint32_t nelems, unread; /* unread: the mark bits could not be read */
    uint8_t marks[GO_SPAN_MARK_BYTES];
};

/* runtime.mspan offsets per Go version (docs/go-binaries.md §2), set by the
 * loader before load. */
struct go_span_layout {
    uint32_t start, npages, nelems, nelems_size, gcmarkbits, elemsize;
};

#endif /* BUCKETSCOPE_GORECORD_H */
