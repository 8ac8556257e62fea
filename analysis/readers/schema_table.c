/* SPDX-License-Identifier: MIT */
/*
 * schema_table.c — the schema of hmap_events.h turned into a lookup table.
 *
 * Offsets come from offsetof() on the packed structs of hmap_native.h, so the
 * table and the native layout cannot disagree.  The table is filled once, on
 * first use: each event's field list expands inside a block where `cur_t`
 * names that event's payload struct.
 */
#include <string.h>

#include "schema_table.h"

static struct bs_event_desc table[HMAP_EVENT_MAX_ID + 1];
static int table_ready;

#define BS_KIND_ptr BS_FIELD_PTR
#define BS_KIND_u8 BS_FIELD_INT
#define BS_KIND_u16 BS_FIELD_INT
#define BS_KIND_u32 BS_FIELD_INT
#define BS_KIND_u64 BS_FIELD_INT

static void add_field(struct bs_event_desc *ev, const char *name, enum bs_field_kind kind,
                      size_t offset, size_t size, const char *enum_name)
{
    unsigned i = ev->nfields++;
    ev->fields[i] = (struct bs_field_desc){name, kind, (uint16_t)offset, (uint16_t)size};
    ev->enum_of[i] = enum_name;
}

#define F_(t, n, d)                                                                                \
    add_field(ev, #n, BS_KIND_##t, offsetof(cur_t, n), sizeof(((cur_t *)0)->n), NULL);
#define E_(t, n, e, d)                                                                             \
    add_field(ev, #n, BS_FIELD_ENUM, offsetof(cur_t, n), sizeof(((cur_t *)0)->n), #e);
#define S_(n, l, d)                                                                                \
    add_field(ev, #n, BS_FIELD_STRING, offsetof(cur_t, n), sizeof(((cur_t *)0)->n), NULL);
#define EV_(id_, name_, desc_, fields_)                                                            \
    {                                                                                              \
        typedef struct hmap_native_##name_ cur_t;                                                  \
        struct bs_event_desc *ev = &table[id_];                                                    \
        ev->id = id_;                                                                              \
        ev->name = #name_;                                                                         \
        ev->payload_size = sizeof(cur_t);                                                          \
        fields_                                                                                    \
    }

static void table_init(void)
{
    if (table_ready) return;
    HMAP_EVENTS(EV_, F_, E_, S_)
    table_ready = 1;
}

const struct bs_event_desc *bs_event_by_id(unsigned id)
{
    table_init();
    if (id == 0 || id > HMAP_EVENT_MAX_ID || !table[id].name) return NULL;
    return &table[id];
}

const struct bs_event_desc *bs_event_by_name(const char *name, size_t len)
{
    table_init();
    for (unsigned id = 1; id <= HMAP_EVENT_MAX_ID; id++)
        if (table[id].name && strlen(table[id].name) == len &&
            memcmp(table[id].name, name, len) == 0)
            return &table[id];
    return NULL;
}

/* Enumerations: one {name, value-name list} per schema enum. */
#define ENUM_ITEM_(sym, val, str) [val] = str,
#define EN_(ename, list)                                                                           \
    {#ename, (const char *[]){list(ENUM_ITEM_) NULL},                                              \
     sizeof((const char *[]){list(ENUM_ITEM_)}) / sizeof(char *)},
static const struct {
    const char *name;
    const char **values;
    unsigned count;
} enums[] = {HMAP_ENUMS(EN_)};

const char *bs_enum_name(const char *enum_name, unsigned v)
{
    for (size_t i = 0; i < sizeof(enums) / sizeof(enums[0]); i++)
        if (strcmp(enums[i].name, enum_name) == 0)
            return v < enums[i].count ? enums[i].values[v] : NULL;
    return NULL;
}
