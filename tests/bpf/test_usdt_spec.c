// SPDX-License-Identifier: MIT
/*
 * test_usdt_spec.c — the recorder's own USDT argument decoding
 * (bpf/usdt_spec.c), without BPF.
 *
 *   test_usdt_spec SYNTH_NR SYNTH_O0
 *
 * 1. Operands as compilers write them, each with the table entry the BPF
 *    program must get: every width of a register name, immediates that must
 *    be truncated or sign-extended to their size, memory at a register plus
 *    offset; and the operands that must be left to libbpf (high-byte
 *    registers, symbols, index registers, bad sizes, garbage).
 * 2. The notes of the synthetic probe programs: SYNTH_NR (register or
 *    immediate operands only) and SYNTH_O0 (frame slots): every event is
 *    either decoded whole, with the schema's number of arguments, or left
 *    whole to libbpf; the -O0 build has memory operands, the nr build none;
 *    a file that is not ELF is refused.
 *
 * The end-to-end check that the values read with these entries are the
 * values fired is bpf_record_fields (test_fields.sh) on the same programs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <linux/ptrace.h>
#include <stddef.h>
#endif

#include "usdt_spec.h"

static int failures;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                                            \
            printf(__VA_ARGS__);                                                                   \
            printf("\n");                                                                          \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

#if defined(__x86_64__)
#define R(field) (offsetof(struct pt_regs, field) / 8)

/* One operand and what it must decode to. */
static void expect(const char *arg, int kind, unsigned reg, unsigned size, int is_signed,
                   int64_t val)
{
    struct record_arg_spec a;
    bool ok = usdt_spec_parse_arg(arg, &a);
    CHECK(ok, "%s: not decoded", arg);
    if (!ok) return;
    CHECK(a.kind == kind, "%s: kind %u, want %d", arg, a.kind, kind);
    if (kind != RECORD_ARG_IMM) CHECK(a.reg == reg, "%s: register %u, want %u", arg, a.reg, reg);
    CHECK(a.size == size, "%s: size %u, want %u", arg, a.size, size);
    CHECK(a.shift == 64 - 8 * size, "%s: shift %u, want %u", arg, a.shift, 64 - 8 * size);
    CHECK(a.is_signed == is_signed, "%s: signed %u, want %d", arg, a.is_signed, is_signed);
    if (kind != RECORD_ARG_REG)
        CHECK(a.val == val, "%s: value %lld, want %lld", arg, (long long)a.val, (long long)val);
}

static void refuse(const char *arg)
{
    struct record_arg_spec a;
    CHECK(!usdt_spec_parse_arg(arg, &a), "%s: decoded, must be left to libbpf", arg);
    CHECK(a.kind == RECORD_ARG_USDT, "%s: refused but kind %u", arg, a.kind);
}

static void operands(void)
{
    expect("8@%rdi", RECORD_ARG_REG, R(rdi), 8, 0, 0);
    expect("-8@%rsi", RECORD_ARG_REG, R(rsi), 8, 1, 0);
    expect("4@%ebx", RECORD_ARG_REG, R(rbx), 4, 0, 0);
    expect("-4@%ebp", RECORD_ARG_REG, R(rbp), 4, 1, 0);
    expect("2@%r15w", RECORD_ARG_REG, R(r15), 2, 0, 0);
    expect("1@%r8b", RECORD_ARG_REG, R(r8), 1, 0, 0);
    expect("1@%bpl", RECORD_ARG_REG, R(rbp), 1, 0, 0);
    expect("1@%sil", RECORD_ARG_REG, R(rsi), 1, 0, 0);
    expect("1@%dil", RECORD_ARG_REG, R(rdi), 1, 0, 0);
    expect("1@%al", RECORD_ARG_REG, R(rax), 1, 0, 0);
    expect("1@%cl", RECORD_ARG_REG, R(rcx), 1, 0, 0);
    expect("1@%dl", RECORD_ARG_REG, R(rdx), 1, 0, 0);
    expect("4@%r10d", RECORD_ARG_REG, R(r10), 4, 0, 0);
    expect("8@%r11", RECORD_ARG_REG, R(r11), 8, 0, 0);
    expect("8@%r12", RECORD_ARG_REG, R(r12), 8, 0, 0);
    expect("8@%r13", RECORD_ARG_REG, R(r13), 8, 0, 0);
    expect("4@%r14d", RECORD_ARG_REG, R(r14), 4, 0, 0);
    expect("8@%r9", RECORD_ARG_REG, R(r9), 8, 0, 0);
    expect("8@%rsp", RECORD_ARG_REG, R(rsp), 8, 0, 0);
    expect("2@%cx", RECORD_ARG_REG, R(rcx), 2, 0, 0);
    /* Immediates are stored as the argument's value: truncated to its size,
     * sign-extended only when the size is negative. */
    expect("8@$-4483583629026640", RECORD_ARG_IMM, 0, 8, 0, -4483583629026640ll);
    expect("1@$-56", RECORD_ARG_IMM, 0, 1, 0, 200);
    expect("-1@$-56", RECORD_ARG_IMM, 0, 1, 1, -56);
    expect("4@$-2147483647", RECORD_ARG_IMM, 0, 4, 0, 0x80000001ll);
    expect("4@$-1", RECORD_ARG_IMM, 0, 4, 0, 0xffffffffll);
    expect("-4@$-1", RECORD_ARG_IMM, 0, 4, 1, -1);
    expect("1@$300", RECORD_ARG_IMM, 0, 1, 0, 44);
    expect("4@$144", RECORD_ARG_IMM, 0, 4, 0, 144);
    expect("8@$0", RECORD_ARG_IMM, 0, 8, 0, 0);
    /* Memory at a register plus an offset. */
    expect("8@16(%rsp)", RECORD_ARG_MEM, R(rsp), 8, 0, 16);
    expect("4@-36(%rbp)", RECORD_ARG_MEM, R(rbp), 4, 0, -36);
    expect("-2@-2(%rbp)", RECORD_ARG_MEM, R(rbp), 2, 1, -2);
    expect("1@(%rax)", RECORD_ARG_MEM, R(rax), 1, 0, 0);
    expect("8@8(%r12)", RECORD_ARG_MEM, R(r12), 8, 0, 8);
    /* Left to libbpf. */
    refuse("1@%ah"); /* bits 8..15 */
    refuse("1@%bh");
    refuse("8@%xmm0"); /* not in pt_regs */
    refuse("8@sym(%rip)");
    refuse("8@8(%rax,%rbx,8)");
    refuse("8@(,%rbx,8)");
    refuse("8@-16(%rbp");
    refuse("8@-16(%rbp)x");
    refuse("3@%rax");
    refuse("16@%rax");
    refuse("0@%rax");
    refuse("%rax");
    refuse("8@");
    refuse("8@$");
    refuse("8@$12x");
    refuse("8@%");
    refuse("8@%raxx");
    refuse("@%rax");
}
#endif

/* Every event all decoded (with the schema's count) or all left to libbpf. */
static void file(const char *path, bool want_mem, bool want_no_mem)
{
    static struct record_arg_spec specs[HMAP_EVENT_MAX_ID + 1][RECORD_MAX_ARGS];
    static const unsigned argc[HMAP_EVENT_MAX_ID + 1] = {
#define ARGC_F_(t, n, d) +1
#define ARGC_E_(t, n, e, d) +1
#define ARGC_S_(n, l, d) +1
#define ARGC_EV_(id_, name_, desc, fields) [id_] = 0 fields,
        HMAP_EVENTS(ARGC_EV_, ARGC_F_, ARGC_E_, ARGC_S_)};
#define BYTES_F_(t, n, d) sizeof(HMAP_FIELD_CTYPE_##t),
#define BYTES_E_(t, n, e, d) sizeof(HMAP_FIELD_CTYPE_##t),
#define BYTES_S_(n, l, d) 8,
#define BYTES_EV_(id_, name_, desc, fields) [id_] = {fields},
    static const unsigned bytes[HMAP_EVENT_MAX_ID + 1][RECORD_MAX_ARGS] = {
        HMAP_EVENTS(BYTES_EV_, BYTES_F_, BYTES_E_, BYTES_S_)};
    char why[256];
    int n = usdt_spec_read(path, specs, why, sizeof(why));
    unsigned decoded = 0, mem = 0;

    CHECK(n > 0, "%s: %d events decoded", path, n);
    for (unsigned id = 1; id <= HMAP_EVENT_MAX_ID; id++) {
        unsigned k, set = 0;
        for (k = 0; k < RECORD_MAX_ARGS; k++) {
            set += specs[id][k].kind != RECORD_ARG_USDT;
            mem += specs[id][k].kind == RECORD_ARG_MEM;
        }
        CHECK(set == 0 || set == argc[id], "%s: event %u has %u of %u arguments decoded", path, id,
              set, argc[id]);
        for (k = 0; set && k < argc[id]; k++) {
            const struct record_arg_spec *a = &specs[id][k];
            CHECK(a->size >= 1 && a->size <= 8, "%s: event %u arg %u size %u", path, id, k,
                  a->size);
            /* No truncation of its own for an argument as wide as its field. */
            unsigned want = a->size >= bytes[id][k] ? 0 : 64 - 8 * a->size;
            CHECK(a->kind == RECORD_ARG_IMM || a->shift == want,
                  "%s: event %u arg %u: shift %u, want %u", path, id, k, a->shift, want);
        }
        decoded += set != 0;
    }
    CHECK((int)decoded == n, "%s: %u events with entries, %d said", path, decoded, n);
    if (want_mem) CHECK(mem > 0, "%s: no memory operand decoded", path);
    if (want_no_mem) CHECK(mem == 0, "%s: %u memory operands in a register-only build", path, mem);
    printf("%s: %d of %d events decoded, %u memory operands%s%s\n", path, n, HMAP_EVENT_MAX_ID, mem,
           why[0] ? "; " : "", why);
}

int main(int argc, char **argv)
{
#if !defined(__x86_64__)
    (void)argc;
    (void)argv;
    printf("SKIPPED: the recorder decodes USDT specs itself only on x86-64\n");
    return 77;
#else
    if (argc != 3) {
        fprintf(stderr, "usage: %s SYNTH_NR SYNTH_O0\n", argv[0]);
        return 2;
    }
    operands();
    file(argv[1], false, true);
    file(argv[2], true, false);
    static struct record_arg_spec specs[HMAP_EVENT_MAX_ID + 1][RECORD_MAX_ARGS];
    char why[64];
    CHECK(usdt_spec_read("/dev/null", specs, why, sizeof(why)) == -1, "/dev/null read as ELF");
    CHECK(usdt_spec_read("/nonexistent/x", specs, why, sizeof(why)) == -1, "missing file read");
    if (failures) {
        printf("%d failures\n", failures);
        return 1;
    }
    printf("PASS: operands and notes decoded as expected\n");
    return 0;
#endif
}
