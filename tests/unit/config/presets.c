/*
 * tests/unit/config/presets.c - the OpenAI-compatible preset table
 * (config/providers.c) against docs PROVIDERS.md Part 2: at least 100 rows,
 * every Part 2 id present, the Chinese providers with their base URLs and
 * quirk flags, and one config naming every preset by its LiteLLM model string
 * that loads without an error or a warning, each deployment resolving its
 * provider's api_base and key variable. Also the families served through an
 * adapter with URL, auth or answer rules (provider/compat.c, provider/tgi.c):
 * their rows are callable, they resolve to their own ops, and LiteLLM model
 * strings of theirs load without a "not served" warning.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/config_int.h"
#include "core/buf.h"
#include "provider/compat.h"
#include "provider/provider.h"
#include "provider/tgi.h"
#include "provider/quirks.h"
#include "test.h"

static struct lmx_diag diag;

static void dump_diag(void)
{
    for (size_t i = 0; i < diag.n; i++)
        fprintf(stderr, "  | %s\n", diag.lines[i]);
}

static struct lmx_config *load(const char *text)
{
    struct lmx_config *cfg = NULL;

    lmx_diag_release(&diag);
    lmx_diag_init(&diag);
    if (lmx_config_load_string("presets.yaml", text, strlen(text), &cfg, &diag) < 0)
        return NULL;
    return cfg;
}

/* Every id of PROVIDERS.md Part 2 (rows 1-101, the ai21/ alias, and the endpoint-map list). */
static const char *const part2[] = {
    "openai",
    "text-completion-openai",
    "aiohttp_openai",
    "custom_openai",
    "openai_like",
    "xai",
    "mistral",
    "codestral",
    "text-completion-codestral",
    "ai21_chat",
    "ai21",
    "perplexity",
    "groq",
    "cerebras",
    "sambanova",
    "meta_llama",
    "amazon_nova",
    "inception",
    "morph",
    "v0",
    "sarvam",
    "maritalk",
    "compactifai",
    "empower",
    "galadriel",
    "friendliai",
    "nvidia_nim",
    "github",
    "github_copilot",
    /* 2.2 */
    "deepseek",
    "moonshot",
    "dashscope",
    "zai",
    "zhipu",
    "volcengine",
    "byteplus",
    "siliconflow",
    "minimax",
    "baichuan",
    "lingyiwanwu",
    "stepfun",
    "hunyuan",
    "tencent",
    "qianfan",
    "spark",
    "modelscope",
    "xiaomi_mimo",
    /* 2.3 */
    "together_ai",
    "fireworks_ai",
    "deepinfra",
    "nebius",
    "novita",
    "hyperbolic",
    "lambda_ai",
    "featherless_ai",
    "nscale",
    "baseten",
    "wandb",
    "ovhcloud",
    "scaleway",
    "gradient_ai",
    "heroku",
    "datarobot",
    "clarifai",
    "snowflake",
    "bedrock_mantle",
    "cloudflare",
    "crusoe",
    "gmi",
    "chutes",
    "synthetic",
    "abliteration",
    "publicai",
    "veniceai",
    "charity_engine",
    "salad_cloud",
    "parasail",
    /* 2.4 */
    "openrouter",
    "vercel_ai_gateway",
    "helicone",
    "aiml",
    "cometapi",
    "aihubmix",
    "poe",
    "nano-gpt",
    "apertis",
    "llamagate",
    "assemblyai",
    "litellm_proxy",
    /* 2.5 */
    "hosted_vllm",
    "vllm",
    "sglang",
    "lm_studio",
    "llamafile",
    "lemonade",
    "docker_model_runner",
    "xinference",
    "oobabooga",
    /* 2.6 */
    "jina_ai",
    "voyage",
    "infinity",
    "anyscale",
    /* endpoint map, base URL unconfirmed */
    "neosantara",
    "monet",
    "darkbloom",
    "pinstripes",
    "scx-ai",
    "tensormesh",
    "libertai",
    "empiriolabs",
    "cognition",
    "cursor",
    "gdc",
    "chatgpt",
    "manus",
};

/* Part 2 rows that need more than a base URL and a key (token modules, own URL rules). */
static const char *const part2_native[] = {"github_copilot", "datarobot", "snowflake", "chatgpt",
                                           "manus"};

static bool in_list(const char *const *l, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(l[i], s) == 0)
            return true;
    return false;
}

static const struct lmx__provider *row(const char *name)
{
    return lmx__provider_find(name, strlen(name));
}

/*
 * An OpenAI-compatible preset: a row the config calls with the OpenAI wire
 * format (native families are callable rows too, through their own adapter).
 */
static bool is_preset(const struct lmx__provider *p)
{
    struct lmx_deployment d;

    if (p->kind != LMX__P_COMPAT)
        return false;
    memset(&d, 0, sizeof(d));
    d.provider = (char *)p->name;
    d.supported = true;
    return lmx_provider_for(&d) == &lmx_provider_openai_ops;
}

/* An OpenAI-body row with a rule of its own (provider/compat.c): a preset in Part 2's sense. */
static bool is_compat_rule(const struct lmx__provider *p)
{
    struct lmx_deployment d;
    const struct lmx_provider_ops *ops;

    memset(&d, 0, sizeof(d));
    d.provider = (char *)p->name;
    d.supported = true;
    ops = lmx_provider_for(&d);
    return p->kind == LMX__P_COMPAT &&
           (ops == &lmx_provider_azure_ai_ops || ops == &lmx_provider_huggingface_ops ||
            ops == &lmx_provider_databricks_ops || ops == &lmx_provider_snowflake_ops ||
            ops == &lmx_provider_voyage_ops);
}

/* ------------------------------------------------------------------------ */

static void test_at_least_100_presets(void)
{
    size_t compat = 0, with_base = 0;

    for (size_t i = 0; i < lmx__provider_count(); i++) {
        const struct lmx__provider *p = lmx__provider_at(i);

        if (!is_preset(p))
            continue;
        compat++;
        if (p->base != NULL || p->base_env != NULL || (p->flags & LMX__PF_CLOUDFLARE))
            with_base++;
        ASSERT_((p->flags & LMX_AUTH_MASK) <= LMX_AUTH_APIKEY_SCHEME, "%s: auth style %#x", p->name,
                p->flags & LMX_AUTH_MASK);
    }
    fprintf(stderr, "  %zu OpenAI-compatible presets, %zu with a base URL or base variable\n",
            compat, with_base);
    ASSERT(compat >= 100);
    ASSERT(with_base >= 95);
}

static void test_every_part2_id_has_a_row(void)
{
    size_t served = 0;

    for (size_t i = 0; i < LMX_ARRAY_SIZE(part2); i++) {
        const struct lmx__provider *p = row(part2[i]);

        ASSERT_(p != NULL, "PROVIDERS.md Part 2 id '%s' has no row", part2[i]);
        if (in_list(part2_native, LMX_ARRAY_SIZE(part2_native), part2[i]))
            continue;
        ASSERT_(is_preset(p) || is_compat_rule(p), "'%s' is not an OpenAI-compatible preset",
                part2[i]);
        served++;
    }
    ASSERT(served >= 100);
}

static void test_chinese_providers(void)
{
    static const struct {
        const char *name, *base, *key_env;
    } cn[] = {
        {"deepseek", "https://api.deepseek.com/beta", "DEEPSEEK_API_KEY"},
        {"moonshot", "https://api.moonshot.ai/v1", "MOONSHOT_API_KEY"},
        {"dashscope", "https://dashscope.aliyuncs.com/compatible-mode/v1", "DASHSCOPE_API_KEY"},
        {"zai", "https://api.z.ai/api/paas/v4", "ZAI_API_KEY"},
        {"zhipu", "https://open.bigmodel.cn/api/paas/v4", "ZHIPUAI_API_KEY"},
        {"volcengine", "https://ark.cn-beijing.volces.com/api/v3",
         "VOLCENGINE_API_KEY ARK_API_KEY"},
        {"byteplus", "https://ark.ap-southeast.bytepluses.com/api/v3", "ARK_API_KEY"},
        {"siliconflow", "https://api.siliconflow.cn/v1", "SILICONFLOW_API_KEY"},
        {"minimax", "https://api.minimax.io/v1", "MINIMAX_API_KEY"},
        {"baichuan", "https://api.baichuan-ai.com/v1", "BAICHUAN_API_KEY"},
        {"lingyiwanwu", "https://api.lingyiwanwu.com/v1", "YI_API_KEY"}, /* 01.AI */
        {"stepfun", "https://api.stepfun.com/v1", "STEPFUN_API_KEY"},
        {"hunyuan", "https://api.hunyuan.cloud.tencent.com/v1", "HUNYUAN_API_KEY"},
        {"tencent", "https://tokenhub-intl.tencentmaas.com/v1", "TENCENT_API_KEY"},
        {"qianfan", "https://qianfan.baidubce.com/v2", "QIANFAN_API_KEY"},
        {"spark", "https://spark-api-open.xf-yun.com/v1", "SPARK_API_KEY"},
        {"modelscope", "https://api-inference.modelscope.cn/v1", "MODELSCOPE_API_KEY"},
        {"xiaomi_mimo", "https://api.xiaomimimo.com/v1", "XIAOMI_MIMO_API_KEY"},
    };

    for (size_t i = 0; i < LMX_ARRAY_SIZE(cn); i++) {
        const struct lmx__provider *p = row(cn[i].name);

        ASSERT_(p != NULL, "no row for '%s'", cn[i].name);
        ASSERT_(is_preset(p), "'%s' is not a preset", cn[i].name);
        ASSERT_STR_EQ(p->base, cn[i].base);
        ASSERT_STR_EQ(p->key_env, cn[i].key_env);
        ASSERT_EQ(p->flags & LMX_AUTH_MASK, LMX_AUTH_BEARER);
    }
}

static void test_documented_quirks(void)
{
    unsigned ds = lmx_preset_flags("deepseek"), ms = lmx_preset_flags("moonshot");
    unsigned qw = lmx_preset_flags("dashscope");

    /* DeepSeek: reasoning_content deltas, ": keep-alive" comments, cache-hit usage */
    ASSERT(ds & LMX_Q_REASONING_CONTENT);
    ASSERT(ds & LMX_Q_SSE_KEEPALIVE);
    ASSERT(ds & LMX_Q_CACHE_HIT_TOKENS);
    /* Moonshot: usage inside choices[0] */
    ASSERT(ms & LMX_Q_USAGE_IN_CHOICE);
    ASSERT(ms & LMX_Q_REASONING_CONTENT);
    /* Qwen: empty tool-call ids on later chunks, usage in a choices:[] chunk */
    ASSERT(qw & LMX_Q_EMPTY_TOOL_ID);
    ASSERT(qw & LMX_Q_NO_CHOICE_CHUNKS);
    ASSERT(lmx_preset_flags("zai") & LMX_Q_REASONING_CONTENT);
    ASSERT(lmx_preset_flags("zhipu") & LMX_Q_MAX_TOKENS_ONLY);
    ASSERT(lmx_preset_flags("volcengine") & LMX_Q_REASONING_CONTENT);
    ASSERT(lmx_preset_flags("siliconflow") & LMX_Q_REASONING_CONTENT);
    ASSERT(lmx_preset_flags("minimax") & LMX_Q_THINK_TAGS);
    ASSERT(lmx_preset_flags("openrouter") & LMX_Q_DELTA_REASONING);
    ASSERT(lmx_preset_flags("groq") & LMX_Q_XGROQ_USAGE);
    ASSERT(lmx_preset_flags("sarvam") & LMX_Q_SUBSCRIPTION_KEY);
    ASSERT_EQ(lmx_preset_flags("maritalk") & LMX_AUTH_MASK, LMX_AUTH_KEY);
    ASSERT_EQ(lmx_preset_flags("openai") & ~0xffu, 0);
    ASSERT_EQ(lmx_preset_flags("no-such-provider"), 0);
    ASSERT_EQ(lmx_preset_flags(NULL), 0);
}

static void test_flags_by_base(void)
{
    ASSERT_EQ(lmx_preset_flags_by_base("https://api.moonshot.cn/v1"), lmx_preset_flags("moonshot"));
    ASSERT_EQ(lmx_preset_flags_by_base("https://api.moonshot.ai/v1/"),
              lmx_preset_flags("moonshot"));
    ASSERT_EQ(lmx_preset_flags_by_base("https://dashscope-intl.aliyuncs.com/compatible-mode/v1"),
              lmx_preset_flags("dashscope"));
    ASSERT_EQ(lmx_preset_flags_by_base("https://API.DEEPSEEK.COM"), lmx_preset_flags("deepseek"));
    ASSERT_EQ(lmx_preset_flags_by_base("http://127.0.0.1:8080/v1"), 0);
    ASSERT_EQ(lmx_preset_flags_by_base("https://api.deepseek.com.evil.example/v1"), 0);
    ASSERT_EQ(lmx_preset_flags_by_base(NULL), 0);
}

/* ------------------------------------------------------------------------ */
/* One config naming every preset */

static bool needs_api_base(const struct lmx__provider *p)
{
    return p->base == NULL && p->base_env == NULL && !(p->flags & LMX__PF_CLOUDFLARE);
}

/*
 * Sets every key variable of a preset to "k-<NAME>" and the base variables of
 * presets without a default; then clears the base variables of presets with
 * one (pass 2), so that their default must win.
 */
static void set_env(void)
{
    for (size_t i = 0; i < 2 * lmx__provider_count(); i++) {
        const struct lmx__provider *p = lmx__provider_at(i % lmx__provider_count());
        bool pass2 = i >= lmx__provider_count();
        const char *lists[2] = {p->key_env, p->base_env};

        if (!is_preset(p) || (pass2 && p->base == NULL))
            continue;
        for (size_t l = pass2 ? 1 : 0; l < 2; l++) {
            const char *s = lists[l];

            while (s != NULL && *s) {
                size_t n = strcspn(s, " ");
                char name[128], val[160];

                snprintf(name, sizeof(name), "%.*s", (int)n, s);
                if (pass2) {
                    unsetenv(name);
                } else if (l == 0) {
                    snprintf(val, sizeof(val), "k-%s", name);
                    setenv(name, val, 1);
                } else if (p->base == NULL) {
                    snprintf(val, sizeof(val), "http://127.0.0.1:9/%s", name);
                    setenv(name, val, 1);
                }
                s += n;
                while (*s == ' ')
                    s++;
            }
        }
    }
    setenv("CLOUDFLARE_ACCOUNT_ID", "acct", 1);
}

static void first_word(const char *list, char *out, size_t n)
{
    size_t l = list != NULL ? strcspn(list, " ") : 0;

    snprintf(out, n, "%.*s", (int)l, list != NULL ? list : "");
}

static void test_every_preset_loads(void)
{
    struct lmx_buf y;
    struct lmx_config *cfg;
    size_t ncompat = 0, k = 0;

    set_env();
    lmx_buf_init(&y, 1u << 20);
    ASSERT(lmx_buf_puts(&y, "model_list:\n") == 0);
    for (size_t i = 0; i < lmx__provider_count(); i++) {
        const struct lmx__provider *p = lmx__provider_at(i);

        if (!is_preset(p))
            continue;
        ncompat++;
        ASSERT(lmx_buf_printf(&y,
                              "  - model_name: \"%s-model\"\n"
                              "    litellm_params:\n"
                              "      model: \"%s/some-model\"\n",
                              p->name, p->name) == 0);
        if (needs_api_base(p))
            ASSERT(lmx_buf_printf(&y, "      api_base: \"http://127.0.0.1:9/%s/v1\"\n", p->name) ==
                   0);
    }
    cfg = load(y.data);
    lmx_buf_release(&y);
    if (cfg == NULL || diag.warnings != 0)
        dump_diag();
    ASSERT(cfg != NULL);
    ASSERT_EQ(diag.errors, 0);
    ASSERT_EQ(diag.warnings, 0); /* none "not served", none without an api_base */
    ASSERT_EQ(cfg->ndeps, ncompat);
    for (size_t i = 0; i < lmx__provider_count(); i++) {
        const struct lmx__provider *p = lmx__provider_at(i);
        const struct lmx_deployment *d;
        char want_base[256], want_key[160], env[128];

        if (!is_preset(p))
            continue;
        d = &cfg->deps[k++];
        ASSERT_STR_EQ(d->provider, p->name);
        ASSERT_STR_EQ(d->upstream_model, "some-model");
        ASSERT_(d->supported, "%s: not served", p->name);
        if (needs_api_base(p)) {
            snprintf(want_base, sizeof(want_base), "http://127.0.0.1:9/%s/v1", p->name);
        } else if (p->base != NULL) {
            snprintf(want_base, sizeof(want_base), "%s", p->base);
        } else if (p->flags & LMX__PF_CLOUDFLARE) {
            snprintf(want_base, sizeof(want_base),
                     "https://api.cloudflare.com/client/v4/accounts/acct/ai/v1");
        } else {
            first_word(p->base_env, env, sizeof(env));
            snprintf(want_base, sizeof(want_base), "http://127.0.0.1:9/%s%s", env,
                     (p->flags & LMX__PF_APPEND_V1) ? "/v1" : "");
        }
        ASSERT_(d->api_base != NULL && strcmp(d->api_base, want_base) == 0,
                "%s: api_base %s, want %s", p->name, d->api_base ? d->api_base : "(null)",
                want_base);
        if (p->key_env == NULL) {
            ASSERT_(d->api_key == NULL, "%s: unexpected key %s", p->name, d->api_key);
            continue;
        }
        first_word(p->key_env, env, sizeof(env));
        snprintf(want_key, sizeof(want_key), "k-%s", env);
        ASSERT_(d->api_key != NULL && strcmp(d->api_key, want_key) == 0, "%s: key %s, want %s",
                p->name, d->api_key ? d->api_key : "(null)", want_key);
    }
    lmx_config_unref(cfg);
}

/* The Chinese providers by the model strings LiteLLM users write, and openai/ + api_base. */
static void test_chinese_configs(void)
{
    const char *text = "model_list:\n"
                       "  - model_name: ds\n"
                       "    litellm_params: {model: deepseek/deepseek-reasoner}\n"
                       "  - model_name: kimi\n"
                       "    litellm_params: {model: moonshot/kimi-k2-0905-preview}\n"
                       "  - model_name: qwen\n"
                       "    litellm_params: {model: dashscope/qwen3-max}\n"
                       "  - model_name: glm\n"
                       "    litellm_params: {model: zai/glm-4.6}\n"
                       "  - model_name: doubao\n"
                       "    litellm_params: {model: volcengine/ep-20250101-abcde}\n"
                       "  - model_name: mm\n"
                       "    litellm_params: {model: minimax/MiniMax-M2}\n"
                       "  - model_name: kimi-cn\n"
                       "    litellm_params: {model: openai/moonshot-v1-8k, api_base: "
                       "'https://api.moonshot.cn/v1'}\n"
                       "  - model_name: qwen-intl\n"
                       "    litellm_params: {model: openai/qwen-plus, api_base: "
                       "'https://dashscope-intl.aliyuncs.com/compatible-mode/v1'}\n";
    struct lmx_config *cfg;

    set_env();
    cfg = load(text);
    if (cfg == NULL || diag.warnings != 0)
        dump_diag();
    ASSERT(cfg != NULL);
    ASSERT_EQ(diag.warnings, 0);
    ASSERT_STR_EQ(cfg->deps[0].api_base, "https://api.deepseek.com/beta");
    ASSERT_STR_EQ(cfg->deps[0].api_key, "k-DEEPSEEK_API_KEY");
    ASSERT_STR_EQ(cfg->deps[4].upstream_model, "ep-20250101-abcde");
    ASSERT_STR_EQ(cfg->deps[4].api_key, "k-VOLCENGINE_API_KEY");
    /* quirks follow the provider, and the host behind a generic prefix */
    ASSERT(lmx_quirks_for(&cfg->deps[1]) & LMX_Q_USAGE_IN_CHOICE);
    ASSERT(lmx_quirks_for(&cfg->deps[2]) & LMX_Q_EMPTY_TOOL_ID);
    ASSERT_STR_EQ(cfg->deps[6].provider, "openai");
    ASSERT(lmx_quirks_for(&cfg->deps[6]) & LMX_Q_USAGE_IN_CHOICE);
    ASSERT(lmx_quirks_for(&cfg->deps[7]) & LMX_Q_EMPTY_TOOL_ID);
    ASSERT_EQ(lmx_quirks_for(NULL), 0);
    lmx_config_unref(cfg);
}

/* The tail families by LiteLLM's model strings: callable rows, their own ops, env bases. */
static void test_tail_families(void)
{
    static const struct {
        const char *name;
        const struct lmx_provider_ops *ops;
    } fam[] = {
        {"azure_ai", &lmx_provider_azure_ai_ops},     {"huggingface", &lmx_provider_huggingface_ops},
        {"databricks", &lmx_provider_databricks_ops}, {"snowflake", &lmx_provider_snowflake_ops},
        {"voyage", &lmx_provider_voyage_ops},         {"predibase", &lmx_provider_predibase_ops},
        {"triton", &lmx_provider_triton_ops},
    };
    const char *text =
        "model_list:\n"
        "  - {model_name: a, litellm_params: {model: azure_ai/mistral-large}}\n"
        "  - {model_name: b, litellm_params: {model: huggingface/together/deepseek-ai/DeepSeek-R1}}\n"
        "  - {model_name: c, litellm_params: {model: databricks/databricks-dbrx-instruct}}\n"
        "  - {model_name: d, litellm_params: {model: predibase/llama-3-8b, tenant_id: t1}}\n"
        "  - {model_name: e, litellm_params: {model: triton/llama, api_base: 'http://h:8000'}}\n"
        "  - {model_name: f, litellm_params: {model: voyage/voyage-3}}\n";
    struct lmx_config *cfg;

    for (size_t i = 0; i < LMX_ARRAY_SIZE(fam); i++) {
        const struct lmx__provider *p = row(fam[i].name);
        struct lmx_deployment d;

        ASSERT_(p != NULL && p->kind == LMX__P_COMPAT, "%s: not a callable row", fam[i].name);
        memset(&d, 0, sizeof(d));
        d.provider = (char *)fam[i].name;
        ASSERT_(lmx_provider_for(&d) == fam[i].ops, "%s: wrong ops", fam[i].name);
    }
    setenv("AZURE_AI_API_BASE", "https://r.services.ai.azure.com", 1);
    setenv("AZURE_AI_API_KEY", "k-aai", 1);
    setenv("HF_TOKEN", "k-hf", 1);
    unsetenv("HF_API_BASE");
    unsetenv("HUGGINGFACE_API_BASE");
    setenv("DATABRICKS_API_BASE", "https://adb-1.azuredatabricks.net/serving-endpoints", 1);
    setenv("DATABRICKS_API_KEY", "dapi-1", 1);
    setenv("PREDIBASE_API_KEY", "k-pb", 1);
    unsetenv("PREDIBASE_API_BASE");
    cfg = load(text);
    if (cfg == NULL || diag.warnings != 0)
        dump_diag();
    ASSERT(cfg != NULL);
    ASSERT_EQ(diag.errors, 0);
    ASSERT_EQ(diag.warnings, 0);
    ASSERT_EQ(cfg->ndeps, 6);
    ASSERT_STR_EQ(cfg->deps[0].api_base, "https://r.services.ai.azure.com");
    ASSERT_STR_EQ(cfg->deps[0].api_key, "k-aai");
    ASSERT_STR_EQ(cfg->deps[1].upstream_model, "together/deepseek-ai/DeepSeek-R1");
    ASSERT_STR_EQ(cfg->deps[1].api_base, "https://router.huggingface.co/v1");
    ASSERT_STR_EQ(cfg->deps[1].api_key, "k-hf");
    ASSERT_STR_EQ(cfg->deps[2].api_base, "https://adb-1.azuredatabricks.net/serving-endpoints");
    ASSERT_STR_EQ(cfg->deps[2].api_key, "dapi-1");
    ASSERT_STR_EQ(cfg->deps[3].api_base, "https://serving.app.predibase.com");
    ASSERT_STR_EQ(cfg->deps[3].api_key, "k-pb");
    ASSERT_STR_EQ(cfg->deps[4].api_base, "http://h:8000");
    ASSERT_STR_EQ(cfg->deps[5].api_base, "https://api.voyageai.com/v1");
    lmx_config_unref(cfg);
}

int main(void)
{
    lmx_diag_init(&diag);
    RUN(test_at_least_100_presets);
    RUN(test_every_part2_id_has_a_row);
    RUN(test_chinese_providers);
    RUN(test_documented_quirks);
    RUN(test_flags_by_base);
    RUN(test_every_preset_loads);
    RUN(test_chinese_configs);
    RUN(test_tail_families);
    lmx_diag_release(&diag);
    TEST_MAIN_END();
}
