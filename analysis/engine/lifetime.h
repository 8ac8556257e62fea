/* SPDX-License-Identifier: MIT */
/*
 * lifetime.h — the lifetime engine: rebuilds the life of every bucket from
 * one time-ordered stream of native records and classifies every delete.
 * Callers hold an opaque handle; what the engine found is read through the
 * result types below (docs/report.md says how each is reported).
 *
 * Definitions (docs/architecture.md, "What delete-to-free latency means"): a
 * delete is a tophash_write with cause delete at t_d of slot i in bucket b.
 *   reused   — a later write in the same bucket generation makes slot i live
 *              again at t_r before b's memory is freed: latency t_r - t_d;
 *   freed    — the allocation containing b is freed at t_f: latency t_f - t_d;
 *   retained — neither happened before the trace ended: censored, with its
 *              age at the end of the trace.
 * A bucket generation begins with the allocation that contains it and ends
 * with its free; allocations are keyed by (pid, address range) and forgotten
 * at their free, so an address reused by the allocator starts a new one.
 * Entries removed by clear (cause clear) are not deletes: they are counted as
 * "cleared".  Deletes whose state the trace made unknowable (a second delete
 * of a pending slot, an allocation overlapping a live one) are "unresolved".
 *
 * Memory (docs/report.md, "Memory and limits"): bounded by the live state
 * the trace proves, never by the sizes it claims: one 64-byte record per
 * live allocation (and one more for a bucket array), 8 bytes of state per
 * bucket of a live allocation that the trace has written to (in leaves of
 * 16 taken at the first write, found by a hash until 1/32 of an
 * allocation's leaves are touched, then by a dense table), 8 bytes per
 * pending delete (in blocks of 1, 2, 4 or 8), one record per map
 * that is live or holds something plus at most BS_MAX_IDLE_MAPS idle ones
 * (more are folded into "other maps" records), at most BS_MAX_LOST_SPANS
 * lost spans, and one 16-byte hash slot per live indirect object (a key or
 * value over 128 bytes in its own allocation: its map and kind in 32 bits,
 * its size being the map's key or value size), at most 4/3 x 2 of them with
 * the table's growth: under 43 bytes per object, 1 M live objects in under
 * 43 MiB.  All of it is capped (memory.h: half of the memory available); an
 * input past the cap ends in an error naming it.  Every lookup by address
 * is O(1) (hashes) or O(log n) (the AVL tree of arrays) whatever the order
 * of the addresses.
 *
 * Inside (engine_impl.h): the allocation index (alloc_index.c), the rules of
 * what each event means for slots and pending deletes (lifetime_rules.c; for
 * the records of a state dump, statedump_rules.c), the lost-event spans
 * (lost_spans.c) and the time series (timeseries.c).
 */
#ifndef BS_LIFETIME_H
#define BS_LIFETIME_H

#include <stddef.h>
#include <stdint.h>

#include "hist.h"
#include "hmap_native.h"

struct bs_engine;

enum bs_outcome { BS_REUSED, BS_FREED, BS_RETAINED, BS_UNRESOLVED, BS_OUTCOMES };
extern const char *const bs_outcome_name[BS_OUTCOMES];

/* A freed delete by the class of its bucket_free reason (docs/report.md,
 * "Definitions"): memory given back while the program runs (a growth or
 * shrink completed, an old chain evacuated, an emptied overflow bucket
 * unlinked) or only at teardown (the map cleared or freed).  The one table
 * is bs_free_class_of (engine.c), written against the schema's free_reason
 * enumeration; a reason outside the schema (counted as bad_field) is
 * classed as teardown, so that reclaim while running is never overstated. */
enum bs_free_class { BS_FREE_RUNNING, BS_FREE_TEARDOWN, BS_FREE_CLASSES };
extern const char *const bs_free_class_name[BS_FREE_CLASSES]; /* "while_running", "teardown" */
#define BS_FREE_REASONS HMAP_ENUM_COUNT(free_reason)
extern const uint8_t bs_free_class_of[BS_FREE_REASONS];
static inline enum bs_free_class bs_free_class(int reason)
{
    return (unsigned)reason < BS_FREE_REASONS ? (enum bs_free_class)bs_free_class_of[reason]
                                              : BS_FREE_TEARDOWN;
}

/* Events that do not fit the model, counted by class, never dropped silently. */
#define BS_UNMATCHED(X)                                                                            \
    X(FREE_WITHOUT_ALLOC, "free_without_alloc", "bucket_free of memory never allocated")           \
    X(WRITE_UNKNOWN_BUCKET, "write_unknown_bucket", "tophash/overflow event on unknown bucket")    \
    X(DOUBLE_ALLOC, "double_alloc", "allocation overlapping a live allocation")                    \
    X(UNKNOWN_MAP, "unknown_map", "map seen without map_create")                                   \
    X(DOUBLE_CREATE, "double_create", "map_create for a live map")                                 \
    X(FREE_SIZE_MISMATCH, "free_size_mismatch", "bucket_free bytes differ from allocation")        \
    X(FREE_INTERIOR, "free_interior", "bucket_free inside an allocation, not at its start")        \
    X(BAD_FIELD, "bad_field", "field value out of range (slot > 7, unknown enum)")                 \
    X(DELETE_NOT_LIVE, "delete_not_live", "delete of a slot whose old tophash is not live")        \
    X(DELETE_PENDING, "delete_pending", "delete of a slot that already had a pending delete")      \
    X(OUT_OF_ORDER, "out_of_order", "timestamp earlier than the previous event")                   \
    X(UNKNOWN_EVENT, "unknown_event", "record id newer than this analyzer")                        \
    X(FREE_UNKNOWN_OBJECT, "free_unknown_object", "indirect_free of an object never allocated")    \
    X(UNLISTED_ALLOC, "unlisted_alloc", "allocation seen before a map's state dump, not in it")
enum bs_unmatched_class {
#define BS_UM_ENUM_(sym, name, desc) BS_UM_##sym,
    BS_UNMATCHED(BS_UM_ENUM_)
#undef BS_UM_ENUM_
        BS_UM_COUNT
};
extern const char *const bs_unmatched_name[BS_UM_COUNT];
extern const char *const bs_unmatched_desc[BS_UM_COUNT];

/* How a separately allocated key or value went back (docs/report.md,
 * "Definitions"): reason delete while running, clear and destroy at
 * teardown (the classes of bucket memory), unused -- taken and given back by
 * one failed insert -- neither.  One table, bs_obj_class_of (engine.c),
 * written against the schema's obj_free_reason enumeration; a reason outside
 * the schema (bad_field) is teardown, as for buckets. */
enum bs_obj_class {
    BS_OBJ_RUNNING = BS_FREE_RUNNING,
    BS_OBJ_TEARDOWN = BS_FREE_TEARDOWN,
    BS_OBJ_UNUSED,
    BS_OBJ_CLASSES
};
#define BS_OBJ_REASONS HMAP_ENUM_COUNT(obj_free_reason)
extern const uint8_t bs_obj_class_of[BS_OBJ_REASONS];
static inline enum bs_obj_class bs_obj_class(int reason)
{
    return (unsigned)reason < BS_OBJ_REASONS ? (enum bs_obj_class)bs_obj_class_of[reason]
                                             : BS_OBJ_TEARDOWN;
}

/* Bytes given back to the allocator inside the window, split as every
 * report splits them: bucket memory (by bs_free_class of its bucket_free
 * reason) and indirect objects (by bs_obj_class), the objects of failed
 * inserts apart. */
struct bs_reclaimed {
    uint64_t bucket[BS_FREE_CLASSES];
    uint64_t indirect[BS_FREE_CLASSES];
    uint64_t indirect_unused;
};

/* Indirect objects of one map (or of all): counts inside the window. */
struct bs_objects {
    uint64_t alloc, alloc_bytes;    /* indirect_alloc in the trace */
    uint64_t freed[BS_OBJ_REASONS]; /* indirect_free by reason */
    uint64_t attach, attach_bytes;  /* listed by a state dump */
};

/* Gauges of one map (or of all maps together). */
struct bs_gauges {
    uint64_t bytes_held;    /* live allocations: bucket memory + indirect objects */
    uint64_t indirect_held; /* of which indirect objects */
    int64_t objects;        /* live indirect objects */
    uint64_t live_bytes8;   /* live slots * bucket_size (8x bytes held by live entries) */
    int64_t live_slots;
    int64_t tombstones; /* slots at emptyOne */
    int64_t in_use_buckets, live_buckets, ovf_buckets;
    uint64_t peak_held, peak_empty;
    uint64_t peak_bucket, peak_indirect; /* peaks of bucket bytes and of indirect_held */
    double empty_byte_ns;                /* integral of empty bytes over time */
    uint64_t last_ns;                    /* time the integral was advanced to */
};

/* Bucket memory held: bytes held but the indirect objects. */
static inline uint64_t bs_bucket_bytes(const struct bs_gauges *g)
{
    return g->bytes_held - g->indirect_held;
}

/* Empty-slot bytes are bucket memory that holds no entry; an indirect
 * object always holds one, so it is never empty. */
static inline uint64_t bs_empty_of(uint64_t bucket_bytes, uint64_t live_bytes8)
{
    uint64_t live = live_bytes8 / 8;
    return bucket_bytes > live ? bucket_bytes - live : 0;
}

static inline uint64_t bs_empty_bytes(const struct bs_gauges *g)
{
    return bs_empty_of(bs_bucket_bytes(g), g->live_bytes8);
}

/* What a state dump said about a map (docs/report.md, "Definitions", attach).  status
 * is BS_NO_STATE until a bracket ends (or when none ever did). */
#define BS_NO_STATE 0xff
struct bs_map_state {
    uint8_t attached;   /* a complete (status ok) bracket gave its state */
    uint8_t status;     /* of its last bracket not ignored: enum hmap_state_status */
    uint8_t trigger;    /* of that bracket: enum hmap_state_trigger */
    uint8_t in_bracket; /* between its state_begin and state_end */
    uint8_t skip;       /* in a redundant bracket: its events are ignored */
    uint8_t created;    /* its bracket held its map_create */
    uint64_t ns;        /* state_begin of that bracket */
    uint64_t bucket_bytes, indirect_bytes; /* held at its state_end */
    uint64_t arrays, ovf, objects;         /* allocations listed by its dump ("at attach") */
};

struct bs_map {
    uint32_t pid;
    uint64_t addr;
    uint32_t seq; /* nth map seen at this (pid, addr), from 0 */
    char type_name[sizeof(((struct hmap_native_map_create *)0)->type_name)];
    uint8_t reclaim, pointerful, implicit, destroyed, growing, B;
    uint32_t key_size, val_size, bucket_size;
    uint64_t created_ns, destroyed_ns;
    struct bs_gauges g;
    uint64_t arrays_alloc, arrays_freed, ovf_alloc, ovf_freed, grows, evacuations, moved;
    uint64_t deletes, outcome[BS_OUTCOMES], cleared;
    uint64_t freed_class[BS_FREE_CLASSES]; /* outcome[BS_FREED] by class */
    double reuse_sum_ns, free_sum_ns;
    /* who it is (map_info): label, creation site and the object holding it */
    uint8_t has_info;
    char name[sizeof(((struct hmap_native_map_info *)0)->name)];
    char object[sizeof(((struct hmap_native_map_info *)0)->object)];
    uint64_t site, site_off;
    uint32_t obj_size[HMAP_ENUM_COUNT(indirect_kind)]; /* bytes of an indirect key, value */
    struct bs_objects obj;
    struct bs_reclaimed reclaimed;
    struct bs_map_state st;
    /* Unmatched events counted for it while its state was unknown (seen
     * before its first state dump); moved to before_state by that dump. */
    uint64_t pre_unmatched[BS_UM_COUNT];
    uint64_t before_state;
    uint32_t pre_allocs;     /* allocations taken while its state was unknown */
    uint8_t counted_created; /* counted in maps_created */
    /* 0 for a map; for the "other maps" record of its reclaim policy (or of
     * unannounced maps), the number of idle maps folded into it (pid 0,
     * address 0, type "(other maps)"; see bs_engine_maps). */
    uint32_t folded;
};

struct bs_lost_span {
    uint64_t first_ns, last_ns;
};

struct bs_delete_row { /* one resolved delete, for --csv-deletes */
    const struct bs_map *map;
    uint64_t bucket;
    unsigned slot;
    uint64_t delete_ns, end_ns;
    enum bs_outcome outcome;
    int free_reason; /* -1 unless freed */
    int maybe_lost;  /* a lost-event span overlaps [delete, end] */
};

struct bs_engine_opts {
    uint64_t since_ns, until_ns; /* window, absolute trace time; until 0 = none */
    uint64_t sample_tick_ns;     /* first tick of the adaptive global samples */
    void (*on_delete)(void *ctx, const struct bs_delete_row *row);
    /* Fired at each --tick boundary; returns the tick to go on with: tick_ns
     * unchanged, wider to thin the rest of the timeline, 0 to stop ticks. */
    uint64_t (*on_tick)(void *ctx, uint64_t tick_ns, uint64_t tick);
    uint64_t tick_ns;
    void *ctx;
    const char *name;       /* the input, as errors name it (NULL: "the trace") */
    size_t max_state_bytes; /* cap of the engine's state; 0: the default (memory.h) */
};

#define BS_MAX_SAMPLES 1024
struct bs_sample {
    uint64_t t_ns, held, live, empty, indirect; /* held includes indirect */
};

/* Events worth a mark on the SVG timeline, counted per time bin over the
 * whole trace (docs/report.md, "Options", --svg).  BS_MARKER_BINS bins of
 * `width` ns from `t0`: when an event falls past the last bin, pairs of
 * bins merge and the width doubles, as the samples do, so the bins always
 * cover the trace at even spacing in bounded memory. */
enum bs_marker_kind {
    BS_MARK_GROW,     /* grow_start, kind doubling */
    BS_MARK_SAMESIZE, /* grow_start, kind same-size */
    BS_MARK_SHRINK,   /* grow_start, kind shrink */
    BS_MARK_CLEAR,    /* tophash_write with cause clear (one per slot cleared) */
    BS_MARK_DESTROY,  /* map_destroy */
    BS_MARK_KINDS
};
#define BS_MARKER_BINS 256
struct bs_markers {
    uint64_t t0, width;                            /* width 0: no event yet */
    uint32_t nbins;                                /* bins in use */
    uint32_t count[BS_MARKER_BINS][BS_MARK_KINDS]; /* saturating */
};

/* Everything the engine counted, over all maps.  Counts and histograms cover
 * the window; the gauges in `all` are the state at the last event. */
struct bs_engine_totals {
    uint64_t first_ns, last_ns, events;
    struct bs_gauges all;
    uint64_t maps_created, maps_destroyed, arrays_alloc, arrays_freed, ovf_alloc, ovf_freed;
    uint32_t arrays_live, ovf_live; /* live allocations, set by bs_engine_finish */
    uint64_t deletes, outcome[BS_OUTCOMES], cleared, maybe_lost;
    /* freed = freed_class[RUNNING] + freed_class[TEARDOWN], merged by
     * bs_engine_finish; resolved = reuse + freed */
    struct bs_hist reuse, freed, retained, resolved;
    struct bs_hist freed_class[BS_FREE_CLASSES];
    uint64_t freed_reason[BS_FREE_REASONS]; /* freed deletes by bucket_free reason */
    uint64_t unmatched[BS_UM_COUNT];
    uint64_t lost_events, lost_records;
    /* indirect objects and bytes given back, over all maps */
    struct bs_objects obj;
    struct bs_reclaimed reclaimed;
    /* State dumps (docs/report.md, "Definitions", attach): not counted above as activity
     * (maps_created, arrays_alloc, ovf_alloc, obj.alloc exclude them) and
     * not windowed: they are the state the trace starts from. */
    uint8_t have_state;
    uint64_t state_ns; /* first state_begin: the attach time */
    uint64_t maps_attached, arrays_attach, ovf_attach;
    uint64_t brackets[HMAP_ENUM_COUNT(state_status)]; /* brackets not ignored, by status */
    uint64_t redundant_dumps;                         /* brackets of maps already known, ignored */
    uint64_t before_state; /* unmatched events of maps before their state was known */
    /* statedump_done records, summed over the dump passes */
    uint64_t dump_passes, dump_maps, dump_deferred, dump_unsafe;
    uint8_t dump_trigger; /* of the last pass */
};

/* What the analysis cost (--stats). */
struct bs_engine_stats {
    uint64_t events;
    uint64_t peak_states_live; /* bucket states of live allocations, at most */
    uint32_t peak_pending_live;
    size_t peak_state_bytes; /* bs_engine_peak_state_bytes */
};

struct bs_engine *bs_engine_new(const struct bs_engine_opts *opt);
void bs_engine_free(struct bs_engine *e);
/* The window, absolute trace time (until 0: none), when it is only known
 * once the first record has been read. */
void bs_engine_set_window(struct bs_engine *e, uint64_t since_ns, uint64_t until_ns);
/* Apply one record (header + payload).  Records must come in time order;
 * one that goes back in time is counted and applied at the latest time.
 * Returns 1 once a record lies past the window's end (the rest of the trace
 * changes nothing), else 0. */
int bs_engine_feed(struct bs_engine *e, const struct hmap_native_rec_header *rec);
/* End of input: pending deletes become retained, aged to the last event (or
 * to the window's end). */
void bs_engine_finish(struct bs_engine *e);

/* Results: valid until bs_engine_free; final after bs_engine_finish. */
const struct bs_engine_totals *bs_engine_totals(const struct bs_engine *e);
/* Every map seen, in order of first sight; *n receives the count.  Past
 * BS_MAX_IDLE_MAPS maps that hold nothing and are destroyed or were never
 * announced, those with the least empty byte-seconds are folded into one
 * "other maps" record per reclaim policy (bs_map.folded): their counts are
 * summed there, their peaks the largest of theirs (docs/report.md, "Memory
 * and limits"). */
#define BS_MAX_IDLE_MAPS 16384
const struct bs_map *bs_engine_maps(const struct bs_engine *e, uint32_t *n);
/* Time spans that lost events may have touched: sorted, disjoint. */
const struct bs_lost_span *bs_engine_lost_spans(const struct bs_engine *e, uint32_t *n);
/* Global gauges sampled at even spacing over the trace (at most
 * BS_MAX_SAMPLES), for the SVG curves. */
const struct bs_sample *bs_engine_samples(const struct bs_engine *e, uint32_t *n);
/* Growth, shrink, clear and destroy events binned over time, for the SVG
 * markers. */
const struct bs_markers *bs_engine_markers(const struct bs_engine *e);
struct bs_engine_stats bs_engine_stats(const struct bs_engine *e);

/* Bytes the engine's state occupies now (tables, slabs). */
size_t bs_engine_state_bytes(const struct bs_engine *e);
/* Upper bound of the state at its largest: peak bucket states and pending
 * blocks, plus the tables as they are now (they never shrink). */
size_t bs_engine_peak_state_bytes(const struct bs_engine *e);

#endif /* BS_LIFETIME_H */
