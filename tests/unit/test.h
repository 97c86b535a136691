/*
 * tests/unit/test.h - typed asserts that print both values, and a test runner.
 */
#ifndef LMX_TEST_H
#define LMX_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int lmx_test_failures;

#define ASSERT_(cond, fmt, ...)                                                                    \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: assertion failed: " fmt "\n", __FILE__, __LINE__,             \
                    __VA_ARGS__);                                                                  \
            lmx_test_failures++;                                                                   \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define ASSERT(c) ASSERT_((c), "%s", #c)
#define ASSERT_EQ(a, b)                                                                            \
    ASSERT_((long long)(a) == (long long)(b), "%s == %s (%lld vs %lld)", #a, #b, (long long)(a),   \
            (long long)(b))
#define ASSERT_STR_EQ(a, b)                                                                        \
    ASSERT_((a) != NULL && (b) != NULL && strcmp((a), (b)) == 0, "%s == %s (\"%s\" vs \"%s\")",   \
            #a, #b, (a) ? (a) : "(null)", (b) ? (b) : "(null)")
#define ASSERT_MEM_EQ(a, b, n)                                                                     \
    ASSERT_(memcmp((a), (b), (n)) == 0, "%s == %s (%.*s vs %.*s)", #a, #b, (int)(n), (a),         \
            (int)(n), (b))
#define ASSERT_DBL_EQ(a, b)                                                                        \
    ASSERT_(((a) - (b)) < 1e-12 && ((b) - (a)) < 1e-12, "%s == %s (%.15g vs %.15g)", #a, #b,     \
            (double)(a), (double)(b))

#define RUN(fn)                                                                                    \
    do {                                                                                           \
        int before_ = lmx_test_failures;                                                           \
        fn();                                                                                      \
        fprintf(stderr, "%s %s\n", lmx_test_failures == before_ ? "ok  " : "FAIL", #fn);          \
    } while (0)

#define TEST_MAIN_END()                                                                            \
    do {                                                                                           \
        if (lmx_test_failures) {                                                                   \
            fprintf(stderr, "%d failure(s)\n", lmx_test_failures);                                 \
            return 1;                                                                              \
        }                                                                                          \
        return 0;                                                                                  \
    } while (0)

#endif
