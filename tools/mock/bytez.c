/*
 * tools/mock/bytez.c - llmux-mock: the Bytez model API.
 *
 *   POST /models/v2/{org}/{model}   {"messages" (content as item lists), "stream", "params"}
 *        with "Authorization: Key <key>" (401 {"error"} else) -> {"error":null,"output":
 *        {"role":"assistant","content":[{"type":"text","text":"Hello from the bytez
 *        mock."}]}}; with "stream": true the text as raw pieces. A message whose content is
 *        not a list of {"type",...} items gets 400; a model "mock-status-<code>" answers
 *        that status with {"error"}.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "mock.h"

bool mock_bytez_route(struct mock_worker *w, struct lmx_http_req *req);

#define BZ_OOM "{\"error\":\"llmux-mock: out of memory\"}"

static const char *const bz_words[] = {"Hello", " from", " the", " bytez", " mock."};

static json_t *bz_error(const char *msg)
{
    return json_pack("{s:s,s:n}", "error", msg, "output");
}

static bool bz_items_ok(const json_t *body)
{
    const json_t *m, *it;
    size_t i, k;

    json_array_foreach(json_object_get(body, "messages"), i, m) {
        if (!json_is_array(json_object_get(m, "content")))
            return false;
        json_array_foreach(json_object_get(m, "content"), k, it)
            if (!json_is_string(json_object_get(it, "type")))
                return false;
    }
    return json_is_array(json_object_get(body, "messages"));
}

static void bz_stream(struct lmx_http_req *req)
{
    static const struct lmx_http_hdr hdrs[] = {
        {"Content-Type", 12, "text/plain; charset=utf-8", 25},
    };
    int err = lmx_http_res_begin(req, 200, hdrs, LMX_ARRAY_SIZE(hdrs), -1);

    for (size_t i = 0; err == 0 && i < LMX_ARRAY_SIZE(bz_words); i++)
        err = lmx_http_res_write(req, bz_words[i], strlen(bz_words[i]));
    lmx_http_res_end(req, err == 0);
}

bool mock_bytez_route(struct mock_worker *w, struct lmx_http_req *req)
{
    const char *auth, *model;
    json_t *body;
    size_t n = 0;
    uint64_t seq;
    int status = 200;
    bool stream;

    /* POST only: a GET /models/{id} stays the OpenAI model lookup */
    if (req->method != LMX_HTTP_POST || strncmp(req->path, "/models/v2/", 11) != 0 ||
        req->path[11] == '\0')
        return false;
    model = req->path + 11;
    mock_stats_count(w, req);
    body = json_loadb(req->body.data != NULL ? req->body.data : "", req->body.len, 0, NULL);
    stream = json_is_true(json_object_get(body, "stream"));
    seq = mock_log_model(req, model, stream);
    auth = lmx_http_req_header(req, "authorization", &n);
    if (auth == NULL || n <= 4 || strncmp(auth, "Key ", 4) != 0) {
        status = 401;
        mock_send_json(req, 401, bz_error("Unauthorized: invalid key"), BZ_OOM);
    } else if (!bz_items_ok(body) || !json_is_object(json_object_get(body, "params"))) {
        status = 400;
        mock_send_json(req, 400,
                       bz_error("messages must carry content item lists, params an object"),
                       BZ_OOM);
    } else if (mock_model_status(model) != 0) {
        status = mock_model_status(model);
        mock_send_json(req, status, bz_error("llmux-mock: mock-status"), BZ_OOM);
    } else if (stream) {
        bz_stream(req);
    } else {
        mock_send_json(req, 200,
                       json_pack("{s:n,s:{s:s,s:[{s:s,s:s}]}}", "error", "output", "role",
                                 "assistant", "content", "type", "text", "text",
                                 "Hello from the bytez mock."),
                       BZ_OOM);
    }
    mock_log_status(seq, status);
    json_decref(body);
    return true;
}
