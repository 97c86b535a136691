/*
 * tests/unit/provider/compat.c - the OpenAI-body families with rules of their
 * own (provider/compat.c) through their ops tables: golden requests (URL,
 * headers, body) for azure_ai (Foundry, serverless, Claude), huggingface
 * (router and TGI endpoint), databricks, snowflake (PAT, JWT, Claude) and
 * voyage; answers and SSE streams split at every byte into OpenAI objects and
 * chunks (Databricks reasoning lists, Voyage usage); errors mapped.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/err.h"
#include "provider/compat.h"
#include "test.h"

struct call {
    struct lmx_deployment dep;
    struct lmx_pcall pc;
    struct lmx_upreq up;
    struct lmx_perr err;
    const struct lmx_provider_ops *ops;
    json_t *req, *body;
    int rc;
};

static void call_build(struct call *c, const struct lmx_provider_ops *ops, const char *provider,
                       const char *model, const char *req, enum lmx_endpoint ep,
                       const char *api_base, const char *key)
{
    memset(c, 0, sizeof(*c));
    c->ops = ops;
    c->dep.provider = (char *)provider;
    c->dep.upstream_model = (char *)model;
    c->dep.api_base = (char *)api_base;
    c->dep.api_key = (char *)key;
    c->dep.litellm_params = json_object();
    c->req = json_loads(req, 0, NULL);
    c->pc.dep = &c->dep;
    c->pc.ep = ep;
    c->pc.req = c->req;
    c->pc.model = model;
    c->pc.call_id = "test-1";
    c->pc.stream = json_is_true(json_object_get(c->req, "stream"));
    lmx_upreq_init(&c->up);
    c->rc = ops->build(&c->pc, &c->up, &c->err);
    if (c->rc == 0)
        c->body = json_loadb(c->up.body.data, c->up.body.len, 0, NULL);
}

static void call_free(struct call *c)
{
    c->ops->release(&c->pc);
    lmx_upreq_release(&c->up);
    json_decref(c->req);
    json_decref(c->body);
    json_decref(c->dep.litellm_params);
}

/* The value of header `name` ("" when absent), case-insensitive. */
static const char *header(const struct lmx_upreq *u, const char *name)
{
    size_t k = strlen(name);

    for (size_t i = 0; i < u->nheaders; i++)
        if (strncasecmp(u->headers[i], name, k) == 0 && u->headers[i][k] == ':')
            return u->headers[i] + k + 2;
    return "";
}

static const char *bstr(const struct call *c, const char *k)
{
    return json_string_value(json_object_get(c->body, k));
}

static const char *const chat = "{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":"
                                "[{\"type\":\"text\",\"text\":\"hi \"},{\"type\":\"text\","
                                "\"text\":\"there\"}]}],\"max_tokens\":7}";

/* ------------------------------------------------------------------------ */
/* Requests */

static void test_azure_ai(void)
{
    struct call c;

    /* Foundry: /models/chat/completions, default api-version, api-key header, flattened text */
    call_build(&c, &lmx_provider_azure_ai_ops, "azure_ai", "mistral-large", chat, LMX_EP_CHAT,
               "https://res.services.ai.azure.com", "k1");
    ASSERT_EQ(c.rc, 0);
    ASSERT_STR_EQ(c.up.url.data, "https://res.services.ai.azure.com/models/chat/completions"
                                 "?api-version=2024-05-01-preview");
    ASSERT_STR_EQ(header(&c.up, "api-key"), "k1");
    ASSERT_STR_EQ(header(&c.up, "Authorization"), "");
    ASSERT_STR_EQ(bstr(&c, "model"), "mistral-large");
    ASSERT_STR_EQ(json_string_value(json_object_get(
                      json_array_get(json_object_get(c.body, "messages"), 0), "content")),
                  "hi there");
    ASSERT_EQ(json_integer_value(json_object_get(c.body, "max_tokens")), 7);
    call_free(&c);

    /* a whole URL with its query is kept; api_version does not repeat */
    call_build(&c, &lmx_provider_azure_ai_ops, "azure_ai", "m", chat, LMX_EP_CHAT,
               "https://res.services.ai.azure.com/models/chat/completions?api-version=2025-01-01",
               "k1");
    ASSERT_STR_EQ(c.up.url.data,
                  "https://res.services.ai.azure.com/models/chat/completions?api-version=2025-01-01");
    call_free(&c);

    /* serverless: {base}/chat/completions, Bearer; api_version when set */
    call_build(&c, &lmx_provider_azure_ai_ops, "azure_ai", "m", chat, LMX_EP_CHAT,
               "https://ep.eastus2.models.ai.azure.com/", "k2");
    ASSERT_STR_EQ(c.up.url.data, "https://ep.eastus2.models.ai.azure.com/chat/completions");
    ASSERT_STR_EQ(header(&c.up, "Authorization"), "Bearer k2");
    call_free(&c);

    /* embeddings */
    call_build(&c, &lmx_provider_azure_ai_ops, "azure_ai", "embed-v-4-0",
               "{\"model\":\"x\",\"input\":[\"a\"]}", LMX_EP_EMBEDDINGS,
               "https://res.services.ai.azure.com", "k1");
    ASSERT_STR_EQ(c.up.url.data,
                  "https://res.services.ai.azure.com/models/embeddings?api-version=2024-05-01-preview");
    call_free(&c);

    /* no api_base: 400 */
    call_build(&c, &lmx_provider_azure_ai_ops, "azure_ai", "m", chat, LMX_EP_CHAT, NULL, "k");
    ASSERT_EQ(c.rc, LMX_EBADREQ);
    ASSERT_EQ(c.err.status, 400);
    ASSERT(strstr(c.err.message, "AZURE_AI_API_BASE") != NULL);
    call_free(&c);
}

static void test_azure_ai_claude(void)
{
    struct call c;

    call_build(&c, &lmx_provider_azure_ai_ops, "azure_ai", "claude-sonnet-4-5", chat, LMX_EP_CHAT,
               "https://res.services.ai.azure.com/models", "k1");
    ASSERT_EQ(c.rc, 0);
    ASSERT_STR_EQ(c.up.url.data, "https://res.services.ai.azure.com/anthropic/v1/messages");
    ASSERT_STR_EQ(header(&c.up, "api-key"), "k1");
    ASSERT_STR_EQ(header(&c.up, "anthropic-version"), "2023-06-01");
    ASSERT_STR_EQ(bstr(&c, "model"), "claude-sonnet-4-5");
    ASSERT_EQ(json_integer_value(json_object_get(c.body, "max_tokens")), 7);
    call_free(&c);

    call_build(&c, &lmx_provider_azure_ai_ops, "azure_ai", "claude-opus-4-1", chat, LMX_EP_CHAT,
               "https://res.services.ai.azure.com/anthropic/", "k1");
    ASSERT_STR_EQ(c.up.url.data, "https://res.services.ai.azure.com/anthropic/v1/messages");
    call_free(&c);
}

static void test_huggingface(void)
{
    struct call c;

    /* router: <provider>/<org>/<model> -> "<org>/<model>:<provider>" */
    call_build(&c, &lmx_provider_huggingface_ops, "huggingface", "together/deepseek-ai/DeepSeek-R1",
               chat, LMX_EP_CHAT, "https://router.huggingface.co/v1", "hf_x");
    ASSERT_EQ(c.rc, 0);
    ASSERT_STR_EQ(c.up.url.data, "https://router.huggingface.co/v1/chat/completions");
    ASSERT_STR_EQ(bstr(&c, "model"), "deepseek-ai/DeepSeek-R1:together");
    ASSERT_STR_EQ(header(&c.up, "Authorization"), "Bearer hf_x");
    call_free(&c);

    call_build(&c, &lmx_provider_huggingface_ops, "huggingface", "meta-llama/Llama-3.1-8B-Instruct",
               chat, LMX_EP_CHAT, NULL, NULL);
    ASSERT_STR_EQ(c.up.url.data, "https://router.huggingface.co/v1/chat/completions");
    ASSERT_STR_EQ(bstr(&c, "model"), "meta-llama/Llama-3.1-8B-Instruct");
    ASSERT_STR_EQ(header(&c.up, "Authorization"), "");
    call_free(&c);

    /* an endpoint: /v1/chat/completions appended as LiteLLM does; the model as written */
    call_build(&c, &lmx_provider_huggingface_ops, "huggingface", "tgi/org/m", chat, LMX_EP_CHAT,
               "https://abc.endpoints.huggingface.cloud", "hf_x");
    ASSERT_STR_EQ(c.up.url.data, "https://abc.endpoints.huggingface.cloud/v1/chat/completions");
    ASSERT_STR_EQ(bstr(&c, "model"), "tgi/org/m");
    call_free(&c);

    call_build(&c, &lmx_provider_huggingface_ops, "huggingface", "m",
               "{\"model\":\"x\",\"input\":\"a\"}", LMX_EP_EMBEDDINGS, "http://tei:8080", NULL);
    ASSERT_STR_EQ(c.up.url.data, "http://tei:8080/v1/embeddings");
    call_free(&c);

    call_build(&c, &lmx_provider_huggingface_ops, "huggingface", "m",
               "{\"model\":\"x\",\"input\":\"a\"}", LMX_EP_EMBEDDINGS, NULL, NULL);
    ASSERT_EQ(c.rc, LMX_EBADREQ);
    call_free(&c);
}

static void test_databricks_snowflake(void)
{
    struct call c;

    call_build(&c, &lmx_provider_databricks_ops, "databricks", "databricks-claude-3-7-sonnet",
               "{\"model\":\"x\",\"messages\":[],\"stream\":true}", LMX_EP_CHAT,
               "https://adb-1.azuredatabricks.net/serving-endpoints/", "dapi1");
    ASSERT_EQ(c.rc, 0);
    ASSERT_STR_EQ(c.up.url.data,
                  "https://adb-1.azuredatabricks.net/serving-endpoints/chat/completions");
    ASSERT_STR_EQ(header(&c.up, "Authorization"), "Bearer dapi1");
    ASSERT_STR_EQ(header(&c.up, "Accept"), "text/event-stream");
    ASSERT_STR_EQ(bstr(&c, "model"), "databricks-claude-3-7-sonnet");
    call_free(&c);

    call_build(&c, &lmx_provider_databricks_ops, "databricks", "m", chat, LMX_EP_CHAT, NULL, "k");
    ASSERT_EQ(c.rc, LMX_EBADREQ);
    call_free(&c);

    /* snowflake: PAT vs JWT; base from SNOWFLAKE_ACCOUNT_ID */
    setenv("SNOWFLAKE_ACCOUNT_ID", "acct-1", 1);
    call_build(&c, &lmx_provider_snowflake_ops, "snowflake", "mistral-large2", chat, LMX_EP_CHAT,
               NULL, "pat/tok");
    ASSERT_EQ(c.rc, 0);
    ASSERT_STR_EQ(c.up.url.data,
                  "https://acct-1.snowflakecomputing.com/api/v2/cortex/v1/chat/completions");
    ASSERT_STR_EQ(header(&c.up, "Authorization"), "Bearer tok");
    ASSERT_STR_EQ(header(&c.up, "X-Snowflake-Authorization-Token-Type"),
                  "PROGRAMMATIC_ACCESS_TOKEN");
    call_free(&c);

    call_build(&c, &lmx_provider_snowflake_ops, "snowflake", "claude-3-5-sonnet", chat,
               LMX_EP_CHAT, NULL, "jwt.x.y");
    ASSERT_EQ(c.rc, 0);
    ASSERT_STR_EQ(c.up.url.data, "https://acct-1.snowflakecomputing.com/api/v2/cortex/v1/messages");
    ASSERT_STR_EQ(header(&c.up, "Authorization"), "Bearer jwt.x.y");
    ASSERT_STR_EQ(header(&c.up, "X-Snowflake-Authorization-Token-Type"), "KEYPAIR_JWT");
    ASSERT_STR_EQ(header(&c.up, "x-api-key"), "");
    ASSERT_EQ(json_integer_value(json_object_get(c.body, "max_tokens")), 7);
    call_free(&c);
    unsetenv("SNOWFLAKE_ACCOUNT_ID");

    call_build(&c, &lmx_provider_snowflake_ops, "snowflake", "m", chat, LMX_EP_CHAT, NULL, "k");
    ASSERT_EQ(c.rc, LMX_EBADREQ);
    ASSERT(strstr(c.err.message, "SNOWFLAKE_ACCOUNT_ID") != NULL);
    call_free(&c);
}

static void test_voyage(void)
{
    struct call c;

    call_build(&c, &lmx_provider_voyage_ops, "voyage", "voyage-3",
               "{\"model\":\"x\",\"input\":[\"a\"],\"dimensions\":256,\"input_type\":\"document\","
               "\"encoding_format\":\"float\"}",
               LMX_EP_EMBEDDINGS, "https://api.voyageai.com/v1", "vk");
    ASSERT_EQ(c.rc, 0);
    ASSERT_STR_EQ(c.up.url.data, "https://api.voyageai.com/v1/embeddings");
    ASSERT_EQ(json_integer_value(json_object_get(c.body, "output_dimension")), 256);
    ASSERT(json_object_get(c.body, "dimensions") == NULL);
    ASSERT(json_object_get(c.body, "encoding_format") == NULL);
    ASSERT_STR_EQ(bstr(&c, "input_type"), "document");
    ASSERT_STR_EQ(bstr(&c, "model"), "voyage-3");
    call_free(&c);

    call_build(&c, &lmx_provider_voyage_ops, "voyage", "voyage-3", chat, LMX_EP_CHAT, NULL, "vk");
    ASSERT_EQ(c.rc, LMX_EBADREQ);
    call_free(&c);
}

/* ------------------------------------------------------------------------ */
/* Answers and streams */

static void test_parse(void)
{
    struct call c;
    json_t *o = NULL, *m;
    const char *dbx =
        "{\"id\":\"1\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":{"
        "\"role\":\"assistant\",\"content\":[{\"type\":\"reasoning\",\"summary\":[{\"type\":"
        "\"summary_text\",\"text\":\"think\",\"signature\":\"sig\"}]},{\"type\":\"text\",\"text\":"
        "\"answer\"}]},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1,"
        "\"completion_tokens\":2,\"total_tokens\":3}}";
    const char *voy = "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"embedding\":[0.1],"
                      "\"index\":0}],\"model\":\"voyage-3\",\"usage\":{\"total_tokens\":5}}";

    call_build(&c, &lmx_provider_databricks_ops, "databricks", "m", chat, LMX_EP_CHAT, "https://w",
               "k");
    ASSERT_EQ(c.ops->parse(&c.pc, dbx, strlen(dbx), &o, &c.err), 0);
    m = json_object_get(json_array_get(json_object_get(o, "choices"), 0), "message");
    ASSERT_STR_EQ(json_string_value(json_object_get(m, "content")), "answer");
    ASSERT_STR_EQ(json_string_value(json_object_get(m, "reasoning_content")), "think");
    ASSERT_STR_EQ(json_string_value(json_object_get(
                      json_array_get(json_object_get(m, "thinking_blocks"), 0), "signature")),
                  "sig");
    json_decref(o);
    o = NULL;
    ASSERT_EQ(c.ops->parse(&c.pc, "nope", 4, &o, &c.err), LMX_EUPSTREAM);
    ASSERT_EQ(c.err.status, 500);
    call_free(&c);

    call_build(&c, &lmx_provider_voyage_ops, "voyage", "voyage-3",
               "{\"model\":\"x\",\"input\":\"a\"}", LMX_EP_EMBEDDINGS, NULL, "k");
    ASSERT_EQ(c.ops->parse(&c.pc, voy, strlen(voy), &o, &c.err), 0);
    ASSERT_EQ(json_integer_value(json_object_get(json_object_get(o, "usage"), "prompt_tokens")), 5);
    json_decref(o);
    call_free(&c);
}

static int collect(const json_t *chunk, void *ud)
{
    return json_array_append_new(ud, json_deep_copy(chunk)) < 0 ? LMX_ENOMEM : 0;
}

static const char dbx_stream[] =
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":[{\"type\":"
    "\"reasoning\",\"summary\":[{\"type\":\"summary_text\",\"text\":\"hm\"}]}]}}]}\n\n"
    ": keep-alive\n\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\r\n\r\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],"
    "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}\n\n"
    "data: [DONE]\n\n";

static void test_stream_every_split(void)
{
    size_t n = strlen(dbx_stream);

    for (size_t step = 1; step <= n; step += step < 8 ? 1 : 13) {
        struct call c;
        json_t *chunks = json_array(), *d0, *d1;
        int rc = 0;

        call_build(&c, &lmx_provider_databricks_ops, "databricks", "m",
                   "{\"model\":\"x\",\"messages\":[],\"stream\":true}", LMX_EP_CHAT, "https://w",
                   "k");
        for (size_t off = 0; rc == 0 && off < n; off += step)
            rc = c.ops->stream_feed(&c.pc, dbx_stream + off, LMX_MIN(step, n - off), collect,
                                    chunks, &c.err);
        if (rc == 0)
            rc = c.ops->stream_end(&c.pc, collect, chunks, &c.err);
        ASSERT_EQ(rc, 0);
        ASSERT_EQ(json_array_size(chunks), 3);
        d0 = json_object_get(json_array_get(json_object_get(json_array_get(chunks, 0), "choices"), 0),
                             "delta");
        d1 = json_object_get(json_array_get(json_object_get(json_array_get(chunks, 1), "choices"), 0),
                             "delta");
        ASSERT_STR_EQ(json_string_value(json_object_get(d0, "reasoning_content")), "hm");
        ASSERT(json_is_null(json_object_get(d0, "content")));
        ASSERT_STR_EQ(json_string_value(json_object_get(d1, "content")), "Hi");
        json_decref(chunks);
        call_free(&c);
    }
}

static void test_stream_errors(void)
{
    struct call c;
    json_t *chunks = json_array();
    const char *ev = "data: {\"error\":{\"message\":\"overloaded\",\"code\":503}}\n\n";

    call_build(&c, &lmx_provider_huggingface_ops, "huggingface", "m",
               "{\"model\":\"x\",\"messages\":[],\"stream\":true}", LMX_EP_CHAT, NULL, "k");
    ASSERT_EQ(c.ops->stream_feed(&c.pc, ev, strlen(ev), collect, chunks, &c.err), LMX_EUPSTREAM);
    ASSERT_EQ(c.err.status, 503);
    ASSERT(strstr(c.err.message, "overloaded") != NULL);
    call_free(&c);

    call_build(&c, &lmx_provider_huggingface_ops, "huggingface", "m",
               "{\"model\":\"x\",\"messages\":[],\"stream\":true}", LMX_EP_CHAT, NULL, "k");
    ASSERT_EQ(c.ops->stream_feed(&c.pc, "data: {oops\n\n", 13, collect, chunks, &c.err),
              LMX_EUPSTREAM);
    call_free(&c);

    call_build(&c, &lmx_provider_huggingface_ops, "huggingface", "m",
               "{\"model\":\"x\",\"messages\":[],\"stream\":true}", LMX_EP_CHAT, NULL, "k");
    ASSERT_EQ(c.ops->stream_end(&c.pc, collect, chunks, &c.err), LMX_EUPSTREAM);
    call_free(&c);
    json_decref(chunks);
}

static void test_map_error(void)
{
    struct call c;
    const char *hf = "{\"error\":\"Model is overloaded\"}";
    const char *oai = "{\"error\":{\"message\":\"bad key\",\"type\":\"invalid_request_error\"}}";
    const char *det = "{\"detail\":\"Not Found\"}";
    const char *anth_err =
        "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"o\"}}";

    call_build(&c, &lmx_provider_huggingface_ops, "huggingface", "m", chat, LMX_EP_CHAT, NULL, "k");
    c.ops->map_error(&c.pc, 503, hf, strlen(hf), &c.err);
    ASSERT_EQ(c.err.status, 503);
    ASSERT_STR_EQ(c.err.message, "Model is overloaded");
    c.ops->map_error(&c.pc, 401, oai, strlen(oai), &c.err);
    ASSERT_EQ(c.err.status, 401);
    ASSERT_STR_EQ(c.err.type, "authentication_error");
    ASSERT_STR_EQ(c.err.message, "bad key");
    c.ops->map_error(&c.pc, 404, det, strlen(det), &c.err);
    ASSERT_STR_EQ(c.err.message, "Not Found");
    c.ops->map_error(&c.pc, 429, "busy", 4, &c.err);
    ASSERT_EQ(c.err.status, 429);
    ASSERT_STR_EQ(c.err.type, "rate_limit_error");
    ASSERT(strstr(c.err.message, "busy") != NULL);
    call_free(&c);

    /* Claude calls map errors as anthropic.c does */
    call_build(&c, &lmx_provider_azure_ai_ops, "azure_ai", "claude-x", chat, LMX_EP_CHAT,
               "https://r.services.ai.azure.com", "k");
    c.ops->map_error(&c.pc, 529, anth_err, strlen(anth_err), &c.err);
    ASSERT(c.err.status >= 500);
    call_free(&c);
}

int main(void)
{
    RUN(test_azure_ai);
    RUN(test_azure_ai_claude);
    RUN(test_huggingface);
    RUN(test_databricks_snowflake);
    RUN(test_voyage);
    RUN(test_parse);
    RUN(test_stream_every_split);
    RUN(test_stream_errors);
    RUN(test_map_error);
    TEST_MAIN_END();
}
