/*
 * bench/hist.c - log-linear latency histogram for llmux-load (see hist.h).
 *
 * Index layout: values v < LMX_HIST_FULL map to bucket v. Larger values keep
 * their top LMX_HIST_SUB_BITS bits: with msb the position of the highest set bit
 * and shift = msb - (LMX_HIST_SUB_BITS - 1), top = v >> shift lies in
 * [LMX_HIST_HALF, LMX_HIST_FULL) and the index is
 * LMX_HIST_FULL + (shift - 1) * LMX_HIST_HALF + (top - LMX_HIST_HALF).
 */
#include "core/lmx.h"

#include <string.h>

#include "hist.h"

void lmx_hist_init(struct lmx_hist *h)
{
    memset(h, 0, sizeof(*h));
    h->min = UINT64_MAX;
}

size_t lmx_hist_index(uint64_t ns)
{
    unsigned msb, shift;
    uint64_t top;

    if (ns > LMX_HIST_MAX_NS)
        ns = LMX_HIST_MAX_NS;
    if (ns < LMX_HIST_FULL)
        return (size_t)ns;
    msb = 63u - (unsigned)__builtin_clzll(ns);
    shift = msb - (LMX_HIST_SUB_BITS - 1);
    top = ns >> shift;
    return LMX_HIST_FULL + (size_t)(shift - 1) * LMX_HIST_HALF + (size_t)(top - LMX_HIST_HALF);
}

uint64_t lmx_hist_bucket_low(size_t idx)
{
    size_t shift, top;

    if (idx < LMX_HIST_FULL)
        return idx;
    shift = (idx - LMX_HIST_FULL) / LMX_HIST_HALF + 1;
    top = (idx - LMX_HIST_FULL) % LMX_HIST_HALF + LMX_HIST_HALF;
    return (uint64_t)top << shift;
}

uint64_t lmx_hist_bucket_high(size_t idx)
{
    size_t shift;

    if (idx < LMX_HIST_FULL)
        return idx;
    shift = (idx - LMX_HIST_FULL) / LMX_HIST_HALF + 1;
    return lmx_hist_bucket_low(idx) + (((uint64_t)1 << shift) - 1);
}

void lmx_hist_record(struct lmx_hist *h, uint64_t ns)
{
    h->counts[lmx_hist_index(ns)]++;
    h->count++;
    h->sum += ns;
    if (ns < h->min)
        h->min = ns;
    if (ns > h->max)
        h->max = ns;
}

void lmx_hist_merge(struct lmx_hist *dst, const struct lmx_hist *src)
{
    size_t i;

    if (src->count == 0)
        return;
    for (i = 0; i < LMX_HIST_BUCKETS; i++)
        dst->counts[i] += src->counts[i];
    dst->count += src->count;
    dst->sum += src->sum;
    if (src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
}

uint64_t lmx_hist_percentile(const struct lmx_hist *h, double p)
{
    uint64_t rank, seen = 0, v;
    double r;
    size_t i;

    if (h->count == 0)
        return 0;
    if (p >= 100.0)
        return h->max;
    if (p < 0.0)
        p = 0.0;
    r = p / 100.0 * (double)h->count;
    rank = (uint64_t)r;
    if ((double)rank < r)
        rank++;
    if (rank == 0)
        rank = 1;
    for (i = 0; i < LMX_HIST_BUCKETS; i++) {
        seen += h->counts[i];
        if (seen >= rank)
            break;
    }
    if (LMX_NEVER(i == LMX_HIST_BUCKETS))
        return h->max;
    v = lmx_hist_bucket_high(i);
    if (v > h->max)
        v = h->max;
    if (v < h->min)
        v = h->min;
    return v;
}

double lmx_hist_mean(const struct lmx_hist *h)
{
    return h->count ? (double)h->sum / (double)h->count : 0.0;
}
