/* tests for route/retry.c: error classes, retry counts, cooldowns, backoff, fallback lists */
#include "core/lmx.h"

#include <string.h>

#include "core/err.h"
#include "route/retry.h"
#include "test.h"

static const char ctxmsg[] = "{\"error\":{\"message\":\"This model's maximum context length is "
                             "4096 tokens\",\"code\":\"context_length_exceeded\"}}";
static const char filter[] = "{\"error\":{\"code\":\"content_filter\",\"message\":\"blocked\"}}";

static void classes(void)
{
    ASSERT_EQ(lmx_route_classify(LMX_ETIMEOUT, 0, NULL, 0), LMX_EC_TIMEOUT);
    ASSERT_EQ(lmx_route_classify(LMX_ECONNECT, 0, NULL, 0), LMX_EC_CONNECT);
    ASSERT_EQ(lmx_route_classify(LMX_EUPSTREAM, 0, NULL, 0), LMX_EC_CONNECT);
    ASSERT_EQ(lmx_route_classify(0, 429, NULL, 0), LMX_EC_RATELIMIT);
    ASSERT_EQ(lmx_route_classify(0, 401, NULL, 0), LMX_EC_AUTH);
    ASSERT_EQ(lmx_route_classify(0, 404, NULL, 0), LMX_EC_NOTFOUND);
    ASSERT_EQ(lmx_route_classify(0, 408, NULL, 0), LMX_EC_TIMEOUT);
    ASSERT_EQ(lmx_route_classify(0, 500, NULL, 0), LMX_EC_SERVER);
    ASSERT_EQ(lmx_route_classify(0, 529, NULL, 0), LMX_EC_SERVER);
    ASSERT_EQ(lmx_route_classify(0, 400, "{}", 2), LMX_EC_BADREQ);
    ASSERT_EQ(lmx_route_classify(0, 400, ctxmsg, sizeof(ctxmsg) - 1), LMX_EC_CONTEXT_WINDOW);
    ASSERT_EQ(lmx_route_classify(0, 400, filter, sizeof(filter) - 1), LMX_EC_CONTENT_POLICY);
    ASSERT_STR_EQ(lmx_route_class_name(LMX_EC_RATELIMIT), "RateLimitError");
}

static void retry_counts(void)
{
    struct lmx_router_cfg rc;

    memset(&rc, 0, sizeof(rc));
    for (int i = 0; i < LMX_EC_N; i++)
        rc.retry_policy[i] = -1;
    ASSERT_EQ(lmx_route_retries_for(&rc, LMX_EC_SERVER, 2), 2);
    ASSERT_EQ(lmx_route_retries_for(&rc, LMX_EC_RATELIMIT, 2), 2);
    ASSERT_EQ(lmx_route_retries_for(&rc, LMX_EC_BADREQ, 2), 0);
    ASSERT_EQ(lmx_route_retries_for(&rc, LMX_EC_AUTH, 2), 0);
    rc.retry_policy[LMX_EC_RATELIMIT] = 5;
    rc.retry_policy[LMX_EC_BADREQ] = 1;
    ASSERT_EQ(lmx_route_retries_for(&rc, LMX_EC_RATELIMIT, 2), 5);
    ASSERT_EQ(lmx_route_retries_for(&rc, LMX_EC_BADREQ, 2), 1);
    ASSERT_EQ(lmx_route_retries_for(NULL, LMX_EC_TIMEOUT, 3), 3);
}

static void cooldowns(void)
{
    struct lmx_router_cfg rc;
    struct lmx_deployment d;
    uint64_t now = lmx_wall_ms();

    memset(&rc, 0, sizeof(rc));
    memset(&d, 0, sizeof(d));
    d.cooldown_time = -1;
    for (int i = 0; i < LMX_EC_N; i++)
        rc.allowed_fails_policy[i] = -1;
    rc.allowed_fails = 1;
    rc.cooldown_time = 5;
    d.state = lmx_dstate_get("cool-a");
    d.litellm_params = json_object();
    /* a caller's 400 never cools */
    lmx_dstate_begin(d.state, now);
    lmx_dstate_end(d.state, now, false, LMX_EC_BADREQ, 0, 0);
    ASSERT(!lmx_route_maybe_cool(&rc, &d, 2, LMX_EC_BADREQ, 400, now));
    /* 401 cools at once, but never a group's only deployment */
    ASSERT(!lmx_route_maybe_cool(&rc, &d, 1, LMX_EC_AUTH, 401, now));
    ASSERT(lmx_route_maybe_cool(&rc, &d, 2, LMX_EC_AUTH, 401, now));
    ASSERT(lmx_dstate_cooling(d.state, now + 4000));
    ASSERT(!lmx_dstate_cooling(d.state, now + 5001));
    lmx_dstate_uncool(d.state);
    /* transient: only past allowed_fails this minute (2 fails counted now) */
    lmx_dstate_begin(d.state, now);
    lmx_dstate_end(d.state, now, false, LMX_EC_SERVER, 0, 0);
    ASSERT(lmx_route_maybe_cool(&rc, &d, 2, LMX_EC_SERVER, 500, now));
    lmx_dstate_uncool(d.state);
    rc.allowed_fails_policy[LMX_EC_SERVER] = 5;
    ASSERT(!lmx_route_maybe_cool(&rc, &d, 2, LMX_EC_SERVER, 500, now));
    rc.disable_cooldowns = true;
    ASSERT(!lmx_route_maybe_cool(&rc, &d, 2, LMX_EC_AUTH, 401, now));
    json_decref(d.litellm_params);
}

static void backoff(void)
{
    struct lmx_router_cfg rc;

    memset(&rc, 0, sizeof(rc));
    for (int k = 0; k < 8; k++) {
        double w = lmx_route_backoff(&rc, k, 0);

        ASSERT(w > 0 && w <= 8);
    }
    ASSERT(lmx_route_backoff(&rc, 0, 3) >= 3);
    ASSERT(lmx_route_backoff(&rc, 0, 600) <= 60);
    rc.retry_after = 2;
    ASSERT(lmx_route_backoff(&rc, 0, 0) >= 2);
}

static void fallback_lists(void)
{
    struct lmx_router_cfg rc;
    json_t *req = json_pack("[s]", "z");

    memset(&rc, 0, sizeof(rc));
    rc.fallbacks = json_pack("[{s:[s,s]}]", "a", "b", "c");
    rc.context_window_fallbacks = json_pack("[{s:[s]}]", "a", "big");
    rc.default_fallbacks = json_pack("[s]", "d");
    ASSERT_EQ(json_array_size(lmx_route_fallbacks(&rc, "a", LMX_EC_SERVER, NULL)), 2);
    ASSERT_STR_EQ(json_string_value(json_array_get(
                      lmx_route_fallbacks(&rc, "a", LMX_EC_CONTEXT_WINDOW, NULL), 0)),
                  "big");
    ASSERT_STR_EQ(json_string_value(json_array_get(
                      lmx_route_fallbacks(&rc, "x", LMX_EC_RATELIMIT, NULL), 0)),
                  "d");
    ASSERT(lmx_route_fallbacks(&rc, "a", LMX_EC_BADREQ, NULL) == NULL);
    ASSERT(lmx_route_fallbacks(&rc, "a", LMX_EC_SERVER, req) == req);
    json_decref(rc.fallbacks);
    json_decref(rc.context_window_fallbacks);
    json_decref(rc.default_fallbacks);
    json_decref(req);
}

int main(void)
{
    RUN(classes);
    RUN(retry_counts);
    RUN(cooldowns);
    RUN(backoff);
    RUN(fallback_lists);
    lmx_dstate_registry_free();
    TEST_MAIN_END();
}
