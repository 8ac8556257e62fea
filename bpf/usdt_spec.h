/* SPDX-License-Identifier: MIT */
/*
 * usdt_spec.h — the recorder's own decoding of the hmap:* USDT argument
 * specs (the .note.stapsdt notes of the probed file), turned into the
 * per-event table the BPF program reads its arguments from (record.h).
 */
#ifndef BUCKETSCOPE_USDT_SPEC_H
#define BUCKETSCOPE_USDT_SPEC_H

#include <stdbool.h>
#include <stddef.h>

#include "record.h"

/*
 * Fill specs[id][k] for every hmap event id whose probes in path all have
 * the same argument spec, the schema's number of arguments, and only
 * operands usdt_spec.c decodes (on x86-64: a register, an immediate, or
 * memory at a register plus offset).  Every other event keeps all-zero
 * entries (RECORD_ARG_USDT: libbpf's bpf_usdt_arg() reads its arguments).
 * Returns the number of events filled, or -1 if path cannot be read as ELF.
 * *why names the first event left to libbpf and why (empty if none).
 */
int usdt_spec_read(const char *path,
                   struct record_arg_spec specs[HMAP_EVENT_MAX_ID + 1][RECORD_MAX_ARGS], char *why,
                   size_t whysz);

/*
 * Decode one argument operand ("8@%rdi", "-4@$-1", "1@-16(%rbp)") into *a;
 * false for an operand left to bpf_usdt_arg().  For tests and usdt_spec_read.
 */
bool usdt_spec_parse_arg(const char *arg, struct record_arg_spec *a);

#endif /* BUCKETSCOPE_USDT_SPEC_H */
