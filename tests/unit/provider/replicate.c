/*
 * tests/unit/provider/replicate.c - Replicate through its ops table: golden
 * requests for the three model forms (URL, headers, {"version","input"}),
 * the prompt (default template, Llama 3 template, system_prompt), the
 * parameter map, refused parameters and bad model names; predictions that
 * succeeded (pieces or a string, metrics), failed, or are still running after
 * the wait; streams made from the prediction (fed in any split); error
 * statuses.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/err.h"
#include "provider/replicate.h"
#include "test.h"

struct call {
    struct lmx_deployment dep;
    struct lmx_pcall pc;
    struct lmx_upreq up;
    struct lmx_perr err;
    json_t *req, *body;
    int rc;
};

static const struct lmx_provider_ops *const ops = &lmx_provider_replicate_ops;

static void call_build(struct call *c, const char *model, const char *req, const char *lp,
                       const char *api_base, const char *key, bool drop)
{
    memset(c, 0, sizeof(*c));
    c->dep.provider = (char *)"replicate";
    c->dep.upstream_model = (char *)model;
    c->dep.api_base = (char *)api_base;
    c->dep.api_key = (char *)key;
    c->dep.litellm_params = json_loads(lp != NULL ? lp : "{}", 0, NULL);
    c->req = json_loads(req, 0, NULL);
    c->pc.dep = &c->dep;
    c->pc.ep = LMX_EP_CHAT;
    c->pc.req = c->req;
    c->pc.model = model;
    c->pc.call_id = "t1";
    c->pc.stream = json_is_true(json_object_get(c->req, "stream"));
    c->pc.drop_params = drop;
    lmx_upreq_init(&c->up);
    c->rc = ops->build(&c->pc, &c->up, &c->err);
    if (c->rc == 0)
        c->body = json_loadb(c->up.body.data, c->up.body.len, 0, NULL);
}

static void call_free(struct call *c)
{
    ops->release(&c->pc);
    lmx_upreq_release(&c->up);
    json_decref(c->req);
    json_decref(c->body);
    json_decref(c->dep.litellm_params);
}

static bool has_header(const struct lmx_upreq *u, const char *line)
{
    for (size_t i = 0; i < u->nheaders; i++)
        if (strcmp(u->headers[i], line) == 0)
            return true;
    return false;
}

static bool json_eq_text(const json_t *v, const char *want)
{
    json_t *w = json_loads(want, 0, NULL);
    bool eq = w != NULL && json_equal(v, w);

    if (!eq) {
        char *d = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);

        fprintf(stderr, "  got  %s\n  want %s\n", d != NULL ? d : "(null)", want);
        free(d);
    }
    json_decref(w);
    return eq;
}

static const char *const req2 =
    "{\"model\":\"x\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":"
    "\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Hi\"}]}],\"max_tokens\":9,\"temperature\":"
    "0.5,\"top_p\":0.9,\"seed\":7,\"stop\":[\"END\",\"</s>\"],\"top_k\":4,\"user\":\"u1\"}";
static const char *const hi = "{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"q\"}]}";

/* ------------------------------------------------------------------------ */
/* Requests */

static void test_build_model(void)
{
    struct call c;

    call_build(&c, "meta/llama-2-70b-chat", req2, "{\"min_new_tokens\":2}",
               "https://api.replicate.com", "r8_k", false);
    ASSERT_EQ(c.rc, 0);
    ASSERT_STR_EQ(c.up.method, "POST");
    ASSERT_STR_EQ(c.up.url.data,
                  "https://api.replicate.com/v1/models/meta/llama-2-70b-chat/predictions");
    ASSERT(has_header(&c.up, "Authorization: Bearer r8_k"));
    ASSERT(has_header(&c.up, "Prefer: wait"));
    ASSERT(has_header(&c.up, "Content-Type: application/json"));
    ASSERT(json_eq_text(c.body, "{\"input\":{\"prompt\":\"Be brief. Hi\",\"max_new_tokens\":9,"
                                "\"temperature\":0.5,\"top_p\":0.9,\"seed\":7,"
                                "\"stop_sequences\":\"END,</s>\",\"top_k\":4,"
                                "\"min_new_tokens\":2}}"));
    call_free(&c);

    /* no api_base: Replicate's; no key: no Authorization; a "/v1" base is not doubled */
    call_build(&c, "o/n", hi, NULL, NULL, NULL, false);
    ASSERT_EQ(c.rc, 0);
    ASSERT_STR_EQ(c.up.url.data, "https://api.replicate.com/v1/models/o/n/predictions");
    for (size_t i = 0; i < c.up.nheaders; i++)
        ASSERT(strncmp(c.up.headers[i], "Authorization:", 14) != 0);
    ASSERT(json_eq_text(c.body, "{\"input\":{\"prompt\":\"q\"}}"));
    call_free(&c);
    call_build(&c, "o/n", hi, NULL, "http://127.0.0.1:9/v1/", NULL, false);
    ASSERT_EQ(c.rc, 0);
    ASSERT_STR_EQ(c.up.url.data, "http://127.0.0.1:9/v1/models/o/n/predictions");
    call_free(&c);
}

static void test_build_version_deployment(void)
{
    struct call c;
    const char *v64 = "02e509c789964a7ea8736978a43525956ef40397be9033abf9fd2badfe68c9e3";
    char model[128];

    snprintf(model, sizeof(model), "meta/llama-2-70b-chat:%s", v64);
    call_build(&c, model, hi, NULL, "http://mock:1", "k", false);
    ASSERT_EQ(c.rc, 0);
    ASSERT_STR_EQ(c.up.url.data, "http://mock:1/v1/predictions");
    ASSERT_STR_EQ(json_string_value(json_object_get(c.body, "version")), v64);
    ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(c.body, "input"), "prompt")),
                  "q");
    call_free(&c);

    call_build(&c, "deployments/acme/my-llm", hi, NULL, "http://mock:1", "k", false);
    ASSERT_EQ(c.rc, 0);
    ASSERT_STR_EQ(c.up.url.data, "http://mock:1/v1/deployments/acme/my-llm/predictions");
    ASSERT(json_object_get(c.body, "version") == NULL);
    call_free(&c);

    /* names the API cannot take */
    static const char *const bad[] = {"llama", "o/n:", ":abc", "deployments/solo", "o/"};
    for (size_t i = 0; i < LMX_ARRAY_SIZE(bad); i++) {
        call_build(&c, bad[i], hi, NULL, NULL, "k", false);
        ASSERT_EQ(c.rc, LMX_EBADREQ);
        ASSERT_EQ(c.err.status, 400);
        ASSERT(strstr(c.err.message, "replicate/{owner}/{name}") != NULL);
        ASSERT(c.pc.state == NULL);
        call_free(&c);
    }
}

static void test_build_prompt(void)
{
    struct call c;
    const char *chat =
        "{\"model\":\"x\",\"messages\":[{\"role\":\"system\",\"content\":\" Sys \"},{\"role\":"
        "\"user\",\"content\":\"Hi\\n\"},{\"role\":\"assistant\",\"content\":\"Yo\"},{\"role\":"
        "\"user\",\"content\":\"More\"}],\"max_completion_tokens\":5}";

    /* Llama 3 instruct: the model's chat template, as LiteLLM renders it */
    call_build(&c, "meta/meta-llama-3-8b-instruct", chat, NULL, NULL, "k", false);
    ASSERT_EQ(c.rc, 0);
    ASSERT(json_eq_text(
        c.body, "{\"input\":{\"prompt\":\"<|begin_of_text|><|start_header_id|>system<|end_header_"
                "id|>\\n\\nSys<|eot_id|><|start_header_id|>user<|end_header_id|>\\n\\nHi<|eot_"
                "id|><|start_header_id|>assistant<|end_header_id|>\\n\\nYo<|eot_id|><|start_"
                "header_id|>user<|end_header_id|>\\n\\nMore<|eot_id|><|start_header_id|>"
                "assistant<|end_header_id|>\\n\\n\",\"max_new_tokens\":5}}"));
    call_free(&c);

    /* supports_system_prompt: the first system message goes apart */
    call_build(&c, "o/n", chat, "{\"supports_system_prompt\":true}", NULL, "k", false);
    ASSERT_EQ(c.rc, 0);
    ASSERT(json_eq_text(c.body, "{\"input\":{\"prompt\":\"Hi\\n Yo More\",\"system_prompt\":"
                                "\" Sys \",\"max_new_tokens\":5}}"));
    call_free(&c);

    /* max_tokens under LiteLLM's other names; a string stop as is */
    call_build(&c, "replicate/vicuna-13b",
               "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"}],\"max_tokens\":3,\"stop\":"
               "\"x\"}",
               NULL, NULL, "k", false);
    ASSERT_EQ(c.rc, 0);
    ASSERT(json_eq_text(c.body,
                        "{\"input\":{\"prompt\":\"q\",\"max_length\":3,\"stop_sequences\":\"x\"}}"));
    call_free(&c);
    call_build(&c, "meta/codellama-13b", "{\"messages\":[],\"max_tokens\":3}", NULL, NULL, "k",
               false);
    ASSERT_EQ(c.rc, 0);
    ASSERT(json_eq_text(c.body, "{\"input\":{\"prompt\":\"\",\"max_tokens\":3}}"));
    call_free(&c);
}

static void test_build_refused(void)
{
    struct call c;
    const char *tools = "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"}],\"tools\":[{\"type\":"
                        "\"function\",\"function\":{\"name\":\"f\"}}],\"tool_choice\":\"auto\"}";

    call_build(&c, "o/n", tools, NULL, NULL, "k", false);
    ASSERT_EQ(c.rc, LMX_EBADPARAM);
    ASSERT_EQ(c.err.status, 400);
    ASSERT(strstr(c.err.message, "replicate does not support parameter 'tool") != NULL);
    ASSERT(strstr(c.err.message, "drop_params") != NULL);
    ASSERT(c.pc.state == NULL);
    call_free(&c);

    call_build(&c, "o/n", tools, NULL, NULL, "k", true);
    ASSERT_EQ(c.rc, 0);
    ASSERT(json_eq_text(c.body, "{\"input\":{\"prompt\":\"q\"}}"));
    call_free(&c);

    call_build(&c, "o/n",
               "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"}],\"response_format\":{\"type\":"
               "\"json_object\"}}",
               NULL, NULL, "k", false);
    ASSERT_EQ(c.rc, LMX_EBADPARAM);
    ASSERT_STR_EQ(c.err.param, "response_format");
    call_free(&c);

    /* other endpoints */
    memset(&c, 0, sizeof(c));
    c.dep.provider = (char *)"replicate";
    c.dep.litellm_params = json_object();
    c.req = json_loads(hi, 0, NULL);
    c.pc.dep = &c.dep;
    c.pc.ep = LMX_EP_EMBEDDINGS;
    c.pc.req = c.req;
    c.pc.model = "o/n";
    lmx_upreq_init(&c.up);
    ASSERT_EQ(ops->build(&c.pc, &c.up, &c.err), LMX_EBADREQ);
    ASSERT_EQ(c.err.status, 400);
    call_free(&c);
}

/* ------------------------------------------------------------------------ */
/* Answers */

static const char *const ok_pred =
    "{\"id\":\"p123\",\"model\":\"o/n\",\"status\":\"succeeded\",\"output\":[\"Hel\",\"lo\",\"\","
    "\" there\"],\"error\":null,\"metrics\":{\"input_token_count\":11,\"output_token_count\":3,"
    "\"predict_time\":0.4},\"urls\":{\"get\":\"https://api.replicate.com/v1/predictions/p123\"}}";

static void test_parse(void)
{
    struct call c;
    json_t *out = NULL;

    call_build(&c, "o/n", hi, NULL, NULL, "k", false);
    ASSERT_EQ(c.rc, 0);
    ASSERT_EQ(ops->parse(&c.pc, ok_pred, strlen(ok_pred), &out, &c.err), 0);
    ASSERT_STR_EQ(json_string_value(json_object_get(out, "object")), "chat.completion");
    ASSERT_STR_EQ(json_string_value(json_object_get(out, "id")), "chatcmpl-t1");
    ASSERT_STR_EQ(json_string_value(json_object_get(out, "model")), "o/n");
    ASSERT(json_eq_text(json_object_get(out, "choices"),
                        "[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
                        "\"Hello there\"},\"finish_reason\":\"stop\"}]"));
    ASSERT(json_eq_text(json_object_get(out, "usage"),
                        "{\"prompt_tokens\":11,\"completion_tokens\":3,\"total_tokens\":14}"));
    json_decref(out);

    /* a string output, no metrics */
    const char *s = "{\"id\":\"p2\",\"status\":\"succeeded\",\"output\":\"whole\"}";
    ASSERT_EQ(ops->parse(&c.pc, s, strlen(s), &out, &c.err), 0);
    ASSERT_STR_EQ(json_string_value(json_object_get(
                      json_object_get(json_array_get(json_object_get(out, "choices"), 0),
                                      "message"),
                      "content")),
                  "whole");
    ASSERT_EQ(json_integer_value(json_object_get(json_object_get(out, "usage"), "total_tokens")),
              0);
    json_decref(out);

    /* an empty output: " ", as LiteLLM answers */
    s = "{\"id\":\"p3\",\"status\":\"succeeded\",\"output\":[]}";
    ASSERT_EQ(ops->parse(&c.pc, s, strlen(s), &out, &c.err), 0);
    ASSERT_STR_EQ(json_string_value(json_object_get(
                      json_object_get(json_array_get(json_object_get(out, "choices"), 0),
                                      "message"),
                      "content")),
                  " ");
    json_decref(out);
    call_free(&c);
}

static void test_parse_unfinished(void)
{
    struct call c;
    json_t *out = NULL;
    const char *failed = "{\"id\":\"pf\",\"status\":\"failed\",\"output\":null,\"error\":"
                         "\"CUDA out of memory\"}";
    const char *slow = "{\"id\":\"ps\",\"status\":\"processing\",\"output\":[\"He\"],\"urls\":{"
                       "\"get\":\"https://api.replicate.com/v1/predictions/ps\"}}";
    const char *canceled = "{\"id\":\"pc\",\"status\":\"canceled\"}";

    call_build(&c, "o/n", hi, NULL, NULL, "k", false);
    ASSERT_EQ(ops->parse(&c.pc, failed, strlen(failed), &out, &c.err), LMX_EUPSTREAM);
    ASSERT(out == NULL);
    ASSERT_EQ(c.err.status, 422);
    ASSERT(strstr(c.err.message, "prediction pf failed: CUDA out of memory") != NULL);

    memset(&c.err, 0, sizeof(c.err));
    ASSERT_EQ(ops->parse(&c.pc, slow, strlen(slow), &out, &c.err), LMX_EUPSTREAM);
    ASSERT_EQ(c.err.status, 504);
    ASSERT_STR_EQ(c.err.type, "timeout");
    ASSERT(strstr(c.err.message, "prediction ps is still processing") != NULL);
    ASSERT(strstr(c.err.message, "https://api.replicate.com/v1/predictions/ps") != NULL);

    ASSERT_EQ(ops->parse(&c.pc, canceled, strlen(canceled), &out, &c.err), LMX_EUPSTREAM);
    ASSERT_EQ(c.err.status, 422);
    ASSERT(strstr(c.err.message, "ended as canceled") != NULL);

    ASSERT_EQ(ops->parse(&c.pc, "<html>", 6, &out, &c.err), LMX_EUPSTREAM);
    ASSERT_EQ(c.err.status, 500);
    ASSERT_EQ(ops->parse(&c.pc, "{\"id\":\"x\"}", 10, &out, &c.err), LMX_EUPSTREAM);
    ASSERT(strstr(c.err.message, "without a status") != NULL);
    call_free(&c);
}

/* ------------------------------------------------------------------------ */
/* Streams */

static int collect(const json_t *chunk, void *ud)
{
    return json_array_append((json_t *)ud, (json_t *)chunk) == 0 ? 0 : LMX_ENOMEM;
}

static int feed_all(struct call *c, const char *text, size_t step, json_t *chunks)
{
    size_t n = strlen(text);
    int rc = 0;

    for (size_t off = 0; rc == 0 && off < n; off += step)
        rc = ops->stream_feed(&c->pc, text + off, LMX_MIN(step, n - off), collect, chunks,
                              &c->err);
    return rc == 0 ? ops->stream_end(&c->pc, collect, chunks, &c->err) : rc;
}

static void test_stream(void)
{
    const char *sreq = "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"}],\"stream\":true,"
                       "\"stream_options\":{\"include_usage\":true}}";

    for (size_t step = 1; step <= strlen(ok_pred); step += 37) {
        struct call c;
        json_t *chunks = json_array(), *ch;
        char text[64] = "";
        size_t i;

        call_build(&c, "o/n", sreq, NULL, NULL, "k", false);
        ASSERT_EQ(c.rc, 0);
        ASSERT(has_header(&c.up, "Prefer: wait"));
        ASSERT_EQ(feed_all(&c, ok_pred, step, chunks), 0);
        /* role, 3 non-empty pieces, finish, usage */
        ASSERT_EQ(json_array_size(chunks), 6);
        json_array_foreach(chunks, i, ch) {
            json_t *d = json_object_get(json_array_get(json_object_get(ch, "choices"), 0), "delta");
            const char *t = json_string_value(json_object_get(d, "content"));

            ASSERT_STR_EQ(json_string_value(json_object_get(ch, "object")),
                          "chat.completion.chunk");
            if (t != NULL)
                strncat(text, t, sizeof(text) - strlen(text) - 1);
        }
        ASSERT(strcmp(text, "Hello there") == 0);
        ch = json_array_get(chunks, 0);
        ASSERT_STR_EQ(json_string_value(json_object_get(
                          json_object_get(json_array_get(json_object_get(ch, "choices"), 0),
                                          "delta"),
                          "role")),
                      "assistant");
        ch = json_array_get(chunks, 4);
        ASSERT_STR_EQ(json_string_value(json_object_get(
                          json_array_get(json_object_get(ch, "choices"), 0), "finish_reason")),
                      "stop");
        ch = json_array_get(chunks, 5);
        ASSERT_EQ(json_array_size(json_object_get(ch, "choices")), 0);
        ASSERT_EQ(json_integer_value(json_object_get(json_object_get(ch, "usage"),
                                                     "completion_tokens")),
                  3);
        json_decref(chunks);
        call_free(&c);
    }
}

static void test_stream_errors(void)
{
    struct call c;
    json_t *chunks = json_array();

    /* a failed prediction: the error, and no chunk before it */
    call_build(&c, "o/n", "{\"messages\":[],\"stream\":true}", NULL, NULL, "k", false);
    ASSERT_EQ(feed_all(&c, "{\"id\":\"pf\",\"status\":\"failed\",\"error\":\"boom\"}", 5, chunks),
              LMX_EUPSTREAM);
    ASSERT_EQ(c.err.status, 422);
    ASSERT_EQ(json_array_size(chunks), 0);
    call_free(&c);

    call_build(&c, "o/n", "{\"messages\":[],\"stream\":true}", NULL, NULL, "k", false);
    ASSERT_EQ(feed_all(&c, "{\"id\":\"pw\",\"status\":\"starting\"}", 3, chunks), LMX_EUPSTREAM);
    ASSERT_EQ(c.err.status, 504);
    ASSERT(strstr(c.err.message, "pw") != NULL);
    ASSERT_EQ(json_array_size(chunks), 0);
    call_free(&c);

    /* no include_usage: no usage chunk */
    call_build(&c, "o/n", "{\"messages\":[],\"stream\":true}", NULL, NULL, "k", false);
    ASSERT_EQ(feed_all(&c, "{\"id\":\"p\",\"status\":\"succeeded\",\"output\":\"x\"}", 4, chunks),
              0);
    ASSERT_EQ(json_array_size(chunks), 3);
    call_free(&c);
    json_decref(chunks);
}

/* ------------------------------------------------------------------------ */
/* Errors */

static void test_map_error(void)
{
    struct call c;
    struct lmx_perr e;
    const char *p422 = "{\"title\":\"Input validation failed\",\"detail\":\"- input: prompt is "
                       "required\",\"status\":422}";

    call_build(&c, "o/n", hi, NULL, NULL, "k", false);
    memset(&e, 0, sizeof(e));
    ops->map_error(&c.pc, 422, p422, strlen(p422), &e);
    ASSERT_EQ(e.status, 422);
    ASSERT_STR_EQ(e.type, "invalid_request_error");
    ASSERT_STR_EQ(e.message, "replicate: Input validation failed: - input: prompt is required");

    ops->map_error(&c.pc, 401, "{\"detail\":\"Invalid token.\"}", 27, &e);
    ASSERT_EQ(e.status, 401);
    ASSERT_STR_EQ(e.type, "authentication_error");
    ASSERT_STR_EQ(e.message, "replicate: Invalid token.");

    ops->map_error(&c.pc, 502, "bad gateway", 11, &e);
    ASSERT_EQ(e.status, 502);
    ASSERT(strstr(e.message, "HTTP 502") != NULL && strstr(e.message, "bad gateway") != NULL);
    ops->map_error(&c.pc, 429, NULL, 0, &e);
    ASSERT_STR_EQ(e.type, "rate_limit_error");
    call_free(&c);
}

int main(void)
{
    RUN(test_build_model);
    RUN(test_build_version_deployment);
    RUN(test_build_prompt);
    RUN(test_build_refused);
    RUN(test_parse);
    RUN(test_parse_unfinished);
    RUN(test_stream);
    RUN(test_stream_errors);
    RUN(test_map_error);
    TEST_MAIN_END();
}
