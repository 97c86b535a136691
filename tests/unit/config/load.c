/*
 * tests/unit/config/load.c - config.yaml to struct lmx_config: os.environ/
 * references, environment_variables, provider prefixes and defaults, groups,
 * numeric strings, every error kind with its line:column, stable ids, and the
 * real LiteLLM configs of the fixtures.
 */
#include "core/lmx.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "config/config.h"
#include "config/config_int.h"
#include "core/err.h"
#include "test.h"

static struct lmx_diag diag;
static char fixtures[1024];
static char cases[1024];

static struct lmx_config *load(const char *text)
{
    struct lmx_config *cfg = NULL;

    lmx_diag_release(&diag);
    lmx_diag_init(&diag);
    if (lmx_config_load_string("t.yaml", text, strlen(text), &cfg, &diag) < 0)
        return NULL;
    return cfg;
}

static struct lmx_config *load_file(const char *path)
{
    struct lmx_config *cfg = NULL;

    lmx_diag_release(&diag);
    lmx_diag_init(&diag);
    if (lmx_config_load(path, &cfg, &diag) < 0)
        return NULL;
    return cfg;
}

static bool has_line(const char *needle)
{
    for (size_t i = 0; i < diag.n; i++)
        if (strstr(diag.lines[i], needle) != NULL)
            return true;
    return false;
}

static size_t count_lines(const char *needle)
{
    size_t n = 0;

    for (size_t i = 0; i < diag.n; i++)
        n += strstr(diag.lines[i], needle) != NULL;
    return n;
}

static void dump_diag(void)
{
    for (size_t i = 0; i < diag.n; i++)
        fprintf(stderr, "  | %s\n", diag.lines[i]);
}

static const struct lmx_group *group(const struct lmx_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->ngroups; i++)
        if (strcmp(cfg->groups[i].name, name) == 0)
            return &cfg->groups[i];
    return NULL;
}

/* ------------------------------------------------------------------------ */

static void test_environ_resolution(void)
{
    const char *text = "model_list:\n"
                       "  - model_name: a\n"
                       "    litellm_params:\n"
                       "      model: openai/gpt-4o\n"
                       "      api_key: os.environ/LMXT_KEY\n"
                       "      api_base: os.environ/LMXT_BASE\n"
                       "      rpm: os.environ/LMXT_RPM\n"
                       "litellm_settings:\n"
                       "  callbacks: [os.environ/LMXT_MISSING_CB, prometheus]\n"
                       "  drop_params: os.environ/LMXT_DROP\n";
    struct lmx_config *cfg;
    const json_t *lp;

    setenv("LMXT_KEY", "sk-from-env", 1);
    setenv("LMXT_RPM", "120", 1);
    setenv("LMXT_DROP", "True", 1);
    unsetenv("LMXT_BASE");
    unsetenv("LMXT_MISSING_CB");
    cfg = load(text);
    if (cfg == NULL)
        dump_diag();
    ASSERT(cfg != NULL);
    ASSERT_EQ(cfg->ndeps, 1);
    ASSERT_STR_EQ(cfg->deps[0].api_key, "sk-from-env");
    ASSERT_DBL_EQ(cfg->deps[0].rpm, 120);
    /* unset -> absent: the provider default applies */
    ASSERT_STR_EQ(cfg->deps[0].api_base, "https://api.openai.com/v1");
    lp = cfg->deps[0].litellm_params;
    ASSERT_STR_EQ(json_string_value(json_object_get(lp, "api_key")), "sk-from-env");
    ASSERT(json_object_get(lp, "api_base") == NULL);
    ASSERT(cfg->drop_params);
    /* a list item that is unset is dropped */
    ASSERT_EQ(json_array_size(
                  json_object_get(json_object_get(cfg->root, "litellm_settings"), "callbacks")),
              1);
    ASSERT(has_line("t.yaml:6:17: warning: environment variable 'LMXT_BASE' is not set; "
                    "'model_list[0].litellm_params.api_base' is treated as absent"));
    ASSERT(has_line("t.yaml:9:15: warning: environment variable 'LMXT_MISSING_CB' is not set; "
                    "'litellm_settings.callbacks[0]' is treated as absent"));
    ASSERT_EQ(count_lines("is not set"), 2);
    ASSERT_EQ(diag.errors, 0);
    lmx_config_unref(cfg);
}

static void test_environment_variables_export(void)
{
    const char *text = "environment_variables:\n"
                       "  LMXT_EXPORTED: hello\n"
                       "  LMXT_PORT: 6329\n"
                       "  LMXT_FLAG: yes\n"
                       "  OPENAI_API_KEY: sk-openai-from-section\n"
                       "model_list:\n"
                       "  - model_name: a\n"
                       "    litellm_params:\n"
                       "      model: gpt-4o\n"
                       "      organization: os.environ/LMXT_EXPORTED\n";
    const char *bad = "environment_variables:\n"
                      "  LMXT_NOT_YET: value\n"
                      "model_list:\n"
                      "  - model_name: a\n";
    struct lmx_config *cfg;

    unsetenv("LMXT_EXPORTED");
    unsetenv("OPENAI_API_KEY");
    cfg = load(text);
    if (cfg == NULL)
        dump_diag();
    ASSERT(cfg != NULL);
    /* referenced and used as provider default before the export... */
    ASSERT_STR_EQ(cfg->deps[0].organization, "hello");
    ASSERT_STR_EQ(cfg->deps[0].api_key, "sk-openai-from-section");
    /* ...and exported once the file loaded */
    ASSERT_STR_EQ(getenv("LMXT_EXPORTED"), "hello");
    ASSERT_STR_EQ(getenv("LMXT_PORT"), "6329");
    ASSERT_STR_EQ(getenv("LMXT_FLAG"), "True");
    lmx_config_unref(cfg);
    unsetenv("OPENAI_API_KEY");

    /* a file with errors exports nothing */
    unsetenv("LMXT_NOT_YET");
    cfg = load(bad);
    ASSERT(cfg == NULL);
    ASSERT(getenv("LMXT_NOT_YET") == NULL);

    cfg = load("environment_variables:\n  \"A=B\": x\n");
    ASSERT(cfg == NULL);
    ASSERT(has_line("t.yaml:2:3: error: 'environment_variables' has an invalid variable name "
                    "'A=B'"));
    cfg = load("environment_variables:\n  LMXT_LIST: [a]\n");
    ASSERT(cfg == NULL);
    ASSERT(has_line("t.yaml:2:14: error: 'environment_variables.LMXT_LIST' must be a string, got "
                    "a list"));
}

static void test_master_key(void)
{
    struct lmx_config *cfg;

    unsetenv("LITELLM_MASTER_KEY");
    cfg = load("model_list: []\n");
    ASSERT(cfg != NULL);
    ASSERT(cfg->master_key == NULL);
    ASSERT(has_line("t.yaml:1:13: warning: no deployments in model_list"));
    lmx_config_unref(cfg);

    setenv("LITELLM_MASTER_KEY", "sk-env-master", 1);
    cfg = load("general_settings:\n  master_key: os.environ/LMXT_UNSET_MK\n");
    ASSERT(cfg != NULL);
    ASSERT_STR_EQ(cfg->master_key, "sk-env-master");
    lmx_config_unref(cfg);

    cfg = load("general_settings:\n  master_key: sk-file\n");
    ASSERT(cfg != NULL);
    ASSERT_STR_EQ(cfg->master_key, "sk-file");
    lmx_config_unref(cfg);
    unsetenv("LITELLM_MASTER_KEY");

    cfg = load("general_settings:\n  master_key: \"1234\"\n");
    ASSERT(cfg != NULL);
    ASSERT(has_line("t.yaml:2:15: warning: 'general_settings.master_key' should start with 'sk-'"));
    lmx_config_unref(cfg);
}

struct provider_case {
    const char *params; /* flow mapping body of litellm_params */
    const char *provider, *upstream, *api_base;
    bool supported;
};

/* clang-format off */
static const struct provider_case provider_cases[] = {
    {"model: gpt-4o", "openai", "gpt-4o", "https://api.openai.com/v1", true},
    {"model: openai/gpt-4o", "openai", "gpt-4o", "https://api.openai.com/v1", true},
    {"model: mistralai/mistral-7b-instruct", "openai", "mistralai/mistral-7b-instruct", "https://api.openai.com/v1", true},
    {"model: text-completion-openai/gpt-3.5-turbo-instruct", "text-completion-openai", "gpt-3.5-turbo-instruct", "https://api.openai.com/v1", true},
    {"model: groq/llama-3.1-8b-instant", "groq", "llama-3.1-8b-instant", "https://api.groq.com/openai/v1", true},
    {"model: deepseek/deepseek-chat", "deepseek", "deepseek-chat", "https://api.deepseek.com/beta", true},
    {"model: together_ai/meta-llama/Llama-3-70b", "together_ai", "meta-llama/Llama-3-70b", "https://api.together.xyz/v1", true},
    {"model: openrouter/anthropic/claude-3.5-sonnet", "openrouter", "anthropic/claude-3.5-sonnet", "https://openrouter.ai/api/v1", true},
    {"model: chutes/x", "chutes", "x", "https://llm.chutes.ai/v1", true},
    {"model: hosted_vllm/meta-llama/Llama-3.1-8B, api_base: 'http://vllm:8000/v1/'", "hosted_vllm", "meta-llama/Llama-3.1-8B", "http://vllm:8000/v1", true},
    {"model: hosted_vllm/x", "hosted_vllm", "x", NULL, false},
    {"model: openai_like/x, api_base: 'http://h:1/v1'", "openai_like", "x", "http://h:1/v1", true},
    {"model: azure/my-dep, api_base: 'https://x.openai.azure.com/', api_version: '2024-10-21'", "azure", "my-dep", "https://x.openai.azure.com", true},
    {"model: azure/o_series/my-o1, api_base: 'https://x.openai.azure.com', api_version: 2024-10-21", "azure", "my-o1", "https://x.openai.azure.com", true},
    {"model: azure/my-dep", "azure", "my-dep", NULL, false},
    {"model: anthropic/claude-sonnet-4-5", "anthropic", "claude-sonnet-4-5", "https://api.anthropic.com", true},
    {"model: bedrock/us.anthropic.claude-3-7-sonnet-20250219-v1:0", "bedrock", "us.anthropic.claude-3-7-sonnet-20250219-v1:0", "https://bedrock-runtime.{region}.amazonaws.com", true},
    {"model: openai/llama-3.1-8b, api_base: 'https://api.groq.com/openai/v1'", "groq", "llama-3.1-8b", "https://api.groq.com/openai/v1", true},
    {"model: llama3, api_base: 'https://api.perplexity.ai'", "perplexity", "llama3", "https://api.perplexity.ai", true},
    {"model: together_ai/foo, custom_llm_provider: together_ai", "together_ai", "foo", "https://api.together.xyz/v1", true},
    {"model: foo/bar, custom_llm_provider: deepseek", "deepseek", "foo/bar", "https://api.deepseek.com/beta", true},
    {"model: heroku/claude, api_base: 'https://us.inference.heroku.com'", "heroku", "claude", "https://us.inference.heroku.com/v1", true},
    {"model: sagemaker/endpoint", "sagemaker", "endpoint",
     "https://runtime.sagemaker.{region}.amazonaws.com", true},
    {"model: manus/meta/llama-3", "manus", "meta/llama-3", NULL, false},
};
/* clang-format on */

static void test_provider_prefixes(void)
{
    for (size_t i = 0; i < LMX_ARRAY_SIZE(provider_cases); i++) {
        const struct provider_case *c = &provider_cases[i];
        const struct lmx_deployment *d;
        char text[512];
        struct lmx_config *cfg;

        snprintf(text, sizeof(text), "model_list:\n  - model_name: m\n    litellm_params: {%s}\n",
                 c->params);
        cfg = load(text);
        if (cfg == NULL)
            dump_diag();
        ASSERT_(cfg != NULL, "case '%s' does not load", c->params);
        d = &cfg->deps[0];
        ASSERT_STR_EQ(d->provider, c->provider);
        ASSERT_STR_EQ(d->upstream_model, c->upstream);
        if (c->api_base == NULL)
            ASSERT_(d->api_base == NULL, "case '%s': api_base %s", c->params, d->api_base);
        else
            ASSERT_STR_EQ(d->api_base, c->api_base);
        ASSERT_(d->supported == c->supported, "case '%s': supported %d", c->params, d->supported);
        lmx_config_unref(cfg);
    }
}

static void test_provider_defaults_from_env(void)
{
    const char *text = "model_list:\n"
                       "  - model_name: g\n"
                       "    litellm_params: {model: groq/llama}\n"
                       "  - model_name: t\n"
                       "    litellm_params: {model: together_ai/x}\n"
                       "  - model_name: az\n"
                       "    litellm_params: {model: azure/dep}\n"
                       "  - model_name: o\n"
                       "    litellm_params: {model: gpt-4o, api_key: sk-written}\n"
                       "  - model_name: v\n"
                       "    litellm_params: {model: hosted_vllm/m}\n";
    struct lmx_config *cfg;

    setenv("GROQ_API_KEY", "gsk-env", 1);
    setenv("TOGETHER_AI_API_KEY", "tg-second", 1); /* TOGETHER_API_KEY comes first, unset */
    setenv("AZURE_API_KEY", "az-key", 1);
    setenv("AZURE_API_BASE", "https://env.openai.azure.com/", 1);
    setenv("AZURE_API_VERSION", "2024-06-01", 1);
    setenv("OPENAI_API_KEY", "sk-env", 1);
    setenv("HOSTED_VLLM_API_BASE", "http://vllm.local:8000/v1", 1);
    cfg = load(text);
    unsetenv("GROQ_API_KEY");
    unsetenv("TOGETHER_AI_API_KEY");
    unsetenv("AZURE_API_KEY");
    unsetenv("AZURE_API_BASE");
    unsetenv("AZURE_API_VERSION");
    unsetenv("OPENAI_API_KEY");
    unsetenv("HOSTED_VLLM_API_BASE");
    if (cfg == NULL)
        dump_diag();
    ASSERT(cfg != NULL);
    ASSERT_STR_EQ(cfg->deps[0].api_key, "gsk-env");
    ASSERT_STR_EQ(cfg->deps[1].api_key, "tg-second");
    ASSERT_STR_EQ(cfg->deps[2].api_key, "az-key");
    ASSERT_STR_EQ(cfg->deps[2].api_base, "https://env.openai.azure.com");
    ASSERT_STR_EQ(cfg->deps[2].api_version, "2024-06-01");
    ASSERT(cfg->deps[2].supported);
    ASSERT_STR_EQ(cfg->deps[3].api_key, "sk-written");
    ASSERT_STR_EQ(cfg->deps[4].api_base, "http://vllm.local:8000/v1");
    ASSERT(cfg->deps[4].supported);
    lmx_config_unref(cfg);
}

static void test_native_warning_once(void)
{
    const char *text = "model_list:\n"
                       "  - model_name: a\n"
                       "    litellm_params: {model: manus/endpoint-a}\n"
                       "  - model_name: b\n"
                       "    litellm_params: {model: manus/endpoint-b}\n"
                       "  - model_name: c\n"
                       "    litellm_params: {model: hosted_vllm/x}\n";
    struct lmx_config *cfg = load(text);

    ASSERT(cfg != NULL);
    ASSERT_EQ(count_lines("provider 'manus' is not served by this build yet"), 1);
    ASSERT(has_line("t.yaml:3:29: warning: provider 'manus' is not served by this build yet; "
                    "requests to its deployments fail with 501"));
    ASSERT(
        has_line("t.yaml:7:29: warning: 'model_list[2].litellm_params' has no api_base and "
                 "provider 'hosted_vllm' has no default (set api_base or HOSTED_VLLM_API_BASE)"));
    lmx_config_unref(cfg);
}

static void test_provider_table(void)
{
    size_t n = lmx__provider_count();

    ASSERT(n > 100);
    for (size_t i = 0; i < n; i++) {
        const struct lmx__provider *p = lmx__provider_at(i);
        size_t blen;

        ASSERT(lmx__provider_find(p->name, strlen(p->name)) == p); /* names are unique */
        if (p->base == NULL)
            continue;
        blen = strlen(p->base);
        ASSERT_(strncmp(p->base, "http", 4) == 0, "%s: base %s", p->name, p->base);
        ASSERT_(p->base[blen - 1] != '/', "%s: trailing '/'", p->name);
        ASSERT_(p->kind != LMX__P_NATIVE, "%s: native with a base", p->name);
    }
    ASSERT(lmx__provider_find("groq", 4) != NULL);
    ASSERT(lmx__provider_find("mistralai", 9) == NULL);
}

static void test_groups_and_wildcards(void)
{
    const char *text = "model_list:\n"
                       "  - model_name: a\n"
                       "    litellm_params: {model: gpt-4o}\n"
                       "  - model_name: b\n"
                       "    litellm_params: {model: gpt-4o-mini}\n"
                       "  - model_name: a\n"
                       "    litellm_params: {model: gpt-4o, api_key: other}\n"
                       "  - model_name: \"anthropic/*\"\n"
                       "    litellm_params: {model: \"anthropic/*\"}\n"
                       "  - model_name: \"*\"\n"
                       "    litellm_params: {model: \"openai/*\"}\n"
                       "  - model_name: groq/*\n"
                       "    litellm_params: {model: groq/*}\n";
    struct lmx_config *cfg = load(text);
    const struct lmx_group *g;

    if (cfg == NULL)
        dump_diag();
    ASSERT(cfg != NULL);
    ASSERT_EQ(cfg->ngroups, 5);
    ASSERT_STR_EQ(cfg->groups[0].name, "a");
    ASSERT_STR_EQ(cfg->groups[1].name, "b");
    ASSERT_STR_EQ(cfg->groups[2].name, "anthropic/*");
    ASSERT_STR_EQ(cfg->groups[3].name, "*");
    ASSERT_STR_EQ(cfg->groups[4].name, "groq/*");
    g = group(cfg, "a");
    ASSERT_EQ(g->ndeps, 2);
    ASSERT(g->deps[0] == &cfg->deps[0]);
    ASSERT(g->deps[1] == &cfg->deps[2]);
    ASSERT(!g->wildcard);
    g = group(cfg, "anthropic/*");
    ASSERT(g->wildcard);
    ASSERT_EQ(g->prefix_len, 10);
    ASSERT_STR_EQ(g->deps[0]->upstream_model, "*");
    g = group(cfg, "*");
    ASSERT(g->wildcard);
    ASSERT_EQ(g->prefix_len, 0);
    ASSERT_STR_EQ(g->deps[0]->provider, "openai");
    g = group(cfg, "groq/*");
    ASSERT_EQ(g->prefix_len, 5);
    lmx_config_unref(cfg);
}

static void test_numbers(void)
{
    const char *text = "model_list:\n"
                       "  - model_name: a\n"
                       "    litellm_params:\n"
                       "      model: gpt-4o\n"
                       "      rpm: \"100\"\n"
                       "      tpm: \"1e5\"\n"
                       "      weight: \"2\"\n"
                       "      order: \"2\"\n"
                       "      timeout: 30.5\n"
                       "      stream_timeout: \"0.001\"\n"
                       "      num_retries: 3\n"
                       "      max_parallel_requests: \"50\"\n"
                       "      input_cost_per_token: 3e-7\n"
                       "      output_cost_per_token: \"2e-7\"\n"
                       "      drop_params: \"true\"\n"
                       "  - model_name: b\n"
                       "    litellm_params: {model: gpt-4o}\n"
                       "    rpm: 3\n"
                       "    tpm: 20000\n"
                       "litellm_settings:\n"
                       "  num_retries: 5\n"
                       "  request_timeout: \"600\"\n"
                       "router_settings:\n"
                       "  num_retries: 2\n"
                       "general_settings:\n"
                       "  max_request_size_mb: 1.5\n"
                       "llmux_settings:\n"
                       "  max_header_bytes: 8192\n"
                       "  header_timeout: \"10\"\n"
                       "  idle_timeout: 5\n"
                       "  shutdown_grace: 0\n";
    struct lmx_config *cfg = load(text);
    const struct lmx_deployment *d;

    if (cfg == NULL)
        dump_diag();
    ASSERT(cfg != NULL);
    d = &cfg->deps[0];
    ASSERT_DBL_EQ(d->rpm, 100);
    ASSERT_DBL_EQ(d->tpm, 1e5);
    ASSERT_DBL_EQ(d->weight, 2);
    ASSERT_EQ(d->order, 2);
    ASSERT_DBL_EQ(d->timeout, 30.5);
    ASSERT_DBL_EQ(d->stream_timeout, 0.001);
    ASSERT_EQ(d->num_retries, 3);
    ASSERT_EQ(d->max_parallel_requests, 50);
    ASSERT_EQ(d->drop_params, 1);
    /* PyYAML: 3e-7 unquoted is a string; it is still a valid number field */
    ASSERT_STR_EQ(json_string_value(json_object_get(d->litellm_params, "input_cost_per_token")),
                  "3e-7");
    /* rpm/tpm next to litellm_params, as in LiteLLM's load_balancer.yaml */
    ASSERT_DBL_EQ(cfg->deps[1].rpm, 3);
    ASSERT_DBL_EQ(cfg->deps[1].tpm, 20000);
    ASSERT_EQ(cfg->deps[1].num_retries, -1);
    ASSERT_EQ(cfg->deps[1].drop_params, -1);
    ASSERT_EQ(cfg->deps[1].max_parallel_requests, -1);
    ASSERT_EQ(cfg->deps[1].order, 0);
    /* router_settings wins over litellm_settings */
    ASSERT_EQ(cfg->num_retries, 2);
    ASSERT_DBL_EQ(cfg->request_timeout, 600);
    ASSERT_EQ(cfg->max_request_bytes, 1572864);
    ASSERT_EQ(cfg->max_header_bytes, 8192);
    ASSERT_DBL_EQ(cfg->header_timeout, 10);
    ASSERT_DBL_EQ(cfg->idle_timeout, 5);
    ASSERT_DBL_EQ(cfg->shutdown_grace, 0);
    ASSERT_EQ(diag.errors, 0);
    lmx_config_unref(cfg);
}

static void test_defaults(void)
{
    struct lmx_config *cfg =
        load("model_list:\n  - model_name: a\n    litellm_params: {model: x}\n");

    ASSERT(cfg != NULL);
    ASSERT_EQ(atomic_load(&cfg->refs), 1);
    ASSERT_STR_EQ(cfg->path, "t.yaml");
    ASSERT_EQ(cfg->max_request_bytes, 32u << 20);
    ASSERT_DBL_EQ(cfg->request_timeout, 6000);
    ASSERT_EQ(cfg->num_retries, 2); /* LiteLLM Router default */
    ASSERT(!cfg->drop_params);
    ASSERT(cfg->model_group_alias == NULL);
    ASSERT_EQ(cfg->max_header_bytes, 65536);
    ASSERT_DBL_EQ(cfg->header_timeout, 30);
    ASSERT_DBL_EQ(cfg->idle_timeout, 120);
    ASSERT_DBL_EQ(cfg->shutdown_grace, 30);
    ASSERT(cfg->ca_bundle == NULL);
    ASSERT(cfg->master_key == NULL);
    ASSERT(cfg->deps[0].model_info != NULL);
    ASSERT_EQ(cfg->deps[0].num_retries, -1);
    ASSERT_EQ(diag.errors + diag.warnings, 0);
    /* refcounting */
    ASSERT(lmx_config_ref(cfg) == cfg);
    ASSERT_EQ(atomic_load(&cfg->refs), 2);
    lmx_config_unref(cfg);
    lmx_config_unref(cfg);
    lmx_config_unref(NULL);
}

static void test_error_kinds(void)
{
    char path[1100];
    struct lmx_config *cfg;
    static const char *const expected[] = {
        "errors.yaml:3:5: error: 'model_list[0]' has no model_name",
        "errors.yaml:7:7: error: 'model_list[1].litellm_params' has no model",
        "errors.yaml:11:12: error: 'model_list[2].litellm_params.rpm' must be a number, got "
        "'lots'",
        "errors.yaml:15:16: error: 'model_list[3].litellm_params.timeout' must not be negative, "
        "got the number -5",
        "errors.yaml:19:20: error: 'model_list[4].litellm_params.num_retries' must be a whole "
        "number, got the number 1.5",
        "errors.yaml:23:16: error: 'model_list[5].litellm_params.api_key' must be a string, got "
        "a number", /* a credential's value is never echoed */
        "errors.yaml:25:21: error: 'model_list[6].litellm_params' must be a mapping, got 'gpt-4o'",
        "errors.yaml:35:11: error: duplicate model_info.id 'same' (also at line 30)",
        "errors.yaml:36:5: error: 'model_list[9]' must be a mapping with model_name and "
        "litellm_params, got 'just a string'",
        "errors.yaml:38:15: error: 'general_settings.master_key' must be a string, got a "
        "boolean",
        "errors.yaml:40:16: error: 'litellm_settings.drop_params' must be true or false, got "
        "'maybe'",
    };

    snprintf(path, sizeof(path), "%s/errors.yaml", cases);
    cfg = load_file(path);
    ASSERT(cfg == NULL);
    for (size_t i = 0; i < LMX_ARRAY_SIZE(expected); i++) {
        if (!has_line(expected[i]))
            dump_diag();
        ASSERT_(has_line(expected[i]), "missing: %s", expected[i]);
    }
    ASSERT_EQ(diag.errors, LMX_ARRAY_SIZE(expected));
    /* sorted by position */
    for (size_t i = 1; i < diag.n; i++) {
        const char *a = strstr(diag.lines[i - 1], ".yaml:"), *b = strstr(diag.lines[i], ".yaml:");

        ASSERT(a != NULL && b != NULL);
        ASSERT_(atoi(a + 6) <= atoi(b + 6), "%s before %s", diag.lines[i - 1], diag.lines[i]);
    }
}

static void test_more_errors(void)
{
    struct lmx_config *cfg;

    cfg = load("model_list: foo\n");
    ASSERT(cfg == NULL);
    ASSERT(has_line("t.yaml:1:13: error: 'model_list' must be a list, got 'foo'"));

    cfg = load("general_settings: [a]\n");
    ASSERT(cfg == NULL);
    ASSERT(has_line("t.yaml:1:19: error: 'general_settings' must be a mapping, got a list"));

    cfg = load("model_list:\n  - model_name: a\n    litellm_params: {model: x, order: -1}\n");
    ASSERT(cfg == NULL);
    ASSERT(has_line("t.yaml:3:39: error: 'model_list[0].litellm_params.order' must not be "
                    "negative"));

    cfg = load("model_list:\n  - model_name: a\n    litellm_params: {model: x, rpm: yes}\n");
    ASSERT(cfg == NULL);
    ASSERT(has_line("t.yaml:3:37: error: 'model_list[0].litellm_params.rpm' must be a number, "
                    "got the boolean 'yes'"));

    cfg = load("model_list:\n  - model_name: \"\"\n    litellm_params: {model: \"\"}\n");
    ASSERT(cfg == NULL);
    ASSERT(has_line("t.yaml:2:17: error: 'model_list[0].model_name' is empty"));
    ASSERT(has_line("t.yaml:3:29: error: 'model_list[0].litellm_params.model' is empty"));

    cfg = load("model_list:\n  - model_name: 3.5\n    litellm_params: {model: x}\n");
    ASSERT(cfg == NULL);
    ASSERT(has_line("t.yaml:2:17: error: 'model_list[0].model_name' must be a string, got the "
                    "number 3.5"));

    cfg = load("model_list:\n  - model_name: a\n");
    ASSERT(cfg == NULL);
    ASSERT(has_line("t.yaml:2:5: error: 'model_list[0]' has no litellm_params"));

    cfg = load("model_list:\n  -\n");
    ASSERT(cfg == NULL);
    ASSERT(has_line("t.yaml:2:4: error: 'model_list[0]' is empty"));

    cfg = load("router_settings:\n  model_group_alias: {a: [x]}\n");
    ASSERT(cfg == NULL);
    ASSERT(has_line("t.yaml:2:26: error: 'router_settings.model_group_alias.a' must be a group "
                    "name or {model, hidden}, got a list"));

    cfg = load("llmux_settings:\n  max_header_bytes: 0\n");
    ASSERT(cfg == NULL);
    ASSERT(has_line("t.yaml:2:21: error: 'llmux_settings.max_header_bytes' must be greater than "
                    "0"));

    cfg = load("model_list:\n"
               "  - model_name: a\n"
               "    litellm_params: {model: x}\n"
               "    model_info: {access_groups: [a, 1], supports_vision: maybe}\n");
    ASSERT(cfg == NULL);
    ASSERT(has_line("t.yaml:4:37: error: 'model_list[0].model_info.access_groups[1]' must be a "
                    "string, got the number 1"));
    ASSERT(has_line("t.yaml:4:58: error: 'model_list[0].model_info.supports_vision' must be true "
                    "or false, got 'maybe'"));
}

/* Messages may reach logs: values from the environment are named, never shown. */
static void test_no_secrets_in_messages(void)
{
    struct lmx_config *cfg;

    setenv("LMXT_SECRETISH", "sk-very-secret", 1);
    cfg = load("model_list:\n"
               "  - model_name: a\n"
               "    litellm_params: {model: x, rpm: os.environ/LMXT_SECRETISH}\n");
    unsetenv("LMXT_SECRETISH");
    ASSERT(cfg == NULL);
    ASSERT(has_line("t.yaml:3:37: error: 'model_list[0].litellm_params.rpm' must be a number, got "
                    "the value of environment variable 'LMXT_SECRETISH'"));
    ASSERT(!has_line("sk-very-secret"));
}

static void test_warnings(void)
{
    const char *text = "model_list:\n"
                       "  - model_name: a\n"
                       "    litellm_params: {model: x, max_budget: 9, foo: 1}\n"
                       "  - model_name: b\n"
                       "    litellm_params: {model: y, max_budget: 9, foo: 2}\n"
                       "    colour: blue\n"
                       "litellm_settings:\n"
                       "  cache: true\n"
                       "  telemetry: false\n"
                       "router_settings:\n"
                       "  routing_strategy: latency-based-routing\n"
                       "  model_group_alias: {gpt-4: a, hidden-one: {model: b, hidden: true}, "
                       "ghost: nope}\n"
                       "include: [other.yaml]\n"
                       "something_else: 1\n";
    struct lmx_config *cfg = load(text);

    if (cfg == NULL)
        dump_diag();
    ASSERT(cfg != NULL);
    ASSERT_EQ(diag.errors, 0);
    ASSERT_EQ(count_lines("max_budget"), 1);
    ASSERT(has_line("t.yaml:3:32: warning: 'model_list[].litellm_params.max_budget' is "
                    "accepted; not acted on by this build"));
    ASSERT_EQ(count_lines("unknown key 'foo'"), 1);
    ASSERT(has_line("t.yaml:3:47: warning: unknown key 'foo' in 'model_list[].litellm_params'"));
    ASSERT(has_line("t.yaml:6:5: warning: unknown key 'colour' in 'model_list[]'"));
    ASSERT(has_line("t.yaml:8:3: warning: 'litellm_settings.cache' is accepted; not acted on by "
                    "this build"));
    ASSERT(!has_line("telemetry"));
    ASSERT(!has_line("routing_strategy")); /* every LiteLLM strategy is acted on */
    ASSERT(has_line("warning: model_group_alias 'ghost' points to 'nope', which no model_list "
                    "entry serves"));
    ASSERT(!has_line("'gpt-4' points"));
    ASSERT(has_line("t.yaml:13:1: warning: 'include' is not supported by this build yet"));
    ASSERT(has_line("t.yaml:14:1: warning: unknown top-level key 'something_else'"));
    ASSERT(json_is_object(cfg->model_group_alias));
    ASSERT_STR_EQ(json_string_value(json_object_get(cfg->model_group_alias, "gpt-4")), "a");
    lmx_config_unref(cfg);
}

static void test_stable_ids(void)
{
    const char *text = "model_list:\n"
                       "  - model_name: a\n"
                       "    litellm_params: {model: gpt-4o, api_key: os.environ/LMXT_ID_KEY}\n"
                       "  - model_name: b\n"
                       "    litellm_params: {model: gpt-4o, api_key: os.environ/LMXT_ID_KEY}\n"
                       "  - model_name: a\n"
                       "    litellm_params: {model: gpt-4o, api_key: os.environ/LMXT_ID_KEY}\n"
                       "  - model_name: c\n"
                       "    litellm_params: {model: gpt-4o}\n"
                       "    model_info: {id: 1, mode: chat}\n"
                       "  - model_name: d\n"
                       "    litellm_params: {model: gpt-4o}\n"
                       "    model_info: {id: my-id}\n";
    char first[3][80];
    struct lmx_config *cfg;

    setenv("LMXT_ID_KEY", "one", 1);
    cfg = load(text);
    if (cfg == NULL)
        dump_diag();
    ASSERT(cfg != NULL);
    ASSERT_EQ(strlen(cfg->deps[0].id), 64);
    ASSERT_EQ(strspn(cfg->deps[0].id, "0123456789abcdef"), 64);
    ASSERT(strcmp(cfg->deps[0].id, cfg->deps[1].id) != 0); /* model_name is hashed too */
    /* an exact repeat keeps both deployments, with distinct ids */
    ASSERT_EQ(strlen(cfg->deps[2].id), 66);
    ASSERT(strncmp(cfg->deps[2].id, cfg->deps[0].id, 64) == 0);
    ASSERT_STR_EQ(cfg->deps[2].id + 64, "-2");
    ASSERT(has_line("t.yaml:6:5: warning: 'model_list[2]' repeats 'model_list[0]'"));
    ASSERT_STR_EQ(cfg->deps[3].id, "1");
    ASSERT_STR_EQ(cfg->deps[4].id, "my-id");
    for (size_t i = 0; i < cfg->ndeps; i++)
        ASSERT_STR_EQ(json_string_value(json_object_get(cfg->deps[i].model_info, "id")),
                      cfg->deps[i].id);
    ASSERT_STR_EQ(json_string_value(json_object_get(cfg->deps[3].model_info, "mode")), "chat");
    for (int i = 0; i < 3; i++)
        snprintf(first[i], sizeof(first[i]), "%s", cfg->deps[i].id);
    lmx_config_unref(cfg);

    /* same text, other secret: same ids (hashed before os.environ/ is resolved) */
    setenv("LMXT_ID_KEY", "two", 1);
    cfg = load(text);
    ASSERT(cfg != NULL);
    for (int i = 0; i < 3; i++)
        ASSERT_STR_EQ(cfg->deps[i].id, first[i]);
    lmx_config_unref(cfg);
    unsetenv("LMXT_ID_KEY");

    /* a model_info shared through an alias does not leak one deployment's id to another */
    cfg = load("x: &mi {mode: chat}\n"
               "model_list:\n"
               "  - model_name: a\n"
               "    litellm_params: {model: a}\n"
               "    model_info: *mi\n"
               "  - model_name: b\n"
               "    litellm_params: {model: b}\n"
               "    model_info: *mi\n");
    ASSERT(cfg != NULL);
    ASSERT(strcmp(json_string_value(json_object_get(cfg->deps[0].model_info, "id")),
                  json_string_value(json_object_get(cfg->deps[1].model_info, "id"))) != 0);
    ASSERT(json_object_get(json_object_get(cfg->root, "x"), "id") == NULL);
    lmx_config_unref(cfg);
}

static void test_anchors_in_model_list(void)
{
    char path[1100];
    struct lmx_config *cfg;

    snprintf(path, sizeof(path), "%s/anchors.yaml", cases);
    cfg = load_file(path);
    if (cfg == NULL)
        dump_diag();
    ASSERT(cfg != NULL);
    ASSERT_EQ(cfg->ndeps, 4);
    ASSERT_STR_EQ(cfg->deps[0].api_key, "sk-shared");
    ASSERT_DBL_EQ(cfg->deps[0].rpm, 60);
    ASSERT_DBL_EQ(cfg->deps[0].timeout, 30);
    ASSERT_STR_EQ(cfg->deps[1].upstream_model, "gpt-4o-mini");
    ASSERT_DBL_EQ(cfg->deps[1].rpm, 60); /* the first mapping of the << list wins */
    ASSERT_DBL_EQ(cfg->deps[1].tpm, 1000);
    ASSERT_DBL_EQ(cfg->deps[1].timeout, 10); /* explicit keys win */
    ASSERT_STR_EQ(cfg->deps[2].provider, "groq");
    ASSERT_STR_EQ(cfg->deps[3].provider, "groq");
    ASSERT_STR_EQ(cfg->deps[3].api_key, "sk-groq");
    ASSERT(strcmp(cfg->deps[2].id, cfg->deps[3].id) != 0);
    lmx_config_unref(cfg);
}

static void test_syntax_error_file(void)
{
    char path[1100];
    struct lmx_config *cfg;

    snprintf(path, sizeof(path), "%s/syntax.yaml", cases);
    cfg = load_file(path);
    ASSERT(cfg == NULL);
    ASSERT_EQ(diag.errors, 1);
    ASSERT(has_line("syntax.yaml:6:17: error: invalid YAML: did not find expected ',' or ']' "
                    "(while parsing a flow sequence at line 5, column 16)"));

    cfg = load_file("/nonexistent/llmux-test.yaml");
    ASSERT(cfg == NULL);
    ASSERT(has_line("/nonexistent/llmux-test.yaml: error: cannot read the config: No such file"));
}

/* ------------------------------------------------------------------------ */
/* the real LiteLLM configs */

static void test_fixture(const char *file, size_t ndeps)
{
    char path[1200];
    struct lmx_config *cfg;

    snprintf(path, sizeof(path), "%s/litellm-configs/%s", fixtures, file);
    cfg = load_file(path);
    if (cfg == NULL || diag.errors != 0)
        dump_diag();
    ASSERT_(cfg != NULL, "%s does not load", file);
    ASSERT_EQ(diag.errors, 0);
    ASSERT_EQ(cfg->ndeps, ndeps);
    for (size_t i = 0; i < cfg->ndeps; i++) {
        ASSERT(cfg->deps[i].id != NULL);
        ASSERT(cfg->deps[i].provider != NULL);
        ASSERT(cfg->deps[i].upstream_model != NULL);
    }
    if (strcmp(file, "load_balancer.yaml") == 0) {
        ASSERT_DBL_EQ(cfg->deps[0].rpm, 3);
        ASSERT_DBL_EQ(cfg->deps[0].tpm, 20000);
        ASSERT_STR_EQ(cfg->deps[2].provider, "openrouter");
        ASSERT_STR_EQ(cfg->deps[3].provider, "openai");
        ASSERT_STR_EQ(cfg->deps[3].upstream_model, "mistralai/mistral-7b-instruct");
        ASSERT(cfg->drop_params);
        ASSERT_EQ(cfg->ngroups, 2); /* gpt-3.5-turbo (3), mistral-7b-instruct */
        ASSERT_STR_EQ(getenv("REDIS_PORT"), "6329");
    } else if (strcmp(file, "proxy_server_config.yaml") == 0) {
        ASSERT_STR_EQ(cfg->master_key, "sk-1234");
        ASSERT_STR_EQ(cfg->deps[0].id, "1");
        ASSERT_STR_EQ(cfg->deps[0].region_name, "eu");
        ASSERT_STR_EQ(cfg->deps[1].provider, "azure");
        ASSERT_STR_EQ(cfg->deps[1].api_base, "https://openai-gpt-4-test-v-1.openai.azure.com");
        ASSERT_STR_EQ(cfg->deps[1].api_version, "2023-05-15");
        ASSERT(cfg->deps[1].api_key == NULL);
        ASSERT(cfg->deps[1].supported);
        ASSERT_EQ(cfg->num_retries, 5);
        ASSERT_DBL_EQ(cfg->request_timeout, 600);
        ASSERT_STR_EQ(json_string_value(json_object_get(cfg->model_group_alias,
                                                        "my-special-fake-model-alias-name")),
                      "fake-openai-endpoint-3");
        ASSERT(group(cfg, "*") != NULL && group(cfg, "*")->wildcard);
    } else if (strcmp(file, "pass_through_config.yaml") == 0) {
        ASSERT(cfg->master_key == NULL);
        ASSERT_EQ(group(cfg, "claude-sonnet-4-5-20250929")->ndeps, 2);
    } else if (strcmp(file, "china_domestic_free_sources.yaml") == 0) {
        ASSERT_STR_EQ(cfg->deps[0].provider, "siliconflow");
        ASSERT(cfg->deps[0].supported);
        ASSERT_STR_EQ(cfg->deps[2].provider, "zhipu");
        ASSERT_STR_EQ(cfg->deps[2].api_base, "https://open.bigmodel.cn/api/paas/v4");
        ASSERT_EQ(cfg->num_retries, 3);
        ASSERT_DBL_EQ(cfg->request_timeout, 60);
    }
    lmx_config_unref(cfg);
}

static void test_fixtures(void)
{
    struct stat st;
    char dir[1100];

    snprintf(dir, sizeof(dir), "%s/litellm-configs", fixtures);
    if (stat(dir, &st) != 0) {
        fprintf(stderr, "skip: no fixtures at %s (set LMX_FIXTURES)\n", dir);
        return;
    }
    clearenv(); /* "even with none of their env vars set" */
    test_fixture("china_domestic_free_sources.yaml", 4);
    test_fixture("load_balancer.yaml", 4);
    test_fixture("pass_through_config.yaml", 7);
    test_fixture("proxy_server_config.yaml", 19);
}

/* ------------------------------------------------------------------------ */

static void locate(void)
{
    const char *f = getenv("LMX_FIXTURES"), *src = getenv("LMX_SRC");

    if (f != NULL && *f)
        snprintf(fixtures, sizeof(fixtures), "%s", f);
    else if (src != NULL && *src)
        snprintf(fixtures, sizeof(fixtures), "%s/../shared/fixtures", src);
    else
        snprintf(fixtures, sizeof(fixtures), "../shared/fixtures");
    if (src != NULL && *src) {
        snprintf(cases, sizeof(cases), "%s/tests/unit/config/cases", src);
    } else {
        /* next to this source file */
        const char *slash = strrchr(__FILE__, '/');

        snprintf(cases, sizeof(cases), "%.*s/cases", slash ? (int)(slash - __FILE__) : 1,
                 slash ? __FILE__ : ".");
    }
}

int main(void)
{
    locate();
    clearenv();
    lmx_diag_init(&diag);
    RUN(test_environ_resolution);
    RUN(test_environment_variables_export);
    RUN(test_master_key);
    RUN(test_provider_prefixes);
    RUN(test_provider_defaults_from_env);
    RUN(test_native_warning_once);
    RUN(test_provider_table);
    RUN(test_groups_and_wildcards);
    RUN(test_numbers);
    RUN(test_defaults);
    RUN(test_error_kinds);
    RUN(test_more_errors);
    RUN(test_no_secrets_in_messages);
    RUN(test_warnings);
    RUN(test_stable_ids);
    RUN(test_anchors_in_model_list);
    RUN(test_syntax_error_file);
    RUN(test_fixtures);
    lmx_diag_release(&diag);
    TEST_MAIN_END();
}
