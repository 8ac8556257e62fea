/* SPDX-License-Identifier: MIT */
/* spell.c — times and schema names as the writers print them (spell.h). */
#include <inttypes.h>
#include <stdio.h>

#include "spell.h"
#include "schema_table.h"

const char *bs_fmt_ns(uint64_t ns, char *buf, size_t len)
{
    if (ns < 1000)
        snprintf(buf, len, "%" PRIu64 " ns", ns);
    else if (ns < 1000000)
        snprintf(buf, len, "%.3f us", (double)ns / 1e3);
    else if (ns < 1000000000)
        snprintf(buf, len, "%.3f ms", (double)ns / 1e6);
    else
        snprintf(buf, len, "%.3f s", (double)ns / 1e9);
    return buf;
}

const char *bs_reclaim_name(unsigned v)
{
    const char *n = bs_enum_name("reclaim", v);
    return n ? n : "?";
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
