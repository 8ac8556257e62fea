/* SPDX-License-Identifier: MIT */
/*
 * schema_table.h — the event schema as data, for readers that find events and
 * fields by name (bpftrace lines, CTF traces) and fill native records.
 *
 * Generated from the X-macros in hmap_events.h, so a field added there is
 * known here at once; the record layout is the packed payload struct of
 * hmap_native.h.
 */
#ifndef BS_SCHEMA_TABLE_H
#define BS_SCHEMA_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "hmap_native.h"

enum bs_field_kind { BS_FIELD_INT, BS_FIELD_PTR, BS_FIELD_ENUM, BS_FIELD_STRING };

struct bs_field_desc {
    const char *name;
    enum bs_field_kind kind;
    uint16_t offset; /* in the packed payload */
    uint16_t size;   /* bytes (string: maxlen including the NUL) */
};

/* Fields of the event that has the most: the size of a union holding, per
 * event, one char per field. */
#define BS_COUNT_FIELD_(...) +1
#define BS_FIELD_COUNT_(id, name, desc, fields) char name[0 fields];
union bs_field_counts {
    HMAP_EVENTS(BS_FIELD_COUNT_, BS_COUNT_FIELD_, BS_COUNT_FIELD_, BS_COUNT_FIELD_)
};
#undef BS_FIELD_COUNT_
#undef BS_COUNT_FIELD_
#define BS_MAX_FIELDS sizeof(union bs_field_counts)

struct bs_event_desc {
    uint16_t id;
    const char *name;
    uint16_t payload_size;
    uint8_t nfields;
    const char *enum_of[BS_MAX_FIELDS]; /* enum name of each E field, else NULL */
    struct bs_field_desc fields[BS_MAX_FIELDS];
};

/* Descriptor by id (1..HMAP_EVENT_MAX_ID), or NULL. */
const struct bs_event_desc *bs_event_by_id(unsigned id);
/* Descriptor by event name ("tophash_write"), or NULL. */
const struct bs_event_desc *bs_event_by_name(const char *name, size_t len);
/* Name of value v of the enum used by field (event id, field index), or NULL. */
const char *bs_enum_name(const char *enum_name, unsigned v);

/* Store v little-endian into a payload field of the given size. */
static inline void bs_field_store(uint8_t *payload, const struct bs_field_desc *f, uint64_t v)
{
    for (unsigned i = 0; i < f->size; i++)
        payload[f->offset + i] = (uint8_t)(v >> (8 * i));
}

#endif /* BS_SCHEMA_TABLE_H */
