/*
 * tests/unit/bench/histogram.c - the log-linear histogram of llmux-load (bench/hist.c).
 *
 * bench/ is not part of lmx_core, so the file under test is included directly.
 */
#include "core/lmx.h"

#include "../../../bench/hist.c"
#include "test.h"

static struct lmx_hist h1, h2;

static void test_index_bounds(void)
{
    uint64_t v, prev_idx = 0;
    size_t idx;

    /* Every value lies inside its bucket; indices never decrease; width <= v / 1024. */
    for (v = 0; v < 50000000000ull; v = v < 5000 ? v + 1 : v + v / 997 + 1) {
        idx = lmx_hist_index(v);
        ASSERT(idx < LMX_HIST_BUCKETS);
        ASSERT(idx >= prev_idx);
        ASSERT(lmx_hist_bucket_low(idx) <= v);
        ASSERT(lmx_hist_bucket_high(idx) >= v);
        ASSERT((lmx_hist_bucket_high(idx) - lmx_hist_bucket_low(idx)) * 1024 <= v);
        prev_idx = idx;
    }
    /* Consecutive buckets tile the range with no gap. */
    for (idx = 1; idx < LMX_HIST_BUCKETS; idx++)
        ASSERT_EQ(lmx_hist_bucket_low(idx), lmx_hist_bucket_high(idx - 1) + 1);
    ASSERT_EQ(lmx_hist_index(LMX_HIST_MAX_NS), lmx_hist_index(LMX_HIST_MAX_NS * 10));
    ASSERT(lmx_hist_index(LMX_HIST_MAX_NS) < LMX_HIST_BUCKETS);
    ASSERT_EQ(lmx_hist_index(0), 0);
    ASSERT_EQ(lmx_hist_index(2047), 2047);
}

static void test_empty(void)
{
    lmx_hist_init(&h1);
    ASSERT_EQ(lmx_hist_percentile(&h1, 50), 0);
    ASSERT_EQ(lmx_hist_percentile(&h1, 100), 0);
    ASSERT_DBL_EQ(lmx_hist_mean(&h1), 0.0);
}

/* 1..100000 us, each once: percentile p is p * 1000 us within 0.1%. */
static void test_percentiles_uniform(void)
{
    static const double ps[] = {1, 10, 50, 90, 99, 99.9};
    uint64_t i, want, got;
    size_t k;

    lmx_hist_init(&h1);
    for (i = 1; i <= 100000; i++)
        lmx_hist_record(&h1, i * 1000);
    ASSERT_EQ(h1.count, 100000);
    ASSERT_EQ(h1.min, 1000);
    ASSERT_EQ(h1.max, 100000000);
    ASSERT_EQ(lmx_hist_percentile(&h1, 100), 100000000);
    ASSERT_EQ(lmx_hist_percentile(&h1, 0), 1000);
    for (k = 0; k < LMX_ARRAY_SIZE(ps); k++) {
        want = (uint64_t)(ps[k] * 1000.0) * 1000;
        got = lmx_hist_percentile(&h1, ps[k]);
        ASSERT_(got >= want && got <= want + want / 1000, "p%g: %llu vs %llu", ps[k],
                (unsigned long long)got, (unsigned long long)want);
    }
    ASSERT(lmx_hist_mean(&h1) > 50000499.0 && lmx_hist_mean(&h1) < 50000501.0);
}

/* A bimodal sample: p50 in the low mode, p99 in the high one. */
static void test_percentiles_bimodal(void)
{
    int i;

    lmx_hist_init(&h1);
    for (i = 0; i < 980; i++)
        lmx_hist_record(&h1, 50000000); /* 50 ms */
    for (i = 0; i < 20; i++)
        lmx_hist_record(&h1, 51500000); /* 51.5 ms */
    ASSERT(lmx_hist_percentile(&h1, 50) >= 50000000);
    ASSERT(lmx_hist_percentile(&h1, 50) <= 50000000 + 50000);
    ASSERT_EQ(lmx_hist_percentile(&h1, 98), lmx_hist_percentile(&h1, 50));
    ASSERT(lmx_hist_percentile(&h1, 99) >= 51500000);
    ASSERT(lmx_hist_percentile(&h1, 99) <= 51500000 + 51500);
}

static void test_merge_and_clamp(void)
{
    lmx_hist_init(&h1);
    lmx_hist_init(&h2);
    lmx_hist_record(&h1, 10);
    lmx_hist_record(&h2, 3000);
    lmx_hist_record(&h2, 120000000000ull); /* 120 s: clamped bucket, exact max */
    lmx_hist_merge(&h1, &h2);
    ASSERT_EQ(h1.count, 3);
    ASSERT_EQ(h1.min, 10);
    ASSERT_EQ(h1.max, 120000000000ull);
    ASSERT_EQ(lmx_hist_percentile(&h1, 10), 10);
    ASSERT(lmx_hist_percentile(&h1, 50) >= 3000 && lmx_hist_percentile(&h1, 50) <= 3003);
    ASSERT_EQ(lmx_hist_percentile(&h1, 100), 120000000000ull);
    ASSERT_EQ(h1.counts[lmx_hist_index(LMX_HIST_MAX_NS)], 1);
    lmx_hist_init(&h2);
    lmx_hist_merge(&h1, &h2); /* merging an empty histogram changes nothing */
    ASSERT_EQ(h1.count, 3);
    ASSERT_EQ(h1.min, 10);
}

int main(void)
{
    RUN(test_index_bounds);
    RUN(test_empty);
    RUN(test_percentiles_uniform);
    RUN(test_percentiles_bimodal);
    RUN(test_merge_and_clamp);
    TEST_MAIN_END();
}
