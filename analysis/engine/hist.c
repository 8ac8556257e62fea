/* SPDX-License-Identifier: MIT */
/*
 * hist.c — fixed-size latency histograms and the statistics drawn from them.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"

/* Values < 256 map to themselves; a value whose leading bit is b >= 8 maps
 * to 128 * (b - 6) + (v >> (b - 7)), which lies in [128(b-6)+128, 128(b-6)+255]:
 * consecutive ranges, 128 buckets per power of two. */
unsigned bs_hist_index(uint64_t v)
{
    if (v < 256) return (unsigned)v;
    unsigned b = 63 - (unsigned)__builtin_clzll(v);
    unsigned shift = b - 7;
    return 128 * shift + (unsigned)(v >> shift);
}

uint64_t bs_hist_lower(unsigned idx)
{
    if (idx < 256) return idx;
    unsigned shift = idx / 128 - 1;
    return (uint64_t)(idx - 128 * shift) << shift;
}

/* From here on the fine histogram only: quantiles become approximate. */
static void drop_exact(struct bs_hist *h)
{
    h->inexact = 1;
    free(h->exact);
    h->exact = NULL;
}

/* Room for `need` exact samples (the array at least doubles, so adding one
 * at a time stays amortised O(1)).  Keeps: when memory runs out the samples
 * are dropped, never half kept; returns whether there is room. */
static inline int reserve_exact(struct bs_hist *h, uint64_t need)
{
    if (need <= h->exact_cap) return 1;
    uint64_t cap = h->exact_cap ? 2 * (uint64_t)h->exact_cap : 1024;
    if (cap < need) cap = need;
    if (cap > BS_EXACT_MAX) cap = BS_EXACT_MAX;
    uint64_t *n = realloc(h->exact, cap * sizeof(*n));
    if (!n) {
        drop_exact(h);
        return 0;
    }
    h->exact = n;
    h->exact_cap = (uint32_t)cap;
    return 1;
}

void bs_hist_add(struct bs_hist *h, uint64_t v)
{
    if (!h->inexact) {
        if (h->count == BS_EXACT_MAX) {
            drop_exact(h);
        } else if (reserve_exact(h, h->count + 1)) {
            h->exact[h->count] = v;
            h->sealed = 0;
        }
    }
    h->fine[bs_hist_index(v)]++;
    h->count++;
    h->sum += (double)v;
    if (v > h->max) h->max = v;
}

uint64_t bs_hist_quantile(const struct bs_hist *h, double q)
{
    if (h->count == 0) return 0;
    uint64_t rank = (uint64_t)ceil(q * (double)h->count - 1e-9); /* nearest rank */
    if (rank < 1) rank = 1;
    if (rank > h->count) rank = h->count;
    if (!h->inexact) return h->exact[rank - 1];
    uint64_t seen = 0;
    for (unsigned i = 0; i < BS_FINE_SLOTS; i++) {
        seen += h->fine[i];
        if (seen >= rank) {
            uint64_t lo = bs_hist_lower(i);
            return lo > h->max ? h->max : lo;
        }
    }
    return h->max;
}

static unsigned log2l_bcc(uint64_t v)
{
    return v <= 1 ? 0 : 63 - (unsigned)__builtin_clzll(v);
}

/* The log2 view is built from each fine bucket's lower edge.  A fine bucket
 * never straddles a power of two in ns, so with unit 1 the slots are exact; in
 * a unit such as 1000 (us) a bucket at a slot edge can land one slot low, an
 * error below 1/128 of the value. */
int bs_hist_log2(const struct bs_hist *h, uint64_t unit, uint64_t slots[BS_LOG2_SLOTS])
{
    memset(slots, 0, sizeof(uint64_t) * BS_LOG2_SLOTS);
    int used = 0;
    if (!h->inexact) {
        for (uint64_t i = 0; i < h->count; i++) {
            unsigned s = log2l_bcc(h->exact[i] / unit);
            slots[s]++;
            if ((int)s + 1 > used) used = (int)s + 1;
        }
        return used;
    }
    for (unsigned i = 0; i < BS_FINE_SLOTS; i++) {
        if (!h->fine[i]) continue;
        unsigned s = log2l_bcc(bs_hist_lower(i) / unit);
        slots[s] += h->fine[i];
        if ((int)s + 1 > used) used = (int)s + 1;
    }
    return used;
}

static void print_stars(FILE *out, uint64_t val, uint64_t val_max, int width)
{
    int stars = val_max ? (int)((val < val_max ? val : val_max) * (uint64_t)width / val_max) : 0;
    for (int i = 0; i < stars; i++)
        fputc('*', out);
    for (int i = stars; i < width; i++)
        fputc(' ', out);
}

void bs_print_log2_hist(FILE *out, const uint64_t *slots, int nslots, const char *unit_name)
{
    uint64_t val_max = 0, total = 0, cum = 0;
    int idx_max = -1;
    for (int i = 0; i < nslots; i++) {
        if (slots[i]) idx_max = i;
        if (slots[i] > val_max) val_max = slots[i];
        total += slots[i];
    }
    if (idx_max < 0) {
        fprintf(out, "     (no samples)\n");
        return;
    }
    int wide = idx_max > 32;
    int stars = wide ? 20 : 40, width = wide ? 20 : 10;
    fprintf(out, "%*s%-*s : count    distribution%*s cumulative\n", wide ? 15 : 5, "",
            wide ? 29 : 19, unit_name, stars - 10, "");
    for (int i = 0; i <= idx_max; i++) {
        unsigned long long low = (1ULL << (i + 1)) >> 1, high = (1ULL << (i + 1)) - 1;
        if (low == high) low -= 1;
        cum += slots[i];
        fprintf(out, "%*llu -> %-*llu : %-8llu |", width, low, width, high,
                (unsigned long long)slots[i]);
        print_stars(out, slots[i], val_max, stars);
        fprintf(out, "| %6.2f%%\n", 100.0 * (double)cum / (double)total);
    }
}

int bs_km_median(const struct bs_hist *ev, const struct bs_hist *cens, uint64_t *out)
{
    uint64_t at_risk = ev->count + cens->count;
    double surv = 1.0;
    if (!ev->inexact && !cens->inexact) {
        /* Exact: walk both sorted sample lists; censored at t are at risk at t. */
        uint64_t i = 0, j = 0;
        while (i < ev->count) {
            uint64_t t = ev->exact[i], d = 0;
            while (j < cens->count && cens->exact[j] < t) {
                j++;
                at_risk--;
            }
            while (i < ev->count && ev->exact[i] == t) {
                i++;
                d++;
            }
            surv *= 1.0 - (double)d / (double)at_risk;
            if (surv <= 0.5) {
                *out = t;
                return 1;
            }
            at_risk -= d;
        }
        return 0;
    }
    for (unsigned i = 0; i < BS_FINE_SLOTS && at_risk; i++) {
        uint64_t d = ev->fine[i];
        if (d) {
            surv *= 1.0 - (double)d / (double)at_risk;
            if (surv <= 0.5) {
                *out = bs_hist_lower(i);
                return 1;
            }
        }
        at_risk -= d + cens->fine[i];
    }
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

void bs_hist_seal(struct bs_hist *h)
{
    if (!h->inexact && !h->sealed && h->count)
        qsort(h->exact, h->count, sizeof(*h->exact), cmp_u64);
    h->sealed = 1;
}

void bs_hist_free(struct bs_hist *h)
{
    free(h->exact);
    h->exact = NULL;
}

void bs_hist_merge(struct bs_hist *dst, const struct bs_hist *src)
{
    if (!src->count) return;
    if (!dst->inexact) {
        if (src->inexact || dst->count + src->count > BS_EXACT_MAX) {
            drop_exact(dst); /* bs_hist_add would have dropped them too */
        } else if (reserve_exact(dst, dst->count + src->count)) {
            memcpy(dst->exact + dst->count, src->exact, src->count * sizeof(*src->exact));
            dst->sealed = 0;
        }
    }
    for (unsigned i = 0; i < BS_FINE_SLOTS; i++)
        dst->fine[i] += src->fine[i];
    dst->count += src->count;
    dst->sum += src->sum;
    if (src->max > dst->max) dst->max = src->max;
}
