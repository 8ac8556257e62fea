// SPDX-License-Identifier: MIT
/*
 * record.c — `bucketscope record`: record every hmap:* USDT probe of a binary
 * or shared library into a native trace file (schema/hmap_native.h).
 *
 *   bucketscope-record [-l LIB] [-o FILE] [-b BYTES] [-d SECONDS] [-v] -- CMD [ARG...]
 *   bucketscope-record [-l LIB] [-o FILE] [-b BYTES] [-d SECONDS] [-v] -p PID
 *   bucketscope-record [-l LIB] [-o FILE] [-b BYTES] [-d SECONDS] [-v]      (system-wide)
 *   ... -i INTERVAL [-T] [--json] [COUNT] ...     live tables (record_live.c, docs/live.md)
 *
 * The BPF program (record.bpf.c) writes finished native records into a ring
 * buffer; this loader attaches it, copies the records to FILE.tmp.<pid>,
 * appends `lost` records whenever a loss counter grows, and renames the file
 * to FILE only when the recording ended normally.  A recording that cannot
 * be finished as FILE is still kept under its temporary name: whole when
 * only the rename failed, cut at its last complete record when a write
 * failed (a full disk), and the exit status says which (docs/record.md,
 * "Exit status").
 *
 * Launching a command: the child is forked and blocks on a pipe before
 * execve(); the probes are attached to the child's pid (the uprobes follow the
 * task across exec, and the kernel installs them and bumps the semaphores when
 * the new image maps the library), then the child is released.  So no event of
 * the command is lost to the attach race and no other process pays for a trap.
 * Descendants of the command are not traced; use the system-wide mode for them.
 *
 * hmap:statedump_done is attached last, after arming: attaching it is what
 * asks a running libhmap for the state of its existing maps (docs/record.md,
 * "State at attach"), so the dump must find the recording already on.
 */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdio_ext.h> /* __fpurge */
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bs_prog.h"
#include "hmap_native_write.h"
#include "hmap_native_pack.h"
#include "libpath.h"
#include "record.h"
#include "record.skel.h"
#include "record_live.h"
#include "usdt_spec.h"

/* The name as typed: "bucketscope record" through the dispatcher (bs_prog.h). */
static const char *prog = "bucketscope-record";

/* Exit codes (documented in docs/record.md). */
enum {
    EXIT_OK = 0,      /* recording complete, nothing lost */
    EXIT_FAIL = 1,    /* could not record: no output file left behind */
    EXIT_USAGE = 2,   /* bad command line */
    EXIT_LOSSY = 3,   /* file written, but events were lost (counted in it) */
    EXIT_EMPTY = 4,   /* file written (valid), but no probe fired: nothing recorded */
    EXIT_KEPT = 5,    /* complete, but could not be renamed: kept under its temporary name */
    EXIT_PARTIAL = 6, /* a write failed (disk full): the part written kept, temporary name */
    EXIT_LIVE = 7,    /* complete, but the live report of -i failed (said on stderr) */
};

/* Every probe of the schema, as (event id, probe name). */
static const struct probe {
    uint16_t id;
    const char *name;
} probes[] = {
#define PROBE_EV_(id_, name, desc, fields) {id_, #name},
    HMAP_EVENTS(PROBE_EV_, HMAP_IGNORE_F_, HMAP_IGNORE_E_, HMAP_IGNORE_S_)
#undef PROBE_EV_
};
#define NPROBES (sizeof(probes) / sizeof(probes[0]))

/* The BPF program of event id (record.bpf.c: rec_<event>), or NULL. */
static struct bpf_program *program_of(const struct record *skel, uint16_t id)
{
    switch (id) {
#define PROG_EV_(id_, name, desc, fields)                                                          \
    case id_:                                                                                      \
        return skel->progs.rec_##name;
        HMAP_EVENTS(PROG_EV_, HMAP_IGNORE_F_, HMAP_IGNORE_E_, HMAP_IGNORE_S_)
#undef PROG_EV_
    }
    return NULL;
}

/* The probe whose attach makes libhmap dump the state of its maps, and how
 * long -p waits for that dump's statedump_done (docs/record.md, "State at
 * attach"): libhmap's agent polls every 100 ms, so 2 s leaves a loaded
 * machine plenty of time, and a process that does not dump costs 2 s at
 * most before it is said so (the recording goes on meanwhile). */
#define TRIGGER_ID HMAP_EV_statedump_done
#define STATE_WAIT_NS (2 * 1000000000ull)

struct options {
    const char *lib;    /* binary or shared library holding the probes */
    const char *output; /* final file name */
    uint32_t ring_bytes;
    double duration_s; /* 0: until stopped */
    pid_t pid;         /* -p, or 0 */
    char **cmd;        /* after "--", or NULL */
    bool verbose;
    struct record_live live; /* -i INTERVAL [COUNT], -T, --json (record_live.h) */
};

/* Loss totals as last seen, and how much of each is already in the file. */
struct loss_state {
    uint64_t ring_full, ring_full_written;
    uint64_t unarmed, unarmed_written;
    /* -p: attach-window hits are held back until the state at attach is
     * known; if every map's state came, they are superseded by it. */
    bool hold_unarmed;
    uint64_t unarmed_superseded;
    uint64_t recursion, recursion_written;
    uint64_t last_check_ns; /* drops after this moment are not yet written */
};

struct recording {
    FILE *out;
    char tmp_path[PATH_MAX];
    uint64_t events, bytes;
    uint64_t lost_written; /* events the file's lost records count, for its end record */
    uint64_t data_start;   /* where records begin: the header's length */
    /* The chunk being packed (docs/native-format.md, version 3): written
     * when full, when a record is earlier than its last, and at the end. */
    struct hmap_native_chunker *chunk;
    uint64_t chunks;   /* chunks written */
    uint32_t rec_pid;  /* pid written into lost records: the target, or 0 */
    bool write_failed; /* once set, nothing more is written (no gap in the file) */
    int write_errno;   /* of the write that failed */
    struct loss_state loss;
    /* -p: the target's statedump_done, taken while state_window is open. */
    bool state_window, state_seen;
    struct hmap_native_statedump_done state;
};

static volatile sig_atomic_t stop_signal; /* last SIGINT/SIGTERM received */
static volatile sig_atomic_t signal_count;

static void usage_line(FILE *f)
{
    fprintf(f,
            "usage: %s [-l LIB] [-o FILE] [-b BYTES] [-d SECONDS] [-v] [-i INTERVAL [-T] [--json]] "
            "[-p PID | -- CMD [ARG...]] [COUNT]\n",
            prog);
}

static void usage(FILE *f)
{
    usage_line(f);
    fprintf(
        f, "Record every hmap:* USDT probe of LIB into a native trace file.\n"
           "  -l, --lib PATH       binary or shared library with the probes (default: with -p,\n"
           "                       the libhmap.so PID has mapped, or its executable if it holds\n"
           "                       the probes; with CMD, CMD if it holds them, else the\n"
           "                       libhmap.so its dynamic linker loads; system-wide: required)\n"
           "  -o, --output FILE    trace file to write (default: bucketscope.hmtrace)\n"
           "  -p, --pid PID        record only this running process\n"
           "  -- CMD [ARG...]      run CMD and record it from its first instruction\n"
           "                       (without -p or CMD: every process that maps LIB)\n"
           "  -b, --ring-size N    BPF ring buffer bytes, power of two, K/M suffix (default: 4M)\n"
           "  -d, --duration S     stop S seconds after the probes are attached\n"
           "  -i, --interval S     live: every S seconds a table per map (bytes held, empty\n"
           "                       bytes, deletes, reused / reclaimed / retained, p50/p99\n"
           "                       latencies, growths, lost events; docs/live.md), then the\n"
           "                       full report of FILE when the recording ends; COUNT (a\n"
           "                       number after the options) stops it after COUNT tables\n"
           "  -T, --timestamp      -i: a wall-clock time on each table's header line\n"
           "      --json           -i: tables and report as JSON (one line per table)\n"
           "  -v, --verbose        print libbpf's log\n"
           "  -V, --version        print the version and exit\n"
           "Stops on SIGINT/SIGTERM, after -d, or when CMD / PID exits.  Exit status: 0 complete,\n"
           "1 could not record (no file written), 2 usage, 3 written but events were lost,\n"
           "4 written but no probe fired (an empty, valid trace), 5 complete but not renamed\n"
           "to FILE (kept as FILE.tmp.PID, said on stderr), 6 a write failed (disk full): the\n"
           "part written is kept as FILE.tmp.PID, cut at its last whole record; 7 complete, but\n"
           "the live report of -i failed; otherwise, with CMD, CMD's own status when it\n"
           "failed (128+N when killed by signal N).\n"
           "Examples:\n"
           "  bucketscope record -o app.hmtrace -- ./app   # record a run, report it later\n"
           "  bucketscope record -p 1234 -d 10              # 10 s of a running process\n"
           "  bucketscope record -i 1 -p 1234               # a table every second until Ctrl-C\n"
           "  bucketscope record -i 1 3 -- ./app            # three tables, then the report\n");
}

/* A usage error: the reason, one usage line and where the rest is (not the
 * whole help, which would push the reason out of view). */
static void usage_hint(void)
{
    usage_line(stderr);
    fprintf(stderr, "Try '%s --help'.\n", prog);
}

static void die_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bs_vsay(prog, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    usage_hint();
    exit(EXIT_USAGE);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

/* "4M", "65536", "64K": a power of two of at least one page. */
static bool parse_ring_size(const char *s, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s) return false;
    if (*end == 'K' || *end == 'k')
        v <<= 10, end++;
    else if (*end == 'M' || *end == 'm')
        v <<= 20, end++;
    if (*end || v < (unsigned long long)sysconf(_SC_PAGESIZE) || v > (1ull << 30) || (v & (v - 1)))
        return false;
    *out = (uint32_t)v;
    return true;
}

static void parse_options(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        {"lib", required_argument, 0, 'l'},
        {"output", required_argument, 0, 'o'},
        {"pid", required_argument, 0, 'p'},
        {"ring-size", required_argument, 0, 'b'},
        {"duration", required_argument, 0, 'd'},
        {"verbose", no_argument, 0, 'v'},
        {"interval", required_argument, 0, 'i'},
        {"timestamp", no_argument, 0, 'T'},
        {"json", no_argument, 0, 'J'},
        {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},
        {0, 0, 0, 0},
    };
    char *end;
    int c;

    *o = (struct options){.output = "bucketscope.hmtrace", .ring_bytes = RECORD_DEFAULT_RING_BYTES};
    prog = bs_prog_name(argv[0], prog);
    argv[0] = (char *)prog; /* getopt's own messages name the command too */
    /* "+": stop at the first non-option so CMD's own options are left alone. */
    while ((c = getopt_long(argc, argv, "+l:o:p:b:d:vhVi:T", longopts, NULL)) != -1) {
        switch (c) {
        case 'l':
            o->lib = optarg;
            break;
        case 'o':
            o->output = optarg;
            break;
        case 'p': {
            long v = strtol(optarg, &end, 10);
            if (*end || end == optarg || v <= 0 || v > INT_MAX)
                die_usage("-p needs a process id, not '%s'", optarg);
            o->pid = (pid_t)v;
            break;
        }
        case 'b':
            if (!parse_ring_size(optarg, &o->ring_bytes))
                die_usage("-b needs a power of two between one page and 1G (e.g. 4M), not '%s'",
                          optarg);
            break;
        case 'd':
            o->duration_s = strtod(optarg, &end);
            if (*end || end == optarg || !(o->duration_s > 0) || o->duration_s > 1e7)
                die_usage("-d needs a positive number of seconds, not '%s'", optarg);
            break;
        case 'v':
            o->verbose = true;
            break;
        case 'i':
            o->live.interval_s = strtod(optarg, &end);
            if (*end || end == optarg || !(o->live.interval_s >= 0.01) ||
                o->live.interval_s > 86400)
                die_usage("-i needs a number of seconds (at least 0.01), not '%s'", optarg);
            break;
        case 'T':
            o->live.timestamps = true;
            break;
        case 'J':
            o->live.json = true;
            break;
        case 'h':
            usage(stdout);
            exit(EXIT_OK);
        case 'V':
            /* "<command> <version>": the project's version, as every command. */
            printf("%s %s\n", prog, BS_VERSION);
            exit(EXIT_OK);
        default: /* getopt said what is wrong */
            usage_hint();
            exit(EXIT_USAGE);
        }
    }
    /* COUNT, libbpf-tools' positional: a number before CMD ("-i 1 3 -- CMD")
     * or after the options of -p and system-wide ("-p PID -i 1 3").  A "--"
     * getopt took means no COUNT is there. */
    bool after_dashes = optind > 0 && strcmp(argv[optind - 1], "--") == 0;
    if (!after_dashes && optind < argc && argv[optind][0] >= '0' && argv[optind][0] <= '9') {
        unsigned long long v = strtoull(argv[optind], &end, 10);
        if (!*end) {
            if (!o->live.interval_s) die_usage("COUNT (%s) needs -i INTERVAL", argv[optind]);
            if (!v) die_usage("COUNT must be at least 1");
            o->live.count = v;
            optind++;
            if (optind < argc && strcmp(argv[optind], "--") == 0) optind++;
        }
    }
    if ((o->live.timestamps || o->live.json) && !o->live.interval_s)
        die_usage("-T and --json are for the live tables of -i INTERVAL");
    if (optind < argc) o->cmd = &argv[optind];
    if (o->cmd && o->pid) die_usage("-p and a command are exclusive");
    if (!*o->output) die_usage("-o needs a file name");
    /* Up front, not after the run: the final rename onto a directory fails,
     * and the whole recording would have been made for nothing. */
    struct stat st;
    size_t olen = strlen(o->output);
    if ((stat(o->output, &st) == 0 && S_ISDIR(st.st_mode)) || o->output[olen - 1] == '/')
        die_usage(
            "-o %s is a directory: name the trace file to write (e.g. %s%sbucketscope.hmtrace)",
            o->output, o->output, o->output[olen - 1] == '/' ? "" : "/");
    if (!o->lib && !o->cmd && !o->pid)
        die_usage("system-wide recording needs -l LIB: the library (or static program) whose "
                  "probes every process shares");
}

static bool verbose_libbpf;
static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
    if (!verbose_libbpf) return 0;
    return vfprintf(stderr, fmt, ap);
}

static void on_signal(int sig)
{
    stop_signal = sig;
    signal_count++;
}

/* No SA_RESTART: a signal must interrupt the ring buffer's epoll_wait. */
static void install_signal_handlers(void)
{
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* One line saying what is missing, for a load or attach failure. */
static void explain_failure(const char *what, int err)
{
    err = err < 0 ? -err : err;
    if (err == EPERM || err == EACCES)
        bs_say(prog,
               "cannot %s: %s; recording needs root (or CAP_BPF, CAP_PERFMON and "
               "CAP_SYS_RESOURCE)\n",
               what, strerror(err));
    else if (err == ENOSYS)
        bs_say(prog, "cannot %s: this kernel has no bpf() system call\n", what);
    else if (access("/sys/bus/event_source/devices/uprobe", F_OK) != 0)
        bs_say(prog, "cannot %s: %s; this kernel has no uprobe support\n", what, strerror(err));
    else
        bs_say(prog,
               "cannot %s: %s; needs a kernel with BPF ring buffers (5.8) and BPF cookies "
               "(5.15); run with -v for libbpf's log\n",
               what, strerror(err));
}

/* ---- launching the command ------------------------------------------------ */

struct child {
    pid_t pid;
    int go_fd;  /* write a byte to let the child exec */
    int err_fd; /* the child reports a failed execvp errno here; EOF = exec'd */
};

/*
 * Fork a child that waits on a pipe before execvp(): probes are attached to
 * its pid while it cannot run any of the command's code.  If this process
 * dies first, the pipe reads EOF and the child exits without running CMD.
 */
static int spawn_held(char **cmd, struct child *ch)
{
    int go[2], errp[2];
    if (pipe2(go, O_CLOEXEC) || pipe2(errp, O_CLOEXEC)) return -errno;
    pid_t pid = fork();
    if (pid < 0) return -errno;
    if (pid == 0) {
        char c;
        close(go[1]);
        close(errp[0]);
        if (read(go[0], &c, 1) != 1) _exit(127);
        execvp(cmd[0], cmd);
        int e = errno;
        if (write(errp[1], &e, sizeof(e)) < 0) _exit(127);
        _exit(127);
    }
    close(go[0]);
    close(errp[1]);
    *ch = (struct child){.pid = pid, .go_fd = go[1], .err_fd = errp[0]};
    return 0;
}

/* Release the held child; returns 0 once it has exec'd, or -errno of execvp. */
static int release_child(struct child *ch)
{
    int e = 0;
    ssize_t n;
    if (write(ch->go_fd, "g", 1) != 1) return -errno;
    close(ch->go_fd);
    ch->go_fd = -1;
    do
        n = read(ch->err_fd, &e, sizeof(e));
    while (n < 0 && errno == EINTR);
    close(ch->err_fd);
    ch->err_fd = -1;
    return n == sizeof(e) ? -e : 0;
}

/* ---- the output file ------------------------------------------------------ */

/*
 * The file is created 0600 (docs/record.md, "Output file mode"): a trace shows
 * the addresses and sizes of another process's memory, which root must not
 * hand to every user.  With -p it then belongs to the target process's
 * owner, who may read the trace of their own process; the mode stays 0600.
 */
static int open_output(struct recording *r, const char *path, uint32_t pid)
{
    snprintf(r->tmp_path, sizeof(r->tmp_path), "%s.tmp.%d", path, (int)getpid());
    int fd = open(r->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        bs_say(prog, "cannot create %s: %s\n", r->tmp_path, strerror(errno));
        r->tmp_path[0] = '\0';
        return -1;
    }
    char proc[32];
    struct stat st;
    snprintf(proc, sizeof(proc), "/proc/%u", pid);
    if (pid && stat(proc, &st) == 0 && st.st_uid != geteuid() &&
        fchown(fd, st.st_uid, st.st_gid) != 0)
        bs_say(prog, "warning: cannot give %s to uid %u (the owner of process %u): %s\n",
               r->tmp_path, (unsigned)st.st_uid, pid, strerror(errno));
    r->out = fdopen(fd, "w");
    if (!r->out) {
        bs_say(prog, "cannot create %s: %s\n", r->tmp_path, strerror(errno));
        close(fd);
        return -1;
    }
    setvbuf(r->out, NULL, _IOFBF, 1 << 20);
    r->chunk = malloc(sizeof(*r->chunk));
    if (!r->chunk) {
        bs_say(prog, "cannot create %s: %s\n", r->tmp_path, strerror(ENOMEM));
        return -1;
    }
    hmap_native_chunker_clear(r->chunk);

    struct hmap_native_file_header h =
        hmap_native_file_header_make_packed("bucketscope-record " BS_VERSION " bpf", pid, now_ns());
    if (fwrite(&h, sizeof(h), 1, r->out) != 1) r->write_failed = true;
    r->bytes = sizeof(h);
    return 0;
}

/* Append to the file, unless a write already failed: then the bytes are
 * only counted (r->bytes), so that what is on disk is a prefix of the
 * recording and finish() can cut it at a record boundary. */
static void put(struct recording *r, const void *data, size_t size)
{
    if (r->write_failed) return;
    if (fwrite(data, size, 1, r->out) != 1) {
        r->write_failed = true;
        r->write_errno = errno ? errno : EIO;
    }
}

/* Write the chunk being packed, if it holds anything. */
static void flush_chunk(struct recording *r)
{
    struct hmap_native_chunker *c = r->chunk;
    if (!c || !c->records) return;
    struct hmap_native_chunk_record cr = hmap_native_chunker_record(c, r->chunks++);
    put(r, &cr, sizeof(cr));
    put(r, c->body, c->len);
    r->bytes += sizeof(cr) + c->len;
    hmap_native_chunker_clear(c);
}

/* Pack one fixed-layout record (the ring's, or a lost record) into the
 * file's current chunk; -1 for an id the encoder does not know. */
static int pack(struct recording *r, const struct hmap_native_rec_header *h)
{
    int added = hmap_native_chunker_add(r->chunk, h, h + 1);
    if (added == 0) { /* full, or earlier than the chunk's last record */
        flush_chunk(r);
        added = hmap_native_chunker_add(r->chunk, h, h + 1);
    }
    return added == 1 ? 0 : -1;
}

static void discard_output(struct recording *r)
{
    if (r->out) fclose(r->out);
    r->out = NULL;
    free(r->chunk);
    r->chunk = NULL;
    if (r->tmp_path[0]) unlink(r->tmp_path);
}

/* Ring buffer callback: each sample is a complete fixed-layout record,
 * packed here into the current chunk. */
static int on_record(void *ctx, void *data, size_t size)
{
    struct recording *r = ctx;
    const struct hmap_native_rec_header *h = data;

    if (size < sizeof(*h) || h->size != size || hmap_native_rec_size(h->id) != size) {
        bs_say(prog, "internal error: malformed ring record (id %u, %zu bytes)\n",
               size >= sizeof(*h) ? h->id : 0, size);
        return -EINVAL;
    }
    if (pack(r, h) < 0) {
        bs_say(prog, "internal error: cannot pack ring record id %u\n", h->id);
        return -EINVAL;
    }
    if (h->id == TRIGGER_ID && r->state_window && !r->state_seen) {
        memcpy(&r->state, (const char *)data + sizeof(*h), sizeof(r->state));
        r->state_seen = true;
    }
    r->events++;
    return 0;
}

static void write_lost(struct recording *r, uint64_t count, uint64_t first_ns, uint64_t last_ns)
{
    struct hmap_native_lost_record rec =
        hmap_native_lost_record_make(last_ns, r->rec_pid, 0, count, first_ns, last_ns);
    pack(r, &rec.h); /* a lost record is always known */
    r->lost_written += count;
}

/* The end record: the recording stopped cleanly and the file is whole
 * (docs/native-format.md, "Crash guarantees"); a file without it was cut. */
static void write_end(struct recording *r)
{
    flush_chunk(r);
    struct hmap_native_end_record rec =
        hmap_native_end_record_make(now_ns(), r->rec_pid, r->events, r->lost_written, r->chunks);
    put(r, &rec, sizeof(rec));
    r->bytes += sizeof(rec);
}

/*
 * Bring the file's lost records up to date with the counters: each counter's
 * growth since the last check becomes one `lost` record whose time range is
 * (last check, latest drop seen).  Call after draining the ring, so the record
 * lands after the events that were recorded before the drops were noticed.
 */
static void sync_losses(struct recording *r, struct record *skel, uint64_t start_ns)
{
    struct loss_state *l = &r->loss;
    int ncpu = libbpf_num_possible_cpus();
    struct record_losses per_cpu[ncpu > 0 ? ncpu : 1];
    uint64_t ring_full = 0, unarmed = 0, ring_last = 0, unarmed_last = 0, now = now_ns();
    uint32_t zero = 0;

    /* Zeroed although the kernel fills it: valgrind only knows one CPU's share. */
    memset(per_cpu, 0, sizeof(per_cpu));
    if (ncpu > 0 && bpf_map_lookup_elem(bpf_map__fd(skel->maps.losses), &zero, per_cpu) == 0) {
        for (int i = 0; i < ncpu; i++) {
            ring_full += per_cpu[i].ring_full;
            unarmed += per_cpu[i].unarmed;
            if (per_cpu[i].ring_full_last_ns > ring_last) ring_last = per_cpu[i].ring_full_last_ns;
            if (per_cpu[i].unarmed_last_ns > unarmed_last)
                unarmed_last = per_cpu[i].unarmed_last_ns;
        }
    }
    uint64_t recursion = 0;
    for (size_t i = 0; i < NPROBES; i++) {
        struct bpf_prog_info info = {};
        uint32_t len = sizeof(info);
        if (bpf_obj_get_info_by_fd(bpf_program__fd(program_of(skel, probes[i].id)), &info, &len) ==
            0)
            recursion += info.recursion_misses;
    }
    l->recursion = recursion;
    l->ring_full = ring_full;
    l->unarmed = unarmed;

    if (l->unarmed > l->unarmed_written && !l->hold_unarmed) {
        write_lost(r, l->unarmed - l->unarmed_written, start_ns, unarmed_last);
        l->unarmed_written = l->unarmed;
    }
    if (l->ring_full > l->ring_full_written) {
        /* A drop stamped just before the last check may be counted only now. */
        uint64_t first = ring_last < l->last_check_ns ? ring_last : l->last_check_ns;
        write_lost(r, l->ring_full - l->ring_full_written, first, ring_last);
        l->ring_full_written = l->ring_full;
    }
    if (l->recursion > l->recursion_written) {
        write_lost(r, l->recursion - l->recursion_written, l->last_check_ns, now);
        l->recursion_written = l->recursion;
    }
    l->last_check_ns = now;
}

/*
 * Open and load the BPF object with a ring of ring_bytes and the argument
 * table specs (usdt_spec.h); *skel is NULL on error.
 */
static int open_and_load(struct record **skel, uint32_t ring_bytes, bool sleepable,
                         const struct record_arg_spec specs[HMAP_EVENT_MAX_ID + 1][RECORD_MAX_ARGS])
{
    struct record *s = record__open();
    int err;

    if (!s) return -errno;
    bpf_map__set_max_entries(s->maps.events, ring_bytes);
    s->rodata->wake_bytes = ring_bytes / 4;
    /* wake_flags() in record.bpf.c subtracts a record from the waiting bytes
     * once they reach wake_bytes, a quarter of a ring of at least 4 KiB. */
    _Static_assert(HMAP_NATIVE_REC_SIZE(HMAP_NATIVE_MAX_PAYLOAD) + 8 <= 4096 / 4,
                   "a record is smaller than the smallest wake mark");
    s->rodata->wake_gran = ring_bytes / 4 < 4096 ? ring_bytes / 4 : 4096;
    s->rodata->can_sleep = sleepable;
    _Static_assert(sizeof(s->rodata->arg_spec) ==
                       sizeof(struct record_arg_spec) * (HMAP_EVENT_MAX_ID + 1) * RECORD_MAX_ARGS,
                   "arg_spec of record.bpf.c and record.h disagree");
    memcpy((void *)s->rodata->arg_spec, specs, sizeof(s->rodata->arg_spec));
    for (size_t i = 0; sleepable && i < NPROBES; i++) {
        struct bpf_program *p = program_of(s, probes[i].id);
        bpf_program__set_flags(p, bpf_program__flags(p) | BPF_F_SLEEPABLE);
    }
    err = record__load(s);
    if (err) {
        record__destroy(s);
        s = NULL;
    }
    *skel = s;
    return err;
}

/* ---- attaching ------------------------------------------------------------ */

/* Attach the handler to probe i; prints why not and returns -errno on failure. */
static int attach_one(struct record *skel, const char *lib, pid_t pid, size_t i,
                      struct bpf_link **link)
{
    LIBBPF_OPTS(bpf_usdt_opts, opts, .usdt_cookie = probes[i].id);
    *link = bpf_program__attach_usdt(program_of(skel, probes[i].id), pid, lib, "hmap",
                                     probes[i].name, &opts);
    if (*link) return 0;
    int err = -errno;
    if (err == -ENOENT)
        bs_say(prog,
               "cannot attach: %s has no USDT probe hmap:%s (not a libhmap "
               "built with USDT probes?)\n",
               lib, probes[i].name);
    else if (err == -ESRCH)
        bs_say(prog, "cannot attach: process %d is gone\n", (int)pid);
    else {
        char what[PATH_MAX + 64];
        snprintf(what, sizeof(what), "attach to hmap:%s in %s", probes[i].name, lib);
        explain_failure(what, err);
    }
    return err;
}

/* Attach the handler to every probe but the trigger (links[] of the trigger
 * stays NULL); on failure destroys what was attached. */
static int attach_all_but_trigger(struct record *skel, const char *lib, pid_t pid,
                                  struct bpf_link **links)
{
    for (size_t i = 0; i < NPROBES; i++) {
        if (probes[i].id == TRIGGER_ID) continue;
        int err = attach_one(skel, lib, pid, i, &links[i]);
        if (err) {
            while (i--) {
                bpf_link__destroy(links[i]);
                links[i] = NULL;
            }
            return err;
        }
    }
    return 0;
}

static size_t trigger_index(void)
{
    size_t i = 0;
    while (probes[i].id != TRIGGER_ID)
        i++;
    return i;
}

/* True once pid has exited, also while it is an unreaped zombie. */
static bool process_gone(pid_t pid)
{
    char path[64], buf[512];
    if (kill(pid, 0) != 0 && errno == ESRCH) return true;
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return true;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *paren = strrchr(buf, ')'); /* the command name may contain spaces */
    return paren && (paren[2] == 'Z' || paren[2] == 'X');
}

/*
 * Whether pid has lib mapped now (false if it cannot be told).  By file id,
 * not path text: the process may reach the library by another path than ours
 * (a symlinked directory, /proc/PID/root, a bind mount), and a library
 * replaced on disk since the process mapped it is another file, whose
 * uprobes that process never hits.
 */
static bool is_mapped(pid_t pid, const struct bs_file_id *lib)
{
    return bs_pid_maps_file(pid, lib) == 1;
}

/* A warning, not an error: the process may still load the library later. */
static bool warn_if_not_mapped(pid_t pid, const struct bs_file_id *id, const char *lib)
{
    bool found = is_mapped(pid, id);
    if (!found)
        bs_say(prog,
               "warning: process %d has not mapped %s (yet); nothing is "
               "recorded until it does\n",
               (int)pid, lib);
    return found;
}

/* ---- the steps of a recording ------------------------------------------- */

/* Everything one run holds.  Each step below either succeeds or prints why
 * it failed and returns -1; main then only cleans up (cleanup()), so a
 * failed run leaves no output file and no unreleased child behind. */
struct session {
    struct options o;
    struct recording r;
    struct record *skel;
    struct ring_buffer *rb;
    int wait_fd; /* epoll on a ring of RECORD_SLEEP_RING_BYTES or more, edge-triggered; else -1 */
    struct bpf_link *links[NPROBES];
    bool linked; /* links[] are attached */
    struct child ch;
    char lib[PATH_MAX];       /* o.lib, resolved */
    struct bs_file_id lib_id; /* which file that is (is_mapped) */
    char *lib_found;          /* o.lib when found from the target (no -l) */
    bool mapped;              /* -p: the process had mapped lib at some check */
    uint64_t next_map_check;  /* -p, until mapped: when to look at its maps again */
    pid_t target;             /* the command's pid, -p's, or 0 (system-wide) */
    uint64_t start_ns;        /* the recording's clock: loss records start here */
    uint64_t armed_ns;        /* the program armed: -d counts from here */
    uint64_t state_wait_end;  /* -p: until when the state dump is waited for, 0 when done */
    uint64_t stopped_ns;      /* when the recording was stopped (finish) */
    const char *final_path;   /* where the trace is: o.output, or r.tmp_path when kept */
    bool child_exited;
    int child_status;
};

/*
 * Privilege first: a user without it must be told that, whatever else is
 * wrong, since it is the one thing they have to fix.  The recorder's own
 * program is only loaded once the library is known (its argument table
 * comes from the library's notes), so the privilege is asked with the
 * smallest program of the same type, "r0 = 0; exit".  Any other failure is
 * left to load_program(), which says what it is.
 */
static int check_privilege(void)
{
    const struct bpf_insn insns[] = {
        {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0},
        {.code = BPF_JMP | BPF_EXIT},
    };
    int fd = bpf_prog_load(BPF_PROG_TYPE_KPROBE, "rec_privilege", "GPL", insns,
                           sizeof(insns) / sizeof(insns[0]), NULL);
    if (fd >= 0) {
        close(fd);
        return 0;
    }
    int err = errno;
    if (err == EPERM || err == EACCES) {
        explain_failure("load the BPF program", err);
        return -1;
    }
    return 0;
}

/*
 * Load the program with the argument table decoded from the library's
 * notes (usdt_spec.c; what it leaves undecoded goes through libbpf's
 * bpf_usdt_arg()).  Sleepable first (it can fault in a string argument),
 * then plain.
 */
static int load_program(struct session *s)
{
    static struct record_arg_spec specs[HMAP_EVENT_MAX_ID + 1][RECORD_MAX_ARGS];
    char why[256];
    int n = usdt_spec_read(s->lib, specs, why, sizeof(why));
    if (verbose_libbpf)
        bs_say(prog, "argument specs of %d of %d probes decoded by the recorder%s%s\n",
               n < 0 ? 0 : n, (int)NPROBES, why[0] ? "; libbpf decodes the others: " : "", why);
    int err = open_and_load(&s->skel, s->o.ring_bytes, true, specs);
    if (err && err != -EPERM && err != -EACCES)
        err = open_and_load(&s->skel, s->o.ring_bytes, false, specs);
    if (err) {
        explain_failure("load the BPF program", err);
        return -1;
    }
    return 0;
}

/* The -p process exists and the library is known (checked after the
 * privilege): -l, or found from the target (libpath.c, docs/record.md
 * "Which library"). */
static int check_library_and_pid(struct session *s)
{
    char found[PATH_MAX], why[PATH_MAX + 256];
    if (s->o.pid && kill(s->o.pid, 0) != 0 && errno == ESRCH) {
        bs_say(prog, "no process %d\n", (int)s->o.pid);
        return -1;
    }
    if (!s->o.lib) {
        int rc = s->o.pid ? bs_lib_for_pid(s->o.pid, found, sizeof(found), why, sizeof(why))
                          : bs_lib_for_cmd(s->o.cmd[0], found, sizeof(found), why, sizeof(why));
        if (rc != 0) {
            bs_say(prog, "%s\n", why);
            return -1;
        }
        s->o.lib = s->lib_found = strdup(found);
    }
    /* libbpf needs a path with a '/' to not search the loader path. */
    if (!realpath(s->o.lib, s->lib) || bs_file_id(s->lib, &s->lib_id) != 0) {
        bs_say(prog, "cannot use library %s: %s\n", s->o.lib, strerror(errno));
        return -1;
    }
    /* What is wrong with the file is said here; left to the attach, any
     * file (/etc/passwd) fails inside libbpf with an errno that reads like
     * a kernel problem (explain_failure). */
    if (bs_check_probe_file(s->o.lib, why, sizeof(why)) != 0) {
        bs_say(prog, "%s\n", why);
        return -1;
    }
    return 0;
}

/* Signals handled from here on; a command is forked but held (it must not
 * run untraced).  The recording's clock starts now. */
static int start_target(struct session *s)
{
    int err;
    install_signal_handlers();
    if (s->o.cmd && (err = spawn_held(s->o.cmd, &s->ch)) != 0) {
        bs_say(prog, "cannot fork: %s\n", strerror(-err));
        return -1;
    }
    s->target = s->o.cmd ? s->ch.pid : s->o.pid;
    s->start_ns = now_ns();
    s->r.loss.last_check_ns = s->start_ns;
    s->r.rec_pid = s->target > 0 ? (uint32_t)s->target : 0;
    return 0;
}

/* Every probe but the trigger attached, and the ring buffer reader ready. */
static int attach(struct session *s)
{
    if (attach_all_but_trigger(s->skel, s->lib, s->target > 0 ? s->target : -1, s->links) != 0)
        return -1;
    s->linked = true;
    if (s->o.pid) s->mapped = warn_if_not_mapped(s->o.pid, &s->lib_id, s->lib);

    s->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.events), on_record, &s->r, NULL);
    if (!s->rb) {
        explain_failure("create the ring buffer reader", errno);
        return -1;
    }
    if (s->o.ring_bytes < RECORD_SLEEP_RING_BYTES) return 0; /* polled: wait_for_records() */
    struct epoll_event ev = {.events = EPOLLIN | EPOLLET};
    s->wait_fd = epoll_create1(EPOLL_CLOEXEC);
    if (s->wait_fd < 0 ||
        epoll_ctl(s->wait_fd, EPOLL_CTL_ADD, bpf_map__fd(s->skel->maps.events), &ev) < 0) {
        explain_failure("create the ring buffer reader", errno);
        return -1;
    }
    return 0;
}

/*
 * Wait up to one poll period for records.  A ring of RECORD_SLEEP_RING_BYTES
 * or more holds a whole period at the highest rate seen, so the loader sleeps
 * the period out unless the BPF side wakes it (a quarter of the ring waiting):
 * the epoll is edge-triggered, and returns early only for such a wakeup.
 * Waiting level-triggered (ring_buffer__poll) returns as soon as any record
 * is there, so under load the loader would read each record right behind the
 * producer, pulling the ring's lines to its own core just before the
 * producer writes the rest of them (docs/record.md, "Ring buffer and
 * wakeups").  A smaller ring cannot hold a period, and is read as fast as
 * records come.  Returns 0 or -errno (-EINTR on a signal).
 */
static int wait_for_records(struct session *s)
{
    if (s->wait_fd < 0) {
        int err = ring_buffer__poll(s->rb, RECORD_POLL_MS);
        return err < 0 ? err : 0;
    }
    struct epoll_event ev;
    return epoll_wait(s->wait_fd, &ev, 1, RECORD_POLL_MS) < 0 ? -errno : 0;
}

/*
 * Arm the program, write what the attach window lost, attach the trigger,
 * then let the held command run.
 *
 * The order is the point.  Attaching hmap:statedump_done raises its USDT
 * semaphore, which libhmap's agent thread polls: it then emits the state of
 * every existing map (state_begin ... state_end per map, then
 * statedump_done).  Were the trigger attached with the others, the dump
 * could start while later probes are still being attached and the program
 * unarmed, and its events would be dropped as attach-window losses: the very
 * state the recording needs to make sense of maps created before it.  So
 * every other probe is attached and the program armed first; the dump can
 * only begin once everything it fires is recorded.
 */
static int arm_and_release(struct session *s)
{
    s->r.data_start = s->r.bytes; /* open_output wrote the header, nothing else yet */
    s->skel->bss->armed = 1;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    s->armed_ns = now_ns();
    /* Hits during the attach go into the file before any recorded event --
     * with -p, only once it is known that no state at attach replaces them
     * (settle_state). */
    s->r.loss.hold_unarmed = s->o.pid != 0;
    sync_losses(&s->r, s->skel, s->start_ns);
    /* -p: only a dump that finishes after this counts as the state at attach. */
    if (s->o.pid) s->r.state_window = true;
    size_t t = trigger_index();
    if (attach_one(s->skel, s->lib, s->target > 0 ? s->target : -1, t, &s->links[t]) != 0)
        return -1;
    if (s->o.pid) s->state_wait_end = now_ns() + STATE_WAIT_NS;
    if (s->o.cmd) {
        int err = release_child(&s->ch);
        if (err) {
            bs_say(prog, "cannot run %s: %s\n", s->o.cmd[0], strerror(-err));
            waitpid(s->ch.pid, NULL, 0);
            s->ch.pid = 0;
            return -1;
        }
    }
    bs_say(prog, "recording %zu probes of %s (%s) to %s\n", NPROBES, s->lib,
           s->o.cmd   ? s->o.cmd[0]
           : s->o.pid ? "one process"
                      : "system-wide",
           s->o.output);
    return 0;
}

/*
 * -p: the state at attach is settled once the target's statedump_done has
 * been read, or the wait is over (at the latest, STATE_WAIT_NS after the
 * trigger was attached; earlier when the recording ends first).  Without a
 * dump, one warning; the recording goes on either way.
 */
static void settle_state(struct session *s)
{
    if (!s->state_wait_end) return;
    /* Once stopped, the time waited ends at the stop, not after the detach
     * (which can take seconds): a dump drained after it still counts. */
    uint64_t now = s->stopped_ns ? s->stopped_ns : now_ns();
    if (s->r.state_seen) {
        s->state_wait_end = 0;
        /* Every hit of the attach window came before the arming, so before
         * every map's state_begin: what those events did is in the state,
         * unless a map's state could not be had. */
        struct loss_state *l = &s->r.loss;
        if (s->r.state.unsafe == 0) {
            l->unarmed_superseded = l->unarmed - l->unarmed_written;
            l->unarmed_written = l->unarmed;
        }
        l->hold_unarmed = false;
    } else if (s->stopped_ns || now >= s->state_wait_end) {
        uint64_t waited =
            now < s->state_wait_end ? now - (s->state_wait_end - STATE_WAIT_NS) : STATE_WAIT_NS;
        bs_say(prog,
               "warning: process %d dumped no state within %.3g s (libhmap without "
               "state dump, or HMAP_STATEDUMP=0): maps idle during the recording are "
               "missing and the report will count their events as unmatched\n",
               (int)s->o.pid, waited / 1e9);
        s->state_wait_end = 0;
        s->r.loss.hold_unarmed = false; /* the attach window's hits are lost */
    }
    /* A dump arriving after the wait is recorded like any event, but it is
     * not the state at attach the summary reports. */
    if (!s->state_wait_end) s->r.state_window = false;
}

/* -p, until the library is seen mapped: is it now?  A recorded event proves
 * it; otherwise /proc/PID/maps is read, at most every 100 ms (it can be long,
 * and the answer only matters for the end-of-run warning). */
static void check_mapped(struct session *s)
{
    if (s->mapped || !s->o.pid) return;
    if (s->r.events) {
        s->mapped = true;
        return;
    }
    uint64_t now = now_ns();
    if (now < s->next_map_check) return;
    s->next_map_check = now + 100 * 1000000ull;
    s->mapped = is_mapped(s->o.pid, &s->lib_id);
}

/* Drain the ring buffer until the command exits, the process is gone, the
 * duration (counted from the arming) is over or a signal says stop: 0; or
 * a write failed: 1, stop now; or the ring could not be read: -1. */
static int record_loop(struct session *s)
{
    const struct options *o = &s->o;
    uint64_t deadline = o->duration_s > 0 ? s->armed_ns + (uint64_t)(o->duration_s * 1e9) : 0;
    int forwarded = 0;
    for (;;) {
        int err = wait_for_records(s);
        if (err >= 0 || err == -EINTR) err = ring_buffer__consume(s->rb);
        if (err < 0 && err != -EINTR) {
            bs_say(prog, "reading the ring buffer failed: %s\n", strerror(-err));
            return -1;
        }
        sync_losses(&s->r, s->skel, s->start_ns);
        if (s->r.write_failed) return 1; /* finish() keeps what was written */
        settle_state(s);
        if (o->cmd && !s->child_exited &&
            waitpid(s->ch.pid, &s->child_status, WNOHANG) == s->ch.pid) {
            s->child_exited = true;
            return 0;
        }
        check_mapped(s);
        if (o->pid && process_gone(o->pid)) return 0;
        if (deadline && now_ns() >= deadline) return 0;
        if (o->live.interval_s && record_live_tick(&s->o.live, s->r.out, now_ns())) return 0;
        /* With a command, the first signal is passed on and recording goes on
         * until it exits (its teardown frees memory); a second one stops now. */
        if (signal_count > (o->cmd ? 1 : 0)) return 0;
        if (o->cmd && signal_count == 1 && !forwarded) {
            kill(s->ch.pid, stop_signal);
            forwarded = 1;
        }
    }
}

/*
 * After a failed write: the file on disk is a prefix of the recording (put()
 * wrote nothing after the failure) that may end inside a record.  Cut it at
 * the last complete record, so that it reads as a valid trace, and if the
 * room left allows, append one `lost` record counting what did not reach
 * the disk.  The file keeps its temporary name: it is not the complete
 * recording FILE would promise (and an older FILE is left as it was).
 */
static int keep_partial(struct session *s)
{
    struct recording *r = &s->r;
    const struct loss_state *l = &r->loss;
    int fd = fileno(r->out);
    /* The buffered rest is dropped, so that closing writes nothing more. */
    __fpurge(r->out);
    struct stat st;
    uint64_t size = fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0, end = r->data_start;
    uint64_t events = 0, lost_in_file = 0, last_ts = s->start_ns;
    uint64_t chunks = 0;
    /* Walk the complete chunks on disk (docs/native-format.md, version 3):
     * a chunk record, then its packed events, which are decoded to count
     * the events and the losses they hold. */
    int rfd = open(r->tmp_path, O_RDONLY | O_CLOEXEC); /* r->out's is write-only */
    uint8_t *body = malloc(HMAP_NATIVE_CHUNK_BODY);
    while (rfd >= 0 && body && end + sizeof(struct hmap_native_chunk_record) <= size) {
        struct hmap_native_chunk_record cr;
        if (pread(rfd, &cr, sizeof(cr), (off_t)end) != (ssize_t)sizeof(cr) ||
            cr.h.id != HMAP_NATIVE_CHUNK_ID || cr.h.size != sizeof(cr) ||
            cr.c.bytes > HMAP_NATIVE_CHUNK_BODY || end + sizeof(cr) + cr.c.bytes > size ||
            pread(rfd, body, cr.c.bytes, (off_t)(end + sizeof(cr))) != (ssize_t)cr.c.bytes)
            break;
        struct hmap_native_pack_state ps;
        hmap_native_pack_begin(&ps, cr.c.first_ns, cr.h.pid, cr.h.tid);
        uint64_t ev = 0, lost = 0;
        uint32_t at = 0;
        while (at < cr.c.bytes) {
            struct {
                struct hmap_native_rec_header h;
                uint8_t payload[HMAP_NATIVE_MAX_PAYLOAD];
            } rec;
            const char *what;
            long n =
                hmap_native_unpack(&ps, body + at, cr.c.bytes - at, &rec.h, rec.payload, &what);
            if (n <= 0) break;
            if (rec.h.id == HMAP_NATIVE_LOST_ID) {
                struct hmap_native_lost lr;
                memcpy(&lr, rec.payload, sizeof(lr));
                lost += lr.count;
            } else {
                ev++;
            }
            at += (uint32_t)n;
        }
        if (at != cr.c.bytes) break; /* a chunk written partly: cut before it */
        events += ev;
        lost_in_file += lost;
        last_ts = cr.c.last_ns;
        chunks++;
        end += sizeof(cr) + cr.c.bytes;
    }
    free(body);
    if (rfd >= 0) close(rfd);
    /* Unreadable, or not even the whole header: left as it is. */
    if (rfd < 0 || size < r->data_start) end = size;
    /* What the recorder knew and the file does not say: events it read from
     * the ring, and lost records it wrote, that did not reach the disk. */
    uint64_t lost_written =
        l->ring_full_written + l->unarmed_written - l->unarmed_superseded + l->recursion_written;
    uint64_t unwritten = r->events - events;
    uint64_t missing = unwritten + (lost_written > lost_in_file ? lost_written - lost_in_file : 0);
    bool counted = false;
    if (end < size && ftruncate(fd, (off_t)end) != 0) end = size;
    if (end >= r->data_start && missing) { /* one more chunk, of one lost record */
        struct {
            struct hmap_native_chunk_record cr;
            uint8_t lost[HMAP_NATIVE_PACK_MAX];
        } tail;
        struct hmap_native_pack_state ps;
        struct hmap_native_lost lr = {missing, last_ts, s->stopped_ns};
        hmap_native_pack_begin(&ps, s->stopped_ns, r->rec_pid, 0);
        size_t n = hmap_native_pack_lost(&ps, tail.lost, s->stopped_ns, r->rec_pid, 0, &lr);
        tail.cr = hmap_native_chunk_record_make(r->rec_pid, 0, chunks, s->stopped_ns, s->stopped_ns,
                                                (uint32_t)n, 1);
        size_t len = sizeof(tail.cr) + n;
        if (pwrite(fd, &tail, len, (off_t)end) == (ssize_t)len)
            counted = true;
        else if (ftruncate(fd, (off_t)end) != 0) /* no half lost record either */
            end = size;
    }
    fclose(r->out);
    r->out = NULL;
    bs_say(prog,
           "writing %s failed: %s; the partial trace is kept as %s: its first %llu events "
           "(%llu bytes); %llu events recorded after them were not written%s\n",
           s->o.output, strerror(r->write_errno ? r->write_errno : EIO), r->tmp_path,
           (unsigned long long)events, (unsigned long long)end, (unsigned long long)unwritten,
           counted ? " (counted in a lost record at its end)" : "");
    s->final_path = r->tmp_path;
    return EXIT_PARTIAL;
}

/* Detach, drain the last records, and give the file its final name.  The
 * exit status of a run that left a file: EXIT_OK (named FILE), EXIT_KEPT
 * (complete, but the rename failed) or EXIT_PARTIAL (a write failed);
 * the recording is then kept under its temporary name, said on stderr. */
static int finish(struct session *s)
{
    s->stopped_ns = now_ns();
    /* Detach first, so nothing can arrive after the final drain. */
    for (size_t i = 0; i < NPROBES; i++)
        bpf_link__destroy(s->links[i]);
    s->linked = false;
    ring_buffer__consume(s->rb);
    sync_losses(&s->r, s->skel, s->start_ns);
    check_mapped(s);
    settle_state(s);
    sync_losses(&s->r, s->skel, s->start_ns); /* what settle_state let go */
    if (!s->r.write_failed) write_end(&s->r);
    if (!s->r.write_failed && (fflush(s->r.out) != 0 || fsync(fileno(s->r.out)) != 0)) {
        s->r.write_failed = true;
        s->r.write_errno = errno;
    }
    if (s->r.write_failed) return keep_partial(s);
    fclose(s->r.out);
    s->r.out = NULL;
    if (rename(s->r.tmp_path, s->o.output) != 0) {
        bs_say(prog, "cannot rename %s to %s: %s; the complete recording is kept as %s\n",
               s->r.tmp_path, s->o.output, strerror(errno), s->r.tmp_path);
        s->final_path = s->r.tmp_path;
        return EXIT_KEPT;
    }
    s->r.tmp_path[0] = '\0';
    s->final_path = s->o.output;
    return EXIT_OK;
}

/* The summary line (naming the library whose probes were recorded), then
 * how the command ended if that was not well.  Returns EXIT_OK, EXIT_LOSSY
 * when events were lost, or EXIT_EMPTY when no probe fired at all. */
static int report(const struct session *s)
{
    const struct recording *r = &s->r;
    const struct loss_state *l = &r->loss;
    uint64_t lost = l->ring_full + l->unarmed - l->unarmed_superseded + l->recursion;
    double secs = (now_ns() - s->start_ns) / 1e9;
    char state[192] = "";
    int status;
    /* -p: what the target said of the maps it had when the recorder came. */
    if (s->o.pid && r->state_seen)
        snprintf(state, sizeof(state), ", state at attach: %u map%s (%u deferred, %u unsafe)",
                 r->state.maps, r->state.maps == 1 ? "" : "s", r->state.deferred, r->state.unsafe);
    else if (s->o.pid)
        snprintf(state, sizeof(state), ", state at attach: none");
    if (l->unarmed_superseded) {
        size_t n = strlen(state);
        snprintf(state + n, sizeof(state) - n, " (superseding %llu attach-window events)",
                 (unsigned long long)l->unarmed_superseded);
    }
    if (lost == 0) {
        bs_say(prog, "%llu events, %llu bytes, 0 lost, %.2f s%s -> %s (probes of %s)\n",
               (unsigned long long)r->events, (unsigned long long)r->bytes, secs, state,
               s->final_path, s->lib);
        status = r->events ? EXIT_OK : EXIT_EMPTY;
    } else {
        bs_say(prog,
               "%llu events, %llu bytes, LOST %llu (ring full %llu, recursion %llu, "
               "attach window %llu), %.2f s%s -> %s (probes of %s; incomplete trace%s)\n",
               (unsigned long long)r->events, (unsigned long long)r->bytes,
               (unsigned long long)lost, (unsigned long long)l->ring_full,
               (unsigned long long)l->recursion,
               (unsigned long long)(l->unarmed - l->unarmed_superseded), secs, state, s->final_path,
               s->lib, l->ring_full ? "; a larger -b may help" : "");
        status = EXIT_LOSSY;
    }
    if (status == EXIT_EMPTY) {
        char who[64];
        if (s->o.pid) snprintf(who, sizeof(who), "process %d", (int)s->o.pid);
        bs_say(prog,
               "no hmap probe fired in %s during the recording (did %s use that "
               "libhmap?)\n",
               s->lib,
               s->o.cmd   ? s->o.cmd[0]
               : s->o.pid ? who
                          : "any process");
        if (s->o.pid && !s->mapped)
            bs_say(prog, "warning: process %d never mapped %s while recorded\n", (int)s->o.pid,
                   s->lib);
    }
    int cs = s->child_status;
    if (s->child_exited && !(WIFEXITED(cs) && WEXITSTATUS(cs) == 0)) {
        if (WIFEXITED(cs))
            bs_say(prog, "%s exited with status %d\n", s->o.cmd[0], WEXITSTATUS(cs));
        else if (WIFSIGNALED(cs))
            bs_say(prog, "%s was killed by signal %d\n", s->o.cmd[0], WTERMSIG(cs));
    }
    return status;
}

/* CMD's exit status, 128 + N when signal N killed it (as a shell says it);
 * EXIT_OK without a CMD. */
static int cmd_status(const struct session *s)
{
    int cs = s->child_status;
    if (!s->child_exited) return EXIT_OK;
    if (WIFEXITED(cs)) return WEXITSTATUS(cs);
    if (WIFSIGNALED(cs)) return 128 + WTERMSIG(cs);
    return EXIT_OK;
}

/* Whatever the run reached: links destroyed, a held child killed (never
 * released, it must not run untraced), the output removed unless the
 * recording completed. */
static void cleanup(struct session *s, int status)
{
    if (s->linked)
        for (size_t i = 0; i < NPROBES; i++)
            bpf_link__destroy(s->links[i]);
    if (s->ch.pid > 0 && !s->child_exited) {
        if (s->ch.go_fd >= 0) { /* never released: it must not run untraced */
            kill(s->ch.pid, SIGKILL);
            waitpid(s->ch.pid, NULL, 0);
        }
    }
    if (s->ch.go_fd >= 0) close(s->ch.go_fd);
    if (s->ch.err_fd >= 0) close(s->ch.err_fd);
    if (status == EXIT_FAIL) discard_output(&s->r);
    free(s->r.chunk);
    s->r.chunk = NULL;
    ring_buffer__free(s->rb);
    if (s->wait_fd >= 0) close(s->wait_fd);
    record__destroy(s->skel);
    free(s->lib_found);
}

/* ---- main ----------------------------------------------------------------- */

int main(int argc, char **argv)
{
    static struct session s = {.wait_fd = -1, .ch = {.pid = 0, .go_fd = -1, .err_fd = -1}};
    int status = EXIT_FAIL;
    bool live_failed = false;

    parse_options(argc, argv, &s.o);
    verbose_libbpf = s.o.verbose || getenv("BUCKETSCOPE_DEBUG");
    libbpf_set_print(libbpf_log);

    if (check_privilege() == 0 && check_library_and_pid(&s) == 0 && load_program(&s) == 0 &&
        start_target(&s) == 0 && attach(&s) == 0 &&
        open_output(&s.r, s.o.output, s.r.rec_pid) == 0 &&
        (!s.o.live.interval_s || record_live_start(&s.o.live, s.r.tmp_path, prog) == 0) &&
        arm_and_release(&s) == 0 && record_loop(&s) >= 0) {
        int kept = finish(&s);
        /* The file is finished: the live report reads its end (record_live.h). */
        live_failed = record_live_finish(&s.o.live, prog) < 0;
        status = report(&s);
        /* A clean recording passes on a failed CMD's status, as strace does,
         * so that `record -- CMD` can stand in for CMD in a script; the
         * recorder's own troubles (3 to 6) come first (docs/record.md,
         * "Exit status"). */
        if (status == EXIT_OK) status = cmd_status(&s);
        /* A file not named FILE is what a script must hear of first. */
        if (kept != EXIT_OK) status = kept;
    }
    record_live_finish(&s.o.live, prog); /* a failed start: the report must not wait */
    cleanup(&s, status);
    return live_failed && status == EXIT_OK ? EXIT_LIVE : status;
}
