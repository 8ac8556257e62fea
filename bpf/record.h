/* SPDX-License-Identifier: MIT */
/*
 * record.h — what the BPF side (record.bpf.c) and the loader (record.c) of
 * `bucketscope record` share.
 *
 * The ring buffer carries finished native trace records: the BPF program
 * writes a `struct hmap_native_rec_header` followed by the event's packed
 * payload (hmap_native.h, generated from the schema), padded to 8 bytes.  The
 * loader therefore copies each ring record to the output file unchanged; the
 * only layout knowledge lives in the schema headers.
 */
#ifndef BUCKETSCOPE_RECORD_H
#define BUCKETSCOPE_RECORD_H

#include "hmap_native.h"

/* Default ring buffer size: 4 MiB holds ~60k records, several poll periods
 * at the highest rate a uprobe-trapped process can produce. */
#define RECORD_DEFAULT_RING_BYTES (4u << 20)

/* The loader drains the ring at least this often (ms); the BPF side only
 * wakes it earlier when the ring is a quarter full (adaptive wakeup). */
#define RECORD_POLL_MS 10

/* The smallest ring the loader sleeps a whole poll period on: at a quarter,
 * 256 KiB, the wakeup comes ~2.5 ms into a period at the ~100 MB/s one
 * trapped thread writes here (docs/record.md, "Ring buffer and wakeups"). */
#define RECORD_SLEEP_RING_BYTES (1u << 20)

/*
 * Per-CPU loss counters, one element per CPU in the `losses` map.  The BPF
 * side only ever adds; the loader sums over CPUs and writes the growth since
 * its previous look as `lost` records.
 */
struct record_losses {
    uint64_t ring_full;         /* bpf_ringbuf_reserve() failed: ring full */
    uint64_t ring_full_last_ns; /* time of the latest such failure */
    uint64_t unarmed;           /* hits while the recorder was still attaching */
    uint64_t unarmed_last_ns;   /* time of the latest such hit */
};

/*
 * Where the BPF program finds argument k of an event (record.bpf.c), filled
 * by the loader from the probe's .note.stapsdt argument spec (usdt_spec.c)
 * before the program is loaded.  The table is read-only for the program, so
 * the verifier knows every entry and keeps only the read the spec names: a
 * register argument becomes one load from pt_regs, with no helper call and
 * no map lookup.  An entry left zero (RECORD_ARG_USDT) falls back to libbpf's
 * bpf_usdt_arg(), which handles every spec libbpf parses.
 */
#define RECORD_MAX_ARGS 8 /* the most fields an event has (map_create, state_begin) */

enum record_arg_kind {
    RECORD_ARG_USDT = 0, /* bpf_usdt_arg(): the spec lookup and decode of libbpf */
    RECORD_ARG_REG = 1,  /* the value of register reg */
    RECORD_ARG_IMM = 2,  /* the constant val */
    RECORD_ARG_MEM = 3,  /* size bytes of user memory at register reg + val */
};

struct record_arg_spec {
    int64_t val;  /* RECORD_ARG_IMM: the value; RECORD_ARG_MEM: the offset */
    uint16_t reg; /* the register: its index in struct pt_regs, in 8-byte words */
    uint8_t kind; /* enum record_arg_kind */
    uint8_t size; /* bytes of the argument: 1, 2, 4 or 8 */
    /* 64 - 8 * size: the bits above the argument, dropped (and the sign
     * extended from); 0 when the event's field is no wider than the
     * argument, whose own truncation then does it (usdt_spec_read). */
    uint8_t shift;
    uint8_t is_signed; /* sign-extend from size bytes (the spec's size was negative) */
    uint8_t pad[2];
};

#endif /* BUCKETSCOPE_RECORD_H */
