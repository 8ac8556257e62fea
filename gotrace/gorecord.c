// SPDX-License-Identifier: MIT
/*
 * gorecord.c — `bucketscope gorecord`: record the map of an unmodified Go
 * 1.19-1.23 amd64 program into a native trace (schema/hmap_native.h).
 *
 *   bucketscope-gorecord [-o FILE] [-d SECONDS] [-v] -- GO-PROGRAM [ARG...]
 *   bucketscope-gorecord [-o FILE] [-d SECONDS] [-v] -p PID
 *
 * A sibling of bucketscope-record rather than an option of it: the probes,
 * the BPF program and the ring's contents differ (raw register values, not
 * finished records), and the two share only the output format and the
 * launch-held-then-release approach of bpf/record.c, which this follows:
 * the child blocks on a pipe before execve(), every site is attached to its
 * pid (uprobes filter by mm, so every thread of the Go process is covered),
 * the program is armed, then the child is released.  Sites and binary
 * checks: sites.c, gobin.c; raw -> native: goshadow.c (docs/go.md).  With
 * -p the probes attach to a running process through /proc/PID/exe; its
 * maps made before that are unknown, and said so (docs/go.md, "Attaching").
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

/* The last tracked block of a heap page was freed: drop the page from the
 * BPF side's table, unless the traced program showed a block in it since
 * (its record may still be in the ring: 10 ms of slack for the ring's
 * order across CPUs), in which case it goes back. */
static void page_freed(void *ctx, uint64_t page, uint64_t ts)
{
    int fd = *(int *)ctx;
    uint64_t seen = 0;
    if (bpf_map_lookup_and_delete_elem(fd, &page, &seen) == 0 && seen + 10000000 > ts)
        bpf_map_update_elem(fd, &page, &seen, BPF_NOEXIST);
}

static volatile sig_atomic_t stop_signal;
static void on_signal(int sig)
{
    stop_signal = sig;
}

/* Has process PID ended (gone, or a zombie)? */
static int ended(pid_t pid)
{
    char p[64], buf[512];
    snprintf(p, sizeof p, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(p, "r");
    if (!f) return 1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *rp = strrchr(buf, ')'); /* comm may hold spaces and parentheses */
    return !rp || rp[1] != ' ' || rp[2] == 'Z' || rp[2] == 'X';
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: %s [-o FILE] [-d SECONDS] [-v] -- GO-PROGRAM [ARG...]\n"
            "       %s [-o FILE] [-d SECONDS] [-v] -p PID\n",
            prog, prog);
    fprintf(f, "Record the maps of an unmodified Go 1.19-1.23 amd64 program into a native\n"
               "trace (default FILE: bucketscope.hmtrace), from its start or, with -p, from now\n"
               "on (maps made before are listed as unseen, their state unknown).\n"
               "  -o, --output FILE    trace file\n"
               "  -p, --pid PID        attach to a running Go process\n"
               "  -d, --duration S     stop after S seconds (default: when the program ends, or\n"
               "                       at SIGINT/SIGTERM)\n"
               "  -v, --verbose        libbpf's log and every site's hits\n"
               "  -V, --version        print the version\n"
               "Exit status: 0 complete, 1 could not record, 2 usage, 3 written but events\n"
               "were lost.\n\n"
               "EXAMPLES:\n"
               "  bucketscope gorecord -o go.hmtrace -- ./server -listen :8080\n"
               "  bucketscope gorecord -p 4242 -d 30 -o svc.hmtrace\n");
}

int main(int argc, char **argv)
{
    const char *output = "bucketscope.hmtrace";
    pid_t attach = 0;
    double duration = 0;
    static const struct option longopts[] = {
        {"output", required_argument, 0, 'o'},
        {"pid", required_argument, 0, 'p'},
        {"duration", required_argument, 0, 'd'},
        {"verbose", no_argument, 0, 'v'},
        {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},
        {0, 0, 0, 0},
    };
    int c;
    prog = bs_prog_name(argv[0], prog);
    argv[0] = (char *)prog; /* getopt's own messages name the command too */
    while ((c = getopt_long(argc, argv, "+o:p:d:vhV", longopts, NULL)) != -1) {
        char *end;
        if (c == 'p') {
            long v = strtol(optarg, &end, 10);
            if (*end || v <= 0 || v > 0x3fffffff) {
                bs_say(prog, "invalid PID '%s'\nTry '%s --help'.\n", optarg, prog);
                return 2;
            }
            attach = (pid_t)v;
        } else if (c == 'd') {
            duration = strtod(optarg, &end);
            if (*end || !(duration > 0) || duration > 1e9) {
                bs_say(prog, "invalid duration '%s'\nTry '%s --help'.\n", optarg, prog);
                return 2;
            }
        } else if (c == 'V') {
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
    if (attach && optind < argc) {
        bs_say(prog, "-p PID and a GO-PROGRAM are exclusive\nTry '%s --help'.\n", prog);
        return 2;
    }
    if (!attach && optind >= argc) {
        bs_say(prog, "no GO-PROGRAM given\nTry '%s --help'.\n", prog);
        return 2;
    }
    char **cmd = &argv[optind];
    libbpf_set_print(libbpf_log);

    static struct gobin bin;
    static struct go_sites sites;
    struct go_span_layout layout;
    char why[512], path[4096], probe_path[64];
    if (attach) {
        /* The file the process runs, even if replaced or deleted since:
         * uprobes attach to the inode behind /proc/PID/exe. */
        snprintf(probe_path, sizeof probe_path, "/proc/%d/exe", (int)attach);
        ssize_t n = readlink(probe_path, path, sizeof path - 1);
        if (n < 0) {
            bs_say(prog, "process %d: %s\n", (int)attach, strerror(errno));
            return 1;
        }
        path[n] = '\0';
    } else if (!realpath(cmd[0], path)) {
        bs_say(prog, "%s: %s\n", cmd[0], strerror(errno));
        return 1;
    }
    const char *open_path = attach ? probe_path : path;
    if (gobin_open(&bin, open_path, why, sizeof why) != 0 ||
        go_sites_find(&bin, &sites, why, sizeof why) != 0) {
        bs_say(prog, "%s\n", why);
        return 1;
    }
    if (span_layout(bin.minor, &layout) != 0) {
        bs_say(prog, "%s: built by %s, whose runtime.mspan layout is not verified\n", path,
               bin.version);
        return 1;
    }
    snprintf(bin.path, sizeof bin.path, "%s", path); /* for messages and map_info */

    /* The child, held before exec; or the running process. */
    int go[2] = {-1, -1};
    pid_t pid = attach;
    if (!attach) {
        if (pipe2(go, O_CLOEXEC) != 0) return 1;
        pid = fork();
        if (pid == 0) {
            char ch;
            close(go[1]);
            if (read(go[0], &ch, 1) != 1) _exit(127);
            execv(path, cmd);
            _exit(127);
        }
        close(go[0]);
    }
    struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: wake the poll */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

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
        bs_say(prog, "cannot load the BPF program (root, BPF cookies: kernel 5.15+)\n");
        goto done;
    }
    for (uint32_t i = 0; i < sites.n; i++)
        if (bpf_map_update_elem(bpf_map__fd(skel->maps.sites), &i, &sites.site[i].s, 0) != 0)
            goto done;
    for (size_t i = 0; i < sites.n; i++) {
        LIBBPF_OPTS(bpf_uprobe_opts, o, .bpf_cookie = i);
        links[i] = bpf_program__attach_uprobe_opts(skel->progs.go_site, pid, open_path,
                                                   sites.site[i].file_off, &o);
        if (!links[i]) {
            bs_say(prog, "cannot attach a uprobe at %s+0x%llx (%s): %s\n", path,
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
        bs_say(prog, "cannot create %s: %s\n", tmp, strerror(errno));
        goto done;
    }
    setvbuf(out, NULL, _IOFBF, 1 << 20);
    struct hmap_native_file_header fh =
        hmap_native_file_header_make("bucketscope-gorecord " BS_VERSION, pid, now_ns());
    fwrite(&fh, sizeof fh, 1, out);
    sh = go_shadow_new(&bin, &sites, out, pid);
    rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_raw, sh, NULL);
    if (!sh || !rb) goto done;
    int pages_fd = bpf_map__fd(skel->maps.pages);
    go_shadow_on_page_freed(sh, page_freed, &pages_fd);
    skel->bss->armed = 1;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    uint64_t t0 = now_ns();
    if (!attach) {
        if (write(go[1], "g", 1) != 1) goto done;
        close(go[1]);
        go[1] = -1;
    }
    bs_say(prog, "recording %zu sites of %s (%s)%s to %s\n", sites.n, path, bin.version,
           attach ? " from now on (maps made before are unseen)" : "", output);
    int cs = 0, child_done = 0;
    for (;;) {
        int err = ring_buffer__poll(rb, 10);
        if (err < 0 && err != -EINTR) {
            bs_say(prog, "reading the ring buffer failed: %s\n", strerror(-err));
            goto done;
        }
        if (!attach && waitpid(pid, &cs, WNOHANG) == pid) {
            child_done = 1;
            break;
        }
        if (attach && ended(pid)) break;
        if (stop_signal || (duration > 0 && now_ns() - t0 >= duration * 1e9)) break;
    }
    /* Not ours to kill (-p), reaped, or left running when the recording
     * stops first (duration, signal). */
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
            bs_say(prog, "site %u %s 0x%llx %s: %llu hits, %llu dropped\n", i,
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
        bs_say(prog, "writing %s failed\n", tmp);
        goto done;
    }
    out = NULL;
    if (rename(tmp, output) != 0) {
        bs_say(prog, "cannot rename %s: %s\n", tmp, strerror(errno));
        goto done;
    }
    struct go_shadow_stats st = go_shadow_stats(sh);
    /* A map whose type cannot be read is not traced at all: said, never silent. */
    char types[96] = "";
    if (st.types_unread)
        snprintf(types, sizeof types, "; %llu maps not traced: their type is not in the binary",
                 (unsigned long long)st.types_unread);
    bs_say(prog,
           "%llu probe hits (%llu dropped in BPF, %llu at emulated branches), %llu records -> "
           "%llu events, %llu bytes, %llu lost, %.2f s -> %s "
           "(%llu sweeps, %llu unreadable; %llu stores outside tracked tophash; %llu "
           "hits on %llu maps never seen created, state unknown%s)\n",
           (unsigned long long)hits, (unsigned long long)dropped, (unsigned long long)emulated,
           (unsigned long long)st.raw, (unsigned long long)st.native,
           (unsigned long long)bytes + sizeof fh, (unsigned long long)lost[0], (t1 - t0) / 1e9,
           output, (unsigned long long)st.sweeps, (unsigned long long)st.sweeps_unread,
           (unsigned long long)st.stores_ignored, (unsigned long long)st.events_unknown_map,
           (unsigned long long)st.maps_unseen, types);
    status = lost[0] ? 3 : 0;
    if (child_done && !(WIFEXITED(cs) && WEXITSTATUS(cs) == 0))
        bs_say(prog, "%s exited abnormally (status 0x%x)\n", cmd[0], cs);
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
