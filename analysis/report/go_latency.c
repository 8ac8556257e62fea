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
 * Invariant: blocks[] is sorted by base and holds every bucket block of a
 * Go map announced and not yet freed; a pending delete lives in the block
 * that contains its bucket.
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
    uint64_t base, bytes, map;
    uint64_t unreach_ts, unlink_ts; /* 0: not yet */
    uint8_t kind, old;
    struct pending *p;
    uint32_t np, capp;
};

struct gomap {
    uint64_t addr, cur, last_ts, clear_ts;
    uint8_t go, died;
};

/* Latencies kept exactly up to a cap, counted beyond it. */
#define GO_KEEP (1u << 24)
struct lat {
    uint64_t *v;
    size_t n, cap, count;
};

struct bs_go {
    struct gblock *b;
    size_t nb, capb;
    struct gomap *m;
    size_t nm, capm;
    uint64_t first_ts, last_ts;
    uint64_t go_maps, unseen, deletes, reused;
    uint64_t freed_unknown; /* deletes freed with their map, unreachable moment not seen */
    uint64_t by_reason[HMAP_ENUM_COUNT(free_reason)];
    struct lat to_unreach, to_free, gc_lag;
    uint64_t died, died_bytes;
    int oom;
};

struct bs_go *bs_go_new(void)
{
    return calloc(1, sizeof(struct bs_go));
}

void bs_go_free(struct bs_go *g)
{
    if (!g) return;
    for (size_t i = 0; i < g->nb; i++)
        free(g->b[i].p);
    free(g->b);
    free(g->m);
    free(g->to_unreach.v);
    free(g->to_free.v);
    free(g->gc_lag.v);
    free(g);
}

static void lat_add(struct bs_go *g, struct lat *l, uint64_t v)
{
    l->count++;
    if (l->n == l->cap) {
        if (l->cap >= GO_KEEP) return;
        size_t cap = l->cap ? 2 * l->cap : 1024;
        uint64_t *nv = realloc(l->v, cap * sizeof *nv);
        if (!nv) {
            g->oom = 1;
            return;
        }
        l->v = nv, l->cap = cap;
    }
    l->v[l->n++] = v;
}

/* ---- maps and blocks ----------------------------------------------------- */

static struct gomap *map_of(struct bs_go *g, uint64_t addr, int make)
{
    for (size_t i = g->nm; i-- > 0;)
        if (g->m[i].addr == addr) return &g->m[i];
    if (!make) return NULL;
    if (g->nm == g->capm) {
        size_t cap = g->capm ? 2 * g->capm : 64;
        struct gomap *n = realloc(g->m, cap * sizeof *n);
        if (!n) {
            g->oom = 1;
            return NULL;
        }
        g->m = n, g->capm = cap;
    }
    struct gomap *m = &g->m[g->nm++];
    memset(m, 0, sizeof *m);
    m->addr = addr;
    return m;
}

static size_t lower(const struct bs_go *g, uint64_t addr)
{
    size_t lo = 0, hi = g->nb;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (g->b[mid].base < addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static struct gblock *containing(struct bs_go *g, uint64_t addr)
{
    size_t i = lower(g, addr + 1);
    if (i == 0) return NULL;
    struct gblock *b = &g->b[i - 1];
    return addr < b->base + b->bytes ? b : NULL;
}

static void drop_block(struct bs_go *g, size_t i)
{
    free(g->b[i].p);
    memmove(&g->b[i], &g->b[i + 1], (g->nb - i - 1) * sizeof *g->b);
    g->nb--;
}

static void add_block(struct bs_go *g, uint64_t map, uint64_t base, uint64_t bytes, uint8_t kind)
{
    size_t i = lower(g, base);
    if (i < g->nb && g->b[i].base == base) drop_block(g, i); /* reused without a free seen */
    if (g->nb == g->capb) {
        size_t cap = g->capb ? 2 * g->capb : 256;
        struct gblock *n = realloc(g->b, cap * sizeof *n);
        if (!n) {
            g->oom = 1;
            return;
        }
        g->b = n, g->capb = cap;
    }
    memmove(&g->b[i + 1], &g->b[i], (g->nb - i) * sizeof *g->b);
    g->nb++;
    g->b[i] = (struct gblock){.base = base, .bytes = bytes ? bytes : 1, .map = map, .kind = kind};
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
        if (bl->map == (m)->addr && !bl->unreach_ts && bl->base != (m)->cur)

/* ---- records ------------------------------------------------------------- */

static void on_free(struct bs_go *g, const struct hmap_native_bucket_free *e, uint64_t ts)
{
    size_t i = lower(g, e->addr);
    if (i == g->nb || g->b[i].base != e->addr) return;
    struct gblock *b = &g->b[i];
    uint64_t u = 0;
    if (e->reason == HMAP_FREE_EVACUATED)
        u = b->unlink_ts;
    else if (e->reason == HMAP_FREE_GROW_DONE)
        u = b->unreach_ts;
    else if (e->reason == HMAP_FREE_CLEAR)
        u = b->kind == HMAP_MEM_OVERFLOW && b->unlink_ts ? b->unlink_ts : b->unreach_ts;
    if (e->reason < HMAP_ENUM_COUNT(free_reason)) g->by_reason[e->reason] += b->np;
    if (u && u <= ts) lat_add(g, &g->gc_lag, ts - u);
    for (uint32_t k = 0; k < b->np; k++) {
        lat_add(g, &g->to_free, ts - b->p[k].ts);
        if (u && u >= b->p[k].ts)
            lat_add(g, &g->to_unreach, u - b->p[k].ts);
        else
            g->freed_unknown++;
    }
    drop_block(g, i);
}

void bs_go_feed(struct bs_go *g, const struct hmap_native_rec_header *h)
{
    /* Only whole records of the schema's events (readers check them; a
     * short one is ignored here rather than read past). */
    if (h->id == HMAP_NATIVE_LOST_ID || !h->id || h->id > HMAP_EVENT_MAX_ID ||
        h->size < hmap_native_rec_size(h->id) || h->size < sizeof *h + 8)
        return;
    const void *p = h + 1;
    uint64_t ts = h->ts_ns, addr;
    memcpy(&addr, p, 8); /* every event but statedump_done starts with its map */
    if (h->id == HMAP_EV_statedump_done) return;
    if (!g->first_ts) g->first_ts = ts;
    g->last_ts = ts;
    if (h->id == HMAP_EV_map_create) {
        const struct hmap_native_map_create *e = p;
        struct gomap *m = map_of(g, e->map, 1);
        if (!m) return;
        int was = m->go;
        /* A map of a Go program: gorecord names its type "go:k<key>/v<value>"
         * (libhmap's own maps may use the go policy too). */
        int go = e->reclaim == HMAP_RECLAIM_GO_ID && strncmp(e->type_name, "go:", 3) == 0;
        *m = (struct gomap){.addr = e->map, .go = go, .last_ts = ts};
        g->go_maps += m->go && !was;
        return;
    }
    struct gomap *m = map_of(g, addr, 0);
    if (!m || !m->go) return;
    m->last_ts = ts;
    switch (h->id) {
    case HMAP_EV_state_end: {
        const struct hmap_native_state_end *e = p;
        g->unseen += e->status == HMAP_STATE_UNSEEN;
        break;
    }
    case HMAP_EV_bucket_array_alloc: {
        const struct hmap_native_bucket_array_alloc *e = p;
        add_block(g, m->addr, e->addr, e->bytes, HMAP_MEM_ARRAY);
        m->cur = e->addr;
        break;
    }
    case HMAP_EV_overflow_alloc: {
        const struct hmap_native_overflow_alloc *e = p;
        if (e->source == HMAP_OVF_ALLOCATOR)
            add_block(g, m->addr, e->addr, e->bytes, HMAP_MEM_OVERFLOW);
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
        size_t i = lower(g, e->addr);
        if (i < g->nb && g->b[i].base == e->addr) g->b[i].unlink_ts = ts;
        break;
    }
    case HMAP_EV_tophash_write: {
        const struct hmap_native_tophash_write *e = p;
        if (e->cause == HMAP_TH_CLEAR && m->clear_ts != ts) {
            m->clear_ts = ts; /* the clear drops the old array */
            FOR_OTHER_BLOCKS(g, m, b) b->unreach_ts = ts;
        }
        struct gblock *b = containing(g, e->bucket);
        if (!b) break;
        uint64_t slot = e->bucket * 8 + e->slot;
        if (e->cause == HMAP_TH_DELETE) {
            g->deletes++;
            pending_add(g, b, slot, ts);
        } else if (e->cause == HMAP_TH_INSERT || e->cause == HMAP_TH_EVAC_COPY)
            pending_reuse(g, b, slot);
        break;
    }
    case HMAP_EV_bucket_free:
        on_free(g, p, ts);
        break;
    case HMAP_EV_map_destroy: {
        /* gorecord emits it when a sweep frees a block the map still used:
         * the map itself had died, unseen (docs/go.md). */
        const struct hmap_native_map_destroy *e = p;
        if (!m->died) g->died++, g->died_bytes += e->bytes;
        m->died = 1;
        break;
    }
    }
}

/* ---- text ---------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

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

/* A bcc-style log2 histogram of l (sorted here) and its percentiles. */
static void lat_print(FILE *out, const char *title, struct lat *l, int msecs)
{
    fprintf(out, "\n%s: %" PRIu64 "\n", title, (uint64_t)l->count);
    if (!l->n) return;
    qsort(l->v, l->n, sizeof *l->v, cmp_u64);
    uint64_t slot[64] = {0}, top = 0, div = msecs ? 1000000 : 1000;
    int hi = 0;
    for (size_t i = 0; i < l->n; i++) {
        uint64_t v = l->v[i] / div;
        int s = 0;
        while (v >> s && s < 63)
            s++;
        slot[s]++;
        if (s > hi) hi = s;
    }
    int lo = 0;
    while (!slot[lo])
        lo++;
    for (int s = lo; s <= hi; s++)
        if (slot[s] > top) top = slot[s];
    fprintf(out, "%10s               : count    distribution\n", msecs ? "msecs" : "usecs");
    for (int s = lo; s <= hi; s++) {
        uint64_t a = s ? 1ull << (s - 1) : 0, b = s ? (1ull << s) - 1 : 0;
        int stars = (int)(slot[s] * 40 / top);
        fprintf(out, "%10" PRIu64 " -> %-10" PRIu64 " : %-8" PRIu64 " |%.*s%*s|\n", a, b, slot[s],
                stars, "****************************************", 40 - stars, "");
    }
    char p50[32], p90[32], p99[32], mx[32];
    fprintf(out, "  p50 %s   p90 %s   p99 %s   max %s%s\n", dur(l->v[l->n / 2], p50, 32),
            dur(l->v[l->n * 9 / 10], p90, 32), dur(l->v[l->n * 99 / 100], p99, 32),
            dur(l->v[l->n - 1], mx, 32), l->n < l->count ? " (of the first 16,777,216)" : "");
}

void bs_go_report_text(FILE *out, const struct bs_go *cg, int msecs)
{
    if (!cg || !cg->go_maps) return;
    struct bs_go *g = (struct bs_go *)cg; /* sorting the kept latencies */
    uint64_t pending = 0, unreachable = 0;
    for (size_t i = 0; i < g->nb; i++) {
        pending += g->b[i].np;
        if (g->b[i].unreach_ts || g->b[i].unlink_ts) unreachable += g->b[i].np;
    }
    fprintf(out,
            "\nGo: %" PRIu64 " maps, %" PRIu64 " deletes: %" PRIu64
            " slots reused by an insert, %" PRIu64 " freed by the GC (grow_done %" PRIu64
            ", evacuated %" PRIu64 ", clear %" PRIu64 ", with their map %" PRIu64 "), %" PRIu64
            " not freed by the end (%" PRIu64 " of them unreachable already)\n",
            g->go_maps, g->deletes, g->reused, (uint64_t)g->to_free.count,
            g->by_reason[HMAP_FREE_GROW_DONE], g->by_reason[HMAP_FREE_EVACUATED],
            g->by_reason[HMAP_FREE_CLEAR], g->by_reason[HMAP_FREE_DESTROY], pending, unreachable);
    lat_print(out, "Go: delete -> unreachable latency (the map let go of the slot's block)",
              &g->to_unreach, msecs);
    if (g->freed_unknown)
        fprintf(out,
                "  %" PRIu64 " more freed deletes have no unreachable moment: their map died, "
                "unseen, between its last event and the sweep\n",
                g->freed_unknown);
    lat_print(out, "Go: delete -> freed by the GC latency", &g->to_free, msecs);
    lat_print(out, "Go: unreachable -> freed by the GC (blocks)", &g->gc_lag, msecs);
    fprintf(out,
            "\nGo: %" PRIu64 " maps died without a destroy event (freed by a sweep while still in "
            "use: nothing referenced the map any more), holding %" PRIu64 " bytes\n",
            g->died, g->died_bytes);
    if (g->unseen)
        fprintf(out,
                "Go: %" PRIu64 " maps were never seen created (before the attach, or a "
                "header on a goroutine stack): their state is unknown, listed above\n",
                g->unseen);
    fprintf(out, "Go hides: maps that never escape to the heap (no makemap: not in the trace "
                 "unless they grow); which iterator keeps an old array alive past its growth "
                 "(the free then comes later than the unreachable moment above); reuse of freed "
                 "memory by other objects; memory returned to the OS by the scavenger\n");
    if (g->oom) fprintf(out, "Go: out of memory: the Go latencies above are incomplete\n");
}
