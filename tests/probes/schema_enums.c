/* SPDX-License-Identifier: MIT */
/*
 * schema_enums.c — the LTTng-visible shape of the schema, one fact per line:
 *     fields <event> <field> <field> ...      (schema order)
 *     enum <event> <field> <value> <label>    (every value of every E field)
 * The equivalence test compares this with the CTF metadata of a real LTTng
 * trace, and checks every enumeration label babeltrace2 decodes against it.
 */
#include <stdio.h>
#include <string.h>

#include "hmap_events.h"

/* For enum e, print every (value, label) of one field. */
#define LABEL_(sym, val, str) printf("enum %s %s %d %s\n", ev, field, val, str);
#define EN_(ename, list)                                                                           \
    if (strcmp(e, #ename) == 0) {                                                                  \
        list(LABEL_)                                                                               \
    }
static void print_enum(const char *ev, const char *field, const char *e)
{
    HMAP_ENUMS(EN_)
}

#define NAME_F_(t, n, d) printf(" %s", #n);
#define NAME_E_(t, n, e, d) printf(" %s", #n);
#define NAME_S_(n, l, d) printf(" %s", #n);
#define FIELDS_(id, name, desc, fields)                                                            \
    printf("fields %s", #name);                                                                    \
    fields putchar('\n');

#define ENUM_F_(t, n, d)
#define ENUM_E_(t, n, e, d) print_enum(ev, #n, #e);
#define ENUM_S_(n, l, d)
#define ENUMS_(id, name, desc, fields)                                                             \
    {                                                                                              \
        const char *ev = #name;                                                                    \
        (void)ev;                                                                                  \
        fields                                                                                     \
    }

int main(void)
{
    HMAP_EVENTS(FIELDS_, NAME_F_, NAME_E_, NAME_S_)
    HMAP_EVENTS(ENUMS_, ENUM_F_, ENUM_E_, ENUM_S_)
    return 0;
}
