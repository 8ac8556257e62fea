/* SPDX-License-Identifier: MIT */
/*
 * statedump_rules.c — what the records of a state dump mean (docs/statedump.md;
 * docs/report.md, "Definitions", attach): a bracket state_begin .. state_end
 * lists a map's live state at attach time, as the ordinary records that
 * would have made it.  The engine applies them with the rules of
 * lifetime_rules.c, except that what it already knows of the map is kept
 * (adopted allocations, redundant brackets), and a complete bracket makes
 * the map's state known: the events counted unmatched before it move to
 * before_state, the allocations it did not list are dropped.
 */
#include <stddef.h>
#include <string.h>

#include "rules.h"

/* in_brackets reads the map as the first 8 bytes of the payload of every
 * event below statedump_done, the one event without a map (and the last
 * id); the schema must keep it there. */
#define BS_MAP_FIRST_(name)                                                                        \
    _Static_assert(offsetof(struct hmap_native_##name, map) == 0 &&                                \
                       HMAP_EV_##name < HMAP_EV_statedump_done,                                    \
                   #name ": payload starts with the map");
BS_MAP_FIRST_(map_create)
BS_MAP_FIRST_(map_destroy)
BS_MAP_FIRST_(bucket_array_alloc)
BS_MAP_FIRST_(overflow_alloc)
BS_MAP_FIRST_(tophash_write)
BS_MAP_FIRST_(grow_start)
BS_MAP_FIRST_(evacuate)
BS_MAP_FIRST_(grow_done)
BS_MAP_FIRST_(overflow_unlink)
BS_MAP_FIRST_(bucket_free)
BS_MAP_FIRST_(map_info)
BS_MAP_FIRST_(indirect_alloc)
BS_MAP_FIRST_(indirect_free)
BS_MAP_FIRST_(state_begin)
BS_MAP_FIRST_(state_end)
#undef BS_MAP_FIRST_
_Static_assert((int)HMAP_EV_statedump_done == (int)HMAP_EVENT_MAX_ID && HMAP_EVENT_MAX_ID == 16,
               "every event but the last starts with the map: list a new one above");

/* In a state dump: the live allocation the engine already knows at exactly
 * (pid, start, bytes) for map mi, taken as the dump's (adopted: its buckets
 * keep the states the trace gave them), or BS_NONE if there is none. */
uint32_t bs_rules_adopt_alloc(struct bs_engine *e, uint32_t mi, uint32_t pid, uint64_t start,
                              uint64_t bytes, uint8_t kind)
{
    uint32_t ai = bs_find_alloc(&e->ix, pid, start);
    if (ai == BS_NONE) return BS_NONE;
    struct bs_alloc *a = &e->ix.allocs[ai];
    if (a->map != mi || a->start != start || a->bytes != bytes || a->kind != kind) return BS_NONE;
    a->pre = 0;
    a->adopted = 1;
    return ai;
}

/* A map is known when the trace showed its map_create or a complete dump
 * of it: a later dump of it says nothing new (docs/report.md, "Definitions", attach). */
static int state_known(const struct bs_map *m)
{
    return !m->destroyed && (!m->implicit || m->st.attached);
}

/* state_begin opens a bracket.  Invariant: e->brackets_open counts the maps
 * with st.in_bracket or st.skip set; a redundant bracket (known map) only
 * sets skip, and every record of that map up to its state_end is ignored. */
struct bs_map *bs_rules_state_begin(struct bs_engine *e, const struct hmap_native_rec_header *h,
                                    const struct hmap_native_state_begin *p)
{
    uint64_t t = h->ts_ns;
    uint32_t i = bs_addr_get(&e->map_ix, h->pid, p->map);
    struct bs_map *m = i == BS_NONE ? NULL : &e->maps[i];
    if (m && !m->st.in_bracket && state_known(m)) {
        m->st.skip = 1;
        e->brackets_open++;
        e->tot.redundant_dumps++;
        return m;
    }
    if (!m || m->destroyed) {
        i = bs_rules_new_map(e, h->pid, p->map, t, 0);
        m = &e->maps[i];
        m->implicit = 1; /* until its bracket shows its map_create */
    }
    bs_advance(e, &m->g, t);
    if (!m->st.in_bracket) e->brackets_open++; /* else: the previous state_end was lost */
    m->st.in_bracket = 1;
    m->st.ns = t;
    m->st.trigger = p->trigger;
    m->B = p->B;
    m->growing = p->old_addr != 0;
    if (p->trigger >= HMAP_ENUM_COUNT(state_trigger)) bs_unmatched(e, m, BS_UM_BAD_FIELD);
    if (!e->tot.have_state) {
        e->tot.have_state = 1;
        e->tot.state_ns = t;
    }
    return m;
}

/* Allocations map mi took while its state was unknown and that its dump
 * did not list: gone before the dump without their free in the trace. */
static void drop_unlisted(struct bs_engine *e, uint32_t mi, uint64_t t)
{
    for (uint32_t ai = 0; ai < e->ix.allocs_cap; ai++) {
        struct bs_alloc *a = &e->ix.allocs[ai];
        if (!a->in_use || a->map != mi || !a->pre) continue;
        e->tot.unmatched[BS_UM_UNLISTED_ALLOC]++;
        bs_rules_drop_alloc(e, ai, t, BS_UNRESOLVED, -1);
    }
    e->maps[mi].pre_allocs = 0;
}

/* A complete dump: the map's state is known from now on.  What was
 * unmatched about it before (pre_unmatched) leaves unmatched for
 * before_state; a map counted as created when first seen is attached. */
static void adopt_state(struct bs_engine *e, struct bs_map *m, uint64_t t)
{
    uint32_t mi = (uint32_t)(m - e->maps);
    m->st.attached = 1;
    if (m->st.created) m->implicit = 0;
    e->tot.maps_attached++;
    if (m->counted_created) {
        e->tot.maps_created--;
        m->counted_created = 0;
    }
    for (int c = 0; c < BS_UM_COUNT; c++) {
        e->tot.unmatched[c] -= m->pre_unmatched[c];
        m->before_state += m->pre_unmatched[c];
        e->tot.before_state += m->pre_unmatched[c];
        m->pre_unmatched[c] = 0;
    }
    if (m->pre_allocs) drop_unlisted(e, mi, t);
}

struct bs_map *bs_rules_state_end(struct bs_engine *e, const struct hmap_native_rec_header *h,
                                  const struct hmap_native_state_end *p)
{
    if (e->dump == BS_NONE) { /* no bracket open for this map */
        bs_unmatched(e, bs_rules_map_of_unmatched(e, h->pid, p->map, h->ts_ns), BS_UM_BAD_FIELD);
        return NULL;
    }
    struct bs_map *m = &e->maps[e->dump];
    bs_advance(e, &m->g, h->ts_ns);
    m->st.in_bracket = 0;
    e->brackets_open--;
    m->st.status = p->status;
    if (p->status < HMAP_ENUM_COUNT(state_status))
        e->tot.brackets[p->status]++;
    else
        bs_unmatched(e, m, BS_UM_BAD_FIELD);
    if (p->status == HMAP_STATE_OK) adopt_state(e, m, h->ts_ns);
    m->st.bucket_bytes = bs_bucket_bytes(&m->g);
    m->st.indirect_bytes = m->g.indirect_held;
    return m;
}

void bs_rules_statedump_done(struct bs_engine *e, const struct hmap_native_statedump_done *p)
{
    e->tot.dump_passes++;
    e->tot.dump_maps += p->maps;
    e->tot.dump_deferred += p->deferred;
    e->tot.dump_unsafe += p->unsafe;
    e->tot.dump_trigger = p->trigger;
    if (p->trigger >= HMAP_ENUM_COUNT(state_trigger)) bs_unmatched(e, NULL, BS_UM_BAD_FIELD);
}

/* With brackets open: whether this record belongs to one.  Sets e->dump
 * to the map whose bracket holds it (BS_NONE: none); returns 1 for a record
 * of a redundant bracket, which is ignored (its state_end closes it). */
int bs_rules_in_brackets(struct bs_engine *e, const struct hmap_native_rec_header *h)
{
    e->dump = BS_NONE;
    if (!e->brackets_open || !h->id || h->id >= HMAP_EV_statedump_done ||
        h->id == HMAP_EV_state_begin || h->size < sizeof(*h) + sizeof(uint64_t))
        return 0;
    uint64_t map;
    memcpy(&map, h + 1, sizeof(map)); /* events 1..15 start with the map */
    uint32_t i = bs_addr_get(&e->map_ix, h->pid, map);
    if (i == BS_NONE) return 0;
    struct bs_map *m = &e->maps[i];
    if (m->st.skip) {
        if (h->id == HMAP_EV_state_end) {
            m->st.skip = 0;
            e->brackets_open--;
        }
        return 1;
    }
    if (m->st.in_bracket) e->dump = i;
    return 0;
}
