/* SPDX-License-Identifier: MIT */
/*
 * internal.h — the map's private layout, shared by the libmap/src files and
 * by white-box tests.  Names follow the Go runtime (runtime/map.go) so that
 * docs/go-map-model.md can be read side by side with this code.
 */
#ifndef HMAP_INTERNAL_H
#define HMAP_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hmap.h"
#include "hmap_probes.h"
#include "hash_inline.h"

#define HMAP_API __attribute__((visibility("default")))
#define ALWAYS_INLINE inline __attribute__((always_inline))
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
/* Per-thread state of the library (seeds, the registry's entry cache, the
 * iterator counter, the block cache): initial-exec, so that each access is one
 * %fs-relative load.  The default model of a shared library calls
 * __tls_get_addr on every access, which cost a small map's life more than
 * its seed (docs/libhmap.md, "Small maps").  Keep what uses it small: it
 * comes out of the static TLS that glibc reserves for libraries loaded
 * after start (dlopen). */
#define HMAP_TLS __thread __attribute__((tls_model("initial-exec")))

/* ---- Constants (docs/go-map-model.md §1) ------------------------------------ */
#define BUCKET_CNT_BITS 3
#define BUCKET_CNT 8
#define LOAD_FACTOR_NUM 13
#define LOAD_FACTOR_DEN 2
#define MAX_KEY_SIZE 128
#define MAX_ELEM_SIZE 128
#define DATA_OFFSET 8
#define EVAC_SCAN_LIMIT 1024 /* extra buckets advanceEvacuationMark may skip */

/* Tophash values: the schema's enum hmap_tophash (hmap_events.h) is their
 * one definition, so the bytes the map writes and the names a trace reader
 * gives them cannot disagree.  Go's names, for reading the code beside Go's. */
#define EMPTY_REST HMAP_TOPHASH_EMPTY_REST
#define EMPTY_ONE HMAP_TOPHASH_EMPTY_ONE
#define EVACUATED_X HMAP_TOPHASH_EVACUATED_X
#define EVACUATED_Y HMAP_TOPHASH_EVACUATED_Y
#define EVACUATED_EMPTY HMAP_TOPHASH_EVACUATED_EMPTY
#define MIN_TOP_HASH HMAP_TOPHASH_MIN_LIVE

/* Flag bits of hmap.flags. */
#define F_ITERATOR 1
#define F_OLD_ITERATOR 2
#define F_HASH_WRITING 4
#define F_SAME_SIZE_GROW 8
#define F_SHRINK 16 /* not Go's: the growth in progress halves the array (SHRINK) */
/* Not Go's either, and never shown (stats, state_begin show F_SHOWN): */
#define F_GROWING 32 /* Go's oldbuckets != NULL; the old array is ext->old_rec->arr */
/* Bits 6-7: the kind of the last growth that finished (LAST_*), which is
 * what nevacuate reads as once no growth runs (the old bucket count). */
#define F_LAST_SHIFT 6
#define F_LAST_MASK (3u << F_LAST_SHIFT)
#define F_SHOWN 31
enum { LAST_NONE, LAST_DOUBLE, LAST_SAME, LAST_SHRINK };

/* Separately allocated keys and values (> 128 bytes, docs/go-map-model.md
 * §1) carry this 16-byte header in front, so that an object an iterator
 * may still read can be "retired" (kept alive) without allocating anything:
 * freeing must never fail.  Bucket memory has no header: its size follows
 * from B and the bucket size, and what retiring it needs lives elsewhere
 * (struct old_array below, the retired overflow list). */
typedef struct blk {
    struct blk *next_retired;
    uint32_t size;  /* bytes after the header */
    uint8_t kind;   /* BLK_INDIRECT_* */
    uint8_t reason; /* hmap_obj_reason when retired */
    uint16_t unused;
} blk;
#define BLK_HDR ((size_t)sizeof(blk))
_Static_assert(sizeof(blk) == 16, "object header is 16 bytes");

/* Object kinds: BLK_INDIRECT + the schema's indirect_kind.  Bucket memory
 * is announced with the schema's mem_kind (HMAP_MEM_ARRAY/OVERFLOW). */
enum {
    BLK_INDIRECT = 8,
    BLK_INDIRECT_KEY = BLK_INDIRECT + HMAP_INDIRECT_KEY,
    BLK_INDIRECT_VAL = BLK_INDIRECT + HMAP_INDIRECT_VALUE,
};

/* The old array of a growth: allocated when the growth starts (when a
 * failure can still be reported), it describes the array to free when the
 * growth ends, and, if an iterator is live then, becomes the array's entry
 * in the retired list, freed with its chains when the last iterator stops
 * (docs/go-map-model.md §10.4).  So releasing an array never allocates. */
typedef struct old_array {
    struct old_array *next; /* retired list */
    uint8_t *arr;
    uint64_t nbuckets; /* head buckets (chains to walk) */
    uint64_t nalloc;   /* buckets in the block, preallocated tail included */
    uint8_t reason;    /* hmap_free_reason once retired */
} old_array;

/* ---- The map header ------------------------------------------------------ */

/* hmap.props: what the type makes of the map, fixed at creation. */
#define P_INDIRECT_KEY 1 /* the key slot holds a pointer to the key (> 128 bytes) */
#define P_INDIRECT_VAL 2
#define P_POINTERFUL 4 /* Go's pointerful bucket kind */
#define P_REFLEXIVE 8  /* every key equals itself (not HMAP_TYPE_NONREFLEXIVE) */
#define P_KEY_UPDATE 16
#define P_FIXED_SEED 32 /* hmap_options.seed given: reseeds are reproducible */
/* A delete takes the common path (access.c, delete_impl): the GO policy,
 * keys and values in their slots, no pointerful generic key to clear, and a
 * value slot of 4, 8 or 16 bytes. */
#define P_QUICK_DELETE 64

/* What only some maps need, out of line (docs/libhmap.md, "Memory"): the
 * type descriptor of maps whose type the header cannot describe (indirect
 * keys or values, a hash or equality function), a custom allocator, a name. */
struct hmap_cold {
    hmap_type type;
    hmap_allocator alloc;
    char name[32];
};

/* The rest of Go's bookkeeping, allocated when the map first needs it (as
 * Go allocates mapextra): a preallocated overflow tail (B >= 4), a growth,
 * an overflow bucket from the allocator, a reclaim policy other than GO, or
 * a cold part.  Once allocated it stays until hmap_free. */
struct hmap_ext {
    uint64_t nalloc;        /* buckets of the current array, tail included */
    uint64_t nevacuate;     /* old buckets below this index are evacuated */
    old_array *old_rec;     /* describes oldbuckets while growing, else NULL */
    uint8_t *next_overflow; /* next unused preallocated overflow bucket, or NULL */
    /* EAGER/SHRINK only: preallocated buckets given back by unlinks, linked
     * through their overflow word, handed out before next_overflow. */
    uint8_t *free_overflow;
    /* Memory kept for live iterators (alloc.c). */
    _Atomic(blk *) retired;              /* indirect objects */
    _Atomic(old_array *) retired_arrays; /* old arrays with their chains */
    /* Overflow buckets released by a clear while an iterator was live,
     * linked through their overflow word (all their slots are emptyRest:
     * an iterator standing on one walks on through empty buckets). */
    _Atomic(uint8_t *) retired_ovf;
    struct hmap_cold *cold; /* NULL: built-in type shape, default allocator, no name */
    uint32_t nfree_overflow;
    bool sweep_owed; /* an unlink waited for iterators: next write sweeps */
    uint8_t min_B;   /* SHRINK never goes below the B the hint asked for */
};

/* The header: what every operation reads, nothing else. */
struct hmap {
    uint64_t count;        /* live entries; len(m) */
    _Atomic uint8_t flags; /* F_*; readers OR iterator bits in concurrently */
    uint8_t B;             /* log2 of buckets in the current array */
    uint16_t noverflow;    /* approximate overflow buckets of the current array */
    /* A tracer asked for this map's state (statedump.c): the next writer
     * dumps it before its first change, unless the dumper did it first. */
    _Atomic uint8_t dump_pending;
    uint8_t kind;         /* hmap_key_kind: selects the fast path */
    uint8_t props;        /* P_* */
    uint8_t reclaim;      /* hmap_reclaim */
    uint8_t *buckets;     /* 2^B buckets (+ preallocated tail); NULL until first insert */
    struct hmap_ext *ext; /* NULL until needed; holds the old array while growing */
    /* Per-map hash seed, 32 bits as Go's hash0; the hash keys are derived
     * from it (hash_inline.h). */
    uint32_t seed;
    uint32_t reg_slot;           /* the map's entry in the registry (statedump.c) */
    uint16_t bucketsize;         /* DATA_OFFSET + 8*keyslot + 8*valslot + 8 (<= 2064) */
    uint8_t keyslot, valslot;    /* bytes per key / value slot (8 if indirect) */
    _Atomic uint32_t live_iters; /* iterators between init and their end */
};
/* Go's hmap is 48 bytes: so is this one (docs/libhmap.md, "Memory"). */
_Static_assert(sizeof(struct hmap) == 48, "the map header is Go's size");

static ALWAYS_INLINE bool has_indirect_key(const hmap *m)
{
    return m->props & P_INDIRECT_KEY;
}
static ALWAYS_INLINE bool has_indirect_val(const hmap *m)
{
    return m->props & P_INDIRECT_VAL;
}
static ALWAYS_INLINE bool is_pointerful(const hmap *m)
{
    return m->props & P_POINTERFUL;
}
static ALWAYS_INLINE bool is_reflexive(const hmap *m)
{
    return m->props & P_REFLEXIVE;
}
static ALWAYS_INLINE const struct hmap_cold *cold_of(const hmap *m)
{
    return m->ext ? m->ext->cold : NULL;
}
/* Key and value sizes: the slot size unless stored indirectly (then the
 * type is in the cold part). */
static ALWAYS_INLINE uint32_t key_size_of(const hmap *m)
{
    return has_indirect_key(m) ? m->ext->cold->type.key_size : m->keyslot;
}
static ALWAYS_INLINE uint32_t val_size_of(const hmap *m)
{
    return has_indirect_val(m) ? m->ext->cold->type.val_size : m->valslot;
}
extern const hmap_allocator hmap_default_allocator;
static ALWAYS_INLINE const hmap_allocator *alloc_of(const hmap *m)
{
    const struct hmap_cold *c = cold_of(m);
    return c ? &c->alloc : &hmap_default_allocator;
}
/* Buckets in the current array's block: 2^B until the map has a tail
 * (B >= 4), which lives in ext. */
static ALWAYS_INLINE uint64_t map_nalloc(const hmap *m)
{
    return m->ext ? m->ext->nalloc : (uint64_t)1 << m->B;
}
static ALWAYS_INLINE bool growing(const hmap *m)
{
    return (atomic_load_explicit(&m->flags, memory_order_relaxed) & F_GROWING) != 0;
}
/* Go's h.oldbuckets. */
static ALWAYS_INLINE uint8_t *oldbuckets_of(const hmap *m)
{
    return growing(m) ? m->ext->old_rec->arr : NULL;
}
static ALWAYS_INLINE uint64_t map_old_nalloc(const hmap *m)
{
    return growing(m) ? m->ext->old_rec->nalloc : 0;
}
/* Go's h.nevacuate: the mark while growing; after a growth, the old bucket
 * count it ended at; 0 before any growth and after a clear. */
static ALWAYS_INLINE uint64_t map_nevacuate(const hmap *m)
{
    uint8_t f = atomic_load_explicit(&m->flags, memory_order_relaxed);
    if (f & F_GROWING) return m->ext->nevacuate;
    switch ((f & F_LAST_MASK) >> F_LAST_SHIFT) {
    case LAST_DOUBLE:
        return (uint64_t)1 << (m->B - 1);
    case LAST_SAME:
        return (uint64_t)1 << m->B;
    case LAST_SHRINK:
        return (uint64_t)1 << (m->B + 1);
    default:
        return 0;
    }
}
static ALWAYS_INLINE uint8_t *map_next_overflow(const hmap *m)
{
    return m->ext ? m->ext->next_overflow : NULL;
}

/* ---- Small helpers ------------------------------------------------------- */

static ALWAYS_INLINE uint64_t bucket_shift(uint8_t B)
{
    return (uint64_t)1 << B;
}
static ALWAYS_INLINE uint64_t bucket_mask(uint8_t B)
{
    return bucket_shift(B) - 1;
}
static ALWAYS_INLINE bool is_empty(uint8_t th)
{
    return th <= EMPTY_ONE;
}

static ALWAYS_INLINE uint8_t tophash(uint64_t hash)
{
    uint8_t top = (uint8_t)(hash >> 56);
    if (top < MIN_TOP_HASH) top += MIN_TOP_HASH;
    return top;
}

static ALWAYS_INLINE uint8_t *bucket_at(const hmap *m, uint8_t *arr, uint64_t i)
{
    return arr + i * m->bucketsize;
}
static ALWAYS_INLINE uint8_t *slot_key(const hmap *m, uint8_t *b, unsigned i)
{
    return b + DATA_OFFSET + (size_t)i * m->keyslot;
}
static ALWAYS_INLINE uint8_t *slot_val(const hmap *m, uint8_t *b, unsigned i)
{
    return b + DATA_OFFSET + (size_t)BUCKET_CNT * m->keyslot + (size_t)i * m->valslot;
}
static ALWAYS_INLINE uint8_t *overflow_of(const hmap *m, const uint8_t *b)
{
    uint8_t *o;
    memcpy(&o, b + m->bucketsize - sizeof(void *), sizeof o);
    return o;
}
static ALWAYS_INLINE void set_overflow(const hmap *m, uint8_t *b, uint8_t *o)
{
    memcpy(b + m->bucketsize - sizeof(void *), &o, sizeof o);
}
/* The key stored in slot i (follows the pointer for indirect keys). */
static ALWAYS_INLINE void *key_of(const hmap *m, uint8_t *b, unsigned i)
{
    uint8_t *k = slot_key(m, b, i), *obj;
    if (!has_indirect_key(m)) return k;
    memcpy(&obj, k, sizeof obj); /* the slot holds a pointer to the key */
    return obj;
}
static ALWAYS_INLINE void *val_of(const hmap *m, uint8_t *b, unsigned i)
{
    uint8_t *v = slot_val(m, b, i), *obj;
    if (!has_indirect_val(m)) return v;
    memcpy(&obj, v, sizeof obj);
    return obj;
}

/* A bucket spans up to three cache lines (144 bytes for u64->u64): ask for
 * all of them at once instead of taking one miss after another.  Measured
 * ~15 % off lookups and deletes at 10^6 entries. */
static ALWAYS_INLINE void prefetch_bucket(const hmap *m, const uint8_t *b)
{
    __builtin_prefetch(b + 64);
    __builtin_prefetch(b + m->bucketsize - 1);
}

/* A bucket is evacuated when its first tophash is a mark (2..4). */
static ALWAYS_INLINE bool evacuated(const uint8_t *b)
{
    uint8_t h = b[0];
    return h > EMPTY_ONE && h < MIN_TOP_HASH;
}

static ALWAYS_INLINE bool same_size_grow(const hmap *m)
{
    return (atomic_load_explicit(&m->flags, memory_order_relaxed) & F_SAME_SIZE_GROW) != 0;
}
static ALWAYS_INLINE bool shrinking(const hmap *m)
{
    return (atomic_load_explicit(&m->flags, memory_order_relaxed) & F_SHRINK) != 0;
}
/* Number of buckets of the old array: half (doubling), the same, or twice
 * (shrink) the current count. */
static ALWAYS_INLINE uint64_t noldbuckets(const hmap *m)
{
    uint8_t f = atomic_load_explicit(&m->flags, memory_order_relaxed);
    if (f & F_SAME_SIZE_GROW) return bucket_shift(m->B);
    if (f & F_SHRINK) return bucket_shift(m->B + 1);
    return bucket_shift(m->B - 1);
}
static ALWAYS_INLINE uint64_t oldbucketmask(const hmap *m)
{
    return noldbuckets(m) - 1;
}

/* overLoadFactor: more than 8 entries and above 6.5 per bucket. */
static ALWAYS_INLINE bool over_load_factor(uint64_t count, uint8_t B)
{
    return count > BUCKET_CNT &&
           count > (uint64_t)LOAD_FACTOR_NUM * (bucket_shift(B) / LOAD_FACTOR_DEN);
}
/* tooManyOverflowBuckets: roughly as many overflow buckets as buckets. */
static ALWAYS_INLINE bool too_many_overflow_buckets(uint16_t noverflow, uint8_t B)
{
    if (B > 15) B = 15;
    return noverflow >= (uint16_t)(1u << (B & 15));
}

/* ---- Slot masks ---------------------------------------------------------
 *
 * The 8 tophash bytes of a bucket are read at once and compared as a group;
 * the answer is a slot mask, one bit per slot, exact: a bit is set if and
 * only if that slot's byte satisfies the test (no false positives, so no
 * caller re-checks a byte).  The hot paths then visit only candidate slots
 * (slot_first / slot_next) instead of branching on every byte, which
 * mispredicts on random keys.
 *
 * Two implementations with the same meaning: SSE2 (one compare and a
 * movemask; bit i is slot i) on x86-64, and SWAR on a 64-bit word elsewhere
 * (bit 8i+7 is slot i).  -DHMAP_SWAR_SLOTS selects SWAR on x86-64 too, so
 * the fallback is built and tested there (tests/unit/test_slots.c).  Code
 * outside these helpers never looks at the bit positions: it asks
 * slot_first, slot_next, slot_count and slot_any.
 *
 * Go semantics: Go's loops stop a bucket at its first emptyRest slot.  A
 * match mask can only have bits before it, since emptyRest (0) never equals
 * a tophash (>= MIN_TOP_HASH) and emptyRest slots form a suffix of the chain
 * (docs/go-map-model.md §7); the first empty slot (an insertion point) is
 * at or before the first emptyRest by definition. */
#define BYTES_01 0x0101010101010101ull
#define BYTES_7F 0x7f7f7f7f7f7f7f7full
#define BYTES_80 0x8080808080808080ull
/* The 8 tophash bytes as one little-endian word: byte i is slot i. */
static ALWAYS_INLINE uint64_t tophash_word(const uint8_t *b)
{
    uint64_t w;
    memcpy(&w, b, 8);
    return w;
}

/* High bit of each byte of x that is zero, exactly.  (x & 0x7f) + 0x7f
 * sets a byte's high bit iff its low 7 bits are nonzero and never carries
 * into the next byte (0x7f + 0x7f = 0xfe); or-ing x adds the byte's own
 * high bit.  (The shorter (x - 0x01..) & ~x & 0x80.. is exact only for the
 * lowest zero byte: a borrow can flag a 0x01 byte above it.) */
static ALWAYS_INLINE uint64_t swar_zero_bytes(uint64_t x)
{
    return ~(((x & BYTES_7F) + BYTES_7F) | x) & BYTES_80;
}
#if defined(__SSE2__) && !defined(HMAP_SWAR_SLOTS)
#include <emmintrin.h>
#define HMAP_SLOTS_IMPL "sse2"
typedef unsigned slotmask; /* bit i: slot i */
#define SLOTS_ALL 0xffu
typedef __m128i th_group; /* the 8 bytes in the low half, zeros above */
static ALWAYS_INLINE th_group th_load(const uint8_t *b)
{
    return _mm_loadl_epi64((const __m128i *)(const void *)b);
}
/* Slots whose byte equals v.  The upper 8 lanes hold zeros, hence & 0xff. */
static ALWAYS_INLINE slotmask th_match(th_group g, uint8_t v)
{
    /* v in every byte of the low half: a multiply and a move, where
     * _mm_set1_epi8 takes four shuffles on plain SSE2. */
    __m128i p = _mm_cvtsi64_si128((long long)(BYTES_01 * v));
    return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(g, p)) & 0xffu;
}
/* Slots that are empty (emptyRest or emptyOne, bytes 0 and 1): a byte is
 * <= 1 exactly when subtracting 1 with unsigned saturation gives 0. */
static ALWAYS_INLINE slotmask th_empty(th_group g)
{
    __m128i d = _mm_subs_epu8(g, _mm_set1_epi8(1));
    return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(d, _mm_setzero_si128())) & 0xffu;
}
/* Slots holding an entry (tophash >= MIN_TOP_HASH): not empty and not an
 * evacuation mark; a byte is <= 4 exactly when subtracting 4 with unsigned
 * saturation gives 0. */
static ALWAYS_INLINE slotmask th_live(th_group g)
{
    __m128i d = _mm_subs_epu8(g, _mm_set1_epi8(MIN_TOP_HASH - 1));
    return ~(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(d, _mm_setzero_si128())) & 0xffu;
}
static ALWAYS_INLINE unsigned slot_first(slotmask s)
{
    return (unsigned)__builtin_ctz(s);
}
#else
#define HMAP_SLOTS_IMPL "swar"
typedef uint64_t slotmask; /* bit 8i+7: slot i */
#define SLOTS_ALL BYTES_80
typedef uint64_t th_group;
static ALWAYS_INLINE th_group th_load(const uint8_t *b)
{
    return tophash_word(b);
}
static ALWAYS_INLINE slotmask th_match(th_group g, uint8_t v)
{
    return swar_zero_bytes(g ^ (BYTES_01 * v));
}
/* Bytes 0 and 1 are those that are zero once bit 0 is cleared. */
static ALWAYS_INLINE slotmask th_empty(th_group g)
{
    return swar_zero_bytes(g & ~BYTES_01);
}
/* Bytes >= 5: (x | 0x80) - 5 never borrows across bytes (each byte is at
 * least 0x80) and keeps the high bit iff the low 7 bits are >= 5; or-ing x
 * adds the bytes that are >= 0x80 anyway. */
static ALWAYS_INLINE slotmask th_live(th_group g)
{
    return (((g | BYTES_80) - BYTES_01 * MIN_TOP_HASH) | g) & BYTES_80;
}
static ALWAYS_INLINE unsigned slot_first(slotmask s)
{
    return (unsigned)__builtin_ctzll(s) >> 3;
}
#endif
/* Slots that are emptyRest. */
static ALWAYS_INLINE slotmask th_rest(th_group g)
{
    return th_match(g, EMPTY_REST);
}
static ALWAYS_INLINE bool slot_any(slotmask s)
{
    return s != 0;
}
/* s without its lowest slot. */
static ALWAYS_INLINE slotmask slot_next(slotmask s)
{
    return s & (s - 1);
}
/* The slots before the lowest slot of s (every slot if s is empty): with
 * th_rest, the part of a bucket Go's loops scan before they stop.  The
 * result may have bits that name no slot: AND it with a slot mask (or
 * SLOTS_ALL) before iterating. */
static ALWAYS_INLINE slotmask slot_before(slotmask s)
{
    return (s & (0 - s)) - 1;
}
static ALWAYS_INLINE unsigned slot_count(slotmask s)
{
    return (unsigned)__builtin_popcountll((unsigned long long)s);
}
/* Bucket forms, for callers that ask one question of a bucket. */
static ALWAYS_INLINE slotmask tophash_match_mask(const uint8_t *b, uint8_t top)
{
    return th_match(th_load(b), top);
}
static ALWAYS_INLINE slotmask empty_mask(const uint8_t *b)
{
    return th_empty(th_load(b));
}
static ALWAYS_INLINE slotmask rest_mask(const uint8_t *b)
{
    return th_rest(th_load(b));
}

/* Equality of n <= 16 bytes without a call: two overlapping loads per side
 * (Go's faststr compares short strings in registers too). */
static ALWAYS_INLINE bool short_bytes_equal(const char *a, const char *b, size_t n)
{
    if (n >= 8)
        return hash_rd64((const uint8_t *)a) == hash_rd64((const uint8_t *)b) &&
               hash_rd64((const uint8_t *)a + n - 8) == hash_rd64((const uint8_t *)b + n - 8);
    if (n >= 4)
        return hash_rd32((const uint8_t *)a) == hash_rd32((const uint8_t *)b) &&
               hash_rd32((const uint8_t *)a + n - 4) == hash_rd32((const uint8_t *)b + n - 4);
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i]) return false;
    return true;
}

/* Go string equality as faststr does it: the length first, then the same
 * pointer, then the bytes.  Up to 16 bytes are compared in registers; a
 * longer key is screened by its first and last 8 bytes (faststr: 4) before
 * memcmp looks at the middle, so a different key of the same length rarely
 * costs a call. */
static ALWAYS_INLINE bool str_equal(const hmap_str *x, const hmap_str *y)
{
    size_t n = x->len;
    if (n != y->len) return false;
    if (x->ptr == y->ptr) return true;
    if (n <= 16) return short_bytes_equal(x->ptr, y->ptr, n);
    const uint8_t *a = (const uint8_t *)x->ptr, *b = (const uint8_t *)y->ptr;
    if (hash_rd64(a) != hash_rd64(b) || hash_rd64(a + n - 8) != hash_rd64(b + n - 8)) return false;
    return memcmp(a + 8, b + 8, n - 16) == 0;
}

/* Hash and equality of a key by kind.  With a constant kind (the fast
 * paths) the switch folds away; key_hash/key_equal dispatch at run time. */
static ALWAYS_INLINE uint64_t hash_k(const hmap *m, const void *key, int kind)
{
    switch (kind) {
    case HMAP_KIND_U32: {
        uint32_t v;
        memcpy(&v, key, 4);
        return hash_u64_derived(v, HASH_KEY0(m->seed), HASH_KEY1(m->seed));
    }
    case HMAP_KIND_U64: {
        uint64_t v;
        memcpy(&v, key, 8);
        return hash_u64_derived(v, HASH_KEY0(m->seed), HASH_KEY1(m->seed));
    }
    case HMAP_KIND_STR: {
        const hmap_str *s = key;
        return hash_bytes_seeded(s->ptr, s->len, m->seed);
    }
    default: {
        const struct hmap_cold *c = cold_of(m);
        if (c && c->type.hash) return c->type.hash(key, m->seed);
        return hash_bytes_seeded(key, key_size_of(m), m->seed);
    }
    }
}

static ALWAYS_INLINE bool eq_k(const hmap *m, const void *a, const void *b, int kind)
{
    switch (kind) {
    case HMAP_KIND_U32:
        return memcmp(a, b, 4) == 0;
    case HMAP_KIND_U64:
        return memcmp(a, b, 8) == 0;
    case HMAP_KIND_STR:
        return str_equal(a, b);
    default: {
        const struct hmap_cold *c = cold_of(m);
        if (c && c->type.equal) return c->type.equal(a, b);
        return memcmp(a, b, key_size_of(m)) == 0;
    }
    }
}

static ALWAYS_INLINE uint64_t key_hash(const hmap *m, const void *key)
{
    return hash_k(m, key, m->kind);
}
static ALWAYS_INLINE bool key_equal(const hmap *m, const void *a, const void *b)
{
    return eq_k(m, a, b, m->kind);
}

/* Every tophash change goes through here so that the probe sees it. */
static ALWAYS_INLINE void th_write(hmap *m, uint8_t *b, unsigned i, uint8_t v, uint8_t cause)
{
    HMAP_TP(tophash_write, m, b, (uint8_t)i, b[i], v, cause);
    b[i] = v;
}
/* The same in an operation instantiated with (traced) or without its probe
 * sites: `traced` is a constant there, what write_begin returned. */
static ALWAYS_INLINE void th_write_if(hmap *m, uint8_t *b, unsigned i, uint8_t v, uint8_t cause,
                                      bool traced)
{
    if (traced) HMAP_TP(tophash_write, m, b, (uint8_t)i, b[i], v, cause);
    b[i] = v;
}

/* Flag helpers.  Go toggles hashWriting with a plain XOR so that two racing
 * writers are likely to notice each other; relaxed atomics keep that
 * behaviour without making the race undefined in C. */
static ALWAYS_INLINE uint8_t flags_load(const hmap *m)
{
    return atomic_load_explicit(&m->flags, memory_order_relaxed);
}
static ALWAYS_INLINE void flags_store(hmap *m, uint8_t f)
{
    atomic_store_explicit(&m->flags, f, memory_order_relaxed);
}

/* ---- Cross-file functions ---------------------------------------------- */

_Noreturn void hmap_fatal(const char *msg);

/* Writers: check hashWriting, then toggle it (XOR, as Go), after hashing;
 * at the end check it is still set and clear it. */
void hmap__statedump_self(hmap *m);
#if HMAP_PROBES_ANY
/* Is a gate word nonzero?  On x86-64 one compare with memory whose flag is
 * the branch condition (cmp + jcc, one fused micro-op); a plain load, test
 * and branch elsewhere. */
static ALWAYS_INLINE bool gate_up(volatile union hmap_tp_gate *g)
{
#if defined(__x86_64__) && defined(__GCC_ASM_FLAG_OUTPUTS__)
    bool nz;
    __asm__ volatile("cmpl $0, %1" : "=@ccnz"(nz) : "m"(g->any));
    return nz;
#else
    return __atomic_load_n(&g->any, __ATOMIC_ACQUIRE) != 0;
#endif
}
#endif

/* Returns whether the operation must run its probe sites: the one gate
 * check of a write (docs/probes.md, "Idle cost").  The word read is
 * tophash_write's gate, the event of every write's hot path; the sites of
 * rarer events (growth, overflow buckets, frees) keep their own gates.
 * While a state dump is pending anywhere the dumper holds a bit of that
 * gate up (HMAP_GATE_DUMP), so the load is also the writer's half of the
 * state-dump handshake (statedump.c): the store of hashWriting above, then
 * this load, in program order; the dumper's membarrier() supplies the
 * fence both sides need.  A pending dump is done here, before the write
 * changes anything. */
static ALWAYS_INLINE bool write_begin_gate(hmap *m)
{
    uint8_t f = flags_load(m);
    if (UNLIKELY(f & F_HASH_WRITING)) hmap_fatal("concurrent map writes");
    flags_store(m, f ^ F_HASH_WRITING);
#if HMAP_PROBES_ANY
    atomic_signal_fence(memory_order_seq_cst);
    return gate_up(&HMAP_TP_GATE(tophash_write));
#else
    return false;
#endif
}
/* The rest of write_begin, for a caller that took write_begin_gate's
 * answer (true) to a path of its own. */
static ALWAYS_INLINE void write_begin_dump(hmap *m)
{
    if (UNLIKELY(atomic_load_explicit(&m->dump_pending, memory_order_acquire)))
        hmap__statedump_self(m);
}
static ALWAYS_INLINE bool write_begin(hmap *m)
{
    if (LIKELY(!write_begin_gate(m))) return false;
    write_begin_dump(m);
    return true;
}
static ALWAYS_INLINE void write_end(hmap *m)
{
    uint8_t f = flags_load(m);
    if (UNLIKELY(!(f & F_HASH_WRITING))) hmap_fatal("concurrent map writes");
    /* Release: a dumper that sees hashWriting clear sees the whole write. */
    atomic_store_explicit(&m->flags, f & ~F_HASH_WRITING, memory_order_release);
}

/* memcpy with the common slot sizes spelled out, so that the compiler emits
 * one or two moves instead of a libc call for 4-, 8- and 16-byte slots. */
static ALWAYS_INLINE void copy_slot(void *dst, const void *src, size_t n)
{
    switch (n) {
    case 4:
        memcpy(dst, src, 4);
        break;
    case 8:
        memcpy(dst, src, 8);
        break;
    case 16:
        memcpy(dst, src, 16);
        break;
    default:
        memcpy(dst, src, n);
    }
}
static ALWAYS_INLINE void zero_slot(void *dst, size_t n)
{
    switch (n) {
    case 4:
        memset(dst, 0, 4);
        break;
    case 8:
        memset(dst, 0, 8);
        break;
    case 16:
        memset(dst, 0, 16);
        break;
    default:
        memset(dst, 0, n);
    }
}

/* Cross-file internals: hidden in libhmap.so, made local in libhmap.a
 * (libmap/CMakeLists.txt), and named hmap__* so that even an object file
 * of the library cannot clash with a program's own names. */
#pragma GCC visibility push(hidden)

/* seed.c */
void hmap__set_seed(hmap *m, uint64_t seed);
int hmap__fresh_seed(uint64_t *out);
void hmap__map_reseed(hmap *m);
uint64_t hmap__map_rand(hmap *m);

/* types.c */
int hmap__type_check(const hmap_type *t);

/* alloc.c: bucket memory (no header; the caller says the size) */
void *hmap__bucket_alloc(hmap *m, size_t size);
/* Free bucket memory that was never published (an unused reserve): no event. */
void hmap__bucket_free_now(hmap *m, void *p, size_t size);
/* Free published bucket memory now (bucket_free); only when no iterator
 * can reach it. */
void hmap__bucket_free(hmap *m, void *p, size_t size, uint8_t kind, uint8_t reason);
/* An overflow bucket dropped by a clear: freed now, or retired while an
 * iterator is live. */
void hmap__overflow_release(hmap *m, uint8_t *b, uint8_t reason);
/* The growth's old array (m->old_rec) is no longer the map's: free it with
 * its chains now, or retire it while an iterator is live. */
void hmap__old_array_release(hmap *m, uint8_t reason);
int hmap__old_record_alloc(hmap *m, old_array **out);
void hmap__old_record_free(hmap *m, old_array *r);
void hmap__retired_flush(hmap *m);
/* Indirect objects (with a header): */
void *hmap__blk_alloc(hmap *m, size_t size, uint8_t kind);
/* Free now, or retire until no iterator can reach the object. */
void hmap__blk_release(hmap *m, void *p, uint8_t reason);
int hmap__indirect_alloc(hmap *m, uint8_t kind, void **out);
/* Give back an indirect object that an insert obtained but did not use. */
void hmap__indirect_unused(hmap *m, void *p);

/* statedump.c: the registry of live maps, and who a map is (map_create and
 * map_info, at creation and in every state dump): the creation site, the
 * type name and the hint live in the map's registry entry. */
int hmap__registry_add(hmap *m, const void *site, const char *type_name, uint64_t hint);
void hmap__registry_publish(hmap *m);
void hmap__identity(const hmap *m, const void **site, const char **type_name, uint32_t *hint);
void hmap__registry_remove(hmap *m);
void hmap__tp_identity(hmap *m);
/* The same, only when a tracer listens to either event: finding who the
 * map is costs more than the idle gates. */
static ALWAYS_INLINE void hmap__tp_identity_if_listening(hmap *m)
{
    if (UNLIKELY(HMAP_TP_LISTENING(map_create) || HMAP_TP_LISTENING(map_info)))
        hmap__tp_identity(m);
}

/* map.c: allocate ext on first need (-1: out of memory, nothing changed);
 * what the map holds in all (hmap_stats.bytes_allocated). */
int hmap__ensure_ext(hmap *m);
void hmap__ext_trim(hmap *m);
uint64_t hmap__bytes_held(const hmap *m);

/* bucket_array.c */
int hmap__make_bucket_array(hmap *m, uint8_t B, uint8_t **out, uint8_t **next_ovf,
                            uint64_t *nalloc);
void hmap__reset_bucket_array(hmap *m);
/* A reserve of overflow buckets taken before a change that must not fail
 * half-way (evacuation, insert). */
typedef struct ovf_reserve {
    uint8_t *fresh; /* allocator blocks, linked through their overflow word */
    uint64_t nfresh;
} ovf_reserve;
uint64_t hmap__prealloc_remaining(const hmap *m);
int hmap__ovf_reserve_take(hmap *m, ovf_reserve *r, uint64_t needed);
void hmap__ovf_reserve_drop(hmap *m, ovf_reserve *r);
uint8_t *hmap__newoverflow(hmap *m, uint8_t *b, ovf_reserve *r);
void hmap__incr_noverflow(hmap *m);
/* p lies inside the bucket array arr of nalloc buckets (a preallocated
 * overflow bucket), not in a block of its own.  Inline: the white-box tests
 * use it too, and libhmap exports nothing but its API. */
static ALWAYS_INLINE bool in_block(const uint8_t *p, const uint8_t *arr, uint64_t nalloc,
                                   uint32_t bucketsize)
{
    return arr && p >= arr && p < arr + nalloc * bucketsize;
}

/* reclaim.c (EAGER/SHRINK) */
void hmap__reclaim_after_delete(hmap *m, uint8_t *head, uint8_t *b);
void hmap__reclaim_owed_sweep(hmap *m);
static ALWAYS_INLINE void reclaim_before_write(hmap *m)
{
    if (UNLIKELY(m->reclaim != HMAP_RECLAIM_GO) && m->ext->sweep_owed) hmap__reclaim_owed_sweep(m);
}

/* shrink.c (SHRINK) */
void hmap__maybe_shrink(hmap *m);
int hmap__shrink_evacuate(hmap *m, uint64_t oldbucket, uint8_t *b);

/* evacuate.c */
int hmap__start_growth(hmap *m, uint8_t newB, uint8_t kind);

/* grow.c */
int hmap__hash_grow(hmap *m);
int hmap__grow_work(hmap *m, uint64_t bucket);
int hmap__evacuate(hmap *m, uint64_t oldbucket);

/* access.c (used by iteration for stale slots) */
bool hmap__lookup_kv(hmap *m, const void *key, const void **k, void **v);

/* clear.c / map.c: release every bucket block of the map (destroy) */
void hmap__free_chains(hmap *m, uint8_t *arr, uint64_t nbuckets, uint64_t nalloc, uint8_t reason);

#pragma GCC visibility pop

#endif /* HMAP_INTERNAL_H */
