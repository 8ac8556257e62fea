/* SPDX-License-Identifier: MIT */
/*
 * shards.c — the lifetime engine on N threads (shards.h).
 *
 * The records go in batches of BATCH event records, a ring of RING
 * batches: the caller's thread fills one while the workers apply earlier
 * ones.  Shard 0 is the caller's own: its records are fed to its engine as
 * they are read, never copied, so that N shards take N threads, one per
 * CPU, and none waits for a core held by a third (the reading thread is
 * as busy as a worker).  In a batch, each other shard has its part (a copy
 * of its records, lost records copied into every part), and the batch
 * keeps, in global order, the shard and the time of every event record.
 * Each shard writes, for each event record of its part, the change the
 * record made to its engine's summed gauges (bytes held, indirect bytes,
 * live bytes x 8).  Once the workers are done with a batch (at the latest
 * before its slot is filled again), the caller's thread replays its
 * records in global order on the
 * global gauges: the same steps, in the same order, as one engine's bs_engine_feed
 * takes on its totals (advance the integral of empty bytes to the record's
 * time, apply the change, raise the peaks, sample for the SVG).
 *
 * Why the shards' own results are the one engine's: every lookup of the
 * engine is by (pid, address).  Maps are keyed by (pid, map), and all the
 * records of one map go to one shard.  Allocations and indirect objects are
 * keyed by (pid, address) whatever their map; here the caller's thread
 * keeps every live one of any shard (live_ranges.h: one set of address ranges,
 * one of object addresses) and refuses an allocation that overlaps a live
 * one, or an object at a live object's address.  With none overlapping, a
 * lookup that finds an allocation finds the one the single engine would
 * (the only one holding that address), and a lookup that finds nothing in
 * its shard is counted unmatched there, which refuses the result at the end.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef __SSE2__
#include <emmintrin.h>
#define spin_pause() _mm_pause()
#else
#define spin_pause() __asm__ __volatile__("" ::: "memory")
#endif

#include "live_ranges.h"
#include "memory.h"
#include "rules.h"
#include "shards.h"

/* Batches are small and many: a worker the scheduler keeps waiting must not
 * stall the reader (on a loaded machine, tens of ms); 256 K records in
 * flight hold ~25 MB with two shards. */
#define BATCH 8192 /* event records per batch */
#define RING 32    /* batches in flight */
#define SPIN 20000 /* sem_wait_spin */
#define CACHE 1024 /* slots of the map -> shard cache (a power of two) */

/* What one event record changed in its shard's summed gauges, in one word
 * read by the other core: the change of live bytes x 8, shifted left by
 * one, with the low bit set when bytes held or indirect bytes changed too
 * (an allocation or a free, rare), those two then in the part's side list. */
typedef int64_t delta;
struct side_delta {
    int64_t held, indirect;
};

struct part { /* one shard's records of one batch */
    uint8_t *buf;
    size_t len, cap;
    uint32_t nev, out_cap; /* event records (lost records are not), room in out (the
                              worker's to grow) */
    delta *out;
    struct side_delta *side;
    uint32_t nside, side_cap;
};

/* Feed event record h, p's event record number i, to e and keep the
 * change it made in e's summed gauges. */
static inline void feed_keep(struct bs_engine *e, struct part *p, uint32_t i,
                             const struct hmap_native_rec_header *h)
{
    const struct bs_gauges *g = &e->tot.all;
    uint64_t held = g->bytes_held, ind = g->indirect_held, live8 = g->live_bytes8;
    bs_engine_feed(e, h);
    int64_t dh = (int64_t)(g->bytes_held - held), di = (int64_t)(g->indirect_held - ind);
    delta d = (delta)((g->live_bytes8 - live8) << 1);
    if (__builtin_expect((dh | di) != 0, 0)) {
        if (p->nside == p->side_cap)
            p->side = bs_grow_array(p->side, &p->side_cap, sizeof(*p->side));
        p->side[p->nside++] = (struct side_delta){dh, di};
        d |= 1;
    }
    p->out[i] = d;
}

/* The change of live bytes x 8 a delta holds (GCC and Clang shift signed
 * integers arithmetically). */
static inline uint64_t delta_live8(delta d)
{
    return (uint64_t)(d >> 1);
}

union rec_copy { /* a record copied to be changed (a lost span, a clamped time) */
    struct hmap_native_rec_header h;
    uint8_t bytes[sizeof(struct hmap_native_rec_header) + HMAP_NATIVE_MAX_PAYLOAD];
};

struct batch {
    uint32_t n;   /* event records, all shards */
    uint8_t *sid; /* shard of each, in global order */
    uint64_t *ts; /* time of each (after the clamp) */
    struct part *part;
};

struct worker {
    struct bs_shards *s;
    int id;
    pthread_t th;
    sem_t ready, done;
    struct bs_engine *e;
    double cpu_s;  /* the thread's CPU time, at its end */
    double spin_s; /* of it, spinning in sem_wait_spin */
};

struct bs_shards {
    int n, nthreads; /* shards; worker threads running (shards 1..n-1 once all started) */
    struct worker *w;
    struct batch ring[RING];
    uint64_t filling, oldest, published; /* batch sequence numbers */
    struct batch *fill;                  /* ring[filling % RING] */
    struct bs_engine *r;                 /* the merged result; its totals, samples, marks */
    int started, past_until, counted, finish;
    /* finish: the workers finish their engines */ /* counted: an event inside the window was
                                                      replayed */
    uint64_t since_ns, until_ns, last_ns, first_ns, out_of_order;
    uint64_t stop_ns; /* records at or after it take feed_any: until_ns or the end of time,
                         0 before the first record */
    struct bs_addr_table shard_of; /* (pid, map) -> shard */
    /* in front of it, direct-mapped: the shard of recently seen maps */
    struct {
        uint64_t map;
        uint32_t pid, shard; /* shard BS_NONE: empty */
    } cache[CACHE];
    uint64_t load[BS_MAX_JOBS]; /* event records given to each shard */
    int home_weight;            /* bs_shards_new */
    int spin;                   /* sem_wait_spin's pauses */
    uint64_t acq[BS_MAX_JOBS];  /* batches each worker said it is done with */
    uint8_t *created;           /* shard of each map_create, in order */
    uint32_t ncreated, created_cap;
    struct bs_ranges allocs, objects; /* the live ranges of all shards */
    const char *refusal;
    double cpu_s;  /* the caller's thread's CPU time at the end (for --stats) */
    double spin_s; /* of it, spinning in sem_wait_spin */
};

static double thread_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int bs_shards_cpu(const struct bs_shards *s, double *cpu_s, double *spin_s, int n)
{
    if (n > 0) cpu_s[0] = s->cpu_s, spin_s[0] = s->spin_s;
    for (int k = 1; k < s->n && k < n; k++)
        cpu_s[k] = s->w[k].cpu_s, spin_s[k] = s->w[k].spin_s;
    return s->n;
}

const char *bs_shards_refusal(const struct bs_shards *s)
{
    return s->refusal;
}

/* ---- workers -------------------------------------------------------------------- */

static void apply_part(struct bs_engine *e, struct part *p)
{
    uint32_t i = 0;
    while (p->out_cap < p->nev) /* room for a change per event record, made here */
        p->out = bs_grow_array(p->out, &p->out_cap, sizeof(*p->out));
    for (size_t off = 0; off < p->len;) {
        const struct hmap_native_rec_header *h = (const void *)(p->buf + off);
        off += (h->size + 7u) & ~(size_t)7;
        if (h->id == HMAP_NATIVE_LOST_ID) {
            bs_engine_feed(e, h);
            continue;
        }
        feed_keep(e, p, i++, h);
    }
}

/* sem_wait, after spinning a while on sem_trywait: the thread this one
 * waits for is on the other core and usually done within a batch's time,
 * and a thread that sleeps is woken late (tens of microseconds on a VM,
 * whose idle vCPU is halted), which the other then waits for in turn.
 * The spin is bounded (SPIN pauses: about 0.2 to 1 ms, a pause taking
 * 10 to 140 cycles by CPU), so a long wait still sleeps; with more shards
 * than CPUs there is none (s->spin 0): the thread waited for may need the
 * CPU. */
static int sem_wait_spin(const struct bs_shards *s, sem_t *sem, double *spun_s)
{
    if (sem_trywait(sem) == 0) return 0;
    if (!s->spin) return sem_wait(sem);
    struct timespec a, b;
    int r = -1;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < s->spin && r != 0; i++) {
        spin_pause();
        r = sem_trywait(sem);
    }
    clock_gettime(CLOCK_MONOTONIC, &b); /* for --stats: the spin is CPU time */
    *spun_s += (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    return r == 0 ? 0 : sem_wait(sem);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct bs_shards *s = w->s;
    for (uint64_t seq = 0;; seq++) {
        while (sem_wait_spin(s, &w->ready, &w->spin_s) != 0 && errno == EINTR) {
        }
        if (seq >= __atomic_load_n(&s->published, __ATOMIC_ACQUIRE)) { /* stop */
            if (s->finish) {
                /* Each shard ends where one engine would: at the global end. */
                w->e->past_until = s->past_until;
                w->e->tot.last_ns = s->last_ns;
                bs_engine_finish(w->e);
            }
            break;
        }
        apply_part(w->e, &s->ring[seq % RING].part[w->id]);
        sem_post(&w->done);
    }
    w->cpu_s = thread_cpu_s();
    return NULL;
}

/* ---- the global gauges, in global order ----------------------------------------- */

/* Replay batch b on the global gauges: bs_engine_feed's steps on its totals
 * (rules.h bs_advance, the change, settle, the sample) for each record.
 * Until the window opens (a record at or after since_ns is counted) they
 * are taken as they are.  After it, which is nearly every record of the
 * trace, on the reading thread: times never go back here, so the integral
 * runs from the last time, and a change of nothing changes no peak; the
 * gauges are held in locals for the rest of the batch (stored back before
 * a sample and at the end).  The floating-point steps are bs_advance's, in
 * the same order. */
static void global_pass(struct bs_shards *s, struct batch *b)
{
    struct bs_engine *r = s->r;
    struct bs_gauges *g = &r->tot.all;
    const delta *cur[BS_MAX_JOBS];
    const struct side_delta *side[BS_MAX_JOBS];
    for (int k = 0; k < s->n; k++)
        cur[k] = b->part[k].out, side[k] = b->part[k].side;
    static const struct side_delta none;
    uint32_t i = 0;
    for (; i < b->n && !s->counted; i++) {
        uint64_t t = b->ts[i];
        int k = b->sid[i];
        delta d = *cur[k]++;
        const struct side_delta *x = d & 1 ? side[k]++ : &none;
        bs_advance(r, g, t);
        if ((x->held | x->indirect | delta_live8(d)) || t >= s->since_ns) {
            g->bytes_held += (uint64_t)x->held;
            g->indirect_held += (uint64_t)x->indirect;
            g->live_bytes8 += delta_live8(d);
            if (t >= s->since_ns) {
                s->counted = 1;
                if (g->bytes_held > g->peak_held) g->peak_held = g->bytes_held;
                if (bs_bucket_bytes(g) > g->peak_bucket) g->peak_bucket = bs_bucket_bytes(g);
                if (g->indirect_held > g->peak_indirect) g->peak_indirect = g->indirect_held;
                uint64_t empty = bs_empty_bytes(g);
                if (empty > g->peak_empty) g->peak_empty = empty;
            }
        }
        if (t >= r->ts.next_sample) bs_timeseries_sample(&r->ts, t, s->first_ns, g, 0);
    }
    uint64_t held = g->bytes_held, ind = g->indirect_held, live8 = g->live_bytes8;
    uint64_t last = g->last_ns, next_sample = r->ts.next_sample;
    uint64_t peak_held = g->peak_held, peak_bucket = g->peak_bucket;
    uint64_t peak_ind = g->peak_indirect, peak_empty = g->peak_empty;
    double area = g->empty_byte_ns, empty = (double)bs_empty_bytes(g);
    for (; i < b->n; i++) {
        uint64_t t = b->ts[i];
        int k = b->sid[i];
        delta d = *cur[k]++;
        if (t > last) {
            area += empty * (double)(t - last);
            last = t;
        }
        if (__builtin_expect(d & 1, 0)) {
            const struct side_delta *x = side[k]++;
            held += (uint64_t)x->held;
            ind += (uint64_t)x->indirect;
            if (held > peak_held) peak_held = held;
            if (held - ind > peak_bucket) peak_bucket = held - ind;
            if (ind > peak_ind) peak_ind = ind;
        }
        live8 += delta_live8(d);
        uint64_t e = bs_empty_of(held - ind, live8);
        if (e > peak_empty) peak_empty = e;
        empty = (double)e;
        if (__builtin_expect(t >= next_sample, 0)) {
            g->bytes_held = held, g->indirect_held = ind, g->live_bytes8 = live8;
            bs_timeseries_sample(&r->ts, t, s->first_ns, g, 0);
            next_sample = r->ts.next_sample;
        }
    }
    g->bytes_held = held, g->indirect_held = ind, g->live_bytes8 = live8;
    g->last_ns = last, g->empty_byte_ns = area;
    g->peak_held = peak_held, g->peak_bucket = peak_bucket;
    g->peak_indirect = peak_ind, g->peak_empty = peak_empty;
}

/* Replay the oldest batch and empty its slot, once every worker is done
 * with it; block for that only if `wait`.  Returns 1 if it did.  acq[k]
 * counts the "done" tokens of worker k taken so far (one per batch). */
static int retire_oldest(struct bs_shards *s, int wait)
{
    for (int k = 1; k < s->n; k++)
        while (s->acq[k] <= s->oldest) {
            int r = wait ? sem_wait_spin(s, &s->w[k].done, &s->spin_s) : sem_trywait(&s->w[k].done);
            if (r == 0)
                s->acq[k]++;
            else if (errno != EINTR)
                return 0; /* EAGAIN: not done yet */
        }
    struct batch *b = &s->ring[s->oldest % RING];
    global_pass(s, b);
    b->n = 0;
    for (int k = 0; k < s->n; k++)
        b->part[k].len = b->part[k].nev = b->part[k].nside = 0;
    s->oldest++;
    return 1;
}

/* Hand the batch being filled to the workers.  Batches the workers are done
 * with are replayed at once, while their records are still in the cache;
 * the ring full, the oldest is waited for. */
static __attribute__((noinline)) int publish(struct bs_shards *s)
{
    __atomic_store_n(&s->published, s->filling + 1, __ATOMIC_RELEASE);
    for (int k = 1; k < s->n; k++)
        sem_post(&s->w[k].ready);
    s->filling++;
    s->fill = &s->ring[s->filling % RING];
    while (s->oldest + 1 < s->filling && retire_oldest(s, 0)) {
    }
    if (s->filling - s->oldest == RING) retire_oldest(s, 1);
    return 0;
}

/* ---- the caller's side ---------------------------------------------------------- */

struct bs_shards *bs_shards_new(const struct bs_engine_opts *opt, int n, int home_weight)
{
    if (n < 2 || n > BS_MAX_JOBS || home_weight < 1) return NULL;
    struct bs_shards *s = calloc(1, sizeof(*s));
    if (!s) return NULL;
    s->n = n;
    s->home_weight = home_weight;
    cpu_set_t cpus;
    s->spin = sched_getaffinity(0, sizeof(cpus), &cpus) == 0 && n <= CPU_COUNT(&cpus) ? SPIN : 0;
    bs_ranges_init(&s->allocs);
    bs_ranges_init(&s->objects);
    struct bs_engine_opts wo = *opt;
    wo.on_delete = NULL;
    wo.on_tick = NULL;
    wo.tick_ns = 0;
    if (!(s->r = bs_engine_new(&wo)) || !(s->w = calloc((size_t)n, sizeof(*s->w)))) goto fail;
    bs_addr_table_init(&s->shard_of);
    s->fill = &s->ring[0];
    for (int i = 0; i < CACHE; i++)
        s->cache[i].shard = BS_NONE;
    for (int i = 0; i < RING; i++) {
        struct batch *b = &s->ring[i];
        b->sid = malloc(BATCH);
        b->ts = malloc(BATCH * sizeof(*b->ts));
        b->part = calloc((size_t)n, sizeof(*b->part));
        if (!b->sid || !b->ts || !b->part) goto fail;
        /* shard 0's changes, written as its records are fed (feed_home) */
        b->part[0].out = malloc(BATCH * sizeof(*b->part[0].out));
        if (!b->part[0].out) goto fail;
        b->part[0].out_cap = BATCH;
    }
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 1 << 20);
    for (int k = 0; k < n; k++) {
        struct worker *w = &s->w[k];
        w->s = s;
        w->id = k;
        if (!(w->e = bs_engine_new(&wo))) goto fail_attr;
        w->e->cap_share = (uint32_t)n; /* the cap is of all shards together */
        w->e->shard = 1;
        sem_init(&w->ready, 0, 0);
        sem_init(&w->done, 0, 0);
        if (k == 0) continue; /* the caller's thread runs shard 0 */
        if (pthread_create(&w->th, &attr, worker_main, w) != 0) {
            bs_engine_free(w->e);
            w->e = NULL;
            goto fail_attr;
        }
        s->nthreads++;
    }
    pthread_attr_destroy(&attr);
    return s;
fail_attr:
    pthread_attr_destroy(&attr);
fail:
    bs_shards_finish(s);
    bs_shards_free(s);
    return NULL;
}

void bs_shards_set_window(struct bs_shards *s, uint64_t since_ns, uint64_t until_ns)
{
    s->since_ns = since_ns;
    s->until_ns = until_ns;
    bs_engine_set_window(s->r, since_ns, until_ns);
    for (int k = 0; k < s->n; k++)
        bs_engine_set_window(s->w[k].e, since_ns, until_ns);
}

static __attribute__((noinline, cold)) void grow_part(struct part *p, size_t len)
{
    size_t cap = p->cap ? 2 * p->cap : 8 * BATCH;
    while (cap < p->len + len)
        cap *= 2;
    uint8_t *buf = realloc(p->buf, cap);
    if (!buf) bs_oom();
    p->buf = buf;
    p->cap = cap;
}

/* The 48 bytes of a tophash_write record, in three 16-byte moves (a
 * memcpy of 48 bytes may become a `rep movs`, slow to start). */
static inline void copy48(uint8_t *to, const void *from)
{
#ifdef __SSE2__
    const __m128i *f = from;
    __m128i a = _mm_loadu_si128(f), b = _mm_loadu_si128(f + 1), c = _mm_loadu_si128(f + 2);
    _mm_storeu_si128((__m128i *)to, a);
    _mm_storeu_si128((__m128i *)to + 1, b);
    _mm_storeu_si128((__m128i *)to + 2, c);
#else
    memcpy(to, from, 48);
#endif
}

/* Append record h, of size bytes (its h->size, read once: the copy may
 * alias it), at time t to part p. */
static inline __attribute__((always_inline)) void
copy_into(struct part *p, const struct hmap_native_rec_header *h, uint16_t size, uint64_t t)
{
    size_t len = (size + 7u) & ~(size_t)7;
    if (__builtin_expect(p->len + len > p->cap, 0)) grow_part(p, len);
    struct hmap_native_rec_header *c = (void *)(p->buf + p->len);
    if (size == 48) /* a tophash_write: a copy of fixed size, no call */
        copy48((uint8_t *)c, h);
    else
        memcpy(c, h, size);
    c->ts_ns = t;
    p->len += len;
}

static int refuse(struct bs_shards *s, const char *why)
{
    s->refusal = why;
    return -1;
}

/* A record just copied into pt, its part of the batch being filled, at time
 * t (after the clamp), counted as shard k's; the batch goes out when full. */
static inline __attribute__((always_inline)) int count_out(struct bs_shards *s, struct part *pt,
                                                           uint32_t k, uint64_t t)
{
    struct batch *b = s->fill;
    s->load[k]++;
    pt->nev++;
    uint32_t n = b->n;
    b->sid[n] = (uint8_t)k;
    b->ts[n] = t;
    s->last_ns = t;
    b->n = n + 1;
    return n + 1 == BATCH ? publish(s) : 0; /* a tail call */
}

/* Shard 0's record h (its time already clamped): fed to the caller's own
 * engine now, its change to the summed gauges kept for the replay, as
 * apply_part does for the other shards.  Not inlined: bs_shards_feed
 * reaches it by a tail call and so saves no register. */
static __attribute__((noinline)) int feed_home(struct bs_shards *s,
                                               const struct hmap_native_rec_header *h)
{
    struct part *p = &s->fill->part[0];
    feed_keep(s->w[0].e, p, p->nev, h);
    return count_out(s, p, 0, h->ts_ns);
}

static inline uint32_t cache_slot(uint32_t pid, uint64_t map)
{
    return (uint32_t)((map >> 4) ^ (map >> 14) ^ pid) & (CACHE - 1);
}

/* Any record: the lost ones, the first, those out of time order or past
 * the window, the events that change what the shards share, maps not in
 * the cache. */
static __attribute__((noinline)) int feed_any(struct bs_shards *s,
                                              const struct hmap_native_rec_header *h)
{
    struct batch *b = s->fill;
    if (h->id == HMAP_NATIVE_LOST_ID) {
        /* Into every shard, each sees them where one engine would; the span
         * a record does not give is said here, from the global clock. */
        union rec_copy c;
        if (h->size > sizeof(c) || h->size < sizeof(*h) + sizeof(struct hmap_native_lost))
            return refuse(s, "a lost record of an unknown size");
        memcpy(&c, h, h->size);
        struct hmap_native_lost l;
        memcpy(&l, &c.h + 1, sizeof(l));
        if (!l.first_ns && !l.last_ns) {
            l.first_ns = s->last_ns;
            l.last_ns = h->ts_ns;
            memcpy(&c.h + 1, &l, sizeof(l));
        }
        bs_engine_feed(s->w[0].e, &c.h);
        for (int k = 1; k < s->n; k++)
            copy_into(&b->part[k], &c.h, c.h.size, c.h.ts_ns);
        return 0;
    }
    struct bs_engine *r = s->r;
    if (!s->started) {
        s->started = 1;
        s->first_ns = s->last_ns = h->ts_ns;
        s->stop_ns = s->until_ns ? s->until_ns : UINT64_MAX;
        r->tot.all.last_ns = h->ts_ns;
        bs_timeseries_start(&r->ts, h->ts_ns, 0);
    }
    uint64_t t = h->ts_ns;
    if (t < s->last_ns) {
        s->out_of_order++;
        t = s->last_ns;
    }
    if (s->until_ns && t >= s->until_ns) {
        s->past_until = 1;
        return 1;
    }
    const void *p = h + 1;
    uint64_t map;
    if (h->size < sizeof(*h) + sizeof(map)) return refuse(s, "a record too short to name a map");
    memcpy(&map, p, sizeof(map));
    switch (h->id) {
    case HMAP_EV_map_create:
        if (s->ncreated + 1 >= 2 * BS_MAX_IDLE_MAPS)
            return refuse(s, "as many maps as the engine folds");
        break;
    case HMAP_EV_map_destroy:
        bs_timeseries_mark(&r->ts, BS_MARK_DESTROY, t, s->first_ns);
        break;
    case HMAP_EV_bucket_array_alloc: {
        const struct hmap_native_bucket_array_alloc *a = p;
        if (bs_ranges_take(&s->allocs, h->pid, a->addr, a->bytes) < 0)
            return refuse(s, "an allocation overlapping a live one");
        break;
    }
    case HMAP_EV_overflow_alloc: {
        const struct hmap_native_overflow_alloc *a = p;
        if (a->source == HMAP_OVF_ALLOCATOR && a->bytes &&
            bs_ranges_take(&s->allocs, h->pid, a->addr, a->bytes) < 0)
            return refuse(s, "an allocation overlapping a live one");
        break;
    }
    case HMAP_EV_bucket_free:
        if (bs_ranges_give(&s->allocs, h->pid, ((const struct hmap_native_bucket_free *)p)->addr))
            return refuse(s, "a free of no allocation");
        break;
    case HMAP_EV_indirect_alloc:
        if (bs_ranges_take(&s->objects, h->pid,
                           ((const struct hmap_native_indirect_alloc *)p)->addr, 1) < 0)
            return refuse(s, "an object at a live object's address");
        break;
    case HMAP_EV_indirect_free:
        if (bs_ranges_give(&s->objects, h->pid,
                           ((const struct hmap_native_indirect_free *)p)->addr))
            return refuse(s, "a free of no object");
        break;
    case HMAP_EV_tophash_write: {
        const struct hmap_native_tophash_write *w = p;
        if (w->cause == HMAP_TH_CLEAR && w->slot < BS_BUCKET_SLOTS)
            bs_timeseries_mark(&r->ts, BS_MARK_CLEAR, t, s->first_ns);
        break;
    }
    case HMAP_EV_grow_start: {
        const struct hmap_native_grow_start *g = p;
        if (g->kind < HMAP_ENUM_COUNT(grow_kind))
            bs_timeseries_mark(&r->ts,
                               g->kind == HMAP_GROW_SHRINK      ? BS_MARK_SHRINK
                               : g->kind == HMAP_GROW_SAME_SIZE ? BS_MARK_SAMESIZE
                                                                : BS_MARK_GROW,
                               t, s->first_ns);
        break;
    }
    case HMAP_EV_evacuate:
    case HMAP_EV_grow_done:
    case HMAP_EV_overflow_unlink:
    case HMAP_EV_map_info:
        break;
    default: /* state dumps (brackets of any map), statedump_done, unknown events */
        return refuse(s, "a state dump or an unknown event");
    }
    uint32_t c = cache_slot(h->pid, map), k;
    if (s->cache[c].shard != BS_NONE && s->cache[c].map == map && s->cache[c].pid == h->pid) {
        k = s->cache[c].shard;
    } else {
        k = bs_addr_get(&s->shard_of, h->pid, map);
        if (k == BS_NONE) {
            if (h->id != HMAP_EV_map_create) return refuse(s, "a map seen without map_create");
            k = 0; /* to the shard with the least load so far */
            uint64_t least = (uint64_t)s->home_weight * s->load[0];
            for (int j = 1; j < s->n; j++)
                if (4 * s->load[j] < least) k = (uint32_t)j, least = 4 * s->load[j];
            if (bs_addr_put(&s->shard_of, h->pid, map, k) < 0) bs_oom();
        }
        s->cache[c].map = map;
        s->cache[c].pid = h->pid;
        s->cache[c].shard = k;
    }
    if (h->id == HMAP_EV_map_create) {
        if (s->ncreated == s->created_cap)
            s->created = bs_grow_array(s->created, &s->created_cap, 1);
        s->created[s->ncreated++] = (uint8_t)k;
    }
    if (k == 0) {
        if (t == h->ts_ns) return feed_home(s, h);
        union rec_copy c; /* clamped in time: fed as a copy with the new time */
        if (h->size > sizeof(c)) return refuse(s, "a record of an unknown size");
        memcpy(&c, h, h->size);
        c.h.ts_ns = t;
        return feed_home(s, &c.h);
    }
    struct part *pt = &s->fill->part[k];
    copy_into(pt, h, h->size, t);
    return count_out(s, pt, k, t);
}

/* Most records are tophash writes, in time order, of a map whose shard is
 * in the cache, that change nothing the shards share: those are handed out
 * here, without feed_any's checks; every other record goes there. */
int bs_shards_feed(struct bs_shards *s, const struct hmap_native_rec_header *h)
{
    enum { SIZE = HMAP_NATIVE_REC_SIZE(sizeof(struct hmap_native_tophash_write)) };
    uint64_t t = h->ts_ns, map;
    const struct hmap_native_tophash_write *w = (const void *)(h + 1);
    if (h->id != HMAP_EV_tophash_write || h->size != SIZE || t < s->last_ns || t >= s->stop_ns ||
        w->cause == HMAP_TH_CLEAR)
        return feed_any(s, h);
    memcpy(&map, &w->map, sizeof(map));
    uint32_t c = cache_slot(h->pid, map), k = s->cache[c].shard;
    if (s->cache[c].map != map || s->cache[c].pid != h->pid || k == BS_NONE) return feed_any(s, h);
    if (k == 0) return feed_home(s, h);
    struct part *pt = &s->fill->part[k];
    /* With room in the part, copy_into's growth is never taken: the path
     * makes no call but tail calls, so it needs no saved register. */
    if (pt->len + SIZE > pt->cap) return feed_any(s, h);
    /* The part's lines were last read by a worker, on its core: ask for
     * them, to be written, a few records ahead (3 % of this thread). */
    __builtin_prefetch(pt->buf + pt->len + 512, 1);
    copy_into(pt, h, SIZE, t);
    return count_out(s, pt, k, t);
}

/* Stop the workers after every batch is applied and replayed. */
static void drain(struct bs_shards *s)
{
    if (s->nthreads == s->n - 1) {
        struct batch *b = s->fill;
        int any = b->n != 0;
        for (int k = 0; k < s->n; k++)
            any |= b->part[k].len != 0;
        if (any) publish(s);
        while (s->oldest < s->filling)
            retire_oldest(s, 1);
    }
    s->finish = s->nthreads == s->n - 1 && !s->refusal;
    for (int k = 1; k <= s->nthreads; k++)
        sem_post(&s->w[k].ready); /* published is final: they stop */
    if (s->finish) {              /* shard 0 ends as the workers' do (worker_main) */
        struct bs_engine *e = s->w[0].e;
        e->past_until = s->past_until;
        e->tot.last_ns = s->last_ns;
        bs_engine_finish(e);
    }
    for (int k = 1; k <= s->nthreads; k++)
        pthread_join(s->w[k].th, NULL);
    s->nthreads = 0;
    s->cpu_s = thread_cpu_s();
}

/* Unmatched classes that can mean a record met, in one engine, what another
 * shard held: a lookup that found nothing, a map made on the spot. */
static int cross_shard(int c)
{
    return c == BS_UM_FREE_WITHOUT_ALLOC || c == BS_UM_WRITE_UNKNOWN_BUCKET ||
           c == BS_UM_DOUBLE_ALLOC || c == BS_UM_UNKNOWN_MAP || c == BS_UM_FREE_INTERIOR ||
           c == BS_UM_FREE_UNKNOWN_OBJECT || c == BS_UM_UNLISTED_ALLOC;
}

/* A sum of latencies is the one engine's, whatever the order of its adds,
 * when every partial sum is an integer a double holds exactly. */
static int sums_exact(struct bs_shards *s, size_t off)
{
    uint64_t total = 0;
    for (int k = 0; k < s->n; k++) {
        double v = ((const struct bs_hist *)((const char *)&s->w[k].e->tot + off))->sum;
        if (!(v < 9007199254740992.0)) return 0;
        total += (uint64_t)v;
        if (total >= ((uint64_t)1 << 53)) return 0;
    }
    return 1;
}

static void add_totals(struct bs_engine_totals *d, const struct bs_engine_totals *t)
{
#define SUM_(f) d->f += t->f
    SUM_(events), SUM_(maps_created), SUM_(maps_destroyed), SUM_(arrays_alloc);
    SUM_(arrays_freed), SUM_(ovf_alloc), SUM_(ovf_freed), SUM_(arrays_live), SUM_(ovf_live);
    SUM_(deletes), SUM_(cleared), SUM_(maybe_lost);
    SUM_(all.objects), SUM_(all.live_slots), SUM_(all.tombstones), SUM_(all.in_use_buckets);
    SUM_(all.live_buckets), SUM_(all.ovf_buckets);
    for (int o = 0; o < BS_OUTCOMES; o++)
        SUM_(outcome[o]);
    for (int r = 0; r < BS_FREE_REASONS; r++)
        SUM_(freed_reason[r]);
    for (int c = 0; c < BS_UM_COUNT; c++)
        SUM_(unmatched[c]);
    SUM_(obj.alloc), SUM_(obj.alloc_bytes), SUM_(obj.attach), SUM_(obj.attach_bytes);
    for (int r = 0; r < BS_OBJ_REASONS; r++)
        SUM_(obj.freed[r]);
    for (int c = 0; c < BS_FREE_CLASSES; c++)
        SUM_(reclaimed.bucket[c]), SUM_(reclaimed.indirect[c]);
    SUM_(reclaimed.indirect_unused);
#undef SUM_
    bs_hist_merge(&d->reuse, &t->reuse);
    bs_hist_merge(&d->retained, &t->retained);
    bs_hist_merge(&d->resolved, &t->resolved);
    for (int c = 0; c < BS_FREE_CLASSES; c++)
        bs_hist_merge(&d->freed_class[c], &t->freed_class[c]);
}

struct bs_engine *bs_shards_finish(struct bs_shards *s)
{
    drain(s);
    if (s->refusal || !s->r || !s->finish) return NULL;
    struct bs_engine *r = s->r;
    uint64_t end = s->past_until ? s->until_ns : s->last_ns;
    uint32_t nmaps = 0; /* the workers finished their engines (worker_main) */
    for (int k = 0; k < s->n; k++)
        nmaps += s->w[k].e->nmaps;
    struct bs_engine_totals *tot = &r->tot;
    for (int k = 0; k < s->n; k++)
        add_totals(tot, &s->w[k].e->tot);
    tot->unmatched[BS_UM_OUT_OF_ORDER] += s->out_of_order;
    for (int c = 0; c < BS_UM_COUNT; c++)
        if (cross_shard(c) && tot->unmatched[c]) {
            s->refusal = "a record that found nothing (unmatched)";
            return NULL;
        }
    if (!sums_exact(s, offsetof(struct bs_engine_totals, resolved)) ||
        !sums_exact(s, offsetof(struct bs_engine_totals, retained))) {
        s->refusal = "latency sums past 2^53 ns";
        return NULL;
    }
    if (nmaps != s->ncreated) {
        s->refusal = "maps made on the spot";
        return NULL;
    }
    /* The maps in order of first sight: each shard's in its own order,
     * interleaved as their map_create records came. */
    r->maps = malloc((size_t)(nmaps ? nmaps : 1) * sizeof(*r->maps));
    if (!r->maps) bs_oom();
    r->maps_cap = nmaps;
    uint32_t pos[BS_MAX_JOBS] = {0};
    for (uint32_t i = 0; i < nmaps; i++) {
        int k = s->created[i];
        r->maps[i] = s->w[k].e->maps[pos[k]++];
    }
    r->nmaps = nmaps;
    /* Every shard saw every lost record. */
    const struct bs_engine *e0 = s->w[0].e;
    tot->lost_events = e0->tot.lost_events;
    tot->lost_records = e0->tot.lost_records;
    if (e0->lost.n) {
        r->lost.span = malloc((size_t)e0->lost.n * sizeof(*r->lost.span));
        if (!r->lost.span) bs_oom();
        memcpy(r->lost.span, e0->lost.span, (size_t)e0->lost.n * sizeof(*r->lost.span));
        r->lost.n = r->lost.cap = e0->lost.n;
    }
    /* bs_engine_finish's steps on the totals. */
    r->started = s->started;
    r->past_until = s->past_until;
    tot->first_ns = s->first_ns;
    bs_rules_advance(r, &tot->all, end);
    if (r->started) bs_timeseries_sample(&r->ts, end, tot->first_ns, &tot->all, 1);
    tot->last_ns = end;
    for (int c = 0; c < BS_FREE_CLASSES; c++) {
        bs_hist_merge(&tot->freed, &tot->freed_class[c]);
        bs_hist_seal(&tot->freed_class[c]);
    }
    bs_hist_seal(&tot->reuse);
    bs_hist_seal(&tot->freed);
    bs_hist_seal(&tot->retained);
    bs_hist_seal(&tot->resolved);
    /* --stats: the shards' peaks together (an upper bound of the peak). */
    for (int k = 0; k < s->n; k++) {
        struct bs_engine_stats st = bs_engine_stats(s->w[k].e);
        r->ix.peak_states_live += st.peak_states_live;
        r->ix.peak_pending_live += st.peak_pending_live;
        r->shards_peak_bytes += st.peak_state_bytes;
    }
    s->r = NULL; /* the caller's now */
    return r;
}

void bs_shards_free(struct bs_shards *s)
{
    if (!s) return;
    if (s->nthreads) drain(s);
    bs_engine_free(s->r);
    if (s->w) {
        for (int k = 0; k < s->n; k++) {
            bs_engine_free(s->w[k].e);
            if (s->w[k].e) {
                sem_destroy(&s->w[k].ready);
                sem_destroy(&s->w[k].done);
            }
        }
        free(s->w);
    }
    for (int i = 0; i < RING; i++) {
        struct batch *b = &s->ring[i];
        for (int k = 0; b->part && k < s->n; k++) {
            free(b->part[k].buf);
            free(b->part[k].out);
            free(b->part[k].side);
        }
        free(b->part);
        free(b->sid);
        free(b->ts);
    }
    bs_addr_table_free(&s->shard_of);
    bs_ranges_free(&s->allocs);
    bs_ranges_free(&s->objects);
    free(s->created);
    free(s);
}
