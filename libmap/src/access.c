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

/* Slot of bucket b (tophash word w) holding key, or -1.  Candidates come
 * from the SWAR match; each is confirmed by its tophash byte (the match can
 * report a false positive above a true one) and by key equality. */
static ALWAYS_INLINE int find_in_bucket(const hmap *m, uint8_t *b, uint64_t w, uint8_t top,
                                        const void *key, int kind)
{
    for (uint64_t hits = bytes_equal(w, top); hits; hits &= hits - 1) {
        unsigned i = first_byte(hits);
        if (b[i] == top && eq_k(m, key, key_of(m, b, i), kind)) return (int)i;
    }
    return -1;
}

/* The chain that holds `hash` right now: the new bucket, or the old one
 * while it has not been evacuated. */
static ALWAYS_INLINE uint8_t *chain_for(const hmap *m, uint64_t hash)
{
    uint64_t mask = bucket_mask(m->B);
    uint8_t *b = bucket_at(m, m->buckets, hash & mask);
    prefetch_bucket(m, b);
    if (UNLIKELY(m->oldbuckets != NULL)) {
        uint8_t *ob = bucket_at(m, m->oldbuckets, hash & oldbucketmask(m));
        if (!evacuated(ob)) b = ob;
    }
    return b;
}

/* mapaccess: find key; returns the value slot and, in *kout, the stored key.
 * Lookups never write and never advance growth. */
static ALWAYS_INLINE void *lookup_impl(const hmap *m, const void *key, int kind, bool check,
                                       const void **kout)
{
    if (m == NULL || m->count == 0) return NULL;
    if (check && UNLIKELY(flags_load(m) & F_HASH_WRITING))
        hmap_fatal("concurrent map read and map write");
    uint64_t hash = hash_k(m, key, kind);
    uint8_t top = tophash(hash);
    for (uint8_t *b = chain_for(m, hash); b; b = overflow_of(m, b)) {
        uint64_t w = tophash_word(b);
        int i = find_in_bucket(m, b, w, top, key, kind);
        if (i >= 0) {
            if (kout) *kout = key_of(m, b, (unsigned)i);
            return val_of(m, b, (unsigned)i);
        }
        /* An emptyRest slot means nothing follows in this chain. */
        if (bytes_equal(w, EMPTY_REST)) return NULL;
    }
    return NULL;
}

HMAP_API void *hmap_get(const hmap *m, const void *key)
{
    if (m == NULL) return NULL;
    switch (m->type.kind) {
    case HMAP_KIND_U64:
        return lookup_impl(m, key, HMAP_KIND_U64, true, NULL);
    case HMAP_KIND_U32:
        return lookup_impl(m, key, HMAP_KIND_U32, true, NULL);
    case HMAP_KIND_STR:
        return lookup_impl(m, key, HMAP_KIND_STR, true, NULL);
    default:
        return lookup_impl(m, key, HMAP_KIND_GENERIC, true, NULL);
    }
}

/* mapaccessK for iterators: no hashWriting check (Go's iterator does its
 * own), returns the current key and value of an entry seen stale. */
bool hmap__lookup_kv(hmap *m, const void *key, const void **k, void **v)
{
    switch (m->type.kind) {
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
                                    const void *val, void *kobj, void *vobj)
{
    uint8_t *ks = slot_key(m, b, i), *vs = slot_val(m, b, i);
    if (m->indirect_key) {
        memcpy(ks, &kobj, sizeof kobj);
        ks = kobj;
    }
    copy_slot(ks, key, m->type.key_size);
    if (m->indirect_val) {
        memcpy(vs, &vobj, sizeof vobj);
        vs = vobj;
    }
    /* Empty slots' value bytes are zero (Go's invariant), so a NULL value
     * needs no write. */
    if (val) copy_slot(vs, val, m->type.val_size);
}

/* Key size as a constant for the fast kinds, so copies fold to moves. */
static ALWAYS_INLINE size_t key_size_k(const hmap *m, int kind)
{
    return kind == HMAP_KIND_U64   ? 8
           : kind == HMAP_KIND_U32 ? 4
           : kind == HMAP_KIND_STR ? sizeof(hmap_str)
                                   : m->type.key_size;
}

/* mapassign.  All memory the insert needs (a grown array, an overflow
 * bucket, indirect objects) is obtained before the first visible change, so
 * -ENOMEM leaves every entry exactly as it was. */
static ALWAYS_INLINE int assign_impl(hmap *m, const void *key, const void *val, int kind)
{
    if (UNLIKELY(flags_load(m) & F_HASH_WRITING)) hmap_fatal("concurrent map writes");
    /* key or val may point into this map (a value from hmap_get, a key from
     * an iterator); the growth work below may scrub or free that memory, so
     * read them first.  Indirect objects survive evacuation and are not
     * copied. */
    uint64_t kbuf[MAX_KEY_SIZE / 8], vbuf[MAX_ELEM_SIZE / 8];
    if (!m->indirect_key) {
        copy_slot(kbuf, key, key_size_k(m, kind));
        key = kbuf;
    }
    if (val && !m->indirect_val) {
        copy_slot(vbuf, val, m->type.val_size);
        val = vbuf;
    }
    uint64_t hash = hash_k(m, key, kind);
    write_begin(m);
    reclaim_before_write(m);
    int err = 0;

    if (UNLIKELY(m->buckets == NULL) &&
        hmap__make_bucket_array(m, 0, &m->buckets, &m->next_overflow, &m->nalloc) < 0) {
        err = -ENOMEM;
        goto done;
    }
    uint8_t top = tophash(hash);
again:;
    uint64_t bucket = hash & bucket_mask(m->B);
    uint8_t *b = bucket_at(m, m->buckets, bucket);
    prefetch_bucket(m, b);
    if (UNLIKELY(growing(m)) && hmap__grow_work(m, bucket) < 0) {
        err = -ENOMEM;
        goto done;
    }
    uint8_t *insb = NULL;
    unsigned insi = 0;
    for (;;) {
        uint64_t w = tophash_word(b);
        int i = find_in_bucket(m, b, w, top, key, kind);
        if (i >= 0) {
            /* Present: update in place; no growth check. */
            if (m->type.flags & HMAP_TYPE_KEY_UPDATE)
                copy_slot(key_of(m, b, (unsigned)i), key, m->type.key_size);
            void *v = val_of(m, b, (unsigned)i);
            if (val)
                copy_slot(v, val, m->type.val_size);
            else
                zero_slot(v, m->type.val_size);
            goto done;
        }
        /* Remember the first empty slot of the chain (tombstone or
         * emptyRest); an emptyRest ends the chain. */
        uint64_t empty = bytes_empty(w);
        if (empty && insb == NULL) {
            insb = b;
            insi = first_byte(empty);
        }
        if (bytes_equal(w, EMPTY_REST)) break;
        uint8_t *ovf = overflow_of(m, b);
        if (ovf == NULL) break;
        b = ovf;
    }

    /* A new key.  Grow only when no growth is running (§6.3). */
    if (!growing(m) &&
        (over_load_factor(m->count + 1, m->B) || too_many_overflow_buckets(m->noverflow, m->B))) {
        if (hmap__hash_grow(m) < 0) {
            err = -ENOMEM;
            goto done;
        }
        goto again;
    }

    void *kobj = NULL, *vobj = NULL;
    if (UNLIKELY(m->indirect_key) && hmap__indirect_alloc(m, m->type.key_size, &kobj) < 0) {
        err = -ENOMEM;
        goto done;
    }
    if (UNLIKELY(m->indirect_val) && hmap__indirect_alloc(m, m->type.val_size, &vobj) < 0) {
        if (kobj) hmap__blk_free_now(m, kobj);
        err = -ENOMEM;
        goto done;
    }
    if (insb == NULL) {
        /* Chain full: link an overflow bucket behind its last bucket. */
        ovf_reserve r = {0};
        if (hmap__ovf_reserve_take(m, &r, 1) < 0) {
            if (kobj) hmap__blk_free_now(m, kobj);
            if (vobj) hmap__blk_free_now(m, vobj);
            err = -ENOMEM;
            goto done;
        }
        insb = hmap__newoverflow(m, b, &r);
        insi = 0;
        hmap__ovf_reserve_drop(m, &r);
    }
    fill_slot(m, insb, insi, key, val, kobj, vobj);
    th_write(m, insb, insi, top, HMAP_TH_INSERT);
    m->count++;
done:
    write_end(m);
    return err;
}

HMAP_API int hmap_set(hmap *m, const void *key, const void *val)
{
    if (m == NULL) return -EINVAL; /* Go panics: "assignment to entry in nil map" */
    switch (m->type.kind) {
    case HMAP_KIND_U64:
        return assign_impl(m, key, val, HMAP_KIND_U64);
    case HMAP_KIND_U32:
        return assign_impl(m, key, val, HMAP_KIND_U32);
    case HMAP_KIND_STR:
        return assign_impl(m, key, val, HMAP_KIND_STR);
    default:
        return assign_impl(m, key, val, HMAP_KIND_GENERIC);
    }
}

/* Clear what a deleted slot held, as Go's variant for this kind does. */
static ALWAYS_INLINE void clear_slot(hmap *m, uint8_t *b, unsigned i, int kind)
{
    uint8_t *ks = slot_key(m, b, i), *vs = slot_val(m, b, i);
    if (m->indirect_key) {
        hmap__blk_release(m, key_of(m, b, i), 0);
        memset(ks, 0, sizeof(void *));
    } else if (kind == HMAP_KIND_STR) {
        memset(ks, 0, sizeof(const char *)); /* faststr: the pointer, not the length */
    } else if (kind == HMAP_KIND_GENERIC && m->pointerful) {
        memset(ks, 0, m->type.key_size);
    }
    if (m->indirect_val) {
        hmap__blk_release(m, val_of(m, b, i), 0);
        memset(vs, 0, sizeof(void *));
    } else {
        zero_slot(vs, m->type.val_size);
    }
}

/* mapdelete.  A delete, even of an absent key, drives growth (§7.3).  If
 * that growth step cannot get memory, the key is deleted where it still
 * lives (its unevacuated old chain): the map stays valid and correct. */
static ALWAYS_INLINE bool delete_impl(hmap *m, const void *key, int kind)
{
    if (m == NULL || m->count == 0) return false;
    if (UNLIKELY(flags_load(m) & F_HASH_WRITING)) hmap_fatal("concurrent map writes");
    /* As in assign: the key may point into the map (Go's range-delete). */
    uint64_t kbuf[MAX_KEY_SIZE / 8];
    if (!m->indirect_key) {
        copy_slot(kbuf, key, key_size_k(m, kind));
        key = kbuf;
    }
    uint64_t hash = hash_k(m, key, kind);
    write_begin(m);
    reclaim_before_write(m);
    bool found = false;

    uint64_t bucket = hash & bucket_mask(m->B);
    uint8_t *b = bucket_at(m, m->buckets, bucket);
    prefetch_bucket(m, b);
    bool in_old = false;
    if (UNLIKELY(growing(m)) && hmap__grow_work(m, bucket) < 0) {
        /* Out of memory for the evacuation: the key is where lookups would
         * find it, its old chain if that is still unevacuated. */
        uint8_t *ob = bucket_at(m, m->oldbuckets, hash & oldbucketmask(m));
        if (!evacuated(ob)) {
            b = ob;
            in_old = true;
        }
    }
    uint8_t *head = b;
    uint8_t top = tophash(hash);
    for (; b; b = overflow_of(m, b)) {
        uint64_t w = tophash_word(b);
        int found_at = find_in_bucket(m, b, w, top, key, kind);
        if (found_at >= 0) {
            unsigned i = (unsigned)found_at;
            uint8_t *db = b; /* the bucket that lost the entry */
            clear_slot(m, b, i, kind);
            th_write(m, b, i, EMPTY_ONE, HMAP_TH_DELETE);
            /* Fold the tombstone into emptyRest if every later slot of the
             * chain is empty, then walk backwards over emptyOne slots. */
            if (i == BUCKET_CNT - 1) {
                uint8_t *ovf = overflow_of(m, b);
                if (ovf && ovf[0] != EMPTY_REST) goto not_last;
            } else if (b[i + 1] != EMPTY_REST) {
                goto not_last;
            }
            for (;;) {
                th_write(m, b, i, EMPTY_REST, HMAP_TH_EMPTY_REST);
                if (i == 0) {
                    if (b == head) break;
                    uint8_t *c = b;
                    for (b = head; overflow_of(m, b) != c; b = overflow_of(m, b))
                        ;
                    i = BUCKET_CNT - 1;
                } else {
                    i--;
                }
                if (b[i] != EMPTY_ONE) break;
            }
        not_last:
            if (m->reclaim != HMAP_RECLAIM_GO && !in_old) hmap__reclaim_after_delete(m, head, db);
            m->count--;
            /* No live entry remains anywhere: a new seed is safe (Go #25237). */
            if (m->count == 0) hmap__map_reseed(m);
            found = true;
            goto done;
        }
        if (bytes_equal(w, EMPTY_REST)) break;
    }
done:
    /* Any delete may start a shrink, as any delete drives a growth. */
    if (m->reclaim == HMAP_RECLAIM_SHRINK) hmap__maybe_shrink(m);
    write_end(m);
    return found;
}

HMAP_API bool hmap_delete(hmap *m, const void *key)
{
    if (m == NULL) return false;
    switch (m->type.kind) {
    case HMAP_KIND_U64:
        return delete_impl(m, key, HMAP_KIND_U64);
    case HMAP_KIND_U32:
        return delete_impl(m, key, HMAP_KIND_U32);
    case HMAP_KIND_STR:
        return delete_impl(m, key, HMAP_KIND_STR);
    default:
        return delete_impl(m, key, HMAP_KIND_GENERIC);
    }
}
