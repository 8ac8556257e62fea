/* SPDX-License-Identifier: MIT */
/*
 * statedump.c — what already exists when a tracer attaches: the registry
 * of live maps and the state dump (docs/statedump.md).
 *
 * A tracer that starts on a running process sees only what happens from
 * then on; without the maps' state, every write to an existing bucket is
 * "unknown" and idle maps, which hold exactly the retained memory users
 * look for, are invisible.  So, as LTTng-UST's statedump does for loaded
 * objects, libhmap emits each live map's state as ordinary schema events
 * bracketed by state_begin/state_end, and ends a pass with statedump_done.
 *
 * Go's single-writer rule holds for the dump too: no map is read while a
 * writer changes it.  The handshake is an asymmetric Dekker:
 *   writer (write_begin, every write):  store hashWriting; load the gate
 *   dumper (rare):  store dump_pending, raise the gate; membarrier();
 *                   load hashWriting
 * "The gate" is tophash_write's gate word, which write_begin reads anyway
 * (one probe gate per operation): while any map's dump is pending its
 * HMAP_GATE_DUMP bit is up, and a writer that sees it checks its map's
 * dump_pending.
 * The membarrier() runs a full fence on every thread of the process, so
 * writers pay no fence: either the dumper sees hashWriting set (the map is
 * busy: its writer will see dump_pending at its next write_begin and dump
 * the map itself, before changing anything), or the writer sees
 * dump_pending (and takes dump_lock, which the dumper holds while it reads
 * an idle map).  Both check dump_pending again under dump_lock, so each
 * pending dump is done exactly once.  Without membarrier() no idle map can
 * be read safely: their brackets say "unsafe", and busy ones still dump
 * themselves.
 *
 * Locks: reg_lock guards the registry and is held for a whole pass, so no
 * map is freed while it may be read; dump_lock is held while one map is
 * dumped.  A writer only ever takes dump_lock, so a pass never waits for a
 * thread that waits for it.
 *
 * The registry is a table of entries in chunks that never move, one per
 * live map, holding what only traces need (the creation site, the type
 * name, the hint), so that the map header does not: the map keeps its
 * entry's index.  An entry is written before its map is returned and read
 * by the map's own writer without a lock.
 */
#define _GNU_SOURCE
#include <linux/membarrier.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#if HMAP_PROBES_ANY

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t dump_lock = PTHREAD_MUTEX_INITIALIZER;

struct reg_entry {
    _Atomic(hmap *) m; /* NULL: free, reserved or not yet published */
    const void *site;
    const char *type_name;
    uint32_t hint;      /* clamped to 32 bits, as map_create carries it */
    uint32_t next_free; /* free list: index + 1, 0 ends it */
};
#define REG_CHUNK_BITS 10
#define REG_CHUNK (1u << REG_CHUNK_BITS)
#define REG_MAX_CHUNKS (1u << 18)                    /* 2^28 maps at once */
static struct reg_entry *reg_chunks[REG_MAX_CHUNKS]; /* under reg_lock; never freed */
static uint32_t reg_top;                             /* entries ever handed out */
static uint32_t reg_free_head;                       /* index + 1 of a free entry, or 0 */
static _Atomic uint32_t reg_live;                    /* maps published */
/* A pass reads maps: hmap_free of a map the pass may have seen waits for
 * reg_lock (see hmap__registry_remove). */
static _Atomic int pass_active;

/* Each thread keeps a few free entries, so that creating and freeing a map
 * takes no lock (the registry's mutex was a fifth of a small map's life).
 * They go back to the free list when the thread exits. */
#define REG_CACHE 32
struct reg_cache {
    uint32_t n;
    uint32_t idx[REG_CACHE];
};
static HMAP_TLS struct reg_cache reg_tcache;
static HMAP_TLS bool reg_tcache_keyed;
static pthread_key_t reg_cache_key;
static pthread_once_t reg_cache_once = PTHREAD_ONCE_INIT;

static struct reg_entry *reg_entry_at(uint32_t i)
{
    return &reg_chunks[i >> REG_CHUNK_BITS][i & (REG_CHUNK - 1)];
}
#define FOR_EACH_MAP(e, m)                                                                         \
    for (uint32_t i_ = 0; i_ < reg_top; i_++)                                                      \
        if ((e = reg_entry_at(i_)), (m = atomic_load(&e->m)) != NULL)

/* What one dump saw, for its state_end. */
struct dump_count {
    uint64_t blocks, slots, objects;
};

/* The slots of bucket b: every byte that is not emptyRest as a tophash
 * write from emptyRest (cause state), and the objects of live slots. */
static void dump_bucket(hmap *m, uint8_t *b, struct dump_count *c)
{
    for (unsigned i = 0; i < BUCKET_CNT; i++) {
        uint8_t th = b[i];
        if (th == EMPTY_REST) continue;
        HMAP_TP(tophash_write, m, b, (uint8_t)i, EMPTY_REST, th, HMAP_TH_STATE);
        if (th < MIN_TOP_HASH) continue;
        c->slots++;
        if (has_indirect_key(m)) {
            HMAP_TP(indirect_alloc, m, key_of(m, b, i), key_size_of(m), HMAP_INDIRECT_KEY);
            c->objects++;
        }
        if (has_indirect_val(m)) {
            HMAP_TP(indirect_alloc, m, val_of(m, b, i), val_size_of(m), HMAP_INDIRECT_VALUE);
            c->objects++;
        }
    }
}

/* One array as it would have been announced (bucket_array_alloc), then each
 * chain in order: overflow buckets as linked behind their predecessor. */
static void dump_array(hmap *m, uint8_t *arr, uint8_t B, uint64_t nalloc, struct dump_count *c)
{
    uint64_t n = bucket_shift(B);
    HMAP_TP(bucket_array_alloc, m, arr, B, n, (uint32_t)(nalloc - n),
            (uint64_t)nalloc * m->bucketsize);
    c->blocks++;
    for (uint64_t i = 0; i < n; i++) {
        uint8_t *prev = bucket_at(m, arr, i);
        dump_bucket(m, prev, c);
        for (uint8_t *o = overflow_of(m, prev); o; prev = o, o = overflow_of(m, o)) {
            bool pre = in_block(o, arr, nalloc, m->bucketsize);
            HMAP_TP(overflow_alloc, m, o, prev, pre ? HMAP_OVF_PREALLOC : HMAP_OVF_ALLOCATOR,
                    m->bucketsize);
            if (!pre) c->blocks++;
            dump_bucket(m, o, c);
        }
    }
}

/* The whole state of m, which nobody writes meanwhile.  Blocks retired for
 * open iterators are not listed: readers may free them concurrently. */
static void dump_map(hmap *m, uint8_t trigger)
{
    struct dump_count c = {0};
    uint8_t flags = flags_load(m) & (uint8_t)(F_SHOWN & ~F_HASH_WRITING);
    HMAP_TP(state_begin, m, m->count, m->B, flags, oldbuckets_of(m), map_nevacuate(m), m->noverflow,
            trigger);
    hmap__tp_identity(m);
    if (growing(m))
        dump_array(m, oldbuckets_of(m), (uint8_t)__builtin_ctzll(noldbuckets(m)), map_old_nalloc(m),
                   &c);
    if (m->buckets) dump_array(m, m->buckets, m->B, map_nalloc(m), &c);
    HMAP_TP(state_end, m, c.blocks, c.slots, c.objects, HMAP_STATE_OK);
}

/* A bracket with nothing in it: the map's state was not had, and why. */
static void dump_none(hmap *m, uint8_t trigger, uint8_t status)
{
    HMAP_TP(state_begin, m, m->count, m->B, 0, NULL, 0, 0, trigger);
    HMAP_TP(state_end, m, 0, 0, 0, status);
}

/* Maps whose dump is pending, under dump_lock: the gate bit is up while
 * this is nonzero. */
static uint32_t npending;

/* Under dump_lock: m's pending dump is done. */
static void pending_done(hmap *m)
{
    atomic_store_explicit(&m->dump_pending, 0, memory_order_relaxed);
    if (--npending == 0) hmap_tp_gate_set(&HMAP_TP_GATE(tophash_write), HMAP_GATE_DUMP, 0);
}

/* Called by write_begin when a dump is pending: the writer owns the map, and
 * has changed nothing yet. */
void hmap__statedump_self(hmap *m)
{
    pthread_mutex_lock(&dump_lock);
    if (atomic_load_explicit(&m->dump_pending, memory_order_relaxed)) {
        dump_map(m, HMAP_STATE_BY_WRITER);
        pending_done(m);
    }
    pthread_mutex_unlock(&dump_lock);
}

/* Dump m now if no writer holds it.  1: done (by us or by its writer). */
static int dump_if_idle(hmap *m, uint8_t trigger)
{
    int done = 1;
    pthread_mutex_lock(&dump_lock);
    if (atomic_load_explicit(&m->dump_pending, memory_order_relaxed)) {
        if (atomic_load_explicit(&m->flags, memory_order_acquire) & F_HASH_WRITING) {
            done = 0;
        } else {
            dump_map(m, trigger);
            pending_done(m);
        }
    }
    pthread_mutex_unlock(&dump_lock);
    return done;
}

/* The process-wide fence of the handshake; 0 if the kernel has none. */
static int fence_all_threads(void)
{
    static int registered; /* under reg_lock: 1 yes, -1 refused */
    if (!registered)
        registered =
            syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0 ? 1 : -1;
    if (registered > 0 && syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0)
        return 1;
    return syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0) == 0;
}

/* How long a pass waits for busy maps (their writers usually dump them at
 * their next write, microseconds later) before it leaves them pending. */
#define BUSY_RETRIES 50
#define BUSY_WAIT_NS 1000000

/* One pass: every live map's state, then statedump_done. */
static void statedump_all(uint8_t trigger)
{
    uint32_t maps = 0, deferred = 0, unsafe = 0;
    struct reg_entry *e;
    hmap *m;
    pthread_mutex_lock(&reg_lock);
    if (!atomic_load(&reg_live) && trigger == HMAP_STATE_BY_RECORDER) {
        /* A trace started before any map (HMAP_TRACE): nothing to say. */
        pthread_mutex_unlock(&reg_lock);
        return;
    }
    atomic_store(&pass_active, 1); /* before any e->m is read (seq_cst) */
    /* Counted before the gate goes up: a writer that sees it may finish its
     * map's dump (pending_done) before this loop ends. */
    pthread_mutex_lock(&dump_lock);
    FOR_EACH_MAP(e, m)
    if (!atomic_load_explicit(&m->dump_pending, memory_order_relaxed)) {
        atomic_store_explicit(&m->dump_pending, 1, memory_order_relaxed);
        npending++;
    }
    if (npending) hmap_tp_gate_set(&HMAP_TP_GATE(tophash_write), HMAP_GATE_DUMP, 1);
    pthread_mutex_unlock(&dump_lock);
    int fenced = fence_all_threads();
    FOR_EACH_MAP(e, m)
    {
        maps++;
        if (!fenced) {
            /* Writers still see dump_pending (without the fence, later). */
            dump_none(m, trigger, HMAP_STATE_UNSAFE);
            unsafe++;
        } else if (!dump_if_idle(m, trigger)) {
            deferred++;
        }
    }
    for (int r = 0; fenced && deferred && r < BUSY_RETRIES; r++) {
        struct timespec ts = {0, BUSY_WAIT_NS};
        nanosleep(&ts, NULL);
        deferred = 0;
        FOR_EACH_MAP(e, m)
        if (!dump_if_idle(m, trigger)) deferred++;
    }
    /* Still busy: say so; each dumps itself at its next write. */
    if (fenced && deferred) FOR_EACH_MAP(e, m)
    if (atomic_load_explicit(&m->dump_pending, memory_order_relaxed))
        dump_none(m, trigger, HMAP_STATE_BUSY);
    /* The only site of statedump_done: the recorder attaches it site by site
     * (docs/record.md, "State at attach"), so a dump
     * fired at a second one could be missed. */
    HMAP_TP(statedump_done, maps - deferred - unsafe, deferred, unsafe, trigger);
    atomic_store(&pass_active, 0);
    pthread_mutex_unlock(&reg_lock);
}

/* Under reg_lock: a free entry's index, or -1 (out of memory). */
static int take_entry_locked(uint32_t *out)
{
    if (reg_free_head) {
        *out = reg_free_head - 1;
        reg_free_head = reg_entry_at(*out)->next_free;
        return 0;
    }
    if ((reg_top & (REG_CHUNK - 1)) == 0) {
        uint32_t c = reg_top >> REG_CHUNK_BITS;
        if (c >= REG_MAX_CHUNKS) return -1;
        if (!reg_chunks[c] && !(reg_chunks[c] = calloc(REG_CHUNK, sizeof(struct reg_entry))))
            return -1;
    }
    *out = reg_top++;
    return 0;
}

static void give_back_locked(uint32_t i)
{
    reg_entry_at(i)->next_free = reg_free_head;
    reg_free_head = i + 1;
}

/* Thread exit: the thread's cached entries go back to the free list. */
static void reg_cache_release(void *cache)
{
    struct reg_cache *c = cache;
    pthread_mutex_lock(&reg_lock);
    while (c->n)
        give_back_locked(c->idx[--c->n]);
    pthread_mutex_unlock(&reg_lock);
}
static void reg_cache_key_make(void)
{
    (void)pthread_key_create(&reg_cache_key, reg_cache_release);
}

int hmap__registry_add(hmap *m, const void *site, const char *type_name, uint64_t hint)
{
    struct reg_cache *c = &reg_tcache;
    if (c->n == 0) {
        if (!reg_tcache_keyed) {
            pthread_once(&reg_cache_once, reg_cache_key_make);
            reg_tcache_keyed = pthread_setspecific(reg_cache_key, c) == 0;
        }
        pthread_mutex_lock(&reg_lock);
        while (c->n < REG_CACHE / 2 && take_entry_locked(&c->idx[c->n]) == 0)
            c->n++;
        pthread_mutex_unlock(&reg_lock);
        if (c->n == 0) return -1;
    }
    uint32_t i = c->idx[--c->n];
    struct reg_entry *e = reg_entry_at(i);
    e->site = site;
    e->type_name = type_name;
    e->hint = (uint32_t)(hint > UINT32_MAX ? UINT32_MAX : hint);
    m->reg_slot = i;
    return 0;
}

/* The map is complete: passes may dump it from now on. */
void hmap__registry_publish(hmap *m)
{
    atomic_store_explicit(&reg_entry_at(m->reg_slot)->m, m, memory_order_release);
    atomic_fetch_add(&reg_live, 1);
    hmap_tp_agent_ensure();
}

void hmap__identity(const hmap *m, const void **site, const char **type_name, uint32_t *hint)
{
    const struct reg_entry *e = reg_entry_at(m->reg_slot);
    *site = e->site;
    *type_name = e->type_name;
    *hint = e->hint;
}

/* The probe backends start passes (the recorder at hmap_trace_start, the
 * agent when a tracer attaches) through this hook: they sit below the map
 * core and cannot call it by name. */
__attribute__((constructor)) static void statedump_hook_install(void)
{
    hmap_tp_statedump_hook = statedump_all;
}

/* Before m's memory goes: a dump still pending is done by its owner (the
 * caller), so that the trace knows what the destroy events free. */
void hmap__registry_remove(hmap *m)
{
    if (atomic_load_explicit(&m->dump_pending, memory_order_relaxed)) hmap__statedump_self(m);
    struct reg_entry *e = reg_entry_at(m->reg_slot);
    /* Dekker with the pass: it sets pass_active, then reads e->m; this
     * clears e->m, then reads pass_active (both seq_cst).  Either the pass
     * never sees m, or this waits until the pass is over. */
    if (atomic_exchange(&e->m, NULL) == m) atomic_fetch_sub(&reg_live, 1);
    if (atomic_load(&pass_active)) {
        pthread_mutex_lock(&reg_lock);
        pthread_mutex_unlock(&reg_lock);
    }
    struct reg_cache *c = &reg_tcache;
    if (c->n < REG_CACHE && reg_tcache_keyed) {
        c->idx[c->n++] = m->reg_slot;
        return;
    }
    pthread_mutex_lock(&reg_lock);
    give_back_locked(m->reg_slot);
    pthread_mutex_unlock(&reg_lock);
}

#else /* no probe backend: nothing can attach, nothing to register */

void hmap__statedump_self(hmap *m)
{
    (void)m;
}
int hmap__registry_add(hmap *m, const void *site, const char *type_name, uint64_t hint)
{
    (void)m, (void)site, (void)type_name, (void)hint;
    return 0;
}
void hmap__registry_publish(hmap *m)
{
    (void)m;
}
void hmap__identity(const hmap *m, const void **site, const char **type_name, uint32_t *hint)
{
    (void)m;
    *site = NULL;
    *type_name = "";
    *hint = 0;
}
void hmap__registry_remove(hmap *m)
{
    (void)m;
}

#endif
