/* SPDX-License-Identifier: MIT */
/*
 * recorder.c — the in-process recorder: libhmap writes its own events
 * to a native trace file (hmap_native.h, docs/native-format.md), without
 * root, daemon or kernel help.
 *
 * Started by HMAP_TRACE=FILE in the environment (read once, when libhmap is
 * loaded) or by hmap_trace_start(); stopped by hmap_trace_stop() or at exit.
 *
 * Design, for a cost of a few tens of ns per event:
 *   - every thread appends events to its own buffer (struct rec_buf),
 *     packed as in a version 3 chunk (schema/hmap_native_pack.h: time and
 *     addresses as deltas from the buffer's previous event), with plain
 *     stores, and then publishes the new length with a release store;
 *     a buffer is always written whole, as one chunk, so the deltas of its
 *     first event refer to the chunk record;
 *   - buffers go to the file under rec_lock: by their owner when full or
 *     when the thread exits, by anyone for all buffers at stop and exit.
 *     A foreign flusher only writes the published part [flushed, len), which
 *     the owner never touches again until it rewinds the buffer, and the
 *     owner rewinds only under rec_lock.  So there is one lock-free writer
 *     per buffer and all readers hold the lock;
 *   - the file therefore holds per-thread chunks: records are in time order
 *     within one thread, not across threads (readers sort by ts_ns);
 *   - the clock (docs/probes.md, "Recorder clock"): the TSC, converted to
 *     CLOCK_MONOTONIC nanoseconds as each event is packed, when the kernel
 *     keeps CLOCK_MONOTONIC from the TSC itself (clocksource tsc); else,
 *     or with HMAP_TRACE_CLOCK=monotonic, the vDSO clock_gettime;
 *   - nothing is lost silently: a record that cannot be buffered or written
 *     is counted, and a `lost` record (count, first and last timestamp) is
 *     written before the next chunk that does reach the file.  Events still
 *     unwritten at stop are reported on stderr and by hmap_trace_stop().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#include "hmap_native.h"
#include "hmap_native_write.h"
#include "hmap_native_pack.h"
#include "hmap.h"
#include "hmap_trace.h"

#define HMAP_API __attribute__((visibility("default")))

#if HMAP_PROBES_RECORDER
#include "hmap_recorder.h"
#include "hmap_tp_gate.h"

#define REC_BUF_SIZE (64 * 1024) /* per thread; a multiple of 8 */

struct rec_buf {
    struct rec_buf *next; /* list of all buffers, under rec_lock */
    uint64_t session;     /* the trace the contents belong to */
    uint32_t tid;
    _Atomic size_t len; /* bytes published by the owner thread */
    size_t flushed;     /* bytes already handed to the file, under rec_lock */
    /* The owner's encoder: what the next event's deltas refer to, the
     * first event's time and the events packed, since the last rewind. */
    struct hmap_native_pack_state ps;
    uint64_t first_ns;
    uint32_t nrec;
    /* TSC clock: the anchor (a TSC value and the CLOCK_MONOTONIC time
     * read with it) that this thread's times are converted from, and the
     * rate as it was then (rec_tsc_mult): the event path reads this
     * buffer only, no shared variable. */
    uint64_t tsc0, ns0, mult;
    _Alignas(8) unsigned char data[REC_BUF_SIZE];
};

int hmap_rec_active; /* read by HMAP_TP, written under rec_lock */

static pthread_mutex_t rec_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t rec_once = PTHREAD_ONCE_INIT;
static pthread_key_t rec_key; /* runs rec_thread_exit for threads with a buffer */
static struct rec_buf *rec_bufs;
static _Atomic uint64_t rec_session; /* incremented by every start */
static int rec_fd = -1;
static off_t rec_off; /* end of the last complete record in the file */
static char rec_path[4096];
static uint32_t rec_pid;
static struct {
    uint64_t pending, first_ns, last_ns; /* dropped, not yet reported in the file */
    uint64_t total;                      /* dropped during this trace */
} rec_lost;
static uint64_t rec_chunks; /* chunks in the file: the next chunk's number */
static uint64_t rec_events; /* event records in the file */
static int rec_can_reserve; /* the file system takes fallocate(FALLOC_FL_KEEP_SIZE) */

static __thread __attribute__((tls_model("initial-exec"))) struct rec_buf *rec_tls;

/* Open or close every event's gate for the recorder (hmap_tp_gate.h).  The
 * probe sites read the gates; hmap_rec_active is what the recorder itself
 * checks once a site has fired. */
static void rec_set_gates(int on)
{
    hmap_tp_gates_set(HMAP_GATE_REC, on);
}

static uint64_t rec_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- the event clock ---------------------------------------------------------
 * Events are stamped in CLOCK_MONOTONIC nanoseconds either way.  With the
 * TSC, a thread converts ticks since its anchor (tsc0, ns0) with the
 * trace's rate rec_tsc_mult (ns per tick, 32.32 fixed point) as it was at
 * that anchor (so a thread's times between anchors grow with its TSC
 * only, and an event reads no shared variable), and takes a
 * new anchor from clock_gettime at least every REC_TSC_REANCHOR_NS and at
 * every new chunk, never earlier than its last event: so the conversion
 * error stays below the rate's error over that span (the rate itself is
 * measured over the whole trace so far, refined at each anchor). */
static int rec_use_tsc;                      /* decided at hmap_trace_start */
static _Atomic uint64_t rec_tsc_mult;        /* ns per tick << 32 */
static uint64_t rec_tsc_start, rec_ns_start; /* the trace's first anchor */
static uint64_t rec_tsc_reanchor;            /* REC_TSC_REANCHOR_NS in ticks */
#define REC_TSC_REANCHOR_NS 10000000u        /* 10 ms */

static inline uint64_t rec_tsc(void)
{
#if defined(__x86_64__)
    return __rdtsc();
#else
    return 0;
#endif
}

/* Is the TSC the kernel's own clocksource?  Then CLOCK_MONOTONIC runs on
 * it (the kernel checked that it is constant, nonstop and synchronised
 * across CPUs), and converting it gives the same clock.  A TSC merely
 * flagged constant_tsc/nonstop_tsc under another clocksource (kvm-clock,
 * hpet) is not used: the kernel chose not to trust it. */
static int rec_tsc_stable(void)
{
#if defined(__x86_64__)
    const char *force = getenv("HMAP_TRACE_CLOCK");
    if (force && !strcmp(force, "monotonic")) return 0;
    char cs[32] = "";
    int fd = open("/sys/devices/system/clocksource/clocksource0/current_clocksource",
                  O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, cs, sizeof cs - 1);
    close(fd);
    return n >= 3 && !strncmp(cs, "tsc", 3) && (cs[3] == '\n' || cs[3] == '\0');
#else
    return 0;
#endif
}

/* A TSC value and the CLOCK_MONOTONIC time of the same instant: the middle
 * of two TSC reads around clock_gettime, from the closest of three such
 * reads.  A thread preempted between its TSC and clock reads would pair
 * times that lie the preemption apart; and in the calibration loop below
 * such a pair is the likely last one, since the jump in the clock is what
 * ends the loop (a 3 ms stall put the rate 50 % off).  Two preemptions
 * within three tries, some 100 ns, do not happen. */
static void rec_tsc_pair(uint64_t *tsc, uint64_t *ns)
{
    uint64_t gap = UINT64_MAX;
    for (int i = 0; i < 3; i++) {
        uint64_t a = rec_tsc();
        uint64_t t = rec_now();
        uint64_t b = rec_tsc();
        if (b - a < gap) {
            gap = b - a;
            *tsc = a + (b - a) / 2;
            *ns = t;
        }
    }
}

/* Start the trace's clock: with the TSC, measure its rate over 2 ms. */
static void rec_clock_start(void)
{
    rec_use_tsc = rec_tsc_stable();
    if (!rec_use_tsc) return;
    uint64_t t0, n0, t1, n1;
    rec_tsc_pair(&t0, &n0);
    do
        rec_tsc_pair(&t1, &n1);
    while (n1 - n0 < 2000000);
    if (t1 <= t0) {
        rec_use_tsc = 0;
        return;
    }
    rec_tsc_start = t0;
    rec_ns_start = n0;
    uint64_t mult = (uint64_t)(((unsigned __int128)(n1 - n0) << 32) / (t1 - t0));
    atomic_store_explicit(&rec_tsc_mult, mult, memory_order_relaxed);
    rec_tsc_reanchor = (uint64_t)(((unsigned __int128)REC_TSC_REANCHOR_NS << 32) / mult);
}

/* A new anchor for b, no earlier than not_before; refines the rate. */
static __attribute__((noinline)) void rec_tsc_anchor(struct rec_buf *b, uint64_t not_before)
{
    uint64_t tsc, ns;
    rec_tsc_pair(&tsc, &ns);
    if (tsc > rec_tsc_start && ns - rec_ns_start > 100000000u) /* 100 ms or more */
        atomic_store_explicit(
            &rec_tsc_mult,
            (uint64_t)(((unsigned __int128)(ns - rec_ns_start) << 32) / (tsc - rec_tsc_start)),
            memory_order_relaxed);
    b->tsc0 = tsc;
    b->ns0 = ns > not_before ? ns : not_before;
    b->mult = atomic_load_explicit(&rec_tsc_mult, memory_order_relaxed);
}

/* The time of an event of b's thread now. */
static inline uint64_t rec_event_now(struct rec_buf *b)
{
    if (!rec_use_tsc) return rec_now();
    uint64_t d = rec_tsc() - b->tsc0;
    if (__builtin_expect(d > rec_tsc_reanchor, 0)) {
        rec_tsc_anchor(b, b->ps.ts);
        d = rec_tsc() - b->tsc0;
    }
    return b->ns0 + (uint64_t)(((unsigned __int128)d * b->mult) >> 32);
}

/* Count n dropped events seen between first_ns and last_ns.  Under rec_lock. */
static void rec_count_lost(uint64_t n, uint64_t first_ns, uint64_t last_ns)
{
    if (n == 0) return;
    if (rec_lost.pending == 0 || first_ns < rec_lost.first_ns) rec_lost.first_ns = first_ns;
    if (rec_lost.pending == 0 || last_ns > rec_lost.last_ns) rec_lost.last_ns = last_ns;
    rec_lost.pending += n;
    rec_lost.total += n;
}

/* What the file must always have room for after its last complete record:
 * a chunk holding one lost record, and the end record.  Kept allocated
 * (fallocate, beyond the end of file) before every chunk is written, so
 * that a full disk costs the chunks that do not fit but never the records
 * that say what was lost and that the trace ended (docs/native-format.md,
 * "Crash guarantees"). */
#define REC_TAIL                                                                                   \
    (sizeof(struct hmap_native_chunk_record) + HMAP_NATIVE_PACK_LOST_MAX +                         \
     sizeof(struct hmap_native_end_record))

/* Keep [rec_off, rec_off + n + REC_TAIL) allocated.  0, or -1 when the file
 * system cannot give that much room.  A file system without fallocate
 * (or with a mode it refuses) just goes on without the reserve. */
static int rec_reserve_room(size_t n)
{
    if (!rec_can_reserve) return 0;
    int r = fallocate(rec_fd, FALLOC_FL_KEEP_SIZE, rec_off, (off_t)(n + REC_TAIL));
    if (r == 0) return 0;
    if (errno == EOPNOTSUPP || errno == ENOSYS || errno == EINVAL) {
        rec_can_reserve = 0;
        return 0;
    }
    return -1;
}

/* Write all of iov or nothing: on failure the file is cut back to the last
 * complete record, so a reader never sees half a record.  With reserve, the
 * room for the tail must stay available after it (rec_reserve_room); the
 * tail itself is written into that room without asking for more.  Under
 * rec_lock, or from the fatal-signal handler that holds it: only system
 * calls that are async-signal-safe. */
static int rec_writev(struct iovec *iov, int cnt, int reserve)
{
    size_t n = 0;
    for (int i = 0; i < cnt; i++)
        n += iov[i].iov_len;
    if (reserve && rec_reserve_room(n) < 0) return -1;
    size_t done = 0;
    while (done < n) {
        ssize_t w = pwritev(rec_fd, iov, cnt, rec_off + (off_t)done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            if (done && ftruncate(rec_fd, rec_off) < 0) {
                /* The partial record stays; readers stop at it with an error
                 * naming its offset.  Nothing better is possible here. */
            }
            if (done) rec_reserve_room(0); /* the cut gave the reserve back */
            return -1;
        }
        done += (size_t)w;
        while (cnt && (size_t)w >= iov->iov_len) { /* skip what was written */
            w -= (ssize_t)iov->iov_len;
            iov++;
            cnt--;
        }
        if (cnt) {
            iov->iov_base = (char *)iov->iov_base + w;
            iov->iov_len -= (size_t)w;
        }
    }
    rec_off += (off_t)n;
    return 0;
}

static int rec_write(const void *p, size_t n)
{
    struct iovec v = {(void *)p, n};
    return rec_writev(&v, 1, 1);
}

/* One chunk ready for rec_writev: its chunk record, the n packed events
 * of data (len bytes, timestamps first..last), and the pending lost record
 * if any, packed after them at the time of writing. */
struct rec_chunk {
    struct hmap_native_chunk_record cr;
    uint8_t lost[HMAP_NATIVE_PACK_MAX];
    struct iovec iov[4]; /* room for an end record behind */
    int cnt, with_lost;
};

static void rec_chunk_build(struct rec_chunk *c, uint32_t tid, const unsigned char *data,
                            size_t len, uint32_t n, uint64_t first, uint64_t last)
{
    size_t lost_len = 0;
    c->with_lost = rec_lost.pending != 0;
    if (c->with_lost) {
        uint64_t now = rec_now();
        struct hmap_native_pack_state st;
        if (n == 0) first = last = now;
        hmap_native_pack_begin(&st, last, rec_pid, tid); /* after the data's last event */
        struct hmap_native_lost l = {rec_lost.pending, rec_lost.first_ns, rec_lost.last_ns};
        lost_len = hmap_native_pack_lost(&st, c->lost, now, rec_pid, tid, &l);
        last = st.ts;
    }
    c->cr = hmap_native_chunk_record_make(rec_pid, tid, rec_chunks, first, last,
                                          (uint32_t)(len + lost_len), n + (uint32_t)c->with_lost);
    c->iov[0] = (struct iovec){&c->cr, sizeof c->cr};
    c->cnt = 1;
    if (len) c->iov[c->cnt++] = (struct iovec){(void *)data, len};
    if (lost_len) c->iov[c->cnt++] = (struct iovec){c->lost, lost_len};
}

/* The chunk c reached the file. */
static void rec_chunk_written(const struct rec_chunk *c, uint32_t n)
{
    rec_chunks++;
    rec_events += n;
    if (c->with_lost) rec_lost.pending = 0;
}

/*
 * Write one chunk (rec_chunk_build).  Numbered only once written, so
 * chunks in the file are numbered without gaps.  0, or -1 (nothing
 * written).
 */
static int rec_write_chunk(uint32_t tid, const unsigned char *data, size_t len, uint32_t n,
                           uint64_t first, uint64_t last)
{
    struct rec_chunk c;
    rec_chunk_build(&c, tid, data, len, n, first, last);
    if (rec_writev(c.iov, c.cnt, 1) < 0) return -1;
    rec_chunk_written(&c, n);
    return 0;
}

/* Hand the published part of b to the file as one chunk.  The owner knows
 * what its buffer holds; any other thread (stop, a fatal signal) counts
 * the published events, since the owner may be packing more meanwhile.
 * Under rec_lock (or from the fatal-signal handler holding it). */
static void rec_flush_locked(struct rec_buf *b, int owner)
{
    size_t len = atomic_load_explicit(&b->len, memory_order_acquire);
    if (b->session != atomic_load(&rec_session) || rec_fd < 0 || len == b->flushed) return;
    /* A buffer is written from its start or not at all: its events are
     * deltas from its first.  What follows a flush without a rewind comes
     * after the trace's stop (rec_fd is closed then) and is not written. */
    if (b->flushed) return;
    uint32_t n = b->nrec;
    uint64_t last = b->ps.ts;
    if (!owner) len = hmap_native_pack_walk(b->data, len, b->first_ns, &n, &last);
    if (rec_write_chunk(b->tid, b->data, len, n, b->first_ns, last) < 0)
        rec_count_lost(n, b->first_ns, last);
    b->flushed = len;
}

static void rec_thread_exit(void *p)
{
    struct rec_buf *b = p;
    pthread_mutex_lock(&rec_lock);
    rec_flush_locked(b, 1);
    for (struct rec_buf **pp = &rec_bufs; *pp; pp = &(*pp)->next)
        if (*pp == b) {
            *pp = b->next;
            break;
        }
    pthread_mutex_unlock(&rec_lock);
    rec_tls = NULL;
    free(b);
}

static void rec_after_fork_child(void);

static void rec_init_once(void)
{
    pthread_key_create(&rec_key, rec_thread_exit);
    pthread_atfork(NULL, NULL, rec_after_fork_child);
}

/* The slow path of rec_reserve: a thread's first event, the first event of a
 * new trace, or a full buffer.  The buffer comes back empty. */
static __attribute__((noinline)) struct rec_buf *rec_buf_slow(uint64_t session)
{
    struct rec_buf *b = rec_tls;
    if (!b) {
        b = malloc(sizeof *b);
        pthread_mutex_lock(&rec_lock);
        if (!b) {
            uint64_t now = rec_now();
            rec_count_lost(1, now, now);
            pthread_mutex_unlock(&rec_lock);
            return NULL;
        }
        b->tid = (uint32_t)gettid();
        b->session = session;
        b->flushed = 0;
        b->nrec = 0; /* no previous chunk: no earlier time to stay after */
        b->ps.ts = b->first_ns = b->tsc0 = b->ns0 = b->mult = 0;
        atomic_init(&b->len, 0);
        b->next = rec_bufs;
        rec_bufs = b;
        pthread_mutex_unlock(&rec_lock);
        rec_tls = b;
        pthread_setspecific(rec_key, b);
    }
    pthread_mutex_lock(&rec_lock);
    if (b->session == session) /* full: write it out */
        rec_flush_locked(b, 1);
    /* A buffer of an older trace was flushed by that trace's stop; anything
     * it holds now is from after the stop and not part of any trace. */
    b->session = session;
    b->flushed = 0;
    atomic_store_explicit(&b->len, 0, memory_order_relaxed);
    pthread_mutex_unlock(&rec_lock);
    return b;
}

/* Room for one packed event (at most HMAP_NATIVE_PACK_MAX bytes) in this
 * thread's buffer, and its time in *ts, or NULL (then the event has been
 * counted as lost).  An empty buffer starts a chunk at the event. */
static inline unsigned char *rec_reserve(uint64_t *ts, struct rec_buf **bp)
{
    uint64_t session = atomic_load_explicit(&rec_session, memory_order_relaxed);
    struct rec_buf *b = rec_tls;
    size_t len;
    if (__builtin_expect(!b || b->session != session ||
                             (len = atomic_load_explicit(&b->len, memory_order_relaxed)) +
                                     HMAP_NATIVE_PACK_MAX >
                                 REC_BUF_SIZE,
                         0)) {
        b = rec_buf_slow(session);
        if (!b) return NULL;
        len = 0;
    }
    if (__builtin_expect(len == 0, 0)) {
        /* A new chunk: its times start no earlier than the thread's last. */
        uint64_t last = b->nrec ? b->ps.ts : 0;
        if (rec_use_tsc) rec_tsc_anchor(b, last);
        *ts = rec_event_now(b);
        if (*ts < last) *ts = last;
        hmap_native_pack_begin(&b->ps, *ts, rec_pid, b->tid);
        b->first_ns = *ts;
        b->nrec = 0;
    } else {
        *ts = rec_event_now(b);
    }
    *bp = b;
    return b->data + len;
}

/*
 * The event path with nothing to do but pack: this thread's buffer belongs
 * to the current trace, holds a chunk with room for one more event, and
 * the TSC anchor is fresh.  Returns where the event goes, its time in *ts,
 * or NULL for rec_reserve (which handles every other case: a first event,
 * a full buffer, a new trace, the other clock, a new anchor).  No call, no
 * shared variable written: the caller needs no saved registers.
 */
static inline __attribute__((always_inline)) unsigned char *rec_reserve_fast(uint64_t *ts,
                                                                             struct rec_buf **bp)
{
    struct rec_buf *b = rec_tls;
    if (__builtin_expect(!b || !rec_use_tsc, 0)) return NULL;
    size_t len = atomic_load_explicit(&b->len, memory_order_relaxed);
    /* len - 1 wraps for an empty buffer: a new chunk starts in rec_reserve */
    if (__builtin_expect(b->session != atomic_load_explicit(&rec_session, memory_order_relaxed) ||
                             len - 1 >= REC_BUF_SIZE - HMAP_NATIVE_PACK_MAX,
                         0))
        return NULL;
    uint64_t d = rec_tsc() - b->tsc0;
    if (__builtin_expect(d > rec_tsc_reanchor, 0)) return NULL;
    *ts = b->ns0 + (uint64_t)(((unsigned __int128)d * b->mult) >> 32);
    *bp = b;
    return b->data + len;
}

/* Publish the n bytes packed at rec. */
static inline void rec_commit(struct rec_buf *b, unsigned char *rec, size_t n)
{
    b->nrec++;
    atomic_store_explicit(&b->len, (size_t)(rec + n - b->data), memory_order_release);
}

/* Copy a string field: at most cap-1 bytes, NUL-terminated, zero-filled. */
static void rec_copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strnlen(src, cap - 1) : 0;
    memcpy(dst, src, n);
    memset(dst + n, 0, cap - n);
}

/* hmap_rec_emit_<event>(): the fields go into the event's fixed-layout
 * struct, which the packer encodes (inlined, the struct never reaches
 * memory). */
#define REC_VAL_ptr(v) ((uint64_t)(uintptr_t)(v))
#define REC_VAL_u8(v) (v)
#define REC_VAL_u16(v) (v)
#define REC_VAL_u32(v) (v)
#define REC_VAL_u64(v) (v)
#define REC_STORE_int(t, n) p->n = REC_VAL_##t(n);
#define REC_STORE_enum(t, n) p->n = REC_VAL_##t(n);
#define REC_STORE_str(t, n) rec_copy_str(p->n, sizeof p->n, n);
#define REC_STORE_A(t, n, e, k) HMAP_DEFER(REC_STORE_##k)(t, n) REC_STORE_B
#define REC_STORE_B(t, n, e, k) HMAP_DEFER(REC_STORE_##k)(t, n) REC_STORE_A
#define REC_STORE_A_END
#define REC_STORE_B_END

/* rec_emit_slow_<event>: any event, through rec_reserve; out of line, so
 * that hmap_rec_emit_<event> reaches it by a tail call.  The chunk's task
 * is the thread's (rec_pid, b->tid), so the packer's task check folds
 * away. */
#define REC_EMIT_SLOW_(id_, name, desc, seq)                                                       \
    static __attribute__((noinline)) void rec_emit_slow_##name(HMAP_SEQ_PARAMS(seq))               \
    {                                                                                              \
        struct rec_buf *b;                                                                         \
        uint64_t ts;                                                                               \
        unsigned char *rec = rec_reserve(&ts, &b);                                                 \
        if (!rec) return;                                                                          \
        struct hmap_native_##name v_, *p = &v_;                                                    \
        HMAP_SEQ_WALK(REC_STORE, seq)                                                              \
        rec_commit(b, rec, hmap_native_pack_##name(&b->ps, rec, ts, b->ps.pid, b->ps.tid, p));     \
    }
HMAP_EVENTS_SEQ(REC_EMIT_SLOW_)

#define REC_EMIT_(id_, name, desc, seq)                                                            \
    void hmap_rec_emit_##name(HMAP_SEQ_PARAMS(seq))                                                \
    {                                                                                              \
        struct rec_buf *b;                                                                         \
        uint64_t ts;                                                                               \
        unsigned char *rec = rec_reserve_fast(&ts, &b);                                            \
        if (__builtin_expect(!rec, 0)) {                                                           \
            rec_emit_slow_##name(HMAP_SEQ_NAMES(seq));                                             \
            return;                                                                                \
        }                                                                                          \
        struct hmap_native_##name v_, *p = &v_;                                                    \
        HMAP_SEQ_WALK(REC_STORE, seq)                                                              \
        rec_commit(b, rec, hmap_native_pack_##name(&b->ps, rec, ts, b->ps.pid, b->ps.tid, p));     \
    }
HMAP_EVENTS_SEQ(REC_EMIT_)

/* Expand one %p in the path to the process id (one file per process). */
static int rec_expand_path(const char *path, char *out, size_t cap)
{
    const char *pp = strstr(path, "%p");
    int n = pp ? snprintf(out, cap, "%.*s%d%s", (int)(pp - path), path, (int)getpid(), pp + 2)
               : snprintf(out, cap, "%s", path);
    return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

/*
 * Create the trace file at rec_path (docs/probes.md, "HMAP_TRACE path
 * rules"): always a new file, mode 0600, never through a symbolic link and
 * never truncating anything.  If the name exists (a parent that exec'd this
 * process with the same HMAP_TRACE, an earlier run), this process writes
 * to NAME.<pid> instead and says so once; if NAME is a symbolic link,
 * nothing is written (-ELOOP): a link planted there must not redirect a
 * privileged process's writes, nor silently move the trace elsewhere.
 * Returns the descriptor, or -errno.  rec_path holds the name used.
 */
static int rec_create(void)
{
    const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
    int fd = open(rec_path, flags, 0600);
    if (fd >= 0 || errno != EEXIST) return fd >= 0 ? fd : -errno;
    struct stat st;
    if (lstat(rec_path, &st) == 0 && S_ISLNK(st.st_mode)) return -ELOOP;
    char taken[sizeof rec_path];
    memcpy(taken, rec_path, sizeof taken);
    int n = snprintf(rec_path, sizeof rec_path, "%s.%d", taken, (int)getpid());
    if (n < 0 || (size_t)n >= sizeof rec_path) return -ENAMETOOLONG;
    fd = open(rec_path, flags, 0600);
    if (fd < 0) return -errno;
    fprintf(stderr, "hmap: trace %s exists; this process (%d) writes its trace to %s\n", taken,
            (int)getpid(), rec_path);
    return fd;
}

/* ---- fatal signals ---------------------------------------------------------
 * A process killed by a signal never runs the exit-time stop, so the last
 * records of every thread would stay in their buffers.  For the signals that
 * end a process by default and can be caught, a handler writes the
 * published parts of all buffers (pwrite only: async-signal-safe) and then
 * lets the signal do what it would have done.  It writes no end record: the
 * trace was not stopped, and readers report it as cut at its last record.
 * Only signals whose handler is still the default get one, so a program's
 * own handlers are left alone; SIGKILL cannot be caught at all, which is why
 * the guarantee is that a cut is detected, not that it is recovered. */
static const int rec_fatal_signals[] = {SIGABRT, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTERM, SIGINT};

static void rec_on_fatal_signal(int sig)
{
    int saved = errno;
    /* If this thread (or one stopped by the crash) holds the lock, the
     * buffers may be mid-update: better lose them than hang or corrupt. */
    if (pthread_mutex_trylock(&rec_lock) == 0) {
        if (rec_fd >= 0) {
            __atomic_store_n(&hmap_rec_active, 0, __ATOMIC_RELEASE);
            for (struct rec_buf *b = rec_bufs; b; b = b->next)
                rec_flush_locked(b, 0);
            if (rec_lost.pending) rec_write_chunk(0, NULL, 0, 0, 0, 0);
            fdatasync(rec_fd);
        }
        /* Kept locked: the process ends with this signal. */
    }
    errno = saved;
    /* SA_RESETHAND put the default action back: raised again, it ends the
     * process once this handler returns (a fault re-faults on return). */
    raise(sig);
}

static void rec_install_signal_handlers(void)
{
    static int installed;
    if (installed) return;
    installed = 1;
    for (size_t i = 0; i < sizeof rec_fatal_signals / sizeof *rec_fatal_signals; i++) {
        struct sigaction old, sa;
        if (sigaction(rec_fatal_signals[i], NULL, &old) < 0 || old.sa_handler != SIG_DFL ||
            (old.sa_flags & SA_SIGINFO))
            continue;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = rec_on_fatal_signal;
        sa.sa_flags = SA_RESETHAND;
        sigemptyset(&sa.sa_mask);
        sigaction(rec_fatal_signals[i], &sa, NULL);
    }
}

HMAP_API int hmap_trace_start(const char *path)
{
    if (!path || !*path) return -EINVAL;
    pthread_once(&rec_once, rec_init_once);
    pthread_mutex_lock(&rec_lock);
    int err = 0;
    if (rec_fd >= 0) {
        err = -EALREADY;
        goto out;
    }
    if ((err = rec_expand_path(path, rec_path, sizeof rec_path)) < 0) goto out;
    int fd = rec_create();
    if (fd < 0) {
        err = fd;
        goto out;
    }
    rec_fd = fd;
    rec_off = 0;
    rec_chunks = rec_events = 0;
    rec_can_reserve = 1;
    rec_pid = (uint32_t)getpid();
    memset(&rec_lost, 0, sizeof rec_lost);
    rec_clock_start();
    /* The producer names the event clock: "tsc" or "vdso" (clock_gettime). */
    struct hmap_native_file_header fh = hmap_native_file_header_make_packed(
        rec_use_tsc ? "libhmap " HMAP_VERSION_STRING " in-process tsc"
                    : "libhmap " HMAP_VERSION_STRING " in-process vdso",
        rec_pid, rec_now());
    if (rec_write(&fh, sizeof fh) < 0) {
        err = -errno;
        close(rec_fd);
        rec_fd = -1;
        unlink(rec_path); /* created by this call, holds nothing */
        goto out;
    }
    rec_install_signal_handlers();
    atomic_fetch_add(&rec_session, 1);
    __atomic_store_n(&hmap_rec_active, 1, __ATOMIC_RELEASE);
    rec_set_gates(1);
out:
    pthread_mutex_unlock(&rec_lock);
    /* Maps that exist already go into the trace first (docs/statedump.md);
     * outside rec_lock, which the dump's own records take when they flush. */
    if (!err && hmap_tp_statedump_hook) hmap_tp_statedump_hook(HMAP_STATE_BY_RECORDER);
    return err;
}

/* The last records of a trace stopped cleanly: a chunk with the pending
 * lost record if there is one, then the end record, into the room kept for
 * them.  If both do not fit, the end record alone, whose total then says
 * that the file does not list every loss. */
static int rec_write_tail(void)
{
    struct hmap_native_end_record er;
    if (rec_lost.pending) {
        struct rec_chunk c;
        rec_chunk_build(&c, 0, NULL, 0, 0, 0, 0);
        er = hmap_native_end_record_make(rec_now(), rec_pid, rec_events, rec_lost.total,
                                         rec_chunks + 1);
        c.iov[c.cnt++] = (struct iovec){&er, sizeof er};
        if (rec_writev(c.iov, c.cnt, 0) == 0) {
            rec_chunk_written(&c, 0);
            return 0;
        }
    }
    er = hmap_native_end_record_make(rec_now(), rec_pid, rec_events, rec_lost.total, rec_chunks);
    struct iovec v = {&er, sizeof er};
    return rec_writev(&v, 1, 0);
}

/* Under rec_lock: flush every buffer, end the trace, close.  Returns 0, or
 * -EIO when some events never reached the file (also reported on stderr). */
static int rec_stop_locked(void)
{
    __atomic_store_n(&hmap_rec_active, 0, __ATOMIC_RELEASE);
    rec_set_gates(0);
    for (struct rec_buf *b = rec_bufs; b; b = b->next)
        rec_flush_locked(b, 0);
    int ended = rec_write_tail() == 0, tail_errno = errno;
    /* Give back the reserve past the end of the file. */
    if (rec_can_reserve && ftruncate(rec_fd, rec_off) < 0) {
        /* Only space is lost; the contents are complete. */
    }
    int err = 0;
    if (fsync(rec_fd) < 0 && errno != EINVAL && errno != EROFS) err = -EIO;
    if (close(rec_fd) < 0) err = -EIO;
    rec_fd = -1;
    if (rec_lost.total) {
        fprintf(stderr, "hmap: trace %s: %llu events lost%s\n", rec_path,
                (unsigned long long)rec_lost.total,
                !ended             ? " (the file has no end record: readers report it as cut short)"
                : rec_lost.pending ? " (some of them counted only by the file's end record)"
                                   : "");
        err = -EIO;
    } else if (!ended) {
        fprintf(stderr,
                "hmap: trace %s: cannot write its end record: %s; readers report it as cut short\n",
                rec_path, strerror(tail_errno));
        err = -EIO;
    }
    return err;
}

HMAP_API int hmap_trace_stop(void)
{
    pthread_mutex_lock(&rec_lock);
    int err = rec_fd < 0 ? -EINVAL : rec_stop_locked();
    pthread_mutex_unlock(&rec_lock);
    return err;
}

HMAP_API uint64_t hmap_trace_lost(void)
{
    pthread_mutex_lock(&rec_lock);
    uint64_t n = rec_lost.total;
    pthread_mutex_unlock(&rec_lock);
    return n;
}

/* A forked child must not write into its parent's file: it stops recording
 * (its copy of the parent's unflushed records is the parent's to write). */
static void rec_after_fork_child(void)
{
    __atomic_store_n(&hmap_rec_active, 0, __ATOMIC_RELAXED);
    rec_set_gates(0);
    if (rec_fd >= 0) close(rec_fd);
    rec_fd = -1;
    atomic_fetch_add(&rec_session, 1);
    pthread_mutex_init(&rec_lock, NULL);
}

__attribute__((constructor)) static void rec_start_from_env(void)
{
    const char *path = getenv("HMAP_TRACE");
    if (!path || !*path) return;
    int err = hmap_trace_start(path);
    if (err == -ELOOP)
        fprintf(stderr,
                "hmap: HMAP_TRACE=%s: %s is a symbolic link; trace files are never written "
                "through one: continuing without a trace\n",
                path, rec_path);
    else if (err < 0)
        fprintf(stderr, "hmap: HMAP_TRACE=%s: cannot start the trace: %s; continuing without it\n",
                path, strerror(-err));
}

__attribute__((destructor)) static void rec_stop_at_exit(void)
{
    pthread_mutex_lock(&rec_lock);
    if (rec_fd >= 0) rec_stop_locked();
    pthread_mutex_unlock(&rec_lock);
}

#else /* !HMAP_PROBES_RECORDER: the API exists and says why it cannot work */

HMAP_API int hmap_trace_start(const char *path)
{
    (void)path;
    return -ENOTSUP;
}
HMAP_API int hmap_trace_stop(void)
{
    return -ENOTSUP;
}
HMAP_API uint64_t hmap_trace_lost(void)
{
    return 0;
}

#endif
