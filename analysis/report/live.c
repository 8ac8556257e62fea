/* SPDX-License-Identifier: MIT */
/*
 * live.c — the interval table of a live report (live.h, docs/live.md).
 *
 * The engine is read as it is between two records: its maps' gauges are the
 * state now, their counts cover the trace so far.  A delete still pending is
 * counted as retained (it would be, were the trace to end now).  What is
 * per interval is kept here, per map, keyed by (pid, address, seq) since the
 * engine may fold idle maps and so move them in its array: the counts at the
 * previous table, and the latencies of the deletes resolved since, in a
 * log-linear histogram of 16 steps per power of two (a percentile is the
 * lower edge of its step: under 1/16 too low, never too high).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "live.h"
#include "spell.h"

#define LAT_SUB 16 /* steps per power of two */
#define LAT_SLOTS (61 * LAT_SUB)

struct lat {
    uint64_t count;
    uint32_t slot[LAT_SLOTS];
};

/* Invariant: for every map of the engine at the last table, and every map
 * a delete resolved since, one row with its key; prev_* are its counts at
 * the previous table.  Rows of maps the engine no longer lists (folded) are
 * dropped at the next table, so the rows are bounded as the engine's maps
 * are. */
struct row {
    uint32_t pid, seq;
    uint64_t addr;
    int used;
    uint64_t table; /* the last table that listed it */
    uint64_t prev_deletes, prev_grows;
    struct lat *reuse, *reclaim; /* deletes resolved this interval, NULL if none */
};

struct bs_live {
    struct bs_live_opts o;
    struct row *rows; /* open addressing, cap a power of two, at most half full */
    uint32_t nrows, cap;
    uint64_t tables, prev_events, prev_lost;
    struct timespec prev_wall;
};

static unsigned lat_index(uint64_t v)
{
    if (v < LAT_SUB) return (unsigned)v;
    unsigned msb = 63u - (unsigned)__builtin_clzll(v);
    return (msb - 3) * LAT_SUB + (unsigned)((v >> (msb - 4)) & (LAT_SUB - 1));
}

static uint64_t lat_lower(unsigned idx)
{
    if (idx < LAT_SUB) return idx;
    unsigned msb = idx / LAT_SUB + 3, sub = idx % LAT_SUB;
    return (1ull << msb) | ((uint64_t)sub << (msb - 4));
}

/* Nearest-rank quantile q of h, 0 when empty. */
static uint64_t lat_quantile(const struct lat *h, double q)
{
    if (!h || !h->count) return 0;
    uint64_t rank = (uint64_t)(q * (double)h->count + 0.999999), seen = 0;
    if (rank < 1) rank = 1;
    for (unsigned i = 0; i < LAT_SLOTS; i++)
        if ((seen += h->slot[i]) >= rank) return lat_lower(i);
    return 0;
}

static uint64_t key_hash(uint32_t pid, uint64_t addr, uint32_t seq)
{
    uint64_t h = (addr ^ ((uint64_t)pid << 32 | seq)) * 0x9e3779b97f4a7c15ull;
    return h ^ (h >> 29);
}

static struct row *slot_of(struct row *rows, uint32_t cap, uint32_t pid, uint64_t addr,
                           uint32_t seq)
{
    for (uint64_t i = key_hash(pid, addr, seq) & (cap - 1);; i = (i + 1) & (cap - 1))
        if (!rows[i].used || (rows[i].pid == pid && rows[i].addr == addr && rows[i].seq == seq))
            return &rows[i];
}

/* A map's key: (pid, address, seq); the "other maps" records (pid 0,
 * address 0, one per reclaim policy) by their policy. */
static uint32_t seq_key(const struct bs_map *m)
{
    return m->folded ? 0x80000000u | (uint32_t)m->implicit << 8 | m->reclaim : m->seq;
}

/* The row of map m, made if new; NULL when out of memory. */
static struct row *row_of(struct bs_live *l, const struct bs_map *m)
{
    if (2 * (l->nrows + 1) > l->cap) {
        uint32_t cap = l->cap ? 2 * l->cap : 64;
        struct row *rows = calloc(cap, sizeof(*rows));
        if (!rows) return NULL;
        for (uint32_t i = 0; i < l->cap; i++)
            if (l->rows[i].used)
                *slot_of(rows, cap, l->rows[i].pid, l->rows[i].addr, l->rows[i].seq) = l->rows[i];
        free(l->rows);
        l->rows = rows;
        l->cap = cap;
    }
    struct row *r = slot_of(l->rows, l->cap, m->pid, m->addr, seq_key(m));
    if (!r->used) {
        *r = (struct row){
            .pid = m->pid, .addr = m->addr, .seq = seq_key(m), .used = 1, .table = l->tables + 1};
        l->nrows++;
    }
    return r;
}

struct bs_live *bs_live_new(const struct bs_live_opts *o)
{
    struct bs_live *l = calloc(1, sizeof(*l));
    if (!l) return NULL;
    l->o = *o;
    if (l->o.top <= 0) l->o.top = 10;
    clock_gettime(CLOCK_MONOTONIC, &l->prev_wall);
    return l;
}

void bs_live_free(struct bs_live *l)
{
    if (!l) return;
    for (uint32_t i = 0; i < l->cap; i++) {
        free(l->rows[i].reuse);
        free(l->rows[i].reclaim);
    }
    free(l->rows);
    free(l);
}

uint64_t bs_live_tables(const struct bs_live *l)
{
    return l->tables;
}

void bs_live_on_delete(void *ctx, const struct bs_delete_row *d)
{
    struct bs_live *l = ctx;
    int running_free = d->outcome == BS_FREED && bs_free_class(d->free_reason) == BS_FREE_RUNNING;
    if (d->outcome != BS_REUSED && !running_free) return;
    struct row *r = row_of(l, d->map);
    if (!r) return; /* out of memory: the percentiles of this interval miss it */
    struct lat **h = d->outcome == BS_REUSED ? &r->reuse : &r->reclaim;
    if (!*h && !(*h = calloc(1, sizeof(**h)))) return;
    uint64_t lat = d->end_ns >= d->delete_ns ? d->end_ns - d->delete_ns : 0;
    (*h)->count++;
    (*h)->slot[lat_index(lat)]++;
}

/* Rows not listed by table `t` go (their maps were folded); the others are
 * hashed again, into a table sized for them. */
static void drop_unlisted(struct bs_live *l, uint64_t t)
{
    uint32_t keep = 0, cap = 64;
    for (uint32_t i = 0; i < l->cap; i++)
        keep += l->rows[i].used && l->rows[i].table == t;
    if (keep == l->nrows) return;
    while (2 * (keep + 1) > cap)
        cap *= 2;
    struct row *rows = calloc(cap, sizeof(*rows));
    if (!rows) return; /* kept as they are: stale rows cost memory only */
    for (uint32_t i = 0; i < l->cap; i++) {
        struct row *r = &l->rows[i];
        if (!r->used) continue;
        if (r->table == t) {
            *slot_of(rows, cap, r->pid, r->addr, r->seq) = *r;
        } else {
            free(r->reuse);
            free(r->reclaim);
        }
    }
    free(l->rows);
    l->rows = rows;
    l->cap = cap;
    l->nrows = keep;
}

/* What one table row shows; computed from the engine and the row. */
struct line {
    const struct bs_map *m;
    struct row *r;
    uint64_t del_int, grow_int, retained;
};

static int by_activity(const void *a, const void *b)
{
    const struct line *x = a, *y = b;
    if (x->del_int != y->del_int) return x->del_int > y->del_int ? -1 : 1;
    if (x->m->g.bytes_held != y->m->g.bytes_held)
        return x->m->g.bytes_held > y->m->g.bytes_held ? -1 : 1;
    return 0;
}

/* Pending deletes (retained if the trace ended now) plus those already
 * retained (only after bs_engine_finish). */
static uint64_t retained_now(const struct bs_map *m)
{
    uint64_t done = m->outcome[BS_REUSED] + m->outcome[BS_FREED] + m->outcome[BS_UNRESOLVED];
    return m->deletes > done ? m->deletes - done : 0;
}

/* s as a JSON string: type names and host names come from the trace. */
static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

/* The host of m's process, NULL without host names (not LTTng live). */
static const char *host_of(const struct bs_live *l, const struct bs_map *m)
{
    if (!l->o.host_of) return NULL;
    const char *h = l->o.host_of(l->o.host_ctx, m->pid);
    return h ? h : "?";
}

static void wall_clock(char *buf, size_t len)
{
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(buf, len, "%H:%M:%S", &tm);
}

static void print_text(struct bs_live *l, const struct bs_engine_totals *tot, struct line *v,
                       uint32_t n, uint32_t shown, double secs)
{
    FILE *f = l->o.out;
    char clk[16], a[32], b[32], c[32], d[32], x[32], y[32];
    if (l->o.timestamps) {
        wall_clock(clk, sizeof(clk));
        fprintf(f, "%-8s ", clk);
    }
    fprintf(f,
            "interval %" PRIu64 " (%.2f s): %" PRIu64 " events (%" PRIu64 " total), %u maps, "
            "lost %" PRIu64 " (%" PRIu64 " total)\n",
            l->tables + 1, secs, tot->events - l->prev_events, tot->events, n,
            tot->lost_events - l->prev_lost, tot->lost_events);
    fprintf(f, "%-7s ", "PID");
    if (l->o.host_of) fprintf(f, "%-12s ", "HOST");
    fprintf(f, "%-14s %-12s %9s %9s %7s %9s %9s %9s %9s %10s %10s %10s %10s %5s\n", "MAP", "TYPE",
            "HELD", "EMPTY", "DEL/I", "DEL", "REUSED", "RECLAIM", "RETAIN", "REUSE_p50",
            "REUSE_p99", "RECL_p50", "RECL_p99", "GROW");
    for (uint32_t i = 0; i < shown; i++) {
        const struct bs_map *m = v[i].m;
        const struct row *r = v[i].r;
        char map[24];
        snprintf(map, sizeof(map), "0x%" PRIx64, m->addr);
        fprintf(f, "%-7u ", m->pid);
        if (l->o.host_of) fprintf(f, "%-12.12s ", host_of(l, m));
        fprintf(f,
                "%-14s %-12.12s %9s %9s %7" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64
                " %9" PRIu64 " %10s %10s %10s %10s %5" PRIu64 "\n",
                m->folded ? "(folded)" : map, m->type_name[0] ? m->type_name : "?",
                bs_fmt_bytes(m->g.bytes_held, a, sizeof(a)),
                bs_fmt_bytes(bs_empty_bytes(&m->g), b, sizeof(b)), v[i].del_int, m->deletes,
                m->outcome[BS_REUSED], m->freed_class[BS_FREE_RUNNING], v[i].retained,
                r && r->reuse ? bs_fmt_ns(lat_quantile(r->reuse, 0.5), c, sizeof(c)) : "-",
                r && r->reuse ? bs_fmt_ns(lat_quantile(r->reuse, 0.99), d, sizeof(d)) : "-",
                r && r->reclaim ? bs_fmt_ns(lat_quantile(r->reclaim, 0.5), x, sizeof(x)) : "-",
                r && r->reclaim ? bs_fmt_ns(lat_quantile(r->reclaim, 0.99), y, sizeof(y)) : "-",
                m->grows);
    }
    if (shown < n) fprintf(f, "... %u more maps\n", n - shown);
    fputc('\n', f);
}

static void print_json(struct bs_live *l, const struct bs_engine_totals *tot, struct line *v,
                       uint32_t n, uint32_t shown, double secs)
{
    FILE *f = l->o.out;
    char clk[16];
    wall_clock(clk, sizeof(clk));
    fprintf(f,
            "{\"interval\":%" PRIu64 ",\"time\":\"%s\",\"seconds\":%.3f,\"trace_ns\":%" PRIu64
            ",\"events\":%" PRIu64 ",\"events_total\":%" PRIu64 ",\"lost_events\":%" PRIu64
            ",\"lost_events_total\":%" PRIu64 ",\"maps_total\":%u,\"maps\":[",
            l->tables + 1, clk, secs, tot->last_ns - tot->first_ns, tot->events - l->prev_events,
            tot->events, tot->lost_events - l->prev_lost, tot->lost_events, n);
    for (uint32_t i = 0; i < shown; i++) {
        const struct bs_map *m = v[i].m;
        const struct row *r = v[i].r;
        fprintf(f, "%s{\"pid\":%u,", i ? "," : "", m->pid);
        if (l->o.host_of) {
            fputs("\"host\":", f);
            json_str(f, host_of(l, m));
            fputc(',', f);
        }
        fprintf(f, "\"map\":\"0x%" PRIx64 "\",\"seq\":%u,\"type\":", m->addr, m->seq);
        json_str(f, m->type_name);
        fprintf(f,
                ",\"folded\":%u,\"bytes_held\":%" PRIu64 ",\"empty_bytes\":%" PRIu64
                ",\"deletes_interval\":%" PRIu64 ",\"deletes\":%" PRIu64 ",\"reused\":%" PRIu64
                ",\"reclaimed_running\":%" PRIu64 ",\"freed_teardown\":%" PRIu64
                ",\"retained\":%" PRIu64 ",\"unresolved\":%" PRIu64 ",\"reuse_p50_ns\":%" PRIu64
                ",\"reuse_p99_ns\":%" PRIu64 ",\"reclaim_p50_ns\":%" PRIu64
                ",\"reclaim_p99_ns\":%" PRIu64 ",\"growths\":%" PRIu64
                ",\"growths_interval\":%" PRIu64 "}",
                m->folded, m->g.bytes_held, bs_empty_bytes(&m->g), v[i].del_int, m->deletes,
                m->outcome[BS_REUSED], m->freed_class[BS_FREE_RUNNING],
                m->freed_class[BS_FREE_TEARDOWN], v[i].retained, m->outcome[BS_UNRESOLVED],
                lat_quantile(r ? r->reuse : NULL, 0.5), lat_quantile(r ? r->reuse : NULL, 0.99),
                lat_quantile(r ? r->reclaim : NULL, 0.5), lat_quantile(r ? r->reclaim : NULL, 0.99),
                m->grows, v[i].grow_int);
    }
    fprintf(f, "]}\n");
}

void bs_live_table(struct bs_live *l, const struct bs_engine *e)
{
    uint32_t n;
    const struct bs_map *maps = bs_engine_maps(e, &n);
    const struct bs_engine_totals *tot = bs_engine_totals(e);
    struct line *v = calloc(n ? n : 1, sizeof(*v));
    if (!v) return;
    /* Rows made first: making one may move the others. */
    int have_rows = 1;
    for (uint32_t i = 0; i < n; i++)
        have_rows &= row_of(l, &maps[i]) != NULL;
    for (uint32_t i = 0; i < n; i++) {
        struct row *r = have_rows
                            ? slot_of(l->rows, l->cap, maps[i].pid, maps[i].addr, seq_key(&maps[i]))
                            : NULL;
        uint64_t pd = r ? r->prev_deletes : 0, pg = r ? r->prev_grows : 0;
        v[i] = (struct line){&maps[i], r, maps[i].deletes >= pd ? maps[i].deletes - pd : 0,
                             maps[i].grows >= pg ? maps[i].grows - pg : 0,
                             maps[i].outcome[BS_RETAINED] + retained_now(&maps[i])};
    }
    qsort(v, n, sizeof(*v), by_activity);
    uint32_t shown = n < (uint32_t)l->o.top ? n : (uint32_t)l->o.top;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double secs = (double)(now.tv_sec - l->prev_wall.tv_sec) +
                  (double)(now.tv_nsec - l->prev_wall.tv_nsec) / 1e9;
    if (l->o.json)
        print_json(l, tot, v, n, shown, secs);
    else
        print_text(l, tot, v, n, shown, secs);
    fflush(l->o.out);
    /* The next interval starts from here. */
    for (uint32_t i = 0; i < n; i++) {
        struct row *r = v[i].r;
        if (!r) continue;
        r->prev_deletes = v[i].m->deletes;
        r->prev_grows = v[i].m->grows;
        r->table = l->tables + 1;
        free(r->reuse);
        free(r->reclaim);
        r->reuse = r->reclaim = NULL;
    }
    free(v);
    drop_unlisted(l, l->tables + 1);
    l->tables++;
    l->prev_events = tot->events;
    l->prev_lost = tot->lost_events;
    l->prev_wall = now;
}
