/* SPDX-License-Identifier: MIT */
/*
 * site.c — creation sites symbolized with elfutils' libdwfl (site.h).
 *
 * One offline Dwfl per object path, opened on first use and kept: a report
 * may hold hundreds of maps created from a handful of objects, and opening
 * an object (and finding its separate debug file) costs far more than a
 * lookup.  A failed open is cached too, so a missing object is tried once.
 * Not thread-safe: the report is computed on one thread.
 */
#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "site.h"

/* Bound on open objects (each keeps one or two file descriptors and its
 * parsed debug info); past it the oldest entry is closed. */
#define SITE_CACHE_MAX 64

struct site_obj {
    char *path;
    Dwfl *dwfl; /* NULL: the object could not be read, use the fallback */
    Dwfl_Module *mod;
    GElf_Addr bias;      /* Dwfl address = link-time address + bias */
    uint64_t load_vaddr; /* first PT_LOAD's vaddr, page-aligned */
};

static struct site_obj cache[SITE_CACHE_MAX];
static unsigned ncache, next_evict;

/* Offline reporting needs dwfl_offline_section_address; the standard
 * debuginfo search finds a separate debug file by build-id or
 * .gnu_debuglink when the object itself carries no DWARF (where it looks:
 * docs/report.md, "Creation site"). */
static const Dwfl_Callbacks callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
};

static void obj_close(struct site_obj *o)
{
    if (o->dwfl) dwfl_end(o->dwfl);
    free(o->path);
    memset(o, 0, sizeof *o);
}

/* Opens path into o; on any failure o->dwfl stays NULL. */
static void obj_open(struct site_obj *o, const char *path)
{
    Dwfl *dwfl = dwfl_begin(&callbacks);
    if (!dwfl) return;
    dwfl_report_begin(dwfl);
    Dwfl_Module *mod = dwfl_report_offline(dwfl, path, path, -1);
    if (!mod || dwfl_report_end(dwfl, NULL, NULL) != 0) goto fail;
    GElf_Addr bias = 0;
    Elf *elf = dwfl_module_getelf(mod, &bias);
    size_t nph = 0;
    if (!elf || elf_getphdrnum(elf, &nph) != 0) goto fail;
    for (size_t i = 0; i < nph; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD) continue;
        /* dladdr's dli_fbase is where the first PT_LOAD segment's mapping
         * starts, and the dynamic loader maps segments from a page boundary
         * (p_vaddr rounded down).  4 KiB is the smallest Linux page; the
         * first segment starts at file offset 0, so its p_vaddr is aligned
         * to p_align (at least a page) and the rounding is exact. */
        o->dwfl = dwfl;
        o->mod = mod;
        o->bias = bias;
        o->load_vaddr = ph.p_vaddr & ~(uint64_t)0xfff;
        return;
    }
fail: /* not ELF, or nothing loadable (a relocatable object, a core) */
    dwfl_end(dwfl);
}

static struct site_obj *obj_get(const char *path)
{
    for (unsigned i = 0; i < ncache; i++)
        if (strcmp(cache[i].path, path) == 0) return &cache[i];
    char *copy = strdup(path);
    if (!copy) return NULL;
    struct site_obj *o;
    if (ncache < SITE_CACHE_MAX) {
        o = &cache[ncache++];
    } else {
        o = &cache[next_evict];
        next_evict = (next_evict + 1) % SITE_CACHE_MAX;
        obj_close(o);
    }
    o->path = copy;
    obj_open(o, path);
    return o;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* Innermost function around pc from DWARF: the subprogram, or the inlined
 * function whose body the line table row belongs to, so that the name
 * and the line agree (addr2line -f does the same without -i). */
static const char *dwarf_function(Dwfl_Module *mod, Dwarf_Addr pc, char *buf, size_t cap)
{
    Dwarf_Addr cubias = 0;
    Dwarf_Die *cu = dwfl_module_addrdie(mod, pc, &cubias);
    if (!cu) return NULL;
    Dwarf_Die *scopes = NULL;
    int n = dwarf_getscopes(cu, pc - cubias, &scopes);
    const char *found = NULL;
    for (int i = 0; i < n && !found; i++) {
        int tag = dwarf_tag(&scopes[i]);
        if (tag != DW_TAG_subprogram && tag != DW_TAG_inlined_subroutine) continue;
        const char *name = dwarf_diename(&scopes[i]);
        if (name) {
            snprintf(buf, cap, "%s", name);
            found = buf;
        }
    }
    free(scopes);
    return found;
}

int bs_site_describe(const char *object, uint64_t site_off, char *out, size_t cap)
{
    char tmp[8]; /* cap 0: still look everything up, write nothing */
    if (!out || cap == 0) {
        out = tmp;
        cap = sizeof tmp;
    }
    const char *base = object ? base_name(object) : "";
    if (!base[0]) base = "?";
    struct site_obj *o = object && object[0] ? obj_get(object) : NULL;
    /* site_off 0 cannot be a return address (the ELF header is there). */
    if (!o || !o->dwfl || site_off == 0) {
        snprintf(out, cap, "%s+0x%" PRIx64, base, site_off);
        return 1;
    }
    /* A return address points just after the call instruction, which may
     * be the first byte of the next line or even of the next function
     * (a call to a noreturn function ends its caller): look up the byte
     * before it, as addr2line is told to for return addresses. */
    Dwarf_Addr pc = site_off + o->load_vaddr + o->bias - 1;

    char func[256];
    const char *fname = dwarf_function(o->mod, pc, func, sizeof func);
    Dwfl_Line *line = dwfl_module_getsrc(o->mod, pc);
    if (line) {
        Dwarf_Addr laddr;
        int lineno = 0, col = 0;
        const char *src = dwfl_lineinfo(line, &laddr, &lineno, &col, NULL, NULL);
        if (src && lineno > 0) {
            if (!fname) fname = dwfl_module_addrname(o->mod, pc);
            snprintf(out, cap, "%s (%s:%d)", fname ? fname : "??", base_name(src), lineno);
            return 0;
        }
    }
    GElf_Off off = 0;
    GElf_Sym sym;
    const char *sname = dwfl_module_addrinfo(o->mod, pc, &off, &sym, NULL, NULL, NULL);
    if (sname && sname[0]) {
        /* The offset is the return address's, as backtraces print it. */
        snprintf(out, cap, "%s+0x%" PRIx64 " (%s)", sname, (uint64_t)off + 1, base);
        return 1;
    }
    snprintf(out, cap, "%s+0x%" PRIx64, base, site_off);
    return 1;
}

void bs_site_cache_free(void)
{
    for (unsigned i = 0; i < ncache; i++)
        obj_close(&cache[i]);
    ncache = next_evict = 0;
}
