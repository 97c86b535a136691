/*
 * tools/mock/datarobot.c - llmux-mock: DataRobot's LLM gateway chat.
 *
 *   POST /api/v2/genai/llmgw/chat/completions/   an OpenAI chat body with "Authorization:
 *        Bearer <key>" (401 else) -> a chat.completion "Hello from the datarobot mock.", or
 *        with "stream": true SSE chat.completion.chunk events, a usage chunk when
 *        stream_options.include_usage asks, then "data: [DONE]". The path without its
 *        trailing slash answers 404 as the gateway does; a model "mock-status-<code>"
 *        answers that status with an OpenAI error body.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "mock.h"

bool mock_datarobot_route(struct mock_worker *w, struct lmx_http_req *req);

#define DR_PATH "/api/v2/genai/llmgw/chat/completions"
#define DR_OOM  "{\"error\":{\"message\":\"llmux-mock: out of memory\"}}"

static const char *const dr_words[] = {"Hello", " from", " the", " datarobot", " mock."};

static json_t *dr_error(const char *msg)
{
    return json_pack("{s:{s:s,s:s}}", "error", "message", msg, "type", "mock_error");
}

static long dr_prompt_words(const json_t *body)
{
    const json_t *m;
    size_t i;
    long n = 0;

    json_array_foreach(json_object_get(body, "messages"), i, m)
        n += mock_count_words(json_string_value(json_object_get(m, "content")));
    return n > 0 ? n : 1;
}

static int dr_event(struct lmx_http_req *req, json_t *o)
{
    char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
    struct lmx_buf b;
    int err = LMX_ENOMEM;

    lmx_buf_init(&b, 1u << 20);
    if (text != NULL && lmx_buf_printf(&b, "data: %s\n\n", text) == 0)
        err = lmx_http_res_write(req, b.data, b.len);
    lmx_buf_release(&b);
    free(text);
    json_decref(o);
    return err;
}

static void dr_chat(struct lmx_http_req *req, const json_t *body, const char *model)
{
    static const struct lmx_http_hdr hdrs[] = {
        {"Content-Type", 12, "text/event-stream", 17},
    };
    long in = dr_prompt_words(body), out = (long)LMX_ARRAY_SIZE(dr_words);
    json_int_t now = (json_int_t)time(NULL);
    json_t *usage = json_pack("{s:I,s:I,s:I}", "prompt_tokens", (json_int_t)in,
                              "completion_tokens", (json_int_t)out, "total_tokens",
                              (json_int_t)(in + out));
    int err;

    if (!json_is_true(json_object_get(body, "stream"))) {
        mock_send_json(req, 200,
                       json_pack("{s:s,s:s,s:I,s:s,s:[{s:i,s:{s:s,s:s},s:s}],s:o}", "id",
                                 "chatcmpl-dr-mock", "object", "chat.completion", "created", now,
                                 "model", model, "choices", "index", 0, "message", "role",
                                 "assistant", "content", "Hello from the datarobot mock.",
                                 "finish_reason", "stop", "usage", usage),
                       DR_OOM);
        return;
    }
    err = lmx_http_res_begin(req, 200, hdrs, LMX_ARRAY_SIZE(hdrs), -1);
    for (size_t i = 0; err == 0 && i < LMX_ARRAY_SIZE(dr_words); i++)
        err = dr_event(req, json_pack("{s:s,s:s,s:I,s:s,s:[{s:i,s:{s:s},s:n}]}", "id",
                                      "chatcmpl-dr-mock", "object", "chat.completion.chunk",
                                      "created", now, "model", model, "choices", "index", 0,
                                      "delta", "content", dr_words[i], "finish_reason"));
    if (err == 0)
        err = dr_event(req, json_pack("{s:s,s:s,s:I,s:s,s:[{s:i,s:{},s:s}]}", "id",
                                      "chatcmpl-dr-mock", "object", "chat.completion.chunk",
                                      "created", now, "model", model, "choices", "index", 0,
                                      "delta", "finish_reason", "stop"));
    if (err == 0 && json_is_true(json_object_get(json_object_get(body, "stream_options"),
                                                 "include_usage")))
        err = dr_event(req, json_pack("{s:s,s:s,s:I,s:s,s:[],s:O}", "id", "chatcmpl-dr-mock",
                                      "object", "chat.completion.chunk", "created", now, "model",
                                      model, "choices", "usage", usage));
    if (err == 0)
        err = lmx_http_res_write(req, "data: [DONE]\n\n", 14);
    lmx_http_res_end(req, err == 0);
    json_decref(usage);
}

bool mock_datarobot_route(struct mock_worker *w, struct lmx_http_req *req)
{
    bool slash = strcmp(req->path, DR_PATH "/") == 0;
    const char *model, *auth;
    json_t *body;
    size_t n = 0;
    uint64_t seq;
    int status = 200;

    if (!slash && strcmp(req->path, DR_PATH) != 0)
        return false;
    mock_stats_count(w, req);
    body = json_loadb(req->body.data != NULL ? req->body.data : "", req->body.len, 0, NULL);
    model = json_string_value(json_object_get(body, "model"));
    seq = mock_log_model(req, model, json_is_true(json_object_get(body, "stream")));
    auth = lmx_http_req_header(req, "authorization", &n);
    if (!slash) {
        status = 404;
        mock_send_json(req, 404, dr_error("Not Found"), DR_OOM);
    } else if (req->method != LMX_HTTP_POST) {
        status = 405;
        mock_send_json(req, 405, dr_error("Method Not Allowed"), DR_OOM);
    } else if (auth == NULL || n <= 7 || strncmp(auth, "Bearer ", 7) != 0) {
        status = 401;
        mock_send_json(req, 401, dr_error("Invalid API token"), DR_OOM);
    } else if (model == NULL || !json_is_array(json_object_get(body, "messages"))) {
        status = 422;
        mock_send_json(req, 422, dr_error("model and messages are required"), DR_OOM);
    } else if (mock_model_status(model) != 0) {
        status = mock_model_status(model);
        mock_send_json(req, status, dr_error("llmux-mock: mock-status"), DR_OOM);
    } else {
        dr_chat(req, body, model);
    }
    mock_log_status(seq, status);
    json_decref(body);
    return true;
}
