/* SPDX-License-Identifier: MIT */
/*
 * access.c — lookup, assign and delete (docs/go-map-model.md §6, §7, §11).
 *
 * Each operation is written once as an always-inline function taking the key
 * kind as a compile-time constant; the public entry points instantiate it
 * for u32, u64, string and generic keys.  That gives Go's fast32/fast64/
 * faststr paths (no indirect calls, fixed-size key compares) without four
 * copies of the logic.  Observable behaviour is the same for every kind,
 * except what Go's fast variants clear on delete (§11.3), reproduced here.
 */
#include <errno.h>

#include "internal.h"

/* Key size as a constant for the fast kinds, so copies fold to moves. */
static ALWAYS_INLINE size_t key_size_k(const hmap *m, int kind)
{
    return kind == HMAP_KIND_U64   ? 8
           : kind == HMAP_KIND_U32 ? 4
           : kind == HMAP_KIND_STR ? sizeof(hmap_str)
                                   : key_size_of(m);
}

/* key_of and val_of for a constant kind: a fast kind's key (4, 8 or 16
 * bytes) is never stored indirectly and its slot size is a constant, so
 * the key's address is one lea and the value's needs only valslot. */
static ALWAYS_INLINE uint8_t *slot_key_k(const hmap *m, uint8_t *b, unsigned i, int kind)
{
    if (kind == HMAP_KIND_GENERIC) return slot_key(m, b, i);
    return b + DATA_OFFSET + (size_t)i * key_size_k(m, kind);
}
static ALWAYS_INLINE uint8_t *slot_val_k(const hmap *m, uint8_t *b, unsigned i, int kind)
{
    if (kind == HMAP_KIND_GENERIC) return slot_val(m, b, i);
    return b + DATA_OFFSET + BUCKET_CNT * key_size_k(m, kind) + (size_t)i * m->valslot;
}
static ALWAYS_INLINE void *key_of_k(const hmap *m, uint8_t *b, unsigned i, int kind)
{
    if (kind == HMAP_KIND_GENERIC) return key_of(m, b, i);
    return slot_key_k(m, b, i, kind);
}
static ALWAYS_INLINE void *val_of_k(const hmap *m, uint8_t *b, unsigned i, int kind)
{
    if (kind == HMAP_KIND_GENERIC) return val_of(m, b, i);
    uint8_t *v = slot_val_k(m, b, i, kind), *obj;
    if (!has_indirect_val(m)) return v;
    memcpy(&obj, v, sizeof obj);
    return obj;
}

/* Slot of bucket b (tophash group g) holding key, or BUCKET_CNT.  The
 * candidates are the slots whose tophash equals top (an exact mask): only
 * their keys are compared. */
static ALWAYS_INLINE unsigned find_in_bucket(const hmap *m, uint8_t *b, th_group g, uint8_t top,
                                             const void *key, int kind)
{
    for (slotmask c = th_match(g, top); slot_any(c); c = slot_next(c)) {
        unsigned i = slot_first(c);
        if (eq_k(m, key, key_of_k(m, b, i, kind), kind)) return i;
    }
    return BUCKET_CNT;
}

/* The chain that holds `hash` right now: the new bucket, or the old one
 * while it has not been evacuated.  f: the flags the caller read. */
static ALWAYS_INLINE uint8_t *chain_for(const hmap *m, uint64_t hash, uint8_t f)
{
    uint64_t mask = bucket_mask(m->B);
    uint8_t *b = bucket_at(m, m->buckets, hash & mask);
    prefetch_bucket(m, b);
    if (UNLIKELY(f & F_GROWING)) {
        uint8_t *ob = bucket_at(m, m->ext->old_rec->arr, hash & oldbucketmask(m));
        if (!evacuated(ob)) b = ob;
    }
    return b;
}

/* A map with one bucket, one entry and no growth: compare the key, no hash.
 * Go's fast32/fast64/faststr scan every key when B == 0, whatever the
 * count; here only a one-entry map does.  With more entries the scan's exit
 * depends on where the key sits, and callgrind's branch simulation counts
 * 0.7-1.4 mispredicted exits per lookup from 2 entries on (none hashed), and
 * from 5 entries on more instructions than the hash (docs/libhmap.md, "Small
 * maps").  Fast kinds are reflexive, so the result is the hashed lookup's.
 * A single-bucket map has no overflow bucket (its ninth entry grows it
 * first), but the chain is walked all the same. */
static ALWAYS_INLINE void *one_bucket_impl(const hmap *m, const void *key, int kind,
                                           const void **kout)
{
    for (uint8_t *b = m->buckets; b; b = overflow_of(m, b)) {
        th_group g = th_load(b);
        /* The live slots before the first emptyRest, in slot order. */
        for (slotmask c = th_live(g) & slot_before(th_rest(g)); slot_any(c); c = slot_next(c)) {
            unsigned i = slot_first(c);
            if (!eq_k(m, key, key_of_k(m, b, i, kind), kind)) continue;
            if (kout) *kout = key_of_k(m, b, i, kind);
            return val_of_k(m, b, i, kind);
        }
    }
    return NULL;
}
/* Out of line for the integer kinds, so that their hashed path, which
 * calls nothing, saves no registers for this loop (it is entered by a tail
 * jump): 7 % fewer instructions per u64 hit.  The string path calls the
 * hash and memcmp and saves registers anyway; there the loop stays inline
 * (out of line it cost a small string map 4 % more). */
#define DEFINE_ONE_BUCKET(name, kind)                                                              \
    static __attribute__((noinline)) void *name(const hmap *m, const void *key, const void **kout) \
    {                                                                                              \
        return one_bucket_impl(m, key, kind, kout);                                                \
    }
DEFINE_ONE_BUCKET(one_bucket_u64, HMAP_KIND_U64)
DEFINE_ONE_BUCKET(one_bucket_u32, HMAP_KIND_U32)
static ALWAYS_INLINE void *one_bucket_lookup(const hmap *m, const void *key, int kind,
                                             const void **kout)
{
    switch (kind) {
    case HMAP_KIND_U64:
        return one_bucket_u64(m, key, kout);
    case HMAP_KIND_U32:
        return one_bucket_u32(m, key, kout);
    default:
        return one_bucket_impl(m, key, kind, kout);
    }
}

/* mapaccess on a map that is not NULL: find key; returns the value slot
 * and, in *kout, the stored key.  Lookups never write and never advance
 * growth.  The flags are read once: for the hashWriting check and for
 * whether a growth runs (a reader cannot see either change under it
 * without a race, which the check is there to catch). */
static ALWAYS_INLINE void *lookup_impl(const hmap *m, const void *key, int kind, bool check,
                                       const void **kout)
{
    if (m->count == 0) return NULL;
    uint8_t f = flags_load(m);
    if (check && UNLIKELY(f & F_HASH_WRITING)) hmap_fatal("concurrent map read and map write");
    if (kind != HMAP_KIND_GENERIC && m->B == 0 && m->count == 1 && !(f & F_GROWING))
        return one_bucket_lookup(m, key, kind, kout);
    uint64_t hash = hash_k(m, key, kind);
    uint8_t top = tophash(hash);
    /* count > 0: the array exists, so the chain has a first bucket. */
    uint8_t *b = chain_for(m, hash, f);
    for (;;) {
        th_group g = th_load(b);
        unsigned i = find_in_bucket(m, b, g, top, key, kind);
        if (i < BUCKET_CNT) {
            if (kout) *kout = key_of_k(m, b, i, kind);
            return val_of_k(m, b, i, kind);
        }
        /* An emptyRest slot means nothing follows in this chain. */
        if (slot_any(th_rest(g))) return NULL;
        b = overflow_of(m, b);
        if (b == NULL) return NULL;
    }
}

/* One lookup function per key kind, chosen by hmap_get from m->kind: each
 * is a leaf compiled for its kind alone (constant key size and compare, no
 * registers saved for the other kinds' code), entered by a tail jump. */
#define DEFINE_GET(name, kind)                                                                     \
    static __attribute__((noinline)) void *name(const hmap *m, const void *key)                    \
    {                                                                                              \
        return lookup_impl(m, key, kind, true, NULL);                                              \
    }
DEFINE_GET(lookup_u64, HMAP_KIND_U64)
DEFINE_GET(lookup_u32, HMAP_KIND_U32)
DEFINE_GET(lookup_str, HMAP_KIND_STR)
DEFINE_GET(lookup_generic, HMAP_KIND_GENERIC)

HMAP_API void *hmap_get(const hmap *m, const void *key)
{
    if (m == NULL) return NULL;
    switch (m->kind) {
    case HMAP_KIND_U64:
        return lookup_u64(m, key);
    case HMAP_KIND_U32:
        return lookup_u32(m, key);
    case HMAP_KIND_STR:
        return lookup_str(m, key);
    default:
        return lookup_generic(m, key);
    }
}

/* mapaccessK for iterators: no hashWriting check (Go's iterator does its
 * own), returns the current key and value of an entry seen stale. */
bool hmap__lookup_kv(hmap *m, const void *key, const void **k, void **v)
{
    switch (m->kind) {
    case HMAP_KIND_U64:
        *v = lookup_impl(m, key, HMAP_KIND_U64, false, k);
        break;
    case HMAP_KIND_U32:
        *v = lookup_impl(m, key, HMAP_KIND_U32, false, k);
        break;
    case HMAP_KIND_STR:
        *v = lookup_impl(m, key, HMAP_KIND_STR, false, k);
        break;
    default:
        *v = lookup_impl(m, key, HMAP_KIND_GENERIC, false, k);
    }
    return *v != NULL;
}

/* Store key and value into a free slot; objects for indirect key/value were
 * allocated by the caller (kobj/vobj), so nothing here can fail. */
static ALWAYS_INLINE void fill_slot(hmap *m, uint8_t *b, unsigned i, const void *key,
                                    const void *val, void *kobj, void *vobj, int kind)
{
    uint8_t *ks = slot_key_k(m, b, i, kind), *vs = slot_val_k(m, b, i, kind);
    if (kind == HMAP_KIND_GENERIC && has_indirect_key(m)) {
        memcpy(ks, &kobj, sizeof kobj);
        ks = kobj;
    }
    copy_slot(ks, key, key_size_k(m, kind));
    if (has_indirect_val(m)) {
        memcpy(vs, &vobj, sizeof vobj);
        vs = vobj;
    }
    /* Empty slots' value bytes are zero (Go's invariant), so a NULL value
     * needs no write. */
    if (val) copy_slot(vs, val, val_size_of(m));
}

/* ---- mapassign, step by step (docs/go-map-model.md §6.2) ---------------- */

/* key and val may point into this map (a value from hmap_get, a key from an
 * iterator), and the growth work of this assign may scrub or free that
 * memory: each is copied to the caller's buffer first.  Indirect objects
 * survive evacuation and are not copied. */
static ALWAYS_INLINE const void *stable_key(const hmap *m, const void *key, uint64_t *kbuf,
                                            int kind)
{
    /* Keeps: the returned key stays readable however the map changes. */
    if (has_indirect_key(m)) return key;
    copy_slot(kbuf, key, key_size_k(m, kind));
    return kbuf;
}

static ALWAYS_INLINE const void *stable_val(const hmap *m, const void *val, uint64_t *vbuf)
{
    /* Keeps: the returned value (NULL: the zero value) stays readable. */
    if (val == NULL || has_indirect_val(m)) return val;
    copy_slot(vbuf, val, val_size_of(m));
    return vbuf;
}

/* §6.2 step 4: a map made without a hint has no array until its first
 * assign (B stays 0). */
static ALWAYS_INLINE int ensure_buckets(hmap *m)
{
    /* Keeps: on success m->buckets is non-NULL; on -ENOMEM nothing changed. */
    if (LIKELY(m->buckets != NULL)) return 0;
    uint8_t *next_ovf;
    uint64_t nalloc;
    return hmap__make_bucket_array(m, 0, &m->buckets, &next_ovf, &nalloc) < 0 ? -ENOMEM : 0;
}

/* §6.2 step 5, §8.2: the chain of `hash` in the current array, with the
 * old bucket it draws from evacuated first (growWork), so that the walk
 * below sees every entry of the key's chain in one place. */
static ALWAYS_INLINE int chain_for_write(hmap *m, uint64_t hash, int kind, uint8_t **head)
{
    /* Keeps: on success no entry of this chain is left in an unevacuated old bucket. */
    uint64_t bucket = hash & bucket_mask(m->B);
    uint8_t *b = bucket_at(m, m->buckets, bucket);
    /* For fixed-size keys, the second line only: as in delete_writing. */
    if (kind == HMAP_KIND_STR)
        prefetch_bucket(m, b);
    else
        __builtin_prefetch(b + 64);
    if (UNLIKELY(growing(m)) && hmap__grow_work(m, bucket) < 0) return -ENOMEM;
    *head = b;
    return 0;
}

/* Where the chain walk ended: the key's slot, or else the insertion point. */
typedef struct assign_pos {
    uint8_t *b;    /* found: the key's bucket; else the last bucket walked */
    unsigned i;    /* found: the key's slot */
    uint8_t *insb; /* not found: bucket of the chain's first empty slot, NULL if full */
    unsigned insi; /* not found: that slot */
} assign_pos;

/* §6.2 step 6.  Returns whether the key is present.  The insertion point is
 * the first empty slot (emptyOne or emptyRest) of the whole chain, not the
 * first one after the last live entry: Go reuses the earliest tombstone. */
static ALWAYS_INLINE bool find_key_or_free_slot(const hmap *m, uint8_t *b, uint8_t top,
                                                const void *key, int kind, assign_pos *pos)
{
    /* Keeps: the walk stops at the first emptyRest, past which no key lives. */
    uint8_t *insb = NULL;
    unsigned insi = 0;
    for (;;) {
        th_group g = th_load(b);
        unsigned i = find_in_bucket(m, b, g, top, key, kind);
        if (i < BUCKET_CNT) {
            pos->b = b;
            pos->i = i;
            return true;
        }
        slotmask empty = th_empty(g);
        if (slot_any(empty) && insb == NULL) {
            insb = b;
            insi = slot_first(empty);
        }
        if (slot_any(th_rest(g))) break;
        uint8_t *ovf = overflow_of(m, b);
        if (ovf == NULL) break;
        b = ovf;
    }
    pos->b = b;
    pos->insb = insb;
    pos->insi = insi;
    return false;
}

/* §6.3: the Go growth trigger, asked only for a new key. */
static ALWAYS_INLINE bool new_key_starts_growth(const hmap *m)
{
    /* Keeps: no second growth starts while one runs (Go's !h.growing()). */
    return !growing(m) &&
           (over_load_factor(m->count + 1, m->B) || too_many_overflow_buckets(m->noverflow, m->B));
}

/* §6.2 step 6, key present: overwrite the value, and the stored key if the
 * type asks for key update (e.g. +0.0 replacing -0.0). */
static ALWAYS_INLINE void update_in_place(hmap *m, uint8_t *b, unsigned i, const void *key,
                                          const void *val, int kind)
{
    /* Keeps: count, tophash and growth state untouched; no tophash event. */
    if (m->props & P_KEY_UPDATE) copy_slot(key_of_k(m, b, i, kind), key, key_size_k(m, kind));
    void *v = val_of_k(m, b, i, kind);
    if (val)
        copy_slot(v, val, val_size_of(m));
    else
        zero_slot(v, val_size_of(m));
}

/* Frees what alloc_indirect_objects obtained, when a later step fails. */
static ALWAYS_INLINE void free_indirect_objects(hmap *m, void *kobj, void *vobj)
{
    /* Keeps: the objects were never reachable from the map. */
    if (kobj) hmap__indirect_unused(m, kobj);
    if (vobj) hmap__indirect_unused(m, vobj);
}

/* §6.2 step 9: the out-of-line objects of keys/values over 128 bytes. */
static ALWAYS_INLINE int alloc_indirect_objects(hmap *m, void **kobj, void **vobj)
{
    /* Keeps: on -ENOMEM nothing stays allocated and the map is unchanged. */
    *kobj = NULL;
    *vobj = NULL;
    if (UNLIKELY(has_indirect_key(m)) && hmap__indirect_alloc(m, BLK_INDIRECT_KEY, kobj) < 0)
        return -ENOMEM;
    if (UNLIKELY(has_indirect_val(m)) && hmap__indirect_alloc(m, BLK_INDIRECT_VAL, vobj) < 0) {
        free_indirect_objects(m, *kobj, NULL);
        return -ENOMEM;
    }
    return 0;
}

/* §6.2 step 8, §5.3: a full chain gets an overflow bucket behind its last
 * bucket, and the insert takes its slot 0.  The reserve is taken before the
 * link so that a failure leaves the chain as it was. */
static ALWAYS_INLINE int take_overflow_slot(hmap *m, assign_pos *pos)
{
    /* Keeps: the bucket is linked only once it is certain to be obtained. */
    ovf_reserve r = {0};
    if (hmap__ovf_reserve_take(m, &r, 1) < 0) return -ENOMEM;
    pos->insb = hmap__newoverflow(m, pos->b, &r);
    pos->insi = 0;
    hmap__ovf_reserve_drop(m, &r);
    return 0;
}

/* §6.2 step 9: key and value go in before the tophash, so the slot is
 * complete when the insert event (a tracer reading the slot) announces it. */
static ALWAYS_INLINE void write_new_slot(hmap *m, uint8_t *b, unsigned i, uint8_t top,
                                         const void *key, const void *val, void *kobj, void *vobj,
                                         int kind, bool traced)
{
    /* Keeps: a tophash turns live only over a complete key and value. */
    fill_slot(m, b, i, key, val, kobj, vobj, kind);
    th_write_if(m, b, i, top, HMAP_TH_INSERT, traced);
    m->count++;
}

/* §6.2 steps 8–9 for a new key: everything that can fail (indirect
 * objects, then the overflow bucket) is obtained before the first change. */
static ALWAYS_INLINE int insert_new_key(hmap *m, assign_pos *pos, uint8_t top, const void *key,
                                        const void *val, int kind, bool traced)
{
    /* Keeps: -ENOMEM leaves every entry, chain and counter as it was. */
    void *kobj, *vobj;
    if (alloc_indirect_objects(m, &kobj, &vobj) < 0) return -ENOMEM;
    if (pos->insb == NULL && take_overflow_slot(m, pos) < 0) {
        free_indirect_objects(m, kobj, vobj);
        return -ENOMEM;
    }
    write_new_slot(m, pos->insb, pos->insi, top, key, val, kobj, vobj, kind, traced);
    return 0;
}

/* §6.2 steps 4–9, run with hashWriting set.  A growth started for a new
 * key moves the key's chain, so the search runs again in the new array
 * (with the growWork for its new bucket); the trigger cannot fire twice,
 * since a growth is then running. */
static ALWAYS_INLINE int assign_writing(hmap *m, const void *key, const void *val, uint64_t hash,
                                        int kind, bool traced)
{
    /* Keeps: -ENOMEM from any step leaves every entry as it was. */
    if (ensure_buckets(m) < 0) return -ENOMEM;
    uint8_t top = tophash(hash);
    assign_pos pos;
    for (;;) {
        uint8_t *head;
        if (chain_for_write(m, hash, kind, &head) < 0) return -ENOMEM;
        if (find_key_or_free_slot(m, head, top, key, kind, &pos)) {
            update_in_place(m, pos.b, pos.i, key, val, kind);
            return 0;
        }
        if (!new_key_starts_growth(m)) break;
        if (hmap__hash_grow(m) < 0) return -ENOMEM;
    }
    return insert_new_key(m, &pos, top, key, val, kind, traced);
}

/* mapassign (§6.2): check, snapshot the operands, hash, then the steps
 * above inside the hashWriting bracket (§10.1). */
static ALWAYS_INLINE int assign_impl(hmap *m, const void *key, const void *val, int kind)
{
    if (UNLIKELY(flags_load(m) & F_HASH_WRITING)) hmap_fatal("concurrent map writes");
    uint64_t kbuf[MAX_KEY_SIZE / 8], vbuf[MAX_ELEM_SIZE / 8];
    key = stable_key(m, key, kbuf, kind);
    val = stable_val(m, val, vbuf);
    uint64_t hash = hash_k(m, key, kind);
    /* One probe gate per operation (write_begin): the steps are compiled
     * twice, with and without their probe sites (docs/probes.md). */
    bool traced = write_begin(m);
    reclaim_before_write(m);
    int err = UNLIKELY(traced) ? assign_writing(m, key, val, hash, kind, true)
                               : assign_writing(m, key, val, hash, kind, false);
    write_end(m);
    return err;
}

/* One assign function per key kind, as for lookups (DEFINE_GET). */
#define DEFINE_SET(name, kind)                                                                     \
    static __attribute__((noinline)) int name(hmap *m, const void *key, const void *val)           \
    {                                                                                              \
        return assign_impl(m, key, val, kind);                                                     \
    }
DEFINE_SET(assign_u64, HMAP_KIND_U64)
DEFINE_SET(assign_u32, HMAP_KIND_U32)
DEFINE_SET(assign_str, HMAP_KIND_STR)
DEFINE_SET(assign_generic, HMAP_KIND_GENERIC)

HMAP_API int hmap_set(hmap *m, const void *key, const void *val)
{
    if (m == NULL) return -EINVAL; /* Go panics: "assignment to entry in nil map" */
    switch (m->kind) {
    case HMAP_KIND_U64:
        return assign_u64(m, key, val);
    case HMAP_KIND_U32:
        return assign_u32(m, key, val);
    case HMAP_KIND_STR:
        return assign_str(m, key, val);
    default:
        return assign_generic(m, key, val);
    }
}

/* Clear what a deleted slot held, as Go's variant for this kind does.
 * `quick` (a constant): the map has P_QUICK_DELETE. */
static ALWAYS_INLINE void clear_slot(hmap *m, uint8_t *b, unsigned i, int kind, bool quick)
{
    uint8_t *ks = slot_key_k(m, b, i, kind), *vs = slot_val_k(m, b, i, kind);
    if (quick) { /* zero_slot without its memset call, which would need a stack frame */
        if (kind == HMAP_KIND_STR) memset(ks, 0, sizeof(const char *));
        if (m->valslot == 8)
            memset(vs, 0, 8);
        else if (m->valslot == 16)
            memset(vs, 0, 16);
        else
            memset(vs, 0, 4);
        return;
    }
    if (kind == HMAP_KIND_GENERIC && has_indirect_key(m)) {
        hmap__blk_release(m, key_of(m, b, i), HMAP_OBJ_DELETE);
        memset(ks, 0, sizeof(void *));
    } else if (kind == HMAP_KIND_STR) {
        memset(ks, 0, sizeof(const char *)); /* faststr: the pointer, not the length */
    } else if (kind == HMAP_KIND_GENERIC && is_pointerful(m)) {
        memset(ks, 0, key_size_of(m));
    }
    if (has_indirect_val(m)) {
        hmap__blk_release(m, val_of(m, b, i), HMAP_OBJ_DELETE);
        memset(vs, 0, sizeof(void *));
    } else {
        zero_slot(vs, val_size_of(m));
    }
}

/* Go's tombstone update after a delete (docs/go-map-model.md §7): slot i
 * of bucket b (in the chain starting at head) becomes emptyOne; if every
 * later slot of the chain is empty, it and the emptyOne slots just before it
 * become emptyRest, across buckets of the chain if need be.  Written slot by
 * slot as Go's loop does, each write a tophash_write event when traced. */
static ALWAYS_INLINE void mark_deleted_loop(hmap *m, uint8_t *head, uint8_t *b, unsigned i,
                                            bool traced)
{
    th_write_if(m, b, i, EMPTY_ONE, HMAP_TH_DELETE, traced);
    if (i == BUCKET_CNT - 1) {
        uint8_t *ovf = overflow_of(m, b);
        if (ovf && ovf[0] != EMPTY_REST) return;
    } else if (b[i + 1] != EMPTY_REST) {
        return;
    }
    for (;;) {
        th_write_if(m, b, i, EMPTY_REST, HMAP_TH_EMPTY_REST, traced);
        if (i == 0) {
            if (b == head) return;
            uint8_t *c = b;
            for (b = head; overflow_of(m, b) != c; b = overflow_of(m, b))
                ;
            i = BUCKET_CNT - 1;
        } else {
            i--;
        }
        if (b[i] != EMPTY_ONE) return;
    }
}

/* The same result with no branch on the bucket's bytes.  The bucket was
 * just read from memory, and a branch on a random slot's bytes
 * mispredicts: each mispredict waited for that read and threw away the
 * look-ahead into the next operation (docs/benchmarks.md, "Deletes").  The
 * run of emptyOne slots ending at i is found on the tophash word and folded
 * in one store. */
static ALWAYS_INLINE void mark_deleted(hmap *m, uint8_t *head, uint8_t *b, unsigned i)
{
    unsigned sh = 8 * i;
    uint64_t w = tophash_word(b);
    w = (w & ~(0xffull << sh)) | ((uint64_t)EMPTY_ONE << sh);
    bool rest_after;
    if (UNLIKELY(i == BUCKET_CNT - 1)) {
        uint8_t *ovf = overflow_of(m, b);
        rest_after = !ovf || ovf[0] == EMPTY_REST;
    } else {
        rest_after = (uint8_t)(w >> (sh + 8)) == EMPTY_REST;
    }
    /* notone: the high bit of each byte 0..i that is not emptyOne.  The run
     * starts at the byte above the highest of them, or at byte 0; shifted
     * up one bit (never out: they are below byte i) with a 1 under them,
     * clz finds the run's first bit. */
    uint64_t upto = ~0ull >> (56 - sh);
    uint64_t notone = ~swar_zero_bytes(w ^ BYTES_01) & BYTES_80 & upto;
    unsigned lowbit = 63u - (unsigned)__builtin_clzll((notone << 1) | 1);
    uint64_t below = (1ull << lowbit) - 1;
    /* A mask, not `if`: gcc would branch on rest_after. */
    uint64_t run = upto & ~below & (0 - (uint64_t)rest_after);
    w &= ~run; /* EMPTY_REST is 0 */
    memcpy(b, &w, 8);
    /* The run reached slot 0 of an overflow bucket: go on in the bucket
     * before it, as Go's loop does.  (mark_deleted_loop's walk, written out
     * again: sharing one function made this path's 4 M-entry deletes 5 %
     * slower, docs/benchmarks.md, "Deletes".) */
    if (UNLIKELY(b != head) && rest_after && lowbit == 0) {
        uint8_t *c = b;
        for (b = head; overflow_of(m, b) != c; b = overflow_of(m, b))
            ;
        for (i = BUCKET_CNT - 1; b[i] == EMPTY_ONE; i--) {
            b[i] = EMPTY_REST;
            if (i == 0) {
                if (b == head) return;
                c = b;
                for (b = head; overflow_of(m, b) != c; b = overflow_of(m, b))
                    ;
                i = BUCKET_CNT;
            }
        }
    }
}

/* mapdelete.  A delete, even of an absent key, drives growth (§7.3).  If
 * that growth step cannot get memory, the key is deleted where it still
 * lives (its unevacuated old chain): the map stays valid and correct.
 * `quick` (a constant) is the common case, which the caller has checked: no
 * growth in progress, nobody tracing, P_QUICK_DELETE; there the caller also
 * owns the reseed of an emptied map. */
static ALWAYS_INLINE bool delete_writing(hmap *m, const void *key, uint64_t hash, int kind,
                                         bool traced, bool quick)
{
    bool found = false;

    uint64_t bucket = hash & bucket_mask(m->B);
    uint8_t *b = bucket_at(m, m->buckets, bucket);
    /* The common path asks for less than the whole bucket: the overflow
     * pointer's line only when the chain goes on, and for string keys not
     * even the second line; each line asked for holds a fill buffer the
     * next deletes' misses need (measured: docs/benchmarks.md, "Deletes"). */
    if (!quick)
        prefetch_bucket(m, b);
    else if (kind != HMAP_KIND_STR)
        __builtin_prefetch(b + 64);
    bool in_old = false;
    if (!quick && UNLIKELY(growing(m)) && hmap__grow_work(m, bucket) < 0) {
        /* Out of memory for the evacuation: the key is where lookups would
         * find it, its old chain if that is still unevacuated. */
        uint8_t *ob = bucket_at(m, oldbuckets_of(m), hash & oldbucketmask(m));
        if (!evacuated(ob)) {
            b = ob;
            in_old = true;
        }
    }
    uint8_t *head = b;
    uint8_t top = tophash(hash);
    for (; b; b = overflow_of(m, b)) {
        th_group g = th_load(b);
        unsigned i = find_in_bucket(m, b, g, top, key, kind);
        if (i < BUCKET_CNT) {
            uint8_t *db = b; /* the bucket that lost the entry */
            clear_slot(m, b, i, kind, quick);
            /* Untraced, fixed-size keys fold without branches; string keys
             * keep Go's loop, which measured faster for them
             * (docs/benchmarks.md, "Deletes"). */
            if (traced || kind == HMAP_KIND_STR)
                mark_deleted_loop(m, head, b, i, traced);
            else
                mark_deleted(m, head, b, i);
            if (!quick && m->reclaim != HMAP_RECLAIM_GO && !in_old)
                hmap__reclaim_after_delete(m, head, db);
            m->count--;
            /* No live entry remains anywhere: a new seed is safe (Go #25237). */
            if (!quick && m->count == 0) hmap__map_reseed(m);
            found = true;
            goto done;
        }
        if (slot_any(th_rest(g))) break;
    }
done:
    /* Any delete may start a shrink, as any delete drives a growth. */
    if (!quick && m->reclaim == HMAP_RECLAIM_SHRINK) hmap__maybe_shrink(m);
    return found;
}

/* A delete that is not the common case: growth in progress, a map without
 * P_QUICK_DELETE, a tracer listening, or a writer already in the map.
 * `begun`: the caller has done write_begin's store and found the gate up (a
 * tracer), and left the rest to this. */
static ALWAYS_INLINE bool delete_rest(hmap *m, const void *key, uint64_t hash, int kind, bool begun)
{
    uint64_t kbuf[MAX_KEY_SIZE / 8];
    key = stable_key(m, key, kbuf, kind); /* it may point into the map: Go's range-delete */
    bool traced = true;
    if (begun)
        write_begin_dump(m);
    else
        traced = write_begin(m);
    reclaim_before_write(m);
    bool found = UNLIKELY(traced) ? delete_writing(m, key, hash, kind, true, false)
                                  : delete_writing(m, key, hash, kind, false, false);
    write_end(m);
    return found;
}

/* The delete that emptied the map in the common case: the reseed, then the
 * end of the write. */
static __attribute__((noinline)) bool delete_emptied(hmap *m)
{
    hmap__map_reseed(m);
    write_end(m);
    return true;
}

/* Every path but the common one leaves by a tail call (`rest`, the kind's
 * delete_rest; delete_emptied), so that the common one needs no stack frame
 * and few registers, and its tests are folded: one flags test for a writer
 * or a growth.  A delete at 4 M entries waits for its bucket's cache line,
 * and the fewer instructions each delete holds in the out-of-order window,
 * the more deletes ask for their lines at once (docs/benchmarks.md,
 * "Deletes"). */
static ALWAYS_INLINE bool delete_impl(hmap *m, const void *key, int kind,
                                      bool (*rest)(hmap *, const void *, uint64_t, bool))
{
    if (m == NULL || m->count == 0) return false;
    const void *caller_key = key;
    uint64_t kbuf[MAX_KEY_SIZE / 8];
    key = stable_key(m, key, kbuf, kind); /* it may point into the map: Go's range-delete */
    uint64_t hash = hash_k(m, key, kind);
    uint8_t f = flags_load(m);
    if (UNLIKELY(f & (F_HASH_WRITING | F_GROWING)) || UNLIKELY(!(m->props & P_QUICK_DELETE)))
        return rest(m, caller_key, hash, false);
    /* write_begin's half of the state-dump handshake: the store, then the
     * gate (internal.h), written out on the flags read above: a shared
     * helper measured 5 % slower on this path (docs/benchmarks.md,
     * "Deletes"). */
    flags_store(m, f ^ F_HASH_WRITING);
#if HMAP_PROBES_ANY
    atomic_signal_fence(memory_order_seq_cst);
    if (UNLIKELY(gate_up(&HMAP_TP_GATE(tophash_write)))) return rest(m, caller_key, hash, true);
#endif
    bool found = delete_writing(m, key, hash, kind, false, true);
    if (found && UNLIKELY(m->count == 0)) return delete_emptied(m);
    write_end(m);
    return found;
}

/* One delete function per key kind, as for lookups (DEFINE_GET). */
#define DEFINE_DELETE(name, kind)                                                                  \
    static __attribute__((noinline)) bool name##_rest(hmap *m, const void *key, uint64_t hash,     \
                                                      bool begun)                                  \
    {                                                                                              \
        return delete_rest(m, key, hash, kind, begun);                                             \
    }                                                                                              \
    static __attribute__((noinline)) bool name(hmap *m, const void *key)                           \
    {                                                                                              \
        return delete_impl(m, key, kind, name##_rest);                                             \
    }
DEFINE_DELETE(delete_u64, HMAP_KIND_U64)
DEFINE_DELETE(delete_u32, HMAP_KIND_U32)
DEFINE_DELETE(delete_str, HMAP_KIND_STR)
DEFINE_DELETE(delete_generic, HMAP_KIND_GENERIC)

HMAP_API bool hmap_delete(hmap *m, const void *key)
{
    if (m == NULL) return false;
    switch (m->kind) {
    case HMAP_KIND_U64:
        return delete_u64(m, key);
    case HMAP_KIND_U32:
        return delete_u32(m, key);
    case HMAP_KIND_STR:
        return delete_str(m, key);
    default:
        return delete_generic(m, key);
    }
}
