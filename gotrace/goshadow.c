// SPDX-License-Identifier: MIT
/*
 * goshadow.c — raw Go probe hits -> native events (goshadow.h).
 *
 * The state kept, per map: its type (read from the binary: a maptype is
 * static data), its current and old arrays; per block of bucket memory
 * (array or allocator overflow bucket): where it is, whose it is, whether it
 * is current, old (growing) or unreachable (and why), and the tophash byte
 * of every slot.  What each probe means is in docs/go.md, "Probe sites";
 * the layouts are those of docs/go-binaries.md §2.
 */
#include <stdlib.h>
#include <string.h>

#include "goshadow.h"
#include "hmap_native.h"

enum { ST_LIVE, ST_OLD, ST_DEAD };

struct block {
    uint64_t base, bytes, map;
    uint32_t nb; /* buckets in it */
    uint8_t kind, state, reason;
    uint8_t *th;    /* nb * 8 */
    uint64_t *next; /* nb overflow links (newoverflow's parent -> result), or NULL */
};

struct gmap {
    uint64_t h, t;
    uint32_t keysize, elemsize, bucketsize, hint;
    uint8_t pointerful, announced, destroyed;
    uint8_t unseen;  /* created before the attach or on a stack: its events are not used */
    uint8_t type_unread; /* its type is not in the binary: counted once, never traced */
    uint64_t caller; /* makemap*'s return address, 0 if unknown */
    uint64_t cur, old;
    uint8_t curB, oldB, growkind;
    uint16_t noverflow_before;
    uint64_t count;
    uint64_t evac_index;
    uint32_t moved_x, moved_y;
};

struct go_shadow {
    const struct gobin *bin;
    const struct go_sites *sites;
    FILE *out;
    uint32_t pid;
    uint64_t bytes;
    int write_failed;
    struct go_shadow_stats st;
    struct block *blk; /* sorted by base */
    size_t nblk, capblk;
    struct gmap *map;
    size_t nmap, capmap;
    go_page_freed_fn *page_freed;
    void *page_ctx;
    uint64_t bias;  /* the process's addresses minus the binary's (a PIE's) */
    int bias_known; /* 1 known, -1 unreadable, 0 not asked yet */
};

struct hdr {
    uint64_t count;
    uint8_t flags, B;
    uint16_t noverflow;
    uint32_t hash0;
    uint64_t buckets, oldbuckets, nevacuate, extra;
};
_Static_assert(sizeof(struct hdr) == 48, "runtime.hmap is 48 bytes");

/* Go's malloc size classes (runtime/sizeclasses.go, unchanged 1.19-1.23):
 * makeBucketArray rounds its block up and uses the slack as more
 * preallocated overflow buckets. */
static const uint32_t size_classes[] = {
    8,     16,    24,    32,    48,    64,    80,    96,    112,   128,   144,  160,   176,   192,
    208,   224,   240,   256,   288,   320,   352,   384,   416,   448,   480,  512,   576,   640,
    704,   768,   896,   1024,  1152,  1280,  1408,  1536,  1792,  2048,  2304, 2688,  3072,  3200,
    3456,  4096,  4864,  5376,  6144,  6528,  6784,  6912,  8192,  9472,  9728, 10240, 10880, 12288,
    13568, 14336, 16384, 18432, 19072, 20480, 21760, 24576, 27264, 28672, 32768};

static uint64_t roundupsize(uint64_t n)
{
    for (size_t i = 0; i < sizeof size_classes / sizeof size_classes[0]; i++)
        if (n <= size_classes[i]) return size_classes[i];
    return (n + 8191) & ~8191ull;
}

struct go_shadow *go_shadow_new(const struct gobin *b, const struct go_sites *sites, FILE *out,
                                uint32_t pid)
{
    struct go_shadow *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->bin = b, s->sites = sites, s->out = out, s->pid = pid;
    return s;
}

void go_shadow_free(struct go_shadow *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->nblk; i++)
        free(s->blk[i].th), free(s->blk[i].next);
    free(s->blk);
    free(s->map);
    free(s);
}

void go_shadow_on_page_freed(struct go_shadow *s, go_page_freed_fn *fn, void *ctx)
{
    s->page_freed = fn, s->page_ctx = ctx;
}

uint64_t go_shadow_bytes(const struct go_shadow *s, int *write_failed)
{
    if (write_failed) *write_failed = s->write_failed;
    return s->bytes;
}

struct go_shadow_stats go_shadow_stats(const struct go_shadow *s)
{
    return s->st;
}

/* ---- output -------------------------------------------------------------- */

static void emit(struct go_shadow *s, uint16_t id, uint64_t ts, uint32_t tid, const void *p,
                 size_t n)
{
    uint8_t rec[24 + HMAP_NATIVE_MAX_PAYLOAD] = {0};
    struct hmap_native_rec_header *h = (void *)rec;
    uint16_t size = hmap_native_rec_size(id);
    h->ts_ns = ts, h->pid = s->pid, h->tid = tid, h->id = id, h->size = size;
    memcpy(rec + sizeof *h, p, n);
    if (fwrite(rec, size, 1, s->out) != 1) s->write_failed = 1;
    s->bytes += size;
    s->st.native++;
}
#define EMIT(s, name, ts, tid, ...)                                                                \
    do {                                                                                           \
        struct hmap_native_##name p_ = {__VA_ARGS__};                                              \
        emit(s, HMAP_EV_##name, ts, tid, &p_, sizeof p_);                                          \
    } while (0)

/* ---- blocks -------------------------------------------------------------- */

/* Index of the first block with base >= addr. */
static size_t lower(const struct go_shadow *s, uint64_t addr)
{
    size_t lo = 0, hi = s->nblk;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->blk[mid].base < addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static struct block *containing(struct go_shadow *s, uint64_t addr)
{
    size_t i = lower(s, addr + 1);
    if (i == 0) return NULL;
    struct block *b = &s->blk[i - 1];
    return addr < b->base + b->bytes ? b : NULL;
}

static struct block *add_block(struct go_shadow *s, uint64_t base, uint64_t bytes, uint32_t nb,
                               uint64_t map, uint8_t kind)
{
    size_t i = lower(s, base);
    if (i < s->nblk && s->blk[i].base == base) { /* reused address: the old one is gone */
        free(s->blk[i].th);
        free(s->blk[i].next);
        memmove(&s->blk[i], &s->blk[i + 1], (s->nblk - i - 1) * sizeof *s->blk);
        s->nblk--;
    }
    if (s->nblk == s->capblk) {
        size_t cap = s->capblk ? 2 * s->capblk : 256;
        struct block *nb_ = realloc(s->blk, cap * sizeof *nb_);
        if (!nb_) return NULL;
        s->blk = nb_, s->capblk = cap;
    }
    memmove(&s->blk[i + 1], &s->blk[i], (s->nblk - i) * sizeof *s->blk);
    s->nblk++;
    s->blk[i] = (struct block){.base = base,
                               .bytes = bytes,
                               .nb = nb,
                               .map = map,
                               .kind = kind,
                               .th = calloc(nb ? nb : 1, 8)};
    return &s->blk[i];
}

static void remove_block(struct go_shadow *s, size_t i)
{
    free(s->blk[i].th);
    free(s->blk[i].next);
    memmove(&s->blk[i], &s->blk[i + 1], (s->nblk - i - 1) * sizeof *s->blk);
    s->nblk--;
}

/* The overflow link of bucket ADDR (of a map with bucket size BS), or NULL
 * when ADDR is no tracked bucket; with make, allocated on first use. */
static uint64_t *link_of(struct go_shadow *s, uint64_t addr, uint32_t bs, int make)
{
    struct block *b = containing(s, addr);
    if (!b || !bs || (addr - b->base) % bs || (addr - b->base) / bs >= b->nb) return NULL;
    if (!b->next && make) b->next = calloc(b->nb, sizeof *b->next);
    return b->next ? &b->next[(addr - b->base) / bs] : NULL;
}

/* ---- maps ---------------------------------------------------------------- */

static struct gmap *find_map(struct go_shadow *s, uint64_t h)
{
    for (size_t i = s->nmap; i-- > 0;)
        if (s->map[i].h == h && !s->map[i].destroyed) return &s->map[i];
    return NULL;
}

static struct gmap *new_map(struct go_shadow *s, uint64_t h)
{
    struct gmap *old = find_map(s, h);
    if (old) old->destroyed = 1; /* its address was reused: it died unseen */
    if (s->nmap == s->capmap) {
        size_t cap = s->capmap ? 2 * s->capmap : 64;
        struct gmap *n = realloc(s->map, cap * sizeof *n);
        if (!n) return NULL;
        s->map = n, s->capmap = cap;
    }
    struct gmap *m = &s->map[s->nmap++];
    memset(m, 0, sizeof *m);
    m->h = h;
    return m;
}

/* The binary's address of the process's address a (a PIE runs at a bias
 * the kernel chose; asked once, after exec, when the first type is read). */
static uint64_t file_addr(struct go_shadow *s, uint64_t a)
{
    if (!s->bin->et_dyn) return a;
    if (!s->bias_known)
        s->bias_known = gobin_load_bias(s->bin, (int)s->pid, &s->bias) == 0 ? 1 : -1;
    return s->bias_known == 1 && a >= s->bias ? a - s->bias : 0;
}

/* The type, from the binary: maptype = 48-byte _type, key, elem, bucket,
 * hasher, keysize u8, elemsize u8, bucketsize u16 (docs/go-binaries.md §2).
 * Its pointers are the file's addresses (a PIE's relocations add the bias
 * at load time; the file holds the unbiased values). */
static void set_type(struct go_shadow *s, struct gmap *m, uint64_t t, uint64_t ts, uint32_t tid)
{
    if (m->announced || !t) return;
    const uint8_t *p = gobin_bytes(s->bin, file_addr(s, t), 88);
    if (!p) {
        if (!m->type_unread) s->st.types_unread++;
        m->type_unread = 1;
        return;
    }
    uint64_t bucket_type;
    memcpy(&bucket_type, p + 64, 8);
    const uint8_t *bt = gobin_bytes(s->bin, bucket_type, 16);
    uint64_t ptrdata = 0;
    if (bt) memcpy(&ptrdata, bt + 8, 8);
    m->t = t;
    m->keysize = p[80];
    m->elemsize = p[81];
    m->bucketsize = p[82] | p[83] << 8;
    m->pointerful = ptrdata != 0;
    m->announced = 1;
    struct hmap_native_map_create c = {.map = m->h,
                                       .key_size = m->keysize,
                                       .val_size = m->elemsize,
                                       .bucket_size = m->bucketsize,
                                       .pointerful = m->pointerful,
                                       .reclaim = HMAP_RECLAIM_GO_ID,
                                       .hint = m->hint};
    snprintf(c.type_name, sizeof c.type_name, "go:k%u/v%u", m->keysize, m->elemsize);
    emit(s, HMAP_EV_map_create, ts, tid, &c, sizeof c);
    /* The creation site: makemap*'s caller, named FUNCTION:LINE from
     * .gopclntab (stripped binaries too) in name; site_off, as for every
     * object (schema: the site minus the object's load address), from the
     * file's address of it. */
    struct hmap_native_map_info in = {.map = m->h, .site = m->caller};
    snprintf(in.object, sizeof in.object, "%.95s", s->bin->path);
    int32_t line = 0;
    uint64_t caller = m->caller ? file_addr(s, m->caller) : 0;
    const struct gobin_func *f = caller ? gobin_line(s->bin, caller - 1, &line) : NULL;
    if (f) in.site_off = caller - s->bin->base_vaddr;
    if (f) {
        char where[512];
        int n = snprintf(where, sizeof where, "%s:%d", f->name, (int)line);
        /* too long: keep the end, the most specific part (package.Func:line) */
        if (n < 0) n = 0;
        if (n >= (int)sizeof where) n = sizeof where - 1;
        size_t keep = (size_t)n < sizeof in.name - 1 ? (size_t)n : sizeof in.name - 1;
        memcpy(in.name, where + n - keep, keep);
        in.name[keep] = '\0';
    }
    emit(s, HMAP_EV_map_info, ts, tid, &in, sizeof in);
}

/* An array became current: makemap, lazily in mapassign, or hashGrow. */
static void new_array(struct go_shadow *s, struct gmap *m, uint64_t addr, uint8_t B, uint64_t ts,
                      uint32_t tid)
{
    uint64_t n = 1ull << B, bs = m->bucketsize;
    if (B >= 4) { /* makeBucketArray: preallocated overflow buckets, rounded up */
        n += 1ull << (B - 4);
        n = roundupsize(n * bs) / bs;
    }
    uint64_t bytes = roundupsize(n * bs);
    add_block(s, addr, bytes, (uint32_t)n, m->h, HMAP_MEM_ARRAY);
    m->cur = addr;
    m->curB = B;
    EMIT(s, bucket_array_alloc, ts, tid, .map = m->h, .addr = addr, .B = B, .nbuckets = 1ull << B,
         .nprealloc = (uint32_t)(n - (1ull << B)), .bytes = bytes);
}

/* ---- site hits ----------------------------------------------------------- */

static void th_write(struct go_shadow *s, struct gmap *m, int fn, uint64_t addr, uint8_t val,
                     uint64_t ts, uint32_t tid)
{
    struct block *b = containing(s, addr);
    if (!b || b->map != m->h || !m->bucketsize) {
        s->st.stores_ignored++;
        return;
    }
    uint64_t off = addr - b->base, bi = off / m->bucketsize, o = off % m->bucketsize;
    if (o >= 8 || bi >= b->nb) { /* a key, value or header byte, not a tophash */
        s->st.stores_ignored++;
        return;
    }
    uint8_t cause;
    if (fn >= GOFN_MAPASSIGN && fn <= GOFN_MAPASSIGN_FASTSTR)
        cause = HMAP_TH_INSERT;
    else if (fn >= GOFN_MAPDELETE && fn <= GOFN_MAPDELETE_FASTSTR)
        cause = val == HMAP_TOPHASH_EMPTY_ONE ? HMAP_TH_DELETE : HMAP_TH_EMPTY_REST;
    else if (b->state == ST_OLD) {
        cause = HMAP_TH_EVAC_MARK;
        m->moved_x += val == HMAP_TOPHASH_EVACUATED_X;
        m->moved_y += val == HMAP_TOPHASH_EVACUATED_Y;
    } else
        cause = HMAP_TH_EVAC_COPY;
    uint8_t *th = &b->th[bi * 8 + o];
    EMIT(s, tophash_write, ts, tid, .map = m->h, .bucket = b->base + bi * m->bucketsize,
         .slot = (uint8_t)o, .old_th = *th, .new_th = val, .cause = cause);
    *th = val;
}

/* The old head HEAD was scrubbed (evacuate, pointerful buckets): its chain
 * is unlinked.  An allocator overflow bucket becomes unreachable with it
 * while every bucket before it in the chain is one too; from the first
 * preallocated bucket on, the old array (still h.oldbuckets) links the rest
 * until the growth ends (docs/go.md, "What is exact"). */
static void drop_old_chain(struct go_shadow *s, struct gmap *m, uint64_t head, uint64_t ts,
                           uint32_t tid)
{
    uint64_t *l = link_of(s, head, m->bucketsize, 0);
    uint64_t prev = head, n = l ? *l : 0;
    int reachable = 0;
    if (l) *l = 0;
    for (int guard = 0; n && guard < 1 << 20; guard++) {
        struct block *b = containing(s, n);
        if (!b || b->map != m->h) break;
        int alloc = b->kind == HMAP_MEM_OVERFLOW && b->base == n;
        reachable |= !alloc;
        EMIT(s, overflow_unlink, ts, tid, .map = m->h, .addr = n, .prev = prev,
             .cause = HMAP_UNLINK_EVACUATED, .to_freelist = 0);
        if (alloc && !reachable && b->state != ST_DEAD)
            b->state = ST_DEAD, b->reason = HMAP_FREE_EVACUATED;
        l = link_of(s, n, m->bucketsize, 0);
        prev = n;
        n = l ? *l : 0;
    }
}

static void site_hit(struct go_shadow *s, const struct go_raw_site *r)
{
    if (r->site >= s->sites->n) return;
    const struct go_site *site = &s->sites->site[r->site].s;
    int fn = site->fn, kind = site->kind;
    struct hdr h;
    memcpy(&h, r->hdr, sizeof h);
    uint64_t ts = r->ts_ns;
    uint32_t tid = r->tid;

    if ((fn == GOFN_MAKEMAP || fn == GOFN_MAKEMAP_SMALL) && kind == GO_SITE_RET) {
        struct gmap *m = new_map(s, r->rax);
        if (!m) return;
        if (r->has_args) m->caller = r->caller;
        if (fn == GOFN_MAKEMAP && r->has_args) {
            m->hint = r->args[1] > 0xffffffffull ? 0xffffffffu : (uint32_t)r->args[1];
            set_type(s, m, r->args[0], ts, tid);
        }
        if (m->announced && r->has_hdr && h.buckets) new_array(s, m, h.buckets, h.B, ts, tid);
        return;
    }
    if (!r->has_args) return;
    uint64_t hp = (fn == GOFN_NEWOVERFLOW || fn == GOFN_ADVANCE) ? r->args[0] : r->args[1];
    uint64_t t = fn == GOFN_NEWOVERFLOW ? r->args[1] : r->args[0];
    struct gmap *m = find_map(s, hp);
    if (!m) {
        if (!hp || !(m = new_map(s, hp))) return;
        m->unseen = 1;
        s->st.maps_unseen++;
    }
    if (m->unseen) {
        /* A map whose creation was not seen: made before the recorder
         * attached (-p), or on a goroutine stack (no makemap).  Its buckets
         * are unknown, so nothing of it is guessed: the trace says once,
         * in a state bracket with status "unseen", that it exists, with its
         * type and header as of this hit (docs/go.md, "Attaching"). */
        s->st.events_unknown_map++;
        if (!m->announced && t && r->has_hdr) {
            EMIT(s, state_begin, ts, tid, .map = hp, .count = h.count, .B = h.B, .flags = h.flags,
                 .old_addr = h.oldbuckets, .nevacuate = h.nevacuate, .noverflow = h.noverflow,
                 .trigger = HMAP_STATE_BY_WRITER);
            set_type(s, m, t, ts, tid);
            EMIT(s, state_end, ts, tid, .map = hp, .status = HMAP_STATE_UNSEEN);
            m->announced = 1;
        }
        return;
    }
    set_type(s, m, t, ts, tid); /* makemap_small: the type comes with the first write */
    if (!m->announced) return;
    if (r->has_hdr) {
        m->count = h.count;
        if (h.buckets && !m->cur && !h.oldbuckets) new_array(s, m, h.buckets, h.B, ts, tid);
    }
    switch (fn) {
    case GOFN_HASHGROW:
        if (kind == GO_SITE_ENTRY) {
            m->noverflow_before = h.noverflow;
            break;
        }
        if (!r->has_hdr || !h.buckets || h.oldbuckets != m->cur) break;
        for (size_t i = 0; i < s->nblk; i++)
            if (s->blk[i].map == m->h && s->blk[i].state == ST_LIVE) s->blk[i].state = ST_OLD;
        m->old = m->cur;
        m->oldB = m->curB;
        m->growkind = (h.flags & 8) ? HMAP_GROW_SAME_SIZE : HMAP_GROW_DOUBLE;
        new_array(s, m, h.buckets, h.B, ts, tid);
        EMIT(s, grow_start, ts, tid, .map = m->h, .old_B = m->oldB, .new_B = h.B,
             .kind = m->growkind, .count = h.count, .noverflow = m->noverflow_before);
        break;
    case GOFN_NEWOVERFLOW: {
        if (kind != GO_SITE_RET) break;
        uint64_t ovf = r->rax, parent = r->args[2];
        struct block *b = containing(s, ovf);
        uint8_t src = HMAP_OVF_PREALLOC;
        if (!b || b->base != m->cur) {
            src = HMAP_OVF_ALLOCATOR;
            add_block(s, ovf, roundupsize(m->bucketsize), 1, m->h, HMAP_MEM_OVERFLOW);
        }
        uint64_t *l = link_of(s, parent, m->bucketsize, 1);
        if (l) *l = ovf;
        EMIT(s, overflow_alloc, ts, tid, .map = m->h, .addr = ovf, .parent = parent, .source = src,
             .bytes = m->bucketsize);
        break;
    }
    case GOFN_EVACUATE:
    case GOFN_EVACUATE_FAST32:
    case GOFN_EVACUATE_FAST64:
    case GOFN_EVACUATE_FASTSTR:
        if (kind == GO_SITE_ENTRY) {
            m->evac_index = r->args[2];
            m->moved_x = m->moved_y = 0;
        } else if (kind == GO_SITE_RET && m->old) {
            uint64_t bs = m->bucketsize, i = m->evac_index;
            int dbl = m->growkind == HMAP_GROW_DOUBLE;
            EMIT(s, evacuate, ts, tid, .map = m->h, .old_index = i, .old_addr = m->old + i * bs,
                 .x_addr = m->cur + i * bs,
                 .y_addr = dbl ? m->cur + (i + (1ull << m->oldB)) * bs : 0, .moved_x = m->moved_x,
                 .moved_y = m->moved_y);
            /* A pointerful bucket is scrubbed after its evacuation, overflow
             * link included, unless an iterator started during the growth
             * may still read it (h.flags & oldIterator). */
            if (m->pointerful && r->has_hdr && !(h.flags & 2))
                drop_old_chain(s, m, m->old + i * bs, ts, tid);
        } else if (kind == GO_SITE_STORE)
            th_write(s, m, fn, r->addr, r->val, ts, tid);
        break;
    case GOFN_ADVANCE:
        if (kind != GO_SITE_RET || !r->has_hdr || h.oldbuckets || !m->old) break;
        EMIT(s, grow_done, ts, tid, .map = m->h, .old_addr = m->old, .B = h.B, .kind = m->growkind,
             .count = h.count);
        for (size_t i = 0; i < s->nblk; i++)
            if (s->blk[i].map == m->h && s->blk[i].state == ST_OLD)
                s->blk[i].state = ST_DEAD, s->blk[i].reason = HMAP_FREE_GROW_DONE;
        m->old = 0;
        break;
    case GOFN_MAPCLEAR:
        /* Every slot of the current array becomes emptyRest (the array is
         * reused, its links reset by makeBucketArray); the old array and
         * every allocator overflow bucket are dropped.  An empty map
         * (h.count == 0) is left as it is. */
        if (!r->has_hdr || !h.count) break;
        for (size_t i = 0; i < s->nblk; i++) {
            struct block *b = &s->blk[i];
            if (b->map != m->h || b->state == ST_DEAD) continue;
            if (b->base == m->cur) {
                if (b->next) memset(b->next, 0, b->nb * sizeof *b->next);
                for (uint32_t k = 0; k < b->nb * 8; k++)
                    if (b->th[k]) {
                        EMIT(s, tophash_write, ts, tid, .map = m->h,
                             .bucket = b->base + (k / 8) * m->bucketsize, .slot = k % 8,
                             .old_th = b->th[k], .new_th = 0, .cause = HMAP_TH_CLEAR);
                        b->th[k] = 0;
                    }
            } else {
                if (b->kind == HMAP_MEM_OVERFLOW)
                    EMIT(s, overflow_unlink, ts, tid, .map = m->h, .addr = b->base, .prev = 0,
                         .cause = HMAP_UNLINK_CLEAR, .to_freelist = 0);
                b->state = ST_DEAD, b->reason = HMAP_FREE_CLEAR;
            }
        }
        m->old = 0;
        break;
    default:
        if (kind == GO_SITE_STORE) th_write(s, m, fn, r->addr, r->val, ts, tid);
        break;
    }
}

/* A span is swept: every tracked block in it whose mark bit is 0 is freed
 * now (docs/go-binaries.md §4).  A block still current or old belongs to a
 * map that died: the map is destroyed with its first such block. */
static void sweep(struct go_shadow *s, const struct go_raw_sweep *r)
{
    s->st.sweeps++;
    if (r->unread || !r->elemsize) {
        s->st.sweeps_unread++;
        return;
    }
    uint64_t end = r->start + r->npages * 8192;
    for (size_t i = lower(s, r->start); i < s->nblk && s->blk[i].base < end;) {
        struct block *b = &s->blk[i];
        uint64_t off = b->base - r->start, idx = off / r->elemsize;
        if (off % r->elemsize || idx >= r->nelems || idx / 8 >= GO_SPAN_MARK_BYTES ||
            (r->marks[idx / 8] >> (idx % 8)) & 1) {
            i++;
            continue;
        }
        struct gmap *m = find_map(s, b->map);
        uint8_t reason = b->reason;
        if (b->state != ST_DEAD) {
            reason = HMAP_FREE_DESTROY;
            if (m) {
                uint64_t held = 0;
                for (size_t j = 0; j < s->nblk; j++)
                    if (s->blk[j].map == m->h) held += s->blk[j].bytes;
                EMIT(s, map_destroy, r->ts_ns, r->tid, .map = m->h, .count = m->count,
                     .bytes = held);
                for (size_t j = 0; j < s->nblk; j++)
                    if (s->blk[j].map == m->h && s->blk[j].state != ST_DEAD)
                        s->blk[j].state = ST_DEAD, s->blk[j].reason = HMAP_FREE_DESTROY;
                m->destroyed = 1;
            }
        }
        EMIT(s, bucket_free, r->ts_ns, r->tid, .map = b->map, .addr = b->base, .bytes = b->bytes,
             .kind = b->kind, .reason = reason);
        uint64_t page = b->base >> GO_PAGE_SHIFT;
        remove_block(s, i);
        /* The page's last tracked block: the BPF side may stop sending its
         * sweeps (gorecord.bpf.c, pages). */
        size_t j = lower(s, page << GO_PAGE_SHIFT);
        if (s->page_freed && (j == s->nblk || s->blk[j].base >> GO_PAGE_SHIFT != page))
            s->page_freed(s->page_ctx, page, r->ts_ns);
    }
}

int go_shadow_feed(struct go_shadow *s, const void *data, size_t size)
{
    uint32_t type;
    if (size < 16) return -1;
    memcpy(&type, (const uint8_t *)data + 12, 4);
    s->st.raw++;
    if (type == GO_RAW_SITE && size >= sizeof(struct go_raw_site))
        site_hit(s, data);
    else if (type == GO_RAW_SWEEP && size >= sizeof(struct go_raw_sweep))
        sweep(s, data);
    else
        return -1;
    return 0;
}
