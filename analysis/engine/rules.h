/* SPDX-License-Identifier: MIT */
/*
 * rules.h — what the two files of event rules share: lifetime_rules.c (maps,
 * allocations, slots, pending deletes, indirect objects) and
 * statedump_rules.c (state-dump brackets, docs/statedump.md).  Internal to
 * engine/; the definitions are in lifetime.h.
 */
#ifndef BS_RULES_H
#define BS_RULES_H

#include "engine_impl.h"

/* Inside the window: counted in the totals. */
static inline int bs_counting(const struct bs_engine *e, uint64_t t)
{
    return t >= e->opt.since_ns;
}

/* Integrate empty bytes up to t (only inside the window), then move the
 * gauge's clock to t.  Called before every change of a gauge. */
static inline void bs_advance(const struct bs_engine *e, struct bs_gauges *g, uint64_t t)
{
    if (t > g->last_ns) {
        uint64_t from = g->last_ns > e->opt.since_ns ? g->last_ns : e->opt.since_ns;
        if (t > from) g->empty_byte_ns += (double)bs_empty_bytes(g) * (double)(t - from);
        g->last_ns = t;
    }
}

/* A map whose state is not known yet: seen without map_create, no complete
 * state dump so far, and not inside one now.  What the trace shows of it
 * may be about memory it had before the trace began. */
static inline int bs_pre_state(const struct bs_map *m)
{
    return m->implicit && !m->st.attached && !m->st.in_bracket;
}

/* Count one unmatched event of class c.  Invariant: for every map m,
 * m->pre_unmatched[c] counts the class-c events of m made while bs_pre_state(m)
 * and still in tot.unmatched[c] (the first complete dump of m moves them to
 * before_state).  m NULL: the event names no map record. */
static inline void bs_unmatched(struct bs_engine *e, struct bs_map *m, enum bs_unmatched_class c)
{
    e->tot.unmatched[c]++;
    if (m && bs_pre_state(m)) m->pre_unmatched[c]++;
}

/* Both the map's and the global gauges move together. */
#define GADD(e, m, field, d)                                                                       \
    do {                                                                                           \
        (m)->g.field += (d);                                                                       \
        (e)->tot.all.field += (d);                                                                 \
    } while (0)

/* lifetime_rules.c: a new map record at (pid, addr); `created` (a
 * map_create in the window, or an implicit map) counts it in maps_created.
 * May move e->maps. */
uint32_t bs_rules_new_map(struct bs_engine *e, uint32_t pid, uint64_t addr, uint64_t t,
                          int created);
/* lifetime_rules.c: the map a record names, made on the spot (implicit,
 * counted unmatched) if never announced. */
struct bs_map *bs_rules_get_map(struct bs_engine *e, uint32_t pid, uint64_t addr, uint64_t t);
/* lifetime_rules.c: the map an unmatched record names, even destroyed. */
struct bs_map *bs_rules_map_of_unmatched(struct bs_engine *e, uint32_t pid, uint64_t addr,
                                         uint64_t t);
/* lifetime_rules.c: forget allocation ai; its pending deletes end with
 * `outcome` at t. */
void bs_rules_drop_alloc(struct bs_engine *e, uint32_t ai, uint64_t t, enum bs_outcome outcome,
                         int reason);

/* statedump_rules.c: in a dump, the live allocation already known at
 * exactly (pid, start, bytes, kind) for map mi, adopted; else BS_NONE. */
uint32_t bs_rules_adopt_alloc(struct bs_engine *e, uint32_t mi, uint32_t pid, uint64_t start,
                              uint64_t bytes, uint8_t kind);
/* statedump_rules.c: with brackets open, whether record h belongs to one
 * (sets e->dump); 1 for a record of a redundant bracket, to be ignored. */
int bs_rules_in_brackets(struct bs_engine *e, const struct hmap_native_rec_header *h);
struct bs_map *bs_rules_state_begin(struct bs_engine *e, const struct hmap_native_rec_header *h,
                                    const struct hmap_native_state_begin *p);
struct bs_map *bs_rules_state_end(struct bs_engine *e, const struct hmap_native_rec_header *h,
                                  const struct hmap_native_state_end *p);
void bs_rules_statedump_done(struct bs_engine *e, const struct hmap_native_statedump_done *p);

#endif /* BS_RULES_H */
