// SPDX-License-Identifier: MIT
/*
 * sites.c — disassemble the map functions of a Go binary (capstone) and list
 * the instructions to probe (sites.h).
 *
 * Why instructions and not source lines: the tophash stores are the only
 * exact record of a slot changing (docs/go-binaries.md §3), their addresses
 * and registers change with every build, and matching source text is fragile
 * (Go 1.23 renamed bucketCnt).  Every one-byte MOV to memory in the
 * assign/delete/evacuate functions is taken: the loader keeps those whose
 * address falls in a tophash array it tracks and ignores the rest, so no
 * per-version pattern of the compiler's code is assumed, except one that
 * needs none: a store relative to the function's own stack pointer (a
 * spilled local) is not probed.  Results are read at RET instructions,
 * since uretprobes are unsafe with moving goroutine stacks
 * (docs/go-binaries.md §3).
 *
 * Cost: a uprobe on a store is single-stepped by the kernel; one on a direct
 * branch is emulated, far cheaper.  Each entry and store site is moved to
 * the first direct branch after it when the move provably changes nothing
 * the BPF side reads (move_to_branch); the listing shows where each probe
 * went (docs/go.md, "Cost").
 */
#include <capstone/capstone.h>
#include <stdio.h>
#include <string.h>

#include "sites.h"

#define GO_FN_NAME_(sym, name) name,
const char *const go_fn_names[GOFN_COUNT] = {GO_FUNCS(GO_FN_NAME_)};
#undef GO_FN_NAME_

/* Capstone register names -> index in struct pt_regs (x86-64 order:
 * r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax rcx rdx rsi rdi orig_rax rip cs
 * flags sp ss). */
static const struct {
    const char *n[4];
    uint8_t idx;
} regs[] = {
    {{"rax", "eax", "ax", "al"}, 10},     {{"rbx", "ebx", "bx", "bl"}, 5},
    {{"rcx", "ecx", "cx", "cl"}, 11},     {{"rdx", "edx", "dx", "dl"}, 12},
    {{"rsi", "esi", "si", "sil"}, 13},    {{"rdi", "edi", "di", "dil"}, 14},
    {{"rbp", "ebp", "bp", "bpl"}, 4},     {{"rsp", "esp", "sp", "spl"}, 19},
    {{"r8", "r8d", "r8w", "r8b"}, 9},     {{"r9", "r9d", "r9w", "r9b"}, 8},
    {{"r10", "r10d", "r10w", "r10b"}, 7}, {{"r11", "r11d", "r11w", "r11b"}, 6},
    {{"r12", "r12d", "r12w", "r12b"}, 3}, {{"r13", "r13d", "r13w", "r13b"}, 2},
    {{"r14", "r14d", "r14w", "r14b"}, 1}, {{"r15", "r15d", "r15w", "r15b"}, 0},
};

static int reg_index(csh h, unsigned reg, uint8_t *shift)
{
    const char *name = cs_reg_name(h, reg);
    *shift = 0;
    if (!name) return -1;
    static const char *const high[] = {"ah", "bh", "ch", "dh"};
    static const uint8_t high_idx[] = {10, 5, 11, 12};
    for (int i = 0; i < 4; i++)
        if (strcmp(name, high[i]) == 0) {
            *shift = 8;
            return high_idx[i];
        }
    for (size_t i = 0; i < sizeof regs / sizeof regs[0]; i++)
        for (int w = 0; w < 4; w++)
            if (strcmp(name, regs[i].n[w]) == 0) return regs[i].idx;
    return -1;
}

/* Which sites each function needs (docs/go.md, "Probe sites"). */
static int wants_ret(int fn)
{
    return fn == GOFN_MAKEMAP || fn == GOFN_MAKEMAP_SMALL || fn == GOFN_HASHGROW ||
           fn == GOFN_NEWOVERFLOW || fn == GOFN_ADVANCE ||
           (fn >= GOFN_EVACUATE && fn <= GOFN_EVACUATE_FASTSTR);
}
static int wants_stores(int fn)
{
    return (fn >= GOFN_EVACUATE && fn <= GOFN_EVACUATE_FASTSTR) ||
           (fn >= GOFN_MAPASSIGN && fn <= GOFN_MAPDELETE_FASTSTR);
}

static struct go_site_ex *add(const struct gobin *b, struct go_sites *o, int fn, int kind,
                              uint64_t vaddr, const char *text)
{
    if (o->n >= GO_MAX_SITES) return NULL;
    struct go_site_ex *s = &o->site[o->n++];
    memset(s, 0, sizeof *s);
    s->s = (struct go_site){
        .kind = kind, .fn = fn, .base = GO_REG_NONE, .index = GO_REG_NONE, .val_reg = GO_REG_NONE};
    s->vaddr = s->probe = vaddr;
    s->file_off = gobin_file_offset(b, vaddr);
    snprintf(s->text, sizeof s->text, "%.63s", text);
    return s;
}

/* ---- moving a probe to a branch the kernel emulates ---------------------- */

/* The kernel emulates direct branches (CALL rel32, JMP rel8/rel32, Jcc) at a
 * uprobe and single-steps everything else, about 15 times dearer per hit
 * (docs/go.md, "Cost").  Decided from the bytes, as the kernel does. */
static int emulated(const cs_insn *in)
{
    const uint8_t *c = in->bytes;
    return c[0] == 0xe8 || c[0] == 0xe9 || c[0] == 0xeb || (c[0] >= 0x70 && c[0] <= 0x7f) ||
           (in->size >= 2 && c[0] == 0x0f && c[1] >= 0x80 && c[1] <= 0x8f);
}

struct fn_code {
    const cs_insn *insn;
    size_t n;
    uint64_t target[512]; /* direct branch targets inside the function */
    size_t ntarget;
    int indirect; /* an indirect jump: any instruction may be a target */
};

static void find_targets(csh h, struct fn_code *c, const struct gobin_func *f)
{
    c->ntarget = 0, c->indirect = 0;
    for (size_t i = 0; i < c->n; i++) {
        const cs_insn *in = &c->insn[i];
        if (!cs_insn_group(h, in, X86_GRP_JUMP)) continue;
        const cs_x86 *x = &in->detail->x86;
        if (x->op_count != 1 || x->operands[0].type != X86_OP_IMM) {
            c->indirect = 1;
            continue;
        }
        uint64_t t = (uint64_t)x->operands[0].imm;
        if (t < f->entry || t >= f->entry + f->size) continue;
        if (c->ntarget == sizeof c->target / sizeof c->target[0]) {
            c->indirect = 1; /* too many to track: treat as unknown */
            continue;
        }
        c->target[c->ntarget++] = t;
    }
}

static int is_target(const struct fn_code *c, uint64_t a)
{
    if (c->indirect) return 1;
    for (size_t i = 0; i < c->ntarget; i++)
        if (c->target[i] == a) return 1;
    return 0;
}

static int is_byte_store(const cs_insn *in)
{
    const cs_x86 *x = &in->detail->x86;
    return in->id == X86_INS_MOV && x->op_count == 2 && x->operands[0].type == X86_OP_MEM &&
           x->operands[0].size == 1;
}

/* Move site S (the instruction at c->insn[from], or the function's entry
 * when from is 0 and S is an entry) to the first emulated branch after it,
 * when every instruction in between (1) is reached only by falling through
 * (no branch targets it), so the probe sees every execution of the site and
 * nothing else, and (2) writes none of the registers in NEED (pt_regs
 * indexes, bit per register), so the BPF side reads the same values it
 * would have read at the site.  Stores in between are fine: the site's
 * registers, not memory, are what is read, except the map header, whose
 * fields the loader does not expect to be before or after the site.  One
 * exception: the register holding a store's value (VAL, a pt_regs index, or
 * -1) may be overwritten when nothing in between writes memory; the BPF side
 * then reads the stored byte back (val_mem). */
static int writes_memory(const cs_insn *in)
{
    const cs_x86 *x = &in->detail->x86;
    for (uint8_t k = 0; k < x->op_count; k++)
        if (x->operands[k].type == X86_OP_MEM && (x->operands[k].access & CS_AC_WRITE)) return 1;
    switch (in->id) { /* implicit memory writes */
    case X86_INS_PUSH:
    case X86_INS_PUSHFQ:
    case X86_INS_STOSB:
    case X86_INS_STOSW:
    case X86_INS_STOSD:
    case X86_INS_STOSQ:
    case X86_INS_MOVSB:
    case X86_INS_MOVSW:
    case X86_INS_MOVSD:
    case X86_INS_MOVSQ:
    case X86_INS_XCHG:
    case X86_INS_CMPXCHG:
        return 1;
    }
    return 0;
}

static void move_to_branch(csh h, const struct fn_code *c, size_t from, uint32_t need, int val,
                           struct go_site_ex *s, const struct gobin *b)
{
    size_t j = s->s.kind == GO_SITE_ENTRY ? from : from + 1;
    int val_lost = 0;
    for (size_t steps = 0; j < c->n && steps < 8; j++, steps++) {
        const cs_insn *in = &c->insn[j];
        if (j > from && is_target(c, in->address)) return;
        if (emulated(in)) {
            s->s.val_mem = val_lost;
            s->probe = in->address;
            s->file_off = gobin_file_offset(b, in->address);
            s->emulated = 1;
            snprintf(s->probe_text, sizeof s->probe_text, "%.31s", in->mnemonic);
            return;
        }
        if (j > from && is_byte_store(in)) return; /* another site: keep their order */
        if (cs_insn_group(h, in, X86_GRP_JUMP) || cs_insn_group(h, in, X86_GRP_RET) ||
            cs_insn_group(h, in, X86_GRP_CALL) || cs_insn_group(h, in, X86_GRP_INT))
            return;
        cs_regs rd, wr;
        uint8_t nrd, nwr, sh;
        if (cs_regs_access(h, in, rd, &nrd, wr, &nwr) != CS_ERR_OK) return;
        for (uint8_t k = 0; k < nwr; k++) {
            int r = reg_index(h, wr[k], &sh);
            if (r >= 0 && r == val)
                val_lost = 1;
            else if (r >= 0 && (need >> r & 1))
                return;
        }
        if (val_lost && writes_memory(in)) return;
    }
}

#define REGBIT(i) (1u << (i))
#define R14_G REGBIT(1) /* the goroutine, keying the entry's arguments */

int go_sites_find(const struct gobin *b, struct go_sites *o, char *why, size_t whylen)
{
    csh h;
    memset(o, 0, sizeof *o);
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK) {
        snprintf(why, whylen, "cannot open the x86 decoder (capstone)");
        return -1;
    }
    cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
    static struct fn_code c;
    for (int fn = 0; fn < GOFN_COUNT; fn++) {
        const struct gobin_func *f = gobin_find(b, go_fn_names[fn]);
        o->fn[fn] = f;
        if (!f) continue;
        struct go_site_ex *entry = add(b, o, fn, GO_SITE_ENTRY, f->entry, "entry");
        if (!entry) goto full;
        const uint8_t *code = gobin_bytes(b, f->entry, f->size);
        if (!code) continue;
        cs_insn *insn;
        size_t n = cs_disasm(h, code, f->size, f->entry, 0, &insn);
        c.insn = insn, c.n = n;
        find_targets(h, &c, f);
        /* The entry's arguments (RAX, RBX, RCX) at the stack-check branch
         * that follows the prologue's compare. */
        if (n) move_to_branch(h, &c, 0, REGBIT(10) | REGBIT(5) | REGBIT(11) | R14_G, -1, entry, b);
        for (size_t i = 0; i < n && (wants_ret(fn) || wants_stores(fn)); i++) {
            char text[224];
            snprintf(text, sizeof text, "%s %s", insn[i].mnemonic, insn[i].op_str);
            if (insn[i].id == X86_INS_RET && wants_ret(fn)) {
                if (!add(b, o, fn, GO_SITE_RET, insn[i].address, text)) goto full_free;
                continue;
            }
            if (!wants_stores(fn) || !is_byte_store(&insn[i])) continue;
            const cs_x86 *x = &insn[i].detail->x86;
            const x86_op_mem *m = &x->operands[0].mem;
            if (m->base == X86_REG_RIP || m->base == X86_REG_INVALID) continue;
            /* The function's own frame (a spilled bool): buckets are only
             * ever reached through pointers, never relative to the
             * callee's stack pointer. */
            if (m->base == X86_REG_RSP) {
                o->frame_stores++;
                continue;
            }
            uint8_t sh;
            int base = reg_index(h, m->base, &sh), index = -1;
            if (base < 0) continue;
            if (m->index != X86_REG_INVALID && (index = reg_index(h, m->index, &sh)) < 0) continue;
            struct go_site_ex *s = add(b, o, fn, GO_SITE_STORE, insn[i].address, text);
            if (!s) goto full_free;
            s->s.base = base;
            s->s.index = index < 0 ? GO_REG_NONE : index;
            s->s.scale = m->scale;
            s->s.disp = (int32_t)m->disp;
            uint32_t need = R14_G | REGBIT(base) | (index < 0 ? 0 : REGBIT(index));
            int v = -1;
            if (x->operands[1].type == X86_OP_IMM)
                s->s.imm = (uint8_t)x->operands[1].imm;
            else {
                v = reg_index(h, x->operands[1].reg, &sh);
                if (v < 0) {
                    o->n--;
                    continue;
                }
                s->s.val_reg = v;
                s->s.val_shift = sh;
            }
            /* The value register may also be the base or index: then it is needed. */
            move_to_branch(h, &c, i, need, (need >> (v < 0 ? 0 : v) & 1) ? -1 : v, s, b);
        }
        cs_free(insn, n);
        continue;
    full_free:
        cs_free(insn, n);
        goto full;
    }
    cs_close(&h);
    if (!o->fn[GOFN_SWEEP]) {
        snprintf(why, whylen, "%s: no runtime.(*sweepLocked).sweep: not a Go 1.19-1.23 runtime",
                 b->path);
        return -1;
    }
    return 0;
full:
    cs_close(&h);
    snprintf(why, whylen, "%s: more than %d probe sites", b->path, GO_MAX_SITES);
    return -1;
}
