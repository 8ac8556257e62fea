// SPDX-License-Identifier: MIT
/*
 * gorecord.c — `bucketscope gorecord`: record the map of an unmodified Go
 * 1.19-1.23 amd64 program into a native trace (schema/hmap_native.h).
 *
 *   bucketscope-gorecord [-o FILE] [-v] -- GO-PROGRAM [ARG...]
 *
 * A sibling of bucketscope-record rather than an option of it: the probes,
 * the BPF program and the ring's contents differ (raw register values, not
 * finished records), and the two share only the output format and the
 * launch-held-then-release approach of bpf/record.c, which this follows:
 * the child blocks on a pipe before execve(), every site is attached to its
 * pid (uprobes filter by mm, so every thread of the Go process is covered),
 * the program is armed, then the child is released.  Sites and binary
 * checks: sites.c, gobin.c; raw -> native: goshadow.c (docs/go.md).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bs_prog.h"
#include "gobin.h"
#include "gorecord.h"
#include "gorecord.skel.h"
#include "goshadow.h"
#include "hmap_native_write.h"
#include "sites.h"

/* The name as typed: "bucketscope gorecord" through the dispatcher (bs_prog.h). */
static const char *prog = "bucketscope-gorecord";

/* fprintf(stderr, "<prog>: " fmt, ...). */
__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

static int verbose;
static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
    return verbose ? vfprintf(stderr, fmt, ap) : 0;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

/* runtime.mspan offsets (docs/go-binaries.md §2, read from each version's
 * DWARF): 1.21 added a field before elemsize, 1.22 made nelems 16-bit. */
static int span_layout(int minor, struct go_span_layout *l)
{
    if (minor == 19)
        *l = (struct go_span_layout){24, 32, 56, 8, 80, 104};
    else if (minor == 21)
        *l = (struct go_span_layout){24, 32, 56, 8, 80, 112};
    else if (minor == 22 || minor == 23)
        *l = (struct go_span_layout){24, 32, 50, 2, 72, 104};
    else
        return -1;
    return 0;
}

static int on_raw(void *ctx, void *data, size_t size)
{
    return go_shadow_feed(ctx, data, size) == 0 ? 0 : -EINVAL;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: %s [-o FILE] [-v] -- GO-PROGRAM [ARG...]\n", prog);
    fprintf(
        f, "Record the maps of an unmodified Go 1.19-1.23 amd64 program into a native\n"
           "trace (default FILE: bucketscope.hmtrace).  Exit status: 0 complete, 1 could not\n"
           "record, 2 usage, 3 written but events were lost.  -V, --version: print the version.\n");
}

int main(int argc, char **argv)
{
    const char *output = "bucketscope.hmtrace";
    static const struct option longopts[] = {
        {"output", required_argument, 0, 'o'},
        {"verbose", no_argument, 0, 'v'},
        {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},
        {0, 0, 0, 0},
    };
    int c;
    prog = bs_prog_name(argv[0], prog);
    argv[0] = (char *)prog; /* getopt's own messages name the command too */
    while ((c = getopt_long(argc, argv, "+o:vhV", longopts, NULL)) != -1) {
        if (c == 'V') {
            printf("%s %s\n", prog, BS_VERSION);
            return 0;
        } else if (c == 'o')
            output = optarg;
        else if (c == 'v')
            verbose = 1;
        else if (c == 'h') {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "Try '%s --help'.\n", prog);
            return 2;
        }
    }
    if (optind >= argc) {
        say("no GO-PROGRAM given\nTry '%s --help'.\n", prog);
        return 2;
    }
    char **cmd = &argv[optind];
    libbpf_set_print(libbpf_log);

    static struct gobin bin;
    static struct go_sites sites;
    struct go_span_layout layout;
    char why[512], path[4096];
    if (!realpath(cmd[0], path)) {
        say("%s: %s\n", cmd[0], strerror(errno));
        return 1;
    }
    if (gobin_open(&bin, path, why, sizeof why) != 0 ||
        go_sites_find(&bin, &sites, why, sizeof why) != 0) {
        say("%s\n", why);
        return 1;
    }
    if (span_layout(bin.minor, &layout) != 0) {
        say("%s: built by %s, whose runtime.mspan layout is not verified\n", path, bin.version);
        return 1;
    }

    /* The child, held before exec. */
    int go[2];
    if (pipe2(go, O_CLOEXEC) != 0) return 1;
    pid_t pid = fork();
    if (pid == 0) {
        char ch;
        close(go[1]);
        if (read(go[0], &ch, 1) != 1) _exit(127);
        execv(path, cmd);
        _exit(127);
    }
    close(go[0]);

    struct gorecord *skel = gorecord__open();
    int status = 1;
    struct bpf_link **links = calloc(sites.n, sizeof *links);
    struct ring_buffer *rb = NULL;
    FILE *out = NULL;
    struct go_shadow *sh = NULL;
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", output, (int)getpid());
    if (!skel || !links) goto done;
    skel->rodata->target_tgid = pid;
    skel->rodata->span = layout;
    if (gorecord__load(skel) != 0) {
        say("cannot load the BPF program (root, BPF cookies: kernel 5.15+)\n");
        goto done;
    }
    for (uint32_t i = 0; i < sites.n; i++)
        if (bpf_map_update_elem(bpf_map__fd(skel->maps.sites), &i, &sites.site[i].s, 0) != 0)
            goto done;
    for (size_t i = 0; i < sites.n; i++) {
        LIBBPF_OPTS(bpf_uprobe_opts, o, .bpf_cookie = i);
        links[i] = bpf_program__attach_uprobe_opts(skel->progs.go_site, pid, path,
                                                   sites.site[i].file_off, &o);
        if (!links[i]) {
            say("cannot attach a uprobe at %s+0x%llx (%s): %s\n", path,
                (unsigned long long)sites.site[i].file_off, go_fn_names[sites.site[i].s.fn],
                strerror(errno));
            goto done;
        }
    }
    /* As every recorder's file (docs/record.md): never through a symlink,
     * never over an existing file, readable by its owner only. */
    int ofd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    out = ofd >= 0 ? fdopen(ofd, "w") : NULL;
    if (!out) {
        if (ofd >= 0) close(ofd);
        say("cannot create %s: %s\n", tmp, strerror(errno));
        goto done;
    }
    setvbuf(out, NULL, _IOFBF, 1 << 20);
    struct hmap_native_file_header fh =
        hmap_native_file_header_make("bucketscope-gorecord " BS_VERSION, pid, now_ns());
    fwrite(&fh, sizeof fh, 1, out);
    sh = go_shadow_new(&bin, &sites, out, pid);
    rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_raw, sh, NULL);
    if (!sh || !rb) goto done;
    skel->bss->armed = 1;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    uint64_t t0 = now_ns();
    if (write(go[1], "g", 1) != 1) goto done;
    close(go[1]);
    go[1] = -1;
    say("recording %zu sites of %s (%s) to %s\n", sites.n, path, bin.version, output);
    int cs = 0;
    for (;;) {
        int err = ring_buffer__poll(rb, 10);
        if (err < 0 && err != -EINTR) {
            say("reading the ring buffer failed: %s\n", strerror(-err));
            goto done;
        }
        if (waitpid(pid, &cs, WNOHANG) == pid) break;
    }
    pid = 0;
    for (size_t i = 0; i < sites.n; i++)
        bpf_link__destroy(links[i]), links[i] = NULL;
    ring_buffer__consume(rb);

    uint64_t lost[2] = {0, 0};
    int ncpu = libbpf_num_possible_cpus();
    uint64_t v[512];
    if (ncpu > 512) ncpu = 512;
    for (uint32_t k = 0; k < 2; k++) {
        memset(v, 0, sizeof v);
        if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.losses), &k, v) == 0)
            for (int i = 0; i < ncpu; i++)
                lost[k] += v[i];
    }
    /* Probe hits per site, and those the BPF side dropped (docs/go.md, "Cost"). */
    uint64_t hits = 0, dropped = 0, emulated = 0;
    for (uint32_t i = 0; i < sites.n; i++) {
        uint64_t h = 0, d = 0;
        uint32_t k = i, kd = GO_MAX_SITES + i;
        memset(v, 0, sizeof v);
        if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.hits), &k, v) == 0)
            for (int c = 0; c < ncpu; c++)
                h += v[c];
        memset(v, 0, sizeof v);
        if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.hits), &kd, v) == 0)
            for (int c = 0; c < ncpu; c++)
                d += v[c];
        hits += h, dropped += d;
        if (sites.site[i].emulated) emulated += h;
        if (verbose && h)
            say("site %u %s 0x%llx %s: %llu hits, %llu dropped\n", i,
                go_fn_names[sites.site[i].s.fn], (unsigned long long)sites.site[i].vaddr,
                sites.site[i].text, (unsigned long long)h, (unsigned long long)d);
    }
    uint64_t t1 = now_ns();
    if (lost[0]) {
        struct hmap_native_lost_record lr =
            hmap_native_lost_record_make(t1, fh.pid, 0, lost[0], t0, t1);
        fwrite(&lr, sizeof lr, 1, out);
    }
    /* The end record: the recording stopped cleanly (docs/native-format.md,
     * "Crash guarantees"); a file without it reads as cut short. */
    struct hmap_native_end_record er =
        hmap_native_end_record_make(t1, fh.pid, go_shadow_stats(sh).native, lost[0], 0);
    fwrite(&er, sizeof er, 1, out);
    int wf = 0;
    uint64_t bytes = go_shadow_bytes(sh, &wf);
    if (fflush(out) != 0 || wf || fclose(out) != 0) {
        out = NULL;
        say("writing %s failed\n", tmp);
        goto done;
    }
    out = NULL;
    if (rename(tmp, output) != 0) {
        say("cannot rename %s: %s\n", tmp, strerror(errno));
        goto done;
    }
    struct go_shadow_stats st = go_shadow_stats(sh);
    say("%llu probe hits (%llu dropped in BPF, %llu at emulated branches), %llu records -> "
        "%llu events, %llu bytes, %llu lost, %.2f s -> %s "
        "(%llu sweeps, %llu unreadable; %llu stores outside tracked tophash; %llu "
        "hits on maps never seen created)\n",
        (unsigned long long)hits, (unsigned long long)dropped, (unsigned long long)emulated,
        (unsigned long long)st.raw, (unsigned long long)st.native,
        (unsigned long long)bytes + sizeof fh, (unsigned long long)lost[0], (t1 - t0) / 1e9, output,
        (unsigned long long)st.sweeps, (unsigned long long)st.sweeps_unread,
        (unsigned long long)st.stores_ignored, (unsigned long long)st.events_unknown_map);
    status = lost[0] ? 3 : 0;
    if (!(WIFEXITED(cs) && WEXITSTATUS(cs) == 0))
        say("%s exited abnormally (status 0x%x)\n", cmd[0], cs);
done:
    if (links)
        for (size_t i = 0; i < sites.n; i++)
            bpf_link__destroy(links[i]);
    free(links);
    if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    if (out) {
        fclose(out);
        unlink(tmp);
    }
    ring_buffer__free(rb);
    go_shadow_free(sh);
    gorecord__destroy(skel);
    gobin_close(&bin);
    return status;
}
