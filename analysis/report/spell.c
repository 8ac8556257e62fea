/* SPDX-License-Identifier: MIT */
/* spell.c — times and schema names as the writers print them (spell.h). */
#include <inttypes.h>
#include <stdio.h>

#include "spell.h"
#include "schema_table.h"

/* ns, us (spelled `micro`), ms or s, three decimals past ns. */
static const char *fmt_ns_as(uint64_t ns, const char *micro, char *buf, size_t len)
{
    if (ns < 1000)
        snprintf(buf, len, "%" PRIu64 " ns", ns);
    else if (ns < 1000000)
        snprintf(buf, len, "%.3f %s", (double)ns / 1e3, micro);
    else if (ns < 1000000000)
        snprintf(buf, len, "%.3f ms", (double)ns / 1e6);
    else
        snprintf(buf, len, "%.3f s", (double)ns / 1e9);
    return buf;
}

const char *bs_fmt_ns(uint64_t ns, char *buf, size_t len)
{
    return fmt_ns_as(ns, "us", buf, len);
}

const char *bs_reclaim_name(unsigned v)
{
    return bs_enum_or("reclaim", v, "?");
}

/* Binary units, one decimal: "29.1 MiB"; below 1 KiB exact: "144 B". */
const char *bs_fmt_bytes(uint64_t n, char *buf, size_t len)
{
    static const char *const unit[] = {"KiB", "MiB", "GiB", "TiB"};
    if (n < 1024) {
        snprintf(buf, len, "%" PRIu64 " B", n);
        return buf;
    }
    double v = (double)n / 1024;
    unsigned u = 0;
    for (; v >= 1024 && u + 1 < sizeof(unit) / sizeof(unit[0]); u++)
        v /= 1024;
    snprintf(buf, len, "%.1f %s", v, unit[u]);
    return buf;
}

const char *bs_enum_or(const char *enum_name, unsigned v, const char *none)
{
    const char *n = bs_enum_name(enum_name, v);
    return n ? n : none;
}

/* Thousands separated by commas ("1,190,000"): ASCII, so that columns line
 * up in any terminal, and no field splitter (awk's default, the tests'
 * shell reads) mistakes one count for three, as a space would make it. */
const char *bs_fmt_count(uint64_t n, char *buf, size_t len)
{
    char digits[24];
    int nd = snprintf(digits, sizeof(digits), "%" PRIu64, n);
    size_t o = 0;
    for (int i = 0; i < nd && o + 1 < len; i++) {
        if (i && (nd - i) % 3 == 0 && o + 2 < len) buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = 0;
    return buf;
}

/* As bs_fmt_ns, with the micro sign: "12.345 µs". */
const char *bs_fmt_dur(uint64_t ns, char *buf, size_t len)
{
    return fmt_ns_as(ns, "µs", buf, len);
}

/* Three significant digits, for axis ticks: "0", "512 µs", "1.05 s". */
const char *bs_fmt_dur_short(double ns, char *buf, size_t len)
{
    if (ns <= 0)
        snprintf(buf, len, "0");
    else if (ns < 1e3)
        snprintf(buf, len, "%.3g ns", ns);
    else if (ns < 1e6)
        snprintf(buf, len, "%.3g µs", ns / 1e3);
    else if (ns < 1e9)
        snprintf(buf, len, "%.3g ms", ns / 1e6);
    else
        snprintf(buf, len, "%.3g s", ns / 1e9);
    return buf;
}

/* Empty-slot bytes integrated over time, in the binary unit of its size:
 * "41.9 MiB·s"; one decimal throughout (the integral is rarely whole). */
const char *bs_fmt_byte_seconds(double v, char *buf, size_t len)
{
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    unsigned u = 0;
    for (; v >= 1024 && u + 1 < sizeof(unit) / sizeof(unit[0]); u++)
        v /= 1024;
    snprintf(buf, len, "%.1f %s·s", v, unit[u]);
    return buf;
}
