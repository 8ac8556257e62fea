/* SPDX-License-Identifier: MIT */
/* spell.h — how the writers spell times and schema names. */
#ifndef BS_REPORT_SPELL_H
#define BS_REPORT_SPELL_H

#include <stddef.h>
#include <stdint.h>

/* "12.345 ms" style, fixed precision so that output is reproducible. */
const char *bs_fmt_ns(uint64_t ns, char *buf, size_t len);
/* Name of a reclaim policy value, "?" if the schema has none. */
const char *bs_reclaim_name(unsigned v);

#endif /* BS_REPORT_SPELL_H */
