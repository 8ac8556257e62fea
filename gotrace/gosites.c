// SPDX-License-Identifier: MIT
/*
 * gosites.c — `bucketscope-gosites [-v] BINARY`: what bucketscope gorecord
 * would probe in a Go binary.  Prints the Go version, whether the binary is
 * stripped, every map runtime function found (entry address, size, site
 * counts) and, with -v, every site.  A binary that cannot be traced is
 * refused with one line and exit status 1 (docs/go.md, "Binary inspection").
 */
#include <stdio.h>
#include <string.h>

#include "gobin.h"
#include "sites.h"

int main(int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version"))) {
        printf("bucketscope-gosites %s\n", BS_VERSION);
        return 0;
    }
    if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        printf("usage: bucketscope-gosites [-v] GO-BINARY\n"
               "List the map operations bucketscope-gorecord would probe in GO-BINARY.\n"
               "  -v             every site, and where its probe goes\n"
               "  -h, --help     print this help and exit\n"
               "  -V, --version  print the version and exit\n\n"
               "EXAMPLES:\n"
               "  bucketscope-gosites ./server\n"
               "  bucketscope-gosites -v ./server | grep mapdelete\n");
        return 0;
    }
    int verbose = argc > 2 && strcmp(argv[1], "-v") == 0;
    if (argc != 2 + verbose || argv[1 + verbose][0] == '-') {
        fprintf(stderr,
                "usage: bucketscope-gosites [-v] GO-BINARY\nTry 'bucketscope-gosites --help'.\n");
        return 2;
    }
    static struct gobin b;
    static struct go_sites s;
    char why[512];
    if (gobin_open(&b, argv[1 + verbose], why, sizeof why) != 0 ||
        go_sites_find(&b, &s, why, sizeof why) != 0) {
        fprintf(stderr, "bucketscope-gosites: %s\n", why);
        gobin_close(&b);
        return 1;
    }
    printf("binary %s\ngo %s\nstripped %s\nfunctions %zu\n", b.path, b.version,
           b.stripped ? "yes" : "no", b.nfunc);
    for (int fn = 0; fn < GOFN_COUNT; fn++) {
        const struct gobin_func *f = s.fn[fn];
        if (!f) {
            printf("absent %s\n", go_fn_names[fn]);
            continue;
        }
        size_t rets = 0, stores = 0;
        for (size_t i = 0; i < s.n; i++)
            if (s.site[i].s.fn == fn)
                rets += s.site[i].s.kind == GO_SITE_RET,
                    stores += s.site[i].s.kind == GO_SITE_STORE;
        printf("func %s entry 0x%llx size %llu rets %zu stores %zu\n", go_fn_names[fn],
               (unsigned long long)f->entry, (unsigned long long)f->size, rets, stores);
    }
    size_t emul = 0;
    for (size_t i = 0; i < s.n; i++)
        emul += s.site[i].emulated;
    printf("sites %zu emulated %zu single-stepped %zu frame-stores-skipped %zu\n", s.n, emul,
           s.n - emul, s.frame_stores);
    /* site N FUNCTION INSN-ADDR +PROBE-FILE-OFFSET INSN; then, when the probe
     * was moved to an emulated branch, "  at PROBE-ADDR MNEMONIC", and
     * "(value read back)" when the stored byte is read from memory there. */
    if (verbose)
        for (size_t i = 0; i < s.n; i++) {
            printf("site %zu %s 0x%llx +0x%llx %s\n", i, go_fn_names[s.site[i].s.fn],
                   (unsigned long long)s.site[i].vaddr, (unsigned long long)s.site[i].file_off,
                   s.site[i].text);
            if (s.site[i].emulated)
                printf("  at 0x%llx %s%s\n", (unsigned long long)s.site[i].probe,
                       s.site[i].probe_text, s.site[i].s.val_mem ? " (value read back)" : "");
        }
    gobin_close(&b);
    return 0;
}
