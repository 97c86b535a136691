/* tests for core/buf.c and core/err.c */
#include "core/lmx.h"

#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "test.h"

static void cap_is_hard(void)
{
    struct lmx_buf b;

    lmx_buf_init(&b, 8);
    ASSERT_EQ(lmx_buf_append(&b, "12345678", 8), 0);
    ASSERT_EQ(lmx_buf_append(&b, "9", 1), LMX_ETOOBIG);
    ASSERT_EQ(b.len, 8);
    ASSERT_STR_EQ(b.data, "12345678");
    lmx_buf_consume(&b, 3);
    ASSERT_STR_EQ(b.data, "45678");
    ASSERT_EQ(lmx_buf_printf(&b, "%d", 123), 0);
    ASSERT_STR_EQ(b.data, "45678123");
    ASSERT_EQ(lmx_buf_printf(&b, "x"), LMX_ETOOBIG);
    lmx_buf_release(&b);
}

static void json_strings(void)
{
    struct lmx_buf b;

    lmx_buf_init(&b, 1024);
    ASSERT_EQ(lmx_buf_json_str(&b, "a\"b\\c\n\x01", 7), 0);
    ASSERT_STR_EQ(b.data, "\"a\\\"b\\\\c\\n\\u0001\"");
    lmx_buf_release(&b);
    lmx_buf_init(&b, 4);
    ASSERT_EQ(lmx_buf_json_str(&b, "abcdef", 6), LMX_ETOOBIG);
    ASSERT_EQ(b.len, 0);
    lmx_buf_release(&b);
}

static void error_table(void)
{
    ASSERT_EQ(lmx_err_status(LMX_EAUTH), 401);
    ASSERT_EQ(lmx_err_status(LMX_ETOOBIG), 413);
    ASSERT_EQ(lmx_err_status(LMX_EHDRTOOBIG), 431);
    ASSERT_EQ(lmx_err_status(LMX_ETIMEOUT), 408);
    ASSERT_EQ(lmx_err_status(LMX_ECONNECT), 500);
    ASSERT_STR_EQ(lmx_err_type(LMX_EAUTH), "auth_error");
    ASSERT_STR_EQ(lmx_err_type(LMX_ERATELIMIT), "rate_limit_error");
    ASSERT_EQ(lmx_err_status(12345), 500);
    ASSERT_STR_EQ(lmx_strerror(12345), "unknown error");
}

int main(void)
{
    RUN(cap_is_hard);
    RUN(json_strings);
    RUN(error_table);
    TEST_MAIN_END();
}
