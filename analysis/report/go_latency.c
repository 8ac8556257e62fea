// SPDX-License-Identifier: MIT
/*
 * go_latency.c — the Go section of the report (go_latency.h).
 *
 * In Go, bucket memory is never freed by the map: a block becomes
 * unreachable at a known event and the GC frees it at a later sweep
 * (docs/go.md, "What is exact").  Per deleted slot still pending (not
 * reused by an insert into the same slot), the block that holds it is
 * followed until a bucket_free; the moment it became unreachable is taken
 * from the free's reason:
 *
 *   grow_done  the grow_done of the growth that made the block old
 *   evacuated  the overflow_unlink of the block (its old chain scrubbed)
 *   clear      the clear: overflow_unlink for an overflow bucket, the
 *              first slot the clear emptied for the old array
 *   destroy    not seen: the map died (nothing references it any more)
 *              at some moment between its last event and the sweep
 *
 * Maps and blocks are keyed by (pid, address), as the engine keys them: two
 * processes in one trace (merged traces) may use the same addresses.  The
 * window is the engine's (docs/report.md, "Options"): a delete before
 * --since is not followed (so neither its reuse nor its free is counted),
 * and only blocks freed and maps that died inside the window are counted.
 *
 * Invariant: blocks[] is sorted by (pid, base) and holds every bucket block
 * of a Go map announced and not yet freed; a pending delete lives in the
 * block that contains its bucket, and was made inside the window.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "go_latency.h"

struct pending {
    uint64_t slot; /* bucket address * 8 + slot */
    uint64_t ts;
};

struct gblock {
    uint32_t pid;
    uint8_t kind, old;
    uint64_t base, bytes, map;
    uint64_t unreach_ts, unlink_ts; /* 0: not yet */
    struct pending *p;
    uint32_t np, capp;
};

struct gomap {
    uint32_t pid;
    uint8_t go, died;
    uint64_t addr, cur, clear_ts;
    char type_name[25]; /* map_create's 24 bytes, NUL-terminated */
};

struct bs_go {
    struct gblock *b;
    size_t nb, capb;
    struct gomap *m;
    size_t nm, capm;
    struct bs_go_died *dead;
    size_t ndead, capdead;
    uint64_t since, until, last_ts;
    uint64_t go_maps, unseen, deletes, reused;
    uint64_t freed_unknown; /* deletes freed with their map, unreachable moment not seen */
    uint64_t by_reason[HMAP_ENUM_COUNT(free_reason)];
    struct bs_hist to_unreach, to_free, gc_lag;
    uint64_t died, died_bytes; /* dead[] lists them all unless memory ran out */
    int oom;
};

struct bs_go *bs_go_new(void)
{
    return calloc(1, sizeof(struct bs_go));
}

void bs_go_set_window(struct bs_go *g, uint64_t since_ns, uint64_t until_ns)
{
    g->since = since_ns;
    g->until = until_ns;
}

void bs_go_free(struct bs_go *g)
{
    if (!g) return;
    for (size_t i = 0; i < g->nb; i++)
        free(g->b[i].p);
    free(g->b);
    free(g->m);
    free(g->dead);
    bs_hist_free(&g->to_unreach);
    bs_hist_free(&g->to_free);
    bs_hist_free(&g->gc_lag);
    free(g);
}

/* Room for one more element of size sz in *v (n used of *cap); 0 when
 * memory ran out (g->oom set, *v unchanged). */
static int grow(struct bs_go *g, void **v, size_t n, size_t *cap, size_t sz, size_t first)
{
    if (n < *cap) return 1;
    size_t c = *cap ? 2 * *cap : first;
    void *nv = realloc(*v, c * sz);
    if (!nv) {
        g->oom = 1;
        return 0;
    }
    *v = nv, *cap = c;
    return 1;
}

/* ---- maps and blocks ----------------------------------------------------- */

static struct gomap *map_of(struct bs_go *g, uint32_t pid, uint64_t addr, int make)
{
    for (size_t i = g->nm; i-- > 0;)
        if (g->m[i].addr == addr && g->m[i].pid == pid) return &g->m[i];
    if (!make || !grow(g, (void **)&g->m, g->nm, &g->capm, sizeof *g->m, 64)) return NULL;
    struct gomap *m = &g->m[g->nm++];
    memset(m, 0, sizeof *m);
    m->pid = pid, m->addr = addr;
    return m;
}

/* The first block at or after (pid, addr). */
static size_t lower(const struct bs_go *g, uint32_t pid, uint64_t addr)
{
    size_t lo = 0, hi = g->nb;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const struct gblock *b = &g->b[mid];
        if (b->pid < pid || (b->pid == pid && b->base < addr))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The block of pid starting at addr, or NULL. */
static struct gblock *at(struct bs_go *g, uint32_t pid, uint64_t addr, size_t *idx)
{
    size_t i = lower(g, pid, addr);
    if (i == g->nb || g->b[i].pid != pid || g->b[i].base != addr) return NULL;
    if (idx) *idx = i;
    return &g->b[i];
}

static struct gblock *containing(struct bs_go *g, uint32_t pid, uint64_t addr)
{
    size_t i = lower(g, pid, addr + 1);
    if (i == 0) return NULL;
    struct gblock *b = &g->b[i - 1];
    return b->pid == pid && addr < b->base + b->bytes ? b : NULL;
}

static void drop_block(struct bs_go *g, size_t i)
{
    free(g->b[i].p);
    memmove(&g->b[i], &g->b[i + 1], (g->nb - i - 1) * sizeof *g->b);
    g->nb--;
}

static void add_block(struct bs_go *g, const struct gomap *m, uint64_t base, uint64_t bytes,
                      uint8_t kind)
{
    size_t i;
    if (at(g, m->pid, base, &i)) drop_block(g, i); /* reused without a free seen */
    if (!grow(g, (void **)&g->b, g->nb, &g->capb, sizeof *g->b, 256)) return;
    i = lower(g, m->pid, base);
    memmove(&g->b[i + 1], &g->b[i], (g->nb - i) * sizeof *g->b);
    g->nb++;
    g->b[i] = (struct gblock){
        .pid = m->pid, .base = base, .bytes = bytes ? bytes : 1, .map = m->addr, .kind = kind};
}

static void pending_add(struct bs_go *g, struct gblock *b, uint64_t slot, uint64_t ts)
{
    if (b->np == b->capp) {
        uint32_t cap = b->capp ? 2 * b->capp : 8;
        struct pending *n = realloc(b->p, cap * sizeof *n);
        if (!n) {
            g->oom = 1;
            return;
        }
        b->p = n, b->capp = cap;
    }
    b->p[b->np++] = (struct pending){slot, ts};
}

/* An insert took SLOT: a delete pending there is reused, not freed. */
static void pending_reuse(struct bs_go *g, struct gblock *b, uint64_t slot)
{
    for (uint32_t i = 0; i < b->np; i++)
        if (b->p[i].slot == slot) {
            b->p[i] = b->p[--b->np];
            g->reused++;
            return;
        }
}

/* Every block of MAP still reachable that is not its current array. */
#define FOR_OTHER_BLOCKS(g, m, bl)                                                                 \
    for (struct gblock *bl = (g)->b; bl < (g)->b + (g)->nb; bl++)                                  \
        if (bl->pid == (m)->pid && bl->map == (m)->addr && !bl->unreach_ts && bl->base != (m)->cur)

/* ---- records ------------------------------------------------------------- */

static void on_free(struct bs_go *g, const struct gomap *m, const struct hmap_native_bucket_free *e,
                    uint64_t ts)
{
    size_t i;
    struct gblock *b = at(g, m->pid, e->addr, &i);
    if (!b) return;
    uint64_t u = 0;
    if (e->reason == HMAP_FREE_EVACUATED)
        u = b->unlink_ts;
    else if (e->reason == HMAP_FREE_GROW_DONE)
        u = b->unreach_ts;
    else if (e->reason == HMAP_FREE_CLEAR)
        u = b->kind == HMAP_MEM_OVERFLOW && b->unlink_ts ? b->unlink_ts : b->unreach_ts;
    if (e->reason < HMAP_ENUM_COUNT(free_reason)) g->by_reason[e->reason] += b->np;
    if (u && u <= ts && ts >= g->since) bs_hist_add(&g->gc_lag, ts - u);
    for (uint32_t k = 0; k < b->np; k++) {
        bs_hist_add(&g->to_free, ts - b->p[k].ts);
        if (u && u >= b->p[k].ts)
            bs_hist_add(&g->to_unreach, u - b->p[k].ts);
        else
            g->freed_unknown++;
    }
    drop_block(g, i);
}

/* gorecord emits map_destroy when a sweep frees a block the map still
 * used: the map itself had died, unseen (docs/go.md). */
static void on_died(struct bs_go *g, struct gomap *m, const struct hmap_native_map_destroy *e,
                    uint64_t ts)
{
    if (m->died) return;
    m->died = 1;
    if (ts < g->since) return;
    g->died++, g->died_bytes += e->bytes;
    if (!grow(g, (void **)&g->dead, g->ndead, &g->capdead, sizeof *g->dead, 16)) return;
    struct bs_go_died *d = &g->dead[g->ndead++];
    *d = (struct bs_go_died){.pid = m->pid, .addr = m->addr, .bytes = e->bytes, .ns_abs = ts};
    memcpy(d->type_name, m->type_name, sizeof d->type_name);
}

int bs_go_listening(const struct bs_go *g)
{
    return g->go_maps != 0;
}

void bs_go_feed(struct bs_go *g, const struct hmap_native_rec_header *h)
{
    /* Until a Go map is announced no record can be one of a Go map (the
     * caller skips them then: bs_go_listening). */
    if (!g->go_maps && h->id != HMAP_EV_map_create) return;
    /* Only whole records of the schema's events (readers check them; a
     * short one is ignored here rather than read past). */
    if (h->id == HMAP_NATIVE_LOST_ID || !h->id || h->id > HMAP_EVENT_MAX_ID ||
        h->size < hmap_native_rec_size(h->id) || h->size < sizeof *h + 8)
        return;
    const void *p = h + 1;
    uint64_t ts = h->ts_ns, addr;
    memcpy(&addr, p, 8); /* every event but statedump_done starts with its map */
    if (h->id == HMAP_EV_statedump_done) return;
    /* As the engine: a record back in time is applied at the latest time
     * (no latency is negative); reading ends at the window's end. */
    if (ts < g->last_ts) ts = g->last_ts;
    if (g->until && ts >= g->until) return;
    g->last_ts = ts;
    if (h->id == HMAP_EV_map_create) {
        const struct hmap_native_map_create *e = p;
        struct gomap *m = map_of(g, h->pid, e->map, 1);
        if (!m) return;
        int was = m->go;
        /* A map of a Go program: gorecord names its type "go:k<key>/v<value>"
         * (libhmap's own maps may use the go policy too). */
        int go = e->reclaim == HMAP_RECLAIM_GO_ID && strncmp(e->type_name, "go:", 3) == 0;
        *m = (struct gomap){.pid = h->pid, .addr = e->map, .go = go};
        memcpy(m->type_name, e->type_name, sizeof e->type_name);
        g->go_maps += m->go && !was;
        return;
    }
    struct gomap *m = map_of(g, h->pid, addr, 0);
    if (!m || !m->go) return;
    switch (h->id) {
    case HMAP_EV_state_end: {
        const struct hmap_native_state_end *e = p;
        g->unseen += e->status == HMAP_STATE_UNSEEN;
        break;
    }
    case HMAP_EV_bucket_array_alloc: {
        const struct hmap_native_bucket_array_alloc *e = p;
        add_block(g, m, e->addr, e->bytes, HMAP_MEM_ARRAY);
        m->cur = e->addr;
        break;
    }
    case HMAP_EV_overflow_alloc: {
        const struct hmap_native_overflow_alloc *e = p;
        if (e->source == HMAP_OVF_ALLOCATOR) add_block(g, m, e->addr, e->bytes, HMAP_MEM_OVERFLOW);
        break;
    }
    case HMAP_EV_grow_start:
        FOR_OTHER_BLOCKS(g, m, b) b->old = 1;
        break;
    case HMAP_EV_grow_done:
        FOR_OTHER_BLOCKS(g, m, b) if (b->old) b->unreach_ts = ts;
        break;
    case HMAP_EV_overflow_unlink: {
        const struct hmap_native_overflow_unlink *e = p;
        struct gblock *b = at(g, m->pid, e->addr, NULL);
        if (b) b->unlink_ts = ts;
        break;
    }
    case HMAP_EV_tophash_write: {
        const struct hmap_native_tophash_write *e = p;
        if (e->cause == HMAP_TH_CLEAR && m->clear_ts != ts) {
            m->clear_ts = ts; /* the clear drops the old array */
            FOR_OTHER_BLOCKS(g, m, b) b->unreach_ts = ts;
        }
        struct gblock *b = containing(g, m->pid, e->bucket);
        if (!b) break;
        uint64_t slot = e->bucket * 8 + e->slot;
        if (e->cause == HMAP_TH_DELETE) {
            if (ts < g->since) break; /* before the window: not followed */
            g->deletes++;
            pending_add(g, b, slot, ts);
        } else if (e->cause == HMAP_TH_INSERT || e->cause == HMAP_TH_EVAC_COPY)
            pending_reuse(g, b, slot);
        break;
    }
    case HMAP_EV_bucket_free:
        on_free(g, m, p, ts);
        break;
    case HMAP_EV_map_destroy:
        on_died(g, m, p, ts);
        break;
    }
}

/* ---- the figures --------------------------------------------------------- */

void bs_go_report_build(struct bs_go *g, struct bs_go_report *r)
{
    memset(r, 0, sizeof *r);
    if (!g || !g->go_maps) return;
    r->maps = g->go_maps;
    r->unseen = g->unseen;
    r->deletes = g->deletes;
    r->reused = g->reused;
    r->freed = g->to_free.count;
    for (size_t i = 0; i < g->nb; i++) {
        r->pending += g->b[i].np;
        if (g->b[i].unreach_ts || g->b[i].unlink_ts) r->pending_unreachable += g->b[i].np;
    }
    memcpy(r->freed_by_reason, g->by_reason, sizeof r->freed_by_reason);
    r->freed_no_unreachable = g->freed_unknown;
    bs_hist_seal(&g->to_unreach);
    bs_hist_seal(&g->to_free);
    bs_hist_seal(&g->gc_lag);
    bs_latency_of(&r->to_unreachable, &g->to_unreach);
    bs_latency_of(&r->to_free, &g->to_free);
    bs_latency_of(&r->gc_lag, &g->gc_lag);
    r->died = g->died;
    r->died_bytes = g->died_bytes;
    r->died_maps = g->dead;
    r->ndied_maps = g->ndead;
    r->incomplete = g->oom;
}

/* ---- text ---------------------------------------------------------------- */

static const char *dur(uint64_t ns, char *buf, size_t n)
{
    if (ns < 10000)
        snprintf(buf, n, "%" PRIu64 " ns", ns);
    else if (ns < 10000000)
        snprintf(buf, n, "%.3f us", ns / 1e3);
    else if (ns < 10000000000ull)
        snprintf(buf, n, "%.3f ms", ns / 1e6);
    else
        snprintf(buf, n, "%.3f s", ns / 1e9);
    return buf;
}

/* A bcc-style log2 histogram of l, from its first non-empty slot, and its
 * percentiles: the same figures as the JSON LAT object. */
static void lat_print(FILE *out, const char *title, const struct bs_latency *l, int msecs)
{
    fprintf(out, "\n%s: %" PRIu64 "\n", title, l->count);
    if (!l->count) return;
    const uint64_t *slot = msecs ? l->log2_msecs : l->log2_usecs;
    int n = msecs ? l->nlog2_ms : l->nlog2, lo = 0;
    uint64_t top = 0;
    while (lo < n && !slot[lo])
        lo++;
    for (int s = lo; s < n; s++)
        if (slot[s] > top) top = slot[s];
    fprintf(out, "%10s               : count    distribution\n", msecs ? "msecs" : "usecs");
    for (int s = lo; s < n; s++) {
        uint64_t a = (1ull << (s + 1)) >> 1, b = (1ull << (s + 1)) - 1;
        if (a == b) a--;
        int stars = (int)(slot[s] * 40 / top);
        fprintf(out, "%10" PRIu64 " -> %-10" PRIu64 " : %-8" PRIu64 " |%.*s%*s|\n", a, b, slot[s],
                stars, "****************************************", 40 - stars, "");
    }
    char p50[32], p90[32], p99[32], mx[32];
    fprintf(out, "  p50 %s   p90 %s   p99 %s   max %s\n", dur(l->p50, p50, 32),
            dur(l->p90, p90, 32), dur(l->p99, p99, 32), dur(l->max, mx, 32));
}

void bs_go_report_text(FILE *out, const struct bs_go_report *r, int msecs)
{
    if (!r || !r->maps) return;
    fprintf(out,
            "\nGo: %" PRIu64 " maps, %" PRIu64 " deletes: %" PRIu64
            " slots reused by an insert, %" PRIu64 " freed by the GC (grow_done %" PRIu64
            ", evacuated %" PRIu64 ", clear %" PRIu64 ", with their map %" PRIu64 "), %" PRIu64
            " not freed by the end (%" PRIu64 " of them unreachable already)\n",
            r->maps, r->deletes, r->reused, r->freed, r->freed_by_reason[HMAP_FREE_GROW_DONE],
            r->freed_by_reason[HMAP_FREE_EVACUATED], r->freed_by_reason[HMAP_FREE_CLEAR],
            r->freed_by_reason[HMAP_FREE_DESTROY], r->pending, r->pending_unreachable);
    lat_print(out, "Go: delete -> unreachable latency (the map let go of the slot's block)",
              &r->to_unreachable, msecs);
    if (r->freed_no_unreachable)
        fprintf(out,
                "  %" PRIu64 " more freed deletes have no unreachable moment: their map died, "
                "unseen, between its last event and the sweep\n",
                r->freed_no_unreachable);
    lat_print(out, "Go: delete -> freed by the GC latency", &r->to_free, msecs);
    lat_print(out, "Go: unreachable -> freed by the GC (blocks)", &r->gc_lag, msecs);
    fprintf(out,
            "\nGo: %" PRIu64 " maps died without a destroy event (freed by a sweep while still in "
            "use: nothing referenced the map any more), holding %" PRIu64 " bytes\n",
            r->died, r->died_bytes);
    if (r->unseen)
        fprintf(out,
                "Go: %" PRIu64 " maps were never seen created (before the attach, or a "
                "header on a goroutine stack): their state is unknown, listed above\n",
                r->unseen);
    fprintf(out, "Go hides: maps that never escape to the heap (no makemap: not in the trace "
                 "unless they grow); which iterator keeps an old array alive past its growth "
                 "(the free then comes later than the unreachable moment above); reuse of freed "
                 "memory by other objects; memory returned to the OS by the scavenger\n");
    if (r->incomplete) fprintf(out, "Go: out of memory: the Go latencies above are incomplete\n");
}
