// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * record.bpf.c — the BPF half of `bucketscope record`.
 *
 * One program per hmap:* probe, generated from the schema X-macros: the
 * loader attaches rec_<event> to the probe hmap:<event>, so the event id is
 * a constant of the program and no dispatch is needed.  The program reads
 * the probe arguments in schema order and packs them into a native trace
 * record reserved directly in the ring buffer.
 *
 * Arguments are read where the loader says they are (arg_spec, record.h),
 * from the probe's own .note.stapsdt spec: a register argument is one load
 * from pt_regs.  libbpf's bpf_usdt_arg() would cost a cookie helper call, a
 * spec map lookup and a bpf_probe_read_kernel() per argument -- most of the
 * program's time -- and is kept only as the fallback for a spec the loader
 * does not decode itself.
 */
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <stdbool.h>
#include <stddef.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/usdt.bpf.h>

#include "record.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL"; /* GPL-compatible for the kernel; LICENSE */

/* Set by the loader before load. */
const volatile uint64_t wake_bytes = RECORD_DEFAULT_RING_BYTES / 4;
/* Set by the loader before load: a power of two that divides wake_bytes. */
const volatile uint64_t wake_gran = 4096;
/* Set by the loader when the program is loaded sleepable (BPF_F_SLEEPABLE). */
const volatile bool can_sleep;

/* Set by the loader before load: where each event's arguments are (record.h). */
const volatile struct record_arg_spec arg_spec[HMAP_EVENT_MAX_ID + 1][RECORD_MAX_ARGS];

/* Set by the loader once every probe is attached: the recording starts for
 * all probes at the same instant, never for a subset of them. */
volatile uint32_t armed;

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, RECORD_DEFAULT_RING_BYTES);
} events SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, uint32_t);
    __type(value, struct record_losses);
} losses SEC(".maps");

static __always_inline struct record_losses *my_losses(void)
{
    uint32_t zero = 0;
    return bpf_map_lookup_elem(&losses, &zero);
}

/*
 * Wake the consumer only when a quarter of the ring is waiting; otherwise it
 * finds the records on its next timed poll.  A wakeup per record would cost
 * more than the record itself (docs/tracing-stack.md §4.4).  Above the mark
 * the consumer is already being woken: ask again only when this record
 * (rec_bytes with the ring's own 8-byte header) takes the waiting bytes past
 * a multiple of wake_gran, so that a consumer slow to run costs one wakeup
 * per granule of records, not one per record (docs/record.md, "Ring buffer
 * and wakeups").  wake_bytes is a multiple of wake_gran, so the record that
 * first reaches the mark always wakes.
 */
static __always_inline long wake_flags(uint32_t rec_bytes)
{
    uint64_t avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);

    if (avail < wake_bytes || ((avail - rec_bytes - 8) ^ (avail - 1)) < wake_gran)
        return BPF_RB_NO_WAKEUP;
    return BPF_RB_FORCE_WAKEUP;
}

static __always_inline int count_ring_full(uint64_t ts)
{
    struct record_losses *l = my_losses();
    if (l) {
        __sync_fetch_and_add(&l->ring_full, 1);
        l->ring_full_last_ns = ts;
    }
    return 0;
}

/*
 * A string argument may point into a page the traced program never touched
 * (a literal in .rodata that is not resident yet): a plain probe read fails
 * there.  When the program could be loaded as sleepable, fault the page in
 * with bpf_copy_from_user() and read again; otherwise the field stays empty.
 */
static __always_inline void read_user_str(char *dst, uint32_t size, const void *src)
{
    char c;

    if (!src || bpf_probe_read_user_str(dst, size, src) >= 0) return;
    if (can_sleep && bpf_copy_from_user(&c, 1, src) == 0) bpf_probe_read_user_str(dst, size, src);
}

#if defined(__TARGET_ARCH_x86)
/*
 * Register reg (its index in struct pt_regs, in 8-byte words).  Each case is
 * its own asm load so that the compiler cannot merge the cases into one load
 * at a computed offset, which the verifier refuses for the context; reg is a
 * constant the verifier knows (arg_spec is read-only), so only one case
 * survives verification and the program does a single load.
 */
#define REG_CASE_(field)                                                                           \
    case offsetof(struct pt_regs, field) / 8:                                                      \
        asm volatile("%0 = *(u64 *)(%1 + %2)"                                                      \
                     : "=r"(v)                                                                     \
                     : "r"(ctx), "i"(offsetof(struct pt_regs, field)));                            \
        break;
static __always_inline uint64_t read_reg(struct pt_regs *ctx, uint32_t reg)
{
    uint64_t v = 0;

    switch (reg) {
        // clang-format off
    REG_CASE_(r15) REG_CASE_(r14) REG_CASE_(r13) REG_CASE_(r12) REG_CASE_(rbp) REG_CASE_(rbx)
    REG_CASE_(r11) REG_CASE_(r10) REG_CASE_(r9)  REG_CASE_(r8)  REG_CASE_(rax) REG_CASE_(rcx)
    REG_CASE_(rdx) REG_CASE_(rsi) REG_CASE_(rdi) REG_CASE_(rip) REG_CASE_(rsp)
        // clang-format on
    }
    return v;
}
#else
/* The loader decodes specs only on x86-64; elsewhere every argument goes
 * through bpf_usdt_arg() and this is never reached. */
static __always_inline uint64_t read_reg(struct pt_regs *ctx, uint32_t reg)
{
    return 0;
}
#endif

/*
 * USDT argument k of event ev, as the probe's spec says: truncated to the
 * argument's size and sign-extended when the spec says it is signed (as
 * bpf_usdt_arg() does).  The emitters then truncate it to the field's width.
 */
static __always_inline uint64_t usdt_arg(struct pt_regs *ctx, uint32_t ev, uint32_t k)
{
    const volatile struct record_arg_spec *a = &arg_spec[ev][k];
    uint64_t v = 0;
    uint32_t shift;

    switch (a->kind) {
    case RECORD_ARG_REG:
        v = read_reg(ctx, a->reg);
        break;
    case RECORD_ARG_IMM:
        return a->val;
    case RECORD_ARG_MEM: {
        uint64_t m = 0; /* its own slot: v stays in a register on the other paths */
        if (bpf_probe_read_user(&m, a->size, (const void *)(read_reg(ctx, a->reg) + a->val)))
            return 0;
        v = m;
        break;
    }
    default: {
        long l = 0;
        bpf_usdt_arg(ctx, k, &l);
        return l;
    }
    }
    /* A known constant: when 0, the verifier drops this as dead code. */
    shift = a->shift;
    if (shift)
        v = a->is_signed ? (uint64_t)((int64_t)(v << shift) >> shift) : (v << shift) >> shift;
    return v;
}

/*
 * One emitter per event, generated from the schema: reserve the record (its
 * size is a compile-time constant per event), zero it so padding and the
 * string tail are deterministic, fill the header, then read argument k into
 * the k-th payload field, truncating to the field's width.
 */
#define EMIT_F_(type, name, desc) rec->p.name = (HMAP_FIELD_CTYPE_##type)usdt_arg(ctx, ev, arg++);
#define EMIT_E_(type, name, enum_, desc) EMIT_F_(type, name, desc)
#define EMIT_S_(name, maxlen, desc)                                                                \
    read_user_str(rec->p.name, maxlen, (const void *)usdt_arg(ctx, ev, arg++));
#define EMIT_EV_(id_, name, desc, fields)                                                          \
    static __always_inline int emit_##name(struct pt_regs *ctx, uint64_t ts)                       \
    {                                                                                              \
        const uint32_t size = HMAP_NATIVE_REC_SIZE(sizeof(struct hmap_native_##name));             \
        struct {                                                                                   \
            struct hmap_native_rec_header h;                                                       \
            struct hmap_native_##name p;                                                           \
        } * rec;                                                                                   \
        uint64_t pid_tgid = bpf_get_current_pid_tgid();                                            \
        const uint32_t ev = id_;                                                                   \
        uint32_t arg = 0;                                                                          \
                                                                                                   \
        rec = bpf_ringbuf_reserve(&events, size, 0);                                               \
        if (!rec) return count_ring_full(ts);                                                      \
        __builtin_memset(rec, 0, size);                                                            \
        rec->h.ts_ns = ts;                                                                         \
        rec->h.pid = pid_tgid >> 32;                                                               \
        rec->h.tid = (uint32_t)pid_tgid;                                                           \
        rec->h.id = id_;                                                                           \
        rec->h.size = size;                                                                        \
        fields;                                                                                    \
        bpf_ringbuf_submit(rec, wake_flags(size));                                                 \
        return 0;                                                                                  \
    }
HMAP_EVENTS(EMIT_EV_, EMIT_F_, EMIT_E_, EMIT_S_)

/* Hits before the loader armed the program are counted, not recorded. */
static __always_inline bool unarmed(uint64_t ts)
{
    if (armed) return false;
    struct record_losses *l = my_losses();
    if (l) {
        __sync_fetch_and_add(&l->unarmed, 1);
        l->unarmed_last_ns = ts;
    }
    return true;
}

/* rec_<event>: the program the loader attaches to hmap:<event>. */
#define PROG_EV_(id_, name, desc, fields)                                                          \
    SEC("usdt")                                                                                    \
    int rec_##name(struct pt_regs *ctx)                                                            \
    {                                                                                              \
        uint64_t ts = bpf_ktime_get_ns(); /* CLOCK_MONOTONIC, as in the native format */           \
        return unarmed(ts) ? 0 : emit_##name(ctx, ts);                                             \
    }
HMAP_EVENTS(PROG_EV_, HMAP_IGNORE_F_, HMAP_IGNORE_E_, HMAP_IGNORE_S_)
