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
