// SPDX-License-Identifier: MIT
/*
 * usdt_spec.c — decode the argument specs of the hmap:* USDT probes of one
 * ELF file into the table record.bpf.c reads its arguments from.
 *
 * A stapsdt note is three addresses (probe pc, .stapsdt.base, semaphore),
 * then "provider\0name\0args\0"; args is one operand per argument, separated
 * by spaces, each "SIZE@OPERAND" where SIZE is the byte width (negative:
 * signed) and OPERAND is in the assembler's syntax (x86-64: "%rdi", "$42",
 * "-16(%rbp)").  libhmap is built with register-or-immediate operands only
 * (hmap_usdt.h), which is what makes the BPF side a plain register load.
 *
 * Only what is decoded exactly is decoded here; anything else (another
 * architecture, a symbol or an index register in the operand, a high-byte
 * register, two sites of one probe with different specs) leaves the event
 * to libbpf's bpf_usdt_arg(), which the program then calls instead.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <linux/ptrace.h> /* struct pt_regs as BPF programs see it */
#include <stddef.h>
#endif

#include "usdt_spec.h"

/* Every event's name and number of arguments, from the schema. */
#define ARGC_F_(t, n, d) +1
#define ARGC_E_(t, n, e, d) +1
#define ARGC_S_(n, l, d) +1
static const struct {
    const char *name;
    unsigned argc;
} events[HMAP_EVENT_MAX_ID + 1] = {
#define EVENT_EV_(id_, name_, desc, fields) [id_] = {#name_, 0 fields},
    HMAP_EVENTS(EVENT_EV_, ARGC_F_, ARGC_E_, ARGC_S_)
#undef EVENT_EV_
};
/* The byte width of each event's fields (a string field's argument is a pointer). */
#define BYTES_F_(t, n, d) sizeof(HMAP_FIELD_CTYPE_##t),
#define BYTES_E_(t, n, e, d) sizeof(HMAP_FIELD_CTYPE_##t),
#define BYTES_S_(n, l, d) 8,
static const uint8_t field_bytes[HMAP_EVENT_MAX_ID + 1][RECORD_MAX_ARGS] = {
#define BYTES_EV_(id_, name_, desc, fields) [id_] = {fields},
    HMAP_EVENTS(BYTES_EV_, BYTES_F_, BYTES_E_, BYTES_S_)
#undef BYTES_EV_
};
#define CHECK_EV_(id_, name_, desc, fields)                                                        \
    _Static_assert((0 fields) <= RECORD_MAX_ARGS, #name_ ": more fields than RECORD_MAX_ARGS");
HMAP_EVENTS(CHECK_EV_, ARGC_F_, ARGC_E_, ARGC_S_)
#undef CHECK_EV_

#if defined(__x86_64__)
/* A register by any of its names that reads from bit 0 (%ah and the other
 * high-byte registers do not, and are left to libbpf). */
#define REG_(r64, r32, r16, r8, field)                                                             \
    {                                                                                              \
        {r64, r32, r16, r8}, offsetof(struct pt_regs, field)                                       \
    }
static const struct {
    const char *names[4];
    unsigned off;
} regs[] = {
    REG_("rax", "eax", "ax", "al", rax),      REG_("rbx", "ebx", "bx", "bl", rbx),
    REG_("rcx", "ecx", "cx", "cl", rcx),      REG_("rdx", "edx", "dx", "dl", rdx),
    REG_("rsi", "esi", "si", "sil", rsi),     REG_("rdi", "edi", "di", "dil", rdi),
    REG_("rbp", "ebp", "bp", "bpl", rbp),     REG_("rsp", "esp", "sp", "spl", rsp),
    REG_("r8", "r8d", "r8w", "r8b", r8),      REG_("r9", "r9d", "r9w", "r9b", r9),
    REG_("r10", "r10d", "r10w", "r10b", r10), REG_("r11", "r11d", "r11w", "r11b", r11),
    REG_("r12", "r12d", "r12w", "r12b", r12), REG_("r13", "r13d", "r13w", "r13b", r13),
    REG_("r14", "r14d", "r14w", "r14b", r14), REG_("r15", "r15d", "r15w", "r15b", r15),
    REG_("rip", "eip", "ip", NULL, rip),
};
#undef REG_

/* The pt_regs index (8-byte words) of register name (without its '%'), or -1. */
static int reg_offset(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
        for (int w = 0; w < 4; w++)
            if (regs[i].names[w] && strlen(regs[i].names[w]) == len &&
                memcmp(regs[i].names[w], name, len) == 0)
                return (int)(regs[i].off / 8);
    return -1;
}

bool usdt_spec_parse_arg(const char *arg, struct record_arg_spec *a)
{
    char *end;
    long size = strtol(arg, &end, 10);
    *a = (struct record_arg_spec){0};
    if (end == arg || *end != '@') return false;
    bool is_signed = size < 0;
    if (is_signed) size = -size;
    if (size != 1 && size != 2 && size != 4 && size != 8) return false;
    a->size = (uint8_t)size;
    a->shift = (uint8_t)(64 - 8 * size);
    a->is_signed = is_signed;
    const char *op = end + 1;
    if (*op == '%') { /* %reg */
        int off = reg_offset(op + 1, strlen(op + 1));
        if (off < 0) return false;
        a->kind = RECORD_ARG_REG;
        a->reg = (uint16_t)off;
        return true;
    }
    if (*op == '$') { /* $imm: stored already truncated and extended */
        errno = 0;
        long long v = strtoll(op + 1, &end, 0);
        if (end == op + 1 || *end || errno) return false;
        uint64_t u = (uint64_t)v << a->shift;
        a->val = is_signed ? (int64_t)u >> a->shift : (int64_t)(u >> a->shift);
        a->kind = RECORD_ARG_IMM;
        return true;
    }
    /* [off](%reg): no symbol, no index register. */
    long long off = 0;
    if (*op != '(') {
        errno = 0;
        off = strtoll(op, &end, 10);
        if (end == op || *end != '(' || errno) return false;
        op = end;
    }
    const char *close = strchr(op, ')');
    if (op[1] != '%' || !close || close[1]) return false;
    int r = reg_offset(op + 2, (size_t)(close - op - 2));
    if (r < 0) return false;
    a->kind = RECORD_ARG_MEM;
    a->reg = (uint16_t)r;
    a->val = off;
    return true;
}
#else
bool usdt_spec_parse_arg(const char *arg, struct record_arg_spec *a)
{
    (void)arg;
    *a = (struct record_arg_spec){0};
    return false;
}
#endif

/* The event id of probe name, or 0. */
static unsigned event_id(const char *name)
{
    for (unsigned id = 1; id <= HMAP_EVENT_MAX_ID; id++)
        if (strcmp(events[id].name, name) == 0) return id;
    return 0;
}

/* Decode args (space-separated operands) into row; false if any operand is
 * not decoded or the count is not the schema's.  An argument at least as
 * wide as its field needs no truncation or sign extension of its own: the
 * BPF program's cast to the field does it, and shift 0 lets the verifier
 * drop that code. */
static bool parse_args(const char *args, unsigned argc, const uint8_t *bytes,
                       struct record_arg_spec *row)
{
    char buf[512], *save, *tok;
    unsigned n = 0;
    if (strlen(args) >= sizeof(buf)) return false;
    strcpy(buf, args);
    for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        if (n >= argc || !usdt_spec_parse_arg(tok, &row[n])) return false;
        if (row[n].size >= bytes[n]) row[n].shift = 0;
        n++;
    }
    return n == argc;
}

int usdt_spec_read(const char *path,
                   struct record_arg_spec specs[HMAP_EVENT_MAX_ID + 1][RECORD_MAX_ARGS], char *why,
                   size_t whysz)
{
    /* The spec text of each event's first site, and whether it is usable. */
    char *first[HMAP_EVENT_MAX_ID + 1] = {0};
    bool bad[HMAP_EVENT_MAX_ID + 1] = {0};
    int filled = -1;

    memset(specs, 0, sizeof(struct record_arg_spec) * (HMAP_EVENT_MAX_ID + 1) * RECORD_MAX_ARGS);
    if (whysz) why[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    Elf *elf = elf_version(EV_CURRENT) != EV_NONE ? elf_begin(fd, ELF_C_READ, NULL) : NULL;
    size_t shstrndx;
    if (!elf || elf_kind(elf) != ELF_K_ELF || elf_getshdrstrndx(elf, &shstrndx) != 0) goto out;
    int cls = gelf_getclass(elf);
    size_t addrs = 3 * (cls == ELFCLASS32 ? 4 : 8);
    for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn));) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE) continue;
        const char *sname = elf_strptr(elf, shstrndx, sh.sh_name);
        if (!sname || strcmp(sname, ".note.stapsdt") != 0) continue;
        Elf_Data *d = elf_getdata(scn, NULL);
        size_t off = 0, noff, doff;
        GElf_Nhdr nh;
        while (d && (off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0) {
            const char *desc = (const char *)d->d_buf + doff, *lim = desc + nh.n_descsz;
            if (nh.n_type != 3 || nh.n_namesz != 8 ||
                memcmp((char *)d->d_buf + noff, "stapsdt", 8) != 0 || nh.n_descsz <= addrs)
                continue;
            /* provider\0name\0args\0, each NUL inside the note. */
            const char *prov = desc + addrs, *name, *args;
            if (!(name = memchr(prov, '\0', (size_t)(lim - prov)))) continue;
            name++;
            if (name >= lim || !(args = memchr(name, '\0', (size_t)(lim - name)))) continue;
            args++;
            if (args >= lim || !memchr(args, '\0', (size_t)(lim - args))) continue;
            unsigned id = strcmp(prov, "hmap") == 0 ? event_id(name) : 0;
            if (!id || bad[id]) continue;
            if (!first[id]) {
                first[id] = strdup(args);
                if (!first[id] || !parse_args(args, events[id].argc, field_bytes[id], specs[id])) {
                    bad[id] = true;
                    if (whysz && !why[0])
                        snprintf(why, whysz, "hmap:%s has arguments \"%s\"", name, args);
                }
            } else if (strcmp(first[id], args) != 0) { /* one spec per program */
                bad[id] = true;
                if (whysz && !why[0])
                    snprintf(why, whysz, "hmap:%s has sites with different arguments", name);
            }
        }
    }
    filled = 0;
    for (unsigned id = 1; id <= HMAP_EVENT_MAX_ID; id++) {
        if (bad[id] || !first[id])
            memset(specs[id], 0, sizeof(specs[id]));
        else
            filled++;
    }
out:
    for (unsigned id = 0; id <= HMAP_EVENT_MAX_ID; id++)
        free(first[id]);
    if (elf) elf_end(elf);
    close(fd);
    return filled;
}
