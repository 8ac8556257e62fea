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
 * per-version pattern of the compiler's code is assumed.  Results are read
 * at RET instructions, since uretprobes are unsafe with moving goroutine
 * stacks (docs/go-binaries.md §3).
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
    s->vaddr = vaddr;
    s->file_off = gobin_file_offset(b, vaddr);
    snprintf(s->text, sizeof s->text, "%.63s", text);
    return s;
}

int go_sites_find(const struct gobin *b, struct go_sites *o, char *why, size_t whylen)
{
    csh h;
    memset(o, 0, sizeof *o);
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK) {
        snprintf(why, whylen, "cannot open the x86 decoder (capstone)");
        return -1;
    }
    cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
    for (int fn = 0; fn < GOFN_COUNT; fn++) {
        const struct gobin_func *f = gobin_find(b, go_fn_names[fn]);
        o->fn[fn] = f;
        if (!f) continue;
        if (!add(b, o, fn, GO_SITE_ENTRY, f->entry, "entry")) goto full;
        if (!wants_ret(fn) && !wants_stores(fn)) continue;
        const uint8_t *code = gobin_bytes(b, f->entry, f->size);
        if (!code) continue;
        cs_insn *insn;
        size_t n = cs_disasm(h, code, f->size, f->entry, 0, &insn);
        for (size_t i = 0; i < n; i++) {
            char text[224];
            snprintf(text, sizeof text, "%s %s", insn[i].mnemonic, insn[i].op_str);
            if (insn[i].id == X86_INS_RET && wants_ret(fn)) {
                if (!add(b, o, fn, GO_SITE_RET, insn[i].address, text)) goto full_free;
                continue;
            }
            if (insn[i].id != X86_INS_MOV || !wants_stores(fn)) continue;
            const cs_x86 *x = &insn[i].detail->x86;
            if (x->op_count != 2 || x->operands[0].type != X86_OP_MEM || x->operands[0].size != 1)
                continue;
            const x86_op_mem *m = &x->operands[0].mem;
            if (m->base == X86_REG_RIP || m->base == X86_REG_INVALID) continue;
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
            if (x->operands[1].type == X86_OP_IMM)
                s->s.imm = (uint8_t)x->operands[1].imm;
            else {
                int v = reg_index(h, x->operands[1].reg, &sh);
                if (v < 0) {
                    o->n--;
                    continue;
                }
                s->s.val_reg = v;
                s->s.val_shift = sh;
            }
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
