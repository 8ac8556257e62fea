// SPDX-License-Identifier: MIT
/*
 * gobin.c — ELF, build info and .gopclntab of a Go executable (gobin.h).
 *
 * Only the file is read, never the Go toolchain: the tracer must work on
 * binaries built elsewhere, stripped or not.  Formats, as documented by the
 * Go sources they come from and summarised in docs/go.md:
 *
 *  - .go.buildinfo: 16-byte header "\xff Go buildinf:" + pointer size +
 *    flags; with flag 2 (every Go >= 1.18) the version string follows at
 *    offset 32 as a uvarint length and its bytes.
 *  - .gopclntab (Go 1.18+ layout; magic 0xfffffff0 for 1.18/1.19,
 *    0xfffffff1 for 1.20+): header of 8 bytes, then nfunc, nfiles,
 *    textStart, funcnameOffset, cuOffset, filetabOffset, pctabOffset,
 *    pclnOffset (pointer-sized).  At pclnOffset, nfunc+1 pairs
 *    {entryoff u32, funcoff u32}; the last entryoff is the end of text.  At
 *    pclnOffset+funcoff a _func whose second word is the name's offset in
 *    the funcnametab.  Strip keeps the section (it is loaded data), and when
 *    a tool removes section headers the header is found by its magic.
 *  - Lines: the _func's pcln field (word 6: entryoff, nameoff, args,
 *    deferreturn, pcsp, pcfile, pcln, ...) is an offset into the pctab
 *    (header word pctabOffset) of a pc-value table: pairs of uvarints, a
 *    zig-zag value delta (starting from -1) and a pc delta (x1 on amd64),
 *    ending at a zero value delta after the first pair.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gobin.h"

#define WHY(...) (snprintf(why, whylen, __VA_ARGS__), -1)

static const Elf64_Shdr *section(const struct gobin *b, const char *name)
{
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)b->data;
    if (!eh->e_shoff || eh->e_shstrndx >= eh->e_shnum ||
        eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > b->size)
        return NULL;
    const Elf64_Shdr *sh = (const Elf64_Shdr *)(b->data + eh->e_shoff);
    const Elf64_Shdr *strs = &sh[eh->e_shstrndx];
    for (unsigned i = 0; i < eh->e_shnum; i++) {
        if (strs->sh_offset + sh[i].sh_name >= b->size) continue;
        const char *n = (const char *)b->data + strs->sh_offset + sh[i].sh_name;
        if (strcmp(n, name) == 0 && sh[i].sh_offset + sh[i].sh_size <= b->size) return &sh[i];
    }
    return NULL;
}

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}
static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* The version from the build info; 0, or -1 when there is none. */
static int read_version(struct gobin *b)
{
    static const char magic[] = "\xff Go buildinf:";
    const uint8_t *p = NULL, *end = b->data + b->size;
    const Elf64_Shdr *s = section(b, ".go.buildinfo");
    if (s && s->sh_size >= 32)
        p = b->data + s->sh_offset;
    else if (!((const Elf64_Ehdr *)b->data)->e_shnum)
        /* no section headers: the header is 16-byte aligned in the file */
        for (size_t off = 0; off + 32 <= b->size; off += 16)
            if (memcmp(b->data + off, magic, 14) == 0) {
                p = b->data + off;
                break;
            }
    if (!p || memcmp(p, magic, 14) != 0) return -1;
    if (!(p[15] & 2)) return -2; /* pre-1.18 pointer form: too old anyway */
    const uint8_t *q = p + 32;
    uint64_t len = 0;
    for (int shift = 0; q < end && shift < 64; shift += 7) {
        len |= (uint64_t)(*q & 0x7f) << shift;
        if (!(*q++ & 0x80)) break;
    }
    if (len == 0 || len >= sizeof b->version || q + len > end) return -2;
    memcpy(b->version, q, len);
    b->version[len] = '\0';
    return 0;
}

static int is_pclntab(const uint8_t *p, size_t avail)
{
    uint32_t m = rd32(p);
    return avail >= 64 && (m == 0xfffffff0u || m == 0xfffffff1u) && p[4] == 0 && p[5] == 0 &&
           p[6] == 1 && p[7] == 8;
}

static int cmp_func(const void *a, const void *b)
{
    const struct gobin_func *x = a, *y = b;
    return x->entry < y->entry ? -1 : x->entry > y->entry;
}

static int read_pclntab(struct gobin *b, char *why, size_t whylen)
{
    const uint8_t *p = NULL;
    size_t avail = 0;
    /* A PIE's table is relocated data: the linker names it after .data.rel.ro */
    const Elf64_Shdr *s = section(b, ".gopclntab");
    if (!s) s = section(b, ".data.rel.ro.gopclntab");
    if (s) {
        p = b->data + s->sh_offset;
        avail = s->sh_size;
    } else if (!((const Elf64_Ehdr *)b->data)->e_shnum)
        for (size_t off = 0; off + 64 <= b->size; off += 8)
            if (is_pclntab(b->data + off, b->size - off)) {
                p = b->data + off;
                avail = b->size - off;
                break;
            }
    if (!p || !is_pclntab(p, avail))
        return WHY("no Go 1.18+ function table (.gopclntab) found: not a Go >= 1.18 amd64 binary");
    uint64_t nfunc = rd64(p + 8), text = rd64(p + 24), nameoff = rd64(p + 32), pcln = rd64(p + 64);
    uint64_t pctab = rd64(p + 56);
    if (pctab < avail) b->pctab = p + pctab, b->pctab_len = avail - pctab;
    if (pcln + (nfunc + 1) * 8 > avail || nameoff >= avail || nfunc > (1u << 24))
        return WHY("corrupt .gopclntab header");
    b->funcs = calloc(nfunc, sizeof *b->funcs);
    if (!b->funcs) return WHY("out of memory");
    const uint8_t *ft = p + pcln;
    for (uint64_t i = 0; i < nfunc; i++) {
        uint32_t entry = rd32(ft + 8 * i), funcoff = rd32(ft + 8 * i + 4);
        uint32_t next = rd32(ft + 8 * (i + 1));
        if (pcln + funcoff + 8 > avail)
            return WHY("corrupt .gopclntab entry %llu", (unsigned long long)i);
        uint32_t name = rd32(ft + funcoff + 4);
        if (nameoff + name >= avail)
            return WHY("corrupt .gopclntab name %llu", (unsigned long long)i);
        b->funcs[b->nfunc++] =
            (struct gobin_func){.name = (const char *)p + nameoff + name,
                                .entry = text + entry,
                                .size = next - entry,
                                .fn = pcln + funcoff + 32 <= avail ? ft + funcoff : NULL};
    }
    qsort(b->funcs, b->nfunc, sizeof *b->funcs, cmp_func);
    return 0;
}

int gobin_open(struct gobin *b, const char *path, char *why, size_t whylen)
{
    struct stat st;
    memset(b, 0, sizeof *b);
    snprintf(b->path, sizeof b->path, "%s", path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return WHY("cannot open %s: %s", path, strerror(errno));
    if (fstat(fd, &st) != 0 || st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
        close(fd);
        return WHY("%s: not an ELF file", path);
    }
    b->size = st.st_size;
    b->data = mmap(NULL, b->size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (b->data == MAP_FAILED) {
        b->data = NULL;
        return WHY("cannot map %s: %s", path, strerror(errno));
    }
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)b->data;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0) return WHY("%s: not an ELF file", path);
    if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64)
        return WHY("%s: not an amd64 binary (only Go amd64 binaries can be traced)", path);
    if (eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > b->size)
        return WHY("%s: corrupt program headers", path);
    const Elf64_Phdr *ph = (const Elf64_Phdr *)(b->data + eh->e_phoff);
    for (unsigned i = 0; i < eh->e_phnum && b->nload < 16; i++)
        if (ph[i].p_type == PT_LOAD)
            b->load[b->nload].vaddr = ph[i].p_vaddr, b->load[b->nload].memsz = ph[i].p_memsz,
            b->load[b->nload].offset = ph[i].p_offset, b->load[b->nload++].filesz = ph[i].p_filesz;
    /* The program headers' address: PT_PHDR's, else where the segment that
     * maps the file's start puts e_phoff. */
    for (unsigned i = 0; i < eh->e_phnum; i++)
        if (ph[i].p_type == PT_PHDR) b->phdr_vaddr = ph[i].p_vaddr;
    for (size_t i = 0; i < b->nload && !b->phdr_vaddr; i++)
        if (b->load[i].offset == 0) b->phdr_vaddr = b->load[i].vaddr + eh->e_phoff;
    if (b->nload) b->base_vaddr = b->load[0].vaddr & ~(uint64_t)0xfff;

    int v = read_version(b);
    if (v == -1) return WHY("%s: not a Go binary (no Go build info)", path);
    if (v == -2) return WHY("%s: Go build info unreadable (Go older than 1.18?)", path);
    int major = 0, minor = 0;
    if (sscanf(b->version, "go%d.%d", &major, &minor) != 2)
        return WHY("%s: unrecognised Go version '%s'", path, b->version);
    b->minor = major == 1 ? minor : 99;
    if (b->minor >= 24)
        return WHY("%s: built by %s: Go >= 1.24 maps are Swiss tables, not the bucket map "
                   "bucketscope models (docs/go-map-model.md §16)",
                   path, b->version);
    if (b->minor < 19)
        return WHY("%s: built by %s: only Go 1.19 to 1.23 are supported", path, b->version);
    b->stripped = section(b, ".symtab") == NULL;
    b->et_dyn = eh->e_type == ET_DYN;
    return read_pclntab(b, why, whylen);
}

void gobin_close(struct gobin *b)
{
    if (b->data) munmap(b->data, b->size);
    free(b->funcs);
    memset(b, 0, sizeof *b);
}

const struct gobin_func *gobin_find(const struct gobin *b, const char *name)
{
    for (size_t i = 0; i < b->nfunc; i++)
        if (strcmp(b->funcs[i].name, name) == 0) return &b->funcs[i];
    return NULL;
}

static int uvarint(const uint8_t **q, const uint8_t *end, uint32_t *v)
{
    uint32_t x = 0;
    for (int shift = 0; *q < end && shift < 35; shift += 7) {
        uint8_t c = *(*q)++;
        x |= (uint32_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return -1;
}

const struct gobin_func *gobin_line(const struct gobin *b, uint64_t pc, int32_t *line)
{
    *line = 0;
    size_t lo = 0, hi = b->nfunc;
    while (lo < hi) { /* the last function with entry <= pc */
        size_t mid = (lo + hi) / 2;
        if (b->funcs[mid].entry <= pc)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (!lo) return NULL;
    const struct gobin_func *f = &b->funcs[lo - 1];
    if (pc >= f->entry + f->size) return NULL;
    if (!f->fn || !b->pctab) return f;
    uint32_t off = rd32(f->fn + 24); /* pcln */
    if (!off || off >= b->pctab_len) return f;
    const uint8_t *q = b->pctab + off, *end = b->pctab + b->pctab_len;
    int32_t val = -1;
    uint64_t at = f->entry;
    for (int first = 1;; first = 0) {
        uint32_t dv, dpc;
        if (uvarint(&q, end, &dv) || (dv == 0 && !first) || uvarint(&q, end, &dpc)) return f;
        val += (int32_t)((dv >> 1) ^ -(dv & 1));
        at += dpc;
        if (pc < at) {
            *line = val;
            return f;
        }
    }
}

int64_t gobin_file_offset(const struct gobin *b, uint64_t vaddr)
{
    for (size_t i = 0; i < b->nload; i++)
        if (vaddr >= b->load[i].vaddr && vaddr < b->load[i].vaddr + b->load[i].filesz)
            return (int64_t)(vaddr - b->load[i].vaddr + b->load[i].offset);
    return -1;
}

const uint8_t *gobin_bytes(const struct gobin *b, uint64_t vaddr, size_t len)
{
    int64_t off = gobin_file_offset(b, vaddr);
    if (off < 0 || (uint64_t)off + len > b->size) return NULL;
    return b->data + off;
}

/* A PIE's addresses in the process are the file's plus the bias the kernel
 * chose at exec: AT_PHDR in the auxiliary vector is where the program
 * headers landed, so the bias is AT_PHDR minus their address in the file. */
int gobin_load_bias(const struct gobin *b, int pid, uint64_t *bias)
{
    *bias = 0;
    if (!b->et_dyn) return 0;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/auxv", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    uint64_t av[2 * 64];
    ssize_t n = read(fd, av, sizeof av);
    close(fd);
    for (ssize_t i = 0; n > 0 && (i + 2) * 8 <= n && av[i] != AT_NULL; i += 2)
        if (av[i] == AT_PHDR && b->phdr_vaddr && av[i + 1] >= b->phdr_vaddr) {
            *bias = av[i + 1] - b->phdr_vaddr;
            return 0;
        }
    return -1;
}
