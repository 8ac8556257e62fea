/* SPDX-License-Identifier: MIT */
/*
 * gen_bpftrace.c — prints bpf/scripts/events.bt, the bpftrace script that
 * turns every USDT probe hmap:<event> into one line of the bpftrace event
 * format (docs/bpftrace-format.md), from the schema.
 *
 * The script is kept in the source tree so that users can run it without a
 * build; the test probes_events_bt_current fails when it differs from what
 * this program prints (regenerate: build/schema/hmap_gen_bpftrace >
 * bpf/scripts/events.bt).
 */
#include <stdio.h>
#include <stdlib.h>

#include "hmap_events.h"

/* Format and argument of one field; USDT arguments are arg0, arg1, ... in
 * schema order. */
#define FMT_ptr "0x%lx"
#define FMT_u8 "%lu"
#define FMT_u16 "%lu"
#define FMT_u32 "%lu"
#define FMT_u64 "%lu"
#define FMT_F_(t, n, d) printf(" %s=%s", #n, FMT_##t);
#define FMT_E_(t, n, e, d) printf(" %s=%s", #n, FMT_##t);
#define FMT_S_(n, l, d) printf(" %s=%%s", #n);
#define ARG_F_(t, n, d) print_arg(argi++, 0);
#define ARG_E_(t, n, e, d) print_arg(argi++, 0);
#define ARG_S_(n, l, d) print_arg(argi++, 1);

/* bpftrace 0.17 reads only arg0..arg5 on x86-64: libhmap pins USDT arguments
 * 7 and 8 to r10 and r11 (see libmap/probes/hmap_usdt.h). */
static void print_arg(int i, int is_str)
{
    static const char *const pinned[] = {"reg(\"r10\")", "reg(\"r11\")"};
    char a[32];
    if (i < 6)
        snprintf(a, sizeof a, "arg%d", i);
    else if (i < 8)
        snprintf(a, sizeof a, "%s", pinned[i - 6]);
    else {
        fprintf(stderr, "gen_bpftrace: event with more than 8 fields: extend hmap_usdt.h\n");
        exit(1);
    }
    printf(is_str ? ", str(%s)" : ", %s", a);
}

/* One event is printed by two passes over the schema (its fields come
 * already expanded by the F/E/S callbacks of each pass): the format string
 * with FMT_*, then the argument list with ARG_*. */
#define FMT_PROBE_(id, name, desc, fields)                                                         \
    if (ev == id) {                                                                                \
        printf("\nusdt:$1:hmap:%s\n{\n\tprintf(\"HMEV %%lu %%d %%d %s", #name, #name);             \
        fields printf("\\n\",\n\t       nsecs, pid, tid");                                         \
    }
#define ARG_PROBE_(id, name, desc, fields)                                                         \
    if (ev == id) {                                                                                \
        int argi = 0;                                                                              \
        fields printf(");\n}\n");                                                                  \
    }

int main(void)
{
    printf("#!/usr/bin/env bpftrace\n"
           "// SPDX-License-Identifier: MIT\n"
           "/*\n"
           " * events.bt -- every libhmap USDT probe as one text line (bucketscope).\n"
           " * GENERATED from schema/hmap_events.h by schema/gen_bpftrace.c;\n"
           " * do not edit (a test fails when this file is out of date).\n"
           " *\n"
           " *   bpftrace bpf/scripts/events.bt /abs/path/libhmap.so           every process\n"
           " *   bpftrace -p PID bpf/scripts/events.bt /abs/path/libhmap.so    one process\n"
           " * For a program linked with libhmap.a, give the program's path instead.\n"
           " *\n"
           " * Output, one line per event (docs/bpftrace-format.md):\n"
           " *   HMEV <ts_ns> <pid> <tid> <event> <field>=<value> ...\n"
           " * fields in schema order; ptr fields 0x-hex, integers decimal, the string\n"
           " * field (map_create.type_name, last) raw.  ts_ns is nsecs (CLOCK_MONOTONIC).\n"
           " * bpftrace 0.17 reads only arg0..arg5 on x86-64: libhmap pins USDT arguments\n"
           " * 7 and 8 to r10 and r11 (libmap/probes/hmap_usdt.h), read here with reg().\n"
           " * Each hit is a uprobe trap (microseconds): meant for forensics runs.\n"
           " */\n");
    for (int ev = 1; ev <= HMAP_EVENT_MAX_ID; ev++) {
        HMAP_EVENTS(FMT_PROBE_, FMT_F_, FMT_E_, FMT_S_)
        HMAP_EVENTS(ARG_PROBE_, ARG_F_, ARG_E_, ARG_S_)
    }
    return 0;
}
