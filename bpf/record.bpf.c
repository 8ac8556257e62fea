// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * record.bpf.c — the BPF half of `bucketscope record`.
 *
 * One generic USDT handler serves every hmap:* probe.  The loader attaches it
 * once per probe with the schema's event id as the USDT cookie; the handler
 * dispatches on that id to an emitter generated from the schema X-macros, which
 * reads the probe arguments in schema order and packs them into a native trace
 * record reserved directly in the ring buffer.
 */
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <stdbool.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/usdt.bpf.h>

#include "record.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL"; /* GPL-compatible for the kernel; LICENSE */

/* Set by the loader before load. */
const volatile uint64_t wake_bytes = RECORD_DEFAULT_RING_BYTES / 4;
/* Set by the loader when the program is loaded sleepable (BPF_F_SLEEPABLE). */
const volatile bool can_sleep;

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
 * more than the record itself (docs/tracing-stack.md §4.4).
 */
static __always_inline long wake_flags(void)
{
    return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wake_bytes ? BPF_RB_FORCE_WAKEUP
                                                                       : BPF_RB_NO_WAKEUP;
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

/*
 * One emitter per event, generated from the schema: reserve the record (its
 * size is a compile-time constant per event), zero it so padding and the
 * string tail are deterministic, fill the header, then read argument k into
 * the k-th payload field, truncating to the field's width.
 */
#define EMIT_F_(type, name, desc)                                                                  \
    bpf_usdt_arg(ctx, arg++, &v);                                                                  \
    rec->p.name = (HMAP_FIELD_CTYPE_##type)v;
#define EMIT_E_(type, name, enum_, desc) EMIT_F_(type, name, desc)
#define EMIT_S_(name, maxlen, desc)                                                                \
    bpf_usdt_arg(ctx, arg++, &v);                                                                  \
    read_user_str(rec->p.name, maxlen, (const void *)v);
#define EMIT_EV_(id_, name, desc, fields)                                                          \
    static __always_inline int emit_##name(struct pt_regs *ctx, uint64_t ts)                       \
    {                                                                                              \
        const uint32_t size = HMAP_NATIVE_REC_SIZE(sizeof(struct hmap_native_##name));             \
        struct {                                                                                   \
            struct hmap_native_rec_header h;                                                       \
            struct hmap_native_##name p;                                                           \
        } * rec;                                                                                   \
        uint64_t pid_tgid = bpf_get_current_pid_tgid();                                            \
        int arg = 0;                                                                               \
        long v;                                                                                    \
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
        bpf_ringbuf_submit(rec, wake_flags());                                                     \
        return 0;                                                                                  \
    }
HMAP_EVENTS(EMIT_EV_, EMIT_F_, EMIT_E_, EMIT_S_)

SEC("usdt")
int record_event(struct pt_regs *ctx)
{
    uint64_t ts = bpf_ktime_get_ns(); /* CLOCK_MONOTONIC, as in the native format */

    if (!armed) {
        struct record_losses *l = my_losses();
        if (l) {
            __sync_fetch_and_add(&l->unarmed, 1);
            l->unarmed_last_ns = ts;
        }
        return 0;
    }

    switch (bpf_usdt_cookie(ctx)) {
#define DISPATCH_EV_(id_, name, desc, fields)                                                      \
    case id_:                                                                                      \
        return emit_##name(ctx, ts);
        HMAP_EVENTS(DISPATCH_EV_, HMAP_IGNORE_F_, HMAP_IGNORE_E_, HMAP_IGNORE_S_)
    }
    return 0;
}
