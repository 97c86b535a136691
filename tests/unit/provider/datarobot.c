/*
 * tests/unit/provider/datarobot.c - the datarobot/ adapter: the gateway chat
 * URL from the default base, a base, a base ending in /chat/completions (with
 * and without the slash), other endpoints refused, and the bearer header.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "provider/provider.h"
#include "test.h"

#include "../../../src/provider/datarobot.c"

static const struct lmx_provider_ops *ops = &lmx_provider_datarobot_ops;

/* The chat URL built for a deployment with api_base `base` (NULL: none), or "" on error. */
static const char *url_for(const char *base, enum lmx_endpoint ep, int *rc)
{
    static char text[512];
    struct lmx_deployment d;
    struct lmx_buf b;

    memset(&d, 0, sizeof(d));
    d.provider = "datarobot";
    d.api_base = (char *)base;
    lmx_buf_init(&b, 4096);
    *rc = ops->build_url(&d, ep, "azure/gpt-4o-mini", &b);
    snprintf(text, sizeof(text), "%s", *rc == 0 && b.data != NULL ? b.data : "");
    lmx_buf_release(&b);
    return text;
}

static void test_urls(void)
{
    int rc;

    ASSERT_STR_EQ(url_for(NULL, LMX_EP_CHAT, &rc),
                  "https://app.datarobot.com/api/v2/genai/llmgw/chat/completions/");
    ASSERT_EQ(rc, 0);
    ASSERT_STR_EQ(url_for("https://dr.example.com/", LMX_EP_CHAT, &rc),
                  "https://dr.example.com/api/v2/genai/llmgw/chat/completions/");
    ASSERT_STR_EQ(url_for("https://dr.example.com/api/v2/deployments/d1/chat/completions",
                          LMX_EP_CHAT, &rc),
                  "https://dr.example.com/api/v2/deployments/d1/chat/completions/");
    ASSERT_STR_EQ(url_for("https://dr.example.com/api/v2/deployments/d1/chat/completions/",
                          LMX_EP_CHAT, &rc),
                  "https://dr.example.com/api/v2/deployments/d1/chat/completions/");
    url_for(NULL, LMX_EP_EMBEDDINGS, &rc);
    ASSERT_EQ(rc, LMX_ENOTIMPL);
}

static void test_auth(void)
{
    struct lmx_deployment d;
    const char *lines[4];
    char store[256];

    memset(&d, 0, sizeof(d));
    d.api_key = "dr-key";
    ASSERT_EQ(ops->auth_headers(&d, lines, 4, store, sizeof(store)), 1);
    ASSERT_STR_EQ(lines[0], "Authorization: Bearer dr-key");
    d.api_key = NULL;
    ASSERT_EQ(ops->auth_headers(&d, lines, 4, store, sizeof(store)), 0);
    ASSERT(ops->build == NULL); /* the OpenAI body is forwarded */
}

int main(void)
{
    RUN(test_urls);
    RUN(test_auth);
    TEST_MAIN_END();
}
