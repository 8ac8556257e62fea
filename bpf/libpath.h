/* SPDX-License-Identifier: MIT */
/*
 * libpath.h — which file holds the hmap:* USDT probes of a target, when
 * `bucketscope record` is given no -l (docs/record.md, "Which library").
 */
#ifndef BS_LIBPATH_H
#define BS_LIBPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* True if the ELF file at path has a .note.stapsdt note of provider hmap. */
bool bs_elf_has_hmap_probes(const char *path);

/*
 * The probes of running process pid: the libhmap.so* it has mapped, else its
 * executable if that carries hmap notes (a static link).  0 with the path in
 * out; -1 with a one-line reason in why (no trailing newline).
 */
int bs_lib_for_pid(pid_t pid, char *out, size_t outsz, char *why, size_t whysz);

/*
 * The probes of command cmd (resolved through PATH like execvp): cmd itself
 * if it carries hmap notes, else the libhmap.so* the dynamic linker would
 * load for it (its PT_INTERP run with --list, in this environment).
 * 0 with the path in out; -1 with a one-line reason in why.
 */
int bs_lib_for_cmd(const char *cmd, char *out, size_t outsz, char *why, size_t whysz);

#endif
