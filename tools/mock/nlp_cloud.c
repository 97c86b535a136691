/*
 * tools/mock/nlp_cloud.c - llmux-mock: NLP Cloud text generation.
 *
 *   POST /v1/gpu/{model}/generation   {"text", ...} with "Authorization: Token <key>" (401
 *                                     {"detail"} else) -> {"generated_text":"Hello from the
 *                                     nlp_cloud mock.","nb_input_tokens":<words of text>,
 *                                     "nb_generated_tokens":5}; with "stream": true the text
 *                                     as raw pieces each followed by a NUL byte, then
 *                                     "[DONE]". A body without "text" or with OpenAI's
 *                                     "messages" gets 422; a model "mock-status-<code>"
 *                                     answers that status with {"detail"}.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "mock.h"

bool mock_nlp_cloud_route(struct mock_worker *w, struct lmx_http_req *req);

#define NC_OOM "{\"detail\":\"llmux-mock: out of memory\"}"

static const char *const nc_words[] = {"Hello", " from", " the", " nlp_cloud", " mock."};

static json_t *nc_detail(const char *msg)
{
    return json_pack("{s:s}", "detail", msg);
}

static void nc_stream(struct lmx_http_req *req)
{
    static const struct lmx_http_hdr hdrs[] = {
        {"Content-Type", 12, "text/plain; charset=utf-8", 25},
    };
    int err = lmx_http_res_begin(req, 200, hdrs, LMX_ARRAY_SIZE(hdrs), -1);

    for (size_t i = 0; err == 0 && i < LMX_ARRAY_SIZE(nc_words); i++) {
        err = lmx_http_res_write(req, nc_words[i], strlen(nc_words[i]));
        if (err == 0)
            err = lmx_http_res_write(req, "", 1); /* the NUL separator */
    }
    if (err == 0)
        err = lmx_http_res_write(req, "[DONE]", 6);
    lmx_http_res_end(req, err == 0);
}

bool mock_nlp_cloud_route(struct mock_worker *w, struct lmx_http_req *req)
{
    const char *p = req->path, *slash, *auth;
    char model[128];
    json_t *body;
    size_t n = 0;
    uint64_t seq;
    int status = 200;
    bool stream;

    if (strncmp(p, "/v1/gpu/", 8) != 0)
        return false;
    slash = strrchr(p + 8, '/');
    if (slash == NULL || slash == p + 8 || strcmp(slash, "/generation") != 0)
        return false;
    snprintf(model, sizeof(model), "%.*s", (int)LMX_MIN((size_t)(slash - p - 8), sizeof(model) - 1),
             p + 8);
    mock_stats_count(w, req);
    body = json_loadb(req->body.data != NULL ? req->body.data : "", req->body.len, 0, NULL);
    stream = json_is_true(json_object_get(body, "stream"));
    seq = mock_log_model(req, model, stream);
    auth = lmx_http_req_header(req, "authorization", &n);
    if (req->method != LMX_HTTP_POST) {
        status = 405;
        mock_send_json(req, 405, nc_detail("Method Not Allowed"), NC_OOM);
    } else if (auth == NULL || n <= 6 || strncmp(auth, "Token ", 6) != 0) {
        status = 401;
        mock_send_json(req, 401, nc_detail("Invalid token."), NC_OOM);
    } else if (!json_is_string(json_object_get(body, "text")) ||
               json_object_get(body, "messages") != NULL) {
        status = 422;
        mock_send_json(req, 422, nc_detail("text is required (messages is not a field)"),
                       NC_OOM);
    } else if (mock_model_status(model) != 0) {
        status = mock_model_status(model);
        mock_send_json(req, status, nc_detail("llmux-mock: mock-status"), NC_OOM);
    } else if (stream) {
        nc_stream(req);
    } else {
        mock_send_json(req, 200,
                       json_pack("{s:s,s:I,s:i}", "generated_text",
                                 "Hello from the nlp_cloud mock.", "nb_input_tokens",
                                 (json_int_t)mock_count_words(
                                     json_string_value(json_object_get(body, "text"))),
                                 "nb_generated_tokens", 5),
                       NC_OOM);
    }
    mock_log_status(seq, status);
    json_decref(body);
    return true;
}
