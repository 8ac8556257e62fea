/*
 * report_common.c — helpers shared by the report writers.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "report.h"
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

static int by_empty_retention(const void *a, const void *b)
{
    const struct bs_map *x = *(const struct bs_map *const *)a,
                        *y = *(const struct bs_map *const *)b;
    if (x->g.empty_byte_ns != y->g.empty_byte_ns)
        return x->g.empty_byte_ns > y->g.empty_byte_ns ? -1 : 1;
    if (x->pid != y->pid) return x->pid < y->pid ? -1 : 1;
    if (x->addr != y->addr) return x->addr < y->addr ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

const struct bs_map **bs_sorted_maps(const struct bs_engine *e)
{
    const struct bs_map **v = malloc((e->nmaps + 1) * sizeof(*v));
    if (!v) return NULL;
    for (uint32_t i = 0; i < e->nmaps; i++)
        v[i] = &e->maps[i];
    qsort(v, e->nmaps, sizeof(*v), by_empty_retention);
    return v;
}
