/*
 * bench/hist.h - a fixed-size log-linear latency histogram (HDR style).
 *
 * Values are nanoseconds. Below 2^LMX_HIST_SUB_BITS ns every value has its own
 * bucket; above, each power of two is split into 2^(LMX_HIST_SUB_BITS-1) linear
 * buckets, so a bucket is at most 1/1024 (~0.1%) of its value wide. Values above
 * LMX_HIST_MAX_NS (60 s) are clamped into the last bucket (the true maximum is
 * still kept). Memory is fixed (about 216 KB); recording never allocates.
 * Not thread-safe: one histogram per thread, merged at the end.
 */
#ifndef LMX_BENCH_HIST_H
#define LMX_BENCH_HIST_H

#include "core/lmx.h"

#define LMX_HIST_SUB_BITS 11
#define LMX_HIST_FULL     (1u << LMX_HIST_SUB_BITS)
#define LMX_HIST_HALF     (1u << (LMX_HIST_SUB_BITS - 1))
#define LMX_HIST_MAX_NS   60000000000ull
/* 60 s < 2^36 ns: the largest shift is 35 - (LMX_HIST_SUB_BITS - 1) = 25. */
#define LMX_HIST_MAX_SHIFT (35 - (LMX_HIST_SUB_BITS - 1))
#define LMX_HIST_BUCKETS   (LMX_HIST_FULL + LMX_HIST_MAX_SHIFT * LMX_HIST_HALF)

struct lmx_hist {
    uint64_t count;
    uint64_t min;
    uint64_t max;
    uint64_t sum;
    uint64_t counts[LMX_HIST_BUCKETS];
};

/* Empties h. Cannot fail. */
void lmx_hist_init(struct lmx_hist *h);
/* Records one value (ns); values above LMX_HIST_MAX_NS land in the last bucket. */
void lmx_hist_record(struct lmx_hist *h, uint64_t ns);
/* Adds every count of src into dst. */
void lmx_hist_merge(struct lmx_hist *dst, const struct lmx_hist *src);
/*
 * The value at percentile p (0..100): the highest value equivalent to the bucket
 * holding the ceil(p% * count)-th smallest value, clamped to [min, max].
 * p >= 100 gives the exact maximum. Returns 0 for an empty histogram.
 */
uint64_t lmx_hist_percentile(const struct lmx_hist *h, double p);
/* Mean value in ns (0 when empty). */
double lmx_hist_mean(const struct lmx_hist *h);

/* The bucket index of a value, and the lowest and highest value of a bucket. */
size_t lmx_hist_index(uint64_t ns);
uint64_t lmx_hist_bucket_low(size_t idx);
uint64_t lmx_hist_bucket_high(size_t idx);

#endif
