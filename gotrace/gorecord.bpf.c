// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * gorecord.bpf.c — the BPF half of `bucketscope gorecord`.
 *
 * One uprobe program attached at every site of gotrace/sites.c, with the
 * site's index as the BPF cookie (docs/go-binaries.md §3).  At a function
 * entry it keeps RAX, RBX, RCX (Go's register ABI: the first arguments) per
 * goroutine (R14 holds g) and function, so that later sites of the same call
 * know the map; at a RET or a one-byte store it sends the registers, the
 * store's effective address and value and the 48-byte runtime.hmap header;
 * at the entry of (*sweepLocked).sweep it sends the span and its mark bits.
 * A store into the map's header (h.flags) is dropped here, before it costs
 * a record; every hit and drop is counted per site (docs/go.md, "Cost").
 * The loader (gorecord.c, goshadow.c) turns these into native events.
 */
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <stdbool.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "gorecord.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile uint32_t target_tgid;
const volatile struct go_span_layout span = {};
volatile uint32_t armed;

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 16u << 20);
} events SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, GO_MAX_SITES);
    __type(key, uint32_t);
    __type(value, struct go_site);
} sites SEC(".maps");

struct argkey {
    uint64_t g;
    uint32_t fn, pad;
};
struct argval {
    uint64_t r[3];
    uint64_t caller;
};
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16384);
    __type(key, struct argkey);
    __type(value, struct argval);
} args SEC(".maps");

/* Per site (the cookie): [i] hits, [GO_MAX_SITES + i] hits dropped here
 * because the store was not a tophash store (docs/go.md, "Cost"). */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 2 * GO_MAX_SITES);
    __type(key, uint32_t);
    __type(value, uint64_t);
} hits SEC(".maps");

/* Heap pages holding the start of a bucket block (array or allocator
 * overflow bucket), value: when last seen.  Filled here, at the hits that
 * show a block (the header's buckets, newoverflow's result), so no block is
 * missed however late the loader reads the ring; emptied by the loader when
 * it sees a page's last block freed (gorecord.c, page_freed).  A sweep of a
 * span with no such page cannot free a tracked block and is dropped here. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, GO_MAX_PAGES);
    __type(key, uint64_t);
    __type(value, uint64_t);
} pages SEC(".maps");
volatile uint32_t pages_full; /* the table overflowed: every sweep is sent */

/* [0] ring full, [1] hits before arming. */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 2);
    __type(key, uint32_t);
    __type(value, uint64_t);
} losses SEC(".maps");

static __always_inline void count_loss(uint32_t k)
{
    uint64_t *v = bpf_map_lookup_elem(&losses, &k);
    if (v) __sync_fetch_and_add(v, 1);
}

static __always_inline void count_hit(uint32_t k)
{
    uint64_t *v = bpf_map_lookup_elem(&hits, &k);
    if (v) *v += 1; /* per-CPU: no other writer */
}

static __always_inline void track_page(uint64_t addr, uint64_t ts)
{
    uint64_t k = addr >> GO_PAGE_SHIFT;
    if (addr && bpf_map_update_elem(&pages, &k, &ts, BPF_ANY)) pages_full = 1;
}

/* Does the span [start, start + npages pages) hold a tracked block?  A
 * span of more than 16 pages holds one large object, at its start. */
static __always_inline bool span_tracked(uint64_t start, uint64_t npages)
{
    if (pages_full) return true;
    for (uint32_t i = 0; i < 16; i++) {
        if (i >= npages) break;
        uint64_t k = (start >> GO_PAGE_SHIFT) + i;
        if (bpf_map_lookup_elem(&pages, &k)) return true;
    }
    return false;
}

/* struct pt_regs as an array of u64 (sites.c, reg_index), copied to the
 * stack: the verifier refuses a ctx access at a computed offset. */
#define NREGS (sizeof(struct pt_regs) / 8)
static __always_inline uint64_t reg(const uint64_t *regs, uint8_t i)
{
    return i < NREGS ? regs[i] : 0;
}

static __always_inline int sweep(struct pt_regs *ctx, uint64_t ts, uint32_t tid, uint32_t id)
{
    uint64_t s = 0, bits = 0, start = 0, npages = 0;
    /* The receiver is a *sweepLocked, a struct holding the *mspan. */
    if (bpf_probe_read_user(&s, 8, (void *)ctx->rax) || !s) return 0;
    if (!bpf_probe_read_user(&start, 8, (void *)(s + span.start)) &&
        !bpf_probe_read_user(&npages, 8, (void *)(s + span.npages)) &&
        !span_tracked(start, npages)) {
        count_hit(GO_MAX_SITES + id);
        return 0;
    }
    struct go_raw_sweep *r = bpf_ringbuf_reserve(&events, sizeof *r, 0);
    if (!r) {
        count_loss(0);
        return 0;
    }
    __builtin_memset(r, 0, sizeof *r);
    r->ts_ns = ts;
    r->tid = tid;
    r->type = GO_RAW_SWEEP;
    bpf_probe_read_user(&r->start, 8, (void *)(s + span.start));
    bpf_probe_read_user(&r->npages, 8, (void *)(s + span.npages));
    bpf_probe_read_user(&r->elemsize, 8, (void *)(s + span.elemsize));
    bpf_probe_read_user(&r->nelems, span.nelems_size == 2 ? 2 : 4, (void *)(s + span.nelems));
    bpf_probe_read_user(&bits, 8, (void *)(s + span.gcmarkbits));
    uint32_t n = (r->nelems + 7) / 8;
    if (n > GO_SPAN_MARK_BYTES) n = GO_SPAN_MARK_BYTES;
    if (n < 1) n = 1;
    /* Marks that cannot be read would look like "everything freed": the
     * loader ignores a span whose marks are flagged unread. */
    if (!bits || bpf_probe_read_user(r->marks, n, (void *)bits)) r->unread = 1;
    bpf_ringbuf_submit(r, 0);
    return 0;
}

SEC("uprobe")
int go_site(struct pt_regs *ctx)
{
    uint64_t ts = bpf_ktime_get_ns();
    uint64_t pt = bpf_get_current_pid_tgid();
    if ((uint32_t)(pt >> 32) != target_tgid) return 0;
    if (!armed) {
        count_loss(1);
        return 0;
    }
    uint32_t id = (uint32_t)bpf_get_attach_cookie(ctx);
    struct go_site *s = bpf_map_lookup_elem(&sites, &id);
    if (!s) return 0;
    count_hit(id);
    uint8_t fn = s->fn, kind = s->kind;
    if (fn == GOFN_SWEEP) return sweep(ctx, ts, (uint32_t)pt, id);
    /* Registers by value, once: the compiler would otherwise select between
     * ctx fields by pointer, which the verifier refuses. */
    uint64_t regs[NREGS];
    if (bpf_probe_read_kernel(regs, sizeof regs, ctx)) return 0;
    const uint64_t rax = regs[10], rbx = regs[5], rcx = regs[11], g = regs[1];

    struct argkey k = {.g = g, .fn = fn};
    if (kind == GO_SITE_ENTRY) {
        struct argval a = {{rax, rbx, rcx}, 0};
        /* makemap*: who called it, the map's creation site (the entry's
         * probe is before the prologue: [rsp] is the return address). */
        if (fn == GOFN_MAKEMAP || fn == GOFN_MAKEMAP_SMALL)
            bpf_probe_read_user(&a.caller, 8, (void *)regs[19]);
        bpf_map_update_elem(&args, &k, &a, BPF_ANY);
        /* Only the entries the loader needs to see: the rest are frequent. */
        if (fn != GOFN_HASHGROW && fn != GOFN_MAPCLEAR &&
            !(fn >= GOFN_EVACUATE && fn <= GOFN_EVACUATE_FASTSTR))
            return 0;
    }
    struct argval *a = bpf_map_lookup_elem(&args, &k);
    /* The map: a result at makemap's RET, the receiver of newoverflow and
     * advanceEvacuationMark, the second argument elsewhere. */
    uint64_t h = 0;
    if ((fn == GOFN_MAKEMAP || fn == GOFN_MAKEMAP_SMALL) && kind == GO_SITE_RET)
        h = rax;
    else if (a)
        h = (fn == GOFN_NEWOVERFLOW || fn == GOFN_ADVANCE) ? a->r[0] : a->r[1];
    uint64_t addr = 0;
    uint8_t val = 0;
    if (kind == GO_SITE_STORE) {
        addr = reg(regs, s->base) + (int64_t)s->disp;
        if (s->index != GO_REG_NONE) addr += reg(regs, s->index) * s->scale;
        val = s->val_reg == GO_REG_NONE ? s->imm
                                        : (uint8_t)(reg(regs, s->val_reg) >> (s->val_shift & 8));
        /* Not a tophash store, decided here so that it costs no record: a
         * store into the map's own header (h.flags, the hashWriting bit set
         * and cleared around every write), or one in a call whose entry was
         * not seen (the loader could not place it). */
        if (!h || (addr >= h && addr < h + 48)) {
            count_hit(GO_MAX_SITES + id);
            return 0;
        }
        /* No store since the site's (sites.c, move_to_branch): the byte is
         * still the one stored. */
        if (s->val_mem && bpf_probe_read_user(&val, 1, (void *)addr)) return 0;
    }
    struct go_raw_site *r = bpf_ringbuf_reserve(&events, sizeof *r, 0);
    if (!r) {
        count_loss(0);
        return 0;
    }
    __builtin_memset(r, 0, sizeof *r);
    r->ts_ns = ts;
    r->tid = (uint32_t)pt;
    r->type = GO_RAW_SITE;
    r->site = id;
    r->g = g;
    r->rax = rax;
    r->rbx = rbx;
    r->rcx = rcx;
    r->addr = addr;
    r->val = val;
    if (a) {
        r->has_args = 1;
        r->args[0] = a->r[0];
        r->args[1] = a->r[1];
        r->args[2] = a->r[2];
        r->caller = a->caller;
    }
    if (h && bpf_probe_read_user(r->hdr, sizeof r->hdr, (void *)h) == 0) {
        r->has_hdr = 1;
        uint64_t buckets = 0;
        __builtin_memcpy(&buckets, r->hdr + 16, 8); /* h.buckets */
        track_page(buckets, ts);
    }
    if (fn == GOFN_NEWOVERFLOW && kind == GO_SITE_RET) track_page(rax, ts);
    bpf_ringbuf_submit(r, 0);
    return 0;
}
