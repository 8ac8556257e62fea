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
/* "29.1 MiB" style (binary units, one decimal), exact bytes below 1 KiB. */
const char *bs_fmt_bytes(uint64_t n, char *buf, size_t len);
/* "1,190,000": thousands separated by commas (docs/report.md, "Terminal
 * report", units). */
const char *bs_fmt_count(uint64_t n, char *buf, size_t len);
/* "12.345 µs": bs_fmt_ns with the micro sign, for the text report and SVG. */
const char *bs_fmt_dur(uint64_t ns, char *buf, size_t len);
/* "1.05 s": three significant digits, for axis ticks. */
const char *bs_fmt_dur_short(double ns, char *buf, size_t len);
/* "41.9 MiB·s": byte-seconds in binary units, one decimal. */
const char *bs_fmt_byte_seconds(double byte_seconds, char *buf, size_t len);
/* Name of value v of a schema enumeration, or `none` if it has none. */
const char *bs_enum_or(const char *enum_name, unsigned v, const char *none);

#endif /* BS_REPORT_SPELL_H */
