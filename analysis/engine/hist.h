/* SPDX-License-Identifier: MIT */
/*
 * hist.h — latency histograms: a bcc-style log2 view for display and a
 * fine log-linear one for percentiles.
 *
 * The first BS_EXACT_MAX samples are also kept as they are, so for traces up
 * to that many deletes per histogram every statistic is exact.  Beyond it the
 * exact samples are dropped and statistics come from the fine histogram,
 * which keeps values below 256 ns exact and every larger value with 7 bits
 * below its leading bit (percentiles are the lower edge of the fine bucket:
 * relative error under 1/128).  Memory is bounded either way; the maximum is
 * always exact.
 */
#ifndef BS_HIST_H
#define BS_HIST_H

#include <stdint.h>
#include <stdio.h>

#define BS_LOG2_SLOTS 64
#define BS_FINE_SLOTS (57 * 128 + 128)

#define BS_EXACT_MAX (1u << 16)

struct bs_hist {
    uint64_t count;
    uint64_t max;
    double sum;
    uint64_t *exact; /* the samples, while count <= BS_EXACT_MAX; sorted by bs_hist_seal */
    uint32_t exact_cap;
    int sealed, inexact; /* inexact: the exact samples were dropped */
    uint64_t fine[BS_FINE_SLOTS];
};

void bs_hist_add(struct bs_hist *h, uint64_t v);
/* After the last add: sort the exact samples.  Statistics need a sealed
 * histogram when it still holds exact samples. */
void bs_hist_seal(struct bs_hist *h);
void bs_hist_free(struct bs_hist *h);
/* Add every sample of src to dst, as if added one by one (the exact samples
 * are kept while the sum of the counts allows it); src is unchanged. */
void bs_hist_merge(struct bs_hist *dst, const struct bs_hist *src);
/* 1 if the statistics are exact (every sample kept). */
static inline int bs_hist_exact(const struct bs_hist *h)
{
    return !h->inexact;
}
/* Value at quantile q (0..1] by nearest rank; 0 when empty. */
uint64_t bs_hist_quantile(const struct bs_hist *h, double q);
/* Fine bucket index of v and the smallest value of a bucket. */
unsigned bs_hist_index(uint64_t v);
uint64_t bs_hist_lower(unsigned idx);
/* log2 slot counts of the values divided by `unit` (bcc's log2l: 0 and 1
 * share slot 0).  Returns the number of slots used. */
int bs_hist_log2(const struct bs_hist *h, uint64_t unit, uint64_t slots[BS_LOG2_SLOTS]);
/* bcc print_log2_hist layout plus a cumulative-percent column. */
void bs_print_log2_hist(FILE *out, const uint64_t *slots, int nslots, const char *unit_name);

/* Kaplan-Meier median of "time until the event" from event times `ev` and
 * censored times `cens` (censored at t are still at risk at t).  Returns 1
 * and the median in *out, or 0 if survival never falls to 0.5. */
int bs_km_median(const struct bs_hist *ev, const struct bs_hist *cens, uint64_t *out);

#endif /* BS_HIST_H */
