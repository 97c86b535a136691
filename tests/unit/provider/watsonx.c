/*
 * tests/unit/provider/watsonx.c - the watsonx/ adapter: the IAM token step
 * (request, answer, cache, refusal), golden chat requests (URL, headers,
 * body) for a model and a deployment, ready tokens and Zen keys, answers and
 * streams to OpenAI objects, and errors; and the watsonx_text/ adapter: the
 * prompt templates (generic, Granite chat, Llama 3 instruct), golden text
 * generation requests, the shared IAM step, answers and streams.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "core/err.h"
#include "provider/provider.h"
#include "provider/token.h"
#include "test.h"

#include "../../../src/provider/watsonx.c"

static const struct lmx_provider_ops *ops = &lmx_provider_watsonx_ops;

static json_t *J(const char *s)
{
    json_error_t je;
    json_t *v = json_loads(s, 0, &je);

    if (v == NULL) {
        fprintf(stderr, "bad JSON in test: %s: %s\n", je.text, s);
        abort();
    }
    return v;
}

static bool eqs(const json_t *got, const char *want)
{
    json_t *w = J(want);
    bool ok = got != NULL && json_equal(got, w);

    if (!ok) {
        char *a = got != NULL ? json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

        fprintf(stderr, "  got:  %s\n  want: %s\n", a != NULL ? a : "(null)", want);
        free(a);
    }
    json_decref(w);
    return ok;
}

static void dep_init(struct lmx_deployment *d, const char *base, const char *key, json_t *lp)
{
    memset(d, 0, sizeof(*d));
    d->model_name = "m";
    d->model = "watsonx/ibm/granite-3-8b-instruct";
    d->provider = "watsonx";
    d->api_base = (char *)base;
    d->api_key = (char *)key;
    d->drop_params = -1;
    d->litellm_params = lp;
}

static void pc_init(struct lmx_pcall *pc, const struct lmx_deployment *d, const json_t *req,
                    const char *model, bool stream)
{
    memset(pc, 0, sizeof(*pc));
    pc->dep = d;
    pc->ep = LMX_EP_CHAT;
    pc->req = req;
    pc->model = model;
    pc->call_id = "c1";
    pc->stream = stream;
}

static const char *header(const struct lmx_upreq *r, const char *name)
{
    size_t n = strlen(name);

    for (size_t i = 0; i < r->nheaders; i++)
        if (strncasecmp(r->headers[i], name, n) == 0 && r->headers[i][n] == ':')
            return r->headers[i] + n + 2;
    return NULL;
}

struct chunks {
    json_t *all;
};

static int collect(const json_t *chunk, void *ud)
{
    struct chunks *c = ud;

    json_array_append(c->all, (json_t *)chunk);
    return 0;
}

static void clear_env(void)
{
    static const char *const names[] = {
        "WATSONX_TOKEN", "WX_TOKEN", "WATSONX_ZENAPIKEY", "WATSONX_IAM_URL", "WATSONX_APIKEY",
        "WATSONX_API_KEY", "WX_API_KEY", "WATSONX_PROJECT_ID", "WX_PROJECT_ID", "PROJECT_ID",
        "WATSONX_API_VERSION", "WATSONX_URL", "WATSONX_SPACE_ID", "SPACE_ID",
        "WATSONX_DEPLOYMENT_SPACE_ID", "WX_SPACE_ID"};

    for (size_t i = 0; i < LMX_ARRAY_SIZE(names); i++)
        unsetenv(names[i]);
}

static void test_iam_and_chat(void)
{
    struct lmx_deployment d;
    struct lmx_pcall pc;
    struct lmx_upreq tok, up;
    struct lmx_perr e = {0, "", "", ""};
    json_t *lp = J("{\"project_id\":\"proj-9\"}");
    json_t *req = J("{\"model\":\"x\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief\"},"
                    "{\"role\":\"user\",\"content\":\"Hi\"}],\"max_completion_tokens\":50,"
                    "\"temperature\":0.2,\"tools\":[{\"type\":\"function\",\"function\":{\"name\":"
                    "\"get\",\"parameters\":{\"type\":\"object\"}}}],\"tool_choice\":\"auto\","
                    "\"user\":\"u1\"}");
    const char *ans = "{\"access_token\":\"eyJ.iam.1\",\"refresh_token\":\"not_supported\","
                      "\"token_type\":\"Bearer\",\"expires_in\":3600,\"expiration\":1}";
    json_t *body;

    clear_env();
    lmx_token_clear();
    dep_init(&d, "https://us-south.ml.cloud.ibm.com/", "wx-key/1", lp);
    pc_init(&pc, &d, req, "ibm/granite-3-8b-instruct", false);
    lmx_upreq_init(&tok);
    ASSERT_EQ(ops->token_prepare(&pc, &tok, &e), 1);
    ASSERT_STR_EQ(tok.url.data, "https://iam.cloud.ibm.com/identity/token");
    ASSERT_STR_EQ(tok.body.data,
                  "grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-type%3Aapikey&apikey=wx-key%2F1");
    ASSERT_STR_EQ(header(&tok, "Content-Type"), "application/x-www-form-urlencoded");
    ASSERT_EQ(ops->token_done(&pc, 200, ans, strlen(ans), &e), 0);
    lmx_upreq_init(&up);
    ASSERT_EQ(ops->build(&pc, &up, &e), 0);
    ASSERT_STR_EQ(up.url.data,
                  "https://us-south.ml.cloud.ibm.com/ml/v1/text/chat?version=2024-03-13");
    ASSERT_STR_EQ(header(&up, "Authorization"), "Bearer eyJ.iam.1");
    body = json_loadb(up.body.data, up.body.len, 0, NULL);
    ASSERT(eqs(body, "{\"model_id\":\"ibm/granite-3-8b-instruct\",\"project_id\":\"proj-9\","
                     "\"messages\":[{\"role\":\"system\",\"content\":\"Be brief\"},{\"role\":"
                     "\"user\",\"content\":\"Hi\"}],\"max_tokens\":50,\"temperature\":0.2,"
                     "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get\","
                     "\"parameters\":{\"type\":\"object\"}}}],\"tool_choice_option\":\"auto\"}"));
    json_decref(body);
    ops->release(&pc);
    lmx_upreq_release(&tok);
    lmx_upreq_release(&up);

    /* the next call reuses the cached token */
    pc_init(&pc, &d, req, "ibm/granite-3-8b-instruct", true);
    lmx_upreq_init(&tok);
    ASSERT_EQ(ops->token_prepare(&pc, &tok, &e), 0);
    lmx_upreq_init(&up);
    ASSERT_EQ(ops->build(&pc, &up, &e), 0);
    ASSERT_STR_EQ(up.url.data,
                  "https://us-south.ml.cloud.ibm.com/ml/v1/text/chat_stream?version=2024-03-13");
    ASSERT_STR_EQ(header(&up, "Authorization"), "Bearer eyJ.iam.1");
    ops->release(&pc);
    lmx_upreq_release(&tok);
    lmx_upreq_release(&up);

    /* refused key: 401 */
    lmx_token_clear();
    pc_init(&pc, &d, req, "ibm/granite-3-8b-instruct", false);
    lmx_upreq_init(&tok);
    ASSERT_EQ(ops->token_prepare(&pc, &tok, &e), 1);
    {
        const char *r = "{\"errorCode\":\"BXNIM0415E\",\"errorMessage\":\"Provided API key could "
                        "not be found.\"}";

        ASSERT_EQ(ops->token_done(&pc, 400, r, strlen(r), &e), LMX_EAUTH);
    }
    ASSERT_EQ(e.status, 401);
    ASSERT(strstr(e.message, "Provided API key could not be found.") != NULL);
    ops->release(&pc);
    lmx_upreq_release(&tok);
    json_decref(lp);
    json_decref(req);
}

static void test_deployment_token_zen(void)
{
    struct lmx_deployment d;
    struct lmx_pcall pc;
    struct lmx_upreq tok, up;
    struct lmx_perr e = {0, "", "", ""};
    json_t *lp = json_object();
    json_t *req = J("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"tool_choice\":{"
                    "\"type\":\"function\",\"function\":{\"name\":\"get\"}}}");
    json_t *body;

    clear_env();
    lmx_token_clear();
    setenv("WATSONX_TOKEN", "ready-token", 1);
    setenv("WATSONX_API_VERSION", "2025-01-01", 1);
    dep_init(&d, "http://127.0.0.1:1", NULL, lp);
    pc_init(&pc, &d, req, "deployment/dep-42", false);
    lmx_upreq_init(&tok);
    ASSERT_EQ(ops->token_prepare(&pc, &tok, &e), 0); /* a ready token: no IAM call */
    lmx_upreq_init(&up);
    ASSERT_EQ(ops->build(&pc, &up, &e), 0);
    ASSERT_STR_EQ(up.url.data,
                  "http://127.0.0.1:1/ml/v1/deployments/dep-42/text/chat?version=2025-01-01");
    ASSERT_STR_EQ(header(&up, "Authorization"), "Bearer ready-token");
    body = json_loadb(up.body.data, up.body.len, 0, NULL);
    ASSERT(eqs(body, "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"tool_choice\":{"
                     "\"type\":\"function\",\"function\":{\"name\":\"get\"}}}"));
    json_decref(body);
    ops->release(&pc);
    lmx_upreq_release(&tok);
    lmx_upreq_release(&up);
    clear_env();

    /* Cloud Pak for Data: ZenApiKey; space_id from the env */
    setenv("WATSONX_ZENAPIKEY", "zen-1", 1);
    setenv("WATSONX_SPACE_ID", "space-7", 1);
    pc_init(&pc, &d, req, "ibm/granite", false);
    lmx_upreq_init(&up);
    ASSERT_EQ(ops->build(&pc, &up, &e), 0);
    ASSERT_STR_EQ(header(&up, "Authorization"), "ZenApiKey zen-1");
    ASSERT(strstr(up.body.data, "\"space_id\":\"space-7\"") != NULL);
    ops->release(&pc);
    lmx_upreq_release(&up);
    clear_env();

    /* no key at all; no project; unsupported parameter */
    pc_init(&pc, &d, req, "ibm/granite", false);
    lmx_upreq_init(&tok);
    ASSERT_EQ(ops->token_prepare(&pc, &tok, &e), LMX_EAUTH);
    ASSERT_EQ(e.status, 401);
    ops->release(&pc);
    lmx_upreq_release(&tok);
    setenv("WATSONX_TOKEN", "t", 1);
    pc_init(&pc, &d, req, "ibm/granite", false);
    lmx_upreq_init(&up);
    ASSERT_EQ(ops->build(&pc, &up, &e), LMX_EBADREQ);
    ASSERT(strstr(e.message, "project_id") != NULL);
    ops->release(&pc);
    lmx_upreq_release(&up);
    json_decref(req);
    req = J("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"logit_bias\":{\"1\":2}}");
    pc_init(&pc, &d, req, "deployment/x", false);
    lmx_upreq_init(&up);
    ASSERT_EQ(ops->build(&pc, &up, &e), LMX_EBADPARAM);
    ASSERT_STR_EQ(e.param, "logit_bias");
    ops->release(&pc);
    pc.drop_params = true;
    pc_init(&pc, &d, req, "deployment/x", false);
    pc.drop_params = true;
    ASSERT_EQ(ops->build(&pc, &up, &e), 0);
    ASSERT(strstr(up.body.data, "logit_bias") == NULL);
    ops->release(&pc);
    lmx_upreq_release(&up);
    clear_env();
    json_decref(lp);
    json_decref(req);
}

static void test_answers(void)
{
    struct lmx_deployment d;
    struct lmx_pcall pc;
    struct lmx_upreq up;
    struct lmx_perr e = {0, "", "", ""};
    json_t *lp = J("{\"project_id\":\"p\",\"token\":\"tk\"}");
    json_t *req = J("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stream_options\":{"
                    "\"include_usage\":true}}");
    json_t *out = NULL;
    struct chunks c = {json_array()};
    const char *ans =
        "{\"id\":\"chat-1\",\"model_id\":\"ibm/granite\",\"model\":\"ibm/granite\",\"choices\":[{"
        "\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hello\"},\"finish_reason\":"
        "\"stop\"}],\"created\":1728000000,\"model_version\":\"3.0.0\",\"created_at\":"
        "\"2024-10-04T00:00:00.000Z\",\"usage\":{\"completion_tokens\":1,\"prompt_tokens\":2,"
        "\"total_tokens\":3}}";
    const char *sse =
        "id: 1\nevent: message\ndata: {\"id\":\"chat-2\",\"model_id\":\"ibm/granite\",\"choices\":"
        "[{\"index\":0,\"finish_reason\":null,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}"
        "],\"created\":1728000001,\"model_version\":\"3.0.0\",\"created_at\":\"x\"}\n\n"
        "id: 2\nevent: message\ndata: {\"id\":\"chat-2\",\"model_id\":\"ibm/granite\",\"choices\":"
        "[{\"index\":0,\"finish_reason\":null,\"delta\":{\"content\":\"Hel\"}}],\"created\":"
        "1728000001}\n\n"
        "id: 3\nevent: message\ndata: {\"id\":\"chat-2\",\"model_id\":\"ibm/granite\",\"choices\":"
        "[{\"index\":0,\"finish_reason\":\"stop\",\"delta\":{\"content\":\"lo\"}}],\"created\":"
        "1728000001,\"usage\":{\"completion_tokens\":2,\"prompt_tokens\":2,\"total_tokens\":4}}"
        "\n\n";

    clear_env();
    dep_init(&d, "http://h", NULL, lp);
    pc_init(&pc, &d, req, "ibm/granite", true);
    lmx_upreq_init(&up);
    ASSERT_EQ(ops->build(&pc, &up, &e), 0);
    ASSERT_STR_EQ(header(&up, "Authorization"), "Bearer tk");
    for (size_t off = 0, len = strlen(sse); off < len; off += 5)
        ASSERT_EQ(ops->stream_feed(&pc, sse + off, LMX_MIN(5, len - off), collect, &c, &e), 0);
    ASSERT_EQ(ops->stream_end(&pc, collect, &c, &e), 0);
    ASSERT_EQ(json_array_size(c.all), 4);
    ASSERT(eqs(json_array_get(c.all, 1),
               "{\"id\":\"chat-2\",\"object\":\"chat.completion.chunk\",\"model\":\"ibm/granite\","
               "\"choices\":[{\"index\":0,\"finish_reason\":null,\"delta\":{\"content\":"
               "\"Hel\"}}],\"created\":1728000001}"));
    ASSERT(eqs(json_array_get(c.all, 3),
               "{\"id\":\"chat-2\",\"object\":\"chat.completion.chunk\",\"created\":1728000001,"
               "\"model\":\"ibm/granite\",\"choices\":[],\"usage\":{\"completion_tokens\":2,"
               "\"prompt_tokens\":2,\"total_tokens\":4}}"));
    ASSERT_EQ(ops->parse(&pc, ans, strlen(ans), &out, &e), 0);
    ASSERT(eqs(out, "{\"id\":\"chat-1\",\"object\":\"chat.completion\",\"model\":\"ibm/granite\","
                    "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
                    "\"Hello\"},\"finish_reason\":\"stop\"}],\"created\":1728000000,\"usage\":{"
                    "\"completion_tokens\":1,\"prompt_tokens\":2,\"total_tokens\":3}}"));
    json_decref(out);
    ops->release(&pc);
    lmx_upreq_release(&up);
    json_decref(c.all);

    /* an error event in the stream */
    c.all = json_array();
    pc_init(&pc, &d, req, "ibm/granite", true);
    lmx_upreq_init(&up);
    ASSERT_EQ(ops->build(&pc, &up, &e), 0);
    {
        const char *bad = "event: error\ndata: {\"errors\":[{\"code\":\"model_overloaded\","
                          "\"message\":\"busy\"}],\"status_code\":503}\n\n";

        ASSERT_EQ(ops->stream_feed(&pc, bad, strlen(bad), collect, &c, &e), LMX_EUPSTREAM);
        ASSERT_EQ(e.status, 503);
        ASSERT(strstr(e.message, "busy") != NULL);
    }
    ops->release(&pc);
    lmx_upreq_release(&up);
    json_decref(c.all);

    /* error answers */
    {
        const char *b = "{\"errors\":[{\"code\":\"model_not_supported\",\"message\":\"Model "
                        "'x' is not supported\",\"more_info\":\"https://x\"}],\"trace\":\"t\","
                        "\"status_code\":404}";

        pc_init(&pc, &d, req, "x", false);
        ops->map_error(&pc, 404, b, strlen(b), &e);
        ASSERT_EQ(e.status, 404);
        ASSERT_STR_EQ(e.type, "not_found_error");
        ASSERT_STR_EQ(e.message, "watsonx: Model 'x' is not supported (model_not_supported)");
        ops->map_error(&pc, 502, "<html>", 6, &e);
        ASSERT_EQ(e.status, 502);
        ASSERT(strstr(e.message, "<html>") != NULL);
        ops->release(&pc);
    }
    json_decref(lp);
    json_decref(req);
}

static const struct lmx_provider_ops *tops = &lmx_provider_watsonx_text_ops;

static void prompt_is(const char *model, const char *msgs, const char *want)
{
    json_t *m = J(msgs);
    struct lmx_buf b;

    lmx_buf_init(&b, 1u << 20);
    ASSERT_EQ(text_prompt(model, m, &b), 0);
    ASSERT_STR_EQ(b.data != NULL ? b.data : "", want);
    lmx_buf_release(&b);
    json_decref(m);
}

static void test_text_prompts(void)
{
    const char *conv = "[{\"role\":\"system\",\"content\":\"Be brief\"},{\"role\":\"user\","
                       "\"content\":\"Hi\"},{\"role\":\"assistant\",\"content\":\"Hello\"},{"
                       "\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"How \"},{"
                       "\"type\":\"text\",\"text\":\"are you?\"}]}]";

    prompt_is("google/flan-t5-xxl", conv, "Be brief Hi Hello How are you?");
    prompt_is("ibm/granite-13b-chat-v2", conv,
              "<|system|>\nBe brief\n<|user|>\nHi\n<|assistant|>\nHello\n<|user|>\nHow are "
              "you?\n<|assistant|>");
    prompt_is("meta-llama/llama-3-70b-instruct", conv,
              "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\nBe brief<|eot_id|>"
              "<|start_header_id|>user<|end_header_id|>\nHi<|eot_id|><|start_header_id|>"
              "assistant<|end_header_id|>\nHello<|eot_id|><|start_header_id|>user<|end_header_id|>"
              "\nHow are you?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n");
    /* instruct Granite models are no chat template: the generic prompt */
    prompt_is("ibm/granite-3-8b-instruct", "[{\"role\":\"user\",\"content\":\"a b\"}]", "a b");
    prompt_is("ibm/granite-13b-chat-v2", "[{\"role\":\"tool\",\"content\":\"  x \"}]", "x");
}

static void test_text_requests(void)
{
    struct lmx_deployment d;
    struct lmx_pcall pc;
    struct lmx_upreq tok, up;
    struct lmx_perr e = {0, "", "", ""};
    json_t *lp = J("{\"project_id\":\"proj-9\"}");
    json_t *req = J("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi there\"}],\"max_tokens\":"
                    "20,\"temperature\":0.5,\"top_p\":0.9,\"frequency_penalty\":1.1,\"seed\":7,"
                    "\"stop\":\"END\",\"top_k\":40,\"decoding_method\":\"greedy\",\"user\":\"u\"}");
    const char *ans = "{\"access_token\":\"eyJ.iam.2\",\"expires_in\":3600}";
    json_t *body;

    clear_env();
    lmx_token_clear();
    dep_init(&d, "https://eu-de.ml.cloud.ibm.com", "wx-key-2", lp);
    d.model = "watsonx_text/google/flan-t5-xxl";
    d.provider = "watsonx_text";
    pc_init(&pc, &d, req, "google/flan-t5-xxl", false);
    lmx_upreq_init(&tok);
    ASSERT_EQ(tops->token_prepare(&pc, &tok, &e), 1);
    ASSERT_STR_EQ(tok.body.data,
                  "grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-type%3Aapikey&apikey=wx-key-2");
    ASSERT_EQ(tops->token_done(&pc, 200, ans, strlen(ans), &e), 0);
    lmx_upreq_init(&up);
    ASSERT_EQ(tops->build(&pc, &up, &e), 0);
    ASSERT_STR_EQ(up.url.data,
                  "https://eu-de.ml.cloud.ibm.com/ml/v1/text/generation?version=2024-03-13");
    ASSERT_STR_EQ(header(&up, "Authorization"), "Bearer eyJ.iam.2");
    ASSERT_STR_EQ(header(&up, "Accept"), "application/json");
    body = json_loadb(up.body.data, up.body.len, 0, NULL);
    ASSERT(eqs(body, "{\"input\":\"Hi there\",\"model_id\":\"google/flan-t5-xxl\",\"project_id\":"
                     "\"proj-9\",\"parameters\":{\"decoding_method\":\"greedy\",\"max_new_tokens\":"
                     "20,\"temperature\":0.5,\"top_p\":0.9,\"repetition_penalty\":1.1,"
                     "\"random_seed\":7,\"stop_sequences\":[\"END\"],\"top_k\":40}}"));
    json_decref(body);
    tops->release(&pc);
    lmx_upreq_release(&tok);
    lmx_upreq_release(&up);

    /* cached token, a stream, a deployment, the default decoding method */
    json_decref(req);
    req = J("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stop\":[\"a\",\"b\"]}");
    pc_init(&pc, &d, req, "deployment/dep-7", true);
    lmx_upreq_init(&tok);
    ASSERT_EQ(tops->token_prepare(&pc, &tok, &e), 0);
    lmx_upreq_init(&up);
    ASSERT_EQ(tops->build(&pc, &up, &e), 0);
    ASSERT_STR_EQ(up.url.data, "https://eu-de.ml.cloud.ibm.com/ml/v1/deployments/dep-7/text/"
                               "generation_stream?version=2024-03-13");
    ASSERT_STR_EQ(header(&up, "Accept"), "text/event-stream");
    body = json_loadb(up.body.data, up.body.len, 0, NULL);
    ASSERT(eqs(body, "{\"input\":\"Hi\",\"parameters\":{\"decoding_method\":\"sample\","
                     "\"stop_sequences\":[\"a\",\"b\"]}}"));
    json_decref(body);
    tops->release(&pc);
    lmx_upreq_release(&tok);
    lmx_upreq_release(&up);

    /* tools are not for text generation; no project; /embeddings */
    json_decref(req);
    req = J("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"tools\":[]}");
    pc_init(&pc, &d, req, "google/flan-t5-xxl", false);
    lmx_upreq_init(&up);
    ASSERT_EQ(tops->build(&pc, &up, &e), LMX_EBADPARAM);
    ASSERT_EQ(e.status, 400);
    ASSERT_STR_EQ(e.param, "tools");
    tops->release(&pc);
    lmx_upreq_release(&up);
    json_decref(lp);
    lp = json_object();
    d.litellm_params = lp;
    json_decref(req);
    req = J("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
    pc_init(&pc, &d, req, "google/flan-t5-xxl", false);
    lmx_upreq_init(&up);
    ASSERT_EQ(tops->build(&pc, &up, &e), LMX_EBADREQ);
    ASSERT(strstr(e.message, "project_id") != NULL);
    tops->release(&pc);
    pc_init(&pc, &d, req, "google/flan-t5-xxl", false);
    pc.ep = LMX_EP_EMBEDDINGS;
    ASSERT_EQ(tops->build(&pc, &up, &e), LMX_EBADREQ);
    tops->release(&pc);
    lmx_upreq_release(&up);
    lmx_token_clear();
    json_decref(lp);
    json_decref(req);
}

static void test_text_answers(void)
{
    struct lmx_deployment d;
    struct lmx_pcall pc;
    struct lmx_upreq up;
    struct lmx_perr e = {0, "", "", ""};
    json_t *lp = J("{\"project_id\":\"p\",\"token\":\"tk\"}");
    json_t *req = J("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stream_options\":{"
                    "\"include_usage\":true}}");
    json_t *out = NULL;
    struct chunks c = {json_array()};
    const char *ans = "{\"model_id\":\"google/flan-t5-xxl\","
                      "\"created_at\":\"2024-01-01T00:00:00Z\","
                      "\"results\":[{\"generated_text\":\"Paris\",\"generated_token_count\":2,"
                      "\"input_token_count\":9,\"stop_reason\":\"max_tokens\"}]}";
    const char *sse =
        "id: 1\nevent: message\ndata: {\"model_id\":\"m\",\"results\":[{\"generated_text\":\"Pa"
        "\",\"generated_token_count\":1,\"input_token_count\":9,\"stop_reason\":\"not_finished\"}"
        "]}\n\n"
        "id: 2\nevent: message\ndata: {\"model_id\":\"m\",\"results\":[{\"generated_text\":\"ris"
        "\",\"generated_token_count\":2,\"input_token_count\":0,\"stop_reason\":\"eos_token\"}]}"
        "\n\nid: 3\nevent: close\n\n";

    clear_env();
    dep_init(&d, "http://h", NULL, lp);
    pc_init(&pc, &d, req, "google/flan-t5-xxl", false);
    lmx_upreq_init(&up);
    ASSERT_EQ(tops->build(&pc, &up, &e), 0);
    ASSERT_EQ(tops->parse(&pc, ans, strlen(ans), &out, &e), 0);
    json_object_del(out, "created");
    ASSERT(eqs(out, "{\"id\":\"chatcmpl-c1\",\"object\":\"chat.completion\",\"model\":"
                    "\"google/flan-t5-xxl\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
                    "\"assistant\",\"content\":\"Paris\"},\"finish_reason\":\"length\"}],"
                    "\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2,"
                    "\"total_tokens\":11}}"));
    json_decref(out);
    ASSERT_EQ(tops->parse(&pc, "{\"x\":1}", 7, &out, &e), LMX_EUPSTREAM);
    tops->release(&pc);
    lmx_upreq_release(&up);

    pc_init(&pc, &d, req, "google/flan-t5-xxl", true);
    lmx_upreq_init(&up);
    ASSERT_EQ(tops->build(&pc, &up, &e), 0);
    for (size_t off = 0, len = strlen(sse); off < len; off += 7)
        ASSERT_EQ(tops->stream_feed(&pc, sse + off, LMX_MIN(7, len - off), collect, &c, &e), 0);
    ASSERT_EQ(tops->stream_end(&pc, collect, &c, &e), 0);
    ASSERT_EQ(json_array_size(c.all), 3);
    for (size_t i = 0; i < 3; i++)
        json_object_del(json_array_get(c.all, i), "created");
    ASSERT(eqs(json_array_get(c.all, 0),
               "{\"id\":\"chatcmpl-c1\",\"object\":\"chat.completion.chunk\",\"model\":"
               "\"google/flan-t5-xxl\",\"choices\":[{\"index\":0,\"delta\":{\"role\":"
               "\"assistant\",\"content\":\"Pa\"},\"finish_reason\":null}]}"));
    ASSERT(eqs(json_array_get(c.all, 1),
               "{\"id\":\"chatcmpl-c1\",\"object\":\"chat.completion.chunk\",\"model\":"
               "\"google/flan-t5-xxl\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ris\"},"
               "\"finish_reason\":\"stop\"}]}"));
    ASSERT(eqs(json_array_get(c.all, 2),
               "{\"id\":\"chatcmpl-c1\",\"object\":\"chat.completion.chunk\",\"model\":"
               "\"google/flan-t5-xxl\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,"
               "\"completion_tokens\":2,\"total_tokens\":11}}"));
    tops->release(&pc);
    lmx_upreq_release(&up);
    json_decref(c.all);

    /* an error event */
    c.all = json_array();
    pc_init(&pc, &d, req, "google/flan-t5-xxl", true);
    lmx_upreq_init(&up);
    ASSERT_EQ(tops->build(&pc, &up, &e), 0);
    {
        const char *bad = "event: error\ndata: {\"errors\":[{\"code\":\"model_overloaded\","
                          "\"message\":\"busy\"}],\"status_code\":503}\n\n";

        ASSERT_EQ(tops->stream_feed(&pc, bad, strlen(bad), collect, &c, &e), LMX_EUPSTREAM);
        ASSERT_EQ(e.status, 503);
    }
    tops->release(&pc);
    lmx_upreq_release(&up);
    json_decref(c.all);
    json_decref(lp);
    json_decref(req);
}

int main(void)
{
    RUN(test_iam_and_chat);
    RUN(test_deployment_token_zen);
    RUN(test_answers);
    RUN(test_text_prompts);
    RUN(test_text_requests);
    RUN(test_text_answers);
    lmx_token_clear();
    TEST_MAIN_END();
}
