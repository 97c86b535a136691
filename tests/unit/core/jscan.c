/* tests for core/jscan.c: finding and splicing top-level members */
#include "core/lmx.h"

#include "core/alloc.h"
#include "core/err.h"
#include "core/jscan.h"
#include "test.h"

static const char body[] =
    "{ \"model\" : \"gpt-4o\", \"messages\":[{\"role\":\"user\",\"content\":\"a \\\"}\\\" b\"}],"
    "\"metadata\":{\"x\":[1,2,{\"y\":\"}\"}]},\"temperature\":0.70,\"stream\":true }";

static void find_members(void)
{
    struct lmx_jspan s;

    ASSERT_EQ(lmx_jscan_find(body, sizeof(body) - 1, "model", &s), 0);
    ASSERT_MEM_EQ(body + s.value_start, "\"gpt-4o\"", 8);
    ASSERT_EQ(lmx_jscan_find(body, sizeof(body) - 1, "temperature", &s), 0);
    ASSERT_MEM_EQ(body + s.value_start, "0.70", 4);
    ASSERT_EQ(s.value_end - s.value_start, 4);
    ASSERT_EQ(lmx_jscan_find(body, sizeof(body) - 1, "stream", &s), 0);
    ASSERT_MEM_EQ(body + s.value_start, "true", 4);
    ASSERT_EQ(lmx_jscan_find(body, sizeof(body) - 1, "x", &s), LMX_DECLINED);
    ASSERT_EQ(lmx_jscan_find("[1]", 3, "x", &s), LMX_EBADJSON);
}

static void rewrite_keeps_bytes(void)
{
    struct lmx_buf out;
    const char *drop[] = {"metadata"};

    lmx_buf_init(&out, 1 << 20);
    ASSERT_EQ(lmx_jscan_rewrite(body, sizeof(body) - 1, drop, 1, "model", "\"up\"", 4, NULL, 0,
                                &out),
              0);
    ASSERT_STR_EQ(out.data, "{\"model\":\"up\",\"messages\":[{\"role\":\"user\",\"content\":\"a "
                            "\\\"}\\\" b\"}],\"temperature\":0.70,\"stream\":true}");
    lmx_buf_release(&out);
}

static void rewrite_adds_missing(void)
{
    struct lmx_buf out;

    lmx_buf_init(&out, 1 << 20);
    ASSERT_EQ(lmx_jscan_rewrite("{}", 2, NULL, 0, "model", "\"m\"", 3, ",\"a\":1", 6, &out), 0);
    ASSERT_STR_EQ(out.data, "{\"model\":\"m\",\"a\":1}");
    lmx_buf_reset(&out);
    ASSERT_EQ(lmx_jscan_rewrite("{\"x\":1}", 7, NULL, 0, NULL, NULL, 0, ",\"a\":1", 6, &out), 0);
    ASSERT_STR_EQ(out.data, "{\"x\":1,\"a\":1}");
    lmx_buf_reset(&out);
    ASSERT_EQ(lmx_jscan_rewrite("{}", 2, NULL, 0, NULL, NULL, 0, ",\"a\":1", 6, &out), 0);
    ASSERT_STR_EQ(out.data, "{\"a\":1}");
    lmx_buf_release(&out);
}

static void rewrite_rejects_garbage(void)
{
    struct lmx_buf out;

    lmx_buf_init(&out, 1 << 20);
    ASSERT_EQ(lmx_jscan_rewrite("{\"a\" 1}", 7, NULL, 0, NULL, NULL, 0, NULL, 0, &out),
              LMX_EBADJSON);
    lmx_buf_reset(&out);
    ASSERT_EQ(lmx_jscan_rewrite("{\"a\":\"open", 10, NULL, 0, NULL, NULL, 0, NULL, 0, &out),
              LMX_EBADJSON);
    lmx_buf_release(&out);
}

static void structural_check(void)
{
    ASSERT_EQ(lmx_jscan_check(body, sizeof(body) - 1), 0);
    ASSERT_EQ(lmx_jscan_check("{}", 2), 0);
    ASSERT_EQ(lmx_jscan_check(" {\"a\":[1,{\"b\":\"]\"}]} \n", 22), 0);
    ASSERT_EQ(lmx_jscan_check("{\"a\":\"mo", 9), LMX_EBADJSON);
    ASSERT_EQ(lmx_jscan_check("{\"a\":[1,2", 10), LMX_EBADJSON);
    ASSERT_EQ(lmx_jscan_check("{\"a\":1", 6), LMX_EBADJSON);
    ASSERT_EQ(lmx_jscan_check("{\"a\":1} x", 10), LMX_EBADJSON);
    ASSERT_EQ(lmx_jscan_check("[1]", 3), LMX_EBADJSON);
}

int main(void)
{
    RUN(structural_check);
    RUN(find_members);
    RUN(rewrite_keeps_bytes);
    RUN(rewrite_adds_missing);
    RUN(rewrite_rejects_garbage);
    TEST_MAIN_END();
}
