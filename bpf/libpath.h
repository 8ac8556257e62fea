/* SPDX-License-Identifier: MIT */
/*
 * libpath.h — which file holds the hmap:* USDT probes of a target, when
 * `bucketscope record` is given no -l (docs/record.md, "Which library").
 */
#ifndef BS_LIBPATH_H
#define BS_LIBPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* True if the ELF file at path has a .note.stapsdt note of provider hmap. */
bool bs_elf_has_hmap_probes(const char *path);

/*
 * Whether path can hold the probes the recorder attaches to: a regular ELF
 * shared object or executable with hmap USDT notes.  0, or -1 with a
 * one-line reason in why saying precisely what it is not (no such file, a
 * directory, not ELF, an ELF object file or core dump, no hmap probes).
 */
int bs_check_probe_file(const char *path, char *why, size_t whysz);

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

/*
 * Which file a path names, as the kernel identifies a mapped file in
 * /proc/PID/maps: device (major, minor) and inode.  Comparing these, not path
 * text, tells whether a process maps a file whatever path it reached it by
 * (a symlink, /proc/PID/root, a bind mount), and that it does not when the
 * file at a path was replaced since it was mapped.
 */
struct bs_file_id {
    unsigned major, minor;
    uint64_t ino;
};

/* 0 with the id of path in id, -1 with errno set. */
int bs_file_id(const char *path, struct bs_file_id *id);

/* 1 if /proc/PID/maps has a mapping of the file id, 0 if not, -1 if the
 * maps cannot be read (the process is gone, or no permission). */
int bs_pid_maps_file(pid_t pid, const struct bs_file_id *id);

#endif
