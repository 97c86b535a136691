/*
 * tools/mock/tgi.c - llmux-mock: prompt-in, text-out servers on their real paths.
 *
 *   POST /{tenant}/deployments/v2/llms/{model}/generate[_stream]   Predibase (TGI)
 *        {"inputs","parameters"} -> {"generated_text","details"}; the stream is
 *        SSE data:{"token":{...},"generated_text":null,"details":null}, the last
 *        event a special token with generated_text and details
 *   POST /v2/models/{model}/generate[_stream]                      Triton
 *        {"text_input","parameters"} -> {"model_name","model_version","text_output"};
 *        the stream is SSE data:{...,"text_output":"<piece>"} until the body ends
 *
 * The answer is the words of "Hello from the mock TGI model.", cut to
 * parameters.max_new_tokens (TGI) or max_tokens (Triton) words (TGI then
 * says finish_reason "length"). Auth (Predibase only): with --api-key,
 * "Authorization: Bearer <key>". Model-name controls: "mock-status-<code>"
 * answers that status with {"error":"..."} (so does a /mock/fail rule);
 * "mock-stream-error" sends two pieces, then an {"error":...} event.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/util.h"
#include "mock.h"

bool mock_tgi_route(struct mock_worker *w, struct lmx_http_req *req);

#define TG_OOM "{\"error\":\"llmux-mock: out of memory\"}"

static const char *const tg_words[] = {"Hello", " from", " the", " mock", " TGI", " model."};

enum tg_api { TG_PREDIBASE, TG_TRITON };

static void tg_send_error(struct lmx_http_req *req, int status, const char *msg)
{
    mock_send_json(req, status, json_pack("{s:s,s:s}", "error", msg, "error_type", "mock"), TG_OOM);
}

/* Parses the path: which API, the model (copied into model), streaming or not. */
static bool tg_path(const char *path, enum tg_api *api, char *model, size_t len, bool *stream)
{
    const char *p = strstr(path, "/deployments/v2/llms/"), *m, *end;

    if (p != NULL && p != path) {
        *api = TG_PREDIBASE;
        m = p + strlen("/deployments/v2/llms/");
    } else if (strncmp(path, "/v2/models/", 11) == 0) {
        *api = TG_TRITON;
        m = path + 11;
    } else {
        return false;
    }
    end = strrchr(m, '/');
    if (end == NULL || end == m || (size_t)(end - m) >= len)
        return false;
    if (strcmp(end, "/generate") == 0)
        *stream = false;
    else if (strcmp(end, "/generate_stream") == 0)
        *stream = true;
    else
        return false;
    memcpy(model, m, (size_t)(end - m));
    model[end - m] = '\0';
    return true;
}

/* How many words to answer: all, or the max token parameter. */
static size_t tg_nwords(const json_t *body, enum tg_api api)
{
    json_t *p = json_object_get(body, "parameters");
    json_int_t max = json_integer_value(
        json_object_get(p, api == TG_PREDIBASE ? "max_new_tokens" : "max_tokens"));

    if (max > 0 && (size_t)max < LMX_ARRAY_SIZE(tg_words))
        return (size_t)max;
    return LMX_ARRAY_SIZE(tg_words);
}

static void tg_answer(struct lmx_http_req *req, const json_t *body, enum tg_api api,
                      const char *model)
{
    size_t n = tg_nwords(body, api);
    char text[128] = "";
    json_t *o;

    for (size_t i = 0; i < n; i++)
        strcat(text, tg_words[i]);
    if (api == TG_TRITON)
        o = json_pack("{s:s,s:s,s:s}", "model_name", model, "model_version", "1", "text_output",
                      text);
    else
        o = json_pack("{s:s,s:{s:s,s:I,s:n}}", "generated_text", text, "details",
                      "finish_reason", n < LMX_ARRAY_SIZE(tg_words) ? "length" : "eos_token",
                      "generated_tokens", (json_int_t)n, "seed");
    mock_send_json(req, 200, o, TG_OOM);
}

static int tg_event(struct lmx_http_req *req, json_t *o)
{
    char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
    int err = LMX_ENOMEM;

    if (text != NULL) {
        err = lmx_http_res_write(req, "data:", 5);
        if (err == 0)
            err = lmx_http_res_write(req, text, strlen(text));
        if (err == 0)
            err = lmx_http_res_write(req, "\n\n", 2);
    }
    lmx_free(text);
    json_decref(o);
    return err;
}

static void tg_stream(struct lmx_http_req *req, const json_t *body, enum tg_api api,
                      const char *model, bool fail)
{
    static const struct lmx_http_hdr hdrs[] = {{"Content-Type", 12, "text/event-stream", 17}};
    size_t n = fail ? 2 : tg_nwords(body, api);
    char text[128] = "";
    int err = lmx_http_res_begin(req, 200, hdrs, LMX_ARRAY_SIZE(hdrs), -1);

    for (size_t i = 0; err == 0 && i < n; i++) {
        strcat(text, tg_words[i]);
        if (api == TG_TRITON)
            err = tg_event(req, json_pack("{s:s,s:s,s:s}", "model_name", model, "model_version",
                                          "1", "text_output", tg_words[i]));
        else
            err = tg_event(req, json_pack("{s:I,s:{s:I,s:s,s:f,s:b},s:n,s:n}", "index",
                                          (json_int_t)i, "token", "id", (json_int_t)(100 + i),
                                          "text", tg_words[i], "logprob", -0.25, "special", 0,
                                          "generated_text", "details"));
    }
    if (err == 0 && fail)
        err = tg_event(req, json_pack("{s:s,s:s}", "error",
                                      "llmux-mock: stream failure (mock-stream-error)",
                                      "error_type", "generation"));
    else if (err == 0 && api == TG_PREDIBASE)
        err = tg_event(req, json_pack("{s:I,s:{s:i,s:s,s:f,s:b},s:s,s:{s:s,s:I,s:n}}", "index",
                                      (json_int_t)n, "token", "id", 2, "text", "</s>", "logprob",
                                      -0.01, "special", 1, "generated_text", text, "details",
                                      "finish_reason",
                                      n < LMX_ARRAY_SIZE(tg_words) ? "length" : "eos_token",
                                      "generated_tokens", (json_int_t)(n + 1), "seed"));
    lmx_http_res_end(req, err == 0);
}

bool mock_tgi_route(struct mock_worker *w, struct lmx_http_req *req)
{
    enum tg_api api;
    char model[MOCK_LOG_MODEL];
    struct mock_rule rule;
    struct mock_log_in li;
    json_t *body;
    uint64_t seq;
    bool stream;
    int status;

    if (!tg_path(req->path, &api, model, sizeof(model), &stream))
        return false;
    mock_stats_count(w, req);
    if (req->method != LMX_HTTP_POST) {
        tg_send_error(req, 405, "method not allowed");
        return true;
    }
    if (api == TG_PREDIBASE && !mock_bearer_ok(w, req)) {
        tg_send_error(req, 401, "unauthorized");
        return true;
    }
    body = json_loadb(req->body.data != NULL ? req->body.data : "", req->body.len, 0, NULL);
    if (!json_is_object(body) ||
        !json_is_string(json_object_get(body, api == TG_PREDIBASE ? "inputs" : "text_input"))) {
        json_decref(body);
        tg_send_error(req, 422, "Failed to deserialize the JSON body");
        return true;
    }
    mock_log_in_init(&li, req, model, stream);
    status = mock_model_status(model);
    if (mock_rule_take(model, strlen(model), &rule)) {
        li.rule = true;
        status = rule.status >= 400 ? (int)rule.status : 0;
    }
    seq = mock_log_add(&li);
    atomic_fetch_add_explicit(&mock_stats.next_id, 1, memory_order_relaxed);
    if (status >= 400) {
        char msg[128];

        snprintf(msg, sizeof(msg), "llmux-mock: error %d (mock-status-%d)", status, status);
        tg_send_error(req, status, msg);
    } else if (stream) {
        status = 200;
        tg_stream(req, body, api, model, strstr(model, "mock-stream-error") != NULL);
    } else {
        status = 200;
        tg_answer(req, body, api, model);
    }
    mock_log_status(seq, status);
    json_decref(body);
    return true;
}
