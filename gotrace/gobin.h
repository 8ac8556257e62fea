/* SPDX-License-Identifier: MIT */
/*
 * gobin.h — what bucketscope reads from an unmodified Go executable before
 * tracing it: the Go version (build info), the function table (.gopclntab,
 * present even in stripped binaries) and the mapping from virtual addresses
 * to file offsets that uprobes need (docs/go.md, "Binary inspection").
 */
#ifndef BUCKETSCOPE_GOBIN_H
#define BUCKETSCOPE_GOBIN_H

#include <stddef.h>
#include <stdint.h>

struct gobin_func {
    const char *name;  /* points into the binary's funcnametab */
    uint64_t entry;    /* virtual address */
    uint64_t size;     /* bytes up to the next function */
    const uint8_t *fn; /* its _func record in .gopclntab */
};

struct gobin {
    char path[4096];
    uint8_t *data; /* the whole file, read-only mapping */
    size_t size;
    char version[64]; /* "go1.22.12" */
    int minor;        /* 22 */
    size_t nfunc;
    struct gobin_func *funcs; /* sorted by entry */
    int stripped;             /* no .symtab */
    const uint8_t *pctab;     /* .gopclntab's pc-value tables */
    size_t pctab_len;
    int et_dyn; /* position-independent: addresses are relative to a load bias */
    uint64_t phdr_vaddr; /* where the program headers are, in the file's addresses */
    uint64_t base_vaddr; /* the first PT_LOAD's, page-aligned: the object's load address */
    /* PT_LOAD segments, for vaddr -> file offset */
    size_t nload;
    struct {
        uint64_t vaddr, memsz, offset, filesz;
    } load[16];
};

/* Open and check PATH.  0 on success; otherwise -1 and one line in why
 * (not ELF, not amd64, not Go, Go >= 1.24 Swiss tables, unsupported version,
 * no function table). */
int gobin_open(struct gobin *b, const char *path, char *why, size_t whylen);
void gobin_close(struct gobin *b);

/* The function named exactly NAME, or NULL. */
const struct gobin_func *gobin_find(const struct gobin *b, const char *name);

/* The function holding PC (a binary address) and the source line of PC, from
 * .gopclntab (stripped binaries too); NULL when no function holds it, line
 * 0 when its line table cannot be read. */
const struct gobin_func *gobin_line(const struct gobin *b, uint64_t pc, int32_t *line);

/* File offset of virtual address VADDR (for a uprobe), or -1. */
int64_t gobin_file_offset(const struct gobin *b, uint64_t vaddr);

/* Pointer to the bytes at VADDR, LEN of them mapped from the file, or NULL. */
const uint8_t *gobin_bytes(const struct gobin *b, uint64_t vaddr, size_t len);

/* The load bias of process PID running B: its addresses minus the file's
 * (0 for a position-dependent binary).  0, or -1 when the process's
 * auxiliary vector cannot be read or names no program headers. */
int gobin_load_bias(const struct gobin *b, int pid, uint64_t *bias);

#endif /* BUCKETSCOPE_GOBIN_H */
