/*
 * tests/unit/provider/prices.c - the price map and the cost formula: COMPAT.md
 * §9.2's worked examples A (0.0228) and B (1.5225) and the rates around them
 * (1-hour cache writes, reasoning, audio, image, tiered_pricing, xAI's
 * inclusive threshold), the lookup order of §9.1 with deployment overrides,
 * loading a file in LiteLLM's format, the header's number format, and the
 * model_info that GET /model/info shows (secrets removed).
 *
 * Includes prices.c to check the built-in rows themselves (sorted, unique).
 */
#include "../../../src/provider/prices.c" /* not "provider/prices.c": that names this file */

#include <unistd.h>

#include "api/info.h"
#include "config/config.h"
#include "test.h"

#define NEAR(a, b) ((a) - (b) < 1e-12 && (b) - (a) < 1e-12)
#define ASSERT_NEAR(a, b) \
    ASSERT_(NEAR((a), (b)), "%s == %s (%.17g vs %.17g)", #a, #b, (double)(a), (double)(b))

static struct lmx_diag diag;

static struct lmx_config *load(const char *text)
{
    struct lmx_config *cfg = NULL;

    lmx_diag_release(&diag);
    lmx_diag_init(&diag);
    if (lmx_config_load_string("prices.yaml", text, strlen(text), &cfg, &diag) < 0) {
        for (size_t i = 0; i < diag.n; i++)
            fprintf(stderr, "  | %s\n", diag.lines[i]);
        return NULL;
    }
    return cfg;
}

static json_t *usage(const char *text)
{
    json_t *u = json_loads(text, 0, NULL);

    if (u == NULL)
        fprintf(stderr, "bad usage JSON in test: %s\n", text);
    return u;
}

static double cost_of(const struct lmx_price *p, const char *usage_text)
{
    json_t *u = usage(usage_text);
    double c = lmx_cost(p, u);

    json_decref(u);
    return c;
}

/* COMPAT §9.2's example prices */
static struct lmx_price example(void)
{
    struct lmx_price p;

    memset(&p, 0, sizeof(p));
    p.key = "example";
    p.litellm_provider = "anthropic";
    p.input_cost_per_token = 3e-6;
    p.output_cost_per_token = 1.5e-5;
    p.cache_read_input_token_cost = 3e-7;
    p.cache_creation_input_token_cost = 3.75e-6;
    p.tiers[0].above = 200000;
    p.tiers[0].input_cost_per_token = 6e-6;
    p.tiers[0].output_cost_per_token = 2.25e-5;
    p.tiers[0].cache_read_input_token_cost = 6e-7;
    p.tiers[0].cache_creation_input_token_cost = 7.5e-6;
    return p;
}

/* ------------------------------------------------------------------------ */
/* The formula */

static void test_worked_examples(void)
{
    struct lmx_price p = example();

    /* A: 10,000 prompt (6,000 cached, 2,000 written), 500 out */
    ASSERT_NEAR(cost_of(&p, "{\"prompt_tokens\":10000,\"completion_tokens\":500,"
                            "\"prompt_tokens_details\":{\"cached_tokens\":6000},"
                            "\"cache_creation_input_tokens\":2000}"),
                0.0228);
    /* the same call as Anthropic reports it: input_tokens excludes cache reads and writes */
    ASSERT_NEAR(cost_of(&p, "{\"input_tokens\":2000,\"output_tokens\":500,"
                            "\"cache_read_input_tokens\":6000,"
                            "\"cache_creation_input_tokens\":2000}"),
                0.0228);
    /* LiteLLM's own usage: writes in prompt_tokens_details */
    ASSERT_NEAR(cost_of(&p, "{\"prompt_tokens\":10000,\"completion_tokens\":500,"
                            "\"prompt_tokens_details\":{\"cached_tokens\":6000,"
                            "\"cache_creation_tokens\":2000}}"),
                0.0228);
    /* B: 250,000 prompt, none cached, 1,000 out: above 200k for the whole request */
    ASSERT_NEAR(cost_of(&p, "{\"prompt_tokens\":250000,\"completion_tokens\":1000}"), 1.5225);
    /* exactly 200,000 is not above it */
    ASSERT_NEAR(cost_of(&p, "{\"prompt_tokens\":200000,\"completion_tokens\":1000}"),
                200000 * 3e-6 + 1000 * 1.5e-5);
    /* above 200k with cache: the tier's cache rates too */
    ASSERT_NEAR(cost_of(&p, "{\"prompt_tokens\":250000,\"completion_tokens\":0,"
                            "\"prompt_tokens_details\":{\"cached_tokens\":50000},"
                            "\"cache_creation_input_tokens\":100000}"),
                100000 * 6e-6 + 50000 * 6e-7 + 100000 * 7.5e-6);
    /* xAI: the threshold is inclusive */
    p.litellm_provider = "xai";
    ASSERT_NEAR(cost_of(&p, "{\"prompt_tokens\":200000,\"completion_tokens\":1000}"),
                200000 * 6e-6 + 1000 * 2.25e-5);
    /* nothing to bill */
    ASSERT_NEAR(lmx_cost(&p, NULL), 0);
    ASSERT_NEAR(cost_of(&p, "{}"), 0);
    ASSERT_NEAR(lmx_cost(NULL, NULL), 0);
}

static void test_missing_rates(void)
{
    struct lmx_price p = example();

    /* no cache-read rate: cached tokens are free, as in LiteLLM */
    p.cache_read_input_token_cost = 0;
    ASSERT_NEAR(cost_of(&p, "{\"prompt_tokens\":1000,\"completion_tokens\":0,"
                            "\"prompt_tokens_details\":{\"cached_tokens\":400}}"),
                600 * 3e-6);
    /* a tier without an output rate keeps the base output rate */
    p = example();
    p.tiers[0].output_cost_per_token = 0;
    ASSERT_NEAR(cost_of(&p, "{\"prompt_tokens\":250000,\"completion_tokens\":1000}"),
                250000 * 6e-6 + 1000 * 1.5e-5);
    /* ... unless the tier wrote it as 0 */
    p.tiers[0].has = LMX_PH_OUTPUT;
    ASSERT_NEAR(cost_of(&p, "{\"prompt_tokens\":250000,\"completion_tokens\":1000}"),
                250000 * 6e-6);
    /* a tier without an input rate is no tier */
    p = example();
    p.tiers[0].input_cost_per_token = 0;
    ASSERT_NEAR(cost_of(&p, "{\"prompt_tokens\":250000,\"completion_tokens\":1000}"),
                250000 * 3e-6 + 1000 * 1.5e-5);
}

static void test_cache_write_durations(void)
{
    struct lmx_price p = example();

    p.cache_creation_input_token_cost_above_1hr = 6e-6;
    /* Anthropic's split: 5-minute and 1-hour writes at their own rates */
    ASSERT_NEAR(cost_of(&p, "{\"input_tokens\":100,\"output_tokens\":10,"
                            "\"cache_creation_input_tokens\":3000,\"cache_creation\":{"
                            "\"ephemeral_5m_input_tokens\":1000,"
                            "\"ephemeral_1h_input_tokens\":2000}}"),
                100 * 3e-6 + 1000 * 3.75e-6 + 2000 * 6e-6 + 10 * 1.5e-5);
    /* LiteLLM's usage carries the split in prompt_tokens_details */
    ASSERT_NEAR(cost_of(&p, "{\"prompt_tokens\":3100,\"completion_tokens\":10,"
                            "\"cache_creation_input_tokens\":3000,\"prompt_tokens_details\":{"
                            "\"cache_creation_token_details\":{\"ephemeral_5m_input_tokens\":1000,"
                            "\"ephemeral_1h_input_tokens\":2000}}}"),
                100 * 3e-6 + 1000 * 3.75e-6 + 2000 * 6e-6 + 10 * 1.5e-5);
    /* without a split every write is a 5-minute one */
    ASSERT_NEAR(cost_of(&p, "{\"input_tokens\":100,\"output_tokens\":0,"
                            "\"cache_creation_input_tokens\":3000}"),
                100 * 3e-6 + 3000 * 3.75e-6);
    /* a model without a 1-hour rate bills those writes at its 5-minute rate */
    p.cache_creation_input_token_cost_above_1hr = 0;
    ASSERT_NEAR(cost_of(&p, "{\"input_tokens\":0,\"output_tokens\":0,"
                            "\"cache_creation\":{\"ephemeral_1h_input_tokens\":2000}}"),
                2000 * 3.75e-6);
}

static void test_reasoning_audio_image(void)
{
    struct lmx_price p;

    memset(&p, 0, sizeof(p));
    p.input_cost_per_token = 1e-6;
    p.output_cost_per_token = 4e-6;
    /* reasoning without its own rate: billed as output (all of completion_tokens) */
    ASSERT_NEAR(cost_of(&p, "{\"prompt_tokens\":10,\"completion_tokens\":100,"
                            "\"completion_tokens_details\":{\"reasoning_tokens\":60}}"),
                10 * 1e-6 + 100 * 4e-6);
    p.output_cost_per_reasoning_token = 2e-6;
    ASSERT_NEAR(cost_of(&p, "{\"prompt_tokens\":10,\"completion_tokens\":100,"
                            "\"completion_tokens_details\":{\"reasoning_tokens\":60}}"),
                10 * 1e-6 + 40 * 4e-6 + 60 * 2e-6);
    /* audio in and out at their rates; image in falls back to the input rate */
    p.input_cost_per_audio_token = 4e-5;
    p.output_cost_per_audio_token = 8e-5;
    ASSERT_NEAR(cost_of(&p, "{\"prompt_tokens\":1000,\"completion_tokens\":300,"
                            "\"prompt_tokens_details\":{\"audio_tokens\":200,\"image_tokens\":100},"
                            "\"completion_tokens_details\":{\"audio_tokens\":50,"
                            "\"reasoning_tokens\":0}}"),
                700 * 1e-6 + 200 * 4e-5 + 100 * 1e-6 + 250 * 4e-6 + 50 * 8e-5);
    p.input_cost_per_image_token = 5e-6;
    p.output_cost_per_image_token = 3e-5;
    ASSERT_NEAR(cost_of(&p, "{\"prompt_tokens\":1000,\"completion_tokens\":300,"
                            "\"prompt_tokens_details\":{\"image_tokens\":100},"
                            "\"completion_tokens_details\":{\"image_tokens\":200}}"),
                900 * 1e-6 + 100 * 5e-6 + 100 * 4e-6 + 200 * 3e-5);
    /* counts that do not add up never go negative */
    ASSERT_NEAR(cost_of(&p, "{\"prompt_tokens\":10,\"completion_tokens\":5,"
                            "\"prompt_tokens_details\":{\"cached_tokens\":50},"
                            "\"completion_tokens_details\":{\"reasoning_tokens\":9}}"),
                9 * 2e-6);
    /* DeepSeek's own cache fields */
    memset(&p, 0, sizeof(p));
    p.input_cost_per_token = 2.8e-7;
    p.cache_read_input_token_cost = 2.8e-8;
    ASSERT_NEAR(cost_of(&p, "{\"prompt_tokens\":1000,\"completion_tokens\":0,"
                            "\"prompt_cache_hit_tokens\":600,\"prompt_cache_miss_tokens\":400}"),
                400 * 2.8e-7 + 600 * 2.8e-8);
}

/* ------------------------------------------------------------------------ */
/* The built-in map */

static void test_builtin_table(void)
{
    size_t n;
    const struct lmx_price *rows = builtin_rows(&n);
    static const char *const families[] = {"openai",
                                           "azure",
                                           "anthropic",
                                           "gemini",
                                           "vertex_ai-language-models",
                                           "bedrock",
                                           "bedrock_converse",
                                           "mistral",
                                           "cohere_chat",
                                           "deepseek",
                                           "dashscope",
                                           "zai",
                                           "moonshot",
                                           "volcengine",
                                           "minimax",
                                           "groq",
                                           "xai",
                                           "perplexity",
                                           "together_ai",
                                           "fireworks_ai",
                                           "openrouter",
                                           "cerebras",
                                           "voyage"};

    ASSERT(n >= 400);
    for (size_t i = 0; i < n; i++) {
        ASSERT_(rows[i].key != NULL && rows[i].litellm_provider != NULL, "row %zu", i);
        ASSERT_(i == 0 || strcmp(rows[i - 1].key, rows[i].key) < 0, "not sorted at '%s'",
                rows[i].key);
        for (size_t t = 1; t < LMX_PRICE_TIERS; t++)
            ASSERT_(rows[i].tiers[t].above == 0 ||
                        rows[i].tiers[t].above > rows[i].tiers[t - 1].above,
                    "%s: tiers out of order", rows[i].key);
    }
    for (size_t f = 0; f < LMX_ARRAY_SIZE(families); f++) {
        size_t k = 0;

        for (size_t i = 0; i < n; i++)
            k += strcmp(rows[i].litellm_provider, families[f]) == 0;
        ASSERT_(k >= 2, "only %zu rows of '%s'", k, families[f]);
    }
}

static void test_builtin_facts(void)
{
    const struct lmx_price *p;

    p = lmx_prices_get("gpt-4o");
    ASSERT(p != NULL);
    ASSERT_NEAR(p->input_cost_per_token, 2.5e-6);
    ASSERT_NEAR(p->output_cost_per_token, 1e-5);
    ASSERT_NEAR(p->cache_read_input_token_cost, 1.25e-6);
    ASSERT_EQ(p->max_input_tokens, 128000);
    ASSERT(p->supports & LMX_SUP_VISION);
    /* Claude Sonnet 4.5 has exactly COMPAT's example prices */
    p = lmx_prices_find("anthropic", "claude-sonnet-4-5");
    ASSERT(p != NULL);
    ASSERT_NEAR(cost_of(p, "{\"prompt_tokens\":10000,\"completion_tokens\":500,"
                           "\"prompt_tokens_details\":{\"cached_tokens\":6000},"
                           "\"cache_creation_input_tokens\":2000}"),
                0.0228);
    ASSERT_NEAR(cost_of(p, "{\"prompt_tokens\":250000,\"completion_tokens\":1000}"), 1.5225);
    /* ... and a 1-hour write rate that doubles above 200k */
    ASSERT_NEAR(cost_of(p, "{\"input_tokens\":0,\"output_tokens\":0,"
                           "\"cache_creation\":{\"ephemeral_1h_input_tokens\":1000}}"),
                1000 * 6e-6);
    ASSERT_NEAR(cost_of(p, "{\"input_tokens\":250000,\"output_tokens\":0,"
                           "\"cache_creation\":{\"ephemeral_1h_input_tokens\":1000}}"),
                250000 * 6e-6 + 1000 * 1.2e-5);
    /* Gemini 2.5 Pro above 200k */
    p = lmx_prices_find("gemini", "gemini-2.5-pro");
    ASSERT(p != NULL);
    ASSERT_STR_EQ(p->key, "gemini/gemini-2.5-pro");
    ASSERT_NEAR(cost_of(p, "{\"prompt_tokens\":300000,\"completion_tokens\":1000}"),
                300000 * 2.5e-6 + 1000 * 1.5e-5);
    /* Qwen3 Max: tiered_pricing ranges, the whole request at the range's rates */
    p = lmx_prices_find("dashscope", "qwen3-max");
    ASSERT(p != NULL);
    ASSERT_NEAR(cost_of(p, "{\"prompt_tokens\":10000,\"completion_tokens\":100}"),
                10000 * 1.2e-6 + 100 * 6e-6);
    ASSERT_NEAR(cost_of(p, "{\"prompt_tokens\":50000,\"completion_tokens\":100}"),
                50000 * 2.4e-6 + 100 * 1.2e-5);
    ASSERT_NEAR(cost_of(p, "{\"prompt_tokens\":200000,\"completion_tokens\":100}"),
                200000 * 3e-6 + 100 * 1.5e-5);
    /* DeepSeek, Kimi, GLM, Groq */
    p = lmx_prices_find("deepseek", "deepseek-chat");
    ASSERT(p != NULL && strcmp(p->key, "deepseek/deepseek-chat") == 0);
    ASSERT(p->cache_read_input_token_cost > 0);
    ASSERT(lmx_prices_find("moonshot", "kimi-k2-0905-preview") != NULL);
    ASSERT(lmx_prices_find("zai", "glm-4.6") != NULL);
    ASSERT(lmx_prices_find("groq", "llama-3.3-70b-versatile") != NULL);
    ASSERT(lmx_prices_find("mistral", "mistral-large-latest") != NULL);
    ASSERT(lmx_prices_find("cohere_chat", "command-r-plus") != NULL);
    ASSERT(lmx_prices_find("cohere", "command-r-plus") != NULL);
}

static void test_lookup(void)
{
    const struct lmx_price *p;

    ASSERT_STR_EQ(lmx_prices_find("openai", "gpt-4o-mini")->key, "gpt-4o-mini");
    ASSERT_STR_EQ(lmx_prices_find("text-completion-openai", "gpt-3.5-turbo-instruct")->key,
                  "gpt-3.5-turbo-instruct");
    ASSERT_STR_EQ(lmx_prices_find("openai", "gpt-3.5-turbo-instruct")->key,
                  "gpt-3.5-turbo-instruct");
    ASSERT_STR_EQ(lmx_prices_find("azure", "gpt-4o")->key, "azure/gpt-4o");
    ASSERT_STR_EQ(lmx_prices_find("vertex_ai", "gemini-2.5-pro")->key, "gemini-2.5-pro");
    ASSERT_STR_EQ(lmx_prices_find("bedrock", "anthropic.claude-3-5-sonnet-20241022-v2:0")->key,
                  "anthropic.claude-3-5-sonnet-20241022-v2:0");
    ASSERT_STR_EQ(
        lmx_prices_find("bedrock", "converse/us.anthropic.claude-sonnet-4-20250514-v1:0")->key,
        "us.anthropic.claude-sonnet-4-20250514-v1:0");
    ASSERT_STR_EQ(lmx_prices_find("bedrock", "amazon.nova-pro-v1:0")->key, "amazon.nova-pro-v1:0");
    ASSERT_STR_EQ(lmx_prices_find("amazon_nova", "nova-pro-v1")->key, "amazon-nova/nova-pro-v1");
    ASSERT_STR_EQ(lmx_prices_find("groq", "openai/gpt-oss-120b")->key, "groq/openai/gpt-oss-120b");
    ASSERT_STR_EQ(lmx_prices_find(NULL, "gpt-4o")->key, "gpt-4o");
    /* a name of another family does not match */
    ASSERT(lmx_prices_find("openai", "claude-sonnet-4-5") == NULL);
    ASSERT(lmx_prices_find("azure", "claude-sonnet-4-5") == NULL);
    ASSERT(lmx_prices_find("groq", "no-such-model") == NULL);
    ASSERT(lmx_prices_find("openai", "") == NULL);
    ASSERT(lmx_prices_find("openai", NULL) == NULL);
    p = lmx_prices_get("claude-3-5-sonnet-20241022"); /* retired upstream, kept here */
    ASSERT(p != NULL && p->max_output_tokens == 8192);
}

struct names {
    size_t n;
    bool saw;
};

static void count_model(const char *m, void *ud)
{
    struct names *c = ud;

    c->n++;
    if (strcmp(m, "llama-3.3-70b-versatile") == 0)
        c->saw = true;
}

static void test_each_model(void)
{
    struct names c = {0, false};

    lmx_prices_each_model("groq", count_model, &c);
    ASSERT(c.n >= 10);
    ASSERT(c.saw);
    c.n = 0;
    lmx_prices_each_model("no-such-provider", count_model, &c);
    ASSERT_EQ(c.n, 0);
}

/* ------------------------------------------------------------------------ */
/* Deployments */

static void test_deployment_prices(void)
{
    const char *text =
        "model_list:\n"
        "  - model_name: a\n" /* 0: plain lookup */
        "    litellm_params: {model: openai/gpt-4o}\n"
        "  - model_name: b\n" /* 1: deployment prices win, numeric strings too */
        "    litellm_params: {model: openai/gpt-4o, input_cost_per_token: \"1e-6\","
        " output_cost_per_token: 2e-6}\n"
        "  - model_name: c\n" /* 2: base_model names the row */
        "    litellm_params: {model: azure/my-deploy, api_base: 'https://x.openai.azure.com',"
        " api_version: '2024-06-01'}\n"
        "    model_info: {base_model: azure/gpt-4o-mini, max_input_tokens: 5000}\n"
        "  - model_name: d\n" /* 3: unknown model, no prices */
        "    litellm_params: {model: hosted_vllm/my-llama, api_base: 'http://127.0.0.1:9/v1'}\n"
        "  - model_name: e\n" /* 4: unknown model priced by the deployment */
        "    litellm_params: {model: hosted_vllm/my-llama, api_base: 'http://127.0.0.1:9/v1',"
        " input_cost_per_token: 1e-7, output_cost_per_token: 2e-7}\n"
        "  - model_name: f\n" /* 5: model_info prices and base_model without a prefix */
        "    litellm_params: {model: openai/custom-name}\n"
        "    model_info: {base_model: gpt-4o, output_cost_per_token: 5e-5,"
        " input_cost_per_token_above_100k_tokens: 9e-6}\n"
        "  - model_name: \"groq/*\"\n" /* 6: a provider wildcard */
        "    litellm_params: {model: \"groq/*\"}\n";
    struct lmx_config *cfg = load(text);
    struct lmx_price p;
    json_t *u = usage("{\"prompt_tokens\":1000,\"completion_tokens\":100}");
    double c;

    ASSERT(cfg != NULL);
    ASSERT_EQ(lmx_prices_for(&cfg->deps[0], NULL, &p), 0);
    ASSERT_STR_EQ(p.key, "gpt-4o");
    ASSERT_EQ(lmx_prices_call_cost(&cfg->deps[0], u, &c), 0);
    ASSERT_NEAR(c, 1000 * 2.5e-6 + 100 * 1e-5);

    ASSERT_EQ(lmx_prices_call_cost(&cfg->deps[1], u, &c), 0);
    ASSERT_NEAR(c, 1000 * 1e-6 + 100 * 2e-6);
    ASSERT_EQ(lmx_prices_for(&cfg->deps[1], NULL, &p), 0);
    ASSERT_NEAR(p.cache_read_input_token_cost, 1.25e-6); /* the rest from the row */

    ASSERT_EQ(lmx_prices_for(&cfg->deps[2], NULL, &p), 0);
    ASSERT_STR_EQ(p.key, "azure/gpt-4o-mini");
    ASSERT_EQ(p.max_input_tokens, 5000);
    ASSERT_EQ(lmx_prices_call_cost(&cfg->deps[2], u, &c), 0);
    ASSERT_NEAR(c, 1000 * p.input_cost_per_token + 100 * p.output_cost_per_token);
    ASSERT(c > 0);

    ASSERT_EQ(lmx_prices_for(&cfg->deps[3], NULL, &p), LMX_DECLINED);
    ASSERT_STR_EQ(p.key, "my-llama");
    ASSERT_EQ(lmx_prices_call_cost(&cfg->deps[3], u, &c), LMX_DECLINED);
    ASSERT_NEAR(c, 0);
    ASSERT_EQ(lmx_prices_call_cost(&cfg->deps[3], u, &c), LMX_DECLINED); /* warned once */

    ASSERT_EQ(lmx_prices_call_cost(&cfg->deps[4], u, &c), 0);
    ASSERT_NEAR(c, 1000 * 1e-7 + 100 * 2e-7);

    ASSERT_EQ(lmx_prices_for(&cfg->deps[5], NULL, &p), 0);
    ASSERT_STR_EQ(p.key, "gpt-4o");
    ASSERT_NEAR(p.output_cost_per_token, 5e-5);
    ASSERT_EQ(lmx_prices_call_cost(&cfg->deps[5], u, &c), 0);
    ASSERT_NEAR(c, 1000 * 2.5e-6 + 100 * 5e-5);
    {
        json_t *big = usage("{\"prompt_tokens\":150000,\"completion_tokens\":0}");

        ASSERT_EQ(lmx_prices_call_cost(&cfg->deps[5], big, &c), 0);
        ASSERT_NEAR(c, 150000 * 9e-6);
        json_decref(big);
    }

    /* a wildcard deployment is billed by the model actually called */
    ASSERT_EQ(lmx_prices_call_cost(&cfg->deps[6], u, &c), LMX_DECLINED);
    ASSERT_EQ(lmx_prices_call_cost_model(&cfg->deps[6], "llama-3.1-8b-instant", u, &c), 0);
    ASSERT_NEAR(c, 1000 * lmx_prices_get("groq/llama-3.1-8b-instant")->input_cost_per_token +
                       100 * lmx_prices_get("groq/llama-3.1-8b-instant")->output_cost_per_token);
    ASSERT_EQ(lmx_prices_call_cost(&cfg->deps[0], NULL, &c), LMX_DECLINED);
    json_decref(u);
    lmx_config_unref(cfg);
}

/* ------------------------------------------------------------------------ */
/* A file in LiteLLM's format */

static char tmpdir[256];

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    if (f != NULL) {
        fputs(text, f);
        fclose(f);
    }
}

static void test_load_file(void)
{
    char path[512], bad[512], url[600];
    const struct lmx_price *p;

    snprintf(path, sizeof(path), "%s/prices.json", tmpdir);
    snprintf(bad, sizeof(bad), "%s/bad.json", tmpdir);
    write_text(path, "{\n"
                     "  \"sample_spec\": {\"input_cost_per_token\": 0.0, \"litellm_provider\": "
                     "\"one of ...\"},\n"
                     "  \"gpt-4o\": {\"input_cost_per_token\": 1e-06},\n"
                     "  \"my-provider/my-model\": {\"litellm_provider\": \"hosted_vllm\", "
                     "\"mode\": \"chat\", \"max_input_tokens\": 32768, \"input_cost_per_token\": "
                     "2e-07, \"output_cost_per_token\": \"4e-7\", \"output_cost_per_token_above_"
                     "16k_tokens\": 8e-07, \"input_cost_per_token_above_16k_tokens\": 3e-07, "
                     "\"supports_function_calling\": true, \"supports_vision\": false},\n"
                     "  \"broken\": 3\n"
                     "}\n");
    ASSERT_EQ(lmx_prices_load_file(path), 0);
    p = lmx_prices_get("gpt-4o");
    ASSERT_NEAR(p->input_cost_per_token, 1e-6);  /* overridden */
    ASSERT_NEAR(p->output_cost_per_token, 1e-5); /* kept */
    ASSERT_EQ(p->max_input_tokens, 128000);      /* kept */
    ASSERT(lmx_prices_get("sample_spec") == NULL);
    ASSERT(lmx_prices_get("broken") == NULL);
    p = lmx_prices_find("my-provider", "my-model");
    ASSERT(p != NULL);
    ASSERT_STR_EQ(p->litellm_provider, "hosted_vllm");
    ASSERT_STR_EQ(p->mode, "chat");
    ASSERT_EQ(p->max_input_tokens, 32768);
    ASSERT_NEAR(p->output_cost_per_token, 4e-7);
    ASSERT_EQ(p->supports, LMX_SUP_FUNCTION_CALLING);
    ASSERT_EQ(p->tiers[0].above, 16000);
    ASSERT_NEAR(cost_of(p, "{\"prompt_tokens\":20000,\"completion_tokens\":10}"),
                20000 * 3e-7 + 10 * 8e-7);
    ASSERT(lmx_prices_get("claude-sonnet-4-5") != NULL); /* built-in rows stay */
    /* the same unchanged file again: nothing happens (the same table answers) */
    p = lmx_prices_get("gpt-4o");
    ASSERT_EQ(lmx_prices_load_file(path), 0);
    ASSERT(lmx_prices_get("gpt-4o") == p);
    /* failures leave the map as it was */
    write_text(bad, "[1, 2]");
    ASSERT_EQ(lmx_prices_load_file(bad), LMX_EBADJSON);
    write_text(bad, "{\"a\": ");
    ASSERT_EQ(lmx_prices_load_file(bad), LMX_EBADJSON);
    ASSERT_EQ(lmx_prices_load_file("/nonexistent/prices.json"), LMX_EIO);
    ASSERT_NEAR(lmx_prices_get("gpt-4o")->input_cost_per_token, 1e-6);
    /* back to the built-in map */
    lmx_prices_reset();
    ASSERT_NEAR(lmx_prices_get("gpt-4o")->input_cost_per_token, 2.5e-6);
    ASSERT(lmx_prices_get("my-provider/my-model") == NULL);

    /* the environment LiteLLM reads: a local file (path or file://), never a download */
    snprintf(url, sizeof(url), "file://%s", path);
    setenv("LITELLM_MODEL_COST_MAP_URL", url, 1);
    ASSERT_EQ(lmx_prices_configure(NULL), 0);
    ASSERT(lmx_prices_get("my-provider/my-model") != NULL);
    lmx_prices_reset();
    setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True", 1);
    ASSERT_EQ(lmx_prices_configure(NULL), 0);
    ASSERT(lmx_prices_get("my-provider/my-model") == NULL);
    unsetenv("LITELLM_LOCAL_MODEL_COST_MAP");
    setenv("LITELLM_MODEL_COST_MAP_URL", "https://example.invalid/prices.json", 1);
    ASSERT_EQ(lmx_prices_configure(NULL), 0);
    ASSERT(lmx_prices_get("my-provider/my-model") == NULL);
    unsetenv("LITELLM_MODEL_COST_MAP_URL");
    unlink(path);
    unlink(bad);
}

/* ------------------------------------------------------------------------ */
/* Output */

static void test_cost_format(void)
{
    static const struct {
        double v;
        const char *s;
    } cases[] = {
        {0.0228, "0.0228"},
        {1.5225, "1.5225"},
        {2.5e-05, "2.5e-05"},
        {0, "0.0"},
        {1500, "1500.0"},
        {0.0001, "0.0001"},
        {1e-05, "1e-05"},
        {123456.789, "123456.789"},
        {1e16, "1e+16"},
        {0.1, "0.1"},
        {0.1 + 0.2, "0.30000000000000004"},
        {3e-6 + 1e-21, "3.000000000000001e-06"},
        {0.000225, "0.000225"},
        {1, "1.0"},
        {12.5, "12.5"},
    };
    char buf[64];
    const char *got = buf;

    for (size_t i = 0; i < LMX_ARRAY_SIZE(cases); i++) {
        size_t n = lmx_cost_format(cases[i].v, buf, sizeof(buf));

        ASSERT_STR_EQ(got, cases[i].s);
        ASSERT_EQ(n, strlen(cases[i].s));
    }
    ASSERT_EQ(lmx_cost_format(0.0228, buf, 4), 3);
    ASSERT_STR_EQ(got, "0.0");
}

static void test_price_json(void)
{
    const struct lmx_price *p = lmx_prices_get("claude-sonnet-4-5");
    json_t *o = lmx_price_to_json(p);

    ASSERT(o != NULL);
    ASSERT_STR_EQ(json_string_value(json_object_get(o, "litellm_provider")), "anthropic");
    ASSERT_STR_EQ(json_string_value(json_object_get(o, "mode")), "chat");
    ASSERT_EQ(json_integer_value(json_object_get(o, "max_input_tokens")), 200000);
    ASSERT_NEAR(json_real_value(json_object_get(o, "input_cost_per_token")), 3e-6);
    ASSERT_NEAR(json_real_value(json_object_get(o, "input_cost_per_token_above_200k_tokens")),
                6e-6);
    ASSERT_NEAR(json_real_value(json_object_get(
                    o, "cache_creation_input_token_cost_above_1hr_above_200k_tokens")),
                1.2e-5);
    ASSERT(json_is_true(json_object_get(o, "supports_vision")));
    ASSERT(json_is_false(json_object_get(o, "supports_audio_output")));
    ASSERT(json_object_get(o, "output_cost_per_reasoning_token") == NULL);
    json_decref(o);
}

/* What GET /model/info shows: no secret in litellm_params, the price facts in model_info. */
static void test_model_info(void)
{
    const char *text =
        "model_list:\n"
        "  - model_name: claude\n"
        "    litellm_params:\n"
        "      model: anthropic/claude-sonnet-4-5\n"
        "      api_key: sk-ant-secret\n"
        "      aws_secret_access_key: s3cr3t\n"
        "      aws_session_token: tok\n"
        "      vertex_credentials: '{\"private_key\": \"x\"}'\n"
        "      max_tokens: 100\n"
        "      input_cost_per_token: 3e-6\n"
        "      extra_headers: {Authorization: Bearer leak, X-Trace: keep}\n"
        "    model_info: {id: claude-1, access_groups: [beta], max_output_tokens: 1000}\n"
        "  - model_name: local\n"
        "    litellm_params: {model: hosted_vllm/my-llama, api_base: 'http://127.0.0.1:9/v1'}\n";
    struct lmx_config *cfg = load(text);
    json_t *e, *lp, *mi;
    char *dump;

    ASSERT(cfg != NULL);
    e = lmx_info_deployment_json(&cfg->deps[0]);
    ASSERT(e != NULL);
    ASSERT_STR_EQ(json_string_value(json_object_get(e, "model_name")), "claude");
    lp = json_object_get(e, "litellm_params");
    ASSERT_STR_EQ(json_string_value(json_object_get(lp, "model")), "anthropic/claude-sonnet-4-5");
    ASSERT(json_object_get(lp, "api_key") == NULL);
    ASSERT(json_object_get(lp, "aws_secret_access_key") == NULL);
    ASSERT(json_object_get(lp, "aws_session_token") == NULL);
    ASSERT(json_object_get(lp, "vertex_credentials") == NULL);
    ASSERT(json_object_get(lp, "max_tokens") != NULL);
    ASSERT(json_object_get(lp, "input_cost_per_token") != NULL);
    ASSERT(json_object_get(json_object_get(lp, "extra_headers"), "Authorization") == NULL);
    ASSERT(json_object_get(json_object_get(lp, "extra_headers"), "X-Trace") != NULL);
    dump = json_dumps(e, 0);
    ASSERT(dump != NULL && strstr(dump, "secret") == NULL && strstr(dump, "leak") == NULL &&
           strstr(dump, "sk-ant") == NULL);
    free(dump);
    mi = json_object_get(e, "model_info");
    ASSERT_STR_EQ(json_string_value(json_object_get(mi, "id")), "claude-1");
    ASSERT(json_is_false(json_object_get(mi, "db_model")));
    ASSERT_STR_EQ(json_string_value(json_object_get(mi, "mode")), "chat");
    ASSERT_STR_EQ(json_string_value(json_object_get(mi, "litellm_provider")), "anthropic");
    ASSERT_EQ(json_integer_value(json_object_get(mi, "max_input_tokens")), 200000);
    ASSERT_EQ(json_integer_value(json_object_get(mi, "max_output_tokens")), 1000);
    ASSERT_NEAR(json_number_value(json_object_get(mi, "input_cost_per_token")), 3e-6);
    ASSERT_NEAR(json_number_value(json_object_get(mi, "output_cost_per_token")), 1.5e-5);
    ASSERT(json_is_true(json_object_get(mi, "supports_function_calling")));
    ASSERT(json_is_array(json_object_get(mi, "access_groups")));
    json_decref(e);

    e = lmx_info_deployment_json(&cfg->deps[1]);
    mi = json_object_get(e, "model_info");
    ASSERT(json_is_string(json_object_get(mi, "id")));
    ASSERT(json_is_null(json_object_get(mi, "input_cost_per_token")));
    ASSERT(json_is_null(json_object_get(mi, "max_input_tokens")));
    ASSERT(json_is_null(json_object_get(mi, "supports_vision")));
    ASSERT_STR_EQ(json_string_value(json_object_get(mi, "litellm_provider")), "hosted_vllm");
    json_decref(e);
    lmx_config_unref(cfg);
}

static void test_secret_names(void)
{
    json_t *in =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:f, s:s, s:[{s:s}]}", "api_key",
                  "a", "token", "b", "azure_ad_token", "c", "client_secret", "d", "azure_password",
                  "e", "litellm_credential_name", "f", "api_base", "g", "max_completion_tokens", 5,
                  "tpm", 9, "output_cost_per_token", 1.0, "model", "m", "list", "x-api-key", "h");
    json_t *out = lmx_info_public_params(in);
    char *s = json_dumps(out, JSON_SORT_KEYS);

    ASSERT(s != NULL);
    ASSERT_STR_EQ(s, "{\"api_base\": \"g\", \"list\": [{}], \"max_completion_tokens\": 5, "
                     "\"model\": \"m\", \"output_cost_per_token\": 1.0, \"tpm\": 9}");
    free(s);
    json_decref(in);
    json_decref(out);
}

int main(void)
{
    const char *t = getenv("TMPDIR");

    snprintf(tmpdir, sizeof(tmpdir), "%s/lmx-prices-XXXXXX", t != NULL ? t : "/tmp");
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    lmx_diag_init(&diag);
    RUN(test_worked_examples);
    RUN(test_missing_rates);
    RUN(test_cache_write_durations);
    RUN(test_reasoning_audio_image);
    RUN(test_builtin_table);
    RUN(test_builtin_facts);
    RUN(test_lookup);
    RUN(test_each_model);
    RUN(test_deployment_prices);
    RUN(test_load_file);
    RUN(test_cost_format);
    RUN(test_price_json);
    RUN(test_model_info);
    RUN(test_secret_names);
    lmx_diag_release(&diag);
    lmx_prices_reset();
    rmdir(tmpdir);
    TEST_MAIN_END();
}
