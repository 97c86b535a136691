/* tests for route/settings.c: router_settings with LiteLLM's defaults and precedence */
#include "core/lmx.h"

#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/err.h"
#include "route/settings.h"
#include "route/state.h"
#include "test.h"

static struct lmx_config *load(const char *text)
{
    struct lmx_config *cfg = NULL;
    struct lmx_diag d;

    lmx_diag_init(&d);
    if (lmx_config_load_string("t.yaml", text, strlen(text), &cfg, &d) < 0 ||
        lmx_route_bind(cfg) < 0)
        cfg = NULL;
    lmx_diag_release(&d);
    return cfg;
}

static void defaults(void)
{
    struct lmx_config *cfg = load("model_list:\n  - model_name: a\n    litellm_params: {model: "
                                  "openai/x, api_base: \"http://h/v1\"}\n");
    const struct lmx_router_cfg *r;

    ASSERT(cfg != NULL);
    r = cfg->router;
    ASSERT_EQ(r->strategy, LMX_RS_SHUFFLE);
    ASSERT_EQ(r->allowed_fails, 3);
    ASSERT(!r->allowed_fails_set);
    ASSERT_DBL_EQ(r->cooldown_time, 5);
    ASSERT_EQ(r->max_fallbacks, 5);
    ASSERT(r->redis_host == NULL);
    for (int i = 0; i < LMX_EC_N; i++)
        ASSERT_EQ(r->retry_policy[i], -1);
    ASSERT(cfg->deps[0].state != NULL);
    ASSERT_DBL_EQ(cfg->deps[0].cooldown_time, -1);
    lmx_config_unref(cfg);
}

static void router_wins(void)
{
    struct lmx_config *cfg = load(
        "model_list:\n"
        "  - model_name: a\n"
        "    litellm_params: {model: openai/x, api_base: \"http://h/v1\", cooldown_time: 9,\n"
        "                     input_cost_per_token: 1e-6, output_cost_per_token: \"2e-6\"}\n"
        "    model_info: {max_input_tokens: 4096}\n"
        "  - model_name: a\n"
        "    litellm_params: {model: openai/y, api_base: \"http://h/v1\", weight: 3}\n"
        "litellm_settings:\n"
        "  fallbacks: [{a: [b]}]\n"
        "  allowed_fails: 7\n"
        "router_settings:\n"
        "  routing_strategy: latency-based-routing\n"
        "  routing_strategy_args: {ttl: 30, lowest_latency_buffer: 0.5}\n"
        "  allowed_fails: 2\n"
        "  cooldown_time: 11\n"
        "  disable_cooldowns: true\n"
        "  retry_after: 1.5\n"
        "  stream_timeout: 4\n"
        "  max_fallbacks: 1\n"
        "  enable_pre_call_checks: true\n"
        "  retry_policy: {RateLimitErrorRetries: 4, TimeoutErrorRetries: 1}\n"
        "  allowed_fails_policy: {InternalServerErrorAllowedFails: 6}\n"
        "  default_fallbacks: [c]\n"
        "  redis_url: \"redis://:pw@cache.local:6390/2\"\n");
    const struct lmx_router_cfg *r;

    ASSERT(cfg != NULL);
    r = cfg->router;
    ASSERT_EQ(r->strategy, LMX_RS_LATENCY);
    ASSERT_DBL_EQ(r->ttl, 30);
    ASSERT_DBL_EQ(r->latency_buffer, 0.5);
    ASSERT_EQ(r->allowed_fails, 2); /* router_settings beats litellm_settings */
    ASSERT(r->allowed_fails_set);
    ASSERT_DBL_EQ(r->cooldown_time, 11);
    ASSERT(r->disable_cooldowns);
    ASSERT_DBL_EQ(r->retry_after, 1.5);
    ASSERT_DBL_EQ(r->stream_timeout, 4);
    ASSERT_EQ(r->max_fallbacks, 1);
    ASSERT(r->enable_pre_call_checks);
    ASSERT_EQ(r->retry_policy[LMX_EC_RATELIMIT], 4);
    ASSERT_EQ(r->retry_policy[LMX_EC_TIMEOUT], 1);
    ASSERT_EQ(r->retry_policy[LMX_EC_SERVER], -1);
    ASSERT_EQ(r->allowed_fails_policy[LMX_EC_SERVER], 6);
    ASSERT_EQ(json_array_size(lmx_route_fallbacks_for(r->fallbacks, "a")), 1);
    ASSERT_STR_EQ(json_string_value(json_array_get(r->default_fallbacks, 0)), "c");
    ASSERT_STR_EQ(r->redis_host, "cache.local");
    ASSERT_EQ(r->redis_port, 6390);
    ASSERT_STR_EQ(r->redis_password, "pw");
    ASSERT_EQ(r->redis_db, 2);
    ASSERT_DBL_EQ(cfg->deps[0].cooldown_time, 9);
    ASSERT_DBL_EQ(cfg->deps[0].max_input_tokens, 4096);
    ASSERT_DBL_EQ(cfg->deps[0].price_per_token, 3e-6);
    /* as LiteLLM's simple-shuffle: once any deployment has a weight, one without
     * has weight 0 and is not scheduled; the weighted one fills the schedule */
    ASSERT_EQ(r->sched[0].n, 1);
    ASSERT_EQ(r->sched[0].idx[0], 1);
    lmx_config_unref(cfg);
}

static void redis_from_env(void)
{
    struct lmx_config *cfg;

    setenv("REDIS_HOST", "10.0.0.9", 1);
    setenv("REDIS_PORT", "7000", 1);
    setenv("REDIS_PASSWORD", "s3", 1);
    cfg = load("model_list:\n  - model_name: a\n    litellm_params: {model: openai/x, api_base: "
               "\"http://h/v1\"}\n");
    unsetenv("REDIS_HOST");
    unsetenv("REDIS_PORT");
    unsetenv("REDIS_PASSWORD");
    ASSERT(cfg != NULL);
    ASSERT_STR_EQ(cfg->router->redis_host, "10.0.0.9");
    ASSERT_EQ(cfg->router->redis_port, 7000);
    ASSERT_STR_EQ(cfg->router->redis_password, "s3");
    lmx_config_unref(cfg);
}

int main(void)
{
    RUN(defaults);
    RUN(router_wins);
    RUN(redis_from_env);
    lmx_dstate_registry_free();
    TEST_MAIN_END();
}
