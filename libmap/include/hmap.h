/* SPDX-License-Identifier: MIT */
/*
 * hmap.h — libhmap: the classic Go (1.19) runtime map, in C.
 *
 * Behaviour follows docs/go-map-model.md rule for rule: 8-slot
 * buckets with tophash bytes, overflow chains, incremental doubling and
 * same-size growth, Go's iteration guarantees and Go's misuse detection.
 * Every memory-relevant state change is a static tracepoint (see
 * schema/, libmap/probes/ and docs/).
 *
 * Thread safety is Go's: any number of concurrent readers (hmap_get,
 * iterators), or one writer and nothing else.  Violations are detected on a
 * best-effort basis and abort the process with Go's message, e.g.
 * "fatal error: concurrent map writes".
 */
#ifndef HMAP_H
#define HMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* HMAP_VERSION_STRING, _MAJOR, _MINOR, _PATCH (from the build's project version). */
#include "hmap_version.h"

typedef struct hmap hmap;

/* ---- Types -------------------------------------------------------------- */

/* Type flags. */
enum {
    /* Key or value holds pointers (Go's "pointerful" bucket kind): delete
     * zeroes the key too, and evacuation scrubs old buckets so that old
     * overflow chains are dropped as soon as they are evacuated. */
    HMAP_TYPE_POINTERFUL = 1u << 0,
    /* Some keys are not equal to themselves (like NaN): equal(k, k) may be
     * false.  Such keys can be inserted but never found again, as in Go. */
    HMAP_TYPE_NONREFLEXIVE = 1u << 1,
    /* Overwriting an existing key stores the new key bytes too (Go does this
     * for strings and floats). */
    HMAP_TYPE_KEY_UPDATE = 1u << 2,
};

/* Key kinds with a specialised fast path (Go's fast32/fast64/faststr).
 * HMAP_KIND_GENERIC uses the hash/equal functions of the type. */
typedef enum hmap_key_kind {
    HMAP_KIND_GENERIC = 0,
    HMAP_KIND_U32 = 1, /* 4-byte key compared as memory */
    HMAP_KIND_U64 = 2, /* 8-byte key compared as memory */
    HMAP_KIND_STR = 3, /* hmap_str key */
} hmap_key_kind;

/* Type descriptor.  Keys and values are copied into the map by value;
 * sizes above 128 bytes are stored indirectly (a pointer in the slot, the
 * bytes in a separate allocation), as in Go.  Alignments must be powers of
 * two no larger than 8 and sizes multiples of their alignment. */
typedef struct hmap_type {
    const char *name;   /* shown in traces, truncated to 23 bytes */
    uint32_t key_size;  /* bytes, > 0 */
    uint32_t key_align; /* 1, 2, 4 or 8 */
    uint32_t val_size;  /* bytes, may be 0 (a set) */
    uint32_t val_align; /* 1, 2, 4 or 8 */
    uint32_t flags;     /* HMAP_TYPE_* */
    hmap_key_kind kind; /* fast path; GENERIC unless the key is u32/u64/str */
    /* Hash of a key with a 64-bit seed.  NULL: hmap_hash_bytes over key_size
     * bytes (only valid when equal keys have equal bytes). */
    uint64_t (*hash)(const void *key, uint64_t seed);
    /* Key equality.  NULL: memcmp of key_size bytes. */
    bool (*equal)(const void *a, const void *b);
} hmap_type;

/* A string key, laid out like a Go string.  The map stores the pointer and
 * the length, never the bytes: the caller owns the bytes and must keep them
 * unchanged while the key is in the map.  Overwriting an existing key makes
 * the map hold the pointer passed most recently (Go's key update).  Delete
 * clears the stored pointer (not the length), as Go's faststr does. */
typedef struct hmap_str {
    const char *ptr;
    size_t len;
} hmap_str;

/* Built-in types (fast paths).  Copy one and change val_size/val_align to
 * use another value type with the same key kind. */
extern const hmap_type hmap_type_u32; /* uint32_t -> uint32_t */
extern const hmap_type hmap_type_u64; /* uint64_t -> uint64_t */
extern const hmap_type hmap_type_str; /* hmap_str -> uint64_t (pointerful) */

/* The keyed hash the built-in types use: strong against collision flooding
 * when the seed is secret.  Integers: wyhash-style 128-bit multiply mixing
 * (the family of Go's own fallback hash).  Byte strings: AES rounds on an
 * x86-64 CPU with AES-NI, as Go's runtime does, else (or with the
 * environment variable HMAP_HASH=portable) the multiply mixing; the choice
 * is made once per process, so values are stable within a process. */
uint64_t hmap_hash_bytes(const void *p, size_t n, uint64_t seed);
uint64_t hmap_hash_u64(uint64_t k, uint64_t seed);

/* ---- Creation options --------------------------------------------------- */

/* Allocator for all map memory (header, bucket arrays, overflow buckets,
 * indirect keys and values).  alloc must return zeroed memory aligned to
 * `align` (like calloc) or NULL; free receives the size given to alloc. */
typedef struct hmap_allocator {
    void *(*alloc)(void *ctx, size_t size, size_t align);
    void (*free)(void *ctx, void *p, size_t size);
    void *ctx;
} hmap_allocator;

typedef enum hmap_reclaim {
    HMAP_RECLAIM_GO = 0,     /* exactly Go 1.19: never frees on delete */
    HMAP_RECLAIM_EAGER = 1,  /* as GO, but overflow buckets emptied by deletes are freed */
    HMAP_RECLAIM_SHRINK = 2, /* EAGER + incremental shrink when the map gets sparse */
} hmap_reclaim;

typedef struct hmap_options {
    size_t hint;                     /* expected entries: picks B as Go's make(map, hint) */
    uint64_t seed;                   /* 0: random from getrandom(); else fixed (tests) */
    const hmap_allocator *allocator; /* NULL: malloc/free (>= 2 MiB: aligned, huge pages);
                                        copied, must outlive the map */
    hmap_reclaim reclaim;            /* unimplemented policies are refused (EINVAL) */
    const char *name; /* a label for this map in traces (map_info), copied, truncated to
                         31 bytes; NULL: none.  Never key or value bytes. */
} hmap_options;

/* ---- Operations --------------------------------------------------------- */

/* NULL on failure with errno EINVAL (bad type or options) or ENOMEM. */
hmap *hmap_new(const hmap_type *type, const hmap_options *opts);
/* Frees everything, including memory retained for unfinished iterators. */
void hmap_free(hmap *m);

/* Insert or overwrite.  val NULL stores a zero value.  Returns 0, or
 * -ENOMEM with the map's entries exactly as before the call (internal
 * growth progress may have advanced; no entry is lost or half-inserted). */
int hmap_set(hmap *m, const void *key, const void *val);
/* Pointer to the stored value, or NULL.  Valid until the next write. */
void *hmap_get(const hmap *m, const void *key);
/* True if the key was present.  Drives an in-progress growth as Go does. */
bool hmap_delete(hmap *m, const void *key);
size_t hmap_len(const hmap *m);
/* Go 1.21 clear(m): every entry goes, B stays, the array is reused. */
void hmap_clear(hmap *m);

/* ---- Iteration ---------------------------------------------------------- */

/* Go's range: random start, each entry present throughout is returned
 * exactly once, entries deleted before they are reached are not returned,
 * writes to the map between calls are allowed.  An iterator keeps retired
 * bucket memory alive: run it to the end (next returns false) or call
 * hmap_iter_stop when leaving early. */
typedef struct hmap_iter {
    /* Private.  The fields up to valbase are read by the inline part of
     * hmap_iter_next below, so their layout is part of the ABI
     * (docs/libhmap.md, "Iteration: the inline step"). */
    unsigned char *bptr;            /* current bucket, or NULL */
    const unsigned char *map_flags; /* the map's flags byte (bit 4: a write runs) */
    uint8_t i;                      /* slots of bptr visited, in rotated order (0..8) */
    uint8_t offset;                 /* slot rotation */
    uint8_t keyslot;                /* bytes per key slot: keys start at bptr + 8 */
    uint8_t valslot;                /* bytes per value slot: values start at bptr + valbase */
    uint8_t fast;                   /* bptr's live slots are current entries (see below) */
    uint8_t B;                      /* snapshot B */
    uint8_t wrapped;
    uint8_t active;      /* counted in the map's live iterators */
    uint8_t shrink_mode; /* started during a shrink (SHRINK policy) */
    uint8_t newB;
    uint16_t valbase; /* offset of value slot 0 in a bucket: 8 + 8 * keyslot */
    hmap *m;
    void *buckets;   /* snapshot array */
    uint64_t bucket; /* next bucket index */
    uint64_t startbucket;
    void *newbuckets; /* shrink_mode: the smaller array at start */
    uint64_t checkbucket;
} hmap_iter;

void hmap_iter_init(hmap_iter *it, hmap *m);
/* Next entry; false at the end (the iterator is then stopped). */
bool hmap_iter_next(hmap_iter *it, const void **key, void **val);
/* Stop early; safe to call after next returned false, or twice. */
void hmap_iter_stop(hmap_iter *it);
/* The out-of-line part of hmap_iter_next, called by its inline part below;
 * the same semantics as hmap_iter_next (it is the whole step). */
bool hmap_iter_next_slow(hmap_iter *it, const void **key, void **val);

/* Private: find the next live slot of it->bptr from slot it->i on, in the
 * iterator's rotated slot order, with one 8-byte load of the tophash bytes.
 * Returns 1 (found; *key, *val set, it->i past it), 0 (none left: it->i =
 * 8) or -1 (the next occupied slot holds an evacuation mark: the entry may
 * have moved, hmap_iter_next_slow must ask the map).  Only valid while
 * it->fast: bptr is walked unfiltered and its slots hold keys and values
 * directly.  Tophash bytes: 0/1 empty, 2/3 evacuatedX/Y, 4 evacuatedEmpty,
 * 5..255 a live entry (docs/go-map-model.md §1). */
#if defined(__GNUC__)
/* gnu_inline: never emitted as a function, so no symbol of its own, and
 * usable from the (non-static) inline hmap_iter_next. */
#define HMAP__INLINE extern __inline __attribute__((__gnu_inline__, __always_inline__))
HMAP__INLINE int hmap_iter__scan(hmap_iter *it, const void **key, void **val)
{
    const uint64_t lo7 = 0x7f7f7f7f7f7f7f7full, hi = 0x8080808080808080ull;
    unsigned char *b = it->bptr;
    uint64_t w;
    __builtin_memcpy(&w, b, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w); /* byte j of w is slot j */
#endif
    unsigned rot = 8u * it->offset; /* byte j of w becomes slot (j + offset) & 7 */
    w = (w >> rot) | (w << ((64u - rot) & 63u));
    /* Two shifts: i may be 8 (nothing left), and a shift by 64 is undefined. */
    uint64_t unvisited = ~0ull << (4u * it->i) << (4u * it->i);
    /* High bit set where the byte is >= 2 (exact: no carry leaves a byte):
     * the first such slot is a live entry (>= 5) or a mark (2..4). */
    uint64_t stop = (((w & lo7) + 0x7e7e7e7e7e7e7e7eull) | w) & hi & unvisited;
    if (!stop) {
        it->i = 8;
        return 0;
    }
    unsigned j = (unsigned)__builtin_ctzll(stop) >> 3;
    if ((unsigned char)(w >> (8u * j)) < 5) return -1; /* evacuated: ask the map */
    unsigned s = (j + it->offset) & 7u;
    it->i = (uint8_t)(j + 1);
    if (key) *key = b + 8 + s * it->keyslot;
    if (val) *val = b + it->valbase + s * it->valslot;
    return 1;
}

/* hmap_iter_next's common case inline: the next live slot of the current
 * bucket (checking, as the full step does, that no write runs).  The
 * library keeps the out-of-line hmap_iter_next for callers that do not
 * inline (HMAP_NO_INLINE, other compilers, function pointers). */
#if !defined(HMAP_NO_INLINE) && !defined(HMAP_ITER_NEXT_OUT_OF_LINE)
HMAP__INLINE bool hmap_iter_next(hmap_iter *it, const void **key, void **val)
{
    if (it->fast && !(__atomic_load_n(it->map_flags, __ATOMIC_RELAXED) & 4) &&
        hmap_iter__scan(it, key, val) > 0)
        return true;
    return hmap_iter_next_slow(it, key, val);
}
#endif
#endif /* __GNUC__ */

/* ---- Statistics ------------------------------------------------------- */

typedef struct hmap_stats {
    uint8_t B;                 /* log2 of the current bucket count */
    bool growing;              /* an old array exists */
    bool same_size_grow;       /* the growth in progress keeps B */
    bool shrinking;            /* the growth in progress halves the array (SHRINK) */
    uint64_t count;            /* live entries */
    uint32_t noverflow;        /* Go's (approximate) overflow counter */
    uint64_t nevacuate;        /* evacuation mark */
    uint64_t buckets;          /* 2^B */
    uint64_t overflow_buckets; /* overflow buckets linked in current + old chains */
    uint64_t prealloc_total;   /* preallocated overflow buckets of the current array */
    uint64_t prealloc_free;    /* of those, not yet handed out */
    uint64_t bytes_allocated;  /* everything currently held from the allocator */
    uint64_t empty_slots;      /* slots in allocated bucket memory (arrays with their
                                  preallocated tails, overflow buckets; current + old)
                                  holding no entry */
    uint64_t retained_blocks;  /* blocks whose free waits for an iterator to stop */
    uint8_t flags;             /* Go's flags byte: 1 iterator, 2 oldIterator, 8 sameSizeGrow
                                  (+16 shrinking, not Go's) */
    uint32_t bucket_size;      /* bytes per bucket */
    uint64_t seed;             /* current hash seed (changes when the map empties) */
    /* The same memory as traces count it (bucket_array_alloc, overflow_alloc,
     * indirect_alloc: usable bytes, without the bookkeeping that
     * bytes_allocated includes: the header, its out-of-line parts, growth
     * records and the 16-byte headers of indirect objects). */
    uint64_t bucket_bytes;     /* bucket arrays and allocator overflow buckets (with retained) */
    uint64_t indirect_bytes;   /* keys and values over 128 bytes, allocated one by one */
    uint64_t indirect_objects; /* how many such objects */
} hmap_stats;

void hmap_get_stats(const hmap *m, hmap_stats *out);

#ifdef __cplusplus
}
#endif
#endif /* HMAP_H */
